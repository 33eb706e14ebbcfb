"""Process 6 (care allocation): unpaid offers and sharing hours along ties.

A day's need is met in a fixed order: peer visit hours, family (household), kin,
neighbours (mutual aid), paid care bought with a personal budget, professionals; what
is left is unmet. Every step takes ``min(remaining need, what is offered)``, so hours
are conserved by construction: need = sum of sources + unmet.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params

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
    f32 = np.float32
    return _offers(adult, at_home, burnt_out, frailty, willingness, female, minority, norm,
                   balance, float(p.men_care_propensity), f32(p.family_hours),
                   float(p.minority_family_expectation), f32(p.kin_hours),
                   f32(p.neighbour_hours))


@njit(cache=True)
def _offers(adult: np.ndarray, at_home: np.ndarray, burnt_out: np.ndarray,
            frailty: np.ndarray, willingness: np.ndarray, female: np.ndarray,
            minority: np.ndarray, norm: np.ndarray, balance: np.ndarray,
            men_care_propensity: float, family_hours: np.float32,
            minority_expectation: float, kin_hours: np.float32,
            neighbour_hours: np.float32) -> np.ndarray:
    """:func:`unpaid_offers` in one pass (float32 where the state is, float64 factors)."""
    f32 = np.float32
    smallest = f32(MIN_OFFER_HOURS)
    offers = np.zeros((3, len(adult)), dtype=np.float32)
    for i in range(len(adult)):
        if not (adult[i] and at_home[i] and not burnt_out[i]):
            continue
        gender = 1.0 if female[i] else men_care_propensity
        ready = f32(np.float64(willingness[i] * (f32(1.0) - frailty[i])) * gender)
        family = min(np.float64(family_hours * ready)
                     * (minority_expectation if minority[i] else 1.0), 24.0)
        if family >= MIN_OFFER_HOURS:
            offers[0, i] = family
        kin = kin_hours * ready
        if kin >= smallest:
            offers[1, i] = kin
        owed = min(max(-balance[i] / f32(OBLIGATION_HOURS), f32(0.0)), f32(1.0))
        neighbour = neighbour_hours * ready * norm[i] * (f32(1.0) + f32(OBLIGATION_FACTOR)
                                                         * owed)
        if neighbour >= smallest:
            offers[2, i] = neighbour
    return offers


@njit(cache=True)
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
    live = np.flatnonzero((remaining[owner] > 0) & (offer > 0))
    owner, carer, offer = owner[live], carer[live], offer[live]
    received = np.zeros(len(remaining), dtype=np.float32)
    if len(owner) == 0:
        return received, (carer, np.zeros(0, dtype=np.float32))
    needy_ties = np.zeros(carer.max() + 1, dtype=np.int64)
    for c in carer:
        needy_ties[c] += 1
    # Sums in float64 in tie order, as np.bincount would.
    per_tie = np.empty(len(owner), dtype=np.float64)
    available = np.zeros(len(remaining), dtype=np.float64)
    for i in range(len(owner)):
        per_tie[i] = offer[i] / needy_ties[carer[i]]
        available[owner[i]] += per_tie[i]
    taken = np.zeros(len(remaining), dtype=np.float64)
    for j in range(len(remaining)):
        if available[j] > 0:
            got = min(np.float64(remaining[j]), available[j])
            received[j] = got
            taken[j] = got / available[j]
    gave = np.empty(len(owner), dtype=np.float32)
    for i in range(len(owner)):
        gave[i] = per_tie[i] * taken[owner[i]]
    return received, (carer, gave)


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
    carers = offers.shape[1]
    offer = np.empty(len(owner), dtype=np.float32)
    for t in range(len(owner)):
        offer[t] = offers[kind[t], carer[t]]
    given = np.zeros((3, carers), dtype=np.float32)
    received = np.zeros((3, len(remaining)), dtype=np.float32)
    for code in range(3):
        # Most ties offer nothing (children, the frail, the unwilling).
        of_kind = np.flatnonzero((kind == code) & (offer > 0))
        k_owner, k_carer, k_offer = owner[of_kind], carer[of_kind], offer[of_kind]
        rounds = 2 if code == 0 else 1  # family: the primary carer, then the rest
        primary = primary_ties(k_owner, k_offer) if code == 0 else np.ones(0, np.bool_)
        for round_ in range(rounds):
            ties = np.flatnonzero(primary) if round_ == 0 and code == 0 \
                else np.arange(len(k_owner))
            left = np.maximum(k_offer[ties] - given[code][k_carer[ties]], np.float32(0.0))
            got, (gave_carer, gave) = share_along_ties(k_owner[ties], k_carer[ties],
                                                       remaining, left)
            remaining -= got
            received[code] += got
            by_carer = np.zeros(carers, dtype=np.float64)  # summed as np.bincount would
            for i in range(len(gave)):
                by_carer[gave_carer[i]] += gave[i]
            given[code] += by_carer.astype(np.float32)
    return given, received


def paid_hours(remaining: np.ndarray, budget: np.ndarray, p: Params) -> np.ndarray:
    """Hours of paid care bought with a personal budget.

    Process 7: a budget buys hours, never companionship, so these hours do not ease
    loneliness.
    """
    return np.where(budget, np.minimum(remaining, p.budget_hours / 7.0), 0.0) \
        .astype(np.float32)


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
    asked = np.minimum(remaining, p.professional_hours_per_case)
    demand = np.bincount(patch, weights=asked, minlength=len(capacity)).astype(np.float64)
    scale = np.divide(capacity, demand, out=np.ones_like(demand), where=demand > 0)
    return (asked * np.minimum(scale, 1.0)[patch]).astype(np.float32), demand
