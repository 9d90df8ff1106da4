"""A CJK font for every figure: Noto Sans SC (SIL Open Font License 1.1), installed with innosim
from the PyPI package ``pylopdf-fonts-zh-cn``, registered with matplotlib's font manager when any
plotting module is imported. Latin text keeps matplotlib's DejaVu Sans; Chinese characters fall
back to Noto Sans SC, so 青浦, 吴江 and 嘉善 render on a machine without a CJK font of its own.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

CJK_FAMILY = "Noto Sans SC"


class _OneWeightFilter(logging.Filter):
    """Drop matplotlib's "Failed to find font weight bold for Noto Sans SC" notice: the bundled CJK
    font has one weight, so a bold title's Chinese characters are drawn at regular weight (by design,
    not a fault the reader can act on); the notice for any other family still shows."""

    def __init__(self, family: str):
        super().__init__()
        self.family = family

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg.startswith("findfont: Failed to find font weight")
                    and len(record.args or ()) > 1 and record.args[1] == self.family)


def cjk_font_file() -> Path | None:
    """The bundled Noto Sans SC file, or None when the font package is missing."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@functools.cache
def use_cjk_font() -> str | None:
    """Register the CJK font and put it after the default family as a fallback; returns its family
    name (None when the font is not installed: Chinese then renders as empty boxes)."""
    from matplotlib import font_manager, rcParams

    path = cjk_font_file()
    if path is None:
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    logging.getLogger("matplotlib.font_manager").addFilter(_OneWeightFilter(family))
    sans = list(rcParams["font.sans-serif"])
    if family not in sans:
        rcParams["font.sans-serif"] = [*sans[:1], family, *sans[1:]] if sans else [family]
    families = rcParams["font.family"]
    families = [families] if isinstance(families, str) else list(families)
    if family not in families:
        rcParams["font.family"] = [*families, family]
    return family
