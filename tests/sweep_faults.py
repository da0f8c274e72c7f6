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


def ns3_assertion():
    """A C++ function that makes ns-3 assert when called during a run (a negative delay to
    Simulator::Schedule: NS_ASSERT in DefaultSimulatorImpl::Schedule), as ns-3 ends on a bug."""
    from imm_ns3.adapter import runtime

    runtime.ns3()  # imported once per process; a run would import it next
    cppyy = runtime._cppyy
    if not hasattr(cppyy.gbl, "sweepfaults"):
        cppyy.cppdef("""
namespace sweepfaults {
inline void Nothing() {}
inline void ScheduleInThePast() { ns3::Simulator::Schedule(ns3::Seconds(-5.0), &Nothing); }
}""")
    return cppyy.gbl.sweepfaults.ScheduleInThePast


def assert_seed_1(spec):
    """The worker running seed 1 makes ns-3 assert half a simulated second into the run."""
    if spec.seed != 1:
        return None
    schedule_in_the_past = ns3_assertion()

    def hook(ctx):
        ctx.bridge.call_at(0.5, schedule_in_the_past, name="injected assert")

    return hook
