"""What every protocol adapter's per-node Env shares: simulated time, timers, per-node
randomness, the event log, and the signalling count of the run."""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from typing import Any, Callable

from ..wire import Message, MessageError, decode
from .context import RunContext

IP_UDP_HEADER = 28  # signalling bytes count the IP packet: payload + UDP + IPv4 headers


class Signalling:
    """Control messages by (node, role, message): sent and received (handed to the node's
    protocol core, en-route processing included), count and bytes on the wire; and malformed
    messages received, by (node, fault).

    With a ``clock`` and ``since_s`` (the scenario's ``simulation.warmup_s``) only messages from
    ``since_s`` on are counted: the load of the steady state, without every host's first
    attachment."""

    def __init__(self, clock: Callable[[], float] | None = None, since_s: float = 0.0) -> None:
        self.sent: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.received: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.faults: dict[tuple[str, str], int] = defaultdict(int)
        self._clock = clock if since_s > 0 else None
        self._since_s = since_s

    @property
    def counts_from_s(self) -> float:
        """The simulated time from which messages are counted (0: all)."""
        return self._since_s if self._clock is not None else 0.0

    def fault_summary(self) -> dict[str, int]:
        return {f"{n}:{f}": v for (n, f), v in sorted(self.faults.items())}

    def count(self, node: str, role: str, message: str, payload_bytes: int) -> None:
        self._add(self.sent, node, role, message, payload_bytes)

    def add_sent(self, node: str, role: str, message: str, count: int, payload_bytes: int) -> None:
        """Messages sent without a call per message (a C++ periodic sender), counted by it from
        ``since_s`` on: ``payload_bytes`` is their payloads' total."""
        self._add_many(self.sent, node, role, message, count, payload_bytes)

    def add_received(self, node: str, role: str, message: str, count: int, payload_bytes: int) -> None:
        """Messages received without a call per message (a C++ fast path), as :meth:`add_sent`."""
        self._add_many(self.received, node, role, message, count, payload_bytes)

    @staticmethod
    def _add_many(table, node: str, role: str, message: str, count: int, payload_bytes: int) -> None:
        c = table[(node, role, message)]
        c[0] += count
        c[1] += payload_bytes + count * IP_UDP_HEADER

    def count_received(self, node: str, role: str, message: str, payload_bytes: int) -> None:
        self._add(self.received, node, role, message, payload_bytes)

    def _add(self, table, node: str, role: str, message: str, payload_bytes: int) -> None:
        if self._clock is None or self._clock() >= self._since_s:
            c = table[(node, role, message)]
            c[0] += 1
            c[1] += payload_bytes + IP_UDP_HEADER

    def rows(self) -> list[dict]:
        keys = sorted(set(self.sent) | set(self.received))
        out = []
        for k in keys:
            (c, b), (rc, rb) = self.sent.get(k, (0, 0)), self.received.get(k, (0, 0))
            out.append({"node": k[0], "role": k[1], "message": k[2], "count": c, "bytes": b,
                        "received": rc, "received_bytes": rb})
        return out


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


class WireEnv(NodeEnv):
    """NodeEnv plus the binary message codec of imm_ns3.wire (MMP, DRCP, MIP-LR, Mobile IP):
    sent messages are counted; a malformed one received is counted and logged, never handed
    to a core."""

    def _send(self, sock: Any, dst: int, port: int, msg: Message) -> None:
        self.signalling.count(self.name, self.role, msg.name, len(msg))
        self.bridge.udp_send(sock, msg.encode(), dst, port)

    def _decode(self, data: bytes) -> Message | None:
        try:
            msg = decode(data)
        except MessageError as e:
            self.signalling.faults[(self.name, e.fault)] += 1
            self.log("malformed", e.fault)
            return None
        self.signalling.count_received(self.name, self.role, msg.name, len(data))
        return msg
