"""The command line: normal use and every error path (one line, exit code 2, no file)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.metrics import NAMES

QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]


def _fails_cleanly(capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    assert lines[0].startswith("carecap: error:")
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_run_prints_a_summary_and_writes_csv_and_json(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out, summary = tmp_path / "daily.csv", tmp_path / "summary.json"
    assert main(["run", "peer_visits", *QUICK, "--seed", "4", "--out", str(out),
                 "--summary", str(summary)]) == 0
    printed = capsys.readouterr().out
    assert "readmission_rate_30d" in printed and "seed 4" in printed
    daily = pd.read_csv(out)
    assert list(daily.columns) == list(NAMES) and len(daily) == 12
    document = json.loads(summary.read_text())
    assert document["scenario"] == "peer_visits" and document["seed"] == 4
    assert set(document["summary"]) == set(NAMES)
    assert document["summary"]["admissions"] == daily["admissions"].sum()


def test_run_writes_parquet_and_accepts_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.toml"
    scenario.write_text('title = "Mine"\n[overrides]\npeer_scheme = true\nrisk_aversion = 0\n')
    out = tmp_path / "daily.parquet"
    assert main(["run", str(scenario), *QUICK, "--out", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 12


def test_an_upper_case_suffix_still_picks_the_format(tmp_path: Path) -> None:
    out = tmp_path / "daily.PARQUET"
    assert main(["run", "baseline", *QUICK, "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"PAR1"  # Parquet's magic bytes, not CSV text
    assert len(pd.read_parquet(out)) == 12


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    listed = capsys.readouterr().out
    for name in ("baseline", "peer_visits", "mutual_aid", "devolved_decisions",
                 "co_production_and_subsidiarity", "defensive_risk", "family_absorbs"):
        assert name in listed
    assert main(["params"]) == 0
    listed = capsys.readouterr().out
    assert "peer_scheme" in listed and "NAO" in listed


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "no_such_scenario"], ["no_such_scenario", "unknown", "baseline"]),
    (["run", "baseline", "--set", "no_such=1"], ["--set", "no_such", "unknown parameter"]),
    (["run", "baseline", "--set", "risk_aversion=high"], ["risk_aversion", "not a number",
                                                          "0 to 1"]),
    (["run", "baseline", "--set", "risk_aversion=1.5"], ["risk_aversion", "out of range"]),
    (["run", "baseline", "--set", "peer_scheme=maybe"], ["peer_scheme", "true or false"]),
    (["run", "baseline", "--set", "neighbour_ties=2.5"], ["neighbour_ties", "whole number"]),
    (["run", "baseline", "--set", "risk_aversion"], ["--set", "NAME=VALUE"]),
    (["run", "baseline", "--residents", "10"], ["--residents", "out of range", "50"]),
    (["run", "baseline", "--days", "0"], ["--days", "whole number from 1"]),
    (["run", "baseline", "--days", "ten"], ["--days"]),
    (["run", "baseline", "--seed", "-3"], ["--seed"]),
    (["run", "baseline", "--out", "daily.xlsx"], ["--out", ".csv, .parquet"]),
    (["run", "baseline", "--out", "/no/such/folder/daily.csv"], ["--out", "does not exist"]),
    (["run", "baseline", "--summary", "s.txt"], ["--summary", ".json"]),
    (["run"], ["scenario"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                      expected: list[str]) -> None:
    _fails_cleanly(capsys, argv, *expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("title = \n", ["not valid TOML"]),
    ('colour = "blue"\n', ["unknown field 'colour'", "allowed"]),
    ("[overrides]\nrisk_aversion = 3\n", ["overrides.risk_aversion", "out of range"]),
    ("[overrides]\nrisk_avrsion = 0.3\n", ["overrides.risk_avrsion", "unknown parameter"]),
    ('[overrides]\npeer_scheme = "yes"\n', ["overrides.peer_scheme", "is text", "true or false"]),
    ('sources = "one"\n', ["'sources'", "list of text"]),
    ("[lesson]\nhomework = []\n", ["'lesson'", "look_for"]),
])
def test_bad_scenario_files_name_file_and_field(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                text: str, expected: list[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    line = _fails_cleanly(capsys, ["run", str(path), *QUICK], *expected)
    assert "bad.toml" in line


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(capsys, ["run", str(tmp_path / "gone.toml")], "gone.toml", "no such")


def test_unwritable_output_folder_is_refused_before_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Tests may run as root, whom permission checks never stop: fail the probe file itself.
    def denied(path: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("simulation.inputs.temporary_beside", denied)
    monkeypatch.setattr("simulation.cli.run", lambda **kwargs: pytest.fail("ran anyway"))
    summary = tmp_path / "s.json"
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--summary", str(summary)],
                   "--summary", str(summary), "Permission denied", "allowed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_that_refuses_files_is_caught_before_the_run_even_as_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("simulation.cli.run", lambda **kwargs: pytest.fail("ran anyway"))
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--out", str(tmp_path / "d.csv"),
                            "--summary", "/proc/x.json"],
                   "--summary", "/proc/x.json", "cannot create a file", "allowed")
    assert not Path("/proc/x.json").exists() and list(tmp_path.iterdir()) == []


def test_a_failed_summary_leaves_no_table_behind(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The table is written, then the disk fills up while the summary is written.
    def full_disk(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("simulation.results.json.dumps", full_disk)
    out, summary = tmp_path / "daily.csv", tmp_path / "summary.json"
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--out", str(out),
                            "--summary", str(summary)],
                   "cannot write output", f"--out {out}", f"--summary {summary}",
                   "No space left", "nothing was written")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # The disk fills up half-way through writing the table.
    def full_disk(self: pd.DataFrame, path: object, **kwargs: object) -> None:
        Path(str(path)).write_text("day,adm")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    out = tmp_path / "daily.csv"
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--out", str(out)],
                   "cannot write output", f"--out {out}", "No space left")
    assert list(tmp_path.iterdir()) == []
