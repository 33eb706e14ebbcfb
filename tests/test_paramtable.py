"""``carecap params``: names whole at every terminal width, and the table exported."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from simulation.cli import main
from simulation.params import SPECS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("width", [12, 20, 40, 60, 80, 90, 91, 100, 120, 200])
def test_no_name_is_ever_cut(width: int, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in SPECS:
        whole = re.compile(rf"(?<![\w…]){re.escape(name)}(?![\w…])")
        assert any(whole.search(line) for line in lines), (width, name)
    assert not any("…" in line for line in lines)  # nothing cut short with an ellipsis


def _exported(fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["params", "--format", fmt]) == 0
    return capsys.readouterr().out


def test_csv_export_has_every_parameter_with_typed_values(
        capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(_exported("csv", capsys))))
    assert [row["name"] for row in rows] == list(SPECS)
    for row in rows:
        spec = SPECS[row["name"]]
        default = row["default"] == "True" if spec.type is bool else float(row["default"])
        assert default == spec.default and row["unit"] == spec.unit
        assert row["meaning"] == spec.help and row["source"] == spec.source


def test_json_export_has_every_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    records = json.loads(_exported("json", capsys))
    assert [r["name"] for r in records] == list(SPECS)
    residents = records[0]
    assert (residents["default"], residents["low"], residents["type"]) == \
        (SPECS["residents"].default, SPECS["residents"].low, "int")


def test_markdown_export_is_the_odds_parameter_table(capsys: pytest.CaptureFixture[str]) -> None:
    # The same shape as the parameter table in docs/ODD.md, row for row.
    exported = [line for line in _exported("markdown", capsys).splitlines()
                if line.startswith("| `")]
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert len(exported) == len(SPECS)
    for row in exported:
        assert row in odd, row


def test_an_unknown_format_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params", "--format", "xml"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "csv" in err and "markdown" in err
