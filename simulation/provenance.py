"""Where an output came from: version, commit, date, scenario, area, seed and parameters.

Every output carecap writes says what made it, so that any figure can be made again
with one command: a run's summary JSON and its Parquet file's metadata (``carecap run``),
each run file of a sweep and the sweep's manifest, the sweep's summary table and its
report. This module is the one place that record is made:

* :data:`VERSION` is the installed package's version (``pyproject.toml``);
* :func:`commit` is ``git describe`` of the source when it is a git checkout, else
  ``None``;
* :func:`stamp` is the version, the commit and the date (UTC);
* :func:`run_record` adds what a run ran with: scenario, area, seed, days and the full
  resolved parameters, and the ``carecap run`` command that makes the same daily table;
* :func:`command_line` is a command as a shell reads it back, and :func:`comment_lines`
  a record as ``#`` lines heading a TOML file (``carecap calibrate``'s
  ``ensemble.toml`` and ``best.toml``).

Provenance never goes into a daily table's columns: the same version, parameters and
seed give the same daily table, bit for bit, whenever it is made. In a Parquet file it
is key-value metadata under the key ``carecap`` (:func:`simulation.results.write_parquet`,
:func:`simulation.results.read_parquet_record`); a CSV file has no room for it (write
``--summary`` too), so a command that writes only CSV files writes a JSON file beside them
(``carecap compare-ensemble``'s ``provenance.json``; ``carecap calibrate``'s
``calibration.json`` records its ``evaluations.csv``).
"""

from __future__ import annotations

import datetime
import functools
import shlex
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.params import Params

try:
    VERSION = version("carecap")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "unknown"
SOURCE = Path(__file__).resolve().parent.parent  # the checkout, when run from one
GIT_TIMEOUT_SECONDS = 5.0


@functools.cache
def commit() -> str | None:
    """The source's ``git describe --always --dirty``, or ``None`` outside a checkout.

    Asked once per process (a sweep's workers inherit the answer from the process they
    are forked from).
    """
    if not (SOURCE / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"],
                              cwd=SOURCE, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    described = done.stdout.strip()
    return described if done.returncode == 0 and described else None


def describe() -> str:
    """The version and, when known, the commit: ``carecap 0.2.0 (commit b012f66)``."""
    known = commit()
    return f"carecap {VERSION}" + (f" (commit {known})" if known else "")


def now() -> str:
    """The date and time, UTC, to the second: ``2025-01-31T14:05:09Z``."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp() -> dict[str, Any]:
    """Version, commit and date: what every output records about the code that made it."""
    return {"carecap": VERSION, "commit": commit(), "created": now()}


def command_line(words: list[str]) -> str:
    """A command's words as one line a shell reads back as the same words."""
    return " ".join(shlex.quote(word) for word in words)


def comment_lines(made: dict[str, Any], **facts: str) -> list[str]:
    """What made a file, as ``#`` comment lines to head it (a TOML file's header).

    A reader skips comments, so a file reads the same with or without them, and files
    written before they were added still load.

    Args:
        made: :func:`stamp`, with the ``command`` that made the file (``None`` if none).
        **facts: More to say, one line each, ``Name: value`` (underscores as spaces).
    """
    lines = [f"Made by {describe()} on {made['created']}",
             *(f"{name.replace('_', ' ').capitalize()}: {value}" for name, value in facts.items())]
    if made.get("command"):
        lines.append(f"Command: {made['command']}")
    # One line each, whatever a value holds: a line break would end the comment.
    return [f"# {' '.join(line.split())}" for line in lines]


def shown(value: Any) -> str:
    """A parameter value as ``--set`` reads it back exactly (``true``, ``0.1``, ``12``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def run_command(scenario: str | None, seed: int, days: int, params: Params,
                area: str | None = None, start_day: int | None = None) -> str:
    """The ``carecap run`` command that makes the same daily table (same version).

    Args:
        scenario: The scenario as given (a shipped name or a file's path); ``None`` for
            the declared defaults.
        seed: The run's seed.
        days: Days reported.
        params: Every parameter the run used; those that differ from the scenario's own
            (in ``area``, from ``start_day``) are written as ``--set``.
        area: The area profile as given (a shipped name or a file's path), if any.
        start_day: The day the scenario's own levers started, if ``--start-day`` set it.
    """
    from simulation.areas import shipped_areas
    from simulation.scenarios import load_scenario

    named = params.structure.area
    if area is None and named != "england" and named in shipped_areas():
        area = named  # parameters made from a shipped area (in Python) carry its name
    base = load_scenario(scenario or "baseline", area=area, start_day=start_day).params
    values, before = params.as_dict(), base.as_dict()
    sets = [word for name, value in values.items()
            if name != "residents" and value != before[name]
            for word in ("--set", f"{name}={shown(value)}")]
    where = ["--area", area] if area is not None else []
    when = ["--start-day", str(start_day)] if start_day is not None else []
    return command_line(["carecap", "run", scenario or "baseline", *where, *when, "--seed",
                         str(seed), "--days", str(days), "--residents",
                         str(params.residents), *sets])


def run_record(params: Params, seed: int, days: int, scenario: str | None,
               area: str | None = None, start_day: int | None = None,
               **more: Any) -> dict[str, Any]:
    """Everything that made one run: :func:`stamp`, its setting and the command.

    Args:
        params: Every parameter the run used.
        seed: Its seed.
        days: Days reported.
        scenario: The scenario as given; ``None`` for the defaults.
        area: The area profile as given (a shipped name or a path); ``None`` records the
            name of the area the parameters carry (``england`` for the defaults).
        start_day: The day ``--start-day`` started the scenario's levers, if it did.
        **more: Anything else to record (a sweep's run id, arm, label, replicate).

    The parameters are recorded in full (:meth:`~simulation.params.Params.as_record`):
    every scalar, the population's structure and the levers that start on a day.
    """
    return {**stamp(), "scenario": scenario, "area": area or params.structure.area,
            "seed": seed, "days": days, **more, "params": params.as_record(),
            "command": run_command(scenario, seed, days, params, area, start_day)}
