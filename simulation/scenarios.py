"""Scenario files: a description, sources, lesson notes and parameter overrides.

A scenario is a TOML file::

    title = "Peer visits after discharge"
    description = "..."
    sources = ["..."]

    [lesson]
    look_for = ["..."]
    questions = ["..."]

    [overrides]
    peer_scheme = true

Shipped scenarios live in the project's ``scenarios/`` folder; a modeller's own file
is named by its path.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.params import ParamError, Params

_HERE = Path(__file__).resolve().parent
SCENARIO_DIR = next((d for d in (_HERE.parent / "scenarios", _HERE / "_scenarios")
                     if d.is_dir()), _HERE.parent / "scenarios")
ALLOWED_KEYS = {"title", "description", "sources", "lesson", "overrides"}
LESSON_KEYS = {"look_for", "questions"}


class ScenarioError(ValueError):
    """A scenario that cannot be found or read; the message names file and field."""


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario."""

    name: str
    path: Path
    title: str
    description: str
    sources: tuple[str, ...]
    look_for: tuple[str, ...]
    questions: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    params: Params = field(default_factory=Params)


def shipped() -> list[str]:
    """Names of the shipped scenarios, baseline first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda name: name != "baseline")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name, or a scenario file by path.

    Raises:
        ScenarioError: Unknown name, unreadable or malformed file, unknown field, or an
            override the parameter declarations refuse.
    """
    text = str(name_or_path)
    path = Path(text)
    if not text.endswith(".toml") and path.parent == Path("."):
        path = SCENARIO_DIR / f"{text}.toml"
        if not path.is_file():
            raise ScenarioError(f"scenario {text!r}: unknown (shipped: {', '.join(shipped())};"
                                " or give the path of a .toml file)")
    return _parse(path, read_toml(path, "scenario", ScenarioError))


def read_toml(path: Path, what: str, error: type[ValueError]) -> dict[str, Any]:
    """Read a TOML file, turning every way it can fail into one ``error`` naming it.

    An empty file (nothing but blanks and comments) is refused too: it would run as the
    defaults, and is almost always the wrong file or one not yet saved.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot be read ({problem})") from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path}: not valid TOML ({problem})") from None
    if not data:
        raise error(f"{path}: empty {what} file (allowed: at least one field)")
    return data


def refuse_unknown(data: dict[str, Any], allowed: set[str] | frozenset[str],
                   fail: Callable[[str], Exception]) -> None:
    """Raise ``fail(message)`` naming the first field of ``data`` not in ``allowed``."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise fail(f"unknown field {sorted(unknown)[0]!r} (allowed: "
                   f"{', '.join(sorted(allowed))})")


def checked_whole(value: Any, field: str, low: int, high: int,
                  fail: Callable[[str], Exception]) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``.

    Otherwise raises ``fail(message)``, the message naming ``field`` and what is allowed:
    the one check the experiment, design and calibration files use for counts.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(f"field {field!r} is {value!r} (allowed: a whole number from {low} to "
                   f"{high})")
    return value


def _parse(path: Path, data: dict[str, Any]) -> Scenario:
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
    try:
        params = Params.from_overrides(overrides)
    except ParamError as error:
        raise ScenarioError(f"{path}: overrides.{error}") from None
    return Scenario(name=path.stem, path=path, title=data.get("title", path.stem),
                    description=data.get("description", ""),
                    sources=tuple(lists["sources"]), look_for=tuple(lists["lesson.look_for"]),
                    questions=tuple(lists["lesson.questions"]), overrides=dict(overrides),
                    params=params)


def resolve_params(scenario: str | Path | None, params: Params | None,
                   overrides: dict[str, Any]) -> tuple[Params, str]:
    """Combine a scenario (or given params, or the defaults) with overrides.

    Returns:
        The validated parameters and the scenario's name (``"custom"`` without one).
    """
    if scenario is not None and params is not None:
        raise ValueError("give either a scenario or params, not both")
    if scenario is not None:
        loaded = load_scenario(scenario)
        return Params.from_overrides(overrides, base=loaded.params), loaded.name
    return Params.from_overrides(overrides, base=params), "custom"
