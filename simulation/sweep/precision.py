"""Target precision: add replicates in batches until every arm's CI is narrow enough.

Each round plans ``R`` replicates of every arm (the manifest grows, finished runs stay),
runs what is missing, then measures each arm's 95% CI half-width of each target
outcome. It stops when every arm is within every target, or at the maximum. Rerunning
after a kill starts from the replicates the folder already plans, so nothing is redone,
and the rounds it then takes are the ones it would have taken: the runs, and so the
half-widths at each replicate count, are the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from simulation.sweep.analysis import Sweep
from simulation.sweep.experiment import Experiment, Precision
from simulation.sweep.store import SweepStore


@dataclass(frozen=True)
class Reached:
    """Where a precision sweep stopped.

    Attributes:
        replicates: Replicates per arm when it stopped.
        widest: Outcome -> the widest 95% CI half-width over the arms.
        reached: Whether every target was met (else the maximum stopped it).
    """

    replicates: int
    widest: dict[str, float]
    reached: bool


def widest_half_widths(folder, outcomes: list[str]) -> dict[str, float]:
    """Each outcome's widest 95% CI half-width over the arms (NaN if any arm has n < 2)."""
    stats = Sweep(folder).arm_stats(outcomes)
    return {o: float(stats.loc[stats["outcome"] == o, "half_width"].max(skipna=False))
            for o in outcomes}


def sweep_to_precision(experiment: Experiment, store: SweepStore, precision: Precision,
                       run_batch: Callable[[Experiment], None],
                       after_round: Callable[[Reached], None] | None = None,
                       command: str | None = None) -> Reached:
    """Run ``experiment`` with more replicates until ``precision`` is reached.

    Args:
        experiment: The experiment; its replicates are the first round's.
        store: Its folder (prepared here, round by round).
        precision: The targets, the maximum and the batch size.
        run_batch: Runs an experiment's missing runs into ``store``.
        after_round: Called with the state after each round.
        command: The command that makes the same sweep again, for the manifest.
    """
    replicates = min(experiment.replicates, precision.max_replicates)
    if (store.folder / "manifest.json").exists():
        replicates = max(replicates, store.manifest()["replicates"])
    while True:
        planned = experiment.resized(replicates=replicates)
        store.prepare(planned, command)
        run_batch(planned)
        widest = widest_half_widths(store.folder, list(precision.half_widths))
        reached = all(math.isfinite(widest[o]) and widest[o] <= target
                      for o, target in precision.half_widths.items())
        state = Reached(replicates, widest, reached)
        if after_round is not None:
            after_round(state)
        if reached or replicates >= precision.max_replicates:
            return state
        replicates = min(replicates + precision.batch, precision.max_replicates)
