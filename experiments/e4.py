"""E4 (sweep ``e4-mip-vs-miplr.toml``): MIP-LR against classic Mobile IP: delay, update
latency, TCP set-up and signalling against the home network's and the correspondent's distance
(figure ``e4``: :func:`draw`, :func:`check`).

Frames and summaries: :func:`e4_frame`, :func:`summary_e4`. Shared plotting and the
model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, agg, check_frame, per_results, pyplot


# ---- E4: MIP-LR vs classic Mobile IP ------------------------------------------------------------
MACRO_MESSAGES = ("MipUpdate", "MipUpdateAck", "MipQuery", "MipQueryReply",
                  "RegistrationRequest", "RegistrationReply")
E4_HOME = "subnets.home.access_link.delay_ms"
E4_CH = "subnets.sn0.access_link.delay_ms"


def _e4_model(topo, case: str) -> dict:
    """Model values of one E4 run's network: correspondent-to-mobile delay averaged over the
    walk's four cells, the update latency after the sub-network change (to the correspondent
    for MIP-LR, to the home agent for Mobile IP) and the TCP set-up delay at the first cell."""
    from imm_ns3.analysis import model as M

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
    # The first packet towards the correspondent in the run (the probe only flows towards the
    # host and the call starts after the transfer): its LAN router resolves it first, ns-3's
    # ARP request jitter included (the location register's reply for MIP-LR, the SYN-ACK for
    # Mobile IP).
    setup += M.arp_resolution("ARP at the correspondent's router").mean
    return {"model_delay_ms": delay * 1e3, "model_update_ms": update * 1e3,
            "model_setup_ms": setup * 1e3}


@per_results
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
        a = agg(d, ["case", "home_delay_ms", "ch_delay_ms"], col)
        a.insert(0, "metric", col)
        model = f"model_{col}"
        if model in d:
            m = d.groupby(["case", "home_delay_ms", "ch_delay_ms"])[model].mean().rename("model")
            a = a.merge(m.reset_index(), on=["case", "home_delay_ms", "ch_delay_ms"], how="left")
        out.append(a)
    return pd.concat(out, ignore_index=True)


def check(res) -> pd.DataFrame:
    """Figure e4's model-check rows: mean delay, update latency and TCP set-up per condition."""
    a = summary_e4(res)
    a = a[a.metric.isin(["delay_ms", "update_ms", "setup_ms"])]
    return check_frame([ModelCheckRow(
        experiment="e4", quantity=f"{r.metric} (mean)",
        condition=f"{r.case}, home {r.home_delay_ms:g} ms, correspondent {r.ch_delay_ms:g} ms",
        simulated=r["mean"], model=r.model, n=r.n, ci_lo=r["mean"] - r.ci95,
        ci_hi=r["mean"] + r.ci95)
        for _, r in a.iterrows()])


def draw(res):
    """Figure e4: delay, update latency, TCP set-up, signalling per care-of change and overhead
    against the home network's distance, MIP-LR and Mobile IP, with the model's lines."""
    plt = pyplot()
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
