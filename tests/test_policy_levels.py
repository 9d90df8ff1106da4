"""Per-county lever values and dated policy changes (issue 10, points 2 and 3).

A lever a county decides takes a value per county, one value being the shorthand for all three;
a scenario's `changes:` give policy settings new values from a month on. A change rebuilds the
rules at the start of its month without drawing a random number, so a run with a change is the
run without it until then.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innosim.model import simulate
from innosim.model.places import JIASHAN, N_PLACES, QINGPU, SHANGHAI, WUJIANG
from innosim.model.policy import PolicyRules, enact
from innosim.scenario import content_hash, load_scenario, policy_in_force, validate_data
from innosim.scenario.catalogue import scenario_settings

from .conftest import SCENARIOS, make_model, refused, write

BASELINE = SCENARIOS / "baseline.yaml"
SMALL_RUN = {"run.scale": 0.1, "run.months": 30}


def run(path: Path, overrides: dict | None = None, seed: int = 11) -> pd.DataFrame:
    return simulate(load_scenario(path, {**SMALL_RUN, **(overrides or {})}), seed=seed).timeseries


def changed_file(tmp_path: Path, month: str, settings: str) -> Path:
    return write(tmp_path, "changed.yaml", f"extends: {BASELINE}\nchanges:\n  - from: \"{month}\"\n"
                                           f"    note: a test change\n    set:\n{settings}")


# ---------------------------------------------------------------- (a) a dated change
def test_a_dated_change_leaves_the_run_alone_until_its_month(tmp_path):
    """Every indicator in every place is the base run's up to the month before the change, and
    the change makes a difference from its month on (all counties open their vouchers)."""
    path = changed_file(tmp_path, "2020-01", "      policy.vouchers.scope: zone_shanghai\n"
                                             "      policy.vouchers.cross_county_settlement: true\n")
    base, changed = run(BASELINE), run(path)
    assert list(base.columns) == list(changed.columns) and len(base) == len(changed)
    before = base["date"] < "2020-01"
    assert before.sum() > 0
    pd.testing.assert_frame_equal(base[before].reset_index(drop=True), changed[before].reset_index(drop=True))
    after = ~before
    differs = ~np.isclose(base.loc[after, "value"], changed.loc[after, "value"], equal_nan=True)
    assert differs.any()
    cross = changed[after & (changed["indicator"] == "voucher_cross_share") & (changed["region"] == "qingpu")]
    assert cross["value"].max() > 0  # Qingpu's vouchers reach other places only after the change


def test_a_change_rebuilds_the_rules_in_its_month_and_keeps_the_spec(tmp_path):
    path = changed_file(tmp_path, "2019-04", "      policy.hnte_mutual_recognition: true\n"
                                             "      policy.incubation.capacity.jiashan: 80\n"
                                             "      policy.finance.fund_capital: {qingpu: 300}\n")
    spec = load_scenario(path, {"run.scale": 0.05})
    model = make_model(spec, seed=2)
    before = model.rules
    for _ in range(3):
        model.step()
    assert model.rules is before and not model.rules.hnte_kept_on_move[QINGPU, WUJIANG]
    model.step()  # April 2019: the change is in force
    assert model.rules.hnte_kept_on_move[QINGPU, WUJIANG]
    assert model.policy_now.policy.hnte_mutual_recognition is True
    assert model.spec == spec and model.spec.policy.hnte_mutual_recognition is False  # the scenario as given
    assert sum(i.capacity for i in model.incubators if i.region == JIASHAN) == round(80 * 0.05)


def test_enacting_new_fund_capital_moves_county_money_into_its_funds(tmp_path):
    path = changed_file(tmp_path, "2019-04", "      policy.finance.fund_capital: {qingpu: 300}\n")
    spec = load_scenario(path, {"run.scale": 0.05})
    model = make_model(spec)
    capital, money = sum(f.capital for f in model.funds if f.region == QINGPU), model.ledger.total()
    enact(model, PolicyRules.from_scenario(policy_in_force(spec, "2019-04")))
    assert sum(f.capital for f in model.funds if f.region == QINGPU) == pytest.approx(capital + 150 * 0.05)
    # the endowment, which sets the pace of investing, is the new one
    assert sum(f.size for f in model.funds if f.region == QINGPU) == pytest.approx(300 * 0.05)
    assert model.ledger.total() == pytest.approx(money)


def test_a_change_dated_at_or_before_the_start_is_in_force_from_the_start(tmp_path):
    path = changed_file(tmp_path, "2018-06", "      policy.talent_recognition: true\n")
    model = make_model(load_scenario(path, {"run.scale": 0.05}))
    assert model.rules.qualification_recognised[WUJIANG, QINGPU]
    direct = load_scenario(BASELINE, {"run.scale": 0.05, "policy.talent_recognition": True})
    assert_rules_equal(model.rules, PolicyRules.from_scenario(direct))


def test_changes_apply_in_date_order_and_cumulate(tmp_path):
    path = write(tmp_path, "two.yaml", f"extends: {BASELINE}\nchanges:\n"
                 "  - {from: \"2021-01\", set: {policy.vouchers.scope.qingpu: zone}}\n"
                 "  - {from: \"2020-01\", set: {policy.vouchers.scope: own_county, policy.talent_recognition: true}}\n")
    spec = load_scenario(path)
    assert policy_in_force(spec, "2019-12") == spec
    in_2020 = policy_in_force(spec, "2020-06").policy
    assert in_2020.vouchers.scope == "own_county" and in_2020.talent_recognition is True
    in_2021 = policy_in_force(spec, "2021-01").policy
    assert in_2021.vouchers.scope == {"qingpu": "zone", "wujiang": "own_county", "jiashan": "own_county"}
    assert in_2021.talent_recognition is True
    rows = {r.key: r for r in scenario_settings(path)}
    assert rows["policy.vouchers.scope.qingpu from 2021-01"].value == "zone"
    assert rows["policy.talent_recognition from 2020-01"].set_by == str(path.resolve())
    assert list(rows).index("policy.talent_recognition from 2020-01") < list(rows).index(
        "policy.vouchers.scope.qingpu from 2021-01")


# ---------------------------------------------------------------- (b) one county's lever
def test_only_jiashan_opening_its_vouchers_to_shanghai_changes_only_jiashan():
    """Jiashan's Qianyi-platform measure: its vouchers reach Shanghai's providers, no one else's do.

    The rules differ in Jiashan's row only. In a run the other counties' cross-county voucher money
    stays exactly what it was (none: their vouchers stay at home). Their other figures may move a
    little: Jiashan's firms innovate differently, and what they do (hiring, moving) reaches the
    other counties, though the draws themselves are common (keyed by mechanism, month and row)."""
    closed = load_scenario(BASELINE, {**SMALL_RUN, "policy.vouchers.scope": "own_county"})
    opened = load_scenario(BASELINE, {**SMALL_RUN, "policy.vouchers.scope": "own_county",
                                      "policy.vouchers.scope.jiashan": "own_county_shanghai"})
    a, b = PolicyRules.from_scenario(closed), PolicyRules.from_scenario(opened)
    rows = np.flatnonzero((a.voucher_spendable != b.voucher_spendable).any(axis=1))
    assert rows.tolist() == [JIASHAN] and b.voucher_spendable[JIASHAN].tolist() == [False, False, True, True]
    np.testing.assert_array_equal(a.voucher_acceptance, b.voucher_acceptance)

    across = {}
    for name, spec in (("closed", closed), ("opened", opened)):
        model = make_model(spec, seed=4)
        for _ in range(spec.run.months):
            model.step()
        across[name] = model.vouchers.used_across.copy()
        assert model.vouchers.spent_at[JIASHAN, [QINGPU, WUJIANG]].sum() == 0  # Shanghai only, not the zone
    assert across["closed"][JIASHAN] == 0 and across["opened"][JIASHAN] > 0
    others = [QINGPU, WUJIANG, SHANGHAI]
    np.testing.assert_array_equal(across["closed"][others], across["opened"][others])

    table = {name: run(BASELINE, {"policy.vouchers.scope": "own_county", **extra}, seed=4)
             for name, extra in (("closed", {}), ("opened", {"policy.vouchers.scope.jiashan": "own_county_shanghai"}))}
    share = {name: t[t["indicator"] == "voucher_cross_share"].set_index(["date", "region"])["value"]
             for name, t in table.items()}
    for region in ("qingpu", "wujiang"):
        assert (share["closed"].xs(region, level="region").fillna(0) == 0).all()
        assert (share["opened"].xs(region, level="region").fillna(0) == 0).all()
    assert share["opened"].xs("jiashan", level="region").max() > 0


def test_mutual_recognition_never_narrows_a_wider_county_scope():
    spec = load_scenario(SCENARIOS / "hnte_mutual_recognition.yaml")
    kept = PolicyRules.from_scenario(spec).hnte_kept_on_move
    assert kept[:, JIASHAN].all()  # Jiashan honours every certificate, Shanghai's core's too
    assert kept[WUJIANG, QINGPU] and kept[JIASHAN, WUJIANG] and not kept[SHANGHAI, WUJIANG]
    base = PolicyRules.from_scenario(load_scenario(BASELINE)).hnte_kept_on_move
    assert base[:, JIASHAN].all() and not base[WUJIANG, QINGPU] and base[SHANGHAI, QINGPU]


# ---------------------------------------------------------------- (c) the scalar shorthand
@pytest.mark.parametrize(("key", "value"), [
    ("policy.vouchers.scope", "zone"), ("policy.talent_recognition", True), ("policy.vouchers.subsidy_share", 0.3),
    ("policy.vouchers.cross_county_settlement", True), ("policy.incubation.stay_subsidy", 0.4),
    ("policy.finance.cross_county_investment", True), ("policy.hnte_recognition", "zone"),
    ("policy.hnte_mutual_recognition", True), ("policy.vouchers.cap_per_firm", 0.2),
])
def test_one_value_is_the_same_as_writing_it_for_every_county(key, value):
    one = load_scenario(BASELINE, {key: value})
    each = load_scenario(BASELINE, {f"{key}.{c}": value for c in ("qingpu", "wujiang", "jiashan")})
    mapping = load_scenario(BASELINE, {key: {c: value for c in ("qingpu", "wujiang", "jiashan")}})
    assert one == each == mapping and content_hash(one) == content_hash(each)
    assert_rules_equal(PolicyRules.from_scenario(one), PolicyRules.from_scenario(mapping))


def test_one_county_keeps_the_others_value_from_the_file():
    spec = load_scenario(SCENARIOS / "general_vouchers.yaml", {"policy.vouchers.scope.jiashan": "own_county"})
    assert spec.policy.vouchers.scope == {"qingpu": "zone_shanghai", "wujiang": "zone_shanghai",
                                          "jiashan": "own_county"}
    rules = PolicyRules.from_scenario(validate_data({"policy": {"vouchers": {"subsidy_share": {"jiashan": 0.8},
                                                                             "cap_per_firm": {"qingpu": 0.3}}}}, "<t>"))
    np.testing.assert_allclose(rules.voucher_subsidy_share, [0.5, 0.5, 0.8, 0.0])
    np.testing.assert_allclose(rules.voucher_cap, [0.3, 0.1, 0.1, 0.0])
    assert rules.voucher_subsidy_share.shape == (N_PLACES,)


# ---------------------------------------------------------------- (d) bad values are refused
BAD_CHANGES = [
    ("not policy", "  - {from: \"2020-01\", set: {run.months: 12}}\n", "changes.0.set", "run.months"),
    ("bad month", "  - {from: \"2020-13\", set: {policy.talent_recognition: true}}\n", "changes.0.from", "YYYY-MM"),
    ("month as date", "  - {from: 2020-01-01, set: {policy.talent_recognition: true}}\n", "changes.0.from",
     "YYYY-MM"),
    ("bad value", "  - {from: \"2020-01\", set: {policy.talent_recognition: true}}\n"
                  "  - {from: \"2019-06\", set: {policy.vouchers.scope.jiashan: everywhere}}\n",
     "changes.1.set.policy.vouchers.scope.jiashan", "zone_shanghai"),
    ("unknown lever", "  - {from: \"2020-01\", set: {policy.voucher.scope: zone}}\n",
     "changes.0.set.policy.voucher.scope", "unknown key"),
    ("share above one", "  - {from: \"2020-01\", set: {policy.vouchers.subsidy_share: 15}}\n",
     "changes.0.set.policy.vouchers.subsidy_share", "0.15"),
    ("nothing set", "  - {from: \"2020-01\", set: {}}\n", "changes.0.set", "at least 1"),
    ("unknown field", "  - {from: \"2020-01\", to: \"2021-01\", set: {policy.talent_recognition: true}}\n",
     "changes.0.to", "unknown key"),
]


@pytest.mark.parametrize(("case", "text", "key", "reason"), BAD_CHANGES, ids=[b[0] for b in BAD_CHANGES])
def test_bad_changes_are_refused_naming_file_change_and_key(tmp_path, case, text, key, reason):
    path = write(tmp_path, "bad.yaml", f"extends: {BASELINE}\nchanges:\n{text}")
    error = refused(path)
    assert Path(error.file).name == "bad.yaml"
    assert error.key == key and reason in error.reason and error.line is not None


@pytest.mark.parametrize(("text", "key", "reason"), [
    ("policy:\n  vouchers:\n    scope: {jiashan: everywhere}\n", "policy.vouchers.scope.jiashan", "own_county_shanghai"),
    ("policy:\n  hnte_recognition: {wujiang: zone, jiashan: any}\n", "policy.hnte_recognition.jiashan", "own_province"),
    ("policy:\n  incubation:\n    stay_subsidy: {qingpu: -1}\n", "policy.incubation.stay_subsidy.qingpu", "at least 0"),
    ("policy:\n  talent_recognition: {wujiang: 'yes'}\n", "policy.talent_recognition.wujiang", "true or false"),
    ("policy:\n  vouchers:\n    scope: zonez\n", "policy.vouchers.scope", "did you mean 'zone'"),
])
def test_a_bad_county_value_names_the_key_and_the_county(tmp_path, text, key, reason):
    error = refused(write(tmp_path, "bad.yaml", text))
    assert error.key == key and reason in error.reason


def assert_rules_equal(a: PolicyRules, b: PolicyRules) -> None:
    for name, value in vars(a).items():
        np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
