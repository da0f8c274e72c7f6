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
``501 Not Implemented``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .message import (
    SipParseError,
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

    def lookup(self, address_of_record: str, now: float) -> str | None:
        b = self.bindings.get(aor(address_of_record))
        if b is None or b.expires_at <= now:
            self.bindings.pop(aor(address_of_record), None)
            return None
        return b.contact

    def receive(self, data: bytes, src: tuple[str, int], now: float) -> list[bytes]:
        try:
            msg = parse_message(data)
        except SipParseError:
            self._fault("malformed")
            answer = bad_request(data)
            return [answer] if answer else []
        if isinstance(msg, SipResponse):
            return []  # a stateless server has no transactions to match responses to
        if msg.method == "REGISTER":
            return [self._register(msg, now)]
        if msg.method in ("INVITE", "OPTIONS", "MESSAGE", "SUBSCRIBE"):
            return [self._redirect(msg, now)]
        if msg.method == "ACK":
            return []  # ACK for our final response: nothing to answer
        self._fault("unknown_method")
        return [response(msg, 501, extra=(("Allow", "REGISTER, INVITE, OPTIONS, ACK"),))]

    def _register(self, req: SipRequest, now: float) -> bytes:
        to = req.header("To")
        _, to_uri, _ = name_addr(to)
        key = aor(to_uri)
        contacts = req.headers.get_all("Contact")
        default = req.header("Expires")
        if default is not None and not default.isdigit():
            return response(req, 400, reason="Bad Expires")
        if not contacts:  # a query: answer with the current binding
            return response(req, 200, extra=self._contact_headers(key, now))
        if contacts == ["*"]:
            self.bindings.pop(key, None)
            return response(req, 200)
        _, uri, ps = name_addr(contacts[0])
        exp = ps.get("expires", default if default is not None else str(DEFAULT_EXPIRES_S))
        if not exp.isdigit():
            return response(req, 400, reason="Bad Expires")
        expires = min(int(exp), MAX_EXPIRES_S)
        if expires == 0:
            self.bindings.pop(key, None)
        else:
            n, _ = req.cseq
            old = self.bindings.get(key)
            if old and old.call_id == req.call_id and n <= old.cseq:
                return response(req, 500, reason="Out of order REGISTER")
            self.bindings[key] = Binding(uri, now + expires, req.call_id, n)
        return response(req, 200, extra=self._contact_headers(key, now))

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
