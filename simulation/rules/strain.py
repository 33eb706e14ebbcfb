"""Process 10 (carer strain): strain builds above a threshold; burnout harms the carer."""

from __future__ import annotations

import numpy as np

from simulation.params import Params

STRAINED_ABOVE = 0.5  # strain above which a carer counts as strained
BURNOUT_AT = 1.0


def strain_step(strain: np.ndarray, hours: np.ndarray, p: Params) -> np.ndarray:
    """Advance strain: hours above ``strain_threshold`` add, and a share is shed daily.

    At a steady load strain settles at ``excess / (strain_scale * strain_recovery)``.
    """
    excess = np.maximum(hours - p.strain_threshold, 0.0)
    return (strain * (1.0 - p.strain_recovery) + excess / p.strain_scale).astype(np.float32)
