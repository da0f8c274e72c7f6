"""E9 (sweep ``e9-security.toml``): an attacker against location management, with and without
authentication: forgeries taken, how long they held against the model, what reached the
attacker (figure ``e9``: :func:`draw`, :func:`check`), and what authentication costs
(:func:`e9_cost`).

Frames and summaries: :func:`e9_frame`, :func:`summary_e9`, :func:`e9_cost`. Shared plotting and
the model-check rows: :mod:`imm_ns3.analysis.plotting`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from imm_ns3.analysis.plotting import ModelCheckRow, check_frame, per_results, pyplot, strip
from imm_ns3.analysis.stats import mann_whitney, mean_ci, median_ci, wilson


# ---- E9: an attacker against location management, with and without authentication ----------
E9_KINDS = ("miplr_update", "mip_registration", "sip_register", "sip_reinvite", "replay",
            "mmp_registration", "mmp_semisoft_copy", "drcp_exhaustion")
# How long after the victim's next care-of address a forged binding still stands: the host's
# update itself (one round trip, ~0.01 s), plus for a re-INVITE the correspondent's 500 to the
# host's (the forger spent its CSeq) and the retry after Retry-After 1 s (RFC 3261 14.1).
E9_RELEASE_EXTRA_S = {"sip_reinvite": 1.0}


def _victim_moves(res, key: str) -> list[float]:
    """When mh1's care-of address changed after its first attachment: the handoffs table's
    care-of history (``coa_changed``, ``coa_change_s``), not the event log."""
    h = res.handoffs
    h = h[(h.key == key) & (h.mh == "mh1") & (h.coa_changed == True)]  # noqa: E712 - nullable
    return sorted(float(t) for t in h.coa_change_s.dropna())


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


@per_results
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
        lo, hi = wilson(int(per_attack.accepted.sum()), len(per_attack))
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


def check(res) -> pd.DataFrame:
    """Figure e9's model-check rows: attacks that got a binding (none with authentication, none
    for a replay, every one otherwise), how long a forged binding held, the forged DRCP leases
    and the RTP packets a forged re-INVITE drew."""
    rows = []
    for _, r in summary_e9(res).iterrows():
        setting = "auth on" if r.auth else "auth off"
        rows.append(ModelCheckRow(
            experiment="e9", quantity="attacks that got a binding",
            condition=f"{r.kind}, {setting}", simulated=r.attacks_accepted,
            model=0 if (r.auth or r.kind == "replay") else r.attacks, n=r.attacks,
            ci_lo=r.accepted_lo * r.attacks, ci_hi=r.accepted_hi * r.attacks))
        if r.targets_accepted and not math.isnan(r.model_held_median_s):
            # (A same-cell forged registration has no model: the victim's own uplink takes
            # it back between the attacker's refreshes; results/README.md.)
            rows.append(ModelCheckRow(
                experiment="e9", quantity="forged binding held (median, s)",
                condition=f"{r.kind}, {setting}", simulated=r.held_median_s,
                model=r.model_held_median_s, n=r.targets_accepted, ci_lo=r.held_lo_s,
                ci_hi=r.held_hi_s))
    # DRCP exhaustion: every free address of the pool goes to an invented client id.
    a = e9_frame(res)
    g = a[(a.kind == "drcp_exhaustion") & ~a.auth]
    if len(g):
        sc = res.scenario(g.key.iloc[0])
        sub = next(n for n, sn in sc.subnets.items() if sn.kind == "wireless" and n != "sn1")
        size = _pool_size(sc, sub)
        sim, ci, n = mean_ci(g.accepted_leases.astype(float))
        rows.append(ModelCheckRow(
            experiment="e9", quantity="forged DRCP leases (mean)",
            condition="drcp_exhaustion, auth off", simulated=sim,
            model=size - 1,  # less the attacker's own lease
            n=n, ci_lo=sim - ci, ci_hi=sim + ci))
    # RTP the correspondent sends to a forged re-INVITE's address: one packet per interval.
    g = a[(a.kind == "sip_reinvite") & a.accepted]
    if len(g):
        interval = res.scenario(g.key.iloc[0]).sip.rtp_interval_s
        sim, ci, n = mean_ci(g.hijacked_packets)
        rows.append(ModelCheckRow(
            experiment="e9", quantity="RTP packets to the attacker (mean)",
            condition="sip_reinvite, auth off", simulated=sim,
            model=float((g.held_s / interval).mean()), n=n, ci_lo=sim - ci, ci_hi=sim + ci))
    return check_frame(rows)


check_e9 = check  # the name tests/package/test_results_readme.py and older notebooks use


def _pool_size(sc, subnet: str) -> int:
    """Care-of addresses of a wireless sub-network: its host addresses less its base stations'."""
    import ipaddress

    from imm_ns3.topology import build_topology

    net = ipaddress.IPv4Network(sc.subnets[subnet].prefix)
    first, last, used = build_topology(sc).coa_range(subnet)
    return last - first + 1 - len([u for u in used if ipaddress.IPv4Address(u) in net])


def draw(res):
    """Figure e9: (a) the share of attacks in which a target took the forgery, auth off and on;
    (b) how long the forged binding held against the model; (c) what reached the attacker."""
    plt = pyplot()
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
                     capsize=3, label="median, 95 % CI" if i == 0 else None)
        strip(ax2, i, g.held_s, "C3", 0.3)
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
            strip(ax3, i + (j - 0.5) * 0.38, g.packets, f"C{3 if not auth else 2}", 0.3)
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
