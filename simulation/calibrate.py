"""``carecap calibrate``: the plausible settings of unobserved parameters, by history matching.

A calibration file::

    title = "Tower Hamlets: who cares"
    area = "tower_hamlets"          # optional: the town, and where its targets come from
    scenario = "baseline"           # the scenario whose parameters are fitted
    targets = ["carer_prevalence_5plus", "carers_50h_share"]
    replicates = 4                  # seeds root_seed .. root_seed + replicates - 1
    root_seed = 1000
    residents = 5000
    days = 365
    waves = 3                       # rounds of history matching
    points = 60                     # settings tried in each wave
    members = 20                    # plausible settings kept in the ensemble

    [parameters]                    # what is unobserved, and its plausible range
    need_threshold = [0.40, 0.60]
    strain_threshold = [4.0, 14.0]

**Targets are named, never copied.** Each name is a target's key: with an area, one of
the area's own targets (``areas/NAME.toml``); without one (or with England's), one of
the calibration targets of :mod:`simulation.targets`. A held-out target is refused: it
is never fitted. Every target reads one summary metric of one run, whose definition is
the published figure's (the Census's crude carer rate is carers over residents aged 5+,
as ``carer_prevalence_5plus`` is; see each target's ``why``).

**Method: history matching, directly on the model.** A setting is *implausible* if, for
some target, ``I = |model mean - published| / sqrt(tolerance^2 + sd^2 / replicates)``
exceeds 3, where ``model mean`` and ``sd`` are over the replicates (the same seeds for
every setting) and ``tolerance`` is a third of the target's band on the side the model
falls (the band a target declares in advance is read as three standard deviations of
what observation and model error allow: with no seed noise, a setting is plausible
exactly when every target's mean is inside its band). Wave 1 tries ``points`` settings
spread over the ranges (a Latin hypercube); each later wave tries ``points`` settings
near the plausible ones found so far (a plausible setting, moved by a normal step as
wide as the plausible settings' spread, kept in the ranges), or, while none is
plausible, near the least implausible. The ensemble is ``members`` plausible settings
chosen to cover the plausible region (the least implausible first, then each time the
one farthest from those chosen), each equally plausible: it is the set of settings the
targets cannot rule out, not a posterior distribution.

Why this, and not an optimiser, ABC-SMC or an emulator: the targets are few and come as
bands, which is what history matching's implausibility reads; the model is fast (a
year of 5,000 residents takes under half a second), so it can be run directly rather
than emulated, and nothing here needs a library beyond numpy and scipy's Latin
hypercube; and each wave is plain to explain and to check (every evaluation is
written). Its limits: without an emulator the waves spend runs on settings a Gaussian
process could rule out cheaply, so it suits a handful of parameters, not dozens; and
the ensemble covers the plausible region without weighting it.

**Budget.** ``waves × points × replicates`` runs. The shipped area calibrations are
3 × 80 × 4 = 960 runs of 5,000 residents for a year: a few minutes on 2 cores
(``docs/your-area.md`` gives the measured time).

**Outputs**, in the output folder (``out/calibration/NAME`` by default):
``evaluations.csv`` (every setting tried: wave, values, each target's mean, sd and
implausibility, whether plausible, whether a member), ``ensemble.toml`` (the members,
for ``carecap compare-ensemble``), ``best.toml`` (a scenario file of the least
implausible member, rooted in the area: ``carecap run best.toml``), ``fit.html`` (the
targets against the model with their bands, and the parameters' spread; opens offline)
and ``calibration.json`` (the sizes, each wave's count of plausible settings, the time
taken). Each says what made it (:mod:`simulation.provenance`): ``calibration.json`` has a
``provenance`` object (version, commit, date and the command), which is also the record
of ``evaluations.csv`` beside it; the TOML files start with the same as ``#`` comments,
with the area; ``fit.html`` ends with a line saying it.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from simulation import inputs, provenance
from simulation.areas import AreaError, area_reference, load_area
from simulation.ensemble import EnsembleFile, run_pool
from simulation.inputs import MAX_DAYS, MAX_SEED, InputError, seeds_problem
from simulation.params import SPECS, Params
from simulation.results import atomic_write
from simulation.rng import Streams
from simulation.runner import run
from simulation.scenarios import (
    ScenarioError,
    checked_whole,
    load_scenario,
    read_toml,
    refuse_unknown,
)
from simulation.targets import TARGETS, Target

TOP_KEYS = {"title", "description", "area", "scenario", "targets", "replicates", "root_seed",
            "residents", "days", "waves", "points", "members", "parameters"}
CUTOFF = 3.0  # implausibility above which a setting is ruled out (Pukelsheim's 3 sigma)
BAND_SIGMAS = 3.0  # a target's band, either side, read as this many standard deviations
SMALLEST_STEP = 0.05  # a later wave's step is at least this share of each range
NEAREST = 5  # while nothing is plausible, later waves search near this many best settings


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message names file and field."""


@dataclass(frozen=True)
class Calibration:
    """A parsed, validated calibration.

    Attributes:
        name: The file's stem (names the output folder).
        title: For people.
        scenario: The scenario whose parameters are fitted.
        area: The area (shipped name or path) the runs are rooted in, or ``None``.
        bounds: Each fitted parameter's range.
        targets: The targets aimed at (calibration role, read from one run each).
        replicates: Seeds per setting.
        root_seed: The first seed.
        residents: The town's size.
        days: Days reported per run.
        waves: Rounds of history matching.
        points: Settings tried per wave.
        members: Plausible settings kept.
        description: What it fits and why.
    """

    name: str
    title: str
    scenario: str
    area: str | None
    bounds: dict[str, tuple[float, float]]
    targets: tuple[Target, ...]
    replicates: int = 4
    root_seed: int = 0
    residents: int = 5_000
    days: int = 365
    waves: int = 3
    points: int = 60
    members: int = 20
    description: str = ""

    def resized(self, **sizes: int | None) -> Calibration:
        """The same calibration at other sizes (replicates, residents, days, waves, points).

        Raises:
            CalibrationError: If the replicates' seeds would pass the largest seed.
        """
        problem = seeds_problem(self.root_seed, sizes.get("replicates") or self.replicates)
        if problem:
            raise CalibrationError(f"calibration {self.name}: {problem}")
        return replace(self, **{k: v for k, v in sizes.items() if v is not None})

    @property
    def runs(self) -> int:
        """Model runs the calibration makes."""
        return self.waves * self.points * self.replicates

    def params(self, values: dict[str, float]) -> Params:
        """The scenario's parameters (in the area) with ``values`` (whole numbers rounded)."""
        return Params.from_overrides({**_typed(values), "residents": self.residents},
                                     base=load_scenario(self.scenario, area=self.area).params)


def _typed(values: dict[str, float]) -> dict[str, float | int]:
    return {k: round(v) if SPECS[k].type is int else float(v) for k, v in values.items()}


def load_calibration(path: str | Path, area: str | None = None) -> Calibration:
    """Read and validate a calibration file.

    Args:
        path: The file.
        area: An area (``--area``): the file's own if it names none, and the same area if
            it does.

    Raises:
        CalibrationError: The file is missing, malformed or names something unknown.
    """
    path = Path(path)
    data = read_toml(path, "calibration", CalibrationError)

    def fail(message: str) -> CalibrationError:
        return CalibrationError(f"{path}: {message}")

    if "scenarios" in data or "design" in data:
        raise fail("an experiment file (it names 'scenarios' or 'design'), not a "
                   "calibration: run it with `carecap sweep`")
    refuse_unknown(data, TOP_KEYS, fail)

    def whole(key: str, default: int, low: int, high: int) -> int:
        return checked_whole(data.get(key, default), key, low, high, fail)

    named = data.get("area")
    if named is not None and not isinstance(named, str):
        raise fail("field 'area' must name an area (a shipped name or a .toml path)")
    try:
        chosen = [load_area(a) for a in (named, area) if a is not None]
    except AreaError as error:
        raise fail(f"area: {error}") from None
    if len(chosen) == 2 and chosen[0].path.resolve() != chosen[1].path.resolve():
        raise fail(f"area: the file's is {chosen[0].name!r}, not {chosen[1].name!r} "
                   "(allowed: the same area, or no --area)")
    area = area if area is not None else named
    scenario = data.get("scenario", "baseline")
    if not isinstance(scenario, str):
        raise fail("field 'scenario' must name a scenario")
    try:
        load_scenario(scenario, area=area)
    except ScenarioError as error:
        raise fail(f"scenario: {error}") from None
    replicates, root_seed = whole("replicates", 4, 2, 10_000), whole("root_seed", 0, 0, MAX_SEED)
    problem = seeds_problem(root_seed, replicates)
    if problem:
        raise fail(problem)
    return Calibration(
        name=path.stem, title=str(data.get("title", path.stem)), scenario=scenario, area=area,
        bounds=_bounds(data.get("parameters"), fail),
        targets=_targets(data.get("targets"), chosen[0] if chosen else None, fail),
        replicates=replicates, root_seed=root_seed,
        residents=whole("residents", 5_000, 50, 5_000_000), days=whole("days", 365, 1, MAX_DAYS),
        waves=whole("waves", 3, 1, 100), points=whole("points", 60, 2, 100_000),
        members=whole("members", 20, 1, 10_000), description=str(data.get("description", "")))


def _bounds(table: Any, fail: Callable[[str], CalibrationError]) -> dict[str, tuple[float, float]]:
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


def _targets(keys: Any, area: Any, fail: Callable[[str], CalibrationError]
             ) -> tuple[Target, ...]:
    """The targets a file names, from the area's own or the national calibration ones."""
    pool = area.targets if area is not None else TARGETS
    where = f"the area {area.name!r}" if area is not None else "simulation/targets.py"
    fitted = [t.key for t in pool if t.role == "calibration" and t.per_metric is None]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise fail(f"field 'targets' must list target names (allowed, from {where}: "
                   f"{', '.join(fitted) or 'none'})")
    targets = []
    for key in keys:
        target = next((t for t in pool if t.key == key), None)
        if target is None:
            blank = area.blank_targets.get(key) if area is not None else None
            raise fail(f"targets: {key!r} is not a target of {where}"
                       + (f" (it is blank: {blank})" if blank else "")
                       + f" (allowed: {', '.join(fitted) or 'none'})")
        if target.role != "calibration":
            raise fail(f"targets: {key!r} is held out, never fitted (allowed: "
                       f"{', '.join(fitted)})")
        if target.per_metric is not None or target.arm != "baseline":
            raise fail(f"targets: {key!r} compares two runs; calibration fits targets read "
                       f"from one run (allowed: {', '.join(fitted)})")
        targets.append(target)
    return tuple(targets)


# -- history matching -------------------------------------------------------------------


def implausibility(target: Target, mean: float, sd: float, replicates: int) -> float:
    """How far a setting's mean is from a target, in standard deviations it allows.

    The tolerance is a third of the band on the side the mean falls; the mean's own seed
    noise (``sd / sqrt(replicates)``) is added in quadrature.
    """
    assert target.value is not None
    side = (target.high - target.value) if mean >= target.value else (target.value - target.low)
    scale = math.sqrt((side / BAND_SIGMAS) ** 2 + sd ** 2 / replicates)
    return abs(mean - target.value) / scale if scale > 0 else math.inf * (mean != target.value)


@dataclass
class Evaluation:
    """One setting tried: its values and how the model compares with each target."""

    wave: int
    values: dict[str, float]
    means: dict[str, float]
    sds: dict[str, float]
    implausibility: dict[str, float]

    @property
    def worst(self) -> float:
        """The largest implausibility over the targets."""
        return max(self.implausibility.values())

    @property
    def plausible(self) -> bool:
        """Not ruled out by any target."""
        return self.worst <= CUTOFF


@dataclass
class Result:
    """What a calibration found.

    Attributes:
        calibration: What was calibrated.
        evaluations: Every setting tried, in order.
        members: The ensemble, the least implausible first (empty if none is plausible).
        seconds: How long it took (a measurement, for people).
        truth: Known values, when checking that a calibration recovers them (drawn on
            the pictures).
    """

    calibration: Calibration
    evaluations: list[Evaluation]
    members: list[Evaluation]
    seconds: float = 0.0
    truth: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> Evaluation:
        """The least implausible setting tried."""
        return min(self.evaluations, key=lambda e: e.worst)

    def spread(self) -> dict[str, tuple[float, float]]:
        """Each parameter's lowest and highest value among the members."""
        return {name: (min(m.values[name] for m in self.members),
                       max(m.values[name] for m in self.members))
                for name in self.calibration.bounds}

    def table(self) -> pd.DataFrame:
        """Every evaluation as a row (what ``evaluations.csv`` holds)."""
        chosen = {id(m) for m in self.members}
        rows = []
        for number, e in enumerate(self.evaluations):
            row: dict[str, Any] = {"evaluation": number, "wave": e.wave, **e.values}
            for key in e.means:
                row |= {f"{key}_mean": e.means[key], f"{key}_sd": e.sds[key],
                        f"{key}_implausibility": e.implausibility[key]}
            rows.append(row | {"max_implausibility": e.worst, "plausible": e.plausible,
                               "member": id(e) in chosen})
        return pd.DataFrame(rows)

    def write(self, folder: Path, command: str | None = None) -> None:
        """Write every output (see the module's docstring) into ``folder``.

        Args:
            folder: Where they go (made if missing).
            command: The ``carecap calibrate`` command that made them, recorded in each
                (``None`` when called from Python).
        """
        folder.mkdir(parents=True, exist_ok=True)
        c = self.calibration
        made = {**provenance.stamp(), "command": command}
        # evaluations.csv stays a plain table (a "#" line would be a row in a spreadsheet
        # and break pandas' read_csv): calibration.json beside it records what made it.
        table = self.table()
        atomic_write(folder / "evaluations.csv", lambda tmp: table.to_csv(tmp, index=False))
        area = area_reference(c.area, folder)
        where = area if area is not None else "none (England's defaults)"
        how = (f"`carecap calibrate` of {c.name}, history matching {', '.join(c.bounds)} to "
               f"{', '.join(t.key for t in c.targets)}")
        EnsembleFile(c.title, area, c.scenario, tuple(t.key for t in c.targets),
                     tuple(c.bounds), tuple(_typed(m.values) for m in self.members)
                     ).write(folder / "ensemble.toml", provenance.comment_lines(
                         made, area=where, how=f"{how}: the plausible settings kept"))
        self._write_best(folder / "best.toml", area, provenance.comment_lines(
            made, area=where, how=f"{how}: the least implausible setting"))
        from simulation.calibration_figures import fit_page

        page = fit_page(self, "; ".join(line.removeprefix("# ")
                                        for line in provenance.comment_lines(made)))
        atomic_write(folder / "fit.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
        summary = {
            "provenance": made,
            "calibration": c.name, "title": c.title, "area": c.area, "scenario": c.scenario,
            "targets": {t.key: {"value": t.value, "low": t.low, "high": t.high,
                                "source": t.source} for t in c.targets},
            "bounds": {k: list(v) for k, v in c.bounds.items()},
            "sizes": {"replicates": c.replicates, "root_seed": c.root_seed,
                      "residents": c.residents, "days": c.days, "waves": c.waves,
                      "points": c.points, "runs": c.runs},
            "plausible_by_wave": [sum(e.plausible for e in self.evaluations if e.wave == w)
                                  for w in range(1, c.waves + 1)],
            "members": len(self.members), "spread": self.spread() if self.members else {},
            "best": {"values": self.best.values, "max_implausibility": self.best.worst},
            "seconds": round(self.seconds, 1), "workers_note": "seconds depend on workers",
            "params": c.params(self.best.values).as_record()}
        text = json.dumps(summary, indent=1, default=float)
        atomic_write(folder / "calibration.json", lambda tmp: tmp.write_text(text))

    def _write_best(self, path: Path, area: str | None, header: list[str]) -> None:
        """A scenario file: the scenario's overrides and the best member's values.

        Args:
            path: The file.
            area: The area it extends (as the file names it), or ``None``.
            header: Comment lines heading it (what made it).
        """
        c, best = self.calibration, self.best
        scenario = load_scenario(c.scenario, area=c.area)
        sources = [f"{t.key}: published {t.show(t.value)} (band {t.show(t.low)} to "
                   f"{t.show(t.high)}), model {t.show(best.means[t.key])}; {t.source}"
                   for t in c.targets]
        description = (f"{scenario.title}, with {', '.join(c.bounds)} at the least implausible "
                       f"setting `carecap calibrate` ({c.name}) found for "
                       f"{', '.join(t.key for t in c.targets)} over {c.replicates} replicates of "
                       f"{c.residents:,} residents for {c.days} days (largest implausibility "
                       f"{best.worst:.2f}); ensemble.toml beside it holds all "
                       f"{len(self.members)} plausible settings kept.")
        overrides = {**scenario.overrides, **_typed(best.values)}
        lines = header + ([f"extends = {json.dumps(area)}"] if area is not None else []) + [
            f"title = {json.dumps(scenario.title + ', calibrated')}",
            f"description = {json.dumps(description)}",
            "sources = [", *(f"  {json.dumps(s)}," for s in [*scenario.sources, *sources]), "]",
            "", "[overrides]",
            *(f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
              for k, v in overrides.items())]
        atomic_write(path, lambda tmp: tmp.write_text("\n".join(lines) + "\n", encoding="utf-8"))


def _summaries(params: Params, seed: int, days: int, metrics: tuple[str, ...]
               ) -> dict[str, float]:
    """One run's target metrics (what the workers compute)."""
    summary = run(None, params=params, seed=seed, days=days).summary
    return {name: summary[name] for name in metrics}


def _evaluate(c: Calibration, wave: int, points: np.ndarray, workers: int,
              progress: Callable[[int, int], None] | None, done: int) -> list[Evaluation]:
    """Run every replicate of every point (unit coordinates) and compare with the targets."""
    low = np.array([b[0] for b in c.bounds.values()])
    span = np.array([b[1] - b[0] for b in c.bounds.values()])
    settings = [dict(zip(c.bounds, (low + unit * span).tolist(), strict=True))
                for unit in points]
    settings = [{k: float(v) for k, v in _typed(s).items()} for s in settings]
    metrics = tuple(dict.fromkeys(t.metric for t in c.targets))
    calls = [(_summaries, (params, c.root_seed + r, c.days, metrics))
             for params in map(c.params, settings) for r in range(c.replicates)]
    tick = None if progress is None else (lambda k, n: progress(done + k, c.runs))
    results = run_pool(calls, workers, tick)
    evaluations = []
    for i, values in enumerate(settings):
        runs = results[i * c.replicates:(i + 1) * c.replicates]
        means, sds, scores = {}, {}, {}
        for t in c.targets:
            column = np.array([r[t.metric] for r in runs])
            means[t.key], sds[t.key] = float(column.mean()), float(column.std(ddof=1))
            scores[t.key] = implausibility(t, means[t.key], sds[t.key], c.replicates)
        evaluations.append(Evaluation(wave, values, means, sds, scores))
    return evaluations


def _units(c: Calibration, evaluations: list[Evaluation]) -> np.ndarray:
    low = np.array([b[0] for b in c.bounds.values()])
    span = np.array([b[1] - b[0] for b in c.bounds.values()])
    return (np.array([[e.values[k] for k in c.bounds] for e in evaluations]) - low) / span


def _next_wave(c: Calibration, evaluations: list[Evaluation],
               rng: np.random.Generator) -> np.ndarray:
    """Points near the plausible settings so far (or the least implausible ones)."""
    plausible = [e for e in evaluations if e.plausible]
    parents = plausible or sorted(evaluations, key=lambda e: e.worst)[:NEAREST]
    units = _units(c, parents)
    step = np.maximum(units.std(axis=0), SMALLEST_STEP) if len(units) > 1 \
        else np.full(len(c.bounds), SMALLEST_STEP * 2)
    chosen = units[rng.integers(len(units), size=c.points)]
    return np.clip(chosen + rng.normal(0.0, 1.0, chosen.shape) * step, 0.0, 1.0)


def _cover(c: Calibration, plausible: list[Evaluation]) -> list[Evaluation]:
    """Up to ``members`` plausible settings that cover the region they lie in.

    The least implausible first, then each time the one farthest (in the ranges' units)
    from those chosen.
    """
    if not plausible:
        return []
    ordered = sorted(plausible, key=lambda e: e.worst)
    units = _units(c, ordered)
    chosen = [0]
    distance = np.linalg.norm(units - units[0], axis=1)
    while len(chosen) < min(c.members, len(ordered)):
        far = int(np.argmax(distance))
        chosen.append(far)
        distance = np.minimum(distance, np.linalg.norm(units - units[far], axis=1))
    return [ordered[i] for i in chosen]


def calibrate(calibration: Calibration, workers: int = 1,
              progress: Callable[[int, int], None] | None = None) -> Result:
    """History-match the calibration's parameters to its targets.

    Args:
        calibration: What to calibrate.
        workers: Worker processes running the replicates.
        progress: Called as ``progress(runs_done, runs)``.

    Returns:
        Every evaluation and the ensemble of plausible settings. The same calibration
        gives the same result whatever ``workers`` is: the points come from the
        ``calibration`` stream of ``root_seed``, and every run has its own seed.
    """
    from scipy.stats import qmc

    c = calibration
    started = time.monotonic()
    rng = Streams(c.root_seed)["calibration"]
    points = qmc.LatinHypercube(d=len(c.bounds), seed=rng).random(c.points)
    evaluations: list[Evaluation] = []
    for wave in range(1, c.waves + 1):
        if wave > 1:
            points = _next_wave(c, evaluations, rng)
        evaluations += _evaluate(c, wave, points, workers, progress, len(evaluations)
                                 * c.replicates)
    members = _cover(c, [e for e in evaluations if e.plausible])
    return Result(c, evaluations, members, time.monotonic() - started)


def evaluate_setting(calibration: Calibration, values: dict[str, float],
                     workers: int = 1) -> Evaluation:
    """One setting run and compared with the targets as a calibration would (wave 0)."""
    c = calibration
    low = np.array([b[0] for b in c.bounds.values()])
    span = np.array([b[1] - b[0] for b in c.bounds.values()])
    unit = (np.array([values[k] for k in c.bounds]) - low) / span
    return _evaluate(c, 0, unit[None, :], workers, None, 0)[0]


def recovery_targets(calibration: Calibration, truth: dict[str, float],
                     seeds: range) -> tuple[Target, ...]:
    """The calibration's targets as the model itself gives them at known values.

    For checking that a calibration recovers what it should: each target's figure is the
    model's mean over ``seeds`` (not the calibration's own seeds) at ``truth``, with the
    same band around it as the published target has around its figure.
    """
    c = calibration
    metrics = tuple(dict.fromkeys(t.metric for t in c.targets))
    runs = run_pool([(_summaries, (c.params(truth), seed, c.days, metrics)) for seed in seeds],
                    workers=1)
    made = []
    for t in c.targets:
        assert t.value is not None
        value = float(np.mean([r[t.metric] for r in runs]))
        made.append(replace(t, value=value, low=value - (t.value - t.low),
                            high=value + (t.high - t.value),
                            published=f"the model at {truth}", source="the model itself"))
    return tuple(made)


# -- the command ----------------------------------------------------------------------


def command(args: argparse.Namespace, console: Console,
            progress_bar: Callable[[Console, str], ContextManager[Callable[[int, int], None]]]
            ) -> int:
    """Run ``carecap calibrate FILE``; returns the exit code (1 if nothing is plausible).

    Args:
        args: The command's arguments.
        console: Where to print.
        progress_bar: Makes the progress bar (the command line's).

    Raises:
        simulation.inputs.InputError: On a bad file or flag (nothing is written).
    """
    workers = inputs.whole_number("--workers", args.workers, 1, 1024)
    sizes = {"replicates": None if args.replicates is None else inputs.whole_number(
        "--replicates", args.replicates, 2, 10_000),
        "residents": None if args.residents is None else inputs.residents(
            "--residents", args.residents),
        "days": None if args.days is None else inputs.days("--days", args.days),
        "waves": None if args.waves is None else inputs.whole_number(
            "--waves", args.waves, 1, 100),
        "points": None if args.points is None else inputs.whole_number(
            "--points", args.points, 2, 100_000)}
    try:
        c = load_calibration(args.calibration, area=args.area).resized(**sizes)
    except CalibrationError as error:
        raise InputError(str(error)) from None
    # Checked now, made only when the results are written: a refused or interrupted
    # command leaves no empty folder behind.
    folder = inputs.output_folder("--out", args.out or str(Path("out") / "calibration" / c.name))
    where = f" in {load_area(c.area).title}" if c.area else ""
    console.print(f"{c.title}: history matching {', '.join(c.bounds)} to "
                  f"{', '.join(t.key for t in c.targets)}{where}: {c.waves} waves x "
                  f"{c.points} settings x {c.replicates} replicates = {c.runs} runs of "
                  f"{c.residents:,} residents, {c.days} days, {workers} workers")
    with progress_bar(console, "calibrate") as progress:
        result = calibrate(c, workers=workers, progress=progress)
    _print(console, result)
    try:
        result.write(folder, _command_line(args, folder))
    except OSError as error:
        raise InputError(f"cannot write output in {folder}: {error.strerror or error}") \
            from None
    console.print(f"written to {folder}: evaluations.csv, ensemble.toml, best.toml, fit.html, "
                  "calibration.json")
    return 0 if result.members else 1


def _command_line(args: argparse.Namespace, folder: Path) -> str:
    """The ``carecap calibrate`` command that makes the same outputs.

    ``--workers`` is left out: the results do not depend on it.
    """
    words = ["carecap", "calibrate", str(args.calibration)]
    for flag in ("replicates", "residents", "days", "waves", "points", "area"):
        if getattr(args, flag, None) is not None:
            words += [f"--{flag}", str(getattr(args, flag))]
    return provenance.command_line([*words, "--out", str(folder)])


def _print(console: Console, result: Result) -> None:
    c = result.calibration
    waves = ", ".join(f"wave {w}: {sum(e.plausible for e in result.evaluations if e.wave == w)}"
                      f"/{c.points}" for w in range(1, c.waves + 1))
    console.print(f"plausible settings ({waves}); {len(result.members)} kept; "
                  f"{result.seconds:.0f} s")
    if not result.members:
        console.print("[yellow]no setting is plausible:[/] the model does not reach every "
                      "target within these ranges (widen them, or see evaluations.csv for "
                      "the least implausible)")
    table = Table(title="Targets and the ensemble")
    for column in ("target", "published", "band", "least implausible", "members' range"):
        table.add_column(column, overflow="fold")  # names are never cut
    for t in c.targets:
        means = [m.means[t.key] for m in result.members]
        table.add_row(t.key, t.show(t.value), f"{t.show(t.low)} to {t.show(t.high)}",
                      t.show(result.best.means[t.key]),
                      f"{t.show(min(means))} to {t.show(max(means))}" if means else "none")
    console.print(table)
    if result.members:
        console.print("parameters' spread: " + ", ".join(
            f"{k} {lo:.4g} to {hi:.4g}" for k, (lo, hi) in result.spread().items()))
