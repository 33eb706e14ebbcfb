"""The same rules, written the plain Mesa way: each agent's day, one agent at a time.

This per-agent engine is the readable account of one resident's day, the speed baseline
the vectorised engine (:mod:`simulation.day`) is measured against, and a correctness
oracle: run over replicates, its daily metrics must agree in distribution with the
vectorised engine's (``tests/test_reference.py``). It builds the same town (population
and ties) from the same seed, then draws its own daily chances from Python's ``random``,
so the two engines agree in distribution, not draw for draw.

Formulas are written out for one person, in plain Python; each names the vectorised
rule it mirrors. The order of a day and the named constants are shared with the
vectorised engine (:data:`simulation.day.PHASES`, one method here per phase); the
formulas are not, so that this engine stays an independent check. Only the warm-up and
the metrics the oracle compares are kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import mesa

from simulation.day import PHASES
from simulation.network import build_network
from simulation.params import Params
from simulation.population import build_population, professional_posts
from simulation.rng import Streams
from simulation.rules.care import CARER_MIN_HOURS_WEEK, EMA_WEIGHT
from simulation.rules.co_production import VETTING_DAYS_AT_NO_AVERSION, VOLUNTEER_MAX_FRAILTY
from simulation.rules.decisions import STEP_IN_BASE
from simulation.rules.discharge import PROFESSIONAL_VISIT_HOURS
from simulation.rules.formal_care import WAITING_SUPPORT_SHARE
from simulation.rules.health import NEED_CURVE_EXPONENT
from simulation.rules.loneliness import (
    LONELY_ABOVE,
    TIE_CONTACT_HOURS,
    VOLUNTEER_ISOLATION_FACTOR,
)
from simulation.rules.morale import (
    ATTRITION_SLOPE,
    EFFECTIVENESS_FLOOR,
    MET_NEED_WEIGHT,
    MORALE_BASE,
    OVERLOAD_WEIGHT,
    PARTICIPATION_WEIGHT,
    REFERENCE_MORALE,
    STEP_IN_WEIGHT,
    WAITING_WEIGHT,
)
from simulation.rules.strain import BURNOUT_AT, STRAINED_ABOVE
from simulation.rules.unpaid_care import (
    MIN_OFFER_HOURS,
    NORM_UPDATE_EVERY,
    OBLIGATION_FACTOR,
    OBLIGATION_HOURS,
)
from simulation.state import (
    ALL_GAPS,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    FIRST_VOLUNTEERS_MAX_FRAILTY,
    GAP_HOME_SAFE,
    NEVER,
    NORM_DRAW_LOW,
    RECOVERY_DAYS,
    VISIT_CLOSABLE,
)

# The gaps a visit can close on the spot, in the order the visit tries them.
CLOSABLE = tuple(gap for gap in ALL_GAPS if gap & VISIT_CLOSABLE)

# The metrics the oracle compares (names as in simulation.metrics).
COMPARED = ("admissions", "readmissions_30d", "discharges", "bed_days", "need_hours",
            "family_hours", "kin_hours", "neighbour_hours", "peer_hours", "paid_hours",
            "professional_hours", "unmet_hours", "carers", "volunteers", "peer_visits",
            "decisions", "staff_morale", "lonely_share", "carers_strained")


class Person(mesa.Agent):
    """One resident, holding their own state as plain attributes."""

    def __init__(self, model: ReferenceModel, index: int) -> None:
        super().__init__(model)
        pop, p = model.pop, model.params
        self.index = index
        self.adult = bool(pop.adult[index])
        self.older = bool(pop.older[index])
        self.female = bool(pop.female[index])
        self.minority = bool(pop.minority[index])
        self.patch = int(pop.patch[index])
        self.level = float(pop.frailty_level[index])
        self.isolation = float(pop.isolation[index])
        self.willingness = float(pop.willingness[index])
        self.has_budget = float(pop.budget_draw[index]) < p.budget_share
        self.ties: dict[str, list[Person]] = {}  # filled once every person exists
        self.frailty = self.level
        self.loneliness = self.isolation
        self.norm = min(1.0, p.reciprocity_norm * (NORM_DRAW_LOW + float(pop.norm_draw[index])))
        self.balance = 0.0
        self.in_hospital, self.stay_left, self.admitted = False, 0, False
        self.discharged_day = self.notify_day = NEVER
        self.notified, self.gaps, self.peer_stage = False, 0, "none"
        self.volunteer, self.vetted_day, self.tokens = "no", 0, 0.0
        self.need = 0.0
        self.given_ema = self.family_ema = self.contact_ema = self.unmet_ema = 0.0
        self.given_today = self.received = self.neighbour_received = 0.0
        self.family_given = self.kin_given = self.neighbour_given = 0.0  # today, by kind
        self.family_today = self.neighbour_today = 0.0
        self.case, self.asked = False, 0.0
        self.strain, self.burnout_until = 0.0, NEVER
        self.decision_pending, self.decision_raised = False, 0
        if (p.peer_scheme and self.adult and self.level < FIRST_VOLUNTEERS_MAX_FRAILTY
                and float(pop.volunteer_draw[index]) < p.initial_volunteers_per_1000 / 1000):
            self.volunteer, self.tokens = "active", 1.0

    # -- small helpers -----------------------------------------------------------------

    def recent(self, day: int) -> bool:
        """At home within 30 days of the latest discharge (health.py, day.py)."""
        return not self.in_hospital and day - self.discharged_day <= RECOVERY_DAYS

    def chronic_need(self) -> float:
        """Lasting care need, hours a day (rules/health.py: care_need)."""
        p = self.model.params
        past = (self.frailty - p.need_threshold) / max(1.0 - p.need_threshold, 1e-9)
        return p.need_max_hours / DAYS_PER_WEEK * min(max(past, 0.0), 1.0) ** NEED_CURVE_EXPONENT

    def ready(self, day: int) -> float:
        """Readiness to give unpaid care (rules/care.py: unpaid_offers)."""
        if not self.adult or self.in_hospital or self.burnout_until > day:
            return 0.0
        gender = 1.0 if self.female else self.model.params.men_care_propensity
        return self.willingness * (1.0 - self.frailty) * gender

    def offer(self, kind: str, day: int) -> float:
        """Hours a day offered to a tie of this kind (rules/care.py: unpaid_offers)."""
        p, ready = self.model.params, self.ready(day)
        if kind == "family":
            hours = min(24.0, p.family_hours * ready
                        * (p.minority_family_expectation if self.minority else 1.0))
        elif kind == "kin":
            hours = p.kin_hours * ready
        else:
            owed = min(max(-self.balance / OBLIGATION_HOURS, 0.0), 1.0)
            hours = p.neighbour_hours * ready * self.norm * (1.0 + OBLIGATION_FACTOR * owed)
        return hours if hours >= MIN_OFFER_HOURS else 0.0

    # -- phase 1: health -----------------------------------------------------------------

    def health(self, day: int) -> None:
        """Frailty drifts; the person may be admitted (rules/health.py)."""
        p, rnd = self.model.params, self.model.random
        lonely = 1.0 if self.loneliness > LONELY_ABOVE else 0.0
        target = self.level * (1.0 - p.volunteer_frailty_benefit
                               if self.volunteer == "active" else 1.0)
        change = (p.frailty_reversion * (target - self.frailty)
                  + p.unmet_frailty_effect * self.unmet_ema + p.lonely_frailty_effect * lonely)
        noise = rnd.gauss(0.0, 1.0)
        self.frailty += change / DAYS_PER_YEAR + p.frailty_noise / math.sqrt(DAYS_PER_YEAR) * noise
        self.frailty = min(max(self.frailty, 0.0), 1.0)
        if self.in_hospital:
            return
        recent = self.recent(day)
        hazard = p.admission_rate * math.exp(p.frailty_admission_slope * self.frailty)
        if recent:
            gaps = sum(1 for g in ALL_GAPS if self.gaps & g)
            hazard *= p.post_discharge_risk * (1.0 + p.gap_risk * gaps
                                               + p.waiting_risk * self.decision_pending)
        elif self.decision_pending:
            hazard *= 1.0 + p.waiting_risk
        if rnd.random() < 1.0 - math.exp(-hazard / DAYS_PER_YEAR):
            self.model.today["admissions"] += 1
            self.model.today["readmissions_30d"] += recent
            self.admitted = True

    # -- phase 2: hospital ---------------------------------------------------------------

    def admit(self) -> None:
        """Into hospital, with a stay drawn; the last episode's follow-up ends."""
        p, rnd = self.model.params, self.model.random
        self.admitted, self.in_hospital = False, True
        mean = p.stay_days_older if self.older else p.stay_days_younger
        self.stay_left = _geometric(rnd, 1.0 / mean)
        self.gaps, self.notified, self.notify_day, self.peer_stage = 0, False, NEVER, "none"

    def stay(self, day: int) -> None:
        """A stay runs down; the medically fit go home unless delayed (rules/hospital.py)."""
        p, rnd, today = self.model.params, self.model.random, self.model.today
        today["bed_days"] += 1
        self.stay_left -= 1
        if self.stay_left > 0:
            return
        needs = self.chronic_need() > 0
        if needs and rnd.random() < p.delayed_discharge_base * min(max(
                self.model.pressure, 0.0), 1.0):
            return  # a delayed bed day
        today["discharges"] += 1
        self.in_hospital, self.discharged_day = False, day
        self.gaps = sum(g for g in ALL_GAPS if rnd.random() < p.gap_prob)
        lead = rnd.random() < p.lead_professional_share
        heard = lead or rnd.random() < p.notify_prob
        delay = rnd.expovariate(1.0) * p.notify_delay_days * (p.lead_delay_factor if lead
                                                              else 1.0)
        self.notify_day = day + round(delay) if heard else NEVER
        if needs:
            self.raise_decision(day)

    def raise_decision(self, day: int) -> None:
        if not self.decision_pending:
            self.decision_pending, self.decision_raised = True, day

    def visited_by_professional(self, day: int) -> None:
        """Follow-up: close gaps a visit can close; an unsafe home needs a decision."""
        p, rnd = self.model.params, self.model.random
        for gap in CLOSABLE:
            if self.gaps & gap and rnd.random() < p.professional_gap_close:
                self.gaps &= ~gap
        if self.gaps & GAP_HOME_SAFE:
            self.raise_decision(day)
        self.model.posts[self.patch].hours_used += PROFESSIONAL_VISIT_HOURS

    # -- phase 3: discharge --------------------------------------------------------------

    def hear_of_discharge(self, day: int) -> None:
        """The community hears; a professional follows up (rules/discharge.py)."""
        p, rnd = self.model.params, self.model.random
        self.notified = True
        if p.peer_scheme:
            self.peer_stage = "waiting"
            if rnd.random() < p.peer_substitution:
                return
        self.visited_by_professional(day)

    # -- phase 6: care ---------------------------------------------------------------------

    def set_need(self, day: int) -> None:
        """Today's need (rules/health.py: care_need), zero in hospital."""
        if self.in_hospital:
            self.need = 0.0
            return
        need = self.chronic_need()
        if self.recent(day) and day - self.discharged_day < RECOVERY_DAYS:
            need += (self.model.params.recovery_need_hours / DAYS_PER_WEEK
                     * (1.0 - (day - self.discharged_day) / RECOVERY_DAYS))
        self.need = need

    # -- phase 7 ---------------------------------------------------------------------------

    def feel_lonely(self) -> None:
        """Loneliness moves toward what unpaid contact allows (rules/loneliness.py)."""
        p = self.model.params
        contact = self.contact_ema + TIE_CONTACT_HOURS * (len(self.ties["kin"])
                                                          + len(self.ties["neighbour"]))
        level = self.isolation * math.exp(-contact / p.contact_hours)
        if self.volunteer == "active":
            level *= VOLUNTEER_ISOLATION_FACTOR
        self.loneliness += p.loneliness_rate * (level - self.loneliness)


class Post(mesa.Agent):
    """One professional post and its patch."""

    def __init__(self, model: ReferenceModel, post: int) -> None:
        super().__init__(model)
        self.post = post
        self.morale = model.params.morale_initial
        self.vacant_until = NEVER
        self.hours_available = self.hours_used = self.decision_time = 0.0
        self.demand = self.need = self.unmet = 0.0
        self.cases = self.waiting = 0
        self.step_in = 0.0

    def set_capacity(self) -> None:
        p = self.model.params
        effective = EFFECTIVENESS_FLOOR + (1.0 - EFFECTIVENESS_FLOOR) * self.morale
        self.hours_available = (p.professional_hours / DAYS_PER_WEEK * effective
                                if self.vacant_until == NEVER else 0.0) - self.decision_time
        self.decision_time = 0.0


class ReferenceModel(mesa.Model):
    """The per-agent engine. ``step()`` runs one day; ``latest`` holds its metrics.

    Args:
        params: Parameters (any scenario's).
        seed: Seed of the town (shared with the vectorised engine) and of the daily draws.
    """

    def __init__(self, params: Params, seed: int) -> None:
        streams = Streams(seed)
        super().__init__(rng=streams["mesa"])
        self.params = params
        self.pop = build_population(params, streams["population"])
        network = build_network(self.pop, params, streams["network"])
        self.people = [Person(self, i) for i in range(self.pop.size)]
        for kind, ties in network.by_kind().items():
            for person in self.people:
                i = person.index
                person.ties[kind] = [self.people[j] for j in
                                     ties.indices[ties.indptr[i]:ties.indptr[i + 1]]]
        self.posts = [Post(self, k) for k in range(professional_posts(params))]
        for post in self.posts:
            post.set_capacity()
        self.day = -params.warmup_days
        self.pressure = 0.0
        self.today: dict[str, float] = {}
        self.latest: dict[str, float] = {}
        while self.day < 0:
            self.step()

    def step(self) -> None:
        """One day: every phase of :data:`simulation.day.PHASES`, in its order."""
        self.day += 1
        self.today = dict.fromkeys(COMPARED, 0.0)
        for post in self.posts:
            post.hours_used = 0.0
        for phase in PHASES:
            getattr(self, f"_{phase.name}")(self.day)
        self._report()

    # -- the phases, one method each -------------------------------------------------------

    def _health(self, day: int) -> None:
        for person in self.people:
            person.health(day)

    def _hospital(self, day: int) -> None:
        for person in self.people:
            if person.admitted:
                person.admit()
        for person in [q for q in self.people if q.in_hospital]:
            person.stay(day)

    def _discharge(self, day: int) -> None:
        for person in self.people:
            if person.notify_day == day and not person.in_hospital:
                person.hear_of_discharge(day)

    def _loneliness(self, day: int) -> None:
        for person in self.people:
            person.feel_lonely()

    def _co_production(self, day: int) -> None:
        """Vetoes, matching visits (own patch first), recruitment, vetting, tiring."""
        p, rnd = self.params, self.random
        self.visits: dict[Person, Person] = {}
        if not p.peer_scheme:
            return
        veto = p.risk_aversion * p.veto_max
        for person in self.people:
            if person.peer_stage == "waiting" and person.notify_day == day \
                    and rnd.random() < veto:
                person.peer_stage = "vetoed"
                person.visited_by_professional(day)
        volunteers = [v for v in self.people if v.volunteer == "active"]
        most = max(p.visits_per_week, 1.0) if p.visits_per_week > 0 else 0.0
        for v in volunteers:
            v.tokens = min(v.tokens + p.visits_per_week / DAYS_PER_WEEK, most)
        waiting = [q for q in self.people if q.peer_stage == "waiting" and not q.in_hospital
                   and day - q.notify_day < p.peer_visit_window_days]
        free = [v for v in volunteers if not v.in_hospital and v.tokens >= 1.0]
        rnd.shuffle(waiting)
        rnd.shuffle(free)
        visits = self.visits
        for patient in waiting:  # a volunteer from the patient's own patch first
            local = next((v for v in free if v.patch == patient.patch), None)
            if local is not None:
                free.remove(local)
                visits[patient] = local
        for patient in [q for q in waiting if q not in visits]:
            if not free:
                break
            visits[patient] = free.pop()
        for patient, volunteer in visits.items():
            volunteer.tokens -= 1.0
            for gap in CLOSABLE:
                if patient.gaps & gap and rnd.random() < p.peer_gap_close:
                    patient.gaps &= ~gap
            if patient.gaps & GAP_HOME_SAFE:
                patient.raise_decision(day)
            patient.loneliness = max(patient.loneliness - p.peer_loneliness_relief, 0.0)
            patient.peer_stage = "visited"
        self.today["peer_visits"] = len(visits)
        vetting = round((1.0 - p.risk_aversion) * VETTING_DAYS_AT_NO_AVERSION
                        + p.risk_aversion * p.vetting_days_max)
        tire = 1.0 - math.exp(-p.volunteer_tiring / DAYS_PER_YEAR)
        for person in self.people:
            if (person.discharged_day == day - RECOVERY_DAYS and person.notified
                    and not person.in_hospital and person.volunteer == "no" and person.adult
                    and person.frailty < VOLUNTEER_MAX_FRAILTY):
                boost = p.reciprocity_boost if person.peer_stage == "visited" else 1.0
                if rnd.random() < min(1.0, p.volunteer_willingness * boost):
                    person.volunteer, person.vetted_day = "vetting", day + vetting
            if person.volunteer == "vetting" and person.vetted_day <= day:
                person.volunteer, person.tokens = "active", 0.0
            if person.volunteer == "active" and rnd.random() < tire:
                person.volunteer = "no"

    # -- phase 6 ---------------------------------------------------------------------------

    def _care(self, day: int) -> None:
        """Meet each need in order; the rest is unmet (rules/care.py).

        The order: peer, family (primary carer first), kin, neighbours, paid,
        professionals.
        """
        p, today = self.params, self.today
        for person in self.people:
            person.set_need(day)
            person.given_today = person.received = person.neighbour_received = 0.0
            person.family_given = person.kin_given = person.neighbour_given = 0.0
            person.family_today = person.neighbour_today = 0.0
        needy = [q for q in self.people if q.need > 0]
        remaining = {q: q.need for q in needy}
        for patient in self.visits:
            if patient in remaining:
                hours = min(remaining[patient], p.visit_hours)
                remaining[patient] -= hours
                patient.received += hours
                today["peer_hours"] += hours
        for kind in ("family", "kin", "neighbour"):
            offers = {q: {c: c.offer(kind, day) for c in q.ties[kind]} for q in needy}
            if kind == "family":  # the largest offer in each household gives first
                primary = {q: [max(o, key=o.get)] if o and max(o.values()) > 0 else []
                           for q, o in offers.items()}
                self._share(kind, needy, remaining, offers, primary)
            self._share(kind, needy, remaining, offers,
                        {q: list(o) for q, o in offers.items()})
        for person in needy:
            support = WAITING_SUPPORT_SHARE if person.decision_pending else 1.0
            eligible = person.need * DAYS_PER_WEEK >= p.eligibility_hours
            if eligible and person.has_budget:
                paid = min(remaining[person], p.budget_hours / DAYS_PER_WEEK) * support
                remaining[person] -= paid
                today["paid_hours"] += paid
            person.case = eligible or (person.recent(day) and person.notified)
        for post in self.posts:
            post.demand = post.need = post.unmet = 0.0
            post.cases = 0
        cases = [q for q in needy if q.case]
        for q in cases:
            support = WAITING_SUPPORT_SHARE if q.decision_pending else 1.0
            q.asked = min(remaining[q] * support, p.professional_hours_per_case)
            self.posts[q.patch].demand += q.asked
        spare = {post: max(post.hours_available - post.hours_used, 0.0) for post in self.posts}
        for q in cases:
            post = self.posts[q.patch]
            share = min(1.0, spare[post] / post.demand) if post.demand > 0 else 1.0
            given = q.asked * share
            remaining[q] -= given
            post.hours_used += given
            today["professional_hours"] += given
            post.cases += 1
            post.need += q.need
        for q in cases:
            self.posts[q.patch].unmet += remaining[q]
        for post in self.posts:
            post.overload = max(post.demand / max(spare[post], 1e-9) - 1.0, 0.0)
        capacity = sum(max(post.hours_available, 0.0) for post in self.posts)
        self.pressure = sum(post.hours_used for post in self.posts) / max(capacity, 1e-9)
        today["need_hours"] = sum(q.need for q in needy)
        today["unmet_hours"] = sum(remaining.values())
        for person in self.people:
            unmet_share = remaining[person] / person.need if person in remaining else 0.0
            person.given_ema += EMA_WEIGHT * (person.given_today - person.given_ema)
            person.family_ema += EMA_WEIGHT * (person.family_today - person.family_ema)
            person.contact_ema += EMA_WEIGHT * (person.received - person.contact_ema)
            person.unmet_ema += EMA_WEIGHT * (unmet_share - person.unmet_ema)
            person.balance += person.neighbour_today
        for q in needy:
            q.balance -= q.neighbour_received
            q.norm = min(q.norm + p.norm_gain_when_helped * q.neighbour_received, 1.0)
        if day % NORM_UPDATE_EVERY == 0:  # the norm spreads weekly
            rate = min(1.0, p.norm_spread * NORM_UPDATE_EVERY)
            means = {q: sum(n.norm for n in q.ties["neighbour"]) / len(q.ties["neighbour"])
                     for q in self.people if q.ties["neighbour"]}
            for q, mean in means.items():
                q.norm += rate * (mean - q.norm)

    def _share(self, kind: str, needy: list[Person], remaining: dict[Person, float],
               offers: dict[Person, dict[Person, float]],
               ties: dict[Person, list[Person]]) -> None:
        """Share carers' offers along ties (rules/care.py: share_along_ties).

        Each carer splits what they have left equally among the needy they are tied to;
        each recipient takes up to their remaining need.
        """
        left = {c: max(o - getattr(c, f"{kind}_given"), 0.0)
                for q in needy for c, o in offers[q].items()}
        live = {q: [c for c in ties[q] if left[c] > 0] for q in needy if remaining[q] > 0}
        count: dict[Person, int] = {}
        for carers in live.values():
            for c in carers:
                count[c] = count.get(c, 0) + 1
        for q, carers in live.items():
            available = sum(left[c] / count[c] for c in carers)
            if available <= 0:
                continue
            got = min(remaining[q], available)
            remaining[q] -= got
            q.received += got
            if kind == "neighbour":
                q.neighbour_received += got
            self.today[f"{kind}_hours"] += got
            for c in carers:
                hours = left[c] / count[c] * got / available
                setattr(c, f"{kind}_given", getattr(c, f"{kind}_given") + hours)
                c.given_today += hours
                if kind == "family":
                    c.family_today += hours
                if kind == "neighbour":
                    c.neighbour_today += hours

    # -- phases 8, 9, 10 -------------------------------------------------------------------

    def _decisions(self, day: int) -> None:
        """Frontline step-in or the manager's queue (rules/decisions.py)."""
        p, rnd = self.params, self.random
        for person in self.people:
            if person.need > 0 and rnd.random() < p.decisions_per_year / DAYS_PER_YEAR:
                person.raise_decision(day)
        filled = [post for post in self.posts if post.vacant_until == NEVER]
        for post in self.posts:
            post.step_in = (p.devolved_authority * min(1.0, post.morale
                                                       * (STEP_IN_BASE + p.staff_participation))
                            if post.vacant_until == NEVER else 0.0)
        done = []
        for person in self.people:
            if person.decision_pending and person.decision_raised == day:
                post = self.posts[person.patch]
                if rnd.random() < post.step_in:
                    post.decision_time += p.decision_hours
                    done.append(person)
                    person.decision_pending = False
        queue = sorted((q for q in self.people if q.decision_pending
                        and day - q.decision_raised >= p.manager_review_days),
                       key=lambda q: q.decision_raised)
        expected = p.manager_decisions_per_post * len(filled)
        capacity = int(expected) + (rnd.random() < expected - int(expected))
        done += queue[:capacity]
        for person in done:
            person.decision_pending = False
            person.gaps &= ~GAP_HOME_SAFE
        self.today["decisions"] = len(done)
        for post in self.posts:
            post.waiting = 0
        for person in self.people:
            if person.decision_pending:
                self.posts[person.patch].waiting += 1

    def _morale(self, day: int) -> None:
        """Morale toward its target; leaving, vacancies and refilling (rules/morale.py)."""
        p, rnd = self.params, self.random
        for post in self.posts:
            if post.vacant_until == NEVER:
                unmet = post.unmet / post.need if post.need > 0 else 0.0
                waiting = min(post.waiting / post.cases, 1.0) if post.cases else 0.0
                target = (MORALE_BASE + STEP_IN_WEIGHT * post.step_in
                          + PARTICIPATION_WEIGHT * p.staff_participation
                          + MET_NEED_WEIGHT * (1.0 - unmet)
                          - OVERLOAD_WEIGHT * min(post.overload, 1.0) - WAITING_WEIGHT * waiting)
                post.morale += p.morale_rate * (min(max(target, 0.0), 1.0) - post.morale)
                leave = 1.0 - math.exp(-p.attrition_rate * math.exp(
                    ATTRITION_SLOPE * (REFERENCE_MORALE - post.morale)) / DAYS_PER_YEAR)
                if rnd.random() < leave:
                    post.vacant_until = day + math.ceil(rnd.expovariate(1.0 / p.vacancy_days))
            elif post.vacant_until <= day:
                post.vacant_until, post.morale = NEVER, p.morale_initial
            post.set_capacity()

    def _strain(self, day: int) -> None:
        """Strain above the threshold; burnout and its cost to the carer (rules/strain.py)."""
        p = self.params
        for person in self.people:
            excess = max(person.given_today - p.strain_threshold, 0.0)
            person.strain = person.strain * (1.0 - p.strain_recovery) + excess / p.strain_scale
            if person.strain >= BURNOUT_AT and person.burnout_until <= day:
                person.burnout_until = day + round(p.burnout_days)
                person.strain = STRAINED_ABOVE
                person.frailty = min(person.frailty + p.burnout_frailty, 1.0)

    def _report(self) -> None:
        """The compared metrics for the day just run."""
        today = self.today
        people = self.people
        today["carers"] = sum(1 for q in people
                              if q.adult and q.given_ema * DAYS_PER_WEEK >= CARER_MIN_HOURS_WEEK)
        today["volunteers"] = sum(1 for q in people if q.volunteer == "active")
        older = [q for q in people if q.older]
        today["lonely_share"] = (sum(q.loneliness > LONELY_ABOVE for q in older)
                                 / len(older)) if older else 0.0
        filled = [post.morale for post in self.posts if post.vacant_until == NEVER]
        today["staff_morale"] = sum(filled) / len(filled) if filled else 0.0
        today["carers_strained"] = sum(1 for q in people if q.strain > STRAINED_ABOVE
                                       and q.burnout_until <= self.day)
        self.latest = dict(today)


def run_reference(params: Params, seed: int, days: int) -> list[dict[str, float]]:
    """Run the per-agent engine and return its compared metrics, one dict per day."""
    model = ReferenceModel(params, seed)
    rows = []
    for _ in range(days):
        model.step()
        rows.append(model.latest)
    return rows


def _geometric(rnd: object, chance: float) -> int:
    """Trials up to and including the first success (at least 1)."""
    if chance >= 1.0:
        return 1
    return 1 + int(math.log(1.0 - rnd.random()) / math.log(1.0 - chance))


__all__: Iterable[str] = ("COMPARED", "ReferenceModel", "run_reference")
