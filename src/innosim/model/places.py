"""The four places and the facts about them (DESIGN.md section 2).

Index order everywhere in the model: 0 Qingpu, 1 Wujiang, 2 Jiashan, 3 Shanghai's core.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from mesa.discrete_space import Cell, Network

from innosim.scenario import COUNTIES, PLACES

QINGPU, WUJIANG, JIASHAN, SHANGHAI = range(4)
N_PLACES = len(PLACES)
N_COUNTIES = len(COUNTIES)

LABELS = {"qingpu": "Qingpu", "wujiang": "Wujiang", "jiashan": "Jiashan", "shanghai": "Shanghai core"}

#: Resident population, 7th national census (2020). Shanghai core: the central urban districts.
POPULATION = np.array([1_271_424, 1_545_023, 648_160, 6_700_000])
#: Land area, km².
AREA_KM2 = np.array([676.0, 1177.0, 507.0, 289.0])
#: Province of each place: mutual recognition is needed only across a provincial line.
PROVINCE = np.array(["Shanghai", "Jiangsu", "Zhejiang", "Shanghai"])

#: Straight-line km between county seats and Shanghai's centre (DESIGN.md section 2).
DISTANCE_KM = np.array([
    #  QP    WJ    JS    SH
    [0.0, 45.0, 39.0, 35.0],
    [45.0, 0.0, 44.0, 79.0],
    [39.0, 44.0, 0.0, 68.0],
    [35.0, 79.0, 68.0, 0.0],
])
#: Travel time by road in minutes: straight-line km x 1.3 detour at 60 km/h (an assumption).
TRAVEL_MINUTES = DISTANCE_KM * 1.3

#: Approximate positions (longitude, latitude) of the seats, for maps.
LONLAT = np.array([
    [121.12, 31.15],
    [120.64, 31.16],
    [120.92, 30.84],
    [121.47, 31.23],
])

SAME_PROVINCE = PROVINCE[:, None] == PROVINCE[None, :]
IN_ZONE = np.array([True, True, True, False])


def region_graph() -> nx.Graph:
    """A complete graph of the four places; edges carry distance and travel time."""
    graph = nx.Graph()
    for i, name in enumerate(PLACES):
        graph.add_node(i, name=name, population=int(POPULATION[i]), area_km2=float(AREA_KM2[i]))
    for i in range(N_PLACES):
        for j in range(i + 1, N_PLACES):
            graph.add_edge(i, j, km=float(DISTANCE_KM[i, j]), minutes=float(TRAVEL_MINUTES[i, j]))
    return graph


class PlaceCell(Cell):
    """A place holding thousands of agents.

    Mesa keeps a cell's agents in a list, so an agent leaving costs O(n); here `_agents` is an
    insertion-ordered dict (iterating it yields the agents, as Mesa's neighbourhood code expects),
    so leaving costs O(1).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._agents = {}

    def add_agent(self, agent) -> None:
        self._agents[agent] = None
        self.empty = False

    def remove_agent(self, agent) -> None:
        del self._agents[agent]
        self.empty = not self._agents

    @property
    def agents(self) -> list:
        return list(self._agents)

    @property
    def is_empty(self) -> bool:
        return not self._agents

    @property
    def is_full(self) -> bool:
        return False


def build_space(random) -> Network:
    """The Mesa network space of the four places."""
    return Network(region_graph(), random=random, cell_klass=PlaceCell)


def place_index(name: str) -> int:
    return PLACES.index(name)
