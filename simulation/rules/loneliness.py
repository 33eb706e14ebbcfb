"""Process 7 (personalisation and loneliness): only unpaid contact eases loneliness.

The day calls :func:`loneliness`; :func:`moved` is the rule for one person, and
:func:`quiet_level` sets each person's loneliness with no care contact, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params
from simulation.state import ACTIVE

if TYPE_CHECKING:
    from simulation.town import Town

LONELY_ABOVE = 0.5  # loneliness score above which a person counts as often lonely
TIE_CONTACT_HOURS = 0.05  # everyday contact each kin or neighbour tie gives, hours/day
VOLUNTEER_ISOLATION_FACTOR = 0.5  # volunteering halves the isolation felt


class LonelinessCounts(NamedTuple):
    """What phase 6 counts, at the end of the day.

    Attributes:
        volunteers: Active peer volunteers.
        lonely_older: Residents aged 65+ who are lonely.
    """

    volunteers: int
    lonely_older: int


def loneliness(town: Town) -> LonelinessCounts:
    """Phase 6 (process 7): loneliness moves toward the level the person's contact allows.

    The level is ``quiet * exp(-care_contact / contact_hours)``: unpaid care received
    and peer visits count as contact (on top of the everyday contact already in
    ``quiet``); paid care and professional hours do not (a personal budget cannot buy
    friendship). Volunteering eases isolation. See :func:`moved`.
    """
    s, p = town.state, town.params
    touched, exponents = _exponents(s.contact_ema, np.float32(p.contact_hours))
    # Numpy's float32 exp on purpose: a compiled loop would use the C library's, which
    # can differ in the last bit.
    return LonelinessCounts(*_move_all(s.loneliness, s.quiet, touched, np.exp(exponents),
                                       s.volunteer, town.pop.older,
                                       np.float32(p.loneliness_rate)))


def quiet_level(isolation: np.ndarray, ties: np.ndarray, p: Params) -> np.ndarray:
    """Loneliness a person settles at with no care contact.

    That is ``isolation`` eased by the everyday contact of their kin and neighbour ties
    (``TIE_CONTACT_HOURS`` each).
    """
    return (isolation * np.exp(-TIE_CONTACT_HOURS * ties / p.contact_hours)).astype(np.float32)


@njit(inline="always")
def moved(loneliness: np.float32, level: np.float32, volunteering: bool,
          rate: np.float32) -> np.float32:
    """One person's loneliness tomorrow: a step of ``rate`` toward ``level``.

    ``level`` is what their contact allows (see :func:`loneliness`); volunteering
    multiplies it by :data:`VOLUNTEER_ISOLATION_FACTOR`.
    """
    eased = level * (np.float32(VOLUNTEER_ISOLATION_FACTOR) if volunteering
                     else np.float32(1.0))
    return loneliness + rate * (eased - loneliness)


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
def _move_all(loneliness, quiet, touched, eased, volunteer, older, rate):
    """:func:`moved` for every resident, in place; count volunteers and lonely older."""
    level = quiet.copy()
    for k in range(len(touched)):
        level[touched[k]] *= eased[k]
    volunteers = lonely_older = 0
    for i in range(len(loneliness)):  # counted without branches: this loop runs town-wide
        active = volunteer[i] == ACTIVE
        volunteers += active
        loneliness[i] = moved(loneliness[i], level[i], active, rate)
        lonely_older += older[i] & (loneliness[i] > LONELY_ABOVE)
    return volunteers, lonely_older
