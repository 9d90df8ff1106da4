"""Places written in Chinese wherever a file or a command line names one: 青浦, 吴江, 嘉善,
上海中心城区 and 示范区 are read as qingpu, wujiang, jiashan, shanghai and zone.

A key may be a place (``budget: {嘉善: 12}``), hold one among dotted parts (``changes:`` and
``--set``: ``policy.vouchers.scope.嘉善``), and a few keys of experiment files take places as their
values (``county: 嘉善``, ``regions: [青浦, 嘉善]``). The names come from the glossaries
(`innosim.i18n.region_aliases`), so a language added there is read here without an edit.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from innosim.i18n import msg, region_aliases
from innosim.yamlsafe import excerpt

from .errors import ScenarioError

#: Keys of experiment and target files whose values name places (``county: 嘉善``, ``counties: [嘉善]``).
PLACE_VALUED = ("county", "counties", "region", "regions")


@functools.lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    return region_aliases()


def canonical_place(name: Any) -> Any:
    """The schema's key of a place written in any language (anything else as it is)."""
    return _aliases().get(name, name) if isinstance(name, str) else name


def canonical_key(key: Any) -> Any:
    """A key with its places as the schema's keys, part by part for a dotted key
    (``policy.vouchers.scope.嘉善`` -> ``policy.vouchers.scope.jiashan``)."""
    if not isinstance(key, str):
        return key
    if "." not in key:
        return canonical_place(key)
    return ".".join(canonical_place(part) for part in key.split("."))


def canonical_regions(data: Any, file: str | Path, place_valued: tuple[str, ...] = PLACE_VALUED) -> Any:
    """`data` with places written in Chinese as the schema's keys, in keys at any depth, in dotted
    keys, and in the values of `place_valued` keys; two spellings of one key are refused (naming
    `file`)."""
    if isinstance(data, list):
        return [canonical_regions(item, file, place_valued) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict = {}
    for key, value in data.items():
        canonical = canonical_key(key)
        if canonical in out:
            raise ScenarioError(file, excerpt(key)[1:-1], msg("{written} and {key!r} name the same place: keep one",
                                                             written=excerpt(key), key=canonical))
        if canonical in place_valued and isinstance(value, (str, list)):
            value = [canonical_place(v) for v in value] if isinstance(value, list) else canonical_place(value)
        out[canonical] = canonical_regions(value, file, place_valued)
    return out


__all__ = ["PLACE_VALUED", "canonical_key", "canonical_place", "canonical_regions"]
