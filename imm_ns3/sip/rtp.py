"""RTP (RFC 3550): the fixed header, and the receiver statistics a voice flow reports.

:class:`RtpReceiver` follows RFC 3550 appendix A: extended highest sequence number with wrap
counting (A.1), packets expected and lost (A.3), and the interarrival jitter estimate
J += (|D| - J) / 16 in timestamp units (A.8), reported in seconds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

_HDR = struct.Struct("!BBHII")


class RtpError(ValueError):
    pass


@dataclass(frozen=True)
class RtpPacket:
    seq: int
    timestamp: int
    ssrc: int
    payload_type: int = 0  # PCMU
    marker: int = 0
    payload: bytes = b""

    def __post_init__(self) -> None:
        if not (0 <= self.seq < 2**16 and 0 <= self.timestamp < 2**32 and 0 <= self.ssrc < 2**32
                and 0 <= self.payload_type < 128 and self.marker in (0, 1)):
            raise RtpError(f"RTP field out of range: {self}")

    def encode(self) -> bytes:
        return _HDR.pack(0x80, (self.marker << 7) | self.payload_type, self.seq, self.timestamp,
                         self.ssrc) + self.payload

    @classmethod
    def decode(cls, data: bytes) -> "RtpPacket":
        if len(data) < _HDR.size:
            raise RtpError(f"{len(data)} bytes: shorter than the RTP header")
        b0, b1, seq, ts, ssrc = _HDR.unpack_from(data)
        if b0 >> 6 != 2:
            raise RtpError(f"RTP version {b0 >> 6}, expected 2")
        cc = b0 & 0x0F
        off = _HDR.size + 4 * cc
        if b0 & 0x10:  # header extension
            if len(data) < off + 4:
                raise RtpError("truncated header extension")
            off += 4 + 4 * struct.unpack_from("!H", data, off + 2)[0]
        payload = data[off:]
        if b0 & 0x20 and payload:  # padding: the last byte counts it
            payload = payload[:-payload[-1]] if payload[-1] <= len(payload) else b""
        if off > len(data):
            raise RtpError("truncated RTP header")
        return cls(seq, ts, ssrc, b1 & 0x7F, b1 >> 7, payload)


@dataclass
class RtpReceiver:
    clock_rate: int = 8000
    received: int = 0
    duplicates: int = 0
    base_seq: int | None = None
    max_seq: int = 0
    cycles: int = 0
    jitter_ts: float = 0.0  # in timestamp units
    _transit: float | None = None
    _seen: set = field(default_factory=set)
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (time, extended seq)

    def on_packet(self, pkt: RtpPacket, arrival_s: float) -> None:
        if self.base_seq is None:
            self.base_seq = self.max_seq = pkt.seq
        delta = (pkt.seq - self.max_seq) & 0xFFFF
        if 0 < delta < 0x8000:
            if pkt.seq < self.max_seq:
                self.cycles += 1 << 16  # wrapped
            self.max_seq = pkt.seq
        ext = self._extended(pkt.seq)
        if ext in self._seen:
            self.duplicates += 1
            return
        self._seen.add(ext)
        self.received += 1
        self.arrivals.append((arrival_s, ext))
        transit = arrival_s * self.clock_rate - pkt.timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            self.jitter_ts += (d - self.jitter_ts) / 16.0
        self._transit = transit

    def _extended(self, seq: int) -> int:
        ext = self.cycles + seq
        top = self.cycles + self.max_seq
        if ext > top + 0x8000:
            ext -= 1 << 16
        return ext

    @property
    def expected(self) -> int:
        return 0 if self.base_seq is None else self.cycles + self.max_seq - self.base_seq + 1

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.received)

    @property
    def jitter_s(self) -> float:
        return self.jitter_ts / self.clock_rate

    def longest_gap(self, start: float, end: float) -> float | None:
        """The longest interval without packets between ``start`` and ``end`` (seconds)."""
        ts = sorted(t for t, _ in self.arrivals if start <= t <= end)
        if len(ts) < 2:
            return None
        return max(b - a for a, b in zip(ts, ts[1:]))
