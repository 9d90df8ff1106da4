"""The stock identity (docs/ODD.md section 8): for every place and month, each of the HNTE stock, firms
and talents changes by exactly what its counted flows say, created and ended there, moved in from and
out to each other place (`model/stockflows.py`). A flow the model forgets to count breaks it."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from innosim.model import INDICATOR_NAMES, InnoModel
from innosim.model.stockflows import STOCK_FLOWS
from innosim.scenario import PLACES, load_scenario

from .conftest import SCENARIOS

MONTHS = 36
#: Many moves, and checks that take long and often fail: every kind of HNTE move shows up in 36 months.
RESTLESS = {"behaviour.firm_stay_bonus": 3.0, "behaviour.hnte_move_check_pass": 0.5,
            "behaviour.hnte_move_check_months": 6, "behaviour.new_entity_rate": 0.3}


@functools.cache
def run_records(file: str, restless: bool = False, seed: int = 3) -> np.ndarray:
    """Month (0 = the initial state) x indicator x place of one small run (once per module)."""
    overrides = RESTLESS if restless else {}
    scenario = load_scenario(SCENARIOS / file, {"run.scale": 0.05, **overrides})
    model = InnoModel(scenario, rng=np.random.default_rng(seed))
    for _ in range(MONTHS):
        model.step()
    records = model.datacollector.model_vars["indicators"]
    return np.array([[record[name][: len(PLACES)] for name in INDICATOR_NAMES] for record in records])


def series(values: np.ndarray, name: str) -> np.ndarray:
    return values[:, INDICATOR_NAMES.index(name), :]


def flows(values: np.ndarray, stock, leave_out: str | None = None) -> np.ndarray:
    """Month x place: the stock's change its counted flows say (without `leave_out`, to break it)."""
    change = np.zeros_like(series(values, stock.stock)[1:])
    for sign, names in ((1, stock.created + stock.entered), (-1, stock.ended + stock.departed)):
        for name in names:
            if name != leave_out:
                change += sign * series(values, name)[1:]
    for origin, place in enumerate(PLACES):
        moved_in = series(values, stock.pair(stock.moved_in, place))[1:]
        if stock.pair(stock.moved_in, place) != leave_out:
            change += moved_in
            if stock.moved_out is None:  # a firm or talent leaves its origin as it arrives
                change[:, origin] -= moved_in.sum(axis=1)
        if stock.moved_out is not None and stock.pair(stock.moved_out, place) != leave_out:
            change -= series(values, stock.pair(stock.moved_out, place))[1:]
    return change


def residual(values: np.ndarray, stock, leave_out: str | None = None) -> np.ndarray:
    level = series(values, stock.stock)
    return level[1:] - level[:-1] - flows(values, stock, leave_out)


@pytest.fixture(scope="module", params=[("full_integration.yaml", False), ("baseline.yaml", True)],
                ids=["full_integration", "restless_baseline"])
def records(request):
    return run_records(*request.param)


@pytest.mark.parametrize("stock", STOCK_FLOWS, ids=lambda s: s.stock)
def test_each_stock_changes_by_exactly_its_counted_flows(records, stock):
    np.testing.assert_array_equal(residual(records, stock), 0.0)


@pytest.mark.parametrize("stock", STOCK_FLOWS, ids=lambda s: s.stock)
def test_a_flow_left_out_breaks_the_identity(records, stock):
    """The identity is no tautology: each part that happened in the run is needed to close it."""
    names = [*stock.created, *stock.entered, *stock.ended, *stock.departed,
             *(stock.pair(stock.moved_in, p) for p in PLACES),
             *(stock.pair(stock.moved_out, p) for p in PLACES if stock.moved_out)]
    happened = [name for name in names if series(records, name)[1:].any()]
    assert len(happened) >= 4, happened
    for name in happened:
        assert np.abs(residual(records, stock, leave_out=name)).max() > 0, name


def test_the_restless_run_has_hnte_moves_that_wait_for_a_check():
    """Across a provincial line without recognition an HNTE leaves its origin's stock at once and joins
    its destination's only when the check passes: fewer join than leave, and the identity still holds."""
    values = run_records("baseline.yaml", restless=True)
    joined = sum(series(values, f"hnte_from_{p}").sum() for p in PLACES)
    left = sum(series(values, f"hnte_to_{p}").sum() for p in PLACES)
    assert 0 < joined < left
    assert series(values, "hnte_exits").sum() > 0
