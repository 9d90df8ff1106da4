"""The technology market: firms post technical problems and search for solvers.

A problem is found by a solver in the firm's own county with probability `solver_local_prob`;
across county lines and in Shanghai that reach is scaled by the brokers lever (technology
brokers and the joint secretariat). A found solver signs a deal when the match quality, a
uniform draw scaled by the solver place's provider quality, clears `deal_threshold`. The paper's Jiashan tech market: 300+ problems,
32 deals, 16 of them with Shanghai (seed paper, 1.3).
"""

from __future__ import annotations

import numpy as np

from . import draws
from .places import N_PLACES, SHANGHAI


def match_technical_problems(model) -> None:
    f, b, rules = model.firms, model.behaviour, model.rules
    rows = model.alive_rows()
    posting = rows[draws.uniform(model, f, rows) < b.problem_post_rate]
    if posting.size == 0:
        return
    here = f.region[posting].astype(np.int64)
    model.count("problems_posted", here, np.ones(posting.size))
    found = draws.uniform(model, f, posting, N_PLACES) < rules.solver_reach[here]
    # better providers (Shanghai's) offer better matches
    ceiling = 0.6 + 0.4 * model.provider_quality
    quality = np.where(found, draws.uniform(model, f, posting, N_PLACES) * ceiling, -1.0)
    best = np.argmax(quality, axis=1)
    deal = quality[np.arange(posting.size), best] >= b.deal_threshold
    signed, solver = posting[deal], best[deal]
    if signed.size == 0:
        return
    where = here[deal]
    model.ledger.firms_pay(signed, np.full(signed.size, b.deal_value), "providers", solver)
    f.knowledge[signed] += 1.0  # a solved problem is worth one innovation
    model.count("tech_deals", where, np.ones(signed.size))
    model.count("tech_deals_shanghai", where, (solver == SHANGHAI).astype(float))
    model.count("tech_deals_across", where, (solver != where).astype(float))
