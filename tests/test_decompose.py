"""Where the gains come from (`analysis/decompose.py`): on real model runs, each run's parts add up
to its output exactly, each effect's parts to the effect, and the compare report shows them."""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.analysis import decompose
from innosim.analysis.compare.tables import paired_differences
from innosim.cli import main
from innosim.i18n import Labels
from innosim.model import simulate
from innosim.scenario import load_scenario

from .conftest import ROOT, SCENARIOS

SEEDS = (21, 22, 23)


@pytest.fixture(scope="module")
def ts() -> pd.DataFrame:
    """Baseline and full integration at 3 % scale over 24 months, on common seeds."""
    frames = []
    for name in ("baseline", "full_integration"):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", {"run.scale": 0.03})
        for replicate, seed in enumerate(SEEDS):
            run = simulate(scenario, seed, months=24).timeseries
            frames.append(run.assign(scenario=name, replicate=replicate, seed=seed))
    return pd.concat(frames, ignore_index=True)


def by_part(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.pivot_table(index=["scenario", "replicate", "stock", "region"], columns="part", values="value")


@pytest.mark.parametrize("how, last", [("end", None), ("mean", 12)])
def test_every_runs_parts_add_up_to_its_output(ts, how, last):
    parts = by_part(decompose.run_parts(ts, decompose.Measure(how, last)))
    # the stock identity holds, every flow is counted: exactly nil at the horizon (whole counts), and
    # nil but for the rounding of a mean over months
    np.testing.assert_allclose(parts["unexplained"], 0.0, rtol=0, atol=0 if how == "end" else 1e-9)
    named = parts.drop(columns=["total", "unexplained"]).sum(axis=1)
    np.testing.assert_allclose(named, parts["total"], rtol=0, atol=1e-9)
    # the output is the stock itself: its end value, or its mean over the last 12 months
    stocks = ts[ts["indicator"].isin(decompose.STOCKS)].rename(columns={"indicator": "stock"})
    stocks = stocks[stocks["month"] > stocks["month"].max() - (last or 1)]
    output = stocks.groupby(["scenario", "replicate", "stock", "region"])["value"].mean()
    np.testing.assert_allclose(parts["total"], output.reindex(parts.index), rtol=1e-12)


def test_the_parts_of_an_effect_add_up_to_it_and_it_is_the_compare_difference(ts):
    d = decompose.effects(ts, "baseline")
    e = d.effects.set_index(["scenario", "stock", "region", "part"])["diff"].unstack("part")
    np.testing.assert_allclose(e.drop(columns="total").sum(axis=1), e["total"], atol=1e-9)
    # the total is the headline table's paired difference of the stock at the horizon
    end = ts[ts["month"] == ts["month"].max()]
    headline = paired_differences(end, "baseline").set_index(["indicator", "region"])["diff"]
    for (_, stock, region), total in e["total"].items():
        assert total == pytest.approx(headline[(stock, region)], abs=1e-9)
    # firms and talents leave one county as they arrive in another: the zone nets their moves to nil
    zone = e.xs("zone", level="region")
    assert (zone.loc[(slice(None), ["firms", "talents"]), "among_counties"] == 0).all()
    assert set(e.columns) >= {"created", "from_wujiang", "to_shanghai", "initial"}


def test_the_run_moves_and_creates_so_the_split_is_no_formality(ts):
    parts = by_part(decompose.run_parts(ts)).xs("baseline", level="scenario")
    moves = [c for c in parts.columns if c.startswith(("from_", "to_"))]
    assert np.nansum(parts.loc[(slice(None), "talents", "jiashan"), moves].abs().to_numpy()) > 0
    assert parts.loc[(slice(None), "hnte_stock", "zone"), "created"].gt(0).all()


def test_the_table_and_the_reading_speak_the_readers_language(ts):
    d = decompose.effects(ts, "baseline")
    en = decompose.render_table(d, "full_integration", "jiashan")
    assert list(en.columns) == ["part", "HNTE stock", "firms", "talents"]
    assert "moved in from Wujiang" in en["part"].tolist() and en["part"].iloc[-1] == "total effect"
    assert en.set_index("part").loc["created here (certified, founded, taken up)", "talents"] == "–"
    sentence = decompose.reading(d, "full_integration", "jiashan", "hnte_stock")
    assert sentence.startswith("Of Jiashan's ") and "HNTEs (at the horizon, full_integration − baseline)" in sentence
    zh = Labels("zh")
    table = decompose.render_table(d, "full_integration", "jiashan", zh)
    assert list(table.columns) == ["来源", "高企存量", "企业", "人才"] and "自吴江迁入" in table["来源"].tolist()
    assert decompose.reading(d, "full_integration", "jiashan", "talents", zh).startswith("嘉善人才变化")
    mean = decompose.effects(ts, "baseline", how="mean", last=12)
    zone = decompose.reading(mean, "full_integration", "zone", "firms")
    assert zone.startswith("Of the zone's ") and "averaged over the last 12 months" in zone


def test_decompose_reads_tables_and_never_imports_the_model_classes():
    tree = ast.parse((ROOT / "src" / "innosim" / "analysis" / "decompose.py").read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in modules if m.startswith("innosim.model") and m != "innosim.model.stockflows"}


def test_the_compare_report_says_where_the_gains_come_from(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = CliRunner().invoke(main, [
            "compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "full_integration.yaml"),
            "--replicates", "2", "--scale", "0.02", "--months", "4", "--jobs", "1", "--no-progress",
            "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "c" / "report.md").read_text(encoding="utf-8")
    assert "## Where the gains come from" in md and "### Jiashan: full_integration against baseline" in md
    assert "- Of Jiashan's " in md and "| moved out to Shanghai core |" in md
    table = pd.read_csv(tmp_path / "c" / "decomposition.csv")
    assert {"scenario", "stock", "region", "part", "label", "diff", "ci_low", "ci_high"} <= set(table.columns)
    totals = table[table["part"] == "total"].set_index(["stock", "region"])["diff"]
    differences = pd.read_csv(tmp_path / "c" / "differences.csv").set_index(["indicator", "region"])["diff"]
    for key, total in totals.items():
        assert total == pytest.approx(differences[key], abs=1e-9)
    assert len(pd.read_csv(tmp_path / "c" / "decomposition_runs.csv")) > 0
