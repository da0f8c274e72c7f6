"""MIP-LR messages ([0056]-[0061], [0068]): binary, with the codec of :mod:`imm_ns3.wire`.

Types 32-47. Addresses are IPv4 addresses as unsigned 32-bit integers; lifetimes in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..wire import Message

MIPLR_PORT = 4350

UPDATE_OK = 0
UPDATE_STALE = 1  # sequence number not newer than the last one applied, or too far ahead of it;
# a register's STALE acknowledgement carries that last number in lifetime_s
UPDATE_UNKNOWN_HOST = 2  # this register does not serve that permanent address


@dataclass(frozen=True)
class MipUpdate(Message):
    """Mobile host -> home location register, and -> correspondent hosts: the care-of address
    of a permanent address, with the lifetime asked for ([0056], [0068])."""

    TYPE: ClassVar[int] = 32
    _FIELDS: ClassVar = (("permanent", "I"), ("coa", "I"), ("seq", "I"), ("lifetime_s", "I"))
    permanent: int
    coa: int
    seq: int
    lifetime_s: int


@dataclass(frozen=True)
class MipUpdateAck(Message):
    """The answer to an update: status and the registration lifetime granted ([0056])."""

    TYPE: ClassVar[int] = 33
    _FIELDS: ClassVar = (("permanent", "I"), ("seq", "I"), ("status", "B"), ("lifetime_s", "I"))
    permanent: int
    seq: int
    status: int
    lifetime_s: int


@dataclass(frozen=True)
class MipQuery(Message):
    """Correspondent host -> home location register: where is this permanent address? ([0061])"""

    TYPE: ClassVar[int] = 34
    _FIELDS: ClassVar = (("permanent", "I"), ("query_id", "I"))
    permanent: int
    query_id: int


@dataclass(frozen=True)
class MipQueryReply(Message):
    """The care-of address and remaining lifetime, or coa 0: a null mapping for an address that
    is not a registered mobile host ([0061]-[0062])."""

    TYPE: ClassVar[int] = 35
    _FIELDS: ClassVar = (("permanent", "I"), ("query_id", "I"), ("coa", "I"), ("lifetime_s", "I"))
    permanent: int
    query_id: int
    coa: int
    lifetime_s: int



# ---- authenticated variants (security.auth = true; docs/security.md) ---------------------------
# Each carries an HMAC-SHA-256-128 authenticator (imm_ns3.security) over its other fields, keyed
# with the host's key (host <-> register) or the binding key (host <-> correspondent).


@dataclass(frozen=True)
class MipUpdateAuth(Message):
    """:class:`MipUpdate` with an authenticator."""

    TYPE: ClassVar[int] = 36
    _FIELDS: ClassVar = (("permanent", "I"), ("coa", "I"), ("seq", "I"), ("lifetime_s", "I"),
                         ("auth", "16s"))
    permanent: int
    coa: int
    seq: int
    lifetime_s: int
    auth: bytes


@dataclass(frozen=True)
class MipUpdateAckAuth(Message):
    """:class:`MipUpdateAck` with an authenticator (so a forged ack cannot stop the retries)."""

    TYPE: ClassVar[int] = 37
    _FIELDS: ClassVar = (("permanent", "I"), ("seq", "I"), ("status", "B"), ("lifetime_s", "I"),
                         ("auth", "16s"))
    permanent: int
    seq: int
    status: int
    lifetime_s: int
    auth: bytes


@dataclass(frozen=True)
class MipQueryReplyAuth(Message):
    """:class:`MipQueryReply` authenticated with the correspondent's key, carrying the binding
    key of (mobile host, this correspondent) wrapped with that key and the query id."""

    TYPE: ClassVar[int] = 38
    _FIELDS: ClassVar = (("permanent", "I"), ("query_id", "I"), ("coa", "I"), ("lifetime_s", "I"),
                         ("binding_key", "16s"), ("auth", "16s"))
    permanent: int
    query_id: int
    coa: int
    lifetime_s: int
    binding_key: bytes
    auth: bytes


MIPLR_MESSAGES = (MipUpdate, MipUpdateAck, MipQuery, MipQueryReply, MipUpdateAuth, MipUpdateAckAuth,
                  MipQueryReplyAuth)
