"""The sweep store: run keys and the code version, the directory layout, atomic writes, failed
runs, and what is complete.

Output directory::

    OUT/sweep.json          the sweep as last run: definition, code version, and its runs
    OUT/runs/<key>/         one run directory (docs/results.md) plus manifest.json
    OUT/failed/<key>.json   a run that failed: parameters, error, traceback
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
    runs = out / "runs"
    if not runs.exists():
        return set()
    return {p.name for p in runs.iterdir() if not p.name.startswith(".")
            and (p / "summary.json").exists()}
