"""The tables of docs/sensitivity.md: Morris screening, its noise floor, Sobol indices.

    uv run carecap sweep experiments/morris_assumptions.toml --out out/morris
    uv run carecap sweep experiments/sobol_uncertain.toml --out out/sobol
    uv run python benchmarks/sensitivity.py --morris out/morris --sobol out/sobol

Morris's mu* (the mean absolute elementary effect: how far the outcome moves when one
parameter steps two thirds of its range, the others anywhere in theirs) is shown as a
percentage of the outcome's mean at the scenario's defaults, so the outcomes can be read
side by side. Every point of a sweep shares one seed, but a changed parameter changes
which draws fall where, so part of every elementary effect is noise. The noise floor is
what mu* would be from noise alone: the mean absolute difference of two runs with
independent seeds at the defaults, over the step (``2 x sd / (sqrt(pi) x step)``), from
``--noise-seeds`` runs at the sweep's size. Common random numbers make the true floor
lower, so a parameter above the floor moves the outcome; one below it cannot be told
from noise at this size.
"""

from __future__ import annotations

import argparse
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import run
from simulation.docblocks import write_block
from simulation.metrics import BY_NAME
from simulation.sweep.analysis import Sweep

DOC = Path(__file__).resolve().parents[1] / "docs" / "sensitivity.md"
COMMAND = "uv run python benchmarks/sensitivity.py --morris out/morris --sobol out/sobol"


def _summary(job: tuple[str, int, int, int]) -> dict[str, float]:
    scenario, seed, residents, days = job
    return run(scenario, seed=seed, days=days, residents=residents).summary


def noise(sweep: Sweep, seeds: int) -> pd.DataFrame:
    """Mean and seed-to-seed sd of each outcome at the defaults, at the sweep's size."""
    manifest = sweep.manifest
    scenario = manifest["scenarios"][0]
    residents, days = int(manifest["residents"]), int(manifest["days"])
    jobs = [(scenario, 10_000 + seed, residents, days) for seed in range(seeds)]
    with ProcessPoolExecutor() as pool:
        runs = list(pool.map(_summary, jobs))
    return pd.DataFrame({o: [r[o] for r in runs] for o in sweep.outcomes}).agg(["mean", "std"])


def _short(outcome: str) -> str:
    return BY_NAME[outcome].label


def _point_outputs(sweep: Sweep) -> pd.DataFrame:
    """Each design point's outcomes (its mean over replicates), in design order."""
    stats = sweep.arm_stats(sweep.outcomes)
    return stats.pivot(index="arm", columns="outcome", values="mean").sort_index()


def morris_block(sweep: Sweep, floor: pd.DataFrame) -> str:
    """The screening table: mu* as % of the mean, parameters by their largest effect."""
    from SALib.analyze import morris

    design = sweep.design
    problem, matrix = design["problem"], np.asarray(design["matrix"], dtype=np.float64)
    levels = int(design["levels"])
    step = levels / (2 * (levels - 1))
    y = _point_outputs(sweep)
    outcomes = sweep.outcomes
    relative, above = {}, {}
    for outcome in outcomes:
        result = morris.analyze(problem, matrix, y[outcome].to_numpy(np.float64),
                                num_levels=levels, seed=1)
        mean, sd = floor.loc["mean", outcome], floor.loc["std", outcome]
        noise_mu = 2 * sd / (math.sqrt(math.pi) * step)
        relative[outcome] = 100 * np.asarray(result["mu_star"]) / abs(mean)
        above[outcome] = np.asarray(result["mu_star"]) / noise_mu
        relative[f"floor {outcome}"] = 100 * noise_mu / abs(mean)
    names = problem["names"]
    strength = np.max([above[o] for o in outcomes], axis=0)
    order = np.argsort(-strength, kind="stable")
    header = ["Parameter", *(_short(o) for o in outcomes), "Largest mu* / floor"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i in order:
        cells = []
        for o in outcomes:
            value = f"{relative[o][i]:.1f}"
            cells.append(f"**{value}**" if above[o][i] >= 1 else value)
        lines.append(f"| `{names[i]}` | " + " | ".join(cells) + f" | {strength[i]:.1f} |")
    floor_cells = [f"{relative[f'floor {o}']:.1f}" for o in outcomes]
    lines.append("| *noise floor* | " + " | ".join(floor_cells) + " | 1 |")
    points = len(matrix)
    manifest = sweep.manifest
    size = (f"{points} runs ({design['samples']} trajectories of {len(names) + 1} points, "
            f"{levels} levels), {int(manifest['residents']):,} residents, "
            f"{manifest['days']} days, scenario `{manifest['scenarios'][0]}`")
    return (f"{size}. mu* as a percentage of the outcome's mean at the defaults; **bold** "
            f"where it is above the noise floor.\n\n" + "\n".join(lines))


def sobol_block(sweep: Sweep) -> str:
    """First-order and total Sobol indices with 95% bounds, per outcome."""
    table, notes = sweep.sensitivity(sweep.outcomes)
    design, manifest = sweep.design, sweep.manifest
    names = design["problem"]["names"]
    parts = [f"{len(design['matrix'])} runs ({design['samples']} base samples x "
             f"({len(names)} + 2)), {int(manifest['residents']):,} residents, "
             f"{manifest['days']} days, scenario `{manifest['scenarios'][0]}`; S1 is the "
             "share of the outcome's variance a parameter explains alone, ST with its "
             "interactions (95% bootstrap bounds)."]
    for outcome in sweep.outcomes:
        rows = table[table["outcome"] == outcome]
        if rows.empty:
            continue
        wide = rows.pivot(index="parameter", columns="index", values=["value", "conf"])
        wide = wide.sort_values(("value", "ST"), ascending=False)
        lines = [f"**{_short(outcome)}** (S1 summed: "
                 f"{wide[('value', 'S1')].sum():.2f})", "",
                 "| Parameter | S1 | ST |", "|---|---|---|"]
        for name, row in wide.iterrows():
            lines.append(f"| `{name}` | {row[('value', 'S1')]:.2f} ± {row[('conf', 'S1')]:.2f}"
                         f" | {row[('value', 'ST')]:.2f} ± {row[('conf', 'ST')]:.2f} |")
        parts.append("\n".join(lines))
    parts += [f"*{note}*" for note in notes]
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--morris", type=Path, required=True, help="a Morris sweep folder")
    parser.add_argument("--sobol", type=Path, help="a Sobol sweep folder")
    parser.add_argument("--noise-seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=DOC, help="the file whose blocks to fill")
    args = parser.parse_args()
    screening = Sweep(args.morris)
    floor = noise(screening, args.noise_seeds)
    write_block(args.out, "morris", COMMAND, morris_block(screening, floor))
    print(f"morris: written to {args.out}")
    if args.sobol:
        write_block(args.out, "sobol", COMMAND, sobol_block(Sweep(args.sobol)))
        print(f"sobol: written to {args.out}")


if __name__ == "__main__":
    main()
