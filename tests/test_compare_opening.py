"""The comparison report's opening, as a Jiashan planner reads it: the answer county by county with
hers first, in labels (English and Chinese), at the zone's full size; dated changes as before -> after
with their month; numbered change notes that do not overlap, on the panels of the counties they concern."""

from __future__ import annotations

import json
import re

import matplotlib
import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.analysis.compare.opening import county_key, inferred_focus, place_order
from innosim.analysis.compare.plots import mark_switches, numbered_switches
from innosim.cli import main
from innosim.cli.compare import value_before
from innosim.model import INDICATOR_NAMES

from .conftest import SCENARIOS

matplotlib.use("Agg")

SMALL = ["--replicates", "2", "--scale", "0.05", "--months", "24", "--seed", "3", "--jobs", "1", "--no-progress"]
#: The planner's scenario of the issue, dated within a two-year run.
PLANNER = """# Jiashan alone raises its voucher budget by half and opens its vouchers to the zone from 2019-07.
extends: {base}
name: jiashan_vouchers
changes:
  - from: "2019-07"
    note: "Jiashan's voucher budget up by half"
    set:
      policy.vouchers.budget.jiashan: 12.0
  - from: "2019-07"
    note: "Jiashan's vouchers usable anywhere in the zone"
    set:
      policy.vouchers.scope.jiashan: zone
"""
INTERVAL = re.compile(r"[-+]?\d[\d,.]* \[[-+]?\d[\d,.]*, [-+]?\d[\d,.]*\]")


def planner_scenario(folder):
    path = folder / "jiashan_vouchers.yaml"
    path.write_text(PLANNER.format(base=SCENARIOS / "baseline.yaml"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The planner's comparison in English and in Chinese (the second reuses the first's runs)."""
    folder = tmp_path_factory.mktemp("opening")
    scenario = planner_scenario(folder)
    out = {}
    for lang in ("en", "zh"):
        result = CliRunner().invoke(main, [str(a) for a in ["compare", SCENARIOS / "baseline.yaml", scenario,
                                                            "--out", folder / lang, "--lang", lang, *SMALL]])
        assert result.exit_code == 0, result.output
        out[lang] = folder / lang
    return out


def opening(folder) -> str:
    """The opening paragraph: the first paragraph under the report's first heading."""
    md = (folder / "report.md").read_text(encoding="utf-8")
    first = md.split("\n## ", 1)[1]
    return first.split("\n\n")[1]


def test_the_opening_paragraph_is_memo_ready(reports):
    text = opening(reports["en"])
    assert text.startswith("**jiashan vouchers** against **baseline**: changes at the zone's full size")
    for county in ("Jiashan", "Qingpu", "Wujiang"):
        assert f"**{county}**: HNTEs in 2020 " in text, county
    assert text.index("**Jiashan**") < text.index("**Qingpu**") < text.index("**Wujiang**")  # hers first
    assert len(INTERVAL.findall(text)) >= 8  # HNTEs and cost, each place, with their intervals
    assert text.count("M CNY a year") >= 4 and "per extra HNTE" in text
    assert "no clear change" in text
    # no internal name: no indicator or setting key, no code, no file name
    words = set(re.findall(r"[A-Za-z_.]+", text))
    assert not words & {name for name in INDICATOR_NAMES if "_" in name}
    assert "`" not in text and "policy." not in text
    assert not re.search(r"[a-z]_[a-z]", text)


def test_the_chinese_opening_is_chinese(reports):
    text = opening(reports["zh"])
    for county in ("嘉善", "青浦", "吴江", "示范区"):
        assert f"**{county}" in text, county
    assert text.index("嘉善") < text.index("青浦") and "百万元" in text and "无明显变化" in text
    assert len(INTERVAL.findall(text)) >= 8
    rest = text.replace("jiashan vouchers", "").replace("baseline", "")  # the scenarios' own names
    assert not re.search(r"[A-Za-z]", rest), re.findall(r"[A-Za-z]+", rest)


def test_money_and_counts_are_at_the_zones_full_size(reports):
    folder = reports["en"]
    text = opening(folder)
    zone = next(s for s in text.split("**") if "M CNY a year at the zone's full size" in s)
    assert INTERVAL.search(zone)  # the zone's public cost, said to be full size in its own sentence
    costs = pd.read_csv(folder / "public_cost_differences.csv")  # the runs' own values, at scale 0.05
    jiashan = costs[(costs["item"] == "public_cost") & (costs["region"] == "jiashan")].iloc[0]
    md = (folder / "report.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| Jiashan |"))
    from innosim.analysis.report import fmt_interval

    full = fmt_interval(jiashan["diff"] / 0.05, jiashan["ci_low"] / 0.05, jiashan["ci_high"] / 0.05, signed=True)
    assert full in row  # the table's cost: the run's divided by its scale
    diffs = pd.read_csv(folder / "differences.csv").set_index(["indicator", "region"])
    share = diffs.loc[("voucher_cross_share", "jiashan")]
    headline = md[md.index("## jiashan_vouchers against baseline"):]
    share_row = next(line for line in headline.splitlines() if line.startswith("| voucher_cross_share"))
    assert fmt_interval(share["diff"], share["ci_low"], share["ci_high"], signed=True) in share_row  # not scaled
    assert "at the zone's full size: the runs' figures divided by 0.05" in md


def test_dated_changes_read_before_and_after_with_their_month(reports):
    md = (reports["en"] / "report.md").read_text(encoding="utf-8")
    table = md[md.index("## What each scenario changes"):md.index("## How far to trust this")]
    assert "| `policy.vouchers.budget.jiashan` | 2019-07 | 8 → 12 |" in table
    assert "| `policy.vouchers.scope.jiashan` | 2019-07 | own_county_shanghai → zone |" in table
    zh = (reports["zh"] / "report.md").read_text(encoding="utf-8")
    assert "| 2019-07 | 本区县及上海 → 示范区 |" in zh
    settings = json.loads((reports["en"] / "settings.json").read_text(encoding="utf-8"))
    assert settings["focus"] == "jiashan"  # every change concerns Jiashan alone
    assert [s["places"] for s in settings["scenarios"][1]["switches"]] == [["jiashan"], ["jiashan"]]


def test_a_dated_zone_wide_change_reads_its_value_before_per_county():
    from innosim.scenario.catalogue import Setting

    def setting(key, value):
        return Setting(key, None, "", "", "", value, "f.yaml")

    settings = [setting("policy.vouchers.scope.qingpu", "own_county"),
                setting("policy.vouchers.scope.wujiang", "own_county"),
                setting("policy.vouchers.scope.jiashan", "own_county_shanghai"),
                setting("policy.vouchers.budget.jiashan", 8.0),
                setting("policy.vouchers.budget.jiashan from 2020-01", 10.0),
                setting("policy.vouchers.budget.jiashan from 2021-07", 12.0)]
    before = value_before({"key": "policy.vouchers.scope from 2021-07", "base": None}, settings)
    assert before == {"qingpu": "own_county", "wujiang": "own_county", "jiashan": "own_county_shanghai"}
    # the latest earlier dated value, not the file's
    assert value_before({"key": "policy.vouchers.budget.jiashan from 2021-07", "base": None}, settings) == 10.0
    assert value_before({"key": "policy.vouchers.budget.jiashan", "base": 8.0}, settings) == 8.0


def test_the_focus_comes_first_and_is_read_from_the_changes():
    assert place_order("jiashan") == ["jiashan", "qingpu", "wujiang", "zone"]
    assert place_order(None) == ["qingpu", "wujiang", "jiashan", "zone"]
    assert county_key("嘉善") == county_key("Jiashan") == "jiashan"
    with pytest.raises(ValueError):
        county_key("hangzhou")
    one = {"scenarios": [{}, {"changes": [{"key": "policy.vouchers.budget.jiashan from 2021-07"},
                                          {"key": "policy.vouchers.scope.jiashan"}]}]}
    assert inferred_focus(one) == "jiashan"
    every = {"scenarios": [{}, {"changes": [{"key": "policy.vouchers.budget.jiashan"},
                                            {"key": "policy.hnte_mutual_recognition"}]}]}
    assert inferred_focus(every) is None


def test_focus_option_refuses_an_unknown_county(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "incubation.yaml"),
                                       "--focus", "hangzhou", "--out", str(tmp_path / "o"), *SMALL])
    assert result.exit_code == 2 and "unknown county" in result.output and not (tmp_path / "o").exists()


def test_change_notes_do_not_overlap_and_stay_on_their_counties_panels():
    import matplotlib.pyplot as plt

    switches = {"a": [{"from": "2021-07", "note": "budget up", "places": ["jiashan"]},
                      {"from": "2021-07", "note": "scope zone", "places": ["jiashan"]},
                      {"from": "2021-08", "note": "next month", "places": ["jiashan"]},
                      {"from": "2022-01", "note": "everyone", "places": None}],
                "b": [{"from": "2021-07", "note": "budget up", "places": ["jiashan"]}]}
    numbered = numbered_switches(switches, "2019-01", "2028-12")
    assert [(e["number"], e["from"], e["notes"]) for e in numbered] == [
        (1, "2021-07", ["budget up", "scope zone"]), (2, "2021-08", ["next month"]), (3, "2022-01", ["everyone"])]
    assert numbered[0]["scenarios"] == ["a", "b"]
    drawn = {}
    fig, axes = plt.subplots(1, 4, figsize=(14.4, 2.3))
    for ax, region in zip(axes, ("qingpu", "wujiang", "jiashan", "zone"), strict=True):
        ax.plot([2019, 2029], [0, 1])
        drawn[region] = mark_switches(ax, numbered, region, {"a": "--", "b": ":"}, label=True)
    assert [t.get_text() for t in drawn["jiashan"]] == ["1", "2", "3"] == [t.get_text() for t in drawn["zone"]]
    assert [t.get_text() for t in drawn["qingpu"]] == ["3"]  # only the change that concerns every county
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in drawn["jiashan"]]
    for i, box in enumerate(boxes):
        for other in boxes[i + 1:]:
            assert not box.overlaps(other), (box, other)
    plt.close(fig)


def _cells(md: str, heading_row: str) -> list[list[str]]:
    """The rows of the Markdown table whose header row starts with `heading_row`."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading_row))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_openings_figures_are_those_of_the_table_it_points_to_with_each_period_said(reports):
    """The opening's HNTE figure for Jiashan is the one in the table below it (the mean over the last 12
    months), and one sentence says which period that is and which the section's table further down gives."""
    md = (reports["en"] / "report.md").read_text(encoding="utf-8")
    text = opening(reports["en"])
    said = re.search(rf"\*\*Jiashan\*\*: HNTEs in 2020 ({INTERVAL.pattern})", text).group(1)
    header, _, *rows = _cells(md, "| place")
    column = next(i for i, name in enumerate(header) if name.startswith("HNTEs in 2020"))
    cell = next(row[column] for row in rows if row[0] == "Jiashan")
    assert INTERVAL.search(cell).group(0) == said
    assert re.search(r"HNTEs and key talents here and in the table below are the mean over 2020; the section "
                     r"“jiashan vouchers against baseline” gives their value in 2020-12, the last month", text)
    caption = md.split("## jiashan_vouchers against baseline", 1)[1]
    assert "Stocks are their value in 2020-12, the last month; the opening's HNTEs and key talents are the mean " \
           "over 2020." in caption
    zh = opening(reports["zh"])
    assert "2020年的月均值" in zh or "2020的月均值" in zh, zh[-300:]
