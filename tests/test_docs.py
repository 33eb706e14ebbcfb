"""The docs keep up with the code: every parameter and metric is described, links resolve."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import math
import numbers
import re
from fractions import Fraction
from pathlib import Path

from simulation.metrics import METRICS, NAMES
from simulation.params import SPECS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ODD = (DOCS / "ODD.md").read_text(encoding="utf-8")


def test_odd_describes_every_parameter() -> None:
    missing = [name for name in SPECS if f"`{name}`" not in ODD]
    assert not missing, f"docs/ODD.md does not describe: {missing}"


def _section(heading: str) -> str:
    """The ODD's text from ``heading`` to the next heading of the same level."""
    level = heading.split(" ")[0]
    start = ODD.index(f"\n{heading}\n")
    end = ODD.find(f"\n{level} ", start + len(heading) + 2)
    return ODD[start:end if end > 0 else len(ODD)]


def test_calibrated_parameters_name_the_figure_they_were_calibrated_to() -> None:
    calibration = _section("## Calibration")
    prose = calibration[:calibration.index("\n|")]  # the paragraph before the table
    named = {name for name in re.findall(r"`(\w+)`", prose) if name in SPECS}
    calibrated = {name for name, spec in SPECS.items()
                  if spec.source.startswith("calibrated: ")}
    assert named and named == calibrated
    for name in calibrated:
        assert f"`{name}`" in calibration.split("\n|", 1)[1], name  # in a target's row


def test_readme_names_every_metric_summarised_as_a_ratio_over_the_run() -> None:
    # The README says shares are daily means except these; a new ratio must be named too.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    summary = readme[readme.index("one\nvalue per metric"):readme.index("Bad input")]
    ratios = [m.name for m in METRICS if m.summary.startswith("ratio:")]
    assert ratios and all(f"`{name}`" in summary for name in ratios), ratios


def test_odd_describes_every_metric() -> None:
    missing = [name for name in NAMES if f"`{name}`" not in ODD]
    assert not missing, f"docs/ODD.md does not describe: {missing}"



def _table_rows(text: str) -> dict[str, list[str]]:
    """The rows of the Markdown tables in ``text`` whose first cell is a `name`, by name."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\| `(\w+)` \|(.*)\|\s*$", line)
        if match:
            rows[match[1]] = [cell.strip() for cell in match[2].split("|")]
    return rows


def _numeric_constants(path: Path) -> dict[str, float]:
    """Public upper-case module constants of ``path`` with a numeric value.

    Imported names are left out, and so are private ones (``_NAME``): those are numerical
    safeguards of an implementation, such as a rounding margin, not part of the model.
    """
    module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    names = [target.id for node in ast.parse(path.read_text(encoding="utf-8")).body
             if isinstance(node, ast.Assign | ast.AnnAssign)
             for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(target, ast.Name) and target.id.isupper()
             and not target.id.startswith("_")]
    return {name: getattr(module, name) for name in names
            if isinstance(getattr(module, name), numbers.Real)
            and not isinstance(getattr(module, name), bool)}


def _number(value: float) -> str:
    """A number as the ODD's parameter table writes it: 10,000; 0.002; 37.5."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def test_odd_parameter_table_matches_the_declarations() -> None:
    table = _section("## Parameter table")
    rows, group = {}, None
    for line in table.splitlines():
        if line.startswith("### "):
            group = line.removeprefix("### ").strip().lower()
        elif (row := _table_rows(line)):
            name, cells = next(iter(row.items()))
            rows[name] = (group, cells)
    assert list(rows) == list(SPECS)  # every parameter once, in declaration order
    for name, spec in SPECS.items():
        group, (unit, default, allowed, meaning, source) = rows[name]
        if spec.type is bool:
            expected_default, expected_range = str(spec.default).lower(), "true / false"
        else:
            expected_default = _number(spec.default)
            expected_range = f"{_number(spec.low)} – {_number(spec.high)}" + (
                " (whole number)" if spec.type is int else "")
        assert (group, unit, default, allowed, meaning, source) == (
            spec.group, spec.unit, expected_default, expected_range, spec.help,
            spec.source), name


def test_every_fixed_constant_of_the_rules_is_in_the_odd_with_its_value() -> None:
    table = _table_rows(_section("## Fixed constants"))
    files = [*sorted((ROOT / "simulation" / "rules").glob("*.py")),
             ROOT / "simulation" / "day.py", ROOT / "simulation" / "state.py"]
    found = 0
    for path in files:
        for name, value in _numeric_constants(path).items():
            found += 1
            assert name in table, f"{name} ({path.name}) is missing from ODD 'Fixed constants'"
            documented, _, where = table[name][:3]
            assert where == f"`{path.relative_to(ROOT)}`", (name, where)
            number = documented.replace(",", "").replace("−", "-")
            assert math.isclose(float(Fraction(number)), value, rel_tol=1e-12), \
                (name, documented, value)
    assert found >= 40  # the scan does find the constants


def test_odd_schedule_is_the_phase_table_generated_from_the_code() -> None:
    from simulation.cli import phases_markdown
    from simulation.docblocks import read_block

    assert read_block(ODD, "phases") == phases_markdown()


def test_odd_metrics_table_matches_the_declarations() -> None:
    def summary(metric: str) -> str:
        if metric.startswith("ratio:"):
            numerator, denominator = metric.removeprefix("ratio:").split("/")
            return f"ratio: sum of `{numerator}` / sum of `{denominator}`"
        return {"sum": "sum over days", "mean": "mean over days", "last": "last day"}[metric]

    rows = _table_rows(_section("## Metrics table"))
    assert list(rows) == list(NAMES)  # every metric once, in declaration order
    for metric in METRICS:
        assert rows[metric.name] == [metric.unit, summary(metric.summary), metric.help], \
            metric.name


def test_odd_scenario_table_matches_the_scenario_files() -> None:
    from simulation.scenarios import load_scenario, shipped

    def shown(value: object) -> str:
        return str(value).lower() if isinstance(value, bool) else _number(value)

    rows = _table_rows(_section("## Scenarios shipped"))
    assert sorted(rows) == sorted(shipped())
    for name in shipped():
        scenario = load_scenario(name)
        title, overrides = rows[name]
        expected = ", ".join(f"`{key}` = {shown(value)}"
                             for key, value in scenario.overrides.items())
        assert (title, overrides) == (scenario.title, expected or "none (the defaults)"), name


# The generated blocks of the ODD: the phase table (`carecap phases --markdown`) and the
# measured figures (written by benchmarks/figures.py).
ODD_BLOCKS = ("phases", "scenario effects", "capacity", "factorial", "risk x devolved", "equity")


def test_odd_has_each_generated_block_once() -> None:
    from simulation.docblocks import read_block

    for name in ODD_BLOCKS:
        read_block(ODD, name)  # raises unless its markers are there exactly once


def test_odd_describes_every_state_field() -> None:
    from simulation.state import State

    fields = [f.name for f in dataclasses.fields(State) if f.name not in ("n", "posts")]
    entities = _section("### 1.2 Entities, state variables and scales")
    missing = [name for name in fields if f"`{name}`" not in entities]
    assert not missing, f"docs/ODD.md 1.2 does not describe: {missing}"


def test_odd_has_the_day_and_loop_diagrams_and_the_analyses() -> None:
    assert ODD.count("```mermaid") >= 2  # one day's phases; the causal loops
    for loop in ("Reciprocity", "Strain", "Morale"):
        assert loop in ODD
    for section in ("## Sensitivity analysis", "### When the peer scheme does nothing or harm"):
        assert section in ODD


def test_relative_links_in_the_docs_point_to_files_that_exist() -> None:
    broken = []
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(DOCS)} -> {target}")
    assert not broken, broken


def _design_ranges(experiment: str) -> dict[str, list[float]]:
    import tomllib

    with open(ROOT / "experiments" / experiment, "rb") as file:
        return tomllib.load(file)["design"]["ranges"]


def test_screening_covers_every_assumption_but_those_it_holds_and_says_why() -> None:
    from benchmarks.sensitivity import NOT_SCREENED

    screened = set(_design_ranges("morris_assumptions.toml"))
    assumptions = {name for name, spec in SPECS.items() if "assumption" in spec.source}
    assert sorted(assumptions - screened - set(NOT_SCREENED)) == []  # none forgotten
    assert sorted(screened & set(NOT_SCREENED)) == []
    assert set(NOT_SCREENED) <= assumptions
    assert screened <= assumptions  # fitted and sourced parameters are not screened


def test_the_sobol_experiment_takes_the_set_screening_chose_with_its_ranges() -> None:
    text = (DOCS / "sensitivity.md").read_text(encoding="utf-8")
    line = re.search(r"Sobol set \(the (\d+) furthest above their floor[^:]*: (.*)\.\n", text)
    assert line, "docs/sensitivity.md names no Sobol set"
    chosen = re.findall(r"`(\w+)`", line.group(2))
    assert len(chosen) == int(line.group(1))
    morris, sobol = _design_ranges("morris_assumptions.toml"), _design_ranges(
        "sobol_uncertain.toml")
    assert sorted(sobol) == sorted(chosen)
    assert all(sobol[name] == morris[name] for name in chosen)
