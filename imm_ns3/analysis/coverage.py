"""Where the mobile hosts go out of every cell's coverage (pure; ``imm-sim validate`` warns).

A station hears a base station when the received power is at least ns-3's preamble detection
threshold (:data:`REACH_DBM`, the ThresholdPreambleDetectionModel's minimum RSSI) in both
directions: the base station's beacons down, the host's frames up. Received power follows the
scenario's loss model (log-distance, Friis or the range cut-off) without its random parts: with
wifi.propagation.shadowing_db or fading the run's coverage varies around this mean.
A path that leaves every cell makes the run report a long "re-association" that is really time
out of coverage; the warning says where and for how long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scenario.radio import free_space_loss_1m_db
from .. import ns2trace
from ..scenario.schema import ConstantVelocityMobility, RandomWaypointMobility, WaypointMobility
from ..topology import channel_mhz, position_at, reference_loss_db

REACH_DBM = -82.0  # ns-3 ThresholdPreambleDetectionModel MinimumRssi
STEP_S = 0.1  # sampling step along a path
AREA_STEP_M = 5.0  # grid step over a random-waypoint area


@dataclass(frozen=True)
class Gap:
    """A stretch of a host's path out of every cell: from ``start_s`` for ``length_s``,
    beginning at ``where``."""

    host: str
    start_s: float
    length_s: float
    where: tuple[float, float]


def path_loss_db(topo, d: float) -> float:
    """Path loss at distance ``d`` by the scenario's model, as the builder configures ns-3."""
    p = topo.scenario.wifi.propagation
    d = max(d, 1.0)
    if p.model == "range":
        return 0.0 if d <= p.range_m else math.inf
    if p.model == "friis":
        return free_space_loss_1m_db(channel_mhz(topo)) + 20 * math.log10(d)
    return reference_loss_db(topo) + 10 * p.exponent * math.log10(d)


def _link_dbm(topo, bs: str, tx_dbm: float | None) -> float:
    """The weaker transmit power of base station ``bs`` and a mobile host (``tx_dbm``; default:
    the hosts' power, or the station's alone in a network without hosts)."""
    radio = topo.radios[bs]
    if tx_dbm is None:
        tx_dbm = topo.mobile_hosts[0].tx_power_dbm if topo.mobile_hosts else radio.tx_power_dbm
    return min(radio.tx_power_dbm, tx_dbm)


def hears(topo, bs: str, pos, tx_dbm: float | None = None, margin_db: float = 0.0) -> bool:
    """True if a mobile host at ``pos`` (x, y, z) transmitting at ``tx_dbm`` and base station
    ``bs`` hear each other (:data:`REACH_DBM` both ways) with ``margin_db`` more loss than the
    model's mean (the shadowing band: -sigma and +sigma)."""
    loss = path_loss_db(topo, math.dist(pos, topo.radios[bs].position_m))
    return _link_dbm(topo, bs, tx_dbm) - loss - margin_db >= REACH_DBM


def covered(topo, x: float, y: float, z: float = 0.0, tx_dbm: float | None = None) -> bool:
    """True if a mobile host at (x, y, z) transmitting at ``tx_dbm`` (default: the hosts'
    power) and some base station hear each other."""
    return any(hears(topo, bs, (x, y, z), tx_dbm) for bs in topo.radios)


def reach_m(topo, bs: str, margin_db: float = 0.0) -> float:
    """How far from base station ``bs`` a mobile host and it still hear each other (both ways,
    at :data:`REACH_DBM`, no fading) with ``margin_db`` more loss than the model's mean: the
    distance at which a station loses its base station and hands off, and a cell's radius on
    the network map. 0 if they do not hear each other even 1 m apart; inf beyond 1,000 km."""
    budget = _link_dbm(topo, bs, None) - REACH_DBM - margin_db
    if path_loss_db(topo, 1.0) > budget:
        return 0.0
    lo, hi = 1.0, 1.0
    while path_loss_db(topo, hi) <= budget and hi < 1e6:
        hi *= 2
    if hi >= 1e6:
        return math.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        if path_loss_db(topo, mid) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


def host_position(mh, t: float) -> tuple[float, float, float]:
    """Where mobile host ``mh`` (a topology's host) is at time ``t`` by its scenario's mobility:
    an ns-2 trace, waypoints, or a constant velocity (not random waypoint: its walks are drawn
    by ns-3, :func:`imm_ns3.analysis.model.ns3_rwp_positions` replays them)."""
    m, start_s = mh.mobility, mh.start_s
    if mh.path is not None:
        return ns2trace.position(mh.path, t)
    if isinstance(m, WaypointMobility):
        return position_at(m, start_s, t)
    rad = math.radians(m.heading_deg)
    x, y, z = m.position_m
    return (x + m.speed_mps * math.cos(rad) * t, y + m.speed_mps * math.sin(rad) * t, z)


def path_gaps(topo) -> list[Gap]:
    """Every stretch of every host's path (waypoints, constant velocity, ns-2 trace) out of
    coverage."""
    s = topo.scenario
    if not topo.radios:
        return []
    steps = int(s.simulation.duration_s / STEP_S) + 1
    gaps = []
    # Hosts of one model differ only by their start time; one per distinct pair is enough.
    # (A trace's hosts each follow their own node.)
    walkers = {(id(mh.mobility), mh.start_s, mh.name if mh.path is not None else None): mh
               for mh in reversed(topo.mobile_hosts)
               if isinstance(mh.mobility, (WaypointMobility, ConstantVelocityMobility))
               or mh.path is not None}
    for mh in sorted(walkers.values(), key=lambda h: h.index):
        start = None
        for k in range(steps + 1):
            t = min(k * STEP_S, s.simulation.duration_s)
            x, y, z = host_position(mh, t)
            inside = covered(topo, x, y, z, mh.tx_power_dbm)
            if not inside and start is None:
                start = (t, (x, y))
            elif (inside or t >= s.simulation.duration_s) and start is not None:
                gaps.append(Gap(mh.name, start[0], t - start[0], start[1]))
                start = None
    return gaps


def area_uncovered(topo) -> tuple[float, tuple[float, float] | None]:
    """For random waypoint: the fraction of the hosts' area out of coverage, and one such
    point (the one nearest the area's centre); with several groups, the worst one."""
    models = {id(mh.mobility): mh.mobility for mh in topo.mobile_hosts
              if isinstance(mh.mobility, RandomWaypointMobility)}
    if not models or not topo.radios:
        return 0.0, None
    return max((_area_uncovered(topo, m) for m in models.values()), key=lambda r: r[0])


def _area_uncovered(topo, m) -> tuple[float, tuple[float, float] | None]:
    x0, y0, x1, y1 = m.area_m
    nx = max(int((x1 - x0) / AREA_STEP_M), 1) + 1
    ny = max(int((y1 - y0) / AREA_STEP_M), 1) + 1
    out, total = [], 0
    for i in range(nx):
        for j in range(ny):
            x, y = x0 + (x1 - x0) * i / (nx - 1 or 1), y0 + (y1 - y0) * j / (ny - 1 or 1)
            total += 1
            if not covered(topo, x, y):
                out.append((x, y))
    if not out:
        return 0.0, None
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return len(out) / total, min(out, key=lambda p: math.dist(p, (cx, cy)))


def coverage_warnings(topo, most: int = 5) -> list[str]:
    out = []
    gaps = path_gaps(topo)
    for g in gaps[:most]:
        out.append(f"warning: {g.host} is out of every cell's coverage from {g.start_s:.1f} s for"
                   f" {g.length_s:.1f} s, from ({g.where[0]:.0f}, {g.where[1]:.0f}) m: the run"
                   " will count that time as re-association")
    if len(gaps) > most:
        out.append(f"warning: and {len(gaps) - most} more stretches out of coverage"
                   f" ({len({g.host for g in gaps})} hosts)")
    frac, where = area_uncovered(topo)
    if where is not None:
        out.append(f"warning: {100 * frac:.0f} % of the random-waypoint area is out of every"
                   f" cell's coverage (e.g. ({where[0]:.0f}, {where[1]:.0f}) m): hosts that walk"
                   " there lose their cell")
    return out
