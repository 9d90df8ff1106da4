"""Turn pydantic's and PyYAML's errors into problems a planner can act on: file, line, key path,
reason, a hint.

A planner should read "policy.vouchers.subsidy_share: must be at most 1 (got 15); a share is
written as a fraction: 15 % is 0.15", not "Input should be less than or equal to 1". Every
problem of one validation is reported, each at the line of the file that set the key. The reason
in words is `reasons`' part (`plain_reason`, `yaml_problem`); this module finds where.
"""

from __future__ import annotations

import difflib
import functools
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from innosim.i18n import msg
from innosim.yamlsafe import MAX_BYTES

from .errors import SHOWN_PROBLEMS, ScenarioError, ScenarioProblems
from .reasons import plain_reason
from .regions import canonical_key

#: Keys a scenario file may hold that are not settings of the schema.
FILE_KEYS = ("extends",)
#: libyaml's parser where PyYAML has it: ten times faster on a 1 MB file (issue 19), with a nesting limit.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------- where a key is written
@functools.lru_cache(maxsize=64)
def _key_lines_cached(path: str, mtime: float) -> dict[tuple, int]:
    try:
        if Path(path).stat().st_size > MAX_BYTES:  # read_yaml refuses such a file: no lines to find
            return {}
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=FAST_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    lines: dict[tuple, int] = {}
    def walk(node, prefix: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = (*prefix, str(key_node.value))
                lines.setdefault(key, key_node.start_mark.line + 1)
                # a key written in Chinese (嘉善, policy.vouchers.scope.嘉善) is found by its schema key too
                lines.setdefault((*prefix, canonical_key(str(key_node.value))), key_node.start_mark.line + 1)
                walk(value_node, key)
                if key[-1] != canonical_key(key[-1]):
                    walk(value_node, (*prefix, canonical_key(key[-1])))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault((*prefix, str(i)), item.start_mark.line + 1)
                walk(item, (*prefix, str(i)))

    try:
        walk(root, ())
    except RecursionError:
        pass
    return lines


def key_lines(path: str | Path) -> dict[tuple, int]:
    """Key path (as text) -> line number (1-based) where the key is written in the YAML file."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    return _key_lines_cached(str(path), mtime)


def line_of(path: str | Path, loc: tuple) -> int | None:
    """The line of the deepest part of `loc` written in `path` (None when the file lacks it). A key
    written dotted (``policy.vouchers.scope.jiashan`` under a change's ``set:``, a factor's name) is
    found from `loc`'s parts: the longest run of them that is a key is taken at each level."""
    lines = key_lines(path)
    loc = tuple(str(x) for x in loc)
    prefix: tuple = ()
    found, i = None, 0
    while i < len(loc):
        for j in range(len(loc), i, -1):
            key = (*prefix, ".".join(loc[i:j]))
            if key in lines:
                prefix, found, i = key, lines[key], j
                break
        else:
            break
    return found


def first_comment(text: str) -> str:
    """The comment block a file opens with (``# ...`` lines), as one line of text."""
    words = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if words:
                break
            continue
        if not line.startswith("#"):
            break
        words.append(line.lstrip("#").strip())
    return " ".join(w for w in words if w)


# ---------------------------------------------------------------- did you mean
def suggest(word: str, choices) -> str:
    """``; did you mean 'policy'?`` for a close choice, else nothing."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return msg("; did you mean {choice!r}?", choice=close[0]) if close else ""


def _model_of(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _section_of(annotation) -> type[BaseModel] | None:
    """The model `annotation` is, through Annotated and unions (``X | None``), not inside containers."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (dict, list) or isinstance(annotation, type):
        return None
    for arg in typing.get_args(annotation):
        found = _section_of(arg)
        if found is not None:
            return found
    return None


def _item_of(annotation) -> Any:
    """What a dict (its values) or list (its items) in `annotation` holds, else None."""
    origin = typing.get_origin(annotation)
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is list:
        return typing.get_args(annotation)[0]
    if isinstance(annotation, type):
        return None
    for arg in typing.get_args(annotation):
        found = _item_of(arg)
        if found is not None:
            return found
    return None


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """The keys a mapping at `loc` may hold, walking the schema through sections and through the
    mappings and lists of sections a file names freely (``factors.NAME``, ``points.0``); None where
    `loc` is not a section."""
    annotation: Any = model
    for part in loc:
        section = _section_of(annotation)
        if section is not None:
            field = section.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        else:
            annotation = _item_of(annotation)
            if annotation is None:
                return None
    section = _section_of(annotation)
    return list(section.model_fields) if section is not None else None


# ---------------------------------------------------------------- every problem of a validation
#: Problems found in detail (hints, lines); a message shows 20 (errors.SHOWN_PROBLEMS), so more is waste.
DETAILED = 200


#: Parts of a pydantic location that name a branch of a union, not a key of the file.
_BRANCHES = ("str", "int", "float", "bool", "none", "any")


def _model_names() -> set[str]:
    names, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__name__ not in names:
                names.add(sub.__name__)
                todo.append(sub)
    return names


def _loc_key(loc: tuple, models: set[str] | None = None) -> tuple:
    """The key path of a pydantic location: without `[key]` and the names of union branches
    (``list[float]``, ``function-after[...]``, ``FactorSpec``)."""
    if not any(isinstance(x, str) and (x[:1].isupper() or x in _BRANCHES or "[" in x or "-" in x) for x in loc):
        return loc
    models = _model_names() if models is None else models
    return tuple(x for x in loc if not (isinstance(x, str) and (
        x == "[key]" or "[" in x or x.startswith(("function-", "constrained-")) or x in _BRANCHES
        or x in models)))


def _dotted(loc: tuple) -> str:
    return ".".join(str(x) for x in _loc_key(loc))


def sections_with(model: type[BaseModel], key: str, prefix: tuple = ()) -> list[str]:
    """Dotted paths of the schema where `key` is a setting (to say where a misplaced key belongs)."""
    found = []
    for name, field in model.model_fields.items():
        if name == key and prefix:
            found.append(".".join((*prefix, name)))
        nested = _model_of(field.annotation)
        if nested is not None:
            found += sections_with(nested, key, (*prefix, name))
    return found


def pydantic_problems(exc: ValidationError, file: str | Path, origin: Mapping[tuple, Any] | None = None,
                      model: type[BaseModel] | None = None, extra_keys: tuple[str, ...] = FILE_KEYS,
                      prefix: tuple = ()) -> list[ScenarioError]:
    """Every error of `exc` as a `ScenarioError` in plain words, blamed on the file that set the
    key (`origin`: key path -> file), with its line, and a "did you mean" for unknown keys.
    `prefix`: where in the file the validated data sits (``("keep",)`` for a value of `keep:`).

    Lines are found for the first `DETAILED`, hints for the `SHOWN_PROBLEMS` a message shows (in
    the order it shows them): a file of 43,524 unknown keys once took 17 s (issue 19)."""
    problems: list[tuple[ScenarioError, dict]] = []
    rest: list[ScenarioError] = []  # beyond DETAILED: listed without hints or lines (counted, seldom shown)
    seen: set[tuple] = set()
    origin = origin or {}
    commands = {key: source for key, source in origin.items() if str(source).startswith("--")}
    models = _model_names()
    for error in exc.errors():
        loc = (*prefix, *_loc_key(tuple(error["loc"]), models))
        reason = plain_reason(error)
        if len(problems) >= DETAILED:
            rest.append(ScenarioError(_blame(origin, loc, file, commands), _dotted(loc), reason))
            continue
        culprit = _blame(origin, loc, file, commands)
        line = None if str(culprit).startswith("<") or str(culprit).startswith("--") else line_of(culprit, loc)
        if (loc, reason) in seen:
            continue
        seen.add((loc, reason))
        problems.append((ScenarioError(culprit, _dotted(loc), reason, line), error))
    problems = _without_explained(problems)
    problems.sort(key=lambda pair: (pair[0].file != str(file), pair[0].file, pair[0].line or 0,
                                    pair[1]["type"] == "missing"))
    shown = [_with_hint(p, error, model, extra_keys) if i < SHOWN_PROBLEMS else p
             for i, (p, error) in enumerate(problems)]
    return shown + rest


def _without_explained(problems: list[tuple[ScenarioError, dict]]) -> list[tuple[ScenarioError, dict]]:
    """Without a "missing" key that a misspelt sibling explains (``from_screenin`` for ``from_screening``:
    its "did you mean" says all)."""
    unknown = {}
    for _, error in problems:
        if error["type"] == "extra_forbidden" and error["loc"]:
            unknown.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    if not unknown:
        return problems

    def explained(error: dict) -> bool:
        loc = tuple(error["loc"])
        return (error["type"] == "missing" and bool(loc)
                and bool(difflib.get_close_matches(str(loc[-1]), unknown.get(loc[:-1], []), n=1, cutoff=0.6)))

    return [pair for pair in problems if not explained(pair[1])]


# ---------------------------------------------------------------- the one translator
def translate(exc: ValidationError | ScenarioError, file: str | Path, *, model: type[BaseModel] | None = None,
              origin: Mapping[tuple, Any] | None = None, prefix: tuple = (),
              extra_keys: tuple[str, ...] = FILE_KEYS) -> ScenarioError:
    """What a validation of any file kind (scenario, experiment, spec, targets, parameters) or of
    ``--set`` raises: every problem at once, each with its file (`origin` says which file of an
    `extends:` chain set a key), line, plain reason and "did you mean"; a message lists the first
    `SHOWN_PROBLEMS` and counts the rest. A `ScenarioError` (a check of the tool's own) comes back
    with the line of its key where the file has it."""
    if isinstance(exc, ValidationError):
        problems = pydantic_problems(exc, file, origin, model, extra_keys, prefix)
    else:  # lines for the problems a message shows (a file of 43,524 unknown keys: issue 19)
        problems = [located(p) for p in exc.problems[:SHOWN_PROBLEMS]] + list(exc.problems[SHOWN_PROBLEMS:])
    if len(problems) == 1:
        return problems[0]
    return ScenarioProblems(problems)


def validated(model: type[BaseModel], data: Any, file: str | Path, origin: Mapping[tuple, Any] | None = None,
              prefix: tuple = (), extra_keys: tuple[str, ...] = FILE_KEYS) -> Any:
    """`model` validated from a file's data, or `translate`'s error with every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, file, model=model, origin=origin, prefix=prefix, extra_keys=extra_keys) from None


def _key_path(key: str) -> tuple:
    """``points[0].x`` -> ("points", "0", "x")."""
    return tuple(part for part in re.split(r"[.\[\]]+", key) if part)


def located(problem: ScenarioError) -> ScenarioError:
    """`problem` with the line where its file writes its key (as it is, when unknown or not a file)."""
    if problem.line or not problem.key or str(problem.file).startswith(("<", "--")) \
            or Path(problem.file).suffix.lower() not in (".yaml", ".yml"):
        return problem
    line = line_of(problem.file, _key_path(problem.key))
    return problem if line is None else ScenarioError(problem.file, problem.key, problem.reason, line)


def _with_hint(problem: ScenarioError, error: dict, model: type[BaseModel] | None,
               extra_keys: tuple[str, ...]) -> ScenarioError:
    """`problem` with a "did you mean" (or where a misplaced key belongs) when one helps."""
    loc, hint = _loc_key(tuple(error["loc"])), ""
    if model is not None and error["type"] == "extra_forbidden" and loc:
        choices = allowed_keys(model, loc[:-1]) or []
        if len(loc) == 1:
            choices = [*choices, *extra_keys]
        hint = suggest(loc[-1], choices)
        if not hint:
            homes = [h for h in sections_with(model, str(loc[-1])) if h != _dotted(loc)]
            if homes:
                hint = msg("; {key!r} is a setting of {section}: check the indentation", key=loc[-1],
                           section=homes[0].rsplit('.', 1)[0])
    elif model is not None and error["type"] == "literal_error" and isinstance(error.get("input"), str):
        expected = (error.get("ctx") or {}).get("expected", "")
        options = [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip(" '")]
        hint = suggest(error["input"], options)
    if not hint:
        return problem
    return ScenarioError(problem.file, problem.key, problem.reason + hint, problem.line)


def _blame(origin: Mapping[tuple, Any], loc: tuple, default: str | Path,
           commands: Mapping[tuple, Any] | None = None) -> str | Path:
    """The file that set the deepest part of `loc` (an error in an inherited value names its file); a
    command line (--set) that wrote below `loc` is blamed before the file whose value it changed.
    `commands`: the items of `origin` from the command line, found once for many errors (a loop over
    all of `origin` per error took minutes for 43,524 unknown keys, issue 19)."""
    if commands is None:
        commands = {key: source for key, source in origin.items() if str(source).startswith("--")}
    for key, source in commands.items():
        if len(key) > len(loc) and key[:len(loc)] == loc and str(source).startswith("--"):
            return source
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


__all__ = ["first_comment", "key_lines", "line_of", "located", "pydantic_problems", "suggest", "translate",
           "validated"]
