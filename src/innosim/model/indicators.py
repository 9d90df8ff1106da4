"""Indicators of DESIGN.md section 5, per place and for the zone (the three counties), monthly.

Flows are this month's totals; stocks are values at the month's end; rates are cumulative
since the start of the run. `snapshot` is what Mesa's DataCollector records each month.

Public money is counted where it is spent or forgone: `public_cost` is the sum of the items of
`PUBLIC_COST_ITEMS`, a cash view (a fund's investment counts when it is paid out, its returns when
they come back; the endowment itself is not a cost until invested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from innosim.scenario import COUNTIES, PLACES

from .places import N_COUNTIES, POPULATION
from .stockflows import STOCK_FLOW_INDICATORS, snapshot_flows

REGIONS: tuple[str, ...] = (*PLACES, "zone")


@dataclass(frozen=True)
class Indicator:
    name: str
    kind: str  # "flow", "stock" or "rate"
    unit: str
    description: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("hnte_stock", "stock", "firms", "firms holding valid HNTE status where they operate "
              "(a firm under a destination's check after a move counts once it passes)"),
    Indicator("hnte_new", "flow", "firms", "first-time HNTE certifications"),
    Indicator("hnte_renewed", "flow", "firms", "HNTE certificates renewed without a gap"),
    Indicator("hnte_regained", "flow", "firms", "HNTE certifications of firms certified before whose status had ended"),
    Indicator("hnte_lapsed", "flow", "firms", "HNTE certificates that ran out without a renewal"),
    Indicator("hnte_rewards", "flow", "M CNY", "county rewards paid for HNTE certifications"),
    Indicator("hnte_tax_saved", "flow", "M CNY", "corporate income tax forgone through the 15 % HNTE rate"),
    Indicator("hnte_lost_on_move", "flow", "firms", "HNTE certificates cancelled by a failed check after a move "
              "across a provincial line (by the destination)"),
    Indicator("hnte_moves", "flow", "firms", "certified firms moving between the three counties (by the destination)"),
    Indicator("tech_smes", "stock", "firms", "firms evaluated technology SMEs this year"),
    Indicator("hnte_pool", "stock", "firms", "firms in the county's HNTE cultivation pool this year"),
    Indicator("pool_subsidies", "flow", "M CNY", "subsidies paid to firms in HNTE cultivation pools"),
    Indicator("rd_subsidies", "flow", "M CNY", "R&D expense subsidies counties paid on last year's R&D (by the firm's county)"),
    Indicator("rd_deduction_tax_saved", "flow", "M CNY", "corporate income tax forgone through the R&D super-deduction (national)"),
    Indicator("firms", "stock", "firms", "firms alive"),
    Indicator("startups", "flow", "firms", "start-ups founded"),
    Indicator("exits", "flow", "firms", "firms that exited"),
    Indicator("firms_entered", "flow", "firms", "firms entering from outside the four places"),
    Indicator("firms_uptake", "flow", "firms", "local firms joining the technology base (taking up R&D)"),
    Indicator("loss_share", "stock", "share", "share of firms with a loss this month"),
    Indicator("innovations", "flow", "events", "innovation events"),
    Indicator("knowledge", "stock", "innovations", "knowledge stock of the firms (depreciated innovations)"),
    Indicator("rd_spending", "flow", "M CNY", "R&D really spent"),
    Indicator("rd_reported", "flow", "M CNY", "R&D reported (spent plus relabelled near the HNTE thresholds)"),
    Indicator("hightech_revenue", "flow", "M CNY", "revenue from high-tech products"),
    Indicator("revenue", "flow", "M CNY", "revenue of all firms"),
    Indicator("value_added", "flow", "M CNY", "value added of all firms"),
    Indicator("talents", "stock", "persons", "key talents living there"),
    Indicator("unemployed", "stock", "persons", "key talents living there without a job"),
    Indicator("talents_arrived", "flow", "persons", "talents entering the model (graduates, migrants, programmes, entrants' staff)"),
    Indicator("programme_talents", "flow", "persons", "high-end talents brought in by county programmes"),
    Indicator("talents_departed", "flow", "persons", "talents leaving the model (retirement, leaving for good)"),
    Indicator("talents_in", "flow", "persons", "talents moving in"),
    Indicator("talents_out", "flow", "persons", "talents moving out"),
    Indicator("net_talent_inflow", "flow", "persons", "talents in minus out"),
    Indicator("firms_in", "flow", "firms", "firms relocating in"),
    Indicator("firms_out", "flow", "firms", "firms relocating out"),
    Indicator("firm_moves", "flow", "firms", "firms moving between the three counties (by the destination)"),
    Indicator("new_entities", "flow", "firms", "new legal entities certified firms set up in another county (by the destination)"),
    Indicator("new_entities_treated", "flow", "firms",
              "new entities taxed at once as their certified parent (the destination honours its certificate)"),
    Indicator("vouchers_issued", "flow", "M CNY", "innovation vouchers issued"),
    Indicator("vouchers_used", "flow", "M CNY", "vouchers redeemed (by issuing county)"),
    Indicator("voucher_uses", "flow", "firm-months", "firm-months with a voucher redemption (by issuing county)"),
    Indicator("voucher_use_rate", "rate", "share", "vouchers used / issued since the start"),
    Indicator("voucher_cross_share", "rate", "share", "share of voucher money spent outside the issuing county"),
    Indicator("incubator_tenants", "stock", "firms", "firms in an incubator"),
    Indicator("graduates", "flow", "firms", "incubator graduates"),
    Indicator("graduates_stayed", "flow", "firms", "graduates settling in their incubator's county"),
    Indicator("graduates_hnte", "flow", "firms", "incubator graduates holding HNTE status when they graduate"),
    Indicator("incubator_failures", "flow", "firms", "tenants that exited (ran out of cash or closed) while in an incubator"),
    Indicator("graduate_stay_rate", "rate", "share", "graduates that stayed / all that left incubation"),
    Indicator("problems_posted", "flow", "problems", "technical problems posted"),
    Indicator("tech_deals", "flow", "deals", "technology deals signed"),
    Indicator("tech_deals_shanghai", "flow", "deals", "deals with a Shanghai solver"),
    Indicator("tech_deals_across", "flow", "deals", "deals with a solver outside the firm's place"),
    Indicator("fund_investments", "flow", "deals", "fund investments (by the firm's place)"),
    Indicator("fund_invested", "flow", "M CNY", "money invested by funds"),
    Indicator("fund_returns", "flow", "M CNY", "money funds realised by selling holdings"),
    Indicator("incubator_rent_subsidy", "flow", "M CNY", "rent the county pays for its incubator tenants"),
    Indicator("stay_subsidies", "flow", "M CNY", "subsidies paid to incubator graduates staying in their county"),
    Indicator("voucher_projects", "flow", "projects", "external R&D projects a voucher triggered (additional)"),
    Indicator("equity_granted", "flow", "M CNY", "equity granted to key staff (the owners' dilution)"),
    Indicator("equity_tax_forgone", "flow", "M CNY", "personal income tax forgone through the equity-incentive tax deferral"),
    Indicator("public_cost", "flow", "M CNY", "public money spent or forgone: vouchers used, HNTE tax forgone and "
              "rewards, cultivation and R&D subsidies, incubator rent and stay subsidies, equity tax deferred, fund investments less returns"),
    Indicator("tax", "flow", "M CNY", "corporate income tax paid"),
    Indicator("balance_index", "stock", "index", "1 - Gini of HNTEs per resident across the three counties (zone only)"),
) + tuple(Indicator(*row) for row in STOCK_FLOW_INDICATORS)  # the parts of the stock identity (stockflows.py)
INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)
#: The items of `public_cost` (M CNY) as item -> (indicator, sign) terms, in the order reports show them.
#: Each item is counted where the money is spent or forgone: vouchers by issuing county, HNTE tax and
#: rewards, rent and stay subsidies by the firm's county, fund money by the invested firm's place.
PUBLIC_COST_ITEMS: dict[str, tuple[tuple[str, int], ...]] = {
    "vouchers": (("vouchers_used", 1),),
    "hnte_tax_forgone": (("hnte_tax_saved", 1),),
    "hnte_rewards": (("hnte_rewards", 1),),
    "cultivation": (("pool_subsidies", 1),),
    "rd_subsidies": (("rd_subsidies", 1),),
    "incubator_rent": (("incubator_rent_subsidy", 1),),
    "stay_subsidies": (("stay_subsidies", 1),),
    "equity_tax_deferral": (("equity_tax_forgone", 1),),
    "funds_net": (("fund_invested", 1), ("fund_returns", -1)),
}
#: Cumulative rates: numerator and denominator counters.
RATES = {
    "voucher_use_rate": ("vouchers_used", "vouchers_issued"),
    "voucher_cross_share": ("vouchers_used_across", "vouchers_used"),
    "graduate_stay_rate": ("graduates_stayed", "graduates_or_failed"),
}


def gini(values: np.ndarray) -> float:
    values = np.sort(np.asarray(values, dtype=float))
    if values.sum() <= 0:
        return 0.0
    n = values.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * values.sum()))


def _with_zone(per_place: np.ndarray, how: str = "sum") -> np.ndarray:
    zone = per_place[:N_COUNTIES].sum() if how == "sum" else np.nan
    return np.append(per_place, zone)


def snapshot(model) -> dict[str, np.ndarray]:
    """All indicators now: name -> five values (Qingpu, Wujiang, Jiashan, Shanghai core, zone)."""
    f = model.firms
    month = model.monthly
    out: dict[str, np.ndarray] = {}
    for name in ("hnte_new", "hnte_renewed", "hnte_regained", "hnte_lapsed", "hnte_rewards", "hnte_tax_saved",
                 "hnte_lost_on_move", "hnte_moves", "new_entities", "new_entities_treated", "pool_subsidies", "rd_subsidies", "rd_deduction_tax_saved", "startups", "exits",
                 "firms_entered", "firms_uptake", "graduates_hnte", "innovations", "rd_spending",
                 "rd_reported", "hightech_revenue", "revenue", "value_added", "talents_arrived",
                 "programme_talents", "talents_departed", "talents_in", "talents_out", "firms_in", "firms_out",
                 "vouchers_issued", "vouchers_used", "voucher_uses", "graduates", "graduates_stayed", "incubator_failures",
                 "problems_posted", "tech_deals", "tech_deals_shanghai", "tech_deals_across",
                 "fund_investments", "fund_invested", "tax", "fund_returns", "incubator_rent_subsidy",
                 "stay_subsidies", "voucher_projects", "equity_granted", "equity_tax_forgone"):
        out[name] = _with_zone(month[name])
    out["public_cost"] = sum(sign * out[name] for terms in PUBLIC_COST_ITEMS.values() for name, sign in terms)
    # moves inside the zone are not zone in/out-flows
    rel = model.relocations_month
    out["talents_in"][-1] = rel[1, 3, :3].sum()
    out["talents_out"][-1] = rel[1, :3, 3].sum()
    out["firms_in"][-1] = rel[0, 3, :3].sum()
    out["firms_out"][-1] = rel[0, :3, 3].sum()
    out["net_talent_inflow"] = out["talents_in"] - out["talents_out"]
    between = rel[0, :N_COUNTIES, :N_COUNTIES] * (1.0 - np.eye(N_COUNTIES))
    out["firm_moves"] = _with_zone(np.append(between.sum(axis=0), 0.0))

    alive = model.alive_rows()
    region = f.region[alive].astype(np.int64)
    out["firms"] = _with_zone(np.bincount(region, minlength=4).astype(float))
    hnte = model.hnte_certified()[alive]
    hnte_per_place = np.bincount(region[hnte], minlength=4).astype(float)
    out["hnte_stock"] = _with_zone(hnte_per_place)
    year = model.calendar_year
    out["tech_smes"] = _with_zone(np.bincount(region[f.tech_sme_year[alive] == year], minlength=4).astype(float))
    out["hnte_pool"] = _with_zone(np.bincount(region[f.pool_year[alive] == year], minlength=4).astype(float))
    out["knowledge"] = _with_zone(np.bincount(region, f.knowledge[alive], minlength=4))
    losing = np.bincount(region[f.profit[alive] < 0], minlength=4).astype(float)
    firms = np.bincount(region, minlength=4).astype(float)
    out["loss_share"] = np.divide(_with_zone(losing), _with_zone(firms), out=np.full(5, np.nan),
                                  where=_with_zone(firms) > 0)
    t = model.talents
    present = model.present_talents()
    where = t.region[present].astype(np.int64)
    out["talents"] = _with_zone(np.bincount(where, minlength=4).astype(float))
    out["unemployed"] = _with_zone(np.bincount(where[t.employer[present] == -1], minlength=4).astype(float))
    out["incubator_tenants"] = _with_zone(np.bincount(region[f.incubator[alive] >= 0], minlength=4).astype(float))

    cumulative = model.cumulative
    for name, (num, den) in RATES.items():
        top = _with_zone(cumulative[num])
        bottom = _with_zone(cumulative[den])
        out[name] = np.divide(top, bottom, out=np.full(5, np.nan), where=bottom > 0)
    per_resident = hnte_per_place[:N_COUNTIES] / POPULATION[:N_COUNTIES]
    balance = np.full(5, np.nan)
    balance[-1] = 1.0 - gini(per_resident)
    out["balance_index"] = balance
    out.update(snapshot_flows(model))
    return {name: np.asarray(out[name], dtype=float) for name in INDICATOR_NAMES}


def stack(records: list[dict]) -> np.ndarray:
    """DataCollector records -> one array, month x indicator (INDICATOR_NAMES) x region (REGIONS)."""
    names = list(INDICATOR_NAMES)
    return np.array([[record[n] for n in names] for record in records])


def tidy(values: np.ndarray | list[dict], months: list[str]) -> pd.DataFrame:
    """DataCollector records, or the array `stack` makes of them -> long table (month, date,
    region, indicator, value)."""
    names = list(INDICATOR_NAMES)
    values = values if isinstance(values, np.ndarray) else stack(values)
    n_months, n_ind, n_reg = values.shape
    return pd.DataFrame({
        "month": np.repeat(np.arange(1, n_months + 1), n_ind * n_reg),
        "date": np.repeat(np.asarray(months), n_ind * n_reg),
        "region": np.tile(np.asarray(REGIONS), n_months * n_ind),
        "indicator": np.tile(np.repeat(np.asarray(names), n_reg), n_months),
        "value": values.reshape(-1),
    })


def end_values(values: np.ndarray) -> dict[str, dict[str, float]]:
    """Indicator -> region -> value at the horizon (flows: the last twelve months summed; a stock
    that is undefined there, such as a rate with nothing below it, is None), from the stacked
    records (`stack`)."""
    kinds = {i.name: i.kind for i in INDICATORS}
    out: dict[str, dict[str, float]] = {}
    for i, indicator in enumerate(INDICATOR_NAMES):
        if kinds[indicator] == "flow":
            block = np.ascontiguousarray(values[-12:, i, :].T)  # region x month: summed as a column is
            ends = np.where(np.isnan(block), 0.0, block).sum(axis=1)  # (pairwise), NaN as nothing
        else:
            ends = values[-1, i, :]
        out[indicator] = {region: None if np.isnan(v) else float(v) for region, v in zip(REGIONS, ends.tolist())}
    return out


__all__ = ["COUNTIES", "INDICATORS", "INDICATOR_NAMES", "PUBLIC_COST_ITEMS", "REGIONS", "end_values", "snapshot",
           "stack", "tidy"]
