"""Every command's messages and errors in Chinese under `--lang zh` / `INNOSIM_LANG=zh`: a bad file, key or
option of each command gives a message with no English left (tests/english_leftovers.py; names, keys, paths
and options allowed) that names the file and the key, with a non-zero exit status (2, as click's usage
errors); a good short run's status lines pass too. The glossary holds every message frame the code
writes, with the same fields, and no key twice."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from innosim.cli import main

from .conftest import ROOT
from .english_leftovers import assert_chinese

SCENARIOS = ROOT / "scenarios"
SRC = ROOT / "src" / "innosim"
GLOSSARY = SRC / "i18n" / "zh.yaml"


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def chinese(result, *names) -> str:
    """The output of a failed command, checked: non-zero exit, Chinese, naming each of `names`."""
    output = result.output
    assert result.exit_code != 0, output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), output
    assert re.search(r"[\u4e00-\u9fff]", output), output
    assert_chinese(output)
    for name in names:
        assert str(name) in output, (name, output)
    return output


@pytest.fixture
def bad_scenario(tmp_path):
    path = tmp_path / "jiashan.yaml"
    path.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\npolicy:\n  vouchers:\n    budjet: 3\n"
                    "    subsidy_share: 15\n", encoding="utf-8")
    return path


@pytest.fixture
def bad_spec(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("nmae: tiny\n", encoding="utf-8")
    return path


def test_validate_and_run_name_the_file_the_line_and_the_key_in_chinese(bad_scenario):
    for command in ("validate", "run"):
        result = invoke(command, bad_scenario, "--lang", "zh")
        out = chinese(result, bad_scenario, f"{bad_scenario}:4", "policy.vouchers.budjet",
                      "policy.vouchers.subsidy_share")
        assert result.exit_code == 2
        assert "`budget`" in out and "0.15" in out   # the did-you-mean and the hint, in Chinese frames
    english = invoke("validate", bad_scenario)          # English unchanged
    assert "unknown key; did you mean 'budget'?" in english.output and "2 problems in" in english.output


@pytest.mark.parametrize("command", ["levers", "sensitivity", "calibrate", "optimise", "batch", "settings"])
def test_a_bad_key_in_each_commands_file_is_told_in_chinese(command, bad_spec):
    extra = ["--method", "morris"] if command == "sensitivity" else []
    result = invoke(command, bad_spec, *extra, env={"INNOSIM_LANG": "zh"})
    chinese(result, bad_spec, "nmae")
    assert result.exit_code == 2


def test_compare_with_a_bad_scenario_and_bad_set_in_chinese(bad_scenario, tmp_path):
    result = invoke("compare", SCENARIOS / "baseline.yaml", bad_scenario, "--lang", "zh",
                    "--store", tmp_path / "s.sqlite")
    chinese(result, bad_scenario, "policy.vouchers.budjet")
    result = invoke("compare", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", "--lang", "zh",
                    "--set", "policy.vouchers=3", "--set", "policy.vouchers.scope=zone")
    chinese(result, "--set", "policy.vouchers")
    result = invoke("run", SCENARIOS / "baseline.yaml", "--set", "policy.vouchers.scope", "--lang=zh")
    chinese(result, "--set", "policy.vouchers.scope")


@pytest.mark.parametrize("args, names", [
    (["run"], ["SCENARIO"]),                                                  # missing argument
    (["run", "x.yaml", "--seed", "abc"], ["--seed", "abc"]),                  # not a number
    (["run", "x.yaml", "--bogus"], ["--bogus"]),                              # no such option
    (["compare", "a.yaml", "b.yaml", "--scale", "99"], ["--scale", "99"]),     # out of range
    (["settings", "--format", "xml"], ["--format", "xml"]),                   # not a choice
    (["sensitivity", "x.yaml"], ["--method"]),                                # missing option with choices
    (["store", "lst"], ["lst", "list"]),                                      # no such command, did you mean
    (["store", "prune"], ["--stale"]),                                        # the command's own usage error
    (["levers", "x.yaml", "--stage", "nope"], ["--stage", "nope"]),
    (["optimise", "a.yaml", "b.yaml"], ["b.yaml"]),                           # extra argument
    (["batch", "x.yaml", "--jobs"], ["--jobs"]),                              # option without its value
    (["calibrate", "x.yaml", "--lang", "fr"], ["fr"]),                        # unknown language
])
def test_clicks_usage_errors_in_chinese_keep_exit_status_2(args, names):
    result = invoke(*args, "--lang", "zh") if "--lang" not in args else invoke(*args, env={"INNOSIM_LANG": "zh"})
    chinese(result, *names)
    assert result.exit_code == 2
    english = invoke(*args, env={"INNOSIM_LANG": "en"})
    assert english.exit_code == 2 and re.search(r"\b[Ee]rror:", english.output), english.output


def test_store_messages_in_chinese(tmp_path):
    missing = tmp_path / "none.sqlite"
    chinese(invoke("store", "list", "--store", missing, "--lang", "zh"), missing)
    assert "no results store at" in invoke("store", "list", "--store", missing).output


def test_a_good_short_run_validate_and_batch_say_their_status_in_chinese(tmp_path):
    ok = invoke("validate", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", "--lang", "zh")
    assert ok.exit_code == 0, ok.output
    assert_chinese(ok.output)
    run = invoke("run", SCENARIOS / "baseline.yaml", "--months", "2", "--scale", "0.05", "--out", tmp_path / "r",
                 "--no-progress", "--lang", "zh")
    assert run.exit_code == 0, run.output
    assert_chinese(run.output, extra=["baseline"])
    spec = tmp_path / "sweep.yaml"
    spec.write_text(f"scenario: {SCENARIOS / 'baseline.yaml'}\nname: tiny\nreplicates: 1\nmonths: 2\n"
                    "overrides: {run.scale: 0.04}\n", encoding="utf-8")
    store = tmp_path / "store.sqlite"
    batch = invoke("batch", spec, "--jobs", "1", "--store", store, "--out", tmp_path / "b", "--no-progress",
                   env={"INNOSIM_LANG": "zh"})
    assert batch.exit_code == 0, batch.output
    assert_chinese(batch.output)
    listed = invoke("store", "list", "--store", store, "--lang", "zh")
    assert listed.exit_code == 0, listed.output
    assert_chinese(listed.output, extra=["baseline"])
    pruned = invoke("store", "prune", "--all", "--dry-run", "--store", store, "--lang", "zh")
    assert pruned.exit_code == 0 and re.search(r"[\u4e00-\u9fff]", pruned.output), pruned.output
    assert_chinese(pruned.output)


def test_validate_warns_in_chinese_with_the_key_and_the_effective_value(tmp_path):
    path = tmp_path / "jiashan.yaml"
    path.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\npolicy:\n  vouchers:\n    scope:\n      嘉善: zone\n",
                    encoding="utf-8")
    result = invoke("validate", path, "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "policy.vouchers.scope.jiashan" in result.output and "嘉善" in result.output and "上海" in result.output
    assert_chinese(result.output)
    assert "narrows Jiashan's voucher scope" in invoke("validate", path).output


# ---------------------------------------------------------------- the glossary holds every frame
def _frames_in_source() -> set[str]:
    """Every constant frame the code passes to `msg(...)`."""
    frames = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "msg" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                frames.add(node.args[0].value)
    return frames


def _dynamic_frames() -> set[str]:
    """Frames made from tables (msg(table[kind])): the tables themselves."""
    from innosim.batch import store
    from innosim.cli.errors import CLICK_FRAMES
    from innosim.scenario import diagnostics, warnings

    bounds = {f"must be {words} {{bound}}{{got}}" for _, words in diagnostics._BOUNDS.values()}
    yaml_kinds = {f"YAML {kind} are not allowed in a value (plain data only): {{value}}"
                  for kind in ("tags", "anchors and aliases")}
    idle = {"it pays no R&D subsidy", "its cultivation pool holds no firm", "its funds have no capital",
            "its incubators have no places"}
    columns = {"scenario", "file", "overrides", "months", "runs", "stale", "last run", "key", "default", "range",
               "unit", "meaning", "value", "set by"}
    folders = {"is the working folder", "holds the working folder", "is the root of a file system",
               "is a home folder"}
    return (set(CLICK_FRAMES) | folders | set(diagnostics._KIND.values()) | bounds | yaml_kinds | idle | columns
            | set(warnings._SWITCHES.values()) | {store._ELSEWHERE})


def _fields(frame: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(frame) if name}


def test_every_message_frame_has_a_chinese_translation_with_the_same_fields():
    from innosim.i18n import glossary

    g = glossary("zh")
    known = {**g["text"], **g["messages"]}
    frames = _frames_in_source() | _dynamic_frames()
    assert len(frames) > 150
    missing = sorted(f for f in frames if f not in known)
    assert not missing, missing
    for frame in frames:
        assert _fields(known[frame]) == _fields(frame), (frame, known[frame])


def test_the_glossary_has_no_key_twice():
    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        keys = [loader.construct_object(k) for k, _ in node.value]
        twice = {k for k in keys if keys.count(k) > 1}
        assert not twice, f"keys written twice in {GLOSSARY.name}: {sorted(twice)}"
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    data = yaml.load(GLOSSARY.read_text(encoding="utf-8"), Loader=Strict)
    assert "messages" in data and not set(data["messages"]) & set(data["text"])


def test_the_language_is_that_of_the_command_and_reset_after_it():
    from innosim.i18n import message_lang, messages_in, msg, peek_lang

    assert peek_lang(["run", "x.yaml", "--lang", "zh"]) == "zh"
    assert peek_lang(["run", "--lang=zh"]) == "zh" and peek_lang(["run", "--", "--lang", "zh"]) is None
    with messages_in("zh"):
        assert msg("file not found") == "找不到文件"
    assert message_lang() in ("en", "zh") and Path(GLOSSARY).exists()
    invoke("run", "missing.yaml", "--lang", "zh")
    assert "file not found" in invoke("run", "missing.yaml", env={"INNOSIM_LANG": ""}).output


def test_an_output_folder_innosim_may_not_write_into_is_refused_in_chinese(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    result = invoke("run", SCENARIOS / "baseline.yaml", "--months", "1", "--out", folder, "--lang", "zh")
    chinese(result, "--out", folder, "notes.txt")
    assert result.exit_code == 2
