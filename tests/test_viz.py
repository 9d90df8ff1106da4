"""The visual server without a browser: levers, the viz model, the data the components draw, the
figures, and the page rendered in-process with Mesa's own Reset and Step buttons."""

from __future__ import annotations

import contextlib
import inspect
import io
import socket

import numpy as np
import pytest

pytest.importorskip("solara")

from innosim.scenario import load_scenario  # noqa: E402
from innosim.viz import assets, levers  # noqa: E402
from innosim.viz.charts import ChartBoard, nice_ceiling  # noqa: E402
from innosim.viz.data import CHARTS, chart_series, map_data, recent_flows, switch_dates  # noqa: E402
from innosim.viz.mapview import MapBoard, arrow_width, map_board_for  # noqa: E402
from innosim.viz.vizmodel import VizModel  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def short_file(tmp_path, months: int = 14, base: str = "baseline.yaml"):
    path = tmp_path / "short.yaml"
    path.write_text(f"extends: {SCENARIOS / base}\nname: short\nrun:\n  months: {months}\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- levers
def test_every_lever_is_a_keyword_of_the_viz_model():
    params = inspect.signature(VizModel.__init__).parameters
    assert set(levers.CONTROLS_BY_PARAM) | {"self", "scenario_file", "rng", "scale"} == set(params)
    # no **kwargs and no `scenario` as Mesa reads the signature: Mesa 3.5's reset would pass its own
    # Scenario object to either
    assert "scenario" not in params
    assert all(p.kind is not p.VAR_KEYWORD for p in params.values())
    with pytest.raises(ValueError, match="unknown lever"):
        VizModel(None, rng=1, scale=0.02, scenario=object())


def test_per_county_levers_get_a_control_per_county_read_from_the_schema():
    by_param = levers.CONTROLS_BY_PARAM
    for county in ("qingpu", "wujiang", "jiashan"):
        assert by_param[f"voucher_scope_{county}"].key == f"policy.vouchers.scope.{county}"
        assert by_param[f"voucher_budget_{county}"].key == f"policy.vouchers.budget.{county}"
    assert "voucher_scope" not in by_param and "voucher_budget" not in by_param
    # a zone-wide lever has one control
    assert by_param["broker_reach"].county is None and "broker_reach_qingpu" not in by_param
    scope = next(lever for lever in levers.LEVERS if lever.param == "voucher_scope")
    assert scope.choices == ("own_county", "own_county_shanghai", "zone", "zone_shanghai")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_controls_show_each_files_lever_settings(path):
    from innosim.scenario import by_county

    spec = load_scenario(path)
    params = levers.model_params(spec, path)
    assert params["scenario_file"] == str(path)
    data = spec.model_dump()
    for item in levers.CONTROLS:
        control = params[item.param]
        assert control["label"].startswith(item.lever.label)
        value = data
        for part in item.lever.key.split("."):
            value = value[part]
        expected = value if item.county is None else by_county(value)[item.county]
        if "min" in control:  # a slider: a whole-number one rounds
            assert control["value"] == pytest.approx(expected, abs=0.5)
            assert control["min"] <= control["value"] <= control["max"]
        else:
            assert control["value"] == expected
    # controls left alone change nothing
    assert levers.lever_overrides(spec, levers.lever_values(spec)) == {}


def test_each_county_shows_its_own_setting():
    """The baseline's voucher scope differs by county: Jiashan's own_county_shanghai is shown as such."""
    params = levers.model_params(load_scenario(SCENARIOS / "baseline.yaml"), SCENARIOS / "baseline.yaml")
    assert params["voucher_scope_jiashan"]["value"] == "own_county_shanghai"
    assert params["voucher_scope_qingpu"]["value"] == params["voucher_scope_wujiang"]["value"] == "own_county"
    assert params["hnte_recognition_jiashan"]["value"] == "zone_shanghai"
    assert [params[f"voucher_budget_{c}"]["value"] for c in ("qingpu", "wujiang", "jiashan")] == [12, 15, 8]
    assert params["voucher_scope_jiashan"]["label"] == "Voucher scope (where they can be spent) (Jiashan)"


def test_a_county_control_sets_only_its_county():
    spec = load_scenario(SCENARIOS / "baseline.yaml")
    settings = {**levers.lever_values(spec), "voucher_scope_qingpu": "zone", "voucher_budget_jiashan": 20,
                "hnte_mutual_recognition_wujiang": True, "broker_reach": 0.3}
    overrides = levers.lever_overrides(spec, settings)
    assert overrides == {"policy.vouchers.scope.qingpu": "zone", "policy.vouchers.budget.jiashan": 20.0,
                         "policy.hnte_mutual_recognition.wujiang": True, "policy.brokers.cross_county_reach": 0.3}
    changed = load_scenario(SCENARIOS / "baseline.yaml", overrides)
    assert changed.policy.vouchers.scope == {"qingpu": "zone", "wujiang": "own_county",
                                             "jiashan": "own_county_shanghai"}
    assert changed.policy.vouchers.budget == {"qingpu": 12.0, "wujiang": 15.0, "jiashan": 20.0}
    assert changed.policy.hnte_mutual_recognition == {"qingpu": False, "wujiang": True, "jiashan": False}
    assert levers.describe_overrides(overrides) == [
        "HNTE mutual recognition (Wujiang): on", "Voucher scope (where they can be spent) (Qingpu): zone",
        "Vouchers, M CNY/yr (Jiashan): 20", "Broker reach: 0.3"]
    with pytest.raises(ValueError, match="unknown lever"):
        levers.lever_overrides(spec, {"free_lunch": True})


def test_seed_box_text():
    assert levers.parse_seed(" 42 ") == 42
    assert levers.parse_seed("") is None
    with pytest.raises(ValueError, match="whole number"):
        levers.parse_seed("forty-two")


def test_scenario_files_lists_baseline_first(tmp_path):
    files = levers.scenario_files(SCENARIOS)
    assert list(files)[0] == "baseline"
    assert set(files) == {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert levers.scenario_files(tmp_path / "nowhere") == {}


# ---------------------------------------------------------------- the model the page builds
def test_viz_model_applies_levers_and_stops_at_the_horizon(tmp_path):
    model = VizModel(short_file(tmp_path, months=3), rng="5", scale=0.03, hnte_mutual_recognition_qingpu=True,
                     voucher_scope_qingpu="zone_shanghai")
    assert model.seed == 5
    assert model.spec.run.scale == 0.03
    assert model.spec.policy.hnte_mutual_recognition == {"qingpu": True, "wujiang": False, "jiashan": False}
    assert model.spec.policy.vouchers.scope == {"qingpu": "zone_shanghai", "wujiang": "own_county",
                                                "jiashan": "own_county_shanghai"}
    assert model.spec.policy.talent_recognition is False  # left as in the file
    for _ in range(3):
        assert model.running
        model.step()
    assert not model.running
    # the initial state, then one record a month
    assert len(model.datacollector.model_vars["indicators"]) == 4
    assert len(model.datacollector.model_vars["relocations"]) == 4


def test_viz_model_without_a_file_uses_the_schema_defaults():
    model = VizModel(None, rng=2, scale=0.02)
    assert model.spec.name == "unnamed"
    model.step()


# ---------------------------------------------------------------- what the components draw
@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    model = VizModel(short_file(tmp_path_factory.mktemp("viz")), rng=3, scale=0.05, talent_recognition_qingpu=True,
                     talent_recognition_wujiang=True, talent_recognition_jiashan=True)
    for _ in range(14):
        model.step()
    return model


def test_chart_series_follow_the_indicator_records(stepped):
    series = chart_series(stepped)
    records = stepped.datacollector.model_vars["indicators"]
    assert series.years.shape == (15,)  # the initial state and fourteen months
    np.testing.assert_allclose(series.years, 2019 + np.arange(15) / 12)
    for chart in CHARTS:
        raw = np.array([r[chart.indicator][:4] for r in records])  # the counties and Shanghai's core
        expected = np.cumsum(raw, axis=0) if chart.cumulative else raw
        np.testing.assert_allclose(series.values[chart.indicator], expected)


def test_switch_dates_are_in_the_chart_data_and_drawn(tmp_path):
    """history.yaml's dated changes: a numbered switch per month within the horizon (two changes of
    2020-01 share one), none for a model whose horizon ends before them; a dotted line in every panel."""
    history = load_scenario(SCENARIOS / "history.yaml")
    switches = switch_dates(history)
    assert [s.month for s in switches] == ["2016-01", "2017-01", "2019-11", "2020-01", "2020-07", "2021-01", "2022-01"]
    assert [s.number for s in switches] == list(range(1, 8))
    assert len(switches[3].notes) == 2 and switches[3].year == 2020.0
    assert switches[0].notes[0].startswith("Jiashan: vouchers usable with Shanghai providers")

    short = short_file(tmp_path, months=14, base="history.yaml")  # 2015-01 to 2016-02
    model = VizModel(short, rng=1, scale=0.02)
    model.step()
    series = chart_series(model)
    assert [s.month for s in series.switches] == ["2016-01"]
    board = ChartBoard()
    board.set_horizon(model.start, model.spec.run.months)
    board.update(series)
    for ax in board.axes.values():
        lines = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
        assert [line.get_xdata()[0] for line in lines] == [2016.0]
        assert "1" in [text.get_text() for text in ax.texts]
    assert board.png().startswith(PNG)
    from innosim.viz.charts import switch_lines

    assert switch_lines(series.switches)[0].startswith("1 2016-01: Jiashan: vouchers usable")
    assert chart_series(VizModel(short_file(tmp_path, months=3), rng=1, scale=0.02)).switches == ()


def test_map_data_matches_the_indicators_and_the_relocations(stepped):
    data = map_data(stepped)
    last = stepped.datacollector.model_vars["indicators"][-1]
    np.testing.assert_array_equal(data.firms, last["firms"][:4])
    np.testing.assert_array_equal(data.hnte, last["hnte_stock"][:4])
    np.testing.assert_array_equal(data.talents, last["talents"][:4])
    assert data.month == stepped.month_labels[-1]
    history = np.array(stepped.datacollector.model_vars["relocations"])
    np.testing.assert_allclose(data.flows, history[-12:].sum(axis=0))
    np.testing.assert_allclose(recent_flows(stepped, window=100), stepped.relocations)
    assert data.flows[1].sum() > 0  # talents do move in fourteen months


def test_arrow_widths_grow_with_moves_and_compare_across_scales():
    assert arrow_width(0, 0.1, 0) == 0.0
    assert 0 < arrow_width(1, 0.1, 0) < arrow_width(4, 0.1, 0) < arrow_width(400, 0.1, 0)
    assert arrow_width(1, 0.1, 1) == pytest.approx(arrow_width(2, 0.2, 1))
    assert arrow_width(1e9, 0.1, 1) == 14.0


def test_boards_render_png_and_redraw_only_what_moves(stepped):
    data = map_data(stepped)
    board = MapBoard(data.names, data.lonlat)
    board.update(data)
    assert board.png().startswith(PNG)
    visible = sum(a.get_visible() for a in board.arrows.values())
    assert visible == np.count_nonzero(data.flows[:, ~np.eye(4, dtype=bool)])

    charts = ChartBoard()
    charts.set_horizon(stepped.start, stepped.spec.run.months)
    series = chart_series(stepped)
    charts.update(series)
    first = charts.png()
    assert first.startswith(PNG)
    assert charts._background is not None
    charts.update(series)  # same data: the cached background stays
    assert charts._background is not None
    assert charts.png() == first


def test_nice_ceiling():
    assert [nice_ceiling(x) for x in (0, 0.7, 1, 1.1, 2.2, 3, 7, 63, 101, 1035)] == pytest.approx(
        [1, 0.8, 1, 1.2, 2.5, 3, 8, 80, 120, 1200])


# ---------------------------------------------------------------- the page, rendered in-process
def test_page_reset_applies_a_lever_and_step_redraws(monkeypatch):
    import ipyvuetify as v
    import ipywidgets
    import solara

    from innosim.viz import app

    monkeypatch.setenv(app.SCENARIO_ENV, str(SCENARIOS / "baseline.yaml"))
    monkeypatch.setenv(app.FOLDER_ENV, str(SCENARIOS))
    with contextlib.redirect_stdout(io.StringIO()):  # Solara prints the app bar outside a server
        _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)

    def summary() -> str:
        return rc.find(v.Html, class_="innosim-summary").widget.children[0]

    def images() -> list[bytes]:
        return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]

    assert "Running baseline" in summary() and "levers as in the file" in summary()
    assert len(images()) == 2
    rc.find(v.Checkbox, label="HNTE mutual recognition (Qingpu)").widget.v_model = True
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "HNTE mutual recognition (Qingpu): on" in summary()
    before = images()
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    after = images()
    assert all(a != b for a, b in zip(after, before, strict=True))

    # the voucher scope as a choice, and the seed box
    rc.find(v.Select, label="Voucher scope (where they can be spent) (Wujiang)").widget.v_model = "zone"
    seed_box = rc.find(v.TextField, label="Seed").widget
    seed_box.v_model = "7"
    seed_box.fire_event("keyup.enter", "7")  # the box takes its text on Enter or on leaving it
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "seed 7" in summary() and "Voucher scope (where they can be spent) (Wujiang): zone" in summary()

    # picking another file builds its model and shows its levers
    rc.find(v.Select, label="Scenario file").widget.v_model = "general_vouchers"
    assert "Running general_vouchers" in summary()
    assert rc.find(v.Select, label="Voucher scope (where they can be spent) (Jiashan)").widget.v_model == "zone_shanghai"


# ---------------------------------------------------------------- launcher and assets
def test_viz_command_checks_the_file_before_serving(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from innosim.cli import main
    from innosim.viz import server

    calls = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: calls.append((args, kwargs)))
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy:\n  vouchers:\n    scope: everywhere\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["viz", str(bad)])
    assert result.exit_code == 2 and "policy.vouchers.scope" in result.output
    assert not calls
    result = CliRunner().invoke(main, ["viz", str(SCENARIOS / "baseline.yaml"), "--port", "0"])
    assert result.exit_code == 0, result.output
    (scenario,), options = calls[0]
    assert scenario.name == "baseline.yaml"
    assert options["host"] == "127.0.0.1" and options["port"] == 0 and not options["open_browser"]
    with socket.socket() as busy:  # a port in use is refused before anything starts
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = CliRunner().invoke(main, ["viz", "--port", str(busy.getsockname()[1])])
    assert result.exit_code == 2 and "--port 0" in result.output
    assert len(calls) == 1


def test_assets_lists_what_solaras_page_loads(tmp_path):
    names = [name for name, _ in assets.required_packages()]
    assert any(name.startswith("@widgetti/solara-vuetify") for name in names)
    assert "requirejs" in names and "font-awesome" in names
    assert assets.missing(tmp_path) == assets.required_packages()


def test_the_viz_extra_installs_the_browser_files_where_solara_looks():
    """pip install -e '.[viz]' alone must make the page work offline: solara-assets puts the files of
    the installed Solara's page in Solara's proxy folder (no npm, no CDN)."""
    assert assets.missing() == [], assets.advice(assets.missing())
    assert assets.main([]) == 0


def test_the_data_on_screen_downloads_as_csv(stepped):
    import io

    import pandas as pd

    from innosim.viz.data import screen_csv

    table = pd.read_csv(io.StringIO(screen_csv(stepped)))
    assert list(table.columns) == ["panel", "date", "place", "indicator", "value"]
    charts = table[table["panel"] == "chart"]
    assert set(charts["place"]) == {"qingpu", "wujiang", "jiashan", "shanghai"}
    series = chart_series(stepped)
    last = charts[(charts["indicator"] == "hnte_stock") & (charts["place"] == "shanghai")]["value"].iloc[-1]
    assert last == series.values["hnte_stock"][-1, 3]
    firms = table[(table["panel"] == "map") & (table["indicator"] == "firms")].set_index("place")["value"]
    assert firms.tolist() == map_data(stepped).firms.tolist()


def test_viz_says_what_to_install_and_checks_the_browser_files(monkeypatch, tmp_path):
    from click.testing import CliRunner

    import importlib

    from innosim.cli import main
    from innosim.viz import server

    viz_cli = importlib.import_module("innosim.cli.viz")

    monkeypatch.setattr(viz_cli, "missing_viz_packages", lambda: ["solara"])
    result = CliRunner().invoke(main, ["viz", "--port", "0"])
    assert result.exit_code == 2 and "pip install -e '.[viz]'" in result.output
    assert "Traceback" not in result.output
    monkeypatch.setattr(viz_cli, "missing_viz_packages", lambda: [])
    monkeypatch.setattr(assets, "missing", lambda cache=None: [("requirejs", "2.3.6")])
    calls = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: calls.append(args))
    result = CliRunner().invoke(main, ["viz", "--port", "0"])
    assert result.exit_code == 0 and calls
    assert "requirejs@2.3.6" in result.output and "pip install -e '.[viz]'" in result.output


def test_viz_takes_scale_set_and_lang_to_the_page(monkeypatch, tmp_path):
    import importlib
    import os

    from click.testing import CliRunner

    from innosim.cli import main
    from innosim.viz import server

    viz_cli = importlib.import_module("innosim.cli.viz")
    monkeypatch.setattr(viz_cli, "missing_viz_packages", lambda: [])
    calls = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: calls.append(kwargs))
    bad = CliRunner().invoke(main, ["viz", str(SCENARIOS / "baseline.yaml"), "--set", "policy.talent_recognitio=true"])
    assert bad.exit_code == 2 and "did you mean 'talent_recognition'?" in bad.output and not calls
    result = CliRunner().invoke(main, ["viz", str(SCENARIOS / "baseline.yaml"), "--port", "0", "--scale", "0.05",
                                       "--set", "policy.talent_recognition=true", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    options = calls[0]
    assert options["overrides"] == {"policy.talent_recognition": True} and options["scale"] == 0.05
    env = server.page_environment(SCENARIOS / "baseline.yaml", options["overrides"], options["scale"], options["lang"])
    monkeypatch.setattr(os, "environ", {**os.environ, **env})
    spec = levers.load_viz_scenario(SCENARIOS / "baseline.yaml")
    assert spec.policy.talent_recognition and levers.start_scale() == 0.05
    params = levers.model_params(spec, SCENARIOS / "baseline.yaml")
    assert all(params[f"talent_recognition_{c}"]["value"] is True for c in ("qingpu", "wujiang", "jiashan"))
    model = VizModel(SCENARIOS / "baseline.yaml", rng=1, scale=levers.start_scale())
    assert model.spec.policy.talent_recognition and model.spec.run.scale == 0.05
    assert map_data(model).names[2] == "嘉善"
    board = ChartBoard()
    assert board.axes["hnte_stock"].get_title() == "高新技术企业存量"
    # the map's title, legend and bars, and the controls, in Chinese
    data = map_data(model)
    assert data.month == "2019-01 (开始)"
    board = map_board_for(data)
    legend = board.ax.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["企业迁移", "人才流动"]
    assert legend.get_title().get_text().startswith("箭头")
    assert board.title.get_text() == "2019-01 (开始)：近12个月迁移企业0家、人才0名"
    assert board.numbers["firms", 0].get_text().startswith("企业 ")
    assert params["voucher_scope_jiashan"]["label"] == "科技创新券：使用范围（嘉善）"
    assert params["hnte_mutual_recognition_qingpu"]["label"] == "高新技术企业异地互认（青浦）"
    assert params["broker_reach"]["label"] == "技术经纪人：跨区对接范围"
    assert levers.describe_overrides({"policy.vouchers.scope.jiashan": "zone", "policy.talent_recognition.qingpu": True}) \
        == ["人才资质互认（青浦）: 开", "科技创新券：使用范围（嘉善）: 示范区"]


# ---------------------------------------------------------------- what the page may show
def test_the_page_never_shows_what_a_planted_file_extends(tmp_path, monkeypatch):
    from innosim.scenario import ScenarioError
    from innosim.viz.server import FOLDER_ENV

    monkeypatch.setenv(FOLDER_ENV, str(tmp_path))
    secret = tmp_path.parent / f"{tmp_path.name}-secret.yaml"  # outside the picker's folders
    secret.write_text("top_secret_value: [1, 2\n", encoding="utf-8")
    (tmp_path / "evil.yaml").write_text(f"extends: {secret}\n", encoding="utf-8")
    (tmp_path / "system.yaml").write_text("extends: /etc/passwd\n", encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(secret)
    (tmp_path / "broken.yaml").write_text("name: x\npolicy: {vouchers: {scope: my_secret_scope}}\n", encoding="utf-8")
    for name in ("evil", "system", "link", "broken"):
        with pytest.raises(ScenarioError) as caught:
            levers.load_viz_scenario(tmp_path / f"{name}.yaml")
        message = str(caught.value)
        assert message.startswith(f"{name}.yaml"), message
        assert "secret" not in message and "root" not in message, message
    assert "extends" in str(pytest.raises(ScenarioError, levers.load_viz_scenario, tmp_path / "evil.yaml").value)
    secret.unlink()


def test_the_projects_scenarios_still_extend_the_calibration_folder(monkeypatch):
    from innosim.viz.server import FOLDER_ENV

    monkeypatch.setenv(FOLDER_ENV, str(SCENARIOS))
    assert levers.load_viz_scenario(SCENARIOS / "baseline.yaml") == load_scenario(SCENARIOS / "baseline.yaml")


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                          ("0.0.0.0", True), ("192.168.1.5", True)])
def test_a_non_loopback_host_is_warned_that_the_page_has_no_login(monkeypatch, host, warned):
    from click.testing import CliRunner

    from innosim.cli import main
    from innosim.viz import server

    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: None)
    monkeypatch.setattr(server, "port_is_free", lambda *args: True)
    result = CliRunner().invoke(main, ["viz", "--host", host, "--port", "0"])
    assert result.exit_code == 0, result.output
    assert ("no login" in result.stderr) == warned


def test_the_chinese_page_embeds_the_glossarys_glyphs_of_the_shipped_font():
    """Under --lang zh the page's CSS carries an @font-face cut from Noto Sans SC (the font package innosim
    installs) with every character of the glossary: Chinese renders on a machine without a CJK font and
    without the network; the English page carries none."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from innosim.viz.cjkfont import PAGE_FAMILY, glossary_characters, page_css

    assert page_css("en") == ""
    css = page_css("zh")
    assert f'font-family: "{PAGE_FAMILY}"' in css and "http" not in css
    data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", css).group(1))
    assert len(data) < 400_000
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert all(ord(c) in cmap for c in "嘉善青浦吴江示范区高新技术企业")
    assert sum(ord(c) in cmap for c in glossary_characters()) / len(glossary_characters()) > 0.95
