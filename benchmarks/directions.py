"""Measure the scenario effects the tests check, over many seeds, to set their tolerances.

    uv run python benchmarks/directions.py --seeds 16 --residents 10000 --days 365

Prints, for each (arm, comparison, outcome) the tests rely on, the mean paired
difference (arm minus comparison, same seed), its standard deviation and the 95%
confidence interval of the mean.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np

from benchmarks.common import replicate_parser
from simulation import run
from simulation.sweep.analysis import t_half_width

# (arm, the arm it is compared with, outcomes)
CHECKS = (
    ("peer_visits", "baseline", ("readmission_rate_30d", "basics_missing")),
    ("co_production_and_subsidiarity", "devolved_decisions",
     ("readmission_rate_30d", "basics_missing")),
    ("devolved_decisions", "baseline",
     ("decision_delay_days", "delayed_bed_days", "readmission_rate_30d", "staff_morale")),
    ("family_absorbs", "baseline",
     ("family_hours", "unmet_hours", "unpaid_share_women", "unpaid_share_minority")),
    ("mutual_aid", "baseline", ("neighbour_hours", "neighbour_helper_share", "lonely_share")),
    ("defensive_risk", "peer_visits", ("peer_first_visits", "readmission_rate_30d")),
)


def _summary(job: tuple[str, int, int, int]) -> dict[str, float]:
    arm, seed, days, residents = job
    return run(arm, seed=seed, days=days, residents=residents).summary


def main() -> None:
    args = replicate_parser(__doc__, seeds=16, residents=10_000, days=365).parse_args()
    arms = sorted({arm for check in CHECKS for arm in check[:2]})
    jobs = [(arm, seed, args.days, args.residents) for arm in arms for seed in range(args.seeds)]
    with ProcessPoolExecutor(2) as pool:
        results = dict(zip(jobs, pool.map(_summary, jobs), strict=True))
    print(f"{args.seeds} seeds, {args.residents} residents, {args.days} days")
    for arm, other, outcomes in CHECKS:
        for outcome in outcomes:
            base = np.array([results[other, s, args.days, args.residents][outcome]
                             for s in range(args.seeds)])
            diff = np.array([results[arm, s, args.days, args.residents][outcome]
                             for s in range(args.seeds)]) - base
            sd = diff.std(ddof=1)
            half = t_half_width(sd, len(diff))
            print(f"{arm} - {other}  {outcome}: {other} {base.mean():.5g}, diff "
                  f"{diff.mean():+.5g} (95% CI {diff.mean() - half:+.5g} to "
                  f"{diff.mean() + half:+.5g}), sd {sd:.4g}")


if __name__ == "__main__":
    main()
