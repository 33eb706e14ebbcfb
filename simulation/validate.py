"""Validation: the model's figures beside published ones, each against a declared band.

``carecap validate`` runs the arms the targets read (:mod:`simulation.targets`: the
baseline, and the arms some targets compare it with, on the same seeds) over replicates
and prints one row per target, calibration targets first, then held-out ones: the
model's mean with its 95% confidence interval, the published figure and its source, the
band declared for it, and whether the mean falls inside the band. The exit code is 1 if
a calibration target misses (the fit no longer holds); a held-out miss is reported, not
an error, unless ``--strict``.

The same table in ``docs/validation.md`` is written by this module::

    uv run python -m simulation.validate --markdown docs/validation.md

which replaces only the generated block of that file (:mod:`simulation.docblocks`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulation import inputs
from simulation.docblocks import BlockError, read_block, write_block
from simulation.inputs import InputError
from simulation.metrics import value_range
from simulation.params import Params
from simulation.runner import DEFAULT_DAYS, run
from simulation.sweep.analysis import t_half_width
from simulation.targets import ARMS, TARGETS, Target

DEFAULT_REPLICATES = 10
MAX_REPLICATES = 1_000
BLOCK = "validation table"
COLUMNS = ("Target", "Kind", "Model: mean (95% CI)", "Published figure", "Source", "Band",
           "Result")
# The terminal shows the figures, a section per kind; the published figures and
# sources are in the docs.
TERMINAL_COLUMNS = ("Target", "Model: mean (95% CI)", "Band", "Result")
# Where the table is kept (a checkout's docs; an installed package has none).
DOC = Path(__file__).resolve().parent.parent / "docs" / "validation.md"


@dataclass(frozen=True)
class Row:
    """One target's result."""

    target: Target
    mean: float
    low: float  # confidence interval of the mean
    high: float

    @property
    def passed(self) -> bool:
        """Whether the model's mean falls inside the declared band."""
        return self.target.low <= self.mean <= self.target.high

    def cells(self) -> tuple[str, ...]:
        """The row's cells, in the order of :data:`COLUMNS`."""
        t = self.target
        verdict = "pass" if self.passed else ("FAIL" if t.role == "calibration" else "miss")
        return (t.name, t.role, f"{t.show(self.mean)} ({t.show(self.low)} to "
                f"{t.show(self.high)})", t.published, t.source,
                f"{t.show(t.low)} to {t.show(t.high)}", verdict)


def confidence_interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% Student-t interval of the mean of independent replicates (NaN for one)."""
    half = t_half_width(float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                        len(values))
    return float(values.mean() - half), float(values.mean() + half)


def _arms(targets: Sequence[Target]) -> list[str]:
    """The arms (:data:`simulation.targets.ARMS`) the targets read."""
    return sorted({t.arm for t in targets} | {t.per_arm for t in targets if t.per_metric})


def run_replicates(targets: Sequence[Target], replicates: int, residents: int | None,
                   days: int, advance: Callable[[], None] | None = None
                   ) -> dict[tuple[str, int], dict[str, float]]:
    """Run every arm the targets read, with seeds ``0 .. replicates-1``.

    Runs one after another: a validation is a few dozen runs of a few seconds, and a
    process pool's start-up would cost more than it saves at the sizes the tests use.

    Returns:
        Each run's summary by ``(arm, seed)``.
    """
    sizes = {} if residents is None else {"residents": residents}
    summaries: dict[tuple[str, int], dict[str, float]] = {}
    for seed in range(replicates):
        for arm in _arms(targets):
            scenario, overrides = ARMS[arm]
            summaries[arm, seed] = run(scenario, seed=seed, days=days,
                                       **{**overrides, **sizes}).summary
            if advance is not None:
                advance()
    return summaries


def compare(targets: Sequence[Target], summaries: dict[tuple[str, int], dict[str, float]],
            replicates: int) -> list[Row]:
    """One row per target from the replicate summaries, calibration targets first."""
    rows = []
    for target in sorted(targets, key=lambda t: t.role != "calibration"):
        values = target.values(summaries, range(replicates))
        low, high = confidence_interval(values)
        least, most = value_range(target.metric)  # however few the replicates
        rows.append(Row(target, float(values.mean()), max(low, least), min(high, most)))
    return rows


def check(targets: Sequence[Target] = TARGETS, replicates: int = DEFAULT_REPLICATES,
          residents: int | None = None, days: int = DEFAULT_DAYS,
          console: Console | None = None) -> list[Row]:
    """Run the replicates (with a progress bar on ``console``'s terminal) and compare."""
    arms = _arms(targets)
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed:.0f}/{task.total:.0f} runs"),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                  disable=console is None) as bar:
        task = bar.add_task("validation", total=len(arms) * replicates)
        summaries = run_replicates(targets, replicates, residents, days,
                                   advance=lambda: bar.advance(task))
    return compare(targets, summaries, replicates)


def describe_size(replicates: int, residents: int | None, days: int) -> str:
    """The size of a validation run, in words."""
    town = residents if residents is not None else Params().residents
    return (f"{town:,} residents, {days} days, {replicates} replicates (seeds 0 to "
            f"{replicates - 1}); 95% confidence intervals of the mean over replicates")


def print_table(console: Console, rows: Sequence[Row], size: str) -> None:
    """Print the validation table."""
    table = Table(title=f"Validation against published figures\n{size}", box=box.SIMPLE)
    for column in TERMINAL_COLUMNS:
        table.add_column(column, justify="right" if column.startswith(("Model", "Band"))
                         else "left", no_wrap=column != "Target")
    style = {"pass": "[green]pass[/]", "FAIL": "[bold red]FAIL[/]", "miss": "[yellow]miss[/]"}
    for role in ("calibration", "held-out"):
        of_role = [row for row in rows if row.target.role == role]
        if not of_role:
            continue
        table.add_row(f"[bold]{role} targets[/]")
        for k, row in enumerate(of_role):
            cells = dict(zip(COLUMNS, row.cells(), strict=True))
            cells["Result"] = style[cells["Result"]]
            table.add_row(*(cells[column] for column in TERMINAL_COLUMNS),
                          end_section=k == len(of_role) - 1)
    console.print(table)
    console.print("Published figures, sources and why each band is where it is: "
                  "docs/validation.md")
    for role in ("calibration", "held-out"):
        of_role = [r for r in rows if r.target.role == role]
        if of_role:
            inside = sum(r.passed for r in of_role)
            console.print(f"{role} targets: {inside} of {len(of_role)} inside their bands")
    vague = [r.target.name for r in rows if r.high - r.low > r.target.high - r.target.low]
    if vague:
        console.print(f"[yellow]note: {len(vague)} of {len(rows)} intervals are wider than "
                      "their bands, so those verdicts rest on too few runs to mean much: "
                      "add replicates (--replicates) or residents[/]")


def markdown(rows: Sequence[Row], size: str) -> str:
    """The generated table of ``docs/validation.md``, with each band's reason."""
    lines = [f"{size}.", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    lines += ["", "Why each band is where it is:", ""]
    lines += [f"* **{row.target.name}**: {row.target.why}." for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Recorded:
    """The validation table as last written into ``docs/validation.md``.

    Attributes:
        size: The size it was run at, in words (:func:`describe_size`).
        rows: Each target with its row's cells, by the names of :data:`COLUMNS`.
    """

    size: str
    rows: tuple[tuple[Target, dict[str, str]], ...]

    def of_role(self, role: str, result: str | None = None) -> list[tuple[Target, dict]]:
        """The rows of targets of ``role`` (with that ``result``, if given)."""
        return [(t, cells) for t, cells in self.rows if t.role == role
                and (result is None or cells["Result"] == result)]


def recorded(path: Path = DOC) -> Recorded | None:
    """The table :func:`main` last wrote into ``path``'s generated block, or ``None``.

    Only rows of targets still declared are kept (matched by name).
    """
    try:
        body = read_block(path.read_text(encoding="utf-8"), BLOCK)
    except (OSError, BlockError):
        return None
    by_name = {t.name: t for t in TARGETS}
    rows = []
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == len(COLUMNS) and cells[0] in by_name:
            rows.append((by_name[cells[0]], dict(zip(COLUMNS, cells, strict=True))))
    return Recorded(body.splitlines()[0].rstrip("."), tuple(rows))


def _sizes(args: argparse.Namespace) -> tuple[int, int | None, int]:
    """Checked replicates, residents and days from the command's flags."""
    replicates = inputs.whole_number("--replicates", str(args.replicates), 2, MAX_REPLICATES)
    days = inputs.days("--days", str(args.days)) if args.days is not None else DEFAULT_DAYS
    residents = (inputs.residents("--residents", str(args.residents))
                 if args.residents is not None else None)
    return replicates, residents, days


def exit_code(rows: Sequence[Row], strict: bool = False) -> int:
    """1 if a calibration target misses (or, ``strict``, any target); else 0."""
    return int(any(not r.passed and (strict or r.target.role == "calibration")
                   for r in rows))


def validate(args: argparse.Namespace, console: Console,
             targets: Sequence[Target] = TARGETS) -> int:
    """The ``carecap validate`` command; its exit code is :func:`exit_code`'s."""
    replicates, residents, days = _sizes(args)
    rows = check(targets, replicates, residents, days, console)
    print_table(console, rows, describe_size(replicates, residents, days))
    return exit_code(rows, getattr(args, "strict", False))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simulation.validate``: the command, and optionally the docs table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", default=str(DEFAULT_REPLICATES))
    parser.add_argument("--residents")
    parser.add_argument("--days")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 on a held-out miss too")
    parser.add_argument("--markdown", metavar="FILE",
                        help="also write the table into this file's generated block")
    args = parser.parse_args(argv)
    console = Console()
    try:
        replicates, residents, days = _sizes(args)
    except InputError as error:
        print(f"validate: error: {error}", file=sys.stderr)
        return 2
    rows = check(TARGETS, replicates, residents, days, console)
    size = describe_size(replicates, residents, days)
    print_table(console, rows, size)
    if args.markdown:
        flags = " ".join(f"--{name} {value}" for name, value in
                         (("replicates", args.replicates), ("residents", args.residents),
                          ("days", args.days)) if value is not None)
        command = f"uv run python -m simulation.validate {flags} --markdown {args.markdown}"
        write_block(Path(args.markdown), BLOCK, command, markdown(rows, size))
        console.print(f"table written to {args.markdown}")
    return exit_code(rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
