"""The experiments end to end on their tiny sweeps: every sweep file runs (--tiny), every
figure is drawn from the stored results, every notebook executes on them."""

from __future__ import annotations

import pytest

from imm_ns3.analysis.figures import discover, draw_all
from imm_ns3.sweep import load_sweep, run_sweeps

from conftest import ROOT
from notebook_kernel import execute_fresh, shared_kernel, without_results_override

SWEEPS = sorted((ROOT / "experiments").glob("e*.toml"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("e*.ipynb"))


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    # One pool of two workers for all the experiments: ns-3 is imported twice, not ten times.
    reports = run_sweeps([(load_sweep(p, tiny=True), out / p.stem) for p in SWEEPS], workers=2,
                         progress=False)
    assert not any(r.failed for r in reports), [r.failed for r in reports]
    return out


def test_figures_are_drawn_from_stored_results(tiny_results, tmp_path):
    figs = discover(ROOT / "experiments")
    lines = draw_all(tiny_results, tmp_path, figures=figs)
    assert len(lines) == len(figs) and all("runs)" in ln for ln in lines), lines
    for f in figs.values():
        name = f.file
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        assert (tmp_path / f"{name}.pdf").read_bytes()[:4] == b"%PDF"


@pytest.fixture(scope="module")
def tiny_kernel(tiny_results):
    """One Jupyter kernel for every notebook on the tiny sweeps (notebook_kernel.py); the
    committed results' runs are tests/package/test_notebooks.py's."""
    with shared_kernel(ROOT / "notebooks",
                       {**without_results_override(), "IMM_NS3_RESULTS": str(tiny_results)}) as k:
        yield k


def test_a_notebook_in_the_shared_kernel_sees_nothing_of_the_one_before(tiny_kernel, tmp_path):
    import nbformat

    new = nbformat.v4
    execute_fresh(tiny_kernel, new.new_notebook(cells=[new.new_code_cell(
        "import sys, matplotlib.pyplot as plt\nimport pandas as pd\nleft = 1\n"
        "sys.path.insert(0, '/elsewhere'); plt.figure()")]), tmp_path)
    out = execute_fresh(tiny_kernel, new.new_notebook(cells=[new.new_code_cell(
        "import os, sys, matplotlib.pyplot as plt\n"
        "print(sorted(n for n in ('left', 'pd') if n in globals()), '/elsewhere' in sys.path,"
        " plt.get_fignums(), os.getcwd())")]), ROOT / "notebooks")
    assert "".join(o.get("text", "") for o in out).split() == [
        "[]", "False", "[]", str(ROOT / "notebooks")]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_on_its_tiny_sweep(tiny_kernel, notebook):
    import nbformat

    outputs = execute_fresh(tiny_kernel, nbformat.read(notebook, as_version=4), notebook.parent)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("runs, seeds [1]" in "".join(o.get("text", "")) for o in outputs)
