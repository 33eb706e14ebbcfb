"""Process 9 (morale): staff morale, effectiveness and attrition; client wellbeing."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.state import NEVER, State

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
    f64 = np.float64
    step_in = np.asarray(step_in_share, dtype=np.float32)
    return np.array([_target(step_in[k], f64(overload[k]), f64(unmet_share[k]),
                             f64(waiting_share[k]), _participation(p))
                     for k in range(len(step_in))])


def morale_step(morale: np.ndarray, target: np.ndarray, p: Params) -> np.ndarray:
    """Move morale toward its target at ``morale_rate`` per day."""
    return np.array([_stepped(m, t, p.morale_rate) for m, t in zip(morale, target, strict=True)],
                    dtype=np.float32)


def effectiveness(morale: np.ndarray) -> np.ndarray:
    """Share of contracted hours that turn into care: low morale wastes time."""
    return np.array([_effectiveness(m) for m in np.asarray(morale, dtype=np.float32)],
                    dtype=np.float32)


def leaving_probability(morale: np.ndarray, p: Params) -> np.ndarray:
    """Daily chance a professional leaves, higher when morale is low."""
    return np.array([_leaving_chance(g, np.float32(p.attrition_rate))
                     for g in _attrition_growth(np.asarray(morale, dtype=np.float32))],
                    dtype=np.float32)


def move_morale(state: State, outcomes: dict[str, np.ndarray], p: Params) -> None:
    """Move the morale of staff in post toward :func:`morale_target`, in place.

    Args:
        state: Today's state (``morale`` is updated; vacant posts keep theirs).
        outcomes: Per post today: ``step_in``, ``overload``, ``unmet_share`` and
            ``waiting_share`` (see :func:`morale_target`).
        p: Parameters.
    """
    _move_morale(state.morale, state.vacant_until, outcomes["step_in"],
                 outcomes["overload"], outcomes["unmet_share"], outcomes["waiting_share"],
                 _participation(p), float(p.morale_rate))


def staff_turnover(state: State, day: int, p: Params, rng: np.random.Generator | List) -> int:
    """Staff leave with :func:`leaving_probability`; vacancies wait, then are filled.

    A post left today stays vacant for an exponential wait of mean ``vacancy_days``
    (rounded up); a post filled again starts at ``morale_initial``. Both draws are made
    for every post every day, so a lever that changes morale keeps the draws paired.

    Args:
        state: Today's state; morale and vacancies are updated.
        day: Today.
        p: Parameters.
        rng: The ``morale`` stream, plain or held (``Streams.held``).

    Returns:
        The number of staff who left today.
    """
    return _staff_turnover(state.morale, state.vacant_until,
                           _attrition_growth(state.morale), np.float32(p.attrition_rate),
                           float(p.vacancy_days), np.float32(p.morale_initial), day, rng)


def set_capacity(state: State, p: Params) -> None:
    """Set tomorrow's professional hours per post, in place.

    Filled posts give their contracted hours scaled by :func:`effectiveness` (morale),
    less the time owed for devolved decisions (which is then cleared).
    """
    _set_capacity(state.hours_available, state.decision_time, state.morale,
                  state.vacant_until, np.float32(p.professional_hours / 7.0))


@terms_of_params
def _participation(p: Params) -> np.float32:
    """The participation term of :func:`_target`, in float32 like the rest of its sum."""
    return np.float32(0.15 * p.staff_participation)


def _attrition_growth(morale: np.ndarray) -> np.ndarray:
    """``exp(ATTRITION_SLOPE * (REFERENCE_MORALE - morale))`` in float32.

    Computed by numpy on purpose: its vectorised float32 ``exp`` can differ from the C
    library's in the last bit, and a compiled loop would use the latter.
    """
    return np.exp(np.float32(ATTRITION_SLOPE) * (np.float32(REFERENCE_MORALE) - morale))


@njit(inline="always")
def _target(step_in: np.float32, overload: float, unmet_share: float, waiting_share: float,
            participation: np.float32) -> float:
    """One post's morale target (see :func:`morale_target`)."""
    autonomy = np.float32(0.45) + np.float32(0.25) * step_in + participation
    target = (np.float64(autonomy) + 0.2 * (1.0 - unmet_share) - 0.3 * min(overload, 1.0)
              - 0.2 * waiting_share)
    return min(max(target, 0.0), 1.0)


@njit(inline="always")
def _stepped(morale: np.float32, target: float, rate: float) -> np.float32:
    """Morale after one day's move toward ``target`` (see :func:`morale_step`)."""
    return np.float32(np.float64(morale) + rate * (target - np.float64(morale)))


@njit(inline="always")
def _effectiveness(morale: np.float32) -> np.float32:
    return np.float32(EFFECTIVENESS_FLOOR) + np.float32(1.0 - EFFECTIVENESS_FLOOR) * morale


@njit(inline="always")
def _leaving_chance(growth: np.float32, attrition_rate: np.float32) -> np.float32:
    return -np.expm1(-(attrition_rate * growth) / np.float32(365.0))


@njit(cache=True)
def _move_morale(morale, vacant_until, step_in, overload, unmet_share, waiting_share,
                 participation, rate):
    for k in range(len(morale)):
        if vacant_until[k] == NEVER:
            target = _target(step_in[k], overload[k], unmet_share[k], waiting_share[k],
                             participation)
            morale[k] = _stepped(morale[k], target, rate)


@njit(cache=True)
def _staff_turnover(morale, vacant_until, growth, attrition_rate, vacancy_days,
                    morale_initial, day, stream):
    rng = generator(stream)
    draws = rng.random(len(morale))
    wait = np.ceil(rng.exponential(vacancy_days, len(morale)))
    left = 0
    for k in range(len(morale)):
        if vacant_until[k] == NEVER and draws[k] < _leaving_chance(growth[k],
                                                                   attrition_rate):
            vacant_until[k] = day + np.int32(wait[k])
            left += 1
    for k in range(len(morale)):
        if vacant_until[k] != NEVER and vacant_until[k] <= day:
            vacant_until[k] = NEVER
            morale[k] = morale_initial
    return left


@njit(cache=True)
def _set_capacity(hours_available, decision_time, morale, vacant_until, hours_per_day):
    for k in range(len(morale)):
        filled = vacant_until[k] == NEVER
        hours_available[k] = hours_per_day * _effectiveness(morale[k]) if filled \
            else np.float32(0.0)
        hours_available[k] -= decision_time[k]
        decision_time[k] = 0.0
