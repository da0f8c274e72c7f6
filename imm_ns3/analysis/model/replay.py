"""The walks of a stored run replayed without ns-3: ns-3's MRG32k3a streams and its
random-waypoint model in pure Python."""

from __future__ import annotations

import math

from .walks import HandoffRates, _walk_rates


# ---- the walks of a stored run, replayed without ns-3 ------------------------------------------
# What imm-ns3's builder gives ns-3 (imm_ns3/adapter/run.py RNG_SEED, adapter/builder.py
# _STREAM_MOBILITY): the run's seed is ns-3's RngRun, host i's mobility uses streams from
# MOBILITY_STREAM_BASE + 10 i. tests/package/test_model.py checks the two stay equal.
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
                       lambda times: ns3_rwp_positions(mobility, run, hosts, times),
                       walks=("ns3_rwp_positions", repr(mobility), int(run), int(hosts)))
