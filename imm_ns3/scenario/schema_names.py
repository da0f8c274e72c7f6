"""Names in scenarios: what a table's key or a SIP domain may be."""

from __future__ import annotations

import re

from .errors import shown

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # names become file names (pcap, results)
_NAME_RE = re.compile(NAME_PATTERN)
# A host name of RFC 3261 (hostname): dot-separated labels of letters, digits and inner hyphens.
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                          r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def check_name(v: str, what: str = "a name") -> str:
    if not isinstance(v, str) or not _NAME_RE.match(v):
        raise ValueError(f"{what} of letters, digits, '.', '_' and '-' (starting with a letter or"
                         f" digit, at most 64 characters), got {shown(v)}")
    return v
