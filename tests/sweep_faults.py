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
