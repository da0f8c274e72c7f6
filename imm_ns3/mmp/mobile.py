"""The mobile host's MMP daemon: Figure 4A, steps 402-418 ([0046]-[0051]).

Sans-I/O. The radio tells it about every association change (step 402, :meth:`on_radio`); it
then waits for the new base station's beacon (404) and compares its domain with the previous
one (406):

- same domain (408): the new base station becomes the default router and a cache hand-off
  message goes to the gateway, hard or semi-soft ([0035], [0036]);
- another domain (410): wait for the DRCP advertisement and compare sub-networks (412):
  - same sub-network (414): default router, then a registration with the current care-of
    address ([0049]);
  - another sub-network (416-418): a new care-of address from DRCP, default router,
    registration, and the gateway's acknowledgement ([0050]).

An idle host sends a route-update before its caches expire (step 418 side note, [0051]).

The daemon is a state machine whose every (state, event) pair is written in
:data:`TRANSITIONS`: the handler that runs, or :data:`EXPECTED` for what a cell sends anyway and
the host ignores in that state (periodic beacons and advertisements). A message that is no
event of the daemon, or a pair absent from the table, is counted in ``unexpected`` and logged,
never dropped in silence; a stale answer (an old transaction or sequence number, a late
acknowledgement) is counted in ``stale``.
Every movement produces a :class:`Movement` record with the time of each step, from which the
latency components of ``handoffs.parquet`` are computed; the daemon's classification is kept
beside the topology's ground truth so the two can be checked against each other.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any, Callable

from ..env import MobileHostEnv
from .messages import (
    DRCP_OK,
    BaseStationBeacon,
    CacheUpdate,
    DrcpAdvertisement,
    DrcpReply,
    DrcpRequest,
    Message,
    Registration,
    RegistrationAck,
    RouteUpdate,
    ip_str,
)

DETACHED, WAIT_BEACON, WAIT_ADV, WAIT_DRCP, WAIT_ACK, ATTACHED = (
    "detached", "wait_beacon", "wait_adv", "wait_drcp", "wait_ack", "attached")
STATES = (DETACHED, WAIT_BEACON, WAIT_ADV, WAIT_DRCP, WAIT_ACK, ATTACHED)

# Events: the radio's association change (step 402) and the messages the host handles.
RADIO, BS_BEACON, ADVERTISEMENT, DRCP_REPLY, ACK = (
    "radio", "bs_beacon", "advertisement", "drcp_reply", "registration_ack")
EVENTS = (RADIO, BS_BEACON, ADVERTISEMENT, DRCP_REPLY, ACK)
EVENT_OF: dict[type, str] = {BaseStationBeacon: BS_BEACON, DrcpAdvertisement: ADVERTISEMENT,
                             DrcpReply: DRCP_REPLY, RegistrationAck: ACK}
EXPECTED = "expected"  # what the cell sends anyway; nothing to do in that state

_WAITING = (WAIT_BEACON, WAIT_ADV, WAIT_DRCP, WAIT_ACK)
TRANSITIONS: dict[tuple[str, str], str] = {
    # Step 402: every association change starts a movement, whatever the host was doing.
    **{(st, RADIO): "_radio" for st in STATES},
    # Step 404: the new base station's beacon; attached, the current one's may name a new
    # gateway ([0045]); while the host waits for something else, beacons go by.
    (WAIT_BEACON, BS_BEACON): "_beacon_after_move",
    (ATTACHED, BS_BEACON): "_beacon_while_attached",
    **{(st, BS_BEACON): EXPECTED for st in (DETACHED, WAIT_ADV, WAIT_DRCP, WAIT_ACK)},
    # Step 410: the advertisement after a beacon of another domain; otherwise periodic.
    (WAIT_ADV, ADVERTISEMENT): "_advertisement",
    **{(st, ADVERTISEMENT): EXPECTED for st in (DETACHED, WAIT_BEACON, WAIT_DRCP, WAIT_ACK, ATTACHED)},
    # Step 416: the address asked for; in any other state a reply renews the lease ([0050]).
    (WAIT_DRCP, DRCP_REPLY): "_drcp_reply",
    **{(st, DRCP_REPLY): "_drcp_renewal" for st in STATES if st != WAIT_DRCP},
    # Step 418: the gateway's acknowledgement; in any other state it is late (a retry's twin).
    (WAIT_ACK, ACK): "_ack",
    **{(st, ACK): "_stale" for st in STATES if st != WAIT_ACK},
}


@dataclass
class Movement:
    """One pass through Figure 4A, from the radio-level handoff to the end of the update."""

    t_radio: float
    t_notice: float | None = None  # the daemon noticed the association (its interface poll)
    kind: str | None = None  # the daemon's view: attach / intra_domain / inter_domain / inter_subnet
    t_beacon: float | None = None  # base-station beacon heard (404)
    t_adv: float | None = None  # DRCP advertisement heard (410)
    t_drcp: float | None = None  # care-of address configured (416)
    t_update: float | None = None  # cache hand-off or registration sent (408 / 414 / 418)
    t_done: float | None = None  # acknowledgement (registrations), or update sent (hand-offs)
    coa_before: int | None = None
    coa_after: int | None = None
    retries: int = 0

    def components(self) -> dict[str, float | None]:
        def d(a, b):
            return None if a is None or b is None else b - a
        return {
            "mmp_kind": self.kind,
            "beacon_wait_s": d(self.t_radio, self.t_beacon),
            "adv_wait_s": d(self.t_beacon, self.t_adv),
            "drcp_s": d(self.t_adv, self.t_drcp),
            "update_s": d(self.t_update, self.t_done),
            "mmp_s": d(self.t_radio, self.t_done),
            "coa": ip_str(self.coa_after) if self.coa_after else None,
            "coa_changed": (self.coa_after is not None and self.coa_before != self.coa_after),
            "mmp_retries": self.retries,
            # Only with periodic interface monitoring (mmp.monitor_interval_s > 0).
            **({"monitor_wait_s": self.t_notice - self.t_radio} if self.t_notice is not None else {}),
        }


class MobileHostDaemon:
    def __init__(self, name: str, env: MobileHostEnv, *, mh_id: int, client_id: int, handoff: str = "hard",
                 semisoft_period_s: float = 0.1, route_update_interval_s: float = 1.0,
                 registration_timeout_s: float = 0.5, max_retries: int = 5,
                 monitor_interval_s: float = 0.0, monitor_phase_s: float = 0.0):
        self.name, self.env = name, env
        # [0056], [0073]: the daemon learns of a new association by polling the interface every
        # monitor_interval_s (its polls at monitor_phase_s + k * interval); 0 = at once.
        self.monitor_interval_s = monitor_interval_s
        self.monitor_phase_s = monitor_phase_s
        self._poll = None
        self._seen: tuple[str, float] | None = None  # (base station, radio time) not yet polled
        self.mh_id, self.client_id = mh_id, client_id
        self.handoff = handoff
        self.semisoft_period_s = semisoft_period_s
        self.route_update_interval_s = route_update_interval_s
        self.registration_timeout_s = registration_timeout_s
        self.max_retries = max_retries
        self.state = DETACHED
        self.coa: int | None = None
        self.subnet: ipaddress.IPv4Network | None = None
        self.domain_id: int | None = None
        self.gateway_ip: int | None = None
        self.bs: BaseStationBeacon | None = None
        self.drcp_server: int | None = None
        self.lease_s = 0
        self.seq = 0
        self.xid = 0
        self.movements: list[Movement] = []
        self.coa_history: list[int] = []
        self._coa_listeners: list[Callable[[int | None, int], None]] = []
        self._retry = None
        self._renew = None
        self._pending_beacon: BaseStationBeacon | None = None
        self._route_timer = None
        self.unexpected: dict[tuple[str, str], int] = {}  # (state, event or message) -> count
        self.stale: dict[str, int] = {}  # event -> answers to an old transaction or sequence

    @property
    def movement(self) -> Movement | None:
        return self.movements[-1] if self.movements else None

    def add_coa_listener(self, fn: Callable[[int | None, int], None]) -> None:
        """MIP-LR and SIP subscribe here: called with (old, new) on every care-of change."""
        self._coa_listeners.append(fn)

    # ---- the state machine ------------------------------------------------------------------
    def on_radio(self, new_bs: str, old_bs: str | None) -> None:
        """Step 402: the radio associated with ``new_bs``. With interface monitoring the daemon
        acts at its next poll, on the association the interface shows then."""
        if self.monitor_interval_s <= 0:
            self._dispatch(RADIO, (new_bs, None))
            return
        now = self.env.now()
        self._seen = (new_bs, self._seen[1] if self._seen else now)
        if self._poll is None:
            T, phase = self.monitor_interval_s, self.monitor_phase_s
            k = math.ceil((now - phase) / T - 1e-12)
            self._poll = self.env.call_later(max(0.0, phase + k * T - now), self._polled)

    def _polled(self) -> None:
        self._poll = None
        if self._seen is not None:
            (bs, t_radio), self._seen = self._seen, None
            self._dispatch(RADIO, (bs, t_radio))

    def receive(self, msg: Message, src_ip: int = 0) -> None:
        event = EVENT_OF.get(type(msg))
        if event is None:
            self._unexpected(msg.name)
            return
        if isinstance(msg, DrcpReply) and msg.client_id != self.client_id:
            return  # a broadcast reply to another station of the cell: not an event of ours
        self._dispatch(event, msg)

    def _dispatch(self, event: str, arg: Any) -> None:
        action = TRANSITIONS.get((self.state, event))
        if action is None:
            self._unexpected(event)
        elif action != EXPECTED:
            getattr(self, action)(arg)

    def _unexpected(self, what: str) -> None:
        key = (self.state, what)
        self.unexpected[key] = self.unexpected.get(key, 0) + 1
        self.env.log("mmp_unexpected", f"{what} in state {self.state}")

    def _stale(self, msg: Message) -> None:
        event = EVENT_OF[type(msg)]
        self.stale[event] = self.stale.get(event, 0) + 1

    # ---- step 402 -----------------------------------------------------------------------------
    def _radio(self, arg: tuple[str, float | None]) -> None:
        new_bs, t_radio = arg
        self._cancel_retry()
        self.state = WAIT_BEACON
        now = self.env.now()
        self.movements.append(Movement(now if t_radio is None else t_radio,
                                       t_notice=None if t_radio is None else now,
                                       coa_before=self.coa))
        self.env.log("mmp_wait_beacon", f"after association with {new_bs}")

    # ---- messages -----------------------------------------------------------------------------
    def _beacon_while_attached(self, b: BaseStationBeacon) -> None:
        # Periodic beacons of the current base station. If the domain switched to another
        # gateway ([0045]), address later messages to the new one.
        if (self.bs is not None and b.bs_id == self.bs.bs_id
                and b.domain_id == self.domain_id and b.gateway_ip != self.gateway_ip):
            self.env.log("gateway_changed", f"{ip_str(self.gateway_ip)} -> {ip_str(b.gateway_ip)}")
            self.gateway_ip = b.gateway_ip

    def _beacon_after_move(self, b: BaseStationBeacon) -> None:
        mv = self.movement
        mv.t_beacon = self.env.now()
        if self.domain_id is not None and b.domain_id == self.domain_id and self.coa is not None:
            # Step 408: same domain -> default router and cache hand-off ([0048]).
            old_bs = self.bs
            self.bs = b
            mv.kind = "intra_domain"
            self.env.set_default_router(b.bs_ip)
            self.seq += 1
            semisoft = self.handoff == "semisoft"
            self._send_up(self.gateway_ip, CacheUpdate(self.coa, self.mh_id, self.seq, int(semisoft)))
            mv.t_update = mv.t_done = self.env.now()
            mv.coa_after = self.coa
            self.state = ATTACHED
            if semisoft:
                # [0036]: the host keeps listening to the old base station while the crossover
                # bicasts; after the semi-soft period it listens to the new one and the hard
                # update removes the old entry.
                if old_bs is not None:
                    self.env.listen_to(old_bs.bs_ip)
                self.env.call_later(self.semisoft_period_s, self._semisoft_end, self.seq)
            self.env.log("mmp_cache_handoff", f"{'semisoft' if semisoft else 'hard'} via bs {b.bs_id}")
            self._restart_route_updates()
        else:
            # Step 410: another domain (or the first one) -> wait for the DRCP advertisement.
            self._pending_beacon = b
            self.state = WAIT_ADV

    def _semisoft_end(self, seq: int) -> None:
        if self.state == ATTACHED and seq == self.seq:
            self.env.listen_to(self.bs.bs_ip)
            self.seq += 1
            self._send_up(self.gateway_ip, CacheUpdate(self.coa, self.mh_id, self.seq, 0))
            self.env.log("mmp_semisoft_end", "hard cache update")

    def _advertisement(self, adv: DrcpAdvertisement) -> None:
        mv = self.movement
        mv.t_adv = self.env.now()
        b = self._pending_beacon
        # The advertised sub-network; host bits, if a server sets them, are ignored.
        subnet = ipaddress.IPv4Network((adv.subnet, adv.prefix_len), strict=False)
        self.bs, self.drcp_server = b, adv.server_ip
        self.env.set_default_router(b.bs_ip)
        if self.coa is not None and self.subnet == subnet:
            # Step 414: same sub-network -> register the current care-of address ([0049]).
            mv.kind = "inter_domain"
            self._enter_domain(b)
            self._register()
        else:
            # Step 416: new sub-network -> a new care-of address first ([0050]).
            mv.kind = "inter_subnet" if self.coa is not None else "attach"
            self._enter_domain(b)
            self.subnet = subnet
            self._cancel_renew()
            if self.coa is not None:
                self.env.clear_address()
            self.coa = None
            self.xid += 1
            self.state = WAIT_DRCP
            self._send_drcp_request(0, attempt=0)

    def _enter_domain(self, b: BaseStationBeacon) -> None:
        self.domain_id, self.gateway_ip = b.domain_id, b.gateway_ip

    def _send_drcp_request(self, requested: int, attempt: int) -> None:
        self._send_up(self.drcp_server, DrcpRequest(self.client_id, self.xid, requested))
        if attempt < self.max_retries:
            self._retry = self.env.call_later(self.registration_timeout_s * 2 ** attempt,
                                              self._drcp_timeout, self.xid, attempt + 1)

    def _drcp_timeout(self, xid: int, attempt: int) -> None:
        if self.state == WAIT_DRCP and xid == self.xid:
            self.movement.retries += 1
            self.env.log("drcp_retry", f"attempt {attempt}")
            self._send_drcp_request(0, attempt)

    def _drcp_reply(self, r: DrcpReply) -> None:
        if r.xid != self.xid:
            self._stale(r)
            return
        if r.status != DRCP_OK:
            self.env.log("drcp_refused", f"status {r.status}")
            return  # the retry timer asks again
        self._cancel_retry()
        mv = self.movement
        old = self.coa_history[-1] if self.coa_history else None
        self.coa = r.address
        self.lease_s = r.lease_s
        self.env.configure_address(r.address, r.prefix_len)
        self.env.set_default_router(self.bs.bs_ip)
        mv.t_drcp = self.env.now()
        self.coa_history.append(r.address)
        self.env.log("coa", f"{ip_str(r.address)}/{r.prefix_len} lease {r.lease_s}s")
        self._schedule_renewal()
        self._register()
        for fn in self._coa_listeners:
            fn(old, r.address)

    def _drcp_renewal(self, r: DrcpReply) -> None:
        if r.address == self.coa and r.status == DRCP_OK:
            self.lease_s = r.lease_s  # a renewal
            self._schedule_renewal()
        else:
            self._stale(r)

    def _schedule_renewal(self) -> None:
        self._cancel_renew()
        if self.lease_s:
            self._renew = self.env.call_later(self.lease_s / 2, self._renew_lease)

    def _renew_lease(self) -> None:
        self._renew = None
        if self.coa is not None and self.state == ATTACHED:
            self.xid += 1
            self._send_up(self.drcp_server, DrcpRequest(self.client_id, self.xid, self.coa))
        self._renew = self.env.call_later(self.lease_s / 2, self._renew_lease)

    def _register(self, attempt: int = 0) -> None:
        mv = self.movement
        if attempt == 0:
            self.seq += 1
            mv.t_update = self.env.now()
        self.state = WAIT_ACK
        self._send_up(self.gateway_ip, Registration(self.coa, self.mh_id, self.seq))
        if attempt < self.max_retries:
            self._retry = self.env.call_later(self.registration_timeout_s * 2 ** attempt,
                                              self._registration_timeout, self.seq, attempt + 1)
        else:
            self._retry = None

    def _registration_timeout(self, seq: int, attempt: int) -> None:
        if self.state == WAIT_ACK and seq == self.seq:
            self.movement.retries += 1
            self.env.log("registration_retry", f"attempt {attempt}")
            self._register(attempt)

    def _ack(self, ack: RegistrationAck) -> None:
        if ack.seq != self.seq or ack.coa != self.coa:
            self._stale(ack)
            return
        self._cancel_retry()
        mv = self.movement
        mv.t_done = self.env.now()
        mv.coa_after = self.coa
        self.state = ATTACHED
        self.env.log("registered", f"{ip_str(self.coa)} gw {ip_str(ack.gateway_ip)} domain {ack.domain_id}")
        self._restart_route_updates()

    # ---- soft-state refresh ([0033], [0051]) -----------------------------------------------------
    def _restart_route_updates(self) -> None:
        if self._route_timer is not None:
            self.env.cancel(self._route_timer)
        self._route_timer = self.env.call_later(self.route_update_interval_s, self._route_update_check)

    def _route_update_check(self) -> None:
        self._route_timer = None
        if self.state != ATTACHED or self.coa is None:
            # Nothing to refresh until the host is registered again, which restarts the timer
            # (_restart_route_updates). Checking on meanwhile found the host idle for ever
            # longer and re-armed every millisecond: a thousand Python events per second per
            # host stuck between cells (5.8 million in a 100-host, 300 s run).
            return
        idle = self.env.now() - self.env.last_uplink_tx()
        if idle >= self.route_update_interval_s - 1e-9:
            self.seq += 1
            self._send_up(self.gateway_ip, RouteUpdate(self.coa, self.mh_id, self.seq))
            idle = 0.0
        delay = max(self.route_update_interval_s - idle, 1e-3)
        self._route_timer = self.env.call_later(delay, self._route_update_check)

    # ---- helpers ---------------------------------------------------------------------------------
    def _send_up(self, dst: int, msg: Message) -> None:
        self.env.send_up(dst, msg)

    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self.env.cancel(self._retry)
            self._retry = None

    def _cancel_renew(self) -> None:
        if self._renew is not None:
            self.env.cancel(self._renew)
            self._renew = None
