"""MMP nodes, DRCP server and the mobile host's daemon, in memory (no ns-3)."""

from __future__ import annotations

import ipaddress

import pytest

from imm_ns3.mmp.drcp import AddressPool, DrcpServer
from imm_ns3.mmp.messages import (
    DRCP_EXHAUSTED,
    DRCP_NOT_OURS,
    DRCP_OK,
    BaseStationBeacon,
    CacheUpdate,
    DrcpAdvertisement,
    DrcpReply,
    DrcpRequest,
    GatewayBeacon,
    HostRoute,
    Registration,
    RegistrationAck,
    RouteUpdate,
    ip_int,
)
from imm_ns3.mmp.mobile import (ATTACHED, DETACHED, WAIT_ACK, WAIT_ADV, WAIT_BEACON, WAIT_DRCP,
                              MobileHostDaemon)
from imm_ns3.mmp.node import BorderRouter, MmpNode

from fakes import (FakeBorderRouterEnv, FakeDomainEnv, FakeDrcpServerEnv, FakeLoop, FakeMobileHostEnv,
                   connect)

GW = ip_int("10.1.255.1")
COA = ip_int("10.1.0.9")


def _tree(loop, handoff_delay=0.001, **kw):
    """gw -(1/0)- in -(1/0)- bsA ; in -(2/0)- bsB ; bs wireless iface 9."""
    envs = {n: FakeDomainEnv(loop, n, seed=i + 1) for i, n in enumerate(["gw", "in", "bsA", "bsB"])}
    envs["gw"].node = MmpNode("gw", "gateway", envs["gw"], domain_id=502, uplinks=[], downlinks=[1],
                              gateway_ip=GW, **kw)
    envs["in"].node = MmpNode("in", "intermediate", envs["in"], domain_id=502, uplinks=[0],
                              downlinks=[1, 2], **kw)
    for n, bid in (("bsA", 1), ("bsB", 2)):
        envs[n].node = MmpNode(n, "base_station", envs[n], domain_id=502, uplinks=[0], downlinks=[],
                               wireless=9, bs_id=bid, bs_ip=ip_int(f"10.1.0.{bid}"), **kw)
    connect(envs["gw"], 1, envs["in"], 0, handoff_delay)
    connect(envs["in"], 1, envs["bsA"], 0, handoff_delay)
    connect(envs["in"], 2, envs["bsB"], 0, handoff_delay)
    for e in envs.values():
        e.node.start()
    return envs


def _up(envs, path, msg):
    """Carry an up-link control message hop by hop as the forwarding shim does."""
    for node, iface in path:
        envs[node].node.on_uplink_control(msg, iface)
    envs["gw"].node.receive(msg, 1)


PATH_A = [("bsA", 9), ("in", 1), ("gw", 1)]
PATH_B = [("bsB", 9), ("in", 2), ("gw", 1)]


def test_gateway_beacons_build_uplinks_and_reach_the_air():
    loop = FakeLoop()
    envs = _tree(loop, beacon_interval_s=0.5)
    loop.run(2.0)
    assert envs["in"].uplink == 0 and envs["bsA"].uplink == 0 and envs["bsB"].uplink == 0
    beacons = [m for _, i, m in envs["bsA"].sent if i == 9 and isinstance(m, BaseStationBeacon)]
    assert len(beacons) > 10
    assert {(b.gateway_ip, b.domain_id, b.bs_id) for b in beacons} == {(GW, 502, 1)}
    fwd = [m.seq for _, i, m in envs["in"].sent if i == 1 and isinstance(m, GatewayBeacon)]
    assert fwd == sorted(set(fwd)) and len(fwd) >= 3  # each beacon forwarded once, in order


def test_stale_beacon_is_disregarded():
    loop = FakeLoop()
    env, n = _two_uplink_node(loop)
    n.receive(GatewayBeacon(GW, 502, 5, 0), 3)
    loop.run(0.1)
    n.receive(GatewayBeacon(GW, 502, 5, 0), 3)
    n.receive(GatewayBeacon(GW, 502, 4, 0), 3)
    n.receive(GatewayBeacon(GW, 502, 6, 0), 5)  # from below
    loop.run(0.2)
    assert n.faults == {"stale_beacon": 2, "beacon_from_below": 1}
    assert [m.seq for _, _, m in env.sent if isinstance(m, GatewayBeacon)] == [5]


def _two_uplink_node(loop, policy="latency"):
    env = FakeDomainEnv(loop, "x")
    node = MmpNode("x", "intermediate", env, domain_id=1, uplinks=[3, 4], downlinks=[5],
                   uplink_policy=policy, beacon_interval_s=0.5, classify_wait_max_s=0.01)
    env.node = node
    node.start()
    return env, node


def test_uplinks_classified_by_latency():
    # [0037]: both up-links carry each beacon; the one with less delay becomes primary.
    loop = FakeLoop()
    env, node = _two_uplink_node(loop)
    for seq in range(1, 6):
        t0 = loop.now()
        loop.call_later(0.010, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.call_later(0.002, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 4)
        loop.run(t0 + 0.5)
    assert env.uplink == 4
    sent = [m.seq for _, i, m in env.sent if i == 5]
    assert sent == [1, 2, 3, 4, 5]  # forwarded once per sequence number


def test_uplinks_classified_by_reliability():
    loop = FakeLoop()
    env, node = _two_uplink_node(loop, policy="reliability")
    for seq in range(1, 9):
        t0 = loop.now()
        loop.call_later(0.001, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 4)
        if seq % 3:  # link 4 is faster but link 3 never loses a beacon...
            pass
        loop.call_later(0.005, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.run(t0 + 0.5)
    assert env.uplink == 4  # equal reliability: latency decides
    for seq in range(9, 15):
        t0 = loop.now()
        if seq % 2:
            loop.call_later(0.001, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 4)
        loop.call_later(0.005, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.run(t0 + 0.5)
    assert env.uplink == 3  # link 4 shows sequence gaps


def test_failover_when_primary_uplink_falls_silent():
    loop = FakeLoop()
    env, node = _two_uplink_node(loop)
    seq = 0
    while loop.now() < 3.0:
        seq += 1
        t0 = loop.now()
        loop.call_later(0.002, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 4)
        loop.call_later(0.008, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.run(t0 + 0.5)
    assert env.uplink == 4
    t_fail = loop.now()
    while loop.now() < 6.0:  # link 4 dead from now on
        seq += 1
        t0 = loop.now()
        loop.call_later(0.008, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.run(t0 + 0.5)
    assert env.uplink == 3
    t_switch = next(t for t, e, _ in env.logs if e == "uplink_switch")
    assert t_switch - t_fail <= (3 + 1) * 0.5 + 0.01  # within failover_beacons + 1 intervals


def test_local_interface_failure_switches_at_once_and_drops_its_cache_entries():
    # [0040]: "a node may switch to a secondary interface if it detects a failure in its
    # primary interface" -- without waiting for gateway-beacons to go missing.
    loop = FakeLoop()
    env, node = _two_uplink_node(loop)
    for seq in range(1, 5):
        t0 = loop.now()
        loop.call_later(0.002, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 4)
        loop.call_later(0.008, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.run(t0 + 0.5)
    assert env.uplink == 4
    node.on_uplink_control(RouteUpdate(COA, 1, 1), 5)
    assert env.cache().lookup(COA, loop.now()) == (5,)
    t_fail = loop.now()
    node.interface_down(4)
    assert env.uplink == 3 and loop.now() == t_fail  # switched in the same instant
    node.interface_down(5)  # a down-link: the entries through it go
    assert env.cache().lookup(COA, loop.now()) == ()
    node.interface_down(3)  # no up-link left
    assert env.uplink is None
    assert [e for _, e, _ in env.logs].count("interface_down") == 3
    node.interface_up(4)  # back, but a candidate only once its beacons arrive again
    assert env.uplink is None
    t0 = loop.now()
    loop.call_later(0.002, node.receive, GatewayBeacon(GW, 1, 99, int(t0 * 1e9)), 4)
    loop.run(t0 + 0.1)
    assert env.uplink == 4


def test_border_router_installs_routes_after_its_convergence_delay():
    loop = FakeLoop()
    env = FakeBorderRouterEnv(loop)
    installed = env.route_log  # (t, host, gateway or None)
    gw2 = ip_int("10.1.255.7")
    br = BorderRouter("br", env, route_delay_s=0.5)
    br.receive(HostRoute(COA, GW, 1, 0), 0)
    loop.run(0.4)
    assert installed == []  # still converging: packets follow the old forwarding table
    loop.run(0.6)
    assert installed == [(0.5, COA, GW)]
    # Two announcements in quick succession: only the latest gateway is installed.
    loop.call_later(0.1, br.receive, HostRoute(COA, gw2, 1, 0), 0)
    loop.call_later(0.2, br.receive, HostRoute(COA, GW, 2, 0), 0)
    loop.run(2.0)
    assert installed == [(0.5, COA, GW)]  # back to the installed gateway: nothing to do


def test_only_the_primary_gateways_beacons_go_down():
    # [0042]-[0043]: two gateways; the nearer one is primary, only its beacons are forwarded.
    loop = FakeLoop()
    env, node = _two_uplink_node(loop)
    gw2 = ip_int("10.1.255.2")
    for seq in range(1, 5):
        t0 = loop.now()
        loop.call_later(0.009, node.receive, GatewayBeacon(GW, 1, seq, int(t0 * 1e9)), 3)
        loop.call_later(0.003, node.receive, GatewayBeacon(gw2, 1, seq, int(t0 * 1e9)), 4)
        loop.run(t0 + 0.5)
    assert node.primary_gateway == gw2 and env.uplink == 4
    assert {m.gateway_ip for _, i, m in env.sent if i == 5 and loop.now() > 0.6} == {gw2}


def test_registration_builds_the_downlink_path_and_is_acknowledged():
    loop = FakeLoop()
    envs = _tree(loop)
    loop.run(1.0)
    acks = []
    envs["gw"].deliver_unicast = lambda dst, msg: acks.append((dst, msg))
    _up(envs, PATH_A, Registration(COA, 10, 1))
    assert envs["bsA"].cache().lookup(COA, 1.0) == (9,)
    assert envs["in"].cache().lookup(COA, 1.0) == (1,)
    assert envs["gw"].cache().lookup(COA, 1.0) == (1,)
    assert acks == [(COA, RegistrationAck(COA, 1, GW, 502))]


def test_hard_handoff_switches_the_crossover():
    loop = FakeLoop()
    envs = _tree(loop)
    loop.run(1.0)
    _up(envs, PATH_A, Registration(COA, 10, 1))
    _up(envs, PATH_B, CacheUpdate(COA, 10, 2, 0))
    assert envs["in"].cache().lookup(COA, 1.0) == (2,)  # crossover [0035]
    assert envs["bsB"].cache().lookup(COA, 1.0) == (9,)
    assert envs["bsA"].cache().lookup(COA, 1.0) == (9,)  # left to expire
    assert envs["bsA"].cache().lookup(COA, 4.1) == ()
    assert ("cache_replaced" in [e for _, e, _ in envs["in"].logs])


def test_semisoft_bicasts_at_the_crossover_until_the_hard_update():
    loop = FakeLoop()
    envs = _tree(loop)
    loop.run(1.0)
    _up(envs, PATH_A, Registration(COA, 10, 1))
    _up(envs, PATH_B, CacheUpdate(COA, 10, 2, 1))
    assert envs["in"].cache().lookup(COA, 1.0) == (1, 2)  # [0036]: both down-links
    assert envs["gw"].cache().lookup(COA, 1.0) == (1,)  # above the crossover: unchanged
    _up(envs, PATH_B, CacheUpdate(COA, 10, 3, 0))
    assert envs["in"].cache().lookup(COA, 1.0) == (2,)


def test_route_update_refreshes_soft_state():
    loop = FakeLoop()
    envs = _tree(loop)
    _up(envs, PATH_A, Registration(COA, 10, 1))
    loop.run(2.5)
    _up(envs, PATH_A, RouteUpdate(COA, 10, 2))
    loop.run(5.0)
    assert envs["gw"].cache().lookup(COA, 5.0) == (1,)
    loop.run(5.6)
    assert envs["gw"].cache().lookup(COA, 5.6) == ()


def test_gateway_tells_the_border_router_and_it_follows_the_host():
    loop = FakeLoop()
    br_env = FakeBorderRouterEnv(loop)
    br_routes = br_env.routes  # host -> gateway
    br = BorderRouter("br", br_env)
    envs = _tree(loop)
    envs["gw"].node.border_router_ip = ip_int("172.16.0.9")
    envs["gw"].deliver_unicast = lambda dst, msg: br.receive(msg, 0) if isinstance(msg, HostRoute) else None
    _up(envs, PATH_A, Registration(COA, 10, 1))
    assert br_routes == {COA: GW}
    br.receive(HostRoute(COA, ip_int("10.1.255.7"), 1, 0), 0)  # the host registered elsewhere
    assert br_routes == {COA: ip_int("10.1.255.7")}
    br.receive(HostRoute(COA, GW, 9, 1), 0)  # a withdrawal from the old gateway changes nothing
    assert br_routes == {COA: ip_int("10.1.255.7")}


# ---- DRCP server -------------------------------------------------------------------------------

def _server(loop, pool_size=3, lease_s=10):
    env = FakeDrcpServerEnv(loop, fixed_rand=0.5)
    net = ipaddress.IPv4Network("10.2.0.0/16")
    first = int(net.network_address) + 1
    pool = [first + 2 + i for i in range(pool_size)]  # .1 and .2 are base stations
    s = DrcpServer("d", env, server_ip=ip_int("172.16.0.58"), subnet=net,
                   pool=AddressPool(first, first + 1 + pool_size, {first, first + 1}),
                   gateways=[GW, GW + 1], lease_s=lease_s, advertisement_interval_s=0.5)
    return s, env, pool


def test_drcp_assigns_renews_and_reuses_after_expiry():
    loop = FakeLoop()
    s, env, pool = _server(loop)
    s.start()
    loop.run(1.2)
    advs = [m for _, m in env.out if isinstance(m, DrcpAdvertisement)]
    assert len(advs) == 2 * 2 and advs[0].prefix_len == 16  # to both gateways, every 0.5 s
    env.out.clear()
    s.receive(DrcpRequest(0xAA, 1, 0), 0, 0)
    (dst1, r1), (dst2, r2) = env.out
    assert {dst1, dst2} == {GW, GW + 1} and r1 == r2  # flooded through every gateway
    assert (r1.status, r1.address, r1.lease_s) == (DRCP_OK, pool[0], 10)
    env.out.clear()
    loop.run(6.0)
    s.receive(DrcpRequest(0xAA, 2, pool[0]), 0, pool[0])  # renewal from the address itself
    assert [o for o in env.out if isinstance(o[1], DrcpReply)] == [(pool[0], DrcpReply(0xAA, 2, DRCP_OK, pool[0], 16, 10, s.server_ip))]
    s.receive(DrcpRequest(0xBB, 1, 0), 0, 0)
    assert env.out[-1][1].address == pool[1]
    loop.run(16.5)  # 0xAA's lease ran out at 16.0
    env.out.clear()
    s.receive(DrcpRequest(0xCC, 1, 0), 0, 0)
    assert env.out[-1][1].address == pool[0]
    assert "drcp_lease_expired" in env.events()


def test_drcp_pool_exhausted_is_an_answer_not_a_crash():
    loop = FakeLoop()
    s, env, pool = _server(loop, pool_size=1)
    s.receive(DrcpRequest(1, 1, 0), 0, 0)
    s.receive(DrcpRequest(2, 1, 0), 0, 0)
    assert env.out[-1][1].status == DRCP_EXHAUSTED and s.exhausted == 1
    assert "drcp_pool_exhausted" in env.events()
    s.receive(DrcpRequest(3, 1, ip_int("10.9.9.9")), 0, 0)
    assert env.out[-1][1].status == DRCP_NOT_OURS


# ---- the mobile host's daemon (Figure 4A) ----------------------------------------------------

SUB1 = ipaddress.IPv4Network("10.1.0.0/16")
SUB2 = ipaddress.IPv4Network("10.2.0.0/16")


def _mh(loop, handoff="hard"):
    env = FakeMobileHostEnv(loop)
    d = MobileHostDaemon("mh1", env, mh_id=ip_int("10.0.0.10"), client_id=0x0203, handoff=handoff,
                         semisoft_period_s=0.2, route_update_interval_s=1.0)
    return d, env


def _bsb(bs_id, domain, gw=GW, subnet=SUB1):
    return BaseStationBeacon(bs_id, int(subnet.network_address) + bs_id, gw, domain)


def _adv(subnet, server=ip_int("172.16.0.38")):
    return DrcpAdvertisement(server, int(subnet.network_address), subnet.prefixlen, 1)


def _attach(d, env, loop, subnet=SUB1, domain=502, bs=1, coa=COA):
    d.on_radio("bsX", None)
    d.receive(_bsb(bs, domain, subnet=subnet))
    assert d.state == WAIT_ADV
    d.receive(_adv(subnet))
    assert d.state == WAIT_DRCP and isinstance(env.sent[-1][2], DrcpRequest)
    req = env.sent[-1][2]
    d.receive(DrcpReply(0x0203, req.xid, DRCP_OK, coa, subnet.prefixlen, 60, ip_int("172.16.0.38")))
    assert isinstance(env.sent[-1][2], Registration)
    reg = env.sent[-1][2]
    if d.state == WAIT_ACK:  # (a harness that carries messages may have acknowledged it already)
        d.receive(RegistrationAck(coa, reg.seq, GW, domain))
    assert d.state == ATTACHED


def test_entering_the_network_gets_an_address_and_registers():
    loop = FakeLoop()
    d, env = _mh(loop)
    changes = []
    d.add_coa_listener(lambda old, new: changes.append((old, new)))
    _attach(d, env, loop)
    assert env.address == (COA, 16) and env.router == int(SUB1.network_address) + 1
    assert changes == [(None, COA)]
    assert d.movement.kind == "attach" and d.movement.t_done is not None


def test_intra_domain_move_sends_a_cache_handoff_only():
    loop = FakeLoop()
    d, env = _mh(loop)
    _attach(d, env, loop)
    n = len(env.sent)
    d.on_radio("bsB", "bsA")
    d.receive(_bsb(2, 502))
    assert d.state == ATTACHED and d.movement.kind == "intra_domain"
    (msg,) = [m for _, _, m in env.sent[n:]]
    assert msg == CacheUpdate(COA, d.mh_id, msg.seq, 0)
    assert env.router == int(SUB1.network_address) + 2 and env.address == (COA, 16)


def test_semisoft_move_sends_semisoft_then_hard_after_the_period():
    loop = FakeLoop()
    d, env = _mh(loop, handoff="semisoft")
    _attach(d, env, loop)
    n = len(env.sent)
    t0 = loop.now()
    d.on_radio("bsB", "bsA")
    d.receive(_bsb(2, 502))
    loop.run(t0 + 0.5)
    cus = [(t, m.semisoft) for t, _, m in env.sent[n:] if isinstance(m, CacheUpdate)]
    assert [s for _, s in cus] == [1, 0]
    assert abs(cus[1][0] - cus[0][0] - 0.2) < 1e-9


def test_inter_domain_same_subnet_registers_keeping_the_address():
    loop = FakeLoop()
    d, env = _mh(loop)
    _attach(d, env, loop)
    n = len(env.sent)
    d.on_radio("bs503a", "bs502a")
    d.receive(_bsb(3, 503, gw=GW + 5))
    assert d.state == WAIT_ADV
    d.receive(_adv(SUB1))
    assert d.state == WAIT_ACK and d.movement.kind == "inter_domain"
    (reg,) = [m for _, _, m in env.sent[n:]]
    assert isinstance(reg, Registration) and reg.coa == COA
    assert env.sent[-1][1] == GW + 5  # addressed to the new domain's gateway


def test_inter_subnet_move_gets_a_new_address():
    loop = FakeLoop()
    d, env = _mh(loop)
    changes = []
    d.add_coa_listener(lambda old, new: changes.append((old, new)))
    _attach(d, env, loop)
    new = ip_int("10.2.0.3")
    _attach(d, env, loop, subnet=SUB2, domain=504, bs=1, coa=new)
    assert d.movement.kind == "inter_subnet" and d.movement.coa_before == COA
    assert d.movement.components()["coa_changed"] is True
    assert changes == [(None, COA), (COA, new)] and d.coa_history == [COA, new]


def test_registration_is_retried_with_backoff():
    loop = FakeLoop()
    d, env = _mh(loop)
    d.on_radio("bsA", None)
    d.receive(_bsb(1, 502))
    d.receive(_adv(SUB1))
    req = env.sent[-1][2]
    d.receive(DrcpReply(0x0203, req.xid, DRCP_OK, COA, 16, 60, 1))
    loop.run(loop.now() + 1.6)  # no ack: retries at +0.5 and +1.5 (0.5, then 1.0 later)
    regs = [t for t, _, m in env.sent if isinstance(m, Registration)]
    assert len(regs) == 3 and d.movement.retries == 2


def test_idle_host_sends_route_updates_but_a_busy_one_does_not():
    loop = FakeLoop()
    d, env = _mh(loop)
    _attach(d, env, loop)
    t0 = loop.now()
    loop.run(t0 + 3.05)
    rus = [t for t, _, m in env.sent if isinstance(m, RouteUpdate)]
    assert len(rus) == 3
    # Now the host transmits data every 0.3 s: no route-update is needed.
    for k in range(1, 10):
        loop.call_later(0.3 * k, lambda: setattr(env, "last_tx", loop.now()))
    loop.run(t0 + 6.0)
    assert len([m for _, _, m in env.sent if isinstance(m, RouteUpdate)]) == 3


def test_periodic_beacons_of_the_current_station_change_nothing():
    loop = FakeLoop()
    d, env = _mh(loop)
    _attach(d, env, loop)
    n = len(env.sent)
    d.receive(_bsb(1, 502))
    d.receive(_bsb(7, 999))
    assert len(env.sent) == n and d.state == ATTACHED


@pytest.mark.parametrize("kind", ["hard", "semisoft"])
def test_daemon_and_domain_together_move_the_route(kind):
    """The daemon's messages, carried up the tree, leave the caches pointing at the host."""
    loop = FakeLoop()
    envs = _tree(loop)
    d, env = _mh(loop, handoff=kind)
    paths = {"bsA": PATH_A, "bsB": PATH_B}
    where = {"bs": "bsA"}
    env.on_send = lambda dst, msg: _up(envs, paths[where["bs"]], msg) if dst == GW else None
    envs["gw"].deliver_unicast = lambda dst, msg: d.receive(msg) if dst == COA else None
    loop.run(1.0)
    _attach(d, env, loop)
    assert envs["in"].cache().lookup(COA, loop.now()) == (1,)
    where["bs"] = "bsB"
    d.on_radio("bsB", "bsA")
    d.receive(_bsb(2, 502))
    loop.run(loop.now() + 0.5)
    assert envs["in"].cache().lookup(COA, loop.now()) == (2,)
    assert envs["bsB"].cache().lookup(COA, loop.now()) == (9,)


def test_address_pool_lowest_free_first_and_reuse():
    p = AddressPool(10, 20, {11, 13})
    assert len(p) == 9
    assert [p.take() for _ in range(3)] == [10, 12, 14]
    p.release(12)
    assert p.take() == 12  # freed addresses come back first
    assert p.take(18) == 18  # a requested free address is granted
    assert p.take() == 15  # addresses skipped over stay available, lowest first
    assert p.take(18) == 16  # 18 is taken: the lowest free one instead
    assert not p.contains(13) and not p.contains(21) and p.contains(20)
    assert [p.take() for _ in range(4)] == [17, 19, 20, None]


def _advertisements_on_air(envs):
    return {n: [t for t, i, m in envs[n].sent if i == 9 and isinstance(m, DrcpAdvertisement)]
            for n in ("bsA", "bsB")}


def test_flooded_advertisement_reaches_every_cell_at_the_same_instant_without_jitter():
    loop = FakeLoop()
    envs = _tree(loop)
    loop.run(1.0)
    envs["gw"].node.receive(DrcpAdvertisement(ip_int("172.16.0.38"), ip_int("10.1.0.0"), 16, 7), 0)
    loop.run(2.0)
    air = _advertisements_on_air(envs)
    assert len(air["bsA"]) == len(air["bsB"]) == 1 and air["bsA"] == air["bsB"]


def test_broadcast_jitter_spreads_the_cells_broadcasts_within_the_bound():
    loop = FakeLoop()
    envs = _tree(loop, relay_jitter_s=0.01)
    loop.run(1.0)
    t0 = loop.now()
    for seq in range(1, 21):
        envs["gw"].node.receive(DrcpAdvertisement(ip_int("172.16.0.38"), ip_int("10.1.0.0"), 16, seq), 0)
        loop.run(loop.now() + 0.5)
    air = _advertisements_on_air(envs)
    assert len(air["bsA"]) == len(air["bsB"]) == 20
    # Each cell broadcasts every flood once, 2 ms of wired hops plus at most 10 ms of jitter
    # after the gateway got it, and the two cells no longer broadcast in step.
    for times in air.values():
        for k, t in enumerate(times):
            sent = t0 + 0.5 * k
            assert 0.002 <= round(t - sent, 9) <= 0.012
    assert sum(a != b for a, b in zip(air["bsA"], air["bsB"])) == 20


def test_reply_to_a_retried_request_is_flooded_again_but_a_second_copy_is_not():
    # The host retries its DRCP request with the same transaction ID; the server's second reply
    # must reach the air again (a lost first reply left the host without an address for good).
    loop = FakeLoop()
    envs = _tree(loop)
    loop.run(1.0)
    reply = DrcpReply(0x30, 1, DRCP_OK, ip_int("10.1.0.8"), 16, 60, ip_int("172.16.0.42"))
    envs["gw"].node.receive(reply, 0)
    loop.run(1.01)
    envs["in"].node.receive(reply, 2)  # the same flood over a second up-link, 10 ms later
    loop.run(1.5)
    envs["gw"].node.receive(reply, 0)  # the answer to the retry, 0.5 s later
    loop.run(2.0)
    on_air = [t for t, i, m in envs["bsA"].sent if i == 9 and isinstance(m, DrcpReply)]
    assert len(on_air) == 2 and on_air[1] - on_air[0] > 0.4


def test_a_host_waiting_between_cells_does_not_spin_its_refresh_timer():
    # Out of every cell (waiting for a beacon) the route-update timer used to re-arm every
    # millisecond: a thousand callbacks per simulated second per such host.
    loop = FakeLoop()
    d, env = _mh(loop)
    _attach(d, env, loop)
    d.on_radio("bsY", "bsX")  # the radio moved; no beacon comes
    fired = []
    orig = d._route_update_check
    d._route_update_check = lambda: (fired.append(loop.now()), orig())
    d._restart_route_updates()
    loop.run(loop.now() + 20.0)
    assert len(fired) <= 1 and loop.pending() < 10
    assert not [m for _, _, m in env.sent if isinstance(m, RouteUpdate)]
    # Registered again in the new cell: refreshes resume at the interval.
    d.receive(_bsb(1, 502))
    t = loop.now()
    loop.run(t + 3.05)
    assert len([m for _, _, m in env.sent if isinstance(m, RouteUpdate)]) == 3


def test_interface_monitoring_acts_at_the_next_poll_on_the_latest_association():
    """[0056], [0073]: with mmp.monitor_interval_s the daemon polls the interface (here every
    0.5 s at phase 0.2 s): an association at 1.0 s is acted on at 1.2 s, and two associations
    between polls are one movement, towards the latest cell, timed from the first."""
    loop = FakeLoop()
    env = FakeMobileHostEnv(loop)
    d = MobileHostDaemon("mh1", env, mh_id=ip_int("10.0.0.10"), client_id=0x0203,
                         monitor_interval_s=0.5, monitor_phase_s=0.2)
    loop.run(1.0)
    d.on_radio("bsA", None)
    assert d.state == DETACHED and not d.movements
    loop.run(1.1)
    d.on_radio("bsB", "bsA")
    loop.run(1.3)
    assert d.state == WAIT_BEACON and len(d.movements) == 1
    mv = d.movements[0]
    assert mv.t_radio == pytest.approx(1.0) and mv.t_notice == pytest.approx(1.2)
    assert mv.components()["monitor_wait_s"] == pytest.approx(0.2)
    # Without monitoring the movement starts at once and has no monitor column.
    d2, env2 = _mh(FakeLoop())
    d2.on_radio("bsA", None)
    assert d2.state == WAIT_BEACON and "monitor_wait_s" not in d2.movements[0].components()


# ---- source address validation at base stations (security.auth, docs/security.md) ----------
MAC_MH, MAC_EVE = 0x020000000001, 0x020000000002


def _savi_bs(loop):
    env = FakeDomainEnv(loop, "bs")
    env.node = MmpNode("bs", "base_station", env, domain_id=502, uplinks=[0], downlinks=[],
                       wireless=9, bs_id=1, bs_ip=ip_int("10.1.0.1"), savi=True)
    return env


def test_savi_binds_addresses_from_relayed_drcp_replies():
    loop = FakeLoop()
    env = _savi_bs(loop)
    env.node.receive(DrcpReply(MAC_MH, 7, DRCP_OK, COA, 16, 600, 1), 0)
    env.node.receive(DrcpReply(MAC_EVE, 8, DRCP_EXHAUSTED, 0, 16, 0, 1), 0)
    assert env.node.bindings == {COA: MAC_MH} and env.savi == {COA: MAC_MH}


def test_savi_refuses_control_for_another_stations_address_and_keeps_the_cache():
    loop = FakeLoop()
    env = _savi_bs(loop)
    env.node.receive(DrcpReply(MAC_MH, 7, DRCP_OK, COA, 16, 600, 1), 0)
    assert env.node.on_uplink_control(Registration(COA, 1, 1), 9, MAC_MH) == "created"
    for msg in (Registration(COA, 1, 2), CacheUpdate(COA, 1, 2, 1), RouteUpdate(COA, 1, 2)):
        assert env.node.on_uplink_control(msg, 9, MAC_EVE) == "refused"
    other = ip_int("10.1.0.77")  # an address nobody was given
    assert env.node.on_uplink_control(Registration(other, 1, 1), 9, MAC_EVE) == "refused"
    assert env.node.faults == {"savi_address_of_another_station": 3, "savi_address_not_bound": 1}
    assert env.cache().lookup(COA, loop.now()) == (9,)
    assert env.cache().lookup(other, loop.now()) == ()
    # From below a base station there is no station to check: wired hops are trusted.
    assert env.node.on_uplink_control(RouteUpdate(COA, 1, 3), 0, None) == "replaced"


def test_savi_passes_drcp_requests_only_with_the_senders_own_client_id():
    loop = FakeLoop()
    env = _savi_bs(loop)
    assert env.node.on_uplink_control(DrcpRequest(MAC_EVE, 1), 9, MAC_EVE) == "passed"
    assert env.node.on_uplink_control(DrcpRequest(MAC_EVE + 1, 2), 9, MAC_EVE) == "refused"
    assert env.node.faults == {"savi_client_id_not_sender": 1}


def test_without_savi_a_station_may_claim_any_address():
    """The specification's protocol ([0031]): a registration from any station is applied."""
    loop = FakeLoop()
    env = FakeDomainEnv(loop, "bs")
    env.node = MmpNode("bs", "base_station", env, domain_id=502, uplinks=[0], downlinks=[],
                       wireless=9, bs_id=1, bs_ip=ip_int("10.1.0.1"))
    env.node.receive(DrcpReply(MAC_MH, 7, DRCP_OK, COA, 16, 600, 1), 0)
    assert env.node.bindings == {} and env.savi == {}
    assert env.node.on_uplink_control(Registration(COA, 1, 1), 9, MAC_EVE) == "created"
