"""The attacker on ns-3 ([[attacks]], docs/security.md): with security.auth false the
specification's servers take every forgery and traffic reaches the attacker; with it true
nothing is taken, nothing reaches the attacker, the victim's transfer completes with every byte
checked and its call goes on. Bad attack entries are one-line errors."""

from __future__ import annotations

import copy

import pytest

from imm_ns3.scenario import ScenarioError, read_scenario_dict, validate_dict

WALK, _ = read_scenario_dict("patent-walk")
KINDS = ("miplr_update", "sip_reinvite")


def _with_attacks(auth: bool, attacks: list[dict], **extra) -> dict:
    d = copy.deepcopy(WALK)
    d["hosts"]["eve"] = {"subnet": "home", "role": "attacker"}
    d["attacks"] = attacks
    d["security"] = {"auth": auth}
    for k, v in extra.items():
        d.setdefault(k, {}).update(v)
    return d


ATTACKS = [{"kind": "miplr_update", "at_s": 15.0, "attacker": "eve", "victim": "mh1"},
           {"kind": "sip_reinvite", "at_s": 17.0, "attacker": "eve", "victim": "mh1"},
           {"kind": "sip_register", "at_s": 19.0, "attacker": "eve", "victim": "mh1"},
           {"kind": "replay", "at_s": 30.0, "attacker": "eve", "victim": "mh1"}]


@pytest.fixture(scope="module")
def attacked(ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario

    out = {}
    for auth in (False, True):
        d = tmp_path_factory.mktemp(f"auth-{auth}")
        out[auth] = run_scenario(validate_dict(_with_attacks(auth, ATTACKS)), out_dir=d / "run")
    return out


def _flow(r, name, dst):
    return next(f for f in r.summary["flows"] if f["name"] == name and f["dst"] == dst)





@pytest.mark.ns3
def test_without_auth_the_forgeries_are_taken_and_traffic_reaches_the_attacker(attacked):
    r = attacked[False]
    got = {a["kind"]: a for a in r.summary["attacks"]}
    assert got["miplr_update"]["accepted"] == 2  # the register and the correspondent
    assert got["sip_reinvite"]["accepted"] == 1 and got["sip_register"]["accepted"] == 1
    assert got["replay"]["accepted"] == 0  # stale sequence numbers, even without keys
    # The correspondent's TCP and the call's RTP went to the attacker until the host moved.
    assert got["miplr_update"]["hijacked_packets"] > 0 and got["sip_reinvite"]["hijacked_packets"] > 50
    a = r.tables["attacks"]
    held = a[a.accepted].set_index(["kind", "target"]).held_s
    t_move = r.handoffs.set_index("kind").loc["inter_subnet", "t_s"]
    assert (held.loc["miplr_update"] < t_move + 1 - 15.0).all()  # released by the host's update
    # ... and the victim is not locked out: its transfer still completes, every byte checked.
    tcp = _flow(r, "tcp", "mh1")
    assert tcp["received_bytes"] == tcp["sent_bytes"] and tcp["bad_bytes"] == 0


@pytest.mark.ns3
def test_with_auth_nothing_is_taken_and_the_victim_keeps_its_traffic(attacked):
    r, clean = attacked[True], attacked[False]
    assert [(a["kind"], a["accepted"], a["hijacked_packets"], a["hijacked_bytes"])
            for a in r.summary["attacks"]] == [(k["kind"], 0, 0, 0) for k in ATTACKS]
    assert not r.tables["attacks"].accepted.any()
    tcp = _flow(r, "tcp", "mh1")
    assert tcp["received_bytes"] == tcp["sent_bytes"] == 2_600_000 and tcp["bad_bytes"] == 0
    assert tcp["resets"] == 0 and tcp["completion_s"] is not None
    rtp = _flow(r, "rtp", "mh1")
    hijacked_rtp = _flow(clean, "rtp", "mh1")
    assert rtp["lost_packets"] < 150 < hijacked_rtp["lost_packets"]  # handoffs only
    rejected = r.summary["macro_mobility"]["rejected"]
    assert rejected["hlr:unauthenticated"] >= 1 and rejected["ch:unauthenticated"] >= 1
    # Authenticated messages on the wire: bigger, and only those.
    sig = r.signalling
    assert set(sig[sig.message.str.startswith("MipUpdate")].message) == {"MipUpdateAuth", "MipUpdateAckAuth"} | (
        {"MipUpdate"} & set(sig[sig.role == "attacker"].message))


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
        validate_dict(_with_attacks(False, [a]))
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_an_attack_on_a_mechanism_the_scenario_lacks_is_refused():
    d = _with_attacks(False, [dict(ATTACKS[0], kind="mip_registration")])
    del d["hosts"]["ha"]
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert any("attacks.0.kind: 'mip_registration' attacks Mobile IP: the scenario needs a host"
               " with role 'home_agent'" in p for p in e.value.problems)


def test_an_attack_on_a_mechanism_not_in_use_is_refused():
    d = _with_attacks(False, [dict(ATTACKS[0], kind="mip_registration")])  # TCP by MIP-LR
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["attacks.0.kind: 'mip_registration' needs Mobile IP in use:"
                                " macro_mobility.tcp (with tcp.enabled) or macro_mobility.realtime"
                                " (with sip.enabled) = \"mip\""]
    d = _with_attacks(False, [dict(ATTACKS[0], kind="sip_reinvite")])
    d["macro_mobility"] = {"realtime": "miplr"}
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems[0].startswith("attacks.0.kind: 'sip_reinvite' needs SIP mobility")
