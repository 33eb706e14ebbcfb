"""Levers that start on a day: the base's values until then, the scenario's from then on."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.day import advance, start
from simulation.params import BUILT_WITH_TOWN, SPECS, Change, ParamError, Params
from simulation.reference import ReferenceModel
from simulation.runner import run
from simulation.scenarios import ScenarioError, load_scenario
from simulation.state import ACTIVE
from simulation.town import Town

SIZE = {"residents": 1_500, "days": 40, "warmup_days": 20}
QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]


def _scenario(tmp_path: Path, text: str, name: str = "later.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_levers_fixed_at_build_are_those_building_a_town_reads() -> None:
    read: set[str] = set()

    @dataclasses.dataclass(frozen=True)
    class Recording(Params):
        def __getattribute__(self, name: str) -> object:
            if name in SPECS:
                read.add(name)
            return super().__getattribute__(name)

    params = Recording(**{**Params().as_dict(), "residents": 300, "peer_scheme": True})
    Town(params, seed=1)
    # peer_scheme and reciprocity_norm are read too, and have a rule for starting later.
    assert read - {"peer_scheme", "reciprocity_norm"} == BUILT_WITH_TOWN


def test_a_scheme_starting_on_a_day_leaves_the_days_before_alone(tmp_path: Path) -> None:
    later = _scenario(tmp_path, 'start_day = 15\n[overrides]\npeer_scheme = true\n')
    base = run("baseline", seed=2, **SIZE).daily
    started = run(later, seed=2, **SIZE).daily
    before, after = slice(0, 14), slice(14, None)
    pd.testing.assert_frame_equal(base.iloc[before], started.iloc[before], check_exact=True)
    assert (started["volunteers"].iloc[before] == 0).all()
    assert (started["volunteers"].iloc[after] > 0).all()
    assert started["peer_visits"].iloc[after].sum() > 0
    # The whole-run scheme has volunteers from the warm-up on: a different run.
    assert (run("peer_visits", seed=2, **SIZE).daily["volunteers"].iloc[before] > 0).all()
    # Extending a scenario makes it the base: what it sets is in force before the day.
    on_all_along = _scenario(tmp_path, 'extends = "peer_visits"\nstart_day = 15\n'
                             "[overrides]\nrisk_aversion = 0.1\n", "extended.toml")
    params = load_scenario(on_all_along).params
    assert params.peer_scheme and params.on_day(14).risk_aversion == 0.5


def test_start_day_per_lever(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "[start_day]\ndevolved_authority = 10\n"
                     "[overrides]\npeer_scheme = true\ndevolved_authority = 0.9\n")
    params = load_scenario(path).params
    assert params.peer_scheme is True and params.devolved_authority == 0.2
    assert params.schedule == (Change(10, "devolved_authority", 0.9),)
    assert params.on_day(9).devolved_authority == 0.2
    assert params.on_day(10).devolved_authority == 0.9
    town = start(Params.from_overrides({"residents": 400, "warmup_days": 3}, base=params), 1)
    for _ in range(9):
        advance(town)
    assert town.params.devolved_authority == 0.2
    advance(town)
    assert town.day == 10 and town.params.devolved_authority == 0.9


def test_an_override_replaces_a_lever_scheduled_underneath() -> None:
    scheduled = Params.from_overrides({"risk_aversion": 0.1}, start_days={"risk_aversion": 5})
    assert scheduled.risk_aversion == 0.5 and scheduled.schedule
    now = Params.from_overrides({"risk_aversion": 0.3}, base=scheduled)
    assert now.risk_aversion == 0.3 and now.schedule == ()


def test_a_norm_campaign_shifts_each_norm_by_its_starting_difference(tmp_path: Path) -> None:
    path = _scenario(tmp_path, 'start_day = 5\n[overrides]\nreciprocity_norm = 0.7\n')
    small = {"residents": 500, "warmup_days": 3}
    params = Params.from_overrides(small, base=load_scenario(path).params)
    town = start(params, seed=4)
    for _ in range(4):
        advance(town)
    before = town.state.norm.copy()
    draw = town.pop.norm_draw
    expected = np.clip(before + np.clip(0.7 * (0.5 + draw), 0, 1)
                       - np.clip(0.3 * (0.5 + draw), 0, 1), 0, 1)
    from simulation.day import begin_day

    begin_day(town)
    np.testing.assert_allclose(town.state.norm, expected, rtol=1e-6)


def test_the_reference_engine_starts_levers_on_the_same_day() -> None:
    params = Params.from_overrides({"residents": 400, "warmup_days": 2, "peer_scheme": True,
                                    "initial_volunteers_per_1000": 20.0},
                                   start_days={"peer_scheme": 3})
    model = ReferenceModel(params, seed=5)
    town = start(params, seed=5)
    for day in range(1, 5):
        model.step()
        advance(town)
        agents = sum(p.volunteer == ACTIVE for p in model.people)
        arrays = int((town.state.volunteer == ACTIVE).sum())
        assert (agents > 0) == (arrays > 0) == (day >= 3), day
        assert model.params.peer_scheme == town.params.peer_scheme == (day >= 3)


@pytest.mark.parametrize(("text", "expected"), [
    ("start_day = 0\n[overrides]\npeer_scheme = true\n",
     ["start_day.peer_scheme", "not a day of the run", "from 1"]),
    ("start_day = 10\n[overrides]\nminority_share = 0.5\n",
     ["start_day.minority_share", "fixed when the town is built"]),
    ("[start_day]\nrisk_aversion = 3\n[overrides]\npeer_scheme = true\n",
     ["start_day.risk_aversion", "names no override"]),
    ('start_day = "soon"\n[overrides]\npeer_scheme = true\n', ["start_day", "'soon'"]),
])
def test_bad_start_days_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            text: str, expected: list[str]) -> None:
    path = _scenario(tmp_path, text, "bad.toml")
    out = tmp_path / "daily.csv"
    assert main(["run", str(path), *QUICK, "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0], lines
    for part in expected:
        assert part in lines[0], lines[0]
    assert not out.exists()
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_start_day_flag_starts_the_scenarios_own_levers(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    summary = tmp_path / "s.json"
    assert main(["run", "co_production_and_subsidiarity", *QUICK, "--start-day", "6",
                 "--summary", str(summary)]) == 0
    assert "peer_scheme = True from day 6" in capsys.readouterr().out
    schedule = json.loads(summary.read_text())["schedule"]
    assert {c["name"] for c in schedule} == {"peer_scheme", "devolved_authority",
                                             "staff_participation"}
    assert {c["day"] for c in schedule} == {6}
    assert main(["run", "baseline", *QUICK, "--start-day", "0"]) == 2


def test_the_record_of_params_carries_structure_and_schedule() -> None:
    params = Params.from_overrides({"peer_scheme": True}, start_days={"peer_scheme": 30})
    record = params.as_record()
    assert record["peer_scheme"] is False
    assert record["schedule"] == [{"day": 30, "name": "peer_scheme", "value": True}]
    assert record["structure"]["area"] == "england"
    assert set(SPECS) <= set(record)
    with pytest.raises(ParamError, match=r"start_day\.residents"):
        Params.from_overrides({"residents": 500}, start_days={"residents": 3})
