"""Every indicator of DESIGN.md section 5, declared once: its kind, unit, meaning, whether the
mechanisms count it, which reports show it first, and what it adds to the public cost.

Flows are a month's totals, stocks the values at the month's end, rates cumulative since the
start. The model's snapshot (`model/indicators.snapshot`), the reports' lists of main indicators,
the public-cost items and the glossary's indicator keys are read from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .places import PLACES

#: The lists of main indicators, by where they are shown (an indicator names the ones it is in).
VIEWS: dict[str, str] = {
    "figure": "the figure of a run (innosim run: indicators.png)",
    "summary": "the table `innosim run` prints at the horizon",
    "headline": "the headline tables and the difference chart of a comparison",
    "bands": "the comparison's band plots (monthly means with their intervals)",
    "horizon": "the values a calibration log prints at the horizon",
    "gains": "the comparison summary's gains and losses by place",
}


@dataclass(frozen=True)
class CostItem:
    """One item of the public cost, in report order: its key and its English column label."""

    key: str
    label: str


#: The items of `public_cost` (M CNY), in the order reports show them. Each is counted where the money
#: is spent or forgone: vouchers by issuing county, HNTE tax and rewards, rent and stay subsidies by
#: the firm's county, fund money by the invested firm's place.
COST_ITEMS: tuple[CostItem, ...] = (
    CostItem("vouchers", "vouchers"),
    CostItem("hnte_tax_forgone", "HNTE tax forgone"),
    CostItem("hnte_rewards", "HNTE rewards"),
    CostItem("cultivation", "cultivation pools"),
    CostItem("rd_subsidies", "R&D subsidies"),
    CostItem("incubator_rent", "incubator rent"),
    CostItem("stay_subsidies", "stay subsidies"),
    CostItem("equity_tax_deferral", "equity tax deferral"),
    CostItem("funds_net", "funds, net"),
)


@dataclass(frozen=True)
class Indicator:
    """One indicator: `counted` ones are the mechanisms' monthly counters (`model.count`), rates
    divide two cumulative counters (`rate_of`), the others the snapshot computes; `main` names the
    views (`VIEWS`) it is a main indicator of; `cost` is (item of `COST_ITEMS`, sign) for a part of
    the public cost."""

    name: str
    kind: str  # "flow", "stock" or "rate"
    unit: str
    description: str
    counted: bool = False
    main: tuple[str, ...] = ()
    noun: str = ""  # short English noun of report prose ("HNTE stock"); "" for none
    cost: tuple[str, int] | None = None
    zone_only: bool = False  # defined for the zone alone
    rate_of: tuple[str, str] | None = None  # a rate's numerator and denominator counters, cumulative


INDICATORS: tuple[Indicator, ...] = (
    Indicator("hnte_stock", "stock", "firms", "firms holding valid HNTE status where they operate "
              "(a firm under a destination's check after a move counts once it passes)",
              main=("figure", "summary", "headline", "bands", "horizon", "gains"), noun="HNTE stock"),
    Indicator("hnte_new", "flow", "firms", "first-time HNTE certifications",
              counted=True, main=("figure", "summary", "headline")),
    Indicator("hnte_renewed", "flow", "firms", "HNTE certificates renewed without a gap",
              counted=True),
    Indicator("hnte_regained", "flow", "firms", "HNTE certifications of firms certified before whose status had ended",
              counted=True),
    Indicator("hnte_lapsed", "flow", "firms", "HNTE certificates that ran out without a renewal",
              counted=True),
    Indicator("hnte_rewards", "flow", "M CNY", "county rewards paid for HNTE certifications",
              counted=True, cost=("hnte_rewards", 1)),
    Indicator("hnte_tax_saved", "flow", "M CNY", "corporate income tax forgone through the 15 % HNTE rate",
              counted=True, cost=("hnte_tax_forgone", 1)),
    Indicator("hnte_lost_on_move", "flow", "firms", "HNTE certificates cancelled by a failed check after a move "
              "across a provincial line (by the destination)",
              counted=True),
    Indicator("hnte_moves", "flow", "firms", "certified firms moving between the three counties (by the destination)",
              counted=True),
    Indicator("tech_smes", "stock", "firms", "firms evaluated technology SMEs this year"),
    Indicator("hnte_pool", "stock", "firms", "firms in the county's HNTE cultivation pool this year"),
    Indicator("pool_subsidies", "flow", "M CNY", "subsidies paid to firms in HNTE cultivation pools",
              counted=True, cost=("cultivation", 1)),
    Indicator("rd_subsidies", "flow", "M CNY", "R&D expense subsidies counties paid on last year's R&D (by the firm's county)",
              counted=True, cost=("rd_subsidies", 1)),
    Indicator("rd_deduction_tax_saved", "flow", "M CNY", "corporate income tax forgone through the R&D super-deduction (national)",
              counted=True),
    Indicator("firms", "stock", "firms", "firms alive",
              main=("summary", "headline", "bands", "horizon", "gains"), noun="firms"),
    Indicator("startups", "flow", "firms", "start-ups founded",
              counted=True, main=("figure", "summary", "headline", "bands"), noun="start-ups"),
    Indicator("exits", "flow", "firms", "firms that exited",
              counted=True),
    Indicator("firms_entered", "flow", "firms", "firms entering from outside the four places",
              counted=True),
    Indicator("firms_uptake", "flow", "firms", "local firms joining the technology base (taking up R&D)",
              counted=True),
    Indicator("loss_share", "stock", "share", "share of firms with a loss this month"),
    Indicator("innovations", "flow", "events", "innovation events",
              counted=True, main=("summary", "headline", "bands", "horizon", "gains"), noun="innovations"),
    Indicator("knowledge", "stock", "innovations", "knowledge stock of the firms (depreciated innovations)"),
    Indicator("rd_spending", "flow", "M CNY", "R&D really spent",
              counted=True, main=("headline",)),
    Indicator("rd_reported", "flow", "M CNY", "R&D reported (spent plus relabelled near the HNTE thresholds)",
              counted=True),
    Indicator("hightech_revenue", "flow", "M CNY", "revenue from high-tech products",
              counted=True, main=("summary", "headline", "bands", "gains"), noun="high-tech revenue"),
    Indicator("revenue", "flow", "M CNY", "revenue of all firms",
              counted=True, main=("horizon",)),
    Indicator("value_added", "flow", "M CNY", "value added of all firms",
              counted=True),
    Indicator("talents", "stock", "persons", "key talents living there",
              main=("figure", "summary", "headline", "bands", "horizon", "gains"), noun="talents"),
    Indicator("unemployed", "stock", "persons", "key talents living there without a job"),
    Indicator("talents_arrived", "flow", "persons", "talents entering the model (graduates, migrants, programmes, entrants' staff)",
              counted=True),
    Indicator("programme_talents", "flow", "persons", "high-end talents brought in by county programmes",
              counted=True),
    Indicator("talents_departed", "flow", "persons", "talents leaving the model (retirement, leaving for good)",
              counted=True),
    Indicator("talents_in", "flow", "persons", "talents moving in",
              counted=True),
    Indicator("talents_out", "flow", "persons", "talents moving out",
              counted=True),
    Indicator("net_talent_inflow", "flow", "persons", "talents in minus out",
              main=("headline",)),
    Indicator("firms_in", "flow", "firms", "firms relocating in",
              counted=True),
    Indicator("firms_out", "flow", "firms", "firms relocating out",
              counted=True),
    Indicator("firm_moves", "flow", "firms", "firms moving between the three counties (by the destination)"),
    Indicator("new_entities", "flow", "firms", "new legal entities certified firms set up in another county (by the destination)",
              counted=True),
    Indicator("new_entities_treated", "flow", "firms",
              "new entities taxed at once as their certified parent (the destination honours its certificate)",
              counted=True),
    Indicator("vouchers_issued", "flow", "M CNY", "innovation vouchers issued",
              counted=True),
    Indicator("vouchers_used", "flow", "M CNY", "vouchers redeemed (by issuing county)",
              counted=True, main=("figure", "summary", "headline"), cost=("vouchers", 1)),
    Indicator("voucher_uses", "flow", "firm-months", "firm-months with a voucher redemption (by issuing county)",
              counted=True),
    Indicator("voucher_use_rate", "rate", "share", "vouchers used / issued since the start",
              rate_of=("vouchers_used", "vouchers_issued")),
    Indicator("voucher_cross_share", "rate", "share", "share of voucher money spent outside the issuing county",
              main=("headline",), rate_of=("vouchers_used_across", "vouchers_used")),
    Indicator("incubator_tenants", "stock", "firms", "firms in an incubator"),
    Indicator("graduates", "flow", "firms", "incubator graduates",
              counted=True),
    Indicator("graduates_stayed", "flow", "firms", "graduates settling in their incubator's county",
              counted=True),
    Indicator("graduates_hnte", "flow", "firms", "incubator graduates holding HNTE status when they graduate",
              counted=True),
    Indicator("incubator_failures", "flow", "firms", "tenants that exited (ran out of cash or closed) while in an incubator",
              counted=True),
    Indicator("graduate_stay_rate", "rate", "share", "graduates that stayed / all that left incubation",
              main=("figure", "summary", "headline"), rate_of=("graduates_stayed", "graduates_or_failed")),
    Indicator("problems_posted", "flow", "problems", "technical problems posted",
              counted=True),
    Indicator("tech_deals", "flow", "deals", "technology deals signed",
              counted=True, main=("headline",)),
    Indicator("tech_deals_shanghai", "flow", "deals", "deals with a Shanghai solver",
              counted=True),
    Indicator("tech_deals_across", "flow", "deals", "deals with a solver outside the firm's place",
              counted=True, main=("headline",)),
    Indicator("fund_investments", "flow", "deals", "fund investments (by the firm's place)",
              counted=True, main=("headline",)),
    Indicator("fund_invested", "flow", "M CNY", "money invested by funds",
              counted=True, cost=("funds_net", 1)),
    Indicator("fund_returns", "flow", "M CNY", "money funds realised by selling holdings",
              counted=True, cost=("funds_net", -1)),
    Indicator("incubator_rent_subsidy", "flow", "M CNY", "rent the county pays for its incubator tenants",
              counted=True, cost=("incubator_rent", 1)),
    Indicator("stay_subsidies", "flow", "M CNY", "subsidies paid to incubator graduates staying in their county",
              counted=True, cost=("stay_subsidies", 1)),
    Indicator("voucher_projects", "flow", "projects", "external R&D projects a voucher triggered (additional)",
              counted=True),
    Indicator("equity_granted", "flow", "M CNY", "equity granted to key staff (the owners' dilution)",
              counted=True),
    Indicator("equity_tax_forgone", "flow", "M CNY", "personal income tax forgone through the equity-incentive tax deferral",
              counted=True, cost=("equity_tax_deferral", 1)),
    Indicator("public_cost", "flow", "M CNY", "public money spent or forgone: vouchers used, HNTE tax forgone and "
              "rewards, cultivation and R&D subsidies, incubator rent and stay subsidies, equity tax deferred, fund investments less returns",
              noun="public cost"),
    Indicator("tax", "flow", "M CNY", "corporate income tax paid",
              counted=True),
    Indicator("balance_index", "stock", "index", "1 - Gini of HNTEs per resident across the three counties (zone only)",
              main=("headline",), zone_only=True),
) + (
    # the parts of the stock identity (model/stockflows.py): moves by pair of places
    Indicator("hnte_exits", "flow", "firms", "firms holding HNTE status that exited (they leave the HNTE stock)"),
    *(Indicator(f"hnte_from_{p.key}", "flow", "firms", f"HNTEs joining the stock here after a move from {p.name} "
                "(at once, or when the destination's check passes)") for p in PLACES),
    *(Indicator(f"hnte_to_{p.key}", "flow", "firms", f"HNTEs leaving the stock here by a move to {p.name}")
      for p in PLACES),
    *(Indicator(f"firms_from_{p.key}", "flow", "firms", f"firms relocating here from {p.name}") for p in PLACES),
    *(Indicator(f"talents_from_{p.key}", "flow", "persons", f"talents moving here from {p.name}") for p in PLACES),
)
INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)
#: Measures of a run's end that the monthly indicators cannot give (model/stylised.py computes them;
#: calibration fits them over the whole run, ``<name>@total``).
END_MEASURES: tuple[Indicator, ...] = (
    Indicator("highend_talents_in", "stock", "persons", "high-end talents (top decile of skill) living in a "
              "county at the end who came during the run, from outside the model or from another place"),
    Indicator("startup_survival", "rate", "share", "share of the start-ups founded in the run's first two years "
              "still alive at its end"),
)
BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
#: The mechanisms' monthly counters the snapshot reports as they are (per place, the zone their sum).
COUNTED: tuple[str, ...] = tuple(i.name for i in INDICATORS if i.counted)
#: The items of `public_cost` as item -> (indicator, sign) terms, in report order.
PUBLIC_COST_ITEMS: dict[str, tuple[tuple[str, int], ...]] = {
    item.key: tuple((i.name, i.cost[1]) for i in INDICATORS if i.cost and i.cost[0] == item.key)
    for item in COST_ITEMS}
#: Cumulative rates: numerator and denominator counters.
RATES: dict[str, tuple[str, str]] = {i.name: i.rate_of for i in INDICATORS if i.rate_of}
#: Indicators defined for the zone alone.
ZONE_ONLY: tuple[str, ...] = tuple(i.name for i in INDICATORS if i.zone_only)


def main_indicators(view: str) -> tuple[str, ...]:
    """The main indicators of one view (`VIEWS`), in the catalogue's order."""
    if view not in VIEWS:
        raise KeyError(f"unknown view {view!r} (one of {', '.join(VIEWS)})")
    return tuple(i.name for i in INDICATORS if view in i.main)


@dataclass(frozen=True)
class StockFlows:
    """The parts of one stock's change in a place (docs/ODD.md section 8, "the stock identity"):
    indicators that add, subtract, and the prefixes of the moves counted by pair of places."""

    stock: str
    created: tuple[str, ...]   # in-flows created in the place (certified, founded, taken up)
    entered: tuple[str, ...]   # in-flows from outside the four places
    ended: tuple[str, ...]     # out-flows that end in the place (lapsed, exited)
    departed: tuple[str, ...]  # out-flows that leave the four places
    moved_in: str              # `<moved_in>_<origin>`: in-flows from another place, at the destination
    moved_out: str | None      # `<moved_out>_<destination>` at the origin; None: the mirror of `moved_in`
    counted_in: str = ""       # what one unit of the stock is, in English prose ("HNTEs")

    def pair(self, prefix: str, place: str) -> str:
        return f"{prefix}_{place}"


#: Which indicators are which part of the three stocks planners ask about (model/stockflows.py counts
#: them; analysis/decompose.py splits an effect into them).
STOCK_FLOWS: tuple[StockFlows, ...] = (
    StockFlows("hnte_stock", created=("hnte_new", "hnte_regained"), entered=(),
               ended=("hnte_lapsed", "hnte_exits"), departed=(), moved_in="hnte_from", moved_out="hnte_to",
               counted_in="HNTEs"),
    StockFlows("firms", created=("startups", "firms_uptake", "new_entities"), entered=("firms_entered",),
               ended=("exits",), departed=(), moved_in="firms_from", moved_out=None, counted_in="firms"),
    StockFlows("talents", created=(), entered=("talents_arrived",),
               ended=(), departed=("talents_departed",), moved_in="talents_from", moved_out=None,
               counted_in="talents"),
)
