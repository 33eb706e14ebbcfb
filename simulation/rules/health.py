"""Process 1 (health): frailty drift, care need and the admission hazard.

The day calls :func:`health`. Each rule is written once, for one person
(:func:`drifted`, :func:`need_hours`, :func:`daily_hazard`); the compiled passes over
the town call those, so the rule a reader reads is the rule that runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.rules.loneliness import LONELY_ABOVE
from simulation.state import (
    ACTIVE,
    CARE_DECISION,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    NEVER,
    RECOVERY_DAYS,
    open_gap_count,
)

if TYPE_CHECKING:
    from simulation.town import Town

# Need rises steeply just past the threshold (a little frailty already needs daily help).
NEED_CURVE_EXPONENT = 0.5


class HealthCounts(NamedTuple):
    """What phase 1 counts: admissions today, and of them readmissions within 30 days."""

    admissions: int
    readmissions: int


def health(town: Town) -> HealthCounts:
    """Phase 1: frailty drifts; some residents at home are admitted to hospital.

    Every resident's frailty moves (:func:`drifted`, with uniform noise scaled to
    variance 1, a quarter of the cost of normal draws); then each resident at home is
    admitted with the chance :func:`chance_of` their :func:`daily_hazard` (a care
    decision waiting counts as waiting). The admitted are listed in
    ``admitted_today`` for the hospital phase to take in.
    """
    s, pop, p, rng = town.state, town.pop, town.params, town.streams["health"]
    n = pop.size
    _drift_town(s.frailty, pop.frailty_level, s.unmet_ema, s.loneliness, s.volunteer,
                rng.random(n, dtype=np.float32), drift_terms(p))
    s.admitted_today, readmissions = _admissions(
        _frailty_growth(s.frailty, p), rng.random(n), s.in_hospital, s.discharged_day,
        s.gaps, s.decision_day[CARE_DECISION], town.day, hazard_terms(p))
    return HealthCounts(len(s.admitted_today), readmissions)


# -- frailty drift --------------------------------------------------------------------


class DriftTerms(NamedTuple):
    """The parameters of :func:`drifted`, in float32 like the state."""

    reversion: np.float32  # per year
    unmet_effect: np.float32  # frailty per year of wholly unmet need
    lonely_effect: np.float32  # frailty per year of loneliness
    volunteer_benefit: np.float32  # share of the level a volunteer sheds
    noise_scale: np.float32  # frailty_noise over the square root of a year in days


@terms_of_params
def drift_terms(p: Params) -> DriftTerms:
    """:class:`DriftTerms` of the parameters."""
    f32 = np.float32
    return DriftTerms(f32(p.frailty_reversion), f32(p.unmet_frailty_effect),
                      f32(p.lonely_frailty_effect), f32(p.volunteer_frailty_benefit),
                      f32(p.frailty_noise / np.sqrt(DAYS_PER_YEAR)))


@njit(inline="always")
def drifted(frailty: np.float32, level: np.float32, unmet_share: np.float32, lonely: bool,
            volunteering: bool, noise: np.float32, t: DriftTerms) -> np.float32:
    """One person's frailty (0-1) tomorrow.

    Frailty returns toward the person's age-typical ``level`` at ``reversion`` a year;
    the share of their care need left unmet lately and loneliness push it up;
    volunteering lowers the level a volunteer returns to (the need to feel useful,
    met); ``noise`` (a draw of mean 0 and variance 1) adds day-to-day chance. Float32,
    the state's precision.
    """
    change = t.reversion * (level - frailty) + t.unmet_effect * unmet_share
    change += t.lonely_effect * np.float32(lonely)
    if volunteering:
        change -= t.reversion * t.volunteer_benefit * level
    value = frailty + np.float32(1.0 / DAYS_PER_YEAR) * change
    value += t.noise_scale * noise
    return min(max(value, np.float32(0.0)), np.float32(1.0))


@njit(cache=True)
def _drift_town(frailty, level, unmet_share, loneliness, volunteer, uniforms, t):
    """:func:`drifted` for every resident, in place; lonely and volunteering as kept."""
    unit = np.float32(np.sqrt(12.0))  # uniform draws scaled to variance 1
    for i in range(len(frailty)):
        noise = (uniforms[i] - np.float32(0.5)) * unit
        frailty[i] = drifted(frailty[i], level[i], unmet_share[i],
                             loneliness[i] > LONELY_ABOVE, volunteer[i] == ACTIVE, noise, t)


# -- care need ------------------------------------------------------------------------


class NeedTerms(NamedTuple):
    """The parameters of :func:`need_hours`."""

    threshold: np.float32  # frailty at which need starts
    span: np.float32  # frailty from the threshold to 1
    chronic_max: np.float32  # hours a day at frailty 1
    recovery: float  # extra hours a day on the day of discharge


@terms_of_params
def need_terms(p: Params) -> NeedTerms:
    """:class:`NeedTerms` of the parameters."""
    f32 = np.float32
    return NeedTerms(f32(p.need_threshold), f32(max(1.0 - p.need_threshold, 1e-9)),
                     f32(p.need_max_hours / DAYS_PER_WEEK),
                     p.recovery_need_hours / DAYS_PER_WEEK)


@njit(inline="always")
def need_hours(frailty: np.float32, since: int, t: NeedTerms) -> np.float32:
    """One person's care need in hours a day.

    Need grows from zero at the threshold to ``need_max_hours`` a week at frailty 1,
    steeply at first (the square root of the distance past the threshold); a discharge
    ``since`` days ago adds ``recovery_need_hours`` a week, fading over the 30-day
    window (``since`` is negative for no recent discharge).
    """
    past = min(max((frailty - t.threshold) / t.span, np.float32(0.0)), np.float32(1.0))
    curve = np.sqrt(past) if NEED_CURVE_EXPONENT == 0.5 else past ** np.float32(
        NEED_CURVE_EXPONENT)
    fading = 1.0 - since / RECOVERY_DAYS if 0 <= since < RECOVERY_DAYS else 0.0
    return np.float32(np.float64(t.chronic_max * curve) + t.recovery * fading)


def set_needs(town: Town, recent: np.ndarray) -> np.ndarray:
    """Set today's care need of everyone at home, in place; return those in need.

    Only the frail past the threshold and the recently discharged (``recent``) can need
    care, so ``need`` is cleared for yesterday's residents in need and computed for
    those only; everyone else's stays zero.

    Returns:
        The residents in need today, in index order.
    """
    s = town.state
    return _needs_today(s.need, s.in_need, s.frailty, s.in_hospital, recent,
                        s.discharged_day, town.day, need_terms(town.params))


def need_parts(town: Town, needy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two parts of today's need of the residents ``needy``, hours a day.

    Everyday help is the lasting need (:func:`need_hours` with no recent discharge);
    the rest, the recovery need after a discharge, is skilled nursing.

    Returns:
        Everyday and skilled need, each by position in ``needy``.
    """
    return _need_parts(needy, town.state.need, town.state.frailty, need_terms(town.params))


@njit(cache=True)
def _need_parts(needy, need, frailty, t):
    everyday = np.empty(len(needy), dtype=np.float32)
    skilled = np.empty(len(needy), dtype=np.float32)
    for k in range(len(needy)):
        i = needy[k]
        everyday[k] = min(need_hours(frailty[i], -1, t), need[i])
        skilled[k] = need[i] - everyday[k]
    return everyday, skilled


@njit(cache=True)
def _needs_today(need, yesterday, frailty, in_hospital, recent, discharged_day, day, t):
    for i in yesterday:
        need[i] = 0.0
    needy = np.empty(len(need), dtype=np.int64)
    count = 0
    for i in range(len(need)):
        if recent[i] or (frailty[i] > t.threshold and not in_hospital[i]):
            since = day - discharged_day[i] if recent[i] else -1
            need[i] = need_hours(frailty[i], since, t)
            if need[i] > 0:
                needy[count] = i
                count += 1
    return needy[:count].copy()


# -- admissions -----------------------------------------------------------------------


class HazardTerms(NamedTuple):
    """The parameters of :func:`daily_hazard`."""

    rate: np.float32  # admissions per person-year at zero frailty
    post_discharge_risk: float  # multiplier in the 30 days after discharge
    gap_risk: float  # added multiplier per open gap
    waiting_risk: float  # added multiplier while a decision waits


@terms_of_params
def hazard_terms(p: Params) -> HazardTerms:
    """:class:`HazardTerms` of the parameters."""
    return HazardTerms(np.float32(p.admission_rate), float(p.post_discharge_risk),
                       float(p.gap_risk), float(p.waiting_risk))


def _frailty_growth(frailty: np.ndarray, p: Params) -> np.ndarray:
    """``exp(frailty_admission_slope * frailty)`` in float32.

    Computed by numpy on purpose: its vectorised float32 ``exp`` can differ from the C
    library's in the last bit, and a compiled loop would use the latter and change draws.
    """
    return np.exp(np.float32(p.frailty_admission_slope) * frailty)


@njit(inline="always")
def daily_hazard(growth: np.float32, recent: bool, open_gaps: int, waiting: bool,
                 t: HazardTerms) -> np.float32:
    """One person's emergency admission hazard per day.

    The hazard is ``admission_rate * growth`` a year, where ``growth`` is
    ``exp(frailty_admission_slope * frailty)``; it is multiplied by
    ``post_discharge_risk`` in the 30 days after a discharge (``recent``), and by
    ``1 + gap_risk * open_gaps + waiting_risk * waiting``. Float32 like the state; the
    multiplier is worked out in float64 first.
    """
    yearly = t.rate * growth
    if recent or open_gaps > 0 or waiting:
        multiplier = (t.post_discharge_risk if recent else 1.0) * (
            1.0 + t.gap_risk * open_gaps + t.waiting_risk * waiting)
        yearly *= np.float32(multiplier)
    return np.float32(1.0 / DAYS_PER_YEAR) * yearly


@njit(inline="always")
def chance_of(hazard: np.float32) -> np.float32:
    """The chance of an admission today, ``1 - exp(-daily hazard)``."""
    return -np.expm1(-hazard)


# 1 - exp(-h) < h, and float32 rounding adds at most one part in 2**23; this margin
# covers it, so a draw at or above it times h is never below the chance.
_UNDER_HAZARD = 1.0 + 1e-6


@njit(cache=True)
def _admissions(growth, draws, in_hospital, discharged_day, gaps, care_decision_day, day, t):
    """Who at home is admitted today (in index order), and how many are readmissions.

    Resident ``i`` is admitted when ``draws[i]`` is below their chance; a care decision
    raised and not yet taken counts as waiting.
    """
    admitted = np.empty(len(growth), dtype=np.int64)
    count = readmissions = 0
    for i in range(len(growth)):
        if in_hospital[i]:
            continue
        recent = discharged_day[i] >= day - RECOVERY_DAYS
        open_gaps = open_gap_count(gaps[i]) if recent else 0
        waiting = care_decision_day[i] != NEVER
        hazard = daily_hazard(growth[i], recent, open_gaps, waiting, t)
        # The chance, 1 - exp(-hazard), is below the hazard itself: a draw above the
        # hazard is a "no" without the costly exponential (same answer).
        if draws[i] < _UNDER_HAZARD * hazard and draws[i] < chance_of(hazard):
            admitted[count] = i
            count += 1
            readmissions += recent
    return admitted[:count].copy(), readmissions
