"""The lever table on result tables: paired effects, the probability each lever ranks first, and
when to stop adding seeds.

Every variant (base, full, each lever on alone, each lever off alone) runs on the same seeds, and
the model draws each mechanism's random numbers per month from its own stream keyed by agent row
(common random numbers), so a lever's effect is measured seed by seed: the paired difference's
t interval (Law 2015, *Simulation Modeling and Analysis*, 5th ed., section 10.2) is far narrower
than comparing independent runs. Directions:

- on: the lever switched on alone minus the base (what it adds to the pre-integration zone);
- off: the full scenario minus the full scenario without the lever (what it adds to the rest).

Which lever ranks first is resampled over seeds (a seed's variants together, so their shared
chance stays shared): the share of bootstrap samples in which each lever's mean effect is the
largest (Efron and Tibshirani 1993, *An Introduction to the Bootstrap*, chapter 6). Nothing here
runs a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innosim.analysis.compare.stats import paired_differences, t_interval

DIRECTIONS = {"on": ("base", "on:{}"), "off": ("off:{}", "full")}   # (reference, with the lever)
RANK_BY = {"on_from_base": "on", "off_from_full": "off"}
#: Fixed, so that a report's probabilities are the same each time it is written from the same runs.
BOOTSTRAP_SEED = 20240611
STOP_REASONS = {"precision": "precision met", "leader": "leader clear", "cap": "cap reached"}


def lever_effects(values: pd.DataFrame, levers: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Per lever, direction, output and region: the mean paired effect with its t interval.

    `values`: variant, replicate, seed, output, region, value (one row per run and output).
    Columns: lever, direction, output, region, n, reference_mean, mean, effect, sd, ci_low,
    ci_high, half_width, excludes_zero, relative (effect / |reference_mean|)."""
    end = values.rename(columns={"variant": "scenario", "output": "indicator"})
    frames = []
    for lever in levers:
        for direction, (reference, treated) in DIRECTIONS.items():
            ref, treat = reference.format(lever), treated.format(lever)
            pair = end[end["scenario"].isin([ref, treat])]
            table = paired_differences(pair, ref, level)
            frames.append(table.assign(lever=lever, direction=direction))
    table = pd.concat(frames, ignore_index=True).rename(columns={
        "indicator": "output", "diff": "effect", "baseline_mean": "reference_mean"})
    table["half_width"] = (table["ci_high"] - table["ci_low"]) / 2
    columns = ["lever", "direction", "output", "region", "n", "reference_mean", "mean", "effect", "sd",
               "ci_low", "ci_high", "half_width", "excludes_zero", "relative"]
    return table[columns]


def effect_matrix(values: pd.DataFrame, levers: Sequence[str], output: str, region: str,
                  direction: str) -> tuple[np.ndarray, list[int]]:
    """Paired effects of one output, seed by seed: array [seed, lever], and the seeds in order."""
    rows = values[(values["output"] == output) & (values["region"] == region)]
    wide = rows.pivot_table(index="seed", columns="variant", values="value", aggfunc="first")
    reference, treated = DIRECTIONS[direction]
    columns = [wide[treated.format(lever)] - wide[reference.format(lever)] for lever in levers]
    matrix = pd.concat(columns, axis=1).dropna()
    return matrix.to_numpy(dtype=float), [int(s) for s in matrix.index]


def rank_first(effects: np.ndarray, resamples: int = 2000, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """P(lever ranks first): the share of bootstrap samples over seeds (rows of `effects`, [seed,
    lever]) in which the lever's mean effect is the largest. A tie in a sample is shared equally."""
    effects = np.asarray(effects, dtype=float)
    n = effects.shape[0]
    pick = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    means = effects[pick].mean(axis=1)                       # [resample, lever]
    best = means == means.max(axis=1, keepdims=True)
    return (best / best.sum(axis=1, keepdims=True)).mean(axis=0)


def tied_with(effects: np.ndarray, leader: int, level: float = 0.95) -> list[int]:
    """The levers the seeds cannot tell from the leader: the t interval of (leader - lever),
    paired by seed, includes zero."""
    tied = []
    for j in range(effects.shape[1]):
        if j != leader:
            _, low, _ = t_interval(effects[:, leader] - effects[:, j], level)
            if not low > 0:
                tied.append(j)
    return tied


@dataclass(frozen=True)
class Verdict:
    """After a block of seeds: stop or go on, and why."""

    stop: bool
    reason: str            # "precision", "leader", "cap" or "" (go on)
    widest: float          # the widest headline half-width (the output's units)
    precision: float       # the half-width asked for (same units)
    leader: int            # index of the lever with the largest mean effect
    leader_probability: float


def stopping_rule(half_widths: Sequence[float], probabilities: Sequence[float], means: Sequence[float],
                  precision: float, leader_probability: float, seeds: int, cap: int,
                  tied: bool = False) -> Verdict:
    """Stop when every headline interval is narrower than `precision` (half-width), or when the
    leading lever ranks first in at least `leader_probability` of bootstrap samples and no lever is
    `tied` with it (see `tied_with`: both tests must agree, which keeps a tie looked at block after
    block from passing for a leader by chance), or at the cap."""
    widest = float(np.nanmax(half_widths)) if len(half_widths) else np.nan
    leader = int(np.nanargmax(means))
    probability = float(probabilities[leader])
    if widest <= precision:
        reason = "precision"
    elif probability >= leader_probability and not tied:
        reason = "leader"
    elif seeds >= cap:
        reason = "cap"
    else:
        reason = ""
    return Verdict(bool(reason), reason, widest, precision, leader, probability)


@dataclass
class LeverTable:
    """What the report is made of."""

    levers: list[str]                  # lever names, in the file's order
    labels: dict[str, str]
    values: pd.DataFrame               # variant, replicate, seed, output, region, value (planner units)
    effects: pd.DataFrame              # lever_effects
    ranks: pd.DataFrame                # direction, output, region, lever, probability, rank
    verdict: Verdict
    headline: tuple[str, str]          # (output, region)
    rank_direction: str                # "on" or "off"
    tied: list[str]                    # levers the seeds cannot tell from the leader
    history: list[dict]                # one row per block: seeds, widest, precision, leader, probability
    looks: int = 1                     # the looks the blocks allow up to the cap
    tie_level: float = 0.95            # the level of the tie test (Bonferroni over the looks)


def headline_ranks(values: pd.DataFrame, levers: Sequence[str], output: str, region: str,
                   resamples: int) -> pd.DataFrame:
    """P(first) of each lever in both directions for one output and region."""
    rows = []
    for direction in DIRECTIONS:
        effects, _ = effect_matrix(values, levers, output, region, direction)
        probabilities = rank_first(effects, resamples)
        order = np.argsort(-effects.mean(axis=0), kind="stable")
        ranks = np.empty(len(levers), int)
        ranks[order] = np.arange(1, len(levers) + 1)
        rows += [{"direction": direction, "output": output, "region": region, "lever": lever,
                  "probability_first": float(p), "rank": int(r)}
                 for lever, p, r in zip(levers, probabilities, ranks, strict=True)]
    return pd.DataFrame(rows)


def assess(values: pd.DataFrame, levers: Sequence[str], labels: dict[str, str], headline: tuple[str, str],
           rank_direction: str, precision: float, leader_probability: float, resamples: int, cap: int,
           level: float = 0.95, history: list[dict] | None = None, looks: int = 1) -> LeverTable:
    """Every table of the report from the runs so far, and whether to stop.

    `looks`: how many times the stopping rule may look at the runs (blocks up to the cap). The tie
    test's level is raised to 1 - (1 - level) / looks (Bonferroni), so that a tie looked at block
    after block is declared clear by chance no more often than 1 - level in all."""
    effects = lever_effects(values, levers, level)
    output, region = headline
    ranks = headline_ranks(values, levers, output, region, resamples)
    head = effects[(effects["output"] == output) & (effects["region"] == region)]
    ranked = head[head["direction"] == rank_direction].set_index("lever").loc[list(levers)]
    probabilities = ranks[ranks["direction"] == rank_direction].set_index("lever").loc[list(levers)]
    seeds = int(values["seed"].nunique())
    matrix, _ = effect_matrix(values, levers, output, region, rank_direction)
    strict = 1 - (1 - level) / max(1, looks)
    tied = [levers[j] for j in tied_with(matrix, int(np.nanargmax(ranked["effect"].to_numpy())), strict)]
    verdict = stopping_rule(head["half_width"].to_numpy(), probabilities["probability_first"].to_numpy(),
                            ranked["effect"].to_numpy(), precision, leader_probability, seeds, cap, bool(tied))
    history = list(history or []) + [{"seeds": seeds, "widest_half_width": verdict.widest,
                                      "precision": precision, "leader": levers[verdict.leader],
                                      "leader_probability": verdict.leader_probability,
                                      "decision": STOP_REASONS.get(verdict.reason, "add a block")}]
    return LeverTable(list(levers), dict(labels), values, effects, ranks, verdict, headline, rank_direction,
                      tied, history, looks, strict)
