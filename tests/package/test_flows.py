"""[[flows]]: the researcher's own traffic (docs/scenario.md). The pure parts: the on/off
pattern and validation (the ns-3 run: tests/sim/test_flows_run.py)."""

from __future__ import annotations

import numpy as np
import pytest

from imm_ns3.adapter.flows import on_windows
from imm_ns3.scenario import ScenarioError, validate_dict

from scenario_dicts import VIDEO, with_flows


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
    ({"src": "mh1"}, {"realtime": "miplr"}, "flows.0.dst: the flow's source and destination are the same host"),
    ({"src": "mh1", "dst": "sip", "kind": "tcp_bulk"}, {},
     "flows.0.dst: MIP-LR rewrites the answers' addresses at correspondents ([0058]-[0062]): 'sip'"),
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
        validate_dict(with_flows([dict(VIDEO, **change)], **mm))
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_flow_names_and_ports_are_unique_per_receiver():
    two = [VIDEO, dict(VIDEO, port=20000)]
    with pytest.raises(ScenarioError) as e:
        validate_dict(with_flows(two, realtime="miplr"))
    assert e.value.problems == [
        "flows.1.name: 'video' names another flow too; flow names are unique",
        "flows.1.port: 20000 at mh1 is flow 'video''s too; choose another"]
    ok = [VIDEO, dict(VIDEO, name="v2"), dict(VIDEO, name="lan", dst="hlr", port=20000)]
    assert len(validate_dict(with_flows(ok, realtime="miplr")).flows) == 3


def test_care_of_addressing_needs_no_macro_mobility():
    s = validate_dict(with_flows([dict(VIDEO, dst_address="care_of")]))  # realtime stays "sip"
    assert s.flows[0].dst_address == "care_of"


def test_uploads_and_mobile_to_mobile_flows_validate_and_auth_is_refused_between_mobiles():
    up = dict(VIDEO, name="up", kind="tcp_bulk", src="mh1", dst="ch")
    for tcp in ("miplr", "mip", "none"):
        assert validate_dict(with_flows([up], tcp=tcp)).flows[0].src == "mh1"
    d = with_flows([dict(VIDEO, src="mh2"), dict(up, name="m2m", dst="mh2")], realtime="miplr")
    d["mobile_hosts"]["count"] = 2
    assert len(validate_dict(d).flows) == 2
    d["security"] = {"auth": True, "secret": "x" * 16}
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert [p.split(":")[0] for p in e.value.problems] == ["flows.0.src", "flows.1.src"]
    assert "binding keys" in e.value.problems[0]


# ---- [[sip.calls]]: calls between two mobile hosts -------------------------------------------
def _calls(calls, **sip):
    d = with_flows([])
    d["mobile_hosts"]["count"] = 2
    d["sip"] = {"calls": calls, **sip}
    return d


CALL = {"caller": "mh1", "callee": "mh2", "at_s": 3.0}


@pytest.mark.parametrize("calls,mm,expect", [
    ([dict(CALL, caller="ch")], {}, "sip.calls.0.caller: 'ch' is not a mobile host; allowed: mh1, mh2"),
    ([dict(CALL, callee="mh1")], {}, "sip.calls.0.callee: a host does not call itself"),
    ([CALL, dict(CALL, caller="mh2", callee="mh1")], {},
     "sip.calls.1: 'mh2' and 'mh1' have a call already (sip.calls.0); one call per pair"),
    ([CALL], {"realtime": "miplr"}, "sip.calls.0: a call is SIP signalling: macro_mobility.realtime must be \"sip\""),
    ([dict(CALL, at_s=49.5)], {}, "sip.calls.0.at_s: 49.5 s leaves no time to talk"),
    ([dict(CALL, at_s=-1)], {}, "sip.calls.0.at_s: Input should be greater than or equal to 0 (got -1)"),
    ([dict(CALL, bogus=1)], {}, "sip.calls.0.bogus: unknown field"),
])
def test_bad_mobile_calls_are_one_line_errors(calls, mm, expect):
    d = _calls(calls)
    d["macro_mobility"].update(mm)
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_a_mobile_call_needs_a_sip_server_and_its_port_is_its_own():
    d = _calls([CALL], correspondent_calls=False)
    assert validate_dict(d).sip.calls[0].callee == "mh2"
    del d["hosts"]["sip"]
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert any(p.startswith("sip.calls.0: calls need a host with role 'sip_server'") for p in e.value.problems)
    d = _calls([CALL])
    d["flows"] = [dict(VIDEO, dst="mh2", dst_address="care_of", port=41000)]
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["flows.0.port: 41000 at mh2 is sip.calls.0's RTP port; choose another"]
