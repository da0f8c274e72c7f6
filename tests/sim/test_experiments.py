"""The experiments end to end on their tiny sweeps: every sweep file runs (--tiny), every
figure is drawn from the stored results, every notebook executes on them."""

from __future__ import annotations

import pytest

from imm_ns3.analysis.figures import discover, draw_all
from imm_ns3.sweep import load_sweep, run_sweeps

from conftest import ROOT

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


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_on_its_tiny_sweep(tiny_results, notebook, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("IMM_NS3_RESULTS", str(tiny_results))
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("runs, seeds [1]" in "".join(o.get("text", "")) for o in outputs)
