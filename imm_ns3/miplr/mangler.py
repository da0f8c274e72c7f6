"""Which packets the MIP-LR manglers rewrite ([0059]-[0060], [0064]-[0066], Figure 7).

Only TCP (IP protocol 6) is touched: SIP, RTP and every other UDP packet passes unmodified
([0059], [0074]). These functions decide; the ns-3 packet hook applies the rewrite.
"""

from __future__ import annotations

from typing import Any

from .daemons import PENDING

TCP = 6


def ch_outgoing(proto: int, dst: int, resolve: Any) -> Any:
    """The correspondent's mangler: the new destination of an outgoing packet, None to leave it,
    or PENDING to hold it while the daemon queries a register."""
    if proto != TCP:
        return None
    return resolve(dst)


def mh_outgoing(proto: int, src: int, coa: int, permanent: int) -> int | None:
    """The mobile host's mangler: outgoing TCP from the care-of address leaves with the
    permanent address as source ([0066]). Returns the new source, or None."""
    if proto == TCP and coa and src == coa:
        return permanent
    return None


def mh_incoming(proto: int, dst: int, coa: int, permanent: int) -> int | None:
    """The mobile host's demangler: incoming TCP for the care-of address is handed to the
    applications with the permanent address as destination ([0066]). New destination, or None."""
    if proto == TCP and coa and dst == coa:
        return permanent
    return None


__all__ = ["ch_outgoing", "mh_outgoing", "mh_incoming", "PENDING", "TCP"]
