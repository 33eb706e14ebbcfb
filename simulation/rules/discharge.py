"""Process 3 (discharge): basics gaps, notification of the community, follow-up."""

from __future__ import annotations

import numpy as np

from simulation.params import Params
from simulation.state import ALL_GAPS, NEVER


def draw_gaps(count: int, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Draw which of the four basics each discharged patient lacks (a bitmask)."""
    missing = rng.random((count, len(ALL_GAPS))) < p.gap_prob
    return (missing * np.array(ALL_GAPS, dtype=np.uint8)).sum(axis=1).astype(np.uint8)


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
    heard = lead | (rng.random(len(lead)) < p.notify_prob)
    mean = p.notify_delay_days * np.where(lead, p.lead_delay_factor, 1.0)
    delay = np.rint(rng.exponential(1.0, len(lead)) * mean).astype(np.int32)
    return np.where(heard, today + delay, NEVER).astype(np.int32)


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
