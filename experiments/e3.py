"""E3 (sweep ``e3-signalling-load.toml``): signalling received per kind of entity, integrated
vs flat macro-mobility, against random-waypoint handoff rates times the message flows (figure
``e3``: :func:`draw`, :func:`check`).

Frames and summaries: :func:`e3_frame`, :func:`e3_model`, :func:`summary_e3`,
:func:`e3_handoff_rates`. Shared plotting and the model-check rows: :mod:`imm_ns3.plotting`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imm_ns3.plotting import ModelCheckRow, agg, check_frame, per_results, pyplot


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


@per_results
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
    a = agg(d, ["role", "case", "speed_mps", "mobile_hosts"], "received_per_min")
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
    a = agg(d, ["case", "speed_mps"], "per_host_min")
    m = e3_model(res).drop_duplicates(["case", "speed_mps"])[["case", "speed_mps",
                                                               "handoffs_per_host_min"]]
    return a.merge(m, on=["case", "speed_mps"], how="left")


def check(res) -> pd.DataFrame:
    """Figure e3's model-check rows: messages received per minute by each kind of entity, and
    the handoff rate, per condition."""
    rows = []
    for _, r in summary_e3(res).iterrows():
        rows.append(ModelCheckRow(
            experiment="e3", quantity=f"{r.role} messages received per minute",
            condition=f"{r.case}, {r.speed_mps:g} m/s, {r.mobile_hosts} hosts",
            simulated=r["mean"], model=r.model_per_min, n=r.n, ci_lo=r["mean"] - r.ci95,
            ci_hi=r["mean"] + r.ci95))
    for _, r in e3_handoff_rates(res).iterrows():
        rows.append(ModelCheckRow(
            experiment="e3", quantity="handoffs per host-minute",
            condition=f"{r.case}, {r.speed_mps:g} m/s", simulated=r["mean"],
            model=r.handoffs_per_host_min, n=r.n, ci_lo=r["mean"] - r.ci95,
            ci_hi=r["mean"] + r.ci95))
    return check_frame(rows)


def draw(res):
    """Figure e3: messages received per minute by the location register, the SIP server and the
    gateways against the hosts, with the model's lines, and the network-wide bytes per host."""
    plt = pyplot()
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
            g = agg(n[(n.case == case) & (n.speed_mps == speed)], ["mobile_hosts"],
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
