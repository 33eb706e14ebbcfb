"""The model's changing state: one numpy array per attribute, indexed by resident or post.

Fixed traits live in :class:`~simulation.population.Population`; everything the daily
phases change lives in :class:`State`, grouped by the phase that writes it. The phase
table (:data:`simulation.day.PHASES`) lists exactly which fields each phase reads and
writes, and a test holds every phase to it.

Codes and units shared by every process are named here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from simulation.params import Params
from simulation.population import Population

DAYS_PER_YEAR = 365.0  # rates given per year are divided by this for a day
DAYS_PER_WEEK = 7.0  # hours given per week are divided by this for a day
HOURS_PER_DAY = 24.0  # no one gives more care than a whole day
NEVER = -1_000_000  # "no such day" in day-valued arrays; far below any warm-up day
RECOVERY_DAYS = 30  # the post-discharge window of the readmission indicator
# A decaying quantity (a weekly moving mean, strain) below float32's smallest normal
# number is 0. Left alone it would sink into the subnormal numbers and stay there (a few
# units in the last place times the decay rounds back to itself), never reaching 0, and
# every product with it costs the processor many times a normal one.
DECAY_FLOOR = float(np.finfo(np.float32).tiny)

# The four "basics" a discharged patient may lack, as bits of ``State.gaps``.
GAP_MEDICINES = 1
GAP_FOOD = 2
GAP_FOLLOW_UP = 4
GAP_HOME_SAFE = 8
ALL_GAPS = (GAP_MEDICINES, GAP_FOOD, GAP_FOLLOW_UP, GAP_HOME_SAFE)
# Gaps a visitor can close on the spot; a home made safe needs a decision (equipment).
VISIT_CLOSABLE = GAP_MEDICINES | GAP_FOOD | GAP_FOLLOW_UP



@njit(inline="always")
def above_floor(value: np.float32) -> np.float32:
    """A decaying, never negative quantity, or 0 once it is below :data:`DECAY_FLOOR`."""
    return value if value >= np.float32(DECAY_FLOOR) else np.float32(0.0)


@njit(inline="always")
def open_gap_count(gaps: np.uint8) -> int:
    """Number of open gaps in one mask."""
    count = 0
    for gap in ALL_GAPS:
        count += (gaps & gap) != 0
    return count


# Volunteer states (``State.volunteer``).
NOT_VOLUNTEER = 0
VETTING = 1
ACTIVE = 2

# Starting state: norms spread uniformly from NORM_DRAW_LOW to NORM_DRAW_LOW + 1 times
# ``reciprocity_norm`` (capped at 1); the scheme's first volunteers are adults whose
# age-typical frailty is below FIRST_VOLUNTEERS_MAX_FRAILTY.
NORM_DRAW_LOW = 0.5
FIRST_VOLUNTEERS_MAX_FRAILTY = 0.5

# Peer-support stage of the latest discharge (``State.peer_stage``).
PEER_NONE = 0  # not referred to the scheme
PEER_REFERRED = 1  # referred: the referral waits for a decision (vetoed or approved)
PEER_APPROVED = 2  # approved: waiting for a volunteer
PEER_SUPPORTED = 3  # a volunteer visits weekly
PEER_DONE = 4  # supported until 30 days after discharge
PEER_VETOED = 5  # vetoed: a professional follows up instead
PEER_UNMATCHED = 6  # approved, but no volunteer was free within the 30 days

# Kinds of decision (rows of ``State.decision_day``): a resident's care package (and the
# equipment that makes a home safe), a referral to the peer scheme, and accepting a new
# volunteer once their checks are done.
CARE_DECISION = 0
VISIT_DECISION = 1
VOLUNTEER_DECISION = 2
DECISION_KINDS = (CARE_DECISION, VISIT_DECISION, VOLUNTEER_DECISION)

_EMPTY_INDEX = np.empty(0, dtype=np.int64)


def _zeros(n: int, dtype: type = np.float32) -> np.ndarray:
    return np.zeros(n, dtype=dtype)


def _never(n: int) -> np.ndarray:
    return np.full(n, NEVER, np.int32)


def _index() -> np.ndarray:
    return _EMPTY_INDEX.copy()


@dataclass
class State:
    """Per-resident and per-post arrays changed by the daily phases.

    Units: hours are hours per day unless named ``*_week``; ``*_day`` arrays hold the
    model day of an event or :data:`NEVER`. Index arrays (``in_need``, ``carers``...)
    list residents in index order. Each group below is written by the phase it is
    named after; where another phase also writes a field, the comment says so.
    """

    n: int
    posts: int
    # -- health: frailty (also raised by strain, at burnout) and today's admissions ----
    frailty: np.ndarray = field(init=False)
    admitted_today: np.ndarray = field(init=False, default_factory=_index)
    # -- hospital: stays, discharges and what a discharged patient goes home to --------
    in_hospital: np.ndarray = field(init=False)
    stay_left: np.ndarray = field(init=False)  # days until medically fit
    admitted_day: np.ndarray = field(init=False)
    discharged_day: np.ndarray = field(init=False)
    gaps: np.ndarray = field(init=False)  # bitmask of missing basics (co-production,
    # care and decisions close them; hospital clears them at admission)
    notify_day: np.ndarray = field(init=False)  # day the community will hear
    # -- discharge: the community hears; referrals ------------------------------------
    notified: np.ndarray = field(init=False)  # community knows of the latest discharge
    # (hospital clears it at admission)
    # day professionals were asked to follow up the latest discharge (NEVER if not):
    # when the community heard, or, for a referral to the peer scheme vetoed, that day
    # (hospital clears it at admission; decisions sets it for a veto)
    referred_day: np.ndarray = field(init=False)
    peer_stage: np.ndarray = field(init=False)  # PEER_* (hospital, co-production and
    # decisions move it on)
    # -- co-production: the peer volunteers and today's visits -------------------------
    volunteer: np.ndarray = field(init=False)  # NOT_VOLUNTEER, VETTING or ACTIVE (decisions
    # approves new volunteers)
    vetted_day: np.ndarray = field(init=False)  # day a new volunteer's checks end
    supporter: np.ndarray = field(init=False)  # each patient's volunteer, or -1 (hospital
    # clears it at admission)
    next_visit_day: np.ndarray = field(init=False)  # a supported patient's next visit
    visit_volunteers: np.ndarray = field(init=False, default_factory=_index)  # today's
    visit_patients: np.ndarray = field(init=False, default_factory=_index)  # visits, paired
    # -- care: need, who gave and received, mutual aid, packages, professional visits --
    need: np.ndarray = field(init=False)  # hours per day, set each day
    in_need: np.ndarray = field(init=False, default_factory=_index)  # residents, today
    caseload: np.ndarray = field(init=False, default_factory=_index)  # visited today
    caseload_post: np.ndarray = field(init=False, default_factory=_index)  # who visited each
    package_hours: np.ndarray = field(init=False)  # paid care a day in a running package
    package_wait_day: np.ndarray = field(init=False)  # day a package joined the queue
    # (decisions puts packages in it)
    followed_up_day: np.ndarray = field(init=False)  # first professional visit after
    # the latest discharge (NEVER: none yet; hospital clears it at admission)
    neighbour_help_day: np.ndarray = field(init=False)  # last day of help to a
    # non-relative (neighbour care or a peer visit)
    given_today: np.ndarray = field(init=False)  # unpaid hours each resident gave
    givers_today: np.ndarray = field(init=False, default_factory=_index)  # who gave today
    carers: np.ndarray = field(init=False, default_factory=_index)  # 1+ hour a week lately
    given_ema: np.ndarray = field(init=False)  # unpaid hours given, weekly moving mean
    family_ema: np.ndarray = field(init=False)
    neighbour_ema: np.ndarray = field(init=False)
    contact_ema: np.ndarray = field(init=False)  # unpaid contact received, moving mean
    unmet_ema: np.ndarray = field(init=False)  # share of need unmet, moving mean
    norm: np.ndarray = field(init=False)  # mutual-aid norm, 0-1
    balance: np.ndarray = field(init=False)  # neighbour hours given minus received
    overload: np.ndarray = field(init=False)  # per post: demand over capacity, less 1
    unmet_share: np.ndarray = field(init=False)  # per post: caseload need unmet
    cases: np.ndarray = field(init=False)  # per post: residents on the caseload
    # -- loneliness --------------------------------------------------------------------
    quiet: np.ndarray = field(init=False)  # loneliness with no care contact (set at start)
    loneliness: np.ndarray = field(init=False)  # (a peer visit also eases it)
    # -- decisions (raised by hospital, discharge, co-production and care too) --------
    decision_day: np.ndarray = field(init=False)  # (kinds, residents): day raised, or
    # NEVER when none of that kind is waiting
    assessed_day: np.ndarray = field(init=False)  # day a professional assessed the care
    # decision waiting (NEVER: not yet; the care phase assesses)
    step_in: np.ndarray = field(init=False)  # per post: chance of deciding at once
    waiting_share: np.ndarray = field(init=False)  # per post: caseload left waiting
    decision_time: np.ndarray = field(init=False)  # per post: hours booked for tomorrow
    # -- morale: staff in post and tomorrow's capacity (hours_used is charged by --------
    # begin_day, with the decisions booked yesterday, and by care's visits)
    morale: np.ndarray = field(init=False)
    vacant_until: np.ndarray = field(init=False)  # day a vacant post is filled; NEVER if filled
    hours_available: np.ndarray = field(init=False)  # today
    hours_used: np.ndarray = field(init=False)  # today: decisions booked, visits
    # -- strain ------------------------------------------------------------------------
    strain: np.ndarray = field(init=False)
    burnout_until: np.ndarray = field(init=False)  # day a burnt-out carer resumes

    def __post_init__(self) -> None:
        n, posts = self.n, self.posts
        self.frailty = _zeros(n)
        self.in_hospital = _zeros(n, bool)
        self.stay_left = _zeros(n, np.int16)
        self.admitted_day = _never(n)
        self.discharged_day = _never(n)
        self.gaps = _zeros(n, np.uint8)
        self.notify_day = _never(n)
        self.notified = _zeros(n, bool)
        self.referred_day = _never(n)
        self.peer_stage = _zeros(n, np.int8)
        self.volunteer = _zeros(n, np.int8)
        self.vetted_day = _never(n)
        self.supporter = np.full(n, -1, np.int64)
        self.next_visit_day = _never(n)
        self.need = _zeros(n)
        self.package_hours = _zeros(n)
        self.package_wait_day = _never(n)
        self.followed_up_day = _never(n)
        self.neighbour_help_day = _never(n)
        self.given_today = _zeros(n)
        self.given_ema = _zeros(n)
        self.family_ema = _zeros(n)
        self.neighbour_ema = _zeros(n)
        self.contact_ema = _zeros(n)
        self.unmet_ema = _zeros(n)
        self.norm = _zeros(n)
        self.balance = _zeros(n)
        self.overload = _zeros(posts, np.float64)
        self.unmet_share = _zeros(posts, np.float64)
        self.cases = _zeros(posts, np.int64)
        self.quiet = _zeros(n)
        self.loneliness = _zeros(n)
        self.decision_day = np.full((len(DECISION_KINDS), n), NEVER, np.int32)
        self.assessed_day = _never(n)
        self.step_in = _zeros(posts)
        self.waiting_share = _zeros(posts, np.float64)
        self.decision_time = _zeros(posts)
        self.morale = _zeros(posts)
        self.vacant_until = _never(posts)
        self.hours_available = _zeros(posts)
        self.hours_used = _zeros(posts)
        self.strain = _zeros(n)
        self.burnout_until = _never(n)


def initial_state(pop: Population, params: Params, posts: int, quiet: np.ndarray) -> State:
    """Start every resident at home, at their age-typical frailty, with no history.

    Args:
        pop: The population.
        params: Parameters.
        posts: Number of professional posts.
        quiet: Each resident's loneliness with no care contact
            (:func:`simulation.rules.loneliness.quiet_level`).
    """
    state = State(n=pop.size, posts=posts)
    state.frailty[:] = pop.frailty_level
    state.quiet[:] = quiet
    state.loneliness[:] = pop.isolation
    state.norm[:] = starting_norm(pop, params)
    state.morale[:] = params.morale_initial
    if params.peer_scheme:
        state.volunteer[first_volunteers(pop, params)] = ACTIVE
    return state


def starting_norm(pop: Population, params: Params) -> np.ndarray:
    """Each resident's mutual-aid norm at the start: their draw scaled by the lever."""
    return np.clip(params.reciprocity_norm * (NORM_DRAW_LOW + pop.norm_draw), 0.0, 1.0)


def first_volunteers(pop: Population, params: Params) -> np.ndarray:
    """Who volunteers when the peer scheme starts: a few adults well enough to, by their draw.

    ``initial_volunteers_per_1000`` of the residents are drawn (``volunteer_draw``), and
    of them the adults whose age-typical frailty is below ``FIRST_VOLUNTEERS_MAX_FRAILTY``
    volunteer; the scheme grows from there as the patients it visits join.
    """
    return ((pop.volunteer_draw < params.initial_volunteers_per_1000 / 1000)
            & pop.adult & (pop.frailty_level < FIRST_VOLUNTEERS_MAX_FRAILTY))


def start_levers(state: State, pop: Population, before: Params, after: Params) -> None:
    """What starting levers on a day does beyond the rules reading them from then on.

    Two levers act on the state set when the town was built, and starting them later
    does what building the town with them would have done, to the town as it is now:

    * the peer scheme, switched on, starts with its first volunteers
      (:func:`first_volunteers`; those already volunteering or in checks stay as they
      are; switched off, the scheme stops matching and visiting);
    * a new ``reciprocity_norm`` moves each resident's norm by the change in their
      starting norm (:func:`starting_norm`): a campaign that shifts everyone's norm
      by what it would have shifted it at the start, keeping what they have learned
      since.

    Args:
        state: The town's state, changed in place.
        pop: The population.
        before: The parameters in force until today.
        after: The parameters in force from today.
    """
    if after.peer_scheme and not before.peer_scheme:
        joining = first_volunteers(pop, after) & (state.volunteer == NOT_VOLUNTEER)
        state.volunteer[joining] = ACTIVE
    if after.reciprocity_norm != before.reciprocity_norm:
        shift = starting_norm(pop, after) - starting_norm(pop, before)
        np.clip(state.norm + shift, 0.0, 1.0, out=state.norm)
