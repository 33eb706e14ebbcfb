"""Compare the per-agent reference engine with the vectorised engine over replicates.

    uv run python benchmarks/oracle.py --seeds 8 --blocks 3 --days 150

Runs the setting of ``tests/test_reference.py`` (:data:`SETTING`; ``--set`` changes a
parameter) over consecutive blocks of seeds. For each compared metric and block: each
engine's mean of the per-seed mean daily values, their difference and two statistics
the test bounds (:func:`z_scores`, :func:`paired_t`).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import replicate_parser
from simulation import run
from simulation.params import Params, coerce
from simulation.reference import COMPARED, run_reference

# The oracle's setting: the peer scheme on, devolution half on (frontline decisions),
# paid care short of demand (packages queue, patients wait in hospital for them) and
# staff who leave often for short spells (vacant patches are covered by the next post).
SETTING = {"peer_scheme": True, "warmup_days": 60, "initial_volunteers_per_1000": 3.0,
           "devolved_authority": 0.5, "paid_care_hours_per_1000": 45.0,
           "attrition_rate": 2.0, "vacancy_days": 7.0}


def oracle_params(residents: int) -> Params:
    """The parameters of :data:`SETTING` for a town of ``residents``."""
    return Params.from_overrides({"residents": residents, **SETTING})


def engine_means(params: Params, seeds: range, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-seed mean daily value of each compared metric, for both engines.

    Returns:
        The reference's and the vectorised engine's, each of shape (seeds, metrics).
    """
    reference, vectorised = [], []
    for seed in seeds:
        rows = run_reference(params, seed, days)
        reference.append([np.mean([r[k] for r in rows]) for k in COMPARED])
        daily = run(None, params=params, seed=seed, days=days).daily
        vectorised.append([daily[k].mean() for k in COMPARED])
    return np.array(reference), np.array(vectorised)


def z_scores(reference: np.ndarray, vectorised: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Difference of the engines' means per metric and its standard error (unpaired).

    The standard error is Welch's, from each engine's spread over seeds, so it includes
    how much towns differ.

    Args:
        reference: Per-seed means of the reference engine, shape (seeds, metrics).
        vectorised: The same of the vectorised engine.
    """
    diff = reference.mean(axis=0) - vectorised.mean(axis=0)
    se = np.sqrt(reference.var(axis=0, ddof=1) / len(reference)
                 + vectorised.var(axis=0, ddof=1) / len(vectorised))
    return diff, se


def paired_t(reference: np.ndarray, vectorised: np.ndarray) -> np.ndarray:
    """Paired t statistic per metric: the mean of the per-seed differences over its se.

    Each seed's two runs share the town, so its differences leave out how much towns
    differ: far more sensitive than :func:`z_scores` for metrics set mostly by the town
    (hours of need and care), but with few seeds its tails are heavy (``seeds - 1``
    degrees of freedom). A metric whose differences are all zero gets 0.
    """
    d = reference - vectorised
    se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
    return np.divide(d.mean(axis=0), se, out=np.zeros(d.shape[1]), where=se > 0)


def main() -> None:
    parser = replicate_parser(__doc__, seeds=8, residents=2_000, days=150)
    parser.add_argument("--first-seed", type=int, default=0, help="first seed of a block")
    parser.add_argument("--blocks", type=int, default=1, help="blocks of --seeds seeds")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="change a parameter of the setting (repeatable)")
    args = parser.parse_args()
    params = Params.from_overrides(
        {name: coerce(name, value, from_text=True)
         for name, value in (item.split("=", 1) for item in args.set)},
        base=oracle_params(args.residents))
    for block in range(args.blocks):
        first = args.first_seed + block * args.seeds
        seeds = range(first, first + args.seeds)
        started = time.perf_counter()
        reference, vectorised = engine_means(params, seeds, args.days)
        diff, se = z_scores(reference, vectorised)
        z = np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)
        t = paired_t(reference, vectorised)
        print(f"\nseeds {first}-{seeds[-1]}, {args.residents} residents, {args.days} days "
              f"({time.perf_counter() - started:.0f} s): largest |z| {np.abs(z).max():.2f} "
              f"({COMPARED[int(np.abs(z).argmax())]}), largest paired |t| "
              f"{np.abs(t).max():.2f} ({COMPARED[int(np.abs(t).argmax())]})")
        print(f"{'metric':26s} {'reference':>11s} {'vectorised':>11s} {'diff':>9s} "
              f"{'se':>8s} {'z':>6s} {'paired t':>8s}")
        for k, name in enumerate(COMPARED):
            print(f"{name:26s} {reference[:, k].mean():11.3f} {vectorised[:, k].mean():11.3f} "
                  f"{diff[k]:9.3f} {se[k]:8.3f} {z[k]:6.2f} {t[k]:8.2f}")


if __name__ == "__main__":
    main()
