"""What the experiments' figure modules share (``experiments/e1.py`` ... ``e9.py``).

Each experiment module takes the :class:`imm_ns3.results.SweepResults` of its sweep (from
:func:`imm_ns3.analysis.load`) and exports its frames and summaries (DataFrames, which the
notebooks show), ``draw(res)`` (a matplotlib Figure) and ``check(res)`` (its rows of
``results/model-check.csv``, simulated against :mod:`imm_ns3.analysis.model`, built from
:class:`ModelCheckRow` with :func:`check_frame`). Skewed or bimodal quantities (latencies,
interruptions) are shown as distributions with medians and distribution-free 95 % intervals
(:mod:`imm_ns3.analysis.stats`); counts summed over many packets as means with Student-t intervals.
``imm-sim figures`` (:mod:`imm_ns3.analysis.figures`) saves them, PNG and PDF, stamped with the versions
the results came from.

Presentation only: reads stored results, never runs in a simulation (not part of the code
version, :data:`imm_ns3.sweep.store.OUTSIDE_CODE_VERSION`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from .stats import mean_ci

# The kinds of movement (imm_ns3.topology.MOVEMENT_KINDS), in the order the figures show them.
KINDS = ("intra_domain", "inter_domain", "inter_subnet")
KIND_LABEL = {"intra_domain": "intra-domain", "inter_domain": "inter-domain",
              "inter_subnet": "inter-subnet"}


def per_results(fn):
    """Decorator: compute a frame once per loaded results object (a figure, its check and its
    summary all ask for it), cached on the object by function and arguments; each caller gets
    its own copy of a DataFrame to change."""

    @functools.wraps(fn)
    def wrapper(res, *args):
        cache = res.__dict__.setdefault("_frames", {})
        k = (fn.__module__, fn.__qualname__, args)
        if k not in cache:
            cache[k] = fn(res, *args)
        v = cache[k]
        return v.copy() if isinstance(v, pd.DataFrame) else v

    return wrapper


def agg(df: pd.DataFrame, by: list[str], col: str) -> pd.DataFrame:
    """Per group of ``by`` (sorted, NaN keys kept): the mean of ``col`` with the half-width of
    its Student-t 95 % interval and n (columns ``mean``, ``ci95``, ``n``)."""
    rows = []
    for keys, g in df.groupby(by, dropna=False, sort=True):
        m, h, n = mean_ci(g[col])
        rows.append({**dict(zip(by, keys if isinstance(keys, tuple) else (keys,))),
                     "mean": m, "ci95": h, "n": n})
    return pd.DataFrame(rows)


def yerr(a: pd.DataFrame):
    """Error bars of a count that cannot go below zero (``mean`` and ``ci95`` columns of
    :func:`agg`): the lower bar stops at 0."""
    ci = a.ci95.fillna(0).to_numpy()
    m = a["mean"].fillna(0).to_numpy()
    return np.vstack([np.minimum(ci, m), ci])


def pyplot():
    """matplotlib.pyplot, on the Agg backend unless a notebook's inline backend is in use."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        try:
            matplotlib.use("Agg")
        except Exception:  # noqa: BLE001 - an interactive backend already in use is fine
            pass
    import matplotlib.pyplot as plt

    return plt


def strip(ax, x, values, color, width=0.28):
    """Every value as a dot at ``x``, spread over ``width`` by a fixed jitter (the same dots
    each time the figure is drawn); non-numbers and NaN left out."""
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    if not len(v):
        return
    jitter = (np.arange(len(v)) % 7 - 3) / 3 * width / 2
    ax.scatter(x + jitter, v, s=6, color=color, alpha=0.55, lw=0, zorder=3)


def mechanism(labels: dict, kind: str) -> str:
    """The mechanism that carries a flow through a kind of movement: ``labels`` by kind, with
    ``"*"`` for every other kind."""
    return labels.get(kind, labels["*"])


def model_of(res, key: str):
    """The :class:`imm_ns3.topology.Topology` of run ``key``'s scenario: what the analytic
    models of :mod:`imm_ns3.analysis.model` are computed on."""
    from ..topology import build_topology

    return build_topology(res.scenario(key))


# ---- model-check rows ---------------------------------------------------------------------
@dataclass(frozen=True)
class ModelCheckRow:
    """One row of ``results/model-check.csv`` as a figure's check returns it: a simulated
    quantity under a condition against the model's value, with n and the simulated value's 95 %
    interval (NaN when it has none). :func:`imm_ns3.analysis.figures.check_rows` adds ``rel_error`` and
    ``model_in_ci``."""

    experiment: str  # the figure's id
    quantity: str
    condition: str
    simulated: float
    model: float
    n: int | float
    ci_lo: float = math.nan
    ci_hi: float = math.nan


CHECK_COLUMNS = tuple(f.name for f in fields(ModelCheckRow))


def check_frame(rows) -> pd.DataFrame:
    """A check's rows (:class:`ModelCheckRow`) as the DataFrame ``imm-sim figures`` takes:
    columns :data:`CHECK_COLUMNS` in that order, one row each (the columns even when there is
    no row)."""
    return pd.DataFrame([{c: getattr(r, c) for c in CHECK_COLUMNS} for r in rows],
                        columns=list(CHECK_COLUMNS))
