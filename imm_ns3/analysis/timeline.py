"""A run's handoffs as pictures (``imm-sim draw RUN_DIR --timeline``, notebooks).

:func:`draw_timeline`: per mobile host, the cell it is attached to over time (coloured by
domain; blank while it has none), each handoff's components (L2 detection, L2 association,
the MMP part: beacon wait, DRCP, update) and each of its flows' delivery gaps (timeline bins
with nothing delivered between the flow's first and last delivery).

:func:`draw_sequence`: one handoff as a message-sequence chart in the style of Figures 5, 8
and 10, from the run's own event log: a lifeline per node that logged something about the
host in the handoff's window (the host itself, and any node whose entry names one of its
care-of addresses), time downwards. The log records what each node did, not every message:
an arrow joins one logged step to the next one on another node, labelled with the message the
log names ("by Registration") or the step; the handoff's components are brackets on the
host's lifeline. Both return what they drew as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..topology import build_topology
from .netmap import DOMAIN_COLOURS, KIND_COLOURS, NotARun, load_run

COMPONENTS = (  # (label, start column, end: column or start + duration column)
    ("L2 detect", "last_beacon_s", "deassoc_s"),
    ("L2 assoc", "deassoc_s", "t_s"),
)
MMP_COLOUR = "#9467bd"
# Periodic or start-up entries that say nothing about one handoff.
_QUIET = {"uplink"}


class BadChoice(ValueError):
    """An unknown host or a handoff index out of range (one line)."""


@dataclass
class Timeline:
    cells: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)  # mh -> (bs, t0, t1)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    gaps: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)  # (mh, flow)


@dataclass
class Sequence:
    lifelines: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    arrows: list[tuple[str, str, float, float, str]] = field(default_factory=list)
    components: list[tuple[str, float, float]] = field(default_factory=list)
    window: tuple[float, float] = (0.0, 0.0)


def _hosts(tables: dict, summary: dict) -> list[str]:
    return [h["name"] for h in summary.get("mobile_hosts", [])] or \
        sorted(set(tables["handoffs"]["mh"]))


def attachments(handoffs: pd.DataFrame, events: pd.DataFrame | None, mh: str,
                end_s: float) -> list[tuple[str, float, float]]:
    """(base station, from, to) of each attachment of ``mh``: its first from the event log's
    ``attach`` entry, the others from the handoffs table (left at deassoc_s, joined at t_s)."""
    hs = handoffs[handoffs.mh == mh].sort_values("t_s")
    first = None
    if events is not None and len(events):
        att = events[(events.node == mh) & (events.event == "attach")]
        if len(att):
            first = (str(att.iloc[0].detail).split()[0], float(att.iloc[0].t_s))
    if first is None and len(hs):
        first = (hs.iloc[0].old_bs, 0.0)
    if first is None:
        return []
    out, (bs, t0) = [], first
    for r in hs.itertuples(index=False):
        left = r.deassoc_s if pd.notna(r.deassoc_s) else r.t_s
        out.append((bs, t0, float(left)))
        bs, t0 = r.new_bs, float(r.t_s)
    out.append((bs, t0, end_s))
    return out


def delivery_gaps(timeline: pd.DataFrame, flow: str, src: str, dst: str) -> list[tuple[float, float]]:
    """Runs of timeline bins with nothing delivered, between the flow's first and last
    delivery (a gap at the very start or end is the flow not sending yet, or any more)."""
    t = timeline[(timeline.name == flow) & (timeline.src == src) & (timeline.dst == dst)].sort_values("t_s")
    if len(t) < 2:
        return []
    step = float(t.t_s.iloc[1] - t.t_s.iloc[0])
    got = t[t.bytes > 0]
    if not len(got):
        return []
    lo, hi = float(got.t_s.iloc[0]), float(got.t_s.iloc[-1])
    out, start = [], None
    for ts, n in zip(t.t_s, t.bytes):
        if ts < lo or ts > hi:
            continue
        if n == 0 and start is None:
            start = float(ts)
        elif n > 0 and start is not None:
            out.append((start, float(ts)))
            start = None
    return [(a, b) for a, b in out if b - a >= step - 1e-9]


def draw_timeline(ax, run_dir: str | Path, *, host: str | None = None, most_hosts: int = 6) -> Timeline:
    """Per host (``host`` only, or the first ``most_hosts``): cells, handoff components, flow
    gaps, on one Axes with time along x."""
    from matplotlib.patches import Patch

    s, tables, summary = load_run(run_dir)
    topo = build_topology(s)
    hosts = _hosts(tables, summary)
    if host is not None:
        if host not in hosts:
            raise BadChoice(f"--host {host}: no such mobile host in this run (it has"
                            f" {', '.join(hosts[:8])}{' ...' if len(hosts) > 8 else ''})")
        hosts = [host]
    hosts = hosts[:most_hosts]
    end = float(summary.get("sim_time_s") or s.simulation.duration_s)
    ho, ev, tl = tables["handoffs"], tables.get("events"), tables.get("timeline")
    dcol = {d: DOMAIN_COLOURS[i % len(DOMAIN_COLOURS)] for i, d in enumerate(s.domains)}
    out = Timeline()
    y, ticks = 0.0, []
    for mh in hosts:
        flows = []
        if tl is not None and len(tl):
            flows = sorted({(r.name, r.src, r.dst) for r in tl[(tl.src == mh) | (tl.dst == mh)]
                           [["name", "src", "dst"]].drop_duplicates().itertuples(index=False)})
        for name, src, dst in reversed(flows):
            gaps = delivery_gaps(tl, name, src, dst)
            out.gaps[(mh, f"{name} {src}->{dst}")] = gaps
            ax.broken_barh([(a, b - a) for a, b in gaps], (y - 0.3, 0.6), color="#d62728",
                           gid=f"gaps:{mh}:{name}:{src}")
            ax.plot([0, end], [y, y], color="#dddddd", lw=0.6, zorder=0)
            ticks.append((y, f"{name} {src}->{dst}: gaps"))
            y += 1
        hs = ho[ho.mh == mh].sort_values("t_s")
        for r in hs.itertuples(index=False):
            row = r._asdict()
            segs = [(lab, row.get(a), row.get(b)) for lab, a, b in COMPONENTS]
            mmp = row.get("mmp_s")
            if pd.notna(mmp):
                segs.append(("MMP", row["t_s"], row["t_s"] + mmp))
            for (lab, a, b), colour in zip(segs, ("#7f7f7f", "#bcbd22", MMP_COLOUR)):
                if pd.notna(a) and pd.notna(b) and b > a:
                    ax.broken_barh([(a, b - a)], (y - 0.35, 0.7), color=colour, gid=f"component:{lab}")
            total = sum(b - a for _, a, b in segs if pd.notna(a) and pd.notna(b))
            ax.annotate(f"{1e3 * total:.0f} ms", (row["t_s"], y + 0.4), fontsize=6.5, ha="center",
                        va="bottom")
            out.handoffs.append({"mh": mh, "t_s": row["t_s"], "kind": row["kind"],
                                 "components": {lab: (a, b) for lab, a, b in segs}})
        ticks.append((y, f"{mh}: handoff components"))
        y += 1
        cells = attachments(ho, ev, mh, end)
        out.cells[mh] = cells
        for bs, a, b in cells:
            colour = dcol.get(topo.domain_of(bs), "#999999") if bs in topo.radios else "#999999"
            ax.broken_barh([(a, b - a)], (y - 0.4, 0.8), color=colour, alpha=0.6, gid=f"cell:{mh}:{bs}")
            ax.text((a + b) / 2, y, bs, ha="center", va="center", fontsize=7)
        for r in hs.itertuples(index=False):
            ax.axvline(r.t_s, color=KIND_COLOURS.get(r.kind, "black"), lw=1, ls="--", alpha=0.7,
                       gid=f"handoff:{mh}")
        ticks.append((y, f"{mh}: attached to"))
        y += 1.6
    ax.set_yticks([t for t, _ in ticks], [lab for _, lab in ticks], fontsize=7)
    ax.set_xlim(0, end)
    ax.set_ylim(-0.8, y - 0.6)
    ax.set_xlabel("simulated time (s)")
    handles = [Patch(color=c, label=lab) for lab, c in (("L2 detection", "#7f7f7f"),
               ("L2 association", "#bcbd22"), ("MMP (beacon, DRCP, update)", MMP_COLOUR),
               ("delivery gap", "#d62728"))]
    handles += [Patch(color=KIND_COLOURS[k], label=f"{k.replace('_', '-')} handoff") for k in KIND_COLOURS]
    ax.legend(handles=handles, fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"{s.name} seed {summary.get('seed')}: cells, handoffs, delivery gaps", fontsize=9)
    return out


def _order(topo, nodes: list[str], mh: str, old_bs: str, new_bs: str) -> list[str]:
    rank = {mh: 0, new_bs: 1, old_bs: 2}
    for k, n in enumerate(topo.primary_path(new_bs)[1:] + topo.primary_path(old_bs)[1:]):
        rank.setdefault(n, 3 + k)
    roles = ("border_router", "drcp_server", "home_location_register", "home_agent", "sip_server",
             "correspondent")
    return sorted(dict.fromkeys(nodes), key=lambda n: (
        rank.get(n, 50 + (roles.index(topo.nodes[n].role) if n in topo.nodes and topo.nodes[n].role in roles else 9)), n))


def draw_sequence(ax, run_dir: str | Path, *, host: str | None = None, handoff: int = 0) -> Sequence:
    """Handoff number ``handoff`` (0-based, in time order) of ``host`` (default: the first host
    with a handoff) as a message-sequence chart."""
    s, tables, summary = load_run(run_dir)
    topo = build_topology(s)
    ho, ev = tables["handoffs"], tables.get("events")
    hosts = _hosts(tables, summary)
    if host is None:
        with_ho = [h for h in hosts if (ho.mh == h).any()]
        if not with_ho:
            raise BadChoice(f"{run_dir}: the run has no handoff to draw")
        host = with_ho[0]
    elif host not in hosts:
        raise BadChoice(f"--host {host}: no such mobile host in this run (it has"
                        f" {', '.join(hosts[:8])}{' ...' if len(hosts) > 8 else ''})")
    hs = ho[ho.mh == host].sort_values("t_s").reset_index(drop=True)
    if not 0 <= handoff < len(hs):
        raise BadChoice(f"--handoff {handoff}: {host} has {len(hs)} handoff(s) in this run"
                        + (f" (0 to {len(hs) - 1})" if len(hs) else ""))
    if ev is None:
        raise NotARun(f"{run_dir}: no events.parquet")
    r = hs.iloc[handoff]
    t0 = float(r.last_beacon_s) if pd.notna(r.last_beacon_s) else float(r.t_s) - 0.6
    spans = [float(r[c]) for c in ("mmp_s", "reinvite_s", "tcp_resume_s", "rtp_resume_s")
             if c in r and pd.notna(r[c])]
    t_end = float(r.t_s) + max(spans + [0.3]) + 0.05
    if handoff + 1 < len(hs):
        t_end = min(t_end, float(hs.iloc[handoff + 1].last_beacon_s) - 1e-6
                    if pd.notna(hs.iloc[handoff + 1].last_beacon_s) else float(hs.iloc[handoff + 1].t_s))
    coas = {str(c) for c in (r.get("coa"), hs.iloc[handoff - 1].get("coa") if handoff else None)
            if isinstance(c, str) and c}
    w = ev[(ev.t_s >= t0 - 1e-9) & (ev.t_s <= t_end) & ~ev.event.isin(_QUIET)]
    w = w[(w.node == host) | w.detail.astype(str).apply(lambda d: any(c in d for c in coas))]
    rows = [{"t_s": t0, "node": host, "event": "last_beacon", "detail": f"from {r.old_bs} (handoffs table)"}]
    rows += [{"t_s": float(e.t_s), "node": e.node, "event": e.event, "detail": str(e.detail)}
             for e in w.sort_values("t_s", kind="stable").itertuples(index=False)]
    out = Sequence(window=(t0, t_end))
    lifelines = _order(topo, [host, r.new_bs, r.old_bs, *w.node], host, r.old_bs, r.new_bs)
    out.lifelines = lifelines
    xs = {n: i for i, n in enumerate(lifelines)}
    n_rows = len(rows)
    log_x = len(lifelines) - 0.4
    for n, x in xs.items():
        ax.plot([x, x], [-0.5, n_rows - 0.5], color="#bbbbbb", lw=1, zorder=0, gid=f"lifeline:{n}")
        ax.text(x, -0.7, n, ha="center", va="bottom", fontsize=7.5, fontweight="bold")
    # Rows in order (Figures 5/8/10 are ordinal too); the time of each is on the left.
    for i, e in enumerate(rows):
        x = xs[e["node"]]
        ax.scatter([x], [i], s=14, color="black", zorder=3)
        ax.text(log_x, i, f"{e['node']}: {e['event']} {e['detail']}"[:60], fontsize=6.5, va="center")
        out.events.append(e)
        if i and rows[i - 1]["node"] != e["node"]:
            prev = rows[i - 1]
            label = e["detail"].split(" by ", 1)[1] if " by " in e["detail"] else e["event"]
            ax.annotate("", (x, i), xytext=(xs[prev["node"]], i - 1),
                        arrowprops={"arrowstyle": "-|>", "color": "#1f77b4", "lw": 0.9})
            ax.text((x + xs[prev["node"]]) / 2, i - 0.5, label, fontsize=6, color="#1f77b4",
                    ha="center", va="bottom")
            out.arrows.append((prev["node"], e["node"], prev["t_s"], e["t_s"], label))
    # Components on the host's lifeline: from the first row at or after their start to the
    # last row at or before their end.
    comps = [("L2 detect", r.last_beacon_s, r.deassoc_s), ("L2 assoc", r.deassoc_s, r.t_s)]
    if pd.notna(r.get("mmp_s")):
        comps.append(("MMP", r.t_s, r.t_s + r.mmp_s))
    times = [e["t_s"] for e in rows]
    for (lab, a, b), colour in zip(comps, ("#7f7f7f", "#bcbd22", MMP_COLOUR)):
        if pd.isna(a) or pd.isna(b):
            continue
        ia = next((i for i, t in enumerate(times) if t >= a - 1e-9), n_rows - 1)
        ib = max((i for i, t in enumerate(times) if t <= b + 1e-9), default=ia)
        ax.plot([-0.3, -0.3], [ia - 0.3, max(ib, ia) + 0.3], color=colour, lw=6,
                solid_capstyle="butt", gid=f"component:{lab}")
        ax.text(-0.4, (ia + max(ib, ia)) / 2, f"{lab} {1e3 * (b - a):.0f} ms", ha="right",
                va="center", fontsize=7)
        out.components.append((lab, float(a), float(b)))
    ax.set_yticks(range(n_rows), [f"{t:.4f}" for t in times], fontsize=6.5)
    ax.set_xlim(-2.0, log_x + 3.2)
    ax.set_ylim(n_rows - 0.4, -1.2)
    ax.set_xticks([])
    ax.set_ylabel("simulated time (s), one row per logged step")
    ax.set_title(f"{s.name}: {host} handoff {handoff} at {r.t_s:.3f} s, {r.old_bs} -> {r.new_bs}"
                 f" ({r.kind.replace('_', '-')}); arrows join logged steps", fontsize=9,
                 color=KIND_COLOURS.get(r.kind, "black"))
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return out
