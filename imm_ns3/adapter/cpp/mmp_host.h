// The mobile host's side of MMP at the IP layer (adapter/mmp.py): when it last sent from its
// own address (the idle route-update of [0051]) and the single receiver of [0035]/[0036] on a
// two-radio host. Compiled once per process after bridge.h.
// requires: bridge.h

#ifndef IMM_MMP_HOST_H
#define IMM_MMP_HOST_H

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace imm {

// Last time a node sent an IPv4 packet from one of its own addresses (for the idle route-update
// of [0051]): only such packets refresh the MMP caches on their way up. A mobile host's TCP
// leaves with its permanent address as source under MIP-LR ([0065]) and refreshes nothing.
inline std::unordered_map<uint32_t, int64_t> g_last_tx_ns;
inline void OnIpTx(uint32_t node, ns3::Ptr<const ns3::Packet> p, ns3::Ptr<ns3::Ipv4> ipv4,
                   uint32_t iface) {
  ns3::Ipv4Header h;
  if (p->PeekHeader(h) == 0) return;
  for (uint32_t j = 0; j < ipv4->GetNAddresses(iface); ++j)
    if (ipv4->GetAddress(iface, j).GetLocal() == h.GetSource()) {
      g_last_tx_ns[node] = ns3::Simulator::Now().GetNanoSeconds();
      return;
    }
}
inline bool TrackSends(ns3::Ptr<ns3::Node> node) {
  auto ipv4 = node->GetObject<ns3::Ipv4L3Protocol>();
  return ipv4->TraceConnectWithoutContext("Tx", ns3::MakeBoundCallback(&OnIpTx, node->GetId()));
}
inline int64_t LastTxNs(uint32_t node) {
  auto it = g_last_tx_ns.find(node);
  return it == g_last_tx_ns.end() ? -1 : it->second;
}

// ---- The single receiver of [0035]/[0036] on a two-radio mobile host ------------------------
// The host runs the strong end-system model and does not forward, and adapter/mmp.py puts the
// care-of address only on the radio associated with the base station the host listens to:
// unicast packets arriving on the other radio are dropped by IPv4. Counted here per node.
inline std::unordered_map<uint32_t, uint64_t> g_not_listening;
inline void OnIpDrop(uint32_t node, const ns3::Ipv4Header& h, ns3::Ptr<const ns3::Packet>,
                     ns3::Ipv4L3Protocol::DropReason, ns3::Ptr<ns3::Ipv4>, uint32_t) {
  if (!h.GetDestination().IsBroadcast()) ++g_not_listening[node];
}
inline bool TrackNotListening(ns3::Ptr<ns3::Node> node) {
  return node->GetObject<ns3::Ipv4L3Protocol>()->TraceConnectWithoutContext(
      "Drop", ns3::MakeBoundCallback(&OnIpDrop, node->GetId()));
}
inline uint64_t NotListeningDrops(uint32_t node) {
  auto it = g_not_listening.find(node);
  return it == g_not_listening.end() ? 0 : it->second;
}

// ---- What of the cell's periodic broadcasts a mobile host's daemon needs --------------------
// The daemon's transition table (mmp/mobile.py) ignores a base-station beacon unless it waits
// for one (step 404) or the beacon says something new (another gateway, [0045]), and a DRCP
// advertisement unless it waits for one (step 410); what the trailing radio of a two-radio host
// hears broadcast belongs to the old cell and is dropped. Those are dropped here, in C++, so a
// host costs no Python per periodic broadcast. Anything else, and any datagram that is not
// exactly a well-formed message of those types, goes to Python as before.
struct HostBroadcastGate : public DatagramGate {
  HostBroadcastGate(uint32_t leadDev, uint32_t beaconSize, uint32_t advSize, uint32_t replySize)
      : m_lead(leadDev), m_beaconSize(beaconSize), m_advSize(advSize), m_replySize(replySize) {}
  // What the daemon waits for now (set from Python after each step of its state machine).
  void Want(bool beacon, bool advertisement) {
    wantBeacon = beacon;
    wantAdvertisement = advertisement;
  }
  bool wantBeacon = false, wantAdvertisement = false;
  bool Pass(const uint8_t* d, uint32_t n, uint32_t dev) override {
    if (n < 2 || d[0] != 1) return true;
    bool beacon = d[1] == 2 && n == m_beaconSize;
    bool adv = d[1] == 16 && n == m_advSize;
    bool reply = d[1] == 18 && n == m_replySize;
    if (!(beacon || adv || reply)) return true;
    if (dev != m_lead && dev != 0xffffffffu) return false;  // the trailing radio's old cell
    if (adv) return wantAdvertisement;
    if (beacon) {
      bool same = m_lastBeacon.size() == n && std::equal(d, d + n, m_lastBeacon.begin());
      if (!same) m_lastBeacon.assign(d, d + n);
      return wantBeacon || !same;
    }
    return true;
  }

 private:
  uint32_t m_lead, m_beaconSize, m_advSize, m_replySize;
  std::vector<uint8_t> m_lastBeacon;
};

inline ns3::Ptr<HostBroadcastGate> NewHostBroadcastGate(uint32_t leadDev, uint32_t beaconSize,
                                                        uint32_t advSize, uint32_t replySize) {
  return ns3::Create<HostBroadcastGate>(leadDev, beaconSize, advSize, replySize);
}

inline void ResetMmpState() {
  g_last_tx_ns.clear();
  g_not_listening.clear();
}

}  // namespace imm

#endif  // IMM_MMP_HOST_H
