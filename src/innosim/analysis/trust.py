"""How far to trust a report's figures: the calibration behind its scenarios and its known misses.

A scenario built on the calibrated baseline inherits `calibration/calibrated.yaml`; the fit that
wrote it is `result.yaml` beside it (targets met and missed, parameters the data do not pin down).
Reports quote it, so a forwarded report carries its own caveats.
"""

from __future__ import annotations

from pathlib import Path

import yaml

RESULT_FILE = "result.yaml"


def calibration_result_for(scenario_file: str | Path) -> Path | None:
    """The calibration result behind a scenario: `result.yaml` beside any file of its extends chain
    that sets behavioural parameters (None when the scenario is not built on a calibration)."""
    from innosim.scenario import resolve_chain

    _, origin = resolve_chain(scenario_file)
    folders = dict.fromkeys(Path(f).parent for key, f in origin.items() if key and key[0] == "behaviour"
                            and not str(f).startswith(("-", "<")))
    for folder in folders:
        candidate = folder / RESULT_FILE
        if candidate.is_file():
            return candidate
    return None


def _number(value) -> str:
    if value is None:
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def trust_paragraphs(scenario_file: str | Path | None, scale: float | None = None, labels=None) -> list[str]:
    """Plain-language caveats: the calibration's targets met and missed, unidentified parameters,
    and what the scale means. Never fails: a missing or unreadable result says so."""
    from innosim.i18n import Labels

    lb = labels or Labels("en")
    paragraphs = []
    result_path = calibration_result_for(scenario_file) if scenario_file is not None else None
    if result_path is None:
        paragraphs.append(lb.text("These scenarios are not built on a calibrated baseline: the behavioural "
                                  "parameters are the code's assumed defaults, so read the figures as illustrations "
                                  "of mechanisms, not forecasts."))
    else:
        try:
            result = yaml.safe_load(result_path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            result = {}
        met = result.get("targets_met", "?")
        targets = result.get("targets") or {}
        missed = [(name, t) for name, t in targets.items()
                  if isinstance(t, dict) and str(t.get("verdict", "")).startswith("missed")]
        not_modelled = [name for name, t in targets.items()
                        if isinstance(t, dict) and t.get("verdict") == "not modelled"]
        loose = [name for name, p in (result.get("parameters") or {}).items()
                 if isinstance(p, dict) and p.get("identifiability") == "not identified"]
        period = result.get("period") or {}
        try:  # {start: YYYY-MM, months: N} -> " over 2015-2019"
            first = int(str(period["start"])[:4])
            last = first + (int(str(period["start"])[5:7]) - 2 + int(period["months"])) // 12
            period = lb.say(" over {first}-{last}", first=first, last=last)
        except (KeyError, TypeError, ValueError):
            period = ""
        try:
            shown = result_path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            shown = result_path
        text = lb.say("The figures come from a model calibrated to the seed paper's Jiashan figures and the zone's"
                      "{period} (`{shown}`): {met} targets met.", period=period, shown=shown,
                      met=lb.say("{met} of {n}", met=met.split(" of ")[0], n=met.split(" of ")[1])
                      if lb.chinese and isinstance(met, str) and " of " in met else met)
        if missed:
            misses = lb.text("; ").join(lb.say("{name} (observed {observed}, model {model})", name=name,
                                               observed=_number(t.get('observed')), model=_number(t.get('mean')))
                                        for name, t in missed)
            text += lb.say(" Known misses: {misses}.", misses=misses)
        if not_modelled:
            text += lb.say(" Not modelled: {names}.", names=lb.text(", ").join(not_modelled))
        paragraphs.append(text)
        if loose:
            paragraphs.append(lb.say("The data do not pin down {names}: a result that depends on "
                                     "them is less certain than the intervals show.", names=lb.text(", ").join(loose)))
    paragraphs.append(lb.text("The intervals cover replicate noise only, not the model's structure or its parameters. "
                              "Differences between scenarios (same seeds, same model) are more reliable than levels")
                      + (lb.say("; counts and money are those of a zone {scale:g} times the real size.", scale=scale)
                         if scale else lb.text(".")))
    return paragraphs
