"""The teaching pack's lessons: ``carecap lesson N`` opens lesson N in the dashboard.

Each lesson's scenario, seed and any overrides are declared once, in
``docs/lessons/lessons.toml``, beside the lesson texts; this module reads them and hands
the dashboard the lesson's :class:`~simulation.dashboard.setting.Setting`.

The figures a lesson quotes are generated: each ``<!-- figures: CODE [seeds N] | metrics
-->`` block in a lesson's text holds the table the dashboard's Summary shows for that
setting, made by the same code from runs of it. After a change to the model, one command
measures them again::

    uv run python -m simulation.lessons --figures
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from simulation.inputs import InputError
from simulation.tomlfile import read_toml

if TYPE_CHECKING:
    import pandas as pd

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
        compare: The scenario it opens compared with (as shipped, same town).
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
                   overrides=dict(lesson.overrides), compare=lesson.compare)


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


# -- the figures quoted in the lessons ------------------------------------------------------

# A generated block in a lesson's text: the setting's share code, optionally "seeds N",
# then the metrics (the rows), and the table the dashboard's Summary shows for them.
FIGURES = re.compile(r"(?P<head><!-- figures: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)"
                     r"(?P<tail><!-- end figures -->)", re.S)
_SPEC = re.compile(r"(?P<code>\S+)(?: seeds (?P<seeds>\d+))? \| (?P<metrics>[\w ]+)")


@dataclass(frozen=True)
class Figures:
    """What one block of a lesson quotes: a setting, how many seeds, which metrics.

    Attributes:
        code: The setting's share code (the lesson tells students to load it).
        seeds: Seeds asked for in the dashboard (0: the run on screen only).
        metrics: The Summary's rows quoted.
    """

    code: str
    seeds: int
    metrics: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str) -> Figures:
        """Read ``CODE [seeds N] | metric metric ...``.

        Raises:
            LessonError: If the spec is malformed or names an unknown metric.
        """
        from simulation.metrics import DAILY

        match = _SPEC.fullmatch(spec.strip())
        if match is None:
            raise LessonError(f"figures {spec!r}: cannot be read (allowed: CODE [seeds N] "
                              "| metric metric ...)")
        metrics = tuple(match["metrics"].split())
        unknown = [m for m in metrics if m not in {d.name for d in DAILY}]
        if unknown:
            raise LessonError(f"figures {spec!r}: unknown metric {unknown[0]!r}")
        return cls(match["code"], int(match["seeds"] or 0), metrics)

    def text(self, runs: Runs) -> str:
        """The block as the lesson shows it: where to read it, and the table."""
        from simulation.dashboard.figures import side_names
        from simulation.dashboard.setting import Setting
        from simulation.dashboard.stats import COMPARISON, POLICY, Replicates
        from simulation.dashboard.tables import summary

        setting = Setting.decode(self.code)
        policy = runs.daily(setting, setting.seed)
        comparison = (runs.daily(setting.comparison(runs.residents(setting)), setting.seed)
                      if setting.compare else None)
        replicates = None
        if self.seeds:
            seeds = tuple(range(setting.seed, setting.seed + self.seeds))
            sides = {POLICY: setting} | ({COMPARISON: setting.comparison(
                runs.residents(setting))} if setting.compare else {})
            replicates = Replicates(seeds, setting.days, {
                side: [runs.daily(shown, seed) for seed in seeds]
                for side, shown in sides.items()})
        table = summary(policy, comparison, side_names(setting), replicates, self.metrics)
        asked = f", with {self.seeds} seeds" if self.seeds else ""
        return (f"*The Summary for `{self.code}`{asked}, on day {setting.days}:*\n\n"
                f"{table.markdown()}\n")


class Runs:
    """Runs made for the lessons' figures, each made once however often it is quoted."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, int], Any] = {}

    @staticmethod
    def residents(setting: Setting) -> int:
        """The town's size as the dashboard runs the setting."""
        from simulation.dashboard.session import town_size

        return town_size(setting)

    def daily(self, setting: Setting, seed: int) -> pd.DataFrame:
        """The daily table of ``setting`` on ``seed``, as the dashboard's runs make it."""
        from simulation.dashboard.replicates import params_of
        from simulation.sweep.executor import run_one

        key = (setting.encode(), seed)
        if key not in self._made:
            self._made[key] = run_one(params_of(setting, self.residents(setting)), seed,
                                      setting.days)
        return self._made[key]


def lesson_files(path: Path = LESSONS_FILE) -> list[Path]:
    """Every lesson text named in the lessons file."""
    return [path.parent / lesson.file for lesson in load_lessons(path).values()]


def generated(text: str, runs: Runs) -> str:
    """``text`` with every figures block made afresh from runs."""
    return FIGURES.sub(lambda m: m["head"] + Figures.parse(m["spec"]).text(runs) + m["tail"],
                       text)


def write_figures(paths: list[Path] | None = None, log=print) -> list[Path]:
    """Rewrite the figures blocks of the lessons; return the files that changed."""
    runs, changed = Runs(), []
    for path in paths or lesson_files():
        text = path.read_text(encoding="utf-8")
        fresh = generated(text, runs)
        if fresh != text:
            path.write_text(fresh, encoding="utf-8")
            changed.append(path)
        log(f"{path.name}: {len(FIGURES.findall(text))} figure block(s)"
            f"{', rewritten' if fresh != text else ', unchanged'}")
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m simulation.lessons --figures``: measure the lessons' figures again."""
    parser = argparse.ArgumentParser(prog="python -m simulation.lessons",
                                     description="Rewrite the figures the lessons quote from "
                                                 "runs at each block's setting.")
    parser.add_argument("--figures", action="store_true", required=True,
                        help="rewrite every '<!-- figures: ... -->' block in docs/lessons/")
    parser.parse_args(argv)
    write_figures()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
