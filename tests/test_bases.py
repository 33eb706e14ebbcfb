"""Scenarios that build on a scenario or an area (``extends``), and runs given an area."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.areas import load_area
from simulation.cli import main
from simulation.params import Params
from simulation.scenarios import ScenarioError, load_scenario

QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_scenario_extends_a_shipped_scenario(tmp_path: Path) -> None:
    path = _write(tmp_path, "cautious.toml",
                  'extends = "peer_visits"\n[overrides]\nrisk_aversion = 0.9\n')
    scenario = load_scenario(path)
    assert scenario.params == Params.from_overrides({"peer_scheme": True,
                                                     "risk_aversion": 0.9})
    assert scenario.overrides == {"risk_aversion": 0.9} and scenario.extends == "peer_visits"


def test_a_chain_of_files_relative_to_each_other_ends_at_an_area(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _write(tmp_path, "local.toml", 'extends = "north_norfolk"\n[overrides]\nbudget_share = 0.3\n')
    leaf = _write(tmp_path / "sub", "leaf.toml",
                  'extends = "../local.toml"\n[overrides]\npeer_scheme = true\n')
    scenario = load_scenario(leaf)
    assert scenario.area == "north_norfolk"
    expected = Params.from_overrides({"budget_share": 0.3, "peer_scheme": True},
                                     base=load_area("north_norfolk").params)
    assert scenario.params == expected
    # The same chain given the same area is fine; another area is refused.
    assert load_scenario(leaf, area="north_norfolk").params == expected
    with pytest.raises(ScenarioError, match="for the area 'north_norfolk', not 'tower_hamlets'"):
        load_scenario(leaf, area="tower_hamlets")


def test_an_area_given_to_a_run_roots_the_scenario_there() -> None:
    scenario = load_scenario("peer_visits", area="tower_hamlets")
    assert scenario.area == "tower_hamlets"
    assert scenario.params == Params.from_overrides(
        {"peer_scheme": True}, base=load_area("tower_hamlets").params)


def test_a_base_applies_under_the_scenarios_own_overrides() -> None:
    scenario = load_scenario("defensive_risk", base={"risk_aversion": 0.2, "budget_share": 0.7})
    assert scenario.params.risk_aversion == 0.9  # the scenario's own wins
    assert scenario.params.budget_share == 0.7  # the base fills the rest


@pytest.mark.parametrize(("files", "expected"), [
    ({"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'}, ["loops"]),
    ({"a.toml": 'extends = "nowhere"\n'}, ["extends", "'nowhere' is unknown", "peer_visits"]),
    ({"a.toml": "extends = 3\n"}, ["'extends'", "scenario or an area"]),
    ({"a.toml": 'extends = "gone.toml"\n'}, ["gone.toml", "no such"]),
])
def test_bad_chains_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        files: dict[str, str], expected: list[str]) -> None:
    for name, text in files.items():
        _write(tmp_path, name, text)
    assert main(["run", str(tmp_path / "a.toml"), *QUICK]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    for part in expected:
        assert part in lines[0], lines[0]


def test_a_run_with_a_conflicting_area_is_refused(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "nn.toml", 'extends = "north_norfolk"\n')
    assert main(["run", str(path), *QUICK, "--area", "tower_hamlets"]) == 2
    assert "not 'tower_hamlets'" in capsys.readouterr().err
    assert main(["run", str(path), *QUICK, "--area", "north_norfolk"]) == 0
    assert "North Norfolk" in capsys.readouterr().out


def test_an_experiment_takes_an_area_and_a_base_for_every_arm(tmp_path: Path) -> None:
    from simulation.sweep.experiment import load_experiment

    mine = _write(tmp_path, "my_visits.toml", 'extends = "peer_visits"\n')
    path = _write(tmp_path, "exp.toml", f"""scenarios = ["baseline", "{mine}"]
area = "tower_hamlets"
replicates = 2
residents = 500
days = 10
[base]
budget_share = 0.7
[design]
kind = "factorial"
[design.factors]
risk_aversion = [0.2, 0.8]
""")
    experiment = load_experiment(path)
    assert [a.label for a in experiment.arms] == [
        "baseline risk_aversion=0.2", "baseline risk_aversion=0.8",
        "my_visits risk_aversion=0.2", "my_visits risk_aversion=0.8"]
    for arm in range(4):
        params = experiment.params(arm)
        assert params.structure.area == "tower_hamlets" and params.budget_share == 0.7
    records = experiment.arm_records()
    assert records[3]["params"]["peer_scheme"] is True
    assert records[3]["params"]["structure"]["area"] == "tower_hamlets"
    assert records[0]["params"]["residents"] == 500
    with pytest.raises(ValueError, match="not 'north_norfolk'"):
        load_experiment(path, area="north_norfolk")


def test_a_sweep_records_every_arms_parameters_in_its_manifest(tmp_path: Path) -> None:
    import json

    path = _write(tmp_path, "exp.toml", """scenarios = ["baseline", "peer_visits"]
replicates = 1
residents = 400
days = 5
outcomes = ["readmission_rate_30d"]
[base]
warmup_days = 3
""")
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out),
                 "--area", "north_norfolk"]) == 0
    arms = json.loads((out / "manifest.json").read_text())["arms"]
    assert [a["label"] for a in arms] == ["baseline", "peer_visits"]
    assert all(a["params"]["structure"]["area"] == "north_norfolk" for a in arms)
    assert all(a["params"]["warmup_days"] == 3 for a in arms)


@pytest.mark.parametrize(("text", "expected"), [
    ('area = "atlantis"\n', ["area", "atlantis", "unknown"]),
    ("[base]\nrisk_aversion = 4\n", ["base.risk_aversion", "out of range"]),
    ('base = "x"\n', ["'base'", "table of parameters"]),
])
def test_bad_experiment_bases_are_one_line_errors(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 text: str, expected: list[str]) -> None:
    path = _write(tmp_path, "bad.toml", 'scenarios = ["baseline"]\n' + text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0], lines
    for part in expected:
        assert part in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
