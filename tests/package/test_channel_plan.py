"""A channel plan without ns-3: the scan list is the base stations' channels ascending, bad
channels are refused, the model adds one dwell per channel."""

from __future__ import annotations

import pytest

from imm_ns3.analysis import model as M
from imm_ns3.scenario import ScenarioError, load_scenario
from imm_ns3.topology import build_topology, scan_channels, station_channel

from scenario_dicts import CHANNEL_PLAN


def test_the_scan_list_is_the_base_stations_channels_ascending():
    s = load_scenario("patent-walk", CHANNEL_PLAN)
    assert scan_channels(s) == (1, 6, 11)
    assert {r.channel for r in build_topology(s).radios.values()} == {1, 6, 11}
    # One channel for every cell (the default): ns-3's own scanning, no plan.
    assert scan_channels(load_scenario("patent-walk")) == ()
    assert scan_channels(load_scenario("patent-walk", ["wifi.channel=6"])) == ()
    # Every base station on 6 by its own field, wifi.channel left at 1: one channel, and the
    # stations start on it (they would never find a cell from channel 1).
    all6 = load_scenario("patent-walk", [f"nodes.{bs}.channel=6" for bs in
                                         ("bs502a", "bs502b", "bs503a", "bs504a", "bs504b")])
    assert scan_channels(all6) == () and station_channel(all6) == 6
    assert station_channel(load_scenario("patent-walk", CHANNEL_PLAN)) == 1


def test_a_base_station_channel_outside_the_band_or_on_a_wired_node_is_refused():
    with pytest.raises(ScenarioError) as e:
        load_scenario("patent-walk", ["nodes.bs502b.channel=36", "nodes.gw502.channel=6"])
    text = str(e.value)
    assert "nodes.bs502b.channel: 36 is not a 2.4GHz channel of 802.11g; allowed: 1, 2," in text
    assert "nodes.gw502.channel: only base stations have a radio" in text
    with pytest.raises(ScenarioError, match="nodes.bs502b.channel: 6 is not a 5GHz channel"):
        load_scenario("patent-walk", ["wifi.standard=\"802.11a\"", "wifi.channel=36",
                                      "nodes.bs502b.channel=6"])


def test_the_model_adds_one_dwell_per_channel():
    one, plan = load_scenario("patent-walk"), load_scenario("patent-walk", CHANNEL_PLAN)
    extra = M.radio_latency(plan).mean - M.radio_latency(one).mean
    dwell = M.PROBE_DELAY_MEAN_S + plan.wifi.probe_request_timeout_s + M.CHANNEL_SWITCH_S
    assert extra == pytest.approx(3 * dwell - plan.wifi.probe_request_timeout_s)
    passive = load_scenario("patent-walk", CHANNEL_PLAN + ["wifi.active_probing=false"])
    assert M.radio_latency(passive).mean == pytest.approx(
        5 * 0.1024 + 3 * (M.PASSIVE_DWELL_S + M.CHANNEL_SWITCH_S) + 4 * M.unicast_s(60, 6.0))
