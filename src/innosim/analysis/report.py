"""Reports as Markdown and as one self-contained HTML page, from the same list of blocks.

`report.md` shows its plots from files beside it; `report.html` embeds them, so either can be
forwarded alone. Any tool (compare, sensitivity, calibration) builds a `Report` and calls `write`:

    report = Report("Sobol indices")
    report.paragraph("Indices over **120** runs; see `sobol.csv`.")
    report.table(frame)                  # a DataFrame of display text or numbers
    report.figure(path_to_png, "First-order and total indices")
    report.write(out_dir)                # -> report.md, report.html (atomically)
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from innosim.io import write_text_atomic

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #333;padding-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafafa}code{background:#f4f4f4;padding:0 .2em}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em}.note{color:#555;font-size:.9em}
table{max-width:100%}code{overflow-wrap:anywhere}
@media (max-width:900px){body{padding:0 .5em;margin:1em auto}table{font-size:.78em}th,td{padding:.2em .3em}}
"""


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table: `digits` significant figures, thousands separated, blank when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def fmt_interval(mean: float, low: float, high: float, signed: bool = False, digits: int = 3) -> str:
    """``12.3 [10.1, 14.5]``; with `signed`, a leading + on positive numbers."""
    def one(x: float) -> str:
        text = fmt(x, digits)
        return f"+{text}" if signed and x is not None and not math.isnan(x) and x > 0 else text
    if low is None or math.isnan(low):
        return one(mean)
    return f"{one(mean)} [{one(low)}, {one(high)}]"


_LEFT = ' style="text-align:left"'


def _inline_html(text: str) -> str:
    """The little Markdown used in paragraphs and cells: **bold**, `code`, [text](link)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', text)
    # a long name (full_integration) may break after an underscore on a narrow screen (not inside a tag)
    return re.sub(r"(?<=[A-Za-z])_(?=[A-Za-z])(?![^<]*>)", "_<wbr>", text)


def _text_columns(frame: pd.DataFrame) -> list[bool]:
    """Which columns to align left: the first, and those holding words rather than numbers."""
    numeric = re.compile(r"^\**[-+–−]?[\d.,]")
    return [i == 0 or not all(numeric.match(str(v)) or str(v) in ("", "–") for v in frame.iloc[:, i])
            for i in range(frame.shape[1])]


def _cell_md(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


@dataclass
class Report:
    """A document as a list of blocks: headings, paragraphs, lists, tables, figures."""

    title: str
    blocks: list[tuple] = field(default_factory=list)
    lang: str = "en"

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", text, level))

    def paragraph(self, text: str, note: bool = False) -> None:
        self.blocks.append(("paragraph", text, note))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(("bullets", list(items)))

    def table(self, frame: pd.DataFrame, caption: str = "") -> None:
        self.blocks.append(("table", frame.copy(), caption))

    def figure(self, path: str | Path, caption: str) -> None:
        self.blocks.append(("figure", Path(path), caption))

    # -- rendering -------------------------------------------------------------------------
    def to_markdown(self, base: str | Path = ".") -> str:
        """Markdown; figures are linked relative to `base` (the folder the file is written to)."""
        lines = [f"# {self.title}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                lines += ["#" * block[2] + " " + block[1], ""]
            elif kind == "paragraph":
                lines += [f"*{block[1]}*" if block[2] else block[1], ""]
            elif kind == "bullets":
                lines += [f"- {item}" for item in block[1]] + [""]
            elif kind == "table":
                frame, caption = block[1], block[2]
                if caption:
                    lines += [caption, ""]
                header = [_cell_md(c) for c in frame.columns]
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "|".join(":--" if left else "--:" for left in _text_columns(frame)) + "|")
                lines += ["| " + " | ".join(_cell_md(v) for v in row) + " |" for row in frame.itertuples(index=False)]
                lines.append("")
            elif kind == "figure":
                path, caption = block[1], block[2]
                lines += [f"![{caption}]({_relative(path, base)})", "", f"*{caption}*", ""]
        return "\n".join(lines)

    def to_html(self, embed: bool = True, base: str | Path = ".") -> str:
        """One HTML page; with `embed`, figures are inlined as base64 PNG so the page stands alone."""
        parts = ["<!DOCTYPE html>", f'<html lang="{html.escape(self.lang)}"><head><meta charset="utf-8">',
                 f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>",
                 f"<h1>{html.escape(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                level = min(block[2], 6)
                parts.append(f"<h{level}>{_inline_html(block[1])}</h{level}>")
            elif kind == "paragraph":
                css = ' class="note"' if block[2] else ""
                parts.append(f"<p{css}>{_inline_html(block[1])}</p>")
            elif kind == "bullets":
                parts.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in block[1]) + "</ul>")
            elif kind == "table":
                frame, caption = block[1], block[2]
                left = _text_columns(frame)
                head = "".join(f"<th>{_inline_html(str(c))}</th>" for c in frame.columns)
                body = "".join("<tr>" + "".join(f"<td{_LEFT if a else ''}>{_inline_html(str(v))}</td>"
                                                for v, a in zip(row, left, strict=True)) + "</tr>"
                               for row in frame.itertuples(index=False))
                cap = f"<caption>{_inline_html(caption)}</caption>" if caption else ""
                parts.append(f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif kind == "figure":
                path, caption = block[1], block[2]
                if embed:
                    data = base64.b64encode(path.read_bytes()).decode("ascii")
                    src = f"data:image/png;base64,{data}"
                else:
                    src = html.escape(_relative(path, base))
                parts.append(f'<figure><img src="{src}" alt="{html.escape(caption)}">'
                             f"<figcaption>{_inline_html(caption)}</figcaption></figure>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write(self, out_dir: str | Path, stem: str = "report") -> tuple[Path, Path]:
        """Write `<stem>.md` and `<stem>.html` into `out_dir`, each by an atomic rename."""
        out_dir = Path(out_dir)
        md = write_text_atomic(out_dir / f"{stem}.md", self.to_markdown(out_dir))
        page = write_text_atomic(out_dir / f"{stem}.html", self.to_html(embed=True))
        return md, page


def _relative(path: Path, base: str | Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


__all__ = ["Report", "fmt", "fmt_interval"]
