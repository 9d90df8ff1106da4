"""The four kinds of agent: thin Mesa cell agents whose numbers live in the model's tables.

An agent's `cell` is its place; `row` points at its row in `model.firms` or `model.talents`.
Reading an attribute reads the table, so a researcher can inspect agents one by one while the
mechanisms work on whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesa.discrete_space import CellAgent

from innosim.scenario import PLACES


class TableAgent(CellAgent):
    """An agent whose numbers are row `row` of one of the model's tables."""

    table_name = ""

    def __init__(self, model, row: int, cell):
        super().__init__(model)
        self.row = row
        self.cell = cell

    @property
    def table(self):
        return getattr(self.model, self.table_name)

    @property
    def region(self) -> str:
        return PLACES[self.table.region[self.row]]


class Firm(TableAgent):
    """A firm: production, R&D, HNTE status, location."""

    table_name = "firms"

    @property
    def hnte_status(self) -> bool:
        """Certified and recognised where the firm now operates."""
        return bool(self.model.hnte_valid()[self.row])

    @property
    def employees(self) -> float:
        return float(self.table.employees[self.row])

    @property
    def cash(self) -> float:
        return float(self.table.cash[self.row])


class Talent(TableAgent):
    """A key talent: skill, home region, employer, wage, equity."""

    table_name = "talents"

    @property
    def employer(self) -> int:
        """Row of the employing firm, -1 for none, -2 for Shanghai's core economy."""
        return int(self.table.employer[self.row])


class Incubator(CellAgent):
    """A county incubator (tech entrepreneurship centre): capacity, tenants, graduation."""

    def __init__(self, model, region: int, capacity: int, cell, quality: float = 1.0):
        super().__init__(model)
        self.region = region
        self.capacity = capacity
        self.quality = quality
        self.cell = cell

    @property
    def tenants(self):
        firms = self.model.firms
        alive = firms.view("alive")
        return [int(r) for r in (firms.view("incubator") == self.unique_id).nonzero()[0] if alive[r]]


@dataclass
class Holding:
    firm: int
    stake: float
    amount: float
    entry_month: int


class Fund(CellAgent):
    """A government-guided fund: capital, regions it may invest in, holdings."""

    def __init__(self, model, region: int, capital: float, cell):
        super().__init__(model)
        self.region = region
        self.capital = capital
        self.size = capital       # the endowment, which sets the pace of investing
        self.pace_left = 0.0      # M CNY the fund may still invest at its pace
        self.cell = cell
        self.holdings: list[Holding] = []

    @property
    def portfolio(self) -> list[Holding]:
        return list(self.holdings)
