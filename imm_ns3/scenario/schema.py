"""The scenario schema: pydantic models of every table of a scenario file, field by field with
units, bounds and the specification's paragraphs. Cross-references between tables are checked
by :mod:`.checks`; reading files and ``--set`` overrides live in :mod:`.loading`.

Units are in the field names: ``_s`` seconds, ``_m`` metres, ``_mps`` metres per second,
``_mbps`` megabits per second, ``_ms`` milliseconds, ``_dbm`` dBm, ``_db`` dB.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from .radio import TIME_UNIT_S, WIFI_STANDARDS
from .errors import PROBLEM_SEPARATOR, cut, shown
from .schema_names import _HOSTNAME_RE, check_name


MAX_COORDINATE_M = 1e6  # positions within 1000 km of the origin: ns-3's mobility stays exact
MAX_DURATION_S = 1e6  # the longest run (simulation.duration_s); ns2 trace times and packet intervals too
MIN_PERIOD_S = 1e-6  # an onoff flow's mean on- and off-periods: at least 1 microsecond
MAX_TRACE_BYTES = 64 * 1024 * 1024  # an ns-2 trace file


def _accepts_bool(tp: Any) -> bool:
    if tp is bool:
        return True
    return any(_accepts_bool(a) for a in get_args(tp))


def _holds_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return True
    if isinstance(v, (list, tuple)):
        return any(_holds_bool(x) for x in v)
    return False


class _Model(BaseModel):
    # No infinities or NaN anywhere: ns-3 aborts on them (a link delay of inf, a position of nan).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        # pydantic would read true as 1 and false as 0: say so instead. (A model-level check: a
        # field validator on "*" would also run on the mobility union's tag.) "@field: ..."
        # lines are placed under the model's path by loading.format_validation_error.
        if isinstance(data, dict):
            bad = [f"@{k}: true/false is not allowed here (got {v!r})"
                   for k, v in data.items()
                   if k in cls.model_fields and _holds_bool(v)
                   and not _accepts_bool(cls.model_fields[k].annotation)]
            if bad:
                raise ValueError(PROBLEM_SEPARATOR.join(bad))
        return data


# --------------------------------------------------------------------------------------------
# Links, WiFi, addressing
# --------------------------------------------------------------------------------------------


class LinkSpec(_Model):
    """A wired point-to-point or LAN link."""

    rate_mbps: float = Field(100.0, gt=0, description="Line rate in Mbit/s.")
    delay_ms: float = Field(1.0, ge=0, description="One-way propagation delay in ms.")
    loss: float = Field(0.0, ge=0, le=0.5,
                        description="Probability that a packet is lost, at each receiving end"
                        " independently (ns-3 RateErrorModel per packet).")


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
    shadowing_db: float = Field(
        0.0, ge=0, le=20,
        description="Log-normal shadowing: standard deviation (dB) of a Gaussian term added to"
        " the loss of every pair of radios, the same both ways, that stays while both stand"
        " still and decorrelates as they move (Gudmundson's model; indoor and urban"
        " measurements: 4-12 dB). 0: none, the loss is a function of distance alone.")
    shadowing_decorrelation_m: float = Field(
        20.0, ge=1e-6, le=1000,
        description="Distance the two radios of a pair move in all over which their shadowing"
        " term decorrelates to 1/e (outdoor measurements: 10-100 m; indoor: a few metres);"
        " 1e-6 to 1000 m (ns-3's model takes no less than a micrometre).")
    fading: Literal["none", "rayleigh", "nakagami"] = Field(
        "none",
        description="Fast fading, drawn for every frame and receiver independently (ns-3"
        " NakagamiPropagationLossModel): 'rayleigh' (m = 1, no line of sight), 'nakagami'"
        " (m = fading_m; larger m, a stronger line of sight), 'none'.")
    fading_m: float = Field(
        3.0, ge=0.5, le=50, description="Nakagami shape parameter m (fading = 'nakagami').")


class WifiSpec(_Model):
    """802.11 settings of every base station (access point) and mobile host (station)."""

    standard: str = Field("802.11g", description=f"One of {', '.join(WIFI_STANDARDS)}.")
    ssid: str = Field("imm", min_length=1, max_length=32, description="One ESS for all BSs.")
    channel: int = Field(
        1,
        description="Channel of every base station without its own `channel`, and the one the"
        " stations start on (if no base station uses it: the lowest one they use). With every"
        " cell on one channel the stations scan only it (ns-3's"
        " own scanning); when base stations use several channels (a channel plan, e.g. 1, 6,"
        " 11) a station's scan visits each of them in turn, in ascending order, dwelling"
        " probe_request_timeout_s on each (active) or ns-3's 120 ms (passive), then joins the"
        " best: a scan costs about that many dwells, part of the layer-2 handoff latency.",
    )
    tx_power_dbm: float = Field(16.0, ge=-10, le=30, description="Default transmit power.")
    loss: float = Field(0.0, ge=0, le=0.5,
                        description="Probability that a frame decoded by a radio is lost anyway"
                        " (every frame, beacons and acknowledgements included; each receiver"
                        " independently): loss beyond the propagation model.")
    beacon_interval_s: float = Field(
        0.1024, gt=0, le=10,
        description="802.11 beacon interval: a whole number of time units (1 TU = 1.024 ms).")
    max_missed_beacons: int = Field(
        5, ge=1, le=100, description="Beacons a station may miss before it leaves its AP."
    )
    active_probing: bool = Field(
        True, strict=True, description="Stations send probe requests when scanning instead of only listening."
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
            raise ValueError(f"must be one of {', '.join(WIFI_STANDARDS)}; got {shown(v)}")
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
    channel: int | None = Field(
        None, description="Base stations: the access point's channel; default: wifi.channel."
        " Frames on different channels neither reach nor disturb each other (no adjacent-channel"
        " interference: use non-overlapping channels, 1/6/11 on 2.4 GHz).")

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
    role: Literal["correspondent", "home_location_register", "sip_server", "home_agent",
                  "attacker"] = Field(
        description="correspondent, home_location_register, sip_server, home_agent or attacker"
        " (runs nothing of its own; [[attacks]] send from it, and whatever reaches it is counted"
        " and dropped)."
    )
    sip_url: str | None = Field(None, description="SIP URL (correspondents).")


# --------------------------------------------------------------------------------------------
# Mobility and mobile hosts
# --------------------------------------------------------------------------------------------


def _xyz(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        v = (v[0], v[1], 0.0)
    if isinstance(v, (list, tuple)):
        for x in v:
            if (isinstance(x, (int, float)) and not isinstance(x, bool)
                    and math.isfinite(x) and abs(x) > MAX_COORDINATE_M):
                raise ValueError(f"coordinates within {MAX_COORDINATE_M:g} m of the origin, got {x!r}")
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
    heading_deg: float = Field(0.0, ge=-360, le=360,
                               description="Direction in the x-y plane, 0 = +x, 90 = +y.")

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


class Ns2TraceMobility(_Model):
    """Follow an ns-2 movement trace (the format of ns-3's Ns2MobilityHelper, written by ns-2's
    setdest and by BonnMotion): ``$node_(i) set X_ x`` lines for the start and ``$ns_ at t
    "$node_(i) setdest x y speed"`` lines for the walks (imm_ns3/ns2trace.py). Host k of the
    group (or of the scenario) follows the trace's node ``first_node + k``."""

    model: Literal["ns2_trace"] = "ns2_trace"
    file: str = Field(min_length=1, description="The trace file; a relative path is taken from the"
                      " scenario file's directory (from the working directory for a scenario"
                      " given as a table). A regular file of at most 64 MiB; node ids, times,"
                      " coordinates and speeds are bounded (docs/limits.md).")
    first_node: int = Field(0, ge=0, le=10**6, description="The trace node the first host follows.")
    _points: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _read(self) -> "Ns2TraceMobility":
        from pathlib import Path

        from ..ns2trace import TraceError, parse
        from .files import FileProblem, read_regular_file

        # "@file: ..." lines are placed under the model's path (mobility.file: ...).
        path = Path(self.file).expanduser()
        try:
            text = read_regular_file(path, MAX_TRACE_BYTES).decode("utf-8")
        except FileProblem as e:
            raise ValueError(f"@file: {e}") from None
        except UnicodeDecodeError as e:
            raise ValueError(f"@file: cannot read {cut(self.file)}: not UTF-8 text (byte"
                             f" {e.start}); an ns-2 movement trace expected") from None
        try:
            self._points = parse(text, where=cut(path.name, 80))
        except TraceError as e:
            raise ValueError(f"@file: {e}") from None
        return self

    def nodes(self) -> list[int]:
        return sorted(self._points)

    def points(self, k: int) -> list:
        """The (time, position) points of the group's host k."""
        return self._points[self.first_node + k]


Mobility = Annotated[
    Union[WaypointMobility, ConstantVelocityMobility, RandomWaypointMobility, Ns2TraceMobility],
    Field(discriminator="model"),
]
MOBILITY_MODELS = ("waypoints", "constant_velocity", "random_waypoint", "ns2_trace")
MOBILITY_CLASSES = (WaypointMobility, ConstantVelocityMobility, RandomWaypointMobility,
                    Ns2TraceMobility)


class MobileHostGroup(_Model):
    """A group of mobile hosts with its own mobility model (``[[mobile_hosts.groups]]``)."""

    count: int = Field(ge=1, le=1000, description="Hosts in the group.")
    mobility: Mobility = Field(description="The group's mobility model (as ``mobility``).")
    start_stagger_s: float = Field(
        0.0, ge=0, description="Host i of the group starts its walk i * stagger seconds later"
        " (waypoints).")


class MobileHosts(_Model):
    """The mobile hosts mh1..mhN. They share the scenario's ``mobility`` model, or each group of
    ``groups`` has its own."""

    count: int = Field(1, ge=1, le=1000, description="Number of mobile hosts (with groups:"
                       " their sum; leave it out).")
    groups: list[MobileHostGroup] = Field(
        default_factory=list,
        description="Groups of hosts, each with its own mobility model, numbered on from mh1 in"
        " order, e.g. [[mobile_hosts.groups]] count = 60, mobility = {model ="
        " \"random_waypoint\", ...}. Replaces the scenario's ``mobility``.")

    @model_validator(mode="before")
    @classmethod
    def _count_from_groups(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("groups") and "count" not in data:
            try:
                data = {**data, "count": sum(int(g["count"]) for g in data["groups"])}
            except (TypeError, ValueError, KeyError):
                pass  # the groups' own validation says what is wrong
        return data

    @model_validator(mode="after")
    def _groups_add_up(self) -> "MobileHosts":
        if self.groups and self.count != sum(g.count for g in self.groups):
            raise ValueError(f"count: {self.count}, but the groups hold"
                             f" {sum(g.count for g in self.groups)} hosts; leave count out with groups")
        return self
    permanent_prefix: str = Field(
        "10.0.0.0/24", description="Permanent (home) addresses, given out in order ([0027])."
    )
    sip_domain: str = Field("imm.example", description="SIP URLs are sip:mhN@<sip_domain>"
                            " (a host name of RFC 3261).")

    @field_validator("sip_domain")
    @classmethod
    def _sip_domain(cls, v: str) -> str:
        if not _HOSTNAME_RE.match(v):
            raise ValueError("a host name such as 'imm.example' (letters, digits, inner hyphens,"
                             f" dot-separated labels), got {shown(v)}")
        return v
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


TCP_VARIANTS = ("newreno", "cubic", "bic", "highspeed", "htcp", "vegas", "westwood", "bbr")


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
                  5060: "SIP", 40000: "RTP", 40001: "RTCP", 40002: "RTP", 40003: "RTCP"}


class Flow(_Model):
    """A traffic flow of the researcher's own (``[[flows]]``), generated in C++ like the built-in
    ones: from a fixed host to a fixed host or a mobile host, or (UDP kinds) from a mobile host
    to a fixed host, sent from whatever care-of address the host has. To a mobile host it is addressed
    by the host's permanent address and carried by the mechanism the policy gives its traffic
    class (``macro_mobility.tcp`` for tcp_bulk, ``macro_mobility.realtime`` for the UDP kinds;
    MIP-LR or Mobile IP), or sent to the care-of address the host has when it starts
    (``dst_address = "care_of"``: no macro-mobility, as an application that resolved the host
    once). It appears in ``flows.parquet`` and ``timeline.parquet`` under its name.

    ``udp_cbr``: ``packet_bytes`` UDP payloads at ``rate_kbps`` from start_s to stop_s, each
    with a sequence number and its send time (losses, duplicates, one-way delays).
    ``onoff``: the same during on-periods; on and off periods drawn from exponential
    distributions with means ``on_s`` and ``off_s`` (from the run's seed), starting on.
    ``tcp_bulk``: a TCP connection that writes at ``rate_kbps`` (0: as fast as TCP goes) from
    start_s until stop_s, segments of ``packet_bytes``; every byte is checked at the sink."""

    name: str = Field(description="Unique among the flows; not probe, rtp or tcp (the built-in"
                      " flows). Letters, digits, '.', '_', '-'.")
    kind: Literal[FLOW_KINDS] = Field(description=", ".join(FLOW_KINDS) + ".")
    src: str = Field(description="A fixed host (a name under [hosts]), or for the UDP kinds a"
                     " mobile host mh1 .. mhN (to a fixed host).")
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
# The scenario
# --------------------------------------------------------------------------------------------


class Scenario(_Model):
    """A scenario file. Named things (sub-networks, domains, nodes, hosts) are tables keyed by
    their name; every name in a scenario is unique."""

    name: str = Field("unnamed", min_length=1, description="Name of the scenario (results use it:"
                      " letters, digits, '.', '_', '-').")
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
    mobility: Mobility | None = Field(
        None, description="Mobility model shared by the mobile hosts: see below. Required unless"
        " mobile_hosts.groups gives each group its own.")
    mmp: MmpConfig = Field(MmpConfig(), description="MMP micro-mobility parameters.")
    drcp: DrcpConfig = Field(DrcpConfig(), description="DRCP parameters.")
    probe: ProbeConfig = Field(ProbeConfig(), description="The downlink probe flow.")
    sip: SipConfig = Field(SipConfig(), description="SIP mobility and the RTP flows.")
    tcp: TcpConfig = Field(TcpConfig(), description="The TCP transfer to each mobile host.")
    macro_mobility: MacroMobility = Field(
        MacroMobility(), description="Which mechanism carries TCP and real-time traffic.")
    failures: list[Failure] = Field(default_factory=list,
                                    description="Links and nodes to fail during the run.")
    security: Security = Field(Security(), description="Authentication of location management.")
    attacks: list[Attack] = Field(default_factory=list,
                                  description="Forgeries against mobile hosts (docs/security.md).")
    flows: list[Flow] = Field(default_factory=list,
                              description="Traffic flows of your own (docs/scenario.md).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v, "a file-name-safe name")

    @model_validator(mode="after")
    def _cross_check(self) -> "Scenario":
        from .checks import cross_problems

        if self.mobile_hosts.groups and self.mobility is not None:
            raise ValueError("mobility: give either mobility (every host) or mobile_hosts.groups"
                             " (each group its own), not both")
        if not self.mobile_hosts.groups and self.mobility is None:
            raise ValueError("mobility: required (a table with model = \"waypoints\","
                             " \"constant_velocity\" or \"random_waypoint\"), unless"
                             " mobile_hosts.groups gives each group its own")

        problems = list(cross_problems(self))
        if problems:
            raise ValueError(PROBLEM_SEPARATOR.join(problems))
        return self

    # Convenience views --------------------------------------------------------------------
    def host_mobility(self) -> list[tuple[Any, int, float]]:
        """Per mobile host, in order: (its mobility model, its index in its group, the group's
        start stagger)."""
        if not self.mobile_hosts.groups:
            return [(self.mobility, i, self.mobile_hosts.start_stagger_s)
                    for i in range(self.mobile_hosts.count)]
        return [(g.mobility, i, g.start_stagger_s) for g in self.mobile_hosts.groups
                for i in range(g.count)]


    def nodes_of(self, domain: str, role: str | None = None) -> list[str]:
        return [n for n, d in self.nodes.items()
                if d.domain == domain and (role is None or d.role == role)]

    def base_stations(self) -> list[str]:
        return [n for n, d in self.nodes.items() if d.role == "base_station"]
