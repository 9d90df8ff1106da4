"""The flows that change the three stocks planners ask about: HNTEs, firms and talents.

For every place p and month t, exactly (docs/ODD.md section 8, "the stock identity"):

    stock[p, t] = stock[p, t-1] + created[p] - ended[p] + moved in to p - moved out of p

`STOCK_FLOWS` says which indicators are which part, once; the counting test and the analysis that
splits an effect into its parts (`analysis/decompose.py`) both read it. Moves are counted by pair of
places: `<prefix>_<origin>` at the destination. A firm or talent leaves its origin in the month it
arrives at its destination, so its out-flows are the mirror of the in-flows (`moved_out` None). An
HNTE that moves across a provincial line without recognition leaves its origin's stock at once but
joins its destination's only when the destination's check passes (`hnte.resolve_move_checks`), or
never if it fails: the HNTE stock counts both ends, `hnte_to_<destination>` at the origin.

Counting draws no random number and changes no state: the runs are the same with or without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from innosim.scenario import COUNTIES, PLACES

LEFT, JOINED = 0, 1  #: kinds of the HNTE stock's move matrix: left the origin's stock, joined the destination's


@dataclass(frozen=True)
class StockFlows:
    """The parts of one stock's change in a place: indicators that add, subtract, and the pair prefixes."""

    stock: str
    created: tuple[str, ...]   # in-flows created in the place (certified, founded, taken up)
    entered: tuple[str, ...]   # in-flows from outside the four places
    ended: tuple[str, ...]     # out-flows that end in the place (lapsed, exited)
    departed: tuple[str, ...]  # out-flows that leave the four places
    moved_in: str              # `<moved_in>_<origin>`: in-flows from another place, at the destination
    moved_out: str | None      # `<moved_out>_<destination>` at the origin; None: the mirror of `moved_in`

    def pair(self, prefix: str, place: str) -> str:
        return f"{prefix}_{place}"


STOCK_FLOWS: tuple[StockFlows, ...] = (
    StockFlows("hnte_stock", created=("hnte_new", "hnte_regained"), entered=(),
               ended=("hnte_lapsed", "hnte_exits"), departed=(), moved_in="hnte_from", moved_out="hnte_to"),
    StockFlows("firms", created=("startups", "firms_uptake", "new_entities"), entered=("firms_entered",),
               ended=("exits",), departed=(), moved_in="firms_from", moved_out=None),
    StockFlows("talents", created=(), entered=("talents_arrived",),
               ended=(), departed=("talents_departed",), moved_in="talents_from", moved_out=None),
)

_PLACE_WORDS = {"qingpu": "Qingpu", "wujiang": "Wujiang", "jiashan": "Jiashan", "shanghai": "Shanghai's core"}

#: The indicators this module adds (name, kind, unit, description), in the catalogue's order.
STOCK_FLOW_INDICATORS: tuple[tuple[str, str, str, str], ...] = (
    ("hnte_exits", "flow", "firms", "firms holding HNTE status that exited (they leave the HNTE stock)"),
    *((f"hnte_from_{p}", "flow", "firms", f"HNTEs joining the stock here after a move from {_PLACE_WORDS[p]} "
       "(at once, or when the destination's check passes)") for p in PLACES),
    *((f"hnte_to_{p}", "flow", "firms", f"HNTEs leaving the stock here by a move to {_PLACE_WORDS[p]}")
      for p in PLACES),
    *((f"firms_from_{p}", "flow", "firms", f"firms relocating here from {_PLACE_WORDS[p]}") for p in PLACES),
    *((f"talents_from_{p}", "flow", "persons", f"talents moving here from {_PLACE_WORDS[p]}") for p in PLACES),
)


def _with_zone(per_place: np.ndarray) -> np.ndarray:
    """Four places -> five values, the zone the sum of the three counties (moves inside it included)."""
    return np.append(per_place, per_place[:len(COUNTIES)].sum())


def snapshot_flows(model) -> dict[str, np.ndarray]:
    """This month's stock-flow indicators not counted elsewhere: name -> five values (places, zone)."""
    out = {"hnte_exits": _with_zone(np.asarray(model.monthly["hnte_exits"], dtype=float))}
    moves = model.hnte_relocations_month
    people = model.relocations_month  # [firm, talent][from, to]
    for i, place in enumerate(PLACES):
        out[f"hnte_from_{place}"] = _with_zone(moves[JOINED, i, :])
        out[f"hnte_to_{place}"] = _with_zone(moves[LEFT, :, i])
        out[f"firms_from_{place}"] = _with_zone(people[0, i, :])
        out[f"talents_from_{place}"] = _with_zone(people[1, i, :])
    return out


__all__ = ["JOINED", "LEFT", "STOCK_FLOWS", "STOCK_FLOW_INDICATORS", "StockFlows", "snapshot_flows"]
