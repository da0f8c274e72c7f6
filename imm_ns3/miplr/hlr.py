"""The home location register ([0056]-[0057], [0061]-[0062]).

A mapping cache permanent address -> care-of address with a registration lifetime. ``update``
is answered with the lifetime granted; ``query`` with the care-of address and the remaining
lifetime, or a null mapping (care-of address 0, lifetime ``null_lifetime_s``) for an address
that is not a registered mobile host. Entries vanish when their lifetime runs out. Updates for
addresses outside the register's prefixes, or with a sequence number not newer than the last
applied, are rejected and counted, never applied.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..security import NO_AUTH, Keyring, SeqWindow, seal, verify, wrap
from .messages import (
    UPDATE_OK,
    UPDATE_STALE,
    UPDATE_UNKNOWN_HOST,
    MipQuery,
    MipQueryReply,
    MipUpdate,
    MipUpdateAck,
    MipUpdateAckAuth,
    MipUpdateAuth,
    MipQueryReplyAuth,
)



@dataclass
class _Mapping:
    coa: int
    expires: float
    seq: int


@dataclass
class HomeLocationRegister:
    prefixes: list[ipaddress.IPv4Network]
    max_lifetime_s: int = 300
    null_lifetime_s: int = 60
    keyring: Keyring | None = None  # set: authenticated location management
    mappings: dict[int, _Mapping] = field(default_factory=dict)
    seqs: SeqWindow = field(default_factory=SeqWindow)
    rejected: dict[str, int] = field(default_factory=dict)

    def serves(self, permanent: int) -> bool:
        a = ipaddress.IPv4Address(permanent)
        return any(a in p for p in self.prefixes)

    def lookup(self, permanent: int, now: float) -> tuple[int, float] | None:
        m = self.mappings.get(permanent)
        if m is None or m.expires <= now:
            self.mappings.pop(permanent, None)
            return None
        return m.coa, m.expires - now

    @property
    def last_seq(self) -> dict[int, int]:
        return self.seqs.last

    def receive(self, msg: Any, now: float, src: int = 0) -> Any | None:
        """The answer to an update or query from ``src`` (None for anything else, and for an
        update that fails authentication: an attacker learns nothing from silence)."""
        if isinstance(msg, (MipUpdate, MipUpdateAuth)):
            return self._update(msg, now)
        if isinstance(msg, MipQuery):
            found = self.lookup(msg.permanent, now)
            coa, remaining = (0, self.null_lifetime_s) if found is None else (found[0], int(found[1]))
            if self.keyring is None:
                return MipQueryReply(msg.permanent, msg.query_id, coa, remaining)
            ch_key = self.keyring.correspondent_key(src)
            binding = Keyring.binding_key(self.keyring.host_key(msg.permanent), src)
            return seal(ch_key, MipQueryReplyAuth(msg.permanent, msg.query_id, coa, remaining,
                                                  wrap(ch_key, msg.query_id, binding), NO_AUTH))
        return None

    def _ack(self, msg: Any, status: int, lifetime: int) -> Any:
        if self.keyring is None:
            return MipUpdateAck(msg.permanent, msg.seq, status, lifetime)
        return seal(self.keyring.host_key(msg.permanent),
                    MipUpdateAckAuth(msg.permanent, msg.seq, status, lifetime, NO_AUTH))

    def _update(self, msg: Any, now: float) -> Any:
        if not self.serves(msg.permanent):
            self._reject("unknown_host")
            return MipUpdateAck(msg.permanent, msg.seq, UPDATE_UNKNOWN_HOST, 0)
        if self.keyring is not None:
            if not isinstance(msg, MipUpdateAuth):
                self._reject("unauthenticated")
                return None
            if not verify(self.keyring.host_key(msg.permanent), msg):
                self._reject("bad_authenticator")
                return None
        why = self.seqs.check(msg.permanent, msg.seq)
        if why is not None:
            self._reject(why)
            # The number in force, so the host can move past it (RFC 5944 3.8.3 resynchronises
            # its Identification the same way).
            return self._ack(msg, UPDATE_STALE, self.seqs.get(msg.permanent))
        self.seqs.apply(msg.permanent, msg.seq)
        lifetime = min(msg.lifetime_s, self.max_lifetime_s)
        if lifetime == 0 or msg.coa == 0:
            self.mappings.pop(msg.permanent, None)  # deregistration
        else:
            self.mappings[msg.permanent] = _Mapping(msg.coa, now + lifetime, msg.seq)
        return self._ack(msg, UPDATE_OK, lifetime)

    def _reject(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1
