"""SIP user agents for mobility ([0071]-[0077]), sans-I/O.

A :class:`UserAgent` is driven by :meth:`UserAgent.receive` (a datagram, its source) and by its
timers, and acts through an Env (``now``, ``call_later``, ``cancel``, ``rand``, ``send(data,
(ip, port))``, ``log``). The same class serves both ends:

- the mobile host's agent (SIP-MH, 808) REGISTERs its care-of address with every SIP server on
  each change ([0073]; done as REGISTER, as in Schulzrinne and Wedlund, where the patent says
  "invite to the server"), keeps a sessions table, and re-INVITEs each correspondent in it with
  the new contact and SDP ([0075]);
- the correspondent's agent (SIP-CH, 806) calls a SIP URL: its INVITE goes to the SIP server,
  which redirects (302) to the host's contact; the INVITE then goes there ([0074]). On a
  re-INVITE it tells its real-time application the new address (``on_media``).

Transactions follow RFC 3261 section 17 over UDP: INVITE client (timer A retransmits from T1
doubling, timer B gives up at 64*T1, non-2xx final answered with ACK, timer D), non-INVITE client
(timer E from T1 doubling to T2, timer F gives up at 64*T1, timer K), and the server side
answers retransmitted requests with the last response; a 2xx to INVITE is retransmitted until
the ACK comes (section 13.3.1.4).

Long on purpose: the transactions, the sessions' transition table and its handlers share one
agent's state (its transactions, sessions and 2xx retransmissions); split, each part would
reach into the other's.

Beyond the specification (docs/security.md): a re-INVITE must match its dialog (RFC 3261
12.2.2: From and To tags, a CSeq above the last one, else 481 or 500); a REGISTER answered
``500`` (another REGISTER with our Call-ID holds a higher CSeq) is sent again with a new
Call-ID. With ``credentials`` the agent answers a registrar's ``401`` with digest credentials
(:mod:`imm_ns3.sip.digest`) and reuses the challenge for later REGISTERs; with
``confirm_moves`` a re-INVITE that moves the media changes nothing of the dialog until the SIP
server confirms the peer's new contact (a REGISTER query for its address of record; 403 if it
does not), so a forged re-INVITE can neither take the call's RTP nor spend the CSeq the real
peer will use.

The session (dialog) side is a state machine whose every (state, event) pair is written in
:data:`TRANSITIONS`: the handler that runs, or :data:`EXPECTED` for what needs nothing in that
state (a provisional answer; a move or a retry timer of a session not established). A
request's state is that of the session its Call-ID names (:data:`NO_SESSION` if none); the
answers to an INVITE, its timeout, a move, a retry and a hang-up are events of their session. A
pair absent from the table is counted in ``unexpected`` and logged (``sip_unexpected``), never
dropped in silence; a response that belongs to no transaction of ours (one past its
transaction's end) is counted in ``stale``. Client transactions have their own states
(:data:`TRYING`, :data:`PROCEEDING`, :data:`COMPLETED`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..env import SipEnv
from . import digest
from .message import (
    SIP_PORT,
    Headers,
    SipParseError,
    SipRequest,
    SipResponse,
    aor,
    bad_request,
    name_addr,
    params,
    parse_message,
    response,
    uri_host_port,
)
from .sdp import AudioSession, parse_sdp

T1 = 0.5
T2 = 4.0
T4 = 5.0

# Session (dialog) states; NO_SESSION is the state of a request whose Call-ID names no session.
NO_SESSION, CALLING, ESTABLISHED, ENDED = "no_session", "calling", "established", "ended"
SESSION_STATES = (CALLING, ESTABLISHED, ENDED)
STATES = (NO_SESSION, *SESSION_STATES)

# Events. Requests received, by method (any other method is OTHER_METHOD, answered 501):
INVITE, ACK, BYE, OPTIONS, OTHER_METHOD = "invite", "ack", "bye", "options", "other_method"
REQUEST_EVENTS = (INVITE, ACK, BYE, OPTIONS, OTHER_METHOD)
REQUEST_EVENT_OF = {"INVITE": INVITE, "ACK": ACK, "BYE": BYE, "OPTIONS": OPTIONS}
# ... and the events of a session: the answers to its INVITE (1xx; 301/302 with a Contact; 2xx;
# any other final) and timer B, a move of our contact address, the retry timer of a refused
# re-INVITE, a hang-up.
PROVISIONAL, REDIRECT, SUCCESS, FAILURE, TIMEOUT = (
    "provisional", "redirect", "success", "failure", "timeout")
MOVE, RETRY, HANGUP = "move", "retry", "hangup"
# ... and a re-INVITE still unanswered REINVITE_VIA_SERVER_S after it was sent.
UNANSWERED = "unanswered"
SESSION_EVENTS = (PROVISIONAL, REDIRECT, SUCCESS, FAILURE, TIMEOUT, MOVE, RETRY, HANGUP, UNANSWERED)
EXPECTED = "expected"  # nothing to do in that state

TRANSITIONS: dict[tuple[str, str], str] = {
    # A new INVITE starts a session (100, 180, 200); one for a session we have must match its
    # dialog (tags, CSeq: RFC 3261 12.2.2), and only an established session's re-INVITE may
    # wait for the SIP server to confirm a move (confirm_moves).
    (NO_SESSION, INVITE): "_on_new_invite",
    (CALLING, INVITE): "_on_dialog_invite",
    (ESTABLISHED, INVITE): "_on_reinvite",
    (ENDED, INVITE): "_on_dialog_invite",
    # An ACK stops the 2xx retransmissions of its Call-ID, whatever became of the session.
    **{(st, ACK): "_on_ack" for st in STATES},
    (NO_SESSION, BYE): "_on_bye_unknown",  # 481
    **{(st, BYE): "_on_bye" for st in SESSION_STATES},
    **{(st, OPTIONS): "_on_options" for st in STATES},
    **{(st, OTHER_METHOD): "_on_unknown_method" for st in STATES},  # 501
    # The answers to the session's INVITE (or re-INVITE). A refused re-INVITE leaves the session
    # as it was (RFC 3261 14.1); a refused INVITE ends it.
    **{(st, PROVISIONAL): EXPECTED for st in SESSION_STATES},
    **{(st, REDIRECT): "_redirected" for st in SESSION_STATES},
    **{(st, SUCCESS): "_established" for st in SESSION_STATES},
    (CALLING, FAILURE): "_call_failed",
    (ESTABLISHED, FAILURE): "_reinvite_failed",
    (ENDED, FAILURE): "_call_failed",
    **{(st, TIMEOUT): "_invite_timeout" for st in SESSION_STATES},
    # [0075]: a move re-INVITEs the established sessions; a retry only an established one.
    (ESTABLISHED, MOVE): "_reinvite",
    **{(st, MOVE): EXPECTED for st in (CALLING, ENDED)},
    (ESTABLISHED, RETRY): "_reinvite_if_current",
    **{(st, RETRY): EXPECTED for st in (CALLING, ENDED)},
    # Both ends moved at once: the re-INVITE went to the peer's old contact. Asked again through
    # a SIP server, which redirects it to the peer's new one.
    (ESTABLISHED, UNANSWERED): "_reinvite_via_server",
    **{(st, UNANSWERED): EXPECTED for st in (CALLING, ENDED)},
    **{(st, HANGUP): "_hangup" for st in SESSION_STATES},
}

# Client transaction states (RFC 3261 17.1).
TRYING, PROCEEDING, COMPLETED = "trying", "proceeding", "completed"

# RFC 3261 14.1: after a 491 the owner of the Call-ID (the caller) waits 2.1-4 s, the other end
# 0-2 s, in units of 10 ms, before it tries its re-INVITE again.
GLARE_WAIT_S = {True: (2.1, 4.0), False: (0.0, 2.0)}
GLARE_RETRIES = 4
# Beyond RFC 3261: a re-INVITE to a mobile peer's contact unanswered this long (three tries,
# timer A) is sent again through a SIP server: the peer has probably moved too (docs/sip.md).
REINVITE_VIA_SERVER_S = 2.0


@dataclass
class Session:
    """One row of the sessions table (812) / the correspondent's view of a call."""

    call_id: str
    local_tag: str
    remote_uri: str  # the peer's address of record
    remote_target: str = ""  # the peer's Contact
    remote_tag: str = ""
    local_cseq: int = 0
    remote_cseq: int = 0
    state: str = CALLING  # CALLING, ESTABLISHED, ENDED
    ended_by: str = ""  # once ended: "bye" (the peer hung up), "hangup" (we did), "failed", "timeout"
    local_media: AudioSession | None = None
    remote_media: AudioSession | None = None
    reinvites: int = 0
    reinvite_retries: int = 0  # of the current move (RFC 3261 14.1)
    owner: bool = False  # we chose the Call-ID (we called): RFC 3261 14.1's longer wait
    invite_branch: str = ""  # the client transaction of our latest INVITE on this session


@dataclass
class _InviteAttempt:
    """One INVITE (or re-INVITE) of a session: the request, its Request-URI, and the index of
    the SIP server it went to (None: to a contact), whose successor is tried on a timeout."""

    request: SipRequest
    uri: str
    server_index: int | None


@dataclass
class _ClientTx:
    branch: str
    request: SipRequest
    dst: tuple[str, int]
    on_response: Callable[[SipResponse], None]
    on_timeout: Callable[[], None]
    invite: bool
    interval: float = T1
    state: str = TRYING
    timers: list = field(default_factory=list)


class UserAgent:
    def __init__(self, env: SipEnv, *, aor_uri: str, host: str, port: int = SIP_PORT,
                 servers: list[tuple[str, int]] = (), expires_s: int = 3600,
                 media_port: int = 40000, user_agent: str = "imm-ns3",
                 credentials: tuple[str, str] | None = None, confirm_moves: bool = False):
        self.env = env
        self.credentials = credentials  # (username, password) for digest authentication
        self.confirm_moves = confirm_moves
        self._challenges: dict[tuple[str, int], list] = {}  # server -> [realm, nonce, nc]
        self.aor = aor_uri
        self.host, self.port = host, port
        self.servers = list(servers)
        self.expires_s = expires_s
        self.media_port = media_port
        self.user_agent = user_agent
        self.sessions: dict[str, Session] = {}
        self._ids = itertools.count(1)
        self._client: dict[str, _ClientTx] = {}
        # (call-id, method, cseq, top Via branch) -> the final answer (RFC 3261 17.2.3 matches
        # a retransmission by its branch: another request with the same CSeq is not one).
        self._server_last: dict[tuple[str, str, int, str], bytes] = {}
        self._confirming: set[tuple[str, int, str]] = set()  # re-INVITEs awaiting confirmation
        self._pending_2xx: dict[str, Any] = {}  # call-id -> retransmission timer
        self._reg_call_id = f"reg-{self._token()}"
        self._reg_cseq = 0
        self._refresh = None
        self.registered: dict[tuple[str, int], float] = {}  # server -> time of the 200 OK
        self.on_media: Callable[[Session], None] | None = None  # new remote address/port
        self.on_established: Callable[[Session], None] | None = None
        self.on_ended: Callable[[Session], None] | None = None
        self.faults: dict[str, int] = {}
        self.unexpected: dict[tuple[str, str], int] = {}  # (state, event) -> count
        self.stale: dict[str, int] = {}  # responses that belong to no transaction of ours
        # (time, call-id) of every re-INVITE this agent sent that was answered 200 OK ([0075]).
        self.reinvites_done: list[tuple[float, str]] = []
        # Both ends re-INVITing at once (RFC 3261 14.1-14.2): 491s sent and received, retries
        # after a 491, re-INVITEs sent again through a SIP server.
        self.glare = {"sent_491": 0, "got_491": 0, "retried": 0, "via_server": 0}
        # Address of record of a peer -> the media port of calls with it (a host with several
        # calls at once gives each its own); others use media_port.
        self.media_ports: dict[str, int] = {}
        # Addresses of record of peers that move too (mobile-to-mobile calls): a re-INVITE to
        # one of them unanswered REINVITE_VIA_SERVER_S is sent again through a SIP server.
        self.mobile_peers: set[str] = set()

    # ---- identifiers ---------------------------------------------------------------------
    def _token(self) -> str:
        return f"{int(self.env.rand() * 2**32):08x}{next(self._ids):x}"

    @property
    def contact(self) -> str:
        user = self.aor.split(":", 1)[1].split("@", 1)[0]
        return f"sip:{user}@{self.host}:{self.port}"

    def _media(self, version: int = 1, port: int | None = None) -> AudioSession:
        return AudioSession(self.host, port or self.media_port, (0,), session_id=1, version=version)

    # ---- building requests ---------------------------------------------------------------
    def _request(self, method: str, uri: str, *, to: str, from_tag: str, call_id: str, cseq: int,
                 to_tag: str = "", body: bytes = b"", branch: str | None = None) -> SipRequest:
        branch = branch or f"z9hG4bK{self._token()}"
        items = [
            ("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={branch}"),
            ("Max-Forwards", "70"),
            ("From", f"<{self.aor}>;tag={from_tag}"),
            ("To", f"<{to}>" + (f";tag={to_tag}" if to_tag else "")),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<{self.contact}>"),
            ("User-Agent", self.user_agent),
        ]
        if method == "REGISTER":
            items.append(("Expires", str(self.expires_s)))
        if body:
            items.append(("Content-Type", "application/sdp"))
        return SipRequest(headers=Headers(tuple(items)), body=body, method=method, uri=uri)

    # ---- client transactions (RFC 3261 17.1) ----------------------------------------------
    def _send_request(self, req: SipRequest, dst: tuple[str, int],
                      on_response: Callable[[SipResponse], None],
                      on_timeout: Callable[[], None]) -> _ClientTx:
        branch = params(req.header("Via"))[1]["branch"]
        tx = _ClientTx(branch, req, dst, on_response, on_timeout, req.method == "INVITE")
        self._client[branch] = tx
        self.env.send(req.encode(), dst)
        tx.timers.append(self.env.call_later(T1, self._retransmit, branch))  # timer A / E
        tx.timers.append(self.env.call_later(64 * T1, self._tx_timeout, branch))  # timer B / F
        return tx

    def _retransmit(self, branch: str) -> None:
        tx = self._client.get(branch)
        if tx is None or tx.state == COMPLETED:
            return
        if tx.invite and tx.state == PROCEEDING:
            return  # timer A stops on a provisional response
        self.env.send(tx.request.encode(), tx.dst)
        tx.interval = tx.interval * 2 if tx.invite else min(tx.interval * 2, T2)
        if tx.state == PROCEEDING:
            tx.interval = T2
        self.env.log("sip_retransmit", f"{tx.request.method} to {tx.dst[0]}")
        tx.timers.append(self.env.call_later(tx.interval, self._retransmit, branch))

    def _tx_timeout(self, branch: str) -> None:
        tx = self._client.pop(branch, None)
        if tx is None or tx.state == COMPLETED:
            return
        self.env.log("sip_timeout", f"{tx.request.method} to {tx.dst[0]}")
        tx.on_timeout()

    def _client_response(self, resp: SipResponse) -> None:
        via = resp.header("Via")
        branch = params(via)[1].get("branch", "") if via else ""
        tx = self._client.get(branch)
        if tx is None:
            if resp.cseq[1] == "INVITE" and 200 <= resp.status < 300:
                self._ack_2xx_again(resp)  # a retransmitted 2xx: ACK it again
            else:
                self._stale("response")  # past its transaction's end, or never ours
            return
        if resp.status < 200:
            tx.state = PROCEEDING
            tx.on_response(resp)
            return
        tx.state = COMPLETED
        for t in tx.timers:
            self.env.cancel(t)
        if tx.invite and resp.status >= 300:
            # Non-2xx final to INVITE: the transaction ACKs it (same branch), timer D.
            ack = self._ack_for(tx.request, resp, same_branch=True)
            self.env.send(ack.encode(), tx.dst)
            self.env.call_later(32.0, self._client.pop, branch, None)
        else:
            self.env.call_later(T4, self._client.pop, branch, None)  # timer K (or 2xx: done)
        tx.on_response(resp)

    def _ack_for(self, invite: SipRequest, resp: SipResponse, same_branch: bool) -> SipRequest:
        to = resp.header("To")
        _, to_uri, ps = name_addr(to)
        _, _, fps = name_addr(invite.header("From"))
        branch = params(invite.header("Via"))[1]["branch"] if same_branch else None
        uri = invite.uri
        if not same_branch:  # 2xx: ACK to the remote target, in a new transaction
            contact = resp.header("Contact")
            if contact:
                uri = name_addr(contact)[1]
        return self._request("ACK", uri, to=to_uri, from_tag=fps.get("tag", ""),
                             call_id=invite.call_id, cseq=invite.cseq[0],
                             to_tag=ps.get("tag", ""), branch=branch)

    def _ack_2xx_again(self, resp: SipResponse) -> None:
        s = self.sessions.get(resp.call_id or "")
        if s is None or not s.remote_target:
            self._stale("invite_2xx")  # no session of ours to ACK it for
            return
        ack = self._request("ACK", s.remote_target, to=s.remote_uri, from_tag=s.local_tag,
                            call_id=s.call_id, cseq=resp.cseq[0], to_tag=s.remote_tag)
        self.env.send(ack.encode(), uri_host_port(s.remote_target))

    # ---- registration ([0073]) ------------------------------------------------------------
    def register(self, host: str | None = None) -> None:
        """REGISTER the current (or a new) contact address with every SIP server."""
        if host is not None:
            self.host = host
        if self._refresh is not None:
            self.env.cancel(self._refresh)
        for server in self.servers:
            self._register_at(server, 0)
        # Refresh before the binding expires.
        self._refresh = self.env.call_later(self.expires_s * 0.9, self.register)

    def _register_at(self, server: tuple[str, int], tries: int) -> None:
        self._reg_cseq += 1
        req = self._request("REGISTER", f"sip:{self.aor.split('@', 1)[-1]}", to=self.aor,
                            from_tag=self._token(), call_id=self._reg_call_id, cseq=self._reg_cseq)
        req = self._authorize(req, server)

        def ok(resp: SipResponse) -> None:
            if resp.status < 200:
                return
            if resp.status < 300:
                self.registered[server] = self.env.now()
                self.env.log("sip_registered", f"{self.contact} at {server[0]}")
                return
            if resp.status == 401 and self.credentials and tries < 2:
                ch = digest.parse_params(resp.header("WWW-Authenticate") or "")
                if ch.get("nonce"):
                    self._challenges[server] = [ch.get("realm", ""), ch["nonce"], 0]
                    self.env.log("sip_challenged", server[0])
                    self._register_at(server, tries + 1)
                    return
            if resp.status == 500 and tries < 2:
                # Another REGISTER with our Call-ID holds a higher CSeq (a forged one, or ours
                # before a restart): RFC 3261 10.2.4 lets the agent start a new Call-ID.
                self._reg_call_id, self._reg_cseq = f"reg-{self._token()}", 0
                self.env.log("sip_register_new_call_id", server[0])
                self._register_at(server, tries + 1)
                return
            self.env.log("sip_register_failed", f"{resp.status} from {server[0]}")

        self._send_request(req, server, ok,
                           lambda: self.env.log("sip_register_timeout", server[0]))

    def _authorize(self, req: SipRequest, server: tuple[str, int]) -> SipRequest:
        """``req`` with digest credentials for the last challenge of ``server`` (if any)."""
        ch = self._challenges.get(server)
        if not (self.credentials and ch):
            return req
        ch[2] += 1
        user, password = self.credentials
        value = digest.authorization(user, ch[0], password, req.method, req.uri, ch[1], ch[2],
                                     self._token())
        return SipRequest(headers=req.headers.replace("Authorization", value), body=req.body,
                          method=req.method, uri=req.uri)

    def move_to(self, new_host: str) -> None:
        """The care-of address changed ([0075], step 430): register it, re-INVITE every session."""
        old = self.host
        self.register(new_host)
        self.env.log("sip_coa", f"{old} -> {new_host}")
        for s in list(self.sessions.values()):
            self._session_event(s, MOVE)

    # ---- calls ([0074]) --------------------------------------------------------------------
    def call(self, target_aor: str, media_port: int | None = None) -> Session:
        """Start a session with ``target_aor``: INVITE via the SIP server, follow its 302. The
        media go to ``media_port`` (default: the agent's)."""
        s = Session(call_id=f"{self._token()}@{self.host}", local_tag=self._token(),
                    remote_uri=target_aor, local_cseq=1, local_media=self._media(port=media_port),
                    owner=True)
        self.sessions[s.call_id] = s
        self._invite(s, target_aor, self.servers[0], server_index=0)
        return s

    def _invite(self, s: Session, uri: str, dst: tuple[str, int], server_index: int | None) -> None:
        req = self._request("INVITE", uri, to=s.remote_uri, from_tag=s.local_tag, call_id=s.call_id,
                            cseq=s.local_cseq, to_tag=s.remote_tag, body=s.local_media.encode())
        attempt = _InviteAttempt(req, uri, server_index)
        tx = self._send_request(req, dst,
                                lambda resp: self._session_event(s, _answer_event(resp), attempt, resp),
                                lambda: self._session_event(s, TIMEOUT, attempt))
        s.invite_branch = tx.branch

    def _invite_pending(self, s: Session) -> bool:
        """Is an INVITE of ours on this session still without its final answer?"""
        tx = self._client.get(s.invite_branch)
        return tx is not None and tx.state != COMPLETED

    # ---- the session state machine -------------------------------------------------------
    def _session_event(self, s: Session, event: str, *args: Any) -> None:
        action = TRANSITIONS.get((s.state, event))
        if action is None:
            self._unexpected(s.state, event)
        elif action != EXPECTED:
            getattr(self, action)(s, *args)

    def _unexpected(self, state: str, event: str) -> None:
        key = (state, event)
        self.unexpected[key] = self.unexpected.get(key, 0) + 1
        self.env.log("sip_unexpected", f"{event} in state {state}")

    def _stale(self, what: str) -> None:
        self.stale[what] = self.stale.get(what, 0) + 1

    def _redirected(self, s: Session, attempt: _InviteAttempt, resp: SipResponse) -> None:
        target = name_addr(resp.header("Contact"))[1]
        s.local_cseq += 1
        if s.state == ESTABLISHED:  # the SIP server says where the peer is now: so do retries
            s.remote_target = target
        self.env.log("sip_redirected", target)
        self._invite(s, target, uri_host_port(target), None)

    def _reinvite_failed(self, s: Session, attempt: _InviteAttempt, resp: SipResponse) -> None:
        # RFC 3261 14.1: a failed re-INVITE leaves the session as it was. 500 and 491 (a
        # request of the peer's in the way, or a CSeq someone else used) are tried again, with
        # the next CSeq, after Retry-After (or 1 s).
        self.env.log("sip_reinvite_failed", f"{resp.status} {resp.reason}")
        if resp.status == 491 and s.reinvite_retries < GLARE_RETRIES:
            # The peer re-INVITEs us at the same time (both moved): RFC 3261 14.1's random wait,
            # longer for the owner of the Call-ID, so the two tries do not meet again.
            self.glare["got_491"] += 1
            s.reinvite_retries += 1
            lo, hi = GLARE_WAIT_S[s.owner]
            wait = lo + min(int(self.env.rand() * ((hi - lo) * 100 + 1)), round((hi - lo) * 100)) * 0.01
            self.env.call_later(wait, self._reinvite_after_491, s)
            return
        if resp.status in (491, 500) and s.reinvite_retries < 2:
            s.reinvite_retries += 1
            try:
                wait = float(resp.header("Retry-After", "1").split(";")[0].split()[0])
            except (ValueError, IndexError):
                wait = 1.0
            self.env.call_later(min(max(wait, 0.0), 32.0), self._reinvite_again, s)

    def _call_failed(self, s: Session, attempt: _InviteAttempt, resp: SipResponse) -> None:
        s.state, s.ended_by = ENDED, "failed"
        self.env.log("sip_call_failed", f"{resp.status} {resp.reason}")
        if self.on_ended:
            self.on_ended(s)

    def _invite_timeout(self, s: Session, attempt: _InviteAttempt) -> None:
        index = attempt.server_index
        if index is not None and index + 1 < len(self.servers):
            nxt = index + 1  # the next SIP server ([0071]: several for redundancy)
            self._invite(s, attempt.uri, self.servers[nxt], nxt)
        else:
            s.state, s.ended_by = ENDED, "timeout"
            if self.on_ended:
                self.on_ended(s)

    def _established(self, s: Session, attempt: _InviteAttempt, resp: SipResponse) -> None:
        invite = attempt.request
        _, _, ps = name_addr(resp.header("To"))
        s.remote_tag = ps.get("tag", s.remote_tag)
        contact = resp.header("Contact")
        if contact:
            s.remote_target = name_addr(contact)[1]
        ack = self._ack_for(invite, resp, same_branch=False)
        self.env.send(ack.encode(), uri_host_port(s.remote_target))
        if resp.body:
            try:
                s.remote_media = parse_sdp(resp.body)
            except SipParseError:
                self._fault("bad_sdp")
        first = s.state != ESTABLISHED
        s.state = ESTABLISHED
        s.reinvite_retries = 0
        if not first:
            self.reinvites_done.append((self.env.now(), s.call_id))
        self.env.log("sip_established" if first else "sip_reinvite_ok", s.call_id)
        if first and self.on_established:
            self.on_established(s)

    def _reinvite(self, s: Session) -> None:
        s.local_cseq += 1
        s.reinvites += 1
        old = s.local_media
        s.local_media = self._media(version=old.version + 1 if old else 1,
                                    port=old.port if old else None)
        self._invite(s, s.remote_target, uri_host_port(s.remote_target), None)
        if self.servers and s.remote_uri in self.mobile_peers:
            self.env.call_later(REINVITE_VIA_SERVER_S, self._reinvite_unanswered, s, s.local_cseq)

    def _reinvite_again(self, s: Session) -> None:
        """The retry timer of a refused re-INVITE."""
        self._session_event(s, RETRY)

    def _reinvite_after_491(self, s: Session) -> None:
        """The retry timer of a re-INVITE refused 491 (counted: a 500's retry is not glare)."""
        if self.sessions.get(s.call_id) is s:
            self.glare["retried"] += 1
        self._reinvite_again(s)

    def _reinvite_unanswered(self, s: Session, cseq: int) -> None:
        """REINVITE_VIA_SERVER_S after the re-INVITE with ``cseq`` was sent."""
        self._session_event(s, UNANSWERED, cseq)

    def _reinvite_via_server(self, s: Session, cseq: int) -> None:
        # Still that re-INVITE, still unanswered: end its transaction and send the next one to
        # the peer's address of record through the first SIP server, whose 302 names the
        # peer's current contact (followed by _redirected). Beyond RFC 3261, which would wait
        # for timer B (32 s) and end the dialog.
        if self.sessions.get(s.call_id) is not s or s.local_cseq != cseq or not self._invite_pending(s):
            return
        tx = self._client.pop(s.invite_branch)
        for t in tx.timers:
            self.env.cancel(t)
        self.glare["via_server"] += 1
        self.env.log("sip_reinvite_via_server", s.remote_uri)
        s.local_cseq += 1
        self._invite(s, s.remote_uri, self.servers[0], 0)

    def _reinvite_if_current(self, s: Session) -> None:
        if self.sessions.get(s.call_id) is s:
            self._reinvite(s)

    def hangup(self, s: Session) -> None:
        """End the session: BYE to the peer."""
        self._session_event(s, HANGUP)

    def _hangup(self, s: Session) -> None:
        s.local_cseq += 1
        req = self._request("BYE", s.remote_target, to=s.remote_uri, from_tag=s.local_tag,
                            call_id=s.call_id, cseq=s.local_cseq, to_tag=s.remote_tag)
        s.state, s.ended_by = ENDED, "hangup"
        self.sessions.pop(s.call_id, None)
        self._send_request(req, uri_host_port(s.remote_target), lambda r: None, lambda: None)
        if self.on_ended:
            self.on_ended(s)

    # ---- the server side -------------------------------------------------------------------
    def receive(self, data: bytes, src: tuple[str, int]) -> None:
        try:
            msg = parse_message(data)
        except SipParseError:
            self._fault("malformed")
            ans = bad_request(data)  # the same 400 rule as the server
            if ans:
                self.env.send(ans, src)
            return
        try:
            self._dispatch(msg, src)
        except SipParseError:
            # A message that parsed but carries a value the agent cannot use (a Contact with a
            # bad port, ...): counted and dropped, never an exception out of the agent.
            self._fault("bad_value")

    def _dispatch(self, msg, src: tuple[str, int]) -> None:
        if isinstance(msg, SipResponse):
            self._client_response(msg)
            return
        key = (msg.call_id, msg.method, msg.cseq[0], _branch(msg))
        if msg.method != "ACK" and key in self._server_last:
            self.env.send(self._server_last[key], src)  # a retransmission: same answer
            return
        event = REQUEST_EVENT_OF.get(msg.method, OTHER_METHOD)
        s = self.sessions.get(msg.call_id)
        state = NO_SESSION if s is None else s.state
        action = TRANSITIONS.get((state, event))
        if action is None:
            self._unexpected(state, event)
        elif action != EXPECTED:
            getattr(self, action)(msg, src)

    def _on_unknown_method(self, req: SipRequest, src: tuple[str, int]) -> None:
        self._fault("unknown_method")
        self._answer(req, src, 501)

    def _answer(self, req: SipRequest, src: tuple[str, int], status: int, *, to_tag: str = "",
                body: bytes = b"", extra: tuple = ()) -> bytes:
        contact = (("Contact", f"<{self.contact}>"),) if status < 300 and req.method == "INVITE" else ()
        data = response(req, status, to_tag=to_tag or None, extra=contact + tuple(extra), body=body)
        via_host, via_port = _via_sent_by(req, src)
        self.env.send(data, (via_host, via_port))
        if status >= 200:
            self._server_last[(req.call_id, req.method, req.cseq[0], _branch(req))] = data
        return data

    def _invite_parts(self, req: SipRequest, src: tuple[str, int]) -> tuple | None:
        """(From URI, From params, To params, SDP or None) of an INVITE; None once a body that
        is no SDP has been answered 400."""
        _, from_uri, fps = name_addr(req.header("From"))
        try:
            remote = parse_sdp(req.body) if req.body else None
        except SipParseError:
            self._answer(req, src, 400)
            return None
        _, _, tps = name_addr(req.header("To"))
        return from_uri, fps, tps, remote

    def _on_new_invite(self, req: SipRequest, src: tuple[str, int]) -> None:
        parts = self._invite_parts(req, src)
        if parts is None:
            return
        from_uri, fps, tps, remote = parts
        if tps.get("tag"):  # an in-dialog request for a dialog we do not have
            self._fault("unknown_dialog")
            self._answer(req, src, 481)
            return
        s = Session(call_id=req.call_id, local_tag=self._token(), remote_uri=aor(from_uri),
                    remote_tag=fps.get("tag", ""),
                    local_media=self._media(port=self.media_ports.get(aor(from_uri))))
        self.sessions[req.call_id] = s
        self._answer(req, src, 100)
        self._answer(req, src, 180, to_tag=s.local_tag)
        self._accept_invite(s, req, src, remote)

    def _on_dialog_invite(self, req: SipRequest, src: tuple[str, int]) -> None:
        self._invite_in_dialog(req, src, may_confirm=False)

    def _on_reinvite(self, req: SipRequest, src: tuple[str, int]) -> None:
        self._invite_in_dialog(req, src, may_confirm=True)

    def _invite_in_dialog(self, req: SipRequest, src: tuple[str, int], may_confirm: bool) -> None:
        s = self.sessions[req.call_id]
        parts = self._invite_parts(req, src)
        if parts is None:
            return
        _, fps, tps, remote = parts
        # RFC 3261 12.2.2: a re-INVITE belongs to the dialog only with its tags, and its CSeq
        # must be above the last one.
        if tps.get("tag") != s.local_tag or (s.remote_tag and fps.get("tag") != s.remote_tag):
            self._fault("reinvite_wrong_tags")
            self._answer(req, src, 481)
            return
        if req.cseq[0] <= s.remote_cseq:
            self._fault("reinvite_old_cseq")
            self._answer(req, src, 500, extra=(("Retry-After", "1"),))
            return
        if s.state == ESTABLISHED and self._invite_pending(s):
            # RFC 3261 14.2: our own re-INVITE on this dialog is in progress (both moved).
            s.remote_cseq = req.cseq[0]
            self.glare["sent_491"] += 1
            self.env.log("sip_glare", s.call_id)
            self._answer(req, src, 491)
            return
        if may_confirm and self.confirm_moves and remote is not None and remote != s.remote_media:
            # Nothing of the dialog changes until the SIP server confirms the move.
            key = (req.call_id, req.cseq[0], _branch(req))
            self._answer(req, src, 100)
            if key not in self._confirming:
                self._confirming.add(key)
                self._confirm_move(s, req, src, remote)
            return
        self._accept_invite(s, req, src, remote)

    def _accept_invite(self, s: Session, req: SipRequest, src: tuple[str, int], remote) -> None:
        """Apply an INVITE (or a re-INVITE) to its session and answer 200 with our SDP."""
        first = s.state != ESTABLISHED
        if not first:
            s.reinvites += 1
        s.remote_cseq = req.cseq[0]
        contact = req.header("Contact")
        if contact:
            s.remote_target = name_addr(contact)[1]  # a re-INVITE carries the new contact
        changed = remote is not None and remote != s.remote_media
        s.remote_media = remote or s.remote_media
        ok = self._answer(req, src, 200, to_tag=s.local_tag, body=s.local_media.encode())
        s.state = ESTABLISHED
        self._retransmit_2xx(req.call_id, ok, _via_sent_by(req, src), T1, 0.0)
        if first:
            self.env.log("sip_session", f"from {s.remote_uri}")
            if self.on_established:
                self.on_established(s)
        elif changed:
            self.env.log("sip_reinvited", f"{s.remote_media.address}:{s.remote_media.port}")
        if changed and not first and self.on_media:
            self.on_media(s)  # [0075]: the application now sends to the new address

    def _confirm_move(self, s: Session, req: SipRequest, src: tuple[str, int], new) -> None:
        """Accept a re-INVITE that moves the media once a SIP server's binding of the peer's
        address of record names the new host; else answer 403. Every server is asked at once
        (one that is down does not hold the move up, [0071]), again after 0.5 s and 1 s (the
        peer registers as it re-INVITEs: its REGISTER may still be on its way)."""
        state = {"done": False}

        def answer(resp: SipResponse) -> None:
            if resp.status < 200 or state["done"]:
                return
            if self.sessions.get(s.call_id) is not s or req.cseq[0] <= s.remote_cseq:
                state["done"] = True  # the call ended, or a later re-INVITE was accepted
                return
            contact = resp.header("Contact")
            host = uri_host_port(name_addr(contact)[1])[0] if contact else None
            if resp.status < 300 and host == new.address:
                state["done"] = True
                self.env.log("sip_move_confirmed", f"{new.address}:{new.port}")
                self._accept_invite(s, req, src, new)

        def ask(tries: int) -> None:
            if state["done"]:
                return
            if tries == 3:
                state["done"] = True
                self._fault("move_unconfirmed")
                self.env.log("sip_move_unconfirmed", f"{new.address}:{new.port}")
                self._answer(req, src, 403)
                return
            for server in self.servers:
                q = self._request("REGISTER", f"sip:{s.remote_uri.split('@', 1)[-1]}",
                                  to=s.remote_uri, from_tag=self._token(),
                                  call_id=f"q-{self._token()}", cseq=1)
                q = SipRequest(headers=q.headers.replace("Contact").replace("Expires"),
                               method=q.method, uri=q.uri)
                self._send_request(q, server, answer, lambda: None)
            self.env.call_later(0.5, ask, tries + 1)

        ask(0)

    def _retransmit_2xx(self, call_id: str, data: bytes, dst, interval: float, spent: float) -> None:
        """RFC 3261 13.3.1.4: resend the 2xx until the ACK arrives (T1 doubling to T2, 64*T1)."""
        old = self._pending_2xx.pop(call_id, None)
        if old is not None and spent == 0.0:
            self.env.cancel(old)
        if spent >= 64 * T1:
            self.env.log("sip_no_ack", call_id)
            return

        def again() -> None:
            self.env.send(data, dst)
            self._retransmit_2xx(call_id, data, dst, min(interval * 2, T2), spent + interval)

        self._pending_2xx[call_id] = self.env.call_later(interval, again)

    def _on_ack(self, req: SipRequest, src) -> None:
        t = self._pending_2xx.pop(req.call_id, None)
        if t is not None:
            self.env.cancel(t)

    def _on_bye(self, req: SipRequest, src) -> None:
        s = self.sessions.pop(req.call_id)
        self._answer(req, src, 200)
        s.state, s.ended_by = ENDED, "bye"
        if self.on_ended:
            self.on_ended(s)

    def _on_bye_unknown(self, req: SipRequest, src) -> None:
        self._answer(req, src, 481)

    def _on_options(self, req: SipRequest, src) -> None:
        self._answer(req, src, 200, extra=(("Allow", "INVITE, ACK, BYE, OPTIONS"),))

    def _fault(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1


def table_counts(agents: Iterable[tuple[str, Any]]) -> dict[str, dict[str, int]]:
    """``summary.json``'s ``sip``, from (node name, core) pairs (cores that are no
    :class:`UserAgent` are skipped): the (state, event) pairs absent from :data:`TRANSITIONS`
    (``unexpected_events``, "node:state:event") and the responses that belonged to no
    transaction (``stale_answers``, "node:what"), as the mobile daemons' in ``mmp``."""
    uas = sorted(((name, ua) for name, ua in agents if isinstance(ua, UserAgent)),
                 key=lambda pair: pair[0])
    return {
        "unexpected_events": {f"{name}:{st}:{ev}": n for name, ua in uas
                              for (st, ev), n in sorted(ua.unexpected.items())},
        "stale_answers": {f"{name}:{what}": n for name, ua in uas
                          for what, n in sorted(ua.stale.items())},
    }


def _answer_event(resp: SipResponse) -> str:
    """The session event of an answer to its INVITE."""
    if resp.status < 200:
        return PROVISIONAL
    if resp.status in (301, 302) and resp.header("Contact"):
        return REDIRECT
    return SUCCESS if resp.status < 300 else FAILURE


def _branch(req: SipRequest) -> str:
    via = req.header("Via")
    return params(via)[1].get("branch", "") if via else ""


def _via_sent_by(req: SipRequest, src: tuple[str, int]) -> tuple[str, int]:
    """Where a response goes: the top Via's sent-by (RFC 3261 18.2.2), else the source."""
    via = req.header("Via")
    try:
        sent_by = via.split(None, 1)[1].split(";", 1)[0]
        host, _, port = sent_by.partition(":")
        return host, int(port) if port else SIP_PORT
    except (AttributeError, IndexError, ValueError):
        return src
