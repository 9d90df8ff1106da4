"""Every lever acts, through its channel, in the direction its channel says.

Each case runs the baseline and the baseline with one lever moved, on the same seeds (the model's
per-mechanism random streams keep the draws common), and checks that the outcome the lever works
on moves, and which way. Disconnect a lever's rule (or reverse it) and its case fails: that is
the point of the file. Outcomes are read from the model's counters, so a case needs no report.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from innosim.model import InnoModel
from innosim.scenario import validate_data

SEEDS = (1, 2)
RUN = {"scale": 0.12, "months": 36}
JIASHAN = 2


def run_model(policy: dict, behaviour: dict | None = None, seed: int = 1) -> InnoModel:
    scenario = validate_data({"run": RUN, "policy": policy, "behaviour": behaviour or {}}, "<lever test>")
    model = InnoModel(scenario, rng=np.random.default_rng(seed))
    for _ in range(RUN["months"]):
        model.step()
    return model


def total(model: InnoModel, name: str, place: int | None = None) -> float:
    counts = model.cumulative[name]
    return float(counts[:3].sum() if place is None else counts[place])


def cross_share(model: InnoModel) -> float:
    book = model.vouchers
    return float(book.used_across[:3].sum() / max(book.used[:3].sum(), 1e-9))


def stay_rate(model: InnoModel) -> float:
    return total(model, "graduates_stayed") / max(total(model, "graduates_or_failed"), 1.0)


def talents_moving_between_counties(model: InnoModel) -> float:
    return float(model.relocations[1, :3, :3].sum())


def deals_across(model: InnoModel) -> float:
    return total(model, "tech_deals_across")


def mean_firms(model: InnoModel) -> float:
    return float(np.count_nonzero(model.firms.view("alive") & (model.firms.view("region") < 3)))


def outcome(name: str):
    """A counter summed over the three counties."""
    return lambda model: total(model, name)


#: (lever, base policy, lever policy, base behaviour, outcome, expected sign of lever - base)
VOUCHERS_WIDE = {"vouchers": {"scope": "zone_shanghai"}}
CASES = [
    # a whole move keeps the certificate (Guokefahuo [2016] 32 art. 18); mutual recognition spares the
    # destination's check, so no check can fail (every one fails here, to make the channel visible)
    ("hnte mutual recognition spares moving firms the check", {}, {"hnte_mutual_recognition": True},
     {"hnte_move_check_pass": 0.0, "firm_stay_bonus": 3.0}, outcome("hnte_lost_on_move"), -1),
    ("hnte rewards draw first certifications", {"hnte_rewards": {"first": 0.0, "renewal": 0.0}},
     {"hnte_rewards": {"first": 2.0, "renewal": 0.5}}, None, outcome("hnte_new"), +1),
    ("talent programmes bring talents", {"talent_programmes": 0}, {"talent_programmes": 200}, None,
     outcome("programme_talents"), +1),
    ("talent recognition eases moves between counties", {}, {"talent_recognition": True}, None,
     talents_moving_between_counties, +1),
    ("voucher scope sends vouchers across county lines", {}, VOUCHERS_WIDE, None, cross_share, +1),
    ("voucher settlement makes providers across the line accept them", VOUCHERS_WIDE,
     {"vouchers": {"scope": "zone_shanghai", "cross_county_settlement": True}}, None,
     outcome("vouchers_used_across"), +1),
    ("voucher budget pays for more vouchers", {}, {"vouchers": {"budget": 60}}, None,
     outcome("vouchers_issued"), +1),
    ("voucher budget buys additional projects", {}, {"vouchers": {"budget": 60}}, None,
     outcome("voucher_project_spending"), +1),
    ("voucher projects add innovations", {"vouchers": {"budget": 0}}, {"vouchers": {"budget": 150, "cap_per_firm": 0.5}},
     None, outcome("innovations"), +1),
    ("voucher subsidy share: more of the bill paid", {}, {"vouchers": {"subsidy_share": 0.9}}, None,
     outcome("vouchers_used"), +1),
    ("voucher cap bounds what a firm gets", {}, {"vouchers": {"cap_per_firm": 0.01}}, None,
     outcome("vouchers_issued"), -1),
    ("fund capital finances more deals", {"finance": {"fund_capital": 10}}, {"finance": {"fund_capital": 400}}, None,
     outcome("fund_invested"), +1),
    ("venture money pays for R&D", {"finance": {"fund_capital": 0}}, {"finance": {"fund_capital": 400}}, None,
     outcome("rd_spending"), +1),
    ("cross-county investment widens the funds' pool", {}, {"finance": {"cross_county_investment": True}}, None,
     outcome("fund_investments_across"), +1),
    ("broker reach finds solvers across county lines", {}, {"brokers": {"cross_county_reach": 0.9}}, None,
     deals_across, +1),
    ("incubator capacity shelters more tenants", {"incubation": {"capacity": 0}}, {"incubation": {"capacity": 120}}, None,
     outcome("incubator_rent_subsidy"), +1),
    ("post-incubation space keeps graduates", {}, {"incubation": {"post_incubation_space": 50}}, None, stay_rate, +1),
    ("stay subsidy keeps graduates", {}, {"incubation": {"stay_subsidy": 2.0}}, None, stay_rate, +1),
    ("equity incentives grant equity to key staff", {}, {"equity_incentives": {"enabled": True}}, None,
     outcome("equity_granted"), +1),
    ("equity tax deferral forgoes income tax", {"equity_incentives": {"enabled": True}},
     {"equity_incentives": {"enabled": True, "tax_deferral": True}}, None, outcome("equity_tax_forgone"), +1),
]


@lru_cache(maxsize=None)
def _cached(key: str, seed: int) -> InnoModel:
    import json

    policy, behaviour = json.loads(key)
    return run_model(policy, behaviour, seed)


def paired(policy: dict, behaviour: dict | None, measure) -> list[float]:
    import json

    return [measure(_cached(json.dumps([policy, behaviour], sort_keys=True), seed)) for seed in SEEDS]


@pytest.mark.parametrize(("base", "lever", "behaviour", "measure", "sign"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_lever_moves_its_outcome_in_its_direction(base, lever, behaviour, measure, sign):
    before = np.array(paired(base, behaviour, measure))
    after = np.array(paired(_merge(base, lever), behaviour, measure))
    change = sign * (after - before)
    # never the wrong way on any seed, and the right way overall (a small lever may tie on one seed)
    assert (change >= 0).all() and change.sum() > 0, \
        f"change {after - before} (before {before}, after {after}), expected sign {sign}"


def _merge(base: dict, lever: dict) -> dict:
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in lever.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
