"""[[flows]] on ns-3: a UDP stream carried by MIP-LR across the patent walk, a paced TCP transfer,
an on/off flow addressed to the care-of address it started with, and a flow between two fixed hosts."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import validate_dict

from scenario_dicts import VIDEO, with_flows


FLOWS = [VIDEO,
         {"name": "bulk", "kind": "tcp_bulk", "src": "ch", "dst": "mh1", "start_s": 5.0,
          "stop_s": 20.0, "rate_kbps": 400.0, "packet_bytes": 1400},
         {"name": "bursty", "kind": "onoff", "src": "ch", "dst": "mh1", "dst_address": "care_of",
          "start_s": 5.0, "rate_kbps": 200.0, "packet_bytes": 500, "on_s": 1.0, "off_s": 1.0},
         {"name": "lan", "kind": "udp_cbr", "src": "ch", "dst": "hlr", "start_s": 1.0,
          "rate_kbps": 80.0, "packet_bytes": 200},
         {"name": "up", "kind": "udp_cbr", "src": "mh1", "dst": "ch", "start_s": 5.0,
          "rate_kbps": 80.0, "packet_bytes": 200}]


@pytest.fixture(scope="module")
def flows_run(ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario

    d = with_flows(FLOWS, realtime="miplr")
    d["simulation"]["duration_s"] = 30.0
    d["tcp"]["enabled"] = False
    d["sip"] = {"enabled": False}
    return run_scenario(validate_dict(d), out_dir=tmp_path_factory.mktemp("flows") / "run")


def test_flows_run_and_appear_in_the_tables(flows_run):
    r = flows_run
    f = r.tables["flows"].set_index("name")
    assert {"video", "bulk", "bursty", "lan", "probe"} <= set(f.index) and f.index.is_unique
    assert list(f.loc[["video", "bulk", "bursty", "lan"], "kind"]) == ["udp_cbr", "tcp_bulk", "onoff", "udp_cbr"]
    # video: 100 packets a second for 24 s, carried by MIP-LR across two care-of addresses;
    # it loses only in the handoffs (inter-domain at 11 s, inter-subnet at 24 s).
    v = f.loc["video"]
    assert v.sent_packets == 2400 and 0 < v.lost_packets < 250 and v.duplicates == 0
    assert 0.002 < v.delay_s < 0.05 and v.delay_p95_s >= v.delay_s
    assert r.summary["macro_mobility"]["manglers"]["ch"]["mangledOut"] >= v.received_packets
    # bulk: 400 kbit/s from the connection (one round trip after 5 s) to 20 s, every byte
    # checked, completed.
    b = f.loc["bulk"]
    assert b.sent_bytes == b.received_bytes and abs(b.sent_bytes - 750_000) < 2 * 1400
    assert b.bad_bytes == 0 and b.completion_s > 14
    # bursty: sent to the care-of address it had at 5 s: after the sub-network change at
    # about 24 s nothing reaches the host any more.
    tl = r.tables["timeline"]
    bursty = tl[tl.name == "bursty"]
    assert bursty[bursty.t_s < 20].packets.sum() > 0 and bursty[bursty.t_s > 26].packets.sum() == 0
    # lan: between two fixed hosts, nothing lost; up: from the mobile host's care-of address
    # of the moment, lost only while it has none (the inter-subnet handoff) or in the radio
    # outages. Every flow has timeline rows summing to it.
    assert f.loc["lan", "lost_packets"] == 0
    up = f.loc["up"]
    assert up.sent_packets == 1200 and 0 < up.lost_packets < 150 and up.delay_s < 0.05
    for name in ("video", "bulk", "bursty", "lan", "up"):
        assert tl[tl.name == name].bytes.sum() == f.loc[name, "received_bytes"], name
