"""The end-of-run summary (pure): it fits the run, few rows one by one, many aggregated."""

from __future__ import annotations

import pandas as pd

from imm_ns3.analysis.report import format_summary


def _summary(n_hosts: int, flows: list[dict], **extra) -> dict:
    hosts = [{"name": f"mh{i}"} for i in range(1, n_hosts + 1)]
    s = {"scenario": "t", "seed": 3, "sim_time_s": 50.0, "wall_time_s": 2.0, "speedup": 25.0,
         "mobile_hosts": hosts, "handoffs": {"intra_domain": 1, "inter_domain": 1, "inter_subnet": 0},
         "care_of_addresses": {h["name"]: ["10.1.0.4"] for h in hosts}, "flows": flows,
         "events": 99, "fingerprint": "abc"}
    s.update(extra)
    return s


def _handoffs(n: int) -> pd.DataFrame:
    kinds = ["intra_domain", "inter_domain", "inter_subnet"]
    return pd.DataFrame({
        "mh": [f"mh{i % 3 + 1}" for i in range(n)], "t_s": [10.0 + i for i in range(n)],
        "kind": [kinds[i % 3] for i in range(n)], "old_bs": "bsA", "new_bs": "bsB",
        "l2_s": [0.5 + 0.01 * i for i in range(n)], "mmp_s": [0.1 * (i % 3) for i in range(n)],
        "mmp_retries": 0, "probe_lost": [i for i in range(n)], "rtp_gap_s": 0.2})


def test_few_handoffs_get_one_line_each_with_their_parts_and_losses():
    text = format_summary(_summary(1, []), _handoffs(3), None)
    lines = text.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("handoffs (ms"))
    assert lines[i + 1].split() == ["t", "s", "host", "kind", "cells", "radio", "MMP", "probe",
                                    "lost", "RTP", "gap", "TCP", "gap"]
    assert lines[i + 3].split() == ["11.00", "mh2", "inter_domain", "bsA->bsB", "510", "100", "1",
                                    "200", "-"]


def test_many_handoffs_are_summarised_per_kind_with_median_and_95th_percentile():
    text = format_summary(_summary(3, []), _handoffs(30), None)
    assert "30 rows in handoffs.parquet" in text
    row = next(l for l in text.splitlines() if l.strip().startswith("inter_subnet"))
    # inter_subnet: i = 2, 5, ..., 29 -> l2 0.52..0.79 (median 0.655), MMP 0.2, probe lost 155
    assert row.split()[:3] == ["inter_subnet", "10", "655"]
    assert row.split()[-2:] == ["155", "200"]


def test_failures_show_their_delivery_gaps():
    failures = [{"what": "node gw1", "at_s": 10.0, "restore_s": 25.0,
                 "delivery_gap_s": {"mh1": 0.7, "mh2": None}}]
    text = format_summary(_summary(2, [], failures=failures), _handoffs(0), None)
    assert "failure at 10 s: node gw1 (back at 25 s); probe delivery gap: mh1 0.70 s, mh2 -" in text


def test_many_flows_are_summed_per_direction_and_hosts_without_address_are_named():
    flows = []
    for i in range(1, 21):
        flows.append({"name": "rtp", "kind": "rtp", "src": "ch", "dst": f"mh{i}", "sent_packets": 100,
                      "received_packets": 90, "lost_packets": 10})
        flows.append({"name": "tcp", "kind": "tcp", "src": "ch", "dst": f"mh{i}",
                      "sent_bytes": 0 if i == 7 else 1000, "received_bytes": 0 if i == 7 else 1000,
                      "bad_bytes": 0, "resets": 0, "completion_s": None if i == 7 else 3.0})
    s = _summary(20, flows)
    s["care_of_addresses"]["mh7"] = []
    s["care_of_addresses"]["mh3"] = ["10.1.0.4", "10.2.0.3", "10.1.0.9"]
    text = format_summary(s, _handoffs(0), None)
    assert "flows rtp ch->mh* (20): sent 2000, received 1800, lost 200 (10.0 %)" in text
    assert "flows tcp ch->mh* (20): 19 completed, 1 never sent; 19000 of 19000 bytes delivered" in text
    assert "care-of addresses: 19 of 20 hosts got one; 2 changes of address; never: mh7" in text
    assert sum(l.startswith("flow") for l in text.splitlines()) == 2
