"""An in-memory world for the sans-I/O MMP/DRCP cores: an event loop and fake environments."""

from __future__ import annotations

import heapq
import itertools
import random
from typing import Any, Callable

from imm_ns3.mmp.cache import RoutingCache


class Loop:
    def __init__(self):
        self.t = 0.0
        self._q: list = []
        self._n = itertools.count()
        self._cancelled: set = set()

    def now(self) -> float:
        return self.t

    def call_later(self, delay: float, fn: Callable, *args: Any) -> int:
        h = next(self._n)
        heapq.heappush(self._q, (self.t + delay, h, fn, args))
        return h

    def cancel(self, h: int) -> None:
        self._cancelled.add(h)

    def run(self, until: float) -> None:
        while self._q and self._q[0][0] <= until:
            t, h, fn, args = heapq.heappop(self._q)
            if h in self._cancelled:
                continue
            self.t = t
            fn(*args)
        self.t = until


class NodeEnv:
    """Env of one MMP domain node: iface -> (peer env, peer iface, delay)."""

    def __init__(self, loop: Loop, name: str, seed: int = 1, timeout_s: float = 3.0):
        self.loop, self.name = loop, name
        self.links: dict[int, tuple["NodeEnv", int, float]] = {}
        self.node = None
        self.sent: list[tuple[float, int, Any]] = []
        self.unicast: list[tuple[float, int, Any]] = []
        self.logs: list[tuple[float, str, str]] = []
        self.uplink: int | None = None
        self._cache = RoutingCache(timeout_s)
        self._rng = random.Random(seed)
        self.deliver_unicast: Callable[[int, Any], None] | None = None
        self.savi: dict[int, int] = {}  # what the forwarding plane was told (savi_bind)

    def now(self): return self.loop.now()
    def call_later(self, d, fn, *a): return self.loop.call_later(d, fn, *a)
    def cancel(self, h): self.loop.cancel(h)
    def rand(self): return self._rng.random()
    def cache(self): return self._cache
    def set_uplink(self, iface): self.uplink = iface
    def savi_bind(self, addr, mac): self.savi[addr] = mac
    def log(self, event, detail=""): self.logs.append((self.loop.now(), event, detail))

    def send(self, iface, msg):
        self.sent.append((self.loop.now(), iface, msg))
        if iface in self.links:
            peer, piface, delay = self.links[iface]
            self.loop.call_later(delay, peer.node.receive, msg, piface)

    def send_to(self, dst, msg):
        self.unicast.append((self.loop.now(), dst, msg))
        if self.deliver_unicast:
            self.deliver_unicast(dst, msg)


def connect(a: NodeEnv, a_iface: int, b: NodeEnv, b_iface: int, delay: float) -> None:
    a.links[a_iface] = (b, b_iface, delay)
    b.links[b_iface] = (a, a_iface, delay)


class MobileEnv:
    def __init__(self, loop: Loop):
        self.loop = loop
        self.sent: list[tuple[float, int, Any]] = []
        self.logs: list[tuple[float, str, str]] = []
        self.address: tuple[int, int] | None = None
        self.router: int | None = None
        self.last_tx = float("-inf")
        self.on_send: Callable[[int, Any], None] | None = None
        self._rng = random.Random(7)

    def now(self): return self.loop.now()
    def call_later(self, d, fn, *a): return self.loop.call_later(d, fn, *a)
    def cancel(self, h): self.loop.cancel(h)
    def rand(self): return self._rng.random()
    def log(self, event, detail=""): self.logs.append((self.loop.now(), event, detail))
    def set_default_router(self, ip):
        self.router = ip
        self.listening = ip
    def listen_to(self, ip): self.listening = ip
    def configure_address(self, addr, plen): self.address = (addr, plen)
    def clear_address(self): self.address = None
    def last_uplink_tx(self): return self.last_tx

    def send_up(self, dst, msg):
        self.sent.append((self.loop.now(), dst, msg))
        self.last_tx = self.loop.now()
        if self.on_send:
            self.on_send(dst, msg)
