"""``carecap calibrate``: fit chosen parameters to published targets over replicates.

A calibration file::

    title = "Baseline calibration"
    scenario = "baseline"           # the scenario whose parameters are fitted
    replicates = 3                  # seeds root_seed .. root_seed + replicates - 1
    root_seed = 1000
    residents = 3000
    days = 365
    max_evaluations = 40            # model evaluations (each runs every replicate)
    screen = 8                      # Latin hypercube points tried before the local search

    [parameters]                    # what to fit, within these bounds
    post_discharge_risk = [2.0, 5.0]

    [targets.readmission_rate_30d]  # a summary metric of `carecap run`
    value = 0.131
    source = "NHS Digital, NHS Outcomes Framework indicator 3b"
    weight = 1.0                    # optional
    scale = 0.131                   # optional: the error that counts as 1 (default |value|)

The loss is the weighted sum over targets of ((simulated - value) / scale)^2, with the
simulated value the mean over replicates of the run summaries.

How it searches, and why: every evaluation uses the same seeds (common random numbers),
so the loss is a deterministic function of the parameters — but a step-like one, since
the model counts discrete events. That rules out gradient methods. A Latin hypercube
screen first looks across the whole box (so a poor starting point cannot trap the
fit), then scipy's Nelder-Mead simplex, which needs no gradients and copes with
kinks, refines the best point found, in coordinates scaled to the box so every
parameter moves on the same footing. Both are well kept and explainable; for more than
about six parameters raise ``screen`` and ``max_evaluations``.

The result is a scenario file (the scenario's overrides plus the fitted values, with
each target, its simulated value and its source), ready to run with ``carecap run``
or to become defaults in ``simulation/params.py``.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.inputs import MAX_DAYS, MAX_SEED, seeds_problem
from simulation.metrics import NAMES
from simulation.params import SPECS, Params
from simulation.results import atomic_write
from simulation.runner import run
from simulation.scenarios import (
    ScenarioError,
    checked_whole,
    load_scenario,
    read_toml,
    refuse_unknown,
)

TOP_KEYS = {"title", "description", "scenario", "replicates", "root_seed", "residents",
            "days", "max_evaluations", "screen", "parameters", "targets"}
TARGET_KEYS = {"value", "source", "weight", "scale"}
SIMPLEX_STEP = 0.15  # the starting simplex spans this share of each parameter's range


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message names file and field."""


@dataclass(frozen=True)
class Target:
    """A published figure a summary metric should match."""

    value: float
    source: str
    weight: float = 1.0
    scale: float = 1.0


@dataclass(frozen=True)
class Calibration:
    """A parsed, validated calibration file."""

    name: str
    title: str
    scenario: str
    bounds: dict[str, tuple[float, float]]
    targets: dict[str, Target]
    replicates: int = 3
    root_seed: int = 0
    residents: int = 3000
    days: int = 365
    max_evaluations: int = 40
    screen: int = 8

    def resized(self, replicates: int | None = None, residents: int | None = None,
                days: int | None = None) -> Calibration:
        """The same calibration at another size.

        Raises:
            CalibrationError: If the replicates' seeds would pass the largest seed.
        """
        problem = seeds_problem(self.root_seed, replicates or self.replicates)
        if problem:
            raise CalibrationError(f"calibration {self.name}: {problem}")
        return Calibration(self.name, self.title, self.scenario, self.bounds, self.targets,
                           replicates or self.replicates, self.root_seed,
                           residents or self.residents, days or self.days,
                           self.max_evaluations, self.screen)

    def params(self, values: dict[str, float]) -> Params:
        """The scenario's parameters with ``values`` (whole numbers rounded)."""
        fitted = {k: round(v) if SPECS[k].type is int else float(v) for k, v in values.items()}
        return Params.from_overrides({**fitted, "residents": self.residents},
                                     base=load_scenario(self.scenario).params)

    def loss(self, simulated: dict[str, float]) -> float:
        """Weighted squared error over the targets, each in units of its scale."""
        return float(sum(t.weight * ((simulated[name] - t.value) / t.scale) ** 2
                         for name, t in self.targets.items()))


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file.

    Raises:
        CalibrationError: The file is missing, malformed or names something unknown.
    """
    path = Path(path)
    data = read_toml(path, "calibration", CalibrationError)

    def fail(message: str) -> CalibrationError:
        return CalibrationError(f"{path}: {message}")

    refuse_unknown(data, TOP_KEYS, fail)

    def whole(key: str, default: int, low: int, high: int) -> int:
        return checked_whole(data.get(key, default), key, low, high, fail)

    scenario = data.get("scenario", "baseline")
    try:
        load_scenario(scenario)
    except ScenarioError as error:
        raise fail(f"scenario: {error}") from None
    replicates, root_seed = whole("replicates", 3, 1, 10_000), whole("root_seed", 0, 0, MAX_SEED)
    problem = seeds_problem(root_seed, replicates)
    if problem:
        raise fail(problem)
    return Calibration(
        name=path.stem, title=str(data.get("title", path.stem)), scenario=str(scenario),
        bounds=_bounds(data.get("parameters"), fail), targets=_targets(data.get("targets"),
                                                                       fail),
        replicates=replicates, root_seed=root_seed,
        residents=whole("residents", 3000, 50, 5_000_000), days=whole("days", 365, 1, MAX_DAYS),
        max_evaluations=whole("max_evaluations", 40, 1, 100_000),
        screen=whole("screen", 8, 0, 100_000))


def _bounds(table: Any, fail) -> dict[str, tuple[float, float]]:
    if not isinstance(table, dict) or not table:
        raise fail("field 'parameters' must be a table of NAME = [low, high]")
    bounds = {}
    for name, pair in table.items():
        spec = SPECS.get(name)
        if spec is None or spec.type is bool or name == "residents":
            raise fail(f"parameters.{name}: not a parameter that can be fitted (allowed: "
                       "numeric parameters of `carecap params` other than residents)")
        if not (isinstance(pair, list) and len(pair) == 2 and all(
                isinstance(b, int | float) and not isinstance(b, bool) for b in pair)
                and spec.low <= pair[0] < pair[1] <= spec.high):
            raise fail(f"parameters.{name} is {pair!r} (allowed: [low, high] with low < high "
                       f"within {spec.low:g} to {spec.high:g})")
        bounds[name] = (float(pair[0]), float(pair[1]))
    return bounds


def _targets(table: Any, fail) -> dict[str, Target]:
    if not isinstance(table, dict) or not table:
        raise fail("field 'targets' must have a table per metric, e.g. "
                   "[targets.readmission_rate_30d] with value and source")
    targets = {}
    for name, entry in table.items():
        if name not in NAMES or name == "day":
            raise fail(f"targets.{name}: unknown metric (allowed: the metric names of "
                       "`carecap run`)")
        if not isinstance(entry, dict) or set(entry) - TARGET_KEYS or "value" not in entry:
            raise fail(f"targets.{name} must be a table with value and source (optional: "
                       "weight, scale)")
        numbers = {k: entry[k] for k in ("value", "weight", "scale") if k in entry}
        for key, number in numbers.items():
            if isinstance(number, bool) or not isinstance(number, int | float) \
                    or not math.isfinite(number) or (key != "value" and number <= 0):
                raise fail(f"targets.{name}.{key} is {number!r} (allowed: a number"
                           + (" above 0)" if key != "value" else ")"))
        source = entry.get("source", "")
        if not isinstance(source, str) or not source.strip():
            raise fail(f"targets.{name}.source must name where the figure comes from")
        value = float(entry["value"])
        scale = float(entry.get("scale", abs(value) or 1.0))
        targets[name] = Target(value, source, float(entry.get("weight", 1.0)), scale)
    return targets


def _summary(params: Params, seed: int, days: int) -> dict[str, float]:
    """One run's summary (what the workers compute)."""
    return run(None, params=params, seed=seed, days=days).summary


@dataclass
class Fit:
    """The outcome of a calibration.

    Attributes:
        calibration: What was fitted.
        values: Fitted parameter values.
        simulated: Each target metric's mean over replicates at the fitted values.
        loss: The loss there.
        start_loss: The loss at the scenario's own values.
        evaluations: Model evaluations made (each ran every replicate).
    """

    calibration: Calibration
    values: dict[str, float]
    simulated: dict[str, float]
    loss: float
    start_loss: float
    evaluations: int
    history: list[tuple[dict[str, float], float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The fit as plain data."""
        c = self.calibration
        return {
            "calibration": c.name, "scenario": c.scenario, "fitted": self.values,
            "bounds": {k: list(v) for k, v in c.bounds.items()}, "loss": self.loss,
            "start_loss": self.start_loss, "evaluations": self.evaluations,
            "sizes": {"replicates": c.replicates, "root_seed": c.root_seed,
                      "residents": c.residents, "days": c.days},
            "targets": {name: {"value": t.value, "simulated": self.simulated[name],
                               "error": self.simulated[name] - t.value,
                               "relative_error": (self.simulated[name] - t.value) / t.scale,
                               "weight": t.weight, "source": t.source}
                        for name, t in c.targets.items()}}

    def write_json(self, path: Path) -> None:
        """Write the fit as JSON."""
        text = json.dumps(self.as_dict(), indent=1)
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_scenario(self, path: Path) -> None:
        """Write a scenario file: the scenario's overrides plus the fitted values."""
        c = self.calibration
        scenario = load_scenario(c.scenario)
        overrides = {**scenario.overrides, **c.params(self.values).changed()}
        overrides.pop("residents", None)  # a run size, not a property of the town
        sources = [f"{name}: target {t.value:.4g}, fitted model {self.simulated[name]:.4g} "
                   f"(error {self.simulated[name] - t.value:+.4g}); {t.source}"
                   for name, t in c.targets.items()]
        description = (f"{scenario.title}, with {', '.join(c.bounds)} fitted by `carecap "
                       f"calibrate` ({c.name}) to {', '.join(c.targets)} over "
                       f"{c.replicates} replicates of {c.residents:,} residents for {c.days} "
                       f"days: loss {self.loss:.4g} (at the scenario's values "
                       f"{self.start_loss:.4g}) after {self.evaluations} evaluations.")
        lines = [f"title = {json.dumps(scenario.title + ', calibrated')}",
                 f"description = {json.dumps(description)}",
                 "sources = [", *(f"  {json.dumps(s)}," for s in [*scenario.sources, *sources]),
                 "]", "", "[overrides]",
                 *(f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
                   for k, v in overrides.items())]
        atomic_write(path, lambda tmp: tmp.write_text("\n".join(lines) + "\n",
                                                      encoding="utf-8"))


class _Done:
    """A call made at once in this process, with a future's ``result()`` (one worker)."""

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self.value = function(*args)

    def result(self) -> Any:
        return self.value


class _Objective:
    """The loss as a function of a point in the unit box, cached, evaluated in a pool."""

    def __init__(self, calibration: Calibration, pool: ProcessPoolExecutor | None,
                 progress: Callable[[int, int], None] | None) -> None:
        self.calibration = calibration
        self.pool = pool
        self.progress = progress
        self.low = np.array([b[0] for b in calibration.bounds.values()])
        self.span = np.array([b[1] - b[0] for b in calibration.bounds.values()])
        self.cache: dict[tuple[float, ...], tuple[float, dict[str, float]]] = {}
        self.history: list[tuple[dict[str, float], float]] = []

    def values(self, unit: np.ndarray) -> dict[str, float]:
        point = self.low + np.clip(unit, 0.0, 1.0) * self.span
        return {k: float(v) for k, v in zip(self.calibration.bounds, point, strict=True)}

    def evaluate(self, units: list[np.ndarray]) -> list[float]:
        """Losses of several points, their replicates run in parallel."""
        c = self.calibration
        keys = [tuple(np.round(np.clip(u, 0.0, 1.0), 12)) for u in units]
        new = [k for k in dict.fromkeys(keys) if k not in self.cache]
        submit = self.pool.submit if self.pool is not None else _Done
        jobs = {k: [submit(_summary, c.params(self.values(np.array(k))), c.root_seed + r,
                           c.days) for r in range(c.replicates)]
                for k in new}
        for key, futures in jobs.items():
            summaries = [f.result() for f in futures]
            simulated = {name: float(np.mean([s[name] for s in summaries]))
                         for name in c.targets}
            loss = c.loss(simulated)
            self.cache[key] = (loss, simulated)
            self.history.append((self.values(np.array(key)), loss))
            if self.progress is not None:
                self.progress(min(len(self.cache), c.max_evaluations), c.max_evaluations)
        return [self.cache[k][0] for k in keys]

    def best(self) -> tuple[tuple[float, ...], float, dict[str, float]]:
        key = min(self.cache, key=lambda k: self.cache[k][0])
        return key, *self.cache[key]


class _BudgetSpentError(Exception):
    """The evaluation budget is spent."""


def calibrate(calibration: Calibration, workers: int = 1,
              progress: Callable[[int, int], None] | None = None) -> Fit:
    """Fit the calibration's parameters to its targets.

    Args:
        calibration: What to fit.
        workers: Worker processes running replicates in parallel.
        progress: Called as ``progress(evaluations, max_evaluations)``.
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    from simulation.sweep.executor import worker_pool

    c = calibration
    k = len(c.bounds)
    scenario = load_scenario(c.scenario).params
    start = np.array([(getattr(scenario, name) - low) / (high - low)
                      for name, (low, high) in c.bounds.items()])
    # One worker runs in this process: no pool to start (and no model to load again).
    pool = worker_pool(workers) if workers > 1 else contextlib.nullcontext()
    with pool as executor:
        objective = _Objective(c, executor, progress)
        start_loss = objective.evaluate([np.clip(start, 0.0, 1.0)])[0]
        screen = min(c.screen, c.max_evaluations - 1)
        if screen > 0:
            objective.evaluate(list(qmc.LatinHypercube(d=k, seed=c.root_seed).random(screen)))

        def loss(unit: np.ndarray) -> float:
            if len(objective.cache) >= c.max_evaluations and \
                    tuple(np.round(np.clip(unit, 0.0, 1.0), 12)) not in objective.cache:
                raise _BudgetSpentError
            return objective.evaluate([unit])[0]

        best = np.array(objective.best()[0])
        simplex = np.vstack([best, *(np.clip(best + SIMPLEX_STEP * np.eye(k)[i]
                                             * (1 if best[i] < 0.5 else -1), 0.0, 1.0)
                                     for i in range(k))])
        with contextlib.suppress(_BudgetSpentError):  # the best point so far is the fit
            minimize(loss, best, method="Nelder-Mead", bounds=[(0.0, 1.0)] * k,
                     options={"initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-6,
                              "maxfev": c.max_evaluations})
        key, best_loss, simulated = objective.best()
        return Fit(c, objective.values(np.array(key)), simulated, best_loss, start_loss,
                   len(objective.cache), objective.history)

