"""The sensitivity report's words in the reader's language: the checks' verdicts and warnings as
sentence frames, what each file holds, why a factor was kept, and how the indices are computed
(the English of the last is `report._rules`). English text passes through unchanged."""

from __future__ import annotations

import re

from innosim.i18n import Labels

from innosim.analysis.sensitivity.checks import ALPHA
from innosim.analysis.sensitivity.resolution import NEGLIGIBLE

#: The checks' verdicts and warnings (checks.py, emulator.py) as sentence frames: pattern -> English frame.
CHECKS = [
    (r"not checked: N/2 is too small \(or constant\) to analyse", "not checked: N/2 is too small (or constant) to analyse"),
    (r"not converged: other factors lead at N/2 than at N", "not converged: other factors lead at N/2 than at N"),
    (r"top ranks stable as a set; their order changes between N/2 and N",
     "top ranks stable as a set; their order changes between N/2 and N"),
    (r"top ranks stable, but indices still move by up to (?P<change>\S+)",
     "top ranks stable, but indices still move by up to {change}"),
    (r"converged: same top ranks and indices within (?P<tolerance>\S+) at N/2 and N",
     "converged: same top ranks and indices within {tolerance} at N/2 and N"),
    (r"(?P<share>\S+) of the variance of the replicate means is noise; raise R",
     "{share} of the variance of the replicate means is noise; raise R"),
    (r"only (?P<n>\d+) trajectories: use at least (?P<least>\d+) for a screening ranking",
     "only {n} trajectories: use at least {least} for a screening ranking"),
    (r"N = (?P<n>\d+) is small for Sobol' indices; use N >= (?P<least>\d+)",
     "N = {n} is small for Sobol' indices; use N >= {least}"),
    (r"confidence intervals of the leading ST exceed \+/-(?P<wide>\S+): raise N",
     "confidence intervals of the leading ST exceed +/-{wide}: raise N"),
    (r"confidence intervals of the leading ST exceed \+/-(?P<wide>\S+): raise the design points \(--n\)",
     "confidence intervals of the leading ST exceed +/-{wide}: raise the design points (--n)"),
    (r"(?P<what>not checked|not converged|top ranks stable|converged|emulator checked)", "{what}"),
]


def check_words(text: str, t: Labels) -> str:
    """A verdict or warning of the checks in the reader's language (as it is when no frame matches)."""
    if not t.chinese or not text:
        return text
    for pattern, frame in CHECKS:
        found = re.fullmatch(pattern, text)
        if found:
            values = {k: t.text(v) for k, v in found.groupdict().items()}
            return t.say(frame, **values)
    return t.text(text)


def kept_words(why: str, t: Labels) -> str:
    """`kept_factors`' reason (`y: mu* 1.2 = 40% of the largest, rank 2, clear of noise`) in the reader's language."""
    found = re.fullmatch(r"(?P<output>.*): mu\* (?P<mu>\S+) = (?P<share>\S+) of the largest, rank (?P<rank>\S+), "
                         r"clear of noise", why)
    return t.say("{output}: mu* {mu} = {share} of the largest, rank {rank}, clear of noise", **found.groupdict()) \
        if t.chinese and found else why


def _rules_zh(study, t: Labels) -> list[str]:
    """How the indices are computed, in the reader's language (the English is `_rules`)."""
    if study.method == "morris":
        levels = study.settings["levels"]
        return [t.say("morris rule: elementary effect", levels=levels, step=levels / (2 * (levels - 1))),
                t.say("morris rule: noise", alpha=ALPHA), t.text("morris rule: same scenario")]
    rules = [t.text("sobol rule: S1 and ST")]
    if study.method == "sobol":
        rules.append(t.text("sobol rule: noise floor"))
    else:
        e = study.settings.get("emulator", {})
        rules.append(t.say("emulator rule: fit", n=study.n, folds=e.get('folds', 5), q2_min=e.get('q2_min', 0.8),
                           sample=e.get('sample', '?'), bootstrap=e.get('bootstrap', '?')))
        rules.append(t.say("emulator rule: resolution", negligible=NEGLIGIBLE))
    return rules
