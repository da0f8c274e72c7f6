"""Handoff latency per movement kind ([0046]-[0053], Figure 4A): radio detection and
re-association, the beacon and advertisement waits, DRCP and the registration's round trip;
a freshly associated station's ARP and its care-of burst."""

from __future__ import annotations

from ...topology import scan_channels
from .airtime import (ACK_BYTES, CW_MIN, DIFS_S, MAC_OVERHEAD_BYTES, SIFS_S, SLOT_S, broadcast_s,
                      dsss_airtime_s, unicast_s)
from .latency import Latency, fixed, uniform
from .paths import _border_router, _gateway_of, hops_s, path_s, wired_path


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
