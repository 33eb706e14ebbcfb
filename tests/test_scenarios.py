"""Shipped scenarios: each loads and runs; policy directions hold over replicates."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from simulation import load_scenario, run, shipped
from simulation.params import SPECS

DIRECTION_RUN = {"days": 365, "residents": 10_000}
CARERS_50H_MEASURED = 0.2950  # baseline mean over seeds 0-9 at DIRECTION_RUN
CARERS_50H_SE_8 = 0.0111 / np.sqrt(8)  # between-seed sd over the same runs, mean of 8
SHIPPED = ("baseline", "peer_visits", "mutual_aid", "devolved_decisions",
           "co_production_and_subsidiarity", "defensive_risk", "family_absorbs")


def test_the_seven_scenarios_of_the_brief_are_shipped() -> None:
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


@functools.cache
def _summary(arm: str, seed: int) -> dict[str, float]:
    """A year at 10,000 residents; cached so arms share their baseline runs."""
    return run(arm, seed=seed, **DIRECTION_RUN).summary


def _paired(arm: str, outcome: str, seeds: range) -> np.ndarray:
    """Arm minus baseline, seed by seed (common random numbers)."""
    return np.array([_summary(arm, s)[outcome] - _summary("baseline", s)[outcome]
                     for s in seeds])


# Directions over replicates. Tolerances come from `benchmarks/directions.py --seeds 16
# --residents 10000 --days 365`, which measured (arm minus baseline, same seed):
#   peer_visits     readmission_rate_30d  mean -0.0109, sd 0.0084
#   family_absorbs  unpaid_share_women    mean +0.0667, sd 0.0077
# Single seeds can go either way for readmission, so the claim is tested on a mean.


def test_peer_visits_lower_readmission_against_baseline() -> None:
    diff = _paired("peer_visits", "readmission_rate_30d", range(8))
    # 8 seeds: standard error about 0.0084 / sqrt(8) = 0.0030 around the measured -0.0109,
    # so a mean above zero would be over 3.5 standard errors from what was measured.
    # (Seeds 0-7 themselves measured -0.0138.)
    assert diff.mean() < 0.0
    assert diff.mean() > -0.0109 - 5 * 0.0030  # an effect, not an implausible collapse


def test_family_absorbs_raises_womens_unpaid_share() -> None:
    diff = _paired("family_absorbs", "unpaid_share_women", range(4))
    # 4 seeds: standard error about 0.0077 / 2 = 0.0039; 0.03 is over 9 of them below.
    assert np.all(diff > 0.0)
    assert diff.mean() > 0.03


def test_baseline_is_calibrated_to_published_figures() -> None:
    # `benchmarks/baseline_figures.py --seeds 10` measured, per seed at 10,000 residents:
    # readmission 0.135 (sd 0.0096), carers 10.2% of adults (sd 0.52 points), women 11.7%
    # vs men 8.6%. Means of 8 seeds have standard errors of about 0.0034 and 0.0018.
    # Carers giving 50+ hours a week, measured over seeds 0-9 at this size (baseline, 365
    # days, strain_threshold 8): mean 0.2950 of carers, sd 0.0111 between seeds (range
    # 0.276 to 0.317), so a mean of 8 seeds has a standard error of 0.0039; the band is 4
    # of them either side.
    runs = [_summary("baseline", s) for s in range(8)]
    mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    assert 0.125 - 0.015 <= mean["readmission_rate_30d"] <= 0.138 + 0.015  # NHS Digital 3b
    assert 0.08 <= mean["carer_prevalence"] <= 0.12  # Census 2021, of adults
    assert mean["carer_prevalence_women"] > mean["carer_prevalence_men"]
    # (the band lies inside Census 2021's "about 30% of carers", which validate checks)
    assert abs(mean["carers_50h_share"] - CARERS_50H_MEASURED) <= 4 * CARERS_50H_SE_8
    assert mean["unpaid_share_women"] > mean["population_share_women"]
