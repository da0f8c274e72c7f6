"""A map of a scenario's network, drawn on a matplotlib Axes (``imm-sim draw``, notebooks).

Below a dotted line, to scale in metres: every base station with its cell where the received
power crosses ns-3's detection threshold in both directions (:mod:`.coverage`'s radio model:
the scenario's loss model, the station's and the hosts' transmit power; with
``wifi.propagation.shadowing_db`` a band from -1 to +1 standard deviation), its channel, the
mobile hosts' paths (or random-waypoint areas) with where coverage expects each host to leave
each cell, and the stretches out of every cell. Above it, schematic (not to scale): the wired
network, sub-networks and MMP domains as coloured groups, gateways, intermediate nodes,
up-links (primary solid, secondary dashed), border routers, DRCP servers, the backbone and the
fixed hosts. After a run, the handoffs where they happened, coloured by kind, with latency.

:func:`draw_network` returns a :class:`NetMap`: what it drew, as data (tests read it).
:func:`layout` is the schematic placement (NetAnim uses it too, ``imm-sim run --netanim``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..results import HANDOFF_KINDS
from ..scenario import Scenario, ScenarioError, load_scenario
from ..scenario.schema import ConstantVelocityMobility, RandomWaypointMobility, WaypointMobility
from ..topology import Topology, build_topology
from .coverage import REACH_DBM, STEP_S, hears, host_position, path_gaps, reach_m

KIND_COLOURS = {"intra_domain": "#2ca02c", "inter_domain": "#ff7f0e", "inter_subnet": "#d62728"}
ROLE_STYLE = {  # marker, colour, size
    "backbone_router": ("s", "#555555", 70), "border_router": ("D", "#8c50a0", 60),
    "subnet_router": ("s", "#888888", 50), "gateway": ("^", "#c83c3c", 80),
    "intermediate": ("o", "#e68c28", 55), "base_station": ("v", "#286ec8", 70),
    "drcp_server": ("P", "#a0a028", 50), "correspondent": ("*", "#000000", 110),
    "home_location_register": ("h", "#643c14", 55), "sip_server": ("h", "#643c14", 55),
    "home_agent": ("h", "#643c14", 55),
}
DOMAIN_COLOURS = ("#1f77b4", "#9467bd", "#17becf", "#bcbd22", "#e377c2", "#8c564b", "#7f7f7f")


class NotARun(ValueError):
    """A directory that is not an imm-ns3 run directory (one line saying why)."""


# --------------------------------------------------------------------------------------------
# The radio model's cells (coverage.py's, solved for distance).
# --------------------------------------------------------------------------------------------


def cell_radius_m(topo: Topology, bs: str, margin_db: float = 0.0) -> float:
    """The radius drawn for base station ``bs``'s cell: :func:`~.coverage.reach_m` with
    ``margin_db`` more loss than the model's mean (the shadowing band: -sigma and +sigma),
    at most 1,000 km."""
    return min(reach_m(topo, bs, margin_db), 1e6)


# --------------------------------------------------------------------------------------------
# Schematic placement of the wired nodes above the radio map.
# --------------------------------------------------------------------------------------------


def _depth(topo: Topology, node: str) -> int:
    return len(topo.primary_path(node)) - 1


def layout(topo: Topology) -> dict[str, tuple[float, float]]:
    """(x, y) in metres of every fixed node: base stations where they stand, the wired network
    in rows above the cells (backbone on top, then border routers and wired LANs, gateways,
    intermediate nodes by depth), each domain node above the base stations it serves."""
    s = topo.scenario
    pos: dict[str, tuple[float, float]] = {bs: r.position_m[:2] for bs, r in topo.radios.items()}
    radius = max((cell_radius_m(topo, bs) for bs in topo.radios), default=0.0)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    span = max(max(xs) - min(xs) + 2 * radius, 150.0)
    row = max(0.14 * span, 30.0)
    sep = max(0.085 * span, 28.0)
    y0 = max(ys) + radius + 0.6 * row
    domain_nodes = [n for n, p in topo.nodes.items() if p.role in ("gateway", "intermediate")]
    maxdepth = max((_depth(topo, n) for n in domain_nodes), default=0)

    def below(n: str) -> list[float]:  # x of the base stations under n (every down-link)
        if n in topo.radios:
            return [pos[n][0]]
        return [x for d in topo.domain_place(n).downlinks for x in below(d.peer)]

    rows: dict[float, list[tuple[float, str]]] = {}
    for n in domain_nodes:
        xb = below(n)
        x = sum(xb) / len(xb) if xb else sum(xs) / len(xs)
        rows.setdefault(y0 + (maxdepth - _depth(topo, n)) * row, []).append((x, n))
    y_br = y0 + (maxdepth + 1) * row
    gw_x = {n: x for r in rows.values() for x, n in r}
    for sname, sn in s.subnets.items():
        if sn.kind != "wireless":
            continue
        gws = [n for n, p in topo.nodes.items() if p.role == "gateway" and p.subnet == sname]
        cx = sum(gw_x[g] for g in gws) / len(gws) if gws else sum(xs) / len(xs)
        br = topo.border_router(sname)
        if br is not None:
            rows.setdefault(y_br, []).append((cx, br))
        rows.setdefault(y_br - 0.4 * row, []).append((cx + sep, f"{sname}-drcp"))
    x_right = max(xs) + radius + sep
    for lan in topo.lans:
        rows.setdefault(y_br, []).append((x_right, lan.router))
        for k, h in enumerate(lan.members[1:]):
            rows.setdefault(y_br - row, []).append((x_right + (k - (len(lan.members) - 2) / 2) * sep, h))
        x_right += max(len(lan.members) - 1, 1) * sep + sep
    routers = s.backbone.routers
    left, right = min(xs) - radius, x_right - sep
    for k, r in enumerate(routers):
        rows.setdefault(y_br + row, []).append((left + (right - left) * (k + 1) / (len(routers) + 1), r))
    for y, members in rows.items():  # spread nodes of a row at least ``sep`` apart
        members.sort()
        placed: list[float] = []
        for i, (x, n) in enumerate(members):
            group = [m for m in members if abs(m[0] - x) < 1e-9]
            if len(group) > 1:
                x += (group.index((x, n)) - (len(group) - 1) / 2) * sep
            if placed and x < placed[-1] + sep:
                x = placed[-1] + sep
            placed.append(x)
            pos[n] = (x, y)
    return pos


# --------------------------------------------------------------------------------------------
# Runs: a run directory's scenario and tables.
# --------------------------------------------------------------------------------------------


def load_run(run_dir: str | Path) -> tuple[Scenario, dict[str, pd.DataFrame], dict]:
    """The scenario, tables and summary of a run directory, or :class:`NotARun`."""
    from .reader import ResultsError, read_json, read_table

    d = Path(run_dir)
    if not d.exists():
        raise NotARun(f"{d}: no such directory")
    if not d.is_dir():
        raise NotARun(f"{d}: not a directory (a run directory written by imm-sim run)")
    for f in ("summary.json", "scenario.toml", "handoffs.parquet"):
        if not (d / f).is_file():
            raise NotARun(f"{d}: not a run directory (no {f}; imm-sim run --out writes one)")
    try:
        summary = read_json(d / "summary.json", ("scenario", "seed"))
        tables = {t: read_table(d / f"{t}.parquet", t)
                  for t in ("handoffs", "events", "flows", "timeline") if (d / f"{t}.parquet").exists()}
    except ResultsError as e:
        raise NotARun(str(e)) from None
    try:
        s = load_scenario(d / "scenario.toml")
    except ScenarioError as e:
        raise NotARun(f"{d / 'scenario.toml'}: {e.problems[0] if e.problems else e}") from None
    return s, tables, summary


# --------------------------------------------------------------------------------------------
# Drawing.
# --------------------------------------------------------------------------------------------


@dataclass
class NetMap:
    """What :func:`draw_network` drew, as data."""

    cells: dict[str, dict[str, Any]] = field(default_factory=dict)  # bs -> x, y, r, r_lo, r_hi, channel, domain
    nodes: dict[str, tuple[float, float, str]] = field(default_factory=dict)  # name -> x, y, role
    links: list[tuple[str, str, str, bool]] = field(default_factory=list)  # a, b, kind, primary
    groups: dict[str, str] = field(default_factory=dict)  # domain or subnet name -> label
    paths: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    exits: list[tuple[str, str, float, float, float]] = field(default_factory=list)  # mh, bs, t, x, y
    gaps: list[tuple[str, float, float]] = field(default_factory=list)  # mh, start, length
    areas: list[tuple[float, float, float, float]] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)  # mh, t_s, x, y, kind, ms


def _walkers(topo: Topology) -> list:
    """One host per distinct walk (hosts of one model differ only by start time: coverage.py)."""
    seen: dict[Any, Any] = {}
    for mh in topo.mobile_hosts:
        if isinstance(mh.mobility, (WaypointMobility, ConstantVelocityMobility)) or mh.path is not None:
            key = (id(mh.mobility), mh.name if mh.path is not None else None)
            seen.setdefault(key, mh)
    return list(seen.values())


def _deterministic(mh) -> bool:
    return mh.path is not None or isinstance(mh.mobility, (WaypointMobility, ConstantVelocityMobility))


def _handoff_points(topo: Topology, handoffs: pd.DataFrame) -> list[dict[str, Any]]:
    by_name = {mh.name: mh for mh in topo.mobile_hosts}
    out = []
    for r in handoffs.itertuples(index=False):
        mh = by_name.get(r.mh)
        if mh is not None and _deterministic(mh):
            x, y, _ = host_position(mh, float(r.t_s))
            placed = "position"
        else:  # random waypoint: where it was is not recorded; between the two cells
            (x0, y0, _), (x1, y1, _) = (topo.radios[r.old_bs].position_m, topo.radios[r.new_bs].position_m)
            x, y, placed = (x0 + x1) / 2, (y0 + y1) / 2, "between cells"
        l2 = getattr(r, "l2_s", float("nan"))
        mmp = getattr(r, "mmp_s", float("nan"))
        total = (0 if pd.isna(l2) else l2) + (0 if pd.isna(mmp) else mmp)
        out.append({"mh": r.mh, "t_s": float(r.t_s), "x": x, "y": y, "kind": r.kind,
                    "old_bs": r.old_bs, "new_bs": r.new_bs, "l2_ms": 1e3 * l2, "mmp_ms": 1e3 * mmp,
                    "latency_ms": 1e3 * total, "placed": placed})
    return out


def draw_network(ax, source: Scenario | Topology | str | Path, *, handoffs: pd.DataFrame | None = None,
                 title: str | None = None, annotate_most: int = 12) -> NetMap:
    """Draw the network of ``source`` (a scenario, its topology, or a run directory, whose
    handoffs are then drawn) on ``ax``; returns what was drawn (:class:`NetMap`)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, FancyBboxPatch, Rectangle, Wedge

    if isinstance(source, (str, Path)):
        s, tables, _ = load_run(source)
        topo = build_topology(s)
        if handoffs is None:
            handoffs = tables["handoffs"]
    else:
        topo = source if isinstance(source, Topology) else build_topology(source)
    s = topo.scenario
    m = NetMap()
    pos = layout(topo)
    domains = list(s.domains)
    dcol = {d: DOMAIN_COLOURS[i % len(DOMAIN_COLOURS)] for i, d in enumerate(domains)}
    sigma = s.wifi.propagation.shadowing_db

    # Cells, to scale.
    for bs, radio in topo.radios.items():
        x, y = radio.position_m[:2]
        r = cell_radius_m(topo, bs)
        r_lo, r_hi = (cell_radius_m(topo, bs, sigma), cell_radius_m(topo, bs, -sigma)) if sigma else (r, r)
        d = topo.domain_of(bs)
        if sigma:
            ax.add_patch(Wedge((x, y), r_hi, 0, 360, width=r_hi - r_lo, color=dcol[d], alpha=0.10, lw=0))
        ax.add_patch(Circle((x, y), r, fill=True, facecolor=dcol[d], alpha=0.07, lw=0))
        ax.add_patch(Circle((x, y), r, fill=False, edgecolor=dcol[d], lw=1.4, alpha=0.9,
                            gid=f"cell:{bs}"))
        ax.annotate(f"{bs}\nch {radio.channel}", (x, y), xytext=(0, -14), textcoords="offset points",
                    ha="center", va="top", fontsize=7, color=dcol[d])
        m.cells[bs] = {"x": x, "y": y, "r": r, "r_lo": r_lo, "r_hi": r_hi,
                       "channel": radio.channel, "domain": d}
    radio_top = max((c["y"] + c["r_hi"] for c in m.cells.values()), default=0.0)

    # Groups: sub-networks (grey boxes) and domains (coloured boxes) around their wired nodes.
    def box(names, pad, **kw):
        pts = [pos[n] for n in names if n in pos]
        if not pts:
            return None
        x0, x1 = min(p[0] for p in pts) - pad, max(p[0] for p in pts) + pad
        y0, y1 = min(p[1] for p in pts) - pad, max(p[1] for p in pts) + pad
        patch = FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle=f"round,pad=0,rounding_size={pad / 2}", **kw)
        ax.add_patch(patch)
        return x0, y1

    pad = max(0.025 * (max(p[0] for p in pos.values()) - min(p[0] for p in pos.values()) + 1), 6.0)
    for sname, sn in s.subnets.items():
        members = [n for n, p in topo.nodes.items() if p.subnet == sname and n not in topo.radios]
        corner = box(members, 2.2 * pad, facecolor="#f2f2f2", edgecolor="#aaaaaa", lw=0.8, zorder=0)
        if corner:
            ax.text(corner[0], corner[1], f" {sname} {sn.prefix}", fontsize=7, va="bottom", color="#555555")
            m.groups[sname] = f"{sname} {sn.prefix}"
    for d in domains:
        members = [n for n, p in topo.nodes.items() if p.domain == d and n not in topo.radios]
        corner = box(members, 1.2 * pad, facecolor=dcol[d], alpha=0.12, edgecolor=dcol[d], lw=1.0, zorder=0)
        did = s.domains[d].domain_id
        label = d if did is None else f"{d} (id {did})"
        low = min((pos[n][1] for n in members if n in pos), default=None)
        if corner and low is not None:
            ax.text(corner[0], low - 1.2 * pad, " " + label, fontsize=7, va="top", color=dcol[d])
        m.groups[d] = label

    # Wired links: domain up-links (primary solid, secondary dashed), the rest grey.
    for lk in topo.links:
        if lk.a not in pos or lk.b not in pos:
            continue
        primary = lk.uplink_rank in (None, 0)
        colour = dcol.get(topo.nodes[lk.b].domain, "#777777") if lk.kind == "domain" else "#777777"
        ax.plot([pos[lk.a][0], pos[lk.b][0]], [pos[lk.a][1], pos[lk.b][1]], color=colour,
                lw=1.3 if lk.kind in ("backbone", "access") else 1.0, ls="-" if primary else "--",
                alpha=0.8 if lk.b not in topo.radios else 0.45, zorder=1, gid=f"link:{lk.a}-{lk.b}")
        m.links.append((lk.a, lk.b, lk.kind, primary))
    for lan in topo.lans:
        for h in lan.members[1:]:
            ax.plot([pos[lan.router][0], pos[h][0]], [pos[lan.router][1], pos[h][1]], color="#999999",
                    lw=0.8, zorder=1)
            m.links.append((lan.router, h, "lan", True))

    # Nodes.
    for n, (x, y) in pos.items():
        role = topo.nodes[n].role
        mk, colour, size = ROLE_STYLE.get(role, ("o", "#333333", 40))
        ax.scatter([x], [y], marker=mk, s=size, color=colour, edgecolor="white", lw=0.6, zorder=4,
                   gid=f"node:{n}")
        if n not in topo.radios:
            ax.annotate(n, (x, y), xytext=(0, 6), textcoords="offset points", ha="center",
                        fontsize=6.5, zorder=5)
        m.nodes[n] = (x, y, role)
    xs = [p[0] for p in pos.values()]
    sep_y = radio_top + 0.15 * (min((p[1] for n, p in pos.items() if n not in topo.radios),
                                    default=radio_top + 10) - radio_top)
    ax.axhline(sep_y, color="#bbbbbb", ls=":", lw=0.8, zorder=0)
    ax.text(max(xs), sep_y, "wired network: schematic, not to scale ", fontsize=6.5, va="bottom",
            ha="right", color="#777777")
    ax.text(max(xs), sep_y, "radio map: to scale (m) ", fontsize=6.5, va="top", ha="right",
            color="#777777")

    # Mobile hosts: paths, exits from each cell, stretches out of coverage, random areas.
    count = {}
    for mh in topo.mobile_hosts:
        count[id(mh.mobility)] = count.get(id(mh.mobility), 0) + 1
    dur = s.simulation.duration_s
    steps = int(dur / STEP_S) + 1
    for mh in _walkers(topo):
        pts, inside = [], set()
        for k in range(steps + 1):
            t = min(k * STEP_S, dur)
            p = host_position(mh, t)
            pts.append(p[:2])
            now = {bs for bs in topo.radios if hears(topo, bs, p, mh.tx_power_dbm)}
            for bs in sorted(inside - now):
                m.exits.append((mh.name, bs, t, p[0], p[1]))
            inside = now
        label = mh.name if count[id(mh.mobility)] == 1 or mh.path is not None else \
            f"{mh.name} (and {count[id(mh.mobility)] - 1} more on this walk)"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color="#2a8a3a", lw=1.2, zorder=3,
                gid=f"path:{mh.name}")
        ax.scatter([pts[0][0]], [pts[0][1]], marker="o", s=30, color="#2a8a3a", zorder=5)
        ax.annotate(label, pts[0], xytext=(4, -10), textcoords="offset points", fontsize=7,
                    color="#2a8a3a")
        if len(pts) > 1 and pts[-1] != pts[-2]:
            ax.annotate("", pts[-1], xytext=pts[-2], arrowprops={"arrowstyle": "-|>", "color": "#2a8a3a"})
        m.paths[mh.name] = pts
    for mh_name, bs, t, x, y in m.exits:
        ax.scatter([x], [y], marker="x", s=36, color="#444444", zorder=6, lw=1.5)
        ax.annotate(f"leaves {bs}\n{t:.1f} s", (x, y), xytext=(-3, 6), textcoords="offset points",
                    ha="right", fontsize=6, color="#444444", zorder=6)
    walked = {mh.name for mh in _walkers(topo)}
    for g in path_gaps(topo):
        if g.host not in walked:
            continue
        mh = next(h for h in topo.mobile_hosts if h.name == g.host)
        seg = [host_position(mh, g.start_s + k * STEP_S)[:2] for k in range(int(g.length_s / STEP_S) + 1)]
        ax.plot([p[0] for p in seg], [p[1] for p in seg], color="#d62728", lw=3, alpha=0.6, zorder=3)
        m.gaps.append((g.host, g.start_s, g.length_s))
    areas = {id(mh.mobility): mh.mobility for mh in topo.mobile_hosts
             if isinstance(mh.mobility, RandomWaypointMobility)}
    for key, mob in areas.items():
        x0, y0, x1, y1 = mob.area_m
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, hatch="///", edgecolor="#2a8a3a",
                               alpha=0.45, lw=1.0, zorder=2, gid="area"))
        ax.text(x0, y0, f" {count[key]} host{'s' if count[key] > 1 else ''}: random waypoint, up to {mob.speed_mps:g} m/s",
                fontsize=7, va="top", color="#2a8a3a")
        m.areas.append(tuple(mob.area_m))

    # A run's handoffs.
    if handoffs is not None and len(handoffs):
        m.handoffs = _handoff_points(topo, handoffs)
        for kind in HANDOFF_KINDS:
            hs = [h for h in m.handoffs if h["kind"] == kind]
            if hs:
                ax.scatter([h["x"] for h in hs], [h["y"] for h in hs], marker="o", s=70,
                           facecolor=KIND_COLOURS[kind], edgecolor="black", lw=0.7, zorder=7,
                           gid=f"handoffs:{kind}")
        if len(m.handoffs) <= annotate_most:
            for i, h in enumerate(m.handoffs):
                ax.annotate(f"{h['mh']} {h['t_s']:.1f} s {h['kind']}\nL2 {h['l2_ms']:.0f} + MMP "
                            f"{h['mmp_ms']:.0f} = {h['latency_ms']:.0f} ms", (h["x"], h["y"]),
                            xytext=(6, 16 if i % 2 == 0 else -34), textcoords="offset points", fontsize=6.5, zorder=8,
                            bbox={"boxstyle": "round", "fc": "white", "ec": KIND_COLOURS[h["kind"]],
                                  "alpha": 0.9})

    # Legend.
    handles = [Line2D([], [], marker=ROLE_STYLE[r][0], color=ROLE_STYLE[r][1], ls="", label=r.replace("_", " "))
               for r in ROLE_STYLE if any(p.role == r for p in topo.nodes.values())]
    handles += [Line2D([], [], color="#444444", label="primary up-link"),
                Line2D([], [], color="#444444", ls="--", label="secondary up-link")]
    if m.paths:
        handles.append(Line2D([], [], color="#2a8a3a", label="host path"))
        handles.append(Line2D([], [], marker="x", color="#444444", ls="", label="leaves a cell"))
    if m.gaps:
        handles.append(Line2D([], [], color="#d62728", lw=3, alpha=0.6, label="out of every cell"))
    if sigma:
        handles.append(Line2D([], [], color="#888888", lw=6, alpha=0.3, label=f"cell edge +-{sigma:g} dB"))
    for kind in HANDOFF_KINDS:
        hs = [h["latency_ms"] for h in m.handoffs if h["kind"] == kind]
        if hs:
            med = sorted(hs)[len(hs) // 2]
            handles.append(Line2D([], [], marker="o", color=KIND_COLOURS[kind], mec="black", ls="",
                                  label=f"{kind.replace('_', '-')} handoff ({len(hs)}, median {med:.0f} ms)"))
    ax.legend(handles=handles, fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title or f"{s.name}: {s.wifi.standard}, {s.wifi.propagation.model}, cells at"
                          f" {REACH_DBM:g} dBm", fontsize=9)
    return m

