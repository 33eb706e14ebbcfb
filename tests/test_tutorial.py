"""The analysts' tutorial script runs from start to end, at a small size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "tutorial.py"


def test_tutorial_script_runs_to_a_sweep_report(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    env = {**os.environ, "TUTORIAL_RESIDENTS": "1500", "TUTORIAL_DAYS": "60",
           "TUTORIAL_REPLICATES": "2", "TUTORIAL_OUT": str(out)}
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for printed in ("readmission_rate_30d", "peer visits minus baseline", "edges by kind",
                    "decision_delay_days"):
        assert printed in done.stdout
    assert (out / "report.html").is_file() and (out / "summaries.csv").is_file()


def test_tutorial_text_walks_through_every_cell_of_the_script() -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    cells = [line.removeprefix("# %% ") for line in SCRIPT.read_text().splitlines()
             if line.startswith("# %% ")]
    for cell in cells[1:]:
        number = cell.split(".")[0]
        assert f"## {number}." in text, cell
    for command in ("carecap run", "carecap sweep", "carecap report", "docs/tutorial.py"):
        assert command in text
