"""Process 1 (health): frailty drift, care need and the admission hazard."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.rules.discharge import open_gap_count
from simulation.rules.loneliness import LONELY_ABOVE
from simulation.state import ACTIVE, RECOVERY_DAYS

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
    return _drift(frailty, level, unmet_share, lonely, volunteering, noise, *_drift_terms(p))


def drift_town(frailty: np.ndarray, level: np.ndarray, unmet_share: np.ndarray,
               loneliness: np.ndarray, volunteer: np.ndarray, uniforms: np.ndarray,
               p: Params) -> None:
    """:func:`drift_frailty` of the whole town, in place, from the state as it is kept.

    Lonely is loneliness above ``LONELY_ABOVE``; volunteering is an active volunteer;
    the noise is ``uniforms`` (draws in [0, 1)) scaled to mean 0 and variance 1, which
    costs a quarter of normal draws.
    """
    _drift_town(frailty, level, unmet_share, loneliness, volunteer, uniforms,
                *_drift_terms(p))


@terms_of_params
def _drift_terms(p: Params) -> tuple[np.float32, ...]:
    f32 = np.float32
    return (f32(p.frailty_reversion), f32(p.unmet_frailty_effect),
            f32(p.lonely_frailty_effect), f32(p.volunteer_frailty_benefit),
            f32(p.frailty_noise / np.sqrt(DAYS_PER_YEAR)))


@njit(inline="always")
def _drifted(frailty: np.float32, level: np.float32, unmet_share: np.float32, lonely: bool,
             volunteering: bool, noise: np.float32, rate: np.float32,
             unmet_effect: np.float32, lonely_effect: np.float32,
             volunteer_benefit: np.float32, noise_scale: np.float32) -> np.float32:
    """One person's frailty tomorrow (see :func:`drift_frailty`), in float32."""
    change = rate * (level - frailty) + unmet_effect * unmet_share
    change += lonely_effect * np.float32(lonely)
    if volunteering:
        change -= rate * volunteer_benefit * level
    value = frailty + np.float32(1.0 / DAYS_PER_YEAR) * change
    value += noise_scale * noise
    return min(max(value, np.float32(0.0)), np.float32(1.0))


@njit(cache=True)
def _drift(frailty: np.ndarray, level: np.ndarray, unmet_share: np.ndarray,
           lonely: np.ndarray, volunteering: np.ndarray, noise: np.ndarray,
           rate: np.float32, unmet_effect: np.float32, lonely_effect: np.float32,
           volunteer_benefit: np.float32, noise_scale: np.float32) -> np.ndarray:
    new = np.empty(len(frailty), dtype=np.float32)
    for i in range(len(frailty)):
        new[i] = _drifted(frailty[i], level[i], unmet_share[i], lonely[i], volunteering[i],
                          noise[i], rate, unmet_effect, lonely_effect, volunteer_benefit,
                          noise_scale)
    return new


@njit(cache=True)
def _drift_town(frailty, level, unmet_share, loneliness, volunteer, uniforms, rate,
                unmet_effect, lonely_effect, volunteer_benefit, noise_scale):
    unit = np.float32(np.sqrt(12.0))  # uniform draws scaled to variance 1
    for i in range(len(frailty)):
        noise = (uniforms[i] - np.float32(0.5)) * unit
        frailty[i] = _drifted(frailty[i], level[i], unmet_share[i],
                              loneliness[i] > LONELY_ABOVE, volunteer[i] == ACTIVE, noise,
                              rate, unmet_effect, lonely_effect, volunteer_benefit,
                              noise_scale)


def care_need(frailty: np.ndarray, days_since_discharge: np.ndarray, p: Params) -> np.ndarray:
    """Care need in hours per day.

    Need grows from zero at ``need_threshold`` to ``need_max_hours`` per week at frailty
    1, steeply at first (the square root of the distance past the threshold); a recent
    discharge adds ``recovery_need_hours`` per week, fading over the 30-day window.
    ``days_since_discharge`` is negative for no discharge.
    """
    return _care_need(np.asarray(frailty, dtype=np.float32),
                      np.asarray(days_since_discharge, dtype=np.int64), *need_terms(p))


@terms_of_params
def need_terms(p: Params) -> tuple[np.float32, np.float32, np.float32, float]:
    """The parameters of :func:`care_need` as its kernels take them."""
    f32 = np.float32
    return (f32(p.need_threshold), f32(max(1.0 - p.need_threshold, 1e-9)),
            f32(p.need_max_hours / 7.0), p.recovery_need_hours / 7.0)


@njit(inline="always")
def need_hours(frailty: np.float32, since: int, threshold: np.float32, span: np.float32,
          chronic_max: np.float32, recovery: float) -> np.float32:
    """One person's care need (see :func:`care_need`), float32 like the state."""
    past = min(max((frailty - threshold) / span, np.float32(0.0)), np.float32(1.0))
    curve = np.sqrt(past) if NEED_CURVE_EXPONENT == 0.5 else past ** np.float32(
        NEED_CURVE_EXPONENT)
    fading = 1.0 - since / RECOVERY_DAYS if 0 <= since < RECOVERY_DAYS else 0.0
    return np.float32(np.float64(chronic_max * curve) + recovery * fading)


@njit(cache=True)
def _care_need(frailty: np.ndarray, since: np.ndarray, threshold: np.float32,
               span: np.float32, chronic_max: np.float32, recovery: float) -> np.ndarray:
    need = np.empty(len(frailty), dtype=np.float32)
    for i in range(len(frailty)):
        need[i] = need_hours(frailty[i], since[i], threshold, span, chronic_max, recovery)
    return need


def needs_today(need: np.ndarray, yesterday: np.ndarray, frailty: np.ndarray,
                in_hospital: np.ndarray, recent: np.ndarray, discharged_day: np.ndarray,
                day: int, p: Params) -> np.ndarray:
    """Set today's care need of everyone at home, in place; return those in need.

    Only the frail past the threshold and the recently discharged (``recent``) can need
    care, so ``need`` is cleared for ``yesterday``'s residents in need and computed for
    those only; everyone else's stays zero.

    Returns:
        The residents in need today, in index order.
    """
    return _needs_today(need, yesterday, frailty, in_hospital, recent, discharged_day, day,
                        *need_terms(p))


@njit(cache=True)
def _needs_today(need: np.ndarray, yesterday: np.ndarray, frailty: np.ndarray,
                 in_hospital: np.ndarray, recent: np.ndarray, discharged_day: np.ndarray,
                 day: int, threshold: np.float32, span: np.float32, chronic_max: np.float32,
                 recovery: float) -> np.ndarray:
    for i in yesterday:
        need[i] = 0.0
    needy = np.empty(len(need), dtype=np.int64)
    count = 0
    for i in range(len(need)):
        if recent[i] or (frailty[i] > threshold and not in_hospital[i]):
            since = day - discharged_day[i] if recent[i] else -1
            need[i] = need_hours(frailty[i], since, threshold, span, chronic_max, recovery)
            if need[i] > 0:
                needy[count] = i
                count += 1
    return needy[:count].copy()


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
    return _chances(_frailty_growth(np.asarray(frailty, dtype=np.float32), p),
                    np.asarray(recent_discharge, dtype=np.bool_),
                    np.asarray(open_gaps, dtype=np.int64), np.asarray(waiting, dtype=np.bool_),
                    *_hazard_terms(p))


def admissions(frailty: np.ndarray, draws: np.ndarray, in_hospital: np.ndarray,
               discharged_day: np.ndarray, gaps: np.ndarray, waiting: np.ndarray, day: int,
               p: Params) -> tuple[np.ndarray, int]:
    """Who at home is admitted today, with :func:`admission_probability` as the chance.

    Args:
        frailty: Current frailty.
        draws: One uniform draw per resident; resident ``i`` is admitted when
            ``draws[i]`` is below their chance.
        in_hospital: Whether each resident is in hospital already (never admitted).
        discharged_day: Day of each resident's latest discharge.
        gaps: Bitmask of basics missing since that discharge.
        waiting: Whether a decision about each resident's care is waiting.
        day: Today.
        p: Parameters.

    Returns:
        The admitted residents in index order, and how many of them are readmissions
        (within 30 days of their latest discharge).
    """
    return _admissions(_frailty_growth(frailty, p), draws, in_hospital, discharged_day,
                       gaps, waiting, day, *_hazard_terms(p))


def _frailty_growth(frailty: np.ndarray, p: Params) -> np.ndarray:
    """``exp(slope * frailty)`` in float32.

    Computed by numpy on purpose: its vectorised float32 ``exp`` can differ from the C
    library's in the last bit, and a compiled loop would use the latter and change draws.
    """
    return np.exp(np.float32(p.frailty_admission_slope) * frailty)


# 1 - exp(-h) < h, and float32 rounding adds at most one part in 2**23; this margin
# covers it, so a draw at or above it times h is never below the chance.
_UNDER_HAZARD = 1.0 + 1e-6


@terms_of_params
def _hazard_terms(p: Params) -> tuple[np.float32, float, float, float]:
    """The parameters of :func:`_daily_hazard` as it takes them."""
    return (np.float32(p.admission_rate), float(p.post_discharge_risk), float(p.gap_risk),
            float(p.waiting_risk))


@njit(inline="always")
def _daily_hazard(growth: np.float32, recent: bool, open_gaps: int, waiting: bool,
                  rate: np.float32, post_discharge_risk: float, gap_risk: float,
                  waiting_risk: float) -> np.float32:
    """One person's admission hazard per day (see :func:`admission_probability`).

    Float32 like the state; the multiplier is worked out in float64 first.
    """
    yearly = rate * growth
    if recent or open_gaps > 0 or waiting:
        multiplier = (post_discharge_risk if recent else 1.0) * (
            1.0 + gap_risk * open_gaps + waiting_risk * waiting)
        yearly *= np.float32(multiplier)
    return np.float32(1.0 / DAYS_PER_YEAR) * yearly


@njit(inline="always")
def _chance_of(hazard: np.float32) -> np.float32:
    """The chance of an admission today, ``1 - exp(-daily hazard)``."""
    return -np.expm1(-hazard)


@njit(cache=True)
def _chances(growth: np.ndarray, recent: np.ndarray, open_gaps: np.ndarray,
             waiting: np.ndarray, rate: np.float32, post_discharge_risk: float,
             gap_risk: float, waiting_risk: float) -> np.ndarray:
    chance = np.empty(len(growth), dtype=np.float32)
    for i in range(len(growth)):
        chance[i] = _chance_of(_daily_hazard(growth[i], recent[i], open_gaps[i], waiting[i],
                                             rate, post_discharge_risk, gap_risk,
                                             waiting_risk))
    return chance


@njit(cache=True)
def _admissions(growth: np.ndarray, draws: np.ndarray, in_hospital: np.ndarray,
                discharged_day: np.ndarray, gaps: np.ndarray, waiting: np.ndarray, day: int,
                rate: np.float32, post_discharge_risk: float, gap_risk: float,
                waiting_risk: float) -> tuple[np.ndarray, int]:
    """:func:`admissions` in one pass over the town."""
    admitted = np.empty(len(growth), dtype=np.int64)
    count = readmissions = 0
    for i in range(len(growth)):
        if in_hospital[i]:
            continue
        recent = discharged_day[i] >= day - RECOVERY_DAYS
        open_gaps = open_gap_count(gaps[i]) if recent else 0
        hazard = _daily_hazard(growth[i], recent, open_gaps, waiting[i], rate,
                               post_discharge_risk, gap_risk, waiting_risk)
        # The chance, 1 - exp(-hazard), is below the hazard itself: a draw above the
        # hazard is a "no" without the costly exponential (same answer).
        if draws[i] < _UNDER_HAZARD * hazard and draws[i] < _chance_of(hazard):
            admitted[count] = i
            count += 1
            readmissions += recent
    return admitted[:count].copy(), readmissions
