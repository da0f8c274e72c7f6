"""Every analysis notebook executes on the committed results, top to bottom, without an error:
what a user who opens one gets. One kernel for them all (notebook_kernel.py: each runs as in a
fresh kernel of its own); the notebooks on the tiny sweeps' results are test_experiments'.
A notebook in a fresh kernel of its own: ``pytest --nbmake notebooks/``."""

from __future__ import annotations

import pytest

from conftest import ROOT
from notebook_kernel import execute_fresh, shared_kernel, without_results_override

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def kernel():
    with shared_kernel(ROOT / "notebooks", without_results_override()) as k:
        yield k


def test_every_notebook_is_here():
    assert len(NOTEBOOKS) >= 15 and (ROOT / "notebooks" / "01-patent-walk-handoffs.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_on_the_committed_results(kernel, notebook):
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    outputs = execute_fresh(kernel, nb, notebook.parent)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    code = [c for c in nb.cells[1:] if c.cell_type == "code" and c.source.strip()]
    assert code and all(c.get("execution_count") for c in code)  # every cell ran
    if notebook.stem.startswith("e"):  # an experiment's: it read the committed sweep
        text = "".join(o.get("text", "") for o in outputs)
        assert "runs, seeds [1]" not in text and "runs, seeds" in text, text[:500]
