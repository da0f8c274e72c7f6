"""Hostile scenario input: every problem is a one-line ScenarioError naming the field, at once,
whatever the input; nothing reaches ns-3, nothing is written (the reproducers of the hardening
issue, and random scenario dictionaries)."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imm_ns3.cli import main
from imm_ns3.scenario import (
    ScenarioError,
    apply_overrides,
    load_scenario,
    read_scenario_dict,
    validate_dict,
)
from imm_ns3.topology import plan_or_error

BASE, _ = read_scenario_dict("patent-walk")


def _problems(overrides=None, data=None) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        if data is not None:
            plan_or_error(validate_dict(data))
        else:
            plan_or_error(load_scenario("patent-walk", overrides))
    return e.value.problems


@pytest.mark.parametrize("item,expect", [
    ("links.access.delay_ms=inf", "links.access.delay_ms: Input should be a finite number"),
    ("links.access.rate_mbps=inf", "links.access.rate_mbps: Input should be a finite number"),
    ("nodes.bs502a.position_m=[nan,0,0]", "nodes.bs502a.position_m.0: Input should be a finite number"),
    ("wifi.propagation.reference_loss_db=inf", "wifi.propagation.reference_loss_db: Input should be a finite"),
    ("mobility.waypoints_m=[[0,0,0],[inf,0,0]]", "mobility.waypoints_m.1.0: Input should be a finite number"),
    ("mobility.waypoints_m=[[0,0,0],[1e300,0,0]]", "mobility.waypoints_m: coordinates within 1e+06 m"),
    ("simulation.duration_s=true", "simulation.duration_s: true/false is not allowed here"),
    ("mobile_hosts.count=true", "mobile_hosts.count: true/false is not allowed here"),
    ("nodes.bs502a.position_m=[true,0,0]", "nodes.bs502a.position_m: true/false is not allowed here"),
    ('mobile_hosts.sip_domain="imm example"', "mobile_hosts.sip_domain: a host name such as 'imm.example'"),
    ('name="/abs/path"', "name: a file-name-safe name"),
    ('name="../up"', "name: a file-name-safe name"),
])
def test_bad_override_is_one_line(item, expect):
    problems = _problems([item])
    assert len(problems) == 1 and problems[0].startswith(expect), problems


def test_constant_velocity_heading_nan_is_refused():
    d = copy.deepcopy(BASE)
    d["mobility"] = {"model": "constant_velocity", "position_m": [0, 0], "heading_deg": float("nan")}
    assert _problems(data=d) == ["mobility.heading_deg: Input should be a finite number (got nan)"]


def test_a_value_set_under_a_scalar_says_so():
    assert _problems(["simulation=5", "simulation.duration_s=3"]) == [
        "--set simulation.duration_s: 'simulation' is 5, not a table; set it as a table"
        " (e.g. simulation={...}) or its fields only"]


def test_a_scalar_where_a_table_belongs():
    d = copy.deepcopy(BASE)
    d["simulation"] = 5
    assert _problems(data=d) == ["simulation: Input should be a valid dictionary or instance of"
                                 " Simulation (got 5)"]


def test_address_capacity_of_wired_and_wireless_prefixes():
    d = copy.deepcopy(BASE)
    d["subnets"]["sn0"]["prefix"] = "10.10.0.0/29"
    for i in range(4):
        d["hosts"][f"x{i}"] = {"role": "correspondent", "subnet": "sn0"}
    assert _problems(data=d) == ["subnets.sn0.prefix: 10.10.0.0/29 has 6 host addresses, its router"
                                 " and hosts need 8; use a shorter prefix"]
    d = copy.deepcopy(BASE)
    d["subnets"]["sn2"]["prefix"] = "10.2.0.0/29"
    for i in range(6):
        d["nodes"][f"bsx{i}"] = {"role": "base_station", "domain": "d504",
                                 "uplinks": [{"node": "in504"}], "position_m": [300 + i, 0, 0]}
    assert _problems(data=d)[0].startswith("subnets.sn2.prefix: 10.2.0.0/29 has 6 host addresses,"
                                           " its base stations need 8")


@pytest.mark.parametrize("name,taken", [("sn0-r", "the router of sub-network sn0"),
                                        ("sn1-br", "the border router of sub-network sn1"),
                                        ("sn1-drcp", "the DRCP server of sub-network sn1"),
                                        ("mh3", "names mh1, mh2, ... are the mobile hosts'")])
def test_names_the_simulator_gives_are_refused(name, taken):
    d = copy.deepcopy(BASE)
    d["hosts"][name] = {"role": "correspondent", "subnet": "sn0"}
    assert any(p.startswith(f"hosts.{name}: ") and taken in p for p in _problems(data=d))


def test_unknown_key_in_a_file_lists_the_allowed_names():
    d = copy.deepcopy(BASE)
    d["wifi"]["chanel"] = 3
    (line,) = _problems(data=d)
    assert line.startswith("wifi.chanel: unknown field") and "allowed here: active_probing," in line


def test_field_and_reference_problems_are_reported_together():
    d = copy.deepcopy(BASE)
    d["simulation"]["duration_s"] = -5
    d["nodes"]["bs502a"]["domain"] = "dX"
    d["wifi"]["channel"] = 40
    problems = _problems(data=d)
    assert "simulation.duration_s: Input should be greater than 0 (got -5)" in problems
    assert any(p.startswith("nodes.bs502a.domain: unknown domain 'dX'") for p in problems)
    assert any(p.startswith("wifi.channel: 40 is not a 2.4GHz channel") for p in problems)


@pytest.mark.parametrize("content,expect", [
    (b"\xff\xfe\x00garbage\x81", "is not UTF-8 text"),
    (b"name = [unclosed", "is not valid TOML"),
])
def test_unreadable_files_are_one_line(tmp_path, content, expect):
    f = tmp_path / "s.toml"
    f.write_bytes(content)
    r = CliRunner().invoke(main, ["validate", str(f)])
    assert r.exit_code == 2 and expect in r.output and "Traceback" not in r.output


def test_endless_and_huge_files_are_refused(tmp_path):
    r = CliRunner().invoke(main, ["validate", "/dev/zero"])
    assert r.exit_code == 2 and "larger than 4 MiB" in r.output
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (5 * 1024 * 1024))
    assert "larger than 4 MiB" in CliRunner().invoke(main, ["validate", str(big)]).output
    r = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 2 and "is a directory" in r.output


def test_the_run_command_writes_nothing_on_bad_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["run", "--set", "links.access.delay_ms=inf"])
    assert r.exit_code == 2 and not (tmp_path / "runs").exists()


# ---- random input: only ScenarioError, never anything else -------------------------------------
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
_paths = st.sampled_from([
    "simulation", "simulation.duration_s", "simulation.seed", "wifi", "wifi.channel",
    "wifi.standard", "wifi.beacon_interval_s", "wifi.propagation", "links.access",
    "links.domain.delay_ms", "subnets", "subnets.sn1", "subnets.sn1.prefix", "subnets.sn0.kind",
    "domains.d502", "domains.d502.subnet", "nodes.bs502a", "nodes.bs502a.uplinks",
    "nodes.bs502a.position_m", "nodes.gw502.role", "hosts.ch", "hosts.ch.subnet", "mobile_hosts",
    "mobile_hosts.count", "mobile_hosts.permanent_prefix", "mobility", "mobility.model",
    "mobility.waypoints_m", "mmp", "mmp.handoff", "probe.rate_pps", "tcp.size_bytes",
    "macro_mobility.tcp", "failures", "backbone.routers", "addressing.infrastructure_prefix",
    "name", "sip.call_at_s"])


def _set(d: dict, path: str, value) -> None:
    parts = path.split(".")
    node = d
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_paths, _values), min_size=1, max_size=4))
def test_mutated_scenarios_fail_only_with_scenario_errors(mutations):
    d = copy.deepcopy(BASE)
    for path, value in mutations:
        _set(d, path, value)
    try:
        plan_or_error(validate_dict(d))
    except ScenarioError as e:
        assert e.problems and all(isinstance(p, str) and p and "\n" not in p for p in e.problems)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=10), _values, max_size=6))
def test_random_dictionaries_fail_only_with_scenario_errors(d):
    try:
        plan_or_error(validate_dict(d))
    except ScenarioError as e:
        assert e.problems


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_paths, st.text(max_size=20)), min_size=1, max_size=3))
def test_random_set_items_fail_only_with_scenario_errors(items):
    try:
        plan_or_error(load_scenario("patent-walk", [f"{p}={v}" for p, v in items]))
    except ScenarioError as e:
        assert e.problems
