"""Sweeps with simulations (worker processes import ns-3 themselves): caching, resume after a
killed worker, reused workers, extending a grid, packing, Dask."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from imm_ns3 import sweep as sw
from imm_ns3.analysis import load
from imm_ns3.sweep import load_sweep, run_sweep

from sweeputil import BASE, write_sweep


def test_sweep_caches_records_a_killed_worker_resumes_and_reuses_workers(tmp_path, monkeypatch):
    import tempfile

    f = write_sweep(tmp_path, BASE.format(seeds=3))
    s = load_sweep(f)
    out = tmp_path / "a"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # where the workers' directories go
    # The worker running seed 3 kills itself one simulated second into the run (after seeds 1
    # and 2 ran in the same worker process).
    r1 = run_sweep(s, out, workers=1, progress=False, run_hook="sweep_faults:kill_seed_3")
    assert (r1.ran, r1.cached) == (2, 0) and len(r1.failed) == 1
    (key3,) = r1.failed
    assert "worker died during the run (killed by SIGKILL)" in r1.failed[key3]
    rec = json.loads((out / "failed" / f"{key3}.json").read_text())
    assert rec["seed"] == 3 and rec["params"] == {}
    assert not any(p.name.startswith(".") for p in (out / "runs").iterdir())  # no half-written run
    assert not list(tmp.glob("imm-worker-*"))  # the killed worker's directory is gone too
    assert len(load(out).failed) == 1

    r2 = run_sweep(s, out, workers=1, progress=False)  # resume: only the failed run
    assert (r2.ran, r2.cached, r2.failed) == (1, 2, {})
    assert not (out / "failed" / f"{key3}.json").exists()
    r3 = run_sweep(s, out, workers=1, progress=False)  # nothing left to do
    assert (r3.ran, r3.cached) == (0, 3)

    res = load(out)
    assert sorted(res.runs.seed) == [1, 2, 3] and res.failed.empty
    assert set(res.flows.key) == set(res.runs.key)
    probe = res.flows[res.flows.name == "probe"]
    assert len(probe) == 3 and (probe.received_packets >= 45).all()  # 50 pkt/s for 1 s
    manifest = json.loads((out / "runs" / res.runs.key[0] / "manifest.json").read_text())
    for k in ("imm_ns3_version", "ns3_version", "code_version", "git_commit", "params", "seed",
              "wall_time_s"):
        assert k in manifest

    # Seed 2 ran second in a reused worker; a fresh worker gives the same run, bit for bit.
    fresh = tmp_path / "b"
    run_sweep(load_sweep(write_sweep(tmp_path, BASE.format(seeds=[2]), "fresh.toml")), fresh, workers=1,
              progress=False)
    a = res.runs.set_index("seed").loc[2]
    b = load(fresh).runs.iloc[0]
    assert a.key == b.key and a.fingerprint == b.fingerprint
    for name in ("handoffs", "flows", "signalling", "events"):
        assert (out / "runs" / a.key / f"{name}.parquet").read_bytes() == \
            (fresh / "runs" / b.key / f"{name}.parquet").read_bytes()


def test_a_worker_ns3_ends_with_an_assertion_is_recorded_with_ns3s_message(tmp_path, capfd):
    out = tmp_path / "a"
    r = run_sweep(load_sweep(write_sweep(tmp_path, BASE.format(seeds=1))), out, workers=1,
                  progress=False, run_hook="sweep_faults:assert_seed_1")
    (key,) = r.failed
    assert r.failed[key].startswith("worker died during the run (killed by SIGABRT: an ns-3"
                                    " assertion or fatal error): NS_ASSERT failed, cond=")
    assert "Negative delay" in r.failed[key]
    rec = json.loads((out / "failed" / f"{key}.json").read_text())
    assert "imm-ns3: ns-3 ended run" in rec["traceback"]  # the worker's last stderr lines
    err = capfd.readouterr().err  # and the sweep passed them on to its own stderr
    assert "NS_ASSERT failed" in err and "imm-ns3: ns-3 ended run" in err
    assert "Thread 1" not in err


def test_extending_the_grid_runs_only_the_new_points_from_a_relative_directory(tmp_path, monkeypatch):
    # As a user types it: the CLI, run from the project directory, with a relative --out (the
    # local workers run in temporary working directories of their own).
    from click.testing import CliRunner

    from imm_ns3.cli import main

    monkeypatch.chdir(tmp_path)
    text = BASE.format(seeds=1) + '[grid]\n"probe.rate_pps" = [{rates}]\n'
    write_sweep(tmp_path, text.format(rates="50.0"), "g.toml")
    first = CliRunner().invoke(main, ["sweep", "g.toml", "-j", "1", "-q", "--out", "runs/g"])
    assert first.exit_code == 0, first.output
    assert "1 runs: 0 already done, 1 run now, 0 failed" in first.output
    out = tmp_path / "runs" / "g"
    assert len(sw.completed(out)) == 1
    write_sweep(tmp_path, text.format(rates="50.0, 100.0"), "g.toml")
    second = run_sweep(load_sweep("g.toml"), "runs/g", workers=2, progress=False)
    assert (second.ran, second.cached) == (1, 1)
    assert len(sw.completed(out)) == 2
    res = load("runs/g")
    assert sorted(res.runs["probe.rate_pps"]) == [50.0, 100.0]
    sent = res.flows[res.flows.name == "probe"].set_index("probe.rate_pps").sent_packets
    assert sent[100.0] == 2 * sent[50.0]

    # Packed: one file per table, the run directories gone, the same frames read back, and the
    # sweep counts the packed runs as done.
    packed = CliRunner().invoke(main, ["pack", "runs/g"])
    assert packed.exit_code == 0 and "packed 2 runs now, 2 in" in packed.output, packed.output
    assert not [p for p in (out / "runs").iterdir() if not p.name.startswith(".")]
    again = load("runs/g")
    for name in ("runs", "handoffs", "flows", "signalling", "timeline", "events"):
        a, b = getattr(res, name), getattr(again, name)
        a, b = (x.sort_values(list(x.columns[:3])).reset_index(drop=True) for x in (a, b))
        pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False)
    assert again.scenario(again.runs.key[0]).probe.rate_pps in (50.0, 100.0)
    third = run_sweep(load_sweep("g.toml"), "runs/g", workers=1, progress=False)
    assert (third.ran, third.cached) == (0, 2)


def test_dask_runs_the_same_sweep(tmp_path):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    try:
        out = tmp_path / "out"
        r = run_sweep(load_sweep(write_sweep(tmp_path, BASE.format(seeds=1))), out,
                      scheduler=cluster.scheduler_address, progress=False)
        assert (r.ran, r.failed) == (1, {})
        run = load(out).runs.iloc[0]
        assert run.seed == 1 and run.sim_time_s == 3.0
        assert json.loads((out / "runs" / run.key / "manifest.json").read_text())["worker"].startswith("dask:")
    finally:
        cluster.close()
