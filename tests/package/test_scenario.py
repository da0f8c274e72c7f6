"""Scenario files: good files load, every bad field is named, --set works by dotted path."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import (
    ScenarioError,
    apply_overrides,
    load_scenario,
    parse_override,
    validate_dict,
)
from imm_ns3.topology import plan_or_error


def test_builtin_patent_walk_loads():
    s = load_scenario("patent-walk")
    assert s.name == "patent-walk"
    assert set(s.subnets) == {"sn0", "home", "sn1", "sn2"}
    assert {d: s.domains[d].subnet for d in s.domains} == {"d502": "sn1", "d503": "sn1", "d504": "sn2"}
    assert s.base_stations() == ["bs502a", "bs502b", "bs503a", "bs504a", "bs504b"]
    assert s.mobility.model == "waypoints" and s.mobility.speed_mps == 10.0


def _errors(data) -> list[str]:
    with pytest.raises(ScenarioError) as ei:
        plan_or_error(validate_dict(data))
    return ei.value.problems


def _set(data, path, value):
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return data


@pytest.mark.parametrize("path,value,expect", [
    ("wifi.bogus", 1, "wifi.bogus: unknown field"),
    ("wifi.standard", "802.11q", "wifi.standard: must be one of 802.11a"),
    ("wifi.channel", 40, "wifi.channel: 40 is not a 2.4GHz channel"),
    ("wifi.beacon_interval_s", 0, "wifi.beacon_interval_s: Input should be greater than 0"),
    ("wifi.beacon_interval_s", 0.05, "wifi.beacon_interval_s: must be a whole number of 802.11 time units (1 TU = 1.024 ms), e.g. 0.1024 (100 TU); got 0.05, nearest 0.050176 (49 TU)"),
    ("wifi.tx_power_dbm", "loud", "wifi.tx_power_dbm: Input should be a valid number"),
    ("links.domain.rate_mbps", -5, "links.domain.rate_mbps: Input should be greater than 0"),
    ("links.backbone.delay_ms", -1, "links.backbone.delay_ms: Input should be greater than or equal to 0"),
    ("mobility.waypoints_m", [], "mobility.waypoints_m: List should have at least 1 item"),
    ("mobility.speed_mps", 0, "mobility.speed_mps: Input should be greater than 0"),
    ("mobility.model", "teleport", "mobility.model: must be one of waypoints, constant_velocity, random_waypoint"),
    ("nodes.bs502a.domain", "d999", "nodes.bs502a.domain: unknown domain 'd999'; allowed: d502, d503, d504"),
    ("nodes.bs502a.uplinks", [], "nodes.bs502a.uplinks: a base_station needs at least one up-link"),
    ("nodes.bs502a.uplinks", ["bs502b"], "nodes.bs502a.uplinks.0: 'bs502b' is a base station"),
    ("nodes.bs502a.uplinks", ["in504"], "nodes.bs502a.uplinks.0: 'in504' is in domain 'd504', not 'd502'"),
    ("nodes.gw502.uplinks", ["in502"], "nodes.gw502.uplinks: a gateway has no up-links"),
    ("nodes.in502.position_m", [1, 2, 3], "nodes.in502.position_m: only base stations have a radio"),
    ("subnets.sn1.prefix", "10.1.0.0/33", "subnets.sn1.prefix: must be an IPv4 prefix"),
    ("subnets.sn2.prefix", "10.1.0.0/16", "subnets.sn2.prefix: 10.1.0.0/16 overlaps subnets.sn1.prefix"),
    ("subnets.sn1.attach", "nowhere", "subnets.sn1.attach: unknown backbone router 'nowhere'; allowed: core"),
    ("subnets.sn1.kind", "satellite", "subnets.sn1.kind: Input should be 'wired' or 'wireless'"),
    ("hosts.ch.subnet", "sn1", "hosts.ch.subnet: 'sn1' is wireless"),
    ("hosts.ch.role", "printer", "hosts.ch.role: Input should be 'correspondent'"),
    ("domains.d503.subnet", "sn0", "domains.d503.subnet: 'sn0' is a wired sub-network"),
    ("mobile_hosts.count", 0, "mobile_hosts.count: Input should be greater than or equal to 1"),
    ("mobile_hosts.permanent_prefix", "10.0.0.0/29", "mobile_hosts.count: 1 hosts do not fit"),
    ("simulation.duration_s", -3, "simulation.duration_s: Input should be greater than 0"),
    ("addressing.infrastructure_prefix", "172.16.0.0/29", "addressing.infrastructure_prefix: too small"),
    ("failures", [{"at_s": 5, "link": ["bs502a", "gw504"]}], "failures.0.link: no wired link between 'bs502a' and 'gw504'"),
    ("failures", [{"at_s": 5, "node": "mh1"}], "failures.0.node: 'mh1' is not a fixed node"),
    ("failures", [{"at_s": 5}], "failures.0: give exactly one of 'link' (two node names) or 'node'"),
    ("failures", [{"at_s": 5, "node": "gw502", "restore_s": 4}], "failures.0: restore_s must be later than at_s"),
    ("failures", [{"at_s": 99, "node": "gw502"}], "failures.0.at_s: 99.0 is after the end of the run"),
    ("failures", [{"at_s": 45, "at_spread_s": 10, "node": "gw502"}],
     "failures.0.at_s: 45.0 (+ at_spread_s 10.0) is after the end of the run"),
    ("failures", [{"at_s": 5, "at_spread_s": -1, "node": "gw502"}],
     "failures.0.at_spread_s: Input should be greater than or equal to 0"),
    ("mmp.handoff", "soft", "mmp.handoff: Input should be 'hard' or 'semisoft'"),
    ("mmp.failure_detection", "ping", "mmp.failure_detection: Input should be 'beacons' or 'local'"),
    ("mmp.local_detection_delay_s", -0.1, "mmp.local_detection_delay_s: Input should be greater than or equal to 0"),
    ("mmp.border_route_delay_s", 61, "mmp.border_route_delay_s: Input should be less than or equal to 60"),
    ("mmp.route_update_interval_s", 5.0, "mmp.route_update_interval_s: must be shorter than mmp.cache_timeout_s"),
    ("probe.source", "hlr", "probe.source: 'hlr' is not a correspondent host; allowed: ch"),
    ("wifi.rate_manager", "fast", "wifi.rate_manager: Input should be 'minstrel', 'aarf', 'ideal' or 'constant'"),
    ("macro_mobility.tcp", "sctp", "macro_mobility.tcp: Input should be 'miplr', 'mip' or 'none'"),
    ("macro_mobility.realtime", "h323", "macro_mobility.realtime: Input should be 'sip', 'miplr', 'mip' or 'none'"),
    ("hosts.hlr.role", "sip_server", "macro_mobility.tcp: 'miplr' needs a host with role 'home_location_register'"),
    ("hosts.ha.role", "sip_server", None),  # no home agent is fine while nothing uses Mobile IP
    ("tcp.variant", "reno2", "tcp.variant: unknown TCP variant 'reno2'; allowed: newreno, cubic"),
    ("tcp.size_bytes", 0, "tcp.size_bytes: Input should be greater than or equal to 1"),
    ("hosts.ch.role", "sip_server", "tcp.enabled: the TCP transfer needs a host with role 'correspondent'"),
])
def test_bad_field_is_named(walk_dict, path, value, expect):
    if expect is None:
        plan_or_error(validate_dict(_set(walk_dict, path, value)))
        return
    problems = _errors(_set(walk_dict, path, value))
    assert any(p.startswith(expect) for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_base_station_in_no_domain(walk_dict):
    del walk_dict["nodes"]["bs502a"]["domain"]
    assert "nodes.bs502a.domain: required field is missing" in _errors(walk_dict)


def test_uplink_cycle_is_reported(walk_dict):
    walk_dict["nodes"]["in502"]["uplinks"] = ["in503"]
    walk_dict["nodes"]["in503"]["domain"] = "d502"
    walk_dict["nodes"]["in503"]["uplinks"] = ["in502"]
    problems = _errors(walk_dict)
    assert any("form a cycle and reach no gateway" in p for p in problems), problems


def test_domain_without_gateway(walk_dict):
    del walk_dict["nodes"]["gw503"]
    walk_dict["nodes"]["in503"]["uplinks"] = []
    walk_dict["nodes"]["in503"]["role"] = "gateway"
    walk_dict["nodes"]["in503"]["domain"] = "d502"
    problems = _errors(walk_dict)
    assert "domains.d503: no node with role 'gateway' in this domain" in problems


def test_duplicate_names(walk_dict):
    walk_dict["hosts"]["core"] = {"subnet": "sn0", "role": "correspondent"}
    assert any(p.startswith("names: core used for more than one thing") for p in _errors(walk_dict))


def test_unknown_top_level_key(walk_dict):
    walk_dict["mobilty"] = {}
    (line,) = [e for e in _errors(walk_dict) if e.startswith("mobilty")]
    assert line.startswith("mobilty: unknown field; check the spelling (see docs/scenario.md);"
                           " allowed here: addressing, attacks, backbone,")


def test_override_parsing():
    assert parse_override("mobility.speed_mps=10") == ("mobility.speed_mps", 10)
    assert parse_override("wifi.standard=802.11a") == ("wifi.standard", "802.11a")
    assert parse_override("mobility.waypoints_m=[[0,0],[5,0]]") == ("mobility.waypoints_m", [[0, 0], [5, 0]])
    assert parse_override("wifi.active_probing=false") == ("wifi.active_probing", False)
    assert parse_override("name=a=b") == ("name", "a=b")
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        parse_override("mobility.speed_mps")
    with pytest.raises(ScenarioError, match="dotted path"):
        parse_override("mobility..speed=1")


def test_override_applies_and_validates():
    s = load_scenario("patent-walk", ["mobility.speed_mps=20", "wifi.beacon_interval_s=0.2048",
                                      "nodes.bs504b.position_m=[400, 5, 0]"])
    assert s.mobility.speed_mps == 20
    assert s.wifi.beacon_interval_s == 0.2048
    assert s.nodes["bs504b"].position_m == (400, 5, 0)


def test_override_of_a_defaulted_field(walk_dict):
    # wifi.probe_request_timeout_s is not in the file: overriding its default is allowed.
    out = apply_overrides(walk_dict, ["wifi.probe_request_timeout_s=0.1"])
    assert validate_dict(out).wifi.probe_request_timeout_s == 0.1


@pytest.mark.parametrize("item,expect", [
    ("mobility.sped=1", "--set mobility.sped: 'mobility.sped' is not a scenario field; allowed at this level: model, pause_s, speed_mps, start_s, waypoints_m"),
    ("nodes.bsX.position_m=[1,2]", "--set nodes.bsX.position_m: no entry 'bsX' under 'nodes'"),
    ("wifi.channel.x=1", "--set wifi.channel.x: 'wifi.channel' is a value, it has no field 'x'"),
    ("nosuch=1", "--set nosuch: 'nosuch' is not a scenario field"),
])
def test_override_path_must_exist(walk_dict, item, expect):
    with pytest.raises(ScenarioError) as ei:
        apply_overrides(walk_dict, [item])
    assert ei.value.problems[0].startswith(expect), ei.value.problems


def test_override_does_not_touch_input(walk_dict):
    before = repr(walk_dict)
    apply_overrides(walk_dict, ["mobility.speed_mps=3"])
    assert repr(walk_dict) == before


def test_missing_file_names_builtins():
    with pytest.raises(ScenarioError, match="built-in: patent-walk"):
        load_scenario("no/such/file.toml")


def test_invalid_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("name = \n")
    with pytest.raises(ScenarioError, match="is not valid TOML"):
        load_scenario(p)


def test_mobile_ip_needs_a_home_agent(walk_dict):
    _set(walk_dict, "hosts.ha.role", "sip_server")
    _set(walk_dict, "macro_mobility.realtime", "mip")
    assert _errors(walk_dict) == [
        "macro_mobility.realtime: 'mip' needs a host with role 'home_agent'; add one or choose"
        " another mechanism"]


GROUPS = {
    "groups": [
        {"count": 3, "mobility": {"model": "random_waypoint", "area_m": [-40, -40, 430, 40],
                                  "speed_mps": 1.5}},
        {"count": 2, "start_stagger_s": 1.0,
         "mobility": {"model": "waypoints", "waypoints_m": [[0, 0, 0], [400, 0, 0]],
                      "speed_mps": 12.0, "start_s": 2.0}},
    ]}


def test_mobility_groups_number_hosts_in_order_each_with_its_model(walk_dict):
    from imm_ns3.scenario import validate_dict
    from imm_ns3.topology import build_topology

    del walk_dict["mobility"]
    walk_dict["mobile_hosts"] = {**walk_dict["mobile_hosts"], **GROUPS}
    walk_dict["mobile_hosts"].pop("count")
    s = validate_dict(walk_dict)
    assert s.mobile_hosts.count == 5
    hosts = build_topology(s).mobile_hosts
    assert [h.mobility.model for h in hosts] == ["random_waypoint"] * 3 + ["waypoints"] * 2
    assert [h.start_s for h in hosts] == [0.0, 0.0, 0.0, 2.0, 3.0]  # stagger within the group
    assert [h.name for h in hosts] == ["mh1", "mh2", "mh3", "mh4", "mh5"]


@pytest.mark.parametrize("change, expect", [
    (lambda d: d["mobile_hosts"].update(count=4), "count: 4, but the groups hold 5 hosts"),
    (lambda d: None, "give either mobility (every host) or mobile_hosts.groups"),
    (lambda d: d["mobile_hosts"]["groups"][1].update(count=0), "mobile_hosts.groups.1.count"),
])
def test_bad_groups_get_one_clear_line(walk_dict, change, expect):
    from imm_ns3.scenario import ScenarioError, validate_dict

    walk_dict["mobile_hosts"] = {**walk_dict["mobile_hosts"], **GROUPS}
    walk_dict["mobile_hosts"].pop("count")
    if "give either" not in expect:
        del walk_dict["mobility"]
    change(walk_dict)
    with pytest.raises(ScenarioError) as e:
        validate_dict(walk_dict)
    assert any(expect in line for line in e.value.problems), e.value.problems


def test_without_groups_mobility_is_required(walk_dict):
    from imm_ns3.scenario import ScenarioError, validate_dict

    del walk_dict["mobility"]
    with pytest.raises(ScenarioError) as e:
        validate_dict(walk_dict)
    assert any(line.startswith("mobility: required") for line in e.value.problems)
