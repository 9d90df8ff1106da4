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
    from innosim.scenario import reasons, warnings

    bounds = {f"must be {words} {{bound}}{{got}}" for _, words in reasons._BOUNDS.values()}
    yaml_kinds = {f"YAML {kind} are not allowed in a value (plain data only): {{value}}"
                  for kind in ("tags", "anchors and aliases")}
    idle = {"it pays no R&D subsidy", "its cultivation pool holds no firm", "its funds have no capital",
            "its incubators have no places"}
    columns = {"scenario", "file", "overrides", "months", "runs", "stale", "last run", "key", "default", "range",
               "unit", "meaning", "value", "set by"}
    folders = {"is the working folder", "holds the working folder", "is the root of a file system",
               "is a home folder"}
    from innosim.viz import assets

    study = ({frame for _, frame in reasons._YAML_PHRASES} | {frame for frame, _ in reasons._PYDANTIC_WORDS.values()}
             | {assets.INSTALL_HINT})
    return (set(CLICK_FRAMES) | folders | set(reasons._KIND.values()) | bounds | yaml_kinds | idle | columns
            | set(warnings._SWITCHES.values()) | {store._ELSEWHERE} | study)


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


# ---------------------------------------------------------------- the study files' own checks
BASE = SCENARIOS / "baseline.yaml"
SENSITIVITY = f"name: t\nbase: {BASE}\nmonths: 2\noutputs: {{h: hnte_stock.jiashan}}\nfactors:\n"
LEVERS = (f"name: t\nbase: {BASE}\nfull: {SCENARIOS / 'full_integration.yaml'}\nmonths: 2\n"
          f"levers:\n  a: {{scenario: {SCENARIOS / 'hnte_mutual_recognition.yaml'}}}\n"
          f"  b: {{scenario: {SCENARIOS / 'incubation.yaml'}}}\n"
          "outputs: {hnte: 'hnte_stock.{region}', public_cost: 'sum(public_cost.{region}, per=year)'}\n"
          "headline: {output: hnte, region: jiashan}\nprecision: {half_width: 2 %}\n")
OPTIMISE = (f"name: t\nbase: {BASE}\nmonths: 2\ncounty: jiashan\nbudget: 5\ncost: sum(public_cost.jiashan, per=year)\n"
            "objectives: {h: {output: hnte_stock.jiashan, sense: max}}\n")

STUDY_FILES = {  # kind: (command, the file's text, the key the message names, a word of its English message)
    "sensitivity range": ("sensitivity", SENSITIVITY + "  policy.vouchers.budget: {range: [3, 1]}\n"
                          "  policy.talent_recognition: {}\n", "factors.policy.vouchers.budget.range",
                          "low must be below high (got [3, 1])"),
    "sensitivity setting": ("sensitivity", SENSITIVITY + "  policy.vouchers.budjet: {range: [1, 3]}\n"
                            "  policy.talent_recognition: {}\n", "factors.policy.vouchers.budjet",
                            "not a setting of the scenario schema"),
    "sensitivity pair": ("sensitivity", SENSITIVITY + "  policy.vouchers.budget: {range: [1]}\n"
                         "  policy.talent_recognition: {}\n", "factors.policy.vouchers.budget.range",
                         "List should have at least 2 items"),
    "sensitivity output": ("sensitivity", SENSITIVITY.replace("hnte_stock.jiashan", "'mean(hnte_stock.jiashan, last=x)'")
                           + "  policy.vouchers.budget: {range: [1, 3]}\n  policy.talent_recognition: {}\n",
                           "outputs.h", "last= takes a number of months (1 or more), got 'x'"),
    "levers precision": ("levers", LEVERS.replace("2 %", "lots"), "precision.half_width",
                         "cannot read 'lots': write a percentage such as '2 %' or a number"),
    "levers robustness": ("levers", LEVERS + "robustness:\n  uncertainties:\n    policy.vouchers.budget: {range: [1, 2]}\n",
                          "robustness.uncertainties.policy.vouchers.budget", "not a behavioural setting"),
    "levers robustness failure": ("levers", LEVERS + "robustness:\n  failure: {at_most: much}\n",
                                  "robustness.failure.at_most", "cannot read 'much'"),
    "levers robustness ensemble": ("levers", LEVERS + "robustness:\n  from_ensemble: nowhere.yaml\n",
                                   "robustness.from_ensemble", "calibration ensemble not found: nowhere.yaml"),
    "levers dose levels": ("levers", LEVERS + "dose:\n  dials:\n    v: {set: {policy.vouchers.budget: [12, 16], "
                           "policy.incubation.capacity: [50]}}\n", "dose.dials.v.set",
                           "the keys give different numbers of levels"),
    "levers dose value": ("levers", LEVERS + "dose:\n  dials:\n    v: {set: {policy.vouchers.budget: [-5]}}\n",
                          "dose.dials.v.set", "level 1 in jiashan: policy.vouchers.budget.jiashan"),
    "optimise dials": ("optimise", OPTIMISE, "dials", "give the dials here (dials:)"),
    "optimise use": ("optimise", OPTIMISE + f"dials_from: {ROOT / 'experiments' / 'levers.yaml'}\nuse: [vouchrs]\n",
                     "use", "no dial 'vouchrs'"),
}


@pytest.mark.parametrize("kind", list(STUDY_FILES))
def test_a_bad_study_file_is_told_in_chinese_naming_the_file_and_the_key(kind, tmp_path):
    command, text, key, english = STUDY_FILES[kind]
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    extra = ["--method", "morris"] if command == "sensitivity" else []
    result = invoke(command, path, *extra, "--lang", "zh")
    chinese(result, path, f"`{key}`")
    assert result.exit_code == 2
    assert english not in result.output
    in_english = invoke(command, path, *extra, env={"INNOSIM_LANG": "en"})
    assert in_english.exit_code == 2 and english in in_english.output, in_english.output   # English unchanged


def _calibration_files(folder: Path, targets: dict | None = None, parameters: dict | None = None) -> Path:
    (folder / "base.yaml").write_text("name: synthetic\n", encoding="utf-8")
    target = {"pattern": "revenue", "source": "synthetic", "observed": 1.0, "tolerance": {"relative": 0.1},
              "reason": "synthetic", "measure": {"indicator": "revenue", "region": "zone"}}
    data = {"scenario": "base.yaml", "run": {"start": "2015-01", "months": 6, "scale": 0.03}, "region": "zone",
            "targets": {"revenue": target, **(targets or {})}}
    params = {"parameters": {"input_share": {"bounds": [0.6, 0.85], "meaning": "test"}},
              "search": {"replicates": 1, "popsize": 1, "budget": 2, "root_seed": 7, "check_replicates": 2,
                         "profile_points": 3},
              "ensemble": {"points": 4, "waves": 2, "replicates": 1, "min_members": 2, "seed": 3}, **(parameters or {})}
    (folder / "targets.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (folder / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return folder / "targets.yaml"


@pytest.mark.parametrize("file, change, key, english", [
    ("targets.yaml", {"targets": {"growth": {"pattern": "g", "source": "s", "observed": 5.0, "reason": "r",
                                             "tolerance": {"interval": [1, 2]},
                                             "measure": {"indicator": "revenue", "window": "2015-2016"}}}},
     "targets.growth", "observed 5 lies outside its interval [1, 2]"),
    ("targets.yaml", {"targets": {"growth": {"pattern": "g", "source": "s", "observed": 5.0, "reason": "r",
                                             "tolerance": {"relative": 0.1},
                                             "measure": {"indicator": "revenu"}}}},
     "targets.growth.measure", "unknown indicator 'revenu'"),
    ("parameters.yaml", {"parameters": {"input_share": {"bounds": [0.9, 0.6], "meaning": "m"}}},
     "parameters.input_share.bounds", "must be [low, high] with low < high"),
    ("parameters.yaml", {"parameters": {"input_shar": {"bounds": [0.6, 0.9], "meaning": "m"}}},
     "parameters.input_shar", "not a behavioural parameter"),
    ("parameters.yaml", {"search": {"mutation": [1.5, 0.5]}}, "search", "mutation: give [low, high]"),
])
def test_bad_calibration_files_are_told_in_chinese(file, change, key, english, tmp_path):
    targets = _calibration_files(tmp_path, targets=change.get("targets") if file == "targets.yaml" else None,
                                 parameters=change if file == "parameters.yaml" else None)
    result = invoke("calibrate", targets, "--lang", "zh", "--out", tmp_path / "out")
    chinese(result, tmp_path / file, f"`{key}`")
    assert result.exit_code == 2 and english not in result.output
    in_english = invoke("calibrate", targets, "--out", tmp_path / "out", env={"INNOSIM_LANG": "en"})
    assert in_english.exit_code == 2 and english in in_english.output, in_english.output


def test_a_bad_dial_of_the_lever_file_an_optimisation_reads_is_told_at_its_line(tmp_path):
    levers = tmp_path / "levers.yaml"
    levers.write_text("dose:\n  dials:\n    v: {set: {policy.vouchers.budget: [12, 16]}, lable: x}\n    w: {sett: 3}\n",
                      encoding="utf-8")
    path = tmp_path / "optimise.yaml"
    path.write_text(OPTIMISE + f"dials_from: {levers}\n", encoding="utf-8")
    out = chinese(invoke("optimise", path, "--lang", "zh"), f"{levers}:3: `dose.dials.v.lable`",
                  f"{levers}:4: `dose.dials.w.sett`")
    assert "`label`" in out and "`set`" in out
    english = invoke("optimise", path).output
    assert f"{levers}:3: dose.dials.v.lable: unknown key; did you mean 'label'?" in english


# ---------------------------------------------------------------- PyYAML's words
@pytest.mark.parametrize("text, line, chinese_words, english_words", [
    ("policy:\n  vouchers:\n\tbudget: 3\n", 3, "不能作为值开头", "cannot start any token"),
    ("policy:\n  vouchers: budget: 3\n", 2, "此处不能出现映射的值", "mapping values are not allowed"),
    ("policy: {vouchers: {budget: 3}\n", 2, "花括号", "did not find expected ',' or '}'"),
])
def test_yaml_syntax_errors_are_told_in_chinese(text, line, chinese_words, english_words, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    out = chinese(invoke("validate", path, "--lang", "zh"), f"{path}:{line}")
    assert chinese_words in out and "不是有效的 YAML" in out
    english = invoke("validate", path, env={"INNOSIM_LANG": "en"}).output
    assert english_words in english and "not valid YAML" in english


def test_an_unknown_yaml_problem_keeps_pyyaml_words_and_english_keeps_them_all():
    from innosim.i18n import messages_in
    from innosim.scenario.reasons import yaml_words

    with messages_in("zh"):
        assert yaml_words("found character '@' that cannot start any token") == "发现字符 `'@'`，它不能作为值的开头"
        assert yaml_words("while scanning a quoted scalar") == "读取带引号的文本时"
        assert yaml_words("some new PyYAML words") == "some new PyYAML words"
    with messages_in("en"):
        assert yaml_words("mapping values are not allowed here") == "mapping values are not allowed here"


# ---------------------------------------------------------------- progress lines
def test_the_ensemble_calibration_tells_its_progress_in_chinese(tmp_path):
    targets = _calibration_files(tmp_path)
    result = invoke("calibrate", targets, "--method", "history-matching", "--jobs", "1", "--no-progress",
                    "--out", tmp_path / "out", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "第 1/2 轮" in result.output and "第 2/2 轮" in result.output and "个成员" in result.output
    assert_chinese(result.output)


def test_a_batch_progress_bar_speaks_chinese(capsys):
    """The bar's words (what is counted, the time left) and the batch's name follow the language."""
    from innosim.batch import engine
    from innosim.i18n import messages_in, msg

    with messages_in("zh"):
        with engine._progress_bar(msg("compare {n} scenarios", n=2), 3, True) as advance:
            advance(3)
    text = capsys.readouterr().err
    assert "比较 2 个情景" in text and "运行次数" in text and "预计剩余" in text, text
    assert_chinese(text)
    with messages_in("en"):
        with engine._progress_bar(msg("compare {n} scenarios", n=2), 3, True) as advance:
            advance(3)
    text = capsys.readouterr().err
    assert "compare 2 scenarios" in text and "runs" in text and "ETA" in text, text


def test_the_viz_asset_check_speaks_chinese(monkeypatch, capsys):
    from innosim.i18n import messages_in
    from innosim.viz import assets

    monkeypatch.setattr(assets, "versions", lambda: {"solara": "1.0", "solara-assets": None})
    with messages_in("zh"):
        text = assets.advice([("requirejs", "2.3.6")])
    assert "未安装 `solara-assets`" in text and "`requirejs@2.3.6`" in text
    assert_chinese(text, extra=["pip", "install", "viz", "Solara", "CDN"])   # names, and the command to type
    assert "solara-assets is not installed" in assets.advice([("requirejs", "2.3.6")])


def test_the_fit_search_tells_its_generations_in_chinese(tmp_path):
    from innosim.analysis.calibration.files import load_calibration
    from innosim.analysis.calibration.fit import evaluator_for, search
    from innosim.i18n import messages_in

    cal = load_calibration(_calibration_files(tmp_path))
    lines: list[str] = []
    with messages_in("zh"):
        search(cal, evaluator_for(cal, tmp_path / "runs.sqlite", jobs=1, progress=False), 2, log=lines.append)
    assert lines and all(line.startswith("第 ") and "最佳距离" in line for line in lines), lines
    assert_chinese("\n".join(lines))
    english: list[str] = []
    search(cal, evaluator_for(cal, tmp_path / "runs.sqlite", jobs=1, progress=False), 2, log=english.append)
    assert english[0].startswith("generation 0/1: best distance ")
