"""Settings that validate but do not do what they seem to: warnings, not errors (the run is allowed).

A planner writes a scenario over a base (`extends:`), dated `changes:` over what is in force, and
``--set`` over the file. Three slips pass validation and change a run unseen:

- **no change**: a county's value equal to what the base (or, for a dated change, the policy in
  force) already has: listed as a change, it changes nothing;
- **narrower than the base**: a county's scope or switch that drops what the base gave
  (``scope.jiashan: zone`` leaves out the Shanghai providers Jiashan's baseline vouchers reached);
- **overridden or idle**: a setting another one makes moot (``hnte_recognition: own_province`` under
  ``hnte_mutual_recognition: true`` is widened to the zone: the wider of the two applies), or one
  that acts on nothing (settlement for vouchers spent at home only; equity settings while equity
  incentives are off).

Each warning names the file, the key as written (``changes.0.set.policy.vouchers.scope.jiashan``),
its line, and the value that will hold. `warnings_for(file)` is what ``innosim validate`` prints and
what a report shows at its top. The rules that decide what a setting reaches are restated here from
`innosim.model.policy` (a scenario imports no model); a test holds the two together.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from innosim.catalogue import PLACES as CATALOGUE_PLACES
from innosim.i18n import message_lang, msg

from .catalogue import schema_fields
from .diagnostics import line_of
from .loader import apply_overrides, canonical_overrides, load_scenario, read_yaml, resolve_chain
from .errors import ScenarioError, shown_key
from .regions import canonical_regions
from .schema import COUNTIES, PLACES, Scenario, by_county


@dataclass(frozen=True)
class ScenarioWarning:
    """A setting that validates but does nothing, is overridden, or narrows the base."""

    file: str
    key: str
    message: str
    line: int | None = None

    def one_line(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {shown_key(self.key)}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- what a setting reaches
#: Places a county's vouchers reach besides its own providers (model/policy.py VOUCHER_REACH).
VOUCHER_REACH = {"own_county": set(), "own_county_shanghai": {"shanghai"}, "zone": set(COUNTIES),
                 "zone_shanghai": set(PLACES)}
#: Places whose HNTE certificates a county honours at once besides its own province's (model/policy.py HONOURED).
HNTE_HONOURED = {"own_province": set(), "zone": set(COUNTIES), "zone_shanghai": set(PLACES)}
HNTE_SCOPES = tuple(HNTE_HONOURED)  # narrowest first
#: Where each place is, for "besides its own province's" (Qingpu and Shanghai's core: Shanghai).
PROVINCE = {place.key: place.province for place in CATALOGUE_PLACES}
PLACE_NAMES = {place.key: place.name for place in CATALOGUE_PLACES}


def hnte_scope(policy) -> dict[str, str]:
    """Each county's inbound HNTE scope in force: the wider of `hnte_recognition` and
    `hnte_mutual_recognition` (mutual recognition means at least the zone), as model/policy.py rules."""
    scope, mutual = by_county(policy.hnte_recognition), by_county(policy.hnte_mutual_recognition)
    return {c: max(scope[c], "zone" if mutual[c] else "own_province", key=HNTE_SCOPES.index) for c in COUNTIES}


def _name(place: str) -> str:
    """A place's name in the language of messages."""
    if message_lang() == "en":
        return PLACE_NAMES[place]
    from innosim.i18n import Labels

    return Labels(message_lang()).place(place)


def _places(names) -> str:
    names = [_name(p) for p in PLACES if p in names]
    if len(names) == 1:
        return names[0]
    return msg("{some} and {last}", some=msg(", ").join(names[:-1]), last=names[-1])


def voucher_places(county: str, scope: str) -> set[str]:
    return {county} | VOUCHER_REACH[scope]


def hnte_places(county: str, scope: str) -> set[str]:
    return {p for p in PLACES if PROVINCE[p] == PROVINCE[county]} | HNTE_HONOURED[scope]


# ---------------------------------------------------------------- values of a scenario
def _value(scenario: Scenario, field: str) -> Any:
    node: Any = scenario
    for part in field.split("."):
        node = getattr(node, part)
    return node


def _county_value(scenario: Scenario, field: str, county: str) -> Any:
    value = _value(scenario, field)
    return by_county(value)[county] if _is_per_county(scenario, field) else value


def _is_per_county(scenario: Scenario, field: str) -> bool:
    return field in _per_county_fields()


def _county_keyed(annotation) -> bool:
    """`annotation` is, or may be, a mapping county -> value (`types.county_values`, `types.per_county`)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict and args and set(typing.get_args(args[0])) == set(COUNTIES):
        return True
    return any(_county_keyed(arg) for arg in args if not isinstance(arg, (str, int, float)))


@functools.lru_cache(maxsize=1)
def _per_county_fields() -> frozenset[str]:
    return frozenset(".".join(path) for path, (field, _) in schema_fields().items() if _county_keyed(field.annotation))


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- what a file touches
@dataclass(frozen=True)
class _Touch:
    """One setting a file, a dated change or --set writes: the schema field, the county (None: all)."""

    field: str
    county: str | None
    key: str        # as the warning names it
    file: str
    line: int | None


def _field_paths() -> set[tuple]:
    return set(schema_fields())


def _touches_of(keys: Mapping[str, Any], where: str, key_prefix: str, line_for) -> list[_Touch]:
    """The fields and counties dotted `keys` (with their values) set."""
    fields, out = _field_paths(), []

    def add(path: tuple, value: Any, written: str) -> None:
        if path in fields:
            counties = [c for c in value if c in COUNTIES] if isinstance(value, Mapping) else []
            if counties:
                out.extend(_Touch(".".join(path), c, f"{key_prefix}{written}.{c}", where, line_for(written, c))
                           for c in counties)
            else:
                out.append(_Touch(".".join(path), None, f"{key_prefix}{written}", where, line_for(written, None)))
        elif path[:-1] in fields and path[-1] in COUNTIES:
            out.append(_Touch(".".join(path[:-1]), path[-1], f"{key_prefix}{written}", where,
                              line_for(written, None)))
        elif isinstance(value, Mapping):
            for sub, inner in value.items():
                add((*path, str(sub)), inner, f"{written}.{sub}")

    for dotted, value in keys.items():
        add(tuple(dotted.split(".")), value, dotted)
    return out


def _own_touches(path: Path, own: dict) -> list[_Touch]:
    """What the file itself writes (not its `changes:`)."""
    settings = {k: v for k, v in own.items() if k not in ("extends", "changes", "name", "description")}

    def line_for(written: str, county: str | None) -> int | None:
        return line_of(path, (*written.split("."), *((county,) if county else ())))

    flat = {key: value for key, value in settings.items()}
    return _touches_of(flat, str(path), "", line_for)


# ---------------------------------------------------------------- the checks
def _no_change(touches: list[_Touch], before: Scenario, after: Scenario, was: str,
               set_in_base) -> list[ScenarioWarning]:
    """Per-county values equal to the base's (`was`: where the base's value comes from)."""
    out = []
    for t in touches:
        if t.county is None or not _is_per_county(after, t.field) or not set_in_base(t):
            continue
        old, new = _county_value(before, t.field, t.county), _county_value(after, t.field, t.county)
        if old == new and type(old) is type(new):
            out.append(ScenarioWarning(t.file, t.key, msg("{value} is {place}'s value {was} already: no change",
                                                          value=_shown(new), place=_name(t.county), was=was),
                                       t.line))
    return out


def _narrowed(touches: list[_Touch], before: Scenario, after: Scenario, was: str,
              when: str = "") -> list[ScenarioWarning]:
    """Per-county scopes and switches that drop what the base gave, named with the value in force
    (`was`: where the base's value comes from, "in baseline.yaml"; `when`: " from 2021-07" for a change)."""
    out, done = [], set()
    now = when.strip() or msg("now")
    for t in touches:
        counties = [t.county] if t.county else list(COUNTIES)
        for c in counties:
            message, name = None, _name(c)
            if t.field == "policy.vouchers.scope":
                old, new = _county_value(before, t.field, c), _county_value(after, t.field, c)
                lost = voucher_places(c, old) - voucher_places(c, new)
                if lost:
                    keep = next(s for s in VOUCHER_REACH
                                if voucher_places(c, s) >= voucher_places(c, old) | voucher_places(c, new))
                    message = msg("{new}{when} narrows {name}'s voucher scope: {old} {was} also paid providers in "
                                  "{lost}; {now} {name}'s vouchers pay providers in {reach} only (write {keep} to "
                                  "keep {lost})", new=new, when=when, name=name, old=old, was=was,
                                  lost=_places(lost), now=now, reach=_places(voucher_places(c, new)), keep=keep)
            elif t.field in ("policy.hnte_recognition", "policy.hnte_mutual_recognition"):
                old, new = hnte_scope(before.policy)[c], hnte_scope(after.policy)[c]
                lost = hnte_places(c, old) - hnte_places(c, new)
                if lost:
                    message = msg("{value}{when} narrows {name}'s HNTE recognition: {old} {was} honoured "
                                  "certificates from {lost} at once; {now} {new} is in force, and a certified firm "
                                  "moving in from {lost} keeps its status only after {name}'s check",
                                  value=_shown(_county_value(after, t.field, c)), when=when, name=name, old=old,
                                  was=was, lost=_places(lost), now=now, new=new)
            elif t.field in _SWITCHES:
                old, new = _county_value(before, t.field, c), _county_value(after, t.field, c)
                if old is True and new is False:
                    message = msg("false{when} switches off {what} in {name} (true {was})", when=when,
                                  what=msg(_SWITCHES[t.field]), name=name, was=was)
            if message and (t.key, c) not in done:
                done.add((t.key, c))
                out.append(ScenarioWarning(t.file, t.key, message, t.line))
    return out


#: Per-county switches whose `false` takes away what `true` gave.
_SWITCHES = {"policy.vouchers.cross_county_settlement": "settlement with providers outside the county",
             "policy.talent_recognition": "recognition of the zone's talent qualifications",
             "policy.finance.cross_county_investment": "its funds' investment across the zone"}


def _idle(touches: list[_Touch], scenario: Scenario, when: str = "") -> list[ScenarioWarning]:
    """Settings another one overrides, or that act on nothing, in `scenario` (the policy in force)."""
    p, out, done = scenario.policy, [], set()
    hnte = hnte_scope(p)
    for t in touches:
        for c in [t.county] if t.county else list(COUNTIES):
            message = _idle_message(t.field, c, p, hnte, when)
            if message and (t.key, c) not in done:
                done.add((t.key, c))
                out.append(ScenarioWarning(t.file, t.key, message, t.line))
    return out


def _idle_message(field: str, c: str, p, hnte: dict[str, str], when: str) -> str | None:
    own, name = by_county(p.hnte_recognition)[c], _name(c)
    if field == "policy.hnte_recognition" and hnte[c] != own:  # (switching mutual recognition on widens on purpose)
        return msg("{own}{when} is overridden in {name}: policy.hnte_mutual_recognition.{c} is true, and the wider "
                   "of the two applies, so {scope} is in force ({name} honours certificates from {places} at once)",
                   own=own, when=when, name=name, c=c, scope=hnte[c], places=_places(hnte_places(c, hnte[c]) - {c}))
    budget = by_county(p.vouchers.budget)[c]
    if field.startswith("policy.vouchers.") and field != "policy.vouchers.budget" and budget == 0:
        return msg("does nothing{when}: {name} issues no vouchers (policy.vouchers.budget.{c} is 0)", when=when,
                   name=name, c=c)
    if field in ("policy.vouchers.cross_county_settlement", "policy.vouchers.scope") \
            and by_county(p.vouchers.cross_county_settlement)[c] and by_county(p.vouchers.scope)[c] == "own_county":
        return msg("cross_county_settlement does nothing{when} in {name}: its vouchers are spent in {name} only "
                   "(scope own_county)", when=when, name=name)
    if field.startswith("policy.equity_incentives.") and field != "policy.equity_incentives.enabled" \
            and not p.equity_incentives.enabled:
        return msg("does nothing{when}: equity incentives are off (policy.equity_incentives.enabled is false)",
                   when=when)
    idle = {"policy.rd_subsidy.threshold": ("rd_subsidy.share", "it pays no R&D subsidy"),
            "policy.rd_subsidy.cap_per_firm": ("rd_subsidy.share", "it pays no R&D subsidy"),
            "policy.cultivation.subsidy": ("cultivation.capacity", "its cultivation pool holds no firm"),
            "policy.finance.cross_county_investment": ("finance.fund_capital", "its funds have no capital"),
            "policy.incubation.stay_subsidy": ("incubation.capacity", "its incubators have no places")}
    if field in idle:
        setting, why = idle[field]
        acting = field in ("policy.rd_subsidy.threshold", "policy.rd_subsidy.cap_per_firm") \
            or by_county(_value_of(p, field))[c]
        if acting and by_county(_value_of(p, setting))[c] == 0:
            return msg("does nothing{when} in {name}: {why} (policy.{setting}.{c} is 0)", when=when, name=name,
                       why=msg(why), setting=setting, c=c)
    return None


def _value_of(policy, dotted: str) -> Any:
    """`policy`'s value at a dotted key, with or without its ``policy.`` prefix."""
    node = policy
    for part in dotted.removeprefix("policy.").split("."):
        node = getattr(node, part)
    return node


# ---------------------------------------------------------------- a scenario file's warnings
def warnings_for(path: str | Path, overrides: Mapping[str, Any] | None = None,
                 override_source: str = "--set") -> list[ScenarioWarning]:
    """The warnings of a valid scenario file (with `overrides`, as ``--set`` gives them): settings
    equal to the base's, narrower than the base's, overridden or idle; for what the file writes
    (against the file it `extends:`), for its dated `changes:` (against the policy in force before
    each), and for `overrides` (against the file). Raises ScenarioError if the file is not valid."""
    path = Path(path).resolve()
    overrides = canonical_overrides(overrides, override_source)
    scenario = load_scenario(path, overrides, override_source)
    own = read_yaml(path)
    own = canonical_regions(own, path)
    data, origin = resolve_chain(path)
    parent = own.get("extends")
    base, base_origin, base_name = None, {}, msg("the defaults")
    if isinstance(parent, str):
        parent_path = (path.parent / parent).resolve()
        base_name = parent_path.name
        try:  # a base that is valid only with what this file adds has no settings of its own to compare
            base, (_, base_origin) = load_scenario(parent_path, overrides, override_source), resolve_chain(parent_path)
        except ScenarioError:
            pass
    else:
        base = Scenario.model_validate(apply_overrides({}, overrides))
    set_by_command = set(overrides)

    def set_in_base(t: _Touch) -> bool:
        path_ = tuple(t.field.split("."))
        return path_ in base_origin or (*path_, t.county) in base_origin

    touches = [t for t in _own_touches(path, own)
               if not any(k == t.field or k == f"{t.field}.{t.county}" for k in set_by_command)]
    whole = {t.field for t in touches if sum(u.field == t.field and u.county is not None for u in touches) == 3}
    # a mapping of all three counties states the whole lever (as history.yaml does): only a county
    # written alone, or beside some others, is a slip when it equals the base
    out = _idle(touches, scenario)
    if base is not None:
        was = msg("in {base}", base=base_name)
        out += _no_change([t for t in touches if t.field not in whole], base, scenario, was, set_in_base)
        out += _narrowed(touches, base, scenario, was)
    if origin.get(("changes",)) == path:
        out += _change_warnings(path, scenario, base_name)
    if overrides:
        plain = load_scenario(path)
        touches = _touches_of(overrides, override_source, "", lambda written, county: None)
        was = msg("in {base}", base=path.name)
        out += _no_change(touches, plain, scenario, was, lambda t: True)
        out += _narrowed(touches, plain, scenario, was)
        out += _idle(touches, scenario)
    return _unique(out)


def _change_warnings(path: Path, scenario: Scenario, base_name: str) -> list[ScenarioWarning]:
    """Each dated change against the policy in force the month before it."""
    out = []
    settings = scenario.model_dump(mode="python")
    applied: dict[str, Any] = {}
    before = Scenario.model_validate({**settings, "changes": []})
    for index, change in scenario.changes_in_order():
        applied.update(change.settings)
        after = Scenario.model_validate(apply_overrides({**settings, "changes": []}, applied))

        def line_for(written: str, county: str | None, index=index) -> int | None:
            return line_of(path, ("changes", str(index), "set", written, *((county,) if county else ())))

        touches = _touches_of(change.settings, str(path), f"changes.{index}.set.", line_for)
        when = msg(" from {month}", month=change.month)
        was = (msg("before {month} ({base} and the changes before)", month=change.month, base=base_name) if index
               else msg("before {month} ({base})", month=change.month, base=base_name))
        for t in touches:
            old, new = (_county_value(s, t.field, t.county) if t.county else _value(s, t.field)
                        for s in (before, after))
            if old == new and type(old) is type(new):
                out.append(ScenarioWarning(t.file, t.key, msg("{value}{when} is the value in force {was} already: "
                                                              "no change", value=_shown(new), when=when, was=was),
                                           t.line))
        out += _narrowed(touches, before, after, was, when)
        out += _idle(touches, after, when)
        before = after
    return out


def _unique(warnings: list[ScenarioWarning]) -> list[ScenarioWarning]:
    seen, out = set(), []
    for w in warnings:
        if (w.file, w.key, w.message) not in seen:
            seen.add((w.file, w.key, w.message))
            out.append(w)
    return sorted(out, key=lambda w: (w.file, w.line or 0))


__all__ = ["ScenarioWarning", "hnte_scope", "warnings_for"]
