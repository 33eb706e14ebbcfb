"""Sweep scaling: the same sweep on 1 and on 2 workers, side by side, with its start-up.

    uv run python benchmarks/sweep_scaling.py                      # 64 runs, 3 repeats
    uv run python benchmarks/sweep_scaling.py --runs 128 --repeats 5

Each sweep is the ``carecap sweep`` command in a fresh process, into a fresh folder, as a
user runs it: one arm (baseline) of ``--runs`` replicates at ``--residents`` x
``--days``. Within each repeat the worker counts run one after the other, in alternating
order, so a change in the machine's load falls on both alike. Printed: each sweep's wall
time (from starting the command to its exit) and start-up (from the command to its first
run starting, as the command reports it), the medians and the best, the speed-ups (on 1
worker over on 2), and the load average around each sweep.

Beside it, the machine's own ceiling, measured in each repeat too: the same runs in one
plain process, then in two at once (no sweep, no pool), and the ratio of their
throughputs. On shared or virtual machines two busy processes can each run slower than
one alone; a sweep cannot scale past that. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP = re.compile(r"its first run starting ([0-9.]+) s after the command")


def sweep(experiment: Path, out: Path, workers: int) -> tuple[float, float]:
    """Run one sweep; return its wall time and its start-up, in seconds."""
    command = [sys.executable, "-m", "simulation.cli", "sweep", str(experiment),
               "--workers", str(workers), "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    found = STARTUP.search(" ".join(done.stdout.split()))  # the console may wrap the line
    if found is None:
        raise SystemExit(f"no start-up in the sweep's output:\n{done.stdout}")
    return wall, float(found.group(1))


def plain_runs(runs: int, residents: int, days: int, together: int) -> float:
    """Runs per second of ``together`` plain processes each running ``runs`` runs at once."""
    code = ("import sys, time\n"
            "from simulation.runner import run\n"
            "run(None, seed=0, days=2, residents=200, warmup_days=0)\n"
            "sys.stdin.readline()\n"  # start together, once loaded
            "started = time.perf_counter()\n"
            f"for seed in range({runs}):\n"
            f"    run(None, seed=seed, days={days}, residents={residents})\n"
            "print(time.perf_counter() - started)\n")
    children = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for _ in range(together)]
    time.sleep(3)  # each has loaded the model
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    seconds = max(float(child.communicate()[0]) for child in children)
    return together * runs / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=64)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ceiling-runs", type=int, default=8,
                        help="runs per process for the machine's ceiling (0: skip it)")
    args = parser.parse_args()
    ceilings: list[float] = []
    counts = (1, 2)
    walls: dict[int, list[float]] = {w: [] for w in counts}
    startups: dict[int, list[float]] = {w: [] for w in counts}
    print(f"{args.runs} runs of {args.residents:,} residents x {args.days} days; "
          f"{os.cpu_count()} cores; load average before: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        experiment = Path(folder) / "scaling.toml"
        experiment.write_text(f'title = "Sweep scaling"\nscenarios = ["baseline"]\n'
                              f"replicates = {args.runs}\nresidents = {args.residents}\n"
                              f"days = {args.days}\n")
        for repeat in range(args.repeats):
            for workers in counts if repeat % 2 == 0 else counts[::-1]:
                out = Path(folder) / f"out-{repeat}-{workers}"
                load = os.getloadavg()[0]
                wall, startup = sweep(experiment, out, workers)
                walls[workers].append(wall)
                startups[workers].append(startup)
                print(f"repeat {repeat + 1}, {workers} worker(s): {wall:6.2f} s, start-up "
                      f"{startup:.2f} s (load average {load:.2f} before, "
                      f"{os.getloadavg()[0]:.2f} after)")
                shutil.rmtree(out)
            if args.ceiling_runs:
                one = plain_runs(args.ceiling_runs, args.residents, args.days, 1)
                two = plain_runs(args.ceiling_runs, args.residents, args.days, 2)
                ceilings.append(two / one)
                print(f"repeat {repeat + 1}, the machine's ceiling: {one:.2f} runs/s in one "
                      f"plain process, {two:.2f} in two at once: {two / one:.2f}x")
    median = {w: statistics.median(walls[w]) for w in counts}
    best = {w: min(walls[w]) for w in counts}  # the least disturbed by other work
    print()
    for workers in counts:
        print(f"{workers} worker(s): median {median[workers]:.2f} s, best {best[workers]:.2f} s, "
              f"start-up median {statistics.median(startups[workers]):.2f} s")
    print(f"speed-up on 2 workers: {median[1] / median[2]:.2f}x of the medians over "
          f"{args.repeats} repeats, {best[1] / best[2]:.2f}x of the best")
    if ceilings:
        print(f"the machine's ceiling for 2 processes: {statistics.median(ceilings):.2f}x "
              f"(median; {', '.join(f'{c:.2f}' for c in ceilings)})")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
