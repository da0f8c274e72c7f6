"""E6 (sweep ``e6-redundancy.toml``): recovery from a gateway and an up-link failure with
secondary gateways and up-links (Figures 2B, 2C) against a single path (figure ``e6``:
:func:`draw`, :func:`check`).

Frames and summaries: :func:`e6_frame`, :func:`e6_model`, :func:`summary_e6`. Shared plotting
and the model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, check_frame, per_results, pyplot, strip
from imm_ns3.analysis.stats import median_ci, wilson


# ---- E6: redundancy ----------------------------------------------------------------------
E6_DETECTION = {"beacons": "beacon silence", "local": "local detection"}


def _e6_condition(run) -> dict:
    case = run.case if isinstance(run.case, str) else "redundant"
    det = run.get("mmp.failure_detection")
    br = run.get("mmp.border_route_delay_s")
    return {"case": case,
            "detection": det if isinstance(det, str) else "beacons",
            "br_delay_s": float(br) if br is not None and not pd.isna(br) else 0.0}


@per_results
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
    mmp.border_route_delay_s later.

    A node notices the deadline passed only when it next looks (mmp/node.py ``_alive``): on
    its own up-link check, every T from its start, or on a gateway-beacon of another gateway
    (every T, in that gateway's phase). After a gateway failure the two are independent of the
    failure and of each other: the first of two uniformly phased periodic events (mean T/3,
    :func:`imm_ns3.analysis.model.first_of`). After an up-link failure the node still hears the same
    gateway's beacons through its secondary up-link, in the lost beacons' own phase, so one
    arrives at the deadline: no wait."""
    from imm_ns3.analysis import model as M

    m = sc.mmp
    T = m.beacon_interval_s
    heal = M.uniform("host's next route-update", m.route_update_interval_s)
    if failure.startswith("node"):
        heal = heal + M.fixed("border-router convergence", m.border_route_delay_s)
    if m.failure_detection == "local":
        return M.fixed("local detection", m.local_detection_delay_s) + heal
    detect = M.fixed("missed gateway-beacons", (m.failover_beacons - 1) * T) + M.uniform("beacon phase", T)
    if failure.startswith("node"):
        detect = detect + M.first_of("next look: own check or the other gateway's beacon", T, 2)
    return detect + heal


def _e6_model_of(res, g: pd.DataFrame):
    """The model of one condition, or None: a single path that never returns never recovers.
    Single path: nothing until the element returns, then its next gateway-beacon (uniform
    over T) and the host's next route-update (the border router's route never changed)."""
    from imm_ns3.analysis import model as M

    r = g.iloc[0]
    sc = res.scenario(r.key)
    if r.case != "single-path":
        return e6_model(sc, r.failure)
    if r.restore_s is None or pd.isna(r.restore_s):
        return None
    return (M.fixed("until the element returns", r.restore_s - r.failed_at_s)
            + M.uniform("its next gateway-beacon", sc.mmp.beacon_interval_s)
            + M.uniform("host's next route-update", sc.mmp.route_update_interval_s))


E6_BY = ["failure", "case", "detection", "br_delay_s"]


def summary_e6(res) -> pd.DataFrame:
    """One row per failure and condition: how many failures hit the path in use (Wilson 95 %
    interval), the gap when hit (median, 95 % interval (order statistics); a failure with no delivery
    until the run's end counts as 'not recovered'), the gap when missed, and the model."""
    d = e6_frame(res)
    rows = []
    for keys, g in d.groupby(E6_BY, sort=False):
        hits = g[g.hit]
        lo, hi = wilson(len(hits), len(g))
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


def check(res) -> pd.DataFrame:
    """Figure e6's model-check rows: the median gap when the failure hit the path in use, for
    every condition with hits and a model."""
    return check_frame([ModelCheckRow(
        experiment="e6", quantity="delivery gap when the failure hit the path in use (median, s)",
        condition=f"{r.failure} at {r.at_s:g} s, {r.case}, {_e6_label(r, False)}",
        simulated=r.gap_hit_median_s, model=r.model_gap_median_s, n=r.hits,
        ci_lo=r.gap_hit_lo_s, ci_hi=r.gap_hit_hi_s)
        for _, r in summary_e6(res).iterrows()
        if r.hits and not math.isnan(r.model_gap_median_s)])


def draw(res):
    """Figure e6: the probe's delivery gap when a failure hit the path in use, per failure and
    condition, against the model; and the share of failures that hit it (Wilson 95 % CI)."""
    plt = pyplot()
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
        strip(ax, x, g.gap_s.dropna() * 1e3, color, 0.4)
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
        lo, hi = wilson(int(r.hits), int(r.n))
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
