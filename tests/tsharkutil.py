"""tshark with the package's dissector (imm_ns3/imm.lua), for the dissector tests
(tests/package/test_dissector.py and tests/sim/test_dissector_tshark.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from imm_ns3.cli.dissector import packaged_path

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None,
                                  reason="tshark is installed by .ci/run")

MALFORMED = "imm.bad_length || imm.unknown_type || imm.bad_version || (imm && _ws.malformed)"


def tshark(pcap, *args):
    out = subprocess.run(["tshark", "-X", f"lua_script:{packaged_path()}", "-r", str(pcap), *args],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


FLAGS = ("imm.bad_length", "imm.unknown_type", "imm.bad_version", "_ws.malformed")


def types_and_faults(pcap_dir):
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
