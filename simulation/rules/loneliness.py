"""Process 7 (personalisation and loneliness): only unpaid contact eases loneliness."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params
from simulation.state import ACTIVE

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
    out = np.empty(len(loneliness), dtype=np.float32)
    _step(loneliness, quiet, care_contact, np.asarray(volunteering, dtype=np.bool_),
          float(p.contact_hours), np.float32(p.loneliness_rate), out)
    return out


def step_town(loneliness: np.ndarray, quiet: np.ndarray, care_contact: np.ndarray,
              volunteer: np.ndarray, p: Params) -> None:
    """:func:`loneliness_step` of the whole town, in place; ``volunteer`` as kept."""
    _step(loneliness, quiet, care_contact, volunteer == ACTIVE, float(p.contact_hours),
          np.float32(p.loneliness_rate), loneliness)


def _step(loneliness: np.ndarray, quiet: np.ndarray, care_contact: np.ndarray,
          volunteering: np.ndarray, contact_hours: float, rate: np.float32,
          out: np.ndarray) -> None:
    # Numpy's float32 exp, for the few who receive care (a compiled loop would use the C
    # library's, which can differ in the last bit).
    touched = np.flatnonzero(care_contact > 0)
    eased = np.exp(-care_contact[touched] / np.float32(contact_hours))
    _moved(loneliness, quiet, touched, eased, volunteering, rate, out)


@njit(cache=True)
def _moved(loneliness: np.ndarray, quiet: np.ndarray, touched: np.ndarray,
           eased: np.ndarray, volunteering: np.ndarray, rate: np.float32,
           out: np.ndarray) -> None:
    """Write each person's loneliness tomorrow into ``out`` (which may be ``loneliness``)."""
    k = 0
    for i in range(len(loneliness)):
        level = quiet[i]
        if k < len(touched) and touched[k] == i:
            level *= eased[k]
            k += 1
        if volunteering[i]:
            level *= np.float32(VOLUNTEER_ISOLATION_FACTOR)
        out[i] = loneliness[i] + rate * (level - loneliness[i])
