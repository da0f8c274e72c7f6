// A guard in front of each station's MAC against a late (re)association response (radio.py).
// Compiled once per process after bridge.h.
//
// Why: ns-3 3.44's StaWifiMac::ReceiveAssocResp accepts any (re)association response that
// arrives while the station waits for one, then asserts that it came from the access point the
// station asked (NS_ASSERT ... bssid == hdr.GetAddr3()). On a congested channel a response can
// arrive after the station gave up on that access point (AssocRequestTimeout, 0.5 s by default)
// and asked another one: the assertion then ends the process. What 802.11 says the station
// should do with a response from an access point it is not waiting for is to ignore it; that is
// what this guard does, before the MAC sees the frame. Every other frame goes through untouched,
// in the same event, so runs that never met a late response are unchanged.
//
// How: the MAC's receive path is MacRxMiddle -> WifiMac::Receive (a private virtual of
// StaWifiMac). The guard replaces MacRxMiddle's forward callback with its own, which drops a
// stale response and calls the MAC's Receive otherwise. The members involved are not public;
// they are reached through explicit template instantiation, where C++ does not check access
// ([temp.spec.general]/6), with the member types deduced so that no inaccessible name is spelt.

#ifndef IMM_ASSOC_GUARD_H
#define IMM_ASSOC_GUARD_H

#include <cstdint>
#include <vector>

namespace imm {

// ---- access to non-public members by explicit instantiation ----------------------------------
template <typename Tag, auto Member>
struct Reach {
  friend constexpr auto reach(Tag) { return Member; }
};
struct RxMiddleTag {
  friend constexpr auto reach(RxMiddleTag);
};
struct ReceiveTag {
  friend constexpr auto reach(ReceiveTag);
};
struct GetLinkTag {
  friend constexpr auto reach(GetLinkTag);
};
template struct Reach<RxMiddleTag, &ns3::WifiMac::m_rxMiddle>;
template struct Reach<ReceiveTag, &ns3::StaWifiMac::Receive>;
template struct Reach<GetLinkTag, &ns3::StaWifiMac::GetLink>;

class AssocGuard : public ns3::SimpleRefCount<AssocGuard> {
 public:
  // The MAC is not owned: it lives with its device until Simulator::Destroy, which also drops
  // MacRxMiddle and with it this guard's callback.
  explicit AssocGuard(ns3::StaWifiMac* mac) : m_mac(mac) {
    ns3::Ptr<ns3::MacRxMiddle> rx = m_mac->*reach(RxMiddleTag{});
    rx->SetForwardCallback(ns3::MakeCallback(&AssocGuard::Forward, this));
  }
  uint64_t dropped = 0;  // late responses from an access point the station was not waiting for

 private:
  void Forward(ns3::Ptr<const ns3::WifiMpdu> mpdu, uint8_t linkId) {
    const ns3::WifiMacHeader& hdr = mpdu->GetHeader();
    if (hdr.IsAssocResp() || hdr.IsReassocResp()) {
      auto& link = (m_mac->*reach(GetLinkTag{}))(linkId);
      if (!link.bssid.has_value() || *link.bssid != hdr.GetAddr3()) {
        ++dropped;
        return;
      }
    }
    (m_mac->*reach(ReceiveTag{}))(mpdu, linkId);
  }
  ns3::StaWifiMac* m_mac;
};

// Guards live as long as the run (released after Simulator::Destroy with the run's objects).
inline std::vector<ns3::Ptr<AssocGuard>> g_assoc_guards;

inline ns3::Ptr<AssocGuard> GuardAssociation(ns3::Ptr<ns3::NetDevice> dev) {
  auto wifi = ns3::DynamicCast<ns3::WifiNetDevice>(dev);
  auto sta = wifi ? ns3::DynamicCast<ns3::StaWifiMac>(wifi->GetMac()) : nullptr;
  if (!sta) return nullptr;
  auto g = ns3::Create<AssocGuard>(ns3::PeekPointer(sta));
  g_assoc_guards.push_back(g);
  return g;
}

inline uint64_t LateAssocResponsesDropped() {
  uint64_t n = 0;
  for (auto& g : g_assoc_guards) n += g->dropped;
  return n;
}

inline void ReleaseAssocGuards() { g_assoc_guards.clear(); }

}  // namespace imm

#endif  // IMM_ASSOC_GUARD_H
