// MIP-LR on the ns-3 packet path: the mangler of [0059]-[0060] and the mangler-demangler of
// [0064]-[0066] (adapter/miplr.py). Compiled once per process after bridge.h.
//
// imm::MipHook sits between IPv4 and one transport protocol (TCP; UDP too when a scenario sends
// real-time traffic through MIP-LR) of one node: it is that protocol's down target (packets
// leaving the transport layer, before IPv4 builds the header) and it is registered with IPv4 in
// the protocol's place (packets going up after IPv4). This is the mangler of [0059]-[0060] and
// the mangler-demangler of [0064]-[0066], Figure 7:
//   - correspondent host: a captured packet to an address with a live mapping in the routing
//     cache leaves with the care-of address as destination; a null mapping leaves it alone; with
//     no live entry the packet is held and Python (the MIP-CH daemon) is asked once ([0061]);
//   - mobile host: captured packets leaving with the care-of address as source get the
//     permanent address; captured packets arriving for the care-of address are handed up with
//     the permanent address as destination. The transport layer and the applications only ever
//     see the permanent address.
// Which packets are captured: all TCP; UDP only to or from the listed ports (the RTP ports when
// the policy sends real-time traffic through MIP-LR). SIP, MIP-LR, MMP and DRCP datagrams never
// reach the hook's rewriting code. Data packets never call Python; only a miss at the
// correspondent and a TCP peer not seen for a while at the mobile host do ([0068]).
// requires: bridge.h records.h

#ifndef IMM_MIP_HOOK_H
#define IMM_MIP_HOOK_H

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <unordered_map>
#include <vector>

namespace imm {

// Python: a correspondent's mangler met a destination with no live mapping ([0061]).
inline void (*g_mip_miss)(uint64_t, uint32_t) = nullptr;
// Python: a captured packet (TCP, or RTP given to MIP-LR) arrived at a mobile host from a
// correspondent not reported for a while ([0068]).
inline void (*g_mip_peer)(uint64_t, uint32_t) = nullptr;
// Both set by Python (C function pointers, see SetShimCallbacks in bridge.h).
inline void SetMipCallbacks(uintptr_t miss, uintptr_t peer) {
  g_mip_miss = reinterpret_cast<void (*)(uint64_t, uint32_t)>(miss);
  g_mip_peer = reinterpret_cast<void (*)(uint64_t, uint32_t)>(peer);
}

// What the hooks of one node share: the correspondent's routing cache, the mobile host's
// addresses, counters, and what the applications were shown.
class MipState : public ns3::SimpleRefCount<MipState>, public ArrivalLog {
 public:
  struct Entry {
    uint32_t coa;  // 0: null mapping (not a mobile host)
    int64_t expires;
  };
  struct Held {
    ns3::Ptr<ns3::Packet> p;
    uint32_t src, dst;
    uint8_t proto;
    ns3::IpL4Protocol::DownTargetCallback down;
  };

  uint64_t missToken = 0, peerToken = 0;  // the Python handlers (a host may be both)
  bool correspondent = false, mobile = false;
  uint32_t permanent = 0, coa = 0;
  int64_t peerNotifyNs = 1000000000LL;
  uint32_t maxHeld = 1000;

  // Set through methods: Python holds this object by Ptr, and cppyy does not assign data
  // members through a smart pointer.
  void ConfigureCorrespondent(uint64_t tok) { missToken = tok; correspondent = true; }
  void ConfigureMobile(uint64_t tok, uint32_t perm) { peerToken = tok; mobile = true; permanent = perm; }
  // Classic Mobile IP: the source of the host's own connections only (no daemon to tell).
  void ConfigureMobileSource(uint32_t perm) { mobile = true; permanent = perm; }
  void SetCoa(uint32_t a) { coa = a; }

  // ---- correspondent host: the routing cache of [0058]-[0062] --------------------------------
  void SetMapping(uint32_t perm, uint32_t to, double lifetime_s) {
    m_cache[perm] = {to, NowNs() + (int64_t)(lifetime_s * 1e9)};
    m_asking.erase(perm);
    auto it = m_held.find(perm);
    if (it == m_held.end()) return;
    std::deque<Held> q;
    q.swap(it->second);
    m_held.erase(it);
    for (auto& h : q) {  // in order, with the mapping just learnt
      if (to) ++mangledOut;
      else ++passedOut;
      h.down(h.p, ns3::Ipv4Address(h.src), ns3::Ipv4Address(to ? to : h.dst), h.proto, nullptr);
    }
  }
  // The daemon gave up on every register: the held packets are lost; the next one asks again.
  void Unreachable(uint32_t perm) {
    m_asking.erase(perm);
    auto it = m_held.find(perm);
    if (it != m_held.end()) {
      heldDropped += it->second.size();
      m_held.erase(it);
    }
  }
  uint32_t MappingOf(uint32_t perm) const {
    auto it = m_cache.find(perm);
    return it == m_cache.end() || it->second.expires <= NowNs() ? 0 : it->second.coa;
  }

  // ---- counters and what the applications saw -------------------------------------------------
  uint64_t mangledOut = 0, passedOut = 0, held = 0, heldDropped = 0, demangledIn = 0,
           sourceRewritten = 0, capturedOut = 0, capturedIn = 0, uncapturedOut = 0,
           uncapturedIn = 0;
  std::set<uint32_t> appDestinations, appSources;  // addresses handed up to the transport layer

  // Returns true if the packet was held.
  bool Out(ns3::Ptr<ns3::Packet> p, uint32_t& src, uint32_t& dst, uint8_t proto,
           const ns3::IpL4Protocol::DownTargetCallback& down) {
    ++capturedOut;
    if (mobile) {
      // A connection this host opens: ns-3's TCP fixes the socket's address at Connect to the
      // route's source, the care-of address of that moment, and its packets keep it after a
      // move. Its SYN (without ACK) says which local port has which address; a later
      // connection on the same port replaces it.
      uint16_t sport = 0;
      if (proto == 6 && p->GetSize() >= 14) {
        uint8_t b[14];
        p->CopyData(b, 14);
        sport = (uint16_t)(b[0] << 8 | b[1]);
        if ((b[13] & 0x12) == 0x02 && src && src != permanent) m_endpointAddr[sport] = src;
      }
      auto own = sport ? m_endpointAddr.find(sport) : m_endpointAddr.end();
      // From the care-of address, from no address at all (between two care-of addresses), or
      // from the care-of address such a connection was opened with.
      if (src == coa || src == 0 || (own != m_endpointAddr.end() && own->second == src)) {
        src = permanent;
        ++sourceRewritten;
      }
    }
    if (!correspondent) return false;
    if (m_mobileMask && (dst & m_mobileMask) != m_mobileNet) {  // not a mobile host's address
      ++passedOut;
      return false;
    }
    auto it = m_cache.find(dst);
    if (it != m_cache.end() && it->second.expires > NowNs()) {
      if (it->second.coa) {
        dst = it->second.coa;
        ++mangledOut;
      } else {
        ++passedOut;
      }
      return false;
    }
    auto& q = m_held[dst];
    if (q.size() >= maxHeld) {
      ++heldDropped;
    } else {
      q.push_back({p, src, dst, proto, down});
      ++held;
    }
    if (m_asking.insert(dst).second && g_mip_miss) g_mip_miss(missToken, dst);
    return true;
  }

  void In(ns3::Ipv4Header& h, bool tcp) {
    ++capturedIn;
    uint32_t dst = h.GetDestination().Get();
    if (mobile && tcp && peerToken) Note(dst);
    if (mobile && peerToken) {
      // The TCP connections cache of [0068]; when the policy hands RTP to MIP-LR, its
      // correspondents belong there too, or they would not hear of a new care-of address.
      uint32_t peer = h.GetSource().Get();
      int64_t now = NowNs();
      auto it = m_peerSeen.find(peer);
      if ((it == m_peerSeen.end() || now - it->second >= peerNotifyNs) && g_mip_peer) {
        m_peerSeen[peer] = now;
        g_mip_peer(peerToken, peer);
      }
    }
    if (mobile && coa && dst == coa) {
      h.SetDestination(ns3::Ipv4Address(permanent));
      ++demangledIn;
    }
  }

  // After In and after the applications' addresses were noted: a packet for the permanent
  // address that belongs to a connection this host opened goes up with the address its socket
  // was given at Connect (see Out): ns-3 plumbing, not a rewrite the peer or the application
  // sees. A host with its permanent address on a virtual interface would not need it.
  void ToEndpoint(ns3::Ipv4Header& h, ns3::Ptr<const ns3::Packet> p) {
    if (!mobile || m_endpointAddr.empty() || h.GetDestination().Get() != permanent) return;
    auto it = m_endpointAddr.find(Port(p, 2));
    if (it == m_endpointAddr.end()) return;
    h.SetDestination(ns3::Ipv4Address(it->second));
    ++endpointTranslated;
  }
  uint64_t endpointTranslated = 0;
  // A mobile host that is also a correspondent (mobile-to-mobile traffic): only addresses in
  // the permanent prefix are looked up; every other destination leaves as it is, unasked.
  void SetMobilePrefix(uint32_t net, uint32_t mask) {
    m_mobileNet = net & mask;
    m_mobileMask = mask;
  }

  void Clear() {
    m_held.clear();
    m_cache.clear();
    m_endpointAddr.clear();
  }

 private:
  std::unordered_map<uint32_t, Entry> m_cache;
  std::set<uint32_t> m_asking;
  std::unordered_map<uint32_t, std::deque<Held>> m_held;
  std::unordered_map<uint32_t, int64_t> m_peerSeen;
  std::unordered_map<uint16_t, uint32_t> m_endpointAddr;  // local TCP port -> address at Connect
  uint32_t m_mobileNet = 0, m_mobileMask = 0;

  // The 16-bit port at byte ``at`` of the transport header, the first bytes of p.
  static uint16_t Port(ns3::Ptr<const ns3::Packet> p, uint32_t at) {
    if (p->GetSize() < at + 2) return 0;
    uint8_t b[4];
    p->CopyData(b, at + 2);
    return (uint16_t)(b[at] << 8 | b[at + 1]);
  }
};

// Created here, not by Python: C++ hooks hold it by Ptr, and an object Python created would be
// deleted by Python whatever its reference count.
inline ns3::Ptr<MipState> NewMipState() { return ns3::Create<MipState>(); }

class MipHook : public ns3::IpL4Protocol {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid =
        ns3::TypeId("imm::MipHook").SetParent<ns3::IpL4Protocol>().SetGroupName("imm");
    return tid;
  }

  void Wrap(ns3::Ptr<ns3::Node> node, int protocol, ns3::Ptr<MipState> state) {
    auto l3 = node->GetObject<ns3::Ipv4L3Protocol>();
    m_inner = l3->GetProtocol(protocol);
    NS_ABORT_MSG_IF(!m_inner, "MipHook: no protocol " << protocol);
    m_state = state;
    m_down = m_inner->GetDownTarget();
    m_inner->SetDownTarget(ns3::MakeCallback(&MipHook::Send, this));
    l3->Remove(m_inner);
    l3->Insert(this);
  }
  void CapturePort(uint16_t port) { m_ports.insert(port); }

  int GetProtocolNumber() const override { return m_inner->GetProtocolNumber(); }

  RxStatus Receive(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                   ns3::Ptr<ns3::Ipv4Interface> iif) override {
    ns3::Ipv4Header h = header;
    bool captured = Captured(p);
    if (captured) {
      m_state->In(h, m_inner->GetProtocolNumber() == 6);
    } else {
      ++m_state->uncapturedIn;
    }
    if (captured) {
      m_state->appDestinations.insert(h.GetDestination().Get());
      m_state->appSources.insert(h.GetSource().Get());
      if (m_inner->GetProtocolNumber() == 6) m_state->ToEndpoint(h, p);
    }
    return m_inner->Receive(p, h, iif);
  }
  RxStatus Receive(ns3::Ptr<ns3::Packet> p, const ns3::Ipv6Header& header,
                   ns3::Ptr<ns3::Ipv6Interface> iif) override {
    return m_inner->Receive(p, header, iif);
  }
  void ReceiveIcmp(ns3::Ipv4Address icmpSource, uint8_t ttl, uint8_t type, uint8_t code,
                   uint32_t info, ns3::Ipv4Address src, ns3::Ipv4Address dst,
                   const uint8_t payload[8]) override {
    m_inner->ReceiveIcmp(icmpSource, ttl, type, code, info, src, dst, payload);
  }
  void SetDownTarget(DownTargetCallback cb) override { m_down = cb; }
  void SetDownTarget6(DownTargetCallback6 cb) override { m_inner->SetDownTarget6(cb); }
  DownTargetCallback GetDownTarget() const override { return m_down; }
  DownTargetCallback6 GetDownTarget6() const override { return m_inner->GetDownTarget6(); }

 protected:
  void DoDispose() override {
    m_inner = nullptr;
    m_state = nullptr;
    m_down = DownTargetCallback();
    ns3::IpL4Protocol::DoDispose();
  }

 private:
  void Send(ns3::Ptr<ns3::Packet> p, ns3::Ipv4Address src, ns3::Ipv4Address dst, uint8_t proto,
            ns3::Ptr<ns3::Ipv4Route> route) {
    if (!m_state || !Captured(p)) {
      if (m_state) ++m_state->uncapturedOut;
      m_down(p, src, dst, proto, route);
      return;
    }
    uint32_t s = src.Get(), d = dst.Get();
    if (m_state->Out(p, s, d, proto, m_down)) return;  // held until the mapping is known
    // A new destination needs a new route; a new source alone keeps the route.
    m_down(p, ns3::Ipv4Address(s), ns3::Ipv4Address(d), proto, d == dst.Get() ? route : nullptr);
  }
  // TCP: every packet. UDP: only to or from a listed port (the UDP header is first in p).
  bool Captured(ns3::Ptr<const ns3::Packet> p) const {
    if (m_inner->GetProtocolNumber() == 6) return true;
    if (m_ports.empty() || p->GetSize() < 4) return false;
    uint8_t b[4];
    p->CopyData(b, 4);
    uint16_t sport = (uint16_t)(b[0] << 8 | b[1]), dport = (uint16_t)(b[2] << 8 | b[3]);
    return m_ports.count(sport) || m_ports.count(dport);
  }

  ns3::Ptr<ns3::IpL4Protocol> m_inner;
  ns3::Ptr<MipState> m_state;
  DownTargetCallback m_down;
  std::set<uint16_t> m_ports;
};
inline ns3::Ptr<MipHook> InstallMipHook(ns3::Ptr<ns3::Node> node, int protocol,
                                        ns3::Ptr<MipState> state) {
  auto h = ns3::CreateObject<MipHook>();
  h->Wrap(node, protocol, state);
  KeepUntilDestroy(h);
  return h;
}

}  // namespace imm

#endif  // IMM_MIP_HOOK_H
