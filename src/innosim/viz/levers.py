"""The policy levers as page controls, read by the controls and by the model builder.

`LEVERS` are the catalogue's levers that have a control (`innosim.catalogue.LEVERS`: the scenario
key, the English label and the kind and range of the control). Whether a lever is set per county,
and a choice's options, are read from the scenario schema (`scenario.catalogue.lever_facts`).
A per-county lever gets one control per county, showing that county's own value in the chosen file
(Jiashan's voucher scope in the baseline is ``own_county_shanghai`` while Qingpu's and Wujiang's
are ``own_county``); moving it overrides that county's value only.
A control left at the file's value overrides nothing. A new lever is one more line of the catalogue.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import innosim
from innosim.catalogue import VIZ_LEVERS
from innosim.i18n import Labels, msg
from innosim.scenario import (COUNTIES, Scenario, ScenarioError, apply_overrides, by_county, load_scenario, read_yaml,
                              validate_data)
from innosim.scenario.catalogue import lever_facts

from .server import FOLDER_ENV, OVERRIDES_ENV, SCALE_ENV, find_scenario_dir  # noqa: F401  (levers.find_scenario_dir)

#: Share of the real population simulated on the page: small, so that a step renders quickly.
DEFAULT_SCALE = 0.1
SCALE_RANGE = (0.02, 0.5, 0.01)
DEFAULT_SEED = 1


@dataclass(frozen=True)
class Lever:
    """One lever's control(s): `param` names them, `key` is the dotted scenario key; both, the label
    and the slider's range come from the catalogue (`innosim.catalogue.LEVERS`)."""

    param: str
    key: str
    label: str
    kind: str  # "toggle", "choice" or "slider"
    low: float = 0.0
    high: float = 1.0  # the slider's usual top: a file holding more widens it
    step: float = 0.05

    @property
    def integer(self) -> bool:
        return self.kind == "slider" and float(self.step).is_integer() and self.step >= 1

    @property
    def per_county(self) -> bool:
        """Whether the schema lets each county set this lever (a value per county)."""
        return lever_facts(self.key).per_county

    @property
    def choices(self) -> tuple[str, ...]:
        """A choice's options, in the schema's order."""
        return lever_facts(self.key).choices


LEVERS: tuple[Lever, ...] = tuple(
    Lever(lever.control.param, lever.key, lever.label, lever.control.kind, lever.control.low, lever.control.high,
          lever.control.step) for lever in VIZ_LEVERS)


@dataclass(frozen=True)
class Control:
    """One control on the page: a lever, for one county (`county`) or for the whole zone (None).
    `param` is its keyword of `VizModel`, `key` the scenario key it overrides."""

    lever: Lever
    county: str | None = None

    @property
    def param(self) -> str:
        return self.lever.param if self.county is None else f"{self.lever.param}_{self.county}"

    @property
    def key(self) -> str:
        return self.lever.key if self.county is None else f"{self.lever.key}.{self.county}"


def lever_controls(levers: tuple[Lever, ...] = LEVERS) -> tuple[Control, ...]:
    """The page's controls: one per county for a per-county lever (next to each other), else one."""
    return tuple(control for lever in levers
                 for control in ([Control(lever, c) for c in COUNTIES] if lever.per_county else [Control(lever)]))


CONTROLS: tuple[Control, ...] = lever_controls()
CONTROLS_BY_PARAM = {control.param: control for control in CONTROLS}


def _lookup(data: dict, dotted: str) -> Any:
    for key in dotted.split("."):
        data = data[key]
    return data


def control_value(spec: Scenario, control: Control) -> Any:
    """The setting `control` shows for `spec`: its county's own value for a per-county lever."""
    lever = control.lever
    value = _lookup(spec.model_dump(), lever.key)
    if control.county is not None:
        value = by_county(value)[control.county]
    if lever.kind == "slider":
        return int(round(value)) if lever.integer else float(value)
    return value


def lever_values(spec: Scenario) -> dict[str, Any]:
    """Every control's setting in `spec`, by parameter name."""
    return {control.param: control_value(spec, control) for control in CONTROLS}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def lever_overrides(spec: Scenario, settings: dict[str, Any]) -> dict[str, Any]:
    """Control settings -> dotted scenario overrides, for the controls that differ from `spec`:
    a county's control overrides that county's value only (``policy.vouchers.scope.jiashan``)."""
    unknown = set(settings) - set(CONTROLS_BY_PARAM)
    if unknown:
        raise ValueError(msg("unknown lever(s): {names}", names=", ".join(sorted(unknown))))
    overrides: dict[str, Any] = {}
    for param, value in settings.items():
        control = CONTROLS_BY_PARAM[param]
        current = control_value(spec, control)
        if value is None or _same(value, current):
            continue
        if control.lever.kind != "slider":
            overrides[control.key] = value
        elif control.lever.integer and isinstance(_lookup(spec.model_dump(), control.key), int):
            overrides[control.key] = int(round(value))
        else:
            overrides[control.key] = float(value)
    return overrides


def describe_overrides(overrides: dict[str, Any]) -> list[str]:
    """Lever overrides in the controls' words, e.g. ``["HNTE mutual recognition (Qingpu): on"]``."""
    labels = Labels()
    lines = []
    for control in CONTROLS:
        if control.key not in overrides:
            continue
        value = overrides[control.key]
        if isinstance(value, bool):
            text = labels.value("on" if value else "off")
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = labels.value(value)
        lines.append(f"{control_label(control)}: {text}")
    return lines


def lever_label(lever: Lever) -> str:
    """The lever's label in the page's language (`innosim viz --lang`, or $INNOSIM_LANG): in Chinese
    the glossary's names of its section and its setting (科技创新券：使用范围), else the English label."""
    labels = Labels()
    if not labels.chinese:
        return lever.label
    name = labels.setting(lever.key)
    if name == lever.key:
        return lever.label
    parts = lever.key.split(".")
    if len(parts) > 2:  # policy.<section>.<setting>: the section names what the setting is about
        section = labels.setting(".".join(parts[:-1]))
        if section != ".".join(parts[:-1]) and section != name:
            return f"{section}：{name}"
    return name


def control_label(control: Control) -> str:
    """The control's label: the lever's, and the county's name for a per-county lever."""
    label = lever_label(control.lever)
    if control.county is None:
        return label
    labels = Labels()
    place = labels.place(control.county)
    return f"{label}（{place}）" if labels.chinese else f"{label} ({place})"


def control(item: Control, value: Any) -> dict[str, Any]:
    """Mesa `model_params` entry for one control showing `value`."""
    lever, label = item.lever, control_label(item)
    if lever.kind == "toggle":
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if lever.kind == "choice":
        return {"type": "Select", "value": value, "values": list(lever.choices), "label": label}
    high = max(lever.high, value)  # a file may hold more than the slider's usual range
    # the slider's thumb shows its current value (the page's style keeps it visible)
    if lever.integer:
        return {"type": "SliderInt", "value": int(value), "min": int(lever.low), "max": int(math.ceil(high)),
                "step": int(lever.step), "label": label}
    return {"type": "SliderFloat", "value": float(value), "min": float(lever.low), "max": float(high),
            "step": float(lever.step), "label": label}


def _text(phrase: str) -> str:
    return Labels().text(phrase)


def model_params(spec: Scenario, scenario_file: str | Path | None, seed: int | str = DEFAULT_SEED,
                 scale: float = DEFAULT_SCALE) -> dict[str, Any]:
    """SolaraViz `model_params` for `VizModel`: the file (fixed), the seed, the scale, the levers."""
    low, high, step = SCALE_RANGE
    params: dict[str, Any] = {
        "scenario_file": None if scenario_file is None else str(scenario_file),
        "rng": {"type": "InputText", "value": str(seed), "label": _text("Seed")},
        "scale": {"type": "SliderFloat", "value": float(scale), "min": low, "max": high, "step": step,
                  "label": _text("Scale")},
    }
    for item in CONTROLS:
        params[item.param] = control(item, control_value(spec, item))
    return params


def page_overrides() -> dict[str, Any]:
    """The `innosim viz --set` overrides, applied to every file the page opens."""
    return json.loads(os.environ.get(OVERRIDES_ENV) or "{}")


def start_scale() -> float:
    """The scale the page starts at: `innosim viz --scale`, else `DEFAULT_SCALE`."""
    text = os.environ.get(SCALE_ENV) or ""
    return float(text) if text else DEFAULT_SCALE


def load_viz_scenario(scenario_file: str | Path | None) -> Scenario:
    """The scenario a page shows: a file, or the schema's defaults (the baseline) without one,
    with the command line's --set overrides.

    The page is served to whoever reaches it, so a file may extend only files in the allowed
    folders (`allowed_folders`), and a problem is reported by file and key only (`public_error`):
    never a line or a value of the file, which could be another file's contents."""
    overrides = page_overrides()
    if scenario_file is None:
        if not overrides:
            return Scenario()
        # the overrides come from the command line that started the page (checked there already)
        return validate_data(apply_overrides({}, overrides), "--set",
                             {tuple(k.split(".")): "--set" for k in overrides})
    try:
        # the launcher names the picker's folder; a model made without it trusts its own file's folder
        check_extends(scenario_file, allowed_folders(os.environ.get(FOLDER_ENV) or find_scenario_dir(scenario_file)))
        return load_scenario(scenario_file, overrides, override_source="--set")
    except ScenarioError as exc:
        raise public_error(exc) from None


def public_error(exc: ScenarioError) -> ScenarioError:
    """The same error naming only the file and the key (the reason may quote the file's contents)."""
    name = Path(exc.file).name
    return ScenarioError(name, exc.key, msg("cannot be used here (innosim validate {name} says why)", name=name))


def allowed_folders(picker_folder: str | Path | None = None) -> list[Path]:
    """Where the page's scenarios may live and what they may extend: the picker's folder, the
    calibration folder beside it, and the project's scenarios/ and calibration/."""
    folder = picker_folder or os.environ.get(FOLDER_ENV) or find_scenario_dir()
    project = Path(innosim.__file__).resolve().parents[2]
    found = [project / "scenarios", project / "calibration"]
    if folder:
        folder = Path(folder).resolve()
        found += [folder, folder.parent / "calibration"]
    return list(dict.fromkeys(p.resolve() for p in found))


def check_extends(scenario_file: str | Path, folders: list[Path]) -> None:
    """Raise ScenarioError when the file, or any file its `extends:` chain names, lies outside `folders`
    (symbolic links followed); nothing outside them is read."""
    path, seen = Path(scenario_file), set()
    key = ""
    while True:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            raise ScenarioError(scenario_file, key, msg("cannot be read")) from None
        if not any(real.is_relative_to(folder) for folder in folders):
            raise ScenarioError(scenario_file, key, msg("may only name files in the scenario and calibration folders"))
        if real in seen:
            return  # a cycle: the loader reports it
        seen.add(real)
        parent = read_yaml(real).get("extends")
        if not isinstance(parent, str) or not parent:
            return
        path, key = real.parent / parent, "extends"


def parse_seed(seed: int | str | None) -> int | None:
    """The seed box holds text; an empty box means a fresh random seed."""
    if seed is None or isinstance(seed, int):
        return seed
    text = str(seed).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(msg("the seed must be a whole number, got {text!r}", text=text)) from None


def scenario_files(folder: str | Path | None) -> dict[str, Path]:
    """Scenario files in `folder` by name (file stem), sorted, baseline first."""
    if folder is None or not Path(folder).is_dir():
        return {}
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    paths.sort(key=lambda p: p.stem != "baseline")
    return {p.stem: p for p in paths}
