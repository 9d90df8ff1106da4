"""The four places and every fact about them (DESIGN.md section 2), declared once.

Index order everywhere in the model is the order of `PLACES`: 0 Qingpu, 1 Wujiang, 2 Jiashan,
3 Shanghai's core. The three counties make the demonstration zone; Shanghai's core is outside it
(it issues no vouchers and pays no subsidies), and "zone" is the region that sums the counties.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """One place: its key (as scenario files write it), its names, where and how big it is, and the
    defaults of its prices (`places.<key>` of the scenario schema)."""

    key: str
    label: str          # short English name, as tables and legends say it
    name: str           # in English prose ("Shanghai's core")
    county: bool        # one of the zone's three counties (a place deciding levers)
    province: str       # mutual recognition is needed only across a provincial line
    population: int     # residents, 7th national census (2020); Shanghai's core: the central urban districts
    area_km2: float
    lonlat: tuple[float, float]  # approximate position of the seat, for maps
    colour: str         # in every plot and on the visual server
    economy: dict = field(default_factory=dict)  # defaults of `places.<key>` (PlaceEconomy), 2019


PLACES: tuple[Place, ...] = (
    Place("qingpu", "Qingpu", "Qingpu", True, "Shanghai", 1_271_424, 676.0, (121.12, 31.15), "#1f77b4",
          dict(talent_wage=0.016, staff_wage=0.0075, rent=0.0012, productivity=1.0, provider_quality=0.55,
               amenity=0.2)),
    Place("wujiang", "Wujiang", "Wujiang", True, "Jiangsu", 1_545_023, 1177.0, (120.64, 31.16), "#2ca02c",
          dict(talent_wage=0.015, staff_wage=0.0070, rent=0.0010, productivity=1.0, provider_quality=0.5,
               amenity=0.0)),
    Place("jiashan", "Jiashan", "Jiashan", True, "Zhejiang", 648_160, 507.0, (120.92, 30.84), "#d62728",
          dict(talent_wage=0.014, staff_wage=0.0065, rent=0.0009, productivity=0.97, provider_quality=0.45,
               amenity=0.0)),
    # Shanghai's core pays more, but housing costs outweigh its amenities for most talents
    Place("shanghai", "Shanghai core", "Shanghai's core", False, "Shanghai", 6_700_000, 289.0, (121.47, 31.23),
          "#7f7f7f", dict(talent_wage=0.022, staff_wage=0.0100, rent=0.0030, productivity=1.1, provider_quality=1.0,
                          amenity=-0.6)),
)
PLACE_KEYS: tuple[str, ...] = tuple(p.key for p in PLACES)
COUNTIES: tuple[str, ...] = tuple(p.key for p in PLACES if p.county)
BY_KEY: dict[str, Place] = {p.key: p for p in PLACES}

#: The region that sums the three counties, after the places in every table of indicators.
ZONE = "zone"
ZONE_LABEL = "Zone"
ZONE_COLOUR = "#000000"
REGIONS: tuple[str, ...] = (*PLACE_KEYS, ZONE)
#: The three counties and the zone: the regions a county's planner reads.
COUNTY_REGIONS: tuple[str, ...] = (*COUNTIES, ZONE)
#: English labels of the regions (places and the zone), for tables and legends.
REGION_LABELS: dict[str, str] = {**{p.key: p.label for p in PLACES}, ZONE: ZONE_LABEL}
#: Colours of the regions in every plot and on the visual server.
REGION_COLOURS: dict[str, str] = {**{p.key: p.colour for p in PLACES}, ZONE: ZONE_COLOUR}
#: The place outside the zone (index 3).
OUTSIDE: str = next(p.key for p in PLACES if not p.county)

#: Straight-line km between county seats and Shanghai's centre (DESIGN.md section 2).
DISTANCE_KM: dict[frozenset, float] = {
    frozenset(("qingpu", "wujiang")): 45.0, frozenset(("qingpu", "jiashan")): 39.0,
    frozenset(("qingpu", "shanghai")): 35.0, frozenset(("wujiang", "jiashan")): 44.0,
    frozenset(("wujiang", "shanghai")): 79.0, frozenset(("jiashan", "shanghai")): 68.0,
}


def distance_km(a: str, b: str) -> float:
    """Straight-line km between two places (0 within one)."""
    return 0.0 if a == b else DISTANCE_KM[frozenset((a, b))]


def place_index(key: str) -> int:
    """A place's index in the model's arrays."""
    return PLACE_KEYS.index(key)
