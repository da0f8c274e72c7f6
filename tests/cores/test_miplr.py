"""MIP-LR cores in memory: messages, home location register, CH and MH daemons, manglers."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.miplr.daemons import PENDING, MipChDaemon, MipMhDaemon
from imm_ns3.miplr.hlr import HomeLocationRegister
from imm_ns3.miplr.mangler import TCP, ch_outgoing, mh_incoming, mh_outgoing
from imm_ns3.miplr.messages import (
    MIPLR_MESSAGES,
    UPDATE_OK,
    UPDATE_STALE,
    UPDATE_UNKNOWN_HOST,
    MipQuery,
    MipQueryReply,
    MipUpdate,
    MipUpdateAck,
)
from imm_ns3.wire import decode, ip_int

from fakes import FakeDatagramEnv, FakeLoop, datagram_pump

PERM = ip_int("10.0.0.10")
COA1, COA2 = ip_int("10.1.0.4"), ip_int("10.2.0.3")
HLR1, HLR2 = ip_int("10.10.0.3"), ip_int("10.10.0.6")
CH = ip_int("10.10.0.2")


def _values(code: str):
    """Every value a codec field of this struct code can hold."""
    if code.endswith("s"):
        return st.binary(min_size=int(code[:-1]), max_size=int(code[:-1]))
    return st.integers(0, {"B": 0xFF, "H": 0xFFFF, "I": 0xFFFFFFFF, "Q": 2**64 - 1}[code])


@pytest.mark.parametrize("cls", MIPLR_MESSAGES, ids=lambda c: c.__name__)
def test_round_trip(cls):
    @settings(max_examples=100, deadline=None)
    @given(st.builds(cls, **{n: _values(c) for n, c in cls._FIELDS}))
    def check(msg):
        assert decode(msg.encode()) == msg

    check()


def test_hlr_lifetimes_null_mapping_and_rejections():
    h = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")], max_lifetime_s=100)
    assert h.receive(MipUpdate(PERM, COA1, 1, 500), 0.0) == MipUpdateAck(PERM, 1, UPDATE_OK, 100)
    assert h.receive(MipQuery(PERM, 7), 40.0) == MipQueryReply(PERM, 7, COA1, 60)
    assert h.receive(MipQuery(PERM, 8), 100.0) == MipQueryReply(PERM, 8, 0, 60)  # expired: null
    assert h.receive(MipQuery(ip_int("10.10.0.2"), 9), 0.0).coa == 0  # not a mobile host: null
    assert h.receive(MipUpdate(PERM, COA2, 1, 50), 101.0).status == UPDATE_STALE
    assert h.receive(MipUpdate(ip_int("192.0.2.1"), COA2, 5, 50), 101.0).status == UPDATE_UNKNOWN_HOST
    assert h.lookup(PERM, 101.0) is None and h.rejected == {"stale_seq": 1, "unknown_host": 1}
    h.receive(MipUpdate(PERM, COA2, 2, 50), 101.0)
    assert h.lookup(PERM, 102.0) == (COA2, 49.0)


def _env(loop, net, me):
    """The Env of a MIP node at ``me`` on the shared ``net``; rand() is fixed at 0.25."""
    return FakeDatagramEnv(loop, net, me, fixed_rand=0.25)


def test_ch_queries_on_miss_caches_and_rewrites_only_mobile_hosts():
    loop, net = FakeLoop(), []
    hlr = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")])
    hlr.receive(MipUpdate(PERM, COA1, 1, 120), 0.0)
    ch = MipChDaemon(_env(loop, net, CH), [HLR1])
    pump = datagram_pump(loop, net, {HLR1: lambda m, s: hlr.receive(m, loop.now()),
                                CH: lambda m, s: ch.receive(m, s)})
    assert ch_outgoing(TCP, PERM, ch.resolve) is PENDING
    assert ch_outgoing(17, PERM, ch.resolve) is None  # UDP (SIP, RTP) is never touched
    pump()
    loop.run(1.0)
    assert ch_outgoing(TCP, PERM, ch.resolve) == COA1
    other = ip_int("10.10.0.9")
    assert ch.resolve(other) is PENDING
    pump()
    loop.run(2.0)
    assert ch.resolve(other) is None  # null mapping: leave non-mobile traffic alone ([0062])
    assert ch.queries_sent == 2
    # The mapping expires with the lifetime the register gave; then the daemon asks again.
    loop.run(121.5)
    assert ch.resolve(PERM) is PENDING and ch.queries_sent == 3


def test_ch_falls_back_to_the_next_register_with_back_off():
    loop, net = FakeLoop(), []
    hlr2 = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")])
    hlr2.receive(MipUpdate(PERM, COA2, 1, 120), 0.0)
    env = _env(loop, net, CH)
    ch = MipChDaemon(env, [HLR1, HLR2], query_timeout_s=0.5)
    pump = datagram_pump(loop, net, {HLR2: lambda m, s: hlr2.receive(m, loop.now()),
                                CH: lambda m, s: ch.receive(m, s)})  # HLR1 is down
    ch.resolve(PERM)
    pump()
    loop.run(0.49)
    assert [d for _, _, d, _ in net] == [HLR1]
    loop.run(0.6)
    pump()
    loop.run(1.0)
    assert ch.resolve(PERM) == COA2
    assert [e for _, e, _ in env.logs][:1] == ["hlr_retry"]


def test_update_from_the_mobile_host_replaces_the_mapping_at_once():
    loop, net = FakeLoop(), []
    ch = MipChDaemon(_env(loop, net, CH), [HLR1])
    ch.receive(MipQueryReply(PERM, 99, COA1, 120))  # unsolicited: rejected
    assert ch.rejected == {"unexpected_reply": 1} and PERM not in ch.cache
    assert ch.receive(MipUpdate(PERM, COA1, 3, 120), PERM).status == UPDATE_OK
    assert ch.resolve(PERM) == COA1
    assert ch.receive(MipUpdate(PERM, COA2, 2, 120), PERM).status == UPDATE_STALE
    assert ch.receive(MipUpdate(PERM, COA2, 4, 120), PERM).status == UPDATE_OK
    assert ch.resolve(PERM) == COA2


def test_mh_updates_every_register_and_its_tcp_correspondents():
    loop, net = FakeLoop(), []
    hlrs = {r: HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")]) for r in (HLR1, HLR2)}
    mh = MipMhDaemon(_env(loop, net, PERM), PERM, [HLR1, HLR2], lifetime_s=100)
    ch = MipChDaemon(_env(loop, net, CH), [HLR1])
    pump = datagram_pump(loop, net, {**{r: (lambda m, s, r=r: hlrs[r].receive(m, loop.now())) for r in hlrs},
                                CH: lambda m, s: ch.receive(m, s),
                                PERM: lambda m, s: mh.receive(m, s)})
    mh.on_coa_change(None, COA1)
    pump()
    loop.run(1.0)
    assert all(h.lookup(PERM, 1.0)[0] == COA1 for h in hlrs.values())
    assert mh.acked == {HLR1: 1, HLR2: 1}
    mh.on_tcp_from(CH)
    mh.on_coa_change(COA1, COA2)
    pump()
    loop.run(2.0)
    assert ch.resolve(PERM) == COA2  # learnt from the host's update, not the register
    assert all(h.lookup(PERM, 2.0)[0] == COA2 for h in hlrs.values())
    # Refresh before the lifetime ends (80 %).
    loop.run(81.0)
    pump()
    loop.run(82.0)
    assert all(h.lookup(PERM, 82.0)[1] > 90 for h in hlrs.values())


def test_mh_retries_a_silent_register_with_back_off():
    loop, net = FakeLoop(), []
    env = _env(loop, net, PERM)
    mh = MipMhDaemon(env, PERM, [HLR1], retry_s=0.5, max_tries=4)
    mh.on_coa_change(None, COA1)
    loop.run(10.0)
    times = [t for t, _, d, _ in net if d == HLR1]
    assert times == [0.0, 0.5, 1.5, 3.5]
    assert [e for _, e, _ in env.logs][-1] == "hlr_update_failed"


def test_mh_manglers_touch_tcp_only():
    assert mh_outgoing(TCP, COA1, COA1, PERM) == PERM
    assert mh_outgoing(17, COA1, COA1, PERM) is None  # SIP/RTP keep the care-of address
    assert mh_incoming(TCP, COA1, COA1, PERM) == PERM
    assert mh_incoming(17, COA1, COA1, PERM) is None
    assert mh_incoming(TCP, ip_int("10.9.9.9"), COA1, PERM) is None


def test_udp_is_captured_only_on_the_ports_the_policy_gives_mip_lr():
    from imm_ns3.miplr.mangler import UDP, captured

    assert captured(TCP) and not captured(UDP, 5060, 5060)
    assert not captured(UDP, 40000, 40002)  # integrated policy: RTP goes through SIP
    assert captured(UDP, 5555, 40002, udp_ports=(40000, 40002))  # realtime = "miplr"
    assert not captured(UDP, 5060, 5060, udp_ports=(40000, 40002))  # SIP never
    assert mh_incoming(UDP, COA1, COA1, PERM, dport=40002, udp_ports=(40002,)) == PERM
    assert mh_outgoing(TCP, 0, COA1, PERM) == PERM  # no address yet: still the permanent one
    assert mh_outgoing(TCP, ip_int("10.9.9.9"), COA1, PERM) is None


def test_ch_daemon_reports_mappings_and_unreachable_registers_to_its_hook():
    loop, net = FakeLoop(), []
    seen, lost = [], []
    ch = MipChDaemon(_env(loop, net, CH), [HLR1], query_timeout_s=0.1, max_tries=2,
                     on_mapping=lambda p, c, lt: seen.append((p, c, lt)), on_unreachable=lost.append)
    ch.receive(MipUpdate(PERM, COA1, 1, 120), PERM)
    assert seen == [(PERM, COA1, 120)] and ch.remaining_s(PERM) == 120
    assert ch.resolve(ip_int("10.0.0.11")) is PENDING
    loop.run(1.0)  # HLR1 never answers: two tries, then give up
    assert lost == [ip_int("10.0.0.11")]


# ---- classic Mobile IP (the baseline) --------------------------------------------------------
from imm_ns3.miplr.mip import (  # noqa: E402
    MIP_MESSAGES,
    REG_ACCEPTED,
    REG_DENIED_IDENTIFICATION,
    REG_DENIED_UNKNOWN_HOME,
    HomeAgent,
    MobileIpClient,
    RegistrationReply,
    RegistrationRequest,
)

HA = ip_int("10.20.0.2")


@pytest.mark.parametrize("cls", MIP_MESSAGES, ids=lambda c: c.__name__)
def test_mip_round_trip(cls):
    @settings(max_examples=100, deadline=None)
    @given(st.builds(cls, **{n: _values(c) for n, c in cls._FIELDS}))
    def check(msg):
        assert decode(msg.encode()) == msg

    check()


def test_home_agent_bindings_follow_registrations():
    calls = []
    ha = HomeAgent([ipaddress.IPv4Network("10.0.0.0/24")],
                   on_binding=lambda h, c, lt: calls.append((h, c, lt)), max_lifetime_s=100)
    r = ha.receive(RegistrationRequest(PERM, HA, COA1, 500, 1), 0.0)
    assert r == RegistrationReply(PERM, REG_ACCEPTED, 100, 1) and calls == [(PERM, COA1, 100)]
    assert ha.lookup(PERM, 50.0) == COA1 and ha.lookup(PERM, 100.0) is None  # lifetime over
    assert ha.receive(RegistrationRequest(PERM, HA, COA2, 50, 1), 1.0).code == REG_DENIED_IDENTIFICATION
    assert ha.receive(RegistrationRequest(ip_int("192.0.2.1"), HA, COA2, 50, 9), 1.0).code == REG_DENIED_UNKNOWN_HOME
    ha.receive(RegistrationRequest(PERM, HA, 0, 0, 2), 2.0)  # deregistration
    assert calls[-1] == (PERM, 0, 0) and PERM not in ha.bindings
    assert ha.receive(MipQuery(PERM, 1), 3.0) is None
    assert ha.rejected == {"stale_ident": 1, "unknown_home": 1, "unexpected_message": 1}


def test_mobile_ip_client_registers_retries_and_refreshes():
    loop, net = FakeLoop(), []
    env = _env(loop, net, PERM)
    ha = HomeAgent([ipaddress.IPv4Network("10.0.0.0/24")])
    cl = MobileIpClient(env, PERM, HA, lifetime_s=100, retry_s=0.5, max_tries=3)
    cl.on_coa_change(None, COA1)
    loop.run(0.6)  # the home agent is silent: one retry so far
    assert [m.ident for _, _, d, m in net if d == HA] == [1, 2]
    reply = ha.receive(net[-1][3], loop.now())
    cl.receive(RegistrationReply(PERM, REG_ACCEPTED, 100, 1), HA)  # answer to an old try: ignored
    assert cl.registered is None
    cl.receive(reply, HA)
    assert cl.registered == (COA1, 2)
    loop.run(5.0)
    assert len(net) == 2  # no more retries once accepted
    loop.run(80.5)  # refresh at 80 % of the lifetime granted (accepted at 0.6 s)
    assert len(net) == 2
    loop.run(80.7)
    assert net[-1][3].coa == COA1 and net[-1][3].ident == 3


def test_a_lost_update_to_a_correspondent_is_retransmitted_until_acknowledged():
    # Fire-and-forget before: one lost update left the correspondent rewriting to the old
    # care-of address for the whole lifetime of its entry (120 s), and TCP stalled.
    loop, net = FakeLoop(), []
    hlr = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")])
    mh = MipMhDaemon(_env(loop, net, PERM), PERM, [HLR1], lifetime_s=100, retry_s=0.5)
    ch_env = _env(loop, net, CH)
    ch = MipChDaemon(ch_env, [HLR1])
    lost = {"n": 1}  # the first update to the correspondent and its first ack are lost

    def to_ch(m, s):
        if isinstance(m, MipUpdate) and lost["n"] > 0:
            lost["n"] -= 1
            return None
        return ch.receive(m, s)

    acks_lost = {"n": 1}

    def to_mh(m, s):
        if isinstance(m, MipUpdateAck) and s == CH and acks_lost["n"] > 0:
            acks_lost["n"] -= 1
            return None
        return mh.receive(m, s)

    pump = datagram_pump(loop, net, {HLR1: lambda m, s: hlr.receive(m, loop.now()), CH: to_ch,
                                PERM: to_mh})
    mh.on_coa_change(None, COA1)
    mh.on_tcp_from(CH)
    mh.on_coa_change(COA1, COA2)
    for t in (0.3, 0.8, 1.8, 3.8, 8.0):
        pump()
        loop.run(t)
        pump()
    to_ch_updates = [t for t, src, dst, m in net if dst == CH and isinstance(m, MipUpdate)]
    # sent at 0, lost; again at 0.5 (applied, ack lost); again at 1.5 (ack arrives); no more.
    assert to_ch_updates == [0.0, 0.5, 1.5]
    assert ch.resolve(PERM) == COA2 and ch.rejected == {}  # the duplicate was acknowledged OK


# ---- mobile-to-mobile (beyond the specification, docs/miplr.md) ------------------------------

PREFIX = [(ip_int("10.0.0.0"), ip_int("255.255.255.0"))]


class _Mobile:
    """A mobile host that is also a correspondent: both daemons on one socket whose address is
    the care-of address of the moment."""

    def __init__(self, loop, net, perm: int, coa: int):
        self.env = _env(loop, net, coa)
        self.ch = MipChDaemon(self.env, [HLR1], mobile_prefixes=PREFIX)
        self.mh = MipMhDaemon(self.env, perm, [HLR1], lifetime_s=100, retry_s=0.5,
                              locator=self.ch)

    def receive(self, m, s):
        if isinstance(m, MipUpdateAck):
            return self.mh.receive(m, s)
        return self.ch.receive(m, s)


def test_two_mobile_hosts_that_move_at_once_find_each_other_again():
    # Each host's update to the other goes to the other's old care-of address and is lost;
    # the retry asks the register afresh, and whichever update arrives first redirects the
    # other's waiting update at once (MipMhDaemon.located).
    loop, net = FakeLoop(), []
    perm_a, perm_b = ip_int("10.0.0.10"), ip_int("10.0.0.11")
    a1, a2, b1, b2 = (ip_int(x) for x in ("10.1.0.4", "10.2.0.4", "10.2.0.3", "10.1.0.5"))
    hlr = HomeLocationRegister([ipaddress.IPv4Network("10.0.0.0/24")])
    a, b = _Mobile(loop, net, perm_a, a1), _Mobile(loop, net, perm_b, b1)
    at = {HLR1: lambda m, s: hlr.receive(m, loop.now(), s), a1: a.receive, b1: b.receive}
    pump = datagram_pump(loop, net, at)
    a.mh.on_coa_change(None, a1)
    b.mh.on_coa_change(None, b1)
    # a sends TCP to b (its mangler asks its daemon), b answers (and asks its own).
    assert a.ch.resolve(perm_b) is PENDING and b.ch.resolve(perm_a) is PENDING
    assert a.ch.resolve(ip_int("10.10.0.2")) is None  # a fixed host: never asked about
    for t in (0.5, 1.0):
        pump()
        loop.run(t)
    assert a.ch.resolve(perm_b) == b1 and b.ch.resolve(perm_a) == a1
    assert a.ch.queries_sent == b.ch.queries_sent == 1
    a.mh.on_tcp_from(perm_b)
    b.mh.on_tcp_from(perm_a)

    def move(host, old, new):
        del at[old]
        at[new] = host.receive
        host.env.me = new
        host.mh.on_coa_change(old, new)

    loop.run(5.0)
    move(a, a1, a2)
    move(b, b1, b2)
    for t in (5.2, 5.6, 6.0, 7.0, 9.0):
        pump()
        loop.run(t)
    assert a.ch.resolve(perm_b) == b2 and b.ch.resolve(perm_a) == a2
    assert perm_b not in a.mh._timers and perm_a not in b.mh._timers  # both acknowledged
    # a's update to b: at the move to b's old address (the entry in force while the register is
    # asked again), then once to the new one as soon as the register's answer told a where b
    # is (or b's own update did): three hops later, no retry timer waited for.
    to_b = [(round(t, 2), dst) for t, _, dst, m in net
            if isinstance(m, MipUpdate) and m.permanent == perm_a and dst != HLR1]
    assert to_b == [(5.0, b1), (5.03, b2)]
    assert [s for t, s, d, m in net if isinstance(m, MipQuery) and t >= 5] == [a2, b2]
