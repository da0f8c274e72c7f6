// C++ shims between ns-3 and the Python protocol cores, compiled once per process with
// cppyy.cppdef (see imm_ns3/adapter/runtime.py).
//
// Why they exist (docs/architecture.md, "The bridge"): ns-3 cannot call a Python function given to
// Simulator::Schedule, MakeCallback or TraceConnect directly. Each shim holds one
// std::function per signature that Python assigns once per process; ns-3 events and trace
// sources carry an integer token, and Python looks the token up in its own tables. Strings are
// never passed through std::function (cppyy cannot bind them): addresses travel as integers,
// payloads as (pointer, length).
//
// Everything here is cheap C++: the per-beacon trace stays in C++ (no Python per beacon).
// The IPv4 and ARP helpers are in ipv4.h (compiled with this header), the builder's calls in
// builder.h, the records protocol hooks share in records.h.

#ifndef IMM_BRIDGE_H
#define IMM_BRIDGE_H

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace imm {

// ---- Scheduling ---------------------------------------------------------------------------
// One dispatcher for every Python timer: Python keeps token -> callable.
// Python's callbacks are C function pointers (ctypes thunks, set once per process through
// SetShimCallbacks): assigning a Python callable to a std::function costs cppyy a compiled
// wrapper per signature, 0.2-0.3 s each at start-up.
inline void (*g_fire)(uint64_t) = nullptr;

inline void Fire(uint64_t token) {
  if (g_fire) g_fire(token);
}

inline void ScheduleToken(int64_t delay_ns, uint64_t token) {
  ns3::Simulator::Schedule(ns3::NanoSeconds(delay_ns), &Fire, token);
}

// Same, but the event runs in a node's context (ns-3 logs and traces show the node id).
inline void ScheduleTokenWithContext(uint32_t node_id, int64_t delay_ns, uint64_t token) {
  ns3::Simulator::ScheduleWithContext(node_id, ns3::NanoSeconds(delay_ns), &Fire, token);
}

inline int64_t NowNs() { return ns3::Simulator::Now().GetNanoSeconds(); }

// ---- Addresses as integers ----------------------------------------------------------------
inline uint64_t MacToU64(const ns3::Mac48Address& a) {
  uint8_t b[6];
  a.CopyTo(b);
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | b[i];
  return v;
}

inline ns3::Mac48Address U64ToMac(uint64_t v) {
  uint8_t b[6];
  for (int i = 0; i < 6; ++i) b[i] = (v >> (40 - 8 * i)) & 0xff;
  ns3::Mac48Address m;
  m.CopyFrom(b);
  return m;
}

inline uint64_t DeviceMac(ns3::Ptr<ns3::NetDevice> dev) {
  return MacToU64(ns3::Mac48Address::ConvertFrom(dev->GetAddress()));
}

// ---- MAC-address trace sources (StaWifiMac Assoc / DeAssoc) --------------------------------
// g_mac_event(token, mac): token says which station and which trace source.
inline void (*g_mac_event)(uint64_t, uint64_t) = nullptr;

inline void OnMacEvent(uint64_t token, ns3::Mac48Address a) {
  if (g_mac_event) g_mac_event(token, MacToU64(a));
}

inline bool ConnectMacTrace(ns3::Ptr<ns3::Object> obj, const char* source, uint64_t token) {
  return obj->TraceConnectWithoutContext(source, ns3::MakeBoundCallback(&OnMacEvent, token));
}

// ---- Beacon arrival, kept in C++ -----------------------------------------------------------
// The times of the last two beacons a station received from its AP: read by Python at the
// moment of DeAssoc to split the radio-level handoff into detection and re-association.
//
// Why two: the missed-beacon watchdog ends exactly when the N-th beacon after the last one
// heard is due. If that beacon is being received at that moment (a weak one, under fading),
// ns-3's StaWifiMac::MissedBeacons waits for the reception to end and then disassociates
// anyway, in the same instant as the BeaconArrival of that beacon. The detection began at the
// beacon before it.
inline std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> g_last_beacon_ns;  // (last, one before)

inline void OnBeaconArrival(uint64_t token, ns3::Time t) {
  auto& times = g_last_beacon_ns.try_emplace(token, -1, -1).first->second;  // one lookup a beacon
  times = {t.GetNanoSeconds(), times.first};
}

inline bool ConnectBeaconArrival(ns3::Ptr<ns3::Object> mac, uint64_t token) {
  return mac->TraceConnectWithoutContext("BeaconArrival",
                                         ns3::MakeBoundCallback(&OnBeaconArrival, token));
}

// The last beacon received strictly before `now_ns` (-1: none).
inline int64_t LastBeaconNs(uint64_t token, int64_t now_ns) {
  auto it = g_last_beacon_ns.find(token);
  if (it == g_last_beacon_ns.end()) return -1;
  return it->second.first < now_ns ? it->second.first : it->second.second;
}

// ---- UDP sockets --------------------------------------------------------------------------
// g_recv(token, src_ip, src_port, device_index, data, len): one call per datagram;
// device_index is the index on its node of the device the datagram came in by.
inline void (*g_recv)(uint64_t, uint32_t, uint16_t, uint32_t, const uint8_t*, uint32_t) = nullptr;

// The addresses of Python's three trampolines (runtime.py), as integers.
inline void SetShimCallbacks(uintptr_t fire, uintptr_t mac_event, uintptr_t recv) {
  g_fire = reinterpret_cast<void (*)(uint64_t)>(fire);
  g_mac_event = reinterpret_cast<void (*)(uint64_t, uint64_t)>(mac_event);
  g_recv = reinterpret_cast<void (*)(uint64_t, uint32_t, uint16_t, uint32_t, const uint8_t*, uint32_t)>(recv);
}

// A socket's gate: decides in C++ whether a datagram needs Python at all (an adapter's choice,
// e.g. periodic broadcasts a core would ignore). Gates are kept by token for the run.
struct DatagramGate : public ns3::SimpleRefCount<DatagramGate> {
  virtual ~DatagramGate() = default;
  virtual bool Pass(const uint8_t* data, uint32_t n, uint32_t dev) = 0;
  uint64_t suppressed = 0;
};
inline std::unordered_map<uint64_t, ns3::Ptr<DatagramGate>> g_gates;
inline void SetGate(uint64_t token, ns3::Ptr<DatagramGate> gate) { g_gates[token] = gate; }

inline void OnSocketRecv(uint64_t token, ns3::Ptr<ns3::Socket> s) {
  ns3::Address from;
  ns3::Ptr<ns3::Packet> p;
  std::vector<uint8_t> buf;
  while ((p = s->RecvFrom(from))) {
    uint32_t n = p->GetSize();
    buf.resize(n ? n : 1);
    p->CopyData(buf.data(), n);
    uint32_t ip = 0;
    uint16_t port = 0;
    uint32_t dev = 0xffffffff;
    ns3::Ipv4PacketInfoTag tag;
    if (p->RemovePacketTag(tag)) dev = tag.GetRecvIf();
    if (ns3::InetSocketAddress::IsMatchingType(from)) {
      auto in = ns3::InetSocketAddress::ConvertFrom(from);
      ip = in.GetIpv4().Get();
      port = in.GetPort();
    }
    if (!g_gates.empty()) {
      auto g = g_gates.find(token);
      if (g != g_gates.end() && !g->second->Pass(buf.data(), n, dev)) {
        ++g->second->suppressed;
        continue;
      }
    }
    if (g_recv) g_recv(token, ip, port, dev, buf.data(), n);
  }
}

// A UDP socket of ``node`` bound to 0.0.0.0:``port`` (0: any free port), for C++ senders and
// receivers (probe, RTP) that never call Python.
inline ns3::Ptr<ns3::Socket> BoundUdpSocket(ns3::Ptr<ns3::Node> node, uint16_t port) {
  auto s = ns3::Socket::CreateSocket(node, ns3::TypeId::LookupByName("ns3::UdpSocketFactory"));
  s->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
  return s;
}

inline ns3::Ptr<ns3::Socket> UdpSocket(ns3::Ptr<ns3::Node> node, uint32_t ip, uint16_t port,
                                       bool broadcast, uint64_t token) {
  auto s = ns3::Socket::CreateSocket(node, ns3::TypeId::LookupByName("ns3::UdpSocketFactory"));
  if (s->Bind(ns3::InetSocketAddress(ns3::Ipv4Address(ip), port)) != 0) return nullptr;
  s->SetAllowBroadcast(broadcast);
  s->SetRecvPktInfo(true);
  s->SetRecvCallback(ns3::MakeBoundCallback(&OnSocketRecv, token));
  return s;
}

inline int UdpSendTo(ns3::Ptr<ns3::Socket> s, const char* data, uint32_t n, uint32_t ip,
                     uint16_t port) {
  auto p = ns3::Create<ns3::Packet>(reinterpret_cast<const uint8_t*>(data), n);
  return s->SendTo(p, 0, ns3::InetSocketAddress(ns3::Ipv4Address(ip), port));
}

// Send through a given interface's device (e.g. a broadcast beacon on one down-link).
inline int UdpBindToDevice(ns3::Ptr<ns3::Socket> s, ns3::Ptr<ns3::NetDevice> dev) {
  s->BindToNetDevice(dev);
  return 0;
}

// A datagram broadcast every `interval_ns` from `first_ns` on, with no Python per send: a base
// station's beacons ([0047]), 10 a second per cell. Python sets the payload when its content
// changes (empty: the ticks send nothing). Each tick is scheduled in the node's context at the
// moment the previous one runs, as the Python timer it replaces was, so the event order and
// every frame stay as they were. Sends from `count_from_ns` on are counted (the signalling
// table's warm-up). The pending event holds a reference: the object lives until it is stopped
// or the simulator destroyed. (ScheduleWithContext gives no EventId: Stop ends the series.)
class PeriodicDatagram : public ns3::SimpleRefCount<PeriodicDatagram> {
 public:
  PeriodicDatagram(ns3::Ptr<ns3::Socket> sock, uint32_t ip, uint16_t port, uint32_t node_id,
                   int64_t interval_ns, int64_t count_from_ns)
      : m_sock(sock), m_ip(ip), m_port(port), m_node(node_id), m_interval(interval_ns),
        m_countFrom(count_from_ns) {}
  void Start(int64_t first_ns) {
    ns3::Simulator::ScheduleWithContext(m_node, ns3::NanoSeconds(first_ns), &PeriodicDatagram::Tick,
                                        ns3::Ptr<PeriodicDatagram>(this));
  }
  void Set(const char* data, uint32_t n) { m_payload.assign(data, data + n); }
  void Stop() { m_sock = nullptr; }  // the pending tick then ends the series
  uint64_t counted = 0;       // datagrams sent from count_from_ns on
  uint64_t countedBytes = 0;  // their payload bytes

 private:
  void Tick() {
    if (!m_sock) return;
    if (!m_payload.empty()) {
      UdpSendTo(m_sock, m_payload.data(), (uint32_t)m_payload.size(), m_ip, m_port);
      if (NowNs() >= m_countFrom) {
        ++counted;
        countedBytes += m_payload.size();
      }
    }
    ns3::Simulator::ScheduleWithContext(m_node, ns3::NanoSeconds(m_interval), &PeriodicDatagram::Tick,
                                        ns3::Ptr<PeriodicDatagram>(this));
  }
  ns3::Ptr<ns3::Socket> m_sock;
  uint32_t m_ip;
  uint16_t m_port;
  uint32_t m_node;
  int64_t m_interval, m_countFrom;
  std::string m_payload;
};

// Made and started here, so that Python holds a counted reference (never a bare object).
inline ns3::Ptr<PeriodicDatagram> StartPeriodicDatagram(ns3::Ptr<ns3::Socket> sock, uint32_t ip,
                                                        uint16_t port, uint32_t node_id,
                                                        int64_t first_ns, int64_t interval_ns,
                                                        int64_t count_from_ns) {
  auto p = ns3::Create<PeriodicDatagram>(sock, ip, port, node_id, interval_ns, count_from_ns);
  p->Start(first_ns);
  return p;
}

// ---- Objects that live until the simulator that used them is destroyed ------------------------
// Protocol hooks (MIP-LR manglers, the IP-in-IP decapsulator) are kept here so the protocols
// they wrap go with the rest of the run: cleared after Simulator::Destroy (runtime.AFTER_DESTROY).
inline std::vector<ns3::Ptr<ns3::Object>> g_run_objects;
inline void KeepUntilDestroy(ns3::Ptr<ns3::Object> o) { g_run_objects.push_back(o); }
inline void ReleaseRunObjects() { g_run_objects.clear(); }

// ---- Reset between runs in one process -----------------------------------------------------
inline void ResetRunState() {
  g_last_beacon_ns.clear();
  g_gates.clear();
}

}  // namespace imm

#endif  // IMM_BRIDGE_H
