// The mobile host's side of MMP at the IP layer (adapter/mmp.py): when it last sent from its
// own address (the idle route-update of [0051]) and the single receiver of [0035]/[0036] on a
// two-radio host. Compiled once per process after shims.h.

#include <cstdint>
#include <unordered_map>

namespace imm {

// Last time a node sent an IPv4 packet from one of its own addresses (for the idle route-update
// of [0051]): only such packets refresh the MMP caches on their way up. A mobile host's TCP
// leaves with its permanent address as source under MIP-LR ([0065]) and refreshes nothing.
std::unordered_map<uint32_t, int64_t> g_last_tx_ns;
inline void OnIpTx(uint32_t node, ns3::Ptr<const ns3::Packet> p, ns3::Ptr<ns3::Ipv4> ipv4,
                   uint32_t iface) {
  ns3::Ipv4Header h;
  if (p->PeekHeader(h) == 0) return;
  for (uint32_t j = 0; j < ipv4->GetNAddresses(iface); ++j)
    if (ipv4->GetAddress(iface, j).GetLocal() == h.GetSource()) {
      g_last_tx_ns[node] = ns3::Simulator::Now().GetNanoSeconds();
      return;
    }
}
inline bool TrackSends(ns3::Ptr<ns3::Node> node) {
  auto ipv4 = node->GetObject<ns3::Ipv4L3Protocol>();
  return ipv4->TraceConnectWithoutContext("Tx", ns3::MakeBoundCallback(&OnIpTx, node->GetId()));
}
inline int64_t LastTxNs(uint32_t node) {
  auto it = g_last_tx_ns.find(node);
  return it == g_last_tx_ns.end() ? -1 : it->second;
}

// ---- The single receiver of [0035]/[0036] on a two-radio mobile host ------------------------
// The host runs the strong end-system model and does not forward, and adapter/mmp.py puts the
// care-of address only on the radio associated with the base station the host listens to:
// unicast packets arriving on the other radio are dropped by IPv4. Counted here per node.
std::unordered_map<uint32_t, uint64_t> g_not_listening;
inline void OnIpDrop(uint32_t node, const ns3::Ipv4Header& h, ns3::Ptr<const ns3::Packet>,
                     ns3::Ipv4L3Protocol::DropReason, ns3::Ptr<ns3::Ipv4>, uint32_t) {
  if (!h.GetDestination().IsBroadcast()) ++g_not_listening[node];
}
inline bool TrackNotListening(ns3::Ptr<ns3::Node> node) {
  return node->GetObject<ns3::Ipv4L3Protocol>()->TraceConnectWithoutContext(
      "Drop", ns3::MakeBoundCallback(&OnIpDrop, node->GetId()));
}
inline uint64_t NotListeningDrops(uint32_t node) {
  auto it = g_not_listening.find(node);
  return it == g_not_listening.end() ? 0 : it->second;
}

inline void ResetMmpState() {
  g_last_tx_ns.clear();
  g_not_listening.clear();
}

}  // namespace imm
