"""The policy levers as rules: the one place where the mechanisms learn what a lever allows.

Each rule is a small matrix or number computed from the scenario's `policy` section. A county
decides most levers, so a rule is indexed by the deciding county: the issuer of a voucher, the
county a firm or talent moves to, the fund's or incubator's county (Shanghai's core, index 3,
issues no vouchers and pays no subsidies). Mechanisms ask these rules and never test scenario
settings themselves. A dated policy change (`Scenario.changes`) builds new rules at the start of
its month and `enact` puts them in force.
"""

from __future__ import annotations

from dataclasses import dataclass, make_dataclass
from typing import Any

import numpy as np

from innosim.catalogue import RULES, Rule, levers_of
from innosim.scenario import COUNTIES, Scenario, by_county

from .incubation import county_capacity, split_capacity
from .places import IN_ZONE, N_PLACES, SAME_PROVINCE, SHANGHAI

CIT_RATE = 0.25   #: corporate income tax, PRC Enterprise Income Tax Law art. 4
HNTE_RATE = 0.15  #: reduced rate for a high- and new-technology enterprise, art. 28
HNTE_VALID_MONTHS = 36  #: certificates last three years (Measures for HNTE Certification, 2016)
#: R&D over sales an HNTE must reach, by sales band (up to 50 M CNY, 50-200 M, above), under each
#: version of the criteria: Guokefahuo [2008] 172 art. 10(4) and Guokefahuo [2016] 32 art. 11(5).
RD_THRESHOLDS = {"2008": (0.06, 0.04, 0.03), "2016": (0.05, 0.04, 0.03)}
#: Kinds of firm for the R&D super-deduction, in the order of `PolicyRules.rd_deduction`.
ALL_FIRMS, MANUFACTURER, TECH_SME = 0, 1, 2
#: The super-deduction before the run's first dated change, the 2015 rule (50 %): the reference of
#: `tech_uptake_rate` and of the R&D plans' response to the after-tax cost of R&D.
REFERENCE_DEDUCTION = 0.5

#: Personal income tax on equity: taxed as wages at vesting without deferral (top marginal
#: rates up to 45 %), or at 20 % on sale with deferral (Caishui [2016] No. 101). The share
#: a talent keeps, in present value.
EQUITY_KEPT_WITHOUT_DEFERRAL = 0.6
EQUITY_KEPT_WITH_DEFERRAL = 0.8


#: Places whose certificates (or qualifications) a county honours, by the scope it chose. For HNTE
#: status, honoured means equal local treatment at once; a certificate from elsewhere is kept after
#: the county's check (Guokefahuo [2016] 32, art. 18: `hnte.carry_status_on_move`).
HONOURED = {"own_province": ~IN_ZONE & IN_ZONE, "zone": IN_ZONE, "zone_shanghai": np.ones(N_PLACES, dtype=bool)}
#: Places where a county's vouchers can be spent, besides its own providers.
VOUCHER_REACH = {"own_county": ~IN_ZONE & IN_ZONE, "own_county_shanghai": ~IN_ZONE,
                 "zone": IN_ZONE, "zone_shanghai": np.ones(N_PLACES, dtype=bool)}
HNTE_SCOPES = tuple(HONOURED)  # narrowest first


def hnte_scope(policy) -> dict[str, str]:
    """Each county's inbound HNTE scope: the wider of `hnte_recognition` and `hnte_mutual_recognition`
    (mutual recognition means at least the zone; it never narrows a county's wider scope)."""
    scope, mutual = by_county(policy.hnte_recognition), by_county(policy.hnte_mutual_recognition)
    return {c: max(scope[c], "zone" if mutual[c] else "own_province", key=HNTE_SCOPES.index) for c in COUNTIES}


def _inbound(honoured: dict[str, np.ndarray]) -> np.ndarray:
    """[from, to] -> bool: same province, or a place the county `to` honours."""
    matrix = SAME_PROVINCE.copy()
    for county, places in honoured.items():
        matrix[:, COUNTIES.index(county)] |= places
    return matrix


def tax_rate(hnte: np.ndarray | bool) -> np.ndarray | float:
    """Corporate income tax rate: 15 % where HNTE status is recognised (art. 28), else 25 % (art. 4).
    The one statement of the rule: the tax paid, the tax forgone and every expectation of a firm
    (its R&D plan, its choice of place) ask it."""
    rate = np.where(hnte, HNTE_RATE, CIT_RATE)
    return rate if rate.ndim else float(rate)


def hnte_tax_gap() -> float:
    """Points of tax an HNTE saves on a yuan of taxable profit (25 % - 15 %)."""
    return tax_rate(False) - tax_rate(True)


def _per_firm(value) -> np.ndarray:
    """A county's value per place, 0 for Shanghai's core (which issues and pays nothing)."""
    values = by_county(value)
    return np.array([values[c] for c in COUNTIES] + [0.0])


def _hnte_kept_on_move(p, b) -> np.ndarray:
    return _inbound({c: HONOURED[scope] for c, scope in hnte_scope(p).items()})


def _qualification_recognised(p, b) -> np.ndarray:
    talent = by_county(p.talent_recognition)
    return _inbound({c: IN_ZONE if talent[c] else HONOURED["own_province"] for c in COUNTIES})


def _voucher_spendable(p, b) -> np.ndarray:
    scope = by_county(p.vouchers.scope)
    spendable = np.eye(N_PLACES, dtype=bool)
    for i, county in enumerate(COUNTIES):
        spendable[i] |= VOUCHER_REACH[scope[county]]
    spendable[SHANGHAI, :] = False  # no voucher is issued in Shanghai's core
    return spendable


def _voucher_acceptance(p, b) -> np.ndarray:
    settles = by_county(p.vouchers.cross_county_settlement)
    same_place = np.eye(N_PLACES, dtype=bool)
    acceptance = np.ones((N_PLACES, N_PLACES))
    for i, county in enumerate(COUNTIES):
        acceptance[i, ~same_place[i]] = 1.0 if settles[county] else b.provider_acceptance_without_settlement
    return acceptance


def _fund_may_invest(p, b) -> np.ndarray:
    invests = by_county(p.finance.cross_county_investment)
    may_invest = np.eye(N_PLACES, dtype=bool)
    for i, county in enumerate(COUNTIES):
        may_invest[i] |= IN_ZONE & invests[county]
    return may_invest


def _solver_reach(p, b) -> np.ndarray:
    reach = np.full((N_PLACES, N_PLACES), p.brokers.cross_county_reach)
    reach[:, SHANGHAI] = p.brokers.shanghai_reach
    reach[SHANGHAI, :] = p.brokers.shanghai_reach
    np.fill_diagonal(reach, 1.0)
    return reach * b.solver_local_prob


def _equity_share(p, b) -> float:
    eq = p.equity_incentives
    return eq.equity_share if eq.enabled else 0.0


def _equity_kept(p, b) -> float:
    return EQUITY_KEPT_WITH_DEFERRAL if p.equity_incentives.tax_deferral else EQUITY_KEPT_WITHOUT_DEFERRAL


#: How each ``built`` rule of the catalogue is made from the policy section and the behaviour.
BUILDERS = {
    "hnte_kept_on_move": _hnte_kept_on_move,
    "qualification_recognised": _qualification_recognised,
    "voucher_spendable": _voucher_spendable,
    "voucher_acceptance": _voucher_acceptance,
    "fund_may_invest": _fund_may_invest,
    "solver_reach": _solver_reach,
    "equity_share": _equity_share,
    "equity_kept": _equity_kept,
}


def _setting(scenario: Scenario, key: str):
    node = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def rule_value(rule: Rule, scenario: Scenario):
    """One rule's value for a scenario, as the catalogue says it is made (`Rule.how`)."""
    if rule.how == "built":
        return BUILDERS[rule.name](scenario.policy, scenario.behaviour)
    value = _setting(scenario, levers_of(rule.name)[0].key)
    if rule.how == "per_firm":
        return _per_firm(value)
    if rule.how == "per_place":  # places at scale, fractional: see incubation.county_capacity
        return _per_firm(value) * scenario.run.scale
    return value


class _Rules:
    """The methods of `PolicyRules`; its fields are the catalogue's rules."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PolicyRules:
        return cls(**{rule.name: rule_value(rule, scenario) for rule in RULES})

    def tax_rate(self, hnte_valid: np.ndarray) -> np.ndarray:
        """Corporate income tax rate per firm (`tax_rate`, the one statement of the rule)."""
        return tax_rate(hnte_valid)

    def national_at(self, month: str) -> NationalRules:
        """The national measures in force in `month` (YYYY-MM)."""
        n = self.national
        entries = [e for e in n.rd_super_deduction if e.month <= month]
        d = entries[-1] if entries else None
        return NationalRules(
            rd_deduction=np.array([d.all_firms, d.manufacturer, d.tech_sme]) if d else np.zeros(3),
            rd_thresholds=RD_THRESHOLDS["2016" if month >= n.hnte_criteria_2016_from else "2008"],
            tech_sme_evaluation=month >= n.tech_sme_evaluation_from,
        )


#: What the levers of one scenario allow, as arrays indexed by place (0..3): one field per rule of the
#: catalogue (`innosim.catalogue.RULES`, which says what each holds), in its order.
PolicyRules = make_dataclass("PolicyRules", [(rule.name, Any) for rule in RULES], bases=(_Rules,), frozen=True,
                             namespace={"__doc__": "What the levers of one scenario allow (innosim.catalogue.RULES).",
                                        "__module__": __name__})


@dataclass(frozen=True)
class NationalRules:
    """National measures in force in one month (`PolicyRules.national_at`)."""

    rd_deduction: np.ndarray            # [all firms, manufacturers, technology SMEs]: extra share of R&D deducted
    rd_thresholds: tuple[float, float, float]  # HNTE R&D/sales thresholds by sales band
    tech_sme_evaluation: bool           # the national technology-SME evaluation is in force

    def deduction(self, manufacturer: np.ndarray, tech_sme: np.ndarray) -> np.ndarray:
        """Extra share of R&D each firm deducts: the highest rate of the kinds it belongs to."""
        d = self.rd_deduction
        if not self.tech_sme_evaluation:
            tech_sme = np.zeros_like(tech_sme)
        return np.maximum(d[ALL_FIRMS], np.maximum(np.where(manufacturer, d[MANUFACTURER], 0.0),
                                                   np.where(tech_sme, d[TECH_SME], 0.0)))


def enact(model, rules: PolicyRules) -> None:
    """Put new rules in force during a run (a dated change). The rules' matrices act from now on;
    what a county built stays: incubators take their county's new capacity (tenants stay), and a
    county tops up (or, down to what the fund holds, takes back) its funds' capital, and the new
    endowment sets their pace of investing. No random number is drawn, so a run is the same as one
    without the change until the change's month."""
    old, model.rules = model.rules, rules
    for county in range(len(COUNTIES)):
        incubators = [i for i in model.incubators if i.region == county]
        for incubator, places in zip(incubators, split_capacity(county_capacity(model, county), len(incubators)),
                                     strict=True):
            incubator.capacity = places
        funds = [f for f in model.funds if f.region == county]
        for fund in funds:
            change = max((rules.fund_capital[county] - old.fund_capital[county]) / len(funds), -fund.capital)
            fund.capital += change
            fund.size = rules.fund_capital[county] / len(funds)   # the new endowment sets the pace from now on
            model.ledger.accounts["government"][county] -= change
