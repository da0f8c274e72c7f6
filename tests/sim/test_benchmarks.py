"""The benchmark's C++ baseline (benchmarks/baseline_wifi.cc) builds against the package's headers
and carries traffic: it includes adapter/cpp/*.h, so a header change can break it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


def test_baseline_builds_and_carries_the_flows(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_run
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    exe = bench_run.build_baseline(Path(tmp_path))
    out = bench_run.run_baseline(exe, [
        "--duration=4", "--aps=0,0;130,0", "--stations=2", "--mobility=walk", "--x0=0", "--x1=130",
        "--speed=40", "--start=0.5", "--frames=1", "--traffic=1", "--calls=0.5:3.5,-",
        "--tcpStarts=-,0.5", "--tcpBytes=20000", "--tcpRateBps=256000"])
    assert len(out) == 14
    wall, assoc, frames, probe, rtp_down, rtp_up, tcp_acked = out[:7]
    assert assoc >= 3  # both stations, and the walker again in the second cell
    assert frames > 0 and probe == 0
    assert rtp_down > 100 and rtp_up > 100  # 150 a way in 3 s
    assert tcp_acked == 20000
    assert out[12] >= 3  # a roaming update after each association
    # The periodic frames are IPv4/UDP datagrams the stations' sockets read: a station's MAC
    # passes on those of its own access point, 10 beacons and 2 advertisements a second (about
    # 3.5 s associated of the 4 s: 84 for the two, less what a handoff or a collision loses).
    assert 2 * 2 * 12 < out[13] <= 2 * 4 * 12
