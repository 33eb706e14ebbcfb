"""Process 6 (care allocation): unpaid offers and sharing hours along ties.

A day's need is met in a fixed order: peer visit hours, family (household), kin,
neighbours (mutual aid), paid care bought with a personal budget, professionals; what
is left is unmet. Every step takes ``min(remaining need, what is offered)``, so hours
are conserved by construction: need = sum of sources + unmet.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.network import Ties, ties_around
from simulation.params import Params, terms_of_params
from simulation.population import Population
from simulation.state import State

# A neighbour who has received more than given feels obliged: the offer grows by up to
# this factor, reached when the debt is OBLIGATION_HOURS.
OBLIGATION_FACTOR = 1.0
OBLIGATION_HOURS = 20.0
# Nobody helps in minutes: offers under an hour a week are not made.
MIN_OFFER_HOURS = 1.0 / 7.0


def unpaid_offers(adult: np.ndarray, at_home: np.ndarray, burnt_out: np.ndarray,
                  frailty: np.ndarray, willingness: np.ndarray, female: np.ndarray,
                  minority: np.ndarray, norm: np.ndarray, balance: np.ndarray,
                  p: Params) -> np.ndarray:
    """Hours a day each person offers on a family, kin and neighbour tie.

    Readiness: adults at home and not burnt out can care; frailty reduces what they can
    give; men's willingness is scaled by ``men_care_propensity``. Then by kind:

    * family (a co-resident adult): ``family_hours`` times readiness; minority
      households are expected to offer ``minority_family_expectation`` times as much,
      capped at a whole day;
    * kin (a relative in another household): ``kin_hours`` times readiness;
    * neighbour: ``neighbour_hours`` times readiness times their mutual-aid norm, raised
      by up to ``OBLIGATION_FACTOR`` when they have received more help than they have
      given (reciprocity; fully at a debt of ``OBLIGATION_HOURS``).

    Offers under an hour a week are not made (nobody helps in minutes).

    Returns:
        Array of shape (3, people): rows family, kin, neighbour (``SOCIAL_KINDS``).
    """
    # Burnt out is "resting until after day 0" here, so one kernel serves both callers.
    everyone = np.arange(len(adult))
    return _offers(everyone, adult, ~np.asarray(at_home), np.asarray(burnt_out, np.int64), 0,
                   frailty, willingness, female, minority, norm, balance, *_offer_terms(p))


@terms_of_params
def _offer_terms(p: Params) -> tuple:
    """The parameters of :func:`_offers`, typed as its arithmetic needs them."""
    f32 = np.float32
    return (float(p.men_care_propensity), f32(p.family_hours),
            float(p.minority_family_expectation), f32(p.kin_hours), f32(p.neighbour_hours))


@njit(cache=True)
def _offers(who: np.ndarray, adult: np.ndarray, in_hospital: np.ndarray,
            burnout_until: np.ndarray, day: int,
            frailty: np.ndarray, willingness: np.ndarray, female: np.ndarray,
            minority: np.ndarray, norm: np.ndarray, balance: np.ndarray,
            men_care_propensity: float, family_hours: np.float32,
            minority_expectation: float, kin_hours: np.float32,
            neighbour_hours: np.float32) -> np.ndarray:
    """:func:`unpaid_offers` of the people ``who`` (float32 where the state is)."""
    f32 = np.float32
    smallest = f32(MIN_OFFER_HOURS)
    offers = np.zeros((3, len(who)), dtype=np.float32)
    for k in range(len(who)):
        i = who[k]
        if not adult[i] or in_hospital[i] or burnout_until[i] > day:
            continue
        gender = 1.0 if female[i] else men_care_propensity
        ready = f32(np.float64(willingness[i] * (f32(1.0) - frailty[i])) * gender)
        family = min(np.float64(family_hours * ready)
                     * (minority_expectation if minority[i] else 1.0), 24.0)
        if family >= MIN_OFFER_HOURS:
            offers[0, k] = family
        kin = kin_hours * ready
        if kin >= smallest:
            offers[1, k] = kin
        owed = min(max(-balance[i] / f32(OBLIGATION_HOURS), f32(0.0)), f32(1.0))
        neighbour = neighbour_hours * ready * norm[i] * (f32(1.0) + f32(OBLIGATION_FACTOR)
                                                         * owed)
        if neighbour >= smallest:
            offers[2, k] = neighbour
    return offers


def share_along_ties(owner: np.ndarray, carer: np.ndarray, remaining: np.ndarray,
                     offer: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Meet remaining need from carers' offers along ties.

    Each carer splits their offer equally among the recipients they are tied to who
    still need care; a recipient takes what is offered up to their remaining need, and
    each carer gives in proportion.

    Args:
        owner: For each tie, the recipient's position in ``remaining``.
        carer: For each tie, the carer's id (compact ids keep the count array small).
        remaining: Remaining need of each recipient (hours).
        offer: For each tie, the hours its carer offers in all (the same for every tie of
            one carer).

    Returns:
        Hours received by each recipient, and ``(carer id, hours given)`` per live tie.
    """
    received = np.zeros(len(remaining), dtype=np.float32)
    gave = np.zeros(len(owner), dtype=np.float32)
    scratch = _share_scratch(carer.max() + 1 if len(carer) else 0, len(remaining))
    live = _share_round(np.arange(len(owner)), owner, carer, offer, remaining, received,
                        gave, *scratch)
    return received, (carer[live], gave[live])


@njit(cache=True)
def _share_scratch(carers: int, recipients: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed work arrays for :func:`_share_round`.

    Live ties per carer; per recipient, the hours available and the share taken.
    """
    return (np.zeros(carers, dtype=np.int64), np.zeros(recipients, dtype=np.float64),
            np.zeros(recipients, dtype=np.float64))


@njit(cache=True)
def _share_round(ties: np.ndarray, owner: np.ndarray, carer: np.ndarray, offer: np.ndarray,
                 remaining: np.ndarray, received: np.ndarray, gave: np.ndarray,
                 needy_ties: np.ndarray, available: np.ndarray,
                 taken: np.ndarray) -> np.ndarray:
    """One round of :func:`share_along_ties` over the tie ids ``ties``, in their order.

    Writes each recipient's hours into ``received`` and each live tie's into ``gave``
    (both indexed as ``remaining`` and the tie arrays); other entries are left alone.
    The scratch arrays (see :func:`_share_scratch`) are zero on entry and on return. Sums are
    in float64 in tie order, as ``np.bincount`` would make them.

    Returns:
        The live ties: those whose recipient still needs care and whose offer is not
        zero, in order.
    """
    live = np.empty(len(ties), dtype=np.int64)
    count = 0
    for t in ties:
        if remaining[owner[t]] > 0 and offer[t] > 0:
            live[count] = t
            count += 1
            needy_ties[carer[t]] += 1
    live = live[:count]
    per_tie = np.empty(count, dtype=np.float64)
    for k in range(count):
        t = live[k]
        per_tie[k] = offer[t] / needy_ties[carer[t]]
        available[owner[t]] += per_tie[k]
    for t in live:
        j = owner[t]
        if taken[j] == 0.0 and available[j] > 0:
            got = min(np.float64(remaining[j]), available[j])
            received[j] = got
            taken[j] = got / available[j]
    for k in range(count):
        t = live[k]
        gave[t] = per_tie[k] * taken[owner[t]]
    for t in live:
        needy_ties[carer[t]] = 0
        available[owner[t]] = 0.0
        taken[owner[t]] = 0.0
    return live


@njit(cache=True)
def primary_ties(owner: np.ndarray, offer: np.ndarray) -> np.ndarray:
    """Mark, for each recipient, the one tie with the largest offer: the primary carer.

    Care in a household is rarely shared evenly: one person carries most of it, and the
    others top up. Of equal offers the first tie is primary; ties with nothing to offer
    are never primary.
    """
    primary = np.zeros(len(owner), dtype=np.bool_)
    if len(owner) == 0:
        return primary
    best = np.full(owner.max() + 1, -1, dtype=np.int64)  # each recipient's primary tie
    for i in range(len(owner)):
        if offer[i] > 0 and (best[owner[i]] < 0 or offer[i] > offer[best[owner[i]]]):
            best[owner[i]] = i
    for i in best:
        if i >= 0:
            primary[i] = True
    return primary


def unpaid_care(social: Ties, needy: np.ndarray, remaining: np.ndarray, pop: Population,
                state: State, day: int, p: Params, seen: np.ndarray,
                position: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unpaid care along the ties of the residents in need: family, then kin, neighbours.

    Gathers the ties of ``needy`` (:func:`~simulation.network.ties_around`), works out
    each carer's offers (:func:`unpaid_offers`) and shares them out
    (:func:`allocate_unpaid`), in one compiled pass.

    Args:
        social: Every social tie, with its kind.
        needy: Residents in need today, sorted.
        remaining: Their remaining need (hours), reduced in place.
        pop: The population.
        state: Today's state.
        day: Today (burnout is read against it).
        p: Parameters.
        seen: Town-sized bool scratch buffer, all False.
        position: Town-sized int64 scratch buffer.

    Returns:
        The carers (residents at the other end of a tie, sorted), the hours each gave by
        kind ``(3, carers)`` and the hours each recipient received by kind
        ``(3, recipients)``.
    """
    return _unpaid_care(social.indptr, social.indices, social.kind, needy, seen, position,
                        pop.adult, state.in_hospital, state.burnout_until, day,
                        state.frailty, pop.willingness, pop.female, pop.minority, state.norm,
                        state.balance, *_offer_terms(p), remaining)


@njit(cache=True)
def _unpaid_care(indptr, indices, kind, needy, seen, position, adult, in_hospital,
                 burnout_until, day, frailty, willingness, female, minority, norm, balance,
                 men_care_propensity, family_hours, minority_expectation, kin_hours,
                 neighbour_hours, remaining):
    """:func:`unpaid_care` on the arrays themselves (compiled as one function)."""
    owner, tie_kind, carers, local = ties_around(indptr, indices, kind, needy, seen, position)
    offers = _offers(carers, adult, in_hospital, burnout_until, day, frailty, willingness,
                     female, minority, norm, balance, men_care_propensity, family_hours,
                     minority_expectation, kin_hours, neighbour_hours)
    given, received = allocate_unpaid(owner, local, tie_kind, offers, remaining)
    return carers, given, received


@njit(cache=True)
def allocate_unpaid(owner: np.ndarray, carer: np.ndarray, kind: np.ndarray,
                    offers: np.ndarray, remaining: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Meet need from family, then kin, then neighbours, along the ties that offer care.

    Household care falls on a primary carer first (the largest offer); then every
    household tie tops up with what its carer has left. Kin and neighbours share in one
    round each. ``remaining`` is reduced in place.

    Args:
        owner: For each tie, the recipient's position in ``remaining``.
        carer: For each tie, the carer's compact id (0 to carers - 1).
        kind: For each tie, its index in ``SOCIAL_KINDS`` (family, kin, neighbour).
        offers: Hours a day each carer offers on a tie of each kind, shape (3, carers).
        remaining: Remaining need of each recipient (hours), reduced in place.

    Returns:
        Hours given by each carer and received by each recipient, by kind:
        arrays of shape ``(3, carers)`` and ``(3, recipients)``.
    """
    carers, recipients = offers.shape[1], len(remaining)
    given = np.zeros((3, carers), dtype=np.float32)
    received = np.zeros((3, recipients), dtype=np.float32)
    needy_ties, available, taken = _share_scratch(carers, recipients)
    got = np.zeros(recipients, dtype=np.float32)  # one round's hours per recipient
    gave = np.zeros(len(owner), dtype=np.float32)  # one round's hours per tie
    left = np.zeros(len(owner), dtype=np.float32)  # what each tie's carer has left
    by_carer = np.zeros(carers, dtype=np.float64)  # summed as np.bincount would
    offer = np.empty(len(owner), dtype=np.float32)
    # The ties that offer care, by kind, in tie order (most offer nothing: children, the
    # frail, the unwilling, neighbours of little norm).
    offering = np.zeros(4, dtype=np.int64)  # cumulative count by kind
    for t in range(len(owner)):
        offer[t] = offers[kind[t], carer[t]]
        if offer[t] > 0:
            offering[kind[t] + 1] += 1
    for code in range(3):
        offering[code + 1] += offering[code]
    by_kind = np.empty(offering[3], dtype=np.int64)
    filled = offering[:3].copy()
    for t in range(len(owner)):
        if offer[t] > 0:
            by_kind[filled[kind[t]]] = t
            filled[kind[t]] += 1
    for code in range(3):
        of_kind = by_kind[offering[code]:offering[code + 1]]
        rounds = [of_kind]
        if code == 0:  # family: the primary carer, then the rest
            primary = primary_ties(owner[of_kind], offer[of_kind])
            rounds = [of_kind[primary], of_kind]
        for ties in rounds:
            for t in ties:
                left[t] = max(offer[t] - given[code, carer[t]], np.float32(0.0))
            live = _share_round(ties, owner, carer, left, remaining, got, gave, needy_ties,
                                available, taken)
            for t in live:
                by_carer[carer[t]] += gave[t]
            # Apply the round once per recipient and per carer, then clear the buffers.
            for t in live:
                j, c = owner[t], carer[t]
                if got[j] != 0.0:
                    remaining[j] -= got[j]
                    received[code, j] += got[j]
                    got[j] = 0.0
                if by_carer[c] != 0.0:
                    given[code, c] += np.float32(by_carer[c])
                    by_carer[c] = 0.0
    return given, received


def mutual_aid(balance: np.ndarray, norm: np.ndarray, carers: np.ndarray,
               given: np.ndarray, needy: np.ndarray, received: np.ndarray,
               p: Params) -> None:
    """Neighbour care keeps a give/receive balance, and helped residents' norm rises.

    In place: each carer's balance rises by the neighbour hours they gave; each
    recipient's falls by what they received, and their mutual-aid norm rises by
    ``norm_gain_when_helped`` per hour (capped at 1). The next :func:`unpaid_offers` read
    the debt as obligation (reciprocity).

    Args:
        balance: Neighbour hours given minus received, per resident.
        norm: Mutual-aid norm (0-1), per resident.
        carers: Carers, and ``given`` the neighbour hours each gave today.
        given: See ``carers``.
        needy: Residents in need, and ``received`` the neighbour hours each received.
        received: See ``needy``.
        p: Parameters.
    """
    _mutual_aid(balance, norm, carers, given, needy, received,
                np.float32(p.norm_gain_when_helped))


@njit(cache=True)
def _mutual_aid(balance, norm, carers, given, needy, received, gain):
    for k in range(len(carers)):
        balance[carers[k]] += given[k]
    for k in range(len(needy)):  # after the carers', as someone can be both
        balance[needy[k]] -= received[k]
        norm[needy[k]] = min(norm[needy[k]] + gain * received[k], np.float32(1.0))


def paid_hours(remaining: np.ndarray, budget: np.ndarray, p: Params) -> np.ndarray:
    """Hours of paid care bought with a personal budget.

    Process 7: a budget buys hours, never companionship, so these hours do not ease
    loneliness.
    """
    cap = np.float32(p.budget_hours / 7.0)
    return np.array([_paid(r, b, cap) for r, b in zip(remaining, budget, strict=True)],
                    dtype=np.float32)


def professional_hours(remaining: np.ndarray, patch: np.ndarray,
                       capacity: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Share each patch's professional capacity among its cases.

    A case asks for at most ``professional_hours_per_case``; when a patch's demand
    exceeds its capacity every case gets the same share of its request.

    Args:
        remaining: Remaining need of each case on a caseload (hours).
        patch: Patch of each case.
        capacity: Professional hours available in each patch today.
        p: Parameters.

    Returns:
        Hours given to each case, and demand (hours asked) per patch.
    """
    return _professional_share(np.asarray(remaining, dtype=np.float64), patch,
                               np.asarray(capacity, dtype=np.float32),
                               float(p.professional_hours_per_case))


def paid_and_professional(needy: np.ndarray, remaining: np.ndarray, state: State,
                          pop: Population, recent: np.ndarray, waiting_support: float,
                          p: Params) -> tuple[np.ndarray, ...]:
    """Process 6's paid and professional care for the residents in need, in place.

    Eligible residents (need of ``eligibility_hours`` a week or more) with a personal
    budget buy :func:`paid_hours`; eligible residents and those recently discharged and
    known to the community are on a caseload and share their post's capacity
    (:func:`professional_hours`). While a decision about their care waits, both give
    only ``waiting_support`` of what they would. ``remaining`` and the posts' hours used
    are reduced and raised in place.

    Returns:
        Paid hours per resident in need; professional hours per case; the cases'
        positions among the residents in need; and per post the overload (demand over
        capacity, less one, floored at 0), the share of the caseload's need left unmet,
        and the number of cases.
    """
    s = state
    return _paid_and_professional(
        needy, remaining, s.need, s.decision_pending, pop.budget_draw, recent, s.notified,
        pop.patch, s.hours_available, s.hours_used, waiting_support,
        np.float32(p.eligibility_hours), np.float32(p.budget_share),
        np.float32(p.budget_hours / 7.0), float(p.professional_hours_per_case))


@njit(inline="always")
def _paid(remaining: np.float32, budget: bool, cap: np.float32) -> np.float32:
    return min(remaining, cap) if budget else np.float32(0.0)


@njit(cache=True)
def _professional_share(requests: np.ndarray, patch: np.ndarray, capacity: np.ndarray,
                        per_case: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`professional_hours`; sums in float64 in case order, as ``np.bincount``."""
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


@njit(cache=True)
def _paid_and_professional(needy, remaining, need, pending, budget_draw, recent, notified,
                           patch, hours_available, hours_used, waiting_support,
                           eligibility_hours, budget_share, budget_cap, per_case):
    """:func:`paid_and_professional` on the arrays themselves."""
    posts = len(hours_used)
    paid = np.empty(len(needy), dtype=np.float64)
    cases = np.empty(len(needy), dtype=np.int64)
    count = 0
    for k in range(len(needy)):
        i = needy[k]
        support = waiting_support if pending[i] else 1.0
        eligible = need[i] * np.float32(7.0) >= eligibility_hours
        budget = eligible and budget_draw[i] < budget_share
        paid[k] = np.float64(_paid(remaining[k], budget, budget_cap)) * support
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
        requests[c] = np.float64(remaining[k]) * (waiting_support if pending[needy[k]]
                                                  else 1.0)
        case_patch[c] = patch[needy[k]]
    professional, demand = _professional_share(requests, case_patch, capacity, per_case)
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
