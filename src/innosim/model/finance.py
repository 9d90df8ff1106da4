"""Funds screen young firms in the places they may invest in, invest for equity, and exit
after a holding period (DESIGN.md section 3, step 7). Screening: a noisy score over the firm's
knowledge against a reservation value; the cross-county-investment lever widens the pool.
"""

from __future__ import annotations

import numpy as np

from .agents import Holding

YOUNG_MONTHS = 60          #: a firm younger than five years is a venture-stage candidate
EXIT_VALUE_MULTIPLE = 3.0  #: firm value at exit: three years of sales


def invest(model) -> None:
    """Each fund, with some probability this month, backs its best candidate above reservation."""
    f, b, rules = model.firms, model.behaviour, model.rules
    rows = model.alive_rows()
    young = rows[model.month - f.birth_month[rows] < YOUNG_MONTHS]
    for fund in model.funds:
        if fund.capital < b.fund_ticket or model.rng.random() >= b.fund_screen_rate:
            continue
        held = {h.firm for h in fund.holdings}
        pool = young[rules.fund_may_invest[fund.region, f.region[young]]]
        pool = pool[~np.isin(pool, list(held))] if held else pool
        if pool.size == 0:
            continue
        score = np.log(f.knowledge[pool] / model.behaviour.startup_knowledge) + model.rng.normal(0.0, 1.0, pool.size)
        best = int(np.argmax(score))
        if score[best] < b.fund_reservation:
            continue
        firm = int(pool[best])
        valuation = max(EXIT_VALUE_MULTIPLE * 12.0 * f.revenue[firm], 2.0 * b.fund_ticket)
        stake = b.fund_ticket / (valuation + b.fund_ticket)
        fund.capital -= b.fund_ticket
        f.cash[firm] += b.fund_ticket
        fund.holdings.append(Holding(firm=firm, stake=stake, amount=b.fund_ticket, entry_month=model.month))
        place = np.array([f.region[firm]])
        model.count("fund_investments", place, np.ones(1))
        model.count("fund_invested", place, np.array([b.fund_ticket]))
        if f.region[firm] != fund.region:
            model.count("fund_investments_across", place, np.ones(1))


def exit_holdings(model) -> None:
    """Holdings past the holding period are sold to outside buyers (the market account)."""
    f, b = model.firms, model.behaviour
    for fund in model.funds:
        keep = []
        for holding in fund.holdings:
            if not f.alive[holding.firm]:
                continue  # written off when the firm exited
            if model.month - holding.entry_month < b.fund_holding_months:
                keep.append(holding)
                continue
            value = holding.stake * EXIT_VALUE_MULTIPLE * 12.0 * f.revenue[holding.firm]
            fund.capital += value
            model.ledger.accounts["market"][f.region[holding.firm]] -= value
            model.count("fund_exits", np.array([f.region[holding.firm]]), np.ones(1))
        fund.holdings = keep
