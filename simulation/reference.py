"""The same rules, written the plain Mesa way: each agent's day, one agent at a time.

This per-agent engine is the readable account of one resident's day, the speed baseline
the vectorised engine (:mod:`simulation.day`) is measured against, and a correctness
oracle: run over replicates, its daily metrics must agree in distribution with the
vectorised engine's (``tests/test_reference.py``). It builds the same town (population
and ties) from the same seed, then draws its own daily chances from Python's ``random``
(Mesa's ``self.random``), so the two engines agree in distribution, not draw for draw.

Formulas are written out for one person (or one post), in plain Python; each names the
vectorised rule it mirrors. The order of a day and the named constants are shared with
the vectorised engine (:data:`simulation.day.PHASES`, one method here per phase); the
formulas are not, so that this engine stays an independent check. Only the warm-up and
the metrics in :data:`COMPARED` are kept.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

import mesa

from simulation.day import PHASES
from simulation.metrics import HEAVY_CARER_HOURS_WEEK, HELPED_WITHIN_DAYS
from simulation.network import SOCIAL_KINDS, build_network
from simulation.params import Params
from simulation.population import build_population, professional_posts
from simulation.rng import Streams
from simulation.rules.care import CARER_MIN_HOURS_WEEK, EMA_WEIGHT
from simulation.rules.co_production import (
    VETTING_DAYS_AT_NO_AVERSION,
    VISIT_EVERY_DAYS,
    VOLUNTEER_MAX_FRAILTY,
)
from simulation.rules.decisions import STEP_IN_BASE
from simulation.rules.formal_care import ASSESS_AT_HOME, ASSESS_IN_HOSPITAL, FOLLOW_UP, SKILLED
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
    MIN_DROP_IN_HOURS,
    MIN_OFFER_HOURS,
    NEIGHBOUR_COMPANY_HOURS,
    NEIGHBOUR_DROP_IN_EVERY,
    NORM_UPDATE_EVERY,
    OBLIGATION_FACTOR,
    OBLIGATION_HOURS,
)
from simulation.state import (
    ACTIVE,
    ALL_GAPS,
    CARE_DECISION,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    DECAY_FLOOR,
    DECISION_KINDS,
    FIRST_VOLUNTEERS_MAX_FRAILTY,
    GAP_HOME_SAFE,
    HOURS_PER_DAY,
    NEVER,
    NORM_DRAW_LOW,
    NOT_VOLUNTEER,
    PEER_APPROVED,
    PEER_DONE,
    PEER_NONE,
    PEER_REFERRED,
    PEER_SUPPORTED,
    PEER_UNMATCHED,
    PEER_VETOED,
    RECOVERY_DAYS,
    VETTING,
    VISIT_CLOSABLE,
    VISIT_DECISION,
    VOLUNTEER_DECISION,
)

# The gaps a visit can close on the spot.
CLOSABLE = tuple(gap for gap in ALL_GAPS if gap & VISIT_CLOSABLE)
FAMILY, KIN, NEIGHBOUR = range(len(SOCIAL_KINDS))  # positions in SOCIAL_KINDS

# The metrics the oracle compares (names as in simulation.metrics), by phase.
COMPARED = (
    "admissions", "readmissions_30d",  # health
    "bed_days", "delayed_bed_days", "discharges",  # hospital
    "peer_visits", "peer_first_visits", "peer_supported", "peer_waiting",  # co-production
    "volunteers_joined", "peer_unmatched",
    "need_hours", "skilled_need_hours", "skilled_unmet_hours", "peer_hours",  # care
    "paid_hours", "family_hours", "kin_hours", "neighbour_hours",
    "unpaid_beyond_need_hours", "professional_hours", "professional_time", "unmet_hours",
    "follow_ups", "follow_ups_late", "follow_ups_missed", "follow_up_queue",
    "packages_running", "packages_waiting", "packages_per_1000", "carers",
    "neighbour_helper_share",
    "unpaid_hours_women", "unpaid_hours_minority", "carers_50h_share",  # who cares
    "older_unmet_share", "older_helped", "older_informal_only", "client_wellbeing",
    "basics_missing",
    "volunteers", "lonely_share",  # loneliness
    "decisions", "decisions_frontline", "decision_wait_days", "decisions_waiting",
    "peer_vetoes",
    "staff_morale", "staff_vacancies", "staff_attrition",  # morale
    "carers_strained", "carers_burnt_out",  # strain
)


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
        self.budget_draw = float(pop.budget_draw[index])
        # Filled once every person exists.
        self.household: list[Person] = []
        self.ties: dict[str, list[Person]] = {}
        self.quiet = self.isolation
        # Health and hospital.
        self.frailty = self.level
        self.in_hospital = False
        self.stay_left = 0
        self.admitted_day = self.discharged_day = self.notify_day = self.referred_day = NEVER
        self.gaps = 0
        self.notified = False
        # The peer scheme.
        self.peer_stage = PEER_NONE
        self.supporter: Person | None = None
        self.next_visit_day = NEVER
        self.volunteer, self.vetted_day = NOT_VOLUNTEER, NEVER
        self.volunteer_draw = float(pop.volunteer_draw[index])
        if p.peer_scheme and self.first_volunteer(p):
            self.volunteer = ACTIVE
        # Care: today's need and what is left of it, packages, follow-ups, giving.
        self.need = self.everyday_left = self.skilled_left = self.professional = 0.0
        self.is_case = self.visited = False  # on a post's caseload, visited: today
        self.package_hours, self.package_wait_day = 0.0, NEVER
        self.followed_up_day = self.neighbour_help_day = NEVER
        self.given_today = 0.0
        self.given_ema = self.family_ema = self.neighbour_ema = 0.0
        self.contact_ema = self.unmet_ema = 0.0
        self.norm_draw = float(pop.norm_draw[index])
        self.norm = self.starting_norm(p)
        self.balance = 0.0
        self.loneliness = self.isolation
        # Decisions: the day one of each kind was raised (NEVER: none waiting).
        self.decision_day = [NEVER] * len(DECISION_KINDS)
        self.assessed_day = NEVER
        self.strain, self.burnout_until = 0.0, NEVER

    # -- levers that start on a day -----------------------------------------------------------

    def first_volunteer(self, p: Params) -> bool:
        """Among the scheme's first volunteers (state.py: first_volunteers)."""
        return (self.adult and self.level < FIRST_VOLUNTEERS_MAX_FRAILTY
                and self.volunteer_draw < p.initial_volunteers_per_1000 / 1000)

    def starting_norm(self, p: Params) -> float:
        """The norm this person starts with (state.py: starting_norm)."""
        return min(1.0, p.reciprocity_norm * (NORM_DRAW_LOW + self.norm_draw))

    def start_levers(self, before: Params, after: Params) -> None:
        """Levers starting today: first volunteers, a shifted norm (state.py: start_levers)."""
        if after.peer_scheme and not before.peer_scheme and self.volunteer == NOT_VOLUNTEER \
                and self.first_volunteer(after):
            self.volunteer = ACTIVE
        if after.reciprocity_norm != before.reciprocity_norm:
            shifted = self.norm + self.starting_norm(after) - self.starting_norm(before)
            self.norm = min(max(shifted, 0.0), 1.0)

    # -- what a person is, today -----------------------------------------------------------

    def recent(self, day: int) -> bool:
        """At home within 30 days of the latest discharge (town.py: recent_discharge)."""
        return not self.in_hospital and self.discharged_day >= day - RECOVERY_DAYS

    def lasting_need(self) -> float:
        """Everyday need from frailty, hours a day (rules/health.py: need_hours)."""
        p = self.model.params
        past = (self.frailty - p.need_threshold) / max(1.0 - p.need_threshold, 1e-9)
        return p.need_max_hours / DAYS_PER_WEEK * min(max(past, 0.0), 1.0) ** NEED_CURVE_EXPONENT

    def recovery_need(self, day: int) -> float:
        """Skilled need after a discharge, fading over 30 days (rules/health.py)."""
        since = day - self.discharged_day
        if not self.recent(day) or since >= RECOVERY_DAYS:
            return 0.0
        return self.model.params.recovery_need_hours / DAYS_PER_WEEK * (
            1.0 - since / RECOVERY_DAYS)

    def eligible(self) -> bool:
        """Lasting need that calls for a care package (rules/decisions.py)."""
        return self.lasting_need() * DAYS_PER_WEEK >= self.model.params.eligibility_hours

    def funded(self) -> bool:
        """Eligible and funded for paid care (rules/decisions.py: funded_for_package)."""
        return self.eligible() and self.budget_draw < self.model.params.budget_share

    def can_care(self, day: int) -> bool:
        """An adult at home and not burnt out (rules/unpaid_care.py: offers_of)."""
        return self.adult and not self.in_hospital and self.burnout_until <= day

    def offers(self, day: int) -> tuple[float, float, float]:
        """Hours offered today on a family, a kin and a neighbour tie (offers_of)."""
        if not self.can_care(day):
            return 0.0, 0.0, 0.0
        p = self.model.params
        ready = self.willingness * (1.0 - self.frailty) * (
            1.0 if self.female else p.men_care_propensity)
        family = min(p.family_hours * ready
                     * (p.minority_family_expectation if self.minority else 1.0),
                     HOURS_PER_DAY)
        kin = p.kin_hours * ready
        neighbour = 0.0
        if (self.index + day) % NEIGHBOUR_DROP_IN_EVERY == 0:  # their drop-in day
            owed = min(max(-self.balance / OBLIGATION_HOURS, 0.0), 1.0)
            neighbour = p.neighbour_hours * ready * self.norm * (1.0 + OBLIGATION_FACTOR * owed)
        return (family if family >= MIN_OFFER_HOURS else 0.0,
                kin if kin >= MIN_OFFER_HOURS else 0.0,
                neighbour if neighbour >= MIN_DROP_IN_HOURS else 0.0)

    def someone_at_home(self, day: int) -> bool:
        """Another adult of the household at home and able to care (rules/hospital.py)."""
        return any(other is not self and other.can_care(day) for other in self.household)

    # -- what happens to a person ----------------------------------------------------------

    def raise_decision(self, kind: int, day: int) -> None:
        """A decision of this kind waits from today, unless one already does."""
        if self.decision_day[kind] == NEVER:
            self.decision_day[kind] = day

    def close_gaps(self, chance: float) -> None:
        """A visit closes each open gap it can close with ``chance`` (discharge.py)."""
        for gap in CLOSABLE:
            if self.gaps & gap and self.model.random.random() < chance:
                self.gaps &= ~gap

    def drift(self) -> None:
        """Frailty moves toward the age-typical level (rules/health.py: drifted)."""
        p = self.model.params
        target = self.level * (1.0 - p.volunteer_frailty_benefit
                               if self.volunteer == ACTIVE else 1.0)
        change = (p.frailty_reversion * (target - self.frailty)
                  + p.unmet_frailty_effect * self.unmet_ema
                  + p.lonely_frailty_effect * (self.loneliness > LONELY_ABOVE))
        noise = (self.model.random.random() - 0.5) * math.sqrt(12.0)  # uniform, variance 1
        frailty = (self.frailty + change / DAYS_PER_YEAR
                   + p.frailty_noise / math.sqrt(DAYS_PER_YEAR) * noise)
        self.frailty = min(max(frailty, 0.0), 1.0)

    def admission_chance(self, day: int) -> float:
        """Chance of an emergency admission today (rules/health.py: daily_hazard)."""
        p = self.model.params
        yearly = p.admission_rate * math.exp(p.frailty_admission_slope * self.frailty)
        waiting = self.decision_day[CARE_DECISION] != NEVER
        if self.discharged_day >= day - RECOVERY_DAYS:
            open_gaps = sum(1 for gap in ALL_GAPS if self.gaps & gap)
            yearly *= p.post_discharge_risk * (1.0 + p.gap_risk * open_gaps
                                               + p.waiting_risk * waiting)
        elif waiting:
            yearly *= 1.0 + p.waiting_risk
        return 1.0 - math.exp(-yearly / DAYS_PER_YEAR)

    def admit(self, day: int) -> None:
        """Into hospital with a stay drawn; the last episode's follow-up and support end.

        A package, running or queued, and a care decision are kept (rules/hospital.py).
        """
        p = self.model.params
        self.in_hospital, self.admitted_day = True, day
        mean = p.stay_days_older if self.older else p.stay_days_younger
        self.stay_left = _geometric(self.model.random, 1.0 / mean)
        self.gaps, self.notified, self.referred_day, self.notify_day = 0, False, NEVER, NEVER
        self.peer_stage, self.supporter, self.followed_up_day = PEER_NONE, None, NEVER
        self.decision_day[VISIT_DECISION] = NEVER  # the referral lapses

    def must_wait(self, day: int) -> bool:
        """A fit patient stays while their package is decided or waits (must_wait)."""
        if not self.eligible() or self.someone_at_home(day):
            return False
        if self.decision_day[CARE_DECISION] != NEVER:
            return True
        return self.funded() and self.package_hours == 0.0 and self.package_wait_day != NEVER

    def go_home(self, day: int) -> None:
        """Home with basics missing and a day the community hears (rules/discharge.py)."""
        p, rnd = self.model.params, self.model.random
        self.in_hospital, self.discharged_day = False, day
        self.gaps = sum(gap for gap in ALL_GAPS if rnd.random() < p.gap_prob)
        lead = rnd.random() < p.lead_professional_share
        heard = lead or rnd.random() < p.notify_prob
        mean = p.notify_delay_days * (p.lead_delay_factor if lead else 1.0)
        self.notify_day = day + round(rnd.expovariate(1.0) * mean) if heard else NEVER

    def asked_since(self) -> int:
        """Day a first visit was asked for: the referral's, else the hearing's.

        Mirrors rules/formal_care.py: asked_since.
        """
        if self.referred_day != NEVER:
            return self.referred_day
        return self.notify_day if self.notify_day != NEVER else self.discharged_day

    def feel_lonely(self) -> None:
        """Loneliness moves toward what unpaid contact allows (rules/loneliness.py: moved)."""
        p = self.model.params
        level = self.quiet * math.exp(-self.contact_ema / p.contact_hours)
        if self.volunteer == ACTIVE:
            level *= VOLUNTEER_ISOLATION_FACTOR
        self.loneliness += p.loneliness_rate * (level - self.loneliness)

    def give_professional(self, hours: float) -> None:
        """A professional's hours: skilled need first, then everyday (formal_care: _give)."""
        skilled = min(self.skilled_left, hours)
        self.skilled_left -= skilled
        self.everyday_left = max(self.everyday_left - (hours - skilled), 0.0)
        self.professional += hours

    def strain_day(self, day: int) -> None:
        """Strain builds above the threshold; burnout (rules/strain.py)."""
        p = self.model.params
        excess = max(self.given_today - p.strain_threshold, 0.0)
        self.strain = _above_floor(self.strain * (1.0 - p.strain_recovery)
                                   + excess / p.strain_scale)
        if self.strain >= BURNOUT_AT and self.burnout_until <= day:
            self.burnout_until = day + round(p.burnout_days)
            self.strain = STRAINED_ABOVE
            self.frailty = min(self.frailty + p.burnout_frailty, 1.0)


class Post(mesa.Agent):
    """One professional post and its patch."""

    def __init__(self, model: ReferenceModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.morale = model.params.morale_initial
        self.vacant_until = NEVER
        self.hours_available = self.hours_used = self.decision_time = 0.0
        self.step_in = self.overload = self.unmet_share = self.waiting_share = 0.0
        self.cases = 0
        # Today's work (rules/formal_care.py: _visit).
        self.available = self.spare = self.asked = self.demand = 0.0
        self.case_need = self.case_unmet = 0.0
        self.set_capacity()

    @property
    def filled(self) -> bool:
        """Whether someone is in post (not vacant)."""
        return self.vacant_until == NEVER

    def set_capacity(self) -> None:
        """Tomorrow's hours, as morale allows (rules/morale.py: set_capacity)."""
        p = self.model.params
        effective = EFFECTIVENESS_FLOOR + (1.0 - EFFECTIVENESS_FLOOR) * self.morale
        self.hours_available = (p.professional_hours / DAYS_PER_WEEK * effective
                                if self.filled else 0.0)

    def move_morale(self) -> None:
        """Morale moves toward its target (rules/morale.py: morale_target)."""
        p = self.model.params
        target = (MORALE_BASE + STEP_IN_WEIGHT * self.step_in
                  + PARTICIPATION_WEIGHT * p.staff_participation
                  + MET_NEED_WEIGHT * (1.0 - self.unmet_share)
                  - OVERLOAD_WEIGHT * min(self.overload, 1.0)
                  - WAITING_WEIGHT * self.waiting_share)
        self.morale += p.morale_rate * (min(max(target, 0.0), 1.0) - self.morale)

    def leaving_chance(self) -> float:
        """Daily chance the member of staff leaves (rules/morale.py: leaving_chance)."""
        p = self.model.params
        rate = p.attrition_rate * math.exp(ATTRITION_SLOPE * (REFERENCE_MORALE - self.morale))
        return 1.0 - math.exp(-rate / DAYS_PER_YEAR)


class ReferenceModel(mesa.Model):
    """The per-agent engine. ``step()`` runs one day; ``latest`` holds its metrics.

    Args:
        params: Parameters (any scenario's).
        seed: Seed of the town (shared with the vectorised engine) and of the daily draws.
    """

    def __init__(self, params: Params, seed: int) -> None:
        streams = Streams(seed)
        super().__init__(rng=streams["mesa"])
        self.params = self.plan = params  # in force today; as given, with start days
        self.pop = build_population(params, streams["population"])
        network = build_network(self.pop, params, streams["network"])
        self.people = [Person(self, i) for i in range(self.pop.size)]
        for kind, ties in network.by_kind().items():
            for person in self.people:
                i = person.index
                person.ties[kind] = [self.people[j] for j in
                                     ties.indices[ties.indptr[i]:ties.indptr[i + 1]]]
        for person in self.people:
            start = int(self.pop.household_start[person.index])
            person.household = self.people[start:start + int(self.pop.household_size[
                person.index])]
            # Loneliness with no care contact: the everyday contact of kin and neighbours.
            contact = TIE_CONTACT_HOURS * (len(person.ties["kin"])
                                           + len(person.ties["neighbour"]))
            person.quiet = person.isolation * math.exp(-contact / params.contact_hours)
        self.posts = [Post(self, k) for k in range(professional_posts(params))]
        self.adults = sum(person.adult for person in self.people)
        self.older_people = sum(person.older for person in self.people)
        self.day = -params.warmup_days
        self.admitted_today: list[Person] = []
        self.visits: list[tuple[Person, Person]] = []  # today's (volunteer, patient)
        self.needy: list[Person] = []
        self.today: dict[str, float] = {}
        self.latest: dict[str, float] = {}
        while self.day < 0:
            self.step()

    def step(self) -> None:
        """One day: every phase of :data:`simulation.day.PHASES`, in its order."""
        self.day += 1
        self.today = {}
        if any(change.day == self.day for change in self.plan.schedule):  # (day.py)
            before, self.params = self.params, self.plan.on_day(self.day)
            for person in self.people:
                person.start_levers(before, self.params)
        for post in self.posts:  # (day.py: begin_day)
            # Today's hours start with the decisions booked yesterday (none on a post
            # that fell vacant since).
            post.hours_used = min(post.decision_time, post.hours_available)
            post.decision_time = 0.0
        for phase in PHASES:
            getattr(self, f"_{phase.name}")(self.day)
        self._report()

    # -- phase 1: health -------------------------------------------------------------------

    def _health(self, day: int) -> None:
        """Frailty drifts; residents at home may be admitted (rules/health.py)."""
        self.admitted_today = []
        readmissions = 0
        for person in self.people:
            person.drift()
            if not person.in_hospital and self.random.random() < person.admission_chance(day):
                self.admitted_today.append(person)
                readmissions += person.discharged_day >= day - RECOVERY_DAYS
        self.today.update(admissions=len(self.admitted_today), readmissions_30d=readmissions)

    # -- phase 2: hospital -----------------------------------------------------------------

    def _hospital(self, day: int) -> None:
        """Admissions come in; stays run down; the fit go home or wait (rules/hospital.py).

        A patient fit today whose lasting need is eligible gets a care decision raised
        (if no decision or package is under way); with no one able at home they wait
        for it and for a funded package's place. Who is at home is judged before anyone
        leaves today.
        """
        for person in self.admitted_today:
            person.admit(day)
        inpatients = [person for person in self.people if person.in_hospital]
        leaving, waiting = [], 0
        for person in inpatients:
            if person.admitted_day < day:  # fit s days after admission
                person.stay_left -= 1
            if person.stay_left > 0:
                continue
            if (person.stay_left == 0 and person.decision_day[CARE_DECISION] == NEVER
                    and person.package_hours == 0.0 and person.package_wait_day == NEVER
                    and person.eligible()):
                person.raise_decision(CARE_DECISION, day)
            if person.must_wait(day):
                waiting += 1
            else:
                leaving.append(person)
        for person in leaving:
            person.go_home(day)
        self.today.update(bed_days=len(inpatients), delayed_bed_days=waiting,
                          discharges=len(leaving))

    # -- phase 3: discharge ----------------------------------------------------------------

    def _discharge(self, day: int) -> None:
        """The community hears: referrals for follow-up and to the scheme (discharge.py)."""
        p, rnd = self.params, self.random
        substitution = p.peer_substitution if p.peer_scheme else 0.0
        for person in self.people:
            if person.notify_day != day or person.in_hospital:
                continue
            person.notified = True
            if rnd.random() < p.follow_up_share and not rnd.random() < substitution:
                person.referred_day = day
            if p.peer_scheme:
                person.peer_stage = PEER_REFERRED
                person.raise_decision(VISIT_DECISION, day)

    # -- phase 4: co-production ------------------------------------------------------------

    def _co_production(self, day: int) -> None:
        """The peer scheme: matching, weekly visits, recruitment, checks, tiring.

        Mirrors rules/co_production.py step by step; see :meth:`_match` for matching.
        """
        p, rnd, today = self.params, self.random, self.today
        self.visits = []
        if not p.peer_scheme:
            today.update(peer_visits=0, peer_first_visits=0, peer_supported=0,
                         peer_waiting=0, volunteers_joined=0, peer_unmatched=0)
            return
        # 1. Support ends at 30 days; a volunteer who stopped or is in hospital is lost.
        for person in self.people:
            recovering = day - person.discharged_day < RECOVERY_DAYS
            if person.peer_stage == PEER_SUPPORTED:
                helper = person.supporter
                if not recovering:
                    person.peer_stage = PEER_DONE
                elif helper.volunteer != ACTIVE or helper.in_hospital:
                    person.peer_stage = PEER_APPROVED
            if person.peer_stage != PEER_SUPPORTED:
                person.supporter = None
        # 2. Approved patients past their 30 days are unmatched; the rest are matched.
        waiting, unmatched = [], 0
        for person in self.people:
            if person.peer_stage == PEER_APPROVED:
                if day - person.discharged_day >= RECOVERY_DAYS:
                    person.peer_stage = PEER_UNMATCHED
                    unmatched += 1
                elif not person.in_hospital:
                    waiting.append(person)
        load: dict[Person, int] = {}
        for person in self.people:
            if person.supporter is not None:
                load[person.supporter] = load.get(person.supporter, 0) + 1
        places = [v for v in self.people if v.volunteer == ACTIVE and not v.in_hospital
                  and day - v.discharged_day >= RECOVERY_DAYS  # not recovering themselves
                  for _ in range(max(p.patients_per_volunteer - load.get(v, 0), 0))]
        matched = self._match(waiting, places)
        for patient, volunteer in matched:
            patient.peer_stage, patient.supporter = PEER_SUPPORTED, volunteer
            patient.next_visit_day = day
        # 3. Visits due today; a first visit checks the basics.
        first = {patient for patient, _ in matched}
        for person in self.people:
            if (person.peer_stage == PEER_SUPPORTED and not person.in_hospital
                    and person.next_visit_day <= day):
                if person in first:
                    person.close_gaps(p.peer_gap_close)
                if person.gaps & GAP_HOME_SAFE:
                    person.raise_decision(CARE_DECISION, day)
                person.loneliness = max(person.loneliness - p.peer_loneliness_relief, 0.0)
                person.next_visit_day = day + VISIT_EVERY_DAYS
                self.visits.append((person.supporter, person))
        # 4. The recovered are asked to volunteer; checks end in a decision.
        vetting = round((1.0 - p.risk_aversion) * VETTING_DAYS_AT_NO_AVERSION
                        + p.risk_aversion * p.vetting_days_max)
        joined = 0
        for person in self.people:
            if (person.discharged_day == day - RECOVERY_DAYS and person.notified
                    and not person.in_hospital and person.volunteer == NOT_VOLUNTEER
                    and person.adult and person.frailty < VOLUNTEER_MAX_FRAILTY):
                boost = p.reciprocity_boost if person.peer_stage == PEER_DONE else 1.0
                if rnd.random() < min(1.0, p.volunteer_willingness * boost):
                    person.volunteer, person.vetted_day = VETTING, day + vetting
                    joined += 1
            if person.volunteer == VETTING and person.vetted_day == day:
                person.raise_decision(VOLUNTEER_DECISION, day)
        # 5. Tiring.
        tire = 1.0 - math.exp(-p.volunteer_tiring / DAYS_PER_YEAR)
        for person in self.people:
            if person.volunteer == ACTIVE and rnd.random() < tire:
                person.volunteer = NOT_VOLUNTEER
        today.update(peer_visits=len(self.visits), peer_first_visits=len(first),
                     peer_supported=sum(q.peer_stage == PEER_SUPPORTED for q in self.people),
                     peer_waiting=len(waiting) - len(matched), volunteers_joined=joined,
                     peer_unmatched=unmatched)

    def _match(self, patients: list[Person],
               places: list[Person]) -> list[tuple[Person, Person]]:
        """Pair waiting patients with volunteers' free places (co_production: match_visits).

        Within each patch, patients and places are paired at random as far as both go;
        patients left over are then paired at random with places left anywhere.
        """
        rnd = self.random
        patients, places = patients[:], places[:]
        rnd.shuffle(patients)
        rnd.shuffle(places)
        local_places: dict[int, list[Person]] = {}
        for volunteer in places:
            local_places.setdefault(volunteer.patch, []).append(volunteer)
        pairs, far_patients = [], []
        for patient in patients:
            here = local_places.get(patient.patch)
            if here:
                pairs.append((patient, here.pop()))
            else:
                far_patients.append(patient)
        far_places = [v for here in local_places.values() for v in here]
        rnd.shuffle(far_places)
        pairs += zip(far_patients, far_places, strict=False)
        return pairs

    # -- phase 5: care ---------------------------------------------------------------------

    def _care(self, day: int) -> None:
        """Meet need through the cascade (rules/care.py).

        Peer visits, then paid packages, then family, kin and neighbours (asked for the
        everyday need left plus what they do not hand to paid care), then professionals
        by priority; the rest is unmet. Then the moving means, mutual aid and the norm.
        """
        p, today = self.params, self.today
        for person in self.people:
            person.need = person.everyday_left = person.skilled_left = 0.0
            person.professional = 0.0
            if not person.in_hospital:
                if person.frailty > p.need_threshold:  # (below it, no lasting need)
                    person.everyday_left = person.lasting_need()
                person.skilled_left = person.recovery_need(day)
                person.need = person.everyday_left + person.skilled_left
        needy = self.needy = [person for person in self.people if person.need > 0]
        today["need_hours"] = sum(q.need for q in needy)
        today["skilled_need_hours"] = sum(q.skilled_left for q in needy)
        self._run_packages()
        contact = dict.fromkeys(needy, 0.0)  # unpaid hours each received today
        # 1. Peer visits to residents in need: company and everyday help.
        peer_givers = []  # (volunteer, hours) of each visit to a resident in need
        today["peer_hours"] = 0.0
        for volunteer, patient in self.visits:
            if patient.need > 0:
                hours = min(patient.everyday_left, p.visit_hours)
                patient.everyday_left -= hours
                contact[patient] += hours
                today["peer_hours"] += hours
                peer_givers.append((volunteer, hours))
        # 2. Paid care from running packages.
        paid = {q: min(q.everyday_left, q.package_hours) for q in needy}
        for q in needy:
            q.everyday_left -= paid[q]
        today["paid_hours"] = sum(paid.values())
        # 3. Unpaid care: carers step back by formal_crowd_out hours per paid hour.
        asked = {q: q.everyday_left + (1.0 - p.formal_crowd_out) * paid[q] for q in needy}
        given, received = self._unpaid_care(day, needy, asked)
        beyond = 0.0
        for q in needy:
            got = sum(received[q])
            met = min(got, q.everyday_left)
            q.everyday_left -= met
            beyond += got - met
            contact[q] += got
        for code, kind in enumerate(SOCIAL_KINDS):
            today[f"{kind}_hours"] = sum(received[q][code] for q in needy)
        today["unpaid_beyond_need_hours"] = beyond
        # 4. Professionals, who read yesterday's contact (a carer asks for help).
        self._professionals(day, needy)
        today["professional_hours"] = sum(q.professional for q in needy)
        today["unmet_hours"] = sum(q.everyday_left + q.skilled_left for q in needy)
        today["skilled_unmet_hours"] = sum(q.skilled_left for q in needy)
        today["professional_time"] = sum(post.hours_used for post in self.posts)
        self._who_cares(needy, given, peer_givers, paid, contact)
        # What was given and received: today's hours and the weekly moving means.
        for person in self.people:
            hours = given.get(person, (0.0, 0.0, 0.0))
            person.given_today = sum(hours)
            unmet = (min((person.everyday_left + person.skilled_left) / person.need, 1.0)
                     if person.need > 0 else 0.0)
            person.given_ema = _moved(person.given_ema, person.given_today)
            person.family_ema = _moved(person.family_ema, hours[FAMILY])
            person.neighbour_ema = _moved(person.neighbour_ema, hours[NEIGHBOUR])
            person.contact_ema = _moved(person.contact_ema, contact.get(person, 0.0))
            person.unmet_ema = _moved(person.unmet_ema, unmet)
        carers = [q for q in self.people
                  if q.adult and q.given_ema * DAYS_PER_WEEK >= CARER_MIN_HOURS_WEEK]
        today["carers"] = len(carers)
        heavy = sum(1 for q in carers if q.given_ema * DAYS_PER_WEEK >= HEAVY_CARER_HOURS_WEEK)
        today["carers_50h_share"] = heavy / len(carers) if carers else 0.0
        # Mutual aid: the give/receive balance, the norm of those helped, who helped.
        for carer, hours in given.items():
            carer.balance += hours[NEIGHBOUR]
            if hours[NEIGHBOUR] > 0:
                carer.neighbour_help_day = day
        for q in needy:  # after the carers', as someone can be both
            q.balance -= received[q][NEIGHBOUR]
            q.norm = min(q.norm + p.norm_gain_when_helped * received[q][NEIGHBOUR], 1.0)
        for volunteer, _ in peer_givers:
            volunteer.neighbour_help_day = day
        if day % NORM_UPDATE_EVERY == 0:  # the norm spreads weekly, all at once
            rate = min(1.0, p.norm_spread * NORM_UPDATE_EVERY)
            means = [sum(n.norm for n in q.ties["neighbour"]) / len(q.ties["neighbour"])
                     if q.ties["neighbour"] else q.norm for q in self.people]
            for q, mean in zip(self.people, means, strict=True):
                q.norm += rate * (mean - q.norm)

    def _run_packages(self) -> None:
        """Packages end or start (rules/formal_care.py: run_packages).

        A package ends at home when lasting need no longer qualifies (it is kept through
        a hospital stay); queued ones start oldest first while the supply allows.
        """
        p, today = self.params, self.today
        package = p.budget_hours / DAYS_PER_WEEK
        supply = p.paid_care_hours_per_1000 / DAYS_PER_WEEK * p.residents / 1000
        in_use, running, queue = 0.0, 0, []
        for person in self.people:
            if person.package_hours == 0 and person.package_wait_day == NEVER:
                continue
            qualifies = person.in_hospital or person.eligible()
            if person.package_hours > 0:
                if qualifies:
                    in_use += person.package_hours
                    running += 1
                else:
                    person.package_hours = 0.0
            if person.package_wait_day != NEVER:
                if qualifies:
                    queue.append(person)
                else:
                    person.package_wait_day = NEVER  # no longer needed
        queue.sort(key=lambda q: q.package_wait_day)  # oldest first (stable)
        for person in queue:
            if in_use + package > supply:
                break
            person.package_hours, person.package_wait_day = package, NEVER
            in_use += package
            running += 1
        waiting = sum(q.package_wait_day != NEVER for q in self.people)
        today.update(packages_running=running, packages_waiting=waiting,
                     packages_per_1000=1000 * (running + waiting) / len(self.people))

    def _who_cares(self, needy: list[Person], given: dict[Person, tuple[float, ...]],
                   peer_givers: list[tuple[Person, float]], paid: dict[Person, float],
                   contact: dict[Person, float]) -> None:
        """Who gave today's unpaid care, and how residents 65+ and clients fared.

        Unpaid hours by women and by minority residents: care along ties, beside paid
        care included, and peer visit hours (rules/care.py: ``_given_by``); residents 65+
        in need with need left, helped, and helped only by unpaid carers
        (``_older_tallies``); client wellbeing, the mean over residents in need of
        (need met) x (not lonely), 1 when no one is in need (``_remember``).
        """
        today = self.today
        unpaid = today["peer_hours"] + sum(today[f"{kind}_hours"] for kind in SOCIAL_KINDS)
        for metric, group in (("unpaid_hours_women", "female"),
                              ("unpaid_hours_minority", "minority")):
            hours = (sum(sum(h) for q, h in given.items() if getattr(q, group))
                     + sum(h for v, h in peer_givers if getattr(v, group)))
            today[metric] = min(hours, unpaid)
        unmet = helped = informal_only = 0
        for q in needy:
            if q.older:
                unmet += q.everyday_left + q.skilled_left > 1e-6
                formal = paid[q] > 0 or q.professional > 0
                if formal or contact[q] > 0:
                    helped += 1
                    informal_only += not formal
        today["older_unmet_share"] = unmet / self.older_people if self.older_people else 0.0
        today["older_helped"], today["older_informal_only"] = helped, informal_only
        today["client_wellbeing"] = sum(
            (1.0 - min((q.everyday_left + q.skilled_left) / q.need, 1.0)) * (1.0 - q.loneliness)
            for q in needy) / len(needy) if needy else 1.0

    def _unpaid_care(self, day: int, needy: list[Person], asked: dict[Person, float]
                     ) -> tuple[dict[Person, list[float]], dict[Person, list[float]]]:
        """Family, then kin, then neighbours give along ties (unpaid_care: allocate_unpaid).

        A household's primary carer (largest offer, first tie on equal offers) gives
        first, then every household tie tops up; kin and neighbours share in one round
        each. Neighbours' drop-ins are welcome up to the need left plus
        NEIGHBOUR_COMPANY_HOURS. ``asked`` falls in place.

        Returns:
            Hours given by each carer and received by each resident in need, by kind.
        """
        offers: dict[Person, tuple[float, float, float]] = {}
        for q in needy:
            for kind in SOCIAL_KINDS:
                for carer in q.ties[kind]:
                    if carer not in offers:
                        offers[carer] = carer.offers(day)
        given = {carer: [0.0, 0.0, 0.0] for carer in offers}
        received = {q: [0.0, 0.0, 0.0] for q in needy}
        for code, kind in enumerate(SOCIAL_KINDS):
            if code == NEIGHBOUR:
                for q in needy:
                    asked[q] += NEIGHBOUR_COMPANY_HOURS
            ties = {q: [c for c in q.ties[kind] if offers[c][code] > 0] for q in needy}
            rounds = [ties]
            if code == FAMILY:
                primary = {q: [max(carers, key=lambda c: offers[c][code])] if carers else []
                           for q, carers in ties.items()}
                rounds = [primary, ties]
            for round_ties in rounds:
                self._share(code, round_ties, offers, given, received, asked)
        for q in needy:  # the company allowance left unused is no need
            asked[q] = max(asked[q] - NEIGHBOUR_COMPANY_HOURS, 0.0)
        return given, received

    @staticmethod
    def _share(code: int, ties: dict[Person, list[Person]],
               offers: dict[Person, tuple[float, float, float]],
               given: dict[Person, list[float]], received: dict[Person, list[float]],
               asked: dict[Person, float]) -> None:
        """One round of sharing offers along ties (rules/unpaid_care.py: share_round).

        Each carer splits what they have left of this kind's offer equally among the
        residents they are tied to who still need care; each takes up to their need,
        and each carer gives in proportion.
        """
        left: dict[Person, float] = {}
        count: dict[Person, int] = {}
        live: dict[Person, list[Person]] = {}
        for q, carers in ties.items():
            if asked[q] <= 0:
                continue
            for c in carers:
                if c not in left:
                    left[c] = max(offers[c][code] - given[c][code], 0.0)
                if left[c] > 0:
                    live.setdefault(q, []).append(c)
                    count[c] = count.get(c, 0) + 1
        for q, carers in live.items():
            available = sum(left[c] / count[c] for c in carers)
            got = min(asked[q], available)
            asked[q] -= got
            received[q][code] += got
            for c in carers:
                given[c][code] += left[c] / count[c] * got / available

    def _covering_posts(self) -> list[Post]:
        """The post serving each patch: its own, or the next filled one (covering_posts)."""
        posts = self.posts
        cover = []
        for k in range(len(posts)):
            serving = next((posts[(k + step) % len(posts)] for step in range(len(posts))
                            if posts[(k + step) % len(posts)].filled), posts[k])
            cover.append(serving)
        return cover

    def _professionals(self, day: int, needy: list[Person]) -> None:
        """Professionals' work by priority, as far as each post's hours go (formal_care).

        Per post: further skilled visits (oldest discharge first), follow-ups (oldest
        notification first; a whole visit each, checking the basics, whether or not the
        patient needs care today), assessments of
        care decisions (in hospital, then at home, oldest first); then help to anyone
        with need left and no visit today, sharing the hours left in proportion to
        requests.
        """
        p, today = self.params, self.today
        visit = p.professional_hours_per_case
        cover = self._covering_posts()
        for post in self.posts:
            post.spare = post.available = max(post.hours_available - post.hours_used, 0.0)
            post.asked = post.demand = post.case_need = post.case_unmet = 0.0
            post.cases = 0
        work = []  # (post, tier, day it dates from, arrival order, person)
        for q in self.people:
            if q.decision_day[CARE_DECISION] != NEVER and q.assessed_day == NEVER:
                tier = ASSESS_IN_HOSPITAL if q.in_hospital else ASSESS_AT_HOME
                work.append((cover[q.patch].index, tier, q.decision_day[CARE_DECISION],
                             len(work), q))
        missed = queue = 0
        for q in self.people:  # referred, with no need today: the basics are checked
            if (q.referred_day != NEVER and q.followed_up_day == NEVER and q.need <= 0
                    and not q.in_hospital and day - q.discharged_day <= RECOVERY_DAYS):
                if day - q.referred_day >= p.follow_up_window_days:
                    missed += day - q.referred_day == p.follow_up_window_days
                    continue
                work.append((cover[q.patch].index, FOLLOW_UP, q.referred_day, len(work), q))
        for q in needy:
            q.is_case = q.visited = False
            has_carer = q.contact_ema * DAYS_PER_WEEK >= CARER_MIN_HOURS_WEEK
            referred = q.referred_day != NEVER
            if day - q.discharged_day > RECOVERY_DAYS or not (referred or has_carer):
                continue
            since = q.asked_since()
            if q.followed_up_day == NEVER:
                if day - since >= p.follow_up_window_days:
                    missed += day - since == p.follow_up_window_days and referred
                    continue
                work.append((cover[q.patch].index, FOLLOW_UP, since, len(work), q))
            elif q.skilled_left > 0:
                work.append((cover[q.patch].index, SKILLED, q.discharged_day, len(work), q))
        follow_ups = late = assessments = 0
        checked = []
        for index, tier, _, _, q in sorted(work):
            post = self.posts[index]
            if tier in (ASSESS_IN_HOSPITAL, ASSESS_AT_HOME):
                if post.spare >= p.decision_hours:
                    post.spare -= p.decision_hours
                    q.assessed_day = day
                    assessments += 1
                continue
            first, in_need = tier == FOLLOW_UP, q.need > 0
            hours = min(q.skilled_left + q.everyday_left, visit) if in_need else 0.0
            cost = visit if first else hours  # a first visit is a whole visit
            q.is_case = q.is_case or in_need
            post.asked += cost
            if cost <= 0 or post.spare < cost:
                queue += first and q.referred_day != NEVER
                continue
            post.spare -= cost
            if in_need:
                q.give_professional(hours)
                q.visited = True
            if first:
                q.followed_up_day = day
                follow_ups += 1
                late += day > q.asked_since()
                checked.append(q)
        for q in checked:
            q.close_gaps(p.professional_gap_close)
            if q.gaps & GAP_HOME_SAFE:
                q.raise_decision(CARE_DECISION, day)  # equipment to decide
        # Help to anyone in need with need left, in proportion to requests.
        requests = {}
        for q in needy:
            left = q.everyday_left + q.skilled_left
            if not q.visited and left > 0:
                requests[q] = min(left, visit)
                q.is_case = True
                cover[q.patch].demand += requests[q]
        share = {post: min(post.spare / post.demand, 1.0) for post in self.posts
                 if post.demand > 0}  # fixed before anyone is helped
        for q, request in requests.items():
            post = cover[q.patch]
            hours = request * share[post]
            if hours > 0:
                post.spare -= hours
                q.give_professional(hours)
        for q in needy:
            if q.is_case:
                post = cover[q.patch]
                post.cases += 1
                post.case_need += q.need
                post.case_unmet += q.everyday_left + q.skilled_left
        for post in self.posts:
            post.hours_used += post.available - post.spare
            post.overload = max(post.asked / max(post.available, 1e-9) - 1.0, 0.0)
            post.unmet_share = post.case_unmet / post.case_need if post.case_need > 0 else 0.0
        today.update(follow_ups=follow_ups, follow_ups_late=late, follow_ups_missed=missed,
                     follow_up_queue=queue, assessments=assessments)

    # -- phase 6: loneliness ---------------------------------------------------------------

    def _loneliness(self, day: int) -> None:
        """Loneliness moves toward what contact allows; volunteers and the lonely counted."""
        for person in self.people:
            person.feel_lonely()
        lonely = sum(q.older and q.loneliness > LONELY_ABOVE for q in self.people)
        self.today.update(
            volunteers=sum(q.volunteer == ACTIVE for q in self.people),
            lonely_share=lonely / self.older_people if self.older_people else 0.0)

    # -- phase 7: decisions ----------------------------------------------------------------

    def _decisions(self, day: int) -> None:
        """Reviews; the frontline steps in or managers serve the queue (rules/decisions.py).

        Care decisions assessed today and risk decisions raised today may be taken at
        once by the post serving the resident's patch (a vacant patch's cover; a risk
        decision only if it can book decision_hours of tomorrow's time); everything
        else waits manager_review_days (from the assessment, for a care decision) for
        the managers' queue, oldest first.
        """
        p, rnd, today = self.params, self.random, self.today
        for q in self.needy:
            if rnd.random() < p.decisions_per_year / DAYS_PER_YEAR:
                q.raise_decision(CARE_DECISION, day)
        for post in self.posts:
            post.step_in = (p.devolved_authority * min(
                1.0, post.morale * (STEP_IN_BASE + p.staff_participation))
                if post.filled else 0.0)
        cover = self._covering_posts()  # a vacant patch's decisions fall to its cover
        taken: list[tuple[int, Person, int]] = []  # (kind, resident, day raised)
        for kind in DECISION_KINDS:
            for q in self.people:
                raised = q.decision_day[kind]
                new = q.assessed_day == day if kind == CARE_DECISION else raised == day
                if raised == NEVER or not new:
                    continue
                post = cover[q.patch]
                if rnd.random() >= post.step_in:
                    continue
                if kind != CARE_DECISION:  # a risk decision books tomorrow's time
                    if post.decision_time + p.decision_hours > post.hours_available:
                        continue
                    post.decision_time += p.decision_hours
                taken.append((kind, q, raised))
                q.decision_day[kind] = NEVER
        frontline = len(taken)
        queue = []
        for kind in DECISION_KINDS:
            for q in self.people:
                raised = q.decision_day[kind]
                if raised == NEVER:
                    continue
                since = raised
                if kind == CARE_DECISION:
                    if q.assessed_day == NEVER:
                        continue  # not assessed yet
                    since = q.assessed_day
                if day - since >= p.manager_review_days:
                    queue.append((raised, kind, q))
        queue.sort(key=lambda entry: entry[0])  # oldest first; stable
        expected = p.manager_decisions_per_post * sum(post.filled for post in self.posts)
        capacity = int(expected) + (rnd.random() < expected - int(expected))
        for raised, kind, q in queue[:capacity]:
            taken.append((kind, q, raised))
            q.decision_day[kind] = NEVER
        vetoed = 0
        for kind, q, _ in taken:
            if kind == CARE_DECISION:  # equipment, and paid care for the funded
                q.assessed_day = NEVER
                q.gaps &= ~GAP_HOME_SAFE
                if q.package_hours == 0.0 and q.package_wait_day == NEVER and q.funded():
                    q.package_wait_day = day
            elif kind == VISIT_DECISION:
                if q.peer_stage != PEER_REFERRED:
                    continue  # readmitted since: the referral lapsed
                if rnd.random() < p.risk_aversion * p.veto_max:
                    q.peer_stage = PEER_VETOED
                    if q.referred_day == NEVER:  # the follow-up window starts today
                        q.referred_day = day
                    vetoed += 1
                else:
                    q.peer_stage = PEER_APPROVED
            elif q.volunteer == VETTING:
                q.volunteer = ACTIVE
        waiting_here = dict.fromkeys(self.posts, 0)
        waiting = 0
        for q in self.people:
            for kind in DECISION_KINDS:
                if q.decision_day[kind] != NEVER:
                    waiting += 1
                    if kind == CARE_DECISION:
                        waiting_here[cover[q.patch]] += 1
        for post in self.posts:
            post.waiting_share = min(waiting_here[post] / post.cases, 1.0) if post.cases else 0.0
        today.update(decisions=len(taken), decisions_frontline=frontline,
                     decision_wait_days=sum(day - raised for _, _, raised in taken),
                     decisions_waiting=waiting, peer_vetoes=vetoed)

    # -- phase 8: morale -------------------------------------------------------------------

    def _morale(self, day: int) -> None:
        """Morale, leaving, vacancies and refilling; tomorrow's hours (rules/morale.py)."""
        p, rnd = self.params, self.random
        left = 0
        for post in self.posts:
            if post.filled:
                post.move_morale()
                if rnd.random() < post.leaving_chance():
                    post.vacant_until = day + math.ceil(rnd.expovariate(1.0) * p.vacancy_days)
                    left += 1
            if not post.filled and post.vacant_until <= day:
                post.vacant_until, post.morale = NEVER, p.morale_initial
            post.set_capacity()
        self.today["staff_attrition"] = left

    # -- phase 9: strain -------------------------------------------------------------------

    def _strain(self, day: int) -> None:
        """Carer strain and burnout (rules/strain.py)."""
        for person in self.people:
            person.strain_day(day)
        self.today["carers_strained"] = sum(
            1 for q in self.people if q.strain > STRAINED_ABOVE and q.burnout_until <= day)
        self.today["carers_burnt_out"] = sum(1 for q in self.people if q.burnout_until > day)

    # -- the day's metrics -----------------------------------------------------------------

    def _report(self) -> None:
        """The compared metrics that are read off the state at the end of the day."""
        today, day = self.today, self.day
        helped_since = day - HELPED_WITHIN_DAYS + 1
        helpers = sum(1 for q in self.people if q.adult and q.neighbour_help_day >= helped_since)
        today["neighbour_helper_share"] = helpers / self.adults if self.adults else 0.0
        today["basics_missing"] = sum(
            sum(1 for gap in ALL_GAPS if q.gaps & gap) for q in self.people
            if q.gaps and q.recent(day))
        filled = [post.morale for post in self.posts if post.filled]
        today["staff_morale"] = sum(filled) / len(filled) if filled else 0.0
        today["staff_vacancies"] = len(self.posts) - len(filled)
        self.latest = {name: float(today[name]) for name in COMPARED}


def run_reference(params: Params, seed: int, days: int) -> list[dict[str, float]]:
    """Run the per-agent engine and return its compared metrics, one dict per day."""
    model = ReferenceModel(params, seed)
    rows = []
    for _ in range(days):
        model.step()
        rows.append(model.latest)
    return rows


def _moved(mean: float, today: float) -> float:
    """A weekly moving mean after today (rules/care.py)."""
    return _above_floor(mean + EMA_WEIGHT * (today - mean))


def _above_floor(value: float) -> float:
    """A decaying quantity, or 0 once it is below ``DECAY_FLOOR`` (state.py)."""
    return value if value >= DECAY_FLOOR else 0.0


def _geometric(rnd: random.Random, chance: float) -> int:
    """Trials up to and including the first success (at least 1)."""
    if chance >= 1.0:
        return 1
    return 1 + int(math.log(1.0 - rnd.random()) / math.log(1.0 - chance))


__all__: Iterable[str] = ("COMPARED", "ReferenceModel", "run_reference")
