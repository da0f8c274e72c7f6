"""The ns-3 adapter layer: the only code in imm-ns3 that imports ``ns`` or ``cppyy``.

- :mod:`.runtime` -- importing ns-3 once per process, compiling the C++ shims
  (``shims.h``), and the :class:`~.runtime.Bridge` that routes timers, trace sources and UDP
  sockets to Python with the ownership and error rules of the platform notes;
- :mod:`.builder` -- the ns-3 network of a :class:`~imm_ns3.topology.Topology`;
- :mod:`.radio` -- radio-level handoff detection from the WiFi MAC;
- :mod:`.run` -- one simulation from scenario to results.

Importing this package does not import ns-3; the first simulation does.
"""

from .run import CallbackError, RunContext, register_setup_hook, run_scenario
from . import mmp as _mmp  # noqa: F401,E402 - registers MMP/DRCP with every run
from . import failures as _failures  # noqa: F401,E402 - link and node failures
from . import miplr as _miplr  # noqa: F401,E402 - MIP-LR / Mobile IP and the TCP transfer
from . import sip as _sip  # noqa: F401,E402 - SIP mobility and RTP (after MMP: uses its daemons)

__all__ = ["run_scenario", "RunContext", "register_setup_hook", "CallbackError"]
