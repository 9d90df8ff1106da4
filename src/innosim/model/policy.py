"""The policy levers as rules: the one place where the mechanisms learn what a lever allows.

Each rule is a small matrix or number computed from the scenario's `policy` section. A county
decides most levers, so a rule is indexed by the deciding county: the issuer of a voucher, the
county a firm or talent moves to, the fund's or incubator's county (Shanghai's core, index 3,
issues no vouchers and pays no subsidies). Mechanisms ask these rules and never test scenario
settings themselves. A dated policy change (`Scenario.changes`) builds new rules at the start of
its month and `enact` puts them in force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class PolicyRules:
    """What the levers of one scenario allow, as arrays indexed by place (0..3)."""

    hnte_kept_on_move: np.ndarray       # [from, to] -> bool: the status counts in `to` at once, no check
    hnte_reapply_wait: int              # months before applying again after a failed move check
    hnte_reward_first: np.ndarray       # per place, M CNY a county pays for a first certification
    hnte_reward_renewal: np.ndarray     # per place, M CNY for a renewal
    talent_programmes: np.ndarray       # per place, high-end talents brought in a year
    qualification_recognised: np.ndarray  # [home, place] -> bool
    voucher_spendable: np.ndarray       # [issuer, provider place] -> bool
    voucher_acceptance: np.ndarray      # [issuer, provider place] -> probability a provider accepts
    voucher_budget: np.ndarray          # per place, M CNY a year (Shanghai 0)
    voucher_subsidy_share: np.ndarray   # per issuing place, share of a service's cost (Shanghai 0)
    voucher_cap: np.ndarray             # per issuing place, M CNY a firm a year at most (Shanghai 0)
    fund_may_invest: np.ndarray         # [fund place, firm place] -> bool
    fund_capital: np.ndarray
    solver_reach: np.ndarray            # [problem place, solver place] -> probability of being found
    incubator_capacity: np.ndarray      # per place, incubator places at this scale (fractional)
    post_incubation_space: np.ndarray   # per place, graduate places a year at this scale (fractional)
    stay_subsidy: np.ndarray            # per incubator place, M CNY to a graduate that stays
    national: object                    # the scenario's national timeline (policy.national)
    pool_capacity: np.ndarray           # per place, firms in the county's cultivation pool (at this scale)
    pool_subsidy: np.ndarray            # per place, M CNY a year to each firm in the pool
    rd_subsidy_share: np.ndarray        # per place, share of last year's R&D above the threshold paid
    rd_subsidy_threshold: np.ndarray    # per place, M CNY of R&D a year
    rd_subsidy_cap: np.ndarray          # per place, M CNY a firm a year at most
    equity_enabled: bool
    equity_share: float
    equity_vesting: int
    equity_kept: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PolicyRules:
        p, b, scale = scenario.policy, scenario.behaviour, scenario.run.scale
        same_place = np.eye(N_PLACES, dtype=bool)

        kept = _inbound({c: HONOURED[scope] for c, scope in hnte_scope(p).items()})
        talent = by_county(p.talent_recognition)
        recognised = _inbound({c: IN_ZONE if talent[c] else HONOURED["own_province"] for c in COUNTIES})

        scope, settles = by_county(p.vouchers.scope), by_county(p.vouchers.cross_county_settlement)
        spendable = same_place.copy()
        acceptance = np.ones((N_PLACES, N_PLACES))
        for i, county in enumerate(COUNTIES):
            spendable[i] |= VOUCHER_REACH[scope[county]]
            acceptance[i, ~same_place[i]] = 1.0 if settles[county] else b.provider_acceptance_without_settlement
        spendable[SHANGHAI, :] = False  # no voucher is issued in Shanghai's core

        invests = by_county(p.finance.cross_county_investment)
        may_invest = same_place.copy()
        for i, county in enumerate(COUNTIES):
            may_invest[i] |= IN_ZONE & invests[county]

        reach = np.full((N_PLACES, N_PLACES), p.brokers.cross_county_reach)
        reach[:, SHANGHAI] = p.brokers.shanghai_reach
        reach[SHANGHAI, :] = p.brokers.shanghai_reach
        np.fill_diagonal(reach, 1.0)
        reach = reach * b.solver_local_prob

        def per_firm(values) -> np.ndarray:
            values = by_county(values)
            return np.array([values[c] for c in COUNTIES] + [0.0])

        def per_place(values: dict) -> np.ndarray:
            return per_firm(values) * scale

        eq = p.equity_incentives
        return cls(
            national=p.national,
            pool_capacity=per_place(p.cultivation.capacity),
            pool_subsidy=per_firm(p.cultivation.subsidy),
            rd_subsidy_share=per_firm(p.rd_subsidy.share),
            rd_subsidy_threshold=per_firm(p.rd_subsidy.threshold),
            rd_subsidy_cap=per_firm(p.rd_subsidy.cap_per_firm),
            hnte_kept_on_move=kept,
            hnte_reapply_wait=p.hnte_reapply_wait_months,
            hnte_reward_first=per_firm(p.hnte_rewards.first),
            hnte_reward_renewal=per_firm(p.hnte_rewards.renewal),
            talent_programmes=per_place(p.talent_programmes),
            qualification_recognised=recognised,
            voucher_spendable=spendable,
            voucher_acceptance=acceptance,
            voucher_budget=per_place(p.vouchers.budget),
            voucher_subsidy_share=per_firm(p.vouchers.subsidy_share),
            voucher_cap=per_firm(p.vouchers.cap_per_firm),
            fund_may_invest=may_invest,
            fund_capital=per_place(p.finance.fund_capital),
            solver_reach=reach,
            incubator_capacity=per_place(p.incubation.capacity),  # places at scale, fractional: see incubation.county_capacity
            post_incubation_space=per_place(p.incubation.post_incubation_space),
            stay_subsidy=per_firm(p.incubation.stay_subsidy),
            equity_enabled=eq.enabled,
            equity_share=eq.equity_share if eq.enabled else 0.0,
            equity_vesting=eq.vesting_months,
            equity_kept=EQUITY_KEPT_WITH_DEFERRAL if eq.tax_deferral else EQUITY_KEPT_WITHOUT_DEFERRAL,
        )

    def tax_rate(self, hnte_valid: np.ndarray) -> np.ndarray:
        """Corporate income tax rate per firm: 15 % where HNTE status is recognised, else 25 %."""
        return np.where(hnte_valid, HNTE_RATE, CIT_RATE)

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
