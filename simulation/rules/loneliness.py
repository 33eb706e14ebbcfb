"""Process 7 (personalisation and loneliness): only unpaid contact eases loneliness."""

from __future__ import annotations

import numpy as np

from simulation.params import Params

LONELY_ABOVE = 0.5  # loneliness score above which a person counts as often lonely
TIE_CONTACT_HOURS = 0.05  # everyday contact each kin or neighbour tie gives, hours/day
VOLUNTEER_ISOLATION_FACTOR = 0.5  # volunteering halves the isolation felt


def quiet_level(isolation: np.ndarray, ties: np.ndarray, p: Params) -> np.ndarray:
    """Loneliness a person settles at with no care contact.

    That is ``isolation`` eased by the everyday contact of their kin and neighbour ties
    (``TIE_CONTACT_HOURS`` each).
    """
    return (isolation * np.exp(-TIE_CONTACT_HOURS * ties / p.contact_hours)).astype(np.float32)


def loneliness_step(loneliness: np.ndarray, quiet: np.ndarray, care_contact: np.ndarray,
                    volunteering: np.ndarray, p: Params) -> np.ndarray:
    """Move loneliness (0-1) toward the level the person's contact allows.

    The level is ``quiet * exp(-care_contact / contact_hours)``: unpaid care received
    and peer visits count as contact (on top of the everyday contact already in
    ``quiet``); paid care and professional hours do not (a personal budget cannot buy
    friendship). Volunteering eases isolation.

    Args:
        loneliness: Current loneliness.
        quiet: Each person's level with no care contact (see :func:`quiet_level`).
        care_contact: Unpaid care and visits received, hours per day (moving mean).
        volunteering: Whether the person is an active peer volunteer.
        p: Parameters.
    """
    level = quiet.copy()
    touched = np.flatnonzero(care_contact > 0)  # the few who receive care: exp for them
    level[touched] *= np.exp(-care_contact[touched] / np.float32(p.contact_hours))
    level[np.flatnonzero(volunteering)] *= np.float32(VOLUNTEER_ISOLATION_FACTOR)
    return (loneliness + np.float32(p.loneliness_rate) * (level - loneliness)) \
        .astype(np.float32, copy=False)
