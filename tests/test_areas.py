"""Area profiles: England reproduces the defaults, other areas change the town, every
figure has a source or a note, and bad files get one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.areas import (
    EXPECTED_FIGURES,
    EXPECTED_TARGETS,
    AreaError,
    check_area,
    load_area,
    shipped_areas,
)
from simulation.cli import main
from simulation.day import start
from simulation.params import Params, Structure
from simulation.population import build_population
from simulation.rng import Streams
from simulation.runner import run

SIZE = {"residents": 1_500, "days": 40, "warmup_days": 20}
QUICK = ["--residents", "600", "--days", "12", "--set", "warmup_days=5"]


def test_the_shipped_areas_are_england_and_two_contrasting_places() -> None:
    assert shipped_areas()[0] == "england"
    assert {"tower_hamlets", "north_norfolk"} <= set(shipped_areas())


def test_england_is_the_defaults_exactly() -> None:
    england = load_area("england")
    assert england.params == Params()
    assert england.params.structure == Structure()


def test_a_run_with_england_is_the_run_with_no_area_bit_for_bit() -> None:
    plain = run("peer_visits", seed=3, **SIZE).daily
    england = run("peer_visits", seed=3, area="england", **SIZE).daily
    pd.testing.assert_frame_equal(plain, england, check_exact=True)


@pytest.mark.parametrize("name", ["tower_hamlets", "north_norfolk"])
def test_every_given_figure_has_a_source_and_every_blank_a_note(name: str) -> None:
    area = load_area(name)
    assert set(EXPECTED_FIGURES) <= set(area.figures)  # given, or blank with a note
    for figure in area.figures.values():
        assert (figure.value is not None and figure.source) or \
            (figure.value is None and figure.note.startswith("not found"))
    for target in area.targets:
        assert target.source and target.published and target.why
        assert target.low <= target.value <= target.high
    assert set(EXPECTED_TARGETS) <= {t.key for t in area.targets} | set(area.blank_targets)
    assert all(p.kind == "blank" for p in check_area(name))


def test_an_area_builds_its_own_town() -> None:
    # Tower Hamlets is young and diverse: the town's age mix and minority share follow
    # its profile (a town built from England's structure would not).
    young, old = (build_population(load_area(n).params.on_day(0), Streams(1)["population"])
                  for n in ("tower_hamlets", "north_norfolk"))
    assert young.older.mean() < 0.12 < 0.30 < old.older.mean()
    assert young.minority.mean() > 0.5 > 0.25 > old.minority.mean()
    assert load_area("tower_hamlets").params.structure.children_aged_5_plus == 0.7026


def test_the_5plus_carer_rate_counts_the_areas_children() -> None:
    england = start(Params.from_overrides({"residents": 800, "warmup_days": 5}), seed=1)
    from simulation.metrics import _residents_5_plus

    base = _residents_5_plus(england, 100, 18)
    england.params = Params.from_overrides({}, base=load_area("north_norfolk").params)
    assert _residents_5_plus(england, 100, 18) == pytest.approx(100 + 0.7675 * 18) != base


@pytest.mark.parametrize("name", ["nosuch", "missing.toml"])
def test_area_check_of_no_such_file_is_one_error_line(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before, a report on stdout ("nosuch: file: error: ...", then a verdict line).
    assert main(["area", "check", str(tmp_path / name) if name.endswith(".toml") else name]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("carecap: error: ")


def test_area_check_says_one_line_per_field(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("""title = "Mine"
[figures.age_shares]
value = [0.5, 0.5, 0.5, 0.0, 0.0]
source = "made up"
[figures.female_share]
value = 1.4
source = "made up"
[figures.minority_share]
note = "not found: nowhere"
[targets.carers_50h_share]
value = 0.3
low = 0.2
high = 0.25
published = "x"
source = "y"
why = "z"
""")
    assert main(["area", "check", str(path)]) == 2
    lines = capsys.readouterr().out.strip().splitlines()
    fields = [line.split(": ")[1] for line in lines[:-1]]
    assert len(fields) == len(set(fields))  # one line per field
    text = "\n".join(lines)
    assert "figures.age_shares: error: value [0.5, 0.5, 0.5, 0.0, 0.0] sums to 1.5" in text
    assert "figures.female_share: error: value 1.4 is out of range" in text
    assert "figures.minority_share: blank: not found: nowhere; England's 0.19 is used" in text
    assert "figures.household_size_shares: missing" in text
    assert "targets.carers_50h_share: error: band 0.2 to 0.25 does not hold" in text
    assert "targets.readmission_rate_30d: missing" in text
    assert lines[-1].endswith("cannot be used")


def test_a_usable_but_incomplete_profile_exits_1(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "thin.toml"
    path.write_text('title = "Thin"\n[figures.female_share]\nvalue = 0.5\nsource = "x"\n')
    assert main(["area", "check", str(path)]) == 1
    assert main(["area", "check", "tower_hamlets"]) == 0
    assert main(["area", "show", "north_norfolk"]) == 0
    assert "TS007" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "expected"), [
    ("title = \n", ["not valid TOML"]),
    ('colour = "blue"\n', ["colour", "unknown field"]),
    ("[figures.age_shares]\ncounts = [1, 2, 3]\nsource = \"x\"\n",
     ["figures.age_shares", "5 non-negative numbers"]),
    ("[figures.alone_age_shares]\nvalue = [0.1, 0.3, 0.2, 0.2, 0.2]\nsource = \"x\"\n",
     ["figures.alone_age_shares", "children living alone"]),
    ("[figures.female_share]\nvalue = 0.5\n", ["figures.female_share.source"]),
    ("[figures.female_share]\n", ["figures.female_share", "no value and no note"]),
    ("[figures.residents]\nvalue = 5\nsource = \"x\"\n", ["figures.residents", "unknown"]),
    ("[figures.risk_aversion]\nvalue = 2\nsource = \"x\"\n",
     ["figures.risk_aversion", "out of range", "0 to 1"]),
    ("[targets.happiness]\nvalue = 1\n", ["targets.happiness", "unknown"]),
    ("national_targets = true\n[targets.carers_50h_share]\nnote = \"x\"\n",
     ["targets", "national_targets"]),
])
def test_bad_area_files_are_one_line_errors_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
        expected: list[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "daily.csv"
    assert main(["run", "baseline", *QUICK, "--area", str(path), "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("carecap: error: --area")
    assert "bad.toml" in lines[0]
    for part in expected:
        assert part in lines[0], lines[0]
    assert not out.exists()
    with pytest.raises(AreaError):
        load_area(path)


def test_an_unknown_area_name_lists_the_shipped_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "baseline", *QUICK, "--area", "atlantis"]) == 2
    error = capsys.readouterr().err
    assert "atlantis" in error and "tower_hamlets" in error and error.count("\n") == 1


def test_a_local_area_file_runs_by_path_and_through_a_scenario_that_extends_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An area kept outside ``areas/`` works as a path, directly and via ``extends``."""
    local = tmp_path / "my_place.toml"
    local.write_text((Path("areas") / "north_norfolk.toml").read_text())
    scenario = tmp_path / "local_scheme.toml"
    scenario.write_text(f'extends = "{local.name}"\n[overrides]\nrisk_aversion = 0.3\n')
    direct, extended = tmp_path / "direct.csv", tmp_path / "extended.csv"
    assert main(["run", "baseline", *QUICK, "--area", str(local), "--out", str(direct)]) == 0
    assert main(["run", str(scenario), *QUICK, "--out", str(extended)]) == 0
    assert capsys.readouterr().out.count("North Norfolk") == 2  # titled with the area
    shipped = tmp_path / "shipped.csv"
    assert main(["run", "baseline", *QUICK, "--area", "north_norfolk",
                 "--out", str(shipped)]) == 0
    assert direct.read_bytes() == shipped.read_bytes()
    assert pd.read_csv(extended)["population_share_minority"].iloc[-1] == pytest.approx(
        pd.read_csv(shipped)["population_share_minority"].iloc[-1])


def test_the_summary_records_the_area(tmp_path: Path) -> None:
    summary = tmp_path / "s.json"
    assert main(["run", "baseline", *QUICK, "--area", "tower_hamlets",
                 "--summary", str(summary)]) == 0
    import json

    document = json.loads(summary.read_text())
    assert document["area"] == "tower_hamlets"
    assert document["changed"]["minority_share"] == 0.6059
    assert np.isclose(document["summary"]["population_share_minority"], 0.6, atol=0.1)
