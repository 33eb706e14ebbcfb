"""The model as plain functions: ``run`` for a whole run, ``evaluate`` for sweep tools."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.areas import Area, area_reference
from simulation.day import advance, start
from simulation.inputs import DEFAULT_DAYS, MAX_DAYS, whole_value
from simulation.metrics import NAMES, DailyReport, summarise
from simulation.params import Params
from simulation.provenance import run_record
from simulation.results import RunResult
from simulation.rng import resolve_seed
from simulation.scenarios import resolve_params


def run(scenario: str | Path | None = "baseline", seed: int = 0, days: int = DEFAULT_DAYS,
        params: Params | None = None,
        progress: Callable[[int, int], None] | None = None,
        area: Area | str | Path | None = None, start_day: int | None = None,
        **overrides: Any) -> RunResult:
    """Run the model and return its daily metrics and summary.

    Args:
        scenario: Shipped scenario name or scenario file path; ``None`` for the defaults
            (or ``params``).
        seed: The run's seed.
        days: Days to report (after the warm-up).
        params: Parameters to start from instead of a scenario (given with any scenario
            but the default, ``"baseline"``, they are refused, as ``CareModel`` does).
        progress: Called as ``progress(day, days)`` after each day.
        area: An area profile (shipped name or path) the scenario, or the defaults, are
            rooted in (:mod:`simulation.areas`); ``None`` for England's defaults.
        start_day: If given, the scenario's own levers start on this day (the base's
            values until then), as ``carecap run --start-day`` does.
        **overrides: Parameters by name, applied last.
    """
    if scenario is not None and params is not None:
        if scenario != "baseline":  # the default gives way to params; a chosen one may not
            raise ValueError(f"give either a scenario or params, not both (scenario "
                             f"{str(scenario)!r} with params)")
        scenario = None
    seed, days = resolve_seed(seed), whole_value("days", days, 1, MAX_DAYS)
    resolved, name = resolve_params(scenario, params, overrides, area=area,
                                    start_day=start_day)
    town = start(resolved, seed)
    rows = np.empty((days, len(NAMES)), dtype=np.float64)
    report = DailyReport()
    for day in range(days):
        rows[day] = list(report(town, advance(town)).values())
        if progress is not None:
            progress(day + 1, days)
    daily = pd.DataFrame(rows, columns=list(NAMES))
    daily["day"] = daily["day"].astype(np.int64)
    summary = summarise({name: daily[name].to_numpy() for name in NAMES})
    return RunResult(daily=daily, summary=summary, params=resolved, seed=seed,
                     scenario=name, days=days,
                     provenance=run_record(resolved, seed, days,
                                           None if scenario is None else str(scenario),
                                           area=area_reference(area), start_day=start_day))


def compile_kernels() -> None:
    """Compile the model's kernels into numba's cache, or load them if already there.

    Every shipped scenario runs a month on a small town, which takes every compiled path
    they take; later runs load the kernels from the cache (a second) instead of compiling
    them (about 20 s, once per machine and version of the code). Setup calls this.
    """
    from simulation.scenarios import shipped

    for scenario in shipped():
        run(scenario, seed=0, days=30, residents=1_000, warmup_days=0)


def evaluate(seed: int = 0, days: int = DEFAULT_DAYS, **params: Any) -> dict[str, float]:
    """Run with the declared defaults plus ``params`` and return the summary outcomes.

    Every parameter is a keyword with its declared default (see the signature), so any
    sweep or optimisation tool can drive the model as a plain function.
    """
    return run(scenario=None, seed=seed, days=days, **params).summary


def _signature() -> inspect.Signature:
    """Give ``evaluate`` a signature listing every parameter with its default."""
    keywords = [inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, default=0,
                                  annotation=int),
                inspect.Parameter("days", inspect.Parameter.KEYWORD_ONLY, default=DEFAULT_DAYS,
                                  annotation=int)]
    keywords += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value)
                 for name, value in Params().as_dict().items()]
    return inspect.Signature(keywords, return_annotation=dict[str, float])


evaluate.__signature__ = _signature()  # type: ignore[attr-defined]
