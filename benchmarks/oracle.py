"""Compare the per-agent reference engine with the vectorised engine over replicates.

    uv run python benchmarks/oracle.py --seeds 6 --residents 3000 --days 150

For each compared metric: the mean daily value per seed in each engine, the difference
of the engines' means and its standard error over seeds. Used to set the tolerances of
``tests/test_reference.py``.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import replicate_parser
from simulation import run
from simulation.params import Params
from simulation.reference import COMPARED, run_reference


def engine_means(params: Params, seeds: range, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-seed mean daily value of each compared metric, for both engines."""
    reference, vectorised = [], []
    for seed in seeds:
        rows = run_reference(params, seed, days)
        reference.append([np.mean([r[k] for r in rows]) for k in COMPARED])
        daily = run(None, params=params, seed=seed, days=days).daily
        vectorised.append([daily[k].mean() for k in COMPARED])
    return np.array(reference), np.array(vectorised)


def main() -> None:
    args = replicate_parser(__doc__, seeds=6, residents=3_000, days=150).parse_args()
    params = Params.from_overrides({"residents": args.residents, "peer_scheme": True,
                                    "warmup_days": 60})
    started = time.perf_counter()
    reference, vectorised = engine_means(params, range(args.seeds), args.days)
    print(f"{args.seeds} seeds, {args.residents} residents, {args.days} days, peer scheme on "
          f"({time.perf_counter() - started:.0f} s)")
    print(f"{'metric':22s} {'reference':>11s} {'vectorised':>11s} {'diff':>9s} {'se':>8s} "
          f"{'z':>6s}")
    for k, name in enumerate(COMPARED):
        diff = reference[:, k].mean() - vectorised[:, k].mean()
        se = np.sqrt(reference[:, k].var(ddof=1) / len(reference)
                     + vectorised[:, k].var(ddof=1) / len(vectorised))
        z = diff / se if se > 0 else 0.0
        print(f"{name:22s} {reference[:, k].mean():11.3f} {vectorised[:, k].mean():11.3f} "
              f"{diff:9.3f} {se:8.3f} {z:6.2f}")


if __name__ == "__main__":
    main()
