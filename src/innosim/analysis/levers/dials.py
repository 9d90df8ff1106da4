"""Levers as dials: each lever an intensity per county, from the base's settings (level 0) through
ordered levels a planner writes, so that its effect and its public cost can be read as curves.

A dial names the policy settings it turns and their values at each level; a setting a county
decides (per county in the scenario schema) is set for the dial's county alone, a zone-wide one
for the zone. Between two levels a number is interpolated (an intensity of 1.5 is half-way from
level 1 to level 2), a choice or a switch takes the lower level: so the package search of
`innosim optimise` can move a dial continuously.

    dials:
      vouchers: {label: voucher budget, set: {policy.vouchers.budget: [12, 16, 24, 32]}}
      hnte_rewards:
        label: HNTE rewards
        set: {policy.hnte_rewards.first: [0.5, 1, 2, 3], policy.hnte_rewards.renewal: [0.1, 0.25, 0.5, 0.75]}
      recognition: {label: HNTE mutual recognition, set: {policy.hnte_mutual_recognition: [true]}}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from innosim.i18n import msg
from innosim.scenario import COUNTIES, ScenarioError, load_scenario, setting_at


MAX_LEVELS = 8
Scalar = bool | int | float | str


class DialSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    label: str | None = Field(None, description="the lever's name in tables")
    set: Annotated[dict[str, Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=MAX_LEVELS)]],
                   Field(min_length=1)] = Field(description="policy key -> its value at each level (one value: "
                                                            "the same at every level)")


def _per_county(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == set(COUNTIES)


@dataclass(frozen=True)
class Dial:
    """One lever as a dial: its settings at level 0 (the base's, by county) and at each level."""

    name: str
    label: str
    keys: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]        # level 1..K -> the keys' values
    base: dict[str, dict[str, Any]]            # key -> county (or "zone") -> the base's value
    per_county: dict[str, bool]                # key -> set for one county (else the zone)

    @property
    def top(self) -> int:
        return len(self.levels)

    def value(self, key: str, county: str, intensity: float) -> Any:
        """The key's value at `intensity` (0 = the base's; a number interpolated between levels)."""
        i = self.keys.index(key)
        start = self.base[key][county if self.per_county[key] else "zone"]
        points = [start, *(level[i] for level in self.levels)]
        intensity = min(max(float(intensity), 0.0), float(self.top))
        low = int(math.floor(intensity))
        if low == self.top or intensity == low:
            return points[low]
        a, b = points[low], points[low + 1]
        if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) \
                or not isinstance(b, (int, float)):
            return a
        value = a + (intensity - low) * (b - a)
        return round(value) if isinstance(a, int) and isinstance(b, int) else float(value)

    def overrides(self, county: str, intensity: float) -> dict[str, Any]:
        """The scenario overrides (dotted keys) that turn the dial to `intensity` in `county`."""
        return {(f"{key}.{county}" if self.per_county[key] else key): self.value(key, county, intensity)
                for key in self.keys}

    def describe(self, county: str, intensity: float) -> str:
        """The settings in words: `policy.vouchers.budget 8 -> 16`."""
        parts = []
        for key in self.keys:
            before, after = self.value(key, county, 0), self.value(key, county, intensity)
            short = key.removeprefix("policy.")
            parts.append(f"{short} {_show(before)} → {_show(after)}")
        return "; ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def load_dials(path: Path, where: str, specs: dict[str, DialSpec], base: dict, base_file: Path,
               overrides: dict, counties: list[str]) -> tuple[Dial, ...]:
    """Each dial checked against the base scenario: its keys are policy settings, their levels agree
    in number, and every level is a valid scenario in every county asked for."""
    dials = []
    for name, spec in specs.items():
        at = f"{where}.{name}"
        lengths = {len(v) for v in spec.set.values() if isinstance(v, list)}
        if len(lengths) > 1:
            raise ScenarioError(path, f"{at}.set", msg("the keys give different numbers of levels ({counts}); give "
                                                       "each key one value per level, or one value for all",
                                                       counts=sorted(lengths)))
        n = lengths.pop() if lengths else 1
        keys, base_values, per_county = [], {}, {}
        for key, values in spec.set.items():
            found = setting_at(base, key)
            if not key.startswith("policy.") or found is None or (isinstance(found, dict) and not _per_county(found)):
                raise ScenarioError(path, f"{at}.set", msg("{key} is not a policy setting of the scenario schema "
                                                           "(a dotted key such as policy.vouchers.budget)", key=key))
            dated = [k for change in base.get("changes") or [] for k in change.get("set", {})]
            if any(k == key or k.startswith(key + ".") for k in dated):
                raise ScenarioError(path, f"{at}.set", msg("the base scenario changes {key} during the run "
                                                           "(changes:), so the dial cannot set it alone", key=key))
            keys.append(key)
            per_county[key] = _per_county(found) or _county_setting(base_file, key, overrides)
            base_values[key] = ({c: found[c] for c in COUNTIES} if _per_county(found)
                                else {c: found for c in (*COUNTIES, "zone")})
        levels = tuple(tuple(v[i] if isinstance(v, list) else v for v in spec.set.values()) for i in range(n))
        dial = Dial(name, spec.label or name.replace("_", " "), tuple(keys), levels, base_values, per_county)
        for county in counties:
            for level in range(1, dial.top + 1):
                try:
                    load_scenario(base_file, {**overrides, **dial.overrides(county, level)})
                except ScenarioError as exc:
                    raise ScenarioError(path, f"{at}.set", msg("level {level} in {county}: {key}: {reason}",
                                                               level=level, county=county,
                                                               key=exc.key or msg("value"),
                                                               reason=exc.reason)) from None
        dials.append(dial)
    return tuple(dials)


def _county_setting(base_file: Path, key: str, overrides: dict) -> bool:
    """Whether a setting the base writes as one value may be set per county (`key.<county>`)."""
    try:
        load_scenario(base_file, {**overrides, f"{key}.{COUNTIES[0]}": setting_at(
            load_scenario(base_file, overrides).model_dump(mode="python"), key)})
    except ScenarioError:
        return False
    return True
