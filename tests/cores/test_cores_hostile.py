"""Every core, fed every decodable message in every state, never raises: what it cannot use it
counts or ignores (hypothesis). Inside ns-3 an exception here would stop the run."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imm_ns3.miplr.daemons import MipChDaemon, MipMhDaemon
from imm_ns3.miplr.hlr import HomeLocationRegister
from imm_ns3.miplr.messages import MIPLR_MESSAGES
from imm_ns3.miplr.mip import MIP_MESSAGES, HomeAgent, MobileIpClient
from imm_ns3.mmp.drcp import AddressPool, DrcpServer
from imm_ns3.mmp.messages import ALL_MESSAGES, DrcpAdvertisement, DrcpReply
from imm_ns3.mmp.mobile import STATES, MobileHostDaemon
from imm_ns3.mmp.node import BorderRouter, MmpNode
from imm_ns3.security import Keyring
from imm_ns3.wire import _HEADER, _RANGES, MessageError, decode, ip_int

from fakes import FakeBorderRouterEnv, FakeDatagramEnv, FakeDomainEnv, FakeLoop, FakeMobileHostEnv

MESSAGES = ALL_MESSAGES + MIPLR_MESSAGES + MIP_MESSAGES
SUB = ipaddress.IPv4Network("10.1.0.0/16")
GW, COA, PERM = ip_int("172.16.0.14"), ip_int("10.1.0.4"), ip_int("10.0.0.10")
# Addresses the cores know, so random messages hit their real paths too.
KNOWN = [0, GW, COA, PERM, ip_int("10.1.0.1"), ip_int("10.10.0.3"), ip_int("10.20.0.2"),
         int(SUB.network_address), 0xFFFFFFFF]


def _field(code: str):
    if code.endswith("s"):
        return st.binary(min_size=int(code[:-1]), max_size=int(code[:-1]))
    top = _RANGES[code]
    if code == "I":
        return st.one_of(st.sampled_from(KNOWN), st.integers(0, top))
    return st.one_of(st.integers(0, min(top, 40)), st.integers(0, top), st.just(top))


@st.composite
def messages(draw):
    """Any message the codec decodes: random values in every field, then through the wire."""
    cls = draw(st.sampled_from(MESSAGES))
    values = {name: draw(_field(code)) for name, code in cls._FIELDS}
    data = _HEADER.pack(1, cls.TYPE) + cls._STRUCT.pack(*(values[n] for n, _ in cls._FIELDS))
    try:
        return decode(data)
    except MessageError:
        return None  # not decodable: the adapter counts it and no core ever sees it


def _cores(loop):
    """One of each core, wired to fakes, with some state (an attached host, a cached mapping)."""
    out = {}
    for role, kw in (("gateway", dict(uplinks=[], downlinks=[1], gateway_ip=GW, border_router_ip=5)),
                     ("intermediate", dict(uplinks=[0, 3], downlinks=[1, 2])),
                     ("base_station", dict(uplinks=[0], downlinks=[], wireless=9, bs_id=1,
                                           bs_ip=ip_int("10.1.0.1")))):
        env = FakeDomainEnv(loop, role)
        env.node = MmpNode(role, role, env, domain_id=502, **kw)
        env.node.start()
        out[role] = (env.node, lambda n, m, s: (n.receive(m, 1, s), n.on_uplink_control(m, 1)))
    br = BorderRouter("br", FakeBorderRouterEnv(loop))
    out["border_router"] = (br, lambda n, m, s: n.receive(m, 0, s))
    denv = FakeDomainEnv(loop, "drcp")
    drcp = DrcpServer("drcp", denv, server_ip=ip_int("172.16.0.38"), subnet=SUB,
                      pool=AddressPool(int(SUB.network_address) + 2, int(SUB.network_address) + 40),
                      gateways=[GW], lease_s=60, advertisement_interval_s=0.5)
    drcp.start()
    out["drcp"] = (drcp, lambda n, m, s: n.receive(m, 0, s))
    hlr = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")])
    out["hlr"] = (hlr, lambda n, m, s: n.receive(m, loop.now(), s))
    ha = HomeAgent([ipaddress.IPv4Network("10.0.0.0/24")])
    out["home_agent"] = (ha, lambda n, m, s: n.receive(m, loop.now()))
    ch = MipChDaemon(FakeDatagramEnv(loop, fixed_rand=0.5), [ip_int("10.10.0.3")])
    ch.resolve(PERM)
    out["mip_ch"] = (ch, lambda n, m, s: n.receive(m, s))
    mh = MipMhDaemon(FakeDatagramEnv(loop, fixed_rand=0.5), PERM, [ip_int("10.10.0.3")])
    mh.on_tcp_from(ip_int("10.10.0.2"))
    mh.on_coa_change(None, COA)
    out["mip_mh"] = (mh, lambda n, m, s: n.receive(m, s))
    client = MobileIpClient(FakeDatagramEnv(loop, fixed_rand=0.5), PERM, ip_int("10.20.0.2"))
    client.on_coa_change(None, COA)
    out["mip_client"] = (client, lambda n, m, s: n.receive(m, s))
    # The same with security.auth (docs/security.md): keys, windows, checked sources.
    keys = Keyring.for_run("hostile", 1)
    hlr_a = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")], keyring=keys)
    out["hlr_auth"] = (hlr_a, lambda n, m, s: n.receive(m, loop.now(), s))
    ha_a = HomeAgent([ipaddress.IPv4Network("10.0.0.0/24")], keyring=keys)
    out["home_agent_auth"] = (ha_a, lambda n, m, s: n.receive(m, loop.now()))
    ch_a = MipChDaemon(FakeDatagramEnv(loop, fixed_rand=0.5), [ip_int("10.10.0.3")], keyring=keys,
                       address=ip_int("10.10.0.2"))
    ch_a.resolve(PERM)
    out["mip_ch_auth"] = (ch_a, lambda n, m, s: n.receive(m, s))
    mh_a = MipMhDaemon(FakeDatagramEnv(loop, fixed_rand=0.5), PERM, [ip_int("10.10.0.3")], keyring=keys)
    mh_a.on_tcp_from(ip_int("10.10.0.2"))
    mh_a.on_coa_change(None, COA)
    out["mip_mh_auth"] = (mh_a, lambda n, m, s: n.receive(m, s))
    client_a = MobileIpClient(FakeDatagramEnv(loop, fixed_rand=0.5), PERM, ip_int("10.20.0.2"), keyring=keys)
    client_a.on_coa_change(None, COA)
    out["mip_client_auth"] = (client_a, lambda n, m, s: n.receive(m, s))
    br_a = BorderRouter("br", FakeBorderRouterEnv(loop), gateways={GW: {GW}})
    out["border_router_gateways"] = (br_a, lambda n, m, s: n.receive(m, 0, s))
    return out


def _mobile_in(loop, state):
    env = FakeMobileHostEnv(loop)
    d = MobileHostDaemon("mh1", env, mh_id=PERM, client_id=0x0203)
    if state != "detached":
        from imm_ns3.mmp import mobile
        from imm_ns3.mmp.messages import BaseStationBeacon

        d.coa, d.subnet, d.domain_id, d.gateway_ip = COA, SUB, 502, GW
        d.bs = BaseStationBeacon(1, ip_int("10.1.0.1"), GW, 502)
        d._pending_beacon = BaseStationBeacon(2, ip_int("10.1.0.2"), ip_int("172.16.0.18"), 503)
        d.drcp_server = ip_int("172.16.0.38")
        d.movements.append(mobile.Movement(0.0, coa_before=COA))
    d.state = state
    return d


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(messages(), st.sampled_from(KNOWN)), min_size=1, max_size=12))
def test_network_and_server_cores_never_raise(batch):
    loop = FakeLoop()
    cores = _cores(loop)
    for msg, src in batch:
        if msg is None:
            continue
        for core, feed in cores.values():
            feed(core, msg, src)
        loop.run(loop.now() + 0.3)  # timers the messages started run too
    # With keys, no random message binds anything (none carries a valid authenticator).
    assert not cores["hlr_auth"][0].mappings and not cores["home_agent_auth"][0].bindings
    assert cores["mip_ch_auth"][0].updates == []


@pytest.mark.parametrize("state", STATES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(batch=st.lists(messages(), min_size=1, max_size=8))
def test_the_mobile_daemon_never_raises_in_any_state(state, batch):
    loop = FakeLoop()
    d = _mobile_in(loop, state)
    for msg in batch:
        if msg is not None:
            d.receive(msg, GW)
            loop.run(loop.now() + 0.3)


def test_the_reproducers():
    loop = FakeLoop()
    d = _mobile_in(loop, "wait_adv")
    d.receive(DrcpAdvertisement(ip_int("172.16.0.38"), ip_int("10.1.0.5"), 16, 1))  # host bits set
    assert d.state == "wait_ack"  # same sub-network 10.1.0.0/16: registers its address
    with pytest.raises(MessageError, match="bad_value"):
        decode(DrcpReply(1, 1, 0, COA, 16, 60, 0).encode()[:-9] + bytes([200]) + bytes(8))
    with pytest.raises(MessageError, match="bad_type"):
        decode("ab")
    with pytest.raises(ValueError):
        DrcpReply(1, 1, 0, COA, 33, 60, 0)
