"""One Jupyter kernel for many notebooks (a kernel's start and its first imports cost 3-4 s
each): each notebook runs as in a fresh kernel of its own, its namespace cleared, no figure
open, in its own directory, with the kernel's first sys.path. The notebooks change no other
state of the process (no rcParams, pandas options or environment: they only read
IMM_NS3_RESULTS); test_experiments checks that one notebook sees nothing of the one before."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path


@contextlib.contextmanager
def shared_kernel(cwd: Path, env: dict[str, str]):
    """A started kernel with ``env`` as its environment; yields (kernel manager, its sys.path)."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd), env=env)
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


def without_results_override() -> dict[str, str]:
    """This process's environment without IMM_NS3_RESULTS: notebooks read the committed results."""
    return {k: v for k, v in os.environ.items() if k != "IMM_NS3_RESULTS"}


def execute_fresh(kernel, nb, where: Path) -> list:
    """Execute notebook ``nb`` in the shared ``kernel`` as a fresh kernel would, in ``where``;
    returns the outputs of its code cells (an error in a cell raises, as nbclient does)."""
    import nbformat
    from nbclient import NotebookClient

    km, start_path = kernel
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "%reset -f\n"
        "import os as _os, sys as _sys, matplotlib.pyplot as _plt\n"
        f"_plt.close('all'); _os.chdir({str(where)!r}); _sys.path[:] = {start_path!r}\n"
        "%reset -f"))
    NotebookClient(nb, km=km, timeout=300, kernel_name="python3").execute()
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
