"""Write the experiment notebooks notebooks/e1-...ipynb to e6-...ipynb (run after editing).

Each reads stored results only: the sweep directory under ``$IMM_NS3_RESULTS`` (default
``../results``, the committed results), and draws with its experiment's module
(experiments/e1.py ... e9.py), the code that ``imm-sim figures`` uses. The tests execute every
notebook on a tiny sweep as well.

    .venv/bin/python notebooks/tools/make_experiment_notebooks.py
"""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent.parent

SETUP = '''import os
import sys
from pathlib import Path

import pandas as pd

from imm_ns3.analysis import load

RESULTS = Path(os.environ.get("IMM_NS3_RESULTS", "../results"))  # parameter: where the sweeps are
sys.path.insert(0, str(Path("../experiments").resolve()))
import {module}  # noqa: E402 - experiments/{module}.py, shared with `imm-sim figures`

res = load(RESULTS / "{sweep}")
seeds = sorted(int(s) for s in res.runs.seed.unique())
print(f"{{len(res.runs)}} runs, seeds {{seeds}}, failed {{len(res.failed)}};"
      f" code {{sorted(res.runs.code_version.unique())}}")'''

NOTEBOOKS = {
    "e1-handoff-latency": dict(
        module="e1",
        sweep="e1-handoff-latency",
        intro="""# E1: handoff latency by kind of movement and by traffic, against the model

`imm-sim sweep experiments/e1-handoff-latency.toml --out results/e1-handoff-latency`:
the patent walk (Figures 5, 8, 10) with 32 seeds, one handoff of each kind per run, so 32
handoffs per kind. Each seed draws the phases of every periodic timer anew.

- (a) the MMP part (association -> update done, [0048]-[0053]) as a distribution, beside the
  analytic model of `imm_ns3.analysis.model` (a uniform wait for the base-station beacon, for
  inter-domain and inter-subnet moves a uniform wait for the DRCP advertisement, plus the DRCP
  and registration round trips);
- (b) each flow's interruption (its longest silence around the handoff), labelled by the
  mechanism that carried it: moves inside a sub-network involve MMP only ([0048], [0049]).

Latencies are sums of uniform waits with rare retries: medians with distribution-free 95 % intervals,
and every ordering is claimed only with its test statistic.""",
        body=["e1.summary_e1(res).round(4)", "e1.e1_ordering(res)[\"text\"]",
              "e1.e1_lost_advertisements(res)", "e1.check(res).round(4)",
              "fig = e1.draw(res)"],
        checks='''s = e1.summary_e1(res)
assert set(s.kind) == set(e1.KINDS)
radio = s[s.quantity == "radio"]
assert (radio.median_s > 0).all() and (radio.model_median_s > 0).all()
# Only the inter-subnet move involves MIP-LR and SIP ([0048]-[0050]).
assert set(s[s.kind != "inter_subnet"].mechanism) <= {"radio", "MMP", "DRCP"}''',
        outro="""**Reading it.** The radio part (5 missed beacons of 102.4 ms, the 50 ms probe timeout and the
association) is 564 ms in every handoff and matches the model to a fraction of a millisecond;
ns-3's channel here has no shadowing, so it never varies (E8 varies it). MMP adds a beacon wait
(about 50 ms) inside a domain and, across domains, a wait for a DRCP advertisement that is
uniform over its 500 ms interval: that wait dominates, and it makes the inter-domain and
inter-subnet moves statistically indistinguishable (the Mann-Whitney line in (a)); the model
says why: they differ only by a few milliseconds of round trips. TCP across sub-networks is
set by its own retransmission timer (1 s, then 3 s after a back-off), not by MIP-LR, whose
update reaches the correspondent within about 8 ms. See results/README.md."""),
    "e2-semisoft-loss": dict(
        module="e2",
        sweep="e2-semisoft-loss",
        intro="""# E2: packets lost per intra-domain handoff, hard vs semi-soft

`imm-sim sweep experiments/e2-semisoft-loss.toml --out results/e2-semisoft-loss`: the last leg
of the walk (bs504a -> bs504b, crossover in504) with a 200 packet/s probe: the specification's
single-radio host doing a hard hand-off (`hard-1radio`), and a two-radio host
(make-before-break) doing a hard hand-off ([0035]) or semi-soft ([0036]) with a 50 ms and a
200 ms period; domain links of 1 to 50 ms; 30 seeds per point.

The model (`imm_ns3.analysis.model.handoff_loss`, `single_radio_loss`): a two-radio hard hand-off loses
rate x the switch window (the host's ARP of the new base station and its cache update at a
fresh station's lowest rate, the update's trip up to the crossover, plus what is in flight from
the crossover down to the old base station); semi-soft loses only the part of that window its
period does not cover; a single radio loses its whole outage.""",
        body=["e2.summary_e2(res).round(3)", "e2.check(res).round(3)",
              "fig = e2.draw(res)"],
        checks='''s = e2.summary_e2(res)
assert len(s) and (s.lost_mean >= 0).all() and (s.model_lost >= 0).all()''',
        outro="""**Reading it.** Hard hand-off loses what the switch window holds, which grows with the
domain-link delay; semi-soft with a period longer than that window loses nothing, and a
shorter period loses the uncovered rest. With the 1 ms links of the other experiments there is
almost nothing in flight, so semi-soft cannot gain there. See results/README.md for where the
simulation departs from the model."""),
    "e3-signalling-load": dict(
        module="e3",
        sweep="e3-signalling-load",
        intro="""# E3: signalling load per kind of entity, integrated vs flat macro-mobility

`imm-sim sweep experiments/e3-signalling-load.toml --out results/e3-signalling-load`: random
waypoint over eight cells (experiments/scenarios/), either as two sub-networks of two MMP domains
each (integrated) or as eight sub-networks (flat: every handoff changes the care-of address),
10, 30 and 100 mobile hosts at 2 and 10 m/s, 90 s runs, 5 seeds. Load = the messages each kind
of entity receives per minute after a 30 s warm-up (periodic floods apart); the lines are the
model of `imm_ns3.analysis.model`: random-waypoint handoff rates among the cells times the protocol's
message flows.""",
        body=["e3.summary_e3(res).round(1)", "e3.e3_handoff_rates(res).round(2)",
              "e3.check(res).round(2)", "fig = e3.draw(res)"],
        checks='''d = e3.e3_frame(res)
assert set(d.case) <= {"integrated", "flat"} and (d.sent_per_min >= 0).all()
assert (d[d.role != "network"].received_per_min >= 0).all()''',
        outro="""**Reading it.** The claim of [0007] and [0026]: handling movement inside a sub-network with
MMP keeps it away from the home location registers and SIP servers, whose load then grows only
with sub-network changes; with flat macro-mobility every handoff reaches them. The gateways'
load is mostly the hosts' soft-state route-updates, the same in both designs. See
results/README.md for the numbers and where the model departs."""),
    "e4-mip-vs-miplr": dict(
        module="e4",
        sweep="e4-mip-vs-miplr",
        intro="""# E4: MIP-LR against classic Mobile IP

`imm-sim sweep experiments/e4-mip-vs-miplr.toml --out results/e4-mip-vs-miplr`: the walk with
TCP and RTP carried by MIP-LR or by Mobile IP (home agent, IP-in-IP, triangular routing). The
location register sits in the home network beside the home agent; the home network is 5, 20 or
50 ms from the core and the correspondent 2 or 20 ms; 5 seeds. Signalling is counted from
20 s on, just before the walk's one care-of change. Lines: the path-delay model.""",
        body=["e4.summary_e4(res).round(2)", "e4.check(res).round(2)",
              "fig = e4.draw(res)"],
        checks='''d = e4.e4_frame(res)
assert set(d.case) <= {"miplr", "mip"} and (d.delay_ms > 0).all()''',
        outro="""**Reading it.** Mobile IP's correspondent-to-mobile path goes through the home agent, so its
delay grows with the home network's distance while MIP-LR's does not. MIP-LR pays for its
direct path at connection set-up: the correspondent's SYN waits for the register query, which
goes to the home network. See results/README.md."""),
    "e5-walk-timeseries": dict(
        module="e1",
        sweep="e1-handoff-latency",
        intro="""# E5: the walk of Figure 10 as time series

From the E1 sweep (seed 1): TCP goodput through MIP-LR and RTP packets through SIP, per 100 ms,
with each handoff marked (grey: from the last beacon heard from the old cell to the association
with the new one).""",
        body=["res.timeline.groupby([\"key\", \"name\", \"dst\"]).bytes.sum()", "fig = e1.draw_e5(res, seed=1)"],
        checks='''tl = res.timeline
assert {"tcp", "rtp"} <= set(tl.name) and (tl.bytes >= 0).all()''',
        outro="""**Reading it.** Both flows stop during each radio outage and resume after it; at the
sub-network change neither connection is lost: TCP resumes on the new care-of address once
the correspondent has the host's MIP-LR update, RTP after the re-INVITE."""),
    "e6-redundancy": dict(
        module="e6",
        sweep="e6-redundancy",
        intro="""# E6: redundancy (Figures 2B, 2C)

`imm-sim sweep experiments/e6-redundancy.toml --out results/e6-redundancy`: one domain with two
gateways and two up-links per node, against a single-path baseline of the same network; a
gateway fails at 10-11 s (back 15 s later) and the base station's primary up-link at 35-36 s
(each at a time drawn by the run's seed, `at_spread_s`). Nodes
notice a failure by missing gateway-beacons, or also locally by loss of carrier
(`mmp.failure_detection`, [0040]); the border router installs learnt routes at once or 1 s
later (`mmp.border_route_delay_s`). The delivery gap is the probe's longest silence after each
failure, split by whether the failure hit the host's path in use; 60 seeds.""",
        body=["e6.summary_e6(res).round(3)", "e6.check(res).round(3)",
              "fig = e6.draw(res)"],
        checks='''d = e6.e6_frame(res)
red = d[d.case == "redundant"]
assert len(d) and red.gap_s.notna().all()  # the redundant network always recovers''',
        outro="""**Reading it.** With beacon silence, nodes switch after `mmp.failover_beacons` missing
gateway-beacons; with local detection at once; either way the downlink caches then heal from
the host's next packet up ([0040], [0045]), and after a gateway failure the border router's
route follows the secondary gateway. The single path waits for the failed element to return.
See results/README.md."""),
    "e7-policy": dict(
        module="e7",
        sweep="e7-policy",
        intro="""# E7: the integrated policy against single mechanisms

`imm-sim sweep experiments/e7-policy.toml --out results/e7-policy`: the patent walk with a TCP
transfer and a call (RTP both ways) carried by the integrated policy (TCP by MIP-LR, RTP by
SIP), SIP only, MIP-LR only or classic Mobile IP ([0005]-[0006], [0013]-[0015]); the location
register and the home agent in the home network, 20 ms from the core; 30 seeds per policy.""",
        body=["e7.summary_e7(res).round(3)", "e7.check(res).round(3)",
              "fig = e7.draw(res)"],
        checks='''s = e7.summary_e7(res)
assert set(s.case) <= set(e7.E7_CASES) and (s.rtp_delay_ms > 0).all()''',
        outro="""**Reading it.** Each policy is judged on both kinds of traffic at once: how long each flow
stops at the sub-network change, what the host receives, the delay of the call, and what each
entity handles. See results/README.md."""),
    "e8-radio": dict(
        module="e8",
        sweep="e8-radio",
        intro="""# E8: the radio part of the handoff

`imm-sim sweep experiments/e8-radio.toml --out results/e8-radio`: the walk with 2, 3, 5 or 8
beacons a station may miss, and the daemons learning of an association by an instant callback
or by polling the interface every 0.5 s ([0056], [0073]); 10 seeds, 30 handoffs per condition.
The band is the 802.11b handoff latency measured by Mishra, Shin and Arbaugh (2003).""",
        body=["e8.summary_e8(res).round(4)", "e8.check(res).round(4)",
              "fig = e8.draw(res)"],
        checks='''s = e8.summary_e8(res)
assert len(s) and (s.radio_median_s > 0).all()''',
        outro="""**Reading it.** ns-3's station gives its access point up after a fixed number of missed
beacons and scans only its own channel, so the radio part is that many beacon intervals plus
one probe timeout; real cards scan several channels and the probe phase dominates. See
results/README.md."""),
    "e8-radio-channel": dict(
        module="e8",
        sweep="e8-radio-channel",
        intro="""# E8, second part: 802.11 timers and the channel

`imm-sim sweep experiments/e8-radio-channel.toml --out results/e8-radio-channel`: the walk
with one factor at a time changed from the defaults: the beacon interval (51.2, 204.8 ms), the
probe timeout (20, 100 ms), log-normal shadowing (4, 8 dB; `wifi.propagation.shadowing_db`),
Rayleigh fading (`wifi.propagation.fading`), both, and with 8 dB the speed (5, 20 m/s);
12 seeds per case.""",
        body=["e8.summary_e8_channel(res).round(4)", "e8.check_channel(res).round(4)",
              "fig = e8.draw_channel(res)"],
        checks='''s = e8.summary_e8_channel(res)
assert len(s) and (s.radio_median_s > 0).all()''',
        outro="""**Reading it.** Without loss the radio part is N beacon intervals plus one probe timeout
and the association, whatever the timers; shadowing and fading make beacons and probe
responses go missing near the cell edge, which lengthens some radio parts and adds handoffs
back and forth between overlapping cells. See results/README.md."""),
    "e9-security": dict(
        module="e9",
        sweep="e9-security",
        intro="""# E9: an attacker against location management, with and without authentication

`imm-sim sweep experiments/e9-security.toml --out results/e9-security`: the patent walk with an
attacker on the home network (off the victim's path, knowing what an eavesdropper would: the
next sequence number, the REGISTER's Call-ID, the call's tags and CSeq; no key). One attack per
run at a random time, each kind with `security.auth` false (the specification) and true
(docs/security.md); "none" has no attack and measures what authentication costs. 30 seeds.

- (a) attacks in which a register, correspondent, home agent or SIP server took the forgery;
- (b) how long the forged binding stood, against the model: until the victim's next update
  (plus, for a re-INVITE, the retry after the correspondent's 500);
- (c) what reached the attacker: the correspondent's TCP, the call's RTP, the home agent's
  tunnel.""",
        body=["e9.summary_e9(res).round(3)", "e9.e9_cost(res).round(4)",
              "e9.check(res).round(3)", "fig = e9.draw(res)"],
        checks='''s = e9.summary_e9(res)
on = s[s.auth]
# With authentication no forgery is taken and nothing reaches the attacker.
assert (on.targets_accepted == 0).all() and (on.hijacked_packets_mean == 0).all()
assert (s.tcp_bad_bytes == 0).all()''',
        outro="""**Reading it.** Without authentication every forged update, registration and
re-INVITE is taken and holds until the victim next moves; a replay is refused by the sequence
numbers alone. With it nothing is taken, and the victim's transfer and call go on as in the
runs without an attack. See results/README.md and docs/security.md."""),
    "e1-timers": dict(
        module="e1",
        sweep="e1-timers",
        intro="""# E1, timers: handoff latency against the base-station beacon and DRCP advertisement periods

`imm-sim sweep experiments/e1-timers.toml --out results/e1-timers`: E1's walk with one timer
changed at a time from E1's values: the base-station beacon period ([0047], 50-400 ms) and the
DRCP advertisement period ([0049], 0.25-2 s); 32 seeds per case. The model's MMP part waits
uniformly over each period it depends on: a beacon inside a domain, an advertisement across
domains.""",
        body=["e1.summary_timers(res).round(4)", "e1.check_timers(res).round(4)",
              "fig = e1.draw_timers(res)"],
        checks='''s = e1.summary_timers(res)
assert len(s) and (s.median_s > 0).all() and (s.model_median_s > 0).all()''',
        outro="""**Reading it.** E1's ordering of the kinds of movement is set by these two periods: the
beacon wait grows with the base-station beacon period for every kind, the advertisement wait
with the DRCP period for the moves across domains only. See results/README.md."""),
    "e1-radio": dict(
        module="e1",
        sweep="e1-radio",
        intro="""# E1, realistic radio: ideal channel against a 1/6/11 plan with shadowing and fading

`imm-sim sweep experiments/e1-radio.toml --out results/e1-radio`: E1's walk with an ideal channel
and with a realistic one (a 1/6/11 channel plan along the walk, 8 dB log-normal shadowing,
Rayleigh fading), 64 seeds each, paired by seed (the same seed draws the same timer phases).""",
        body=["e1.summary_radio(res).round(4)", "e1.paired_radio(res).round(4)",
              "e1.check_radio(res).round(4)", "fig = e1.draw_radio(res)"],
        checks='''d = e1.radio_frame(res)
assert len(d) and (d.handoffs >= 1).all() and (d.l2_s.dropna() > 0).all()''',
        outro="""**Reading it.** The channel plan adds a scan of three channels to the radio part, which the
model holds; shadowing and fading add lost broadcasts (advertisements, beacons) and retries
to MMP's part, and handoffs back and forth. See results/README.md."""),
    "e2-probe-rate": dict(
        module="e2",
        sweep="e2-probe-rate",
        intro="""# E2, probe rate: is what the model misses a fixed time or a fixed count?

`imm-sim sweep experiments/e2-probe-rate.toml --out results/e2-probe-rate`: E2's hard hand-off
of a two-radio host at 50-800 packet/s and 1 or 20 ms domain links, 30 seeds per point. A
missing term in time shows as loss beyond the model growing with the rate; a missing count
(a queue of fixed length) as a constant.""",
        body=["e2.summary_probe_rate(res).round(3)", "e2.probe_rate_fit(res).round(4)",
              "e2.check_probe_rate(res).round(3)", "fig = e2.draw_probe_rate(res)"],
        checks='''s = e2.summary_probe_rate(res)
assert len(s) and (s.lost_mean >= 0).all() and (s.model_lost > 0).all()''',
        outro="""**Reading it.** The loss follows rate x switch window; the fit of what is left says
whether the model lacks time or a count. See results/README.md."""),
    "e3-steady": dict(
        module="e3",
        sweep="e3-steady",
        intro="""# E3, steady state: signalling load with registration refreshes

`imm-sim sweep experiments/e3-steady.toml --out results/e3-steady`: E3's two designs at 1, 2, 5
and 10 m/s with 10 hosts, 600 s runs counted from 240 s (past every host's first refresh of its
120 s registrations), 10 seeds. The load between handoffs, the refreshes, is in both designs
here; E3's 90 s runs left it out.""",
        body=["e3.summary_steady(res).round(2)", "e3.e3_handoff_rates(res).round(3)",
              "e3.check_steady(res).round(2)", "fig = e3.draw_steady(res)"],
        checks='''d = e3.e3_frame(res)
assert set(d.case) <= {"integrated", "flat"} and (d.sent_per_min >= 0).all()''',
        outro="""**Reading it.** What keeping signalling local saves in the steady state, per entity
and speed, against the model. See results/README.md."""),
}


def write(name: str, spec: dict) -> Path:
    nb = nbf.v4.new_notebook()
    cells = [nbf.v4.new_markdown_cell(spec["intro"]),
             nbf.v4.new_code_cell(SETUP.format(sweep=spec["sweep"], module=spec["module"]))]
    cells[-1].metadata["tags"] = ["parameters"]
    cells += [nbf.v4.new_code_cell(src) for src in spec["body"]]
    cells.append(nbf.v4.new_markdown_cell(spec["outro"]))
    cells.append(nbf.v4.new_code_cell("# Checks that keep this notebook honest when the results change.\n"
                                      + spec["checks"]))
    nb["cells"] = cells
    nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = HERE / f"{name}.ipynb"
    nbf.write(nb, str(path))
    return path


if __name__ == "__main__":
    import sys

    # With names: only those notebooks (regenerating one changes its cell ids).
    for name in sys.argv[1:] or list(NOTEBOOKS):
        if name not in NOTEBOOKS:
            raise SystemExit(f"{name}: not one of {', '.join(NOTEBOOKS)}")
        print(write(name, NOTEBOOKS[name]))
