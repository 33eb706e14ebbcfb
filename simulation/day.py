"""One simulated day: the phases in their fixed order, declared once as data.

:data:`PHASES` is the order of a day. Each :class:`Phase` names the rule that runs it
(one entry point in :mod:`simulation.rules`, taking the :class:`~simulation.town.Town`
and returning its counts) and the :class:`~simulation.state.State` fields it reads and
writes. :func:`advance` runs them; the phase profiler (``benchmarks/phases.py``), the
per-agent reference engine (:mod:`simulation.reference`), ``carecap phases`` and the
ODD's schedule table all read the same sequence, so the order is written once.

Each phase draws only from its own named stream, so a lever that changes one process
leaves the others' draws alone wherever the rules allow (common random numbers across
arms). ``docs/ODD.md`` (1.3) explains why the order is this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from simulation.params import Params
from simulation.rules.care import CareCounts, care
from simulation.rules.co_production import CoProductionCounts, co_production
from simulation.rules.decisions import DecisionCounts, decisions
from simulation.rules.discharge import DischargeCounts, discharge
from simulation.rules.health import HealthCounts, health
from simulation.rules.hospital import HospitalCounts, hospital
from simulation.rules.loneliness import LonelinessCounts, loneliness
from simulation.rules.morale import MoraleCounts, morale, set_capacity
from simulation.rules.strain import StrainCounts, strain
from simulation.state import start_levers
from simulation.town import Town


@dataclass(frozen=True)
class Phase:
    """One phase of a day.

    Attributes:
        name: Short name (also the reference engine's method for it).
        processes: The ODD processes it runs (docs/ODD.md, 1.3).
        run: The rule's entry point: ``run(town) -> counts``.
        counts: What ``run`` returns (a named tuple; its fields go into the day's tally).
        reads: State fields it reads.
        writes: State fields it changes.
        does: What happens, in a line.
    """

    name: str
    processes: str
    run: Callable[[Town], NamedTuple]
    counts: type
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    does: str


PHASES: tuple[Phase, ...] = (
    Phase("health", "1", health, HealthCounts,
          reads=("frailty", "unmet_ema", "loneliness", "volunteer", "in_hospital",
                 "discharged_day", "gaps", "decision_day"),
          writes=("frailty", "admitted_today"),
          does="frailty drifts; residents at home may be admitted (readmissions if within "
               "30 days of discharge)"),
    Phase("hospital", "2, 3", hospital, HospitalCounts,
          reads=("admitted_today", "in_hospital", "stay_left", "frailty", "admitted_day",
                 "decision_day", "package_hours", "package_wait_day", "burnout_until"),
          writes=("in_hospital", "admitted_day", "stay_left", "gaps", "notified", "referred_day",
                  "notify_day", "peer_stage", "supporter", "followed_up_day", "decision_day",
                  "discharged_day"),
          does="admissions come in; stays run down; the medically fit go home, or wait for "
               "a care package to be decided and to start"),
    Phase("discharge", "3", discharge, DischargeCounts,
          reads=("notify_day", "in_hospital", "decision_day"),
          writes=("notified", "referred_day", "peer_stage", "decision_day"),
          does="the community hears of discharges: referrals for a professional follow-up "
               "and to the peer scheme"),
    Phase("co_production", "4, 5", co_production, CoProductionCounts,
          reads=("peer_stage", "discharged_day", "supporter", "volunteer", "in_hospital",
                 "next_visit_day", "gaps", "decision_day", "loneliness", "notified",
                 "frailty", "vetted_day"),
          writes=("peer_stage", "supporter", "next_visit_day", "gaps", "decision_day",
                  "loneliness", "volunteer", "vetted_day", "visit_volunteers",
                  "visit_patients"),
          does="approved patients are matched with volunteers, who visit weekly; the "
               "recovered are asked to volunteer; checks; tiring"),
    Phase("care", "6, 7", care, CareCounts,
          reads=("discharged_day", "in_hospital", "frailty", "need", "in_need",
                 "visit_volunteers", "visit_patients", "package_hours", "package_wait_day",
                 "burnout_until", "norm", "balance", "contact_ema", "referred_day", "notify_day",
                 "followed_up_day", "gaps", "decision_day", "assessed_day", "vacant_until",
                 "hours_available", "hours_used", "loneliness", "givers_today", "given_ema",
                 "family_ema", "neighbour_ema", "unmet_ema", "neighbour_help_day"),
          writes=("need", "in_need", "package_hours", "package_wait_day", "followed_up_day",
                  "gaps", "decision_day", "assessed_day", "hours_used", "caseload",
                  "caseload_post", "overload", "unmet_share", "cases", "given_today",
                  "givers_today", "given_ema", "family_ema", "neighbour_ema", "contact_ema",
                  "unmet_ema", "carers", "balance", "norm", "neighbour_help_day"),
          does="need is met by peer visits, paid packages, family, kin and neighbours (who "
               "step up or back), then professionals' visits by priority; the rest is "
               "unmet"),
    Phase("loneliness", "7", loneliness, LonelinessCounts,
          reads=("contact_ema", "loneliness", "quiet", "volunteer"),
          writes=("loneliness",),
          does="loneliness moves toward what unpaid contact allows"),
    Phase("decisions", "5, 8", decisions, DecisionCounts,
          reads=("in_need", "decision_day", "assessed_day", "morale", "vacant_until",
                 "hours_available", "decision_time", "cases", "gaps", "frailty",
                 "package_hours", "package_wait_day", "peer_stage", "volunteer",
                 "referred_day"),
          writes=("decision_day", "assessed_day", "decision_time", "step_in",
                  "waiting_share", "gaps", "package_wait_day", "peer_stage", "referred_day",
                  "volunteer"),
          does="care packages, referrals to the scheme and new volunteers are decided: at "
               "once by frontline staff, or by managers after a wait"),
    Phase("morale", "9", morale, MoraleCounts,
          reads=("morale", "vacant_until", "step_in", "overload", "unmet_share",
                 "waiting_share"),
          writes=("morale", "vacant_until", "hours_available"),
          does="staff morale, attrition and vacancies; tomorrow's capacity"),
    Phase("strain", "10", strain, StrainCounts,
          reads=("strain", "given_today", "burnout_until", "frailty"),
          writes=("strain", "burnout_until", "frailty"),
          does="carer strain builds with hours over the threshold; burnout"),
)


class Tally:
    """What happened today: every field of every phase's counts, by name.

    ``tally.admissions`` is :class:`~simulation.rules.health.HealthCounts`'s, and so on;
    no two phases count the same thing.
    """

    def __init__(self, counts: Iterable[NamedTuple]) -> None:
        for each in counts:
            self.__dict__.update(each._asdict())

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"no phase counts {name!r}")


def start(params: Params, seed: int) -> Town:
    """Build the town and run its warm-up; the next :func:`advance` is day 1."""
    town = Town(params, seed)
    set_capacity(town)
    while town.day < 0:
        advance(town)
    return town


def begin_day(town: Town) -> None:
    """A new day: its number, levers starting today, and posts' hours used so far.

    Levers with a start day (``Params.schedule``) come into force at the start of that
    day, so every phase of it runs with them (:func:`start_levers`). Professional hours
    are charged afresh each day, starting with the decisions frontline staff took
    yesterday (none on a post that fell vacant since).
    """
    s = town.state
    town.day += 1
    if any(change.day == town.day for change in town.plan.schedule):
        before, town.params = town.params, town.plan.on_day(town.day)
        start_levers(s, town.pop, before, town.params)
    np.minimum(s.decision_time, s.hours_available, out=s.hours_used)
    s.decision_time[:] = 0.0


def advance(town: Town) -> Tally:
    """Run one day through every phase in order and return what happened."""
    begin_day(town)
    tally = Tally(phase.run(town) for phase in PHASES)
    town.discharges_by_day.append(tally.discharges)
    town.readmissions_by_day.append(tally.readmissions)
    if len(town.state.visit_patients):
        town.peer_visits_by_day.append((town.state.visit_volunteers,
                                        town.state.visit_patients))
    return tally
