"""Validation: the baseline's figures beside published ones, each against a declared band.

``carecap validate`` runs the ``baseline`` (and, for the intervention target, the
``peer_visits`` arm with the same seeds) over replicates and prints one row per target:
the model's mean with its 95% confidence interval, the published figure and its source,
the band declared for it, and whether the mean falls inside the band. The exit code is
1 if any target fails.

The targets are declared once, in :data:`TARGETS`, each with the reason for its band.
The same table in ``docs/validation.md`` is written by this module::

    uv run python -m simulation.validate --markdown docs/validation.md

which replaces only the generated block of that file, between its two markers.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulation import inputs
from simulation.inputs import InputError
from simulation.params import Params
from simulation.runner import DEFAULT_DAYS, run
from simulation.sweep.analysis import t_half_width

DEFAULT_REPLICATES = 10
MAX_REPLICATES = 1_000
BEGIN_MARK = "<!-- validation table: generated, do not edit by hand -->"
END_MARK = "<!-- end of validation table -->"
COLUMNS = ("Target", "Model: mean (95% CI)", "Published figure", "Source", "Band", "Result")


@dataclass(frozen=True)
class Target:
    """One published figure the model is compared with.

    The model's value in one replicate is ``metric`` of the ``arm`` run, divided by
    ``per_metric`` of the ``per_arm`` run with the same seed when ``per_metric`` is set
    (a ratio within a run, or a risk ratio between paired arms).

    Attributes:
        name: What is compared, for people.
        metric: Summary metric of the ``arm`` run.
        published: The published figure, in words.
        source: Where it is published.
        low: Lowest model mean that passes.
        high: Highest model mean that passes.
        unit: ``"share"`` (shown as a percentage), ``"days"`` or ``"ratio"``.
        why: Why the band is where it is.
        arm: Scenario the metric is read from.
        per_metric: Denominator metric, if the value is a ratio.
        per_arm: Scenario the denominator is read from.
    """

    name: str
    metric: str
    published: str
    source: str
    low: float
    high: float
    unit: str
    why: str
    arm: str = "baseline"
    per_metric: str | None = None
    per_arm: str = "baseline"

    def values(self, summaries: dict[tuple[str, int], dict[str, float]],
               seeds: Sequence[int]) -> np.ndarray:
        """The model's value in each replicate."""
        value = np.array([summaries[self.arm, s][self.metric] for s in seeds])
        if self.per_metric is None:
            return value
        return value / np.array([summaries[self.per_arm, s][self.per_metric] for s in seeds])

    def show(self, value: float) -> str:
        """Format a value in the target's unit."""
        if math.isnan(value):
            return "n/a"
        if self.unit == "share":
            return f"{value:.1%}"
        if self.unit == "days":
            return f"{value:.1f} days"
        return f"{value:.2f}"


# Census 2021 rates count everyone aged 5+ (age-standardised); the model counts adults,
# and children care far less than adults, so an adult rate sits above the published one.
_CENSUS = "ONS, Census 2021 (TS039), England and Wales"
_CENSUS_WHY = "the Census figure from 10% under to 30% over: the Census counts everyone " \
    "aged 5+, the model adults only, and children care far less than adults"


def _census_band(figure: float) -> tuple[float, float]:
    """The band around a Census carer rate, as ``_CENSUS_WHY`` says."""
    return round(0.9 * figure, 4), round(1.3 * figure, 4)


TARGETS: tuple[Target, ...] = (
    Target("30-day emergency readmission, England", "readmission_rate_30d",
           "12.5% (2013/14) to 13.8% (2017/18); 12.7% least to 14.9% most deprived areas",
           "NHS Digital, NHS Outcomes Framework indicator 3b (2019 release)",
           0.125, 0.149, "share",
           "from the lowest national year to the most deprived areas: the model town "
           "has no stated deprivation"),
    Target("Adults providing unpaid care", "carer_prevalence",
           "9.0% of people aged 5+", _CENSUS, *_census_band(0.090), "share", _CENSUS_WHY),
    Target("Women providing unpaid care", "carer_prevalence_women",
           "10.3% of women (England)", _CENSUS, *_census_band(0.103), "share", _CENSUS_WHY),
    Target("Men providing unpaid care", "carer_prevalence_men",
           "7.6% of men (England)", _CENSUS, *_census_band(0.076), "share", _CENSUS_WHY),
    Target("Women's carer rate over men's", "carer_prevalence_women",
           "1.36 (10.3% over 7.6%)", _CENSUS, 1.2, 1.6, "ratio",
           "the gap between the sexes, which the 5+ against adults difference leaves "
           "about the same: from 1.2 to 1.6 around the Census's 1.36",
           per_metric="carer_prevalence_men"),
    Target("Carers giving 50+ hours a week", "carers_50h_share",
           "about 30% of carers (2.8% of people give 50+ hours, of 9.0% who care)",
           _CENSUS, 0.25, 0.35, "share", "5 points either side of about 30%"),
    Target("Length of stay of patients aged 65+", "older_length_of_stay",
           "11.9 days on average",
           "National Audit Office, Discharging older patients from hospital (2016)",
           9.9, 13.9, "days",
           "2 days either side: a national mean, against a town with a few hundred "
           "older discharges a year"),
    Target("People aged 65+ often lonely", "lonely_share",
           "7% often lonely", "Age UK (2024)", 0.05, 0.09, "share",
           "2 points either side: surveys differ in wording and in who they reach"),
    Target("Peer visits' effect on readmission (risk ratio against the baseline, same "
           "seeds)", "readmission_rate_30d",
           "transitional care: RR 0.82 (0.73-0.91), 42 trials; peer support for older "
           "adults: no effect or harm",
           "Leppin et al., JAMA Intern Med 2014; Jacobs et al., JAMA Netw Open 2020",
           0.73, 1.0, "ratio",
           "from the strongest pooled effect of professional transitional care (a "
           "volunteer scheme at default uptake should not beat it) to no effect",
           arm="peer_visits", per_metric="readmission_rate_30d"),
)


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
        return (t.name, f"{t.show(self.mean)} ({t.show(self.low)} to {t.show(self.high)})",
                t.published, t.source, f"{t.show(t.low)} to {t.show(t.high)}",
                "pass" if self.passed else "FAIL")


def confidence_interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% Student-t interval of the mean of independent replicates (NaN for one)."""
    half = t_half_width(float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                        len(values))
    return float(values.mean() - half), float(values.mean() + half)


def _arms(targets: Sequence[Target]) -> list[str]:
    """The scenarios the targets read."""
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
    arms = _arms(targets)
    sizes = {} if residents is None else {"residents": residents}
    summaries: dict[tuple[str, int], dict[str, float]] = {}
    for seed in range(replicates):
        for arm in arms:
            summaries[arm, seed] = run(arm, seed=seed, days=days, **sizes).summary
            if advance is not None:
                advance()
    return summaries


def compare(targets: Sequence[Target], summaries: dict[tuple[str, int], dict[str, float]],
            replicates: int) -> list[Row]:
    """One row per target from the replicate summaries."""
    rows = []
    for target in targets:
        values = target.values(summaries, range(replicates))
        rows.append(Row(target, float(values.mean()), *confidence_interval(values)))
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
    table = Table(title=f"Validation against published figures\n{size}", show_lines=True)
    for column in COLUMNS:
        table.add_column(column, justify="right" if column.startswith("Model") else "left")
    for row in rows:
        cells = list(row.cells())
        cells[-1] = "[green]pass[/]" if row.passed else "[bold red]FAIL[/]"
        table.add_row(*cells)
    console.print(table)
    failed = sum(not r.passed for r in rows)
    console.print(f"{len(rows) - failed} of {len(rows)} targets inside their bands"
                  + (f"; {failed} outside" if failed else ""))


def markdown(rows: Sequence[Row], size: str, command: str) -> str:
    """The generated block of ``docs/validation.md``: the table and each band's reason."""
    lines = [BEGIN_MARK, "", f"Generated by `{command}`: {size}.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    lines += ["", "Why each band is where it is:", ""]
    lines += [f"* **{row.target.name}**: {row.target.why}." for row in rows]
    lines += ["", END_MARK]
    return "\n".join(lines)


def write_markdown(path: Path, block: str) -> None:
    """Replace the generated block of ``path`` (or write the block alone if it has none)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN_MARK in text and END_MARK in text:
        head, rest = text.split(BEGIN_MARK, 1)
        tail = rest.split(END_MARK, 1)[1]
        text = head + block + tail
    else:
        text = block + "\n"
    path.write_text(text, encoding="utf-8")


def _sizes(args: argparse.Namespace) -> tuple[int, int | None, int]:
    """Checked replicates, residents and days from the command's flags."""
    replicates = inputs.whole_number("--replicates", str(args.replicates), 2, MAX_REPLICATES)
    days = inputs.days("--days", str(args.days)) if args.days is not None else DEFAULT_DAYS
    residents = (inputs.residents("--residents", str(args.residents))
                 if args.residents is not None else None)
    return replicates, residents, days


def validate(args: argparse.Namespace, console: Console,
             targets: Sequence[Target] = TARGETS) -> int:
    """The ``carecap validate`` command: 0 if every target passes, 1 if any fails."""
    replicates, residents, days = _sizes(args)
    rows = check(targets, replicates, residents, days, console)
    print_table(console, rows, describe_size(replicates, residents, days))
    return 0 if all(row.passed for row in rows) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simulation.validate``: the command, and optionally the docs table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", default=str(DEFAULT_REPLICATES))
    parser.add_argument("--residents")
    parser.add_argument("--days")
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
        write_markdown(Path(args.markdown), markdown(rows, size, command))
        console.print(f"table written to {args.markdown}")
    return 0 if all(row.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
