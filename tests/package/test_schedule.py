"""The per-host traffic schedule (pure): calls with holding times, spread start times."""

from __future__ import annotations

import statistics

import pytest

from imm_ns3.schedule import call_plan, spread_start

HOSTS = [f"mh{i}" for i in range(1, 401)]


def test_without_spread_or_holding_every_call_lasts_the_whole_run():
    plans = call_plan(HOSTS[:5], 1, call_at_s=3.0, spread_s=0.0, holding_s=0.0,
                      holding="exponential", run_end_s=49.0)
    assert {(p.start_s, p.end_s) for p in plans.values()} == {(3.0, 49.0)}


def test_spread_and_exponential_holding_have_the_model_s_moments():
    plans = call_plan(HOSTS, 7, call_at_s=5.0, spread_s=240.0, holding_s=20.0,
                      holding="exponential", run_end_s=1e9)
    starts = [p.start_s for p in plans.values()]
    holds = [p.end_s - p.start_s for p in plans.values()]
    assert 5.0 <= min(starts) and max(starts) <= 245.0
    assert abs(statistics.mean(starts) - 125.0) < 12  # uniform: mean 125, sd 69 / sqrt(400)
    assert abs(statistics.mean(holds) - 20.0) < 3  # exponential: sd of the mean 20 / sqrt(400)
    assert abs(statistics.stdev(holds) - 20.0) < 4  # sd = mean: not a fixed holding time
    assert len(set(starts)) == len(starts)


def test_fixed_holding_and_truncation_at_the_end_of_the_run():
    plans = call_plan(HOSTS[:50], 2, call_at_s=0.0, spread_s=100.0, holding_s=30.0,
                      holding="fixed", run_end_s=110.0)
    for p in plans.values():
        assert p.end_s == min(p.start_s + 30.0, 110.0)
    assert any(p.end_s == 110.0 for p in plans.values())


def test_a_host_s_draw_depends_on_the_seed_and_its_name_only():
    a = call_plan(["mh1", "mh2", "mh3"], 5, call_at_s=0, spread_s=60, holding_s=10,
                  holding="exponential", run_end_s=100)
    b = call_plan(["mh3", "mh9"], 5, call_at_s=0, spread_s=60, holding_s=10,
                  holding="exponential", run_end_s=100)
    c = call_plan(["mh3"], 6, call_at_s=0, spread_s=60, holding_s=10,
                  holding="exponential", run_end_s=100)
    assert a["mh3"] == b["mh3"] and a["mh3"] != c["mh3"]
    assert spread_start(5, "tcp", "mh3", 4.0, 0.0) == 4.0
    assert spread_start(5, "tcp", "mh3", 4.0, 10.0) != spread_start(5, "call", "mh3", 4.0, 10.0)


def test_unknown_holding_distribution_is_refused():
    with pytest.raises(ValueError, match="holding"):
        call_plan(["mh1"], 1, call_at_s=0, spread_s=0, holding_s=1, holding="pareto", run_end_s=9)
