"""E2 (sweep ``e2-semisoft-loss.toml``): packets lost per intra-domain handoff, hard vs
semi-soft hand-off, against the switch-window model (figure ``e2``: :func:`draw`, :func:`check`).

Frames and summaries: :func:`e2_frame`, :func:`summary_e2`. Shared plotting and the
model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, check_frame, per_results, pyplot, strip
from imm_ns3.analysis.stats import mean_ci, median_ci


# ---- E2: packets lost per intra-domain handoff, hard vs semi-soft ----------------------------
E2_DELAY = "links.domain.delay_ms"
E2_PERIOD = "mmp.semisoft_period_s"


@per_results
def e2_frame(res) -> pd.DataFrame:
    """The intra-domain handoffs (the only kind semi-soft applies to), with the hand-off mode,
    semi-soft period, domain-link delay and probe rate of their run, and the model's loss."""
    from imm_ns3.analysis import model as M
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
        radios = sc.wifi.mh_radios
        model = (M.single_radio_loss(rate, topo, r.old_bs, r.new_bs) if radios == 1
                 else M.handoff_loss(rate, topo, r.old_bs, r.new_bs, mode, period))
        rows.append({"key": r.key, "case": runs.loc[r.key, "case"], "seed": r.seed, "mode": mode,
                     "radios": radios, "period_s": period, "delay_ms": sc.links.domain.delay_ms,
                     "rate_pps": rate, "probe_lost": r.probe_lost,
                     "probe_duplicates": r.probe_duplicates,
                     "probe_gap_s": r.probe_gap_s, "l2_s": r.l2_s, "mmp_s": r.mmp_s,
                     "window_s": M.hard_switch_window_s(topo, r.old_bs, r.new_bs),
                     "model_lost": model})
    return pd.DataFrame(rows)


def summary_e2(res) -> pd.DataFrame:
    """Per case and domain-link delay: loss per handoff as a median with its 95 % CI (order statistics)
    (the counts are heavy-tailed: a few handoffs lose hundreds of milliseconds to a radio event)
    and as a mean, duplicates, n, and the model's loss and switch window."""
    d = e2_frame(res)
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


def check(res) -> pd.DataFrame:
    """Figure e2's model-check rows: the median loss per handoff of every case and delay."""
    s = summary_e2(res)
    return check_frame([ModelCheckRow(
        experiment="e2", quantity="probe packets lost per handoff (median)",
        condition=f"{r.case}, domain links {r.delay_ms:g} ms", simulated=r.lost_median,
        model=r.model_lost, n=r.n, ci_lo=r.lost_ci_lo, ci_hi=r.lost_ci_hi)
        for _, r in s.iterrows()])


def draw(res):
    """Figure e2: (a) loss per handoff against the domain-link delay, median and every handoff,
    against the model; (b) duplicates per handoff, the price of bicasting."""
    plt = pyplot()
    d = e2_frame(res)
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
                     label=f"{case}: median, 95 % CI")
        ax1.plot(x, a.model_lost, "_", color=color, ms=16, mew=2, label=f"{case}: model")
        for xi, dl in zip(x, a.delay_ms):
            pts = d[(d.case == case) & (d.delay_ms == dl)].probe_lost
            strip(ax1, xi, pts, color, 0.15)
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


# ---- E2, probe rate (sweep e2-probe-rate.toml): a fixed time or a fixed count? ---------------
def summary_probe_rate(res) -> pd.DataFrame:
    """Per domain-link delay and probe rate: loss per hard handoff (median with its 95 % CI,
    mean), the model's, and the loss beyond the model expressed in time (excess / rate)."""
    d = e2_frame(res)
    rows = []
    for (delay, rate), g in d.groupby(["delay_ms", "rate_pps"], sort=True):
        med = median_ci(g.probe_lost)
        excess = median_ci(g.probe_lost - g.model_lost)
        rows.append({"delay_ms": delay, "rate_pps": rate, "n": med.n,
                     "lost_median": med.median, "lost_ci_lo": med.lo, "lost_ci_hi": med.hi,
                     "lost_mean": float(g.probe_lost.mean()),
                     "model_lost": float(g.model_lost.mean()),
                     "excess_median": excess.median, "excess_lo": excess.lo, "excess_hi": excess.hi,
                     "excess_ms": excess.median / rate * 1e3})
    return pd.DataFrame(rows)


def probe_rate_fit(res) -> pd.DataFrame:
    """Per domain-link delay: the loss beyond the model fitted as a + b x rate (least squares
    over every handoff without a radio event, i.e. losing less than model + 30): a in packets (a
    queue of fixed length), b in seconds (an outage of fixed length). A term the model lacks
    shows in one of the two."""
    d = e2_frame(res)
    rows = []
    for delay, g in d.groupby("delay_ms", sort=True):
        g = g[g.probe_lost < g.model_lost + 30]
        A = np.vstack([np.ones(len(g)), g.rate_pps.to_numpy(float)]).T
        coef, *_ = np.linalg.lstsq(A, (g.probe_lost - g.model_lost).to_numpy(float), rcond=None)
        rows.append({"delay_ms": delay, "n": len(g), "packets": float(coef[0]),
                     "seconds": float(coef[1])})
    return pd.DataFrame(rows)


def check_probe_rate(res) -> pd.DataFrame:
    """Figure e2-probe-rate's model-check rows: median loss per hard handoff at each rate and
    delay."""
    return check_frame([ModelCheckRow(
        experiment="e2-probe-rate", quantity="probe packets lost per hard handoff (median)",
        condition=f"{r.rate_pps:g} packet/s, domain links {r.delay_ms:g} ms",
        simulated=r.lost_median, model=r.model_lost, n=r.n, ci_lo=r.lost_ci_lo,
        ci_hi=r.lost_ci_hi) for _, r in summary_probe_rate(res).iterrows()])


def draw_probe_rate(res):
    """Figure e2-probe-rate: (a) loss per hard handoff against the probe rate, median with its
    CI and the model, per domain-link delay; (b) the loss beyond the model in time (excess /
    rate): flat in the rate for a missing time term, falling as 1/rate for a missing count."""
    plt = pyplot()
    s = summary_probe_rate(res)
    fit = probe_rate_fit(res).set_index("delay_ms")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for j, (delay, a) in enumerate(s.groupby("delay_ms", sort=True)):
        color = f"C{j}"
        yerr = np.vstack([(a.lost_median - a.lost_ci_lo).fillna(0).clip(lower=0),
                          (a.lost_ci_hi - a.lost_median).fillna(0).clip(lower=0)])
        ax1.errorbar(a.rate_pps, a.lost_median, yerr=yerr, fmt="o", color=color, capsize=3,
                     label=f"links {delay:g} ms: median, 95 % CI")
        ax1.plot(a.rate_pps, a.model_lost, "--", color=color, label=f"links {delay:g} ms: model")
        f = fit.loc[delay]
        ax2.plot(a.rate_pps, a.excess_ms, "o-", color=color,
                 label=f"links {delay:g} ms: fit {f.packets:+.2f} pkt {f.seconds * 1e3:+.1f} ms x rate")
    rates = sorted(s.rate_pps.unique())
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xticks(rates, [f"{v:g}" for v in rates])
        ax.set_xticks([], minor=True)
        ax.set_xlabel("probe rate (packet/s)")
        ax.legend(fontsize=7)
    ax1.set_yscale("log")
    ax1.set_ylabel("probe packets lost per hard handoff")
    ax1.set_title("(a) loss against rate (two radios, hard hand-off)", fontsize=9)
    ax2.axhline(0, color="0.6", lw=0.8)
    ax2.set_ylabel("loss beyond the model / rate (ms, median)")
    ax2.set_title("(b) what the model misses, in time", fontsize=9)
    n = int(s.n.min()) if len(s) else 0
    fig.suptitle(f"E2, probe rate: a fixed time, not a fixed count (at least {n} handoffs per point)")
    fig.tight_layout()
    return fig
