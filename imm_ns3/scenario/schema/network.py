"""Links, WiFi, addressing; the network: backbone, sub-networks, domains, domain nodes, hosts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from ..radio import TIME_UNIT_S, WIFI_STANDARDS
from ..errors import shown
from .base import _Model, _check_prefix, _xyz


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
