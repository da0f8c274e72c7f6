"""The sweep store: run keys and the code version, the directory layout, atomic writes, failed
runs, and what is complete.

Output directory::

    OUT/sweep.json          the sweep as last run: definition, code version, and its runs
    OUT/runs/<key>/         one run directory (docs/results.md) plus manifest.json
    OUT/failed/<key>.json   a run that failed: parameters, error, traceback
    OUT/packed/             complete runs packed by :func:`pack` (imm-sim pack): one Parquet
                            file per table for all of them (a ``key`` column first), and
                            runs.parquet with each run's summary, manifest and scenario text

A packed run counts as complete like a run directory: the sweep does not run it again, and
``imm_ns3.results.load`` reads both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from .spec import RunSpec

_CODE_VERSION: str | None = None


# Modules that orchestrate runs or present results but cannot change what a run computes.
_NOT_IN_CODE_VERSION = {"cli.py", "figures.py", "docgen.py", "analysis.py", "__main__.py",
                        # analytic models, statistics, reports and checks read results or
                        # scenarios; they never run in a simulation
                        "model.py", "stats.py", "report.py", "coverage.py", "dissector.py",
                        "paragraphs.py"}
_NOT_IN_CODE_VERSION_DIRS = ("sweep",)  # the sweep runner itself


def code_version() -> str:
    """Package version plus a hash of every source file that determines what a run computes
    (.py, .h, .toml of the package, except the orchestration modules above)."""
    global _CODE_VERSION
    if _CODE_VERSION is None:
        root = Path(str(resources.files("imm_ns3")))
        h = hashlib.sha256()
        for f in sorted(root.rglob("*")):
            if (f.suffix in (".py", ".h", ".toml") and "__pycache__" not in f.parts
                    and str(f.relative_to(root)) not in _NOT_IN_CODE_VERSION
                    and f.relative_to(root).parts[0] not in _NOT_IN_CODE_VERSION_DIRS):
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


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def record_failure(out: Path, spec: RunSpec, error: str, tb: str, worker: str) -> None:
    d = Path(out) / "failed"
    d.mkdir(parents=True, exist_ok=True)
    _atomic_write(d / f"{spec.key}.json", json.dumps(
        {**asdict(spec), "error": error, "traceback": tb, "worker": worker,
         "time": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2, default=str) + "\n")


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
    runs = Path(out) / "runs"
    done = set(packed_keys(out))
    if not runs.exists():
        return done
    return done | {p.name for p in runs.iterdir() if not p.name.startswith(".")
                   and (p / "summary.json").exists()}


PACKED = "packed"
PACKED_RUNS = "runs.parquet"


def packed_keys(out: Path) -> list[str]:
    f = Path(out) / PACKED / PACKED_RUNS
    if not f.exists():
        return []
    import pyarrow.parquet as pq

    return [str(k) for k in pq.read_table(f, columns=["key"]).column("key").to_pylist()]


def listed_keys(out: Path) -> set[str] | None:
    """The run keys of the sweep as last invoked (``sweep.json``), or None without one."""
    f = Path(out) / "sweep.json"
    if not f.exists():
        return None
    return {r["key"] for r in json.loads(f.read_text())["runs"]}


def pack(out: Path, prune: bool = False) -> tuple[int, int, int]:
    """Pack every complete run directory of sweep directory ``out`` into ``out/packed/`` (merged
    with what is packed already; a run packed twice keeps its newest copy) and remove the
    directories. Small per-run files cost more in metadata than in data: a sweep of hundreds of
    short runs shrinks tenfold or more, which keeps committed results lean.

    Returns (runs packed now, runs in the pack, bytes of the pack). The new pack is written
    beside the old one and swapped in, and the run directories are removed only after that:
    an interruption leaves every run readable, except in the instant between the two renames
    of the swap, when the previous pack sits in ``.packed.<pid>.old`` (rename it back).

    ``prune``: keep only the runs ``sweep.json`` lists (the sweep as last invoked): runs of an
    earlier code version or of cases since removed are dropped, packed or not. Without a
    ``sweep.json`` nothing is pruned."""
    import pandas as pd

    from ..results import TABLES, concat_frames

    out = Path(out)
    runs_dir = out / "runs"
    dirs = sorted(p for p in runs_dir.iterdir() if not p.name.startswith(".")
                  and (p / "summary.json").exists()) if runs_dir.exists() else []
    keep = listed_keys(out) if prune else None
    stale = [p for p in dirs if keep is not None and p.name not in keep]
    dirs = [p for p in dirs if p not in stale]
    dest = out / PACKED
    old_runs = pd.read_parquet(dest / PACKED_RUNS) if (dest / PACKED_RUNS).exists() else None
    new_keys = {p.name for p in dirs}

    def kept(df):
        df = df[~df.key.isin(new_keys)]
        return df if keep is None else df[df.key.isin(keep)]

    meta = [] if old_runs is None else [kept(old_runs)]
    frames: dict[str, list] = {name: [] for name in TABLES}
    for name in TABLES:
        f = dest / f"{name}.parquet"
        if f.exists():
            frames[name].append(kept(pd.read_parquet(f)))
    rows = []
    for p in dirs:
        rows.append({"key": p.name, "summary": (p / "summary.json").read_text(),
                     "manifest": (p / "manifest.json").read_text()
                     if (p / "manifest.json").exists() else "{}",
                     "scenario": (p / "scenario.toml").read_text()
                     if (p / "scenario.toml").exists() else ""})
        for name in TABLES:
            f = p / f"{name}.parquet"
            if f.exists():
                df = pd.read_parquet(f)
                df.insert(0, "key", p.name)
                frames[name].append(df)
    meta.append(pd.DataFrame(rows, columns=["key", "summary", "manifest", "scenario"]))
    tmp = out / f".{PACKED}.{os.getpid()}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    allruns = pd.concat(meta, ignore_index=True).sort_values("key", kind="stable")
    allruns.to_parquet(tmp / PACKED_RUNS, index=False, compression="zstd")
    for name, parts in frames.items():
        df = concat_frames(parts)
        if df is not None:
            df.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
    old_dir = out / f".{PACKED}.{os.getpid()}.old"
    if dest.exists():
        os.replace(dest, old_dir)
    os.replace(tmp, dest)
    shutil.rmtree(old_dir, ignore_errors=True)
    for p in dirs + stale:
        shutil.rmtree(p, ignore_errors=True)
    size = sum(f.stat().st_size for f in dest.iterdir())
    return len(dirs), len(allruns), size
