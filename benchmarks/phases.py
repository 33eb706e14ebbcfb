"""Where a day's time goes: milliseconds per simulated day in each phase of the model.

    uv run python benchmarks/phases.py --residents 100000 --days 365

Each phase of :data:`simulation.day.PHASES` is run through a CPU-time counter (CPU time,
so other work on the machine disturbs it less than wall time); "metrics and
bookkeeping" is the rest of the run: the daily metric reports, the table and the summary.
A short run first compiles and loads the kernels, so the figures are for a warm process.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import defaultdict

from simulation import day
from simulation.params import Params
from simulation.runner import run


def _timed(spent: dict[str, float], phase: day.Phase) -> day.Phase:
    def timed_run(town):
        started = time.process_time()
        try:
            return phase.run(town)
        finally:
            spent[phase.name] += time.process_time() - started
    return dataclasses.replace(phase, run=timed_run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    run("baseline", seed=args.seed, days=2, residents=1_000)  # compile and load kernels
    spent: dict[str, float] = defaultdict(float)
    day.PHASES = tuple(_timed(spent, phase) for phase in day.PHASES)
    started = time.process_time()
    run("baseline", seed=args.seed, days=args.days, residents=args.residents)
    total = time.process_time() - started
    simulated = args.days + Params().warmup_days
    print(f"{args.residents:,} residents, {args.days} days (+ warm-up): "
          f"{total:.2f} s CPU, {1000 * total / simulated:.2f} ms per simulated day")
    rows = sorted(spent.items(), key=lambda item: -item[1])
    rows.append(("metrics and bookkeeping", total - sum(spent.values())))
    for name, seconds in rows:
        print(f"  {name:<24} {1000 * seconds / simulated:8.2f} ms/day "
              f"{seconds / total:6.1%}")


if __name__ == "__main__":
    main()
