"""carecap: an agent-based simulation of community care capacity.

Public API::

    from simulation import run, evaluate, CareModel, Params, load_scenario
    result = run("peer_visits", seed=1, days=365, residents=5000)
    result.summary["readmission_rate_30d"]
"""

from simulation.metrics import METRICS
from simulation.model import CareModel
from simulation.params import SPECS, ParamError, Params
from simulation.results import RunResult
from simulation.runner import evaluate, run
from simulation.scenarios import Scenario, ScenarioError, load_scenario, shipped

__all__ = [
    "METRICS",
    "SPECS",
    "CareModel",
    "ParamError",
    "Params",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "evaluate",
    "load_scenario",
    "run",
    "shipped",
]
