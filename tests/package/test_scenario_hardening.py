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
    assert r.exit_code == 2 and r.output == ("error: scenario: cannot read /dev/zero: it is a"
                                             " character device, not a regular file\n")
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


# ---- files given by path: regular files only -----------------------------------------------------
def _soon(fn, seconds=20.0):
    """fn() run in a thread that must end within ``seconds`` (a FIFO's open would block for ever)."""
    import threading

    out: list = []

    def call():
        try:
            out.append(("ok", fn()))
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out.append(("raised", e))

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "blocked"
    return out[0]


def test_fifos_are_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    kind, r = _soon(lambda: CliRunner().invoke(main, ["validate", str(fifo)]))
    assert r.exit_code == 2 and r.output == (f"error: scenario: cannot read {fifo}: it is a FIFO"
                                             " (named pipe), not a regular file\n")


def test_sweep_files_are_read_the_same_way(tmp_path):
    from imm_ns3.scenario import parse_toml_file

    with pytest.raises(ScenarioError) as e:
        parse_toml_file(tmp_path, "sweep")
    assert e.value.problems == [f"sweep: cannot read {tmp_path}: it is a directory, not a regular file"]


# ---- nesting, huge integers, --set paths -----------------------------------------------------------
def test_deep_nesting_is_one_line_everywhere(tmp_path):
    deep = "[" * 600 + "]" * 600
    assert _problems([f"name={deep}"]) == ["--set name: VALUE nests arrays or tables more than 32"
                                           " levels deep"]
    assert _problems([f"name={'[' * 40 + ']' * 40}"]) == [
        "--set name: VALUE: tables and arrays nested more than 32 levels deep (at " + ".".join(["0"] * 32) + ")"]
    f = tmp_path / "s.toml"
    f.write_text(f"x = {deep}\n")
    r = CliRunner().invoke(main, ["validate", str(f)])
    assert r.exit_code == 2 and r.output == (f"error: scenario: {f}: tables and arrays nested more"
                                             " than 32 levels deep\n")
    d = copy.deepcopy(BASE)
    v: list = []
    d["description"] = v
    for _ in range(5000):  # deeper than the stack: checked without recursion
        v.append([])
        v = v[0]
    (line,) = _problems(data=d)
    assert line.startswith("scenario: tables and arrays nested more than 32 levels deep (at description.0.0.")


@pytest.mark.parametrize("item,expect", [
    ("flows.\u00b2.name=x", "--set flows.\u00b2.name: 'flows' is a list; the next part is an index"),
    ("backbone.routers.\u0661=x", "--set backbone.routers.\u0661: 'backbone.routers' is a list; the next"
     " part is an index (0 to 0), got '\u0661'"),
    ("backbone.routers." + "1" * 5000 + "=x", "--set backbone.routers.111"),
    ("backbone.routers.1=x", "--set backbone.routers.1: index '1' is out of range (0 to 0)"),
    ("simulation.seed=" + "1" * 5000, "--set simulation.seed: VALUE is an integer of more than 4300 digits"),
    ("simulation=[1]", "simulation: Input should be a valid dictionary"),
])
def test_bad_set_paths_and_values_are_one_line(item, expect):
    (line,) = _problems([item])
    assert line.startswith(expect) and len(line) < 600, line


def test_a_list_set_in_place_of_a_table_says_so():
    assert _problems(["simulation=[1]", "simulation.duration_s=3"]) == [
        "--set simulation.duration_s: 'simulation' is [1], not a table; set it as a table"
        " (e.g. simulation={...}) or its fields only"]


def test_huge_integers_in_a_file_are_one_line(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("x = " + "1" * 5000 + "\n")
    r = CliRunner().invoke(main, ["validate", str(f)])
    assert r.exit_code == 2 and r.output == (f"error: scenario: {f}: an integer of more than 4300"
                                             " digits; TOML integers are 64-bit\n")


# ---- booleans are strict ---------------------------------------------------------------------------
@pytest.mark.parametrize("item", ["security.auth=1", 'security.auth="yes"', "tcp.enabled=0",
                                  "sip.enabled=off", "probe.enabled=1.0", 'wifi.active_probing="true"'])
def test_booleans_are_true_or_false_only(item):
    key, raw = item.split("=")
    (line,) = _problems([item])
    assert line.startswith(f"{key}: true or false only (a TOML boolean; not a number or a string)"
                           " (got "), line


def test_toml_booleans_still_set_switches():
    s = load_scenario("patent-walk", ["tcp.enabled=false", "security.auth=true"])
    assert s.tcp.enabled is False and s.security.auth is True


def test_every_boolean_field_of_the_schema_is_strict():
    from imm_ns3.scenario.schema import _Model

    def models(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from models(sub)

    bools = [(m.__name__, name) for m in models(_Model) for name, f in m.model_fields.items()
             if f.annotation is bool]
    assert len(bools) >= 5
    for m in models(_Model):
        for name, f in m.model_fields.items():
            if f.annotation is bool:
                assert any(getattr(x, "strict", None) for x in f.metadata), (m.__name__, name)


# ---- flows, propagation, attacks: bounds that keep ns-3 (and the run's memory) safe --------------
def _flow(**kw) -> dict:
    d = copy.deepcopy(BASE)
    d["flows"] = [dict({"name": "f", "kind": "udp_cbr", "src": "ch", "dst": "hlr", "start_s": 1.0,
                        "rate_kbps": 80.0, "packet_bytes": 200}, **kw)]
    return d


@pytest.mark.parametrize("kw,expect", [
    ({"rate_kbps": 1e-10}, "flows.0.rate_kbps: 1e-10 kbit/s sends a 200-byte packet every 1.6e+10 s;"
     " a packet at least every 1e+06 s (the longest run): from 1.6e-06 to 1e+06 kbit/s"),
    ({"rate_kbps": 1e-300}, "flows.0.rate_kbps: 1e-300 kbit/s sends a 200-byte packet every"),
    ({"rate_kbps": 5e-324}, "flows.0.rate_kbps: 4.94066e-324 kbit/s sends a 200-byte packet every inf s"),
    ({"kind": "onoff", "on_s": 1e-6, "off_s": 1e-6}, "flows.0.on_s: on_s + off_s = 2e-06 s makes about"
     " 2.4e+07 on-periods in the flow's 48 s; at most 1000000: on_s + off_s at least 4.8e-05 s"),
    ({"kind": "tcp_bulk", "dst": "mh1", "dst_address": "care_of"}, "flows.0.dst_address: TCP to the"
     " care-of address is not kept across sub-network changes"),
    ({"src": "x" * 5000}, "flows.0.src: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
     " (5000 characters) is neither a fixed host nor a mobile host"),
])
def test_bad_flows_are_refused_in_one_line(kw, expect):
    problems = _problems(data=_flow(**kw))
    assert len(problems) == 1 and problems[0].startswith(expect), problems


def test_onoff_periods_below_a_microsecond_are_refused():
    assert _problems(data=_flow(kind="onoff", on_s=1e-300, off_s=1e-300)) == [
        "flows.0.on_s: Input should be greater than or equal to 0.000001 (got 1e-300)",
        "flows.0.off_s: Input should be greater than or equal to 0.000001 (got 1e-300)"]


def test_flows_at_the_bounds_are_valid():
    validate_dict(_flow(rate_kbps=1.6e-6))  # one 200-byte packet per 10^6 s
    validate_dict(_flow(kind="onoff", on_s=2.4e-5, off_s=2.4e-5))  # 10^6 on-periods in 48 s
    validate_dict(_flow(kind="tcp_bulk", dst="mh1"))  # to the permanent address


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["udp_cbr", "onoff"]),
       rate=st.floats(0, 1e6), size=st.integers(16, 1472),
       on=st.floats(1e-6, 1e6), off=st.floats(1e-6, 1e6), start=st.floats(0, 48))
def test_valid_flows_have_bounded_intervals_and_periods(kind, rate, size, on, off, start):
    try:
        s = validate_dict(_flow(kind=kind, rate_kbps=rate, packet_bytes=size, on_s=on, off_s=off,
                                start_s=start))
    except ScenarioError as e:
        assert e.problems and all(p.startswith("flows.0") for p in e.problems), e.problems
        return
    f = s.flows[0]
    assert f.packet_bytes * 8 / (f.rate_kbps * 1e3) <= 1e6
    assert kind != "onoff" or (49.0 - f.start_s) / (f.on_s + f.off_s) <= 1e6


def test_shadowing_decorrelation_within_ns3s_range():
    d = copy.deepcopy(BASE)
    d["wifi"]["propagation"] = {"shadowing_db": 3.0, "shadowing_decorrelation_m": 1e-9}
    assert _problems(data=d) == ["wifi.propagation.shadowing_decorrelation_m: Input should be greater"
                                 " than or equal to 0.000001 (got 1e-09)"]
    d["wifi"]["propagation"]["shadowing_decorrelation_m"] = 1e-6  # ns-3's own lower limit
    validate_dict(d)


def _hold(hold_s: float, duration_s: float) -> dict:
    d = copy.deepcopy(BASE)
    d["mobile_hosts"]["count"] = 2
    d["simulation"]["duration_s"] = duration_s
    d.setdefault("mmp", {})["route_update_interval_s"] = 0.01
    d["attacks"] = [{"kind": "mmp_semisoft_copy", "at_s": 5.0, "attacker": "mh2", "victim": "mh1",
                     "hold_s": hold_s}]
    return d


def test_held_forgeries_schedule_a_bounded_number_of_refreshes():
    assert _problems(data=_hold(1e6, 1e6)) == [
        "attacks.0.hold_s: 1e+06 s of route-updates every mmp.route_update_interval_s (0.01 s) makes"
        " 99999500 refreshes within the run; at most 100000: hold_s at most 1000 s at this interval"]
    validate_dict(_hold(1e6, 7.0))  # only the refreshes the run has time for: 200
    validate_dict(_hold(1000.0, 1e6))


def test_huge_names_are_shown_cut_and_the_field_named():
    d = copy.deepcopy(BASE)
    d["attacks"] = [{"kind": "miplr_update", "at_s": 1.0, "attacker": "a" * 5000, "victim": "1" * 5000}]
    problems = _problems(data=d)
    assert problems[0] == ("attacks.0.victim: '" + "1" * 59 + "... (5000 characters) is not a mobile"
                           " host; allowed: mh1 .. mh1")
    assert problems[1].startswith("attacks.0.attacker: 'aaaa") and len(problems[1]) < 300
    d = copy.deepcopy(BASE)
    d["hosts"]["h" * 5000] = {"role": "correspondent", "subnet": "sn0"}
    d["wifi"]["k" * 5000] = 1
    d["mobile_hosts"]["sip_domain"] = "x " * 5000
    problems = _problems(data=d)
    assert problems and all(len(p) < 1200 for p in problems), [len(p) for p in problems]
    assert {p.split(":")[0][:10] for p in problems} == {"hosts.hhhh", "wifi.kkkkk", "mobile_hos"}


# ---- random --set items: any key, any value, only ScenarioError ----------------------------------
_key_parts = st.one_of(st.sampled_from(["flows", "0", "name", "simulation", "backbone", "routers",
                                        "\u00b2", "\u0661", "1" * 30, "tcp", "enabled", "hosts"]),
                       st.text(min_size=1, max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(_key_parts, min_size=1, max_size=4),
                          st.one_of(st.text(max_size=30), st.sampled_from(["[" * 700, "1" * 4400, "off",
                                                                           "{a=[[[1]]]}", "true"]))),
                min_size=1, max_size=3))
def test_random_set_keys_and_values_fail_only_with_scenario_errors(items):
    try:
        plan_or_error(load_scenario("patent-walk", [f"{'.'.join(k)}={v}" for k, v in items]))
    except ScenarioError as e:
        assert e.problems and all("\n" not in p for p in e.problems)
