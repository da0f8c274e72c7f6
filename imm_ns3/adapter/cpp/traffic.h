// Traffic sources and sinks, all in C++: no Python per data packet. Compiled once per process
// after bridge.h. The adapters read their records after the run (imm_ns3/measure.py turns them
// into losses, gaps and delays).
//   - the downlink probe (adapter/traffic.py) and the [[flows]] UDP kinds (adapter/flows.py):
//     constant bit rate in on-windows, payload seq (u32) + send time;
//   - RTP (adapter/traffic.py): a voice-like sender, a receiver keeping seq, timestamp, SSRC;
//   - TCP (adapter/traffic.py): a paced bulk sender and a sink that checks every byte;
//   - [[flows]] tcp_bulk (adapter/flows.py): the TCP pair above.
// The UDP receivers share UdpSink (a bound socket, arrival time and bytes of every datagram
// accepted); the UDP senders share UdpSource (a bound socket, closed before Simulator::Destroy).
// requires: bridge.h

#ifndef IMM_TRAFFIC_H
#define IMM_TRAFFIC_H

#include <cstdint>
#include <vector>

namespace imm {

// ---- UDP bases ------------------------------------------------------------------------------
class UdpSource {
 public:
  void Close() {
    if (m_sock) m_sock->Close();
    m_sock = nullptr;
  }

 protected:
  ns3::Ptr<ns3::Socket> m_sock;
};

class UdpSink {
 public:
  virtual ~UdpSink() = default;
  void Close() {
    if (m_sock) m_sock->Close();
    m_sock = nullptr;
  }
  std::vector<int64_t> arrivals;
  uint64_t bytes = 0;

 protected:
  void Open(ns3::Ptr<ns3::Node> node, uint16_t port) {
    m_sock = BoundUdpSocket(node, port);
    m_sock->SetRecvCallback(ns3::MakeCallback(&UdpSink::Recv, this));
  }
  // Record what the packet carries; false: not a packet of this flow (ignored, not counted).
  virtual bool Accept(ns3::Ptr<ns3::Packet> p) = 0;

 private:
  void Recv(ns3::Ptr<ns3::Socket> s) {
    ns3::Ptr<ns3::Packet> p;
    while ((p = s->Recv())) {
      if (!Accept(p)) continue;
      arrivals.push_back(ns3::Simulator::Now().GetNanoSeconds());
      bytes += p->GetSize();
    }
  }
  ns3::Ptr<ns3::Socket> m_sock;
};

// ---- Constant bit rate during on-windows: the downlink probe (one window) and the [[flows]]
// udp_cbr (one) and onoff (many) ------------------------------------------------------------
// Payload: seq (u32), send time (i64 ns), padding. The receiver keeps (seq, send time, arrival).
// The windows come from Python (onoff: drawn from the run's seed), so the generator needs no
// random stream of its own.
class UdpFlowSender : public ns3::SimpleRefCount<UdpFlowSender, UdpSource> {
 public:
  UdpFlowSender(ns3::Ptr<ns3::Node> node, uint16_t port, double interval_s, uint32_t size)
      : m_interval(ns3::Seconds(interval_s)), m_size(size), m_port(port) {
    m_sock = BoundUdpSocket(node, 0);
  }
  void SetDestination(uint32_t ip) { m_dst = ip; }
  // One window: send every interval in [at_s, stop_s).
  void Start(double at_s, double stop_s) { AddWindow(at_s, stop_s); }
  // Send every interval in [on_s, off_s); windows are added in time order.
  void AddWindow(double on_s, double off_s) {
    ns3::Time on = ns3::Seconds(on_s), off = ns3::Seconds(off_s);
    ns3::Simulator::Schedule(on - ns3::Simulator::Now(), &UdpFlowSender::Open, this, off);
  }
  uint32_t sent = 0, unsent = 0;
  uint64_t sentBytes = 0;

 private:
  void Open(ns3::Time off) {
    m_off = off;
    if (!m_event.IsPending()) Send();
  }
  void Send() {
    if (!m_sock || ns3::Simulator::Now() >= m_off) return;
    if (m_dst == 0) {
      ++unsent;  // no address (no care-of address yet): counted as sent and lost
    } else {
      std::vector<uint8_t> buf(m_size, 0);
      int64_t t = ns3::Simulator::Now().GetNanoSeconds();
      for (int i = 0; i < 4; ++i) buf[i] = (sent >> (24 - 8 * i)) & 0xff;
      for (int i = 0; i < 8; ++i) buf[4 + i] = (t >> (56 - 8 * i)) & 0xff;
      m_sock->SendTo(ns3::Create<ns3::Packet>(buf.data(), m_size), 0,
                     ns3::InetSocketAddress(ns3::Ipv4Address(m_dst), m_port));
      sentBytes += m_size;
    }
    ++sent;
    m_event = ns3::Simulator::Schedule(m_interval, &UdpFlowSender::Send, this);
  }
  ns3::Time m_interval, m_off;
  uint32_t m_size, m_dst = 0;
  uint16_t m_port;
  ns3::EventId m_event;
};

class UdpFlowReceiver : public ns3::SimpleRefCount<UdpFlowReceiver, UdpSink> {
 public:
  UdpFlowReceiver(ns3::Ptr<ns3::Node> node, uint16_t port) { Open(node, port); }
  std::vector<uint32_t> seqs;
  std::vector<int64_t> sentNs;

 private:
  bool Accept(ns3::Ptr<ns3::Packet> p) override {
    uint8_t b[12];
    if (p->GetSize() < 12) return false;
    p->CopyData(b, 12);
    seqs.push_back((uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    int64_t t = 0;
    for (int i = 0; i < 8; ++i) t = (t << 8) | b[4 + i];
    sentNs.push_back(t);
    return true;
  }
};

// ---- RTP: voice-like packets both ways (SIP calls and the other real-time policies) ----------
class RtpSender : public ns3::SimpleRefCount<RtpSender, UdpSource> {
 public:
  RtpSender(ns3::Ptr<ns3::Node> node, uint16_t local_port, double interval_s, uint32_t payload,
            uint32_t ssrc, uint32_t ts_step)
      : m_interval(ns3::Seconds(interval_s)), m_payload(payload), m_ssrc(ssrc), m_step(ts_step) {
    m_sock = BoundUdpSocket(node, local_port);
  }
  void SetDestination(uint32_t ip, uint16_t port) { m_dst = ip; m_port = port; }
  void Start(double stop_s) {
    if (m_running) return;
    m_running = true;
    startNs = ns3::Simulator::Now().GetNanoSeconds();
    m_stop = ns3::Seconds(stop_s);
    Send();
  }
  // The call ended (BYE): no packet from now on.
  void Stop() { m_stop = ns3::Simulator::Now(); }
  uint32_t sent = 0;
  uint64_t sentBytes = 0;
  int64_t startNs = -1;  // packet k was sent at startNs + k * interval (RTP timestamp / 8000 Hz)

 private:
  void Send() {
    if (!m_sock || ns3::Simulator::Now() >= m_stop) return;
    std::vector<uint8_t> b(12 + m_payload, 0xD5);  // PCMU silence
    uint16_t seq = (uint16_t)(sent & 0xffff);
    uint32_t ts = sent * m_step;
    b[0] = 0x80;
    b[1] = 0;  // PCMU
    b[2] = seq >> 8; b[3] = seq & 0xff;
    for (int i = 0; i < 4; ++i) b[4 + i] = (ts >> (24 - 8 * i)) & 0xff;
    for (int i = 0; i < 4; ++i) b[8 + i] = (m_ssrc >> (24 - 8 * i)) & 0xff;
    ++sent;
    if (m_dst) {
      m_sock->SendTo(ns3::Create<ns3::Packet>(b.data(), b.size()), 0,
                     ns3::InetSocketAddress(ns3::Ipv4Address(m_dst), m_port));
      sentBytes += b.size();
    }
    ns3::Simulator::Schedule(m_interval, &RtpSender::Send, this);
  }
  ns3::Time m_interval, m_stop;
  uint32_t m_payload, m_ssrc, m_step, m_dst = 0;
  uint16_t m_port = 0;
  bool m_running = false;
};

class RtpSink : public ns3::SimpleRefCount<RtpSink, UdpSink> {
 public:
  RtpSink(ns3::Ptr<ns3::Node> node, uint16_t port) { Open(node, port); }
  std::vector<uint32_t> seqs, timestamps, ssrcs;

 private:
  bool Accept(ns3::Ptr<ns3::Packet> p) override {
    if (p->GetSize() < 12) return false;
    uint8_t b[12];
    p->CopyData(b, 12);
    seqs.push_back((uint32_t)b[2] << 8 | b[3]);
    timestamps.push_back((uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7]);
    ssrcs.push_back((uint32_t)b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11]);
    return true;
  }
};

// ---- The TCP transfer: a paced bulk sender and a verifying sink ------------------------------
// The sender is paced by an allowance (rate x time since connected, plus one segment) that it
// writes every 10 ms and whenever TCP frees buffer space, in whole segments: the segments on the
// air are segment_bytes long, whatever the rate (only the last one may be shorter).
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
  // [[flows]]: stop writing at stop_s; what is queued then is the transfer (FIN after it).
  void StopAt(double stop_s) {
    ns3::Simulator::Schedule(ns3::Seconds(stop_s) - ns3::Simulator::Now(), &TcpBulkSender::Stop,
                             this);
  }
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
    startNs = NowNs();
    m_sock->Connect(ns3::InetSocketAddress(ns3::Ipv4Address(m_dst), m_port));
  }
  void Connected(ns3::Ptr<ns3::Socket> s) {
    connectedNs = NowNs();
    ns3::Address a;
    s->GetPeerName(a);
    peerAddress = ns3::InetSocketAddress::ConvertFrom(a).GetIpv4().Get();
    s->SetSendCallback(ns3::MakeCallback(&TcpBulkSender::Writable, this));
    Fill();
  }
  void Failed(ns3::Ptr<ns3::Socket>) { ++connectFailures; }
  void Stop() {
    if (!m_sock || m_finished) return;
    m_total = queued;
    m_finished = true;
    m_sock->Close();
    if (m_total > 0 && acked == m_total && completedNs < 0) completedNs = NowNs();
  }
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
    if (acked == m_total && completedNs < 0) completedNs = NowNs();
  }
  void Fill() {
    if (!m_sock || m_finished) return;
    uint64_t allowed = m_total;
    if (m_rate > 0) {
      double t = (NowNs() - connectedNs) * 1e-9;
      allowed = std::min<uint64_t>(m_total, (uint64_t)(m_rate / 8.0 * t) + m_segment);
    }
    while (queued < allowed) {
      uint64_t room = m_sock->GetTxAvailable();
      uint64_t n = std::min<uint64_t>({allowed - queued, room, 65536});
      // Whole segments only, but for the transfer's last bytes: ns-3's TCP (TcpNoDelay) sends
      // each write at once, so a partial allowance would go out as a short segment of its own.
      if (queued + n < m_total) n -= n % m_segment;
      if (n == 0) break;
      std::vector<uint8_t> b(n);
      for (uint32_t i = 0; i < n; ++i) b[i] = PatternByte(queued + i);
      int sent = m_sock->Send(ns3::Create<ns3::Packet>(b.data(), (uint32_t)n), 0);
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
      int64_t now = NowNs();
      size_t bin = (size_t)(now / m_binNs);
      if (bins.size() <= bin) bins.resize(bin + 1, 0);
      bins[bin] += n;
      readNs.push_back(now);
    }
  }
  void NormalClose(ns3::Ptr<ns3::Socket>) {
    ++normalCloses;
    finNs = NowNs();
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

}  // namespace imm

#endif  // IMM_TRAFFIC_H
