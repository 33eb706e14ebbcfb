"""Experiments from Python (run_sweep, load_results, plot_bands), `carecap compare`, and the
README's DuckDB query over a sweep's run summaries."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import simulation
from simulation.cli import main
from simulation.experiments import compare_scenarios, load_results, plot_bands, run_sweep
from simulation.metrics import NAMES
from simulation.runner import run
from simulation.sweep.analysis import IDENTITY
from simulation.sweep.charts import band_table, bands_figure
from simulation.sweep.store import SweepStore

ROOT = Path(__file__).resolve().parents[1]
TINY = ('title = "Tiny"\nscenarios = ["baseline", "peer_visits"]\nreplicates = 2\n'
        'residents = 1500\ndays = 45\n')


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("python")
    path = folder / "tiny.toml"
    path.write_text(TINY)
    run_sweep(path, out=folder / "out", workers=2, progress=False)
    return path, folder / "out"


def test_the_python_entry_points_are_public_names() -> None:
    for name in ("run_sweep", "load_results", "plot_bands", "compare_scenarios"):
        assert getattr(simulation, name) is getattr(simulation.experiments, name)


def test_run_sweep_writes_the_store_and_resumes_running_nothing_again(
        swept: tuple[Path, Path]) -> None:
    path, out = swept
    files = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert len(files) == 4 and (out / "manifest.json").is_file()
    assert (out / "summaries.parquet").is_file()
    (out / "runs" / "a001-r0001.parquet").unlink()
    sweep = run_sweep(path, out=out, workers=1, progress=False)  # resumes: one run redone
    again = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert set(again) == set(files)
    assert {n for n in files if files[n] != again[n]} == {"a001-r0001.parquet"}
    assert sweep.runs_finished == 4
    assert load_results(sweep).equals(load_results(out))  # what run_sweep gives loads too


def test_run_sweep_takes_a_dask_client_or_cluster_for_its_scheduler(
        swept: tuple[Path, Path], tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    path, out = swept
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for given, folder in ((cluster, "by_cluster"), (client, "by_client")):
            sweep = run_sweep(path, out=tmp_path / folder, scheduler=given, progress=False)
            assert load_results(sweep)["unmet_hours"].equals(load_results(out)["unmet_hours"])
    with pytest.raises(TypeError, match="not a Dask scheduler"):
        run_sweep(path, out=tmp_path / "no", scheduler=42, progress=False)


def test_results_load_as_one_tidy_table(swept: tuple[Path, Path]) -> None:
    _, out = swept
    runs = load_results(out)
    assert list(runs.columns[:6]) == list(IDENTITY) and len(runs) == 4
    assert list(runs["label"]) == ["baseline", "baseline", "peer_visits", "peer_visits"]
    assert set(NAMES) <= set(runs.columns)
    assert list(runs["params.peer_scheme"]) == [False, False, True, True]
    row = runs[(runs["label"] == "peer_visits") & (runs["seed"] == 1)].iloc[0]
    assert row["readmission_rate_30d"] == pytest.approx(
        run("peer_visits", seed=1, days=45, residents=1500).summary["readmission_rate_30d"])
    daily = load_results(out, daily=True)
    assert list(daily.columns[:7]) == [*IDENTITY, "day"] and len(daily) == 4 * 45
    assert daily.groupby("run_id")["day"].apply(list).map(lambda d: d == list(range(1, 46))).all()


def test_a_sweeps_summaries_are_run_s_summaries_to_the_last_bit(
        swept: tuple[Path, Path]) -> None:
    """SQL's sums (the summaries' old reduction) differed from run()'s in the last bits."""
    _, out = swept
    written = pd.read_parquet(out / "summaries.parquet")
    for table in (written, load_results(out)):
        for row in table.itertuples():
            expected = run(row.scenario, seed=row.seed, days=45, residents=1500).summary
            got = {name: getattr(row, name) for name in expected}
            assert got == expected, row.run_id  # exact, not approximately


def test_plot_bands_draws_one_panel_per_arm_with_outlined_bands(
        swept: tuple[Path, Path]) -> None:
    _, out = swept
    figure = plot_bands(load_results(out, daily=True), "unmet_hours")
    titles = [a.text for a in figure.layout.annotations]
    assert titles == ["baseline", "peer_visits"]
    assert not any(getattr(t, "fill", None) for t in figure.data)  # outlines, no grey mass
    dotted = [t for t in figure.data if t.line.dash == "dot"]
    assert len(dotted) == 2 * 2  # each arm's band: two dotted edges
    assert "Unmet care (hours)" in figure.layout.title.text
    assert plot_bands(out, "unmet_hours").layout.title.text == figure.layout.title.text


def _edges(figure) -> tuple[list[float], list[float]]:
    """Every low and every high of a band figure's dotted edges."""
    edges = {"low": [], "high": []}
    for trace in figure.data:
        if trace.line.dash == "dot":
            edges["low" if trace.hovertemplate.startswith("low") else "high"] += list(trace.y)
    return edges["low"], edges["high"]


def test_bands_stay_within_what_the_metric_can_take() -> None:
    # Two replicates far apart: mean -/+ the t half-width (12.7 sd / sqrt 2) runs wide
    daily = pd.DataFrame({"label": "arm", "day": [1, 1, 2, 2],
                          "readmission_rate_30d": [0.0, 0.5, 0.1, 0.3],
                          "volunteers": [0.0, 4.0, 1.0, 3.0],
                          "staff_morale": [0.6, 0.9, 0.7, 0.8]})
    low, high = _edges(plot_bands(daily, "readmission_rate_30d"))
    assert min(low) == 0.0  # not -176%
    assert max(high) > 1.0  # a period rate can pass 100%: no cap at 1
    low, _ = _edges(plot_bands(daily, "volunteers"))
    assert min(low) == 0.0
    table = band_table(daily, "staff_morale")
    assert table["high"].max() == 1.0 and table["low"].min() >= 0.0  # a score 0-1
    # the report draws tables it makes itself: its bands are clipped too
    ribbons = pd.DataFrame({"group": "arm", "day": [1, 2], "mean": [1.0, 2.0],
                            "low": [-3.0, 1.0], "high": [5.0, 3.0]})
    low, high = _edges(bands_figure(ribbons, "delayed_bed_days"))
    assert sorted(low) == [0.0, 1.0] and sorted(high) == [3.0, 5.0]


def _readme_query() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sql\n(.*?)\n```", readme, re.S)
    assert block, "README has no ```sql block"
    (line,) = block[1].strip().splitlines()  # one line
    return line


def test_the_readmes_duckdb_query_gives_each_arms_mean_over_the_runs(
        swept: tuple[Path, Path]) -> None:
    _, out = swept
    query = _readme_query()
    assert "'out/factorial/summaries.parquet'" in query
    table = duckdb.sql(query.replace("out/factorial", str(out))).df()
    for label, scenario in (("baseline", "baseline"), ("peer_visits", "peer_visits")):
        runs = [run(scenario, seed=s, days=45, residents=1500).summary for s in (0, 1)]
        expected = sum(r["readmission_rate_30d"] for r in runs) / 2
        got = table.loc[table["label"] == label].iloc[0, 1]
        assert got == pytest.approx(expected, rel=1e-12)
        # averaging the daily (trailing 30-day) column instead gives another figure
        daily = [run(scenario, seed=s, days=45, residents=1500).daily for s in (0, 1)]
        wrong = pd.concat(daily)["readmission_rate_30d"].mean()
        assert wrong != pytest.approx(expected, rel=1e-3)


def test_the_readmes_daily_against_run_readmission_figures_for_small_towns_reproduce(
        tmp_path: Path) -> None:
    """The README once quoted 3 replicates' figures beside a 4-replicate command."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"in towns of 2,000 over 120 days \(`--replicates (\d+) --residents "
                      r"2000 --days 120`\), ([\d.]+)% against ([\d.]+)%", readme)
    assert found, "README no longer gives the small towns' figures with their command"
    replicates, daily_mean, run_mean = int(found[1]), found[2], found[3]
    sweep = run_sweep(ROOT / "experiments" / "peer_x_devolved.toml", out=tmp_path / "out",
                      replicates=replicates, residents=2000, days=120, workers=2,
                      progress=False)
    daily = sweep.query("SELECT AVG(readmission_rate_30d) AS v FROM daily WHERE arm = 0")
    runs = sweep.query("SELECT AVG(readmission_rate_30d) AS v FROM summaries WHERE arm = 0")
    assert (f"{100 * daily['v'][0]:.2f}", f"{100 * runs['v'][0]:.2f}") == (daily_mean,
                                                                          run_mean)


def test_compare_gives_paired_differences_with_cis(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kept"
    assert main(["compare", "baseline", "devolved_decisions", "--replicates", "3",
                 "--residents", "800", "--days", "30", "--workers", "2", "--outcomes",
                 "decision_delay_days,unmet_hours", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    words = " ".join(printed.out.split())
    assert "devolved_decisions against baseline: 3 seeds" in words
    assert "Decision" in words and "Unmet care" in words and "lower" in words
    assert "3/6 runs" in printed.err or "6/6 runs" in printed.err  # the progress bar
    comparison = compare_scenarios("baseline", "devolved_decisions", replicates=3,
                                   residents=800, days=30, workers=1, progress=False,
                                   outcomes=("decision_delay_days", "unmet_hours"))
    row = comparison.table.set_index("outcome").loc["decision_delay_days"]
    runs = {s: [run(s, seed=seed, days=30, residents=800).summary["decision_delay_days"]
                for seed in range(3)] for s in ("baseline", "devolved_decisions")}
    paired = [b - a for a, b in zip(runs["baseline"], runs["devolved_decisions"],
                                    strict=True)]
    assert row["difference"] == pytest.approx(sum(paired) / 3)  # same seeds in both
    assert row["low"] < row["difference"] < row["high"] and row["pairs"] == 3
    assert comparison.folder is None
    assert main(["report", str(out)]) == 0  # a kept comparison is a sweep folder


def test_compare_prints_arm_and_outcome_names_in_full(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Names were cut short ("co_produc…") to fit 80 columns, even written to a file."""
    from io import StringIO

    from rich.console import Console

    from simulation.cli import _print_comparison

    long = "co_production_and_subsidiarity"
    assert main(["compare", "baseline", long, "--replicates", "2", "--residents", "300",
                 "--days", "10", "--workers", "1", "--outcomes",
                 "unpaid_share_women,readmission_rate_30d"]) == 0
    lines = capsys.readouterr().out.splitlines()  # not a terminal: as wide as it needs
    assert any(f"{long} − baseline" in line and "95% CI of the difference" in line
               for line in lines)
    assert any("Women's share of unpaid care" in line for line in lines)
    comparison = compare_scenarios("baseline", long, replicates=2, residents=300, days=10,
                                   workers=1, progress=False, outcomes=("unpaid_share_women",))
    terminal = Console(file=StringIO(), width=80, force_terminal=True, color_system=None)
    _print_comparison(terminal, comparison)  # a terminal's width: names fold, never cut
    printed = terminal.file.getvalue()
    assert "…" not in printed and max(map(len, printed.splitlines())) <= 80


@pytest.mark.parametrize(("argv", "expected"), [
    (["compare", "baseline", "baseline"], "the same scenario twice"),
    (["compare", "baseline", "no_such"], "no_such"),
    (["compare", "baseline", "peer_visits", "--replicates", "1"], "--replicates"),
    (["compare", "baseline", "peer_visits", "--outcomes", "happiness"], "happiness"),
    (["compare", "baseline", "peer_visits", "--seed", "-1"], "--seed"),
    (["compare", "baseline"], "the following arguments are required: B"),
])
def test_bad_comparisons_are_one_line_errors(capsys: pytest.CaptureFixture[str],
                                             argv: list[str], expected: str) -> None:
    assert main(argv) == 2
    line, = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("carecap: error:") and expected in line


def test_run_sweep_works_from_a_plain_script_without_a_main_guard(tmp_path: Path) -> None:
    # The README's snippet saved as a script: the workers must not run it again
    (tmp_path / "small.toml").write_text(
        'title = "Small"\nscenarios = ["baseline"]\nreplicates = 2\nresidents = 300\n'
        'days = 20\n')
    (tmp_path / "script.py").write_text(
        "from simulation import load_results, run_sweep\n\n"
        'run_sweep("small.toml", out="out", workers=2, progress=False)\n'
        'print("runs:", len(load_results("out")))\n')
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["runs: 2"]
    assert SweepStore(tmp_path / "out").failed() == {}
