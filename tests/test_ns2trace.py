"""ns-2 movement traces as a mobility model (mobility.model = "ns2_trace", imm_ns3/ns2trace.py):
the parser against ns-2's setdest semantics, validation, and on ns-3 the patent walk written
as a trace giving the very same run."""

from __future__ import annotations

import copy

import pytest

from imm_ns3.ns2trace import TraceError, parse, position
from imm_ns3.scenario import ScenarioError, load_scenario, read_scenario_dict, validate_dict

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
    ('$ns_ at -1 "$node_(0) setdest 1 1 1"\n', "t, line 1: time -1.0 is not a time from 0 on"),
    ('$ns_ at 1 "$node_(0) setdest 1 1 -2"\n', "t, line 1: setdest speed -2.0 is negative"),
    ('$ns_ at 1 "$node_(0) setdest 1e9 1 2"\n', "t, line 1: 1000000000.0 is not a coordinate"),
    ("# nothing\n", "t: no node in the trace"),
])
def test_bad_traces_name_the_line(text, expect):
    with pytest.raises(TraceError) as e:
        parse(text, where="t")
    assert str(e.value).startswith(expect), str(e.value)


WALK, _ = read_scenario_dict("patent-walk")


def _traced(path, first_node=0, count=1) -> dict:
    d = copy.deepcopy(WALK)
    d["mobility"] = {"model": "ns2_trace", "file": str(path), "first_node": first_node}
    d["mobile_hosts"]["count"] = count
    return d


def test_scenario_reads_the_trace_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "walk.ns_movements").write_text(TRACE)
    import tomli_w

    d = _traced("walk.ns_movements", count=2)
    (tmp_path / "s.toml").write_bytes(tomli_w.dumps(d).encode())
    s = load_scenario(tmp_path / "s.toml")
    assert s.mobility.file == str(tmp_path / "walk.ns_movements") and s.mobility.nodes() == [0, 1]


@pytest.mark.parametrize("change,expect", [
    ({"first_node": 1, "count": 2}, "mobility.first_node: host mh2 would follow node 2 of"),
    ({"path": "missing.txt"}, "mobility: file: cannot read"),
    ({"path": "binary.tr"}, "mobility: file: cannot read"),
    ({"path": "."}, "mobility: file: cannot read"),
])
def test_bad_trace_mobility_is_a_one_line_error(tmp_path, change, expect):
    f = tmp_path / "walk.tr"
    f.write_text(TRACE)
    (tmp_path / "binary.tr").write_bytes(b"\xff\xfe\x00$node_(0)")
    d = _traced(tmp_path / change.get("path", "walk.tr"), change.get("first_node", 0), change.get("count", 1))
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


@pytest.mark.ns3
def test_the_patent_walk_as_a_trace_is_the_same_run(ns3_ready, tmp_path):
    from imm_ns3.adapter import run_scenario

    (tmp_path / "walk.tr").write_text("$node_(0) set X_ 0.0\n$node_(0) set Y_ 0.0\n"
                                      '$ns_ at 2.0 "$node_(0) setdest 400.0 0.0 10.0"\n')
    runs = []
    for d in (copy.deepcopy(WALK), _traced(tmp_path / "walk.tr")):
        d["simulation"]["duration_s"] = 13.0  # through the inter-domain handoff at about 11 s
        runs.append(run_scenario(validate_dict(d), out_dir=tmp_path / f"r{len(runs)}"))
    walk, traced = runs
    cols = ["t_s", "kind", "old_bs", "new_bs"]
    assert len(walk.handoffs) == 1
    assert walk.handoffs[cols].equals(traced.handoffs[cols])
    assert walk.summary["flows"] == traced.summary["flows"]
