"""Build the ns-3 network of a :class:`~imm_ns3.topology.Topology`, one object per plan entry.

Wired links are ns-3 point-to-point links, a wired sub-network is a CSMA LAN, base stations are
``ApWifiMac`` access points and mobile hosts ``StaWifiMac`` stations on one YANS channel, all in
one ESS. Every address is assigned exactly as the plan says (no helper-chosen addresses), and
unicast routing between fixed nodes is ns-3's global routing, computed once the addresses are
set. The MMP routing inside domains is added by the MMP adapter on top of this.

Teardown rule (PLATFORM-NOTES "Traces and files"): pcap files are only flushed and closed when
the devices die, which needs every Python reference to them dropped before
``Simulator::Destroy``; :meth:`Network.close` does that.
"""

from __future__ import annotations

import gc
import ipaddress
from pathlib import Path
from typing import Any

from ..scenario import (
    ConstantVelocityMobility,
    RandomWaypointMobility,
    WaypointMobility,
    band_of,
)
from ..topology import (
    Topology,
    channel_mhz,
    neighbour_address,
    reference_loss_db,
    scan_channels,
    static_routes,
    station_channel,
    waypoint_schedule,
)
from .runtime import Bridge, compile_extension

_STANDARDS = {
    "802.11a": "WIFI_STANDARD_80211a",
    "802.11b": "WIFI_STANDARD_80211b",
    "802.11g": "WIFI_STANDARD_80211g",
    "802.11n-2.4GHz": "WIFI_STANDARD_80211n",
    "802.11n-5GHz": "WIFI_STANDARD_80211n",
    "802.11ac": "WIFI_STANDARD_80211ac",
}

# Random streams are assigned explicitly, so a run's randomness depends on its seed only (not on
# what ran before it in the process, nor on creation order).
_STREAM_BASE = 100  # internet stack, then WiFi: each block starts where the last one ended
_STREAM_MOBILITY = 1_000_000  # mobility models: 10 streams per mobile host from here


class Network:
    """The ns-3 objects of one run, reachable by the names of the plan."""

    def __init__(self, topo: Topology, bridge: Bridge):
        self.topo = topo
        self.bridge = bridge
        self.ns = bridge.ns
        self.nodes: dict[str, Any] = {}
        self.node_ids: dict[str, int] = {}
        # (node, peer) -> device on node's side of the wired link to peer
        self.p2p_devices: dict[tuple[str, str], Any] = {}
        self.lan_devices: dict[str, Any] = {}
        self.ap_devices: dict[str, Any] = {}
        self.sta_devices: dict[str, Any] = {}  # the (leading) station radio of each host
        self.sta_trailing: dict[str, Any] = {}  # the second radio, with wifi.mh_radios = 2
        self.bs_by_mac: dict[int, str] = {}
        self.mobility: dict[str, Any] = {}
        self._keep: list[Any] = []  # helpers whose lifetime must match the run
        self.next_stream = 0  # first random stream number not yet assigned
        self.loss_models: list[Any] = []  # links.*.loss, wifi.loss: streams assigned last

    # ---- queries used by tests and protocol adapters -----------------------------------
    def ipv4(self, name: str) -> Any:
        return self.nodes[name].GetObject[self.ns.Ipv4]()

    def addresses(self, name: str) -> list[str]:
        ip = self.ipv4(name)
        out = []
        for i in range(1, ip.GetNInterfaces()):
            for j in range(ip.GetNAddresses(i)):
                out.append(str(ip.GetAddress(i, j).GetLocal()))
        return out

    def position(self, name: str) -> tuple[float, float, float]:
        mm = self.nodes[name].GetObject[self.ns.MobilityModel]()
        p = mm.GetPosition()
        return (p.x, p.y, p.z)

    def close(self) -> None:
        """Drop every reference to ns-3 objects (before Simulator::Destroy)."""
        for attr in ("nodes", "p2p_devices", "lan_devices", "ap_devices", "sta_devices",
                     "sta_trailing", "mobility"):
            getattr(self, attr).clear()
        self._keep.clear()
        gc.collect()
        _freeze_once()


_frozen = False


def _freeze_once() -> None:
    """After a process's first run: what is alive then (the modules, ns-3's and the shims'
    bindings: some 80,000 objects) is moved out of the collector's sight for good, so each later
    run's collections (the one above, before Simulator::Destroy, and those during the run) scan
    only what runs made: ~80 ms less per run of patent-walk's size. Once only: objects created
    between runs are never frozen (their cycles would never be collected)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def _add_address(net: "Network", node: Any, dev: Any, addr: ipaddress.IPv4Address,
                 network: ipaddress.IPv4Network) -> int:
    return int(net.bridge.c.AddInterfaceAddress(node, dev, int(addr), int(network.netmask)))


def build_network(topo: Topology, bridge: Bridge, pcap_dir: Path | None = None) -> Network:
    compile_extension("builder.h")  # the C++ calls below that make links, LANs, radios, positions
    ns = bridge.ns
    net = Network(topo, bridge)

    # Nodes, in plan order (ns-3 node ids follow it).
    for name in topo.nodes:
        node = ns.CreateObject[ns.Node]()
        ns.Names.Add(name, node)
        net.nodes[name] = node
        net.node_ids[name] = int(node.GetId())
    internet = ns.InternetStackHelper()
    all_nodes = ns.NodeContainer()
    for node in net.nodes.values():
        internet.Install(node)
        all_nodes.Add(node)
    net.next_stream = _STREAM_BASE + int(internet.AssignStreams(all_nodes, _STREAM_BASE))

    # Wired point-to-point links.
    for lk in topo.links:
        devs = bridge.c.InstallP2p(net.nodes[lk.a], net.nodes[lk.b], f"{lk.rate_mbps}Mbps", f"{lk.delay_ms}ms",
                                   "" if pcap_dir is None else str(pcap_dir / f"{lk.a}-{lk.b}.pcap"),
                                   "" if pcap_dir is None else str(pcap_dir / f"{lk.b}-{lk.a}.pcap"))
        da, db = devs.Get(0), devs.Get(1)
        net.p2p_devices[(lk.a, lk.b)] = da
        net.p2p_devices[(lk.b, lk.a)] = db
        _add_address(net, net.nodes[lk.a], da, lk.addr_a, lk.network)
        _add_address(net, net.nodes[lk.b], db, lk.addr_b, lk.network)
        if lk.loss > 0:
            for d in (da, db):
                d.SetAttribute("ReceiveErrorModel", ns.PointerValue(_loss_model(net, lk.loss)))

    # Wired sub-networks: one CSMA LAN each.
    for lan in topo.lans:
        members = ns.NodeContainer()
        for m in lan.members:
            members.Add(net.nodes[m])
        pcaps = "\n".join("" if pcap_dir is None else str(pcap_dir / f"{m}-lan.pcap") for m in lan.members)
        devs = bridge.c.InstallCsma(members, f"{lan.rate_mbps}Mbps", f"{lan.delay_ms}ms", pcaps)
        for i, (m, addr) in enumerate(zip(lan.members, lan.addresses)):
            dev = devs.Get(i)
            net.lan_devices[m] = dev
            if lan.loss > 0:
                dev.SetAttribute("ReceiveErrorModel", ns.PointerValue(_loss_model(net, lan.loss)))
            _add_address(net, net.nodes[m], dev, addr, lan.network)

    _build_wifi(net, pcap_dir)
    _build_mobility(net)
    _install_static_routes(net)
    # The loss models' random streams come after every other one, so a scenario without
    # loss draws exactly what it drew before the knob existed.
    for em in net.loss_models:
        net.next_stream += int(em.AssignStreams(net.next_stream))
    return net


def _loss_model(net: Network, rate: float) -> Any:
    """A per-packet RateErrorModel (links.*.loss, wifi.loss), kept for stream assignment."""
    ns = net.ns
    em = ns.CreateObject[ns.RateErrorModel]()
    em.SetRate(rate)
    em.SetUnit(ns.RateErrorModel.ERROR_UNIT_PACKET)
    net.loss_models.append(em)
    return em


def _install_static_routes(net: Network) -> None:
    """The fixed network's unicast routes, as planned by :func:`topology.static_routes`.

    (ns-3's global routing cannot be used: it treats the one WiFi channel as one broadcast
    link and aborts when base stations of different sub-networks share it.)
    """
    ns, topo = net.ns, net.topo
    helper = ns.Ipv4StaticRoutingHelper()
    for name, routes in static_routes(topo).items():
        ipv4 = net.ipv4(name)
        sr = helper.GetStaticRouting(ipv4)
        for r in routes:
            addr, kind = neighbour_address(topo, name, r.via)
            dev = net.p2p_devices[(name, r.via)] if kind == "p2p" else net.lan_devices[name]
            iface = ipv4.GetInterfaceForDevice(dev)
            if r.dest is None:
                net.bridge.c.AddStaticRoute(sr, True, 0, 0, int(addr), iface)
            else:
                net.bridge.c.AddStaticRoute(sr, False, int(r.dest.network_address),
                                            int(r.dest.netmask), int(addr), iface)


def _build_wifi(net: Network, pcap_dir: Path | None) -> None:
    ns, topo, c = net.ns, net.topo, net.bridge.c
    w = topo.scenario.wifi
    band = "BAND_2_4GHZ" if band_of(w.standard) == "2.4GHz" else "BAND_5GHZ"
    width = 22 if w.standard == "802.11b" else 20

    p = w.propagation
    if p.shadowing_db > 0:
        compile_extension("propagation.h").ShadowingLossModel.GetTypeId()  # registers the name
    a, b = {"log_distance": (p.exponent, reference_loss_db(topo)),
            "friis": (channel_mhz(topo) * 1e6, 0.0)}.get(p.model, (p.range_m, 0.0))
    fading_m = 0.0 if p.fading == "none" else 1.0 if p.fading == "rayleigh" else p.fading_m
    channel = c.MakeYansChannel(p.model, a, b, p.shadowing_db, p.shadowing_decorrelation_m, fading_m)

    ht = w.standard in ("802.11n-2.4GHz", "802.11n-5GHz", "802.11ac")
    mode = ""
    if w.rate_manager == "minstrel":
        manager = "ns3::MinstrelHtWifiManager" if ht else "ns3::MinstrelWifiManager"
    elif w.rate_manager == "aarf":
        manager = "ns3::AarfWifiManager"
    elif w.rate_manager == "ideal":
        manager = "ns3::IdealWifiManager"
    else:
        manager = "ns3::ConstantRateWifiManager"
        mode = {"802.11b": "DsssRate1Mbps", "802.11g": "ErpOfdmRate6Mbps"}.get(w.standard, "OfdmRate6Mbps")
        if ht:
            mode = "HtMcs0" if w.standard != "802.11ac" else "VhtMcs0"

    def settings(ch: int) -> str:
        return f"{{{ch}, {width}, {band}, 0}}"

    start = station_channel(topo.scenario)  # the stations' (and the installer's) channel
    wifi = c.WifiInstaller(channel, int(getattr(ns, _STANDARDS[w.standard])), manager, mode,
                           settings(start), w.ssid)
    net._keep.append(wifi)
    # A channel plan: stations scan every channel the base stations use (channel_scan.h).
    plan = scan_channels(topo.scenario)
    if plan:
        compile_extension("channel_scan.h", after_destroy=("ResetChannelScanCounts",)).RegisterChannelScan()
    scan = ",".join(map(str, plan))

    def pcap(name: str) -> str:
        return "" if pcap_dir is None else str(pcap_dir / f"{name}.pcap")

    for bs, radio in topo.radios.items():
        dev = wifi.Ap(net.nodes[bs], radio.tx_power_dbm, round(w.beacon_interval_s * 1e6),
                      settings(radio.channel) if radio.channel != start else "",
                      pcap(f"{bs}-wifi"))
        net.ap_devices[bs] = dev
        net.bs_by_mac[int(c.DeviceMac(dev))] = bs
        _add_address(net, net.nodes[bs], dev, radio.address, radio.network)

    for mh in topo.mobile_hosts:
        radios = [("", None)] if w.mh_radios == 1 else [("", w.lead_min_rssi_dbm), ("2", None)]
        for suffix, min_rssi in radios:
            # No IP interface yet: the care-of address is configured by DRCP when the host
            # enters a sub-network ([0029]).
            dev = wifi.Sta(net.nodes[mh.name], mh.tx_power_dbm, w.active_probing, w.max_missed_beacons,
                           round(w.probe_request_timeout_s * 1e6),
                           float("nan") if min_rssi is None else min_rssi, scan,
                           pcap(f"{mh.name}-wifi{suffix}"))
            (net.sta_trailing if suffix else net.sta_devices)[mh.name] = dev
    net.next_stream += int(wifi.AssignStreams(net.next_stream))
    if p.shadowing_db > 0 or p.fading != "none":
        # The loss models' random variables (none in the deterministic models: streams of
        # scenarios without shadowing or fading stay as they were).
        net.next_stream += int(wifi.AssignChannelStreams(net.next_stream))
    if w.loss > 0:
        all_devs = wifi.Devices()
        for i in range(all_devs.GetN()):
            phy_of = c.WifiPhyOf(all_devs.Get(i))
            phy_of.SetPostReceptionErrorModel(_loss_model(net, w.loss))


def _build_mobility(net: Network) -> None:
    ns, topo = net.ns, net.topo
    for bs, radio in topo.radios.items():
        net.mobility[bs] = net.bridge.c.PlaceAt(net.nodes[bs], *radio.position_m)

    for mh in topo.mobile_hosts:
        node = net.nodes[mh.name]
        m = mh.mobility  # the scenario's model, or the host's group's
        if isinstance(m, WaypointMobility) or mh.path is not None:
            # A walk, or an ns-2 trace's points: linear moves between timed positions.
            mm = net.bridge.c.NewWaypointModel(node)
            points = mh.path if mh.path is not None else waypoint_schedule(m, mh.start_s)
            for t, pos in points:
                net.bridge.c.AddWaypoint(mm, round(t * 1e9), *pos)
        elif isinstance(m, ConstantVelocityMobility):
            import math

            mm = ns.CreateObject[ns.ConstantVelocityMobilityModel]()
            node.AggregateObject(mm)
            mm.SetPosition(ns.Vector(*m.position_m))
            rad = math.radians(m.heading_deg)
            mm.SetVelocity(ns.Vector(m.speed_mps * math.cos(rad), m.speed_mps * math.sin(rad), 0.0))
        elif isinstance(m, RandomWaypointMobility):
            x0, y0, x1, y1 = m.area_m
            alloc = ns.CreateObject[ns.RandomRectanglePositionAllocator]()
            alloc.SetAttribute("X", ns.StringValue(f"ns3::UniformRandomVariable[Min={x0}|Max={x1}]"))
            alloc.SetAttribute("Y", ns.StringValue(f"ns3::UniformRandomVariable[Min={y0}|Max={y1}]"))
            alloc.AssignStreams(_STREAM_MOBILITY + 10 * mh.index)
            lo = m.min_speed_mps if m.min_speed_mps is not None else m.speed_mps
            mm = ns.CreateObject[ns.RandomWaypointMobilityModel]()
            mm.SetAttribute("Speed", ns.StringValue(
                f"ns3::UniformRandomVariable[Min={lo}|Max={m.speed_mps}]"))
            mm.SetAttribute("Pause", ns.StringValue(f"ns3::ConstantRandomVariable[Constant={m.pause_s}]"))
            mm.SetAttribute("PositionAllocator", ns.PointerValue(alloc))
            mm.AssignStreams(_STREAM_MOBILITY + 10 * mh.index + 2)
            mm.SetPosition(alloc.GetNext())
            node.AggregateObject(mm)
            net._keep.append(alloc)
        else:  # pragma: no cover - the scenario schema allows no other model
            raise TypeError(f"unknown mobility model {m!r}")
        net.mobility[mh.name] = mm
