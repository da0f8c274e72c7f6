"""The binary message codec shared by every protocol family (MMP, DRCP, MIP-LR).

A message is a frozen dataclass listing its body in ``_FIELDS`` as (name, struct code: an
unsigned integer "B", "H", "I", "Q" or a fixed-length byte string such as "16s"); it
starts with a two-byte header (version 1, type). Types are unique across families (MMP 1-15,
DRCP 16-31, MIP-LR 32-47). :func:`decode` raises only :class:`MessageError`, whose ``fault``
names the damage ("truncated", "bad_version", "unknown_type", "bad_length", "bad_value",
"bad_type" for something that is not bytes).
"""

from __future__ import annotations

import ipaddress
import re
import struct
from dataclasses import dataclass
from typing import ClassVar

VERSION = 1

_HEADER = struct.Struct("!BB")


class MessageError(ValueError):
    """A datagram that is not a valid message; ``fault`` says why, for fault counters."""

    def __init__(self, fault: str, detail: str):
        self.fault = fault
        super().__init__(f"{fault}: {detail}")


_REGISTRY: dict[int, type["Message"]] = {}

_RANGES = {"B": 0xFF, "H": 0xFFFF, "I": 0xFFFFFFFF, "Q": 0xFFFFFFFFFFFFFFFF}
# Fixed-length byte strings (authenticators, wrapped keys): struct code "<n>s".
_BYTES = re.compile(r"^([1-9][0-9]*)s$")


@dataclass(frozen=True)
class Message:
    TYPE: ClassVar[int] = 0
    _FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    _STRUCT: ClassVar[struct.Struct]
    _CHECKS: ClassVar[tuple[tuple[str, int, int], ...]] = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.TYPE:
            if cls.TYPE in _REGISTRY:
                raise TypeError(f"message type {cls.TYPE} used twice")
            _REGISTRY[cls.TYPE] = cls
            cls._STRUCT = struct.Struct("!" + "".join(code for _, code in cls._FIELDS))
        # Each field's check, worked out once per class: (name, byte length, 0) for "<n>s",
        # (name, 0, largest value) for an integer code.
        checks = []
        for name, code in cls._FIELDS:
            m = _BYTES.match(code)
            checks.append((name, int(m.group(1)), 0) if m else (name, 0, _RANGES[code]))
        cls._CHECKS = tuple(checks)

    def __post_init__(self) -> None:
        for name, nbytes, top in self._CHECKS:
            v = getattr(self, name)
            if nbytes:
                if not isinstance(v, bytes) or len(v) != nbytes:
                    raise ValueError(f"{type(self).__name__}.{name}: must be {nbytes} bytes,"
                                     f" got {v!r}")
            elif not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= top:
                raise ValueError(f"{type(self).__name__}.{name}: must be an integer in"
                                 f" 0..{top}, got {v!r}")

    def encode(self) -> bytes:
        return _HEADER.pack(VERSION, self.TYPE) + self._STRUCT.pack(
            *(getattr(self, name) for name, _ in self._FIELDS))

    @property
    def name(self) -> str:
        return type(self).__name__

    def __len__(self) -> int:
        return _HEADER.size + self._STRUCT.size


def decode(data: bytes) -> Message:
    """Parse one datagram; raises MessageError (only) if it is not a valid message."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MessageError("bad_type", f"a datagram is bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < _HEADER.size:
        raise MessageError("truncated", f"{len(data)} bytes, header needs {_HEADER.size}")
    version, mtype = _HEADER.unpack_from(data)
    if version != VERSION:
        raise MessageError("bad_version", f"version {version}, expected {VERSION}")
    cls = _REGISTRY.get(mtype)
    if cls is None:
        raise MessageError("unknown_type", f"type {mtype}")
    body = len(data) - _HEADER.size
    if body < cls._STRUCT.size:
        raise MessageError("truncated", f"{cls.__name__} body {body} bytes, needs {cls._STRUCT.size}")
    if body > cls._STRUCT.size:
        raise MessageError("bad_length", f"{cls.__name__} body {body} bytes, expected {cls._STRUCT.size}")
    values = cls._STRUCT.unpack_from(data, _HEADER.size)
    try:
        return cls(**{name: v for (name, _), v in zip(cls._FIELDS, values)})
    except ValueError as e:  # a field the class's own checks reject
        raise MessageError("bad_value", str(e)) from None


def ip_str(addr: int) -> str:
    return str(ipaddress.IPv4Address(addr))


def ip_int(addr: str) -> int:
    return int(ipaddress.IPv4Address(addr))
