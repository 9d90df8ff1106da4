"""The policy levers as page controls: one table, read by the controls and by the model builder.

A control shows the lever's value in the chosen scenario file; only a control the researcher
moves away from the file's value becomes an override. Per-county amounts (voucher budgets, fund
capital, incubator places) appear as one zone total, split across the counties in the file's
proportions, so that the file's differences between counties survive a change of total. A switch,
choice or slider that a file sets per county shows the value most counties have; moving it sets
all three counties.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from innosim.scenario import COUNTIES, Scenario, ScenarioError, load_scenario, read_yaml

#: Share of the real population simulated on the page: small, so that a step renders quickly.
DEFAULT_SCALE = 0.1
SCALE_RANGE = (0.02, 0.5, 0.01)
DEFAULT_SEED = 1


@dataclass(frozen=True)
class Lever:
    """One control: `param` is the keyword of `VizModel`, `key` the dotted scenario key."""

    param: str
    key: str
    label: str
    kind: str  # "toggle", "choice", "slider" or "zone_total" (a slider over a per-county amount)
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    choices: tuple[str, ...] = ()

    @property
    def integer(self) -> bool:
        return self.kind in ("slider", "zone_total") and float(self.step).is_integer() and self.step >= 1


LEVERS: tuple[Lever, ...] = (
    Lever("hnte_mutual_recognition", "policy.hnte_mutual_recognition", "HNTE mutual recognition", "toggle"),
    Lever("hnte_reapply_wait_months", "policy.hnte_reapply_wait_months",
          "HNTE re-apply wait", "slider", 0, 60, 1),
    Lever("talent_recognition", "policy.talent_recognition", "Talent qualification recognition", "toggle"),
    Lever("voucher_scope", "policy.vouchers.scope", "Voucher scope (where they can be spent)", "choice",
          choices=("own_county", "own_county_shanghai", "zone", "zone_shanghai")),
    Lever("voucher_settlement", "policy.vouchers.cross_county_settlement",
          "Voucher cross-county settlement", "toggle"),
    Lever("voucher_budget", "policy.vouchers.budget", "Vouchers, M CNY/yr",
          "zone_total", 0, 150, 1),
    Lever("voucher_subsidy_share", "policy.vouchers.subsidy_share", "Voucher subsidy share", "slider", 0, 1, 0.05),
    Lever("voucher_cap_per_firm", "policy.vouchers.cap_per_firm", "Voucher cap per firm",
          "slider", 0, 0.5, 0.01),
    Lever("equity_incentives", "policy.equity_incentives.enabled", "Equity incentives", "toggle"),
    Lever("equity_share", "policy.equity_incentives.equity_share", "Equity share",
          "slider", 0, 0.5, 0.01),
    Lever("equity_vesting_months", "policy.equity_incentives.vesting_months", "Vesting, months",
          "slider", 1, 120, 1),
    Lever("equity_tax_deferral", "policy.equity_incentives.tax_deferral", "Equity: income tax deferral", "toggle"),
    Lever("incubator_capacity", "policy.incubation.capacity", "Incubator places",
          "zone_total", 0, 600, 5),
    Lever("post_incubation_space", "policy.incubation.post_incubation_space",
          "Post-incubation/yr", "zone_total", 0, 300, 5),
    Lever("stay_subsidy", "policy.incubation.stay_subsidy", "Stay subsidy, M CNY",
          "slider", 0, 2, 0.05),
    Lever("fund_capital", "policy.finance.fund_capital", "Fund capital, M CNY",
          "zone_total", 0, 3000, 10),
    Lever("cross_county_investment", "policy.finance.cross_county_investment",
          "Funds invest across county lines", "toggle"),
    Lever("broker_reach", "policy.brokers.cross_county_reach", "Broker reach", "slider", 0, 1, 0.05),
    Lever("shanghai_reach", "policy.brokers.shanghai_reach", "Shanghai reach", "slider", 0, 1, 0.05),
)
LEVERS_BY_PARAM = {lever.param: lever for lever in LEVERS}


def _lookup(data: dict, dotted: str) -> Any:
    for key in dotted.split("."):
        data = data[key]
    return data


def lever_value(spec: Scenario, lever: Lever) -> Any:
    """The lever's setting in `spec`, as its control shows it (zone totals summed)."""
    value = _lookup(spec.model_dump(), lever.key)
    if lever.kind == "zone_total":
        value = sum(value[c] for c in COUNTIES)
    elif isinstance(value, dict):  # set per county: the value most counties have (the first on a tie)
        counts = [list(value.values()).count(value[c]) for c in COUNTIES]
        value = value[COUNTIES[counts.index(max(counts))]]
    if lever.kind in ("slider", "zone_total"):
        return int(round(value)) if lever.integer else float(value)
    return value


def lever_values(spec: Scenario) -> dict[str, Any]:
    """Every lever's setting in `spec`, by parameter name."""
    return {lever.param: lever_value(spec, lever) for lever in LEVERS}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def lever_overrides(spec: Scenario, settings: dict[str, Any]) -> dict[str, Any]:
    """Control settings -> dotted scenario overrides, for the levers that differ from `spec`."""
    unknown = set(settings) - set(LEVERS_BY_PARAM)
    if unknown:
        raise ValueError(f"unknown lever(s): {', '.join(sorted(unknown))}")
    data = spec.model_dump()
    overrides: dict[str, Any] = {}
    for param, value in settings.items():
        lever = LEVERS_BY_PARAM[param]
        if value is None or _same(value, lever_value(spec, lever)):
            continue
        if lever.kind == "zone_total":
            overrides[lever.key] = split_zone_total(float(value), _lookup(data, lever.key))
        elif lever.kind == "slider" and lever.integer:
            overrides[lever.key] = int(round(value))
        elif lever.kind == "slider":
            overrides[lever.key] = float(value)
        else:
            overrides[lever.key] = value
    return overrides


def split_zone_total(total: float, per_county: dict[str, float]) -> dict[str, float]:
    """Split `total` across the counties in the proportions of `per_county` (equally if all zero)."""
    current = sum(per_county[c] for c in COUNTIES)
    if current <= 0:
        return {c: total / len(COUNTIES) for c in COUNTIES}
    return {c: total * per_county[c] / current for c in COUNTIES}


def describe_overrides(overrides: dict[str, Any]) -> list[str]:
    """Lever overrides in the controls' words, e.g. ``["HNTE mutual recognition: on"]``."""
    lines = []
    for lever in LEVERS:
        if lever.key not in overrides:
            continue
        value = overrides[lever.key]
        if lever.kind == "zone_total":
            value = sum(value[c] for c in COUNTIES)
        if isinstance(value, bool):
            text = "on" if value else "off"
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        from innosim.i18n import Labels

        lines.append(f"{lever_label(lever)}: {Labels().value(text) if isinstance(value, bool) else text}")
    return lines


def lever_label(lever: Lever) -> str:
    """The lever's label in the page's language (`innosim viz --lang`, or $INNOSIM_LANG): the
    glossary's name for its setting in Chinese, falling back to the English label."""
    from innosim.i18n import Labels

    labels = Labels()
    if not labels.chinese:
        return lever.label
    name = labels.setting(lever.key)
    return lever.label if name == lever.key else name


def control(lever: Lever, value: Any) -> dict[str, Any]:
    """Mesa `model_params` entry for one lever showing `value`."""
    if lever.kind == "toggle":
        return {"type": "Checkbox", "value": bool(value), "label": lever_label(lever)}
    if lever.kind == "choice":
        return {"type": "Select", "value": value, "values": list(lever.choices), "label": lever_label(lever)}
    high = max(lever.high, value)  # a file may hold more than the slider's usual range
    label = lever_label(lever)  # the slider's thumb shows its current value (the page's style keeps it visible)
    if lever.integer:
        return {"type": "SliderInt", "value": int(value), "min": int(lever.low), "max": int(math.ceil(high)),
                "step": int(lever.step), "label": label}
    return {"type": "SliderFloat", "value": float(value), "min": float(lever.low), "max": float(high),
            "step": float(lever.step), "label": label}


def _text(phrase: str) -> str:
    from innosim.i18n import Labels

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
    for lever in LEVERS:
        params[lever.param] = control(lever, lever_value(spec, lever))
    return params


def page_overrides() -> dict[str, Any]:
    """The `innosim viz --set` overrides, applied to every file the page opens."""
    import json
    import os

    from .server import OVERRIDES_ENV

    return json.loads(os.environ.get(OVERRIDES_ENV) or "{}")


def start_scale() -> float:
    """The scale the page starts at: `innosim viz --scale`, else `DEFAULT_SCALE`."""
    import os

    from .server import SCALE_ENV

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
        from innosim.scenario import apply_overrides, validate_data

        # the overrides come from the command line that started the page (checked there already)
        return validate_data(apply_overrides({}, overrides), "--set",
                             {tuple(k.split(".")): "--set" for k in overrides})
    try:
        from .server import FOLDER_ENV

        # the launcher names the picker's folder; a model made without it trusts its own file's folder
        check_extends(scenario_file, allowed_folders(os.environ.get(FOLDER_ENV) or find_scenario_dir(scenario_file)))
        return load_scenario(scenario_file, overrides, override_source="--set")
    except ScenarioError as exc:
        raise public_error(exc) from None


def public_error(exc: ScenarioError) -> ScenarioError:
    """The same error naming only the file and the key (the reason may quote the file's contents)."""
    name = Path(exc.file).name
    return ScenarioError(name, exc.key, f"cannot be used here (innosim validate {name} says why)")


def allowed_folders(picker_folder: str | Path | None = None) -> list[Path]:
    """Where the page's scenarios may live and what they may extend: the picker's folder, the
    calibration folder beside it, and the project's scenarios/ and calibration/."""
    import innosim

    from .server import FOLDER_ENV

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
            raise ScenarioError(scenario_file, key, "cannot be read") from None
        if not any(real.is_relative_to(folder) for folder in folders):
            raise ScenarioError(scenario_file, key, "may only name files in the scenario and calibration folders")
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
        raise ValueError(f"the seed must be a whole number, got {text!r}") from None


def find_scenario_dir(scenario_file: str | Path | None = None) -> Path | None:
    """Where the picker looks: the given file's folder, else ./scenarios, else the project's scenarios/."""
    if scenario_file is not None:
        return Path(scenario_file).resolve().parent
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here.resolve()
    import innosim

    project = Path(innosim.__file__).resolve().parents[2] / "scenarios"
    return project if project.is_dir() else None


def scenario_files(folder: str | Path | None) -> dict[str, Path]:
    """Scenario files in `folder` by name (file stem), sorted, baseline first."""
    if folder is None or not Path(folder).is_dir():
        return {}
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    paths.sort(key=lambda p: p.stem != "baseline")
    return {p.stem: p for p in paths}
