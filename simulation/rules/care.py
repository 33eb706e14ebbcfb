"""Process 6 (care allocation), with process 7's rule that a budget cannot buy company.

The day calls :func:`care`. A day's need is met in a fixed order: peer visit hours,
family (household), kin, neighbours (:mod:`~simulation.rules.unpaid_care`), paid care
bought with a personal budget, professionals (:mod:`~simulation.rules.formal_care`);
what is left is unmet. Every step takes ``min(remaining need, what is offered)``, so
hours are conserved by construction: need = sum of sources + unmet. Then who gave and
who received is recorded: hours by source, the equity tallies, each resident's hours
given today and the weekly moving means the other phases read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.network import SOCIAL_KINDS
from simulation.rules.formal_care import formal_care
from simulation.rules.health import set_needs
from simulation.rules.unpaid_care import mutual_aid, spread_norm, unpaid_care
from simulation.state import DAYS_PER_WEEK
from simulation.sums import numpy_sum

if TYPE_CHECKING:
    from simulation.town import Town

EMA_WEIGHT = 1.0 / DAYS_PER_WEEK  # weekly moving means
CARER_MIN_HOURS_WEEK = 1.0  # unpaid hours a week that make someone a carer
# Sources of care in the order need is met (the keys of ``CareCounts.hours``), then unmet.
HOUR_SOURCES = ("peer", *SOCIAL_KINDS, "paid", "professional", "unmet")
_NEIGHBOUR = SOCIAL_KINDS.index("neighbour")


class CareCounts(NamedTuple):
    """What phase 6 counts today.

    Attributes:
        hours: Hours by source (:data:`HOUR_SOURCES`), unmet included.
        need_hours: Care needed by residents at home.
        professional_capacity: Professional hours available (after decision time).
        professional_time: Professional hours used: care, follow-ups, vetoed visits.
        unpaid_hours_women: Unpaid hours given by women.
        unpaid_hours_minority: Unpaid hours given by ethnic-minority residents.
        wellbeing: Mean over residents in need of (need met) x (not lonely).
    """

    hours: dict[str, float]
    need_hours: float
    professional_capacity: float
    professional_time: float
    unpaid_hours_women: float
    unpaid_hours_minority: float
    wellbeing: float


def care(town: Town) -> CareCounts:
    """Phase 6: meet today's need from each source in order; the rest is unmet.

    Also keeps the moving means of hours given and contact received, the mutual-aid
    balance and (weekly) the spreading reciprocity norm; per post, the caseload's
    overload, unmet share and size for morale; and the day's professional utilisation
    (the pressure that can hold a discharge back tomorrow). Work is done only for
    residents in need and the carers tied to them, never for the whole town.
    """
    s, pop = town.state, town.pop
    recent = town.recent_discharge()
    s.in_need = needy = set_needs(town, recent)
    remaining = s.need[needy].copy()
    received_unpaid = np.zeros(len(needy), dtype=np.float32)

    # Peer visit hours count as care on the day of the visit.
    visit = np.full(len(s.visit_patients), town.params.visit_hours, np.float32)
    peer, visited = _peer_care(needy, s.visit_patients, visit, remaining, received_unpaid)
    peer_givers = s.visit_volunteers[visited]

    carers, given, received = unpaid_care(town, needy, remaining)
    paid, professional, cases, s.overload, s.unmet_share, s.cases = formal_care(
        town, needy, remaining, recent)
    s.caseload = needy[cases]

    hours = _hours_by_source(peer, received, paid, professional, remaining, received_unpaid)
    unpaid_given = _unpaid_given(given)
    women = _given_by(pop.female, unpaid_given, carers, peer, peer_givers)
    minorities = _given_by(pop.minority, unpaid_given, carers, peer, peer_givers)
    wellbeing = _remember(needy, remaining, received_unpaid, carers, given, unpaid_given,
                          s.need, s.loneliness, s.given_today, s.givers_today, s.given_ema,
                          s.family_ema, s.neighbour_ema, s.contact_ema, s.unmet_ema)
    s.givers_today = carers
    s.carers = _carers(s.given_ema, pop.adult)
    capacity = numpy_sum(_clipped(s.hours_available))
    time = numpy_sum(s.hours_used)
    s.pressure = time / max(capacity, 1e-9)

    # Mutual aid: the give/receive balance, and the norm of those helped rises.
    mutual_aid(s.balance, s.norm, carers, given[_NEIGHBOUR], needy, received[_NEIGHBOUR],
               np.float32(town.params.norm_gain_when_helped))
    spread_norm(town.network.neighbour, s.norm, town.day, town.params)
    return CareCounts(dict(zip(HOUR_SOURCES, hours, strict=True)), numpy_sum(s.need),
                      capacity, time, women, minorities, wellbeing)


@njit(cache=True)
def _peer_care(needy: np.ndarray, patients: np.ndarray, visit: np.ndarray,
               remaining: np.ndarray,
               received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peer visits meet need first, in place; return the hours and which visits counted.

    Only visited patients in need today (``needy``, sorted) count: each takes its visit's
    hours up to its need.
    """
    peer = np.empty(len(patients), dtype=np.float32)
    counted = np.zeros(len(patients), dtype=np.bool_)
    count = 0
    for v in range(len(patients)):
        k = np.searchsorted(needy, patients[v])
        if k < len(needy) and needy[k] == patients[v]:
            counted[v] = True
            peer[count] = min(remaining[k], visit[v])
            remaining[k] -= peer[count]
            received[k] += peer[count]
            count += 1
    return peer[:count], counted


@njit(cache=True)
def _hours_by_source(peer, received, paid, professional, remaining, received_unpaid):
    """Today's hours by source (:data:`HOUR_SOURCES`), with numpy's sums.

    Adds the unpaid hours by kind into ``received_unpaid`` (each recipient's contact).
    """
    by_kind = (numpy_sum(received[0]), numpy_sum(received[1]), numpy_sum(received[2]))
    for code in range(3):
        for k in range(len(received_unpaid)):
            received_unpaid[k] += received[code, k]
    return (numpy_sum(peer), *by_kind, numpy_sum(paid), numpy_sum(professional),
            numpy_sum(remaining))


@njit(cache=True)
def _unpaid_given(given: np.ndarray) -> np.ndarray:
    """Each carer's unpaid hours today, the kinds' rows added in order as numpy does."""
    total = np.empty(given.shape[1], dtype=np.float32)
    for c in range(len(total)):
        total[c] = np.float32(0.0) + given[0, c] + given[1, c] + given[2, c]
    return total


@njit(cache=True)
def _given_by(flags, unpaid_given, carers, peer, peer_givers) -> float:
    """Unpaid hours given today by the residents ``flags`` marks (women, minorities).

    Care along ties and peer visit hours, each summed as numpy sums, in float32.
    """
    return (numpy_sum(unpaid_given, _positions(flags, carers))
            + numpy_sum(peer, _positions(flags, peer_givers)))


@njit(cache=True)
def _clipped(hours_available: np.ndarray) -> np.ndarray:
    """Hours available per post, floored at zero (decision time can exceed a day's)."""
    capacity = np.empty(len(hours_available), dtype=np.float32)
    for post in range(len(capacity)):
        capacity[post] = max(hours_available[post], np.float32(0.0))
    return capacity


@njit(cache=True)
def _remember(needy, remaining, received_unpaid, carers, given, unpaid_given, need,
              loneliness, given_today, givers_before, given_ema, family_ema, neighbour_ema,
              contact_ema, unmet_ema) -> float:
    """Keep today's hours given and the weekly moving means; return client wellbeing.

    ``given_today`` is cleared for yesterday's givers and set for today's carers; the
    means of hours given (in all, to family, to neighbours) move for carers, and those
    of contact received and of need unmet for residents in need; elsewhere they decay.
    Wellbeing is the mean over residents in need of (need met) x (not lonely), 1 when
    no one is in need.
    """
    f32 = np.float32
    for i in givers_before:  # only yesterday's carers need clearing
        given_today[i] = 0.0
    for c in range(len(carers)):
        given_today[carers[c]] = unpaid_given[c]
    unmet_share = np.empty(len(needy), dtype=np.float32)
    for k in range(len(needy)):
        unmet_share[k] = remaining[k] / need[needy[k]]
    _moving_means((given_ema, family_ema, neighbour_ema), carers,
                  (unpaid_given, given[0], given[2]))
    _moving_means((contact_ema, unmet_ema), needy, (received_unpaid, unmet_share))
    wellbeing = 1.0
    if len(needy):
        met = np.empty(len(needy), dtype=np.float32)
        for k in range(len(needy)):
            met[k] = (f32(1.0) - unmet_share[k]) * (f32(1.0) - loneliness[needy[k]])
        wellbeing = numpy_sum(met) / f32(len(needy))  # np.mean of float32, in float32
    return wellbeing


@njit(cache=True)
def _moving_means(emas: tuple[np.ndarray, ...], where: np.ndarray,
                  todays: tuple[np.ndarray, ...]) -> None:
    """Update weekly moving means in place; each of ``todays`` is zero outside ``where``.

    Outside ``where`` a mean decays; inside it is ``ema + w * (today - ema)``. Float32,
    the state's precision.
    """
    weight = np.float32(EMA_WEIGHT)
    decay = np.float32(1.0) - weight
    for m in range(len(emas)):
        ema, today = emas[m], todays[m]
        before = ema[where]
        for i in range(len(ema)):
            ema[i] *= decay
        for k in range(len(where)):
            ema[where[k]] = before[k] + weight * (today[k] - before[k])


@njit(cache=True)
def _carers(given_ema: np.ndarray, adult: np.ndarray) -> np.ndarray:
    """Adults whose moving mean of unpaid care is an hour a week or more, in index order."""
    carers = np.empty(len(given_ema) + 1, dtype=np.int64)
    count = 0
    for i in range(len(given_ema)):  # without a branch: this loop runs town-wide
        carers[count] = i
        count += adult[i] & (given_ema[i] * np.float32(DAYS_PER_WEEK) >= CARER_MIN_HOURS_WEEK)
    return carers[:count].copy()


@njit(cache=True)
def _positions(flags: np.ndarray, who: np.ndarray) -> np.ndarray:
    """Positions ``k`` in ``who`` with ``flags[who[k]]`` set, in order (branch-free)."""
    at = np.empty(len(who) + 1, dtype=np.int64)
    count = 0
    for k in range(len(who)):
        at[count] = k
        count += flags[who[k]]
    return at[:count]
