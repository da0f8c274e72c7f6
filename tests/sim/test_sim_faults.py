"""Faults the location management survives on ns-3 (docs/security.md): lossy links and radio,
a location register that fails with another still serving, a SIP server that fails mid-call,
with and without authentication. TCP loses or doubles no byte; RTP resumes after the move."""

from __future__ import annotations

import copy

import pytest

from imm_ns3.scenario import read_scenario_dict, validate_dict


WALK, _ = read_scenario_dict("patent-walk")


def _run(tmp_path, d: dict):
    from imm_ns3.adapter import run_scenario

    return run_scenario(validate_dict(d), out_dir=tmp_path / "run")


def _flow(r, name, dst):
    return next(f for f in r.summary["flows"] if f["name"] == name and f["dst"] == dst)


def _tcp_intact(r):
    tcp = _flow(r, "tcp", "mh1")
    assert tcp["received_bytes"] == tcp["sent_bytes"] == 2_600_000
    assert tcp["bad_bytes"] == 0 and tcp["resets"] == 0 and tcp["completion_s"] is not None


def _rtp_resumed_after_move(r):
    tl = r.timeline
    rtp = tl[(tl.name == "rtp") & (tl.dst == "mh1")]
    t_move = float(r.handoffs.set_index("kind").loc["inter_subnet", "t_s"])
    after = rtp[(rtp.t_s > t_move + 2) & (rtp.t_s < t_move + 12)]
    assert after.packets.sum() > 0.8 * 10 / 0.02  # 50 packets a second, most of them arrive


@pytest.mark.parametrize("auth", [False, True])
def test_lossy_links_and_radio(tmp_path, ns3_ready, auth):
    d = copy.deepcopy(WALK)
    d.setdefault("links", {})["domain"] = {"rate_mbps": 100.0, "delay_ms": 1.0, "loss": 0.02}
    d["links"]["backbone"] = {"rate_mbps": 1000.0, "delay_ms": 10.0, "loss": 0.01}
    d.setdefault("wifi", {})["loss"] = 0.02
    d["security"] = {"auth": auth}
    r = _run(tmp_path, d)
    _tcp_intact(r)
    _rtp_resumed_after_move(r)
    assert _flow(r, "probe", "mh1")["lost_packets"] > 150  # the loss is there (about 5 %)
    assert r.summary["care_of_addresses"]["mh1"] == ["10.1.0.4", "10.2.0.3"]


@pytest.mark.parametrize("auth", [False, True])
def test_a_register_fails_and_the_other_serves(tmp_path, ns3_ready, auth):
    d = copy.deepcopy(WALK)
    d["hosts"]["hlr2"] = {"subnet": "home", "role": "home_location_register"}
    d["failures"] = [{"node": "hlr", "at_s": 1.5}]  # before the correspondent connects (4 s)
    d["security"] = {"auth": auth}
    r = _run(tmp_path, d)
    _tcp_intact(r)
    ev = r.events
    # The correspondent's query to the failed register timed out and the next one answered.
    assert ((ev.node == "ch") & (ev.event == "hlr_retry")).any()
    assert ((ev.node == "ch") & (ev.event == "mip_update")).any()  # the host's own update


@pytest.mark.parametrize("auth", [False, True])
def test_a_sip_server_fails_mid_call(tmp_path, ns3_ready, auth):
    d = copy.deepcopy(WALK)
    d["hosts"]["sip2"] = {"subnet": "home", "role": "sip_server"}
    d["failures"] = [{"node": "sip", "at_s": 10.0}]  # the call started at 3 s
    d["security"] = {"auth": auth}
    r = _run(tmp_path, d)
    _tcp_intact(r)
    _rtp_resumed_after_move(r)
    ev = r.events
    assert ((ev.node == "mh1") & (ev.event == "sip_reinvite_ok")).any()
    if auth:  # the correspondent confirmed the move with the server that is still up
        assert ((ev.node == "ch") & (ev.event == "sip_move_confirmed")).any()
