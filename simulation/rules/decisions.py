"""Process 8 (subsidiarity): who takes a decision, and the manager's queue."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.state import GAP_HOME_SAFE, NEVER, State


def step_in_probability(morale: np.ndarray, p: Params) -> np.ndarray:
    """Chance a frontline professional takes a decision at once.

    Authority must be devolved (``devolved_authority``), and staff must step into it,
    which they do more when morale is high and participation is extended to them.
    """
    return _step_in_all(np.asarray(morale, dtype=np.float32), *_step_in_terms(p))


def manager_capacity(posts_filled: int, p: Params, rng: np.random.Generator) -> int:
    """Decisions managers take today (the fractional part is taken with its chance)."""
    return _manager_capacity(posts_filled, float(p.manager_decisions_per_post), rng)


def oldest_first(raised_day: np.ndarray, capacity: int) -> np.ndarray:
    """Positions of the ``capacity`` longest-waiting decisions (first come, first served)."""
    return _oldest_first(np.asarray(raised_day, dtype=np.int64), capacity)


def take_decisions(state: State, needy: np.ndarray, patch: np.ndarray, cases: np.ndarray,
                   day: int, p: Params,
                   rng: np.random.Generator | List
                   ) -> tuple[int, float, int, np.ndarray, np.ndarray]:
    """Phase 8: decisions are raised, taken at once by staff, or wait for a manager.

    Each resident in need raises a decision with chance ``decisions_per_year / 365``
    (unless one is waiting already). Staff in a filled post take a decision raised today
    at once with :func:`step_in_probability`, which costs them ``decision_hours``; the
    rest wait at least ``manager_review_days``, then are served oldest first as far as
    :func:`manager_capacity` allows. A decision taken brings the equipment that makes a
    home safe.

    Args:
        state: Today's state; decisions, gaps and posts' decision time are updated.
        needy: Residents in need today, in index order.
        patch: Each resident's professional patch (post).
        cases: Residents on each post's caseload today.
        day: Today.
        p: Parameters.
        rng: The ``decisions`` stream, plain or held (``Streams.held``).

    Returns:
        Decisions taken, the days they waited in all, decisions still waiting, and per
        post the chance of stepping in and the share of the caseload left waiting.
    """
    return _take_decisions(needy, patch, state.decision_pending, state.decision_raised_day,
                           state.gaps, state.decision_time, state.morale, state.vacant_until,
                           cases, day, p.decisions_per_year / 365.0, float(p.decision_hours),
                           float(p.manager_review_days), float(p.manager_decisions_per_post),
                           rng, *_step_in_terms(p))


@njit(cache=True)
def raise_decisions(residents: np.ndarray, pending: np.ndarray, raised_day: np.ndarray,
                    day: int) -> None:
    """Raise a decision today for each of ``residents`` who has none waiting, in place."""
    for i in residents:
        if not pending[i]:
            pending[i] = True
            raised_day[i] = day


@terms_of_params
def _step_in_terms(p: Params) -> tuple[np.float32, np.float32]:
    """The parameters of :func:`_step_in`, in float32 like morale."""
    return np.float32(0.5 + p.staff_participation), np.float32(p.devolved_authority)


@njit(inline="always")
def _step_in(morale: np.float32, participation: np.float32,
             devolved: np.float32) -> np.float32:
    """One post's chance of stepping in (see :func:`step_in_probability`)."""
    return devolved * min(np.float32(1.0), morale * participation)


@njit(cache=True)
def _step_in_all(morale: np.ndarray, participation: np.float32,
                 devolved: np.float32) -> np.ndarray:
    out = np.empty(len(morale), dtype=np.float32)
    for k in range(len(morale)):
        out[k] = _step_in(morale[k], participation, devolved)
    return out


@njit(cache=True)
def _manager_capacity(posts_filled: int, per_post: float, rng: np.random.Generator) -> int:
    expected = per_post * posts_filled
    whole = int(expected)
    return whole + int(rng.random() < expected - whole)


@njit(cache=True)
def _oldest_first(raised_day: np.ndarray, capacity: int) -> np.ndarray:
    if capacity >= len(raised_day):
        return np.arange(len(raised_day))
    return np.argsort(raised_day, kind="mergesort")[:capacity]  # stable: ties keep order


@njit(cache=True)
def _take_decisions(needy, patch, pending, raised_day, gaps, decision_time, morale,
                    vacant_until, cases, day, daily_rate, decision_hours, review_days,
                    per_post, stream, participation, devolved):
    """:func:`take_decisions` on the arrays themselves."""
    rng = generator(stream)
    raise_decisions(needy[rng.random(len(needy)) < daily_rate], pending, raised_day, day)
    posts = len(morale)
    step_in = np.zeros(posts, dtype=np.float32)
    filled = 0
    for k in range(posts):
        if vacant_until[k] == NEVER:
            step_in[k] = _step_in(morale[k], participation, devolved)
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
                                      + decision_hours * by_post[k])
    queue = waiting_now[pending[waiting_now] & (day - raised_day[waiting_now] >= review_days)]
    served = queue[_oldest_first(raised_day[queue].astype(np.int64),
                                 _manager_capacity(filled, per_post, rng))]
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
