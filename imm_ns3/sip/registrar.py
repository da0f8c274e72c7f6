"""The SIP server of [0073]: a registrar that maps SIP URLs to contacts (the mobile host's
care-of address), and a redirect server that answers requests for a registered URL with
``302 Moved Temporarily`` and the current contact.

Why redirect rather than proxy: the correspondent's agent then sends the INVITE (and every
later request of the dialog) straight to the mobile host's care-of address, which is what
[0074]-[0075] describe; the server stays out of the session's path, and a re-INVITE after a
move goes host to host.

Sans-I/O: :meth:`Registrar.receive` takes a datagram, its source and the time and returns the
datagrams to answer with. A malformed request that still names enough to be answered gets
``400 Bad Request``, anything else malformed is dropped; both are counted. Unknown methods get
``501 Not Implemented``; OPTIONS addressed to the server itself gets ``200 OK``.

Authentication: with ``users`` (address of record -> password) every REGISTER that changes a
binding must carry digest credentials (:mod:`imm_ns3.sip.digest`: RFC 3261 section 22 with
RFC 7616's SHA-256) of the user whose address of record it binds; otherwise ``401`` with a
challenge. A query (no Contact) is answered without. Without ``users`` (the specification's
server) anyone may bind any address of record.

Limits: expired bindings are purged as requests arrive; at most ``max_bindings`` addresses of
record are held (a REGISTER for a new one beyond that gets ``503 Service Unavailable``). Every
call of :meth:`Registrar.receive` leaves a one-line account of what happened in ``last``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from . import digest
from .message import (
    SipParseError,
    parse_digits,
    SipRequest,
    SipResponse,
    aor,
    bad_request,
    name_addr,
    params,
    parse_message,
    response,
)

DEFAULT_EXPIRES_S = 3600
MIN_EXPIRES_S = 1
MAX_EXPIRES_S = 7200
MAX_BINDINGS = 10_000
PURGE_EVERY = 256  # requests between purges of expired bindings
TRANSACTION_S = 32.0  # RFC 3261 Timer J (64 * T1): how long a REGISTER's answer is kept
MAX_TRANSACTIONS = 20_000


@dataclass
class Binding:
    contact: str  # the Contact URI
    expires_at: float
    call_id: str
    cseq: int


@dataclass
class Registrar:
    domain: str = "imm.example"
    bindings: dict[str, Binding] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    max_bindings: int = MAX_BINDINGS
    last: str = ""  # what the last receive() did, one line (for logs)
    retransmissions: int = 0  # REGISTERs answered again from their server transaction
    _since_purge: int = 0
    # RFC 3261 17.2.3: digest of a REGISTER -> (its answer, kept until). A retransmitted
    # REGISTER (its 200 was lost, or is still on its way) gets the same answer again instead of
    # being processed anew, which its unchanged CSeq would turn into "500 out of order". Only a
    # byte-identical copy (same branch, Call-ID, CSeq and all) is a retransmission.
    _transactions: dict[bytes, tuple[bytes, float]] = field(default_factory=dict)
    # Digest authentication: address of record -> password (None: no authentication).
    users: dict[str, str] | None = None
    nonce_secret: bytes = field(default_factory=lambda: os.urandom(16))
    nonce_ttl_s: float = 300.0
    _nonces: digest.NonceIssuer | None = None

    def __post_init__(self) -> None:
        if self.users is not None:
            self.users = {aor(k): v for k, v in self.users.items()}
            self._nonces = digest.NonceIssuer(self.nonce_secret, self.nonce_ttl_s)

    def lookup(self, address_of_record: str, now: float) -> str | None:
        b = self.bindings.get(aor(address_of_record))
        if b is None or b.expires_at <= now:
            self.bindings.pop(aor(address_of_record), None)
            return None
        return b.contact

    def receive(self, data: bytes, src: tuple[str, int], now: float) -> list[bytes]:
        self._since_purge += 1
        if self._since_purge >= PURGE_EVERY:
            self.purge(now)
        try:
            msg = parse_message(data)
        except SipParseError as e:
            self._fault("malformed")
            answer = bad_request(data)
            self.last = f"malformed ({str(e)[:80]}) -> {'400' if answer else 'dropped'}"
            return [answer] if answer else []
        if isinstance(msg, SipResponse):
            self.last = f"response {msg.status} -> ignored"
            return []  # a stateless server has no transactions to match responses to
        if msg.method == "REGISTER":
            tx = hashlib.blake2b(data, digest_size=16).digest() if _rfc3261_branch(msg) else None
            kept = self._transactions.get(tx) if tx else None
            if kept is not None and kept[1] > now:
                self.retransmissions += 1
                self.last = f"REGISTER retransmission -> {kept[0][8:11].decode()} again"
                return [kept[0]]
            out = self._register(msg, now)
            if tx:
                if len(self._transactions) >= MAX_TRANSACTIONS:
                    self._purge_transactions(now, force=True)
                self._transactions[tx] = (out, now + TRANSACTION_S)
        elif msg.method == "OPTIONS" and self._is_me(msg.uri):
            out = response(msg, 200, extra=(("Allow", "REGISTER, INVITE, OPTIONS, ACK"),
                                            ("Accept", "application/sdp")))
        elif msg.method in ("INVITE", "OPTIONS", "MESSAGE", "SUBSCRIBE"):
            out = self._redirect(msg, now)
        elif msg.method == "ACK":
            self.last = "ACK -> nothing to answer"
            return []  # ACK for our final response: nothing to answer
        else:
            self._fault("unknown_method")
            out = response(msg, 501, extra=(("Allow", "REGISTER, INVITE, OPTIONS, ACK"),))
        self.last = f"{msg.method} {msg.uri[:60]} -> {out[8:11].decode()}"
        return [out]

    def purge(self, now: float) -> int:
        """Drop expired bindings; returns how many."""
        self._since_purge = 0
        dead = [k for k, b in self.bindings.items() if b.expires_at <= now]
        for k in dead:
            del self.bindings[k]
        self._purge_transactions(now)
        return len(dead)

    def _purge_transactions(self, now: float, force: bool = False) -> None:
        for k in [k for k, (_, until) in self._transactions.items() if until <= now]:
            del self._transactions[k]
        if force and len(self._transactions) >= MAX_TRANSACTIONS:
            # Still full of live transactions (a flood): forget the oldest half.
            for k in list(self._transactions)[: MAX_TRANSACTIONS // 2]:
                del self._transactions[k]

    def _is_me(self, uri: str) -> bool:
        """A Request-URI with no user part, for this server's domain (or any host)."""
        return "@" not in uri.split(";", 1)[0]

    def _register(self, req: SipRequest, now: float) -> bytes:
        to = req.header("To")
        _, to_uri, _ = name_addr(to)
        key = aor(to_uri)
        contacts = req.headers.get_all("Contact")
        default = req.header("Expires")
        try:
            if default is not None:
                parse_digits(default, "Expires")
            if not contacts:  # a query: answer with the current binding
                return response(req, 200, extra=self._contact_headers(key, now))
            if self._nonces is not None:
                refused = self._authenticate(req, key, now)
                if refused is not None:
                    return refused
            if "*" in contacts:
                # RFC 3261 section 10.3 step 6: '*' alone, and only with Expires: 0.
                if contacts != ["*"] or default is None or int(default) != 0:
                    return response(req, 400, reason="Contact * needs Expires: 0")
                self.bindings.pop(key, None)
                return response(req, 200)
            _, uri, ps = name_addr(contacts[0])
            exp = ps.get("expires", default if default is not None else str(DEFAULT_EXPIRES_S))
            expires = min(parse_digits(exp, "expires"), MAX_EXPIRES_S)
        except SipParseError:
            return response(req, 400, reason="Bad Expires")
        if expires == 0:
            self.bindings.pop(key, None)
        else:
            n, _ = req.cseq
            old = self.bindings.get(key)
            if old and old.call_id == req.call_id and n <= old.cseq:
                return response(req, 500, reason="Out of order REGISTER")
            if old is None and len(self.bindings) >= self.max_bindings:
                self.purge(now)
                if len(self.bindings) >= self.max_bindings:
                    self._fault("full")
                    return response(req, 503, reason="Too Many Bindings")
            self.bindings[key] = Binding(uri, now + expires, req.call_id, n)
        return response(req, 200, extra=self._contact_headers(key, now))

    def _authenticate(self, req: SipRequest, key: str, now: float) -> bytes | None:
        """None if ``req`` carries valid credentials of the user of ``key``; else the answer."""
        cred = digest.parse_params(req.header("Authorization") or "")
        stale = False
        if cred:
            nonce = cred.get("nonce", "")
            fresh = self._nonces.fresh(nonce, now)
            user_aor = aor(f"sip:{cred.get('username', '')}@{cred.get('realm', '')}")
            password = self.users.get(key)
            try:
                nc = int(cred.get("nc", ""), 16)
            except ValueError:
                nc = -1
            if fresh is False:
                stale = True  # ours, expired: the agent retries with the new nonce at once
                self._fault("auth_stale_nonce")
            elif (fresh is None or password is None or user_aor != key or nc <= 0
                  or cred.get("realm") != self.domain or cred.get("qop") != "auth"
                  or cred.get("algorithm", digest.ALGORITHM) != digest.ALGORITHM):
                self._fault("auth_refused")
            elif cred.get("response", "") != digest.response(
                    cred.get("username", ""), self.domain, password, req.method,
                    cred.get("uri", ""), nonce, cred.get("nc", ""), cred.get("cnonce", "")):
                self._fault("auth_bad_response")
            elif not self._nonces.use(nonce, nc, now):
                self._fault("auth_replay")
            else:
                return None
        else:
            self._fault("auth_missing")
        return response(req, 401, extra=(("WWW-Authenticate",
                                          self._nonces.challenge(self.domain, now, stale)),))

    def _contact_headers(self, key: str, now: float) -> tuple[tuple[str, str], ...]:
        b = self.bindings.get(key)
        if b is None or b.expires_at <= now:
            return ()
        return (("Contact", f"<{b.contact}>;expires={max(0, int(b.expires_at - now))}"),)

    def _redirect(self, req: SipRequest, now: float) -> bytes:
        contact = self.lookup(req.uri, now)
        if contact is None:
            return response(req, 404)
        return response(req, 302, extra=(("Contact", f"<{contact}>"),))

    def _fault(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1


__all__ = ["Registrar", "Binding", "response", "params"]


def _rfc3261_branch(req: SipRequest) -> bool:
    """Whether the top Via carries an RFC 3261 branch (magic cookie): only such requests form
    server transactions (RFC 3261 17.2.3)."""
    via = req.header("Via")
    return bool(via) and params(via)[1].get("branch", "").startswith("z9hG4bK")
