"""E1 and E5 (sweep ``e1-handoff-latency.toml``): handoff latency by kind of movement and by
traffic against the latency model (figure ``e1``: :func:`draw`, :func:`check`), and the walk of
Figure 10 as time series (figure ``e5``: :func:`draw_e5`).

Frames and summaries: :func:`e1_models`, :func:`summary_e1`, :func:`e1_lost_advertisements`,
:func:`e1_ordering`. Shared plotting and the model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import (
    KIND_LABEL,
    KINDS,
    ModelCheckRow,
    check_frame,
    mechanism,
    model_of,
    per_results,
    pyplot,
    strip,
)
from imm_ns3.analysis.stats import ecdf, mann_whitney, mean_ci, median_ci


# ---- E1: handoff latency by movement kind and mechanism -------------------------------------
# What each flow's interruption measures, by kind of movement: inside a sub-network only MMP
# acts ([0048], [0049]); across sub-networks TCP also needs MIP-LR's update ([0068]) and RTP
# SIP's re-INVITE ([0075]).
TRAFFIC = (("UDP probe", "probe_gap_s", {"*": "MMP"}),
           ("TCP", "tcp_gap_s", {"inter_subnet": "MMP + MIP-LR", "*": "MMP"}),
           ("RTP", "rtp_gap_s", {"inter_subnet": "MMP + SIP re-INVITE", "*": "MMP"}))


def e1_models(res) -> dict:
    """Per movement kind, the analytic latencies of :mod:`imm_ns3.analysis.model` for the E1 walk (all
    runs share one scenario; the first run's is used): ``radio``, ``mmp`` and ``handoff``
    (radio + MMP) as :class:`imm_ns3.analysis.model.Latency`, plus the macro steps of the inter-subnet
    move (MIP-LR update one way to the correspondent, re-INVITE round trip, both sent by a
    freshly associated station at its lowest rate)."""
    from imm_ns3.analysis import model as M

    h = res.handoffs
    topo = model_of(res, res.runs.key.iloc[0])
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
            # The host sends its care-of burst (registration, MIP-LR updates, SIP REGISTER,
            # re-INVITE) at the fresh station's lowest rate, each behind the ones before it
            # (model.careof_burst_s); the wired part and the answer as before.
            std = topo.scenario.wifi.standard
            update, invite, ok = 46, 486, 429
            out[kind]["miplr_update_s"] = (M.miplr_delay_s(topo, ch, bs, update) - M.unicast_s(update)
                                           + M.careof_burst_s("MIP-LR update (correspondent)", std))
            out[kind]["reinvite_s"] = (M.miplr_delay_s(topo, ch, bs, invite) - M.unicast_s(invite)
                                       + M.careof_burst_s("SIP re-INVITE", std)
                                       + M.miplr_delay_s(topo, ch, bs, ok))
    return out


def e1_tcp_windows(res) -> pd.DataFrame:
    """Per handoff, TCP's window model (:func:`imm_ns3.analysis.model.tcp_windows_along`) beside
    what the run measured: the paced NewReno sender's window (segments) when the outage began,
    what the outage needed (``rate (outage + rtt)``: in flight plus sent during it), the silence
    the model predicts and whether TCP resumes with the path, and the simulated ``tcp_gap_s``.
    Inputs from each run: its handoffs' outages (the probe's silence), the connection's mean
    smoothed RTT, the transfer's start, rate and segment size; across sub-networks the window
    runs out whatever it holds (segments to the old care-of address are lost)."""
    from imm_ns3.analysis import model as M

    rows = []
    for key, h in res.handoffs.groupby("key", sort=False):
        sc = res.scenario(key)
        f = res.flows[(res.flows.key == key) & (res.flows.name == "tcp")]
        if not sc.tcp.enabled or not len(f) or not sc.tcp.rate_mbps:
            continue
        rate = sc.tcp.rate_mbps * 1e6 / 8 / sc.tcp.segment_bytes
        rtt = float(pd.to_numeric(f.rtt_s, errors="coerce").iloc[0])
        h = h.sort_values("t_s")
        h = h[pd.to_numeric(h.probe_gap_s, errors="coerce").notna()]
        along = M.tcp_windows_along(list(zip(h.t_s, h.probe_gap_s.astype(float))), sc.tcp.start_s, rate,
                                    rtt, rwnd=M.NS3_RCV_BUF_BYTES / sc.tcp.segment_bytes,
                                    timeouts_at=tuple(h[h.kind == "inter_subnet"].t_s))
        for (_, x), m in zip(h.iterrows(), along):
            rows.append({"key": key, "kind": x.kind, "t_s": x.t_s, "outage_s": x.probe_gap_s,
                         "window": m.window, "needed": rate * (x.probe_gap_s + rtt),
                         "model_silence_s": m.silence_s, "model_with_path": m.with_path,
                         "tcp_gap_s": x.tcp_gap_s})
    return pd.DataFrame(rows, columns=["key", "kind", "t_s", "outage_s", "window", "needed",
                                       "model_silence_s", "model_with_path", "tcp_gap_s"])


def summary_e1(res) -> pd.DataFrame:
    """One row per movement kind and quantity: median with its 95 % CI (order statistics), mean, n and
    the model's median and mean. Quantities: the radio part, MMP's part, their sum, and each
    flow's interruption (labelled by the mechanism that carried it), and for the inter-subnet
    move the macro steps themselves (MIP-LR update at the correspondent, re-INVITE answered)."""
    h = res.handoffs.copy()
    h["handoff_s"] = h.l2_s + h.mmp_s
    models = e1_models(res)
    tcp = e1_tcp_windows(res)
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
            interval = model_of(res, res.runs.key.iloc[0]).scenario.drcp.advertisement_interval_s
            add(kind, "advertisement wait", "DRCP", k.adv_wait_s, interval / 2, interval / 2)
        for traffic, col, labels in TRAFFIC:
            lat = mod.get("handoff")
            med, mean = (lat.median, lat.mean) if lat else (math.nan, math.nan)
            if traffic == "TCP":
                # TCP's silence is set by its window against the outage (e1_tcp_windows):
                # with the path if the window holds the outage's segments, else at the
                # retransmission timer; each handoff's outage (the probe's silence) taken
                # through the model.
                w = tcp[tcp.kind == kind].model_silence_s.dropna()
                med, mean = (float(w.median()), float(w.mean())) if len(w) else (math.nan, math.nan)
            # The other interruptions are compared with radio + MMP: the model of what MMP
            # alone costs.
            add(kind, f"{traffic} interruption", mechanism(labels, kind),
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


def check(res) -> pd.DataFrame:
    """Figure e1's model-check rows: every median with a model, and the mean of MMP's part,
    the handoff and the advertisement wait."""
    s = summary_e1(res)
    rows = []
    for _, r in s.iterrows():
        if math.isnan(r.model_median_s):
            continue
        rows.append(ModelCheckRow(
            experiment="e1", quantity=f"{r.quantity} median (s)", condition=r.kind,
            simulated=r.median_s, model=r.model_median_s, n=r.n, ci_lo=r.ci_lo_s,
            ci_hi=r.ci_hi_s))
        if r.quantity in ("mmp", "handoff", "advertisement wait"):
            rows.append(ModelCheckRow(
                experiment="e1", quantity=f"{r.quantity} mean (s)", condition=r.kind,
                simulated=r.mean_s, model=r.model_mean_s, n=r.n,
                ci_lo=r.mean_s - r.mean_ci95_s, ci_hi=r.mean_s + r.mean_ci95_s))
    return check_frame(rows)


def draw(res):
    """Figure e1: (a) MMP's part as a distribution against the model's, with the ordering test;
    (b) each flow's interruption by kind of movement, labelled by the mechanism that carried it."""
    plt = pyplot()
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
                strip(ax2, x, vals, colors[traffic], width * 0.8)
            ax2.text(x, 0.01, mechanism(labels, kind), transform=ax2.get_xaxis_transform(),
                     rotation=90, ha="center", va="bottom", fontsize=6, color="0.3")
        ax2.plot([], [], "s", color=colors[traffic], label=traffic)
    for i, kind in enumerate(KINDS):
        if kind in models:
            lat = models[kind]["handoff"]
            ax2.hlines(lat.median * 1e3, x0[i] - 1.5 * width, x0[i] + 1.5 * width, color="black",
                       ls="--", lw=1, label="model: radio + MMP (median)" if i == 0 else None)
    labelled = False
    for i, kind in enumerate(KINDS):  # TCP: its window against the outage (e1_tcp_windows)
        tcp = s[(s.kind == kind) & (s.quantity == "TCP interruption")]
        if len(tcp) and not math.isnan(tcp.model_median_s.iloc[0]):
            ax2.hlines(tcp.model_median_s.iloc[0] * 1e3, x0[i] - 0.5 * width, x0[i] + 0.5 * width,
                       color="C1", ls=":", lw=1.5, label=None if labelled else
                       "model: TCP's window vs the outage, else its retransmission timer (median)")
            labelled = True
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


# ---- E5: the walk of Figure 10 as time series ---------------------------------------------
def draw_e5(res, seed: int = 1):
    """Figure e5: one run of the E1 walk (``seed``) as time series, TCP goodput and RTP
    packets, with each handoff's radio outage marked."""
    plt = pyplot()
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


# ---- E1, timers (sweep e1-timers.toml): latency against the two periodic timers -------------
TIMER_CASES = {"bs-beacon": ("mmp.bs_beacon_interval_s", "base-station beacon period (ms)"),
               "drcp-adv": ("drcp.advertisement_interval_s", "DRCP advertisement period (ms)")}


def _case_models(res) -> dict:
    """Per case: (scenario, {kind: MMP latency model}) from the case's first run."""
    from imm_ns3.analysis import model as M

    out = {}
    for case, g in res.runs.groupby("case", sort=False):
        topo = model_of(res, g.key.iloc[0])
        h = res.handoffs[res.handoffs.case == case] if "case" in res.handoffs else res.handoffs
        kinds = {}
        for kind in KINDS:
            k = h[h.kind == kind]
            if len(k):
                kinds[kind] = M.mmp_latency(topo, kind, k.new_bs.mode().iloc[0])
        out[case] = (topo.scenario, kinds)
    return out


@per_results
def summary_timers(res) -> pd.DataFrame:
    """Per case and kind of movement: both timers' values, MMP's part of the handoff (median
    with its 95 % CI, mean) and the model's median and mean."""
    models = _case_models(res)
    h = res.handoffs
    rows = []
    for case, (sc, kinds) in models.items():
        for kind, lat in kinds.items():
            v = h[(h.case == case) & (h.kind == kind)].mmp_s
            m = median_ci(v)
            rows.append({"case": case, "kind": kind,
                         "bs_beacon_s": sc.mmp.bs_beacon_interval_s,
                         "advertisement_s": sc.drcp.advertisement_interval_s,
                         "n": m.n, "median_s": m.median, "ci_lo_s": m.lo, "ci_hi_s": m.hi,
                         "mean_s": float(pd.to_numeric(v, errors="coerce").mean()),
                         "model_median_s": lat.median, "model_mean_s": lat.mean})
    return pd.DataFrame(rows)


def check_timers(res) -> pd.DataFrame:
    """Figure e1-timers' model-check rows: MMP's median per case and kind."""
    return check_frame([ModelCheckRow(
        experiment="e1-timers", quantity="mmp median (s)", condition=f"{r.case}, {r.kind}",
        simulated=r.median_s, model=r.model_median_s, n=r.n, ci_lo=r.ci_lo_s, ci_hi=r.ci_hi_s)
        for _, r in summary_timers(res).iterrows()])


def draw_timers(res):
    """Figure e1-timers: MMP's part of each kind of handoff against (a) the base-station beacon
    period and (b) the DRCP advertisement period (the other timer at E1's value), median with
    its 95 % CI against the model's median (a line through the cases)."""
    plt = pyplot()
    s = summary_timers(res)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    for ax, (prefix, (path, label)) in zip(axes, TIMER_CASES.items()):
        col = "bs_beacon_s" if prefix == "bs-beacon" else "advertisement_s"
        sub = s[s.case.str.startswith(prefix) | (s.case == "default")]
        for i, kind in enumerate(KINDS):
            a = sub[sub.kind == kind].sort_values(col)
            if not len(a):
                continue
            x = a[col] * 1e3
            yerr = np.vstack([(a.median_s - a.ci_lo_s).clip(lower=0), (a.ci_hi_s - a.median_s).clip(lower=0)]) * 1e3
            ax.errorbar(x, a.median_s * 1e3, yerr=yerr, fmt="o", color=f"C{i}", capsize=3,
                        label=f"{KIND_LABEL[kind]}: median, 95 % CI")
            ax.plot(x, a.model_median_s * 1e3, "--", color=f"C{i}", lw=1,
                    label=f"{KIND_LABEL[kind]}: model")
        ax.set_xscale("log")
        ax.set_xticks(sorted(sub[col].unique() * 1e3), [f"{v * 1e3:g}" for v in sorted(sub[col].unique())])
        ax.set_xticks([], minor=True)
        ax.set_xlabel(label)
        ax.set_title(f"({'a' if prefix == 'bs-beacon' else 'b'}) against {path}", fontsize=9)
    axes[0].set_ylabel("MMP part: association -> update done (ms)")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=6.5, loc="upper left")
    n = int(s.n.min()) if len(s) else 0
    fig.suptitle(f"E1, timers: MMP latency against the base-station beacon and DRCP advertisement"
                 f" periods (at least {n} handoffs per point)")
    fig.tight_layout()
    return fig


# ---- E1, realistic radio (sweep e1-radio.toml): paired by seed ------------------------------
@per_results
def radio_frame(res) -> pd.DataFrame:
    """Per run and kind of movement: the first handoff of that kind (the walk has one of each;
    a channel that moves the host back and forth adds more, counted in ``handoffs``) with its
    radio part, MMP's part and their sum, and the model's (radio with the case's channel plan,
    plus MMP)."""
    from imm_ns3.analysis import model as M

    models = _case_models(res)
    h = res.handoffs.sort_values(["key", "t_s"])
    rows = []
    for (key, kind), g in h.groupby(["key", "kind"], sort=False):
        r = g.iloc[0]
        sc, kinds = models[r.case]
        radio = M.radio_latency(sc)
        lat = radio + kinds[kind] if kind in kinds else None
        rows.append({"key": key, "case": r.case, "seed": r.seed, "kind": kind,
                     "handoffs": len(g), "l2_s": r.l2_s, "mmp_s": r.mmp_s,
                     "handoff_s": r.l2_s + r.mmp_s,
                     "model_radio_median_s": radio.median,
                     "model_handoff_median_s": lat.median if lat else math.nan})
    return pd.DataFrame(rows)


def summary_radio(res) -> pd.DataFrame:
    """Per case and kind: radio part and whole handoff (median, 95 % CI) against the model,
    handoffs per run; and per kind the paired difference realistic - ideal by seed (median,
    95 % CI, how many seeds are slower)."""
    d = radio_frame(res)
    rows = []
    for (case, kind), g in d.groupby(["case", "kind"], sort=False):
        for q, col, model in (("radio", "l2_s", "model_radio_median_s"),
                              ("handoff", "handoff_s", "model_handoff_median_s")):
            m = median_ci(g[col])
            rows.append({"case": case, "kind": kind, "quantity": q, "n": m.n,
                         "median_s": m.median, "ci_lo_s": m.lo, "ci_hi_s": m.hi,
                         "model_median_s": float(g[model].iloc[0]),
                         "handoffs_per_run": float(g.handoffs.mean())})
    return pd.DataFrame(rows)


def paired_radio(res) -> pd.DataFrame:
    """Per kind: handoff latency realistic - ideal, paired by seed."""
    d = radio_frame(res)
    rows = []
    for kind in KINDS:
        p = d[d.kind == kind].pivot_table(index="seed", columns="case", values="handoff_s")
        if not {"ideal", "realistic"} <= set(p.columns):
            continue
        diff = (p["realistic"] - p["ideal"]).dropna()
        m = median_ci(diff)
        rows.append({"kind": kind, "pairs": m.n, "diff_median_s": m.median, "diff_lo_s": m.lo,
                     "diff_hi_s": m.hi, "slower": int((diff > 0).sum())})
    return pd.DataFrame(rows)


def check_radio(res) -> pd.DataFrame:
    """Figure e1-radio's model-check rows: the radio part and the handoff, median per case and
    kind."""
    return check_frame([ModelCheckRow(
        experiment="e1-radio", quantity=f"{r.quantity} median (s)", condition=f"{r.case}, {r.kind}",
        simulated=r.median_s, model=r.model_median_s, n=r.n, ci_lo=r.ci_lo_s, ci_hi=r.ci_hi_s)
        for _, r in summary_radio(res).iterrows()])


def draw_radio(res):
    """Figure e1-radio: (a) handoff latency per kind, ideal and realistic radio, every handoff
    and the models' medians; (b) the paired difference by seed."""
    plt = pyplot()
    d = radio_frame(res)
    s = summary_radio(res)
    p = paired_radio(res)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1.5, 1]})
    cases = [c for c in ("ideal", "realistic") if c in set(d.case)]
    x0 = np.arange(len(KINDS))
    for j, case in enumerate(cases):
        for i, kind in enumerate(KINDS):
            vals = d[(d.case == case) & (d.kind == kind)].handoff_s * 1e3
            x = x0[i] + (j - 0.5) * 0.35
            if len(vals):
                ax1.boxplot([vals], positions=[x], widths=0.28, showfliers=False, whis=(5, 95),
                            medianprops={"color": f"C{j}"})
                strip(ax1, x, vals, f"C{j}", 0.25)
            m = s[(s.case == case) & (s.kind == kind) & (s.quantity == "handoff")]
            if len(m):
                ax1.hlines(m.model_median_s.iloc[0] * 1e3, x - 0.15, x + 0.15, color="black",
                           ls="--", lw=1, label="model (median)" if (i, j) == (0, 0) else None)
        ax1.plot([], [], "s", color=f"C{j}", label=case)
    ax1.set_xticks(x0, [KIND_LABEL[k] for k in KINDS])
    ax1.set_ylabel("handoff latency: last beacon -> MMP done (ms)")
    ax1.set_yscale("log")
    ax1.set_title("(a) ideal radio vs 1/6/11 plan, 8 dB shadowing, Rayleigh fading", fontsize=9)
    ax1.legend(fontsize=7)
    if len(p):
        y = np.arange(len(p))
        ax2.errorbar(p.diff_median_s * 1e3, y, xerr=np.vstack([(p.diff_median_s - p.diff_lo_s).clip(lower=0),
                     (p.diff_hi_s - p.diff_median_s).clip(lower=0)]) * 1e3, fmt="o", capsize=3)
        ax2.set_yticks(y, [f"{KIND_LABEL[k]}\n{r.slower}/{r.pairs} slower" for k, (_, r) in zip(p.kind, p.iterrows())])
    ax2.axvline(0, color="0.6", lw=0.8)
    ax2.set_xlabel("realistic - ideal, paired by seed (ms, median, 95 % CI)")
    ax2.set_title("(b) what the channel adds", fontsize=9)
    n = int(s.n.min()) if len(s) else 0
    fig.suptitle(f"E1, realistic radio: handoff latency by kind of movement (at least {n} runs per point)")
    fig.tight_layout()
    return fig
