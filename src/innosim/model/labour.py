"""Talents: job search, moves between places, equity, and founding start-ups (step 5).

A searching talent chooses a place by multinomial logit (McFadden 1974) over wage, amenity,
recognition of their qualifications, distance and a bonus for staying; then takes a vacancy
there if one is open. Unvested equity (the equity-incentive lever) makes a talent search less.
"""

from __future__ import annotations

import numpy as np

from .places import DISTANCE_KM, N_PLACES, SHANGHAI
from .state import NO_STATUS, SHANGHAI_JOB


def count_staff(model) -> None:
    """Refresh each firm's key-talent count, skill and wage bill from the talent table."""
    t, f = model.talents, model.firms
    employed = t.view("employer") >= 0
    employer = t.view("employer")[employed]
    n = f.n
    f.talents[:n] = np.bincount(employer, minlength=n)[:n]
    f.skill_sum[:n] = np.bincount(employer, t.view("skill")[employed], minlength=n)[:n]
    model.talent_wage_bill = np.bincount(employer, t.view("wage")[employed], minlength=f._capacity)


def unvested_equity(model, rows: np.ndarray) -> np.ndarray:
    """Value of the part of each talent's grant that has not vested yet (lost on leaving)."""
    t, rules = model.talents, model.rules
    tenure = model.month - t.hired_month[rows]
    remaining = np.clip(1.0 - tenure / rules.equity_vesting, 0.0, 1.0)
    return t.equity_grant[rows] * remaining * rules.equity_kept


def place_utility(model, rows: np.ndarray) -> np.ndarray:
    """Utility of each of the four places for talents `rows` (matrix rows x places)."""
    t, b, rules = model.talents, model.behaviour, model.rules
    here = t.region[rows].astype(np.int64)
    home = t.home[rows].astype(np.int64)
    wage = b.talent_wage_weight * np.log(model.talent_wage / model.talent_wage.mean())
    utility = (wage + model.amenity)[None, :].repeat(rows.size, axis=0)
    utility -= b.recognition_penalty * ~rules.qualification_recognised[home]
    utility -= b.talent_distance_cost * DISTANCE_KM[here] / 100.0
    utility[np.arange(rows.size), here] += b.talent_stay_bonus
    return utility / b.talent_logit_scale


def search_rate(model, rows: np.ndarray) -> np.ndarray:
    """Monthly chance that talents `rows` look for a job: unvested equity makes them search less."""
    t, b = model.talents, model.behaviour
    employed = t.employer[rows] != NO_STATUS
    rate = np.where(employed, b.job_search_rate, b.unemployed_search_rate)
    if model.rules.equity_enabled:
        stay_value = unvested_equity(model, rows) / (12.0 * model.talent_wage[t.region[rows].astype(np.int64)])
        rate = rate * np.exp(-b.equity_retention_weight * stay_value)
    return rate


def search_jobs(model) -> None:
    """Some talents look for a job; movers change place (a Mesa cell move) and employer.
    Shanghai's wider economy hires whoever comes while it has positions open."""
    t, f = model.talents, model.firms
    all_rows = model.present_talents()
    searching = all_rows[model.rng.random(all_rows.size) < search_rate(model, all_rows)]
    if searching.size == 0:
        return
    utility = place_utility(model, searching)
    choice = np.argmax(utility + model.rng.gumbel(size=utility.shape), axis=1)

    vacancies = model.vacancies()
    for place in range(N_PLACES):
        seekers = model.rng.permutation(searching[choice == place])
        open_rows = vacancies[f.region[vacancies] == place] if vacancies.size else vacancies
        open_rows = model.rng.permutation(open_rows)
        matched = min(seekers.size, open_rows.size)
        for talent, firm in zip(seekers[:matched].tolist(), open_rows[:matched].tolist(), strict=True):
            if t.employer[talent] == firm:
                continue
            hire(model, talent, firm)
        if place == SHANGHAI:
            rest = [r for r in seekers[matched:].tolist() if t.employer[r] != SHANGHAI_JOB]
            open_jobs = int(model.shanghai_jobs - model.shanghai_employed())
            for talent in rest[: max(open_jobs, 0)]:
                hire_in_shanghai(model, talent)


def hire(model, talent: int, firm: int) -> None:
    """`talent` joins `firm`, moving to the firm's place if needed; unvested equity is forfeited."""
    t, f = model.talents, model.firms
    leave_employer(model, talent)
    destination = int(f.region[firm])
    if t.region[talent] != destination:
        model.move_talent(talent, destination)
    t.employer[talent] = firm
    t.wage[talent] = model.talent_wage[destination] * (0.8 + 0.2 * t.skill[talent])
    t.hired_month[talent] = model.month
    t.equity_grant[talent] = f.equity_grant[firm]
    f.talents[firm] += 1
    model.monthly["hires"][destination] += 1


def leave_employer(model, talent: int) -> None:
    """Bookkeeping when a talent leaves a modelled firm: staff count, vested equity."""
    old = int(model.talents.employer[talent])
    if old >= 0:
        model.firms.talents[old] -= 1
        model.vest_equity(np.array([talent]))


def hire_in_shanghai(model, talent: int) -> None:
    """`talent` takes a job in Shanghai's core economy (outside the modelled firms)."""
    t = model.talents
    leave_employer(model, talent)
    if t.region[talent] != SHANGHAI:
        model.move_talent(talent, SHANGHAI)
    t.employer[talent] = SHANGHAI_JOB
    t.wage[talent] = model.talent_wage[SHANGHAI] * (0.8 + 0.2 * t.skill[talent])
    t.hired_month[talent] = model.month
    t.equity_grant[talent] = 0.0


def quit_job(model, talents: np.ndarray) -> None:
    """Talents leave their employer and stay where they are, unemployed."""
    t = model.talents
    model.vest_equity(talents)
    t.employer[talents] = NO_STATUS
    t.wage[talents] = 0.0
    t.equity_grant[talents] = 0.0


def grant_equity(model) -> None:
    """Each January, start-ups and HNTEs reserve an equity share for their key staff (lever)."""
    rules, f, t = model.rules, model.firms, model.talents
    if not rules.equity_enabled:
        return
    rows = model.alive_rows()
    eligible = rows[(model.month - f.birth_month[rows] < 60) | model.hnte_valid()[rows]]
    firm_value = 3.0 * 12.0 * f.revenue[eligible]  # three years of sales
    f.equity_grant[eligible] = rules.equity_share * firm_value / np.maximum(f.talents[eligible], 1)
    staff = np.flatnonzero(np.isin(t.view("employer"), eligible))
    model.vest_equity(staff)
    t.equity_grant[staff] = f.equity_grant[t.employer[staff]]
    t.hired_month[staff] = model.month


def found_startups(model) -> None:
    """Skilled talents found start-ups in their place; equity incentives make founding likelier."""
    t, b, rules = model.talents, model.behaviour, model.rules
    rate = b.founding_rate * (1.0 + b.founding_equity_effect * rules.equity_enabled * rules.equity_kept)
    able = np.flatnonzero(t.view("present") & (t.view("skill") >= b.founding_skill_threshold))
    founders = able[model.rng.random(able.size) < rate]
    if founders.size == 0:
        return
    place = t.region[founders].astype(np.int64)
    rows = model.create_startups(place)
    for talent, row in zip(founders.tolist(), rows.tolist(), strict=True):
        hire(model, talent, row)
    model.count("startups", place, np.ones(founders.size))
