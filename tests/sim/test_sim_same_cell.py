"""The same-cell attacker on ns-3 ([[attacks]] kinds mmp_registration, mmp_semisoft_copy,
drcp_exhaustion; docs/security.md): a second mobile host, associated with a base station of the
victim's domain, forges MMP cache messages for the victim's care-of address or exhausts the DRCP
pool. With security.auth false the specification's nodes apply them ([0031], [0036], [0029]); with
it true the base stations' source address validation (a care-of address is bound to the station
that obtained it by DRCP) refuses every one, and the victim keeps all of its traffic."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import validate_dict

from scenario_dicts import ARRIVING, CACHE_ATTACKS, EXHAUST, IN_CELL, same_cell


@pytest.fixture(scope="module")
def runs(ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario

    out = {}
    for auth in (False, True):
        d = tmp_path_factory.mktemp(f"cell-{auth}")
        out[("cache", auth)] = run_scenario(validate_dict(same_cell(auth, CACHE_ATTACKS, IN_CELL, 11.0)),
                                            out_dir=d / "cache")
        out[("drcp", auth)] = run_scenario(validate_dict(same_cell(auth, EXHAUST, ARRIVING, 20.0)),
                                           out_dir=d / "drcp")
    return out


def _flow(r, name, dst):
    return next(f for f in r.summary["flows"] if f["name"] == name and f["dst"] == dst)


def test_without_auth_a_station_takes_the_victims_cache_entries(runs):
    r = runs[("cache", False)]
    got = {a["kind"]: a for a in r.summary["attacks"]}
    # Both forgeries are applied by the attacker's base station (and on up the tree).
    assert got["mmp_registration"]["accepted"] == 1 and got["mmp_semisoft_copy"]["accepted"] == 1
    # The semi-soft update makes the crossover node bicast: the attacker gets a copy of the
    # victim's downlink for the refreshes and one cache timeout (2 + 3 s), about 300 packets
    # a second here, and the victim loses nothing for it.
    copy_ = r.tables["attacks"].set_index("kind").loc["mmp_semisoft_copy"]
    assert got["mmp_semisoft_copy"]["hijacked_packets"] > 500
    assert 4.5 < copy_.held_s < 5.5
    assert r.summary["mmp"]["bicast_copies"] >= got["mmp_semisoft_copy"]["hijacked_packets"]
    assert _flow(r, "probe", "mh1")["lost_packets"] < 10
    tcp = _flow(r, "tcp", "mh1")
    assert tcp["received_bytes"] == tcp["sent_bytes"] and tcp["bad_bytes"] == 0
    assert r.summary["mmp"]["savi_refused_messages"] == 0


def test_without_auth_invented_client_ids_exhaust_the_pool_and_lock_the_victim_out(runs):
    r = runs[("drcp", False)]
    (a,) = r.summary["attacks"]
    row = r.tables["attacks"].iloc[0]
    # A /24 less three base stations and the attacker's own lease.
    assert a["accepted"] == row.accepted_leases == 250 and row.sent == 250 + 1 + 16
    # The victim never gets an address in sn2: only its sn1 one.
    assert all(x.startswith("10.1.") for x in r.summary["care_of_addresses"]["mh1"])
    assert row.held_s > 4  # left sn1 at about 15 s: no address until the end of the run (20 s)
    refused = r.events[(r.events.node == "mh1") & (r.events.event == "drcp_refused")]
    assert len(refused) >= 1


@pytest.mark.parametrize("case", ["cache", "drcp"])
def test_with_auth_base_stations_refuse_every_claim_and_the_victim_keeps_its_traffic(runs, case):
    r, clean = runs[(case, True)], runs[(case, False)]
    assert [(a["kind"], a["accepted"], a["hijacked_packets"]) for a in r.summary["attacks"]] == \
        [(a["kind"], 0, 0) for a in (CACHE_ATTACKS if case == "cache" else EXHAUST)]
    mmp = r.summary["mmp"]
    assert mmp["savi_refused_messages"] == sum(a["attempted"] for a in r.summary["attacks"])
    assert mmp["savi_dropped_packets"] == 0  # every host's own packets pass
    tcp = _flow(r, "tcp", "mh1")
    assert tcp["received_bytes"] == tcp["sent_bytes"] == 300_000 and tcp["bad_bytes"] == 0
    if case == "drcp":
        assert any(x.startswith("10.2.0.") for x in r.summary["care_of_addresses"]["mh1"])
        assert _flow(r, "probe", "mh1")["lost_packets"] < _flow(clean, "probe", "mh1")["lost_packets"]


def test_a_hold_longer_than_the_run_sends_only_the_refreshes_the_run_has_time_for(ns3_ready):
    from imm_ns3.adapter import run_scenario

    forever = [{"kind": "mmp_semisoft_copy", "at_s": 5.0, "attacker": "mh2", "victim": "mh1",
                "hold_s": 1e6}]
    d = same_cell(False, forever, IN_CELL, 7.0)
    d.setdefault("mmp", {})["route_update_interval_s"] = 0.01
    r = run_scenario(validate_dict(d))  # scheduled all 1e8 refreshes up front before: 5 GB
    row = r.tables["attacks"].set_index("kind").loc["mmp_semisoft_copy"]
    assert row.sent == 1 + 199  # the semi-soft update, then refreshes at 5.01 ... 6.99 s
