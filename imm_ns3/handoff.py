"""Radio-level handoff detection (step 402 of Figure 4A, [0047]), as a plain state machine.

The adapter feeds it the station MAC's association events; it turns them into
:class:`RadioHandoff` notifications for the mobile host's daemons and into rows of
``handoffs.parquet``. The kind of each movement is the topology's ground truth
(:meth:`imm_ns3.topology.Topology.movement_kind`), so the MMP daemon's own classification
from beacons ([0048]-[0050]) can be checked against it.

Latency components measured at the radio level:

- ``l2_detect_s``: last beacon heard from the old base station -> the station gives it up
  (``max_missed_beacons`` beacon intervals, plus any beacons lost before that). A station that
  heard no beacon since it associated (under fading: associated on a probe response, then
  deaf) counts from the association, when ns-3 starts its missed-beacon watchdog; a beacon
  heard from an earlier base station does not count;
- ``l2_assoc_s``: giving up the old base station -> associated with the new one (scan,
  authentication, association);
- ``l2_s``: their sum, the radio-level interruption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .events import EventLog


@dataclass(frozen=True)
class RadioHandoff:
    """What the radio tells a mobile host's daemons when it (re)associates."""

    mh: str
    t_s: float
    new_bs: str
    old_bs: str | None  # None: first association (entering the network)
    kind: str | None  # intra_domain / inter_domain / inter_subnet; None on first association
    last_beacon_s: float | None  # last beacon from old_bs
    deassoc_s: float | None  # time the station gave up old_bs

    @property
    def l2_detect_s(self) -> float | None:
        if self.last_beacon_s is None or self.deassoc_s is None:
            return None
        return self.deassoc_s - self.last_beacon_s

    @property
    def l2_assoc_s(self) -> float | None:
        return None if self.deassoc_s is None else self.t_s - self.deassoc_s

    @property
    def l2_s(self) -> float | None:
        base = self.last_beacon_s if self.last_beacon_s is not None else self.deassoc_s
        return None if base is None else self.t_s - base

    def row(self) -> dict:
        return {
            "mh": self.mh, "t_s": self.t_s, "kind": self.kind, "old_bs": self.old_bs,
            "new_bs": self.new_bs, "last_beacon_s": self.last_beacon_s,
            "deassoc_s": self.deassoc_s, "l2_detect_s": self.l2_detect_s,
            "l2_assoc_s": self.l2_assoc_s, "l2_s": self.l2_s,
        }


Listener = Callable[[RadioHandoff], None]


class HandoffDetector:
    """Association state of one mobile host's station.

    States: ``detached`` (never associated or gave up its BS) and ``associated``. The previous
    base station is remembered across ``detached`` so a re-association elsewhere is a handoff.
    """

    def __init__(self, mh: str, movement_kind: Callable[[str, str], str], log: EventLog,
                 role: str = "mobile_host"):
        self.mh = mh
        self._kind = movement_kind
        self._log = log
        self._role = role
        self.current_bs: str | None = None
        self.previous_bs: str | None = None
        self._deassoc_s: float | None = None
        self._last_beacon_s: float | None = None
        self._assoc_s: float | None = None  # when the current association began
        self.handoffs: list[RadioHandoff] = []
        self._listeners: list[Listener] = []

    def add_listener(self, fn: Listener) -> None:
        """Daemons of the mobile host subscribe here (notification 318 of Figure 3)."""
        self._listeners.append(fn)

    def deassociated(self, t_ns: int, bs: str, last_beacon_ns: int | None) -> None:
        self._log.record(t_ns, self.mh, self._role, "deassoc", bs)
        if self.current_bs is None and self.previous_bs is not None:
            # A second DeAssoc with no Assoc seen since the first: ns-3's MAC took a candidate
            # access point for its own while it scanned (it reports that one). The station's
            # move is still from the cell it was last associated with, and the interruption
            # began at the first DeAssoc: keep both.
            return
        self.previous_bs = bs if bs else self.current_bs
        self.current_bs = None
        self._deassoc_s = t_ns * 1e-9
        last = None if last_beacon_ns is None or last_beacon_ns < 0 else last_beacon_ns * 1e-9
        if self._assoc_s is not None and (last is None or last < self._assoc_s):
            last = self._assoc_s  # no beacon of this association: the watchdog ran from it
        self._last_beacon_s = last

    def associated(self, t_ns: int, bs: str) -> RadioHandoff:
        t_s = t_ns * 1e-9
        old = self.previous_bs
        if self.current_bs is not None and self.current_bs != bs:
            # Associated elsewhere without a DeAssoc first: still a move from current_bs.
            old, self._deassoc_s, self._last_beacon_s = self.current_bs, None, None
        if old is None:
            ho = RadioHandoff(self.mh, t_s, bs, None, None, None, None)
            self._log.record(t_ns, self.mh, self._role, "attach", bs)
        elif old == bs:
            ho = RadioHandoff(self.mh, t_s, bs, old, None, self._last_beacon_s, self._deassoc_s)
            self._log.record(t_ns, self.mh, self._role, "reassoc", bs)
        else:
            kind = self._kind(old, bs)
            ho = RadioHandoff(self.mh, t_s, bs, old, kind, self._last_beacon_s, self._deassoc_s)
            self.handoffs.append(ho)
            self._log.record(t_ns, self.mh, self._role, "handoff", f"{old}->{bs} {kind}")
        self.current_bs = bs
        self.previous_bs = bs
        self._deassoc_s = None
        self._last_beacon_s = None
        self._assoc_s = t_s
        for fn in self._listeners:
            fn(ho)
        return ho


def handoff_windows(times: list[float]) -> list[tuple[float, float]]:
    """The stretch of time each handoff owns: from the midpoint to the previous handoff to the
    midpoint to the next one (the first and last are open-ended). Losses and silences of a
    flow are attributed to a handoff through these windows."""
    out = []
    for i, t in enumerate(times):
        lo = float("-inf") if i == 0 else (times[i - 1] + t) / 2
        hi = float("inf") if i + 1 == len(times) else (t + times[i + 1]) / 2
        out.append((lo, hi))
    return out


def longest_silence(arrivals, lo: float, hi: float) -> float | None:
    """The longest interval between consecutive arrivals (a numpy array of times) in [lo, hi)."""
    import numpy as np

    inside = np.sort(arrivals[(arrivals >= lo) & (arrivals < hi)])
    return float(np.diff(inside).max()) if len(inside) > 1 else None
