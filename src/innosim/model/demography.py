"""Open populations: talents arrive and leave for good, firms enter from outside the four places.

- Graduates and migrants arrive each month, `talent_arrival_rate` a year of the talents there are,
  plus migrants drawn by jobs left open (`migration_response` a year of the open positions beyond
  those the unemployed could take), and choose a place by multinomial logit over wage, amenity and the jobs open there against the
  people already looking (McFadden 1974); county talent programmes bring high-end talents to
  their county (`policy.talent_programmes`; Jiashan's 93 + 74 over some eight years, seed 1.1(3)).
- Talents retire (a 35-year career) and unemployed talents leave for good.
- Shanghai's core economy, outside the modelled firms, employs a finite number of talents that
  grows with its economy (`places.shanghai.growth`).
- Established firms enter each place from elsewhere in China, `firm_entry_rate` a year of the
  firms there (the paper's "110+ high-end projects brought in since 2015" in Jiashan), with
  their key staff; Shanghai's core has firms of its own, some of which relocate into the zone at
  their annual location review (relocation.py).
"""

from __future__ import annotations

import numpy as np

from . import draws, economy, labour, population
from .places import N_PLACES, POPULATION, SHANGHAI
from .policy import ALL_FIRMS, REFERENCE_DEDUCTION, TECH_SME, tax_rate
from .state import NO_STATUS

#: Skill of talent-programme arrivals: the top decile of the skill distribution and above.
PROGRAMME_SKILL_Z = (1.75, 0.4)
#: Age of a firm entering from outside, months (an established firm).
ENTRANT_AGE = (24, 180)


def add_talents(model, place: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """New talents (unemployed) in `place`; their qualifications are recognised where they settle."""
    rows = model.talents.add(place.size, region=place, home=place, skill=skill, employer=NO_STATUS,
                             arrived=model.month, hired_month=model.month)
    model.count("talents_arrived", place, np.ones(place.size))
    return rows


def open_jobs(model) -> np.ndarray:
    """Key-talent vacancies per place, Shanghai's wider economy included."""
    f = model.firms
    vacancies = model.vacancies()
    jobs = np.bincount(f.region[vacancies].astype(np.int64), minlength=N_PLACES).astype(float)
    jobs[SHANGHAI] += max(model.shanghai_jobs - model.shanghai_employed(), 0.0)
    return jobs


def arrival_utility(model, jobs: np.ndarray, seeking: np.ndarray) -> np.ndarray:
    """Each place's pull on an arriving talent: wage, amenity, and the open jobs there against the
    people looking (per place). The jobs and seekers are counted at full scale: the +1 that keeps
    the ratio finite is one job and one seeker of the real zone at any run.scale, not 1/scale."""
    b, scale = model.behaviour, model.spec.run.scale
    return (b.talent_wage_weight * np.log(model.talent_wage / model.talent_wage.mean()) + model.amenity
            + b.arrival_job_weight * np.log((jobs / scale + 1.0) / (seeking / scale + 1.0)))


def arrive(model) -> None:
    """Graduates and migrants arrive and choose a place; programme talents join their county."""
    b, rng, t = model.behaviour, model.rng, model.talents
    present = model.present_talents()
    jobs = open_jobs(model)
    seeking = np.bincount(t.region[present[t.employer[present] == NO_STATUS]].astype(np.int64), minlength=N_PLACES)
    n = rng.poisson((b.talent_arrival_rate * present.size + b.migration_response * max(jobs.sum() - seeking.sum(), 0))
                    / 12.0)
    if n > 0:
        utility = arrival_utility(model, jobs, seeking)
        choice = np.argmax(utility[None, :] + rng.gumbel(size=(n, N_PLACES)), axis=1)
        add_talents(model, choice, population.draw_skills(rng, n))
    programme = rng.poisson(model.rules.talent_programmes / 12.0)
    if programme.sum() > 0:
        place = np.repeat(np.arange(N_PLACES), programme)
        skill = np.exp(population.SKILL_SIGMA * rng.normal(*PROGRAMME_SKILL_Z, place.size))
        add_talents(model, place, skill)
        model.count("programme_talents", place, np.ones(place.size))


def leave(model) -> None:
    """Talents retire, and unemployed talents who arrived before this month may leave for good."""
    b, t = model.behaviour, model.talents
    present = model.present_talents()
    unemployed = (t.employer[present] == NO_STATUS) & (t.arrived[present] != model.month)
    chance = economy.monthly_rate(b.talent_retirement) + unemployed * b.unemployed_leave_rate
    going = present[draws.uniform(model, t, present) < chance]
    if going.size == 0:
        return
    employed = going[t.employer[going] >= 0]
    f = model.firms
    np.subtract.at(f.talents, t.employer[employed], 1)
    np.subtract.at(f.skill_sum, t.employer[employed], t.skill[employed])
    labour.quit_job(model, employed)
    t.employer[going] = NO_STATUS
    t.present[going] = False
    model.count("talents_departed", t.region[going].astype(np.int64), np.ones(going.size))


def grow_shanghai_jobs(model) -> None:
    """Shanghai's wider economy employs more talents as it grows."""
    model.shanghai_jobs *= (1.0 + model.spec.places.shanghai.growth) ** (1.0 / 12.0)


def enter_firms(model) -> None:
    """Established firms enter from outside the four places, with their key staff and cash."""
    b, rng, f = model.behaviour, model.rng, model.firms
    rows = model.alive_rows()
    firms_here = np.bincount(f.region[rows].astype(np.int64), minlength=N_PLACES)
    count = rng.poisson(b.firm_entry_rate / 12.0 * firms_here)
    add_established_firms(model, count, "firms_entered")


def uptake_factor(model) -> float:
    """How the R&D super-deduction a technology SME gets moves the uptake of technology: (the 2015
    after-tax cost of a yuan of R&D / today's)^elasticity, at the 25 % tax rate."""
    national = model.national
    deduction = national.rd_deduction[ALL_FIRMS]
    if national.tech_sme_evaluation:
        deduction = max(deduction, national.rd_deduction[TECH_SME])
    today = 1.0 - tax_rate(False) * (1.0 + deduction)
    reference = 1.0 - tax_rate(False) * (1.0 + REFERENCE_DEDUCTION)
    return (reference / today) ** model.behaviour.rd_cost_elasticity


def take_up_technology(model) -> None:
    """Local firms join the technology base: ordinary firms that take up R&D and register as
    technology SMEs. Adoption spreads as an innovation diffuses (Griliches 1957; Bass 1969): new
    adopters arise where the base is (spin-offs, suppliers and imitators of its firms; Suzhou
    2024: 95 % of new HNTEs came from technology SMEs registered in the three years before), at
    `tech_uptake_rate` a year of the place's technology-based firms, times the share of the place's
    potential adopters still left (`tech_base_ceiling` firms per 1,000 residents), and more as the
    super-deduction lowers the after-tax cost of R&D (`uptake_factor`). They start with the staff
    and knowledge of an established firm of their size but no registered IP of their own."""
    b, rng, f = model.behaviour, model.rng, model.firms
    rows = model.alive_rows()
    firms_here = np.bincount(f.region[rows].astype(np.int64), minlength=N_PLACES)
    ceiling = b.tech_base_ceiling * POPULATION / 1000.0 * model.spec.run.scale
    left = np.clip(1.0 - firms_here / ceiling, 0.0, 1.0)
    count = rng.poisson(b.tech_uptake_rate * uptake_factor(model) / 12.0 * firms_here * left)
    new = add_established_firms(model, count, "firms_uptake")
    if new is not None:
        f.ip[new] = 0


def add_established_firms(model, count: np.ndarray, counter: str) -> np.ndarray | None:
    """`count` (per place) established firms join, with their key staff and cash from their owners."""
    rng, f = model.rng, model.firms
    if count.sum() == 0:
        return None
    place = np.repeat(np.arange(N_PLACES), count)
    age = rng.integers(*ENTRANT_AGE, place.size)
    new = population.add_established(model, place.size, place, age)
    # their key staff come with them, and their cash from their owners
    staff_place = np.repeat(place, f.talents[new])
    employer = np.repeat(new, f.talents[new])
    talents = add_talents(model, staff_place, population.draw_skills(rng, staff_place.size))
    t = model.talents
    t.employer[talents] = employer
    t.wage[talents] = model.talent_wage[staff_place] * (0.8 + 0.2 * t.skill[talents])
    model.ledger.accounts["households"] -= np.bincount(place, f.cash[new], minlength=N_PLACES)
    model.births += new.size
    model.count(counter, place, np.ones(new.size))
    f.skill_sum[new] = np.bincount(employer - new[0], t.skill[talents], minlength=new.size)[: new.size]
    return new
