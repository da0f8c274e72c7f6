"""Keys, authenticators and replay windows for authenticated location management (pure).

The specification authenticates nothing: any sender may update a home location register, a
correspondent's routing cache or a home agent. With ``security.auth = true`` a scenario turns on
the mechanisms of ``docs/security.md``; this module holds what they share:

- :class:`Keyring`: every long-term key of a run derived from one master secret, so each pair
  of parties that must share a key does, and nobody else (an attacker node is never given one).
  ``host_key(permanent)`` is the mobile host's key with its home location registers and home
  agent (RFC 5944's mobile-home security association); ``correspondent_key(ip)`` a
  correspondent's key with the registers; ``binding_key(host_key, correspondent)`` the key of
  one mobile host with one correspondent, which the host computes itself and the register
  hands to that correspondent (wrapped) in its query reply.
- :func:`seal`: a message's ``auth`` field set to HMAC-SHA-256 truncated to 128 bits (RFC
  4868's HMAC-SHA-256-128) over its whole encoding (type included) with ``auth`` zero;
  :func:`verify` checks it in constant time.
- :func:`wrap`: a 16-byte key XORed with a keystream derived from a key and a nonce (the
  query id), so only the correspondent that asked can read its binding key.
- :class:`SeqWindow`: per sender, the last sequence number applied; a new one must be newer
  and at most ``window`` ahead, so a single message (forged with the largest value, or simply
  a wrong one) can never put the owner's numbers in the past for ever.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field, replace
from typing import Any

MAC_BYTES = 16  # HMAC-SHA-256-128 (RFC 4868)
KEY_BYTES = 16
SEQ_WINDOW = 1024  # how far ahead of the last applied number a new one may be


def _hmac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"\x00".join(parts), hashlib.sha256).digest()


def authenticator(key: bytes, data: bytes) -> bytes:
    """The 16-byte authenticator of ``data``."""
    return _hmac(key, data)[:MAC_BYTES]


NO_AUTH = bytes(MAC_BYTES)  # the auth field of a message before seal()


def seal(key: bytes, msg: Any) -> Any:
    """``msg`` (a codec message with an ``auth`` field) with its authenticator: over the whole
    encoding, header included, with ``auth`` zero."""
    return replace(msg, auth=authenticator(key, replace(msg, auth=NO_AUTH).encode()))


def verify(key: bytes | None, msg: Any) -> bool:
    """True if ``msg.auth`` is the authenticator of ``msg`` under ``key`` (constant time)."""
    if key is None:
        return False
    expected = authenticator(key, replace(msg, auth=NO_AUTH).encode())
    return hmac.compare_digest(expected, msg.auth)


def wrap(key: bytes, nonce: int, secret: bytes) -> bytes:
    """``secret`` (16 bytes) XOR a keystream of (key, nonce); its own inverse."""
    stream = _hmac(key, b"wrap", struct.pack("!Q", nonce))[:len(secret)]
    return bytes(a ^ b for a, b in zip(secret, stream))


unwrap = wrap


@dataclass(frozen=True)
class Keyring:
    """Every key of one run, derived from ``master`` (bytes)."""

    master: bytes

    @classmethod
    def for_run(cls, secret: str, seed: int) -> "Keyring":
        return cls(hashlib.sha256(f"imm-ns3 keyring|{secret}|{seed}".encode()).digest())

    def _key(self, label: str) -> bytes:
        return _hmac(self.master, label.encode())[:KEY_BYTES]

    def host_key(self, permanent: int) -> bytes:
        """Mobile host <-> its home location registers and home agent."""
        return self._key(f"host|{permanent}")

    def correspondent_key(self, address: int) -> bytes:
        """Correspondent host <-> the home location registers it queries."""
        return self._key(f"correspondent|{address}")

    def sip_password(self, address_of_record: str) -> str:
        """A SIP user's digest password, shared with the SIP servers."""
        return self._key(f"sip|{address_of_record}").hex()

    def sip_nonce_secret(self, server: str) -> bytes:
        return self._key(f"sip-nonce|{server}")

    @staticmethod
    def binding_key(host_key: bytes, correspondent: int) -> bytes:
        """Mobile host <-> one correspondent: derivable by the host and by its register only."""
        return _hmac(host_key, b"binding", struct.pack("!I", correspondent))[:KEY_BYTES]


@dataclass
class SeqWindow:
    """Last sequence number applied per key (a permanent address); see the module doc."""

    window: int = SEQ_WINDOW
    last: dict[int, int] = field(default_factory=dict)

    def check(self, key: int, seq: int) -> str | None:
        """None if ``seq`` may be applied, else why not ('stale_seq', 'seq_out_of_window').
        A sender never heard of starts from 0 (its first number is 1)."""
        last = self.last.get(key, 0)
        if seq <= last:
            return "stale_seq"
        if seq > last + self.window:
            return "seq_out_of_window"
        return None

    def apply(self, key: int, seq: int) -> None:
        self.last[key] = seq

    def get(self, key: int, default: int = 0) -> int:
        return self.last.get(key, default)
