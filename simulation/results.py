"""A run's results and how they are written: CSV or Parquet, and a JSON summary.

Files are written to a temporary name beside the target and renamed into place, so a
failed write never leaves a partial file. The summary JSON and a Parquet file's metadata
carry the run's provenance (:mod:`simulation.provenance`); the daily columns never do.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation.params import Params

if TYPE_CHECKING:  # pandas is imported by whoever makes a result; checking paths needs none
    import pandas as pd
    import pyarrow as pa

TABLE_SUFFIXES = (".csv", ".parquet")
PARQUET_KEY = b"carecap"  # the key of the provenance record in a Parquet file's metadata
# The layout of a run's summary JSON (its keys and what they hold); raised when it changes,
# so a reader can tell which layout it has.
SUMMARY_SCHEMA_VERSION = 1


@dataclass
class RunResult:
    """Daily metrics (one row per day, one column per metric) and the run's summary.

    Attributes:
        provenance: What made the run (:func:`simulation.provenance.run_record`): version,
            commit, date, scenario, area, seed, every parameter and the command.
    """

    daily: pd.DataFrame
    summary: dict[str, float]
    params: Params
    seed: int
    scenario: str
    days: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def write_table(self, path: str | Path) -> None:
        """Write the daily metrics as ``.csv`` or ``.parquet`` (by the file's suffix)."""
        self.write(table=path)

    def write_summary(self, path: str | Path) -> None:
        """Write the summary JSON.

        It holds the scenario, seed, days, area, the parameters changed from the defaults,
        the levers that start on a day (``schedule``) and the run's provenance.
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
            return lambda tmp: write_parquet(self.daily, tmp, self.provenance)
        return lambda tmp: self.daily.to_csv(tmp, index=False)

    def _summary_writer(self) -> Callable[[Path], object]:
        record = self.params.as_record()
        document = {"schema_version": SUMMARY_SCHEMA_VERSION,
                    "scenario": self.scenario, "seed": self.seed, "days": self.days,
                    "residents": self.params.residents, "area": record["structure"]["area"],
                    "changed": self.params.changed(), "schedule": record["schedule"],
                    "summary": self.summary, "provenance": self.provenance}
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


def write_parquet(frame: pd.DataFrame | pa.Table, path: Path, record: dict[str, Any]) -> None:
    """Write a table as Parquet with ``record`` in the file's key-value metadata.

    A pandas frame's columns are written as pandas writes them (``DataFrame.to_parquet``);
    the record sits beside pandas' own metadata and changes no value of the table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
        frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), PARQUET_KEY: json.dumps(record).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def read_parquet_record(path: str | Path) -> dict[str, Any] | None:
    """The provenance record of a Parquet file carecap wrote, or ``None`` if it has none."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    if PARQUET_KEY not in metadata:
        return None
    return json.loads(metadata[PARQUET_KEY])
