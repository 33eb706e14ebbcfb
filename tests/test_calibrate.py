"""Calibration: targets named (never copied), history matching that recovers values the
model itself produced, its outputs, and one-line errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from simulation import provenance
from simulation.areas import load_area
from simulation.calibrate import (
    CUTOFF,
    Calibration,
    CalibrationError,
    calibrate,
    implausibility,
    load_calibration,
    recovery_targets,
)
from simulation.cli import main
from simulation.ensemble import load_ensemble
from simulation.scenarios import load_scenario
from simulation.targets import BY_KEY

ROOT = Path(__file__).resolve().parents[1]
TRUE_THRESHOLD = 0.50


def _file(tmp_path: Path, extra: str = "", targets: str = '["carer_prevalence_5plus"]') -> Path:
    path = tmp_path / "tiny_calibration.toml"
    path.write_text(f"""title = "Tiny"
targets = {targets}
replicates = 2
root_seed = 5
residents = 700
days = 60
waves = 2
points = 10
members = 6
{extra}
[parameters]
need_threshold = [0.40, 0.60]
""")
    return path


def test_shipped_calibrations_name_their_targets_which_are_written_once() -> None:
    baseline = load_calibration(ROOT / "experiments" / "calibration_baseline.toml")
    assert [t.key for t in baseline.targets] == [
        "readmission_rate_30d", "carer_prevalence_women_5plus", "carer_prevalence_men_5plus",
        "carers_50h_share"]
    assert all(t is BY_KEY[t.key] for t in baseline.targets)  # the national targets
    norfolk = load_calibration(ROOT / "experiments" / "calibrate_north_norfolk.toml")
    area = load_area("north_norfolk")
    assert norfolk.area == "north_norfolk"
    assert [t.value for t in norfolk.targets] == [area.target(t.key).value
                                                  for t in norfolk.targets]
    assert not (set(load_calibration(ROOT / "experiments" / "calibrate_tower_hamlets.toml")
                    .bounds) - {"need_threshold", "need_max_hours", "strain_threshold",
                                "minority_family_expectation"})


def test_implausibility_reads_the_band_as_three_standard_deviations() -> None:
    target = BY_KEY["carers_50h_share"]  # 0.30, band 0.27 to 0.33
    assert implausibility(target, 0.33, 0.0, 4) == pytest.approx(CUTOFF)
    assert implausibility(target, 0.27, 0.0, 4) == pytest.approx(CUTOFF)
    assert implausibility(target, 0.30, 0.05, 4) == 0.0
    # Seed noise widens what is allowed: a mean outside the band can stay plausible.
    assert implausibility(target, 0.335, 0.0, 4) > CUTOFF > implausibility(target, 0.335,
                                                                            0.02, 4)


def test_history_matching_recovers_a_value_the_model_itself_produced(tmp_path: Path) -> None:
    c = load_calibration(_file(tmp_path))
    c = replace(c, targets=recovery_targets(c, {"need_threshold": TRUE_THRESHOLD},
                                            range(100, 104)))
    result = calibrate(c, workers=1)
    assert len(result.evaluations) == c.waves * c.points
    low, high = result.spread()["need_threshold"]
    assert low <= TRUE_THRESHOLD <= high
    # The targets rule out most of the range: far settings are implausible.
    assert high - low < 0.6 * (0.60 - 0.40)
    assert all(not e.plausible for e in result.evaluations
               if abs(e.values["need_threshold"] - TRUE_THRESHOLD) > 0.07)
    assert result.members[0] is result.best


def test_the_outputs_record_every_evaluation_and_run_as_written(tmp_path: Path) -> None:
    c = load_calibration(_file(tmp_path, 'area = "north_norfolk"'))
    c = replace(c, waves=1, points=6, targets=tuple(
        replace(t, low=0.0, high=1.0) for t in c.targets))  # everything plausible
    result = calibrate(c, workers=1)
    folder = tmp_path / "out"
    result.write(folder)
    table = pd.read_csv(folder / "evaluations.csv")
    assert len(table) == 6 and table["plausible"].all() and table["member"].sum() == 6
    assert {"need_threshold", "carer_prevalence_5plus_mean",
            "carer_prevalence_5plus_implausibility", "wave"} <= set(table)
    ensemble = load_ensemble(folder / "ensemble.toml")
    assert ensemble.area == "north_norfolk" and len(ensemble.members) == 6
    assert ensemble.members[0]["need_threshold"] == result.best.values["need_threshold"]
    best = load_scenario(folder / "best.toml")
    assert best.area == "north_norfolk"
    assert best.params.need_threshold == result.best.values["need_threshold"]
    page = (folder / "fit.html").read_text()
    assert "Targets against the model" in page and "plotly" in page.lower()
    summary = json.loads((folder / "calibration.json").read_text())
    assert summary["sizes"]["runs"] == 12 and summary["plausible_by_wave"] == [6]
    assert summary["params"]["structure"]["area"] == "north_norfolk"


def test_every_output_says_what_made_it_and_still_loads(tmp_path: Path) -> None:
    c = load_calibration(_file(tmp_path, 'area = "north_norfolk"'))
    c = replace(c, waves=1, points=3, residents=300, days=10, targets=tuple(
        replace(t, low=0.0, high=1.0) for t in c.targets))  # everything plausible
    folder = tmp_path / "out"
    command = "carecap calibrate tiny_calibration.toml --out out"
    calibrate(c, workers=1).write(folder, command)
    made = json.loads((folder / "calibration.json").read_text())["provenance"]
    assert made["carecap"] == provenance.VERSION and made["commit"] == provenance.commit()
    assert made["created"].endswith("Z") and made["command"] == command
    for name in ("ensemble.toml", "best.toml"):
        head = (folder / name).read_text().splitlines()[:4]
        assert head[0].startswith(f"# Made by {provenance.describe()} on {made['created']}")
        assert "# Area: north_norfolk" in head and f"# Command: {command}" in head
        assert any(line.startswith("# How: `carecap calibrate` of tiny_calibration")
                   for line in head)
    assert load_ensemble(folder / "ensemble.toml").area == "north_norfolk"
    best = load_scenario(folder / "best.toml").params
    # A file written before the header (none) loads as the same scenario.
    old = tmp_path / "old_best.toml"
    old.write_text("\n".join(line for line in (folder / "best.toml").read_text().splitlines()
                             if not line.startswith("#")))
    assert load_scenario(old, area="north_norfolk").params == best
    assert f"Made by {provenance.describe()} on {made['created']}" in \
        (folder / "fit.html").read_text()
    # The CSV stays a plain table: its record is calibration.json's.
    assert pd.read_csv(folder / "evaluations.csv").columns[0] == "evaluation"


def test_the_command_records_itself_in_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["calibrate", str(_file(tmp_path)), "--waves", "1", "--points", "2", "--residents",
          "200", "--days", "5", "--workers", "1", "--out", str(out)])
    command = json.loads((out / "calibration.json").read_text())["provenance"]["command"]
    assert command == (f"carecap calibrate {tmp_path / 'tiny_calibration.toml'} --residents "
                       f"200 --days 5 --waves 1 --points 2 --out {out}")


def test_the_same_calibration_gives_the_same_settings_whatever_the_workers(
        tmp_path: Path) -> None:
    c = replace(load_calibration(_file(tmp_path)), waves=2, points=3, residents=300, days=20)
    one, two = calibrate(c, workers=1), calibrate(c, workers=2)
    assert [e.values for e in one.evaluations] == [e.values for e in two.evaluations]
    assert [e.means for e in one.evaluations] == [e.means for e in two.evaluations]


@pytest.mark.parametrize(("extra", "targets", "expected"), [
    ("colour = 1", None, "unknown field 'colour'"),
    ("", '["older_unmet_share"]', "held out, never fitted"),
    ("", '["happiness"]', "'happiness' is not a target of simulation/targets.py"),
    ("", '["follow_up_risk_ratio"]', "compares two runs"),
    ('area = "tower_hamlets"', '["readmission_rate_30d"]', "it is blank: not found"),
    ('area = "atlantis"', None, "area: area 'atlantis': unknown"),
    ("", "[]", "field 'targets' must list"),
    ("scenario = \"nowhere\"", None, "scenario: scenario 'nowhere': unknown"),
])
def test_bad_calibration_files_name_the_field(tmp_path: Path, extra: str, targets: str | None,
                                              expected: str) -> None:
    path = _file(tmp_path, extra, **({"targets": targets} if targets else {}))
    with pytest.raises(CalibrationError, match=expected.replace("(", r"\(")):
        load_calibration(path)


def test_bad_input_is_a_one_line_error_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(_file(tmp_path).read_text().replace("[0.40, 0.60]", "[0.40, 9.0]"))
    out = tmp_path / "out"
    assert main(["calibrate", str(bad), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "parameters.need_threshold" in error
    assert not out.exists()
    assert main(["calibrate", str(_file(tmp_path)), "--area", "north_norfolk",
                 "--replicates", "1", "--out", str(out)]) == 2
    assert "--replicates" in capsys.readouterr().err and not out.exists()


def test_calibration_is_typed_so_tools_can_build_one() -> None:
    c = Calibration("x", "x", "baseline", None, {"need_threshold": (0.4, 0.6)},
                    (BY_KEY["carer_prevalence_5plus"],))
    assert c.runs == c.waves * c.points * c.replicates
    assert c.params({"need_threshold": 0.45}).need_threshold == 0.45
