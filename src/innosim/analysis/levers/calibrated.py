"""What the robustness stage (and the package search's robust mode) read from the calibration: a
calibration result's parameters with their identifiability (`read_calibration`, `calibrated_range`)
or the ensemble of history matching (`read_ensemble`, `Ensemble.pick`), each file found beside the
experiment file that names it and checked, every problem a ScenarioError naming the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from innosim.i18n import message_lang, msg
from innosim.scenario import ScenarioError, setting_at

#: The calibration's identifiability verdicts (`innosim.analysis.calibration.fit.identifiability`).
VERDICTS = ("pinned", "weakly pinned", "not identified")


@dataclass(frozen=True)
class Ensemble:
    """The members of a calibration ensemble: one column per parameter (behaviour.<name>), with weights."""

    file: Path
    method: str
    members: pd.DataFrame
    weights: np.ndarray            # normalised to sum 1

    @property
    def names(self) -> list[str]:
        return list(self.members.columns)

    def pick(self, draws: int, seed: int) -> np.ndarray:
        """Member index of each draw: by weight, seeded, without replacement while members last."""
        rng = np.random.default_rng([seed, 1])   # apart from the Latin hypercube's stream
        live = np.flatnonzero(self.weights > 0)    # a member of weight 0 is never drawn
        p = self.weights[live] / self.weights[live].sum()
        order: list[int] = []
        while len(order) < draws:
            order.extend(int(live[i]) for i in rng.choice(len(live), size=len(live), replace=False, p=p))
        return np.array(order[:draws])

    def describe(self) -> str:
        return f"{len(self.members)} members of the calibration ensemble ({self.method}, {self.file.name})"


def calibrated_range(value: float, bounds: tuple[float, float], verdict: str, width: float) -> tuple[float, float]:
    """The range of a calibrated parameter: for a pinned or weakly pinned one, an interval of
    width x (high - low) around the calibrated value, moved inside the bounds where it would cross
    one; for one not identified, the bounds."""
    low, high = bounds
    if verdict == "not identified":
        return float(low), float(high)
    length = min(max(float(width), 0.0), 1.0) * (high - low)
    start = min(max(value - length / 2, low), high - length)
    return float(start), float(start + length)


def _read_beside(path: Path, where: str, key: str, value: str, origin: dict, missing: str) -> tuple[Path, Any]:
    """The YAML file `value` names, relative to the file that set `robustness.<key>`: its path and data
    (`missing`: the reason when there is no such file)."""
    found = (Path(origin.get(("robustness", key), path)).parent / value).resolve()
    if not found.is_file():
        raise ScenarioError(path, where, missing)
    try:
        return found, yaml.safe_load(found.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        why = ' '.join(str(exc).split())[:160]
        if isinstance(exc, yaml.YAMLError) and message_lang() != "en":  # PyYAML's words in the reader's language
            from innosim.scenario.reasons import yaml_problem

            why = yaml_problem(exc)[1]
        raise ScenarioError(path, where, msg("cannot read {file}: {why}", file=value, why=why)) from None


def read_calibration(path: Path, where: str, value: str, origin: dict) -> tuple[Path, dict]:
    found, data = _read_beside(path, where, "from_calibration", value, origin,
                               msg("calibration result not found: {file}", file=value))
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict) or not parameters:
        raise ScenarioError(path, where, msg("{file} is not a calibration result (no parameters: with value, "
                                             "bounds, identifiability and width)", file=value))
    return found, parameters


def calibration_entry(path: Path, where: str, name: str, entry: Any) -> tuple[float, tuple[float, float], str, float]:
    try:
        value, (low, high) = float(entry["value"]), (float(entry["bounds"][0]), float(entry["bounds"][1]))
        verdict, width = str(entry["identifiability"]), float(entry.get("width", 1.0))
    except (TypeError, KeyError, IndexError, ValueError):
        raise ScenarioError(path, where, msg("parameter {name}: needs value, bounds [low, high], identifiability "
                                             "and width", name=name)) from None
    if verdict not in VERDICTS:
        raise ScenarioError(path, where, msg("parameter {name}: unknown identifiability {verdict!r} (one of {choices})",
                                             name=name, verdict=verdict, choices=", ".join(VERDICTS)))
    if not (low < high and low <= value <= high and all(map(math.isfinite, (value, low, high, width)))):
        raise ScenarioError(path, where, msg("parameter {name}: value {value:g} outside bounds [{low:g}, {high:g}]",
                                             name=name, value=value, low=low, high=high))
    return value, (low, high), verdict, width


def read_ensemble(path: Path, where: str, value: str, origin: dict, base: dict) -> Ensemble:
    found, data = _read_beside(path, where, "from_ensemble", value, origin,
                               msg("calibration ensemble not found: {file}", file=value))
    members = data.get("members") if isinstance(data, dict) else None
    if not isinstance(members, list) or not members:
        raise ScenarioError(path, where, msg("{file} is not a calibration ensemble (no members: with parameters "
                                             "and weight; innosim calibrate --method history-matching writes one)",
                                             file=value))
    rows, weights = [], []
    for i, member in enumerate(members):
        parameters = member.get("parameters") if isinstance(member, dict) else None
        weight = member.get("weight", 1.0) if isinstance(member, dict) else None
        if not isinstance(parameters, dict) or not parameters:
            raise ScenarioError(path, where, msg("member {i}: needs parameters (a mapping of behavioural parameter "
                                                 "to value) and a weight", i=i))
        if rows and set(parameters) != set(rows[0]):
            raise ScenarioError(path, where, msg("member {i}: its parameters differ from member 0's", i=i))
        for name, x in parameters.items():
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise ScenarioError(path, where, msg("member {i}: {name} is not a finite number", i=i, name=name))
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            raise ScenarioError(path, where, msg("member {i}: weight must be a number >= 0", i=i))
        rows.append(parameters)
        weights.append(float(weight))
    total = sum(weights)
    if total <= 0:
        raise ScenarioError(path, where, msg("{file}: the members' weights add up to 0", file=value))
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        current = setting_at(base, f"behaviour.{name}")
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ScenarioError(path, where, msg("parameter {name} is not a behavioural setting of the scenario schema",
                                                 name=name))
        if isinstance(current, int):
            if not all(float(x).is_integer() for x in frame[name]):
                raise ScenarioError(path, where, msg("parameter {name} is a whole number, but a member's value is not",
                                                     name=name))
            frame[name] = frame[name].astype(int)
        else:
            frame[name] = frame[name].astype(float)
    frame.columns = [f"behaviour.{name}" for name in frame.columns]
    method = str(data.get("method", "unknown method"))
    return Ensemble(found, method, frame, np.array(weights) / total)
