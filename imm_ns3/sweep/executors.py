"""Running a sweep's missing runs: one run in a worker (:func:`run_one`), a pool of local spawn
workers, or a Dask cluster; the parent's bookkeeping (:func:`run_sweeps`).

A *run hook* (``run_hook="module:function"``) lets a test reach into the workers without any
environment variable read by production code: each worker imports the function and calls it
with the run's :class:`~.spec.RunSpec` before the run; it may raise (the run fails) or return a
``setup(ctx)`` hook added to the run (e.g. one that kills the worker mid-run).
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .._version import __version__
from ..results import pid_alive
from .spec import RunSpec, Sweep, SweepError
from .store import code_version, completed, git_commit, prepare, record_failure, _atomic_write


@dataclass(frozen=True)
class RunOutcome:
    """What a worker reports of one run."""

    status: str  # "ok" or "failed"
    key: str
    wall_s: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Task:
    """One run to do: the run, the sweep directory it goes to, and which report it counts in."""

    spec: RunSpec
    out: Path
    report: int


def _resolve_hook(run_hook: str | None) -> Callable[[RunSpec], Any] | None:
    if not run_hook:
        return None
    module, _, name = run_hook.partition(":")
    return getattr(importlib.import_module(module), name)


# ---- one run (in a worker) --------------------------------------------------------------------
def run_one(spec: RunSpec, out: Path, worker: str = "", run_hook: str | None = None) -> RunOutcome:
    """Run ``spec`` into ``out/runs/<key>``; never raises: the outcome says what happened."""
    from ..adapter import run_scenario
    from ..adapter.runtime import ns3_version
    from ..scenario import load_scenario

    out = Path(out)
    t0 = time.perf_counter()
    failed = out / "failed" / f"{spec.key}.json"
    try:
        hook = _resolve_hook(run_hook)
        setup = hook(spec) if hook is not None else None
        scenario = load_scenario(spec.scenario, overrides=spec.overrides)
        manifest = {
            "key": spec.key, "case": spec.case, "params": spec.params, "seed": spec.seed,
            "scenario": spec.source or spec.scenario, "overrides": spec.overrides,
            "imm_ns3_version": __version__, "code_version": code_version(),
            "git_commit": git_commit(), "worker": worker, "python": sys.version.split()[0],
            "ns3_version": ns3_version(),
        }
        run_scenario(scenario, seed=spec.seed, out_dir=out / "runs" / spec.key, setup=setup,
                     manifest=manifest)
        failed.unlink(missing_ok=True)
        return RunOutcome("ok", spec.key, time.perf_counter() - t0)
    except KeyboardInterrupt:
        raise  # an interrupted run is not a failed one: it runs again on resume
    except BaseException as e:  # noqa: BLE001 - recorded, the sweep goes on
        err = f"{type(e).__name__}: {e}"
        record_failure(out, spec, err, traceback.format_exc(), worker)
        return RunOutcome("failed", spec.key, time.perf_counter() - t0, err)


_STDERR = "stderr.log"  # a local worker's stderr, in its working directory


def _signal_name(number: int) -> str:
    """How a worker's death by signal ``number`` is told in its failure record."""
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    if number == signal.SIGABRT:  # interrupt.h wrote the line saying so on the worker's stderr
        return f"{name}: an ns-3 assertion or fatal error"
    return name


def _worker_main(conn, name: str, run_hook: str | None, work: str) -> None:
    """A long-lived worker: a clean working directory (``work``, made and finally removed by
    the parent, so a killed worker leaves nothing behind), ns-3 imported once, runs one after
    another. After a failed run it exits (the parent starts a fresh one): a run that raised
    inside the simulator may have left it in a bad state."""
    # Ctrl-C is the parent's business: it stops handing out runs and ends the workers; a run
    # cut short leaves only a staging directory, removed when the sweep resumes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the worker and ns-3 write to stderr goes to a file the parent passes on to its own
    # stderr and reads when the worker dies (ns-3's message before an abort is lost otherwise).
    # A file, not a pipe: written at once, nothing left in a buffer when the process ends.
    fd = os.open(os.path.join(work, _STDERR), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
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
            outcome = run_one(RunSpec(**spec), Path(out), worker=name, run_hook=run_hook)
            try:
                conn.send(outcome)
            except (BrokenPipeError, OSError):
                return
            if not outcome.ok:
                return
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the sweep ---------------------------------------------------------------------------------
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


def run_sweep(sweep: Sweep, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
              progress: bool = True, skip_failed: bool = False,
              run_hook: str | None = None) -> SweepReport:
    """Run what is missing of ``sweep`` into ``out``."""
    return run_sweeps([(sweep, out)], workers=workers, scheduler=scheduler, progress=progress,
                      skip_failed=skip_failed, run_hook=run_hook)[0]


def run_sweeps(items: list[tuple[Sweep, str | Path]], *, workers: int = 1,
               scheduler: str | None = None, progress: bool = True,
               skip_failed: bool = False, run_hook: str | None = None) -> list[SweepReport]:
    """Several sweeps, each into its own directory, through one pool of workers (each worker
    imports ns-3 once for all of them)."""
    reports: list[SweepReport] = []
    tasks: list[Task] = []
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
            "name": sweep.name, "file": sweep.stored_file(), "description": sweep.description,
            "scenario": sweep.portable(sweep.scenario), "seeds": sweep.seeds, "base": sweep.base,
            "cases": sweep.cases,
            "case_scenarios": {c: sweep.portable(s) for c, s in sweep.case_scenarios.items()},
            "grid": sweep.grid,
            "figures": sweep.figures, "code_version": code_version(),
            "runs": [{"key": s.key, "case": s.case, "params": s.params, "seed": s.seed} for s in specs],
        }, indent=2, default=str) + "\n")
        reports.append(SweepReport(total=len(specs), cached=len(specs) - len(todo), out=out))
        tasks += [Task(spec, out, len(reports) - 1) for spec in todo]
    if not tasks:
        return reports
    bar = None
    if progress:
        from tqdm import tqdm

        name = items[0][0].name if len(items) == 1 else f"{len(items)} sweeps"
        bar = tqdm(total=len(tasks), unit="run", desc=name, file=sys.stderr, dynamic_ncols=True)

    def finished(task: Task, outcome: RunOutcome) -> None:
        report = reports[task.report]
        if outcome.ok and not (report.out / "runs" / outcome.key / "summary.json").exists():
            # A worker said done but the run is not where the sweep reads it: never count it.
            err = (f"the worker reported the run done but it is not stored in"
                   f" {report.out / 'runs' / outcome.key}")
            record_failure(report.out, task.spec, err, "", "parent check")
            outcome = RunOutcome("failed", outcome.key, outcome.wall_s, err)
        if outcome.ok:
            report.ran += 1
        else:
            report.failed[outcome.key] = outcome.error
        if bar is not None:
            bar.update(1)
            nfail = sum(len(r.failed) for r in reports)
            bar.set_postfix_str(f"{nfail} failed" if nfail else "")

    try:
        if scheduler:
            _run_dask(tasks, scheduler, finished, run_hook)
        else:
            _run_local(tasks, max(1, workers), finished, run_hook)
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


# ---- local workers -----------------------------------------------------------------------------
@dataclass
class _Worker:
    proc: Any  # multiprocessing.Process
    conn: Any  # the parent's end of its pipe
    name: str
    work: str  # its working directory, removed by the parent when the worker has ended
    task: Task | None = None
    err_read: int = 0  # how much of its stderr has been passed on
    err_tail: str = ""  # the last lines of it

    def forward_stderr(self) -> None:
        """Pass on to this process's stderr what the worker wrote to its own since last time."""
        try:
            with open(os.path.join(self.work, _STDERR), "rb") as f:
                f.seek(self.err_read)
                new = f.read()
        except OSError:
            return
        if new:
            self.err_read += len(new)
            text = new.decode(errors="replace")
            self.err_tail = "\n".join((self.err_tail + text).splitlines()[-30:])
            sys.stderr.write(text)
            sys.stderr.flush()

    def death_message(self) -> str:
        """ns-3's own line before an abort (NS_ASSERT, NS_FATAL_ERROR, abort), if it wrote one."""
        for line in reversed(self.err_tail.splitlines()):
            if line.startswith(("NS_ASSERT failed", "NS_FATAL", "msg=")) and "terminating" not in line:
                return line.strip()
        return ""

    def end(self) -> None:
        self.conn.close()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.forward_stderr()
        shutil.rmtree(self.work, ignore_errors=True)


def _run_local(tasks: list[Task], n: int, finished: Callable[[Task, RunOutcome], None],
               run_hook: str | None = None) -> None:
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")
    pending = list(reversed(tasks))
    workers: list[_Worker] = []
    serial = itertools.count(1)

    def start() -> _Worker:
        parent, child = ctx.Pipe()
        name = f"worker-{next(serial)}"
        work = tempfile.mkdtemp(prefix="imm-worker-")
        p = ctx.Process(target=_worker_main, args=(child, name, run_hook, work), name=name,
                        daemon=True)
        p.start()
        child.close()
        return _Worker(p, parent, name, work)

    try:
        workers = [start() for _ in range(min(n, len(tasks)))]
        while pending or any(w.task for w in workers):
            for w in workers:
                if w.task is None and pending:
                    w.task = pending.pop()
                    w.conn.send((asdict(w.task.spec), str(w.task.out)))
            busy = [w for w in workers if w.task is not None]
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0)
            for w in workers:
                w.forward_stderr()
            for w in busy:
                outcome = None
                if w.conn in ready:
                    try:
                        outcome = w.conn.recv()
                    except (EOFError, OSError):
                        outcome = None
                task = w.task
                if outcome is None and (w.conn in ready or w.proc.sentinel in ready):
                    w.proc.join(timeout=5)
                    w.forward_stderr()
                    code = w.proc.exitcode
                    why = (f"killed by {_signal_name(-code)}" if code is not None and code < 0
                           else f"exit code {code}")
                    said = w.death_message()
                    err = f"worker died during the run ({why})" + (f": {said}" if said else "")
                    record_failure(task.out, task.spec, err, w.err_tail, w.name)
                    outcome = RunOutcome("failed", task.spec.key, 0.0, err)
                if outcome is None:
                    continue
                finished(task, outcome)
                w.task = None
                if not outcome.ok or not w.proc.is_alive():
                    w.end()
                    workers.remove(w)
                    if pending:
                        workers.append(start())
    finally:
        for w in workers:
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.time() + 5
        for w in workers:
            w.proc.join(timeout=max(0.1, deadline - time.time()))
            w.end()


# ---- Dask ------------------------------------------------------------------------------------
_DASK_WORKDIR: str | None = None
_DASK_PREFIX = "imm-dask-worker-"


def _dask_workdir() -> str:
    """The Dask worker process's clean working directory: removed when the process exits, and
    those of dead worker processes (killed, so no exit handler ran) removed when one starts."""
    import atexit

    tmp = Path(tempfile.gettempdir())
    for d in tmp.glob(f"{_DASK_PREFIX}*-*"):
        pid = d.name[len(_DASK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)
    work = tempfile.mkdtemp(prefix=f"{_DASK_PREFIX}{os.getpid()}-")
    atexit.register(shutil.rmtree, work, True)
    return work


def _dask_task(task: dict, out: str, run_hook: str | None = None) -> RunOutcome:
    """Runs inside a Dask worker process, which imports ns-3 once and keeps it (run the workers
    with one thread each: ``dask worker ADDRESS --nthreads 1 --nworkers N``)."""
    global _DASK_WORKDIR
    if _DASK_WORKDIR is None:
        _DASK_WORKDIR = _dask_workdir()
        os.chdir(_DASK_WORKDIR)
    import socket

    return run_one(RunSpec(**task), Path(out), worker=f"dask:{socket.gethostname()}:{os.getpid()}",
                   run_hook=run_hook)


def _run_dask(tasks: list[Task], address: str, finished: Callable[[Task, RunOutcome], None],
              run_hook: str | None = None) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SweepError(["--scheduler: Dask is not installed; pip install 'imm-ns3[cluster]'"]) from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise SweepError([f"--scheduler {address}: cannot reach a Dask scheduler there ({e})"]) from None
    try:
        futs = [client.submit(_dask_task, asdict(t.spec), str(t.out), run_hook,
                              key=f"imm-run-{t.spec.key}", pure=False) for t in tasks]
        by_key = {f.key: t for f, t in zip(futs, tasks)}
        for fut in as_completed(futs):
            task = by_key[fut.key]
            try:
                finished(task, fut.result())
            except Exception as e:  # noqa: BLE001 - the worker process died, or Dask gave up
                err = f"Dask task failed: {type(e).__name__}: {e}"
                record_failure(task.out, task.spec, err, traceback.format_exc(), "dask")
                finished(task, RunOutcome("failed", task.spec.key, 0.0, err))
    finally:
        client.close()
