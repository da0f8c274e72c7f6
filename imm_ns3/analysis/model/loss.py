"""Packets lost at a handoff (hard, semi-soft [0051], a single radio) and TCP's silence across an
outage (a paced NewReno sender's window against the outage, RFC 6298's back-off ladder)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .airtime import unicast_s
from .handoff import arp_resolution, fresh_unicast_s, handoff_latency
from .paths import hops_s, path_s


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


# ns-3 TcpSocket defaults the window model takes: one ACK per two segments (DelAckCount), a
# 128 KiB receive buffer (RcvBufSize: the advertised window caps the congestion window).
NS3_DELACK_COUNT = 2
NS3_RCV_BUF_BYTES = 131072


def newreno_window(w0: float, rate_sps: float, t_s: float, ssthresh: float = math.inf,
                   ack_every: int = NS3_DELACK_COUNT) -> float:
    """ns-3 TcpNewReno's congestion window, in segments, ``t_s`` after it stood at ``w0``, for a
    sender paced at ``rate_sps`` segments a second that loses nothing meanwhile. Its ACKs come at
    rate/ack_every; below ``ssthresh`` each adds a segment (TcpNewReno::SlowStart), above it
    segment^2/cwnd (::CongestionAvoidance: one segment per window of ACKs), so there w^2 grows by
    two per ACK: w = sqrt(w0^2 + 2 rate t / ack_every). The window grows whether or not the
    paced sender fills it (NewReno does not check)."""
    if rate_sps < 0 or t_s < 0 or w0 <= 0:
        raise ValueError(f"newreno_window: w0 > 0, rate and t >= 0, got {w0!r}, {rate_sps!r}, {t_s!r}")
    acks = rate_sps * t_s / ack_every
    w = w0
    if w < ssthresh:
        grow = min(acks, ssthresh - w)
        w, acks = w + grow, acks - grow
    return math.sqrt(w * w + 2 * acks)


def tcp_handoff_silence_s(outage_s: float, window: float, rate_sps: float, rtt_s: float,
                          rto_s: float = NS3_MIN_RTO_S) -> float:
    """A paced TCP's silence at the receiver across an outage of ``outage_s``. If the window (in
    segments) holds what the sender had in flight when the outage began and what it sends during
    it, ``rate (outage + rtt)``, and the outage ends before the retransmission timer fires, the
    sender still has new segments to send when the path is back: they arrive, their duplicate
    ACKs repair the loss, and the silence is the outage plus a round trip. Otherwise the window
    runs out and TCP resumes at its retransmission timer (:func:`tcp_resume_after_outage_s`)."""
    if _rides_out(outage_s, window, rate_sps, rtt_s, rto_s):
        return outage_s + rtt_s
    return tcp_resume_after_outage_s(outage_s, rto_s)


def _rides_out(outage_s: float, window: float, rate_sps: float, rtt_s: float, rto_s: float) -> bool:
    """Whether the sender still has new segments to send when the path is back, and its timer
    has not fired meanwhile (:func:`tcp_handoff_silence_s`)."""
    return window >= rate_sps * (outage_s + rtt_s) and outage_s < rto_s


@dataclass(frozen=True)
class TcpAtHandoff:
    """The window model at one handoff: the window (segments) when the outage began, the silence
    it predicts, and whether TCP resumed with the path (False: at its retransmission timer)."""

    t_s: float
    window: float
    silence_s: float
    with_path: bool


def tcp_windows_along(handoffs, start_s: float, rate_sps: float, rtt_s: float,
                      initial_window: float = 1.0, rwnd: float = math.inf,
                      timeouts_at: tuple[float, ...] = (), rto_s: float = NS3_MIN_RTO_S) -> list[TcpAtHandoff]:
    """The window model along one run: ``handoffs`` are (t_s, outage_s) in time order, the
    transfer starts at ``start_s`` in slow start (ssthresh unbounded) and its window never exceeds
    ``rwnd``. Handoffs at the times in ``timeouts_at`` run out of window whatever it holds (across
    sub-networks the segments sent to the old care-of address are lost until the correspondent's
    update). After a silence repaired by duplicate ACKs, NewReno's recovery leaves the window at
    ssthresh = half the flight, rate (outage + rtt) / 2; after retransmission timeouts it starts
    again from one segment in slow start, with ssthresh half the window at the first timeout, or
    two segments after a second (ns-3's GetSsThresh: max(2, flight / 2), one segment in flight
    at a back-off)."""
    out = []
    w, ssthresh, since = initial_window, math.inf, start_s
    for t, outage in handoffs:
        w = min(rwnd, newreno_window(w, rate_sps, max(0.0, t - since), ssthresh))
        forced = any(abs(t - x) < 1e-9 for x in timeouts_at)
        with_path = not forced and _rides_out(outage, w, rate_sps, rtt_s, rto_s)
        silence = outage + rtt_s if with_path else tcp_resume_after_outage_s(outage, rto_s)
        out.append(TcpAtHandoff(t, w, silence, with_path))
        if with_path:
            ssthresh = max(2.0, rate_sps * (outage + rtt_s) / 2)
            w = ssthresh
        else:  # one timeout if the outage ended before it fired, else a back-off too
            ssthresh = max(2.0, w / 2) if outage <= rto_s else 2.0
            w = 1.0
        since = t + silence
    return out
