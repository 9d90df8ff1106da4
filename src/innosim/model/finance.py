"""Government-guided funds (DESIGN.md section 3, step 7): screen young firms, invest for equity,
spend-down of the money by the firm on R&D and hiring, exit after a holding period.

- Deal flow: each month a fund looks at each young firm it may invest in (its county; the zone
  with the cross-county-investment lever) with chance `fund_screen_rate` / 12 and scores it, a
  noisy signal of its knowledge. Firms above `fund_reservation` are backed, best first, while the
  fund's capital covers a ticket and its pace allows (the endowment over FUND_INVESTMENT_MONTHS):
  the endowment limits deal flow, and exits recycle capital.
- Use of the money: a venture investment finances growth, not cash in the bank. The firm spends
  the ticket over VENTURE_MONTHS, half on extra R&D and half on extra key-talent positions it
  pays from the ticket (Kortum & Lerner 2000; Bernstein, Giroud & Townsend 2016 find VC-backed
  firms patent and hire more).
- The stake is the ticket over the post-money value; at exit the fund sells the stake at the
  firm's value then (`fund_returns`).
"""

from __future__ import annotations

import numpy as np

from . import draws
from .agents import Holding

YOUNG_MONTHS = 60          #: a firm younger than five years is a venture-stage candidate
#: A firm's value in venture deals: three years of sales (an assumption, a growth-stage multiple).
EXIT_VALUE_MULTIPLE = 3.0
#: Months over which a firm spends a ticket, and the share of it that goes to R&D; the rest pays
#: key talents in extra positions (assumptions: a round is meant to last about two years).
VENTURE_MONTHS = 24
VENTURE_RD_SHARE = 0.5
#: A fund invests its endowment over about five years (a common investment period of guided
#: funds and venture funds; an assumption): each month adds 1/60 of it to what it may invest, and
#: a pace not used within a year is lost (`pace_bank`).
FUND_INVESTMENT_MONTHS = 60
#: Rounding allowed in a fund's pace (M CNY): six months of 1/60 of 20 M CNY add up to 1.9999999999999998,
#: not 2, which held each ticket of a fund whose pace makes whole tickets (Jiashan's at scale 0.2) a
#: month too long, and its last ticket of a run beyond the horizon.
PACE_ROUNDING = 1e-9


def invest(model) -> None:
    """Each fund backs the young firms it screened this month that score above its reservation
    value, best first, while its capital lasts."""
    f, b, rules = model.firms, model.behaviour, model.rules
    rows = model.alive_rows()
    young = rows[model.month - f.birth_month[rows] < YOUNG_MONTHS]
    held = np.zeros(f.n, dtype=bool)  # firms some fund holds (a mask: no search of a set per fund)
    for fund in model.funds:
        for h in fund.holdings:
            held[h.firm] = True
    for fund in model.funds:
        pace = fund.size / FUND_INVESTMENT_MONTHS
        fund.pace_left = min(fund.pace_left + pace, pace_bank(model, pace))
        available = min(fund.capital, fund.pace_left + PACE_ROUNDING)
        if available < b.fund_ticket or b.fund_ticket <= 0:
            continue
        pool = young[rules.fund_may_invest[fund.region, f.region[young]]]
        pool = pool[draws.uniform(model, f, pool) < b.fund_screen_rate / 12.0]
        pool = pool[~held[pool]]
        if pool.size == 0:
            continue
        score = np.log(f.knowledge[pool] / b.startup_knowledge) + draws.normal(model, f, pool)
        backed = pool[np.argsort(-score, kind="stable")][: int(np.count_nonzero(score >= b.fund_reservation))]
        affordable = int(available // b.fund_ticket)
        for firm in backed[:affordable].tolist():
            back(model, fund, firm)
            held[firm] = True


def pace_bank(model, pace: float) -> float:
    """The most pace a fund may bank (M CNY): a year of the full-size fund's pace, whatever the run's
    scale. A fund at scale s is s times the size and sees s times the candidates: it is the full-size
    fund on a clock s times slower, so it loses pace in the same proportion only if it banks the same
    number of tickets. Banking a year of its own pace (2 tickets for Jiashan's at 0.2, against 10 at
    full size) lost pace in droughts the full-size fund rides out: at 0.2 the pace was at that cap in
    8 % of months (never at 0.5 or 1) and the fund made 14 % fewer deals than its pace allowed
    (2 % at 0.5, 0.2 % at 1; now 4 % at 0.2, docs/scale.md)."""
    return 12.0 * pace / model.spec.run.scale


def back(model, fund, firm: int) -> None:
    """`fund` invests one ticket in `firm`, which plans to spend it on R&D and hiring."""
    f, b = model.firms, model.behaviour
    ticket = b.fund_ticket
    valuation = max(EXIT_VALUE_MULTIPLE * 12.0 * f.revenue[firm], 2.0 * ticket)
    stake = ticket / (valuation + ticket)
    fund.capital -= ticket
    fund.pace_left -= ticket
    f.cash[firm] += ticket
    f.venture_budget[firm] += ticket
    f.venture_rate[firm] = f.venture_budget[firm] / VENTURE_MONTHS
    region = int(f.region[firm])
    wage = model.talent_wage[region] * model.price[region]
    f.extra_seats[firm] = int(round((1.0 - VENTURE_RD_SHARE) * f.venture_rate[firm] / wage))
    fund.holdings.append(Holding(firm=firm, stake=stake, amount=ticket, entry_month=model.month))
    place = np.array([region])
    model.count("fund_investments", place, np.ones(1))
    model.count("fund_invested", np.array([fund.region]), np.array([ticket]))  # the county's outlay
    if region != fund.region:
        model.count("fund_investments_across", place, np.ones(1))


def spend_venture_money(model, rows: np.ndarray) -> np.ndarray:
    """This month's R&D paid from venture money (M CNY per row); the money for the extra positions
    is drawn down alongside, and the positions end when the money does."""
    f = model.firms
    funded = f.venture_budget[rows] > 0
    if not funded.any():
        return np.zeros(rows.size)
    spend = np.where(funded, np.minimum(f.venture_budget[rows], f.venture_rate[rows]), 0.0)
    f.venture_budget[rows] -= spend
    done = rows[funded & (f.venture_budget[rows] <= 1e-12)]
    f.venture_budget[done] = 0.0
    f.extra_seats[done] = 0
    return VENTURE_RD_SHARE * spend


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
            place = np.array([f.region[holding.firm]])
            model.ledger.accounts["market"][place[0]] -= value
            model.count("fund_exits", place, np.ones(1))
            model.count("fund_returns", np.array([fund.region]), np.array([value]))  # back to the county's fund
        fund.holdings = keep
