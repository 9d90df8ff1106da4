"""Production, R&D spending, tax, innovation and payouts (DESIGN.md section 3, steps 1 to 3).

Forms:
- value added = P_r(t) * a_i * A_r * K^alpha * L^beta * lognormal shock (Cobb-Douglas with
  decreasing returns), where P_r(t) is the place's nominal trend (demand and prices, growing at
  `places.<r>.growth` a year; wages and rent grow with it) and L is effective labour: ordinary
  staff plus `talent_efficiency` x the skills of the key talents, so researchers add output;
- knowledge is a stock of innovations depreciating at the R&D-capital rate (15 % a year: Hall,
  Mairesse & Mohnen 2010; the BEA's R&D satellite account), K' = (1 - delta) K + N, with N a
  Poisson count of innovations at rate theta * R^gamma * S^(1-gamma) * (1 + bonus * collaboration),
  R the real R&D spend and S the researchers' skill summed (a knowledge production function:
  Griliches 1979; Jones 1995; Crepon, Duguet & Mairesse 1998). Since output rises less than
  proportionally with K (alpha / (1 - beta) < 1), every firm has a stable knowledge level it
  tends to: a firm neither shrinks for ever nor explodes.
"""

from __future__ import annotations

import numpy as np

from . import draws, finance, hnte, kernels
from .places import N_PLACES, POPULATION, TRAVEL_MINUTES
from .policy import hnte_tax_gap, tax_rate

#: Share of rent an incubated firm pays; the county pays the landlord the rest.
INCUBATOR_RENT_SHARE = 0.3
#: Mean skill of a talent (lognormal(0, 0.35)): used where a firm's talents are not known yet.
SKILL_MEAN = float(np.exp(0.35**2 / 2))
#: Hard bound on one firm's staff: a share of its place's residents (a firm cannot hire more
#: people than live there; the largest employers of the zone have some 10-20 thousand staff).
MAX_STAFF_SHARE = 0.02
#: Cash above this many months of revenue is paid out to the owners (households).
CASH_BUFFER_MONTHS = 6.0
#: A start-up's fixed costs grow in over its first five years (an assumption).
OVERHEAD_RAMP_MONTHS = 60


def monthly_rate(yearly: float) -> float:
    """A yearly rate of decline as a monthly one: 1 - (1 - r)^(1/12)."""
    return 1.0 - (1.0 - yearly) ** (1.0 / 12.0)


def path_growth(model, region: np.ndarray) -> np.ndarray:
    """Monthly growth of a firm's real output (and knowledge) on the balanced growth path: with
    knowledge proportional to output, VA ~ A^(1 / (1 - alpha - beta))."""
    b = model.behaviour
    exponent = 1.0 / max(1.0 - b.alpha - b.beta, 0.05)
    return (1.0 + model.productivity_growth[region]) ** (exponent / 12.0) - 1.0


def max_staff(model, region: np.ndarray) -> np.ndarray:
    return MAX_STAFF_SHARE * POPULATION[region]


def effective_labour(model, rows: np.ndarray) -> np.ndarray:
    """Ordinary staff plus the key talents' skills weighted by `talent_efficiency`."""
    f, b = model.firms, model.behaviour
    ordinary = np.maximum(f.employees[rows] - f.talents[rows], 0.0)
    return ordinary + b.talent_efficiency * f.skill_sum[rows]


def unit_labour_cost(model, region: np.ndarray) -> np.ndarray:
    """Real cost of one unit of effective labour: an ordinary wage and the rent of a desk."""
    return model.staff_wage[region] + model.rent[region]


def labour_demand(model, rows: np.ndarray) -> np.ndarray:
    """Profit-maximising effective labour at the current knowledge, L* = (beta a A K^alpha / c)^(1/(1-beta)),
    bounded by the place's residents."""
    f, b = model.firms, model.behaviour
    region = f.region[rows].astype(np.int64)
    gross = f.productivity[rows] * model.place_productivity[region] * f.knowledge[rows] ** b.alpha
    demand = (b.beta * gross / unit_labour_cost(model, region)) ** (1.0 / (1.0 - b.beta))
    return np.minimum(demand, max_staff(model, region))


def overhead(model, rows: np.ndarray) -> np.ndarray:
    """This month's fixed costs (nominal): the firm's overhead at today's prices, growing with the
    growth path (so margins keep their level as firms grow), ramped in for start-ups."""
    f = model.firms
    region = f.region[rows].astype(np.int64)
    age = model.month - f.birth_month[rows]
    ramp = np.where(f.startup[rows], np.clip((age + 1) / OVERHEAD_RAMP_MONTHS, 0.0, 1.0), 1.0)
    path = ((1.0 + path_growth(model, np.arange(N_PLACES))) ** model.month)[region]  # per place, then per firm
    return f.overhead[rows] * ramp * model.price[region] * path


def wage_bill(model, rows: np.ndarray) -> np.ndarray:
    """This month's wages (nominal): key talents at their wages, ordinary staff at the place's wage."""
    f = model.firms
    region = f.region[rows].astype(np.int64)
    ordinary = np.maximum(f.employees[rows] - f.talents[rows], 0.0)
    real = model.talent_wage_bill[rows] + ordinary * model.staff_wage[region]
    return real * model.price[region]


def rent_bill(model, rows: np.ndarray) -> np.ndarray:
    """This month's rent (nominal), before the incubator's subsidy."""
    f = model.firms
    region = f.region[rows].astype(np.int64)
    return f.employees[rows] * model.rent[region] * model.price[region]


def produce(model) -> None:
    """Firms produce and pay suppliers, wages, rent and overheads; staff adjust towards labour demand."""
    f, b, ledger = model.firms, model.behaviour, model.ledger
    rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    shock = np.exp(-0.5 * b.revenue_sigma**2 + b.revenue_sigma * draws.normal(model, f, rows))
    value_added = (model.price[region] * f.productivity[rows] * model.place_productivity[region]
                   * f.knowledge[rows] ** b.alpha * effective_labour(model, rows) ** b.beta * shock)
    revenue = value_added / (1.0 - b.input_share)
    f.revenue[rows] = revenue
    f.sales_y0[rows] += revenue
    ledger.firms_receive(rows, revenue, "market", region)
    ledger.firms_pay(rows, revenue - value_added, "market", region)

    wages = wage_bill(model, rows)
    ledger.firms_pay(rows, wages, "households", region)
    rent = rent_bill(model, rows)
    incubated = f.incubator[rows] >= 0
    paid = np.where(incubated, rent * INCUBATOR_RENT_SHARE, rent)
    ledger.firms_pay(rows, paid, "landlords", region)
    subsidy = rent - paid
    model.ledger.accounts["government"] -= np.bincount(region, subsidy, minlength=N_PLACES)
    model.ledger.accounts["landlords"] += np.bincount(region, subsidy, minlength=N_PLACES)
    model.count("incubator_rent_subsidy", region, subsidy)
    fixed = overhead(model, rows)
    ledger.firms_pay(rows, fixed, "market", region)

    f.profit[rows] = value_added - wages - paid - fixed
    adjust_staff(model, rows)
    model.count("hightech_revenue", region, revenue * f.hightech_share[rows])
    model.count("revenue", region, revenue)
    model.count("value_added", region, value_added)


def adjust_staff(model, rows: np.ndarray) -> None:
    """Ordinary staff move part of the way towards what labour demand leaves after the talents."""
    f, b = model.firms, model.behaviour
    wanted_ordinary = np.maximum(labour_demand(model, rows) - b.talent_efficiency * f.skill_sum[rows], 0.0)
    target = wanted_ordinary + f.talents[rows]
    staff = f.employees[rows] + b.labour_adjustment * (target - f.employees[rows])
    region = f.region[rows].astype(np.int64)
    f.employees[rows] = np.clip(staff, np.maximum(1.0, f.talents[rows]), max_staff(model, region))


def provider_utility(model, region: np.ndarray) -> np.ndarray:
    """Utility of each place's providers for firms in `region`, before vouchers (rows x places)."""
    b = model.behaviour
    return (b.provider_quality_weight * model.provider_quality[None, :]
            - b.provider_distance_cost * TRAVEL_MINUTES[region] / 60.0)


def expected_collaboration(model, region: np.ndarray) -> np.ndarray:
    """Mean quality of the provider a firm in `region` chooses without a voucher (the logit's expectation)."""
    utility = provider_utility(model, region)
    weights = np.exp(utility - utility.max(axis=1, keepdims=True))
    return (weights * model.provider_quality[None, :]).sum(axis=1) / weights.sum(axis=1)


def choose_providers(model, rows: np.ndarray) -> np.ndarray:
    """Where each firm buys external R&D services: a logit over places' provider quality,
    travel time and the voucher the firm could spend there. In numpy terms:
    argmax(provider_utility(region) + voucher_weight * subsidy_share[issuer] * usable + Gumbel),
    usable where the firm holds a voucher its issuer lets it spend at that place; compiled as one
    pass (`kernels.keyed_logit_choice`)."""
    f, b, rules = model.firms, model.behaviour, model.rules
    table = provider_utility(model, np.arange(N_PLACES))  # a row per place the firm is in
    holds = f.voucher[rows] > 0
    issuer = np.where(holds, f.voucher_issuer[rows], 0).astype(np.int64)
    key = np.uint64(model.rng.integers(0, 2**63))  # the draw `draws.gumbel` would take
    return kernels.keyed_logit_choice(table, f.region[rows].astype(np.int64), b.voucher_weight * rules.voucher_subsidy_share,
                                      holds, rules.voucher_spendable.astype(float), issuer,
                                      np.asarray(rows, dtype=np.int64), key)


def rd_spend(model, rows: np.ndarray) -> np.ndarray:
    """This month's real R&D (nominal M CNY): the year's plan as a share of revenue, plus what a
    voucher project or venture money adds this month (`extra_rd`, set by `spend_on_rnd`)."""
    f = model.firms
    return f.rd_intensity[rows] * f.revenue[rows] + f.extra_rd[rows]


def spend_on_rnd(model) -> None:
    """R&D: in-house work pays staff; the external part buys services, a voucher paying a share.

    A voucher works in one of two ways (`voucher_additionality`, the Dutch lottery's 8 in 10):
    it pays for an additional project with a provider where the voucher is accepted, a first
    contact the firm would not have made (extra R&D for a few months, and a collaboration that
    fades after it, `voucher_link_months`); or it pays part of the services the firm buys
    anyway (deadweight). Venture money adds in-house R&D (finance.spend_venture_money).

    What a firm reports as R&D (for the HNTE test) can exceed what it spends: near a threshold
    part of the reported R&D is relabelled (Chen, Liu, Suarez Serrato & Xu 2021)."""
    f, b, rules, ledger = model.firms, model.behaviour, model.rules, model.ledger
    rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    planned = f.rd_intensity[rows] * f.revenue[rows]
    external = planned * b.external_share
    venture = finance.spend_venture_money(model, rows)
    ledger.firms_pay(rows, planned - external + venture, "households", region)

    provider = choose_providers(model, rows)
    f.collaboration[rows] = np.where(external > 0, model.provider_quality[provider], 0.0)

    # a voucher pays where it is spendable and the provider accepts it
    holds = f.voucher[rows] > 0
    issuer = np.where(holds, f.voucher_issuer[rows], 0).astype(np.int64)
    accepted = draws.uniform(model, f, rows) < rules.voucher_acceptance[issuer, provider]
    usable = holds & rules.voucher_spendable[issuer, provider] & accepted
    share = rules.voucher_subsidy_share[issuer]
    in_project = f.voucher_project[rows] > 0
    project = np.where(usable & in_project,
                       np.minimum(f.voucher_project[rows], f.voucher_project_rate[rows]), 0.0)
    covered = np.where(in_project, project, np.where(usable, external, 0.0))
    subsidy = np.minimum(f.voucher[rows], share * covered)
    redeem = subsidy > 0
    model.vouchers.redeem(rows[redeem], issuer[redeem], provider[redeem], subsidy[redeem])
    ledger.firms_pay(rows, external + project - subsidy, "providers", provider)
    f.voucher_project[rows] -= project
    started = project > 0
    fade = np.exp(-1.0 / b.voucher_link_months) if b.voucher_link_months > 0 else 0.0
    f.voucher_link[rows] = np.where(started, np.maximum(f.voucher_link[rows] * fade, model.provider_quality[provider]),
                                    f.voucher_link[rows] * fade)

    f.extra_rd[rows] = project + venture
    rd = planned + f.extra_rd[rows]
    reported = f.rd_reported_intensity[rows] * f.revenue[rows] + f.extra_rd[rows]
    f.rd_y0[rows] += reported
    model.count("rd_spending", region, rd)
    model.count("rd_reported", region, reported)
    model.count("voucher_project_spending", region, project)


def pay_tax(model) -> None:
    """Corporate income tax on this month's profit after R&D: R&D is deducted once, and again by the
    super-deduction's extra share (`policy.national.rd_super_deduction`, by firm type)."""
    f = model.firms
    rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    rd = rd_spend(model, rows)
    taxable_before = np.maximum(f.profit[rows] - rd, 0.0)
    taxable = np.maximum(f.profit[rows] - rd * (1.0 + hnte.deduction(model, rows)), 0.0)
    valid = model.hnte_valid()[rows]
    rate = tax_rate(valid)
    tax = rate * taxable
    model.ledger.firms_pay(rows, tax, "government", region)
    f.profit[rows] -= rd + tax
    f.profit_y0[rows] += f.profit[rows]
    model.count("tax", region, tax)
    model.count("hnte_tax_saved", region, np.where(valid, hnte_tax_gap() * taxable, 0.0))
    model.count("rd_deduction_tax_saved", region, rate * (taxable_before - taxable))


def innovation_rate(model, rows: np.ndarray) -> np.ndarray:
    """Expected innovations a month: theta * (real R&D)^gamma * (researchers' skill)^(1-gamma) * bonuses."""
    f, b = model.firms, model.behaviour
    region = f.region[rows].astype(np.int64)
    real_rd = rd_spend(model, rows) / model.price[region]
    g = b.innovation_gamma
    mentoring = 1.0 + b.incubator_mentoring * (f.incubator[rows] >= 0)
    collaboration = np.maximum(f.collaboration[rows], f.voucher_link[rows])
    return (b.innovation_theta * real_rd**g * f.skill_sum[rows] ** (1.0 - g)
            * (1.0 + b.collaboration_bonus * collaboration) * mentoring)


def innovate(model) -> None:
    """Innovation events add to the knowledge stock, which depreciates at the R&D-capital rate,
    and upgrade the product mix, whose high-tech products age into ordinary ones."""
    f, b = model.firms, model.behaviour
    rows = model.alive_rows()
    events = draws.poisson(draws.uniform(model, f, rows), innovation_rate(model, rows))
    f.knowledge[rows] = f.knowledge[rows] * (1.0 - monthly_rate(b.knowledge_depreciation)) + events
    # filed IP is granted after examination: each pending item with chance 1 / ip_grant_months a month
    f.ip_pending[rows] += draws.poisson(draws.uniform(model, f, rows), b.ip_per_innovation * events)
    granted = draws.poisson(draws.uniform(model, f, rows), f.ip_pending[rows] / b.ip_grant_months)
    granted = np.minimum(granted, f.ip_pending[rows])
    f.ip_pending[rows] -= granted
    f.ip[rows] += granted
    f.hightech_share[rows] = upgrade_products(model, f.hightech_share[rows], events / f.employees[rows])
    model.count("innovations", f.region[rows].astype(np.int64), events.astype(float))


def upgrade_products(model, share: np.ndarray, innovations_per_staff: np.ndarray) -> np.ndarray:
    """High-tech share of sales after a month: each innovation per ten staff upgrades `hightech_step`
    of the ordinary products; `product_obsolescence` a year of high-tech products become ordinary."""
    b = model.behaviour
    upgraded = 1.0 - (1.0 - share) * (1.0 - b.hightech_step) ** (10.0 * innovations_per_staff)
    return upgraded * (1.0 - monthly_rate(b.product_obsolescence))


def stationary_hightech_share(model, rate_per_staff: np.ndarray) -> np.ndarray:
    """The share a firm innovating at `rate_per_staff` a month tends to (upgrades = obsolescence)."""
    b = model.behaviour
    up = -np.log1p(-b.hightech_step) * 10.0 * rate_per_staff if b.hightech_step < 1 else np.inf
    down = -np.log1p(-monthly_rate(b.product_obsolescence))
    return up / np.maximum(up + down, 1e-12)


def pay_dividends(model) -> None:
    """Cash beyond a buffer of months of revenue goes to the owners (households)."""
    f = model.firms
    rows = model.alive_rows()
    excess = f.cash[rows] - CASH_BUFFER_MONTHS * f.revenue[rows]
    paying = excess > 0
    rows, excess = rows[paying], excess[paying]
    model.ledger.firms_pay(rows, excess, "households", f.region[rows].astype(np.int64))
    model.count("dividends", f.region[rows].astype(np.int64), excess)
