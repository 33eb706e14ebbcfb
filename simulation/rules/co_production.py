"""Processes 4 and 5 (co-production under risk management): the peer-visit scheme.

The day calls :func:`co_production`. Risk management (process 5) is part of the same
phase: it sets how long a new volunteer waits for vetting (:func:`vetting_days`) and
how often a professional vetoes a peer visit and goes instead
(:func:`veto_probability`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulation.params import Params
from simulation.rules.decisions import raise_decisions
from simulation.rules.discharge import close_gaps, professional_visit
from simulation.state import (
    ACTIVE,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    GAP_HOME_SAFE,
    NOT_VOLUNTEER,
    PEER_VETOED,
    PEER_VISITED,
    PEER_WAITING,
    RECOVERY_DAYS,
    VETTING,
    VISIT_CLOSABLE,
)

if TYPE_CHECKING:
    from simulation.town import Town

VETTING_DAYS_AT_NO_AVERSION = 7.0  # the shortest vetting: a week
VOLUNTEER_MAX_FRAILTY = 0.6  # recovered patients above this are not asked to volunteer

_NONE = np.empty(0, dtype=np.int64)


class CoProductionCounts(NamedTuple):
    """What phases 4 and 5 count: peer visits made today, and visits vetoed."""

    peer_visits: int
    vetoes: int


def co_production(town: Town) -> CoProductionCounts:
    """Phases 4 and 5: the peer-visit scheme under the prevailing risk management.

    In order, with the scheme on:

    1. risk management: each patient the community heard of today is vetoed with
       :func:`veto_probability`, and a professional visits instead;
    2. visits: volunteers' visits are replenished (:func:`refill_tokens`); patients
       waiting within ``peer_visit_window_days`` of notification are matched with free
       volunteers, own patch first (:func:`match_visits`). A visit closes each open,
       closable gap with ``peer_gap_close``, raises a decision for a home still unsafe,
       and eases loneliness by ``peer_loneliness_relief``;
    3. reciprocity: patients recovered today (30 days after discharge) whom the
       community knew of are asked to volunteer (:func:`says_yes`); those who join wait
       :func:`vetting_days`, then are active;
    4. tiring: active volunteers stop with :func:`tire_probability`.

    Today's visits are kept in ``visit_volunteers`` and ``visit_patients`` (paired) for
    the care phase.
    """
    s, p, pop, day = town.state, town.params, town.pop, town.day
    s.visit_volunteers, s.visit_patients = _NONE, _NONE
    if not p.peer_scheme:
        return CoProductionCounts(0, 0)
    rng = town.streams["peer"]
    at_home = ~s.in_hospital

    new = np.flatnonzero((s.peer_stage == PEER_WAITING) & (s.notify_day == day))
    vetoed = new[rng.random(len(new)) < veto_probability(p)]
    s.peer_stage[vetoed] = PEER_VETOED
    professional_visit(vetoed, s.gaps, s.decision_pending, s.decision_raised_day,
                       s.hours_used, pop.patch, day, float(p.professional_gap_close),
                       town.streams.held("peer"))

    active = s.volunteer == ACTIVE
    s.visit_tokens[active] = refill_tokens(s.visit_tokens[active], p)
    waiting = np.flatnonzero((s.peer_stage == PEER_WAITING) & at_home
                             & (day - s.notify_day < p.peer_visit_window_days))
    free = np.flatnonzero(active & at_home & (s.visit_tokens >= 1.0))
    pat_at, vol_at = match_visits(pop.patch[waiting], pop.patch[free], rng)
    patients, volunteers = waiting[pat_at], free[vol_at]
    s.visit_tokens[volunteers] -= 1.0
    s.gaps[patients] = close_gaps(s.gaps[patients], VISIT_CLOSABLE, p.peer_gap_close, rng)
    raise_decisions(patients[(s.gaps[patients] & GAP_HOME_SAFE) > 0], s.decision_pending,
                    s.decision_raised_day, day)
    s.loneliness[patients] = np.maximum(s.loneliness[patients] - p.peer_loneliness_relief,
                                        0.0)
    s.peer_stage[patients] = PEER_VISITED
    s.visit_volunteers, s.visit_patients = volunteers, patients

    asked = np.flatnonzero((s.discharged_day == day - RECOVERY_DAYS) & s.notified
                           & ~s.in_hospital & (s.volunteer == NOT_VOLUNTEER) & pop.adult
                           & (s.frailty < VOLUNTEER_MAX_FRAILTY))
    joined = asked[says_yes(s.peer_stage[asked] == PEER_VISITED, p, rng)]
    s.volunteer[joined] = VETTING
    s.vetted_day[joined] = day + vetting_days(p)

    vetted = np.flatnonzero((s.volunteer == VETTING) & (s.vetted_day <= day))
    s.volunteer[vetted] = ACTIVE
    s.visit_tokens[vetted] = 0.0
    active_now = np.flatnonzero(s.volunteer == ACTIVE)
    tired = active_now[rng.random(len(active_now)) < tire_probability(p)]
    s.volunteer[tired] = NOT_VOLUNTEER
    return CoProductionCounts(len(patients), len(vetoed))


# -- process 5: risk management -------------------------------------------------------


def vetting_days(p: Params) -> int:
    """Days a new volunteer waits for vetting: a week at no aversion, up to the maximum."""
    days = (1.0 - p.risk_aversion) * VETTING_DAYS_AT_NO_AVERSION \
        + p.risk_aversion * p.vetting_days_max
    return round(days)


def veto_probability(p: Params) -> float:
    """Chance a professional vetoes a peer visit and goes instead."""
    return p.risk_aversion * p.veto_max


# -- process 4: visits, recruitment, tiring -------------------------------------------


def match_visits(patient_patch: np.ndarray, volunteer_patch: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair waiting patients with free volunteers, one visit per volunteer.

    Volunteers from the patient's own patch are used first (near in the network and
    on the map); patients left over are then paired at random with volunteers left
    over anywhere in town.

    Args:
        patient_patch: Patch of each waiting patient.
        volunteer_patch: Patch of each free volunteer.
        rng: The ``peer`` stream.

    Returns:
        Positions into the patient and volunteer arrays, one entry per visit.
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


def says_yes(visited: np.ndarray, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Whether each recovered patient, asked to volunteer, says yes.

    Being visited multiplies the chance by ``reciprocity_boost`` (capped at 1).
    """
    chance = np.minimum(1.0, p.volunteer_willingness *
                        np.where(visited, p.reciprocity_boost, 1.0))
    return rng.random(len(visited)) < chance


def refill_tokens(tokens: np.ndarray, p: Params) -> np.ndarray:
    """Add a day's share of weekly visits, keeping at most a week's worth in hand.

    At least one whole visit can be saved up, so rates under one a week still visit;
    a rate of zero allows none.
    """
    most = max(p.visits_per_week, 1.0) if p.visits_per_week > 0 else 0.0
    return np.minimum(tokens + p.visits_per_week / DAYS_PER_WEEK, most).astype(np.float32)


def tire_probability(p: Params) -> float:
    """Daily chance an active volunteer tires and stops."""
    return float(-np.expm1(-p.volunteer_tiring / DAYS_PER_YEAR))
