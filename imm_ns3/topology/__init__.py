"""The network a scenario declares, as plain data: nodes, links, addresses, radios.

Nothing here touches ns-3. The adapter's builder turns a :class:`Topology` into ns-3 objects
one-to-one, so tests can check the plan (counts, links, addresses, positions) without the
simulator, and check the built network against the same plan with it.

Address plan (documented in docs/scenario.md):
- every wired point-to-point link gets a /30 from ``addressing.infrastructure_prefix``, in the
  order links are listed in :attr:`Topology.links`;
- a wired sub-network is a LAN behind its own router ``<subnet>-r``: the router takes the first
  host address of the prefix, the hosts the following ones in file order;
- in a wireless sub-network the base stations' WiFi interfaces take the first host addresses of
  the prefix, in file order; the rest of the prefix is the care-of address pool handed out by
  the sub-network's DRCP server ([0029]);
- mobile host ``mhN`` has the permanent address ``permanent_prefix`` host number 9+N
  (mh1 = x.x.x.10), and the SIP URL ``sip:mhN@<sip_domain>`` ([0027]).

The package: ``plan`` (the records and :func:`build_topology`), ``radio`` (channels, reference
loss), ``walks`` (waypoint schedules), ``routes`` (static unicast routes; :func:`plan_or_error`).
Everything public is importable from here.
"""

from __future__ import annotations

from .plan import (DomainLink, DomainPlace, LanPlan, LinkPlan, MOVEMENT_KINDS, MobileHostPlan,
                   NodePlan, PERMANENT_ADDRESS_OFFSET, RadioPlan, Topology, build_topology)
from .radio import (base_station_channels, channel_mhz, reference_loss_db, scan_channels,
                    station_channel)
from .walks import position_at, waypoint_schedule
from .routes import Route, destinations, neighbour_address, plan_or_error, static_routes
