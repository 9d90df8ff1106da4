"""Per-agent numbers kept in numpy arrays, one row per agent (firms and talents; see `agents`).

The monthly arithmetic (production, R&D, innovation draws) runs on whole columns at once;
discrete choices (moves, hiring, certification) are handled as events on the rows they touch.
A row is never reused: a firm that exits keeps its row with ``alive = False``.
"""

from __future__ import annotations

import numpy as np

NO_STATUS = -1  # month index meaning "none" (no HNTE status, no pending application, no employer)
#: Employer code of a talent working for Shanghai's core economy, outside the modelled firms.
SHANGHAI_JOB = -2

#: Firm stages.
ESTABLISHED, INCUBATED, GRADUATE = 0, 1, 2


class Table:
    """Columns of equal length that grow together (capacity doubles as rows are added)."""

    columns: dict[str, tuple[np.dtype, object]] = {}

    def __init__(self, capacity: int = 16):
        self.n = 0
        self._capacity = max(16, capacity)
        for name, (dtype, fill) in self.columns.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def add(self, count: int, **values) -> np.ndarray:
        """Append `count` rows; `values` gives columns (scalars or arrays). Returns the new row ids."""
        unknown = set(values) - set(self.columns)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        if self.n + count > self._capacity:
            new_capacity = max(self._capacity * 2, self.n + count)
            for name, (dtype, fill) in self.columns.items():
                grown = np.full(new_capacity, fill, dtype=dtype)
                grown[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, grown)
            self._capacity = new_capacity
        rows = np.arange(self.n, self.n + count)
        for name, value in values.items():
            getattr(self, name)[rows] = value
        self.n += count
        return rows

    def view(self, name: str) -> np.ndarray:
        """The used part of one column."""
        return getattr(self, name)[: self.n]


class FirmTable(Table):
    """State of DESIGN.md section 2 for every firm."""

    columns = {
        "alive": (np.bool_, False),
        "region": (np.int8, 0),
        "sector": (np.int8, 0),
        "stage": (np.int8, ESTABLISHED),
        "startup": (np.bool_, False),          # founded during the run (or an initial tenant)
        "exit_month": (np.int32, NO_STATUS),
        "birth_month": (np.int32, 0),
        "employees": (np.float64, 0.0),       # all staff (ordinary staff + key talents)
        "productivity": (np.float64, 1.0),    # firm-specific TFP a_i
        "knowledge": (np.float64, 1.0),       # depreciated stock of innovations (R&D capital)
        "overhead": (np.float64, 0.0),        # fixed cost a month, M CNY at start-of-run prices
        "revenue": (np.float64, 0.0),         # last month, M CNY
        "profit": (np.float64, 0.0),          # last month, after tax
        "cash": (np.float64, 0.0),
        "rd_intensity": (np.float64, 0.0),    # share of revenue really spent on R&D
        "rd_reported_intensity": (np.float64, 0.0),  # share reported (real + relabelled)
        "base_rd_intensity": (np.float64, 0.0),
        "hightech_share": (np.float64, 0.0),  # share of revenue from high-tech products
        "rd_staff_target": (np.float64, 0.1),  # key talents wanted per employee
        "talents": (np.int32, 0),             # key talents employed (R&D staff)
        "skill_sum": (np.float64, 0.0),
        # three accounting years of R&D and sales for the HNTE test: [this year, last, the one before]
        "rd_y0": (np.float64, 0.0), "rd_y1": (np.float64, 0.0), "rd_y2": (np.float64, 0.0),
        "sales_y0": (np.float64, 0.0), "sales_y1": (np.float64, 0.0), "sales_y2": (np.float64, 0.0),
        "profit_y0": (np.float64, 0.0), "profit_y1": (np.float64, 0.0),  # after tax: this year, last
        "hnte_until": (np.int32, NO_STATUS),     # last month of validity
        "hnte_ever": (np.bool_, False),          # has been certified at least once
        "hnte_region": (np.int8, -1),            # where the certificate was issued or recognised
        "hnte_pending": (np.int32, NO_STATUS),   # month an application is decided
        "hnte_barred_until": (np.int32, NO_STATUS),  # lost status in a failed move check: no application before
        "hnte_check_until": (np.int32, NO_STATUS),   # moved across a provincial line: month the destination's check ends
        "hnte_treated": (np.bool_, False),       # a new entity taxed as its certified parent is, without a certificate
        "parent": (np.int32, -1),                # row of the firm that set this one up as a new entity (-1: none)
        "ip": (np.int32, 0),                     # registered IP rights (patents, software copyrights): core IP
        "ip_pending": (np.int32, 0),             # IP filed and under examination
        "manufacturer": (np.bool_, False),       # a manufacturer (its own rate of R&D super-deduction from 2021)
        "tech_sme_year": (np.int32, NO_STATUS),  # calendar year the firm is evaluated a technology SME for
        "pool_year": (np.int32, NO_STATUS),      # calendar year the firm sits in its county's cultivation pool
        "negative_months": (np.int32, 0),
        "incubator": (np.int32, -1),
        "incubated_since": (np.int32, NO_STATUS),
        "voucher": (np.float64, 0.0),            # unspent voucher balance, M CNY
        "voucher_issuer": (np.int8, -1),
        "collaboration": (np.float64, 0.0),      # quality-weighted external R&D this month
        "voucher_project": (np.float64, 0.0),    # additional external project a voucher triggered: M CNY left to buy
        "voucher_project_rate": (np.float64, 0.0),  # M CNY of it bought a month
        "voucher_link": (np.float64, 0.0),       # provider quality of a voucher project, fading after it
        "extra_rd": (np.float64, 0.0),           # R&D this month beyond the plan (voucher project, venture money)
        "venture_budget": (np.float64, 0.0),     # venture money left to spend on R&D and hiring, M CNY
        "venture_rate": (np.float64, 0.0),       # M CNY of it spent a month
        "extra_seats": (np.int32, 0),            # key-talent positions venture money pays for
        "review_month": (np.int8, 0),            # calendar month of the annual location review
    }


class TalentTable(Table):
    """State of DESIGN.md section 2 for every talent (key staff: researchers, engineers, managers)."""

    columns = {
        "present": (np.bool_, True),    # False once retired or gone for good
        "region": (np.int8, 0),
        "home": (np.int8, 0),           # where the talent's qualifications were issued
        "skill": (np.float64, 1.0),
        "employer": (np.int32, NO_STATUS),
        "wage": (np.float64, 0.0),
        "hired_month": (np.int32, 0),
        "arrived": (np.int32, NO_STATUS),  # month the talent entered the model (initial talents: none)
        "equity_grant": (np.float64, 0.0),  # value of the current grant, vests linearly from equity_start
        "equity_start": (np.int32, 0),      # month the current grant was made
        "equity_employer": (np.int32, NO_STATUS),  # firm that made the current (or last) grant
        "equity_vested": (np.float64, 0.0),  # value vested and kept, M CNY
    }


def seats(firms, rows: np.ndarray) -> np.ndarray:
    """Key-talent positions a firm wants: its share of its staff, at least one, plus the positions
    venture money pays for."""
    planned = np.maximum(1, np.round(firms.rd_staff_target[rows] * firms.employees[rows])).astype(np.int64)
    return planned + firms.extra_seats[rows]
