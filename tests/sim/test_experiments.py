"""The experiments end to end on their tiny sweeps: every sweep file runs (--tiny), every
figure is drawn from the stored results, every notebook executes on them."""

from __future__ import annotations

import json
import os

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


@pytest.fixture(scope="module")
def tiny_kernel(tiny_results):
    """One Jupyter kernel for every notebook on the tiny sweeps (a kernel's start and its first
    imports cost 3-4 s each); each notebook starts from a clean namespace, with no figure open,
    in notebooks/ with the kernel's first sys.path. Each notebook in a fresh kernel of its own
    is nbmake's run, on the committed results (pyproject's addopts)."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(ROOT / "notebooks"),
                    env={**os.environ, "IMM_NS3_RESULTS": str(tiny_results)})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        got: list = []
        reply = kc.execute_interactive("import json, sys; print(json.dumps(sys.path))",
                                       timeout=60, output_hook=got.append)
        assert reply["content"]["status"] == "ok", reply
        text = "".join(m["content"].get("text", "") for m in got
                       if m["header"]["msg_type"] == "stream")
        yield km, json.loads(text)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _execute_fresh(tiny_kernel, nb, where):
    """Execute notebook ``nb`` in the shared kernel as a fresh kernel would: its namespace
    cleared, no figure open, in ``where``, with the kernel's first sys.path."""
    import nbformat
    from nbclient import NotebookClient

    km, start_path = tiny_kernel
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "%reset -f\n"
        "import os as _os, sys as _sys, matplotlib.pyplot as _plt\n"
        f"_plt.close('all'); _os.chdir({str(where)!r}); _sys.path[:] = {start_path!r}\n"
        "%reset -f"))
    NotebookClient(nb, km=km, timeout=300, kernel_name="python3").execute()
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_a_notebook_in_the_shared_kernel_sees_nothing_of_the_one_before(tiny_kernel, tmp_path):
    import nbformat

    new = nbformat.v4
    _execute_fresh(tiny_kernel, new.new_notebook(cells=[new.new_code_cell(
        "import sys, matplotlib.pyplot as plt\nimport pandas as pd\nleft = 1\n"
        "sys.path.insert(0, '/elsewhere'); plt.figure()")]), tmp_path)
    out = _execute_fresh(tiny_kernel, new.new_notebook(cells=[new.new_code_cell(
        "import os, sys, matplotlib.pyplot as plt\n"
        "print(sorted(n for n in ('left', 'pd') if n in globals()), '/elsewhere' in sys.path,"
        " plt.get_fignums(), os.getcwd())")]), ROOT / "notebooks")
    assert "".join(o.get("text", "") for o in out).split() == [
        "[]", "False", "[]", str(ROOT / "notebooks")]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_on_its_tiny_sweep(tiny_kernel, notebook):
    import nbformat

    outputs = _execute_fresh(tiny_kernel, nbformat.read(notebook, as_version=4), notebook.parent)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("runs, seeds [1]" in "".join(o.get("text", "")) for o in outputs)
