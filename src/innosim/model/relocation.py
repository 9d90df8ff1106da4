"""Firms review their location once a year, and firms whose cash stays negative exit
(DESIGN.md section 3, step 8).

The review is a multinomial logit over the four places (McFadden 1974) with a bonus for
staying: the tax rate a certified firm expects after a move (the recognition lever), the talent
pool, rent, neighbours in the same sector, and distance to Shanghai's services.
"""

from __future__ import annotations

import numpy as np

from . import demography, draws, kernels
from .economy import monthly_rate
from .places import DISTANCE_KM, N_PLACES, SAME_PROVINCE, SHANGHAI
from .policy import tax_rate


def location_utility(model, rows: np.ndarray) -> np.ndarray:
    """Utility of each place for firms `rows` (matrix rows x places)."""
    f, b, rules = model.firms, model.behaviour, model.rules
    here = f.region[rows].astype(np.int64)
    certified = model.hnte_valid(rows)
    # tax rate a certified firm expects after a move to each place (Guokefahuo [2016] 32, art. 18):
    # 15 % where the status counts at once (same province, equal treatment, mutual recognition);
    # elsewhere the status is kept if the destination's check passes, so the expected rate is
    # pass x 15 % + (1 - pass) x 25 % (the few months of the check at 25 % are left out)
    at_once = rules.hnte_kept_on_move[here]
    after_check = b.hnte_move_check_pass * tax_rate(True) + (1.0 - b.hnte_move_check_pass) * tax_rate(False)
    rate = np.where(certified[:, None], np.where(at_once, tax_rate(True), after_check), tax_rate(False))
    margin = np.clip(f.profit[rows] / np.maximum(f.revenue[rows], 1e-9), 0.0, 0.5)
    utility = -b.firm_tax_weight * 100.0 * rate * margin[:, None]

    t = model.talents
    talents = kernels.count_where(t.view("region"), t.view("present"), N_PLACES) / model.spec.run.scale
    utility += b.firm_talent_weight * np.log((talents + 1.0) / (talents.mean() + 1.0))[None, :]  # at full scale
    utility -= b.firm_rent_weight * (model.rent / model.rent.mean())[None, :]

    alive = model.alive_rows()
    sectors = model.spec.population.sectors
    cell = f.sector[alive].astype(np.int64) * N_PLACES + f.region[alive]  # firms per sector and place
    per_sector = np.bincount(cell, minlength=sectors * N_PLACES).reshape(sectors, N_PLACES).astype(float)
    share = per_sector / np.maximum(per_sector.sum(axis=1, keepdims=True), 1.0)
    utility += b.firm_agglomeration_weight * share[f.sector[rows].astype(np.int64)]

    utility -= b.firm_distance_weight * DISTANCE_KM[:, SHANGHAI][None, :] / 100.0
    utility[np.arange(rows.size), here] += b.firm_stay_bonus
    return utility


def review_locations(model) -> None:
    """Firms whose review month this is weigh the places and may relocate."""
    f = model.firms
    rows = model.alive_rows()
    rows = rows[(f.review_month[rows] == model.calendar_month) & (f.incubator[rows] < 0)]
    if rows.size == 0:
        return
    utility = location_utility(model, rows)
    choice = np.argmax(utility + draws.gumbel(model, f, rows, N_PLACES), axis=1)
    movers = np.flatnonzero(choice != f.region[rows])
    for i, staff in zip(movers.tolist(), model.staff_of(rows[movers])):
        model.relocate_firm(int(rows[i]), int(choice[i]), staff)


def set_up_new_entities(model) -> None:
    """Certified firms set up new legal entities in another county of the zone: a partial move.

    Only a firm moving as a whole keeps its certificate (Guokefahuo [2016] 32, art. 18; work
    guideline Guokefahuo [2016] 195); a new legal entity must be certified on its own, which is
    the barrier of seed 1.3(1) ("省外高新技术企业落户需重新认定"). At its location review a certified
    firm opens one with chance `new_entity_rate` a year, where the location logit points among the
    other counties. The entity is an established firm of its own (staff, cash from its owners,
    the IP its parent transfers to it, which the 2016 rules count) but registered today, so it
    cannot apply before it is a year old. Where the destination honours the parent's certificate
    (`rules.hnte_kept_on_move`: Jiashan's equal tax treatment within the certificate's validity,
    seed 1.3(1), or mutual recognition; not the rules of a province, which keep a whole move's
    certificate only), it is taxed at 15 % until the parent's certificate runs out (`hnte_treated`),
    without counting as an HNTE; elsewhere it pays 25 % until it is certified."""
    f, b, rules = model.firms, model.behaviour, model.rules
    if b.new_entity_rate <= 0.0:
        return
    rows = model.alive_rows()
    parents = rows[model.hnte_certified()[rows] & (f.review_month[rows] == model.calendar_month)]
    parents = parents[draws.uniform(model, f, parents) < b.new_entity_rate]
    if parents.size == 0:
        return
    utility = location_utility(model, parents)
    utility[np.arange(parents.size), f.region[parents].astype(np.int64)] = -np.inf  # another county
    utility[:, SHANGHAI] = -np.inf                                                    # of the zone
    destination = np.argmax(utility + draws.gumbel(model, f, parents, N_PLACES), axis=1)
    order = np.argsort(destination, kind="stable")  # new rows come place by place
    parents, destination = parents[order], destination[order]
    new = demography.add_established_firms(model, np.bincount(destination, minlength=N_PLACES), "new_entities")
    f.birth_month[new] = model.month  # a new registration: a year before it may apply
    f.parent[new] = parents
    # honoured by the destination's own measure (a province keeps a whole move's certificate, but
    # gives a new entity nothing: SAME_PROVINCE is not honour)
    origin = f.hnte_region[parents].astype(np.int64)
    honoured = rules.hnte_kept_on_move[origin, destination] & ~SAME_PROVINCE[origin, destination]
    treated = new[honoured]
    f.hnte_until[treated] = f.hnte_until[parents[honoured]]
    f.hnte_region[treated] = destination[honoured]
    f.hnte_treated[treated] = True
    model.count("new_entities_treated", destination[honoured], np.ones(treated.size))


def exit_failed_firms(model) -> None:
    """Firms whose cash has been negative for too many months in a row exit; every firm
    also closes at `firm_exit_hazard` a year for reasons outside the model (owners retiring,
    mergers, shocks to their markets)."""
    f, b = model.firms, model.behaviour
    rows = model.alive_rows()
    negative = f.cash[rows] < 0
    f.negative_months[rows] = np.where(negative, f.negative_months[rows] + 1, 0)
    failed = f.negative_months[rows] >= b.exit_negative_months
    closing = draws.uniform(model, model.firms, rows) < monthly_rate(b.firm_exit_hazard)
    exiting = rows[failed | closing]
    model.exit_firms(exiting)
