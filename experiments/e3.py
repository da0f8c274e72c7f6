"""E3 (sweep ``e3-signalling-load.toml``): signalling received per kind of entity, integrated
vs flat macro-mobility, against random-waypoint handoff rates times the message flows (figure
``e3``: :func:`draw`, :func:`check`).

Frames and summaries: :func:`e3_frame`, :func:`e3_model`, :func:`summary_e3`,
:func:`e3_handoff_rates`. Shared plotting and the model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, agg, check_frame, per_results, pyplot


# ---- E3: signalling load, integrated vs flat ------------------------------------------------
# Fixed periodic floods that do not grow with the hosts: left out of the per-entity panels
# (counted in the network-wide one).
PERIODIC = ("GatewayBeacon", "BaseStationBeacon", "DrcpAdvertisement")
E3_ROLES = (("home_location_register", "home location register"), ("sip_server", "SIP server"),
            ("gateway", "gateways (all)"))


def _hosts(res, run) -> int:
    """The run's mobile hosts: a grid value of the sweep, or its scenario's (e3-steady sets it
    in the base)."""
    v = run.get("mobile_hosts.count")
    return int(v) if v is not None and not pd.isna(v) else int(res.scenario(run.key).mobile_hosts.count)


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
        hosts = _hosts(res, run)
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


def _retries(seconds, timeout_s: float) -> np.ndarray:
    """Retransmissions a wait of ``seconds`` implies under a timer of ``timeout_s`` doubling
    at every retry (MMP's registration and DRCP timers): sends at 0, T, 3T, 7T, ..."""
    x = np.asarray(pd.to_numeric(seconds, errors="coerce").dropna(), dtype=float)
    marks = timeout_s * (2.0 ** np.arange(1, 7) - 1)
    return (x[:, None] >= marks[None, :] - 1e-3).sum(axis=1)


def _loss(k) -> tuple[float, float]:
    """(p_first, p_next) of :func:`imm_ns3.analysis.model.retransmissions` from retry counts: the share
    of exchanges retried at least once, and of those retried at least once more."""
    k = np.asarray(k)
    n1, n2 = int((k >= 1).sum()), int((k >= 2).sum())
    return (n1 / len(k) if len(k) else 0.0, n2 / n1 if n1 else 0.0)


@per_results
def e3_losses(res) -> pd.DataFrame:
    """Per (case, speed, hosts), measured in the handoffs table after the warm-up: how often the
    answer to a registration (its ``update_s`` past MMP's 0.5 s timer) and the flooded DRCP
    reply (``drcp_s``) were late or lost, as (p_first, p_next). The model's retransmission terms
    take these as inputs: the answer to a host's first messages from a new care-of address is
    held up at its base station (a lost ARP request, retried a second later: registrations
    retried once complete at 1.0 s), which no first-order flow predicts; the location register
    and the SIP server see the same loss through their own timers."""
    h = res.handoffs
    rows = []
    for (case, speed), runs in res.runs.groupby(["case", "mobility.speed_mps"]):
        for hosts, rr in runs.groupby(runs.apply(lambda r: _hosts(res, r), axis=1)):
            s = res.scenario(rr.key.iloc[0])
            g = h[h.key.isin(rr.key) & (h.t_s >= s.simulation.warmup_s)]
            T = s.mmp.registration_timeout_s
            sub = g[g.kind == "inter_subnet"]
            # A movement's retries (mmp_retries) are its DRCP requests' and then its
            # registration's; those of the DRCP exchange show in its duration (drcp_s), and a
            # movement that never got its address retried only DRCP. Counting registrations by
            # their retries, not their duration, keeps the ones cut short by the next move.
            got = sub.drcp_s.notna()
            k_drcp = pd.Series(0, index=sub.index)
            k_drcp[got] = _retries(sub.drcp_s[got], T)
            reg = _loss((sub.mmp_retries - k_drcp)[got].clip(lower=0))
            drcp = _loss(np.where(got, k_drcp, sub.mmp_retries))
            rows.append({"case": case, "speed_mps": speed, "mobile_hosts": hosts,
                         "answer_p_first": reg[0], "answer_p_next": reg[1],
                         "drcp_p_first": drcp[0], "drcp_p_next": drcp[1]})
    return pd.DataFrame(rows)


@per_results
def e3_model(res) -> pd.DataFrame:
    """The model's received messages per minute per kind of entity (periodic floods excluded)
    for every (case, speed, hosts) of the sweep, two ways:

    - ``model_per_min``, what the check compares: for every run, the handoffs the cells'
      geometry and the station's rule give on that run's own walks (the walks ns-3 drew,
      replayed without it: imm_ns3.analysis.model.realised_handoff_rates; the mobility is the model's
      input, as a scenario's waypoints are), times the message flows
      (imm_ns3.analysis.model.signalling_load) with the route-updates lost to the hosts' movements
      (``outages``); averaged over the condition's runs as the simulated numbers are. Nothing
      measured in the network goes in;
    - ``model_with_retries_per_min``, the same with the retransmissions at the loss rates
      measured in the handoffs table (:func:`e3_losses`): an accounting of where the rest of
      the messages come from, not a prediction (the losses are not modelled);
    - ``model_expected_per_min``, the prediction for fresh walks from the same start
      (imm_ns3.analysis.model.rwp_window_handoff_rates: the transient of a uniform start inside the
      window), with the outages and without retransmissions: no input from the runs.

    Not modelled: the handoffs of stations whose beacons collide with a hidden neighbour's at
    every beacon (imm_ns3.analysis.model.beacon_lock_probability; :func:`e3_beacon_locks` names the
    runs)."""
    from imm_ns3.analysis import model as M
    from imm_ns3.topology import build_topology

    losses = e3_losses(res).set_index(["case", "speed_mps", "mobile_hosts"])
    topos, expected, per_run = {}, {}, []
    for _, run in res.runs.iterrows():
        hosts = _hosts(res, run)
        speed = run["mobility.speed_mps"]
        rk = (run.case, speed)
        if rk not in topos:
            topos[rk] = build_topology(res.scenario(run.key))
        topo = topos[rk]
        sim = topo.scenario.simulation
        window = (sim.warmup_s, sim.duration_s)
        mob = topo.scenario.mobility
        sc = topo.scenario
        # The lease renewal's and the location refresh's timers, counted on the walks.
        timers = (sc.drcp.lease_s / 2, 0.8 * sc.macro_mobility.lifetime_s)
        if rk not in expected:
            # About 240,000 host-seconds of walking inside the window (1-2 % on the rate).
            sample = max(500, int(240_000 / (window[1] - window[0])))
            expected[rk] = M.rwp_window_handoff_rates(topo, mob, window, hosts=sample,
                                                      timers_s=timers)
        lo = losses.loc[(run.case, speed, hosts)]
        rates = M.realised_handoff_rates(topo, mob, int(run.seed), hosts, window, step_s=0.1,
                                         timers_s=timers)
        load = M.signalling_load(topo, rates, hosts, window_s=window, outages=True)
        retried = M.signalling_load(topo, rates, hosts, window_s=window, outages=True,
                                    answer_loss=(lo.answer_p_first, lo.answer_p_next),
                                    drcp_loss=(lo.drcp_p_first, lo.drcp_p_next))
        exp = M.signalling_load(topo, expected[rk], hosts, window_s=window, outages=True)
        for role, _ in E3_ROLES:
            def total(ld):
                return sum(v for (r, m), v in ld.items() if r == role and m not in PERIODIC)
            per_run.append({"key": run.key, "case": run.case, "speed_mps": speed,
                            "mobile_hosts": hosts, "role": role,
                            "model_per_min": total(load),
                            "model_with_retries_per_min": total(retried),
                            "model_expected_per_min": total(exp),
                            "model_route_updates_per_min": load.get((role, "RouteUpdate"), 0.0),
                            "handoffs_per_host_min": 60 * rates.total_per_s,
                            "expected_handoffs_per_host_min": 60 * expected[rk].total_per_s})
    d = pd.DataFrame(per_run)
    return (d.drop(columns="key")
            .groupby(["case", "speed_mps", "mobile_hosts", "role"], as_index=False).mean())


@per_results
def e3_beacon_locks(res, window_ms: float = 1.0) -> pd.DataFrame:
    """Runs in which two hidden neighbouring base stations (imm_ns3.analysis.model.hidden_pairs) beacon
    less than ``window_ms`` apart, so their beacons collide in the cells' overlap at every
    beacon for the whole run. Each base station's beacon phase is read from the handoffs'
    last-beacon times (the most common phase, 10 us bins): a station that lost every beacon
    since its association reports its association time instead, hence the mode."""
    from imm_ns3.analysis import model as M
    from imm_ns3.topology import build_topology

    h = res.handoffs.dropna(subset=["last_beacon_s", "old_bs"])
    rows, pairs = [], {}
    for _, run in res.runs.iterrows():
        s = res.scenario(run.key)
        T = s.wifi.beacon_interval_s
        if run.case not in pairs:
            pairs[run.case] = M.hidden_pairs(build_topology(s))
        g = h[h.key == run.key]
        phase = {}
        for bs, x in g.groupby("old_bs"):
            vc = ((x.last_beacon_s % T) * 1e3).round(2).value_counts()
            if len(vc) and vc.iloc[0] >= 2:
                phase[bs] = vc.index[0]
        for a, b in pairs[run.case]:
            if a in phase and b in phase:
                d = abs(phase[a] - phase[b])
                d = min(d, T * 1e3 - d)
                if d < window_ms:
                    rows.append({"key": run.key, "case": run.case, "seed": run.seed,
                                 "mobile_hosts": _hosts(res, run),
                                 "speed_mps": run["mobility.speed_mps"], "pair": f"{a}-{b}",
                                 "offset_ms": d})
    return pd.DataFrame(rows, columns=["key", "case", "seed", "mobile_hosts", "speed_mps",
                                       "pair", "offset_ms"])


def summary_e3(res) -> pd.DataFrame:
    d = e3_frame(res)
    d = d[d.role != "network"]
    a = agg(d, ["role", "case", "speed_mps", "mobile_hosts"], "received_per_min")
    m = e3_model(res)
    return a.merge(m, on=["role", "case", "speed_mps", "mobile_hosts"], how="left")


def e3_handoff_rates(res) -> pd.DataFrame:
    """Simulated handoffs per host-minute (after the warm-up) against the random-waypoint model
    on the same walks (``handoffs_per_host_min``) and for fresh walks
    (``expected_handoffs_per_host_min``)."""
    h = res.handoffs
    rows = []
    for _, run in res.runs.iterrows():
        warm = res.scenario(run.key).simulation.warmup_s
        n = int(((h.key == run.key) & (h.t_s >= warm) & h.kind.notna()).sum())
        rows.append({"key": run.key, "case": run.case, "speed_mps": run["mobility.speed_mps"],
                     "mobile_hosts": _hosts(res, run),
                     "per_host_min": n / _e3_minutes(res, run.key) / _hosts(res, run)})
    d = pd.DataFrame(rows)
    a = agg(d, ["case", "speed_mps"], "per_host_min")
    # The model on every run's own walks, averaged like the runs (a condition's hosts counted
    # once per run, as the simulated mean counts them).
    m = (e3_model(res).drop_duplicates(["case", "speed_mps", "mobile_hosts"])
         .groupby(["case", "speed_mps"], as_index=False)[["handoffs_per_host_min",
                                                         "expected_handoffs_per_host_min"]].mean())
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


# ---- E3, steady state (sweep e3-steady.toml): 600 s runs, 240 s warm-up ----------------------
def summary_steady(res) -> pd.DataFrame:
    """Per kind of entity, design and speed: messages received per minute in the steady state
    (mean, Student-t 95 % interval over the seeds) against the model, and flat / integrated."""
    a = summary_e3(res)
    piv = a.pivot_table(index=["role", "speed_mps", "mobile_hosts"], columns="case", values="mean")
    if {"flat", "integrated"} <= set(piv.columns):
        ratio = (piv["flat"] / piv["integrated"]).rename("flat_over_integrated").reset_index()
        a = a.merge(ratio, on=["role", "speed_mps", "mobile_hosts"], how="left")
    return a


def check_steady(res) -> pd.DataFrame:
    """Figure e3-steady's model-check rows: messages received per minute per kind of entity,
    design and speed, and the handoff rate."""
    c = check(res)
    c["experiment"] = "e3-steady"
    return c


def draw_steady(res):
    """Figure e3-steady: messages received per minute by the location register, the SIP server
    and the gateways against the speed, both designs, with the model, in the steady state; and
    flat / integrated per entity."""
    plt = pyplot()
    a = summary_steady(res)
    fig, axes = plt.subplots(1, len(E3_ROLES) + 1, figsize=(15, 3.9))
    marks = {"integrated": "o", "flat": "s"}
    for ax, (role, title) in zip(axes, E3_ROLES):
        r = a[a.role == role]
        for j, case in enumerate(("integrated", "flat")):
            dd = r[r.case == case].sort_values("speed_mps")
            if len(dd):
                ax.errorbar(dd.speed_mps, dd["mean"], yerr=dd.ci95.fillna(0), ls="none",
                            marker=marks[case], color=f"C{j}", capsize=3, label=f"{case}")
                ax.plot(dd.speed_mps, dd.model_per_min, "--", color=f"C{j}", lw=1,
                        label=f"{case}: model")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("speed (m/s)")
        ax.set_ylabel("messages received per minute")
        ax.set_xscale("log")
        ax.set_xticks(sorted(a.speed_mps.unique()), [f"{v:g}" for v in sorted(a.speed_mps.unique())])
    axes[0].legend(fontsize=7)
    ax = axes[-1]
    if "flat_over_integrated" in a:
        for i, (role, title) in enumerate(E3_ROLES):
            r = a[(a.role == role) & (a.case == "integrated")].sort_values("speed_mps")
            ax.plot(r.speed_mps, r.flat_over_integrated, "o-", color=f"C{i + 2}", label=title)
    ax.axhline(1, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(sorted(a.speed_mps.unique()), [f"{v:g}" for v in sorted(a.speed_mps.unique())])
    ax.set_xlabel("speed (m/s)")
    ax.set_ylabel("flat / integrated (messages received)")
    ax.set_title("what keeping signalling local saves", fontsize=10)
    ax.legend(fontsize=7)
    hosts = sorted(a.mobile_hosts.unique())
    n = int(a.n.min()) if len(a) else 0
    fig.suptitle(f"E3, steady state ({', '.join(str(h) for h in hosts)} hosts, counted from 240 s"
                 f" to 600 s, {n} seeds): integrated vs flat macro-mobility")
    fig.tight_layout()
    return fig
