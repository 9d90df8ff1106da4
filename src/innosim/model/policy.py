"""The policy levers as rules: the one place where the mechanisms learn what a lever allows.

Each rule is a small matrix or number computed once from the scenario's `policy` section.
Mechanisms ask these rules and never test scenario settings themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from innosim.scenario import COUNTIES, Scenario

from .places import IN_ZONE, N_PLACES, SAME_PROVINCE, SHANGHAI

CIT_RATE = 0.25   #: corporate income tax, PRC Enterprise Income Tax Law art. 4
HNTE_RATE = 0.15  #: reduced rate for a high- and new-technology enterprise, art. 28
HNTE_VALID_MONTHS = 36  #: certificates last three years (Measures for HNTE Certification, 2016)

#: Personal income tax on equity: taxed as wages at vesting without deferral (top marginal
#: rates up to 45 %), or at 20 % on sale with deferral (Caishui [2016] No. 101). The share
#: a talent keeps, in present value.
EQUITY_KEPT_WITHOUT_DEFERRAL = 0.6
EQUITY_KEPT_WITH_DEFERRAL = 0.8


def _zone_pairs() -> np.ndarray:
    return IN_ZONE[:, None] & IN_ZONE[None, :]


@dataclass(frozen=True)
class PolicyRules:
    """What the levers of one scenario allow, as arrays indexed by place (0..3)."""

    hnte_kept_on_move: np.ndarray       # [from, to] -> bool
    hnte_reapply_wait: int
    hnte_reward_first: np.ndarray       # per place, M CNY a county pays for a first certification
    hnte_reward_renewal: np.ndarray     # per place, M CNY for a renewal
    talent_programmes: np.ndarray       # per place, high-end talents brought in a year
    qualification_recognised: np.ndarray  # [home, place] -> bool
    voucher_spendable: np.ndarray       # [issuer, provider place] -> bool
    voucher_acceptance: np.ndarray      # [issuer, provider place] -> probability a provider accepts
    voucher_budget: np.ndarray          # per place, M CNY a year (Shanghai 0)
    voucher_subsidy_share: float
    voucher_cap: float
    fund_may_invest: np.ndarray         # [fund place, firm place] -> bool
    fund_capital: np.ndarray
    solver_reach: np.ndarray            # [problem place, solver place] -> probability of being found
    incubator_capacity: np.ndarray
    post_incubation_space: np.ndarray   # graduate places a year
    stay_subsidy: float
    equity_enabled: bool
    equity_share: float
    equity_vesting: int
    equity_kept: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PolicyRules:
        p, b, scale = scenario.policy, scenario.behaviour, scenario.run.scale
        zone = _zone_pairs()
        same_place = np.eye(N_PLACES, dtype=bool)

        kept = SAME_PROVINCE | (zone if p.hnte_mutual_recognition else False)
        recognised = SAME_PROVINCE | (zone if p.talent_recognition else False)

        scope = p.vouchers.scope
        spendable = same_place.copy()
        if scope in ("zone", "zone_shanghai"):
            spendable |= zone
        if scope == "zone_shanghai":
            spendable[:, SHANGHAI] = True
        spendable[SHANGHAI, :] = False  # no voucher is issued in Shanghai's core
        acceptance = np.where(same_place, 1.0, 1.0 if p.vouchers.cross_county_settlement
                              else b.provider_acceptance_without_settlement)

        may_invest = same_place | (zone if p.finance.cross_county_investment else False)

        reach = np.full((N_PLACES, N_PLACES), p.brokers.cross_county_reach)
        reach[:, SHANGHAI] = p.brokers.shanghai_reach
        reach[SHANGHAI, :] = p.brokers.shanghai_reach
        np.fill_diagonal(reach, 1.0)
        reach = reach * b.solver_local_prob

        def per_firm(values: dict) -> np.ndarray:
            return np.array([values[c] for c in COUNTIES] + [0.0])

        def per_place(values: dict) -> np.ndarray:
            return per_firm(values) * scale

        eq = p.equity_incentives
        return cls(
            hnte_kept_on_move=kept,
            hnte_reapply_wait=p.hnte_reapply_wait_months,
            hnte_reward_first=per_firm(p.hnte_rewards.first),
            hnte_reward_renewal=per_firm(p.hnte_rewards.renewal),
            talent_programmes=per_place(p.talent_programmes),
            qualification_recognised=recognised,
            voucher_spendable=spendable,
            voucher_acceptance=acceptance,
            voucher_budget=per_place(p.vouchers.budget),
            voucher_subsidy_share=p.vouchers.subsidy_share,
            voucher_cap=p.vouchers.cap_per_firm,
            fund_may_invest=may_invest,
            fund_capital=per_place(p.finance.fund_capital),
            solver_reach=reach,
            incubator_capacity=np.round(per_place(p.incubation.capacity)).astype(int),
            post_incubation_space=per_place(p.incubation.post_incubation_space),
            stay_subsidy=p.incubation.stay_subsidy,
            equity_enabled=eq.enabled,
            equity_share=eq.equity_share if eq.enabled else 0.0,
            equity_vesting=eq.vesting_months,
            equity_kept=EQUITY_KEPT_WITH_DEFERRAL if eq.tax_deferral else EQUITY_KEPT_WITHOUT_DEFERRAL,
        )

    def tax_rate(self, hnte_valid: np.ndarray) -> np.ndarray:
        """Corporate income tax rate per firm: 15 % where HNTE status is recognised, else 25 %."""
        return np.where(hnte_valid, HNTE_RATE, CIT_RATE)
