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
        self.write(table=path)

    def write_summary(self, path: str | Path) -> None:
        """Write the summary with the run's scenario, seed, days, area and parameters.

        The parameters are those changed from the defaults, and the levers that start on
        a day (``schedule``).
        """
        self.write(summary=path)

    def write(self, table: str | Path | None = None, summary: str | Path | None = None) -> None:
        """Write the daily table and the summary, both or neither.

        Both are written to temporary files first and renamed into place only once both
        have been written, so a failed summary does not leave a new table behind.
        """
        writes = {}
        if table is not None:
            writes[Path(table)] = self._table_writer(Path(table))
        if summary is not None:
            writes[Path(summary)] = self._summary_writer()
        atomic_write_all(writes)

    def _table_writer(self, path: Path) -> Callable[[Path], object]:
        if path.suffix.lower() == ".parquet":  # as the CLI checks it
            return lambda tmp: self.daily.to_parquet(tmp, index=False)
        return lambda tmp: self.daily.to_csv(tmp, index=False)

    def _summary_writer(self) -> Callable[[Path], object]:
        record = self.params.as_record()
        document = {"scenario": self.scenario, "seed": self.seed, "days": self.days,
                    "residents": self.params.residents, "area": record["structure"]["area"],
                    "changed": self.params.changed(), "schedule": record["schedule"],
                    "summary": self.summary}
        return lambda tmp: tmp.write_text(json.dumps(document, indent=2))


def temporary_beside(path: Path) -> Path:
    """Create an empty, hidden temporary file in ``path``'s folder and return its path.

    Raises:
        OSError: If no file can be created there.
    """
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    return Path(name)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary_path)`` and rename the result onto ``path``."""
    atomic_write_all({path: write})


def atomic_write_all(writes: dict[Path, Callable[[Path], object]]) -> None:
    """Write every file to a temporary beside it; rename them all only if all succeeded."""
    temporaries: list[Path] = []
    try:
        for path, write in writes.items():
            temporaries.append(temporary_beside(path))
            write(temporaries[-1])
        # mkstemp makes files private; give them the permissions any new file would get.
        umask = os.umask(0)
        os.umask(umask)
        for tmp, path in zip(temporaries, writes, strict=True):
            tmp.chmod(0o666 & ~umask)
            os.replace(tmp, path)
    finally:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
