"""Experiments from Python: run a sweep, load its results as one table, draw its bands.

The command line's ``carecap sweep`` and ``carecap compare`` run through these same
functions, so a sweep started here writes the same folder (manifest, one Parquet file per
run, ``summaries.parquet``), resumes the same way when run again, and can be reported
with ``carecap report``::

    from simulation import run_sweep, load_results, plot_bands, compare_scenarios

    run_sweep("experiments/peer_x_devolved.toml", out="out/factorial", replicates=4,
              residents=3000)                        # resumes if run again
    runs = load_results("out/factorial")             # one row per run: label, seed, ...
    daily = load_results("out/factorial", daily=True)   # one row per run and day
    plot_bands(daily, "unmet_hours").show()          # one panel per arm, bands over seeds
    compare_scenarios("baseline", "peer_visits", replicates=8)   # paired, with 95% CIs

Runs go to worker processes forked from a server that has the model loaded, and started
without the caller's main module (see :mod:`simulation.sweep.executor`), so the calling
script or notebook is never re-run: a plain script needs no ``if __name__ ==
"__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation.inputs import DEFAULT_DAYS, seeds_problem
from simulation.provenance import command_line
from simulation.wording import counted

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    from rich.console import Console

    from simulation.sweep.analysis import Sweep
    from simulation.sweep.executor import DaskPool, LocalPool
    from simulation.sweep.experiment import Experiment, Precision
    from simulation.sweep.precision import Reached
    from simulation.sweep.store import SweepStore

# What `carecap compare` and compare_scenarios() report unless asked for others.
COMPARED = ("readmission_rate_30d", "delayed_bed_days", "unmet_hours", "unpaid_hours",
            "unpaid_share_women", "lonely_share", "staff_morale", "cost_total")


def sweep_command(source: str | Path, experiment: Experiment, out: str | Path,
                  precision: Precision | None = None) -> str:
    """The ``carecap sweep`` command that plans the same runs into ``out``."""
    words = ["carecap", "sweep", str(source), "--replicates", str(experiment.replicates),
             "--residents", str(experiment.residents), "--days", str(experiment.days)]
    if experiment.area is not None:
        words += ["--area", experiment.area]
    if precision is not None:
        for outcome, width in precision.half_widths.items():
            words += ["--precision", f"{outcome}={width:g}"]
        words += ["--max-replicates", str(precision.max_replicates)]
    return command_line([*words, "--out", str(out)])


def batch_runner(pool: LocalPool | DaskPool, store: SweepStore, console: Console | None,
                 where: str) -> Callable[[Experiment], None]:
    """A function that runs a plan's missing runs on ``pool``, with a progress bar.

    Args:
        pool: Where runs go.
        store: The sweep folder.
        console: Where to say what runs and show the bar (on its standard error);
            ``None`` for neither.
        where: Where the runs are kept and run, in words ("in out/x, 2 workers").
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    def run_batch(planned: Experiment) -> None:
        runs = planned.runs()
        done = len(store.finished() & {r.run_id for r in runs})
        if console is None:
            pool.run(planned, store)
            return
        console.print(f"{planned.title}: {counted(len(planned.arms), 'arm')} x "
                      f"{counted(planned.replicates, 'replicate')} = "
                      f"{counted(len(runs), 'run')} ({done} already finished) {where}")
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed:.0f}/{task.total:.0f} runs"),
                      TimeRemainingColumn(), console=Console(stderr=True)) as bar:
            task = bar.add_task("sweep", total=len(runs), completed=done)
            pool.run(planned, store, progress=lambda run, ok: bar.advance(task))

    return run_batch


def execute_sweep(experiment: Experiment, store: SweepStore,
                  run_batch: Callable[[Experiment], None], *,
                  precision: Precision | None = None, command: str | None = None,
                  after_round: Callable[[Reached], None] | None = None) -> Reached | None:
    """Plan ``experiment`` in ``store``, run what is missing, and write the summaries.

    The one way a sweep runs, from the command line or Python: it holds the folder's
    lock, writes (or checks) the manifest, runs the missing runs (round by round to a
    target ``precision``, if given) and writes ``summaries.parquet``.

    Returns:
        Where a precision sweep stopped; ``None`` without a target precision.

    Raises:
        StoreError: The folder holds another sweep, is locked, or cannot be written.
    """
    from simulation.sweep.analysis import SUMMARIES, Sweep, SweepFolderError
    from simulation.sweep.precision import sweep_to_precision
    from simulation.sweep.store import StoreError

    def write_summaries() -> None:
        try:
            Sweep(store.folder).write_summaries()
        except SweepFolderError:  # no run finished: nothing to summarise
            pass
        except OSError as error:
            raise StoreError(f"{store.folder}: cannot write {SUMMARIES} "
                             f"({error.strerror or error})") from None

    state = None
    with store.lock():
        try:
            if precision is None:
                store.prepare(experiment, command)
                run_batch(experiment)
            else:
                state = sweep_to_precision(experiment, store, precision, run_batch,
                                           after_round, command)
        except KeyboardInterrupt:  # the summaries still match the runs kept
            with contextlib.suppress(StoreError):
                write_summaries()
            raise
        write_summaries()
    return state


def run_sweep(experiment: str | Path | Experiment, out: str | Path | None = None, *,
              replicates: int | None = None, residents: int | None = None,
              days: int | None = None, workers: int | None = None,
              scheduler: str | Any = None, area: str | None = None,
              progress: bool = True) -> Sweep:
    """Run an experiment's sweep into a folder (resuming it), and open it for analysis.

    Args:
        experiment: An experiment file, or an experiment already loaded.
        out: The sweep folder (default ``out/NAME``); run again to resume.
        replicates: Replicates per arm instead of the experiment's.
        residents: Residents instead of the experiment's.
        days: Days instead of the experiment's.
        workers: Worker processes (default: every core).
        scheduler: A Dask scheduler's address (``tcp://host:port``), or a Dask
            ``Client`` or cluster (its scheduler's address is taken), instead of workers.
        area: An area profile (a shipped name or a path) for an experiment file that
            names none, or the one it names (``carecap sweep --area``).
        progress: Say what runs and show a progress bar.

    Raises:
        ExperimentError: The experiment file is missing or malformed.
        StoreError: The folder holds another sweep, is locked, or cannot be written.
    """
    import os

    from rich.console import Console

    from simulation.sweep.analysis import Sweep
    from simulation.sweep.executor import DaskPool, LocalPool
    from simulation.sweep.experiment import load_experiment
    from simulation.sweep.store import SweepStore

    source = None if not isinstance(experiment, str | Path) else experiment
    loaded = load_experiment(source, area=area) if source is not None else experiment
    planned = loaded.resized(replicates, residents, days)
    store = SweepStore(out if out is not None else Path("out") / planned.name)
    command = sweep_command(source, planned, store.folder, planned.precision) \
        if source is not None else None
    workers = workers or os.cpu_count() or 1
    if scheduler is not None and not isinstance(scheduler, str):
        scheduler = _scheduler_address(scheduler)
    pool = DaskPool(scheduler) if scheduler else LocalPool(workers)
    where = f"in {store.folder}, " + (f"on {scheduler}" if scheduler
                                       else counted(workers, "worker"))
    with pool:
        execute_sweep(planned, store,
                      batch_runner(pool, store, Console() if progress else None, where),
                      precision=planned.precision, command=command)
    return Sweep(store.folder)


def _scheduler_address(scheduler: Any) -> str:
    """The scheduler address of a Dask ``Client`` or cluster.

    Raises:
        TypeError: For anything else, naming what is allowed.
    """
    address = getattr(scheduler, "scheduler_address", None)  # a cluster
    if address is None:
        address = getattr(getattr(scheduler, "scheduler", None), "address", None)  # a Client
    if not isinstance(address, str):
        raise TypeError(f"scheduler={scheduler!r}: not a Dask scheduler (allowed: its "
                        "address, tcp://host:port, or a Dask Client or cluster)")
    return address


def load_results(folder: str | Path | Sweep, *, daily: bool = False) -> pd.DataFrame:
    """A sweep folder's results as one tidy table.

    Args:
        folder: The sweep folder, or the sweep :func:`run_sweep` returned.
        daily: One row per run and day (every metric's daily value) instead of one row
            per run (every metric's summary over the run, and ``params.NAME`` columns).

    Returns:
        Rows in arm and replicate order, each starting with ``run_id``, ``arm``,
        ``label``, ``scenario``, ``replicate`` and ``seed``.

    Raises:
        SweepFolderError: Not a sweep folder, or no finished run.
    """
    from simulation.sweep.analysis import IDENTITY, Sweep

    sweep = folder if isinstance(folder, Sweep) else Sweep(folder)
    if not daily:
        return sweep.run_summaries()
    table = sweep.query("SELECT d.*, a.label, a.scenario FROM daily d "
                        "LEFT JOIN arm_names a USING (arm) ORDER BY d.arm, d.replicate, d.day")
    return table[[*IDENTITY, *(c for c in table.columns if c not in IDENTITY)]]


def plot_bands(results: pd.DataFrame | str | Path | Sweep, metric: str, by: str = "label",
               reference: str | None = None) -> go.Figure:
    """Daily bands of a metric across replicates: one panel per arm (a plotly figure).

    Args:
        results: ``load_results(folder, daily=True)`` (or any table with ``day``, ``by``
            and ``metric`` columns), or a sweep folder or :func:`run_sweep`'s sweep.
        metric: The metric to draw.
        by: The column naming the panels (the arm's label by default).
        reference: The group drawn in grey beside every other (default: the first).
    """
    import pandas as pd

    from simulation.sweep.charts import band_table, bands_figure

    if not isinstance(results, pd.DataFrame):
        results = load_results(results, daily=True)
    return bands_figure(band_table(results, metric, by), metric, reference)


@dataclass(frozen=True)
class Comparison:
    """A paired comparison of two scenarios over the same seeds.

    Attributes:
        first: The reference scenario (A).
        second: The scenario compared with it (B).
        replicates: Seeds run, the same for both.
        table: One row per outcome: each scenario's mean with its 95% CI
            (``first_mean``, ``first_low``, ``first_high``, and ``second_...``) and the
            paired difference B - A (``difference``, ``low``, ``high``, over ``pairs``);
            ``undefined``: runs in which a rate had nothing to divide by (counted as 0).
        folder: The sweep folder the runs are in (``None`` if it was temporary).
    """

    first: str
    second: str
    replicates: int
    table: pd.DataFrame
    folder: Path | None


def compare_experiment(first: str, second: str, replicates: int, seed: int = 0,
                       residents: int | None = None, days: int = DEFAULT_DAYS,
                       outcomes: Sequence[str] = COMPARED) -> Experiment:
    """The experiment ``carecap compare A B`` runs: two scenario arms on the same seeds.

    Raises:
        ExperimentError: A scenario is unknown, the two are the same, an outcome is not a
            metric, or the seeds leave the allowed range.
    """
    from simulation.metrics import NAMES
    from simulation.params import Params
    from simulation.scenarios import ScenarioError, load_scenario
    from simulation.sweep.experiment import Arm, Experiment, ExperimentError

    for name in (first, second):
        try:
            load_scenario(name)
        except ScenarioError as error:
            raise ExperimentError(str(error)) from None
    if first == second:
        raise ExperimentError(f"compare {first} {second}: the same scenario twice (allowed: "
                              "two different scenarios, the reference first)")
    unknown = [o for o in outcomes if o not in NAMES or o == "day"]
    if unknown:
        raise ExperimentError(f"--outcomes: unknown metric {unknown[0]!r} (allowed: the "
                              "metric names of `carecap run`)")
    problem = seeds_problem(seed, replicates)
    if problem:
        raise ExperimentError(f"--seed: {problem}")
    return Experiment(
        name="compare", title=f"{second} against {first}",
        description=f"A paired comparison: {second} against {first}, the same seeds in both.",
        arms=(Arm(first), Arm(second)), replicates=replicates, root_seed=seed, days=days,
        residents=residents or Params().residents, outcomes=tuple(outcomes),
        scenarios=(first, second))


def compare_scenarios(first: str, second: str, *, replicates: int = 10, seed: int = 0,
                      residents: int | None = None, days: int = DEFAULT_DAYS,
                      outcomes: Sequence[str] = COMPARED, workers: int | None = None,
                      out: str | Path | None = None, progress: bool = True,
                      console: Console | None = None) -> Comparison:
    """Run two scenarios on the same seeds and compare them, pair by pair, with 95% CIs.

    Args:
        first: The reference scenario (A): a shipped name or a scenario file.
        second: The scenario compared with it (B).
        replicates: Seeds ``seed`` to ``seed + replicates - 1``, run in both.
        seed: The first seed.
        residents: The town's size (default: the declared default).
        days: Days to report.
        outcomes: The metrics compared.
        workers: Worker processes (default: every core).
        out: Keep the runs in this sweep folder (``carecap report`` reads it; run again to
            resume); by default they go to a temporary folder, removed after.
        progress: Say what runs and show a progress bar.
        console: Where to say it (default: a new console on standard output).

    Raises:
        ExperimentError: As :func:`compare_experiment`.
        StoreError: ``out`` holds another sweep, is locked, or cannot be written.
    """
    import os

    from rich.console import Console

    from simulation.sweep.executor import LocalPool
    from simulation.sweep.store import SweepStore

    experiment = compare_experiment(first, second, replicates, seed, residents, days,
                                    outcomes)
    workers = workers or os.cpu_count() or 1
    shown = (console or Console()) if progress else None
    with tempfile.TemporaryDirectory(prefix="carecap-compare-") as scratch:
        folder = Path(out) if out is not None else Path(scratch)
        store = SweepStore(folder)
        words = ["carecap", "compare", first, second, "--replicates", str(replicates),
                 "--seed", str(seed), "--residents", str(experiment.residents), "--days",
                 str(days), "--outcomes", ",".join(outcomes)]
        command = command_line(words + (["--out", str(folder)] if out is not None else []))
        with LocalPool(workers) as pool:
            execute_sweep(experiment, store,
                          batch_runner(pool, store, shown, f"{workers} workers, "
                                       + (f"kept in {folder}" if out is not None
                                          else "not kept")),
                          command=command)
        table = _compared(store.folder, list(outcomes))
    return Comparison(first, second, replicates, table, Path(out) if out is not None else None)


def _compared(folder: Path, outcomes: list[str]) -> pd.DataFrame:
    """Each outcome's means per arm and the paired difference, as :class:`Comparison`."""
    import pandas as pd

    from simulation.metrics import BY_NAME, ratio_parts
    from simulation.sweep.analysis import Sweep

    sweep = Sweep(folder)
    stats = sweep.arm_stats(outcomes).set_index(["arm", "outcome"])
    diffs = sweep.paired_differences(outcomes).set_index("outcome")
    runs = sweep.run_summaries()
    rows = []
    for outcome in outcomes:
        # A rate over a run with nothing to divide by (no discharges, say) is 0 in its
        # summary: the runs where it is undefined, which pull its means toward 0.
        summary = BY_NAME[outcome].summary
        over = ratio_parts(summary)[1] if summary.startswith("ratio:") else None
        row = {"outcome": outcome,
               "undefined": int((runs[over] == 0).sum()) if over in runs else 0}
        for arm, side in ((0, "first"), (1, "second")):
            for key in ("mean", "low", "high", "n"):
                row[f"{side}_{key}"] = stats.loc[(arm, outcome), key]
        for key in ("difference", "low", "high"):
            row[key] = diffs.loc[outcome, key]
        row["pairs"] = int(diffs.loc[outcome, "n"])
        rows.append(row)
    return pd.DataFrame(rows)
