"""Process 9 (morale): staff morale, effectiveness, attrition and tomorrow's capacity.

The day calls :func:`morale`. The per-post rules (:func:`morale_target`,
:func:`stepped`, :func:`effectiveness`, :func:`leaving_chance`) are what the compiled
passes call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.state import DAYS_PER_WEEK, DAYS_PER_YEAR, NEVER

if TYPE_CHECKING:
    from simulation.town import Town

REFERENCE_MORALE = 0.6  # morale at which staff leave at ``attrition_rate``
ATTRITION_SLOPE = 4.0  # log change in leaving rate per unit of morale below reference
EFFECTIVENESS_FLOOR = 0.7  # share of contracted hours delivered at zero morale
# The morale target's terms (score 0-1): a base, plus autonomy used and participation
# extended, plus clients' needs met; less overload and clients left waiting.
MORALE_BASE = 0.45
STEP_IN_WEIGHT = 0.25  # per unit of the chance of stepping into devolved authority
PARTICIPATION_WEIGHT = 0.15  # per unit of staff_participation
MET_NEED_WEIGHT = 0.2  # per unit of the caseload's need met
OVERLOAD_WEIGHT = 0.3  # per unit of demand over capacity (capped at 1)
WAITING_WEIGHT = 0.2  # per unit of the caseload's share waiting for a decision


class MoraleCounts(NamedTuple):
    """What phase 8 counts: staff who left today."""

    staff_attrition: int


def morale(town: Town) -> MoraleCounts:
    """Phase 8 (process 9): morale moves toward its target; some staff leave; posts are filled.

    Morale of staff in post moves toward :func:`morale_target` at ``morale_rate`` a
    day. Staff leave with :func:`leaving_chance`; a post left today stays vacant for an
    exponential wait of mean ``vacancy_days`` (rounded up), and a post filled again
    starts at ``morale_initial``. Both draws are made for every post every day, so a
    lever that changes morale keeps the draws paired. Then tomorrow's capacity is set
    (:func:`set_capacity`).
    """
    s, t = town.state, morale_terms(town.params)
    _move_morale(s.morale, s.vacant_until, s.step_in, s.overload, s.unmet_share,
                 s.waiting_share, t)
    left = _staff_turnover(s.morale, s.vacant_until, _attrition_growth(s.morale), town.day,
                           t, town.streams.held("morale"))
    set_capacity(town)
    return MoraleCounts(left)


def set_capacity(town: Town) -> None:
    """Set tomorrow's professional hours per post, in place.

    Filled posts give their contracted hours scaled by :func:`effectiveness` (morale);
    vacant posts none.
    """
    s = town.state
    _set_capacity(s.hours_available, s.morale, s.vacant_until, morale_terms(town.params))


class MoraleTerms(NamedTuple):
    """The parameters of phase 8, typed as its arithmetic needs them."""

    participation_gain: np.float32  # PARTICIPATION_WEIGHT x staff_participation
    rate: float  # morale's daily move toward its target
    attrition_rate: np.float32  # leaving rate a year at REFERENCE_MORALE
    vacancy_days: float  # mean days to fill a post
    morale_initial: np.float32  # morale of someone new in post
    hours_per_day: np.float32  # contracted hours of a post, a day


@terms_of_params
def morale_terms(p: Params) -> MoraleTerms:
    """:class:`MoraleTerms` of the parameters."""
    return MoraleTerms(np.float32(PARTICIPATION_WEIGHT * p.staff_participation),
                       float(p.morale_rate), np.float32(p.attrition_rate),
                       float(p.vacancy_days), np.float32(p.morale_initial),
                       np.float32(p.professional_hours / DAYS_PER_WEEK))


@njit(inline="always")
def morale_target(step_in: np.float32, overload: float, unmet_share: float,
                  waiting_share: float, t: MoraleTerms) -> float:
    """The morale one post is drawn toward (0-1).

    Rises with autonomy actually used (``step_in``: devolved authority stepped into),
    with the participation extended to staff and with good outcomes for their clients
    (the caseload's need met); falls with overload and with clients left waiting for
    decisions.
    """
    base_and_voice = (np.float32(MORALE_BASE) + np.float32(STEP_IN_WEIGHT) * step_in
                      + t.participation_gain)
    target = (np.float64(base_and_voice) + MET_NEED_WEIGHT * (1.0 - unmet_share)
              - OVERLOAD_WEIGHT * min(overload, 1.0) - WAITING_WEIGHT * waiting_share)
    return min(max(target, 0.0), 1.0)


@njit(inline="always")
def stepped(morale: np.float32, target: float, rate: float) -> np.float32:
    """Morale after one day's move toward ``target`` at ``rate``."""
    return np.float32(np.float64(morale) + rate * (target - np.float64(morale)))


@njit(inline="always")
def effectiveness(morale: np.float32) -> np.float32:
    """Share of contracted hours that turn into care: low morale wastes time."""
    return np.float32(EFFECTIVENESS_FLOOR) + np.float32(1.0 - EFFECTIVENESS_FLOOR) * morale


def _attrition_growth(morale: np.ndarray) -> np.ndarray:
    """``exp(ATTRITION_SLOPE * (REFERENCE_MORALE - morale))`` in float32.

    Computed by numpy on purpose: its vectorised float32 ``exp`` can differ from the C
    library's in the last bit, and a compiled loop would use the latter.
    """
    return np.exp(np.float32(ATTRITION_SLOPE) * (np.float32(REFERENCE_MORALE) - morale))


@njit(inline="always")
def leaving_chance(growth: np.float32, attrition_rate: np.float32) -> np.float32:
    """Daily chance one member of staff leaves.

    The leaving rate is ``attrition_rate`` a year times ``growth``, the morale factor
    (see :func:`_attrition_growth`).
    """
    return -np.expm1(-(attrition_rate * growth) / np.float32(DAYS_PER_YEAR))


@njit(cache=True)
def _move_morale(morale, vacant_until, step_in, overload, unmet_share, waiting_share, t):
    for k in range(len(morale)):
        if vacant_until[k] == NEVER:
            target = morale_target(step_in[k], overload[k], unmet_share[k], waiting_share[k],
                                   t)
            morale[k] = stepped(morale[k], target, t.rate)


@njit(cache=True)
def _staff_turnover(morale, vacant_until, growth, day, t, stream: List):
    rng = generator(stream)
    draws = rng.random(len(morale))
    wait = np.ceil(rng.exponential(t.vacancy_days, len(morale)))
    left = 0
    for k in range(len(morale)):
        if vacant_until[k] == NEVER and draws[k] < leaving_chance(growth[k], t.attrition_rate):
            vacant_until[k] = day + np.int32(wait[k])
            left += 1
    for k in range(len(morale)):
        if vacant_until[k] != NEVER and vacant_until[k] <= day:
            vacant_until[k] = NEVER
            morale[k] = t.morale_initial
    return left


@njit(cache=True)
def _set_capacity(hours_available, morale, vacant_until, t):
    for k in range(len(morale)):
        filled = vacant_until[k] == NEVER
        hours_available[k] = t.hours_per_day * effectiveness(morale[k]) if filled \
            else np.float32(0.0)


@njit(cache=True)
def covering_posts(vacant_until: np.ndarray) -> np.ndarray:
    """The post that serves each patch today: its own, or if vacant the next filled one.

    Patches are numbered along the town, so the next post in order is a neighbouring
    patch's; with every post vacant, each patch keeps its own (with no hours).
    """
    posts = len(vacant_until)
    cover = np.arange(posts)
    for k in range(posts):
        for step in range(posts):
            candidate = (k + step) % posts
            if vacant_until[candidate] == NEVER:
                cover[k] = candidate
                break
    return cover
