"""The end values of a small run are those pinned in tests/golden/small_run.json.

Results were byte-identical across worker counts, Python 3.11/3.12 and Mesa 3.3/3.5; this test
keeps it so. After an intended change of the model: `python -m tests.golden --update`."""

from __future__ import annotations

import math

from .golden import FILE, load, run_small, versions

REL = 1e-9  # far below any change of the model; above the last-bit noise of a different libm


def same(new, old) -> bool:
    if new is None or old is None or isinstance(new, str):
        return new is old
    return math.isclose(new, old, rel_tol=REL, abs_tol=1e-12)


def test_a_small_runs_end_values_are_the_pinned_ones():
    pinned = load()
    now = run_small()
    assert set(now) == set(pinned["end"]), "indicators added or removed: python -m tests.golden --update"
    changed = [f"{indicator}.{region}: {old!r} -> {now[indicator].get(region)!r}"
               for indicator, by_region in pinned["end"].items() for region, old in by_region.items()
               if not same(now[indicator].get(region, "absent"), old)]
    assert not changed, (f"{len(changed)} end values differ from {FILE.name} (made with {pinned['made_with']}, "
                         f"now {versions()}); if the model changed on purpose run "
                         f"`python -m tests.golden --update`: " + "; ".join(changed[:5]))
