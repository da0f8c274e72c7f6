"""Sweeps without a simulator: expansion and cache keys, bad sweep files, interrupted and failed
runs, load(), Dask's errors, packing (the sweeps that run ns-3: tests/sim/test_sweep_runs.py)."""

from __future__ import annotations

import json
import os

from pathlib import Path

import pandas as pd
import pytest

from imm_ns3 import sweep as sw
from imm_ns3.sweep import executors
from imm_ns3.analysis import load
from imm_ns3.sweep import SweepError, load_sweep, run_sweep

from sweeputil import BASE, write_sweep


def test_expansion_cases_grid_seeds_and_stable_keys(tmp_path):
    f = write_sweep(tmp_path, BASE.format(seeds=2) + """
[cases.hard]
"mmp.handoff" = "hard"
[cases.semisoft]
"mmp.handoff" = "semisoft"
[grid]
"mobility.speed_mps" = [5.0, 10.0, 20.0]
[grid.probe]
rate_pps = [50.0, 100.0]
""")
    s = load_sweep(f)
    runs = s.expand()
    assert len(runs) == 2 * 3 * 2 * 2
    assert runs[0].case == "hard" and runs[0].params == {
        "mmp.handoff": "hard", "mobility.speed_mps": 5.0, "probe.rate_pps": 50.0}
    assert runs[0].overrides["simulation.duration_s"] == 3.0
    keys = [r.key for r in runs]
    assert len(set(keys)) == len(keys)  # every (parameters, seed) has its own key
    assert keys == [r.key for r in load_sweep(f).expand()]  # and keeps it


def test_key_follows_the_complete_scenario_seed_and_code(tmp_path, monkeypatch):
    a = load_sweep(write_sweep(tmp_path, BASE.format(seeds=1))).expand()[0]
    # Spelling out a default does not change the run, so it does not change the key.
    b = load_sweep(write_sweep(tmp_path, BASE.format(seeds=1) + '"wifi.channel" = 1\n', "b.toml")).expand()[0]
    assert a.key == b.key
    c = load_sweep(write_sweep(tmp_path, BASE.format(seeds=[2]), "c.toml")).expand()[0]
    assert c.key != a.key
    monkeypatch.setattr(sw.store, "_CODE_VERSION", "0.1.0+otherhash")
    assert load_sweep(write_sweep(tmp_path, BASE.format(seeds=1), "d.toml")).expand()[0].key != a.key


@pytest.mark.parametrize("extra,expect", [
    ('[grid]\n"mobility.speedy" = [1.0]\n', "grid.mobility.speedy: 'mobility.speedy' is not a scenario field"),
    ('[grid]\n"mobility.speed_mps" = []\n', "grid.mobility.speed_mps: empty list; give at least one value"),
    ('[grid]\n"mobility.speed_mps" = 3.0\n', "grid.mobility.speed_mps: a list of values, got 3.0"),
    ('[cases.x]\n"wifi.bogus" = 1\n', "cases.x.wifi.bogus: 'wifi.bogus' is not a scenario field"),
    ('[grid]\n"mobility.speed_mps" = [10.0, -1.0]\n',
     "run mobility.speed_mps=-1.0: mobility.speed_mps: Input should be greater than 0"),
    ('gird = 1\n', "gird: unknown field; allowed: name, description, scenario, seeds"),
    ('[figures.f]\ndraw = "e1:draw"\ncheck = "no-colon"\n',
     "figures.f.check: 'module:function' (the module beside the sweep file), got 'no-colon'"),
    ('[figures.f]\ndraw = "e1:draw"\ncheck = 3\n', "figures.f.check: 'module:function'"),
    ('[grid]\n"simulation.warmup_s" = [5.0]\n',
     "run simulation.warmup_s=5.0: simulation.warmup_s: must be shorter than simulation.duration_s"
     " (3.0 s), got 5.0"),
])
def test_bad_sweep_files_get_one_line_naming_the_field(tmp_path, extra, expect):
    text = BASE.format(seeds=1)
    if extra.startswith("gird"):
        text = extra + text
    else:
        text += extra
    with pytest.raises(SweepError) as ei:
        load_sweep(write_sweep(tmp_path, text))
    assert any(p.startswith(expect) for p in ei.value.problems), ei.value.problems
    assert all("\n" not in p for p in ei.value.problems)


@pytest.mark.parametrize("seeds,expect", [("0", "seeds: at least 1 seed"), ("[1, 1]", "seeds: seeds repeat"),
                                          ('"five"', "seeds: a number of seeds")])
def test_bad_seeds(tmp_path, seeds, expect):
    with pytest.raises(SweepError) as ei:
        load_sweep(write_sweep(tmp_path, BASE.format(seeds=seeds)))
    assert ei.value.problems[0].startswith(expect)


def test_unknown_scenario_and_missing_file(tmp_path):
    with pytest.raises(SweepError, match="scenario: no file"):
        load_sweep(write_sweep(tmp_path, BASE.format(seeds=1).replace('"patent-walk"', '"nowhere.toml"')))
    with pytest.raises(SweepError, match="sweep: no file"):
        load_sweep(tmp_path / "absent.toml")


def _dead_pid() -> int:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_interrupted_runs_are_cleaned_and_never_counted_and_nothing_else_is_touched(tmp_path):
    import os

    out = tmp_path / "out"
    dead, alive = _dead_pid(), os.getppid()
    (out / "runs" / f".abc.{dead}.partial").mkdir(parents=True)  # killed while writing
    (out / "runs" / f".abd.{dead}.old").mkdir()
    (out / "runs" / f".abe.{alive}.partial").mkdir()  # another sweep's run, still writing
    (out / f".packed.{dead}.partial").mkdir()  # a pack killed while writing
    (out / "runs" / "mynotes").mkdir()  # not a run: someone else's folder
    (out / "runs" / "mynotes" / "important.txt").write_text("keep me")
    (out / "runs" / "cafe").mkdir()
    (out / "runs" / "cafe" / "summary.json").write_text("{}")
    sw.prepare(out)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [f".abe.{alive}.partial", "cafe",
                                                                "mynotes"]
    assert (out / "runs" / "mynotes" / "important.txt").read_text() == "keep me"
    assert not (out / f".packed.{dead}.partial").exists()
    assert sw.completed(out) == {"cafe"}


def test_a_run_reported_done_but_not_on_disk_is_a_failure_not_a_success(tmp_path, monkeypatch):
    # The data-loss bug this guards: workers in their own working directories wrote a relative
    # --out there, and the parent counted every run as done. Now the parent checks the disk.
    s = load_sweep(write_sweep(tmp_path, BASE.format(seeds=2)))
    seen = []

    def lying_workers(tasks, n, finished, run_hook=None):
        for task in tasks:
            seen.append(task.out)
            finished(task, sw.RunOutcome("ok", task.spec.key, 0.0))

    monkeypatch.setattr(executors, "_run_local", lying_workers)
    monkeypatch.chdir(tmp_path)
    r = run_sweep(s, "rel/out", workers=1, progress=False)
    assert all(o.is_absolute() and o == tmp_path / "rel" / "out" for o in seen)
    assert r.ran == 0 and len(r.failed) == 2
    assert all("not stored in" in e for e in r.failed.values())
    assert len(list((tmp_path / "rel" / "out" / "failed").glob("*.json"))) == 2


def test_a_run_hook_that_raises_fails_the_run_and_records_it(tmp_path):
    spec = load_sweep(write_sweep(tmp_path, BASE.format(seeds=[2]))).expand()[0]
    outcome = executors.run_one(spec, tmp_path / "out", worker="w", run_hook="sweep_faults:raise_seed_2")
    assert not outcome.ok and outcome.error == "RuntimeError: injected fault for seed 2"
    rec = json.loads((tmp_path / "out" / "failed" / f"{spec.key}.json").read_text())
    assert rec["seed"] == 2 and rec["worker"] == "w" and "injected fault" in rec["traceback"]


def test_load_fails_loudly_on_listed_runs_that_are_missing(tmp_path):
    from imm_ns3.analysis import IncompleteSweepError

    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    a, b = "aaaa" * 4, "bbbb" * 4  # keys are 16 hexadecimal digits (sweep.json is checked)
    (out / "sweep.json").write_text(json.dumps({"runs": [{"key": a}, {"key": b}]}))
    (out / "failed").mkdir()
    (out / "failed" / f"{b}.json").write_text(json.dumps({"key": b, "error": "x"}))
    with pytest.raises(IncompleteSweepError, match=r"1 of the 2 runs listed in sweep.json are not"
                                                   rf" stored .* e.g. {a}"):
        load(out)
    with pytest.warns(UserWarning, match="not stored"):
        assert len(load(out, missing="warn").failed) == 1
    res = load(out, missing="ignore")
    assert res.runs.empty and len(res.failed) == 1
    with pytest.raises(ValueError, match="missing: 'raise', 'warn' or 'ignore'"):
        load(out, missing="nope")


def test_dask_worker_directories_of_dead_processes_are_removed(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "imm-dask-worker-999999999-abc"
    alive = tmp_path / f"imm-dask-worker-{os.getppid()}-def"
    dead.mkdir()
    alive.mkdir()
    work = executors._dask_workdir()
    assert not dead.exists() and alive.exists() and Path(work).exists()
    assert Path(work).name.startswith(f"imm-dask-worker-{os.getpid()}-")


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    s = load_sweep(write_sweep(tmp_path, BASE.format(seeds=1)))
    with pytest.raises(SweepError, match=r"--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler"):
        run_sweep(s, tmp_path / "out", scheduler="tcp://127.0.0.1:9", progress=False)


def test_pack_refuses_what_is_not_a_sweep_directory(tmp_path):
    from click.testing import CliRunner

    from imm_ns3.cli import main

    def pack(*args):
        return CliRunner().invoke(main, ["pack", *args])

    (tmp_path / "other").mkdir()
    r = pack(str(tmp_path / "other"))
    assert r.exit_code == 2 and "not a sweep directory (no sweep.json" in r.output
    r = pack(str(tmp_path / "missing"))
    assert r.exit_code == 2 and "does not exist" in r.output
    # `imm-sim run` wrote runs/NAME in the working directory: that is not a sweep
    work = tmp_path / "work"
    _fake_run(work, "patent-walk-seed1", manifest=False)
    r = pack(str(work))
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert (work / "runs" / "patent-walk-seed1" / "summary.json").exists()
    for text, msg in [("{", "not JSON"), ('{"runs": "abc"}', "runs: a non-empty list"),
                      ('{"runs": []}', "runs: a non-empty list"), ("[1]", "runs: a non-empty list"),
                      ('{"runs": [{"key": "../x"}]}', "runs[0].key: 16 hexadecimal digits"),
                      ("[" * 100_000, "not JSON")]:
        (work / "sweep.json").write_text(text)
        for args in ((str(work),), ("--prune", str(work))):
            r = pack(*args)
            assert r.exit_code == 2 and msg in r.output and r.output.count("\n") == 1, (text, r.output)
            assert (work / "runs" / "patent-walk-seed1" / "summary.json").exists()
            assert not (work / "packed").exists()


KEYS = {n: f"{i:016x}" for i, n in enumerate(("old1", "old2", "cur1", "cur2", "stray"), 1)}


def _fake_run(out: Path, key: str, manifest: bool = True) -> None:
    d = out / "runs" / key
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps({"key": key}))
    if manifest:
        (d / "manifest.json").write_text(json.dumps({"key": key}))
    pd.DataFrame({"name": ["probe"], "sent_packets": [1]}).to_parquet(d / "flows.parquet")


def _listing(out: Path, *names: str) -> None:
    (out / "sweep.json").write_text(json.dumps({"runs": [{"key": KEYS[n]} for n in names]}))


def test_pack_packs_and_prunes_only_what_sweep_json_lists(tmp_path):
    from imm_ns3.sweep.store import pack, packed_keys

    out = tmp_path / "s"
    for k in ("old1", "old2", "cur1"):
        _fake_run(out, KEYS[k])
    _listing(out, "old1", "old2", "cur1")
    assert pack(out)[:2] == (3, 3)  # without prune everything listed is kept
    for k in ("cur2", "stray"):
        _fake_run(out, KEYS[k])
    (out / "runs" / "mynotes").mkdir()  # not a run: left alone, prune or not
    (out / "runs" / "mynotes" / "summary.json").write_text("{}")
    _listing(out, "cur1", "cur2")
    now, total, _ = pack(out, prune=True)
    assert (now, total) == (1, 2) and sorted(packed_keys(out)) == [KEYS["cur1"], KEYS["cur2"]]
    assert sorted(pd.read_parquet(out / "packed" / "flows.parquet").key) == [KEYS["cur1"],
                                                                            KEYS["cur2"]]
    # the stray sweep run went (prune); the user's folder stayed
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["mynotes"]


def test_pack_refuses_a_damaged_pack_in_one_line_and_changes_nothing(tmp_path):
    from click.testing import CliRunner

    from imm_ns3.cli import main

    out = tmp_path / "s"
    _fake_run(out, KEYS["cur1"])
    _listing(out, "cur1", "cur2")
    (out / "packed").mkdir()
    (out / "packed" / "runs.parquet").write_bytes(b"PAR1 truncated")
    r = CliRunner().invoke(main, ["pack", str(out)])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "nothing was packed" in r.output
    assert (out / "runs" / KEYS["cur1"] / "summary.json").exists()
    assert (out / "packed" / "runs.parquet").read_bytes() == b"PAR1 truncated"


@pytest.mark.parametrize("text, msg", [
    ("base = 5", "base: a table, got 5"),
    ('grid = "x"', "grid: a table, got 'x'"),
    ("tiny = 5", "tiny: a table, got 5"),
    ('cases = 5', "cases: a table, got 5"),
    ('name = "a\\u0000b"', "name: printable text"),
    ('name = "../../x"', "name: letters, digits"),
    ("seeds = 1000000000", "seeds: at most 10000 seeds"),
    ('[grid]\n"mobility.speed_mps" = [10.0, 10.0]', "grid.mobility.speed_mps: 10.0 is given twice"),
    ('[base]\n"mobility.speed_mps" = 1.0\n[base.mobility]\nspeed_mps = 2.0',
     "base.mobility.speed_mps: given twice"),
    ('[grid]\n"mobility.speed_mps" = [%s]\n"simulation.seed" = [%s]'
     % (", ".join(f"{x}.0" for x in range(1, 201)), ", ".join(map(str, range(1, 201)))),
     "grid: 4e+04 combinations"),
    ('seeds = 10000\n[grid]\n"mobility.speed_mps" = [%s]' % ", ".join(f"{x}.0" for x in range(1, 21)),
     "grid: 2e+05 runs"),
    ('[cases."a b"]\n"mobility.speed_mps" = 1.0', "cases.'a b': a case name"),
])
def test_hostile_sweep_files_are_one_line_and_write_nothing(tmp_path, text, msg):
    from click.testing import CliRunner

    from imm_ns3.cli import main

    f = tmp_path / "h.toml"
    f.write_text(f'scenario = "patent-walk"\n{text}\n')
    for extra in ((), ("--tiny",)):
        r = CliRunner().invoke(main, ["sweep", str(f), "--out", str(tmp_path / "o"), *extra])
        assert r.exit_code == 2 and r.output.count("\n") == 1 and msg in r.output, r.output
        assert not (tmp_path / "o").exists()


def test_a_worker_killed_by_a_signal_is_told_by_the_signal_s_name():
    import signal

    from imm_ns3.sweep.executors import _signal_name

    assert _signal_name(signal.SIGKILL) == "SIGKILL"
    assert _signal_name(signal.SIGABRT).startswith("SIGABRT: an ns-3 assertion or fatal error")
    assert _signal_name(200) == "signal 200"
