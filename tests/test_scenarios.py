"""Shipped scenarios: each loads and runs; policy directions hold over replicates.

Directions are measured by ``benchmarks/directions.py --seeds 12 --residents 10000
--days 365`` (arm minus its comparison, same seed; seeds 0-11); the tests use seeds 0-7
and bounds of four standard errors (sd/sqrt(8)) around what was measured.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from simulation import load_scenario, run, shipped
from simulation.params import SPECS
from simulation.targets import BY_ROLE

DIRECTION_RUN = {"days": 365, "residents": 10_000}
SEEDS = range(8)
SHIPPED = ("baseline", "peer_visits", "mutual_aid", "devolved_decisions",
           "co_production_and_subsidiarity", "defensive_risk", "family_absorbs")
LEVERS = {"peer_scheme", "devolved_authority", "staff_participation", "risk_aversion",
          "reciprocity_norm", "norm_spread", "budget_share", "professionals_per_1000",
          "paid_care_hours_per_1000"}


def test_the_seven_scenarios_are_shipped_baseline_first() -> None:
    assert set(SHIPPED) <= set(shipped())
    assert shipped()[0] == "baseline"


@pytest.mark.parametrize("name", SHIPPED)
def test_each_scenario_loads_documents_itself_and_runs(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.title and scenario.description.strip()
    assert scenario.sources and scenario.look_for and scenario.questions
    assert set(scenario.overrides) <= set(SPECS)
    result = run(name, seed=1, days=20, residents=1_000, warmup_days=10)
    assert len(result.daily) == 20
    for key, value in scenario.overrides.items():
        assert getattr(result.params, key) == value


@pytest.mark.parametrize("name", SHIPPED)
def test_scenarios_differ_by_their_policy_levers_only(name: str) -> None:
    # Propensities, capacities and calibrated quantities are the town, not a policy.
    assert set(load_scenario(name).overrides) <= LEVERS


def test_the_factorial_crosses_co_production_with_devolution_and_nothing_else() -> None:
    both = load_scenario("co_production_and_subsidiarity").overrides
    assert both == {**load_scenario("peer_visits").overrides,
                    **load_scenario("devolved_decisions").overrides}


@functools.cache
def _summary(arm: str, seed: int) -> dict[str, float]:
    """A year at 10,000 residents; cached so arms share their comparison runs."""
    return run(arm, seed=seed, **DIRECTION_RUN).summary


def _paired(arm: str, other: str, outcome: str) -> np.ndarray:
    """Arm minus the other arm, seed by seed (common random numbers)."""
    return np.array([_summary(arm, s)[outcome] - _summary(other, s)[outcome] for s in SEEDS])


def _within(diff: np.ndarray, measured: float, sd: float) -> bool:
    return abs(diff.mean() - measured) < 4 * sd / np.sqrt(len(diff))


def test_devolved_decisions_shorten_decisions_and_hospital_waits() -> None:
    # measured (12 seeds): decision wait -10.68 days (sd 1.12), delayed bed days -577
    # (sd 321), staff morale +0.284 (sd 0.0057). Readmission, -0.0090 (sd 0.0075), is
    # not asserted: eight seeds put it 3.4 standard errors from none, inside the 4 the
    # tests allow for chance (docs/ODD.md gives it with its interval).
    assert _within(_paired("devolved_decisions", "baseline", "decision_delay_days"),
                   -10.68, 1.12)
    assert _within(_paired("devolved_decisions", "baseline", "delayed_bed_days"), -577, 321)
    assert _within(_paired("devolved_decisions", "baseline", "staff_morale"), 0.284, 0.0057)


def test_peer_support_closes_basics_under_managers_and_where_decisions_are_devolved(
        ) -> None:
    # measured (12 seeds): under managers, basics missing -2,830 gap-days (sd 1,109);
    # with devolved decisions, -4,202 (sd 1,017). Readmission is not asserted: -0.0030
    # (sd 0.0120) and -0.0093 (sd 0.0119), neither told from none by eight seeds.
    assert _within(_paired("peer_visits", "baseline", "basics_missing"), -2830, 1109)
    assert _within(_paired("co_production_and_subsidiarity", "devolved_decisions",
                           "basics_missing"), -4202, 1017)


def test_family_absorbs_moves_hours_onto_families_and_leaves_more_unmet() -> None:
    # Formal care cut, nothing about families changed. measured: family hours +3,249
    # (sd 2,496), unmet hours +21,977 (sd 5,482); women's share of unpaid hours +0.0002
    # (sd 0.0010): those who step up are carers already, so who carries the load barely
    # changes.
    assert _paired("family_absorbs", "baseline", "family_hours").mean() > 0
    assert _within(_paired("family_absorbs", "baseline", "unmet_hours"), 21977, 5482)
    assert _within(_paired("family_absorbs", "baseline", "unpaid_share_women"), 0.0002,
                   0.00103)


# (carecap validate also runs the targets that compare two arms)
@pytest.mark.parametrize("target", [t for t in BY_ROLE["calibration"]
                                    if t.arm == "baseline" and t.per_metric is None],
                         ids=lambda t: t.metric)
def test_the_baseline_meets_its_calibration_targets(target) -> None:
    mean = np.mean([_summary("baseline", s)[target.metric] for s in SEEDS])
    assert target.low <= mean <= target.high, (target.metric, mean)
