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
from simulation.validate import (
    BEGIN_MARK,
    COLUMNS,
    DEFAULT_REPLICATES,
    END_MARK,
    TARGETS,
    Row,
    check,
    confidence_interval,
    describe_size,
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
        assert target.unit in ("share", "days", "ratio")


def test_confidence_interval_is_the_student_t_interval() -> None:
    low, high = confidence_interval(np.array([1.0, 2.0, 3.0]))
    # t(0.975, 2 df) = 4.3027; sd 1; half width 4.3027 / sqrt(3) = 2.4841.
    assert low == pytest.approx(2.0 - 2.4841, abs=1e-4)
    assert high == pytest.approx(2.0 + 2.4841, abs=1e-4)


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


def test_validate_prints_every_target_and_exits_by_the_bands() -> None:
    out = io.StringIO()
    code = validate(_args(residents=str(SMALL["residents"]), days=str(SMALL["days"])),
                    Console(file=out, width=400))
    text = out.getvalue()
    for target in TARGETS:
        assert target.name in text and target.source in text
    passed = len(re.findall(r"\bpass\b", text))
    assert code == (0 if passed == len(TARGETS) else 1)
    assert f"{passed} of {len(TARGETS)} targets inside their bands" in text


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
    text = DOCS.read_text(encoding="utf-8")
    assert text.count(BEGIN_MARK) == 1 and text.count(END_MARK) == 1
    in_docs = text.split(BEGIN_MARK)[1].split(END_MARK)[0]
    size = describe_size(SMALL["replicates"], SMALL["residents"], SMALL["days"])
    generated = markdown(rows, size, "COMMAND")
    # Same header, same targets in the same order, same figures, sources and bands; only
    # the model's values (and so the verdicts) differ with the size of the run.
    assert f"| {' | '.join(COLUMNS)} |" in in_docs
    docs_rows, new_rows = _table_rows(in_docs), _table_rows(generated)
    assert len(docs_rows) == len(new_rows) == len(TARGETS)
    for old, new in zip(docs_rows, new_rows, strict=True):
        assert (old[0], *old[2:5]) == (new[0], *new[2:5])
        assert old[5] in ("pass", "FAIL")
    reasons = generated.split("Why each band")[1].split(END_MARK)[0]
    assert reasons == in_docs.split("Why each band")[1]
    assert describe_size(DEFAULT_REPLICATES, None, 365) in in_docs
