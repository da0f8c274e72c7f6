"""The soft-state routing cache ([0031], [0033], [0035], [0036], [0040])."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.mmp.cache import ADDED, CREATED, REFRESHED, REPLACED, RoutingCache

COA = 0x0A010005


def test_expiry_and_refresh():
    c = RoutingCache(timeout_s=3.0)
    assert c.refresh(COA, 1, now=0.0) == CREATED
    assert c.lookup(COA, 2.9) == (1,)
    assert c.refresh(COA, 1, now=2.0) == REFRESHED
    assert c.lookup(COA, 4.9) == (1,)
    assert c.lookup(COA, 5.0) == ()  # expired exactly timeout after the last refresh
    assert len(c) == 0


def test_hard_replaces_and_semisoft_bicasts():
    c = RoutingCache(timeout_s=3.0)
    assert c.hard(COA, 1, 0.0) == CREATED
    assert c.semisoft(COA, 2, 1.0) == ADDED
    assert c.lookup(COA, 1.5) == (1, 2)  # bicast: old first, new second
    assert c.semisoft(COA, 2, 1.2) == REFRESHED
    assert c.hard(COA, 2, 1.4) == REPLACED
    assert c.lookup(COA, 1.5) == (2,)
    assert c.hard(COA, 2, 1.6) == REFRESHED


def test_bicast_entries_expire_separately():
    c = RoutingCache(timeout_s=3.0)
    c.hard(COA, 1, 0.0)
    c.semisoft(COA, 2, 2.0)
    assert c.lookup(COA, 2.5) == (1, 2)
    assert c.lookup(COA, 3.5) == (2,)  # the old down-link was never refreshed


def test_data_from_another_link_heals_the_route():
    # [0040]: after a switch to a secondary path the next up-link packet rebuilds the entry.
    c = RoutingCache(timeout_s=3.0)
    c.hard(COA, 1, 0.0)
    assert c.refresh(COA, 4, 0.5) == REPLACED
    assert c.lookup(COA, 0.6) == (4,)


def test_remove_interface():
    c = RoutingCache(timeout_s=3.0)
    c.hard(COA, 1, 0.0)
    c.semisoft(COA, 2, 0.0)
    c.hard(COA + 1, 1, 0.0)
    assert sorted(c.remove_interface(1)) == [COA, COA + 1]
    assert c.lookup(COA, 0.1) == (2,) and c.lookup(COA + 1, 0.1) == ()


OPS = st.lists(st.tuples(st.sampled_from(["refresh", "hard", "semisoft", "lookup"]),
                         st.integers(0, 2), st.integers(1, 3), st.floats(0, 2)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_lookup_is_never_stale(ops):
    """Whatever happened, a lookup returns exactly the interfaces touched within timeout_s."""
    c = RoutingCache(timeout_s=1.0)
    now = 0.0
    last: dict[tuple[int, int], float] = {}
    current: dict[int, list[int]] = {}
    for op, coa, iface, dt in ops:
        now += dt
        for k in [k for k, t in last.items() if t + 1.0 <= now]:
            del last[k]
            current[k[0]].remove(k[1])
        live = current.setdefault(coa, [])
        if op == "lookup":
            assert c.lookup(coa, now) == tuple(live)
            continue
        getattr(c, op)(coa, iface, now)
        if op == "hard" or (op == "refresh" and iface not in live):
            for i in live:
                last.pop((coa, i), None)
            live.clear()
        if iface not in live:
            live.append(iface)
        last[(coa, iface)] = now
    for coa, live in current.items():
        assert c.lookup(coa, now) == tuple(live)
