"""Shipped scenarios: each loads and runs; policy directions hold over replicates."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import load_scenario, run, shipped
from simulation.params import SPECS

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


def _paired(arm: str, outcome: str, seeds: range, **kwargs: object) -> np.ndarray:
    """Arm minus baseline, seed by seed (common random numbers)."""
    return np.array([run(arm, seed=s, **kwargs).summary[outcome]
                     - run("baseline", seed=s, **kwargs).summary[outcome] for s in seeds])


# Directions over replicates. Tolerances come from `benchmarks/directions.py --seeds 16
# --residents 10000 --days 365`, which measured (arm minus baseline, same seed):
#   peer_visits     readmission_rate_30d  mean -0.0084, sd 0.0071 (min -0.017, max +0.006)
#   family_absorbs  unpaid_share_women    mean +0.0662, sd 0.0085 (min +0.048, max +0.083)
# Single seeds can go either way for readmission, so the claim is tested on a mean.
DIRECTION_RUN = {"days": 365, "residents": 10_000}


def test_peer_visits_lower_readmission_against_baseline() -> None:
    diff = _paired("peer_visits", "readmission_rate_30d", range(8), **DIRECTION_RUN)
    # 8 seeds: standard error about 0.0071 / sqrt(8) = 0.0025 around the measured -0.0084,
    # so a mean above zero would be over 3 standard errors from what was measured.
    assert diff.mean() < 0.0
    assert diff.mean() > -0.0084 - 5 * 0.0025  # an effect, not an implausible collapse


def test_family_absorbs_raises_womens_unpaid_share() -> None:
    diff = _paired("family_absorbs", "unpaid_share_women", range(4), **DIRECTION_RUN)
    # 4 seeds: standard error about 0.0085 / 2 = 0.0043; 0.03 is over 8 of them below.
    assert np.all(diff > 0.0)
    assert diff.mean() > 0.03
