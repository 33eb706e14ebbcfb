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
    touched, eased = _eased(care_contact, p)
    _moved(loneliness, quiet, touched, eased, np.where(volunteering, ACTIVE, 0),
           np.zeros(len(loneliness), dtype=np.bool_), np.float32(p.loneliness_rate), out)
    return out


def step_town(loneliness: np.ndarray, quiet: np.ndarray, care_contact: np.ndarray,
              volunteer: np.ndarray, older: np.ndarray, p: Params) -> tuple[int, int]:
    """:func:`loneliness_step` of the whole town, in place; ``volunteer`` as kept.

    Returns:
        Active volunteers, and residents aged 65+ (``older``) who are lonely.
    """
    touched, eased = _eased(care_contact, p)
    return _moved(loneliness, quiet, touched, eased, volunteer, older,
                  np.float32(p.loneliness_rate), loneliness)


def _eased(care_contact: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Who receives care contact, and ``exp(-contact / contact_hours)`` for them.

    Numpy's float32 exp on purpose: a compiled loop would use the C library's, which can
    differ in the last bit.
    """
    touched, exponents = _exponents(care_contact, np.float32(p.contact_hours))
    return touched, np.exp(exponents)


@njit(cache=True)
def _exponents(care_contact: np.ndarray,
               contact_hours: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Residents with care contact (in order), and ``-contact / contact_hours`` of each."""
    touched = np.empty(len(care_contact) + 1, dtype=np.int64)
    count = 0
    for i in range(len(care_contact)):  # without a branch: this loop runs town-wide
        touched[count] = i
        count += care_contact[i] > 0
    touched = touched[:count]
    exponents = np.empty(count, dtype=np.float32)
    for k in range(count):
        exponents[k] = -care_contact[touched[k]] / contact_hours
    return touched, exponents


@njit(cache=True)
def _moved(loneliness: np.ndarray, quiet: np.ndarray, touched: np.ndarray,
           eased: np.ndarray, volunteer: np.ndarray, older: np.ndarray, rate: np.float32,
           out: np.ndarray) -> tuple[int, int]:
    """Write each person's loneliness tomorrow into ``out`` (which may be ``loneliness``).

    Returns the count of active volunteers and of ``older`` residents left lonely.
    """
    level = quiet.copy()
    for k in range(len(touched)):
        level[touched[k]] *= eased[k]
    volunteers = lonely_older = 0
    for i in range(len(loneliness)):  # counted without branches: this loop runs town-wide
        active = volunteer[i] == ACTIVE
        volunteers += active
        eased_level = level[i] * (np.float32(VOLUNTEER_ISOLATION_FACTOR) if active
                                  else np.float32(1.0))
        out[i] = loneliness[i] + rate * (eased_level - loneliness[i])
        lonely_older += older[i] & (out[i] > LONELY_ABOVE)
    return volunteers, lonely_older
