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

from .messages import (
    UPDATE_OK,
    UPDATE_STALE,
    UPDATE_UNKNOWN_HOST,
    MipQuery,
    MipQueryReply,
    MipUpdate,
    MipUpdateAck,
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
    mappings: dict[int, _Mapping] = field(default_factory=dict)
    last_seq: dict[int, int] = field(default_factory=dict)
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

    def receive(self, msg: Any, now: float) -> Any | None:
        """The answer to an update or query (None for anything else)."""
        if isinstance(msg, MipUpdate):
            return self._update(msg, now)
        if isinstance(msg, MipQuery):
            found = self.lookup(msg.permanent, now)
            if found is None:
                return MipQueryReply(msg.permanent, msg.query_id, 0, self.null_lifetime_s)
            coa, remaining = found
            return MipQueryReply(msg.permanent, msg.query_id, coa, int(remaining))
        return None

    def _update(self, msg: MipUpdate, now: float) -> MipUpdateAck:
        if not self.serves(msg.permanent):
            self._reject("unknown_host")
            return MipUpdateAck(msg.permanent, msg.seq, UPDATE_UNKNOWN_HOST, 0)
        if msg.seq <= self.last_seq.get(msg.permanent, -1):
            self._reject("stale_seq")
            return MipUpdateAck(msg.permanent, msg.seq, UPDATE_STALE, 0)
        self.last_seq[msg.permanent] = msg.seq
        lifetime = min(msg.lifetime_s, self.max_lifetime_s)
        if lifetime == 0 or msg.coa == 0:
            self.mappings.pop(msg.permanent, None)  # deregistration
        else:
            self.mappings[msg.permanent] = _Mapping(msg.coa, now + lifetime, msg.seq)
        return MipUpdateAck(msg.permanent, msg.seq, UPDATE_OK, lifetime)

    def _reject(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1
