"""Process 2 (hospital): admission, length of stay, delayed discharge, going home.

The day calls :func:`hospital`. Going home draws what the discharged patient lacks and
when the community will hear (:mod:`simulation.rules.discharge`, from the ``discharge``
stream); stays and waits come from the ``hospital`` stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.rules.decisions import raise_decisions
from simulation.rules.discharge import (
    GoingHomeTerms,
    draw_gaps,
    going_home_terms,
    notification_days,
)
from simulation.rules.health import NeedTerms, need_hours, need_terms
from simulation.state import NEVER, PEER_NONE

if TYPE_CHECKING:
    from simulation.town import Town


class HospitalCounts(NamedTuple):
    """What phase 2 counts.

    Attributes:
        bed_days: Beds occupied today.
        delayed_bed_days: Of them, beds of medically fit patients kept waiting.
        discharges: Patients discharged home today.
        older_stays: Length of stay (days) of each patient aged 65+ discharged today.
    """

    bed_days: int
    delayed_bed_days: int
    discharges: int
    older_stays: np.ndarray


def hospital(town: Town) -> HospitalCounts:
    """Phase 2: today's admissions come in; stays run down; the medically fit go home.

    Each admitted patient gets a stay (:func:`draw_stay`); a new stay ends the last
    episode's follow-up (its gaps, notification and peer visit go). Each inpatient's
    stay then shortens by a day. Those medically fit leave unless they need care at
    home and the community is too busy (:func:`wait_chance`, yesterday's professional
    utilisation as the pressure). Each leaver goes home with basics missing, a lead
    professional with chance ``lead_professional_share``, a day the community will hear
    and, if they need care, a care package to decide.
    """
    s, pop, p, day = town.state, town.pop, town.params, town.day
    stays = stay_terms(p)
    _admit(s.admitted_today, s.in_hospital, s.admitted_day, s.stay_left, s.gaps, s.notified,
           s.notify_day, s.peer_stage, pop.older, day, stays, town.streams.held("hospital"))
    return HospitalCounts(*_leave_hospital(
        s.in_hospital, s.stay_left, s.frailty, s.admitted_day, s.discharged_day, s.gaps,
        s.notify_day, s.decision_pending, s.decision_raised_day, pop.older, day,
        wait_chance(s.pressure, p), going_home_terms(p), need_terms(p),
        town.streams.held("hospital"), town.streams.held("discharge")))


class StayTerms(NamedTuple):
    """Mean stays (days until medically fit) by age, the parameters of :func:`draw_stay`."""

    older: float  # aged 65+
    younger: float


@terms_of_params
def stay_terms(p: Params) -> StayTerms:
    """:class:`StayTerms` of the parameters."""
    return StayTerms(float(p.stay_days_older), float(p.stay_days_younger))


@njit(cache=True)
def draw_stay(older: np.ndarray, t: StayTerms,
              stream: np.random.Generator | List) -> np.ndarray:
    """Draw days until each newly admitted patient is medically fit (geometric, >= 1).

    Args:
        older: Whether each admitted patient is aged 65+.
        t: Mean stays by age.
        stream: The ``hospital`` stream, plain or held (``Streams.held``).
    """
    rng = generator(stream)
    stays = np.empty(len(older), dtype=np.int16)
    for k in range(len(older)):  # numpy's geometric draws, one patient after another
        stays[k] = rng.geometric(1.0 / (t.older if older[k] else t.younger))
    return stays


@njit(cache=True)
def _admit(admitted, in_hospital, admitted_day, stay_left, gaps, notified, notify_day,
           peer_stage, older, day, t, stream):
    stays = draw_stay(older[admitted], t, stream)
    for k in range(len(admitted)):
        i = admitted[k]
        in_hospital[i] = True
        admitted_day[i] = day
        stay_left[i] = stays[k]
        gaps[i] = 0
        notified[i] = False
        notify_day[i] = NEVER
        peer_stage[i] = PEER_NONE


def wait_chance(pressure: float, p: Params) -> float:
    """Chance a medically fit patient who needs care at home waits another day.

    It grows with the community's pressure (0-1, the share of professional capacity in
    use), to ``delayed_discharge_base`` at full pressure.
    """
    return p.delayed_discharge_base * min(max(pressure, 0.0), 1.0)


@njit(cache=True)
def discharge_waits(needs_care: np.ndarray, chance: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Which medically fit patients wait another day.

    Only those who need care at home can, each with ``chance`` (:func:`wait_chance`).
    """
    return needs_care & (rng.random(len(needs_care)) < chance)


@njit(cache=True)
def _leave_hospital(in_hospital, stay_left, frailty, admitted_day, discharged_day, gaps,
                    notify_day, pending, raised_day, older, day, wait, home: GoingHomeTerms,
                    need: NeedTerms, hospital_stream, discharge_stream):
    """The hospital door on the arrays themselves (see :func:`hospital`)."""
    hospital_rng, discharge_rng = generator(hospital_stream), generator(discharge_stream)
    inpatients = np.flatnonzero(in_hospital)
    fit = np.empty(len(inpatients), dtype=np.int64)
    count = 0
    for i in inpatients:
        stay_left[i] -= 1
        if stay_left[i] <= 0:
            fit[count] = i
            count += 1
    fit = fit[:count]
    # Only a lasting need (not the short recovery need) can hold a patient back.
    needs = np.empty(count, dtype=np.bool_)
    for k in range(count):
        needs[k] = need_hours(frailty[fit[k]], -1, need) > 0
    waits = discharge_waits(needs, wait, hospital_rng)
    leaving = fit[~waits]
    stays = []
    for i in leaving:
        in_hospital[i] = False
        discharged_day[i] = day
        if older[i]:  # a stay as the NHS counts it: discharge day minus admission day
            stays.append(np.float64(day - admitted_day[i]))
    gaps[leaving] = draw_gaps(len(leaving), home.gap_prob, discharge_rng)
    lead = discharge_rng.random(len(leaving)) < home.lead_share
    notify_day[leaving] = notification_days(day, lead, home, discharge_rng)
    # Going home with care needs means a care package to decide.
    raise_decisions(leaving[needs[~waits]], pending, raised_day, day)
    return len(inpatients), int(waits.sum()), len(leaving), np.array(stays, dtype=np.float64)
