"""Experiment files of every tool (sensitivity, levers, optimise) are validated the same way: a
pydantic model over the merged data of an `extends:` chain, every problem reported at once by the
scenario's translator (`innosim.scenario.diagnostics.translate`): the file of the chain that set the
key, its line, the reason in plain words and a "did you mean"."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from innosim.scenario.diagnostics import validated


def validate_spec(model: type[BaseModel], data: dict, origin: dict, path: Path):
    """`model` validated from an experiment file's merged data, or a ScenarioError listing every
    problem, each naming the file that set the offending key (through `extends:`), its line, the
    key and the reason."""
    return validated(model, data, path, origin)
