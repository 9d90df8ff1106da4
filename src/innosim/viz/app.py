"""The visual server's page: Mesa's SolaraViz (controls, model parameters, step, play, reset)
beside the map and the indicator charts.

`solara run innosim.viz.app` serves `Page`; `innosim viz` does that for you. The scenario file
to open first and the folder the picker lists come from the environment the launcher sets
(`server.SCENARIO_ENV`, `server.FOLDER_ENV`).

The map and the charts are laid out by this page rather than handed to SolaraViz as
`components`: SolaraViz puts components in a draggable grid whose script (vue-grid-layout)
fails to load under ipyvue 3 ("GlobalVue.use is not a function"), which left the page empty.
They redraw on Mesa's update counter all the same.
"""

from __future__ import annotations

import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz

from innosim.i18n import Labels
from innosim.scenario import ScenarioError

from .charts import IndicatorCharts
from .levers import (
    describe_overrides,
    find_scenario_dir,
    load_viz_scenario,
    model_params,
    scenario_files,
    start_scale,
)
from .cjkfont import page_css
from .data import screen_csv
from .mapview import PlaceMap
from .server import FOLDER_ENV, SCENARIO_ENV
from .vizmodel import VizModel

NO_FILE = "(schema defaults)"
#: Legible at 100 % zoom, slider values always shown (Vuetify 2 and 3 class names), and at 800 px
#: wide the sidebar stacks above the page instead of covering the map.
PAGE_CSS = """
.innosim-summary { font-size: 15px !important; }
.v-application { font-size: 15px; }
.v-slider__thumb-label-container, .v-slider__thumb-label, .v-slider-thumb__label-container { display: block !important; }
.v-slider__thumb-label { transform: translateY(-20%) translateY(-12px) translateX(-50%) rotate(45deg) !important; }
.v-slider-thumb__label, .v-slider__thumb-label { font-size: 12px; }
.v-input__slot, .v-slider { margin-top: 14px; }
.v-input--checkbox { margin-top: 0 !important; padding-top: 0 !important; }
.v-input--checkbox .v-input__slot { margin-top: 0 !important; }
@media (max-width: 960px) {
  .v-navigation-drawer { position: relative !important; width: 100vw !important; max-width: none !important;
                         transform: none !important; max-height: none !important; height: auto !important;
                         box-shadow: none !important; }
  /* the drawer's scrim: Vuetify 3's, and Vuetify 2's (put directly under the app) */
  .v-navigation-drawer__scrim, .v-application > .v-overlay { display: none !important; }
  .v-main { padding-left: 0 !important; }
}
"""


def startup_choice() -> tuple[dict[str, Path], str]:
    """The picker's files and the one to open first, from the launcher's environment."""
    first = os.environ.get(SCENARIO_ENV) or None
    folder = os.environ.get(FOLDER_ENV) or find_scenario_dir(first)
    files = scenario_files(folder)
    if first is not None:
        path = Path(first).resolve()
        files.setdefault(path.stem, path)
        return files, path.stem
    if "baseline" in files:
        return files, "baseline"
    return {NO_FILE: None, **files}, NO_FILE


@solara.component
def ScenarioPicker(files: dict, choice: solara.Reactive, on_pick, error: str | None, description: str):
    t = Labels()
    with solara.Card(t.text("Scenario")):
        solara.Select(t.text("Scenario file"), values=list(files), value=choice.value, on_value=on_pick)
        with solara.Column(gap="4px"):
            if description:
                solara.Text(description, style={"font-size": "0.85em"})
            solara.Text(t.text("Below: the levers (starting from the file's values), the seed and the scale (the "
                               "share of the real population simulated) take effect on Reset."),
                        style={"font-size": "0.8em", "opacity": 0.7})
            if error:
                solara.Error(error)


def run_summary(model: VizModel) -> str:
    """What is running: the scenario, the seed, the scale and the levers moved away from the file."""
    from innosim.i18n import Labels

    t = Labels()
    changed = describe_overrides(model.lever_overrides)
    seed = t.text("random") if model.seed is None else model.seed
    text = f"{t.text('Running')} {model.spec.name}, {t.text('seed')} {seed}, {t.text('scale')} {model.spec.run.scale:g}"
    return text + (f"; {t.text('changed')}: {'; '.join(changed)}" if changed else f"; {t.text('levers as in the file')}")


@solara.component
def ModelView(model):
    """What is running, then the map and the charts side by side (stacked on a narrow screen)."""
    solara.Style(PAGE_CSS + page_css(Labels().lang))  # Chinese in a font shipped with innosim, not the system's
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text(run_summary(model), classes=["innosim-summary"])
        solara.FileDownload(lambda: screen_csv(model), filename=f"innosim-{model.spec.name}.csv",
                            label=Labels().text("Download the data (CSV)"), mime_type="text/csv")
    with solara.ColumnsResponsive(default=12, large=6):
        with solara.Card(Labels().text("Places and moves"), margin=0, classes=["innosim-map"]):
            PlaceMap(model)
        with solara.Card(Labels().text("Indicators by county"), margin=0, classes=["innosim-charts"]):
            IndicatorCharts(model)


@solara.component
def Page():
    files, first = solara.use_memo(startup_choice, [])
    choice = solara.use_reactive(first)
    error = solara.use_reactive(None)
    spec = solara.use_memo(lambda: load_viz_scenario(files[choice.value]), [choice.value])
    model = solara.use_reactive(solara.use_memo(lambda: VizModel(files[first], scale=start_scale()), []))

    def pick(name: str) -> None:
        """Open another file: its model at once (same seed and scale), its levers in the controls."""
        current = model.value
        try:
            new = VizModel(files[name], rng=current.seed, scale=current.spec.run.scale)
        except (ScenarioError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set(None)
        model.set(new)
        choice.set(name)

    with solara.Sidebar():
        ScenarioPicker(files, choice, pick, error.value, spec.description)
    seed = "" if model.value.seed is None else model.value.seed  # an empty box: a fresh random seed
    params = model_params(spec, files[choice.value], seed=seed, scale=model.value.spec.run.scale)
    # a new file remounts SolaraViz, so that its controls start from that file's lever settings
    SolaraViz(model, components=[], model_params=params, name=f"innosim: {spec.name}").key(f"viz-{choice.value}")
    ModelView(model.value)
