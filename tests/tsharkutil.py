"""tshark with the package's dissector (imm_ns3/imm.lua), for the dissector tests
(tests/package/test_dissector.py and tests/sim/test_dissector_tshark.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from imm_ns3.cli.dissector import packaged_path

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None or shutil.which("mergecap") is None,
                                  reason="tshark (and its mergecap) is installed by .ci/run")

MALFORMED = "imm.bad_length || imm.unknown_type || imm.bad_version || (imm && _ws.malformed)"


def tshark(pcap, *args):
    out = subprocess.run(["tshark", "-X", f"lua_script:{packaged_path()}", "-r", str(pcap), *args],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


FLAGS = ("imm.bad_length", "imm.unknown_type", "imm.bad_version", "_ws.malformed")


def types_and_faults(pcap_dir):
    """Every message type tshark finds in the run's pcaps, and the frames it flags (MALFORMED),
    as "file.pcap:frame" with the frame's number in the merged capture. The pcaps are merged
    into one capture first (one interface per file) and read in one pass with TCP left
    undissected: a tshark start costs about 0.5 s (a run has forty pcaps), and TCP's stream
    analysis most of the rest, while every imm message is UDP (imm.lua registers on UDP ports
    only)."""
    import tempfile

    pcaps = sorted(pcap_dir.glob("*.pcap"))
    seen, bad = set(), []
    if not pcaps:
        return seen, bad
    with tempfile.TemporaryDirectory() as tmp:
        merged = f"{tmp}/all.pcapng"
        # -I none: every file keeps its own interface, numbered in the order given
        subprocess.run(["mergecap", "-I", "none", "-w", merged, *map(str, pcaps)],
                       capture_output=True, text=True, check=True)
        rows = subprocess.run(
            ["tshark", "-X", f"lua_script:{packaged_path()}", "--disable-protocol", "tcp",
             "-r", merged, "-Y", "imm", "-T", "fields", "-E", "separator=|",
             "-e", "frame.interface_id", "-e", "frame.number", "-e", "imm.type",
             *[a for f in FLAGS for a in ("-e", f)]],
            capture_output=True, text=True, check=True).stdout.splitlines()
    for row in rows:
        iface, frame, types, *flags = row.split("|")
        seen |= {int(t) for t in types.split(",") if t}
        if any(flags):
            bad.append(f"{pcaps[int(iface)].name}:{frame}")
    return seen, bad
