"""ns-3's own observers (adapter/observe.py): NetAnim's trace and FlowMonitor beside our tables.

One run for the module (patent-walk to 27 s, past the sub-network change at 24 s, with
realtime traffic on MIP-LR and a [[flows]] UDP stream), with both observers, and the same run
without them: the observers change nothing, the NetAnim XML names and places every node, and
FlowMonitor's counts agree with flows.parquet once its flows are summed by destination port
(docs/pictures.md: FlowMonitor classifies by 5-tuple, and MIP-LR rewrites the permanent
address to the care-of address at the correspondent, so one of our flows is one FlowMonitor
flow per care-of address)."""

from __future__ import annotations

import collections
import xml.etree.ElementTree as ET

import pytest

from imm_ns3.scenario import validate_dict

from scenario_dicts import with_flows

VIDEO = {"name": "video", "kind": "udp_cbr", "src": "ch", "dst": "mh1", "start_s": 2.0,
         "rate_kbps": 200.0, "packet_bytes": 500}


@pytest.fixture(scope="module")
def observed(ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario
    from imm_ns3.adapter.observe import FlowMon, NetAnim

    d = with_flows([VIDEO], realtime="miplr")
    d["simulation"]["duration_s"] = 27.0
    s = validate_dict(d)
    tmp = tmp_path_factory.mktemp("observe")
    anim, fm = NetAnim(tmp / "anim.xml"), FlowMon()
    r = run_scenario(s, out_dir=tmp / "run", observers=(anim, fm))
    plain = run_scenario(s)
    return r, plain, anim, fm, tmp


def test_observers_change_nothing(observed):
    r, plain, *_ = observed
    assert r.summary["fingerprint"] == plain.summary["fingerprint"]
    for name in ("handoffs", "flows"):
        assert r.tables[name].equals(plain.tables[name]), name
    assert {h for h in r.tables["handoffs"].kind} == {"inter_domain", "inter_subnet"}


def test_netanim_xml_names_and_places_every_node(observed):
    r, _, anim, _, tmp = observed
    assert anim.written == tmp / "anim.xml" and not list(tmp.glob(".anim.xml*"))
    root = ET.parse(tmp / "anim.xml").getroot()
    assert root.tag == "anim"
    ids = {int(n.get("id")) for n in root.iter("node")}
    names = {int(u.get("id")): u.get("descr") for u in root.iter("nu") if u.get("p") == "d"}
    from imm_ns3.topology import build_topology

    topo = build_topology(validate_dict(with_flows([VIDEO], realtime="miplr")))
    assert set(names.values()) == set(topo.nodes) and set(names) == ids
    by_name = {v: k for k, v in names.items()}
    start = {int(n.get("id")): (float(n.get("locX")), float(n.get("locY"))) for n in root.iter("node")}
    assert start[by_name["bs503a"]] == (130.0, 0.0)
    # Wired nodes above the cells (NetAnim's y points down: negative y), each at its own place.
    wired = [start[by_name[n]] for n in topo.nodes if n not in topo.radios and n != "mh1"]
    assert all(y < 0 for _, y in wired) or all(y > 0 for _, y in wired)
    # The host walks east at 10 m/s from 2 s: its position updates say so.
    moves = [(float(u.get("t")), float(u.get("x"))) for u in root.iter("nu")
             if u.get("p") == "p" and int(u.get("id")) == by_name["mh1"]]
    assert len(moves) > 50 and all(x == pytest.approx(10 * (t - 2), abs=0.01) for t, x in moves if t >= 2)
    assert len(list(root.iter("link"))) == len(topo.links)
    assert not list(root.iter("p")) and not list(root.iter("wpr"))  # no packets unless asked
    colours = {int(u.get("id")): (u.get("r"), u.get("g"), u.get("b")) for u in root.iter("nu") if u.get("p") == "c"}
    assert colours[by_name["gw502"]] != colours[by_name["bs502a"]]


def _flowmon_by_port(xml_text):
    root = ET.fromstring(xml_text)
    stats = {f.get("flowId"): f for f in root.find("FlowStats")}
    out = collections.defaultdict(lambda: {"tx": 0, "rx": 0, "dst": set()})
    for c in root.find("Ipv4FlowClassifier").iter("Flow"):
        key = (int(c.get("protocol")), int(c.get("destinationPort")))
        f = stats[c.get("flowId")]
        out[key]["tx"] += int(f.get("txPackets"))
        out[key]["rx"] += int(f.get("rxPackets"))
        out[key]["dst"].add(c.get("destinationAddress"))
    return out


def test_flowmon_agrees_with_our_flows_summed_by_port(observed):
    r, _, _, fm, tmp = observed
    assert (tmp / "run" / "flowmon.xml").read_text() == fm.xml
    by_port = _flowmon_by_port(fm.xml)
    flows = r.tables["flows"].set_index(["name", "src", "dst"])
    coas = set(r.summary["care_of_addresses"]["mh1"]) - {"0.0.0.0"}
    udp = 17
    # (our flow, FlowMonitor's UDP destination port): the probe (traffic.PROBE_PORT), RTP both
    # ways (the host's and the correspondent's media ports), the [[flows]] stream (20000 + index).
    for key, port in ((("probe", "ch", "mh1"), 9), (("rtp", "ch", "mh1"), 40002),
                      (("rtp", "mh1", "ch"), 40000), (("video", "ch", "mh1"), 20000)):
        ours, theirs = flows.loc[key], by_port[(udp, port)]
        # What arrived: the same, packet for packet.
        assert theirs["rx"] == ours.received_packets, key
        # What was sent: FlowMonitor sees a packet when IP sends it. Ours counts too what a
        # sender had no address for (the host between two care-of addresses): sent and lost,
        # never handed to IP. So theirs <= ours, and the difference is among our losses.
        assert 0 <= ours.sent_packets - theirs["tx"] <= ours.lost_packets, key
        # Downlink flows to the host: one FlowMonitor flow per care-of address it was sent to.
        if key[2] == "mh1":
            assert theirs["dst"] == coas, key
    v = flows.loc[("video", "ch", "mh1")]
    assert v.sent_packets == by_port[(udp, 20000)]["tx"]  # MIP-LR keeps the stream addressed


def test_the_pictures_of_the_observed_run(observed):
    """imm-sim draw on a real run directory: the handoffs on the map, the timeline, a sequence
    chart (what they contain, from the data handed to matplotlib)."""
    from imm_ns3.analysis.netmap import draw_network
    from imm_ns3.analysis.plotting import pyplot
    from imm_ns3.analysis.timeline import draw_sequence, draw_timeline

    r, _, _, _, tmp = observed
    plt = pyplot()
    fig, (a1, a2, a3) = plt.subplots(3, 1)
    m = draw_network(a1, tmp / "run")
    t = draw_timeline(a2, tmp / "run")
    q = draw_sequence(a3, tmp / "run", handoff=1)
    plt.close(fig)
    assert [(h["kind"], round(h["y"], 6)) for h in m.handoffs] == [("inter_domain", 0), ("inter_subnet", 0)]
    assert [c[0] for c in t.cells["mh1"]] == ["bs502a", "bs503a", "bs504a"]
    # Each flow to the host pauses at each handoff: a gap starting at most a bin before the
    # last beacon (L2 detection) and ending after the association.
    for h in r.tables["handoffs"].itertuples():
        for flow in ("probe ch->mh1", "video ch->mh1"):
            assert any(a - 0.1 <= h.last_beacon_s + 0.1 and b >= h.t_s for a, b in t.gaps[("mh1", flow)]), flow
    assert any(a[4] == "Registration" for a in q.arrows) and "sn2-drcp" in q.lifelines


def test_cli_run_writes_the_netanim_trace_and_flowmon_beside_the_results(observed, tmp_path):
    from click.testing import CliRunner

    from imm_ns3.cli import main

    out, trace = tmp_path / "run", tmp_path / "pw.xml"
    res = CliRunner().invoke(main, ["run", "patent-walk", "--set", "simulation.duration_s=2",
                                    "--out", str(out), "--netanim", str(trace), "--flowmon"])
    assert res.exit_code == 0, res.output
    assert f"netanim: {trace}" in res.output and f"flowmon: {out / 'flowmon.xml'}" in res.output
    root = ET.parse(trace).getroot()
    names = {u.get("descr"): int(u.get("id")) for u in root.iter("nu") if u.get("p") == "d"}
    start = {int(n.get("id")): float(n.get("locY")) for n in root.iter("node")}
    # The map's schematic, mirrored: the wired network above the cells in NetAnim's view.
    assert start[names["core"]] < start[names["gw502"]] < start[names["in502"]] < 0 == start[names["bs502a"]]
    assert ET.parse(out / "flowmon.xml").getroot().tag == "FlowMonitor"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pw.xml", "run"]
