"""Process 6, formal part: paid home care in packages, and professionals' visits.

Called by :func:`simulation.rules.care.care`.

**Paid care** comes in packages: a care decision for a resident funded for paid care
puts a package in a queue (:mod:`simulation.rules.decisions`), and packages start
oldest first while the local providers have room (``paid_care_hours_per_1000``); a
package ends when the resident's lasting need no longer qualifies. A package gives
everyday help only, and buys hours, never company (process 7).

**Professionals** have a binding capacity: each post's hours today, of which the
decisions booked yesterday are already spent. A vacant post's patch is covered by the
next filled post (:func:`~simulation.rules.morale.covering_posts`), from that post's
hours. They visit (``professional_hours_per_case`` a visit, one a day per resident) and assess care
decisions (``decision_hours`` each; a care decision can be taken only once assessed) in
order of priority, as far as the hours go:

1. skilled nursing already under way: further visits to recovering patients already
   seen, with skilled need left, oldest discharge first (scheduled care comes first);
2. follow-ups: the first visit to a patient discharged within 30 days who was referred
   (or whose carer asks), oldest first, whether or not they need care today; it checks
   the basics, closing each closable gap
   with ``professional_gap_close`` and raising a decision for an unsafe home. A
   referral not visited within ``follow_up_window_days`` of being made (when the
   community heard, or when a referral to the peer scheme was vetoed) is missed;
3. assessments of care decisions: first for patients fit to leave hospital who wait
   for a care package, then for residents at home (reviews, unsafe homes), oldest
   first;
4. help (reablement and support at home) to any resident in need with need left and
   no visit yet today, sharing what hours are left in proportion to their requests:
   spare professional time goes to care that is needed.

Skilled need (the recovery need after discharge) only professionals can meet; everyday
need any source can.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.params import Params, terms_of_params
from simulation.rules.discharge import close_gaps
from simulation.rules.health import NeedTerms, need_hours, need_terms
from simulation.rules.morale import covering_posts
from simulation.state import (
    CARE_DECISION,
    DAYS_PER_WEEK,
    GAP_HOME_SAFE,
    NEVER,
    RECOVERY_DAYS,
    VISIT_CLOSABLE,
)

if TYPE_CHECKING:
    from simulation.town import Town


class FormalTerms(NamedTuple):
    """The parameters of formal care, typed as its arithmetic needs them."""

    eligibility: np.float32  # hours a week of lasting need that make a resident eligible
    package: np.float32  # paid care a day in one package
    supply: float  # paid care a day the local providers can deliver
    visit: float  # hours of one professional visit
    window: int  # days within which a follow-up must be made
    gap_close: float  # chance a professional visit closes each closable gap
    assessment: float  # hours of assessing one care decision


@terms_of_params
def formal_terms(p: Params) -> FormalTerms:
    """:class:`FormalTerms` of the parameters."""
    return FormalTerms(np.float32(p.eligibility_hours),
                       np.float32(p.budget_hours / DAYS_PER_WEEK),
                       p.paid_care_hours_per_1000 / DAYS_PER_WEEK * p.residents / 1000.0,
                       float(p.professional_hours_per_case), int(p.follow_up_window_days),
                       float(p.professional_gap_close), float(p.decision_hours))


# -- paid care ------------------------------------------------------------------------


@njit(inline="always")
def paid_hours(everyday_left: np.float32, package: np.float32) -> np.float32:
    """Paid care one resident gets today: their package, up to the everyday need left."""
    return min(everyday_left, package)


def run_packages(town: Town) -> tuple[int, int]:
    """End packages that no longer qualify, then start queued ones as room allows.

    A package (running or queued) is kept through a hospital stay; at home it ends when
    the resident's lasting need falls below ``eligibility_hours`` a week.

    Returns:
        Packages running and packages waiting, after today's changes.
    """
    s = town.state
    return _run_packages(s.package_hours, s.package_wait_day, s.in_hospital, s.frailty,
                         need_terms(town.params), formal_terms(town.params))


@njit(inline="always")
def _qualifies(in_hospital: bool, frailty: np.float32, need: NeedTerms,
               t: FormalTerms) -> bool:
    return in_hospital or need_hours(frailty, -1, need) * np.float32(DAYS_PER_WEEK) \
        >= t.eligibility


@njit(cache=True)
def _run_packages(package_hours, package_wait_day, in_hospital, frailty, need, t):
    held = np.flatnonzero(package_hours > 0)
    in_use = 0.0
    running = 0
    for i in held:
        if not _qualifies(in_hospital[i], frailty[i], need, t):
            package_hours[i] = 0.0
        else:
            in_use += package_hours[i]
            running += 1
    queue = np.flatnonzero(package_wait_day != NEVER)
    keep = np.ones(len(queue), dtype=np.bool_)
    for k in range(len(queue)):
        i = queue[k]
        if not _qualifies(in_hospital[i], frailty[i], need, t):
            package_wait_day[i] = NEVER  # no longer needed
            keep[k] = False
    queue = queue[keep]
    order = np.argsort(package_wait_day[queue], kind="mergesort")  # oldest first
    waiting = len(queue)
    for k in order:
        if in_use + t.package > t.supply:
            break
        i = queue[k]
        package_hours[i] = t.package
        package_wait_day[i] = NEVER
        in_use += t.package
        running += 1
        waiting -= 1
    return running, waiting


# -- professionals --------------------------------------------------------------------


class VisitOutcome(NamedTuple):
    """What professionals did today.

    Attributes:
        professional: Hours each resident in need got (positions of ``needy``).
        visited: The residents in need who had a visit, by position.
        visited_by: The post that made each of those visits (its own patch's, or the
            post covering a vacant one).
        follow_ups: First visits after a discharge.
        follow_ups_late: Of them, made after the day the community heard.
        follow_ups_missed: Referrals whose window ran out today with no visit.
        follow_up_queue: Referrals still waiting for a first visit.
        assessments: Care decisions assessed.
        overload: Per post, hours of follow-ups and skilled nursing asked over hours
            available, less one (0 if met); reablement, which only takes what is
            spare, is not counted.
        unmet_share: Per post, the share of its cases' need left unmet.
        cases: Per post, residents asking for a visit.
    """

    professional: np.ndarray
    visited: np.ndarray
    visited_by: np.ndarray
    follow_ups: int
    follow_ups_late: int
    follow_ups_missed: int
    follow_up_queue: int
    assessments: int
    overload: np.ndarray
    unmet_share: np.ndarray
    cases: np.ndarray


def professional_visits(town: Town, needy: np.ndarray, everyday_left: np.ndarray,
                        skilled_left: np.ndarray, has_carer: np.ndarray) -> VisitOutcome:
    """Professionals' visits today, by priority (see the module's doc), in place.

    Args:
        town: The town: posts' hours, referrals, gaps and decisions are updated.
        needy: Residents in need today (sorted).
        everyday_left: Their everyday need still unmet (reduced in place).
        skilled_left: Their skilled need still unmet (reduced in place).
        has_carer: Whether each resident in need has had unpaid care lately.
    """
    s = town.state
    cover = covering_posts(s.vacant_until)
    return VisitOutcome(*_visit(
        needy, everyday_left, skilled_left, has_carer, s.need, s.referred_day,
        s.notify_day, s.discharged_day, s.followed_up_day, s.gaps,
        s.decision_day[CARE_DECISION], s.assessed_day, s.in_hospital,
        cover, town.pop.patch, s.hours_available, s.hours_used, town.day,
        formal_terms(town.params), town.streams.held("discharge")))


@njit(inline="always")
def asked_since(referred_day: int, notify_day: int, discharged_day: int) -> int:
    """Day a first visit was asked for: the referral's, else the community's hearing's.

    A patient not referred but with a carer who asks is asked for from the day the
    community heard (or the discharge, if it never did); the follow-up window and
    lateness count from this day.
    """
    if referred_day != NEVER:
        return referred_day
    return notify_day if notify_day != NEVER else discharged_day


# A post's work in order of priority (the module's doc): further skilled visits,
# follow-ups, assessments of patients waiting in hospital, then of residents at home.
# Help with the need left comes last, sharing what hours remain.
SKILLED, FOLLOW_UP, ASSESS_IN_HOSPITAL, ASSESS_AT_HOME = range(4)


@njit(inline="always")
def _priority(post: int, tier: int, since: int) -> float:
    """Sort key of an item of work: by post, then tier, then the day it dates from."""
    return post * 1e9 + tier * 1e8 + since  # exact: days are far fewer than 1e8 / 2


# What a professional's candidate item is (``_visit``).
_VISIT = 0  # a visit to a resident in need
_ASSESSMENT = 1  # a care decision's assessment
_FIRST_VISIT_NO_NEED = 2  # a follow-up of a referred patient with no need today


@njit(cache=True)
def _visit(needy, everyday_left, skilled_left, has_carer, need, referred_day,
           notify_day, discharged_day, followed_up_day, gaps, care_decision_day,
           assessed_day, in_hospital, cover, patch, hours_available, hours_used, day, t,
           stream):
    """:func:`professional_visits`; ``cover[patch[i]]`` is the post serving resident ``i``."""
    posts = len(hours_used)
    n = len(needy)
    spare = np.empty(posts, dtype=np.float64)  # hours a post has left today
    for k in range(posts):
        spare[k] = max(np.float64(hours_available[k]) - hours_used[k], 0.0)
    available = spare.copy()
    given = np.zeros(n, dtype=np.float64)
    visited = np.zeros(n, dtype=np.bool_)
    asked = np.zeros(posts, dtype=np.float64)  # hours the post's cases asked for
    is_case = np.zeros(n, dtype=np.bool_)
    # The four tiers as (who, kind, key) items, keys by :func:`_priority`. A
    # visit's ``who`` is a position among the needy; an assessment's, and a follow-up's
    # of a patient with no need today (the visit checks the basics all the same), a
    # resident.
    to_assess = np.empty(len(assessed_day) + 1, dtype=np.int64)
    to_follow = np.empty(len(assessed_day) + 1, dtype=np.int64)
    waiting = unneedy = 0
    for i in range(len(assessed_day)):  # town-wide, so without a branch
        to_assess[waiting] = i
        waiting += (care_decision_day[i] != NEVER) & (assessed_day[i] == NEVER)
        to_follow[unneedy] = i
        unneedy += ((referred_day[i] != NEVER) & (followed_up_day[i] == NEVER)
                    & (need[i] <= 0) & ~in_hospital[i]
                    & (day - discharged_day[i] <= RECOVERY_DAYS))
    to_assess, to_follow = to_assess[:waiting], to_follow[:unneedy]
    size = n + len(to_assess) + len(to_follow)
    candidate = np.empty(size, dtype=np.int64)
    kind = np.empty(size, dtype=np.int8)
    keys = np.empty(size, dtype=np.float64)
    count = missed = queue = 0
    for i in to_assess:
        candidate[count], kind[count] = i, _ASSESSMENT
        tier = ASSESS_IN_HOSPITAL if in_hospital[i] else ASSESS_AT_HOME
        keys[count] = _priority(cover[patch[i]], tier, care_decision_day[i])
        count += 1
    for i in to_follow:
        since = referred_day[i]
        if day - since >= t.window:
            missed += day - since == t.window
            continue
        candidate[count], kind[count] = i, _FIRST_VISIT_NO_NEED
        keys[count] = _priority(cover[patch[i]], FOLLOW_UP, since)
        count += 1
    for k in range(n):
        i = needy[k]
        referred = referred_day[i] != NEVER
        if day - discharged_day[i] > RECOVERY_DAYS or not (referred or has_carer[k]):
            continue
        since = asked_since(referred_day[i], notify_day[i], discharged_day[i])
        if followed_up_day[i] == NEVER:
            if day - since >= t.window:
                missed += day - since == t.window and referred
                continue
            candidate[count], keys[count] = k, _priority(cover[patch[i]], FOLLOW_UP, since)
        elif skilled_left[k] > 0:
            candidate[count] = k
            keys[count] = _priority(cover[patch[i]], SKILLED, discharged_day[i])
        else:
            continue
        kind[count] = _VISIT
        count += 1
    first_visits = late = checks = assessments = 0
    checked = np.empty(count, dtype=np.int64)
    for o in np.argsort(keys[:count], kind="mergesort"):
        if kind[o] == _ASSESSMENT:
            i = candidate[o]
            post = cover[patch[i]]
            if spare[post] >= t.assessment:
                spare[post] -= t.assessment
                assessed_day[i] = day
                assessments += 1
            continue
        if kind[o] == _VISIT:
            k = candidate[o]
            i = needy[k]
            first = followed_up_day[i] == NEVER
            hours = min(np.float64(skilled_left[k]) + everyday_left[k], t.visit)
            is_case[k] = True
        else:  # a follow-up of a patient with no need today: the basics, no care
            k, i, first, hours = -1, candidate[o], True, 0.0
        post = cover[patch[i]]
        cost = t.visit if first else hours  # a first visit is a whole visit
        asked[post] += cost
        if cost <= 0.0 or spare[post] < cost:
            queue += first and referred_day[i] != NEVER
            continue
        spare[post] -= cost
        if k >= 0:
            _give(k, hours, skilled_left, everyday_left, given)
            visited[k] = True
        if first:
            followed_up_day[i] = day
            first_visits += 1
            late += day > asked_since(referred_day[i], notify_day[i], discharged_day[i])
            checked[checks] = i
            checks += 1
    checked = checked[:checks]
    gaps[checked] = close_gaps(gaps[checked], VISIT_CLOSABLE, t.gap_close, stream)
    for i in checked:
        if gaps[i] & GAP_HOME_SAFE and care_decision_day[i] == NEVER:
            care_decision_day[i] = day  # equipment to decide
    # 4: help to anyone in need, sharing each post's hours left in proportion.
    request = np.zeros(n, dtype=np.float64)
    demand = np.zeros(posts, dtype=np.float64)
    for k in range(n):
        left = np.float64(everyday_left[k]) + skilled_left[k]
        if not visited[k] and left > 0:
            request[k] = min(left, t.visit)
            is_case[k] = True
            demand[cover[patch[needy[k]]]] += request[k]  # discretionary: not overload
    share = np.ones(posts, dtype=np.float64)
    for k in range(posts):
        if demand[k] > 0:
            share[k] = min(spare[k] / demand[k], 1.0)
    for k in range(n):
        if request[k] > 0:
            post = cover[patch[needy[k]]]
            hours = request[k] * share[post]
            if hours > 0:
                spare[post] -= hours
                _give(k, hours, skilled_left, everyday_left, given)
                visited[k] = True
    case_count = np.zeros(posts, dtype=np.int64)
    case_need = np.zeros(posts, dtype=np.float64)
    case_unmet = np.zeros(posts, dtype=np.float64)
    for k in range(n):
        if is_case[k]:
            post = cover[patch[needy[k]]]
            case_count[post] += 1
            case_need[post] += need[needy[k]]
            case_unmet[post] += np.float64(everyday_left[k]) + skilled_left[k]
    overload = np.zeros(posts, dtype=np.float64)
    unmet_share = np.zeros(posts, dtype=np.float64)
    for k in range(posts):
        hours_used[k] = np.float32(np.float64(hours_used[k]) + available[k] - spare[k])
        overload[k] = max(asked[k] / max(available[k], 1e-9) - 1.0, 0.0)
        if case_need[k] > 0:
            unmet_share[k] = case_unmet[k] / case_need[k]
    visited_at = np.flatnonzero(visited)
    return (given, visited_at, cover[patch[needy[visited_at]]], first_visits, late, missed,
            queue, assessments, overload, unmet_share, case_count)


@njit(inline="always")
def _give(k, hours, skilled_left, everyday_left, given):
    """A visit of ``hours`` to case ``k``: skilled need first, then everyday."""
    skilled = min(np.float64(skilled_left[k]), hours)
    skilled_left[k] = np.float32(np.float64(skilled_left[k]) - skilled)
    everyday = hours - skilled
    everyday_left[k] = np.float32(max(np.float64(everyday_left[k]) - everyday, 0.0))
    given[k] += hours
