"""Talents: job search, moves between places, equity, and founding start-ups (step 5).

A searching talent chooses a place by multinomial logit (McFadden 1974) over wage, amenity,
recognition of their qualifications, distance and a bonus for staying; then takes a vacancy
there if one is open. Unvested equity (the equity-incentive lever) makes a talent search less.
"""

from __future__ import annotations

import numpy as np

from . import draws, kernels
from .places import DISTANCE_KM, N_PLACES, SHANGHAI
from .policy import EQUITY_KEPT_WITHOUT_DEFERRAL
from .state import NO_STATUS, SHANGHAI_JOB, seats

#: A firm's value for an equity grant: one year of sales, about 17 times the after-tax profit at
#: the median margin of 6 % (an assumption; a venture-style valuation is higher, a listed
#: manufacturer's lower).
FIRM_VALUE_SALES_MULTIPLE = 1.0
#: Start-ups younger than this (and HNTEs) may grant equity with the deferral: the firms in view of
#: Caishui [2016] 101 (non-listed, in encouraged high-tech fields).
EQUITY_YOUNG_MONTHS = 60


def count_staff(model) -> None:
    """Refresh each firm's key-talent count, skill and wage bill from the talent table: in numpy
    terms np.bincount(employer, weights) over the employed talents, compiled as one pass over
    the talents (`kernels.staff_counts`)."""
    t, f = model.talents, model.firms
    n = f.n
    talents, skills, model.talent_wage_bill = kernels.staff_counts(
        t.view("employer"), t.view("skill"), t.view("wage"), n, f._capacity)
    f.talents[:n] = talents
    f.skill_sum[:n] = skills


def vested_share(model, rows: np.ndarray) -> np.ndarray:
    """Share of each talent's current grant vested by now (linear from the grant month)."""
    t = model.talents
    return np.clip((model.month - t.equity_start[rows]) / model.rules.equity_vesting, 0.0, 1.0)


def unvested_equity(model, rows: np.ndarray) -> np.ndarray:
    """After-tax value of the part of each talent's grant that has not vested yet (lost on leaving)."""
    t, rules = model.talents, model.rules
    return t.equity_grant[rows] * (1.0 - vested_share(model, rows)) * rules.equity_kept


def equity_offer(model, firms: np.ndarray) -> np.ndarray:
    """Value of the grant each firm offers a key talent it hires (0 where it offers none).

    Eligible firms (start-ups under five years and HNTEs in the three counties, the firms Caishui
    [2016] 101 has in view) reserve `equity_share` of their value for their key staff, shared over their key-talent
    positions. A firm's value is FIRM_VALUE_SALES_MULTIPLE years of sales."""
    f, rules = model.firms, model.rules
    if not rules.equity_enabled or firms.size == 0:
        return np.zeros(firms.size)
    eligible = ((model.month - f.birth_month[firms] < EQUITY_YOUNG_MONTHS) | model.hnte_valid(firms)) \
        & (f.region[firms] != SHANGHAI)  # a lever of the zone's counties, not of Shanghai's core
    value = FIRM_VALUE_SALES_MULTIPLE * 12.0 * f.revenue[firms]
    positions = np.maximum(seats(f, firms), f.talents[firms]).astype(float)
    return np.where(eligible, rules.equity_share * value / np.maximum(positions, 1.0), 0.0)


def place_utility(model, rows: np.ndarray) -> np.ndarray:
    """Utility of each of the four places for talents `rows` (matrix rows x places)."""
    t = model.talents
    here = t.region[rows].astype(np.int64)
    home = t.home[rows].astype(np.int64)
    return place_utility_table(model)[home * N_PLACES + here]


def place_utility_table(model) -> np.ndarray:
    """`place_utility` for every (home, here) pair: row home * N_PLACES + here, a column per place.
    Wage and amenity, less the penalty where the talent's qualifications are not recognised, less
    the distance from where they are, plus the bonus for staying, over the logit's scale."""
    b, rules = model.behaviour, model.rules
    home, here = np.divmod(np.arange(N_PLACES * N_PLACES), N_PLACES)
    wage = b.talent_wage_weight * np.log(model.talent_wage / model.talent_wage.mean())
    utility = (wage + model.amenity)[None, :].repeat(home.size, axis=0)
    utility -= b.recognition_penalty * ~rules.qualification_recognised[home]
    utility -= b.talent_distance_cost * DISTANCE_KM[here] / 100.0
    utility[np.arange(home.size), here] += b.talent_stay_bonus
    return utility / b.talent_logit_scale


def search_rate(model, rows: np.ndarray) -> np.ndarray:
    """Monthly chance that talents `rows` look for a job: unvested equity makes them search less."""
    t, b = model.talents, model.behaviour
    employed = t.employer[rows] != NO_STATUS
    rate = np.where(employed, b.job_search_rate, b.unemployed_search_rate)
    if model.rules.equity_enabled:
        rate = rate * np.exp(-b.equity_retention_weight * wage_years(model, unvested_equity(model, rows), t.region[rows]))
    return rate


def wage_years(model, value: np.ndarray, region: np.ndarray) -> np.ndarray:
    """A sum of money in years of a key talent's wage where they are (today's prices)."""
    region = np.asarray(region, dtype=np.int64)
    return value / (12.0 * model.talent_wage[region] * model.price[region])


def search_jobs(model) -> None:
    """Some talents look for a job; movers change place (a Mesa cell move) and employer.
    Shanghai's wider economy hires whoever comes while it has positions open."""
    t, f = model.talents, model.firms
    all_rows = model.present_talents()
    searching = all_rows[draws.uniform(model, t, all_rows) < search_rate(model, all_rows)]
    if searching.size == 0:
        return
    # argmax(place_utility + Gumbel), compiled as one pass (`kernels.keyed_logit_choice`, no bonus)
    group = t.home[searching].astype(np.int64) * N_PLACES + t.region[searching].astype(np.int64)
    key = np.uint64(model.rng.integers(0, 2**63))  # the draw `draws.gumbel` would take
    choice = kernels.keyed_logit_choice(place_utility_table(model), group, np.zeros(1), np.zeros(searching.size, dtype=np.bool_),
                                        np.zeros((1, N_PLACES)), np.zeros(searching.size, dtype=np.int64), searching, key)

    vacancies = model.vacancies()
    for place in range(N_PLACES):
        seekers = searching[choice == place]
        seekers = seekers[np.argsort(draws.uniform(model, t, seekers), kind="stable")]  # random order
        open_rows = vacancies[f.region[vacancies] == place] if vacancies.size else vacancies
        open_rows = order_vacancies(model, open_rows, place)
        matched = min(seekers.size, open_rows.size)
        talents, firms = seekers[:matched], open_rows[:matched]
        new = t.employer[talents] != firms
        hire_many(model, talents[new], firms[new])
        if place == SHANGHAI:
            rest = seekers[matched:]
            rest = rest[t.employer[rest] != SHANGHAI_JOB]
            open_jobs = int(model.shanghai_jobs - model.shanghai_employed())
            hire_in_shanghai(model, rest[: max(open_jobs, 0)])


def order_vacancies(model, rows: np.ndarray, place: int) -> np.ndarray:
    """The order in which seekers take a place's open positions: at random, except that a position
    with an equity grant on offer draws a talent first in proportion to the grant's after-tax value."""
    noise = draws.gumbel(model, model.firms, rows, 1)[:, 0] if rows.size else np.zeros(0)
    if model.rules.equity_enabled and rows.size:
        offer = equity_offer(model, rows) * model.rules.equity_kept
        noise = noise + model.behaviour.equity_retention_weight * wage_years(model, offer, np.full(rows.size, place))
    return rows[np.argsort(-noise, kind="stable")]


def hire(model, talent: int, firm: int) -> None:
    """`talent` joins `firm` (see `hire_many`)."""
    hire_many(model, np.array([talent]), np.array([firm]))


def hire_many(model, talents: np.ndarray, firms: np.ndarray) -> None:
    """Each of `talents` (distinct) joins the firm beside it, moving to the firm's place if needed;
    the vested part of a grant from the old employer is banked, the rest forfeited."""
    t, f = model.talents, model.firms
    if talents.size == 0:
        return
    old = t.employer[talents]
    np.subtract.at(f.talents, old[old >= 0], 1)
    vest_equity(model, talents[(old >= 0) & (t.equity_grant[talents] > 0)])
    destination = f.region[firms].astype(np.int64)
    moving = t.region[talents] != destination
    model.move_talents(talents[moving], destination[moving])
    t.employer[talents] = firms
    t.wage[talents] = model.talent_wage[destination] * (0.8 + 0.2 * t.skill[talents])
    t.hired_month[talents] = model.month
    if model.rules.equity_enabled:
        grant_equity(model, talents, firms)
    np.add.at(f.talents, firms, 1)
    model.count("hires", destination, np.ones(talents.size))


def hire_in_shanghai(model, talents: np.ndarray) -> None:
    """`talents` (distinct rows) take jobs in Shanghai's core economy (outside the modelled firms):
    they leave their employer (staff count, vested equity) and move to Shanghai if elsewhere."""
    t, f = model.talents, model.firms
    old = t.employer[talents]
    np.subtract.at(f.talents, old[old >= 0], 1)
    vest_equity(model, talents[(old >= 0) & (t.equity_grant[talents] > 0)])
    moving = talents[t.region[talents] != SHANGHAI]
    model.move_talents(moving, np.full(moving.size, SHANGHAI))
    t.employer[talents] = SHANGHAI_JOB
    t.wage[talents] = model.talent_wage[SHANGHAI] * (0.8 + 0.2 * t.skill[talents])
    t.hired_month[talents] = model.month


def quit_job(model, talents: np.ndarray) -> None:
    """Talents leave their employer and stay where they are, unemployed."""
    t = model.talents
    vest_equity(model, talents)
    t.employer[talents] = NO_STATUS
    t.wage[talents] = 0.0


def grant_equity(model, talents: np.ndarray, firms: np.ndarray) -> None:
    """Talents joining `firms` (or on the staff of a firm that starts a plan) get a grant once, which
    vests linearly over the vesting period from now. Nothing is paid: the owners are diluted by the
    grant's value (`equity_granted`). A firm grants a talent once, however long they stay."""
    t = model.talents
    offer = equity_offer(model, firms)
    new = (offer > 0) & (t.equity_employer[talents] != firms)
    talents, firms, offer = talents[new], firms[new], offer[new]
    if talents.size == 0:
        return
    vest_equity(model, talents)
    t.equity_grant[talents] = offer
    t.equity_start[talents] = model.month
    t.equity_employer[talents] = firms
    model.count("equity_granted", model.firms.region[firms].astype(np.int64), offer)


def grant_to_staff(model) -> None:
    """January: key staff of eligible firms who hold no grant from their employer get one (when
    the lever comes into force, or a firm becomes eligible, e.g. on certification)."""
    t = model.talents
    if not model.rules.equity_enabled:
        return
    staff = np.flatnonzero(t.view("employer") >= 0)
    staff = staff[t.equity_employer[staff] != t.employer[staff]]
    grant_equity(model, staff, t.employer[staff].astype(np.int64))


def vest_equity(model, talents: np.ndarray) -> None:
    """Bank the vested part of the talents' current grants (the unvested part is forfeited: it goes
    back to the owners). The deferral of Caishui [2016] 101 is income tax the state forgoes
    (`equity_tax_forgone`, in present value: EQUITY_KEPT_WITH_DEFERRAL - EQUITY_KEPT_WITHOUT_DEFERRAL
    of the value)."""
    t, rules = model.talents, model.rules
    talents = talents[t.equity_grant[talents] > 0]
    if talents.size == 0:
        return
    vested = t.equity_grant[talents] * vested_share(model, talents)
    t.equity_vested[talents] += vested * rules.equity_kept
    t.equity_grant[talents] = 0.0
    region = model.firms.region[t.equity_employer[talents]].astype(np.int64)  # the granting firm's county
    model.count("equity_vested", region, vested)
    model.count("equity_tax_forgone", region, vested * (rules.equity_kept - EQUITY_KEPT_WITHOUT_DEFERRAL))


def vest_completed(model) -> None:
    """January: grants that have fully vested are banked."""
    t = model.talents
    holders = np.flatnonzero(t.view("equity_grant") > 0)
    vest_equity(model, holders[vested_share(model, holders) >= 1.0])


def found_startups(model) -> None:
    """Skilled talents found start-ups in their place (equity incentives act on start-ups through
    hiring: a grant draws talents to their positions, see `order_vacancies`)."""
    t, b = model.talents, model.behaviour
    rate = b.founding_rate
    able = np.flatnonzero(t.view("present") & (t.view("skill") >= b.founding_skill_threshold))
    founders = able[draws.uniform(model, t, able) < rate]
    if founders.size == 0:
        return
    place = t.region[founders].astype(np.int64)
    rows = model.create_startups(place)
    hire_many(model, founders, rows)
    model.count("startups", place, np.ones(founders.size))
