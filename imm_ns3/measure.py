"""Measurements: raw records of a run in, handoff components, gaps and delivery gaps out.

Pure (numpy, no ns-3), so every rule is unit-tested in milliseconds (tests/package/test_measure.py). The
adapters only gather raw records after a run (arrival times, the MMP daemon's movement records,
care-of address history, the times a correspondent or home agent applied an update) and call
these functions.

Each radio-level handoff owns a window of time, from the midpoint to the previous handoff to the
midpoint to the next one (:func:`imm_ns3.handoff.handoff_windows`); the per-handoff quantities
below are measured within it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .handoff import handoff_windows, longest_silence

Window = tuple[float, float]


def windows(handoff_times: Sequence[float]) -> list[Window]:
    return handoff_windows(list(handoff_times))


# ---- the probe (MMP) --------------------------------------------------------------------------
def probe_counts(sent: int, seqs: np.ndarray) -> dict[str, int]:
    """Delivery of a constant-bit-rate flow from its sequence numbers as received."""
    unique = np.unique(seqs)
    return {"sent_packets": int(sent), "received_packets": int(len(unique)),
            "lost_packets": int(sent) - int(len(unique)), "duplicates": int(len(seqs) - len(unique))}


def handoff_probe_components(handoff_times: Sequence[float], movements: Sequence[Any],
                             seqs: np.ndarray | None, arrivals: np.ndarray | None,
                             sent_times: np.ndarray | None) -> list[dict[str, Any]]:
    """Per handoff: the MMP daemon's step times (its :class:`~imm_ns3.mmp.mobile.Movement` that
    started at the handoff) and, with a probe, the packets lost and duplicated among those
    sent in the handoff's window and the probe's longest silence in it.

    Packets sent before the host was first reachable (the end of its first attachment to the
    network) belong to no handoff: the first handoff's window is otherwise open to the start
    of the run, and the start-up's losses, which grow with the domain's delays, would be
    counted as the handoff's."""
    by_t = {round(m.t_radio, 9): m for m in movements}
    attached = [m.t_done for m in movements if m.kind == "attach" and m.t_done is not None]
    ready = min(attached) if attached else float("-inf")
    rows = []
    for t, (lo, hi) in zip(handoff_times, windows(handoff_times)):
        lo = max(lo, min(ready, t))
        mv = by_t.get(round(t, 9))
        row = mv.components() if mv else {}
        if sent_times is not None and len(sent_times):
            # Each handoff owns the probe packets sent in its window.
            window = np.nonzero((sent_times >= lo) & (sent_times < hi))[0]
            got = seqs[(seqs >= (window[0] if len(window) else 0)) &
                       (seqs <= (window[-1] if len(window) else -1))]
            uniq = np.unique(got)
            row["probe_lost"] = int(len(window) - len(uniq))
            row["probe_duplicates"] = int(len(got) - len(uniq))
            # The interruption: the longest silence of the probe within the handoff's window.
            row["probe_gap_s"] = longest_silence(arrivals, lo, hi)
        rows.append(row)
    return rows


# ---- TCP (MIP-LR, Mobile IP) -------------------------------------------------------------------
def handoff_tcp_components(handoff_times: Sequence[float], reads: np.ndarray,
                           coa_changes: Sequence[tuple[float, str]],
                           first_arrivals: Sequence[tuple[str, float]],
                           updates: Sequence[tuple[float, str]]) -> list[dict[str, Any]]:
    """Per handoff: TCP's longest silence at the host (``reads``: times the sink read data);
    for a handoff that changed the care-of address, when (``coa_change_s``), the time from the
    change to the first packet arriving on the new address (``tcp_resume_s``, from
    ``first_arrivals``: (address, time) of the first arrival per address) and to the first
    update to the new address applied at a correspondent or home agent (``tcp_update_s``, from
    ``updates``: (time, address))."""
    rows = []
    for lo, hi in windows(handoff_times):
        row: dict[str, Any] = {"tcp_gap_s": longest_silence(reads, lo, hi) if len(reads) else None}
        moved = [(t, a) for t, a in coa_changes if lo <= t < hi]
        if moved:
            t0, coa = moved[0]
            row["coa_change_s"] = t0
            first = [t for a, t in first_arrivals if a == coa and t >= t0]
            row["tcp_resume_s"] = first[0] - t0 if first else None
            upd = [t for t, a in updates if lo <= t < hi and t >= t0 and a == coa]
            row["tcp_update_s"] = upd[0] - t0 if upd else None
        rows.append(row)
    return rows


# ---- RTP (SIP and the other real-time policies) --------------------------------------------
def handoff_rtp_components(handoff_times: Sequence[float], arrivals: np.ndarray,
                           coa_change_times: Sequence[float],
                           reinvite_ok_times: Sequence[float]) -> list[dict[str, Any]]:
    """Per handoff: RTP's longest silence at the host; for a care-of change, the time to the
    first RTP packet after it (``rtp_resume_s``) and to the re-INVITE's 200 OK
    (``reinvite_s``, only if within the handoff's window)."""
    rows = []
    for lo, hi in windows(handoff_times):
        row: dict[str, Any] = {"rtp_gap_s": longest_silence(arrivals, lo, hi)}
        moved = [t for t in coa_change_times if lo <= t < hi]
        if moved:
            t0 = moved[0]
            row["coa_change_s"] = t0
            after = arrivals[arrivals > t0]
            row["rtp_resume_s"] = float(after[0] - t0) if len(after) else None
            oks = [t for t in reinvite_ok_times if t >= t0]
            row["reinvite_s"] = float(oks[0] - t0) if oks and oks[0] < hi else None
        rows.append(row)
    return rows


def one_way_delays(start_ns: int, timestamps: np.ndarray, arrivals_ns: np.ndarray,
                   ssrcs: np.ndarray | None = None, ssrc: int | None = None,
                   clock_hz: int = 8000) -> np.ndarray:
    """Arrival minus send time (s) of every packet of an RTP sender that started at
    ``start_ns``: packet k leaves at start + k * interval, and its RTP timestamp is
    k * (interval * clock_hz). ``ssrc`` keeps one stream of a shared receiver."""
    if start_ns < 0:
        return np.array([])
    ts, arr = np.asarray(timestamps, dtype=np.int64), np.asarray(arrivals_ns, dtype=np.int64)
    if ssrc is not None:
        keep = np.asarray(ssrcs, dtype=np.int64) == ssrc
        ts, arr = ts[keep], arr[keep]
    return (arr - start_ns - ts * (1_000_000_000 // clock_hz)) * 1e-9


def timeline_bins(arrival_times: Sequence[float], width_s: float) -> np.ndarray:
    """Packets per bin of ``width_s`` from t = 0 (the results table ``timeline``)."""
    if not len(arrival_times):
        return np.array([], dtype=np.int64)
    return np.bincount((np.asarray(arrival_times) / width_s).astype(np.int64))


# ---- failures ([0040], [0045]) ---------------------------------------------------------------
def delivery_gap(arrivals: np.ndarray, at_s: float, end_s: float) -> float | None:
    """The longest interval without packets from a failure at ``at_s`` until ``end_s``: from the
    last packet before the failure (or the failure) to the first after it, or between two
    packets after it. None when nothing arrived after the failure."""
    a = np.sort(arrivals[(arrivals >= at_s - 1.0) & (arrivals <= end_s)])
    after = a[a >= at_s]
    before = a[a < at_s]
    if len(after) == 0:
        return None  # never resumed before the end
    first = after[0] - (before[-1] if len(before) else at_s)
    return float(max(first, np.diff(after).max() if len(after) > 1 else 0.0))
