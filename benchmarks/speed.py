"""Speed and memory of the full model, side by side with Starsim, in one run.

    uv run python benchmarks/speed.py
    uv run python benchmarks/speed.py --sizes 1000,10000 --repeats 3   # quick look

Each measurement runs in a fresh child process so peak memory is its own. carecap's run
in the project's environment, as ``uv run carecap`` runs; Starsim's in an environment
``uv run --with starsim==3.7.*`` adds for them (its packages are not installed with the
project). Keeping carecap out of that added environment matters: uv runs it without
writing bytecode, so the modules numba imports as it sets up (inside carecap's timing,
unlike Starsim's imports) would be compiled from source in every process, about 0.3 s
that no installed carecap pays. Printed:
wall time of ``run("baseline", days=365)`` including construction and warm-up (median of
``--repeats``), construction time, resident-days per second, peak memory; Starsim's SIS
on a RandomNet of the same size and days; the ratio; the per-agent reference engine
against carecap, both timed in one warm process; a dashboard-sized step. Figures are
printed, never asserted: machines are noisy. ``--json FILE`` keeps them for the docs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

CHILD_FLAG = "--child"
STARSIM = "starsim==3.7.*"  # the version compared against, fetched by uv for its runs


def _measure_carecap(residents: int, days: int, seed: int) -> dict[str, float]:
    from simulation.day import start
    from simulation.params import Params
    from simulation.runner import run

    # The run first, so its wall time includes loading the compiled kernels, as any
    # fresh process pays; then building the town alone, with the kernels loaded.
    started = time.perf_counter()
    run("baseline", seed=seed, days=days, residents=residents)
    wall = time.perf_counter() - started
    started = time.perf_counter()
    start(Params.from_overrides({"residents": residents, "warmup_days": 0}), seed)
    construction = time.perf_counter() - started
    warmup = Params().warmup_days
    return {"wall_s": wall, "construction_s": construction,
            "resident_days_per_s": residents * (days + warmup) / wall}


def _measure_agents(residents: int, seed: int) -> dict[str, float]:
    from simulation.model import CareModel

    started = time.perf_counter()
    model = CareModel(scenario="baseline", seed=seed, residents=residents)
    built = time.perf_counter() - started
    started = time.perf_counter()
    agents = len(model.agents)
    made = time.perf_counter() - started
    steps = []
    for _ in range(30):
        started = time.perf_counter()
        model.step()
        steps.append(time.perf_counter() - started)
    return {"model_s": built, "all_agents_s": made, "agents": agents,
            "step_ms": 1000 * statistics.median(steps)}


def _measure_reference(residents: int, days: int, seed: int) -> dict[str, float]:
    """Both engines in one warm process: carecap (median of 3) against one reference run.

    Each engine first runs a small town, so imports and compiled kernels are loaded
    before anything is timed; a fresh process adds the same start-up to both (see the
    table above for carecap's). Wall and CPU time are both kept: on a shared machine CPU
    time is the steadier of the two.
    """
    from simulation.params import Params
    from simulation.reference import run_reference
    from simulation.runner import run

    def timed(job: Callable[[], object]) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        job()
        return time.perf_counter() - wall, time.process_time() - cpu

    run("baseline", seed=seed, days=30, residents=1_000)
    run_reference(Params.from_overrides({"residents": 200}), seed, 10)
    mine = [timed(lambda s=s: run("baseline", seed=s, days=days, residents=residents))
            for s in range(seed, seed + 3)]
    reference = timed(lambda: run_reference(Params.from_overrides({"residents": residents}),
                                            seed, days))
    return {"wall_s": reference[0], "cpu_s": reference[1],
            "carecap_wall_s": statistics.median(m[0] for m in mine),
            "carecap_cpu_s": statistics.median(m[1] for m in mine)}


def _measure_starsim(residents: int, days: int, seed: int) -> dict[str, float]:
    import starsim as ss

    started = time.perf_counter()
    sim = ss.Sim(n_agents=residents, diseases=ss.SIS(), networks=ss.RandomNet(),
                 start=ss.date("2000-01-01"), dur=ss.days(days), dt=ss.days(1),
                 rand_seed=seed, verbose=0)
    sim.run()
    return {"wall_s": time.perf_counter() - started, "version": ss.__version__}


MEASURES = {"carecap": _measure_carecap, "starsim": _measure_starsim,
            "reference": _measure_reference}


def _child(kind: str, residents: int, days: int, seed: int) -> dict[str, float]:
    """Run one measurement in a fresh process and return its figures and peak memory."""
    python = [sys.executable]
    if kind == "starsim":
        uv = os.environ.get("UV") or shutil.which("uv")
        if uv is None:
            return {"error": "uv not found: Starsim is run through `uv run --with`"}
        python = [uv, "run", "--quiet", "--with", STARSIM, "python"]
    command = [*python, __file__, CHILD_FLAG, kind, str(residents), str(days), str(seed)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child_main(kind: str, residents: str, days: str, seed: str) -> None:
    if kind == "agents":
        figures = _measure_agents(int(residents), int(seed))
    else:
        figures = MEASURES[kind](int(residents), int(days), int(seed))
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--starsim-size", type=int, default=100_000)
    parser.add_argument("--reference-size", type=int, default=10_000,
                        help="residents for the per-agent reference (one run: it is slow)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    report: dict[str, object] = {"days": args.days, "repeats": args.repeats, "carecap": {}}

    print(f"carecap baseline, {args.days} days (+ warm-up), median of {args.repeats} runs")
    print(f"{'residents':>10} {'wall s':>8} {'build s':>8} {'res-days/s':>12} {'peak MB':>8}")
    for size in sizes:
        runs = [_child("carecap", size, args.days, seed) for seed in range(args.repeats)]
        if any("error" in r for r in runs):
            print(f"{size:>10,} failed: {next(r['error'] for r in runs if 'error' in r)}")
            continue
        row = {k: _median(runs, k) for k in ("wall_s", "construction_s",
                                             "resident_days_per_s", "peak_mb")}
        report["carecap"][size] = row  # type: ignore[index]
        print(f"{size:>10,} {row['wall_s']:8.2f} {row['construction_s']:8.2f} "
              f"{row['resident_days_per_s']:12,.0f} {row['peak_mb']:8.0f}")

    starsim = [_child("starsim", args.starsim_size, args.days, seed)
               for seed in range(args.repeats)]
    if any("error" in r for r in starsim):
        print(f"Starsim not measured ({starsim[0].get('error')}); it is fetched with "
              f'`uv run --with "{STARSIM}"`, which needs the package index')
    else:
        wall = _median(starsim, "wall_s")
        report["starsim"] = {"residents": args.starsim_size, "wall_s": wall,
                             "version": starsim[0]["version"]}
        print(f"Starsim {starsim[0]['version']} SIS on RandomNet, {args.starsim_size:,} agents,"
              f" {args.days} days: {wall:.2f} s (median)")
        mine = report["carecap"].get(args.starsim_size)  # type: ignore[union-attr]
        if mine:
            print(f"carecap / Starsim wall-time ratio at {args.starsim_size:,}: "
                  f"{mine['wall_s'] / wall:.2f}")

    reference = _child("reference", args.reference_size, args.days, 0)
    if "error" not in reference:
        from simulation.params import Params  # light: the model is loaded in children

        # both engines simulate the warm-up before the days reported
        resident_days = args.reference_size * (args.days + Params().warmup_days)
        reference["cpu_us_per_resident_day"] = 1e6 * reference["cpu_s"] / resident_days
        report["reference"] = {"residents": args.reference_size, **reference}
        print(f"per-agent reference engine, {args.reference_size:,} residents, side by side in "
              f"one warm process: reference {reference['wall_s']:.1f} s wall, "
              f"{reference['cpu_s']:.1f} s CPU (one run; "
              f"{reference['cpu_us_per_resident_day']:.2f} us CPU per resident-day); carecap "
              f"{reference['carecap_wall_s']:.2f} s wall, {reference['carecap_cpu_s']:.2f} s "
              f"CPU (median of 3); vectorised is "
              f"{reference['wall_s'] / reference['carecap_wall_s']:.0f}x faster by wall time, "
              f"{reference['cpu_s'] / reference['carecap_cpu_s']:.0f}x by CPU time")

    agents = [_child("agents", 2_000, args.days, seed) for seed in range(args.repeats)]
    if not any("error" in r for r in agents):
        report["dashboard"] = {k: _median(agents, k) for k in ("step_ms", "model_s")}
        print(f"dashboard model (2,000 residents): one step {_median(agents, 'step_ms'):.1f} ms"
              f" (median), build with warm-up {_median(agents, 'model_s'):.2f} s")
    if 1_000_000 in sizes:
        big = _child("agents", 1_000_000, args.days, 0)
        if "error" not in big:
            report["agents_1m"] = big
            print(f"1,000,000 residents: CareModel built (with warm-up) in {big['model_s']:.1f} s;"
                  f" all {big['agents']:,} Mesa agents made in {big['all_agents_s']:.1f} s;"
                  f" peak {big['peak_mb']:.0f} MB")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == CHILD_FLAG:
        _child_main(*sys.argv[2:6])
    else:
        main()
