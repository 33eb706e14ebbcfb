"""Where a sweep's results live: a manifest written up front, one file per finished run.

Layout of a sweep folder::

    manifest.json          every planned run (written before the first run starts; asking
                           for more replicates of the same sweep extends it)
    runs/a000-r0000.parquet    one finished run's daily metrics (written, then renamed)
    runs/a001-r0003.error.json a run that raised or whose worker died, with the reason

A finished run is never lost (it is on disk the moment it ends) and never duplicated
(its file name is its run id); rerunning the same sweep skips finished runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from simulation.results import atomic_write
from simulation.sweep.experiment import Experiment, Run


class StoreError(OSError):
    """The sweep folder cannot be used (unwritable, full, or holds another sweep)."""


class SweepStore:
    """A sweep folder.

    Args:
        folder: The folder (created if missing).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.runs_folder = self.folder / "runs"

    def prepare(self, experiment: Experiment) -> None:
        """Write the manifest, or check that the folder holds this same sweep."""
        manifest = json.loads(json.dumps(_manifest(experiment)))  # as it reads back
        path = self.folder / "manifest.json"
        try:
            self.runs_folder.mkdir(parents=True, exist_ok=True)
            for stale in self.runs_folder.glob(".*.tmp"):  # a write cut short by a kill
                stale.unlink()
            if path.exists():
                held = self.manifest()
                if _identity(held) != _identity(manifest):
                    raise StoreError(f"{self.folder}: holds a different sweep (use another "
                                     "--out folder, or the same experiment and sizes)")
                if held["replicates"] > experiment.replicates:
                    raise StoreError(f"{self.folder}: holds {held['replicates']} replicates "
                                     f"(allowed: --replicates {held['replicates']} or more)")
                if held == manifest:
                    return
                # More replicates of the same sweep: the plan grows, finished runs stay.
            atomic_write(path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))
        except StoreError:
            raise
        except OSError as error:
            raise StoreError(f"{self.folder}: cannot be written ({error.strerror or error})") \
                from None

    def manifest(self) -> dict:
        """The sweep's plan as written by :meth:`prepare`.

        Raises:
            StoreError: The manifest is missing or not readable JSON.
        """
        path = self.folder / "manifest.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise StoreError(f"{path}: cannot be read ({error}); use another --out "
                             "folder") from None

    def finished(self) -> set[str]:
        """Run ids whose results are on disk."""
        return {p.name.removesuffix(".parquet") for p in self.runs_folder.glob("*.parquet")}

    def failed(self) -> dict[str, str]:
        """Run ids that failed, with the reason."""
        return {p.name.removesuffix(".error.json"): json.loads(p.read_text())["error"]
                for p in self.runs_folder.glob("*.error.json")}

    def save(self, run: Run, daily: pd.DataFrame) -> None:
        """Write one finished run (and clear any earlier failure of it)."""
        table = daily.assign(run_id=run.run_id, arm=run.arm, replicate=run.replicate,
                             seed=run.seed)
        self._write(f"{run.run_id}.parquet", lambda tmp: table.to_parquet(tmp, index=False))
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
        files = sorted(self.runs_folder.glob("*.parquet"))
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) \
            if files else pd.DataFrame()


def _manifest(experiment: Experiment) -> dict:
    return {
        "experiment": experiment.name, "title": experiment.title,
        "description": experiment.description, "days": experiment.days,
        "residents": experiment.residents, "replicates": experiment.replicates,
        "root_seed": experiment.root_seed, "outcomes": list(experiment.outcomes),
        "scenarios": list(experiment.scenarios), "design": experiment.design.describe(),
        "squares": [asdict(s) for s in experiment.squares],
        "arms": experiment.arm_records(),
        "runs": [asdict(r) for r in experiment.runs()],
    }


def _identity(manifest: dict) -> dict:
    """What makes two plans the same sweep: everything but how many replicates."""
    return {k: v for k, v in manifest.items() if k not in ("replicates", "runs")}
