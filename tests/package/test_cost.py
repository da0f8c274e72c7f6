"""The cost estimate that validate prints and run warns with (imm_ns3.analysis.cost)."""

from __future__ import annotations

from click.testing import CliRunner

from imm_ns3.cli import main
from imm_ns3.analysis.cost import SIGNALLING_ROWS, TRAFFIC_ROWS, _per_sim_second, estimate
from imm_ns3.scenario import load_scenario


def test_the_estimate_passes_through_the_benchmark_rows_and_never_falls_with_hosts():
    for rows in (SIGNALLING_ROWS, TRAFFIC_ROWS):
        for h, w in rows:
            assert abs(_per_sim_second(rows, h) - max(x for n, x in rows if n <= h)) < 1e-9
        costs = [_per_sim_second(rows, n) for n in range(1, 1001, 7)]
        assert all(b >= a * (1 - 1e-12) for a, b in zip(costs, costs[1:]))


def test_crowd_is_estimated_near_its_measured_nine_minutes_and_validate_says_so():
    c = estimate(load_scenario("crowd"))
    assert c.hosts == 100 and c.traffic and 5 * 60 < c.wall_s < 15 * 60  # measured 8 min 35 s
    r = CliRunner().invoke(main, ["validate", "crowd"])
    assert "estimated cost: about 10 min of one core (100 mobile hosts x 300 s simulated" in r.output
    quiet = estimate(load_scenario("patent-walk", ["sip.enabled=false", "tcp.enabled=false"]))
    assert not quiet.traffic and quiet.wall_s < estimate(load_scenario("patent-walk")).wall_s
    long = estimate(load_scenario("patent-walk", ["simulation.duration_s=1000000"]))
    assert "h of one core" in long.line()
