// MIP-LR and classic Mobile IP on the ns-3 packet path, and the TCP transfer that measures them
// (adapter/miplr.py). Compiled once per process after shims.h.
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
//
// Classic Mobile IP ([0005]): imm::HomeAgentRouting intercepts packets for a mobile host's home
// address at the home agent and tunnels them IP-in-IP (protocol 4) to the care-of address;
// imm::IpInIp at the mobile host takes the inner packet out and hands it to its transport
// protocol.

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <unordered_map>
#include <vector>

namespace imm {

// Python: a correspondent's mangler met a destination with no live mapping ([0061]).
std::function<void(uint64_t, uint32_t)> g_mip_miss;
// Python: a captured packet (TCP, or RTP given to MIP-LR) arrived at a mobile host from a
// correspondent not reported for a while ([0068]).
std::function<void(uint64_t, uint32_t)> g_mip_peer;

inline int64_t NowNs_() { return ns3::Simulator::Now().GetNanoSeconds(); }

// Each change of the destination address of arriving TCP at a mobile host, with its time:
// when TCP first came on a new care-of address (care-of change -> first segment on it).
struct ArrivalLog {
  std::vector<uint32_t> arrivalAddress;
  std::vector<int64_t> arrivalNs;
  void Note(uint32_t dst) {
    if (arrivalAddress.empty() || arrivalAddress.back() != dst) {
      arrivalAddress.push_back(dst);
      arrivalNs.push_back(NowNs_());
    }
  }
};

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

  uint64_t token = 0;
  bool correspondent = false, mobile = false;
  uint32_t permanent = 0, coa = 0;
  int64_t peerNotifyNs = 1000000000LL;
  uint32_t maxHeld = 1000;

  // Set through methods: Python holds this object by Ptr, and cppyy does not assign data
  // members through a smart pointer.
  void ConfigureCorrespondent(uint64_t tok) { token = tok; correspondent = true; }
  void ConfigureMobile(uint64_t tok, uint32_t perm) { token = tok; mobile = true; permanent = perm; }
  void SetCoa(uint32_t a) { coa = a; }

  // ---- correspondent host: the routing cache of [0058]-[0062] --------------------------------
  void SetMapping(uint32_t perm, uint32_t to, double lifetime_s) {
    m_cache[perm] = {to, NowNs_() + (int64_t)(lifetime_s * 1e9)};
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
    return it == m_cache.end() || it->second.expires <= NowNs_() ? 0 : it->second.coa;
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
    // From the care-of address, or from no address at all (between two care-of addresses).
    if (mobile && (src == coa || src == 0)) {
      src = permanent;
      ++sourceRewritten;
    }
    if (!correspondent) return false;
    auto it = m_cache.find(dst);
    if (it != m_cache.end() && it->second.expires > NowNs_()) {
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
    if (m_asking.insert(dst).second && g_mip_miss) g_mip_miss(token, dst);
    return true;
  }

  void In(ns3::Ipv4Header& h, bool tcp) {
    ++capturedIn;
    uint32_t dst = h.GetDestination().Get();
    if (mobile && tcp) Note(dst);
    if (mobile) {
      // The TCP connections cache of [0068]; when the policy hands RTP to MIP-LR, its
      // correspondents belong there too, or they would not hear of a new care-of address.
      uint32_t peer = h.GetSource().Get();
      int64_t now = NowNs_();
      auto it = m_peerSeen.find(peer);
      if ((it == m_peerSeen.end() || now - it->second >= peerNotifyNs) && g_mip_peer) {
        m_peerSeen[peer] = now;
        g_mip_peer(token, peer);
      }
    }
    if (mobile && coa && dst == coa) {
      h.SetDestination(ns3::Ipv4Address(permanent));
      ++demangledIn;
    }
  }

  void Clear() {
    m_held.clear();
    m_cache.clear();
  }

 private:
  std::unordered_map<uint32_t, Entry> m_cache;
  std::set<uint32_t> m_asking;
  std::unordered_map<uint32_t, std::deque<Held>> m_held;
  std::unordered_map<uint32_t, int64_t> m_peerSeen;
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

// Hooks live until the simulator that used them is destroyed (ResetMipState after
// Simulator::Destroy), so the TCP/UDP protocols they wrap go with the rest of the run.
std::vector<ns3::Ptr<ns3::Object>> g_mip_objects;

inline ns3::Ptr<MipHook> InstallMipHook(ns3::Ptr<ns3::Node> node, int protocol,
                                        ns3::Ptr<MipState> state) {
  auto h = ns3::CreateObject<MipHook>();
  h->Wrap(node, protocol, state);
  g_mip_objects.push_back(h);
  return h;
}

// ---- Classic Mobile IP: the home agent's tunnel and the mobile host's decapsulation ---------
class HomeAgentRouting : public ns3::Ipv4RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid = ns3::TypeId("imm::HomeAgentRouting")
                                 .SetParent<ns3::Ipv4RoutingProtocol>()
                                 .SetGroupName("imm");
    return tid;
  }
  void SetAddress(uint32_t a) { m_addr = a; }
  void SetBinding(uint32_t home, uint32_t coa, double lifetime_s) {
    if (!coa || lifetime_s <= 0) m_bindings.erase(home);
    else m_bindings[home] = {coa, NowNs_() + (int64_t)(lifetime_s * 1e9)};
  }
  uint64_t tunnelled = 0, tunnelledBytes = 0, noBinding = 0;

  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet>, const ns3::Ipv4Header&,
                                       ns3::Ptr<ns3::NetDevice>,
                                       ns3::Socket::SocketErrno&) override {
    return nullptr;  // the home agent's own packets: static routing
  }
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& h,
                  ns3::Ptr<const ns3::NetDevice>, const UnicastForwardCallback&,
                  const MulticastForwardCallback&, const LocalDeliverCallback&,
                  const ErrorCallback&) override {
    auto it = m_bindings.find(h.GetDestination().Get());
    if (it == m_bindings.end()) return false;
    if (it->second.second <= NowNs_()) {
      m_bindings.erase(it);
      ++noBinding;
      return false;
    }
    ns3::Ptr<ns3::Packet> outer = p->Copy();
    ns3::Ipv4Header inner = h;
    inner.SetTtl(h.GetTtl() > 1 ? h.GetTtl() - 1 : 1);
    outer->AddHeader(inner);
    ++tunnelled;
    tunnelledBytes += outer->GetSize() + 20;
    m_ipv4->Send(outer, ns3::Ipv4Address(m_addr), ns3::Ipv4Address(it->second.first), 4, nullptr);
    return true;
  }
  void NotifyInterfaceUp(uint32_t) override {}
  void NotifyInterfaceDown(uint32_t) override {}
  void NotifyAddAddress(uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void NotifyRemoveAddress(uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override { m_ipv4 = ipv4; }
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream,
                         ns3::Time::Unit = ns3::Time::S) const override {
    *stream->GetStream() << "home agent bindings: " << m_bindings.size() << "\n";
  }

 protected:
  void DoDispose() override {
    m_ipv4 = nullptr;
    ns3::Ipv4RoutingProtocol::DoDispose();
  }

 private:
  ns3::Ptr<ns3::Ipv4> m_ipv4;
  uint32_t m_addr = 0;
  std::unordered_map<uint32_t, std::pair<uint32_t, int64_t>> m_bindings;
};

inline ns3::Ptr<HomeAgentRouting> InstallHomeAgent(ns3::Ptr<ns3::Node> node, int16_t priority,
                                                   uint32_t addr) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  auto list = ns3::DynamicCast<ns3::Ipv4ListRouting>(ipv4->GetRoutingProtocol());
  auto r = ns3::CreateObject<HomeAgentRouting>();
  r->SetAddress(addr);
  list->AddRoutingProtocol(r, priority);
  return r;
}

class IpInIp : public ns3::IpL4Protocol, public ArrivalLog {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid =
        ns3::TypeId("imm::IpInIp").SetParent<ns3::IpL4Protocol>().SetGroupName("imm");
    return tid;
  }
  void Attach(ns3::Ptr<ns3::Node> node) {
    m_l3 = node->GetObject<ns3::Ipv4L3Protocol>();
    m_l3->Insert(this);
  }
  int GetProtocolNumber() const override { return 4; }
  uint64_t decapsulated = 0;
  std::set<uint32_t> innerDestinations;  // arrivals: the outer (care-of) address of tunnelled TCP

  RxStatus Receive(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& outer,
                   ns3::Ptr<ns3::Ipv4Interface> iif) override {
    ns3::Ipv4Header inner;
    if (p->GetSize() < 20 || p->RemoveHeader(inner) == 0) return RX_CSUM_FAILED;
    ++decapsulated;
    innerDestinations.insert(inner.GetDestination().Get());
    if (inner.GetProtocol() == 6) Note(outer.GetDestination().Get());
    auto l4 = m_l3->GetProtocol(inner.GetProtocol(), m_l3->GetInterfaceForDevice(iif->GetDevice()));
    if (!l4) return RX_ENDPOINT_UNREACH;
    return l4->Receive(p, inner, iif);
  }
  RxStatus Receive(ns3::Ptr<ns3::Packet>, const ns3::Ipv6Header&,
                   ns3::Ptr<ns3::Ipv6Interface>) override {
    return RX_ENDPOINT_UNREACH;
  }
  void SetDownTarget(DownTargetCallback cb) override { m_down = cb; }
  void SetDownTarget6(DownTargetCallback6 cb) override { m_down6 = cb; }
  DownTargetCallback GetDownTarget() const override { return m_down; }
  DownTargetCallback6 GetDownTarget6() const override { return m_down6; }

 protected:
  void DoDispose() override {
    m_l3 = nullptr;
    ns3::IpL4Protocol::DoDispose();
  }

 private:
  ns3::Ptr<ns3::Ipv4L3Protocol> m_l3;
  DownTargetCallback m_down;
  DownTargetCallback6 m_down6;
};

inline ns3::Ptr<IpInIp> InstallIpInIp(ns3::Ptr<ns3::Node> node) {
  auto d = ns3::CreateObject<IpInIp>();
  d->Attach(node);
  g_mip_objects.push_back(d);
  return d;
}

// ---- The TCP transfer: a paced bulk sender and a verifying sink ------------------------------
// Byte k of the stream is PatternByte(k): the sink checks every byte, so a loss, duplicate or
// reordering that reached the application would show as a bad byte.
inline uint8_t PatternByte(uint64_t k) { return (uint8_t)(((uint32_t)k * 2654435761u) >> 24); }

class TcpBulkSender : public ns3::SimpleRefCount<TcpBulkSender> {
 public:
  TcpBulkSender(ns3::Ptr<ns3::Node> node, uint64_t total, double rate_bps, uint32_t segment)
      : m_node(node), m_total(total), m_rate(rate_bps), m_segment(segment) {}

  void Start(double at_s, uint32_t dst, uint16_t port) {
    m_dst = dst;
    m_port = port;
    ns3::Simulator::Schedule(ns3::Seconds(at_s) - ns3::Simulator::Now(), &TcpBulkSender::Open,
                             this);
  }
  // Drop the socket before Simulator::Destroy; its endpoint goes with the TCP protocol.
  void Close() {
    if (m_sock) {
      m_sock->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, uint32_t>());
      m_sock->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                                ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    }
    m_sock = nullptr;
    m_node = nullptr;
  }

  uint64_t queued = 0, acked = 0;
  int64_t startNs = -1, connectedNs = -1, completedNs = -1;
  uint32_t connectFailures = 0, errorCloses = 0, normalCloses = 0;
  uint32_t peerAddress = 0;  // the address the application is connected to
  int64_t rttSumNs = 0;      // the smoothed RTT, summed over its updates
  uint64_t rttSamples = 0;

 private:
  void Open() {
    m_sock = ns3::Socket::CreateSocket(m_node, ns3::TcpSocketFactory::GetTypeId());
    m_sock->SetAttribute("SegmentSize", ns3::UintegerValue(m_segment));
    m_sock->TraceConnectWithoutContext("HighestRxAck",
                                       ns3::MakeCallback(&TcpBulkSender::OnAck, this));
    m_sock->TraceConnectWithoutContext("RTT", ns3::MakeCallback(&TcpBulkSender::OnRtt, this));
    m_sock->SetConnectCallback(ns3::MakeCallback(&TcpBulkSender::Connected, this),
                               ns3::MakeCallback(&TcpBulkSender::Failed, this));
    m_sock->SetCloseCallbacks(ns3::MakeCallback(&TcpBulkSender::NormalClose, this),
                              ns3::MakeCallback(&TcpBulkSender::ErrorClose, this));
    m_sock->Bind();
    startNs = NowNs_();
    m_sock->Connect(ns3::InetSocketAddress(ns3::Ipv4Address(m_dst), m_port));
  }
  void Connected(ns3::Ptr<ns3::Socket> s) {
    connectedNs = NowNs_();
    ns3::Address a;
    s->GetPeerName(a);
    peerAddress = ns3::InetSocketAddress::ConvertFrom(a).GetIpv4().Get();
    s->SetSendCallback(ns3::MakeCallback(&TcpBulkSender::Writable, this));
    Fill();
  }
  void Failed(ns3::Ptr<ns3::Socket>) { ++connectFailures; }
  void OnRtt(ns3::Time, ns3::Time rtt) {
    if (rtt.IsStrictlyPositive()) {
      rttSumNs += rtt.GetNanoSeconds();
      ++rttSamples;
    }
  }
  void NormalClose(ns3::Ptr<ns3::Socket>) { ++normalCloses; }
  void ErrorClose(ns3::Ptr<ns3::Socket>) { ++errorCloses; }
  void Writable(ns3::Ptr<ns3::Socket>, uint32_t) { Fill(); }
  void OnAck(ns3::SequenceNumber32, ns3::SequenceNumber32 ack) {
    uint64_t a = ack.GetValue() > 0 ? ack.GetValue() - 1 : 0;  // the SYN took number 0
    acked = std::min<uint64_t>(std::max<uint64_t>(acked, a), m_total);
    if (acked == m_total && completedNs < 0) completedNs = NowNs_();
  }
  void Fill() {
    if (!m_sock || m_finished) return;
    uint64_t allowed = m_total;
    if (m_rate > 0) {
      double t = (NowNs_() - connectedNs) * 1e-9;
      allowed = std::min<uint64_t>(m_total, (uint64_t)(m_rate / 8.0 * t) + m_segment);
    }
    while (queued < allowed) {
      uint32_t room = m_sock->GetTxAvailable();
      uint32_t n = (uint32_t)std::min<uint64_t>({allowed - queued, (uint64_t)room, 65536});
      if (n == 0) break;
      std::vector<uint8_t> b(n);
      for (uint32_t i = 0; i < n; ++i) b[i] = PatternByte(queued + i);
      int sent = m_sock->Send(ns3::Create<ns3::Packet>(b.data(), n), 0);
      if (sent <= 0) break;
      queued += (uint64_t)sent;
    }
    if (queued >= m_total) {
      m_finished = true;
      m_sock->Close();  // FIN after the last byte
    } else if (m_rate > 0 && !m_tick.IsPending()) {
      m_tick = ns3::Simulator::Schedule(ns3::MilliSeconds(10), &TcpBulkSender::Fill, this);
    }
  }

  ns3::Ptr<ns3::Node> m_node;
  ns3::Ptr<ns3::Socket> m_sock;
  uint64_t m_total;
  double m_rate;
  uint32_t m_segment;
  uint32_t m_dst = 0;
  uint16_t m_port = 0;
  bool m_finished = false;
  ns3::EventId m_tick;
};

class TcpSink : public ns3::SimpleRefCount<TcpSink> {
 public:
  TcpSink(ns3::Ptr<ns3::Node> node, uint16_t port, double bin_s) : m_binNs((int64_t)(bin_s * 1e9)) {
    m_listen = ns3::Socket::CreateSocket(node, ns3::TcpSocketFactory::GetTypeId());
    m_listen->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
    m_listen->Listen();
    m_listen->SetAcceptCallback(
        ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
        ns3::MakeCallback(&TcpSink::Accept, this));
  }
  void Close() {
    for (auto& s : m_conns) {
      s->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
      s->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                           ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    }
    m_conns.clear();
    if (m_listen) m_listen->Close();
    m_listen = nullptr;
  }

  uint64_t received = 0, badBytes = 0;
  int64_t firstBadOffset = -1, finNs = -1;
  uint32_t accepted = 0, errorCloses = 0, normalCloses = 0;
  std::vector<uint32_t> peers, locals;  // the addresses the application saw, per connection
  std::vector<uint64_t> bins;           // bytes delivered per bin
  std::vector<int64_t> readNs;          // time of every read that delivered data

 private:
  void Accept(ns3::Ptr<ns3::Socket> s, const ns3::Address& from) {
    ++accepted;
    peers.push_back(ns3::InetSocketAddress::ConvertFrom(from).GetIpv4().Get());
    ns3::Address local;
    s->GetSockName(local);
    locals.push_back(ns3::InetSocketAddress::ConvertFrom(local).GetIpv4().Get());
    s->SetRecvCallback(ns3::MakeCallback(&TcpSink::Recv, this));
    s->SetCloseCallbacks(ns3::MakeCallback(&TcpSink::NormalClose, this),
                         ns3::MakeCallback(&TcpSink::ErrorClose, this));
    m_conns.push_back(s);
    m_offset = 0;  // each connection is a new stream
  }
  void Recv(ns3::Ptr<ns3::Socket> s) {
    ns3::Ptr<ns3::Packet> p;
    while ((p = s->Recv())) {
      uint32_t n = p->GetSize();
      if (n == 0) break;
      std::vector<uint8_t> b(n);
      p->CopyData(b.data(), n);
      for (uint32_t i = 0; i < n; ++i) {
        if (b[i] != PatternByte(m_offset + i)) {
          if (firstBadOffset < 0) firstBadOffset = (int64_t)(m_offset + i);
          ++badBytes;
        }
      }
      m_offset += n;
      received += n;
      int64_t now = NowNs_();
      size_t bin = (size_t)(now / m_binNs);
      if (bins.size() <= bin) bins.resize(bin + 1, 0);
      bins[bin] += n;
      readNs.push_back(now);
    }
  }
  void NormalClose(ns3::Ptr<ns3::Socket>) {
    ++normalCloses;
    finNs = NowNs_();
  }
  void ErrorClose(ns3::Ptr<ns3::Socket>) { ++errorCloses; }

  ns3::Ptr<ns3::Socket> m_listen;
  std::vector<ns3::Ptr<ns3::Socket>> m_conns;
  uint64_t m_offset = 0;
  int64_t m_binNs;
};

// The congestion control of a node's TCP (a per-node attribute, not a Config default).
inline bool SetTcpVariant(ns3::Ptr<ns3::Node> node, const char* type_name) {
  ns3::TypeId tid;
  if (!ns3::TypeId::LookupByNameFailSafe(type_name, &tid)) return false;
  node->GetObject<ns3::TcpL4Protocol>()->SetAttribute("SocketType", ns3::TypeIdValue(tid));
  return true;
}

inline void ResetMipState() { g_mip_objects.clear(); }

}  // namespace imm
