"""The results contract of one run (documented in docs/results.md).

A run directory holds:

- ``summary.json`` -- versions, scenario, seed, times, counts (see :data:`SUMMARY_KEYS`);
- ``scenario.toml`` -- the scenario as run, every default filled in: ``imm-sim run`` on it
  reproduces the run;
- ``handoffs.parquet``, ``events.parquet``, ``flows.parquet``, ``signalling.parquet``,
  ``timeline.parquet``, ``attacks.parquet`` -- tidy
  tables with the columns of :data:`TABLES` (later protocol layers add columns at the end);
- ``pcap/`` with ``--pcap``.

A directory is only ever complete: everything is written to a staging directory beside it and
renamed into place at the end, so a run that fails or is killed leaves no directory that looks
like results (a staging directory's name starts with ``.`` and ends in ``.partial``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

# Column -> pandas dtype, in order. Empty tables are written with these dtypes too.
TABLES: dict[str, dict[str, str]] = {
    "handoffs": {
        "mh": "string", "t_s": "float64", "kind": "string", "old_bs": "string",
        "new_bs": "string", "old_domain": "string", "new_domain": "string",
        "old_subnet": "string", "new_subnet": "string", "last_beacon_s": "float64",
        "deassoc_s": "float64", "l2_detect_s": "float64", "l2_assoc_s": "float64",
        "l2_s": "float64",
    },
    "events": {"t_s": "float64", "node": "string", "role": "string", "event": "string",
               "detail": "string"},
    "flows": {"name": "string", "kind": "string", "src": "string", "dst": "string",
              "sent_packets": "Int64", "received_packets": "Int64", "lost_packets": "Int64",
              "sent_bytes": "int64", "received_bytes": "int64", "resets": "Int64"},
    # Per node and message: sent (count, bytes) and received by the node's protocol core
    # (received, received_bytes; en-route processing at domain nodes included), from
    # simulation.warmup_s on. Bytes are IP packets (payload + UDP + IPv4 headers).
    "signalling": {"node": "string", "role": "string", "message": "string",
                   "count": "int64", "bytes": "int64", "received": "int64",
                   "received_bytes": "int64"},
    # Per flow, what reached the receiving application in each bin of tcp.bin_s seconds
    # (bytes; packets for RTP), from the bin's start t_s.
    "timeline": {"name": "string", "src": "string", "dst": "string", "t_s": "float64",
                 "bytes": "int64", "packets": "Int64"},
    # Per [[attacks]] entry and target (docs/security.md): forged messages sent, whether the
    # target bound the victim to the attacker, when and for how long; what reached the
    # attacker (per attack, repeated on its rows).
    "attacks": {"attack": "int64", "kind": "string", "at_s": "float64", "attacker": "string",
                "victim": "string", "target": "string", "messages": "string", "sent": "int64",
                "accepted": "bool", "accepted_at_s": "float64", "held_s": "float64",
                "hijacked_packets": "int64", "hijacked_bytes": "int64", "accepted_leases": "Int64"},
}

SUMMARY_KEYS = (
    "imm_ns3_version", "ns3_version", "scenario", "scenario_file", "seed", "sim_time_s",
    "wall_time_s", "speedup", "mobile_hosts", "handoffs", "care_of_addresses", "flows",
    "signalling", "events", "fingerprint", "failures", "attacks",
)

HANDOFF_KINDS = ("intra_domain", "inter_domain", "inter_subnet")


def table(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame with the contract's columns and dtypes (extra columns kept at the end)."""
    schema = TABLES[name]
    df = pd.DataFrame(rows)
    for col, dtype in schema.items():
        if col not in df.columns:
            df[col] = pd.Series([None] * len(df), dtype=dtype if dtype != "int64" else "Int64")
    extra = [c for c in df.columns if c not in schema]
    return df[list(schema) + extra].astype(schema)


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    """Many runs' rows of one table as one frame, columns in first-seen order (None if every
    frame is empty). Columns a run left empty are dropped before concatenating (pandas would
    otherwise guess dtypes from them) and come back, as missing values, by the reindex."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    cols = list(dict.fromkeys(c for f in frames for c in f.columns))
    trimmed = [f.dropna(axis=1, how="all") for f in frames]
    return pd.concat(trimmed, ignore_index=True).reindex(columns=cols)


def signalling_summary(sig: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """{role: {message: {count, bytes, received, received_bytes}}} from the signalling table
    (count and bytes: sent)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    if len(sig):
        cols = ["count", "bytes", "received", "received_bytes"]
        g = sig.groupby(["role", "message"], sort=True)[cols].sum()
        for (role, msg), r in g.iterrows():
            out.setdefault(str(role), {})[str(msg)] = {c: int(r[c]) for c in cols}
    return out


@dataclass
class RunResult:
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    scenario_toml: str = ""
    out_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def handoffs(self) -> pd.DataFrame:
        return self.tables["handoffs"]

    @property
    def events(self) -> pd.DataFrame:
        return self.tables["events"]

    @property
    def flows(self) -> pd.DataFrame:
        return self.tables["flows"]

    @property
    def signalling(self) -> pd.DataFrame:
        return self.tables["signalling"]

    @property
    def timeline(self) -> pd.DataFrame:
        return self.tables["timeline"]

    @property
    def attacks(self) -> pd.DataFrame:
        return self.tables["attacks"]


def staging_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.{os.getpid()}.partial"


# What write_run puts in a run directory: nothing else there is ours to replace or delete.
RUN_FILES = frozenset({"summary.json", "scenario.toml", "manifest.json", "pcap", "flowmon.xml"}
                      | {f"{name}.parquet" for name in TABLES})
_STAGING = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]{1,10})\.(?:partial|old)$")


def foreign_entries(out_dir: Path) -> list[str]:
    """The entries of run directory ``out_dir`` that no run wrote (a user's notes or plots):
    a run is never written over them."""
    d = Path(out_dir)
    if not d.is_dir():
        return []
    return sorted(p.name for p in d.iterdir() if p.name not in RUN_FILES)


def refuse_foreign(out_dir: Path) -> None:
    """Raise FileExistsError if run directory ``out_dir`` holds files no run wrote."""
    foreign = foreign_entries(out_dir)
    if foreign:
        raise FileExistsError(f"{out_dir}: holds files no run wrote ({', '.join(foreign[:5])});"
                              " they are never replaced: choose another directory")


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or not ours to judge: keep its directory
    return True


def remove_stale_staging(parent: Path, name: str | None = None) -> list[Path]:
    """Remove the staging directories (``.NAME.PID.partial``, ``.NAME.PID.old``) under
    ``parent`` whose process has ended (a run killed with kill -9, or a second Ctrl-C), only
    for ``NAME`` = ``name`` if given. A live process's staging directory is left alone."""
    parent = Path(parent)
    removed = []
    if not parent.is_dir():
        return removed
    for p in parent.iterdir():
        m = _STAGING.match(p.name)
        if not m or not p.is_dir() or p.is_symlink():
            continue
        if name is not None and m["name"] != name:
            continue
        if not pid_alive(int(m["pid"])):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def write_run(result: RunResult, staging: Path, out_dir: Path,
              manifest: dict[str, Any] | None = None) -> Path:
    """Write tables and summary (and a sweep's ``manifest.json``) into ``staging``, then move it
    to ``out_dir`` in one rename."""
    staging.mkdir(parents=True, exist_ok=True)
    for name, df in result.tables.items():
        df.to_parquet(staging / f"{name}.parquet", index=False)
    (staging / "scenario.toml").write_text(result.scenario_toml)
    if manifest is not None:
        manifest = {**manifest, "wall_time_s": result.summary.get("wall_time_s"),
                    "fingerprint": result.summary.get("fingerprint")}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    # summary.json last: a reader that sees it knows the tables are there.
    (staging / "summary.json").write_text(json.dumps(result.summary, indent=2, sort_keys=False) + "\n")
    out_dir = Path(out_dir)
    try:  # checked before the run too (run_scenario): a last guard, nothing deleted
        refuse_foreign(out_dir)
    except FileExistsError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.{os.getpid()}.old"
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    result.out_dir = out_dir
    return out_dir


def read_run(out_dir: str | Path) -> RunResult:
    """Read a run directory written by :func:`write_run`."""
    d = Path(out_dir)
    summary_path = d / "summary.json"
    if not summary_path.exists():
        raise FileNotFoundError(f"{d}: no summary.json; not a complete imm-ns3 run directory")
    summary = json.loads(summary_path.read_text())
    # A table added after the run was written reads as empty, with its columns.
    tables = {name: pd.read_parquet(d / f"{name}.parquet") if (d / f"{name}.parquet").exists()
              else table(name, []) for name in TABLES}
    toml_path = d / "scenario.toml"
    return RunResult(summary, tables, toml_path.read_text() if toml_path.exists() else "", d)


def is_missing(v: Any) -> bool:
    """Whether a table cell holds no value (None, NaN, pandas' NA or NaT); a list, tuple or dict
    is a value."""
    if v is None:
        return True
    if isinstance(v, (list, dict, tuple)):
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def plain_value(v: Any) -> Any:
    """A JSON-ready Python value from a pandas/numpy cell (no value -> None, numpy scalar ->
    Python scalar)."""
    if is_missing(v):
        return None
    return v.item() if hasattr(v, "item") else v
