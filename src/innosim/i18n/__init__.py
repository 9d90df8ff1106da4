"""Labels in the reader's language: one glossary file per language (``zh.yaml`` beside this file).

``--lang zh`` or ``INNOSIM_LANG=zh`` chooses Chinese; English labels are the code's own names and
words. A name the glossary does not (yet) translate falls back to English, so a new indicator or
setting never breaks a report; `untranslated()` lists them for the translator.

    from innosim.i18n import Labels
    t = Labels("zh")
    t.place("jiashan")          # 嘉善
    t.indicator("hnte_stock")   # 高新技术企业存量
    t.text("In short")          # 要点

Messages of the command line and its errors (``ScenarioError`` reasons, progress and status lines,
click's usage errors) are English sentence frames written where they are raised, and translated
through the ``messages`` section of the glossary: ``msg("{file} does not exist", file=path)``. Their
language is that of the command being run: `set_message_lang` (the CLI does it before parsing, from
``--lang`` or ``$INNOSIM_LANG``), else ``$INNOSIM_LANG``, else English. File names, keys and values
are filled in as they are, never translated.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from pathlib import Path

import yaml

from innosim.catalogue import REGION_LABELS

LANG_ENV = "INNOSIM_LANG"
LANGUAGES = ("en", "zh")
SECTIONS = ("places", "indicators", "units", "settings", "values", "text", "messages")
_HERE = Path(__file__).resolve().parent
#: English place names (the catalogue's labels).
PLACE_NAMES_EN = REGION_LABELS


def glossary_path(lang: str) -> Path:
    return _HERE / f"{lang}.yaml"


@functools.cache
def glossary(lang: str) -> dict[str, dict[str, str]]:
    """The glossary of `lang` as section -> English key -> translation (empty for English)."""
    if lang == "en":
        return {section: {} for section in SECTIONS}
    path = glossary_path(lang)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {section: {str(k): str(v) for k, v in (data.get(section) or {}).items()} for section in SECTIONS}


def resolve_lang(lang: str | None = None) -> str:
    """The language asked for: `lang`, else $INNOSIM_LANG, else English; refuses an unknown one."""
    chosen = (lang or os.environ.get(LANG_ENV) or "en").strip().lower()
    chosen = {"zh-cn": "zh", "zh_cn": "zh", "cn": "zh", "chinese": "zh", "english": "en"}.get(chosen, chosen)
    if chosen not in LANGUAGES:
        raise ValueError(f"unknown language {chosen!r}: choose one of {', '.join(LANGUAGES)} "
                         f"(--lang or ${LANG_ENV})")
    return chosen


class Labels:
    """Translated labels for one language, falling back to English for a missing name."""

    def __init__(self, lang: str | None = None):
        self.lang = resolve_lang(lang)
        self._g = glossary(self.lang)

    @property
    def chinese(self) -> bool:
        return self.lang == "zh"

    def _get(self, section: str, key: str, fallback: str) -> str:
        return self._g[section].get(key, fallback)

    def place(self, key: str) -> str:
        return self._get("places", key, PLACE_NAMES_EN.get(key, key))

    def indicator(self, name: str) -> str:
        return self._get("indicators", name, name)

    def unit(self, unit: str) -> str:
        return self._get("units", unit, unit)

    def setting(self, dotted: str) -> str:
        """A setting's label, by its whole dotted key (``policy.vouchers.scope``: two settings ending
        alike never share a label); a county's value is its setting's label and the county's name;
        else the key itself."""
        if dotted in self._g["settings"]:
            return self._g["settings"][dotted]
        parts = dotted.split(".")
        if len(parts) > 1 and parts[-1] in PLACE_NAMES_EN:  # a per-county value: budget.jiashan
            parent = self.setting(".".join(parts[:-1]))
            if parent != ".".join(parts[:-1]):
                return f"{parent} ({self.place(parts[-1])})"
        return dotted

    def value(self, value) -> str:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return self._get("values", text, str(value))

    def text(self, phrase: str) -> str:
        return self._g["text"].get(phrase) or self._g["messages"].get(phrase, phrase)

    def say(self, phrase: str, **values) -> str:
        """A sentence frame in the reader's language, filled: `phrase` (English, with ``{name}`` and
        ``{name:.0f}`` fields) is the glossary key; the translation uses the same fields."""
        return self.text(phrase).format(**values)

    def both(self, name: str, kind: str = "indicator") -> str:
        """``高新技术企业存量 (hnte_stock)`` in Chinese, ``hnte_stock`` in English."""
        label = getattr(self, kind)(name)
        return f"{label} ({name})" if label != name else name


# ---------------------------------------------------------------- the command line's messages
_MESSAGE_LANG: contextvars.ContextVar[str | None] = contextvars.ContextVar("innosim_message_lang", default=None)


def message_lang() -> str:
    """The language of messages and errors: the one set for this command, else $INNOSIM_LANG, else English
    (an unknown $INNOSIM_LANG gives English here; the command refuses it with its usage error)."""
    chosen = _MESSAGE_LANG.get()
    if chosen:
        return chosen
    try:
        return resolve_lang(None)
    except ValueError:
        return "en"


@contextlib.contextmanager
def messages_in(lang: str | None):
    """Messages and errors in `lang` (None: from $INNOSIM_LANG) while the block runs."""
    try:
        chosen = resolve_lang(lang) if lang else None
    except ValueError:
        chosen = None
    token = _MESSAGE_LANG.set(chosen)
    try:
        yield
    finally:
        _MESSAGE_LANG.reset(token)


def msg(phrase: str, **values) -> str:
    """A message in the language of messages: `phrase` (an English frame with ``{name}`` fields) filled
    with `values`, translated by the glossary's ``messages`` (or ``text``) section when it has the frame."""
    lang = message_lang()
    frame = phrase if lang == "en" else Labels(lang).text(phrase)
    return frame.format(**values) if values else frame


def peek_lang(args) -> str | None:
    """The ``--lang`` an argument list gives (``--lang zh`` or ``--lang=zh``), read before click parses it."""
    args = list(args or [])
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


def region_aliases() -> dict[str, str]:
    """Every translated place name -> its key (青浦 -> qingpu, 上海中心城区 -> shanghai), all languages."""
    aliases: dict[str, str] = {}
    for lang in LANGUAGES:
        for key, label in glossary(lang)["places"].items():
            aliases[label] = key
    return aliases


def untranslated(lang: str, indicators: list[str], settings: list[str]) -> dict[str, list[str]]:
    """Names with no translation in `lang`: indicators, and settings (by their dotted keys)."""
    g, t = glossary(lang), Labels(lang)
    return {
        "indicators": [n for n in indicators if n not in g["indicators"]],
        "settings": [s for s in settings if t.setting(s) == s],
    }


__all__ = ["LANGUAGES", "LANG_ENV", "Labels", "glossary", "message_lang", "messages_in", "msg", "peek_lang",
           "region_aliases", "resolve_lang", "untranslated"]
