"""carecap validate: the table, its exit codes, and the generated table in the docs."""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from simulation import run
from simulation.cli import main
from simulation.docblocks import read_block
from simulation.metrics import BY_NAME
from simulation.params import SPECS
from simulation.targets import ARMS, BY_ROLE
from simulation.validate import (
    BLOCK,
    COLUMNS,
    DEFAULT_REPLICATES,
    TARGETS,
    Row,
    check,
    confidence_interval,
    describe_size,
    exit_code,
    markdown,
    validate,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
# A reduced size: the figures are noisy, so these tests check the machinery, not the
# calibration (tests/test_scenarios.py checks that over replicates at full size).
SMALL = {"replicates": 2, "residents": 2_000, "days": 120}


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return check(TARGETS, SMALL["replicates"], SMALL["residents"], SMALL["days"])


def _args(**flags: object) -> argparse.Namespace:
    return argparse.Namespace(**{"replicates": 2, "residents": None, "days": None, **flags})


def _table_rows(text: str) -> list[list[str]]:
    """The cells of a markdown table's body rows."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_every_target_names_its_source_and_a_band_around_its_figure() -> None:
    assert len(TARGETS) >= 8
    for target in TARGETS:
        assert target.source and target.published and target.why
        assert target.low < target.high
        assert target.unit in ("share", "ratio")
        assert target.metric in BY_NAME and {target.arm, target.per_arm} <= set(ARMS)


def test_calibration_and_held_out_targets_are_apart_and_none_echoes_an_input() -> None:
    calibration, held_out = BY_ROLE["calibration"], BY_ROLE["held-out"]
    assert len(held_out) >= 3 and calibration
    assert set(calibration).isdisjoint(held_out)
    # A held-out target reads no metric that a calibration target was fitted to, in the
    # same arms: fitting one would have fitted the other.
    fitted = {(t.arm, t.metric, t.per_arm, t.per_metric) for t in calibration}
    assert not {(t.arm, t.metric, t.per_arm, t.per_metric) for t in held_out} & fitted
    # No target merely echoes a parameter (as a length of stay echoes stay_days_older).
    for target in TARGETS:
        assert not BY_NAME[target.metric].echoes, target.name
    # Every calibrated parameter names a calibration target that fits it, and back.
    calibrated = {name for name, spec in SPECS.items()
                  if spec.source.startswith("calibrated: ")}
    assert calibrated == {name for t in calibration for name in t.calibrates}
    assert not any(t.calibrates for t in held_out)


def test_echoing_metrics_really_echo_their_parameter() -> None:
    # The declared echoes are what they say: the metric follows the parameter alone.
    for metric in (m for m in BY_NAME.values() if m.echoes):
        spec = SPECS[metric.echoes]
        low, high = (run("baseline", seed=1, days=120, residents=3_000,
                         **{spec.name: spec.default * factor}).summary[metric.name]
                     for factor in (0.5, 1.5))
        assert 1.3 < high / low < 4.0, metric.name  # about the parameter's own ratio, 3


def test_confidence_interval_is_the_student_t_interval() -> None:
    low, high = confidence_interval(np.array([1.0, 2.0, 3.0]))
    # t(0.975, 2 df) = 4.3027; sd 1; half width 4.3027 / sqrt(3) = 2.4841.
    assert low == pytest.approx(2.0 - 2.4841, abs=1e-4)
    assert high == pytest.approx(2.0 + 2.4841, abs=1e-4)


def test_exit_code_fails_on_calibration_misses_and_on_held_out_only_when_strict(
        rows: list[Row]) -> None:
    passing = [dataclasses.replace(r, mean=r.target.low) for r in rows]
    held_miss = [dataclasses.replace(r, mean=r.target.high + 1)
                 if r.target.role == "held-out" else r for r in passing]
    calibration_miss = [dataclasses.replace(r, mean=r.target.high + 1)
                        if r.target.role == "calibration" else r for r in passing]
    assert exit_code(passing) == 0 and exit_code(passing, strict=True) == 0
    assert exit_code(held_miss) == 0 and exit_code(held_miss, strict=True) == 1
    assert exit_code(calibration_miss) == 1


def test_rows_are_the_means_of_the_same_runs_made_directly(rows: list[Row]) -> None:
    by_metric = {(r.target.arm, r.target.metric, r.target.per_metric): r for r in rows}
    direct = [run("baseline", seed=s, days=SMALL["days"], residents=SMALL["residents"]).summary
              for s in range(SMALL["replicates"])]
    readmission = by_metric["baseline", "readmission_rate_30d", None]
    assert readmission.mean == np.mean([d["readmission_rate_30d"] for d in direct])
    assert readmission.low < readmission.mean < readmission.high
    peer = [run("peer_visits", seed=s, days=SMALL["days"], residents=SMALL["residents"])
            .summary["readmission_rate_30d"] for s in range(SMALL["replicates"])]
    ratio = by_metric["peer_visits", "readmission_rate_30d", "readmission_rate_30d"]
    assert ratio.mean == pytest.approx(np.mean(
        np.array(peer) / [d["readmission_rate_30d"] for d in direct]))


def test_validate_prints_every_target_with_its_band() -> None:
    out = io.StringIO()
    validate(_args(residents=str(SMALL["residents"]), days=str(SMALL["days"])),
             Console(file=out, width=400))
    text = out.getvalue()
    for target in TARGETS:  # by name and band; sources are in docs/validation.md
        assert target.name in text
        assert f"{target.show(target.low)} to {target.show(target.high)}" in text
    for role in ("calibration", "held-out"):
        assert re.search(rf"{role} targets: \d+ of {len(BY_ROLE[role])} inside", text)


def test_exit_code_is_one_when_a_target_misses_and_zero_when_all_pass() -> None:
    readmission = TARGETS[0]
    miss = dataclasses.replace(readmission, low=0.9, high=1.0)  # no town readmits 90%
    wide = dataclasses.replace(readmission, low=0.0, high=1.0)
    console = Console(file=io.StringIO(), width=400)
    assert validate(_args(residents="500", days="30"), console, targets=(miss,)) == 1
    assert validate(_args(residents="500", days="30"), console, targets=(wide,)) == 0
    assert "FAIL" in console.file.getvalue()


@pytest.mark.parametrize(("flags", "named"), [
    (["--replicates", "1"], "--replicates"),
    (["--replicates", "x"], "--replicates"),
    (["--residents", "10"], "--residents"),
    (["--days", "0"], "--days"),
])
def test_bad_input_is_one_line_naming_the_flag_and_exit_two(
        flags: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err and "allowed" in err


def test_docs_table_is_the_generated_one_at_the_default_size(rows: list[Row]) -> None:
    in_docs = read_block(DOCS.read_text(encoding="utf-8"), BLOCK)
    generated = markdown(rows, describe_size(SMALL["replicates"], SMALL["residents"],
                                             SMALL["days"]))
    # Same header, same targets in the same order, same kinds, figures, sources and
    # bands; only the model's values (and so the verdicts) differ with the size.
    assert f"| {' | '.join(COLUMNS)} |" in in_docs
    docs_rows, new_rows = _table_rows(in_docs), _table_rows(generated)
    assert len(docs_rows) == len(new_rows) == len(TARGETS)
    for old, new in zip(docs_rows, new_rows, strict=True):
        assert (old[0], old[1], *old[3:6]) == (new[0], new[1], *new[3:6])
        assert old[6] in ("pass", "FAIL", "miss")
    assert generated.split("Why each band")[1] == in_docs.split("Why each band")[1]
    assert describe_size(DEFAULT_REPLICATES, None, 365) in in_docs


def test_a_few_noisy_replicates_give_no_interval_below_zero_and_a_note() -> None:
    from simulation.validate import compare, print_table

    target = TARGETS[0]
    summaries = {(target.arm, seed): {target.metric: value}
                 for seed, value in enumerate([0.001, 0.4])}  # t interval far below 0
    (row,) = compare([target], summaries, 2)
    assert row.low == 0.0 and row.high > row.mean
    out = io.StringIO()
    print_table(Console(file=out, width=400), [row], "size")
    assert "1 of 1 intervals are wider than their bands" in out.getvalue()
