"""``imm-sim figures``: redraw every experiment's figure from stored results.

The library names no experiment: figures are discovered from the sweep files of an experiments
directory (the checkout's ``experiments/``, found in the working directory, beside the package,
or at ``$IMM_NS3_EXPERIMENTS``). A sweep file declares what it draws::

    [figures.e4]
    draw = "e4:draw"           # module:function, the module (here e4.py) beside the sweep file
    file = "e4-mip-vs-miplr"   # output name (default: the figure's id)
    check = "e4:check"         # optional: the figure's simulated numbers against its model

The checkout's experiments have one module per experiment (``experiments/e1.py`` ... ``e9.py``),
loaded from its file (it imports only from ``imm_ns3``; shared plotting and the model-check row
type are :mod:`imm_ns3.analysis.plotting`). ``draw(res)`` gets the sweep's results
(:func:`imm_ns3.analysis.load` of ``RESULTS/<sweep name>``) and returns a matplotlib figure.
``check(res)`` returns rows of :data:`MODEL_CHECK_COLUMNS`;
``imm-sim figures`` gathers every figure's rows into ``RESULTS/model-check.csv`` (rows of
figures not drawn this time are kept). Each figure is saved as PNG and PDF and stamped with the versions
its results came from: package and ns-3 versions, code version and git commit of the runs, number
of runs and seeds.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable


@dataclass(frozen=True)
class Figure:
    id: str
    sweep: str  # the sweep's name: its results are RESULTS/<sweep>
    sweep_file: Path
    draw: str  # module:function
    file: str  # output name without extension
    check: str | None = None  # module:function -> model-check rows

    def function(self) -> Callable:
        return self._resolve(self.draw)

    def check_function(self) -> Callable | None:
        return self._resolve(self.check) if self.check else None

    def _resolve(self, ref: str) -> Callable:
        module, _, name = ref.partition(":")
        path = self.sweep_file.parent / f"{module}.py"
        if not module.isidentifier() or not path.is_file():
            raise FigureError(f"figure {self.id}: {ref!r}: no module {module}.py beside"
                              f" {self.sweep_file.name}")
        try:
            mod = _module(path)
        except Exception as e:  # noqa: BLE001 - the user's module: any error is one line
            raise FigureError(f"figure {self.id}: {module}.py does not load:"
                              f" {type(e).__name__}: {_first_line(e)}") from None
        fn = getattr(mod, name, None)
        if not callable(fn):
            raise FigureError(f"figure {self.id}: {module}.py has no function {name!r}")
        return fn


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else ""


# ci_lo/ci_hi: the simulated value's 95 % interval; model_in_ci: whether the model lies in it
# (a relative error beyond 10 % with the model inside the interval is sampling noise).
MODEL_CHECK_COLUMNS = ("experiment", "quantity", "condition", "simulated", "model", "rel_error",
                       "n", "ci_lo", "ci_hi", "model_in_ci")
MODEL_CHECK_FILE = "model-check.csv"


class FigureError(ValueError):
    """A figure that cannot be drawn (its module, its function, what it returns, its results):
    one line naming the figure. Raised before anything is written."""


def experiments_dir(explicit: str | Path | None = None) -> Path:
    if explicit is not None:  # the user's choice: never silently another directory
        e = Path(explicit)
        if not e.is_dir() or not any(e.glob("*.toml")):
            raise FileNotFoundError(f"{explicit}: holds no sweep file (*.toml with [figures])")
        return e
    env = os.environ.get("IMM_NS3_EXPERIMENTS")
    candidates = ([Path(explicit)] if explicit else []) + ([Path(env)] if env else []) + [
        Path.cwd() / "experiments", Path(str(resources.files("imm_ns3"))).parent / "experiments"]
    for c in candidates:
        if c.is_dir() and any(c.glob("*.toml")):
            return c
    raise FileNotFoundError("no experiments directory (sweep files with [figures]): run from the"
                            " imm-ns3 checkout or set IMM_NS3_EXPERIMENTS to its experiments/")


def discover(directory: str | Path | None = None) -> dict[str, Figure]:
    """Every figure declared by the sweep files of the experiments directory, by id."""
    from ..sweep import load_sweep

    d = experiments_dir(directory)
    out: dict[str, Figure] = {}
    for f in sorted(d.glob("*.toml")):
        sw = load_sweep(f)
        for fid, spec in sw.figures.items():
            if fid in out:
                raise ValueError(f"{f}: figure {fid!r} is also declared by {out[fid].sweep_file}")
            out[fid] = Figure(fid, sw.name, f, spec["draw"], spec["file"], spec.get("check"))
    return dict(sorted(out.items()))


_MODULES: dict[Path, ModuleType] = {}


def _module(path: Path) -> ModuleType:
    path = path.resolve()
    if path not in _MODULES:
        name = f"imm_ns3_experiment_{path.stem}_{abs(hash(path)) % 10**8}"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # dataclasses and pickling look modules up by name
        spec.loader.exec_module(mod)
        _MODULES[path] = mod
    return _MODULES[path]


def stamp(res) -> str:
    runs = res.runs
    if runs.empty:
        return "no runs"

    def one(col: str) -> str:
        vals = sorted({str(v) for v in runs[col].dropna()}) if col in runs else []
        return "/".join(vals) if vals else "?"

    seeds = sorted(int(s) for s in runs.seed.unique())
    return (f"imm-ns3 {one('imm_ns3_version')} ({one('code_version')}), ns-3 {one('ns3_version')},"
            f" commit {one('git_commit')[:19]}; {len(runs)} runs, seeds {seeds[0]}-{seeds[-1]}")


class MissingResults(RuntimeError):
    """Figures whose sweeps have no stored results. ``lines``: one per figure, each naming the
    command that makes them."""

    def __init__(self, lines: list[str]):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


def has_results(d: Path) -> bool:
    """Whether sweep directory ``d`` holds runs to draw: run directories (``runs/``), a pack
    (``packed/``, what is committed), or both."""
    from ..sweep.store import PACKED, PACKED_RUNS

    runs = d / "runs"
    loose = runs.is_dir() and any((p / "summary.json").exists() for p in runs.iterdir()
                                  if not p.name.startswith("."))
    return loose or (d / PACKED / PACKED_RUNS).is_file()


def missing_results(results_dir: Path, figures: dict[str, Figure],
                    only: Iterable[str] | None = None) -> list[str]:
    """One line per figure (of ``only``, else all) whose sweep has no stored results."""
    lines = []
    for fid in only or figures:
        f = figures[fid]
        d = Path(results_dir) / f.sweep
        if not has_results(d):
            try:
                rel = os.path.relpath(f.sweep_file, Path.cwd())
            except ValueError:  # another drive
                rel = str(f.sweep_file)
            lines.append(f"{fid}: no results in {d}: imm-sim sweep {rel} --out {d} --pack"
                         f" (or leave it out: --only)")
    return lines


def draw_all(results_dir: Path, out_dir: Path, only: Iterable[str] | None = None,
             figures: dict[str, Figure] | None = None) -> list[str]:
    """Draw the figures (of ``only``, else all) from their sweeps' stored results, packed or in
    run directories; returns one line per figure. A figure whose results are missing raises
    :class:`MissingResults` before anything is drawn or written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure as MplFigure

    from .reader import IncompleteSweepError, ResultsError, load

    figures = figures if figures is not None else discover()
    wanted = list(only or figures)
    missing = missing_results(results_dir, figures, wanted)
    if missing:
        raise MissingResults(missing)
    # Everything is drawn and checked in memory first: a figure that fails writes nothing.
    drawn = []
    checks = []
    cache: dict[str, object] = {}
    try:
        for fid in wanted:
            fig_spec = figures[fid]
            draw, check = fig_spec.function(), fig_spec.check_function()
            d = Path(results_dir) / fig_spec.sweep
            if fig_spec.sweep not in cache:
                try:
                    cache[fig_spec.sweep] = load(d)
                except (ResultsError, IncompleteSweepError, FileNotFoundError) as e:
                    raise FigureError(f"figure {fid}: {_first_line(e)}") from None
            res = cache[fig_spec.sweep]
            if res.runs.empty:
                raise MissingResults([f"{fid}: {d} holds no complete run"])
            fig = _call(fid, "draw", draw, res)
            if not isinstance(fig, MplFigure):
                plt.close("all")
                raise FigureError(f"figure {fid}: its draw function returned"
                                  f" {type(fig).__name__}, not a matplotlib Figure")
            text = stamp(res)
            fig.text(0.995, 0.003, text, ha="right", va="bottom", fontsize=5.5, color="0.45")
            line = f"{fid}: {{png}} and {fig_spec.file}.pdf ({len(res.runs)} runs)"
            if check is not None:
                rows = _call(fid, "check", check, res)
                try:
                    rows = check_rows(rows, fid)
                except FigureError:
                    raise
                except Exception as e:  # noqa: BLE001 - whatever the check returned
                    raise FigureError(f"figure {fid}: its check returned {type(rows).__name__},"
                                      f" not a table of model-check rows ({_first_line(e)})"
                                      ) from None
                checks.append((fid, rows))
                big = rows[rows.rel_error.abs() > 0.10]
                line += f"; model check {len(rows)} rows, {len(big)} beyond 10 %"
            drawn.append((fig_spec, fig, text, line))
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        lines = []
        for fig_spec, fig, text, line in drawn:
            png, pdf = out_dir / f"{fig_spec.file}.png", out_dir / f"{fig_spec.file}.pdf"
            fig.savefig(png, dpi=150, metadata={"Description": text})
            fig.savefig(pdf, metadata={"Subject": text})
            lines.append(line.format(png=png))
    finally:
        for _, fig, _, _ in drawn:
            plt.close(fig)
    if checks:
        write_model_check(Path(results_dir) / MODEL_CHECK_FILE, checks)
    return lines


def _call(fid: str, what: str, fn: Callable, res):
    try:
        return fn(res)
    except Exception as e:  # noqa: BLE001 - the experiment's code: one line, nothing written
        raise FigureError(f"figure {fid}: its {what} function raised {type(e).__name__}:"
                          f" {_first_line(e)}") from None


def check_rows(df, fid: str):
    """A check function's rows in the file's columns; rel_error recomputed from the two values
    (relative to the model; NaN where the model is 0 or either value is missing)."""
    import numpy as np
    import pandas as pd

    missing = [c for c in ("quantity", "condition", "simulated", "model") if c not in df.columns]
    if missing:
        raise FigureError(f"figure {fid}: its check returned no column {', '.join(missing)}")
    out = df.copy()
    if "experiment" not in out:
        out.insert(0, "experiment", fid)
    elif len(out) and (out.experiment != fid).any():
        # write_model_check replaces a figure's old rows by this column: rows under another
        # name would never be replaced (duplicates) or would take that figure's rows away.
        names = ", ".join(sorted(set(map(str, out.experiment)) - {fid}))
        raise FigureError(f"figure {fid}: its check names experiment {names}; use the figure's id")
    for col in ("n", "ci_lo", "ci_hi"):
        if col not in out:
            out[col] = np.nan
    sim = pd.to_numeric(out.simulated, errors="coerce")
    mod = pd.to_numeric(out.model, errors="coerce")
    out["rel_error"] = np.where(mod.abs() > 0, (sim - mod) / mod.abs().where(mod.abs() > 0), np.nan)
    lo, hi = pd.to_numeric(out.ci_lo, errors="coerce"), pd.to_numeric(out.ci_hi, errors="coerce")
    inside = (lo <= mod) & (mod <= hi)
    out["model_in_ci"] = inside.where(lo.notna() & hi.notna() & mod.notna())
    return out[list(MODEL_CHECK_COLUMNS)]


def write_model_check(path: Path, checks) -> None:
    """Replace the rows of the experiments just checked, keep the others, sorted."""
    import pandas as pd

    frames = [rows for _, rows in checks]
    done = {fid for fid, _ in checks}
    if path.exists():
        old = pd.read_csv(path)
        frames.insert(0, old[~old.experiment.isin(done)])
    allrows = pd.concat(frames, ignore_index=True)
    allrows = allrows.sort_values(["experiment", "quantity", "condition"], kind="stable")
    tmp = path.with_suffix(".csv.tmp")
    allrows.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(path)
