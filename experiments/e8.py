"""E8 (sweeps ``e8-radio.toml`` and ``e8-radio-channel.toml``): the radio part of the handoff
against missed beacons and the daemons' interface polling (figure ``e8``: :func:`draw`,
:func:`check`), and against the 802.11 timers and the radio channel (figure ``e8-channel``:
:func:`draw_channel`, :func:`check_channel`).

Frames and summaries: :func:`e8_frame`, :func:`summary_e8`, :func:`e8_channel_frame`,
:func:`summary_e8_channel`. Shared plotting and the model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, check_frame, per_results, pyplot, strip
from imm_ns3.analysis.stats import ecdf, mean_ci, median_ci, wilson


# ---- E8: the radio part ---------------------------------------------------------------------
E8_MISSED = "wifi.max_missed_beacons"
E8_MONITOR = "mmp.monitor_interval_s"
# Published 802.11b handoff latencies (Mishra, Shin and Arbaugh 2003): 58-400 ms per handoff,
# most of it the probe phase of a multi-channel scan.
PUBLISHED_L2_MS = (58.0, 400.0)


@per_results
def e8_frame(res) -> pd.DataFrame:
    from imm_ns3.analysis import model as M

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


def check(res) -> pd.DataFrame:
    """Figure e8's model-check rows per condition: the radio part's median, alone and with the
    wait for the daemon's poll."""
    rows = []
    for _, r in summary_e8(res).iterrows():
        cond = f"{r.missed} missed beacons, poll {r.monitor_s:g} s"
        rows.append(ModelCheckRow(
            experiment="e8", quantity="radio part (median, s)", condition=cond,
            simulated=r.radio_median_s, model=r.model_radio_median_s, n=r.n,
            ci_lo=r.radio_lo_s, ci_hi=r.radio_hi_s))
        rows.append(ModelCheckRow(
            experiment="e8", quantity="radio part + interface poll (median, s)", condition=cond,
            simulated=r.radio_poll_median_s, model=r.model_radio_poll_median_s, n=r.n,
            ci_lo=r.radio_poll_lo_s, ci_hi=r.radio_poll_hi_s))
    return check_frame(rows)


def draw(res):
    """Figure e8: (a) the radio part plus the wait for the daemon's poll against missed beacons,
    with the model and the published 802.11b band; (b) the probe's interruption per handoff."""
    plt = pyplot()
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
                     color=color, capsize=3, label=f"{label}: median, 95 % CI")
        ax1.plot(a.missed, a.model_radio_poll_median_s * 1e3, "-", color=color, lw=1,
                 label=f"{label}: model")
        for _, r in a.iterrows():
            g = h[(h.missed == r.missed) & (h.monitor_s == t)].radio_poll_s * 1e3
            strip(ax1, r.missed + (j - 0.5) * 0.15, g, color, 0.12)
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


@per_results
def e8_channel_frame(res) -> pd.DataFrame:
    """Every handoff of the walk (the first attachment excluded), with its case, the model of
    its radio part (no loss: N x beacon interval + probe timeout + association) and whether it
    returned to the base station the host had left at its previous handoff (in a straight walk
    every return is the channel's doing: back and forth where two cells overlap)."""
    from imm_ns3.analysis import model as M

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
        lo, hi = wilson(int(g.longer.sum()), len(g))
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


def check_channel(res) -> pd.DataFrame:
    """Figure e8-channel's model-check rows: the radio part's median per case against the
    lossless model."""
    return check_frame([ModelCheckRow(
        experiment="e8-channel", quantity="radio part (median, s)", condition=r.case,
        simulated=r.radio_median_s, model=r.model_radio_s, n=r.n, ci_lo=r.radio_lo_s,
        ci_hi=r.radio_hi_s)
        for _, r in summary_e8_channel(res).iterrows()])


def draw_channel(res):
    """Figure e8-channel: (a) the radio part against its model for each 802.11 timer; (b) every
    handoff's radio part under shadowing, fading and speed; (c) the handoffs the channel adds."""
    plt = pyplot()
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
        strip(ax2, i, h[h.case == c].l2_s * 1e3, "C0" if "rayleigh" not in c else "C2", 0.35)
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
