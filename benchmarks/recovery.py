"""Does calibration recover parameters it should? Targets made by the model itself.

    uv run python benchmarks/recovery.py                # the shipped North Norfolk sizes
    uv run python benchmarks/recovery.py --workers 2 --out out/recovery

The model is run at known values of the parameters ``experiments/calibrate_north_norfolk
.toml`` fits (8 seeds, none of them the calibration's), and its means become the
targets, with the same bands as North Norfolk's published ones. History matching then
runs exactly as for the published targets. It recovers the values if each lies within
the ensemble's spread and the known setting is itself plausible. Prints a line per
parameter and writes the calibration's outputs (``fit.html`` marks the known values
with a star). Exit code 1 if a value is not recovered.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from simulation.calibrate import (
    calibrate,
    evaluate_setting,
    load_calibration,
    recovery_targets,
)

CALIBRATION = Path(__file__).resolve().parents[1] / "experiments" / "calibrate_north_norfolk.toml"
TRUTH = {"need_threshold": 0.53, "need_max_hours": 145.0, "strain_threshold": 9.0}
TARGET_SEEDS = range(2000, 2008)


def recover(workers: int, out: Path, residents: int | None = None,
            points: int | None = None) -> tuple[list[str], bool]:
    """Run the check; return its lines for people and whether the values were recovered."""
    c = load_calibration(CALIBRATION).resized(residents=residents, points=points)
    started = time.monotonic()
    c = replace(c, title=f"Recovery check: {c.title}",
                targets=recovery_targets(c, TRUTH, TARGET_SEEDS))
    result = calibrate(c, workers=workers)
    result.truth = dict(TRUTH)
    result.write(out)
    truth = evaluate_setting(c, TRUTH, workers=workers)
    lines = [f"{c.runs} runs of {c.residents:,} residents ({c.waves} waves x {c.points} "
             f"settings x {c.replicates} seeds), {workers} workers: "
             f"{time.monotonic() - started:.0f} s in all, the targets' runs included"]
    lines += [f"target {t.key}: the model at the known values gives {t.show(t.value)} "
              f"(band {t.show(t.low)} to {t.show(t.high)})" for t in c.targets]
    recovered = truth.plausible and bool(result.members)
    for name, (low, high) in (result.spread().items() if result.members else []):
        inside = low <= TRUTH[name] <= high
        recovered &= inside
        lines.append(f"{name}: known {TRUTH[name]:.4g}; ensemble {low:.4g} to {high:.4g} "
                     f"(range {c.bounds[name][0]:.4g} to {c.bounds[name][1]:.4g}): "
                     + ("inside" if inside else "OUTSIDE"))
    lines.append(f"the known setting's largest implausibility: {truth.worst:.2f} "
                 f"({'plausible' if truth.plausible else 'RULED OUT'}); "
                 f"{len(result.members)} members")
    lines.append("recovered" if recovered else "NOT recovered")
    return lines, recovered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--residents", type=int, help="override the calibration's")
    parser.add_argument("--points", type=int, help="override the settings per wave")
    parser.add_argument("--out", type=Path, default=Path("out") / "recovery")
    args = parser.parse_args()
    lines, recovered = recover(args.workers, args.out, args.residents, args.points)
    print("\n".join(lines))
    print(f"outputs in {args.out}")
    return 0 if recovered else 1


if __name__ == "__main__":
    sys.exit(main())
