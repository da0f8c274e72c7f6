"""ns-2 movement traces on ns-3: the patent walk written as a trace gives the very same run."""

from __future__ import annotations

import copy

from imm_ns3.scenario import validate_dict

from scenario_dicts import WALK, traced_walk


def test_the_patent_walk_as_a_trace_is_the_same_run(ns3_ready, tmp_path):
    from imm_ns3.adapter import run_scenario

    (tmp_path / "walk.tr").write_text("$node_(0) set X_ 0.0\n$node_(0) set Y_ 0.0\n"
                                      '$ns_ at 2.0 "$node_(0) setdest 400.0 0.0 10.0"\n')
    runs = []
    for d in (copy.deepcopy(WALK), traced_walk(tmp_path / "walk.tr")):
        d["simulation"]["duration_s"] = 13.0  # through the inter-domain handoff at about 11 s
        runs.append(run_scenario(validate_dict(d), out_dir=tmp_path / f"r{len(runs)}"))
    walk, traced = runs
    cols = ["t_s", "kind", "old_bs", "new_bs"]
    assert len(walk.handoffs) == 1
    assert walk.handoffs[cols].equals(traced.handoffs[cols])
    assert walk.summary["flows"] == traced.summary["flows"]
