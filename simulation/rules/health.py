"""Process 1 (health): frailty drift, care need and the admission hazard."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params
from simulation.state import RECOVERY_DAYS

DAYS_PER_YEAR = 365.0
# Need rises steeply just past the threshold (a little frailty already needs daily help).
NEED_CURVE_EXPONENT = 0.5


def drift_frailty(frailty: np.ndarray, level: np.ndarray, unmet_share: np.ndarray,
                  lonely: np.ndarray, volunteering: np.ndarray, noise: np.ndarray,
                  p: Params) -> np.ndarray:
    """Advance frailty (0-1) by one day.

    Frailty returns toward the person's age-typical level; unmet care need and
    loneliness push it up; volunteering lowers the level a volunteer returns to (the
    need to feel useful, met); ``noise`` (draws of mean 0 and variance 1) adds
    day-to-day chance. Arithmetic is in float32, the state's own precision.

    Args:
        frailty: Current frailty.
        level: Age-typical frailty of each person.
        unmet_share: Share (0-1) of the person's care need left unmet lately.
        lonely: Whether the person is lonely.
        volunteering: Whether the person is an active peer volunteer.
        noise: Draws of mean 0 and variance 1, one per person.
        p: Parameters.
    """
    f32 = np.float32
    return _drift(frailty, level, unmet_share, lonely, volunteering, noise,
                  f32(p.frailty_reversion), f32(p.unmet_frailty_effect),
                  f32(p.lonely_frailty_effect), f32(p.volunteer_frailty_benefit),
                  f32(p.frailty_noise / np.sqrt(DAYS_PER_YEAR)))


@njit(cache=True)
def _drift(frailty: np.ndarray, level: np.ndarray, unmet_share: np.ndarray,
           lonely: np.ndarray, volunteering: np.ndarray, noise: np.ndarray,
           rate: np.float32, unmet_effect: np.float32, lonely_effect: np.float32,
           volunteer_benefit: np.float32, noise_scale: np.float32) -> np.ndarray:
    """:func:`drift_frailty` in one float32 pass over the town."""
    per_day = np.float32(1.0 / DAYS_PER_YEAR)
    new = np.empty(len(frailty), dtype=np.float32)
    for i in range(len(frailty)):
        change = rate * (level[i] - frailty[i]) + unmet_effect * unmet_share[i]
        change += lonely_effect * np.float32(lonely[i])
        if volunteering[i]:
            change -= rate * volunteer_benefit * level[i]
        value = frailty[i] + per_day * change
        value += noise_scale * noise[i]
        new[i] = min(max(value, np.float32(0.0)), np.float32(1.0))
    return new


def care_need(frailty: np.ndarray, days_since_discharge: np.ndarray, p: Params) -> np.ndarray:
    """Care need in hours per day.

    Need grows from zero at ``need_threshold`` to ``need_max_hours`` per week at frailty
    1, steeply at first (the square root of the distance past the threshold); a recent
    discharge adds ``recovery_need_hours`` per week, fading over the 30-day window.
    ``days_since_discharge`` is negative for no discharge.
    """
    span = max(1.0 - p.need_threshold, 1e-9)
    past = np.clip((frailty - p.need_threshold) / span, 0.0, 1.0)
    chronic = p.need_max_hours / 7.0 * past**NEED_CURVE_EXPONENT
    recent = (days_since_discharge >= 0) & (days_since_discharge < RECOVERY_DAYS)
    fading = np.where(recent, 1.0 - days_since_discharge / RECOVERY_DAYS, 0.0)
    return (chronic + p.recovery_need_hours / 7.0 * fading).astype(np.float32)


def admission_probability(frailty: np.ndarray, recent_discharge: np.ndarray,
                          open_gaps: np.ndarray, waiting: np.ndarray, p: Params) -> np.ndarray:
    """Daily probability of an emergency admission.

    The hazard is ``admission_rate * exp(slope * frailty)`` per year, multiplied by
    ``post_discharge_risk`` in the 30 days after a discharge, and by
    ``1 + gap_risk * open_gaps + waiting_risk * waiting``.

    Args:
        frailty: Current frailty.
        recent_discharge: Whether the person left hospital in the last 30 days.
        open_gaps: Number of basics still missing since that discharge.
        waiting: Whether a decision about the person's care is waiting.
        p: Parameters.
    """
    f32 = np.float32
    yearly = f32(p.admission_rate) * np.exp(f32(p.frailty_admission_slope)
                                            * np.asarray(frailty, dtype=np.float32))
    # Only the few recently discharged or waiting residents have a multiplier.
    special = np.flatnonzero(recent_discharge | (open_gaps > 0) | waiting)
    yearly[special] *= (np.where(recent_discharge[special], p.post_discharge_risk, 1.0)
                        * (1.0 + p.gap_risk * open_gaps[special]
                           + p.waiting_risk * waiting[special])).astype(np.float32)
    return -np.expm1(f32(-1.0 / DAYS_PER_YEAR) * yearly)
