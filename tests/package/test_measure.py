"""Measurements, the care-of address channel and the MMP domain tree: pure, no ns-3."""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest

from imm_ns3.careof import CareOfChannel
from imm_ns3.measure import (
    delivery_gap,
    handoff_probe_components,
    handoff_rtp_components,
    handoff_tcp_components,
    one_way_delays,
    probe_counts,
    timeline_bins,
)
from imm_ns3.mmp.mobile import Movement
from imm_ns3.scenario import load_scenario
from imm_ns3.topology import build_topology

A, B, C = (int(ipaddress.IPv4Address(x)) for x in ("10.1.0.4", "10.2.0.3", "10.1.0.9"))


# ---- the care-of address channel --------------------------------------------------------------
def test_channel_publishes_in_order_and_keeps_history():
    ch = CareOfChannel("mh1")
    seen = []
    ch.subscribe(lambda c: seen.append(("first", c.old, c.new)))
    ch.subscribe(lambda c: seen.append(("second", c.old, c.new)))
    assert ch.current == 0 and ch.last_address is None
    ch.publish(1.0, A)
    ch.publish(5.0, 0)  # left the sub-network
    assert ch.current == 0 and ch.last_address == A
    ch.publish(5.2, B)
    assert seen == [("first", None, A), ("second", None, A), ("first", A, 0), ("second", A, 0),
                    ("first", A, B), ("second", A, B)]
    assert ch.history[1].lost and not ch.history[2].lost
    assert ch.addresses() == ["10.1.0.4", "10.2.0.3"]
    assert ch.changes() == [(5.2, "10.2.0.3")]  # the first address is not a change


def test_channel_same_address_again_is_not_a_change():
    ch = CareOfChannel("mh1")
    for t, a in ((1.0, A), (2.0, 0), (2.1, A), (3.0, 0), (3.1, C)):
        ch.publish(t, a)
    assert ch.addresses() == ["10.1.0.4", "10.1.0.4", "10.1.0.9"]
    assert ch.changes() == [(3.1, "10.1.0.9")]


# ---- the probe --------------------------------------------------------------------------------
def test_probe_counts_duplicates_and_losses():
    assert probe_counts(10, np.array([0, 1, 1, 2, 5, 9])) == {
        "sent_packets": 10, "received_packets": 5, "lost_packets": 5, "duplicates": 1}


def test_handoff_probe_components_split_losses_by_window():
    # 10 packets/s from t=0 for 10 s; handoffs at 3 s and 7 s: windows (-inf,5) and [5,inf).
    sent_times = np.arange(100) / 10
    lost = set(range(30, 36)) | set(range(70, 73))
    seqs = np.array([k for k in range(100) if k not in lost] + [80])  # one duplicate
    arrivals = sent_times[seqs] + 0.002
    mv = Movement(t_radio=3.0, kind="intra_domain", t_beacon=3.1, t_update=3.1, t_done=3.1,
                  coa_before=A, coa_after=A)
    rows = handoff_probe_components([3.0, 7.0], [mv], seqs, arrivals, sent_times)
    assert rows[0]["probe_lost"] == 6 and rows[0]["probe_duplicates"] == 0
    assert rows[0]["probe_gap_s"] == pytest.approx(0.7)
    assert rows[0]["mmp_kind"] == "intra_domain" and rows[0]["mmp_s"] == pytest.approx(0.1)
    assert rows[1]["probe_lost"] == 3 and rows[1]["probe_duplicates"] == 1
    assert "mmp_kind" not in rows[1]  # no movement record started at 7 s
    # Without a probe only the daemon's components remain.
    assert handoff_probe_components([3.0], [mv], None, None, None)[0]["beacon_wait_s"] == pytest.approx(0.1)


def test_losses_before_the_first_attachment_belong_to_no_handoff():
    """The host is first reachable at 1.2 s (end of its attachment): the 12 packets sent
    before are lost, but they are the start-up's, not the handoff's at 3 s."""
    sent_times = np.arange(60) / 10
    lost = set(range(12)) | {31, 32}
    seqs = np.array([k for k in range(60) if k not in lost])
    arrivals = sent_times[seqs] + 0.002
    attach = Movement(t_radio=0.5, kind="attach", t_beacon=0.6, t_adv=0.8, t_drcp=1.1,
                      t_update=1.1, t_done=1.2, coa_after=A)
    move = Movement(t_radio=3.0, kind="intra_domain", t_beacon=3.1, t_update=3.1, t_done=3.1,
                    coa_before=A, coa_after=A)
    rows = handoff_probe_components([3.0], [attach, move], seqs, arrivals, sent_times)
    assert rows[0]["probe_lost"] == 2
    # Without an attachment record the window stays open to the start.
    rows = handoff_probe_components([3.0], [move], seqs, arrivals, sent_times)
    assert rows[0]["probe_lost"] == 14


# ---- TCP --------------------------------------------------------------------------------------
def test_handoff_tcp_components_resume_and_update_only_after_the_change():
    reads = np.array([1.0, 1.5, 2.0, 4.0, 4.1, 9.0, 9.2, 9.3])
    changes = [(8.0, "10.2.0.3")]
    firsts = [("10.1.0.4", 0.5), ("10.2.0.3", 8.5)]
    updates = [(7.0, "10.2.0.3"), (8.03, "10.1.0.9"), (8.05, "10.2.0.3")]
    rows = handoff_tcp_components([3.0, 8.0], reads, changes, firsts, updates)
    assert rows[0] == {"tcp_gap_s": pytest.approx(2.0)}
    assert rows[1]["coa_change_s"] == 8.0
    assert rows[1]["tcp_resume_s"] == pytest.approx(0.5)
    assert rows[1]["tcp_update_s"] == pytest.approx(0.05)  # not the stale 7.0, not another host's
    assert rows[1]["tcp_gap_s"] == pytest.approx(0.2)  # window [5.5, inf): reads 9.0-9.3
    none = handoff_tcp_components([8.0], np.array([]), changes, [], [])[0]
    assert none["tcp_gap_s"] is None and none["tcp_resume_s"] is None and none["tcp_update_s"] is None


# ---- RTP --------------------------------------------------------------------------------------
def test_handoff_rtp_components_and_reinvite_inside_the_window():
    arrivals = np.concatenate([np.arange(0, 10, 0.02), np.arange(10.6, 20, 0.02)])
    rows = handoff_rtp_components([10.0, 18.0], arrivals, [10.5], [10.52, 19.5])
    assert rows[0]["rtp_gap_s"] == pytest.approx(0.62)
    assert rows[0]["rtp_resume_s"] == pytest.approx(0.1)
    assert rows[0]["reinvite_s"] == pytest.approx(0.02)
    assert "coa_change_s" not in rows[1]
    # A 200 OK after the window closes belongs to no handoff.
    assert handoff_rtp_components([10.0, 12.0], arrivals, [10.5], [11.5])[0]["reinvite_s"] is None


def test_one_way_delays_and_timeline():
    start = 3_000_000_000
    ts = np.array([0, 160, 320])  # 20 ms packets at 8 kHz
    arr = start + np.array([7_000_000, 27_000_000, 48_000_000])
    assert one_way_delays(start, ts, arr) == pytest.approx([0.007, 0.007, 0.008])
    ssrcs = np.array([1, 2, 1])
    assert one_way_delays(start, ts, arr, ssrcs, 1) == pytest.approx([0.007, 0.008])
    assert len(one_way_delays(-1, ts, arr)) == 0  # never started
    assert list(timeline_bins([0.01, 0.05, 0.12, 0.31], 0.1)) == [2, 1, 0, 1]
    assert len(timeline_bins([], 0.1)) == 0


# ---- failures ---------------------------------------------------------------------------------
def test_delivery_gap():
    a = np.concatenate([np.arange(0, 10, 0.02), np.arange(11.76, 20, 0.02)])
    assert delivery_gap(a, 10.0, 20.0) == pytest.approx(11.76 - 9.98)
    assert delivery_gap(np.arange(0, 10, 0.02), 10.0, 20.0) is None  # never resumed
    assert delivery_gap(np.arange(0, 20, 0.02), 10.0, 20.0) == pytest.approx(0.02)


# ---- the domain tree as data ----------------------------------------------------------------
def test_domain_tree_of_patent_walk():
    t = build_topology(load_scenario("patent-walk"))
    gw = t.domain_place("gw502")
    assert gw.role == "gateway" and not gw.uplinks and [d.peer for d in gw.downlinks] == ["in502"]
    assert gw.gateway_address == t.gateway_address("gw502")
    assert gw.border_router_address is not None  # sn1 has two domains: a border router
    assert t.domain_place("gw504").border_router_address is None
    assert [d.peer for d in t.domain_place("in502").downlinks] == ["bs502a", "bs502b"]
    assert t.primary_path("bs502b") == ["bs502b", "in502", "gw502"]
    assert t.crossover_node("bs504a", "bs504b") == "in504"
    assert t.crossover_node("bs502a", "bs503a") is None
    assert [t.domain_place(b).bs_id for b in t.radios] == list(range(1, len(t.radios) + 1))


def test_domain_tree_with_two_uplinks_puts_the_primary_first():
    t = build_topology(load_scenario("redundancy"))
    multi = [n for n in t.scenario.nodes if len(t.domain_place(n).uplinks) > 1]
    assert multi
    for n in multi:
        assert [u.rank for u in t.domain_place(n).uplinks] == sorted(u.rank for u in t.domain_place(n).uplinks)
