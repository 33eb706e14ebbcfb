"""Summaries of a sweep folder, queried with DuckDB straight from the runs' Parquet files.

Each run's daily table is reduced to one row (``summaries``) by the function that makes
a run's own summary (:func:`simulation.metrics.summarise`), so each figure is the one
``carecap run`` gives to the last bit, beside the run's arm label, scenario, replicate,
seed and parameters (``params``, a struct read from the run file's metadata).
Everything else is computed from those rows: each arm's mean with a 95% confidence
interval, paired differences against the reference arm (arm 0) over the replicates both
arms finished, the interaction of a 2x2 factorial, and SALib sensitivity indices.
:meth:`Sweep.write_summaries` writes the rows as ``summaries.parquet`` beside the runs,
for any tool to query.

Intervals are Student-t intervals over replicates: a paired difference is the mean of
the per-seed differences, which is why common random numbers narrow it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from simulation import provenance, results
from simulation.metrics import DAILY, summarise
from simulation.sweep import manifest as schema
from simulation.sweep.store import SweepStore

CONFIDENCE = 0.95
# SALib's bootstrap for the confidence bounds; not 0, which SALib takes for no seed at all
SENSITIVITY_SEED = 1
SUMMARIES = "summaries.parquet"  # one row per finished run, beside runs/
IDENTITY = ("run_id", "arm", "label", "scenario", "replicate", "seed")  # before the metrics


class SweepFolderError(ValueError):
    """A folder that holds no readable sweep; the message names it."""


def t_half_width(sd: float, n: int) -> float:
    """Half-width of the 95% Student-t interval of a mean of ``n`` values (NaN if n < 2)."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def summary_rows(files: list[Path]) -> pd.DataFrame:
    """One row per run file: its run id, arm, replicate, seed and every metric's summary.

    Each file's daily columns are reduced by :func:`simulation.metrics.summarise`, as the
    run itself was: SQL's sums add in another order and differ in the last bits.

    Raises:
        pyarrow.ArrowException, OSError: A file cannot be read.
    """
    import pyarrow.parquet as pq

    rows = []
    for path in files:
        table = pq.read_table(path)
        columns = {name: table.column(name).to_numpy() for name in table.column_names}
        rows.append({"run_id": str(columns["run_id"][0]), "arm": int(columns["arm"][0]),
                     "replicate": int(columns["replicate"][0]),
                     "seed": int(columns["seed"][0]), **summarise(columns)})
    return pd.DataFrame(rows)


class Sweep:
    """A sweep folder opened for analysis: its manifest and DuckDB views over its runs.

    Views: ``daily`` (every run's daily rows) and ``summaries`` (one row per run: its
    id, arm, label, scenario, replicate, seed, every metric's summary over the run, and
    ``params``, a struct of every parameter it ran with, where its file records them).

    Args:
        folder: The sweep folder (``manifest.json`` and ``runs/*.parquet``).

    Raises:
        SweepFolderError: No manifest, one of a schema this carecap does not read, or no
            finished run.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / schema.FILE).is_file():
            raise SweepFolderError(f"{self.folder}: not a sweep folder (no manifest.json; "
                                   "make one with `carecap sweep`)")
        try:
            self.manifest: dict[str, Any] = schema.read(self.folder)
        except schema.ManifestError as error:
            raise SweepFolderError(str(error)) from None
        self.arms: list[dict[str, Any]] = self.manifest["arms"]
        store = SweepStore(self.folder)
        planned = {run["run_id"] for run in self.manifest["runs"]}
        files = store.run_files()  # a run file that cannot be read counts as not finished
        # A file the plan does not name (a copy, a file from elsewhere) is no run of it.
        self.not_planned = [f.name for f in files if f.stem not in planned]
        files = [f for f in files if f.stem in planned]
        if not files:
            damaged = len(store.unreadable())
            raise SweepFolderError(
                f"{self.folder}: no finished runs yet"
                + (f" ({damaged} run files cannot be read: cut short or damaged)"
                   if damaged else "")
                + " (run `carecap sweep` into this folder first)")
        self.runs_finished = len(files)
        self.runs_failed = len(list(store.runs_folder.glob("*.error.json")))
        listed = ", ".join("'" + str(f.resolve()).replace("'", "''") + "'" for f in files)
        # One thread: sums run in a fixed order, so the same files always give the same
        # figures to the last bit (parallel aggregation may not).
        self.db = duckdb.connect(config={"threads": 1})
        try:
            self.db.execute(f"CREATE VIEW daily AS SELECT * FROM read_parquet([{listed}])")
            self.db.register("run_rows", summary_rows(files))
            self.records = self._records(listed)
            self.db.register("arm_names", pd.DataFrame({
                "arm": range(len(self.arms)), "label": [a["label"] for a in self.arms],
                "scenario": [a["scenario"] for a in self.arms]}))
            self.db.register("run_params", _params_table(self.records))
            params = ", p.params" if self.records else ""
            self.db.execute(
                f"CREATE TABLE summaries AS SELECT s.run_id, s.arm, a.label, a.scenario, "
                f"s.* EXCLUDE (run_id, arm){params} FROM run_rows s "
                f"LEFT JOIN arm_names a USING (arm) LEFT JOIN run_params p USING (run_id) "
                f"ORDER BY s.arm, s.replicate")
        except (duckdb.Error, pa.ArrowException, OSError) as error:  # damaged inside
            raise SweepFolderError(f"{store.runs_folder}: a run file cannot be read "
                                   f"({str(error).splitlines()[0]}); remove it and rerun "
                                   "the sweep to compute it again") from None
        self.present = set(self.query("SELECT * FROM summaries LIMIT 0").columns)

    def _records(self, listed: str) -> dict[str, dict[str, Any]]:
        """Each finished run's provenance record, by run id (runs without one left out)."""
        rows = self.db.execute(
            f"SELECT file_name, value FROM parquet_kv_metadata([{listed}]) "
            f"WHERE key = ?", [results.PARQUET_KEY]).fetchall()
        return {Path(name).name.removesuffix(".parquet"): json.loads(bytes(value))
                for name, value in rows}

    @property
    def outcomes(self) -> list[str]:
        """The experiment's headline outcomes (those the runs on disk have)."""
        wanted = self.manifest.get("outcomes") or [m.name for m in DAILY if m.name != "day"]
        return [o for o in wanted if o in self.present]

    @property
    def design(self) -> dict[str, Any]:
        """The design as the manifest describes it (``kind`` and what analysis needs)."""
        return self.manifest.get("design") or {"kind": "scenarios"}

    def label(self, arm: int) -> str:
        """An arm's readable name."""
        return self.arms[arm]["label"]

    def query(self, sql: str, *parameters: Any) -> pd.DataFrame:
        """Run SQL against the views and return a table."""
        return self.db.execute(sql, list(parameters)).df()

    def run_summaries(self) -> pd.DataFrame:
        """One row per finished run: ids, label, every metric, a ``params.NAME`` per parameter.

        The ids are the run's id, arm, label, scenario, replicate and seed; the metrics
        each metric's summary over the run, as ``carecap run`` gives it.
        """
        table = self.query("SELECT * FROM summaries ORDER BY arm, replicate")
        if "params" not in table:
            return table
        params = pd.json_normalize(table.pop("params").tolist()).add_prefix("params.")
        return pd.concat([table, params.set_index(table.index)], axis=1)

    def write_csv(self, path: Path) -> None:
        """Export the per-run summaries (with arm labels and parameters) as CSV."""
        self.run_summaries().to_csv(path, index=False)

    def write_summaries(self, path: Path | None = None) -> Path:
        """Write the ``summaries`` rows as Parquet, with provenance in the file's metadata.

        Args:
            path: Where (default: ``summaries.parquet`` in the sweep folder).

        Returns:
            The file written.
        """
        from simulation.results import atomic_write

        path = path or self.folder / SUMMARIES
        table = self.db.sql("SELECT * FROM summaries ORDER BY arm, replicate").to_arrow_table()
        record = {**provenance.stamp(), "schema_version": schema.SCHEMA_VERSION,
                  "experiment": self.manifest["experiment"], "runs": self.runs_finished}
        atomic_write(path, lambda tmp: results.write_parquet(table, tmp, record))
        return path

    def arm_stats(self, outcomes: list[str]) -> pd.DataFrame:
        """Each arm's mean of each outcome over replicates, with its 95% CI."""
        table = self.query(
            f"SELECT arm, outcome, COUNT(*) AS n, AVG(value) AS mean, "
            f"STDDEV_SAMP(value) AS sd FROM (UNPIVOT summaries ON "
            f"{', '.join(_quote(o) for o in outcomes)} INTO NAME outcome VALUE value) "
            f"GROUP BY arm, outcome ORDER BY arm, outcome")
        return _with_interval(table, "mean")

    def paired_differences(self, outcomes: list[str], reference: int = 0) -> pd.DataFrame:
        """Each arm minus the reference arm, replicate by replicate, with 95% CIs."""
        parts = []
        for outcome in outcomes:
            column = _quote(outcome)
            parts.append(self.query(
                f"SELECT a.arm, ? AS outcome, COUNT(*) AS n, AVG(a.{column} - r.{column}) "
                f"AS difference, STDDEV_SAMP(a.{column} - r.{column}) AS sd "
                f"FROM summaries a JOIN summaries r ON a.replicate = r.replicate "
                f"AND r.arm = ? WHERE a.arm <> ? GROUP BY a.arm ORDER BY a.arm",
                outcome, reference, reference))
        return _with_interval(pd.concat(parts, ignore_index=True), "difference")

    def interaction(self, square: dict[str, Any], outcomes: list[str]) -> pd.DataFrame:
        """Both - first only - second only + base, replicate by replicate, with 95% CIs.

        Also the mean effect of each part alone and of both, against the base.
        """
        rows = []
        arms = [square[k] for k in ("base", "first_only", "second_only", "both")]
        for outcome in outcomes:
            column = _quote(outcome)
            wide = self.query(
                f"PIVOT (SELECT replicate, arm, {column} AS value FROM summaries "
                f"WHERE arm IN ({', '.join(map(str, arms))})) ON arm USING any_value(value) "
                f"GROUP BY replicate ORDER BY replicate")
            if not all(str(a) in wide.columns for a in arms):
                continue
            base, first, second, both = (wide[str(a)] for a in arms)
            keep = ~(base.isna() | first.isna() | second.isna() | both.isna())
            base, first, second, both = base[keep], first[keep], second[keep], both[keep]
            effect = both - first - second + base
            n = int(keep.sum())
            rows.append({
                "outcome": outcome, "n": n, "first_effect": float((first - base).mean()),
                "second_effect": float((second - base).mean()),
                "both_effect": float((both - base).mean()),
                "interaction": float(effect.mean()),
                "half_width": t_half_width(float(effect.std(ddof=1)), n)})
        table = pd.DataFrame(rows)
        if not table.empty:
            table["low"] = table["interaction"] - table["half_width"]
            table["high"] = table["interaction"] + table["half_width"]
        return table

    def ribbons(self, metric: str) -> pd.DataFrame:
        """Daily mean of a metric per arm with its 95% CI over replicates."""
        table = self.query(
            f"SELECT arm, day, COUNT(*) AS n, AVG({_quote(metric)}) AS mean, "
            f"STDDEV_SAMP({_quote(metric)}) AS sd FROM daily GROUP BY arm, day "
            f"ORDER BY arm, day")
        return _with_interval(table, "mean")

    def spread(self, metric: str) -> pd.DataFrame:
        """Daily mean and 2.5-97.5% range of a metric over every run of each scenario."""
        table = self.query(
            f"SELECT arm, day, {_quote(metric)} AS value FROM daily")
        scenarios = [self.arms[a]["scenario"] for a in range(len(self.arms))]
        table["scenario"] = [scenarios[a] for a in table["arm"]]
        grouped = table.groupby(["scenario", "day"])["value"]
        return pd.DataFrame({
            "mean": grouped.mean(), "low": grouped.quantile(0.025),
            "high": grouped.quantile(0.975)}).reset_index()

    def sensitivity(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[str]]:
        """SALib indices of a sampled design, per scenario and outcome, with 95% bounds.

        Sobol gives first-order (S1) and total (ST) indices; Morris the mean absolute
        elementary effect (mu_star, in the outcome's unit); a Latin hypercube first-order
        indices by RBD-FAST (fast to compute from any sample). Each point's output is its
        mean over replicates.

        Returns:
            The indices (scenario, outcome, parameter, index, value, conf), and notes on
            what could not be analysed.
        """
        design = self.design
        if design.get("kind") not in ("sobol", "morris", "latin_hypercube"):
            return pd.DataFrame(), []
        from SALib.analyze import morris, rbd_fast, sobol

        problem = design["problem"]
        matrix = np.asarray(design["matrix"], dtype=np.float64)
        points = len(matrix)
        means = self.arm_stats(outcomes).pivot(index="arm", columns="outcome", values="mean")
        rows, notes = [], []
        for block, scenario in enumerate(self.manifest.get("scenarios", ["?"])):
            arms = range(block * points, (block + 1) * points)
            for outcome in outcomes:
                y = means[outcome].reindex(arms).to_numpy(dtype=np.float64)
                if np.isnan(y).any():
                    notes.append(f"{scenario}, {outcome}: {int(np.isnan(y).sum())} of "
                                 f"{points} points have no finished run; analysis needs all")
                    continue
                if design["kind"] == "latin_hypercube" and points < 16:
                    notes.append(f"{scenario}, {outcome}: {points} points are too few for "
                                 "RBD-FAST indices (16 or more)")
                    continue
                if np.ptp(y) == 0:
                    notes.append(f"{scenario}, {outcome}: the same at every point")
                    continue
                if design["kind"] == "sobol":
                    result = sobol.analyze(problem, y, calc_second_order=design["second_order"],
                                           conf_level=CONFIDENCE, seed=SENSITIVITY_SEED)
                    indices = {"S1": "S1_conf", "ST": "ST_conf"}
                elif design["kind"] == "morris":
                    result = morris.analyze(problem, matrix, y, conf_level=CONFIDENCE,
                                            num_levels=design["levels"], seed=SENSITIVITY_SEED)
                    indices = {"mu_star": "mu_star_conf"}
                else:
                    # RBD-FAST needs several points per harmonic: M = 10 from 80 points up.
                    result = rbd_fast.analyze(problem, matrix, y, M=max(1, min(10, points // 8)),
                                              conf_level=CONFIDENCE, seed=SENSITIVITY_SEED)
                    indices = {"S1": "S1_conf"}
                for index, conf in indices.items():
                    for i, name in enumerate(problem["names"]):
                        rows.append({"scenario": scenario, "outcome": outcome,
                                     "parameter": name, "index": index,
                                     "value": float(result[index][i]),
                                     "conf": float(result[conf][i])})
        return pd.DataFrame(rows), notes


def _params_table(records: dict[str, dict[str, Any]]):
    """An Arrow table of run ids and their parameters as a struct (for DuckDB to join)."""
    ids = list(records)
    return pa.table({"run_id": pa.array(ids, pa.string()),
                     "params": pa.array([records[i].get("params") for i in ids])})


def _with_interval(table: pd.DataFrame, centre: str) -> pd.DataFrame:
    """Add the 95% CI half-width and bounds around ``centre`` from ``sd`` and ``n``."""
    table["half_width"] = [t_half_width(sd, int(n)) for sd, n in zip(table["sd"], table["n"],
                                                                      strict=True)]
    table["low"] = table[centre] - table["half_width"]
    table["high"] = table[centre] + table["half_width"]
    return table
