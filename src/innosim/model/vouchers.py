"""Innovation vouchers: issued each January from a county's budget, spent on external R&D
services, expired at the year's end. The book keeps issued = used + expired + outstanding.

A voucher either pays for an additional project (a first contact with a provider) or for part
of the services the firm buys anyway: see `economy.spend_on_rnd`.

Source of the figures the baseline aims at: Jiashan issued 30.24 M CNY of vouchers and
23.08 M CNY were used (76.3 %) in 3,460 firm-uses, cumulative to 2018 (seed paper, 1.3).
"""

from __future__ import annotations

import numpy as np

from . import draws
from .places import N_PLACES

#: Firms ask for a little more than they expect to spend: plans change.
VOUCHER_ASK_MARGIN = 1.2
#: An additional project a voucher pays for is bought over this many months (an assumption: the
#: projects are small, e.g. a test, a prototype, a feasibility study; Cornet et al. 2006).
VOUCHER_PROJECT_MONTHS = 3


class VoucherBook:
    """Per issuing place: cumulative money issued, used and expired, and where it was spent."""

    def __init__(self, model):
        self.model = model
        self.issued = np.zeros(N_PLACES)
        self.used = np.zeros(N_PLACES)
        self.expired = np.zeros(N_PLACES)
        self.used_across = np.zeros(N_PLACES)   # spent with a provider outside the issuing county
        self.spent_at = np.zeros((N_PLACES, N_PLACES))  # [issuer, provider place]
        self.uses = np.zeros(N_PLACES)          # firm-months with a redemption

    @staticmethod
    def issue_for(model) -> None:
        """January: the model's voucher book issues the year's vouchers."""
        model.vouchers.issue()

    @staticmethod
    def expire_for(model) -> None:
        """December: the year's unspent vouchers lapse."""
        model.vouchers.expire()

    def outstanding(self) -> np.ndarray:
        f = self.model.firms
        balance = f.view("voucher")
        holders = balance > 0
        return np.bincount(f.view("voucher_issuer")[holders].astype(np.int64), balance[holders], minlength=N_PLACES)

    def issue(self) -> None:
        """January: firms that ask for a voucher get one, up to the cap, while the budget lasts."""
        model = self.model
        f, rules = model.firms, model.rules
        rows = model.alive_rows()
        applicants = rows[(draws.uniform(model, f, rows) < model.behaviour.voucher_apply_prob)
                          & (f.rd_intensity[rows] > 0)]
        applicants = applicants[np.argsort(draws.uniform(model, f, applicants), kind="stable")]  # random order
        for place in range(N_PLACES):
            budget = rules.voucher_budget[place]
            if budget <= 0 or rules.voucher_cap[place] <= 0:
                continue
            here = applicants[f.region[applicants] == place]
            need = self.expected_need(here)
            asked = np.minimum(rules.voucher_cap[place], need)
            before = np.cumsum(asked) - asked  # granted to earlier applicants
            grants = np.clip(budget - before, 0.0, asked)
            takers = here[grants > 0]
            grants = grants[grants > 0]
            f.voucher[takers] = grants
            f.voucher_issuer[takers] = place
            self.issued[place] += grants.sum()
            model.count("vouchers_issued", np.full(takers.size, place), grants)
            self.start_projects(takers, grants)

    def start_projects(self, takers: np.ndarray, grants: np.ndarray) -> None:
        """A share `voucher_additionality` of the vouchers pay for a project the firm would not have
        bought: the voucher covers the subsidy share of it, the firm the rest."""
        model = self.model
        f, rules = model.firms, model.rules
        additional = draws.uniform(model, f, takers) < model.behaviour.voucher_additionality
        share = rules.voucher_subsidy_share[model.firms.voucher_issuer[takers].astype(np.int64)]
        size = np.where(additional & (share > 0), grants / np.maximum(share, 1e-12), 0.0)
        f.voucher_project[takers] = size
        f.voucher_project_rate[takers] = size / VOUCHER_PROJECT_MONTHS
        model.count("voucher_projects", f.region[takers[additional]].astype(np.int64), np.ones(int(additional.sum())))

    def expected_need(self, rows: np.ndarray) -> np.ndarray:
        """What a firm asks for: the subsidy on a year of its external R&D services, plus a margin."""
        model = self.model
        f, b = model.firms, model.behaviour
        external = 12.0 * f.rd_intensity[rows] * f.revenue[rows] * b.external_share
        return VOUCHER_ASK_MARGIN * model.rules.voucher_subsidy_share[f.region[rows].astype(np.int64)] * external

    def redeem(self, rows: np.ndarray, issuer: np.ndarray, provider: np.ndarray, amount: np.ndarray) -> None:
        """Part of a service bill paid by vouchers: the issuing government pays the provider."""
        model = self.model
        model.firms.voucher[rows] -= amount
        np.add.at(self.spent_at, (issuer, provider), amount)
        used = np.bincount(issuer, amount, minlength=N_PLACES)
        self.used += used
        self.uses += np.bincount(issuer, minlength=N_PLACES)
        self.used_across += np.bincount(issuer, amount * (issuer != provider), minlength=N_PLACES)
        model.ledger.accounts["government"] -= used
        model.ledger.accounts["providers"] += np.bincount(provider, amount, minlength=N_PLACES)
        model.count("vouchers_used", issuer, amount)
        model.count("voucher_uses", issuer, np.ones(issuer.size))
        model.count("vouchers_used_across", issuer, amount * (issuer != provider))

    def expire(self) -> None:
        """December: unspent balances lapse back to the issuing county."""
        f = self.model.firms
        balance = f.view("voucher")
        holders = np.flatnonzero(balance > 0)
        self.expired += np.bincount(f.voucher_issuer[holders].astype(np.int64), balance[holders],
                                    minlength=N_PLACES)
        f.voucher[holders] = 0.0
        f.voucher_issuer[holders] = -1
        f.voucher_project[: f.n] = 0.0  # a project not started by the year's end is dropped

    def forfeit(self, rows: np.ndarray) -> None:
        """Vouchers of firms that exit lapse at once."""
        f = self.model.firms
        rows = rows[f.voucher[rows] > 0]
        self.expired += np.bincount(f.voucher_issuer[rows].astype(np.int64), f.voucher[rows], minlength=N_PLACES)
        f.voucher[rows] = 0.0
        f.voucher_issuer[rows] = -1
        f.voucher_project[rows] = 0.0

    def use_rate(self) -> np.ndarray:
        return np.divide(self.used, self.issued, out=np.zeros(N_PLACES), where=self.issued > 0)
