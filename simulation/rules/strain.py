"""Process 10 (carer strain): strain builds above a threshold; burnout harms the carer."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params

STRAINED_ABOVE = 0.5  # strain above which a carer counts as strained
BURNOUT_AT = 1.0


def strain_step(strain: np.ndarray, hours: np.ndarray, p: Params) -> np.ndarray:
    """Advance strain: hours above ``strain_threshold`` add, and a share is shed daily.

    At a steady load strain settles at ``excess / (strain_scale * strain_recovery)``.
    """
    f32 = np.float32
    return _strain_step(strain, hours, f32(p.strain_threshold), f32(1.0 - p.strain_recovery),
                        f32(p.strain_scale))


@njit(cache=True)
def _strain_step(strain: np.ndarray, hours: np.ndarray, threshold: np.float32,
                 kept: np.float32, scale: np.float32) -> np.ndarray:
    new = np.empty(len(strain), dtype=np.float32)
    for i in range(len(strain)):
        new[i] = strain[i] * kept + max(hours[i] - threshold, np.float32(0.0)) / scale
    return new


@njit(cache=True)
def burning_out(strain: np.ndarray, burnout_until: np.ndarray, day: int) -> np.ndarray:
    """Carers whose strain has reached ``BURNOUT_AT`` and who are not already resting."""
    burning = np.empty(len(strain), dtype=np.int64)
    count = 0
    for i in range(len(strain)):
        if strain[i] >= BURNOUT_AT and burnout_until[i] <= day:
            burning[count] = i
            count += 1
    return burning[:count].copy()
