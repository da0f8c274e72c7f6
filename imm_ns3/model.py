"""Analytic models beside the simulated numbers: pure Python, no ns-3.

Every experiment's figure overlays what these predict, and ``results/model-check.csv`` lists
one row per compared quantity (simulated, model, relative error). The models are deliberately
simple first-order ones, so a disagreement points at something the simulation does that the
model leaves out (a lost broadcast, a retry, a queue), which the results README then names.

Handoff latency ([0046]-[0053], Figure 4A) is a sum of fixed delays and independent uniform
waits: the radio's detection (``max_missed_beacons`` beacon intervals after the last beacon
heard) and re-association (the probe timeout plus the management frames), then MMP's wait for
the new base station's beacon (uniform over its period), for a DRCP advertisement when the
domain changed (uniform over the advertisement interval), the DRCP exchange when the
sub-network changed, and the registration's round trip to the gateway. :class:`Latency` keeps
the fixed part and the uniform widths apart, so it gives the mean, the median and the whole
distribution (a convolution of uniforms), not only an expectation.

Functions take the planned :class:`imm_ns3.topology.Topology`, so the wired delays are those of
the scenario actually simulated.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace

from .topology import scan_channels

# 802.11g (ERP-OFDM) timing, IEEE 802.11-2016 Table 18-17: short slot, SIFS, preamble+header.
SLOT_S = 9e-6
SIFS_S = 10e-6
DIFS_S = SIFS_S + 2 * SLOT_S
PLCP_S = 20e-6
SIGNAL_EXTENSION_S = 6e-6
CW_MIN = 15
MAC_OVERHEAD_BYTES = 36  # MAC header 24 + FCS 4 + LLC/SNAP 8
ACK_BYTES = 14


def ofdm_airtime_s(payload_bytes: int, rate_mbps: float) -> float:
    """Time on air of one OFDM frame carrying ``payload_bytes`` of IP datagram at
    ``rate_mbps`` (service and tail bits included, rounded up to whole 4 us symbols)."""
    bits_per_symbol = rate_mbps * 4
    symbols = math.ceil((16 + 6 + 8 * payload_bytes) / bits_per_symbol)
    return PLCP_S + 4e-6 * symbols + SIGNAL_EXTENSION_S


def unicast_s(payload_bytes: int, rate_mbps: float = 24.0) -> float:
    """One unicast frame on an idle channel: DIFS, mean backoff, the frame, SIFS and the ACK (at
    the highest mandatory rate not above the data rate: 6, 12 or 24 Mbit/s)."""
    ack_rate = 24.0 if rate_mbps >= 24 else (12.0 if rate_mbps >= 12 else 6.0)
    return (DIFS_S + CW_MIN / 2 * SLOT_S
            + ofdm_airtime_s(payload_bytes + MAC_OVERHEAD_BYTES, rate_mbps)
            + SIFS_S + ofdm_airtime_s(ACK_BYTES - 2, ack_rate))


def broadcast_s(payload_bytes: int, rate_mbps: float = 6.0) -> float:
    """One broadcast frame at the basic rate: no acknowledgement."""
    return DIFS_S + CW_MIN / 2 * SLOT_S + ofdm_airtime_s(payload_bytes + MAC_OVERHEAD_BYTES,
                                                         rate_mbps)


# ---- a latency made of fixed delays and uniform waits ------------------------------------------
@dataclass(frozen=True)
class Latency:
    """``fixed_s`` plus the sum of independent waits uniform on [0, w] for w in ``uniform_s``,
    plus, for (w, k) in ``first_of_s``, the wait for the first of k independent periodic events
    of period w, each uniformly phased (the minimum of k uniforms on [0, w]). ``parts`` names
    each contribution (for tables and stacked bars)."""

    fixed_s: float = 0.0
    uniform_s: tuple[float, ...] = ()
    parts: tuple[tuple[str, float], ...] = field(default=())  # (name, mean contribution)
    first_of_s: tuple[tuple[float, int], ...] = ()

    def __add__(self, other: "Latency") -> "Latency":
        return Latency(self.fixed_s + other.fixed_s, self.uniform_s + other.uniform_s,
                       self.parts + other.parts, self.first_of_s + other.first_of_s)

    @property
    def mean(self) -> float:
        return (self.fixed_s + sum(self.uniform_s) / 2
                + sum(w / (k + 1) for w, k in self.first_of_s))

    @property
    def std(self) -> float:
        # var of the minimum of k uniforms on [0, w]: k w^2 / ((k + 1)^2 (k + 2))
        return math.sqrt(sum(w * w / 12 for w in self.uniform_s)
                         + sum(k * w * w / ((k + 1) ** 2 * (k + 2)) for w, k in self.first_of_s))

    @property
    def max(self) -> float:
        return self.fixed_s + sum(self.uniform_s) + sum(w for w, _ in self.first_of_s)

    def cdf(self, t: float) -> float:
        """P(latency <= t): the Irwin-Hall-type closed form of a sum of uniforms of unequal
        widths (inclusion-exclusion over the corners of the box); a first-of term is integrated
        numerically against it (its density k (1 - m/w)^(k-1) / w on [0, w], Simpson's rule)."""
        if self.first_of_s:
            (w, k), rest = self.first_of_s[0], replace(self, first_of_s=self.first_of_s[1:])
            if w <= 0:
                return rest.cdf(t)
            n = 400  # even: Simpson
            h = w / n
            total = 0.0
            for i in range(n + 1):
                m = i * h
                c = 1 if i in (0, n) else (4 if i % 2 else 2)
                total += c * k * (1 - m / w) ** (k - 1) / w * rest.cdf(t - m)
            return min(1.0, max(0.0, total * h / 3))
        x = t - self.fixed_s
        ws = [w for w in self.uniform_s if w > 0]
        if not ws:
            return 1.0 if x >= 0 else 0.0
        if x <= 0:
            return 0.0
        if x >= sum(ws):
            return 1.0
        n = len(ws)
        total = 0.0
        for mask in range(1 << n):
            s = sum(ws[i] for i in range(n) if mask >> i & 1)
            if x > s:
                sign = -1.0 if bin(mask).count("1") % 2 else 1.0
                total += sign * (x - s) ** n
        return min(1.0, max(0.0, total / (math.factorial(n) * math.prod(ws))))

    def quantile(self, q: float) -> float:
        if not 0 <= q <= 1:
            raise ValueError(f"q: between 0 and 1, got {q!r}")
        lo, hi = self.fixed_s, self.max
        if hi <= lo:
            return lo
        for _ in range(60):
            mid = (lo + hi) / 2
            if self.cdf(mid) < q:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    @property
    def median(self) -> float:
        return self.quantile(0.5)


def fixed(name: str, s: float) -> Latency:
    return Latency(s, (), ((name, s),))


def uniform(name: str, width_s: float) -> Latency:
    return Latency(0.0, (width_s,), ((name, width_s / 2),))


def first_of(name: str, period_s: float, k: int) -> Latency:
    """The wait for the first of ``k`` independent periodic events of period ``period_s``, each
    with a uniform phase: e.g. a node that re-checks a deadline both on its own timer and on
    every beacon of another gateway notices it at whichever comes first (mean period / (k + 1))."""
    if k < 1:
        raise ValueError(f"k: at least 1, got {k!r}")
    return Latency(0.0, (), ((name, period_s / (k + 1)),), ((period_s, k),))


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


# ---- handoff latency per movement kind --------------------------------------------------------
# Message sizes on the wire (IP + UDP + the codec's encoding), for serialisation delays.
REGISTRATION_BYTES = 28 + 16
ACK_BYTES_IP = 28 + 16
DRCP_REQUEST_BYTES = 28 + 16
DRCP_REPLY_BYTES = 28 + 24
MGMT_FRAME_BYTES = 60  # probe, authentication and association frames, about


# Scanning several channels (a channel plan; imm_ns3/adapter/channel_scan.h): ns-3 3.44's
# StaWifiMac ProbeDelay (uniform 50-250 us: its mean), PHY ChannelSwitchDelay and
# WaitBeaconTimeout (the passive dwell on each channel).
PROBE_DELAY_MEAN_S = 150e-6
CHANNEL_SWITCH_S = 250e-6
PASSIVE_DWELL_S = 0.120


def radio_latency(scenario) -> Latency:
    """Radio-level handoff ([0047]): the station gives its base station up ``max_missed_beacons``
    beacon intervals after the last beacon it heard, then scans (active: the probe timeout)
    and authenticates and associates (four management frames, with the probe exchange six, at
    the 6 Mbit/s basic rate). With a channel plan of n channels the scan dwells on each in
    turn: n times (probe delay + probe timeout), or n passive dwells, plus about n channel
    switches."""
    w = scenario.wifi
    lat = fixed("detection", w.max_missed_beacons * w.beacon_interval_s)
    plan = scan_channels(scenario)
    if plan:
        dwell = (PROBE_DELAY_MEAN_S + w.probe_request_timeout_s if w.active_probing
                 else PASSIVE_DWELL_S)
        lat = lat + fixed("scan", len(plan) * (dwell + CHANNEL_SWITCH_S))
    elif w.active_probing:
        lat = lat + fixed("scan", w.probe_request_timeout_s)
    else:
        lat = lat + uniform("scan", w.beacon_interval_s)
    frames = 6 if w.active_probing else 4
    return lat + fixed("association", frames * unicast_s(MGMT_FRAME_BYTES, 6.0))


ARP_BYTES = 28


def arp_exchange_s() -> float:
    """An ARP request broadcast at the basic rate and its unicast reply."""
    return broadcast_s(ARP_BYTES) + unicast_s(ARP_BYTES)


def registration_rtt(topo, bs: str) -> Latency:
    """A registration from the host at ``bs`` to its domain's gateway and the acknowledgement
    back. The gateway sends the border router the host route first and the acknowledgement
    after it, addressed to the care-of address: with a border router above the gateway it goes
    up and comes back down ([0049], [0050]). On a new cell both ends resolve each other first:
    the host its new default router (the base station), the base station the care-of address."""
    gw = _gateway_of(topo, bs)
    up = unicast_s(REGISTRATION_BYTES) + path_s(topo, bs, gw, REGISTRATION_BYTES)
    br = _border_router(topo, bs)
    down_path = ([gw, br] + wired_path(topo, br, gw)[1:] if br else [gw]) + \
        wired_path(topo, gw, bs)[1:]
    down = hops_s(topo, down_path, ACK_BYTES_IP) + unicast_s(ACK_BYTES_IP)
    return fixed("registration", up + down) + fixed("ARP", 2 * arp_exchange_s())


def drcp_rtt(topo, bs: str) -> Latency:
    """A DRCP request from the host at ``bs`` to its sub-network's server and the reply flooded
    back down the tree and broadcast on the cell ([0029], [0050]); with broadcast jitter, a
    uniform wait up to it before the broadcast."""
    server = f"{topo.subnet_of(bs)}-drcp"
    up = unicast_s(DRCP_REQUEST_BYTES) + path_s(topo, bs, server, DRCP_REQUEST_BYTES)
    down = path_s(topo, server, bs, DRCP_REPLY_BYTES) + broadcast_s(DRCP_REPLY_BYTES)
    lat = fixed("DRCP", up + down)
    jitter = topo.scenario.mmp.broadcast_jitter_s
    return lat + uniform("DRCP", jitter) if jitter > 0 else lat


def mmp_latency(topo, kind: str, new_bs: str) -> Latency:
    """MMP's part after the radio's (Figure 4A, steps 404-418): with interface monitoring the
    wait for the daemon's next poll (uniform over mmp.monitor_interval_s), the new base
    station's beacon (uniform over its period), then by kind of movement
    intra-domain: the cache hand-off is sent at once (no acknowledgement, [0048]);
    inter-domain: the DRCP advertisement (uniform over its interval), a registration ([0049]);
    inter-subnet: the advertisement, a DRCP exchange, a registration ([0050])."""
    s = topo.scenario
    lat = uniform("BS beacon", s.mmp.bs_beacon_interval_s)
    if s.mmp.monitor_interval_s > 0:
        lat = uniform("interface poll", s.mmp.monitor_interval_s) + lat
    if kind == "intra_domain":
        return lat
    if kind not in ("inter_domain", "inter_subnet"):
        raise ValueError(f"kind: one of intra_domain, inter_domain, inter_subnet; got {kind!r}")
    lat = lat + uniform("advertisement", s.drcp.advertisement_interval_s)
    jitter = s.mmp.broadcast_jitter_s
    if jitter > 0:
        lat = lat + uniform("advertisement", jitter)
    if kind == "inter_subnet":
        lat = lat + drcp_rtt(topo, new_bs)
    return lat + registration_rtt(topo, new_bs)


def handoff_latency(topo, kind: str, new_bs: str) -> Latency:
    """Radio plus MMP: from the last beacon heard from the old base station to the end of the
    MMP update at the new one."""
    return radio_latency(topo.scenario) + mmp_latency(topo, kind, new_bs)


# ---- loss, semi-soft, macro-mobility -----------------------------------------------------------
def packets_lost(rate_pps: float, outage_s: float) -> float:
    """Expected packets of a constant-rate flow lost in an outage (rate x outage)."""
    return max(0.0, rate_pps) * max(0.0, outage_s)


def in_flight_s(topo, old_bs: str, new_bs: str, size_bytes: int = 228) -> float:
    """Time a packet spends between the crossover node and the old base station ([0034]-[0036]):
    what a hard hand-off loses at the crossover when it switches the path, and what semi-soft
    bicasting saves. 0 across domains (no crossover node)."""
    x = topo.crossover_node(old_bs, new_bs)
    if x is None:
        return 0.0
    up = topo.primary_path(old_bs)  # old base station ... crossover ... gateway
    return hops_s(topo, up[:up.index(x) + 1][::-1], size_bytes) + unicast_s(size_bytes)


def semisoft_saving(rate_pps: float, topo, old_bs: str, new_bs: str, size_bytes: int = 228) -> float:
    """Packets semi-soft hand-off saves against hard: those in flight below the crossover node
    towards the old base station when the hard update switches the path."""
    return packets_lost(rate_pps, in_flight_s(topo, old_bs, new_bs, size_bytes))


CACHE_UPDATE_BYTES = 28 + 14


def hard_switch_window_s(topo, old_bs: str, new_bs: str, size_bytes: int = 228) -> float:
    """A make-before-break host (two radios) under hard hand-off stops listening to the old
    base station when it sends the cache update ([0035]). What reaches the old base station
    after that is lost: everything the crossover node sends down the old path until the update
    reaches it (the update's trip up from the new base station), plus what is already below
    the crossover then (:func:`in_flight_s`)."""
    x = topo.crossover_node(old_bs, new_bs)
    if x is None:
        return 0.0
    up = unicast_s(CACHE_UPDATE_BYTES) + path_s(topo, new_bs, x, CACHE_UPDATE_BYTES)
    return up + in_flight_s(topo, old_bs, new_bs, size_bytes)


def handoff_loss(rate_pps: float, topo, old_bs: str, new_bs: str, mode: str,
                 semisoft_period_s: float = 0.0, size_bytes: int = 228) -> float:
    """Expected packets of a constant-rate downlink lost by a make-before-break host's
    intra-domain hand-off: hard loses the whole switch window; semi-soft ([0036]) keeps
    listening to the old base station for the semi-soft period while the crossover bicasts, so
    it loses only what of the window the period does not cover."""
    window = hard_switch_window_s(topo, old_bs, new_bs, size_bytes)
    if mode == "hard":
        return packets_lost(rate_pps, window)
    if mode == "semisoft":
        return packets_lost(rate_pps, window - semisoft_period_s)
    raise ValueError(f"mode: 'hard' or 'semisoft', got {mode!r}")


NS3_MIN_RTO_S = 1.0  # ns-3 TcpSocketBase MinRto default (RFC 6298 2.4: 1 s)


def tcp_resume_after_outage_s(outage_s: float, rto_s: float = NS3_MIN_RTO_S,
                              rtt_s: float = 0.0) -> float:
    """TCP's silence when its window runs out during an outage of ``outage_s`` (measured from the
    last segment delivered): the retransmission timer fires at rto, then backs off doubling
    (RFC 6298 5.5), so retransmissions leave at rto, 3 rto, 7 rto, ...; the first one sent after
    the path is back gets through (plus a round trip). A sender whose window outlasts the
    outage resumes with the path instead: then the silence is the outage itself."""
    if rto_s <= 0:
        raise ValueError(f"rto_s: positive, got {rto_s!r}")
    t, k = rto_s, 1
    while t < outage_s:
        k += 1
        t = rto_s * (2 ** k - 1)
    return t + rtt_s


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


# ---- signalling rate: the fluid-flow crossing model ------------------------------------------
def boundary_crossing_rate(hosts: int, speed_mps: float, perimeter_m: float, area_m2: float) -> float:
    """Crossings per second of the boundary of a region (perimeter L, area A) by ``hosts`` moving
    at ``speed_mps`` in uniformly distributed directions, uniformly spread over it: the
    fluid-flow model R = rho v L / pi with rho = hosts / A."""
    if area_m2 <= 0:
        raise ValueError(f"area_m2: positive, got {area_m2!r}")
    return hosts / area_m2 * speed_mps * perimeter_m / math.pi


def rectangle_crossings(hosts: int, speed_mps: float, width_m: float, height_m: float,
                        cells_x: int, cells_y: int = 1) -> float:
    """Fluid-flow crossings per second, either way, of the internal boundaries of a
    ``width x height`` area cut into ``cells_x x cells_y`` equal cells: a line of length l is
    crossed 2 rho v l / pi times a second (both directions; a closed boundary's outward
    crossings are half of that, :func:`boundary_crossing_rate`)."""
    internal = (cells_x - 1) * height_m + (cells_y - 1) * width_m
    return 2 * hosts / (width_m * height_m) * speed_mps * internal / math.pi


# ---- handoffs of random-waypoint hosts among the scenario's cells ------------------------------
def cell_reach_m(topo, bs: str) -> float:
    """How far from base station ``bs`` a mobile host and it still hear each other (both ways,
    at ns-3's preamble detection threshold, no fading): the distance at which the station loses
    its base station and hands off."""
    from .coverage import REACH_DBM, _loss_db

    budget = min(topo.radios[bs].tx_power_dbm, topo.mobile_hosts[0].tx_power_dbm) - REACH_DBM
    lo, hi = 1.0, 1.0
    while _loss_db(topo, hi) <= budget and hi < 1e6:
        hi *= 2
    if hi >= 1e6:
        return math.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        if _loss_db(topo, mid) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class HandoffRates:
    """Handoffs per host-second by kind of movement, and the model's sample size."""

    per_s: dict[str, float]
    host_seconds: float
    handoffs: int

    def per_min(self, kind: str) -> float:
        return 60 * self.per_s.get(kind, 0.0)

    @property
    def total_per_s(self) -> float:
        return sum(self.per_s.values())


def rwp_handoff_rates(topo, mobility, *, host_seconds: float = 200_000.0, step_s: float = 0.2,
                      seed: int = 1) -> HandoffRates:
    """Handoff rates of one random-waypoint host among the scenario's cells, by kind of
    movement: the host's walk is sampled (legs to uniform random points of the area, speed
    uniform in [min, max] per leg, the pause at each point), and it keeps its base station
    until it is out of that one's reach (:func:`cell_reach_m`), then takes the nearest base
    station in reach: the break-before-make rule of the 802.11 station (the hysteresis is the
    cells' overlap). Unlike a fluid-flow model this keeps random waypoint's centre-heavy
    density and the hysteresis; it leaves out the radio's detection delay (about 0.56 s of
    walking past the edge) and the beacons lost near the edge.

    Deterministic for a given ``seed``; ``host_seconds`` of walking bounds the sample size."""
    import numpy as np

    x0, y0, x1, y1 = mobility.area_m
    vmax = mobility.speed_mps
    vmin = mobility.min_speed_mps if mobility.min_speed_mps is not None else vmax
    rng = np.random.default_rng(seed)
    names = list(topo.radios)
    pos = np.array([topo.radios[b].position_m[:2] for b in names], dtype=float)
    reach = np.array([cell_reach_m(topo, b) for b in names])
    counts: dict[str, int] = {}
    here = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
    d0 = np.hypot(*(pos - here).T)
    current = int(np.argmin(d0)) if (d0 <= reach).any() else None
    t = 0.0
    while t < host_seconds:
        dest = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        v = rng.uniform(vmin, vmax) if vmax > vmin else vmax
        length = float(np.hypot(*(dest - here)))
        n = max(1, int(math.ceil(length / v / step_s)))
        f = (np.arange(1, n + 1) / n)[:, None]
        pts = here + f * (dest - here)
        dist = np.hypot(pts[:, None, 0] - pos[None, :, 0], pts[:, None, 1] - pos[None, :, 1])
        inside = dist <= reach[None, :]
        for i in range(n):
            if current is not None and inside[i, current]:
                continue
            if not inside[i].any():
                continue  # out of every cell: the station keeps scanning
            nxt = int(np.argmin(np.where(inside[i], dist[i], np.inf)))
            if current is not None and nxt != current:
                kind = topo.movement_kind(names[current], names[nxt])
                counts[kind] = counts.get(kind, 0) + 1
            current = nxt
        t += length / v + mobility.pause_s
        here = dest
    return HandoffRates({k: c / t for k, c in counts.items()}, t, sum(counts.values()))


# ---- signalling load per entity ---------------------------------------------------------------
def _domain_nodes_of_subnet(topo, subnet: str) -> list[str]:
    return [n for n, p in topo.nodes.items()
            if p.subnet == subnet and p.role in ("gateway", "intermediate", "base_station")]


def timer_expiries(rate_per_s: float, period_s: float, start_s: float | None = None,
                   end_s: float | None = None) -> float:
    """Expected expiries of a refresh timer per host: the timer runs for ``period_s`` from the
    host's first registration (at 0), restarts when it expires (a refresh) and is restarted by
    every event of a Poisson process of ``rate_per_s`` (a move that registers anyway: a new
    care-of address, a new lease).

    A refresh at t needs a registration at t - P and no move in between. So it has point
    masses e^{-k lam P} at k P (k >= 1: the chain of refreshes after the first registration)
    and, on (k P, (k + 1) P), the constant intensity lam * sum_{j=1..k} e^{-j lam P} (a chain
    started by a move). Returns the expected number in [start_s, end_s), or with no window the
    steady-state rate per second, lam e^{-lam P} / (1 - e^{-lam P}) (1 / P without moves)."""
    lam, P = rate_per_s, period_s
    if start_s is None or end_s is None:
        if lam <= 0:
            return 1.0 / P
        q = math.exp(-lam * P)
        return lam * q / (1 - q)
    total, k, chain = 0.0, 1, 0.0
    q = math.exp(-lam * P)
    while k * P < end_s:
        chain += q ** k  # sum_{j=1..k} q^j
        if k * P >= start_s:
            total += q ** k
        lo, hi = max(k * P, start_s), min((k + 1) * P, end_s)
        if hi > lo:
            total += lam * chain * (hi - lo)
        k += 1
    return total


def signalling_load(topo, rates: HandoffRates, hosts: int,
                    window_s: tuple[float, float] | None = None) -> dict[tuple[str, str], float]:
    """Control messages per minute each kind of entity receives (all entities of a role
    summed), by (role, message), for ``hosts`` hosts handing off at ``rates``, from the
    protocol's message flows:

    - every handoff: the mobile host's message climbs its new base station's path to the
      gateway, processed at every node on the way ([0030], [0048]-[0050]): a CacheUpdate inside
      a domain, a Registration otherwise; a gateway under a border router then sends it a
      HostRoute;
    - a new sub-network besides: a DrcpRequest at the DRCP server, whose DrcpReply is flooded
      to every domain node of the sub-network ([0029]); a MipUpdate at the home location
      register ([0068]); a REGISTER at the SIP server ([0075]);
    - every host renews its DRCP lease at half-life (a request and a flooded reply) and its
      location registration at 0.8 of the lifetime, both timers restarted by every change of
      sub-network (:func:`timer_expiries`); with ``window_s`` = (start, end) of a measurement
      that starts with every host's first registration at 0, the renewals that fall in the
      window (none of a 96 s refresh in a 30-90 s window), else their steady-state rate;
    - every host, while attached and idle, sends a RouteUpdate up its path every
      ``mmp.route_update_interval_s`` ([0033]);
    - fixed periodic load, independent of the hosts: each DRCP server's advertisement flooded
      to every domain node of its sub-network, each gateway's beacon relayed to every node
      below it ([0030]).

    Retransmissions, lost messages and the registrations of hosts that re-associate with the
    same cell are left out; depths are averaged over the base stations."""
    s = topo.scenario
    bss = list(topo.radios)
    out: dict[tuple[str, str], float] = {}

    def add(role: str, msg: str, per_min: float) -> None:
        if per_min:
            out[(role, msg)] = out.get((role, msg), 0.0) + per_min

    def climb(msg: str, per_min_each_bs: float) -> None:
        for bs in bss:
            for node in topo.primary_path(bs):
                add(topo.nodes[node].role, msg, per_min_each_bs)

    share = 1.0 / len(bss)  # hosts spread evenly over the cells, on average
    per_host_min = {k: 60.0 * v for k, v in rates.per_s.items()}
    climb("CacheUpdate", hosts * per_host_min.get("intra_domain", 0.0) * share)
    reg = hosts * (per_host_min.get("inter_domain", 0.0) + per_host_min.get("inter_subnet", 0.0))
    climb("Registration", reg * share)
    for bs in bss:
        if _border_router(topo, bs):
            add("border_router", "HostRoute", reg * share)
    moves = hosts * per_host_min.get("inter_subnet", 0.0)
    subnet_rate = rates.per_s.get("inter_subnet", 0.0)

    def renewals_per_min(period_s: float) -> float:
        if window_s is None:
            return hosts * 60.0 * timer_expiries(subnet_rate, period_s)
        w0, w1 = window_s
        return hosts * timer_expiries(subnet_rate, period_s, w0, w1) * 60.0 / (w1 - w0)

    # DRCP: a request per new sub-network, and a renewal at half of every lease ([0050]).
    drcp = moves + renewals_per_min(s.drcp.lease_s / 2)
    add("drcp_server", "DrcpRequest", drcp)
    subnets = sorted({topo.subnet_of(b) for b in bss})
    for sn in subnets:
        cells = sum(1 for b in bss if topo.subnet_of(b) == sn)
        for node in _domain_nodes_of_subnet(topo, sn):
            add(topo.nodes[node].role, "DrcpReply", drcp * cells * share)
    if any(p.role == "home_location_register" for p in topo.nodes.values()):
        # An update per care-of change, and a refresh at 0.8 of the registration lifetime.
        add("home_location_register", "MipUpdate",
            moves + renewals_per_min(0.8 * s.macro_mobility.lifetime_s))
    if any(p.role == "sip_server" for p in topo.nodes.values()) and s.sip.enabled:
        add("sip_server", "SIP REGISTER", moves)
    climb("RouteUpdate", hosts * 60.0 / s.mmp.route_update_interval_s * share)
    for sn in subnets:
        for node in _domain_nodes_of_subnet(topo, sn):
            add(topo.nodes[node].role, "DrcpAdvertisement", 60.0 / s.drcp.advertisement_interval_s)
    for node, p in topo.nodes.items():
        if p.role in ("intermediate", "base_station"):
            add(p.role, "GatewayBeacon", 60.0 / s.mmp.beacon_interval_s)
    return out
