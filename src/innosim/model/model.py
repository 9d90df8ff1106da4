"""The innosim model: the world, its agents, and the monthly schedule of DESIGN.md section 3."""

from __future__ import annotations

import functools
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from innosim.catalogue import PLACE_KEYS
from innosim.errors import MechanismError

from innosim.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    month_label,
    policy_in_force,
    validate_data,
)

from . import (
    demography,
    draws,
    economy,
    finance,
    hnte,
    incubation,
    kernels,
    labour,
    population,
    rd_subsidy,
    relocation,
    techmarket,
)
from .agents import Firm, Fund, Incubator, Talent
from .indicators import snapshot
from .ledger import Ledger
from .places import N_PLACES, build_space
from .policy import PolicyRules, enact
from .state import SHANGHAI_JOB, FirmTable, TalentTable
from .stockflows import JOINED, LEFT
from .vouchers import VoucherBook

FIRM, TALENT = 0, 1  #: kinds of agent in the relocation matrix


@functools.lru_cache(maxsize=None)
def _mechanism_key(name: str) -> int:
    """A stable 32-bit number for a mechanism's name (the same in every process and run)."""
    return zlib.crc32(name.encode())


class InnoModel(mesa.Model):
    """Firms, talents, incubators and funds in Qingpu, Wujiang, Jiashan and Shanghai's core.

    Build it from a validated `Scenario`, a scenario file path, or keyword overrides of the
    defaults (dotted keys written with ``__``, e.g. ``policy__hnte_mutual_recognition=True``), so
    that `mesa.batch_run` can drive it too.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, *, rng: Any = None,
                 overrides: dict[str, Any] | None = None, **flat_overrides: Any):
        super().__init__(rng=rng)
        self._root_seed = int(self.rng.integers(2**63))  # roots the per-month, per-mechanism streams
        self._bitgen = np.random.Philox(key=np.zeros(2, dtype=np.uint64))
        self._generator = np.random.Generator(self._bitgen)
        self._stream_state = self._bitgen.state
        self._lot_bitgen = np.random.Philox(key=np.zeros(2, dtype=np.uint64))  # for `lot`, re-keyed per call
        self._lot_generator = np.random.Generator(self._lot_bitgen)
        self._lot_state = self._lot_bitgen.state
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
        self.spec: Scenario = scenario  # as given, dated changes listed but not applied
        self.behaviour = scenario.behaviour
        self.policy_now: Scenario = policy_in_force(scenario, scenario.run.start)  # with changes in force
        self.rules = PolicyRules.from_scenario(self.policy_now)
        self.national = self.rules.national_at(scenario.run.start)  # national measures in force this month

        places = [getattr(scenario.places, name) for name in PLACE_KEYS]
        self.talent_wage = np.array([p.talent_wage for p in places])
        self.staff_wage = np.array([p.staff_wage for p in places])
        self.rent = np.array([p.rent for p in places])
        self.base_productivity = np.array([p.productivity for p in places])
        self.productivity_growth = np.array([p.productivity_growth for p in places])
        self.place_productivity = self.base_productivity.copy()  # A_r(t)
        self.provider_quality = np.array([p.provider_quality for p in places])
        self.amenity = np.array([p.amenity for p in places])
        self.growth = np.array([p.growth for p in places])
        self.price = np.ones(N_PLACES)  # the places' nominal trend P_r(t), 1 at the start
        self.month = 0  # months simulated so far; the month being simulated during step()
        self.start = scenario.run.start
        self.space = build_space(self.random)
        self.cells = [self.space._cells[i] for i in range(N_PLACES)]
        self.firms = FirmTable()
        self.talents = TalentTable()
        self.shanghai_jobs = 0.0  # talents Shanghai's wider economy employs (grows with it)
        self.ledger = Ledger(self.firms, lambda: self.funds)
        self.vouchers = VoucherBook(self)
        self.relocations = np.zeros((2, N_PLACES, N_PLACES))
        self.relocations_month = np.zeros((2, N_PLACES, N_PLACES))
        self.hnte_relocations_month = np.zeros((2, N_PLACES, N_PLACES))  # [LEFT, JOINED][from, to]: stockflows.py
        self.monthly: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(N_PLACES))
        self.cumulative: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(N_PLACES))
        self.post_space_used = np.zeros(N_PLACES)
        self.talent_wage_bill = np.zeros(0)
        self.births = 0
        self.exits = 0

        population.populate(self)
        self.money_at_start = self.ledger.total()
        self.datacollector = mesa.DataCollector(model_reporters={"indicators": snapshot})
        self.month_labels: list[str] = []
        self.datacollector.collect(self)  # the initial state (month 0), as Mesa's batch_run expects

    # ------------------------------------------------------------------ the schedule
    def step(self) -> None:
        """One month, in the order of DESIGN.md section 3. Each mechanism draws from its own random
        stream for the month (`_stream`), so a lever that changes one mechanism's draws leaves the
        others' draws as they were: common random numbers between scenarios run on the same seed."""
        self._begin_month()
        for mechanism in self.schedule():
            self._stream(mechanism)
            try:
                mechanism(self)
            except (ArithmeticError, ValueError, MemoryError) as exc:  # overflow, numpy sizes: one line
                raise MechanismError.during(month_label(self.start, self.month - 1), mechanism, exc) from exc
        self._end_month()
        self.datacollector.collect(self)          # 9. indicators
        self.running = self.month < self.spec.run.months

    def schedule(self) -> list:
        """This month's mechanisms in order (January and December add the year's start and close)."""
        january = [rd_subsidy.pay, hnte.evaluate_tech_smes, hnte.admit_to_pools, hnte.plan_rnd, VoucherBook.issue_for, labour.vest_completed, labour.grant_to_staff,
                   incubation.free_post_space] if self.calendar_month == 1 else []
        december = [VoucherBook.expire_for, hnte.close_accounting_year] if self.calendar_month == 12 else []
        return [
            *january,                             # the year's R&D plans, vouchers, equity grants
            economy.produce,                      # 1. production, wages, rent, overheads
            economy.spend_on_rnd,                 # 2. R&D and external services (vouchers)
            economy.pay_tax,                      #    tax on profit after R&D (25 % / 15 %)
            economy.innovate,                     # 3. innovations build the knowledge stock
            techmarket.match_technical_problems,  #    technical problems find solvers
            hnte.certify,                         # 4. HNTE applications and decisions
            demography.arrive,                    # 5. graduates, migrants, programme talents arrive
            labour.search_jobs,                   #    job search and talent moves
            labour.found_startups,                #    start-ups
            demography.leave,                     #    retirement, leaving for good
            incubation.admit,                     # 6. incubation
            incubation.graduate,
            finance.invest,                       # 7. funds
            finance.exit_holdings,
            demography.enter_firms,               # 8. firms enter from outside
            demography.take_up_technology,        #    local firms join the technology base
            relocation.review_locations,          #    location review, exits
            relocation.set_up_new_entities,       #    certified firms open entities in another county
            relocation.exit_failed_firms,
            economy.pay_dividends,                #    cash beyond a buffer goes to the owners
            *december,                            # vouchers lapse, the accounting year closes
        ]

    def _stream(self, mechanism) -> None:
        """Point `self.rng` at the stream of (run seed, month, mechanism): the same in every scenario
        run on the same seed, whatever the other mechanisms drew. The streams are Philox's, a
        counter-based generator: distinct keys give independent streams, and re-keying costs little."""
        key = _mechanism_key(mechanism.__qualname__)
        state = self._stream_state
        state["state"]["key"][:] = (self._root_seed, (self.month << 32) | key)
        state["state"]["counter"][:] = 0
        state["buffer_pos"] = 4  # the buffer is empty: the next draw starts the new stream
        self._bitgen.state = state
        self.rng = self._generator

    def lot(self, name: str, n: int, period: int = 0) -> np.ndarray:
        """`n` uniform numbers for the lot `name` (of `period`, e.g. a year): how a run resolves a
        fractional count into whole ones (`draws.whole`). They come from a stream of (run seed, name,
        period) of their own, so every scenario run on the seed draws the same numbers, the same
        ones again when a dated change asks, and no mechanism's stream moves."""
        tag = (1 << 63) | (period << 32) | _mechanism_key(name)  # bit 63: never a month's stream
        state = self._lot_state
        state["state"]["key"][:] = (self._root_seed, tag)
        state["state"]["counter"][:] = 0
        state["buffer_pos"] = 4  # as a new Philox(key=...): the stream from its start
        self._lot_bitgen.state = state
        return self._lot_generator.random(n)

    def _begin_month(self) -> None:
        self.month = self.steps  # Mesa has counted this step already
        self.enact_changes()
        self.national = self.rules.national_at(month_label(self.start, self.month - 1))
        self.price = (1.0 + self.growth) ** (self.month / 12.0)
        self.place_productivity = self.base_productivity * (1.0 + self.productivity_growth) ** (self.month / 12.0)
        demography.grow_shanghai_jobs(self)
        for counter in self.monthly.values():
            counter[:] = 0
        self.relocations_month[:] = 0
        self.hnte_relocations_month[:] = 0
        labour.count_staff(self)

    def enact_changes(self) -> None:
        """At the start of a month a dated policy change is due, the policy in force changes: rules
        rebuilt from `policy_now`, the scenario with the changes to date applied (`self.spec` stays
        the scenario as given). Nothing random happens here."""
        label = month_label(self.start, self.month - 1)
        if self.month > 1 and any(change.month == label for change in self.spec.changes):
            self.policy_now = policy_in_force(self.spec, label)
            enact(self, PolicyRules.from_scenario(self.policy_now))

    def _end_month(self) -> None:
        for name, counter in self.monthly.items():
            self.cumulative[name] += counter
        self.relocations += self.relocations_month
        self.month_labels.append(month_label(self.start, self.month - 1))

    @property
    def calendar_year(self) -> int:
        """The calendar year of the month being simulated."""
        return int(month_label(self.start, max(self.month - 1, 0))[:4])

    @property
    def calendar_month(self) -> int:
        """1..12 for the month being simulated."""
        start_month = int(self.start.split("-")[1])
        return (start_month - 1 + self.month - 1) % 12 + 1

    # ------------------------------------------------------------------ queries
    @property
    def incubators(self) -> list[Incubator]:
        """The incubators, in the order they were built: Mesa's registry of agents by type (the one
        registry; firms and talents are rows of their tables, `agents`)."""
        return list(self.agents_by_type.get(Incubator, ()))

    @property
    def funds(self) -> list[Fund]:
        """The government-guided funds, in the order they were built (Mesa's registry, as `incubators`)."""
        return list(self.agents_by_type.get(Fund, ()))

    def count(self, name: str, places: np.ndarray, amounts: np.ndarray) -> None:
        """Add to this month's counter `name` by place."""
        self.monthly[name] += np.bincount(np.asarray(places, dtype=np.int64), amounts, minlength=N_PLACES)

    def firm(self, row: int) -> Firm:
        """A view of firm `row` (its table row, read when asked): see `agents`."""
        return Firm(self, self._checked_row(self.firms, row))

    def talent(self, row: int) -> Talent:
        """A view of talent `row` (its table row, read when asked): see `agents`."""
        return Talent(self, self._checked_row(self.talents, row))

    def firm_views(self) -> list[Firm]:
        """Views of the firms alive now, by row."""
        return [Firm(self, row) for row in self.alive_rows().tolist()]

    def talent_views(self) -> list[Talent]:
        """Views of the talents present now, by row."""
        return [Talent(self, row) for row in self.present_talents().tolist()]

    def agent_count(self) -> int:
        """Agents in the model now: firms alive, talents present, incubators and funds."""
        return int(np.count_nonzero(self.firms.view("alive")) + np.count_nonzero(self.talents.view("present"))
                   + len(self.agents))

    @staticmethod
    def _checked_row(table, row: int) -> int:
        row = int(row)
        if not 0 <= row < table.n:
            raise IndexError(f"row {row} is not in the table (rows 0 to {table.n - 1})")
        return row

    def alive_rows(self) -> np.ndarray:
        return np.flatnonzero(self.firms.view("alive"))

    def present_talents(self) -> np.ndarray:
        """Rows of talents still in the model (not retired or gone for good)."""
        return np.flatnonzero(self.talents.view("present"))

    def shanghai_employed(self) -> int:
        return int(np.count_nonzero(self.talents.view("employer") == SHANGHAI_JOB))

    def hnte_valid(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Per firm row (of `rows`, or every row): certified and recognised where it now operates. A firm that moved across a
        provincial line and awaits the destination's check keeps `hnte_region` at the place that
        recognises it (`hnte.carry_status_on_move`), so it is not valid where it operates (it pays
        25 %) until the check passes (`hnte.resolve_move_checks`)."""
        f = self.firms
        if rows is not None:  # a few rows: read only theirs
            return f.alive[rows] & (f.hnte_until[rows] >= self.month) & (f.hnte_region[rows] == f.region[rows])
        return f.view("alive") & (f.view("hnte_until") >= self.month) & (f.view("hnte_region") == f.view("region"))

    def hnte_certified(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Per firm row: holds an HNTE certificate valid where it operates (`hnte_valid`, less the new
        entities that only share their parent's tax treatment: `relocation.set_up_new_entities`).
        The HNTE stock counts these; the 15 % rate applies to all of `hnte_valid`."""
        if rows is not None:
            return self.hnte_valid(rows) & ~self.firms.hnte_treated[rows]
        return self.hnte_valid() & ~self.firms.view("hnte_treated")

    def holds_hnte(self, rows: np.ndarray) -> np.ndarray:
        """Which of `rows` the HNTE stock counts now: `hnte_certified(rows)`."""
        return self.hnte_certified(rows)

    def count_hnte_moves(self, kind: int, origins: np.ndarray, destinations: np.ndarray) -> None:
        """HNTEs that left (`LEFT`, at the origin) or joined (`JOINED`, at the destination) the stock of
        a place by a move: the pair flows of the HNTE stock identity (stockflows.py)."""
        np.add.at(self.hnte_relocations_month[kind], (np.asarray(origins, dtype=np.int64),
                                                      np.asarray(destinations, dtype=np.int64)), 1)

    def vacancies(self) -> np.ndarray:
        """Firm rows repeated once per open key-talent position."""
        f = self.firms
        rows = self.alive_rows()
        wanted = population.seats(f, rows) - f.talents[rows]
        return np.repeat(rows, np.clip(wanted, 0, None))

    def incubator_occupancy(self, incubator: Incubator) -> int:
        f = self.firms
        return int(np.count_nonzero(f.view("alive") & (f.view("incubator") == incubator.unique_id)))

    # ------------------------------------------------------------------ events
    def move_talent(self, talent: int, destination: int) -> None:
        self.move_talents(np.array([talent]), np.array([destination]))

    def move_talents(self, talents: np.ndarray, destinations: np.ndarray) -> None:
        """Talents (distinct rows) move to `destinations`, counted from where they were."""
        talents, destinations = np.asarray(talents, dtype=np.int64), np.asarray(destinations, dtype=np.int64)
        origins = self.talents.region[talents].astype(np.int64)
        self.talents.region[talents] = destinations
        np.add.at(self.relocations_month[TALENT], (origins, destinations), 1)
        self.monthly["talents_out"] += np.bincount(origins, minlength=N_PLACES)
        self.monthly["talents_in"] += np.bincount(destinations, minlength=N_PLACES)

    def staff_of(self, rows: np.ndarray) -> list[np.ndarray]:
        """The key staff (talent rows, ascending) of each of the distinct firm `rows`, found in one
        pass over the talents: events on many firms cost O(talents + events), not O(talents x events)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return []
        slot = np.full(self.firms.n, -1, dtype=np.int64)
        slot[rows] = np.arange(rows.size)
        staff, counts = kernels.staff_grouped(self.talents.view("employer"), slot, rows.size)
        return np.split(staff, np.cumsum(counts)[:-1])

    def relocate_firm(self, row: int, destination: int, staff: np.ndarray | None = None) -> None:
        """Move a firm as a whole: it keeps its HNTE certificate, at once or after the destination's
        check (`hnte.carry_status_on_move`); key staff follow or quit. `staff`: its talent rows,
        when the caller found them for many firms at once (`staff_of`)."""
        f = self.firms
        origin = int(f.region[row])
        held = bool(self.holds_hnte(np.array([row]))[0])
        hnte.carry_status_on_move(self, row, destination)
        f.region[row] = destination
        self._count_hnte_move(held, origin, row)
        self.relocations_month[FIRM, origin, destination] += 1
        self.monthly["firms_out"][origin] += 1
        self.monthly["firms_in"][destination] += 1
        if staff is None:
            staff = self.staff_of(np.array([row]))[0]
        follows = draws.uniform(self, self.talents, staff) < self.behaviour.follow_employer_prob  # keyed by talent row
        self.move_talents(staff[follows], np.full(int(follows.sum()), destination))
        quitters = staff[~follows]
        labour.quit_job(self, quitters)
        f.talents[row] -= quitters.size

    def _count_hnte_move(self, held: bool, origin: int, row: int) -> None:
        """A firm moved from `origin`: it leaves that place's HNTE stock if it was counted there, and
        joins its destination's if the status counts there at once (else when the check passes)."""
        destination = int(self.firms.region[row])
        if held:
            self.count_hnte_moves(LEFT, [origin], [destination])
        if self.holds_hnte(np.array([row]))[0]:
            self.count_hnte_moves(JOINED, [origin], [destination])

    def exit_firm(self, row: int, staff: np.ndarray | None = None) -> None:
        """A firm leaves the model (see `exit_firms`). `staff`: its talent rows, if known."""
        self.exit_firms(np.array([row]), None if staff is None else [staff])

    def exit_firms(self, rows: np.ndarray, staff: list[np.ndarray] | None = None) -> None:
        """Firms (distinct rows) leave the model: staff become unemployed, creditors absorb their
        cash or debt, vouchers lapse, tenants count as incubator failures. `staff`: each firm's
        talent rows, when the caller found them (`staff_of`)."""
        f = self.firms
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        place = f.region[rows].astype(np.int64)
        ones = np.ones(rows.size)
        tenants = f.incubator[rows] >= 0
        self.count("incubator_failures", place[tenants], ones[tenants])
        self.count("graduates_or_failed", place[tenants], ones[tenants])
        held = self.holds_hnte(rows)
        self.count("hnte_exits", place[held], ones[held])
        if staff is None:
            staff = self.staff_of(rows)
        labour.quit_job(self, np.concatenate(staff) if staff else np.zeros(0, dtype=np.int64))
        f.talents[rows] = 0
        self.vouchers.forfeit(rows)
        self.ledger.accounts["creditors"] += np.bincount(place, f.cash[rows], minlength=N_PLACES)
        f.cash[rows] = 0.0
        f.alive[rows] = False
        f.exit_month[rows] = self.month
        f.incubator[rows] = -1
        self.exits += rows.size
        self.count("exits", place, ones)

    # ------------------------------------------------------------------ creation
    def add_firms(self, count: int, place: np.ndarray | int, **columns) -> np.ndarray:
        rows = self.firms.add(count, region=place, alive=True, **columns)
        review = self.rng.integers(1, 13, count)
        self.firms.review_month[rows] = review
        return rows

    def create_startups(self, place: np.ndarray) -> np.ndarray:
        """New firms founded in `place` (one each) by talents: seed capital from the founders' households."""
        rows = population.new_startups(self, np.asarray(place, dtype=np.int64))
        self.firms.birth_month[rows] = self.month
        seed = np.full(rows.size, self.behaviour.founder_seed_capital)
        self.ledger.firms_receive(rows, seed, "households", np.asarray(place, dtype=np.int64))
        self.births += rows.size
        return rows

    def create_startup(self, place: int) -> int:
        """One new firm founded in `place` (see `create_startups`)."""
        return int(self.create_startups(np.array([place]))[0])

    def first_decision_month(self) -> int:
        """The first month of the run (1-based) in which HNTE applications are decided."""
        start_month = int(self.start.split("-")[1])
        first = (hnte.APPLICATION_MONTH + hnte.APPROVAL_MONTHS - start_month) % 12 + 1
        return first if first > 1 else first + 12
