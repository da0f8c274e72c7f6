"""Session descriptions (RFC 4566), as much as a voice session needs: the connection address
(c=) and the audio port and payload types (m=audio)."""

from __future__ import annotations

from dataclasses import dataclass

from .message import SipParseError


@dataclass(frozen=True)
class AudioSession:
    address: str  # c=IN IP4 <address>
    port: int  # m=audio <port> RTP/AVP <payload types>
    payload_types: tuple[int, ...] = (0,)  # 0 = PCMU/8000
    session_id: int = 1
    version: int = 1
    username: str = "-"

    def encode(self) -> bytes:
        pts = " ".join(str(p) for p in self.payload_types)
        lines = [
            "v=0",
            f"o={self.username} {self.session_id} {self.version} IN IP4 {self.address}",
            "s=-",
            f"c=IN IP4 {self.address}",
            "t=0 0",
            f"m=audio {self.port} RTP/AVP {pts}",
        ]
        lines += [f"a=rtpmap:{p} {_RTPMAP[p]}" for p in self.payload_types if p in _RTPMAP]
        return ("\r\n".join(lines) + "\r\n").encode()


_RTPMAP = {0: "PCMU/8000", 8: "PCMA/8000", 18: "G729/8000"}


def parse_sdp(body: bytes) -> AudioSession:
    """Parse the parts of an SDP body that an audio session uses; SipParseError otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SipParseError("SDP body is not UTF-8") from None
    address = port = None
    pts: tuple[int, ...] = ()
    sid, ver, user = 1, 1, "-"
    for line in text.replace("\r\n", "\n").split("\n"):
        if len(line) < 2 or line[1] != "=":
            continue
        k, v = line[0], line[2:].strip()
        f = v.split()
        if k == "o" and len(f) >= 6 and f[1].isdigit() and f[2].isdigit():
            user, sid, ver = f[0], int(f[1]), int(f[2])
        elif k == "c" and len(f) == 3 and f[0] == "IN" and f[1] == "IP4" and address is None:
            address = f[2]
        elif k == "m" and len(f) >= 4 and f[0] == "audio" and port is None:
            if not f[1].isdigit() or int(f[1]) > 65535:
                raise SipParseError(f"bad SDP port {f[1]!r}")
            port = int(f[1])
            pts = tuple(int(p) for p in f[3:] if p.isdigit())
    if address is None or port is None:
        raise SipParseError("SDP without c=IN IP4 address or m=audio port")
    return AudioSession(address, port, pts or (0,), sid, ver, user)
