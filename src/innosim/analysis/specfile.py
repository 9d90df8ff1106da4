"""Experiment files of every tool (sensitivity, levers) are validated the same way: a pydantic
model over the merged data of an `extends:` chain, and a ScenarioError naming the file that set the
offending key."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from innosim.scenario import ScenarioError
from innosim.yamlsafe import got


def validate_spec(model: type[BaseModel], data: dict, origin: dict, path: Path):
    """`model` validated from an experiment file's merged data, or a ScenarioError naming the file
    that set the offending key (through `extends:`), the key and the reason."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(str(x) for x in error["loc"] if x not in ("list[float]", "FactorSpec") and "[" not in str(x))
        blamed = next((origin[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in origin), path)
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("missing", "extra_forbidden", "value_error") and \
                not isinstance(error.get("input"), dict):
            reason += got(error.get("input"))
        raise ScenarioError(blamed, ".".join(loc), reason) from None
