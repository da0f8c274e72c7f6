"""[[flows]]: the researcher's own traffic (docs/scenario.md). Pure parts (the on/off pattern,
validation) and one ns-3 run with a UDP stream carried by MIP-LR across the patent walk, a
paced TCP transfer, an on/off flow addressed to the care-of address it started with, and a
flow between two fixed hosts."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from imm_ns3.adapter.flows import on_windows
from imm_ns3.scenario import ScenarioError, read_scenario_dict, validate_dict

WALK, _ = read_scenario_dict("patent-walk")


def _with(flows: list[dict], **mm) -> dict:
    d = copy.deepcopy(WALK)
    d["flows"] = flows
    d["macro_mobility"].update(mm)
    return d


VIDEO = {"name": "video", "kind": "udp_cbr", "src": "ch", "dst": "mh1", "start_s": 5.0,
         "stop_s": 29.0, "rate_kbps": 800.0, "packet_bytes": 1000}


def test_udp_cbr_is_one_window_and_onoff_alternates_from_the_seed_and_name():
    assert on_windows("udp_cbr", 2.0, 9.0, 1.0, 1.0, 1, "a") == [(2.0, 9.0)]
    w = on_windows("onoff", 0.0, 2000.0, 2.0, 3.0, 7, "bursty")
    assert w == on_windows("onoff", 0.0, 2000.0, 2.0, 3.0, 7, "bursty")  # reproducible
    assert w != on_windows("onoff", 0.0, 2000.0, 2.0, 3.0, 8, "bursty")  # the seed's
    assert w != on_windows("onoff", 0.0, 2000.0, 2.0, 3.0, 7, "other")  # and the flow's own
    on = np.array([b - a for a, b in w])
    off = np.array([w[i + 1][0] - w[i][1] for i in range(len(w) - 1)])
    assert w[0][0] == 0.0 and w[-1][1] <= 2000.0 and (on > 0).all() and (off >= 0).all()
    # Exponential periods with the given means (400 periods each: within 15 %).
    assert on.mean() == pytest.approx(2.0, rel=0.15) and off.mean() == pytest.approx(3.0, rel=0.15)


@pytest.mark.parametrize("change,mm,expect", [
    ({"name": "tcp"}, {}, "flows.0.name: 'tcp' is a built-in flow's name; choose another"),
    ({"src": "mh1"}, {"realtime": "miplr"}, "flows.0.dst: a flow from one mobile host to another"),
    ({"src": "mh1", "dst": "ch", "kind": "tcp_bulk"}, {},
     "flows.0.src: a tcp_bulk flow from a mobile host is not supported"),
    ({"src": "eve"}, {"realtime": "miplr"},
     "flows.0.src: 'eve' is neither a fixed host nor a mobile host; allowed: ch, hlr, sip, ha, mh1"),
    ({"dst": "mh9"}, {"realtime": "miplr"}, "flows.0.dst: 'mh9' is neither a fixed host nor a mobile host"),
    ({}, {}, "flows.0.dst_address: \"permanent\" needs macro_mobility.realtime = \"miplr\" or \"mip\""),
    ({"src": "sip"}, {"realtime": "miplr"}, "flows.0.src: MIP-LR rewrites addresses at correspondents"),
    ({"port": 5060}, {"realtime": "miplr"}, "flows.0: port: 5060 is SIP's; choose another"),
    ({"stop_s": 4.0}, {"realtime": "miplr"}, "flows.0: stop_s: must be later than start_s (5.0), got 4.0"),
    ({"stop_s": 80.0}, {"realtime": "miplr"}, "flows.0.start_s: the flow must start before it stops"),
    ({"packet_bytes": 2000}, {"realtime": "miplr"}, "flows.0: packet_bytes: a UDP payload of at most 1472 bytes"),
    ({"kind": "onoff", "rate_kbps": 0}, {"realtime": "miplr"}, "flows.0: rate_kbps: onoff needs a rate above 0"),
    ({"bogus": 1}, {"realtime": "miplr"}, "flows.0.bogus: unknown field"),
])
def test_bad_flows_are_one_line_errors(change, mm, expect):
    with pytest.raises(ScenarioError) as e:
        validate_dict(_with([dict(VIDEO, **change)], **mm))
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_flow_names_and_ports_are_unique_per_receiver():
    two = [VIDEO, dict(VIDEO, port=20000)]
    with pytest.raises(ScenarioError) as e:
        validate_dict(_with(two, realtime="miplr"))
    assert e.value.problems == [
        "flows.1.name: 'video' names another flow too; flow names are unique",
        "flows.1.port: 20000 at mh1 is flow 'video''s too; choose another"]
    ok = [VIDEO, dict(VIDEO, name="v2"), dict(VIDEO, name="lan", dst="hlr", port=20000)]
    assert len(validate_dict(_with(ok, realtime="miplr")).flows) == 3


def test_care_of_addressing_needs_no_macro_mobility():
    s = validate_dict(_with([dict(VIDEO, dst_address="care_of")]))  # realtime stays "sip"
    assert s.flows[0].dst_address == "care_of"


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

    d = _with(FLOWS, realtime="miplr")
    d["simulation"]["duration_s"] = 30.0
    d["tcp"]["enabled"] = False
    d["sip"] = {"enabled": False}
    return run_scenario(validate_dict(d), out_dir=tmp_path_factory.mktemp("flows") / "run")


@pytest.mark.ns3
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
