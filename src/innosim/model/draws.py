"""Random draws keyed by agent row: common random numbers that survive a lever.

Each mechanism draws from its own stream each month (`InnoModel._stream`). Within a mechanism,
a draw for "the firms that apply this month" would still shift every later firm's number when a
lever makes one more firm apply. So the draws here are keyed by row: a counter-based generator
gives row r of a table the number mix(key + r), with one key per call drawn from the mechanism's
stream: firm 17 gets the same number in every scenario run on the same seed, whoever else draws. Poisson counts come from one uniform each by
inversion, because numpy's Poisson sampler uses a variable number of uniforms.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import kernels

#: Above this mean a Poisson count is drawn from its normal approximation (error at most one event).
POISSON_NORMAL_ABOVE = 30.0


def uniform(model, table, rows: np.ndarray, columns: int | None = None) -> np.ndarray:
    """One uniform draw per row of `table` (or per row and column), for `rows`: a counter-based
    generator (the splitmix64 mixer of a key and the row's index), so a row's number does not
    depend on which other rows draw, and the cost grows with `rows`, not with the table.

    In numpy terms: x = (rows * columns + column + 1) * golden + key (uint64, wrapping),
    splitmix64(x) >> 11, times 2**-53; compiled as one pass (`kernels.keyed_uniform`)."""
    key = np.uint64(model.rng.integers(0, 2**63))  # one draw per call from the mechanism's stream
    rows = np.asarray(rows, dtype=np.int64)
    out = kernels.keyed_uniform(rows, 1 if columns is None else columns, key)
    return out if columns is None else out.reshape(rows.size, columns)


def gumbel(model, table, rows: np.ndarray, columns: int) -> np.ndarray:
    """Standard Gumbel noise per row and column (for logit choices), picked for `rows`:
    -log(-log(u)) of `uniform`'s numbers, in the same pass (`kernels.keyed_gumbel`)."""
    key = np.uint64(model.rng.integers(0, 2**63))
    rows = np.asarray(rows, dtype=np.int64)
    return kernels.keyed_gumbel(rows, columns, key).reshape(rows.size, columns)


def normal(model, table, rows: np.ndarray) -> np.ndarray:
    """Standard normal draws per row, picked for `rows`."""
    return special.ndtri(np.clip(uniform(model, table, rows), 1e-12, 1.0 - 1e-12))


def whole(amount, u):
    """An amount of whole things (incubator places, places a year) made of a fractional one: its
    integer part, plus one with probability its fractional part (`u` uniform). So at any
    `run.scale` the expected number is the amount itself, where rounding would move a small
    county's 8.4 places to 8 or 14.5 to 14 (`round` rounds halves to even)."""
    amount = np.round(np.asarray(amount, dtype=float), 9)  # 0.35 x 60 is 20.999999999999996
    base = np.floor(amount)
    return (base + (np.asarray(u) < amount - base)).astype(np.int64)


def poisson(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson counts with means `mean` from uniforms `u`, by inverting the distribution function
    (exact below POISSON_NORMAL_ABOVE, the rounded normal approximation above it)."""
    counts = np.zeros(mean.shape, dtype=np.int64)
    large = mean >= POISSON_NORMAL_ABOVE
    if large.any():
        approx = mean[large] + np.sqrt(mean[large]) * special.ndtri(np.clip(u[large], 1e-12, 1.0 - 1e-12))
        counts[large] = np.maximum(0, np.floor(approx + 0.5)).astype(np.int64)
    small = np.flatnonzero(~large)
    counts[small] = kernels.poisson_by_inversion(np.ascontiguousarray(u[small], dtype=float),
                                                 np.ascontiguousarray(mean[small], dtype=float),
                                                 int(10 * POISSON_NORMAL_ABOVE))
    return counts
