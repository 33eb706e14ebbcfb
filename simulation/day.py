"""One simulated day: the ten processes in their fixed order, wiring state to rules.

:class:`Town` owns the population, the ties and the state, and :meth:`Town.advance`
runs one day. The phases read and write :class:`~simulation.state.State`; the
arithmetic lives in :mod:`simulation.rules`. Each phase draws only from its own named
stream, so a lever that changes one process leaves the others' draws alone wherever the
rules allow (common random numbers across arms).

Order of a day (docs/ODD.md explains why this order):

1. health: frailty drifts; admissions (readmissions if within 30 days of discharge)
2. hospital: stays run down; medically fit patients leave unless delayed
3. discharge: basics gaps and notification drawn; the community hears; follow-up
4. co-production (with 5, risk management): vetoes, matching, visits, recruitment,
   vetting, tiring
6. care allocation: peer, family, kin, neighbours, paid, professionals, unmet
7. personalisation and loneliness: budgets buy hours; only unpaid contact eases loneliness
8. subsidiarity: new decisions; frontline step-in or the manager's queue
9. morale: staff morale, attrition and vacancies; tomorrow's capacity
10. carer strain and burnout
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from simulation.network import SOCIAL_KINDS, Network, build_network
from simulation.params import Params
from simulation.population import Population, build_population, professional_posts
from simulation.rng import Streams
from simulation.rules import (
    care,
    decisions,
    discharge,
    health,
    hospital,
    loneliness,
    peer_visits,
    risk,
    strain,
)
from simulation.rules import morale as morale_rules
from simulation.state import (
    ACTIVE,
    GAP_HOME_SAFE,
    NOT_VOLUNTEER,
    RECOVERY_DAYS,
    VETTING,
    VISIT_CLOSABLE,
    State,
    initial_state,
)
from simulation.sums import numpy_sum

PROFESSIONAL_VISIT_HOURS = 1.0  # professional time for one follow-up or vetoed visit
EMA_WEIGHT = 1.0 / 7.0  # weekly moving means
NORM_UPDATE_EVERY = 7  # days between updates of the spreading norm (cheap at scale)
VOLUNTEER_MAX_FRAILTY = 0.6  # recovered patients above this are not asked to volunteer
CARER_MIN_HOURS_WEEK = 1.0  # unpaid hours a week that make someone a carer
WAITING_SUPPORT_SHARE = 0.5  # paid and professional care while a decision waits
# Sources of care in the order need is met (the keys of ``Tally.hours``), then unmet.
HOUR_SOURCES = ("peer", *SOCIAL_KINDS, "paid", "professional", "unmet")

# Peer-visit stage of the latest discharge.
PEER_NONE = 0
PEER_WAITING = 1
PEER_VISITED = 2
PEER_VETOED = 3


@dataclass
class Tally:
    """What happened today: counts and hours (flows), and the stocks the phases count."""

    admissions: int = 0
    readmissions: int = 0
    discharges: int = 0
    older_stays: np.ndarray = field(default_factory=lambda: np.empty(0))  # days, 65+
    bed_days: int = 0
    delayed_bed_days: int = 0
    peer_visits: int = 0
    vetoes: int = 0
    hours: dict[str, float] = field(default_factory=dict)  # by source, plus "unmet"
    need_hours: float = 0.0
    unpaid_hours_women: float = 0.0
    unpaid_hours_minority: float = 0.0
    professional_capacity: float = 0.0  # hours available, after decision time
    professional_time: float = 0.0  # hours used: care, follow-up visits, vetoed visits
    decisions: int = 0
    decision_wait_days: float = 0.0
    decisions_waiting: int = 0
    staff_attrition: int = 0
    wellbeing: float = 0.0
    # Stocks at the end of the day, counted by the phase that last changes them.
    volunteers: int = 0  # active peer volunteers
    lonely_older: int = 0  # residents aged 65+ who are lonely
    carers_strained: int = 0  # strained, not resting after burnout
    carers_burnt_out: int = 0  # resting after burnout


class Town:
    """The simulated town: population, ties, state and the daily phases.

    Args:
        params: Validated parameters.
        seed: The run's seed; every random draw comes from streams made from it.
    """

    def __init__(self, params: Params, seed: int) -> None:
        self.params = params
        self.streams = Streams(seed)
        self.pop: Population = build_population(params, self.streams["population"])
        self.network: Network = build_network(self.pop, params, self.streams["network"])
        self.posts = professional_posts(params)
        self.state: State = initial_state(self.pop, params, self.posts)
        self.peer_stage = np.zeros(self.pop.size, dtype=np.int8)
        ties = self.network.kin.degree + self.network.neighbour.degree
        self.quiet = loneliness.quiet_level(self.pop.isolation, ties, params)
        self.adults = int(self.pop.adult.sum())
        self.adult_women = int((self.pop.adult & self.pop.female).sum())
        self.adult_minority = int((self.pop.adult & self.pop.minority).sum())
        self.older_people = int(self.pop.older.sum())  # aged 65+
        self.carers = np.empty(0, dtype=np.int64)  # adults giving an hour a week or more
        self.day = -params.warmup_days  # reporting starts at day 1
        self.pressure = 0.0  # yesterday's professional utilisation
        self.discharge_history: list[int] = []
        self.readmission_history: list[int] = []
        self.peer_edges: list[tuple[np.ndarray, np.ndarray]] = []
        self.caseload = np.empty(0, dtype=np.int64)
        self.given_today = np.zeros(self.pop.size, dtype=np.float32)
        self._gave = np.empty(0, dtype=np.int64)  # residents with given_today set
        self._peer_received: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64),
                                                               np.empty(0, np.float32))
        self._peer_givers = np.empty(0, np.int64)
        self._patch_outcomes: dict[str, np.ndarray] = {}
        self._needy = np.empty(0, dtype=np.int64)  # residents in need today
        self._seen = np.zeros(self.pop.size, dtype=bool)  # scratch buffers for unpaid_care
        self._position = np.zeros(self.pop.size, dtype=np.int64)
        self._recent = np.zeros(self.pop.size, dtype=bool)  # at home, discharged <= 30 days
        self._set_capacity()
        while self.day < 0:
            self.advance()

    # -- derived views -----------------------------------------------------------------

    def recent_discharge(self) -> np.ndarray:
        """Residents at home within 30 days of their latest discharge (day 0 to 30)."""
        return _recent(self.state.discharged_day, self.state.in_hospital,
                       self.day - RECOVERY_DAYS)

    def burnt_out(self) -> np.ndarray:
        """Carers resting after burnout."""
        return self.state.burnout_until > self.day

    # -- the day -----------------------------------------------------------------------

    def advance(self) -> Tally:
        """Run one day through every phase in order and return what happened."""
        self.day += 1
        self.state.hours_used[:] = 0.0
        tally = Tally()
        self._health(tally)
        self._hospital(tally)
        self._discharge(tally)
        self._co_production(tally)
        self._recent = self.recent_discharge()
        self._care(tally)
        self._loneliness(tally)
        self._decisions(tally)
        self._morale(tally)
        self._strain(tally)
        self.discharge_history.append(tally.discharges)
        self.readmission_history.append(tally.readmissions)
        return tally

    def _health(self, tally: Tally) -> None:
        """Phase 1: frailty drifts; some residents at home are admitted."""
        s, p, rng = self.state, self.params, self.streams["health"]
        n = self.pop.size
        health.drift_town(s.frailty, self.pop.frailty_level, s.unmet_ema, s.loneliness,
                          s.volunteer, rng.random(n, dtype=np.float32), p)
        admitted, tally.readmissions = health.admissions(
            s.frailty, rng.random(n), s.in_hospital, s.discharged_day, s.gaps,
            s.decision_pending, self.day, p)
        tally.admissions = len(admitted)
        hospital.admit(s, admitted, self.pop.older, self.day, p, self.streams.held("hospital"))
        self.peer_stage[admitted] = PEER_NONE  # a new stay ends the last episode's follow-up

    def _hospital(self, tally: Tally) -> None:
        """Phase 2: stays run down; the medically fit leave unless delayed.

        A patient who needs care at home may have to wait while the community is busy.
        """
        tally.bed_days, tally.delayed_bed_days, tally.discharges, tally.older_stays = \
            hospital.leave_hospital(self.state, self.pop.older, self.day, self.pressure,
                                    self.params, self.streams.held("hospital"),
                                    self.streams.held("discharge"))

    def _discharge(self, tally: Tally) -> None:
        """Phase 3: the community hears of discharges; professionals follow up."""
        discharge.hear_of_discharges(self.state, self.peer_stage, PEER_WAITING, self.pop.patch,
                                     self.day, PROFESSIONAL_VISIT_HOURS, self.params,
                                     self.streams.held("discharge"))

    def _professional_visit(self, residents: np.ndarray) -> None:
        """A professional visits instead of a vetoed peer: closes gaps, raises a decision."""
        s = self.state
        discharge.professional_visit(residents, s.gaps, s.decision_pending,
                                     s.decision_raised_day, s.hours_used, self.pop.patch,
                                     self.day, self.params.professional_gap_close,
                                     PROFESSIONAL_VISIT_HOURS, self.streams.held("peer"))

    def _co_production(self, tally: Tally) -> None:
        """Phases 4 and 5: the peer-visit scheme under the prevailing risk management."""
        s, p = self.state, self.params
        self._peer_received = (np.empty(0, np.int64), np.empty(0, np.float32))
        self._peer_givers = np.empty(0, np.int64)
        if not p.peer_scheme:
            return
        rng = self.streams["peer"]
        at_home = ~s.in_hospital

        # Risk management: some newly heard-of visits are vetoed; a professional goes.
        new = np.flatnonzero((self.peer_stage == PEER_WAITING) & (s.notify_day == self.day))
        vetoed = new[rng.random(len(new)) < risk.veto_probability(p)]
        self.peer_stage[vetoed] = PEER_VETOED
        tally.vetoes = len(vetoed)
        self._professional_visit(vetoed)

        # Visits: waiting patients within the window meet free volunteers.
        active = s.volunteer == ACTIVE
        s.visit_tokens[active] = peer_visits.refill_tokens(s.visit_tokens[active], p)
        waiting = np.flatnonzero((self.peer_stage == PEER_WAITING) & at_home
                                 & (self.day - s.notify_day < p.peer_visit_window_days))
        free = np.flatnonzero(active & at_home & (s.visit_tokens >= 1.0))
        pat_at, vol_at = peer_visits.match_visits(self.pop.patch[waiting],
                                                  self.pop.patch[free], rng)
        patients, volunteers = waiting[pat_at], free[vol_at]
        tally.peer_visits = len(patients)
        s.visit_tokens[volunteers] -= 1.0
        s.gaps[patients] = discharge.close_gaps(s.gaps[patients], VISIT_CLOSABLE,
                                                p.peer_gap_close, rng)
        self._raise_decisions(patients[(s.gaps[patients] & GAP_HOME_SAFE) > 0])
        s.loneliness[patients] = np.maximum(
            s.loneliness[patients] - p.peer_loneliness_relief, 0.0)
        self.peer_stage[patients] = PEER_VISITED
        self.peer_edges.append((volunteers, patients))
        self._peer_received = (patients, np.full(len(patients), p.visit_hours, np.float32))
        self._peer_givers = volunteers

        # Reciprocity: recovered patients known to the scheme are asked to volunteer.
        asked = np.flatnonzero((s.discharged_day == self.day - RECOVERY_DAYS) & s.notified
                               & ~s.in_hospital
                               & (s.volunteer == NOT_VOLUNTEER) & self.pop.adult
                               & (s.frailty < VOLUNTEER_MAX_FRAILTY))
        joined = asked[peer_visits.says_yes(self.peer_stage[asked] == PEER_VISITED, p, rng)]
        s.volunteer[joined] = VETTING
        s.vetted_day[joined] = self.day + risk.vetting_days(p)

        vetted = np.flatnonzero((s.volunteer == VETTING) & (s.vetted_day <= self.day))
        s.volunteer[vetted] = ACTIVE
        s.visit_tokens[vetted] = 0.0
        active = np.flatnonzero(s.volunteer == ACTIVE)
        tired = active[rng.random(len(active)) < peer_visits.tire_probability(p)]
        s.volunteer[tired] = NOT_VOLUNTEER

    def _care(self, tally: Tally) -> None:
        """Phases 6 and 7: meet today's need from each source in order; the rest is unmet.

        Also updates the moving means of hours given and contact received, the mutual-aid
        balance and (weekly) the spreading reciprocity norm. Work is done only for
        residents in need and the carers tied to them, never for the whole town.
        """
        s, p, pop = self.state, self.params, self.pop
        needy = self._update_need()
        remaining = s.need[needy].copy()
        received_unpaid = np.zeros(len(needy), dtype=np.float32)

        # Peer visit hours count as care on the day of the visit.
        patients, visit = self._peer_received
        peer, visited = _peer_care(needy, patients, visit, remaining, received_unpaid)
        peer_givers = self._peer_givers[visited]

        # Unpaid care along ties: family, kin, neighbours; then paid and professional.
        carers, given, received = care.unpaid_care(self.network.social, needy, remaining, pop,
                                                   s, self.day, p, self._seen, self._position)
        paid, prof, cases, overload, unmet_share, case_count = care.paid_and_professional(
            needy, remaining, s, pop, self._recent, WAITING_SUPPORT_SHARE, p)
        self.caseload = needy[cases]
        # Per-post outcomes feed tomorrow's morale.
        self._patch_outcomes = {"overload": overload, "unmet_share": unmet_share,
                                "cases": case_count}

        # Who gave and who received: hours by source, equity tallies, moving means.
        (hours, tally.need_hours, tally.professional_capacity, tally.professional_time,
         tally.unpaid_hours_women, tally.unpaid_hours_minority, tally.wellbeing,
         self.carers) = _record_care(
            needy, remaining, received_unpaid, peer, peer_givers, carers, given, received,
            paid, prof, s.need, s.hours_available, s.hours_used, pop.female, pop.minority,
            pop.adult, s.loneliness, self.given_today, self._gave, s.given_ema, s.family_ema,
            s.neighbour_ema, s.contact_ema, s.unmet_ema)
        tally.hours = dict(zip(HOUR_SOURCES, hours, strict=True))
        self._gave = carers
        self.pressure = tally.professional_time / max(tally.professional_capacity, 1e-9)

        # Mutual aid: the give/receive balance, and the norm of those helped rises.
        neighbour = SOCIAL_KINDS.index("neighbour")
        care.mutual_aid(s.balance, s.norm, carers, given[neighbour], needy, received[neighbour],
                        p)
        self._spread_norm()

    def _update_need(self) -> np.ndarray:
        """Set today's care need of everyone at home; return those in need (sorted).

        Only the frail and the recently discharged can need care, so only they are
        computed; everyone else's need is zero.
        """
        s = self.state
        self._needy = health.needs_today(s.need, self._needy, s.frailty, s.in_hospital,
                                         self._recent, s.discharged_day, self.day, self.params)
        return self._needy

    def _spread_norm(self) -> None:
        """Weekly: each norm moves toward the mean of neighbours' norms."""
        if self.day % NORM_UPDATE_EVERY:
            return
        s, p = self.state, self.params
        mean = self.network.neighbour.neighbour_mean(s.norm)
        rate = min(1.0, p.norm_spread * NORM_UPDATE_EVERY)
        s.norm += (rate * (mean - s.norm)).astype(np.float32)

    def _loneliness(self, tally: Tally) -> None:
        """Phase 7: loneliness moves toward what unpaid contact allows."""
        s = self.state
        tally.volunteers, tally.lonely_older = loneliness.step_town(
            s.loneliness, self.quiet, s.contact_ema, s.volunteer, self.pop.older, self.params)

    def _raise_decisions(self, residents: np.ndarray) -> None:
        """Raise a decision for each resident who has none waiting."""
        decisions.raise_decisions(residents, self.state.decision_pending,
                                  self.state.decision_raised_day, self.day)

    def _decisions(self, tally: Tally) -> None:
        """Phase 8: frontline staff take decisions at once or refer them to a manager.

        Staff take a decision raised today at once if authority is devolved and they step
        into it; the rest wait at least ``manager_review_days``, then are served oldest
        first as far as the managers' daily throughput allows.
        """
        o = self._patch_outcomes
        (tally.decisions, tally.decision_wait_days, tally.decisions_waiting, o["step_in"],
         o["waiting_share"]) = decisions.take_decisions(
            self.state, self._needy, self.pop.patch, o["cases"], self.day, self.params,
            self.streams.held("decisions"))

    def _morale(self, tally: Tally) -> None:
        """Phase 9: morale moves toward its target; some staff leave; posts are filled."""
        morale_rules.move_morale(self.state, self._patch_outcomes, self.params)
        tally.staff_attrition = morale_rules.staff_turnover(self.state, self.day, self.params,
                                                            self.streams.held("morale"))
        self._set_capacity()

    def _set_capacity(self) -> None:
        """Set tomorrow's professional hours per post (see ``morale.set_capacity``)."""
        morale_rules.set_capacity(self.state, self.params)

    def _strain(self, tally: Tally) -> None:
        """Phase 10: strain builds with hours over the threshold; burnout follows.

        A burnt-out carer stops caring for a while and their own frailty rises.
        """
        s = self.state
        tally.carers_strained, tally.carers_burnt_out = strain.carer_strain(
            s.strain, self.given_today, s.burnout_until, s.frailty, self.day, self.params)

    # -- history -----------------------------------------------------------------------

    def trailing(self, history: list[int], days: int = RECOVERY_DAYS) -> int:
        """Sum of the last ``days`` entries of a daily history."""
        return int(sum(history[-days:]))

    def peer_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All (volunteer, patient) pairs of peer visits so far."""
        if not self.peer_edges:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return (np.concatenate([v for v, _ in self.peer_edges]),
                np.concatenate([q for _, q in self.peer_edges]))


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
        count += adult[i] & (given_ema[i] * np.float32(7.0) >= CARER_MIN_HOURS_WEEK)
    return carers[:count].copy()


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
def _record_care(needy, remaining, received_unpaid, peer, peer_givers, carers, given,
                 received, paid, professional, need, hours_available, hours_used, female,
                 minority, adult, loneliness, given_today, gave_before, given_ema, family_ema,
                 neighbour_ema, contact_ema, unmet_ema):
    """The care phase's bookkeeping in one pass (see ``Town._care``).

    Sums are numpy's (:mod:`simulation.sums`), in the precision numpy would use, so the
    daily table does not depend on the engine. Updates ``received_unpaid``,
    ``given_today`` and the moving means in place.

    Returns:
        Hours by source (``HOUR_SOURCES``), need, professional capacity and time, unpaid
        hours given by women and by minority residents, client wellbeing, and the
        carers as of today.
    """
    f32 = np.float32
    by_kind = (numpy_sum(received[0]), numpy_sum(received[1]), numpy_sum(received[2]))
    for code in range(3):
        for k in range(len(needy)):
            received_unpaid[k] += received[code, k]
    hours = (numpy_sum(peer), *by_kind, numpy_sum(paid), numpy_sum(professional),
             numpy_sum(remaining))
    capacity = np.empty(len(hours_available), dtype=np.float32)
    for post in range(len(capacity)):
        capacity[post] = max(hours_available[post], f32(0.0))

    # Who gave: numpy adds the kinds' rows in order; the equity sums gather first.
    unpaid_given = np.empty(len(carers), dtype=np.float32)
    for c in range(len(carers)):
        unpaid_given[c] = f32(0.0) + given[0, c] + given[1, c] + given[2, c]
    women = (numpy_sum(unpaid_given, _positions(female, carers))
             + numpy_sum(peer, _positions(female, peer_givers)))
    minorities = (numpy_sum(unpaid_given, _positions(minority, carers))
                  + numpy_sum(peer, _positions(minority, peer_givers)))
    for i in gave_before:  # only yesterday's carers need clearing
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
    return (hours, numpy_sum(need), numpy_sum(capacity), numpy_sum(hours_used), women,
            minorities, wellbeing, _carers(given_ema, adult))


@njit(cache=True)
def _positions(flags: np.ndarray, who: np.ndarray) -> np.ndarray:
    """Positions ``k`` in ``who`` with ``flags[who[k]]`` set, in order (branch-free)."""
    at = np.empty(len(who) + 1, dtype=np.int64)
    count = 0
    for k in range(len(who)):
        at[count] = k
        count += flags[who[k]]
    return at[:count]


@njit(cache=True)
def _recent(discharged_day: np.ndarray, in_hospital: np.ndarray, since: int) -> np.ndarray:
    """At home and discharged on day ``since`` or later (one pass, no temporaries)."""
    recent = np.empty(len(discharged_day), dtype=np.bool_)
    for i in range(len(recent)):
        recent[i] = (discharged_day[i] >= since) & ~in_hospital[i]
    return recent
