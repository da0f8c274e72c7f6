"""Run one scenario on ns-3: build, attach the protocol adapters, simulate, collect, tear down.

Several runs may follow one another in one process (tests, sweep workers): each run resets the
simulator, the object names and the RNG run number, sets nothing through ``Config::SetDefault``
(those persist between runs), and drops every reference to its ns-3 objects before
``Simulator::Destroy``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

import tomli_w

from .._version import __version__
from ..events import EventLog
from ..results import (
    HANDOFF_KINDS,
    RunResult,
    plain_value,
    refuse_foreign,
    remove_stale_staging,
    signalling_summary,
    staging_dir,
    table,
    write_run,
)
from ..scenario import Scenario
from ..topology import Topology, build_topology
from . import attacks, failures, flows, miplr, mmp, sip, traffic
from .builder import build_network
from .context import Collector, RunContext, Setup
from .radio import attach_handoff_detectors, channel_scans, late_association_responses_dropped
from .runtime import AFTER_DESTROY, Bridge, CallbackError, compile_extension, ns3, ns3_version  # noqa: F401

RNG_SEED = 20021024  # ns-3 RngSeed; the run's ``seed`` is the RngRun (independent replications)

# The protocol adapters of every run, in the order they are set up, which is also the order in
# which their collectors run after the simulation. Each ``setup(ctx)`` returns its collector (or
# None when the scenario does not use it). What each needs from those before it:
PROTOCOLS: tuple[tuple[str, Setup], ...] = (
    # The probe (adapter/traffic.py): its senders follow ctx.care_of, first of its subscribers;
    # its C++ objects and first events come before the MMP cores' timers. Its collector fills
    # ctx.probe_records and ctx.probe_arrivals.
    ("probe", traffic.setup_probe),
    # MMP and DRCP. Publishes every care-of address on ctx.care_of and sets ctx.domains; its
    # collector creates the handoff rows' MMP columns (with the probe's losses).
    ("mmp", mmp.setup_mmp),
    # Link and node failures. Reads ctx.domains when a failure happens; its collector reads
    # ctx.probe_arrivals (delivery gaps).
    ("failures", failures.setup_failures),
    # MIP-LR, Mobile IP. Subscribes to ctx.care_of; its collector writes ctx.macro_updates and
    # ctx.first_arrivals.
    ("miplr", miplr.setup_miplr),
    # The TCP transfer (adapter/traffic.py), through the manglers or the tunnel MIP-LR and Mobile
    # IP installed; before SIP, so a transfer and a call that start at the same instant keep
    # their order. Its collector reads what the MIP-LR collector wrote.
    ("tcp", traffic.setup_tcp),
    # RTP (adapter/traffic.py): each call's C++ pair (ctx.rtp), created before the SIP agents,
    # nothing scheduled; the SIP adapter starts and redirects it. Its collector makes the RTP
    # rows and the handoff rows' RTP columns (with the SIP agents' re-INVITEs).
    ("rtp", traffic.setup_rtp),
    # SIP, driving ctx.rtp. Subscribes to ctx.care_of after MIP-LR, so at a care-of
    # change the MIP-LR update leaves before the SIP REGISTER and re-INVITE (same instant).
    ("sip", sip.setup_sip),
    # The scenario's own flows ([[flows]]); MIP-LR captured their UDP ports already.
    ("flows", flows.setup_flows),
    # The attacker of [[attacks]]: the forgers, ports and sockets the adapters before it
    # registered (ctx.forgers, ctx.attacker_ports, ctx.attacker_sockets); reads
    # ctx.location_cores when it fires, ctx.location_log when it collects (both written by
    # MIP-LR, Mobile IP and SIP).
    ("attacks", attacks.setup_attacks),
)


class _Progress:
    """Simulated vs wall time on stderr, shown only once a run has taken a few seconds."""

    def __init__(self, bridge: Bridge, duration_s: float, enabled: bool, after_wall_s: float = 3.0):
        self.bridge, self.duration, self.enabled = bridge, duration_s, enabled
        self.after = after_wall_s
        self.bar = None
        self.t0 = time.perf_counter()
        self.step = max(duration_s / 200.0, 0.05)
        if enabled:
            bridge.call_later(self.step, self._tick, name="progress")

    def _tick(self) -> None:
        wall = time.perf_counter() - self.t0
        now = self.bridge.now()
        if self.bar is None and wall >= self.after:
            from tqdm import tqdm

            self.bar = tqdm(total=round(self.duration, 3), unit="sim-s", file=sys.stderr,
                            desc="simulating", leave=False, dynamic_ncols=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f}"
                                       " sim-s [{elapsed}<{remaining}{postfix}]")
        if self.bar is not None:
            self.bar.n = round(min(now, self.duration), 3)
            self.bar.set_postfix_str(f"{now / max(wall, 1e-9):.1f}x real time", refresh=True)
        if now + self.step < self.duration:
            self.bridge.call_later(self.step, self._tick, name="progress")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _reset_simulator(ns: Any) -> None:
    ns.Simulator.Destroy()
    for fn in AFTER_DESTROY:
        fn()
    ns.Names.Clear()
    # Device addresses come from process-wide counters: without this the second run of a
    # scenario in one process gets other MAC addresses (and another event log).
    for cls in (ns.Mac48Address, ns.Mac16Address, ns.Mac64Address, ns.Mac8Address):
        cls.ResetAllocationIndex()
    # Likewise the automatic numbering of random streams (ARP jitter, ...).
    ns.RngSeedManager.ResetNextStreamIndex()


def _run_interruptible(ns: Any, bridge: Bridge, what: str = "the run") -> None:
    """``Simulator::Run`` with SIGINT and SIGTERM stopping it at the next event (interrupt.h):
    Python's handlers would wait for a Python callback, which may never come. A signal that
    arrives marks the run interrupted; the caller raises KeyboardInterrupt, as Python would.
    An ns-3 assertion or fatal error (SIGABRT) ends the process with a line naming ``what``
    instead of cppyy's stack dump of every thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        ns.Simulator.Run()  # signals go to the main thread, whose handlers stay as they are
        return
    c = compile_extension("interrupt.h")
    c.InstallAbortMessage(
        f"imm-ns3: ns-3 ended {what} at an assertion or a fatal error in its C++ (its message"
        " is above): a bug to report with the scenario and the seed.\n")
    c.InstallStopSignals()
    try:
        if not c.StopSignal():
            ns.Simulator.Run()
    finally:
        c.RestoreStopSignals()
    sig = int(c.StopSignal())
    if sig:
        bridge.interrupted = True
        bridge.stop_signal = signal.Signals(sig).name


def run_scenario(scenario: Scenario, *, seed: int | None = None, out_dir: str | Path | None = None,
                 pcap: bool = False, progress: bool = False,
                 scenario_file: str | None = None,
                 setup: Callable[[RunContext], None] | None = None,
                 manifest: dict[str, Any] | None = None,
                 observers: tuple[Callable[[RunContext, Path | None], Collector | None], ...] = (),
                 ) -> RunResult:
    """Simulate ``scenario`` once and return its results (written to ``out_dir`` if given).

    ``setup(ctx)`` is an optional extra hook (after the protocols of :data:`PROTOCOLS`), e.g.
    for tests that add a probe or a failing callback; it may return a collector too. ``manifest`` (sweeps) is written beside the
    results as ``manifest.json``, inside the same atomic rename. ``observers``: ns-3's own tools
    (``adapter/observe.py``: NetAnim, FlowMonitor), each ``observer(ctx, staging)`` set up after
    everything else and returning a collector; none by default.
    """
    seed = scenario.simulation.seed if seed is None else int(seed)
    if pcap and out_dir is None:
        raise ValueError("pcap=True needs out_dir: pcap files are written under out_dir/pcap/")
    topo = build_topology(scenario)
    staging = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(f"{out_dir}: exists and is not a directory")
        refuse_foreign(out_dir)
    ns = ns3()
    if out_dir is not None:
        remove_stale_staging(out_dir.parent, out_dir.name)
        staging = staging_dir(out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    pcap_dir = None
    if pcap:
        pcap_dir = staging / "pcap"
        pcap_dir.mkdir()

    _reset_simulator(ns)
    ns.RngSeedManager.SetSeed(RNG_SEED)
    ns.RngSeedManager.SetRun(seed)
    bridge = Bridge().activate()
    log = EventLog()
    net = None
    bar = None
    try:
        net = build_network(topo, bridge, pcap_dir)
        ctx = RunContext(scenario, topo, net, bridge, log, seed)
        ctx.detectors = attach_handoff_detectors(net, log)
        collectors: list[Collector] = []
        for _name, setup_protocol in PROTOCOLS + ((("extra", setup),) if setup else ()):
            collect = setup_protocol(ctx)
            if collect is not None:
                collectors.append(collect)
        # The observers asked for (adapter/observe.py), last: they watch, they change nothing.
        for observe in observers:
            collect = observe(ctx, staging)
            if collect is not None:
                collectors.append(collect)
        duration = scenario.simulation.duration_s
        bar = _Progress(bridge, duration, progress)
        wall0 = time.perf_counter()
        ns.Simulator.Stop(ns.Seconds(duration))
        _run_interruptible(ns, bridge, f"run {scenario.name} seed {seed}" + (
            f" (nothing was written to {out_dir}; the next run there removes the partial"
            " directory beside it)" if out_dir is not None else ""))
        wall = time.perf_counter() - wall0
        bar.close()
        if bridge.interrupted:
            raise KeyboardInterrupt  # the caller decides (imm-sim: exit 130; sweeps: resume later)
        if bridge.error is not None:
            raise bridge.error
        sim_end = bridge.now()
        collect_all(collectors)
        ctx.extra_summary["radio"] = {
            "late_association_responses_ignored": late_association_responses_dropped(net),
            **channel_scans(net)}
        result = _collect(scenario, topo, ctx, seed, sim_end, wall, scenario_file)
        result.extra["python_events"] = bridge.python_events
        # Where the wall time went: Python callbacks (the protocol cores and adapters) against
        # the whole run (the rest is ns-3's C++, mostly WiFi).
        result.summary["python_events"] = bridge.python_events
        result.summary["python_wall_s"] = round(bridge.python_wall_s, 3)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if bar is not None:
            bar.close()
        bridge.deactivate()
        if net is not None:
            net.close()
        net = None
        ctx = None  # noqa: F841 - drop the context's references to ns-3 objects too
        _reset_simulator(ns)  # closes the pcap files

    if out_dir is not None:
        write_run(result, staging, out_dir, manifest)
    return result


def collect_all(collectors: list[Collector]) -> None:
    """Run every collector in order; each one runs (it also closes its sockets, which must
    happen before Simulator::Destroy) even if one before it raised; the first error is raised."""
    error: BaseException | None = None
    for collect in collectors:
        try:
            collect()
        except BaseException as e:  # noqa: BLE001 - re-raised below, after the others ran
            error = error or e
    if error is not None:
        raise error


def _collect(scenario: Scenario, topo: Topology, ctx: RunContext, seed: int, sim_end: float,
             wall: float, scenario_file: str | None) -> RunResult:
    rows = []
    for mh, det in ctx.detectors.items():
        extra = ctx.handoff_extra.get(mh, [])
        for i, ho in enumerate(det.handoffs):
            r = ho.row()
            r.update(old_domain=topo.domain_of(ho.old_bs), new_domain=topo.domain_of(ho.new_bs),
                     old_subnet=topo.subnet_of(ho.old_bs), new_subnet=topo.subnet_of(ho.new_bs))
            if i < len(extra):
                r.update(extra[i])
            rows.append(r)
    tables = {
        "handoffs": table("handoffs", rows),
        "events": table("events", ctx.log.rows()),
        "flows": table("flows", ctx.flow_rows),
        "signalling": table("signalling", ctx.signalling_rows),
        "timeline": table("timeline", ctx.timeline_rows),
        "attacks": table("attacks", ctx.attack_rows),
    }
    counts = {k: 0 for k in HANDOFF_KINDS}
    for r in rows:
        counts[r["kind"]] += 1
    flows = [{k: plain_value(v) for k, v in rec.items()} for rec in tables["flows"].to_dict("records")]
    summary = {
        "imm_ns3_version": __version__,
        "ns3_version": ns3_version(),
        "scenario": scenario.name,
        "scenario_file": scenario_file,
        "seed": seed,
        "sim_time_s": round(sim_end, 9),
        "wall_time_s": round(wall, 3),
        "speedup": round(sim_end / wall, 1) if wall > 0 else None,
        "mobile_hosts": [
            {"name": mh.name, "permanent_address": str(mh.permanent_address),
             "sip_url": mh.sip_url} for mh in topo.mobile_hosts
        ],
        "handoffs": counts,
        "care_of_addresses": {mh: ch.addresses() for mh, ch in ctx.care_of.items()},
        "flows": flows,
        "signalling": signalling_summary(tables["signalling"]),
        "events": len(ctx.log),
        "fingerprint": ctx.log.fingerprint(),
        "failures": [],  # always present (docs/results.md); filled when the scenario has failures
        "attacks": [],  # the same, for [[attacks]]
        **ctx.extra_summary,
    }
    scenario_toml = tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True))
    return RunResult(summary, tables, scenario_toml)



__all__ = ["run_scenario", "RunContext", "PROTOCOLS", "CallbackError"]
