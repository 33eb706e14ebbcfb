"""Calibration: files, errors, and a fit that recovers a value the model itself produced."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from simulation.calibrate import CalibrationError, calibrate, load_calibration
from simulation.cli import main
from simulation.runner import run
from simulation.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SIZE = {"residents": 300, "days": 20}
TRUE_PROPENSITY = 0.3


def _file(tmp_path: Path, target: float, extra: str = "") -> Path:
    """A one-parameter calibration file; ``extra`` goes first (top level) if it is a
    plain key, last if it opens a table."""
    path = tmp_path / "tiny_calibration.toml"
    top, extra = ("", extra) if extra.startswith("[") else (extra, "")
    path.write_text(top + f"""title = "Tiny"
scenario = "baseline"
replicates = 1
root_seed = 5
residents = {SIZE["residents"]}
days = {SIZE["days"]}
max_evaluations = 14
screen = 4
[parameters]
men_care_propensity = [0.1, 1.5]
[targets.carer_prevalence_men]
value = {target!r}
source = "the model itself at men_care_propensity = {TRUE_PROPENSITY}"
""" + extra)
    return path


def test_shipped_calibration_loads() -> None:
    calibration = load_calibration(ROOT / "experiments" / "calibration_baseline.toml")
    assert set(calibration.targets) >= {"readmission_rate_30d", "carer_prevalence_women_5plus"}
    assert all(t.source for t in calibration.targets.values())


def test_fit_recovers_a_known_value_and_writes_a_runnable_scenario(tmp_path: Path) -> None:
    # The target is what the model gives at a known value, with the same seed, so a
    # perfect fit exists; the fit starts from the baseline's own value (0.6).
    target = run("baseline", seed=5, men_care_propensity=TRUE_PROPENSITY,
                 **SIZE).summary["carer_prevalence_men"]
    calibration = load_calibration(_file(tmp_path, target))
    fit = calibrate(calibration, workers=1)
    assert fit.evaluations <= 14
    assert fit.loss < fit.start_loss
    assert fit.values["men_care_propensity"] == pytest.approx(TRUE_PROPENSITY, abs=0.15)

    scenario_path, json_path = tmp_path / "fitted.toml", tmp_path / "fit.json"
    fit.write_scenario(scenario_path)
    fit.write_json(json_path)
    fitted = load_scenario(scenario_path)
    assert fitted.params.men_care_propensity == fit.values["men_care_propensity"]
    assert any("the model itself" in s for s in fitted.sources)
    data = json.loads(json_path.read_text())
    assert data["targets"]["carer_prevalence_men"]["error"] == pytest.approx(
        fit.simulated["carer_prevalence_men"] - target)
    assert tomllib.loads(scenario_path.read_text())["overrides"]["men_care_propensity"] \
        == fit.values["men_care_propensity"]


@pytest.mark.parametrize(("extra", "expected"), [
    ("colour = 1\n", "unknown field 'colour'"),
    ("[targets.happiness]\nvalue = 1\nsource = \"x\"\n", "targets.happiness"),
    ("[targets.lonely_share]\nvalue = 0.07\n", "targets.lonely_share.source"),
    ("[targets.lonely_share]\nvalue = 0.07\nsource = \"x\"\nweight = 0\n",
     "targets.lonely_share.weight"),
])
def test_bad_calibration_files_name_the_field(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(CalibrationError, match=expected):
        load_calibration(_file(tmp_path, 0.08, extra))


def test_bad_bounds_are_a_one_line_error(tmp_path: Path, capsys) -> None:
    path = _file(tmp_path, 0.08).read_text().replace("[0.1, 1.5]", "[0.1, 9.0]")
    bad = tmp_path / "bad.toml"
    bad.write_text(path)
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "x.toml")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "parameters.men_care_propensity" in error
    assert not (tmp_path / "x.toml").exists()
