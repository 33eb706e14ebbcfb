"""A run's results and how they are written: CSV or Parquet, and a JSON summary.

Files are written to a temporary name beside the target and renamed into place, so a
failed write never leaves a partial file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.params import Params

TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class RunResult:
    """Daily metrics (one row per day, one column per metric) and the run's summary."""

    daily: pd.DataFrame
    summary: dict[str, float]
    params: Params
    seed: int
    scenario: str
    days: int

    def write_table(self, path: str | Path) -> None:
        """Write the daily metrics as ``.csv`` or ``.parquet`` (by the file's suffix)."""
        path = Path(path)
        if path.suffix == ".parquet":
            atomic_write(path, lambda tmp: self.daily.to_parquet(tmp, index=False))
        else:
            atomic_write(path, lambda tmp: self.daily.to_csv(tmp, index=False))

    def write_summary(self, path: str | Path) -> None:
        """Write the summary, with the run's scenario, seed, days and changed parameters."""
        document = {"scenario": self.scenario, "seed": self.seed, "days": self.days,
                    "residents": self.params.residents, "changed": self.params.changed(),
                    "summary": self.summary}
        atomic_write(Path(path), lambda tmp: tmp.write_text(json.dumps(document, indent=2)))


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary_path)`` and rename the result onto ``path``."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        # mkstemp makes the file private; give it the permissions any new file would get.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
