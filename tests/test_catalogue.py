"""Places, indicators and levers are declared once, in `innosim.catalogue`: every list of them the
code uses is the catalogue's, and a module that keeps its own fails here (docs/catalogue.md)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from innosim import catalogue as cat
from innosim.i18n import PLACE_NAMES_EN, glossary

SRC = Path(__file__).resolve().parents[1] / "src" / "innosim"
CATALOGUE = SRC / "catalogue"
PLACE_KEYS = set(cat.REGIONS)
NAMES = set(cat.INDICATOR_NAMES) | {m.name for m in cat.END_MEASURES}


def modules() -> list[Path]:
    """Every source file outside the catalogue."""
    return [p for p in sorted(SRC.rglob("*.py")) if CATALOGUE not in p.parents]


def strings(node: ast.AST) -> list[str]:
    return [e.value for e in getattr(node, "elts", []) if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def restated(path: Path) -> list[str]:
    """Literal lists of places or indicators in a module, and label maps keyed by place: line and text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = strings(node)
            if len([s for s in items if s in PLACE_KEYS]) >= 3 or len([s for s in items if s in NAMES]) >= 3:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {ast.unparse(node)[:80]}")
        elif isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            text_values = all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values)
            if text_values and (len([k for k in keys if k in PLACE_KEYS]) >= 2
                                or len([k for k in keys if k in NAMES]) >= 3):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {ast.unparse(node)[:80]}")
    return found


def test_no_module_keeps_its_own_list_of_places_or_indicators():
    """A tuple of the place keys, a `Literal[...]` of them, a label map keyed by place or indicator, a
    list of main indicators or of snapshot counters: each belongs in the catalogue. (Per-county
    defaults of the schema, numbers keyed by county, are values, not lists; a report's choice of one
    or two regions to show is a choice, not the list of places.)"""
    found = [hit for path in modules() for hit in restated(path)]
    assert not found, "lists kept outside innosim.catalogue:\n" + "\n".join(found)


def test_the_scan_finds_a_restated_list():
    sample = 'REGIONS = ("qingpu", "wujiang", "jiashan")\nLABELS = {"qingpu": "Qingpu", "jiashan": "Jiashan"}\n' \
             'MAIN = ("hnte_stock", "firms", "talents")\n'
    path = SRC / "_probe_not_a_module.py"
    try:
        path.write_text(sample, encoding="utf-8")
        assert len(restated(path)) == 3
    finally:
        path.unlink()


# ---------------------------------------------------------------- places
def test_places_are_the_catalogues_everywhere():
    from innosim.model import places
    from innosim.outputs import COUNTY_COLOURS
    from innosim.scenario import COUNTIES, PLACES, Scenario
    from innosim.scenario.types import County
    from innosim.scenario.warnings import PLACE_NAMES, PROVINCE

    assert COUNTIES == cat.COUNTIES and PLACES == cat.PLACE_KEYS
    assert set(County.__args__) == set(cat.COUNTIES)
    spec = Scenario()
    assert tuple(type(spec.places).model_fields) == cat.PLACE_KEYS
    for place in cat.PLACES:
        economy = getattr(spec.places, place.key)
        assert all(getattr(economy, k) == v for k, v in place.economy.items())
    assert places.POPULATION.tolist() == [p.population for p in cat.PLACES]
    assert places.IN_ZONE.tolist() == [p.county for p in cat.PLACES]
    assert places.SHANGHAI == cat.place_index(cat.OUTSIDE)
    assert places.DISTANCE_KM[places.QINGPU, places.JIASHAN] == cat.distance_km("qingpu", "jiashan")
    assert PLACE_NAMES_EN == cat.REGION_LABELS and COUNTY_COLOURS == cat.REGION_COLOURS
    assert PLACE_NAMES == {p.key: p.name for p in cat.PLACES}
    assert PROVINCE == {p.key: p.province for p in cat.PLACES}
    assert set(glossary("zh")["places"]) == set(cat.REGIONS)


# ---------------------------------------------------------------- indicators
def test_the_snapshot_reports_exactly_the_catalogues_indicators():
    from innosim.model import InnoModel
    from innosim.model.indicators import snapshot

    model = InnoModel(policy__rd_subsidy__share=0.0, run__scale=0.02, run__months=2)
    model.step()
    values = snapshot(model)
    assert tuple(values) == cat.INDICATOR_NAMES
    assert all(v.shape == (len(cat.REGIONS),) for v in values.values())
    counters = set(model.monthly)
    assert set(cat.COUNTED) <= counters, "a counted indicator no mechanism counts"


def test_public_cost_items_and_main_lists_are_the_catalogues():
    from innosim.analysis.compare import cost, report
    from innosim.analysis.levers.wording import NOUNS
    from innosim.cli.run import SUMMARY_INDICATORS
    from innosim.model.indicators import PUBLIC_COST_ITEMS
    from innosim.outputs import MAIN_INDICATORS

    assert PUBLIC_COST_ITEMS is cat.PUBLIC_COST_ITEMS
    assert tuple(PUBLIC_COST_ITEMS) == tuple(item.key for item in cat.COST_ITEMS)
    assert all(terms for terms in PUBLIC_COST_ITEMS.values()), "a cost item without an indicator"
    assert cost.ITEMS == (*PUBLIC_COST_ITEMS, "public_cost")
    assert tuple(report.COST_ITEMS) == cost.ITEMS
    assert report.MAIN_INDICATORS == cat.main_indicators("headline")
    assert report.BAND_INDICATORS == cat.main_indicators("bands")
    assert SUMMARY_INDICATORS == cat.main_indicators("summary")
    assert MAIN_INDICATORS == cat.main_indicators("figure")
    assert NOUNS == {i.name: i.noun for i in cat.INDICATORS if i.noun}
    for indicator in cat.INDICATORS:
        assert set(indicator.main) <= set(cat.VIEWS), indicator.name
        assert indicator.kind in ("flow", "stock", "rate"), indicator.name
        assert indicator.cost is None or indicator.cost[0] in PUBLIC_COST_ITEMS, indicator.name


def test_every_indicator_and_end_measure_has_a_chinese_name():
    names = glossary("zh")["indicators"]
    missing = [i.name for i in cat.INDICATORS if i.name not in names]
    assert not missing, f"not in zh.yaml indicators: {missing}"


def test_end_measures_are_the_catalogues():
    from innosim.analysis.calibration.stylised import EXTRA_MEASURES
    from innosim.model.stylised import MEASURES

    assert tuple(MEASURES) == EXTRA_MEASURES == tuple(m.name for m in cat.END_MEASURES)


# ---------------------------------------------------------------- levers
def test_policy_rules_are_the_catalogues_rules():
    from innosim.model.policy import BUILDERS, PolicyRules
    from innosim.scenario import Scenario

    assert tuple(f.name for f in dataclasses.fields(PolicyRules)) == tuple(r.name for r in cat.RULES)
    assert {r.name for r in cat.RULES if r.how == "built"} == set(BUILDERS)
    assert all(r.how in ("per_firm", "per_place", "value", "built") for r in cat.RULES)
    assert all(cat.levers_of(r.name) for r in cat.RULES), "a rule no lever makes"
    assert {lever.rule for lever in cat.LEVERS} == {r.name for r in cat.RULES}
    rules = PolicyRules.from_scenario(Scenario())
    assert rules.voucher_budget.shape == (len(cat.PLACES),) and rules.voucher_budget[-1] == 0.0


def test_every_policy_setting_is_a_lever_and_every_lever_a_setting():
    from innosim.scenario.catalogue import lever_facts, schema_fields

    keys = [lever.key for lever in cat.LEVERS]
    assert len(keys) == len(set(keys))
    for key in keys:
        lever_facts(key)  # raises KeyError for a key the schema does not have
    settings = [".".join(path) for path in schema_fields() if path[0] == "policy"]
    uncovered = [s for s in settings if not any(s == k or s.startswith(k + ".") for k in keys)]
    assert not uncovered, f"policy settings no lever of the catalogue declares: {uncovered}"
    for lever in cat.LEVERS:
        assert set(lever.cost) <= {item.key for item in cat.COST_ITEMS}, lever.key


def test_viz_controls_are_the_catalogues_and_agree_with_the_schema():
    from innosim.scenario.catalogue import lever_facts
    from innosim.viz.levers import CONTROLS, LEVERS

    assert [(lv.param, lv.key, lv.label, lv.kind) for lv in LEVERS] == \
        [(lv.control.param, lv.key, lv.label, lv.control.kind) for lv in cat.VIZ_LEVERS]
    for lever in cat.VIZ_LEVERS:
        facts = lever_facts(lever.key)
        kind = lever.control.kind
        if kind == "choice":
            assert facts.choices, lever.key
        elif kind == "toggle":
            assert facts.bounds == {} and not facts.choices, lever.key
        else:
            assert not facts.choices and ("le" in facts.bounds or "lt" in facts.bounds), lever.key
            assert facts.bounds.get("ge", facts.bounds.get("gt", 0)) <= lever.control.low, lever.key
    per_county = sum(len(cat.COUNTIES) if lever_facts(lv.key).per_county else 1 for lv in cat.VIZ_LEVERS)
    assert len(CONTROLS) == per_county


def test_glossary_keys_settings_by_their_whole_key():
    """zh.yaml's settings are schema keys (or sections), so two settings ending alike never share a
    name; every lever has its Chinese name."""
    from innosim.scenario.catalogue import schema_fields

    known = {".".join(path[:n]) for path in schema_fields() for n in range(1, len(path) + 1)}
    settings = glossary("zh")["settings"]
    strays = [key for key in settings if key not in known and key != "seed"]
    assert not strays, f"zh.yaml settings that are no schema key: {strays}"
    assert not [lv.glossary_key for lv in cat.LEVERS if lv.glossary_key not in settings]


# ---------------------------------------------------------------- rules written once
def test_the_tax_rule_is_one_function():
    from innosim.model.policy import hnte_tax_gap, tax_rate

    assert tax_rate(True) == 0.15 and tax_rate(False) == 0.25
    assert hnte_tax_gap() == pytest.approx(0.10)
    np.testing.assert_array_equal(tax_rate(np.array([True, False])), [0.15, 0.25])
    users = [p.relative_to(SRC) for p in modules() if p.name != "policy.py"
             and ("CIT_RATE" in p.read_text(encoding="utf-8") or "HNTE_RATE" in p.read_text(encoding="utf-8"))]
    assert not users, f"modules restating the tax rates instead of asking policy.tax_rate: {users}"


def test_the_analysis_reads_tables_and_imports_no_model():
    found = []
    for path in sorted((SRC / "analysis").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.startswith("innosim.model") or (node.level and node.module.startswith("model"))):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
            elif isinstance(node, ast.Import) and any(a.name.startswith("innosim.model") for a in node.names):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found, f"analysis modules importing the model: {found}"


def test_the_catalogue_imports_nothing_of_innosim():
    for path in CATALOGUE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level or not (node.module or "").startswith("innosim"), path.name
