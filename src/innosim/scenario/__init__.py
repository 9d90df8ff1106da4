"""Scenarios: the schema and the loader (YAML with `extends:` -> one validated Scenario)."""

from .loader import (
    ScenarioError,
    apply_overrides,
    content_hash,
    deep_merge,
    load_scenario,
    policy_in_force,
    read_yaml,
    resolve_chain,
    setting_at,
    validate_data,
)
from .errors import ScenarioProblems
from .schema import COUNTIES, PLACES, Scenario, by_county, month_label
from .warnings import ScenarioWarning, warnings_for

__all__ = [
    "COUNTIES",
    "PLACES",
    "Scenario",
    "ScenarioError",
    "ScenarioProblems",
    "ScenarioWarning",
    "apply_overrides",
    "by_county",
    "content_hash",
    "deep_merge",
    "load_scenario",
    "month_label",
    "policy_in_force",
    "read_yaml",
    "resolve_chain",
    "setting_at",
    "validate_data",
    "warnings_for",
]
