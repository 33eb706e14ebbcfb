"""Process 3 (discharge): basics gaps, notification of the community, follow-up.

The day calls :func:`discharge`. The hospital phase draws, for each patient going home,
which basics are missing (:func:`draw_gaps`) and when the community will hear
(:func:`notification_days`); this phase is the community hearing, and the professional
follow-up visit (:func:`professional_visit`) that closes gaps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.rules.decisions import raise_decisions
from simulation.state import ALL_GAPS, GAP_HOME_SAFE, NEVER, PEER_WAITING, VISIT_CLOSABLE

if TYPE_CHECKING:
    from simulation.town import Town

PROFESSIONAL_VISIT_HOURS = 1.0  # professional time for one follow-up or vetoed peer visit


class DischargeCounts(NamedTuple):
    """What phase 3 counts: discharges the community heard of today, and follow-ups."""

    heard: int
    follow_ups: int


def discharge(town: Town) -> DischargeCounts:
    """Phase 3: the community hears of today's notified discharges; a professional visits.

    With the peer scheme on, each patient heard of waits for a peer visit and the
    professional leaves a share ``peer_substitution`` of them to the scheme (drawn only
    when that share is above zero, so arms with and without the scheme stay paired).
    """
    s = town.state
    return DischargeCounts(*_hear_of_discharges(
        s.notify_day, s.in_hospital, s.notified, s.peer_stage, s.gaps, s.decision_pending,
        s.decision_raised_day, s.hours_used, town.pop.patch, town.day,
        follow_up_terms(town.params), town.streams.held("discharge")))


# -- going home (drawn by the hospital phase) -----------------------------------------


class GoingHomeTerms(NamedTuple):
    """The parameters of what a discharged patient goes home to."""

    gap_prob: float  # chance each basic is missing
    lead_share: float  # chance of a named lead professional
    notify_prob: float  # chance the community hears at all (without a lead)
    notify_delay: float  # mean days before it hears
    lead_factor: float  # delay multiplier when a lead owns the case


@terms_of_params
def going_home_terms(p: Params) -> GoingHomeTerms:
    """:class:`GoingHomeTerms` of the parameters."""
    return GoingHomeTerms(float(p.gap_prob), float(p.lead_professional_share),
                          float(p.notify_prob), float(p.notify_delay_days),
                          float(p.lead_delay_factor))


@njit(cache=True)
def draw_gaps(count: int, gap_prob: float, rng: np.random.Generator) -> np.ndarray:
    """Which of the four basics each of ``count`` discharged patients lacks (bitmasks).

    Each basic is missing with chance ``gap_prob``.
    """
    missing = rng.random((count, len(ALL_GAPS))) < gap_prob
    gaps = np.zeros(count, dtype=np.uint8)
    for k in range(count):
        for column, bit in enumerate(ALL_GAPS):
            if missing[k, column]:
                gaps[k] |= bit
    return gaps


@njit(cache=True)
def notification_days(today: int, lead: np.ndarray, t: GoingHomeTerms,
                      rng: np.random.Generator) -> np.ndarray:
    """Day the community hears of each discharge, or ``NEVER``.

    The community hears with chance ``notify_prob`` after an exponential delay of mean
    ``notify_delay``. A named lead professional (clinical ownership, ``lead``) always
    passes the word on, and sooner: the mean delay is multiplied by ``lead_factor``.
    """
    told = rng.random(len(lead)) < t.notify_prob
    delay = rng.exponential(1.0, len(lead))
    days = np.full(len(lead), NEVER, dtype=np.int32)
    for k in range(len(lead)):
        if lead[k] or told[k]:
            mean = t.notify_delay * (t.lead_factor if lead[k] else 1.0)
            days[k] = today + np.int32(np.rint(delay[k] * mean))
    return days


@njit(inline="always")
def open_gap_count(gaps: np.uint8) -> int:
    """Number of open gaps in one mask."""
    count = 0
    for gap in ALL_GAPS:
        count += (gaps & gap) != 0
    return count


# -- the community hears; follow-up ---------------------------------------------------


class FollowUpTerms(NamedTuple):
    """The parameters of hearing of discharges and the follow-up visit."""

    peer_scheme: bool
    substitution: float  # share of follow-ups left to the peer scheme
    gap_close: float  # chance a professional visit closes each closable gap


@terms_of_params
def follow_up_terms(p: Params) -> FollowUpTerms:
    """:class:`FollowUpTerms` of the parameters."""
    return FollowUpTerms(bool(p.peer_scheme), float(p.peer_substitution),
                         float(p.professional_gap_close))


@njit(cache=True)
def close_gaps(gaps: np.ndarray, closable: int, chance: float,
               rng: np.random.Generator) -> np.ndarray:
    """Close each open gap among the ``closable`` bits with ``chance``; the new masks."""
    draws = rng.random((len(gaps), len(ALL_GAPS))) < chance
    out = gaps.copy()
    for k in range(len(gaps)):
        for column, bit in enumerate(ALL_GAPS):
            if closable & bit and draws[k, column]:
                out[k] &= np.uint8(~bit & 0xFF)
    return out


@njit(cache=True)
def professional_visit(residents: np.ndarray, gaps: np.ndarray, pending: np.ndarray,
                       raised_day: np.ndarray, hours_used: np.ndarray, patch: np.ndarray,
                       day: int, gap_close: float,
                       stream: np.random.Generator | List) -> None:
    """A professional visits each of ``residents``, in place.

    The visit closes each closable gap with chance ``gap_close``, raises a decision for
    a home still unsafe (equipment needs one) and charges
    :data:`PROFESSIONAL_VISIT_HOURS` to the post of the resident's patch. ``stream`` is
    plain or held (``Streams.held``).
    """
    gaps[residents] = close_gaps(gaps[residents], VISIT_CLOSABLE, gap_close,
                                 generator(stream))
    raise_decisions(residents[(gaps[residents] & GAP_HOME_SAFE) > 0], pending, raised_day,
                    day)
    visits = np.zeros(len(hours_used), dtype=np.int64)
    for i in residents:
        visits[patch[i]] += 1
    for k in range(len(hours_used)):  # as numpy's float32 += float64 does it
        hours_used[k] = np.float32(np.float64(hours_used[k])
                                   + PROFESSIONAL_VISIT_HOURS * visits[k])


@njit(cache=True)
def _hear_of_discharges(notify_day, in_hospital, notified, peer_stage, gaps, pending,
                        raised_day, hours_used, patch, day, t, stream):
    rng = generator(stream)
    heard = np.empty(len(notify_day), dtype=np.int64)
    count = 0
    for i in range(len(notify_day)):
        if notify_day[i] == day and not in_hospital[i]:
            heard[count] = i
            count += 1
    heard = heard[:count]
    notified[heard] = True
    visited = heard
    if t.peer_scheme:
        peer_stage[heard] = PEER_WAITING
        if t.substitution > 0:
            visited = heard[rng.random(len(heard)) >= t.substitution]
    professional_visit(visited, gaps, pending, raised_day, hours_used, patch, day,
                       t.gap_close, rng)
    return len(heard), len(visited)
