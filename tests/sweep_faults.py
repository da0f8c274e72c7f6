"""Fault injection for the sweep tests, given to workers as ``run_hook="sweep_faults:NAME"``."""

from __future__ import annotations

import os
import signal


def kill_seed_3(spec):
    """The worker running seed 3 kills itself (SIGKILL) one simulated second into the run."""
    if spec.seed != 3:
        return None

    def hook(ctx):
        ctx.bridge.call_at(1.0, lambda: os.kill(os.getpid(), signal.SIGKILL), name="injected kill")

    return hook


def raise_seed_2(spec):
    """Runs with seed 2 fail before they start."""
    if spec.seed == 2:
        raise RuntimeError("injected fault for seed 2")
    return None


def assert_seed_1(spec):
    """The worker running seed 1 makes ns-3 assert half a simulated second into the run (a
    negative delay to Simulator::Schedule: NS_ASSERT in DefaultSimulatorImpl::Schedule)."""
    if spec.seed != 1:
        return None
    from imm_ns3.adapter import runtime

    runtime.ns3()  # imported once per worker process; the run would import it next
    cppyy = runtime._cppyy
    if not hasattr(cppyy.gbl, "sweepfaults"):
        cppyy.cppdef("""
namespace sweepfaults {
inline void Nothing() {}
inline void ScheduleInThePast() { ns3::Simulator::Schedule(ns3::Seconds(-5.0), &Nothing); }
}""")

    def hook(ctx):
        ctx.bridge.call_at(0.5, cppyy.gbl.sweepfaults.ScheduleInThePast, name="injected assert")

    return hook
