"""The analytic models (imm_ns3/analysis/model/), the statistics (imm_ns3/analysis/stats.py) and the
model-check table: pure, no ns-3."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from imm_ns3.analysis import model as M
from imm_ns3.analysis.figures import MODEL_CHECK_COLUMNS, check_rows, write_model_check
from imm_ns3.scenario import load_scenario
from imm_ns3.analysis.stats import ecdf, mann_whitney, mean_ci, median_ci, median_ranks, wilson
from imm_ns3.topology import build_topology

from conftest import ROOT


@pytest.fixture(scope="module")
def walk():
    return build_topology(load_scenario("patent-walk"))


# ---- Latency: fixed delays plus uniform waits -------------------------------------------------
def test_one_uniform_is_linear_and_two_equal_ones_are_triangular():
    one = M.uniform("w", 0.4)
    assert one.cdf(0.1) == pytest.approx(0.25) and one.median == pytest.approx(0.2)
    two = M.uniform("a", 1.0) + M.uniform("b", 1.0)
    assert two.cdf(0.5) == pytest.approx(0.125)
    assert two.cdf(1.0) == pytest.approx(0.5)
    assert two.cdf(1.5) == pytest.approx(0.875)
    assert (two.cdf(-1), two.cdf(3)) == (0.0, 1.0)


def test_unequal_uniforms_match_monte_carlo():
    lat = M.fixed("f", 0.2) + M.uniform("a", 0.1) + M.uniform("b", 0.5) + M.uniform("c", 0.03)
    rng = np.random.default_rng(1)
    draws = 0.2 + rng.uniform(0, 0.1, 200_000) + rng.uniform(0, 0.5, 200_000) \
        + rng.uniform(0, 0.03, 200_000)
    for t in (0.25, 0.35, 0.45, 0.6, 0.8):
        assert lat.cdf(t) == pytest.approx((draws <= t).mean(), abs=0.005)
    assert lat.mean == pytest.approx(draws.mean(), abs=0.002)
    assert lat.std == pytest.approx(draws.std(), abs=0.002)
    assert lat.median == pytest.approx(np.median(draws), abs=0.003)
    assert lat.quantile(0.9) == pytest.approx(np.quantile(draws, 0.9), abs=0.003)
    assert dict(lat.parts) == pytest.approx({"f": 0.2, "a": 0.05, "b": 0.25, "c": 0.015})


def test_quantile_rejects_a_probability_outside_0_1():
    with pytest.raises(ValueError, match="q: between 0 and 1"):
        M.uniform("w", 1).quantile(1.5)


# ---- handoff latency from the scenario ---------------------------------------------------------
def test_radio_latency_is_missed_beacons_plus_scan_plus_association(walk):
    s = walk.scenario
    lat = M.radio_latency(s)
    assert lat.uniform_s == ()
    assert lat.mean == pytest.approx(5 * 0.1024 + 0.05 + 6 * M.unicast_s(60, 6.0))
    listening = s.wifi.model_copy(update={"active_probing": False})
    passive = M.radio_latency(s.model_copy(update={"wifi": listening}))
    assert passive.uniform_s == (s.wifi.beacon_interval_s,)


def test_mmp_latency_by_kind(walk):
    s = walk.scenario
    intra = M.mmp_latency(walk, "intra_domain", "bs504b")
    assert intra.mean == pytest.approx(s.mmp.bs_beacon_interval_s / 2)
    inter_domain = M.mmp_latency(walk, "inter_domain", "bs503a")
    inter_subnet = M.mmp_latency(walk, "inter_subnet", "bs504a")
    waits = s.mmp.bs_beacon_interval_s / 2 + s.drcp.advertisement_interval_s / 2
    # Both wait for a beacon and an advertisement; the rest are round trips of milliseconds.
    assert 0 < inter_domain.mean - waits < 0.02 and 0 < inter_subnet.mean - waits < 0.03
    assert "DRCP" in dict(inter_subnet.parts) and "DRCP" not in dict(inter_domain.parts)
    with pytest.raises(ValueError, match="kind: one of"):
        M.mmp_latency(walk, "sideways", "bs504a")


def test_registration_through_a_border_router_goes_up_and_down(walk):
    """sn1 has a border router (two domains): the acknowledgement to the care-of address is
    routed gateway -> border router -> gateway, two more border-link crossings than in sn2."""
    via_br = M.registration_rtt(walk, "bs503a").fixed_s
    direct = M.registration_rtt(walk, "bs504a").fixed_s
    border_ms = walk.scenario.links.domain.delay_ms
    assert via_br - direct == pytest.approx(2 * border_ms * 1e-3, abs=1e-4)


def test_wired_paths_follow_link_delays(walk):
    assert M.wired_path(walk, "bs504b", "gw504") == ["bs504b", "in504", "gw504"]
    assert M.path_s(walk, "bs504b", "gw504", 0) == pytest.approx(2e-3 + 2 * 2 * 8 / 100e6)
    with pytest.raises(KeyError, match="'nowhere'"):
        M.wired_path(walk, "nowhere", "gw504")


def test_in_flight_time_and_semisoft_saving(walk):
    assert M.in_flight_s(walk, "bs503a", "bs504a") == 0.0  # no crossover across domains
    t = M.in_flight_s(walk, "bs504a", "bs504b")
    assert t == pytest.approx(1e-3 + 230 * 8 / 100e6 + M.unicast_s(228), rel=1e-6)
    assert M.semisoft_saving(100, walk, "bs504a", "bs504b") == pytest.approx(100 * t)
    assert M.packets_lost(50, 0.8) == pytest.approx(40) and M.packets_lost(50, -1) == 0


def test_mobile_ip_is_slower_than_miplr_by_the_detour(walk):
    direct = M.miplr_delay_s(walk, "ch", "bs504a")
    triangle = M.mobile_ip_delay_s(walk, "ch", "ha", "bs504a")
    home_ms = walk.scenario.subnets["home"].access_link.delay_ms
    assert triangle - direct == pytest.approx(2 * home_ms * 1e-3, abs=2e-3)


def test_airtime_of_a_full_frame_at_54_mbits():
    # 1500 bytes + 36 of MAC overhead at 54 Mbit/s: 57 symbols of 4 us, + 20 us preamble + 6.
    assert M.ofdm_airtime_s(1536, 54) == pytest.approx(20e-6 + 57 * 4e-6 + 6e-6)


def test_fluid_flow_crossings_match_moving_points():
    """Points spread uniformly on a 1 km torus, random headings, speed v: the count crossing a
    200 m line in a short step is 2 rho v l / pi per second."""
    rng = np.random.default_rng(7)
    n, side, v, dt, length = 400_000, 1000.0, 5.0, 0.5, 200.0
    x, y = rng.uniform(0, side, n), rng.uniform(0, side, n)
    th = rng.uniform(0, 2 * math.pi, n)
    x2 = x + v * dt * np.cos(th)
    crossed = ((x < 500) != (x2 < 500)) & (np.abs(y - 500) < length / 2)
    rate = crossed.sum() / dt
    expect = M.rectangle_crossings(n, v, side, side, 2) * length / side
    assert rate == pytest.approx(expect, rel=0.05)
    assert M.boundary_crossing_rate(n, v, 4 * side, side * side) == pytest.approx(
        n / side ** 2 * v * 4 * side / math.pi)


# ---- statistics ---------------------------------------------------------------------------
def test_median_ci_covers_and_is_deterministic():
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(60):
        m = median_ci(rng.exponential(1.0, 40))
        covered += m.lo <= math.log(2) <= m.hi
    assert covered >= 50  # nominal 95 %: 57 expected of 60
    x = rng.uniform(0, 1, 31)
    assert median_ci(x) == median_ci(x)
    assert median_ci(x) == median_ci(x[::-1]) == median_ci(rng.permutation(x))
    one = median_ci([0.3, None, float("nan")])
    assert one.n == 1 and one.median == 0.3 and math.isnan(one.lo)
    five = median_ci([1, 2, 3, 4, 5])  # even (min, max) covers only 1 - 2/32 < 95 %
    assert five.median == 3 and math.isnan(five.lo) and math.isnan(five.hi)
    # n = 30: the 10th and 21st smallest (the published table's ranks)
    m = median_ci(np.arange(1.0, 31.0))
    assert (m.lo, m.median, m.hi) == (10.0, 15.5, 21.0)
    with pytest.raises(ValueError, match="level"):
        median_ci(x, level=1.0)


def test_median_ranks_exact_and_normal():
    assert median_ranks(5) is None and median_ranks(6) == (1, 6)
    assert [median_ranks(n) for n in (10, 60, 100)] == [(2, 9), (22, 39), (40, 61)]
    for n in (6, 17, 30, 64, 500):
        j, k = median_ranks(n)
        cover = sum(math.comb(n, i) for i in range(j, k)) / 2 ** n
        wider = sum(math.comb(n, i) for i in range(j + 1, k - 1)) / 2 ** n
        assert cover >= 0.95 > wider  # the narrowest symmetric interval that reaches 95 %
    j, k = median_ranks(5000)  # normal approximation beyond 1000
    assert (j, k) == (2430, 2571)


def test_wilson():
    lo, hi = wilson(0, 30)
    assert lo == 0.0 and hi == pytest.approx(0.1135, abs=1e-4)
    lo, hi = wilson(15, 30)
    assert lo == pytest.approx(0.3315, abs=1e-4) and hi == pytest.approx(0.6685, abs=1e-4)
    assert all(math.isnan(v) for v in wilson(0, 0))


def test_mann_whitney_known_values():
    t = mann_whitney([19, 22, 16, 29, 24], [20, 11, 17, 12])
    assert t.u == 17 and t.effect == pytest.approx(17 / 20)
    apart = mann_whitney(np.arange(30), np.arange(30) + 100)
    assert apart.u == 0 and apart.p < 1e-9 and apart.effect == 0
    same = mann_whitney([1, 2, 3, 4] * 5, [1, 2, 3, 4] * 5)
    assert same.p == pytest.approx(1.0)
    ties = mann_whitney([1, 1, 2], [1, 2, 2])
    assert ties.u == pytest.approx(3.0)  # x ranks 2 + 2 + 5 (ties averaged) - 3 * 4 / 2
    assert math.isnan(mann_whitney([], [1]).p)
    assert "p = " in t.text("a", "b")


def test_mean_ci_and_ecdf():
    m, h, n = mean_ci([1.0, 2.0, 3.0, None])
    assert (m, n) == (2.0, 3) and h == pytest.approx(4.303 * 1 / math.sqrt(3))
    x, p = ecdf([3, 1, 2, float("nan")])
    assert list(x) == [1, 2, 3] and list(p) == pytest.approx([1 / 3, 2 / 3, 1])


# ---- the model-check table ------------------------------------------------------------------
def test_model_check_rows_and_file(tmp_path):
    rows = check_rows(pd.DataFrame({"quantity": ["q", "q"], "condition": ["a", "b"],
                                    "simulated": [1.1, 2.0], "model": [1.0, 0.0]}), "e9")
    assert list(rows.columns) == list(MODEL_CHECK_COLUMNS)
    assert rows.rel_error.iloc[0] == pytest.approx(0.1) and math.isnan(rows.rel_error.iloc[1])
    with pytest.raises(ValueError, match="no column model"):
        check_rows(pd.DataFrame({"quantity": [], "condition": [], "simulated": []}), "e9")
    with pytest.raises(ValueError, match="figure e8-channel: its check names experiment e8"):
        check_rows(rows.assign(experiment="e8"), "e8-channel")
    path = tmp_path / "model-check.csv"
    write_model_check(path, [("e9", rows)])
    other = rows.assign(experiment="e1")
    write_model_check(path, [("e1", other)])
    write_model_check(path, [("e9", rows.iloc[:1])])  # e9 redone: its rows replaced, e1 kept
    back = pd.read_csv(path)
    assert sorted(back.experiment) == ["e1", "e1", "e9"]


# ---- random-waypoint handoff rates and the signalling they cause ---------------------------
E3 = ROOT / "experiments" / "scenarios"


@pytest.fixture(scope="module")
def e3_pair():
    out = {}
    for case in ("integrated", "flat"):
        s = load_scenario(str(E3 / f"e3-{case}.toml"), ["mobility.speed_mps=10", "mobility.pause_s=0"])
        out[case] = build_topology(s)
    return out


def test_same_walks_same_handoffs_only_labelled_differently(e3_pair):
    """The two E3 networks share their cells: the same walk hands off at the same places;
    flat macro-mobility makes every one of them a sub-network change."""
    rates = {c: M.rwp_handoff_rates(t, t.scenario.mobility, host_seconds=20_000)
             for c, t in e3_pair.items()}
    assert set(rates["flat"].per_s) == {"inter_subnet"}
    assert set(rates["integrated"].per_s) == {"intra_domain", "inter_domain", "inter_subnet"}
    assert rates["integrated"].total_per_s == pytest.approx(rates["flat"].total_per_s)
    assert rates["integrated"].handoffs > 1000


def test_handoff_rate_grows_with_speed(e3_pair):
    t = e3_pair["flat"]
    slow = t.scenario.mobility.model_copy(update={"speed_mps": 2.0})
    fast = M.rwp_handoff_rates(t, t.scenario.mobility, host_seconds=20_000).total_per_s
    assert fast / M.rwp_handoff_rates(t, slow, host_seconds=20_000).total_per_s == pytest.approx(5, rel=0.1)


def test_cell_reach_matches_the_coverage_check(walk):
    from imm_ns3.analysis.coverage import covered

    r = M.cell_reach_m(walk, "bs502a")
    assert 60 < r < 120
    assert covered(walk, 0.0, -(r - 0.5)) and not covered(walk, 0.0, -(r + 0.5))


def test_signalling_load_follows_the_message_flows(e3_pair):
    t = e3_pair["integrated"]
    rates = M.HandoffRates({"intra_domain": 0.01, "inter_domain": 0.02, "inter_subnet": 0.03},
                           1000.0, 60)
    load = M.signalling_load(t, rates, 10)
    s = t.scenario
    moves = 10 * 60 * 0.03
    # A refresh 0.8 lifetimes after the last registration, the timer restarted by every move.
    p, lam = 0.8 * s.macro_mobility.lifetime_s, 0.03
    steady = lam * math.exp(-lam * p) / (1 - math.exp(-lam * p))
    assert load[("home_location_register", "MipUpdate")] == pytest.approx(moves + 10 * 60 * steady)
    in_window = M.signalling_load(t, rates, 10, window_s=(30.0, 90.0))
    assert in_window[("home_location_register", "MipUpdate")] == pytest.approx(moves)  # none due
    assert load[("sip_server", "SIP REGISTER")] == pytest.approx(moves)
    # Every registration and cache update reaches one gateway; every host refreshes its route.
    assert load[("gateway", "Registration")] == pytest.approx(10 * 60 * 0.05)
    assert load[("gateway", "CacheUpdate")] == pytest.approx(10 * 60 * 0.01)
    assert load[("gateway", "RouteUpdate")] == pytest.approx(10 * 60 / s.mmp.route_update_interval_s)
    # ...and passes one intermediate node and one base station on the way.
    assert load[("intermediate", "Registration")] == pytest.approx(load[("gateway", "Registration")])
    assert load[("border_router", "HostRoute")] == pytest.approx(10 * 60 * 0.05)


def test_timer_expiries_against_a_monte_carlo_of_the_timer():
    # A refresh timer of period P from a registration at 0, restarted by Poisson moves of rate
    # lam and by its own expiries: the closed form against counting in simulated histories.
    from imm_ns3.analysis.model import timer_expiries

    rng = np.random.default_rng(5)
    lam, P, w0, w1 = 0.012, 30.0, 30.0, 150.0
    counts = []
    for _ in range(20_000):
        t_reg, t, n = 0.0, 0.0, 0
        while True:  # the next move drawn afresh after every event: memoryless, so equivalent
            t_move = t + rng.exponential(1 / lam)
            if t_reg + P <= t_move:  # the timer fires first
                t = t_reg = t_reg + P
                if t >= w1:
                    break
                n += w0 <= t
            else:
                t = t_reg = t_move
                if t >= w1:
                    break
        counts.append(n)
    assert timer_expiries(lam, P, w0, w1) == pytest.approx(np.mean(counts), abs=0.03)
    assert timer_expiries(0.0, 96.0, 30.0, 90.0) == 0.0  # E3's window: before the first refresh
    assert timer_expiries(0.0, 30.0, 30.0, 90.0) == 2.0  # at 30 and 60
    far = timer_expiries(lam, P, 6000.0, 12000.0) / 6000.0
    assert far == pytest.approx(timer_expiries(lam, P), rel=1e-6)  # the steady-state rate


def test_first_of_periodic_events_against_sampling():
    T = 0.5
    lat = M.fixed("a", 1.0) + M.uniform("b", T) + M.first_of("c", T, 2)
    rng = np.random.default_rng(1)
    n = 200_000
    x = 1.0 + rng.uniform(0, T, n) + np.minimum(rng.uniform(0, T, n), rng.uniform(0, T, n))
    assert lat.mean == pytest.approx(1.0 + T / 2 + T / 3)
    assert lat.median == pytest.approx(float(np.median(x)), abs=2e-3)
    assert lat.std == pytest.approx(float(x.std()), rel=0.01)
    assert lat.max == pytest.approx(1.0 + 2 * T)
    # the first of one event is a plain uniform wait
    assert M.first_of("c", T, 1).median == pytest.approx(M.uniform("c", T).median, abs=1e-9)
    with pytest.raises(ValueError, match="k"):
        M.first_of("c", T, 0)


# ---- E3's missing terms: the walk as simulated, outages, retransmissions, beacon lock ---------
def _e3(case="integrated", *overrides):
    return build_topology(load_scenario(str(E3 / f"e3-{case}.toml"), list(overrides)))


def test_ns3_walks_replayed_without_ns3():
    """Positions ns-3 3.44 gave E3's hosts (read from its RandomWaypointMobilityModel in runs
    seeded as imm-ns3 seeds them): the pure-Python MRG32k3a and stream layout reproduce them."""
    from imm_ns3.adapter.builder import _STREAM_MOBILITY
    from imm_ns3.adapter.run import RNG_SEED

    assert (M.NS3_RNG_SEED, M.MOBILITY_STREAM_BASE) == (RNG_SEED, _STREAM_MOBILITY)
    slow = _e3("integrated", "mobility.speed_mps=2").scenario.mobility
    fast = _e3("integrated", "mobility.speed_mps=10").scenario.mobility
    for mob, run, host, t, xy in [(slow, 1, 0, 0.0, (248.874279, 0.847254)),
                                  (slow, 1, 0, 30.0, (207.836733, 38.95132)),
                                  (slow, 1, 7, 60.0, (184.180533, 89.83388)),
                                  (fast, 3, 42, 45.0, (91.077032, 45.842503))]:
        pos = M.ns3_rwp_positions(mob, run, host + 1, [t])[0][host]
        assert pos == pytest.approx(xy, abs=1e-5)
    legs = M.ns3_rwp_legs(slow, 1, 0, 90.0)
    assert legs[0][0] == slow.pause_s  # ns-3 pauses before the first leg
    assert all(b[0] == pytest.approx(a[0] + a[3] + slow.pause_s) for a, b in zip(legs, legs[1:]))


def test_handoffs_along_keeps_a_cell_until_detection_and_counts_reassociations():
    cells, reach = [(0.0, 0.0), (100.0, 0.0)], [60.0, 60.0]
    t = np.arange(0.0, 20.0, 0.1)

    def path(xs):
        return [np.array([[x, 0.0]]) for x in xs]

    # Straight across at 10 m/s: one handoff, at the first step out of reach of cell 0.
    c = M.handoffs_along(cells, reach, t, path(np.minimum(10 * t, 100.0)))
    assert c.counts == {(0, 1): 1} and c.reassociations == 0 and c.detached_s == 0
    assert c.events[0][0] == pytest.approx(6.1)
    # Out of reach for 0.3 s (less than the detection delay) and back: the cell is kept; and
    # again later: the delay counts from the second time out, not the first.
    xs = np.where((t > 5) & (t < 5.35), 65.0, 30.0)
    assert M.handoffs_along(cells, reach, t, path(xs), detection_s=0.5).counts == {}
    xs = np.where(((t > 5) & (t < 5.35)) | ((t > 9) & (t < 9.35)), 65.0, 30.0)
    assert M.handoffs_along(cells, reach, t, path(xs), detection_s=0.5).counts == {}
    # Into a hole (beyond both cells' reach, y = 70) for 3 s, back to the same cell: a
    # re-association, and 3 s less the detection delay detached.
    hole = [np.array([[30.0, 70.0 if 5 <= s < 8 else 0.0]]) for s in t]
    c = M.handoffs_along(cells, reach, t, hole, detection_s=0.5)
    assert c.counts == {} and c.reassociations == 1
    assert c.detached_s == pytest.approx(2.5, abs=0.11)
    # A window counts only what happens inside it.
    assert M.handoffs_along(cells, reach, t, path(np.minimum(10 * t, 100.0)),
                            window_s=(7.0, 20.0)).counts == {}


def _random_walks(rng, stations, steps, step_s, cells, reach):
    """Stations wandering among and beyond the cells, some parked in a hole or at a cell's
    edge: every branch of the rule (keep, give up, re-associate, hand off, detached)."""
    lo, hi = cells.min(axis=0) - reach.max(), cells.max(axis=0) + reach.max()
    here = rng.uniform(lo, hi, (stations, 2))
    dest = rng.uniform(lo, hi, (stations, 2))
    speed = rng.uniform(0.0, 25.0, stations)
    out = []
    for _ in range(steps):
        out.append(here.copy())
        gap = dest - here
        dist = np.hypot(*gap.T)
        move = np.minimum(dist, speed * step_s)
        here = here + gap * (move / np.maximum(dist, 1e-9))[:, None]
        arrived = dist <= speed * step_s
        dest[arrived] = rng.uniform(lo, hi, (int(arrived.sum()), 2))
    return out


@pytest.mark.parametrize("stations,detection_s,window", [
    (1, 0.0, None), (3, 0.3, (5.0, 40.0)), (10, 0.5, (10.0, 30.0)), (40, 0.25, None),
    (700, 0.3, (2.0, 45.0)),  # more than one block of times
])
def test_handoffs_along_equals_the_step_by_step_rule(stations, detection_s, window):
    rng = np.random.default_rng(stations + 2)
    cells = np.array([(0.0, 0.0), (90.0, 0.0), (180.0, 10.0), (60.0, 120.0)])
    reach = np.array([60.0, 55.0, 70.0, 40.0])
    t = np.arange(0.0, 50.0, 0.1)
    walks = _random_walks(rng, stations, len(t), 0.1, cells, reach)
    want = _stepwise_handoffs_along(cells, reach, t, walks, detection_s=detection_s, window_s=window)
    # positions given lazily, as rwp_window_handoff_rates gives them
    got = M.handoffs_along(cells, reach, t, iter(walks), detection_s=detection_s, window_s=window)
    assert sum(want.counts.values()) > 0 and want.joins
    assert (got.counts, got.reassociations, got.events, got.joins) == (
        want.counts, want.reassociations, want.events, want.joins)
    assert got.station_s == pytest.approx(want.station_s, rel=1e-12)
    assert got.detached_s == pytest.approx(want.detached_s, rel=1e-12, abs=1e-12)


def _stepwise_handoffs_along(cells_xy, reach_m, times, positions, *, detection_s=0.0,
                             window_s=None):
    """The station's rule applied at every time, nothing skipped: the reference
    M.handoffs_along is kept equal to (it skips the times at which nothing can change)."""
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
    for t, pos in zip(times, positions):
        n = len(pos)
        if cur is None:
            cur = np.full(n, -1)  # the cell associated with; -1: none
            gave = np.full(n, -1)  # the cell last given up (-1: never associated)
            out_since = np.full(n, np.nan)
        if prev_t is not None:  # the state held over (prev_t, t]
            span = max(0.0, min(t, w1) - max(prev_t, w0))
            station_s += n * span
            detached_s += span * int((cur < 0).sum())
        d = np.hypot(pos[:, None, 0] - cells[None, :, 0], pos[:, None, 1] - cells[None, :, 1])
        inside = d <= reach[None, :]
        has = cur >= 0
        in_cur = has & inside[np.arange(n), np.maximum(cur, 0)]
        out_since = np.where(in_cur | ~has, np.nan, np.where(np.isnan(out_since), t, out_since))
        give_up = has & ~in_cur & (t - out_since >= detection_s - 1e-9)
        gave = np.where(give_up, cur, gave)
        cur = np.where(give_up, -1, cur)
        out_since = np.where(give_up, np.nan, out_since)
        joins = np.flatnonzero((cur < 0) & inside.any(axis=1))
        if len(joins):
            nearest = np.argmin(np.where(inside[joins], d[joins], np.inf), axis=1)
            all_joins.extend((float(t), int(i), int(gave[i]), int(new)) for i, new in zip(joins, nearest))
            if w0 <= t < w1:
                for i, new in zip(joins, nearest):
                    old = int(gave[i])
                    if old < 0:
                        continue
                    events.append((float(t), int(i), old, int(new)))
                    if old == new:
                        reassoc += 1
                    else:
                        counts[(old, int(new))] = counts.get((old, int(new)), 0) + 1
            cur[joins] = nearest
        prev_t = t
    return M.WalkCount(counts, reassoc, detached_s, station_s, events, all_joins)

def test_a_walk_count_serves_only_the_same_walks_among_the_same_cells():
    """E3's cases share their cells and walks, so a count is kept and reused; a topology with
    other reaches, other walks or another window is counted anew."""
    from imm_ns3.analysis.model import walks as W

    flat, integrated = _e3("flat", "mobility.speed_mps=10"), _e3("integrated", "mobility.speed_mps=10")
    weak = _e3("flat", "mobility.speed_mps=10", "wifi.tx_power_dbm=8")
    mob = flat.scenario.mobility
    W._COUNTS.clear()
    a = M.realised_handoff_rates(flat, mob, 1, 3, (10.0, 60.0))
    assert len(W._COUNTS) == 1
    M.realised_handoff_rates(integrated, mob, 1, 3, (10.0, 60.0))  # the same cells: reused
    assert len(W._COUNTS) == 1
    b = M.realised_handoff_rates(weak, mob, 1, 3, (10.0, 60.0))
    c = M.realised_handoff_rates(flat, mob, 2, 3, (10.0, 60.0))
    d = M.realised_handoff_rates(flat, mob, 1, 3, (20.0, 60.0))
    assert len(W._COUNTS) == 4 and a != b and a != c and a != d
    W._COUNTS.clear()  # counted afresh: the same rates
    assert [M.realised_handoff_rates(*x) for x in ((flat, mob, 1, 3, (10.0, 60.0)),
                                                  (weak, mob, 1, 3, (10.0, 60.0)))] == [a, b]


def test_window_rate_sees_the_transient_of_a_uniform_start():
    """E3 counts 30-90 s after hosts start spread uniformly: at 2 m/s the walk is still in its
    transient and hands off about 4 % more often than in the stationary regime."""
    t = _e3("flat", "mobility.speed_mps=2")
    early = M.rwp_window_handoff_rates(t, t.scenario.mobility, (30.0, 90.0), hosts=3000)
    steady = M.rwp_handoff_rates(t, t.scenario.mobility, host_seconds=400_000)
    assert 1.0 < early.total_per_s / steady.total_per_s < 1.09
    assert 0 < early.detached_fraction < 0.03 and early.reassoc_per_s < 0.01 * early.total_per_s
    assert set(early.per_s) == {"inter_subnet"}
    with pytest.raises(ValueError, match="window_s"):
        M.rwp_window_handoff_rates(t, t.scenario.mobility, (90.0, 30.0))


def test_hidden_base_station_pairs_and_beacon_lock():
    t = _e3("integrated")
    pairs = M.hidden_pairs(t)
    # 130 m neighbours (reach 85 m): three per row and four columns; diagonals (184 m) are
    # beyond two reaches.
    assert len(pairs) == 10 and ("bs100", "bs110") in pairs and ("bs100", "bs111") not in pairs
    w = M.dsss_airtime_s(M.BEACON_BYTES)
    assert w == pytest.approx(192e-6 + 640e-6)
    p = M.beacon_lock_probability(len(pairs), w, 0.1024)
    assert p == pytest.approx(1 - (1 - 2 * w / 0.1024) ** 10) and 0.1 < p < 0.2
    assert M.beacon_lock_probability(0, w, 0.1024) == 0.0


def test_retransmissions_closed_form():
    assert M.retransmissions(0.0) == 0.0
    assert M.retransmissions(0.2, 0.0) == pytest.approx(0.2)
    assert M.retransmissions(0.1, max_sends=3) == pytest.approx(0.1 + 0.01)
    assert M.retransmissions(0.1, 0.5, max_sends=6) == pytest.approx(
        0.1 * (1 + .5 + .25 + .125 + .0625))
    assert M.retransmissions(1.0, 1.0, max_sends=M.SIP_MAX_SENDS) == M.SIP_MAX_SENDS - 1
    with pytest.raises(ValueError):
        M.retransmissions(1.5)


def test_route_update_rate_against_the_idle_timer():
    """An attached host sends a route-update once its uplink has been idle for an interval;
    silences (moves) and other uplink messages arrive as Poisson processes. The closed form
    against counting the timer's route-updates."""
    rng = np.random.default_rng(3)
    interval, silence, nu, u, horizon = 1.0, 1.3, 0.05, 0.02, 200_000.0
    events = sorted([(x, "silence") for x in rng.uniform(0, horizon, int(nu * horizon))]
                    + [(x, "other") for x in rng.uniform(0, horizon, int(u * horizon))])
    sent, last, t = 0, 0.0, 0.0
    for when, what in events:
        if when < t:  # inside a silence: nothing happens
            continue
        sent += int((when - last) // interval)  # route-updates while idle up to this event
        if what == "other":
            last = t = when
        else:
            last = t = when + silence  # attached again; the idle clock restarts
    got = sent / horizon
    want = M.route_update_rate(interval, nu, silence, u)
    assert got == pytest.approx(want, rel=0.01)
    assert M.route_update_rate(1.0, 0.0, 0.0) == 1.0
    assert M.route_update_rate(1.0, 0.0, 0.0, detached_fraction=0.1) == pytest.approx(0.9)


def test_flood_overlap_probability_against_monte_carlo():
    rng = np.random.default_rng(2)
    j, delay, first, second = 0.010, 0.005, 0.0009, 0.0007
    a, b = rng.uniform(0, j, 400_000), rng.uniform(0, j, 400_000)
    frame = a + delay  # the serving station's later frame
    mc = np.mean((b < frame + second) & (b > frame - first))
    assert M.flood_overlap_probability(j, delay, first, second) == pytest.approx(mc, abs=0.003)
    assert M.flood_overlap_probability(0.0, 0.0, 1e-3, 1e-3) == 1.0
    assert M.flood_overlap_probability(0.0, 0.005, 1e-3, 1e-3) == 0.0


def test_handoff_silence_is_radio_plus_mmp():
    t = _e3("integrated")
    s = t.scenario
    radio = M.radio_latency(s).mean - s.wifi.beacon_interval_s / 2
    bss = list(t.radios)
    for kind in ("intra_domain", "inter_domain", "inter_subnet"):
        mmp = sum(M.mmp_latency(t, kind, b).mean for b in bss) / len(bss)
        assert M.handoff_silence_s(t, kind) == pytest.approx(radio + mmp)
    assert M.handoff_silence_s(t, "reassoc") == M.handoff_silence_s(t, "intra_domain")
    assert M.handoff_silence_s(t, "inter_subnet") > M.handoff_silence_s(t, "intra_domain")


def test_signalling_load_terms(e3_pair):
    t = e3_pair["integrated"]
    s = t.scenario
    rates = M.HandoffRates({"intra_domain": 0.01, "inter_domain": 0.02, "inter_subnet": 0.03},
                           1000.0, 60, reassoc_per_s=0.004, detached_fraction=0.02)
    base = M.signalling_load(t, rates, 10, window_s=(30.0, 90.0))
    moves = 10 * 60 * 0.03
    # Lease renewals are answered directly: the floods carry new addresses only.
    gateways_per_subnet = 2
    assert base[("gateway", "DrcpReply")] == pytest.approx(moves * gateways_per_subnet)
    renewals = 10 * M.timer_expiries(0.03, s.drcp.lease_s / 2, 30.0, 90.0)
    assert base[("drcp_server", "DrcpRequest")] == pytest.approx(moves + renewals)
    out = M.signalling_load(t, rates, 10, window_s=(30.0, 90.0), outages=True,
                            answer_loss=(0.1, 0.4), drcp_loss=(0.2, 0.2))
    stretches = 0.06 + 0.004
    silence = (0.01 * M.handoff_silence_s(t, "intra_domain")
               + 0.02 * M.handoff_silence_s(t, "inter_domain")
               + 0.03 * M.handoff_silence_s(t, "inter_subnet")
               + 0.004 * M.handoff_silence_s(t, "reassoc")) / stretches
    ru = M.route_update_rate(s.mmp.route_update_interval_s, stretches, silence,
                             renewals / 60.0 / 10, 0.02)
    assert out[("gateway", "RouteUpdate")] == pytest.approx(10 * 60 * ru)
    assert out[("gateway", "RouteUpdate")] < base[("gateway", "RouteUpdate")]
    assert out[("gateway", "CacheUpdate")] == pytest.approx(10 * 60 * (0.01 + 0.004))
    mip = 1 + M.retransmissions(0.1, 0.4, M.MIP_MAX_SENDS)
    sip = 1 + M.retransmissions(0.1, 0.4, M.SIP_MAX_SENDS)
    assert out[("home_location_register", "MipUpdate")] == pytest.approx(moves * mip)
    assert out[("sip_server", "SIP REGISTER")] == pytest.approx(moves * sip)
    reg = 1 + M.retransmissions(0.1, 0.4, M.MMP_MAX_SENDS)
    assert out[("gateway", "Registration")] == pytest.approx(10 * 60 * 0.05 * reg)
    drcp = 1 + M.retransmissions(0.2, 0.2, M.MMP_MAX_SENDS)
    assert out[("gateway", "DrcpReply")] == pytest.approx(moves * drcp * gateways_per_subnet)


def test_timer_expiries_along_walks():
    # From a registration at 0 with period 30: refreshes at 30 and 60 in [30, 90).
    assert M.timer_expiries_along({0: [0.0]}, 30.0, (30.0, 90.0)) == 2
    # A new registration at 50 restarts the chain: 30 from the first, 80 from the second.
    assert M.timer_expiries_along({0: [0.0, 50.0]}, 30.0, (30.0, 90.0)) == 2
    assert M.timer_expiries_along({0: [0.0], 1: [10.0, 20.0]}, 96.0, (30.0, 90.0)) == 0
    # Poisson registrations: the closed form of timer_expiries.
    rng = np.random.default_rng(4)
    lam, P, w = 0.012, 30.0, (30.0, 150.0)
    regs = {}
    for i in range(20_000):
        t, times = 0.0, [0.0]
        while t < w[1]:
            t += rng.exponential(1 / lam)
            times.append(t)
        regs[i] = [x for x in times if x < w[1]]
    got = M.timer_expiries_along(regs, P, w) / len(regs)
    assert got == pytest.approx(M.timer_expiries(lam, P, *w), abs=0.03)
    with pytest.raises(ValueError):
        M.timer_expiries_along({}, 0.0, w)


def test_walk_rates_carry_timer_counts_into_the_load(e3_pair):
    t = _e3("integrated", "mobility.speed_mps=10")
    s = t.scenario
    periods = (s.drcp.lease_s / 2, 0.8 * s.macro_mobility.lifetime_s)
    r = M.rwp_window_handoff_rates(t, s.mobility, (30.0, 150.0), hosts=300, timers_s=periods)
    assert set(r.timer_per_s) == {round(p, 6) for p in periods}
    load = M.signalling_load(t, r, 10, window_s=(30.0, 150.0))
    moves = 10 * 60 * r.per_s["inter_subnet"]
    refresh = 10 * 60 * r.timer_per_s[round(periods[1], 6)]
    assert load[("home_location_register", "MipUpdate")] == pytest.approx(moves + refresh)


def test_a_fresh_stations_care_of_burst_against_the_capture():
    # The walk's capture (inter-subnet move): the host's 42-byte registration frame starts
    # 1.22 ms before its next frame, all at 1 Mbit/s; the re-INVITE leaves about 12-13 ms after
    # the care-of change, behind the registration, two MIP-LR updates and the REGISTER.
    assert M.fresh_unicast_s(42) == pytest.approx(1.2255e-3, abs=1e-6)
    assert M.fresh_unicast_s(42, "802.11a") == pytest.approx(M.unicast_s(42, 6.0))
    steps = [M.careof_burst_s(n) for n, _ in M.CAREOF_BURST_BYTES]
    assert steps == sorted(steps) and steps[-1] == pytest.approx(12.12e-3, abs=0.05e-3)
    two = M.careof_burst_s("SIP re-INVITE", correspondents=2)
    assert two - steps[-1] == pytest.approx(M.fresh_unicast_s(46) + M.fresh_unicast_s(486))
    with pytest.raises(ValueError, match="upto: one of"):
        M.careof_burst_s("INVITE")
    # ARP: ns-3's request jitter (uniform 0-10 ms) plus the exchange; from a fresh station
    # the request goes up and is relayed at 1 Mbit/s, so the exchange costs more.
    wired, fresh = M.arp_resolution(), M.arp_resolution("ARP", "802.11g")
    assert wired.mean == pytest.approx(0.005 + M.arp_exchange_s())
    assert fresh.mean - 0.005 > 3 * M.arp_exchange_s()


# ---- TCP's window against an outage ------------------------------------------------------------
def _window_by_acks(w0: float, acks: int, ssthresh: float) -> float:
    """ns-3 TcpNewReno ACK by ACK: a segment per ACK below ssthresh, segment^2/cwnd above it."""
    w = w0
    for _ in range(acks):
        w = w + 1 if w < ssthresh else w + 1 / w
    return w


@pytest.mark.parametrize("w0,ssthresh,t", [(1.0, math.inf, 3.0), (2.0, 2.0, 13.0), (1.0, 15.0, 12.0),
                                           (20.0, 10.0, 5.0)])
def test_newreno_window_follows_the_ack_by_ack_rule(w0, ssthresh, t):
    rate = 0.5e6 / 8 / 1400  # the walk's transfer: 44.6 segments a second, an ACK per two
    acks = int(rate * t / 2)
    assert M.newreno_window(w0, rate, acks * 2 / rate, ssthresh) == pytest.approx(
        _window_by_acks(w0, acks, ssthresh), rel=0.02, abs=1.0)


def test_tcp_silence_with_the_path_only_when_the_window_holds_the_outage_within_the_timer():
    rate, rtt = 44.6, 0.036
    need = rate * (0.6 + rtt)  # 28.4 segments
    assert M.tcp_handoff_silence_s(0.6, need + 0.1, rate, rtt) == pytest.approx(0.636)
    assert M.tcp_handoff_silence_s(0.6, need - 0.1, rate, rtt) == 1.0  # the first timeout
    assert M.tcp_handoff_silence_s(1.2, 1e6, rate, rtt) == 3.0  # the timer fired in the outage


def test_tcp_windows_along_the_walk():
    rate, rtt = 44.6, 0.036
    walk = [(11.0, 0.85), (24.0, 0.83), (37.0, 0.6)]
    a = M.tcp_windows_along(walk, 4.0, rate, rtt, rwnd=93.6, timeouts_at=(24.0,))
    # Slow start since 4 s to the receiver's window: the first outage is ridden out.
    assert a[0].window == pytest.approx(93.6) and a[0].with_path and a[0].silence_s == pytest.approx(0.886)
    # From half that outage's flight, 13 s of congestion avoidance; the sub-network change
    # times out whatever the window.
    w1 = math.sqrt((rate * 0.886 / 2) ** 2 + rate * (24.0 - 11.886))
    assert a[1].window == pytest.approx(w1) and not a[1].with_path and a[1].silence_s == 1.0
    # One timeout: slow start from one segment to half the window, then avoidance.
    w2 = M.newreno_window(1.0, rate, 37.0 - 25.0, w1 / 2)
    assert a[2].window == pytest.approx(w2)
    assert a[2].with_path == (w2 >= rate * (0.6 + rtt))
    # After two timeouts (3 s) the threshold is two segments: a smaller window 13 s later.
    b = M.tcp_windows_along([(11.0, 0.85), (24.0, 1.2), (37.0, 0.6)], 4.0, rate, rtt, rwnd=93.6,
                            timeouts_at=(24.0,))
    assert b[1].silence_s == 3.0 and b[2].window == pytest.approx(M.newreno_window(1.0, rate, 10.0, 2.0))


def test_an_outage_ridden_out_past_the_timer_by_its_round_trip_counts_as_ridden_out():
    # 0.98 s of outage plus a 40 ms round trip ends after the 1 s timer would, but the timer never
    # fired (the outage ended first): the silence is the path's and recovery, not a timeout,
    # sets the window that follows.
    rate, rtt = 44.6, 0.04
    a = M.tcp_windows_along([(11.0, 0.98), (24.0, 0.6)], 4.0, rate, rtt, rwnd=93.6)
    assert a[0].with_path and a[0].silence_s == pytest.approx(1.02)
    half = rate * (0.98 + rtt) / 2
    assert a[1].window == pytest.approx(M.newreno_window(half, rate, 24.0 - 12.02, half))
