"""The protocols' settings: MMP and DRCP, the probe, SIP, TCP, macro-mobility, security."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..errors import shown
from .base import _Model


class MmpConfig(_Model):
    """MMP micro-mobility ([0028]-[0053])."""

    handoff: Literal["hard", "semisoft"] = Field(
        "hard", description="Cache hand-off within a domain: hard ([0035]) or semisoft ([0036]).")
    semisoft_period_s: float = Field(
        0.1, gt=0, le=10, description="How long the crossover node bicasts before the hard update.")
    beacon_interval_s: float = Field(0.5, gt=0, le=60, description="Gateway-beacon period ([0030]).")
    bs_beacon_interval_s: float = Field(
        0.1, gt=0, le=60, description="Base-station beacon period on the wireless side ([0047]).")
    cache_timeout_s: float = Field(
        3.0, gt=0, le=3600, description="Soft-state lifetime of a routing-cache entry ([0033]).")
    route_update_interval_s: float = Field(
        1.0, gt=0, le=3600,
        description="An idle mobile host sends a route-update after this long ([0033], [0051]).")
    classify_wait_max_s: float = Field(
        0.005, ge=0, le=10,
        description="Random wait before classifying up-links and gateways ([0037], [0042]).")
    uplink_policy: Literal["latency", "reliability"] = Field(
        "latency", description="Primary up-link/gateway by beacon latency or by sequence gaps.")
    failover_beacons: int = Field(
        3, ge=1, le=100,
        description="Gateway-beacons an up-link may miss before a node switches away from it.")
    failure_detection: Literal["beacons", "local"] = Field(
        "beacons",
        description="How a domain node notices that an up-link or gateway failed. 'beacons':"
        " only by mmp.failover_beacons missing gateway-beacons ([0040], [0045]). 'local': also"
        " when the interface towards it loses its carrier -- the link failed, or the node at"
        " its other end did -- mmp.local_detection_delay_s after the failure; the node switches"
        " to a secondary up-link at once and drops the cache entries through that interface"
        " ([0040]: a node 'may switch to a secondary interface if it detects a failure in its"
        " primary interface').")
    local_detection_delay_s: float = Field(
        0.0, ge=0, le=10,
        description="With failure_detection = 'local': from the failure to the node noticing"
        " it (loss of carrier: microseconds to milliseconds; a keep-alive protocol such as"
        " BFD: tens to hundreds of milliseconds).")
    border_route_delay_s: float = Field(
        0.0, ge=0, le=60,
        description="A border router installs the host route a gateway announces ([0031],"
        " [0045]) this long after the announcement arrives: routing convergence (route"
        " computation and forwarding-table update; seconds for an interior routing protocol)."
        " 0: at once.")
    broadcast_jitter_s: float = Field(
        0.0, ge=0, le=1,
        description="A base station waits a uniform random time up to this before it broadcasts"
        " a flooded DRCP advertisement or reply on its cell (RFC 5148 jitter). Without it, cells"
        " of a sub-network on one channel that cannot hear each other broadcast each flood at"
        " the same instant, and a host where both are heard receives neither. 0: no jitter (the"
        " specification's flood, [0029]).")
    monitor_interval_s: float = Field(
        0.0, ge=0, le=10,
        description="The mobile host's daemons learn of a new association by polling the"
        " interface this often ([0056], [0073]); a handoff waits for the next poll (uniform"
        " over the interval; handoffs get a monitor_wait_s column). 0: at once, as a callback.")
    registration_timeout_s: float = Field(
        0.5, gt=0, le=60, description="Registration, DRCP request: wait this long, then retry.")
    max_retries: int = Field(5, ge=0, le=100, description="Retries of a registration or request.")

    @model_validator(mode="after")
    def _check(self) -> "MmpConfig":
        if self.route_update_interval_s >= self.cache_timeout_s:
            raise ValueError("mmp.route_update_interval_s: must be shorter than mmp.cache_timeout_s,"
                             " or idle hosts lose their routes between refreshes")
        return self


class DrcpConfig(_Model):
    """DRCP address configuration ([0029])."""

    advertisement_interval_s: float = Field(
        0.5, gt=0, le=60, description="Period of each DRCP server's advertisements.")
    lease_s: int = Field(60, ge=2, le=10**6, description="Address lease; renewed at half-life.")


class ProbeConfig(_Model):
    """Downlink UDP constant-bit-rate probe from the correspondent host to each mobile host."""

    enabled: bool = Field(True, strict=True, description="Send the probe flow (named 'probe').")
    rate_pps: float = Field(50.0, gt=0, le=100000, description="Packets per second per host.")
    size_bytes: int = Field(200, ge=16, le=1400, description="UDP payload size.")
    start_s: float = Field(1.0, ge=0, description="When the first probe packet is sent.")
    source: str | None = Field(None, description="Sending host; default: the first correspondent.")


MOBILE_CALL_PORT = 41000  # [[sip.calls]] entry i: RTP on port 41000 + 2 i at both hosts


class SipCall(_Model):
    """A call between two mobile hosts (``[[sip.calls]]``): the caller INVITEs the callee's SIP
    URL at ``at_s`` (through the SIP server's redirect, [0074]), both send 20 ms RTP to each
    other, and each re-INVITEs the other when it moves ([0075]). Beyond the specification,
    whose correspondent is stationary: when both move at once, a re-INVITE unanswered for 2 s
    goes again through the SIP server, and crossing re-INVITEs are resolved with 491 and
    RFC 3261's random retry (docs/sip.md). Needs ``macro_mobility.realtime = "sip"`` (under
    MIP-LR or Mobile IP a stream between two mobile hosts is a ``[[flows]]`` UDP flow)."""

    caller: str = Field(description="The calling mobile host, mh1 .. mhN.")
    callee: str = Field(description="The called mobile host.")
    at_s: float = Field(ge=0, description="When the caller calls.")
    holding_s: float = Field(0.0, ge=0, le=1e6, description="When the caller hangs up, after"
                             " at_s (0: the call lasts until the end of the run).")


class SipConfig(_Model):
    """SIP mobility for real-time traffic ([0071]-[0077]): active when the scenario has a host
    with role 'sip_server' and a correspondent."""

    enabled: bool = Field(True, strict=True,
                          description="Run the SIP agents, servers and the RTP flows.")
    call_at_s: float = Field(3.0, ge=0, description="When the correspondent calls each mobile host.")
    call_spread_s: float = Field(
        0.0, ge=0, le=1e6,
        description="Each host's call starts at call_at_s plus a uniform random delay in"
        " [0, call_spread_s] (the host's own random stream); 0: every call at call_at_s.")
    holding_s: float = Field(
        0.0, ge=0, le=1e6,
        description="Mean call holding time; the correspondent then hangs up (BYE) and both RTP"
        " directions stop. 0: every call lasts until the end of the run.")
    holding: Literal["fixed", "exponential"] = Field(
        "exponential", description="Holding-time distribution: fixed, or exponential with"
        " mean holding_s (the teletraffic model of Erlang's formulas).")
    rtp_interval_s: float = Field(0.02, gt=0, le=1, description="RTP packet interval (20 ms voice).")
    rtp_payload_bytes: int = Field(160, ge=1, le=1400, description="RTP payload (160 = 20 ms PCMU).")
    expires_s: int = Field(3600, ge=10, le=86400, description="REGISTER expiry asked for.")
    correspondent_calls: bool = Field(True, strict=True, description="The first correspondent"
                                      " calls every mobile host (false: only [[sip.calls]]).")
    calls: list[SipCall] = Field(default_factory=list, max_length=500,
                                 description="Calls between two mobile hosts (``[[sip.calls]]``).")


# TCP congestion controls: the name a scenario uses -> the ns-3 TypeId the adapter installs.
TCP_VARIANT_TYPES = {
    "newreno": "ns3::TcpNewReno", "cubic": "ns3::TcpCubic", "bic": "ns3::TcpBic",
    "highspeed": "ns3::TcpHighSpeed", "htcp": "ns3::TcpHtcp", "vegas": "ns3::TcpVegas",
    "westwood": "ns3::TcpWestwoodPlus", "bbr": "ns3::TcpBbr",
}
TCP_VARIANTS = tuple(TCP_VARIANT_TYPES)


class TcpConfig(_Model):
    """The TCP transfer from the correspondent host to each mobile host (named 'tcp'), addressed
    by the mobile host's permanent address and carried by ``macro_mobility.tcp``."""

    enabled: bool = Field(False, strict=True, description="Run the transfer (needs a correspondent host);"
                          " on in patent-walk.")
    start_s: float = Field(4.0, ge=0, description="When the correspondent connects.")
    start_spread_s: float = Field(
        0.0, ge=0, le=1e6,
        description="Each host's transfer starts at start_s plus a uniform random delay in"
        " [0, start_spread_s] (the host's own random stream); 0: every transfer at start_s.")
    size_bytes: int = Field(2_000_000, ge=1, le=10**11, description="Bytes to transfer.")
    rate_mbps: float = Field(
        0.5, ge=0, le=10000,
        description="Application sending rate; 0: as fast as TCP goes (a greedy bulk transfer).")
    segment_bytes: int = Field(1400, ge=100, le=8960, description="TCP maximum segment size.")
    variant: str = Field("newreno", description=f"Congestion control: {', '.join(TCP_VARIANTS)}.")
    port: int = Field(5001, ge=1, le=65535, description="The mobile host's listening port.")

    @field_validator("variant")
    @classmethod
    def _variant(cls, v: str) -> str:
        if v not in TCP_VARIANTS:
            raise ValueError(f"unknown TCP variant {shown(v)}; allowed: {', '.join(TCP_VARIANTS)}")
        return v


class MacroMobility(_Model):
    """The policy of [0013]-[0015], [0026]: which mechanism carries each traffic class across a
    change of care-of address. Moves within a sub-network are always MMP's alone.

    ``tcp``: 'miplr' (MIP-LR, [0054]-[0070]), 'mip' (classic Mobile IP through a home agent,
    the prior art of [0005]) or 'none' (the correspondent connects to the care-of address the
    host has when the transfer starts; nothing follows it).
    ``realtime`` (the RTP flows): 'sip' (SIP re-INVITE, [0071]-[0077]), 'miplr' (RTP to the
    permanent address, rewritten by the MIP-LR manglers), 'mip' (through the home agent) or
    'none'. The integrated system is tcp='miplr', realtime='sip'; 'SIP only' is tcp='none',
    realtime='sip'; 'MIP-LR only' is tcp='miplr', realtime='miplr' (docs/policy.md).
    """

    tcp: Literal["miplr", "mip", "none"] = Field("miplr", description="miplr, mip or none.")
    realtime: Literal["sip", "miplr", "mip", "none"] = Field(
        "sip", description="sip, miplr, mip or none.")
    lifetime_s: int = Field(120, ge=5, le=65535,
                            description="Registration lifetime the mobile host asks for"
                            " (home location registers, home agent).")
    register_max_lifetime_s: int = Field(300, ge=5, le=65535,
                                         description="Longest lifetime a register or home agent grants.")
    null_lifetime_s: int = Field(60, ge=1, le=65535,
                                 description="Lifetime of a null mapping (address not mobile, [0062]).")
    query_timeout_s: float = Field(0.5, gt=0, le=60,
                                   description="Correspondent: wait for a register's answer, doubled per try.")
    retry_s: float = Field(0.5, gt=0, le=60,
                           description="Mobile host: resend an unanswered update, doubled per try.")
    max_tries: int = Field(6, ge=1, le=50, description="Tries before a register is given up.")


class Security(_Model):
    """Authenticated location management (docs/security.md). The specification authenticates
    nothing; ``auth = false`` keeps its protocol (with the hardening that costs nothing on the
    wire: sequence windows, lifetime caps, checked reply sources)."""

    auth: bool = Field(
        False, strict=True, description="true: MIP-LR and Mobile IP updates, acknowledgements and register"
        " replies carry HMAC-SHA-256-128 authenticators (keys of host<->register, host<->home"
        " agent, and host<->correspondent handed out by the register); unauthenticated ones are"
        " dropped and counted.")
    secret: str = Field(
        "imm-ns3", min_length=1, max_length=200,
        description="Master secret every key of the run is derived from (with the seed). Fixed"
        " nodes and mobile hosts get their keys from it; attackers never do.")
