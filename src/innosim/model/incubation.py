"""Incubators admit start-ups up to capacity and graduate them (DESIGN.md section 3, step 6).

Tenants pay a share of their rent and get mentoring (a higher innovation rate), so they survive
more often; a tenant that runs out of cash exits as any firm does (an incubator failure). At the
end of the incubation period a tenant graduates and chooses where to settle by multinomial logit: a bonus for staying in the incubator's county, for
post-incubation space and a stay subsidy there, Shanghai's pull, and distance. The paper's
"201 incubated, 52 succeeded and stayed in Jiashan" (25.9 %) is survival x stay.
"""

from __future__ import annotations

import numpy as np

from . import draws
from .places import DISTANCE_KM, N_COUNTIES, N_PLACES, SHANGHAI
from .state import ESTABLISHED, GRADUATE, INCUBATED, NO_STATUS

#: A start-up that finds no incubator place within this many months carries on alone.
MAX_WAIT_MONTHS = 12


def county_capacity(model, county: int) -> int:
    """A county's incubator places at this run's scale, whole: capacity x scale is fractional at most
    scales (Jiashan's 40 places are 8.4 at 0.21), so the fraction of a place is a whole place with that
    probability, by a lot drawn once per run (`InnoModel.lot`, the same in every scenario on the seed
    and at every dated change), rather than rounded: the expected places are right at any scale."""
    return int(draws.whole(model.rules.incubator_capacity[county], model.lot("incubator_capacity", N_COUNTIES)[county]))


def split_capacity(total: int, incubators: int) -> list[int]:
    """A county's places shared as evenly as whole places allow among its incubators."""
    return [total // incubators + (k < total % incubators) for k in range(incubators)]


def post_space_places(model) -> np.ndarray:
    """Post-incubation places per place this year, whole: the fraction of a place left at this scale
    is a place with that probability, by a lot drawn for each year (as `county_capacity`)."""
    year = (model.month - 1 + int(model.start.split("-")[1]) - 1) // 12 if model.month > 0 else 0
    return draws.whole(model.rules.post_incubation_space, model.lot("post_incubation_space", N_PLACES, year))


def admit(model) -> None:
    """Start-ups waiting in a county fill free incubator places, oldest first."""
    f = model.firms
    rows = model.alive_rows()
    gave_up = rows[(f.stage[rows] == INCUBATED) & (f.incubator[rows] == -1)
                   & (model.month - f.birth_month[rows] > MAX_WAIT_MONTHS)]
    f.stage[gave_up] = ESTABLISHED
    for incubator in model.incubators:
        free = incubator.capacity - model.incubator_occupancy(incubator)
        if free <= 0:
            continue
        rows = model.alive_rows()
        waiting = rows[(f.region[rows] == incubator.region) & (f.incubator[rows] == -1)
                       & (f.stage[rows] == INCUBATED)]
        chosen = waiting[np.argsort(f.birth_month[waiting], kind="stable")][:free]
        f.incubator[chosen] = incubator.unique_id
        f.incubated_since[chosen] = model.month


def free_post_space(model) -> None:
    """January: the year's post-incubation places are free again."""
    model.post_space_used[:] = 0


def settle_utility(model, incubator_place: int, n: int, space: np.ndarray | None = None) -> np.ndarray:
    """Utility of each place for `n` graduates of an incubator in `incubator_place`. `space`: the
    year's post-incubation places (`post_space_places`), when the caller has them."""
    b, rules = model.behaviour, model.rules
    utility = np.zeros((n, N_PLACES))
    utility[:, incubator_place] += b.graduate_stay_bonus
    space_left = (post_space_places(model) if space is None else space) - model.post_space_used
    utility += b.graduate_space_bonus * (space_left > 0)[None, :]
    if rules.stay_subsidy[incubator_place] > 0:
        utility[:, incubator_place] += b.graduate_subsidy_weight * rules.stay_subsidy[incubator_place]
    utility[:, SHANGHAI] += b.shanghai_pull
    utility -= b.talent_distance_cost * DISTANCE_KM[incubator_place][None, :] / 100.0
    return utility


def graduate(model) -> None:
    """Tenants at the end of their term graduate and settle somewhere. A tenant that fails does so
    as any firm does, by running out of cash (relocation.exit_failed_firms); the incubator makes
    that rarer through cheaper rent and mentoring."""
    f, b = model.firms, model.behaviour
    rows = model.alive_rows()
    due = rows[(f.incubator[rows] >= 0) & (model.month - f.incubated_since[rows] >= b.incubation_months)]
    if due.size == 0:
        return
    model.count("graduates_or_failed", f.region[due].astype(np.int64), np.ones(due.size))
    certified = model.hnte_valid()  # one graduate's move does not change another's status
    noise = draws.gumbel(model, f, due, N_PLACES)  # keyed by row: a graduate's taste is its own
    space = post_space_places(model)
    for i, (row, staff) in enumerate(zip(due.tolist(), model.staff_of(due))):
        home = int(f.region[row])
        utility = settle_utility(model, home, 1, space)[0]  # the space the graduates before took is gone
        place = int(np.argmax(utility + noise[i]))
        f.incubator[row] = -1
        f.incubated_since[row] = NO_STATUS
        f.stage[row] = GRADUATE
        model.count("graduates", np.array([home]), np.ones(1))
        if certified[row]:
            model.count("graduates_hnte", np.array([home]), np.ones(1))
        if place == home:
            model.count("graduates_stayed", np.array([home]), np.ones(1))
            if model.rules.stay_subsidy[home] > 0:
                model.ledger.firms_receive(np.array([row]), np.array([model.rules.stay_subsidy[home]]),
                                           "government", np.array([home]))
                model.count("stay_subsidies", np.array([home]), np.array([model.rules.stay_subsidy[home]]))
        else:
            model.relocate_firm(row, place, staff)
        if space[place] - model.post_space_used[place] > 0:
            model.post_space_used[place] += 1
