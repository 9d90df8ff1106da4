"""Where a package's gains come from: its effect on the first objective's stock split by
`analysis.decompose`, against the base on the same parameter sets and seeds."""

from __future__ import annotations

from innosim.analysis import decompose
from innosim.analysis.optimise.search import SearchResult
from innosim.analysis.optimise.spec import Optimisation


def decompose_packages(o: Optimisation, result: SearchResult, rows: list[int]):
    """The decomposition of the front's packages `rows` (labelled by their place on the front), or None
    when the first objective is not a stock the decomposition knows or the runs lack its flows."""
    term = o.objectives[0].output.terms[0]
    if term.indicator not in decompose.STOCKS or term.how not in (None, "mean"):
        return None
    evaluator = result.evaluator
    done = evaluator.done
    labels, groups = {}, {}
    for row in rows:
        x = result.front.iloc[row][[d.name for d in o.dials]].to_numpy(dtype=float)
        index = next(i for i, seen in enumerate(done.X) if (abs(seen - x) < 1e-9).all())
        name = f"package {row + 1}"
        groups[name] = done.tasks[index]
    groups = {"base": evaluator.base_tasks, **groups}
    label = {}
    for name, by_member in groups.items():
        for member, tasks in by_member.items():
            for task in tasks:
                label[task.key] = (name, member)
    tasks = [task for by_member in groups.values() for ts in by_member.values() for task in ts]
    ts = evaluator.store.timeseries(tasks, indicators=decompose.NEEDED)
    if ts.empty or set(decompose.NEEDED) - set(ts["indicator"].unique()):
        return None
    which = ts["key"].map(label)
    # pairs are (parameter set, seed): a replicate number of its own for each
    ts = ts.assign(scenario=which.map(lambda v: v[0]),
                   replicate=which.map(lambda v: v[1]) * 100_000 + ts["replicate"])
    how, last = ("end", None) if term.how is None else ("mean", term.last)
    return decompose.effects(ts, baseline="base", how=how, last=last, level=o.spec.level, scale=o.spec.scale)
