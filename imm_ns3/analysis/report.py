"""The end-of-run summary printed by ``imm-sim run`` (pure: a run's summary dict and its
handoffs table in, text out).

It fits the run: one line per handoff and per flow when there are few, per kind and per flow
direction when there are many (every row stays in the tables); the failures of the scenario
with the delivery gap each caused; attacks when the summary has them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

HANDOFF_ROWS = 12  # at most this many handoffs: one line each; more: one line per kind
FLOW_ROWS = 12  # at most this many flows: one line each; more: one line per flow direction
HOST_ROWS = 10  # at most this many hosts: their care-of addresses one by one


def _num(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.0f}"


def _ms(v: Any) -> str:
    return _num(None if v is None else v * 1e3)


def _table(header: list[str], rows: list[list[str]], left: int) -> list[str]:
    """Aligned columns: the first ``left`` are text (left-aligned), the rest numbers."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def fmt(cells: list[str]) -> str:
        return "  " + "  ".join(c.ljust(w) if i < left else c.rjust(w)
                                for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [fmt(header)] + [fmt(r) for r in rows]


def _handoff_lines(handoffs) -> list[str]:
    if handoffs is None or not len(handoffs):
        return []
    cols = set(handoffs.columns)
    get = lambda row, c: row[c] if c in cols else None  # noqa: E731
    if len(handoffs) <= HANDOFF_ROWS:
        rows = []
        for _, r in handoffs.sort_values("t_s").iterrows():
            rows.append([f"{r['t_s']:.2f}", str(r["mh"]), str(r["kind"]),
                         f"{r['old_bs']}->{r['new_bs']}", _ms(get(r, "l2_s")), _ms(get(r, "mmp_s")),
                         _num(get(r, "probe_lost")), _ms(get(r, "rtp_gap_s")),
                         _ms(get(r, "tcp_gap_s"))])
        return ["handoffs (ms; radio = detection + re-association, MMP = update after it):"] + _table(
            ["t s", "host", "kind", "cells", "radio", "MMP", "probe lost", "RTP gap", "TCP gap"], rows,
            left=4)
    rows = []
    for kind, g in handoffs.groupby("kind", sort=True):
        med = lambda c: g[c].median() if c in cols and g[c].notna().any() else None  # noqa: E731
        p95 = lambda c: g[c].quantile(0.95) if c in cols and g[c].notna().any() else None  # noqa: E731
        lost = g["probe_lost"].sum() if "probe_lost" in cols and g["probe_lost"].notna().any() else None
        rows.append([str(kind), str(len(g)), f"{_ms(med('l2_s'))} / {_ms(p95('l2_s'))}",
                     f"{_ms(med('mmp_s'))} / {_ms(p95('mmp_s'))}",
                     _num(g["mmp_retries"].sum()) if "mmp_retries" in cols else "-",
                     _num(lost), _ms(med("rtp_gap_s"))])
    return [f"handoffs per kind (ms, median / 95th percentile; {len(handoffs)} rows in"
            " handoffs.parquet):"] + _table(
        ["kind", "n", "radio", "MMP", "retries", "probe lost", "RTP gap median"], rows, left=1)


def _failure_lines(failures: list[dict]) -> list[str]:
    out = []
    for f in failures:
        back = f" (back at {f['restore_s']:g} s)" if f.get("restore_s") is not None else ""
        gaps = f.get("delivery_gap_s") or {}
        shown = ", ".join(f"{mh} {'-' if g is None else f'{g:.2f} s'}" for mh, g in gaps.items())
        out.append(f"failure at {f['at_s']:g} s: {f['what']}{back}; probe delivery gap: "
                   + (shown or "no probe flow"))
    return out


def _attack_lines(attacks: list[dict]) -> list[str]:
    return [f"attack {a.get('kind')} at {a.get('at_s', 0):g} s: attempted {a.get('attempted', 0)},"
            f" accepted {a.get('accepted', 0)}, hijacked {a.get('hijacked_packets', 0)} packets"
            for a in attacks]


def _care_of_lines(coas: dict[str, list[str]]) -> list[str]:
    if len(coas) <= HOST_ROWS:
        got = {mh: a for mh, a in coas.items() if a}
        return ["care-of addresses: " + "; ".join(f"{mh} {' -> '.join(a)}" for mh, a in got.items())] \
            if got else []
    none = [mh for mh, a in coas.items() if not a]
    changes = sum(max(len(a) - 1, 0) for a in coas.values())
    line = (f"care-of addresses: {len(coas) - len(none)} of {len(coas)} hosts got one;"
            f" {changes} changes of address")
    if none:
        line += f"; never: {', '.join(none[:8])}{' ...' if len(none) > 8 else ''}"
    return [line]


def _flow_line(f: dict) -> str:
    head = f"flow {f['name']} {f['src']}->{f['dst']}:"
    if f["kind"] in ("tcp", "tcp_bulk"):
        done = f.get("completion_s")
        return (f"{head} {f['received_bytes']} of {f['sent_bytes']} bytes delivered,"
                f" {int(f.get('bad_bytes') or 0)} bad, {f['resets']} resets, "
                + (f"completed in {done:.2f} s" if done is not None else "not completed"))
    return (f"{head} sent {f['sent_packets']}, received {f['received_packets']},"
            f" lost {f['lost_packets']} packets")


def _flow_lines(flows: list[dict], hosts: set[str]) -> list[str]:
    if len(flows) <= FLOW_ROWS:
        return [_flow_line(f) for f in flows]
    groups: dict[tuple, list[dict]] = {}
    for f in flows:
        src = "mh*" if f["src"] in hosts else f["src"]
        dst = "mh*" if f["dst"] in hosts else f["dst"]
        groups.setdefault((f["name"], f["kind"], src, dst), []).append(f)
    out = []
    for (name, kind, src, dst), fs in groups.items():
        head = f"flows {name} {src}->{dst} ({len(fs)}):"
        if kind in ("tcp", "tcp_bulk"):
            started = [f for f in fs if f.get("sent_bytes")]
            done = sum(f.get("completion_s") is not None for f in fs)
            rx = sum(int(f.get("received_bytes") or 0) for f in fs)
            tx = sum(int(f.get("sent_bytes") or 0) for f in fs)
            out.append(f"{head} {done} completed, {len(fs) - len(started)} never sent; {rx} of {tx}"
                       f" bytes delivered, {sum(int(f.get('bad_bytes') or 0) for f in fs)} bad,"
                       f" {sum(int(f.get('resets') or 0) for f in fs)} resets")
        else:
            sent = sum(int(f.get("sent_packets") or 0) for f in fs)
            lost = sum(int(f.get("lost_packets") or 0) for f in fs)
            share = f" ({100 * lost / sent:.1f} %)" if sent else ""
            out.append(f"{head} sent {sent}, received"
                       f" {sum(int(f.get('received_packets') or 0) for f in fs)}, lost {lost}{share};"
                       f" {sum(1 for f in fs if f.get('sent_packets'))} of them carried packets")
    return out


def format_summary(summary: dict, handoffs, out_dir: Path | None) -> str:
    h = summary["handoffs"]
    hosts = {m["name"] for m in summary["mobile_hosts"]}
    lines = [
        f"{summary['scenario']}  seed {summary['seed']}: {summary['sim_time_s']:g} s simulated in"
        f" {summary['wall_time_s']:.2f} s ({summary['speedup']}x real time)",
        f"mobile hosts: {len(hosts)}   handoffs: intra_domain {h['intra_domain']},"
        f" inter_domain {h['inter_domain']}, inter_subnet {h['inter_subnet']}",
    ]
    lines += _handoff_lines(handoffs)
    lines += _failure_lines(summary.get("failures") or [])
    lines += _attack_lines(summary.get("attacks") or [])
    lines += _care_of_lines(summary.get("care_of_addresses") or {})
    lines += _flow_lines(summary.get("flows") or [], hosts)
    lines.append(f"events: {summary['events']} (fingerprint {summary['fingerprint']})")
    if out_dir is not None:
        lines.append(f"results: {out_dir}/")
    return "\n".join(lines)
