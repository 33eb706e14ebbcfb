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
