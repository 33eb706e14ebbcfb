"""Process 2 (hospital): admission, length of stay, delayed discharge, going home.

The day calls :func:`hospital`. A patient medically fit to leave whose lasting needs
call for a care package, and who has no one at home able to look after them meanwhile,
waits in hospital until the package is decided and, if it includes paid care, until
the paid care can start: delayed discharge comes from the decision queue, the
paid-care supply and households' capacity, not from a rate of its own. Going home draws
what the discharged patient lacks and when the community will hear
(:mod:`simulation.rules.discharge`, from the ``discharge`` stream); stays come from
the ``hospital`` stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.rules.decisions import DecisionTerms, decision_terms, funded_for_package
from simulation.rules.discharge import (
    GoingHomeTerms,
    draw_gaps,
    going_home_terms,
    notification_days,
)
from simulation.rules.health import NeedTerms, need_hours, need_terms
from simulation.state import CARE_DECISION, DAYS_PER_WEEK, NEVER, PEER_NONE, VISIT_DECISION

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
    """Phase 2 (processes 2, 3): admissions come in; stays run down; the medically fit go home.

    Each admitted patient gets a stay (:func:`draw_stay`); a new stay ends the last
    episode's follow-up and peer support. Each inpatient's stay then shortens by a day.
    A medically fit patient whose lasting need reaches ``eligibility_hours`` a week
    needs a care package: a care decision is raised if none is waiting. If no adult of
    their household is at home and able to care (not burnt out), they stay while the
    decision waits, and while a paid-care package they are funded for waits for a
    place (:func:`must_wait`); with someone at home they go home and the package
    follows. Those leaving go home each with basics missing, a lead professional with
    chance ``lead_professional_share`` and a day the community will hear.
    """
    s, pop, p, day = town.state, town.pop, town.params, town.day
    _admit(s.admitted_today, s.in_hospital, s.admitted_day, s.stay_left, s.gaps, s.notified,
           s.referred_day, s.notify_day, s.peer_stage, s.supporter, s.followed_up_day,
           s.decision_day, pop.older, day, stay_terms(p), town.streams.held("hospital"))
    return HospitalCounts(*_leave_hospital(
        s.in_hospital, s.stay_left, s.frailty, s.admitted_day, s.discharged_day, s.gaps,
        s.notify_day, s.decision_day[CARE_DECISION], s.package_hours, s.package_wait_day,
        s.burnout_until, pop.budget_draw, pop.older, pop.adult, pop.household_start,
        pop.household_size, day, going_home_terms(p), need_terms(p), decision_terms(p),
        town.streams.held("discharge")))


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
def _admit(admitted, in_hospital, admitted_day, stay_left, gaps, notified, referred_day,
           notify_day, peer_stage, supporter, followed_up_day, decision_day, older, day, t,
           stream):
    stays = draw_stay(older[admitted], t, stream)
    for k in range(len(admitted)):
        i = admitted[k]
        in_hospital[i] = True
        admitted_day[i] = day
        stay_left[i] = stays[k]
        gaps[i] = 0
        notified[i] = False
        referred_day[i] = NEVER
        notify_day[i] = NEVER
        peer_stage[i] = PEER_NONE
        supporter[i] = -1
        followed_up_day[i] = NEVER
        decision_day[VISIT_DECISION, i] = NEVER  # the referral lapses


@njit(inline="always")
def must_wait(lasting_need: np.float32, cared_for_at_home: bool, care_decision_day: int,
              package_hours: np.float32, package_wait_day: int, budget_draw: np.float32,
              t: DecisionTerms) -> bool:
    """Whether a medically fit patient stays in hospital another day.

    Only a patient whose lasting (everyday) need reaches ``eligibility_hours`` a week
    needs a care package before going home, and only one with no one at home to care
    for them meanwhile waits for it: while its decision waits and, if they are funded
    for paid care (:func:`~simulation.rules.decisions.funded_for_package`), while
    their package waits for a place.
    """
    if cared_for_at_home or lasting_need * np.float32(DAYS_PER_WEEK) < t.eligibility:
        return False
    if care_decision_day != NEVER:
        return True
    return (funded_for_package(lasting_need, budget_draw, t) and package_hours == 0.0
            and package_wait_day != NEVER)


@njit(inline="always")
def someone_at_home(i: int, start: int, size: int, adult: np.ndarray,
                    in_hospital: np.ndarray, burnout_until: np.ndarray, day: int) -> bool:
    """Whether another adult of resident ``i``'s household is at home and able to care."""
    for j in range(start, start + size):
        if j != i and adult[j] and not in_hospital[j] and burnout_until[j] <= day:
            return True
    return False


@njit(cache=True)
def _leave_hospital(in_hospital, stay_left, frailty, admitted_day, discharged_day, gaps,
                    notify_day, care_decision_day, package_hours, package_wait_day,
                    burnout_until, budget_draw, older, adult, household_start,
                    household_size, day, home: GoingHomeTerms, need: NeedTerms,
                    decide: DecisionTerms, discharge_stream):
    """The hospital door on the arrays themselves (see :func:`hospital`)."""
    discharge_rng = generator(discharge_stream)
    inpatients = np.flatnonzero(in_hospital)
    leaving = np.empty(len(inpatients), dtype=np.int64)
    count = waiting = 0
    for i in inpatients:
        if admitted_day[i] < day:  # a stay of s days ends s days after admission
            stay_left[i] -= 1
        if stay_left[i] > 0:
            continue
        lasting = need_hours(frailty[i], -1, need)
        if (stay_left[i] == 0 and care_decision_day[i] == NEVER and package_hours[i] == 0.0
                and package_wait_day[i] == NEVER
                and lasting * np.float32(DAYS_PER_WEEK) >= decide.eligibility):
            care_decision_day[i] = day  # fit today: a care package is to be decided
        at_home = someone_at_home(i, household_start[i], household_size[i], adult,
                                  in_hospital, burnout_until, day)
        if must_wait(lasting, at_home, care_decision_day[i], package_hours[i],
                     package_wait_day[i], budget_draw[i], decide):
            waiting += 1
            continue
        leaving[count] = i
        count += 1
    leaving = leaving[:count]
    stays = []
    for i in leaving:
        in_hospital[i] = False
        discharged_day[i] = day
        if older[i]:  # a stay as the NHS counts it: discharge day minus admission day
            stays.append(np.float64(day - admitted_day[i]))
    gaps[leaving] = draw_gaps(len(leaving), home.gap_prob, discharge_rng)
    lead = discharge_rng.random(len(leaving)) < home.lead_share
    notify_day[leaving] = notification_days(day, lead, home, discharge_rng)
    return len(inpatients), waiting, len(leaving), np.array(stays, dtype=np.float64)
