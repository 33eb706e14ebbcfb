"""Process 3 (discharge): basics gaps, notification of the community, follow-up."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.params import Params
from simulation.state import ALL_GAPS, NEVER


def draw_gaps(count: int, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Draw which of the four basics each discharged patient lacks (a bitmask)."""
    return _draw_gaps(count, float(p.gap_prob), rng)


@njit(cache=True)
def _draw_gaps(count: int, gap_prob: float, rng: np.random.Generator) -> np.ndarray:
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
    return _notification_days(today, np.asarray(lead, dtype=np.bool_), *_notify_terms(p), rng)


def _notify_terms(p: Params) -> tuple[float, float, float]:
    return float(p.notify_prob), float(p.notify_delay_days), float(p.lead_delay_factor)


@njit(cache=True)
def _notification_days(today: int, lead: np.ndarray, notify_prob: float, delay_days: float,
                       lead_factor: float, rng: np.random.Generator) -> np.ndarray:
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
    closed = np.zeros(len(gaps), dtype=np.uint8)
    draws = rng.random((len(gaps), len(ALL_GAPS))) < chance
    for column, bit in enumerate(ALL_GAPS):
        if closable & bit:
            closed |= np.where(draws[:, column], bit, 0).astype(np.uint8)
    return gaps & ~closed


def open_gap_count(gaps: np.ndarray) -> np.ndarray:
    """Number of open gaps in each mask."""
    return np.bitwise_count(gaps).astype(np.int8)
