"""What every protocol adapter's per-node Env shares: simulated time, timers, per-node
randomness, the event log, and the signalling count of the run."""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from typing import Any, Callable

from .run import RunContext

IP_UDP_HEADER = 28  # signalling bytes count the IP packet: payload + UDP + IPv4 headers


class Signalling:
    """Control messages sent, by (node, role, message): count and bytes on the wire."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])

    def count(self, node: str, role: str, message: str, payload_bytes: int) -> None:
        c = self.sent[(node, role, message)]
        c[0] += 1
        c[1] += payload_bytes + IP_UDP_HEADER

    def rows(self) -> list[dict]:
        return [{"node": n, "role": r, "message": m, "count": c, "bytes": b}
                for (n, r, m), (c, b) in sorted(self.sent.items())]


class NodeEnv:
    """Time, timers (in the node's context), randomness, log of one node of a run.

    ``rng_key`` names the node's random stream (default: its name), derived from the run's
    seed, so every core gets its own reproducible stream."""

    def __init__(self, ctx: RunContext, name: str, role: str, signalling: Signalling,
                 rng_key: str | None = None):
        self.ctx, self.name, self.role, self.signalling = ctx, name, role, signalling
        self.bridge = ctx.bridge
        self.node = ctx.net.nodes[name]
        self.node_id = ctx.net.node_ids[name]
        self._rng = random.Random(zlib.crc32(f"{ctx.seed}:{rng_key or name}".encode()))

    def now(self) -> float:
        return self.bridge.now()

    def call_later(self, delay_s: float, fn: Callable[..., Any], *args: Any) -> Any:
        return self.bridge.call_later(delay_s, fn, *args,
                                      name=f"{self.name} {getattr(fn, '__name__', 'timer')}",
                                      node_id=self.node_id)

    def cancel(self, handle: Any) -> None:
        self.bridge.cancel(handle)

    def rand(self) -> float:
        return self._rng.random()

    def log(self, event: str, detail: str = "") -> None:
        self.ctx.log.record(self.bridge.now_ns(), self.name, self.role, event, detail)
