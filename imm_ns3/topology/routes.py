"""Unicast routes of the fixed network (static routes the builder installs), and the plan's
one-line errors."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from ..scenario import Scenario
from .plan import Topology, build_topology


# --------------------------------------------------------------------------------------------
# Unicast routes of the fixed network
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """``dest`` is reached through neighbour ``via`` (None for a default route's dest)."""

    dest: ipaddress.IPv4Network | None  # None = default route
    via: str


def _adjacency(t: Topology) -> dict[str, dict[str, float]]:
    """Wired neighbours with the link delay (ms) as cost; a small per-hop cost breaks ties."""
    adj: dict[str, dict[str, float]] = {n: {} for n, p in t.nodes.items() if p.role != "mobile_host"}
    for lk in t.links:
        cost = lk.delay_ms + 1e-3
        adj[lk.a][lk.b] = min(cost, adj[lk.a].get(lk.b, math.inf))
        adj[lk.b][lk.a] = min(cost, adj[lk.b].get(lk.a, math.inf))
    for lan in t.lans:
        for x in lan.members:
            for y in lan.members:
                if x != y:
                    adj[x][y] = lan.delay_ms + 1e-3
    return adj


def destinations(t: Topology) -> list[tuple[ipaddress.IPv4Network, tuple[str, ...]]]:
    """Every routed network with the nodes that own it (are attached to it)."""
    out: list[tuple[ipaddress.IPv4Network, tuple[str, ...]]] = []
    for lk in t.links:
        out.append((lk.network, (lk.a, lk.b)))
    for lan in t.lans:
        out.append((lan.network, lan.members))
    for sname, sn in t.scenario.subnets.items():
        if sn.kind == "wireless":
            # From outside, a wireless sub-network is reached at its top: the border router,
            # or the gateway of its only domain. Inside, MMP routes ([0030]-[0032]).
            top = f"{sname}-br" if f"{sname}-br" in t.nodes else next(
                n for n in t.scenario.nodes
                if t.scenario.nodes[n].role == "gateway"
                and t.scenario.domains[t.scenario.nodes[n].domain].subnet == sname)
            out.append((ipaddress.IPv4Network(sn.prefix), (top,)))
    # The mobile hosts' permanent (home) addresses belong to the home network: a packet sent to
    # one is routed to the home agent ([0005]; classic Mobile IP tunnels it on from there).
    agents = [h for h, host in t.scenario.hosts.items() if host.role == "home_agent"]
    if agents:
        out.append((ipaddress.IPv4Network(t.scenario.mobile_hosts.permanent_prefix), (agents[0],)))
    return out


def static_routes(t: Topology) -> dict[str, list[Route]]:
    """Shortest-delay unicast routes of every fixed node, compressed behind a default route.

    For each destination network, a multi-source Dijkstra from its owners gives every node its
    next hop; each node's most frequent next hop becomes its default route and only the other
    destinations get explicit routes (backbone routers keep full tables). Directly attached
    networks need no route.
    """
    import heapq

    adj = _adjacency(t)
    next_hops: dict[str, dict[ipaddress.IPv4Network, str]] = {n: {} for n in adj}
    for net, owners in destinations(t):
        dist = {o: 0.0 for o in owners}
        hop: dict[str, str] = {}
        heap = [(0.0, o, o) for o in sorted(owners)]
        heapq.heapify(heap)
        while heap:
            d, n, towards = heapq.heappop(heap)
            if d > dist.get(n, math.inf):
                continue
            for nb, c in sorted(adj[n].items()):
                nd = d + c
                if nd < dist.get(nb, math.inf) - 1e-12:
                    dist[nb] = nd
                    hop[nb] = n  # nb reaches net through n
                    heapq.heappush(heap, (nd, nb, towards))
        for n, via in hop.items():
            if n not in owners:
                next_hops[n][net] = via
    routes: dict[str, list[Route]] = {}
    for n, table in next_hops.items():
        if t.nodes[n].role == "backbone_router":
            # Backbone routers hold full tables: a default route there could only loop.
            routes[n] = [Route(net, via) for net, via in sorted(table.items(), key=lambda kv: kv[0])]
            continue
        if not table:
            routes[n] = []
            continue
        counts: dict[str, int] = {}
        for via in table.values():
            counts[via] = counts.get(via, 0) + 1
        default = max(sorted(counts), key=lambda v: counts[v])
        rs = [Route(None, default)]
        rs += [Route(net, via) for net, via in sorted(table.items(), key=lambda kv: kv[0])
               if via != default]
        routes[n] = rs
    return routes


def neighbour_address(t: Topology, node: str, via: str) -> tuple[ipaddress.IPv4Address, str]:
    """``via``'s address on the link it shares with ``node``, and that link's kind ('p2p'/'lan')."""
    for lk in t.links:
        if (lk.a, lk.b) == (node, via):
            return lk.addr_b, "p2p"
        if (lk.a, lk.b) == (via, node):
            return lk.addr_a, "p2p"
    for lan in t.lans:
        if node in lan.members and via in lan.members:
            return lan.addresses[lan.members.index(via)], "lan"
    raise KeyError(f"{node} and {via} share no link")


def plan_or_error(s: Scenario) -> Topology:
    """:func:`build_topology`, with planning problems reported as a ScenarioError."""
    from ..scenario import ScenarioError

    try:
        return build_topology(s)
    except ValueError as e:
        raise ScenarioError([str(e)]) from None
