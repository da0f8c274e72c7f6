"""The mobile host daemon as a transition table: every (state, event) pair is written down, each
one does what the table says, and nothing is dropped in silence."""

from __future__ import annotations

import ipaddress

import pytest

from imm_ns3.mmp import mobile
from imm_ns3.mmp.messages import (
    DRCP_OK,
    BaseStationBeacon,
    DrcpAdvertisement,
    DrcpReply,
    GatewayBeacon,
    Registration,
    RegistrationAck,
)
from imm_ns3.mmp.mobile import (
    ACK,
    ADVERTISEMENT,
    ATTACHED,
    BS_BEACON,
    DETACHED,
    DRCP_REPLY,
    EVENTS,
    EXPECTED,
    RADIO,
    STATES,
    TRANSITIONS,
    WAIT_ACK,
    WAIT_ADV,
    WAIT_BEACON,
    WAIT_DRCP,
    MobileHostDaemon,
)

from fakes import FakeLoop, FakeMobileHostEnv


def ip(s: str) -> int:
    return int(ipaddress.IPv4Address(s))


SUB = ipaddress.IPv4Network("10.1.0.0/16")
GW, COA, CLIENT = ip("172.16.0.14"), ip("10.1.0.4"), 0x0203


def _daemon_in(state: str):
    """A daemon put in ``state`` with the fields that state implies (attached to domain 502 of
    SUB with COA, mid-movement where the state is a waiting one)."""
    loop = FakeLoop()
    env = FakeMobileHostEnv(loop)
    d = MobileHostDaemon("mh1", env, mh_id=ip("10.0.0.10"), client_id=CLIENT)
    if state != DETACHED:
        d.coa, d.subnet, d.domain_id, d.gateway_ip = COA, SUB, 502, GW
        d.bs = BaseStationBeacon(1, ip("10.1.0.1"), GW, 502)
        d.drcp_server = ip("172.16.0.38")
        d.movements.append(mobile.Movement(0.0, coa_before=COA))
        d._pending_beacon = BaseStationBeacon(2, ip("10.1.0.2"), ip("172.16.0.18"), 503)
        d.seq, d.xid = 7, 3
    d.state = state
    return d, env


def _event_arg(event: str):
    return {
        RADIO: "bs502b",
        BS_BEACON: BaseStationBeacon(1, ip("10.1.0.1"), GW, 502),
        ADVERTISEMENT: DrcpAdvertisement(ip("172.16.0.38"), int(SUB.network_address), 16, 1),
        DRCP_REPLY: DrcpReply(CLIENT, 3, DRCP_OK, ip("10.1.0.9"), 16, 60, ip("172.16.0.38")),
        ACK: RegistrationAck(COA, 7, GW, 502),
    }[event]


def test_the_table_covers_every_state_and_event():
    missing = [(s, e) for s in STATES for e in EVENTS if (s, e) not in TRANSITIONS]
    assert not missing
    for action in set(TRANSITIONS.values()) - {EXPECTED}:
        assert callable(getattr(MobileHostDaemon, action)), action


# What each pair leads to: the state after it, and whether the host sent something.
OUTCOME = {
    (WAIT_BEACON, BS_BEACON): (ATTACHED, True),  # same domain: cache hand-off (408)
    (ATTACHED, BS_BEACON): (ATTACHED, False),
    (WAIT_ADV, ADVERTISEMENT): (WAIT_ACK, True),  # another domain, same sub-network (414)
    (WAIT_DRCP, DRCP_REPLY): (WAIT_ACK, True),  # the address, then the registration (416-418)
    (WAIT_ACK, ACK): (ATTACHED, False),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_every_pair_does_what_the_table_says(state, event):
    d, env = _daemon_in(state)
    sent_before = len(env.sent)
    arg = _event_arg(event)
    if event == RADIO:
        d.on_radio(arg, "bs502a")
    else:
        d.receive(arg)
    action = TRANSITIONS[(state, event)]
    assert not d.unexpected  # every pair is written down
    if event == RADIO:
        assert d.state == WAIT_BEACON and len(d.movements) == (2 if state != DETACHED else 1)
    elif action == EXPECTED:
        assert d.state == state and len(env.sent) == sent_before
    elif (state, event) in OUTCOME:
        after, sends = OUTCOME[(state, event)]
        assert d.state == after
        assert (len(env.sent) > sent_before) == sends
    else:  # renewals and late answers: the state stays, nothing is sent
        assert d.state == state and len(env.sent) == sent_before
        if action == "_stale" or (action == "_drcp_renewal" and arg.address != d.coa):
            assert sum(d.stale.values()) == 1


def test_a_message_that_is_no_event_is_counted_and_logged():
    d, env = _daemon_in(ATTACHED)
    d.receive(Registration(COA, ip("10.0.0.10"), 1))
    d.receive(GatewayBeacon(GW, 502, 1, 0, 0))
    assert d.unexpected == {(ATTACHED, "Registration"): 1, (ATTACHED, "GatewayBeacon"): 1}
    assert [e for _, e, _ in env.logs].count("mmp_unexpected") == 2


def test_a_pair_missing_from_the_table_is_counted_not_dropped(monkeypatch):
    table = dict(TRANSITIONS)
    del table[(WAIT_DRCP, ACK)]
    monkeypatch.setattr(mobile, "TRANSITIONS", table)
    d, env = _daemon_in(WAIT_DRCP)
    d.receive(RegistrationAck(COA, 7, GW, 502))
    assert d.unexpected == {(WAIT_DRCP, ACK): 1} and d.state == WAIT_DRCP
    assert ("mmp_unexpected", "registration_ack in state wait_drcp") in [(e, x) for _, e, x in env.logs]


def test_stale_answers_are_counted():
    d, env = _daemon_in(WAIT_DRCP)
    d.receive(DrcpReply(CLIENT, 2, DRCP_OK, ip("10.1.0.9"), 16, 60, 0))  # an older transaction
    d.receive(DrcpReply(0x9999, 3, DRCP_OK, ip("10.1.0.9"), 16, 60, 0))  # another station's
    assert d.stale == {DRCP_REPLY: 1} and d.state == WAIT_DRCP
    d2, _ = _daemon_in(WAIT_ACK)
    d2.receive(RegistrationAck(COA, 6, GW, 502))  # an older registration's
    assert d2.stale == {ACK: 1} and d2.state == WAIT_ACK
