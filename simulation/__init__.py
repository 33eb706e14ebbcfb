"""carecap: an agent-based simulation of community care capacity.

Public API::

    from simulation import run, evaluate, CareModel, Params, load_scenario
    result = run("peer_visits", seed=1, days=365, residents=5000)
    result.summary["readmission_rate_30d"]

Names are imported on first use, so the command line and batch runs do not pay for
importing Mesa unless they ask for :class:`CareModel`.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "METRICS": "simulation.metrics",
    "SPECS": "simulation.params",
    "CareModel": "simulation.model",
    "ParamError": "simulation.params",
    "Params": "simulation.params",
    "RunResult": "simulation.results",
    "Scenario": "simulation.scenarios",
    "ScenarioError": "simulation.scenarios",
    "evaluate": "simulation.runner",
    "load_scenario": "simulation.scenarios",
    "run": "simulation.runner",
    "shipped": "simulation.scenarios",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
