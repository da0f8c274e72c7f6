"""Statistics for the experiments' figures: pure numpy, deterministic and independent of the
order of the values, so a figure redrawn from the same stored results is the same figure.

- :func:`mean_ci`: mean with a Student-t interval, for roughly symmetric data (a count per
  run summed over many packets);
- :func:`median_ci`: median with its distribution-free interval between two order statistics,
  for skewed or bimodal data (handoff latencies are a sum of uniform waits plus rare retries and
  back-offs): exact for any continuous distribution, no resampling;
- :func:`wilson`: a proportion with its Wilson score interval;
- :func:`mann_whitney`: the two-sided rank-sum test an ordering claim quotes (no normality
  assumed; normal approximation with tie correction, which needs about 8+ samples a side).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# Student's t, 97.5 % quantile, by degrees of freedom (a normal 1.96 beyond 30).
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def clean(values) -> np.ndarray:
    """Finite floats of ``values`` (None, NaN and non-numbers dropped)."""
    out = []
    for v in np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=object).ravel():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return np.asarray(out, dtype=float)


def mean_ci(values) -> tuple[float, float, int]:
    """Mean, half-width of its 95 % Student-t confidence interval, and n (NaN half-width below
    two samples)."""
    x = clean(values)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(x[0]), math.nan, 1
    t = _T975[n - 2] if n - 2 < len(_T975) else 1.96
    return float(x.mean()), float(t * x.std(ddof=1) / math.sqrt(n)), n


@dataclass(frozen=True)
class MedianCI:
    median: float
    lo: float
    hi: float
    n: int


def median_ranks(n: int, level: float = 0.95) -> tuple[int, int] | None:
    """1-based ranks (j, k) of the order statistics that bound the median of n samples with
    confidence at least ``level``, or None when even (1, n) does not reach it (n < 6 at 95 %).

    For continuous data, P(x_(j) <= median < x_(k)) = P(j <= B <= k - 1) with B ~ Binomial(n,
    1/2), whatever the distribution; j is the largest rank with 1 - 2 P(B <= j - 1) >= level and
    k = n + 1 - j (the symmetric interval). The same interval as the tables in performance
    evaluation texts (e.g. n = 30: ranks 10 and 21; n = 60: 22 and 39)."""
    if n < 1:
        return None
    alpha = 1 - level
    if n <= 1000:
        total = 2 ** n
        tail, j = 0, 0  # tail = P(B <= j - 1) * 2**n
        while True:
            nxt = tail + math.comb(n, j)
            if 2 * nxt > alpha * total:
                break
            tail, j = nxt, j + 1
        if j == 0:
            return None
        return j, n + 1 - j
    z = NormalDist().inv_cdf(1 - alpha / 2)
    j = int(math.floor(0.5 * n - z * math.sqrt(n) / 2))
    return j, n + 1 - j


def median_ci(values, level: float = 0.95) -> MedianCI:
    """Median and its distribution-free confidence interval: the order statistics of
    :func:`median_ranks` (coverage at least ``level`` for continuous data; NaN bounds when the
    sample is too small for one, below 6 values at 95 %). A function of the sample alone: the
    order the values arrive in does not matter."""
    if not 0 < level < 1:
        raise ValueError(f"level: between 0 and 1 exclusive, got {level!r}")
    x = np.sort(clean(values))
    n = len(x)
    if n == 0:
        return MedianCI(math.nan, math.nan, math.nan, 0)
    med = float(np.median(x))
    ranks = median_ranks(n, level)
    if ranks is None:
        return MedianCI(med, math.nan, math.nan, n)
    j, k = ranks
    return MedianCI(med, float(x[j - 1]), float(x[k - 1]), n)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95 % interval (z = 1.96) of a proportion k / n: sensible near 0 and 1, where
    the normal interval is not (NaN bounds for n = 0)."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


@dataclass(frozen=True)
class RankTest:
    u: float  # Mann-Whitney U of the first sample
    z: float  # standardised, with continuity and tie correction
    p: float  # two-sided
    n1: int
    n2: int
    effect: float  # P(X > Y) + P(X = Y) / 2: 0.5 = no ordering

    def text(self, a: str = "x", b: str = "y") -> str:
        return (f"Mann-Whitney {a} vs {b}: U = {self.u:g}, z = {self.z:.2f}, p = {self.p:.2g},"
                f" P({a} > {b}) = {self.effect:.2f}, n = {self.n1}/{self.n2}")


def mann_whitney(x, y) -> RankTest:
    """Two-sided Mann-Whitney U test of x against y (normal approximation, ties averaged)."""
    a, b = clean(x), clean(y)
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return RankTest(math.nan, math.nan, math.nan, n1, n2, math.nan)
    both = np.concatenate([a, b])
    order = np.argsort(both, kind="mergesort")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    i = 0
    tie_term = 0.0
    while i < len(both):
        j = i
        while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        t = j - i + 1
        tie_term += t ** 3 - t
        i = j + 1
    u = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    mu = n1 * n2 / 2
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:
        return RankTest(u, 0.0, 1.0, n1, n2, u / (n1 * n2))
    z = (abs(u - mu) - 0.5) / math.sqrt(var)
    z = max(z, 0.0) * (1 if u >= mu else -1)
    p = math.erfc(abs(z) / math.sqrt(2))
    return RankTest(u, z, min(1.0, p), n1, n2, u / (n1 * n2))


def ecdf(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and their empirical cumulative probabilities (for step plots)."""
    x = np.sort(clean(values))
    return x, np.arange(1, len(x) + 1) / max(1, len(x))
