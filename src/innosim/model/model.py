"""The innosim model: the world, its agents, and the monthly schedule of DESIGN.md section 3."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from innosim.scenario import COUNTIES, Scenario, apply_overrides, load_scenario, validate_data

from . import economy, finance, hnte, incubation, labour, relocation, techmarket
from .agents import Firm, Fund, Incubator, Talent
from .indicators import snapshot
from .ledger import Ledger
from .places import N_COUNTIES, N_PLACES, POPULATION, SHANGHAI, build_space
from .policy import PolicyRules
from .state import INCUBATED, NO_STATUS, SHANGHAI_JOB, FirmTable, TalentTable
from .vouchers import VoucherBook

FIRM, TALENT = 0, 1  #: kinds of agent in the relocation matrix


def month_label(start: str, month: int) -> str:
    """'2019-01' + 13 months -> '2020-02'."""
    year, mon = (int(x) for x in start.split("-"))
    total = year * 12 + (mon - 1) + month
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class InnoModel(mesa.Model):
    """Firms, talents, incubators and funds in Qingpu, Wujiang, Jiashan and Shanghai's core.

    Build it from a validated `Scenario`, a scenario file path, or keyword overrides of the
    defaults (dotted keys written with ``__``, e.g. ``policy__hnte_mutual_recognition=True``), so
    that `mesa.batch_run` can drive it too.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, *, rng: Any = None,
                 overrides: dict[str, Any] | None = None, **flat_overrides: Any):
        super().__init__(rng=rng)
        overrides = dict(overrides or {})
        overrides.update({k.replace("__", "."): v for k, v in flat_overrides.items()})
        if scenario is not None and not isinstance(scenario, (Scenario, str, Path)):
            # e.g. the `scenario=` Mesa 3.5's SolaraViz passes to models that accept one
            raise TypeError(f"scenario must be an innosim Scenario, a file path or None, not {type(scenario).__name__}")
        if scenario is None:
            scenario = validate_data(apply_overrides({}, overrides), "<keyword arguments>")
        elif isinstance(scenario, (str, Path)):
            scenario = load_scenario(scenario, overrides)
        elif overrides:
            scenario = validate_data(apply_overrides(scenario.model_dump(), overrides), "<overrides>")
        self.spec: Scenario = scenario
        self.behaviour = scenario.behaviour
        self.rules = PolicyRules.from_scenario(scenario)

        places = [getattr(scenario.places, name) for name in ("qingpu", "wujiang", "jiashan", "shanghai")]
        self.talent_wage = np.array([p.talent_wage for p in places])
        self.staff_wage = np.array([p.staff_wage for p in places])
        self.rent = np.array([p.rent for p in places])
        self.place_productivity = np.array([p.productivity for p in places])
        self.provider_quality = np.array([p.provider_quality for p in places])
        self.amenity = np.array([p.amenity for p in places])

        self.month = 0  # months simulated so far; the month being simulated during step()
        self.start = scenario.run.start
        self.space = build_space(self.random)
        self.cells = [self.space._cells[i] for i in range(N_PLACES)]
        self.firms = FirmTable()
        self.talents = TalentTable()
        self.firm_agents: dict[int, Firm] = {}
        self.talent_agents: list[Talent] = []
        self.ledger = Ledger(self.firms)
        self.vouchers = VoucherBook(self)
        self.relocations = np.zeros((2, N_PLACES, N_PLACES))
        self.relocations_month = np.zeros((2, N_PLACES, N_PLACES))
        self.monthly: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(N_PLACES))
        self.cumulative: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(N_PLACES))
        self.post_space_used = np.zeros(N_PLACES)
        self.talent_wage_bill = np.zeros(0)
        self.startup_knowledge = 0.3
        self.births = 0
        self.exits = 0

        self._populate()
        self.money_at_start = self.ledger.total()
        self.datacollector = mesa.DataCollector(model_reporters={"indicators": snapshot})
        self.month_labels: list[str] = []
        self.datacollector.collect(self)  # the initial state (month 0), as Mesa's batch_run expects

    # ------------------------------------------------------------------ the schedule
    def step(self) -> None:
        """One month, in the order of DESIGN.md section 3."""
        self._begin_month()
        if self.calendar_month == 1:
            self.start_year()
        economy.produce(self)                     # 1. production, wages, rent
        economy.spend_on_rnd(self)                # 2. R&D and external services (vouchers)
        economy.pay_tax(self)                     #    tax on profit after R&D (25 % / 15 %)
        economy.innovate(self)                    # 3. innovation events
        techmarket.match_technical_problems(self)  #    technical problems find solvers
        hnte.certify(self)                        # 4. HNTE applications and decisions
        labour.search_jobs(self)                  # 5. job search and talent moves
        labour.found_startups(self)               #    start-ups
        incubation.admit(self)                    # 6. incubation
        incubation.graduate(self)
        finance.invest(self)                      # 7. funds
        finance.exit_holdings(self)
        relocation.review_locations(self)         # 8. location review, exits
        relocation.exit_failed_firms(self)
        if self.calendar_month == 12:
            self.end_year()
        self._end_month()
        self.datacollector.collect(self)          # 9. indicators
        self.running = self.month < self.spec.run.months

    def start_year(self) -> None:
        """January: R&D plans, vouchers, equity grants, post-incubation space for the year."""
        hnte.plan_rnd(self)
        self.vouchers.issue()
        labour.grant_equity(self)
        self.post_space_used[:] = 0

    def end_year(self) -> None:
        """December: vouchers lapse and the accounting year closes."""
        self.vouchers.expire()
        hnte.close_accounting_year(self)

    def _begin_month(self) -> None:
        self.month = self.steps  # Mesa has counted this step already
        for counter in self.monthly.values():
            counter[:] = 0
        self.relocations_month[:] = 0
        labour.count_staff(self)

    def _end_month(self) -> None:
        for name, counter in self.monthly.items():
            self.cumulative[name] += counter
        self.relocations += self.relocations_month
        self.month_labels.append(month_label(self.start, self.month - 1))

    @property
    def calendar_month(self) -> int:
        """1..12 for the month being simulated."""
        start_month = int(self.start.split("-")[1])
        return (start_month - 1 + self.month - 1) % 12 + 1

    # ------------------------------------------------------------------ queries
    def count(self, name: str, places: np.ndarray, amounts: np.ndarray) -> None:
        """Add to this month's counter `name` by place."""
        self.monthly[name] += np.bincount(np.asarray(places, dtype=np.int64), amounts, minlength=N_PLACES)

    def alive_rows(self) -> np.ndarray:
        return np.flatnonzero(self.firms.view("alive"))

    def hnte_valid(self) -> np.ndarray:
        """Per firm row: certified and recognised where it now operates."""
        f = self.firms
        return f.view("alive") & (f.view("hnte_until") >= self.month) & (f.view("hnte_region") == f.view("region"))

    def vacancies(self) -> np.ndarray:
        """Firm rows repeated once per open key-talent position."""
        f = self.firms
        rows = self.alive_rows()
        wanted = np.ceil(f.rd_staff_target[rows] * f.employees[rows]).astype(np.int64) - f.talents[rows]
        return np.repeat(rows, np.clip(wanted, 0, None))

    def incubator_occupancy(self, incubator: Incubator) -> int:
        f = self.firms
        return int(np.count_nonzero(f.view("alive") & (f.view("incubator") == incubator.unique_id)))

    # ------------------------------------------------------------------ events
    def move_talent(self, talent: int, destination: int) -> None:
        origin = int(self.talents.region[talent])
        self.talents.region[talent] = destination
        self.talent_agents[talent].cell = self.cells[destination]
        self.relocations_month[TALENT, origin, destination] += 1
        self.monthly["talents_out"][origin] += 1
        self.monthly["talents_in"][destination] += 1

    def relocate_firm(self, row: int, destination: int) -> None:
        """Move a firm: its HNTE status follows the recognition rule; key staff follow or quit."""
        f = self.firms
        origin = int(f.region[row])
        hnte.carry_status_on_move(self, row, destination)
        f.region[row] = destination
        self.firm_agents[row].cell = self.cells[destination]
        self.relocations_month[FIRM, origin, destination] += 1
        self.monthly["firms_out"][origin] += 1
        self.monthly["firms_in"][destination] += 1
        staff = np.flatnonzero(self.talents.view("employer") == row)
        follows = self.rng.random(staff.size) < self.behaviour.follow_employer_prob
        for talent in staff[follows].tolist():
            self.move_talent(talent, destination)
        quitters = staff[~follows]
        labour.quit_job(self, quitters)
        f.talents[row] -= quitters.size

    def exit_firm(self, row: int) -> None:
        """A firm leaves the model: staff become unemployed, creditors absorb its cash or debt."""
        f = self.firms
        place = int(f.region[row])
        staff = np.flatnonzero(self.talents.view("employer") == row)
        labour.quit_job(self, staff)
        f.talents[row] = 0
        self.vouchers.forfeit(np.array([row]))
        self.ledger.accounts["creditors"][place] += f.cash[row]
        f.cash[row] = 0.0
        f.alive[row] = False
        f.incubator[row] = -1
        self.firm_agents.pop(row).remove()
        self.exits += 1
        self.count("exits", np.array([place]), np.ones(1))

    def vest_equity(self, talents: np.ndarray) -> None:
        """Bank the vested part of the talents' current grants (the unvested part is forfeited)."""
        t = self.talents
        if talents.size == 0 or not self.rules.equity_enabled:
            return
        tenure = self.month - t.hired_month[talents]
        vested = np.clip(tenure / self.rules.equity_vesting, 0.0, 1.0)
        t.equity_vested[talents] += t.equity_grant[talents] * vested
        t.equity_grant[talents] = 0.0

    # ------------------------------------------------------------------ creation
    def add_firms(self, count: int, place: np.ndarray | int, **columns) -> np.ndarray:
        rows = self.firms.add(count, region=place, alive=True, **columns)
        review = self.rng.integers(1, 13, count)
        self.firms.review_month[rows] = review
        for row in rows.tolist():
            self.firm_agents[row] = Firm(self, row, self.cells[int(self.firms.region[row])])
        return rows

    def create_startup(self, place: int) -> int:
        """A new firm founded in `place` by a talent: seed capital from the founder's household."""
        b = self.behaviour
        knowledge = self.startup_knowledge
        employees = 3.0
        productivity = self._productivity_for(np.array([employees]), np.array([knowledge]), np.array([place]))
        row = int(self.add_firms(
            1, place, sector=self.rng.integers(self.spec.population.sectors), stage=INCUBATED,
            birth_month=self.month, employees=employees, productivity=productivity, knowledge=knowledge,
            rd_intensity=0.08, base_rd_intensity=0.08, hightech_share=0.5, rd_staff_target=0.34,
        )[0])
        self.ledger.firms_receive(np.array([row]), np.array([b.founder_seed_capital]), "households", np.array([place]))
        self.births += 1
        return row

    def _first_decision_month(self) -> int:
        """The first month of the run (1-based) in which HNTE applications are decided."""
        start_month = int(self.start.split("-")[1])
        first = (hnte.APPLICATION_MONTH + hnte.APPROVAL_MONTHS - start_month) % 12 + 1
        return first if first > 1 else first + 12

    def _productivity_for(self, employees, knowledge, place) -> np.ndarray:
        """Firm TFP such that `employees` is the profit-maximising staff at `knowledge`."""
        b = self.behaviour
        w = self.staff_wage[place]
        return w * employees ** (1 - b.beta) / (b.beta * self.place_productivity[place] * knowledge ** b.alpha)

    def _populate(self) -> None:
        """Initial firms, talents, incubators and funds, split across the counties by residents."""
        spec, rng, b = self.spec, self.rng, self.behaviour
        scale = spec.run.scale
        county_share = POPULATION[:N_COUNTIES] / POPULATION[:N_COUNTIES].sum()

        n_firms = int(round(spec.population.firms * scale))
        place = rng.choice(N_COUNTIES, size=n_firms, p=county_share)
        employees = np.maximum(3.0, rng.lognormal(np.log(20.0), 1.0, n_firms))
        knowledge = rng.lognormal(0.0, 0.5, n_firms)
        base_rd = np.clip(rng.lognormal(np.log(b.rd_intensity_median), b.rd_intensity_sigma, n_firms), 0.002, 0.2)
        age = rng.integers(12, 240, n_firms)
        rows = self.add_firms(
            n_firms, place, sector=rng.integers(spec.population.sectors, size=n_firms),
            stage=0, birth_month=-age, employees=employees, knowledge=knowledge,
            productivity=self._productivity_for(employees, knowledge, place),
            rd_intensity=base_rd, base_rd_intensity=base_rd,
            hightech_share=rng.beta(3.5, 2.0, n_firms), rd_staff_target=rng.uniform(0.06, 0.2, n_firms),
        )
        # a year of history so that the HNTE test and the R&D plan have something to read
        value_added = self.place_productivity[place] * self.firms.productivity[rows] * knowledge**b.alpha * employees**b.beta
        revenue = value_added / (1 - b.input_share)
        f = self.firms
        f.revenue[rows] = revenue
        f.profit[rows] = value_added - employees * self.staff_wage[place] * 1.1 - base_rd * revenue
        f.cash[rows] = 3.0 * revenue
        for col in ("sales_y1", "sales_y2"):
            getattr(f, col)[rows] = 12 * revenue
        hnte.plan_rnd(self)  # firms already follow their R&D plans
        for col in ("rd_y1", "rd_y2"):
            getattr(f, col)[rows] = 12 * revenue * f.rd_intensity[rows]
        # firms already certified before the run: those meeting the criteria, in the three yearly
        # cohorts whose certificates run out at the next three decision rounds
        self.month = 0
        f.talents[rows] = np.round(f.rd_staff_target[rows] * employees).astype(np.int32)
        certified = rows[hnte.meets_criteria(self, rows) & (rng.random(n_firms) < 0.9)]
        f.hnte_until[certified] = self._first_decision_month() - 1 + 12 * rng.integers(0, 3, certified.size)
        f.hnte_region[certified] = f.region[certified]
        self._populate_talents(rows)
        self._populate_institutions()

    def _populate_talents(self, firm_rows: np.ndarray) -> None:
        spec, rng, f = self.spec, self.rng, self.firms
        scale = spec.run.scale
        county_share = POPULATION[:N_COUNTIES] / POPULATION[:N_COUNTIES].sum()
        n_zone = int(round(spec.population.talents * scale))
        n_sh = int(round(spec.population.shanghai_talents * scale))
        place = np.concatenate([rng.choice(N_COUNTIES, size=n_zone, p=county_share), np.full(n_sh, 3)])
        skill = rng.lognormal(0.0, 0.35, place.size)
        rows = self.talents.add(place.size, region=place, home=place, skill=skill)
        # fill firms' positions with talents of their place, in random order
        employer = np.full(place.size, NO_STATUS)
        for p in range(N_PLACES):
            people = rng.permutation(np.flatnonzero(place == p))
            firms_here = firm_rows[f.region[firm_rows] == p]
            seats = np.repeat(firms_here, f.talents[firms_here])
            seats = rng.permutation(seats)[: people.size]
            employer[people[: seats.size]] = seats
        t = self.talents
        employer[(employer == NO_STATUS) & (place == SHANGHAI)] = SHANGHAI_JOB
        t.employer[rows] = employer
        t.wage[rows] = np.where(employer != NO_STATUS, self.talent_wage[place] * (0.8 + 0.2 * skill), 0.0)
        t.hired_month[rows] = -rng.integers(0, 60, place.size)
        self.talent_agents = [Talent(self, int(r), self.cells[int(place[r])]) for r in rows]
        labour.count_staff(self)

    def _populate_institutions(self) -> None:
        rules, spec = self.rules, self.spec
        self.incubators: list[Incubator] = []
        self.funds: list[Fund] = []
        for i, _ in enumerate(COUNTIES):
            n_inc = spec.population.incubators_per_county
            for k in range(n_inc):
                share = rules.incubator_capacity[i] // n_inc + (k < rules.incubator_capacity[i] % n_inc)
                self.incubators.append(Incubator(self, i, int(share), self.cells[i]))
            n_fund = spec.population.funds_per_county
            for _ in range(n_fund):
                capital = rules.fund_capital[i] / n_fund
                fund = Fund(self, i, capital, self.cells[i])
                self.ledger.accounts["government"][i] -= capital  # the county endows its fund
                self.funds.append(fund)
        self.ledger.funds = self.funds
