"""MMP and DRCP messages: frozen dataclasses with a binary wire format (codec: imm_ns3/wire.py).

Every message starts with a two-byte header::

    0        1        2
    +--------+--------+---------------- body (fixed layout per type, network byte order)
    | version|  type  |
    +--------+--------+

``version`` is 1. Addresses are IPv4 addresses as unsigned 32-bit integers, times are
nanoseconds of simulated time. Each class lists its body in ``_FIELDS`` as (name, struct code);
the layout tables in docs/mmp.md are generated from the same lists. :func:`decode` never raises
anything but :class:`MessageError`, whose ``fault`` names the kind of damage ("truncated",
"bad_version", "unknown_type", "bad_length", "bad_value"), so nodes can count faults by kind.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

# UDP ports.
MMP_PORT = 4343  # gateway-beacons, cache messages, base-station beacons
DRCP_SERVER_PORT = 4344
DRCP_CLIENT_PORT = 4345

from ..wire import (  # noqa: F401 - the shared codec, re-exported for the MMP/DRCP modules
    VERSION,
    Message,
    MessageError,
    decode,
    ip_int,
    ip_str,
)


# ---------------------------------------------------------------------------------------------
# MMP ([0030]-[0036], [0037]-[0045], [0047]-[0053])
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayBeacon(Message):
    """Broadcast by a gateway on its down-links and re-broadcast down the tree ([0030], [0037],
    [0042]): gateway IP, domain ID, sequence number, timestamp, optional paging ID (0 = none)."""

    TYPE: ClassVar[int] = 1
    _FIELDS: ClassVar = (("gateway_ip", "I"), ("domain_id", "I"), ("seq", "I"),
                         ("timestamp_ns", "Q"), ("paging_id", "H"))
    gateway_ip: int
    domain_id: int
    seq: int
    timestamp_ns: int
    paging_id: int = 0


@dataclass(frozen=True)
class BaseStationBeacon(Message):
    """Broadcast by a base station on its wireless interface ([0047]): base station ID and
    address, and the gateway IP and domain ID learnt from the gateway-beacon."""

    TYPE: ClassVar[int] = 2
    _FIELDS: ClassVar = (("bs_id", "I"), ("bs_ip", "I"), ("gateway_ip", "I"),
                         ("domain_id", "I"), ("paging_id", "H"))
    bs_id: int
    bs_ip: int
    gateway_ip: int
    domain_id: int
    paging_id: int = 0


# Kinds of up-link message from a mobile host, all addressed to the gateway with the care-of
# address as source; each hop records the down-link it came from ([0031], [0033]-[0036]).
@dataclass(frozen=True)
class Registration(Message):
    """Registration with a domain ([0031], [0049], [0050])."""

    TYPE: ClassVar[int] = 3
    _FIELDS: ClassVar = (("coa", "I"), ("mh_id", "I"), ("seq", "I"))
    coa: int
    mh_id: int  # the mobile host's permanent address
    seq: int


@dataclass(frozen=True)
class CacheUpdate(Message):
    """Cache hand-off after a move between base stations of one domain ([0034]-[0036])."""

    TYPE: ClassVar[int] = 4
    _FIELDS: ClassVar = (("coa", "I"), ("mh_id", "I"), ("seq", "I"), ("semisoft", "B"))
    coa: int
    mh_id: int
    seq: int
    semisoft: int  # 1: semi-soft (add a second entry), 0: hard (replace)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.semisoft not in (0, 1):
            raise ValueError(f"CacheUpdate.semisoft: must be 0 or 1, got {self.semisoft}")


@dataclass(frozen=True)
class RouteUpdate(Message):
    """Refresh of the soft-state caches by an idle mobile host ([0033], [0051])."""

    TYPE: ClassVar[int] = 5
    _FIELDS: ClassVar = (("coa", "I"), ("mh_id", "I"), ("seq", "I"))
    coa: int
    mh_id: int
    seq: int


@dataclass(frozen=True)
class RegistrationAck(Message):
    """The gateway's acknowledgement of a registration ([0050])."""

    TYPE: ClassVar[int] = 6
    _FIELDS: ClassVar = (("coa", "I"), ("seq", "I"), ("gateway_ip", "I"), ("domain_id", "I"))
    coa: int
    seq: int
    gateway_ip: int
    domain_id: int


@dataclass(frozen=True)
class HostRoute(Message):
    """Gateway -> border router: reach this care-of address through me (withdraw = 0), or no
    longer (withdraw = 1). Stands for the OSPF/RIP exchange of [0031] and [0045]."""

    TYPE: ClassVar[int] = 7
    _FIELDS: ClassVar = (("host", "I"), ("gateway_ip", "I"), ("seq", "I"), ("withdraw", "B"))
    host: int
    gateway_ip: int
    seq: int
    withdraw: int = 0


# ---------------------------------------------------------------------------------------------
# DRCP ([0029], [0049]-[0050])
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrcpAdvertisement(Message):
    """Periodic broadcast of a sub-network's DRCP server, relayed down every domain to the
    base stations' wireless interfaces ([0029])."""

    TYPE: ClassVar[int] = 16
    _FIELDS: ClassVar = (("server_ip", "I"), ("subnet", "I"), ("prefix_len", "B"),
                         ("seq", "I"))
    server_ip: int
    subnet: int
    prefix_len: int
    seq: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.prefix_len <= 32:
            raise ValueError(f"DrcpAdvertisement.prefix_len: must be 0..32, got {self.prefix_len}")


@dataclass(frozen=True)
class DrcpRequest(Message):
    """Mobile host -> DRCP server: an address (requested_ip 0) or a lease renewal."""

    TYPE: ClassVar[int] = 17
    _FIELDS: ClassVar = (("client_id", "Q"), ("xid", "I"), ("requested_ip", "I"))
    client_id: int  # the station's MAC address
    xid: int
    requested_ip: int = 0


DRCP_OK = 0
DRCP_EXHAUSTED = 1
DRCP_NOT_OURS = 2


@dataclass(frozen=True)
class DrcpReply(Message):
    """DRCP server -> mobile host, flooded down the sub-network's domains and matched by
    client_id and xid (the host has no usable address yet)."""

    TYPE: ClassVar[int] = 18
    _FIELDS: ClassVar = (("client_id", "Q"), ("xid", "I"), ("status", "B"),
                         ("address", "I"), ("prefix_len", "B"), ("lease_s", "I"),
                         ("server_ip", "I"))
    client_id: int
    xid: int
    status: int
    address: int
    prefix_len: int
    lease_s: int
    server_ip: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.prefix_len <= 32:
            raise ValueError(f"DrcpReply.prefix_len: must be 0..32, got {self.prefix_len}")


MMP_MESSAGES = (GatewayBeacon, BaseStationBeacon, Registration, CacheUpdate, RouteUpdate,
                RegistrationAck, HostRoute)
DRCP_MESSAGES = (DrcpAdvertisement, DrcpRequest, DrcpReply)
ALL_MESSAGES = MMP_MESSAGES + DRCP_MESSAGES


def layout_table() -> str:
    """Markdown table of every message's wire layout (for docs/mmp.md)."""
    sizes = {"B": 1, "H": 2, "I": 4, "Q": 8}
    rows = ["| type | message | body (field:bytes) | total bytes |", "|---|---|---|---|"]
    for cls in ALL_MESSAGES:
        body = ", ".join(f"`{n}`:{sizes[c]}" for n, c in cls._FIELDS)
        rows.append(f"| {cls.TYPE} | `{cls.__name__}` | {body} | {2 + cls._STRUCT.size} |")
    return "\n".join(rows)


__all__ = [c.__name__ for c in ALL_MESSAGES] + [
    "Message", "MessageError", "decode", "ip_str", "ip_int", "layout_table", "MMP_PORT",
    "DRCP_SERVER_PORT", "DRCP_CLIENT_PORT", "DRCP_OK", "DRCP_EXHAUSTED", "DRCP_NOT_OURS", "fields",
]
