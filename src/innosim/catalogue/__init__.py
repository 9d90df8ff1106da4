"""The catalogue: each place, indicator and policy lever of innosim declared once, with all its facts.

As EMA Workbench declares a model's parameters and outcomes once, everything that lists places,
indicators or levers reads them from here: the scenario schema's place keys, the model's arrays and
snapshot, `PolicyRules`, the public-cost items, the reports' lists, the visual server's controls and
the glossary's keys. `tests/test_catalogue.py` fails when a module keeps a list of its own.
docs/catalogue.md says how to add a lever. Pure data: this package imports no other part of innosim.
"""

from .indicators import (COST_ITEMS, COUNTED, END_MEASURES, INDICATOR_NAMES, INDICATORS, PUBLIC_COST_ITEMS, RATES,
                         STOCK_FLOWS, VIEWS, ZONE_ONLY, CostItem, Indicator, StockFlows, main_indicators)
from .levers import LEVERS, RULES, VIZ_LEVERS, Control, Lever, Rule, levers_of
from .places import (COUNTIES, COUNTY_REGIONS, OUTSIDE, PLACE_KEYS, PLACES, REGION_COLOURS, REGION_LABELS, REGIONS,
                     ZONE, Place, distance_km, place_index)

__all__ = ["COST_ITEMS", "COUNTED", "END_MEASURES", "COUNTIES", "COUNTY_REGIONS", "Control", "CostItem", "INDICATORS",
           "INDICATOR_NAMES", "Indicator", "LEVERS", "Lever", "OUTSIDE", "PLACES", "PLACE_KEYS", "PUBLIC_COST_ITEMS",
           "Place", "RATES", "REGIONS", "REGION_COLOURS", "REGION_LABELS", "RULES", "Rule", "STOCK_FLOWS", "StockFlows",
           "VIEWS", "VIZ_LEVERS", "ZONE", "ZONE_ONLY", "distance_km", "levers_of", "main_indicators", "place_index"]
