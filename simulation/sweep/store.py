"""Where a sweep's results live: a manifest written up front, one file per finished run.

Layout of a sweep folder::

    manifest.json          the plan, every planned run and what made it (written before
                           the first run starts; asking for more replicates of the same
                           sweep extends it); its schema is in sweep/manifest.py
    runs/a000-r0000.parquet    one finished run's daily metrics (written, then renamed);
                           its metadata records the run's label, scenario, seed,
                           replicate, every parameter and the carecap that made it
    runs/a001-r0003.error.json a run that raised or whose worker died, with the reason
    summaries.parquet      one row per finished run: its summary of every metric, label,
                           scenario, seed and parameters (written after each sweep)
    sweep.lock             while a sweep writes the folder: which process it is

A finished run is never lost (it is on disk the moment it ends) and never duplicated
(its file name is its run id); rerunning the same sweep skips finished runs. A run file
that cannot be read (cut short, or damaged since) does not count as finished: it is
reported by name and the next sweep runs it again.

One sweep at a time writes a folder: it holds an exclusive lock on ``sweep.lock`` (an
``flock``, which the system releases however the process ends, so the lock of a killed
sweep is free for the next one to take over; the file is rewritten with its holder).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from simulation import provenance, results
from simulation.results import atomic_write
from simulation.sweep import manifest as schema

if TYPE_CHECKING:  # the workers that only save runs need neither at import
    import pandas as pd

    from simulation.params import Params
    from simulation.sweep.experiment import Arm, Experiment, Run

LOCK_FILE = "sweep.lock"
MAGIC = b"PAR1"  # what every Parquet file starts and ends with


class StoreError(OSError):
    """The sweep folder cannot be used (unwritable, full, or holds another sweep)."""


class StoreLockedError(StoreError):
    """Another sweep is writing the folder; the message names its process."""


class SweepStore:
    """A sweep folder.

    Args:
        folder: The folder (created if missing).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.runs_folder = self.folder / "runs"
        self._locked = False

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for this sweep (made if missing); re-entrant on this store.

        Raises:
            StoreLockedError: Another process holds it; the message names the process.
            StoreError: The folder or its lock file cannot be made.
        """
        if self._locked:
            yield
            return
        path = self.folder / LOCK_FILE
        with self._locked_file(path) as handle:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "since": time.strftime("%Y-%m-%d %H:%M:%S")}))
            handle.flush()
            self._locked = True
            try:
                yield
            finally:
                self._locked = False
                path.unlink(missing_ok=True)  # before the lock goes, so no one sees it stale

    def _locked_file(self, path: Path) -> TextIO:
        """Open ``path`` and lock it, or raise naming the process that holds it."""
        while True:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                handle = path.open("a+", encoding="utf-8")
            except OSError as error:
                raise StoreError(f"{self.folder}: cannot be written "
                                 f"({error.strerror or error})") from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise StoreLockedError(
                    f"{self.folder}: another sweep is writing this folder "
                    f"({_holder(path)}); allowed: wait for it to end, or use another "
                    "--out folder") from None
            try:
                if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                    return handle
            except FileNotFoundError:
                pass
            handle.close()  # its holder removed it as we opened it: lock the new one

    def prepare(self, experiment: Experiment, command: str | None = None) -> None:
        """Write the manifest, or check that the folder holds this same sweep.

        Args:
            experiment: The experiment at the sizes it runs at.
            command: The command that makes the same runs again, for the manifest.

        Raises:
            StoreError: The folder holds another sweep, more replicates, a sweep made by
                another carecap version or an unreadable manifest, or cannot be written.
        """
        manifest = schema.build(experiment, command)
        path = self.folder / schema.FILE
        try:
            self.runs_folder.mkdir(parents=True, exist_ok=True)
            for stale in self.runs_folder.glob(".*.tmp"):  # a write cut short by a kill
                stale.unlink()
            if path.exists():
                held = self.manifest()
                problem = schema.resume_problem(held)
                if problem:
                    raise StoreError(f"{self.folder}: {problem}")
                before, now = schema.identity(held), schema.identity(manifest)
                if before != now:
                    differ = [k for k in sorted(before | now) if before.get(k) != now.get(k)]
                    raise StoreError(f"{self.folder}: holds a different sweep (its "
                                     f"{', '.join(differ)} differ from this one's: a changed "
                                     "experiment, scenario file or size; use another --out "
                                     "folder, or the same experiment, files and sizes)")
                if held["replicates"] > experiment.replicates:
                    raise StoreError(f"{self.folder}: holds {held['replicates']} replicates "
                                     f"(allowed: --replicates {held['replicates']} or more)")
                if held["runs"] == manifest["runs"]:
                    return
                # More replicates of the same sweep: the plan grows, finished runs stay,
                # and so does the record of when and by what the sweep was made.
                manifest["provenance"] = {**held["provenance"],
                                          "command": command or held["provenance"]["command"]}
            atomic_write(path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))
        except StoreError:
            raise
        except OSError as error:
            raise StoreError(f"{self.folder}: cannot be written ({error.strerror or error})") \
                from None

    def manifest(self) -> dict:
        """The sweep's plan as written by :meth:`prepare` (see ``sweep/manifest.py``).

        Raises:
            StoreError: The manifest is missing, not readable JSON, or not of a schema
                this carecap reads.
        """
        try:
            return schema.read(self.folder)
        except schema.ManifestError as error:
            raise StoreError(f"{error}; use another --out folder") from None

    def run_files(self) -> list[Path]:
        """The finished runs' files, in name order: those that can be read."""
        return [p for p in sorted(self.runs_folder.glob("*.parquet"))
                if _unreadable(p) is None]

    def unreadable(self) -> dict[Path, str]:
        """Run files that cannot be read (so do not count as finished), with the reason."""
        found = {p: _unreadable(p) for p in sorted(self.runs_folder.glob("*.parquet"))}
        return {p: reason for p, reason in found.items() if reason is not None}

    def finished(self) -> set[str]:
        """Run ids whose results are on disk and can be read."""
        return {p.name.removesuffix(".parquet") for p in self.run_files()}

    def failed(self) -> dict[str, str]:
        """Run ids that failed, with the reason."""
        failed = {}
        for path in self.runs_folder.glob("*.error.json"):
            try:
                reason = str(json.loads(path.read_text(encoding="utf-8"))["error"])
            except (OSError, ValueError, KeyError, TypeError) as error:
                reason = f"its error record {path.name} cannot be read ({error})"
            failed[path.name.removesuffix(".error.json")] = reason
        return failed

    def save(self, run: Run, daily: pd.DataFrame, record: dict) -> None:
        """Write one finished run (and clear any earlier failure of it).

        Args:
            run: The run.
            daily: Its daily metrics; the run's id, arm, replicate and seed are added as
                columns, the same for every day.
            record: Its provenance (:func:`run_record`), kept in the file's metadata.
        """
        table = daily.assign(run_id=run.run_id, arm=run.arm, replicate=run.replicate,
                             seed=run.seed)
        self._write(f"{run.run_id}.parquet",
                    lambda tmp: results.write_parquet(table, tmp, record))
        (self.runs_folder / f"{run.run_id}.error.json").unlink(missing_ok=True)

    def save_failure(self, run: Run, error: str) -> None:
        """Record a run that raised or whose worker died."""
        text = json.dumps({**asdict(run), "error": error}, indent=1)
        self._write(f"{run.run_id}.error.json", lambda tmp: tmp.write_text(text))

    def _write(self, name: str, write) -> None:
        try:
            atomic_write(self.runs_folder / name, write)
        except OSError as error:
            raise StoreError(f"{self.runs_folder}: cannot write {name} "
                             f"({error.strerror or error})") from None

    def load(self) -> pd.DataFrame:
        """Every finished run's daily metrics in one table."""
        import pandas as pd

        files = self.run_files()
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) \
            if files else pd.DataFrame()


def _unreadable(path: Path) -> str | None:
    """Why a run file is not a whole Parquet file (a write cut short, damage), or ``None``.

    Parquet starts and ends with ``PAR1``, the end preceded by the footer's length: a file
    cut short or overwritten fails this. It is a check of the frame, made in microseconds
    per file (reading the footer itself takes milliseconds, too slow for big sweeps).
    """
    try:
        with path.open("rb") as file:
            head = file.read(4)
            size = file.seek(0, os.SEEK_END)
            file.seek(max(size - 8, 0))
            tail = file.read(8)
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    if head != MAGIC or len(tail) < 8 or tail[4:] != MAGIC \
            or int.from_bytes(tail[:4], "little") > size - 12:
        return "not a whole Parquet file (cut short or damaged)"
    return None


def _holder(path: Path) -> str:
    """Who holds a sweep folder's lock, as its lock file says (it may be being written)."""
    for _ in range(20):
        try:
            holder = json.loads(path.read_text(encoding="utf-8"))
            return (f"process {holder['pid']} on {holder['host']}, since "
                    f"{holder['since']}")
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.05)
    return "a process that has not yet said which"


def run_record(experiment: str, run: Run, arm: Arm, params: Params, days: int,
               area: str | None = None) -> dict:
    """A sweep run's provenance: the run's own record plus where it sits in the sweep."""
    return provenance.run_record(params, run.seed, days, arm.scenario, area=area,
                                 experiment=experiment, run_id=run.run_id, arm=run.arm,
                                 label=arm.label, replicate=run.replicate,
                                 overrides=arm.overrides)
