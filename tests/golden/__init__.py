"""Golden numbers: the end values of one small run, pinned in `small_run.json`.

A change of Python, Mesa, numpy (or of the model) that changes results shows up as a failing
`tests/test_golden.py`. When the model is changed on purpose, regenerate the file and commit it
with the change:

    python -m tests.golden --update
"""

from __future__ import annotations

import json
import math
import platform
from pathlib import Path

FILE = Path(__file__).with_name("small_run.json")
#: The pinned run: the baseline at 2 % scale over 12 months, seed 7 (about a second).
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
OVERRIDES = {"run.scale": 0.02, "run.months": 12}
SEED = 7


def run_small(changes: dict | None = None) -> dict[str, dict[str, float]]:
    """End values (indicator -> region -> value; None where undefined) of the pinned run (with
    `changes`, settings changed on top of it: how a test makes a small model change)."""
    from innosim.model import simulate
    from innosim.scenario import load_scenario

    result = simulate(load_scenario(SCENARIO, {**OVERRIDES, **(changes or {})}), seed=SEED)
    return {indicator: {region: None if value is None or math.isnan(value) else float(value)
                        for region, value in sorted(by_region.items())}
            for indicator, by_region in sorted(result.end.items())}


def versions() -> dict[str, str]:
    import mesa
    import numpy

    return {"python": platform.python_version(), "mesa": mesa.__version__, "numpy": numpy.__version__}


def load() -> dict:
    return json.loads(FILE.read_text(encoding="utf-8"))


def update() -> Path:
    """Run the pinned run and write its end values (and the versions that made them) to FILE."""
    data = {"scenario": "scenarios/baseline.yaml", "overrides": OVERRIDES, "seed": SEED,
            "made_with": versions(), "end": run_small()}
    FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return FILE
