"""The four kinds of agent, one registry each. Firms and talents are rows of the model's tables,
read through views built on demand; incubators and funds, a handful per county, are Mesa agents with
state of their own, which the mechanisms use directly (`incubation.admit`, `finance.invest`), and
whose one registry is Mesa's (`model.incubators` and `model.funds` read `model.agents_by_type`).

A firm or a talent is one row of `model.firms` or `model.talents` (the one registry of each
kind): every mechanism works on whole columns, and nothing is kept in step by hand. To look at
one, ask the model for a view (`model.firm(row)`, `model.talent(row)`, as Covasim's
`people.person(i)`): it reads the table when asked, so it is always current, and its `cell`
is the Mesa cell of the place its row names. Building a Mesa agent object for each of some
100,000 rows (and registering, moving and removing it) was about 40 % of a run's time.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesa.discrete_space import CellAgent

from innosim.scenario import PLACES


class TableView:
    """Row `row` of one of the model's tables, read when asked."""

    table_name = ""

    def __init__(self, model, row: int):
        self.model = model
        self.row = int(row)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(row={self.row}, region={self.region!r})"

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.model is self.model and other.row == self.row

    def __hash__(self) -> int:
        return hash((type(self), id(self.model), self.row))

    @property
    def table(self):
        return getattr(self.model, self.table_name)

    @property
    def place(self) -> int:
        """Index of the place the row names (0 Qingpu, 1 Wujiang, 2 Jiashan, 3 Shanghai's core)."""
        return int(self.table.region[self.row])

    @property
    def region(self) -> str:
        return PLACES[self.place]

    @property
    def cell(self):
        """The Mesa cell of the place where the agent is now."""
        return self.model.cells[self.place]


class Firm(TableView):
    """A firm: production, R&D, HNTE status, location."""

    table_name = "firms"

    @property
    def alive(self) -> bool:
        return bool(self.table.alive[self.row])

    @property
    def hnte_status(self) -> bool:
        """Certified and recognised where the firm now operates."""
        return bool(self.model.hnte_valid([self.row])[0])

    @property
    def employees(self) -> float:
        return float(self.table.employees[self.row])

    @property
    def cash(self) -> float:
        return float(self.table.cash[self.row])


class Talent(TableView):
    """A key talent: skill, home region, employer, wage, equity."""

    table_name = "talents"

    @property
    def present(self) -> bool:
        """Still in the model (not retired or gone for good)."""
        return bool(self.table.present[self.row])

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
