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

#include <cstdint>
#include <deque>
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

// The PHY of a WiFi device (wifi.loss sets its post-reception error model).
inline ns3::Ptr<ns3::WifiPhy> WifiPhyOf(ns3::Ptr<ns3::NetDevice> dev) {
  return ns3::DynamicCast<ns3::WifiNetDevice>(dev)->GetPhy();
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

// ---- IPv4 helpers ---------------------------------------------------------------------------
// A fixed node's address on a device (its interface created if it has none), metric 1, up: the
// builder's one call where Python made seven (each distinct first call costs cppyy a wrapper).
inline int AddInterfaceAddress(ns3::Ptr<ns3::Node> node, ns3::Ptr<ns3::NetDevice> dev, uint32_t addr,
                               uint32_t mask) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  int32_t idx = ipv4->GetInterfaceForDevice(dev);
  if (idx < 0) idx = (int32_t)ipv4->AddInterface(dev);
  ipv4->AddAddress(idx, ns3::Ipv4InterfaceAddress(ns3::Ipv4Address(addr), ns3::Ipv4Mask(mask)));
  ipv4->SetMetric(idx, 1);
  ipv4->SetUp(idx);
  return idx;
}

// A timed position of a waypoint walk (one call per point instead of three wrappers' worth).
inline void AddWaypoint(ns3::Ptr<ns3::WaypointMobilityModel> mm, int64_t t_ns, double x, double y,
                        double z) {
  mm->AddWaypoint(ns3::Waypoint(ns3::NanoSeconds(t_ns), ns3::Vector(x, y, z)));
}

// One route of the fixed network's plan (topology.static_routes): the default route, or a
// network route, via the neighbour ``gw`` on interface ``iface``.
inline void AddStaticRoute(ns3::Ptr<ns3::Ipv4StaticRouting> sr, bool is_default, uint32_t dest,
                           uint32_t mask, uint32_t gw, uint32_t iface) {
  if (is_default)
    sr->SetDefaultRoute(ns3::Ipv4Address(gw), iface);
  else
    sr->AddNetworkRouteTo(ns3::Ipv4Address(dest), ns3::Ipv4Mask(mask), ns3::Ipv4Address(gw), iface);
}

// The mobile host's one default route: via its current base station ([0048]-[0050]).
inline void SetDefaultRouteOnly(ns3::Ptr<ns3::Ipv4StaticRouting> sr, uint32_t gw, uint32_t iface) {
  for (uint32_t i = sr->GetNRoutes(); i-- > 0;) {
    auto r = sr->GetRoute(i);
    if (r.IsDefault() || (r.GetDest().Get() == 0 && r.GetDestNetworkMask().Get() == 0))
      sr->RemoveRoute(i);
  }
  sr->SetDefaultRoute(ns3::Ipv4Address(gw), iface);
}

// Replace every address of an interface by one (0.0.0.0/0 while the host has none).
inline void SetOnlyAddress(ns3::Ptr<ns3::Ipv4> ipv4, uint32_t iface, uint32_t addr, uint32_t mask) {
  while (ipv4->GetNAddresses(iface) > 0) ipv4->RemoveAddress(iface, 0);
  ipv4->AddAddress(iface, ns3::Ipv4InterfaceAddress(ns3::Ipv4Address(addr), ns3::Ipv4Mask(mask)));
}

// The gratuitous ARP of a host that moved its address to another radio: the base station's
// ARP entry for the address now names that radio. (An entry waiting for a reply is left to ARP.)
inline void SetArpEntry(ns3::Ptr<ns3::Node> node, uint32_t iface, uint32_t ip, uint64_t mac) {
  auto l3 = node->GetObject<ns3::Ipv4L3Protocol>();
  auto cache = l3->GetInterface(iface)->GetArpCache();
  auto* e = cache->Lookup(ns3::Ipv4Address(ip));
  if (e == nullptr) e = cache->Add(ns3::Ipv4Address(ip));
  if (e->IsWaitReply()) return;
  e->SetMacAddress(U64ToMac(mac));
  if (!e->IsPermanent()) e->MarkPermanent();
}

// A host configured an address another station held before (a DRCP lease handed out again):
// a base station's live ARP entry for it that still names the previous holder's MAC is
// updated to the new holder's, as the base station would on hearing the host's ARP
// announcement (RFC 5227 2.3, RFC 826's merge rule) -- instead of sending the new holder's
// traffic to the old one for the rest of ns-3's 120 s ARP lifetime. The entry is updated in
// place, never removed (ns-3 may hold it). Dead or pending entries hold no MAC: left alone.
// Returns 1 if an entry was updated.
inline int AnnounceArpEntry(ns3::Ptr<ns3::Node> node, uint32_t iface, uint32_t ip, uint64_t mac) {
  auto cache = node->GetObject<ns3::Ipv4L3Protocol>()->GetInterface(iface)->GetArpCache();
  auto* e = cache->Lookup(ns3::Ipv4Address(ip));
  if (e == nullptr || !e->IsAlive() || e->IsPermanent()) return 0;
  ns3::Address a = e->GetMacAddress();
  if (!ns3::Mac48Address::IsMatchingType(a) || MacToU64(ns3::Mac48Address::ConvertFrom(a)) == mac)
    return 0;
  e->SetMacAddress(U64ToMac(mac));
  return 1;
}

// Host routes at a border router (the OSPF/RIP result of [0031]): replace or remove.
inline void SetHostRoute(ns3::Ptr<ns3::Ipv4StaticRouting> sr, uint32_t host, uint32_t next_hop,
                         uint32_t iface) {
  for (uint32_t i = sr->GetNRoutes(); i-- > 0;) {
    auto r = sr->GetRoute(i);
    if (r.IsHost() && r.GetDest().Get() == host) sr->RemoveRoute(i);
  }
  if (next_hop) sr->AddHostRouteTo(ns3::Ipv4Address(host), ns3::Ipv4Address(next_hop), iface);
}

// ---- Building the network: one C++ call per element -----------------------------------------
// Each distinct ns-3 function a process first calls from Python costs cppyy a compiled wrapper
// (30-60 ms; the helpers' variadic SetType / Set / AddPropagationLoss more). The builder's
// elements are made here with the same helper calls in the same order as a plain ns-3 program,
// so the objects, their ids and their random streams are what they were when Python made them.

// A point-to-point link; pcap files where the paths are not empty.
inline ns3::NetDeviceContainer InstallP2p(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const char* rate,
                                          const char* delay, const char* pcap_a, const char* pcap_b) {
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue(rate));
  p2p.SetChannelAttribute("Delay", ns3::StringValue(delay));
  auto devs = p2p.Install(a, b);
  if (*pcap_a) p2p.EnablePcap(pcap_a, devs.Get(0), false, true);
  if (*pcap_b) p2p.EnablePcap(pcap_b, devs.Get(1), false, true);
  return devs;
}

// A CSMA LAN of `members`; `pcaps` holds one path per member, '\n'-separated ("" for none).
inline ns3::NetDeviceContainer InstallCsma(ns3::NodeContainer members, const char* rate,
                                           const char* delay, const char* pcaps) {
  ns3::CsmaHelper csma;
  csma.SetChannelAttribute("DataRate", ns3::StringValue(rate));
  csma.SetChannelAttribute("Delay", ns3::StringValue(delay));
  auto devs = csma.Install(members);
  std::string all(pcaps);
  size_t start = 0;
  for (uint32_t i = 0; i < devs.GetN() && start < all.size(); ++i) {
    size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) csma.EnablePcap(all.substr(start, end - start), devs.Get(i), false, true);
    start = end + 1;
  }
  return devs;
}

// The YANS channel: a log-distance (a = exponent, b = reference loss dB), Friis (a = Hz) or
// range (a = metres) loss, then shadowing (imm::ShadowingLossModel, registered by Python from
// propagation.h) if sigma > 0, then Nakagami fading with m if m > 0.
inline ns3::Ptr<ns3::YansWifiChannel> MakeYansChannel(const char* model, double a, double b,
                                                      double sigma, double decorrelation_m,
                                                      double fading_m) {
  ns3::YansWifiChannelHelper ch;
  ch.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
  std::string m(model);
  if (m == "log_distance")
    ch.AddPropagationLoss("ns3::LogDistancePropagationLossModel", "Exponent", ns3::DoubleValue(a),
                          "ReferenceLoss", ns3::DoubleValue(b));
  else if (m == "friis")
    ch.AddPropagationLoss("ns3::FriisPropagationLossModel", "Frequency", ns3::DoubleValue(a));
  else
    ch.AddPropagationLoss("ns3::RangePropagationLossModel", "MaxRange", ns3::DoubleValue(a));
  if (sigma > 0)
    ch.AddPropagationLoss("imm::ShadowingLossModel", "Sigma", ns3::DoubleValue(sigma),
                          "Decorrelation", ns3::DoubleValue(decorrelation_m));
  if (fading_m > 0)
    ch.AddPropagationLoss("ns3::NakagamiPropagationLossModel", "m0", ns3::DoubleValue(fading_m),
                          "m1", ns3::DoubleValue(fading_m), "m2", ns3::DoubleValue(fading_m));
  return ch.Create();
}

// Access points and stations on one YANS channel, one WifiHelper; keeps each radio's PHY helper
// (its pcap writer) for the run and every device in installation order (for AssignStreams).
class WifiInstaller : public ns3::SimpleRefCount<WifiInstaller> {
 public:
  // `mode`: the ConstantRateWifiManager's data and control mode ("" for other managers).
  WifiInstaller(ns3::Ptr<ns3::YansWifiChannel> channel, int standard, const char* manager,
                const char* mode, const char* channel_settings, const char* ssid)
      : m_channel(channel), m_settings(channel_settings), m_ssid(ssid) {
    m_wifi.SetStandard(static_cast<ns3::WifiStandard>(standard));
    if (*mode)
      m_wifi.SetRemoteStationManager(manager, "DataMode", ns3::StringValue(mode), "ControlMode",
                                     ns3::StringValue(mode));
    else
      m_wifi.SetRemoteStationManager(manager);
  }
  // `channel_settings`: this access point's channel ("" for the installer's).
  ns3::Ptr<ns3::NetDevice> Ap(ns3::Ptr<ns3::Node> node, double tx_dbm, int64_t beacon_us,
                              const char* channel_settings, const char* pcap) {
    auto& phy = Phy(tx_dbm);
    if (*channel_settings) phy.Set("ChannelSettings", ns3::StringValue(channel_settings));
    ns3::WifiMacHelper mac;
    mac.SetType("ns3::ApWifiMac", "Ssid", ns3::SsidValue(m_ssid), "BeaconInterval",
                ns3::TimeValue(ns3::MicroSeconds(beacon_us)));
    return Done(phy, m_wifi.Install(phy, mac, node).Get(0), pcap);
  }
  // min_rssi_dbm: a ThresholdPreambleDetectionModel's MinimumRssi, or NaN for ns-3's default.
  // scan_channels: "1,6,11" for a station that scans those channels (channel_scan.h, compiled
  // and registered first), "" for ns-3's default manager (its own channel only).
  ns3::Ptr<ns3::NetDevice> Sta(ns3::Ptr<ns3::Node> node, double tx_dbm, bool active_probing,
                               uint32_t max_missed, int64_t probe_timeout_us, double min_rssi_dbm,
                               const char* scan_channels, const char* pcap) {
    auto& phy = Phy(tx_dbm);
    if (min_rssi_dbm == min_rssi_dbm)  // not NaN
      phy.SetPreambleDetectionModel("ns3::ThresholdPreambleDetectionModel", "MinimumRssi",
                                    ns3::DoubleValue(min_rssi_dbm));
    ns3::WifiMacHelper mac;
    mac.SetType("ns3::StaWifiMac", "Ssid", ns3::SsidValue(m_ssid), "ActiveProbing",
                ns3::BooleanValue(active_probing), "MaxMissedBeacons", ns3::UintegerValue(max_missed),
                "ProbeRequestTimeout", ns3::TimeValue(ns3::MicroSeconds(probe_timeout_us)));
    if (*scan_channels)
      mac.SetAssocManager("imm::ChannelScanAssocManager", "Channels", ns3::StringValue(scan_channels));
    return Done(phy, m_wifi.Install(phy, mac, node).Get(0), pcap);
  }
  int64_t AssignStreams(int64_t stream) { return m_wifi.AssignStreams(m_all, stream); }
  int64_t AssignChannelStreams(int64_t stream) { return m_channel->AssignStreams(stream); }
  ns3::NetDeviceContainer Devices() const { return m_all; }

 private:
  ns3::YansWifiPhyHelper& Phy(double tx_dbm) {
    m_phys.emplace_back();
    auto& phy = m_phys.back();
    phy.SetChannel(m_channel);
    phy.Set("ChannelSettings", ns3::StringValue(m_settings));
    phy.Set("TxPowerStart", ns3::DoubleValue(tx_dbm));
    phy.Set("TxPowerEnd", ns3::DoubleValue(tx_dbm));
    phy.SetPcapDataLinkType(ns3::WifiPhyHelper::DLT_IEEE802_11_RADIO);
    return phy;
  }
  ns3::Ptr<ns3::NetDevice> Done(ns3::YansWifiPhyHelper& phy, ns3::Ptr<ns3::NetDevice> dev,
                                const char* pcap) {
    m_all.Add(dev);
    if (*pcap) phy.EnablePcap(pcap, dev, false, true);
    return dev;
  }
  ns3::Ptr<ns3::YansWifiChannel> m_channel;
  std::string m_settings;
  ns3::Ssid m_ssid;
  ns3::WifiHelper m_wifi;
  std::deque<ns3::YansWifiPhyHelper> m_phys;  // stable addresses
  ns3::NetDeviceContainer m_all;
};

// A node that stands still at (x, y, z).
inline ns3::Ptr<ns3::MobilityModel> PlaceAt(ns3::Ptr<ns3::Node> node, double x, double y, double z) {
  auto mm = ns3::CreateObject<ns3::ConstantPositionMobilityModel>();
  mm->SetPosition(ns3::Vector(x, y, z));
  node->AggregateObject(mm);
  return mm;
}

// A node on a waypoint walk (points added with AddWaypoint).
inline ns3::Ptr<ns3::WaypointMobilityModel> NewWaypointModel(ns3::Ptr<ns3::Node> node) {
  auto mm = ns3::CreateObject<ns3::WaypointMobilityModel>();
  node->AggregateObject(mm);
  return mm;
}

// ---- Records kept in C++ ----------------------------------------------------------------------
// Each change of the destination address of arriving TCP at a mobile host, with its time:
// when TCP first came on a new care-of address (care-of change -> first segment on it).
struct ArrivalLog {
  std::vector<uint32_t> arrivalAddress;
  std::vector<int64_t> arrivalNs;
  void Note(uint32_t dst) {
    if (arrivalAddress.empty() || arrivalAddress.back() != dst) {
      arrivalAddress.push_back(dst);
      arrivalNs.push_back(NowNs());
    }
  }
};

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
