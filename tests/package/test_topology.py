"""The network plan of a scenario, without ns-3: counts, links, addresses, routes, movements."""

from __future__ import annotations

import ipaddress

import pytest

from imm_ns3.scenario import load_scenario, validate_dict
from imm_ns3.topology import (
    build_topology,
    destinations,
    neighbour_address,
    position_at,
    static_routes,
    waypoint_schedule,
)


@pytest.fixture(scope="module")
def topo():
    return build_topology(load_scenario("patent-walk"))


def test_node_counts(topo):
    assert topo.roles() == {
        "backbone_router": 1, "subnet_router": 2, "correspondent": 1, "home_agent": 1,
        "home_location_register": 1, "sip_server": 1, "border_router": 1, "gateway": 3,
        "intermediate": 3, "base_station": 5, "drcp_server": 2, "mobile_host": 1,
    }


def test_border_router_only_where_several_domains(topo):
    # [0028]: sn1 has two domains -> border router; sn2 has one -> gateway on the backbone.
    assert "sn1-br" in topo.nodes and "sn2-br" not in topo.nodes
    assert ("core", "gw504") in {(lk.a, lk.b) for lk in topo.links}
    assert {(lk.a, lk.b) for lk in topo.links if lk.kind == "border"} == {("sn1-br", "gw502"), ("sn1-br", "gw503")}


def test_domain_links_follow_uplinks(topo):
    domain = {(lk.a, lk.b) for lk in topo.links if lk.kind == "domain"}
    assert domain == {("gw502", "in502"), ("in502", "bs502a"), ("in502", "bs502b"),
                      ("gw503", "in503"), ("in503", "bs503a"),
                      ("gw504", "in504"), ("in504", "bs504a"), ("in504", "bs504b")}


def test_link_addresses_are_distinct_30s(topo):
    nets = [lk.network for lk in topo.links]
    assert len(set(nets)) == len(nets)
    for lk in topo.links:
        assert lk.network.prefixlen == 30 and lk.addr_a in lk.network and lk.addr_b in lk.network
        assert lk.network.subnet_of(ipaddress.IPv4Network("172.16.0.0/12"))


def test_radio_addresses_and_positions(topo):
    assert {bs: (str(r.address), r.position_m) for bs, r in topo.radios.items()} == {
        "bs502a": ("10.1.0.1", (0.0, 0.0, 0.0)),
        "bs502b": ("10.1.0.2", (0.0, 130.0, 0.0)),
        "bs503a": ("10.1.0.3", (130.0, 0.0, 0.0)),
        "bs504a": ("10.2.0.1", (260.0, 0.0, 0.0)),
        "bs504b": ("10.2.0.2", (390.0, 0.0, 0.0)),
    }
    first, last, excluded = topo.coa_range("sn1")
    assert (first, last) == (int(ipaddress.IPv4Address("10.1.0.1")), int(ipaddress.IPv4Address("10.1.255.254")))
    assert excluded == {int(ipaddress.IPv4Address(f"10.1.0.{i}")) for i in (1, 2, 3)}


def test_lan_and_mobile_host_addresses(topo):
    lan, home = topo.lans
    assert lan.members == ("sn0-r", "ch", "hlr", "sip")
    assert [str(a) for a in lan.addresses] == ["10.10.0.1", "10.10.0.2", "10.10.0.3", "10.10.0.4"]
    assert home.members == ("home-r", "ha") and str(home.addresses[1]) == "10.20.0.2"
    (mh,) = topo.mobile_hosts
    assert (mh.name, str(mh.permanent_address), mh.sip_url) == ("mh1", "10.0.0.10", "sip:mh1@imm.example")


def test_movement_kinds(topo):
    assert topo.movement_kind("bs502a", "bs502b") == "intra_domain"
    assert topo.movement_kind("bs502a", "bs503a") == "inter_domain"
    assert topo.movement_kind("bs503a", "bs504a") == "inter_subnet"
    assert topo.movement_kind("bs504a", "bs504b") == "intra_domain"


def _follow(topo, routes, src, dst_addr, limit=20):
    """Walk the planned routes hop by hop from src to the node owning dst_addr."""
    dst = ipaddress.IPv4Address(dst_addr)
    owners = {n for net, own in destinations(topo) if dst in net for n in own}
    path = [src]
    node = src
    while node not in owners:
        rs = routes[node]
        specific = [r for r in rs if r.dest is not None and dst in r.dest]
        default = [r for r in rs if r.dest is None]
        nxt = (max(specific, key=lambda r: r.dest.prefixlen) if specific else default[0]).via
        neighbour_address(topo, node, nxt)  # raises unless they share a link
        path.append(nxt)
        node = nxt
        assert len(path) < limit, path
    return path


def test_static_routes_reach_every_network(topo):
    routes = static_routes(topo)
    assert _follow(topo, routes, "ch", "10.2.0.77") == ["ch", "sn0-r", "core", "gw504"]
    assert _follow(topo, routes, "bs502a", "10.10.0.2") == ["bs502a", "in502", "gw502", "sn1-br", "core", "sn0-r"]
    lk = next(lk for lk in topo.links if (lk.a, lk.b) == ("in504", "bs504b"))
    assert _follow(topo, routes, "hlr", str(lk.addr_b))[-1] in ("in504", "bs504b")
    for node in routes:
        for net, owners in destinations(topo):
            if node not in owners:
                _follow(topo, routes, node, str(net.network_address + 1))


def test_backbone_router_has_no_default_route(topo):
    assert all(r.dest is not None for r in static_routes(topo)["core"])


def test_waypoint_schedule_and_positions():
    s = load_scenario("patent-walk")
    sched = waypoint_schedule(s.mobility, 2.0)
    assert sched == [(0.0, (0.0, 0.0, 0.0)), (2.0, (0.0, 0.0, 0.0)), (42.0, (400.0, 0.0, 0.0))]
    assert position_at(s.mobility, 2.0, 12.0) == (100.0, 0.0, 0.0)
    s2 = load_scenario("patent-walk", ["mobility.pause_s=1", "mobility.waypoints_m=[[0,0],[10,0],[10,20]]",
                                      "mobility.speed_mps=5"])
    assert waypoint_schedule(s2.mobility, 0.0) == [
        (0.0, (0.0, 0.0, 0.0)), (1.0, (0.0, 0.0, 0.0)), (3.0, (10.0, 0.0, 0.0)),
        (4.0, (10.0, 0.0, 0.0)), (8.0, (10.0, 20.0, 0.0))]


def test_multiple_mobile_hosts_and_stagger(walk_dict):
    walk_dict["mobile_hosts"].update(count=3, start_stagger_s=1.5)
    t = build_topology(validate_dict(walk_dict))
    assert [(m.name, str(m.permanent_address), m.start_s) for m in t.mobile_hosts] == [
        ("mh1", "10.0.0.10", 2.0), ("mh2", "10.0.0.11", 3.5), ("mh3", "10.0.0.12", 5.0)]


def test_border_router_always(walk_dict):
    walk_dict["subnets"]["sn2"]["border_router"] = "always"
    t = build_topology(validate_dict(walk_dict))
    assert t.nodes["sn2-br"].role == "border_router"
    assert ("sn2-br", "gw504") in {(lk.a, lk.b) for lk in t.links}


def test_figure_2c_domain_with_two_gateways_and_two_uplinks(tmp_path):
    from scenarios_fig2c import FIG2C

    p = tmp_path / "fig2c.toml"
    p.write_text(FIG2C)
    t = build_topology(load_scenario(p))
    assert t.nodes["wl-br"].role == "border_router"  # two gateways -> border router ([0028])
    assert {(lk.a, lk.b) for lk in t.links if lk.kind == "border"} == {("wl-br", "gw274a"), ("wl-br", "gw274b")}
    ranks = {(lk.a, lk.b): lk.uplink_rank for lk in t.links if lk.kind == "domain"}
    assert ranks == {("gw274a", "in276a"): 0, ("gw274b", "in276a"): 1, ("gw274b", "in276b"): 0,
                     ("gw274a", "in276b"): 1, ("in276a", "bs278a"): 0, ("in276b", "bs278a"): 1,
                     ("in276b", "bs278b"): 0}
    assert next(lk for lk in t.links if (lk.a, lk.b) == ("gw274a", "in276b")).delay_ms == 5.0
    routes = static_routes(t)
    assert _follow(t, routes, "ch", "10.5.0.9") == ["ch", "lan-r", "core", "wl-br"]


def test_permanent_prefix_is_routed_to_the_home_agent(topo):
    # Classic Mobile IP: packets for a home address reach the home network and its home agent.
    from imm_ns3.topology import static_routes

    routes = static_routes(topo)
    perm = ipaddress.IPv4Network("10.0.0.0/24")
    core = {r.dest: r.via for r in routes["core"]}
    assert core[perm] == "home-r"
    home_r = {r.dest: r.via for r in routes["home-r"]}
    assert home_r.get(perm, home_r.get(None)) == "ha"
