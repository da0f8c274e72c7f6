"""Log-normal shadowing (imm::ShadowingLossModel, wifi.propagation.shadowing_db) and fading,
checked on the C++ model directly (no simulation; the schema's bounds:
tests/package/test_propagation_schema.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest


@pytest.fixture(scope="module")
def shadowing(ns3_ready):
    from imm_ns3.adapter.runtime import compile_extension, ns3

    ns = ns3()
    imm = compile_extension("propagation.h")

    def make(sigma: float, decorrelation: float, stream: int = 7):
        m = ns.CreateObject[imm.ShadowingLossModel]()
        m.SetAttribute("Sigma", ns.DoubleValue(sigma))
        m.SetAttribute("Decorrelation", ns.DoubleValue(decorrelation))
        m.AssignStreams(stream)
        return m

    def node(x: float):
        mm = ns.CreateObject[ns.ConstantPositionMobilityModel]()
        mm.SetPosition(ns.Vector(x, 0.0, 0.0))
        return mm

    return ns, make, node


def test_a_pair_that_stands_still_keeps_its_term_both_ways(shadowing):
    ns, make, node = shadowing
    m = make(8.0, 20.0)
    a, b = node(0.0), node(30.0)
    first = m.CalcRxPower(16.0, a, b)
    assert first != 16.0
    for _ in range(5):
        assert m.CalcRxPower(16.0, a, b) == first
        assert m.CalcRxPower(16.0, b, a) == first  # the same term in both directions
    assert m.draws == 1


def test_terms_are_gaussian_with_the_given_deviation(shadowing):
    ns, make, node = shadowing
    m = make(6.0, 20.0)
    base = node(0.0)
    others = [node(float(i + 1)) for i in range(3000)]  # kept alive: pairs are keyed by object
    s = np.array([16.0 - m.CalcRxPower(16.0, base, o) for o in others])
    assert abs(s.mean()) < 0.4  # 3 standard errors of 6 / sqrt(3000) = 0.33
    assert s.std() == pytest.approx(6.0, rel=0.05)


def test_correlation_decays_with_the_distance_moved(shadowing):
    # Gudmundson: after a move of d metres the new term has correlation exp(-d / D) with the old.
    ns, make, node = shadowing
    m = make(8.0, 20.0)
    fixed = node(0.0)
    for d, want in ((2.0, math.exp(-0.1)), (20.0, math.exp(-1.0)), (200.0, 0.0)):
        before, after, movers = [], [], []
        for i in range(2000):
            mover = node(50.0 + i)  # a pair of its own (kept alive: pairs are keyed by object)
            movers.append(mover)
            before.append(16.0 - m.CalcRxPower(16.0, fixed, mover))
            mover.SetPosition(ns.Vector(50.0 + i, d, 0.0))
            after.append(16.0 - m.CalcRxPower(16.0, fixed, mover))
        r = np.corrcoef(before, after)[0, 1]
        assert r == pytest.approx(want, abs=0.06), (d, r)


def test_the_same_stream_draws_the_same_terms(shadowing):
    ns, make, node = shadowing
    a, b, c = node(0.0), node(10.0), node(20.0)
    m1, m2 = make(4.0, 20.0, stream=3), make(4.0, 20.0, stream=3)
    assert [m1.CalcRxPower(0.0, a, b), m1.CalcRxPower(0.0, a, c)] == \
        [m2.CalcRxPower(0.0, a, b), m2.CalcRxPower(0.0, a, c)]


def test_zero_sigma_adds_nothing(shadowing):
    ns, make, node = shadowing
    m = make(0.0, 20.0)
    assert m.CalcRxPower(16.0, node(0.0), node(5.0)) == 16.0
