"""docs/api.md's example, run as a plain script without a `__main__` guard, on two worker processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .conftest import ROOT


def test_the_documented_api_example_runs_as_an_unguarded_script(tmp_path):
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", doc, re.DOTALL).group(1)
    assert "__main__" not in code
    script = tmp_path / "example.py"
    script.write_text(code.replace("api.batch(", "api.batch(jobs=2, progress=False, scenario_files=")
                      .replace("api.compare(", "api.compare(jobs=2, scenario_files=") + "\n"
                      "print('ROWS', len(table), len(end), len(result.differences))\n", encoding="utf-8")
    env = {**os.environ, "INNOSIM_STORE": str(tmp_path / "store.sqlite")}
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "BrokenProcessPool" not in proc.stderr
    rows = [int(x) for x in re.search(r"ROWS (\d+) (\d+) (\d+)", proc.stdout).groups()]
    assert all(n > 0 for n in rows)
    assert "'tasks': 6" in proc.stdout


def test_the_documented_model_example_runs_and_its_views_read_the_tables(monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", doc, re.DOTALL)[1]
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 - the documentation's own example
    model, firm = namespace["model"], namespace["firm"]
    assert firm.cell is model.cells[model.firms.region[firm.row]]
    assert firm.region in ("qingpu", "wujiang", "jiashan", "shanghai") and firm.alive
    assert model.firm(firm.row) == firm and model.agent_count() > len(model.agents) > 0
