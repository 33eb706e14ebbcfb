"""The model description keeps up with the code: every parameter and metric is in it."""

from __future__ import annotations

from pathlib import Path

from simulation.metrics import NAMES
from simulation.params import SPECS

ODD = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")


def test_odd_describes_every_parameter() -> None:
    missing = [name for name in SPECS if f"`{name}`" not in ODD]
    assert not missing, f"docs/ODD.md does not describe: {missing}"


def test_odd_describes_every_metric() -> None:
    missing = [name for name in NAMES if f"`{name}`" not in ODD]
    assert not missing, f"docs/ODD.md does not describe: {missing}"

