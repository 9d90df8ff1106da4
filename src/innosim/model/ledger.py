"""Money: every flow has a payer and a payee, so the sum over all accounts never changes.

Accounts: each firm's cash (in the firm table), each fund's capital, and per place the
outside parties a firm deals with: customers and suppliers (`market`), the county government,
households (wages, founders' savings), landlords, R&D service providers, and creditors (who
absorb the debts of firms that exit).
"""

from __future__ import annotations

import math

import numpy as np

from innosim.catalogue import PLACE_KEYS

from .places import N_PLACES

ACCOUNT_KINDS = ("market", "government", "households", "landlords", "providers", "creditors")
#: Drift allowed in the money total, relative to the money in all accounts (rounding only).
DRIFT_TOLERANCE = 1e-8


class MoneyError(ArithmeticError):
    """The money total drifted or turned non-finite: the month and the account say where."""


class Ledger:
    """Place accounts plus helpers that move money to and from firms' cash."""

    def __init__(self, firms, funds=lambda: []):
        self.firms = firms
        self.accounts = {kind: np.zeros(N_PLACES) for kind in ACCOUNT_KINDS}
        self._funds = funds  # the model's Fund agents, asked for when counted: their `capital` is an account
        self._checked: tuple[float, dict[str, float]] | None = None  # total and accounts at the last check

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

    @property
    def funds(self) -> list:
        return self._funds()

    def total(self) -> float:
        """All money there is: constant over a run (the invariant the tests check)."""
        firm_cash = float(self.firms.view("cash").sum())
        fund_capital = float(sum(f.capital for f in self.funds))
        return firm_cash + fund_capital + float(sum(a.sum() for a in self.accounts.values()))

    def balances(self) -> dict[str, float]:
        """Every account's money by name: firms' cash, funds' capital, and each place account."""
        found = {"firms' cash": float(self.firms.view("cash").sum()),
                 "funds' capital": float(sum(f.capital for f in self.funds))}
        for kind, values in self.accounts.items():
            found.update({f"{kind} of {place}": float(v) for place, v in zip(PLACE_KEYS, values, strict=False)})
        return found

    def check(self, month: int) -> None:
        """Raise `MoneyError` when an account is NaN or infinite, or the total has drifted since the
        first check (more than rounding): a run must stop rather than report numbers from broken money."""
        balances = self.balances()
        broken = [name for name, value in balances.items() if not math.isfinite(value)]
        if broken:
            raise MoneyError(f"month {month}: the money in {broken[0]} is {balances[broken[0]]} "
                             "(a setting too large for the economy, e.g. a subsidy, rent or capital?)")
        total = sum(balances.values())
        if self._checked is None:
            self._checked = (total, balances)
            return
        start, last = self._checked
        scale = max(1.0, sum(abs(v) for v in balances.values()))
        if abs(total - start) > DRIFT_TOLERANCE * scale:
            changed = max(balances, key=lambda name: abs(balances[name] - last.get(name, 0.0)))
            raise MoneyError(f"month {month}: the money total drifted by {total - start:.6g} M CNY "
                             f"(the account that changed most this month: {changed})")
        self._checked = (start, balances)
