"""The paper artifact from a user's side: every figure drawn from a clean clone (the committed,
packed results, no ``runs/`` anywhere) with the committed model check, and what ``imm-sim reproduce``
does without a simulator: the comparison, the sample, its refusals (the stored runs recomputed
on ns-3: tests/sim/test_artifact_reproduce.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from imm_ns3.cli import main
from imm_ns3.analysis.figures import discover
from imm_ns3.sweep.reproduce import (
    choose,
    compare,
    compare_json,
    same_value,
    stored_runs,
    sweep_dirs,
)

from conftest import ROOT

RESULTS = ROOT / "results"


def _git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs git and a checkout")
def test_every_figure_is_drawn_from_a_clean_clone(tmp_path):
    clone = tmp_path / "c"
    r = _git("clone", "--quiet", str(ROOT), str(clone))
    assert r.returncode == 0, r.stderr
    assert not list(clone.glob("results/*/runs")), "runs/ committed: git keeps only packs"
    out = tmp_path / "figs"
    # The clone's own code and experiments, as a user who cloned it runs them.
    env = {**os.environ, "PYTHONPATH": str(clone)}
    env.pop("IMM_NS3_EXPERIMENTS", None)
    r = subprocess.run([sys.executable, "-m", "imm_ns3", "figures", "--out", str(out)],
                       cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    figs = discover(clone / "experiments")
    lines = r.stdout.splitlines()
    assert len(lines) == len(figs), lines
    for f in figs.values():
        assert (out / f"{f.file}.png").stat().st_size > 10_000, f.id
        assert (out / f"{f.file}.pdf").read_bytes()[:4] == b"%PDF", f.id
    diff = _git("diff", "--stat", "--exit-code", "--", "results/model-check.csv", cwd=clone)
    assert diff.returncode == 0, ("results/model-check.csv drawn from the committed results"
                                  f" differs from the committed one: {diff.stdout}")


def test_committed_results_name_no_path_of_the_machine_that_made_them():
    for d in sweep_dirs(RESULTS):
        texts = [(d / "sweep.json").read_text()] if (d / "sweep.json").exists() else []
        for run in stored_runs(d):
            texts.append(json.dumps(run.manifest))
            assert run.summary.get("scenario_file") in (None, "") or not \
                str(run.summary["scenario_file"]).startswith("/"), d
        for t in texts:
            assert '"/' not in t, f"{d}: an absolute path is stored"


def test_each_committed_sweep_is_made_by_one_code_version_named_in_the_readme():
    """A sweep's runs come from one code version (no experiment mixes runs of two codes); sweeps
    made later may carry a later version, and results/README.md names every version in use.
    That the stored numbers are what the code of this checkout computes is the reproduction
    check's job (test_every_committed_sweep_reproduces reruns a run of every sweep)."""
    readme = (RESULTS / "README.md").read_text()
    for d in sweep_dirs(RESULTS):
        versions = {run.manifest.get("code_version") for run in stored_runs(d)}
        assert len(versions) == 1 and None not in versions, (d.name, versions)
        version = versions.pop()
        assert version in readme, f"{d.name}: code version {version} not named in results/README.md"


# ---- the comparison, on stored data (no simulator) ---------------------------------------------
def test_values_compare_to_1e9_and_strings_exactly():
    assert same_value(1.0, 1.0 + 5e-10) and not same_value(1.0, 1.0 + 5e-9)
    assert same_value(1e6, 1e6 * (1 + 5e-10)) and not same_value(1e6, 1e6 + 0.01)
    assert same_value(None, float("nan")) and not same_value(None, 0.0)
    assert same_value("a", "a") and not same_value("a", "A")
    assert not same_value(True, 1) and same_value(False, False)
    assert same_value(float("inf"), float("inf")) and not same_value(float("inf"), 1e308)
    d = compare_json({"a": [1, {"b": 2.0}]}, {"a": [1, {"b": 2.5}]}, "summary")
    assert d.where == "summary.a[1].b" and (d.stored, d.now) == (2.0, 2.5)


@pytest.fixture(scope="module")
def e1_run():
    runs = stored_runs(RESULTS / "e1-handoff-latency")
    return next(r for r in runs if len(r.tables()["handoffs"]) and len(r.tables()["flows"]))


def test_a_stored_run_equals_itself_and_any_change_is_named(e1_run):
    tables = {k: v.copy() for k, v in e1_run.tables().items()}
    summary = json.loads(json.dumps(e1_run.summary))
    assert compare(e1_run, tables, summary) == (None, [])
    t = {k: v.copy() for k, v in tables.items()}
    col = t["handoffs"].columns.get_loc("l2_s")
    t["handoffs"].iloc[0, col] = t["handoffs"].iloc[0, col] + 1e-6
    d, _ = compare(e1_run, t, summary)
    assert d is not None and d.where == "handoffs.l2_s row 0"
    t = {k: v.copy() for k, v in tables.items()}
    t["handoffs"].iloc[0, col] = t["handoffs"].iloc[0, col] * (1 + 1e-12)
    assert compare(e1_run, t, summary)[0] is None
    t = {k: v.copy() for k, v in tables.items()}
    t["flows"] = t["flows"].iloc[:-1]
    assert compare(e1_run, t, summary)[0].where == "flows: rows"
    t = {k: v.copy() for k, v in tables.items()}
    t["handoffs"]["kind"] = t["handoffs"]["kind"].str.upper()
    assert compare(e1_run, t, summary)[0].where == "handoffs.kind row 0"
    # a column a later layer added is a note, not a difference; a stored one missing is one
    t = {k: v.copy() for k, v in tables.items()}
    t["flows"]["new_column"] = 1.0
    d, notes = compare(e1_run, t, summary)
    assert d is None and notes == ["flows: columns not stored: new_column"]
    t["flows"] = t["flows"].drop(columns="received_packets")
    assert compare(e1_run, t, summary)[0].where == "flows.received_packets"
    # the summary's results count; its costs do not
    s2 = {**summary, "wall_time_s": 1e9, "speedup": 0.0, "python_events": 1}
    assert compare(e1_run, tables, s2)[0] is None
    s2 = {**summary, "fingerprint": "0" * 16}
    assert compare(e1_run, tables, s2)[0].where == "summary.fingerprint"


def test_the_sample_is_seeded_and_shortest_is_by_stored_wall_time():
    runs = stored_runs(RESULTS / "e6-redundancy")
    a = choose(runs, 5, sample_seed=3)
    assert [r.key for r in a] == [r.key for r in choose(runs, 5, sample_seed=3)]
    assert [r.key for r in a] != [r.key for r in choose(runs, 5, sample_seed=4)]
    short = choose(runs, 3, shortest=True)
    assert max(r.wall_s for r in short) <= min(r.wall_s for r in runs if r not in short)
    assert len(choose(runs, None)) == len(runs) == 960


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_reproduce_refuses_bad_input_in_one_line(tmp_path):
    for args, msg in [((), "give --per-sweep N or --all"),
                      (("--all", "--per-sweep", "2"), "give --per-sweep N or --all"),
                      (("--all", str(tmp_path)), "neither a sweep directory"),
                      (("--all", "--results", str(tmp_path / "none")), "no such directory"),
                      (("--all", "--results", str(tmp_path)), "holds no sweep")]:
        r = _invoke("reproduce", *args)
        assert r.exit_code == 2 and r.output.count("\n") == 1 and msg in r.output, (args, r.output)
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "mine.txt").write_text("x")
    r = _invoke("reproduce", "--all", "--keep", str(tmp_path / "keep"), str(RESULTS / "e1-handoff-latency"))
    assert r.exit_code == 2 and "--keep" in r.output
    assert (tmp_path / "keep" / "mine.txt").read_text() == "x"


def test_a_sweep_with_nothing_to_rerun_is_not_reproduced():
    from imm_ns3.sweep.reproduce import SweepCheck

    empty = SweepCheck(Path("results/x"), "x", 0)
    assert not empty.ok and "NOTHING TO RERUN" in empty.line()


def test_reproduce_refuses_a_damaged_sweep_directory_in_one_line(tmp_path):
    d = tmp_path / "e1"
    shutil.copytree(RESULTS / "e1-handoff-latency", d)
    (d / "sweep.json").write_text('{"runs": [{"key": "../x"}]}')
    r = _invoke("reproduce", str(d), "--all")
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "runs[0].key" in r.output, r.output
    shutil.copy(RESULTS / "e1-handoff-latency" / "sweep.json", d / "sweep.json")
    (d / "packed" / "flows.parquet").write_bytes(b"PAR1")
    r = _invoke("reproduce", str(d), "--all")
    assert r.exit_code == 2 and "flows.parquet: not a readable Parquet table" in r.output, r.output
