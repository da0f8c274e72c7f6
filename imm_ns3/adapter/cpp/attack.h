// The attacker's node ([[attacks]], docs/security.md): whatever data reaches it is counted and
// dropped in C++, never answered (no TCP reset, no ICMP port unreachable that would tell the
// victim's correspondent something is wrong). Compiled once per process after bridge.h.
//
// imm::Capture takes a transport protocol's place in the node's Ipv4L3Protocol, like
// imm::MipHook: datagrams to a listed port (the attacker's own control sockets: MIP-LR, Mobile
// IP, SIP) go on to the real UDP; everything else (TCP, RTP, the probe, IP-in-IP from a home
// agent, for which the node has no protocol of its own) is recorded as (arrival time, bytes)
// and dropped.
//
// An attacker station (the same-cell kinds: a mobile host) keeps its own traffic: in steal mode
// only packets to an address it took over -- any address of the receiving interface but its
// first, its own care-of address -- are recorded and dropped; the rest go on to the real
// protocol.
// requires: bridge.h

#ifndef IMM_ATTACK_H
#define IMM_ATTACK_H

#include <cstdint>
#include <set>
#include <vector>

namespace imm {

class Capture : public ns3::IpL4Protocol {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid =
        ns3::TypeId("imm::Capture").SetParent<ns3::IpL4Protocol>().SetGroupName("imm");
    return tid;
  }

  void Wrap(ns3::Ptr<ns3::Node> node, int protocol) {
    auto l3 = node->GetObject<ns3::Ipv4L3Protocol>();
    m_inner = l3->GetProtocol(protocol);  // none for IP-in-IP (4): then everything is counted
    m_protocol = protocol;
    if (m_inner) l3->Remove(m_inner);
    l3->Insert(this);
  }
  void PassPort(uint16_t port) { m_pass.insert(port); }
  void StealMode() { m_steal = true; }

  int GetProtocolNumber() const override { return m_protocol; }

  RxStatus Receive(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                   ns3::Ptr<ns3::Ipv4Interface> iif) override {
    if (m_steal && m_inner && !Stolen(header.GetDestination(), iif))
      return m_inner->Receive(p, header, iif);
    if (!m_steal && m_inner && m_protocol == 17 && p->GetSize() >= 4) {
      uint8_t b[4];
      p->CopyData(b, 4);
      uint16_t dport = (uint16_t)(b[2] << 8 | b[3]);
      if (m_pass.count(dport)) return m_inner->Receive(p, header, iif);
    }
    arrivalNs.push_back(ns3::Simulator::Now().GetNanoSeconds());
    arrivalBytes.push_back(p->GetSize() + header.GetSerializedSize());
    return RX_OK;
  }
  RxStatus Receive(ns3::Ptr<ns3::Packet> p, const ns3::Ipv6Header& header,
                   ns3::Ptr<ns3::Ipv6Interface> iif) override {
    return m_inner ? m_inner->Receive(p, header, iif) : RX_OK;
  }
  void ReceiveIcmp(ns3::Ipv4Address icmpSource, uint8_t ttl, uint8_t type, uint8_t code,
                   uint32_t info, ns3::Ipv4Address src, ns3::Ipv4Address dst,
                   const uint8_t payload[8]) override {
    if (m_inner) m_inner->ReceiveIcmp(icmpSource, ttl, type, code, info, src, dst, payload);
  }
  void SetDownTarget(DownTargetCallback cb) override {
    if (m_inner) m_inner->SetDownTarget(cb); else m_down = cb;
  }
  void SetDownTarget6(DownTargetCallback6 cb) override {
    if (m_inner) m_inner->SetDownTarget6(cb); else m_down6 = cb;
  }
  DownTargetCallback GetDownTarget() const override {
    return m_inner ? m_inner->GetDownTarget() : m_down;
  }
  DownTargetCallback6 GetDownTarget6() const override {
    return m_inner ? m_inner->GetDownTarget6() : m_down6;
  }

  std::vector<int64_t> arrivalNs;
  std::vector<uint32_t> arrivalBytes;  // IP packets: payload, transport and IPv4 headers

 protected:
  void DoDispose() override {
    m_inner = nullptr;
    m_down = DownTargetCallback();
    m_down6 = DownTargetCallback6();
    ns3::IpL4Protocol::DoDispose();
  }

 private:
  static bool Stolen(ns3::Ipv4Address dst, ns3::Ptr<ns3::Ipv4Interface> iif) {
    for (uint32_t j = 1; iif && j < iif->GetNAddresses(); ++j)
      if (iif->GetAddress(j).GetLocal() == dst) return true;
    return false;
  }

  ns3::Ptr<ns3::IpL4Protocol> m_inner;
  bool m_steal = false;
  DownTargetCallback m_down;
  DownTargetCallback6 m_down6;
  int m_protocol = 0;
  std::set<uint16_t> m_pass;
};

inline ns3::Ptr<Capture> InstallCapture(ns3::Ptr<ns3::Node> node, int protocol) {
  auto c = ns3::CreateObject<Capture>();
  c->Wrap(node, protocol);
  KeepUntilDestroy(c);
  return c;
}

}  // namespace imm

#endif  // IMM_ATTACK_H
