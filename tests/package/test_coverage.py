"""Coverage warnings of imm-sim validate (pure geometry, no ns-3)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from imm_ns3 import cli
from imm_ns3.analysis.coverage import REACH_DBM, area_uncovered, covered, hears, path_gaps, reach_m
from imm_ns3.scenario import load_scenario
from imm_ns3.topology import build_topology


def _topo(name, *over):
    return build_topology(load_scenario(name, list(over)))


def test_the_built_in_walks_stay_covered():
    assert path_gaps(_topo("patent-walk")) == []
    assert path_gaps(_topo("redundancy")) == []
    assert area_uncovered(_topo("crowd")) == (0.0, None)


def test_a_moved_cell_leaves_a_hole_where_and_for_as_long_as_the_geometry_says():
    # bs502a at x=0, bs503a moved to x=200: with 16 dBm, exponent 3 and 40.1 dB at 1 m a cell
    # reaches 10 ** ((16 + 82 - 40.1) / 30) = 85 m, so x in (85, 115) m is uncovered: 3 s at 10 m/s.
    reach = 10 ** ((16 - REACH_DBM - 40.0953) / 30)
    assert reach == pytest.approx(85.1, abs=0.1)
    (gap,) = path_gaps(_topo("patent-walk", "nodes.bs503a.position_m=[200,0,0]"))
    assert gap.host == "mh1"
    assert gap.where[0] == pytest.approx(reach, abs=1.0)  # walk starts at 2 s from x = 0
    assert gap.start_s == pytest.approx(2 + reach / 10, abs=0.11)
    assert gap.length_s == pytest.approx((200 - 2 * reach) / 10, abs=0.21)


def test_a_cells_reach_is_where_hearing_stops_one_solution_for_the_models_and_the_map():
    t = _topo("patent-walk")
    r = reach_m(t, "bs502a")
    assert r == pytest.approx(10 ** ((16 - REACH_DBM - 40.0953) / 30), abs=0.1)
    pos = t.radios["bs502a"].position_m
    assert hears(t, "bs502a", (pos[0] + r - 0.01, pos[1], pos[2]))
    assert not hears(t, "bs502a", (pos[0] + r + 0.01, pos[1], pos[2]))
    # 3 dB more loss than the mean: 10 ** (3 / 30) shorter
    assert reach_m(t, "bs502a", 3.0) == pytest.approx(r / 10 ** 0.1, rel=1e-6)
    near = _topo("patent-walk", "wifi.propagation.model=range", "wifi.propagation.range_m=0.5")
    assert reach_m(near, "bs502a") == 0.0  # not even 1 m apart (the loss model starts there)
    far = _topo("patent-walk", "wifi.propagation.model=range", "wifi.propagation.range_m=70")
    assert reach_m(far, "bs502a") == pytest.approx(70.0, abs=1e-6)


def test_lower_power_shrinks_the_cells():
    t = _topo("patent-walk")
    assert covered(t, 80, 0)
    t2 = _topo("patent-walk", "mobile_hosts.tx_power_dbm=6")  # the uplink is the weaker side
    assert not covered(t2, 80, 0)


def test_validate_warns_with_exit_code_0():
    r = CliRunner().invoke(cli.main, ["validate", "patent-walk", "--set",
                                      "nodes.bs503a.position_m=[200,0,0]"])
    assert r.exit_code == 0, r.output
    assert "warning: mh1 is out of every cell's coverage from 10.5 s for 3.0 s" in r.output \
        or "warning: mh1 is out of every cell's coverage from 10.6 s for 2.9 s" in r.output
    r = CliRunner().invoke(cli.main, ["validate", "crowd", "--set", "mobility.area_m=[-40,-40,430,160]"])
    assert r.exit_code == 0 and "% of the random-waypoint area is out of every cell's coverage" in r.output
    assert "warning" not in CliRunner().invoke(cli.main, ["validate", "patent-walk"]).output
