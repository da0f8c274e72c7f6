"""The attacker on ns-3 ([[attacks]], docs/security.md): with security.auth false the
specification's servers take every forgery and traffic reaches the attacker; with it true
nothing is taken, nothing reaches the attacker, the victim's transfer completes with every byte
checked and its call goes on (bad attack entries: tests/package/test_attacks.py)."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import validate_dict

from scenario_dicts import ATTACKS, with_attacks

KINDS = ("miplr_update", "sip_reinvite")


@pytest.fixture(scope="module")
def attacked(ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario

    out = {}
    for auth in (False, True):
        d = tmp_path_factory.mktemp(f"auth-{auth}")
        out[auth] = run_scenario(validate_dict(with_attacks(auth, ATTACKS)), out_dir=d / "run")
    return out


def _flow(r, name, dst):
    return next(f for f in r.summary["flows"] if f["name"] == name and f["dst"] == dst)


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
