// MMP forwarding in ns-3: the routing hook of gateways, intermediate nodes and base stations
// (adapter/mmp.py). Compiled once per process after bridge.h.
//
// imm::MmpRouting is an Ipv4RoutingProtocol inserted into each domain node's Ipv4ListRouting
// above static routing. It forwards real packets:
//   - up: a packet arriving from below (a down-link or the wireless side) leaves on the primary
//     up-link chosen by the node's Python core from gateway-beacons ([0030], [0039]); at the
//     gateway it is left to static routing towards the backbone;
//   - down: a packet for an address of the domain's sub-network is sent on every down-link its
//     routing cache holds for that address (two during semi-soft bicast, [0036]); with no
//     entry it is dropped and counted ([0031]);
//   - every packet from below whose source is in the sub-network refreshes (or creates) the
//     cache entry on the interface it came in by ([0033], [0040]);
//   - an MMP control message from below (UDP to port MMP_PORT: registration, cache update,
//     route-update) is first shown to the node's Python core, which applies the cache operation
//     of its kind ([0031], [0035], [0036]); then it is forwarded like any other packet.
// Data packets never call Python. The cache semantics are those of imm_ns3/mmp/cache.py; a
// conformance test drives both with the same operations.
//
// Source address validation (security.auth, docs/security.md; RFC 7513 style): a base station
// that EnableSavi'd learns which station (MAC) each care-of address belongs to (SaviBind, from
// the DRCP replies it relays, adapter/mmp.py) and drops every packet from the wireless side
// whose source address in the sub-network is bound to another station (or to none), before
// the packet can refresh a cache entry. The sending station's MAC comes from the access point's
// MAC, whose forward-up callback this hook wraps (SenderMac() is valid while the packet is being
// routed). DRCP requests from the wireless side are shown to Python too (the client id must be
// the sender's MAC).
//
// Note: Ipv4ListRouting delivers packets addressed to the node itself before asking any
// routing protocol, so the gateway applies its cache operation when the message arrives on
// its socket (adapter/mmp.py), not here.
//
// Soft-state fast path (EnableFastRefresh): a well-formed RouteUpdate whose (care-of address,
// interface) the cache holds already is a refresh and nothing else in the core (cache.py's
// refresh answers "refreshed": no log, no message, no timer), so it is applied here without
// calling Python, at every hop: in RouteInput, and at the gateway by the socket's gate
// (MmpRefreshGate). The signalling table still counts it: FastRefreshed* are added to the
// node's received RouteUpdates after the run. Not with source address validation or attacker
// stations, whose checks are Python's.
// requires: bridge.h

#ifndef IMM_MMP_ROUTING_H
#define IMM_MMP_ROUTING_H

#include <algorithm>
#include <cstdint>
#include <functional>
#include <set>
#include <unordered_map>
#include <vector>

namespace imm {

// WifiNetDevice::ForwardUp is protected: a derived class names it, so that the hook can call
// it after noting the sender.
struct WifiForwardUp : ns3::WifiNetDevice {
  using Fn = void (ns3::WifiNetDevice::*)(ns3::Ptr<const ns3::Packet>, ns3::Mac48Address,
                                          ns3::Mac48Address);
  static Fn Get() { return &WifiForwardUp::ForwardUp; }
};

// Python: an MMP control message seen on its way up. Returns 1 to drop it (malformed).
inline int (*g_mmp_control)(uint64_t, uint32_t, uint32_t, const uint8_t*, uint32_t) = nullptr;
// Python: a data packet created a cache entry at a node that asked to be told (gateways).
inline void (*g_cache_created)(uint64_t, uint32_t) = nullptr;
// Both set by Python (C function pointers, see SetShimCallbacks in bridge.h).
inline void SetMmpCallbacks(uintptr_t control, uintptr_t created) {
  g_mmp_control = reinterpret_cast<int (*)(uint64_t, uint32_t, uint32_t, const uint8_t*, uint32_t)>(control);
  g_cache_created = reinterpret_cast<void (*)(uint64_t, uint32_t)>(created);
}

class MmpRouting : public ns3::Ipv4RoutingProtocol {
 public:
  enum Op { CREATED = 0, REFRESHED = 1, REPLACED = 2, ADDED = 3 };

  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid = ns3::TypeId("imm::MmpRouting")
                                 .SetParent<ns3::Ipv4RoutingProtocol>()
                                 .SetGroupName("imm");
    return tid;
  }

  // ---- configuration (from Python, once) ---------------------------------------------------
  void Configure(uint64_t token, bool gateway, uint32_t prefix, uint32_t mask, int64_t timeout_ns,
                 uint16_t control_port, bool notify_created) {
    m_token = token;
    m_gateway = gateway;
    m_prefix = prefix & mask;
    m_mask = mask;
    m_timeout = timeout_ns;
    m_port = control_port;
    m_notifyCreated = notify_created;
  }
  void AddDownlink(uint32_t iface, uint32_t peer) { m_below.insert(iface); m_peer[iface] = peer; }
  void SetWireless(uint32_t iface) { m_below.insert(iface); m_wireless = (int32_t)iface; }
  void SetUplink(int32_t iface, uint32_t peer) { m_uplink = iface; m_uplinkPeer = peer; }
  int32_t GetUplink() const { return m_uplink; }

  // ---- source address validation (base stations, security.auth) ----------------------------
  // Note the sending station of every frame the access point hands up (SenderMac).
  void WatchSenders(ns3::Ptr<ns3::NetDevice> ap) {
    auto dev = ns3::DynamicCast<ns3::WifiNetDevice>(ap);
    NS_ABORT_MSG_IF(!dev, "WatchSenders: not a WifiNetDevice");
    m_ap = ns3::PeekPointer(dev);
    dev->GetMac()->SetForwardUpCallback(ns3::MakeCallback(&MmpRouting::FromAir, this));
  }
  void EnableSavi(ns3::Ptr<ns3::NetDevice> ap, uint16_t drcp_port) {
    WatchSenders(ap);
    m_savi = true;
    m_drcpPort = drcp_port;
  }
  void SaviBind(uint32_t addr, uint64_t mac) { m_bound[addr] = mac; }
  uint64_t SaviBoundTo(uint32_t addr) const {
    auto it = m_bound.find(addr);
    return it == m_bound.end() ? 0 : it->second;
  }
  uint64_t SenderMac() const { return m_sender; }

  // ---- the routing cache ([0031], [0033], [0035], [0036]) ----------------------------------
  int Refresh(uint32_t coa, uint32_t iface) {
    int64_t now = ns3::Simulator::Now().GetNanoSeconds();
    auto& ent = Live(coa, now);
    if (Touch(ent, iface, now)) return REFRESHED;
    bool existed = !ent.empty();
    ent.assign(1, {iface, now + m_timeout});
    return existed ? REPLACED : CREATED;
  }
  int Hard(uint32_t coa, uint32_t iface) {
    int64_t now = ns3::Simulator::Now().GetNanoSeconds();
    auto& ent = Live(coa, now);
    if (ent.size() == 1 && ent[0].first == iface) { ent[0].second = now + m_timeout; return REFRESHED; }
    bool existed = !ent.empty();
    ent.assign(1, {iface, now + m_timeout});
    return existed ? REPLACED : CREATED;
  }
  int Semisoft(uint32_t coa, uint32_t iface) {
    int64_t now = ns3::Simulator::Now().GetNanoSeconds();
    auto& ent = Live(coa, now);
    if (Touch(ent, iface, now)) return REFRESHED;
    bool existed = !ent.empty();
    ent.push_back({iface, now + m_timeout});
    return existed ? ADDED : CREATED;
  }
  std::vector<uint32_t> Lookup(uint32_t coa) {
    std::vector<uint32_t> out;
    for (auto& e : Live(coa, ns3::Simulator::Now().GetNanoSeconds())) out.push_back(e.first);
    return out;
  }
  uint32_t RemoveInterface(uint32_t iface) {
    uint32_t n = 0;
    for (auto it = m_cache.begin(); it != m_cache.end();) {
      auto& v = it->second;
      size_t before = v.size();
      v.erase(std::remove_if(v.begin(), v.end(), [&](auto& e) { return e.first == iface; }), v.end());
      n += before != v.size();
      it = v.empty() ? m_cache.erase(it) : std::next(it);
    }
    return n;
  }
  uint32_t CacheSize() const { return m_cache.size(); }

  // ---- the soft-state fast path --------------------------------------------------------------
  // A RouteUpdate as Python encodes it (messages.py): its length, the header's version and type
  // bytes (wire.VERSION, RouteUpdate.TYPE); counted from `count_from_ns`.
  void EnableFastRefresh(uint32_t size, uint8_t version, uint8_t type, int64_t count_from_ns) {
    m_fastSize = size;
    m_fastVersion = version;
    m_fastType = type;
    m_countFromNs = count_from_ns;
  }
  bool MayBeRouteUpdate(const uint8_t* d, uint32_t n) const {
    return m_fastSize && n == m_fastSize && d[0] == m_fastVersion && d[1] == m_fastType;
  }
  uint64_t fastRefreshed = 0, fastRefreshedBytes = 0;  // counted ones, and their payload bytes
  // True if `d` (a UDP payload) is a RouteUpdate that only refreshes (coa, iif): applied here.
  bool FastRefresh(const uint8_t* d, uint32_t n, uint32_t iif) {
    if (!MayBeRouteUpdate(d, n) || !m_below.count(iif)) return false;
    uint32_t coa = (uint32_t)d[2] << 24 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
    if (m_cache.find(coa) == m_cache.end()) return false;
    int64_t now = ns3::Simulator::Now().GetNanoSeconds();
    if (!Touch(Live(coa, now), iif, now)) return false;  // Python creates or replaces it
    if (now >= m_countFromNs) {
      ++fastRefreshed;
      fastRefreshedBytes += n;
    }
    return true;
  }
  int32_t InterfaceOfDevice(uint32_t dev) {
    if (dev == 0xffffffffu || !m_ipv4) return -1;
    auto node = m_ipv4->GetObject<ns3::Node>();
    return dev < node->GetNDevices() ? m_ipv4->GetInterfaceForDevice(node->GetDevice(dev)) : -1;
  }

  // ---- counters ------------------------------------------------------------------------------
  uint64_t up = 0, down = 0, bicast = 0, noRoute = 0, noUplink = 0, controlSeen = 0,
           controlDropped = 0, saviDropped = 0;

  // ---- Ipv4RoutingProtocol ---------------------------------------------------------------------
  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& h,
                                       ns3::Ptr<ns3::NetDevice> oif,
                                       ns3::Socket::SocketErrno& err) override {
    uint32_t dst = h.GetDestination().Get();
    if (!InPrefix(dst) || h.GetDestination().IsBroadcast() || IsLocal(dst)) return nullptr;
    auto ifs = Lookup(dst);
    if (ifs.empty()) {
      err = ns3::Socket::ERROR_NOROUTETOHOST;
      return nullptr;
    }
    auto r = MakeRoute(h, ifs[0]);
    r->SetSource(SourceFor(ifs[0]));
    err = ns3::Socket::ERROR_NOTERROR;
    return r;
  }

  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& h,
                  ns3::Ptr<const ns3::NetDevice> idev, const UnicastForwardCallback& ucb,
                  const MulticastForwardCallback& mcb, const LocalDeliverCallback& lcb,
                  const ErrorCallback& ecb) override {
    int32_t iif = m_ipv4->GetInterfaceForDevice(idev);
    uint32_t src = h.GetSource().Get(), dst = h.GetDestination().Get();
    if (h.GetDestination().IsBroadcast() || h.GetDestination().IsMulticast()) return false;
    bool local = IsLocal(dst);
    if (m_savi && iif == m_wireless) {
      if (InPrefix(src) && SaviBoundTo(src) != m_sender) { ++saviDropped; return true; }
      if (IsPort(p, h, m_drcpPort)) {
        ++controlSeen;
        if (Control(p, (uint32_t)iif, src)) { ++controlDropped; return true; }
      }
    }
    if (iif >= 0 && m_below.count((uint32_t)iif)) {
      if (InPrefix(src)) {
        if (IsControl(p, h)) {
          ++controlSeen;
          if (Control(p, (uint32_t)iif, src)) { ++controlDropped; return true; }
        } else if (Refresh(src, (uint32_t)iif) == CREATED && m_notifyCreated && g_cache_created) {
          g_cache_created(m_token, src);
        }
      }
      if (local) return false;
      if (m_gateway) return InPrefix(dst) ? Down(p, h, ucb) : false;
      return Up(p, h, ucb);
    }
    if (!local && InPrefix(dst)) return Down(p, h, ucb);
    return false;
  }

  void NotifyInterfaceUp(uint32_t) override {}
  void NotifyInterfaceDown(uint32_t iface) override { RemoveInterface(iface); }
  void NotifyAddAddress(uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void NotifyRemoveAddress(uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override { m_ipv4 = ipv4; }
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream,
                         ns3::Time::Unit unit = ns3::Time::S) const override {
    *stream->GetStream() << "MMP cache entries: " << m_cache.size() << "\n";
  }

 protected:
  void DoDispose() override {
    m_ipv4 = nullptr;
    m_ap = nullptr;
    m_cache.clear();
    m_bound.clear();
    ns3::Ipv4RoutingProtocol::DoDispose();
  }

 private:
  using Entry = std::vector<std::pair<uint32_t, int64_t>>;

  Entry& Live(uint32_t coa, int64_t now) {
    auto& ent = m_cache[coa];
    ent.erase(std::remove_if(ent.begin(), ent.end(), [&](auto& e) { return e.second <= now; }),
              ent.end());
    return ent;
  }
  // Extends the pair (coa, iface) if the entry has it.
  bool Touch(Entry& ent, uint32_t iface, int64_t now) const {
    for (auto& e : ent)
      if (e.first == iface) { e.second = now + m_timeout; return true; }
    return false;
  }
  bool InPrefix(uint32_t a) const { return m_mask != 0 && (a & m_mask) == m_prefix; }
  bool IsLocal(uint32_t a) const {
    for (uint32_t i = 0; i < m_ipv4->GetNInterfaces(); ++i)
      for (uint32_t j = 0; j < m_ipv4->GetNAddresses(i); ++j)
        if (m_ipv4->GetAddress(i, j).GetLocal().Get() == a) return true;
    return false;
  }
  bool IsControl(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& h) const {
    return IsPort(p, h, m_port);
  }
  bool IsPort(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& h, uint16_t port) const {
    if (h.GetProtocol() != 17 || p->GetSize() < 8) return false;
    uint8_t b[4];
    p->CopyData(b, 4);
    return ((uint16_t)b[2] << 8 | b[3]) == port;
  }
  // The access point's MAC hands a frame up: note its sender while the stack routes it.
  void FromAir(ns3::Ptr<const ns3::Packet> p, ns3::Mac48Address from, ns3::Mac48Address to) {
    m_sender = MacToU64(from);
    (m_ap->*WifiForwardUp::Get())(p, from, to);
    m_sender = 0;
  }
  // Returns true to drop.
  bool Control(ns3::Ptr<const ns3::Packet> p, uint32_t iif, uint32_t src) {
    if (!g_mmp_control) return false;
    uint32_t n = p->GetSize();
    std::vector<uint8_t> buf(n);
    p->CopyData(buf.data(), n);
    if (FastRefresh(buf.data() + 8, n - 8, iif)) return false;
    return g_mmp_control(m_token, iif, src, buf.data() + 8, n - 8) != 0;
  }
  ns3::Ptr<ns3::Ipv4Route> MakeRoute(const ns3::Ipv4Header& h, uint32_t iface) {
    auto r = ns3::Create<ns3::Ipv4Route>();
    r->SetDestination(h.GetDestination());
    r->SetSource(h.GetSource());
    uint32_t hop = (int32_t)iface == m_wireless ? h.GetDestination().Get()
                   : (int32_t)iface == m_uplink ? m_uplinkPeer
                                                : m_peer[iface];
    r->SetGateway(ns3::Ipv4Address(hop));
    r->SetOutputDevice(m_ipv4->GetNetDevice(iface));
    return r;
  }
  ns3::Ipv4Address SourceFor(uint32_t iface) const { return m_ipv4->GetAddress(iface, 0).GetLocal(); }
  bool Down(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& h,
            const UnicastForwardCallback& ucb) {
    auto ifs = Lookup(h.GetDestination().Get());
    if (ifs.empty()) { ++noRoute; return true; }
    for (size_t i = 0; i < ifs.size(); ++i) {
      if (!m_ipv4->IsUp(ifs[i])) continue;
      ns3::Ptr<const ns3::Packet> copy = i ? ns3::Ptr<const ns3::Packet>(p->Copy()) : p;
      ucb(MakeRoute(h, ifs[i]), copy, h);
      ++down;
      if (i) ++bicast;
    }
    return true;
  }
  bool Up(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& h,
          const UnicastForwardCallback& ucb) {
    if (m_uplink < 0 || !m_ipv4->IsUp(m_uplink)) { ++noUplink; return true; }
    ucb(MakeRoute(h, (uint32_t)m_uplink), p, h);
    ++up;
    return true;
  }

  ns3::Ptr<ns3::Ipv4> m_ipv4;
  uint64_t m_token = 0;
  bool m_gateway = false, m_notifyCreated = false;
  uint32_t m_prefix = 0, m_mask = 0;
  int64_t m_timeout = 3000000000LL;
  uint16_t m_port = 0;
  uint32_t m_fastSize = 0;
  uint8_t m_fastVersion = 0, m_fastType = 0;
  int64_t m_countFromNs = 0;
  std::set<uint32_t> m_below;
  std::unordered_map<uint32_t, uint32_t> m_peer;
  int32_t m_wireless = -1, m_uplink = -1;
  uint32_t m_uplinkPeer = 0;
  std::unordered_map<uint32_t, Entry> m_cache;
  // Source address validation.
  bool m_savi = false;
  uint16_t m_drcpPort = 0;
  ns3::WifiNetDevice* m_ap = nullptr;  // owned by the node; outlives every frame it hands up
  uint64_t m_sender = 0;
  std::unordered_map<uint32_t, uint64_t> m_bound;
};

// The gateway's socket gate: a route-update delivered to the gateway from below that only
// refreshes its cache is applied by the routing hook's fast path, and never reaches Python.
struct MmpRefreshGate : public DatagramGate {
  explicit MmpRefreshGate(ns3::Ptr<MmpRouting> r) : m_r(r) {}
  bool Pass(const uint8_t* d, uint32_t n, uint32_t dev) override {
    if (!m_r->MayBeRouteUpdate(d, n)) return true;
    int32_t iif = m_r->InterfaceOfDevice(dev);
    return iif < 0 || !m_r->FastRefresh(d, n, (uint32_t)iif);
  }

 private:
  ns3::Ptr<MmpRouting> m_r;
};
inline ns3::Ptr<MmpRefreshGate> NewMmpRefreshGate(ns3::Ptr<MmpRouting> r) {
  return ns3::Create<MmpRefreshGate>(r);
}

inline ns3::Ptr<MmpRouting> InstallMmpRouting(ns3::Ptr<ns3::Node> node, int16_t priority) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  auto list = ns3::DynamicCast<ns3::Ipv4ListRouting>(ipv4->GetRoutingProtocol());
  auto r = ns3::CreateObject<MmpRouting>();
  list->AddRoutingProtocol(r, priority);
  return r;
}

}  // namespace imm

#endif  // IMM_MMP_ROUTING_H
