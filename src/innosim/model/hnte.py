"""High- and new-technology enterprise (HNTE) status and the road to it (DESIGN.md section 3, step 4).

Criteria: Measures for the Administration of the Certification of HNTEs (Guokefahuo [2016] 32,
art. 11): registered a year or more; core intellectual property of its own; S&T staff at least
10 % of employees; R&D over sales in the last three years at least 5 % (sales up to 50 M CNY),
4 % (50-200 M) or 3 % (above 200 M); high-tech products at least 60 % of revenue; and an
innovation-capability score the expert review gives (IP, conversion of results, R&D management,
growth). Before 2016 the 2008 measures (Guokefahuo [2008] 172) asked 6 % of the smallest firms
(`policy.national.hnte_criteria_2016_from`). The score is the review's approval rate (`hnte_first_approval`,
public pass rates), higher for candidates a county coached in its cultivation pool
(`hnte_pool_approval`). A certificate lasts three years; renewal is applied for in the year it
runs out (art. 10, 17).

The road (from 2017): a technology-based firm is first evaluated a technology SME (科技型中小企业,
Guokefazheng [2017] 115: up to 500 staff and 200 M CNY of sales, S&T staff at least 10 %), which
gives it the technology SMEs' rate of R&D super-deduction; a county may coach the candidates
nearest the criteria in its cultivation pool (培育库).
"""

from __future__ import annotations

import numpy as np

from . import draws, rd_subsidy
from .places import IN_ZONE
from .policy import HNTE_VALID_MONTHS, REFERENCE_DEDUCTION, hnte_tax_gap, tax_rate
from .state import NO_STATUS
from .stockflows import JOINED

APPLICATION_MONTH = 5    #: applications are filed in May (calendar month 1..12)
APPROVAL_MONTHS = 5      #: review takes months: decisions come in October
MIN_AGE_MONTHS = 12
MIN_RD_STAFF_SHARE = 0.10
MIN_HIGHTECH_SHARE = 0.60
MIN_CORE_IP = 1          #: registered IP rights a firm must own (art. 11(2))
#: Technology-SME evaluation (Guokefazheng [2017] 115, art. 6): at most 500 staff, 200 M CNY of
#: sales a year; S&T staff at least 10 % of employees.
TECH_SME_MAX_STAFF, TECH_SME_MAX_SALES = 500, 200.0
#: Cultivation pools admit candidates at most this far below the high-tech share of the criteria.
POOL_HIGHTECH_GAP = 0.1


def rd_threshold(annual_sales: np.ndarray, thresholds=(0.05, 0.04, 0.03)) -> np.ndarray:
    """The R&D intensity a firm must reach, by its annual sales in M CNY (size bands up to 50 M,
    50-200 M, above; 5/4/3 % under the 2016 criteria, 6/4/3 % under the 2008 ones)."""
    small, middle, large = thresholds
    return np.where(annual_sales <= 50.0, small, np.where(annual_sales <= 200.0, middle, large))


def meets_criteria(model, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` meet every HNTE criterion the file can check (all but the expert review)."""
    f = model.firms
    age_ok = model.month - f.birth_month[rows] >= MIN_AGE_MONTHS
    staff_ok = f.talents[rows] >= MIN_RD_STAFF_SHARE * f.employees[rows]
    sales = f.sales_y0[rows] + f.sales_y1[rows] + f.sales_y2[rows]
    rd = f.rd_y0[rows] + f.rd_y1[rows] + f.rd_y2[rows]
    annual_sales = np.maximum(f.sales_y1[rows], f.sales_y0[rows])
    intensity_ok = rd >= rd_threshold(annual_sales, model.national.rd_thresholds) * sales
    hightech_ok = f.hightech_share[rows] >= MIN_HIGHTECH_SHARE
    ip_ok = f.ip[rows] >= MIN_CORE_IP
    return age_ok & staff_ok & intensity_ok & hightech_ok & ip_ok & (sales > 0)


def is_tech_sme(model, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` hold a technology-SME evaluation for this calendar year."""
    return model.firms.tech_sme_year[rows] == model.calendar_year


def in_pool(model, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` sit in their county's cultivation pool this calendar year."""
    return model.firms.pool_year[rows] == model.calendar_year


def deduction(model, rows: np.ndarray) -> np.ndarray:
    """Extra share of R&D each of `rows` deducts from taxable profit this year (super-deduction)."""
    f = model.firms
    return model.national.deduction(f.manufacturer[rows], is_tech_sme(model, rows))


def rd_cost_factor(model, rows: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """How R&D plans respond to the super-deduction: (reference after-tax cost / today's)^elasticity,
    the after-tax cost of a yuan of R&D being 1 - tax rate x (1 + deduction), at the 2015 rule's
    50 % as reference (Hall & Van Reenen 2000; elasticity about 1: Bloom, Griffith & Van Reenen 2002).
    A county's R&D subsidy at the margin lowers today's cost by its share (`rd_subsidy`)."""
    rate = tax_rate(valid)
    today = 1.0 - rate * (1.0 + deduction(model, rows)) - rd_subsidy.marginal_share(model, rows)
    reference = 1.0 - rate * (1.0 + REFERENCE_DEDUCTION)
    return (reference / today) ** model.behaviour.rd_cost_elasticity


def planned_base(model, rows: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """The R&D intensity each of `rows` plans before any thought of the HNTE thresholds: its habit
    (`base_rd_intensity`, at the 2015 after-tax cost) moved by today's super-deduction."""
    if valid is None:
        valid = model.hnte_valid(rows)
    return np.clip(model.firms.base_rd_intensity[rows] * rd_cost_factor(model, rows, valid), 0.0, 0.3)


def evaluate_tech_smes(model) -> None:
    """January, from 2017: technology-based firms within the SME bounds with enough S&T staff are
    evaluated technology SMEs for the year (the national register; firms register when it pays)."""
    f = model.firms
    rows = model.alive_rows()
    if not model.national.tech_sme_evaluation:
        return
    sales = np.maximum(f.sales_y1[rows], 12.0 * f.revenue[rows])
    ok = ((f.employees[rows] <= TECH_SME_MAX_STAFF) & (sales <= TECH_SME_MAX_SALES)
          & (f.talents[rows] >= MIN_RD_STAFF_SHARE * f.employees[rows]))
    f.tech_sme_year[rows[ok]] = model.calendar_year


def admit_to_pools(model) -> None:
    """January: each county fills its cultivation pool with the uncertified candidates nearest the
    criteria (those whose product mix is within reach of the 60 % and who own IP or could register
    it), the highest high-tech share first; the county pays each its subsidy for the year, and the
    coaching gets each the IP it can cite (software copyrights and utility models, the quick kinds)."""
    f, rules = model.firms, model.rules
    rows = model.alive_rows()
    certified = model.hnte_certified(rows)
    candidates = rows[~certified & (f.hightech_share[rows] >= MIN_HIGHTECH_SHARE - POOL_HIGHTECH_GAP)
                      & (f.incubator[rows] < 0)]
    lots = model.lot("pool_places", len(rules.pool_capacity), model.calendar_year)
    for county in range(len(rules.pool_capacity) - 1):
        places = int(draws.whole(rules.pool_capacity[county], lots[county]))
        if places <= 0:
            continue
        here = candidates[f.region[candidates] == county]
        chosen = here[np.argsort(-f.hightech_share[here], kind="stable")][:places]
        f.pool_year[chosen] = model.calendar_year
        f.ip[chosen] = np.maximum(f.ip[chosen], MIN_CORE_IP)
        paid = np.full(chosen.size, rules.pool_subsidy[county])
        place = np.full(chosen.size, county)
        if chosen.size:
            model.ledger.firms_receive(chosen, paid, "government", place)
            model.count("pool_subsidies", place, paid)


def plan_rnd(model, rows: np.ndarray | None = None) -> None:
    """January: firms close to the HNTE criteria set reported R&D just above their size band's threshold.

    This is what makes R&D intensity bunch at the thresholds (Chen, Liu, Suarez Serrato & Xu
    2021, AER). The notch is paid in cash: the 10-point tax cut on expected profit and the
    county's reward, spread over the certificate's three years. Part of the reported R&D of a
    firm that bunches is relabelled (`rd_relabelling`: Chen et al. find about a quarter), so
    the real R&D a firm adds to qualify is smaller than the reported jump.
    """
    f, b, rules = model.firms, model.behaviour, model.rules
    if rows is None:
        rows = model.alive_rows()
    region = f.region[rows].astype(np.int64)
    annual_sales = np.maximum(f.sales_y1[rows], 12.0 * f.revenue[rows])
    reported_target = rd_threshold(annual_sales, model.national.rd_thresholds) + b.hnte_seeking_margin
    base = planned_base(model, rows, model.hnte_valid(rows))  # its tax rate now
    valid = model.hnte_certified(rows)  # a certificate of its own to renew (not a parent's treatment)
    real_needed = np.maximum(base, reported_target * (1.0 - b.rd_relabelling))
    last_year = f.sales_y1[rows] > 0
    after_tax_margin = np.where(last_year, f.profit_y1[rows] / np.maximum(f.sales_y1[rows], 1e-9),
                                f.profit[rows] / np.maximum(f.revenue[rows], 1e-9))
    after_tax_margin = np.clip(after_tax_margin, 0.0, None)
    tax_gain = hnte_tax_gap() * after_tax_margin / (1.0 - tax_rate(False))
    # what an approval is worth, as decide_hnte will judge it: a renewal, a regained status
    # (no reward) or a first certification
    first_chance = np.where(in_pool(model, rows), b.hnte_pool_approval, b.hnte_first_approval)
    reward = np.where(valid, b.hnte_renewal_approval * rules.hnte_reward_renewal[region],
                      np.where(f.hnte_ever[rows], 0.0, first_chance * rules.hnte_reward_first[region]))
    reward_gain = reward / (HNTE_VALID_MONTHS / 12.0) / np.maximum(annual_sales, 1e-9)
    # a firm holding status has sunk the costs of complying (R&D accounts, IP, staff records)
    keeping = 1.0 + b.hnte_persistence * valid
    # the extra R&D costs what is left of it after tax at the HNTE rate with the super-deduction,
    # less a county's R&D subsidy at the margin
    after_tax_cost = 1.0 - tax_rate(True) * (1.0 + deduction(model, rows)) - rd_subsidy.marginal_share(model, rows)
    worth_it = (real_needed - base) * after_tax_cost < (tax_gain + reward_gain) * keeping
    seeking = (f.hightech_share[rows] >= MIN_HIGHTECH_SHARE - 0.1) & worth_it & (base < reported_target)
    f.rd_intensity[rows] = np.where(seeking, real_needed, base)
    f.rd_reported_intensity[rows] = np.where(seeking, reported_target, base)


def apply_for_hnte(model) -> None:
    """In the application month, firms that meet the criteria apply: for a first certification,
    again after a lapse, or to renew a certificate that runs out at this round's decision."""
    f = model.firms
    rows = model.alive_rows()
    decision = model.month + APPROVAL_MONTHS
    due_or_none = f.hnte_until[rows] <= decision
    free = (f.hnte_pending[rows] == NO_STATUS) & (f.hnte_barred_until[rows] < model.month) & due_or_none
    candidates = rows[free]
    applying = candidates[meets_criteria(model, candidates)]
    f.hnte_pending[applying] = decision
    model.count("hnte_applications", f.region[applying].astype(np.int64), np.ones(applying.size))


def decide_hnte(model) -> None:
    """Applications due this month are decided. An approved firm is certified for three years, to
    the decision month three years on, so that a renewal approved then continues its status
    without a gap. First certifications, renewals and certifications regained after a lapse are
    counted apart, and the county pays its reward."""
    f, b, rules = model.firms, model.behaviour, model.rules
    rows = model.alive_rows()
    due = rows[f.hnte_pending[rows] == model.month]
    valid = model.hnte_certified(due)  # renewals: a new entity taxed as its parent applies for a first certificate
    first = ~f.hnte_ever[due]
    chance = np.where(valid, b.hnte_renewal_approval,
                      np.where(in_pool(model, due), b.hnte_pool_approval, b.hnte_first_approval))
    approved_mask = draws.uniform(model, f, due) < chance
    approved = due[approved_mask]
    new, renewed = approved[first[approved_mask]], approved[valid[approved_mask]]
    regained = approved[~first[approved_mask] & ~valid[approved_mask]]
    # certificates that run out at this round and were not renewed end now
    expiring = rows[(f.hnte_until[rows] == model.month) & ~np.isin(rows, approved)]
    valid_here = (f.hnte_region[expiring] == f.region[expiring]) & ~f.hnte_treated[expiring]
    model.count("hnte_lapsed", f.region[expiring[valid_here]].astype(np.int64), np.ones(int(valid_here.sum())))
    f.hnte_until[expiring] = model.month - 1
    f.hnte_until[approved] = model.month + HNTE_VALID_MONTHS
    f.hnte_region[approved] = f.region[approved]
    f.hnte_ever[approved] = True
    f.hnte_treated[approved] = False  # a certificate of its own now
    f.hnte_treated[expiring] = False  # the parent's validity ran out
    f.hnte_pending[due] = NO_STATUS
    for name, group, reward in (("hnte_new", new, rules.hnte_reward_first),
                                ("hnte_renewed", renewed, rules.hnte_reward_renewal),
                                ("hnte_regained", regained, np.zeros_like(rules.hnte_reward_first))):
        place = f.region[group].astype(np.int64)
        model.count(name, place, np.ones(group.size))
        paid = reward[place]
        model.ledger.firms_receive(group, paid, "government", place)
        model.count("hnte_rewards", place, paid)


def count_lapses(model) -> None:
    """Certificates that ran out last month without a renewal (outside the decision rounds, where
    `decide_hnte` ends and counts them)."""
    f = model.firms
    rows = model.alive_rows()
    lapsed = rows[(f.hnte_until[rows] == model.month - 1) & (f.hnte_region[rows] == f.region[rows])]
    treated = f.hnte_treated[lapsed]  # a new entity's borrowed treatment ran out: no certificate lapsed
    f.hnte_treated[lapsed[treated]] = False
    lapsed = lapsed[~treated]
    model.count("hnte_lapsed", f.region[lapsed].astype(np.int64), np.ones(lapsed.size))


def certify(model) -> None:
    """Step 4 of the month: lapses, the annual application round and the decisions that fall due."""
    resolve_move_checks(model)
    count_lapses(model)
    if model.calendar_month == APPLICATION_MONTH:
        apply_for_hnte(model)
    decide_hnte(model)


def carry_status_on_move(model, row: int, destination: int) -> None:
    """A certified firm that moves as a whole keeps its certificate (Guokefahuo [2016] 32, art. 18).

    Within a province, and where the destination gives the certificate equal local treatment at
    once (`rules.hnte_kept_on_move[from, to]`: the destination's `hnte_recognition` scope, and
    mutual recognition between the zone counties), the status goes with the firm. Across a
    provincial line elsewhere the destination checks the firm first (art. 18; work guideline
    Guokefahuo [2016] 195): for `behaviour.hnte_move_check_months` the status counts only where it
    was recognised (the firm pays 25 % where it operates), and `resolve_move_checks` ends the check.
    Only a partial move (a branch, a new legal entity) would need a new certification, and the model
    moves whole firms. A pending application goes with the firm.
    """
    f = model.firms
    if f.hnte_until[row] < model.month or f.hnte_region[row] < 0:
        f.hnte_check_until[row] = NO_STATUS
        return
    origin = int(f.region[row])
    if IN_ZONE[origin] and IN_ZONE[destination] and origin != destination:
        model.count("hnte_moves", np.array([destination]), np.ones(1))
    holder = int(f.hnte_region[row])  # where the status is recognised now (the origin during a check)
    if destination == holder or model.rules.hnte_kept_on_move[holder, destination]:
        f.hnte_region[row] = destination
        f.hnte_check_until[row] = NO_STATUS
        return
    f.hnte_check_until[row] = model.month + model.behaviour.hnte_move_check_months


def close_accounting_year(model) -> None:
    """December: shift the three-year R&D and sales windows."""
    f = model.firms
    n = f.n
    f.rd_y2[:n], f.rd_y1[:n], f.rd_y0[:n] = f.rd_y1[:n], f.rd_y0[:n], 0.0
    f.sales_y2[:n], f.sales_y1[:n], f.sales_y0[:n] = f.sales_y1[:n], f.sales_y0[:n], 0.0
    f.profit_y1[:n], f.profit_y0[:n] = f.profit_y0[:n], 0.0


def resolve_move_checks(model) -> None:
    """Checks of certified firms that moved across a provincial line end in the month they are due.

    A check passes with `behaviour.hnte_move_check_pass`: the status then counts where the firm
    operates until the certificate's own expiry (art. 18 keeps it within its validity). A failed
    check cancels the certificate (`hnte_lost_on_move`); the firm may apply again once
    `hnte_reapply_wait_months` have passed. A firm that meanwhile got a certificate of the
    destination, or whose certificate ran out, ends its check as it stands. One key is drawn
    from the mechanism's stream every month, checks or not, so that the later draws of the month
    are the same in every scenario run on the seed (`draws.uniform`: keyed by row).
    """
    f = model.firms
    due = np.flatnonzero(f.view("hnte_check_until") != NO_STATUS)
    due = due[f.hnte_check_until[due] <= model.month]
    passed = draws.uniform(model, f, due) < model.behaviour.hnte_move_check_pass
    open_ = f.alive[due] & (f.hnte_until[due] >= model.month) & (f.hnte_region[due] != f.region[due])
    f.hnte_check_until[due] = NO_STATUS
    ok, failed = due[open_ & passed], due[open_ & ~passed]
    joining = ok[~f.hnte_treated[ok]]  # from where the status was recognised (stockflows.py)
    model.count_hnte_moves(JOINED, f.hnte_region[joining], f.region[joining])
    f.hnte_region[ok] = f.region[ok]
    model.count("hnte_lost_on_move", f.region[failed].astype(np.int64), np.ones(failed.size))
    f.hnte_until[failed] = NO_STATUS
    f.hnte_region[failed] = -1
    f.hnte_pending[failed] = NO_STATUS
    f.hnte_barred_until[failed] = model.month + model.rules.hnte_reapply_wait
