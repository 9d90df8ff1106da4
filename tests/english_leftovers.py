"""The English left in a Chinese (`--lang zh`) report, its PNGs and the command's messages.

Text is gathered from what the reader sees:

- report.md / report.html (and dose.md, robustness.md, ...): the Markdown, or the HTML's text with
  `<code>`, `<style>` and `<script>` left out and attributes ignored (an `<img>`'s base64 is no text);
- figures: `collect_figure_text()` wraps `matplotlib.figure.Figure.savefig`, and after each save (so
  tick labels are drawn) takes the text of every `Text` artist of the figure: titles, axis labels,
  tick labels, legend entries, annotations, colour-bar labels. This sees every string drawn whichever
  API put it there (set_title, legend(label=...), ax.text, fig.suptitle), which a check of the
  arguments to a few functions would not, and needs no OCR of the pixels;
- CLI output: the text click echoed.

Then `leftovers(text)` drops what is allowed to stay as it is: `code spans` (keys, file names,
expressions the user typed), link and image targets, paths and file names (`out/levers`, `effects.csv`),
numbers, and the words of `ALLOWED` (proper names of methods and authors, statistics' symbols, the
formats named as such) and of `extra` (the names the user gave: an experiment's name, lever labels).
What remains and is an ASCII word of three or more letters is English left untranslated.

    from tests.english_leftovers import assert_chinese, collect_figure_text
    with collect_figure_text() as figures:
        ... run the command with --lang zh ...
    assert_chinese(report_md.read_text(), figures.text, extra={"tiny"})
"""

from __future__ import annotations

import contextlib
import html.parser
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Words a Chinese report may keep: proper names (methods, software, authors, the model), symbols of
#: statistics and formats a reader knows by their Latin name. Units and place names are not here:
#: the glossary translates them (百万元, 嘉善).
ALLOWED = frozenset("""
innosim Mesa SALib pymoo NSGA NSGA-II EMA Workbench PRIM Sobol Saltelli Morris Jansen Janon Nodet Prieur
Spearman Pearson Bonferroni Efron Tibshirani Friedman Fisher Bryant Lempert Deb Law Latin Matern
Gaussian Laplace Pareto Zipf Axtell Chen Liu Suarez Serrato Gaussian PRESS Dask SQLite YAML JSON CSV PNG
HTML Markdown Python max min mu sigma rho
""".split())

WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z'’-]*[A-Za-z]")


def _strip(text: str) -> str:
    """`text` without what is not prose: code spans, link targets, paths, file names, URLs."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)           # keep a link's words, drop its target
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"(?<!\S)(?:~|\.{1,2})?/\S*|[A-Za-z]:\\\S*", " ", text)   # paths: /tmp/x, ./x, ~/x, C:\x
    text = re.sub(r"\S+/\S+/\S*|\S+/\S+\.\w+", " ", text)              # out/levers/x, figures/fit.png
    text = re.sub(r"\b[\w.-]+\.(csv|png|md|html|json|yaml|yml|sqlite|txt|svg)\b", " ", text, flags=re.I)
    text = re.sub(r"\b\w+(\.\w+)+\b", " ", text)                      # dotted keys: policy.vouchers.budget
    text = re.sub(r"\b\w*_\w*\b", " ", text)                          # snake_case keys: hnte_stock
    text = re.sub(r"--[\w-]+", " ", text)                             # options: --lang
    text = re.sub(r"\\[A-Za-z]+", " ", text)                          # TeX of tick labels: \mathdefault{10^{2}}
    text = re.sub(r"(?<![A-Za-z])[+-]?(nan|inf)(?![A-Za-z])", " ", text)   # numbers that are not
    return text


class _HtmlText(html.parser.HTMLParser):
    SKIP = {"code", "style", "script"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def html_text(page: str) -> str:
    """The text a reader of an HTML page sees (code left out)."""
    parser = _HtmlText()
    parser.feed(page.replace("<wbr>", ""))   # a line-break hint inside a word (hnte_<wbr>stock) is not a space
    return "\n".join(parser.parts)


def report_text(path: str | Path) -> str:
    """The prose of a report file: Markdown as it is, HTML as its visible text."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return html_text(text) if path.suffix.lower() in (".html", ".htm") else text


def _words_of(names: Iterable[str]) -> set[str]:
    return {w for name in names for w in WORD.findall(str(name))}


def leftovers(text: str, extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(word, its line) for every English word of 3+ letters in `text` outside the allow-lists."""
    allowed = ALLOWED | _words_of(extra)
    found = []
    for line in text.splitlines():
        for word in WORD.findall(_strip(line)):
            if len(word) >= 3 and word not in allowed and word.strip("'’-") not in allowed:
                found.append((word, line.strip()))
    return found


def assert_chinese(*texts: str, extra: Iterable[str] = (), where: str = "") -> None:
    """Fails naming each English word left (and the line it is on) in any of `texts`."""
    found = [hit for text in texts for hit in leftovers(text, extra)]
    if found:
        lines = "\n".join(f"  {word!r} in: {line[:160]}" for word, line in found[:40])
        more = f"\n  ... and {len(found) - 40} more" if len(found) > 40 else ""
        raise AssertionError(f"{len(found)} English word(s) left{' in ' + where if where else ''}:\n{lines}{more}")


@dataclass
class FigureText:
    """The strings drawn on every figure saved while collecting, by file name."""

    by_file: dict[str, list[str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(s for strings in self.by_file.values() for s in strings)


def figure_strings(fig) -> list[str]:
    """Every non-empty string a figure draws (call after it was drawn, e.g. saved)."""
    import matplotlib.text

    strings = []
    for artist in fig.findobj(matplotlib.text.Text):
        if artist.get_visible():
            text = artist.get_text().strip()
            if text:
                strings.append(text.replace("$", ""))
    return strings


@contextlib.contextmanager
def collect_figure_text():
    """While active, every `Figure.savefig` also records the figure's drawn text (see module doc)."""
    import matplotlib.figure

    collected = FigureText()
    original = matplotlib.figure.Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        result = original(self, fname, *args, **kwargs)
        collected.by_file.setdefault(Path(str(fname)).name, []).extend(figure_strings(self))
        return result

    matplotlib.figure.Figure.savefig = savefig
    try:
        yield collected
    finally:
        matplotlib.figure.Figure.savefig = original


__all__ = ["ALLOWED", "FigureText", "assert_chinese", "collect_figure_text", "figure_strings", "html_text",
           "leftovers", "report_text"]
