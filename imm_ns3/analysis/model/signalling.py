"""What the first-order flows leave out (retransmissions, route-update outages, floods) and
the signalling load per entity."""

from __future__ import annotations

import math

from .handoff import mmp_latency, radio_latency
from .paths import _border_router
from .walks import HandoffRates


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
