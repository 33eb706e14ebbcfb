"""Provenance: every output says what made it; the manifest's schema; old sweep folders."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation import provenance
from simulation.cli import main
from simulation.metrics import NAMES
from simulation.params import Params
from simulation.results import read_parquet_record
from simulation.sweep import manifest as schema
from simulation.sweep.analysis import Sweep, SweepFolderError
from simulation.sweep.executor import execute
from simulation.sweep.experiment import load_experiment
from simulation.sweep.store import StoreError, SweepStore

QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]
EXPERIMENT = ('title = "Tiny"\nscenarios = ["baseline", "peer_visits"]\nreplicates = 2\n'
              'residents = 300\ndays = 8\n')


def test_version_is_the_packages_and_the_command_prints_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert provenance.VERSION == version("carecap") == "0.2.0"
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == provenance.describe() and printed.startswith("carecap 0.2.0")


def test_a_runs_summary_and_parquet_file_record_what_made_them_and_repeat_it(
        tmp_path: Path) -> None:
    out, summary = tmp_path / "daily.parquet", tmp_path / "summary.json"
    assert main(["run", "peer_visits", *QUICK, "--seed", "4", "--set", "risk_aversion=0.3",
                 "--out", str(out), "--summary", str(summary)]) == 0
    record = json.loads(summary.read_text())["provenance"]
    assert record == read_parquet_record(out)  # the same record in both files
    expected = Params.from_overrides({"residents": 600, "warmup_days": 5,
                                      "risk_aversion": 0.3, "peer_scheme": True})
    # every parameter, not only the changed, with the population's structure
    assert record["params"] == json.loads(json.dumps(expected.as_record()))
    assert (record["carecap"], record["commit"]) == (provenance.VERSION, provenance.commit())
    assert record["scenario"] == "peer_visits" and record["seed"] == 4
    assert record["days"] == 12 and "area" in record and record["created"].endswith("Z")
    # no provenance among the daily columns
    assert list(pd.read_parquet(out).columns) == list(NAMES)
    # the recorded command makes the same daily table again
    again = tmp_path / "again.parquet"
    words = shlex.split(record["command"])
    assert words[:2] == ["carecap", "run"]
    assert main([*words[1:], "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(again), pd.read_parquet(out))


def test_the_command_recorded_for_an_area_and_a_start_day_repeats_the_run(
        tmp_path: Path) -> None:
    out = tmp_path / "daily.parquet"
    assert main(["run", "peer_visits", *QUICK, "--area", "tower_hamlets", "--start-day", "4",
                 "--set", "risk_aversion=0.3", "--out", str(out)]) == 0
    record = read_parquet_record(out)
    assert record["area"] == "tower_hamlets"
    assert record["params"]["structure"]["area"] == "tower_hamlets"
    assert {c["day"] for c in record["params"]["schedule"]} == {4}
    words = shlex.split(record["command"])
    assert "--area" in words and "--start-day" in words
    again = tmp_path / "again.parquet"
    assert main([*words[1:], "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(again), pd.read_parquet(out))
    # and the record differs from a run without them: they are not ignored
    plain = tmp_path / "plain.parquet"
    assert main(["run", "peer_visits", *QUICK, "--set", "risk_aversion=0.3",
                 "--out", str(plain)]) == 0
    assert not pd.read_parquet(plain).equals(pd.read_parquet(out))


def test_the_daily_table_of_a_run_does_not_depend_on_when_it_was_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert main(["run", "baseline", *QUICK, "--out", str(first)]) == 0
    monkeypatch.setattr(provenance, "now", lambda: "2000-01-01T00:00:00Z")
    assert main(["run", "baseline", *QUICK, "--out", str(second)]) == 0
    assert read_parquet_record(second)["created"] == "2000-01-01T00:00:00Z"
    assert pq.read_table(first).equals(pq.read_table(second))  # the data, bit for bit


def _sweep(tmp_path: Path) -> tuple[Path, SweepStore]:
    path = tmp_path / "tiny.toml"
    path.write_text(EXPERIMENT)
    experiment = load_experiment(path)
    store = SweepStore(tmp_path / "out")
    store.prepare(experiment, command=f"carecap sweep {path}")
    execute(experiment, store, workers=2)
    return path, store


def test_each_run_file_carries_its_label_seed_replicate_and_parameters(
        tmp_path: Path) -> None:
    path, store = _sweep(tmp_path)
    experiment = load_experiment(path)
    for run in experiment.runs():
        file = store.runs_folder / f"{run.run_id}.parquet"
        record = read_parquet_record(file)
        arm = experiment.arms[run.arm]
        assert (record["run_id"], record["arm"], record["label"], record["scenario"],
                record["replicate"], record["seed"]) == (
            run.run_id, run.arm, arm.label, arm.scenario, run.replicate, run.seed)
        assert record["params"] == json.loads(json.dumps(experiment.params(run.arm).as_record()))
        assert record["carecap"] == provenance.VERSION
        columns = list(pd.read_parquet(file).columns)
        assert columns == [*NAMES, "run_id", "arm", "replicate", "seed"]


def test_the_manifest_has_a_schema_version_and_provenance(tmp_path: Path) -> None:
    path, store = _sweep(tmp_path)
    manifest = json.loads((store.folder / "manifest.json").read_text())
    assert manifest["schema_version"] == schema.SCHEMA_VERSION == 3
    made = manifest["provenance"]
    assert made["carecap"] == provenance.VERSION and made["command"] == f"carecap sweep {path}"
    assert {"created", "commit"} <= set(made) and "area" in manifest and "base" in manifest
    assert [set(arm) for arm in manifest["arms"]] == [
        {"label", "scenario", "overrides", "params"}] * 2
    # each arm records every parameter it runs with, its town's structure and start days
    experiment = load_experiment(path)
    assert [arm["params"] for arm in manifest["arms"]] == json.loads(json.dumps(
        [experiment.params(a).as_record() for a in range(2)]))
    assert manifest["arms"][1]["params"]["peer_scheme"] is True
    manifest["arms"][1]["params"] = "every parameter"
    with pytest.raises(schema.ManifestError, match=r"arms\[1\]\.params"):
        schema.parse(manifest, "here")


def test_growing_a_sweep_keeps_the_record_of_what_made_it(tmp_path: Path) -> None:
    path, store = _sweep(tmp_path)
    before = store.manifest()["provenance"]
    store.prepare(load_experiment(path).resized(replicates=3), command="carecap sweep again")
    after = store.manifest()
    assert after["replicates"] == 3
    assert after["provenance"] == {**before, "command": "carecap sweep again"}


def _rewrite(store: SweepStore, change) -> None:
    path = store.folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def _one_line(capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> None:
    assert main(argv) == 2
    line, = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("carecap: error:")
    for text in expected:
        assert text in line, line


def test_resuming_a_sweep_made_by_another_version_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, store = _sweep(tmp_path)
    _rewrite(store, lambda m: m["provenance"].update(carecap="0.1.9"))
    before = sorted(p.name for p in store.folder.rglob("*"))
    _one_line(capsys, ["sweep", str(path), "--out", str(store.folder), "--workers", "1"],
              "made by carecap 0.1.9", f"this is {provenance.VERSION}", "another --out")
    assert sorted(p.name for p in store.folder.rglob("*")) == before
    assert main(["report", str(store.folder)]) == 0  # its report can still be made
    assert "made by carecap 0.1.9" in (store.folder / "report.html").read_text()


def test_an_old_sweep_folder_loads_for_its_report_and_is_not_resumed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, store = _sweep(tmp_path)

    def as_made_by_0_1(manifest: dict) -> None:  # the manifest carecap 0.1 wrote
        del manifest["schema_version"], manifest["provenance"], manifest["area"]

    _rewrite(store, as_made_by_0_1)
    for file in store.runs_folder.glob("*.parquet"):  # and run files without metadata
        pd.read_parquet(file).to_parquet(file, index=False)
    sweep = Sweep(store.folder)
    assert sweep.manifest["schema_version"] == schema.LEGACY_SCHEMA
    assert sweep.records == {} and "params" not in sweep.run_summaries()
    assert main(["report", str(store.folder)]) == 0
    page = (store.folder / "report.html").read_text()
    assert "not recorded (a sweep folder from before carecap 0.2.0)" in page
    assert "peer_scheme = true" in page  # its arms' levers, from the scenario files
    _one_line(capsys, ["sweep", str(path), "--out", str(store.folder), "--workers", "1"],
              "before 0.2.0", "records no version", "another --out folder")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda m: m.update(schema_version=4), "written by a later carecap (schema_version 4"),
    (lambda m: m.update(schema_version="two"), "schema_version is 'two'"),
    (lambda m: m.pop("runs"), "field 'runs' is missing"),
    (lambda m: m["arms"][0].pop("label"), "field 'arms[0].label' is missing"),
    (lambda m: m["runs"][0].update(arm=7), "runs[0].arm is 7"),
])
def test_a_manifest_this_carecap_cannot_read_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], change, expected: str) -> None:
    path, store = _sweep(tmp_path)
    _rewrite(store, change)
    with pytest.raises(SweepFolderError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        Sweep(store.folder)
    with pytest.raises(StoreError, match="use another --out folder"):
        store.prepare(load_experiment(path))
    _one_line(capsys, ["report", str(store.folder)], expected)
    _one_line(capsys, ["sweep", str(path), "--out", str(store.folder), "--workers", "1"],
              expected)


def test_comment_lines_head_a_toml_file_without_changing_what_it_reads() -> None:
    import tomllib

    made = {**provenance.stamp(), "command": "carecap calibrate 'my file.toml'"}
    lines = provenance.comment_lines(made, area="my\ntown", how="history matching")
    body = 'title = "x"\n'
    assert tomllib.loads("\n".join([*lines, body])) == tomllib.loads(body)
    assert lines[0] == f"# Made by {provenance.describe()} on {made['created']}"
    assert "# Area: my town" in lines and "# How: history matching" in lines
    assert lines[-1] == f"# Command: {made['command']}"


def test_a_command_line_reads_back_as_its_words() -> None:
    words = ["carecap", "calibrate", "my file.toml", "--area", "it's.toml"]
    assert shlex.split(provenance.command_line(words)) == words


def test_parameters_made_from_a_shipped_area_in_python_record_its_area_flag() -> None:
    from simulation import run
    from simulation.areas import load_area

    params = Params.from_overrides({"residents": 300}, base=load_area("north_norfolk").params)
    result = run(params=params, seed=2, days=3)
    command = result.provenance["command"]
    assert "--area north_norfolk" in command  # without it the command runs England's town
    again = run("baseline", area="north_norfolk", seed=2, days=3, residents=300)
    assert again.provenance["command"] == command and again.daily.equals(result.daily)
