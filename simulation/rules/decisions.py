"""Process 8 (subsidiarity, and process 5's risk decisions): who decides, and the queue.

The day calls :func:`decisions`. Three kinds of decision wait in one system
(``State.decision_day``, one row per kind):

* a resident's **care package** (:data:`~simulation.state.CARE_DECISION`): raised by
  reviews of residents in need, by a patient fit to leave hospital with lasting needs,
  and by a visit that finds an unsafe home; taken, it brings the equipment that makes
  the home safe and, for a resident funded for paid care, a place in the paid-care
  queue;
* a **referral to the peer scheme** (:data:`~simulation.state.VISIT_DECISION`): raised
  when the community hears of a discharge; taken, the referral is vetoed with the
  organisation's ``risk_aversion`` (a professional follows up instead) or approved;
* **accepting a volunteer** whose checks are done
  (:data:`~simulation.state.VOLUNTEER_DECISION`).

Whoever decides applies the same policy; what devolution changes is who decides and
when. A care decision must first be assessed by a professional (``decision_hours`` of
their time, given by the care phase as their hours allow): the frontline professional
who assessed it today takes it at once with :func:`step_in_chance` (devolved
authority, stepped into as morale and participation allow). A risk decision raised
today is taken at once the same way if the post can book ``decision_hours`` of
tomorrow's time. Everything else waits at least ``manager_review_days`` (from the
assessment, for a care decision) for a manager, whose daily throughput
(:func:`manager_capacity`) serves every kind oldest first. So the scheme's risk
decisions and residents' care decisions compete for the same managers, and care
decisions for professionals' time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.rules.health import NeedTerms, need_hours, need_terms
from simulation.rules.morale import covering_posts
from simulation.state import (
    ACTIVE,
    CARE_DECISION,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    DECISION_KINDS,
    GAP_HOME_SAFE,
    NEVER,
    PEER_APPROVED,
    PEER_REFERRED,
    PEER_VETOED,
    VETTING,
    VISIT_DECISION,
    VOLUNTEER_DECISION,
)

if TYPE_CHECKING:
    from simulation.town import Town

# Staff step into devolved authority with chance morale x (this + staff_participation):
# at full morale and no participation, half the time.
STEP_IN_BASE = 0.5


class DecisionCounts(NamedTuple):
    """What phase 7 counts today.

    Attributes:
        decisions: Decisions taken, of every kind.
        decisions_frontline: Of them, taken at once by frontline staff.
        decision_wait_days: Days the decisions taken had waited, in all.
        decisions_waiting: Decisions waiting at the end of the day.
        referrals_vetoed: Referrals to the peer scheme vetoed today.
    """

    decisions: int
    decisions_frontline: int
    decision_wait_days: float
    decisions_waiting: int
    referrals_vetoed: int


def decisions(town: Town) -> DecisionCounts:
    """Phase 7 (processes 5, 8): decisions are raised, taken at once by staff, or by managers.

    Reviews are raised by residents in need at ``decisions_per_year`` (unless one is
    waiting); then every decision raised today may be taken at once by the frontline,
    and the manager's queue is served (see the module's doc). Each decision taken has
    its effect (:func:`_take_effects`). Per post, the chance of stepping in and the
    share of the caseload left waiting are kept for morale.
    """
    s, p = town.state, town.params
    t = decision_terms(p)
    taken, frontline, waited, waiting, s.step_in, s.waiting_share = _decide(
        s.in_need, covering_posts(s.vacant_until), town.pop.patch, s.decision_day,
        s.assessed_day, s.morale, s.vacant_until, s.hours_available, s.decision_time,
        s.cases, town.day, t, town.streams.held("decisions"), town.streams.held("risk"))
    vetoed = _take_effects(taken, s.gaps, s.frailty, s.package_hours, s.package_wait_day,
                           s.peer_stage, s.referred_day, s.volunteer, town.pop.budget_draw,
                           town.day, t, need_terms(p), town.streams.held("risk"))
    return DecisionCounts(len(taken), frontline, waited, waiting, vetoed)


class DecisionTerms(NamedTuple):
    """The parameters of phase 7."""

    daily_rate: float  # chance a resident in need raises a review today
    decision_hours: float  # frontline hours one devolved decision takes
    review_days: float  # least wait of a decision referred to a manager
    per_post: float  # manager decisions a day per frontline post
    step_in_scale: np.float32  # STEP_IN_BASE + staff_participation, times morale
    devolved: np.float32  # share of decisions staff may take
    veto: float  # chance a referral to the scheme is vetoed (risk_aversion x veto_max)
    eligibility: np.float32  # hours a week of lasting need that make a package
    budget_share: np.float32  # share of the eligible funded for paid care


@terms_of_params
def decision_terms(p: Params) -> DecisionTerms:
    """:class:`DecisionTerms` of the parameters."""
    return DecisionTerms(p.decisions_per_year / DAYS_PER_YEAR, float(p.decision_hours),
                         float(p.manager_review_days), float(p.manager_decisions_per_post),
                         np.float32(STEP_IN_BASE + p.staff_participation),
                         np.float32(p.devolved_authority), veto_probability(p),
                         np.float32(p.eligibility_hours), np.float32(p.budget_share))


def veto_probability(p: Params) -> float:
    """Chance a referral to the peer scheme is vetoed: ``risk_aversion x veto_max``."""
    return p.risk_aversion * p.veto_max


@njit(inline="always")
def step_in_chance(morale: np.float32, t: DecisionTerms) -> np.float32:
    """One post's chance of taking a decision at once.

    Authority must be devolved (``devolved``), and staff must step into it, which they
    do more when morale is high and participation is extended to them.
    """
    return t.devolved * min(np.float32(1.0), morale * t.step_in_scale)


@njit(inline="always")
def funded_for_package(lasting_need: np.float32, budget_draw: np.float32,
                       t: DecisionTerms) -> bool:
    """Whether a resident's care package includes paid care.

    Their lasting (everyday) need must reach ``eligibility_hours`` a week, and they
    must be among the ``budget_share`` funded for paid care.
    """
    return (lasting_need * np.float32(DAYS_PER_WEEK) >= t.eligibility
            and budget_draw < t.budget_share)


@njit(cache=True)
def raise_decisions(residents: np.ndarray, raised: np.ndarray, day: int) -> None:
    """Raise a decision today for each of ``residents`` with none of this kind waiting.

    ``raised`` is one kind's row of ``State.decision_day``, changed in place.
    """
    for i in residents:
        if raised[i] == NEVER:
            raised[i] = day


@njit(cache=True)
def manager_capacity(posts_filled: int, per_post: float, rng: np.random.Generator) -> int:
    """Decisions managers take today: ``per_post`` for each filled post.

    The fractional part of the total is taken with its chance.
    """
    expected = per_post * posts_filled
    whole = int(expected)
    return whole + int(rng.random() < expected - whole)


@njit(cache=True)
def oldest_first(raised_day: np.ndarray, capacity: int) -> np.ndarray:
    """Positions of the ``capacity`` longest-waiting decisions (first come, first served)."""
    if capacity >= len(raised_day):
        return np.arange(len(raised_day))
    return np.argsort(raised_day, kind="mergesort")[:capacity]  # stable: ties keep order


@njit(cache=True)
def open_decisions(decision_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The decisions waiting, as (kind, resident) pairs: kind by kind, residents in order."""
    kinds, n = decision_day.shape
    count = 0
    for kind in range(kinds):
        for i in range(n):
            count += decision_day[kind, i] != NEVER
    kind_of = np.empty(count, dtype=np.int64)
    resident = np.empty(count, dtype=np.int64)
    k = 0
    for kind in range(kinds):
        for i in range(n):
            if decision_day[kind, i] != NEVER:
                kind_of[k], resident[k] = kind, i
                k += 1
    return kind_of, resident


@njit(cache=True)
def _decide(needy, cover, patch, decision_day, assessed_day, morale, vacant_until, hours_available,
            decision_time, cases, day, t, decisions_stream, risk_stream):
    """Raise reviews, take today's decisions at the frontline, serve the manager's queue.

    ``cover`` is, per patch, the post serving it (a vacant patch's is the covering
    post), whose staff take its residents' decisions at once or leave them waiting.

    Returns the decisions taken as ``(kind, resident, day raised)`` rows, how many were
    taken by the frontline, the days waited in all, the decisions left waiting, and per
    post the chance of stepping in and the caseload's share left waiting.
    """
    rng, risk_rng = generator(decisions_stream), generator(risk_stream)
    raise_decisions(needy[rng.random(len(needy)) < t.daily_rate], decision_day[CARE_DECISION],
                    day)
    posts = len(morale)
    step_in = np.zeros(posts, dtype=np.float32)
    filled = 0
    for k in range(posts):
        if vacant_until[k] == NEVER:
            step_in[k] = step_in_chance(morale[k], t)
            filled += 1
    kinds = len(DECISION_KINDS)
    open_kind, open_resident = open_decisions(decision_day)
    taken = np.empty((len(open_kind), 3), dtype=np.int64)
    count = frontline = 0
    # Today's decisions: care decisions assessed today (their time is spent), then risk
    # decisions raised today if tomorrow has the hours. Each kind draws from its own
    # stream, so a scheme's decisions leave care's alone.
    for kind in range(kinds):
        row = decision_day[kind]
        new = np.empty(len(open_kind), dtype=np.int64)
        fresh = 0
        for k in range(len(open_kind)):
            i = open_resident[k]
            if open_kind[k] == kind and (assessed_day[i] == day if kind == CARE_DECISION
                                         else row[i] == day):
                new[fresh] = i
                fresh += 1
        draws = (rng if kind == CARE_DECISION else risk_rng).random(fresh)
        for k in range(fresh):
            i = new[k]
            post = cover[patch[i]]
            if draws[k] >= step_in[post]:
                continue
            if kind != CARE_DECISION:
                # Tomorrow's hours are known only once morale moves tonight: today's
                # stand in for them, and begin_day caps what was booked at tomorrow's.
                if decision_time[post] + t.decision_hours > hours_available[post]:
                    continue
                decision_time[post] += np.float32(t.decision_hours)
            taken[count, 0], taken[count, 1], taken[count, 2] = kind, i, row[i]
            row[i] = NEVER
            count += 1
            frontline += 1
    # The manager's queue: every kind, oldest first, once past the review's least time.
    queued_kind = np.empty(len(open_kind), dtype=np.int64)
    queued = np.empty(len(open_kind), dtype=np.int64)
    queued_day = np.empty(len(open_kind), dtype=np.int64)
    q = 0
    for k in range(len(open_kind)):
        kind, i = open_kind[k], open_resident[k]
        row = decision_day[kind]
        if row[i] != NEVER:  # not taken at the frontline
            since = row[i]
            if kind == CARE_DECISION:
                if assessed_day[i] == NEVER:
                    continue  # not assessed yet
                since = assessed_day[i]
            if day - since >= t.review_days:
                queued_kind[q], queued[q], queued_day[q] = kind, i, row[i]
                q += 1
    served = oldest_first(queued_day[:q], manager_capacity(filled, t.per_post, rng))
    for k in served:
        kind, i = queued_kind[k], queued[k]
        taken[count, 0], taken[count, 1], taken[count, 2] = kind, i, queued_day[k]
        decision_day[kind, i] = NEVER
        count += 1
    taken = taken[:count].copy()
    for k in range(count):
        if taken[k, 0] == CARE_DECISION:
            assessed_day[taken[k, 1]] = NEVER
    waited = 0
    for k in range(count):
        waited += day - taken[k, 2]
    waiting = 0
    waiting_by_post = np.zeros(posts, dtype=np.int64)
    for k in range(len(open_kind)):
        kind, i = open_kind[k], open_resident[k]
        if decision_day[kind, i] != NEVER:
            waiting += 1
            if kind == CARE_DECISION:
                waiting_by_post[cover[patch[i]]] += 1
    waiting_share = np.zeros(posts, dtype=np.float64)
    for k in range(posts):
        if cases[k] > 0:
            waiting_share[k] = min(max(waiting_by_post[k] / cases[k], 0.0), 1.0)
    return taken, frontline, float(waited), waiting, step_in, waiting_share


@njit(cache=True)
def _take_effects(taken, gaps, frailty, package_hours, package_wait_day, peer_stage, referred_day,
                  volunteer, budget_draw, day, t: DecisionTerms, need: NeedTerms,
                  risk_stream) -> int:
    """What each decision taken does; returns the referrals vetoed.

    A care decision closes the home-safe gap (the equipment arrives) and, for a resident
    funded for paid care (:func:`funded_for_package`) with no package running or
    queued, joins the paid-care queue. A referral still waiting is vetoed with ``veto``
    (a professional follows up instead) or approved. A volunteer whose checks are done
    becomes active.
    """
    risk_rng = generator(risk_stream)
    vetoed = 0
    for k in range(len(taken)):
        kind, i = taken[k, 0], taken[k, 1]
        if kind == CARE_DECISION:
            gaps[i] &= np.uint8(~GAP_HOME_SAFE & 0xFF)
            if (package_hours[i] == 0.0 and package_wait_day[i] == NEVER
                    and funded_for_package(need_hours(frailty[i], -1, need), budget_draw[i],
                                           t)):
                package_wait_day[i] = day
        elif kind == VISIT_DECISION:
            if peer_stage[i] != PEER_REFERRED:
                continue  # readmitted since: the referral lapsed
            if risk_rng.random() < t.veto:
                peer_stage[i] = PEER_VETOED
                if referred_day[i] == NEVER:
                    referred_day[i] = day  # the follow-up window starts today
                vetoed += 1
            else:
                peer_stage[i] = PEER_APPROVED
        elif kind == VOLUNTEER_DECISION and volunteer[i] == VETTING:
            volunteer[i] = ACTIVE
    return vetoed
