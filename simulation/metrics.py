"""Every outcome, declared once: name, label, unit, how a run summarises it, its reporter.

A reporter is a pure function of the town and today's tally. The daily table has one
column per metric (in declaration order); a run's summary reduces each column as
declared: ``sum`` for flows (counts and hours), ``mean`` for stocks and shares, and
``ratio`` (sum of one column over the sum of another) for rates, so that a rate over the
run weights every day by its denominator.

Daily values of rates are noisy (a trailing 30-day readmission rate in a small town
swings from 0 to 50%), so each headline outcome also has a "to date" column: its
summary over the run from day 1 to today. On the last day it is the run's summary
(to the rounding of a running sum), which is what a user asking "what happened over
the year?" wants to see.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numba import njit

from simulation.day import Tally
from simulation.state import DAYS_PER_WEEK, NEVER, RECOVERY_DAYS, open_gap_count
from simulation.sums import numpy_sum
from simulation.town import Town

HEAVY_CARER_HOURS_WEEK = 50.0
HELPED_WITHIN_DAYS = 28  # "at least monthly" help to a non-relative


@dataclass(frozen=True)
class Metric:
    """One reported outcome.

    Attributes:
        name: Column name.
        label: What people read on a chart or a table ("30-day readmission rate").
        unit: Unit of the daily value (``share`` is a fraction, shown as a percentage).
        summary: ``"sum"``, ``"mean"``, ``"last"`` or ``"ratio:numerator/denominator"``.
        help: What it measures.
        report: ``(town, tally) -> value`` for the day; ``None`` for a to-date metric.
        of: For a to-date metric, the metric it summarises from day 1 to today.
        echoes: The parameter this metric merely reproduces, if any (such a metric is
            no test of the model, so no published target may read it).
    """

    name: str
    label: str
    unit: str
    summary: str
    help: str
    report: Callable[[Town, Tally], float] | None
    of: str = ""
    echoes: str = ""


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else 0.0


def _mean(values: np.ndarray) -> float:
    """Mean of float64 values (``values.mean()`` without its overhead); 0 when empty."""
    return float(values.sum()) / len(values) if len(values) else 0.0


def _carer_prevalence(carers_in_group: int, adults_in_group: int) -> float:
    return _ratio(float(carers_in_group), float(adults_in_group))


@njit(cache=True)
def _count(flags: np.ndarray, at: np.ndarray) -> int:
    """How many of ``flags[at]`` are set."""
    count = 0
    for i in at:
        count += flags[i]
    return count


@njit(cache=True)
def _heavy_carers(given_ema: np.ndarray, carers: np.ndarray) -> int:
    """Carers whose moving mean is ``HEAVY_CARER_HOURS_WEEK`` a week or more."""
    count = 0
    for i in carers:
        count += given_ema[i] * np.float32(DAYS_PER_WEEK) >= HEAVY_CARER_HOURS_WEEK
    return count


@njit(cache=True)
def _staff_morale(morale: np.ndarray, vacant_until: np.ndarray) -> float:
    """Mean morale of staff in post, as numpy's float32 mean; 0 when every post is vacant."""
    filled = np.flatnonzero(vacant_until == NEVER)
    if len(filled) == 0:
        return 0.0
    return numpy_sum(morale, filled) / np.float32(len(filled))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, near 1 = one carries all)."""
    return _gini_of_sorted(np.sort(values))  # numpy's sort is the faster


@njit(cache=True)
def _gini_of_sorted(ordered: np.ndarray) -> float:
    """:func:`gini` of values sorted ascending, with numpy's float64 sums."""
    n = len(ordered)
    if n == 0 or numpy_sum(ordered) <= 0:
        return 0.0
    wide = ordered.astype(np.float64)
    ranked = np.empty(n, dtype=np.float64)
    for i in range(n):
        ranked[i] = (i + 1) * wide[i]
    return (2.0 * numpy_sum(ranked) / (n * numpy_sum(wide))) - (n + 1) / n


def _residents_5_plus(town: Town, adults: int, children: int) -> float:
    """Residents aged 5 or over: the Census's age for counting carers.

    Children are one age band (0-17); the share of it aged 5 or over is the area's
    (``Structure.children_aged_5_plus``).
    """
    return adults + town.params.structure.children_aged_5_plus * children


@njit(cache=True)
def _basics_missing(gaps: np.ndarray, discharged_day: np.ndarray, in_hospital: np.ndarray,
                    since: int) -> int:
    """Basics missing (open gaps) of residents at home discharged on day ``since`` or later."""
    count = 0
    for i in range(len(gaps)):
        if gaps[i] and discharged_day[i] >= since and not in_hospital[i]:
            count += open_gap_count(gaps[i])
    return count


@njit(cache=True)
def _helped_lately(help_day: np.ndarray, adult: np.ndarray, since: int) -> int:
    """Adults who last helped a non-relative on day ``since`` or later."""
    count = 0
    for i in range(len(help_day)):
        count += adult[i] & (help_day[i] >= since)
    return count


def _bed_cost(town: Town, t: Tally) -> float:
    return t.bed_days * town.params.bed_day_cost


def _professional_cost(town: Town, t: Tally) -> float:
    return t.professional_time * town.params.professional_hour_cost


def _paid_cost(town: Town, t: Tally) -> float:
    return t.hours.get("paid", 0.0) * town.params.paid_care_hour_cost


def _formal_cost(town: Town, t: Tally) -> float:
    """Community care: professional time and paid care."""
    return _professional_cost(town, t) + _paid_cost(town, t)


DAILY: tuple[Metric, ...] = (
    Metric("day", "Day", "day", "last", "Model day (1 = first reported day).",
           lambda town, t: town.day),
    Metric("admissions", "Emergency admissions", "admissions", "sum", "Emergency admissions today.",
           lambda town, t: t.admissions),
    Metric("readmissions_30d", "30-day readmissions", "admissions", "sum",
           "Admissions today within 30 days of the patient's last discharge.",
           lambda town, t: t.readmissions),
    Metric("discharges", "Discharges", "patients", "sum", "Patients discharged home today.",
           lambda town, t: t.discharges),
    Metric("readmission_rate_30d", "30-day readmission rate", "share",
           "ratio:readmissions_30d/discharges",
           "Readmissions within 30 days over discharges, both over the last 30 days (a "
           "readmission counts on its own day, so where discharges fall, or in a run's "
           "first days, it can pass 100%).",
           lambda town, t: _ratio(town.trailing(town.readmissions_by_day),
                                  town.trailing(town.discharges_by_day))),
    Metric("bed_days", "Bed days", "bed days", "sum", "Hospital beds occupied today.",
           lambda town, t: t.bed_days),
    Metric("delayed_bed_days", "Delayed bed days", "bed days", "sum",
           "Beds occupied today by medically fit patients waiting for a care package.",
           lambda town, t: t.delayed_bed_days),
    Metric("delayed_bed_share", "Bed days of patients fit to leave", "share",
           "ratio:delayed_bed_days/bed_days",
           "Share of today's occupied beds held by medically fit patients.",
           lambda town, t: _ratio(t.delayed_bed_days, t.bed_days)),
    Metric("older_discharges", "Discharges aged 65+", "patients", "sum",
           "Patients aged 65+ discharged home today.",
           lambda town, t: len(t.older_stays)),
    Metric("older_stay_days", "Hospital days of discharges aged 65+", "days", "sum",
           "Days in hospital (discharge day minus admission day) of today's discharges "
           "aged 65+.",
           lambda town, t: float(t.older_stays.sum())),
    Metric("older_length_of_stay", "Length of stay aged 65+", "days",
           "ratio:older_stay_days/older_discharges",
           "Mean length of stay of patients aged 65+ discharged today (0 when none were).",
           lambda town, t: _mean(t.older_stays), echoes="stay_days_older"),
    Metric("need_hours", "Care needed", "hours", "sum", "Care needed today by residents at home.",
           lambda town, t: t.need_hours),
    Metric("skilled_need_hours", "Skilled nursing needed", "hours", "sum",
           "Skilled nursing needed today (recovery after a discharge); part of need_hours.",
           lambda town, t: t.skilled_need_hours),
    Metric("skilled_unmet_hours", "Skilled nursing unmet", "hours", "sum",
           "Skilled nursing needed today that no professional gave; part of unmet_hours.",
           lambda town, t: t.skilled_unmet_hours),
    Metric("family_hours", "Family care", "hours", "sum",
           "Care given today by household members (overlap included).",
           lambda town, t: t.hours["family"]),
    Metric("kin_hours", "Care by kin", "hours", "sum",
           "Care given today by kin in other households.",
           lambda town, t: t.hours["kin"]),
    Metric("neighbour_hours", "Neighbour care", "hours", "sum",
           "Care given today by neighbours (mutual aid).",
           lambda town, t: t.hours["neighbour"]),
    Metric("peer_hours", "Peer visit hours", "hours", "sum", "Hours of peer visits today.",
           lambda town, t: t.hours["peer"]),
    Metric("paid_hours", "Paid care", "hours", "sum",
           "Paid home care given today from running packages.",
           lambda town, t: t.hours["paid"]),
    Metric("unpaid_beyond_need_hours", "Unpaid care beyond need", "hours", "sum",
           "Unpaid hours given today beyond the need left: beside a paid carer, or as a "
           "neighbour's company (they load carers but meet no need; need = every source - "
           "these + unmet).",
           lambda town, t: t.beyond_need_hours),
    Metric("professional_hours", "Professional care", "hours", "sum",
           "Care given today in professionals' visits (part of meeting need).",
           lambda town, t: t.hours["professional"]),
    Metric("unmet_hours", "Unmet care", "hours", "sum", "Care needed today that no one gave.",
           lambda town, t: t.hours["unmet"]),
    Metric("unpaid_hours", "Unpaid care", "hours", "sum",
           "Unpaid care today: family, kin, neighbour, peer.",
           lambda town, t: t.unpaid_hours),
    Metric("professional_time", "Professional time used", "hours", "sum",
           "Professional time used today: visits and the decisions booked yesterday.",
           lambda town, t: t.professional_time),
    Metric("professional_capacity", "Professional time available", "hours", "sum",
           "Professional hours available today in filled posts.",
           lambda town, t: t.professional_capacity),
    Metric("professional_utilisation", "Professional utilisation", "share",
           "ratio:professional_time/professional_capacity",
           "Professional time used over hours available.",
           lambda town, t: _ratio(t.professional_time, t.professional_capacity)),
    Metric("unpaid_hours_women", "Unpaid care by women", "hours", "sum",
           "Unpaid care given today by women.",
           lambda town, t: t.unpaid_hours_women),
    Metric("unpaid_hours_minority", "Unpaid care by minority residents", "hours", "sum",
           "Unpaid care given today by ethnic-minority residents.",
           lambda town, t: t.unpaid_hours_minority),
    Metric("unpaid_share_women", "Women's share of unpaid care", "share",
           "ratio:unpaid_hours_women/unpaid_hours",
           "Share of today's unpaid hours carried by women.",
           lambda town, t: _ratio(t.unpaid_hours_women, t.unpaid_hours)),
    Metric("unpaid_share_minority", "Minority residents' share of unpaid care", "share",
           "ratio:unpaid_hours_minority/unpaid_hours",
           "Share of today's unpaid hours carried by ethnic-minority residents.",
           lambda town, t: _ratio(t.unpaid_hours_minority, t.unpaid_hours)),
    Metric("population_share_women", "Women's share of adults", "share", "mean",
           "Women's share of adults.",
           lambda town, t: _ratio(town.pop.adult_women, town.pop.adults),
           echoes="female_share"),
    Metric("population_share_minority", "Minority share of adults", "share", "mean",
           "Ethnic-minority residents' share of adults.",
           lambda town, t: _ratio(town.pop.adult_minority, town.pop.adults),
           echoes="minority_share"),
    Metric("unpaid_gini", "Inequality of unpaid care (Gini)", "index 0-1", "mean",
           "Gini coefficient of weekly unpaid hours among carers.",
           lambda town, t: gini(town.state.given_ema[town.state.carers])),
    Metric("carers", "Carers", "people", "mean",
           "Adults giving at least an hour of unpaid care a week.",
           lambda town, t: len(town.state.carers)),
    Metric("carer_prevalence", "Adults who care", "share", "mean",
           "Share of adults who are carers.",
           lambda town, t: _ratio(len(town.state.carers), town.pop.adults)),
    Metric("carer_prevalence_women", "Women who care", "share", "mean",
           "Share of adult women who are carers.",
           lambda town, t: _carer_prevalence(_count(town.pop.female, town.state.carers),
                                             town.pop.adult_women)),
    Metric("carer_prevalence_men", "Men who care", "share", "mean",
           "Share of adult men who are carers.",
           lambda town, t: _carer_prevalence(
               len(town.state.carers) - _count(town.pop.female, town.state.carers),
               town.pop.adults - town.pop.adult_women)),
    Metric("carer_prevalence_5plus", "Residents 5+ who care", "share", "mean",
           "Carers over residents aged 5+ (children of 5-17 taken as the area's share of "
           "the 0-17 band, 13/18 by default; children give no care in the model), the "
           "Census's measure.",
           lambda town, t: _ratio(len(town.state.carers), _residents_5_plus(
               town, town.pop.adults, town.pop.size - town.pop.adults))),
    Metric("carer_prevalence_women_5plus", "Women 5+ who care", "share", "mean",
           "Women carers over women aged 5+ (as carer_prevalence_5plus).",
           lambda town, t: _ratio(_count(town.pop.female, town.state.carers),
                                  _residents_5_plus(town, town.pop.adult_women,
                                                    town.pop.women - town.pop.adult_women))),
    Metric("carer_prevalence_men_5plus", "Men 5+ who care", "share", "mean",
           "Men carers over men aged 5+ (as carer_prevalence_5plus).",
           lambda town, t: _ratio(
               len(town.state.carers) - _count(town.pop.female, town.state.carers),
               _residents_5_plus(town, town.pop.adults - town.pop.adult_women,
                                 town.pop.size - town.pop.adults
                                 - (town.pop.women - town.pop.adult_women)))),
    Metric("carers_50h_share", "Carers giving 50+ hours a week", "share", "mean",
           "Share of carers giving 50+ hours a week.",
           lambda town, t: _ratio(float(_heavy_carers(town.state.given_ema, town.state.carers)),
                                  float(len(town.state.carers)))),
    Metric("carers_strained", "Carers under strain", "people", "mean",
           "Carers under strain (not burnt out).",
           lambda town, t: t.carers_strained),
    Metric("carers_burnt_out", "Carers burnt out", "people", "mean",
           "Carers resting after burnout.",
           lambda town, t: t.carers_burnt_out),
    Metric("volunteers", "Peer volunteers", "people", "mean", "Active peer volunteers.",
           lambda town, t: t.volunteers),
    Metric("peer_visits", "Peer visits", "visits", "sum", "Peer visits made today.",
           lambda town, t: t.peer_visits),
    Metric("peer_first_visits", "Patients first visited by a volunteer", "patients", "sum",
           "Patients a volunteer visited for the first time today (a patient matched "
           "again after losing their volunteer counts again: the new volunteer's first "
           "visit checks the basics too).",
           lambda town, t: t.peer_first_visits),
    Metric("peer_supported", "Patients supported by volunteers", "patients", "mean",
           "Patients a volunteer supports (visits weekly) today.",
           lambda town, t: t.peer_supported),
    Metric("peer_waiting", "Patients waiting for a volunteer", "patients", "mean",
           "Approved patients with no volunteer free today.",
           lambda town, t: t.peer_waiting),
    Metric("peer_unmatched", "Patients no volunteer reached", "patients", "sum",
           "Approved patients whose 30 days ran out today with no volunteer.",
           lambda town, t: t.peer_unmatched),
    Metric("peer_vetoes", "Referrals vetoed", "referrals", "sum",
           "Referrals to the peer scheme vetoed today (a professional follows up instead).",
           lambda town, t: t.referrals_vetoed),
    Metric("volunteers_joined", "Patients who agreed to volunteer", "people", "sum",
           "Recovered patients who said yes to volunteering today (checks start).",
           lambda town, t: t.volunteers_joined),
    Metric("neighbour_helper_share", "Adults helping non-relatives monthly", "share", "mean",
           "Share of adults who gave neighbour care or a peer visit in the last 28 days.",
           lambda town, t: _ratio(_helped_lately(town.state.neighbour_help_day,
                                                 town.pop.adult,
                                                 town.day - HELPED_WITHIN_DAYS + 1),
                                  town.pop.adults)),
    Metric("basics_missing", "Basics missing after discharge", "gaps", "sum",
           "Open gaps (medicines, food, follow-up, home safety) today of residents at home "
           "within 30 days of discharge; summed over days, gap-days.",
           lambda town, t: _basics_missing(town.state.gaps, town.state.discharged_day,
                                           town.state.in_hospital,
                                           town.day - RECOVERY_DAYS)),
    Metric("follow_ups", "Follow-ups made", "visits", "sum",
           "First professional visits to patients discharged within 30 days.",
           lambda town, t: t.follow_ups),
    Metric("follow_ups_late", "Follow-ups made late", "visits", "sum",
           "Of today's follow-ups, those made after the day the community heard.",
           lambda town, t: t.follow_ups_late),
    Metric("follow_ups_missed", "Follow-ups missed", "referrals", "sum",
           "Referrals whose follow-up window ran out today with no visit.",
           lambda town, t: t.follow_ups_missed),
    Metric("follow_up_queue", "Follow-ups waiting", "referrals", "mean",
           "Referred patients waiting for a first visit at the end of the day.",
           lambda town, t: t.follow_up_queue),
    Metric("packages_running", "Paid-care packages running", "packages", "mean",
           "Paid-care packages running today.",
           lambda town, t: t.packages_running),
    Metric("packages_per_1000", "Paid-care packages per 1000 residents", "packages", "mean",
           "Paid-care packages running or waiting per 1000 residents (the demand for paid "
           "care).",
           lambda town, t: 1000.0 * (t.packages_running + t.packages_waiting) / town.pop.size),
    Metric("packages_waiting", "Paid-care packages waiting", "packages", "mean",
           "Paid-care packages decided but waiting for a place with a provider.",
           lambda town, t: t.packages_waiting),
    Metric("staff_morale", "Staff morale", "score 0-1", "mean", "Mean morale of staff in post.",
           lambda town, t: _staff_morale(town.state.morale, town.state.vacant_until)),
    Metric("staff_attrition", "Staff leaving", "people", "sum", "Professionals who left today.",
           lambda town, t: t.staff_attrition),
    Metric("staff_vacancies", "Vacant posts", "posts", "mean", "Professional posts vacant today.",
           lambda town, t: int(np.count_nonzero(town.state.vacant_until != NEVER))),
    Metric("decisions", "Decisions taken", "decisions", "sum",
           "Decisions taken today: care packages, referrals to the scheme, new volunteers.",
           lambda town, t: t.decisions),
    Metric("decisions_frontline", "Decisions taken by frontline staff", "decisions", "sum",
           "Of today's decisions, those taken at once by frontline staff.",
           lambda town, t: t.decisions_frontline),
    Metric("decision_wait_days", "Days waited by decisions", "days", "sum",
           "Days waited by decisions taken today.",
           lambda town, t: t.decision_wait_days),
    Metric("decision_delay_days", "Decision wait", "days", "ratio:decision_wait_days/decisions",
           "Mean wait of the decisions taken today (0 when none were taken).",
           lambda town, t: _ratio(t.decision_wait_days, t.decisions)),
    Metric("decisions_waiting", "Decisions waiting", "decisions", "mean",
           "Decisions waiting at the end of the day.",
           lambda town, t: t.decisions_waiting),
    Metric("lonely_share", "People 65+ often lonely", "share", "mean",
           "Share of residents aged 65+ who are often lonely.",
           lambda town, t: _ratio(t.lonely_older, town.pop.older_people)),
    Metric("older_unmet_share", "People 65+ with unmet need", "share", "mean",
           "Share of residents aged 65+ with some care need unmet today.",
           lambda town, t: _ratio(t.older_unmet, town.pop.older_people)),
    Metric("older_helped", "People 65+ helped", "people", "mean",
           "Residents aged 65+ who received care today.",
           lambda town, t: t.older_helped),
    Metric("older_informal_only", "People 65+ helped only by unpaid carers", "people",
           "mean",
           "Of the residents aged 65+ helped today, those whose care was all unpaid.",
           lambda town, t: t.older_informal_only),
    Metric("older_informal_only_share", "Help to people 65+ that is unpaid only", "share",
           "ratio:older_informal_only/older_helped",
           "Share of residents aged 65+ helped today whose care was all unpaid.",
           lambda town, t: _ratio(t.older_informal_only, t.older_helped)),
    Metric("client_wellbeing", "Client wellbeing", "score 0-1", "mean",
           "Mean over residents with care needs of (need met) x (not lonely).",
           lambda town, t: t.wellbeing),
    Metric("cost_bed_days", "Cost of bed days", "GBP", "sum", "Cost of today's bed days.",
           lambda town, t: _bed_cost(town, t)),
    Metric("cost_professional", "Cost of professional time", "GBP", "sum",
           "Cost of today's professional time.",
           lambda town, t: _professional_cost(town, t)),
    Metric("cost_paid_care", "Cost of paid care", "GBP", "sum", "Cost of today's paid care.",
           lambda town, t: _paid_cost(town, t)),
    Metric("cost_formal_care", "Cost of community care", "GBP", "sum",
           "Professional time and paid care today (formal care outside hospital).",
           lambda town, t: _formal_cost(town, t)),
    Metric("cost_total", "Cost of all formal care", "GBP", "sum",
           "Bed days, professional time and paid care today.",
           lambda town, t: _bed_cost(town, t) + _professional_cost(town, t)
           + _paid_cost(town, t)),
    Metric("unpaid_value", "Value of unpaid care", "GBP", "sum",
           "Today's unpaid hours valued at the replacement wage.",
           lambda town, t: t.unpaid_hours * town.params.unpaid_hour_value),
    Metric("unpaid_to_formal_ratio", "Unpaid care's value over community care's cost",
           "ratio", "ratio:unpaid_value/cost_formal_care",
           "Value of today's unpaid care over the cost of today's professional time and "
           "paid care.",
           lambda town, t: _ratio(t.unpaid_hours * town.params.unpaid_hour_value,
                                  _formal_cost(town, t))),
)

_DAILY_BY_NAME = {m.name: m for m in DAILY}

# The outcomes a user reads first; each gets a to-date column (see the module's doc).
HEADLINE = ("readmission_rate_30d", "delayed_bed_days", "unmet_hours", "unpaid_hours",
            "family_hours", "unpaid_share_women", "unpaid_share_minority",
            "professional_utilisation", "follow_ups_missed", "volunteers", "peer_visits",
            "staff_morale", "lonely_share", "cost_total", "unpaid_value")
_HOW = {"sum": "total to date", "mean": "mean to date"}


def _to_date(base: Metric) -> Metric:
    how = _HOW.get(base.summary, "over the run to date")
    return Metric(f"{base.name}_to_date", f"{base.label}, {how}", base.unit, "last",
                  f"{base.label} from day 1 to today ({how}: the run's summary so far).",
                  None, of=base.name)


TO_DATE: tuple[Metric, ...] = tuple(_to_date(_DAILY_BY_NAME[name]) for name in HEADLINE)
METRICS: tuple[Metric, ...] = DAILY + TO_DATE
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def value_range(metric: str) -> tuple[float, float]:
    """The lowest and highest values ``metric`` can take, which drawn bands stay within.

    Every declared metric counts or measures something (people, hours, pounds, shares),
    so none goes below 0. Only a unit that names its range ("score 0-1", "index 0-1")
    caps it at 1: a ``share`` does not, as the 30-day readmission rate, a period rate,
    can pass 100%. A column that is not a declared metric is not limited.
    """
    declared = BY_NAME.get(metric)
    if declared is None:
        return -math.inf, math.inf
    return 0.0, 1.0 if declared.unit.endswith(" 0-1") else math.inf


def ratio_parts(summary: str) -> tuple[str, str]:
    """The numerator and denominator columns of a ``ratio:`` summary."""
    numerator, denominator = summary.removeprefix("ratio:").split("/")
    return numerator, denominator


class DailyReport:
    """Reports each day's metrics, to-date columns included, for one run.

    Keeps running totals of the columns the to-date metrics need, so a day costs the
    same on day 10 as on day 10,000.
    """

    def __init__(self) -> None:
        self.days = 0
        # Each to-date column as (name, how, the totals it reads), worked out once.
        self._to_date: list[tuple[str, str, tuple[str, ...]]] = []
        for m in TO_DATE:
            base = BY_NAME[m.of]
            if base.summary.startswith("ratio:"):
                self._to_date.append((m.name, "ratio", ratio_parts(base.summary)))
            else:
                self._to_date.append((m.name, base.summary, (base.name,)))
        self.totals = dict.fromkeys(sorted({name for *_, names in self._to_date
                                            for name in names}), 0.0)

    def __call__(self, town: Town, tally: Tally) -> dict[str, float]:
        """Every metric's value for the day just run, in declaration order."""
        row = {m.name: m.report(town, tally) for m in DAILY}
        self.days += 1
        totals = self.totals
        for name in totals:
            totals[name] += row[name]
        for name, how, (first, *second) in self._to_date:
            if how == "sum":
                row[name] = totals[first]
            elif how == "mean":
                row[name] = totals[first] / self.days
            else:
                row[name] = _ratio(totals[first], totals[second[0]])
        return row


def summarise(columns: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Reduce daily columns to one value per metric, as each metric declares.

    A run's own summary and a sweep's ``summaries`` are both made here, so they agree to
    the last bit. Metrics whose columns are missing (a sweep's runs made before they
    were declared), and ratios built on them, are left out.
    """
    summary: dict[str, float] = {}
    for m in METRICS:
        needs = ratio_parts(m.summary) if m.summary.startswith("ratio:") else (m.name,)
        if not all(name in columns for name in (m.name, *needs)):
            continue
        values = np.asarray(columns[m.name], dtype=np.float64)
        if len(values) == 0:
            summary[m.name] = 0.0
        elif m.summary == "sum":
            summary[m.name] = float(values.sum())
        elif m.summary == "mean":
            summary[m.name] = float(values.mean())
        elif m.summary == "last":
            summary[m.name] = float(values[-1])
        else:
            numerator, denominator = ratio_parts(m.summary)
            summary[m.name] = _ratio(float(np.sum(columns[numerator])),
                                     float(np.sum(columns[denominator])))
    return summary
