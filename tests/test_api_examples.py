"""docs/api.md's examples of labelled indicators, `mesa.batch_run` and EMA Workbench, run as written."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest

from innosim import api
from innosim.model import INDICATOR_NAMES, REGIONS, InnoModel

from .conftest import ROOT


def example(heading: str) -> str:
    """The first Python block of the section of docs/api.md whose heading starts with `heading`."""
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = re.search(rf"^## {re.escape(heading)}.*?(?=^## |\Z)", doc, re.DOTALL | re.MULTILINE)
    assert section, f"docs/api.md has no section {heading!r}"
    return re.search(r"```python\n(.*?)```", section.group(0), re.DOTALL).group(1)


def run_example(heading: str, monkeypatch) -> dict:
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "docs_api_example"}
    exec(compile(example(heading), "docs/api.md", "exec"), namespace)  # noqa: S102 - the documentation's own example
    return namespace


def test_labelled_reporters_give_one_column_per_indicator_and_place(monkeypatch):
    ns = run_example("Labelled indicators", monkeypatch)
    months, every, model = ns["months"], ns["every"], ns["model"]
    labels = ["hnte_stock.jiashan", "hnte_stock.zone", "public_cost.jiashan", "public_cost.zone"]
    assert list(months.columns) == labels and len(months) == 13  # month 0 and twelve months
    assert len(every.columns) == len(INDICATOR_NAMES) * len(REGIONS)
    # the reporters and the widened record are the model's own numbers, month by month
    pd.testing.assert_frame_equal(months, every[labels], check_names=False)
    zone = every["hnte_stock.zone"]
    assert (zone == every[[f"hnte_stock.{c}" for c in ("qingpu", "wujiang", "jiashan")]].sum(axis=1)).all()
    assert api.labelled(model, ["hnte_stock"]) == every.filter(like="hnte_stock.").iloc[-1].to_dict()
    # rng=np.random.default_rng(1) is the run the tools call seed 1
    table = api.run("scenarios/baseline.yaml", seed=1, months=12, scale=0.05)
    end = table[(table.month == 12) & (table.region == "zone") & (table.indicator == "hnte_stock")]
    assert end.value.item() == zone.iloc[-1]


def test_reporters_compute_the_indicators_when_the_models_record_is_not_current(model):
    from innosim.model.indicators import snapshot

    reporters = api.reporters(["firms", "talents"], "zone")
    model.datacollector.model_vars["indicators"].pop()  # as if the model had not recorded this month
    truth = snapshot(model)
    assert {label: report(model) for label, report in reporters.items()} == {
        "firms.zone": truth["firms"][-1], "talents.zone": truth["talents"][-1]}


def test_labels_name_only_indicators_and_places_that_exist():
    assert api.columns("hnte_stock", ["jiashan", "zone"]) == ["hnte_stock.jiashan", "hnte_stock.zone"]
    with pytest.raises(ValueError, match="'hnte_stok'.*'kunshan'"):
        api.columns(["hnte_stok"], ["kunshan"])
    with pytest.raises(ValueError, match="indicators"):
        api.widen([{"RunId": 0}])


def test_the_batch_run_example_pairs_seeds_across_the_scenarios(monkeypatch):
    ns = run_example("Many runs with `mesa.batch_run`", monkeypatch)
    runs, paired = ns["runs"], ns["paired"]
    assert len(runs) == 6 and runs.groupby("scenario")["rng"].apply(sorted).map(tuple).nunique() == 1
    assert {"hnte_stock.qingpu", "firms.zone", "talents.shanghai"} <= set(runs.columns)
    assert "indicators" not in runs.columns and list(paired.index) == [1, 2, 3] and paired.notna().all()
    # `Step` is the month a row holds, under Mesa 3.3 (one short of the end) as under 3.5 (the end)
    expected = 12 if "rng" in inspect.signature(ns["mesa"].batch_run).parameters else 11
    assert set(runs.Step) == {expected}
    alone = InnoModel("scenarios/general_vouchers.yaml", rng=2, run__scale=0.05, run__months=12)
    while alone.running:
        alone.step()
    record = api.widen(alone.datacollector.get_model_vars_dataframe(), "hnte_stock", "zone")
    row = runs[(runs.scenario == "scenarios/general_vouchers.yaml") & (runs.rng == 2)]
    assert row["hnte_stock.zone"].item() == record["hnte_stock.zone"].iloc[expected]


def test_the_ema_workbench_example_sets_innosims_settings_and_reads_its_labels(monkeypatch):
    ns = run_example("Exploratory modelling with EMA Workbench", monkeypatch)
    experiments, outcomes = ns["experiments"], ns["outcomes"]
    assert len(experiments) == 6 and experiments.policy.nunique() == 2 and experiments.scenario.nunique() == 3
    assert set(outcomes) == {"hnte_stock_jiashan", "hnte_stock_zone", "talents_jiashan", "talents_zone",
                             "public_cost_jiashan", "public_cost_zone"}
    assert all(np.isfinite(np.asarray(v, dtype=float)).all() and len(v) == 6 for v in outcomes.values())
    # an experiment's sampled values reach the model as the settings they name, and its outcomes are
    # that run's labelled indicators
    first = experiments.iloc[0]
    settings = {"behaviour.voucher_apply_prob": first.voucher_apply_prob,
                "behaviour.hnte_first_approval": first.hnte_first_approval,
                "policy.vouchers.subsidy_share": first.voucher_subsidy_share,
                "policy.hnte_mutual_recognition": bool(first.mutual_recognition)}
    again = ns["innosim_run"](1, 0.05, 12, **settings)
    assert {name: outcomes[name][0] for name in outcomes} == {
        name: again[name.replace("_jiashan", ".jiashan").replace("_zone", ".zone")] for name in outcomes}
    model = InnoModel("scenarios/baseline.yaml", rng=1, overrides=settings)
    assert model.behaviour.voucher_apply_prob == pytest.approx(first.voucher_apply_prob)
    assert model.spec.policy.vouchers.subsidy_share == pytest.approx(first.voucher_subsidy_share)
