"""Scenario files: a description, sources, lesson notes and parameter overrides.

A scenario is a TOML file::

    title = "Peer visits after discharge"
    description = "..."
    sources = ["..."]
    extends = "baseline"        # optional: the scenario or area it builds on
    start_day = 90              # optional: its overrides start on day 90 (or, per lever,
                                # a table: [start_day] peer_scheme = 90)

    [lesson]
    look_for = ["..."]
    questions = ["..."]

    [overrides]
    peer_scheme = true

Shipped scenarios live in the project's ``scenarios/`` folder; a modeller's own file
is named by its path.

**Building on each other.** ``extends`` names a shipped scenario or area, or the path
of a scenario or area file (relative to the file that names it). A scenario's
parameters are its base's, then its own overrides; a chain ends at an area profile
(:mod:`simulation.areas`) or at England's defaults. A run may also be given an area
(``carecap run --area``): the chain then ends there, and a chain that names another
area is refused.

**Starting on a day.** An override with a start day keeps the base's value until that
day (counted from day 1, the first reported day after the warm-up) and takes the
scenario's from it on (:class:`~simulation.params.Change`). Overrides without one are
in force from the start, the warm-up included.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.areas import Area, AreaError, area_path, area_reference, load_area
from simulation.params import ParamError, Params
from simulation.tomlfile import (
    checked_whole,
    is_bare_name,
    named_file,
    read_toml,
    refuse_unknown,
)

__all__ = ["SCENARIO_DIR", "Scenario", "ScenarioError", "checked_whole", "load_scenario",
           "read_toml", "refuse_unknown", "resolve_params", "shipped"]

_HERE = Path(__file__).resolve().parent
SCENARIO_DIR = next((d for d in (_HERE.parent / "scenarios", _HERE / "_scenarios")
                     if d.is_dir()), _HERE.parent / "scenarios")
ALLOWED_KEYS = {"title", "description", "sources", "lesson", "overrides", "extends",
                "start_day"}
LESSON_KEYS = {"look_for", "questions"}
# Keys only an area profile has: a file naming one of them in ``extends`` is an area.
_AREA_KEYS = {"figures", "national_targets", "targets", "code"}
MAX_CHAIN = 32  # scenarios extending scenarios: far more than anyone writes


class ScenarioError(ValueError):
    """A scenario that cannot be found or read; the message names file and field."""


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario.

    Attributes:
        name: The file's stem: what records and arm labels name it by.
        path: The file.
        title: Its title, for people.
        description: What it shows.
        sources: Where its settings come from.
        look_for: Lesson notes: what students should look for.
        questions: Lesson notes: questions to ask.
        overrides: Its own overrides (not its base's).
        params: Its parameters: its base's (area, extended scenarios), then its own
            overrides, with the levers that start on a day in ``params.schedule``.
        extends: What it names as its base, as written (``None``: England's defaults).
        start_days: Its own overrides that start on a day: name -> day.
        area: The area its chain ends at: a shipped area's name (``"england"`` for the
            defaults), or the path of a profile that is not shipped.
    """

    name: str
    path: Path
    title: str
    description: str
    sources: tuple[str, ...]
    look_for: tuple[str, ...]
    questions: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    params: Params = field(default_factory=Params)
    extends: str | None = None
    start_days: dict[str, int] = field(default_factory=dict)
    area: str = "england"


def shipped() -> list[str]:
    """Names of the shipped scenarios, baseline first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda name: name != "baseline")


def scenario_path(name_or_path: str | Path) -> Path:
    """The file of a shipped scenario's name, or the path given.

    Raises:
        ScenarioError: If a bare name is not a shipped scenario.
    """
    return named_file(name_or_path, SCENARIO_DIR, "scenario", shipped(), ScenarioError)


def load_scenario(name_or_path: str | Path, area: Area | str | Path | None = None,
                  base: Mapping[str, Any] | None = None,
                  start_day: int | None = None) -> Scenario:
    """Load a shipped scenario by name, or a scenario file by path, with its base.

    Args:
        name_or_path: A shipped scenario's name or a scenario file's path.
        area: The area the scenario's chain ends at (an :class:`Area`, or a shipped
            area's name or a profile's path); ``None`` for the chain's own, or England.
        base: Overrides applied to the area before any scenario (an experiment's
            ``[base]``): the scenarios' own overrides win over them.
        start_day: If given, every one of this scenario's own overrides starts on this
            day (its file's ``start_day`` is replaced; extended scenarios keep theirs).

    Raises:
        ScenarioError: Unknown name, unreadable or malformed file, unknown field, an
            override the parameter declarations refuse, a chain that loops, or an area
            other than the one the chain names.
    """
    chain, chained_area = _chain(scenario_path(name_or_path))
    root = _root_area(chain[-1][0], chained_area, area)
    params = root.params if root is not None else Params()
    if base:
        try:
            params = Params.from_overrides(base, base=params)
        except ParamError as error:
            raise ScenarioError(f"base.{error}") from None
    scenario = None
    for depth, (path, data) in enumerate(reversed(chain)):
        leaf_start = start_day if depth == len(chain) - 1 else None
        scenario = _parse(path, data, params, leaf_start)
        params = scenario.params
    assert scenario is not None
    if root is not None:
        # A shipped area by name, another by its path, so the area can be loaded again.
        scenario = dataclasses.replace(scenario, area=area_reference(root))
    return scenario


def _chain(path: Path) -> tuple[list[tuple[Path, dict[str, Any]]], Path | None]:
    """The scenario files from ``path`` up its ``extends``, and the area that ends it."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    while True:
        data = read_toml(path, "scenario", ScenarioError)
        if path.resolve() in seen:
            raise ScenarioError(f"{path}: extends: the chain loops back to {path.name} "
                                "(allowed: a chain that ends at an area or the defaults)")
        seen.append(path.resolve())
        chain.append((path, data))
        if len(chain) > MAX_CHAIN:
            raise ScenarioError(f"{path}: extends: more than {MAX_CHAIN} scenarios in a chain")
        named = data.get("extends")
        if named is None:
            return chain, None
        if not isinstance(named, str) or not named.strip():
            raise ScenarioError(f"{path}: field 'extends' must name a scenario or an area "
                                "(a shipped name, or a .toml path)")
        target = _extended(path, named)
        if _is_area(target):
            return chain, target
        path = target


def _extended(path: Path, named: str) -> Path:
    """The file ``extends = named`` in ``path`` names: a shipped name, or a relative path."""
    if is_bare_name(named):
        scenario, area = SCENARIO_DIR / f"{named}.toml", None
        with contextlib.suppress(AreaError):
            area = area_path(named)
        if scenario.is_file() and area is not None:
            raise ScenarioError(f"{path}: extends: {named!r} is both a shipped scenario and "
                                "a shipped area (allowed: a path to say which)")
        if scenario.is_file():
            return scenario
        if area is not None:
            return area
        raise ScenarioError(f"{path}: extends: {named!r} is unknown (allowed: a shipped "
                            f"scenario ({', '.join(shipped())}), a shipped area, or the path "
                            "of a .toml file)")
    target = Path(named)
    return target if target.is_absolute() else path.parent / target


def _is_area(path: Path) -> bool:
    return bool(_AREA_KEYS & set(read_toml(path, "scenario or area", ScenarioError)))


def _root_area(leaf: Path, chained: Path | None, given: Area | str | Path | None) -> Area | None:
    """The area a chain ends at: the one it names, the one given, or none (England)."""
    try:
        named = load_area(chained) if chained is not None else None
        asked = given if isinstance(given, Area) or given is None else load_area(given)
    except AreaError as error:
        raise ScenarioError(str(error)) from None
    if named is not None and asked is not None \
            and named.path.resolve() != asked.path.resolve():
        raise ScenarioError(f"{leaf}: extends: its chain is for the area {named.name!r}, "
                            f"not {asked.name!r} (allowed: the same area, or a scenario "
                            "that names none)")
    return named or asked


def _parse(path: Path, data: dict[str, Any], base: Params,
           start_day: int | None = None) -> Scenario:
    """One scenario file on top of ``base``: its base's parameters, then its overrides."""
    refuse_unknown(data, ALLOWED_KEYS, lambda message: ScenarioError(f"{path}: {message}"))
    for key in ("title", "description"):
        if not isinstance(data.get(key, ""), str):
            raise ScenarioError(f"{path}: field {key!r} must be text")
    lesson = data.get("lesson", {})
    if not isinstance(lesson, dict) or set(lesson) - LESSON_KEYS:
        raise ScenarioError(f"{path}: field 'lesson' allows only "
                            f"{', '.join(sorted(LESSON_KEYS))}")
    lists = {"sources": data.get("sources", []), "lesson.look_for": lesson.get("look_for", []),
             "lesson.questions": lesson.get("questions", [])}
    for key, value in lists.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(f"{path}: field {key!r} must be a list of text")
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{path}: field 'overrides' must be a table of parameters")
    start_days = _start_days(path, data.get("start_day"), overrides) if start_day is None \
        else dict.fromkeys(overrides, start_day)
    try:
        params = Params.from_overrides(overrides, base=base, start_days=start_days)
    except ParamError as error:
        where = "" if error.name.startswith("start_day.") else "overrides."
        raise ScenarioError(f"{path}: {where}{error}") from None
    return Scenario(name=path.stem, path=path, title=data.get("title", path.stem),
                    description=data.get("description", ""),
                    sources=tuple(lists["sources"]), look_for=tuple(lists["lesson.look_for"]),
                    questions=tuple(lists["lesson.questions"]), overrides=dict(overrides),
                    params=params, extends=data.get("extends"), start_days=start_days)


def _start_days(path: Path, value: Any, overrides: dict[str, Any]) -> dict[str, int]:
    """The file's ``start_day``: one day for all its overrides, or a table by lever."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)  # each is checked with its parameter (Params.from_overrides)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{path}: field 'start_day' is {value!r} (allowed: a whole "
                            "number, the day its overrides start, or a table of them by "
                            "parameter)")
    return dict.fromkeys(overrides, value)


def resolve_params(scenario: str | Path | None, params: Params | None,
                   overrides: dict[str, Any],
                   area: Area | str | Path | None = None,
                   start_day: int | None = None) -> tuple[Params, str]:
    """Combine a scenario (or given params, or the defaults) with overrides.

    Args:
        scenario: A shipped scenario's name or a scenario file's path, or ``None``.
        params: Parameters to start from instead of a scenario (they carry their area).
        overrides: Parameters by name, applied last.
        area: The area a scenario's chain, or the defaults, are rooted in.
        start_day: The day the scenario's own overrides start (:func:`load_scenario`).

    Returns:
        The validated parameters and the scenario's name (``"custom"`` without one).
    """
    if scenario is not None and params is not None:
        raise ValueError("give either a scenario or params, not both")
    if params is not None and area is not None:
        raise ValueError("give either params or an area: params carry their own area")
    if scenario is not None:
        loaded = load_scenario(scenario, area=area, start_day=start_day)
        return Params.from_overrides(overrides, base=loaded.params), loaded.name
    if area is not None:
        try:
            params = area.params if isinstance(area, Area) else load_area(area).params
        except AreaError as error:
            raise ScenarioError(str(error)) from None
    return Params.from_overrides(overrides, base=params), "custom"
