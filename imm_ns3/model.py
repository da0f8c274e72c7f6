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


# ---- a freshly associated station, ARP ------------------------------------------------------
# ns-3's ArpL3Protocol waits RequestJitter (uniform 0-10 ms) before it sends each ARP request:
# the first packet to a neighbour whose address is not resolved yet waits that long plus the
# exchange (a router's first packet to a host on its LAN; a host's first packet to a base
# station it has just associated with).
ARP_REQUEST_JITTER_S = 0.010

# What a mobile host sends when its care-of address changes, in the order it sends them
# (IP datagram bytes, from a capture of the patent walk's inter-subnet move): the MMP
# registration ([0049]), the MIP-LR updates to the location register and to each correspondent
# ([0068]), the SIP REGISTER and the re-INVITE of each session ([0075]).
CAREOF_BURST_BYTES = (("registration", 42), ("MIP-LR update (register)", 46),
                      ("MIP-LR update (correspondent)", 46), ("SIP REGISTER", 339),
                      ("SIP re-INVITE", 486))


def lowest_rate_mbps(standard: str) -> float:
    """The lowest rate of a station's rate set: 1 Mbit/s DSSS where 802.11b rates are in it
    (802.11b and g, 2.4 GHz n), else 6 Mbit/s OFDM."""
    return 1.0 if standard in ("802.11b", "802.11g", "802.11n-2.4GHz") else 6.0


def fresh_unicast_s(payload_bytes: int, standard: str = "802.11g") -> float:
    """One unicast frame and its ACK from a station that has just associated. ns-3's Minstrel
    starts every new station at the lowest rate of its rate set and moves up only after its
    statistics update (every 100 ms, given enough frames): in the walk's captures the host's
    frames go at 1 Mbit/s for about 300 ms after each association, where the model otherwise
    assumes 24 Mbit/s."""
    rate = lowest_rate_mbps(standard)
    if rate >= 6:
        return unicast_s(payload_bytes, rate)
    return (DIFS_S + CW_MIN / 2 * SLOT_S + dsss_airtime_s(payload_bytes + MAC_OVERHEAD_BYTES, rate)
            + SIFS_S + dsss_airtime_s(ACK_BYTES, rate))


def careof_burst_s(upto: str, standard: str = "802.11g", correspondents: int = 1) -> float:
    """Time on air until the host's message ``upto`` of :data:`CAREOF_BURST_BYTES` has left,
    at the fresh station's rate, behind the ones it sends before it (one MIP-LR update and one
    re-INVITE per correspondent)."""
    names = [n for n, _ in CAREOF_BURST_BYTES]
    if upto not in names:
        raise ValueError(f"upto: one of {', '.join(names)}; got {upto!r}")
    total = 0.0
    for name, size in CAREOF_BURST_BYTES:
        per = correspondents if name in ("MIP-LR update (correspondent)", "SIP re-INVITE") else 1
        total += per * fresh_unicast_s(size, standard)
        if name == upto:
            return total
    return total  # unreachable


def arp_resolution(name: str = "ARP", fresh_standard: str | None = None) -> Latency:
    """Resolving a neighbour's address before the first packet to it: ns-3's request jitter
    (uniform over :data:`ARP_REQUEST_JITTER_S`) and the exchange. From a freshly associated
    station (``fresh_standard``: its standard) the request goes to the access point at the
    lowest rate, which broadcasts it on the cell at the basic rate; the reply comes back at the
    access point's rate."""
    if fresh_standard is None:
        return uniform(f"{name} jitter", ARP_REQUEST_JITTER_S) + fixed(name, arp_exchange_s())
    rate = lowest_rate_mbps(fresh_standard)
    relay = broadcast_s(ARP_BYTES, rate) if rate >= 6 else (
        DIFS_S + CW_MIN / 2 * SLOT_S + dsss_airtime_s(ARP_BYTES + MAC_OVERHEAD_BYTES, rate))
    exchange = fresh_unicast_s(ARP_BYTES, fresh_standard) + relay + unicast_s(ARP_BYTES)
    return uniform(f"{name} jitter", ARP_REQUEST_JITTER_S) + fixed(name, exchange)


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
    reaches it, plus what is already below the crossover then (:func:`in_flight_s`). The
    update's trip up starts with the host resolving the new base station's address (its
    leading radio has just associated: :func:`arp_resolution`, the request jitter's mean) and
    goes on the air at the fresh station's lowest rate (:func:`fresh_unicast_s`); then the
    wired hops to the crossover node."""
    x = topo.crossover_node(old_bs, new_bs)
    if x is None:
        return 0.0
    std = topo.scenario.wifi.standard
    up = (arp_resolution("ARP for the base station", std).mean
          + fresh_unicast_s(CACHE_UPDATE_BYTES, std) + path_s(topo, new_bs, x, CACHE_UPDATE_BYTES))
    return up + in_flight_s(topo, old_bs, new_bs, size_bytes)


def single_radio_loss(rate_pps: float, topo, old_bs: str, new_bs: str, size_bytes: int = 228) -> float:
    """Expected packets a single-radio host loses in a hard intra-domain hand-off
    (break-before-make, the specification's host): nothing arrives from the last beacon it
    heard from the old base station to the new path's first packet, i.e. the radio part, the
    wait for the new base station's beacon ([0047]) and the switch window."""
    lat = handoff_latency(topo, "intra_domain", new_bs)
    return packets_lost(rate_pps, lat.mean + hard_switch_window_s(topo, old_bs, new_bs, size_bytes))


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
    # From :func:`rwp_window_handoff_rates` only (0 from the others): re-associations with the
    # same cell after the station gave it up in a coverage hole, per host-second, and the share
    # of the time a station is associated with no cell (gave its cell up, has found none yet).
    reassoc_per_s: float = 0.0
    detached_fraction: float = 0.0
    # Refresh-timer expiries per host-second in the window, by timer period, counted on the
    # walks themselves (:func:`timer_expiries_along`); signalling_load prefers them to the
    # Poisson closed form of :func:`timer_expiries`.
    timer_per_s: dict = field(default_factory=dict)

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


# ---- the walk as ns-3 walks it, counted in a measurement window ------------------------------
def rwp_positions(mobility, hosts: int, times, rng, initial_pause: bool = True):
    """Positions (a hosts x 2 array per time of ``times``, ascending from 0) of random-waypoint
    hosts walked as imm-ns3's builder sets up ns-3's RandomWaypointMobilityModel: a uniform
    random start in the area, a pause there first (ns-3 pauses before the first leg), then legs
    to uniform random points at a speed uniform in [min, max] per leg, ``pause_s`` at each
    point. The hosts start spread uniformly, not in random waypoint's centre-heavy stationary
    distribution: early in a run the walk is still in its transient."""
    import numpy as np

    x0, y0, x1, y1 = mobility.area_m
    vmax = mobility.speed_mps
    vmin = mobility.min_speed_mps if mobility.min_speed_mps is not None else vmax
    pause = mobility.pause_s

    def points(k):
        return np.column_stack([rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)])

    def speeds(k):
        return rng.uniform(vmin, vmax, k) if vmax > vmin else np.full(k, float(vmax))

    src, dst, v = points(hosts), points(hosts), speeds(hosts)
    start = np.full(hosts, pause if initial_pause else 0.0)  # when the current leg starts
    dur = np.hypot(*(dst - src).T) / v
    for t in times:
        while True:
            i = np.flatnonzero(t >= start + dur + pause)
            if not len(i):
                break
            start[i] += dur[i] + pause
            src[i] = dst[i]
            dst[i] = points(len(i))
            v[i] = speeds(len(i))
            dur[i] = np.hypot(*(dst[i] - src[i]).T) / v[i]
        f = np.clip((t - start) / np.maximum(dur, 1e-12), 0.0, 1.0)
        yield src + f[:, None] * (dst - src)


@dataclass(frozen=True)
class WalkCount:
    """What :func:`handoffs_along` counted in its window."""

    counts: dict  # (old cell index, new cell index) -> handoffs
    reassociations: int  # joined the cell given up again
    detached_s: float  # station-time associated with no cell
    station_s: float  # station-time in the window
    events: list  # (time, station, old, new): every handoff and re-association (old == new)
    joins: list = field(default_factory=list)  # (time, station, old, new) of every join, from
    # the start and whatever the window: first associations have old = -1


def handoffs_along(cells_xy, reach_m, times, positions, *, detection_s: float = 0.0,
                   window_s: tuple[float, float] | None = None) -> WalkCount:
    """Handoffs of stations moving along sampled paths among cells, by the 802.11 station's
    break-before-make rule ([0047]): a station keeps its cell while it is in the cell's reach
    and gives it up once it has been out of reach for ``detection_s`` (``max_missed_beacons``
    beacon intervals: a station back in reach sooner keeps its cell; 0 gives the cell up at
    once, :func:`rwp_handoff_rates`'s rule); it then joins the nearest cell in reach, or in a
    coverage hole the first it reaches. Joining another cell is a handoff, joining the one it
    gave up a re-association (MMP handles it as a cache hand-off to the same base station).
    The first association of each station is neither.

    ``cells_xy``: (cells x 2) positions; ``reach_m``: one per cell; ``positions``: one
    (stations x 2) array per time of ``times``. Counts what happens in ``window_s`` =
    [start, end) (default: everything)."""
    import numpy as np

    cells = np.asarray(cells_xy, dtype=float)
    reach = np.asarray(reach_m, dtype=float)
    w0, w1 = window_s if window_s is not None else (-math.inf, math.inf)
    counts: dict = {}
    events, all_joins = [], []
    reassoc = 0
    detached_s = station_s = 0.0
    cur = gave = out_since = None
    prev_t = None
    for t, pos in zip(times, positions):
        n = len(pos)
        if cur is None:
            cur = np.full(n, -1)  # the cell associated with; -1: none
            gave = np.full(n, -1)  # the cell last given up (-1: never associated)
            out_since = np.full(n, np.nan)
        if prev_t is not None:  # the state held over (prev_t, t]
            span = max(0.0, min(t, w1) - max(prev_t, w0))
            station_s += n * span
            detached_s += span * int((cur < 0).sum())
        d = np.hypot(pos[:, None, 0] - cells[None, :, 0], pos[:, None, 1] - cells[None, :, 1])
        inside = d <= reach[None, :]
        has = cur >= 0
        in_cur = has & inside[np.arange(n), np.maximum(cur, 0)]
        out_since = np.where(in_cur | ~has, np.nan, np.where(np.isnan(out_since), t, out_since))
        give_up = has & ~in_cur & (t - out_since >= detection_s - 1e-9)
        gave = np.where(give_up, cur, gave)
        cur = np.where(give_up, -1, cur)
        out_since = np.where(give_up, np.nan, out_since)
        joins = np.flatnonzero((cur < 0) & inside.any(axis=1))
        if len(joins):
            nearest = np.argmin(np.where(inside[joins], d[joins], np.inf), axis=1)
            all_joins.extend((float(t), int(i), int(gave[i]), int(new)) for i, new in zip(joins, nearest))
            if w0 <= t < w1:
                for i, new in zip(joins, nearest):
                    old = int(gave[i])
                    if old < 0:
                        continue
                    events.append((float(t), int(i), old, int(new)))
                    if old == new:
                        reassoc += 1
                    else:
                        counts[(old, int(new))] = counts.get((old, int(new)), 0) + 1
            cur[joins] = nearest
        prev_t = t
    return WalkCount(counts, reassoc, detached_s, station_s, events, all_joins)


def timer_expiries_along(registrations: dict, period_s: float, window_s: tuple[float, float]) -> int:
    """Expiries in ``window_s`` of a refresh timer of ``period_s`` per station, given each
    station's registration times (``registrations``: station -> ascending times): the timer
    runs from every registration and restarts at its own expiry (a refresh), so a gap g
    between registrations holds floor(g / period) refreshes, and the last registration's
    chain runs on to the window's end. The count :func:`timer_expiries` gives in closed form
    for Poisson registrations; random-waypoint changes of sub-network are more regular than
    Poisson (a host crosses a boundary, walks on for a leg), so on the walks themselves long
    gaps, and refreshes, are rarer."""
    if period_s <= 0:
        raise ValueError(f"period_s: positive, got {period_s!r}")
    w0, w1 = window_s
    n = 0
    for times in registrations.values():
        ends = list(times[1:]) + [w1]
        for r, nxt in zip(times, ends):
            k = max(1, math.ceil((w0 - r) / period_s - 1e-9))
            while r + k * period_s < min(nxt, w1) - 1e-9:
                n += 1
                k += 1
    return n


def _registrations(topo, names, joins) -> dict:
    """Each station's registrations of a care-of address: its first association and every
    change of sub-network, from :class:`WalkCount`'s ``joins``."""
    out: dict = {}
    for t, i, old, new in joins:
        if old < 0 or (old != new and topo.subnet_of(names[old]) != topo.subnet_of(names[new])):
            out.setdefault(i, []).append(t)
    return out


def _rates_from(topo, names, c: WalkCount, window_s, timers_s) -> HandoffRates:
    per_s: dict[str, float] = {}
    for (a, b), k in c.counts.items():
        kind = topo.movement_kind(names[a], names[b])
        per_s[kind] = per_s.get(kind, 0.0) + k / c.station_s
    regs = _registrations(topo, names, c.joins) if timers_s else {}
    timers = {round(p, 6): timer_expiries_along(regs, p, window_s) / c.station_s
              for p in timers_s}
    return HandoffRates(per_s, c.station_s, sum(c.counts.values()),
                        reassoc_per_s=c.reassociations / c.station_s,
                        detached_fraction=c.detached_s / c.station_s, timer_per_s=timers)


def rwp_window_handoff_rates(topo, mobility, window_s: tuple[float, float], *, hosts: int = 4000,
                             step_s: float = 0.1, seed: int = 1,
                             detection_s: float | None = None,
                             timers_s: tuple[float, ...] = ()) -> HandoffRates:
    """Handoff rates of random-waypoint hosts among the scenario's cells, by kind of movement,
    in the measurement window ``window_s`` = (start, end) of runs that start at 0, with the
    re-associations and the share of the time detached (:class:`HandoffRates`' last fields).

    Unlike :func:`rwp_handoff_rates` (one long walk: the stationary rate) this walks ``hosts``
    hosts from the run's start as the simulation does (:func:`rwp_positions`: uniform start, a
    pause first), so a window early in the run sees the walk's transient: hosts spread
    uniformly rather than concentrated in the middle. And the station gives its cell up only
    ``detection_s`` after leaving its reach (default: the scenario's ``max_missed_beacons``
    beacon intervals, [0047]; :func:`handoffs_along`).

    ``timers_s``: refresh periods (a DRCP lease's half, 0.8 of a location registration's
    lifetime) whose expiries in the window to count on the walks (``timer_per_s``,
    :func:`timer_expiries_along`).

    Deterministic for a given ``seed``; about ``hosts`` x (window) host-seconds of sample."""
    import numpy as np

    w0, w1 = window_s
    if not 0 <= w0 < w1:
        raise ValueError(f"window_s: 0 <= start < end, got {window_s!r}")
    rng = np.random.default_rng(seed)
    return _walk_rates(topo, window_s, step_s, detection_s, timers_s,
                       lambda times: rwp_positions(mobility, hosts, times, rng))


def _walk_rates(topo, window_s, step_s, detection_s, timers_s, positions_at):
    """Handoff rates of the walks ``positions_at(times)`` gives, sampled every ``step_s`` up to
    the window's end, under the station's rule (:func:`handoffs_along`; detection by default
    ``max_missed_beacons`` beacon intervals)."""
    import numpy as np

    if detection_s is None:
        w = topo.scenario.wifi
        detection_s = w.max_missed_beacons * w.beacon_interval_s
    names = list(topo.radios)
    cells = np.array([topo.radios[b].position_m[:2] for b in names], dtype=float)
    reach = np.array([cell_reach_m(topo, b) for b in names])
    times = np.arange(0.0, window_s[1] + step_s / 2, step_s)
    c = handoffs_along(cells, reach, times, positions_at(times), detection_s=detection_s,
                       window_s=window_s)
    return _rates_from(topo, names, c, window_s, timers_s)


# ---- the walks of a stored run, replayed without ns-3 ------------------------------------------
# What imm-ns3's builder gives ns-3 (imm_ns3/adapter/run.py RNG_SEED, adapter/builder.py
# _STREAM_MOBILITY): the run's seed is ns-3's RngRun, host i's mobility uses streams from
# MOBILITY_STREAM_BASE + 10 i. tests/test_model.py checks the two stay equal.
NS3_RNG_SEED = 20021024
MOBILITY_STREAM_BASE = 1_000_000
_MRG_M1, _MRG_M2 = 4294967087, 4294944443
_MRG_A1 = ((0, 1, 0), (0, 0, 1), (_MRG_M1 - 810728, 1403580, 0))
_MRG_A2 = ((0, 1, 0), (0, 0, 1), (_MRG_M2 - 1370589, 0, 527612))
_MRG_POW2: list[tuple[tuple, tuple]] = []  # (A1^(2^n), A2^(2^n)) for n = 0, 1, ...


def _mat_mul(a, b, m):
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3))
                 for i in range(3))


def _mat_vec(a, v, m):
    return [sum(a[i][k] * v[k] for k in range(3)) % m for i in range(3)]


class Mrg32k3a:
    """ns-3's random number generator (RngStream: L'Ecuyer's MRG32k3a, exact integer
    arithmetic): the state starts at ``seed`` in all six components and is advanced by
    ``stream`` x 2^127 and ``substream`` x 2^76 steps. ns-3 gives a random variable with an
    assigned stream s the stream 2^63 + s and the run number as substream
    (:func:`ns3_stream`)."""

    def __init__(self, seed: int, stream: int, substream: int):
        s = [int(seed)] * 6
        for nth, by in ((stream, 127), (substream, 76)):
            for bit in range(63, -1, -1):
                if nth >> bit & 1:
                    while len(_MRG_POW2) <= by + bit:
                        if not _MRG_POW2:
                            _MRG_POW2.append((_MRG_A1, _MRG_A2))
                        else:
                            a1, a2 = _MRG_POW2[-1]
                            _MRG_POW2.append((_mat_mul(a1, a1, _MRG_M1), _mat_mul(a2, a2, _MRG_M2)))
                    a1, a2 = _MRG_POW2[by + bit]
                    s[:3] = _mat_vec(a1, s[:3], _MRG_M1)
                    s[3:] = _mat_vec(a2, s[3:], _MRG_M2)
        self.state = s

    def u01(self) -> float:
        s = self.state
        p1 = (1403580 * s[1] - 810728 * s[0]) % _MRG_M1
        s[0], s[1], s[2] = s[1], s[2], p1
        p2 = (527612 * s[5] - 1370589 * s[3]) % _MRG_M2
        s[3], s[4], s[5] = s[4], s[5], p2
        return ((p1 - p2) if p1 > p2 else (p1 - p2 + _MRG_M1)) * 2.328306549295727688e-10


def ns3_stream(run: int, stream: int, seed: int = NS3_RNG_SEED) -> Mrg32k3a:
    """The generator of an ns-3 random variable given ``stream`` (AssignStreams) in run
    ``run`` (RngSeedManager::SetRun) with RngSeedManager::SetSeed(``seed``)."""
    return Mrg32k3a(seed, (1 << 63) + int(stream), int(run))


def ns3_rwp_legs(mobility, run: int, index: int, until_s: float, *,
                 stream_base: int = MOBILITY_STREAM_BASE) -> list[tuple]:
    """The legs (start time, from (x, y), to (x, y), duration) that mobile host ``index``
    (0-based) walks until ``until_s`` in run ``run`` of a scenario with random-waypoint
    mobility, exactly as ns-3 draws them in imm-ns3 (imm_ns3/adapter/builder.py): the
    RandomRectanglePositionAllocator's X and Y and the RandomWaypointMobilityModel's speed
    are uniform random variables; the model's AssignStreams(base + 10 i + 2) gives the speed
    stream base + 10 i + 2 and re-assigns its allocator streams base + 10 i + 4 (X) and + 5
    (Y), from which the start position and every waypoint are drawn; the walk pauses
    ``pause_s`` first, then at each waypoint."""
    x0, y0, x1, y1 = mobility.area_m
    vmax = mobility.speed_mps
    vmin = mobility.min_speed_mps if mobility.min_speed_mps is not None else vmax
    base = stream_base + 10 * index
    gx, gy, gv = ns3_stream(run, base + 4), ns3_stream(run, base + 5), ns3_stream(run, base + 2)

    def point():
        return (x0 + gx.u01() * (x1 - x0), y0 + gy.u01() * (y1 - y0))

    here, t, legs = point(), mobility.pause_s, []
    while t < until_s:
        dest = point()
        v = vmin + gv.u01() * (vmax - vmin)
        dur = math.dist(here, dest) / v
        legs.append((t, here, dest, dur))
        t += dur + mobility.pause_s
        here = dest
    if not legs:
        legs.append((t, here, here, 0.0))
    return legs


def ns3_rwp_positions(mobility, run: int, hosts: int, times) -> list:
    """Positions (hosts x 2, one array per time of ``times``) of the first ``hosts`` mobile
    hosts of run ``run``, from :func:`ns3_rwp_legs`: the walks the simulation's hosts walked."""
    import numpy as np

    times = np.asarray(times, dtype=float)
    out = np.empty((len(times), hosts, 2))
    end = float(times.max()) if len(times) else 0.0
    for i in range(hosts):
        legs = ns3_rwp_legs(mobility, run, i, end)
        bt, bx, by = [0.0], [legs[0][1][0]], [legs[0][1][1]]
        for t0, src, dst, dur in legs:
            bt += [t0, t0 + dur]
            bx += [src[0], dst[0]]
            by += [src[1], dst[1]]
        out[:, i, 0] = np.interp(times, bt, bx)
        out[:, i, 1] = np.interp(times, bt, by)
    return list(out)


def realised_handoff_rates(topo, mobility, run: int, hosts: int, window_s: tuple[float, float], *,
                           step_s: float = 0.05, detection_s: float | None = None,
                           timers_s: tuple[float, ...] = ()) -> HandoffRates:
    """:func:`rwp_window_handoff_rates` on the walks of the simulated run ``run`` itself
    (:func:`ns3_rwp_positions`) instead of fresh random ones: what the cells' geometry and the
    station's rule predict for exactly the paths simulated, so a comparison with the run is
    free of the walks' sampling noise (which in E3's 60 s windows at 2 m/s is larger than any
    protocol effect, and is shared by the runs of one seed, whose first hosts walk alike
    whatever the number of hosts)."""
    return _walk_rates(topo, window_s, step_s, detection_s, timers_s,
                       lambda times: ns3_rwp_positions(mobility, run, hosts, times))


# ---- hidden base stations whose beacons collide at every beacon --------------------------------
BEACON_BYTES = 80  # an ns-3 802.11g beacon, about: MAC header and FCS 28, body ~52 (SSID, rates...)
DSSS_LONG_PREAMBLE_S = 192e-6


def dsss_airtime_s(frame_bytes: int, rate_mbps: float = 1.0) -> float:
    """A DSSS frame with the long preamble and PLCP header (192 us). ns-3 sends group-addressed
    frames (beacons, broadcasts) in its PHY's default mode, the oldest standard's lowest rate:
    DSSS 1 Mbit/s on 802.11g (WifiPhy::GetDefaultMode), unless a non-unicast mode is set."""
    return DSSS_LONG_PREAMBLE_S + 8 * frame_bytes / (rate_mbps * 1e6)


def hidden_pairs(topo) -> list[tuple[str, str]]:
    """Pairs of base stations on one channel that cannot hear each other (farther apart than
    the cell reach, so neither defers to the other: no carrier sense) but whose cells overlap
    (closer than twice the reach): a station in the overlap hears both, and their frames
    collide there (the hidden-terminal problem)."""
    names = list(topo.radios)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ra, rb = topo.radios[a], topo.radios[b]
            if ra.channel != rb.channel:
                continue
            d = math.dist(ra.position_m[:2], rb.position_m[:2])
            reach_a, reach_b = cell_reach_m(topo, a), cell_reach_m(topo, b)
            if max(reach_a, reach_b) < d < reach_a + reach_b:
                out.append((a, b))
    return out


def beacon_lock_probability(pairs: int, airtime_s: float, interval_s: float) -> float:
    """Probability that at least one of ``pairs`` hidden base-station pairs beacons in lockstep
    for the whole run: access points send a beacon every ``interval_s`` from a random start
    (ns-3's ApWifiMac beacon jitter draws the first one only), so two with the same interval
    keep their offset for ever, and when it is shorter than a beacon's airtime the two beacons
    overlap at every beacon in their cells' overlap. A station there that cannot decode its own
    base station's beacon through the other misses all of them, gives its cell up after
    ``max_missed_beacons`` of them, re-associates (on the probe exchange, which does not
    collide) and loses it again: handoffs and re-associations about every half second while it
    stays there, whatever its speed. Offsets are uniform: each pair locks with probability
    2 airtime / interval."""
    if interval_s <= 0 or airtime_s < 0:
        raise ValueError("interval_s positive and airtime_s non-negative")
    p = min(1.0, 2 * airtime_s / interval_s)
    return 1 - (1 - p) ** pairs


# ---- what the first-order flows leave out -------------------------------------------------------
def retransmissions(p_first: float, p_next: float | None = None, max_sends: int = 6) -> float:
    """Expected retransmissions of a message resent until answered, at most ``max_sends`` sends
    in all: the first answer misses the retransmission timer with probability ``p_first`` and
    each later one with ``p_next`` (default ``p_first``: independent losses). Losses after a
    new care-of address are not independent: whatever delays the first answer (a base
    station's lost ARP request, answered only by its retry a second later) tends to delay the
    next, so ``p_next`` > ``p_first``. p1 (1 + p2 + ... + p2^(max_sends - 2))."""
    p2 = p_first if p_next is None else p_next
    for p in (p_first, p2):
        if not 0 <= p <= 1:
            raise ValueError(f"probabilities between 0 and 1, got {p!r}")
    if max_sends < 1:
        raise ValueError(f"max_sends: at least 1, got {max_sends!r}")
    return p_first * sum(p2 ** k for k in range(max_sends - 1))


MMP_MAX_SENDS = 6  # mmp.max_retries = 5 retries after the first (Figure 4A's registration)
MIP_MAX_SENDS = 6  # macro_mobility.max_tries
SIP_MAX_SENDS = 11  # RFC 3261 17.1.2.2: timer E from T1 = 0.5 s doubling to T2 = 4 s, timer F 64 T1


def handoff_silence_s(topo, kind: str) -> float:
    """Mean time a host's uplink carries nothing around one movement of ``kind`` (and for
    ``"reassoc"``, a re-association with the same cell): from the moment it leaves its cell
    (half a beacon interval, on average, after the last beacon it heard) until MMP is attached
    again at the new one: the radio's handoff (:func:`radio_latency`) less that half interval,
    plus MMP's part (:func:`mmp_latency`; a re-association is an intra-domain cache hand-off),
    averaged over the base stations. Time out of every cell (a coverage hole) is not included:
    :class:`HandoffRates`' ``detached_fraction``."""
    s = topo.scenario
    mmp_kind = "intra_domain" if kind == "reassoc" else kind
    radio = radio_latency(s).mean - s.wifi.beacon_interval_s / 2
    bss = list(topo.radios)
    return radio + sum(mmp_latency(topo, mmp_kind, b).mean for b in bss) / len(bss)


def route_update_rate(interval_s: float, stretches_per_s: float, silence_s: float,
                      other_uplink_per_s: float = 0.0, detached_fraction: float = 0.0) -> float:
    """Route-updates one host delivers per second ([0033], [0051]). An attached host sends one
    whenever its uplink has been idle for ``interval_s``, so in a quiet stretch one per
    interval; what it loses to its movements:

    - while detached from every cell (``detached_fraction`` of the time) and during each
      silence of ``silence_s`` around a movement (``stretches_per_s`` of them: handoffs and
      re-associations, :func:`handoff_silence_s`) it sends none that arrives, and the one after
      comes a full interval after MMP is attached again, so each silence costs silence /
      interval route-updates plus half of one (the last one before it went at a uniformly
      random time in the interval before);
    - any other uplink message (a lease renewal, a registration refresh:
      ``other_uplink_per_s``) resets the idle clock, so the next route-update comes a full
      interval after it: half an interval late on average, half a route-update lost.

    (1 - f - n S) / I - n / 2 - u / 2, at least 0."""
    if interval_s <= 0:
        raise ValueError(f"interval_s: positive, got {interval_s!r}")
    busy = detached_fraction + stretches_per_s * silence_s
    return max(0.0, (1 - busy) / interval_s - stretches_per_s / 2 - other_uplink_per_s / 2)


def flood_overlap_probability(jitter_s: float, delay_s: float, first_s: float,
                              second_s: float) -> float:
    """Probability that a frame a base station sends ``delay_s`` after its own copy of a flood
    overlaps another base station's copy of the same flood, each copy sent after an
    independent uniform wait in [0, ``jitter_s``] (RFC 5148 jitter, mmp.broadcast_jitter_s).
    Frames of ``first_s`` (the other copy) and ``second_s`` (the later frame) of airtime
    overlap when the copy starts less than ``first_s`` before or ``second_s`` after the frame.

    The case it describes: a DRCP reply is flooded to every base station of the sub-network
    ([0029], [0050]); the serving one's ARP request for the new care-of address follows its
    copy by a registration's round trip ([0050]); a hidden base station of the same
    sub-network that the host hears broadcasts its copy within the same jitter window."""
    if jitter_s <= 0:
        lo, hi = delay_s - first_s, delay_s + second_s
        return 1.0 if lo < 0 < hi else 0.0
    # P(U_o - U_s in [delay - first, delay + second]) for U_s, U_o uniform on [0, J]: the
    # difference has the triangular density (J - |x|) / J^2 on [-J, J].
    def cdf(x):
        x = max(-jitter_s, min(jitter_s, x))
        if x <= 0:
            return (jitter_s + x) ** 2 / (2 * jitter_s ** 2)
        return 1 - (jitter_s - x) ** 2 / (2 * jitter_s ** 2)
    return cdf(delay_s + second_s) - cdf(delay_s - first_s)



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
                    window_s: tuple[float, float] | None = None, *, outages: bool = False,
                    answer_loss: tuple[float, float] | None = None,
                    drcp_loss: tuple[float, float] | None = None) -> dict[tuple[str, str], float]:
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
    - every host renews its DRCP lease at half-life and its location registration at 0.8 of
      the lifetime, both timers restarted by every change of sub-network
      (:func:`timer_expiries`); with ``window_s`` = (start, end) of a measurement that starts
      with every host's first registration at 0, the renewals that fall in the window (none of
      a 96 s refresh in a 30-90 s window), else their steady-state rate; or, where ``rates``
      carries them (``timer_per_s``), the expiries counted on the walks. A lease renewal comes
      from the address it renews, so the server answers it directly (imm_ns3.mmp.drcp): a
      DrcpRequest at the server, no flood;
    - every host, while attached and idle, sends a RouteUpdate up its path every
      ``mmp.route_update_interval_s`` ([0033]);
    - fixed periodic load, independent of the hosts: each DRCP server's advertisement flooded
      to every domain node of its sub-network, each gateway's beacon relayed to every node
      below it ([0030]).

    What the first-order flows leave out, each term off by default:

    - ``outages``: route-updates lost to the hosts' movements (:func:`route_update_rate`: the
      silence around every handoff and re-association, :func:`handoff_silence_s`, the time
      detached from every cell, half an interval per other uplink message), and the cache
      hand-off of every re-association with the same cell (``rates.reassoc_per_s``);
    - ``answer_loss`` = (p_first, p_next): the answers to a registration, a location update and
      a REGISTER miss their 0.5 s retransmission timers with these probabilities
      (:func:`retransmissions`); each protocol resends, up to its own number of sends;
    - ``drcp_loss`` = (p_first, p_next): the flooded reply to a new-address DrcpRequest is lost
      with these probabilities; each resent request is flooded again.

    Depths are averaged over the base stations."""
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

    def resent(loss, max_sends: int) -> float:
        return 1.0 + (retransmissions(loss[0], loss[1], max_sends) if loss else 0.0)

    share = 1.0 / len(bss)  # hosts spread evenly over the cells, on average
    per_host_min = {k: 60.0 * v for k, v in rates.per_s.items()}
    reassoc = hosts * 60.0 * rates.reassoc_per_s if outages else 0.0
    climb("CacheUpdate", (hosts * per_host_min.get("intra_domain", 0.0) + reassoc) * share)
    reg = hosts * (per_host_min.get("inter_domain", 0.0) + per_host_min.get("inter_subnet", 0.0))
    climb("Registration", reg * resent(answer_loss, MMP_MAX_SENDS) * share)
    for bs in bss:
        if _border_router(topo, bs):
            add("border_router", "HostRoute", reg * share)
    moves = hosts * per_host_min.get("inter_subnet", 0.0)
    subnet_rate = rates.per_s.get("inter_subnet", 0.0)

    def renewals_per_min(period_s: float) -> float:
        counted = rates.timer_per_s.get(round(period_s, 6))
        if counted is not None:  # counted on the walks (timer_expiries_along)
            return hosts * 60.0 * counted
        if window_s is None:
            return hosts * 60.0 * timer_expiries(subnet_rate, period_s)
        w0, w1 = window_s
        return hosts * timer_expiries(subnet_rate, period_s, w0, w1) * 60.0 / (w1 - w0)

    # DRCP: a request per new sub-network, flooded back ([0050]); a renewal at half of every
    # lease, answered directly.
    new_addr = moves * resent(drcp_loss, MMP_MAX_SENDS)
    lease_renewals = renewals_per_min(s.drcp.lease_s / 2)
    add("drcp_server", "DrcpRequest", new_addr + lease_renewals)
    subnets = sorted({topo.subnet_of(b) for b in bss})
    for sn in subnets:
        cells = sum(1 for b in bss if topo.subnet_of(b) == sn)
        for node in _domain_nodes_of_subnet(topo, sn):
            add(topo.nodes[node].role, "DrcpReply", new_addr * cells * share)
    refreshes = 0.0
    if any(p.role == "home_location_register" for p in topo.nodes.values()):
        # An update per care-of change, and a refresh at 0.8 of the registration lifetime.
        refreshes = renewals_per_min(0.8 * s.macro_mobility.lifetime_s)
        add("home_location_register", "MipUpdate",
            moves * resent(answer_loss, MIP_MAX_SENDS) + refreshes)
    if any(p.role == "sip_server" for p in topo.nodes.values()) and s.sip.enabled:
        add("sip_server", "SIP REGISTER", moves * resent(answer_loss, SIP_MAX_SENDS))
    interval = s.mmp.route_update_interval_s
    if outages:
        kinds = {k: v for k, v in rates.per_s.items() if v > 0}
        stretches = sum(kinds.values()) + rates.reassoc_per_s
        silence = ((sum(v * handoff_silence_s(topo, k) for k, v in kinds.items())
                    + rates.reassoc_per_s * handoff_silence_s(topo, "reassoc")) / stretches
                   if stretches > 0 else 0.0)
        other = (lease_renewals + refreshes) / 60.0 / max(hosts, 1)
        ru_per_host_s = route_update_rate(interval, stretches, silence, other,
                                          rates.detached_fraction)
    else:
        ru_per_host_s = 1.0 / interval
    climb("RouteUpdate", hosts * 60.0 * ru_per_host_s * share)
    for sn in subnets:
        for node in _domain_nodes_of_subnet(topo, sn):
            add(topo.nodes[node].role, "DrcpAdvertisement", 60.0 / s.drcp.advertisement_interval_s)
    for node, p in topo.nodes.items():
        if p.role in ("intermediate", "base_station"):
            add(p.role, "GatewayBeacon", 60.0 / s.mmp.beacon_interval_s)
    return out
