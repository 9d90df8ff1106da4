"""Reading YAML that may be hostile, and quoting values in messages without echoing them whole.

Every file kind (scenarios, experiments, sweeps, calibration targets and parameters) is read by
`innosim.scenario.read_yaml`, which uses these helpers:

- `compose_bounded`: builds the YAML node graph (where an alias is a reference, so a "billion
  laughs" document stays small) and refuses a document whose expansion (every alias copied out)
  would exceed a small multiple of its own size, or that refers to itself, before any value is
  built. Files over `MAX_BYTES` are refused unread.
- `non_finite`: the first NaN or infinity in the data (``.nan``, ``.inf``), by key path: no setting
  of the model is meaningfully infinite, and a NaN compares false with every bound.
- `excerpt` / `got`: a value as a short, bounded repr for an error message (never the whole of an
  expanded value), with a hint for YAML 1.1's reading of ``1e-3`` as text.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Iterator
from typing import Any

import yaml

#: No scenario, experiment, sweep or calibration file comes near this.
MAX_BYTES = 1_000_000
#: A document may expand (aliases copied out) to this many times its own nodes, plus some slack.
EXPANSION_FACTOR = 10
EXPANSION_SLACK = 1_000
#: Characters of a value quoted in an error message.
EXCERPT_CHARS = 80

_SHORT = reprlib.Repr()
_SHORT.maxstring = EXCERPT_CHARS
_SHORT.maxother = EXCERPT_CHARS
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6
_SHORT.maxlevel = 3

# YAML 1.1 (PyYAML) needs a dot for a float: 1e-3 and 2E5 are read as text
_FLOAT_WITHOUT_DOT = re.compile(r"^[-+]?\d+[eE][-+]?\d+$")


class UnsafeYaml(ValueError):
    """A document refused before its values are built: the key path (or "") and the reason."""

    def __init__(self, key: str, reason: str):
        self.key, self.reason = key, reason
        super().__init__(f"{key}: {reason}" if key else reason)


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short repr of `value` (nested containers and long text abbreviated with '...')."""
    text = _SHORT.repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def float_hint(value: Any) -> str:
    """A hint when `value` is text YAML 1.1 did not read as a number (``1e-3``), else ''."""
    if isinstance(value, str) and _FLOAT_WITHOUT_DOT.match(value.strip()):
        mantissa, _, exponent = value.strip().lower().partition("e")
        if exponent[0] not in "+-":  # YAML 1.1 reads 2.0e5 as text too: the exponent needs its sign
            exponent = "+" + exponent
        from innosim.i18n import msg

        return msg("; YAML reads {value} as text: write {number}", value=value.strip(),
                   number=f"{mantissa}.0e{exponent}")
    return ""


def got(value: Any) -> str:
    """`` (got <excerpt>)`` for an error message, with the `float_hint` where it applies."""
    from innosim.i18n import msg

    return msg(" (got {value})", value=f"{excerpt(value)}{float_hint(value)}")


def _expanded_size(root: yaml.Node, distinct: dict[int, int]) -> int:
    """Nodes the document holds once every alias is copied out; `distinct` collects node sizes by id.

    Iterative (no recursion limit) and linear in the distinct nodes: a node shared by aliases is
    sized once. A node that contains itself is refused."""
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            distinct[key] = 1 + sum(distinct[id(child)] for child in _children(node))
            continue
        if key in distinct:
            continue
        if key in on_path:
            raise UnsafeYaml("", f"line {node.start_mark.line + 1}: an alias refers to the value that contains it")
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise UnsafeYaml("", f"line {child.start_mark.line + 1}: an alias refers to the value "
                                     "that contains it")
            if id(child) not in distinct:
                stack.append((child, False))
    return distinct[id(root)]


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def compose_bounded(loader: yaml.BaseLoader) -> yaml.Node | None:
    """The loader's single document as nodes, refused (`UnsafeYaml`) when aliases would blow it up."""
    node = loader.get_single_node()
    if node is None:
        return None
    distinct: dict[int, int] = {}
    expanded = _expanded_size(node, distinct)
    limit = EXPANSION_FACTOR * len(distinct) + EXPANSION_SLACK
    if expanded > limit:
        raise UnsafeYaml("", f"aliases (*name) would expand {len(distinct):,} values to {expanded:,}, "
                             f"more than {limit:,}: write the values out, or use extends:")
    return node


def load_bounded(text: str, loader_class: type[yaml.SafeLoader]) -> Any:
    """Parse `text` with `loader_class` after `compose_bounded` has checked the document."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise UnsafeYaml("", f"larger than {MAX_BYTES:,} bytes (no settings file needs that much)")
    loader = loader_class(text)
    try:
        # without an alias (*name) nothing is shared and nothing expands: skip the walk (issue 19: a second for 1 MB)
        node = compose_bounded(loader) if "*" in text else loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def non_finite(data: Any, prefix: str = "") -> tuple[str, float] | None:
    """(dotted key path, value) of the first NaN or infinity in `data`, or None."""
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path, value
        if isinstance(value, dict):
            items = [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))
    return None


def refuse_non_finite(data: Any, prefix: str = "") -> None:
    """Raise `UnsafeYaml` naming the key of the first NaN or infinity in `data`."""
    found = non_finite(data, prefix)
    if found is not None:
        key, value = found
        raise UnsafeYaml(key, f"must be a finite number (got {value!r})")


__all__ = ["EXCERPT_CHARS", "MAX_BYTES", "UnsafeYaml", "compose_bounded", "excerpt", "float_hint", "got",
           "load_bounded", "non_finite", "refuse_non_finite"]
