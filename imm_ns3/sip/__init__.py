"""SIP mobility ([0071]-[0077]): RFC 3261 messages, SDP, the registrar/redirect server.

Public API: :func:`parse_message` returns a :class:`SipRequest` or :class:`SipResponse`, or
raises :class:`SipParseError` (a ``ValueError``) for input that is not a valid SIP message.
"""

from .message import (
    SIP_PORT,
    Headers,
    SipMessage,
    SipParseError,
    SipRequest,
    SipResponse,
    aor,
    canonical_name,
    name_addr,
    params,
    parse_message,
    split_list,
    uri_host_port,
)
from .registrar import Registrar
from .sdp import AudioSession, parse_sdp

__all__ = ["SIP_PORT", "parse_message", "SipParseError", "SipRequest", "SipResponse", "SipMessage",
           "Headers", "Registrar", "AudioSession", "parse_sdp", "aor", "name_addr", "params",
           "canonical_name", "split_list", "uri_host_port"]
