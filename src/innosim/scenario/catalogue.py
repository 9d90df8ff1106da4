"""Every setting of the schema, read from the pydantic models themselves: key, default, range, unit,
meaning, and, for a scenario, the value it resolves to and the file that set it.

Nothing here lists settings by hand: a field added to the schema (a behavioural parameter, a
place's price, a per-county or dated lever) appears in `innosim settings` and in the reports'
"what each scenario changes" tables without an edit here. Mappings inside a setting (per-county
values) are listed one key per row (``policy.vouchers.budget.jiashan``); a lever the three counties
set alike is one row (``policy.vouchers.scope``). A dated change is a row per key it sets, keyed
``policy.vouchers.scope.jiashan from 2020-01``, its note as the meaning.
"""

from __future__ import annotations

import functools
import json
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .diagnostics import _model_of
from .loader import (apply_overrides, load_scenario, own_name_and_description, resolve_chain, setting_at,
                     validate_data)
from .schema import COUNTIES, Scenario

DEFAULT_SOURCE = "default"
#: Settings that identify a scenario rather than change what the model does.
IDENTITY = ("name", "description")


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    range: str
    unit: str
    meaning: str
    value: Any = None
    set_by: str = DEFAULT_SOURCE

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- reading the schema
def _walk_annotation(annotation, found: dict) -> None:
    """Collect bounds and choices from an annotation and whatever it wraps (Annotated, dict values)."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        found.setdefault("choices", list(typing.get_args(annotation)))
        return
    if annotation is bool:
        found.setdefault("choices", [True, False])
    if annotation is int:
        found.setdefault("whole", True)
    for item in getattr(annotation, "__metadata__", ()):
        _take_metadata(item, found)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        _walk_annotation(args[1], found)
        return
    for arg in args:
        if not isinstance(arg, (str, int, float)):
            _walk_annotation(arg, found)


def _take_metadata(item, found: dict) -> None:
    if isinstance(item, FieldInfo):
        for sub in item.metadata:
            _take_metadata(sub, found)
        _walk_annotation(item.annotation, found) if item.annotation is not None else None
        return
    for cls, name in ((annotated_types.Ge, "ge"), (annotated_types.Gt, "gt"), (annotated_types.Le, "le"),
                      (annotated_types.Lt, "lt"), (annotated_types.MinLen, "min_length")):
        if isinstance(item, cls):
            found.setdefault(name, getattr(item, name))


def _range_text(found: dict) -> str:
    if found.get("list"):
        return "a list of {from: YYYY-MM, note: text, set: {policy key: value}}"
    if "choices" in found:
        return " | ".join("true" if c is True else "false" if c is False else str(c) for c in found["choices"])
    low = f"{found['ge']:g} ≤" if "ge" in found else f"{found['gt']:g} <" if "gt" in found else ""
    high = f"≤ {found['le']:g}" if "le" in found else f"< {found['lt']:g}" if "lt" in found else ""
    if not low and not high:
        return "whole number" if found.get("whole") else ("text" if found.get("text") else "any number")
    kind = "whole number" if found.get("whole") else "x"
    return " ".join(part for part in (low, kind, high) if part)


#: Words in a setting's name that say it is an amount of money (money is in million CNY throughout).
MONEY_WORDS = ("budget", "capital", "subsidy", "cap_per_firm", "wage", "rent", "ticket", "deal_value")


def _unit(key: str, found: dict, meaning: str) -> str:
    last = key.split(".")[-1]
    if "M CNY" in meaning or (any(w in last for w in MONEY_WORDS) and "share" not in last):
        return "M CNY"
    if last == "months" or last.endswith("_months"):
        return "months"
    if last in ("start",):
        return "YYYY-MM"
    if found.get("ge") == 0 and found.get("le") == 1 and not found.get("whole"):
        return "share (0-1)"
    if "logit" in meaning:
        return "logit units"
    return ""


def _first_sentence(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text.split(". ")[0].rstrip(".") if text else ""


def schema_fields(model: type[BaseModel] = Scenario, prefix: tuple = ()) -> dict[tuple, tuple[FieldInfo, str]]:
    """Key path -> (field, its section's description) for every field that is not itself a section."""
    out: dict[tuple, tuple[FieldInfo, str]] = {}
    section = _first_sentence(model.__doc__)
    for name, field in model.model_fields.items():
        nested = _model_of(field.annotation)
        if nested is not None and typing.get_origin(field.annotation) not in (dict, list):
            out.update(schema_fields(nested, (*prefix, name)))
        else:
            out[(*prefix, name)] = (field, section)
    return out


def _leaves(data: Any, prefix: tuple) -> list[tuple[tuple, Any]]:
    """(key path, value) for every leaf; mappings are expanded, lists kept whole."""
    if isinstance(data, Mapping) and data:
        out = []
        for key, value in data.items():
            out += _leaves(value, (*prefix, str(key)))
        return out
    return [(prefix, data)]


def _field_for(fields: dict, path: tuple) -> tuple[tuple, tuple[FieldInfo, str] | None]:
    for n in range(len(path), 0, -1):
        if path[:n] in fields:
            return path[:n], fields[path[:n]]
    return path, None


def _schema_facts(fields: dict, path: tuple) -> tuple[tuple, dict, str]:
    """The schema's path, facts (bounds, choices, whole, text, list) and meaning of a leaf."""
    field_path, entry = _field_for(fields, path)
    found: dict = {}
    meaning = ""
    if entry is not None:
        field, section = entry
        _walk_annotation(field.annotation, found)
        for item in field.metadata:
            _take_metadata(item, found)
        if field.annotation is str:
            found["text"] = True
        if typing.get_origin(field.annotation) is list:
            found["list"] = True
        meaning = field.description or (f"({section})" if section else "")
    return field_path, found, meaning


def catalogue(defaults: Mapping | None = None) -> list[Setting]:
    """Every setting with its default, range, unit and meaning (a value per leaf of the defaults)."""
    fields = schema_fields()
    defaults = defaults if defaults is not None else Scenario().model_dump(mode="json")
    rows = []
    for path, default in _leaves(defaults, ()):
        field_path, found, meaning = _schema_facts(fields, path)
        key = ".".join(path)
        unit = _unit(".".join(field_path), found, meaning)
        rows.append(Setting(key, default, _range_text(found), unit, meaning))
    return rows


def numeric_bounds() -> dict[str, dict]:
    """Every numeric setting (per county where it is one) -> its bounds: ge/gt, le/lt, and whole for
    a whole number. What the tests use to set each setting to its maximum."""
    fields = schema_fields()
    bounds = {}
    for path, default in _leaves(Scenario().model_dump(mode="json"), ()):
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        _, found, _ = _schema_facts(fields, path)
        bounds[".".join(path)] = {k: v for k, v in found.items() if k in ("ge", "gt", "le", "lt", "whole")}
    return bounds


# ---------------------------------------------------------------- what the schema says of a lever
@dataclass(frozen=True)
class LeverFacts:
    """What the schema says of a lever of the catalogue (`innosim.catalogue.LEVERS`): whether each
    county sets it, a choice's options (in the schema's order), its bounds and its default."""

    per_county: bool
    choices: tuple
    bounds: dict
    default: Any


@functools.cache
def lever_facts(key: str) -> LeverFacts:
    """The schema's facts of the setting at the dotted `key` (a lever's key; a section such as
    ``policy.national`` is set as a whole)."""
    fields = schema_fields()
    path = tuple(key.split("."))
    default = setting_at(Scenario().model_dump(mode="json"), path)
    if path not in fields:
        if not any(known[:len(path)] == path for known in fields):
            raise KeyError(f"{key} is not a setting of the scenario schema")
        return LeverFacts(per_county=False, choices=(), bounds={}, default=default)
    field, _ = fields[path]
    annotation = field.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    variants = typing.get_args(annotation) if union else (annotation,)
    _, found, _ = _schema_facts(fields, path)
    return LeverFacts(per_county=any(typing.get_origin(v) is dict for v in variants),
                      choices=_literal_choices(variants),
                      bounds={k: v for k, v in found.items() if k in ("ge", "gt", "le", "lt", "whole")},
                      default=default)


def _literal_choices(variants: tuple) -> tuple:
    for variant in variants:
        if typing.get_origin(variant) is Literal:
            return tuple(typing.get_args(variant))
    return ()


# ---------------------------------------------------------------- a scenario's values
def _source(origin: Mapping[tuple, Any], path: tuple) -> str:
    for n in range(len(path), 0, -1):
        if path[:n] in origin:
            return str(origin[path[:n]])
    return DEFAULT_SOURCE


def resolved_origin(path: str | Path, overrides: Mapping[str, Any] | None = None,
                    override_source: str = "--set") -> dict[tuple, str]:
    """Key path -> the file (or ``--set``) that set it, for a scenario file with overrides."""
    _, raw = resolve_chain(path)
    origin = {key: str(value) for key, value in raw.items()}
    resolved = Path(path).resolve()
    for key in own_name_and_description(path, raw):
        origin[(key,)] = f"{resolved} (its own {'file name' if key == 'name' else 'first comment'})"
    for dotted in overrides or {}:
        origin[tuple(dotted.split("."))] = override_source
    return origin


def scenario_settings(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None,
                      override_source: str = "--set") -> list[Setting]:
    """The catalogue with the values a scenario file (with overrides) resolves to and who set each."""
    rows = catalogue()
    if path is None:
        if not overrides:
            return [Setting(**{**r.as_dict(), "value": r.default}) for r in rows]
        spec = validate_data(apply_overrides({}, overrides), override_source,
                             {tuple(k.split(".")): override_source for k in overrides})
        origin = {tuple(k.split(".")): override_source for k in overrides}
    else:
        spec = load_scenario(path, overrides, override_source=override_source)
        origin = resolved_origin(path, overrides, override_source)
    values = spec.model_dump(mode="json")
    out = []
    for row in rows:
        path = tuple(row.key.split("."))
        if path == ("changes",):
            out += _change_rows(spec, rows, _source(origin, path)) or [Setting(**{**row.as_dict(), "value": []})]
            continue
        value = setting_at(values, path)
        if _is_county_mapping(value) and not _is_county_mapping(row.default):  # set per county here
            out += [Setting(**{**row.as_dict(), "key": f"{row.key}.{c}", "value": value[c],
                               "set_by": _source(origin, (*path, c))}) for c in COUNTIES]
        else:
            out.append(Setting(**{**row.as_dict(), "value": value, "set_by": _source(origin, path)}))
    # a scenario's mapping may hold keys the defaults lack (a new place): list them too
    known = {r.key for r in out} | {r.key for r in rows}
    for leaf, value in _leaves(values, ()):
        key = ".".join(leaf)
        if key not in known and leaf[0] != "changes" and not (_is_county_mapping(setting_at(values, leaf[:-1]))
                                                             and ".".join(leaf[:-1]) in known):
            out.append(Setting(key, None, "", "", "", value, _source(origin, leaf)))
    return out


def _is_county_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == set(COUNTIES)


def _change_rows(spec: Scenario, rows: list[Setting], set_by: str) -> list[Setting]:
    """A row per key a dated change sets, in date order: ``policy.vouchers.scope.jiashan from 2020-01``."""
    by_key = {r.key: r for r in rows}
    out = []
    for _, change in spec.changes_in_order():
        for key, value in change.settings.items():
            parent = by_key.get(key) or by_key.get(key.rpartition(".")[0])
            shape = parent or Setting(key, None, "", "", "")
            out.append(Setting(f"{key} from {change.month}", shape.default, shape.range, shape.unit,
                               change.note or shape.meaning, value, set_by))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def changed_settings(base: list[Setting], other: list[Setting], identity: bool = False) -> list[dict]:
    """The settings whose values differ between two resolved scenarios: key, base value, scenario
    value and who set the scenario's value (identity settings, name and description, left out).
    Where one scenario sets a lever per county and the other zone-wide, the counties that differ are listed."""
    base_values = {s.key: s.value for s in base}
    rows = []

    def add(key: str, before: Any, after: Any, set_by: str) -> None:
        if not _same(before, after):
            rows.append({"key": key, "base": before, "scenario": after, "set_by": set_by})

    for setting in other:
        key = setting.key
        if not identity and key.split(".")[0] in IDENTITY:
            continue
        parent, _, county = key.rpartition(".")
        if key not in base_values and all(f"{key}.{c}" in base_values for c in COUNTIES):
            for c in COUNTIES:  # zone-wide here, per county in the base
                add(f"{key}.{c}", base_values[f"{key}.{c}"], setting.value, setting.set_by)
        elif key not in base_values and county in COUNTIES and parent in base_values:
            add(key, base_values[parent], setting.value, setting.set_by)  # per county here, zone-wide there
        else:
            add(key, base_values.get(key), setting.value, setting.set_by)
    return rows


def show_value(value: Any) -> str:
    """A value as a planner writes it in a file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "–"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


__all__ = ["DEFAULT_SOURCE", "LeverFacts", "Setting", "catalogue", "lever_facts", "changed_settings", "resolved_origin",
           "scenario_settings", "schema_fields", "show_value"]
