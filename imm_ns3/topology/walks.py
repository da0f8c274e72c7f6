"""Mobility: the waypoint walk as explicit (time, position) pairs, computed here so that tests
and the builder agree on when a host is where."""

from __future__ import annotations

import math

from ..ns2trace import position
from ..scenario import WaypointMobility


# --------------------------------------------------------------------------------------------
# Mobility: the waypoint walk as explicit (time, position) pairs, computed here so that tests
# and the builder agree on when a host is where.
# --------------------------------------------------------------------------------------------


def waypoint_schedule(m: WaypointMobility, start_s: float) -> list[tuple[float, tuple[float, float, float]]]:
    """(time_s, position) of each waypoint arrival and departure for a walk starting at start_s."""
    out = [(0.0, m.waypoints_m[0])]
    t = start_s
    if start_s > 0:
        out.append((t, m.waypoints_m[0]))
    for prev, nxt in zip(m.waypoints_m, m.waypoints_m[1:]):
        if m.pause_s > 0:
            t += m.pause_s
            out.append((t, prev))
        t += math.dist(prev, nxt) / m.speed_mps
        out.append((t, nxt))
    return out


def position_at(m: WaypointMobility, start_s: float, t: float) -> tuple[float, float, float]:
    return position(waypoint_schedule(m, start_s), t)
