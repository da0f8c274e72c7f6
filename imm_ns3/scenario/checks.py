"""Cross-checks of a scenario: references between tables (a base station's domain, a domain's
sub-network, up-links, failures) and the structure they must form (a connected backbone, every
base station reaching a gateway, unique names). One 'path: message' line per problem."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import TYPE_CHECKING

from .radio import CHANNELS_5GHZ, CHANNELS_24GHZ, band_of
from .schema.events import CACHE_ATTACK_KINDS, STATION_ATTACK_KINDS
from .schema.protocols import MOBILE_CALL_PORT
from .errors import cut, shown
from .schema_names import check_name

if TYPE_CHECKING:
    from .schema import Scenario


# Route-updates a same-cell attack's hold_s sends within the run (each is scheduled when the
# attack starts): as many as a drcp_exhaustion's requests at most.
MAX_HOLD_REFRESHES = 100_000
# Expected on-periods of an onoff flow, (stop - start) / (on_s + off_s): each is a window the
# sender is given when the run is built.
MAX_ONOFF_PERIODS = 1_000_000


def _names(kind: str, d: dict) -> str:
    return cut(", ".join(sorted(map(str, d))), 1000) or f"(no {kind} declared)"


def cross_problems(s: Scenario):
    """Yield one 'path: message' line per reference or structure problem."""
    routers = s.backbone.routers
    if len(set(routers)) != len(routers):
        yield "backbone.routers: router names must be unique"
    for i, link in enumerate(s.backbone.links):
        for end in ("a", "b"):
            r = getattr(link, end)
            if r not in routers:
                yield f"backbone.links.{i}.{end}: unknown router {shown(r)}; allowed: {cut(', '.join(routers), 1000)}"
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
            yield f"subnets.{cut(name, 64)}.attach: unknown backbone router {shown(sn.attach)}; allowed: {cut(', '.join(routers), 1000)}"
        nets.append((f"subnets.{cut(name, 64)}.prefix", ipaddress.IPv4Network(sn.prefix)))
    nets.append(("mobile_hosts.permanent_prefix", ipaddress.IPv4Network(s.mobile_hosts.permanent_prefix)))
    nets.append(("addressing.infrastructure_prefix", ipaddress.IPv4Network(s.addressing.infrastructure_prefix)))
    for i, (pa, na) in enumerate(nets):
        for pb, nb in nets[i + 1:]:
            if na.overlaps(nb):
                yield f"{pb}: {nb} overlaps {pa} ({na}); prefixes must be disjoint"

    for name, dom in s.domains.items():
        if dom.subnet not in s.subnets:
            yield f"domains.{cut(name, 64)}.subnet: unknown sub-network {shown(dom.subnet)}; allowed: {_names('subnets', s.subnets)}"
        elif s.subnets[dom.subnet].kind != "wireless":
            yield f"domains.{cut(name, 64)}.subnet: {shown(dom.subnet)} is a wired sub-network; domains belong to wireless ones"
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
        where = f"nodes.{cut(name, 64)}"
        if node.domain not in s.domains:
            yield f"{where}.domain: unknown domain {shown(node.domain)}; allowed: {_names('domains', s.domains)}"
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
                yield f"{where}.uplinks.{j}: unknown node {shown(up)}"
            elif other.domain != node.domain:
                yield f"{where}.uplinks.{j}: {shown(up)} is in domain {shown(other.domain)}, not {shown(node.domain)}"
            elif other.role == "base_station":
                yield f"{where}.uplinks.{j}: {shown(up)} is a base station; up-links go to intermediate nodes or gateways"
        if node.role == "base_station":
            if node.position_m is None:
                yield f"{where}.position_m: a base station needs a position (x, y, z) in metres"
            if node.channel is not None and node.channel not in allowed_channels:
                yield (f"{where}.channel: {node.channel} is not a {band} channel of"
                       f" {s.wifi.standard}; allowed: {', '.join(map(str, allowed_channels))}")
        else:
            for f in ("position_m", "tx_power_dbm", "channel"):
                if getattr(node, f) is not None:
                    yield f"{where}.{f}: only base stations have a radio; remove it from this {node.role}"

    # Every domain: at least one gateway and one base station, and no cycle in its up-links
    # (each node reaches a gateway).
    for name in s.domains:
        members = s.nodes_of(name)
        if not any(s.nodes[m].role == "gateway" for m in members):
            yield f"domains.{cut(name, 64)}: no node with role 'gateway' in this domain"
        if not any(s.nodes[m].role == "base_station" for m in members):
            yield f"domains.{cut(name, 64)}: no node with role 'base_station' in this domain"
    for name, node in s.nodes.items():
        if node.domain in s.domains and node.role != "gateway" and not _reaches_gateway(s, name):
            yield f"nodes.{cut(name, 64)}.uplinks: the up-links of {shown(name)} form a cycle and reach no gateway"
    for name, sn in s.subnets.items():
        if sn.kind == "wireless" and not any(d.subnet == name for d in s.domains.values()):
            yield f"subnets.{cut(name, 64)}: a wireless sub-network needs at least one domain"
    if not s.base_stations():
        yield "nodes: the scenario has no base station"

    for name, host in s.hosts.items():
        if host.subnet not in s.subnets:
            yield f"hosts.{cut(name, 64)}.subnet: unknown sub-network {shown(host.subnet)}; allowed: {_names('subnets', s.subnets)}"
        elif s.subnets[host.subnet].kind != "wired":
            yield f"hosts.{cut(name, 64)}.subnet: {shown(host.subnet)} is wireless; fixed hosts sit on wired sub-networks"

    if s.probe.enabled:
        cors = [h for h, host in s.hosts.items() if host.role == "correspondent"]
        if s.probe.source is not None and s.probe.source not in cors:
            yield (f"probe.source: {shown(s.probe.source)} is not a correspondent host; allowed:"
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

    attackers = [h for h, host in s.hosts.items() if host.role == "attacker"]
    needs = {"miplr_update": ("home_location_register", "MIP-LR"), "replay": (None, None),
             "mip_registration": ("home_agent", "Mobile IP"), "sip_register": ("sip_server", "SIP"),
             "sip_reinvite": ("correspondent", "SIP"), "mmp_registration": (None, None),
             "mmp_semisoft_copy": (None, None), "drcp_exhaustion": (None, None)}
    mobile = [f"mh{i}" for i in range(1, s.mobile_hosts.count + 1)]
    for i, a in enumerate(s.attacks):
        where = f"attacks.{i}"
        if a.victim not in mobile:
            yield (f"{where}.victim: {shown(a.victim)} is not a mobile host; allowed: mh1 .. "
                   f"mh{s.mobile_hosts.count}")
        if a.kind in STATION_ATTACK_KINDS:
            if a.attacker not in mobile or a.attacker == a.victim:
                others = [m for m in mobile if m != a.victim]
                yield (f"{where}.attacker: {shown(a.kind)} is sent from a station: a mobile host other"
                       f" than the victim; allowed: {', '.join(others) or '(none: raise mobile_hosts.count)'}")
            if not s.domains:
                yield f"{where}.kind: {shown(a.kind)} attacks MMP/DRCP: the scenario has no domains"
        elif a.attacker not in attackers:
            yield (f"{where}.attacker: {shown(a.attacker)} is not a host with role 'attacker'; allowed:"
                   f" {', '.join(attackers) or '(none declared: add one under [hosts])'}")
        if a.hold_s and a.kind not in CACHE_ATTACK_KINDS:
            yield f"{where}.hold_s: only for mmp_registration and mmp_semisoft_copy, not {shown(a.kind)}"
        elif a.hold_s:
            # The adapter schedules every refresh that falls inside the run when the attack
            # starts (imm_ns3/adapter/mmp.py): bounded like drcp_exhaustion's requests.
            interval = s.mmp.route_update_interval_s
            within = min(a.hold_s, max(s.simulation.duration_s - a.at_s, 0.0))
            refreshes = math.floor(within / interval)
            if refreshes > MAX_HOLD_REFRESHES:
                yield (f"{where}.hold_s: {a.hold_s:g} s of route-updates every"
                       f" mmp.route_update_interval_s ({interval:g} s) makes {refreshes} refreshes"
                       f" within the run; at most {MAX_HOLD_REFRESHES}: hold_s at most"
                       f" {MAX_HOLD_REFRESHES * interval:g} s at this interval")
        if a.requests is not None and a.kind != "drcp_exhaustion":
            yield f"{where}.requests: only for drcp_exhaustion, not {shown(a.kind)}"
        if a.at_s + a.at_spread_s >= s.simulation.duration_s:
            yield (f"{where}.at_s: {a.at_s} (+ at_spread_s {a.at_spread_s}) is not before the end"
                   f" of the run ({s.simulation.duration_s} s)")
        role, what = needs[a.kind]
        if a.kind == "replay":
            if not ({"home_location_register", "home_agent"} & roles):
                yield f"{where}.kind: 'replay' needs a home location register or a home agent"
        elif role is not None and role not in roles:
            yield f"{where}.kind: {shown(a.kind)} attacks {what}: the scenario needs a host with role {shown(role)}"
        # The mechanism must be in use, or there is nothing to attack.
        mech = {"miplr_update": "miplr", "mip_registration": "mip",
                "sip_register": "sip", "sip_reinvite": "sip"}.get(a.kind)
        if mech == "sip" and not (s.sip.enabled and mm.realtime == "sip"):
            yield (f"{where}.kind: {shown(a.kind)} needs SIP mobility (sip.enabled = true and"
                   f" macro_mobility.realtime = \"sip\")")
        elif mech in ("miplr", "mip") and mech not in uses:
            yield (f"{where}.kind: {shown(a.kind)} needs {what} in use: macro_mobility.tcp (with"
                   f" tcp.enabled) or macro_mobility.realtime (with sip.enabled) = \"{mech}\"")
    yield from _flow_problems(s, mobile, roles)
    yield from _call_problems(s, mobile, roles)
    yield from _trace_problems(s)
    if s.security.auth and s.wifi.mh_radios == 2:
        # Source address validation binds a care-of address to the one MAC that obtained it;
        # a second radio (another MAC) would have its packets dropped.
        yield ("security.auth: source address validation binds a care-of address to one radio's"
               " MAC; it cannot be combined with wifi.mh_radios = 2")

    # Names become node names, pcap and results file names: a safe alphabet only.
    for kind, names in (("backbone.routers", routers), ("subnets", s.subnets),
                        ("domains", s.domains), ("nodes", s.nodes), ("hosts", s.hosts)):
        for n in names:
            try:
                check_name(n)
            except ValueError as e:
                yield f"{kind}.{cut(n, 64)}: {e}"
    # Names imm-ns3 gives to the nodes it adds ([0028]-[0029]): a declared name must not take one.
    generated = {}
    for sn_name, sn in s.subnets.items():
        if sn.kind == "wired":
            generated[f"{sn_name}-r"] = f"the router of sub-network {sn_name}"
        else:
            generated[f"{sn_name}-br"] = f"the border router of sub-network {sn_name}"
            generated[f"{sn_name}-drcp"] = f"the DRCP server of sub-network {sn_name}"
    for kind, names in (("backbone.routers", routers), ("subnets", s.subnets),
                        ("domains", s.domains), ("nodes", s.nodes), ("hosts", s.hosts)):
        for n in names:
            if n in generated:
                yield f"{kind}.{cut(n, 64)}: the name {shown(n)} is taken by {generated[n]}; choose another"
            if re.fullmatch(r"mh[0-9]+", n):
                yield f"{kind}.{cut(n, 64)}: names mh1, mh2, ... are the mobile hosts'; choose another"
    # Address capacity of each sub-network's prefix.
    for sn_name, sn in s.subnets.items():
        net = ipaddress.IPv4Network(sn.prefix)
        room = max(net.num_addresses - 2, 0)
        if sn.kind == "wired":
            need = 1 + sum(1 for h in s.hosts.values() if h.subnet == sn_name)
            what = "its router and hosts"
        else:
            need = sum(1 for n, d in s.nodes.items() if d.role == "base_station"
                       and s.domains.get(d.domain) is not None and s.domains[d.domain].subnet == sn_name)
            what = "its base stations"
        if need > room:
            yield (f"subnets.{sn_name}.prefix: {sn.prefix} has {room} host addresses, {what} need"
                   f" {need}; use a shorter prefix")

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


def flow_port(s: "Scenario", i: int) -> int:
    """The receiver's port of flow ``i`` (its own, or 20000 + its index)."""
    f = s.flows[i]
    return f.port if f.port is not None else 20000 + i


def _flow_problems(s: "Scenario", mobile: list[str], roles: set[str]):
    """[[flows]]: ends that exist, a mechanism that carries the flow to a mobile host, times
    inside the run, one port per receiver."""
    mm = s.macro_mobility
    fixed = list(s.hosts)
    seen_names: set[str] = set()
    ports: dict[tuple[str, int], str] = {}
    for i, f in enumerate(s.flows):
        where = f"flows.{i}"
        if f.name in seen_names:
            yield f"{where}.name: {shown(f.name)} names another flow too; flow names are unique"
        seen_names.add(f.name)
        if f.src not in fixed and f.src not in mobile:
            yield (f"{where}.src: {shown(f.src)} is neither a fixed host nor a mobile host; allowed:"
                   f" {', '.join(fixed + mobile)}")
        if f.dst not in fixed and f.dst not in mobile:
            yield (f"{where}.dst: {shown(f.dst)} is neither a fixed host nor a mobile host; allowed:"
                   f" {', '.join(fixed + mobile)}")
        elif f.dst == f.src:
            yield f"{where}.dst: the flow's source and destination are the same host"
        elif f.dst in mobile and f.dst_address == "care_of" and f.kind == "tcp_bulk":
            yield (f"{where}.dst_address: TCP to the care-of address is not kept across"
                   f" sub-network changes (the connection is reset when the address goes); use"
                   f" \"permanent\" (carried by macro_mobility.tcp), or a UDP kind")
        elif f.src in mobile and f.kind == "tcp_bulk" and f.dst not in mobile:
            # An upload: the peer's answers go to the permanent address (the connection's).
            # (A mechanism's servers are checked with macro_mobility.)
            if mm.tcp == "miplr" and s.hosts[f.dst].role != "correspondent":
                yield (f"{where}.dst: MIP-LR rewrites the answers' addresses at correspondents"
                       f" ([0058]-[0062]): {shown(f.dst)} has role {shown(s.hosts[f.dst].role)};"
                       f" use a correspondent")
        elif f.dst in mobile and f.dst_address == "permanent":
            cls, mech = (("tcp", mm.tcp) if f.kind == "tcp_bulk" else ("realtime", mm.realtime))
            if mech not in ("miplr", "mip"):
                alt = ("" if f.kind == "tcp_bulk"  # TCP to the care-of address is refused above
                       else "; or set dst_address = \"care_of\"")
                yield (f"{where}.dst_address: \"permanent\" needs macro_mobility.{cls} = \"miplr\" or"
                       f" \"mip\" to carry it (it is {shown(mech)}){alt}")
            elif mech == "miplr" and "home_location_register" not in roles:
                yield f"{where}.dst_address: MIP-LR needs a host with role 'home_location_register'"
            elif mech == "mip" and "home_agent" not in roles:
                yield f"{where}.dst_address: Mobile IP needs a host with role 'home_agent'"
            elif mech == "miplr" and f.src in mobile and s.security.auth:
                yield (f"{where}.src: between two mobile hosts MIP-LR's binding keys do not work"
                       f" (a register ties a correspondent's key to its address, and a mobile"
                       f" correspondent's changes); set security.auth = false, or mechanism \"mip\"")
            elif mech == "miplr" and f.src in s.hosts and s.hosts[f.src].role != "correspondent":
                yield (f"{where}.src: MIP-LR rewrites addresses at correspondents ([0058]-[0062]):"
                       f" {shown(f.src)} has role {shown(s.hosts[f.src].role)}; use a correspondent")
        if (f.dst in mobile or f.src in mobile) and not s.domains:
            yield f"{where}: a mobile host needs MMP domains to have an address"
        stop = f.stop_s if f.stop_s is not None else s.simulation.duration_s - 1.0
        if f.start_s >= stop or stop > s.simulation.duration_s:
            yield (f"{where}.start_s: the flow must start before it stops ({stop:g} s) and stop"
                   f" within the run ({s.simulation.duration_s:g} s)")
        elif f.kind == "onoff" and (stop - f.start_s) / (f.on_s + f.off_s) > MAX_ONOFF_PERIODS:
            periods = (stop - f.start_s) / (f.on_s + f.off_s)
            yield (f"{where}.on_s: on_s + off_s = {f.on_s + f.off_s:g} s makes about {periods:.3g}"
                   f" on-periods in the flow's {stop - f.start_s:g} s; at most"
                   f" {MAX_ONOFF_PERIODS}: on_s + off_s at least"
                   f" {(stop - f.start_s) / MAX_ONOFF_PERIODS:.3g} s")
        port = flow_port(s, i)
        if s.tcp.enabled and port == s.tcp.port and f.dst in mobile:
            yield f"{where}.port: {port} is the built-in TCP transfer's (tcp.port); choose another"
        other = ports.get((f.dst, port))
        if other is not None:
            yield f"{where}.port: {port} at {cut(f.dst, 64)} is flow {shown(other)}'s too; choose another"
        ports[(f.dst, port)] = f.name


def mobile_call_port(i: int) -> int:
    """The RTP port of ``[[sip.calls]]`` entry ``i`` at both its hosts."""
    return MOBILE_CALL_PORT + 2 * i


def _call_problems(s: "Scenario", mobile: list[str], roles: set[str]):
    """[[sip.calls]]: two different mobile hosts, SIP signalling, inside the run, one call per
    pair, ports no flow listens on."""
    pairs: dict[frozenset, int] = {}
    for i, c in enumerate(s.sip.calls):
        where = f"sip.calls.{i}"
        for end in ("caller", "callee"):
            if getattr(c, end) not in mobile:
                yield (f"{where}.{end}: {shown(getattr(c, end))} is not a mobile host; allowed:"
                       f" {', '.join(mobile[:8])}{' ...' if len(mobile) > 8 else ''}")
        if c.caller == c.callee:
            yield f"{where}.callee: a host does not call itself"
        elif frozenset((c.caller, c.callee)) in pairs:
            yield (f"{where}: {shown(c.caller)} and {shown(c.callee)} have a call already"
                   f" (sip.calls.{pairs[frozenset((c.caller, c.callee))]}); one call per pair")
        pairs.setdefault(frozenset((c.caller, c.callee)), i)
        if not s.sip.enabled:
            yield f"{where}: calls need sip.enabled = true"
        elif s.macro_mobility.realtime != "sip":
            yield (f"{where}: a call is SIP signalling: macro_mobility.realtime must be \"sip\""
                   f" (it is {shown(s.macro_mobility.realtime)}); for a stream between two mobile"
                   f" hosts under MIP-LR or Mobile IP use a [[flows]] UDP flow")
        elif "sip_server" not in roles:
            yield f"{where}: calls need a host with role 'sip_server' (the redirect server, [0074])"
        if c.at_s >= s.simulation.duration_s - 1.0:
            yield (f"{where}.at_s: {c.at_s:g} s leaves no time to talk; the run ends at"
                   f" {s.simulation.duration_s:g} s (calls stop 1 s before)")
        for j, f in enumerate(s.flows):
            if f.dst in (c.caller, c.callee) and flow_port(s, j) in (mobile_call_port(i), mobile_call_port(i) + 1):
                yield (f"flows.{j}.port: {flow_port(s, j)} at {f.dst} is sip.calls.{i}'s RTP port;"
                       f" choose another")


def _trace_problems(s: "Scenario"):
    """ns2_trace mobility: every host has a node of the trace to follow."""
    models = ([("mobility", s.mobility, s.mobile_hosts.count)] if not s.mobile_hosts.groups else
              [(f"mobile_hosts.groups.{i}.mobility", g.mobility, g.count)
               for i, g in enumerate(s.mobile_hosts.groups)])
    first_host = 1
    for where, m, count in models:
        if getattr(m, "model", None) == "ns2_trace":
            have = m.nodes()
            missing = [m.first_node + k for k in range(count) if m.first_node + k not in have]
            if missing:
                k = missing[0] - m.first_node
                yield (f"{where}.first_node: host mh{first_host + k} would follow node {missing[0]}"
                       f" of {shown(m.file)}, which has nodes {_ranges(have)}"
                       f" ({len(missing)} host(s) without a node)")
        first_host += count


def _ranges(ids: list[int]) -> str:
    out, start, prev = [], None, None
    for i in ids:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = i
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)
