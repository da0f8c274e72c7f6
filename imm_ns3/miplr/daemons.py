"""The MIP-CH and MIP-MH daemons ([0058]-[0068]), sans-I/O.

Env of both: :class:`imm_ns3.env.DatagramEnv` (``now``, ``call_later``, ``cancel``,
``send(dst_ip, msg)``, ``log``).

MIP-CH daemon ([0058]-[0062]): a routing cache permanent address -> care-of address with the
lifetime the register gave (or a null mapping for a non-mobile address). :meth:`MipChDaemon.
resolve` is asked for each outgoing TCP packet's destination: it answers the address to rewrite
to, ``None`` (leave the packet alone), or :data:`PENDING` while it queries a register on a miss
or an expired entry. Registers are tried in the configured order of preference; one that does
not answer within the timeout (doubled at each try) is passed over and the next is asked.
Updates from mobile hosts ([0068]) replace the entry at once. ``on_mapping(permanent, coa,
lifetime_s)`` is told every entry learnt (so a packet hook can hold its own copy) and
``on_unreachable(permanent)`` when every register failed to answer.

MIP-MH daemon ([0064]-[0065], [0068]): on every care-of address change it sends an update to
every register (retried with back-off until acknowledged, refreshed before the lifetime ends)
and to every correspondent in its TCP connections cache: those that sent TCP to the host during
the last registration lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..env import DatagramEnv
from ..wire import ip_str
from .messages import UPDATE_OK, MipQuery, MipQueryReply, MipUpdate, MipUpdateAck

PENDING = object()


@dataclass
class _Entry:
    coa: int  # 0: null mapping (not a mobile host)
    expires: float
    seq: int = -1


class MipChDaemon:
    def __init__(self, env: DatagramEnv, registers: list[int], *, query_timeout_s: float = 0.5,
                 max_tries: int = 6, on_mapping: Any = None, on_unreachable: Any = None):
        self.env = env
        self.on_mapping = on_mapping or (lambda permanent, coa, lifetime_s: None)
        self.on_unreachable = on_unreachable or (lambda permanent: None)
        self.registers = list(registers)
        self.query_timeout_s = query_timeout_s
        self.max_tries = max_tries
        self.cache: dict[int, _Entry] = {}
        self._queries: dict[int, tuple[int, int, Any]] = {}  # query id -> (permanent, try, timer)
        self._querying: dict[int, int] = {}  # permanent -> query id
        self._next_id = 1
        self.rejected: dict[str, int] = {}
        self.queries_sent = 0
        # Every update applied ([0068]): (time, permanent, care-of address), for measurements.
        self.updates: list[tuple[float, int, int]] = []

    def remaining_s(self, dst: int) -> float:
        """Lifetime left of the live entry for ``dst`` (0 if none)."""
        e = self.cache.get(dst)
        return max(0.0, e.expires - self.env.now()) if e is not None else 0.0

    def resolve(self, dst: int) -> Any:
        """Care-of address to rewrite ``dst`` to, None to leave it, or PENDING ([0061])."""
        now = self.env.now()
        e = self.cache.get(dst)
        if e is not None and e.expires > now:
            return e.coa or None
        if dst not in self._querying:
            self._query(dst, 0)
        return PENDING

    def _query(self, permanent: int, attempt: int) -> None:
        if attempt >= self.max_tries:
            self._querying.pop(permanent, None)
            self.env.log("hlr_unreachable", ip_str(permanent))
            self.on_unreachable(permanent)
            return
        qid = self._next_id
        self._next_id += 1
        register = self.registers[attempt % len(self.registers)]
        if attempt:
            self.env.log("hlr_retry", f"{ip_str(permanent)} via {ip_str(register)} (try {attempt + 1})")
        self.env.send(register, MipQuery(permanent, qid))
        self.queries_sent += 1
        timer = self.env.call_later(self.query_timeout_s * 2 ** attempt, self._timeout, qid)
        old = self._querying.get(permanent)
        if old is not None:
            self._queries.pop(old, None)
        self._queries[qid] = (permanent, attempt, timer)
        self._querying[permanent] = qid

    def _timeout(self, qid: int) -> None:
        q = self._queries.pop(qid, None)
        if q is not None:
            self._query(q[0], q[1] + 1)

    def receive(self, msg: Any, src: int = 0) -> Any | None:
        now = self.env.now()
        if isinstance(msg, MipQueryReply):
            q = self._queries.pop(msg.query_id, None)
            if q is None or q[0] != msg.permanent:
                self._reject("unexpected_reply")
                return None
            self.env.cancel(q[2])
            self._querying.pop(msg.permanent, None)
            self.cache[msg.permanent] = _Entry(msg.coa, now + msg.lifetime_s)
            self.env.log("mip_mapping", f"{ip_str(msg.permanent)} -> "
                         f"{ip_str(msg.coa) if msg.coa else 'null'} for {msg.lifetime_s}s")
            self.on_mapping(msg.permanent, msg.coa, msg.lifetime_s)
            return None
        if isinstance(msg, MipUpdate):
            e = self.cache.get(msg.permanent)
            if e is not None and e.seq == msg.seq and e.coa == msg.coa and e.expires > now:
                # A retransmission of the update in force (its acknowledgement was lost).
                return MipUpdateAck(msg.permanent, msg.seq, UPDATE_OK, msg.lifetime_s)
            if e is not None and e.seq >= msg.seq and e.expires > now:
                self._reject("stale_seq")
                return MipUpdateAck(msg.permanent, msg.seq, 1, 0)
            self.cache[msg.permanent] = _Entry(msg.coa, now + msg.lifetime_s, msg.seq)
            self.updates.append((now, msg.permanent, msg.coa))
            self.env.log("mip_update", f"{ip_str(msg.permanent)} -> {ip_str(msg.coa)}")
            self.on_mapping(msg.permanent, msg.coa, msg.lifetime_s)
            return MipUpdateAck(msg.permanent, msg.seq, UPDATE_OK, msg.lifetime_s)
        self._reject("unexpected_message")
        return None

    def _reject(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1


class MipMhDaemon:
    def __init__(self, env: DatagramEnv, permanent: int, registers: list[int], *, lifetime_s: int = 120,
                 retry_s: float = 0.5, max_tries: int = 6):
        self.env = env
        self.permanent = permanent
        self.registers = list(registers)
        self.lifetime_s = lifetime_s
        self.retry_s = retry_s
        self.max_tries = max_tries
        self.coa = 0
        self.seq = 0
        self.tcp_peers: dict[int, float] = {}  # correspondent -> last TCP packet time (cache 612)
        self.acked: dict[int, int] = {}  # register -> seq acknowledged
        self.granted_s: dict[int, int] = {}
        self._timers: dict[int, Any] = {}
        self._refresh = None

    def on_tcp_from(self, correspondent: int) -> None:
        """A TCP packet from a correspondent arrived ([0068]: the TCP connections cache)."""
        self.tcp_peers[correspondent] = self.env.now()

    def on_coa_change(self, old: int | None, new: int) -> None:
        """Step 420: the MMP daemon configured a new care-of address."""
        if not new or new == self.coa:
            return
        self.coa = new
        self.seq += 1
        self.env.log("mip_coa", f"{ip_str(new)} seq {self.seq}")
        self._update_registers()
        now = self.env.now()
        # [0068]: every correspondent that sent TCP during the last registration lifetime,
        # acknowledged and retransmitted like the registers' updates: one lost update would
        # leave the correspondent rewriting to the old address for the entry's lifetime.
        for peer, t in list(self.tcp_peers.items()):
            if now - t <= self.lifetime_s:
                self._send_update(peer, 0, kind="ch")
            else:
                del self.tcp_peers[peer]

    def _update_registers(self) -> None:
        for r in self.registers:
            self._send_update(r, 0)
        if self._refresh is not None:
            self.env.cancel(self._refresh)
        self._refresh = self.env.call_later(self.lifetime_s * 0.8, self._refresh_now)

    def _refresh_now(self) -> None:
        self.seq += 1
        self._update_registers()

    def _send_update(self, dst: int, attempt: int, kind: str = "hlr") -> None:
        """Send the current update to a register (kind 'hlr') or a correspondent ('ch'), and
        again after retry_s, 2 retry_s, ... until it is acknowledged or max_tries ran out."""
        old = self._timers.pop(dst, None)
        if old is not None:
            self.env.cancel(old)
        if attempt >= self.max_tries:
            self.env.log(f"{kind}_update_failed", ip_str(dst))
            return
        if attempt:
            self.env.log(f"{kind}_update_retry", f"{ip_str(dst)} try {attempt + 1}")
        self.env.send(dst, MipUpdate(self.permanent, self.coa, self.seq, self.lifetime_s))
        self._timers[dst] = self.env.call_later(self.retry_s * 2 ** attempt,
                                                self._send_update, dst, attempt + 1, kind)

    def receive(self, msg: Any, src: int) -> None:
        if isinstance(msg, MipUpdateAck) and msg.permanent == self.permanent and msg.seq == self.seq:
            # The answer of a register or of a correspondent ([0068]): stop resending.
            t = self._timers.pop(src, None)
            if t is not None:
                self.env.cancel(t)
            register = src in self.registers
            if msg.status != UPDATE_OK:
                kind = "hlr" if register else "ch"
                self.env.log(f"{kind}_update_rejected", f"{ip_str(src)} status {msg.status}")
            elif register:
                self.acked[src] = msg.seq
                self.granted_s[src] = msg.lifetime_s
