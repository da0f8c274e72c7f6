"""Classic Mobile IP ([0005], the prior art MIP-LR is compared with), sans-I/O.

The home agent keeps a binding home address -> care-of address with a lifetime; packets that
reach the home network for a home address are tunnelled (IP-in-IP) to the care-of address, so
correspondent-to-mobile traffic takes the triangle correspondent -> home agent -> mobile host,
while the mobile host sends to correspondents directly. The mobile host registers with its home
agent on every care-of address change and before the lifetime runs out.

Registration follows RFC 5944 in content (home address, home agent, care-of address, lifetime,
identification; reply code and lifetime granted) with the binary codec of
:mod:`imm_ns3.wire`, on UDP port 434. The home agent answers requests (``receive(msg, now)`` ->
reply, no Env); the client acts through a :class:`imm_ns3.env.DatagramEnv`.

Identification is checked against a window (:class:`~imm_ns3.security.SeqWindow`): newer than
the last accepted and at most a window ahead, so one forged request with the largest number
cannot lock the host out; a code-133 reply carries the home agent's number in its
``ident`` and the client resynchronises past it (RFC 5944 3.8.3 does the same with a
timestamp). With a :class:`~imm_ns3.security.Keyring` (``security.auth = true``) requests and
replies carry an HMAC-SHA-256-128 authenticator keyed with the host's key: RFC 5944's
Mobile-Home Authentication Extension with a newer algorithm; unauthenticated requests are
dropped and counted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from ..env import DatagramEnv
from ..security import NO_AUTH, Keyring, SeqWindow, seal, verify
from ..wire import Message, ip_str

MIP_PORT = 434
REG_ACCEPTED = 0
REG_DENIED_UNKNOWN_HOME = 129  # RFC 5944 "administratively prohibited", used for a foreign address
REG_DENIED_IDENTIFICATION = 133  # RFC 5944 "registration Identification mismatch"


@dataclass(frozen=True)
class RegistrationRequest(Message):
    """Mobile host -> home agent: bind the home address to this care-of address."""

    TYPE: ClassVar[int] = 40
    _FIELDS: ClassVar = (("home", "I"), ("home_agent", "I"), ("coa", "I"), ("lifetime_s", "H"),
                         ("ident", "Q"))
    home: int
    home_agent: int
    coa: int
    lifetime_s: int
    ident: int


@dataclass(frozen=True)
class RegistrationReply(Message):
    """Home agent -> mobile host: the code and the lifetime granted."""

    TYPE: ClassVar[int] = 41
    _FIELDS: ClassVar = (("home", "I"), ("code", "B"), ("lifetime_s", "H"), ("ident", "Q"))
    home: int
    code: int
    lifetime_s: int
    ident: int


@dataclass(frozen=True)
class RegistrationRequestAuth(Message):
    """:class:`RegistrationRequest` with the mobile-home authenticator (security.auth)."""

    TYPE: ClassVar[int] = 42
    _FIELDS: ClassVar = (("home", "I"), ("home_agent", "I"), ("coa", "I"), ("lifetime_s", "H"),
                         ("ident", "Q"), ("auth", "16s"))
    home: int
    home_agent: int
    coa: int
    lifetime_s: int
    ident: int
    auth: bytes


@dataclass(frozen=True)
class RegistrationReplyAuth(Message):
    """:class:`RegistrationReply` with the mobile-home authenticator (security.auth)."""

    TYPE: ClassVar[int] = 43
    _FIELDS: ClassVar = (("home", "I"), ("code", "B"), ("lifetime_s", "H"), ("ident", "Q"),
                         ("auth", "16s"))
    home: int
    code: int
    lifetime_s: int
    ident: int
    auth: bytes



MIP_MESSAGES = (RegistrationRequest, RegistrationReply, RegistrationRequestAuth, RegistrationReplyAuth)


@dataclass
class HomeAgent:
    """Bindings of the home addresses of ``prefixes``. ``on_binding(home, coa, lifetime_s)`` is
    told every change (coa 0: binding removed) so the tunnel follows it."""

    prefixes: list[ipaddress.IPv4Network]
    on_binding: Callable[[int, int, float], None] = lambda home, coa, lifetime: None
    max_lifetime_s: int = 300
    keyring: Keyring | None = None  # set: authenticated registrations
    bindings: dict[int, tuple[int, float]] = field(default_factory=dict)
    idents: SeqWindow = field(default_factory=SeqWindow)
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def last_ident(self) -> dict[int, int]:
        return self.idents.last

    def _count(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1

    def _reply(self, msg: Any, code: int, lifetime: int, ident: int) -> Any:
        if self.keyring is None:
            return RegistrationReply(msg.home, code, lifetime, ident)
        return seal(self.keyring.host_key(msg.home),
                    RegistrationReplyAuth(msg.home, code, lifetime, ident, NO_AUTH))

    def receive(self, msg: Any, now: float) -> Any | None:
        if not isinstance(msg, (RegistrationRequest, RegistrationRequestAuth)):
            self._count("unexpected_message")
            return None
        home = ipaddress.IPv4Address(msg.home)
        if not any(home in p for p in self.prefixes):
            self._count("unknown_home")
            return RegistrationReply(msg.home, REG_DENIED_UNKNOWN_HOME, 0, msg.ident)
        if self.keyring is not None:
            if not isinstance(msg, RegistrationRequestAuth):
                self._count("unauthenticated")
                return None
            if not verify(self.keyring.host_key(msg.home), msg):
                self._count("bad_authenticator")
                return None
        why = self.idents.check(msg.home, msg.ident)
        if why is not None:
            self._count("stale_ident" if why == "stale_seq" else "ident_out_of_window")
            # The number in force instead of the request's, for the client to move past.
            return self._reply(msg, REG_DENIED_IDENTIFICATION, 0, self.idents.get(msg.home))
        self.idents.apply(msg.home, msg.ident)
        lifetime = min(msg.lifetime_s, self.max_lifetime_s)
        if lifetime == 0 or msg.coa == 0 or msg.coa == msg.home:
            self.bindings.pop(msg.home, None)  # deregistration (RFC 5944 3.8.2)
            self.on_binding(msg.home, 0, 0)
        else:
            self.bindings[msg.home] = (msg.coa, now + lifetime)
            self.on_binding(msg.home, msg.coa, lifetime)
        return self._reply(msg, REG_ACCEPTED, lifetime, msg.ident)

    def lookup(self, home: int, now: float) -> int | None:
        b = self.bindings.get(home)
        if b is None or b[1] <= now:
            self.bindings.pop(home, None)
            return None
        return b[0]


class MobileIpClient:
    """The mobile host's side: register each new care-of address with the home agent, retry
    with back-off until a reply comes, re-register before the granted lifetime ends."""

    def __init__(self, env: DatagramEnv, home: int, home_agent: int, *, lifetime_s: int = 120,
                 retry_s: float = 0.5, max_tries: int = 6, keyring: Keyring | None = None):
        self.env = env
        self._key = keyring.host_key(home) if keyring is not None else None
        self.rejected: dict[str, int] = {}
        self._resyncs = 0
        self.home, self.home_agent = home, home_agent
        self.lifetime_s, self.retry_s, self.max_tries = lifetime_s, retry_s, max_tries
        self.coa = 0
        self.ident = 0
        self.registered: tuple[int, int] | None = None  # (coa, ident) accepted last
        self._retry = None
        self._refresh = None

    def on_coa_change(self, old: int | None, new: int) -> None:
        if not new or new == self.coa:
            return
        self.coa = new
        self.env.log("mip_coa", f"{ip_str(new)}")
        self._register(0)

    def _register(self, attempt: int) -> None:
        for t in (self._retry, self._refresh):
            if t is not None:
                self.env.cancel(t)
        self._retry = self._refresh = None
        if attempt >= self.max_tries:
            self.env.log("mip_registration_failed", ip_str(self.home_agent))
            return
        if attempt:
            self.env.log("mip_registration_retry", f"try {attempt + 1}")
        self.ident += 1
        req = RegistrationRequest(self.home, self.home_agent, self.coa, self.lifetime_s, self.ident)
        if self._key is not None:
            req = seal(self._key, RegistrationRequestAuth(req.home, req.home_agent, req.coa,
                                                          req.lifetime_s, req.ident, NO_AUTH))
        self.env.send(self.home_agent, req)
        self._retry = self.env.call_later(self.retry_s * 2 ** attempt, self._register, attempt + 1)

    def receive(self, msg: Any, src: int) -> None:
        if not (isinstance(msg, (RegistrationReply, RegistrationReplyAuth)) and msg.home == self.home
                and src == self.home_agent):
            return
        if self._key is not None and not (isinstance(msg, RegistrationReplyAuth)
                                          and verify(self._key, msg)):
            self.rejected["unauthenticated_reply"] = self.rejected.get("unauthenticated_reply", 0) + 1
            return
        resync = (msg.code == REG_DENIED_IDENTIFICATION and self._retry is not None
                  and self._resyncs < self.max_tries)
        if msg.ident != self.ident and not resync:
            return
        if self._retry is not None:
            self.env.cancel(self._retry)
            self._retry = None
        if msg.code != REG_ACCEPTED:
            self.env.log("mip_registration_denied", f"code {msg.code}")
            if resync:
                # The home agent holds another identification (forged, or ours before a
                # restart) and says which: move past it and register again.
                self._resyncs += 1
                self.ident = msg.ident
                self._register(0)
            return
        self._resyncs = 0
        self.registered = (self.coa, msg.ident)
        self.env.log("mip_registered", f"{ip_str(self.coa)} for {msg.lifetime_s}s")
        if msg.lifetime_s:
            self._refresh = self.env.call_later(msg.lifetime_s * 0.8, self._register, 0)
