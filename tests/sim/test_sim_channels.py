"""A channel plan: base stations on channels 1, 6 and 11, stations that scan them all
(imm_ns3/adapter/channel_scan.h) and roam across them; the scan's cost in the handoff latency
is what the analytic model says."""

from __future__ import annotations

import pytest

from imm_ns3.analysis import model as M
from imm_ns3.scenario import load_scenario

from scenario_dicts import CHANNEL_PLAN


@pytest.fixture(scope="module", params=["active", "passive"])
def plan_run(request, ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario

    extra = [] if request.param == "active" else ["wifi.active_probing=false"]
    s = load_scenario("patent-walk", CHANNEL_PLAN + extra)
    return s, run_scenario(s, out_dir=tmp_path_factory.mktemp("plan") / "run")


def test_stations_roam_across_channels_and_the_scan_costs_what_the_model_says(plan_run, walk_run):
    scenario, r = plan_run
    # The same walk through the same cells as on one channel: cells on 6 and 11 are joined
    # from 1 and 6, which ns-3's own scanning could not do.
    cells = ["old_bs", "new_bs", "kind"]
    assert r.handoffs[cells].values.tolist() == walk_run.handoffs[cells].values.tolist()
    model = M.radio_latency(scenario)
    for l2 in r.handoffs.l2_s:
        # Probe delays are drawn per scan (50-250 us) and a frame may wait for the medium.
        assert l2 == pytest.approx(model.mean, abs=0.01)
    # One scan to join the first cell, one per handoff; each visits all three channels (and
    # returns to the best one's).
    radio = r.summary["radio"]
    assert radio["channel_scans"] == 1 + len(r.handoffs)
    assert 3 * radio["channel_scans"] - 1 <= radio["channel_switches"] <= 4 * radio["channel_scans"]
    # Everything else still works across the channel change: the flows of the walk arrive.
    assert r.flows.query("name == 'tcp'").acked_bytes.iloc[0] == 2_600_000
    rtp = r.flows.query("name == 'rtp' and src == 'ch'").iloc[0]
    assert rtp.received_packets > 0.9 * rtp.sent_packets


def test_one_channel_runs_have_no_scan_counts(walk_run):
    assert set(walk_run.summary["radio"]) == {"late_association_responses_ignored"}


def test_two_radio_hosts_scan_the_plan_with_each_radio(ns3_ready, tmp_path, walk_run):
    from imm_ns3.adapter import run_scenario

    s = load_scenario("patent-walk", CHANNEL_PLAN + ["wifi.mh_radios=2", 'mmp.handoff="semisoft"'])
    r = run_scenario(s, out_dir=tmp_path / "run")
    cells = ["old_bs", "new_bs", "kind"]
    assert r.handoffs[cells].values.tolist() == walk_run.handoffs[cells].values.tolist()
    # Each of the two radios has its own manager: one scan to start, one per handoff.
    assert r.summary["radio"]["channel_scans"] == 2 * (1 + len(r.handoffs))
    assert r.handoffs.l2_s.max() < M.radio_latency(s).mean + 0.01


def test_cells_all_on_another_channel_than_wifi_channel_are_found(ns3_ready, tmp_path, walk_run):
    from imm_ns3.adapter import run_scenario

    s = load_scenario("patent-walk", [f"nodes.{bs}.channel=11" for bs in
                                      ("bs502a", "bs502b", "bs503a", "bs504a", "bs504b")])
    r = run_scenario(s, out_dir=tmp_path / "run")
    cells = ["old_bs", "new_bs", "kind"]
    assert r.handoffs[cells].values.tolist() == walk_run.handoffs[cells].values.tolist()
    assert "channel_scans" not in r.summary["radio"]  # one channel: ns-3's own scanning


# experiments/e1-radio.toml's realistic arm: a 1/6/11 channel plan, shadowing and fading.
E1_REALISTIC = ["nodes.bs502a.channel=1", "nodes.bs503a.channel=6", "nodes.bs504a.channel=11",
                "nodes.bs504b.channel=1", "nodes.bs502b.channel=6", "wifi.propagation.shadowing_db=8",
                'wifi.propagation.fading="rayleigh"']


def test_a_fading_channel_that_leaves_no_bssid_is_a_deassociation(ns3_ready, tmp_path):
    """E1's realistic-radio arm, seed 27 (at 9.4 s): with 8 dB shadowing and Rayleigh fading the
    MAC gives the link up holding no BSSID (ns-3 reports 00:00:00:00:00:00), which once stopped the
    run with 'association with unknown BSSID'. The station left the cell it was last associated
    with. The seed is whichever of the stored e1-radio runs shows it: any change to what is on
    the air (the TCP transfer's segments moved it from seed 13) moves it, and the e1-radio
    sweep's events say where it went."""
    from imm_ns3.adapter import run_scenario

    s = load_scenario("patent-walk", E1_REALISTIC + ["simulation.duration_s=37", "simulation.seed=27"])
    r = run_scenario(s, out_dir=tmp_path / "run")
    ev = r.events
    blank = ev[(ev.event == "deassoc") & (ev.detail.fillna("") == "")]
    assert len(blank) >= 1 and (blank.t_s < 37).all()
    # Every handoff still names the cells it went between.
    assert r.handoffs.old_bs.notna().all() and r.handoffs.new_bs.notna().all()


@pytest.mark.parametrize("seed,duration_s", [(24, 23), (40, 50)])
def test_a_scan_that_starts_while_an_ack_is_due_waits_for_it(ns3_ready, tmp_path, seed, duration_s):
    """E1's realistic-radio arm: the station gives its cell up and starts a scan at the end of a
    data frame addressed to it (seed 24, 10.17 s) or 4 us after one (seed 40, 22.85 s), while
    the frame's ACK is due SIFS after it. ns-3 3.44 switches the channel at once and does not
    cancel the ACK: WifiPhy::Send aborted the run (not while switching; 2 of 64 runs of the arm).
    The scan now waits until the ACK has gone to the PHY, which postpones the switch to the end
    of it (channel_scan.h). A regression aborts the process that runs this test."""
    from imm_ns3.adapter import run_scenario

    s = load_scenario("patent-walk", E1_REALISTIC + [f"simulation.duration_s={duration_s}",
                                                    f"simulation.seed={seed}"])
    r = run_scenario(s, out_dir=tmp_path / "run")
    assert r.summary["radio"]["channel_scans"] >= 2 and len(r.handoffs) >= 1
    assert r.handoffs.old_bs.notna().all() and r.handoffs.new_bs.notna().all()
