"""The command line: normal use and every error path (one line, exit code 2, no file)."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.metrics import NAMES
from simulation.sweep import executor

QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]


def _fails_cleanly(capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    assert lines[0].startswith("carecap: error:")
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_run_prints_a_summary_and_writes_csv_and_json(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out, summary = tmp_path / "daily.csv", tmp_path / "summary.json"
    assert main(["run", "peer_visits", *QUICK, "--seed", "4", "--out", str(out),
                 "--summary", str(summary)]) == 0
    printed = capsys.readouterr().out
    assert "readmission_rate_30d" in printed and "seed 4" in printed
    daily = pd.read_csv(out)
    assert list(daily.columns) == list(NAMES) and len(daily) == 12
    document = json.loads(summary.read_text())
    assert document["scenario"] == "peer_visits" and document["seed"] == 4
    assert document["schema_version"] == 1  # the layout a reader can check
    assert set(document["summary"]) == set(NAMES)
    assert document["summary"]["admissions"] == daily["admissions"].sum()


def test_run_writes_parquet_and_accepts_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.toml"
    scenario.write_text('title = "Mine"\n[overrides]\npeer_scheme = true\nrisk_aversion = 0\n')
    out = tmp_path / "daily.parquet"
    assert main(["run", str(scenario), *QUICK, "--out", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 12


def test_an_upper_case_suffix_still_picks_the_format(tmp_path: Path) -> None:
    out = tmp_path / "daily.PARQUET"
    assert main(["run", "baseline", *QUICK, "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"PAR1"  # Parquet's magic bytes, not CSV text
    assert len(pd.read_parquet(out)) == 12


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    listed = capsys.readouterr().out
    for name in ("baseline", "peer_visits", "mutual_aid", "devolved_decisions",
                 "co_production_and_subsidiarity", "defensive_risk", "family_absorbs"):
        assert name in listed
    assert main(["params"]) == 0
    listed = capsys.readouterr().out
    assert "peer_scheme" in listed and "NAO" in listed


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "no_such_scenario"], ["no_such_scenario", "unknown", "baseline"]),
    (["run", "baseline", "--set", "no_such=1"], ["--set", "no_such", "unknown parameter"]),
    (["run", "baseline", "--set", "risk_aversion=high"], ["risk_aversion", "not a number",
                                                          "0 to 1"]),
    (["run", "baseline", "--set", "risk_aversion=1.5"], ["risk_aversion", "out of range"]),
    (["run", "baseline", "--set", "peer_scheme=maybe"], ["peer_scheme", "true or false"]),
    (["run", "baseline", "--set", "neighbour_ties=2.5"], ["neighbour_ties", "whole number"]),
    (["run", "baseline", "--set", "risk_aversion"], ["--set", "NAME=VALUE"]),
    (["run", "baseline", "--residents", "10"], ["--residents", "out of range", "50"]),
    (["run", "baseline", "--days", "0"], ["--days", "whole number from 1"]),
    (["run", "baseline", "--days", "ten"], ["--days"]),
    (["run", "baseline", "--seed", "-3"], ["--seed"]),
    (["run", "baseline", "--out", "daily.xlsx"], ["--out", ".csv, .parquet"]),
    (["run", "baseline", "--out", "/no/such/folder/daily.csv"], ["--out", "does not exist"]),
    (["run", "baseline", "--summary", "s.txt"], ["--summary", ".json"]),
    (["run"], ["scenario"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                      expected: list[str]) -> None:
    _fails_cleanly(capsys, argv, *expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("title = \n", ["not valid TOML"]),
    ('colour = "blue"\n', ["unknown field 'colour'", "allowed"]),
    ("[overrides]\nrisk_aversion = 3\n", ["overrides.risk_aversion", "out of range"]),
    ("[overrides]\nrisk_avrsion = 0.3\n", ["overrides.risk_avrsion", "unknown parameter"]),
    ('[overrides]\npeer_scheme = "yes"\n', ["overrides.peer_scheme", "is text", "true or false"]),
    ('sources = "one"\n', ["'sources'", "list of text"]),
    ("[lesson]\nhomework = []\n", ["'lesson'", "look_for"]),
])
def test_bad_scenario_files_name_file_and_field(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                text: str, expected: list[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    line = _fails_cleanly(capsys, ["run", str(path), *QUICK], *expected)
    assert "bad.toml" in line


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(capsys, ["run", str(tmp_path / "gone.toml")], "gone.toml", "no such")


def test_unwritable_output_folder_is_refused_before_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Tests may run as root, whom permission checks never stop: fail the probe file itself.
    def denied(path: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("simulation.inputs.temporary_beside", denied)
    monkeypatch.setattr("simulation.runner.run", lambda **kwargs: pytest.fail("ran anyway"))
    summary = tmp_path / "s.json"
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--summary", str(summary)],
                   "--summary", str(summary), "Permission denied", "allowed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_that_refuses_files_is_caught_before_the_run_even_as_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("simulation.runner.run", lambda **kwargs: pytest.fail("ran anyway"))
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--out", str(tmp_path / "d.csv"),
                            "--summary", "/proc/x.json"],
                   "--summary", "/proc/x.json", "cannot create a file", "allowed")
    assert not Path("/proc/x.json").exists() and list(tmp_path.iterdir()) == []


def test_a_failed_summary_leaves_no_table_behind(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The table is written, then the disk fills up while the summary is written.
    def full_disk(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("simulation.results.json.dumps", full_disk)
    out, summary = tmp_path / "daily.csv", tmp_path / "summary.json"
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--out", str(out),
                            "--summary", str(summary)],
                   "cannot write output", f"--out {out}", f"--summary {summary}",
                   "No space left", "nothing was written")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # The disk fills up half-way through writing the table.
    def full_disk(self: pd.DataFrame, path: object, **kwargs: object) -> None:
        Path(str(path)).write_text("day,adm")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    out = tmp_path / "daily.csv"
    _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--out", str(out)],
                   "cannot write output", f"--out {out}", "No space left")
    assert list(tmp_path.iterdir()) == []


# -- refused before anything is written ------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ('title = "Tiny"\nscenarios = ["baseline"]\nreplicates = 2\nresidents = 300\n'
              'days = 8\n')
CALIBRATION = ROOT / "experiments" / "calibration_baseline.toml"


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _refused_writing_nothing(capsys: pytest.CaptureFixture[str], folder: Path,
                             argv: list[str], *expected: str) -> str:
    """Refused with one line, and ``folder`` (the working folder) is as it was."""
    before = _listing(folder)
    line = _fails_cleanly(capsys, argv, *expected)
    assert _listing(folder) == before
    return line


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder holding a tiny experiment file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(EXPERIMENT)
    return tmp_path


@pytest.mark.parametrize(("argv", "flag"), [
    (["run", "baseline", "--out", "a.csv", "--out", "b.csv"], "--out"),
    (["run", "baseline", "--seed", "1", "--seed=2"], "--seed"),
    (["run", "baseline", "--residents", "600", "--residents", "700"], "--residents"),
    (["sweep", "tiny.toml", "--workers", "1", "--workers", "2"], "--workers"),
    (["sweep", "tiny.toml", "--out", "a", "--out", "b"], "--out"),
    (["report", "x", "--csv", "a.csv", "--csv", "b.csv"], "--csv"),
    (["calibrate", str(CALIBRATION), "--out", "a", "--out", "b"], "--out"),
    (["dashboard", "--port", "8000", "--port", "8001"], "--port"),
])
def test_a_single_value_flag_given_twice_is_refused(
        capsys: pytest.CaptureFixture[str], workdir: Path, argv: list[str], flag: str) -> None:
    _refused_writing_nothing(capsys, workdir, argv, f"{flag} given twice", "allowed: once")


@pytest.mark.parametrize("argv", [
    ["run", "baseline", "--set", "risk_aversion=0.2", "--set", "risk_aversion = 0.3",
     "--out", "a.csv"],
    ["sweep", "tiny.toml", "--precision", "readmission_rate_30d=0.1",
     "--precision", "readmission_rate_30d=0.2"],
])
def test_a_repeatable_flag_naming_one_thing_twice_is_refused(
        capsys: pytest.CaptureFixture[str], workdir: Path, argv: list[str]) -> None:
    """Which of two values wins is not left to their order on the line."""
    flag = argv[2]
    _refused_writing_nothing(capsys, workdir, argv, f"{flag} ", "given twice",
                             "allowed: each name once")


def test_residents_given_by_set_and_by_its_own_flag_is_refused(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    # Before, --residents silently won over --set residents=.
    _refused_writing_nothing(capsys, workdir, ["run", "baseline", "--set", "residents=100",
                                               "--residents", "200", "--out", "a.csv"],
                             "--set residents=100 and --residents 200 both given",
                             "allowed: one of them")


def test_repeatable_flags_may_still_repeat(workdir: Path) -> None:
    assert main(["run", "baseline", *QUICK, "--set", "risk_aversion=0.2",
                 "--set", "peer_scheme=true"]) == 0


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
@pytest.mark.parametrize("command", ["run", "sweep", "calibrate"])
def test_an_empty_file_is_refused(capsys: pytest.CaptureFixture[str], workdir: Path,
                                  text: str, command: str) -> None:
    (workdir / "empty.toml").write_text(text)
    what = {"run": "scenario", "sweep": "experiment", "calibrate": "calibration"}[command]
    _refused_writing_nothing(capsys, workdir, [command, "empty.toml"], "empty.toml",
                             f"empty {what} file")


def test_a_precision_without_a_half_width_is_refused(capsys: pytest.CaptureFixture[str],
                                                     workdir: Path) -> None:
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", "--precision",
                                               "readmission_rate_30d"],
                             "--precision 'readmission_rate_30d'", "OUTCOME=HALF_WIDTH")


@pytest.mark.parametrize("argv", [
    ["--precision", "readmission_rate_30d=inf"],
    ["--precision", "readmission_rate_30d=1e999"],
    ["--precision", "readmission_rate_30d=nan"],
    ["--precision", "readmission_rate_30d=-inf"],
])
def test_a_precision_that_is_not_finite_is_refused(capsys: pytest.CaptureFixture[str],
                                                    workdir: Path, argv: list[str]) -> None:
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", *argv],
                             "--precision.readmission_rate_30d", "finite number above 0")


@pytest.mark.parametrize(("text", "expected"), [
    ("[precision]\nhalf_widths = { readmission_rate_30d = inf }\n",
     ["precision.half_widths.readmission_rate_30d", "finite"]),
    ("[design.factors]\nresidents = [200, 3000]\n",
     ["design.factors.residents", "cannot vary between arms"]),
    ("[design.factors]\ndays = [30, 60]\n", ["design.factors.days", "cannot vary"]),
    ('[design]\nkind = "latin_hypercube"\nsamples = 4\n[design.ranges]\n'
     'residents = [200.0, 3000.0]\n', ["design.ranges.residents", "cannot vary"]),
    # [base] is beneath every arm, whose size is the experiment's: it was run at the
    # experiment's residents while the manifest recorded the base's.
    ("[base]\nresidents = 300\n", ["base.residents", "the run's size is the experiment's"]),
    ("[base]\ndays = 30\n", ["base.days", "the run's size is the experiment's"]),
    (f"root_seed = {2**63}\n", ["'root_seed'", f"from 0 to {2**63 - 1}"]),
    (f"root_seed = {2**63 - 1}\n", ["root_seed", "2 replicates", f"at most {2**63 - 2}"]),
])
def test_experiment_files_refused_before_any_folder_is_made(
        capsys: pytest.CaptureFixture[str], workdir: Path, text: str,
        expected: list[str]) -> None:
    (workdir / "tiny.toml").write_text(EXPERIMENT + text)
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml"], "tiny.toml", *expected)


def test_the_largest_seeds_are_accepted(workdir: Path) -> None:
    from simulation.sweep.experiment import load_experiment

    (workdir / "tiny.toml").write_text(EXPERIMENT + f"root_seed = {2**63 - 2}\n")
    assert [r.seed for r in load_experiment("tiny.toml").runs()] == [2**63 - 2, 2**63 - 1]


def test_more_replicates_than_the_seeds_left_are_refused(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / "tiny.toml").write_text(EXPERIMENT + f"root_seed = {2**63 - 2}\n")
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", "--replicates", "3"],
                             "root_seed", "3 replicates")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize(("out", "expected"), [
    ("/proc/x", ["--out /proc/x", "cannot create a file in /proc", "allowed: a folder"]),
    ("tiny.toml", ["--out tiny.toml", "is a file", "allowed: a folder"]),
    ("tiny.toml/below", ["--out tiny.toml/below", "tiny.toml is a file", "allowed: a folder"]),
    ("", ["--out: empty", "allowed: a folder"]),
    (" ", ["--out: empty", "allowed: a folder"]),
])
def test_a_sweep_folder_that_cannot_be_made_is_refused_naming_out(
        capsys: pytest.CaptureFixture[str], workdir: Path, out: str,
        expected: list[str]) -> None:
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", "--out", out], *expected)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_calibrate_refuses_a_folder_it_cannot_write_without_making_out(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    _refused_writing_nothing(capsys, workdir, ["calibrate", str(CALIBRATION), "--out",
                                               "/proc/fit"], "--out /proc/fit")
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("address", ["not a url", "tcp://host", "tcp://host:0", "http://h:80",
                                     "tcp://h:99999", "tcp://[::1", ""])
def test_a_scheduler_address_that_is_not_one_is_refused(
        capsys: pytest.CaptureFixture[str], workdir: Path, address: str) -> None:
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", "--scheduler", address],
                             f"--scheduler {address!r}", "allowed: tcp://HOST:PORT")


def test_a_scheduler_nobody_answers_at_is_refused_before_any_folder(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    with socket.socket() as probe:  # a port just free, so nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", "--scheduler",
                                               f"tcp://127.0.0.1:{port}"],
                             f"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered",
                             "allowed: the address of a running scheduler")


def test_a_server_that_is_not_a_scheduler_is_refused_before_any_folder(
        capsys: pytest.CaptureFixture[str], workdir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "SCHEDULER_ANSWER_SECONDS", 1.0)  # not the 10 s wait
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        _refused_writing_nothing(capsys, workdir, ["sweep", "tiny.toml", "--scheduler",
                                                   address],
                                 f"--scheduler {address}: no Dask scheduler answered")


def test_a_slow_start_is_shown_before_the_first_day(monkeypatch: pytest.MonkeyPatch) -> None:
    # A first run compiles the model before its first day: the bar must not wait for it.
    from rich.console import Console

    from simulation.cli import _LazyProgress

    monkeypatch.setattr("simulation.cli.PROGRESS_AFTER_SECONDS", 0.0)
    shown = io.StringIO()
    progress = _LazyProgress(Console(file=shown, force_terminal=True, width=200), "a town",
                             waiting="compiling the model")
    with progress as update:
        progress.timer.join()  # the moment the bar is due; no day has ended
        assert progress.bar is not None
        update(1, 3)
    assert "a town: compiling the model" in shown.getvalue()
    assert "day 1/3" in shown.getvalue()


def test_a_lever_starting_after_the_last_day_is_pointed_out_or_refused(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    late = workdir / "late.toml"  # a scenario file's own start day may lie past a run
    late.write_text('title = "Late"\nstart_day = 400\n[overrides]\npeer_scheme = true\n')
    assert main(["run", str(late), *QUICK]) == 0
    assert "peer_scheme starts after day 12" in " ".join(capsys.readouterr().out.split())
    assert main(["run", "peer_visits", *QUICK, "--start-day", "3"]) == 0
    assert "after day" not in capsys.readouterr().out
    # --start-day asks for this run: a day it never reaches is refused, and so is a
    # scenario with nothing of its own to start
    assert main(["run", "peer_visits", *QUICK, "--start-day", "13"]) == 2
    assert "--start-day" in capsys.readouterr().err
    assert main(["run", "baseline", *QUICK, "--start-day", "3"]) == 2
    assert "baseline changes nothing of its own to start" in capsys.readouterr().err


def test_ctrl_c_inside_a_compiled_kernel_is_an_interruption_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from simulation import cli

    def interrupted_in_a_kernel(args, console) -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:  # as numba's dispatcher reports it
            raise SystemError("CPUDispatcher returned a result with an exception set") \
                from interrupt

    monkeypatch.setitem(cli.COMMANDS, "scenarios", interrupted_in_a_kernel)
    assert main(["scenarios"]) == 130
    assert "interrupted" in capsys.readouterr().err
    monkeypatch.setitem(cli.COMMANDS, "scenarios", lambda args, console: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # anything else is still a real error
        main(["scenarios"])


@pytest.mark.parametrize(("argv", "expected"), [
    (["sweep", "experiments/calibrate_tower_hamlets.toml"], "a calibration file"),
    (["calibrate", "experiments/peer_x_devolved.toml"], "an experiment file"),
    (["report", "no/such/folder"], "no such folder"),
    (["compare", "baseline", "peer_visits", "--outcomes", ""], "--outcomes '': no metric"),
])
def test_a_file_or_flag_of_the_wrong_kind_says_what_it_is(
        argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[1]
    argv = [str(root / a) if a.startswith("experiments/") else a for a in argv]
    assert main(argv) == 2
    assert expected in capsys.readouterr().err


def test_an_error_in_an_experiments_base_is_named_as_the_base(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.toml"
    path.write_text('title = "B"\nscenarios = ["baseline"]\n[base]\nrisk_aversionn = 0.3\n')
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "base.risk_aversionn: unknown parameter" in err and "scenarios:" not in err


def test_compare_notes_a_rate_that_had_nothing_to_divide_by(
        capsys: pytest.CaptureFixture[str]) -> None:
    base = ["compare", "baseline", "peer_visits", "--replicates", "2",
            "--outcomes", "older_length_of_stay,unmet_hours"]
    assert main([*base, "--residents", "150", "--days", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Length of stay aged 65+ had nothing to divide by in" in out  # no discharge yet
    assert "Unmet care had nothing" not in out  # not a rate
    assert main([*base, "--residents", "2000", "--days", "60"]) == 0
    assert "nothing to divide by" not in capsys.readouterr().out


def test_counts_of_one_are_singular(capsys: pytest.CaptureFixture[str]) -> None:
    from simulation.wording import counted

    assert (counted(1, "day"), counted(2, "day"), counted(1000, "run")) == (
        "1 day", "2 days", "1,000 runs")
    assert main(["run", "baseline", "--residents", "300", "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 day, seed" in out and "1 days" not in out


def test_a_scenario_sized_unlike_its_experiment_is_pointed_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "big.toml").write_text('title = "Big"\n[overrides]\nresidents = 2000\n')
    (tmp_path / "exp.toml").write_text(
        'title = "Sized"\nscenarios = ["baseline", "big.toml"]\nreplicates = 1\n'
        'residents = 300\ndays = 3\n')
    assert main(["sweep", str(tmp_path / "exp.toml"), "--out", str(tmp_path / "out"),
                 "--workers", "1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "sets residents = 2,000; every arm of an experiment runs at the experiment's 300" \
        in out
    assert "baseline sets" not in out


def test_resuming_a_sweep_with_other_code_says_which_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from simulation import provenance

    path, out = tmp_path / "exp.toml", tmp_path / "out"
    path.write_text(EXPERIMENT)
    monkeypatch.setattr(provenance, "commit", lambda: "v0.2.0-5-gaaaaaaa")
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    assert "note:" not in capsys.readouterr().err
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0  # same code
    assert "note:" not in capsys.readouterr().err
    monkeypatch.setattr(provenance, "commit", lambda: "v0.2.0-6-gbbbbbbb-dirty")
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert ("started by commit v0.2.0-5-gaaaaaaa, and this is v0.2.0-6-gbbbbbbb-dirty"
            in err)


def test_an_interrupted_sweep_says_what_it_kept_and_how_to_resume(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from simulation import experiments

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiments, "execute_sweep", interrupted)
    path = tmp_path / "exp.toml"
    path.write_text(EXPERIMENT)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 130
    err = " ".join(capsys.readouterr().err.split())
    assert "0 finished runs are kept in" in err and "the same command resumes" in err
    assert err.endswith("carecap: interrupted")
