"""imm-ns3: the Integrated Mobility Management system (MMP, MIP-LR, SIP mobility) on ns-3.

The package is split so that nothing but :mod:`imm_ns3.adapter` imports ns-3 or cppyy:

- :mod:`imm_ns3.scenario` -- scenario files: schema, loading, ``--set`` overrides, validation.
- :mod:`imm_ns3.topology` -- the network a scenario declares, as plain data (nodes, links,
  addresses, domains), and the ground truth of each kind of movement.
- :mod:`imm_ns3.results` -- the results contract: tables and ``summary.json``.
- :mod:`imm_ns3.adapter` -- the only code that touches ns-3: the bridge, its C++ (adapter/cpp/), builder, radio hooks, runner.
- the sans-I/O protocol cores: :mod:`imm_ns3.mmp`, :mod:`imm_ns3.miplr`, :mod:`imm_ns3.sip`.
- :mod:`imm_ns3.analysis` -- what reads results: :func:`imm_ns3.analysis.load`, the analytic
  models, statistics, figures. With :mod:`imm_ns3.cli` (imm-sim) and :mod:`imm_ns3.sweep` it is
  outside the sweeps' code version: changing them cannot change what a run computes.
"""

from ._version import __version__


def simulate(scenario="patent-walk", set=None, *, seed=None, out_dir=None, pcap=False,
             progress=False):
    """Run one simulation from Python (notebooks, scripts) and return its RunResult.

    ``scenario`` is a file path, a built-in name or a :class:`~imm_ns3.scenario.Scenario`;
    ``set`` a list of ``"KEY=VALUE"`` strings or a ``{dotted.path: value}`` dict, as ``--set``.
    Nothing is written unless ``out_dir`` is given.
    """
    from .adapter import run_scenario
    from .scenario import Scenario, load_scenario

    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, set)
    if isinstance(scenario, Scenario) and set:
        raise ValueError("pass overrides with a scenario name or file, not a Scenario object")
    return run_scenario(s, seed=seed, out_dir=out_dir, pcap=pcap, progress=progress)
