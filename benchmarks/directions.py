"""Measure the scenario effects the tests check, over many seeds, to set their tolerances.

    uv run python benchmarks/directions.py --seeds 20 --residents 10000 --days 365

Prints, for each (arm, outcome) pair the tests rely on, the mean paired difference
against the baseline with the same seed, its standard deviation and standard error.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import replicate_parser
from simulation import run

CHECKS = (
    ("peer_visits", "readmission_rate_30d"),
    ("family_absorbs", "unpaid_share_women"),
    ("devolved_decisions", "decision_delay_days"),
    ("co_production_and_subsidiarity", "readmission_rate_30d"),
)


def main() -> None:
    args = replicate_parser(__doc__, seeds=20, residents=10_000, days=365).parse_args()
    arms = sorted({arm for arm, _ in CHECKS})
    summaries = {arm: [] for arm in ["baseline", *arms]}
    for seed in range(args.seeds):
        for arm in summaries:
            summaries[arm].append(run(arm, seed=seed, days=args.days,
                                      residents=args.residents).summary)
    print(f"{args.seeds} seeds, {args.residents} residents, {args.days} days")
    for arm, outcome in CHECKS:
        base = np.array([s[outcome] for s in summaries["baseline"]])
        diff = np.array([s[outcome] for s in summaries[arm]]) - base
        print(f"{arm:32s} {outcome:22s} baseline {base.mean():.4f}  "
              f"diff mean {diff.mean():+.4f} sd {diff.std(ddof=1):.4f} "
              f"se {diff.std(ddof=1) / np.sqrt(len(diff)):.4f} "
              f"min {diff.min():+.4f} max {diff.max():+.4f}")


if __name__ == "__main__":
    main()
