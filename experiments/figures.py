"""The figures of experiments E1-E6, drawn from stored sweep results only.

Each function takes the :class:`imm_ns3.results.SweepResults` of its sweep directory (from
``imm_ns3.results.load``) and returns a matplotlib Figure; ``summary_*`` functions return the
numbers behind it as a DataFrame (the notebooks show them); ``check_*`` functions return the
rows of ``results/model-check.csv`` (simulated against :mod:`imm_ns3.model`). Skewed or bimodal
quantities (latencies, interruptions) are shown as distributions with medians and bootstrap
95 % intervals (:mod:`imm_ns3.stats`); counts summed over many packets as means with Student-t
intervals. ``imm-sim figures`` saves them (PNG and PDF) stamped with the versions the results
came from.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.stats import ecdf, mann_whitney, mean_ci, median_ci


def _per_results(fn):
    """Compute a frame once per loaded results object (a figure, its check and its summary all
    ask for it); each caller gets its own copy to change."""
    import functools

    @functools.wraps(fn)
    def wrapper(res, *args):
        cache = res.__dict__.setdefault("_frames", {})
        k = (fn.__name__, args)
        if k not in cache:
            cache[k] = fn(res, *args)
        v = cache[k]
        return v.copy() if isinstance(v, pd.DataFrame) else v

    return wrapper

KINDS = ("intra_domain", "inter_domain", "inter_subnet")
KIND_LABEL = {"intra_domain": "intra-domain", "inter_domain": "inter-domain",
              "inter_subnet": "inter-subnet"}


def _agg(df: pd.DataFrame, by: list[str], col: str) -> pd.DataFrame:
    rows = []
    for keys, g in df.groupby(by, dropna=False, sort=True):
        m, h, n = mean_ci(g[col])
        rows.append({**dict(zip(by, keys if isinstance(keys, tuple) else (keys,))),
                     "mean": m, "ci95": h, "n": n})
    return pd.DataFrame(rows)


def _yerr(a: pd.DataFrame):
    """Error bars of a count that cannot go below zero: the lower bar stops at 0."""
    ci = a.ci95.fillna(0).to_numpy()
    m = a["mean"].fillna(0).to_numpy()
    return np.vstack([np.minimum(ci, m), ci])


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        try:
            matplotlib.use("Agg")
        except Exception:  # noqa: BLE001 - an interactive backend already in use is fine
            pass
    import matplotlib.pyplot as plt

    return plt


# ---- E1: handoff latency by movement kind and mechanism -------------------------------------
# What each flow's interruption measures, by kind of movement: inside a sub-network only MMP
# acts ([0048], [0049]); across sub-networks TCP also needs MIP-LR's update ([0068]) and RTP
# SIP's re-INVITE ([0075]).
TRAFFIC = (("UDP probe", "probe_gap_s", {"*": "MMP"}),
           ("TCP", "tcp_gap_s", {"inter_subnet": "MMP + MIP-LR", "*": "MMP"}),
           ("RTP", "rtp_gap_s", {"inter_subnet": "MMP + SIP re-INVITE", "*": "MMP"}))


def _mechanism(labels: dict, kind: str) -> str:
    return labels.get(kind, labels["*"])


def _model_of(res, key: str):
    from imm_ns3.topology import build_topology

    return build_topology(res.scenario(key))


def e1_models(res) -> dict:
    """Per movement kind, the analytic latencies of :mod:`imm_ns3.model` for the E1 walk (all
    runs share one scenario; the first run's is used): ``radio``, ``mmp`` and ``handoff``
    (radio + MMP) as :class:`imm_ns3.model.Latency`, plus the macro steps of the inter-subnet
    move (MIP-LR update one way to the correspondent, re-INVITE round trip)."""
    from imm_ns3 import model as M

    h = res.handoffs
    topo = _model_of(res, res.runs.key.iloc[0])
    out = {}
    for kind in KINDS:
        k = h[h.kind == kind]
        if not len(k):
            continue
        bs = k.new_bs.mode().iloc[0]
        radio = M.radio_latency(topo.scenario)
        mmp = M.mmp_latency(topo, kind, bs)
        out[kind] = {"radio": radio, "mmp": mmp, "handoff": radio + mmp, "new_bs": bs}
        if kind == "inter_subnet":
            ch = next(n for n, p in topo.nodes.items() if p.role == "correspondent")
            out[kind]["miplr_update_s"] = M.miplr_delay_s(topo, ch, bs, 60)
            out[kind]["reinvite_s"] = 2 * M.miplr_delay_s(topo, ch, bs, 600)
    return out


def summary_e1(res) -> pd.DataFrame:
    """One row per movement kind and quantity: median with its bootstrap 95 % CI, mean, n and
    the model's median and mean. Quantities: the radio part, MMP's part, their sum, and each
    flow's interruption (labelled by the mechanism that carried it), and for the inter-subnet
    move the macro steps themselves (MIP-LR update at the correspondent, re-INVITE answered)."""
    h = res.handoffs.copy()
    h["handoff_s"] = h.l2_s + h.mmp_s
    models = e1_models(res)
    rows = []

    def add(kind, quantity, mechanism, values, model_median=math.nan, model_mean=math.nan):
        m = median_ci(values)
        mean, half, _ = mean_ci(values)
        rows.append({"kind": kind, "quantity": quantity, "mechanism": mechanism,
                     "median_s": m.median, "ci_lo_s": m.lo, "ci_hi_s": m.hi,
                     "mean_s": mean, "mean_ci95_s": half, "n": m.n,
                     "model_median_s": model_median, "model_mean_s": model_mean})

    for kind in KINDS:
        k = h[h.kind == kind]
        mod = models.get(kind, {})
        for q, col in (("radio", "l2_s"), ("mmp", "mmp_s"), ("handoff", "handoff_s")):
            lat = mod.get(q)
            add(kind, q, "radio" if q == "radio" else "MMP", k[col],
                lat.median if lat else math.nan, lat.mean if lat else math.nan)
        if kind != "intra_domain" and mod:
            # The wait is uniform over one interval unless advertisements are lost on the air.
            interval = _model_of(res, res.runs.key.iloc[0]).scenario.drcp.advertisement_interval_s
            add(kind, "advertisement wait", "DRCP", k.adv_wait_s, interval / 2, interval / 2)
        for traffic, col, labels in TRAFFIC:
            lat = mod.get("handoff")
            med, mean = (lat.median, lat.mean) if lat else (math.nan, math.nan)
            if traffic == "TCP" and kind == "inter_subnet":
                # Across sub-networks the segments sent to the old address are lost and the
                # sender's window runs out: TCP resumes at its retransmission timer (1, 3, 7 s
                # after the last delivery), whatever MIP-LR does. The model takes each
                # handoff's outage (the probe's silence) through that ladder.
                from imm_ns3.model import tcp_resume_after_outage_s

                ladder = [tcp_resume_after_outage_s(g) for g in
                          pd.to_numeric(k.probe_gap_s, errors="coerce").dropna()]
                med, mean = (float(np.median(ladder)), float(np.mean(ladder))) if ladder \
                    else (math.nan, math.nan)
            # The other interruptions are compared with radio + MMP: the model of what MMP
            # alone costs.
            add(kind, f"{traffic} interruption", _mechanism(labels, kind),
                k[col] if col in k else [], med, mean)
        if kind == "inter_subnet":
            add(kind, "MIP-LR update at correspondent", "MIP-LR", k.get("tcp_update_s", []),
                mod.get("miplr_update_s", math.nan), mod.get("miplr_update_s", math.nan))
            add(kind, "re-INVITE answered", "SIP", k.get("reinvite_s", []),
                mod.get("reinvite_s", math.nan), mod.get("reinvite_s", math.nan))
            add(kind, "TCP resumes after care-of change", "MIP-LR + TCP", k.get("tcp_resume_s", []))
            add(kind, "RTP resumes after care-of change", "SIP", k.get("rtp_resume_s", []))
    return pd.DataFrame(rows)


def e1_lost_advertisements(res) -> pd.DataFrame:
    """Per kind: handoffs whose wait for a DRCP advertisement exceeded one interval, i.e. at
    least one broadcast advertisement was lost on the air."""
    h = res.handoffs
    interval = res.scenario(res.runs.key.iloc[0]).drcp.advertisement_interval_s
    rows = []
    for kind in ("inter_domain", "inter_subnet"):
        w = pd.to_numeric(h[h.kind == kind].adv_wait_s, errors="coerce").dropna()
        rows.append({"kind": kind, "handoffs": len(w), "longer_than_interval": int((w > interval).sum()),
                     "interval_s": interval})
    return pd.DataFrame(rows)


def e1_ordering(res) -> dict:
    """The ordering claim between inter-domain and inter-subnet MMP latency, with its test."""
    h = res.handoffs
    a, b = h[h.kind == "inter_domain"].mmp_s, h[h.kind == "inter_subnet"].mmp_s
    t = mann_whitney(a, b)
    return {"test": t, "text": t.text("inter-domain", "inter-subnet"),
            "significant": bool(t.p < 0.05)}


def check_e1(res) -> pd.DataFrame:
    s = summary_e1(res)
    rows = []
    for _, r in s.iterrows():
        if math.isnan(r.model_median_s):
            continue
        rows.append({"experiment": "e1", "quantity": f"{r.quantity} median (s)",
                     "condition": r.kind, "simulated": r.median_s, "model": r.model_median_s,
                     "n": r.n, "ci_lo": r.ci_lo_s, "ci_hi": r.ci_hi_s})
        if r.quantity in ("mmp", "handoff", "advertisement wait"):
            rows.append({"experiment": "e1", "quantity": f"{r.quantity} mean (s)",
                         "condition": r.kind, "simulated": r.mean_s, "model": r.model_mean_s,
                         "n": r.n, "ci_lo": r.mean_s - r.mean_ci95_s,
                         "ci_hi": r.mean_s + r.mean_ci95_s})
    return pd.DataFrame(rows)


def _strip(ax, x, values, color, width=0.28):
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    if not len(v):
        return
    jitter = (np.arange(len(v)) % 7 - 3) / 3 * width / 2
    ax.scatter(x + jitter, v, s=6, color=color, alpha=0.55, lw=0, zorder=3)


def e1(res):
    plt = _plt()
    h = res.handoffs.copy()
    h["handoff_s"] = h.l2_s + h.mmp_s
    models = e1_models(res)
    s = summary_e1(res)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1, 1.5]})
    # (a) MMP's part: the simulated distribution against the model's (a sum of uniform waits).
    for i, kind in enumerate(KINDS):
        x, p = ecdf(h[h.kind == kind].mmp_s)
        if len(x):
            ax1.step(x * 1e3, p, where="post", color=f"C{i}",
                     label=f"{KIND_LABEL[kind]} (n = {len(x)})")
        if kind in models:
            lat = models[kind]["mmp"]
            grid = np.linspace(0, max(lat.max * 1.05, 0.01), 200)
            ax1.plot(grid * 1e3, [lat.cdf(t) for t in grid], color=f"C{i}", ls="--", lw=1)
    ax1.plot([], [], color="0.3", ls="--", lw=1, label="model (uniform waits + round trips)")
    ax1.set_xlabel("MMP part: association -> update done (ms)")
    ax1.set_ylabel("fraction of handoffs")
    order = e1_ordering(res)
    ax1.set_title("(a) MMP latency, simulated and modelled", fontsize=9)
    lost = e1_lost_advertisements(res)
    lost_text = ", ".join(f"{KIND_LABEL[r.kind]} {r.longer_than_interval}/{r.handoffs}"
                          for _, r in lost.iterrows())
    ax1.text(0.24, 0.98, order["text"].replace(": ", ":\n", 1)
             + f"\nadvertisement wait > one interval (lost broadcast): {lost_text}",
             transform=ax1.transAxes, ha="left", va="top", fontsize=6.5, color="0.25",
             bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax1.legend(fontsize=7, loc="lower right")
    # (b) Interruption of each flow, labelled by the mechanism that carried it.
    colors = {"UDP probe": "C0", "TCP": "C1", "RTP": "C2"}
    width = 0.27
    x0 = np.arange(len(KINDS))
    for j, (traffic, col, labels) in enumerate(TRAFFIC):
        for i, kind in enumerate(KINDS):
            vals = pd.to_numeric(h[h.kind == kind][col], errors="coerce").dropna() * 1e3
            x = x0[i] + (j - 1) * width
            if len(vals):
                ax2.boxplot([vals], positions=[x], widths=width * 0.8, showfliers=False,
                            medianprops={"color": colors[traffic]}, whis=(5, 95))
                _strip(ax2, x, vals, colors[traffic], width * 0.8)
            ax2.text(x, 0.01, _mechanism(labels, kind), transform=ax2.get_xaxis_transform(),
                     rotation=90, ha="center", va="bottom", fontsize=6, color="0.3")
        ax2.plot([], [], "s", color=colors[traffic], label=traffic)
    for i, kind in enumerate(KINDS):
        if kind in models:
            lat = models[kind]["handoff"]
            ax2.hlines(lat.median * 1e3, x0[i] - 1.5 * width, x0[i] + 1.5 * width, color="black",
                       ls="--", lw=1, label="model: radio + MMP (median)" if i == 0 else None)
    tcp = s[(s.kind == "inter_subnet") & (s.quantity == "TCP interruption")]
    if len(tcp) and not math.isnan(tcp.model_median_s.iloc[0]):
        x = x0[KINDS.index("inter_subnet")]
        ax2.hlines(tcp.model_median_s.iloc[0] * 1e3, x - 0.5 * width / 1.0 + 0.0, x + 0.5 * width,
                   color="C1", ls=":", lw=1.5,
                   label="model: TCP retransmission timer (1 s, then 3 s)")
    ax2.set_xticks(x0, [KIND_LABEL[k] for k in KINDS])
    ax2.set_ylabel("interruption: longest silence of the flow (ms)")
    ax2.set_yscale("log")
    ax2.set_title("(b) each flow's interruption (box: quartiles, whiskers 5-95 %; dots: handoffs)",
                  fontsize=9)
    ax2.legend(fontsize=7, loc="upper left")
    n = int(s[s.quantity == "handoff"].n.min()) if len(s) else 0
    fig.suptitle(f"E1: handoff latency by kind of movement and by traffic (at least {n} handoffs"
                 " per kind)")
    fig.tight_layout()
    return fig


# ---- E2: packets lost per intra-domain handoff, hard vs semi-soft ----------------------------
E2_DELAY = "links.domain.delay_ms"
E2_PERIOD = "mmp.semisoft_period_s"


@_per_results
def _e2_frame(res) -> pd.DataFrame:
    """The intra-domain handoffs (the only kind semi-soft applies to), with the hand-off mode,
    semi-soft period, domain-link delay and probe rate of their run, and the model's loss."""
    from imm_ns3 import model as M
    from imm_ns3.topology import build_topology

    h = res.handoffs[res.handoffs.kind == "intra_domain"].copy()
    runs = res.runs.set_index("key")
    topos: dict = {}
    rows = []
    for _, r in h.iterrows():
        scen_key = (runs.loc[r.key, "case"], r.get(E2_DELAY), r.get("probe.rate_pps"))
        if scen_key not in topos:
            topos[scen_key] = build_topology(res.scenario(r.key))
        topo = topos[scen_key]
        sc = topo.scenario
        mode = sc.mmp.handoff
        period = sc.mmp.semisoft_period_s if mode == "semisoft" else 0.0
        rate = sc.probe.rate_pps
        rows.append({"key": r.key, "case": runs.loc[r.key, "case"], "seed": r.seed, "mode": mode,
                     "period_s": period, "delay_ms": sc.links.domain.delay_ms, "rate_pps": rate,
                     "probe_lost": r.probe_lost, "probe_duplicates": r.probe_duplicates,
                     "window_s": M.hard_switch_window_s(topo, r.old_bs, r.new_bs),
                     "model_lost": M.handoff_loss(rate, topo, r.old_bs, r.new_bs, mode, period)})
    return pd.DataFrame(rows)


def summary_e2(res) -> pd.DataFrame:
    """Per case and domain-link delay: loss per handoff as a median with its bootstrap 95 % CI
    (the counts are heavy-tailed: a few handoffs lose hundreds of milliseconds to a radio event)
    and as a mean, duplicates, n, and the model's loss and switch window."""
    d = _e2_frame(res)
    rows = []
    for (case, delay), g in d.groupby(["case", "delay_ms"], sort=True):
        m, ci, n = mean_ci(g.probe_lost)
        med = median_ci(g.probe_lost)
        rows.append({"case": case, "mode": g["mode"].iloc[0], "period_s": g.period_s.iloc[0],
                     "delay_ms": delay, "rate_pps": g.rate_pps.iloc[0],
                     "lost_median": med.median, "lost_ci_lo": med.lo, "lost_ci_hi": med.hi,
                     "lost_mean": m, "lost_ci95": ci,
                     # Handoffs that lost far more than the switch window can hold: a radio
                     # event (the trailing radio losing the old cell first), not the hand-off.
                     "outliers": int((g.probe_lost > 2 * g.model_lost + 20).sum()),
                     "duplicates_mean": float(g.probe_duplicates.mean()), "n": n,
                     "model_lost": float(g.model_lost.mean()),
                     "window_ms": float(g.window_s.mean() * 1e3)})
    return pd.DataFrame(rows)


def check_e2(res) -> pd.DataFrame:
    s = summary_e2(res)
    return pd.DataFrame([{"experiment": "e2", "quantity": "probe packets lost per handoff (median)",
                          "condition": f"{r.case}, domain links {r.delay_ms:g} ms",
                          "simulated": r.lost_median, "model": r.model_lost, "n": r.n,
                          "ci_lo": r.lost_ci_lo, "ci_hi": r.lost_ci_hi}
                         for _, r in s.iterrows()])


def e2(res):
    plt = _plt()
    d = _e2_frame(res)
    s = summary_e2(res)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    cases = sorted(s.case.unique(), key=lambda c: (c != "hard", c))
    delays = sorted(s.delay_ms.unique())
    pos = {dl: i for i, dl in enumerate(delays)}
    for j, case in enumerate(cases):
        a = s[s.case == case].sort_values("delay_ms")
        x = np.array([pos[v] for v in a.delay_ms]) + (j - (len(cases) - 1) / 2) * 0.22
        color = f"C{j}"
        yerr = np.vstack([(a.lost_median - a.lost_ci_lo).fillna(0).clip(lower=0),
                          (a.lost_ci_hi - a.lost_median).fillna(0).clip(lower=0)])
        ax1.errorbar(x, a.lost_median, yerr=yerr, fmt="o", color=color, capsize=3,
                     label=f"{case}: median, bootstrap 95 % CI")
        ax1.plot(x, a.model_lost, "_", color=color, ms=16, mew=2, label=f"{case}: model")
        for xi, dl in zip(x, a.delay_ms):
            pts = d[(d.case == case) & (d.delay_ms == dl)].probe_lost
            _strip(ax1, xi, pts, color, 0.15)
        ax2.plot([pos[v] for v in a.delay_ms], a.duplicates_mean, "o-", color=color, label=case)
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(delays)), [f"{v:g}" for v in delays])
        ax.set_xlabel("domain-link delay (ms, each hop)")
    rate = s.rate_pps.iloc[0] if len(s) else math.nan
    ax1.set_ylabel(f"probe packets lost per handoff ({rate:g} pkt/s)")
    ax1.set_title("(a) loss: model = rate x uncovered part of the switch window", fontsize=9)
    ax1.set_yscale("symlog", linthresh=10)
    ax1.set_ylim(bottom=0)
    ax1.legend(fontsize=6.5, ncol=1, loc="upper left")
    ax2.set_ylabel("duplicate probe packets per handoff (mean)")
    ax2.set_title("(b) duplicates: the price of bicasting", fontsize=9)
    ax2.legend(fontsize=7)
    n = int(s.n.min()) if len(s) else 0
    fig.suptitle(f"E2: intra-domain handoff of a two-radio host, hard vs semi-soft"
                 f" (at least {n} handoffs per point)")
    fig.tight_layout()
    return fig


# ---- E3: signalling load, integrated vs flat ------------------------------------------------
# Fixed periodic floods that do not grow with the hosts: left out of the per-entity panels
# (counted in the network-wide one).
PERIODIC = ("GatewayBeacon", "BaseStationBeacon", "DrcpAdvertisement")
E3_ROLES = (("home_location_register", "home location register"), ("sip_server", "SIP server"),
            ("gateway", "gateways (all)"))


def _e3_minutes(res, key) -> float:
    summ = res.summaries[key]
    warm = res.scenario(key).simulation.warmup_s
    return (summ["sim_time_s"] - warm) / 60.0


@_per_results
def e3_frame(res) -> pd.DataFrame:
    """Per run and kind of entity: control messages received and sent per minute after the
    warm-up (all entities of the role summed), periodic floods excluded, with the route-updates
    apart; and per run the network-wide signalling (every node's sent bytes, periodic floods
    included) per host."""
    sig = res.signalling
    has_rx = "received" in sig.columns and sig["received"].notna().any()
    rows = []
    for _, run in res.runs.iterrows():
        s = sig[sig.key == run.key]
        minutes = _e3_minutes(res, run.key)
        hosts = run["mobile_hosts.count"]
        mobility = s[~s.message.isin(PERIODIC)]
        for role, _ in E3_ROLES:
            r = mobility[mobility.role == role]
            rx = r["received"].sum() if has_rx else np.nan
            rows.append({"key": run.key, "case": run.case, "seed": run.seed, "mobile_hosts": hosts,
                         "speed_mps": run["mobility.speed_mps"], "role": role,
                         "received_per_min": rx / minutes, "sent_per_min": r["count"].sum() / minutes,
                         "route_updates_per_min": (r[r.message == "RouteUpdate"]["received"].sum()
                                                   if has_rx else np.nan) / minutes})
        rows.append({"key": run.key, "case": run.case, "seed": run.seed, "mobile_hosts": hosts,
                     "speed_mps": run["mobility.speed_mps"], "role": "network",
                     "received_per_min": np.nan, "sent_per_min": s["count"].sum() / minutes,
                     "bytes_per_min_per_host": s["bytes"].sum() / minutes / hosts})
    return pd.DataFrame(rows)


def e3_model(res) -> pd.DataFrame:
    """The model's received messages per minute per kind of entity (periodic floods excluded)
    for every (case, speed, hosts) of the sweep: random-waypoint handoff rates among the cells
    (imm_ns3.model.rwp_handoff_rates) times the protocol's message flows
    (imm_ns3.model.signalling_load)."""
    from imm_ns3 import model as M
    from imm_ns3.topology import build_topology

    rows = []
    seen = {}
    for _, run in res.runs.iterrows():
        cond = (run.case, run["mobility.speed_mps"], run["mobile_hosts.count"])
        if cond in seen:
            continue
        topo = build_topology(res.scenario(run.key))
        rk = (run.case, run["mobility.speed_mps"])
        if rk not in seen:
            seen[rk] = M.rwp_handoff_rates(topo, topo.scenario.mobility, host_seconds=100_000)
        rates = seen[rk]
        sim = topo.scenario.simulation
        load = M.signalling_load(topo, rates, int(run["mobile_hosts.count"]),
                                 window_s=(sim.warmup_s, sim.duration_s))
        seen[cond] = True
        for role, _ in E3_ROLES:
            total = sum(v for (r, m), v in load.items() if r == role and m not in PERIODIC)
            ru = load.get((role, "RouteUpdate"), 0.0)
            rows.append({"case": run.case, "speed_mps": run["mobility.speed_mps"],
                         "mobile_hosts": run["mobile_hosts.count"], "role": role,
                         "model_per_min": total, "model_route_updates_per_min": ru,
                         "handoffs_per_host_min": 60 * rates.total_per_s})
    return pd.DataFrame(rows)


def summary_e3(res) -> pd.DataFrame:
    d = e3_frame(res)
    d = d[d.role != "network"]
    a = _agg(d, ["role", "case", "speed_mps", "mobile_hosts"], "received_per_min")
    m = e3_model(res)
    return a.merge(m, on=["role", "case", "speed_mps", "mobile_hosts"], how="left")


def e3_handoff_rates(res) -> pd.DataFrame:
    """Simulated handoffs per host-minute (after the warm-up) against the random-waypoint model."""
    h = res.handoffs
    rows = []
    for _, run in res.runs.iterrows():
        warm = res.scenario(run.key).simulation.warmup_s
        n = int(((h.key == run.key) & (h.t_s >= warm) & h.kind.notna()).sum())
        rows.append({"key": run.key, "case": run.case, "speed_mps": run["mobility.speed_mps"],
                     "mobile_hosts": run["mobile_hosts.count"],
                     "per_host_min": n / _e3_minutes(res, run.key) / run["mobile_hosts.count"]})
    d = pd.DataFrame(rows)
    a = _agg(d, ["case", "speed_mps"], "per_host_min")
    m = e3_model(res).drop_duplicates(["case", "speed_mps"])[["case", "speed_mps",
                                                               "handoffs_per_host_min"]]
    return a.merge(m, on=["case", "speed_mps"], how="left")


def check_e3(res) -> pd.DataFrame:
    rows = []
    for _, r in summary_e3(res).iterrows():
        rows.append({"experiment": "e3", "quantity": f"{r.role} messages received per minute",
                     "condition": f"{r.case}, {r.speed_mps:g} m/s, {r.mobile_hosts} hosts",
                     "simulated": r["mean"], "model": r.model_per_min, "n": r.n,
                     "ci_lo": r["mean"] - r.ci95, "ci_hi": r["mean"] + r.ci95})
    for _, r in e3_handoff_rates(res).iterrows():
        rows.append({"experiment": "e3", "quantity": "handoffs per host-minute",
                     "condition": f"{r.case}, {r.speed_mps:g} m/s", "simulated": r["mean"],
                     "model": r.handoffs_per_host_min, "n": r.n, "ci_lo": r["mean"] - r.ci95,
                     "ci_hi": r["mean"] + r.ci95})
    return pd.DataFrame(rows)


def e3(res):
    plt = _plt()
    a = summary_e3(res)
    d = e3_frame(res)
    fig, axes = plt.subplots(1, len(E3_ROLES) + 1, figsize=(15, 3.9))
    styles = {"integrated": "-", "flat": "--"}
    for ax, (role, title) in zip(axes, E3_ROLES):
        r = a[a.role == role]
        for i, speed in enumerate(sorted(r.speed_mps.unique())):
            for case in ("integrated", "flat"):
                dd = r[(r.case == case) & (r.speed_mps == speed)].sort_values("mobile_hosts")
                if len(dd):
                    ax.errorbar(dd.mobile_hosts, dd["mean"], yerr=dd.ci95.fillna(0), ls="none",
                                marker="o" if case == "integrated" else "s", color=f"C{i}",
                                capsize=3, label=f"{case}, {speed:g} m/s")
                    ax.plot(dd.mobile_hosts, dd.model_per_min, ls=styles[case], color=f"C{i}",
                            lw=1, alpha=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("mobile hosts")
        ax.set_ylabel("messages received per minute")
        ax.set_xscale("log")
        ax.set_yscale("log")
    axes[0].plot([], [], color="0.3", lw=1, label="model (lines)")
    axes[0].legend(fontsize=6.5)
    ax = axes[-1]
    n = d[d.role == "network"]
    for i, speed in enumerate(sorted(n.speed_mps.unique())):
        for case in ("integrated", "flat"):
            g = _agg(n[(n.case == case) & (n.speed_mps == speed)], ["mobile_hosts"],
                     "bytes_per_min_per_host")
            if len(g):
                ax.errorbar(g.mobile_hosts, g["mean"] / 1e3, yerr=g.ci95.fillna(0) / 1e3,
                            ls=styles[case], marker="o", color=f"C{i}", capsize=3,
                            label=f"{case}, {speed:g} m/s")
    ax.set_xscale("log")
    ax.set_xlabel("mobile hosts")
    ax.set_ylabel("kB per minute per host, all nodes")
    ax.set_title("network-wide (periodic floods included)", fontsize=10)
    fig.suptitle("E3: signalling received per kind of entity after the warm-up,"
                 " integrated (MMP inside sub-networks) vs flat macro-mobility")
    fig.tight_layout()
    return fig


# ---- E4: MIP-LR vs classic Mobile IP ------------------------------------------------------------
MACRO_MESSAGES = ("MipUpdate", "MipUpdateAck", "MipQuery", "MipQueryReply",
                  "RegistrationRequest", "RegistrationReply")
E4_HOME = "subnets.home.access_link.delay_ms"
E4_CH = "subnets.sn0.access_link.delay_ms"


def _e4_model(topo, case: str) -> dict:
    """Model values of one E4 run's network: correspondent-to-mobile delay averaged over the
    walk's four cells, the update latency after the sub-network change (to the correspondent
    for MIP-LR, to the home agent for Mobile IP) and the TCP set-up delay at the first cell."""
    from imm_ns3 import model as M

    walk = [b for b in ("bs502a", "bs503a", "bs504a", "bs504b") if b in topo.radios]
    role = {p.role: n for n, p in topo.nodes.items()}
    ch, ha, hlr = role["correspondent"], role.get("home_agent"), role.get("home_location_register")
    syn = 60
    if case == "mip":
        delay = float(np.mean([M.mobile_ip_delay_s(topo, ch, ha, b) for b in walk]))
        update = M.path_s(topo, "bs504a", ha, 60) + M.unicast_s(60)
        first = walk[0]
        setup = M.mobile_ip_delay_s(topo, ch, ha, first, syn) + M.miplr_delay_s(topo, ch, first, syn)
    else:
        delay = float(np.mean([M.miplr_delay_s(topo, ch, b) for b in walk]))
        update = M.miplr_delay_s(topo, ch, "bs504a", 60)
        first = walk[0]
        query = 2 * M.path_s(topo, ch, hlr, 60) if hlr else 0.0
        setup = query + 2 * M.miplr_delay_s(topo, ch, first, syn)
    return {"model_delay_ms": delay * 1e3, "model_update_ms": update * 1e3,
            "model_setup_ms": setup * 1e3}


@_per_results
def e4_frame(res) -> pd.DataFrame:
    from imm_ns3.topology import build_topology

    f, sig, h = res.flows, res.signalling, res.handoffs
    rows = []
    per_condition: dict = {}  # (case, home, correspondent distance) -> (warm-up, model values)
    for _, run in res.runs.iterrows():
        ff = f[f.key == run.key]
        rtp = ff[(ff.name == "rtp") & (ff.src == "ch")]
        tcp = ff[ff.name == "tcp"]
        summ = res.summaries[run.key]
        cond = (run.case, run[E4_HOME], run.get(E4_CH))
        if cond not in per_condition:
            sc = res.scenario(run.key)
            per_condition[cond] = (sc.simulation.warmup_s, _e4_model(build_topology(sc), run.case))
        warm, model = per_condition[cond]
        # Care-of changes in the counting window (after the warm-up): the signalling per change.
        coa = h[(h.key == run.key) & (h.coa_changed == True) & (h.t_s >= warm)]  # noqa: E712
        changes = max(1, len(coa))
        s = sig[(sig.key == run.key) & sig.message.isin(MACRO_MESSAGES)]
        hh = h[(h.key == run.key) & (h.kind == "inter_subnet")]
        tunnelled = summ.get("macro_mobility", {}).get("home_agent", {}).get("tunnelled_packets", 0)
        minutes = summ["sim_time_s"] / 60.0
        setup = tcp["setup_s"].iloc[0] if len(tcp) and "setup_s" in tcp else math.nan
        rows.append({"key": run.key, "case": run.case, "seed": run.seed,
                     "home_delay_ms": run[E4_HOME],
                     "ch_delay_ms": run[E4_CH] if E4_CH in run else math.nan,
                     "delay_ms": float(rtp.delay_s.iloc[0]) * 1e3 if len(rtp) else math.nan,
                     "rtt_ms": float(tcp.rtt_s.iloc[0]) * 1e3 if len(tcp) else math.nan,
                     "setup_ms": float(setup) * 1e3 if setup is not None else math.nan,
                     "signalling_bytes_per_change": s["bytes"].sum() / changes,
                     "signalling_msgs_per_change": s["count"].sum() / changes,
                     "update_ms": float(hh.tcp_update_s.iloc[0]) * 1e3 if len(hh) else math.nan,
                     # Everything mobility management puts on the wire: its messages, plus the
                     # 20-byte outer header on every packet the home agent tunnels.
                     "overhead_bytes_per_min": (s["bytes"].sum() + 20 * tunnelled) / minutes,
                     **model})
    return pd.DataFrame(rows)


E4_METRICS = ("delay_ms", "update_ms", "setup_ms", "signalling_bytes_per_change",
              "overhead_bytes_per_min", "rtt_ms")


def summary_e4(res) -> pd.DataFrame:
    d = e4_frame(res)
    out = []
    for col in E4_METRICS:
        a = _agg(d, ["case", "home_delay_ms", "ch_delay_ms"], col)
        a.insert(0, "metric", col)
        model = f"model_{col}"
        if model in d:
            m = d.groupby(["case", "home_delay_ms", "ch_delay_ms"])[model].mean().rename("model")
            a = a.merge(m.reset_index(), on=["case", "home_delay_ms", "ch_delay_ms"], how="left")
        out.append(a)
    return pd.concat(out, ignore_index=True)


def check_e4(res) -> pd.DataFrame:
    a = summary_e4(res)
    a = a[a.metric.isin(["delay_ms", "update_ms", "setup_ms"])]
    return pd.DataFrame([{"experiment": "e4", "quantity": f"{r.metric} (mean)",
                          "condition": f"{r.case}, home {r.home_delay_ms:g} ms, correspondent"
                                       f" {r.ch_delay_ms:g} ms",
                          "simulated": r["mean"], "model": r.model, "n": r.n,
                          "ci_lo": r["mean"] - r.ci95, "ci_hi": r["mean"] + r.ci95}
                         for _, r in a.iterrows()])


def e4(res):
    plt = _plt()
    a = summary_e4(res)
    panels = (("delay_ms", "correspondent-to-mobile delay (ms)"),
              ("update_ms", "care-of change -> new address known (ms)"),
              ("setup_ms", "TCP connection set-up (ms)"),
              ("signalling_bytes_per_change", "signalling per care-of change (bytes)"),
              ("overhead_bytes_per_min", "signalling + tunnel headers (bytes/min)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(18, 3.9))
    names = {"miplr": "MIP-LR", "mip": "Mobile IP"}
    for ax, (metric, label) in zip(axes, panels):
        for i, case in enumerate(("miplr", "mip")):
            for j, chd in enumerate(sorted(a.ch_delay_ms.dropna().unique())):
                d = a[(a.metric == metric) & (a.case == case) & (a.ch_delay_ms == chd)]
                d = d.sort_values("home_delay_ms")
                if not len(d):
                    continue
                ax.errorbar(d.home_delay_ms, d["mean"], yerr=d.ci95.fillna(0), marker="os"[j],
                            ls="none", capsize=3, color=f"C{i}",
                            label=f"{names[case]}, correspondent {chd:g} ms")
                if "model" in d and d.model.notna().any():
                    ax.plot(d.home_delay_ms, d.model, ls="--" if j else "-", color=f"C{i}", lw=1)
        ax.set_xlabel("home network distance (ms, one way)")
        ax.set_ylabel(label, fontsize=8)
        if metric == "overhead_bytes_per_min":
            ax.set_yscale("log")
    axes[0].plot([], [], color="0.3", lw=1, label="model (lines)")
    axes[0].legend(fontsize=6.5)
    fig.suptitle("E4: MIP-LR against classic Mobile IP (register and home agent both in the home"
                 " network; signalling from 20 s on: per care-of change)")
    fig.tight_layout()
    return fig


# ---- E5: the walk of Figure 10 as time series ---------------------------------------------
def e5(res, seed: int = 1):
    plt = _plt()
    runs = res.runs[res.runs.seed == seed]
    key = (runs if len(runs) else res.runs).key.iloc[0]
    tl = res.timeline[res.timeline.key == key]
    h = res.handoffs[res.handoffs.key == key]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    tcp = tl[tl.name == "tcp"]
    width = float(np.diff(sorted(tl.t_s.unique()))[:1].min()) if tl.t_s.nunique() > 1 else 0.1
    ax1.plot(tcp.t_s, tcp.bytes * 8 / width / 1e3, drawstyle="steps-post", lw=0.8, color="C0")
    ax1.set_ylabel("TCP goodput (kbit/s)")
    rtp = tl[(tl.name == "rtp") & (tl.dst == "mh1")]
    ax2.plot(rtp.t_s, rtp.packets, drawstyle="steps-post", lw=0.8, color="C1")
    ax2.set_ylabel(f"RTP packets / {width * 1e3:g} ms")
    ax2.set_xlabel("simulated time (s)")
    for ax in (ax1, ax2):
        for _, ho in h.iterrows():
            ax.axvspan(ho.last_beacon_s, ho.t_s, color="grey", alpha=0.25, lw=0)
            ax.axvline(ho.t_s, color="black", lw=0.6, ls=":")
    for _, ho in h.iterrows():
        ax1.text(ho.t_s + 0.3, ax1.get_ylim()[1] * 0.92, KIND_LABEL.get(ho.kind, ho.kind), fontsize=7)
    fig.suptitle(f"E5: the walk (Figures 5, 8, 10), seed {seed}: TCP via MIP-LR and RTP via SIP;"
                 " grey: radio outage")
    fig.tight_layout()
    return fig


# ---- E6: redundancy ----------------------------------------------------------------------
E6_DETECTION = {"beacons": "beacon silence", "local": "local detection"}


def _e6_condition(run) -> dict:
    case = run.case if isinstance(run.case, str) else "redundant"
    det = run.get("mmp.failure_detection")
    br = run.get("mmp.border_route_delay_s")
    return {"case": case,
            "detection": det if isinstance(det, str) else "beacons",
            "br_delay_s": float(br) if br is not None and not pd.isna(br) else 0.0}


@_per_results
def e6_frame(res) -> pd.DataFrame:
    """Per failure and host: the probe's delivery gap (None: nothing arrived after the failure
    before the run's end) and whether the failure hit the path in use, as the run recorded it
    (summary.json ``on_path``; older runs without it: the probe stopped for more than five of
    its intervals)."""
    rows = []
    for _, run in res.runs.iterrows():
        sc = res.scenario(run.key)
        hit_over = 5.0 / sc.probe.rate_pps
        cond = _e6_condition(run)
        for f in res.summaries[run.key].get("failures", []):
            on_path = f.get("on_path") or {}
            for mh, gap in f["delivery_gap_s"].items():
                hit = on_path.get(mh, gap is None or gap > hit_over)
                # at_s: as scheduled (the condition); failed_at_s: when it happened (at_s plus
                # the failure's random delay, at_spread_s).
                rows.append({"key": run.key, "seed": run.seed, **cond,
                             "failure": f["what"], "at_s": f.get("scheduled_at_s", f["at_s"]),
                             "failed_at_s": f["at_s"], "restore_s": f.get("restore_s"),
                             "mh": mh, "gap_s": gap, "hit": bool(hit)})
    return pd.DataFrame(rows)


def e6_model(sc, failure: str):
    """Gap after a failure on the path in use of the redundant network ([0040], [0045]).

    With beacon silence, the nodes below notice when mmp.failover_beacons gateway-beacons are
    missing, counted from the last one received (the failure falls uniformly within a beacon
    interval): (k - 1) T + U(0, T); with local detection, mmp.local_detection_delay_s after the
    failure. Then the downlink caches heal from the host's next up-link packet, a route-update
    within mmp.route_update_interval_s (uniform, the probe being downlink only); after a
    gateway failure the border router also installs the secondary gateway's host route,
    mmp.border_route_delay_s later."""
    from imm_ns3 import model as M

    m = sc.mmp
    T = m.beacon_interval_s
    heal = M.uniform("host's next route-update", m.route_update_interval_s)
    if failure.startswith("node"):
        heal = heal + M.fixed("border-router convergence", m.border_route_delay_s)
    if m.failure_detection == "local":
        return M.fixed("local detection", m.local_detection_delay_s) + heal
    return M.fixed("missed gateway-beacons", (m.failover_beacons - 1) * T) + M.uniform("beacon phase", T) + heal


def _e6_model_of(res, g: pd.DataFrame):
    """The model of one condition, or None: a single path that never returns never recovers.
    Single path: nothing until the element returns, then its next gateway-beacon (uniform
    over T) and the host's next route-update (the border router's route never changed)."""
    from imm_ns3 import model as M

    r = g.iloc[0]
    sc = res.scenario(r.key)
    if r.case != "single-path":
        return e6_model(sc, r.failure)
    if r.restore_s is None or pd.isna(r.restore_s):
        return None
    return (M.fixed("until the element returns", r.restore_s - r.failed_at_s)
            + M.uniform("its next gateway-beacon", sc.mmp.beacon_interval_s)
            + M.uniform("host's next route-update", sc.mmp.route_update_interval_s))


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    z, p = 1.96, k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


E6_BY = ["failure", "case", "detection", "br_delay_s"]


def summary_e6(res) -> pd.DataFrame:
    """One row per failure and condition: how many failures hit the path in use (Wilson 95 %
    interval), the gap when hit (median, bootstrap 95 % interval; a failure with no delivery
    until the run's end counts as 'not recovered'), the gap when missed, and the model."""
    d = e6_frame(res)
    rows = []
    for keys, g in d.groupby(E6_BY, sort=False):
        hits = g[g.hit]
        lo, hi = _wilson(len(hits), len(g))
        recovered = hits.gap_s.dropna()
        m = median_ci(recovered) if len(recovered) == len(hits) else median_ci([])
        model = _e6_model_of(res, g)
        rows.append({**dict(zip(E6_BY, keys)), "at_s": g.at_s.iloc[0], "n": len(g),
                     "hits": len(hits), "hit_fraction": len(hits) / len(g) if len(g) else math.nan,
                     "hit_lo": lo, "hit_hi": hi,
                     "not_recovered": int(hits.gap_s.isna().sum()),
                     "gap_hit_median_s": m.median, "gap_hit_lo_s": m.lo, "gap_hit_hi_s": m.hi,
                     "gap_miss_median_s": float(g[~g.hit].gap_s.median()) if (~g.hit).any() else math.nan,
                     "model_gap_median_s": model.median if model is not None else math.nan,
                     "model_gap_mean_s": model.mean if model is not None else math.nan})
    out = pd.DataFrame(rows)
    order = {"redundant": 0, "single-path": 1}
    return (out.assign(_o=out.case.map(order)).sort_values(["at_s", "_o", "detection", "br_delay_s"])
            .drop(columns="_o").reset_index(drop=True))


def _e6_label(r, figure: bool = True) -> str:
    if figure and r.case == "single-path":
        return "single path"
    br = f", BR +{r.br_delay_s:g} s" if r.br_delay_s else ""
    return f"{E6_DETECTION[r.detection]}{br}"


def check_e6(res) -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "e6", "quantity": "delivery gap when the failure hit the"
                          " path in use (median, s)",
                          "condition": f"{r.failure} at {r.at_s:g} s, {r.case}, {_e6_label(r, False)}",
                          "simulated": r.gap_hit_median_s, "model": r.model_gap_median_s,
                          "n": r.hits, "ci_lo": r.gap_hit_lo_s, "ci_hi": r.gap_hit_hi_s}
                         for _, r in summary_e6(res).iterrows()
                         if r.hits and not math.isnan(r.model_gap_median_s)])


def e6(res):
    plt = _plt()
    a = summary_e6(res)
    d = e6_frame(res)
    # The single path's four conditions behave alike (nothing to switch to, no other gateway
    # to route to): one column per failure, the first; the check rows keep all four.
    single = a[a.case == "single-path"].groupby("failure", sort=False).head(1)
    shown = pd.concat([a[a.case == "redundant"], single]).sort_values("at_s", kind="stable")
    shown = shown.reset_index(drop=True)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2.2, 1]})
    xs, labels = [], []
    x = 0.0
    last_failure = None
    for _, r in shown.iterrows():
        if last_failure is not None and r.failure != last_failure:
            x += 0.8
        last_failure = r.failure
        g = d[(d.failure == r.failure) & (d.case == r.case) & (d.detection == r.detection)
              & (d.br_delay_s == r.br_delay_s) & d.hit]
        color = "C3" if r.case == "single-path" else ("C0" if r.detection == "beacons" else "C2")
        _strip(ax, x, g.gap_s.dropna() * 1e3, color, 0.4)
        if r.not_recovered:
            ax.annotate(f"{r.not_recovered}/{r.hits}\nnever\nrecovered", (x, 2e3), ha="center",
                        va="center", fontsize=7, color=color)
        elif not math.isnan(r.gap_hit_median_s):
            ax.errorbar(x + 0.28, r.gap_hit_median_s * 1e3,
                        yerr=[[max(0, r.gap_hit_median_s - r.gap_hit_lo_s) * 1e3],
                              [max(0, r.gap_hit_hi_s - r.gap_hit_median_s) * 1e3]],
                        fmt="o", color="black", ms=4, capsize=3,
                        label="median when hit, 95 % CI" if not xs else None)
        if not math.isnan(r.model_gap_median_s):
            ax.plot([x - 0.3, x + 0.3], [r.model_gap_median_s * 1e3] * 2, color="black", ls="--",
                    lw=1, label="model median" if not xs else None)
        xs.append(x)
        labels.append(_e6_label(r))
        x += 1
    ax.set_xticks(xs, labels, fontsize=7, rotation=30, ha="right")
    ax.set_xlim(-0.7, xs[-1] + 0.7 if xs else 1)
    ax.set_yscale("log")
    ax.set_ylim(10, 6e4)
    ax.set_ylabel("probe delivery gap when hit (ms; dots: one failure)")
    for failure, g in shown.groupby("failure", sort=False):
        i = [xs[j] for j in g.index]
        t = d[d.failure == failure].failed_at_s
        when = f"{t.min():.1f}-{t.max():.1f} s" if t.max() - t.min() > 0.05 else f"{t.min():g} s"
        ax.text(np.mean(i), 4.5e4, f"{failure} (at {when})", ha="center", fontsize=8)
    ax.legend(fontsize=7, loc="lower left")
    # One condition only: the redundant conditions share their seeds, and so mostly their paths.
    red = a[(a.case == "redundant") & (a.detection == "beacons") & (a.br_delay_s == 0)]
    frac = red.groupby("failure", sort=False).agg(hits=("hits", "sum"), n=("n", "sum"))
    for i, (failure, r) in enumerate(frac.iterrows()):
        lo, hi = _wilson(int(r.hits), int(r.n))
        p = r.hits / r.n
        ax2.bar(i, p, color="C0", alpha=0.7)
        ax2.errorbar(i, p, yerr=[[p - lo], [hi - p]], fmt="none", color="black", capsize=4)
        ax2.text(i, 0.03, f"{int(r.hits)}/{int(r.n)}", ha="center", fontsize=8)
    ax2.axhline(0.5, color="0.4", ls=":", lw=1)
    ax2.set_xticks(range(len(frac)), [w.split()[0] for w in frac.index], fontsize=8)
    ax2.set_ylabel("share that hit the path in use")
    ax2.set_title("redundant, beacon silence\n(Wilson 95 % CI)", fontsize=8)
    ax2.set_ylim(0, 1)
    fig.suptitle("E6: recovery with secondary gateways and up-links (Figures 2B, 2C)", fontsize=10)
    fig.tight_layout()
    return fig


# Experiment -> (sweep directory under results/, figure function, file name)


# ---- E7: the integrated policy against single mechanisms ---------------------------------------
E7_CASES = ("integrated", "sip-only", "miplr-only", "mobile-ip")
E7_ROLES = (("home_location_register", "location register"), ("sip_server", "SIP server"),
            ("home_agent", "home agent"), ("correspondent", "correspondent"))


def _e7_model(topo, case: str, handoff) -> dict:
    """RTP delay averaged over the walk's cells and the RTP interruption at the sub-network
    change: radio + MMP (median) plus the macro step's one-way signal to whoever redirects the
    stream (the correspondent for SIP and MIP-LR, the home agent for Mobile IP)."""
    from imm_ns3 import model as M

    walk = [b for b in ("bs502a", "bs503a", "bs504a", "bs504b") if b in topo.radios]
    role = {p.role: n for n, p in topo.nodes.items()}
    ch, ha = role["correspondent"], role.get("home_agent")
    if case == "mobile-ip":
        delay = float(np.mean([M.mobile_ip_delay_s(topo, ch, ha, b) for b in walk]))
        signal = M.path_s(topo, "bs504a", ha, 60) + M.unicast_s(60)
    else:
        delay = float(np.mean([M.miplr_delay_s(topo, ch, b) for b in walk]))
        signal = M.miplr_delay_s(topo, ch, "bs504a", 600 if case != "miplr-only" else 60)
    return {"model_rtp_delay_ms": delay * 1e3,
            "model_rtp_gap_s": handoff.median + signal}


@_per_results
def e7_frame(res) -> pd.DataFrame:
    """Per run: the inter-subnet handoff's interruptions, the flows' outcome (RTP loss and delay
    towards the host, TCP bytes delivered, resets, completion) and each entity's signalling
    bytes per minute (sent and received)."""
    from imm_ns3 import model as M
    from imm_ns3.topology import build_topology

    rows = []
    f, h, sig = res.flows, res.handoffs, res.signalling
    topo_cache = {}
    for _, run in res.runs.iterrows():
        if run.case not in topo_cache:
            topo = build_topology(res.scenario(run.key))
            hand = M.handoff_latency(topo, "inter_subnet", "bs504a")
            topo_cache[run.case] = _e7_model(topo, run.case, hand)
        ff = f[f.key == run.key]
        rtp = ff[(ff.name == "rtp") & (ff.src == "ch")]
        tcp = ff[ff.name == "tcp"]
        hh = h[(h.key == run.key) & (h.kind == "inter_subnet")]
        minutes = res.summaries[run.key]["sim_time_s"] / 60.0
        s = sig[sig.key == run.key]
        row = {"key": run.key, "case": run.case, "seed": run.seed,
               "rtp_gap_s": float(hh.rtp_gap_s.iloc[0]) if len(hh) else math.nan,
               "tcp_gap_s": float(hh.tcp_gap_s.iloc[0]) if len(hh) else math.nan,
               "probe_gap_s": float(hh.probe_gap_s.iloc[0]) if len(hh) else math.nan,
               "rtp_lost": float(rtp.lost_packets.iloc[0]) if len(rtp) else math.nan,
               "rtp_delay_ms": float(rtp.delay_s.iloc[0]) * 1e3 if len(rtp) else math.nan,
               "tcp_received_mb": float(tcp.received_bytes.iloc[0]) / 1e6 if len(tcp) else math.nan,
               "tcp_sent_mb": float(tcp.sent_bytes.iloc[0]) / 1e6 if len(tcp) else math.nan,
               "tcp_offered_mb": res.scenario(run.key).tcp.size_bytes / 1e6,
               "tcp_resets": float(tcp.resets.iloc[0]) if len(tcp) else math.nan,
               "tcp_completed": bool(len(tcp) and pd.notna(tcp.completion_s.iloc[0])),
               "tcp_stalled": bool(len(tcp) and pd.isna(tcp.completion_s.iloc[0])
                                   and tcp.received_bytes.iloc[0] < tcp.sent_bytes.iloc[0]),
               **topo_cache[run.case]}
        for r, _ in E7_ROLES:
            x = s[s.role == r]
            row[f"{r}_bytes_per_min"] = (x["bytes"].sum() + x["received_bytes"].sum()) / minutes
        rows.append(row)
    d = pd.DataFrame(rows)
    if len(d):
        # A transfer that stalled for good at the change has no interruption to measure (its
        # longest silence between deliveries says nothing): counted as stalled instead.
        d.loc[d.tcp_stalled, "tcp_gap_s"] = np.nan
        ladder = [M.tcp_resume_after_outage_s(g) if pd.notna(g) else math.nan
                  for g in d.probe_gap_s]
        d["model_tcp_gap_s"] = np.where(d.case == "sip-only", np.nan, ladder)
    return d


def summary_e7(res) -> pd.DataFrame:
    d = e7_frame(res)
    rows = []
    for case in [c for c in E7_CASES if c in set(d.case)]:
        g = d[d.case == case]
        out = {"case": case, "runs": len(g), "tcp_completed": int(g.tcp_completed.sum()),
               "tcp_stalled": int(g.tcp_stalled.sum()), "tcp_resets": float(g.tcp_resets.sum())}
        for col in ("rtp_gap_s", "tcp_gap_s", "rtp_lost"):
            m = median_ci(g[col])
            out.update({f"{col}_median": m.median, f"{col}_lo": m.lo, f"{col}_hi": m.hi})
        out["rtp_delay_ms"] = mean_ci(g.rtp_delay_ms)[0]
        out["tcp_received_mb"] = float(g.tcp_received_mb.median())
        for col in ("model_rtp_delay_ms", "model_rtp_gap_s"):
            out[col] = float(g[col].mean())
        out["model_tcp_gap_s"] = (float(g.model_tcp_gap_s.median())
                                  if g.model_tcp_gap_s.notna().any() else math.nan)
        for r, _ in E7_ROLES:
            out[f"{r}_bytes_per_min"] = float(g[f"{r}_bytes_per_min"].mean())
        rows.append(out)
    return pd.DataFrame(rows)


def check_e7(res) -> pd.DataFrame:
    rows = []
    for _, r in summary_e7(res).iterrows():
        rows.append({"experiment": "e7", "quantity": "RTP one-way delay to the host (mean, ms)",
                     "condition": r.case, "simulated": r.rtp_delay_ms,
                     "model": r.model_rtp_delay_ms, "n": r.runs})
        rows.append({"experiment": "e7", "quantity": "RTP interruption at the sub-network change"
                     " (median, s)", "condition": r.case, "simulated": r.rtp_gap_s_median,
                     "model": r.model_rtp_gap_s, "n": r.runs, "ci_lo": r.rtp_gap_s_lo,
                     "ci_hi": r.rtp_gap_s_hi})
        if not math.isnan(r.model_tcp_gap_s):
            rows.append({"experiment": "e7", "quantity": "TCP interruption at the sub-network"
                         " change (median, s)", "condition": r.case,
                         "simulated": r.tcp_gap_s_median, "model": r.model_tcp_gap_s,
                         "n": r.runs, "ci_lo": r.tcp_gap_s_lo, "ci_hi": r.tcp_gap_s_hi})
    return pd.DataFrame(rows)


def e7(res):
    plt = _plt()
    d = e7_frame(res)
    s = summary_e7(res).set_index("case")
    cases = [c for c in E7_CASES if c in s.index]
    x = np.arange(len(cases))
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    ax = axes[0]
    for j, (col, color, label) in enumerate((("rtp_gap_s", "C2", "RTP"),
                                             ("tcp_gap_s", "C1", "TCP"))):
        for i, case in enumerate(cases):
            v = pd.to_numeric(d[d.case == case][col], errors="coerce").dropna()
            xi = x[i] + (j - 0.5) * 0.35
            if len(v):
                ax.boxplot([v], positions=[xi], widths=0.3, showfliers=False, whis=(5, 95),
                           medianprops={"color": color})
                _strip(ax, xi, v, color, 0.3)
        ax.plot([], [], "s", color=color, label=label)
    for i, case in enumerate(cases):
        if s.loc[case, "tcp_stalled"]:
            ax.text(x[i] + 0.175, 0.8, f"TCP stalled\n{s.loc[case, 'tcp_stalled']}/"
                    f"{s.loc[case, 'runs']}", transform=ax.get_xaxis_transform(), ha="center",
                    fontsize=7, color="C1")
    ax.plot(x - 0.175, [s.loc[c, "model_rtp_gap_s"] for c in cases], "_", color="black", ms=14,
            mew=2, label="model (RTP): radio + MMP + the redirect")
    ax.set_yscale("log")
    ax.set_ylabel("interruption at the sub-network change (s)")
    ax.legend(fontsize=6.5, loc="lower right")
    ax = axes[1]
    ax.bar(x, [s.loc[c, "rtp_delay_ms"] for c in cases], color="C2", alpha=0.7, label="simulated")
    ax.plot(x, [s.loc[c, "model_rtp_delay_ms"] for c in cases], "_", color="black", ms=20,
            mew=2, label="model")
    ax.set_ylabel("RTP one-way delay to the host (ms)")
    ax.legend(fontsize=7)
    ax = axes[2]
    share = [float((d[d.case == c].tcp_received_mb / d[d.case == c].tcp_offered_mb).median())
             for c in cases]
    ax.bar(x, share, 0.6, color="C1", alpha=0.8, label="TCP: share of the transfer delivered")
    for i, c in enumerate(cases):
        ax.text(x[i], share[i] + 0.02, f"{s.loc[c, 'tcp_completed']}/{s.loc[c, 'runs']} completed"
                f"\nRTP lost {s.loc[c, 'rtp_lost_median']:g}", ha="center", fontsize=6.5)
    ax.set_ylim(0, 1.25)
    ax.set_ylabel("TCP bytes delivered / transfer size (median)")
    ax.legend(fontsize=7, loc="upper right")
    ax = axes[3]
    width = 0.8 / len(E7_ROLES)
    for k, (r, label) in enumerate(E7_ROLES):
        ax.bar(x + (k - (len(E7_ROLES) - 1) / 2) * width,
               [s.loc[c, f"{r}_bytes_per_min"] / 1e3 for c in cases], width, label=label)
    ax.set_ylabel("signalling sent + received (kB/min)")
    ax.legend(fontsize=7)
    for ax in axes:
        ax.set_xticks(x, cases, fontsize=8)
    n = int(s.runs.min()) if len(s) else 0
    fig.suptitle(f"E7: the integrated policy against single mechanisms on the same TCP and RTP"
                 f" traffic ({n} runs per policy)")
    fig.tight_layout()
    return fig


# ---- E8: the radio part ---------------------------------------------------------------------
E8_MISSED = "wifi.max_missed_beacons"
E8_MONITOR = "mmp.monitor_interval_s"
# Published 802.11b handoff latencies (Mishra, Shin and Arbaugh 2003): 58-400 ms per handoff,
# most of it the probe phase of a multi-channel scan.
PUBLISHED_L2_MS = (58.0, 400.0)


@_per_results
def e8_frame(res) -> pd.DataFrame:
    from imm_ns3 import model as M

    h = res.handoffs[res.handoffs.kind.notna()].copy()
    h["monitor_wait_s"] = h["monitor_wait_s"].fillna(0.0) if "monitor_wait_s" in h else 0.0
    h["radio_poll_s"] = h.l2_s + h.monitor_wait_s
    h["missed"] = h[E8_MISSED]
    h["monitor_s"] = h[E8_MONITOR]
    models = {}
    for _, run in res.runs.drop_duplicates([E8_MISSED, E8_MONITOR]).iterrows():
        sc = res.scenario(run.key)
        radio = M.radio_latency(sc)
        poll = M.uniform("interface poll", sc.mmp.monitor_interval_s) \
            if sc.mmp.monitor_interval_s > 0 else M.Latency()
        models[(run[E8_MISSED], run[E8_MONITOR])] = (radio, radio + poll)
    h["model_radio_median_s"] = [models[(m, t)][0].median for m, t in zip(h.missed, h.monitor_s)]
    h["model_radio_poll_median_s"] = [models[(m, t)][1].median for m, t in zip(h.missed, h.monitor_s)]
    return h


def summary_e8(res) -> pd.DataFrame:
    h = e8_frame(res)
    rows = []
    for (m, t), g in h.groupby(["missed", "monitor_s"], sort=True):
        r = median_ci(g.l2_s)
        rp = median_ci(g.radio_poll_s)
        rows.append({"missed": int(m), "monitor_s": t, "n": r.n,
                     "radio_median_s": r.median, "radio_lo_s": r.lo, "radio_hi_s": r.hi,
                     "radio_poll_median_s": rp.median, "radio_poll_lo_s": rp.lo,
                     "radio_poll_hi_s": rp.hi,
                     "probe_gap_median_s": float(g.probe_gap_s.median()),
                     "model_radio_median_s": float(g.model_radio_median_s.iloc[0]),
                     "model_radio_poll_median_s": float(g.model_radio_poll_median_s.iloc[0])})
    return pd.DataFrame(rows)


def check_e8(res) -> pd.DataFrame:
    rows = []
    for _, r in summary_e8(res).iterrows():
        cond = f"{r.missed} missed beacons, poll {r.monitor_s:g} s"
        rows.append({"experiment": "e8", "quantity": "radio part (median, s)", "condition": cond,
                     "simulated": r.radio_median_s, "model": r.model_radio_median_s, "n": r.n,
                     "ci_lo": r.radio_lo_s, "ci_hi": r.radio_hi_s})
        rows.append({"experiment": "e8", "quantity": "radio part + interface poll (median, s)",
                     "condition": cond, "simulated": r.radio_poll_median_s,
                     "model": r.model_radio_poll_median_s, "n": r.n, "ci_lo": r.radio_poll_lo_s,
                     "ci_hi": r.radio_poll_hi_s})
    return pd.DataFrame(rows)


def e8(res):
    plt = _plt()
    h = e8_frame(res)
    s = summary_e8(res)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for j, t in enumerate(sorted(s.monitor_s.unique())):
        a = s[s.monitor_s == t].sort_values("missed")
        color = f"C{j}"
        label = "callback" if t == 0 else f"interface poll every {t:g} s"
        yerr = np.vstack([(a.radio_poll_median_s - a.radio_poll_lo_s).clip(lower=0),
                          (a.radio_poll_hi_s - a.radio_poll_median_s).clip(lower=0)]) * 1e3
        ax1.errorbar(a.missed + (j - 0.5) * 0.15, a.radio_poll_median_s * 1e3, yerr=yerr, fmt="o",
                     color=color, capsize=3, label=f"{label}: median, bootstrap 95 % CI")
        ax1.plot(a.missed, a.model_radio_poll_median_s * 1e3, "-", color=color, lw=1,
                 label=f"{label}: model")
        for _, r in a.iterrows():
            g = h[(h.missed == r.missed) & (h.monitor_s == t)].radio_poll_s * 1e3
            _strip(ax1, r.missed + (j - 0.5) * 0.15, g, color, 0.12)
        x, p = ecdf(h[h.monitor_s == t].probe_gap_s * 1e3)
        ax2.step(x, p, where="post", color=color, label=f"{label} (all conditions)")
    ax1.axhspan(*PUBLISHED_L2_MS, color="0.85", zorder=0,
                label="802.11b measured (Mishra et al. 2003)")
    ax1.set_xlabel("beacons a station may miss (wifi.max_missed_beacons)")
    ax1.set_ylabel("radio part + wait for the daemon's poll (ms)")
    ax1.legend(fontsize=6.5)
    ax1.set_title("(a) the radio part against its model", fontsize=9)
    ax2.set_xlabel("probe interruption per handoff (ms)")
    ax2.set_ylabel("fraction of handoffs")
    ax2.set_title("(b) what the flow sees", fontsize=9)
    ax2.legend(fontsize=7)
    n = int(s.n.min()) if len(s) else 0
    fig.suptitle(f"E8: the radio part of the handoff (at least {n} handoffs per condition)")
    fig.tight_layout()
    return fig


# ---- E8, second part: 802.11 timers and the channel -----------------------------------------
E8_TIMER_CASES = ("default", "beacon-51ms", "beacon-205ms", "probe-20ms", "probe-100ms")
E8_CHANNEL_CASES = ("default", "shadowing-4dB", "shadowing-8dB", "rayleigh", "shadowing-4dB-rayleigh",
                    "shadowing-8dB-rayleigh", "shadowing-8dB-5mps", "shadowing-8dB-20mps")
# A radio part longer than the model by more than this took more than one scan, or its
# detection was stretched by a beacon heard late (fading).
E8_LONGER_S = 0.010


def _e8_label(case: str) -> str:
    return case.replace("shadowing-", "σ ").replace("-", " ")


@_per_results
def e8_channel_frame(res) -> pd.DataFrame:
    """Every handoff of the walk (the first attachment excluded), with its case, the model of
    its radio part (no loss: N x beacon interval + probe timeout + association) and whether it
    returned to the base station the host had left at its previous handoff (in a straight walk
    every return is the channel's doing: back and forth where two cells overlap)."""
    from imm_ns3 import model as M

    h = res.handoffs[res.handoffs.kind.notna()].copy()
    runs = res.runs.set_index("key")
    h["case"] = [runs.case[k] for k in h.key]
    models = {k: M.radio_latency(res.scenario(k)).median for k in h.key.unique()}
    h["model_radio_s"] = h.key.map(models)
    h = h.sort_values(["key", "mh", "t_s"])
    prev_old = h.groupby(["key", "mh"]).old_bs.shift(1)
    h["returned"] = (h.new_bs == prev_old).fillna(False).astype(bool)
    h["longer"] = h.l2_s > h.model_radio_s + E8_LONGER_S
    return h.reset_index(drop=True)


def summary_e8_channel(res) -> pd.DataFrame:
    h = e8_channel_frame(res)
    runs = res.runs
    rows = []
    for case in [c for c in dict.fromkeys(E8_TIMER_CASES + E8_CHANNEL_CASES) if c in set(runs.case)]:
        g = h[h.case == case]
        n_runs = int((runs.case == case).sum())
        per_run = g.groupby("key").size().reindex(runs[runs.case == case].key, fill_value=0)
        back = g.groupby("key").returned.sum().reindex(per_run.index, fill_value=0)
        m, ci, _ = mean_ci(per_run)
        r = median_ci(g.l2_s)
        lo, hi = _wilson(int(g.longer.sum()), len(g))
        rows.append({"case": case, "runs": n_runs, "n": len(g),
                     "handoffs_per_run": m, "handoffs_per_run_ci95": ci,
                     "returns_per_run": float(back.mean()),
                     "radio_median_s": r.median, "radio_lo_s": r.lo, "radio_hi_s": r.hi,
                     "radio_p90_s": float(g.l2_s.quantile(0.9)) if len(g) else math.nan,
                     "model_radio_s": float(g.model_radio_s.iloc[0]) if len(g) else math.nan,
                     "longer_share": g.longer.mean() if len(g) else math.nan,
                     "longer_lo": lo, "longer_hi": hi,
                     "probe_gap_median_s": float(g.probe_gap_s.median())})
    return pd.DataFrame(rows)


def check_e8_channel(res) -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "e8-channel", "quantity": "radio part (median, s)",
                          "condition": r.case, "simulated": r.radio_median_s,
                          "model": r.model_radio_s, "n": r.n, "ci_lo": r.radio_lo_s,
                          "ci_hi": r.radio_hi_s}
                         for _, r in summary_e8_channel(res).iterrows()])


def e8_channel(res):
    plt = _plt()
    h = e8_channel_frame(res)
    s = summary_e8_channel(res).set_index("case")
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4.4),
                                        gridspec_kw={"width_ratios": [1, 1.6, 1.1]})
    # (a) timers: measured against the model, one point per case
    timers = [c for c in E8_TIMER_CASES if c in s.index]
    for i, c in enumerate(timers):
        r = s.loc[c]
        ax1.errorbar(r.model_radio_s * 1e3, r.radio_median_s * 1e3,
                     yerr=[[max(0, r.radio_median_s - r.radio_lo_s) * 1e3],
                           [max(0, r.radio_hi_s - r.radio_median_s) * 1e3]],
                     fmt="o", color=f"C{i}", capsize=3, label=c)
    lim = [0, max(1.0, *(s.loc[timers].model_radio_s * 1e3 * 1.15))] if timers else [0, 1]
    ax1.plot(lim, lim, color="0.5", lw=1, ls="--", label="measured = model")
    ax1.set_xlim(lim)
    ax1.set_ylim(lim)
    ax1.set_xlabel("model: N x beacon interval + probe timeout + association (ms)")
    ax1.set_ylabel("radio part, median and 95 % CI (ms)")
    ax1.set_title("(a) 802.11 timers", fontsize=9)
    ax1.legend(fontsize=6.5)
    # (b) channel: every handoff's radio part, log scale
    chans = [c for c in E8_CHANNEL_CASES if c in s.index]
    for i, c in enumerate(chans):
        r = s.loc[c]
        _strip(ax2, i, h[h.case == c].l2_s * 1e3, "C0" if "rayleigh" not in c else "C2", 0.35)
        ax2.errorbar(i + 0.3, r.radio_median_s * 1e3,
                     yerr=[[max(0, r.radio_median_s - r.radio_lo_s) * 1e3],
                           [max(0, r.radio_hi_s - r.radio_median_s) * 1e3]],
                     fmt="o", color="black", ms=4, capsize=3,
                     label="median, 95 % CI" if i == 0 else None)
        ax2.text(i, 12, f"{r.longer_share * 100:.0f} %", ha="center", fontsize=7)
    if chans:
        ax2.axhline(s.loc[chans[0]].model_radio_s * 1e3, color="black", ls="--", lw=1,
                    label="model without loss")
    ax2.set_yscale("log")
    ax2.set_ylim(8, None)
    ax2.set_xticks(range(len(chans)), [_e8_label(c) for c in chans], fontsize=7, rotation=30, ha="right")
    ax2.set_ylabel("radio part (ms; dots: one handoff)")
    ax2.set_title("(b) shadowing, fading, speed (% above the model: longer than it by > 10 ms)",
                  fontsize=8)
    ax2.legend(fontsize=7, loc="upper left")
    # (c) handoffs per run: along the walk, and back to the cell just left
    for i, c in enumerate(chans):
        r = s.loc[c]
        ax3.bar(i, r.handoffs_per_run - r.returns_per_run, color="C0", alpha=0.75,
                label="along the walk" if i == 0 else None)
        ax3.bar(i, r.returns_per_run, bottom=r.handoffs_per_run - r.returns_per_run, color="C3",
                alpha=0.75, label="back to the cell just left" if i == 0 else None)
        ax3.errorbar(i, r.handoffs_per_run, yerr=r.handoffs_per_run_ci95, fmt="none",
                     color="black", capsize=3)
    ax3.set_xticks(range(len(chans)), [_e8_label(c) for c in chans], fontsize=7, rotation=30, ha="right")
    ax3.set_ylabel("handoffs per run (mean, 95 % CI)")
    ax3.set_title("(c) handoffs the channel adds", fontsize=9)
    ax3.legend(fontsize=7)
    n = int(s.n.min()) if len(s) else 0
    fig.suptitle(f"E8: the radio part against 802.11 timers and the channel (at least {n} handoffs per case)",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ---- E9: an attacker against location management, with and without authentication ----------
E9_KINDS = ("miplr_update", "mip_registration", "sip_register", "sip_reinvite", "replay",
            "mmp_registration", "mmp_semisoft_copy", "drcp_exhaustion")
# How long after the victim's next care-of address a forged binding still stands: the host's
# update itself (one round trip, ~0.01 s), plus for a re-INVITE the correspondent's 500 to the
# host's (the forger spent its CSeq) and the retry after Retry-After 1 s (RFC 3261 14.1).
E9_RELEASE_EXTRA_S = {"sip_reinvite": 1.0}


def _victim_moves(res, key: str) -> list[float]:
    e = res.events
    e = e[(e.key == key) & (e.node == "mh1") & (e.event == "coa")]
    return sorted(float(t) for t in e.t_s)


def _e9_model_held(res, r, end: float) -> float:
    """The model's hold time of one accepted forgery (see e9_frame)."""
    if r.kind == "mmp_registration":
        return math.nan  # taken back by the victim's next uplink packet: no closed form here
    if r.kind == "mmp_semisoft_copy":
        # The forged entry lives through the attacker's refreshes and one cache timeout ([0033]).
        sc = res.scenario(r.key)
        interval = sc.mmp.route_update_interval_s
        attack = next(x for x in sc.attacks if x.kind == r.kind)
        lives = math.floor(attack.hold_s / interval + 1e-9) * interval + sc.mmp.cache_timeout_s
        # ... unless the victim's own hard cache hand-off ([0048]) replaces the entry first: it
        # moves to another cell of the domain and the crossover node keeps only its new branch.
        e = res.events
        moved = e[(e.key == r.key) & (e.node == "mh1") & (e.event == "mmp_cache_handoff")
                  & (e.t_s > r.accepted_at_s)]
        cut = float(moved.t_s.min()) - r.accepted_at_s if len(moved) else math.inf
        return min(lives, cut, end - r.accepted_at_s)
    if r.kind == "drcp_exhaustion":
        # The victim has no address from the moment it leaves its old sub-network until a
        # forged lease expires (drcp.lease_s after the attack) or the run ends.
        lost = _victim_loses_address(res, r.key, r.at_s)
        if lost is None:
            return math.nan
        return min(end, r.at_s + res.scenario(r.key).drcp.lease_s) - lost
    nxt = [t for t in _victim_moves(res, r.key) if t > r.accepted_at_s]
    release = (nxt[0] + E9_RELEASE_EXTRA_S.get(r.kind, 0.0)) if nxt else end
    return min(release, end) - r.accepted_at_s


def _victim_loses_address(res, key: str, after: float) -> float | None:
    """When mh1 went without a care-of address after ``after``, as the tables tell it: its first
    refused DRCP request (the refusal arrives one round trip, about 20 ms, after the host dropped
    its old address on hearing the new sub-network's advertisement)."""
    e = res.events
    e = e[(e.key == key) & (e.node == "mh1") & (e.event == "drcp_refused") & (e.t_s > after)]
    return float(e.t_s.min()) if len(e) else None


@_per_results
def e9_frame(res) -> pd.DataFrame:
    """One row per attack and target: accepted or not, when, how long the forged binding
    stood, and the model's hold time (the victim's next care-of address after the forgery, plus
    the protocol's release delay; for a semi-soft copy the refreshes plus one cache timeout; for
    DRCP exhaustion the victim's time without an address until the forged leases expire), the
    packets that reached the attacker."""
    a = res.attacks.copy()
    if a.empty:
        return a
    a["auth"] = a["security.auth"].astype(bool)
    model = []
    for _, r in a.iterrows():
        if not r.accepted:
            model.append(math.nan)
            continue
        end = float(res.runs.set_index("key").loc[r.key, "sim_time_s"]) \
            if "sim_time_s" in res.runs else math.nan
        model.append(_e9_model_held(res, r, end))
    a["model_held_s"] = model
    return a


def summary_e9(res) -> pd.DataFrame:
    """Per kind and setting: attacks, targets that took the forgery, hold time (median, CI)
    against the model, packets that reached the attacker (mean, CI), the victim's flows."""
    a = e9_frame(res)
    rows = []
    flows = res.flows
    for (kind, auth), g in a.groupby(["kind", "auth"], sort=True):
        per_attack = g.groupby("key").agg(accepted=("accepted", "any"),
                                          packets=("hijacked_packets", "first"),
                                          bytes=("hijacked_bytes", "first"))
        held = g[g.accepted]
        m = median_ci(held.held_s) if len(held) else None
        pk, pk_ci, n = mean_ci(per_attack.packets)
        lo, hi = _wilson(int(per_attack.accepted.sum()), len(per_attack))
        f = flows[flows.key.isin(per_attack.index)]
        tcp = f[(f.name == "tcp") & (f.dst == "mh1")]  # the victim's (e9-cell: mh2 has one too)
        rtp = f[(f.name == "rtp") & (f.dst == "mh1")]
        rows.append({
            "kind": kind, "auth": bool(auth), "attacks": len(per_attack),
            "attacks_accepted": int(per_attack.accepted.sum()), "accepted_lo": lo, "accepted_hi": hi,
            "targets": len(g), "targets_accepted": int(g.accepted.sum()),
            "held_median_s": m.median if m else math.nan, "held_lo_s": m.lo if m else math.nan,
            "held_hi_s": m.hi if m else math.nan,
            "model_held_median_s": (float(held.model_held_s.median())
                                    if held.model_held_s.notna().any() else math.nan),
            "hijacked_packets_mean": pk, "hijacked_packets_ci95": pk_ci,
            "hijacked_bytes_mean": float(per_attack.bytes.mean()),
            "tcp_completed": int(tcp.completion_s.notna().sum()), "tcp_runs": len(tcp),
            "tcp_bad_bytes": int(tcp.bad_bytes.fillna(0).sum()),
            "rtp_to_mh_lost_mean": float(rtp.lost_packets.astype(float).mean()) if len(rtp) else math.nan,
        })
    return pd.DataFrame(rows)


def e9_cost(res) -> pd.DataFrame:
    """What authentication costs, from the runs without an attack: bytes per location-update
    message, and the inter-subnet handoff's TCP and RTP interruptions, off against on."""
    keys = res.runs[res.runs.case == "none"]
    rows = []
    sig = res.signalling[res.signalling.key.isin(keys.key)]
    for (msg, auth), g in sig.groupby(["message", "security.auth"]):
        if not (msg.startswith("Mip") or msg.startswith("Registration") or msg.startswith("SIP")):
            continue
        c = int(g["count"].sum())
        if c:
            rows.append({"what": f"bytes per {msg}", "value": g["bytes"].sum() / c, "n": c,
                         "auth": bool(auth)})
    h = res.handoffs[res.handoffs.key.isin(keys.key) & (res.handoffs.kind == "inter_subnet")]
    for col in ("tcp_gap_s", "rtp_gap_s", "reinvite_s", "tcp_update_s"):
        if col not in h:
            continue
        for auth, g in h.groupby("security.auth"):
            m = median_ci(g[col].dropna())
            rows.append({"what": f"inter-subnet {col} (median)", "value": m.median, "lo": m.lo,
                         "hi": m.hi, "n": int(g[col].notna().sum()), "auth": bool(auth)})
        off = h[h["security.auth"] == False][col].dropna()  # noqa: E712 - a column of bools
        on = h[h["security.auth"] == True][col].dropna()  # noqa: E712
        if len(off) and len(on):
            t = mann_whitney(on, off)
            rows.append({"what": f"inter-subnet {col}: on vs off, Mann-Whitney p", "value": t.p,
                         "n": len(on) + len(off), "auth": None})
    return pd.DataFrame(rows)


def check_e9(res) -> pd.DataFrame:
    rows = []
    for _, r in summary_e9(res).iterrows():
        setting = "auth on" if r.auth else "auth off"
        rows.append({"experiment": "e9", "quantity": "attacks that got a binding",
                     "condition": f"{r.kind}, {setting}", "simulated": r.attacks_accepted,
                     "model": 0 if (r.auth or r.kind == "replay") else r.attacks,
                     "n": r.attacks, "ci_lo": r.accepted_lo * r.attacks, "ci_hi": r.accepted_hi * r.attacks})
        if r.targets_accepted:
            rows.append({"experiment": "e9", "quantity": "forged binding held (median, s)",
                         "condition": f"{r.kind}, {setting}", "simulated": r.held_median_s,
                         "model": r.model_held_median_s, "n": r.targets_accepted,
                         "ci_lo": r.held_lo_s, "ci_hi": r.held_hi_s})
    # DRCP exhaustion: every free address of the pool goes to an invented client id.
    a = e9_frame(res)
    g = a[(a.kind == "drcp_exhaustion") & ~a.auth]
    if len(g):
        sc = res.scenario(g.key.iloc[0])
        sub = next(n for n, sn in sc.subnets.items() if sn.kind == "wireless" and n != "sn1")
        size = _pool_size(sc, sub)
        sim, ci, n = mean_ci(g.accepted_leases.astype(float))
        rows.append({"experiment": "e9", "quantity": "forged DRCP leases (mean)",
                     "condition": "drcp_exhaustion, auth off", "simulated": sim,
                     "model": size - 1,  # less the attacker's own lease
                     "n": n, "ci_lo": sim - ci, "ci_hi": sim + ci})
    # RTP the correspondent sends to a forged re-INVITE's address: one packet per interval.
    g = a[(a.kind == "sip_reinvite") & a.accepted]
    if len(g):
        interval = res.scenario(g.key.iloc[0]).sip.rtp_interval_s
        sim, ci, n = mean_ci(g.hijacked_packets)
        rows.append({"experiment": "e9", "quantity": "RTP packets to the attacker (mean)",
                     "condition": "sip_reinvite, auth off", "simulated": sim,
                     "model": float((g.held_s / interval).mean()), "n": n,
                     "ci_lo": sim - ci, "ci_hi": sim + ci})
    return pd.DataFrame(rows)


def _pool_size(sc, subnet: str) -> int:
    """Care-of addresses of a wireless sub-network: its host addresses less its base stations'."""
    import ipaddress

    from imm_ns3.topology import build_topology

    net = ipaddress.IPv4Network(sc.subnets[subnet].prefix)
    first, last, used = build_topology(sc).coa_range(subnet)
    return last - first + 1 - len([u for u in used if ipaddress.IPv4Address(u) in net])


def e9(res):
    plt = _plt()
    a = e9_frame(res)
    s = summary_e9(res)
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(18, 4.6))
    kinds = [k for k in E9_KINDS if k in set(s.kind)]
    x = np.arange(len(kinds))
    for j, auth in enumerate((False, True)):
        sub = s[s.auth == auth].set_index("kind").reindex(kinds)
        frac = (sub.attacks_accepted / sub.attacks).to_numpy(dtype=float)
        err = np.vstack([frac - sub.accepted_lo.to_numpy(dtype=float),
                         sub.accepted_hi.to_numpy(dtype=float) - frac])
        ax1.bar(x + (j - 0.5) * 0.38, frac, 0.38, yerr=np.nan_to_num(err), capsize=3,
                color=f"C{3 if not auth else 2}",
                label=f"security.auth = {str(auth).lower()} (Wilson 95 % CI)")
    ax1.set_xticks(x, [k.replace("_", "\n") for k in kinds], fontsize=8)
    ax1.set_ylim(0, 1.05)
    ax1.set_ylabel("attacks in which a target took the forgery")
    ax1.set_title("(a) forgeries accepted", fontsize=9)
    ax1.legend(fontsize=7)
    off = a[a.accepted & ~a.auth]
    for i, k in enumerate(kinds):
        g = off[off.kind == k]
        if not len(g):
            continue
        m = median_ci(g.held_s)
        ax2.errorbar(i, m.median, yerr=[[m.median - m.lo], [m.hi - m.median]], fmt="o", color="C3",
                     capsize=3, label="median, bootstrap 95 % CI" if i == 0 else None)
        _strip(ax2, i, g.held_s, "C3", 0.3)
        if g.model_held_s.notna().any():
            ax2.plot([i - 0.3, i + 0.3], [g.model_held_s.median()] * 2, "k-", lw=1.2,
                     label="model (docs in results/README.md)" if i == 0 else None)
    ax2.set_xticks(x, [k.replace("_", "\n") for k in kinds], fontsize=8)
    ax2.set_ylabel("forged binding held (s), security.auth = false\n(drcp: victim without address)")
    ax2.set_title("(b) how long the attacker held the binding", fontsize=9)
    ax2.legend(fontsize=7)
    per = a.groupby(["key", "kind", "auth"], as_index=False).agg(
        packets=("hijacked_packets", "first"))
    for j, auth in enumerate((False, True)):
        for i, k in enumerate(kinds):
            g = per[(per.kind == k) & (per.auth == auth)]
            _strip(ax3, i + (j - 0.5) * 0.38, g.packets, f"C{3 if not auth else 2}", 0.3)
    g = off[off.kind == "sip_reinvite"]
    if len(g):
        i = kinds.index("sip_reinvite")
        interval = res.scenario(g.key.iloc[0]).sip.rtp_interval_s
        ax3.plot([i - 0.4, i], [float((g.held_s / interval).mean())] * 2, "k-", lw=1.2,
                 label="model: one RTP packet per interval held")
        ax3.legend(fontsize=7)
    ax3.set_xticks(x, [k.replace("_", "\n") for k in kinds], fontsize=8)
    ax3.set_yscale("symlog", linthresh=10)
    ax3.set_ylim(-0.5, max(10.0, float(per.packets.max()) if len(per) else 10.0) * 2)
    ax3.set_ylabel("packets that reached the attacker per attack")
    ax3.set_title("(c) what the attacker got (red: auth off, green: on)", fontsize=9)
    n = int(s.attacks.min()) if len(s) else 0
    fig.suptitle(f"E9: forged location updates (off-path) and MMP/DRCP claims (same cell) with and"
                 f" without authentication"
                 f" (at least {n} attacks per kind and setting)")
    fig.tight_layout()
    return fig
