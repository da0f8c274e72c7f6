// RTP media for the SIP adapter (adapter/sip.py): a voice-like sender and a receiver that
// records (sequence number, RTP timestamp, arrival time) of every packet. All in C++: no Python
// per media packet. Compiled once per process after shims.h.

#include <cstdint>
#include <vector>

namespace imm {

class RtpSender : public ns3::SimpleRefCount<RtpSender> {
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
  void Close() {
    if (m_sock) m_sock->Close();
    m_sock = nullptr;
  }
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
  ns3::Ptr<ns3::Socket> m_sock;
  ns3::Time m_interval, m_stop;
  uint32_t m_payload, m_ssrc, m_step, m_dst = 0;
  uint16_t m_port = 0;
  bool m_running = false;
};

class RtpSink : public ns3::SimpleRefCount<RtpSink> {
 public:
  RtpSink(ns3::Ptr<ns3::Node> node, uint16_t port) {
    m_sock = BoundUdpSocket(node, port);
    m_sock->SetRecvCallback(ns3::MakeCallback(&RtpSink::Recv, this));
  }
  void Close() {
    if (m_sock) m_sock->Close();
    m_sock = nullptr;
  }
  std::vector<uint32_t> seqs, timestamps, ssrcs;
  std::vector<int64_t> arrivals;
  uint64_t bytes = 0;

 private:
  void Recv(ns3::Ptr<ns3::Socket> s) {
    ns3::Ptr<ns3::Packet> p;
    while ((p = s->Recv())) {
      if (p->GetSize() < 12) continue;
      uint8_t b[12];
      p->CopyData(b, 12);
      seqs.push_back((uint32_t)b[2] << 8 | b[3]);
      timestamps.push_back((uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7]);
      ssrcs.push_back((uint32_t)b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11]);
      arrivals.push_back(ns3::Simulator::Now().GetNanoSeconds());
      bytes += p->GetSize();
    }
  }
  ns3::Ptr<ns3::Socket> m_sock;
};

}  // namespace imm
