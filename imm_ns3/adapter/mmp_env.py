"""The Envs of the MMP and DRCP cores on ns-3 nodes (set up by ``adapter/mmp.py``).

- :class:`DomainNodeEnv`: a gateway, intermediate node or base station: its MMP socket (and a
  base station's wireless broadcast socket), the C++ routing hook ``imm::MmpRouting``
  (``mmp_routing.h``) whose forwarding cache the core sees as a RoutingCache, and the
  base-station beacon sent from C++ (``PeriodicDatagram``);
- :class:`BorderEnv`: a border router's host routes; :class:`DrcpEnv`: a DRCP server's socket;
- :class:`MobileEnv`: a mobile host's radio(s), addresses, default route and the C++ gate that
  keeps the broadcasts its daemon would ignore out of Python (``mmp_host.h``);
- :class:`NodeHooks`: what a domain node's routing hook calls in Python.
"""

from __future__ import annotations

import ipaddress

from ..careof import CareOfChannel
from ..env import TimerPeriodic
from ..mmp.drcp import DrcpServer
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
from .env import WireEnv

BROADCAST = 0xFFFFFFFF
NO_ADDRESS_MASK = 0xFFFFFFFF


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


class DomainNodeEnv(WireEnv):
    def __init__(self, ctx, name, role, stats, shim, peers: dict[int, int], wireless: int | None):
        super().__init__(ctx, name, role, stats)
        self.shim, self.peers, self.wireless = shim, peers, wireless
        self._cache = _CppCache(shim)
        # A gateway's route-updates arrive on its socket: those that only refresh its cache
        # stop in C++ (MmpRefreshGate) once the fast path is on (enable_fast_refresh).
        gate = self.bridge.c.NewMmpRefreshGate(shim) if role == "gateway" else None
        self.sock = self.bridge.udp_socket(self.node, MMP_PORT, f"{name} MMP socket", self._on_datagram,
                                           with_device=True, gate=gate)
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
        """The base-station beacon, sent from C++ (cpp/bridge.h PeriodicDatagram): no Python per send."""
        if iface != self.wireless:
            return TimerPeriodic(self, iface, first_s, interval_s)
        p = _CppPeriodic(self.bridge.c.StartPeriodicDatagram(
            self.air, BROADCAST, MMP_PORT, self.node_id, int(round(first_s * 1e9)),
            int(round(interval_s * 1e9)), int(round(self.signalling.counts_from_s * 1e9))))
        self.periodics.append(p)
        return p

    def enable_fast_refresh(self) -> None:
        """Route-updates that only refresh the cache are applied in C++ (mmp_routing.h's fast
        path): the core would answer "refreshed" and do nothing else."""
        probe = RouteUpdate(0, 0, 0).encode()
        self.shim.EnableFastRefresh(len(probe), probe[0], probe[1],
                                    int(round(self.signalling.counts_from_s * 1e9)))

    def finish_periodics(self) -> None:
        """At the end of the run: stop the periodic senders (each drops its socket) and count
        what they sent into the signalling table, and the route-updates the fast path received."""
        for p in self.periodics:
            p.ptr.Stop()
            if p.name is not None and int(p.ptr.counted):
                self.signalling.add_sent(self.name, self.role, p.name, int(p.ptr.counted),
                                         int(p.ptr.countedBytes))
        self.periodics.clear()
        n = int(self.shim.fastRefreshed)
        if n:
            self.signalling.add_received(self.name, self.role, RouteUpdate.__name__, n,
                                         int(self.shim.fastRefreshedBytes))

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


class BorderEnv(WireEnv):
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


class DrcpEnv(WireEnv):
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


class MobileEnv(WireEnv):
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
        else's lease -- update it to this host (cpp/ipv4.h AnnounceArpEntry). (A two-radio host
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


class NodeHooks:
    """A node's routing-hook token: control messages (3 args) and cache creations (1 arg)."""

    def __init__(self, env: DomainNodeEnv):
        self.env = env

    def __call__(self, *args):
        if len(args) == 3:
            return self.env.on_control(*args)
        self.env.core.on_cache_created(*args)
        return None
