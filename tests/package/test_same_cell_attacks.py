"""Same-cell [[attacks]] entries (mmp_registration, mmp_semisoft_copy, drcp_exhaustion) without
ns-3: bad entries are one-line errors, off-path kinds still need a fixed attacker, hold_s is for the
cache kinds, source address validation cannot serve two radios."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import ScenarioError, validate_dict

from scenario_dicts import CACHE_ATTACKS, EXHAUST, IN_CELL, same_cell


@pytest.mark.parametrize("change,expect", [
    ({"attacker": "mh1"}, "attacks.0.attacker: 'mmp_registration' is sent from a station: a mobile"
                          " host other than the victim; allowed: mh2"),
    ({"attacker": "ch"}, "attacks.0.attacker: 'mmp_registration' is sent from a station"),
    ({"requests": 5}, "attacks.0.requests: only for drcp_exhaustion, not 'mmp_registration'"),
])
def test_bad_same_cell_attack_entries_are_one_line_errors(change, expect):
    a = dict(CACHE_ATTACKS[0], **change)
    with pytest.raises(ScenarioError) as e:
        validate_dict(same_cell(False, [a], IN_CELL, 11.0))
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_off_path_kinds_still_need_a_fixed_attacker_and_hold_s_is_for_cache_kinds():
    d = same_cell(False, [{"kind": "miplr_update", "at_s": 4.0, "attacker": "mh2", "victim": "mh1"}],
              IN_CELL, 11.0)
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["attacks.0.attacker: 'mh2' is not a host with role 'attacker';"
                                " allowed: (none declared: add one under [hosts])"]
    d = same_cell(False, [dict(EXHAUST[0], hold_s=1.0)], IN_CELL, 11.0)
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["attacks.0.hold_s: only for mmp_registration and"
                                " mmp_semisoft_copy, not 'drcp_exhaustion'"]


def test_source_address_validation_cannot_serve_two_radios():
    d = same_cell(True, [], IN_CELL, 11.0)
    d["wifi"]["mh_radios"] = 2
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert any(p.startswith("security.auth: source address validation binds a care-of address to"
                            " one radio's MAC") for p in e.value.problems), e.value.problems
