"""MMP in the network: gateways, intermediate nodes, base stations, border routers.

Sans-I/O: a node is a plain object driven by :meth:`MmpNode.receive` (a message, the interface
it came in on, the time) and by its timers, and acting through the Env it is given
(:class:`imm_ns3.env.DomainNodeEnv`, :class:`imm_ns3.env.BorderRouterEnv`). In ns-3 the Env is
the adapter (``imm_ns3.adapter.mmp``); in tests it is an in-memory fake. Nothing
here imports ns-3.

Interfaces are small integers chosen by the Env (ns-3 interface indices in the adapter).
``uplinks`` are ordered by preference (the scenario's order); ``downlinks`` are the links to the
nodes below; a base station's ``wireless`` interface is its access point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from ..env import BorderRouterEnv, DomainNodeEnv, Periodic, TimerPeriodic
from .cache import CREATED
from .messages import (
    BaseStationBeacon,
    DRCP_OK,
    CacheUpdate,
    DrcpAdvertisement,
    DrcpReply,
    DrcpRequest,
    GatewayBeacon,
    HostRoute,
    Message,
    Registration,
    RegistrationAck,
    RouteUpdate,
    ip_str,
)


@dataclass
class _LinkStats:
    """What a node knows about one up-link for one gateway ([0037], [0042])."""

    last_seq: int = -1
    last_rx: float = -1.0
    latency_s: float = float("inf")  # smoothed arrival - timestamp
    gaps: int = 0  # missing sequence numbers seen
    received: int = 0


@dataclass
class _GatewayState:
    forwarded_seq: int = -1
    pending_seq: int = -1  # a classification wait is running for this seq
    pending_beacon: GatewayBeacon | None = None
    links: dict[int, _LinkStats] = field(default_factory=dict)


class MmpNode:
    """One domain node. ``role``: 'gateway', 'intermediate' or 'base_station'."""

    def __init__(self, name: str, role: str, env: DomainNodeEnv, *, domain_id: int,
                 uplinks: list[int], downlinks: list[int], wireless: int | None = None,
                 gateway_ip: int = 0, border_router_ip: int = 0, bs_id: int = 0, bs_ip: int = 0,
                 beacon_interval_s: float = 0.5, bs_beacon_interval_s: float = 0.1,
                 classify_wait_max_s: float = 0.005, failover_beacons: int = 3,
                 uplink_policy: str = "latency", reclassify_margin_s: float = 0.001,
                 relay_jitter_s: float = 0.0, flood_duplicate_window_s: float = 0.25,
                 savi: bool = False):
        if role not in ("gateway", "intermediate", "base_station"):
            raise ValueError(f"role: {role!r}")
        self.name, self.role, self.env = name, role, env
        self.domain_id = domain_id
        self.uplinks, self.downlinks, self.wireless = list(uplinks), list(downlinks), wireless
        self.gateway_ip, self.border_router_ip = gateway_ip, border_router_ip
        self.bs_id, self.bs_ip = bs_id, bs_ip
        self.beacon_interval_s = beacon_interval_s
        self.bs_beacon_interval_s = bs_beacon_interval_s
        self.classify_wait_max_s = classify_wait_max_s
        self.failover_beacons = failover_beacons
        self.uplink_policy = uplink_policy
        self.reclassify_margin_s = reclassify_margin_s
        self.relay_jitter_s = relay_jitter_s
        self.flood_duplicate_window_s = flood_duplicate_window_s
        self.seq = 0
        self.gateways: dict[int, _GatewayState] = {}
        self.primary_gateway: int | None = None
        self.primary_uplink: int | None = None
        self.learnt_domain_id: int | None = domain_id if role == "gateway" else None
        self._seen_floods: dict[tuple, float] = {}
        self._hostroute_seq = 0
        self.faults: dict[str, int] = {}
        self.down_ifaces: set[int] = set()
        self._beacon: Periodic | None = None  # base stations: the base-station beacon ([0047])
        self._beacon_msg: BaseStationBeacon | None = None
        # Source address validation at a base station (security.auth; RFC 7513 style): which
        # station (its MAC, the DRCP client id) each care-of address was handed to.
        self.savi = savi and wireless is not None
        self.bindings: dict[int, int] = {}

    # ---- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self.role == "gateway":
            self.env.call_later(self.env.rand() * self.beacon_interval_s, self._gateway_beacon)
        else:
            self.env.call_later(self.beacon_interval_s, self._check_uplinks)
        if self.role == "base_station":
            first = self.env.rand() * self.bs_beacon_interval_s
            if self.wireless is not None:
                make = getattr(self.env, "periodic", None) or partial(TimerPeriodic, self.env)
                self._beacon = make(self.wireless, first, self.bs_beacon_interval_s)
                self._sync_beacon()

    # ---- gateway-beacons ([0030], [0037]-[0038], [0042]-[0043]) -----------------------------
    def _gateway_beacon(self) -> None:
        self.seq += 1
        b = GatewayBeacon(self.gateway_ip, self.domain_id, self.seq,
                          int(round(self.env.now() * 1e9)))
        for iface in self.downlinks:
            if iface not in self.down_ifaces:
                self.env.send(iface, b)
        self.env.call_later(self.beacon_interval_s, self._gateway_beacon)

    def _on_gateway_beacon(self, b: GatewayBeacon, iface: int) -> None:
        if iface not in self.uplinks:
            self._fault("beacon_from_below")
            return
        now = self.env.now()
        g = self.gateways.setdefault(b.gateway_ip, _GatewayState())
        st = g.links.setdefault(iface, _LinkStats())
        if b.seq <= st.last_seq:
            self._fault("stale_beacon")
            return
        if st.last_seq >= 0 and b.seq > st.last_seq + 1:
            st.gaps += b.seq - st.last_seq - 1
        st.last_seq, st.last_rx, st.received = b.seq, now, st.received + 1
        lat = now - b.timestamp_ns * 1e-9
        st.latency_s = lat if st.latency_s == float("inf") else 0.75 * st.latency_s + 0.25 * lat
        if b.seq <= g.forwarded_seq:
            return  # [0038]: already forwarded; recorded for classification only
        if g.pending_seq == b.seq:
            return  # the classification wait for this beacon is running
        g.pending_seq, g.pending_beacon = b.seq, b
        wait = self.env.rand() * self.classify_wait_max_s
        self.env.call_later(wait, self._classify_and_forward, b.gateway_ip)

    def _alive(self, st: _LinkStats, now: float) -> bool:
        return st.last_rx >= 0 and now - st.last_rx <= self.failover_beacons * self.beacon_interval_s

    def _rank(self, iface: int, st: _LinkStats) -> tuple:
        pref = self.uplinks.index(iface)
        if self.uplink_policy == "reliability":
            return (st.gaps, round(st.latency_s, 6), pref)
        return (round(st.latency_s, 6), st.gaps, pref)

    def _classify(self, now: float) -> tuple[int | None, int | None]:
        """Primary gateway and up-link among the live ones ([0037], [0042]).

        Hysteresis: while the current primary is alive it is kept unless another candidate is
        better by ``reclassify_margin_s`` of latency (or 2 sequence gaps, by reliability), so
        equal paths do not make the node flap between them.
        """
        best, current = None, None
        for gw, g in self.gateways.items():
            for iface, st in g.links.items():
                if iface in self.down_ifaces or not self._alive(st, now):
                    continue
                key = self._rank(iface, st)
                if (gw, iface) == (self.primary_gateway, self.primary_uplink):
                    current = (key, gw, iface)
                if best is None or key < best[0]:
                    best = (key, gw, iface)
        if best is None:
            return None, None
        if current is not None and current is not best:
            if self.uplink_policy == "reliability":
                better = best[0][0] <= current[0][0] - 2
            else:
                better = best[0][0] < current[0][0] - self.reclassify_margin_s
            if not better:
                return current[1], current[2]
        return best[1], best[2]

    def _classify_and_forward(self, gateway_ip: int) -> None:
        now = self.env.now()
        g = self.gateways[gateway_ip]
        b = g.pending_beacon
        g.pending_seq, g.pending_beacon = -1, None
        self._reclassify(now)
        if b is None or b.seq <= g.forwarded_seq:
            return
        g.forwarded_seq = b.seq
        if gateway_ip != self.primary_gateway:
            return  # [0043]: only the primary gateway's beacons go down the tree
        self.learnt_domain_id = b.domain_id
        self._sync_beacon()
        for iface in self.downlinks:
            if iface not in self.down_ifaces:
                self.env.send(iface, b)

    def _reclassify(self, now: float) -> None:
        gw, up = self._classify(now)
        if (gw, up) != (self.primary_gateway, self.primary_uplink):
            old = (self.primary_gateway, self.primary_uplink)
            self.primary_gateway, self.primary_uplink = gw, up
            self._sync_beacon()
            self.env.set_uplink(up)
            if old[1] is not None:
                self.env.log("uplink_switch", f"if{old[1]}->if{up} gw {ip_str(gw) if gw else '-'}")
            else:
                self.env.log("uplink", f"if{up} gw {ip_str(gw)}")

    def _check_uplinks(self) -> None:
        """Fail over when the primary up-link or gateway falls silent ([0040], [0045])."""
        self._reclassify(self.env.now())
        self.env.call_later(self.beacon_interval_s, self._check_uplinks)

    # ---- base-station beacons ([0047]) -------------------------------------------------------
    # Every bs_beacon_interval_s on the wireless interface, once the node has a primary gateway,
    # as a Periodic: its content changes only with the primary gateway or the domain id learnt,
    # so the core is not called at each of the ten beacons a second.
    def _sync_beacon(self) -> None:
        if self._beacon is None:
            return
        msg = (None if self.primary_gateway is None else BaseStationBeacon(
            self.bs_id, self.bs_ip, self.primary_gateway, self.learnt_domain_id or 0))
        if msg != self._beacon_msg:
            self._beacon_msg = msg
            self._beacon.set(msg)

    # ---- routing caches: messages from mobile hosts, on every hop ---------------------------
    def on_uplink_control(self, msg: Message, iface: int, src_mac: int | None = None) -> str | None:
        """A Registration / CacheUpdate / RouteUpdate passing up through this node ([0031],
        [0033]-[0036]). Returns what happened to the cache. Called on every hop, the gateway
        included, before the packet is forwarded or delivered.

        With source address validation, at a base station, a message from the wireless side
        (``src_mac``: the station that sent the frame) is ``"refused"`` -- to be dropped, no
        cache touched -- unless the care-of address it names was handed to that station; a DRCP
        request passes (``"passed"``) only with the sender's own MAC as client id, so a station
        holds one lease at a time."""
        if self.savi and iface == self.wireless:
            refused = self._savi_refuses(msg, src_mac)
            if refused:
                self._fault(refused)
                self.env.log("savi_refused", f"{msg.name} from {src_mac or 0:012x}: {refused}")
                return "refused"
            if isinstance(msg, DrcpRequest):
                return "passed"
        cache, now = self.env.cache(), self.env.now()
        if isinstance(msg, Registration):
            what = cache.hard(msg.coa, iface, now)
        elif isinstance(msg, CacheUpdate):
            what = (cache.semisoft if msg.semisoft else cache.hard)(msg.coa, iface, now)
        elif isinstance(msg, RouteUpdate):
            what = cache.refresh(msg.coa, iface, now)
        else:
            self._fault("unexpected_message")
            return None
        if what != "refreshed":
            self.env.log(f"cache_{what}", f"{ip_str(msg.coa)} if{iface} by {msg.name}")
        if self.role == "gateway" and (what == CREATED or isinstance(msg, Registration)):
            # A registration means the host (re-)entered this domain: the border router must
            # route its care-of address here even if an old entry was still alive.
            self._advertise_host(msg.coa)
        return what

    def _savi_refuses(self, msg: Message, src_mac: int | None) -> str | None:
        if isinstance(msg, DrcpRequest):
            return None if msg.client_id == src_mac else "savi_client_id_not_sender"
        if isinstance(msg, (Registration, CacheUpdate, RouteUpdate)):
            owner = self.bindings.get(msg.coa)
            if owner is None:
                return "savi_address_not_bound"
            return None if owner == src_mac else "savi_address_of_another_station"
        return None

    def on_cache_created(self, coa: int) -> None:
        """The forwarding cache created an entry from a data packet (self-healing, [0040])."""
        self.env.log("cache_created", f"{ip_str(coa)} by data")
        if self.role == "gateway":
            self._advertise_host(coa)

    def _advertise_host(self, coa: int) -> None:
        if self.border_router_ip:
            self._hostroute_seq += 1
            self.env.send_to(self.border_router_ip, HostRoute(coa, self.gateway_ip,
                                                             self._hostroute_seq, 0))

    # ---- messages addressed to this node -----------------------------------------------------
    def receive(self, msg: Message, iface: int, src_ip: int = 0) -> None:
        if isinstance(msg, GatewayBeacon):
            self._on_gateway_beacon(msg, iface)
        elif isinstance(msg, Registration) and self.role == "gateway":
            # Endpoint of a registration ([0050]): acknowledge it to the care-of address.
            self.env.send_to(msg.coa, RegistrationAck(msg.coa, msg.seq, self.gateway_ip,
                                                      self.domain_id))
        elif isinstance(msg, (CacheUpdate, RouteUpdate)) and self.role == "gateway":
            pass  # the caches were updated on the way up; nothing to answer
        elif isinstance(msg, (DrcpAdvertisement, DrcpReply)):
            self._flood_down(msg, iface)
        else:
            self._fault("unexpected_message")

    def _flood_down(self, msg: Message, iface: int) -> None:
        """Relay a DRCP advertisement or reply down the tree to the wireless side ([0029])."""
        key = (msg.TYPE, msg.server_ip, msg.seq) if isinstance(msg, DrcpAdvertisement) \
            else (msg.TYPE, msg.client_id, msg.xid)
        now = self.env.now()
        seen = self._seen_floods.get(key)
        if seen is not None and now - seen < self.flood_duplicate_window_s:
            # A second copy over another up-link (Figure 2B): it trails the first by the
            # difference of two paths' delays. A reply to the host's retransmitted request
            # carries the same transaction ID but comes a retry interval later, and must pass.
            return
        self._seen_floods[key] = now
        if len(self._seen_floods) > 256:
            for k in [k for k, t in self._seen_floods.items()
                      if now - t >= self.flood_duplicate_window_s]:
                del self._seen_floods[k]
        for down in self.downlinks:
            if down != iface and down not in self.down_ifaces:
                self.env.send(down, msg)
        if self.wireless is not None:
            if self.savi and isinstance(msg, DrcpReply) and msg.status == DRCP_OK:
                # The address is the client's now: only its station may speak for it here.
                self.bindings[msg.address] = msg.client_id
                self.env.savi_bind(msg.address, msg.client_id)
            if self.relay_jitter_s > 0:
                # RFC 5148 jitter: every base station of the sub-network gets the flood at the
                # same instant; cells on one channel that cannot hear each other would
                # broadcast it at the same instant, and a host between them would get neither.
                self.env.call_later(self.env.rand() * self.relay_jitter_s, self.env.send,
                                    self.wireless, msg)
            else:
                self.env.send(self.wireless, msg)

    # ---- failures --------------------------------------------------------------------------
    def interface_down(self, iface: int) -> None:
        """The node noticed that an interface lost its carrier ([0040], local detection): no
        up-link through it is a candidate any more, and the cache entries through it go; the
        next classification happens now rather than when its beacons are found missing."""
        if iface in self.down_ifaces:
            return
        self.down_ifaces.add(iface)
        self.env.cache().remove_interface(iface)
        self.env.log("interface_down", f"if{iface}")
        self._reclassify(self.env.now())

    def interface_up(self, iface: int) -> None:
        """The carrier is back: the interface is a candidate again once its beacons arrive."""
        if iface in self.down_ifaces:
            self.down_ifaces.discard(iface)
            self.env.log("interface_up", f"if{iface}")

    def _fault(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1


class BorderRouter:
    """Joins a sub-network's gateways; learns which gateway reaches each care-of address from
    their HostRoute messages ([0031], [0045]), and only from them."""

    def __init__(self, name: str, env: BorderRouterEnv,
                 gateways: dict[int, set[int]] | None = None, route_delay_s: float = 0.0):
        self.name, self.env = name, env
        self.routes: dict[int, tuple[int, int]] = {}  # host -> (gateway_ip, seq)
        # Routing convergence: a learnt route reaches the forwarding table this much later;
        # meanwhile packets follow the route installed before (mmp.border_route_delay_s).
        self.route_delay_s = route_delay_s
        self.installed: dict[int, int] = {}  # host -> gateway in the forwarding table
        # Gateway address -> the source addresses it sends from. Set, a HostRoute counts only
        # from one of its own gateways, about a route through itself (docs/security.md): any
        # other station could otherwise pull a host's traffic to wherever it names.
        self.gateways = gateways
        self.faults: dict[str, int] = {}

    def receive(self, msg: Message, iface: int, src_ip: int = 0) -> None:
        if not isinstance(msg, HostRoute):
            return
        if self.gateways is not None and src_ip not in self.gateways.get(msg.gateway_ip, ()):
            self.faults["host_route_not_from_gateway"] = self.faults.get(
                "host_route_not_from_gateway", 0) + 1
            return
        cur = self.routes.get(msg.host)
        if msg.withdraw:
            if cur and cur[0] == msg.gateway_ip:
                del self.routes[msg.host]
                self.installed.pop(msg.host, None)
                self.env.remove_host_route(msg.host)
                self.env.log("host_route_withdrawn", f"{ip_str(msg.host)} via {ip_str(msg.gateway_ip)}")
            return
        if cur is None or cur[0] != msg.gateway_ip or msg.seq > cur[1]:
            self.routes[msg.host] = (msg.gateway_ip, msg.seq)
            if cur is None or cur[0] != msg.gateway_ip:
                if self.route_delay_s > 0:
                    self.env.call_later(self.route_delay_s, self._install, msg.host, msg.gateway_ip)
                else:
                    self._install(msg.host, msg.gateway_ip)

    def _install(self, host: int, gateway_ip: int) -> None:
        cur = self.routes.get(host)
        if cur is None or cur[0] != gateway_ip or self.installed.get(host) == gateway_ip:
            return  # withdrawn, superseded while converging, or already in the table
        self.installed[host] = gateway_ip
        self.env.set_host_route(host, gateway_ip)
        self.env.log("host_route", f"{ip_str(host)} via {ip_str(gateway_ip)}")
