"""Scenario dictionaries shared by the pure validation tests (tests/package/) and the ns-3 runs
(tests/sim/): the patent walk with flows, as an ns-2 trace, with an off-path attacker, with a
same-cell attacker, and a channel plan."""

from __future__ import annotations

import copy

from imm_ns3.scenario import read_scenario_dict

WALK, _ = read_scenario_dict("patent-walk")


# ---- [[flows]] (test_flows.py, test_flows_run.py) ----------------------------------------------
def with_flows(flows: list[dict], **mm) -> dict:
    d = copy.deepcopy(WALK)
    d["flows"] = flows
    d["macro_mobility"].update(mm)
    return d


VIDEO = {"name": "video", "kind": "udp_cbr", "src": "ch", "dst": "mh1", "start_s": 5.0,
         "stop_s": 29.0, "rate_kbps": 800.0, "packet_bytes": 1000}


# ---- ns-2 movement traces (test_ns2trace.py, test_ns2trace_run.py) ----------------------------
def traced_walk(path, first_node=0, count=1) -> dict:
    d = copy.deepcopy(WALK)
    d["mobility"] = {"model": "ns2_trace", "file": str(path), "first_node": first_node}
    d["mobile_hosts"]["count"] = count
    return d


# ---- [[attacks]] from an off-path host (test_attacks.py, test_sim_security.py) -----------------
def with_attacks(auth: bool, attacks: list[dict], **extra) -> dict:
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


# ---- same-cell [[attacks]] (test_same_cell_attacks.py, test_sim_same_cell.py) ----------------
def same_cell(auth: bool, attacks: list[dict], victim_walk: dict, duration_s: float) -> dict:
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


# ---- a channel plan: 1, 6 and 11 (test_channel_plan.py, test_sim_channels.py) -----------------
CHANNEL_PLAN = ["nodes.bs502b.channel=6", "nodes.bs503a.channel=11", "nodes.bs504a.channel=6",
                "nodes.bs504b.channel=11"]
