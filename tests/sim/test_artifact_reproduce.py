"""The reproduction check on ns-3 (``imm-sim reproduce``): every committed sweep's stored runs
recomputed by this checkout's code, and a stored number the code no longer computes is named."""

from __future__ import annotations

import json
import shutil

import pandas as pd
from click.testing import CliRunner

from imm_ns3.cli import main
from imm_ns3.sweep.reproduce import choose, stored_runs, sweep_dirs

from conftest import ROOT

RESULTS = ROOT / "results"


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


# ---- the check itself: what CI runs on every committed sweep -----------------------------------
def test_every_committed_sweep_reproduces(ns3_ready):
    from imm_ns3.sweep.reproduce import reproduce

    # in this test process, whose ns-3 is imported already: the suite's other worker has the
    # other core (two more processes would import ns-3 and compile their first run again)
    checks = reproduce(sweep_dirs(RESULTS), 1, shortest=True, workers=1)
    lines = [c.line() for c in checks]
    assert len(checks) == len(sweep_dirs(RESULTS)) >= 10
    assert all(c.ok for c in checks), "\n".join(lines)
    assert all(line.split(": ", 1)[1].startswith("reproduced") for line in lines)


def test_reproduce_fails_on_a_stored_number_the_code_no_longer_computes(ns3_ready, tmp_path):
    src = RESULTS / "e6-redundancy"
    d = tmp_path / "e6"
    shutil.copytree(src, d)
    run = choose(stored_runs(d), 1, shortest=True)[0]
    meta = pd.read_parquet(d / "packed" / "runs.parquet")
    i = meta.index[meta.key == run.key][0]
    summary = json.loads(meta.at[i, "summary"])
    summary["events"] += 1
    meta.at[i, "summary"] = json.dumps(summary)
    meta.to_parquet(d / "packed" / "runs.parquet", index=False)
    r = _invoke("reproduce", str(d), "--per-sweep", "1", "--shortest", "-q")
    assert r.exit_code == 1, r.output
    assert r.output.startswith(f"e6-redundancy: DIFFERS, run {run.key} (")
    assert f"summary.events: stored {summary['events']}, now {summary['events'] - 1}" in r.output
    assert f"stored code {run.manifest['code_version']}" in r.output
