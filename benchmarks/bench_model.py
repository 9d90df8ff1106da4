"""Agent-steps per second of the default baseline against Mesa's Boltzmann wealth model.

Both are timed in this one process, one after the other, so the ratio holds on a noisy machine.
The reference is the introductory model of Mesa's tutorial, without space: 10,000 agents, each
with wealth gives one unit to a random agent, `shuffle_do("step")`, Gini collected by a
DataCollector every step, 100 steps. One deviation, in the reference's favour: the tutorial's
``self.random.choice(self.model.agents)`` rebuilds a list of all agents on every call (O(n));
here the agent list is built once (the population never changes), which makes the reference
far faster than the tutorial as written.

Firms and talents are table rows (no Mesa object each); agent-steps count the agents alive each
month (firms, talents, incubators, funds), as `len(model.agents)` did when each was a Mesa agent.
The baseline is timed at run.scale 1 (the zone's firm universe) and 3 (three times as many
agents: a cost growing faster than the agents shows as a falling ratio).

    python benchmarks/bench_model.py [--repeats 3] [--scales 1 3] [--scenario scenarios/baseline.yaml]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import mesa
import numpy as np

from innosim.model import simulate
from innosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def gini(model) -> float:
    wealth = np.sort(np.fromiter((a.wealth for a in model.agents), float))
    n = wealth.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ wealth / (n * wealth.sum()))


class MoneyAgent(mesa.Agent):
    def __init__(self, model):
        super().__init__(model)
        self.wealth = 1

    def step(self):
        if self.wealth > 0:
            other = self.random.choice(self.model.agent_list)
            other.wealth += 1
            self.wealth -= 1


class BoltzmannWealth(mesa.Model):
    def __init__(self, n=10_000, rng=None):
        super().__init__(rng=rng)
        MoneyAgent.create_agents(self, n)
        self.agent_list = list(self.agents)
        self.datacollector = mesa.DataCollector(model_reporters={"Gini": gini})

    def step(self):
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def time_boltzmann(n: int = 10_000, steps: int = 100) -> tuple[float, float]:
    started = time.perf_counter()
    model = BoltzmannWealth(n, rng=42)
    for _ in range(steps):
        model.step()
    seconds = time.perf_counter() - started
    return n * steps / seconds, seconds


def time_innosim(scenario_file: Path, scale: float = 1.0) -> tuple[float, float, int]:
    scenario = load_scenario(scenario_file, {"run.scale": scale})
    started = time.perf_counter()
    result = simulate(scenario, seed=42)
    seconds = time.perf_counter() - started
    return result.agent_steps / seconds, seconds, result.agent_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 3.0])
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    time_boltzmann(steps=5)  # imports and caches warm, for both
    simulate(load_scenario(args.scenario), seed=0, months=1)
    ratios: dict[float, list[float]] = {scale: [] for scale in args.scales}
    for i in range(args.repeats):
        for scale in args.scales:
            ref_rate, ref_s = time_boltzmann()
            rate, seconds, agent_steps = time_innosim(args.scenario, scale)
            ratios[scale].append(rate / ref_rate)
            print(f"repeat {i + 1}, scale {scale:g}: Boltzmann {ref_rate:,.0f} agent-steps/s ({ref_s:.1f} s); "
                  f"innosim baseline {rate:,.0f} agent-steps/s ({agent_steps:,} agent-steps in {seconds:.1f} s); "
                  f"ratio {rate / ref_rate:.2f}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for scale, values in ratios.items():
        print(f"scale {scale:g}: median ratio innosim/Boltzmann {np.median(values):.2f} "
              f"(range {min(values):.2f}-{max(values):.2f}; aim: >= 4)")


if __name__ == "__main__":
    main()
