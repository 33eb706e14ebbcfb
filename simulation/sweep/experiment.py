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

    [design]
    kind = "factorial"              # factorial (every combination) or one_at_a_time

    [design.factors]
    peer_scheme = [false, true]
    devolved_authority = [0.2, 0.8]

Every arm is a scenario plus one point of the design. Runs are paired: replicate ``r``
of every arm uses the same seed, so arms share the town, the ties and as many draws as
the rules allow, and arm differences are paired.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.metrics import NAMES
from simulation.params import ParamError, Params, coerce
from simulation.scenarios import ScenarioError, load_scenario, read_toml

DESIGNS = ("factorial", "one_at_a_time")
TOP_KEYS = {"title", "description", "scenarios", "replicates", "root_seed", "days",
            "residents", "outcomes", "design"}


class ExperimentError(ValueError):
    """An experiment file that cannot be used; the message names file and field."""


@dataclass(frozen=True)
class Arm:
    """One arm: a scenario and the parameter values that differ from it."""

    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short readable name, e.g. ``baseline peer_scheme=True devolved=0.8``."""
        parts = [self.scenario, *(f"{k}={v}" for k, v in self.overrides.items())]
        return " ".join(parts)


@dataclass(frozen=True)
class Run:
    """One planned run: an arm, a replicate and its seed."""

    run_id: str
    arm: int
    replicate: int
    seed: int


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

    def runs(self) -> list[Run]:
        """Every planned run, arm by arm, replicate by replicate."""
        return [Run(run_id=f"a{a:03d}-r{r:04d}", arm=a, replicate=r, seed=self.root_seed + r)
                for a in range(len(self.arms)) for r in range(self.replicates)]

    def params(self, arm: int) -> Params:
        """Validated parameters of an arm."""
        spec = self.arms[arm]
        base = load_scenario(spec.scenario).params
        return Params.from_overrides({**spec.overrides, "residents": self.residents}, base=base)

    def resized(self, replicates: int | None = None, residents: int | None = None,
                days: int | None = None) -> Experiment:
        """The same experiment, shrunk or grown for a quick look or a bigger run."""
        return Experiment(self.name, self.title, self.description, self.arms,
                          replicates or self.replicates, self.root_seed, days or self.days,
                          residents or self.residents, self.outcomes)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Raises:
        ExperimentError: The file is missing, malformed or names something unknown.
    """
    path = Path(path)
    data = read_toml(path, "experiment", ExperimentError)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ExperimentError(f"{path}: unknown field {sorted(unknown)[0]!r} "
                              f"(allowed: {', '.join(sorted(TOP_KEYS))})")

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ExperimentError(f"{path}: field {key!r} is {value!r} (allowed: a whole "
                                  f"number from {low} to {high})")
        return value

    scenarios = data.get("scenarios", ["baseline"])
    if not isinstance(scenarios, list) or not scenarios \
            or not all(isinstance(s, str) for s in scenarios):
        raise ExperimentError(f"{path}: field 'scenarios' must be a list of scenario names")
    for name in scenarios:
        try:
            load_scenario(name)
        except ScenarioError as error:
            raise ExperimentError(f"{path}: scenarios: {error}") from None
    outcomes = data.get("outcomes", list(NAMES))
    if not isinstance(outcomes, list) or not all(o in NAMES for o in outcomes):
        bad = [o for o in outcomes if o not in NAMES] if isinstance(outcomes, list) else outcomes
        raise ExperimentError(f"{path}: field 'outcomes' has unknown metric {bad!r} "
                              "(allowed: the metric names of `carecap run`)")
    points = _design_points(path, data.get("design", {}))
    arms = tuple(Arm(scenario, point) for scenario in scenarios for point in points)
    return Experiment(
        name=path.stem, title=str(data.get("title", path.stem)),
        description=str(data.get("description", "")), arms=arms,
        replicates=whole("replicates", 10, 1, 100_000), root_seed=whole("root_seed", 0, 0,
                                                                        2**62),
        days=whole("days", 365, 1, 36_500), residents=whole("residents", 10_000, 50, 5_000_000),
        outcomes=tuple(outcomes))


def _design_points(path: Path, design: Any) -> list[dict[str, Any]]:
    """The parameter points of a design (an empty dict is the scenario itself)."""
    if not isinstance(design, dict):
        raise ExperimentError(f"{path}: field 'design' must be a table")
    kind = design.get("kind", "factorial")
    if kind not in DESIGNS:
        raise ExperimentError(f"{path}: design.kind is {kind!r} (allowed: "
                              f"{', '.join(DESIGNS)})")
    unknown = set(design) - {"kind", "factors"}
    if unknown:
        raise ExperimentError(f"{path}: unknown field 'design.{sorted(unknown)[0]}' "
                              "(allowed: kind, factors)")
    factors = design.get("factors", {})
    if not isinstance(factors, dict):
        raise ExperimentError(f"{path}: field 'design.factors' must be a table")
    levels: dict[str, list[Any]] = {}
    for name, values in factors.items():
        if not isinstance(values, list) or not values:
            raise ExperimentError(f"{path}: design.factors.{name} must be a non-empty list")
        try:
            levels[name] = [coerce(name, v) for v in values]
        except ParamError as error:
            raise ExperimentError(f"{path}: design.factors.{error}") from None
    if not levels:
        return [{}]
    if kind == "factorial":
        return [dict(zip(levels, combo, strict=True))
                for combo in itertools.product(*levels.values())]
    # one at a time: the scenario itself, then each level of each factor alone
    return [{}, *({name: value} for name, values in levels.items() for value in values)]
