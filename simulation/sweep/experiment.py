"""Experiment files (``experiments/*.toml``): what varies, how, over how many replicates.

An experiment file::

    title = "Peer visits x devolved decisions"
    description = "..."
    scenarios = ["baseline"]        # arms start from these scenarios
    replicates = 10                 # replicate r of every arm uses seed root_seed + r
    root_seed = 1
    days = 365
    residents = 10000
    outcomes = ["readmission_rate_30d", "unpaid_share_women"]
    area = "tower_hamlets"          # optional: every arm's town is this area's

    [base]                          # optional: overrides beneath every arm's scenario
                                    # (not residents or days: those are set above)
    budget_share = 0.4

    [design]
    kind = "factorial"              # see simulation/sweep/designs.py for every kind

    [design.factors]
    peer_scheme = [false, true]
    devolved_authority = [0.2, 0.8]

    [precision]                     # optional: add replicates until the CIs are this narrow
    half_widths = { readmission_rate_30d = 0.005 }
    max_replicates = 200
    batch = 10

Every arm is a scenario plus one point of the design, on top of the experiment's
``[base]`` (which the scenarios' own overrides win over) and its ``area``. Runs are
paired: replicate ``r`` of every arm uses the same seed, so arms share the town, the
ties and as many draws as the rules allow, and arm differences are paired. An arm's
label starts with its scenario's name, never the path of its file.

Four scenarios without a design can be declared a 2x2 factorial, in the order neither,
first only, second only, both: ``scenario_factorial = ["peer visits", "devolved
decisions"]`` names the two factors, and the report gives their interaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.areas import AreaError, load_area
from simulation.inputs import MAX_DAYS, MAX_SEED, seeds_problem
from simulation.metrics import DAILY, NAMES
from simulation.params import ParamError, Params
from simulation.scenarios import (
    ScenarioError,
    checked_whole,
    load_scenario,
    read_toml,
    refuse_unknown,
)
from simulation.sweep.designs import Design, parse_design, refuse_run_size
from simulation.tomlfile import is_bare_name

TOP_KEYS = {"title", "description", "scenarios", "replicates", "root_seed", "days",
            "residents", "outcomes", "design", "scenario_factorial", "precision", "area",
            "base"}
PRECISION_KEYS = {"half_widths", "max_replicates", "batch"}
MAX_REPLICATES = 100_000


class ExperimentError(ValueError):
    """An experiment file that cannot be used; the message names file and field."""


@dataclass(frozen=True)
class Arm:
    """One arm: a scenario and the parameter values that differ from it."""

    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short readable name, e.g. ``baseline peer_scheme=True devolved=0.8``.

        A scenario given as a file is named by the file's name, not its path.
        """
        parts = [Path(self.scenario).stem,
                 *(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in self.overrides.items())]
        return " ".join(parts)


@dataclass(frozen=True)
class Run:
    """One planned run: an arm, a replicate and its seed."""

    run_id: str
    arm: int
    replicate: int
    seed: int


@dataclass(frozen=True)
class Square:
    """A 2x2 factorial inside an experiment: four arms whose interaction the report gives."""

    first: str
    second: str
    base: int
    first_only: int
    second_only: int
    both: int


@dataclass(frozen=True)
class Precision:
    """A target precision: replicates are added until every arm's CI is this narrow.

    Attributes:
        half_widths: Outcome name -> largest allowed 95% CI half-width (outcome's unit).
        max_replicates: Stop here even if a target is not reached.
        batch: Replicates added per round.
    """

    half_widths: dict[str, float]
    max_replicates: int = 200
    batch: int = 10


@dataclass(frozen=True)
class Experiment:
    """A parsed, validated experiment."""

    name: str
    title: str
    description: str
    arms: tuple[Arm, ...]
    replicates: int
    root_seed: int
    days: int
    residents: int
    outcomes: tuple[str, ...]
    design: Design = field(default_factory=Design)
    scenarios: tuple[str, ...] = ("baseline",)
    squares: tuple[Square, ...] = ()
    precision: Precision | None = None
    area: str | None = None
    base: dict[str, Any] = field(default_factory=dict)

    def runs(self) -> list[Run]:
        """Every planned run, arm by arm, replicate by replicate."""
        return [Run(run_id=f"a{a:03d}-r{r:04d}", arm=a, replicate=r, seed=self.root_seed + r)
                for a in range(len(self.arms)) for r in range(self.replicates)]

    def params(self, arm: int) -> Params:
        """Validated parameters of an arm."""
        spec = self.arms[arm]
        base = load_scenario(spec.scenario, area=self.area, base=self.base).params
        return Params.from_overrides({**spec.overrides, "residents": self.residents}, base=base)

    def arm_records(self) -> list[dict[str, Any]]:
        """Each arm as the manifest records it, with every parameter it runs with."""
        return [{"scenario": a.scenario, "overrides": a.overrides, "label": a.label,
                 "params": self.params(i).as_record()} for i, a in enumerate(self.arms)]

    def resized(self, replicates: int | None = None, residents: int | None = None,
                days: int | None = None) -> Experiment:
        """The same experiment, shrunk or grown for a quick look or a bigger run.

        Raises:
            ExperimentError: If the replicates' seeds would pass the largest seed.
        """
        problem = seeds_problem(self.root_seed, replicates or self.replicates)
        if problem:
            raise ExperimentError(f"experiment {self.name}: {problem}")
        return Experiment(self.name, self.title, self.description, self.arms,
                          replicates or self.replicates, self.root_seed, days or self.days,
                          residents or self.residents, self.outcomes, self.design,
                          self.scenarios, self.squares, self.precision, self.area, self.base)


def _beside(experiment: Path, scenario: str) -> str:
    """Where a scenario file named in ``experiment`` is.

    A shipped name, or a path that exists as given, is kept; else the same relative path
    taken from the experiment file's folder, if that file exists.
    """
    given = Path(scenario)
    if is_bare_name(scenario) or given.is_absolute() or given.exists():
        return scenario
    beside = experiment.parent / given
    return str(beside) if beside.is_file() else scenario


def load_experiment(path: str | Path, area: str | None = None) -> Experiment:
    """Read and validate an experiment file.

    Args:
        path: The experiment file.
        area: An area for every arm (``carecap sweep --area``): the file's own ``area``
            if it has none, and it must be the same area if it has one.

    Raises:
        ExperimentError: The file is missing, malformed or names something unknown.
    """
    path = Path(path)
    data = read_toml(path, "experiment", ExperimentError)

    def fail(message: str) -> ExperimentError:
        return ExperimentError(f"{path}: {message}")

    if "targets" in data:
        raise fail("a calibration file (it names 'targets'), not an experiment: run it "
                   "with `carecap calibrate`")
    refuse_unknown(data, TOP_KEYS, fail)

    def whole(key: str, default: int, low: int, high: int) -> int:
        return checked_whole(data.get(key, default), key, low, high, fail)

    scenarios = data.get("scenarios", ["baseline"])
    if not isinstance(scenarios, list) or not scenarios \
            or not all(isinstance(s, str) for s in scenarios):
        raise fail("field 'scenarios' must be a list of scenario names")
    # A scenario file's path is read from where the command runs, else from the
    # experiment file's folder (as a scenario file's ``extends`` is).
    scenarios = [_beside(path, name) for name in scenarios]
    area, base = _area(data.get("area"), area, fail), data.get("base", {})
    if not isinstance(base, dict):
        raise fail("field 'base' must be a table of parameters (overrides beneath every arm)")
    for name in base:
        refuse_run_size("base", name, fail)
    try:  # checked here, so an error in it is not taken for one of a scenario's
        Params.from_overrides(base)
    except ParamError as error:
        raise fail(f"base.{error}") from None
    for name in scenarios:
        try:
            load_scenario(name, area=area, base=base)
        except ScenarioError as error:
            missing = not is_bare_name(name) and not Path(name).exists()
            where = f" (looked in the current folder and in {path.parent})" if missing else ""
            raise fail(f"scenarios: {error}{where}") from None
    names = {Path(s).stem: s for s in scenarios}
    if len(names) < len(set(scenarios)):
        raise fail("scenarios: two files share a name, so their arms' labels would too "
                   "(allowed: scenario files with different names)")
    outcomes = data.get("outcomes", [m.name for m in DAILY if m.name != "day"])
    if not isinstance(outcomes, list) or not all(o in NAMES for o in outcomes):
        bad = [o for o in outcomes if o not in NAMES] if isinstance(outcomes, list) else outcomes
        raise fail(f"field 'outcomes' has unknown metric {bad!r} "
                   "(allowed: the metric names of `carecap run`)")
    design = parse_design(data.get("design", {}), fail)
    points = design.points()
    arms = tuple(Arm(scenario, point) for scenario in scenarios for point in points)
    squares = [Square(first, second, *(offset + i for i in corners))
               for offset in range(0, len(arms), len(points))
               for first, second, corners in design.squares()]
    if "scenario_factorial" in data:
        names = data["scenario_factorial"]
        if not (isinstance(names, list) and len(names) == 2
                and all(isinstance(n, str) for n in names)) or len(arms) != 4:
            raise fail("field 'scenario_factorial' needs two factor names and exactly four "
                       "scenarios without a design (neither, first only, second only, both)")
        squares.append(Square(names[0], names[1], 0, 1, 2, 3))
    replicates, root_seed = whole("replicates", 10, 1, MAX_REPLICATES), \
        whole("root_seed", 0, 0, MAX_SEED)
    problem = seeds_problem(root_seed, replicates)
    if problem:
        raise fail(problem)
    return Experiment(
        name=path.stem, title=str(data.get("title", path.stem)),
        description=str(data.get("description", "")), arms=arms,
        replicates=replicates, root_seed=root_seed, days=whole("days", 365, 1, MAX_DAYS),
        residents=whole("residents", 10_000, 50, 5_000_000), outcomes=tuple(outcomes),
        design=design, scenarios=tuple(scenarios), squares=tuple(squares),
        precision=_precision(data.get("precision"), fail), area=area, base=dict(base))


def _area(named: Any, flag: str | None, fail) -> str | None:
    """The experiment's area: its file's ``area`` or the flag's, which must agree."""
    if named is not None and (not isinstance(named, str) or not named.strip()):
        raise fail("field 'area' must name an area (a shipped name or a .toml path)")
    for given in (named, flag):
        if given is not None:
            try:
                load_area(given)
            except AreaError as error:
                raise fail(f"area: {error}") from None
    if named is not None and flag is not None \
            and load_area(named).path.resolve() != load_area(flag).path.resolve():
        raise fail(f"area: the file's is {named!r}, not {flag!r} (allowed: the same area, "
                   "or no --area)")
    return flag if flag is not None else named


def _precision(table: Any, fail) -> Precision | None:
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) - PRECISION_KEYS:
        raise fail(f"field 'precision' must be a table with {', '.join(sorted(PRECISION_KEYS))}")
    return Precision(
        half_widths=parse_half_widths(table.get("half_widths"), "precision.half_widths", fail),
        max_replicates=checked_whole(table.get("max_replicates", 200),
                                     "precision.max_replicates", 2, MAX_REPLICATES, fail),
        batch=checked_whole(table.get("batch", 10), "precision.batch", 1, MAX_REPLICATES, fail))


def parse_half_widths(table: Any, where: str, fail) -> dict[str, float]:
    """Check ``{outcome: half_width}``: known outcomes, finite positive numbers.

    Args:
        table: The mapping as read.
        where: The field or flag to name in an error.
        fail: Makes the error to raise from a message.
    """
    if not isinstance(table, dict) or not table:
        raise fail(f"{where} must map outcomes to CI half-widths, e.g. "
                   "{ readmission_rate_30d = 0.005 }")
    for outcome, width in table.items():
        if outcome not in NAMES or outcome == "day":
            raise fail(f"{where}: unknown outcome {outcome!r} (allowed: the metric names of "
                       "`carecap run`)")
        if isinstance(width, bool) or not isinstance(width, int | float) \
                or not 0 < width < math.inf:  # inf would pass any interval, nan none
            raise fail(f"{where}.{outcome} is {width!r} (allowed: a finite number above 0, "
                       "in the outcome's unit)")
    return {k: float(v) for k, v in table.items()}
