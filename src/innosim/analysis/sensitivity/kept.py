"""What the Morris screening keeps for the Sobol' stage (`kept_factors`, by `KEEP_RULE`), as a file the
Sobol' stage reads.

The screening writes `kept.yaml` in its output folder (atomically): the experiment, the content
hash of the base scenario as every run saw it (base file with scale, months and `fixed:`), the
fingerprint of every factor it screened, and the factors it keeps with the reason. An experiment
that says `keep: {from_screening: PATH}` takes its factors from there, and is refused unless the
screening ran on the same base scenario and the same factor definitions.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from innosim.io import write_text_atomic
from innosim.i18n import msg
from innosim.scenario import ScenarioError, read_yaml

KEPT_FILE = "kept.yaml"
KEEP_SHARE = 0.1  #: screening keeps a factor whose mu* reaches this share of an output's largest mu*
KEEP_RULE = (f"mu* at least {KEEP_SHARE:.0%} of an output's largest mu* and clear of the noise floor "
             "(mu* minus its interval above the mu* of a factor that does nothing), for some output")


def below_noise(flag) -> bool:
    """True where a factor's index cannot be told from noise (False or unknown otherwise)."""
    return flag is not pd.NA and not bool(flag)


def kept_factors(study) -> dict[str, str]:
    """Screening's choice for the Sobol' stage (factor -> why): large for some output and above noise."""
    keep = {}
    for factor in study.problem["names"]:
        for name, result in study.results.items():
            t = result.indices
            if t is None or not t["mu_star"].max() > 0:
                continue
            share = t.at[factor, "mu_star"] / t["mu_star"].max()
            if share >= KEEP_SHARE and not below_noise(t.at[factor, "above_noise"]):
                keep[factor] = (f"{name}: mu* {t.at[factor, 'mu_star']:.3g} = {share:.0%} of the largest, "
                                f"rank {t.at[factor, 'rank']}, clear of noise")
                break
    return keep


def write_kept(out_dir: str | Path, experiment, reasons: dict[str, str], rule: str) -> Path:
    """Write `kept.yaml` into `out_dir`: what a later `keep: {from_screening: ...}` checks and reads."""
    data = {"experiment": experiment.name, "experiment_file": str(experiment.file),
            "base_scenario": str(experiment.base_file), "base_hash": experiment.base_hash,
            "rule": rule, "factors": {f.name: f.fingerprint() for f in experiment.screened},
            "keep": [{"factor": name, "reason": reason} for name, reason in reasons.items()]}
    header = (f"# Factors the Morris screening of {experiment.file.name} keeps for the Sobol' stage;\n"
              "# written by `innosim sensitivity --method morris`, read by `keep: {from_screening: ...}`.\n")
    return write_text_atomic(Path(out_dir) / KEPT_FILE, header + yaml.safe_dump(data, sort_keys=False,
                                                                                  allow_unicode=True))


def read_kept(file: Path, setter: Path, key: str, factors, base_hash: str, screening: Path) -> dict[str, str]:
    """The kept factors (name -> reason) of a screening's `kept.yaml`, checked against this experiment:
    same base scenario (hash) and the same definition of every factor. `setter` and `key` are the
    experiment file and key that named `file`, for the error; `screening` the file to run if needed."""
    run = f"innosim sensitivity {screening} --method morris"
    if not file.is_file():
        raise ScenarioError(setter, key, msg("{file} not found: run the screening first ({run}; it writes {kept} in "
                                             "its output folder), or give the path of its {kept}", file=file, run=run,
                                             kept=KEPT_FILE))
    data = read_yaml(file)
    entries = data.get("keep")
    fingerprints = data.get("factors")
    if not (isinstance(entries, list) and isinstance(fingerprints, dict) and all(
            isinstance(e, dict) and isinstance(e.get("factor"), str) for e in entries)):
        raise ScenarioError(setter, key, msg("{file} is not a screening's {kept} (no keep: and factors: lists)",
                                             file=file, kept=KEPT_FILE))
    if data.get("base_hash") != base_hash:
        raise ScenarioError(setter, key, msg("{file} comes from a screening of another base scenario (hash {theirs}, "
                                             "this experiment's is {ours}: base file, scale, months or fixed differ); "
                                             "run the screening again ({run})", file=file,
                                             theirs=data.get('base_hash'), ours=base_hash, run=run))
    ours = {f.name: f.fingerprint() for f in factors}
    changed = sorted(n for n in set(ours) | set(fingerprints) if ours.get(n) != fingerprints.get(n))
    if changed:
        raise ScenarioError(setter, key, msg("{file} comes from a screening of other factor definitions (differ: "
                                             "{names}); run the screening again ({run})", file=file,
                                             names=f"{', '.join(changed[:4])}{', ...' if len(changed) > 4 else ''}",
                                             run=run))
    return {e["factor"]: str(e.get("reason", "")) for e in entries}
