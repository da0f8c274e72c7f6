"""The one set of in-memory fakes the sans-I/O cores are tested with.

A :class:`FakeLoop` is the clock and the timer queue (time moves only in :meth:`FakeLoop.run`);
every Env below reads its time and sets its timers there. One fake per Env Protocol of
``imm_ns3/env.py``, each recording what its core did so the tests can assert on it:

- :class:`FakeLoop` -- ``Clock``, and the timers of everything below;
- :class:`FakeNodeEnv` -- ``NodeEnv``, the base of the others;
- :class:`FakeDomainEnv` -- ``DomainNodeEnv``, for ``MmpNode`` (:func:`connect` wires links);
- :class:`FakeBorderRouterEnv` -- ``BorderRouterEnv``, for ``BorderRouter``;
- :class:`FakeDrcpServerEnv` -- ``DrcpServerEnv``, for ``DrcpServer``;
- :class:`FakeMobileHostEnv` -- ``MobileHostEnv``, for ``MobileHostDaemon``;
- :class:`FakeDatagramEnv` -- ``DatagramEnv``, for the MIP-LR daemons and ``MobileIpClient``;
- :class:`FakeSipEnv` -- ``SipEnv``, for ``UserAgent``, on a :class:`FakeSipNet`.

Every log is ``(time, event, detail)``; :meth:`FakeNodeEnv.events` lists the event names.
``rand()`` is a reproducible stream (``seed``) unless ``fixed_rand`` pins it to one value.
``tests/cores/test_fakes.py`` checks that each fake has every member of its Protocol, with the same
signature.
"""

from __future__ import annotations

import heapq
import itertools
import random
from typing import TYPE_CHECKING, Any, Callable

from imm_ns3.env import Handle, RoutingCacheOps
from imm_ns3.mmp.cache import RoutingCache

SipAddr = tuple[str, int]


class FakeLoop:
    """``Clock`` plus a timer queue: ``call_later`` schedules, ``run(until)`` fires in time
    order (ties in the order they were set), skips cancelled timers and leaves the clock at
    ``until``."""

    def __init__(self) -> None:
        self.t = 0.0
        self._q: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._n = itertools.count()
        self._cancelled: set[int] = set()

    def now(self) -> float:
        return self.t

    def call_later(self, delay_s: float, fn: Callable[..., Any], *args: Any) -> Handle:
        h = next(self._n)
        heapq.heappush(self._q, (self.t + delay_s, h, fn, args))
        return h

    def cancel(self, handle: Handle) -> None:
        self._cancelled.add(handle)

    def pending(self) -> int:
        """Timers in the queue (cancelled ones included until their time comes)."""
        return len(self._q)

    def run(self, until: float) -> None:
        while self._q and self._q[0][0] <= until:
            t, h, fn, args = heapq.heappop(self._q)
            if h in self._cancelled:
                continue
            self.t = t
            fn(*args)
        self.t = until


class FakeNodeEnv:
    """``NodeEnv``: the loop's time and timers, a random stream, the event log."""

    def __init__(self, loop: FakeLoop, name: str = "", *, seed: int = 1,
                 fixed_rand: float | None = None) -> None:
        self.loop, self.name = loop, name
        self.logs: list[tuple[float, str, str]] = []
        self._rng = random.Random(seed)
        self._fixed_rand = fixed_rand

    def now(self) -> float:
        return self.loop.now()

    def call_later(self, delay_s: float, fn: Callable[..., Any], *args: Any) -> Handle:
        return self.loop.call_later(delay_s, fn, *args)

    def cancel(self, handle: Handle) -> None:
        self.loop.cancel(handle)

    def rand(self) -> float:
        return self._rng.random() if self._fixed_rand is None else self._fixed_rand

    def log(self, event: str, detail: str = "") -> None:
        self.logs.append((self.loop.now(), event, detail))

    def events(self) -> list[str]:
        """The logged event names, in order."""
        return [e for _, e, _ in self.logs]


# ---- MMP and DRCP ----------------------------------------------------------------------------
class FakeDomainEnv(FakeNodeEnv):
    """``DomainNodeEnv`` of one MMP domain node. ``links``: iface -> (peer env, peer iface,
    delay), set by :func:`connect`; ``send`` on a linked iface reaches ``peer.node.receive``
    after the delay. ``send_to`` goes to ``deliver_unicast`` when set."""

    def __init__(self, loop: FakeLoop, name: str = "", seed: int = 1, timeout_s: float = 3.0,
                 *, fixed_rand: float | None = None) -> None:
        super().__init__(loop, name, seed=seed, fixed_rand=fixed_rand)
        self.links: dict[int, tuple[FakeDomainEnv, int, float]] = {}
        self.node: Any = None
        self.sent: list[tuple[float, int, Any]] = []  # (t, iface, msg)
        self.unicast: list[tuple[float, int, Any]] = []  # (t, dst_ip, msg)
        self.uplink: int | None = None
        self._cache = RoutingCache(timeout_s)
        self.deliver_unicast: Callable[[int, Any], None] | None = None
        self.savi: dict[int, int] = {}  # what the forwarding plane was told (savi_bind)

    def send(self, iface: int, msg: Any) -> None:
        self.sent.append((self.loop.now(), iface, msg))
        if iface in self.links:
            peer, piface, delay = self.links[iface]
            self.loop.call_later(delay, peer.node.receive, msg, piface)

    def send_to(self, dst_ip: int, msg: Any) -> None:
        self.unicast.append((self.loop.now(), dst_ip, msg))
        if self.deliver_unicast:
            self.deliver_unicast(dst_ip, msg)

    def set_uplink(self, iface: int | None) -> None:
        self.uplink = iface

    def cache(self) -> RoutingCacheOps:
        return self._cache

    def savi_bind(self, addr: int, mac: int) -> None:
        self.savi[addr] = mac


def connect(a: FakeDomainEnv, a_iface: int, b: FakeDomainEnv, b_iface: int, delay: float) -> None:
    """A wired link between two domain nodes, with a one-way delay."""
    a.links[a_iface] = (b, b_iface, delay)
    b.links[b_iface] = (a, a_iface, delay)


class FakeBorderRouterEnv(FakeNodeEnv):
    """``BorderRouterEnv``: ``routes`` is the host-route table now, ``route_log`` every change
    as (t, host, gateway or None for a removal)."""

    def __init__(self, loop: FakeLoop, name: str = "br", **kw: Any) -> None:
        super().__init__(loop, name, **kw)
        self.routes: dict[int, int] = {}
        self.route_log: list[tuple[float, int, int | None]] = []

    def set_host_route(self, host: int, gateway_ip: int) -> None:
        self.routes[host] = gateway_ip
        self.route_log.append((self.loop.now(), host, gateway_ip))

    def remove_host_route(self, host: int) -> None:
        self.routes.pop(host, None)
        self.route_log.append((self.loop.now(), host, None))


class FakeDrcpServerEnv(FakeNodeEnv):
    """``DrcpServerEnv``: ``out`` is what the server sent, as (dst, msg)."""

    def __init__(self, loop: FakeLoop, name: str = "drcp", **kw: Any) -> None:
        super().__init__(loop, name, **kw)
        self.out: list[tuple[int, Any]] = []

    def send_to(self, dst_ip: int, msg: Any) -> None:
        self.out.append((dst_ip, msg))


class FakeMobileHostEnv(FakeNodeEnv):
    """``MobileHostEnv`` of the mobile host's station: ``sent`` is (t, dst, msg) of every
    ``send_up`` (also given to ``on_send`` when set); ``last_tx`` may be set by a test to fake
    the host's own data traffic."""

    def __init__(self, loop: FakeLoop, name: str = "mh", *, seed: int = 7,
                 fixed_rand: float | None = None) -> None:
        super().__init__(loop, name, seed=seed, fixed_rand=fixed_rand)
        self.sent: list[tuple[float, int, Any]] = []
        self.address: tuple[int, int] | None = None
        self.router: int | None = None
        self.listening: int | None = None
        self.last_tx = float("-inf")
        self.on_send: Callable[[int, Any], None] | None = None

    def send_up(self, dst_ip: int, msg: Any) -> None:
        self.sent.append((self.loop.now(), dst_ip, msg))
        self.last_tx = self.loop.now()
        if self.on_send:
            self.on_send(dst_ip, msg)

    def set_default_router(self, bs_ip: int) -> None:
        self.router = bs_ip
        self.listening = bs_ip

    def listen_to(self, bs_ip: int) -> None:
        self.listening = bs_ip

    def configure_address(self, addr: int, prefix_len: int) -> None:
        self.address = (addr, prefix_len)

    def clear_address(self) -> None:
        self.address = None

    def last_uplink_tx(self) -> float:
        return self.last_tx


# ---- MIP-LR, Mobile IP -----------------------------------------------------------------------
class FakeDatagramEnv(FakeNodeEnv):
    """``DatagramEnv`` of a node at address ``me``: ``send`` appends (t, me, dst, msg) to
    ``net``, a list several envs may share (a test then delivers from it), else its own."""

    def __init__(self, loop: FakeLoop, net: list[tuple[float, int, int, Any]] | None = None,
                 me: int = 0, *, seed: int = 1, fixed_rand: float | None = None) -> None:
        super().__init__(loop, str(me), seed=seed, fixed_rand=fixed_rand)
        self.net: list[tuple[float, int, int, Any]] = [] if net is None else net
        self.me = me

    def send(self, dst_ip: int, msg: Any) -> None:
        self.net.append((self.loop.now(), self.me, dst_ip, msg))



def datagram_pump(loop: FakeLoop, net: list[tuple[float, int, int, Any]],
                  nodes: dict[int, Callable[[Any, int], Any]], delay: float = 0.01,
                  through: Callable[[Any], Any] | None = None) -> Callable[[], None]:
    """Delivery for :class:`FakeDatagramEnv`'s shared ``net``: each call hands every datagram not
    yet delivered to ``nodes[dst]`` (a function(msg, src) -> reply or None) ``delay`` later,
    ``through(msg)`` first if given (e.g. the codec's encode and decode); a reply goes back on
    ``net`` and is delivered in turn. Datagrams to addresses not in ``nodes`` are not delivered."""
    done = 0

    def pump() -> None:
        nonlocal done
        while done < len(net):
            _, src, dst, msg = net[done]
            done += 1
            if dst in nodes:
                loop.call_later(delay, handle, dst, src, through(msg) if through else msg)

    def handle(dst: int, src: int, msg: Any) -> None:
        reply = nodes[dst](msg, src)
        if reply is not None:
            net.append((loop.now(), dst, src, reply))
        pump()

    return pump

# ---- SIP -------------------------------------------------------------------------------------
class FakeSipNet:
    """Datagrams between (ip, port) endpoints with a fixed delay. ``endpoints``: address ->
    function(data, src); ``sent``: (t, src, dst, data) of everything, dropped ones too;
    ``drop(src, dst, data)`` decides what is lost."""

    def __init__(self, loop: FakeLoop, delay: float = 0.01) -> None:
        self.loop, self.delay = loop, delay
        self.endpoints: dict[SipAddr, Callable[[bytes, SipAddr], Any]] = {}
        self.sent: list[tuple[float, SipAddr, SipAddr, bytes]] = []
        self.drop: Callable[[SipAddr, SipAddr, bytes], bool] = lambda src, dst, data: False

    def send(self, src: SipAddr, dst: SipAddr, data: bytes) -> None:
        self.sent.append((self.loop.now(), src, dst, data))
        if self.drop(src, dst, data):
            return
        ep = self.endpoints.get(dst)
        if ep is not None:
            self.loop.call_later(self.delay, ep, data, src)


class FakeSipEnv(FakeNodeEnv):
    """``SipEnv`` of a user agent at ``addr`` on a :class:`FakeSipNet` (a test may change
    ``addr`` when the host moves)."""

    def __init__(self, loop: FakeLoop, net: FakeSipNet, addr: SipAddr, seed: int = 1, *,
                 fixed_rand: float | None = None) -> None:
        super().__init__(loop, f"{addr[0]}:{addr[1]}", seed=seed, fixed_rand=fixed_rand)
        self.net, self.addr = net, addr

    def send(self, data: bytes, dst: tuple[str, int]) -> None:
        self.net.send(self.addr, dst, data)


# Which Protocol each fake implements (checked by tests/cores/test_fakes.py).
IMPLEMENTS: dict[type, str] = {
    FakeLoop: "Clock",
    FakeNodeEnv: "NodeEnv",
    FakeDomainEnv: "DomainNodeEnv",
    FakeBorderRouterEnv: "BorderRouterEnv",
    FakeDrcpServerEnv: "DrcpServerEnv",
    FakeMobileHostEnv: "MobileHostEnv",
    FakeDatagramEnv: "DatagramEnv",
    FakeSipEnv: "SipEnv",
}

if TYPE_CHECKING:  # for a static type checker: each fake is assignable to its Protocol
    from imm_ns3 import env as _env

    _loop = FakeLoop()
    _c: _env.Clock = _loop
    _n: _env.NodeEnv = FakeNodeEnv(_loop)
    _d: _env.DomainNodeEnv = FakeDomainEnv(_loop)
    _b: _env.BorderRouterEnv = FakeBorderRouterEnv(_loop)
    _s: _env.DrcpServerEnv = FakeDrcpServerEnv(_loop)
    _m: _env.MobileHostEnv = FakeMobileHostEnv(_loop)
    _g: _env.DatagramEnv = FakeDatagramEnv(_loop)
    _u: _env.SipEnv = FakeSipEnv(_loop, FakeSipNet(_loop), ("0.0.0.0", 5060))
