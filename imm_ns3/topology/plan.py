"""The network a scenario declares, as plain data (see the package's docstring): the plan's
records and build_topology."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..scenario import LinkSpec, Scenario, Ns2TraceMobility, WaypointMobility


PERMANENT_ADDRESS_OFFSET = 9  # mhN gets host number 9 + N of the permanent prefix

MOVEMENT_KINDS = ("intra_domain", "inter_domain", "inter_subnet")


@dataclass(frozen=True)
class NodePlan:
    name: str
    role: str  # backbone_router, border_router, subnet_router, gateway, intermediate,
    #            base_station, correspondent, home_location_register, sip_server,
    #            home_agent, drcp_server, mobile_host
    subnet: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class LinkPlan:
    """A wired point-to-point link; ``a`` is the upper end (towards the backbone)."""

    kind: str  # backbone, access, border, domain, server
    a: str
    b: str
    rate_mbps: float
    delay_ms: float
    network: ipaddress.IPv4Network
    addr_a: ipaddress.IPv4Address
    addr_b: ipaddress.IPv4Address
    uplink_rank: int | None = None  # for domain links: 0 = the lower node's first up-link
    loss: float = 0.0  # packet loss probability at each receiving end (links.*.loss)


@dataclass(frozen=True)
class LanPlan:
    subnet: str
    router: str
    members: tuple[str, ...]  # router first
    addresses: tuple[ipaddress.IPv4Address, ...]
    network: ipaddress.IPv4Network
    rate_mbps: float
    delay_ms: float
    loss: float = 0.0


@dataclass(frozen=True)
class RadioPlan:
    base_station: str
    position_m: tuple[float, float, float]
    channel: int
    tx_power_dbm: float
    address: ipaddress.IPv4Address
    network: ipaddress.IPv4Network


@dataclass(frozen=True)
class MobileHostPlan:
    name: str
    index: int  # 0-based
    permanent_address: ipaddress.IPv4Address
    sip_url: str
    tx_power_dbm: float
    start_s: float  # time its walk starts (waypoint model)
    mobility: Any = None  # its mobility model (the scenario's, or its group's)
    # ns2_trace: its own (time, position) points, between which it moves linearly.
    path: list | None = None


@dataclass(frozen=True)
class DomainLink:
    """One end of a domain link as seen from a domain node: the node at the other end and its
    address on the link."""

    peer: str
    peer_address: ipaddress.IPv4Address
    rank: int | None = None  # up-links: 0 = the primary ([0037]); None for down-links


@dataclass(frozen=True)
class DomainPlace:
    """A domain node's place in its domain's inverse tree ([0027]-[0030], Figures 2A-2C)."""

    node: str
    role: str  # gateway, intermediate, base_station
    domain: str
    subnet: str
    downlinks: tuple[DomainLink, ...]  # in the order the links are declared
    uplinks: tuple[DomainLink, ...]  # primary first
    gateway_address: ipaddress.IPv4Address | None  # gateways: their end of the link above
    border_router_address: ipaddress.IPv4Address | None  # gateways of a sub-network with a
    #                                                     border router: its end of their link
    bs_id: int  # base stations: 1-based index among all base stations; else 0


@dataclass
class Topology:
    scenario: Scenario
    nodes: dict[str, NodePlan] = field(default_factory=dict)
    links: list[LinkPlan] = field(default_factory=list)
    lans: list[LanPlan] = field(default_factory=list)
    radios: dict[str, RadioPlan] = field(default_factory=dict)
    mobile_hosts: list[MobileHostPlan] = field(default_factory=list)

    # ---- ground truth of movements -----------------------------------------------------
    def domain_of(self, base_station: str) -> str:
        return self.scenario.nodes[base_station].domain

    def subnet_of(self, base_station: str) -> str:
        return self.scenario.domains[self.domain_of(base_station)].subnet

    def movement_kind(self, old_bs: str, new_bs: str) -> str:
        """The kind of a move between two base stations, from the topology ([0026], [0046])."""
        if self.domain_of(old_bs) == self.domain_of(new_bs):
            return "intra_domain"
        if self.subnet_of(old_bs) == self.subnet_of(new_bs):
            return "inter_domain"
        return "inter_subnet"

    # ---- views -------------------------------------------------------------------------
    def roles(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes.values():
            out[n.role] = out.get(n.role, 0) + 1
        return out

    def host_addresses(self) -> dict[str, ipaddress.IPv4Address]:
        """The address of every node on a wired LAN (hosts and their sub-network's router)."""
        return {m: a for lan in self.lans for m, a in zip(lan.members, lan.addresses)}

    def links_of(self, node: str) -> list[LinkPlan]:
        return [lk for lk in self.links if node in (lk.a, lk.b)]

    # ---- MMP domains as data ------------------------------------------------------------
    def gateway_address(self, gateway: str) -> ipaddress.IPv4Address:
        """A gateway's address in beacons and registrations: its end of the link above it."""
        up = next(lk for lk in self.links if lk.b == gateway and lk.kind in ("access", "border"))
        return up.addr_b

    def domain_place(self, node: str) -> DomainPlace:
        spec = self.scenario.nodes[node]
        subnet = self.scenario.domains[spec.domain].subnet
        down, up = [], []
        for lk in self.links:
            if lk.kind != "domain":
                continue
            if lk.a == node:
                down.append(DomainLink(lk.b, lk.addr_b))
            elif lk.b == node:
                up.append(DomainLink(lk.a, lk.addr_a, lk.uplink_rank))
        up.sort(key=lambda d: d.rank)
        gw = border = None
        if spec.role == "gateway":
            gw = self.gateway_address(node)
            br = self.border_router(subnet)
            if br is not None:
                border = next(lk.addr_a for lk in self.links if (lk.a, lk.b) == (br, node))
        bs_id = list(self.radios).index(node) + 1 if node in self.radios else 0
        return DomainPlace(node, spec.role, spec.domain, subnet, tuple(down), tuple(up), gw,
                           border, bs_id)

    def border_router(self, subnet: str) -> str | None:
        """The border router of a wireless sub-network, if it has one ([0028])."""
        return next((n for n, p in self.nodes.items()
                     if p.role == "border_router" and p.subnet == subnet), None)

    def primary_path(self, node: str) -> list[str]:
        """The domain nodes from ``node`` up to its gateway along primary up-links."""
        path = [node]
        while True:
            up = self.domain_place(path[-1]).uplinks
            if not up:
                return path
            path.append(up[0].peer)

    def crossover_node(self, old_bs: str, new_bs: str) -> str | None:
        """The lowest node that both base stations' primary paths share: where a cache hand-off
        for an intra-domain move takes effect ([0034], [0048]); None across domains."""
        if self.domain_of(old_bs) != self.domain_of(new_bs):
            return None
        old = self.primary_path(old_bs)
        return next((n for n in self.primary_path(new_bs) if n in old), None)

    def coa_range(self, subnet: str) -> tuple[int, int, set[int]]:
        """Care-of addresses of a wireless sub-network: (first, last, excluded) as integers --
        the prefix's host addresses less the base stations'."""
        net = ipaddress.IPv4Network(self.scenario.subnets[subnet].prefix)
        used = {int(r.address) for r in self.radios.values() if r.network == net}
        return int(net.network_address) + 1, int(net.broadcast_address) - 1, used


class _Allocator:
    def __init__(self, prefix: str):
        self._subnets = ipaddress.IPv4Network(prefix).subnets(new_prefix=30)

    def next(self) -> ipaddress.IPv4Network:
        try:
            return next(self._subnets)
        except StopIteration:
            raise ValueError(
                "addressing.infrastructure_prefix: too small for the scenario's wired links"
            ) from None


def _spec(default: LinkSpec, rate: float | None = None,
          delay: float | None = None) -> tuple[float, float, float]:
    """Rate, delay and loss of a link: its own rate and delay where given, else the default's."""
    return (rate if rate is not None else default.rate_mbps,
            delay if delay is not None else default.delay_ms, default.loss)


def build_topology(s: Scenario) -> Topology:
    """Plan every node, link, address and radio of scenario ``s`` (deterministic order)."""
    t = Topology(scenario=s)
    alloc = _Allocator(s.addressing.infrastructure_prefix)

    def add_node(name: str, role: str, subnet: str | None = None, domain: str | None = None):
        t.nodes[name] = NodePlan(name, role, subnet, domain)

    def add_link(kind: str, a: str, b: str, rate: float, delay: float, loss: float,
                 rank: int | None = None):
        net = alloc.next()
        h = list(net.hosts())
        t.links.append(LinkPlan(kind, a, b, rate, delay, net, h[0], h[1], rank, loss))

    for r in s.backbone.routers:
        add_node(r, "backbone_router")
    for lk in s.backbone.links:
        add_link("backbone", lk.a, lk.b, *_spec(s.links.backbone, lk.rate_mbps, lk.delay_ms))

    for sname, sn in s.subnets.items():
        access = _spec(sn.access_link or s.links.access)
        net = ipaddress.IPv4Network(sn.prefix)
        if sn.kind == "wired":
            router = f"{sname}-r"
            add_node(router, "subnet_router", subnet=sname)
            add_link("access", sn.attach, router, *access)
            members = [h for h, host in s.hosts.items() if host.subnet == sname]
            for h in members:
                add_node(h, s.hosts[h].role, subnet=sname)
            hosts = net.hosts()
            addrs = tuple(next(hosts) for _ in range(1 + len(members)))
            t.lans.append(LanPlan(sname, router, (router, *members), addrs, net, *_spec(s.links.lan)))
            continue

        domains = [d for d, dom in s.domains.items() if dom.subnet == sname]
        gateways = [n for d in domains for n in s.nodes_of(d, "gateway")]
        top = None
        if sn.border_router == "always" or len(gateways) > 1:
            top = f"{sname}-br"
            add_node(top, "border_router", subnet=sname)
            add_link("access", sn.attach, top, *access)
        for d in domains:
            for n in s.nodes_of(d):
                add_node(n, s.nodes[n].role, subnet=sname, domain=d)
        for gw in gateways:
            if top is None:
                add_link("access", sn.attach, gw, *access)
            else:
                add_link("border", top, gw, *_spec(s.links.domain))
        # Domain trees: one link per declared up-link, upper end first ([0028], Figure 2B).
        for d in domains:
            for n in s.nodes_of(d):
                for rank, up in enumerate(s.nodes[n].uplinks):
                    add_link("domain", up.node, n,
                             *_spec(s.links.domain, up.rate_mbps, up.delay_ms), rank=rank)
        # The sub-network's DRCP server ([0029]) hangs from the border router, or the gateway.
        drcp = f"{sname}-drcp"
        add_node(drcp, "drcp_server", subnet=sname)
        add_link("server", top or gateways[0], drcp, *_spec(s.links.lan))
        # Radios: base stations' WiFi interfaces take the first addresses of the prefix.
        hosts = net.hosts()
        for d in domains:
            for bs in s.nodes_of(d, "base_station"):
                node = s.nodes[bs]
                t.radios[bs] = RadioPlan(
                    bs, node.position_m, node.channel if node.channel is not None else s.wifi.channel,
                    node.tx_power_dbm if node.tx_power_dbm is not None else s.wifi.tx_power_dbm,
                    next(hosts), net)

    for i, f in enumerate(s.failures):
        if f.link is not None:
            a, b = f.link
            if not any({lk.a, lk.b} == {a, b} for lk in t.links):
                raise ValueError(f"failures.{i}.link: no wired link between {a!r} and {b!r}")
        elif f.node not in t.nodes or t.nodes[f.node].role == "mobile_host":
            raise ValueError(f"failures.{i}.node: {f.node!r} is not a fixed node of the scenario")
        if f.at_s + f.at_spread_s >= s.simulation.duration_s:
            spread = f" (+ at_spread_s {f.at_spread_s})" if f.at_spread_s else ""
            raise ValueError(f"failures.{i}.at_s: {f.at_s}{spread} is after the end of the run"
                             f" ({s.simulation.duration_s} s)")

    perm = ipaddress.IPv4Network(s.mobile_hosts.permanent_prefix)
    for i, (mobility, k, stagger) in enumerate(s.host_mobility()):
        start = mobility.start_s if isinstance(mobility, WaypointMobility) else 0.0
        name = f"mh{i + 1}"
        add_node(name, "mobile_host")
        addr = perm.network_address + PERMANENT_ADDRESS_OFFSET + i + 1
        if addr >= perm.broadcast_address:
            raise ValueError(
                f"mobile_hosts.count: {s.mobile_hosts.count} hosts do not fit in permanent_prefix"
                f" {perm} (host numbers {PERMANENT_ADDRESS_OFFSET + 1} and up are used)")
        t.mobile_hosts.append(MobileHostPlan(
            name, i, addr, f"sip:{name}@{s.mobile_hosts.sip_domain}",
            s.mobile_hosts.tx_power_dbm if s.mobile_hosts.tx_power_dbm is not None else s.wifi.tx_power_dbm,
            start + k * stagger, mobility,
            mobility.points(k) if isinstance(mobility, Ns2TraceMobility) else None))
    return t
