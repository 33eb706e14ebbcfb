"""The model's changing state: one numpy array per attribute, indexed by resident or post.

Fixed traits live in :class:`~simulation.population.Population`; everything the daily
rules change lives here. Agents, metrics and the dashboard read these arrays; only the
phases in :mod:`simulation.day` write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.params import Params
from simulation.population import Population

# The four "basics" a discharged patient may lack, as bits of ``State.gaps``.
GAP_MEDICINES = 1
GAP_FOOD = 2
GAP_FOLLOW_UP = 4
GAP_HOME_SAFE = 8
ALL_GAPS = (GAP_MEDICINES, GAP_FOOD, GAP_FOLLOW_UP, GAP_HOME_SAFE)
# Gaps a visitor can close on the spot; a home made safe needs a decision (equipment).
VISIT_CLOSABLE = GAP_MEDICINES | GAP_FOOD | GAP_FOLLOW_UP

NEVER = -1_000_000  # "no such day" in day-valued arrays; far below any warm-up day
RECOVERY_DAYS = 30  # the post-discharge window of the readmission indicator

# Volunteer states.
NOT_VOLUNTEER = 0
VETTING = 1
ACTIVE = 2


def _zeros(n: int, dtype: type = np.float32) -> np.ndarray:
    return np.zeros(n, dtype=dtype)


@dataclass
class State:
    """Per-resident and per-post arrays changed by the daily rules.

    Units: hours are hours per day unless named ``*_week``; ``*_day`` arrays hold the
    model day of an event or :data:`NEVER`.
    """

    n: int
    posts: int
    # health and hospital
    frailty: np.ndarray = field(init=False)
    in_hospital: np.ndarray = field(init=False)
    stay_left: np.ndarray = field(init=False)  # days until medically fit
    admitted_day: np.ndarray = field(init=False)
    discharged_day: np.ndarray = field(init=False)
    # discharge and co-production
    notified: np.ndarray = field(init=False)  # community knows of the latest discharge
    notify_day: np.ndarray = field(init=False)  # day the community will hear
    gaps: np.ndarray = field(init=False)  # bitmask of missing basics
    former_patient: np.ndarray = field(init=False)
    volunteer: np.ndarray = field(init=False)  # NOT_VOLUNTEER, VETTING or ACTIVE
    vetted_day: np.ndarray = field(init=False)  # day vetting ends
    visit_tokens: np.ndarray = field(init=False)  # visits a volunteer can make now
    # care
    need: np.ndarray = field(init=False)  # hours per day, set each day
    norm: np.ndarray = field(init=False)  # mutual-aid norm, 0-1
    balance: np.ndarray = field(init=False)  # neighbour hours given minus received
    given_ema: np.ndarray = field(init=False)  # unpaid hours given, weekly moving mean
    family_ema: np.ndarray = field(init=False)
    neighbour_ema: np.ndarray = field(init=False)
    contact_ema: np.ndarray = field(init=False)  # unpaid contact received, moving mean
    unmet_ema: np.ndarray = field(init=False)  # share of need unmet, moving mean
    strain: np.ndarray = field(init=False)
    burnout_until: np.ndarray = field(init=False)  # day a burnt-out carer resumes
    loneliness: np.ndarray = field(init=False)
    # subsidiarity
    decision_pending: np.ndarray = field(init=False)
    decision_raised_day: np.ndarray = field(init=False)
    # professionals (one per post)
    morale: np.ndarray = field(init=False)
    vacant_until: np.ndarray = field(init=False)  # day a vacant post is filled; NEVER if filled
    hours_used: np.ndarray = field(init=False)  # today
    hours_available: np.ndarray = field(init=False)  # today
    decision_time: np.ndarray = field(init=False)  # hours owed for devolved decisions

    def __post_init__(self) -> None:
        n, posts = self.n, self.posts
        self.frailty = _zeros(n)
        self.in_hospital = _zeros(n, bool)
        self.stay_left = _zeros(n, np.int16)
        self.admitted_day = np.full(n, NEVER, np.int32)
        self.discharged_day = np.full(n, NEVER, np.int32)
        self.notified = _zeros(n, bool)
        self.notify_day = np.full(n, NEVER, np.int32)
        self.gaps = _zeros(n, np.uint8)
        self.former_patient = _zeros(n, bool)
        self.volunteer = _zeros(n, np.int8)
        self.vetted_day = np.full(n, NEVER, np.int32)
        self.visit_tokens = _zeros(n)
        self.need = _zeros(n)
        self.norm = _zeros(n)
        self.balance = _zeros(n)
        self.given_ema = _zeros(n)
        self.family_ema = _zeros(n)
        self.neighbour_ema = _zeros(n)
        self.contact_ema = _zeros(n)
        self.unmet_ema = _zeros(n)
        self.strain = _zeros(n)
        self.burnout_until = np.full(n, NEVER, np.int32)
        self.loneliness = _zeros(n)
        self.decision_pending = _zeros(n, bool)
        self.decision_raised_day = np.full(n, NEVER, np.int32)
        self.morale = _zeros(posts)
        self.vacant_until = np.full(posts, NEVER, np.int32)
        self.hours_used = _zeros(posts)
        self.hours_available = _zeros(posts)
        self.decision_time = _zeros(posts)


def initial_state(pop: Population, params: Params, posts: int) -> State:
    """Start every resident at home, at their age-typical frailty, with no history."""
    state = State(n=pop.size, posts=posts)
    state.frailty[:] = pop.frailty_level
    state.loneliness[:] = pop.isolation
    state.norm[:] = np.clip(params.reciprocity_norm * (0.5 + pop.norm_draw), 0.0, 1.0)
    state.morale[:] = params.morale_initial
    # The scheme starts with a few former patients already volunteering.
    if params.peer_scheme:
        seed_pool = ((pop.volunteer_draw < params.initial_volunteers_per_1000 / 1000)
                     & pop.adult & (pop.frailty_level < 0.5))
        state.volunteer[seed_pool] = ACTIVE
        state.former_patient[seed_pool] = True
        state.visit_tokens[seed_pool] = 1.0
    return state
