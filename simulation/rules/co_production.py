"""Processes 4 and 5 (co-production under risk management): the peer-support scheme.

The day calls :func:`co_production`. A former patient supports each newly discharged
patient the scheme takes on, visiting weekly until 30 days after discharge; those
supported are asked, once recovered, to do the same for someone else.

Risk management (process 5) acts through decisions (:mod:`simulation.rules.decisions`):
every referral to the scheme and every new volunteer is a decision, taken at once by a
frontline professional with devolved authority or after a wait by a manager, and the
organisation's ``risk_aversion`` sets how often a referral is vetoed and how long a new
volunteer's checks take (:func:`vetting_days`). The scheme works only as fast as those
decisions are taken: a referral that waits past the patient's 30 days is never visited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulation.params import Params
from simulation.rules.decisions import raise_decisions
from simulation.rules.discharge import close_gaps
from simulation.state import (
    ACTIVE,
    CARE_DECISION,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    GAP_HOME_SAFE,
    NOT_VOLUNTEER,
    PEER_APPROVED,
    PEER_DONE,
    PEER_SUPPORTED,
    PEER_UNMATCHED,
    RECOVERY_DAYS,
    VETTING,
    VISIT_CLOSABLE,
    VOLUNTEER_DECISION,
)

if TYPE_CHECKING:
    from simulation.town import Town

VETTING_DAYS_AT_NO_AVERSION = 7.0  # the shortest checks of a new volunteer: a week
VOLUNTEER_MAX_FRAILTY = 0.6  # recovered patients above this are not asked to volunteer
VISIT_EVERY_DAYS = int(DAYS_PER_WEEK)  # a supported patient is visited weekly

_NONE = np.empty(0, dtype=np.int64)


class CoProductionCounts(NamedTuple):
    """What phases 4 and 5 count today.

    Attributes:
        peer_visits: Visits made by volunteers.
        peer_first_visits: Of them, first visits to a patient newly matched (again,
            after losing a volunteer: the new one's first visit checks the basics too).
        peer_supported: Patients a volunteer supports, at the end of the day.
        peer_waiting: Approved patients waiting for a volunteer, at the end of the day.
        peer_unmatched: Approved patients whose 30 days ran out with no volunteer.
        volunteers_joined: Recovered patients who said yes (checks start).
    """

    peer_visits: int
    peer_first_visits: int
    peer_supported: int
    peer_waiting: int
    peer_unmatched: int
    volunteers_joined: int


def co_production(town: Town) -> CoProductionCounts:
    """Phase 4 (processes 4 and 5): the peer-support scheme under the prevailing risk management.

    In order, with the scheme on:

    1. support ends 30 days after discharge; patients of a volunteer who has stopped or
       is in hospital wait for another;
    2. approved patients whose 30 days have passed with no volunteer are unmatched; the
       others are matched with volunteers who have room (``patients_per_volunteer``),
       own patch first (:func:`match_visits`);
    3. visits due today are made: a first visit closes each open, closable gap with
       ``peer_gap_close``; every visit eases loneliness by ``peer_loneliness_relief``,
       gives ``visit_hours`` of company, and raises a care decision if the home is
       found unsafe; the next visit is a week later;
    4. reciprocity: patients recovered today (30 days after discharge) whom the
       community knew of are asked to volunteer (:func:`says_yes`; likelier if
       supported); those who say yes start their checks (:func:`vetting_days`), and a
       decision on accepting them is raised when the checks end;
    5. tiring: active volunteers stop with :func:`tire_probability`.

    Today's visits are kept in ``visit_volunteers`` and ``visit_patients`` (paired) for
    the care phase.
    """
    s, p, pop, day = town.state, town.params, town.pop, town.day
    s.visit_volunteers, s.visit_patients = _NONE, _NONE
    if not p.peer_scheme:
        return CoProductionCounts(0, 0, 0, 0, 0, 0)
    rng = town.streams["peer"]
    at_home = ~s.in_hospital
    recovering = day - s.discharged_day < RECOVERY_DAYS

    supported = s.peer_stage == PEER_SUPPORTED
    s.peer_stage[supported & ~recovering] = PEER_DONE
    supported &= recovering
    helper = np.where(supported, s.supporter, 0)
    lost = supported & ((s.volunteer[helper] != ACTIVE) | s.in_hospital[helper])
    s.peer_stage[lost] = PEER_APPROVED
    s.supporter[s.peer_stage != PEER_SUPPORTED] = -1

    approved = s.peer_stage == PEER_APPROVED
    unmatched = approved & ~recovering
    s.peer_stage[unmatched] = PEER_UNMATCHED
    waiting = np.flatnonzero(approved & recovering & at_home)
    load = np.bincount(s.supporter[s.supporter >= 0], minlength=pop.size)
    # A volunteer recovering from a discharge of their own takes on no new patient
    # (so never themselves).
    room = np.where((s.volunteer == ACTIVE) & at_home & ~recovering,
                    np.maximum(p.patients_per_volunteer - load, 0), 0)
    free = np.repeat(np.arange(pop.size), room)  # one entry per place a volunteer has
    pat_at, vol_at = match_visits(pop.patch[waiting], pop.patch[free], rng)
    matched, helpers = waiting[pat_at], free[vol_at]
    s.peer_stage[matched] = PEER_SUPPORTED
    s.supporter[matched] = helpers
    s.next_visit_day[matched] = day

    due = np.flatnonzero((s.peer_stage == PEER_SUPPORTED) & at_home & (s.next_visit_day <= day))
    first = due[np.isin(due, matched, assume_unique=True)]
    s.gaps[first] = close_gaps(s.gaps[first], VISIT_CLOSABLE, p.peer_gap_close, rng)
    raise_decisions(due[(s.gaps[due] & GAP_HOME_SAFE) > 0], s.decision_day[CARE_DECISION], day)
    s.loneliness[due] = np.maximum(s.loneliness[due] - p.peer_loneliness_relief, 0.0)
    s.next_visit_day[due] = day + VISIT_EVERY_DAYS
    s.visit_volunteers, s.visit_patients = s.supporter[due], due

    asked = np.flatnonzero((s.discharged_day == day - RECOVERY_DAYS) & s.notified
                           & at_home & (s.volunteer == NOT_VOLUNTEER) & pop.adult
                           & (s.frailty < VOLUNTEER_MAX_FRAILTY))
    was_supported = (s.peer_stage[asked] == PEER_DONE)
    joined = asked[says_yes(was_supported, p, rng)]
    s.volunteer[joined] = VETTING
    s.vetted_day[joined] = day + vetting_days(p)
    checked = np.flatnonzero((s.volunteer == VETTING) & (s.vetted_day == day))
    raise_decisions(checked, s.decision_day[VOLUNTEER_DECISION], day)

    active = np.flatnonzero(s.volunteer == ACTIVE)
    tired = active[rng.random(len(active)) < tire_probability(p)]
    s.volunteer[tired] = NOT_VOLUNTEER
    return CoProductionCounts(len(due), len(first), int(np.count_nonzero(
        s.peer_stage == PEER_SUPPORTED)), len(waiting) - len(matched), int(unmatched.sum()),
        len(joined))


# -- process 5: risk management -------------------------------------------------------


def vetting_days(p: Params) -> int:
    """Days a new volunteer's checks take: a week at no aversion, up to the maximum.

    Accepting them is then a decision (:mod:`simulation.rules.decisions`).
    """
    days = (1.0 - p.risk_aversion) * VETTING_DAYS_AT_NO_AVERSION \
        + p.risk_aversion * p.vetting_days_max
    return round(days)


# -- process 4: matching, recruitment, tiring -----------------------------------------


def match_visits(patient_patch: np.ndarray, volunteer_patch: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair waiting patients with free places of volunteers, one patient per place.

    Volunteers from the patient's own patch are used first (near in the network and
    on the map); patients left over are then paired at random with places left over
    anywhere in town.

    Args:
        patient_patch: Patch of each waiting patient.
        volunteer_patch: Patch of each free place's volunteer.
        rng: The ``peer`` stream.

    Returns:
        Positions into the patient and place arrays, one entry per match.
    """
    patients = rng.permutation(len(patient_patch))
    volunteers = rng.permutation(len(volunteer_patch))
    patients = patients[np.argsort(patient_patch[patients], kind="stable")]
    volunteers = volunteers[np.argsort(volunteer_patch[volunteers], kind="stable")]
    p_rank = _rank_within(patient_patch[patients])
    v_rank = _rank_within(volunteer_patch[volunteers])
    # Key each by (patch, rank within patch): equal keys are a local match.
    width = max(len(patients), len(volunteers)) + 1
    p_key = patient_patch[patients].astype(np.int64) * width + p_rank
    v_key = volunteer_patch[volunteers].astype(np.int64) * width + v_rank
    _common, p_at, v_at = np.intersect1d(p_key, v_key, assume_unique=True,
                                        return_indices=True)
    local_p, local_v = patients[p_at], volunteers[v_at]
    rest_p = np.setdiff1d(patients, local_p, assume_unique=True)
    rest_v = np.setdiff1d(volunteers, local_v, assume_unique=True)
    k = min(len(rest_p), len(rest_v))
    far_p, far_v = rng.permutation(rest_p)[:k], rng.permutation(rest_v)[:k]
    return (np.concatenate((local_p, far_p)).astype(np.int64),
            np.concatenate((local_v, far_v)).astype(np.int64))


def _rank_within(sorted_groups: np.ndarray) -> np.ndarray:
    """Rank of each element within its run of equal values (input sorted by group)."""
    if len(sorted_groups) == 0:
        return np.empty(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    run_lengths = np.diff(np.r_[starts, len(sorted_groups)])
    return np.arange(len(sorted_groups)) - np.repeat(starts, run_lengths)


def says_yes(supported: np.ndarray, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Whether each recovered patient, asked to volunteer, says yes.

    Having been supported by a volunteer multiplies the chance by ``reciprocity_boost``
    (capped at 1).
    """
    chance = np.minimum(1.0, p.volunteer_willingness *
                        np.where(supported, p.reciprocity_boost, 1.0))
    return rng.random(len(supported)) < chance


def tire_probability(p: Params) -> float:
    """Daily chance an active volunteer tires and stops."""
    return float(-np.expm1(-p.volunteer_tiring / DAYS_PER_YEAR))
