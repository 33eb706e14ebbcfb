"""The worked example of docs/your-area.md, measured: calibration, recovery, comparison.

    uv run python benchmarks/area_example.py              # 2 workers, the guide's sizes

Runs ``experiments/calibrate_north_norfolk.toml`` as shipped, the recovery check of
``benchmarks/recovery.py`` and ``carecap compare-ensemble`` of ``peer_visits`` against
``baseline`` over the ensemble (8 seeds of 5,000 residents per member), and writes what
each gave, with the time it took, into the generated blocks of ``docs/your-area.md``.
Outputs go to ``out/area_example/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from benchmarks.recovery import recover
from simulation.calibrate import calibrate, load_calibration
from simulation.docblocks import write_block
from simulation.ensemble import Comparison, compare_ensemble, comparison_table, load_ensemble

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "your-area.md"
COMMAND = "uv run python benchmarks/area_example.py"
CALIBRATION = ROOT / "experiments" / "calibrate_north_norfolk.toml"
SEEDS, RESIDENTS = 8, 5_000


def _calibration_block(workers: int, out: Path) -> str:
    c = load_calibration(CALIBRATION)
    result = calibrate(c, workers=workers)
    result.write(out)
    by_wave = ", ".join(f"{sum(e.plausible for e in result.evaluations if e.wave == w)} of "
                        f"{c.points} in wave {w}" for w in range(1, c.waves + 1))
    rows = ["| parameter | range tried | ensemble's spread | least implausible |",
            "|---|---|---|---|"]
    for name, (low, high) in result.spread().items():
        rows.append(f"| `{name}` | {c.bounds[name][0]:g} to {c.bounds[name][1]:g} | "
                    f"{low:.4g} to {high:.4g} | {result.best.values[name]:.4g} |")
    targets = "; ".join(f"{t.key} {t.show(result.best.means[t.key])} against {t.show(t.value)}"
                        f" (band {t.show(t.low)} to {t.show(t.high)})" for t in c.targets)
    return (f"Measured: {c.runs} runs of {c.residents:,} residents for {c.days} days took "
            f"{result.seconds:.0f} s with {workers} workers on a machine with "
            f"{os.cpu_count()} cores. Plausible settings: {by_wave}; {len(result.members)} "
            f"kept.\n\n" + "\n".join(rows) + f"\n\nAt the least implausible setting: "
            f"{targets}. A spread as wide as its range says the targets do not constrain "
            "that parameter: its uncertainty is carried into the comparison below.")


def _comparison_block(workers: int, out: Path) -> str:
    ensemble = load_ensemble(out / "ensemble.toml")
    comparison = compare_ensemble(ensemble, "baseline", "peer_visits", seeds=SEEDS,
                                  residents=RESIDENTS, workers=workers)
    comparison.write(out / "comparison")
    return comparison_text(comparison, workers)


def comparison_text(comparison: Comparison, workers: int) -> str:
    """The comparison's block: what was run, the table, and what calibration changed."""
    rows = ["| outcome | best setting, seeds only | ensemble, seeds only | ensemble, seeds "
            "and calibration |", "|---|---|---|---|"]
    rows += ["| " + " | ".join(row) + " |" for row in comparison_table(comparison)]
    table = comparison.intervals()
    sure = table[(table["seeds_low"] > 0) | (table["seeds_high"] < 0)]
    unsure = sure[(sure["ensemble_low"] <= 0) & (sure["ensemble_high"] >= 0)]
    said = (f" With the setting taken as known, {len(sure)} of the {len(table)} differences "
            "exclude zero; with calibration uncertainty, "
            + (", ".join(f"`{o}`" for o in unsure["outcome"]) + " no longer do"
               if len(unsure) else "all of them still do") + ".")
    members = int(table["members"].iloc[0])
    return (f"Measured: `{comparison.arms[1]}` − `{comparison.arms[0]}`, {members} members × "
            f"{SEEDS} seeds × 2 arms = {len(comparison.runs)} runs of {RESIDENTS:,} residents "
            f"for a year, {comparison.seconds:.0f} s with {workers} workers; mean difference "
            "(95% interval), shares in percentage points.\n\n" + "\n".join(rows) + "\n\n"
            + said.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out") / "area_example")
    args = parser.parse_args()
    calibration = _calibration_block(args.workers, args.out / "calibration")
    write_block(GUIDE, "area calibration", COMMAND, calibration)
    lines, recovered = recover(args.workers, args.out / "recovery")
    write_block(GUIDE, "area recovery", COMMAND, "Measured: " + "; ".join(lines[:1]) + ".\n\n"
                + "\n".join(f"* {line}" for line in lines[1:]))
    write_block(GUIDE, "area comparison", COMMAND,
                _comparison_block(args.workers, args.out / "calibration"))
    print(f"written into {GUIDE.relative_to(ROOT)}; recovered: {recovered}")
    return 0 if recovered else 1


if __name__ == "__main__":
    sys.exit(main())
