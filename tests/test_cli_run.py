"""`innosim run`: outputs, provenance, and the same numbers from separate processes."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from .conftest import SCENARIOS


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "innosim", *map(str, args)], capture_output=True, text=True,
                          check=False, cwd=cwd)


def small_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(f"# test\nextends: {SCENARIOS / 'full_integration.yaml'}\nname: small\nrun:\n  scale: 0.04\n",
                    encoding="utf-8")
    return path


def test_run_writes_table_summary_and_plot(tmp_path):
    scenario = small_file(tmp_path)
    proc = run_cli("run", scenario, "--seed", 4, "--months", 13, "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "outputs written to" in proc.stdout
    out = tmp_path / "o"
    assert sorted(p.name for p in out.iterdir()) == [".innosim", "indicators.png", "summary.json", "timeseries.csv",
                                                     "timeseries.parquet"]  # .innosim: the folder is innosim's
    table = pd.read_csv(out / "timeseries.csv")
    assert table.equals(pd.read_parquet(out / "timeseries.parquet"))
    summary = json.loads((out / "summary.json").read_text())
    prov = summary["provenance"]
    assert prov["seed"] == 4 and prov["scenario"] == "small" and len(prov["scenario_hash"]) == 16
    assert {"mesa", "python", "innosim", "scenario_file_sha256"} <= set(prov)
    assert summary["months"] == 13
    assert summary["end_values"]["hnte_stock"]["zone"] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder left behind"


def test_two_processes_same_seed_same_table(tmp_path):
    scenario = small_file(tmp_path)
    for name in ("a", "b"):
        assert run_cli("run", scenario, "--seed", 9, "--months", 6, "--out", tmp_path / name).returncode == 0
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() == (tmp_path / "b" / "timeseries.csv").read_bytes()


def test_run_prints_the_main_indicators_and_takes_scale_and_set(tmp_path):
    proc = run_cli("run", SCENARIOS / "baseline.yaml", "--months", 3, "--scale", 0.02,
                   "--set", "policy.vouchers.scope=zone", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "Main indicators at the horizon" in proc.stdout and "scale 0.02" in proc.stdout
    for word in ("hnte_stock", "talents", "Zone", "Qingpu", "Wujiang", "Jiashan"):
        assert word in proc.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    zone = summary["end_values"]["hnte_stock"]["zone"]
    assert f"{zone:,.0f}" in proc.stdout
    bad = run_cli("run", SCENARIOS / "baseline.yaml", "--set", "policy.vouchers.scope=everywhere",
                  "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "--set: policy.vouchers.scope" in bad.stderr and not (tmp_path / "bad").exists()
