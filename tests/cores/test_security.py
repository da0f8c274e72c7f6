"""Authenticated location management against the pure cores: the forgeries of docs/security.md
with security.auth off (the specification: accepted, but never a lock-out) and on (refused)."""

from __future__ import annotations

import ipaddress

import pytest

from imm_ns3.miplr.daemons import PENDING, MipChDaemon, MipMhDaemon
from imm_ns3.miplr.hlr import HomeLocationRegister
from imm_ns3.miplr.messages import (
    UPDATE_OK,
    UPDATE_STALE,
    MipQuery,
    MipQueryReply,
    MipQueryReplyAuth,
    MipUpdate,
    MipUpdateAck,
    MipUpdateAckAuth,
    MipUpdateAuth,
)
from imm_ns3.miplr.mip import (
    REG_ACCEPTED,
    HomeAgent,
    MobileIpClient,
    RegistrationReply,
    RegistrationRequest,
    RegistrationRequestAuth,
)
from imm_ns3.security import SEQ_WINDOW, Keyring, SeqWindow, seal, unwrap, verify, wrap
from imm_ns3.wire import decode, ip_int

from fakes import FakeBorderRouterEnv, FakeDatagramEnv, FakeLoop, datagram_pump

PERM = ip_int("10.0.0.10")
COA1, COA2, EVIL = ip_int("10.1.0.4"), ip_int("10.2.0.3"), ip_int("192.0.2.66")
HLR, CH, HA = ip_int("10.10.0.3"), ip_int("10.10.0.2"), ip_int("10.20.0.2")
NET = [ipaddress.IPv4Network("10.0.0.0/24")]
KEYS = Keyring.for_run("test", 1)
ZERO = bytes(16)
MAX = 0xFFFFFFFF


def _env(loop, net, me):
    """The Env of a MIP node at ``me`` on the shared ``net``; rand() is fixed at 0.25."""
    return FakeDatagramEnv(loop, net, me, fixed_rand=0.25)


def _pump(loop, net, nodes, until):
    """Deliver ``net`` to ``nodes`` (function(msg, src) -> reply) with 10 ms per hop, through
    the codec, until simulated time ``until``."""
    step = datagram_pump(loop, net, nodes, 0.01, through=lambda msg: decode(msg.encode()))
    while loop.now() < until:  # in 1 ms slices, so timers' sends are delivered too
        step()
        loop.run(loop.now() + 0.001)


# ---- primitives ------------------------------------------------------------------------------
def test_keys_are_per_party_and_authenticators_cover_every_field():
    assert KEYS.host_key(PERM) != KEYS.host_key(PERM + 1)
    assert KEYS.host_key(PERM) != Keyring.for_run("test", 2).host_key(PERM)
    assert KEYS.binding_key(KEYS.host_key(PERM), CH) != KEYS.binding_key(KEYS.host_key(PERM), EVIL)
    m = seal(KEYS.host_key(PERM), MipUpdateAuth(PERM, COA1, 1, 120, ZERO))
    assert verify(KEYS.host_key(PERM), m) and not verify(KEYS.host_key(PERM + 1), m)
    for change in ({"coa": EVIL}, {"seq": 2}, {"lifetime_s": 121}, {"permanent": PERM + 1}):
        from dataclasses import replace
        assert not verify(KEYS.host_key(PERM), replace(m, **change)), change
    key = KEYS.correspondent_key(CH)
    secret = bytes(range(16))
    assert unwrap(key, 7, wrap(key, 7, secret)) == secret and wrap(key, 8, secret) != wrap(key, 7, secret)


def test_sequence_window_refuses_a_number_too_far_ahead():
    w = SeqWindow()
    assert w.check(PERM, MAX) == "seq_out_of_window"  # a first number must be small
    assert w.check(PERM, 1) is None
    w.apply(PERM, 1)
    assert w.check(PERM, 1) == "stale_seq"
    assert w.check(PERM, 1 + SEQ_WINDOW) is None and w.check(PERM, 2 + SEQ_WINDOW) == "seq_out_of_window"


# ---- home location register ------------------------------------------------------------------
def test_register_without_auth_takes_a_forgery_but_one_number_never_locks_the_host_out():
    hlr = HomeLocationRegister(NET)
    assert hlr.receive(MipUpdate(PERM, COA1, 1, 120), 0.0).status == UPDATE_OK
    # The specification's register: any sender with the next number moves the host.
    assert hlr.receive(MipUpdate(PERM, EVIL, 2, 120), 1.0).status == UPDATE_OK
    # ... but the largest number is refused, and a STALE answer tells the number in force.
    assert hlr.receive(MipUpdate(PERM, EVIL, MAX, 120), 1.0) == MipUpdateAck(PERM, MAX, UPDATE_STALE, 2)
    assert hlr.rejected == {"seq_out_of_window": 1}


def test_host_resynchronises_past_a_forged_number_in_one_round_trip():
    loop, net = FakeLoop(), []
    hlr = HomeLocationRegister(NET)
    mh = MipMhDaemon(_env(loop, net, COA1), PERM, [HLR])
    nodes = {HLR: lambda m, s: hlr.receive(m, loop.now(), s), COA1: mh.receive}
    mh.on_coa_change(None, COA1)
    _pump(loop, net, nodes, 1.0)
    assert hlr.lookup(PERM, 1.0)[0] == COA1
    # An attacker sets the furthest number the window allows ...
    hlr.receive(MipUpdate(PERM, EVIL, 1 + SEQ_WINDOW, 300), 1.0)
    assert hlr.lookup(PERM, 1.0)[0] == EVIL
    # ... the host's next update is STALE, it moves past that number and is back.
    mh.on_coa_change(COA1, COA2)
    _pump(loop, net, nodes, 2.0)
    assert hlr.lookup(PERM, 2.0)[0] == COA2
    # Sent at 1.0, STALE back, resent: applied two round trips later.
    assert mh.acked[HLR] == 2 + SEQ_WINDOW and hlr.mappings[PERM].expires - 120 < 1.05


def test_register_with_auth_refuses_every_forgery_and_replay():
    hlr = HomeLocationRegister(NET, keyring=KEYS)
    key = KEYS.host_key(PERM)
    good = seal(key, MipUpdateAuth(PERM, COA1, 1, 120, ZERO))
    ack = hlr.receive(good, 0.0)
    assert isinstance(ack, MipUpdateAckAuth) and ack.status == UPDATE_OK and verify(key, ack)
    wrong_key = Keyring.for_run("attacker", 1).host_key(PERM)
    forgeries = [
        MipUpdate(PERM, EVIL, 2, 120),  # the specification's message
        MipUpdate(PERM, EVIL, MAX, 120),
        MipUpdateAuth(PERM, EVIL, 2, 120, ZERO),  # no authenticator
        seal(wrong_key, MipUpdateAuth(PERM, EVIL, 2, 120, ZERO)),  # a key of its own
        MipUpdateAuth(PERM, EVIL, 1, 120, good.auth),  # the host's authenticator, other address
        good,  # a replay
    ]
    for f in forgeries:
        answer = hlr.receive(f, 1.0)
        assert answer is None or answer.status != UPDATE_OK, f
    assert hlr.lookup(PERM, 1.0)[0] == COA1
    assert hlr.rejected == {"unauthenticated": 2, "bad_authenticator": 3, "stale_seq": 1}
    # The host's next update still goes through.
    assert hlr.receive(seal(key, MipUpdateAuth(PERM, COA2, 2, 120, ZERO)), 2.0).status == UPDATE_OK


# ---- correspondent daemon --------------------------------------------------------------------
def _ch(loop, net, keyring=None):
    return MipChDaemon(_env(loop, net, CH), [HLR], keyring=keyring, address=CH, max_lifetime_s=300)


def test_correspondent_without_auth_caps_lifetimes_and_refuses_coa_zero():
    loop, net = FakeLoop(), []
    ch = _ch(loop, net)
    assert ch.receive(MipUpdate(PERM, COA1, 1, MAX), EVIL).lifetime_s == 300
    assert ch.remaining_s(PERM) == 300
    assert ch.receive(MipUpdate(PERM, 0, 2, 120), EVIL).status == UPDATE_STALE  # would stop rewriting
    assert ch.receive(MipUpdate(PERM, EVIL, MAX, 120), EVIL).status == UPDATE_STALE
    assert ch.cache[PERM].coa == COA1
    assert ch.rejected == {"zero_coa": 1, "seq_out_of_window": 1}


def test_correspondent_takes_replies_only_from_the_register_it_asked():
    loop, net = FakeLoop(), []
    ch = _ch(loop, net)
    assert ch.resolve(PERM) is PENDING
    query = net[-1][3]
    assert isinstance(query, MipQuery) and query.query_id != 1  # not guessable from 1
    ch.receive(MipQueryReply(PERM, query.query_id, EVIL, 120), EVIL)  # right id, wrong source
    assert ch.resolve(PERM) is PENDING and ch.rejected == {"unexpected_reply": 1}
    ch.receive(MipQueryReply(PERM, query.query_id, COA1, 120), HLR)
    assert ch.resolve(PERM) == COA1


def test_with_auth_the_correspondent_learns_a_binding_key_and_takes_only_the_host_s_updates():
    loop, net = FakeLoop(), []
    hlr = HomeLocationRegister(NET, keyring=KEYS)
    ch = _ch(loop, net, KEYS)
    mh = MipMhDaemon(_env(loop, net, COA1), PERM, [HLR], keyring=KEYS)
    nodes = {HLR: lambda m, s: hlr.receive(m, loop.now(), s), CH: ch.receive, COA1: mh.receive,
             COA2: mh.receive}
    mh.on_coa_change(None, COA1)
    _pump(loop, net, nodes, 1.0)
    assert ch.resolve(PERM) is PENDING
    _pump(loop, net, nodes, 2.0)
    assert any(isinstance(m, MipQueryReplyAuth) for *_, m in net) and ch.resolve(PERM) == COA1
    assert ch.cache[PERM].key == Keyring.binding_key(KEYS.host_key(PERM), CH)

    # Forgeries of every shape from an attacker without the keys: none moves the entry.
    other = Keyring.for_run("attacker", 1)
    forged = [MipUpdate(PERM, EVIL, 2, 120), MipUpdate(PERM, 0, 2, 120),
              MipUpdateAuth(PERM, EVIL, 2, 120, ZERO),
              seal(other.binding_key(other.host_key(PERM), CH), MipUpdateAuth(PERM, EVIL, 2, 120, ZERO)),
              seal(KEYS.binding_key(KEYS.host_key(PERM), EVIL), MipUpdateAuth(PERM, EVIL, 2, 120, ZERO))]
    for f in forged:
        assert ch.receive(f, EVIL) is None
    assert ch.cache[PERM].coa == COA1
    assert ch.rejected == {"unauthenticated": 2, "bad_authenticator": 3}
    # A forged reply to the query cannot plant an entry either.
    ch.cache.clear()
    assert ch.resolve(PERM) is PENDING
    qid = net[-1][3].query_id
    assert ch.receive(MipQueryReply(PERM, qid, EVIL, 120), HLR) is None
    assert ch.receive(seal(other.correspondent_key(CH), MipQueryReplyAuth(PERM, qid, EVIL, 120, ZERO, ZERO)),
                      HLR) is None
    assert ch.resolve(PERM) is PENDING
    _pump(loop, net, nodes, 4.0)
    assert ch.resolve(PERM) == COA1

    # The host's own update, retransmitted until acknowledged, moves the entry.
    mh.on_tcp_from(CH)
    mh.env.me = COA2
    mh.on_coa_change(COA1, COA2)
    _pump(loop, net, nodes, 6.0)
    assert ch.cache[PERM].coa == COA2 and hlr.lookup(PERM, 6.0)[0] == COA2
    assert not mh._timers  # every update acknowledged (authenticated acks)


def test_host_with_auth_ignores_forged_acknowledgements():
    loop, net = FakeLoop(), []
    mh = MipMhDaemon(_env(loop, net, COA1), PERM, [HLR], keyring=KEYS, retry_s=0.5)
    mh.on_coa_change(None, COA1)
    mh.receive(MipUpdateAck(PERM, 1, UPDATE_OK, 120), HLR)
    mh.receive(MipUpdateAckAuth(PERM, 1, UPDATE_OK, 120, ZERO), HLR)
    assert HLR in mh._timers and HLR not in mh.acked  # still retrying
    assert mh.rejected == {"hlr_ack_unauthenticated": 2}


# ---- classic Mobile IP -----------------------------------------------------------------------
@pytest.mark.parametrize("auth", [False, True])
def test_home_agent_refuses_the_lock_out_number_and_with_auth_every_forgery(auth):
    keys = KEYS if auth else None
    bindings = []
    ha = HomeAgent(NET, on_binding=lambda h, c, lt: bindings.append(c), keyring=keys)
    loop, net = FakeLoop(), []
    client = MobileIpClient(_env(loop, net, COA1), PERM, HA, keyring=keys)
    nodes = {HA: lambda m, s: ha.receive(m, loop.now()), COA1: client.receive}
    client.on_coa_change(None, COA1)
    _pump(loop, net, nodes, 1.0)
    assert client.registered == (COA1, 1) and bindings == [COA1]
    lock = RegistrationRequest(PERM, HA, EVIL, 300, 2**64 - 1)
    answer = ha.receive(lock, 1.0)
    assert (answer is None) if auth else answer.code != REG_ACCEPTED
    forged = RegistrationRequest(PERM, HA, EVIL, 300, 2)
    reply = ha.receive(forged, 1.0)
    if auth:
        assert reply is None and bindings == [COA1]
        assert ha.receive(RegistrationRequestAuth(PERM, HA, EVIL, 300, 3, ZERO), 1.0) is None
        assert ha.rejected == {"unauthenticated": 2, "bad_authenticator": 1}
    else:
        # The specification's home agent: the forgery binds; the host must still get back.
        assert isinstance(reply, RegistrationReply) and reply.code == REG_ACCEPTED
        assert bindings[-1] == EVIL
        ha.receive(RegistrationRequest(PERM, HA, EVIL, 300, 900), 1.0)  # ahead of the host
    client.on_coa_change(COA1, COA2)
    client.env.me = COA2
    nodes[COA2] = client.receive
    _pump(loop, net, nodes, 3.0)
    assert bindings[-1] == COA2 and client.registered[0] == COA2


# ---- border router -----------------------------------------------------------------------------
def test_border_router_takes_host_routes_only_from_its_gateways_about_themselves():
    from imm_ns3.mmp.messages import HostRoute
    from imm_ns3.mmp.node import BorderRouter

    GW1, GW1_LINK, GW2 = ip_int("172.16.0.14"), ip_int("172.16.0.13"), ip_int("172.16.0.18")
    env = FakeBorderRouterEnv(FakeLoop())
    br = BorderRouter("br", env, gateways={GW1: {GW1, GW1_LINK}, GW2: {GW2}})
    br.receive(HostRoute(COA1, GW1, 1, 0), 0, GW1_LINK)  # the gateway, from its link address
    br.receive(HostRoute(COA1, GW1, 2, 0), 0, EVIL)  # the gateway's name, another sender
    br.receive(HostRoute(COA1, EVIL, 3, 0), 0, EVIL)  # a route via the attacker
    br.receive(HostRoute(COA1, GW2, 4, 0), 0, GW1)  # one gateway speaking for another
    br.receive(HostRoute(COA1, GW1, 5, 1), 0, EVIL)  # a withdrawal from anyone
    routes = [(host, gw) for _, host, gw in env.route_log]
    assert routes == [(COA1, GW1)] and br.routes[COA1] == (GW1, 1)
    assert br.faults == {"host_route_not_from_gateway": 4}
