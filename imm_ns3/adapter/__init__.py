"""The ns-3 adapter layer: the only code in imm-ns3 that imports ``ns`` or ``cppyy``.

- :mod:`.runtime` -- importing ns-3 once per process, compiling the C++ shims
  (``cpp/bridge.h``), and the :class:`~.runtime.Bridge` that routes timers, trace sources and UDP
  sockets to Python with the ownership and error rules of the platform notes;
- :mod:`.builder` -- the ns-3 network of a :class:`~imm_ns3.topology.Topology`;
- :mod:`.radio` -- radio-level handoff detection from the WiFi MAC;
- :mod:`.context` -- the declared :class:`~.context.RunContext` the protocol adapters share;
- :mod:`.mmp`, :mod:`.failures`, :mod:`.miplr`, :mod:`.sip` -- the protocol adapters;
- :mod:`.run` -- one simulation from scenario to results; ``PROTOCOLS`` is the order of the
  protocol adapters and of their collectors.

Importing this package does not import ns-3; the first simulation does.
"""

from .context import RunContext
from .run import PROTOCOLS, CallbackError, run_scenario

__all__ = ["run_scenario", "RunContext", "PROTOCOLS", "CallbackError"]
