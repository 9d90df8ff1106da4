"""The visual server's page: Mesa's SolaraViz with the map, the indicator charts and the controls.

`solara run innosim.viz.app` serves `Page`; `innosim viz` does that for you. The scenario file
to open first and the folder the picker lists come from the environment variables set by the
launcher (`server.SCENARIO_ENV`, `server.FOLDER_ENV`).
"""

from __future__ import annotations

import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz, make_plot_component

from innosim.outputs import COUNTY_COLOURS
from innosim.scenario import COUNTIES, ScenarioError

from .data import CHARTS, Chart, series_name
from .levers import (
    DEFAULT_SCALE,
    DEFAULT_SEED,
    find_scenario_dir,
    load_viz_scenario,
    model_params,
    scenario_files,
)
from .mapview import PlaceMap
from .vizmodel import VizModel

SCENARIO_ENV = "INNOSIM_VIZ_SCENARIO"
FOLDER_ENV = "INNOSIM_VIZ_SCENARIOS"
NO_FILE = "(schema defaults)"


def _chart_post_process(chart: Chart):
    def post_process(ax) -> None:
        ax.set_title(chart.title, fontsize=10)
        ax.legend(ax.get_lines(), [c.capitalize() for c in COUNTIES], loc="upper left", fontsize=8)
        ax.set_xlabel("month")
    return post_process


def chart_components() -> list:
    """One Mesa line chart per main indicator, a line per county in the county colours."""
    return [
        make_plot_component({series_name(chart.indicator, c): COUNTY_COLOURS[c] for c in COUNTIES},
                            post_process=_chart_post_process(chart))
        for chart in CHARTS
    ]


def components() -> list:
    return [(PlaceMap, 0), *chart_components()]


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
    with solara.Card("Scenario"):
        solara.Select("Scenario file", values=list(files), value=choice.value, on_value=on_pick)
        if description:
            solara.Markdown(description, style={"font-size": "0.85em"})
        solara.Text("Changing a lever below takes effect on Reset.", style={"font-size": "0.8em"})
        if error:
            solara.Error(error)


@solara.component
def Page():
    files, first = solara.use_memo(startup_choice, [])
    choice = solara.use_reactive(first)
    error = solara.use_reactive(None)
    spec = solara.use_memo(lambda: load_viz_scenario(files[choice.value]), [choice.value])
    model = solara.use_reactive(solara.use_memo(lambda: VizModel(files[first]), []))

    def pick(name: str) -> None:
        current = model.value
        try:
            new = VizModel(files[name], rng=DEFAULT_SEED if current.seed is None else current.seed,
                           scale=current.spec.run.scale)
        except (ScenarioError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set(None)
        model.set(new)
        choice.set(name)

    with solara.Sidebar():
        ScenarioPicker(files, choice, pick, error.value, spec.description)
    params = model_params(spec, files[choice.value],
                          seed=DEFAULT_SEED if model.value.seed is None else model.value.seed,
                          scale=getattr(model.value.spec.run, "scale", DEFAULT_SCALE))
    # a new file remounts SolaraViz so that its controls start from that file's lever settings
    SolaraViz(model, components=components(), model_params=params,
              name=f"innosim: {spec.name}").key(f"viz-{choice.value}")
