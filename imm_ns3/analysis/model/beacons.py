"""Hidden base stations whose beacons collide at every beacon ("beacon lock")."""

from __future__ import annotations

import math

from .walks import cell_reach_m


# ---- hidden base stations whose beacons collide at every beacon --------------------------------
def hidden_pairs(topo) -> list[tuple[str, str]]:
    """Pairs of base stations on one channel that cannot hear each other (farther apart than
    the cell reach, so neither defers to the other: no carrier sense) but whose cells overlap
    (closer than twice the reach): a station in the overlap hears both, and their frames
    collide there (the hidden-terminal problem)."""
    names = list(topo.radios)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ra, rb = topo.radios[a], topo.radios[b]
            if ra.channel != rb.channel:
                continue
            d = math.dist(ra.position_m[:2], rb.position_m[:2])
            reach_a, reach_b = cell_reach_m(topo, a), cell_reach_m(topo, b)
            if max(reach_a, reach_b) < d < reach_a + reach_b:
                out.append((a, b))
    return out


def beacon_lock_probability(pairs: int, airtime_s: float, interval_s: float) -> float:
    """Probability that at least one of ``pairs`` hidden base-station pairs beacons in lockstep
    for the whole run: access points send a beacon every ``interval_s`` from a random start
    (ns-3's ApWifiMac beacon jitter draws the first one only), so two with the same interval
    keep their offset for ever, and when it is shorter than a beacon's airtime the two beacons
    overlap at every beacon in their cells' overlap. A station there that cannot decode its own
    base station's beacon through the other misses all of them, gives its cell up after
    ``max_missed_beacons`` of them, re-associates (on the probe exchange, which does not
    collide) and loses it again: handoffs and re-associations about every half second while it
    stays there, whatever its speed. Offsets are uniform: each pair locks with probability
    2 airtime / interval."""
    if interval_s <= 0 or airtime_s < 0:
        raise ValueError("interval_s positive and airtime_s non-negative")
    p = min(1.0, 2 * airtime_s / interval_s)
    return 1 - (1 - p) ** pairs
