"""When each mobile host's traffic starts and ends (pure; no ns-3).

A scenario's ``sip`` section gives a first call time, a spread and a holding time; its ``tcp``
section a start time and a spread. Each host draws from random streams named after the run's
seed, the traffic and the host, so adding a host or changing another host's draw never moves
this host's traffic, and the same seed gives the same schedule in every process.

With ``holding = "exponential"`` the holding times are exponential with mean ``holding_s``
and starts are uniform over the spread: Erlang's model of telephone traffic, whose offered load
is the number of hosts times the mean holding time over the spread (in Erlang). A holding time
of 0 means a call lasts until the end of the run.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass


def _rng(seed: int, stream: str, host: str) -> random.Random:
    return random.Random(zlib.crc32(f"{seed}:{stream}:{host}".encode()))


def spread_start(seed: int, stream: str, host: str, at_s: float, spread_s: float) -> float:
    """``at_s`` plus a uniform delay in [0, spread_s] from the host's stream (``at_s`` if 0)."""
    if spread_s <= 0:
        return at_s
    return at_s + _rng(seed, stream, host).uniform(0.0, spread_s)


@dataclass(frozen=True)
class CallPlan:
    start_s: float
    end_s: float  # when the caller hangs up (the run's end if the call outlasts it)


def call_plan(hosts: list[str], seed: int, *, call_at_s: float, spread_s: float,
              holding_s: float, holding: str, run_end_s: float) -> dict[str, CallPlan]:
    """One :class:`CallPlan` per host, in the order given."""
    if holding not in ("fixed", "exponential"):
        raise ValueError(f"holding: 'fixed' or 'exponential', got {holding!r}")
    plans = {}
    for name in hosts:
        start = spread_start(seed, "call", name, call_at_s, spread_s)
        if holding_s <= 0:
            end = run_end_s
        elif holding == "fixed":
            end = start + holding_s
        else:
            end = start + _rng(seed, "holding", name).expovariate(1.0 / holding_s)
        plans[name] = CallPlan(start_s=start, end_s=min(end, run_end_s))
    return plans
