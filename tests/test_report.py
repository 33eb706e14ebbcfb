"""The sweep report, its DuckDB summaries and CSV export, and target precision."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.runner import run
from simulation.sweep.analysis import Sweep, SweepFolderError
from simulation.sweep.executor import run_one
from simulation.sweep.experiment import Experiment, Precision, load_experiment
from simulation.sweep.precision import sweep_to_precision
from simulation.sweep.report import build_report, interaction_sentence
from simulation.sweep.store import SweepStore, run_record

FACTORIAL = """title = "Tiny factorial"
scenarios = ["baseline", "peer_visits", "devolved_decisions", "co_production_and_subsidiarity"]
scenario_factorial = ["peer visits", "devolved decisions"]
replicates = 3
residents = 300
days = 8
outcomes = ["unpaid_hours", "unmet_hours", "unpaid_share_women"]
"""


def _run_here(experiment: Experiment, store: SweepStore) -> int:
    """Run an experiment's missing runs in this process (the pool is tested in
    test_sweep.py; here what matters is what is done with the results)."""
    pending = [r for r in experiment.runs() if r.run_id not in store.finished()]
    for r in pending:
        params = experiment.params(r.arm)
        store.save(r, run_one(params, r.seed, experiment.days),
                   run_record(experiment.name, r, experiment.arms[r.arm], params,
                              experiment.days))
    return len(pending)


def _sweep(folder: Path, text: str) -> Path:
    path = folder / "experiment.toml"
    path.write_text(text)
    experiment = load_experiment(path)
    store = SweepStore(folder / "sweep")
    store.prepare(experiment)
    _run_here(experiment, store)
    return store.folder


@pytest.fixture(scope="module")
def factorial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _sweep(tmp_path_factory.mktemp("factorial"), FACTORIAL)


def test_duckdb_summaries_match_the_runs_own(factorial: Path) -> None:
    summaries = Sweep(factorial).run_summaries()
    assert len(summaries) == 4 * 3
    row = summaries[summaries["run_id"] == "a001-r0002"].iloc[0]
    assert row["label"] == "peer_visits" and row["seed"] == 2
    expected = run("peer_visits", seed=2, days=8, residents=300).summary
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


def test_paired_differences_and_interaction_are_per_replicate(factorial: Path) -> None:
    sweep = Sweep(factorial)
    table = sweep.run_summaries().pivot(index="replicate", columns="arm",
                                        values="unmet_hours")
    diffs = sweep.paired_differences(["unmet_hours"])
    peer = diffs[diffs["arm"] == 1].iloc[0]
    assert peer["difference"] == pytest.approx((table[1] - table[0]).mean())
    assert peer["n"] == 3
    square = sweep.manifest["squares"][0]
    interaction = sweep.interaction(square, ["unmet_hours"]).iloc[0]
    assert interaction["interaction"] == pytest.approx(
        (table[3] - table[1] - table[2] + table[0]).mean())
    assert interaction["low"] <= interaction["interaction"] <= interaction["high"]


def test_report_has_every_section_and_runs_offline(factorial: Path, tmp_path: Path) -> None:
    out, csv = tmp_path / "report.html", tmp_path / "runs.csv"
    assert main(["report", str(factorial), "--out", str(out), "--csv", str(csv)]) == 0
    page = out.read_text()
    for arm in ("baseline", "peer_visits", "devolved_decisions",
                "co_production_and_subsidiarity"):
        assert arm in page
    for heading in ("Findings in brief", "Methods", "What each arm changes",
                    "Validation and caveats", "How sure are we", "Daily metrics",
                    "Paired differences", "sum of its parts?", "equity by arm"):
        assert heading in page
    assert re.search(r"(no evidence that the whole differs from the sum of its parts \(each "
                     r"interaction&#x27;s 95% CI includes zero\): [^<]*unmet care"
                     r"|Unmet care: the whole (beats|falls short of) the sum of its parts)", page)
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page)  # no CDN: works offline
    assert page.count("plotly.js v") == 1  # the library embedded once
    table = pd.read_csv(csv)
    assert len(table) == 12 and {"run_id", "label", "scenario", "readmission_rate_30d",
                                 "params.peer_scheme"} <= set(table)


def test_interaction_sentence_gives_a_verdict_only_when_the_ci_excludes_zero() -> None:
    row = {"first_effect": -0.01, "second_effect": -0.01, "both_effect": -0.03,
           "interaction": -0.01, "half_width": 0.005, "low": -0.015, "high": -0.005}
    assert "beats the sum of its parts" in interaction_sentence(
        "readmission_rate_30d", pd.Series(row))
    assert "falls short" in interaction_sentence("staff_morale", pd.Series(row))
    row.update(low=-0.02, high=0.001)
    assert "no evidence" in interaction_sentence("readmission_rate_30d", pd.Series(row))


@pytest.mark.parametrize(("design", "indices", "heading"), [
    ('kind = "sobol"\nsamples = 4', {"S1", "ST"}, "Sobol indices"),
    ('kind = "morris"\nsamples = 3', {"mu_star"}, "Morris screening"),
    ('kind = "latin_hypercube"\nsamples = 24', {"S1"}, "RBD-FAST"),
])
def test_sampled_designs_report_indices_with_bounds(tmp_path: Path, design: str,
                                                    indices: set[str], heading: str) -> None:
    folder = _sweep(tmp_path, f"""title = "Tiny sensitivity"
replicates = 1
residents = 300
days = 8
outcomes = ["unpaid_hours"]
[design]
{design}
[design.ranges]
need_max_hours = [60.0, 160.0]
family_hours = [2.0, 24.0]
""")
    sweep = Sweep(folder)
    table, notes = sweep.sensitivity(["unpaid_hours"])
    assert not notes
    assert set(table["parameter"]) == {"need_max_hours", "family_hours"}
    assert set(table["index"]) == indices and table["conf"].notna().all()
    again, _ = sweep.sensitivity(["unpaid_hours"])  # the bootstrap's bounds are seeded
    pd.testing.assert_frame_equal(table, again)
    assert heading in build_report(sweep)


def test_bad_folders_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    (tmp_path / "manifest.json").write_text(
        '{"schema_version": 2, "arms": [], "runs": [], "days": 8, "residents": 300, '
        '"replicates": 1, "root_seed": 0}')
    with pytest.raises(SweepFolderError, match="no finished runs"):
        Sweep(tmp_path)
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("carecap: error:") for e in errors)


PRECISE = """title = "Tiny precision"
scenarios = ["baseline", "peer_visits"]
replicates = 2
residents = 300
days = 8
outcomes = ["unpaid_hours"]
"""


def test_precision_adds_replicates_until_reached_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "precise.toml"
    path.write_text(PRECISE)
    experiment = load_experiment(path)
    batches: list[int] = []

    def run_batch(planned: Experiment) -> None:
        batches.append(_run_here(planned, store))

    # An unreachable target: rounds of one replicate up to the maximum.
    store = SweepStore(tmp_path / "to_max")
    rounds = []
    state = sweep_to_precision(experiment, store, Precision({"unpaid_hours": 1e-9}, 5, 1),
                               run_batch, rounds.append)
    assert not state.reached and state.replicates == 5
    assert [r.replicates for r in rounds] == [2, 3, 4, 5] and batches == [4, 2, 2, 2]
    assert len(store.finished()) == 2 * 5
    # Rerun: nothing is redone.
    batches.clear()
    again = sweep_to_precision(experiment, store, Precision({"unpaid_hours": 1e-9}, 5, 1),
                               run_batch)
    assert batches == [0] and again.widest == state.widest

    # A target met at some round: it stops at the first round that meets it.
    target = rounds[2].widest["unpaid_hours"]
    first = next(r.replicates for r in rounds if r.widest["unpaid_hours"] <= target)
    store = SweepStore(tmp_path / "reached")
    state = sweep_to_precision(experiment, store, Precision({"unpaid_hours": target}, 5, 1),
                               run_batch)
    assert state.reached and state.replicates == first <= 4
    assert store.manifest()["replicates"] == first


def test_precision_on_the_command_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "precise.toml"
    path.write_text(PRECISE)
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1",
                 "--precision", "unpaid_hours=1e12"]) == 0
    assert "target precision reached" in capsys.readouterr().out
    assert SweepStore(out).manifest()["replicates"] == 2
    assert main(["sweep", str(path), "--precision", "happiness=1"]) == 2
    assert main(["sweep", str(path), "--precision", "unpaid_hours=-1"]) == 2
    assert main(["sweep", str(path), "--max-replicates", "9"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("carecap: error: --") for e in errors)


def _sections(page: str) -> dict[str, str]:
    """Each <h2> heading of a report and what follows it up to the next."""
    parts = re.split(r"<h2>(.*?)</h2>", page)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _assert_no_empty_section(page: str) -> None:
    for heading, body in _sections(page).items():
        assert re.search(r"<(table|ul|div|pre)[ >]", body), heading  # more than a sentence


def test_report_is_board_ready(factorial: Path) -> None:
    page = build_report(Sweep(factorial))
    sections = _sections(page)
    assert list(sections)[:4] == ["Findings in brief", "Methods", "What each arm changes",
                                  "Validation and caveats"]
    _assert_no_empty_section(page)
    findings = sections["Findings in brief"]
    assert "against the reference arm, baseline" in findings and "95% CI" in findings
    assert "Unmet care (hours)" in findings and " to " in findings  # labels, units, CIs
    assert "Is the whole more than the sum of its parts?" in findings
    methods = sections["Methods"]
    for fact in ("3 per arm, seeds 0 to 2", "300 residents, 8 days", "carecap 0.2.0",
                 "12 finished of 12 planned"):
        assert fact in methods, fact
    arms = sections["What each arm changes"]
    # a scenario arm's own levers, though its design point (overrides) is empty
    assert "peer_scheme = true" in arms and "devolved_authority = 0.8" in arms
    assert "carecap run peer_visits --seed 0 --days 8 --residents 300" in arms
    validation = sections["Validation and caveats"]
    from simulation.validate import recorded

    missed = recorded().of_role("held-out", "miss")
    assert missed and all(target.name in validation for target, _ in missed)
    assert "Towns of 300 residents" in validation
    equity = sections["Who carries the unpaid load: equity by arm"]
    assert "co_production_and_subsidiarity" in equity and "share of unpaid care (%)" in equity
    # shares as percentages, no long raw decimals anywhere in the text or tables
    text = re.sub(r"<script.*?</script>|<div id=\"figure-.*?</div>", "", page, flags=re.S)
    assert not re.search(r"[−-]?\d\.\d{5,}", text)


SOBOL = """title = "Tiny Sobol"
replicates = 1
residents = 300
days = 8
outcomes = ["unpaid_hours", "unmet_hours"]
[design]
kind = "sobol"
samples = 4
[design.ranges]
need_max_hours = [60.0, 160.0]
family_hours = [2.0, 24.0]
"""


def test_a_sobol_report_has_no_empty_sections_and_warns_of_unreliable_indices(
        tmp_path: Path) -> None:
    page = build_report(Sweep(_sweep(tmp_path, SOBOL)))
    sections = _sections(page)
    _assert_no_empty_section(page)
    # one replicate per point: no table of dashes, no paired differences of 16 points
    assert "How sure are we: 95% CI half-widths" not in sections
    assert not any(h.startswith("Paired differences") for h in sections)
    assert "one per arm" in sections["Methods"]
    assert "varies most with" in sections["Findings in brief"]
    drivers = sections["What drives the outcomes: sensitivity indices"]
    assert "Unreliable indices" in drivers and "4 base samples" in drivers
    assert "need_max_hours" in sections["What each arm changes"]  # the ranges sampled


def test_index_warnings_name_impossible_and_wide_indices() -> None:
    from simulation.sweep.report import index_warnings

    rows = [("S1", 0.5, 0.02), ("ST", 0.3, 0.02), ("S1", -0.1, 0.3), ("ST", 0.2, 0.02)]
    indices = pd.DataFrame([{"scenario": "s", "outcome": "unmet_hours", "parameter": p,
                             "index": i, "value": v, "conf": c}
                            for p, (i, v, c) in zip("aabb", rows, strict=True)])
    warnings = index_warnings(indices, {"kind": "sobol", "samples": 8})
    assert any("above its total index (ST)" in w and w.startswith("1 of 4") for w in warnings)
    assert any("negative first-order index" in w for w in warnings)
    assert any("wider than ±0.1" in w for w in warnings)
    assert "8 base samples" in warnings[-1]
    steady = indices.assign(value=[0.2, 0.3, 0.1, 0.2], conf=0.01)
    assert index_warnings(steady, {"kind": "sobol", "samples": 512}) == []


def test_summaries_table_is_written_and_easy_to_query(factorial: Path) -> None:
    import duckdb

    path = Sweep(factorial).write_summaries()
    assert path == factorial / "summaries.parquet"
    table = duckdb.sql(f"SELECT label, scenario, seed, params.peer_scheme AS peer, "
                       f"readmission_rate_30d FROM '{path}' ORDER BY arm, replicate").df()
    assert len(table) == 12 and table["peer"].tolist() == [False] * 3 + [True] * 3 \
        + [False] * 3 + [True] * 3
    expected = run("peer_visits", seed=2, days=8, residents=300).summary
    row = table[(table["label"] == "peer_visits") & (table["seed"] == 2)].iloc[0]
    assert row["readmission_rate_30d"] == pytest.approx(expected["readmission_rate_30d"])
    from simulation.results import read_parquet_record

    assert read_parquet_record(path)["runs"] == 12
