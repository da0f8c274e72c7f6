"""The reproduction check (``imm-sim reproduce``): rerun stored runs of a sweep with the code of
this checkout and compare what they compute with what is stored, as artifact evaluation does.

The golden fingerprints guard a few scenarios; this guards the stored results themselves: a
change that alters what any committed run computes makes the rerun differ, and the check says
where first (table, column, row, stored vs now, both code versions), until that experiment is
run again. A change that leaves every number alone passes, whatever its code version.

What is compared, per rerun:

- every table of the results contract (:data:`imm_ns3.results.TABLES`): the same rows in the
  same order, numbers equal to 1e-9 (relative to the larger magnitude, absolute below 1),
  strings, booleans and missing values exactly. A column the rerun has and the stored run
  lacks (a later layer added it) is reported as a note, not a difference; a stored column the
  rerun lacks is a difference;
- the summary's computed fields (handoff counts, care-of addresses, flows, signalling, event
  count and fingerprint, failures, attacks, radio counts, ...), except wall-clock costs
  (``wall_time_s``, ``speedup``, ``python_wall_s``, ``python_events``) and versions.

Each run is rerun from its stored ``scenario.toml`` (every default filled in) and seed: no
path of the machine that made it is needed.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..results import is_missing, plain_value

REL_TOL = 1e-9
# Summary fields that are costs or provenance, not results.
SUMMARY_SKIP = frozenset({"wall_time_s", "speedup", "python_wall_s", "python_events",
                          "imm_ns3_version", "ns3_version", "scenario_file"})


@dataclass
class StoredRun:
    """One stored run of a sweep directory (packed or a run directory)."""

    key: str
    seed: int
    case: str | None
    params: dict[str, Any]
    summary: dict[str, Any]
    manifest: dict[str, Any]
    scenario_text: str
    tables: Callable[[], dict[str, Any]]  # name -> DataFrame, read when compared

    @property
    def wall_s(self) -> float:
        w = self.summary.get("wall_time_s")
        return float(w) if isinstance(w, (int, float)) else math.inf

    def label(self) -> str:
        parts = [f"case {self.case}"] if self.case else []
        parts += [f"{k}={v}" for k, v in self.params.items()]
        parts.append(f"seed {self.seed}")
        return f"run {self.key} ({', '.join(parts)})"


@dataclass
class Difference:
    where: str  # "handoffs.l2_s row 3", "summary.fingerprint", "handoffs: rows"
    stored: Any
    now: Any

    def line(self) -> str:
        return f"{self.where}: stored {_show(self.stored)}, now {_show(self.now)}"


@dataclass
class RunCheck:
    run: StoredRun
    now_code: str = ""
    now_commit: str | None = None
    difference: Difference | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the rerun failed

    @property
    def ok(self) -> bool:
        return self.difference is None and self.error is None


@dataclass
class SweepCheck:
    directory: Path
    name: str
    total: int  # stored runs
    checks: list[RunCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def line(self) -> str:
        if not self.checks:
            return f"{self.name}: NOTHING TO RERUN: {self.directory} stores no run its sweep.json lists"
        versions = sorted({str(c.run.manifest.get("code_version")) for c in self.checks})
        commits = sorted({str(c.run.manifest.get("git_commit") or "?")[:12] for c in self.checks})
        bad = next((c for c in self.checks if not c.ok), None)
        if bad is None:
            which = ""
            if len(self.checks) <= 3:  # name them; a long list says nothing a count does not
                which = ": " + "; ".join(c.run.label().split("(", 1)[1].rstrip(")")
                                         for c in self.checks)
            now = self.checks[0].now_code if self.checks else "?"
            return (f"{self.name}: reproduced ({len(self.checks)} of {self.total} runs{which};"
                    f" stored code {'/'.join(versions)} at {'/'.join(commits)}, now {now})")
        stored_v = (f"stored code {bad.run.manifest.get('code_version')} at"
                    f" {str(bad.run.manifest.get('git_commit') or '?')[:12]}")
        now_v = f"now {bad.now_code} at {(bad.now_commit or '?')[:12]}"
        what = (f"the rerun failed: {bad.error}" if bad.error is not None
                else bad.difference.line())
        return f"{self.name}: DIFFERS, {bad.run.label()}: {what} ({stored_v}, {now_v})"


# ---- reading what is stored -------------------------------------------------------------------
def is_stored(d: Path) -> bool:
    """A sweep directory (with a ``sweep.json``) or a single run directory (``summary.json``)."""
    return (Path(d) / "sweep.json").is_file() or (Path(d) / "summary.json").is_file()


def sweep_dirs(results: Path) -> list[Path]:
    """The sweep directories and run directories directly under ``results``, sorted."""
    return sorted(p for p in Path(results).iterdir() if p.is_dir() and is_stored(p))


def _run_dir(rd: Path, case: str | None = None, params: dict | None = None) -> StoredRun:
    from ..analysis.reader import _SUMMARY_NEED, read_json, read_table
    from ..results import TABLES, table

    def tables() -> dict[str, Any]:
        return {name: read_table(rd / f"{name}.parquet", name)
                if (rd / f"{name}.parquet").exists() else table(name, []) for name in TABLES}

    manifest = read_json(rd / "manifest.json") if (rd / "manifest.json").exists() else {}
    summary = read_json(rd / "summary.json", _SUMMARY_NEED)
    return StoredRun(str(manifest.get("key", rd.name)), int(summary["seed"]), case,
                     params or {}, summary, manifest, (rd / "scenario.toml").read_text(), tables)


def stored_runs(d: Path) -> list[StoredRun]:
    """The runs of sweep directory ``d`` that ``sweep.json`` lists and that are stored (packed
    or under ``runs/``), in the order of ``sweep.json``; or the run of run directory ``d``."""
    from ..analysis.reader import _read_packed
    from ..results import TABLES, table

    d = Path(d)
    if (d / "summary.json").is_file():
        return [_run_dir(d)]
    from ..analysis.reader import ResultsError
    from .store import SweepDirError, read_listing

    try:
        read_listing(d)  # checked: a JSON object whose runs are 16-hex-digit keys
    except SweepDirError as e:
        raise ResultsError(str(e)) from None
    listed = json.loads((d / "sweep.json").read_bytes())["runs"]
    packed = _read_packed(d)
    out: list[StoredRun] = []
    for entry in listed:
        key = entry["key"]
        if key in packed:
            p = packed[key]

            def tables(p=p) -> dict[str, Any]:
                got = {}
                for name in TABLES:
                    full = p.tables.get(name)
                    if full is None:  # a pack writes no file for a table no run has rows of
                        got[name] = table(name, [])
                        continue
                    rows = full[full.key == p.key].drop(columns="key").reset_index(drop=True)
                    got[name] = rows.dropna(axis=1, how="all") if len(rows) else rows
                return got

            out.append(StoredRun(key, int(p.summary["seed"]), entry.get("case"),
                                 entry.get("params", {}), p.summary, p.manifest, p.scenario_text,
                                 tables))
            continue
        rd = d / "runs" / key
        if (rd / "summary.json").is_file():
            out.append(_run_dir(rd, entry.get("case"), entry.get("params", {})))
    return out


def choose(runs: list[StoredRun], n: int | None, *, sample_seed: int = 0,
           shortest: bool = False) -> list[StoredRun]:
    """``n`` runs (all with None): a sample seeded by ``sample_seed`` (the same runs every
    time), or the ``n`` whose stored wall time was shortest (a cheap check, e.g. for CI)."""
    if n is None or n >= len(runs):
        return list(runs)
    if shortest:
        return sorted(runs, key=lambda r: (r.wall_s, r.key))[:n]
    picked = set(random.Random(sample_seed).sample(range(len(runs)), n))
    return [r for i, r in enumerate(runs) if i in picked]


# ---- comparing ----------------------------------------------------------------------------------
def _show(v: Any) -> str:
    if isinstance(v, float):
        return repr(round(v, 12))
    s = repr(v)
    return s if len(s) <= 120 else s[:117] + "..."




def same_value(a: Any, b: Any) -> bool:
    """Numbers to :data:`REL_TOL` (relative to the larger magnitude, absolute below 1), missing
    values equal to each other only, everything else exactly."""
    if is_missing(a) or is_missing(b):
        return is_missing(a) and is_missing(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num):
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(float(a) - float(b)) <= REL_TOL * max(1.0, abs(float(a)), abs(float(b)))
    return a == b




def compare_tables(stored: dict[str, Any], now: dict[str, Any]) -> tuple[Difference | None,
                                                                          list[str]]:
    """The first difference between two runs' tables, and notes (columns only the rerun has)."""
    notes: list[str] = []
    for name in sorted(stored):
        s, n = stored[name], now.get(name)
        if n is None:
            return Difference(f"{name}", "a table", "no such table"), notes
        if len(s) != len(n):
            return Difference(f"{name}: rows", len(s), len(n)), notes
        if not len(s):
            continue
        for col in s.columns:
            if col not in n.columns:
                if s[col].isna().all():
                    continue  # an all-missing column is the same as none (packs drop them)
                return Difference(f"{name}.{col}", "a column", "no such column"), notes
            sv, nv = s[col].tolist(), n[col].tolist()
            for i, (a, b) in enumerate(zip(sv, nv)):
                a, b = plain_value(a), plain_value(b)
                if not same_value(a, b):
                    return Difference(f"{name}.{col} row {i}", a, b), notes
        extra = [c for c in n.columns if c not in s.columns and not n[c].isna().all()]
        if extra:
            notes.append(f"{name}: columns not stored: {', '.join(extra)}")
    for name in sorted(set(now) - set(stored)):
        if len(now[name]):
            notes.append(f"{name}: table not stored ({len(now[name])} rows now)")
    return None, notes


def compare_json(a: Any, b: Any, path: str) -> Difference | None:
    """The first difference between two JSON values (dicts by key, lists by position)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b:
                return Difference(f"{path}.{k}", a[k], "missing")
            d = compare_json(a[k], b[k], f"{path}.{k}")
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return Difference(f"{path}: length", len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = compare_json(x, y, f"{path}[{i}]")
            if d is not None:
                return d
        return None
    return None if same_value(a, b) else Difference(path, a, b)


def compare_summaries(stored: dict[str, Any], now: dict[str, Any]) -> tuple[Difference | None,
                                                                              list[str]]:
    keep = [k for k in stored if k not in SUMMARY_SKIP]
    d = compare_json({k: stored[k] for k in keep}, {k: now.get(k) for k in keep}, "summary")
    added = [k for k in now if k not in stored and k not in SUMMARY_SKIP]
    return d, ([f"summary: fields not stored: {', '.join(added)}"] if added else [])


def compare(run: StoredRun, now_tables: dict[str, Any], now_summary: dict[str, Any]
            ) -> tuple[Difference | None, list[str]]:
    d, notes = compare_tables(run.tables(), now_tables)
    if d is not None:
        return d, notes
    d, more = compare_summaries(run.summary, now_summary)
    return d, notes + more


# ---- rerunning ----------------------------------------------------------------------------------
def reproduce(directories: list[Path], per_sweep: int | None, *, sample_seed: int = 0,
              shortest: bool = False, workers: int = 1, keep: Path | None = None,
              progress: Callable[[str], None] | None = None) -> list[SweepCheck]:
    """Rerun the chosen runs of each sweep directory with this checkout's code and compare.

    ``workers`` > 1 runs them in that many spawned worker processes (each imports ns-3 once);
    1 runs them in this process. The reruns go to a temporary directory, removed afterwards,
    or under ``keep`` (one sweep directory each, ``KEEP/<sweep>/runs/<key>``)."""
    from ..results import read_run
    from .executors import RunOutcome, Task, _run_local, run_one
    from .spec import RunSpec
    from .store import code_version, git_commit

    sweeps: list[SweepCheck] = []
    chosen: list[tuple[SweepCheck, StoredRun]] = []
    for d in directories:
        d = Path(d)
        runs = stored_runs(d)  # sweep.json checked here first
        meta = json.loads((d / "sweep.json").read_bytes()) if (d / "sweep.json").is_file() else {}
        sc = SweepCheck(d, str(meta.get("name", d.name)), len(runs))
        sweeps.append(sc)
        chosen += [(sc, r) for r in choose(runs, per_sweep, sample_seed=sample_seed,
                                           shortest=shortest)]
    root = Path(keep) if keep is not None else Path(tempfile.mkdtemp(prefix="imm-reproduce-"))
    root = root.expanduser().resolve()
    now_code, now_commit = code_version(), git_commit()
    try:
        tasks: list[Task] = []
        for i, (sc, run) in enumerate(chosen):
            out = root / sc.directory.name
            (out / "scenarios").mkdir(parents=True, exist_ok=True)
            scen = out / "scenarios" / f"{run.key}.toml"
            scen.write_text(run.scenario_text)
            spec = RunSpec(run.key, run.case, run.params, run.seed, {}, str(scen),
                           f"stored scenario of {sc.name}/{run.key}")
            tasks.append(Task(spec, out, i))
        outcomes: dict[int, RunOutcome] = {}

        def finished(task: Task, outcome: RunOutcome) -> None:
            outcomes[task.report] = outcome
            sc, run = chosen[task.report]
            if progress is not None:
                progress(f"{sc.name}: {run.label()} rerun in {outcome.wall_s:.1f} s"
                         + ("" if outcome.ok else f" (failed: {outcome.error})"))

        if workers > 1 and len(tasks) > 1:
            _run_local(tasks, workers, finished)
        else:
            for task in tasks:
                t0 = time.perf_counter()
                outcome = run_one(task.spec, task.out, worker="reproduce")
                finished(task, RunOutcome(outcome.status, outcome.key,
                                          time.perf_counter() - t0, outcome.error))
        for i, (sc, run) in enumerate(chosen):
            check = RunCheck(run, now_code, now_commit)
            outcome = outcomes.get(i)
            rd = root / sc.directory.name / "runs" / run.key
            if outcome is None or not outcome.ok or not (rd / "summary.json").exists():
                check.error = outcome.error if outcome is not None else "not run (interrupted)"
            else:
                now = read_run(rd)
                check.difference, check.notes = compare(run, now.tables, now.summary)
            sc.checks.append(check)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return sweeps
