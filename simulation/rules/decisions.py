"""Process 8 (subsidiarity): who takes a decision, and the manager's queue.

The day calls :func:`decisions`. Decisions are raised here (by residents in need) and by
other phases (:func:`raise_decisions`: a discharge home with care needs, a home found
unsafe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.state import DAYS_PER_YEAR, GAP_HOME_SAFE, NEVER

if TYPE_CHECKING:
    from simulation.town import Town

# Staff step into devolved authority with chance morale x (this + staff_participation):
# at full morale and no participation, half the time.
STEP_IN_BASE = 0.5


class DecisionCounts(NamedTuple):
    """What phase 8 counts: decisions taken, days they waited in all, and still waiting."""

    decisions: int
    decision_wait_days: float
    decisions_waiting: int


def decisions(town: Town) -> DecisionCounts:
    """Phase 8: decisions are raised, taken at once by staff, or wait for a manager.

    Each resident in need raises a decision with chance ``decisions_per_year`` a year
    (unless one is waiting already). Staff in a filled post take a decision raised today
    at once with :func:`step_in_chance`, which costs them ``decision_hours`` of
    tomorrow's time; the rest wait at least ``manager_review_days``, then are served
    oldest first as far as :func:`manager_capacity` allows. A decision taken brings the
    equipment that makes a home safe. Per post, the chance of stepping in and the
    share of the caseload left waiting are kept for morale.
    """
    s = town.state
    taken, waited, waiting, s.step_in, s.waiting_share = _take_decisions(
        s.in_need, town.pop.patch, s.decision_pending, s.decision_raised_day, s.gaps,
        s.decision_time, s.morale, s.vacant_until, s.cases, town.day,
        decision_terms(town.params), town.streams.held("decisions"))
    return DecisionCounts(taken, waited, waiting)


class DecisionTerms(NamedTuple):
    """The parameters of phase 8."""

    daily_rate: float  # chance a resident in need raises a decision today
    decision_hours: float  # frontline hours one devolved decision takes
    review_days: float  # least wait of a decision referred to a manager
    per_post: float  # manager decisions a day per frontline post
    participation: np.float32  # STEP_IN_BASE + staff_participation
    devolved: np.float32  # share of decisions staff may take


@terms_of_params
def decision_terms(p: Params) -> DecisionTerms:
    """:class:`DecisionTerms` of the parameters."""
    return DecisionTerms(p.decisions_per_year / DAYS_PER_YEAR, float(p.decision_hours),
                         float(p.manager_review_days), float(p.manager_decisions_per_post),
                         np.float32(STEP_IN_BASE + p.staff_participation),
                         np.float32(p.devolved_authority))


@njit(inline="always")
def step_in_chance(morale: np.float32, t: DecisionTerms) -> np.float32:
    """One post's chance of taking a decision at once.

    Authority must be devolved (``devolved``), and staff must step into it, which they
    do more when morale is high and participation is extended to them.
    """
    return t.devolved * min(np.float32(1.0), morale * t.participation)


@njit(cache=True)
def raise_decisions(residents: np.ndarray, pending: np.ndarray, raised_day: np.ndarray,
                    day: int) -> None:
    """Raise a decision today for each of ``residents`` who has none waiting, in place."""
    for i in residents:
        if not pending[i]:
            pending[i] = True
            raised_day[i] = day


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
def _take_decisions(needy, patch, pending, raised_day, gaps, decision_time, morale,
                    vacant_until, cases, day, t, stream):
    """:func:`decisions` on the arrays themselves."""
    rng = generator(stream)
    raise_decisions(needy[rng.random(len(needy)) < t.daily_rate], pending, raised_day, day)
    posts = len(morale)
    step_in = np.zeros(posts, dtype=np.float32)
    filled = 0
    for k in range(posts):
        if vacant_until[k] == NEVER:
            step_in[k] = step_in_chance(morale[k], t)
            filled += 1
    # Everything below concerns only residents with a decision waiting: find them once.
    waiting_now = np.flatnonzero(pending)
    new = waiting_now[raised_day[waiting_now] == day]
    taken = new[rng.random(len(new)) < step_in[patch[new]]]
    by_post = np.zeros(posts, dtype=np.int64)
    for i in taken:
        by_post[patch[i]] += 1
        pending[i] = False
    for k in range(posts):  # as numpy's float32 += float64 does it
        decision_time[k] = np.float32(np.float64(decision_time[k])
                                      + t.decision_hours * by_post[k])
    queue = waiting_now[pending[waiting_now] & (day - raised_day[waiting_now] >= t.review_days)]
    served = queue[oldest_first(raised_day[queue].astype(np.int64),
                                manager_capacity(filled, t.per_post, rng))]
    waited = 0
    for done in (taken, served):
        for i in done:
            waited += day - raised_day[i]
            pending[i] = False
            gaps[i] &= np.uint8(~GAP_HOME_SAFE & 0xFF)  # the equipment arrives
    waiting_by_post = np.zeros(posts, dtype=np.int64)
    waiting = 0
    for i in waiting_now:
        if pending[i]:
            waiting += 1
            waiting_by_post[patch[i]] += 1
    waiting_share = np.zeros(posts, dtype=np.float64)
    for k in range(posts):
        if cases[k] > 0:
            waiting_share[k] = min(max(waiting_by_post[k] / cases[k], 0.0), 1.0)
    return len(taken) + len(served), float(waited), waiting, step_in, waiting_share
