"""What a run will cost before it starts: wall time estimated from the benchmark rows
(benchmarks/results-2026-11-29.jsonl, one core of a quiet 2-core machine). ``imm-sim validate``
prints it and ``imm-sim run`` warns before a run expected to take more than a few minutes.

The cost per simulated second grows faster than the number of hosts (every frame on a shared
channel reaches every station's PHY): between two benchmark rows it is interpolated on a
log-log scale, beyond the last row extrapolated with the last segment's exponent. Traffic
(calls, TCP, the scenario's flows) costs several times signalling alone; the traffic rows are
the ``crowd`` scenario's load per host, so a scenario with heavier traffic per host costs more.
An estimate for planning, within a factor of about two; the machine it runs on sets the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# (mobile hosts, wall seconds per simulated second) from benchmarks/results-2026-11-29.jsonl;
# the traffic row of one host is E1's patent walk (its TCP transfer, call and 50 packet/s
# probe at once: 6 s for 50 s simulated), heavier per host than the crowd's load.
SIGNALLING_ROWS = ((1, 0.0103), (10, 0.0273), (40, 0.1278), (100, 0.5959))
TRAFFIC_ROWS = ((1, 0.12), (10, 0.0667), (40, 0.3742), (100, 2.0356))
START_S = 2.5  # building the network and reaching the first event, ns-3 already imported
BENCHMARK = "benchmarks/results-2026-11-29.jsonl"
WARN_ABOVE_S = 300.0  # imm-sim run says what it will cost above this


def _per_sim_second(rows: tuple[tuple[int, float], ...], hosts: int) -> float:
    n = max(1, hosts)
    pts = [(math.log(h), math.log(w)) for h, w in rows]
    x = math.log(n)
    if x <= pts[0][0]:
        (x0, y0), (x1, y1) = pts[0], pts[1]
    elif x >= pts[-1][0]:
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
    else:
        i = next(i for i in range(len(pts) - 1) if pts[i][0] <= x <= pts[i + 1][0])
        (x0, y0), (x1, y1) = pts[i], pts[i + 1]
    slope = (y1 - y0) / (x1 - x0)
    y = y0 + slope * (x - x0)
    # never below a row of fewer hosts: more hosts never make a run cheaper
    return max([math.exp(y)] + [w for h, w in rows if h <= n])


@dataclass(frozen=True)
class Cost:
    hosts: int
    sim_s: float
    traffic: bool
    wall_s: float

    def line(self) -> str:
        kind = "with traffic" if self.traffic else "signalling only"
        return (f"estimated cost: about {duration(self.wall_s)} of one core ({self.hosts} mobile"
                f" host{'s' if self.hosts != 1 else ''} x {self.sim_s:g} s simulated, {kind};"
                f" from {BENCHMARK})")


def estimate(scenario) -> Cost:
    """The wall time one run of ``scenario`` is expected to take."""
    from ..topology import build_topology

    hosts = len(build_topology(scenario).mobile_hosts)
    traffic = bool(scenario.tcp.enabled or scenario.sip.enabled or scenario.flows)
    rows = TRAFFIC_ROWS if traffic else SIGNALLING_ROWS
    sim_s = float(scenario.simulation.duration_s)
    return Cost(hosts, sim_s, traffic, START_S + _per_sim_second(rows, hosts) * sim_s)


def duration(s: float) -> str:
    if s < 90:
        return f"{max(1, round(s))} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} days"
