"""Everything that reads results and never runs in a simulation.

- :mod:`~imm_ns3.analysis.reader` -- :func:`load`: a sweep directory (run directories or a pack)
  as tidy DataFrames, every table checked against the results contract.
- :mod:`~imm_ns3.analysis.model` -- the analytic models beside the simulated numbers.
- :mod:`~imm_ns3.analysis.stats` -- medians with distribution-free intervals, Wilson, Student-t,
  Mann-Whitney, ECDFs.
- :mod:`~imm_ns3.analysis.plotting`, :mod:`~imm_ns3.analysis.figures` -- what the experiments'
  figure modules share, and ``imm-sim figures``.
- :mod:`~imm_ns3.analysis.report` (a run's summary as text), :mod:`~imm_ns3.analysis.coverage`
  (where paths leave every cell), :mod:`~imm_ns3.analysis.cost` (what a run will cost).

The package sits outside the sweeps' code version by location
(:data:`imm_ns3.sweep.store.OUTSIDE_CODE_VERSION`): nothing a run computes with imports it
(tests/package/test_architecture.py), so changing it cannot change a stored result.
"""

__all__ = ["IncompleteSweepError", "ResultsError", "SweepResults", "load"]


def __getattr__(name: str):
    # load() and its types on first use: the command line imports analysis.report at start-up,
    # which must not cost pandas' import (about 0.4 s) to every imm-sim invocation.
    if name in __all__:
        from . import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
