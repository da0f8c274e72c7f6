"""A minimal pcap reader for tests: enough to count frames and classify 802.11 ones."""

from __future__ import annotations

import struct
from pathlib import Path

LINKTYPE_IEEE802_11_RADIOTAP = 127
LINKTYPE_PPP = 9
LINKTYPE_ETHERNET = 1


def read_pcap(path: Path) -> tuple[int, list[bytes]]:
    data = Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        endian = "<"
    elif magic == 0xD4C3B2A1:
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file (magic {magic:#x})")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append(data[off + 16: off + 16 + incl])
        off += 16 + incl
    return linktype, frames


def wifi_frame_types(frames: list[bytes]) -> dict[str, int]:
    """Count 802.11 management frames by subtype name (radiotap-encapsulated)."""
    names = {0x00: "assoc_request", 0x10: "assoc_response", 0x40: "probe_request",
             0x50: "probe_response", 0x80: "beacon", 0xB0: "authentication"}
    out: dict[str, int] = {}
    for f in frames:
        rt_len = struct.unpack("<H", f[2:4])[0]
        fc = f[rt_len]
        name = names.get(fc & 0xFC, "other")
        out[name] = out.get(name, 0) + 1
    return out


def wifi_udp_payloads(frames: list[bytes]) -> list[tuple[int, int, int, int, bytes]]:
    """(src_ip, dst_ip, src_port, dst_port, payload) of every UDP-in-IPv4 802.11 data frame."""
    out = []
    for f in frames:
        rt_len = struct.unpack("<H", f[2:4])[0]
        mac = f[rt_len:]
        fc = mac[0]
        if (fc & 0x0C) != 0x08:  # not a data frame
            continue
        hdr = 24 + (2 if fc & 0x80 else 0)  # QoS data carries a QoS control field
        llc = mac[hdr:hdr + 8]
        if len(llc) < 8 or llc[6:8] != b"\x08\x00":
            continue
        ip = mac[hdr + 8:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            continue
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst = struct.unpack("!II", ip[12:20])
        udp = ip[ihl:total]
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        out.append((src, dst, sport, dport, bytes(udp[8:ulen])))
    return out


def ppp_ipv4(frames: list[bytes]) -> list[tuple[int, int, int, int, int, bytes]]:
    """(protocol, src_ip, dst_ip, src_port, dst_port, l4 payload) of every IPv4 packet in a
    point-to-point (PPP) capture; ports are 0 for protocols without them."""
    out = []
    for f in frames:
        if f[:2] != b"\x00\x21":  # PPP protocol: IPv4
            continue
        ip = f[2:]
        ihl = (ip[0] & 0x0F) * 4
        proto = ip[9]
        src, dst = struct.unpack("!II", ip[12:20])
        l4 = ip[ihl:]
        sport = dport = 0
        if proto in (6, 17) and len(l4) >= 4:
            sport, dport = struct.unpack("!HH", l4[:4])
        out.append((proto, src, dst, sport, dport, bytes(l4)))
    return out
