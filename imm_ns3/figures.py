"""``imm-sim figures``: redraw every experiment's figure from stored results.

The library names no experiment: figures are discovered from the sweep files of an experiments
directory (the checkout's ``experiments/``, found in the working directory, beside the package,
or at ``$IMM_NS3_EXPERIMENTS``). A sweep file declares what it draws::

    [figures.e4]
    draw = "figures:e4"        # module:function, the module beside the sweep file
    file = "e4-mip-vs-miplr"   # output name (default: the figure's id)

``draw(res)`` gets the sweep's results (:func:`imm_ns3.results.load` of ``RESULTS/<sweep name>``)
and returns a matplotlib figure. Each figure is saved as PNG and PDF and stamped with the versions
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

    def function(self) -> Callable:
        module, _, name = self.draw.partition(":")
        return getattr(_module(self.sweep_file.parent / f"{module}.py"), name)


def experiments_dir(explicit: str | Path | None = None) -> Path:
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
    from .sweep import load_sweep

    d = experiments_dir(directory)
    out: dict[str, Figure] = {}
    for f in sorted(d.glob("*.toml")):
        sw = load_sweep(f)
        for fid, spec in sw.figures.items():
            if fid in out:
                raise ValueError(f"{f}: figure {fid!r} is also declared by {out[fid].sweep_file}")
            out[fid] = Figure(fid, sw.name, f, spec["draw"], spec["file"])
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


def draw_all(results_dir: Path, out_dir: Path, only: Iterable[str] | None = None,
             figures: dict[str, Figure] | None = None) -> list[str]:
    """Draw the figures whose results exist; returns one line per figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .results import load

    figures = figures if figures is not None else discover()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    cache: dict[str, object] = {}
    for fid in only or figures:
        fig_spec = figures[fid]
        d = Path(results_dir) / fig_spec.sweep
        if not (d / "runs").exists():
            rel = os.path.relpath(fig_spec.sweep_file, Path.cwd())
            lines.append(f"{fid}: no results in {d} (imm-sim sweep {rel} --out {d})")
            continue
        res = cache.get(fig_spec.sweep) or load(d)
        cache[fig_spec.sweep] = res
        if res.runs.empty:
            lines.append(f"{fid}: {d} holds no complete run")
            continue
        fig = fig_spec.function()(res)
        text = stamp(res)
        fig.text(0.995, 0.003, text, ha="right", va="bottom", fontsize=5.5, color="0.45")
        png, pdf = out_dir / f"{fig_spec.file}.png", out_dir / f"{fig_spec.file}.pdf"
        fig.savefig(png, dpi=150, metadata={"Description": text})
        fig.savefig(pdf, metadata={"Subject": text})
        plt.close(fig)
        lines.append(f"{fid}: {png} and {pdf.name} ({len(res.runs)} runs)")
    return lines
