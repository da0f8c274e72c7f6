"""What happens during a run: attacks, flows, failures; and the simulation's own settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ...sip.message import SIP_PORT
from ..schema_names import check_name
from ..bounds import MAX_DURATION_S, MIN_PERIOD_S
from .base import _Model


ATTACK_KINDS = ("miplr_update", "mip_registration", "replay", "sip_register", "sip_reinvite",
                "mmp_registration", "mmp_semisoft_copy", "drcp_exhaustion")
# Kinds sent from a station associated with a base station (a mobile host turned attacker);
# the first two forge routing-cache entries and may refresh them (hold_s).
CACHE_ATTACK_KINDS = ("mmp_registration", "mmp_semisoft_copy")
STATION_ATTACK_KINDS = (*CACHE_ATTACK_KINDS, "drcp_exhaustion")


class Attack(_Model):
    """An attacker's forgery at ``at_s`` against a mobile host's location management
    (docs/security.md).

    Off-path kinds, from a fixed host with role 'attacker' that is told the protocol state an
    eavesdropper would have (the next sequence number, the dialog's Call-ID), the strongest
    off-path attacker: ``miplr_update``: MIP-LR updates binding the victim's permanent address
    to the attacker, to every home location register and correspondent. ``mip_registration``:
    a Mobile IP registration of the same to the home agent. ``replay``: the victim's own first
    MIP-LR update (or Mobile IP registration), captured and sent again after the victim moved.
    ``sip_register``: a REGISTER binding the victim's SIP URL to the attacker.
    ``sip_reinvite``: a re-INVITE in the victim's call moving the correspondent's RTP to the
    attacker.

    Same-cell kinds, from a station: the attacker is another mobile host (``mhN``), associated
    with a base station of the victim's domain ([0031]-[0036]), which answers for the victim's
    care-of address from then on: ``mmp_registration``: a registration of the victim's care-of
    address through the attacker's base station (its downlink comes to the attacker);
    ``mmp_semisoft_copy``: a semi-soft cache update for it (the crossover node bicasts: the
    attacker gets a copy of everything); both refreshed with route-updates for ``hold_s``.
    ``drcp_exhaustion``: DRCP requests with invented client ids, ``requests`` of them (default:
    the attacker's sub-network's pool and 16 more), one per millisecond."""

    kind: Literal[ATTACK_KINDS] = Field(description=", ".join(ATTACK_KINDS) + ".")
    at_s: float = Field(ge=0, description="When the attacker sends.")
    at_spread_s: float = Field(
        0.0, ge=0, le=1e6, description="Send at a time drawn uniformly from [at_s, at_s +"
        " at_spread_s] by the run's seed (a random phase against the victim's movements).")
    attacker: str = Field(description="A fixed host with role 'attacker' (off-path kinds), or a"
                          " mobile host mhN other than the victim (same-cell kinds).")
    victim: str = Field("mh1", description="A mobile host (mh1, mh2, ...).")
    hold_s: float = Field(
        0.0, ge=0, le=1e6, description="mmp_registration, mmp_semisoft_copy: keep the forged"
        " cache entry alive with a route-update every mmp.route_update_interval_s for this long"
        " (0: the one message); at most 100,000 route-updates within the run.")
    requests: int | None = Field(
        None, ge=1, le=100000, description="drcp_exhaustion: requests sent (default: the size of"
        " the attacker's sub-network's address pool + 16).")


FLOW_KINDS = ("udp_cbr", "onoff", "tcp_bulk")
# Ports the run's own protocols and flows use: a flow may not listen on them.
RESERVED_PORTS = {9: "the probe", 434: "Mobile IP", 4343: "MMP", 4344: "DRCP", 4345: "DRCP", 4350: "MIP-LR",
                  SIP_PORT: "SIP", 40000: "RTP", 40001: "RTCP", 40002: "RTP", 40003: "RTCP"}


class Flow(_Model):
    """A traffic flow of the researcher's own (``[[flows]]``), generated in C++ like the built-in
    ones, in any direction between fixed and mobile hosts. To a mobile host it is addressed by
    the host's permanent address and carried by the mechanism the policy gives its traffic
    class (``macro_mobility.tcp`` for tcp_bulk, ``macro_mobility.realtime`` for the UDP kinds;
    MIP-LR or Mobile IP), or sent to the care-of address the host has when it starts
    (``dst_address = "care_of"``: no macro-mobility, as an application that resolved the host
    once). From a mobile host: UDP leaves from the care-of address of the moment; a tcp_bulk
    connection from the permanent address under MIP-LR or Mobile IP (an upload, kept across
    sub-network changes), else from the care-of address of its start. Between two mobile hosts
    under MIP-LR each is the other's correspondent (docs/miplr.md). It appears in
    ``flows.parquet`` and ``timeline.parquet`` under its name.

    ``udp_cbr``: ``packet_bytes`` UDP payloads at ``rate_kbps`` from start_s to stop_s, each
    with a sequence number and its send time (losses, duplicates, one-way delays).
    ``onoff``: the same during on-periods; on and off periods drawn from exponential
    distributions with means ``on_s`` and ``off_s`` (from the run's seed), starting on.
    ``tcp_bulk``: a TCP connection that writes at ``rate_kbps`` (0: as fast as TCP goes) from
    start_s until stop_s, segments of ``packet_bytes``; every byte is checked at the sink."""

    name: str = Field(description="Unique among the flows; not probe, rtp or tcp (the built-in"
                      " flows). Letters, digits, '.', '_', '-'.")
    kind: Literal[FLOW_KINDS] = Field(description=", ".join(FLOW_KINDS) + ".")
    src: str = Field(description="A fixed host (a name under [hosts]), or a mobile host"
                     " mh1 .. mhN.")
    dst: str = Field(description="A fixed host, or a mobile host mh1 .. mhN.")
    start_s: float = Field(ge=0, description="When the flow starts.")
    stop_s: float | None = Field(None, gt=0, description="When it stops sending (default: 1 s"
                                 " before the end of the run, so that nothing is in flight).")
    rate_kbps: float = Field(ge=0, le=1e6, description="Sending rate of the payload (kbit/s;"
                             " onoff: while on). tcp_bulk: 0 for as fast as TCP goes. UDP kinds:"
                             " at least a packet every 1e6 s (packet_bytes * 8e-9 kbit/s).")
    packet_bytes: int = Field(1000, ge=16, le=8960, description="UDP payload, or TCP segment size.")
    on_s: float = Field(1.0, ge=MIN_PERIOD_S, le=1e6,
                        description="onoff: mean on-period (1e-6 to 1e6 s).")
    off_s: float = Field(1.0, ge=MIN_PERIOD_S, le=1e6,
                         description="onoff: mean off-period (1e-6 to 1e6 s).")
    port: int | None = Field(None, ge=1, le=65535, description="The receiver's port (default:"
                             " 20000 + the flow's index).")
    dst_address: Literal["permanent", "care_of"] = Field(
        "permanent", description="To a mobile host: its permanent address (carried by"
        " macro-mobility) or the care-of address it has when the flow starts (UDP kinds only:"
        " TCP to the care-of address is not kept across sub-network changes).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = check_name(v, "a file-name-safe name")
        if v in ("probe", "rtp", "tcp"):
            raise ValueError(f"{v!r} is a built-in flow's name; choose another")
        return v

    @model_validator(mode="after")
    def _check(self) -> "Flow":
        if self.stop_s is not None and self.stop_s <= self.start_s:
            raise ValueError(f"stop_s: must be later than start_s ({self.start_s}), got {self.stop_s}")
        if self.kind != "tcp_bulk" and self.rate_kbps == 0:
            raise ValueError(f"rate_kbps: {self.kind} needs a rate above 0")
        if self.kind != "tcp_bulk":
            # A packet at least every MAX_DURATION_S: ns-3's time would overflow (an abort) or
            # the sender never send.
            interval = self.packet_bytes * 8 / (self.rate_kbps * 1e3)
            if not interval <= MAX_DURATION_S * (1 + 1e-9):  # (the rounding of rate * 1e3)
                lowest = self.packet_bytes * 8 / (MAX_DURATION_S * 1e3)
                raise ValueError(
                    f"@rate_kbps: {self.rate_kbps:g} kbit/s sends a {self.packet_bytes}-byte packet"
                    f" every {interval:.3g} s; a packet at least every {MAX_DURATION_S:g} s (the"
                    f" longest run): from {lowest:.3g} to 1e+06 kbit/s with packet_bytes ="
                    f" {self.packet_bytes}")
        if self.kind != "tcp_bulk" and self.packet_bytes > 1472:
            raise ValueError(f"packet_bytes: a UDP payload of at most 1472 bytes (one Ethernet/WiFi"
                             f" frame without fragments), got {self.packet_bytes}")
        if self.port is not None and self.port in RESERVED_PORTS:
            raise ValueError(f"port: {self.port} is {RESERVED_PORTS[self.port]}'s; choose another")
        return self


class Failure(_Model):
    """A link or node that fails at ``at_s`` (and comes back at ``restore_s``) ([0039]-[0045])."""

    at_s: float = Field(ge=0, description="When it fails.")
    at_spread_s: float = Field(
        0.0, ge=0, le=3600,
        description="It fails at at_s plus a uniform delay in [0, at_spread_s] drawn from the"
        " run's seed, and comes back that much after restore_s: a random phase against the"
        " protocols' periodic timers (a failure at a round time falls at the same point of"
        " every beacon and refresh period).")
    restore_s: float | None = Field(None, gt=0, description="When it comes back (never if absent).")
    link: tuple[str, str] | None = Field(None, description="A wired link, by the nodes at its ends.")
    node: str | None = Field(None, description="A fixed node (e.g. a gateway): all its links fail.")

    @model_validator(mode="after")
    def _check(self) -> "Failure":
        if (self.link is None) == (self.node is None):
            raise ValueError("give exactly one of 'link' (two node names) or 'node'")
        if self.restore_s is not None and self.restore_s <= self.at_s:
            raise ValueError("restore_s must be later than at_s")
        return self


class Simulation(_Model):
    """Length and randomness of a run."""

    duration_s: float = Field(60.0, gt=0, le=MAX_DURATION_S, description="Simulated time.")
    seed: int = Field(1, ge=1, lt=2**31, description="ns-3 RngRun; the CLI's --seed wins.")
    timeline_bin_s: float = Field(0.1, gt=0, le=60,
                                  description="Bin width of the 'timeline' table (goodput per flow).")
    warmup_s: float = Field(
        0.0, ge=0, le=1e6,
        description="The 'signalling' table counts messages from this time on (steady-state"
        " load, without every host's first attachment); the other tables cover the whole run.")

    @model_validator(mode="after")
    def _check(self) -> "Simulation":
        if self.warmup_s >= self.duration_s:
            raise ValueError(f"simulation.warmup_s: must be shorter than simulation.duration_s"
                             f" ({self.duration_s} s), got {self.warmup_s}")
        return self


# --------------------------------------------------------------------------------------------
