"""Process 6 (care allocation): unpaid offers and sharing hours along ties.

A day's need is met in a fixed order: peer visit hours, family (household), kin,
neighbours (mutual aid), paid care bought with a personal budget, professionals; what
is left is unmet. Every step takes ``min(remaining need, what is offered)``, so hours
are conserved by construction: need = sum of sources + unmet.
"""

from __future__ import annotations

import numpy as np

from simulation.params import Params

# A neighbour who has received more than given feels obliged: the offer grows by up to
# this factor, reached when the debt is OBLIGATION_HOURS.
OBLIGATION_FACTOR = 1.0
OBLIGATION_HOURS = 20.0
# Nobody helps in minutes: offers under an hour a week are not made.
MIN_OFFER_HOURS = 1.0 / 7.0


def availability(adult: np.ndarray, at_home: np.ndarray, burnt_out: np.ndarray,
                 frailty: np.ndarray, willingness: np.ndarray, female: np.ndarray,
                 p: Params) -> np.ndarray:
    """Each resident's readiness (0-2) to give unpaid care, before the kind's hour cap.

    Adults at home and not burnt out can care; frailty reduces what they can give;
    men's willingness is scaled by ``men_care_propensity``.
    """
    can = adult & at_home & ~burnt_out
    return np.where(can, willingness * (1.0 - frailty) *
                    np.where(female, 1.0, p.men_care_propensity), 0.0).astype(np.float32)


def family_offer(ready: np.ndarray, minority: np.ndarray, p: Params) -> np.ndarray:
    """Hours per day a co-resident adult offers.

    Minority households are expected to offer ``minority_family_expectation`` times as
    much (capped at a whole day).
    """
    hours = p.family_hours * ready * np.where(minority, p.minority_family_expectation, 1.0)
    return _at_least_an_hour_a_week(np.minimum(hours, 24.0))


def kin_offer(ready: np.ndarray, p: Params) -> np.ndarray:
    """Hours per day a relative in another household offers."""
    return _at_least_an_hour_a_week(p.kin_hours * ready)


def neighbour_offer(ready: np.ndarray, norm: np.ndarray, balance: np.ndarray,
                    p: Params) -> np.ndarray:
    """Hours per day a neighbour offers.

    Scaled by their mutual-aid norm, and raised when they have received more help than
    they have given (reciprocity).
    """
    owed = np.clip(-balance / OBLIGATION_HOURS, 0.0, 1.0)
    return _at_least_an_hour_a_week(p.neighbour_hours * ready * norm
                                    * (1.0 + OBLIGATION_FACTOR * owed))


def _at_least_an_hour_a_week(hours: np.ndarray) -> np.ndarray:
    return np.where(hours >= MIN_OFFER_HOURS, hours, 0.0).astype(np.float32)


def share_along_ties(owner: np.ndarray, carer: np.ndarray, remaining: np.ndarray,
                     offer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Meet remaining need from carers' offers along ties.

    Each carer splits their offer equally among the recipients they are tied to who
    still need care; a recipient takes what is offered up to their remaining need, and
    each carer gives in proportion.

    Args:
        owner: For each tie, the recipient's position in ``remaining``.
        carer: For each tie, the carer's resident index.
        remaining: Remaining need of each recipient (hours).
        offer: For each tie, the hours its carer offers in all (the same for every tie of
            one carer).

    Returns:
        Hours received by each recipient, and ``(carer index, hours given)`` per tie.
    """
    live = (remaining[owner] > 0) & (offer > 0)
    owner, carer, offer = owner[live], carer[live], offer[live]
    if len(owner) == 0:
        return np.zeros_like(remaining), (carer, np.zeros(0, np.float32))
    # Each carer's offer per needy tie (carer ids should be compact: the cost grows with
    # the largest id).
    per_tie = offer / np.bincount(carer)[carer]
    available = np.bincount(owner, weights=per_tie, minlength=len(remaining))
    received = np.minimum(remaining, available)
    taken = np.divide(received, available, out=np.zeros_like(available),
                      where=available > 0)
    return received.astype(np.float32), (carer, (per_tie * taken[owner]).astype(np.float32))


def primary_ties(owner: np.ndarray, offer: np.ndarray) -> np.ndarray:
    """Mark, for each recipient, the one tie with the largest offer: the primary carer.

    Care in a household is rarely shared evenly: one person carries most of it, and the
    others top up. Ties with nothing to offer are never primary.
    """
    primary = np.zeros(len(owner), dtype=bool)
    if len(owner) == 0:
        return primary
    if np.any(owner[1:] < owner[:-1]):  # the model passes ties grouped by recipient
        order = np.lexsort((-offer, owner))
        first = np.r_[True, owner[order][1:] != owner[order][:-1]]
        primary[order[first]] = True
        return primary & (offer > 0)
    # Grouped: each recipient's largest offer by segment, then its first tie holding it.
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    largest = np.maximum.reduceat(offer, starts)
    segment = np.cumsum(np.r_[True, owner[1:] != owner[:-1]]) - 1
    best = np.flatnonzero(offer == largest[segment])
    first = np.r_[True, owner[best][1:] != owner[best][:-1]]
    primary[best[first]] = True
    return primary & (offer > 0)


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
