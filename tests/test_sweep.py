"""Sweeps: experiment files, the store, and an executor that loses and duplicates nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.params import Params
from simulation.sweep.executor import execute, run_one
from simulation.sweep.experiment import ExperimentError, load_experiment
from simulation.sweep.store import StoreError, StoreLockedError, SweepStore

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"replicates": 2, "residents": 300, "days": 8}


def _experiment(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text('title = "Tiny"\nscenarios = ["baseline", "peer_visits"]\n'
                    'replicates = 2\nresidents = 300\ndays = 8\n' + text)
    return path


def test_shipped_experiments_load() -> None:
    factorial = load_experiment(ROOT / "experiments" / "peer_x_devolved.toml")
    assert [a.scenario for a in factorial.arms] == [
        "baseline", "peer_visits", "devolved_decisions", "co_production_and_subsidiarity"]
    oat = load_experiment(ROOT / "experiments" / "volunteer_willingness.toml")
    assert len(oat.arms) == 1 + 6 and oat.arms[0].overrides == {}


def test_designs_and_paired_seeds(tmp_path: Path) -> None:
    experiment = load_experiment(_experiment(tmp_path, "[design.factors]\n"
                                             "risk_aversion = [0.1, 0.9]\n"
                                             "peer_scheme = [false, true]\n"))
    assert len(experiment.arms) == 2 * 4  # two scenarios x a 2x2 factorial
    seeds = {(r.arm, r.replicate): r.seed for r in experiment.runs()}
    assert all(seeds[(a, 1)] == seeds[(0, 1)] for a in range(8))  # common random numbers
    assert experiment.params(3).risk_aversion == 0.9 and experiment.params(3).peer_scheme


@pytest.mark.parametrize(("text", "expected"), [
    ("[design]\nkind = \"sobel\"\n", "design.kind"),
    ("[design.factors]\nrisk_aversion = [2.0]\n", "design.factors.risk_aversion"),
    ("[design.factors]\nno_such = [1]\n", "unknown parameter"),
    ("outcomes = [\"happiness\"]\n", "outcomes"),
    ("colour = 1\n", "unknown field 'colour'"),
    ("[design]\nkind = \"sobol\"\nsamples = 6\n[design.ranges]\ngap_risk = [0.1, 1.0]\n",
     "power of two"),
    ("[design]\nkind = \"morris\"\nsamples = 2\n[design.ranges]\npeer_scheme = [0, 1]\n",
     "design.ranges.peer_scheme: an on/off parameter"),
    ("[design]\nkind = \"latin_hypercube\"\nsamples = 4\n[design.ranges]\n"
     "gap_risk = [0.1, 99.0]\n", "design.ranges.gap_risk"),
    ("[design]\nkind = \"latin_hypercube\"\nsamples = 4\nfactors = {}\n",
     "unknown field 'design.factors'"),
    ("scenario_factorial = [\"a\", \"b\"]\n", "scenario_factorial"),
    ("[precision]\nhalf_widths = { happiness = 1.0 }\n", "precision.half_widths"),
])
def test_bad_experiment_files_name_the_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ExperimentError, match=expected):
        load_experiment(_experiment(tmp_path, text))


def test_sweep_writes_every_run_once_and_resumes(tmp_path: Path) -> None:
    experiment = load_experiment(_experiment(tmp_path))
    store = SweepStore(tmp_path / "out")
    store.prepare(experiment)
    execute(experiment, store, workers=2)
    first = store.load().sort_values(["run_id", "day"]).reset_index(drop=True)
    assert store.finished() == {r.run_id for r in experiment.runs()}
    assert len(first) == 4 * 8

    # Lose one run, run again: only it is redone, and the results are the same.
    (store.runs_folder / "a001-r0000.parquet").unlink()
    done: list[str] = []
    execute(experiment, store, workers=1, progress=lambda run, ok: done.append(run.run_id))
    assert done == ["a001-r0000"]
    again = store.load().sort_values(["run_id", "day"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, again)


def test_a_folder_with_another_sweep_is_refused_and_replicates_only_grow(
        tmp_path: Path) -> None:
    store = SweepStore(tmp_path / "out")
    experiment = load_experiment(_experiment(tmp_path))
    store.prepare(experiment)
    with pytest.raises(StoreError, match="different sweep \\(its arms, residents differ"):
        store.prepare(experiment.resized(residents=400))  # every arm's params name it too
    store.prepare(experiment.resized(replicates=3))  # more replicates: the plan grows
    assert store.manifest()["replicates"] == 3 and len(store.manifest()["runs"]) == 6
    with pytest.raises(StoreError, match="3 or more"):
        store.prepare(experiment)


def test_sampled_designs_plan_points_within_their_ranges(tmp_path: Path) -> None:
    ranges = ('[design.ranges]\nneed_max_hours = [100.0, 160.0]\n'
              'manager_review_days = "declared"\n')
    lhs = load_experiment(_experiment(tmp_path, '[design]\nkind = "latin_hypercube"\n'
                                      'samples = 5\nseed = 3\n' + ranges))
    assert len(lhs.arms) == 2 * 5 and len(lhs.runs()) == 2 * 5 * 2
    values = [a.overrides for a in lhs.arms[:5]]
    assert all(100.0 <= v["need_max_hours"] <= 160.0 for v in values)
    assert all(isinstance(v["manager_review_days"], int) and 0 <= v["manager_review_days"]
               <= 365 for v in values)  # whole numbers rounded, declared range used
    assert lhs.arms[5].overrides == lhs.arms[0].overrides  # each scenario gets the sample
    assert lhs.params(4).manager_review_days == values[4]["manager_review_days"]
    again = load_experiment(_experiment(tmp_path, '[design]\nkind = "latin_hypercube"\n'
                                        'samples = 5\nseed = 3\n' + ranges))
    assert again.arms == lhs.arms  # the seed fixes the sample

    sobol = load_experiment(_experiment(tmp_path, '[design]\nkind = "sobol"\nsamples = 4\n'
                                        + ranges))
    assert len(sobol.arms) == 2 * 4 * (2 + 2)
    second = load_experiment(_experiment(tmp_path, '[design]\nkind = "sobol"\nsamples = 4\n'
                                         'second_order = true\n' + ranges))
    assert len(second.arms) == 2 * 4 * (2 * 2 + 2)
    morris = load_experiment(_experiment(tmp_path, '[design]\nkind = "morris"\nsamples = 3\n'
                                         'levels = 4\n' + ranges))
    assert len(morris.arms) == 2 * 3 * (2 + 1)
    described = morris.design.describe()
    assert described["problem"]["names"] == ["need_max_hours", "manager_review_days"]
    assert len(described["matrix"]) == 9


def test_a_sampled_designs_manifest_records_and_analyses_the_values_run(
        tmp_path: Path) -> None:
    """Whole numbers were rounded for the runs but analysed unrounded, from the manifest."""
    from simulation.sweep import manifest as schema

    ranges = ('[design.ranges]\nneed_max_hours = [100.0, 160.0]\n'
              'manager_review_days = [2.4, 30.0]\nneighbour_ties = [3, 10]\n')
    for kind in ('kind = "latin_hypercube"\nsamples = 20\n',
                 'kind = "morris"\nsamples = 3\nlevels = 4\n'):
        experiment = load_experiment(_experiment(tmp_path, f"[design]\n{kind}{ranges}"))
        names = list(experiment.design.ranges)
        matrix = schema.build(experiment)["design"]["matrix"]
        assert matrix == [[arm.overrides[name] for name in names]
                          for arm in experiment.arms[:len(matrix)]]
        reviews = [row[1] for row in matrix]
        assert all(v == int(v) for v in reviews) and min(reviews) >= 3  # rounded, in range


def test_a_schema_2_manifest_is_read_with_the_values_its_arms_ran(tmp_path: Path) -> None:
    from simulation.sweep import manifest as schema

    experiment = load_experiment(_experiment(tmp_path, '[design]\nkind = "latin_hypercube"\n'
                                             'samples = 4\n[design.ranges]\n'
                                             'neighbour_ties = [3, 10]\n'))
    old = schema.build(experiment)
    old["schema_version"] = 2
    old["design"]["matrix"] = experiment.design.sample().tolist()  # as schema 2 held it
    read = schema.parse(old, tmp_path / "manifest.json")
    assert read["design"]["matrix"] == [[a.overrides["neighbour_ties"]]
                                        for a in experiment.arms[:4]]


@pytest.mark.parametrize(("ranges", "expected"), [
    ("neighbour_ties = [0.5, 0.9]", "holds fewer than two whole numbers"),
    ("neighbour_ties = [2.6, 3.4]", "holds fewer than two whole numbers"),
    ("manager_review_days = [2.4, 4.0]", "some Morris steps round to the same whole number"),
])
def test_whole_number_ranges_that_cannot_vary_the_runs_are_refused(
        tmp_path: Path, ranges: str, expected: str) -> None:
    text = f'[design]\nkind = "morris"\nsamples = 4\nlevels = 4\n[design.ranges]\n{ranges}\n'
    with pytest.raises(ExperimentError, match=expected):
        load_experiment(_experiment(tmp_path, text))
    if "fewer" in expected:  # the same for every sampled kind
        with pytest.raises(ExperimentError, match=expected):
            load_experiment(_experiment(tmp_path, text.replace(
                'kind = "morris"', 'kind = "latin_hypercube"').replace("levels = 4\n", "")))


def test_factorial_squares_and_scenario_factorial(tmp_path: Path) -> None:
    experiment = load_experiment(_experiment(tmp_path, "[design.factors]\n"
                                             "peer_scheme = [false, true]\n"
                                             "risk_aversion = [0.1, 0.5, 0.9]\n"))
    assert len(experiment.squares) == 2  # one per scenario
    square = experiment.squares[1]
    arms = [experiment.arms[i].overrides for i in (square.base, square.first_only,
                                                    square.second_only, square.both)]
    assert arms == [{"peer_scheme": False, "risk_aversion": 0.1},
                    {"peer_scheme": True, "risk_aversion": 0.1},
                    {"peer_scheme": False, "risk_aversion": 0.9},
                    {"peer_scheme": True, "risk_aversion": 0.9}]
    assert experiment.arms[square.base].scenario == "peer_visits"
    shipped = load_experiment(ROOT / "experiments" / "peer_x_devolved.toml")
    assert [(s.base, s.first_only, s.second_only, s.both) for s in shipped.squares] == [
        (0, 1, 2, 3)]
    sobol = load_experiment(ROOT / "experiments" / "sobol_uncertain.toml")
    assert sobol.design.kind == "sobol" and len(sobol.design.ranges) == 10
    assert len(sobol.arms) == 64 * 12


def _raises_for_peer_scheme(params: Params, seed: int, days: int) -> pd.DataFrame:
    if params.peer_scheme and seed == 1:
        raise RuntimeError("this run breaks")
    return run_one(params, seed, days)


def _dies_for_peer_scheme(params: Params, seed: int, days: int) -> pd.DataFrame:
    if params.peer_scheme and seed == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies outright
    return run_one(params, seed, days)


@pytest.mark.parametrize("task", [_raises_for_peer_scheme, _dies_for_peer_scheme])
def test_a_raising_run_or_a_dying_worker_is_survived(tmp_path: Path, task) -> None:
    experiment = load_experiment(_experiment(tmp_path))
    store = SweepStore(tmp_path / "out")
    store.prepare(experiment)
    execute(experiment, store, workers=2, task=task)
    assert store.finished() == {"a000-r0000", "a000-r0001", "a001-r0000"}
    failed = store.failed()
    assert set(failed) == {"a001-r0001"}
    assert ("this run breaks" in failed["a001-r0001"]
            or "died" in failed["a001-r0001"])


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes in process group ``pgid``."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue  # it ended as we looked
        if int(group) == pgid and state != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _wait_for(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux's /proc")
def test_killed_sweep_leaves_no_process_and_resumes_without_loss_or_duplicates(
        tmp_path: Path) -> None:
    # Runs long enough (about half a second each) that the kill lands part-way.
    experiment = (_experiment(tmp_path).read_text().replace("replicates = 2", "replicates = 6")
                  .replace("residents = 300", "residents = 3000").replace("days = 8", "days = 30"))
    path = tmp_path / "kill.toml"
    path.write_text(experiment)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "simulation.cli", "sweep", str(path), "--out", str(out),
               "--workers", "2"]
    sweep = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: len(list((out / "runs").glob("*.parquet"))) >= 2, 120)
        os.kill(sweep.pid, signal.SIGKILL)  # the main process only: its pool is left
        sweep.wait()
        # Its workers, fork server and resource tracker notice and exit, closing the
        # output they share, so a caller reading it to the end is not left waiting.
        assert _wait_for(lambda: not _group(sweep.pid), 30), _group(sweep.pid)
        assert sweep.stdout.read() is not None  # end of output: nothing holds it open
    finally:
        for pid in _group(sweep.pid):
            os.kill(pid, signal.SIGKILL)
        sweep.stdout.close()
    before = {p.name for p in (out / "runs").glob("*.parquet")}
    assert 2 <= len(before) < 12  # killed part-way; a write cut short stays a temp file
    assert (out / "sweep.lock").exists()  # left by the killed sweep: taken over below
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert not list((out / "runs").glob(".*.tmp"))  # cleared on resume
    assert not (out / "sweep.lock").exists()
    after = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert len(after) == 12 and set(before) <= set(after)
    table = SweepStore(out).load()
    assert table.groupby("run_id").size().eq(30).all()  # every run once, every day once


def test_a_sweep_into_a_folder_another_sweep_holds_is_refused_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = _experiment(tmp_path), tmp_path / "out"
    with SweepStore(out).lock():
        before = sorted(p.name for p in out.rglob("*"))
        assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
        after = sorted(p.name for p in out.rglob("*"))
    line, = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("carecap: error:")
    assert f"process {os.getpid()} on {socket.gethostname()}" in line
    assert "another sweep is writing this folder" in line and "another --out folder" in line
    assert after == before == ["sweep.lock"]  # nothing of its own written


def test_two_identical_sweeps_started_together_compute_each_run_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    experiment = (_experiment(tmp_path).read_text().replace("replicates = 2", "replicates = 4")
                  .replace("residents = 300", "residents = 3000").replace("days = 8", "days = 30"))
    path, out = tmp_path / "twice.toml", tmp_path / "out"
    path.write_text(experiment)
    command = ["sweep", str(path), "--out", str(out), "--workers", "1"]
    first = subprocess.Popen([sys.executable, "-m", "simulation.cli", *command], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = out / "sweep.lock"
    assert _wait_for(lambda: lock.exists() and str(first.pid) in lock.read_text(), 120)
    assert main(command) == 2  # the second, while the first runs
    assert f"process {first.pid} " in capsys.readouterr().err
    assert first.wait(timeout=300) == 0
    assert SweepStore(out).finished() == {f"a00{a}-r000{r}" for a in (0, 1) for r in range(4)}


def test_a_stale_lock_file_is_taken_over(tmp_path: Path) -> None:
    store = SweepStore(tmp_path / "out")
    store.folder.mkdir()
    (store.folder / "sweep.lock").write_text('{"pid": 1, "host": "gone", "since": "then"}')
    with store.lock():  # no process holds it: the file alone is no lock
        assert str(os.getpid()) in (store.folder / "sweep.lock").read_text()
        with store.lock():  # re-entrant for the store that holds it
            pass
        with pytest.raises(StoreLockedError, match=f"process {os.getpid()} "), \
                SweepStore(store.folder).lock():
            pass
    assert not (store.folder / "sweep.lock").exists()


def _finished_sweep(tmp_path: Path) -> tuple[Path, SweepStore]:
    path = _experiment(tmp_path)
    store = SweepStore(tmp_path / "out")
    store.prepare(load_experiment(path))
    execute(load_experiment(path), store, workers=2)
    return path, store


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "empty"])
def test_a_damaged_run_file_is_named_left_out_and_run_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    path, store = _finished_sweep(tmp_path)
    damaged = store.runs_folder / "a001-r0000.parquet"
    original = pd.read_parquet(damaged)
    data = damaged.read_bytes()
    damaged.write_bytes({"truncated": data[:len(data) // 2], "random bytes": os.urandom(3000),
                         "empty": b""}[damage])
    assert "a001-r0000" not in store.finished() and set(store.unreadable()) == {damaged}

    assert main(["report", str(store.folder)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("carecap: warning: 1 run file(s) cannot be read")
    assert str(damaged) in err[0] and "left out of the report" in err[0]
    assert "3 finished of 4 planned" in (store.folder / "report.html").read_text()

    assert main(["sweep", str(path), "--out", str(store.folder), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert str(damaged) in captured.err and "will be run again" in captured.err
    assert "(3 already finished)" in captured.out
    pd.testing.assert_frame_equal(pd.read_parquet(damaged), original)  # the same run again


def test_a_folder_of_only_damaged_run_files_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, store = _finished_sweep(tmp_path)
    for run_file in store.runs_folder.glob("*.parquet"):
        run_file.write_bytes(b"PAR1 not really")
    assert main(["report", str(store.folder)]) == 2
    line, = capsys.readouterr().err.strip().splitlines()
    assert "no finished runs" in line and "4 run files cannot be read" in line


def test_dask_cluster_gives_the_same_files_as_the_local_pool(tmp_path: Path) -> None:
    from distributed import LocalCluster

    experiment = load_experiment(_experiment(tmp_path))
    local, dask = SweepStore(tmp_path / "local"), SweepStore(tmp_path / "dask")
    for store in (local, dask):
        store.prepare(experiment)
    execute(experiment, local, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        execute(experiment, dask, workers=2, scheduler=cluster.scheduler_address)
    assert dask.finished() == local.finished() == {r.run_id for r in experiment.runs()}
    for run_id in local.finished():
        a = pd.read_parquet(local.runs_folder / f"{run_id}.parquet")
        b = pd.read_parquet(dask.runs_folder / f"{run_id}.parquet")
        pd.testing.assert_frame_equal(a, b)  # bit for bit


def test_dask_survives_a_dying_worker(tmp_path: Path) -> None:
    import dask
    from distributed import LocalCluster

    experiment = load_experiment(_experiment(tmp_path))
    store = SweepStore(tmp_path / "dask")
    store.prepare(experiment)
    # One task per worker thread at a time, so a death is blamed only on the run it ran.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster:
        execute(experiment, store, workers=2, task=_dies_for_peer_scheme,
                scheduler=cluster.scheduler_address)
    assert store.finished() == {"a000-r0000", "a000-r0001", "a001-r0000"}
    assert set(store.failed()) == {"a001-r0001"}


def _stops_the_cluster_for_peer_scheme(params: Params, seed: int, days: int) -> pd.DataFrame:
    if params.peer_scheme and seed == 1:
        from distributed import get_client

        get_client().shutdown()  # the scheduler and its workers go away mid-sweep
        time.sleep(5)  # while it does, this run never finishes
    return run_one(params, seed, days)


def test_losing_the_dask_scheduler_stops_the_sweep_and_keeps_the_rest_pending(
        tmp_path: Path) -> None:
    import dask
    from distributed import LocalCluster

    from simulation.sweep.executor import ClusterLostError

    experiment = load_experiment(_experiment(tmp_path))
    store = SweepStore(tmp_path / "dask")
    store.prepare(experiment)
    # The client tries to reconnect for the connect timeout before it gives up.
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, \
            pytest.raises(ClusterLostError, match="the same command resumes"):
        execute(experiment, store, workers=1, task=_stops_the_cluster_for_peer_scheme,
                scheduler=cluster.scheduler_address)
    assert store.failed() == {}  # a lost scheduler fails no run
    assert len(store.finished()) < len(list(experiment.runs()))


def test_a_sweep_interrupted_keeps_summaries_of_the_runs_it_finished(tmp_path: Path) -> None:
    from simulation.experiments import execute_sweep
    from simulation.sweep.analysis import SUMMARIES
    from simulation.sweep.executor import LocalPool

    experiment = load_experiment(_experiment(tmp_path))
    store = SweepStore(tmp_path / "out")

    def cut_short(planned) -> None:  # the first replicate of each arm, then Ctrl-C
        with LocalPool(1) as pool:
            pool.run(planned.resized(replicates=1), store, None)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute_sweep(experiment, store, cut_short)
    summaries = pd.read_parquet(store.folder / SUMMARIES)  # missing without the interrupt path
    assert sorted(summaries["run_id"]) == ["a000-r0000", "a001-r0000"]


def test_a_file_the_plan_does_not_name_is_left_out_of_the_analysis(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simulation.sweep.analysis import Sweep

    experiment = load_experiment(_experiment(tmp_path))
    store = SweepStore(tmp_path / "out")
    store.prepare(experiment)
    execute(experiment, store, workers=1)
    copy = store.runs_folder / "a000-r0000 (copy).parquet"
    copy.write_bytes((store.runs_folder / "a000-r0000.parquet").read_bytes())
    sweep = Sweep(store.folder)
    assert sweep.runs_finished == 4 and sweep.not_planned == [copy.name]
    assert len(sweep.run_summaries()) == 4
    assert main(["report", str(store.folder), "--out", str(tmp_path / "r.html")]) == 0
    assert "not runs this sweep planned" in capsys.readouterr().err


def test_a_scenario_file_beside_the_experiment_file_is_found_from_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "edit"
    folder.mkdir()
    (folder / "mine.toml").write_text('title = "Mine"\n[overrides]\npeer_scheme = true\n')
    (folder / "exp.toml").write_text('title = "Beside"\nscenarios = ["baseline", "mine.toml"]\n'
                                     'replicates = 1\nresidents = 300\ndays = 5\n')
    monkeypatch.chdir(tmp_path)  # not the experiment's folder
    experiment = load_experiment("edit/exp.toml")
    assert experiment.params(1).peer_scheme and not experiment.params(0).peer_scheme
    (folder / "exp.toml").write_text('title = "Beside"\nscenarios = ["missing.toml"]\n')
    with pytest.raises(ExperimentError, match="looked in the current folder and in edit"):
        load_experiment("edit/exp.toml")
