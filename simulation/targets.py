"""Published figures the model is compared with, each with a band declared in advance.

Two kinds, kept apart:

* **calibration** targets: the figures the calibrated parameters were fitted to (their
  sources say "calibrated: ..."). Passing them shows the fit holds; it is not evidence
  that the model is right.
* **held-out** targets: figures never used to set any parameter. Their bands were
  written down before the model they test was first compared with them, and a miss is
  reported as it is, never tuned away.

Each target reads one summary metric of one arm over replicates (or a ratio of two
arms' metrics, run with the same seeds), and compares the mean with its band. Arms are
named settings: a shipped scenario plus overrides. :mod:`simulation.validate` runs them.
Calibration (:mod:`simulation.calibrate`) names a calibration target by its ``key``; an
area's own targets (:mod:`simulation.areas`) are targets of the same kind.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Role = Literal["calibration", "held-out"]

# Arms the targets read: a shipped scenario and the overrides applied to it.
ARMS: dict[str, tuple[str, Mapping[str, object]]] = {
    "baseline": ("baseline", {}),
    "peer_visits": ("peer_visits", {}),
    # The model's analogue of the control arm of transitional-care trials: follow-up
    # visits as usual, but none checks and closes the basics.
    "basics_unchecked": ("baseline", {"professional_gap_close": 0.0}),
}


@dataclass(frozen=True)
class Target:
    """One published figure and the band the model's mean must fall in.

    Attributes:
        name: What is compared, for people.
        role: ``"calibration"`` (fitted) or ``"held-out"`` (never fitted).
        metric: Summary metric of the ``arm`` run (its definition is the metric's).
        published: The published figure, with its definition.
        source: Where it is published.
        low: Lowest model mean that passes.
        high: Highest model mean that passes.
        unit: ``"share"`` (shown as a percentage) or ``"ratio"``.
        why: Why the band is where it is, and how the model's measure differs from the
            published one.
        arm: Arm the metric is read from (a key of :data:`ARMS`).
        per_metric: Denominator metric, if the value is a ratio of two runs' metrics.
        per_arm: Arm the denominator is read from (same seed).
        calibrates: For a calibration target, the parameters fitted to it.
        value: The published figure as a number, in the metric's unit: the centre a
            calibration aims at (``None`` for a held-out target, never fitted).
        key: The name calibration files use for it: its metric's unless set (two
            targets read the same metric).
    """

    name: str
    role: Role
    metric: str
    published: str
    source: str
    low: float
    high: float
    unit: str
    why: str
    arm: str = "baseline"
    per_metric: str | None = None
    per_arm: str = "baseline"
    calibrates: tuple[str, ...] = field(default=())
    value: float | None = None
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.metric)

    def values(self, summaries: Mapping[tuple[str, int], Mapping[str, float]],
               seeds: Sequence[int]) -> np.ndarray:
        """The model's value in each replicate."""
        value = np.array([summaries[self.arm, s][self.metric] for s in seeds])
        if self.per_metric is None:
            return value
        return value / np.array([summaries[self.per_arm, s][self.per_metric] for s in seeds])

    def show(self, value: float) -> str:
        """Format a value in the target's unit."""
        if math.isnan(value):
            return "n/a"
        if self.unit == "share":
            return f"{value:.1%}"
        return f"{value:.2f}"


_CENSUS = "ONS, Census 2021 (TS039, and 'Unpaid care by age, sex and deprivation'), England"
_CENSUS_5PLUS = ("the Census counts residents aged 5+; the model counts carers among its "
                 "adults and children aged 5-17 (taken as 13/18 of its 0-17 band), and "
                 "children give no care in the model (1.4% of 5-17s do in the Census)")

# The sexes' figures are the ones ONS quotes, age-standardised; the model's are crude.
_STANDARDISED = ("the published figure is age-standardised (to the 2013 European Standard "
                 "Population) and the model's rate is crude (its carers over its {sex} aged "
                 "5+, in a town with England's age mix), so they are not quite the same "
                 "measure: for all residents the crude rate is 8.76% and the standardised "
                 "8.9%, 0.14 points apart, and the crude rate for each sex is not quoted "
                 "here, so a gap of that order is assumed, well inside the band; ")

TARGETS: tuple[Target, ...] = (
    # -- calibration: fitted ----------------------------------------------------------
    Target("30-day emergency readmission", "calibration", "readmission_rate_30d",
           "12.5% (2013/14) to 13.8% (2017/18), England, indirectly standardised",
           "NHS Digital, NHS Outcomes Framework indicator 3b (2019 release)",
           0.120, 0.145, "share",
           "the two published national years, half a point wider either side: the model "
           "town is not standardised for case mix",
           calibrates=("admission_rate", "frailty_admission_slope", "post_discharge_risk"),
           value=0.1315),
    Target("Residents aged 5+ providing unpaid care", "calibration",
           "carer_prevalence_5plus", "8.76% of residents aged 5+ (crude; 8.9% "
           "age-standardised)", _CENSUS, 0.080, 0.096, "share",
           "about a point either side of the crude rate; " + _CENSUS_5PLUS,
           calibrates=("need_threshold", "need_max_hours", "family_hours"), value=0.0876),
    Target("Women aged 5+ providing unpaid care", "calibration",
           "carer_prevalence_women_5plus", "10.3% of women aged 5+ (age-standardised)",
           _CENSUS, 0.093, 0.113, "share", "a point either side; "
           + _STANDARDISED.format(sex="women") + _CENSUS_5PLUS,
           calibrates=("men_care_propensity",), value=0.103),
    Target("Men aged 5+ providing unpaid care", "calibration",
           "carer_prevalence_men_5plus", "7.6% of men aged 5+ (age-standardised)",
           _CENSUS, 0.068, 0.084, "share", "0.8 points either side; "
           + _STANDARDISED.format(sex="men") + _CENSUS_5PLUS,
           calibrates=("men_care_propensity",), value=0.076),
    Target("Carers giving 50+ hours a week", "calibration", "carers_50h_share",
           "30.0% of carers (2.63% of residents 5+ give 50+ hours, of 8.76% who care)",
           _CENSUS, 0.27, 0.33, "share", "3 points either side of 30%",
           calibrates=("strain_threshold",), value=0.30),
    Target("People aged 65+ often lonely", "calibration", "lonely_share",
           "7% often lonely", "Age UK (2024)", 0.05, 0.09, "share",
           "2 points either side: surveys differ in wording and in who they reach",
           calibrates=("contact_hours",), value=0.07),
    Target("Adults helping non-relatives at least monthly", "calibration",
           "neighbour_helper_share",
           "26% of adults 16+ gave informal help to non-relatives at least once a month "
           "(2021/22; 33% in 2020/21)",
           "DCMS, Community Life Survey 2021/22 (informal volunteering)", 0.22, 0.30,
           "share",
           "4 points either side; the survey counts any unpaid help to a non-relative, the "
           "model its adults who gave neighbour care or a peer visit in the last 28 days",
           calibrates=("neighbour_hours", "reciprocity_norm"), value=0.26),
    Target("Paid-care packages (council-funded home care)", "calibration",
           "packages_per_1000",
           "328,600 households had council-funded home care in a September 2008 week: 6.4 "
           "per 1000 residents of England",
           "NHS Digital, Community Care Statistics 2008: home help and care services for "
           "adults", 5.4, 7.4, "ratio",
           "one package per 1000 either side; the model has no care homes, where some of "
           "those with the highest needs would live",
           calibrates=("eligibility_hours",), value=6.4),
    Target("Follow-up that checks the basics: readmission risk ratio", "calibration",
           "readmission_rate_30d",
           "transitional-care interventions: pooled RR 0.82 (95% CI 0.73-0.91), 42 trials",
           "Leppin et al., JAMA Intern Med 2014;174:1095-107", 0.73, 0.91, "ratio",
           "the pooled confidence interval; the model's ratio is of follow-ups that close the "
           "basics they can against follow-ups that close none, same seeds (the trials' "
           "interventions vary)",
           per_metric="readmission_rate_30d", per_arm="basics_unchecked",
           calibrates=("gap_risk",), value=0.82, key="follow_up_risk_ratio"),
    # -- held out: never fitted; bands fixed before the model was compared ------------
    Target("Bed days held by patients fit to leave", "held-out", "delayed_bed_share",
           "more than 13,000 of about 100,000 general and acute beds (13%) held by "
           "patients medically fit for discharge, December 2022; delayed transfers of "
           "care above 5% of occupied bed days in 2017/18 (a stricter definition)",
           "Health Foundation (2023), from NHS England data; King's Fund (2018)",
           0.05, 0.20, "share",
           "from the stricter pre-2020 measure to above the winter 2022 peak: the model "
           "has no season and counts every wait of a fit patient with care needs"),
    Target("People aged 65+ with unmet need for care", "held-out", "older_unmet_share",
           "22% of adults 65+ had unmet need for help with at least one activity of daily "
           "living (24% of men and 28% of women needed such help)",
           "NHS Digital, Health Survey for England 2021, social care for older adults",
           0.14, 0.30, "share",
           "8 points either side: the survey asks about the last month and about "
           "activities, the model counts residents 65+ with any hours of need unmet on a "
           "day"),
    Target("Help received by people 65+ that is informal only", "held-out",
           "older_informal_only_share",
           "of people 65+ helped with daily activities, 88% of men and 71% of women had "
           "informal help only (2013); 65% (2016) and 68% (2017), both sexes",
           "NHS Digital, Health Survey for England 2013, 2016, 2017", 0.60, 0.90, "share",
           "the range of the survey years and sexes; the model counts residents 65+ who "
           "received any care on a day"),
    Target("Value of unpaid care against formal care spending", "held-out",
           "unpaid_to_formal_ratio",
           "£162bn a year of unpaid care (England and Wales, 2021) against £22.0bn of "
           "council adult social care spending (England, 2021-22): about 7.4 to 1",
           "Carers UK and University of Sheffield, Valuing Carers 2021; NHS Digital, "
           "Adult Social Care Activity and Finance Report 2021-22", 3.7, 14.8, "ratio",
           "a factor of two either way: the figures cover different areas, councils' "
           "spending includes care homes (none in the model) and the model's formal care "
           "includes community nursing"),
    Target("Volunteer home-from-hospital support: readmission risk ratio", "held-out",
           "readmission_rate_30d",
           "UK evaluations against matched controls found no fall in hospital use "
           "(British Red Cross Support at Home, 1,573 patients; six of seven Reducing "
           "Winter Pressures projects)",
           "Nuffield Trust (Georghiou & Steventon 2014; Georghiou et al. 2016)",
           0.90, 1.10, "ratio",
           "ten percent either side of no effect: the evaluations detected none, and "
           "professional transitional care's pooled effect (0.82) is a bound below; the "
           "model's ratio is peer_visits against the baseline, same seeds",
           arm="peer_visits", per_metric="readmission_rate_30d", key="peer_risk_ratio"),
)

BY_ROLE: dict[Role, tuple[Target, ...]] = {
    role: tuple(t for t in TARGETS if t.role == role) for role in ("calibration", "held-out")}
BY_KEY: dict[str, Target] = {t.key: t for t in TARGETS}
