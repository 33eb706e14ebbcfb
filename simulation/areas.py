"""Area profiles: a place's population, staffing, paid-care supply and local targets.

An area profile is a TOML file in ``areas/`` (or anywhere, named by its path)::

    title = "Tower Hamlets"
    code = "E09000030"                     # ONS geography code
    description = "..."

    [figures.age_shares]                   # what the town is made of
    counts = [64191, 195442, 33199, 13176, 4295]
    source = "ONS Census 2021 TS007 ..."

    [figures.female_share]                 # a figure that could not be found
    note = "not found: ... (tried ...)"

    [targets.carer_prevalence_5plus]       # a local figure calibration can aim at
    value = 0.0637
    low = 0.0557
    high = 0.0717
    published = "6.37% of residents aged 5+ provide unpaid care (crude)"
    source = "ONS Census 2021 TS039 ..."
    why = "why the band is where it is, and how the model's measure compares"

**Figures** set the population's :class:`~simulation.params.Structure` (``age_shares``,
``household_size_shares``, ``alone_age_shares``, ``children_aged_5_plus``) and any
parameter of ``carecap params`` (chiefly ``female_share``, ``minority_share``,
``professionals_per_1000`` and ``paid_care_hours_per_1000``). A figure has a ``value``
(or, for shares, ``counts`` that are divided by their total) and a ``source``; a figure
that could not be found stays blank, with a ``note`` saying so, and England's figure is
used in its place (``carecap area check`` lists each one).

**Targets** are local published figures, each with the band a model mean must fall in:
the same kind of :class:`~simulation.targets.Target` as the national ones, with the
metric it reads (by default its key), its ``role`` (``calibration``, the default, or
``held-out``: never fitted) and its ``unit`` (``share`` or ``ratio``; by default the
metric's). A target that could not be found stays blank with a note. England's profile
says ``national_targets = true`` instead: its targets are those of
:mod:`simulation.targets`, written once.

Every problem is a one-line message naming the file, the field and what is allowed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.inputs import InputError
from simulation.params import SPECS, STRUCTURE_FIELDS, ParamError, Params, Structure, coerce
from simulation.population import ADULT_FROM_BAND, AGE_BANDS, build_population
from simulation.targets import TARGETS, Target
from simulation.tomlfile import named_file, read_toml

if TYPE_CHECKING:
    from rich.console import Console

_HERE = Path(__file__).resolve().parent
AREA_DIR = next((d for d in (_HERE.parent / "areas", _HERE / "_areas") if d.is_dir()),
                _HERE.parent / "areas")
TOP_KEYS = {"title", "code", "description", "national_targets", "figures", "targets"}
FIGURE_KEYS = {"value", "counts", "source", "note"}
TARGET_KEYS = {"metric", "value", "low", "high", "published", "source", "why", "unit", "role",
               "note"}
# What a profile is expected to give: an absent one is reported by `carecap area check`.
EXPECTED_FIGURES = ("age_shares", "household_size_shares", "alone_age_shares",
                    "children_aged_5_plus", "female_share", "minority_share",
                    "professionals_per_1000", "paid_care_hours_per_1000")
EXPECTED_TARGETS = ("readmission_rate_30d", "carer_prevalence_5plus", "carers_50h_share",
                    "delayed_bed_share")
# Parameters an area cannot set: a run's size and length are not properties of a place.
NOT_FIGURES = {"residents", "warmup_days"}
_SHARES = {"age_shares": (len(AGE_BANDS), "age bands " + ", ".join(AGE_BANDS)),
           "household_size_shares": (6, "households of 1 to 6 (6 or more) people"),
           "alone_age_shares": (len(AGE_BANDS), "age bands " + ", ".join(AGE_BANDS))}
SHARE_TOLERANCE = 1e-9  # numpy draws need shares summing to 1 within about 1.5e-8


class AreaError(ValueError):
    """An area profile that cannot be used; the message names file and field."""


@dataclass(frozen=True)
class Figure:
    """One figure of a profile: given (``value``, ``source``) or blank (``note``)."""

    name: str
    value: float | tuple[float, ...] | None
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Problem:
    """What ``carecap area check`` says about one field.

    Attributes:
        field: The field, as it is written in the file (``figures.female_share``).
        kind: ``"error"`` (the file cannot be used), ``"missing"`` (absent, with no note
            saying why) or ``"blank"`` (not found, with a note).
        message: What is wrong, what is used instead or what is allowed.
    """

    field: str
    kind: str
    message: str


@dataclass(frozen=True)
class Area:
    """A parsed, validated area profile.

    Attributes:
        name: The file's stem (``tower_hamlets``): what links and records name.
        path: The file.
        title: The place's name, for people.
        code: Its ONS geography code.
        description: What it is and why it is here.
        figures: Every figure of the file, given or blank, by name.
        targets: Its targets with a figure (national ones for ``national_targets``).
        blank_targets: Its targets left blank: key -> note.
        params: England's defaults with the area's figures.
    """

    name: str
    path: Path
    title: str
    code: str
    description: str
    figures: dict[str, Figure]
    targets: tuple[Target, ...]
    blank_targets: dict[str, str]
    params: Params = field(repr=False)

    def target(self, key: str) -> Target | None:
        """The area's target called ``key``, or ``None``."""
        return next((t for t in self.targets if t.key == key), None)


def shipped_areas() -> list[str]:
    """Names of the shipped area profiles, England first."""
    names = sorted(p.stem for p in AREA_DIR.glob("*.toml"))
    return sorted(names, key=lambda name: name != "england")


def area_path(name_or_path: str | Path) -> Path:
    """The file of a shipped area's name, or the path given.

    Raises:
        AreaError: If a bare name is not a shipped area.
    """
    return named_file(name_or_path, AREA_DIR, "area", shipped_areas(), AreaError)


def area_reference(area: Area | str | Path | None, folder: Path | None = None) -> str | None:
    """An area as outputs name it: a shipped area's name, else its file's path.

    Args:
        area: An area, or a shipped name or a profile's path, or ``None``.
        folder: If given, a path is written relative to this folder (where the output
            that names it is kept); otherwise as it is.
    """
    if area is None:
        return None
    path = (area.path if isinstance(area, Area) else area_path(area)).resolve()
    if path.parent == AREA_DIR.resolve():
        return path.stem
    return os.path.relpath(path, folder.resolve()) if folder is not None else str(path)


def load_area(name_or_path: str | Path) -> Area:
    """Load a shipped area by name, or an area profile by path.

    Raises:
        AreaError: The file is missing or malformed, or a field is not allowed (the
            first such field; ``carecap area check`` lists them all).
    """
    path = area_path(name_or_path)
    area, problems = _read(path)
    errors = [p for p in problems if p.kind == "error"]
    if errors:
        raise AreaError(f"{path}: {errors[0].field}: {errors[0].message}")
    assert area is not None
    return area


def check_area(path: str | Path) -> list[Problem]:
    """Every problem of an area profile, one per field: errors, then what is missing.

    A file that cannot be read at all is one error (field ``file``).
    """
    try:
        return _read(area_path(path))[1]
    except AreaError as error:
        return [Problem("file", "error", str(error))]


def _read(path: Path) -> tuple[Area | None, list[Problem]]:
    """Parse a profile, collecting a problem per field; the area if it has no error."""
    data = read_toml(path, "area", AreaError)
    problems = [Problem(key, "error", f"unknown field (allowed: {', '.join(sorted(TOP_KEYS))})")
                for key in sorted(set(data) - TOP_KEYS)]
    for key in ("title", "code", "description"):
        if not isinstance(data.get(key, ""), str):
            problems.append(Problem(key, "error", "must be text"))
    figures = _figures(data.get("figures", {}), problems)
    national = data.get("national_targets", False)
    if not isinstance(national, bool):
        problems.append(Problem("national_targets", "error", f"{national!r} is not allowed "
                                "(allowed: true or false)"))
        national = False
    if national and data.get("targets"):
        problems.append(Problem("targets", "error", "a profile with national_targets = true "
                                "has no targets of its own (allowed: one or the other)"))
    targets, blank_targets = _targets(data.get("targets", {}), problems)
    if national:
        targets = TARGETS
    _missing(figures, targets, blank_targets, problems)
    if any(p.kind == "error" for p in problems):
        return None, problems
    name = path.stem
    structure = Structure(area=name, **{k: f.value for k, f in figures.items()
                                        if k in STRUCTURE_FIELDS and f.value is not None})
    scalars = {k: f.value for k, f in figures.items()
               if k not in STRUCTURE_FIELDS and f.value is not None}
    params = Params.from_overrides(scalars, base=dataclasses.replace(Params(),
                                                                      structure=structure))
    return Area(name=name, path=path, title=data.get("title", name), code=data.get("code", ""),
                description=data.get("description", ""), figures=figures,
                targets=tuple(targets), blank_targets=blank_targets,
                params=params), problems


def _figures(table: Any, problems: list[Problem]) -> dict[str, Figure]:
    if not isinstance(table, dict):
        problems.append(Problem("figures", "error", "must be a table of [figures.NAME]"))
        return {}
    figures = {}
    for name, entry in table.items():
        where = f"figures.{name}"

        def fail(message: str, where: str = where) -> None:
            problems.append(Problem(where, "error", message))

        if name not in STRUCTURE_FIELDS and (name not in SPECS or name in NOT_FIGURES):
            fail("unknown figure (allowed: " + ", ".join(EXPECTED_FIGURES)
                 + ", or another parameter of `carecap params` but residents and "
                 "warmup_days)")
            continue
        if not isinstance(entry, dict) or set(entry) - FIGURE_KEYS:
            fail(f"must be a table with {', '.join(sorted(FIGURE_KEYS))}")
            continue
        given = [k for k in ("value", "counts") if k in entry]
        if not given:
            note = entry.get("note")
            if not isinstance(note, str) or not note.strip():
                fail("has no value and no note (allowed: a value with its source, or a "
                     "note saying why it is blank)")
            else:
                figures[name] = Figure(name, None, note=note)
            continue
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            problems.append(Problem(f"{where}.source", "error",
                                    "must name the published table the figure comes from"))
            continue
        if len(given) > 1:
            fail("has both value and counts (allowed: one of them)")
            continue
        value = _figure_value(name, given[0], entry[given[0]], fail)
        if value is not None:
            figures[name] = Figure(name, value, source=source, note=entry.get("note", ""))
    return figures


def _figure_value(name: str, key: str, raw: Any,
                  fail: Callable[[str], None]) -> float | tuple[float, ...] | None:
    """A figure's value checked against what its name allows, or ``None`` after ``fail``."""
    if name in _SHARES:
        size, what = _SHARES[name]
        allowed = (f"{size} non-negative numbers, for {what}, " + (
            "whose total is above 0" if key == "counts" else "summing to 1 (or give counts)"))
        if not (isinstance(raw, list) and len(raw) == size and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                and v >= 0 for v in raw)):
            fail(f"{key} {raw!r} is not allowed (allowed: {allowed})")
            return None
        total = float(sum(raw))
        if key == "counts":
            if total <= 0:
                fail(f"counts {raw!r} total 0 (allowed: {allowed})")
                return None
            shares = tuple(float(v) / total for v in raw)
        else:
            if abs(total - 1.0) > SHARE_TOLERANCE:
                fail(f"value {raw!r} sums to {total:.6g} (allowed: {allowed})")
                return None
            shares = tuple(float(v) for v in raw)
        if name == "alone_age_shares" and shares[0] > 0:
            fail(f"{key} {raw!r} has children living alone (allowed: 0 for the 0-17 band; "
                 "every household has an adult)")
            return None
        if name == "age_shares" and sum(shares[ADULT_FROM_BAND:]) <= 0:
            fail(f"{key} {raw!r} has no adults (allowed: some residents aged 18+)")
            return None
        return shares
    if key == "counts":
        fail("counts are for shares of several groups (allowed: value)")
        return None
    if name == "children_aged_5_plus":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
            fail(f"value {raw!r} is not allowed (allowed: a share from 0 to 1)")
            return None
        return float(raw)
    try:
        return coerce(name, raw)
    except ParamError as error:
        fail(f"value {str(error).removeprefix(f'{name}: ')}")
        return None


def _targets(table: Any, problems: list[Problem]) -> tuple[list[Target], dict[str, str]]:
    if not isinstance(table, dict):
        problems.append(Problem("targets", "error", "must be a table of [targets.KEY]"))
        return [], {}
    targets, blank = [], {}
    for key, entry in table.items():
        where = f"targets.{key}"

        def fail(message: str, where: str = where) -> None:
            problems.append(Problem(where, "error", message))

        if not isinstance(entry, dict) or set(entry) - TARGET_KEYS:
            fail(f"must be a table with {', '.join(sorted(TARGET_KEYS))}")
            continue
        metric = entry.get("metric", key)
        if metric not in _metrics() or metric == "day":
            fail(f"metric {metric!r} is unknown (allowed: the metric names of `carecap run`; "
                 "a key that is not a metric names its metric)")
            continue
        if "value" not in entry:
            note = entry.get("note")
            if not isinstance(note, str) or not note.strip():
                fail("has no value and no note (allowed: a value with its band and source, "
                     "or a note saying why it is blank)")
            else:
                blank[key] = note
            continue
        target = _target(key, metric, entry, fail)
        if target is not None:
            targets.append(target)
    return targets, blank


def _metrics() -> dict[str, Any]:
    """The declared metrics by name.

    Imported when a profile's targets are read: the metrics import the model's compiled
    kernels, which the command line loads only where it runs the model.
    """
    from simulation.metrics import BY_NAME

    return BY_NAME


def _target(key: str, metric: str, entry: dict[str, Any],
            fail: Callable[[str], None]) -> Target | None:
    """One local target, checked, or ``None`` after ``fail``."""
    numbers = {}
    for part in ("value", "low", "high"):
        number = entry.get(part)
        if isinstance(number, bool) or not isinstance(number, int | float) \
                or not math.isfinite(number):
            fail(f"{part} is {number!r} (allowed: a number; value, low and high are all "
                 "needed)")
            return None
        numbers[part] = float(number)
    if not numbers["low"] <= numbers["value"] <= numbers["high"]:
        fail(f"band {numbers['low']:g} to {numbers['high']:g} does not hold the value "
             f"{numbers['value']:g} (allowed: low <= value <= high)")
        return None
    for part in ("published", "source", "why"):
        if not isinstance(entry.get(part), str) or not entry[part].strip():
            fail(f"{part} must be text (published: the figure as published; source: where; "
                 "why: why the band is where it is)")
            return None
    role = entry.get("role", "calibration")
    declared = _metrics()[metric]
    unit = entry.get("unit", "share" if declared.unit == "share" else "ratio")
    if role not in ("calibration", "held-out") or unit not in ("share", "ratio"):
        fail(f"role {role!r} or unit {unit!r} is not allowed (allowed: role calibration or "
             "held-out; unit share or ratio)")
        return None
    return Target(declared.label, role, metric, entry["published"], entry["source"],
                  numbers["low"], numbers["high"], unit, entry["why"],
                  value=numbers["value"] if role == "calibration" else None, key=key)


def _missing(figures: dict[str, Figure], targets: list[Target] | tuple[Target, ...],
             blank_targets: dict[str, str], problems: list[Problem]) -> None:
    """Report each expected figure or target that is blank or absent (and not wrong)."""
    england = Params()
    wrong = {p.field.removesuffix(".source") for p in problems}
    for name in EXPECTED_FIGURES:
        if f"figures.{name}" in wrong:
            continue
        used = getattr(england.structure, name) if name in STRUCTURE_FIELDS \
            else getattr(england, name)
        instead = f"England's {_shown(used)} is used"
        figure = figures.get(name)
        if figure is None:
            problems.append(Problem(f"figures.{name}", "missing",
                                    f"absent, with no note saying why; {instead}"))
        elif figure.value is None:
            problems.append(Problem(f"figures.{name}", "blank", f"{figure.note}; {instead}"))
    keys = {t.key for t in targets}
    for key in EXPECTED_TARGETS:
        if f"targets.{key}" in wrong:
            continue
        if key in blank_targets:
            problems.append(Problem(f"targets.{key}", "blank",
                                    f"{blank_targets[key]}; calibration has no local "
                                    "figure to aim at"))
        elif key not in keys:
            problems.append(Problem(f"targets.{key}", "missing",
                                    "absent, with no note saying why; calibration has no "
                                    "local figure to aim at"))


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:.3g}" for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


def area_flag(text: str | None) -> Area | None:
    """The ``--area FILE`` flag's area (a shipped name or a path), or ``None``.

    Raises:
        simulation.inputs.InputError: On a file that cannot be used, naming the flag.
    """
    if text is None:
        return None
    try:
        return load_area(text)
    except AreaError as error:
        raise InputError(f"--area {error}") from None


def command(args: argparse.Namespace, console: Console) -> int:
    """Run ``carecap area check FILE`` or ``carecap area show FILE``; returns the exit code.

    ``check`` prints one line per field that is wrong, blank or missing, and exits 2 if
    the file cannot be used, 1 if a figure is absent with no note saying why, else 0.
    ``show`` prints every figure the area's runs use, with its source (or the note and
    England's figure used instead), and its targets.
    """
    if args.area_command == "check":
        return _check(args.file, console)
    area = area_flag(args.file)
    assert area is not None
    _show(area, console)
    return 0


def _check(file: str, console: Console) -> int:
    problems = check_area(file)
    if [p.field for p in problems] == ["file"]:  # nothing to check: bad input, one line
        raise InputError(problems[0].message)
    for problem in problems:
        console.print(f"{file}: {problem.field}: {problem.kind}: {problem.message}",
                      highlight=False, soft_wrap=True)
    kinds = [p.kind for p in problems]
    errors, missing, blank = (kinds.count(k) for k in ("error", "missing", "blank"))
    verdict = ("cannot be used" if errors else
               "usable, but say why each missing figure is absent" if missing else "usable")
    console.print(f"{file}: {errors} error(s), {missing} missing, {blank} blank: {verdict}",
                  highlight=False, soft_wrap=True)
    return 2 if errors else 1 if missing else 0


def _show(area: Area, console: Console) -> None:
    from rich.table import Table

    from simulation.rng import Streams  # compiled kernels: imported only to build a town

    table = Table(title=f"{area.title} ({area.code}): what its runs use", show_lines=True)
    for column in ("figure", "value used", "source"):
        table.add_column(column, overflow="fold")
    for name in dict.fromkeys([*EXPECTED_FIGURES, *area.figures]):
        figure = area.figures.get(name)
        used = getattr(area.params.structure, name) if name in STRUCTURE_FIELDS \
            else getattr(area.params, name)
        if figure is not None and figure.value is not None:
            table.add_row(name, _shown(used), figure.source)
        else:
            why = figure.note if figure is not None else "absent"
            table.add_row(name, _shown(used), f"England's figure: {why}")
    console.print(table)
    town = build_population(area.params, Streams(0)["population"])
    built = np.bincount(town.age_band, minlength=len(AGE_BANDS)) / town.size
    console.print(f"The town as built ({town.size:,} residents, seed 0) has "
                  + ", ".join(f"{band} {share:.1%}" for band, share in zip(
                      AGE_BANDS, built, strict=True))
                  + " against the profile's " + ", ".join(
                      f"{share:.1%}" for share in area.params.structure.age_shares)
                  + ": every household has an adult and people living alone are drawn "
                  "from their own ages (docs/ODD.md, Departures from the conceptual model: "
                  "the age mix).", highlight=False)
    targets = Table(title="Its targets (calibration aims at the calibration ones)",
                    show_lines=True)
    for column in ("key", "role", "published", "band", "source"):
        targets.add_column(column, overflow="fold")
    for target in area.targets:
        targets.add_row(target.key, target.role, target.published,
                        f"{target.show(target.low)} to {target.show(target.high)}",
                        target.source)
    for key, note in area.blank_targets.items():
        targets.add_row(key, "blank", note, "", "")
    console.print(targets)
