"""``imm-sim figures``: redraw every experiment's figure from stored results.

The drawing code lives with the sweep files in the checkout's ``experiments/figures.py`` (found
in the working directory, beside the package, or at ``$IMM_NS3_EXPERIMENTS``). Each figure is
saved as PNG and PDF and stamped with the versions its results came from: package and ns-3
versions, code version and git commit of the runs, number of runs and seeds.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Iterable

EXPERIMENTS = ("e1", "e2", "e3", "e4", "e5", "e6")


def experiments_dir() -> Path:
    env = os.environ.get("IMM_NS3_EXPERIMENTS")
    candidates = ([Path(env)] if env else []) + [
        Path.cwd() / "experiments", Path(str(resources.files("imm_ns3"))).parent / "experiments"]
    for c in candidates:
        if (c / "figures.py").exists():
            return c
    raise FileNotFoundError("experiments/figures.py not found: run from the imm-ns3 checkout or"
                            " set IMM_NS3_EXPERIMENTS to its experiments/ directory")


def figure_module() -> ModuleType:
    path = experiments_dir() / "figures.py"
    spec = importlib.util.spec_from_file_location("imm_ns3_experiment_figures", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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


def draw_all(results_dir: Path, out_dir: Path, only: Iterable[str] | None = None) -> list[str]:
    """Draw the figures whose results exist; returns one line per experiment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .results import load

    mod = figure_module()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    cache: dict[str, object] = {}
    for exp in only or EXPERIMENTS:
        sweep_dir, fn, fname = mod.FIGURES[exp]
        d = Path(results_dir) / sweep_dir
        if not (d / "runs").exists():
            lines.append(f"{exp}: no results in {d} (imm-sim sweep experiments/{sweep_dir}.toml"
                         f" --out {d})")
            continue
        res = cache.get(sweep_dir) or load(d)
        cache[sweep_dir] = res
        if res.runs.empty:
            lines.append(f"{exp}: {d} holds no complete run")
            continue
        fig = fn(res)
        text = stamp(res)
        fig.text(0.995, 0.003, text, ha="right", va="bottom", fontsize=5.5, color="0.45")
        png, pdf = out_dir / f"{fname}.png", out_dir / f"{fname}.pdf"
        fig.savefig(png, dpi=150, metadata={"Description": text})
        fig.savefig(pdf, metadata={"Subject": text})
        plt.close(fig)
        lines.append(f"{exp}: {png} and {pdf.name} ({len(res.runs)} runs)")
    return lines
