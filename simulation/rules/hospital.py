"""Process 2 (hospital): length of stay and delayed discharge."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params
from simulation.rng import generator
from simulation.rules.decisions import raise_decisions
from simulation.rules.discharge import (
    draw_gaps_kernel,
    notification_day_kernel,
    notify_terms,
)
from simulation.rules.health import need_hours, need_terms
from simulation.state import NEVER, State


def draw_stay(older: np.ndarray, p: Params, rng: np.random.Generator | List) -> np.ndarray:
    """Draw days until each newly admitted patient is medically fit (geometric, >= 1).

    Args:
        older: Whether each admitted patient is aged 65+.
        p: Parameters (mean stays by age).
        rng: The ``hospital`` stream, plain or held (``Streams.held``).
    """
    return _draw_stay(np.asarray(older, dtype=np.bool_), float(p.stay_days_older),
                      float(p.stay_days_younger), rng)


@njit(cache=True)
def _draw_stay(older: np.ndarray, stay_older: float, stay_younger: float,
               stream: np.random.Generator | List) -> np.ndarray:
    rng = generator(stream)
    stays = np.empty(len(older), dtype=np.int16)
    for k in range(len(older)):  # numpy's geometric draws, one patient after another
        stays[k] = rng.geometric(1.0 / (stay_older if older[k] else stay_younger))
    return stays


def admit(state: State, admitted: np.ndarray, older: np.ndarray, day: int, p: Params,
          rng: np.random.Generator | List) -> None:
    """Today's admissions go into hospital, each with a stay drawn (:func:`draw_stay`).

    A new stay ends the previous episode's follow-up: its gaps and notification go.

    Args:
        state: Today's state, updated in place.
        admitted: The residents admitted today.
        older: Whether each resident is aged 65+.
        day: Today.
        p: Parameters.
        rng: The ``hospital`` stream, plain or held.
    """
    s = state
    _admit(admitted, s.in_hospital, s.admitted_day, s.stay_left, s.gaps, s.notified,
           s.notify_day, older, day, float(p.stay_days_older), float(p.stay_days_younger),
           rng)


@njit(cache=True)
def _admit(admitted, in_hospital, admitted_day, stay_left, gaps, notified, notify_day, older,
           day, stay_older, stay_younger, stream):
    stays = _draw_stay(older[admitted], stay_older, stay_younger, stream)
    for k in range(len(admitted)):
        i = admitted[k]
        in_hospital[i] = True
        admitted_day[i] = day
        stay_left[i] = stays[k]
        gaps[i] = 0
        notified[i] = False
        notify_day[i] = NEVER


def discharge_waits(needs_care: np.ndarray, pressure: float, p: Params,
                    rng: np.random.Generator) -> np.ndarray:
    """Decide which medically fit patients must wait another day in hospital.

    Only patients who need care at home can be held up; the chance grows with the
    community's pressure (0-1, the share of professional capacity in use).

    Args:
        needs_care: Whether each medically fit patient needs care at home.
        pressure: Community pressure, 0-1.
        p: Parameters.
        rng: The ``hospital`` stream.
    """
    return _discharge_waits(np.asarray(needs_care, dtype=np.bool_), _wait_chance(pressure, p),
                            rng)


def leave_hospital(state: State, older: np.ndarray, day: int, pressure: float, p: Params,
                   hospital_rng: np.random.Generator | List,
                   discharge_rng: np.random.Generator | List) -> tuple[int, int, int, np.ndarray]:
    """Phases 2 and 3 at the hospital door: stays run down; the medically fit go home.

    Each inpatient's stay shortens by a day. Those medically fit leave unless they need
    care at home and the community is too busy (:func:`discharge_waits`). Each leaver
    goes home with basics missing (``discharge.draw_gaps``), a lead professional with
    chance ``lead_professional_share``, a day the community will hear
    (``discharge.notification_day``) and, if they need care, a care package to decide.

    Args:
        state: Today's state, updated in place.
        older: Whether each resident is aged 65+.
        day: Today.
        pressure: Yesterday's professional utilisation (0-1).
        p: Parameters.
        hospital_rng: The ``hospital`` stream (waits), plain or held (``Streams.held``).
        discharge_rng: The ``discharge`` stream (gaps, lead professional, notification),
            plain or held.

    Returns:
        Beds occupied today, of them beds of patients kept waiting, patients discharged,
        and the length of stay (days) of each discharged patient aged 65+.
    """
    s = state
    return _leave_hospital(s.in_hospital, s.stay_left, s.frailty, s.admitted_day,
                           s.discharged_day, s.former_patient, s.gaps, s.notify_day,
                           s.decision_pending, s.decision_raised_day, older, day,
                           _wait_chance(pressure, p), float(p.gap_prob),
                           float(p.lead_professional_share), *notify_terms(p),
                           *need_terms(p), hospital_rng, discharge_rng)


def _wait_chance(pressure: float, p: Params) -> float:
    return p.delayed_discharge_base * min(max(pressure, 0.0), 1.0)


@njit(cache=True)
def _discharge_waits(needs_care: np.ndarray, chance: float,
                     rng: np.random.Generator) -> np.ndarray:
    return needs_care & (rng.random(len(needs_care)) < chance)


@njit(cache=True)
def _leave_hospital(in_hospital, stay_left, frailty, admitted_day, discharged_day,
                    former_patient, gaps, notify_day, pending, raised_day, older, day,
                    wait_chance, gap_prob, lead_share, notify_prob, notify_delay, lead_factor,
                    threshold, span, chronic_max, recovery, hospital_stream, discharge_stream):
    """:func:`leave_hospital` on the arrays themselves."""
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
        needs[k] = need_hours(frailty[fit[k]], -1, threshold, span, chronic_max, recovery) > 0
    waits = _discharge_waits(needs, wait_chance, hospital_rng)
    leaving = fit[~waits]
    stays = []
    for i in leaving:
        in_hospital[i] = False
        discharged_day[i] = day
        former_patient[i] = True
        if older[i]:  # a stay as the NHS counts it: discharge day minus admission day
            stays.append(np.float64(day - admitted_day[i]))
    gaps[leaving] = draw_gaps_kernel(len(leaving), gap_prob, discharge_rng)
    lead = discharge_rng.random(len(leaving)) < lead_share
    notify_day[leaving] = notification_day_kernel(day, lead, notify_prob, notify_delay,
                                             lead_factor, discharge_rng)
    # Going home with care needs means a care package to decide.
    raise_decisions(leaving[needs[~waits]], pending, raised_day, day)
    return len(inpatients), int(waits.sum()), len(leaving), np.array(stays, dtype=np.float64)
