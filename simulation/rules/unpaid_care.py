"""Process 6, unpaid part: what family, kin and neighbours offer, and how it is shared.

Called by :func:`simulation.rules.care.care`. A carer's offers are worked out for one
person (:func:`offers_of`); along ties, each carer splits an offer equally among the
recipients still in need and each recipient takes up to their need
(:func:`share_round`); the household's primary carer gives first
(:func:`allocate_unpaid`). Neighbour care keeps a give/receive balance and a spreading
norm of mutual aid (:func:`mutual_aid`, :func:`spread_norm`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.network import Ties, ties_around
from simulation.params import Params, terms_of_params
from simulation.state import DAYS_PER_WEEK, HOURS_PER_DAY

if TYPE_CHECKING:
    from simulation.town import Town

# A neighbour who has received more than given feels obliged: the offer grows by up to
# this factor, reached when the debt is OBLIGATION_HOURS.
OBLIGATION_FACTOR = 1.0
OBLIGATION_HOURS = 20.0
# Nobody helps in minutes: family and kin offers under an hour a week are not made.
MIN_OFFER_HOURS = 1.0 / DAYS_PER_WEEK
# Neighbours help occasionally, as most informal help to non-relatives is: each drops in
# one day a week (their own day), giving at least a quarter of an hour.
NEIGHBOUR_DROP_IN_EVERY = 7
MIN_DROP_IN_HOURS = 0.25
# A neighbour's drop-in is company as much as help: a resident in need welcomes up to
# this many hours of it beyond the care they still need.
NEIGHBOUR_COMPANY_HOURS = 1.0
NORM_UPDATE_EVERY = 7  # days between updates of the spreading norm (cheap at scale)


class OfferTerms(NamedTuple):
    """The parameters of :func:`offers_of`, typed as its arithmetic needs them."""

    men_care_propensity: float  # men's willingness relative to women's
    family_hours: np.float32  # most a co-resident adult gives in a day
    minority_expectation: float  # family care expected in minority households
    kin_hours: np.float32  # most a relative elsewhere gives in a day
    neighbour_hours: np.float32  # most a neighbour gives on a drop-in, at full norm


@terms_of_params
def offer_terms(p: Params) -> OfferTerms:
    """:class:`OfferTerms` of the parameters."""
    f32 = np.float32
    return OfferTerms(float(p.men_care_propensity), f32(p.family_hours),
                      float(p.minority_family_expectation), f32(p.kin_hours),
                      f32(p.neighbour_hours))


@njit(inline="always")
def drops_in(resident: int, day: int) -> bool:
    """Whether a neighbour drops in today: one day a week, a different day for each."""
    return (resident + day) % NEIGHBOUR_DROP_IN_EVERY == 0


@njit(inline="always")
def offers_of(can_care: bool, dropping_in: bool, frailty: np.float32,
              willingness: np.float32, female: bool, minority: bool, norm: np.float32,
              balance: np.float32, t: OfferTerms) -> tuple[np.float32, np.float32, np.float32]:
    """Hours one person offers today on a family, a kin and a neighbour tie.

    Readiness: an adult at home and not burnt out (``can_care``) can care; frailty
    reduces what they can give; men's willingness is scaled by
    ``men_care_propensity``. Then by kind:

    * family (a co-resident adult): ``family_hours`` times readiness; minority
      households are expected to offer ``minority_family_expectation`` times as much,
      capped at a whole day;
    * kin (a relative in another household): ``kin_hours`` times readiness;
    * neighbour, only on the day they drop in (``dropping_in``): ``neighbour_hours``
      times readiness times their mutual-aid norm, raised by up to
      :data:`OBLIGATION_FACTOR` when they have received more help than they have given
      (reciprocity; fully at a debt of :data:`OBLIGATION_HOURS`).

    Nobody helps in minutes: family and kin offers under :data:`MIN_OFFER_HOURS` a day
    and drop-ins under :data:`MIN_DROP_IN_HOURS` are not made. Float32 where the state
    is.
    """
    f32 = np.float32
    zero = f32(0.0)
    if not can_care:
        return zero, zero, zero
    gender = 1.0 if female else t.men_care_propensity
    ready = f32(np.float64(willingness * (f32(1.0) - frailty)) * gender)
    family = min(np.float64(t.family_hours * ready)
                 * (t.minority_expectation if minority else 1.0), HOURS_PER_DAY)
    kin = t.kin_hours * ready
    owed = min(max(-balance / f32(OBLIGATION_HOURS), zero), f32(1.0))
    neighbour = t.neighbour_hours * ready * norm * (f32(1.0) + f32(OBLIGATION_FACTOR) * owed)
    return (f32(family) if family >= MIN_OFFER_HOURS else zero,
            kin if kin >= f32(MIN_OFFER_HOURS) else zero,
            neighbour if dropping_in and neighbour >= f32(MIN_DROP_IN_HOURS) else zero)


@njit(cache=True)
def _offers(who, adult, in_hospital, burnout_until, day, frailty, willingness, female,
            minority, norm, balance, t):
    """:func:`offers_of` of the people ``who``, as an array of shape (3, people)."""
    offers = np.zeros((3, len(who)), dtype=np.float32)
    for k in range(len(who)):
        i = who[k]
        can_care = adult[i] and not in_hospital[i] and burnout_until[i] <= day
        offers[0, k], offers[1, k], offers[2, k] = offers_of(
            can_care, drops_in(i, day), frailty[i], willingness[i], female[i], minority[i],
            norm[i], balance[i], t)
    return offers


def unpaid_care(town: Town, needy: np.ndarray,
                remaining: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unpaid care along the ties of the residents in need: family, then kin, neighbours.

    Gathers the ties of ``needy`` (:func:`~simulation.network.ties_around`), works out
    each carer's offers (:func:`offers_of`) and shares them out
    (:func:`allocate_unpaid`), in one compiled pass.

    Args:
        town: The town (its ties, residents and state are read).
        needy: Residents in need today, sorted.
        remaining: Their remaining need (hours), reduced in place.

    Returns:
        The carers (residents at the other end of a tie, sorted), the hours each gave by
        kind ``(3, carers)`` and the hours each recipient received by kind
        ``(3, recipients)``.
    """
    s, pop, social = town.state, town.pop, town.network.social
    return _unpaid_care(social.indptr, social.indices, social.kind, needy, town.ties_seen,
                        town.ties_position, pop.adult, s.in_hospital, s.burnout_until,
                        s.frailty, pop.willingness, pop.female, pop.minority, s.norm,
                        s.balance, town.day, offer_terms(town.params), remaining)


@njit(cache=True)
def _unpaid_care(indptr, indices, kind, needy, seen, position, adult, in_hospital,
                 burnout_until, frailty, willingness, female, minority, norm, balance, day,
                 t, remaining):
    owner, tie_kind, carers, local = ties_around(indptr, indices, kind, needy, seen, position)
    offers = _offers(carers, adult, in_hospital, burnout_until, day, frailty, willingness,
                     female, minority, norm, balance, t)
    given, received = allocate_unpaid(owner, local, tie_kind, offers, remaining)
    return carers, given, received


@njit(cache=True)
def share_scratch(carers: int, recipients: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed work arrays for :func:`share_round`.

    Live ties per carer; per recipient, the hours available and the share taken.
    """
    return (np.zeros(carers, dtype=np.int64), np.zeros(recipients, dtype=np.float64),
            np.zeros(recipients, dtype=np.float64))


@njit(cache=True)
def share_round(ties: np.ndarray, owner: np.ndarray, carer: np.ndarray, offer: np.ndarray,
                remaining: np.ndarray, received: np.ndarray, gave: np.ndarray,
                needy_ties: np.ndarray, available: np.ndarray,
                taken: np.ndarray) -> np.ndarray:
    """One round of sharing carers' offers along the ties ``ties``, in their order.

    Each carer splits their offer equally among the recipients they are tied to who
    still need care; a recipient takes what is offered up to their remaining need, and
    each carer gives in proportion.

    Writes each recipient's hours into ``received`` and each live tie's into ``gave``
    (both indexed as ``remaining`` and the tie arrays); other entries are left alone.
    The scratch arrays (see :func:`share_scratch`) are zero on entry and on return.
    Sums are in float64 in tie order, as ``np.bincount`` would make them.

    Args:
        ties: Tie ids of this round.
        owner: For each tie, the recipient's position in ``remaining``.
        carer: For each tie, the carer's compact id.
        offer: For each tie, the hours its carer offers in all (the same for every tie
            of one carer).
        remaining: Remaining need of each recipient (hours); not changed here.
        received: Hours received by each recipient (written).
        gave: Hours given along each tie (written).
        needy_ties: Scratch.
        available: Scratch.
        taken: Scratch.

    Returns:
        The live ties: those whose recipient still needs care and whose offer is not
        zero, in order.
    """
    live = np.empty(len(ties) + 1, dtype=np.int64)
    count = 0
    for t in ties:  # without a branch (see allocate_unpaid)
        alive = (remaining[owner[t]] > 0) & (offer[t] > 0)
        live[count] = t
        count += alive
        needy_ties[carer[t]] += alive
    live = live[:count]
    per_tie = np.empty(count, dtype=np.float64)
    for k in range(count):
        t = live[k]
        per_tie[k] = offer[t] / needy_ties[carer[t]]
        available[owner[t]] += per_tie[k]
    for t in live:  # the same for every tie of a recipient: no test of a first visit
        j = owner[t]
        got = min(np.float64(remaining[j]), available[j])  # available > 0 on a live tie
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
    top = np.zeros(owner.max() + 1, dtype=offer.dtype)  # and its offer (0: none yet)
    for i in range(len(owner)):  # selects, not branches: the offers are unpredictable
        better = offer[i] > top[owner[i]]
        best[owner[i]] = i if better else best[owner[i]]
        top[owner[i]] = offer[i] if better else top[owner[i]]
    for i in best:
        if i >= 0:
            primary[i] = True
    return primary


@njit(cache=True)
def allocate_unpaid(owner: np.ndarray, carer: np.ndarray, kind: np.ndarray,
                    offers: np.ndarray, remaining: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Meet need from family, then kin, then neighbours, along the ties that offer care.

    Household care falls on a primary carer first (the largest offer,
    :func:`primary_ties`); then every household tie tops up with what its carer has
    left. Kin and neighbours share in one round each (:func:`share_round`); neighbours'
    drop-ins are taken up to the need left plus :data:`NEIGHBOUR_COMPANY_HOURS` of
    company. ``remaining`` is reduced in place (never below zero).

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
    needy_ties, available, taken = share_scratch(carers, recipients)
    got = np.zeros(recipients, dtype=np.float32)  # one round's hours per recipient
    gave = np.zeros(len(owner), dtype=np.float32)  # one round's hours per tie
    left = np.zeros(len(owner), dtype=np.float32)  # what each tie's carer has left
    by_carer = np.zeros(carers, dtype=np.float64)  # summed as np.bincount would
    offer = np.empty(len(owner), dtype=np.float32)
    # The ties that offer care, by kind, in tie order (most offer nothing: children, the
    # frail, the unwilling, neighbours of little norm). In one pass and without a branch
    # per tie, as whether a tie offers is data the processor cannot guess: each tie is
    # written at its kind's next slot, which moves on only if the tie offers.
    by_kind = np.empty((3, len(owner) + 1), dtype=np.int64)
    offering = np.zeros(3, dtype=np.int64)  # ties that offer, by kind
    for t in range(len(owner)):
        offer[t] = offers[kind[t], carer[t]]
        by_kind[kind[t], offering[kind[t]]] = t
        offering[kind[t]] += offer[t] > 0
    for code in range(3):
        if code == 2:  # neighbours: company beyond the need left is welcome too
            for j in range(recipients):
                remaining[j] += np.float32(NEIGHBOUR_COMPANY_HOURS)
        of_kind = by_kind[code, :offering[code]]
        rounds = [of_kind]
        if code == 0:  # family: the primary carer, then the rest
            primary = primary_ties(owner[of_kind], offer[of_kind])
            rounds = [of_kind[primary], of_kind]
        for ties in rounds:
            for t in ties:
                left[t] = max(offer[t] - given[code, carer[t]], np.float32(0.0))
            live = share_round(ties, owner, carer, left, remaining, got, gave, needy_ties,
                               available, taken)
            for t in live:
                by_carer[carer[t]] += gave[t]
            # Apply the round once per recipient and per carer, then clear the buffers
            # (a later tie of the same recipient or carer adds zero: no branch needed).
            for t in live:
                j, c = owner[t], carer[t]
                remaining[j] -= got[j]
                received[code, j] += got[j]
                got[j] = 0.0
                given[code, c] += np.float32(by_carer[c])
                by_carer[c] = 0.0
    for j in range(recipients):  # the company allowance left unused is no need
        remaining[j] = max(remaining[j] - np.float32(NEIGHBOUR_COMPANY_HOURS),
                           np.float32(0.0))
    return given, received


@njit(cache=True)
def mutual_aid(balance: np.ndarray, norm: np.ndarray, carers: np.ndarray,
               given: np.ndarray, needy: np.ndarray, received: np.ndarray,
               gain: np.float32) -> None:
    """Neighbour care keeps a give/receive balance, and helped residents' norm rises.

    In place: each carer's balance rises by the neighbour hours they gave (``given``);
    each recipient's falls by what they received (``received``), and their mutual-aid
    norm rises by ``gain`` (``norm_gain_when_helped``) per hour, capped at 1. The next
    day's offers read the debt as obligation (reciprocity).
    """
    for k in range(len(carers)):
        balance[carers[k]] += given[k]
    for k in range(len(needy)):  # after the carers', as someone can be both
        balance[needy[k]] -= received[k]
        norm[needy[k]] = min(norm[needy[k]] + gain * received[k], np.float32(1.0))


def spread_norm(neighbours: Ties, norm: np.ndarray, day: int, p: Params) -> None:
    """Weekly, in place: each norm moves toward the mean of neighbours' norms.

    The move is ``norm_spread`` a day, made every :data:`NORM_UPDATE_EVERY` days.
    """
    if day % NORM_UPDATE_EVERY:
        return
    mean = neighbours.neighbour_mean(norm)
    rate = min(1.0, p.norm_spread * NORM_UPDATE_EVERY)
    norm += (rate * (mean - norm)).astype(np.float32)
