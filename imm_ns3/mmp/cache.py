"""The MMP routing cache: care-of address -> down-link interface(s), soft state.

The semantics, which the C++ forwarding cache of the ns-3 adapter implements identically
(``adapter/mmp_routing.h``; a conformance test drives both with the same random operations):

- every (care-of address, interface) pair has its own expiry, ``timeout_s`` after it was last
  created or refreshed; an expired pair is gone ([0033]);
- ``refresh`` (any up-link packet, a route-update): an existing pair is refreshed; with no live
  pair one is created; a packet arriving on another interface than the live ones replaces them
  (the host moved without telling: the self-healing of [0040]);
- ``hard`` (registration, hard hand-off cache update): the entry becomes exactly this interface
  ([0031], [0035]);
- ``semisoft`` (semi-soft cache update): this interface is added beside the live ones, so the
  node bicasts ([0036]); a later ``hard`` removes the old one;
- ``lookup`` returns the live interfaces in the order they were added.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# What an operation did, for event logs and tests.
CREATED = "created"
REFRESHED = "refreshed"
REPLACED = "replaced"
ADDED = "added"


@dataclass
class RoutingCache:
    timeout_s: float
    _entries: dict[int, dict[int, float]] = field(default_factory=dict)  # coa -> {iface: expiry}

    def _live(self, coa: int, now: float) -> dict[int, float]:
        ent = self._entries.get(coa)
        if not ent:
            return {}
        for iface in [i for i, exp in ent.items() if exp <= now]:
            del ent[iface]
        if not ent:
            del self._entries[coa]
            return {}
        return ent

    def lookup(self, coa: int, now: float) -> tuple[int, ...]:
        return tuple(self._live(coa, now))

    def refresh(self, coa: int, iface: int, now: float) -> str:
        ent = self._live(coa, now)
        if iface in ent:
            ent[iface] = now + self.timeout_s
            return REFRESHED
        existed = bool(ent)
        self._entries[coa] = {iface: now + self.timeout_s}
        return REPLACED if existed else CREATED

    def hard(self, coa: int, iface: int, now: float) -> str:
        ent = self._live(coa, now)
        if list(ent) == [iface]:
            ent[iface] = now + self.timeout_s
            return REFRESHED
        self._entries[coa] = {iface: now + self.timeout_s}
        return REPLACED if ent else CREATED

    def semisoft(self, coa: int, iface: int, now: float) -> str:
        ent = self._live(coa, now)
        if iface in ent:
            ent[iface] = now + self.timeout_s
            return REFRESHED
        if not ent:
            self._entries[coa] = {iface: now + self.timeout_s}
            return CREATED
        ent[iface] = now + self.timeout_s
        return ADDED

    def remove_interface(self, iface: int) -> list[int]:
        """An interface went down: forget it everywhere; returns the care-of addresses touched."""
        touched = []
        for coa in list(self._entries):
            if self._entries[coa].pop(iface, None) is not None:
                touched.append(coa)
                if not self._entries[coa]:
                    del self._entries[coa]
        return touched

    def purge(self, now: float) -> list[int]:
        """Drop everything expired; returns the care-of addresses that disappeared."""
        gone = []
        for coa in list(self._entries):
            if not self._live(coa, now):
                gone.append(coa)
        return gone

    def __len__(self) -> int:
        return len(self._entries)

    def snapshot(self, now: float) -> dict[int, tuple[int, ...]]:
        return {coa: self.lookup(coa, now) for coa in list(self._entries) if self.lookup(coa, now)}
