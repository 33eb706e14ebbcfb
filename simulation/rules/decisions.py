"""Process 8 (subsidiarity): who takes a decision, and the manager's queue."""

from __future__ import annotations

import numpy as np

from simulation.params import Params


def step_in_probability(morale: np.ndarray, p: Params) -> np.ndarray:
    """Chance a frontline professional takes a decision at once.

    Authority must be devolved (``devolved_authority``), and staff must step into it,
    which they do more when morale is high and participation is extended to them.
    """
    willing = np.minimum(1.0, morale * (0.5 + p.staff_participation))
    return p.devolved_authority * willing


def manager_capacity(posts_filled: int, p: Params, rng: np.random.Generator) -> int:
    """Decisions managers take today (the fractional part is taken with its chance)."""
    expected = p.manager_decisions_per_post * posts_filled
    whole = int(expected)
    return whole + int(rng.random() < expected - whole)


def oldest_first(raised_day: np.ndarray, capacity: int) -> np.ndarray:
    """Positions of the ``capacity`` longest-waiting decisions (first come, first served)."""
    if capacity >= len(raised_day):
        return np.arange(len(raised_day))
    return np.argsort(raised_day, kind="stable")[:capacity]
