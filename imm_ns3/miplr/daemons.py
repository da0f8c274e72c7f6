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

Beyond the specification, which assumes a stationary correspondent ([0054]): a mobile host can
be a correspondent too (mobile-to-mobile traffic). It then runs both daemons on one socket; its
MIP-CH daemon looks up only addresses in the permanent prefixes (``mobile_prefixes``), and its
MIP-MH daemon sends the updates meant for a mobile peer to that peer's care-of address, found
through the MIP-CH daemon (``locator``), which asks a register afresh at every update, since both
may have moved at once; the answer, or the peer's own update, sends the waiting update again to
where the peer is (``MipMhDaemon.located``; docs/miplr.md).

Hardening beyond the specification (docs/security.md): query ids start at a random number and
a reply counts only from the register asked; an update from a host is applied only with a care-of
address, a lifetime capped at ``max_lifetime_s`` and a sequence number inside the window of
:class:`~imm_ns3.security.SeqWindow`; a register or correspondent that answers STALE tells its
number (in the ack's lifetime field) and the host moves past it and retries, so a forged number costs the host
one round trip, not its registration. With a :class:`~imm_ns3.security.Keyring` (``security.auth = true``) every update
and acknowledgement carries an authenticator: host <-> register with the host's key, host <->
correspondent with their binding key, which the correspondent learns (wrapped with its own key)
in the register's authenticated query reply; anything unauthenticated is dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..env import DatagramEnv
from ..security import NO_AUTH, SEQ_WINDOW, Keyring, seal, unwrap, verify
from ..wire import ip_str
from .messages import (
    UPDATE_OK,
    UPDATE_STALE,
    MipQuery,
    MipQueryReply,
    MipQueryReplyAuth,
    MipUpdate,
    MipUpdateAck,
    MipUpdateAckAuth,
    MipUpdateAuth,
)


PENDING = object()


@dataclass
class _Entry:
    coa: int  # 0: null mapping (not a mobile host)
    expires: float
    seq: int = 0
    key: bytes | None = None  # binding key with the host (security.auth)


class MipChDaemon:
    def __init__(self, env: DatagramEnv, registers: list[int], *, query_timeout_s: float = 0.5,
                 max_tries: int = 6, on_mapping: Any = None, on_unreachable: Any = None,
                 max_lifetime_s: int = 300, keyring: Keyring | None = None, address: int = 0,
                 mobile_prefixes: list[tuple[int, int]] | None = None):
        self.env = env
        # (network, mask) pairs: only addresses inside are looked up (a daemon on a mobile host,
        # whose own traffic goes mostly to fixed hosts); None: every address is.
        self.mobile_prefixes = mobile_prefixes
        self.max_lifetime_s = max_lifetime_s
        self.keyring = keyring
        # Own key with the registers (security.auth): the one they wrap binding keys with.
        self._key = keyring.correspondent_key(address) if keyring is not None else None
        self.on_mapping = on_mapping or (lambda permanent, coa, lifetime_s: None)
        self.on_unreachable = on_unreachable or (lambda permanent: None)
        self.registers = list(registers)
        self.query_timeout_s = query_timeout_s
        self.max_tries = max_tries
        self.cache: dict[int, _Entry] = {}
        # query id -> (permanent, try, timer, register asked)
        self._queries: dict[int, tuple[int, int, Any, int]] = {}
        self._querying: dict[int, int] = {}  # permanent -> query id
        self._next_id = 1 + int(env.rand() * 0x7FFFFFFF)  # not guessable from the start
        self.rejected: dict[str, int] = {}
        self.queries_sent = 0
        # Told (permanent, care-of address) of every mapping learnt, after on_mapping: a MIP-MH
        # daemon on the same host resends an update that waits for it (MipMhDaemon.located).
        self.on_learnt: list[Any] = []
        # Every update applied ([0068]): (time, permanent, care-of address), for measurements.
        self.updates: list[tuple[float, int, int]] = []

    def remaining_s(self, dst: int) -> float:
        """Lifetime left of the live entry for ``dst`` (0 if none)."""
        e = self.cache.get(dst)
        return max(0.0, e.expires - self.env.now()) if e is not None else 0.0

    def is_mobile(self, dst: int) -> bool:
        """Could ``dst`` be a mobile host's permanent address (inside ``mobile_prefixes``)?"""
        return self.mobile_prefixes is None or any(dst & m == n for n, m in self.mobile_prefixes)

    def resolve(self, dst: int) -> Any:
        """Care-of address to rewrite ``dst`` to, None to leave it, or PENDING ([0061])."""
        if not self.is_mobile(dst):
            return None
        now = self.env.now()
        e = self.cache.get(dst)
        if e is not None and e.expires > now:
            return e.coa or None
        if dst not in self._querying:
            self._query(dst, 0)
        return PENDING

    def locate(self, dst: int) -> Any:
        """Where a datagram for ``dst`` goes now, asking a register again even while an entry
        lives (unless a query is under way): the entry in force meanwhile, PENDING without one,
        None for an address outside ``mobile_prefixes`` or a null mapping. Beyond the
        specification: the MIP-MH daemon of a mobile host that is also a correspondent uses it to
        reach a mobile peer's daemon ([0068]'s updates), whose own move may have made the entry
        stale (docs/miplr.md)."""
        if self.is_mobile(dst) and dst not in self._querying:
            self._query(dst, 0)
            e = self.cache.get(dst)
            return e.coa or None if e is not None else PENDING
        return self.resolve(dst)

    def _learnt(self, permanent: int, coa: int, lifetime_s: int) -> None:
        self.on_mapping(permanent, coa, lifetime_s)
        for f in self.on_learnt:
            f(permanent, coa)

    def _query(self, permanent: int, attempt: int) -> None:
        if attempt >= self.max_tries:
            self._querying.pop(permanent, None)
            self.env.log("hlr_unreachable", ip_str(permanent))
            self.on_unreachable(permanent)
            return
        qid = self._next_id
        self._next_id = self._next_id % 0xFFFFFFFF + 1
        register = self.registers[attempt % len(self.registers)]
        if attempt:
            self.env.log("hlr_retry", f"{ip_str(permanent)} via {ip_str(register)} (try {attempt + 1})")
        self.env.send(register, MipQuery(permanent, qid))
        self.queries_sent += 1
        timer = self.env.call_later(self.query_timeout_s * 2 ** attempt, self._timeout, qid)
        old = self._querying.get(permanent)
        if old is not None:
            self._queries.pop(old, None)
        self._queries[qid] = (permanent, attempt, timer, register)
        self._querying[permanent] = qid

    def _timeout(self, qid: int) -> None:
        q = self._queries.pop(qid, None)
        if q is not None:
            self._query(q[0], q[1] + 1)

    def receive(self, msg: Any, src: int = 0) -> Any | None:
        now = self.env.now()
        if isinstance(msg, (MipQueryReply, MipQueryReplyAuth)):
            return self._query_reply(msg, src, now)
        if isinstance(msg, (MipUpdate, MipUpdateAuth)):
            return self._host_update(msg, now)
        self._reject("unexpected_message")
        return None

    def _query_reply(self, msg: Any, src: int, now: float) -> None:
        q = self._queries.get(msg.query_id)
        if q is None or q[0] != msg.permanent or (src and src != q[3]):
            self._reject("unexpected_reply")
            return None
        key = None
        if self.keyring is not None:
            if not isinstance(msg, MipQueryReplyAuth):
                self._reject("unauthenticated")
                return None
            if not verify(self._key, msg):
                self._reject("bad_authenticator")
                return None
            key = unwrap(self._key, msg.query_id, msg.binding_key)
        del self._queries[msg.query_id]
        self.env.cancel(q[2])
        self._querying.pop(msg.permanent, None)
        lifetime = min(msg.lifetime_s, self.max_lifetime_s)
        old = self.cache.get(msg.permanent)
        self.cache[msg.permanent] = _Entry(msg.coa, now + lifetime, old.seq if old else 0, key)
        self.env.log("mip_mapping", f"{ip_str(msg.permanent)} -> "
                     f"{ip_str(msg.coa) if msg.coa else 'null'} for {lifetime}s")
        self._learnt(msg.permanent, msg.coa, lifetime)
        return None

    def _ack(self, msg: Any, key: bytes | None, status: int, lifetime: int) -> Any:
        if key is None:
            return MipUpdateAck(msg.permanent, msg.seq, status, lifetime)
        return seal(key, MipUpdateAckAuth(msg.permanent, msg.seq, status, lifetime, NO_AUTH))

    def _host_update(self, msg: Any, now: float) -> Any | None:
        e = self.cache.get(msg.permanent)
        key = None
        if self.keyring is not None:
            # Only the binding key the register gave tells the host's update from a forgery.
            key = e.key if e is not None else None
            if not isinstance(msg, MipUpdateAuth):
                self._reject("unauthenticated")
                return None
            if key is None:
                self._reject("no_binding_key")
                return None
            if not verify(key, msg):
                self._reject("bad_authenticator")
                return None
        if msg.coa == 0:  # the update of [0068] moves an entry; it never removes one
            self._reject("zero_coa")
            return self._ack(msg, key, UPDATE_STALE, 0)
        live = e is not None and e.expires > now
        lifetime = min(msg.lifetime_s, self.max_lifetime_s)
        if live and e.seq == msg.seq and e.coa == msg.coa:
            # A retransmission of the update in force (its acknowledgement was lost).
            return self._ack(msg, key, UPDATE_OK, lifetime)
        if live and e.seq and (msg.seq <= e.seq or msg.seq > e.seq + SEQ_WINDOW):
            self._reject("stale_seq" if msg.seq <= e.seq else "seq_out_of_window")
            return self._ack(msg, key, UPDATE_STALE, e.seq)  # the number in force, as registers do
        self.cache[msg.permanent] = _Entry(msg.coa, now + lifetime, msg.seq, key)
        self.updates.append((now, msg.permanent, msg.coa))
        self.env.log("mip_update", f"{ip_str(msg.permanent)} -> {ip_str(msg.coa)}")
        self._learnt(msg.permanent, msg.coa, lifetime)
        return self._ack(msg, key, UPDATE_OK, lifetime)

    def _reject(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1


class MipMhDaemon:
    def __init__(self, env: DatagramEnv, permanent: int, registers: list[int], *, lifetime_s: int = 120,
                 retry_s: float = 0.5, max_tries: int = 6, keyring: Keyring | None = None,
                 locator: MipChDaemon | None = None):
        self.env = env
        # The host's own MIP-CH daemon, when it is a correspondent of other mobile hosts: their
        # updates go to their care-of addresses, found through it (docs/miplr.md).
        self.locator = locator
        self._wire: dict[int, int] = {}  # address an update was sent to -> the peer it is for
        self._sent_to: dict[int, int] = {}  # peer -> the address its last update went to
        if locator is not None:
            locator.on_learnt.append(self.located)
        self.permanent = permanent
        self._key = keyring.host_key(permanent) if keyring is not None else None
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
        # Per register: what to add to seq (resynchronised after STALE) and how many times.
        self._offset: dict[int, int] = {}
        self._jumps: dict[int, int] = {}
        self.rejected: dict[str, int] = {}

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
        wire = dst
        if kind == "ch" and self.locator is not None and self.locator.is_mobile(dst):
            # A mobile correspondent: its care-of address, and a register asked afresh at once:
            # the peer may have moved at the same time (its update to us then went to our old
            # address), and the answer sends this update again to where it is (located).
            where = self.locator.locate(dst)
            wire = dst if where is None else (0 if where is PENDING else where)
            if not wire:
                self.env.log("ch_update_waits", f"{ip_str(dst)}: asking a register where it is")
        if wire:
            self._wire[wire] = dst
            self._sent_to[dst] = wire
            self.env.send(wire, self._update_for(dst, kind))
        self._timers[dst] = self.env.call_later(self.retry_s * 2 ** attempt,
                                                self._send_update, dst, attempt + 1, kind)

    def located(self, peer: int, coa: int) -> None:
        """The host's MIP-CH daemon learnt where ``peer`` is: an update to it still waiting for
        its acknowledgement goes there at once (the retry timer keeps running)."""
        if coa and peer in self._timers and peer in self.tcp_peers and self._sent_to.get(peer) != coa:
            self._wire[coa] = peer
            self._sent_to[peer] = coa
            self.env.send(coa, self._update_for(peer, "ch"))

    def _key_for(self, dst: int, kind: str) -> bytes | None:
        if self._key is None:
            return None
        return self._key if kind == "hlr" else Keyring.binding_key(self._key, dst)

    def seq_for(self, dst: int) -> int:
        """The sequence number of the current update to ``dst``."""
        return (self.seq + self._offset.get(dst, 0)) & 0xFFFFFFFF

    def _update_for(self, dst: int, kind: str) -> Any:
        key = self._key_for(dst, kind)
        seq = self.seq_for(dst)
        if key is None:
            return MipUpdate(self.permanent, self.coa, seq, self.lifetime_s)
        return seal(key, MipUpdateAuth(self.permanent, self.coa, seq, self.lifetime_s, NO_AUTH))

    def receive(self, msg: Any, src: int) -> None:
        src = self._wire.get(src, src)  # a mobile correspondent answers from its care-of address
        if not (isinstance(msg, (MipUpdateAck, MipUpdateAckAuth)) and msg.permanent == self.permanent
                and msg.seq == self.seq_for(src)):
            return
        register = src in self.registers
        kind = "hlr" if register else "ch"
        key = self._key_for(src, kind)
        if key is not None and not (isinstance(msg, MipUpdateAckAuth) and verify(key, msg)):
            self.rejected[kind + "_ack_unauthenticated"] = self.rejected.get(
                kind + "_ack_unauthenticated", 0) + 1
            return  # a forged acknowledgement must not stop the retries
        # The answer of a register or of a correspondent ([0068]): stop resending.
        t = self._timers.pop(src, None)
        if t is not None:
            self.env.cancel(t)
        if msg.status != UPDATE_OK:
            self.env.log(f"{kind}_update_rejected", f"{ip_str(src)} status {msg.status}")
            if msg.status == UPDATE_STALE and msg.lifetime_s and self._jumps.get(src, 0) < self.max_tries:
                # The register or correspondent holds another number than ours (a forged
                # update's, or this host's before a restart) and says which in lifetime_s: move
                # past it and resend, as RFC 5944 resynchronises its Identification.
                self._jumps[src] = self._jumps.get(src, 0) + 1
                self._offset[src] = msg.lifetime_s + 1 - self.seq
                self._send_update(src, 0, kind)
        else:
            self._jumps.pop(src, None)
        if msg.status == UPDATE_OK and register:
            self.acked[src] = msg.seq
            self.granted_s[src] = msg.lifetime_s
