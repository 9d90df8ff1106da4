"""The four places as the model's arrays (DESIGN.md section 2), from the catalogue's facts.

Index order everywhere in the model: 0 Qingpu, 1 Wujiang, 2 Jiashan, 3 Shanghai's core
(the order of `innosim.catalogue.PLACES`).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from mesa.discrete_space import Cell, Network

from innosim.catalogue import COUNTIES, PLACE_KEYS, PLACES, distance_km, place_index

N_PLACES = len(PLACES)
N_COUNTIES = len(COUNTIES)
#: Indexes of the places, as mechanisms and tests name them; Shanghai's core is the place outside the zone.
QINGPU, WUJIANG, JIASHAN, SHANGHAI = (place_index(key) for key in PLACE_KEYS)

#: Resident population, 7th national census (2020). Shanghai core: the central urban districts.
POPULATION = np.array([p.population for p in PLACES])
#: Land area, km².
AREA_KM2 = np.array([p.area_km2 for p in PLACES])
#: Province of each place: mutual recognition is needed only across a provincial line.
PROVINCE = np.array([p.province for p in PLACES])

#: Straight-line km between county seats and Shanghai's centre (DESIGN.md section 2).
DISTANCE_KM = np.array([[distance_km(a, b) for b in PLACE_KEYS] for a in PLACE_KEYS])
#: Travel time by road in minutes: straight-line km x 1.3 detour at 60 km/h (an assumption).
TRAVEL_MINUTES = DISTANCE_KM * 1.3

#: Approximate positions (longitude, latitude) of the seats, for maps.
LONLAT = np.array([p.lonlat for p in PLACES])

SAME_PROVINCE = PROVINCE[:, None] == PROVINCE[None, :]
IN_ZONE = np.array([p.county for p in PLACES])


def region_graph() -> nx.Graph:
    """A complete graph of the four places; edges carry distance and travel time."""
    graph = nx.Graph()
    for i, name in enumerate(PLACE_KEYS):
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


__all__ = ["AREA_KM2", "DISTANCE_KM", "IN_ZONE", "JIASHAN", "LONLAT", "N_COUNTIES", "N_PLACES", "POPULATION",
           "PROVINCE", "QINGPU", "SAME_PROVINCE", "SHANGHAI", "TRAVEL_MINUTES", "WUJIANG", "PlaceCell", "build_space",
           "place_index", "region_graph"]
