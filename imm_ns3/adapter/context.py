"""What the protocol adapters of one run share: the declared :class:`RunContext`.

Every field is declared here, with who writes it and who reads it. The adapters run in the
order written in ``adapter/run.py`` (``PROTOCOLS``); a field written by one adapter is read only
by adapters after it, and only what an adapter's collector produces is read by later collectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Protocol

import numpy as np

from ..careof import CareOfChannel
from ..events import EventLog
from ..handoff import HandoffDetector
from ..measure import timeline_bins
from ..scenario import Scenario
from ..topology import Topology
from .builder import Network
from .runtime import Bridge


class DomainPaths(Protocol):
    """What the MMP adapter tells of its domains (``adapter/mmp.py`` MmpDomains)."""

    def path_in_use(self, mh: str) -> list[str]:
        """The nodes a mobile host's downlink traffic crosses now, border router first."""
        ...


class ProbeRecord(NamedTuple):
    """One mobile host's probe after the run: sequence numbers and arrival times (s) of the
    packets received, send times (s) of the packets sent."""

    seqs: np.ndarray
    arrivals: np.ndarray
    sent_times: np.ndarray


@dataclass
class RunContext:
    """One run's shared state, from the built network to the rows of the results tables."""

    scenario: Scenario
    topo: Topology
    net: Network
    bridge: Bridge
    log: EventLog
    seed: int
    # Radio-level handoff detection per mobile host (adapter/radio.py, before any protocol);
    # ``add_listener`` is notification 318 of Figure 3.
    detectors: dict[str, HandoffDetector] = field(default_factory=dict)
    # One care-of address channel per mobile host: published by the MMP adapter, subscribed to
    # by MIP-LR, Mobile IP, SIP, the probe; its history feeds the measurements.
    care_of: dict[str, CareOfChannel] = field(default_factory=dict)
    # Rows of the results tables, appended by the collectors in PROTOCOLS order.
    flow_rows: list[dict] = field(default_factory=list)
    signalling_rows: list[dict] = field(default_factory=list)
    timeline_rows: list[dict] = field(default_factory=list)
    attack_rows: list[dict] = field(default_factory=list)
    # Columns added to each mobile host's handoff rows, in the order of its handoffs (MMP
    # creates the rows; MIP-LR and SIP add columns).
    handoff_extra: dict[str, list[dict]] = field(default_factory=dict)
    extra_summary: dict[str, Any] = field(default_factory=dict)
    # Written by the probe's collector (adapter/traffic.py), read by the MMP collector (the
    # handoffs' losses) and the failures collector (delivery gaps, from the arrival times).
    probe_records: dict[str, ProbeRecord] = field(default_factory=dict)
    probe_arrivals: dict[str, np.ndarray] = field(default_factory=dict)
    # Written by the MIP-LR collector, read by the TCP transfer's collector (adapter/traffic.py):
    # (time, care-of address) of every update applied at a correspondent or binding at the
    # home agent, in time order; per mobile host, (address, time) of the first packet per
    # address at the host (the demangler's record, or the decapsulator's).
    macro_updates: list[tuple[float, str]] = field(default_factory=list)
    first_arrivals: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # Every binding a location server applied, written by the MIP-LR/Mobile IP and SIP
    # adapters, read by the attacks collector (who held a forged binding, for how long):
    # (t_s, node, what is bound: a permanent address or a SIP URL, to what: an address).
    location_log: list[tuple[float, str, str, str]] = field(default_factory=list)
    # The location-management cores by (node, mechanism), written by the MIP-LR/Mobile IP and
    # SIP adapters, read by the attacks adapter (the protocol state an eavesdropper would know).
    location_cores: dict[tuple[str, str], Any] = field(default_factory=dict)
    # [[attacks]]: what each protocol adapter lends the attacker, registered at its set-up
    # (before it decides whether the scenario uses it), read by the attacks adapter.
    # The forgers: kind -> fn(attack, attacker address as text) -> [(target node, target
    # address, message name[, binding key])] of what was sent, called when an attack fires.
    forgers: dict[str, Callable[..., list]] = field(default_factory=dict)
    # The UDP ports an attacker host's capture lets through to its control sockets, and who
    # opens those sockets: fn(attacker node, the attacks' Signalling), at the attacks' set-up.
    attacker_ports: list[int] = field(default_factory=list)
    attacker_sockets: list[Callable[[str, Any], None]] = field(default_factory=list)
    # Who wants to hear that one of its interfaces lost or regained its carrier (the MMP
    # adapter's domain nodes, with mmp.failure_detection = "local"): node -> fn(iface, up);
    # called by the failures adapter.
    interface_watchers: dict[str, Callable[[int, bool], None]] = field(default_factory=dict)
    # Set by the rtp step (adapter/traffic.py RtpCalls), driven by the SIP adapter: each mobile
    # host's call media and the correspondent's sink.
    rtp: Any = None
    # Set by the MMP adapter: its domains, whose ``path_in_use(mh)`` the failures adapter
    # reads (did a failure hit the path a host's traffic takes now?).
    domains: DomainPaths | None = None

    def __post_init__(self) -> None:
        if not self.care_of:
            self.care_of = {mh.name: CareOfChannel(mh.name) for mh in self.topo.mobile_hosts}

    def handoff_rows(self, mh: str) -> list[dict]:
        """The extra-column rows of ``mh``'s handoffs, one per handoff detected."""
        rows = self.handoff_extra.setdefault(mh, [])
        while len(rows) < len(self.detectors[mh].handoffs):
            rows.append({})
        return rows

    def handoff_times(self, mh: str) -> list[float]:
        return [h.t_s for h in self.detectors[mh].handoffs]

    def add_byte_timeline(self, name: str, src: str, dst: str, bins) -> None:
        """The ``timeline`` rows of a TCP flow: the bytes its sink delivered per bin of the
        run's timeline (packets are not counted)."""
        width = self.scenario.simulation.timeline_bin_s
        for i, b in enumerate(bins):
            self.timeline_rows.append({"name": name, "src": src, "dst": dst,
                                       "t_s": round(i * width, 9), "bytes": int(b), "packets": None})

    def add_packet_timeline(self, name: str, src: str, dst: str, arrival_times,
                            packet_bytes: int) -> None:
        """The ``timeline`` rows of a flow of equal-size packets (probe, RTP): per bin of the
        run's timeline, the packets that reached the receiver and their bytes."""
        width = self.scenario.simulation.timeline_bin_s
        for i, n in enumerate(timeline_bins(arrival_times, width)):
            self.timeline_rows.append({"name": name, "src": src, "dst": dst,
                                       "t_s": round(i * width, 9), "bytes": int(n) * packet_bytes,
                                       "packets": int(n)})


Collector = Callable[[], None]
Setup = Callable[[RunContext], "Collector | None"]
