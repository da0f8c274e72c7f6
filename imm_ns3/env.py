"""The Env contract: what a protocol core may do to the world, as ``typing.Protocol``s.

Every sans-I/O core is typed against one of these; in ns-3 the adapters implement them
(``imm_ns3/adapter/env.py`` and each protocol's adapter), in tests small in-memory fakes do.
Nothing here imports ns-3.

Two styles of core, on purpose:

- **Servers that only answer** are pure functions of (request, now) -> reply, with no Env:
  :class:`~imm_ns3.miplr.hlr.HomeLocationRegister`, :class:`~imm_ns3.miplr.mip.HomeAgent`,
  :class:`~imm_ns3.sip.registrar.Registrar`. They have no timers and send nothing unasked, so
  the adapter (or the asyncio server) sends the reply back to the requester; the time is passed
  in, the output pulled, as in aioquic.
- **Agents that act on their own** -- MMP nodes, DRCP servers, the mobile host's daemon, the
  MIP-LR daemons, the Mobile IP client, SIP user agents -- run timers (beacons, retries,
  refreshes, soft state) and send unsolicited messages, so they are given an Env that pushes:
  ``call_later`` and ``send`` act at once. Pulling their output would need every adapter to poll
  after each event and to re-implement a timer queue beside ns-3's; pushing through an Env keeps
  one scheduler (ns-3's, or asyncio's) and one place where time comes from.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

Handle = Any  # what call_later returns; only ever passed back to cancel


class Clock(Protocol):
    def now(self) -> float: ...  # simulated (or real) seconds


class NodeEnv(Clock, Protocol):
    """What every agent core has: time, timers, randomness, the event log."""

    def call_later(self, delay_s: float, fn: Callable[..., Any], *args: Any) -> Handle: ...
    def cancel(self, handle: Handle) -> None: ...
    def rand(self) -> float: ...  # uniform [0, 1), the node's own reproducible stream
    def log(self, event: str, detail: str = "") -> None: ...


# ---- MMP and DRCP ----------------------------------------------------------------------------
class RoutingCacheOps(Protocol):
    """The routing cache operations an MMP node applies ([0031]-[0036]); the pure reference is
    :class:`imm_ns3.mmp.cache.RoutingCache`, the ns-3 one is the C++ cache of mmp_routing.h."""

    def lookup(self, coa: int, now: float) -> tuple[int, ...]: ...
    def refresh(self, coa: int, iface: int, now: float) -> str: ...
    def hard(self, coa: int, iface: int, now: float) -> str: ...
    def semisoft(self, coa: int, iface: int, now: float) -> str: ...
    def remove_interface(self, iface: int) -> list[int]: ...


class Periodic(Protocol):
    """A message sent on one interface every interval, with no call into the core per send."""

    def set(self, msg: Any | None) -> None: ...  # what to send from now on (None: nothing)


class TimerPeriodic:
    """:class:`Periodic` from an Env's timers and ``send``: the reference, and what a core
    uses when its Env has no ``periodic`` of its own (ns-3's sends from C++, adapter/cpp/bridge.h).
    Ticks at ``first_s``, then every ``interval_s``, sending the message set at that moment."""

    def __init__(self, env: Any, iface: int, first_s: float, interval_s: float) -> None:
        self.env, self.iface, self.interval_s = env, iface, interval_s
        self.msg: Any | None = None
        env.call_later(first_s, self._tick)

    def set(self, msg: Any | None) -> None:
        self.msg = msg

    def _tick(self) -> None:
        if self.msg is not None:
            self.env.send(self.iface, self.msg)
        self.env.call_later(self.interval_s, self._tick)


class DomainNodeEnv(NodeEnv, Protocol):
    """A gateway, intermediate node or base station (:class:`imm_ns3.mmp.node.MmpNode`).
    Optional: ``periodic(iface, first_s, interval_s) -> Periodic`` (else :class:`TimerPeriodic`)."""

    def send(self, iface: int, msg: Any) -> None: ...  # to the neighbour on iface
    def send_to(self, dst_ip: int, msg: Any) -> None: ...  # routed unicast
    def set_uplink(self, iface: int | None) -> None: ...  # the primary up-link (None: none)
    def cache(self) -> RoutingCacheOps: ...
    # Source address validation (base stations with savi): the address is this station's.
    def savi_bind(self, addr: int, mac: int) -> None: ...


class BorderRouterEnv(NodeEnv, Protocol):
    """A sub-network's border router (:class:`imm_ns3.mmp.node.BorderRouter`)."""

    def set_host_route(self, host: int, gateway_ip: int) -> None: ...
    def remove_host_route(self, host: int) -> None: ...


class DrcpServerEnv(NodeEnv, Protocol):
    """A DRCP server (:class:`imm_ns3.mmp.drcp.DrcpServer`)."""

    def send_to(self, dst_ip: int, msg: Any) -> None: ...


class MobileHostEnv(NodeEnv, Protocol):
    """The mobile host's station (:class:`imm_ns3.mmp.mobile.MobileHostDaemon`)."""

    def send_up(self, dst_ip: int, msg: Any) -> None: ...  # through the current base station
    def set_default_router(self, bs_ip: int) -> None: ...
    def listen_to(self, bs_ip: int) -> None: ...  # semi-soft: which base station to hear
    def configure_address(self, addr: int, prefix_len: int) -> None: ...
    def clear_address(self) -> None: ...
    def last_uplink_tx(self) -> float: ...  # time it last sent from its own address


# ---- MIP-LR, Mobile IP -------------------------------------------------------------------------
class DatagramEnv(NodeEnv, Protocol):
    """A MIP-CH or MIP-MH daemon, or a Mobile IP client: binary messages to an address."""

    def send(self, dst_ip: int, msg: Any) -> None: ...


# ---- SIP -------------------------------------------------------------------------------------
class SipEnv(NodeEnv, Protocol):
    """A SIP user agent (:class:`imm_ns3.sip.agent.UserAgent`): text datagrams to (host, port)."""

    def send(self, data: bytes, dst: tuple[str, int]) -> None: ...


__all__ = ["Clock", "NodeEnv", "RoutingCacheOps", "DomainNodeEnv", "BorderRouterEnv",
           "DrcpServerEnv", "MobileHostEnv", "DatagramEnv", "SipEnv", "Handle"]
