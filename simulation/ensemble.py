"""Calibrated ensembles, and policy comparisons over them that carry calibration uncertainty.

An ensemble is the plausible settings a calibration keeps; a comparison over it has
intervals that carry calibration uncertainty as well as seed noise.

``carecap calibrate`` writes ``ensemble.toml`` in its output folder::

    title = "Tower Hamlets: who cares"
    area = "tower_hamlets"          # the area its members were fitted in (a name or path)
    scenario = "baseline"           # the scenario they were fitted on
    targets = ["carer_prevalence_5plus", "carers_50h_share"]
    parameters = ["need_threshold", "strain_threshold"]

    [[members]]                     # one table per plausible setting, the best first
    need_threshold = 0.47
    strain_threshold = 8.9

``carecap compare-ensemble ENSEMBLE.toml BASE POLICY`` runs both arms (shipped scenario
names or scenario files, rooted in the ensemble's area) for every member and every seed,
paired by seed, and reports each outcome's difference ``POLICY - BASE`` three ways:

* **at the best setting**: the 95% Student-t interval over seeds at the least
  implausible member alone, what a comparison at a single calibrated setting reports;
* **over the ensemble, seed noise only**: the mean over every member and seed, with the
  interval seed noise alone gives it (``t(R - 1) · sqrt(s2_b / R + s2_e / (M R))``, in
  the terms below), as if the setting were known;
* **over the ensemble, seeds and calibration**: the same mean with a prediction interval
  for the effect at a plausible setting,
  the members standing for the plausible settings. Every member runs the same seeds, so
  the differences ``d[k, r]`` (member ``k``, seed ``r``; ``M`` members, ``R`` seeds) are
  a two-way table: ``d = mu + a[k] + b[r] + e[k, r]``, with ``a`` what the setting does
  to the effect (calibration uncertainty), ``b`` what the seed's town does to it (shared
  by every member: common random numbers) and ``e`` the rest. Their variances come
  from the table's mean squares (rows, columns, residual: ``s2_a = (MS_rows -
  MS_res) / R``, ``s2_b = (MS_cols - MS_res) / M``, each at least 0, ``s2_e =
  MS_res``), and the interval is ``mean(d) ± t · sqrt(s2_a (1 + 1/M) + s2_b / R + s2_e /
  (M R))``, ``t`` the Student quantile with ``min(M, R) - 1`` degrees of freedom. With
  members that do not differ it is as wide as seed noise makes the mean over the seeds;
  it cannot be narrower than the spread of plausible settings allows, however many
  seeds are run. (Taking the members' means as independent would miss the seed effect
  they share, and understate the noise.)

A member's fitted values are applied on top of each arm's scenario; an arm whose own
overrides set a fitted parameter is refused, since the calibration's value and the
policy's would disagree.

With ``--out``, ``runs.csv`` and ``comparison.csv`` are plain tables, and
``provenance.json`` beside them says what made them (:mod:`simulation.provenance`):
version, commit, date, the command, the ensemble, the arms and the sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from simulation import inputs, provenance
from simulation.inputs import InputError
from simulation.metrics import BY_NAME, NAMES
from simulation.params import SPECS, Params
from simulation.results import atomic_write
from simulation.runner import run
from simulation.scenarios import ScenarioError, load_scenario
from simulation.tomlfile import read_toml, refuse_unknown

if TYPE_CHECKING:
    from rich.console import Console

TOP_KEYS = {"title", "area", "scenario", "targets", "parameters", "members"}
DEFAULT_OUTCOMES = ("readmission_rate_30d", "unmet_hours", "unpaid_hours", "carers_50h_share",
                    "unpaid_share_women", "delayed_bed_days", "cost_total")


class EnsembleError(ValueError):
    """An ensemble file or comparison that cannot be used; the message names the field."""


@dataclass(frozen=True)
class EnsembleFile:
    """The plausible settings of a calibration, as written to ``ensemble.toml``.

    Attributes:
        title: The calibration's title.
        area: The area the members were fitted in (a shipped name or a path), or ``None``.
        scenario: The scenario they were fitted on.
        targets: The keys of the targets they were fitted to.
        parameters: The fitted parameters.
        members: Each member's fitted values, the best first.
    """

    title: str
    area: str | None
    scenario: str
    targets: tuple[str, ...]
    parameters: tuple[str, ...]
    members: tuple[dict[str, float], ...]

    def write(self, path: Path, header: Sequence[str] = ()) -> None:
        """Write the file (TOML), atomically.

        Args:
            path: The file.
            header: Comment lines to start it with (what made it:
                :func:`simulation.provenance.comment_lines`); the file reads the same.
        """
        lines = [*header, f"title = {json.dumps(self.title)}"]
        if self.area is not None:
            lines.append(f"area = {json.dumps(self.area)}")
        lines += [f"scenario = {json.dumps(self.scenario)}",
                  f"targets = {json.dumps(list(self.targets))}",
                  f"parameters = {json.dumps(list(self.parameters))}"]
        for member in self.members:
            lines += ["", "[[members]]", *(f"{k} = {_toml_number(v)}" for k, v in member.items())]
        atomic_write(path, lambda tmp: tmp.write_text("\n".join(lines) + "\n",
                                                      encoding="utf-8"))


def _toml_number(value: float | int) -> str:
    return repr(value) if isinstance(value, int) else repr(float(value))


def load_ensemble(path: str | Path) -> EnsembleFile:
    """Read and check an ``ensemble.toml``.

    Raises:
        EnsembleError: The file is missing or malformed, or a member is not allowed.
    """
    path = Path(path)
    data = read_toml(path, "ensemble", EnsembleError)

    def fail(message: str) -> EnsembleError:
        return EnsembleError(f"{path}: {message}")

    refuse_unknown(data, TOP_KEYS, fail)
    parameters = data.get("parameters")
    if not isinstance(parameters, list) or not parameters or not all(
            isinstance(p, str) and p in SPECS for p in parameters):
        raise fail("field 'parameters' must list the fitted parameters (names of "
                   "`carecap params`)")
    members = data.get("members")
    if not isinstance(members, list) or not members:
        raise fail("field 'members' must hold at least one [[members]] table")
    checked = []
    for k, member in enumerate(members):
        if not isinstance(member, dict) or set(member) != set(parameters):
            raise fail(f"members[{k}] must set exactly {', '.join(parameters)}")
        try:
            Params.from_overrides(member)
        except ValueError as error:
            raise fail(f"members[{k}].{error}") from None
        checked.append({name: member[name] for name in parameters})
    targets = data.get("targets", [])
    for key in ("title", "scenario", "area"):
        if key in data and not isinstance(data[key], str):
            raise fail(f"field {key!r} must be text")
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise fail("field 'targets' must be a list of target keys")
    area = data.get("area")
    if area is not None and not Path(area).is_absolute() and area.endswith(".toml"):
        area = str(path.parent / area)  # written relative to the ensemble's folder
    return EnsembleFile(title=data.get("title", path.stem), area=area,
                        scenario=data.get("scenario", "baseline"), targets=tuple(targets),
                        parameters=tuple(parameters), members=tuple(checked))


@dataclass(frozen=True)
class Interval:
    """A mean difference with its 95% interval."""

    mean: float
    low: float
    high: float


@dataclass
class Comparison:
    """A policy comparison over an ensemble's members and seeds.

    Attributes:
        ensemble: The ensemble compared over.
        arms: The base arm and the policy arm, as given.
        runs: Every run's summary (outcomes only), with member, arm and seed.
        outcomes: The outcomes compared.
        seconds: How long the runs took (a measurement, for people).
        residents: The town's size (recorded with the outputs), if known.
        days: Days reported (recorded with the outputs), if known.
    """

    ensemble: EnsembleFile
    arms: tuple[str, str]
    runs: pd.DataFrame
    outcomes: tuple[str, ...]
    seconds: float
    residents: int | None = None
    days: int | None = None

    def differences(self) -> pd.DataFrame:
        """``policy - base`` by member and seed, one column per outcome."""
        base, policy = (self.runs[self.runs["arm"] == a].set_index(["member", "seed"])
                        for a in self.arms)
        return (policy[list(self.outcomes)] - base[list(self.outcomes)]).reset_index()

    def intervals(self) -> pd.DataFrame:
        """Per outcome: the intervals at the best setting and over the ensemble.

        See the module's docstring: at the best member over seeds; over every member and
        seed with seed noise only; and with calibration uncertainty too; with the
        variance components.
        """
        from simulation.sweep.analysis import t_half_width

        diffs = self.differences()
        rows = []
        for outcome in self.outcomes:
            best = diffs.loc[diffs["member"] == 0, outcome].to_numpy()
            best_half = t_half_width(float(best.std(ddof=1)) if len(best) > 1 else math.nan,
                                     len(best))
            table = diffs.pivot(index="member", columns="seed", values=outcome).to_numpy()
            parts = _two_way(table)
            m, r = table.shape
            seeds = math.sqrt(parts["seeds"] / r + parts["rest"] / (m * r))
            both = math.sqrt(parts["members"] * (1 + 1 / m) + seeds ** 2)
            seeds_half = _t(r - 1) * seeds
            both_half = _t(min(m, r) - 1) * both
            mean = float(table.mean())
            rows.append({"outcome": outcome, "unit": BY_NAME[outcome].unit,
                         "best_mean": best.mean(), "best_low": best.mean() - best_half,
                         "best_high": best.mean() + best_half, "ensemble_mean": mean,
                         "seeds_low": mean - seeds_half, "seeds_high": mean + seeds_half,
                         "ensemble_low": mean - both_half, "ensemble_high": mean + both_half,
                         "between_members_sd": math.sqrt(parts["members"]),
                         "seed_sd": math.sqrt(parts["seeds"] + parts["rest"]),
                         "members": m, "seeds": r})
        return pd.DataFrame(rows)

    def write(self, folder: Path, command: str | None = None) -> None:
        """Write ``runs.csv``, ``comparison.csv`` and ``provenance.json``.

        Every run, the intervals, and what made them.

        Args:
            folder: Where they go (made if missing).
            command: The ``carecap compare-ensemble`` command that made them (``None``
                when called from Python).
        """
        folder.mkdir(parents=True, exist_ok=True)
        runs, table = self.runs, self.intervals()
        atomic_write(folder / "runs.csv", lambda tmp: runs.to_csv(tmp, index=False))
        atomic_write(folder / "comparison.csv", lambda tmp: table.to_csv(tmp, index=False))
        # A JSON file beside the CSVs, not "#" lines in them: an analyst's pandas or
        # spreadsheet opens them as plain tables, and a "#" line would be a row there.
        e = self.ensemble
        record = {**provenance.stamp(), "command": command,
                  "files": ["runs.csv", "comparison.csv"],
                  "ensemble": {"title": e.title, "area": e.area, "scenario": e.scenario,
                               "targets": list(e.targets), "parameters": list(e.parameters)},
                  "base": self.arms[0], "policy": self.arms[1],
                  "members": int(runs["member"].nunique()),
                  "seeds": sorted(int(s) for s in runs["seed"].unique()),
                  "residents": self.residents, "days": self.days,
                  "outcomes": list(self.outcomes)}
        text = json.dumps(record, indent=1)
        atomic_write(folder / "provenance.json", lambda tmp: tmp.write_text(text))


def _t(df: int) -> float:
    """The 97.5% Student-t quantile (NaN without a degree of freedom)."""
    return float(stats.t.ppf(0.975, df)) if df >= 1 else math.nan


def _two_way(table: np.ndarray) -> dict[str, float]:
    """Variance components of a members x seeds table (no replication), each at least 0."""
    m, r = table.shape
    grand = table.mean()
    rows, cols = table.mean(axis=1), table.mean(axis=0)
    rest = table - rows[:, None] - cols[None, :] + grand
    ms_rest = float((rest ** 2).sum() / ((m - 1) * (r - 1))) if m > 1 and r > 1 else 0.0
    ms_rows = float(r * ((rows - grand) ** 2).sum() / (m - 1)) if m > 1 else 0.0
    ms_cols = float(m * ((cols - grand) ** 2).sum() / (r - 1)) if r > 1 else 0.0
    return {"members": max((ms_rows - ms_rest) / r, 0.0),
            "seeds": max((ms_cols - ms_rest) / m, 0.0), "rest": ms_rest}


def arm_params(ensemble: EnsembleFile, arm: str, member: dict[str, float],
               residents: int) -> Params:
    """One arm's parameters for one member.

    The arm's scenario, rooted in the ensemble's area, with the member's fitted values.

    Raises:
        EnsembleError: The arm cannot be loaded, or its own overrides set a fitted
            parameter.
    """
    try:
        scenario = load_scenario(arm, area=ensemble.area)
    except ScenarioError as error:
        raise EnsembleError(f"arm {arm}: {error}") from None
    fitted_on = load_scenario(ensemble.scenario, area=ensemble.area).params
    clash = sorted(name for name in member
                   if getattr(scenario.params, name) != getattr(fitted_on, name))
    if clash:
        raise EnsembleError(f"arm {arm}: sets {', '.join(clash)}, which the ensemble fitted "
                            "(allowed: arms that change policy levers, not fitted parameters)")
    return Params.from_overrides({**member, "residents": residents}, base=scenario.params)


def _outcomes(params: Params, seed: int, days: int, outcomes: tuple[str, ...]
              ) -> dict[str, float]:
    """One run's outcomes (what the workers compute)."""
    summary = run(None, params=params, seed=seed, days=days).summary
    return {name: summary[name] for name in outcomes}


class _Now:
    """A call made at once in this process, with a future's ``result()`` (one worker)."""

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self.value = function(*args)

    def result(self) -> Any:
        return self.value


def run_pool(calls: Sequence[tuple[Callable[..., Any], tuple]], workers: int,
             progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """Results of ``function(*args)`` for each call, in order, on ``workers`` processes.

    One worker runs the calls in this process (no pool to start). Each result is the
    same whatever the number of workers: every run has its own seed.
    """
    from simulation.sweep.executor import worker_pool

    # The sweep's pool: its workers exit as soon as this process is gone.
    pool = worker_pool(workers) if workers > 1 else contextlib.nullcontext()
    results = []
    with pool as executor:
        submit = executor.submit if executor is not None else _Now
        futures = [submit(function, *args) for function, args in calls]
        for done, future in enumerate(futures, start=1):
            results.append(future.result())
            if progress is not None:
                progress(done, len(futures))
    return results


def compare_ensemble(ensemble: EnsembleFile, base: str, policy: str, seeds: int = 8,
                     root_seed: int = 0, residents: int = 10_000, days: int = 365,
                     members: int | None = None,
                     outcomes: Sequence[str] = DEFAULT_OUTCOMES, workers: int = 1,
                     progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run ``base`` and ``policy`` for each member and seed, paired by seed.

    Args:
        ensemble: The calibrated ensemble.
        base: The arm compared against (a shipped scenario's name or a scenario file).
        policy: The policy arm.
        seeds: Seeds ``root_seed .. root_seed + seeds - 1``, the same for every member
            and both arms.
        root_seed: The first seed.
        residents: The town's size.
        days: Days reported.
        members: Use the first ``members`` members (the best first); all by default.
        outcomes: The metrics compared.
        workers: Worker processes.
        progress: Called as ``progress(runs_done, runs)``.

    Raises:
        EnsembleError: An arm cannot be used, or an outcome is unknown.
    """
    unknown = [o for o in outcomes if o not in NAMES or o == "day"]
    if unknown:
        raise EnsembleError(f"--outcome {unknown[0]!r} is unknown (allowed: the metric names "
                            "of `carecap run`)")
    chosen = ensemble.members[:members] if members else ensemble.members
    plan = [(k, arm, seed, arm_params(ensemble, arm, member, residents))
            for k, member in enumerate(chosen) for arm in (base, policy)
            for seed in range(root_seed, root_seed + seeds)]
    started = time.monotonic()
    results = run_pool([(_outcomes, (params, seed, days, tuple(outcomes)))
                        for _, _, seed, params in plan], workers, progress)
    runs = pd.DataFrame([{"member": k, "arm": arm, "seed": seed, **result}
                         for (k, arm, seed, _), result in zip(plan, results, strict=True)])
    return Comparison(ensemble, (base, policy), runs, tuple(outcomes),
                      time.monotonic() - started, residents, days)


def shown(value: float, unit: str) -> str:
    """A difference for people: shares in percentage points."""
    if not math.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{value * 100:+.2f} pp"
    return f"{value:+,.4g}" if abs(value) < 1000 else f"{value:+,.0f}"


def comparison_table(comparison: Comparison) -> list[list[str]]:
    """Rows for people: outcome, then each interval as "mean (low to high)"."""
    def cell(mean: float, low: float, high: float, unit: str) -> str:
        return f"{shown(mean, unit)} ({shown(low, unit)} to {shown(high, unit)})"

    return [[row.outcome, cell(row.best_mean, row.best_low, row.best_high, row.unit),
             cell(row.ensemble_mean, row.seeds_low, row.seeds_high, row.unit),
             cell(row.ensemble_mean, row.ensemble_low, row.ensemble_high, row.unit)]
            for row in comparison.intervals().itertuples()]


def command(args: argparse.Namespace, console: Console,
            progress_bar: Callable[[Console, str], ContextManager[Callable[[int, int], None]]]
            ) -> int:
    """Run ``carecap compare-ensemble ENSEMBLE BASE POLICY``; returns the exit code.

    Raises:
        simulation.inputs.InputError: On a bad file, arm or flag (nothing is written).
    """
    from rich.table import Table

    workers = inputs.whole_number("--workers", args.workers, 1, 1024)
    seeds = inputs.whole_number("--seeds", args.seeds, 2, 100_000)
    root_seed = inputs.seed("--root-seed", args.root_seed)
    residents = inputs.residents("--residents", args.residents)
    days = inputs.days("--days", args.days)
    members = None if args.members is None else inputs.whole_number(
        "--members", args.members, 2, 100_000)
    folder = None if args.out is None else Path(args.out)
    if folder is not None:
        if folder.exists() and not folder.is_dir():
            raise InputError(f"--out {folder}: is a file (allowed: a folder)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"--out {folder}: cannot be made ({error.strerror or error})") \
                from None
        inputs.output_path("--out", str(folder / "comparison.csv"), (".csv",))
    try:
        ensemble = load_ensemble(args.ensemble)
        outcomes = tuple(args.outcome) or DEFAULT_OUTCOMES
        used = ensemble.members[:members] if members else ensemble.members
        if len(used) < 2:
            raise EnsembleError(f"{args.ensemble}: {len(used)} member(s) (allowed: 2 or more "
                                "for an interval over members)")
        for arm in (args.base, args.policy):
            arm_params(ensemble, arm, used[0], residents)
        console.print(f"{ensemble.title}: {args.policy} against {args.base} over "
                      f"{len(used)} members x {seeds} seeds x 2 arms = "
                      f"{len(used) * seeds * 2} runs of {residents:,} residents, {days} days, "
                      f"{workers} workers")
        with progress_bar(console, "compare") as progress:
            comparison = compare_ensemble(ensemble, args.base, args.policy, seeds, root_seed,
                                          residents, days, members, outcomes, workers,
                                          progress)
    except EnsembleError as error:
        raise InputError(str(error)) from None
    table = Table(title=f"{args.policy} - {args.base}: mean difference (95% interval)",
                  caption="seeds only: as if the setting were known; seeds and calibration: "
                  "a prediction interval at a plausible setting (simulation/ensemble.py)")
    for column in ("outcome", f"best setting, seeds only ({seeds} seeds)",
                   f"ensemble, seeds only ({len(used)} members)",
                   "ensemble, seeds and calibration"):
        table.add_column(column, overflow="fold")  # names are never cut
    for row in comparison_table(comparison):
        table.add_row(*row)
    console.print(table)
    console.print(f"{comparison.seconds:.0f} s")
    if folder is not None:
        # The command that makes the same outputs (--workers aside: they do not depend on it).
        words = ["carecap", "compare-ensemble", str(args.ensemble), args.base, args.policy,
                 "--seeds", str(seeds), "--root-seed", str(root_seed), "--residents",
                 str(residents), "--days", str(days)]
        words += ["--members", str(members)] if members is not None else []
        words += [w for outcome in args.outcome for w in ("--outcome", outcome)]
        try:
            comparison.write(folder, provenance.command_line([*words, "--out", str(folder)]))
        except OSError as error:
            raise InputError(f"cannot write output in {folder}: {error.strerror or error}") \
                from None
        console.print(f"written to {folder}: runs.csv, comparison.csv, provenance.json")
    return 0
