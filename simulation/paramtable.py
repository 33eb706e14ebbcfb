"""``carecap params``: every parameter's declaration, on screen or exported.

On screen, a parameter's name is never cut or folded: it is the one thing a user copies
into ``--set NAME=VALUE``. A terminal wide enough gets a table whose name column is as
wide as the longest name; a narrower one gets each parameter as a short block, its name
on a line of its own. ``--format`` exports the same declarations as CSV, Markdown (one
table per group, as ``docs/ODD.md`` lays out its parameter table) or JSON.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from simulation.params import GROUPS, SPECS, ParamSpec

FORMATS = ("table", "csv", "markdown", "json")
# The table needs this much room beside the names; below it, each parameter is a block.
TABLE_ROOM = 80
_NAME_WIDTH = max(len(name) for name in SPECS)


def default_text(spec: ParamSpec) -> str:
    """A default as people write it: 10,000; 0.002; true."""
    if spec.type is bool:
        return str(spec.default).lower()
    return _number(spec.default)


def range_text(spec: ParamSpec) -> str:
    """The allowed values: "0 – 1", "50 – 5,000,000 (whole number)", "true / false"."""
    if spec.type is bool:
        return "true / false"
    whole = " (whole number)" if spec.type is int else ""
    return f"{_number(spec.low)} – {_number(spec.high)}{whole}"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


_DEFAULT_WIDTH = max(len(default_text(spec)) for spec in SPECS.values())


def records() -> list[dict[str, Any]]:
    """One record per parameter, in declaration order, with typed values."""
    return [{"name": spec.name, "group": spec.group, "type": spec.type.__name__,
             "default": spec.default, "unit": spec.unit, "low": spec.low, "high": spec.high,
             "meaning": spec.help, "source": spec.source} for spec in SPECS.values()]


def as_csv() -> str:
    """Every parameter as CSV: one row each, typed values as Python writes them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records()[0]), lineterminator="\n")
    writer.writeheader()
    for record in records():
        writer.writerow({key: "" if value is None else value for key, value in record.items()})
    return out.getvalue()


def as_json() -> str:
    """Every parameter as a JSON list of records."""
    return json.dumps(records(), indent=2) + "\n"


def as_markdown() -> str:
    """One Markdown table per group, as ``docs/ODD.md`` lays out its parameter table."""
    parts = []
    for group in GROUPS:
        parts += [f"### {group.capitalize()}", "",
                  "| Parameter | Unit | Default | Range | Meaning | Source |",
                  "|---|---|---|---|---|---|"]
        parts += [f"| `{spec.name}` | {spec.unit} | {default_text(spec)} | {range_text(spec)} "
                  f"| {spec.help} | {spec.source} |"
                  for spec in SPECS.values() if spec.group == group]
        parts.append("")
    return "\n".join(parts)


def show(console: Console) -> None:
    """Print every parameter for the terminal ``console`` writes to, names whole."""
    wide = console.width >= _NAME_WIDTH + TABLE_ROOM
    for group in GROUPS:
        specs = [spec for spec in SPECS.values() if spec.group == group]
        if wide:
            console.print(_table(group, specs))
        else:
            _blocks(console, group, specs)


def _table(group: str, specs: list[ParamSpec]) -> Table:
    table = Table(title=f"Parameters: {group}", title_justify="left", expand=True)
    table.add_column("name", no_wrap=True, min_width=_NAME_WIDTH, style="bold")
    table.add_column("default", no_wrap=True, min_width=_DEFAULT_WIDTH)
    # The rest wrap, and fold a word too long for its column rather than cut it.
    for column, ratio in (("unit", 1), ("allowed", 1), ("meaning", 3), ("source", 2)):
        table.add_column(column, overflow="fold", ratio=ratio)
    for spec in specs:
        table.add_row(spec.name, default_text(spec), spec.unit, range_text(spec), spec.help,
                      spec.source)
    return table


def _blocks(console: Console, group: str, specs: list[ParamSpec]) -> None:
    console.print(Text(f"Parameters: {group}", style="italic"))
    for spec in specs:
        # soft_wrap: printed as one line however narrow the terminal, never folded.
        console.print(Text(spec.name, style="bold"), soft_wrap=True)
        console.print(Text(f"  default {default_text(spec)} {spec.unit}; "
                           f"allowed {range_text(spec)}"))
        console.print(Text(f"  {spec.help}"), style="default")
        console.print(Text(f"  source: {spec.source}", style="dim"))
    console.print()
