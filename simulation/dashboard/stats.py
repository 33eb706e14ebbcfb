"""What a run shows so far, and how sure we can be: replicates, bands and paired differences.

A daily value of a rate is noise in a small town (a 30-day readmission rate at 2,000
residents swings between 0% and 50% from day to day); what a user asks is what happened
over the run. :func:`so_far` is each metric's summary from day 1 to a day, as ``carecap
run`` summarises a whole run, read from the to-date columns for the headline outcomes.

How sure we can be takes replicates: the same setting on other seeds.
:class:`Replicates` holds N seeds of the policy and, when comparing, the same N seeds
of the comparison (common random numbers: each pair shares a town), and gives each
side's mean with its 95% confidence interval, the paired difference with its interval,
and daily bands. Intervals are Student-t intervals over seeds, as the sweep report's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from simulation.metrics import NAMES, TO_DATE, summarise, value_range
from simulation.sweep.analysis import t_half_width

POLICY, COMPARISON = "policy", "comparison"


def so_far(frame: pd.DataFrame, day: int | None = None) -> dict[str, float]:
    """Every metric's summary over days 1 to ``day`` (default: every day in ``frame``).

    A headline outcome's figure is its to-date column on that day, which the headline
    shows, so the headline and any table agree to the last digit.
    """
    rows = frame if day is None else frame.iloc[:day]
    summary = summarise({name: rows[name].to_numpy() for name in NAMES})
    for metric in TO_DATE:
        summary[metric.of] = summary[metric.name]
    return summary


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving mean over ``window`` days (the first days average what there is).

    Works along the last axis, so a stack of runs (seeds by days) is smoothed run by run.
    """
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or values.shape[-1] == 0:
        return values
    total = np.cumsum(values, axis=-1)
    total[..., window:] = total[..., window:] - total[..., :-window]
    count = np.minimum(np.arange(1, values.shape[-1] + 1), window)
    return total / count


class Estimate(NamedTuple):
    """A mean over seeds with its 95% confidence interval (NaN bounds below 2 seeds)."""

    mean: float
    low: float
    high: float


def estimate(values: np.ndarray) -> Estimate:
    """The mean of ``values`` (one per seed) and its 95% Student-t interval."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    half = t_half_width(float(values.std(ddof=1)) if len(values) > 1 else float("nan"),
                        len(values))
    return Estimate(mean, mean - half, mean + half)


class Band(NamedTuple):
    """A daily band over seeds: each day's mean and its 95% interval."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class Replicates:
    """N seeds of a setting, and of its comparison on the same seeds.

    Attributes:
        seeds: The seeds, in order (the run on screen's seed first).
        days: Each run's length.
        runs: Daily tables by side (:data:`POLICY`, :data:`COMPARISON`), one per seed.
    """

    seeds: tuple[int, ...]
    days: int
    runs: dict[str, list[pd.DataFrame]]
    _summaries: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def paired(self) -> bool:
        """Whether the comparison was run too."""
        return COMPARISON in self.runs

    def describe(self) -> str:
        """Which runs these are, for a chart or a table: "8 seeds (7 to 14), 365 days"."""
        return (f"{len(self.seeds)} seeds ({self.seeds[0]} to {self.seeds[-1]}), "
                f"{self.days} days")

    def summaries(self, side: str) -> pd.DataFrame:
        """One row per seed: every metric's summary over the whole run."""
        if side not in self._summaries:
            self._summaries[side] = pd.DataFrame([so_far(frame) for frame in self.runs[side]],
                                                 index=list(self.seeds))
        return self._summaries[side]

    def outcome(self, name: str, side: str = POLICY) -> Estimate:
        """Metric ``name`` over the run: the mean over seeds and its interval."""
        return estimate(self.summaries(side)[name].to_numpy())

    def difference(self, name: str) -> Estimate:
        """Policy minus comparison over the run, seed by seed: the mean and its interval."""
        return estimate(self.summaries(POLICY)[name].to_numpy()
                        - self.summaries(COMPARISON)[name].to_numpy())

    def stack(self, side: str, column: str) -> np.ndarray:
        """A daily column of every seed's run: seeds by days."""
        return np.stack([frame[column].to_numpy(dtype=np.float64)
                         for frame in self.runs[side]])

    def band(self, side: str, column: str, window: int = 1, cumulative: bool = False) -> Band:
        """The daily mean of ``column`` over seeds, with its 95% interval.

        Args:
            side: :data:`POLICY` or :data:`COMPARISON`.
            column: A daily metric.
            window: Smooth each run first (days; 1 for none), as the live line is.
            cumulative: Running totals instead of daily values.
        """
        values = self.stack(side, column)
        return _band(np.cumsum(values, axis=1) if cumulative else smooth(values, window),
                     *value_range(column))

    def difference_band(self, column: str, window: int = 1) -> Band:
        """The daily paired difference, policy minus comparison, with its 95% interval."""
        return _band(smooth(self.stack(POLICY, column) - self.stack(COMPARISON, column),
                            window))


def _band(values: np.ndarray, lowest: float = -np.inf, highest: float = np.inf) -> Band:
    """Each day's mean over runs and its 95% interval, kept within ``lowest``-``highest``.

    A metric's band is kept within what it can take
    (:func:`~simulation.metrics.value_range`); a difference between runs is not limited.
    """
    mean = values.mean(axis=0)
    n = values.shape[0]
    sd = values.std(axis=0, ddof=1) if n > 1 else np.full_like(mean, np.nan)
    half = t_half_width(1.0, n) * sd  # the t quantile over sqrt(n), times each day's sd
    return Band(mean, np.clip(mean - half, lowest, highest), np.clip(mean + half, lowest, highest))
