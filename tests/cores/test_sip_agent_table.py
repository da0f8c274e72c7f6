"""The SIP user agent's sessions as a transition table: every (state, event) pair is written
down, each one does what the table says, and nothing is dropped in silence."""

from __future__ import annotations

import pytest

from imm_ns3.sip import SIP_PORT, Registrar, parse_message, uri_host_port
from imm_ns3.sip import agent
from imm_ns3.sip.agent import (
    ACK,
    BYE,
    CALLING,
    ENDED,
    ESTABLISHED,
    EXPECTED,
    FAILURE,
    HANGUP,
    INVITE,
    MOVE,
    NO_SESSION,
    OPTIONS,
    OTHER_METHOD,
    PROVISIONAL,
    REDIRECT,
    REQUEST_EVENTS,
    RETRY,
    SESSION_EVENTS,
    SESSION_STATES,
    STATES,
    SUCCESS,
    T1,
    TIMEOUT,
    TRANSITIONS,
    UNANSWERED,
    Session,
    UserAgent,
    table_counts,
)
from imm_ns3.sip.message import response
from imm_ns3.sip.sdp import AudioSession

from fakes import FakeLoop, FakeSipEnv, FakeSipNet

ME, PEER = ("10.1.0.4", SIP_PORT), ("10.10.0.2", SIP_PORT)
PEER_MEDIA = AudioSession("10.10.0.2", 40000, (0,), session_id=1, version=1)


def _agent_in(state: str):
    """An agent with session 'c1' in ``state`` (none for NO_SESSION): an established-looking
    dialog with the peer (tags, contact, media), CSeqs 3 (ours) and 4 (the peer's)."""
    loop = FakeLoop()
    net = FakeSipNet(loop)
    env = FakeSipEnv(loop, net, ME)
    ua = UserAgent(env, aor_uri="sip:mh1@imm.example", host=ME[0], servers=[], media_port=40002)
    s = None
    if state != NO_SESSION:
        s = Session(call_id="c1", local_tag="mine", remote_uri="sip:ch@imm.example",
                    remote_target=f"sip:ch@{PEER[0]}:{PEER[1]}", remote_tag="peer", local_cseq=3,
                    remote_cseq=4, state=state, local_media=ua._media(), remote_media=PEER_MEDIA)
        ua.sessions["c1"] = s
    return loop, net, env, ua, s


def _request(method: str, *, to_tag: str = "mine", cseq: int = 5, body: bytes = b"") -> bytes:
    """A request of the peer's in dialog 'c1' (no To tag: ``to_tag=''``)."""
    lines = [f"{method} sip:mh1@{ME[0]}:{ME[1]} SIP/2.0",
             f"Via: SIP/2.0/UDP {PEER[0]}:{PEER[1]};branch=z9hG4bK{method.lower()}{cseq}",
             "Max-Forwards: 70", "From: <sip:ch@imm.example>;tag=peer",
             "To: <sip:mh1@imm.example>" + (f";tag={to_tag}" if to_tag else ""),
             "Call-ID: c1", f"CSeq: {cseq} {method}", f"Contact: <sip:ch@{PEER[0]}:{PEER[1]}>"]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _sent(net: FakeSipNet, since: int = 0) -> list:
    """What the agent sent from index ``since`` on: request methods and response codes."""
    out = []
    for _, _, _, data in net.sent[since:]:
        m = parse_message(data)
        out.append(getattr(m, "method", None) or m.status)
    return out


def test_the_table_covers_every_state_and_event():
    pairs = {(s, e) for s in STATES for e in REQUEST_EVENTS}
    pairs |= {(s, e) for s in SESSION_STATES for e in SESSION_EVENTS}
    assert set(TRANSITIONS) == pairs  # every pair, and nothing else
    for action in set(TRANSITIONS.values()) - {EXPECTED}:
        assert callable(getattr(UserAgent, action)), action


# ---- requests: the state is that of the session the Call-ID names -----------------------------
REQUEST = {
    INVITE: lambda st: _request("INVITE", to_tag="" if st == NO_SESSION else "mine",
                                body=PEER_MEDIA.encode()),
    ACK: lambda st: _request("ACK"),
    BYE: lambda st: _request("BYE"),
    OPTIONS: lambda st: _request("OPTIONS"),
    OTHER_METHOD: lambda st: _request("INFO"),
}
# (state, event) -> (what the agent answers, the session's state after it: None = no session)
REQUEST_OUTCOME = {
    (NO_SESSION, INVITE): ([100, 180, 200], ESTABLISHED),  # a new call
    (CALLING, INVITE): ([200], ESTABLISHED),  # in its dialog: accepted
    (ESTABLISHED, INVITE): ([200], ESTABLISHED),  # a re-INVITE
    (ENDED, INVITE): ([200], ESTABLISHED),  # an ended session still in the table: resumed
    **{(st, ACK): ([], None if st == NO_SESSION else st) for st in STATES},
    (NO_SESSION, BYE): ([481], None),
    **{(st, BYE): ([200], None) for st in SESSION_STATES},
    **{(st, OPTIONS): ([200], None if st == NO_SESSION else st) for st in STATES},
    **{(st, OTHER_METHOD): ([501], None if st == NO_SESSION else st) for st in STATES},
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", REQUEST_EVENTS)
def test_every_request_pair_does_what_the_table_says(state, event):
    loop, net, env, ua, s = _agent_in(state)
    ua.receive(REQUEST[event](state), PEER)
    assert not ua.unexpected and not ua.stale
    answers, after = REQUEST_OUTCOME[(state, event)]
    assert _sent(net) == answers
    assert all(dst == PEER for _, _, dst, _ in net.sent)
    now = ua.sessions.get("c1")
    assert (now.state if now else None) == after
    if event == BYE and s is not None:
        assert (s.state, s.ended_by) == (ENDED, "bye")
    if event == OTHER_METHOD:
        assert ua.faults == {"unknown_method": 1}
    if (state, event) == (ESTABLISHED, INVITE):
        assert now.reinvites == 1 and now.remote_cseq == 5


def test_only_an_established_session_s_reinvite_waits_for_confirmation():
    moved = AudioSession("10.20.0.9", 40000, (0,), session_id=1, version=2).encode()
    for state, answers in ((ESTABLISHED, [100, "REGISTER"]), (CALLING, [200]), (ENDED, [200])):
        loop, net, env, ua, s = _agent_in(state)
        ua.confirm_moves, ua.servers = True, [("10.10.0.4", SIP_PORT)]
        ua.receive(_request("INVITE", body=moved), PEER)
        assert _sent(net) == answers, state


# ---- the events of a session ------------------------------------------------------------------
def _invite_from(ua: UserAgent, net: FakeSipNet, s: Session):
    """The agent INVITEs the peer in session ``s``; the request it sent."""
    n = len(net.sent)
    ua._invite(s, s.remote_target, uri_host_port(s.remote_target), None)
    (req,) = [parse_message(d) for _, _, _, d in net.sent[n:]]
    return req


def _answer(req, status: int) -> bytes:
    extra = {302: (("Contact", "<sip:ch@10.20.0.9:5060>"),),
             200: (("Contact", f"<sip:ch@{PEER[0]}:{PEER[1]}>"),)}.get(status, ())
    return response(req, status, to_tag="peer", extra=extra,
                    body=PEER_MEDIA.encode() if status == 200 else b"")


ANSWER = {PROVISIONAL: 180, REDIRECT: 302, SUCCESS: 200, FAILURE: 486}
# (state, event) -> (what the agent sends, the session's state after it, how it ended)
SESSION_OUTCOME = {
    **{(st, PROVISIONAL): ([], st, "") for st in SESSION_STATES},
    # The transaction ACKs the 302; the INVITE goes to the contact it names.
    **{(st, REDIRECT): (["ACK", "INVITE"], st, "") for st in SESSION_STATES},
    **{(st, SUCCESS): (["ACK"], ESTABLISHED, "") for st in SESSION_STATES},
    (CALLING, FAILURE): (["ACK"], ENDED, "failed"),
    (ESTABLISHED, FAILURE): (["ACK"], ESTABLISHED, ""),  # a refused re-INVITE changes nothing
    (ENDED, FAILURE): (["ACK"], ENDED, "failed"),
    **{(st, TIMEOUT): (["INVITE"] * 7, ENDED, "timeout") for st in SESSION_STATES},  # A, B
    (ESTABLISHED, MOVE): (["INVITE"], ESTABLISHED, ""),
    (CALLING, MOVE): ([], CALLING, ""),
    (ENDED, MOVE): ([], ENDED, ""),
    (ESTABLISHED, RETRY): (["INVITE"], ESTABLISHED, ""),
    (CALLING, RETRY): ([], CALLING, ""),
    (ENDED, RETRY): ([], ENDED, ""),
    **{(st, HANGUP): (["BYE"], ENDED, "hangup") for st in SESSION_STATES},
    # A re-INVITE to a mobile peer unanswered for 2 s: again through the SIP server.
    (ESTABLISHED, UNANSWERED): (["INVITE"], ESTABLISHED, ""),
    (CALLING, UNANSWERED): ([], CALLING, ""),
    (ENDED, UNANSWERED): ([], ENDED, ""),
}
SERVER = ("10.10.0.4", SIP_PORT)


@pytest.mark.parametrize("state", SESSION_STATES)
@pytest.mark.parametrize("event", SESSION_EVENTS)
def test_every_session_pair_does_what_the_table_says(state, event):
    loop, net, env, ua, s = _agent_in(state)
    if event in ANSWER:
        req = _invite_from(ua, net, s)
        n = len(net.sent)
        ua.receive(_answer(req, ANSWER[event]), PEER)
    elif event == TIMEOUT:
        n = len(net.sent)
        _invite_from(ua, net, s)
        loop.run(64 * T1 + 1)
    elif event == UNANSWERED:
        ua.servers, ua.mobile_peers = [SERVER], {s.remote_uri}
        _invite_from(ua, net, s)  # a re-INVITE in progress, to the peer's contact
        n = len(net.sent)
        ua._reinvite_unanswered(s, s.local_cseq)
    else:
        n = len(net.sent)
        {MOVE: lambda: ua.move_to("10.2.0.3"), RETRY: lambda: ua._reinvite_again(s),
         HANGUP: lambda: ua.hangup(s)}[event]()
    assert not ua.unexpected and not ua.stale
    sends, after, ended_by = SESSION_OUTCOME[(state, event)]
    assert _sent(net, n) == sends
    assert s.state == after and s.ended_by == ended_by
    if event == SUCCESS:
        assert ua.reinvites_done == ([(0.0, "c1")] if state == ESTABLISHED else [])
    if event == REDIRECT:
        assert net.sent[-1][2] == ("10.20.0.9", SIP_PORT)
    if (state, event) == (ESTABLISHED, UNANSWERED):
        req = parse_message(net.sent[-1][3])
        assert net.sent[-1][2] == SERVER and req.uri == s.remote_uri and ua.glare["via_server"] == 1
        loop.run(10.0)  # the old transaction ended: only the new one repeats (timer A)
        assert _sent(net, n) == ["INVITE"] * 5 and {d for _, _, d, _ in net.sent[n:]} == {SERVER}
    if event == HANGUP:
        assert "c1" not in ua.sessions and net.sent[-1][2] == PEER
    if (state, event) == (ESTABLISHED, FAILURE):
        assert "sip_reinvite_failed" in env.events()


# ---- nothing dropped in silence ---------------------------------------------------------------
def test_a_request_pair_missing_from_the_table_is_counted_and_logged(monkeypatch):
    table = dict(TRANSITIONS)
    del table[(ESTABLISHED, BYE)]
    monkeypatch.setattr(agent, "TRANSITIONS", table)
    loop, net, env, ua, s = _agent_in(ESTABLISHED)
    ua.receive(_request("BYE"), PEER)
    assert ua.unexpected == {(ESTABLISHED, BYE): 1} and s.state == ESTABLISHED and not net.sent
    assert ("sip_unexpected", "bye in state established") in [(e, d) for _, e, d in env.logs]


def test_a_session_pair_missing_from_the_table_is_counted_and_logged(monkeypatch):
    table = dict(TRANSITIONS)
    del table[(CALLING, FAILURE)]
    monkeypatch.setattr(agent, "TRANSITIONS", table)
    loop, net, env, ua, s = _agent_in(CALLING)
    req = _invite_from(ua, net, s)
    ua.receive(_answer(req, 486), PEER)
    assert ua.unexpected == {(CALLING, FAILURE): 1} and s.state == CALLING
    assert ("sip_unexpected", "failure in state calling") in [(e, d) for _, e, d in env.logs]


def test_responses_of_no_transaction_are_counted_as_stale():
    loop, net, env, ua, s = _agent_in(ESTABLISHED)
    req = _invite_from(ua, net, s)
    ua.receive(_answer(req, 200), PEER)
    n = len(net.sent)
    loop.run(10.0)  # timer K: the transaction is gone
    ua.receive(_answer(req, 200), PEER)  # a retransmitted 2xx: ACKed again
    assert _sent(net, n) == ["ACK"] and not ua.stale
    ua.receive(_answer(req, 486), PEER)  # a late final answer of a finished transaction
    ua.sessions.clear()
    ua.receive(_answer(req, 200), PEER)  # a 2xx for no session of ours
    assert ua.stale == {"response": 1, "invite_2xx": 1} and _sent(net, n) == ["ACK"]
    assert not ua.unexpected


def test_table_counts_name_each_agent_and_skip_other_cores():
    _, _, _, mh, _ = _agent_in(ESTABLISHED)
    _, _, _, ch, _ = _agent_in(CALLING)
    mh.unexpected[(ESTABLISHED, BYE)] = 2
    ch.stale["response"] = 1
    assert table_counts([("mh1", mh), ("sip", Registrar()), ("ch", ch)]) == {
        "unexpected_events": {"mh1:established:bye": 2},
        "stale_answers": {"ch:response": 1},
    }


def test_one_sip_port_and_one_list_of_tcp_variants():
    from imm_ns3.cli import sip_registrar
    from imm_ns3.scenario import schema

    assert SIP_PORT == 5060  # RFC 3261 section 18.1
    assert uri_host_port("sip:mh1@10.1.0.4") == ("10.1.0.4", SIP_PORT)
    assert schema.RESERVED_PORTS[SIP_PORT] == "SIP"
    assert {p.name: p.default for p in sip_registrar.params}["port"] == SIP_PORT
    assert schema.TCP_VARIANTS == tuple(schema.TCP_VARIANT_TYPES)
    assert all(t.startswith("ns3::Tcp") for t in schema.TCP_VARIANT_TYPES.values())
