"""MMP and DRCP on ns-3: the cores of imm_ns3.mmp wired to sockets, the routing hook and the
radio, and the MMP part of the handoff measurements.

Set up by ``adapter/run.py`` after the probe (``adapter/traffic.py``): every run of a scenario
with MMP domains gets, per node (the Envs: ``adapter/mmp_env.py``), in this order (the order of
ns-3's sockets and of the cores' first timers):

- gateways, intermediate nodes, base stations (:func:`_install_domain_nodes`): an
  :class:`~imm_ns3.mmp.node.MmpNode` core, a UDP socket on MMP_PORT, and the C++ routing hook
  ``imm::MmpRouting`` (``mmp_routing.h``) that forwards packets up and down the tree and holds
  the routing cache; mobile hosts use the IP-level helpers of ``mmp_host.h``;
- border routers (:func:`_install_border_routers`): a :class:`~imm_ns3.mmp.node.BorderRouter`
  that installs host routes;
- DRCP servers (:func:`_install_drcp_servers`): a :class:`~imm_ns3.mmp.drcp.DrcpServer`;
- mobile hosts (:func:`_install_mobile_hosts`): a :class:`~imm_ns3.mmp.mobile.MobileHostDaemon`
  fed by the radio-level handoff detector, configuring the station's address and default route;
  every care-of address it configures (or loses) is published on the host's channel,
  ``ctx.care_of[mh]`` (:mod:`imm_ns3.careof`), the one place the probe, MIP-LR, SIP and the
  measurements learn it from;
- attacker stations of ``[[attacks]]`` (:func:`_install_attackers`): the base stations tell
  their claims, and the same-cell kinds' forgers go to ``ctx.forgers``.

The domains (:class:`MmpDomains`, ``ctx.domains``) tell the failures adapter which nodes a
host's traffic crosses now.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any

import numpy as np

from ..measure import handoff_probe_components
from ..mmp.drcp import AddressPool, DrcpServer
from ..mmp.messages import (
    DRCP_SERVER_PORT,
    MMP_PORT,
    CacheUpdate,
    DrcpRequest,
    Registration,
    RouteUpdate,
    ip_str,
)
from ..mmp.mobile import MobileHostDaemon
from ..mmp.node import MmpNode
from ..scenario.schema import STATION_ATTACK_KINDS
from .context import Collector, RunContext
from .env import Signalling
from .mmp_env import BorderEnv, DomainNodeEnv, DrcpEnv, MobileEnv, NodeHooks
from .runtime import compile_extension, control_trampoline, u32_trampoline

MMP_PRIORITY = 10  # above static routing (0) in each node's Ipv4ListRouting


class MmpDomains:
    """One run's MMP machinery: every node's Env by name (domain nodes, border routers, DRCP
    servers, mobile hosts, in the order they were set up) and the shape of the domain trees."""

    def __init__(self, ctx: RunContext):
        s, topo = ctx.scenario, ctx.topo
        self.ctx = ctx
        self.stats = Signalling(ctx.bridge.now, s.simulation.warmup_s)
        self.envs: dict[str, Any] = {}
        self.domain_nodes: dict[str, DomainNodeEnv] = {}
        self.gateway_ips = {n: int(topo.gateway_address(n)) for n, p in topo.nodes.items()
                            if p.role == "gateway"}
        self.border_routers = {p.subnet: n for n, p in topo.nodes.items() if p.role == "border_router"}
        self.below: dict[str, dict[int, str]] = {}  # node -> down-link interface -> the node below

    def of_kind(self, cls: type) -> list[Any]:
        return [env for env in self.envs.values() if isinstance(env, cls)]

    def path_in_use(self, mh: str) -> list[str]:
        """The downlink path of the host's traffic now: its border router's installed route
        to a gateway (a sub-network with one gateway has no border router: the gateway whose
        cache knows the host), then each node's routing cache down to a base station."""
        coa = self.ctx.care_of[mh].current
        if not coa:
            return []
        nodes = self.domain_nodes
        gw_name = {ip: n for n, ip in self.gateway_ips.items()}
        path: list[str] = []
        node = None
        for br in self.border_routers.values():
            gw = self.envs[br].core.installed.get(coa)
            if gw is not None:
                path.append(br)
                node = gw_name.get(gw)
                break
        if node is None:
            node = next((g for g in self.gateway_ips if nodes[g].cache().lookup(coa)), None)
        while node in nodes and node not in path:
            path.append(node)
            ifaces = nodes[node].cache().lookup(coa)
            node = self.below.get(node, {}).get(ifaces[0]) if ifaces else None
        return path


def setup_mmp(ctx: RunContext) -> Collector | None:
    if not ctx.scenario.domains:
        return None
    compile_extension("mmp_host.h")
    c = compile_extension("mmp_routing.h",
                          callbacks=("SetMmpCallbacks", (control_trampoline, u32_trampoline)))
    c.ResetMmpState()
    mmp = ctx.domains = MmpDomains(ctx)
    _install_domain_nodes(ctx, c, mmp)
    _install_border_routers(ctx, mmp)
    _install_drcp_servers(ctx, mmp)
    _install_mobile_hosts(ctx, mmp)
    _install_attackers(ctx, mmp)
    for env in mmp.envs.values():
        start = getattr(env.core, "start", None)
        if start:
            start()
    return lambda: _collect(ctx, mmp)


def _install_domain_nodes(ctx: RunContext, c: Any, mmp: MmpDomains) -> None:
    """Gateways, intermediate nodes and base stations: core, socket(s), routing hook."""
    s, topo, net, bridge = ctx.scenario, ctx.topo, ctx.net, ctx.bridge
    cfg = s.mmp
    domain_ids = {d: (dom.domain_id if dom.domain_id is not None else i + 1)
                  for i, (d, dom) in enumerate(s.domains.items())}
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
            mmp.below.setdefault(name, {})[iface] = d.peer
        for u in place.uplinks:  # primary first
            iface = ipv4.GetInterfaceForDevice(net.p2p_devices[(name, u.peer)])
            peers[iface] = int(u.peer_address)
            uplinks.append(iface)
        wireless = None
        if spec.role == "base_station":
            wireless = ipv4.GetInterfaceForDevice(net.ap_devices[name])
            shim.SetWireless(wireless)
        env = DomainNodeEnv(ctx, name, spec.role, mmp.stats, shim, peers, wireless)
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
        token = bridge.register(f"{name} MMP routing hook", NodeHooks(env))
        # Gateways are told when a data packet creates an entry, to advertise it ([0031]).
        shim.Configure(token, is_gw, int(subnet.network_address), int(subnet.netmask),
                       int(round(cfg.cache_timeout_s * 1e9)), MMP_PORT, is_gw)
        if env.core.savi:
            shim.EnableSavi(net.ap_devices[name], DRCP_SERVER_PORT)
        elif wireless is not None and any(a.kind in STATION_ATTACK_KINDS for a in s.attacks):
            shim.WatchSenders(net.ap_devices[name])  # to tell an attacker station's claims
        if not (env.core.savi or s.attacks):
            # Soft-state refreshes in C++ (mmp_routing.h); with source address validation or
            # attackers every control message is Python's to check or to record.
            env.enable_fast_refresh()
        mmp.envs[name] = mmp.domain_nodes[name] = env
        if cfg.failure_detection == "local":
            ctx.interface_watchers[name] = (
                lambda iface, up, core=env.core:
                core.interface_up(iface) if up else core.interface_down(iface))


def _install_border_routers(ctx: RunContext, mmp: MmpDomains) -> None:
    """One per sub-network with several gateways: host routes to the gateway that has the host."""
    s, net = ctx.scenario, ctx.net
    gw_ips = mmp.gateway_ips
    for sub, br in mmp.border_routers.items():
        links = {}
        for gw in gw_ips:
            if s.domains[s.nodes[gw].domain].subnet == sub:
                iface = net.ipv4(br).GetInterfaceForDevice(net.p2p_devices[(br, gw)])
                links[gw_ips[gw]] = (gw_ips[gw], iface)
        mmp.envs[br] = BorderEnv(ctx, br, mmp.stats, links, s.mmp.border_route_delay_s)


def _install_drcp_servers(ctx: RunContext, mmp: MmpDomains) -> None:
    """One per wireless sub-network, leasing its care-of address range."""
    s, topo = ctx.scenario, ctx.topo
    for sub, sn in s.subnets.items():
        if sn.kind != "wireless":
            continue
        name = f"{sub}-drcp"
        env = DrcpEnv(ctx, name, mmp.stats, log_leases=bool(s.attacks))
        server_ip = int(next(lk.addr_b for lk in topo.links if lk.b == name))
        gws = [ip for g, ip in mmp.gateway_ips.items() if s.domains[s.nodes[g].domain].subnet == sub]
        env.core = DrcpServer(name, env, server_ip=server_ip,
                              subnet=ipaddress.IPv4Network(sn.prefix),
                              pool=AddressPool(*topo.coa_range(sub)), gateways=gws,
                              lease_s=s.drcp.lease_s,
                              advertisement_interval_s=s.drcp.advertisement_interval_s)
        mmp.envs[name] = env


def _install_mobile_hosts(ctx: RunContext, mmp: MmpDomains) -> None:
    """A daemon per mobile host, fed by its radio, feeding its care-of address channel."""
    cfg, net = ctx.scenario.mmp, ctx.net
    for mh in ctx.topo.mobile_hosts:
        channel = ctx.care_of[mh.name]
        env = MobileEnv(ctx, mh.name, mmp.stats, channel)
        mac = int(ctx.bridge.c.DeviceMac(net.sta_devices[mh.name]))
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
        mmp.envs[mh.name] = env


def _install_attackers(ctx: RunContext, mmp: MmpDomains) -> None:
    """Attacker stations ([[attacks]] same-cell kinds): their MACs to every domain node (a base
    station logs the claims it applied), their forgers to ``ctx.forgers``."""
    s = ctx.scenario
    stations = {a.attacker for a in s.attacks if a.kind in STATION_ATTACK_KINDS}
    if not stations:
        return
    macs = {int(ctx.bridge.c.DeviceMac(ctx.net.sta_devices[n])): n for n in stations}
    for env in mmp.domain_nodes.values():
        env.attacker_macs = macs
    ctx.forgers.update(_station_forgers(ctx, mmp.envs))


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


def _collect(ctx: RunContext, mmp: MmpDomains) -> None:
    nodes, stats = mmp.domain_nodes, mmp.stats
    for env in nodes.values():
        env.finish_periodics()
    ctx.signalling_rows.extend(stats.rows())
    counters = defaultdict(int)
    for env in nodes.values():
        for k in ("up", "down", "bicast", "noRoute", "noUplink", "controlSeen", "controlDropped",
                  "saviDropped", "fastRefreshed"):
            counters[k] += int(getattr(env.shim, k))
    mobiles = {env.name: env for env in mmp.of_kind(MobileEnv)}
    ctx.extra_summary["mmp"] = {
        "forwarded_up": counters["up"], "forwarded_down": counters["down"],
        "bicast_copies": counters["bicast"], "dropped_no_route": counters["noRoute"],
        "dropped_no_uplink": counters["noUplink"],
        # Route-updates that only refreshed a cache, applied in C++ without Python (received
        # hops; still counted in the signalling table).
        "route_updates_fast": counters["fastRefreshed"],
        "dropped_not_listening": sum(env.gate_drops() for env in mobiles.values()),
        # Source address validation at base stations (security.auth): packets from a station
        # whose source address is not its own, and control messages claiming another's address
        # (or a DRCP client id not the sender's).
        "savi_dropped_packets": counters["saviDropped"],
        "savi_refused_messages": sum(n for env in nodes.values()
                                     for k, n in env.core.faults.items() if k.startswith("savi_")),
        "faults": stats.fault_summary(),
        # HostRoute messages border routers refused: not from one of their gateways.
        "host_routes_refused": sum(env.core.faults.get("host_route_not_from_gateway", 0)
                                   for env in mmp.of_kind(BorderEnv)),
        # The mobile daemons' transition table: pairs absent from it, and stale answers.
        "unexpected_events": {f"{mh}:{st}:{ev}": n for mh, env in mobiles.items()
                              for (st, ev), n in sorted(env.core.unexpected.items())},
        "stale_answers": {f"{mh}:{ev}": n for mh, env in mobiles.items()
                          for ev, n in sorted(env.core.stale.items())},
        # Periodic broadcasts the hosts' daemons would have ignored, dropped before Python.
        "host_broadcasts_kept_in_cpp": sum(env.gate_suppressed() for env in mobiles.values()),
        # Care-of addresses handed out again while a base station still mapped them to the
        # previous holder's MAC (cpp/ipv4.h AnnounceArpEntry).
        "stale_arp_entries_updated": sum(env.stale_arp for env in mobiles.values()),
    }
    # The handoff rows' MMP columns: the daemon's steps and, with a probe, its losses.
    for mh in ctx.topo.mobile_hosts:
        probe = ctx.probe_records.get(mh.name)
        seqs, arrivals, sent_times = probe if probe is not None else (None, None, None)
        rows = ctx.handoff_rows(mh.name)
        for row, extra in zip(rows, handoff_probe_components(
                ctx.handoff_times(mh.name), mmp.envs[mh.name].core.movements, seqs, arrivals,
                sent_times)):
            row.update(extra)
