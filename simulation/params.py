"""Every model parameter, declared once: default, unit, allowed range, group, help, source.

The CLI's ``--set``, scenario files, the dashboard's controls and the sweep designs all
read these declarations, so a parameter exists in exactly one place. Unknown names,
wrong types and out-of-range values are refused with a :class:`ParamError` that names
the parameter and what is allowed.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GROUPS = (
    "population",
    "health and hospital",
    "co-production",
    "subsidiarity",
    "care and budgets",
)


# Parameters read only when the town is built (its people, ties, posts and starting
# state): they cannot start on a day of the run. ``tests/test_schedule.py`` checks the
# list against what building a town reads. ``peer_scheme`` and ``reciprocity_norm`` are
# read when the town is built too, but starting them on a day has a rule of its own
# (simulation/state.py: ``start_levers``).
BUILT_WITH_TOWN = frozenset({
    "residents", "female_share", "minority_share", "neighbour_ties", "kin_ties",
    "homophily", "rewire_share", "professionals_per_1000", "warmup_days", "contact_hours",
    "initial_volunteers_per_1000", "morale_initial"})


class ParamError(ValueError):
    """A parameter name or value that the declarations do not allow.

    Attributes:
        name: The parameter's name.
        allowed: What would have been accepted, in words.
    """

    def __init__(self, name: str, message: str, allowed: str) -> None:
        super().__init__(f"{name}: {message} (allowed: {allowed})")
        self.name = name
        self.allowed = allowed


# Sources of the parameters whose defaults were calibrated: the published figure each was
# set to reproduce in the baseline (simulation/targets.py, calibration targets; ODD.md).
_CALIBRATED_READMISSION = ("calibrated: baseline 30-day readmission to 12.5-13.8%, NHS "
                           "Digital, NHS Outcomes Framework indicator 3b")
_CALIBRATED_CARERS = ("calibrated: baseline carers to 8.76% of residents aged 5+, ONS "
                      "Census 2021 (TS039), England")
_CALIBRATED_SEXES = ("calibrated: baseline carer rates of women and men aged 5+ to 10.3% "
                     "and 7.6%, ONS Census 2021, England")
_CALIBRATED_HEAVY_CARERS = ("calibrated: baseline share of carers giving 50+ hours a week "
                            "to 30.0%, ONS Census 2021 (TS039), England: 2.63% of "
                            "residents 5+ give 50+ hours, of 8.76% who care")
_CALIBRATED_LONELINESS = ("calibrated: baseline share of people 65+ often lonely to 7%, "
                          "Age UK 2024")
_CALIBRATED_MUTUAL_AID = ("calibrated: baseline share of adults helping non-relatives at "
                          "least monthly to 26%, DCMS Community Life Survey 2021/22")
_CALIBRATED_PACKAGES = ("calibrated: baseline paid-care packages to 6.4 per 1000 residents, "
                        "NHS Digital Community Care Statistics 2008: 328,600 households "
                        "had council-funded home care in England")
_CALIBRATED_FOLLOW_UP = ("calibrated: readmission risk ratio of follow-ups that check the "
                         "basics against follow-ups that do not, to 0.82 (0.73-0.91), Leppin "
                         "et al. JAMA Intern Med 2014, 42 trials of transitional care")


def _p(
    default: float | int | bool,
    unit: str,
    low: float | None,
    high: float | None,
    group: str,
    help: str,
    source: str = "assumption",
) -> Any:
    """Declare one parameter as a dataclass field carrying its metadata."""
    assert group in GROUPS, group
    return field(
        default=default,
        metadata={"unit": unit, "low": low, "high": high, "group": group, "help": help,
                  "source": source},
    )


def _s(default: Any, unit: str, help: str, source: str) -> Any:
    """Declare one field of the population's structure with its metadata."""
    return field(default=default, metadata={"unit": unit, "help": help, "source": source})


@dataclass(frozen=True)
class Structure:
    """The make-up of the town's population beyond the scalar parameters: an area's.

    The defaults are England's (``areas/england.toml`` reproduces them); an area profile
    (:mod:`simulation.areas`) replaces them. Shares are draw probabilities and must sum
    to 1 (they are used as written, never rescaled, so a town is drawn the same whether
    its shares came from here or from a file).

    Attributes:
        area: The area's name (``areas/NAME.toml``), recorded with the parameters.
        age_shares: Shares of residents by age band (0-17, 18-49, 50-64, 65-79, 80+).
        household_size_shares: Shares of households of 1 to 6 (6 or more) people.
        alone_age_shares: Age bands of people living alone.
        children_aged_5_plus: Share of the 0-17 band aged 5 or over: the Census counts
            carers among residents aged 5+ (the ``*_5plus`` carer metrics).
    """

    area: str = "england"
    age_shares: tuple[float, ...] = _s(
        (0.21, 0.40, 0.19, 0.14, 0.06), "shares of residents",
        "Residents by age band: 0-17, 18-49, 50-64, 65-79, 80+.",
        "ONS Census 2021 TS007 for England gives 0.208, 0.413, 0.194, 0.135, 0.050; "
        "these are that rounded to two places but for 18-49 (0.40) and 80+ (0.06): an "
        "assumption a point older than England, kept as the calibration was fitted "
        "with it")
    household_size_shares: tuple[float, ...] = _s(
        (0.30, 0.34, 0.15, 0.13, 0.05, 0.03), "shares of households",
        "Households of 1, 2, 3, 4, 5 and 6 or more people.",
        "one person 0.30: ONS Census 2021 (30.2% of households in England and Wales; ONS, "
        "2 November 2022); the larger sizes are an assumption, shaped to give ONS's mean of "
        "2.4 people a household (2.38 with 6 or more taken as 6)")
    alone_age_shares: tuple[float, ...] = _s(
        (0.0, 0.35, 0.17, 0.28, 0.20), "shares of people living alone",
        "People living alone by age band: 0-17, 18-49, 50-64, 65-79, 80+.",
        "aged 65+ 0.48 (0.28 + 0.20): ONS Families and Households 2021, about half of "
        "people living alone are 65+; the split within the under-65s and the over-65s "
        "is an assumption")
    children_aged_5_plus: float = _s(
        13 / 18, "share of the 0-17 band",
        "Share of residents aged 0-17 who are 5 or over (the denominator of the Census's "
        "carer rates).", "assumption: ages even within the band, 13 of its 18 years "
        "(TS007 for England gives 0.739)")

    def as_dict(self) -> dict[str, Any]:
        """The structure as plain data (lists for the shares)."""
        return {f.name: list(value) if isinstance(value, tuple) else value
                for f in dataclasses.fields(self) for value in [getattr(self, f.name)]}


STRUCTURE_FIELDS: dict[str, dataclasses.Field] = {
    f.name: f for f in dataclasses.fields(Structure) if f.name != "area"}


@dataclass(frozen=True)
class Change:
    """A parameter that takes a new value from a day of the run on (``start_day``).

    Attributes:
        day: The first day the value is in force (1 is the first reported day).
        name: The parameter.
        value: Its value from that day.
    """

    day: int
    name: str
    value: int | float | bool


@dataclass(frozen=True)
class Params:
    """The model's parameters. Construct with :meth:`Params.from_overrides` to validate.

    Besides the scalar parameters (:data:`SPECS`), a ``Params`` carries the population's
    :class:`Structure` (England's unless an area sets it) and a ``schedule`` of
    :class:`Change` s: levers that start on a day of the run. The scalar fields hold the
    values in force from the start (the warm-up included).
    """

    # --- population -------------------------------------------------------------------
    residents: int = _p(10_000, "residents", 50, 5_000_000, "population",
                        "Number of residents simulated.")
    female_share: float = _p(0.51, "share", 0.0, 1.0, "population",
                             "Share of residents who are women.",
                             "ONS Census 2021 TS008, England: 51.0% of usual residents are "
                             "female")
    minority_share: float = _p(0.19, "share", 0.0, 1.0, "population",
                               "Share of residents in ethnic-minority households.",
                               "ONS Census 2021 TS021, England: 19.0% of usual residents "
                               "not in the White ethnic group (persons; the model draws "
                               "households)")
    neighbour_ties: int = _p(6, "ties per resident", 0, 40, "population",
                             "Neighbour and friend ties per resident (on average, "
                             "odd numbers too) drawn before housemates and duplicates "
                             "are dropped.")
    kin_ties: float = _p(0.8, "ties per resident", 0.0, 10.0, "population",
                         "Mean number of kin ties to residents of other households.")
    homophily: float = _p(0.5, "share", 0.0, 1.0, "population",
                          "Share of cross-ethnicity neighbour ties re-drawn within the group.")
    rewire_share: float = _p(0.05, "share", 0.0, 1.0, "population",
                             "Share of neighbour ties re-drawn to anyone in town (small world).")
    professionals_per_1000: float = _p(1.0, "posts per 1000 residents", 0.05, 20.0,
                                       "population",
                                       "Community nurse and social worker posts per 1000.",
                                       "NHS Digital workforce statistics and Skills for "
                                       "Care: 35,432 community nurses (FTE, 2017) and "
                                       "17,300 council adult social workers (2022) for "
                                       "56.5m residents of England, 0.93 per 1000; about "
                                       "1.0 with 2023 figures")
    warmup_days: int = _p(90, "days", 0, 730, "population",
                          "Days simulated before day 1 so that reporting starts near steady state.")

    # --- health and hospital ----------------------------------------------------------
    frailty_reversion: float = _p(4.0, "per year", 0.0, 50.0, "health and hospital",
                                  "Rate at which frailty returns to its age-typical level.")
    frailty_noise: float = _p(0.08, "frailty per sqrt(year)", 0.0, 1.0, "health and hospital",
                              "Size of random day-to-day changes in frailty.")
    unmet_frailty_effect: float = _p(0.3, "frailty per year", 0.0, 5.0, "health and hospital",
                                     "Frailty gained per year of wholly unmet care need.")
    lonely_frailty_effect: float = _p(0.15, "frailty per year", 0.0, 5.0, "health and hospital",
                                      "Frailty gained per year of loneliness.")
    admission_rate: float = _p(0.04, "admissions per person-year", 0.0, 5.0,
                               "health and hospital",
                               "Emergency admission hazard at zero frailty.",
                               _CALIBRATED_READMISSION)
    frailty_admission_slope: float = _p(4.0, "log hazard per unit frailty", 0.0, 10.0,
                                        "health and hospital",
                                        "How steeply the admission hazard grows with frailty.",
                                        _CALIBRATED_READMISSION)
    post_discharge_risk: float = _p(2.9, "hazard multiplier", 1.0, 20.0, "health and hospital",
                                    "Hazard multiplier in the 30 days after discharge.",
                                    _CALIBRATED_READMISSION)
    gap_risk: float = _p(1.2, "added multiplier per gap", 0.0, 10.0, "health and hospital",
                         "Extra admission hazard for each open 'basics' gap after discharge.",
                         _CALIBRATED_FOLLOW_UP)
    waiting_risk: float = _p(0.5, "added multiplier", 0.0, 10.0, "health and hospital",
                             "Extra admission hazard while a care decision is waiting.")
    stay_days_older: float = _p(11.9, "days", 1.0, 60.0, "health and hospital",
                                "Mean days until a patient aged 65+ is medically fit.",
                                "NAO, Discharging older patients from hospital (2016): "
                                "older patients' mean length of stay was 11.9 days in "
                                "2014-15, delays included (so an upper bound here)")
    stay_days_younger: float = _p(5.0, "days", 1.0, 60.0, "health and hospital",
                                  "Mean days until a patient under 65 is medically fit.")
    need_threshold: float = _p(0.488, "frailty", 0.0, 1.0, "health and hospital",
                               "Frailty above which a resident needs care.",
                               _CALIBRATED_CARERS)
    need_max_hours: float = _p(140.0, "hours per week", 0.0, 168.0, "health and hospital",
                               "Care need at frailty 1.",
                               _CALIBRATED_CARERS)
    recovery_need_hours: float = _p(6.0, "hours per week", 0.0, 80.0, "health and hospital",
                                    "Skilled nursing a patient needs on the day of "
                                    "discharge, fading over 30 days; only professionals "
                                    "can give it.",
                                    "assumption: about 3 hours a week on average over the "
                                    "30 days, two or three visits a week at first")

    # --- co-production ----------------------------------------------------------------
    notify_prob: float = _p(0.75, "probability", 0.0, 1.0, "co-production",
                            "Chance the community hears of a discharge at all.")
    notify_delay_days: float = _p(3.0, "days", 0.0, 30.0, "co-production",
                                  "Mean delay before the community hears of a discharge.")
    lead_professional_share: float = _p(0.3, "share", 0.0, 1.0, "co-production",
                                        "Share of discharges with a named lead professional.")
    lead_delay_factor: float = _p(0.3, "multiplier", 0.0, 1.0, "co-production",
                                  "Notification delay multiplier when a lead owns the case.")
    gap_prob: float = _p(0.3, "probability per basic", 0.0, 1.0, "co-production",
                         "Chance each of the four basics is missing at discharge.",
                         "assumption: 0.3 for each of the four basics, so 76% of patients go "
                         "home with one or more missing; for scale only, Jencks et al. "
                         "NEJM 2009 found 50.2% of patients readmitted after a medical "
                         "stay had no doctor's visit in between")
    follow_up_share: float = _p(1.0, "share", 0.0, 1.0, "co-production",
                                "Share of discharges the community hears of that are "
                                "referred for a professional follow-up visit.")
    follow_up_window_days: int = _p(7, "days", 1, 30, "co-production",
                                    "Days after notification within which a follow-up is "
                                    "made; later, it is missed.")
    professional_gap_close: float = _p(0.5, "probability per gap", 0.0, 1.0, "co-production",
                                       "Chance a professional's first contact closes a gap.")
    peer_scheme: bool = _p(False, "on/off", None, None, "co-production",
                           "Whether former patients visit newly discharged patients.")
    peer_gap_close: float = _p(0.6, "probability per gap", 0.0, 1.0, "co-production",
                               "Chance a volunteer's first visit closes each open gap it can "
                               "close.")
    peer_substitution: float = _p(0.0, "probability", 0.0, 1.0, "co-production",
                                  "Chance a professional leaves the follow-up to the scheme.",
                                  "assumption: none by default (Jacobs et al. JAMA Netw Open "
                                  "2020, a cohort study, found more hospitalisation with "
                                  "volunteer peer support; this lets the model show harm)")
    peer_loneliness_relief: float = _p(0.3, "loneliness", 0.0, 1.0, "co-production",
                                       "Fall in the visited person's loneliness per visit.")
    visit_hours: float = _p(1.5, "hours", 0.0, 8.0, "co-production",
                            "Length of one peer visit.")
    initial_volunteers_per_1000: float = _p(0.5, "volunteers per 1000", 0.0, 50.0,
                                            "co-production",
                                            "Peer volunteers active when the scheme starts.")
    volunteer_willingness: float = _p(0.15, "probability", 0.0, 1.0, "co-production",
                                      "Chance a recovered patient says yes when asked.")
    reciprocity_boost: float = _p(2.0, "multiplier", 1.0, 10.0, "co-production",
                                  "How much likelier a yes is after being visited.")
    patients_per_volunteer: int = _p(2, "patients", 0, 10, "co-production",
                                     "Patients one volunteer supports at a time, each "
                                     "visited weekly until 30 days after discharge.",
                                     "assumption, of the order of Royal Voluntary Service "
                                     "Home from Hospital (Portsmouth: about 10 patients a "
                                     "year per volunteer, 7 visits each)")
    volunteer_tiring: float = _p(0.5, "per year", 0.0, 20.0, "co-production",
                                 "Rate at which volunteers tire and stop.")
    volunteer_frailty_benefit: float = _p(0.3, "share", 0.0, 1.0, "co-production",
                                          "Fall in the frailty level a volunteer returns to "
                                          "(feeling useful).")
    risk_aversion: float = _p(0.5, "share", 0.0, 1.0, "co-production",
                              "Risk-averse management of volunteers: longer vetting checks, "
                              "more referrals vetoed.")
    vetting_days_max: float = _p(90.0, "days", 7.0, 365.0, "co-production",
                                 "Vetting delay at full risk aversion (a week at none).")
    veto_max: float = _p(0.6, "probability", 0.0, 1.0, "co-production",
                         "Chance a referral to the scheme is vetoed at full risk aversion.")

    # --- subsidiarity -----------------------------------------------------------------
    devolved_authority: float = _p(0.2, "share", 0.0, 1.0, "subsidiarity",
                                   "Share of decisions frontline staff are allowed to take.")
    staff_participation: float = _p(0.3, "share", 0.0, 1.0, "subsidiarity",
                                    "Participation extended to staff in how work is run.")
    decisions_per_year: float = _p(2.0, "decisions per need-holder-year", 0.0, 52.0,
                                   "subsidiarity",
                                   "Rate at which a resident's care raises a review "
                                   "decision.")
    manager_review_days: int = _p(14, "days", 0, 365, "subsidiarity",
                                  "Least time a decision referred to a manager takes "
                                  "(paperwork, panel).")
    manager_decisions_per_post: float = _p(1.0, "decisions per day per post", 0.0, 10.0,
                                           "subsidiarity",
                                           "Manager throughput, per frontline post.",
                                           "assumption: enough that the baseline's queue "
                                           "waits about the review's least time")
    decision_hours: float = _p(0.5, "hours", 0.0, 8.0, "subsidiarity",
                               "Frontline time one devolved decision takes from the next "
                               "day's hours.")
    morale_initial: float = _p(0.6, "score 0-1", 0.0, 1.0, "subsidiarity",
                               "Staff morale at the start.")
    morale_rate: float = _p(0.02, "per day", 0.0, 1.0, "subsidiarity",
                            "Speed at which morale moves toward its current target.")
    attrition_rate: float = _p(0.12, "per year", 0.0, 2.0, "subsidiarity",
                               "Staff leaving rate at average morale.",
                               "assumption within published leaver rates: 9-10% a year for "
                               "NHS nurses (NHS Digital, 2018-21) to 16.8% in community "
                               "trusts (Nuffield Trust, year to June 2022)")
    vacancy_days: float = _p(90.0, "days", 0.0, 730.0, "subsidiarity",
                             "Mean time to fill a post after someone leaves.")

    # --- care and budgets -------------------------------------------------------------
    family_hours: float = _p(24.0, "hours per day", 0.0, 24.0, "care and budgets",
                             "Most a co-resident adult can give in a day.",
                             _CALIBRATED_CARERS)
    kin_hours: float = _p(1.5, "hours per day", 0.0, 24.0, "care and budgets",
                          "Most a relative in another household can give in a day.")
    neighbour_hours: float = _p(3.5, "hours per drop-in", 0.0, 24.0, "care and budgets",
                                "Most a neighbour gives on their weekly drop-in, at full "
                                "reciprocity norm.",
                                _CALIBRATED_MUTUAL_AID)
    men_care_propensity: float = _p(0.79, "multiplier", 0.0, 2.0, "care and budgets",
                                    "Men's willingness to give unpaid care relative to women's.",
                                    _CALIBRATED_SEXES)
    minority_family_expectation: float = _p(1.2, "multiplier", 0.0, 3.0, "care and budgets",
                                            "Family care expected in minority households "
                                            "relative to others.")
    reciprocity_norm: float = _p(0.3, "score 0-1", 0.0, 1.0, "care and budgets",
                                 "Mean starting strength of the mutual-aid norm.",
                                 _CALIBRATED_MUTUAL_AID)
    norm_spread: float = _p(0.01, "per day", 0.0, 1.0, "care and budgets",
                            "Speed at which the norm moves toward neighbours' norms.")
    norm_gain_when_helped: float = _p(0.002, "norm per hour received", 0.0, 1.0,
                                      "care and budgets",
                                      "Rise in the norm of someone helped by a neighbour.")
    budget_share: float = _p(0.5, "share", 0.0, 1.0, "care and budgets",
                             "Share of eligible residents funded for paid home care (a "
                             "personal budget).")
    budget_hours: float = _p(12.5, "hours per week", 0.0, 168.0, "care and budgets",
                             "Paid care hours a package gives.",
                             "NHS Digital, Community Care Statistics 2008: 4.1m hours a "
                             "week of council-funded home care for 328,600 households, "
                             "12.5 hours each")
    paid_care_hours_per_1000: float = _p(80.0, "hours per week per 1000 residents", 0.0,
                                         2_000.0, "care and budgets",
                                         "Paid home care the local providers can deliver; "
                                         "packages beyond it wait for a place.",
                                         "NHS Digital, Community Care Statistics 2008: 4.1m "
                                         "hours a week of council-funded home care in England "
                                         "(about 80 per 1000 residents)")
    formal_crowd_out: float = _p(0.5, "hours per hour", 0.0, 1.0, "care and budgets",
                                 "How far unpaid carers step back for each hour of paid "
                                 "care (1: fully, 0: not at all).",
                                 "assumption, swept: the direction (formal care replaces "
                                 "household care for everyday help) is Bonsang, J Health Econ "
                                 "2009 and Saloniki et al., PLoS ONE 2024; no hours-per-hour "
                                 "figure was found")
    eligibility_hours: float = _p(82.0, "hours per week", 0.0, 168.0, "care and budgets",
                                  "Lasting need from which a resident is eligible for a paid-"
                                  "care package (and, in hospital, must wait for one when no "
                                  "one is at home); professionals' help is not rationed by it.",
                                  _CALIBRATED_PACKAGES)
    professional_hours: float = _p(37.5, "hours per week", 1.0, 80.0, "care and budgets",
                                   "Contracted hours of one professional post.")
    professional_hours_per_case: float = _p(1.0, "hours per day", 0.0, 24.0,
                                            "care and budgets",
                                            "Most professional time one case gets in a day "
                                            "(one visit).")
    strain_threshold: float = _p(9.0, "hours per day", 0.0, 24.0, "care and budgets",
                                 "Unpaid care a carer gives before strain builds.",
                                 _CALIBRATED_HEAVY_CARERS)
    strain_scale: float = _p(150.0, "hours", 1.0, 10_000.0, "care and budgets",
                             "Excess hours that raise strain by one unit.")
    strain_recovery: float = _p(0.05, "per day", 0.0, 1.0, "care and budgets",
                                "Share of strain shed each day.")
    burnout_days: float = _p(28.0, "days", 0.0, 365.0, "care and budgets",
                             "Days a burnt-out carer counts as burnt out, the day of "
                             "burnout included; no care until they have passed.")
    burnout_frailty: float = _p(0.08, "frailty", 0.0, 1.0, "care and budgets",
                                "Frailty a carer gains on burning out.")
    loneliness_rate: float = _p(0.05, "per day", 0.0, 1.0, "care and budgets",
                                "Speed at which loneliness moves toward its current level.")
    contact_hours: float = _p(0.95, "hours per day", 0.01, 24.0, "care and budgets",
                              "Unpaid contact per day that cuts felt isolation by a factor e.",
                              _CALIBRATED_LONELINESS)
    bed_day_cost: float = _p(345.0, "GBP per day", 0.0, 10_000.0, "care and budgets",
                             "Cost of one hospital bed day.",
                             "DHSC written answer (March 2023), from 2020/21 cost collection "
                             "data: £344.60 a day in an acute bed, excluding diagnosis and "
                             "treatment")
    professional_hour_cost: float = _p(60.0, "GBP per hour", 0.0, 1_000.0, "care and budgets",
                                       "Cost of one professional hour.",
                                       "PSSRU Unit Costs of Health and Social Care 2023, "
                                       "Table 9.2.1: a Band 6 nurse costs £57 (excluding "
                                       "qualifications) to £64 (including) a working hour")
    paid_care_hour_cost: float = _p(25.95, "GBP per hour", 0.0, 1_000.0, "care and budgets",
                                    "Cost of one hour of paid home care.",
                                    "Homecare Association, minimum price for homecare in "
                                    "England 2023-24: £25.95 an hour")
    unpaid_hour_value: float = _p(25.0, "GBP per hour", 0.0, 1_000.0, "care and budgets",
                                  "Replacement value of one unpaid care hour.",
                                  "Carers UK and University of Sheffield, Valuing Carers "
                                  "2021: £25 an hour replacement care (as reported by "
                                  "ITV/PA, 3 May 2023)")

    # --- not scalar parameters ---------------------------------------------------------
    structure: Structure = field(default_factory=Structure)
    schedule: tuple[Change, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        """Pickles and copies leave out the kernels' terms (:func:`terms_of_params`).

        The terms are kept under the decorated functions, which ``pickle`` cannot name;
        they are rebuilt on first use.
        """
        return {name: value for name, value in self.__dict__.items() if name != "_terms"}

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None = None,
                       base: Params | None = None,
                       start_days: Mapping[str, int] | None = None) -> Params:
        """Return validated parameters: ``base`` (or the defaults) with ``overrides``.

        An override replaces whatever ``base`` did with that parameter, a start day
        included. A parameter named in ``start_days`` keeps ``base``'s value until that
        day, and takes the override's from it on.

        Raises:
            ParamError: On an unknown name, a wrong type or an out-of-range value, or a
                start day that is not a day of the run or is given to a parameter that is
                fixed when the town is built (the error names ``start_day.NAME``).
        """
        base = base or cls()
        overrides = overrides or {}
        start_days = start_days or {}
        values = {name: coerce(name, value) for name, value in overrides.items()}
        changes = []
        for name, day in start_days.items():
            if name not in values:
                raise ParamError(f"start_day.{name}", "names no override",
                                 "parameters this file overrides")
            changes.append(Change(checked_start_day(name, day), name, values.pop(name)))
        kept = tuple(c for c in base.schedule if c.name not in overrides)
        return dataclasses.replace(base, **values,
                                   schedule=tuple(sorted((*kept, *changes),
                                                         key=lambda c: (c.day, c.name))))

    def changed(self) -> dict[str, Any]:
        """Return the scalar parameters whose values differ from the defaults."""
        default = Params()
        return {name: getattr(self, name) for name in SPECS
                if getattr(self, name) != getattr(default, name)}

    def as_dict(self) -> dict[str, Any]:
        """Return every scalar parameter as a plain dict (see :data:`SPECS`)."""
        return {name: getattr(self, name) for name in SPECS}

    def as_record(self) -> dict[str, Any]:
        """Everything a run was given, as plain data: what a manifest records.

        The scalar parameters, the population's structure and the levers that start on
        a day (``schedule``: day, name and value of each).
        """
        return {**self.as_dict(), "structure": self.structure.as_dict(),
                "schedule": [dataclasses.asdict(c) for c in self.schedule]}

    def on_day(self, day: int) -> Params:
        """The parameters in force on ``day``: every change due by then applied."""
        due = {c.name: c.value for c in self.schedule if c.day <= day}
        return dataclasses.replace(self, **due) if due else self


@dataclass(frozen=True)
class ParamSpec:
    """The declaration of one parameter, as tools that list or edit parameters see it."""

    name: str
    type: type
    default: Any
    unit: str
    low: float | None
    high: float | None
    group: str
    help: str
    source: str

    @property
    def allowed(self) -> str:
        """What values are allowed, in words."""
        if self.type is bool:
            return "true or false"
        kind = "a whole number" if self.type is int else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"


_TYPES = {"int": int, "float": float, "bool": bool}

SPECS: dict[str, ParamSpec] = {
    f.name: ParamSpec(name=f.name, type=_TYPES[f.type], default=f.default, **f.metadata)
    for f in dataclasses.fields(Params) if f.type in _TYPES
}
MAX_RUN_DAYS = 36_500  # a hundred years: far past any policy question


def checked_start_day(name: str, day: Any) -> int:
    """A start day for parameter ``name``: a whole number from 1, for a lever read daily.

    Raises:
        ParamError: Named ``start_day.NAME``, saying what is allowed.
    """
    where = f"start_day.{name}"
    if name in BUILT_WITH_TOWN:
        raise ParamError(where, "is fixed when the town is built",
                         "levers the rules read each day; see `carecap params`")
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= MAX_RUN_DAYS:
        raise ParamError(where, f"{day!r} is not a day of the run",
                         f"a whole number from 1, the first day after the warm-up, to "
                         f"{MAX_RUN_DAYS}")
    return day


def terms_of_params[Terms](terms: Callable[[Params], Terms]) -> Callable[[Params], Terms]:
    """Decorate a function of the parameters alone so it runs once per ``Params``.

    The daily phases hand their compiled kernels parameters converted to the types the
    arithmetic needs (float32 and the like); building those tuples every day cost more
    than some of the kernels. ``Params`` never changes, so the result is kept on it.
    """
    @functools.wraps(terms)
    def once(p: Params) -> Terms:
        kept = p.__dict__.setdefault("_terms", {})  # frozen: not a field, not compared
        if terms not in kept:
            kept[terms] = terms(p)
        return kept[terms]
    return once


def coerce(name: str, value: Any, from_text: bool = False) -> int | float | bool:
    """Check one value against its declaration and return it in the declared type.

    With ``from_text`` (values typed on a command line) strings are parsed; elsewhere
    (scenario files, Python) a string is refused, since TOML and Python have real
    numbers and booleans. Numbers are range-checked.

    Raises:
        ParamError: On an unknown name, a wrong type or an out-of-range value.
    """
    spec = SPECS.get(name)
    if spec is None:
        raise ParamError(name, "unknown parameter", "see `carecap params`")
    if isinstance(value, np.floating) and value.dtype.itemsize < 8:
        value = float(str(value))  # float32's 0.01 is the 0.01 it prints, not 0.00999...
    elif isinstance(value, np.generic):  # numpy's numbers, as sweep and sampling tools pass them
        value = value.item()
    if isinstance(value, str):
        if not from_text:
            raise ParamError(name, f"{value!r} is text", spec.allowed)
        value = _parse(spec, value)
    if spec.type is bool:
        if not isinstance(value, bool):
            raise ParamError(name, f"{value!r} is not true or false", spec.allowed)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(name, f"{value!r} is not a number", spec.allowed)
    if spec.type is int:
        if isinstance(value, float) and not value.is_integer():
            raise ParamError(name, f"{value!r} is not a whole number", spec.allowed)
        value = int(value)
    else:
        value = float(value)
    if value != value or not spec.low <= value <= spec.high:  # NaN fails too
        raise ParamError(name, f"{value!r} is out of range", spec.allowed)
    return value


def _parse(spec: ParamSpec, text: str) -> int | float | bool:
    """Parse a command-line value for one parameter."""
    text = text.strip()
    if spec.type is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise ParamError(spec.name, f"{text!r} is not true or false", spec.allowed)
    try:
        if not plain_number_text(text):
            raise ValueError(text)
        return float(text)  # whole-number and range checks follow in coerce()
    except ValueError:
        raise ParamError(spec.name, f"{text!r} is not a number", spec.allowed) from None


def plain_number_text(text: str) -> bool:
    """Whether ``text`` could write a number as people type one: ASCII, no ``_``.

    Python's ``int`` and ``float`` also read ``1_000`` and digits of other scripts
    (``٣``), which no one means on a command line or in a file of settings.
    """
    return text.isascii() and "_" not in text

