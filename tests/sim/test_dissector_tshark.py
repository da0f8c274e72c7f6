"""The Wireshark dissector on a run's pcaps: tshark decodes every message type of a run with it,
0 malformed."""

from __future__ import annotations

from tsharkutil import needs_tshark, types_and_faults


@needs_tshark
def test_tshark_decodes_every_mmp_drcp_and_miplr_message_of_a_run(walk_run):
    seen, bad = types_and_faults(walk_run.out_dir / "pcap")
    assert bad == []
    assert seen == {1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 32, 33, 34, 35}


@needs_tshark
def test_tshark_decodes_mobile_ip_messages(ns3_ready, tmp_path):
    from imm_ns3.adapter import run_scenario
    from imm_ns3.scenario import load_scenario

    s = load_scenario("patent-walk", ["simulation.duration_s=6", "macro_mobility.tcp=mip",
                                      "macro_mobility.realtime=mip", "tcp.start_s=3"])
    r = run_scenario(s, out_dir=tmp_path / "run", pcap=True)
    seen, bad = types_and_faults(r.out_dir / "pcap")
    assert bad == [] and {40, 41} <= seen
