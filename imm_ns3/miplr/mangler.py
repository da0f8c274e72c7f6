"""Which packets the MIP-LR manglers rewrite ([0059]-[0060], [0064]-[0066], Figure 7).

These functions are the decision; ``imm::MipHook`` (``adapter/mip_hook.h``) applies the same rules
on the ns-3 packet path. Captured: every TCP packet (IP protocol 6), and UDP only to or from a
port the policy hands to MIP-LR (the RTP ports when ``macro_mobility.realtime = "miplr"``). With
the integrated policy that list is empty: SIP, RTP and every other UDP packet passes unmodified
([0059], [0074]).
"""

from __future__ import annotations

from typing import Any, Iterable

from .daemons import PENDING

TCP = 6
UDP = 17


def captured(proto: int, sport: int = 0, dport: int = 0, udp_ports: Iterable[int] = ()) -> bool:
    """Is this packet the manglers' business?"""
    if proto == TCP:
        return True
    ports = set(udp_ports)
    return proto == UDP and bool(ports) and (sport in ports or dport in ports)


def ch_outgoing(proto: int, dst: int, resolve: Any, *, sport: int = 0, dport: int = 0,
                udp_ports: Iterable[int] = ()) -> Any:
    """The correspondent's mangler: the new destination of an outgoing packet, None to leave it,
    or PENDING to hold it while the daemon queries a register."""
    if not captured(proto, sport, dport, udp_ports):
        return None
    return resolve(dst)


def mh_outgoing(proto: int, src: int, coa: int, permanent: int, *, sport: int = 0,
                dport: int = 0, udp_ports: Iterable[int] = ()) -> int | None:
    """The mobile host's mangler: captured packets leaving from the care-of address (or from no
    address, between two care-of addresses) carry the permanent address as source ([0065]).
    Returns the new source, or None."""
    if captured(proto, sport, dport, udp_ports) and (src == coa or src == 0):
        return permanent
    return None


def mh_incoming(proto: int, dst: int, coa: int, permanent: int, *, sport: int = 0,
                dport: int = 0, udp_ports: Iterable[int] = ()) -> int | None:
    """The mobile host's demangler: captured packets for the care-of address are handed to the
    applications with the permanent address as destination ([0065]). New destination, or None."""
    if captured(proto, sport, dport, udp_ports) and coa and dst == coa:
        return permanent
    return None


__all__ = ["captured", "ch_outgoing", "mh_outgoing", "mh_incoming", "PENDING", "TCP", "UDP"]
