"""A CJK font for the visual server's page under ``--lang zh``, with no network and no system font.

The page's text (Vuetify's labels, sliders, headings) is drawn by the browser, which takes Chinese from a
system font; a fresh Linux machine or a container often has none and shows empty boxes. Figures use
Noto Sans SC from the font package innosim installs (`innosim.fonts`); this module cuts from the same file
the glyphs of the glossary (`i18n/zh.yaml`: every label the page can show) and of CJK punctuation, and
embeds them in the page's CSS as an ``@font-face`` (about 160 kB of OpenType, 215 kB as base64; built once
per server process in about 2 s, with fontTools, which matplotlib already requires). Chinese outside the
glossary (a scenario's own name or description) falls back to the browser's system font.
"""

from __future__ import annotations

import base64
import functools
import io

from innosim.fonts import CJK_FAMILY, cjk_font_file

#: The family name the page's CSS gives the embedded subset (not the system's "Noto Sans SC", if any).
PAGE_FAMILY = "innosim CJK"
#: CJK punctuation and full-width forms, always kept.
PUNCTUATION = "".join(map(chr, [*range(0x3000, 0x3040), *range(0xFF00, 0xFF70)]))


def glossary_characters() -> str:
    """Every non-Latin character the Chinese glossary holds, with CJK punctuation."""
    from innosim.i18n import glossary_path

    text = glossary_path("zh").read_text(encoding="utf-8")
    return "".join(sorted({c for c in text if ord(c) > 0x2E7F} | set(PUNCTUATION)))


@functools.cache
def font_face_css() -> str:
    """``@font-face`` with the glossary's glyphs (base64 OpenType), and the page's text using it before
    the system's fonts; "" when the font package is missing (the browser's own fonts are then used)."""
    path = cjk_font_file()
    if path is None:
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = [], ["*"], True
    font = TTFont(str(path), lazy=False)
    cutter = subset.Subsetter(options)
    cutter.populate(text=glossary_characters())
    cutter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    stack = (f'Roboto, "{PAGE_FAMILY}", "{CJK_FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", '
             '"Microsoft YaHei", "PingFang SC", sans-serif')
    return (f'@font-face {{ font-family: "{PAGE_FAMILY}"; font-display: swap; '
            f'src: url(data:font/otf;base64,{data}) format("opentype"); }}\n'
            f".v-application, .v-application .text-h1, .v-application .text-h2, .v-application .text-h3, "
            f".v-application .text-h4, .v-application .text-h5, .v-application .text-h6, .v-application "
            f".text-body-1, .v-application .text-body-2, .v-application .text-caption {{ font-family: {stack} "
            "!important; }\n")


def page_css(lang: str) -> str:
    """The font CSS of the page in `lang`: the embedded subset for Chinese, nothing for English."""
    return font_face_css() if lang == "zh" else ""


__all__ = ["PAGE_FAMILY", "font_face_css", "glossary_characters", "page_css"]
