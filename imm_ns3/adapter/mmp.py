"""MMP and DRCP on ns-3: the cores of imm_ns3.mmp wired to sockets, the routing hook and the
radio, plus the downlink probe flow and the measurements of handoffs.

Set up by ``adapter/run.py`` first of the protocols: every run of a scenario with MMP domains gets, per node,

- gateways, intermediate nodes, base stations: an :class:`~imm_ns3.mmp.node.MmpNode` core, a
  UDP socket on MMP_PORT, and the C++ routing hook ``imm::MmpRouting`` (``mmp_routing.h``)
  that forwards packets up and down the tree and holds the routing cache; mobile hosts use the
  IP-level helpers of ``mmp_host.h``;
- border routers: a :class:`~imm_ns3.mmp.node.BorderRouter` that installs host routes;
- DRCP servers: a :class:`~imm_ns3.mmp.drcp.DrcpServer`;
- mobile hosts: a :class:`~imm_ns3.mmp.mobile.MobileHostDaemon` fed by the radio-level handoff
  detector, configuring the station's address and default route; every care-of address it
  configures (or loses) is published on the host's channel, ``ctx.care_of[mh]``
  (:mod:`imm_ns3.careof`), the one place MIP-LR, SIP and the measurements learn it from;
- the probe: a C++ constant-bit-rate sender (``traffic.h``) at the correspondent host per mobile host, whose
  destination follows the host's care-of address, and a C++ receiver at the host.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any

import numpy as np

from ..mmp.drcp import AddressPool, DrcpServer
from ..mmp.messages import (
    DRCP_OK,
    DRCP_SERVER_PORT,
    MMP_PORT,
    BaseStationBeacon,
    CacheUpdate,
    DrcpAdvertisement,
    DrcpReply,
    DrcpRequest,
    Registration,
    RouteUpdate,
    ip_str,
)
from ..mmp.mobile import WAIT_ADV, WAIT_BEACON, MobileHostDaemon
from ..mmp.node import BorderRouter, MmpNode
from ..careof import CareOfChannel
from ..scenario.schema import STATION_ATTACK_KINDS
from ..measure import handoff_probe_components, probe_counts
from .context import Collector, RunContext
from ..env import TimerPeriodic
from .env import Signalling, WireEnv
from .runtime import compile_extension, control_trampoline, u32_trampoline

BROADCAST = 0xFFFFFFFF
NO_ADDRESS_MASK = 0xFFFFFFFF
PROBE_PORT = 9
MMP_PRIORITY = 10  # above static routing (0) in each node's Ipv4ListRouting
PROBE_DRAIN_S = 1.0  # the probe stops this long before the end: nothing is in flight then


class _CppCache:
    """The RoutingCache interface over the C++ forwarding cache (same semantics)."""

    _OPS = ("created", "refreshed", "replaced", "added")

    def __init__(self, shim):
        self.shim = shim

    def refresh(self, coa, iface, now=None):
        return self._OPS[self.shim.Refresh(coa, iface)]

    def hard(self, coa, iface, now=None):
        return self._OPS[self.shim.Hard(coa, iface)]

    def semisoft(self, coa, iface, now=None):
        return self._OPS[self.shim.Semisoft(coa, iface)]

    def lookup(self, coa, now=None):
        return tuple(int(i) for i in self.shim.Lookup(coa))

    def remove_interface(self, iface):
        return self.shim.RemoveInterface(iface)


class _CppPeriodic:
    """:class:`imm_ns3.env.Periodic` over a C++ PeriodicDatagram: ``set`` hands it the bytes."""

    def __init__(self, ptr):
        self.ptr = ptr
        self.name: str | None = None  # the message's name, for the signalling table

    def set(self, msg) -> None:
        data = b"" if msg is None else msg.encode()
        if msg is not None:
            self.name = msg.name
        self.ptr.Set(data, len(data))


class _DomainNodeEnv(WireEnv):
    def __init__(self, ctx, name, role, stats, shim, peers: dict[int, int], wireless: int | None):
        super().__init__(ctx, name, role, stats)
        self.shim, self.peers, self.wireless = shim, peers, wireless
        self._cache = _CppCache(shim)
        self.sock = self.bridge.udp_socket(self.node, MMP_PORT, f"{name} MMP socket", self._on_datagram,
                                           with_device=True)
        self.air = None
        if wireless is not None:
            self.air = self.bridge.udp_socket(self.node, 0, f"{name} wireless socket",
                                              lambda *a: None, broadcast=True)
            self.bridge.c.UdpBindToDevice(self.air, ctx.net.ap_devices[name])
        self.core: MmpNode | None = None
        self.periodics: list[_CppPeriodic] = []
        self._iface_of_device: dict[int, int] = {}
        self.attacker_macs: dict[int, str] = {}  # attacker stations ([[attacks]]) by MAC

    def cache(self):
        return self._cache

    def periodic(self, iface, first_s, interval_s):
        """The base-station beacon, sent from C++ (shims.h PeriodicDatagram): no Python per send."""
        if iface != self.wireless:
            return TimerPeriodic(self, iface, first_s, interval_s)
        p = _CppPeriodic(self.bridge.c.StartPeriodicDatagram(
            self.air, BROADCAST, MMP_PORT, self.node_id, int(round(first_s * 1e9)),
            int(round(interval_s * 1e9)), int(round(self.signalling.counts_from_s * 1e9))))
        self.periodics.append(p)
        return p

    def finish_periodics(self) -> None:
        """At the end of the run: stop the periodic senders (each drops its socket) and count
        what they sent into the signalling table."""
        for p in self.periodics:
            p.ptr.Stop()
            if p.name is not None and int(p.ptr.counted):
                self.signalling.add_sent(self.name, self.role, p.name, int(p.ptr.counted),
                                         int(p.ptr.countedBytes))
        self.periodics.clear()

    def set_uplink(self, iface):
        self.shim.SetUplink(-1 if iface is None else iface, self.peers.get(iface, 0) if iface is not None else 0)

    def send(self, iface, msg):
        if iface == self.wireless:
            self._send(self.air, BROADCAST, MMP_PORT, msg)
        else:
            self._send(self.sock, self.peers[iface], MMP_PORT, msg)

    def send_to(self, dst, msg):
        self._send(self.sock, dst, MMP_PORT, msg)

    def savi_bind(self, addr: int, mac: int) -> None:
        self.shim.SaviBind(addr, mac)

    def _on_datagram(self, src: int, port: int, data: bytes, dev: int) -> None:
        msg = self._decode(data)
        if msg is None:
            return
        iface = self._iface_of_device.get(dev)
        if iface is None:
            iface = (self.ctx.net.ipv4(self.name).GetInterfaceForDevice(self.node.GetDevice(dev))
                     if dev != 0xFFFFFFFF else -1)
            self._iface_of_device[dev] = iface
        if (self.core.role == "gateway" and iface in self.core.downlinks
                and isinstance(msg, (Registration, CacheUpdate, RouteUpdate))):
            # Delivered locally before any routing hook sees it: apply the hop here ([0031]).
            # Only from below: a copy routed to this gateway from outside says nothing about
            # where the host is.
            self.core.on_uplink_control(msg, iface)
        self.core.receive(msg, iface, src)

    def on_control(self, iface: int, src: int, data: bytes) -> int:
        msg = self._decode(data)
        if msg is None:
            return 1
        # The station that sent the frame (known while the access point hands it up).
        mac = int(self.shim.SenderMac()) if iface == self.wireless else None
        what = self.core.on_uplink_control(msg, iface, mac)
        attacker = self.attacker_macs.get(mac) if mac else None
        if attacker is not None and what not in ("refused", "passed") and hasattr(msg, "coa"):
            # An attacker station's claim this base station applied ([[attacks]]).
            self.ctx.location_log.append((self.now(), self.name, ip_str(msg.coa), attacker))
        return 1 if what == "refused" else 0


class _BorderEnv(WireEnv):
    def __init__(self, ctx, name, stats, gateway_links: dict[int, tuple[int, int]],
                 route_delay_s: float = 0.0):
        super().__init__(ctx, name, "border_router", stats)
        self.gateway_links = gateway_links  # gateway ip -> (next hop, iface)
        ns = ctx.bridge.ns
        self.sr = ns.Ipv4StaticRoutingHelper().GetStaticRouting(ctx.net.ipv4(name))
        self.sock = self.bridge.udp_socket(self.node, MMP_PORT, f"{name} MMP socket", self._on_datagram)
        self.core = BorderRouter(name, self, gateways={
            gw: {gw, hop} for gw, (hop, _) in gateway_links.items()}, route_delay_s=route_delay_s)

    def set_host_route(self, host: int, gateway_ip: int) -> None:
        hop, iface = self.gateway_links[gateway_ip]
        self.bridge.c.SetHostRoute(self.sr, host, hop, iface)

    def remove_host_route(self, host: int) -> None:
        self.bridge.c.SetHostRoute(self.sr, host, 0, 0)

    def _on_datagram(self, src, port, data):
        msg = self._decode(data)
        if msg is not None:
            self.core.receive(msg, 0, src)


class _DrcpEnv(WireEnv):
    def __init__(self, ctx, name, stats, log_leases: bool = False):
        super().__init__(ctx, name, "drcp_server", stats)
        self.sock = self.bridge.udp_socket(self.node, DRCP_SERVER_PORT, f"{name} DRCP socket", self._on_datagram)
        self.core: DrcpServer | None = None
        self.log_leases = log_leases  # [[attacks]]: every reply goes to ctx.location_log

    def send_to(self, dst, msg):
        if self.log_leases and isinstance(msg, DrcpReply):
            self.ctx.location_log.append((self.now(), self.name, f"drcp:{msg.client_id:012x}",
                                          ip_str(msg.address) if msg.status == DRCP_OK else "refused"))
        self._send(self.sock, dst, MMP_PORT, msg)

    def _on_datagram(self, src, port, data):
        msg = self._decode(data)
        if msg is not None:
            self.core.receive(msg, 0, src)


class _MobileEnv(WireEnv):
    """A mobile host's station radio(s), addresses and default route.

    With two radios (``wifi.mh_radios = 2``, docs/mmp.md) the care-of address sits on one radio
    only, one associated with the base station the host listens to; with the strong
    end-system model, unicast arriving on the other radio is dropped: a single receiver
    ([0035], [0036]).
    """

    def __init__(self, ctx, name, stats, channel: CareOfChannel):
        super().__init__(ctx, name, "mobile_host", stats)
        ns = ctx.bridge.ns
        c = ctx.bridge.c
        self.ipv4 = ctx.net.ipv4(name)
        self.devices = [ctx.net.sta_devices[name]]
        if name in ctx.net.sta_trailing:
            self.devices.append(ctx.net.sta_trailing[name])
        self.ifaces = []
        for dev in self.devices:
            iface = self.ipv4.AddInterface(dev)
            # No address yet: 0.0.0.0/32 (a /0 would make every destination look on-link, and
            # the host would ARP for the DRCP server instead of sending to its base station).
            c.SetOnlyAddress(self.ipv4, iface, 0, NO_ADDRESS_MASK)
            self.ipv4.SetUp(iface)
            self.ifaces.append(iface)
        self.iface = self.ifaces[0]
        self.lead_dev_index = int(self.devices[0].GetIfIndex())
        # Two radios: which base station (AP MAC) each radio is associated with, and which one
        # the host listens to (0: any).
        self.ap_mac = {int(ctx.topo.radios[bs].address): int(c.DeviceMac(dev))
                       for bs, dev in ctx.net.ap_devices.items()}
        self.bssid = [0] * len(self.devices)
        self.listening = 0
        self.router = 0
        self.coa = 0
        self.prefix_mask = NO_ADDRESS_MASK
        self.holder = 0  # the radio that holds the care-of address
        self.radio_mac = [int(c.DeviceMac(dev)) for dev in self.devices]
        self.stale_arp = 0  # base-station ARP entries of a reused address updated
        self.bs_of_mac = {int(c.DeviceMac(dev)): bs for bs, dev in ctx.net.ap_devices.items()}
        if len(self.devices) > 1:
            # A single receiver with two radios: strong end-system model, no forwarding, and
            # the care-of address only on the radio the host listens with.
            self.node.GetObject[ns.Ipv4L3Protocol]().SetAttribute("StrongEndSystemModel",
                                                                  ns.BooleanValue(True))
            for iface in self.ifaces:
                self.ipv4.SetForwarding(iface, False)
            c.TrackNotListening(self.node)
            for i, dev in enumerate(self.devices):
                mac = ns.DynamicCast[ns.WifiNetDevice](dev).GetMac()
                self.bridge.connect_mac_trace(mac, "Assoc", f"{name} radio {i} Assoc",
                                              lambda ap, i=i: self._radio(i, ap))
                self.bridge.connect_mac_trace(mac, "DeAssoc", f"{name} radio {i} DeAssoc",
                                              lambda ap, i=i: self._radio(i, 0))
        self.sr = ns.Ipv4StaticRoutingHelper().GetStaticRouting(self.ipv4)
        c.TrackSends(self.node)
        # Periodic broadcasts the daemon would ignore stay in C++ (mmp_host.h).
        self.gate = c.NewHostBroadcastGate(self.lead_dev_index, len(_SAMPLE_BEACON),
                                           len(_SAMPLE_ADVERTISEMENT), len(_SAMPLE_REPLY))
        self.sock = self.bridge.udp_socket(self.node, MMP_PORT, f"{name} MMP socket", self._on_datagram,
                                           broadcast=True, with_device=True, gate=self.gate)
        self.channel = channel
        self.core: MobileHostDaemon | None = None
        self.taken: list[int] = []  # other hosts' addresses an attacker station answers for

    def send_up(self, dst, msg):
        port = DRCP_SERVER_PORT if isinstance(msg, DrcpRequest) else MMP_PORT
        self._send(self.sock, dst, port, msg)

    def set_default_router(self, bs_ip):
        self.router = bs_ip
        self.bridge.c.SetDefaultRouteOnly(self.sr, bs_ip, self.iface)
        self.listen_to(bs_ip)

    def listen_to(self, bs_ip):
        """Receive only from this base station ([0035], [0036]); with one radio the radio itself
        decides, so there is nothing to do."""
        if len(self.devices) > 1:
            self.listening = self.ap_mac.get(bs_ip, 0)
            self._place_address()

    def _radio(self, i: int, ap: int) -> None:
        self.bssid[i] = ap
        self._place_address()

    def _place_address(self) -> None:
        """Put the care-of address on one radio associated with the base station listened to --
        the trailing radio if both are (it hears further, so the leading radio's roaming does
        not interrupt reception) -- send up through that radio, and tell that base station
        which radio has the address (the host's gratuitous ARP)."""
        if len(self.devices) < 2 or not self.coa:
            return
        on = [i for i in (1, 0) if self.listening and self.bssid[i] == self.listening]
        holder = on[0] if on else 0
        c = self.bridge.c
        if holder != self.holder:
            c.SetOnlyAddress(self.ipv4, self.ifaces[self.holder], 0, NO_ADDRESS_MASK)
            c.SetOnlyAddress(self.ipv4, self.ifaces[holder], self.coa, self.prefix_mask)
            self.holder = holder
            self.log("listening_radio", f"radio {holder}")
        bs = self.bs_of_mac.get(self.bssid[holder])
        router = int(self.ctx.topo.radios[bs].address) if bs is not None else self.router
        if router:
            c.SetDefaultRouteOnly(self.sr, router, self.ifaces[holder])
        if bs is not None:
            net = self.ctx.net
            c.SetArpEntry(net.nodes[bs], net.ipv4(bs).GetInterfaceForDevice(net.ap_devices[bs]),
                          self.coa, self.radio_mac[holder])

    def configure_address(self, addr, prefix_len):
        mask = int(ipaddress.IPv4Network(f"0.0.0.0/{prefix_len}").netmask)
        self.coa, self.prefix_mask = addr, mask
        self._announce_address(addr)
        for i, iface in enumerate(self.ifaces):
            self.bridge.c.SetOnlyAddress(self.ipv4, iface, addr if i == self.holder else 0,
                                         mask if i == self.holder else NO_ADDRESS_MASK)
        self._place_address()
        for a in self.taken:
            self._add_address(a)

    # ---- an attacker station ([[attacks]] same-cell kinds, docs/security.md) ------------------
    def take_address(self, addr: int) -> None:
        """Answer for another host's address from now on: ARP requests for it and packets to it
        reach this station (imm::Capture records and drops them)."""
        if addr not in self.taken:
            self.taken.append(addr)
            self._add_address(addr)

    def _add_address(self, addr: int) -> None:
        ns = self.bridge.ns
        self.ipv4.AddAddress(self.iface, ns.Ipv4InterfaceAddress(ns.Ipv4Address(addr),
                                                                  ns.Ipv4Mask(self.prefix_mask)))

    def send_forged(self, dst: int, msg) -> None:
        """A forged message from this station's own address, counted as the attacker's."""
        port = DRCP_SERVER_PORT if isinstance(msg, DrcpRequest) else MMP_PORT
        self.signalling.count(self.name, "attacker", msg.name, len(msg))
        self.bridge.udp_send(self.sock, msg.encode(), dst, port)

    def _announce_address(self, addr: int) -> None:
        """The host's ARP announcement of a new address (RFC 5227 2.3): base stations of the
        sub-network whose ARP entry for it names another station -- the address was someone
        else's lease -- update it to this host (shims.h AnnounceArpEntry). (A two-radio host
        pins the entry of the base station it listens to itself, _place_address.)"""
        if len(self.devices) > 1:
            return
        net, c = self.ctx.net, self.bridge.c
        for bs, radio in self.ctx.topo.radios.items():
            if ipaddress.IPv4Address(addr) in radio.network:
                dev = net.ap_devices[bs]
                iface = net.ipv4(bs).GetInterfaceForDevice(dev)
                self.stale_arp += int(c.AnnounceArpEntry(net.nodes[bs], iface, addr,
                                                         self.radio_mac[0]))

    def clear_address(self):
        self.coa = 0
        for iface in self.ifaces:
            self.bridge.c.SetOnlyAddress(self.ipv4, iface, 0, NO_ADDRESS_MASK)
        self.channel.publish(self.now(), 0)  # left the sub-network: no address until DRCP

    def last_uplink_tx(self) -> float:
        t = int(self.bridge.c.LastTxNs(self.node_id))
        return float("-inf") if t < 0 else t * 1e-9

    def gate_drops(self) -> int:
        return int(self.bridge.c.NotListeningDrops(self.node_id)) if len(self.devices) > 1 else 0

    def _on_datagram(self, src, port, data, dev):
        msg = self._decode(data)
        if msg is None:
            return
        if dev not in (self.lead_dev_index, 0xFFFFFFFF) and isinstance(msg, _BROADCASTS):
            # What the trailing radio hears broadcast belongs to the old cell: Figure 4A runs on
            # the leading radio. (Unicast to the host follows the care-of address placement.)
            return
        self.core.receive(msg, src)
        self.sync_gate()

    def on_radio(self, new_bs: str, old_bs: str | None) -> None:
        self.core.on_radio(new_bs, old_bs)
        self.sync_gate()

    def call_later(self, delay_s, fn, *args):
        """The daemon's timers may move it into a waiting state (an interface poll, [0056]):
        the C++ gate follows after each."""
        def fire(*a, fn=fn):
            fn(*a)
            self.sync_gate()

        fire.__name__ = getattr(fn, "__name__", "timer")
        return super().call_later(delay_s, fire, *args)

    def sync_gate(self) -> None:
        """Tell the C++ gate what the daemon waits for: only the radio (step 402) and a received
        message move it into a waiting state, so syncing after those two is enough."""
        st = self.core.state
        self.gate.Want(st == WAIT_BEACON, st == WAIT_ADV)

    def gate_suppressed(self) -> int:
        return int(self.gate.suppressed)


_BROADCASTS = (BaseStationBeacon, DrcpAdvertisement, DrcpReply)
_SAMPLE_BEACON = BaseStationBeacon(0, 0, 0, 0)
_SAMPLE_ADVERTISEMENT = DrcpAdvertisement(0, 0, 0, 0)
_SAMPLE_REPLY = DrcpReply(0, 0, 0, 0, 0, 0, 0)


def setup_mmp(ctx: RunContext) -> Collector | None:
    s, topo, net, bridge = ctx.scenario, ctx.topo, ctx.net, ctx.bridge
    if not s.domains:
        return None
    compile_extension("traffic.h")  # the probe
    compile_extension("mmp_host.h")
    c = compile_extension("mmp_routing.h",
                          callbacks=("SetMmpCallbacks", (control_trampoline, u32_trampoline)))
    c.ResetMmpState()
    stats = Signalling(bridge.now, s.simulation.warmup_s)
    cfg = s.mmp
    domain_ids = {d: (dom.domain_id if dom.domain_id is not None else i + 1)
                  for i, (d, dom) in enumerate(s.domains.items())}
    gw_ips = {n: int(topo.gateway_address(n)) for n, p in topo.nodes.items() if p.role == "gateway"}
    border_ip = {p.subnet: n for n, p in topo.nodes.items() if p.role == "border_router"}
    envs: dict[str, Any] = {}
    mmp_nodes: dict[str, _DomainNodeEnv] = {}
    below: dict[str, dict[int, str]] = {}  # node -> down-link interface -> the node below

    # ---- domain nodes ----------------------------------------------------------------------
    for name, spec in s.nodes.items():
        dom = s.domains[spec.domain]
        subnet = ipaddress.IPv4Network(s.subnets[dom.subnet].prefix)
        ipv4 = net.ipv4(name)
        shim = c.InstallMmpRouting(net.nodes[name], MMP_PRIORITY)
        is_gw = spec.role == "gateway"
        place = topo.domain_place(name)  # the node's place in its domain tree, as data
        peers: dict[int, int] = {}
        downlinks, uplinks = [], []
        for d in place.downlinks:
            iface = ipv4.GetInterfaceForDevice(net.p2p_devices[(name, d.peer)])
            shim.AddDownlink(iface, int(d.peer_address))
            peers[iface] = int(d.peer_address)
            downlinks.append(iface)
            below.setdefault(name, {})[iface] = d.peer
        for u in place.uplinks:  # primary first
            iface = ipv4.GetInterfaceForDevice(net.p2p_devices[(name, u.peer)])
            peers[iface] = int(u.peer_address)
            uplinks.append(iface)
        wireless = None
        if spec.role == "base_station":
            wireless = ipv4.GetInterfaceForDevice(net.ap_devices[name])
            shim.SetWireless(wireless)
        env = _DomainNodeEnv(ctx, name, spec.role, stats, shim, peers, wireless)
        env.core = MmpNode(
            name, spec.role, env, domain_id=domain_ids[spec.domain],
            uplinks=uplinks, downlinks=downlinks, wireless=wireless,
            gateway_ip=int(place.gateway_address or 0),
            border_router_ip=int(place.border_router_address or 0),
            bs_id=place.bs_id,
            bs_ip=int(topo.radios[name].address) if wireless is not None else 0,
            beacon_interval_s=cfg.beacon_interval_s, bs_beacon_interval_s=cfg.bs_beacon_interval_s,
            classify_wait_max_s=cfg.classify_wait_max_s, failover_beacons=cfg.failover_beacons,
            uplink_policy=cfg.uplink_policy, relay_jitter_s=cfg.broadcast_jitter_s,
            # Shorter than the host's retry interval: a reply to a retried request passes.
            flood_duplicate_window_s=cfg.registration_timeout_s / 2,
            savi=s.security.auth)
        token = bridge.register(f"{name} MMP routing hook", _NodeHooks(env))
        # Gateways are told when a data packet creates an entry, to advertise it ([0031]).
        shim.Configure(token, is_gw, int(subnet.network_address), int(subnet.netmask),
                       int(round(cfg.cache_timeout_s * 1e9)), MMP_PORT, is_gw)
        if env.core.savi:
            shim.EnableSavi(net.ap_devices[name], DRCP_SERVER_PORT)
        elif wireless is not None and any(a.kind in STATION_ATTACK_KINDS for a in s.attacks):
            shim.WatchSenders(net.ap_devices[name])  # to tell an attacker station's claims
        envs[name] = mmp_nodes[name] = env
        if cfg.failure_detection == "local":
            ctx.interface_watchers[name] = (
                lambda iface, up, core=env.core:
                core.interface_up(iface) if up else core.interface_down(iface))

    gw_name = {ip: n for n, ip in gw_ips.items()}

    def path_in_use(mh: str) -> list[str]:
        """The downlink path of the host's traffic now: its border router's installed route
        to a gateway (a sub-network with one gateway has no border router: the gateway whose
        cache knows the host), then each node's routing cache down to a base station."""
        coa = ctx.care_of[mh].current
        if not coa:
            return []
        path: list[str] = []
        node = None
        for br in border_ip.values():
            gw = envs[br].core.installed.get(coa)
            if gw is not None:
                path.append(br)
                node = gw_name.get(gw)
                break
        if node is None:
            node = next((g for g in gw_ips if mmp_nodes[g].cache().lookup(coa)), None)
        while node in mmp_nodes and node not in path:
            path.append(node)
            ifaces = mmp_nodes[node].cache().lookup(coa)
            node = below.get(node, {}).get(ifaces[0]) if ifaces else None
        return path

    ctx.path_in_use = path_in_use

    # ---- border routers and DRCP servers ---------------------------------------------------
    for sub, br in border_ip.items():
        links = {}
        for gw in gw_ips:
            if s.domains[s.nodes[gw].domain].subnet == sub:
                iface = net.ipv4(br).GetInterfaceForDevice(net.p2p_devices[(br, gw)])
                links[gw_ips[gw]] = (gw_ips[gw], iface)
        envs[br] = _BorderEnv(ctx, br, stats, links, cfg.border_route_delay_s)
    for sub, sn in s.subnets.items():
        if sn.kind != "wireless":
            continue
        name = f"{sub}-drcp"
        env = _DrcpEnv(ctx, name, stats, log_leases=bool(s.attacks))
        server_ip = int(next(lk.addr_b for lk in topo.links if lk.b == name))
        gws = [gw_ips[g] for g in gw_ips if s.domains[s.nodes[g].domain].subnet == sub]
        env.core = DrcpServer(name, env, server_ip=server_ip,
                              subnet=ipaddress.IPv4Network(sn.prefix),
                              pool=AddressPool(*topo.coa_range(sub)), gateways=gws,
                              lease_s=s.drcp.lease_s,
                              advertisement_interval_s=s.drcp.advertisement_interval_s)
        envs[name] = env

    # ---- mobile hosts and the probe ----------------------------------------------------------
    probe_src = None
    if s.probe.enabled:
        probe_src = s.probe.source or next(h for h, host in s.hosts.items() if host.role == "correspondent")
    stop_s = s.simulation.duration_s - PROBE_DRAIN_S
    probes = {}
    for mh in topo.mobile_hosts:
        sender = receiver = None
        if probe_src is not None:
            sender = c.UdpFlowSender(net.nodes[probe_src], PROBE_PORT, 1.0 / s.probe.rate_pps,
                                   s.probe.size_bytes)
            receiver = c.UdpFlowReceiver(net.nodes[mh.name], PROBE_PORT)
            if s.probe.start_s < stop_s:
                sender.Start(s.probe.start_s, stop_s)
            probes[mh.name] = (sender, receiver)

        channel = ctx.care_of[mh.name]
        if sender is not None:
            # The probe's sender learns the new address at once: an oracle standing in for
            # the macro-mobility protocols (MIP-LR, SIP), which measure their own part.
            channel.subscribe(lambda change, sender=sender: sender.SetDestination(change.new))

        env = _MobileEnv(ctx, mh.name, stats, channel)
        mac = int(bridge.c.DeviceMac(net.sta_devices[mh.name]))
        env.core = MobileHostDaemon(
            mh.name, env, mh_id=int(mh.permanent_address), client_id=mac, handoff=cfg.handoff,
            semisoft_period_s=cfg.semisoft_period_s,
            route_update_interval_s=cfg.route_update_interval_s,
            registration_timeout_s=cfg.registration_timeout_s, max_retries=cfg.max_retries,
            monitor_interval_s=cfg.monitor_interval_s,
            monitor_phase_s=env.rand() * cfg.monitor_interval_s)
        # The one feed of the host's care-of address channel: the daemon's step 416 ([0050]),
        # after its registration is sent (step 418), as Figure 4B's step 420 follows it.
        env.core.add_coa_listener(
            lambda old, new, channel=channel, env=env: channel.publish(env.now(), new))
        ctx.detectors[mh.name].add_listener(
            lambda ho, env=env: env.on_radio(ho.new_bs, ho.old_bs))
        envs[mh.name] = env

    stations = {a.attacker for a in s.attacks if a.kind in STATION_ATTACK_KINDS}
    if stations:
        macs = {int(bridge.c.DeviceMac(net.sta_devices[n])): n for n in stations}
        for env in mmp_nodes.values():
            env.attacker_macs = macs
        ctx.forgers.update(_station_forgers(ctx, envs))

    for env in envs.values():
        start = getattr(env.core, "start", None)
        if start:
            start()

    def collect() -> None:
        try:
            _collect(ctx, envs, mmp_nodes, stats, probes, probe_src)
        finally:
            for sender, receiver in probes.values():  # close before Simulator::Destroy
                sender.Close()
                receiver.Close()

    return collect


def _station_forgers(ctx: RunContext, envs: dict[str, Any]) -> dict[str, Any]:
    """The same-cell [[attacks]] kinds, sent from an attacker station's MMP socket (docs/security.md).
    Each returns what it sends: [(target node, target address, message, binding key)], the target
    being where acceptance is seen (the attacker's base station, or the DRCP server)."""
    topo, cfg = ctx.topo, ctx.scenario.mmp
    bs_name = {int(r.address): n for n, r in topo.radios.items()}
    drcp_name = {int(lk.addr_b): lk.b for lk in topo.links if lk.b.endswith("-drcp")}
    rng = np.random.default_rng([ctx.seed, 0xD5C9])  # invented client ids

    def not_sent(a, why: str) -> list:
        ctx.log.record(ctx.bridge.now_ns(), a.attacker, "attacker", "attack_not_sent", why)
        return []

    def claim(a, semisoft: bool) -> list:
        eve, victim = envs[a.attacker], envs[a.victim]
        coa = victim.coa
        if not coa or not eve.coa or not eve.core.gateway_ip:
            return not_sent(a, "the victim or the attacker has no care-of address")
        eve.take_address(coa)
        gw, bs = eve.core.gateway_ip, bs_name.get(eve.router, ip_str(eve.router))
        mh_id, seq = victim.core.mh_id, victim.core.seq + 1
        msgs = [CacheUpdate(coa, mh_id, seq, 1) if semisoft else Registration(coa, mh_id, seq)]
        eve.send_forged(gw, msgs[0])
        interval = cfg.route_update_interval_s
        # The refreshes that hold the forged entry, none past the run's end: they would never
        # be sent, and scheduling them all (hold_s = 1e6 at 10 ms) cost gigabytes.
        now_ns, end_ns = ctx.bridge.now_ns(), int(round(ctx.scenario.simulation.duration_s * 1e9))
        for k in range(1, int(a.hold_s / interval) + 1):
            if now_ns + int(round(k * interval * 1e9)) >= end_ns:
                break
            msgs.append(RouteUpdate(coa, mh_id, seq + k))
            eve.call_later(k * interval, eve.send_forged, gw, msgs[-1])
        return [(bs, gw, m.name, ip_str(coa)) for m in msgs]

    def exhaust(a, _me) -> list:
        eve = envs[a.attacker]
        server = eve.core.drcp_server
        if not server or not eve.coa:
            return not_sent(a, "the attacker has heard no DRCP server")
        sub = next(n for n, sn in ctx.scenario.subnets.items() if sn.kind == "wireless"
                   and ipaddress.IPv4Address(eve.coa) in ipaddress.IPv4Network(sn.prefix))
        first, last, used = topo.coa_range(sub)
        n = a.requests or (last - first + 1 - len(used)) + 16
        # Locally administered unicast MACs (first octet 02): nobody's.
        ids = (0x02 << 40) | rng.integers(0, 1 << 40, size=n, dtype=np.int64)
        target = drcp_name.get(server, ip_str(server))
        out = []
        for k, cid in enumerate(ids.tolist()):
            msg = DrcpRequest(cid, k + 1, 0)
            eve.call_later(k * 1e-3, eve.send_forged, server, msg)
            out.append((target, server, msg.name, f"drcp:{cid:012x}"))
        return out

    return {"mmp_registration": lambda a, _me: claim(a, False),
            "mmp_semisoft_copy": lambda a, _me: claim(a, True),
            "drcp_exhaustion": exhaust}


class _NodeHooks:
    """A node's routing-hook token: control messages (3 args) and cache creations (1 arg)."""

    def __init__(self, env: _DomainNodeEnv):
        self.env = env

    def __call__(self, *args):
        if len(args) == 3:
            return self.env.on_control(*args)
        self.env.core.on_cache_created(*args)
        return None


def _collect(ctx: RunContext, envs, mmp_nodes, stats: Signalling, probes, probe_src) -> None:
    s = ctx.scenario
    for env in mmp_nodes.values():
        env.finish_periodics()
    ctx.signalling_rows.extend(stats.rows())
    counters = defaultdict(int)
    for env in mmp_nodes.values():
        for k in ("up", "down", "bicast", "noRoute", "noUplink", "controlSeen", "controlDropped",
                  "saviDropped"):
            counters[k] += int(getattr(env.shim, k))
    gate = sum(env.gate_drops() for name, env in envs.items() if isinstance(env, _MobileEnv))
    ctx.extra_summary["mmp"] = {
        "forwarded_up": counters["up"], "forwarded_down": counters["down"],
        "bicast_copies": counters["bicast"], "dropped_no_route": counters["noRoute"],
        "dropped_no_uplink": counters["noUplink"],
        "dropped_not_listening": gate,
        # Source address validation at base stations (security.auth): packets from a station
        # whose source address is not its own, and control messages claiming another's address
        # (or a DRCP client id not the sender's).
        "savi_dropped_packets": counters["saviDropped"],
        "savi_refused_messages": sum(n for env in mmp_nodes.values()
                                     for k, n in env.core.faults.items() if k.startswith("savi_")),
        "faults": stats.fault_summary(),
        # HostRoute messages border routers refused: not from one of their gateways.
        "host_routes_refused": sum(env.core.faults.get("host_route_not_from_gateway", 0)
                                   for env in envs.values() if isinstance(env, _BorderEnv)),
        # The mobile daemons' transition table: pairs absent from it, and stale answers.
        "unexpected_events": {f"{mh}:{st}:{ev}": n for mh, env in envs.items()
                              if isinstance(env, _MobileEnv)
                              for (st, ev), n in sorted(env.core.unexpected.items())},
        "stale_answers": {f"{mh}:{ev}": n for mh, env in envs.items() if isinstance(env, _MobileEnv)
                          for ev, n in sorted(env.core.stale.items())},
        # Periodic broadcasts the hosts' daemons would have ignored, dropped before Python.
        "host_broadcasts_kept_in_cpp": sum(env.gate_suppressed() for env in envs.values()
                                           if isinstance(env, _MobileEnv)),
        # Care-of addresses handed out again while a base station still mapped them to the
        # previous holder's MAC (shims.h AnnounceArpEntry).
        "stale_arp_entries_updated": sum(env.stale_arp for env in envs.values()
                                           if isinstance(env, _MobileEnv)),
    }
    size = s.probe.size_bytes
    for mh in ctx.topo.mobile_hosts:
        env = envs[mh.name]
        arrivals = sent_times = seqs = None
        if mh.name in probes:
            sender, receiver = probes[mh.name]
            seqs = np.array(list(receiver.seqs), dtype=np.int64)
            arrivals = np.array(list(receiver.arrivals), dtype=np.int64) * 1e-9
            counts = probe_counts(int(sender.sent), seqs)
            ctx.flow_rows.append({
                "name": "probe", "kind": "udp", "src": probe_src, "dst": mh.name,
                "sent_packets": counts["sent_packets"], "received_packets": counts["received_packets"],
                "lost_packets": counts["lost_packets"], "sent_bytes": counts["sent_packets"] * size,
                "received_bytes": counts["received_packets"] * size, "resets": None,
                "duplicates": counts["duplicates"],
            })
            sent_times = s.probe.start_s + np.arange(counts["sent_packets"]) / s.probe.rate_pps
            ctx.probe_arrivals[mh.name] = arrivals
            ctx.add_packet_timeline("probe", probe_src, mh.name, arrivals, size)
        rows = ctx.handoff_rows(mh.name)
        for row, extra in zip(rows, handoff_probe_components(
                ctx.handoff_times(mh.name), env.core.movements, seqs, arrivals, sent_times)):
            row.update(extra)
