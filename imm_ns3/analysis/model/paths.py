"""Wired paths of the planned topology, their delays, and the macro-mobility paths (Mobile
IP's triangle [0005], MIP-LR's direct route [0058])."""

from __future__ import annotations

import heapq
import math

from .airtime import unicast_s


# ---- wired paths -----------------------------------------------------------------------------
def _graph(topo) -> dict[str, dict[str, tuple[float, float]]]:
    """Wired neighbours: (one-way delay s, rate bit/s) per edge, the fastest of parallel links."""
    g: dict[str, dict[str, tuple[float, float]]] = {}

    def edge(a, b, delay_ms, rate_mbps):
        cur = g.setdefault(a, {}).get(b)
        new = (delay_ms * 1e-3, rate_mbps * 1e6)
        if cur is None or new[0] < cur[0]:
            g[a][b] = new

    for lk in topo.links:
        edge(lk.a, lk.b, lk.delay_ms, lk.rate_mbps)
        edge(lk.b, lk.a, lk.delay_ms, lk.rate_mbps)
    for lan in topo.lans:
        for x in lan.members:
            for y in lan.members:
                if x != y:
                    edge(x, y, lan.delay_ms, lan.rate_mbps)
    return g


def wired_path(topo, a: str, b: str) -> list[str]:
    """The lowest-delay wired path from ``a`` to ``b`` (node names, both ends included)."""
    g = _graph(topo)
    if a not in g or b not in g:
        missing = a if a not in g else b
        raise KeyError(f"{missing!r} is not a wired node of the topology")
    dist, prev = {a: 0.0}, {}
    heap = [(0.0, a)]
    while heap:
        d, n = heapq.heappop(heap)
        if n == b:
            break
        if d > dist[n]:
            continue
        for m, (delay, _) in g[n].items():
            nd = d + delay + 1e-9  # fewer hops on ties
            if nd < dist.get(m, math.inf):
                dist[m], prev[m] = nd, n
                heapq.heappush(heap, (nd, m))
    if b not in dist:
        raise ValueError(f"no wired path from {a!r} to {b!r}")
    path = [b]
    while path[-1] != a:
        path.append(prev[path[-1]])
    return path[::-1]


def hops_s(topo, path: list[str], size_bytes: int) -> float:
    """One-way delay along ``path``: propagation plus serialisation of an IP datagram of
    ``size_bytes`` (plus 2 bytes of point-to-point framing) on every hop."""
    g = _graph(topo)
    total = 0.0
    for x, y in zip(path, path[1:]):
        delay, rate = g[x][y]
        total += delay + (size_bytes + 2) * 8 / rate
    return total


def path_s(topo, a: str, b: str, size_bytes: int = 60) -> float:
    return hops_s(topo, wired_path(topo, a, b), size_bytes)


def _gateway_of(topo, bs: str) -> str:
    return topo.primary_path(bs)[-1]


def _border_router(topo, bs: str) -> str | None:
    return topo.border_router(topo.subnet_of(bs))


def one_way_s(topo, a: str, b: str, size_bytes: int = 200) -> float:
    """Wired one-way delay between two fixed nodes (a mobile host: its base station's)."""
    return path_s(topo, a, b, size_bytes)


def mobile_ip_delay_s(topo, ch: str, home_agent: str, bs: str, size_bytes: int = 200) -> float:
    """Correspondent to mobile host under classic Mobile IP: through the home agent, tunnelled
    (20 more bytes) from there ([0005])."""
    return (path_s(topo, ch, home_agent, size_bytes)
            + path_s(topo, home_agent, _gateway_of(topo, bs), size_bytes + 20)
            + path_s(topo, _gateway_of(topo, bs), bs, size_bytes + 20)
            + unicast_s(size_bytes + 20))


def miplr_delay_s(topo, ch: str, bs: str, size_bytes: int = 200) -> float:
    """Correspondent to mobile host under MIP-LR: straight to the care-of address ([0058])."""
    return path_s(topo, ch, bs, size_bytes) + unicast_s(size_bytes)
