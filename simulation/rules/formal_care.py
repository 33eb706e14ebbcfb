"""Process 6, formal part: paid care bought with a personal budget, and professionals.

Called by :func:`simulation.rules.care.care` after unpaid care. A budget buys hours
(:func:`paid_hours`), never companionship (process 7); each post's capacity is shared
among its caseload (:func:`professional_share`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.state import DAYS_PER_WEEK

if TYPE_CHECKING:
    from simulation.town import Town

WAITING_SUPPORT_SHARE = 0.5  # paid and professional care while a decision waits


class FormalTerms(NamedTuple):
    """The parameters of formal care, typed as its arithmetic needs them."""

    eligibility_hours: np.float32  # weekly need from which formal care is given
    budget_share: np.float32  # share of the eligible holding a personal budget
    budget_cap: np.float32  # hours a day a budget buys
    per_case: float  # most professional hours one case gets in a day


@terms_of_params
def formal_terms(p: Params) -> FormalTerms:
    """:class:`FormalTerms` of the parameters."""
    f32 = np.float32
    return FormalTerms(f32(p.eligibility_hours), f32(p.budget_share),
                       f32(p.budget_hours / DAYS_PER_WEEK), float(p.professional_hours_per_case))


@njit(inline="always")
def paid_hours(remaining: np.float32, budget: bool, cap: np.float32) -> np.float32:
    """Hours of paid care one person's budget buys today: up to ``cap``, if they hold one."""
    return min(remaining, cap) if budget else np.float32(0.0)


@njit(cache=True)
def professional_share(requests: np.ndarray, patch: np.ndarray, capacity: np.ndarray,
                       per_case: float) -> tuple[np.ndarray, np.ndarray]:
    """Share each patch's professional capacity among its cases.

    A case asks for its remaining need up to ``per_case``; when a patch's demand exceeds
    its capacity every case gets the same share of its request. Sums are in float64 in
    case order, as ``np.bincount`` makes them.

    Args:
        requests: Remaining need of each case (hours).
        patch: Patch of each case.
        capacity: Professional hours available in each patch today.
        per_case: Most hours one case asks for.

    Returns:
        Hours given to each case, and demand (hours asked) per patch.
    """
    asked = np.minimum(requests, per_case)
    demand = np.zeros(len(capacity), dtype=np.float64)
    for k in range(len(asked)):
        demand[patch[k]] += asked[k]
    scale = np.ones(len(capacity), dtype=np.float64)
    for post in range(len(capacity)):
        if demand[post] > 0:
            scale[post] = min(capacity[post] / demand[post], 1.0)
    given = np.empty(len(asked), dtype=np.float32)
    for k in range(len(asked)):
        given[k] = asked[k] * scale[patch[k]]
    return given, demand


def formal_care(town: Town, needy: np.ndarray, remaining: np.ndarray,
                recent: np.ndarray) -> tuple[np.ndarray, ...]:
    """Paid and professional care for the residents in need, in place.

    Eligible residents (need of ``eligibility_hours`` a week or more) with a personal
    budget buy :func:`paid_hours`; eligible residents and those recently discharged and
    known to the community are on a caseload and share their post's capacity
    (:func:`professional_share`). While a decision about their care waits, both give
    only :data:`WAITING_SUPPORT_SHARE` of what they would. ``remaining`` and the posts'
    hours used are reduced and raised in place.

    Returns:
        Paid hours per resident in need; professional hours per case; the cases'
        positions among the residents in need; and per post the overload (demand over
        capacity, less one, floored at 0), the share of the caseload's need left unmet,
        and the number of cases.
    """
    s = town.state
    return _formal_care(needy, remaining, s.need, s.decision_pending, town.pop.budget_draw,
                        recent, s.notified, town.pop.patch, s.hours_available, s.hours_used,
                        formal_terms(town.params))


@njit(cache=True)
def _formal_care(needy, remaining, need, pending, budget_draw, recent, notified, patch,
                 hours_available, hours_used, t):
    posts = len(hours_used)
    paid = np.empty(len(needy), dtype=np.float64)
    cases = np.empty(len(needy), dtype=np.int64)
    count = 0
    for k in range(len(needy)):
        i = needy[k]
        support = WAITING_SUPPORT_SHARE if pending[i] else 1.0
        eligible = need[i] * np.float32(DAYS_PER_WEEK) >= t.eligibility_hours
        budget = eligible and budget_draw[i] < t.budget_share
        paid[k] = np.float64(paid_hours(remaining[k], budget, t.budget_cap)) * support
        remaining[k] = np.float64(remaining[k]) - paid[k]
        if eligible or (recent[i] and notified[i]):
            cases[count] = k
            count += 1
    cases = cases[:count]
    capacity = np.empty(posts, dtype=np.float32)
    for post in range(posts):
        capacity[post] = max(hours_available[post] - hours_used[post], np.float32(0.0))
    requests = np.empty(count, dtype=np.float64)
    case_patch = np.empty(count, dtype=np.int64)
    for c in range(count):
        k = cases[c]
        requests[c] = np.float64(remaining[k]) * (WAITING_SUPPORT_SHARE if pending[needy[k]]
                                                  else 1.0)
        case_patch[c] = patch[needy[k]]
    professional, demand = professional_share(requests, case_patch, capacity, t.per_case)
    used = np.zeros(posts, dtype=np.float64)
    case_need = np.zeros(posts, dtype=np.float64)
    case_unmet = np.zeros(posts, dtype=np.float64)
    case_count = np.zeros(posts, dtype=np.int64)
    for c in range(count):
        k, post = cases[c], case_patch[c]
        remaining[k] -= professional[c]
        used[post] += professional[c]
        case_need[post] += need[needy[k]]
        case_unmet[post] += remaining[k]
        case_count[post] += 1
    overload = np.zeros(posts, dtype=np.float64)
    unmet_share = np.zeros(posts, dtype=np.float64)
    for post in range(posts):  # as numpy's float32 += float64 does it
        hours_used[post] = np.float32(np.float64(hours_used[post]) + used[post])
        overload[post] = max(demand[post] / max(capacity[post], np.float32(1e-9)) - 1.0, 0.0)
        if case_need[post] > 0:
            unmet_share[post] = case_unmet[post] / case_need[post]
    return paid, professional, cases, overload, unmet_share, case_count
