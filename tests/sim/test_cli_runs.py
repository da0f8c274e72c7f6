"""imm-sim run on ns-3: results written and a summary printed."""

from __future__ import annotations

import json

from click.testing import CliRunner

from imm_ns3.cli import main


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_run_writes_results_and_prints_a_summary(ns3_ready, tmp_path):
    out = tmp_path / "run"
    r = _invoke("run", "--set", "simulation.duration_s=15", "--seed", "2", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "patent-walk  seed 2: 15 s simulated" in r.output
    assert "handoffs: intra_domain 0, inter_domain 1, inter_subnet 0" in r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 2 and summary["handoffs"]["inter_domain"] == 1
    # Another run into the same directory is refused, and the directory kept as it was.
    r = _invoke("run", "--set", "simulation.duration_s=5", "--seed", "2", "--out", str(out), "-q")
    assert r.exit_code == 2 and "holds another run" in r.output
    assert json.loads((out / "summary.json").read_text())["sim_time_s"] == 15.0
    # The same run again replaces it (a rerun), with nothing left beside it.
    r = _invoke("run", "--set", "simulation.duration_s=15", "--seed", "2", "--out", str(out), "-q")
    assert r.exit_code == 0 and r.output == ""
    assert json.loads((out / "summary.json").read_text())["sim_time_s"] == 15.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
