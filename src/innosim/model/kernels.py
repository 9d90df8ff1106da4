"""Compiled loops (numba) for the few row-wise computations that dominate a run once the tables
are in place: the keyed random numbers, the Poisson inversion, and counting each firm's staff.

Each kernel is the loop its numpy twin runs as several passes over the same rows (a temporary
array per pass); one compiled pass does the same arithmetic in the same order, so the integer
results are identical and the floating ones differ at most in the last bit where the compiled
code calls the C library's `log`/`exp` and numpy its own vector versions (the golden test's
tolerance covers that, `tests/test_golden.py`). The numpy form of each is in its caller's
docstring, and `tests/test_kernels.py` checks the two agree.

The compiled code is cached beside this file (`cache=True`), so a process compiles a kernel
once per machine and version, not once per run; the first run on a fresh install takes a few
seconds more.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TO_UNIT = 2.0**-53


@njit(cache=True, nogil=True)
def _mix(x):
    """splitmix64's output function of one word (uint64 arithmetic wraps)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True, nogil=True)
def keyed_uniform(rows, columns, key):
    """Uniform numbers in [0, 1): element (i, j) is mix((rows[i] * columns + j + 1) * golden + key),
    its top 53 bits scaled (`draws.uniform`)."""
    n = rows.size
    out = np.empty(n * columns)
    width = np.uint64(columns)
    for i in range(n):
        base = np.uint64(rows[i]) * width
        for j in range(columns):
            x = (base + np.uint64(j) + _ONE) * _GOLDEN + key
            out[i * columns + j] = np.float64(_mix(x) >> _S11) * _TO_UNIT
    return out


@njit(cache=True, nogil=True)
def keyed_gumbel(rows, columns, key):
    """Standard Gumbel noise -log(-log(u)) of the keyed uniforms, u at least 1e-300 (`draws.gumbel`)."""
    u = keyed_uniform(rows, columns, key)
    for i in range(u.size):
        u[i] = -math.log(-math.log(max(u[i], 1e-300)))
    return u


@njit(cache=True, nogil=True)
def poisson_by_inversion(u, mean, cap):
    """Poisson counts by inverting the distribution function: the smallest k with u <= F(k),
    F summed term by term from exp(-mean), at most `cap` terms (`draws.poisson`, means below
    its normal approximation's threshold)."""
    counts = np.zeros(mean.size, dtype=np.int64)
    for i in range(mean.size):
        m, v = mean[i], u[i]
        term = math.exp(-m)
        cdf = term
        k = 0
        while v > cdf and k < cap:
            k += 1
            term *= m / k
            cdf += term
        counts[i] = k
    return counts


@njit(cache=True, nogil=True)
def staff_counts(employer, skill, wage, n, capacity):
    """Per firm row: key talents employed, their skills summed, their wages summed, over the
    talents with an employer (employer >= 0), in row order (`labour.count_staff`)."""
    talents = np.zeros(n, dtype=np.int64)
    skills = np.zeros(n)
    wages = np.zeros(capacity)
    for r in range(employer.size):
        e = employer[r]
        if e >= 0:
            talents[e] += 1
            skills[e] += skill[r]
            wages[e] += wage[r]
    return talents, skills, wages


@njit(cache=True, nogil=True)
def staff_grouped(employer, slot, k):
    """The talents employed by `k` chosen firms, grouped by firm: `slot[firm row]` is the firm's
    place among the chosen (-1: not chosen). Returns the talent rows, each firm's in ascending row
    order, firm after firm, and how many each firm has (`InnoModel.staff_of`)."""
    counts = np.zeros(k, dtype=np.int64)
    for r in range(employer.size):
        e = employer[r]
        if e >= 0 and slot[e] >= 0:
            counts[slot[e]] += 1
    start = np.zeros(k, dtype=np.int64)
    for i in range(1, k):
        start[i] = start[i - 1] + counts[i - 1]
    staff = np.empty(start[k - 1] + counts[k - 1] if k > 0 else 0, dtype=np.int64)
    for r in range(employer.size):
        e = employer[r]
        if e >= 0 and slot[e] >= 0:
            s = slot[e]
            staff[start[s]] = r
            start[s] += 1
    return staff, counts


@njit(cache=True, nogil=True)
def keyed_logit_choice(table, group, bonus_weight, bonus_of, bonus_usable, bonus_index, rows, key):
    """Each row's choice among the columns of `table`: argmax over j of
    table[group[i], j] + bonus_weight[bonus_index[i]] * bonus_usable[bonus_index[i], j]
    + Gumbel noise keyed by `rows` (the first of equal maxima, as np.argmax). A row with
    bonus_of[i] False has no bonus. The utilities are summed in the order of their numpy twins
    (`economy.choose_providers`, `labour.search_jobs`)."""
    n, columns = rows.size, table.shape[1]
    noise = keyed_gumbel(rows, columns, key)
    choice = np.empty(n, dtype=np.int64)
    for i in range(n):
        best, best_j = -np.inf, 0
        g = group[i]
        b = bonus_index[i]
        for j in range(columns):
            u = table[g, j]
            if bonus_of[i]:
                u = u + bonus_weight[b] * bonus_usable[b, j]
            u = u + noise[i * columns + j]
            if u > best:
                best, best_j = u, j
        choice[i] = best_j
    return choice


@njit(cache=True, nogil=True)
def count_where(group, keep, n_groups):
    """How many rows of each group are kept: np.bincount(group[keep], minlength=n_groups)."""
    counts = np.zeros(n_groups, dtype=np.int64)
    for r in range(group.size):
        if keep[r]:
            counts[group[r]] += 1
    return counts


@njit(cache=True, nogil=True)
def talents_by_place(region, present, employer, n_places):
    """Talents present per place, and of them the unemployed (employer -1): the bincounts of
    region[present] and of region[present & (employer == -1)] (`indicators.snapshot`)."""
    talents = np.zeros(n_places, dtype=np.int64)
    unemployed = np.zeros(n_places, dtype=np.int64)
    for r in range(region.size):
        if present[r]:
            talents[region[r]] += 1
            if employer[r] == -1:
                unemployed[region[r]] += 1
    return talents, unemployed
