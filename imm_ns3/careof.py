"""The care-of address channel: one per mobile host, fed once, read by everything else.

MMP with DRCP decides a mobile host's care-of address ([0050], Figure 4A step 416). MIP-LR
(step 420, [0064]), SIP ([0073], [0075]), the probe's sender and the measurements all need to
know it. They subscribe to the host's :class:`CareOfChannel` instead of reaching into the MMP
adapter or reading the event log back::

    MMP daemon --(old, new)--> CareOfChannel(mh) --> MIP-LR daemon, Mobile IP client
    (adapter/mmp.py: publish)                   \\--> SIP user agent
                                                 \\--> probe sender, measurements (history)

Pure: no ns-3; times are passed in.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class CoaChange:
    """A care-of address event of one host: ``new`` is the address configured, 0 when the host
    lost its address (it left its sub-network and waits for DRCP); ``old`` the last address it
    had configured before (None for the first)."""

    t_s: float
    old: int | None
    new: int

    @property
    def lost(self) -> bool:
        return self.new == 0


@dataclass
class CareOfChannel:
    host: str
    history: list[CoaChange] = field(default_factory=list)
    _subscribers: list[Callable[[CoaChange], None]] = field(default_factory=list, repr=False)

    def subscribe(self, fn: Callable[[CoaChange], None]) -> None:
        """``fn(change)`` on every later event, in subscription order (losses included: a
        subscriber that needs an address checks ``change.lost``)."""
        self._subscribers.append(fn)

    def publish(self, t_s: float, new: int) -> CoaChange:
        change = CoaChange(t_s, self.last_address, int(new))
        self.history.append(change)
        for fn in list(self._subscribers):
            fn(change)
        return change

    @property
    def current(self) -> int:
        """The address the host holds now (0: none)."""
        return self.history[-1].new if self.history else 0

    @property
    def last_address(self) -> int | None:
        """The last address the host had configured (kept while it waits for a new one)."""
        for c in reversed(self.history):
            if c.new:
                return c.new
        return None

    def addresses(self) -> list[str]:
        """Every address configured, in order (dotted quads; ``care_of_addresses`` of the summary)."""
        return [str(ipaddress.IPv4Address(c.new)) for c in self.history if c.new]

    def changes(self) -> list[tuple[float, str]]:
        """(time, new address) of each change of address: the first address is not a change,
        nor is getting the same address again after a loss."""
        out, last = [], None
        for c in self.history:
            if not c.new:
                continue
            a = str(ipaddress.IPv4Address(c.new))
            if last is not None and a != last:
                out.append((c.t_s, a))
            last = a
        return out
