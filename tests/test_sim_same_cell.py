"""The same-cell attacker on ns-3 ([[attacks]] kinds mmp_registration, mmp_semisoft_copy,
drcp_exhaustion; docs/security.md): a second mobile host, associated with a base station of the
victim's domain, forges MMP cache messages for the victim's care-of address or exhausts the DRCP
pool. With security.auth false the specification's nodes apply them ([0031], [0036], [0029]); with
it true the base stations' source address validation (a care-of address is bound to the station
that obtained it by DRCP) refuses every one, and the victim keeps all of its traffic."""

from __future__ import annotations

import copy

import pytest

from imm_ns3.scenario import ScenarioError, read_scenario_dict, validate_dict

WALK, _ = read_scenario_dict("patent-walk")


def _cell(auth: bool, attacks: list[dict], victim_walk: dict, duration_s: float) -> dict:
    """The patent-walk network, sn2 a /24, a third base station bs504c off the walk, the
    attacker mh2 standing in its cell and the victim mh1 walking as told."""
    d = copy.deepcopy(WALK)
    d["subnets"]["sn2"]["prefix"] = "10.2.0.0/24"
    d["nodes"]["bs504c"] = {"domain": "d504", "role": "base_station", "uplinks": ["in504"],
                            "position_m": [260.0, 130.0, 0.0]}
    del d["mobility"]
    d["mobile_hosts"].pop("count", None)
    d["mobile_hosts"]["groups"] = [
        {"count": 1, "mobility": victim_walk},
        {"count": 1, "mobility": {"model": "waypoints", "waypoints_m": [[260.0, 120.0, 0.0]]}}]
    d["simulation"]["duration_s"] = duration_s
    d["tcp"].update(start_s=2.0, size_bytes=300_000, rate_mbps=0.5)
    d["security"] = {"auth": auth}
    d["attacks"] = attacks
    return d


IN_CELL = {"model": "waypoints", "waypoints_m": [[260.0, 0.0, 0.0]]}  # bs504a, from the start
CACHE_ATTACKS = [
    {"kind": "mmp_registration", "at_s": 4.0, "attacker": "mh2", "victim": "mh1"},
    {"kind": "mmp_semisoft_copy", "at_s": 5.0, "attacker": "mh2", "victim": "mh1", "hold_s": 2.0}]
# The victim enters sn2 at about 12 s, after the attacker has asked for the whole pool.
ARRIVING = {"model": "waypoints", "waypoints_m": [[130.0, 0.0, 0.0], [260.0, 0.0, 0.0]],
            "speed_mps": 10.0, "start_s": 6.0}
EXHAUST = [{"kind": "drcp_exhaustion", "at_s": 3.0, "attacker": "mh2", "victim": "mh1"}]


@pytest.fixture(scope="module")
def runs(ns3_ready, tmp_path_factory):
    from imm_ns3.adapter import run_scenario

    out = {}
    for auth in (False, True):
        d = tmp_path_factory.mktemp(f"cell-{auth}")
        out[("cache", auth)] = run_scenario(validate_dict(_cell(auth, CACHE_ATTACKS, IN_CELL, 11.0)),
                                            out_dir=d / "cache")
        out[("drcp", auth)] = run_scenario(validate_dict(_cell(auth, EXHAUST, ARRIVING, 20.0)),
                                           out_dir=d / "drcp")
    return out


def _flow(r, name, dst):
    return next(f for f in r.summary["flows"] if f["name"] == name and f["dst"] == dst)


@pytest.mark.ns3
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


@pytest.mark.ns3
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


@pytest.mark.ns3
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


@pytest.mark.parametrize("change,expect", [
    ({"attacker": "mh1"}, "attacks.0.attacker: 'mmp_registration' is sent from a station: a mobile"
                          " host other than the victim; allowed: mh2"),
    ({"attacker": "ch"}, "attacks.0.attacker: 'mmp_registration' is sent from a station"),
    ({"requests": 5}, "attacks.0.requests: only for drcp_exhaustion, not 'mmp_registration'"),
])
def test_bad_same_cell_attack_entries_are_one_line_errors(change, expect):
    a = dict(CACHE_ATTACKS[0], **change)
    with pytest.raises(ScenarioError) as e:
        validate_dict(_cell(False, [a], IN_CELL, 11.0))
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(expect), e.value.problems


def test_off_path_kinds_still_need_a_fixed_attacker_and_hold_s_is_for_cache_kinds():
    d = _cell(False, [{"kind": "miplr_update", "at_s": 4.0, "attacker": "mh2", "victim": "mh1"}],
              IN_CELL, 11.0)
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["attacks.0.attacker: 'mh2' is not a host with role 'attacker';"
                                " allowed: (none declared: add one under [hosts])"]
    d = _cell(False, [dict(EXHAUST[0], hold_s=1.0)], IN_CELL, 11.0)
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert e.value.problems == ["attacks.0.hold_s: only for mmp_registration and"
                                " mmp_semisoft_copy, not 'drcp_exhaustion'"]


def test_source_address_validation_cannot_serve_two_radios():
    d = _cell(True, [], IN_CELL, 11.0)
    d["wifi"]["mh_radios"] = 2
    with pytest.raises(ScenarioError) as e:
        validate_dict(d)
    assert any(p.startswith("security.auth: source address validation binds a care-of address to"
                            " one radio's MAC") for p in e.value.problems), e.value.problems


@pytest.mark.ns3
def test_a_hold_longer_than_the_run_sends_only_the_refreshes_the_run_has_time_for(ns3_ready):
    from imm_ns3.adapter import run_scenario

    forever = [{"kind": "mmp_semisoft_copy", "at_s": 5.0, "attacker": "mh2", "victim": "mh1",
                "hold_s": 1e6}]
    d = _cell(False, forever, IN_CELL, 7.0)
    d.setdefault("mmp", {})["route_update_interval_s"] = 0.01
    r = run_scenario(validate_dict(d))  # scheduled all 1e8 refreshes up front before: 5 GB
    row = r.tables["attacks"].set_index("kind").loc["mmp_semisoft_copy"]
    assert row.sent == 1 + 199  # the semi-soft update, then refreshes at 5.01 ... 6.99 s
