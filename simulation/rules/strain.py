"""Process 10 (carer strain): strain builds above a threshold; burnout harms the carer.

The day calls :func:`strain`; :func:`strained` and :func:`burns_out` are the rule for
one carer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.state import above_floor

if TYPE_CHECKING:
    from simulation.town import Town

STRAINED_ABOVE = 0.5  # strain above which a carer counts as strained
BURNOUT_AT = 1.0


class StrainCounts(NamedTuple):
    """What phase 9 counts, at the end of the day.

    Attributes:
        carers_strained: Carers under strain, not resting.
        carers_burnt_out: Carers resting after burnout.
    """

    carers_strained: int
    carers_burnt_out: int


def strain(town: Town) -> StrainCounts:
    """Phase 9 (process 10): strain moves with the day's unpaid hours (:func:`strained`); burnout.

    A carer burning out (:func:`burns_out`, at the end of a day's care) is burnt out for
    ``round(burnout_days)`` days counting that day, so gives no care on the days after it
    until those have passed (one fewer); they come back at the strained level and are
    ``burnout_frailty`` frailer (capped at 1).
    """
    s = town.state
    return StrainCounts(*_carer_strain(s.strain, s.given_today, s.burnout_until, s.frailty,
                                       town.day, strain_terms(town.params)))


class StrainTerms(NamedTuple):
    """The parameters of phase 9, in float32 like the state."""

    threshold: np.float32  # hours a day a carer gives before strain builds
    kept: np.float32  # share of strain kept each day (1 - strain_recovery)
    scale: np.float32  # excess hours that raise strain by one unit
    rest_days: int  # days a carer is burnt out, the day of burnout included
    burnout_frailty: np.float32  # frailty gained on burning out


@terms_of_params
def strain_terms(p: Params) -> StrainTerms:
    """:class:`StrainTerms` of the parameters."""
    f32 = np.float32
    return StrainTerms(f32(p.strain_threshold), f32(1.0 - p.strain_recovery),
                       f32(p.strain_scale), round(p.burnout_days), f32(p.burnout_frailty))


@njit(inline="always")
def strained(strain: np.float32, hours: np.float32, t: StrainTerms) -> np.float32:
    """One carer's strain after a day of ``hours`` of unpaid care.

    Hours above the threshold add (``excess / scale``) and a share is shed each day; at a
    steady load strain settles at ``excess / (strain_scale * strain_recovery)``; below
    :data:`~simulation.state.DECAY_FLOOR` it is 0.
    """
    return above_floor(strain * t.kept + max(hours - t.threshold, np.float32(0.0)) / t.scale)


@njit(inline="always")
def burns_out(strain: np.float32, burnout_until: int, day: int) -> bool:
    """Whether a carer burns out today: strain at :data:`BURNOUT_AT`, not resting."""
    return strain >= BURNOUT_AT and burnout_until <= day


@njit(cache=True)
def _carer_strain(strain, hours, burnout_until, frailty, day, t):
    strained_count = resting = 0
    for i in range(len(strain)):
        if strain[i] == 0.0 and hours[i] <= t.threshold:  # most residents: strain stays 0
            resting += burnout_until[i] > day
            continue
        strain[i] = strained(strain[i], hours[i], t)
        if burns_out(strain[i], burnout_until[i], day):
            burnout_until[i] = day + t.rest_days
            strain[i] = STRAINED_ABOVE
            frailty[i] = min(frailty[i] + t.burnout_frailty, np.float32(1.0))
        if burnout_until[i] > day:
            resting += 1
        elif strain[i] > STRAINED_ABOVE:
            strained_count += 1
    return strained_count, resting
