"""Load scenario YAML into one validated `Scenario`.

A file may say ``extends: other.yaml`` (a path relative to the file) and override any part of it;
mappings merge key by key, anything else is replaced. Every problem is raised as a
`ScenarioError` naming the file, the key path and the reason, before anything runs.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from innosim.yamlsafe import MAX_BYTES, UnsafeYaml, excerpt, load_bounded, refuse_non_finite

from .diagnostics import FAST_LOADER, first_comment, line_of, pydantic_problems
from .reasons import yaml_problem
from .errors import ScenarioError, raise_all
from innosim.i18n import msg

from .regions import canonical_key, canonical_regions
from .schema import COUNTIES, Scenario


class _PlainLoader(FAST_LOADER):
    """YAML as plain data: no tags, no duplicate keys."""


def _refuse_tag(loader, tag_suffix, node):
    raise yaml.constructor.ConstructorError(
        None, None, msg("tag {tag} is not allowed (scenario files hold plain data only)", tag=excerpt(node.tag)), node.start_mark
    )


def _mapping_without_duplicates(loader: _PlainLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, msg("duplicate key {key}", key=excerpt(key)), key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_PlainLoader.add_multi_constructor("!", _refuse_tag)
_PlainLoader.add_multi_constructor("tag:", _refuse_tag)
_PlainLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _explicit_tag(text: str) -> yaml.Token | None:
    if "!" not in text:  # every tag begins with "!": no need to scan (a second, for a 1 MB file)
        return None
    for token in yaml.scan(text, Loader=FAST_LOADER):
        if isinstance(token, yaml.TagToken):
            return token
    return None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read one YAML file as a plain mapping, or raise ScenarioError naming the file.

    Hostile files are bounded (`innosim.yamlsafe`): size, alias expansion, tags, NaN and infinity."""
    path = Path(path)
    text = _read_text(path)
    try:
        tag = _explicit_tag(text)
        if tag is not None:
            line = tag.start_mark.line + 1
            raise ScenarioError(path, "", msg("line {line}: YAML tags such as {tag} are not allowed (plain data only)",
                                              line=line, tag=excerpt(tag.value[0] + tag.value[1])))
        data = load_bounded(text, _PlainLoader)
    except ScenarioError:
        raise
    except UnsafeYaml as exc:
        raise ScenarioError(path, exc.key, exc.reason) from None
    except yaml.YAMLError as exc:
        line, reason = yaml_problem(exc)
        raise ScenarioError(path, "", reason, line) from None
    except RecursionError:
        raise ScenarioError(path, "", msg("not valid YAML: nested too deeply")) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, "", msg("the top level must be a mapping of keys, not {kind}",
                                              kind=type(data).__name__))
    for key in data:
        if not isinstance(key, str):
            raise ScenarioError(path, excerpt(key), msg("keys must be text"))
    try:
        refuse_non_finite(data)
    except UnsafeYaml as exc:
        raise ScenarioError(path, exc.key, exc.reason) from None
    return data


#: Characters of a --set value: a setting is a number, a word or a small mapping.
MAX_VALUE_CHARS = 10_000
#: Brackets nested in a --set value: no setting is deeper than a few (PyYAML takes seconds to fail deeper).
MAX_VALUE_DEPTH = 20


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        deepest = max(deepest, depth)
    return deepest


def read_yaml_value(text: str, source: str, key: str) -> Any:
    """One value written on a command line (``--set KEY=VALUE``), read as a file's values are: plain
    data only (no tags; no anchors, which a command line never needs), bounded in size and depth."""
    if len(text) > MAX_VALUE_CHARS:
        raise ScenarioError(source, key, msg("the value is {n} characters long, more than {limit}",
                                             n=f"{len(text):,}", limit=f"{MAX_VALUE_CHARS:,}"))
    if _bracket_depth(text) > MAX_VALUE_DEPTH:
        raise ScenarioError(source, key, msg("the value is nested too deeply"))
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.TagToken, yaml.AnchorToken, yaml.AliasToken)):
                kind = "tags" if isinstance(token, yaml.TagToken) else "anchors and aliases"
                raise ScenarioError(source, key, msg(f"YAML {kind} are not allowed in a value (plain data only): "
                                                     "{value}", value=excerpt(text)))
        value = load_bounded(text, _PlainLoader)
        refuse_non_finite(value, key)
    except ScenarioError:
        raise
    except UnsafeYaml as exc:
        raise ScenarioError(source, exc.key or key, exc.reason) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, key, msg("the value {value} is {problem}", value=excerpt(text),
                                                 problem=yaml_problem(exc)[1])) from None
    except RecursionError:
        raise ScenarioError(source, key, msg("the value is nested too deeply")) from None
    return value


def _read_text(path: Path) -> str:
    """The file's text, or a ScenarioError saying why it cannot be read (not its contents)."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ScenarioError(path, "", msg("not a file (a folder or a device?)"))
        if size > MAX_BYTES:
            raise ScenarioError(path, "", msg("larger than {limit} bytes (no settings file needs that much)",
                                              limit=f"{MAX_BYTES:,}"))
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", msg("file not found")) from None
    except UnicodeDecodeError:
        raise ScenarioError(path, "", msg("not UTF-8 text")) from None
    except OSError as exc:  # permission denied, a symlink loop, a folder, ...
        raise ScenarioError(path, "", msg("cannot be read: {why}", why=exc.strerror or type(exc).__name__)) from None


def _names_counties(value: Any) -> bool:
    return isinstance(value, Mapping) and any(key in COUNTIES for key in value)


def _county_mapping(value: Any) -> Any:
    """One value written for all counties, as the mapping it is a shorthand for."""
    if isinstance(value, (Mapping, list)) or value is None:
        return value
    return {c: value for c in COUNTIES}


def setting_at(data: Any, key: str | tuple) -> Any:
    """The value at a dotted key (``policy.vouchers.budget``) or key path of nested mappings, or None
    where the data has no such key."""
    for part in key.split(".") if isinstance(key, str) else key:
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """Merge `override` into a copy of `base`: mappings key by key, anything else replaced.

    A per-county mapping over one value written for all counties keeps that value for the
    counties it does not name (``scope: zone`` then ``scope: {jiashan: zone_shanghai}``)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if _names_counties(value) and key in merged:
            merged[key] = _county_mapping(merged[key])
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _leaf_paths(data: Mapping, prefix: tuple = ()) -> list[tuple]:
    paths = []
    for key, value in data.items():
        path = (*prefix, key)
        paths.append(path)
        if isinstance(value, Mapping):
            paths.extend(_leaf_paths(value, path))
    return paths


#: Files a chain of `extends:` may hold: deeper chains are refused at the file that would go deeper.
MAX_EXTENDS_DEPTH = 20


def _chain_text(seen: tuple[Path, ...], path: Path | str) -> str:
    """The chain of files, its middle elided past six (a message stays one readable line)."""
    files = [*(str(p) for p in seen), str(path)]
    if len(files) > 6:
        files = [*files[:3], msg("... ({n} more)", n=len(files) - 5), *files[-2:]]
    return " -> ".join(files)


def resolve_chain(path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict, dict[tuple, Path]]:
    """Follow `extends:` and merge, returning the merged data and which file set each key path.

    A problem with a file that another one extends names the file that asked for it and the
    chain (``a.yaml -> b.yaml -> /etc/passwd``). A file without settings is refused. Every file is
    read bounded (`read_yaml`), and a message quotes only short excerpts of what a file says."""
    try:
        path = _resolved(Path(path))
    except ScenarioError as exc:
        if not _seen:
            raise
        raise _cannot_build_on(_seen, path, exc) from None
    if path in _seen:
        cycle = " -> ".join(p.name for p in (*_seen, path))
        raise ScenarioError(_seen[-1], "extends", msg("cycle of extends: {cycle}", cycle=cycle), line_of(_seen[-1], ("extends",)))
    if len(_seen) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(_seen[-1], "extends", msg("a chain of extends may hold at most {n} files; this one goes deeper "
                                                      "here (chain: {chain})", n=MAX_EXTENDS_DEPTH,
                                                  chain=_chain_text(_seen, path)),
                            line_of(_seen[-1], ("extends",)))
    try:
        data = read_yaml(path)
    except ScenarioError as exc:
        if not _seen:
            raise
        raise _cannot_build_on(_seen, path, exc) from None
    if not data:
        reason = msg("the file is empty (no settings): a scenario needs at least `extends:` or one setting")
        if _seen:
            raise _cannot_build_on(_seen, path, ScenarioError(path, "", reason))
        raise ScenarioError(path, "", reason)
    data = canonical_regions(data, path)
    parent = data.pop("extends", None)
    origin: dict[tuple, Path] = {}
    merged: dict = {}
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(path, "extends", msg("must be the path of another scenario file"),
                                line_of(path, ("extends",)))
        parent_path = (path.parent / parent)
        if not (parent_path.exists() or parent_path.is_symlink()):  # a symlink loop is reported as one
            chain = msg(" (chain: {chain})", chain=_chain_text(_seen, path)) if _seen else ""
            raise ScenarioError(path, "extends", msg("file not found: {file}{chain}", file=excerpt(parent)[1:-1],
                                                     chain=chain),
                                line_of(path, ("extends",)))
        merged, origin = resolve_chain(parent_path, (*_seen, path))
    merged = deep_merge(merged, data)
    for leaf in _leaf_paths(data):
        origin[leaf] = path
    return merged, origin


def _cannot_build_on(seen: tuple[Path, ...], path: Path | str, exc: ScenarioError) -> ScenarioError:
    """A problem of an extended file, told as the problem of the file that asked for it, with the chain."""
    where = f"{exc.file}:{exc.line}" if exc.line else exc.file
    where = f"{where}: {exc.key}" if exc.key else where
    return ScenarioError(seen[-1], "extends", msg("cannot build on {where}: {reason} (chain: {chain})", where=where,
                                                  reason=exc.reason, chain=_chain_text(seen, path)),
                         line_of(seen[-1], ("extends",)))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        raise ScenarioError(path, "", msg("cannot be read: a loop of symbolic links")) from None


def apply_overrides(data: dict, overrides: Mapping[str, Any] | None) -> dict:
    """Set dotted keys (``policy.vouchers.scope``) on a copy of scenario data.

    One county of a setting written for all (``policy.vouchers.scope.jiashan`` over ``scope: zone``)
    keeps the others' value; a mapping value merges into the mapping it replaces."""
    data = copy.deepcopy(data)
    for dotted, value in canonical_overrides(overrides).items():
        keys = dotted.split(".")
        node = data
        for key, below in itertools.pairwise(keys):
            child = node.get(key)
            if below in COUNTIES and child is not None:
                child = _county_mapping(child)
            if not isinstance(child, dict):
                child = {}
            node[key] = child
            node = child
        last = keys[-1]
        if isinstance(value, Mapping) and last in node:
            node[last] = deep_merge({last: node[last]}, {last: value})[last]
        else:
            node[last] = copy.deepcopy(value)
    return data


def canonical_overrides(overrides: Mapping[str, Any] | None, source: str = "<overrides>") -> dict[str, Any]:
    """Dotted overrides with places written in Chinese as the schema's keys, in the keys
    (``policy.vouchers.scope.嘉善``) and in mapping values (``{嘉善: 12}``); two spellings of one key
    are refused, naming `source`."""
    out: dict[str, Any] = {}
    for dotted, value in (overrides or {}).items():
        key = canonical_key(dotted)
        if key in out:
            raise ScenarioError(source, dotted, msg("{written} and {key!r} name the same setting: keep one",
                                                     written=excerpt(dotted), key=key))
        out[key] = canonical_regions(value, source)
    return out


def _default_data() -> dict:
    return Scenario().model_dump(mode="python")


def validate_data(data: dict, file: str | Path, origin: dict[tuple, Path] | None = None) -> Scenario:
    """Validate merged scenario data onto the defaults, or raise ScenarioError with every problem
    (each naming the file that set the key, its line and the reason in plain words)."""
    full = deep_merge(_default_data(), data)
    try:
        scenario = Scenario.model_validate(full)
    except ValidationError as exc:
        raise_all(pydantic_problems(exc, file, origin, model=Scenario))
        raise  # not reached: pydantic reports at least one error
    _check_changes(scenario, full, file, origin or {})
    return scenario


def _check_changes(scenario: Scenario, full: dict, file: str | Path, origin: Mapping[tuple, Any]) -> None:
    """Each dated change, applied on top of the scenario and the changes before it, must give a
    valid scenario; a problem names the file, the change's index and the key it sets. Every change
    is checked (a bad one is left out of those after it), and every problem raised at once."""
    where = origin.get(("changes",), file)
    overrides: dict[str, Any] = {}
    problems: list[ScenarioError] = []
    for index, change in scenario.changes_in_order():
        trial = {**overrides, **change.settings}
        try:
            Scenario.model_validate(apply_overrides(full, trial))
        except ValidationError as exc:
            for problem in pydantic_problems(exc, where, model=Scenario):
                key = next((k for k in change.settings if _related(k, problem.key)), None)
                loc = ("changes", str(index), "set", *((key,) if key else ()))
                reason = problem.reason if key in (None, problem.key) else f"{problem.key}: {problem.reason}"
                problems.append(ScenarioError(where, ".".join(loc), reason,
                                              None if str(where).startswith("<") else line_of(where, loc)))
            continue
        overrides = trial
    raise_all(problems)


def _related(key: str, other: str) -> bool:
    return key == other or key.startswith(other + ".") or other.startswith(key + ".")


def policy_in_force(scenario: Scenario, month: str) -> Scenario:
    """The scenario with its dated changes from `month` (YYYY-MM) or before applied: the policy in
    force that month. The result keeps the list of changes; without a change due it is `scenario`."""
    overrides: dict[str, Any] = {}
    for _, change in scenario.changes_in_order():
        if change.month <= month:
            overrides.update(change.settings)
    if not overrides:
        return scenario
    return Scenario.model_validate(apply_overrides(scenario.model_dump(mode="python"), overrides))


def own_name_and_description(path: str | Path, origin: dict[tuple, Path], data: Mapping | None = None
                             ) -> dict[str, str]:
    """A scenario's name and description are its own, never inherited through `extends`: the file's
    `name:` else its file name, its `description:` else its opening comment. `data`: the merged
    settings of `path`'s chain, read already (where `origin` says `path` set the name, it is the file's)."""
    path = Path(path).resolve()
    data = read_yaml(path) if data is None else data
    own: dict[str, str] = {}
    if origin.get(("name",)) != path or not isinstance(data.get("name"), str):
        own["name"] = path.stem
    if origin.get(("description",)) != path:
        own["description"] = first_comment(path.read_text(encoding="utf-8"))
    return own


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None,
                  override_source: str = "<overrides>") -> Scenario:
    """Load, merge, override and validate one scenario file.

    `overrides` are dotted keys (``{"policy.vouchers.scope": "zone"}``); a problem with one of them
    is blamed on `override_source` (``--set`` on the command line) rather than on a file."""
    data, origin = resolve_chain(path)
    data = {**data, **own_name_and_description(path, origin, data)}
    overrides = canonical_overrides(overrides, override_source)
    data = apply_overrides(data, overrides)
    for dotted in overrides or {}:
        keys = tuple(dotted.split("."))
        for n in range(1, len(keys)):  # sections the override creates are the override's too
            origin.setdefault(keys[:n], override_source)
        origin[keys] = override_source
    return validate_data(data, path, origin)


def content_hash(scenario: Scenario) -> str:
    """A short hash of everything the model reads: equal hashes, equal scenarios."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
