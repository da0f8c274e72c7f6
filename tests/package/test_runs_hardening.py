"""Runs and processes: a run directory is never replaced by a different run; Ctrl-C is 130
(with ns-3: tests/sim/test_runs_hardening_sim.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from imm_ns3 import cli
from imm_ns3.scenario import load_scenario


def _fake_run(d: Path, scenario, seed: int) -> None:
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps({"seed": seed}))
    (d / "scenario.toml").write_text(tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True)))


def test_default_run_directory_names_the_overrides():
    s = load_scenario("patent-walk")
    assert cli.default_run_dir(s, 1, ()) == Path("runs/patent-walk-seed1")
    a = cli.default_run_dir(s, 1, ("mobility.speed_mps=20",))
    b = cli.default_run_dir(s, 1, ("mobility.speed_mps=5",))
    assert a != b and a.name.startswith("patent-walk-seed1-") and len(a.name) == len("patent-walk-seed1-") + 8


def test_a_run_directory_is_rewritten_only_by_the_same_run(tmp_path):
    s = load_scenario("patent-walk")
    d = tmp_path / "r"
    assert cli.replaces_another_run(d, s, 1) is None  # nothing there
    _fake_run(d, s, 1)
    assert cli.replaces_another_run(d, s, 1) is None  # the same run again
    assert "holds another run" in cli.replaces_another_run(d, s, 2)
    other = load_scenario("patent-walk", ["mobility.speed_mps=20"])
    assert "holds another run" in cli.replaces_another_run(d, other, 1)
    (tmp_path / "x").mkdir()
    assert "is not an imm-ns3 run directory" in cli.replaces_another_run(tmp_path / "x", s, 1)


def test_run_refuses_to_replace_a_different_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _fake_run(tmp_path / "out", load_scenario("patent-walk"), 1)
    r = CliRunner().invoke(cli.main, ["run", "--out", "out", "--set", "mobility.speed_mps=20"])
    assert r.exit_code == 2 and "holds another run" in r.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == {"seed": 1}


def test_ctrl_c_during_a_run_exits_130(tmp_path, monkeypatch):
    import imm_ns3.adapter as adapter

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(adapter, "run_scenario", interrupted)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli.main, ["run", "-q"])
    assert r.exit_code == 130 and "interrupted" in r.output
    assert not (tmp_path / "runs" / "patent-walk-seed1").exists()


def test_list_and_show_the_built_in_scenarios():
    r = CliRunner().invoke(cli.main, ["list"])
    assert r.exit_code == 0
    assert r.output.startswith("patent-walk ") and "\nredundancy " in r.output
    shown = CliRunner().invoke(cli.main, ["show", "redundancy"])
    from imm_ns3.scenario import builtin_path

    assert shown.exit_code == 0 and shown.output == builtin_path("redundancy").read_text()
    bad = CliRunner().invoke(cli.main, ["show", "nope"])
    assert bad.exit_code == 2 and "built-in: patent-walk, redundancy, crowd" in bad.output


# ---- nothing of the user's is deleted; a real signal stops a real run ----------------------
def test_a_rerun_in_place_never_deletes_the_users_files(tmp_path, monkeypatch):
    from imm_ns3.adapter import run_scenario

    monkeypatch.chdir(tmp_path)
    s = load_scenario("patent-walk")
    _fake_run(tmp_path / "out", s, 1)
    (tmp_path / "out" / "notes.txt").write_text("mine")
    (tmp_path / "out" / "plots").mkdir()
    r = CliRunner().invoke(cli.main, ["run", "--out", "out", "-q"])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert "files no run wrote (notes.txt, plots)" in r.output
    with pytest.raises(FileExistsError, match="notes.txt"):  # the library refuses too, before ns-3
        run_scenario(s, out_dir=tmp_path / "out")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine" and (tmp_path / "out" / "plots").is_dir()


@pytest.mark.parametrize("out", ["/proc/x", "FILE/x", "FILE"])
def test_run_out_that_cannot_be_a_directory_is_one_line(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("x")
    r = CliRunner().invoke(cli.main, ["run", "--out", out, "-q"])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and r.output.startswith("error: --out"), r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    import subprocess
    import sys

    from imm_ns3.results import remove_stale_staging

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    (tmp_path / f".r.{p.pid}.partial").mkdir()
    (tmp_path / f".other.{p.pid}.partial").mkdir()
    (tmp_path / f".r.{os.getppid()}.partial").mkdir()  # a live process's: not ours to remove
    (tmp_path / ".r.notapid.partial").mkdir()
    assert remove_stale_staging(tmp_path, "r") == [tmp_path / f".r.{p.pid}.partial"]
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(
        [f".other.{p.pid}.partial", f".r.{os.getppid()}.partial", ".r.notapid.partial"])
