"""The ``carecap`` command line: run, sweep, report, calibrate, dashboard, lessons, validation.

Commands that belong to one feature (``dashboard``, ``lesson``, ``validate``) are
defined here and implemented beside their feature, as ``command(args, console) -> exit
code``; they raise ``InputError`` for bad input.

Bad input of any kind gets one line naming the file or flag, the field and what is
allowed, and exit code 2; output files are checked before the run and written
atomically, so nothing partial is left behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

# Only light modules here: the model (numba, pandas) is imported by the commands that
# run it, so a sweep can start its worker pool before it pays for that import.
from simulation import inputs, provenance
from simulation.docblocks import BlockError, write_block
from simulation.inputs import DEFAULT_DAYS, InputError
from simulation.params import ParamError, Params
from simulation.paramtable import FORMATS, as_csv, as_json, as_markdown, show
from simulation.results import TABLE_SUFFIXES
from simulation.scenarios import ScenarioError, load_scenario, shipped
from simulation.wording import counted

if TYPE_CHECKING:
    from simulation.sweep.experiment import Precision
    from simulation.sweep.store import SweepStore

USAGE_ERROR = 2
PROGRESS_AFTER_SECONDS = 2.0
COMPILING = "building the town (a first run on a machine also compiles the model: ~20 s)"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2.

    A flag that takes one value may be given once: argparse would keep the last of
    ``--out a.csv --out b.csv`` and silently drop the first.
    """

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{self.prog}: {message} (see `{self.prog} --help`)")

    def add_argument(self, *names: str, **options: object) -> argparse.Action:
        if names and names[0].startswith("-") and "action" not in options:
            options["action"] = _Once
        return super().add_argument(*names, **options)


class _Once(argparse.Action):
    """Store a flag's value; the same flag a second time is an error."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        given = vars(namespace).setdefault("_given", {})
        if self.dest in given:
            parser.error(f"{option_string} given twice ({given[self.dest]!r}, then "
                         f"{values!r}); allowed: once")
        given[self.dest] = values
        setattr(namespace, self.dest, values)


def build_parser() -> argparse.ArgumentParser:
    """The ``carecap`` argument parser."""
    parser = _Parser(prog="carecap", description="Community care capacity simulation.")
    parser.add_argument("--version", action="version", version=provenance.describe(),
                        help="print carecap's version (and commit, in a git checkout)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run_cmd = commands.add_parser("run", help="run a scenario and summarise it")
    run_cmd.add_argument("scenario", help="a shipped scenario name or a scenario .toml path")
    run_cmd.add_argument("--residents", metavar="N", help="number of residents (default: "
                         "the scenario's; 10,000 for the shipped ones)")
    run_cmd.add_argument("--days", metavar="D", default=str(DEFAULT_DAYS),
                         help=f"days to report (default {DEFAULT_DAYS})")
    run_cmd.add_argument("--seed", metavar="S", default="0", help="random seed (default 0)")
    run_cmd.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                         help="override a parameter (repeatable; see `carecap params`)")
    run_cmd.add_argument("--out", metavar="FILE", help="write daily metrics (.csv or .parquet)")
    run_cmd.add_argument("--summary", metavar="FILE", help="write the run's summary (.json)")
    _add_area_flag(run_cmd)
    run_cmd.add_argument("--start-day", metavar="D", help="the scenario's own overrides start "
                         "on day D (1: the first reported day); before it, its base's values")

    sweep_cmd = commands.add_parser("sweep", help="run an experiment file's sweep")
    sweep_cmd.add_argument("experiment", help="an experiment .toml file")
    sweep_cmd.add_argument("--workers", metavar="N", default=str(os.cpu_count() or 1),
                           help="worker processes (default: all cores)")
    sweep_cmd.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                           help="run on this Dask distributed scheduler instead of locally")
    sweep_cmd.add_argument("--out", metavar="DIR",
                           help="sweep folder (default: out/EXPERIMENT); rerun to resume")
    sweep_cmd.add_argument("--replicates", metavar="R", help="override the replicates")
    sweep_cmd.add_argument("--residents", metavar="N", help="override the residents")
    sweep_cmd.add_argument("--days", metavar="D", help="override the days")
    _add_area_flag(sweep_cmd)

    sweep_cmd.add_argument("--precision", metavar="OUTCOME=HALF_WIDTH", action="append",
                           default=[], help="add replicates in batches until every arm's "
                           "95%% CI half-width of OUTCOME is below HALF_WIDTH (repeatable)")
    sweep_cmd.add_argument("--max-replicates", metavar="R",
                           help="stop adding replicates here (default: the file's, or 200)")

    compare_cmd = commands.add_parser(
        "compare", help="compare two scenarios on the same seeds: paired differences with "
        "95%% CIs, no experiment file needed")
    compare_cmd.add_argument("first", metavar="A", help="the reference scenario (a name or "
                             "a .toml path)")
    compare_cmd.add_argument("second", metavar="B", help="the scenario compared with A")
    compare_cmd.add_argument("--replicates", metavar="R", default="10",
                             help="seeds run in both, from --seed (default 10)")
    compare_cmd.add_argument("--seed", metavar="S", default="0",
                             help="the first seed (default 0)")
    compare_cmd.add_argument("--residents", metavar="N", help="number of residents "
                             "(default 10,000)")
    compare_cmd.add_argument("--days", metavar="D", default=str(DEFAULT_DAYS),
                             help=f"days to report (default {DEFAULT_DAYS})")
    compare_cmd.add_argument("--outcomes", metavar="NAME,NAME",
                             help="the metrics to compare (default: readmission, delayed "
                             "discharge, unmet and unpaid care, women's share, loneliness, "
                             "morale, cost)")
    compare_cmd.add_argument("--workers", metavar="N", default=str(os.cpu_count() or 1),
                             help="worker processes (default: all cores)")
    compare_cmd.add_argument("--out", metavar="DIR",
                             help="keep the runs in this sweep folder (for `carecap report`; "
                             "rerun to resume); by default they are not kept")

    report_cmd = commands.add_parser("report", help="write a sweep folder's HTML report")
    report_cmd.add_argument("folder", help="a sweep folder (made by `carecap sweep`)")
    report_cmd.add_argument("--out", metavar="FILE.html",
                            help="the report (default: FOLDER/report.html)")
    report_cmd.add_argument("--csv", metavar="FILE.csv",
                            help="also write every run's summary as CSV")

    calibrate_cmd = commands.add_parser(
        "calibrate", help="history-match unobserved parameters to an area's or England's "
        "targets: an ensemble of plausible settings (a calibration file)")
    calibrate_cmd.add_argument("calibration", help="a calibration .toml file")
    calibrate_cmd.add_argument("--out", metavar="DIR",
                               help="output folder (default: out/calibration/NAME)")
    calibrate_cmd.add_argument("--workers", metavar="N", default=str(os.cpu_count() or 1),
                               help="worker processes (default: all cores)")
    calibrate_cmd.add_argument("--replicates", metavar="R", help="override the replicates")
    calibrate_cmd.add_argument("--residents", metavar="N", help="override the residents")
    calibrate_cmd.add_argument("--days", metavar="D", help="override the days")
    calibrate_cmd.add_argument("--waves", metavar="W", help="override the waves")
    calibrate_cmd.add_argument("--points", metavar="P", help="override the settings per wave")
    _add_area_flag(calibrate_cmd)

    compare_cmd = commands.add_parser(
        "compare-ensemble", help="compare two arms over a calibrated ensemble: intervals "
        "with seed noise only and with calibration uncertainty too")
    compare_cmd.add_argument("ensemble", help="an ensemble.toml written by carecap calibrate")
    compare_cmd.add_argument("base", help="the arm compared against (a scenario name or file)")
    compare_cmd.add_argument("policy", help="the policy arm (a scenario name or file)")
    compare_cmd.add_argument("--seeds", metavar="R", default="8",
                             help="seeds per member and arm (default 8)")
    compare_cmd.add_argument("--root-seed", metavar="S", default="0",
                             help="the first seed (default 0)")
    compare_cmd.add_argument("--members", metavar="M", help="the first M members (default all)")
    compare_cmd.add_argument("--residents", metavar="N", default="10000",
                             help="residents (default 10,000)")
    compare_cmd.add_argument("--days", metavar="D", default=str(DEFAULT_DAYS),
                             help=f"days (default {DEFAULT_DAYS})")
    compare_cmd.add_argument("--outcome", metavar="METRIC", action="append", default=[],
                             help="an outcome to compare (repeatable; default: headline ones)")
    compare_cmd.add_argument("--workers", metavar="N", default=str(os.cpu_count() or 1),
                             help="worker processes (default: all cores)")
    compare_cmd.add_argument("--out", metavar="DIR",
                             help="write runs.csv and comparison.csv to this folder")

    dashboard_cmd = commands.add_parser("dashboard", help="serve the policy dashboard")
    _add_server_flags(dashboard_cmd)
    _add_area_flag(dashboard_cmd)

    area_cmd = commands.add_parser("area", help="check or show an area profile (areas/*.toml)")
    area_commands = area_cmd.add_subparsers(dest="area_command", required=True,
                                            parser_class=_Parser)
    area_check = area_commands.add_parser(
        "check", help="say, one line per field, what is missing, blank or out of range")
    area_check.add_argument("file", help="an area profile: a shipped name or a .toml path")
    area_show = area_commands.add_parser(
        "show", help="every figure its runs use, with its source, and its targets")
    area_show.add_argument("file", help="an area profile: a shipped name or a .toml path")

    lesson_cmd = commands.add_parser("lesson", help="open a teaching lesson in the dashboard")
    lesson_cmd.add_argument("number", help="the lesson's number (see docs/lessons/)")
    _add_server_flags(lesson_cmd)

    validate_cmd = commands.add_parser(
        "validate", help="compare the model with published figures: calibration and "
        "held-out targets (exit 1 if a calibration target misses)")
    validate_cmd.add_argument("--replicates", metavar="R", default="10",
                              help="baseline runs with seeds 0..R-1 (default 10)")
    validate_cmd.add_argument("--residents", metavar="N", help="override the residents")
    validate_cmd.add_argument("--days", metavar="D", help="override the days")
    validate_cmd.add_argument("--strict", action="store_true",
                              help="exit 1 on a held-out miss too (default: only when a "
                              "calibration target misses)")

    phases_cmd = commands.add_parser("phases", help="list the phases of a day, in order")
    phases_cmd.add_argument("--markdown", metavar="FILE.md",
                            help="write the table into this file's generated block instead")

    commands.add_parser("scenarios", help="list the shipped scenarios")
    params_cmd = commands.add_parser("params", help="list parameters with units, ranges and "
                                     "sources, or export them")
    params_cmd.add_argument("--format", choices=FORMATS, default="table",
                            help="table (default, names never cut), csv, markdown or json")
    return parser


def _add_area_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument("--area", metavar="FILE", help="an area profile (a shipped name, "
                         "e.g. tower_hamlets, or a .toml path): the town is that area's")


def _add_server_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--port", metavar="P", default="8765", help="port (default 8765)")
    command.add_argument("--host", metavar="H", default="127.0.0.1",
                         help="interface to listen on (default 127.0.0.1, this machine only)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carecap`` command; returns the exit code."""
    console = Console()
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, console)
    except InputError as error:
        print(f"carecap: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("carecap: interrupted", file=sys.stderr)
        return 130
    except SystemError as error:  # Ctrl-C inside a compiled kernel surfaces as this
        if not _caused_by_interrupt(error):
            raise
        print("carecap: interrupted", file=sys.stderr)
        return 130


def _caused_by_interrupt(error: BaseException | None) -> bool:
    """Whether ``error`` or an exception it was raised from is a Ctrl-C."""
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__cause__ or error.__context__
    return False


# -- run -----------------------------------------------------------------------------


def _run(args: argparse.Namespace, console: Console) -> int:
    from simulation.areas import area_flag, load_area
    from simulation.runner import run

    overrides = _overrides(args)
    days = inputs.days("--days", args.days)
    seed = inputs.seed("--seed", args.seed)
    out = inputs.output_path("--out", args.out, TABLE_SUFFIXES)
    summary_path = inputs.output_path("--summary", args.summary, (".json",))
    area = area_flag(args.area)
    start_day = None if args.start_day is None else inputs.whole_number(
        "--start-day", args.start_day, 1, days)  # a later day is never run
    try:
        scenario = load_scenario(args.scenario, area=area, start_day=start_day)
        params = Params.from_overrides(overrides, base=scenario.params)
    except ScenarioError as error:
        raise InputError(str(error)) from None
    except ParamError as error:
        raise InputError(f"--set {error}") from None
    if start_day is not None and not scenario.overrides:
        raise InputError(f"--start-day {start_day}: {scenario.name} changes nothing of its "
                         "own to start (allowed: a scenario with levers, e.g. peer_visits)")

    with _LazyProgress(console, f"{scenario.name}, {params.residents:,} residents",
                       waiting=COMPILING) as progress:
        result = run(args.scenario, seed=seed, days=days, progress=progress, area=area,
                     start_day=start_day, **overrides)
    title = scenario.title if scenario.area == "england" else \
        f"{scenario.title}, {load_area(scenario.area).title}"
    for change in params.schedule:
        title += f"\n{change.name} = {change.value} from day {change.day}"
    never = sorted({change.name for change in params.schedule if change.day > days})
    if never:
        verb, it = ("starts", "it") if len(never) == 1 else ("start", "them")
        console.print(f"note: {', '.join(never)} {verb} after day {days}, the last day run, "
                      f"so this run never has {it} (raise --days or lower the start day)")
    _print_summary(console, title, result.summary, seed, days, params.residents)
    targets = [(flag, what, path) for flag, what, path in (
        ("--out", "daily metrics", out), ("--summary", "summary", summary_path)) if path]
    try:
        result.write(table=out, summary=summary_path)
    except OSError as error:
        files = ", ".join(f"{flag} {path}" for flag, _, path in targets)
        raise InputError(f"cannot write output ({files}): {error.strerror or error}; "
                       "nothing was written") from None
    for _, what, path in targets:
        console.print(f"{what} written to {path}")
    return 0


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    """Parse ``--set name=value`` and ``--residents`` into checked parameter values."""
    overrides: dict[str, object] = {}
    pairs = _pairs("--set", args.set, "NAME=VALUE (see `carecap params`)")
    for name, value in pairs:
        overrides[name] = inputs.parameter("--set", name, value)
    if args.residents is not None:
        if "residents" in overrides:  # refused rather than decided by which flag wins
            raise InputError(f"--set residents={dict(pairs)['residents']} and --residents "
                             f"{args.residents} both given; allowed: one of them")
        overrides["residents"] = inputs.residents("--residents", args.residents)
    return overrides


class _LazyProgress:
    """A progress bar that appears only once a task has taken a couple of seconds.

    It appears then even if no step has ended yet, saying what it waits for: a first run
    on a machine compiles the model before its first day, which takes a while.

    Args:
        console: Where the command prints (the bar goes to standard error beside it).
        label: What runs, e.g. the scenario and its size.
        unit: What a step is ("day", "section").
        waiting: Said once if the bar appears before the first step has ended.
    """

    def __init__(self, console: Console, label: str, unit: str = "day",
                 waiting: str = "starting") -> None:
        self.console = Console(stderr=True) if console.file is sys.stdout else console
        self.label, self.unit, self.waiting = label, unit, waiting
        self.bar: Progress | None = None
        self.task = None
        self.done: tuple[int, int | None] = (0, None)
        self.closed = False
        self.lock = threading.Lock()  # the timer's thread shows the bar; steps move it
        self.timer = threading.Timer(PROGRESS_AFTER_SECONDS, self._show)
        self.timer.daemon = True

    def __enter__(self) -> Callable[[int, int], None]:
        self.timer.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.bar is not None:
                self.bar.stop()

    def _show(self) -> None:
        with self.lock:
            if self.closed:
                return
            if self.done[1] is None:  # no step has ended: say what it is waiting for
                self.console.print(f"{self.label}: {self.waiting}", soft_wrap=True,
                                   highlight=False)
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                TextColumn("{task.fields[count]}"), TimeRemainingColumn(),
                                console=self.console, transient=True)
            self.task = self.bar.add_task(self.label, total=None, count="")
            self._move()
            self.bar.start()

    def update(self, step: int, steps: int) -> None:
        with self.lock:
            self.done = (step, steps)
            if self.bar is not None:
                self._move()

    def _move(self) -> None:
        step, steps = self.done
        if steps is not None:
            self.bar.update(self.task, completed=step, total=steps,
                            count=f"{self.unit} {step}/{steps}")


def format_value(value: float, unit: str) -> str:
    """Format a metric value for people: shares as percentages, money in pounds."""
    if unit == "share":
        return f"{value:.1%}"
    if unit == "GBP":
        return f"£{value:,.0f}"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"


def _print_summary(console: Console, title: str, summary: dict[str, float], seed: int,
                   days: int, residents: int) -> None:
    from simulation.metrics import DAILY

    size = f"{residents:,} residents, {counted(days, 'day')}, seed {seed}"
    table = Table(title=f"{title}\n{size}",
                  show_lines=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("over the run")
    for metric in DAILY:
        if metric.name == "day":
            continue
        how = {"sum": "total", "mean": "daily mean", "last": "last day"}.get(
            metric.summary, "rate over the run")
        unit = "" if metric.unit == "share" else metric.unit
        table.add_row(metric.name, format_value(summary[metric.name], metric.unit), unit, how)
    console.print(table)


# -- sweep ---------------------------------------------------------------------------


def _sweep(args: argparse.Namespace, console: Console) -> int:
    from simulation.sweep import executor

    began = time.time() - _age()
    workers = inputs.whole_number("--workers", args.workers, 1, 1024)
    scheduler = inputs.scheduler("--scheduler", args.scheduler) \
        if args.scheduler is not None else None
    out = inputs.output_folder("--out", args.out) if args.out is not None else None
    sizes = _sizes(args)
    if scheduler is None:
        executor.start_server()  # it loads the model while this process reads the files

    from simulation.sweep.experiment import ExperimentError, load_experiment
    from simulation.sweep.store import StoreError, SweepStore

    try:
        experiment = load_experiment(args.experiment, area=args.area).resized(**sizes)
    except ExperimentError as error:
        raise InputError(str(error)) from None
    for name in experiment.scenarios:  # arms of one sweep share the experiment's town size
        own = load_scenario(name, area=experiment.area).overrides.get("residents")
        if own is not None and own != experiment.residents:
            console.print(f"note: {name} sets residents = {own:,}; every arm of an experiment "
                          f"runs at the experiment's {experiment.residents:,}")
    precision = _precision(args, experiment.precision)
    if precision is not None:
        try:  # every seed a round may add must fit
            experiment.resized(replicates=max(experiment.replicates, precision.max_replicates))
        except ExperimentError as error:
            raise InputError(str(error)) from None
    store = SweepStore(out or inputs.output_folder("--out", str(Path("out") / experiment.name)))
    try:
        pool = executor.DaskPool(scheduler) if scheduler else executor.LocalPool(workers)
    except OSError as error:
        raise InputError(f"--scheduler {scheduler}: no Dask scheduler answered "
                         f"({error.strerror or error}); allowed: the address of a running "
                         "scheduler, e.g. tcp://HOST:8786") from None

    def after_round(state) -> None:
        widths = ", ".join(f"{o} ±{w:.4g} (target {precision.half_widths[o]:g})"
                           for o, w in state.widest.items())
        console.print(f"{state.replicates} replicates: widest 95% CI half-width {widths}")

    from simulation.experiments import batch_runner, execute_sweep, sweep_command

    run_batch = batch_runner(pool, store, console, f"in {store.folder}, "
                             + (f"on {scheduler}" if scheduler else counted(workers, "worker")))
    command = sweep_command(args.experiment, experiment, store.folder, precision)
    try:
        with pool, store.lock():
            _warn_unreadable(store, "will be run again")
            _note_other_commit(store)
            state = execute_sweep(experiment, store, run_batch, precision=precision,
                                  command=command, after_round=after_round)
        if state is not None:
            console.print("target precision reached" if state.reached else
                          f"stopped at the maximum of {precision.max_replicates} "
                          "replicates before every target was reached")
    except StoreError as error:
        raise InputError(str(error)) from None
    except executor.ClusterLostError as error:
        print(f"carecap: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"carecap: {len(store.finished())} finished runs are kept in {store.folder}; "
              "the same command resumes the sweep", file=sys.stderr)
        raise
    failed = store.failed()
    console.print(f"{len(store.finished())} runs finished, {len(failed)} failed"
                  + (f" (see {store.runs_folder}/*.error.json)" if failed else "")
                  + f"; this sweep took {time.time() - began:.1f} s"
                  + (f", its first run starting {pool.first_started - began:.2f} s after the "
                     "command" if pool.first_started is not None else ""))
    return 1 if failed else 0


def _pairs(flag: str, items: list[str], expected: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` items of a repeatable flag, each name once.

    A name given twice is refused rather than silently decided by the order on the line.
    """
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"{flag} {item!r}: expected {expected}")
        if name in pairs:
            raise InputError(f"{flag} {name} given twice ({pairs[name]!r}, then {value!r}); "
                             "allowed: each name once")
        pairs[name] = value
    return list(pairs.items())


def _precision(args: argparse.Namespace, declared: Precision | None) -> Precision | None:
    """The experiment's target precision, as ``--precision`` and ``--max-replicates`` set it."""
    from simulation.sweep.experiment import Precision, parse_half_widths

    precision = declared
    if args.precision:
        targets: dict[str, object] = {}
        for outcome, width in _pairs("--precision", args.precision,
                                     "OUTCOME=HALF_WIDTH, e.g. readmission_rate_30d=0.005"):
            try:
                targets[outcome] = float(width)
            except ValueError:
                targets[outcome] = width
        half_widths = parse_half_widths(targets, "--precision", InputError)
        defaults = precision or Precision({})  # the file's maximum and batch, if any
        precision = Precision(half_widths, defaults.max_replicates, defaults.batch)
    if args.max_replicates is not None:
        if precision is None:
            raise InputError("--max-replicates: needs a target (--precision OUTCOME=HALF_WIDTH "
                             "or a [precision] table in the experiment file)")
        precision = Precision(precision.half_widths,
                              inputs.whole_number("--max-replicates", args.max_replicates, 2,
                                                  100_000), precision.batch)
    return precision


def _age() -> float:
    """Seconds since this process started (0 where the system does not say)."""
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        started = int(stat.rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def _note_other_commit(store: SweepStore) -> None:
    """Say so when a sweep is resumed by another commit than the one that started it."""
    from simulation.sweep import manifest as schema
    from simulation.sweep.store import StoreError

    if (store.folder / schema.FILE).exists():
        try:
            note = schema.commit_note(store.manifest())
        except StoreError:
            return  # an unreadable manifest is refused with its own error just after
        if note:
            print(f"carecap: note: {note}", file=sys.stderr)


def _warn_unreadable(store: SweepStore, then: str) -> None:
    """One line naming a sweep folder's run files that cannot be read."""
    bad = store.unreadable()
    if bad:
        names = [str(path) for path in bad]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        print(f"carecap: warning: {len(bad)} run file(s) cannot be read ({next(iter(bad.values()))}"
              f"), so count as not finished and {then}: {shown}", file=sys.stderr)


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    """The ``--replicates``, ``--residents`` and ``--days`` given, checked."""
    sizes = {}
    if args.replicates is not None:
        sizes["replicates"] = inputs.whole_number("--replicates", args.replicates, 1, 100_000)
    if args.residents is not None:
        sizes["residents"] = inputs.residents("--residents", args.residents)
    if args.days is not None:
        sizes["days"] = inputs.days("--days", args.days)
    return sizes


# -- compare -------------------------------------------------------------------------


def _compare(args: argparse.Namespace, console: Console) -> int:
    from simulation.sweep import executor

    replicates = inputs.whole_number("--replicates", args.replicates, 2, 100_000)
    seed = inputs.seed("--seed", args.seed)
    days = inputs.days("--days", args.days)
    residents = inputs.residents("--residents", args.residents) \
        if args.residents is not None else None
    workers = inputs.whole_number("--workers", args.workers, 1, 1024)
    out = inputs.output_folder("--out", args.out) if args.out is not None else None
    executor.start_server()  # it loads the model while this process checks the rest

    from simulation.experiments import COMPARED, compare_experiment, compare_scenarios
    from simulation.sweep.experiment import ExperimentError
    from simulation.sweep.store import StoreError

    outcomes = COMPARED if args.outcomes is None else [o.strip() for o in
                                                      args.outcomes.split(",") if o.strip()]
    if not outcomes:
        raise InputError(f"--outcomes {args.outcomes!r}: no metric named (allowed: metric "
                         "names of `carecap run`, separated by commas)")
    try:
        compare_experiment(args.first, args.second, replicates, seed, residents, days,
                           outcomes)  # checked before any folder is made
        comparison = compare_scenarios(args.first, args.second, replicates=replicates,
                                       seed=seed, residents=residents, days=days,
                                       outcomes=outcomes, workers=workers, out=out,
                                       console=console)
    except (ExperimentError, StoreError) as error:
        raise InputError(str(error)) from None
    _print_comparison(console, comparison)
    if out is not None:
        console.print(f"runs kept in {out} (report: carecap report {out})")
    return 0


def _print_comparison(console: Console, comparison) -> None:
    """The comparison as a table: each side's mean and the paired difference, with CIs."""
    from simulation.dashboard import display
    from simulation.metrics import BY_NAME

    first, second = comparison.first, comparison.second
    table = Table(title=f"{second} against {first}: {comparison.replicates} seeds, the same "
                        "in both; 95% confidence intervals")
    for column in ("outcome", first, second, f"{second} − {first}", "95% CI of the difference"):
        table.add_column(column, justify="left" if column == "outcome" else "right",
                         overflow="fold")
    table.add_column("reading", overflow="fold")
    for row in comparison.table.itertuples():
        name = row.outcome
        clear = row.low > 0 or row.high < 0
        reading = ("higher" if row.difference > 0 else "lower") if clear \
            else "no clear difference"
        table.add_row(BY_NAME[name].label, display.value(name, row.first_mean),
                      display.value(name, row.second_mean),
                      display.change(name, row.difference),
                      display.interval(name, row.low, row.high, difference=True), reading)
    _print_whole(console, table)
    runs = 2 * comparison.replicates
    for row in comparison.table.itertuples():
        if row.undefined:
            console.print(f"note: {BY_NAME[row.outcome].label} had nothing to divide by in "
                          f"{row.undefined} of {runs} runs and counts as 0 there, pulling its "
                          "means toward 0; more residents or days would define it")


def _print_whole(console: Console, table: Table) -> None:
    """Print a table with every name in full.

    In a terminal the table fits its width, a name too long for its column folding onto
    the next line (never cut short); written to a file or a pipe, it takes the width its
    longest names need, whatever width the console assumes there (80 columns).
    """
    from rich.measure import Measurement

    if not console.is_terminal:
        unbounded = console.options.update_width(sys.maxsize)
        needed = Measurement.get(console, unbounded, table).maximum
        if needed > console.width:  # print() never passes the console's width: widen it
            console = Console(file=console.file, width=needed, no_color=console.no_color)
    console.print(table)


# -- report --------------------------------------------------------------------------


def _report(args: argparse.Namespace, console: Console) -> int:
    from simulation.sweep.analysis import SUMMARIES, SweepFolderError
    from simulation.sweep.report import write_report

    folder = Path(args.folder)
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise InputError(f"report {args.folder}: {what} (allowed: a sweep folder made by "
                         "`carecap sweep`)")
    out = inputs.output_path("--out", args.out or str(folder / "report.html"), (".html",))
    csv = inputs.output_path("--csv", args.csv, (".csv",))
    from simulation.sweep.store import SweepStore

    started = time.monotonic()
    try:
        with _LazyProgress(console, "report", unit="section",
                           waiting="reading the runs") as progress:
            sweep = write_report(folder, out, csv, progress=progress)
    except SweepFolderError as error:
        raise InputError(str(error)) from None
    except OSError as error:
        raise InputError(f"cannot write output: {error.strerror or error}") from None
    _warn_unreadable(SweepStore(folder), "are left out of the report (rerun the sweep to "
                     "compute them again)")
    if sweep.not_planned:
        print(f"carecap: warning: {len(sweep.not_planned)} files in {folder / 'runs'} are "
              f"not runs this sweep planned and are left out: "
              f"{', '.join(sweep.not_planned)}", file=sys.stderr)
    try:
        sweep.write_summaries()  # refreshed: a sweep cut short may have left it behind
    except OSError as error:
        print(f"carecap: warning: {folder / SUMMARIES} not refreshed "
              f"({error.strerror or error}); the report does not need it", file=sys.stderr)
    console.print(f"report of {sweep.runs_finished} runs written to {out} "
                  f"in {time.monotonic() - started:.1f} s"
                  + (f"; run summaries written to {csv}" if csv else ""))
    return 0


# -- calibrate -----------------------------------------------------------------------


def _calibrate(args: argparse.Namespace, console: Console) -> int:
    from simulation.calibrate import command

    return command(args, console, _LazyProgress)


def _compare_ensemble(args: argparse.Namespace, console: Console) -> int:
    from simulation.ensemble import command

    return command(args, console, _LazyProgress)


# -- commands that live beside their feature ------------------------------------------


def _area(args: argparse.Namespace, console: Console) -> int:
    from simulation.areas import command

    return command(args, console)


def _dashboard(args: argparse.Namespace, console: Console) -> int:
    from simulation.dashboard.command import dashboard

    return dashboard(args, console)


def _lesson(args: argparse.Namespace, console: Console) -> int:
    from simulation.lessons import lesson

    return lesson(args, console)


def _validate(args: argparse.Namespace, console: Console) -> int:
    from simulation.validate import validate

    return validate(args, console)


# -- listings ------------------------------------------------------------------------


def _scenarios(args: argparse.Namespace, console: Console) -> int:
    table = Table(title="Shipped scenarios (carecap run NAME)")
    table.add_column("name", style="bold")
    table.add_column("description")
    for name in shipped():
        try:
            scenario = load_scenario(name)
        except ScenarioError as error:
            raise InputError(str(error)) from None
        table.add_row(name, f"{scenario.title}\n{' '.join(scenario.description.split())}")
    console.print(table)
    return 0


PHASES_COMMAND = "uv run carecap phases --markdown docs/ODD.md"


def phases_markdown() -> str:
    """The phases of a day as a Markdown table (the ODD's schedule, section 1.3)."""
    from simulation.day import PHASES

    lines = ["| # | Phase | ODD processes | Rule | Reads | Writes | What happens |",
             "|---|---|---|---|---|---|---|"]
    for number, phase in enumerate(PHASES, start=1):
        rule = f"`{phase.run.__module__.removeprefix('simulation.')}.{phase.run.__name__}`"
        lines.append(f"| {number} | {phase.name} | {phase.processes} | {rule} | "
                     f"{', '.join(phase.reads)} | {', '.join(phase.writes)} | "
                     f"{phase.does} |")
    return "\n".join(lines)


def _phases(args: argparse.Namespace, console: Console) -> int:
    from simulation.day import PHASES

    if args.markdown:
        try:
            write_block(Path(args.markdown), "phases", PHASES_COMMAND, phases_markdown())
        except (OSError, BlockError) as error:
            raise InputError(f"--markdown {args.markdown}: {error}") from None
        console.print(f"phase table written to {args.markdown}")
        return 0
    table = Table(title="The phases of a day, in order (simulation/day.py: PHASES)")
    for column in ("#", "phase", "ODD", "what happens", "writes"):
        table.add_column(column, overflow="fold")
    for number, phase in enumerate(PHASES, start=1):
        table.add_row(str(number), phase.name, phase.processes, phase.does,
                      ", ".join(phase.writes))
    console.print(table)
    return 0


def _params(args: argparse.Namespace, console: Console) -> int:
    if args.format == "table":
        show(console)
    else:  # plain text on stdout, for a file or a pipe (no terminal styling)
        sys.stdout.write({"csv": as_csv, "markdown": as_markdown, "json": as_json}[args.format]())
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "run": _run,
    "sweep": _sweep,
    "compare": _compare,
    "report": _report,
    "calibrate": _calibrate,
    "compare-ensemble": _compare_ensemble,
    "dashboard": _dashboard,
    "area": _area,
    "lesson": _lesson,
    "validate": _validate,
    "phases": _phases,
    "scenarios": _scenarios,
    "params": _params,
}


if __name__ == "__main__":
    sys.exit(main())
