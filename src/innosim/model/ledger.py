"""Money: every flow has a payer and a payee, so the sum over all accounts never changes.

Accounts: each firm's cash (in the firm table), each fund's capital, and per place the
outside parties a firm deals with: customers and suppliers (`market`), the county government,
households (wages, founders' savings), landlords, R&D service providers, and creditors (who
absorb the debts of firms that exit).
"""

from __future__ import annotations

import numpy as np

from .places import N_PLACES

ACCOUNT_KINDS = ("market", "government", "households", "landlords", "providers", "creditors")


class Ledger:
    """Place accounts plus helpers that move money to and from firms' cash."""

    def __init__(self, firms):
        self.firms = firms
        self.accounts = {kind: np.zeros(N_PLACES) for kind in ACCOUNT_KINDS}
        self.funds: list = []  # Fund agents; their `capital` is an account

    def firms_pay(self, rows: np.ndarray, amounts: np.ndarray, kind: str, places: np.ndarray) -> None:
        """Firms `rows` (distinct) pay `amounts` to the `kind` account of `places`."""
        self.firms.cash[rows] -= amounts
        self.accounts[kind] += np.bincount(places, weights=amounts, minlength=N_PLACES)

    def firms_receive(self, rows: np.ndarray, amounts: np.ndarray, kind: str, places: np.ndarray) -> None:
        """Firms `rows` (distinct) receive `amounts` from the `kind` account of `places`."""
        self.firms.cash[rows] += amounts
        self.accounts[kind] -= np.bincount(places, weights=amounts, minlength=N_PLACES)

    def transfer(self, payer: str, payer_place: int, payee: str, payee_place: int, amount: float) -> None:
        """Between two place accounts."""
        self.accounts[payer][payer_place] -= amount
        self.accounts[payee][payee_place] += amount

    def total(self) -> float:
        """All money there is: constant over a run (the invariant the tests check)."""
        firm_cash = float(self.firms.view("cash").sum())
        fund_capital = float(sum(f.capital for f in self.funds))
        return firm_cash + fund_capital + float(sum(a.sum() for a in self.accounts.values()))
