"""Production, R&D spending, tax and innovation (DESIGN.md section 3, steps 1 to 3).

Forms: value added = a_i * A_r * K^alpha * E^beta * lognormal shock (Cobb-Douglas with
decreasing returns); innovations arrive as a Poisson process with rate
theta * (R&D spend)^gamma * mean staff skill * (1 + bonus * collaboration) (Griliches 1979;
Crepon, Duguet & Mairesse 1998).
"""

from __future__ import annotations

import numpy as np

from .places import N_PLACES, TRAVEL_MINUTES

#: Share of rent an incubated firm pays; the county pays the landlord the rest.
INCUBATOR_RENT_SHARE = 0.3


def labour_demand(model, rows: np.ndarray) -> np.ndarray:
    """Profit-maximising staff for the current knowledge: E* = (beta a A K^alpha / w)^(1/(1-beta))."""
    f, b = model.firms, model.behaviour
    region = f.region[rows]
    gross = f.productivity[rows] * model.place_productivity[region] * f.knowledge[rows] ** b.alpha
    return (b.beta * gross / model.staff_wage[region]) ** (1.0 / (1.0 - b.beta))


def produce(model) -> None:
    """Firms produce and pay suppliers, wages and rent; staff adjust towards labour demand."""
    f, b, ledger = model.firms, model.behaviour, model.ledger
    rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    shock = model.rng.lognormal(-0.5 * b.revenue_sigma**2, b.revenue_sigma, rows.size)
    value_added = (f.productivity[rows] * model.place_productivity[region]
                   * f.knowledge[rows] ** b.alpha * f.employees[rows] ** b.beta * shock)
    revenue = value_added / (1.0 - b.input_share)
    f.revenue[rows] = revenue
    f.sales_y0[rows] += revenue
    ledger.firms_receive(rows, revenue, "market", region)
    ledger.firms_pay(rows, revenue - value_added, "market", region)

    talents = f.talents[rows]
    ordinary = np.maximum(f.employees[rows] - talents, 0.0)
    wages = model.talent_wage_bill[rows] + ordinary * model.staff_wage[region]
    ledger.firms_pay(rows, wages, "households", region)

    rent = f.employees[rows] * model.rent[region]
    incubated = f.incubator[rows] >= 0
    paid = np.where(incubated, rent * INCUBATOR_RENT_SHARE, rent)
    ledger.firms_pay(rows, paid, "landlords", region)
    subsidy = rent - paid
    model.ledger.accounts["government"] -= np.bincount(region, subsidy, minlength=N_PLACES)
    model.ledger.accounts["landlords"] += np.bincount(region, subsidy, minlength=N_PLACES)

    f.profit[rows] = value_added - wages - paid
    target = labour_demand(model, rows)
    f.employees[rows] = np.maximum(1.0, f.employees[rows] + b.labour_adjustment * (target - f.employees[rows]))
    f.knowledge[rows] *= 1.0 - b.knowledge_decay
    model.count("hightech_revenue", region, revenue * f.hightech_share[rows])
    model.count("revenue", region, revenue)


def choose_providers(model, rows: np.ndarray) -> np.ndarray:
    """Where each firm buys external R&D services: a logit over places' provider quality,
    travel time and the voucher the firm could spend there."""
    f, b, rules = model.firms, model.behaviour, model.rules
    region = f.region[rows].astype(np.int64)
    utility = (b.provider_quality_weight * model.provider_quality[None, :]
               - b.provider_distance_cost * TRAVEL_MINUTES[region] / 60.0)
    holds = f.voucher[rows] > 0
    issuer = np.where(holds, f.voucher_issuer[rows], 0).astype(np.int64)
    usable = holds[:, None] & rules.voucher_spendable[issuer]
    utility = utility + b.voucher_weight * rules.voucher_subsidy_share * usable
    gumbel = model.rng.gumbel(size=utility.shape)
    return np.argmax(utility + gumbel, axis=1)


def spend_on_rnd(model) -> None:
    """R&D: in-house work pays staff; the external part buys services, a voucher paying a share."""
    f, b, rules, ledger = model.firms, model.behaviour, model.rules, model.ledger
    rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    rd = f.rd_intensity[rows] * f.revenue[rows]
    f.rd_y0[rows] += rd
    external = rd * b.external_share
    ledger.firms_pay(rows, rd - external, "households", region)
    model.count("rd_spending", region, rd)

    provider = choose_providers(model, rows)
    f.collaboration[rows] = np.where(external > 0, model.provider_quality[provider], 0.0)

    # a voucher pays part of the bill where it is spendable and the provider accepts it
    holds = f.voucher[rows] > 0
    issuer = np.where(holds, f.voucher_issuer[rows], 0).astype(np.int64)
    accepted = model.rng.random(rows.size) < rules.voucher_acceptance[issuer, provider]
    redeem = holds & rules.voucher_spendable[issuer, provider] & accepted & (external > 0)
    subsidy = np.where(redeem, np.minimum(f.voucher[rows], rules.voucher_subsidy_share * external), 0.0)
    model.vouchers.redeem(rows[redeem], issuer[redeem], provider[redeem], subsidy[redeem])
    ledger.firms_pay(rows, external - subsidy, "providers", provider)


def pay_tax(model) -> None:
    """Corporate income tax on this month's profit after R&D (R&D is deductible)."""
    f = model.firms
    rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    rd = f.rd_intensity[rows] * f.revenue[rows]
    taxable = np.maximum(f.profit[rows] - rd, 0.0)
    tax = model.rules.tax_rate(model.hnte_valid()[rows]) * taxable
    model.ledger.firms_pay(rows, tax, "government", region)
    f.profit[rows] -= rd + tax
    model.count("tax", region, tax)


def innovate(model) -> None:
    """Innovation events raise knowledge (and so revenue) and the high-tech share of sales."""
    f, b = model.firms, model.behaviour
    rows = model.alive_rows()
    rd = f.rd_intensity[rows] * f.revenue[rows]
    skill = np.where(f.talents[rows] > 0, f.skill_sum[rows] / np.maximum(f.talents[rows], 1), 0.3)
    rate = b.innovation_theta * rd**b.innovation_gamma * skill * (1.0 + b.collaboration_bonus * f.collaboration[rows])
    events = model.rng.poisson(rate)
    hit = events > 0
    f.knowledge[rows[hit]] *= (1.0 + b.innovation_step) ** events[hit]
    keep = (1.0 - b.hightech_step) ** events[hit]
    f.hightech_share[rows[hit]] = 1.0 - (1.0 - f.hightech_share[rows[hit]]) * keep
    model.count("innovations", f.region[rows].astype(np.int64), events.astype(float))
