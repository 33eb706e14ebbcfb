"""Process 9 (morale): staff morale, effectiveness and attrition; client wellbeing."""

from __future__ import annotations

import numpy as np

from simulation.params import Params

REFERENCE_MORALE = 0.6  # morale at which staff leave at ``attrition_rate``
ATTRITION_SLOPE = 4.0  # log change in leaving rate per unit of morale below reference
EFFECTIVENESS_FLOOR = 0.7  # share of contracted hours delivered at zero morale


def morale_target(step_in_share: np.ndarray, overload: np.ndarray, unmet_share: np.ndarray,
                  waiting_share: np.ndarray, p: Params) -> np.ndarray:
    """The morale each post is drawn toward.

    Rises with autonomy actually used (devolved authority stepped into), with the
    participation extended to staff and with good outcomes for their clients; falls
    with overload and with clients left waiting for decisions.

    Args:
        step_in_share: Chance, per post, of taking decisions at once (0-1).
        overload: Demand over capacity minus one, floored at 0, per post.
        unmet_share: Share of caseload need unmet, per post.
        waiting_share: Share of the caseload waiting for a decision, per post.
        p: Parameters.
    """
    target = (0.45 + 0.25 * step_in_share + 0.15 * p.staff_participation
              + 0.2 * (1.0 - unmet_share) - 0.3 * np.minimum(overload, 1.0)
              - 0.2 * waiting_share)
    return np.clip(target, 0.0, 1.0)


def morale_step(morale: np.ndarray, target: np.ndarray, p: Params) -> np.ndarray:
    """Move morale toward its target at ``morale_rate`` per day."""
    return (morale + p.morale_rate * (target - morale)).astype(np.float32)


def effectiveness(morale: np.ndarray) -> np.ndarray:
    """Share of contracted hours that turn into care: low morale wastes time."""
    return EFFECTIVENESS_FLOOR + (1.0 - EFFECTIVENESS_FLOOR) * morale


def leaving_probability(morale: np.ndarray, p: Params) -> np.ndarray:
    """Daily chance a professional leaves, higher when morale is low."""
    yearly = p.attrition_rate * np.exp(ATTRITION_SLOPE * (REFERENCE_MORALE - morale))
    return -np.expm1(-yearly / 365.0)
