"""The results contract of one run (documented in docs/results.md).

A run directory holds:

- ``summary.json`` -- versions, scenario, seed, times, counts (see :data:`SUMMARY_KEYS`);
- ``scenario.toml`` -- the scenario as run, every default filled in: ``imm-sim run`` on it
  reproduces the run;
- ``handoffs.parquet``, ``events.parquet``, ``flows.parquet``, ``signalling.parquet``,
  ``timeline.parquet`` -- tidy
  tables with the columns of :data:`TABLES` (later protocol layers add columns at the end);
- ``pcap/`` with ``--pcap``.

A directory is only ever complete: everything is written to a staging directory beside it and
renamed into place at the end, so a run that fails or is killed leaves no directory that looks
like results (a staging directory's name starts with ``.`` and ends in ``.partial``).
"""

from __future__ import annotations

import json
import os
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
    "signalling": {"node": "string", "role": "string", "message": "string",
                   "count": "int64", "bytes": "int64"},
    # Per flow, what reached the receiving application in each bin of tcp.bin_s seconds
    # (bytes; packets for RTP), from the bin's start t_s.
    "timeline": {"name": "string", "src": "string", "dst": "string", "t_s": "float64",
                 "bytes": "int64", "packets": "Int64"},
}

SUMMARY_KEYS = (
    "imm_ns3_version", "ns3_version", "scenario", "scenario_file", "seed", "sim_time_s",
    "wall_time_s", "speedup", "mobile_hosts", "handoffs", "care_of_addresses", "flows",
    "signalling", "events", "fingerprint",
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


def signalling_summary(sig: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """{role: {message: {count, bytes}}} from the signalling table."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    if len(sig):
        g = sig.groupby(["role", "message"], sort=True)[["count", "bytes"]].sum()
        for (role, msg), r in g.iterrows():
            out.setdefault(str(role), {})[str(msg)] = {"count": int(r["count"]),
                                                      "bytes": int(r["bytes"])}
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


def staging_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.{os.getpid()}.partial"


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


# ---- many runs: a sweep directory ------------------------------------------------------------
@dataclass
class SweepResults:
    """The runs of a sweep directory as tidy tables. Every table starts with the run's ``key``,
    ``case``, ``seed`` and one column per varied parameter (named by its dotted path), so
    ``df.groupby(["case", "mobility.speed_mps"])`` works directly."""

    runs: pd.DataFrame  # one row per completed run: parameters, versions, wall time, fingerprint
    handoffs: pd.DataFrame
    flows: pd.DataFrame
    signalling: pd.DataFrame
    timeline: pd.DataFrame
    events: pd.DataFrame
    failed: pd.DataFrame  # runs recorded as failed: parameters and error
    params: list[str] = field(default_factory=list)
    summaries: dict[str, dict] = field(default_factory=dict)  # key -> summary.json


def load(directory: str | Path, *, all_runs: bool = False) -> SweepResults:
    """Read a sweep directory (``imm-sim sweep --out DIR``) or a single run directory.

    By default only the runs of the sweep as last invoked (``sweep.json``) are read; with
    ``all_runs`` every complete run under ``runs/`` (e.g. of older code versions) is.
    """
    d = Path(directory)
    if (d / "summary.json").exists():
        run_dirs = [d]
        wanted = None
    else:
        if not (d / "runs").exists():
            raise FileNotFoundError(f"{d}: neither a sweep directory (runs/) nor a run directory")
        wanted = None
        if not all_runs and (d / "sweep.json").exists():
            wanted = [r["key"] for r in json.loads((d / "sweep.json").read_text())["runs"]]
        run_dirs = sorted(p for p in (d / "runs").iterdir()
                          if not p.name.startswith(".") and (p / "summary.json").exists())
        if wanted is not None:
            have = {p.name: p for p in run_dirs}
            run_dirs = [have[k] for k in dict.fromkeys(wanted) if k in have]
    rows, per_table = [], {name: [] for name in TABLES}
    params: list[str] = []
    summaries: dict[str, dict] = {}
    for rd in run_dirs:
        summary = json.loads((rd / "summary.json").read_text())
        manifest = json.loads((rd / "manifest.json").read_text()) if (rd / "manifest.json").exists() else {}
        p = manifest.get("params", {})
        for k in p:
            if k not in params:
                params.append(k)
        ident = {"key": manifest.get("key", rd.name), "case": manifest.get("case"),
                 "seed": summary["seed"], **p}
        summaries[ident["key"]] = summary
        rows.append({**ident, "scenario": summary["scenario"],
                     "code_version": manifest.get("code_version"),
                     "git_commit": manifest.get("git_commit"),
                     "imm_ns3_version": summary["imm_ns3_version"],
                     "ns3_version": summary["ns3_version"], "sim_time_s": summary["sim_time_s"],
                     "wall_time_s": summary["wall_time_s"], "speedup": summary["speedup"],
                     "fingerprint": summary["fingerprint"]})
        for name in TABLES:
            f = rd / f"{name}.parquet"
            df = pd.read_parquet(f) if f.exists() else table(name, [])
            for col, v in reversed(list(ident.items())):
                if col not in df.columns:
                    df.insert(0, col, [v] * len(df))
            per_table[name].append(df)
    id_cols = ["key", "case", "seed"] + params

    def cat(name: str) -> pd.DataFrame:
        frames = [f for f in per_table[name] if len(f)]
        if not frames:
            base = table(name, [])
            for col in reversed(id_cols):
                base.insert(0, col, pd.Series([], dtype="object"))
            return base
        return pd.concat(frames, ignore_index=True)

    failed_rows = []
    if (d / "failed").exists():
        keep = set(wanted) if wanted is not None else None
        for f in sorted((d / "failed").glob("*.json")):
            rec = json.loads(f.read_text())
            if keep is None or rec.get("key") in keep:
                failed_rows.append({"key": rec.get("key"), "case": rec.get("case"),
                                    "seed": rec.get("seed"), **rec.get("params", {}),
                                    "error": rec.get("error")})
    return SweepResults(runs=pd.DataFrame(rows, columns=None if rows else id_cols),
                        handoffs=cat("handoffs"), flows=cat("flows"),
                        signalling=cat("signalling"), timeline=cat("timeline"),
                        events=cat("events"), failed=pd.DataFrame(failed_rows), params=params,
                        summaries=summaries)
