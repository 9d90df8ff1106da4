"""A scenario or study file's problem in plain words, in the reader's language: one pydantic error
(`plain_reason`: "must be at most 1 (got 15); a share is written as a fraction: 15 % is 0.15", not
"Input should be less than or equal to 1") and one PyYAML syntax error (`yaml_problem`), with a
hint where a common slip explains it. Where the problem is written (file, line, key path) is
`diagnostics`' part.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

import yaml

from innosim.i18n import message_lang, msg
from innosim.yamlsafe import excerpt, float_hint


# ---------------------------------------------------------------- pydantic's errors
_KIND = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "text", "dict_type": "a mapping of settings",
    "list_type": "a list",
}
_BOUNDS = {"less_than_equal": ("le", "at most"), "less_than": ("lt", "less than"),
           "greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than")}


def _shown(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return msg("the date {date}", date=value.isoformat())
    if isinstance(value, Mapping):
        return msg("a mapping")
    if isinstance(value, list):
        return msg("a list")
    return excerpt(value, 60)  # a short excerpt, never a whole (expanded) value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def plain_reason(error: dict) -> str:
    """One pydantic error in plain words, with a hint where a common slip explains it."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":  # before the excerpt of the value: 43,524 of these took a second
        return msg("unknown key")
    if kind == "missing":
        return msg("missing: this setting must be given")
    ctx = error.get("ctx") or {}
    got = msg(" (got {value})", value=_shown(value))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if value is None:
            return msg("has no value: the settings under it must be indented below it "
                       "(e.g. two spaces more than this key)")
        return msg("must be a mapping of settings, one `key: value` per line below it{got}", got=got)
    if kind == "string_type" and isinstance(value, (datetime.date, datetime.datetime)):
        return msg("must be a month written YYYY-MM in quotes, e.g. \"{month}\" "
                   "(got {value}: YAML reads an unquoted YYYY-MM-DD as a date)", month=f"{value:%Y-%m}",
                   value=_shown(value))
    if kind in _KIND:
        reason = msg("must be {kind}{got}", kind=msg(_KIND[kind]), got=got)
        if float_hint(value) and kind.startswith(("float", "int")):
            reason += float_hint(value)  # YAML 1.1 reads 1e-3 (no dot) as text
        elif isinstance(value, str) and kind.startswith(("float", "int")):
            try:
                float(value)
                reason += msg(": write the number without quotes")
            except ValueError:
                pass
        if isinstance(value, str) and kind.startswith("bool") and value.lower() in ("yes", "no", "on", "off"):
            reason += msg(": write true or false")
        return reason
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        bound = ctx.get(name)
        reason = (msg(f"must be {words} {{bound}}{{got}}", bound=f"{bound:g}", got=got)
                  if isinstance(bound, (int, float)) else f"{error['msg']}{got}")
        number = _number(value)
        if kind in ("less_than_equal", "less_than") and bound == 1 and number is not None and 2 <= number <= 100:
            reason += msg("; a share is written as a fraction: {number} % is {share}", number=f"{number:g}",
                          share=f"{number / 100:g}")
        return reason
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return (msg("must be {expected}{got}", expected=expected, got=got) if expected
                else msg("must be one of the choices{got}", got=got))
    if kind in ("value_error", "assertion_error"):  # a validator's own message: msg() made it in the reader's language
        message = error["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    if kind in _PYDANTIC_WORDS and message_lang() != "en":  # pydantic's own words: English as pydantic wrote them
        frame, with_got = _PYDANTIC_WORDS[kind]
        try:
            return msg(frame, **ctx) + (got if with_got else "")
        except (KeyError, IndexError, ValueError):
            pass
    return f"{error['msg']}{got}"


#: pydantic's messages for the constraints of the study files' schemas (lengths, patterns), told in the reader's
#: language amid Chinese: kind -> (frame with the fields of pydantic's ``ctx``, whether the value is shown).
_PYDANTIC_WORDS = {
    "too_short": ("must hold at least {min_length} items, not {actual_length}", False),
    "too_long": ("must hold at most {max_length} items, not {actual_length}", False),
    "string_too_short": ("must be at least {min_length} characters long", True),
    "string_too_long": ("must be at most {max_length} characters long", False),
    "string_pattern_mismatch": ("must match the pattern {pattern}", True),
    "finite_number": ("must be a finite number", True),
}


# ---------------------------------------------------------------- PyYAML's errors
def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


#: PyYAML's (and libyaml's) words for the common syntax errors, as message frames: a problem or context
#: matching a pattern is told in the reader's language, with the characters and tokens it names as they
#: are; one no pattern matches stays as PyYAML wrote it. English keeps PyYAML's own words.
_YAML_PHRASES = tuple((re.compile(pattern), frame) for pattern, frame in (
    (r"mapping values are not allowed (?:here|in this context)", "mapping values are not allowed here"),
    (r"mapping keys are not allowed (?:here|in this context)", "mapping keys are not allowed here"),
    (r"(?:block )?sequence entries are not allowed (?:here|in this context)",
     "sequence entries (- ...) are not allowed here"),
    (r"could not find expected ':'", "could not find the expected ':'"),
    (r"found character (?P<char>'.{1,4}') that cannot start any token", "found the character {char}, which cannot start a value"),
    (r"found character that cannot start any token", "found a character that cannot start a value"),
    (r"found a tab character (?:that violates indentation|where an indentation space is expected)",
     "found a tab where indentation must be spaces"),
    (r"did not find expected key", "did not find the expected key"),
    (r"did not find expected '-' indicator", "did not find the expected '-' of a list item"),
    (r"did not find expected '(?P<a>.)' or '(?P<b>.)'", "did not find the expected {a} or {b}"),
    (r"expected '(?P<a>.)' or '(?P<b>.)', but got '?(?P<token>[^']*)'?", "expected {a} or {b}, but found {token}"),
    (r"expected <block end>, but found '?(?P<token>[^']*)'?", "expected the end of the indented block, but found {token}"),
    (r"did not find expected node content", "did not find the expected value"),
    (r"found unexpected end of stream", "the file ends unexpectedly"),
    (r"found unexpected ':'", "found an unexpected ':'"),
    (r"found unknown escape character (?P<char>'.+')", "found an unknown escape character {char}"),
    (r"found unknown escape character", "found an unknown escape character"),
    (r"found undefined alias (?P<name>'.+')", "found an undefined alias {name}"),
    (r"found undefined alias", "found an undefined alias"),
    (r"but found another document", "but found another document (---)"),
    (r"expected a single document in the stream", "expected a single document in the file"),
    (r"while scanning a simple key", "while reading a key"),
    (r"while scanning for the next token", "while reading the next item"),
    (r"while scanning an? (?:double-|single-)?quoted scalar", "while reading a quoted text"),
    (r"while parsing a quoted scalar", "while reading a quoted text"),
    (r"while scanning a plain scalar", "while reading a value"),
    (r"while scanning a block scalar", "while reading a block of text (| or >)"),
    (r"while parsing a block mapping", "while reading an indented mapping"),
    (r"while parsing a block collection", "while reading an indented list"),
    (r"while parsing a flow mapping", "while reading a mapping in braces"),
    (r"while parsing a flow sequence", "while reading a list in brackets"),
    (r"while parsing a (?:block |flow )?node", "while reading a value"),
))


def yaml_words(text: str) -> str:
    """A PyYAML problem or context in the reader's language (as it is in English, or when unknown)."""
    if message_lang() == "en":
        return text
    for pattern, frame in _YAML_PHRASES:
        found = pattern.fullmatch(text.strip())
        if found:
            return msg(frame, **found.groupdict())
    return text


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """(line, reason) of a YAML syntax error, without PyYAML's ``<unicode string>``."""
    mark = getattr(exc, "problem_mark", None)
    problem = _short(getattr(exc, "problem", None) or type(exc).__name__)  # never the whole str(exc):
    context = _short(getattr(exc, "context", None) or "")  # it may quote the file's lines
    line = mark.line + 1 if mark is not None else None
    reason = msg("not valid YAML: {problem}", problem=yaml_words(problem))
    if context:
        reason += msg(" ({context})", context=yaml_words(context))
    if mark is not None:
        reason += msg(" at line {line}, column {column}", line=mark.line + 1, column=mark.column + 1)
        if "mapping values are not allowed" in problem or "expected <block end>" in problem:
            reason += msg("; check the indentation and that each `key: value` has a space after the colon")
    return line, reason


__all__ = ["plain_reason", "yaml_problem", "yaml_words"]
