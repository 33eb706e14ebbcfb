"""Process 3 (discharge): basics gaps, notification of the community, follow-up."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.rules.decisions import raise_decisions
from simulation.state import ALL_GAPS, GAP_HOME_SAFE, NEVER, VISIT_CLOSABLE, State


def draw_gaps(count: int, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Draw which of the four basics each discharged patient lacks (a bitmask)."""
    return draw_gaps_kernel(count, float(p.gap_prob), rng)


@njit(cache=True)
def draw_gaps_kernel(count: int, gap_prob: float, rng: np.random.Generator) -> np.ndarray:
    """:func:`draw_gaps` with its parameter as a number, callable from compiled code."""
    missing = rng.random((count, len(ALL_GAPS))) < gap_prob
    gaps = np.zeros(count, dtype=np.uint8)
    for k in range(count):
        for column, bit in enumerate(ALL_GAPS):
            if missing[k, column]:
                gaps[k] |= bit
    return gaps


def notification_day(today: int, lead: np.ndarray, p: Params,
                     rng: np.random.Generator) -> np.ndarray:
    """Day the community hears of each discharge, or ``NEVER``.

    A named lead professional (clinical ownership) always passes the word on, and
    sooner: the mean delay is multiplied by ``lead_delay_factor``.

    Args:
        today: Today's model day.
        lead: Whether each discharge has a lead professional.
        p: Parameters.
        rng: The ``discharge`` stream.
    """
    return notification_day_kernel(today, np.asarray(lead, dtype=np.bool_), *notify_terms(p),
                                   rng)


@terms_of_params
def notify_terms(p: Params) -> tuple[float, float, float]:
    """The parameters of :func:`notification_day_kernel`, in its order."""
    return float(p.notify_prob), float(p.notify_delay_days), float(p.lead_delay_factor)


@njit(cache=True)
def notification_day_kernel(today: int, lead: np.ndarray, notify_prob: float,
                            delay_days: float, lead_factor: float,
                            rng: np.random.Generator) -> np.ndarray:
    """:func:`notification_day` with its parameters as numbers, for compiled code."""
    told = rng.random(len(lead)) < notify_prob
    delay = rng.exponential(1.0, len(lead))
    days = np.full(len(lead), NEVER, dtype=np.int32)
    for k in range(len(lead)):
        if lead[k] or told[k]:
            mean = delay_days * (lead_factor if lead[k] else 1.0)
            days[k] = today + np.int32(np.rint(delay[k] * mean))
    return days


def close_gaps(gaps: np.ndarray, closable: int, chance: float,
               rng: np.random.Generator) -> np.ndarray:
    """Close each open, closable gap with probability ``chance``; return the new masks."""
    return _close_gaps(np.asarray(gaps, dtype=np.uint8), closable, chance, rng)


@njit(cache=True)
def _close_gaps(gaps: np.ndarray, closable: int, chance: float,
                rng: np.random.Generator) -> np.ndarray:
    draws = rng.random((len(gaps), len(ALL_GAPS))) < chance
    out = gaps.copy()
    for k in range(len(gaps)):
        for column, bit in enumerate(ALL_GAPS):
            if closable & bit and draws[k, column]:
                out[k] &= np.uint8(~bit & 0xFF)
    return out


def hear_of_discharges(state: State, peer_stage: np.ndarray, waiting_stage: int,
                       patch: np.ndarray, day: int, visit_hours: float, p: Params,
                       rng: np.random.Generator | List) -> None:
    """Phase 3: the community hears of today's notified discharges; a professional visits.

    With the peer scheme on, each patient heard of waits for a peer visit
    (``waiting_stage``) and the professional leaves a share ``peer_substitution`` of
    them to the scheme (drawn only when that share is above zero, so arms with and
    without the scheme stay paired). See :func:`professional_visit` for the visit.

    Args:
        state: Today's state, updated in place.
        peer_stage: Each resident's peer-visit stage, updated in place.
        waiting_stage: The stage code of a patient waiting for a peer visit.
        patch: Each resident's professional patch (post).
        day: Today.
        visit_hours: Professional hours one visit takes.
        p: Parameters.
        rng: The ``discharge`` stream, plain or held (``Streams.held``).
    """
    s = state
    _hear_of_discharges(s.notify_day, s.in_hospital, s.notified, bool(p.peer_scheme),
                        peer_stage, waiting_stage, float(p.peer_substitution), s.gaps,
                        s.decision_pending, s.decision_raised_day, s.hours_used, patch, day,
                        float(p.professional_gap_close), visit_hours, rng)


@njit(cache=True)
def _hear_of_discharges(notify_day, in_hospital, notified, peer_scheme, peer_stage,
                        waiting_stage, substitution, gaps, pending, raised_day, hours_used,
                        patch, day, gap_close, visit_hours, stream):
    rng = generator(stream)
    heard = np.empty(len(notify_day), dtype=np.int64)
    count = 0
    for i in range(len(notify_day)):
        if notify_day[i] == day and not in_hospital[i]:
            heard[count] = i
            count += 1
    heard = heard[:count]
    notified[heard] = True
    if peer_scheme:
        peer_stage[heard] = waiting_stage
        if substitution > 0:
            heard = heard[rng.random(len(heard)) >= substitution]
    professional_visit(heard, gaps, pending, raised_day, hours_used, patch, day, gap_close,
                       visit_hours, rng)


@njit(cache=True)
def professional_visit(residents: np.ndarray, gaps: np.ndarray, pending: np.ndarray,
                       raised_day: np.ndarray, hours_used: np.ndarray, patch: np.ndarray,
                       day: int, gap_close: float, visit_hours: float,
                       stream: np.random.Generator | List) -> None:
    """A professional visits each of ``residents``, in place.

    The visit closes each closable gap with chance ``gap_close``, raises a decision for
    a home still unsafe (equipment needs one) and charges ``visit_hours`` to the post of
    the resident's patch. ``stream`` is plain or held (``Streams.held``).
    """
    gaps[residents] = _close_gaps(gaps[residents], VISIT_CLOSABLE, gap_close,
                                  generator(stream))
    raise_decisions(residents[(gaps[residents] & GAP_HOME_SAFE) > 0], pending, raised_day,
                    day)
    visits = np.zeros(len(hours_used), dtype=np.int64)
    for i in residents:
        visits[patch[i]] += 1
    for k in range(len(hours_used)):  # as numpy's float32 += float64 does it
        hours_used[k] = np.float32(np.float64(hours_used[k]) + visit_hours * visits[k])


@njit(inline="always")
def open_gap_count(gaps: np.uint8) -> int:
    """Number of open gaps in one mask."""
    count = 0
    for gap in ALL_GAPS:
        count += (gaps & gap) != 0
    return count
