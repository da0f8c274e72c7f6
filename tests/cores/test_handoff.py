"""Radio-level handoff detection as a state machine (no ns-3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.events import EventLog
from imm_ns3.handoff import HandoffDetector
from imm_ns3.scenario import load_scenario
from imm_ns3.topology import build_topology

TOPO = build_topology(load_scenario("patent-walk"))
BS = list(TOPO.radios)
S = 1_000_000_000


def _det():
    log = EventLog()
    return HandoffDetector("mh1", TOPO.movement_kind, log), log


def test_first_association_is_an_attach_not_a_handoff():
    det, log = _det()
    seen = []
    det.add_listener(seen.append)
    ho = det.associated(1 * S, "bs502a")
    assert ho.old_bs is None and ho.kind is None
    assert det.handoffs == [] and [e.event for e in log.events] == ["attach"]
    assert seen == [ho]


def test_handoff_latency_components():
    det, log = _det()
    det.associated(0, "bs502a")
    det.deassociated(int(10.5 * S), "bs502a", last_beacon_ns=10 * S)
    ho = det.associated(int(10.55 * S), "bs503a")
    assert (ho.old_bs, ho.new_bs, ho.kind) == ("bs502a", "bs503a", "inter_domain")
    assert abs(ho.l2_detect_s - 0.5) < 1e-9
    assert abs(ho.l2_assoc_s - 0.05) < 1e-9
    assert abs(ho.l2_s - 0.55) < 1e-9
    assert [e.event for e in log.events] == ["attach", "deassoc", "handoff"]
    assert log.events[-1].detail == "bs502a->bs503a inter_domain"


def test_reassociation_with_same_bs_is_not_a_handoff():
    det, log = _det()
    det.associated(0, "bs504a")
    det.deassociated(5 * S, "bs504a", last_beacon_ns=-1)
    ho = det.associated(6 * S, "bs504a")
    assert ho.kind is None and det.handoffs == []
    assert log.events[-1].event == "reassoc"


def test_no_beacon_of_this_association_counts_detection_from_the_association():
    # Under fading a station can associate on a probe response and never hear the new base
    # station's beacons: ns-3's watchdog runs from the association, and so does detection.
    det, _ = _det()
    det.associated(0, "bs504a")
    det.deassociated(5 * S, "bs504a", last_beacon_ns=-1)
    ho = det.associated(6 * S, "bs504b")
    assert ho.last_beacon_s == 0.0 and ho.l2_detect_s == 5.0 and ho.l2_s == 6.0
    # A beacon heard from the base station before (bs504a, at 4 s) is not one of bs504b's.
    det.deassociated(7 * S, "bs504b", last_beacon_ns=4 * S)
    ho = det.associated(8 * S, "bs504a")
    assert ho.last_beacon_s == 6.0 and ho.l2_detect_s == 1.0


def test_association_without_deassoc_still_counts():
    det, _ = _det()
    det.associated(0, "bs503a")
    ho = det.associated(S, "bs504a")
    assert (ho.old_bs, ho.kind, ho.deassoc_s) == ("bs503a", "inter_subnet", None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(BS), st.booleans()), min_size=1, max_size=30))
def test_handoffs_are_exactly_the_changes_of_bs(seq):
    det, _ = _det()
    t = 0
    for bs, drop_first in seq:
        t += S
        if drop_first and det.current_bs is not None:
            det.deassociated(t, det.current_bs, last_beacon_ns=t - S // 2)
            t += S // 10
        det.associated(t, bs)
    bss = [bs for bs, _ in seq]
    changes = [(a, b) for a, b in zip(bss, bss[1:]) if a != b]
    assert [(h.old_bs, h.new_bs) for h in det.handoffs] == changes
    assert all(h.kind == TOPO.movement_kind(h.old_bs, h.new_bs) for h in det.handoffs)
    assert all(h.l2_s is None or h.l2_s > 0 for h in det.handoffs)


def test_handoff_windows_and_longest_silence():
    import numpy as np

    from imm_ns3.handoff import handoff_windows, longest_silence

    assert handoff_windows([10.0, 20.0, 40.0]) == [(float("-inf"), 15.0), (15.0, 30.0), (30.0, float("inf"))]
    assert handoff_windows([]) == []
    a = np.array([1.0, 1.1, 1.9, 2.0, 5.0])
    assert longest_silence(a, 0.0, 3.0) == pytest.approx(0.8)
    assert longest_silence(a, 0.0, float("inf")) == 3.0
    assert longest_silence(a, 1.95, 4.0) is None  # one arrival only


def test_a_second_deassoc_without_an_association_keeps_the_cell_and_the_start():
    # Seen in a 3-host patent-walk run on ns-3: DeAssoc(bs504a), then, with no Assoc trace in
    # between, DeAssoc(bs503a) 512 ms later (the MAC had taken a scan candidate for its own),
    # then Assoc(bs504b). The move is bs504a -> bs504b (intra-domain, as MMP sees it), and the
    # interruption began at the first DeAssoc.
    d, log = _det()
    d.associated(1_000_000_000, "bs504a")
    d.deassociated(41_005_000_000, "bs504a", 40_493_000_000)
    d.deassociated(41_517_000_000, "bs503a", 40_493_000_000)
    ho = d.associated(41_569_000_000, "bs504b")
    assert (ho.old_bs, ho.kind) == ("bs504a", "intra_domain")
    assert ho.deassoc_s == pytest.approx(41.005) and ho.l2_s == pytest.approx(41.569 - 40.493)
    assert [e.event for e in log.events].count("deassoc") == 2  # both are still logged
