"""``imm-sim``: run and check scenarios from the command line.

Exit codes: 0 success; 1 the simulation failed (a callback raised; nothing is left behind);
2 bad input (scenario file, ``--set``, options), reported one problem per line before ns-3 is
even imported.

The package: ``main`` (the command group, one-line errors), ``scenarios`` (run, list, show,
validate), ``draw`` (network maps and run timelines: docs/pictures.md), ``sweeps`` (sweep, pack,
figures, reproduce), ``tools`` (prepare, dissector,
sip-registrar), ``outputs`` (run directories and their manifest); and the makers of the
generated-and-checked files: ``docgen`` (docs/scenario.md), ``paragraphs`` (docs/paragraphs.md),
``dissector`` (imm_ns3/imm.lua). Outside the sweeps' code version: nothing a run computes with
imports it.
"""

from __future__ import annotations

from . import draw, scenarios, sweeps, tools  # noqa: F401 (each registers its commands on main)
from .main import _BadInput, main
from .outputs import default_run_dir, replaces_another_run, run_manifest, unwritable_dir
from .tools import _read_users, sip_registrar

__all__ = ["main", "default_run_dir", "replaces_another_run", "run_manifest", "unwritable_dir",
           "sip_registrar", "_BadInput", "_read_users"]
