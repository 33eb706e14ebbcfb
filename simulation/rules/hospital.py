"""Process 2 (hospital): length of stay and delayed discharge."""

from __future__ import annotations

import numpy as np

from simulation.params import Params


def draw_stay(older: np.ndarray, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Draw days until each newly admitted patient is medically fit (geometric, >= 1).

    Args:
        older: Whether each admitted patient is aged 65+.
        p: Parameters (mean stays by age).
        rng: The ``hospital`` stream.
    """
    mean = np.where(older, p.stay_days_older, p.stay_days_younger)
    return rng.geometric(1.0 / mean).astype(np.int16)


def discharge_waits(needs_care: np.ndarray, pressure: float, p: Params,
                    rng: np.random.Generator) -> np.ndarray:
    """Decide which medically fit patients must wait another day in hospital.

    Only patients who need care at home can be held up; the chance grows with the
    community's pressure (0-1, the share of professional capacity in use).

    Args:
        needs_care: Whether each medically fit patient needs care at home.
        pressure: Community pressure, 0-1.
        p: Parameters.
        rng: The ``hospital`` stream.
    """
    chance = p.delayed_discharge_base * float(np.clip(pressure, 0.0, 1.0))
    return needs_care & (rng.random(len(needs_care)) < chance)
