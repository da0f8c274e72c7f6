"""HTTP digest authentication for SIP (RFC 3261 section 22, RFC 7616 with SHA-256), pure.

The registrar challenges a REGISTER with ``401`` and a ``WWW-Authenticate`` header; the agent
answers with an ``Authorization`` header whose ``response`` is

    SHA-256( SHA-256(username:realm:password) : nonce : nc : cnonce : auth : SHA-256(method:uri) )

Nonces are stateless: ``<issued at>.<HMAC of it under the registrar's secret>``, valid for
``ttl_s``; the registrar remembers the highest ``nc`` used with each live nonce, so a captured
``Authorization`` cannot be replayed. An agent keeps the last challenge and authenticates its
next REGISTERs at once with it (``nc`` + 1): only the first REGISTER, and the first after a
nonce goes stale, costs the extra round trip.
"""

from __future__ import annotations

import hashlib
import hmac
import re

ALGORITHM = "SHA-256"
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


def _h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def parse_params(value: str) -> dict[str, str]:
    """The parameters of a 'Digest a=b, c="d"' header value (names lower-cased); {} if it is
    not a Digest header."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    out = {}
    for m in _PARAM.finditer(rest):
        v = m.group(2)
        out[m.group(1).lower()] = v[1:-1] if v.startswith('"') and v.endswith('"') else v
    return out


def response(username: str, realm: str, password: str, method: str, uri: str, nonce: str,
             nc: str, cnonce: str, qop: str = "auth") -> str:
    ha1 = _h(f"{username}:{realm}:{password}")
    ha2 = _h(f"{method}:{uri}")
    return _h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def authorization(username: str, realm: str, password: str, method: str, uri: str, nonce: str,
                  nc: int, cnonce: str) -> str:
    """The Authorization header value for a request."""
    ncs = f"{nc:08x}"
    r = response(username, realm, password, method, uri, nonce, ncs, cnonce)
    return (f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}",'
            f' response="{r}", algorithm={ALGORITHM}, qop=auth, nc={ncs}, cnonce="{cnonce}"')


class NonceIssuer:
    """Stateless nonces of one registrar and the replay record of their ``nc`` values."""

    def __init__(self, secret: bytes, ttl_s: float = 300.0):
        self.secret, self.ttl_s = secret, ttl_s
        self._last_nc: dict[str, int] = {}

    def issue(self, now: float) -> str:
        t = f"{now:.6f}"
        return f"{t}.{hmac.new(self.secret, t.encode(), hashlib.sha256).hexdigest()[:32]}"

    def fresh(self, nonce: str, now: float) -> bool | None:
        """True: ours and live; False: ours but expired (stale); None: not ours."""
        t, _, mac = nonce.rpartition(".")
        want = hmac.new(self.secret, t.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(want, mac):
            return None
        try:
            issued = float(t)
        except ValueError:
            return None
        return 0 <= now - issued < self.ttl_s

    def use(self, nonce: str, nc: int, now: float) -> bool:
        """Record ``nc`` for ``nonce``; False if it is not newer than one already used."""
        if nc <= self._last_nc.get(nonce, 0):
            return False
        self._last_nc[nonce] = nc
        if len(self._last_nc) > 10_000:  # forget expired nonces
            for k in [k for k in self._last_nc if not self.fresh(k, now)]:
                del self._last_nc[k]
        return True

    def challenge(self, realm: str, now: float, stale: bool = False) -> str:
        return (f'Digest realm="{realm}", nonce="{self.issue(now)}", algorithm={ALGORITHM},'
                f' qop="auth"' + (", stale=true" if stale else ""))
