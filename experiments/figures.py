"""The figures of experiments E1-E6, drawn from stored sweep results only.

Each function takes the :class:`imm_ns3.results.SweepResults` of its sweep directory (from
``imm_ns3.results.load``) and returns a matplotlib Figure; ``summary_*`` functions return the
numbers behind it as a DataFrame (the notebooks show them). Every point is a mean over seeds
with a 95 % confidence interval (Student's t). ``imm-sim figures`` saves them (PNG and PDF)
stamped with the versions the results came from.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

KINDS = ("intra_domain", "inter_domain", "inter_subnet")
KIND_LABEL = {"intra_domain": "intra-domain", "inter_domain": "inter-domain",
              "inter_subnet": "inter-subnet"}
# Student's t, 97.5 % quantile, by degrees of freedom (a normal 1.96 beyond 30).
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def mean_ci(values) -> tuple[float, float, int]:
    """Mean, half-width of the 95 % confidence interval, and n (NaNs dropped)."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(x[0]), math.nan, 1
    t = _T975[n - 2] if n - 2 < len(_T975) else 1.96
    return float(x.mean()), float(t * x.std(ddof=1) / math.sqrt(n)), n


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
MECHANISMS = (("MMP (UDP probe)", None, "probe_gap_s"),
              ("MIP-LR (TCP)", "tcp_resume_s", "tcp_gap_s"),
              ("SIP (RTP)", "rtp_resume_s", "rtp_gap_s"))


def summary_e1(res) -> pd.DataFrame:
    h = res.handoffs
    rows = []
    for kind in KINDS:
        k = h[h.kind == kind]
        for mech, macro, gap in MECHANISMS:
            comp = {"radio": mean_ci(k.l2_s)[0], "MMP": mean_ci(k.mmp_s)[0] if "mmp_s" in k else math.nan}
            # The macro-mobility step as far as it adds to radio + MMP: the care-of address
            # changes during the MMP part, so only what comes after the MMP update counts.
            if macro and macro in k and k[macro].notna().any():
                extra = (k.coa_change_s + k[macro] - (k.t_s + k.mmp_s)).clip(lower=0)
                comp["macro"] = mean_ci(extra)[0]
            else:
                comp["macro"] = 0.0
            g = mean_ci(k[gap]) if gap in k else (math.nan, math.nan, 0)
            rows.append({"kind": kind, "mechanism": mech, **{f"{c}_s": v for c, v in comp.items()},
                         "interruption_s": g[0], "interruption_ci95_s": g[1], "handoffs": len(k)})
    return pd.DataFrame(rows)


def e1(res):
    plt = _plt()
    s = summary_e1(res)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    colors = {"radio": "#4C72B0", "MMP": "#55A868", "macro": "#C44E52"}
    width, x0 = 0.26, np.arange(len(KINDS))
    for j, (mech, _, _) in enumerate(MECHANISMS):
        sub = s[s.mechanism == mech].set_index("kind").loc[list(KINDS)]
        x = x0 + (j - 1) * width
        bottom = np.zeros(len(KINDS))
        for c in ("radio", "MMP", "macro"):
            v = sub[f"{c}_s"].fillna(0).to_numpy() * 1e3
            ax.bar(x, v, width * 0.92, bottom=bottom, color=colors[c],
                   label=c if j == 0 else None, edgecolor="white", linewidth=0.5)
            bottom += v
        ax.errorbar(x, sub.interruption_s * 1e3, yerr=sub.interruption_ci95_s.fillna(0) * 1e3,
                    fmt="D", color="black", ms=4, capsize=3, label="measured interruption" if j == 0 else None)
        for xi in x:
            ax.text(xi, 20, mech.split()[0], ha="center", va="bottom", fontsize=7, rotation=90,
                    color="white")
    ax.set_xticks(x0, [KIND_LABEL[k] for k in KINDS])
    ax.set_ylabel("handoff latency (ms)")
    ax.set_title("E1: handoff latency by kind of movement and mechanism (stacked components)")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_ylim(0, max(1000, ax.get_ylim()[1] * 1.15))
    fig.tight_layout()
    return fig


# ---- E2: packets lost per handoff, hard vs semi-soft ----------------------------------------
def _e2_frame(res) -> pd.DataFrame:
    h = res.handoffs.copy()
    period = "mmp.semisoft_period_s"
    h["mode"] = np.where(h["case"].astype(str).str.startswith("semisoft"), "semisoft", "hard")
    h["period_s"] = h[period] if period in h else np.nan
    return h


def summary_e2(res) -> pd.DataFrame:
    h = _e2_frame(res)
    return _agg(h, ["kind", "mode", "period_s", "probe.rate_pps"], "probe_lost")


def e2(res):
    plt = _plt()
    h = _e2_frame(res)
    rates = sorted(h["probe.rate_pps"].dropna().unique())
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    intra = h[h.kind == "intra_domain"]
    for i, rate in enumerate(rates):
        r = intra[intra["probe.rate_pps"] == rate]
        semi = _agg(r[r["mode"] == "semisoft"], ["period_s"], "probe_lost")
        hard = mean_ci(r[r["mode"] == "hard"].probe_lost)
        color = f"C{i}"
        if len(semi):
            ax.errorbar(semi.period_s * 1e3, semi["mean"], yerr=_yerr(semi), marker="o",
                        color=color, capsize=3, label=f"semi-soft, {rate:g} pkt/s")
        if hard[2]:
            ax.axhline(hard[0], color=color, ls="--", lw=1, label=f"hard, {rate:g} pkt/s")
            if not math.isnan(hard[1]):
                ax.axhspan(max(0.0, hard[0] - hard[1]), hard[0] + hard[1], color=color, alpha=0.12)
    ax.set_xlabel("semi-soft period (ms)")
    ax.set_ylabel("probe packets lost per handoff")
    ax.set_title("intra-domain handoffs (crossover: intermediate node)", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    rate0 = rates[0] if rates else None
    r = h[h["probe.rate_pps"] == rate0]
    modes = [("hard", r[r["mode"] == "hard"]),
             ("semi-soft", r[(r["mode"] == "semisoft") & (r.period_s == r.period_s.min())])]
    width = 0.38
    for j, (label, d) in enumerate(modes):
        a = _agg(d, ["kind"], "probe_lost").set_index("kind").reindex(list(KINDS))
        ax.bar(np.arange(len(KINDS)) + (j - 0.5) * width, a["mean"], width * 0.9,
               yerr=_yerr(a), capsize=3, label=label)
    ax.set_xticks(np.arange(len(KINDS)), ["intra-domain\n(intermediate)", "inter-domain\n(border router)",
                                          "inter-subnet\n(backbone)"])
    ax.set_ylabel("probe packets lost per handoff")
    ax.set_title(f"by kind of movement (crossover node), {rate0:g} pkt/s" if rate0 else "", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle("E2: packet loss per handoff, hard vs semi-soft hand-off (two-radio host)")
    fig.tight_layout()
    return fig


# ---- E3: signalling load, integrated vs flat ------------------------------------------------
PERIODIC = ("GatewayBeacon", "BaseStationBeacon", "DrcpAdvertisement")
E3_ROLES = (("home_location_register", "home location register"), ("sip_server", "SIP server"),
            ("gateway", "gateways (all)"))


def e3_frame(res) -> pd.DataFrame:
    """Messages sent per minute by each kind of server, per run (each answers one request, so
    this is the load it handles); periodic beacons and advertisements excluded."""
    sig = res.signalling[~res.signalling.message.isin(PERIODIC)]
    minutes = res.runs.set_index("key").sim_time_s / 60.0
    rows = []
    for _, run in res.runs.iterrows():
        s = sig[sig.key == run.key]
        for role, _ in E3_ROLES:
            rows.append({"key": run.key, "case": run.case, "seed": run.seed,
                         "mobile_hosts": run["mobile_hosts.count"], "speed_mps": run["mobility.speed_mps"],
                         "role": role, "per_min": s[s.role == role]["count"].sum() / minutes[run.key]})
    return pd.DataFrame(rows)


def summary_e3(res) -> pd.DataFrame:
    return _agg(e3_frame(res), ["role", "case", "speed_mps", "mobile_hosts"], "per_min")


def e3(res):
    plt = _plt()
    a = summary_e3(res)
    fig, axes = plt.subplots(1, len(E3_ROLES), figsize=(12, 3.8))
    styles = {"integrated": "-", "flat": "--"}
    for ax, (role, title) in zip(axes, E3_ROLES):
        r = a[a.role == role]
        for i, speed in enumerate(sorted(r.speed_mps.unique())):
            for case in ("integrated", "flat"):
                d = r[(r.case == case) & (r.speed_mps == speed)].sort_values("mobile_hosts")
                if len(d):
                    ax.errorbar(d.mobile_hosts, d["mean"], yerr=d.ci95.fillna(0), ls=styles[case],
                                marker="o", color=f"C{i}", capsize=3,
                                label=f"{case}, {speed:g} m/s")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("mobile hosts")
        ax.set_ylabel("messages handled per minute")
    axes[0].legend(fontsize=7)
    fig.suptitle("E3: signalling load, integrated (MMP inside sub-networks) vs flat macro-mobility")
    fig.tight_layout()
    return fig


# ---- E4: MIP-LR vs classic Mobile IP ------------------------------------------------------------
MACRO_MESSAGES = ("MipUpdate", "MipUpdateAck", "MipQuery", "MipQueryReply",
                  "RegistrationRequest", "RegistrationReply")


def e4_frame(res) -> pd.DataFrame:
    f, sig, h = res.flows, res.signalling, res.handoffs
    rows = []
    for _, run in res.runs.iterrows():
        ff = f[f.key == run.key]
        rtp = ff[(ff.name == "rtp") & (ff.src == "ch")]
        tcp = ff[ff.name == "tcp"]
        changes = max(1, len(res.summaries[run.key]["care_of_addresses"].get("mh1", [])) - 1)
        s = sig[(sig.key == run.key) & sig.message.isin(MACRO_MESSAGES)]
        hh = h[(h.key == run.key) & (h.kind == "inter_subnet")]
        summ = res.summaries[run.key]
        tunnelled = summ.get("macro_mobility", {}).get("home_agent", {}).get("tunnelled_packets", 0)
        minutes = summ["sim_time_s"] / 60.0
        rows.append({"key": run.key, "case": run.case, "seed": run.seed,
                     "home_delay_ms": run["subnets.home.access_link.delay_ms"],
                     "delay_ms": float(rtp.delay_s.iloc[0]) * 1e3 if len(rtp) else math.nan,
                     "rtt_ms": float(tcp.rtt_s.iloc[0]) * 1e3 if len(tcp) else math.nan,
                     "signalling_bytes_per_change": s["bytes"].sum() / changes,
                     "signalling_msgs_per_change": s["count"].sum() / changes,
                     "update_ms": float(hh.tcp_update_s.iloc[0]) * 1e3 if len(hh) else math.nan,
                     # Everything mobility management puts on the wire: its messages, plus the
                     # 20-byte outer header on every packet the home agent tunnels.
                     "overhead_bytes_per_min": (s["bytes"].sum() + 20 * tunnelled) / minutes})
    return pd.DataFrame(rows)


def summary_e4(res) -> pd.DataFrame:
    d = e4_frame(res)
    out = []
    for col in ("delay_ms", "rtt_ms", "signalling_bytes_per_change", "update_ms",
                "overhead_bytes_per_min"):
        a = _agg(d, ["case", "home_delay_ms"], col)
        a.insert(0, "metric", col)
        out.append(a)
    return pd.concat(out, ignore_index=True)


def e4(res):
    plt = _plt()
    a = summary_e4(res)
    panels = (("delay_ms", "correspondent-to-mobile delay (ms)"),
              ("update_ms", "care-of change -> new address known (ms)"),
              ("signalling_bytes_per_change", "signalling per care-of change (bytes)"),
              ("overhead_bytes_per_min", "signalling + tunnel headers (bytes/min)"))
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    for ax, (metric, label) in zip(axes, panels):
        for i, case in enumerate(("miplr", "mip")):
            d = a[(a.metric == metric) & (a.case == case)].sort_values("home_delay_ms")
            ax.errorbar(d.home_delay_ms, d["mean"], yerr=d.ci95.fillna(0), marker="o", capsize=3,
                        color=f"C{i}", label={"miplr": "MIP-LR", "mip": "Mobile IP"}[case])
        ax.set_xlabel("home network distance (ms, one way)")
        ax.set_ylabel(label, fontsize=8)
        if metric == "overhead_bytes_per_min":
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle("E4: MIP-LR against classic Mobile IP (triangular routing through the home agent)")
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
def e6_frame(res) -> pd.DataFrame:
    rows = []
    for _, run in res.runs.iterrows():
        for f in res.summaries[run.key].get("failures", []):
            for mh, gap in f["delivery_gap_s"].items():
                rows.append({"key": run.key, "seed": run.seed, "failure": f["what"], "at_s": f["at_s"],
                             "mh": mh, "gap_s": gap})
    return pd.DataFrame(rows)


def summary_e6(res) -> pd.DataFrame:
    return _agg(e6_frame(res), ["failure", "at_s"], "gap_s")


def e6(res):
    plt = _plt()
    a = summary_e6(res).sort_values("at_s").reset_index(drop=True)
    d = e6_frame(res)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.bar(range(len(a)), a["mean"] * 1e3, yerr=_yerr(a) * 1e3, capsize=4, color="C2", alpha=0.7,
           label="mean, 95 % CI")
    for i, f in enumerate(a.failure):
        g = d[d.failure == f].gap_s.dropna()
        ax.scatter(np.full(len(g), i) + np.linspace(-0.15, 0.15, len(g)), g * 1e3, color="black",
                   s=12, zorder=3, label="one seed" if i == 0 else None)
    ax.legend(fontsize=7)
    ax.set_xticks(range(len(a)), [f"{w}\n(at {t:g} s)" for w, t in zip(a.failure, a.at_s)], fontsize=8)
    ax.set_ylabel("probe delivery gap (ms)")
    ax.set_title("E6: recovery with secondary gateways and up-links (Figures 2B, 2C)", fontsize=10)
    fig.tight_layout()
    return fig


# Experiment -> (sweep directory under results/, figure function, file name)
