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
``imm_ns3.analysis.load`` reads both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__

if TYPE_CHECKING:
    from .spec import RunSpec

_CODE_VERSION: str | None = None


# What a run computes is decided by the package minus the packages that only orchestrate runs or
# read their results; the location is the rule, so a new module in one of these cannot change a
# sweep's keys and a new module anywhere else does. tests/package/test_architecture.py checks that no module
# inside the code version imports one of these.
OUTSIDE_CODE_VERSION = ("analysis",  # load, analytic models, statistics, reports, figures
                        "cli",       # imm-sim and the generated files' makers (docs, dissector)
                        "sweep",     # the sweep runner itself
                        "__main__.py")  # python -m imm_ns3: the command line


def code_version() -> str:
    """Package version plus a hash of every source file that determines what a run computes
    (.py, .h, .toml of the package, except the orchestration modules above)."""
    global _CODE_VERSION
    if _CODE_VERSION is None:
        root = Path(str(resources.files("imm_ns3")))
        h = hashlib.sha256()
        for f in sorted(root.rglob("*")):
            if (f.suffix in (".py", ".h", ".toml") and "__pycache__" not in f.parts
                    and f.relative_to(root).parts[0] not in OUTSIDE_CODE_VERSION):
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
    """Create the layout and remove what an interrupted sweep left half-written: staging
    directories (``runs/.KEY.PID.partial``, ``.old``; ``.packed.PID.partial``) of processes
    that have ended. Nothing else is touched: a folder under ``runs/`` without a
    ``summary.json`` is never a run (runs appear by one rename, complete), so it is someone
    else's and stays."""
    from ..results import remove_stale_staging

    (out / "runs").mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out / "runs")
    remove_stale_staging(out, PACKED)


def completed(out: Path) -> set[str]:
    runs = Path(out) / "runs"
    done = set(packed_keys(out))
    if not runs.exists():
        return done
    return done | {p.name for p in runs.iterdir() if not p.name.startswith(".")
                   and (p / "summary.json").exists()}


PACKED = "packed"
PACKED_RUNS = "runs.parquet"


def _sweep_run(p: Path) -> bool:
    """Whether run directory ``p`` was written by a sweep (its manifest names its key)."""
    try:
        return json.loads((p / "manifest.json").read_text()).get("key") == p.name
    except (OSError, ValueError, AttributeError):
        return False


def packed_keys(out: Path) -> list[str]:
    f = Path(out) / PACKED / PACKED_RUNS
    if not f.exists():
        return []
    import pyarrow.parquet as pq

    return [str(k) for k in pq.read_table(f, columns=["key"]).column("key").to_pylist()]


MAX_SWEEP_JSON_BYTES = 64 * 2**20
_KEY = re.compile(r"^[0-9a-f]{16}$")


class SweepDirError(ValueError):
    """A directory that is not a sweep directory this package wrote; one line, naming it."""


def read_listing(out: Path) -> list[str]:
    """The run keys ``out/sweep.json`` lists (the sweep as last invoked), checked: a regular
    file of bounded size, a JSON object whose ``runs`` is a non-empty list of ``{"key": ...}``
    with 16-hex-digit keys. Anything else raises :class:`SweepDirError`."""
    f = Path(out) / "sweep.json"
    if not f.is_file():
        raise SweepDirError(f"{out}: not a sweep directory (no sweep.json; imm-sim sweep writes"
                            " one)")
    if f.stat().st_size > MAX_SWEEP_JSON_BYTES:
        raise SweepDirError(f"{f}: larger than {MAX_SWEEP_JSON_BYTES >> 20} MiB; not a sweep.json"
                            " imm-sim sweep wrote")
    try:
        data = json.loads(f.read_bytes())
    except (ValueError, RecursionError) as e:
        raise SweepDirError(f"{f}: not JSON ({type(e).__name__})") from None
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list) or not runs:
        raise SweepDirError(f"{f}: runs: a non-empty list of runs, got {_brief(runs)}")
    keys = []
    for i, r in enumerate(runs):
        k = r.get("key") if isinstance(r, dict) else None
        if not (isinstance(k, str) and _KEY.match(k)):
            raise SweepDirError(f"{f}: runs[{i}].key: 16 hexadecimal digits, got {_brief(k)}")
        keys.append(k)
    return keys


def _brief(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def listed_keys(out: Path) -> set[str] | None:
    """The run keys of the sweep as last invoked (``sweep.json``), or None without one."""
    if not (Path(out) / "sweep.json").exists():
        return None
    return set(read_listing(out))


def pack(out: Path, prune: bool = False) -> tuple[int, int, int]:
    """Pack every complete run directory of sweep directory ``out`` into ``out/packed/`` (merged
    with what is packed already; a run packed twice keeps its newest copy) and remove the
    directories. Small per-run files cost more in metadata than in data: a sweep of hundreds of
    short runs shrinks tenfold or more, which keeps committed results lean.

    Returns (runs packed now, runs in the pack, bytes of the pack). The new pack is written
    beside the old one and swapped in, and the run directories are removed only after that:
    an interruption leaves every run readable, except in the instant between the two renames
    of the swap, when the previous pack sits in ``.packed.<pid>.old`` (rename it back).

    Only a sweep directory with a valid ``sweep.json`` is packed (:func:`read_listing`), and
    only the run directories it lists and a sweep wrote (a ``manifest.json`` naming the
    directory's key): anything else under ``runs/`` is left where it is.

    ``prune``: keep only the runs ``sweep.json`` lists (the sweep as last invoked): runs of an
    earlier code version or of cases since removed are dropped, packed or in run directories
    a sweep wrote."""
    import pandas as pd

    from ..results import TABLES, concat_frames

    out = Path(out)
    listed = set(read_listing(out))  # a sweep directory, or nothing is touched
    runs_dir = out / "runs"
    ours = sorted(p for p in runs_dir.iterdir() if not p.name.startswith(".") and p.is_dir()
                  and not p.is_symlink() and (p / "summary.json").is_file()
                  and _sweep_run(p)) if runs_dir.exists() else []
    keep = listed if prune else None
    stale = [p for p in ours if prune and p.name not in listed]
    dirs = [p for p in ours if p.name in listed]
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
