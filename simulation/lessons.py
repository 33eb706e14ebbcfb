"""The teaching pack's lessons: ``carecap lesson N`` opens lesson N in the dashboard.

Each lesson's scenario, seed and any overrides are declared once, in
``docs/lessons/lessons.toml``, beside the lesson texts; this module reads them and hands
the dashboard the lesson's :class:`~simulation.dashboard.setting.Setting`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from simulation.inputs import InputError
from simulation.scenarios import read_toml

if TYPE_CHECKING:
    from simulation.dashboard.setting import Setting

LESSONS_FILE = Path(__file__).resolve().parent.parent / "docs" / "lessons" / "lessons.toml"
LESSON_KEYS = {"number", "title", "file", "scenario", "seed", "residents", "compare",
               "overrides", "extension"}
OPTIONAL_KEYS = {"residents", "overrides"}


class LessonError(ValueError):
    """A lessons file or lesson number that cannot be used; the message names it."""


@dataclass(frozen=True)
class Lesson:
    """One lesson of the teaching pack.

    Attributes:
        number: The lesson's number (``carecap lesson NUMBER``).
        title: The lesson's title.
        file: The lesson text, relative to the lessons folder.
        scenario: The shipped scenario the dashboard opens on.
        seed: The seed it opens with (the figures in the text are for this seed).
        residents: The town's size, or ``None`` for the dashboard's own.
        compare: The scenario students compare it with, same seed.
        overrides: Parameters set on top of the scenario.
        extension: The command of the lesson's small sweep.
    """

    number: int
    title: str
    file: str
    scenario: str
    seed: int
    compare: str
    extension: str
    residents: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


def load_lessons(path: Path = LESSONS_FILE) -> dict[int, Lesson]:
    """Every lesson in the lessons file, by number.

    Raises:
        LessonError: If the file is missing, malformed or a lesson lacks a field.
    """
    data = read_toml(path, "lessons", LessonError)
    lessons: dict[int, Lesson] = {}
    for entry in data.get("lesson", []):
        missing = LESSON_KEYS - OPTIONAL_KEYS - set(entry)
        unknown = set(entry) - LESSON_KEYS
        if missing or unknown:
            raise LessonError(f"{path}: lesson {entry.get('number', '?')}: "
                              + (f"missing {sorted(missing)}" if missing
                                 else f"unknown field {sorted(unknown)[0]!r}")
                              + f" (allowed: {', '.join(sorted(LESSON_KEYS))})")
        lesson = Lesson(**entry)
        lessons[lesson.number] = lesson
    return lessons


def lesson_setting(number: int, path: Path = LESSONS_FILE) -> Setting:
    """The dashboard setting lesson ``number`` opens on.

    Raises:
        LessonError: If there is no such lesson.
    """
    from simulation.dashboard.setting import Setting

    lesson = _find(number, path)
    return Setting(scenario=lesson.scenario, seed=lesson.seed, residents=lesson.residents,
                   overrides=dict(lesson.overrides))


def _find(number: int, path: Path) -> Lesson:
    lessons = load_lessons(path)
    if number not in lessons:
        raise LessonError(f"lesson {number}: no such lesson "
                          f"(allowed: {', '.join(str(n) for n in sorted(lessons))})")
    return lessons[number]


def lesson(args: argparse.Namespace, console: Console) -> int:
    """The ``carecap lesson NUMBER [--port P] [--host H]`` command.

    Raises:
        simulation.inputs.InputError: On an unknown lesson number or bad server flags.
    """
    from simulation.dashboard.command import serve, server_address

    lessons = _lessons_or_error()
    text = str(args.number).strip()
    if not text.isdigit() or int(text) not in lessons:
        raise InputError(f"lesson: {args.number!r} is not a lesson "
                       f"(allowed: {', '.join(str(n) for n in sorted(lessons))})")
    chosen = lessons[int(text)]
    host, port = server_address(args)
    console.print(f"Lesson {chosen.number}: {chosen.title} "
                  f"(docs/lessons/{chosen.file}); compare with {chosen.compare}, same seed")
    return serve(host, port, lesson_setting(chosen.number), console=console)


def _lessons_or_error() -> dict[int, Lesson]:

    try:
        return load_lessons()
    except LessonError as error:
        raise InputError(str(error)) from None
