// Classic Mobile IP ([0005]), the baseline MIP-LR is compared with (adapter/miplr.py). Compiled
// once per process after bridge.h.
//
// imm::HomeAgentRouting intercepts packets for a mobile host's home address at the home agent
// and tunnels them IP-in-IP (protocol 4) to the care-of address; imm::IpInIp at the mobile host
// takes the inner packet out and hands it to its transport protocol.
// requires: bridge.h records.h

#ifndef IMM_MIP_TUNNEL_H
#define IMM_MIP_TUNNEL_H

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <unordered_map>
#include <vector>

namespace imm {

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
    else m_bindings[home] = {coa, NowNs() + (int64_t)(lifetime_s * 1e9)};
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
    if (it->second.second <= NowNs()) {
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
  KeepUntilDestroy(d);
  return d;
}

}  // namespace imm

#endif  // IMM_MIP_TUNNEL_H
