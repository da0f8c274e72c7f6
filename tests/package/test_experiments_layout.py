"""Every experiment has its sweep file (at least 5 seeds) and its notebook, and every figure's
function loads (no run)."""

from __future__ import annotations

from imm_ns3.analysis.figures import discover
from imm_ns3.sweep import load_sweep

from conftest import ROOT

SWEEPS = sorted((ROOT / "experiments").glob("e*.toml"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("e*.ipynb"))


def test_every_experiment_has_a_sweep_file_and_a_notebook():
    figs = discover(ROOT / "experiments")
    assert {f.sweep for f in figs.values()} == {p.stem for p in SWEEPS}
    assert {p.stem for p in NOTEBOOKS} == {f.file for f in figs.values()}
    assert all(callable(f.function()) for f in figs.values())
    for p in SWEEPS:
        assert len(load_sweep(p).seeds) >= 5, p  # every point from at least 5 seeds
