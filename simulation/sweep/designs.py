"""Designs: which parameter points an experiment runs, each point one arm.

Two kinds list their levels (``[design.factors]``):

- ``factorial``: every combination of the levels;
- ``one_at_a_time``: the scenario itself, then each level of each factor alone.

Three kinds sample a box of parameter ranges (``[design.ranges]``) with SALib, for
uncertainty and sensitivity analysis:

- ``latin_hypercube``: ``samples`` points, each range cut into ``samples`` strata;
- ``sobol``: Saltelli's scheme, ``samples * (k + 2)`` points for ``k`` parameters
  (``samples * (2k + 2)`` with ``second_order = true``); ``samples`` a power of two;
- ``morris``: ``samples`` trajectories of ``k + 1`` points on a grid of ``levels``.

A range is ``[low, high]`` or ``"declared"`` for the range declared in
``simulation/params.py``. Whole-number parameters are rounded after sampling, to the
nearest whole number inside the range (so a whole-number range must hold two or more),
and those rounded values are the design's points, what the arms run and what the
analysis is given; on/off parameters cannot be sampled (use a factorial). ``seed``
fixes the sample, so the same file always plans the same points. The run's size
(``residents``, ``days``) is the experiment's, not a factor, a range or a ``[base]``
value: arms of different sizes would not be paired.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.params import SPECS, ParamError, coerce
from simulation.tomlfile import checked_whole

LISTED = ("factorial", "one_at_a_time")
SAMPLED = ("latin_hypercube", "sobol", "morris")
KINDS = LISTED + SAMPLED
RUN_SIZE = ("residents", "days")  # set once per experiment, never per arm
KEYS = {
    "factorial": {"kind", "factors"},
    "one_at_a_time": {"kind", "factors"},
    "latin_hypercube": {"kind", "ranges", "samples", "seed"},
    "sobol": {"kind", "ranges", "samples", "seed", "second_order"},
    "morris": {"kind", "ranges", "samples", "seed", "levels"},
}


@dataclass(frozen=True)
class Design:
    """A parsed design (see the module docstring for the kinds and their fields)."""

    kind: str = "factorial"
    factors: dict[str, list[Any]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    samples: int = 0
    seed: int = 0
    levels: int = 4
    second_order: bool = False

    @property
    def sampled(self) -> bool:
        """Whether the points are a random sample of ranges (not listed levels)."""
        return self.kind in SAMPLED

    def problem(self) -> dict[str, Any]:
        """The SALib problem: parameter names and bounds."""
        return {"num_vars": len(self.ranges), "names": list(self.ranges),
                "bounds": [list(b) for b in self.ranges.values()]}

    def sample(self) -> np.ndarray:
        """SALib's sample, one row per point, before whole numbers are rounded."""
        from SALib.sample import latin, morris, sobol

        problem = self.problem()
        if self.kind == "latin_hypercube":
            return latin.sample(problem, self.samples, seed=self.seed)
        if self.kind == "sobol":
            return sobol.sample(problem, self.samples, calc_second_order=self.second_order,
                                seed=self.seed)
        return morris.sample(problem, self.samples, num_levels=self.levels, seed=self.seed)

    def matrix(self) -> np.ndarray:
        """The values the arms run, one row per point: the sample, whole numbers rounded.

        A whole-number parameter is rounded to the nearest whole number inside its
        range, so no point leaves the range it was given.
        """
        matrix = self.sample()
        for column, (name, (low, high)) in enumerate(self.ranges.items()):
            if SPECS[name].type is int:
                matrix[:, column] = np.clip(np.round(matrix[:, column]), math.ceil(low),
                                            math.floor(high))
        return matrix

    def stuck(self) -> list[str]:
        """Whole-number parameters some Morris step rounds to no change at all.

        Morris's analysis reads which parameter a step moved from the values run; a
        step that rounds to the value before it would credit its effect to no one.
        """
        if self.kind != "morris":
            return []
        shape = (self.samples, len(self.ranges) + 1, len(self.ranges))
        planned = np.diff(self.sample().reshape(shape), axis=1) != 0
        moved = np.diff(self.matrix().reshape(shape), axis=1) != 0
        return [name for i, name in enumerate(self.ranges)
                if (planned[..., i] & ~moved[..., i]).any()]

    def points(self) -> list[dict[str, Any]]:
        """The parameter points (an empty dict is the scenario itself)."""
        if self.sampled:
            names = list(self.ranges)
            return [{name: _value(name, x) for name, x in zip(names, row, strict=True)}
                    for row in self.matrix()]
        if not self.factors:
            return [{}]
        if self.kind == "factorial":
            return [dict(zip(self.factors, combo, strict=True))
                    for combo in itertools.product(*self.factors.values())]
        return [{}, *({name: value} for name, values in self.factors.items()
                      for value in values)]

    def squares(self) -> list[tuple[str, str, tuple[int, int, int, int]]]:
        """Every 2x2 square of a factorial: two factors at their first and last levels.

        Returns:
            ``(first, second, (base, first only, second only, both))`` per pair of factors
            with at least two levels, as point indexes, other factors at their first level.
        """
        if self.kind != "factorial":
            return []
        names = list(self.factors)
        sizes = [len(v) for v in self.factors.values()]

        def index(levels: dict[int, int]) -> int:  # position in itertools.product order
            flat = 0
            for i, size in enumerate(sizes):
                flat = flat * size + levels.get(i, 0)
            return flat

        squares = []
        for i, j in itertools.combinations(range(len(names)), 2):
            if sizes[i] < 2 or sizes[j] < 2:
                continue
            a, b = sizes[i] - 1, sizes[j] - 1
            squares.append((f"{names[i]}={self.factors[names[i]][-1]}",
                            f"{names[j]}={self.factors[names[j]][-1]}",
                            (index({}), index({i: a}), index({j: b}), index({i: a, j: b}))))
        return squares

    def describe(self) -> dict[str, Any]:
        """What a report needs to analyse the design, as plain data (for the manifest)."""
        described: dict[str, Any] = {"kind": self.kind}
        if self.sampled:
            described.update(problem=self.problem(), samples=self.samples, seed=self.seed,
                             levels=self.levels, second_order=self.second_order,
                             matrix=self.matrix().tolist())
        else:
            described["factors"] = self.factors
        return described


def _value(name: str, x: float) -> int | float:
    """A point's value (already rounded if whole) in the parameter's declared type."""
    return int(x) if SPECS[name].type is int else float(x)


def parse_design(table: Any, fail: Callable[[str], Exception]) -> Design:
    """Read and validate an experiment's ``[design]`` table.

    Args:
        table: The table as read from TOML.
        fail: Makes the error to raise from a message naming the field and what is allowed.
    """
    if not isinstance(table, dict):
        raise fail("field 'design' must be a table")
    kind = table.get("kind", "factorial")
    if kind not in KINDS:
        raise fail(f"design.kind is {kind!r} (allowed: {', '.join(KINDS)})")
    unknown = set(table) - KEYS[kind]
    if unknown:
        raise fail(f"unknown field 'design.{sorted(unknown)[0]}' for kind {kind!r} "
                   f"(allowed: {', '.join(sorted(KEYS[kind]))})")
    if kind in LISTED:
        return Design(kind=kind, factors=_factors(table.get("factors", {}), fail))

    def whole(key: str, default: int | None, low: int, high: int) -> int:
        return checked_whole(table.get(key, default), f"design.{key}", low, high, fail)

    samples = whole("samples", None, 2, 1_000_000)
    if kind == "sobol" and samples & (samples - 1):
        raise fail(f"design.samples is {samples} (allowed for sobol: a power of two, "
                   "e.g. 64, 128, 256)")
    second_order = table.get("second_order", False)
    if not isinstance(second_order, bool):
        raise fail(f"design.second_order is {second_order!r} (allowed: true or false)")
    levels = whole("levels", 4, 2, 100)
    if kind == "morris" and levels % 2:
        raise fail(f"design.levels is {levels} (allowed for morris: an even number)")
    ranges = _ranges(table.get("ranges"), fail)
    design = Design(kind=kind, ranges=ranges, samples=samples,
                    seed=whole("seed", 0, 0, 2**32 - 1), levels=levels,
                    second_order=second_order)
    stuck = design.stuck()
    if stuck:
        raise fail(f"design.ranges.{stuck[0]} is {list(ranges[stuck[0]])!r}: some Morris steps "
                   "round to the same whole number (allowed: a wider range, 2 or more "
                   "apart always works, or fewer design.levels)")
    return design


def refuse_run_size(field: str, name: str, fail: Callable[[str], Exception]) -> None:
    """Refuse a run's size anywhere but the top of an experiment file.

    Arms of different sizes are different towns, so no paired comparison between them
    holds; and every arm runs at the experiment's own ``residents`` and ``days``, so a
    size in a design or in ``[base]`` would be overridden or recorded untrue.
    """
    if name in RUN_SIZE:
        raise fail(f"{field}.{name}: the run's size is the experiment's and cannot vary "
                   "between arms (arms of different sizes are different towns, not paired "
                   f"runs); allowed: '{name}' at the top of the file, one experiment per "
                   "size")


def _factors(factors: Any, fail: Callable[[str], Exception]) -> dict[str, list[Any]]:
    if not isinstance(factors, dict):
        raise fail("field 'design.factors' must be a table")
    levels: dict[str, list[Any]] = {}
    for name, values in factors.items():
        refuse_run_size("design.factors", name, fail)
        if not isinstance(values, list) or not values:
            raise fail(f"design.factors.{name} must be a non-empty list")
        try:
            levels[name] = [coerce(name, v) for v in values]
        except ParamError as error:
            raise fail(f"design.factors.{error}") from None
    return levels


def _ranges(ranges: Any, fail: Callable[[str], Exception]) -> dict[str, tuple[float, float]]:
    if not isinstance(ranges, dict) or not ranges:
        raise fail("field 'design.ranges' must be a table of NAME = [low, high] or "
                   "NAME = \"declared\"")
    checked: dict[str, tuple[float, float]] = {}
    for name, bounds in ranges.items():
        refuse_run_size("design.ranges", name, fail)
        spec = SPECS.get(name)
        if spec is None:
            raise fail(f"design.ranges.{name}: unknown parameter (see `carecap params`)")
        if spec.type is bool:
            raise fail(f"design.ranges.{name}: an on/off parameter cannot be sampled "
                       "(allowed: numeric parameters; vary it in a factorial instead)")
        if bounds == "declared":
            bounds = [spec.low, spec.high]
        if not (isinstance(bounds, list) and len(bounds) == 2
                and all(isinstance(b, int | float) and not isinstance(b, bool)
                        for b in bounds)):
            raise fail(f"design.ranges.{name} is {bounds!r} (allowed: [low, high] or "
                       "\"declared\")")
        low, high = (float(b) for b in bounds)
        if not spec.low <= low < high <= spec.high:
            raise fail(f"design.ranges.{name} is {bounds!r} (allowed: low < high within "
                       f"{spec.low:g} to {spec.high:g})")
        if spec.type is int and math.floor(high) <= math.ceil(low):
            raise fail(f"design.ranges.{name} is {bounds!r}: a whole-number parameter, and "
                       "the range holds fewer than two whole numbers, so every point would "
                       "run the same value (allowed: a range holding two or more)")
        checked[name] = (low, high)
    return checked
