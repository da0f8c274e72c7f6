"""[[attacks]] entries without ns-3 (docs/security.md): bad entries are one-line errors, an attack
on a mechanism the scenario lacks or does not use is refused."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import ScenarioError, validate_dict

from scenario_dicts import ATTACKS, with_attacks


@pytest.mark.parametrize("change,expect", [
    ({"attacker": "ch"}, "attacks.0.attacker: 'ch' is not a host with role 'attacker'; allowed: eve"),
    ({"victim": "mh7"}, "attacks.0.victim: 'mh7' is not a mobile host; allowed: mh1 .. mh1"),
    ({"kind": "teardrop"}, "attacks.0.kind: Input should be"),
    ({"at_s": 49.0, "at_spread_s": 5.0}, "attacks.0.at_s: 49.0 (+ at_spread_s 5.0) is not before the end"),
    ({"at_s": -1.0}, "attacks.0.at_s: Input should be greater than or equal to 0"),
    ({"bogus": 1}, "attacks.0.bogus: unknown field"),
])
def test_bad_attack_entries_are_one_line_errors(change, expect):
    a = dict(ATTACKS[0], **change)
    with pytest.raises(ScenarioError) as e:
        validate_dict(with_attacks(False, [a]))
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_an_attack_on_a_mechanism_the_scenario_lacks_is_refused():
    d = with_attacks(False, [dict(ATTACKS[0], kind="mip_registration")])
    del d["hosts"]["ha"]
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert any("attacks.0.kind: 'mip_registration' attacks Mobile IP: the scenario needs a host"
               " with role 'home_agent'" in p for p in e.value.problems)


def test_an_attack_on_a_mechanism_not_in_use_is_refused():
    d = with_attacks(False, [dict(ATTACKS[0], kind="mip_registration")])  # TCP by MIP-LR
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["attacks.0.kind: 'mip_registration' needs Mobile IP in use:"
                                " macro_mobility.tcp (with tcp.enabled) or macro_mobility.realtime"
                                " (with sip.enabled) = \"mip\""]
    d = with_attacks(False, [dict(ATTACKS[0], kind="sip_reinvite")])
    d["macro_mobility"] = {"realtime": "miplr"}
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems[0].startswith("attacks.0.kind: 'sip_reinvite' needs SIP mobility")
