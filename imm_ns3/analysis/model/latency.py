"""A latency made of fixed delays, uniform waits and first-of-k periodic events, with its
whole distribution (a convolution of uniforms)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace


# ---- a latency made of fixed delays and uniform waits ------------------------------------------
@dataclass(frozen=True)
class Latency:
    """``fixed_s`` plus the sum of independent waits uniform on [0, w] for w in ``uniform_s``,
    plus, for (w, k) in ``first_of_s``, the wait for the first of k independent periodic events
    of period w, each uniformly phased (the minimum of k uniforms on [0, w]). ``parts`` names
    each contribution (for tables and stacked bars)."""

    fixed_s: float = 0.0
    uniform_s: tuple[float, ...] = ()
    parts: tuple[tuple[str, float], ...] = field(default=())  # (name, mean contribution)
    first_of_s: tuple[tuple[float, int], ...] = ()

    def __add__(self, other: "Latency") -> "Latency":
        return Latency(self.fixed_s + other.fixed_s, self.uniform_s + other.uniform_s,
                       self.parts + other.parts, self.first_of_s + other.first_of_s)

    @property
    def mean(self) -> float:
        return (self.fixed_s + sum(self.uniform_s) / 2
                + sum(w / (k + 1) for w, k in self.first_of_s))

    @property
    def std(self) -> float:
        # var of the minimum of k uniforms on [0, w]: k w^2 / ((k + 1)^2 (k + 2))
        return math.sqrt(sum(w * w / 12 for w in self.uniform_s)
                         + sum(k * w * w / ((k + 1) ** 2 * (k + 2)) for w, k in self.first_of_s))

    @property
    def max(self) -> float:
        return self.fixed_s + sum(self.uniform_s) + sum(w for w, _ in self.first_of_s)

    def cdf(self, t: float) -> float:
        """P(latency <= t): the Irwin-Hall-type closed form of a sum of uniforms of unequal
        widths (inclusion-exclusion over the corners of the box); a first-of term is integrated
        numerically against it (its density k (1 - m/w)^(k-1) / w on [0, w], Simpson's rule)."""
        if self.first_of_s:
            (w, k), rest = self.first_of_s[0], replace(self, first_of_s=self.first_of_s[1:])
            if w <= 0:
                return rest.cdf(t)
            n = 400  # even: Simpson
            h = w / n
            total = 0.0
            for i in range(n + 1):
                m = i * h
                c = 1 if i in (0, n) else (4 if i % 2 else 2)
                total += c * k * (1 - m / w) ** (k - 1) / w * rest.cdf(t - m)
            return min(1.0, max(0.0, total * h / 3))
        x = t - self.fixed_s
        ws = [w for w in self.uniform_s if w > 0]
        if not ws:
            return 1.0 if x >= 0 else 0.0
        if x <= 0:
            return 0.0
        if x >= sum(ws):
            return 1.0
        n = len(ws)
        total = 0.0
        for mask in range(1 << n):
            s = sum(ws[i] for i in range(n) if mask >> i & 1)
            if x > s:
                sign = -1.0 if bin(mask).count("1") % 2 else 1.0
                total += sign * (x - s) ** n
        return min(1.0, max(0.0, total / (math.factorial(n) * math.prod(ws))))

    def quantile(self, q: float) -> float:
        if not 0 <= q <= 1:
            raise ValueError(f"q: between 0 and 1, got {q!r}")
        lo, hi = self.fixed_s, self.max
        if hi <= lo:
            return lo
        for _ in range(60):
            mid = (lo + hi) / 2
            if self.cdf(mid) < q:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    @property
    def median(self) -> float:
        return self.quantile(0.5)


def fixed(name: str, s: float) -> Latency:
    return Latency(s, (), ((name, s),))


def uniform(name: str, width_s: float) -> Latency:
    return Latency(0.0, (width_s,), ((name, width_s / 2),))


def first_of(name: str, period_s: float, k: int) -> Latency:
    """The wait for the first of ``k`` independent periodic events of period ``period_s``, each
    with a uniform phase: e.g. a node that re-checks a deadline both on its own timer and on
    every beacon of another gateway notices it at whichever comes first (mean period / (k + 1))."""
    if k < 1:
        raise ValueError(f"k: at least 1, got {k!r}")
    return Latency(0.0, (), ((name, period_s / (k + 1)),), ((period_s, k),))
