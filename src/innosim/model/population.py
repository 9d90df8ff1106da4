"""The initial state and the agents that join a run, placed on the economy's growth path.

Every firm, at the start or when it enters, is built by one rule (`place_on_growth_path`): its
staff is what it wants at its knowledge, its knowledge is the level its R&D and researchers keep
up (innovations = depreciation), and its fixed costs give it a drawn after-tax margin, with every
cost of the monthly step counted (ordinary and key-talent wages, rent, R&D, tax). So a run starts
on its path and the first months carry no transient.
"""

from __future__ import annotations

import numpy as np

from innosim.scenario import COUNTIES

from . import draws, economy, hnte, incubation, labour
from .agents import Fund, Incubator
from .places import N_COUNTIES, N_PLACES, POPULATION, SHANGHAI
from .policy import tax_rate
from .state import INCUBATED, NO_STATUS, SHANGHAI_JOB, seats  # noqa: F401  (population.seats, as before)

#: Key talents (S&T staff) wanted per employee: uniform between these. The firms are technology-
#: based: a technology SME has S&T staff of at least 10 % of its employees (Guokefazheng [2017] 115,
#: art. 6), the HNTE criterion too (Guokefahuo [2016] 32, art. 11(4)); the upper end an assumption.
TECH_STAFF_SHARE = (0.10, 0.25)
#: Established firms' staff: lognormal, median 20, log-sd 1 (right-skewed; DESIGN.md section 1).
STAFF_MEDIAN, STAFF_SIGMA = 20.0, 1.0
#: Share of a place's talents holding a job at the start (4 % frictional unemployment).
EMPLOYED_SHARE = 0.96
#: Share of Shanghai's core talents that work in its modelled firms (the rest in its wider economy).
SHANGHAI_FIRM_SEATS = 0.5
#: Growth of the HNTE count before the run, which dates the initial certificates: China's count
#: grew from 39 thousand (2012) to 330 thousand (2021), about 27 % a year (MOST); Jiaxing's by 31 %
#: in 2017. Newer cohorts are larger by this factor a year.
HNTE_HISTORY_GROWTH = 0.25
#: Share of the technology-based firms that are manufacturers (their own super-deduction rate from
#: 2021): an assumption for a zone of manufacturing counties (Wujiang and Jiashan above all).
MANUFACTURER_SHARE = 0.7
#: Share of the older uncertified firms that held status before (so that, as on the path, about a
#: third of later approvals of uncertified firms are regained certifications rather than first ones).
PREVIOUSLY_CERTIFIED = 0.1
#: Share of incubator places filled at the start, with tenancies spread over the incubation term.
INITIAL_OCCUPANCY = 0.9
#: Spread of the initial high-tech shares around each firm's stationary share.
HIGHTECH_NOISE = 0.1
#: Young firms at the start: founded up to this many months before it ...
YOUNG_FIRM_MONTHS = 48
#: ... thinned by a start-up's yearly exit rate (SAIC 2013: 6-10 % in years 2-7) ...
YOUNG_FIRM_EXIT = 0.07
#: ... and grown towards their potential with this time constant (an assumption).
YOUNG_FIRM_GROWTH_MONTHS = 36
#: Skill of talents: lognormal(0, 0.35).
SKILL_SIGMA = 0.35


def county_share() -> np.ndarray:
    return POPULATION[:N_COUNTIES] / POPULATION[:N_COUNTIES].sum()


def draw_skills(rng, n: int) -> np.ndarray:
    return rng.lognormal(0.0, SKILL_SIGMA, n)


def draw_firm_traits(model, n: int) -> dict[str, np.ndarray]:
    """Traits of `n` established firms: size, R&D habit, key-talent share, high-tech share, margin."""
    rng, b = model.rng, model.behaviour
    return dict(
        employees=np.maximum(3.0, rng.lognormal(np.log(STAFF_MEDIAN), STAFF_SIGMA, n)),
        base_rd_intensity=np.clip(rng.lognormal(np.log(b.rd_intensity_median), b.rd_intensity_sigma, n), 0.002, 0.2),
        rd_staff_target=rng.uniform(TECH_STAFF_SHARE[0], TECH_STAFF_SHARE[1], n),
        hightech_share=rng.beta(3.5, 2.0, n),
        sector=rng.integers(model.spec.population.sectors, size=n),
        margin=rng.normal(b.margin_median, b.margin_sigma, n),
        manufacturer=rng.random(n) < MANUFACTURER_SHARE,
    )


def place_on_growth_path(model, rows: np.ndarray, margin: np.ndarray) -> None:
    """Set revenue, R&D plan, fixed costs, knowledge and productivity of `rows` so that each firm
    is on its balanced growth path at today's prices: staff optimal, knowledge growing with output,
    after-tax margin `margin` (where fixed costs cannot be negative, the margin is what it is)."""
    f, b = model.firms, model.behaviour
    region = f.region[rows].astype(np.int64)
    price = model.price[region]
    talents = f.talents[rows].astype(float)
    f.skill_sum[rows] = talents * economy.SKILL_MEAN
    labour = economy.effective_labour(model, rows)
    cost = economy.unit_labour_cost(model, region)
    value_added = cost * labour / b.beta                 # real, with labour at its optimum
    revenue = value_added / (1.0 - b.input_share)
    f.revenue[rows] = revenue * price
    f.profit[rows] = margin * revenue * price
    f.sales_y1[rows] = f.sales_y2[rows] = 12.0 * revenue * price
    f.profit_y1[rows] = 12.0 * f.profit[rows]
    # the product mix where upgrades balance obsolescence at the firm's own R&D habit, with the
    # noise of its history; then its R&D plan for the HNTE thresholds
    f.collaboration[rows] = economy.expected_collaboration(model, region) * (b.external_share > 0)
    f.rd_intensity[rows] = f.base_rd_intensity[rows]
    share = economy.stationary_hightech_share(model, economy.innovation_rate(model, rows) / f.employees[rows])
    f.hightech_share[rows] = np.clip(share + model.rng.normal(0.0, HIGHTECH_NOISE, rows.size), 0.0, 1.0)
    hnte.plan_rnd(model, rows)
    f.rd_y1[rows] = f.rd_y2[rows] = f.sales_y1[rows] * f.rd_reported_intensity[rows]

    # every cost of the monthly step, in real terms
    ordinary = np.maximum(f.employees[rows] - talents, 0.0)
    talent_wage = model.talent_wage[region] * (0.8 + 0.2 * economy.SKILL_MEAN)
    wages = ordinary * model.staff_wage[region] + talents * talent_wage
    rent = f.employees[rows] * model.rent[region]
    rd = f.rd_intensity[rows] * revenue
    pre_tax = np.where(margin > 0, margin / (1.0 - tax_rate(False)), margin) * revenue
    path = (1.0 + economy.path_growth(model, region)) ** model.month
    f.overhead[rows] = np.maximum(value_added - wages - rent - rd - pre_tax, 0.0) / path

    # knowledge where innovations balance depreciation, then the productivity that makes `labour` optimal
    # on the balanced growth path the stock grows with output: innovations = (depreciation + growth) x K
    rate = economy.innovation_rate(model, rows)
    growing = economy.path_growth(model, region)
    f.knowledge[rows] = np.maximum(rate / (economy.monthly_rate(b.knowledge_depreciation) + growing), 1e-3)
    f.productivity[rows] = value_added / (model.place_productivity[region] * f.knowledge[rows] ** b.alpha
                                          * labour ** b.beta)
    f.cash[rows] = 3.0 * revenue * price
    # the IP rights its past innovations left (each registered with chance ip_per_innovation)
    # (bounded: a firm with absurd knowledge, from absurd prices, must fail at the money check, not here)
    f.ip[rows] = model.rng.poisson(np.clip(np.nan_to_num(b.ip_per_innovation * f.knowledge[rows]), 0.0, 1e6))


def add_established(model, n: int, place: np.ndarray, age: np.ndarray, talent_scale: np.ndarray | None = None,
                    traits: dict[str, np.ndarray] | None = None):
    """`n` established firms in `place` (array), `age` months old, on the growth path, with `traits`
    (drawn here unless given). `talent_scale` (per place) rescales their key-talent shares."""
    traits = dict(traits) if traits is not None else draw_firm_traits(model, n)
    margin = traits.pop("margin")
    if talent_scale is not None:
        traits["rd_staff_target"] = traits["rd_staff_target"] * talent_scale[place]
    rows = model.add_firms(n, place, stage=0, birth_month=model.month - age, rd_intensity=traits["base_rd_intensity"],
                           **traits)
    model.firms.talents[rows] = seats(model.firms, rows)
    place_on_growth_path(model, rows, margin)
    return rows


def new_startups(model, place: np.ndarray) -> np.ndarray:
    """Start-ups in `place` (one each): firms whose potential (productivity) is drawn like an
    established firm's, with a wider spread (`startup_productivity_sigma`: a few become large),
    but which start with three staff, the founder as their one key talent and little knowledge."""
    b, f = model.behaviour, model.firms
    rows = add_established(model, place.size, place, np.zeros(place.size, dtype=np.int64))
    f.productivity[rows] *= model.rng.lognormal(0.0, b.startup_productivity_sigma, rows.size)
    f.stage[rows] = INCUBATED
    f.startup[rows] = True
    f.employees[rows] = 3.0
    f.talents[rows] = 0
    f.skill_sum[rows] = 0.0
    f.knowledge[rows] = b.startup_knowledge
    f.ip[rows] = 0
    for column in ("revenue", "profit", "cash", "profit_y1", "sales_y1", "sales_y2", "rd_y1", "rd_y2"):
        getattr(f, column)[rows] = 0.0
    return rows


def populate(model) -> None:
    """Initial firms, talents, incubators and funds: firms split across the counties by residents."""
    spec, rng = model.spec, model.rng
    scale = spec.run.scale
    n_zone = int(round(spec.population.firms * scale))
    n_sh = int(round(spec.population.shanghai_firms * scale))
    place = np.concatenate([rng.choice(N_COUNTIES, size=n_zone, p=county_share()), np.full(n_sh, SHANGHAI)])
    talents = talent_places(model)
    # key-talent shares scaled so that the talents there are fill the seats of these very firms, less
    # frictional unemployment (scaling by another draw of traits left each place a random surplus or
    # shortage of seats, an SD of 15 % of them in Jiashan at scale 0.2, 6 % at 1; now under 1 %)
    traits = draw_firm_traits(model, place.size)
    want = np.maximum(1, np.round(traits["rd_staff_target"] * traits["employees"]))
    have = np.bincount(talents, minlength=N_PLACES) * EMPLOYED_SHARE
    have[SHANGHAI] *= SHANGHAI_FIRM_SEATS
    asked = np.bincount(place, want, minlength=N_PLACES)
    talent_scale = np.divide(have, asked, out=np.ones(N_PLACES), where=asked > 0)
    age = rng.integers(12, 240, place.size)
    rows = add_established(model, place.size, place, age, talent_scale, traits)
    tenants = populate_incubator_tenants(model)
    young = populate_young_firms(model, talents)
    certify_history(model, np.concatenate([rows, young]))
    populate_talents(model, np.concatenate([rows, tenants, young]), talents)
    populate_institutions(model, tenants)


def certify_history(model, rows: np.ndarray) -> None:
    """Firms certified before the run: `population.hnte_share` of each county's technology-based
    firms (a public figure), drawn among those meeting the criteria (all of them where fewer meet
    them), in the three yearly cohorts whose certificates run out at the next three decision
    rounds, newer cohorts larger as the count grew. Eligible firms left uncertified apply in the
    first round, as the firms that became eligible in the year before the start."""
    f, rng = model.firms, model.rng
    eligible = rows[hnte.meets_criteria(model, rows)]
    order = rng.permutation(eligible.size)
    picked = []
    lots = model.lot("initial_hnte", N_PLACES)
    for place in range(N_PLACES):
        here = eligible[order][f.region[eligible[order]] == place]
        wanted = draws.whole(model.spec.population.hnte_share * np.count_nonzero(f.region[rows] == place), lots[place])
        picked.append(here[:wanted])
    certified = np.sort(np.concatenate(picked))
    weights = (1.0 + HNTE_HISTORY_GROWTH) ** np.arange(3)
    cohort = rng.choice(3, size=certified.size, p=weights / weights.sum())  # 0: certified three rounds ago
    f.hnte_until[certified] = model.first_decision_month() + 12 * cohort
    f.hnte_region[certified] = f.region[certified]
    f.hnte_ever[certified] = True
    # some firms without status held it before (their next approval is not a first one)
    before = rows[~f.hnte_ever[rows] & (model.month - f.birth_month[rows] > 48)
                  & (rng.random(rows.size) < PREVIOUSLY_CERTIFIED)]
    f.hnte_ever[before] = True


def initial_tenants(model, county: int) -> int:
    """Tenants a county's incubators start with: INITIAL_OCCUPANCY of its places, whole, right in
    expectation at any scale (a lot, as the places themselves: incubation.county_capacity)."""
    share = INITIAL_OCCUPANCY * incubation.county_capacity(model, county)
    return int(draws.whole(share, model.lot("initial_tenants", N_COUNTIES)[county]))


def populate_incubator_tenants(model) -> np.ndarray:
    """Start-ups already in the incubators, their tenancies spread evenly over the term."""
    b, rng = model.behaviour, model.rng
    rows = []
    for county in range(N_COUNTIES):
        n = initial_tenants(model, county)
        if n == 0:
            continue
        new = new_startups(model, np.full(n, county))
        months_in = rng.integers(0, b.incubation_months, n)
        f = model.firms
        f.birth_month[new] = -months_in - rng.integers(0, 4, n)
        f.incubated_since[new] = -months_in
        f.knowledge[new] *= 1.0 + months_in / b.incubation_months
        f.talents[new] = 1
        rows.append(new)
    return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)


def populate_young_firms(model, talents: np.ndarray) -> np.ndarray:
    """Start-ups founded in the years before the run and still alive, outside the incubators, so
    that the run starts with the young firms whose failures it would otherwise lack for years:
    the founding rate of the run applied to the talents there are, thinned by a start-up's exit
    rate (SAIC 2013: about 7 % a year), each part of the way from its founding state towards its
    potential."""
    b, rng, f = model.behaviour, model.rng, model.firms
    able = np.bincount(talents[draw_skills(rng, talents.size) >= b.founding_skill_threshold], minlength=N_PLACES)
    ages = np.arange(1, YOUNG_FIRM_MONTHS + 1)
    per_month = rng.poisson(b.founding_rate * able[:, None] * (1.0 - YOUNG_FIRM_EXIT) ** (ages[None, :] / 12.0))
    place = np.repeat(np.repeat(np.arange(N_PLACES), YOUNG_FIRM_MONTHS), per_month.reshape(-1))
    age = np.repeat(np.tile(ages, N_PLACES), per_month.reshape(-1))
    if place.size == 0:
        return np.zeros(0, dtype=np.int64)
    rows = add_established(model, place.size, place, np.zeros(place.size, dtype=np.int64))
    potential_k, potential_staff = f.knowledge[rows].copy(), f.employees[rows].copy()
    f.productivity[rows] *= rng.lognormal(0.0, b.startup_productivity_sigma, rows.size)
    grown = 1.0 - np.exp(-age / YOUNG_FIRM_GROWTH_MONTHS)
    f.knowledge[rows] = b.startup_knowledge + (potential_k - b.startup_knowledge) * grown
    f.employees[rows] = 3.0 + np.maximum(potential_staff - 3.0, 0.0) * grown
    f.talents[rows] = seats(f, rows)
    f.birth_month[rows] = model.month - age
    f.startup[rows] = True
    f.stage[rows] = 0
    f.cash[rows] = b.founder_seed_capital  # what their founders put in; losses have not eaten it yet
    return rows


def talent_places(model) -> np.ndarray:
    """Where the initial talents live: the zone's split by residents, then Shanghai's core."""
    spec, rng = model.spec, model.rng
    n_zone = int(round(spec.population.talents * spec.run.scale))
    n_sh = int(round(spec.population.shanghai_talents * spec.run.scale))
    return np.concatenate([rng.choice(N_COUNTIES, size=n_zone, p=county_share()), np.full(n_sh, SHANGHAI)])


def populate_talents(model, firm_rows: np.ndarray, place: np.ndarray) -> None:
    """Talents of `place` fill the firms' seats there in random order; in Shanghai's core, the rest
    of the employed work in its wider economy."""
    rng, f = model.rng, model.firms
    rows = model.talents.add(place.size, region=place, home=place, skill=draw_skills(rng, place.size))
    employer = np.full(place.size, NO_STATUS)
    for p in range(N_PLACES):
        people = rng.permutation(np.flatnonzero(place == p))
        firms_here = firm_rows[f.region[firm_rows] == p]
        chairs = rng.permutation(np.repeat(firms_here, f.talents[firms_here]))[: people.size]
        employer[people[: chairs.size]] = chairs
        if p == SHANGHAI:
            rest = people[chairs.size:]
            jobs = int(round(EMPLOYED_SHARE * people.size)) - chairs.size
            employer[rest[: max(jobs, 0)]] = SHANGHAI_JOB
    t = model.talents
    t.employer[rows] = employer
    t.wage[rows] = np.where(employer != NO_STATUS, model.talent_wage[place] * (0.8 + 0.2 * t.skill[rows]), 0.0)
    t.hired_month[rows] = -rng.integers(0, 60, place.size)
    model.shanghai_jobs = float(np.count_nonzero(employer == SHANGHAI_JOB))
    labour.count_staff(model)


def populate_institutions(model, tenants: np.ndarray | None = None) -> None:
    """One or more incubators and funds per county; each county endows its funds; the incubators
    take the initial `tenants` (start-ups made by `populate_incubator_tenants`)."""
    rules, spec = model.rules, model.spec
    for i, _ in enumerate(COUNTIES):  # each agent registers itself with the model (Mesa's registry)
        n_inc = spec.population.incubators_per_county
        if n_inc:
            for share in incubation.split_capacity(incubation.county_capacity(model, i), n_inc):
                Incubator(model, i, share, model.cells[i])
        n_fund = spec.population.funds_per_county
        for _ in range(n_fund):
            capital = rules.fund_capital[i] / n_fund
            Fund(model, i, capital, model.cells[i])
            model.ledger.accounts["government"][i] -= capital  # the county endows its fund
    # tenants placed before the incubators existed: assign them now, in order (by their rows: a tenant
    # that came in a month before the start has incubated_since -1, which reads as NO_STATUS)
    f = model.firms
    waiting = np.zeros(0, dtype=np.int64) if tenants is None else np.asarray(tenants, dtype=np.int64)
    for incubator in model.incubators:
        mine = waiting[(f.region[waiting] == incubator.region) & (f.incubator[waiting] < 0)][: incubator.capacity]
        f.incubator[mine] = incubator.unique_id
