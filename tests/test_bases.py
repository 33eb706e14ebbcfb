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
