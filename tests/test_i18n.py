"""Chinese: one glossary, English fallback for untranslated names, Chinese region keys, and Chinese
labels that render in PNGs with the font innosim installs (no missing glyph)."""

from __future__ import annotations

import io
import json
import warnings

import pytest
from click.testing import CliRunner

from innosim.cli import main
from innosim.i18n import Labels, glossary, untranslated

from .conftest import SCENARIOS


def test_labels_fall_back_to_english_for_a_name_without_translation():
    t = Labels("zh")
    assert t.place("jiashan") == "嘉善" and t.indicator("hnte_stock") == "高新技术企业存量"
    assert t.indicator("hnte_renewed_not_yet_translated") == "hnte_renewed_not_yet_translated"
    assert t.setting("policy.vouchers.subsidy_share") == "补贴比例"
    assert Labels("en").place("jiashan") == "Jiashan"
    with pytest.raises(ValueError, match="unknown language"):
        Labels("fr")


def test_untranslated_names_are_listed_as_a_warning():
    """New indicators and settings appear here until a translator adds them to zh.yaml."""
    from innosim.model.indicators import INDICATORS
    from innosim.scenario.catalogue import catalogue

    missing = untranslated("zh", [i.name for i in INDICATORS],
                           [s.key for s in catalogue() if s.key.startswith(("policy.", "run."))])
    if missing["indicators"] or missing["settings"]:
        warnings.warn(f"not yet in src/innosim/i18n/zh.yaml: {missing}", UserWarning, stacklevel=1)
    assert set(glossary("zh")["places"]) == {"qingpu", "wujiang", "jiashan", "shanghai", "zone"}


def test_a_plot_with_chinese_labels_has_no_missing_glyph():
    import matplotlib.pyplot as plt

    import innosim.outputs  # noqa: F401 - registers the bundled CJK font
    from innosim.fonts import use_cjk_font

    assert use_cjk_font() is not None, "the CJK font package is not installed"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="嘉善")
        ax.set_title("高新技术企业存量：青浦、吴江、嘉善、上海中心城区")
        ax.legend()
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)


def test_a_bold_chinese_title_draws_without_a_font_notice(caplog):
    """The bundled CJK font has one weight: a bold county title falls back to it without matplotlib's
    "Failed to find font weight bold" notice on the reader's terminal (compare's panel titles are bold);
    the notice for another family still passes."""
    import io
    import logging

    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from innosim.fonts import use_cjk_font

    family = use_cjk_font()
    assert family is not None
    font_manager.fontManager._findfont_cached.cache_clear()  # look the font up afresh, as a new process does
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        fig, ax = plt.subplots()
        ax.set_title("嘉善", fontweight="bold")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
        logging.getLogger("matplotlib.font_manager").warning(
            "findfont: Failed to find font weight %s for %s, now using %s.", "bold", "Other Sans", 400)
    notices = [r.getMessage() for r in caplog.records if "Failed to find font weight" in r.getMessage()]
    assert notices == ["findfont: Failed to find font weight bold for Other Sans, now using 400."], notices


def test_run_in_chinese_prints_chinese_and_renders_without_missing_glyphs(tmp_path):
    scenario = tmp_path / "zh.yaml"
    scenario.write_text(f"# 嘉善单独扩大创新券\nextends: {SCENARIOS / 'baseline.yaml'}\nname: 嘉善创新券\n"
                        "run: {scale: 0.02}\npolicy:\n  vouchers:\n    budget: {嘉善: 16}\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = CliRunner(env={"INNOSIM_LANG": "zh"}).invoke(
            main, ["run", str(scenario), "--months", "3", "--out", str(tmp_path / "o"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "高新技术企业存量" in result.output and "嘉善" in result.output and "输出已写入" in result.output
    assert (tmp_path / "o" / "indicators.png").stat().st_size > 10_000
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["provenance"]["scenario"] == "嘉善创新券"


def test_a_chinese_comparison_report(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = CliRunner().invoke(main, [
            "compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "general_vouchers.yaml"),
            "--replicates", "2", "--scale", "0.02", "--months", "3", "--jobs", "1", "--no-progress",
            "--lang", "zh", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "c" / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# 情景比较") and "## 各情景改变的设置" in md and "## 结果的可信程度" in md
    assert "高新技术企业存量 (`hnte_stock`)" in md and "### 嘉善" in md
    assert '<html lang="zh-CN">' in (tmp_path / "c" / "report.html").read_text(encoding="utf-8")


def test_viz_lever_labels_follow_the_language(monkeypatch):
    from innosim.scenario import Scenario
    from innosim.viz.levers import LEVERS, model_params

    monkeypatch.setenv("INNOSIM_LANG", "zh")
    params = model_params(Scenario(), None)
    label = params["hnte_mutual_recognition_qingpu"]["label"]  # a per-county lever: a control per county
    assert label == "高新技术企业异地互认（青浦）"
    assert params["rng"]["label"] == "随机种子"
    english = [lever.label for lever in LEVERS]
    untranslated = [p["label"] for k, p in params.items()
                    if isinstance(p, dict) and p.get("label", "").startswith(tuple(english))]
    assert len(untranslated) < len(params) / 2  # most levers have a Chinese name
    monkeypatch.setenv("INNOSIM_LANG", "en")
    assert model_params(Scenario(), None)["hnte_mutual_recognition_qingpu"]["label"] == "HNTE mutual recognition (Qingpu)"
