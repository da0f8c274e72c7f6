"""Handoff rates of moving hosts: the fluid-flow crossing model, random-waypoint walks among
the scenario's cells (fresh walks), counted in a measurement window."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


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
    its base station and hands off (:func:`imm_ns3.analysis.coverage.reach_m`)."""
    from ..coverage import reach_m

    return reach_m(topo, bs)


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
    [start, end) (default: everything).

    The rule is applied time by time; a time at which nothing can change (every station in its
    own cell's reach with no give-up pending, or out of every cell) is only counted in the
    station-time, not stepped through: with a few stations most times are such, and the
    distances are computed a block of times at once. ``tests/package/test_model.py`` keeps the
    result equal to the plain step-by-step rule's."""
    import itertools

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
    steps = zip(times, positions)
    while True:
        first = list(itertools.islice(steps, 1))
        if not first:
            break
        n = len(first[0][1])
        # A block of times: distances (times x stations x cells) of about 2 M numbers.
        rows = min(512, 2_000_000 // max(1, n * len(cells)))
        block = first + list(itertools.islice(steps, max(0, rows - 1)))
        ts = [float(t) for t, _ in block]
        pos = np.asarray([p for _, p in block], dtype=float).reshape(len(block), n, 2)
        D = np.hypot(pos[:, :, None, 0] - cells[None, None, :, 0],
                     pos[:, :, None, 1] - cells[None, None, :, 1])
        INS = D <= reach[None, None, :]
        anyin = INS.any(axis=2)  # (times x stations)
        every = np.arange(n)
        if cur is None:
            cur = np.full(n, -1)  # the cell associated with; -1: none
            gave = np.full(n, -1)  # the cell last given up (-1: never associated)
            out_since = np.full(n, np.nan)  # since when out of its cell's reach
        j = 0
        while j < len(block):
            t = ts[j]
            if prev_t is not None:  # the state held over (prev_t, t]
                span = max(0.0, min(t, w1) - max(prev_t, w0))
                station_s += n * span
                detached_s += span * int((cur < 0).sum())
            has = cur >= 0
            home = INS[j, every, np.maximum(cur, 0)]  # in its own cell's reach
            # The stations whose state can change now: out of their cell, or in a coverage
            # hole with a cell in reach, or back in reach with a give-up pending.
            act = np.flatnonzero((has & ~home) | (~has & anyin[j]) | ~np.isnan(out_since))
            prev_t = t
            j += 1
            if len(act):
                c, since = cur[act], out_since[act]
                h = c >= 0
                in_c = h & home[act]
                since = np.where(in_c | ~h, np.nan, np.where(np.isnan(since), t, since))
                give_up = h & ~in_c & (t - since >= detection_s - 1e-9)
                gave[act] = np.where(give_up, c, gave[act])
                cur[act] = np.where(give_up, -1, c)
                out_since[act] = np.where(give_up, np.nan, since)
                joins = act[(cur[act] < 0) & anyin[j - 1, act]]
                if len(joins):
                    nearest = np.argmin(np.where(INS[j - 1, joins], D[j - 1, joins], np.inf), axis=1)
                    all_joins.extend((t, int(i), int(gave[i]), int(new)) for i, new in zip(joins, nearest))
                    if w0 <= t < w1:
                        for i, new in zip(joins, nearest):
                            old = int(gave[i])
                            if old < 0:
                                continue
                            events.append((t, int(i), old, int(new)))
                            if old == new:
                                reassoc += 1
                            else:
                                counts[(old, int(new))] = counts.get((old, int(new)), 0) + 1
                    cur[joins] = nearest
                continue
            # Nothing could change: quiet until a station leaves its cell or finds one; the
            # times until then only add to the station-time (looked ahead 64 at a time).
            detached = int((~has).sum())
            while j < len(block):
                k = min(len(block), j + 64)
                moved = np.where(has[None, :], ~INS[j:k, every, np.maximum(cur, 0)],
                                 anyin[j:k]).any(axis=1)
                until = j + int(np.argmax(moved)) if moved.any() else k
                for t in ts[j:until]:
                    span = max(0.0, min(t, w1) - max(prev_t, w0))
                    station_s += n * span
                    detached_s += span * detached
                    prev_t = t
                j = until
                if until < k:
                    break
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
                       lambda times: rwp_positions(mobility, hosts, times, rng),
                       walks=("rwp_positions", repr(mobility), int(hosts), seed))


# The walks counted lately, by what decides the count (the walks, the cells' places and reaches,
# the sampling, the detection delay, the window): E3's integrated and flat cases share their cells
# and their hosts' walks, so each count serves both. Counts are read, never changed.
_COUNTS: dict = {}
_COUNTS_KEPT = 64


def _walk_rates(topo, window_s, step_s, detection_s, timers_s, positions_at, walks=None):
    """Handoff rates of the walks ``positions_at(times)`` gives, sampled every ``step_s`` up to
    the window's end, under the station's rule (:func:`handoffs_along`; detection by default
    ``max_missed_beacons`` beacon intervals). ``walks``: a hashable name of exactly those walks
    (their generator and its inputs), under which the count is kept for another topology with
    the same cells; None: not kept."""
    import numpy as np

    if detection_s is None:
        w = topo.scenario.wifi
        detection_s = w.max_missed_beacons * w.beacon_interval_s
    names = list(topo.radios)
    cells = np.array([topo.radios[b].position_m[:2] for b in names], dtype=float)
    reach = np.array([cell_reach_m(topo, b) for b in names])
    key = None if walks is None else (walks, cells.tobytes(), reach.tobytes(), tuple(window_s),
                                      float(step_s), float(detection_s))
    c = _COUNTS.get(key) if key is not None else None
    if c is None:
        times = np.arange(0.0, window_s[1] + step_s / 2, step_s)
        c = handoffs_along(cells, reach, times, positions_at(times), detection_s=detection_s,
                           window_s=window_s)
        if key is not None:
            while len(_COUNTS) >= _COUNTS_KEPT:
                _COUNTS.pop(next(iter(_COUNTS)))
            _COUNTS[key] = c
    return _rates_from(topo, names, c, window_s, timers_s)
