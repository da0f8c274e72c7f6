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

Limits (each refusal names the line): node ids 0 to 10^6 (``first_node``'s range); coordinates
within 10^6 m of the origin (as the scenario's); times from 0 to 10^6 s (the longest run); a
speed of 0 (ns-2: stop where it is) or from 0.001 to 10^6 m/s, so that a walk (at most
2.9 x 10^6 m) ends within 2.9 x 10^9 s, which ns-3's nanosecond clock holds; lines of at most
1000 characters. ns-3 counts time in whole nanoseconds and wants each waypoint after the one
before: a point that would fall in the same nanosecond as the point before it (two events
0.2 ns apart, a walk shorter than a nanosecond) is moved to the next nanosecond.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .scenario.bounds import MAX_COORDINATE_M, MAX_DURATION_S

# A number: one way only to split its digits (no backtracking quadratic in a long line). ASCII
# digits and blanks only (re.ASCII): '\d' would also take other scripts' digits.
NUM = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_SET = re.compile(rf"^\$node_\((\d+)\)\s+set\s+([XYZ])_\s+{NUM}$", re.ASCII)
_AT_SET = re.compile(rf'^\$ns_\s+at\s+{NUM}\s+"\$node_\((\d+)\)\s+set\s+([XYZ])_\s+{NUM}"$',
                     re.ASCII)
_AT_DEST = re.compile(rf'^\$ns_\s+at\s+{NUM}\s+"\$node_\((\d+)\)\s+setdest\s+{NUM}\s+{NUM}\s+{NUM}"$',
                      re.ASCII)

MAX_LINE_CHARS = 1000  # a movement line is some 60 characters
MAX_NODE_ID = 10**6  # the range of the scenario's first_node
MAX_TIME_S = MAX_DURATION_S  # an event after the longest run could never matter
MIN_SPEED_MPS = 1e-3  # 1 mm/s: a walk across the whole area (2.9e6 m) ends within 2.9e9 s
MAX_SPEED_MPS = 1e6

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
        if len(raw) > MAX_LINE_CHARS:
            raise TraceError(f"{where}, line {n}: longer than {MAX_LINE_CHARS} characters"
                             f" ({len(raw)}); a movement line is some 60")
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if m := _SET.match(line):
            node, axis = _node(m[1], where, n), "XYZ".index(m[2])
            initial.setdefault(node, [0.0, 0.0, 0.0])[axis] = _coordinate(m[3], where, n)
        elif m := _AT_SET.match(line):
            t, node, axis = _time(m[1], where, n), _node(m[2], where, n), "XYZ".index(m[3])
            events.append((t, n, node, "set", (axis, _coordinate(m[4], where, n))))
        elif m := _AT_DEST.match(line):
            t, node = _time(m[1], where, n), _node(m[2], where, n)
            x, y = _coordinate(m[3], where, n), _coordinate(m[4], where, n)
            events.append((t, n, node, "dest", (x, y, _speed(m[5], where, n))))
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
    strictly increasing (a jump lands JUMP_S after it leaves), and each point in a later
    nanosecond of ns-3's clock than the one before."""
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
    return _whole_nanoseconds(out)


def _whole_nanoseconds(points: list[Point]) -> list[Point]:
    """The builder hands ns-3 round(t * 1e9) ns, and ns-3 aborts unless each waypoint is later
    than the one before: a point in the same nanosecond as the one before (or earlier) moves to
    the next nanosecond. Points a nanosecond or more apart keep their times exactly."""
    prev = None
    for i, (t, p) in enumerate(points):
        ns = round(t * 1e9)
        if prev is not None and ns <= prev:
            t = (prev + 1) / 1e9
            while round(t * 1e9) <= prev:  # exact below 2^53 ns; beyond, the next double
                t = math.nextafter(t, math.inf)
            points[i] = (t, p)
            ns = round(t * 1e9)
        prev = ns
    return points


def _node(text: str, where: str, n: int) -> int:
    if len(text.lstrip("0")) > 7 or int(text) > MAX_NODE_ID:  # no int() of 5000 digits
        raise TraceError(f"{where}, line {n}: node id {_cut(text)} is not a node id from 0 to"
                         f" {MAX_NODE_ID}")
    return int(text)


def _coordinate(text: str, where: str, n: int) -> float:
    v = float(text)
    if not math.isfinite(v) or abs(v) > MAX_COORDINATE_M:
        raise TraceError(f"{where}, line {n}: {_cut(text)} is not a coordinate within"
                         f" {MAX_COORDINATE_M:g} m of the origin")
    return v


def _speed(text: str, where: str, n: int) -> float:
    v = float(text)
    if not (v == 0 or MIN_SPEED_MPS <= v <= MAX_SPEED_MPS):
        raise TraceError(f"{where}, line {n}: setdest speed {_cut(text)} is not 0 (stop) or from"
                         f" {MIN_SPEED_MPS:g} to {MAX_SPEED_MPS:g} m/s")
    return v


def _time(text: str, where: str, n: int) -> float:
    t = float(text)
    if not 0 <= t <= MAX_TIME_S:  # also nan
        raise TraceError(f"{where}, line {n}: time {_cut(text)} is not a time from 0 to"
                         f" {MAX_TIME_S:g} s (the longest run)")
    return t


def _cut(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:24]}... ({len(text)} characters)"
