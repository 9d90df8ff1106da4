"""The model as the visual server builds it: a scenario file, a seed, a scale and lever settings.

SolaraViz rebuilds the model on Reset by calling its class with the page's parameters, so this
class takes exactly those parameters as keywords: one per control of `levers.CONTROLS` (a lever's
county, e.g. ``voucher_scope_jiashan``). Its signature, as `inspect` reads it (Mesa does), lists every
one by name, with no ``scenario`` and no ``**kwargs``: Mesa 3.5's reset injects its own
``scenario=`` object into a model that accepts one, which `InnoModel` would mistake for an innosim
scenario. The signature is built from the lever table, so that a new lever needs no edit here.
"""

from __future__ import annotations

import inspect
import itertools
import weakref
from collections import defaultdict
from pathlib import Path

import mesa

from innosim.model import InnoModel
from innosim.model.indicators import snapshot

from .data import relocations_this_month
from .levers import CONTROLS, DEFAULT_SCALE, DEFAULT_SEED, lever_overrides, load_viz_scenario, parse_seed


class AgentNumbers(weakref.WeakKeyDictionary):
    """Each model's counter of agent numbers (1, 2, ...), kept only while the model lives."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


def release_dropped_models() -> None:
    """Let a model that the page dropped be freed (Mesa 3.3).

    Mesa 3.3 numbers agents from a class-level table keyed by their model (`mesa.Agent._ids`, a
    defaultdict), which holds every model ever built: the visual server, which builds one for
    each page and each Reset, kept them all. Mesa 3.5 numbers agents in the model and has no such
    table. A weak-keyed table numbers them the same way and lets go of a model nothing else holds.
    """
    numbers = getattr(mesa.Agent, "_ids", None)
    if isinstance(numbers, defaultdict):
        weak = AgentNumbers()
        weak.update(numbers)
        mesa.Agent._ids = weak


release_dropped_models()


class VizModel(InnoModel):
    """`InnoModel` from a scenario file with lever settings.

    A lever left at ``None`` keeps the file's value. The data collector adds, to the model's
    indicator records (the initial state, then one per month), each month's moves for the map.
    """

    def __init__(self, scenario_file: str | Path | None = None, rng: int | str | None = DEFAULT_SEED,
                 scale: float = DEFAULT_SCALE, **controls):
        # `controls`: the page's lever settings by control name (see `signature` below); an unknown
        # name is refused by `lever_overrides`
        settings = {name: value for name, value in controls.items() if value is not None}
        file_spec = load_viz_scenario(scenario_file)
        overrides = lever_overrides(file_spec, settings)
        overrides["run.scale"] = float(scale)
        self.scenario_file = scenario_file
        self.seed = parse_seed(rng)
        super().__init__(file_spec, rng=self.seed, overrides=overrides)
        self.lever_overrides = overrides
        self.datacollector = mesa.DataCollector(model_reporters={
            "indicators": snapshot,
            "relocations": relocations_this_month,
        })
        self.datacollector.collect(self)  # the initial state, as InnoModel records it


def signature() -> inspect.Signature:
    """`VizModel.__init__` as Mesa reads it: the file, the seed, the scale, then every control by name."""
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fixed = [inspect.Parameter("self", keyword), inspect.Parameter("scenario_file", keyword, default=None),
             inspect.Parameter("rng", keyword, default=DEFAULT_SEED),
             inspect.Parameter("scale", keyword, default=DEFAULT_SCALE)]
    return inspect.Signature(fixed + [inspect.Parameter(c.param, inspect.Parameter.KEYWORD_ONLY, default=None)
                                      for c in CONTROLS])


VizModel.__init__.__signature__ = signature()
