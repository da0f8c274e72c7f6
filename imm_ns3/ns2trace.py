"""ns-2 movement traces (the format ns-3's ``Ns2MobilityHelper`` reads, as written by ns-2's
``setdest`` and BonnMotion) turned into timed waypoints, for ``mobility.model = "ns2_trace"``.

Lines understood (anything else that is not blank or a ``#`` comment is an error naming the
line)::

    $node_(3) set X_ 150.0            # initial position (Y_, Z_ likewise)
    $ns_ at 2.5 "$node_(3) setdest 400.0 20.0 10.0"   # from t, walk to (x, y) at speed m/s
    $ns_ at 9.0 "$node_(3) set X_ 60.0"              # jump there at t

A ``setdest`` moves the node in a straight line from where it is at ``t`` (interrupting a walk
still under way, as ns-2 does) and stops it at the destination. The result is, per node, a list
of (time, position) points between which the node moves linearly, which is exactly what ns-3's
``WaypointMobilityModel`` does: the builder hands them to it, and the coverage check
interpolates the same points.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_SET = re.compile(rf"^\$node_\((\d+)\)\s+set\s+([XYZ])_\s+{NUM}$")
_AT_SET = re.compile(rf'^\$ns_\s+at\s+{NUM}\s+"\$node_\((\d+)\)\s+set\s+([XYZ])_\s+{NUM}"$')
_AT_DEST = re.compile(rf'^\$ns_\s+at\s+{NUM}\s+"\$node_\((\d+)\)\s+setdest\s+{NUM}\s+{NUM}\s+{NUM}"$')

Point = tuple[float, tuple[float, float, float]]


class TraceError(ValueError):
    """A line of the trace that is not understood (the message names it)."""


@dataclass
class _Node:
    pos: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    # The movement under way: (t0, p0, t1, p1), or None when standing.
    move: tuple[float, tuple[float, ...], float, tuple[float, ...]] | None = None
    points: list[Point] = field(default_factory=list)

    def at(self, t: float) -> tuple[float, float, float]:
        if self.move is None:
            return tuple(self.pos)  # type: ignore[return-value]
        t0, p0, t1, p1 = self.move
        return position([(t0, tuple(p0)), (t1, tuple(p1))], t)  # type: ignore[list-item]

    def settle(self, t: float) -> tuple[float, float, float]:
        """Where the node is at ``t``; a movement under way is cut there."""
        p = self.at(t)
        if self.move is not None:
            if t < self.move[2]:
                self.points.append((t, p))  # interrupted: the node turns here
            self.move = None
        self.pos = list(p)
        return p


def parse(text: str, where: str = "trace") -> dict[int, list[Point]]:
    """Per node id, its (time, position) points in time order, starting at time 0."""
    events: list[tuple[float, int, int, str, tuple[float, ...]]] = []
    initial: dict[int, list[float]] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if m := _SET.match(line):
            node, axis, v = int(m[1]), "XYZ".index(m[2]), float(m[3])
            initial.setdefault(node, [0.0, 0.0, 0.0])[axis] = _finite(v, where, n)
        elif m := _AT_SET.match(line):
            t, node, axis, v = float(m[1]), int(m[2]), "XYZ".index(m[3]), float(m[4])
            events.append((_time(t, where, n), n, node, "set", (axis, _finite(v, where, n))))
        elif m := _AT_DEST.match(line):
            t, node = float(m[1]), int(m[2])
            x, y, speed = (_finite(float(m[k]), where, n) for k in (3, 4, 5))
            if speed < 0:
                raise TraceError(f"{where}, line {n}: setdest speed {speed} is negative")
            events.append((_time(t, where, n), n, node, "dest", (x, y, speed)))
        else:
            raise TraceError(f"{where}, line {n}: not an ns-2 movement line: {raw.strip()[:80]!r}"
                             " (expected '$node_(i) set X_ x' or '$ns_ at t \"$node_(i) setdest x y"
                             " speed\"')")
    ids = set(initial) | {e[2] for e in events}
    if not ids:
        raise TraceError(f"{where}: no node in the trace")
    nodes = {i: _Node(list(initial.get(i, [0.0, 0.0, 0.0]))) for i in ids}
    for i, nd in nodes.items():
        nd.points.append((0.0, tuple(nd.pos)))  # type: ignore[arg-type]
    for t, _, i, kind, args in sorted(events):  # by time, then by line
        nd = nodes[i]
        p = nd.settle(t)
        if kind == "set":
            axis, v = args
            q = list(p)
            q[int(axis)] = v
            nd.points.append((t, p))
            nd.points.append((t, tuple(q)))  # type: ignore[arg-type]
            nd.pos = q
        else:
            x, y, speed = args
            dest = (x, y, p[2])
            dist = math.dist(p, dest)
            nd.points.append((t, p))
            if dist == 0 or speed == 0:
                continue  # ns-2: a setdest at speed 0 stops the node where it is
            t1 = t + dist / speed
            nd.move = (t, p, t1, dest)
            nd.points.append((t1, dest))
    return {i: _clean(nd.points) for i, nd in sorted(nodes.items())}


def position(points: list[Point], t: float) -> tuple[float, float, float]:
    """The position at ``t`` moving linearly between (time, position) points (before the first:
    the first; after the last: the last; at a jump -- two points at one time -- the later one).
    Shared by the traces and the waypoint walks (topology.position_at)."""
    if t <= points[0][0]:
        return points[0][1]
    for (t0, p0), (t1, p1) in zip(points, points[1:]):
        if t0 <= t < t1:
            f = (t - t0) / (t1 - t0)
            return tuple(a + f * (b - a) for a, b in zip(p0, p1))  # type: ignore[return-value]
    return points[-1][1]


JUMP_S = 1e-6  # a jump (set X_ at t) takes this long: ns-3 wants waypoint times increasing


def _clean(points: list[Point]) -> list[Point]:
    """Time order (a later interruption may have cut a planned arrival), no repeats, times
    strictly increasing (a jump lands JUMP_S after it leaves)."""
    out: list[Point] = []
    for t, p in points:
        while out and out[-1][0] > t:  # an arrival planned after a turn that came first
            out.pop()
        p = tuple(float(v) for v in p)
        if out and out[-1][1] == p and out[-1][0] == t:
            continue
        if out and t <= out[-1][0]:
            t = out[-1][0] + JUMP_S
        out.append((t, p))  # type: ignore[arg-type]
    return out


def _finite(v: float, where: str, n: int) -> float:
    if not math.isfinite(v) or abs(v) > 1e7:
        raise TraceError(f"{where}, line {n}: {v} is not a coordinate or speed within 10,000 km")
    return v


def _time(t: float, where: str, n: int) -> float:
    if not math.isfinite(t) or t < 0:
        raise TraceError(f"{where}, line {n}: time {t} is not a time from 0 on")
    return t
