"""ns-2 movement traces as a mobility model (mobility.model = "ns2_trace", imm_ns3/ns2trace.py):
the parser against ns-2's setdest semantics and validation (on ns-3 the patent walk written as
a trace gives the very same run: tests/sim/test_ns2trace_run.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.ns2trace import TraceError, parse, position
from imm_ns3.scenario import ScenarioError, load_scenario, validate_dict

from scenario_dicts import traced_walk

TRACE = """# two nodes, as ns-2's setdest writes them
$node_(0) set X_ 0.0
$node_(0) set Y_ 0.0
$node_(0) set Z_ 0.0
$node_(1) set X_ 100.0
$node_(1) set Y_ 50.0
$ns_ at 2.0 "$node_(0) setdest 400.0 0.0 10.0"
$ns_ at 1.0 "$node_(1) setdest 100.0 150.0 5.0"
$ns_ at 11.0 "$node_(1) setdest 0.0 100.0 20.0"
$ns_ at 30.0 "$node_(1) set X_ 7.0"
"""


def test_setdest_walks_straight_and_stops_at_the_destination():
    pts = parse(TRACE)
    assert pts[0] == [(0.0, (0.0, 0.0, 0.0)), (2.0, (0.0, 0.0, 0.0)), (42.0, (400.0, 0.0, 0.0))]
    assert position(pts[0], 22.0) == (200.0, 0.0, 0.0) and position(pts[0], 99.0) == (400.0, 0.0, 0.0)


def test_a_later_setdest_interrupts_the_walk_under_way_and_set_jumps():
    p = parse(TRACE)[1]
    # 1 s: north at 5 m/s (would arrive at 21 s); at 11 s it is at y = 100 and turns west at
    # 20 m/s, arriving at x = 0 at 16 s; at 30 s it jumps to x = 7.
    assert position(p, 11.0) == (100.0, 100.0, 0.0)
    assert position(p, 16.0) == (0.0, 100.0, 0.0) and position(p, 29.0) == (0.0, 100.0, 0.0)
    assert position(p, 30.001) == (7.0, 100.0, 0.0)  # a jump takes 1 us (ns-3 wants increasing times)
    assert [t for t, _ in p] == sorted(t for t, _ in p)


@pytest.mark.parametrize("text,expect", [
    ("$node_(0) set X_ 1\nbogus line\n", "t, line 2: not an ns-2 movement line: 'bogus line'"),
    ('$ns_ at -1 "$node_(0) setdest 1 1 1"\n', "t, line 1: time -1 is not a time from 0 to 1e+06 s"),
    ('$ns_ at 1 "$node_(0) setdest 1 1 -2"\n', "t, line 1: setdest speed -2 is not 0 (stop) or from 0.001"),
    ('$ns_ at 1 "$node_(0) setdest 1e9 1 2"\n', "t, line 1: 1e9 is not a coordinate within 1e+06 m"),
    ("# nothing\n", "t: no node in the trace"),
])
def test_bad_traces_name_the_line(text, expect):
    with pytest.raises(TraceError) as e:
        parse(text, where="t")
    assert str(e.value).startswith(expect), str(e.value)


def test_scenario_reads_the_trace_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "walk.ns_movements").write_text(TRACE)
    import tomli_w

    d = traced_walk("walk.ns_movements", count=2)
    (tmp_path / "s.toml").write_bytes(tomli_w.dumps(d).encode())
    s = load_scenario(tmp_path / "s.toml")
    assert s.mobility.file == str(tmp_path / "walk.ns_movements") and s.mobility.nodes() == [0, 1]


@pytest.mark.parametrize("change,expect", [
    ({"first_node": 1, "count": 2}, "mobility.first_node: host mh2 would follow node 2 of"),
    ({"path": "missing.txt"}, "mobility.file: cannot read"),
    ({"path": "binary.tr"}, "mobility.file: cannot read"),
    ({"path": "."}, "mobility.file: cannot read"),
])
def test_bad_trace_mobility_is_a_one_line_error(tmp_path, change, expect):
    f = tmp_path / "walk.tr"
    f.write_text(TRACE)
    (tmp_path / "binary.tr").write_bytes(b"\xff\xfe\x00$node_(0)")
    d = traced_walk(tmp_path / change.get("path", "walk.tr"), change.get("first_node", 0), change.get("count", 1))
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


# ---- hostile traces: every refusal names the line; what is accepted ns-3 takes -----------------
def _ns(points) -> list[int]:
    """The nanoseconds the builder hands ns-3 (adapter/builder.py: round(t * 1e9))."""
    return [round(t * 1e9) for t, _ in points]


def _ns3_takes(points) -> bool:
    ns = _ns(points)
    return all(a < b for a, b in zip(ns, ns[1:])) and all(0 <= n < 2**63 for n in ns)


@pytest.mark.parametrize("text,expect", [
    ('$ns_ at 1 "$node_(0) setdest 1 1 1e-320"\n',
     "t, line 1: setdest speed 1e-320 is not 0 (stop) or from 0.001 to 1e+06 m/s"),
    ('$ns_ at 1 "$node_(0) setdest 1 1 0.0009"\n', "t, line 1: setdest speed 0.0009 is not 0 (stop)"),
    ('$ns_ at 1 "$node_(0) setdest 1 1 2e6"\n', "t, line 1: setdest speed 2e6 is not 0 (stop)"),
    ('$node_(0) set X_ 1\n$ns_ at 1e10 "$node_(0) setdest 1 1 1"\n',
     "t, line 2: time 1e10 is not a time from 0 to 1e+06 s (the longest run)"),
    ('$ns_ at 1000000.5 "$node_(0) set X_ 1"\n', "t, line 1: time 1000000.5 is not a time from 0"),
    ("$node_(0) set Y_ 1000000.5\n", "t, line 1: 1000000.5 is not a coordinate within 1e+06 m of the origin"),
    ('$ns_ at 1 "$node_(0) setdest 5e6 0 1"\n', "t, line 1: 5e6 is not a coordinate within 1e+06 m"),
    ("$node_(" + "9" * 900 + ") set X_ 1\n", "t, line 1: node id 999999999999999999999999... (900"
     " characters) is not a node id from 0 to 1000000"),
    ("$node_(1000001) set X_ 1\n", "t, line 1: node id 1000001 is not a node id from 0 to 1000000"),
    ("$node_(\u0663) set X_ 1\n", "t, line 1: not an ns-2 movement line"),  # ASCII digits only
    ("$node_(0) set X_ 1" + " " * 2000 + "\n", "t, line 1: longer than 1000 characters (2018)"),
])
def test_out_of_range_traces_name_the_line(text, expect):
    with pytest.raises(TraceError) as e:
        parse(text, where="t")
    assert str(e.value).startswith(expect), str(e.value)


def test_the_bounds_themselves_are_accepted():
    pts = parse('$node_(1000000) set X_ -1e6\n$ns_ at 1e6 "$node_(1000000) setdest 1e6 1e6 0.001"\n')
    assert pts[10**6][-1] == (pytest.approx(1e6 + 2.236e9, rel=1e-3), (1e6, 1e6, 0.0))
    assert _ns3_takes(pts[10**6])


def test_events_closer_than_a_nanosecond_move_to_the_next_one():
    # The report: two setdests 0.2 ns apart reached ns-3's "Waypoints must be added in ascending
    # time order". The later point moves to the next nanosecond; the walk is otherwise the same.
    pts = parse('$ns_ at 1.0 "$node_(0) setdest 10 0 1"\n'
                '$ns_ at 1.0000000002 "$node_(0) setdest 20 0 1"\n')[0]
    assert _ns(pts) == [0, 1_000_000_000, 1_000_000_001, 21_000_000_000]
    assert pts[-1][1] == (20.0, 0.0, 0.0) and _ns3_takes(pts)
    # A walk shorter than a nanosecond, and a jump followed 0.3 ns later by a setdest.
    assert _ns3_takes(parse('$ns_ at 2 "$node_(0) setdest 1e-7 0 100"\n')[0])
    assert _ns3_takes(parse('$ns_ at 2 "$node_(0) set X_ 5"\n$ns_ at 2.0000000003 "$node_(0) setdest 9 0 1"\n'
                            '$ns_ at 2.0000000006 "$node_(0) setdest 1 0 1"\n')[0])


def test_points_a_nanosecond_apart_keep_their_times():
    text = '$ns_ at 1.0 "$node_(0) setdest 10 0 1"\n$ns_ at 1.000000001 "$node_(0) setdest 20 0 1"\n'
    assert [t for t, _ in parse(text)[0]] == [0.0, 1.0, 1.000000001, 1.000000001 + 20.0 - 1.000000001e-9]


_num = st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                 st.sampled_from(["0", "1e-320", "1e-400", "1e10", "1e6", "-1e6", "0.001", "1.0000000002",
                                  "1e-9", "0.9999999999", "1" * 30]),
                 st.decimals(0, 10, places=10, allow_nan=False).map(str))
_line = st.one_of(
    st.builds(lambda i, a, v: f"$node_({i}) set {a}_ {v}", st.integers(0, 3), st.sampled_from("XYZ"), _num),
    st.builds(lambda t, i, a, v: f'$ns_ at {t} "$node_({i}) set {a}_ {v}"', _num, st.integers(0, 3),
              st.sampled_from("XYZ"), _num),
    st.builds(lambda t, i, x, y, s: f'$ns_ at {t} "$node_({i}) setdest {x} {y} {s}"', _num,
              st.integers(0, 3), _num, _num, _num),
    st.text(max_size=40))


@settings(max_examples=400, deadline=None)
@given(st.lists(_line, min_size=1, max_size=12))
def test_random_traces_are_refused_by_line_or_taken_by_ns3(lines):
    try:
        pts = parse("\n".join(lines), where="t")
    except TraceError as e:
        assert str(e).startswith("t") and "\n" not in str(e)
        return
    for points in pts.values():
        assert points[0][0] == 0.0 and _ns3_takes(points), points
        assert all(abs(v) <= 1e6 for _, p in points for v in p)


def test_trace_files_that_are_no_regular_files_are_refused(tmp_path):
    import os
    import threading

    fifo = tmp_path / "walk.tr"
    os.mkfifo(fifo)
    out: list = []

    def validate():
        with pytest.raises(ScenarioError) as e:
            validate_dict(traced_walk(fifo))
        out.append(e.value.problems)

    t = threading.Thread(target=validate, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert out == [[f"mobility.file: cannot read {fifo}: it is a FIFO (named pipe), not a regular file"]]
    with pytest.raises(ScenarioError) as e:
        validate_dict(traced_walk("/dev/zero"))
    assert e.value.problems == ["mobility.file: cannot read /dev/zero: it is a character device, not a"
                                " regular file"]


def test_a_bad_line_of_a_trace_file_is_one_line_naming_field_and_line(tmp_path):
    f = tmp_path / "walk.tr"
    f.write_text(TRACE + '$ns_ at 1e10 "$node_(0) setdest 1 1 1"\n')
    with pytest.raises(ScenarioError) as e:
        validate_dict(traced_walk(f))
    assert e.value.problems == ["mobility.file: walk.tr, line 11: time 1e10 is not a time from 0 to"
                                " 1e+06 s (the longest run)"]


def test_a_nul_in_a_trace_path_of_a_scenario_file_is_one_line(tmp_path):
    import tomli_w

    d = traced_walk("walk\x00.tr")
    (tmp_path / "s.toml").write_bytes(tomli_w.dumps(d).encode())
    with pytest.raises(ScenarioError) as e:
        load_scenario(tmp_path / "s.toml")
    assert e.value.problems == ["mobility.file: cannot read walk\\x00.tr: not a file name (embedded null byte)"]
