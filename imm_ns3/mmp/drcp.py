"""DRCP: the per-sub-network server that hands out care-of addresses ([0029], [0049]-[0050]).

Sans-I/O like the MMP nodes. The server advertises itself periodically to the gateways of its
sub-network, which relay the advertisement down to every base station's wireless side. A
mobile host that hears an advertisement for a sub-network it has no address in asks for one;
the reply is flooded down the same way (the host has no usable address yet) and the host picks
it up by its client id and transaction id. A renewal from an address the host already holds is
answered directly.

Leases: an address is the client's until ``lease_s`` after its last request; the host renews at
half-life while it stays. Expired leases return their address to the pool (lowest free address
first, so freed addresses are reused). An exhausted pool is answered with status EXHAUSTED and
logged, never a crash.
"""

from __future__ import annotations

import heapq
import ipaddress
from dataclasses import dataclass


from ..env import DrcpServerEnv
from .messages import (
    DRCP_EXHAUSTED,
    DRCP_NOT_OURS,
    DRCP_OK,
    DrcpAdvertisement,
    DrcpReply,
    DrcpRequest,
    Message,
    ip_str,
)


@dataclass
class Lease:
    client_id: int
    address: int
    expires: float


class DrcpServer:
    def __init__(self, name: str, env: DrcpServerEnv, *, server_ip: int, subnet: ipaddress.IPv4Network,
                 pool: "AddressPool", gateways: list[int], lease_s: int,
                 advertisement_interval_s: float):
        self.name, self.env = name, env
        self.server_ip = server_ip
        self.subnet = subnet
        self.pool = pool
        self.gateways = list(gateways)
        self.lease_s = lease_s
        self.advertisement_interval_s = advertisement_interval_s
        self.leases: dict[int, Lease] = {}  # address -> lease
        self.by_client: dict[int, int] = {}  # client_id -> address
        self.seq = 0
        self.exhausted = 0

    def start(self) -> None:
        self.env.call_later(self.env.rand() * self.advertisement_interval_s, self._advertise)

    def _advertise(self) -> None:
        self.seq += 1
        adv = DrcpAdvertisement(self.server_ip, int(self.subnet.network_address),
                                self.subnet.prefixlen, self.seq)
        for gw in self.gateways:
            self.env.send_to(gw, adv)
        self.env.call_later(self.advertisement_interval_s, self._advertise)

    def _expire(self, now: float) -> None:
        for addr in [a for a, lease in self.leases.items() if lease.expires <= now]:
            lease = self.leases.pop(addr)
            self.pool.release(addr)
            if self.by_client.get(lease.client_id) == addr:
                del self.by_client[lease.client_id]
            self.env.log("drcp_lease_expired", f"{ip_str(addr)} client {lease.client_id:012x}")

    def _free_address(self, requested: int) -> int | None:
        return self.pool.take(requested)

    def receive(self, msg: Message, iface: int = 0, src_ip: int = 0) -> None:
        if not isinstance(msg, DrcpRequest):
            return
        now = self.env.now()
        self._expire(now)
        addr = self.by_client.get(msg.client_id)
        renewal = addr is not None and msg.requested_ip == addr
        if addr is None:
            if msg.requested_ip and not self.pool.contains(msg.requested_ip):
                # A renewal of an address from another sub-network: not ours to give.
                reply = DrcpReply(msg.client_id, msg.xid, DRCP_NOT_OURS, 0,
                                  self.subnet.prefixlen, 0, self.server_ip)
                self._answer(reply, src_ip, direct=False)
                return
            addr = self._free_address(msg.requested_ip)
        if addr is None:
            self.exhausted += 1
            self.env.log("drcp_pool_exhausted", f"client {msg.client_id:012x}")
            reply = DrcpReply(msg.client_id, msg.xid, DRCP_EXHAUSTED, 0, self.subnet.prefixlen,
                              0, self.server_ip)
            self._answer(reply, src_ip, direct=False)
            return
        self.leases[addr] = Lease(msg.client_id, addr, now + self.lease_s)
        self.by_client[msg.client_id] = addr
        self.env.log("drcp_renew" if renewal else "drcp_assign",
                     f"{ip_str(addr)} client {msg.client_id:012x}")
        reply = DrcpReply(msg.client_id, msg.xid, DRCP_OK, addr, self.subnet.prefixlen,
                          self.lease_s, self.server_ip)
        self._answer(reply, src_ip, direct=renewal and src_ip == addr)

    def _answer(self, reply: DrcpReply, src_ip: int, direct: bool) -> None:
        if direct:
            self.env.send_to(src_ip, reply)
        else:
            for gw in self.gateways:
                self.env.send_to(gw, reply)


class AddressPool:
    """The care-of addresses of a sub-network: a range less some excluded addresses.

    Hands out the lowest free address, so freed addresses are reused first. O(log n) per
    operation without listing the range (a /16 holds 65,000 addresses).
    """

    def __init__(self, first: int, last: int, excluded: set[int] | frozenset[int] = frozenset()):
        if last < first:
            raise ValueError("empty address pool")
        self.first, self.last = first, last
        self.excluded = set(excluded)
        self._next = first  # every address below this has been handed out at least once
        self._freed: list[int] = []  # heap of released addresses below _next
        self._taken: set[int] = set()

    def contains(self, addr: int) -> bool:
        return self.first <= addr <= self.last and addr not in self.excluded

    def take(self, requested: int = 0) -> int | None:
        if requested and self.contains(requested) and requested not in self._taken:
            if requested >= self._next:
                # Addresses skipped over stay available: remember them as freed.
                for a in range(self._next, min(requested, self._next + 1024)):
                    if self.contains(a):
                        heapq.heappush(self._freed, a)
                self._next = max(self._next, requested + 1)
            else:
                try:
                    self._freed.remove(requested)
                    heapq.heapify(self._freed)
                except ValueError:
                    pass
            self._taken.add(requested)
            return requested
        while self._freed:
            a = heapq.heappop(self._freed)
            if a not in self._taken:
                self._taken.add(a)
                return a
        while self._next <= self.last:
            a = self._next
            self._next += 1
            if a not in self.excluded and a not in self._taken:
                self._taken.add(a)
                return a
        return None

    def release(self, addr: int) -> None:
        if addr in self._taken:
            self._taken.discard(addr)
            heapq.heappush(self._freed, addr)

    def __len__(self) -> int:
        size = self.last - self.first + 1
        return size - sum(1 for a in self.excluded if self.first <= a <= self.last)
