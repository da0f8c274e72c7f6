"""The scenario schema: pydantic models of every table of a scenario file, field by field with
units, bounds and the specification's paragraphs. Cross-references between tables are checked
by :mod:`.checks`; reading files and ``--set`` overrides live in :mod:`.loading`.

Units are in the field names: ``_s`` seconds, ``_m`` metres, ``_mps`` metres per second,
``_mbps`` megabits per second, ``_ms`` milliseconds, ``_dbm`` dBm, ``_db`` dB.

The package, one module per group of tables: ``base`` (the common model), ``network`` (links,
WiFi, addressing, backbone, sub-networks, domains, nodes, hosts), ``mobility``, ``protocols``
(MMP, DRCP, probe, SIP, TCP, macro-mobility, security), ``events`` (attacks, flows, failures,
simulation), ``root`` (the :class:`Scenario`). Every model is importable from here.
"""

from __future__ import annotations

from .network import (Addressing, Backbone, BackboneLink, Domain, DomainNode, HOST_ROLES, Host,
                      LinkDefaults, LinkSpec, NODE_ROLES, Propagation, Subnet, Uplink, WifiSpec)
from .mobility import (ConstantVelocityMobility, MOBILITY_CLASSES, MOBILITY_MODELS,
                       MobileHostGroup, MobileHosts, Mobility, Ns2TraceMobility,
                       RandomWaypointMobility, WaypointMobility)
from .protocols import (MOBILE_CALL_PORT, DrcpConfig, MacroMobility, MmpConfig, ProbeConfig,
                        Security, SipCall, SipConfig, TCP_VARIANTS, TCP_VARIANT_TYPES, TcpConfig)
from .events import (ATTACK_KINDS, Attack, CACHE_ATTACK_KINDS, FLOW_KINDS, Failure, Flow,
                     RESERVED_PORTS, STATION_ATTACK_KINDS, Simulation)
from .root import Scenario
from ..bounds import MAX_COORDINATE_M, MAX_DURATION_S, MAX_TRACE_BYTES, MIN_PERIOD_S
from .base import _Model  # noqa: F401 (tests build models on it)

__all__ = ["Addressing", "Backbone", "BackboneLink", "Domain", "DomainNode", "HOST_ROLES", "Host",
           "LinkDefaults", "LinkSpec", "NODE_ROLES", "Propagation", "Subnet", "Uplink",
           "WifiSpec", "ConstantVelocityMobility", "MOBILITY_CLASSES", "MOBILITY_MODELS",
           "MobileHostGroup", "MobileHosts", "Mobility", "Ns2TraceMobility",
           "RandomWaypointMobility", "WaypointMobility", "DrcpConfig", "MacroMobility",
           "MmpConfig", "ProbeConfig", "Security", "SipCall", "SipConfig", "MOBILE_CALL_PORT", "TCP_VARIANTS",
           "TCP_VARIANT_TYPES", "TcpConfig", "ATTACK_KINDS", "Attack", "CACHE_ATTACK_KINDS",
           "FLOW_KINDS", "Failure", "Flow", "RESERVED_PORTS", "STATION_ATTACK_KINDS",
           "Simulation", "Scenario", "MAX_COORDINATE_M", "MAX_DURATION_S", "MAX_TRACE_BYTES",
           "MIN_PERIOD_S"]
