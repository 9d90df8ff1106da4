"""The sensitivity pipeline: Ishigami verification, noise and convergence reports, resuming."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from innosim.analysis.sensitivity.experiment import Output
from tests.functions import PROBLEM, analytic_indices, ishigami_run, ishigami_tasks
from innosim.analysis.sensitivity.indices import draw_sample
from innosim.analysis.sensitivity.report import write_report
from innosim.analysis.sensitivity.study import analyse_study, evaluate
from innosim.batch import ResultStore, run_batch
from innosim.cli import main

from .conftest import ROOT

Y = [Output("y", "y.zone", (("y", "zone"),))]
ROLES = {"x1": "lever", "x2": "lever", "x3": "uncertainty"}  # x3 stands for a behavioural uncertainty


def ishigami_study(tmp_path, method: str, n: int, replicates: int, noise: float = 0.5, seed: int = 7, jobs=1):
    X = draw_sample(PROBLEM, method, n, seed=seed)
    tasks, rows = ishigami_tasks(X, replicates, root_seed=seed, noise=noise)
    with ResultStore(tmp_path / "ishigami.sqlite") as store:
        runs, batch = evaluate(tasks, rows, store, Y, run_fn=ishigami_run, jobs=jobs, progress=False)
    return analyse_study("ishigami", method, PROBLEM, X, runs, Y, n=n, replicates=replicates, seed=seed,
                         batch=batch, roles=ROLES)


def test_ishigami_sobol_indices_are_recovered_within_their_intervals(tmp_path):
    """All six indices inside their 95 % intervals: true for about 5 seeds in 6 (checked on 30 seeds
    outside the pipeline); the seed is fixed so the test is deterministic, and was not searched for."""
    study = ishigami_study(tmp_path, "sobol", n=512, replicates=3)
    result, truth = study.results["y"], analytic_indices()
    table = result.indices.loc[PROBLEM["names"]]
    for index in ("S1", "ST"):
        error = np.abs(table[index].to_numpy() - truth[index])
        assert (error <= table[f"{index}_conf"].to_numpy()).all(), (index, table[[index, f"{index}_conf"]], truth)
    assert result.top_full == ["x1", "x2", "x3"]
    # the noise report measures the noise that was added: sd 0.5, three replicates averaged
    expected = 0.25 / 3 / (truth["V"] + 0.25 / 3)
    assert result.noise["of_mean"] == pytest.approx(expected, rel=0.3)
    assert result.noise["within_var"] == pytest.approx(0.25, rel=0.1)
    assert table["above_noise"].all()
    assert study.batch["ran"] == len(study.X) * 3


def test_ishigami_morris_reports_intervals_ranks_and_convergence(tmp_path):
    study = ishigami_study(tmp_path, "morris", n=40, replicates=2)
    result = study.results["y"]
    table = result.indices
    assert {"mu_star", "mu_star_conf", "mu", "mu_conf", "sigma", "sigma_conf", "rank_low", "rank_high",
            "p_first"} <= set(table.columns)
    # x3 acts only through its interaction with x1: sigma large against its mean effect mu
    assert table.at["x3", "sigma"] > abs(table.at["x3", "mu"])
    assert (table["mu_star"] > result.noise_floor).all()
    assert result.verdict and len(result.top_half) == len(result.top_full) == 3
    files = write_report(study, tmp_path / "report")
    text = (tmp_path / "report" / files["report"]).read_text(encoding="utf-8")
    assert "The levers that matter most are" in text and "Convergence (N/2 = 20 against N = 40)" in text
    assert (tmp_path / "report" / "morris_mu_sigma.png").stat().st_size > 0
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('src="data:image/png;base64,') == 2
    assert ".png" not in page.split("<h2>Files</h2>")[0], "the page stands alone: every image inlined"
    # levers ranked, uncertainties apart as context
    levers, uncertain = text.split("Policy levers, ranked")[1].split("Behavioural uncertainties (context)")
    assert "| x1 |" in levers and "| x2 |" in levers and "| x3 |" not in levers
    assert "| x3 |" in uncertain.split("\n\n#")[0]
    assert "For context, the strongest behavioural uncertainties: x3" in text


def test_noise_and_small_designs_are_flagged_in_plain_words(tmp_path):
    noisy = ishigami_study(tmp_path / "a", "sobol", n=32, replicates=2, noise=6.0).results["y"]
    assert noisy.noise["of_mean"] > 0.3
    assert any("is noise; raise R" in w for w in noisy.warnings)
    assert any("N = 32 is small" in w for w in noisy.warnings)
    single = ishigami_study(tmp_path / "b", "morris", n=4, replicates=1).results["y"]
    assert any("one replicate per point" in w for w in single.warnings)
    assert any("only 4 trajectories" in w for w in single.warnings)
    assert np.isnan(single.noise["of_mean"])


class InterruptedStore(ResultStore):
    """A store whose owner presses Ctrl-C once ten runs are stored."""

    def put(self, *args, **kwargs):
        if len(self) >= 10:
            raise KeyboardInterrupt
        super().put(*args, **kwargs)


def test_an_interrupted_study_resumes_without_rerunning_finished_points(tmp_path):
    X = draw_sample(PROBLEM, "morris", 6, seed=3)
    tasks, rows = ishigami_tasks(X, 2, root_seed=3)
    with InterruptedStore(tmp_path / "runs.sqlite") as interrupted, pytest.raises(KeyboardInterrupt):
        run_batch(tasks, interrupted, jobs=2, run_fn=ishigami_run, progress=False)
    store = ResultStore(tmp_path / "runs.sqlite")
    stored = store.runs().set_index("key")["finished"]
    assert len(stored) == 10
    runs, batch = evaluate(tasks, rows, store, Y, run_fn=ishigami_run, jobs=2, progress=False)
    distinct = len({t.key for t in tasks})  # a Morris grid repeats some points: each runs once
    assert batch["ran"] == distinct - 10
    after = store.runs().set_index("key")["finished"]
    assert after.loc[stored.index].equals(stored), "finished runs were not run again"
    assert len(runs) == len(tasks) and runs["y"].notna().all()
    store.close()


@pytest.mark.slow
def test_cli_runs_the_model_and_resumes(tmp_path):
    """A tiny experiment on the model itself through `innosim sensitivity`, twice."""
    experiment = tmp_path / "tiny.yaml"
    experiment.write_text(f"""# two levers, a few months of a small zone
name: tiny
base: {(ROOT / "scenarios" / "baseline.yaml").as_posix()}
scale: 0.02
months: 12
replicates: 1
factors:
  policy.vouchers.subsidy_share: {{range: [0.3, 0.8]}}
  policy.vouchers.scope:
outputs:
  voucher_use: voucher_use_rate.zone
  hnte_share_jiashan: hnte_stock.jiashan / hnte_stock.zone
""", encoding="utf-8")
    out = tmp_path / "out"
    args = ["sensitivity", str(experiment), "--method", "morris", "--n", "2", "--jobs", "1", "--out", str(out)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    distinct = summary["batch"]["distinct_runs"]
    assert f"{distinct} runs done now, 0 already stored" in first.output and 0 < distinct <= 6
    second = CliRunner().invoke(main, args)
    assert f"0 runs done now, {distinct} already stored" in second.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["batch"]["ran"] == 0 and summary["method"] == "morris"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "only 2 trajectories" in report and "one replicate per point" in report
    assert "## How far to trust this" in report and "targets met" in report  # the calibration's caveats
    for name in ("rankings.csv", "heatmap.png", "morris_mu_sigma.png", "report.html", "design.csv"):
        assert (out / name).is_file()
