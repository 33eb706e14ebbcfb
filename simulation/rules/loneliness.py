"""Process 7 (personalisation and loneliness): only unpaid contact eases loneliness."""

from __future__ import annotations

import numpy as np

from simulation.params import Params

LONELY_ABOVE = 0.5  # loneliness score above which a person counts as often lonely
TIE_CONTACT_HOURS = 0.05  # everyday contact each kin or neighbour tie gives, hours/day
VOLUNTEER_ISOLATION_FACTOR = 0.5  # volunteering halves the isolation felt


def loneliness_step(loneliness: np.ndarray, isolation: np.ndarray, contact: np.ndarray,
                    volunteering: np.ndarray, p: Params) -> np.ndarray:
    """Move loneliness (0-1) toward the level the person's contact allows.

    The level is ``isolation * exp(-contact / contact_hours)``: unpaid care received,
    peer visits and everyday ties count as contact; paid care and professional hours do
    not (a personal budget cannot buy friendship). Volunteering eases isolation.

    Args:
        loneliness: Current loneliness.
        isolation: Baseline isolation of each person.
        contact: Unpaid contact, hours per day (moving mean plus ties).
        volunteering: Whether the person is an active peer volunteer.
        p: Parameters.
    """
    level = isolation * np.exp(-contact / p.contact_hours)
    level = level * np.where(volunteering, VOLUNTEER_ISOLATION_FACTOR, 1.0)
    return (loneliness + p.loneliness_rate * (level - loneliness)).astype(np.float32)
