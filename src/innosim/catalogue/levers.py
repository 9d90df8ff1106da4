"""Every policy lever, declared once: its schema key, its label, the rule it becomes, its control on
the visual server and the public-cost items it spends.

What the schema says of a lever is read from the schema, never restated: whether each county sets
it, its bounds or choices and its default (`innosim.scenario.catalogue.lever_facts`). The rules are
the fields of `model.policy.PolicyRules`, in this order; `how` says how a lever's value becomes one:

- ``per_firm``: a county's value per place, 0 for Shanghai's core (an amount paid one firm, a share);
- ``per_place``: the same times ``run.scale`` (a budget, a capacity: the model is smaller than the zone);
- ``value``: the setting as it is (a number of months, a switch, the national timeline);
- ``built``: `model/policy.py` builds it from its levers (a matrix of places).

The glossary keys of the levers' Chinese names are their schema keys (``settings:`` of zh.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

HOWS = ("per_firm", "per_place", "value", "built")


@dataclass(frozen=True)
class Rule:
    """One field of `PolicyRules`: what the mechanisms read, and how the levers make it."""

    name: str
    how: str
    shape: str  # what it holds, indexed how


@dataclass(frozen=True)
class Control:
    """A lever's control on the visual server: `param` names it (one per county, ``<param>_<county>``,
    for a lever each county sets); a slider's usual range (a file holding more widens it) and step."""

    param: str
    kind: str  # "toggle", "choice" or "slider"
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05


@dataclass(frozen=True)
class Lever:
    """One lever: `key` is its dotted schema key (and its glossary key), `rule` the name of the rule
    it makes or helps build, `cost` the public-cost items (`COST_ITEMS`) it spends or forgoes."""

    key: str
    label: str
    rule: str
    control: Control | None = None
    cost: tuple[str, ...] = ()

    @property
    def glossary_key(self) -> str:
        return self.key


RULES: tuple[Rule, ...] = (
    Rule("hnte_kept_on_move", "built", "[from, to] -> bool: the status counts in `to` at once, no check"),
    Rule("hnte_reapply_wait", "value", "months before applying again after a failed move check"),
    Rule("hnte_reward_first", "per_firm", "per place, M CNY a county pays for a first certification"),
    Rule("hnte_reward_renewal", "per_firm", "per place, M CNY for a renewal"),
    Rule("talent_programmes", "per_place", "per place, high-end talents brought in a year"),
    Rule("qualification_recognised", "built", "[home, place] -> bool"),
    Rule("voucher_spendable", "built", "[issuer, provider place] -> bool"),
    Rule("voucher_acceptance", "built", "[issuer, provider place] -> probability a provider accepts"),
    Rule("voucher_budget", "per_place", "per place, M CNY a year (Shanghai 0)"),
    Rule("voucher_subsidy_share", "per_firm", "per issuing place, share of a service's cost (Shanghai 0)"),
    Rule("voucher_cap", "per_firm", "per issuing place, M CNY a firm a year at most (Shanghai 0)"),
    Rule("fund_may_invest", "built", "[fund place, firm place] -> bool"),
    Rule("fund_capital", "per_place", "per place, M CNY of the county's funds"),
    Rule("solver_reach", "built", "[problem place, solver place] -> probability of being found"),
    Rule("incubator_capacity", "per_place", "per place, incubator places at this scale (fractional)"),
    Rule("post_incubation_space", "per_place", "per place, graduate places a year at this scale (fractional)"),
    Rule("stay_subsidy", "per_firm", "per incubator place, M CNY to a graduate that stays"),
    Rule("national", "value", "the scenario's national timeline (policy.national)"),
    Rule("pool_capacity", "per_place", "per place, firms in the county's cultivation pool (at this scale)"),
    Rule("pool_subsidy", "per_firm", "per place, M CNY a year to each firm in the pool"),
    Rule("rd_subsidy_share", "per_firm", "per place, share of last year's R&D above the threshold paid"),
    Rule("rd_subsidy_threshold", "per_firm", "per place, M CNY of R&D a year"),
    Rule("rd_subsidy_cap", "per_firm", "per place, M CNY a firm a year at most"),
    Rule("equity_enabled", "value", "equity incentives are offered"),
    Rule("equity_share", "built", "share of a firm granted to key staff (0 when not enabled)"),
    Rule("equity_vesting", "value", "months until granted equity vests"),
    Rule("equity_kept", "built", "share of equity's value a talent keeps after personal income tax"),
)

LEVERS: tuple[Lever, ...] = (
    Lever("policy.hnte_mutual_recognition", "HNTE mutual recognition", "hnte_kept_on_move",
          Control("hnte_mutual_recognition", "toggle"), ("hnte_tax_forgone",)),
    Lever("policy.hnte_recognition", "HNTE certificates honoured at once", "hnte_kept_on_move",
          Control("hnte_recognition", "choice"), ("hnte_tax_forgone",)),
    Lever("policy.hnte_reapply_wait_months", "HNTE re-apply wait", "hnte_reapply_wait",
          Control("hnte_reapply_wait_months", "slider", 0, 60, 1), ("hnte_tax_forgone",)),
    Lever("policy.hnte_rewards.first", "HNTE reward, first certification", "hnte_reward_first",
          cost=("hnte_rewards",)),
    Lever("policy.hnte_rewards.renewal", "HNTE reward, renewal", "hnte_reward_renewal", cost=("hnte_rewards",)),
    Lever("policy.talent_programmes", "Talent programmes, persons/yr", "talent_programmes"),
    Lever("policy.talent_recognition", "Talent qualification recognition", "qualification_recognised",
          Control("talent_recognition", "toggle")),
    Lever("policy.vouchers.scope", "Voucher scope (where they can be spent)", "voucher_spendable",
          Control("voucher_scope", "choice"), ("vouchers",)),
    Lever("policy.vouchers.cross_county_settlement", "Voucher cross-county settlement", "voucher_acceptance",
          Control("voucher_settlement", "toggle"), ("vouchers",)),
    Lever("policy.vouchers.budget", "Vouchers, M CNY/yr", "voucher_budget",
          Control("voucher_budget", "slider", 0, 60, 1), ("vouchers",)),
    Lever("policy.vouchers.subsidy_share", "Voucher subsidy share", "voucher_subsidy_share",
          Control("voucher_subsidy_share", "slider", 0, 1, 0.05), ("vouchers",)),
    Lever("policy.vouchers.cap_per_firm", "Voucher cap per firm", "voucher_cap",
          Control("voucher_cap_per_firm", "slider", 0, 0.5, 0.01), ("vouchers",)),
    Lever("policy.equity_incentives.enabled", "Equity incentives", "equity_enabled",
          Control("equity_incentives", "toggle")),
    Lever("policy.equity_incentives.equity_share", "Equity share", "equity_share",
          Control("equity_share", "slider", 0, 0.5, 0.01)),
    Lever("policy.equity_incentives.vesting_months", "Vesting, months", "equity_vesting",
          Control("equity_vesting_months", "slider", 1, 120, 1)),
    Lever("policy.equity_incentives.tax_deferral", "Equity: income tax deferral", "equity_kept",
          Control("equity_tax_deferral", "toggle"), ("equity_tax_deferral",)),
    Lever("policy.incubation.capacity", "Incubator places", "incubator_capacity",
          Control("incubator_capacity", "slider", 0, 200, 5), ("incubator_rent",)),
    Lever("policy.incubation.post_incubation_space", "Post-incubation/yr", "post_incubation_space",
          Control("post_incubation_space", "slider", 0, 100, 5)),
    Lever("policy.incubation.stay_subsidy", "Stay subsidy, M CNY", "stay_subsidy",
          Control("stay_subsidy", "slider", 0, 2, 0.05), ("stay_subsidies",)),
    Lever("policy.rd_subsidy.share", "R&D subsidy share", "rd_subsidy_share",
          Control("rd_subsidy_share", "slider", 0, 0.5, 0.01), ("rd_subsidies",)),
    Lever("policy.rd_subsidy.threshold", "R&D subsidy threshold, M CNY/yr", "rd_subsidy_threshold",
          cost=("rd_subsidies",)),
    Lever("policy.rd_subsidy.cap_per_firm", "R&D subsidy cap per firm, M CNY/yr", "rd_subsidy_cap",
          cost=("rd_subsidies",)),
    Lever("policy.finance.fund_capital", "Fund capital, M CNY", "fund_capital",
          Control("fund_capital", "slider", 0, 1000, 10), ("funds_net",)),
    Lever("policy.finance.cross_county_investment", "Funds invest across county lines", "fund_may_invest",
          Control("cross_county_investment", "toggle"), ("funds_net",)),
    Lever("policy.brokers.cross_county_reach", "Broker reach", "solver_reach",
          Control("broker_reach", "slider", 0, 1, 0.05)),
    Lever("policy.brokers.shanghai_reach", "Shanghai reach", "solver_reach",
          Control("shanghai_reach", "slider", 0, 1, 0.05)),
    Lever("policy.cultivation.capacity", "HNTE cultivation pool places", "pool_capacity", cost=("cultivation",)),
    Lever("policy.cultivation.subsidy", "Cultivation pool subsidy, M CNY/yr", "pool_subsidy", cost=("cultivation",)),
    Lever("policy.national", "National measures (inputs, never levers of the zone)", "national",
          cost=("hnte_tax_forgone",)),
)
BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}
#: The levers with a control on the visual server, in the order of the page.
VIZ_LEVERS: tuple[Lever, ...] = tuple(lever for lever in LEVERS if lever.control is not None)


def levers_of(rule: str) -> tuple[Lever, ...]:
    """The levers a rule is made from."""
    return tuple(lever for lever in LEVERS if lever.rule == rule)
