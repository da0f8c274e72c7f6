"""Scenario files: schema, loading, ``--set`` overrides and validation.

A scenario is a TOML file (see ``docs/scenario.md`` for every field with its unit). It is parsed
into the pydantic model :class:`Scenario`; every problem is reported as a :class:`ScenarioError`
whose message names the field by dotted path and says what is allowed, one line per problem.

Units are in the field names: ``_s`` seconds, ``_m`` metres, ``_mps`` metres per second,
``_mbps`` megabits per second, ``_ms`` milliseconds, ``_dbm`` dBm, ``_db`` dB.
"""

from __future__ import annotations

import copy
import ipaddress
import tomllib
import types
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

BUILTIN_SCENARIOS = ("patent-walk", "redundancy")
DEFAULT_SCENARIO = "patent-walk"


class ScenarioError(ValueError):
    """A scenario that cannot be run. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# Links, WiFi, addressing
# --------------------------------------------------------------------------------------------


class LinkSpec(_Model):
    """A wired point-to-point or LAN link."""

    rate_mbps: float = Field(100.0, gt=0, description="Line rate in Mbit/s.")
    delay_ms: float = Field(1.0, ge=0, description="One-way propagation delay in ms.")


class LinkDefaults(_Model):
    """Link parameters used wherever a link does not give its own."""

    backbone: LinkSpec = Field(LinkSpec(rate_mbps=1000.0, delay_ms=10.0),
                               description="Links between backbone routers.")
    access: LinkSpec = Field(LinkSpec(rate_mbps=100.0, delay_ms=2.0),
                             description="A sub-network's link to its backbone router.")
    domain: LinkSpec = Field(LinkSpec(rate_mbps=100.0, delay_ms=1.0),
                             description="Links inside MMP domains, and border router to gateways.")
    lan: LinkSpec = Field(LinkSpec(rate_mbps=100.0, delay_ms=0.1),
                          description="Wired sub-network LANs and the DRCP servers' links.")


TIME_UNIT_S = 1.024e-3  # 802.11 time unit (TU)
WIFI_STANDARDS = ("802.11a", "802.11b", "802.11g", "802.11n-2.4GHz", "802.11n-5GHz", "802.11ac")
CHANNELS_24GHZ = tuple(range(1, 14))
CHANNELS_5GHZ = (36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132,
                 136, 140, 149, 153, 157, 161, 165)


def band_of(standard: str) -> str:
    return "2.4GHz" if standard in ("802.11b", "802.11g", "802.11n-2.4GHz") else "5GHz"


def channel_centre_mhz(band: str, channel: int) -> int:
    if band == "2.4GHz":
        return 2484 if channel == 14 else 2407 + 5 * channel
    return 5000 + 5 * channel


def free_space_loss_1m_db(freq_mhz: float) -> float:
    """Friis loss at 1 m: 20 log10(4 pi f / c)."""
    import math

    return 20 * math.log10(4 * math.pi * freq_mhz * 1e6 / 299_792_458.0)


class Propagation(_Model):
    """Radio propagation loss model shared by every WiFi link."""

    model: Literal["log_distance", "friis", "range"] = Field(
        "log_distance", description="ns-3 loss model: LogDistance, Friis or a hard range cut-off."
    )
    exponent: float = Field(3.0, gt=0, description="Path-loss exponent (log_distance).")
    reference_loss_db: float | None = Field(
        None, ge=0,
        description="Loss at 1 m (log_distance); default: free-space loss at the channel's"
        " centre frequency (40.1 dB on 2.4 GHz channel 1, 46.7 dB on 5 GHz channel 36).",
    )
    range_m: float = Field(120.0, gt=0, description="Reception range (range model).")


class WifiSpec(_Model):
    """802.11 settings of every base station (access point) and mobile host (station)."""

    standard: str = Field("802.11g", description=f"One of {', '.join(WIFI_STANDARDS)}.")
    ssid: str = Field("imm", min_length=1, max_length=32, description="One ESS for all BSs.")
    channel: int = Field(
        1,
        description="Channel of every base station and station: ns-3 3.44 stations scan only"
        " their operating channel, so all cells of the ESS share it.",
    )
    tx_power_dbm: float = Field(16.0, ge=-10, le=30, description="Default transmit power.")
    beacon_interval_s: float = Field(
        0.1024, gt=0, le=10,
        description="802.11 beacon interval: a whole number of time units (1 TU = 1.024 ms).")
    max_missed_beacons: int = Field(
        5, ge=1, le=100, description="Beacons a station may miss before it leaves its AP."
    )
    active_probing: bool = Field(
        True, description="Stations send probe requests when scanning instead of only listening."
    )
    probe_request_timeout_s: float = Field(
        0.05, gt=0, le=5, description="How long a scanning station waits for probe responses."
    )
    mh_radios: Literal[1, 2] = Field(
        1,
        description="Radios per mobile host. 2: a leading radio with a shorter reach joins the"
        " next cell while the trailing one still hears the old one (make-before-break), so"
        " semi-soft hand-off can listen to the old base station ([0036]); 802.11a/b/g only.")
    lead_min_rssi_dbm: float = Field(
        -79.0, ge=-100, le=-40,
        description="With 2 radios: the leading radio's preamble detection threshold (ns-3's"
        " default, for the trailing one, is -82 dBm); higher = shorter reach.")
    rate_manager: Literal["minstrel", "aarf", "ideal", "constant"] = Field(
        "minstrel",
        description="Rate control: 'minstrel' (Linux's; MinstrelHt on 802.11n/ac), 'aarf',"
        " 'ideal' (picks rates from SNR and never steps down after losses: fragile under"
        " hidden-terminal interference), 'constant' (the standard's lowest OFDM/DSSS rate).")
    propagation: Propagation = Field(Propagation(), description="Radio propagation loss model.")

    @field_validator("beacon_interval_s")
    @classmethod
    def _beacon_interval(cls, v: float) -> float:
        # ns-3 aborts (NS_FATAL) unless the interval is a whole number of 802.11 time units.
        tu = round(v / TIME_UNIT_S)
        if tu < 1 or abs(tu * TIME_UNIT_S - v) > 1e-9:
            near = max(tu, 1) * TIME_UNIT_S
            raise ValueError(
                f"must be a whole number of 802.11 time units (1 TU = 1.024 ms), e.g. 0.1024"
                f" (100 TU); got {v}, nearest {near:.6g} ({max(tu, 1)} TU)")
        return v

    @field_validator("standard")
    @classmethod
    def _standard(cls, v: str) -> str:
        if v not in WIFI_STANDARDS:
            raise ValueError(f"must be one of {', '.join(WIFI_STANDARDS)}; got {v!r}")
        return v


class Addressing(_Model):
    """Where addresses that no sub-network owns come from."""

    infrastructure_prefix: str = Field(
        "172.16.0.0/12",
        description="Addresses of the wired point-to-point links (backbone, access, domain).",
    )

    @field_validator("infrastructure_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _check_prefix(v)


def _check_prefix(v: str) -> str:
    try:
        net = ipaddress.IPv4Network(v, strict=True)
    except ValueError as e:
        raise ValueError(f"must be an IPv4 prefix such as '10.1.0.0/16' ({e})") from None
    if net.prefixlen > 29:
        raise ValueError(f"prefix {v} is too small: use /29 or shorter")
    return v


# --------------------------------------------------------------------------------------------
# Network: backbone, sub-networks, domains, domain nodes, hosts
# --------------------------------------------------------------------------------------------


class BackboneLink(_Model):
    a: str = Field(description="A backbone router.")
    b: str = Field(description="Another backbone router.")
    rate_mbps: float | None = Field(None, gt=0, description="Default: links.backbone.")
    delay_ms: float | None = Field(None, ge=0, description="Default: links.backbone.")


class Backbone(_Model):
    """The backbone router network (112 in Figure 1)."""

    routers: list[str] = Field(default_factory=lambda: ["core"], min_length=1,
                               description="Names of the backbone routers.")
    links: list[BackboneLink] = Field(default_factory=list,
                                      description="Links between them: [{a, b, rate_mbps?, delay_ms?}].")


class Subnet(_Model):
    """A sub-network: wired (hosts on a LAN) or wireless (MMP domains) ([0026], [0028])."""

    kind: Literal["wired", "wireless"] = Field(description="'wired' or 'wireless'.")
    prefix: str = Field(description="IPv4 prefix of the sub-network (care-of addresses, LAN).")
    attach: str = Field("core", description="Backbone router this sub-network hangs from.")
    access_link: LinkSpec | None = Field(None, description="Link to the backbone router.")
    border_router: Literal["auto", "always"] = Field(
        "auto",
        description="'auto': a border router only where the sub-network has several gateways"
        " ([0028]); 'always': one in every case.",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _check_prefix(v)


class Domain(_Model):
    """An MMP domain: an inverse tree of gateway(s), intermediate nodes, base stations."""

    subnet: str = Field(description="The wireless sub-network the domain belongs to.")
    domain_id: int | None = Field(None, ge=0, lt=2**32, description="Domain ID in beacons.")


class Uplink(_Model):
    """An up-link of a domain node: a bare node name, or a table with link parameters."""

    node: str = Field(description="The node above, towards a gateway.")
    rate_mbps: float | None = Field(None, gt=0, description="Default: links.domain.")
    delay_ms: float | None = Field(None, ge=0, description="Default: links.domain.")


NODE_ROLES = ("gateway", "intermediate", "base_station")


class DomainNode(_Model):
    """A node of an MMP domain ([0028]; Figures 2A-2C)."""

    domain: str = Field(description="The domain this node belongs to.")
    role: Literal["gateway", "intermediate", "base_station"] = Field(
        description="gateway, intermediate or base_station."
    )
    uplinks: list[Uplink] = Field(
        default_factory=list,
        description="Nodes above this one, first = preferred; several make Figure 2B/2C.",
    )
    position_m: tuple[float, float, float] | None = Field(
        None, description="Base stations: position of the access point (x, y, z) in metres."
    )
    tx_power_dbm: float | None = Field(None, ge=-10, le=30,
                                       description="Base stations; default: wifi.tx_power_dbm.")

    @field_validator("uplinks", mode="before")
    @classmethod
    def _uplinks(cls, v: Any) -> Any:
        # An up-link may be given as a bare node name.
        if isinstance(v, list):
            return [{"node": u} if isinstance(u, str) else u for u in v]
        return v

    @field_validator("position_m", mode="before")
    @classmethod
    def _pos(cls, v: Any) -> Any:
        return _xyz(v)


HOST_ROLES = ("correspondent", "home_location_register", "sip_server", "home_agent")


class Host(_Model):
    """A fixed host on a wired sub-network."""

    subnet: str = Field(description="A wired sub-network.")
    role: Literal["correspondent", "home_location_register", "sip_server", "home_agent"] = Field(
        description="correspondent, home_location_register, sip_server or home_agent."
    )
    sip_url: str | None = Field(None, description="SIP URL (correspondents).")


# --------------------------------------------------------------------------------------------
# Mobility and mobile hosts
# --------------------------------------------------------------------------------------------


def _xyz(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return (v[0], v[1], 0.0)
    return v


class WaypointMobility(_Model):
    """Walk a path of waypoints at a constant speed, pausing at each waypoint."""

    model: Literal["waypoints"] = "waypoints"
    waypoints_m: list[tuple[float, float, float]] = Field(
        min_length=1, description="Positions (x, y[, z]) in metres, visited in order."
    )
    speed_mps: float = Field(5.0, gt=0, le=100, description="Walking speed between waypoints.")
    pause_s: float = Field(0.0, ge=0, description="Pause at each waypoint.")
    start_s: float = Field(0.0, ge=0, description="Time the walk starts; before it the host waits"
                           " at the first waypoint.")

    @field_validator("waypoints_m", mode="before")
    @classmethod
    def _wps(cls, v: Any) -> Any:
        return [_xyz(p) for p in v] if isinstance(v, list) else v


class ConstantVelocityMobility(_Model):
    """Move in a straight line at a constant speed from a start position."""

    model: Literal["constant_velocity"] = "constant_velocity"
    position_m: tuple[float, float, float] = Field(description="Start position (x, y[, z]).")
    speed_mps: float = Field(5.0, ge=0, le=100, description="Speed (0 = stand still).")
    heading_deg: float = Field(0.0, description="Direction in the x-y plane, 0 = +x, 90 = +y.")

    @field_validator("position_m", mode="before")
    @classmethod
    def _pos(cls, v: Any) -> Any:
        return _xyz(v)


class RandomWaypointMobility(_Model):
    """ns-3 random waypoint: pick a random point in the area, walk there, pause, repeat."""

    model: Literal["random_waypoint"] = "random_waypoint"
    area_m: tuple[float, float, float, float] = Field(
        description="Rectangle (x_min, y_min, x_max, y_max) in metres."
    )
    speed_mps: float = Field(5.0, gt=0, le=100, description="Maximum speed.")
    min_speed_mps: float | None = Field(None, gt=0, description="Minimum speed; default = speed.")
    pause_s: float = Field(0.0, ge=0, description="Pause at each random waypoint.")

    @model_validator(mode="after")
    def _check(self) -> "RandomWaypointMobility":
        x0, y0, x1, y1 = self.area_m
        if x1 <= x0 or y1 <= y0:
            raise ValueError("area_m must be (x_min, y_min, x_max, y_max) with max > min")
        if self.min_speed_mps is not None and self.min_speed_mps > self.speed_mps:
            raise ValueError("min_speed_mps must not exceed speed_mps")
        return self


Mobility = Annotated[
    Union[WaypointMobility, ConstantVelocityMobility, RandomWaypointMobility],
    Field(discriminator="model"),
]
MOBILITY_MODELS = ("waypoints", "constant_velocity", "random_waypoint")


class MobileHosts(_Model):
    """The mobile hosts mh1..mhN. They share the scenario's ``mobility`` model."""

    count: int = Field(1, ge=1, le=1000, description="Number of mobile hosts.")
    permanent_prefix: str = Field(
        "10.0.0.0/24", description="Permanent (home) addresses, given out in order ([0027])."
    )
    sip_domain: str = Field("imm.example", description="SIP URLs are sip:mhN@<sip_domain>.")
    start_stagger_s: float = Field(
        0.0, ge=0, description="Host i starts its walk i * stagger seconds later (waypoints)."
    )
    tx_power_dbm: float | None = Field(None, ge=-10, le=30,
                                       description="Default: wifi.tx_power_dbm.")

    @field_validator("permanent_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _check_prefix(v)


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

    enabled: bool = Field(True, description="Send the probe flow (named 'probe').")
    rate_pps: float = Field(50.0, gt=0, le=100000, description="Packets per second per host.")
    size_bytes: int = Field(200, ge=16, le=1400, description="UDP payload size.")
    start_s: float = Field(1.0, ge=0, description="When the first probe packet is sent.")
    source: str | None = Field(None, description="Sending host; default: the first correspondent.")


class SipConfig(_Model):
    """SIP mobility for real-time traffic ([0071]-[0077]): active when the scenario has a host
    with role 'sip_server' and a correspondent."""

    enabled: bool = Field(True, description="Run the SIP agents, servers and the RTP flows.")
    call_at_s: float = Field(3.0, ge=0, description="When the correspondent calls each mobile host.")
    rtp_interval_s: float = Field(0.02, gt=0, le=1, description="RTP packet interval (20 ms voice).")
    rtp_payload_bytes: int = Field(160, ge=1, le=1400, description="RTP payload (160 = 20 ms PCMU).")
    expires_s: int = Field(3600, ge=10, le=86400, description="REGISTER expiry asked for.")


TCP_VARIANTS = ("newreno", "cubic", "bic", "highspeed", "htcp", "vegas", "westwood", "bbr")


class TcpConfig(_Model):
    """The TCP transfer from the correspondent host to each mobile host (named 'tcp'), addressed
    by the mobile host's permanent address and carried by ``macro_mobility.tcp``."""

    enabled: bool = Field(False, description="Run the transfer (needs a correspondent host);"
                          " on in patent-walk.")
    start_s: float = Field(4.0, ge=0, description="When the correspondent connects.")
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
            raise ValueError(f"unknown TCP variant {v!r}; allowed: {', '.join(TCP_VARIANTS)}")
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


class Failure(_Model):
    """A link or node that fails at ``at_s`` (and comes back at ``restore_s``) ([0039]-[0045])."""

    at_s: float = Field(ge=0, description="When it fails.")
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

    duration_s: float = Field(60.0, gt=0, le=1e6, description="Simulated time.")
    seed: int = Field(1, ge=1, lt=2**31, description="ns-3 RngRun; the CLI's --seed wins.")
    timeline_bin_s: float = Field(0.1, gt=0, le=60,
                                  description="Bin width of the 'timeline' table (goodput per flow).")


# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------


class Scenario(_Model):
    """A scenario file. Named things (sub-networks, domains, nodes, hosts) are tables keyed by
    their name; every name in a scenario is unique."""

    name: str = Field("unnamed", min_length=1, description="Name of the scenario (results use it).")
    description: str = Field("", description="Free text.")
    simulation: Simulation = Field(Simulation(), description="Length and seed.")
    wifi: WifiSpec = Field(WifiSpec(), description="802.11 settings of all radios.")
    links: LinkDefaults = Field(LinkDefaults(), description="Default wired link parameters.")
    addressing: Addressing = Field(Addressing(), description="Infrastructure addresses.")
    backbone: Backbone = Field(Backbone(), description="Backbone routers and links (112, Figure 1).")
    subnets: dict[str, Subnet] = Field(min_length=1, description="Sub-networks by name.")
    domains: dict[str, Domain] = Field(default_factory=dict, description="MMP domains by name.")
    nodes: dict[str, DomainNode] = Field(default_factory=dict,
                                         description="Gateways, intermediate nodes, base stations.")
    hosts: dict[str, Host] = Field(default_factory=dict, description="Fixed hosts by name.")
    mobile_hosts: MobileHosts = Field(MobileHosts(), description="How many mobile hosts, and their addresses.")
    mobility: Mobility = Field(description="Mobility model shared by the mobile hosts: see below.")
    mmp: MmpConfig = Field(MmpConfig(), description="MMP micro-mobility parameters.")
    drcp: DrcpConfig = Field(DrcpConfig(), description="DRCP parameters.")
    probe: ProbeConfig = Field(ProbeConfig(), description="The downlink probe flow.")
    sip: SipConfig = Field(SipConfig(), description="SIP mobility and the RTP flows.")
    tcp: TcpConfig = Field(TcpConfig(), description="The TCP transfer to each mobile host.")
    macro_mobility: MacroMobility = Field(
        MacroMobility(), description="Which mechanism carries TCP and real-time traffic.")
    failures: list[Failure] = Field(default_factory=list,
                                    description="Links and nodes to fail during the run.")

    @model_validator(mode="after")
    def _cross_check(self) -> "Scenario":
        problems = list(_cross_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # Convenience views --------------------------------------------------------------------
    def nodes_of(self, domain: str, role: str | None = None) -> list[str]:
        return [n for n, d in self.nodes.items()
                if d.domain == domain and (role is None or d.role == role)]

    def base_stations(self) -> list[str]:
        return [n for n, d in self.nodes.items() if d.role == "base_station"]


def _names(kind: str, d: dict) -> str:
    return ", ".join(sorted(d)) or f"(no {kind} declared)"


def _cross_problems(s: Scenario):
    """Yield one 'path: message' line per reference or structure problem."""
    routers = s.backbone.routers
    if len(set(routers)) != len(routers):
        yield "backbone.routers: router names must be unique"
    for i, link in enumerate(s.backbone.links):
        for end in ("a", "b"):
            r = getattr(link, end)
            if r not in routers:
                yield f"backbone.links.{i}.{end}: unknown router {r!r}; allowed: {', '.join(routers)}"
        if link.a == link.b:
            yield f"backbone.links.{i}: a link must join two different routers"
    # Routers must form one connected network.
    if len(routers) > 1:
        adj: dict[str, set[str]] = {r: set() for r in routers}
        for link in s.backbone.links:
            if link.a in adj and link.b in adj:
                adj[link.a].add(link.b)
                adj[link.b].add(link.a)
        seen, todo = {routers[0]}, [routers[0]]
        while todo:
            for nb in adj[todo.pop()] - seen:
                seen.add(nb)
                todo.append(nb)
        if seen != set(routers):
            yield (f"backbone.links: routers {', '.join(sorted(set(routers) - seen))} are not"
                   f" connected to {routers[0]}")

    nets: list[tuple[str, ipaddress.IPv4Network]] = []
    for name, sn in s.subnets.items():
        if sn.attach not in routers:
            yield f"subnets.{name}.attach: unknown backbone router {sn.attach!r}; allowed: {', '.join(routers)}"
        nets.append((f"subnets.{name}.prefix", ipaddress.IPv4Network(sn.prefix)))
    nets.append(("mobile_hosts.permanent_prefix", ipaddress.IPv4Network(s.mobile_hosts.permanent_prefix)))
    nets.append(("addressing.infrastructure_prefix", ipaddress.IPv4Network(s.addressing.infrastructure_prefix)))
    for i, (pa, na) in enumerate(nets):
        for pb, nb in nets[i + 1:]:
            if na.overlaps(nb):
                yield f"{pb}: {nb} overlaps {pa} ({na}); prefixes must be disjoint"

    for name, dom in s.domains.items():
        if dom.subnet not in s.subnets:
            yield f"domains.{name}.subnet: unknown sub-network {dom.subnet!r}; allowed: {_names('subnets', s.subnets)}"
        elif s.subnets[dom.subnet].kind != "wireless":
            yield f"domains.{name}.subnet: {dom.subnet!r} is a wired sub-network; domains belong to wireless ones"
    ids = [d.domain_id for d in s.domains.values() if d.domain_id is not None]
    if len(ids) != len(set(ids)):
        yield "domains: domain_id values must be unique"

    band = band_of(s.wifi.standard)
    allowed_channels = CHANNELS_24GHZ if band == "2.4GHz" else CHANNELS_5GHZ
    if s.wifi.mh_radios == 2 and s.wifi.standard not in ("802.11a", "802.11b", "802.11g"):
        yield (f"wifi.mh_radios: 2 radios need 802.11a, 802.11b or 802.11g (frame aggregation of"
               f" {s.wifi.standard} hides the frames the receive gate reads); got {s.wifi.standard}")
    if s.wifi.channel not in allowed_channels:
        yield (f"wifi.channel: {s.wifi.channel} is not a {band} channel of {s.wifi.standard};"
               f" allowed: {', '.join(map(str, allowed_channels))}")

    for name, node in s.nodes.items():
        where = f"nodes.{name}"
        if node.domain not in s.domains:
            yield f"{where}.domain: unknown domain {node.domain!r}; allowed: {_names('domains', s.domains)}"
            continue
        if node.role == "gateway" and node.uplinks:
            yield f"{where}.uplinks: a gateway has no up-links inside its domain (it is the top of the tree)"
        if node.role != "gateway" and not node.uplinks:
            yield f"{where}.uplinks: a {node.role} needs at least one up-link towards a gateway"
        ups = [u.node for u in node.uplinks]
        if len(set(ups)) != len(ups):
            yield f"{where}.uplinks: the same node is listed twice"
        for j, up in enumerate(ups):
            other = s.nodes.get(up)
            if other is None:
                yield f"{where}.uplinks.{j}: unknown node {up!r}"
            elif other.domain != node.domain:
                yield f"{where}.uplinks.{j}: {up!r} is in domain {other.domain!r}, not {node.domain!r}"
            elif other.role == "base_station":
                yield f"{where}.uplinks.{j}: {up!r} is a base station; up-links go to intermediate nodes or gateways"
        if node.role == "base_station":
            if node.position_m is None:
                yield f"{where}.position_m: a base station needs a position (x, y, z) in metres"
        else:
            for f in ("position_m", "tx_power_dbm"):
                if getattr(node, f) is not None:
                    yield f"{where}.{f}: only base stations have a radio; remove it from this {node.role}"

    # Every domain: at least one gateway and one base station, and no cycle in its up-links
    # (each node reaches a gateway).
    for name in s.domains:
        members = s.nodes_of(name)
        if not any(s.nodes[m].role == "gateway" for m in members):
            yield f"domains.{name}: no node with role 'gateway' in this domain"
        if not any(s.nodes[m].role == "base_station" for m in members):
            yield f"domains.{name}: no node with role 'base_station' in this domain"
    for name, node in s.nodes.items():
        if node.domain in s.domains and node.role != "gateway" and not _reaches_gateway(s, name):
            yield f"nodes.{name}.uplinks: the up-links of {name!r} form a cycle and reach no gateway"
    for name, sn in s.subnets.items():
        if sn.kind == "wireless" and not any(d.subnet == name for d in s.domains.values()):
            yield f"subnets.{name}: a wireless sub-network needs at least one domain"
    if not s.base_stations():
        yield "nodes: the scenario has no base station"

    for name, host in s.hosts.items():
        if host.subnet not in s.subnets:
            yield f"hosts.{name}.subnet: unknown sub-network {host.subnet!r}; allowed: {_names('subnets', s.subnets)}"
        elif s.subnets[host.subnet].kind != "wired":
            yield f"hosts.{name}.subnet: {host.subnet!r} is wireless; fixed hosts sit on wired sub-networks"

    if s.probe.enabled:
        cors = [h for h, host in s.hosts.items() if host.role == "correspondent"]
        if s.probe.source is not None and s.probe.source not in cors:
            yield (f"probe.source: {s.probe.source!r} is not a correspondent host; allowed:"
                   f" {', '.join(cors) or '(none declared)'}")
        elif not cors:
            yield "probe.enabled: the probe needs a host with role 'correspondent' (or set it false)"

    roles = {h.role for h in s.hosts.values()}
    mm = s.macro_mobility
    uses = ({mm.tcp} if s.tcp.enabled else set()) | ({mm.realtime} if s.sip.enabled else set())
    for mech, role in (("miplr", "home_location_register"), ("mip", "home_agent")):
        if mech in uses and role not in roles:
            which = [f"macro_mobility.{k}" for k in ("tcp", "realtime")
                     if getattr(mm, k) == mech and (s.tcp.enabled if k == "tcp" else s.sip.enabled)]
            yield (f"{which[0]}: '{mech}' needs a host with role '{role}'; add one or choose"
                   f" another mechanism")
    if s.tcp.enabled and "correspondent" not in roles:
        yield "tcp.enabled: the TCP transfer needs a host with role 'correspondent' (or set it false)"

    all_names = (list(routers) + list(s.subnets) + list(s.domains) + list(s.nodes) + list(s.hosts)
                 + [f"mh{i + 1}" for i in range(s.mobile_hosts.count)])
    dupes = sorted({n for n in all_names if all_names.count(n) > 1})
    if dupes:
        yield f"names: {', '.join(dupes)} used for more than one thing; every name must be unique"


def _reaches_gateway(s: Scenario, start: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        n = todo.pop()
        if n in seen or n not in s.nodes:
            continue
        seen.add(n)
        if s.nodes[n].role == "gateway":
            return True
        todo.extend(u.node for u in s.nodes[n].uplinks)
    return False


# --------------------------------------------------------------------------------------------
# Loading, overrides, error formatting
# --------------------------------------------------------------------------------------------


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("imm_ns3") / "scenarios" / f"{name}.toml"))


def read_scenario_dict(source: str | Path) -> tuple[dict, str]:
    """Read a scenario file, or a built-in scenario by name, into a plain dict."""
    src = str(source)
    if src in BUILTIN_SCENARIOS:
        path = builtin_path(src)
    else:
        path = Path(src)
        if not path.exists():
            raise ScenarioError([
                f"scenario: no file {src!r} and no built-in scenario of that name;"
                f" built-in: {', '.join(BUILTIN_SCENARIOS)}"
            ])
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([f"scenario: {path} is not valid TOML: {e}"]) from None
    except OSError as e:
        raise ScenarioError([f"scenario: cannot read {path}: {e.strerror}"]) from None
    return data, str(path)


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``; VALUE is read as a TOML value, else taken as a string."""
    if "=" not in item:
        raise ScenarioError([f"--set {item}: expected KEY=VALUE, e.g. mobility.speed_mps=10"])
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError([f"--set {item}: KEY must be a dotted path such as wifi.channel"])
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a field annotation."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif _is_union(tp) and len([a for a in get_args(tp) if a is not type(None)]) == 1:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _models_in(tp: Any) -> list[type[BaseModel]]:
    """The pydantic models a field may hold (several for a discriminated union)."""
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if _is_union(tp):
        return [a for a in get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
    return []


def check_override_path(data: dict, key: str) -> None:
    """Raise ScenarioError unless ``key`` names a field of the scenario schema.

    Maps of named things (``nodes``, ``domains``, ...) need an existing name at that level;
    fields of models may be absent from the file (their default is then overridden).
    """
    parts = key.split(".")
    model: Any = Scenario
    raw: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        models = _models_in(model)
        if models:
            candidates = models
            if len(models) > 1 and isinstance(raw, dict) and "model" in raw:
                candidates = [m for m in models
                              if m.model_fields.get("model") is not None
                              and raw["model"] in get_args(_unwrap(m.model_fields["model"].annotation))
                              ] or models
            fields = {}
            for m in candidates:
                fields.update(m.model_fields)
            if part not in fields:
                raise ScenarioError([
                    f"--set {key}: {here!r} is not a scenario field; allowed at this level:"
                    f" {', '.join(sorted(fields))}"
                ])
            model = fields[part].annotation
            raw = raw.get(part) if isinstance(raw, dict) else None
            continue
        origin = get_origin(_unwrap(model))
        if origin is dict:
            names = raw if isinstance(raw, dict) else {}
            if part not in names:
                raise ScenarioError([
                    f"--set {key}: no entry {part!r} under {'.'.join(parts[:i])!r}; existing:"
                    f" {', '.join(sorted(names)) or '(none)'}"
                ])
            model = get_args(_unwrap(model))[1]
            raw = names[part]
            continue
        if origin in (list, tuple) and part.isdigit():
            args = get_args(_unwrap(model))
            model = args[0] if args else Any
            raw = raw[int(part)] if isinstance(raw, list) and int(part) < len(raw) else None
            if raw is None:
                raise ScenarioError([f"--set {key}: index {part} is out of range"])
            continue
        raise ScenarioError([
            f"--set {key}: {'.'.join(parts[:i])!r} is a value, it has no field {part!r}"
        ])


def apply_overrides(data: dict, overrides: list[str] | dict[str, Any]) -> dict:
    """Return a copy of ``data`` with each ``KEY=VALUE`` override applied by dotted path."""
    out = copy.deepcopy(data)
    items = overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides)
    for key, value in items:
        check_override_path(out, key)
        parts = key.split(".")
        node: Any = out
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
            else:
                node = node.setdefault(part, {})
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    return out


def _format_loc(loc: tuple) -> str:
    # Drop pydantic's union tags (e.g. 'waypoints' for the mobility union) from the path.
    parts = []
    for p in loc:
        if isinstance(p, str) and p in MOBILITY_MODELS and parts and parts[-1] == "mobility":
            continue
        parts.append(str(p))
    return ".".join(parts)


def format_validation_error(err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors(include_url=False):
        loc = _format_loc(tuple(e["loc"]))
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown field; check the spelling (see docs/scenario.md)")
        elif e["type"] == "missing":
            lines.append(f"{loc}: required field is missing")
        elif e["type"] == "union_tag_invalid":
            lines.append(f"{loc}.model: must be one of {', '.join(MOBILITY_MODELS)};"
                         f" got {e.get('input', {}).get('model')!r}" if isinstance(e.get("input"), dict)
                         else f"{loc}: {msg}")
        elif e["type"] == "union_tag_not_found":
            lines.append(f"{loc}.model: required; one of {', '.join(MOBILITY_MODELS)}")
        elif "\n" in msg:
            # Cross-field problems already carry their own paths.
            lines.extend(msg.split("\n"))
        else:
            got = e.get("input")
            shown = ("" if isinstance(got, (dict, list)) or e["type"] == "value_error"
                     else f" (got {got!r})")
            if loc and msg.startswith(loc + "."):
                lines.append(msg)  # the message already names the field below this location
            else:
                lines.append(f"{loc}: {msg}{shown}" if loc else msg)
    return lines


def validate_dict(data: dict) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(format_validation_error(e)) from None


def load_scenario(source: str | Path = DEFAULT_SCENARIO,
                  overrides: list[str] | dict[str, Any] | None = None) -> Scenario:
    """Load a scenario file or built-in name, apply ``--set`` overrides, validate."""
    data, _ = read_scenario_dict(source)
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_dict(data)
