"""The measured figures of docs/ODD.md: effects, capacity, the factorial, risk, equity.

    uv run python benchmarks/figures.py                      # 16 seeds, 10,000 residents
    uv run python benchmarks/figures.py --seeds 4 --residents 3000 --out quick-ODD.md

Every figure is a paired comparison (arm minus its comparison, same seeds: common random
numbers) with the 95% confidence interval of its mean over seeds (Student's t). The
tables are written into the generated blocks of docs/ODD.md (``--out`` writes another
copy instead), so the document always shows what this script measured, and the command
that measured it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from simulation import run
from simulation.docblocks import write_block
from simulation.metrics import BY_NAME
from simulation.sweep.analysis import t_half_width

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
EQUAL = {"men_care_propensity": 1.0, "minority_family_expectation": 1.0}
LOW_RISK, HIGH_RISK = {"risk_aversion": 0.2}, {"risk_aversion": 0.8}
POSTS = (0.6, 2.4, 9.6)  # professionals per 1000: 0.6 (the default is 1.0), 4 and 16 times it

# Arms: a name, its scenario and overrides.
ARMS: dict[str, tuple[str, dict]] = {
    "baseline": ("baseline", {}),
    "peer_visits": ("peer_visits", {}),
    "devolved_decisions": ("devolved_decisions", {}),
    "co_production_and_subsidiarity": ("co_production_and_subsidiarity", {}),
    "family_absorbs": ("family_absorbs", {}),
    "mutual_aid": ("mutual_aid", {}),
    "defensive_risk": ("defensive_risk", {}),
    "peer_visits, risk 0.2": ("peer_visits", LOW_RISK),
    "peer_visits, risk 0.8": ("peer_visits", HIGH_RISK),
    "both, risk 0.2": ("co_production_and_subsidiarity", LOW_RISK),
    "both, risk 0.8": ("co_production_and_subsidiarity", HIGH_RISK),
    **{f"{name}, equal propensities": (name, EQUAL)
       for name in ("baseline", "peer_visits", "co_production_and_subsidiarity",
                    "family_absorbs", "mutual_aid")},
    **{f"baseline, {posts} posts": ("baseline", {"professionals_per_1000": posts})
       for posts in POSTS},
}

# (arm, comparison, outcomes) of the scenario-effects table.
EFFECTS = (
    ("peer_visits", "baseline", ("readmission_rate_30d", "basics_missing",
                                 "peer_first_visits", "decision_delay_days")),
    ("devolved_decisions", "baseline", ("readmission_rate_30d", "decision_delay_days",
                                        "delayed_bed_days", "staff_morale")),
    ("co_production_and_subsidiarity", "devolved_decisions",
     ("readmission_rate_30d", "basics_missing")),
    ("family_absorbs", "baseline", ("family_hours", "unmet_hours", "readmission_rate_30d",
                                    "carers_strained")),
    ("mutual_aid", "baseline", ("neighbour_hours", "lonely_share", "unmet_hours")),
    ("defensive_risk", "peer_visits", ("peer_first_visits", "peer_vetoes",
                                       "readmission_rate_30d")),
)
FACTORIAL_OUTCOMES = ("readmission_rate_30d", "basics_missing", "unmet_hours",
                      "delayed_bed_days", "unpaid_share_women", "unpaid_share_minority",
                      "staff_morale", "cost_total")
RISK_OUTCOMES = ("readmission_rate_30d", "basics_missing", "peer_first_visits",
                 "peer_unmatched", "volunteers")
# (fewer posts, more posts, outcomes) of the capacity table
CAPACITY = (
    (0.6, 2.4, ("follow_ups_missed", "delayed_bed_days", "unmet_hours",
                "readmission_rate_30d")),
    (2.4, 9.6, ("unmet_hours", "professional_hours", "follow_ups_missed")),
)
EQUITY_POLICIES = ("peer_visits", "co_production_and_subsidiarity", "family_absorbs",
                   "mutual_aid")
EQUITY_OUTCOMES = ("unpaid_share_women", "unpaid_share_minority", "family_hours")


def _summary(job: tuple[str, dict, int, int, int]) -> dict[str, float]:
    scenario, overrides, seed, residents, days = job
    return run(scenario, seed=seed, days=days, residents=residents, **overrides).summary


def measure(seeds: int, residents: int, days: int) -> dict[str, list[dict[str, float]]]:
    """Every arm's summaries, seed by seed, run on the machine's cores."""
    jobs = [(name, (*ARMS[name], seed, residents, days)) for name in ARMS
            for seed in range(seeds)]
    with ProcessPoolExecutor() as pool:
        results = list(pool.map(_summary, [job for _, job in jobs]))
    out: dict[str, list[dict[str, float]]] = {name: [] for name in ARMS}
    for (name, _), summary in zip(jobs, results, strict=True):
        out[name].append(summary)
    return out


def _values(runs: dict, arm: str, outcome: str) -> np.ndarray:
    return np.array([r[outcome] for r in runs[arm]])


def _number(value: float, outcome: str) -> str:
    """A difference as a signed number: shares in percentage points, money in pounds."""
    unit = BY_NAME[outcome].unit
    if unit == "share":
        return f"{100 * value:+.2f}"
    sign = "+" if value >= 0 else "-"
    digits = f"{abs(value):,.3g}" if abs(value) < 100 else f"{abs(value):,.0f}"
    return f"{sign}£{digits}" if unit == "GBP" else f"{sign}{digits}"


def _unit(outcome: str) -> str:
    """The unit a difference is written in, after its interval ('' for money)."""
    unit = BY_NAME[outcome].unit
    return {"share": " points", "GBP": ""}.get(unit, f" {unit}")


def interval(diff: np.ndarray, outcome: str) -> str:
    half = t_half_width(float(diff.std(ddof=1)), len(diff))
    mean = diff.mean()
    return (f"{_number(mean, outcome)} ({_number(mean - half, outcome)} to "
            f"{_number(mean + half, outcome)}){_unit(outcome)}")


def markdown_table(header: Sequence[str], rows: list[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def effects_block(runs: dict) -> str:
    rows = []
    for arm, other, outcomes in EFFECTS:
        for outcome in outcomes:
            diff = _values(runs, arm, outcome) - _values(runs, other, outcome)
            rows.append((f"`{arm}` − `{other}`", BY_NAME[outcome].label,
                         interval(diff, outcome)))
    return markdown_table(("Arm − comparison", "Outcome", "Mean difference (95% CI)"), rows)


def factorial_block(runs: dict) -> str:
    rows = []
    for outcome in FACTORIAL_OUTCOMES:
        base, peer, dev, both = (_values(runs, a, outcome) for a in (
            "baseline", "peer_visits", "devolved_decisions", "co_production_and_subsidiarity"))
        rows.append((BY_NAME[outcome].label, interval(peer - base, outcome),
                     interval(dev - base, outcome), interval(both - base, outcome),
                     interval(both - peer - dev + base, outcome)))
    return markdown_table(("Outcome", "Peer support alone", "Devolved decisions alone", "Both",
                   "Interaction: both − peer − devolved + baseline"), rows)


def risk_block(runs: dict) -> str:
    rows = []
    for outcome in RISK_OUTCOMES:
        managers = (_values(runs, "peer_visits, risk 0.8", outcome)
                    - _values(runs, "peer_visits, risk 0.2", outcome))
        devolved = (_values(runs, "both, risk 0.8", outcome)
                    - _values(runs, "both, risk 0.2", outcome))
        rows.append((BY_NAME[outcome].label, interval(managers, outcome),
                     interval(devolved, outcome), interval(devolved - managers, outcome)))
    return markdown_table(("Outcome (risk aversion 0.8 − 0.2, scheme on)", "Managers decide",
                   "Devolved decisions", "Difference (devolved − managers)"), rows)


def capacity_block(runs: dict) -> str:
    rows = []
    for fewer, more, outcomes in CAPACITY:
        for outcome in outcomes:
            diff = (_values(runs, f"baseline, {more} posts", outcome)
                    - _values(runs, f"baseline, {fewer} posts", outcome))
            rows.append((f"{more} − {fewer}", BY_NAME[outcome].label,
                         interval(diff, outcome)))
    return markdown_table(("Posts per 1000 (more − fewer)", "Outcome", "Mean difference (95% CI)"),
                  rows)


def equity_block(runs: dict) -> str:
    rows = []
    for policy in EQUITY_POLICIES:
        for outcome in EQUITY_OUTCOMES:
            default = _values(runs, policy, outcome) - _values(runs, "baseline", outcome)
            equal = (_values(runs, f"{policy}, equal propensities", outcome)
                     - _values(runs, "baseline, equal propensities", outcome))
            rows.append((f"`{policy}` − `baseline`", BY_NAME[outcome].label,
                         interval(default, outcome), interval(equal, outcome)))
    return markdown_table(("Policy", "Outcome", "With the population's propensities",
                   "With propensities made equal"), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--out", type=Path, default=ODD, help="the file whose blocks to fill")
    args = parser.parse_args()
    runs = measure(args.seeds, args.residents, args.days)
    size = (f"{args.seeds} seeds (0 to {args.seeds - 1}), {args.residents:,} residents, "
            f"{args.days} days; 95% confidence intervals of the mean paired difference")
    command = "uv run python benchmarks/figures.py" + (
        "" if (args.seeds, args.residents, args.days) == (16, 10_000, 365)
        else f" --seeds {args.seeds} --residents {args.residents} --days {args.days}")
    for name, block in (("scenario effects", effects_block), ("capacity", capacity_block),
                        ("factorial", factorial_block),
                        ("risk x devolved", risk_block), ("equity", equity_block)):
        write_block(args.out, name, command, f"{size}.\n\n{block(runs)}")
        print(f"{name}: written to {args.out}")


if __name__ == "__main__":
    main()
