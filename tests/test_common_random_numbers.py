"""Common random numbers: two runs on the same seed share every draw a lever does not touch.

Each mechanism draws from its own stream per month (`InnoModel._stream`), so moving a voucher
lever leaves production shocks, job search, certification and the rest drawing what they drew;
the paired difference of two scenarios is then far less noisy than either (issue 11, point 1).
"""

from __future__ import annotations

import numpy as np

from innosim.model.simulate import simulate
from innosim.scenario import load_scenario

from .conftest import SCENARIOS

SEEDS = range(10)
WIDER_VOUCHERS = {"policy.vouchers.scope": "zone_shanghai", "policy.vouchers.cross_county_settlement": True}


def jiashan_hnte_2026_28(settings: dict, seed: int) -> float:
    scenario = load_scenario(SCENARIOS / "baseline.yaml", {"run.scale": 0.15, **settings})
    table = simulate(scenario, seed=seed).timeseries
    rows = (table.region == "jiashan") & (table.indicator == "hnte_stock") & (table.date >= "2026-01")
    return float(table.value[rows].mean())


def test_a_voucher_lever_leaves_paired_differences_far_less_noisy_than_the_runs():
    base = np.array([jiashan_hnte_2026_28({}, seed) for seed in SEEDS])
    lever = np.array([jiashan_hnte_2026_28(WIDER_VOUCHERS, seed) for seed in SEEDS])
    ratio = np.var(lever - base, ddof=1) / (np.var(base, ddof=1) + np.var(lever, ddof=1))
    assert ratio < 0.3, f"paired-difference variance is {ratio:.2f} of the runs' summed variance"


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", {"run.scale": 0.05, "run.months": 14})
    one, again, other = (simulate(scenario, seed=s).timeseries.value.to_numpy() for s in (7, 7, 8))
    np.testing.assert_array_equal(one, again)
    assert not np.array_equal(one, other)
