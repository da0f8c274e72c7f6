"""The Wireshark dissector: generated from the codec's tables (never stale), and damaged messages
are flagged while a good one is not (every message type of a run: tests/sim/test_dissector_tshark.py)."""

from __future__ import annotations

import struct

from imm_ns3.cli.dissector import PORTS, lua_source, packaged_path
from imm_ns3.mmp.messages import BaseStationBeacon, ip_int
from imm_ns3.wire import _REGISTRY

from tsharkutil import MALFORMED, needs_tshark, tshark, types_and_faults


def test_the_packaged_dissector_is_the_generator_s_output():
    assert packaged_path().read_text() == lua_source(), \
        "imm_ns3/imm.lua is stale: run python -m imm_ns3.cli.dissector"


def test_every_message_type_of_the_codec_is_in_the_dissector():
    src = lua_source()
    import imm_ns3.miplr.mip  # noqa: F401 - registers the Mobile IP messages

    for t, cls in _REGISTRY.items():
        assert f'[{t}] = "{cls.__name__}"' in src
        for name, _ in cls._FIELDS:
            assert f'"imm.{cls.__name__.lower()}.{name}"' in src
    for port in PORTS:
        assert f"udp:add({port}, imm)" in src


def _udp_ipv4(payload: bytes, sport: int, dport: int) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 1, 0, 1]), bytes([255, 255, 255, 255]))
    return ip + udp


@needs_tshark
def test_damaged_messages_are_flagged_and_a_good_one_is_not(tmp_path):
    good = BaseStationBeacon(7, ip_int("10.1.0.1"), ip_int("172.16.0.14"), 502).encode()
    packets = [good, good[:-3], b"\x01\x63" + good[2:], b"\x02" + good[1:]]

    def write(pcap, packets):
        with open(pcap, "wb") as f:  # LINKTYPE_RAW: bare IPv4
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
            for i, p in enumerate(packets):
                frame = _udp_ipv4(p, 4343, 4343)
                f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)

    pcap = tmp_path / "t.pcap"
    write(pcap, packets)
    assert tshark(pcap, "-Y", "imm.basestationbeacon.bs_ip == 10.1.0.1", "-T", "fields",
                   "-e", "frame.number") == ["1"]
    assert tshark(pcap, "-Y", MALFORMED, "-T", "fields", "-e", "frame.number") == ["2", "3", "4"]
    # The one-pass reading the run tests use flags the same frames.
    seen, bad = types_and_faults(tmp_path)
    assert bad == ["t.pcap:2", "t.pcap:3", "t.pcap:4"] and seen == {2, 99}
    # It merges a run's pcaps into one capture: a flagged frame is still named by its file.
    write(tmp_path / "a.pcap", [good, good])
    write(tmp_path / "z.pcap", [good, good[:-3]])
    seen, bad = types_and_faults(tmp_path)
    assert sorted(b.split(":")[0] for b in bad) == ["t.pcap"] * 3 + ["z.pcap"], bad


