"""The guide to your own area: its script runs every command, and the commands in the text
are the ones it ran (sizes and output folders apart)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "your_area.py"
GUIDE = ROOT / "docs" / "your-area.md"
# Flags that set a size, a port or the workers: the script may run smaller, or add them.
SIZES = {"--residents", "--replicates", "--points", "--waves", "--seeds", "--days",
         "--workers", "--port"}


def _normal(command: str, out: str | None = None) -> tuple[str, ...]:
    """A command without its sizes, its output folder written as the guide's ``out``."""
    words = shlex.split(command.replace(out, "out") if out else command)
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in SIZES:
            skip = True
        else:
            kept.append(word)
    return tuple(kept)


def _guide_commands() -> list[tuple[str, ...]]:
    text = GUIDE.read_text(encoding="utf-8").replace("\\\n", " ")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [_normal(line.removeprefix("uv run ")) for line in lines
            if line.startswith("uv run carecap")]


def test_the_guide_runs_end_to_end_and_says_what_it_ran(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "YOUR_AREA_RESIDENTS": "1500", "YOUR_AREA_REPLICATES": "2",
           "YOUR_AREA_POINTS": "16", "YOUR_AREA_WAVES": "2", "YOUR_AREA_SEEDS": "2",
           "YOUR_AREA_DAYS": "120", "YOUR_AREA_OUT": str(out)}
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ran = {_normal(line.removeprefix("$ "), str(out)) for line in done.stdout.splitlines()
           if line.startswith("$ carecap ")}
    guide = _guide_commands()
    assert len(guide) >= 9
    missing = [" ".join(c) for c in guide if c not in ran]
    assert not missing, missing
    for made in ("calibration/north_norfolk/fit.html", "calibration/north_norfolk/ensemble.toml",
                 "compare/north_norfolk/comparison.csv", "north_norfolk_factorial/report.html",
                 "north_norfolk_day90.csv"):
        assert (out / made).is_file(), made
    assert "carecap dashboard: open" in done.stdout


def test_the_guide_and_its_script_cover_the_same_steps() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    cells = [line.removeprefix("# %% ") for line in SCRIPT.read_text().splitlines()
             if line.startswith("# %% ")]
    for cell in cells[1:]:
        assert f"## {cell.split('.')[0]}." in text, cell
