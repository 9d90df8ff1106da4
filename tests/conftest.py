"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from innosim.model import InnoModel
from innosim.scenario import Scenario, ScenarioError, load_scenario, validate_data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SMALL = {"run": {"scale": 0.05, "months": 24}}
#: experiments/levers.yaml draws its calibrated parameters from this file, which the full-size
#: `innosim calibrate calibration/targets.yaml --method history-matching` writes; until then the
#: shipped lever experiment cannot load, and the tests that load it skip.
SHIPPED_ENSEMBLE = ROOT / "calibration" / "ensemble.yaml"
needs_shipped_ensemble = pytest.mark.skipif(not SHIPPED_ENSEMBLE.is_file(), reason=(
    "calibration/ensemble.yaml not written yet: run innosim calibrate calibration/targets.yaml --method "
    "history-matching"))


def small_scenario(behaviour: dict | None = None, **policy) -> Scenario:
    """The baseline at 5 % scale over two years, with some behaviour and policy settings changed."""
    return validate_data({**SMALL, "behaviour": behaviour or {}, "policy": policy}, "<test>")


@pytest.fixture
def small():
    return small_scenario()


def make_model(scenario: Scenario | None = None, seed: int = 1) -> InnoModel:
    return InnoModel(scenario or small_scenario(), rng=np.random.default_rng(seed))


@pytest.fixture
def model():
    return make_model()


@pytest.fixture(scope="module", autouse=True)
def results_store(tmp_path_factory):
    """A results store per test module (the commands share one store, here one per module)."""
    import os

    from innosim.batch import STORE_ENV

    path = tmp_path_factory.mktemp("store") / "results.sqlite"
    before = os.environ.get(STORE_ENV)
    os.environ[STORE_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(STORE_ENV, None)
    else:
        os.environ[STORE_ENV] = before


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A scenario (or any) file written for a test."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> ScenarioError:
    """The error loading `path` raises (the test fails if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value
