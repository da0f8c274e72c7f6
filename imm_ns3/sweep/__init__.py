"""Parameter sweeps: a base scenario, overrides on a grid, several seeds; cached, resumable runs.

A sweep file (TOML, documented in docs/sweeps.md)::

    name = "e4-mip-vs-miplr"
    scenario = "patent-walk"        # a built-in scenario, or a path relative to this file
    seeds = 5                       # seeds 1..5, or a list such as [1, 2, 7]

    [base]                          # overrides of every run
    "simulation.duration_s" = 40.0

    [cases.miplr]                   # optional named variants, each a table of overrides
    "macro_mobility.tcp" = "miplr"
    [cases.mip]
    "macro_mobility.tcp" = "mip"
    # scenario = "other.toml"      # a case may also run another scenario file

    [grid]                          # dotted path -> list of values: every combination runs
    "subnets.home.access_link.delay_ms" = [5.0, 20.0, 50.0]

    [figures.e4]                    # optional: figures drawn from its results (imm-sim figures)
    draw = "e4:draw"                # module:function, the module (e4.py) beside this file
    file = "e4-mip-vs-miplr"        # output name (default: the figure's id)

    [tiny]                          # what --tiny changes (CI: a few short runs)
    seeds = 1
    base = { "simulation.duration_s" = 30.0 }
    grid = { "subnets.home.access_link.delay_ms" = [20.0] }

Every run has a key: a hash of the complete scenario it runs (every default filled in), its
seed and the code version (package version and a hash of the package's source). A run whose
key is already in the output directory is not run again; extending the grid runs only what is
missing. Runs are written atomically (results.write_run), so an interrupted sweep (Ctrl-C,
kill -9) leaves no half-written run; rerunning resumes. A run that raises or whose worker dies
is recorded under ``failed/`` with its error, and the sweep goes on; the next invocation retries
it (unless ``skip_failed``).

The package: :mod:`.spec` (sweep files and their expansion), :mod:`.store` (keys, the code
version, the directory layout: see there), :mod:`.executors` (one run in a worker, local
workers, Dask).
"""

from __future__ import annotations

from .executors import RunOutcome, SweepReport, Task, run_one, run_sweep, run_sweeps
from .spec import RunSpec, Sweep, SweepError, load_sweep
from .store import code_version, completed, git_commit, prepare, record_failure, run_key

__all__ = ["Sweep", "RunSpec", "SweepError", "SweepReport", "RunOutcome", "Task", "load_sweep",
           "run_sweep", "run_sweeps", "run_one", "run_key", "code_version", "completed", "prepare",
           "record_failure", "git_commit"]
