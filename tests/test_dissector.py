"""The Wireshark dissector: generated from the codec's tables (never stale), and tshark decodes
every message type of a run with it, 0 malformed, while damaged messages are flagged."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from imm_ns3.cli.dissector import PORTS, lua_source, packaged_path
from imm_ns3.mmp.messages import BaseStationBeacon, ip_int
from imm_ns3.wire import _REGISTRY

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None,
                                  reason="tshark is installed by .ci/run")
MALFORMED = "imm.bad_length || imm.unknown_type || imm.bad_version || (imm && _ws.malformed)"


def _tshark(pcap, *args):
    out = subprocess.run(["tshark", "-X", f"lua_script:{packaged_path()}", "-r", str(pcap), *args],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


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
    pcap = tmp_path / "t.pcap"
    with open(pcap, "wb") as f:  # LINKTYPE_RAW: bare IPv4
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, p in enumerate(packets):
            frame = _udp_ipv4(p, 4343, 4343)
            f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)
    assert _tshark(pcap, "-Y", "imm.basestationbeacon.bs_ip == 10.1.0.1", "-T", "fields",
                   "-e", "frame.number") == ["1"]
    assert _tshark(pcap, "-Y", MALFORMED, "-T", "fields", "-e", "frame.number") == ["2", "3", "4"]
    # The one-pass reading the run tests use flags the same frames.
    seen, bad = _types_and_faults(tmp_path)
    assert bad == ["t.pcap:2", "t.pcap:3", "t.pcap:4"] and seen == {2, 99}


FLAGS = ("imm.bad_length", "imm.unknown_type", "imm.bad_version", "_ws.malformed")


def _types_and_faults(pcap_dir):
    """Every message type tshark finds in the run's pcaps, and the frames it flags (MALFORMED):
    one pass over each file, the flags printed beside the type (the pcaps are tens of MB)."""
    seen, bad = set(), []
    for pcap in sorted(pcap_dir.glob("*.pcap")):
        rows = subprocess.run(
            ["tshark", "-X", f"lua_script:{packaged_path()}", "-r", str(pcap), "-Y", "imm",
             "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "imm.type",
             *[a for f in FLAGS for a in ("-e", f)]],
            capture_output=True, text=True, check=True).stdout.splitlines()
        for row in rows:
            frame, types, *flags = row.split("|")
            seen |= {int(t) for t in types.split(",") if t}
            if any(flags):
                bad.append(f"{pcap.name}:{frame}")
    return seen, bad


@needs_tshark
@pytest.mark.ns3
def test_tshark_decodes_every_mmp_drcp_and_miplr_message_of_a_run(walk_run):
    seen, bad = _types_and_faults(walk_run.out_dir / "pcap")
    assert bad == []
    assert seen == {1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 32, 33, 34, 35}


@needs_tshark
@pytest.mark.ns3
def test_tshark_decodes_mobile_ip_messages(ns3_ready, tmp_path):
    from imm_ns3.adapter import run_scenario
    from imm_ns3.scenario import load_scenario

    s = load_scenario("patent-walk", ["simulation.duration_s=6", "macro_mobility.tcp=mip",
                                      "macro_mobility.realtime=mip", "tcp.start_s=3"])
    r = run_scenario(s, out_dir=tmp_path / "run", pcap=True)
    seen, bad = _types_and_faults(r.out_dir / "pcap")
    assert bad == [] and {40, 41} <= seen
