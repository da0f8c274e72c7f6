"""Reading many runs: a sweep directory (or one run directory) as tidy DataFrames joined with
each run's parameters. ``imm_ns3.analysis.load`` is this module's :func:`load`."""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..results import TABLES, concat_frames, table


class ResultsError(ValueError):
    """A results directory that cannot be read as the results contract says: one line naming
    the file and what is wrong with it."""


_RUNS_COLUMNS = ("key", "summary", "manifest", "scenario")


def read_table(path: Path, name: str | None, *, packed: bool = False) -> pd.DataFrame:
    """One Parquet table of a run directory or a pack, checked: a readable regular file whose
    columns include the results contract's for ``name`` (and ``key`` in a pack). A table of
    another name put in its place, a folder, a truncated file: :class:`ResultsError`."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: not a file (a Parquet table of the results contract)")
    try:
        df = pd.read_parquet(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises many kinds; each becomes one line
        first = str(e).splitlines()[0] if str(e) else ""
        raise ResultsError(f"{path}: not a readable Parquet table ({type(e).__name__}: {first})"
                           ) from None
    need = list(_RUNS_COLUMNS) if name is None else list(TABLES[name])
    if packed and name is not None:
        need = ["key"] + need
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ResultsError(f"{path}: lacks the column(s) {', '.join(missing[:6])} of the"
                           f" {name or 'packed runs'} table (docs/results.md)")
    return df


def read_json(path: Path, need: tuple[str, ...] = ()) -> dict:
    """A JSON object file of a results directory, checked, or :class:`ResultsError`."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as e:
        raise ResultsError(f"{path}: not readable JSON ({type(e).__name__})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: a JSON object expected")
    missing = [k for k in need if k not in data]
    if missing:
        raise ResultsError(f"{path}: lacks {', '.join(missing)}")
    return data


_SUMMARY_NEED = ("seed", "scenario", "imm_ns3_version", "ns3_version", "sim_time_s",
                 "wall_time_s", "speedup", "fingerprint")


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
    attacks: pd.DataFrame  # per attack and target (docs/security.md); empty without [[attacks]]
    failed: pd.DataFrame  # runs recorded as failed: parameters and error
    params: list[str] = field(default_factory=list)
    summaries: dict[str, dict] = field(default_factory=dict)  # key -> summary.json
    run_dirs: dict[str, Any] = field(default_factory=dict)  # key -> its directory (or pack entry)
    _scenarios: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def scenario(self, key: str):
        """The scenario run ``key`` simulated (its stored ``scenario.toml``, validated again):
        what the analytic models of :mod:`imm_ns3.analysis.model` are computed from."""
        from ..scenario import validate_dict

        src = self.run_dirs[key]
        text = src.scenario_text if isinstance(src, _Packed) else (src / "scenario.toml").read_text()
        # Scenarios are frozen: one object per distinct text (a sweep's seeds share theirs).
        if text not in self._scenarios:
            self._scenarios[text] = validate_dict(tomllib.loads(text))
        return self._scenarios[text]


@dataclass
class _Packed:
    """One run of a sweep's pack (``packed/``, :func:`imm_ns3.sweep.store.pack`). ``tables``
    are the whole pack's tables (every run's rows, a ``key`` column first), shared by its runs:
    :func:`load` selects from them in one step instead of splitting and joining them run by
    run (a 540-run pack loads in seconds, not half a minute)."""

    key: str
    summary: dict
    manifest: dict
    scenario_text: str
    tables: dict[str, pd.DataFrame]


def _read_packed(d: Path) -> dict[str, _Packed]:
    from ..sweep.store import PACKED, PACKED_RUNS

    f = d / PACKED / PACKED_RUNS
    if not f.exists():
        return {}
    meta = read_table(f, None)
    tables = {name: read_table(d / PACKED / f"{name}.parquet", name, packed=True)
              for name in TABLES if (d / PACKED / f"{name}.parquet").exists()}
    out = {}
    for r in meta.itertuples(index=False):
        try:
            summary, manifest = json.loads(r.summary), json.loads(r.manifest)
        except (TypeError, ValueError, RecursionError):
            raise ResultsError(f"{f}: run {str(r.key)[:20]}: its summary or manifest is not"
                               " JSON") from None
        if not isinstance(summary, dict) or any(k not in summary for k in _SUMMARY_NEED):
            raise ResultsError(f"{f}: run {str(r.key)[:20]}: its summary lacks fields of"
                               " summary.json (docs/results.md)")
        out[r.key] = _Packed(r.key, summary, manifest if isinstance(manifest, dict) else {},
                             r.scenario, tables)
    return out


def _packed_rows(name: str, runs: list[tuple[int, _Packed, dict]]) -> pd.DataFrame | None:
    """The rows of table ``name`` of the packed runs ``(position, run, ident)``, with the
    identity columns in front, in the order of the runs (a ``_pos`` column says where each
    row goes among the loose runs' rows)."""
    full = runs[0][1].tables.get(name) if runs else None
    if full is None or not len(full):
        return None
    pos = {rd.key: i for i, rd, _ in runs}
    df = full[full.key.isin(pos)]
    if not len(df):
        return None
    order = df.key.map(pos)
    df = df.iloc[order.argsort(kind="stable").to_numpy()].reset_index(drop=True)
    idents = {rd.key: ident for _, rd, ident in runs}
    cols = list(dict.fromkeys(c for _, _, ident in runs for c in ident))
    front = {"_pos": df.key.map(pos).to_numpy()}
    for c in cols:
        if c == "key":
            front[c] = df.key.to_numpy()
        elif c not in df.columns:  # a table's own column of that name wins, as for loose runs
            front[c] = df.key.map({k: i.get(c, math.nan) for k, i in idents.items()}).to_numpy()
    rest = df.drop(columns=[c for c in ("key",) if c in df.columns])
    return pd.concat([pd.DataFrame(front), rest], axis=1)


class IncompleteSweepError(RuntimeError):
    """A sweep directory whose ``sweep.json`` lists runs that are neither stored nor recorded as
    failed (an interrupted sweep, or runs lost on the way). ``missing`` holds their keys."""

    def __init__(self, directory: Path, missing: list[str], total: int):
        self.missing = list(missing)
        super().__init__(
            f"{directory}: {len(missing)} of the {total} runs listed in sweep.json are not stored"
            f" (neither complete under runs/ nor recorded under failed/), e.g. {missing[0]};"
            " run the same sweep command again to complete it, or pass missing='ignore' to"
            " read what is there")


def load(directory: str | Path, *, all_runs: bool = False, missing: str = "raise") -> SweepResults:
    """Read a sweep directory (``imm-sim sweep --out DIR``) or a single run directory.

    By default only the runs of the sweep as last invoked (``sweep.json``) are read; with
    ``all_runs`` every complete run under ``runs/`` (e.g. of older code versions) is.
    A listed run that is neither stored nor recorded as failed raises
    :class:`IncompleteSweepError` (``missing="raise"``, the default), is warned about
    (``"warn"``) or is left out silently (``"ignore"``).
    """
    if missing not in ("raise", "warn", "ignore"):
        raise ValueError(f"missing: 'raise', 'warn' or 'ignore', got {missing!r}")
    d = Path(directory)
    packed: dict[str, _Packed] = {}
    if (d / "summary.json").exists():
        run_dirs = [d]
        wanted = None
    else:
        packed = _read_packed(d)
        if not (d / "runs").exists() and not packed:
            raise FileNotFoundError(f"{d}: neither a sweep directory (runs/ or packed/) nor a"
                                    " run directory")
        wanted = None
        if not all_runs and (d / "sweep.json").exists():
            from ..sweep.store import SweepDirError, read_listing

            try:
                wanted = read_listing(d)
            except SweepDirError as e:
                raise ResultsError(str(e)) from None
        run_dirs = sorted(p for p in (d / "runs").iterdir()
                          if not p.name.startswith(".") and (p / "summary.json").exists()) \
            if (d / "runs").exists() else []
        have: dict[str, Any] = {**packed, **{p.name: p for p in run_dirs}}
        if wanted is not None:
            failed_keys = ({f.stem for f in (d / "failed").glob("*.json")}
                           if (d / "failed").exists() else set())
            lost = [k for k in dict.fromkeys(wanted) if k not in have and k not in failed_keys]
            if lost and missing == "raise":
                raise IncompleteSweepError(d, lost, len(set(wanted)))
            if lost and missing == "warn":
                warnings.warn(str(IncompleteSweepError(d, lost, len(set(wanted)))), stacklevel=2)
            run_dirs = [have[k] for k in dict.fromkeys(wanted) if k in have]
        else:
            run_dirs = [have[k] for k in sorted(have)]
    rows, per_table = [], {name: [] for name in TABLES}
    params: list[str] = []
    summaries: dict[str, dict] = {}
    run_dir_of: dict[str, Any] = {}
    packed_runs: list[tuple[int, _Packed, dict]] = []
    for pos, rd in enumerate(run_dirs):
        if isinstance(rd, _Packed):
            summary, manifest = rd.summary, rd.manifest
        else:
            summary = read_json(rd / "summary.json", _SUMMARY_NEED)
            manifest = (read_json(rd / "manifest.json")
                        if (rd / "manifest.json").exists() else {})
        p = manifest.get("params", {})
        for k in p:
            if k not in params:
                params.append(k)
        ident = {"key": manifest.get("key", rd.key if isinstance(rd, _Packed) else rd.name),
                 "case": manifest.get("case"), "seed": summary["seed"], **p}
        summaries[ident["key"]] = summary
        run_dir_of[ident["key"]] = rd
        rows.append({**ident, "scenario": summary["scenario"],
                     "code_version": manifest.get("code_version"),
                     "git_commit": manifest.get("git_commit"),
                     "imm_ns3_version": summary["imm_ns3_version"],
                     "ns3_version": summary["ns3_version"], "sim_time_s": summary["sim_time_s"],
                     "wall_time_s": summary["wall_time_s"], "speedup": summary["speedup"],
                     "fingerprint": summary["fingerprint"]})
        if isinstance(rd, _Packed):
            packed_runs.append((pos, rd, ident))
            continue
        for name in TABLES:
            f = rd / f"{name}.parquet"
            df = read_table(f, name) if f.exists() else table(name, [])
            for col, v in reversed(list(ident.items())):
                if col not in df.columns:
                    df.insert(0, col, [v] * len(df))
            df.insert(0, "_pos", [pos] * len(df))
            per_table[name].append(df)
    id_cols = ["key", "case", "seed"] + params

    def cat(name: str) -> pd.DataFrame:
        frames = per_table[name]
        packed_df = _packed_rows(name, packed_runs)
        if packed_df is not None:
            frames = [packed_df] + frames
        df = concat_frames(frames)
        if df is not None:
            df = df.iloc[df["_pos"].argsort(kind="stable").to_numpy()]
            df = df.drop(columns="_pos").reset_index(drop=True)
        if df is None:
            df = table(name, [])
            for col in reversed(id_cols):
                df.insert(0, col, pd.Series([], dtype="object"))
        return df

    failed_rows = []
    if (d / "failed").exists():
        keep = set(wanted) if wanted is not None else None
        for f in sorted((d / "failed").glob("*.json")):
            rec = read_json(f)
            if keep is None or rec.get("key") in keep:
                failed_rows.append({"key": rec.get("key"), "case": rec.get("case"),
                                    "seed": rec.get("seed"), **rec.get("params", {}),
                                    "error": rec.get("error")})
    return SweepResults(runs=pd.DataFrame(rows, columns=None if rows else id_cols),
                        handoffs=cat("handoffs"), flows=cat("flows"),
                        signalling=cat("signalling"), timeline=cat("timeline"),
                        events=cat("events"), attacks=cat("attacks"), failed=pd.DataFrame(failed_rows), params=params,
                        summaries=summaries, run_dirs=run_dir_of)
