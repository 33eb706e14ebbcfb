"""Policy comparisons over a calibrated ensemble: intervals that carry calibration
uncertainty as well as seed noise, paired by seed, and one-line errors."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import provenance
from simulation.cli import main
from simulation.ensemble import (
    Comparison,
    EnsembleError,
    EnsembleFile,
    compare_ensemble,
    load_ensemble,
)

ENSEMBLE = EnsembleFile("Two settings", "north_norfolk", "baseline", ("carers_50h_share",),
                        ("need_threshold",), ({"need_threshold": 0.50},
                                              {"need_threshold": 0.46}))


def _comparison(differences: dict[int, list[float]]) -> Comparison:
    """A comparison whose policy - base differences are given by member (base is 0)."""
    rows = []
    for member, values in differences.items():
        for seed, value in enumerate(values):
            rows += [{"member": member, "arm": "base", "seed": seed, "unmet_hours": 0.0},
                     {"member": member, "arm": "policy", "seed": seed, "unmet_hours": value}]
    return Comparison(ENSEMBLE, ("base", "policy"), pd.DataFrame(rows), ("unmet_hours",), 0.0)


def test_the_intervals_are_the_documented_formulas() -> None:
    # Three members by five seeds: unequal, so each interval's degrees of freedom (seeds
    # - 1 at the best member and for seed noise, the fewer of the two - 1 for both) show.
    diffs = {0: [1.0, 2.0, 3.0, 2.5, 4.0], 1: [5.0, 6.5, 7.0, 6.0, 8.5],
             2: [2.0, 3.0, 4.5, 3.5, 3.0]}
    row = _comparison(diffs).intervals().iloc[0]
    best = np.array(diffs[0])
    half = stats.t.ppf(0.975, 4) * best.std(ddof=1) / math.sqrt(5)
    assert (row.best_mean, row.best_low, row.best_high) == pytest.approx(
        (best.mean(), best.mean() - half, best.mean() + half))
    table = np.array([diffs[k] for k in range(3)])
    m, r = table.shape
    rows, cols, grand = table.mean(axis=1), table.mean(axis=0), table.mean()
    ms_rows = r * ((rows - grand) ** 2).sum() / (m - 1)
    ms_cols = m * ((cols - grand) ** 2).sum() / (r - 1)
    ms_rest = ((table - rows[:, None] - cols[None, :] + grand) ** 2).sum() / ((m - 1) * (r - 1))
    variance = ((ms_rows - ms_rest) / r * (1 + 1 / m) + (ms_cols - ms_rest) / m / r
                + ms_rest / (m * r))
    half = stats.t.ppf(0.975, 2) * math.sqrt(variance)
    assert (row.ensemble_mean, row.ensemble_low, row.ensemble_high) == pytest.approx(
        (grand, grand - half, grand + half))
    seeds = (ms_cols - ms_rest) / m / r + ms_rest / (m * r)
    half = stats.t.ppf(0.975, 4) * math.sqrt(seeds)
    assert (row.seeds_low, row.seeds_high) == pytest.approx((grand - half, grand + half))
    assert (row.members, row.seeds) == (3, 5)


def test_members_that_agree_leave_seed_noise_and_those_that_differ_add_to_it() -> None:
    # Every member runs the same seeds, so the seeds' towns move every member alike.
    agree = _comparison({k: [1.0, 2.0, 3.0] for k in range(3)}).intervals().iloc[0]
    assert agree.between_members_sd == 0.0
    assert agree.ensemble_high - agree.ensemble_low == pytest.approx(
        agree.best_high - agree.best_low)
    assert (agree.seeds_low, agree.seeds_high) == pytest.approx(
        (agree.ensemble_low, agree.ensemble_high))
    disagree = _comparison({k: [1.0 + 3 * k, 2.0 + 3 * k, 3.0 + 3 * k]
                            for k in range(3)}).intervals().iloc[0]
    assert disagree.best_low == agree.best_low  # the best member is the same
    assert disagree.seeds_high - disagree.seeds_low == pytest.approx(
        agree.seeds_high - agree.seeds_low)  # the same seed noise
    assert disagree.ensemble_high - disagree.ensemble_low > \
        2 * (agree.ensemble_high - agree.ensemble_low)
    assert disagree.between_members_sd == pytest.approx(3.0)


def test_a_comparison_runs_every_member_and_seed_in_both_arms_paired(tmp_path: Path) -> None:
    comparison = compare_ensemble(ENSEMBLE, "baseline", "peer_visits", seeds=2, root_seed=3,
                                  residents=500, days=30, outcomes=("peer_visits",
                                                                    "readmission_rate_30d"))
    runs = comparison.runs
    assert len(runs) == 2 * 2 * 2 and set(runs["seed"]) == {3, 4}
    differences = comparison.differences()
    assert (differences["peer_visits"] >= 0).all()  # only the policy arm visits
    assert differences["peer_visits"].sum() > 0
    comparison.write(tmp_path)
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(table["outcome"]) == ["peer_visits", "readmission_rate_30d"]
    assert len(pd.read_csv(tmp_path / "runs.csv")) == 8


def test_an_arm_that_sets_a_fitted_parameter_is_refused(tmp_path: Path) -> None:
    arm = tmp_path / "needs.toml"
    arm.write_text("[overrides]\nneed_threshold = 0.6\n")
    with pytest.raises(EnsembleError, match="sets need_threshold, which the ensemble fitted"):
        compare_ensemble(ENSEMBLE, "baseline", str(arm), seeds=2, residents=300, days=5)


def test_the_ensemble_file_reads_back_as_written(tmp_path: Path) -> None:
    ENSEMBLE.write(tmp_path / "ensemble.toml")
    assert load_ensemble(tmp_path / "ensemble.toml") == ENSEMBLE
    header = provenance.comment_lines({**provenance.stamp(), "command": None}, area="x")
    ENSEMBLE.write(tmp_path / "headed.toml", header)
    assert load_ensemble(tmp_path / "headed.toml") == ENSEMBLE
    text = (tmp_path / "headed.toml").read_text()
    assert text.startswith("# Made by carecap") and tomllib.loads(text)["title"] == ENSEMBLE.title


@pytest.mark.parametrize(("text", "expected"), [
    ('parameters = ["need_threshold"]\n', ["members"]),
    ('parameters = ["need_threshold"]\n[[members]]\nneed_max_hours = 3.0\n',
     ["members[0]", "need_threshold"]),
    ('parameters = ["need_threshold"]\n[[members]]\nneed_threshold = 7.0\n',
     ["members[0].need_threshold", "out of range"]),
    ('parameters = ["happiness"]\n', ["'parameters'"]),
])
def test_bad_ensembles_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           text: str, expected: list[str]) -> None:
    path = tmp_path / "ensemble.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["compare-ensemble", str(path), "baseline", "peer_visits", "--out",
                 str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "ensemble.toml" in lines[0], lines
    for part in expected:
        assert part in lines[0], lines[0]
    assert not (out / "comparison.csv").exists()


def test_the_command_prints_both_intervals(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    ENSEMBLE.write(tmp_path / "ensemble.toml")
    assert main(["compare-ensemble", str(tmp_path / "ensemble.toml"), "baseline",
                 "peer_visits", "--seeds", "2", "--residents", "400", "--days", "20",
                 "--workers", "1", "--outcome", "peer_visits", "--out",
                 str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "seeds only" in printed and "seeds and calibration" in printed
    assert (tmp_path / "out" / "comparison.csv").is_file()
    # The CSVs stay plain tables; provenance.json beside them says what made them.
    assert pd.read_csv(tmp_path / "out" / "comparison.csv").columns[0] == "outcome"
    made = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert made["carecap"] == provenance.VERSION and made["commit"] == provenance.commit()
    assert made["command"] == (f"carecap compare-ensemble {tmp_path / 'ensemble.toml'} "
                               "baseline peer_visits --seeds 2 --root-seed 0 --residents 400 "
                               f"--days 20 --outcome peer_visits --out {tmp_path / 'out'}")
    assert made["ensemble"]["area"] == "north_norfolk" and made["seeds"] == [0, 1]
    assert (made["members"], made["residents"], made["days"]) == (2, 400, 20)
    assert made["files"] == ["runs.csv", "comparison.csv"]
    assert main(["compare-ensemble", str(tmp_path / "ensemble.toml"), "baseline",
                 "nowhere"]) == 2
