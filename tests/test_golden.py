"""The end values of a small run are those pinned in tests/golden/small_run.json.

Results were byte-identical across worker counts, Python 3.11/3.12 and Mesa 3.3/3.5; this test
keeps it so. After an intended change of the model: `python -m tests.golden --update`.

The tolerance is checked both ways: a change of the model far smaller than any lever (one part in
a million of one parameter) must fail it, and numpy's vector instructions switched off (the code
paths of an older CPU) must not."""

from __future__ import annotations

import math

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .golden import FILE, load, run_small, versions

REL = 1e-9  # far below any change of the model; above the last-bit noise of a different libm


def same(new, old) -> bool:
    if new is None or old is None or isinstance(new, str):
        return new is old
    return math.isclose(new, old, rel_tol=REL, abs_tol=1e-12)


def differences(now: dict, pinned: dict) -> list[str]:
    return [f"{indicator}.{region}: {old!r} -> {now[indicator].get(region)!r}"
            for indicator, by_region in pinned.items() for region, old in by_region.items()
            if not same(now[indicator].get(region, "absent"), old)]


def test_a_small_runs_end_values_are_the_pinned_ones():
    pinned = load()
    now = run_small()
    assert set(now) == set(pinned["end"]), "indicators added or removed: python -m tests.golden --update"
    changed = differences(now, pinned["end"])
    assert not changed, (f"{len(changed)} end values differ from {FILE.name} (made with {pinned['made_with']}, "
                         f"now {versions()}); if the model changed on purpose run "
                         f"`python -m tests.golden --update`: " + "; ".join(changed[:5]))


def test_the_tolerance_catches_a_model_change_of_one_part_in_a_million():
    changed = differences(run_small({"behaviour.alpha": 0.25 * (1.0 + 1e-6)}), run_small({"behaviour.alpha": 0.25}))
    assert len(changed) >= 5, changed


def vector_feature_groups() -> list[str]:
    """numpy's dispatched x86 feature groups this CPU has beyond numpy's baseline (none elsewhere)."""
    features = np._core._multiarray_umath.__cpu_features__
    return [name for name in ("X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR") if features.get(name)]


def test_the_pinned_numbers_hold_without_the_cpus_vector_instructions():
    groups = vector_feature_groups()
    if not groups:
        pytest.skip("numpy dispatches no vector instructions beyond its baseline on this CPU")
    code = "import json, tests.golden as g; print(json.dumps(g.run_small()))"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(groups)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[1],
                         capture_output=True, text=True, timeout=300, check=True)
    assert not differences(json.loads(out.stdout.splitlines()[-1]), load()["end"])
