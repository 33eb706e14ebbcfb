"""The run summarised as a table: what the Summary view shows and the lessons quote.

One function makes the rows, so a figure a lesson quotes is, to the character, the
figure the dashboard shows for the lesson's setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulation.dashboard import display
from simulation.dashboard.stats import POLICY, Replicates, so_far
from simulation.metrics import BY_NAME, DAILY

# Every daily metric but the day itself, in declaration order.
SUMMARY_METRICS = tuple(m.name for m in DAILY if m.name != "day")
# How each kind of summary reads in a row's name.
_HOW = {"sum": "total", "mean": "daily mean"}


def row_name(name: str) -> str:
    """A metric's row in the table: its label and how the run is summarised."""
    metric = BY_NAME[name]
    return f"{metric.label}, {_HOW.get(metric.summary, 'over the run')}"


@dataclass(frozen=True)
class Table:
    """A table of text: a header and rows of cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def markdown(self) -> str:
        """The table in Markdown."""
        lines = ["| " + " | ".join(self.header) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def summary(policy: pd.DataFrame, comparison: pd.DataFrame | None,
            names: tuple[str, str | None], replicates: Replicates | None = None,
            metrics: tuple[str, ...] = SUMMARY_METRICS) -> Table:
    """Each metric over the run so far: each run, their difference, and over seeds.

    Args:
        policy: The policy run's daily table.
        comparison: The comparison's (same days), or ``None``.
        names: The two runs' names.
        replicates: Other seeds of the setting, or ``None``: adds the mean over seeds
            (or the paired difference, when comparing) with its 95% interval.
        metrics: The rows.
    """
    days = f"Over days 1 to {len(policy)}"
    if replicates is not None and replicates.days != len(policy):
        days += f"; seeds over days 1 to {replicates.days}"  # their column is whole runs
    header = [days, names[0]]
    mine = so_far(policy)
    theirs = so_far(comparison) if comparison is not None else None
    if theirs is not None:
        header += [names[1], f"{names[0]} − {names[1]}"]
    if replicates is not None:
        what = "paired difference" if replicates.paired else "mean"
        header.append(f"{replicates.describe()}: {what} (95% CI)")
    rows = []
    for name in metrics:
        row = [row_name(name), display.value(name, mine[name])]
        if theirs is not None:
            row += [display.value(name, theirs[name]),
                    display.change(name, mine[name] - theirs[name])]
        if replicates is not None:
            if replicates.paired:
                mean, low, high = replicates.difference(name)
                row.append(f"{display.change(name, mean)} "
                           f"({display.interval(name, low, high, difference=True)})")
            else:
                mean, low, high = replicates.outcome(name, POLICY)
                row.append(f"{display.value(name, mean)} ({display.interval(name, low, high)})")
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows))

