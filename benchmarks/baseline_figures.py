"""Baseline calibration figures over seeds: mean, spread and the published targets.

    uv run python benchmarks/baseline_figures.py --seeds 10 --residents 10000
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import replicate_parser
from simulation import run

TARGETS = {
    "readmission_rate_30d": "12.5-13.8% (NHS Digital, indicator 3b)",
    "carer_prevalence": "8-12% of adults (ONS Census 2021: 9.0% of people 5+)",
    "carer_prevalence_women": "10.3% of women (ONS Census 2021)",
    "carer_prevalence_men": "7.6% of men (ONS Census 2021)",
    "carers_50h_share": "about 30% of carers (ONS Census 2021)",
    "unpaid_share_women": "women over-represented",
    "lonely_share": "7% of 65+ often lonely (Age UK 2024)",
    "decision_delay_days": "",
    "staff_morale": "",
    "professional_utilisation": "",
}


def main() -> None:
    args = replicate_parser(__doc__, seeds=10, residents=10_000, days=365).parse_args()
    runs = [run("baseline", seed=s, days=args.days, residents=args.residents).summary
            for s in range(args.seeds)]
    print(f"baseline, {args.seeds} seeds, {args.residents} residents, {args.days} days")
    for name, target in TARGETS.items():
        values = np.array([r[name] for r in runs])
        print(f"{name:26s} mean {values.mean():8.4f}  sd {values.std(ddof=1):7.4f}  "
              f"min {values.min():8.4f}  max {values.max():8.4f}  target {target}")


if __name__ == "__main__":
    main()
