"""carecap: an agent-based simulation of community care capacity.

Public API::

    from simulation import run, evaluate, CareModel, Params, load_scenario
    result = run("peer_visits", seed=1, days=365, residents=5000)
    result.summary["readmission_rate_30d"]

    from simulation import run_sweep, load_results, plot_bands, compare_scenarios
    run_sweep("experiments/peer_x_devolved.toml", out="out/factorial", replicates=4)
    load_results("out/factorial")            # one row per run; daily=True: per day

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
    "compare_scenarios": "simulation.experiments",
    "evaluate": "simulation.runner",
    "load_results": "simulation.experiments",
    "load_scenario": "simulation.scenarios",
    "plot_bands": "simulation.experiments",
    "run": "simulation.runner",
    "run_sweep": "simulation.experiments",
    "shipped": "simulation.scenarios",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
