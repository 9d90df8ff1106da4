"""The flows that change the three stocks planners ask about: HNTEs, firms and talents.

For every place p and month t, exactly (docs/ODD.md section 8, "the stock identity"):

    stock[p, t] = stock[p, t-1] + created[p] - ended[p] + moved in to p - moved out of p

`STOCK_FLOWS` (in the catalogue) says which indicators are which part, once; the counting test and
the analysis that splits an effect into its parts (`analysis/decompose.py`) both read it. Moves are counted by pair of
places: `<prefix>_<origin>` at the destination. A firm or talent leaves its origin in the month it
arrives at its destination, so its out-flows are the mirror of the in-flows (`moved_out` None). An
HNTE that moves across a provincial line without recognition leaves its origin's stock at once but
joins its destination's only when the destination's check passes (`hnte.resolve_move_checks`), or
never if it fails: the HNTE stock counts both ends, `hnte_to_<destination>` at the origin.

Counting draws no random number and changes no state: the runs are the same with or without it.
"""

from __future__ import annotations

import numpy as np

from innosim.catalogue import COUNTIES, PLACE_KEYS, STOCK_FLOWS, StockFlows

LEFT, JOINED = 0, 1  #: kinds of the HNTE stock's move matrix: left the origin's stock, joined the destination's


def _with_zone(per_place: np.ndarray) -> np.ndarray:
    """Four places -> five values, the zone the sum of the three counties (moves inside it included)."""
    return np.append(per_place, per_place[:len(COUNTIES)].sum())


def snapshot_flows(model) -> dict[str, np.ndarray]:
    """This month's stock-flow indicators not counted elsewhere: name -> five values (places, zone)."""
    out = {"hnte_exits": _with_zone(np.asarray(model.monthly["hnte_exits"], dtype=float))}
    moves = model.hnte_relocations_month
    people = model.relocations_month  # [firm, talent][from, to]
    for i, place in enumerate(PLACE_KEYS):
        out[f"hnte_from_{place}"] = _with_zone(moves[JOINED, i, :])
        out[f"hnte_to_{place}"] = _with_zone(moves[LEFT, :, i])
        out[f"firms_from_{place}"] = _with_zone(people[0, i, :])
        out[f"talents_from_{place}"] = _with_zone(people[1, i, :])
    return out


__all__ = ["JOINED", "LEFT", "STOCK_FLOWS", "StockFlows", "snapshot_flows"]
