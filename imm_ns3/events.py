"""The event log of a run: one row per protocol-level event, in simulated-time order.

Times are kept as integer nanoseconds so the log, and its fingerprint, are exact: the same
scenario and seed give the same fingerprint on every machine (the habit of INET's
fingerprint tests), and any change of behaviour changes it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    t_ns: int
    node: str
    role: str
    event: str
    detail: str = ""

    @property
    def t_s(self) -> float:
        return self.t_ns * 1e-9


@dataclass
class EventLog:
    events: list[Event] = field(default_factory=list)

    def record(self, t_ns: int, node: str, role: str, event: str, detail: str = "") -> Event:
        ev = Event(int(t_ns), node, role, event, detail)
        self.events.append(ev)
        return ev

    def __len__(self) -> int:
        return len(self.events)

    def of(self, event: str) -> list[Event]:
        return [e for e in self.events if e.event == event]

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for e in self.events:
            h.update(f"{e.t_ns}|{e.node}|{e.role}|{e.event}|{e.detail}\n".encode())
        return h.hexdigest()[:16]

    def rows(self) -> list[dict]:
        return [{"t_s": e.t_s, "node": e.node, "role": e.role, "event": e.event,
                 "detail": e.detail} for e in self.events]
