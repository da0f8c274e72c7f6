// IPv4 and ARP helpers: interface addresses, static and host routes, a host's one default
// route and address, ARP entries (adapter/builder.py, adapter/mmp_env.py). Compiled with bridge.h
// by runtime.shims().
// requires: bridge.h

#ifndef IMM_IPV4_H
#define IMM_IPV4_H

#include <cstdint>

namespace imm {

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

}  // namespace imm

#endif  // IMM_IPV4_H
