"""docs/ODD.md must name every setting the model reads, so the description cannot drift silently."""

from __future__ import annotations

from pydantic import BaseModel

from innosim.scenario.schema import Behaviour, Policy

from .conftest import ROOT


def field_names(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= field_names(annotation)
    return names


def test_odd_names_every_behavioural_parameter_and_policy_lever():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    missing = sorted(n for n in field_names(Behaviour) | field_names(Policy) if n not in odd)
    assert not missing, f"docs/ODD.md does not mention: {missing}"
