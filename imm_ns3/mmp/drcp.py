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

import ipaddress
from dataclasses import dataclass
from typing import Any

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
    def __init__(self, name: str, env: Any, *, server_ip: int, subnet: ipaddress.IPv4Network,
                 pool: list[int], gateways: list[int], lease_s: int,
                 advertisement_interval_s: float):
        self.name, self.env = name, env
        self.server_ip = server_ip
        self.subnet = subnet
        self.pool = sorted(pool)
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
            if self.by_client.get(lease.client_id) == addr:
                del self.by_client[lease.client_id]
            self.env.log("drcp_lease_expired", f"{ip_str(addr)} client {lease.client_id:012x}")

    def _free_address(self, requested: int) -> int | None:
        if requested in self.pool and requested not in self.leases:
            return requested
        for a in self.pool:
            if a not in self.leases:
                return a
        return None

    def receive(self, msg: Message, iface: int = 0, src_ip: int = 0) -> None:
        if not isinstance(msg, DrcpRequest):
            return
        now = self.env.now()
        self._expire(now)
        addr = self.by_client.get(msg.client_id)
        renewal = addr is not None and msg.requested_ip == addr
        if addr is None:
            if msg.requested_ip and msg.requested_ip not in self.pool:
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
