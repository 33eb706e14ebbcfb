"""Process 10 (carer strain): strain builds above a threshold; burnout harms the carer."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params

STRAINED_ABOVE = 0.5  # strain above which a carer counts as strained
BURNOUT_AT = 1.0


def strain_step(strain: np.ndarray, hours: np.ndarray, p: Params) -> np.ndarray:
    """Advance strain: hours above ``strain_threshold`` add, and a share is shed daily.

    At a steady load strain settles at ``excess / (strain_scale * strain_recovery)``.
    """
    return _strain_step(strain, hours, *_strain_terms(p))


def carer_strain(strain: np.ndarray, hours: np.ndarray, burnout_until: np.ndarray,
                 frailty: np.ndarray, day: int, p: Params) -> tuple[int, int]:
    """Phase 10 in place: strain moves (:func:`strain_step`); carers burn out.

    A carer burning out (:func:`burning_out`) rests for ``burnout_days``, comes back at
    the strained level and is ``burnout_frailty`` frailer (capped at 1).

    Returns:
        Carers strained (above ``STRAINED_ABOVE``, not resting) and carers resting after
        burnout, at the end of the day.
    """
    return _carer_strain(strain, hours, burnout_until, frailty, day, *_strain_terms(p),
                  round(p.burnout_days), np.float32(p.burnout_frailty))


@terms_of_params
def _strain_terms(p: Params) -> tuple[np.float32, np.float32, np.float32]:
    f32 = np.float32
    return f32(p.strain_threshold), f32(1.0 - p.strain_recovery), f32(p.strain_scale)


@njit(inline="always")
def _strained(strain: np.float32, hours: np.float32, threshold: np.float32,
              kept: np.float32, scale: np.float32) -> np.float32:
    return strain * kept + max(hours - threshold, np.float32(0.0)) / scale


@njit(inline="always")
def _burns_out(strain: np.float32, burnout_until: int, day: int) -> bool:
    return strain >= BURNOUT_AT and burnout_until <= day


@njit(cache=True)
def _strain_step(strain: np.ndarray, hours: np.ndarray, threshold: np.float32,
                 kept: np.float32, scale: np.float32) -> np.ndarray:
    new = np.empty(len(strain), dtype=np.float32)
    for i in range(len(strain)):
        new[i] = _strained(strain[i], hours[i], threshold, kept, scale)
    return new


@njit(cache=True)
def burning_out(strain: np.ndarray, burnout_until: np.ndarray, day: int) -> np.ndarray:
    """Carers whose strain has reached ``BURNOUT_AT`` and who are not already resting."""
    burning = np.empty(len(strain), dtype=np.int64)
    count = 0
    for i in range(len(strain)):
        if _burns_out(strain[i], burnout_until[i], day):
            burning[count] = i
            count += 1
    return burning[:count].copy()


@njit(cache=True)
def _carer_strain(strain, hours, burnout_until, frailty, day, threshold, kept, scale,
                  rest_days, burnout_frailty):
    strained = resting = 0
    for i in range(len(strain)):
        if strain[i] == 0.0 and hours[i] <= threshold:  # most residents: strain stays 0
            resting += burnout_until[i] > day
            continue
        strain[i] = _strained(strain[i], hours[i], threshold, kept, scale)
        if _burns_out(strain[i], burnout_until[i], day):
            burnout_until[i] = day + rest_days
            strain[i] = STRAINED_ABOVE
            frailty[i] = min(frailty[i] + burnout_frailty, np.float32(1.0))
        if burnout_until[i] > day:
            resting += 1
        elif strain[i] > STRAINED_ABOVE:
            strained += 1
    return strained, resting
