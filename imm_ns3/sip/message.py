"""SIP messages (RFC 3261): parsing and encoding.

:func:`parse_message` accepts what RFC 3261 section 7.3 allows -- header names in any case and
in compact form, line folding, comma-separated header values, unknown headers and parameters,
leading zeros in integers -- and raises :class:`SipParseError` (a ``ValueError``), and nothing
else, for input that is not a valid SIP message. Encoding is canonical: full header names,
CRLF line ends, a correct Content-Length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

SIP_VERSION = "SIP/2.0"
CRLF = "\r\n"
SIP_PORT = 5060  # RFC 3261 section 18.1: the default port of SIP over UDP and TCP

# RFC 3261 section 7.3.3: compact forms.
COMPACT = {"i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length",
           "c": "Content-Type", "f": "From", "s": "Subject", "k": "Supported", "t": "To",
           "v": "Via"}
_CANONICAL = {n.lower(): n for n in (
    "Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Contact", "Content-Length",
    "Content-Type", "Expires", "Allow", "Supported", "Route", "Record-Route", "User-Agent",
    "Server", "Accept", "Subject", "Content-Encoding", "Min-Expires", "Warning")}
_CANONICAL["call-id"] = "Call-ID"
_CANONICAL["cseq"] = "CSeq"
# Headers whose values may be lists separated by commas (RFC 3261 section 7.3.1).
_LIST_HEADERS = {"Via", "Contact", "Route", "Record-Route", "Allow", "Supported", "Accept",
                 "Content-Encoding"}

_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
# Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 section 7.2): exactly three
# digits, then a space (or the end: an empty reason is tolerated).
_STATUS_LINE = re.compile(r"SIP/2\.0 ([0-9]{3})(?: (.*))?\Z", re.IGNORECASE | re.ASCII | re.DOTALL)
# 1*DIGIT, ASCII only (str.isdigit also takes '²' and other Unicode digits), at most 10 digits.
_DIGITS = re.compile(r"[0-9]{1,10}\Z", re.ASCII)
# Control characters other than HTAB: never in a start line or a header value.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_HEADERS_END = re.compile(rb"\r?\n\r?\n")
# Headers that appear at most once (RFC 3261 section 7.3.1: only list headers may repeat).
_SINGLE = ("Call-ID", "CSeq", "From", "To", "Max-Forwards", "Content-Length", "Content-Type",
           "Expires", "Min-Expires")
MAX_MESSAGE_BYTES = 65535  # one UDP datagram
MAX_HEADERS = 256

REASONS = {100: "Trying", 180: "Ringing", 200: "OK", 302: "Moved Temporarily",
           400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 481: "Call/Transaction Does Not Exist", 486: "Busy Here",
           500: "Server Internal Error", 501: "Not Implemented", 503: "Service Unavailable"}


class SipParseError(ValueError):
    """Not a valid SIP message."""


def parse_digits(value: str, what: str) -> int:
    """A 1*DIGIT field (Content-Length, Max-Forwards, Expires, expires=, CSeq number)."""
    if value is None or not _DIGITS.match(value):
        raise SipParseError(f"bad {what} {str(value)[:20]!r}: 1 to 10 ASCII digits expected")
    return int(value)


def canonical_name(name: str) -> str:
    low = name.strip().lower()
    if len(low) == 1 and low in COMPACT:
        return COMPACT[low]
    if low in _CANONICAL:
        return _CANONICAL[low]
    return "-".join(p[:1].upper() + p[1:] for p in low.split("-"))


def split_list(value: str) -> list[str]:
    """Split a header value on commas outside quotes and <...> (RFC 3261 section 7.3.1)."""
    out, cur, quote, angle, esc = [], [], False, False, False
    for ch in value:
        if esc:
            cur.append(ch)
            esc = False
            continue
        if ch == "\\" and quote:
            esc = True
        elif ch == '"':
            quote = not quote
        elif ch == "<" and not quote:
            angle = True
        elif ch == ">" and not quote:
            angle = False
        elif ch == "," and not quote and not angle:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return [v for v in out if v]


@dataclass(frozen=True)
class Headers:
    """Ordered (canonical name, value) pairs; list headers hold one value per element."""

    items: tuple[tuple[str, str], ...] = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        name = canonical_name(name)
        for n, v in self.items:
            if n == name:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        name = canonical_name(name)
        return [v for n, v in self.items if n == name]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)

    def replace(self, name: str, *values: str) -> "Headers":
        """Set ``name`` to ``values`` (at the place of its first occurrence, or at the end)."""
        name = canonical_name(name)
        out, done = [], False
        for n, v in self.items:
            if n == name:
                if not done:
                    out.extend((name, x) for x in values)
                    done = True
                continue
            out.append((n, v))
        if not done:
            out.extend((name, x) for x in values)
        return Headers(tuple(out))


@dataclass(frozen=True)
class _Message:
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    @property
    def call_id(self) -> str | None:
        return self.headers.get("Call-ID")

    @property
    def cseq(self) -> tuple[int, str]:
        v = self.headers.get("CSeq")
        if v is None:
            raise SipParseError("no CSeq header")
        return parse_cseq(v)

    def _encode(self, start: str) -> bytes:
        # One line per header value, in order (list headers too: RFC 3261 section 7.3.1 makes
        # that equivalent to one comma-separated line), so encode(parse(x)) keeps every order.
        lines = [start]
        lines += [f"{n}: {v}" for n, v in self.headers if n != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return (CRLF.join(lines) + CRLF + CRLF).encode("utf-8") + self.body


@dataclass(frozen=True)
class SipRequest(_Message):
    method: str = "OPTIONS"
    uri: str = "sip:invalid"

    def encode(self) -> bytes:
        return self._encode(f"{self.method} {self.uri} {SIP_VERSION}")


@dataclass(frozen=True)
class SipResponse(_Message):
    status: int = 200
    reason: str = "OK"

    def encode(self) -> bytes:
        return self._encode(f"{SIP_VERSION} {self.status} {self.reason}")


SipMessage = SipRequest | SipResponse


def parse_cseq(value: str) -> tuple[int, str]:
    parts = value.split()
    if len(parts) != 2 or not _DIGITS.match(parts[0]) or not _TOKEN.match(parts[1]):
        raise SipParseError(f"bad CSeq {value[:40]!r}")
    n = int(parts[0])
    if n >= 2**31:
        raise SipParseError(f"CSeq number {n} out of range")
    return n, parts[1].upper() if parts[1].isalpha() else parts[1]


def parse_message(data: bytes) -> SipMessage:
    """Parse one SIP message from a datagram; raises SipParseError and nothing else."""
    try:
        return _parse(data)
    except SipParseError:
        raise
    except Exception as e:  # noqa: BLE001 - the contract: nothing but SipParseError escapes
        raise SipParseError(f"malformed message ({type(e).__name__}: {e})") from None


def _parse(data: bytes) -> SipMessage:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SipParseError("expected bytes")
    data = bytes(data)
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError(f"message of {len(data)} bytes; at most {MAX_MESSAGE_BYTES}")
    # Tolerate leading CRLFs (keep-alives, RFC 3261 section 7.5): one linear strip.
    data = data.lstrip(b"\r\n")
    # The headers end at the first empty line, CRLF or LF-only (7.3.1 tolerance), whichever
    # comes first: a body may hold either.
    end = _HEADERS_END.search(data)
    if end is None:
        raise SipParseError("no empty line after the headers")
    head = data[:end.start()].decode("utf-8")
    body = data[end.end():]
    lines = head.replace("\r\n", "\n").split("\n")
    start = lines[0].strip(" ")
    if _CONTROL.search(start):
        raise SipParseError("control character in the start line")
    status, reason, method, uri = _start_line(start)
    raw: list[list[str]] = []  # each header line with its continuation lines (joined once)
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # line folding (RFC 3261 section 7.3.1)
            if not raw:
                raise SipParseError("continuation line before any header")
            raw[-1].append(line.strip(" \t\r"))
        elif line.strip():
            raw.append([line.rstrip("\r")])
            if len(raw) > MAX_HEADERS:
                raise SipParseError(f"more than {MAX_HEADERS} header lines")
    headers: list[tuple[str, str]] = []
    for parts in raw:
        line = " ".join(parts)
        if ":" not in line:
            raise SipParseError(f"header line without a colon: {line[:40]!r}")
        name, value = line.split(":", 1)
        name = name.strip(" \t")
        if not name or not _TOKEN.match(name):
            raise SipParseError(f"bad header name {name[:40]!r}")
        cname = canonical_name(name)
        value = value.strip(" \t")
        if _CONTROL.search(value):
            raise SipParseError(f"control character in {cname}")
        if cname in _LIST_HEADERS:
            headers.extend((cname, v) for v in split_list(value))
        else:
            headers.append((cname, value))
    hdrs = Headers(tuple(headers))
    for required in ("Via", "From", "To", "Call-ID", "CSeq"):
        if not hdrs.get(required):
            raise SipParseError(f"missing or empty {required} header")
    for single in _SINGLE:
        if len(hdrs.get_all(single)) > 1:
            raise SipParseError(f"{single} header appears more than once")
    for addr in ("From", "To"):
        _check_name_addr(hdrs.get(addr), addr)
    parse_cseq(hdrs.get("CSeq"))
    mf = hdrs.get("Max-Forwards")
    if mf is not None and parse_digits(mf, "Max-Forwards") > 255:
        raise SipParseError(f"bad Max-Forwards {mf!r}: at most 255")
    exp = hdrs.get("Expires")
    if exp is not None:
        parse_digits(exp, "Expires")
    cl = hdrs.get("Content-Length")
    if cl is not None:
        n = parse_digits(cl, "Content-Length")
        if n > len(body):
            raise SipParseError(f"Content-Length {n} but only {len(body)} bytes of body")
        body = body[:n]
    if status is not None:
        return SipResponse(headers=hdrs, body=body, status=status, reason=reason)
    cseq_method = parse_cseq(hdrs.get("CSeq"))[1]
    if cseq_method.upper() != method.upper():
        raise SipParseError(f"CSeq method {cseq_method} does not match {method}")
    return SipRequest(headers=hdrs, body=body, method=method, uri=uri)


def _start_line(start: str) -> tuple[int | None, str, str, str]:
    """(status, reason, method, uri): a Status-Line or a Request-Line (RFC 3261 section 7.1)."""
    m = _STATUS_LINE.match(start)
    if m:
        status = int(m.group(1))
        if not 100 <= status <= 699:
            raise SipParseError(f"bad start line: status code {status} out of range")
        return status, (m.group(2) or "").strip(), "", ""
    if start[:4].upper() == "SIP/":
        raise SipParseError(f"bad start line {start[:60]!r}")
    parts = start.split(" ")
    if len(parts) != 3 or parts[2].upper() != SIP_VERSION:
        raise SipParseError(f"bad start line {start[:60]!r}")
    method, uri = parts[0], parts[1]
    if not _TOKEN.match(method):
        raise SipParseError(f"bad method {method[:20]!r}")
    if ":" not in uri or any(c in uri for c in '<>"') or not uri.split(":", 1)[0].isalpha():
        raise SipParseError(f"bad Request-URI {uri[:60]!r}")
    return None, "", method, uri


def _check_name_addr(value: str, what: str) -> None:
    """From/To/Contact: quotes balanced, <...> closed, a URI with a scheme (RFC 4475 quotbal)."""
    quote = esc = False
    for ch in value:
        if esc:
            esc = False
        elif ch == "\\" and quote:
            esc = True
        elif ch == '"':
            quote = not quote
    if quote:
        raise SipParseError(f"{what}: unbalanced quotes")
    _, uri, _ = name_addr(value)
    if "<" in value and ">" not in value.split("<", 1)[1]:
        raise SipParseError(f"{what}: '<' without '>'")
    if ":" not in uri or not uri.split(":", 1)[0].isalpha():
        raise SipParseError(f"{what}: no URI in {value[:40]!r}")


# ---- responses ---------------------------------------------------------------------------


def response(req: SipRequest, status: int, *, reason: str | None = None,
             extra: tuple[tuple[str, str], ...] = (), to_tag: str | None = "r1",
             body: bytes = b"", content_type: str = "application/sdp") -> bytes:
    """A response to ``req`` (RFC 3261 section 8.2.6): its Vias, From, To (with ``to_tag`` on a
    non-100 response), Call-ID and CSeq, then ``extra`` headers and an optional body."""
    items = [(n, v) for n, v in req.headers if n == "Via"]
    items.append(("From", req.header("From")))
    to = req.header("To")
    if to_tag and "tag=" not in to.lower() and status > 100:
        to = f"{to};tag={to_tag}"
    items += [("To", to), ("Call-ID", req.header("Call-ID")), ("CSeq", req.header("CSeq"))]
    items += list(extra)
    if body:
        items.append(("Content-Type", content_type))
    return SipResponse(headers=Headers(tuple(items)), body=body, status=status,
                       reason=reason or REASONS.get(status, "Unknown")).encode()


_HDR = re.compile(rb"^(via|v|from|f|to|t|call-id|i|cseq)\s*:(.*)$", re.IGNORECASE | re.MULTILINE)


def bad_request(data: bytes) -> bytes | None:
    """``400 Bad Request`` for a malformed request that still names Via, From, To, Call-ID and
    CSeq (enough to be answered); None for anything else, which is dropped."""
    if (len(data) > MAX_MESSAGE_BYTES or not data[:20].split(b" ", 1)[0].isalpha()
            or data.startswith(b"SIP/")):
        return None
    found: dict[str, str] = {}
    vias = []
    for mt in _HDR.finditer(data.replace(b"\r\n", b"\n")):
        try:
            name, value = mt.group(1).decode().lower(), mt.group(2).decode().strip()
        except UnicodeDecodeError:
            continue
        key = {"v": "via", "f": "from", "t": "to", "i": "call-id"}.get(name, name)
        if key == "via":
            vias.append(value)
        found.setdefault(key, value)
    if not vias or not all(found.get(k) for k in ("from", "to", "call-id", "cseq")):
        return None
    if any(_CONTROL.search(v) for v in [*vias, *found.values()]):
        return None  # nothing with control characters is echoed back
    items = [("Via", v) for v in vias] + [("From", found["from"]), ("To", found["to"]),
                                          ("Call-ID", found["call-id"]), ("CSeq", found["cseq"])]
    return SipResponse(headers=Headers(tuple(items)), status=400, reason="Bad Request").encode()


# ---- header values -------------------------------------------------------------------------


def params(value: str) -> tuple[str, dict[str, str]]:
    """Split 'main;a=1;b' into ('main', {'a': '1', 'b': ''}); parameter names lower-cased."""
    parts = [p.strip() for p in value.split(";")]
    out: dict[str, str] = {}
    for p in parts[1:]:
        if not p:
            continue
        k, _, v = p.partition("=")
        out[k.strip().lower()] = v.strip().strip('"')
    return parts[0], out


def name_addr(value: str) -> tuple[str, str, dict[str, str]]:
    """(display name, URI, header parameters) of a From/To/Contact value."""
    value = value.strip()
    if "<" in value:
        display, _, rest = value.partition("<")
        uri, _, tail = rest.partition(">")
        _, ps = params("x" + tail)
        return display.strip().strip('"'), uri.strip(), ps
    uri, ps = params(value)
    return "", uri, ps


def uri_host_port(uri: str) -> tuple[str, int]:
    """Host and port of a sip: URI ('sip:mh1@10.1.0.4:5060;transport=udp')."""
    u = uri.split(";", 1)[0]
    if ":" not in u:
        raise SipParseError(f"bad URI {uri!r}")
    u = u.split(":", 1)[1]
    u = u.split("@", 1)[-1]
    host, _, port = u.partition(":")
    n = parse_digits(port, "port") if port else SIP_PORT
    if not host or not 0 < n <= 65535:
        raise SipParseError(f"bad URI {uri[:60]!r}")
    return host, n


def aor(uri: str) -> str:
    """The address of record of a URI: 'sip:user@host', no port or parameters."""
    u = uri.split(";", 1)[0].split("?", 1)[0]
    scheme, _, rest = u.partition(":")
    user, at, host = rest.rpartition("@")
    host = host.split(":", 1)[0].lower()
    return f"{scheme.lower()}:{user}@{host}" if at else f"{scheme.lower()}:{host}"
