"""Parameter sweeps: a base scenario, overrides on a grid, several seeds; cached, resumable runs.

A sweep file (TOML, documented in docs/sweeps.md)::

    name = "e4-mip-vs-miplr"
    scenario = "patent-walk"        # a built-in scenario, or a path relative to this file
    seeds = 5                       # seeds 1..5, or a list such as [1, 2, 7]

    [base]                          # overrides of every run
    "simulation.duration_s" = 40.0

    [cases.miplr]                   # optional named variants, each a table of overrides
    "macro_mobility.tcp" = "miplr"
    [cases.mip]
    "macro_mobility.tcp" = "mip"
    # scenario = "other.toml"      # a case may also run another scenario file

    [grid]                          # dotted path -> list of values: every combination runs
    "subnets.home.access_link.delay_ms" = [5.0, 20.0, 50.0]

    [tiny]                          # what --tiny changes (CI: a few short runs)
    seeds = 1
    base = { "simulation.duration_s" = 30.0 }
    grid = { "subnets.home.access_link.delay_ms" = [20.0] }

Every run has a key: a hash of the complete scenario it runs (every default filled in), its
seed and the code version (package version and a hash of the package's source). A run whose
key is already in the output directory is not run again; extending the grid runs only what is
missing. Runs are written atomically (results.write_run), so an interrupted sweep (Ctrl-C,
kill -9) leaves no half-written run; rerunning resumes. A run that raises or whose worker dies
is recorded under ``failed/`` with its error, and the sweep goes on; the next invocation retries
it (unless ``skip_failed``).

Output directory::

    OUT/sweep.json          the sweep as last run: definition, code version, and its runs
    OUT/runs/<key>/         one run directory (docs/results.md) plus manifest.json
    OUT/failed/<key>.json   a run that failed: parameters, error, traceback
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .scenario import (
    BUILTIN_SCENARIOS,
    ScenarioError,
    apply_overrides,
    check_override_path,
    read_scenario_dict,
    validate_dict,
)

SWEEP_KEYS = ("name", "description", "scenario", "seeds", "base", "cases", "grid", "tiny")
TINY_KEYS = ("seeds", "base", "grid", "cases")
# Test-only fault injection, read by workers: "raise:<seed>" makes runs with that seed raise,
# "kill:<seed>" makes the worker kill itself (SIGKILL) one simulated second into such a run.
FAULT_ENV = "IMM_NS3_SWEEP_FAULT"


class SweepError(ValueError):
    """A sweep that cannot start. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep."""

    key: str
    case: str | None
    params: dict[str, Any]  # the overrides that vary (case and grid), by dotted path
    seed: int
    overrides: dict[str, Any]  # everything applied to the scenario: base, case, grid
    scenario: str  # built-in name or absolute path


@dataclass
class Sweep:
    name: str
    scenario: str
    seeds: list[int]
    base: dict[str, Any] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    description: str = ""
    file: str | None = None

    case_scenarios: dict[str, str] = field(default_factory=dict)  # case -> its own scenario
    _runs: list[RunSpec] | None = field(default=None, repr=False, compare=False)

    def expand(self) -> list[RunSpec]:
        """Every run, in a stable order: case, grid combination, seed. Each combination is
        validated (once: the list is kept); every invalid one is a line of the SweepError."""
        if self._runs is None:
            self._runs = self._expand()
        return self._runs

    def _expand(self) -> list[RunSpec]:
        paths = list(self.grid)
        out, problems = [], []
        for case, case_over in (self.cases or {None: {}}).items():
            source = self.case_scenarios.get(case, self.scenario) if case else self.scenario
            data, _ = read_scenario_dict(source)
            for values in itertools.product(*(self.grid[p] for p in paths)):
                varied = {**case_over, **dict(zip(paths, values))}
                overrides = {**self.base, **varied}
                try:
                    scenario = validate_dict(apply_overrides(data, overrides))
                except ScenarioError as e:
                    label = ", ".join(f"{k}={v!r}" for k, v in dict(zip(paths, values)).items())
                    head = f"case {case}: " if case else ""
                    problems += [f"run {head}{label or '(base)'}: {m}" for m in e.problems]
                    continue
                out += [RunSpec(run_key(scenario, seed), case, varied, seed, overrides, source)
                        for seed in self.seeds]
        if problems:
            raise SweepError(_unique(problems))
        return out


# ---- loading and validating a sweep file --------------------------------------------------
def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, path + "."))
        else:
            out[path] = v
    return out


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _source(src: str, sweep_file: Path) -> str:
    """A built-in scenario name, or a scenario file resolved against the sweep file's folder."""
    if src in BUILTIN_SCENARIOS:
        return src
    p = Path(src)
    return str(p if p.is_absolute() else (sweep_file.parent / p).resolve())


def _seeds(v: Any, where: str) -> list[int]:
    if isinstance(v, bool):
        raise SweepError([f"{where}: a number of seeds (1..N) or a list of seeds, got {v!r}"])
    if isinstance(v, int):
        if v < 1:
            raise SweepError([f"{where}: at least 1 seed, got {v}"])
        return list(range(1, v + 1))
    if isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool)
                                         and 1 <= x < 2**31 for x in v):
        if len(set(v)) != len(v):
            raise SweepError([f"{where}: seeds repeat: {v}"])
        return list(v)
    raise SweepError([f"{where}: a number of seeds (1..N) or a non-empty list of seeds"
                      f" (integers from 1), got {v!r}"])


def load_sweep(path: str | Path, tiny: bool = False) -> Sweep:
    """Read and check a sweep file: every problem is one line naming the field; nothing runs."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise SweepError([f"sweep: no file {str(path)!r}"]) from None
    except tomllib.TOMLDecodeError as e:
        raise SweepError([f"sweep: {path} is not valid TOML: {e}"]) from None
    problems = [f"{k}: unknown field; allowed: {', '.join(SWEEP_KEYS)}" for k in raw
                if k not in SWEEP_KEYS]
    if "scenario" not in raw:
        problems.append("scenario: missing; give a built-in scenario"
                        f" ({', '.join(BUILTIN_SCENARIOS)}) or a file")
    if problems:
        raise SweepError(problems)
    if tiny:
        t = raw.get("tiny") or {}
        bad = [k for k in t if k not in TINY_KEYS]
        if bad:
            raise SweepError([f"tiny.{k}: unknown field; allowed: {', '.join(TINY_KEYS)}" for k in bad])
        for k in ("seeds", "cases"):
            if k in t:
                raw[k] = t[k]
        if "base" in t:
            raw["base"] = {**_flatten(raw.get("base", {})), **_flatten(t["base"])}
        if "grid" in t:
            raw["grid"] = {**_flatten(raw.get("grid", {})), **_flatten(t["grid"])}

    scen = raw["scenario"]
    if not isinstance(scen, str):
        raise SweepError([f"scenario: a built-in name or a file path, got {scen!r}"])
    scen = _source(scen, path)
    try:
        data, _ = read_scenario_dict(scen)
    except ScenarioError as e:
        raise SweepError([f"scenario: {m}" for m in e.problems]) from None

    seeds = _seeds(raw.get("seeds", 1), "seeds")
    base = _flatten(raw.get("base", {}))
    cases_raw = raw.get("cases", {})
    if not isinstance(cases_raw, dict):
        raise SweepError(["cases: a table of named tables of overrides"])
    cases, case_scen, case_data = {}, {}, {}
    for name, over in cases_raw.items():
        if not isinstance(over, dict) or not over:
            problems.append(f"cases.{name}: a non-empty table of overrides")
            continue
        over = dict(over)
        if "scenario" in over:  # a case may run another scenario (e.g. another topology)
            src = over.pop("scenario")
            if not isinstance(src, str):
                problems.append(f"cases.{name}.scenario: a built-in name or a file path")
                continue
            src = _source(src, path)
            try:
                case_data[name], _ = read_scenario_dict(src)
            except ScenarioError as e:
                problems += [f"cases.{name}.scenario: {m}" for m in e.problems]
                continue
            case_scen[name] = src
        cases[name] = _flatten(over)
    grid = _flatten(raw.get("grid", {}))
    for k, v in grid.items():
        if not isinstance(v, list):
            problems.append(f"grid.{k}: a list of values, got {v!r}")
        elif not v:
            problems.append(f"grid.{k}: empty list; give at least one value")
    # Every override path must exist in the scenario it applies to (base and grid: in every
    # case's scenario).
    every = [case_data.get(c, data) for c in cases] or [data]
    first_values = {k: v[0] for k, v in grid.items() if isinstance(v, list) and v}
    checks = ([("base", base, every), ("grid", first_values, every)]
              + [(f"cases.{c}", o, [case_data.get(c, data)]) for c, o in cases.items()])
    for where, over, datas in checks:
        for k in over:
            for d in datas:
                try:
                    check_override_path(d, k)
                except ScenarioError as e:
                    problems += [m.replace("--set ", f"{where}.", 1) for m in e.problems]
                    break
    if problems:
        raise SweepError(_unique(problems))
    sweep = Sweep(name=str(raw.get("name", path.stem)), scenario=scen, seeds=seeds, base=base,
                  cases=cases, grid=grid, description=str(raw.get("description", "")),
                  file=str(path), case_scenarios=case_scen)
    sweep.expand()  # every combination must be a valid scenario before anything runs
    return sweep


# ---- keys and versions ----------------------------------------------------------------------
_CODE_VERSION: str | None = None


# Modules that orchestrate runs or present results but cannot change what a run computes.
_NOT_IN_CODE_VERSION = {"sweep.py", "cli.py", "figures.py", "docgen.py", "analysis.py",
                        "__main__.py"}


def code_version() -> str:
    """Package version plus a hash of every source file that determines what a run computes
    (.py, .h, .toml of the package, except the orchestration modules above)."""
    global _CODE_VERSION
    if _CODE_VERSION is None:
        root = Path(str(resources.files("imm_ns3")))
        h = hashlib.sha256()
        for f in sorted(root.rglob("*")):
            if (f.suffix in (".py", ".h", ".toml") and "__pycache__" not in f.parts
                    and str(f.relative_to(root)) not in _NOT_IN_CODE_VERSION):
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
        _CODE_VERSION = f"{__version__}+{h.hexdigest()[:12]}"
    return _CODE_VERSION


def run_key(scenario: Any, seed: int) -> str:
    canon = json.dumps({"scenario": scenario.model_dump(mode="json"), "seed": int(seed),
                        "code": code_version()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def git_commit() -> str | None:
    """The commit of the checkout the package runs from, if it is one (with '+dirty')."""
    root = Path(str(resources.files("imm_ns3"))).parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "imm_ns3"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


# ---- running one run (in a worker) --------------------------------------------------------
def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _fault_hook(spec: RunSpec) -> Callable | None:
    fault = os.environ.get(FAULT_ENV, "")
    kind, _, seed = fault.partition(":")
    if not fault or not seed.isdigit() or int(seed) != spec.seed:
        return None
    if kind == "raise":
        raise RuntimeError(f"injected fault for seed {spec.seed} ({FAULT_ENV})")
    if kind == "kill":
        def hook(ctx):
            ctx.bridge.call_at(1.0, lambda: os.kill(os.getpid(), signal.SIGKILL), name="injected kill")
        return hook
    return None


def run_one(spec: RunSpec, out: Path, worker: str = "") -> tuple[str, str, float, str]:
    """Run ``spec`` into ``out/runs/<key>``; never raises: returns (status, key, wall, error)."""
    from .adapter import run_scenario
    from .scenario import load_scenario

    out = Path(out)
    t0 = time.perf_counter()
    failed = out / "failed" / f"{spec.key}.json"
    try:
        hook = _fault_hook(spec)
        scenario = load_scenario(spec.scenario, overrides=spec.overrides)
        manifest = {
            "key": spec.key, "case": spec.case, "params": spec.params, "seed": spec.seed,
            "scenario": spec.scenario, "overrides": spec.overrides,
            "imm_ns3_version": __version__, "code_version": code_version(),
            "git_commit": git_commit(), "worker": worker, "python": sys.version.split()[0],
        }
        from .adapter.runtime import ns3_version

        manifest["ns3_version"] = ns3_version()
        run_scenario(scenario, seed=spec.seed, out_dir=out / "runs" / spec.key, setup=hook,
                     manifest=manifest)
        failed.unlink(missing_ok=True)
        return "ok", spec.key, time.perf_counter() - t0, ""
    except KeyboardInterrupt:
        raise  # an interrupted run is not a failed one: it runs again on resume
    except BaseException as e:  # noqa: BLE001 - recorded, the sweep goes on
        err = f"{type(e).__name__}: {e}"
        record_failure(out, spec, err, traceback.format_exc(), worker)
        return "failed", spec.key, time.perf_counter() - t0, err


def record_failure(out: Path, spec: RunSpec, error: str, tb: str, worker: str) -> None:
    d = Path(out) / "failed"
    d.mkdir(parents=True, exist_ok=True)
    _atomic_write(d / f"{spec.key}.json", json.dumps(
        {**asdict(spec), "error": error, "traceback": tb, "worker": worker,
         "time": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2, default=str) + "\n")


def _worker_main(conn, name: str) -> None:
    """A long-lived worker: a clean working directory, ns-3 imported once, runs one after
    another. After a failed run it exits (the parent starts a fresh one): a run that raised
    inside the simulator may have left it in a bad state."""
    # Ctrl-C is the parent's business: it stops handing out runs and ends the workers; a run
    # cut short leaves only a staging directory, removed when the sweep resumes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    work = tempfile.mkdtemp(prefix="imm-worker-")
    os.chdir(work)  # the ns-3 wheel globs the working directory for libraries
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            spec, out = task
            status = run_one(RunSpec(**spec), Path(out), worker=name)
            try:
                conn.send(status)
            except (BrokenPipeError, OSError):
                return
            if status[0] != "ok":
                return
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the sweep --------------------------------------------------------------------------
@dataclass
class SweepReport:
    total: int
    cached: int
    ran: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # key -> error
    interrupted: bool = False
    out: Path | None = None

    def line(self) -> str:
        s = (f"{self.total} runs: {self.cached} already done, {self.ran} run now,"
             f" {len(self.failed)} failed")
        if self.failed:
            s += f" (see {self.out}/failed/)"
        if self.interrupted:
            s += "; interrupted: run the same command again to resume"
        return s


def prepare(out: Path) -> None:
    """Create the layout and remove what an interrupted sweep left half-written."""
    (out / "runs").mkdir(parents=True, exist_ok=True)
    for p in (out / "runs").iterdir():
        if p.name.startswith(".") and (p.name.endswith(".partial") or p.name.endswith(".old")):
            shutil.rmtree(p, ignore_errors=True)
    for p in (out / "runs").iterdir():
        if not p.name.startswith(".") and p.is_dir() and not (p / "summary.json").exists():
            shutil.rmtree(p, ignore_errors=True)  # not ours to keep: never a complete run


def completed(out: Path) -> set[str]:
    runs = out / "runs"
    if not runs.exists():
        return set()
    return {p.name for p in runs.iterdir() if not p.name.startswith(".")
            and (p / "summary.json").exists()}


def run_sweep(sweep: Sweep, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
              progress: bool = True, skip_failed: bool = False) -> SweepReport:
    """Run what is missing of ``sweep`` into ``out``."""
    return run_sweeps([(sweep, out)], workers=workers, scheduler=scheduler, progress=progress,
                      skip_failed=skip_failed)[0]


def run_sweeps(items: list[tuple[Sweep, str | Path]], *, workers: int = 1,
               scheduler: str | None = None, progress: bool = True,
               skip_failed: bool = False) -> list[SweepReport]:
    """Several sweeps, each into its own directory, through one pool of workers (each worker
    imports ns-3 once for all of them)."""
    reports, tasks = [], []
    for sweep, out in items:
        # Resolved here, once: workers (local and Dask) run in their own temporary working
        # directories, where a relative path would land and be removed with them.
        out = Path(out).expanduser().resolve()
        specs = sweep.expand()
        prepare(out)
        done = completed(out)
        failed_before = ({p.stem for p in (out / "failed").glob("*.json")}
                         if (out / "failed").exists() else set())
        todo = [s for s in specs if s.key not in done and not (skip_failed and s.key in failed_before)]
        _atomic_write(out / "sweep.json", json.dumps({
            "name": sweep.name, "file": sweep.file, "description": sweep.description,
            "scenario": sweep.scenario, "seeds": sweep.seeds, "base": sweep.base,
            "cases": sweep.cases, "case_scenarios": sweep.case_scenarios, "grid": sweep.grid,
            "code_version": code_version(),
            "runs": [{"key": s.key, "case": s.case, "params": s.params, "seed": s.seed} for s in specs],
        }, indent=2, default=str) + "\n")
        reports.append(SweepReport(total=len(specs), cached=len(specs) - len(todo), out=out))
        tasks += [(spec, out, len(reports) - 1) for spec in todo]
    if not tasks:
        return reports
    bar = None
    if progress:
        from tqdm import tqdm

        name = items[0][0].name if len(items) == 1 else f"{len(items)} sweeps"
        bar = tqdm(total=len(tasks), unit="run", desc=name, file=sys.stderr, dynamic_ncols=True)

    def finished(status: tuple, index: int) -> None:
        kind, key, _wall, err = status
        report = reports[index]
        if kind == "ok" and not (report.out / "runs" / key / "summary.json").exists():
            # A worker said done but the run is not where the sweep reads it: never count it.
            spec = next(t[0] for t in tasks if t[0].key == key and t[2] == index)
            kind, err = "failed", (f"the worker reported the run done but it is not stored in"
                                   f" {report.out / 'runs' / key}")
            record_failure(report.out, spec, err, "", "parent check")
        if kind == "ok":
            report.ran += 1
        else:
            report.failed[key] = err
        if bar is not None:
            bar.update(1)
            nfail = sum(len(r.failed) for r in reports)
            bar.set_postfix_str(f"{nfail} failed" if nfail else "")

    try:
        if scheduler:
            _run_dask(tasks, scheduler, finished)
        else:
            _run_local(tasks, max(1, workers), finished)
    except KeyboardInterrupt:
        for r in reports:
            r.interrupted = True
    finally:
        if bar is not None:
            bar.close()
    if not scheduler:
        for r in reports:
            prepare(r.out)  # what a killed worker left half-written (its run is recorded as failed)
    return reports


def _run_local(tasks: list[tuple[RunSpec, Path, int]], n: int, finished: Callable) -> None:
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")
    pending = list(reversed(tasks))
    workers: list[dict] = []
    serial = itertools.count(1)

    def start() -> dict:
        parent, child = ctx.Pipe()
        name = f"worker-{next(serial)}"
        p = ctx.Process(target=_worker_main, args=(child, name), name=name, daemon=True)
        p.start()
        child.close()
        return {"proc": p, "conn": parent, "task": None, "name": name}

    try:
        workers = [start() for _ in range(min(n, len(tasks)))]
        while pending or any(w["task"] for w in workers):
            for w in workers:
                if w["task"] is None and pending:
                    w["task"] = pending.pop()
                    spec, out, _ = w["task"]
                    w["conn"].send((asdict(spec), str(out)))
            busy = [w for w in workers if w["task"] is not None]
            ready = wait([w["conn"] for w in busy] + [w["proc"].sentinel for w in busy], timeout=1.0)
            for w in busy:
                status = None
                if w["conn"] in ready:
                    try:
                        status = w["conn"].recv()
                    except (EOFError, OSError):
                        status = None
                spec, out, index = w["task"]
                if status is None and (w["conn"] in ready or w["proc"].sentinel in ready):
                    w["proc"].join(timeout=5)
                    code = w["proc"].exitcode
                    why = (f"killed by signal {-code}" if code is not None and code < 0
                           else f"exit code {code}")
                    err = f"worker died during the run ({why})"
                    record_failure(out, spec, err, "", w["name"])
                    status = ("failed", spec.key, 0.0, err)
                if status is None:
                    continue
                finished(status, index)
                w["task"] = None
                if status[0] != "ok" or not w["proc"].is_alive():
                    w["conn"].close()
                    w["proc"].join(timeout=5)
                    workers.remove(w)
                    if pending:
                        workers.append(start())
    finally:
        for w in workers:
            try:
                w["conn"].send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.time() + 5
        for w in workers:
            w["proc"].join(timeout=max(0.1, deadline - time.time()))
            if w["proc"].is_alive():
                w["proc"].kill()


# ---- Dask ------------------------------------------------------------------------------------
_DASK_READY = False


def _dask_task(task: dict, out: str) -> tuple:
    """Runs inside a Dask worker process, which imports ns-3 once and keeps it (run the workers
    with one thread each: ``dask worker ADDRESS --nthreads 1 --nworkers N``)."""
    global _DASK_READY
    if not _DASK_READY:
        os.chdir(tempfile.mkdtemp(prefix="imm-dask-worker-"))
        _DASK_READY = True
    import socket

    return run_one(RunSpec(**task), Path(out), worker=f"dask:{socket.gethostname()}:{os.getpid()}")


def _run_dask(tasks: list[tuple[RunSpec, Path, int]], address: str, finished: Callable) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SweepError(["--scheduler: Dask is not installed; pip install 'imm-ns3[cluster]'"]) from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise SweepError([f"--scheduler {address}: cannot reach a Dask scheduler there ({e})"]) from None
    try:
        futs = [client.submit(_dask_task, asdict(spec), str(Path(out).resolve()),
                              key=f"imm-run-{spec.key}", pure=False) for spec, out, _ in tasks]
        by_key = {f.key: t for f, t in zip(futs, tasks)}
        for fut in as_completed(futs):
            spec, out, index = by_key[fut.key]
            try:
                finished(fut.result(), index)
            except Exception as e:  # noqa: BLE001 - the worker process died, or Dask gave up
                err = f"Dask task failed: {type(e).__name__}: {e}"
                record_failure(out, spec, err, traceback.format_exc(), "dask")
                finished(("failed", spec.key, 0.0, err), index)
    finally:
        client.close()


__all__ = ["Sweep", "RunSpec", "SweepError", "SweepReport", "load_sweep", "run_sweep", "run_sweeps",
           "run_key",
           "code_version", "completed"]
