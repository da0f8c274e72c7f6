"""E7 (sweep ``e7-policy.toml``): the integrated policy against SIP only, MIP-LR only and
Mobile IP on the same TCP and RTP traffic (figure ``e7``: :func:`draw`, :func:`check`).

Frames and summaries: :func:`e7_frame`, :func:`summary_e7`. Shared plotting and the
model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, check_frame, model_of, per_results, pyplot, strip
from imm_ns3.analysis.stats import mean_ci, median_ci


# ---- E7: the integrated policy against single mechanisms ---------------------------------------
E7_CASES = ("integrated", "sip-only", "miplr-only", "mobile-ip")
E7_ROLES = (("home_location_register", "location register"), ("sip_server", "SIP server"),
            ("home_agent", "home agent"), ("correspondent", "correspondent"))


def _e7_model(topo, case: str, handoff) -> dict:
    """RTP delay averaged over the walk's cells and the RTP interruption at the sub-network
    change: radio + MMP (median) plus the macro step's one-way signal to whoever redirects the
    stream (the correspondent for SIP and MIP-LR, the home agent for Mobile IP)."""
    from imm_ns3.analysis import model as M

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


@per_results
def e7_frame(res) -> pd.DataFrame:
    """Per run: the inter-subnet handoff's interruptions, the flows' outcome (RTP loss and delay
    towards the host, TCP bytes delivered, resets, completion) and each entity's signalling
    bytes per minute (sent and received)."""
    from imm_ns3.analysis import model as M
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


def check(res) -> pd.DataFrame:
    """Figure e7's model-check rows per policy: the RTP delay (no interval: its mean over the
    run is one value per run), the RTP interruption and, where modelled, TCP's."""
    rows = []
    for _, r in summary_e7(res).iterrows():
        rows.append(ModelCheckRow(
            experiment="e7", quantity="RTP one-way delay to the host (mean, ms)",
            condition=r.case, simulated=r.rtp_delay_ms, model=r.model_rtp_delay_ms, n=r.runs))
        rows.append(ModelCheckRow(
            experiment="e7", quantity="RTP interruption at the sub-network change (median, s)",
            condition=r.case, simulated=r.rtp_gap_s_median, model=r.model_rtp_gap_s, n=r.runs,
            ci_lo=r.rtp_gap_s_lo, ci_hi=r.rtp_gap_s_hi))
        if not math.isnan(r.model_tcp_gap_s):
            rows.append(ModelCheckRow(
                experiment="e7", quantity="TCP interruption at the sub-network change (median, s)",
                condition=r.case, simulated=r.tcp_gap_s_median, model=r.model_tcp_gap_s,
                n=r.runs, ci_lo=r.tcp_gap_s_lo, ci_hi=r.tcp_gap_s_hi))
    return check_frame(rows + check_paired(res))


def draw(res):
    """Figure e7, per policy: the RTP and TCP interruptions at the sub-network change, the RTP
    delay, the share of the TCP transfer delivered and the signalling each entity handles."""
    plt = pyplot()
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
                strip(ax, xi, v, color, 0.3)
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
    paired = paired_e7(res)
    lines = [f"{r.a} - {r.b}: {r.diff_median_s * 1e3:+.1f} ms [{r.diff_lo_s * 1e3:+.1f},"
             f" {r.diff_hi_s * 1e3:+.1f}], slower {r.a_slower}/{r.pairs}; model"
             f" {r.model_diff_s * 1e3:+.1f}" for _, r in paired.iterrows()
             if r.quantity.startswith("RTP resumes") and r.b == "miplr-only"]
    if lines:
        ax.text(0.02, 0.98, "RTP resumes after the care-of change, paired by seed:\n"
                + "\n".join(lines), transform=ax.transAxes, ha="left", va="top", fontsize=5.5,
                color="0.25", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
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


# ---- E7, paired by seed: the redirect itself ---------------------------------------------------
# The total interruption is dominated by the radio and MMP parts, which every policy shares seed
# by seed (the same seed draws the same timer phases): the policies differ only in the redirect,
# so they are compared paired by seed.
PAIRS = (("integrated", "miplr-only"), ("sip-only", "miplr-only"), ("integrated", "sip-only"),
         ("mobile-ip", "miplr-only"))


def _redirect_model_s(topo, case: str) -> float:
    """From the care-of change to the first RTP packet on the new address: the host's care-of
    burst up to the redirect message at the fresh station's lowest rate
    (model.careof_burst_s), the wired path to whoever redirects the stream (the re-INVITE,
    486 bytes, or the MIP-LR update, 46 bytes, to the correspondent; Mobile IP's registration
    to the home agent), and the stream's way back from there to the host (200-byte RTP; from
    the home agent for Mobile IP, tunnelled). The wait for the stream's next packet (uniform
    over its 20 ms interval) is the same under every policy and left out."""
    from imm_ns3.analysis import model as M

    std = topo.scenario.wifi.standard
    role = {p.role: n for n, p in topo.nodes.items()}
    ch, ha = role["correspondent"], role.get("home_agent")
    bs = "bs504a"
    if case == "mobile-ip":
        return (M.careof_burst_s("MIP-LR update (register)", std) + M.path_s(topo, bs, ha, 60)
                + M.path_s(topo, ha, bs, 220) + M.unicast_s(220))
    back = M.miplr_delay_s(topo, ch, bs, 200)
    if case in ("integrated", "sip-only"):
        return (M.careof_burst_s("SIP re-INVITE", std) - M.unicast_s(486)
                + M.miplr_delay_s(topo, ch, bs, 486) + back)
    return (M.careof_burst_s("MIP-LR update (correspondent)", std) - M.unicast_s(46)
            + M.miplr_delay_s(topo, ch, bs, 46) + back)


@per_results
def paired_e7(res) -> pd.DataFrame:
    """Per pair of policies (a, b) and quantity (RTP resumes after the care-of change; the
    whole RTP interruption): a - b paired by seed (median, 95 % CI), the seeds where a is
    slower, and the model's difference of the redirects."""
    h = res.handoffs[res.handoffs.kind == "inter_subnet"]
    models: dict = {}
    for case, g in res.runs.groupby("case"):
        models[case] = _redirect_model_s(model_of(res, g.key.iloc[0]), case)
    rows = []
    for col, label in (("rtp_resume_s", "RTP resumes after the care-of change"),
                       ("rtp_gap_s", "RTP interruption")):
        p = h.pivot_table(index="seed", columns="case", values=col)
        for a, b in PAIRS:
            if a not in p or b not in p:
                continue
            diff = (p[a] - p[b]).dropna()
            m = median_ci(diff)
            rows.append({"quantity": label, "a": a, "b": b, "pairs": m.n,
                         "diff_median_s": m.median, "diff_lo_s": m.lo, "diff_hi_s": m.hi,
                         "a_slower": int((diff > 0).sum()),
                         "model_diff_s": models.get(a, math.nan) - models.get(b, math.nan)})
    return pd.DataFrame(rows)


def check_paired(res) -> list[ModelCheckRow]:
    return [ModelCheckRow(
        experiment="e7", quantity=f"{r.quantity}, paired by seed (median difference, s)",
        condition=f"{r.a} - {r.b}", simulated=r.diff_median_s, model=r.model_diff_s, n=r.pairs,
        ci_lo=r.diff_lo_s, ci_hi=r.diff_hi_s)
        for _, r in paired_e7(res).iterrows() if r.quantity.startswith("RTP resumes")]
