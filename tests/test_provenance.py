"""Provenance: every output says what made it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation import provenance
from simulation.cli import main
from simulation.metrics import NAMES
from simulation.params import Params
from simulation.provenance import read_parquet_record

QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]


def test_version_is_the_packages_and_the_command_prints_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert provenance.VERSION == version("carecap") == "0.2.0"
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == provenance.describe() and printed.startswith("carecap 0.2.0")


def test_a_runs_summary_and_parquet_file_record_what_made_them_and_repeat_it(
        tmp_path: Path) -> None:
    out, summary = tmp_path / "daily.parquet", tmp_path / "summary.json"
    assert main(["run", "peer_visits", *QUICK, "--seed", "4", "--set", "risk_aversion=0.3",
                 "--out", str(out), "--summary", str(summary)]) == 0
    record = json.loads(summary.read_text())["provenance"]
    assert record == read_parquet_record(out)  # the same record in both files
    expected = Params.from_overrides({"residents": 600, "warmup_days": 5,
                                      "risk_aversion": 0.3, "peer_scheme": True})
    assert record["params"] == expected.as_dict()  # every parameter, not only the changed
    assert (record["carecap"], record["commit"]) == (provenance.VERSION, provenance.commit())
    assert record["scenario"] == "peer_visits" and record["seed"] == 4
    assert record["days"] == 12 and "area" in record and record["created"].endswith("Z")
    # no provenance among the daily columns
    assert list(pd.read_parquet(out).columns) == list(NAMES)
    # the recorded command makes the same daily table again
    again = tmp_path / "again.parquet"
    words = shlex.split(record["command"])
    assert words[:2] == ["carecap", "run"]
    assert main([*words[1:], "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(again), pd.read_parquet(out))


def test_the_daily_table_of_a_run_does_not_depend_on_when_it_was_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert main(["run", "baseline", *QUICK, "--out", str(first)]) == 0
    monkeypatch.setattr(provenance, "now", lambda: "2000-01-01T00:00:00Z")
    assert main(["run", "baseline", *QUICK, "--out", str(second)]) == 0
    assert read_parquet_record(second)["created"] == "2000-01-01T00:00:00Z"
    assert pq.read_table(first).equals(pq.read_table(second))  # the data, bit for bit
