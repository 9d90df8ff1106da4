"""The compiled loops (model/kernels.py) against their numpy twins: the same numbers, so that what a
mechanism's docstring says in numpy terms is what the model runs.

Integer results must be equal; floating ones equal or within the last bits, where the compiled
code calls the C library's log/exp and numpy may use its own vector versions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from innosim.model import draws, economy, kernels, labour
from innosim.model.places import N_PLACES

from .conftest import make_model

GOLDEN, M1, M2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def numpy_uniform(rows: np.ndarray, columns: int, key: np.uint64) -> np.ndarray:
    """splitmix64 of (rows * columns + column + 1) * golden + key, in numpy (the former draws.uniform)."""
    x = rows.astype(np.uint64)[:, None] * np.uint64(columns) + np.arange(columns, dtype=np.uint64)
    x = (x + np.uint64(1)) * GOLDEN + key
    x ^= x >> np.uint64(30)
    x *= M1
    x ^= x >> np.uint64(27)
    x *= M2
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("columns", [1, 4])
def test_keyed_uniforms_are_splitmix64_of_the_row(rng, columns):
    rows = rng.integers(0, 10**6, 5000)
    key = np.uint64(rng.integers(0, 2**63))
    out = kernels.keyed_uniform(rows, columns, key).reshape(rows.size, columns)
    np.testing.assert_array_equal(out, numpy_uniform(rows, columns, key))
    assert out.min() >= 0.0 and out.max() < 1.0
    # a row's number does not depend on which other rows draw
    np.testing.assert_array_equal(kernels.keyed_uniform(rows[100:200], columns, key), out[100:200].ravel())


def test_keyed_gumbel_is_minus_log_minus_log_of_the_uniform(rng):
    rows = rng.integers(0, 10**6, 5000)
    key = np.uint64(12345)
    u = numpy_uniform(rows, 4, key)
    np.testing.assert_allclose(kernels.keyed_gumbel(rows, 4, key).reshape(-1, 4),
                               -np.log(-np.log(np.clip(u, 1e-300, None))), rtol=1e-14, atol=1e-14)


def test_poisson_inversion_matches_the_numpy_loop_and_its_moments(rng):
    mean = rng.uniform(0.0, 25.0, 20000)
    u = rng.random(mean.size)
    counts = kernels.poisson_by_inversion(u, mean, 300)
    # the numpy form: the smallest k with u <= F(k)
    expected = np.array([int(np.searchsorted(np.cumsum(np.exp(-m) * np.cumprod(np.r_[1.0, m / np.arange(1, 300)])), v))
                         for m, v in zip(mean[:500], u[:500], strict=True)])
    np.testing.assert_array_equal(counts[:500], expected)
    # and the counts are Poisson: mean and variance equal the means given (to sampling error)
    z = (counts - mean).sum() / np.sqrt(mean.sum())
    assert abs(z) < 4
    big = draws.poisson(rng.random(4000), np.full(4000, 60.0))  # the normal approximation above 30
    assert abs(big.mean() - 60.0) < 1.0 and abs(big.var() / 60.0 - 1.0) < 0.15
    assert special.ndtri(0.5) == 0.0


def test_staff_counts_are_the_bincounts_of_the_employed(rng):
    employer = rng.integers(-2, 300, 50000).astype(np.int32)   # -2 Shanghai's economy, -1 none
    skill, wage = rng.random(employer.size), rng.random(employer.size)
    talents, skills, wages = kernels.staff_counts(employer, skill, wage, 300, 512)
    employed = employer >= 0
    np.testing.assert_array_equal(talents, np.bincount(employer[employed], minlength=300))
    np.testing.assert_array_equal(skills, np.bincount(employer[employed], skill[employed], minlength=300))
    np.testing.assert_array_equal(wages, np.bincount(employer[employed], wage[employed], minlength=512))


def test_staff_of_many_firms_is_each_firms_staff_in_row_order():
    model = make_model()
    employer = model.talents.view("employer")
    firms = np.unique(employer[employer >= 0])[:50]
    firms = firms[::-1].copy()  # any order of firms
    grouped = model.staff_of(firms)
    assert len(grouped) == firms.size
    for firm, staff in zip(firms, grouped, strict=True):
        np.testing.assert_array_equal(staff, np.flatnonzero(employer == firm))


def test_count_where_is_a_bincount_of_the_kept(rng):
    group, keep = rng.integers(0, N_PLACES, 10000), rng.random(10000) < 0.7
    np.testing.assert_array_equal(kernels.count_where(group, keep, N_PLACES),
                                  np.bincount(group[keep], minlength=N_PLACES))


def test_the_talents_logit_choice_is_the_argmax_of_place_utility_and_gumbel_noise():
    model = make_model()
    t = model.talents
    rows = model.present_talents()
    key = np.uint64(99)
    group = t.home[rows].astype(np.int64) * N_PLACES + t.region[rows].astype(np.int64)
    choice = kernels.keyed_logit_choice(labour.place_utility_table(model), group, np.zeros(1),
                                        np.zeros(rows.size, dtype=np.bool_), np.zeros((1, N_PLACES)),
                                        np.zeros(rows.size, dtype=np.int64), rows, key)
    noise = -np.log(-np.log(np.clip(numpy_uniform(rows, N_PLACES, key), 1e-300, None)))
    np.testing.assert_array_equal(choice, np.argmax(labour.place_utility(model, rows) + noise, axis=1))
    assert len(set(choice.tolist())) > 1  # the noise matters: not everyone picks one place


def test_the_providers_choice_counts_the_voucher_where_it_can_be_spent():
    """`economy.choose_providers` as its numpy form: argmax(provider utility + voucher bonus + Gumbel)."""
    model = make_model()
    f, rules, b = model.firms, model.rules, model.behaviour
    rows = model.alive_rows()
    f.voucher[rows[::3]] = 0.1  # a third hold a voucher from their own county
    f.voucher_issuer[rows[::3]] = np.minimum(f.region[rows[::3]], 2)
    state = model.rng.bit_generator.state
    chosen = economy.choose_providers(model, rows)
    model.rng.bit_generator.state = state
    key = np.uint64(model.rng.integers(0, 2**63))
    holds = f.voucher[rows] > 0
    issuer = np.where(holds, f.voucher_issuer[rows], 0).astype(np.int64)
    utility = economy.provider_utility(model, f.region[rows].astype(np.int64))
    usable = holds[:, None] & rules.voucher_spendable[issuer]
    utility = utility + b.voucher_weight * rules.voucher_subsidy_share[issuer][:, None] * usable
    noise = -np.log(-np.log(np.clip(numpy_uniform(rows, N_PLACES, key), 1e-300, None)))
    np.testing.assert_array_equal(chosen, np.argmax(utility + noise, axis=1))


def test_many_firms_exiting_at_once_leave_the_state_one_by_one_would():
    """`exit_firms` on many rows, as `exit_firm` on each in turn: staff, cash, vouchers, counts."""
    one, many = make_model(), make_model()
    for model in (one, many):
        model.firms.voucher[model.alive_rows()[:40]] = 0.05
        model.firms.voucher_issuer[model.alive_rows()[:40]] = 0
    rows = one.alive_rows()[::7][:40]
    for row in rows:
        one.exit_firm(int(row))
    many.exit_firms(rows)
    for name in ("alive", "cash", "talents", "voucher", "incubator", "exit_month"):
        np.testing.assert_array_equal(getattr(one.firms, name), getattr(many.firms, name), err_msg=name)
    for name in ("employer", "wage", "equity_vested"):
        np.testing.assert_array_equal(getattr(one.talents, name), getattr(many.talents, name), err_msg=name)
    for name in ("exits", "hnte_exits", "incubator_failures"):
        np.testing.assert_array_equal(one.monthly[name], many.monthly[name], err_msg=name)
    np.testing.assert_allclose(one.ledger.accounts["creditors"], many.ledger.accounts["creditors"], rtol=1e-12)
    np.testing.assert_allclose(one.vouchers.expired, many.vouchers.expired, rtol=1e-12)
    assert one.exits == many.exits == rows.size
    assert not many.firms.alive[rows].any() and (many.talents.view("employer")[:, None] != rows[None, :]).all()
