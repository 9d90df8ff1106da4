"""Load scenario YAML into one validated `Scenario`.

A file may say ``extends: other.yaml`` (a path relative to the file) and override any part of it;
mappings merge key by key, anything else is replaced. Every problem is raised as a
`ScenarioError` naming the file, the key path and the reason, before anything runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from innosim.yamlsafe import MAX_BYTES, UnsafeYaml, excerpt, got, load_bounded, refuse_non_finite, yaml_problem

from .schema import Scenario


class ScenarioError(ValueError):
    """A scenario (or experiment, or target) file that cannot be used: file, key path, reason."""

    def __init__(self, file: str | Path, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {reason}")


class _PlainLoader(yaml.SafeLoader):
    """YAML as plain data: no tags, no duplicate keys."""


def _refuse_tag(loader, tag_suffix, node):
    raise yaml.constructor.ConstructorError(
        None, None, f"tag {excerpt(node.tag)} is not allowed (scenario files hold plain data only)", node.start_mark
    )


def _mapping_without_duplicates(loader: _PlainLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {excerpt(key)}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_PlainLoader.add_multi_constructor("!", _refuse_tag)
_PlainLoader.add_multi_constructor("tag:", _refuse_tag)
_PlainLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _explicit_tag(text: str) -> yaml.Token | None:
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
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
            raise ScenarioError(path, "", f"line {line}: YAML tags such as {excerpt(tag.value[0] + tag.value[1])} "
                                          "are not allowed (plain data only)")
        data = load_bounded(text, _PlainLoader)
    except ScenarioError:
        raise
    except UnsafeYaml as exc:
        raise ScenarioError(path, exc.key, exc.reason) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, "", f"not valid YAML: {yaml_problem(exc)}") from None
    except RecursionError:
        raise ScenarioError(path, "", "not valid YAML: nested too deeply") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, "", f"the top level must be a mapping of keys, not {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            raise ScenarioError(path, excerpt(key), "keys must be text")
    try:
        refuse_non_finite(data)
    except UnsafeYaml as exc:
        raise ScenarioError(path, exc.key, exc.reason) from None
    return data


def _read_text(path: Path) -> str:
    """The file's text, or a ScenarioError saying why it cannot be read (not its contents)."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ScenarioError(path, "", "not a file (a folder or a device?)")
        if size > MAX_BYTES:
            raise ScenarioError(path, "", f"larger than {MAX_BYTES:,} bytes (no settings file needs that much)")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "not UTF-8 text") from None
    except OSError as exc:  # permission denied, a symlink loop, a folder, ...
        raise ScenarioError(path, "", f"cannot be read: {exc.strerror or type(exc).__name__}") from None


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """Merge `override` into a copy of `base`: mappings key by key, anything else replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
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


def resolve_chain(path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict, dict[tuple, Path]]:
    """Follow `extends:` and merge, returning the merged data and which file set each key path."""
    path = _resolved(Path(path))
    if path in _seen:
        cycle = " -> ".join(p.name for p in (*_seen, path))
        raise ScenarioError(_seen[-1], "extends", f"cycle of extends: {cycle}")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    origin: dict[tuple, Path] = {}
    merged: dict = {}
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(path, "extends", "must be the path of another scenario file")
        parent_path = (path.parent / parent)
        if not (parent_path.exists() or parent_path.is_symlink()):
            raise ScenarioError(path, "extends", f"file not found: {excerpt(parent)}")
        try:
            merged, origin = resolve_chain(parent_path, (*_seen, path))
        except ScenarioError as exc:
            if exc.key or Path(exc.file) not in (parent_path, _resolved_or_same(parent_path)):
                raise
            raise ScenarioError(path, "extends", f"{excerpt(parent)[1:-1]}: {exc.reason}") from None
    merged = deep_merge(merged, data)
    for leaf in _leaf_paths(data):
        origin[leaf] = path
    return merged, origin


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        raise ScenarioError(path, "", "cannot be read: a loop of symbolic links") from None


def _resolved_or_same(path: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path


def apply_overrides(data: dict, overrides: Mapping[str, Any] | None) -> dict:
    """Set dotted keys (``policy.vouchers.scope``) on a copy of scenario data."""
    data = copy.deepcopy(data)
    for dotted, value in (overrides or {}).items():
        keys = dotted.split(".")
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[keys[-1]] = value
    return data


def _format_loc(loc: tuple) -> str:
    parts = []
    for item in loc:
        if item == "[key]":
            continue
        parts.append(str(item))
    return ".".join(parts)


def _blame(origin: dict[tuple, Path], loc: tuple, default: Path) -> Path:
    """The file that set the deepest part of `loc` (an error in an inherited value names its file)."""
    loc = tuple(x for x in loc if x != "[key]")
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


def _default_data() -> dict:
    return Scenario().model_dump(mode="python")


def validate_data(data: dict, file: str | Path, origin: dict[tuple, Path] | None = None) -> Scenario:
    """Validate merged scenario data onto the defaults, or raise ScenarioError."""
    full = deep_merge(_default_data(), data)
    try:
        return Scenario.model_validate(full)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        key = _format_loc(loc)
        culprit = _blame(origin or {}, loc, Path(file))
        reason = error["msg"]
        if error["type"] == "extra_forbidden":
            reason = "unknown key"
        elif "input" in error and error["type"] not in ("missing",) and not isinstance(error["input"], dict):
            reason = f"{reason}{got(error['input'])}"
        more = len(exc.errors()) - 1
        if more:
            reason += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ScenarioError(culprit, key, reason) from None


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load, merge, override and validate one scenario file."""
    data, origin = resolve_chain(path)
    data = apply_overrides(data, overrides)
    scenario = validate_data(data, path, origin)
    if "name" not in data:
        scenario = scenario.model_copy(update={"name": Path(path).stem})
    return scenario


def content_hash(scenario: Scenario) -> str:
    """A short hash of everything the model reads: equal hashes, equal scenarios."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
