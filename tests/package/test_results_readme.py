"""The numbers results/README.md quotes come from the stored tables: recomputed here from the
committed (packed) results with the figures' own code, each must appear in the README as
written. A regeneration that moves a number fails this test until the README is updated."""

from __future__ import annotations

import functools
import sys
import re

import pandas as pd
import pytest

from imm_ns3.analysis import load
from imm_ns3.analysis.stats import wilson

from conftest import ROOT

README = re.sub(r"\s+", " ", (ROOT / "results" / "README.md").read_text())  # wrapped lines
sys.path.insert(0, str(ROOT / "experiments"))
# experiments/e1.py ... e9.py: each experiment's frames, summaries and checks
from e1 import KINDS, e1_ordering, paired_radio, summary_e1, summary_timers  # noqa: E402
from e2 import probe_rate_fit, summary_e2  # noqa: E402
from e3 import check_steady, e3_handoff_rates, summary_e3, summary_steady  # noqa: E402
from e4 import summary_e4  # noqa: E402
from e6 import e6_frame, summary_e6  # noqa: E402
from e7 import e7_frame, paired_e7, summary_e7  # noqa: E402
from e8 import summary_e8, summary_e8_channel  # noqa: E402
from e9 import check_e9, e9_cost, summary_e9  # noqa: E402


@pytest.fixture(scope="module")
def results():
    """``results(name)``: one load per results directory for the whole module (e6 and e7 serve
    two tests each); the frames the experiments' code computes are cached on the loaded object,
    each caller getting its own copy."""
    return functools.cache(lambda name: load(ROOT / "results" / name))


def _quoted(text: str) -> None:
    text = re.sub(r"\s+", " ", text)
    assert text in README, f"results/README.md should say {text!r} (recomputed from the tables)"


@pytest.fixture(scope="module")
def e1(results):
    return results("e1-handoff-latency")


def test_e1_numbers(e1):
    s = summary_e1(e1).set_index(["kind", "quantity"])
    radio = s.loc[("intra_domain", "radio"), "median_s"]
    _quoted(f"{radio * 1e3:.1f} ms in every handoff")
    mmp = [s.loc[(k, "mmp"), "median_s"] * 1e3 for k in KINDS]
    _quoted(f"Medians {mmp[0]:.0f} ms (intra-domain), {mmp[1]:.0f} ms (inter-domain), {mmp[2]:.0f} ms")
    t = e1_ordering(e1)["test"]
    _quoted(f"U = {t.u:g}, z = {t.z:.2f}, p = {t.p:.2f}")
    gaps = pd.to_numeric(e1.handoffs[e1.handoffs.kind == "inter_subnet"].tcp_gap_s)
    at_rto = int(((gaps > 1.0) & (gaps < 1.05)).sum())
    after_backoff = int(((gaps > 2.9) & (gaps < 3.1)).sum())
    _quoted(f"{s.loc[('inter_subnet', 'TCP interruption'), 'median_s']:.3f} s in {at_rto} of"
            f" {len(gaps)} handoffs and 3.0 s in {after_backoff}")


def test_e2_numbers(results):
    s = summary_e2(results("e2-semisoft-loss"))
    hard = s[s.case == "hard"].sort_values("delay_ms").lost_median
    _quoted("medians " + ", ".join(f"{v:g}" for v in hard.iloc[:-1]) + f" and {hard.iloc[-1]:g}"
            " packets")


def test_e3_numbers(results):
    res = results("e3-signalling-load")
    a = summary_e3(res).set_index(["role", "case", "speed_mps", "mobile_hosts"])["mean"]
    hlr = {(c, v): a[("home_location_register", c, v, 100)] for c in ("integrated", "flat")
           for v in (2.0, 10.0)}
    _quoted(f"home location register {hlr[('integrated', 2.0)]:.0f} vs {hlr[('flat', 2.0)]:.0f}"
            f" messages per minute at 2 m/s and {hlr[('integrated', 10.0)]:.0f} vs"
            f" {hlr[('flat', 10.0)]:.0f} at 10 m/s")
    r = e3_handoff_rates(res).set_index(["case", "speed_mps"])
    _quoted(f"predicts 1.04 handoffs per host-minute at 2 m/s, measured {r.loc[('flat', 2.0), 'mean']:.2f}")
    _quoted(f"the same rule on the runs' own walks, {r.loc[('flat', 2.0), 'handoffs_per_host_min']:.2f}")
    _quoted(f"with the station's 0.51 s detection rule, {r.loc[('flat', 2.0), 'expected_handoffs_per_host_min']:.2f}")


def test_e3_steady_numbers(results):
    res = results("e3-steady")
    s = summary_steady(res)
    hlr = s[s.role == "home_location_register"].set_index(["case", "speed_mps"])["mean"]
    _quoted(f"{hlr[('integrated', 1.0)]:.1f} vs {hlr[('flat', 1.0)]:.1f} messages per minute at 1 m/s,"
            f" {hlr[('integrated', 2.0)]:.1f} vs {hlr[('flat', 2.0)]:.1f} at 2 m/s")
    _quoted(f"({hlr[('integrated', 5.0)]:.1f} vs {hlr[('flat', 5.0)]:.1f}, {hlr[('integrated', 10.0)]:.1f}"
            f" vs {hlr[('flat', 10.0)]:.1f})")
    c = check_steady(res)
    assert ((c.simulated / c.model - 1).abs() <= 0.10).all()
    _quoted(f"**The model holds in all {len(c)} rows** (within 10 %)")


def test_e1_timers_and_radio_numbers(results):
    t = summary_timers(results("e1-timers"))
    inside = (t.model_median_s >= t.ci_lo_s) & (t.model_median_s <= t.ci_hi_s)
    _quoted(f"**The model holds in all {len(t)} conditions**")
    assert inside.all()
    sub = t[(t.kind == "inter_subnet") & t.case.isin(["drcp-adv-250ms", "default", "drcp-adv-1s",
                                                       "drcp-adv-2s"])].sort_values("advertisement_s")
    _quoted("inter-subnet medians " + ", ".join(f"{v * 1e3:,.0f}" for v in sub.median_s.iloc[:-1])
            + f" and {sub.median_s.iloc[-1] * 1e3:,.0f} ms")
    p = paired_radio(results("e1-radio")).set_index("kind")
    for kind in ("intra_domain", "inter_domain", "inter_subnet"):
        r = p.loc[kind]
        _quoted(f"{r.diff_median_s * 1e3:.0f} ms (95 % CI {r.diff_lo_s * 1e3:.0f}-{r.diff_hi_s * 1e3:.0f} ms,"
                f" slower in {int(r.slower)} of {int(r.pairs)})")


def test_e2_probe_rate_and_e7_paired_numbers(results):
    f = probe_rate_fit(results("e2-probe-rate")).set_index("delay_ms")
    _quoted(f"{f.loc[1.0, 'packets']:+.2f} packets {f.loc[1.0, 'seconds'] * 1e3:+.1f} ms x rate (1 ms links)"
            f" and {f.loc[20.0, 'packets']:+.2f} packets {f.loc[20.0, 'seconds'] * 1e3:+.1f} ms x rate")
    p = paired_e7(results("e7-policy"))
    r = p[(p.quantity == "RTP resumes after the care-of change") & (p.a == "integrated")
          & (p.b == "miplr-only")].iloc[0]
    _quoted(f"median {r.diff_median_s * 1e3:.1f} ms, 95 % CI {r.diff_lo_s * 1e3:.1f}-{r.diff_hi_s * 1e3:.1f} ms,"
            f" later in {r.a_slower} of {r.pairs} seeds")


def test_e4_numbers(results):
    a = summary_e4(results("e4-mip-vs-miplr"))
    setup = a[(a.metric == "setup_ms") & (a.ch_delay_ms == 2.0)].set_index(["case", "home_delay_ms"])
    miplr = [setup.loc[("miplr", h), "mean"] for h in (5.0, 20.0, 50.0)]
    mip = [setup.loc[("mip", h), "mean"] for h in (5.0, 20.0, 50.0)]
    _quoted(f"{miplr[0]:.1f}, {miplr[1]:.1f} and {miplr[2]:.1f} ms with the correspondent near,"
            f" against Mobile IP's {mip[0]:.1f}, {mip[1]:.1f} and {mip[2]:.1f} ms")


def test_e7_and_e8_numbers(results):
    res7 = results("e7-policy")
    s = summary_e7(res7).set_index("case")
    d = e7_frame(res7)
    sip = d[d.case == "sip-only"]
    share = (sip.tcp_received_mb / sip.tcp_offered_mb).median()
    _quoted(f"{s.loc['sip-only', 'tcp_stalled']} of {s.loc['sip-only', 'runs']} runs"
            f" ({share * 100:.0f} % of the bytes")
    e8 = summary_e8(results("e8-radio"))
    radio = e8[e8.monitor_s == 0].sort_values("missed").radio_median_s * 1e3
    _quoted(", ".join(f"{v:.1f}" for v in radio.iloc[:-1]) + f" and {radio.iloc[-1]:.1f} ms")


def test_e8_channel_numbers(results):
    res = results("e8-radio-channel")
    s = summary_e8_channel(res).set_index("case")
    timers = ["beacon-51ms", "beacon-205ms", "probe-20ms", "probe-100ms"]
    _quoted("Measured medians " + ", ".join(f"{s.radio_median_s[c] * 1e3:.1f}" for c in timers[:3])
            + f" and {s.radio_median_s[timers[3]] * 1e3:.1f} ms against the model's "
            + ", ".join(f"{s.model_radio_s[c] * 1e3:.1f}" for c in timers[:3])
            + f" and {s.model_radio_s[timers[3]] * 1e3:.1f} ms")
    share = {c: f"{s.longer_share[c] * 100:.0f} %" for c in s.index}
    _quoted(f"{share['shadowing-4dB']} (4 dB), {share['shadowing-8dB']} (8 dB),"
            f" {share['rayleigh']} (Rayleigh), {share['shadowing-4dB-rayleigh']} (4 dB + Rayleigh)"
            f" and {share['shadowing-8dB-rayleigh']} (8 dB + Rayleigh)")
    _quoted(f"{s.handoffs_per_run['shadowing-8dB']:.1f} per run with 8 dB (95 % CI"
            f" +-{s.handoffs_per_run_ci95['shadowing-8dB']:.1f};"
            f" {s.returns_per_run['shadowing-8dB']:.2f} of them back")
    _quoted(f"median probe gap {s.probe_gap_median_s['rayleigh'] * 1e3:.0f} ms (Rayleigh) and"
            f" {s.probe_gap_median_s['shadowing-8dB-rayleigh'] * 1e3:.0f} ms (8 dB + Rayleigh) against"
            f" {s.probe_gap_median_s['default'] * 1e3:.0f} ms without loss")


def test_e6_numbers(results):
    a = summary_e6(results("e6-redundancy"))
    cond = a.set_index(["failure", "case", "detection", "br_delay_s"])
    gw, link = "node gw274a", "link bs278a-in276a"
    b_gw, b_link = cond.loc[(gw, "redundant", "beacons", 0.0)], cond.loc[(link, "redundant", "beacons", 0.0)]
    _quoted(f"{b_gw.hits:.0f} of {b_gw.n:.0f} gateway failures and {b_link.hits:.0f} of {b_link.n:.0f}"
            " up-link failures hit it")
    _quoted(f"medians {b_gw.gap_hit_median_s:.2f} s for the gateway, 95 % CI"
            f" {b_gw.gap_hit_lo_s:.2f}-{b_gw.gap_hit_hi_s:.2f}, and {b_link.gap_hit_median_s:.2f} s for"
            f" the up-link, {b_link.gap_hit_lo_s:.2f}-{b_link.gap_hit_hi_s:.2f}")
    l_gw, l_link = cond.loc[(gw, "redundant", "local", 0.0)], cond.loc[(link, "redundant", "local", 0.0)]
    _quoted(f"{l_gw.gap_hit_median_s:.2f} s (gateway) and {l_link.gap_hit_median_s:.2f} s (up-link)")
    _quoted(f"{cond.loc[(gw, 'redundant', 'beacons', 1.0)].gap_hit_median_s:.2f} s (beacons) and"
            f" {cond.loc[(gw, 'redundant', 'local', 1.0)].gap_hit_median_s:.2f} s (local)")
    d = e6_frame(results("e6-redundancy"))
    assert (d.failed_at_s - d.at_s).between(0, 1).all() and (d.failed_at_s - d.at_s).std() > 0.2
    single = cond.loc[(gw, "single-path", "beacons", 0.0)]
    _quoted(f"{single.gap_hit_median_s:.2f} s (median, CI {single.gap_hit_lo_s:.2f}-{single.gap_hit_hi_s:.2f};"
            f" model {single.model_gap_median_s:.2f} s")
    lost = cond.loc[(link, "single-path", "beacons", 0.0)]
    _quoted(f"nothing arrives until the end of the run in {lost.not_recovered:.0f} of {lost.n:.0f}")


def test_e9_numbers(results):
    res = results("e9-security")
    s = summary_e9(res).set_index(["kind", "auth"])
    off = s.xs(False, level="auth")
    forged = off.drop(index="replay")
    assert (forged.attacks_accepted == forged.attacks).all()
    n = int(forged.attacks.iloc[0])
    _quoted(f"{n} of {n} attacks** of each kind")
    lo, hi = wilson(n, n)
    _quoted(f"Wilson 95 % interval {lo:.2f}-{hi:.2f}")
    _quoted(f"refused in {int(off.loc['replay', 'attacks'] - off.loc['replay', 'attacks_accepted'])}"
            f" of {int(off.loc['replay', 'attacks'])} runs")
    names = {"miplr_update": "MIP-LR update", "mip_registration": "Mobile IP registration",
             "sip_register": "SIP REGISTER", "sip_reinvite": "re-INVITE"}
    for k, name in names.items():
        _quoted(f"{name} {off.loc[k, 'held_median_s']:.1f} s (model {off.loc[k, 'model_held_median_s']:.1f} s)")
    _quoted(f"{off.loc['miplr_update', 'hijacked_packets_mean']:.1f} packets per attack on average"
            f" for a MIP-LR update and {off.loc['mip_registration', 'hijacked_packets_mean']:.1f}")
    check = check_e9(res).set_index("quantity")
    rtp = check.loc["RTP packets to the attacker (mean)"]
    _quoted(f"{rtp.simulated:.1f} packets per attack against the model's {rtp.model:.1f}")
    # Same cell.
    reg, copy_, ex = (off.loc[k] for k in ("mmp_registration", "mmp_semisoft_copy", "drcp_exhaustion"))
    on = s.xs(True, level="auth")
    _quoted(f"{reg.hijacked_packets_mean:.1f} packets per attack on\n  average reached the attacker")
    _quoted(f"lost {reg.rtp_to_mh_lost_mean:.1f} RTP packets against"
            f" {on.loc['mmp_registration', 'rtp_to_mh_lost_mean']:.1f} with authentication")
    _quoted(f"{copy_.hijacked_packets_mean:.1f}\n  packets per attack on average")
    _quoted(f"({copy_.rtp_to_mh_lost_mean:.1f} RTP packets against"
            f" {on.loc['mmp_semisoft_copy', 'rtp_to_mh_lost_mean']:.1f})")
    _quoted(f"median\n    {copy_.held_median_s:.1f} s (model {copy_.model_held_median_s:.1f} s")
    check = check_e9(res).set_index(["quantity", "condition"])
    leases = check.loc[("forged DRCP leases (mean)", "drcp_exhaustion, auth off")]
    _quoted(f"took all {leases.simulated:.0f} free addresses")
    _quoted(f"(model {leases.model:.0f}: the pool less")
    _quoted(f"(median {ex.held_median_s:.1f} s; model {ex.model_held_median_s:.1f} s")
    _quoted(f"completed in {int(ex.tcp_completed)} of {int(ex.tcp_runs)} runs"
            f" ({on.loc['drcp_exhaustion', 'tcp_completed']} of {on.loc['drcp_exhaustion', 'tcp_runs']}"
            f" with authentication)")
    _quoted(f"lost {ex.rtp_to_mh_lost_mean:.1f} RTP packets per\n    run against"
            f" {on.loc['drcp_exhaustion', 'rtp_to_mh_lost_mean']:.1f}")
    assert on.targets_accepted.sum() == 0 and on.hijacked_packets_mean.sum() == 0
    _quoted(f"0 of {int(on.attacks.sum())} forgeries taken, 0 packets reached the attacker")
    assert (s.tcp_bad_bytes == 0).all()
    cost = e9_cost(res)
    by = {(r.what, r.auth): r.value for r in cost.itertuples()}
    _quoted(f"({by[('bytes per MipUpdate', False)]:.0f} -> {by[('bytes per MipUpdateAuth', True)]:.0f}")
    _quoted(f"grows from {by[('bytes per SIP REGISTER', False)]:.0f} to"
            f" {by[('bytes per SIP REGISTER', True)]:.0f} bytes")
    p = by[("inter-subnet reinvite_s: on vs off, Mann-Whitney p", None)]
    _quoted(f"{by[('inter-subnet reinvite_s (median)', False)] * 1e3:.1f} ms without and"
            f" {by[('inter-subnet reinvite_s (median)', True)] * 1e3:.1f} ms with")
    _quoted(f"Mann-Whitney p = {p:.2f}")


def test_model_check_summary():
    m = pd.read_csv(ROOT / "results" / "model-check.csv")
    ok = (m.rel_error.abs() <= 0.10) | (m.model_in_ci == True)  # noqa: E712 - NaN is not True
    _quoted(f"`model-check.csv` has {len(m)} rows; in {int(ok.sum())} ({100 * ok.mean():.0f} %) the model"
            f" is within 10 % of the simulated value or inside its 95 % interval. The {int((~ok).sum())}"
            " others")
    assert ok.mean() >= 0.90
