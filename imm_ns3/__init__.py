"""imm-ns3: the Integrated Mobility Management system (MMP, MIP-LR, SIP mobility) on ns-3.

The package is split so that nothing but :mod:`imm_ns3.adapter` imports ns-3 or cppyy:

- :mod:`imm_ns3.scenario` -- scenario files: schema, loading, ``--set`` overrides, validation.
- :mod:`imm_ns3.topology` -- the network a scenario declares, as plain data (nodes, links,
  addresses, domains), and the ground truth of each kind of movement.
- :mod:`imm_ns3.results` -- the results contract: tables and ``summary.json``.
- :mod:`imm_ns3.adapter` -- the only code that touches ns-3: shims, builder, radio hooks, runner.
"""

__version__ = "0.1.0"
