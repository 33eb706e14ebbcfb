"""Golden daily tables: check that a change to the code leaves every run's output alone.

    uv run python benchmarks/golden.py check      # compare with benchmarks/golden.json
    uv run python benchmarks/golden.py check --area england   # the England profile too
    uv run python benchmarks/golden.py record     # after a change that alters results

Twelve runs cover every process: all shipped scenarios at 3,000 residents for 200 days,
two at 10,000 for 120 days, and three at 20,000 for a full year (staff attrition,
burnout and the peer scheme at scale). Each daily column is kept as a SHA-256 of its
float64 bytes, so a check names the runs and the columns that moved. A change that is
meant to alter results re-records the file and says so in CHANGELOG.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from simulation import run
from simulation.scenarios import shipped

GOLDEN = Path(__file__).with_name("golden.json")

# (scenario, residents, days, seed, overrides)
RUNS: tuple[tuple[str, int, int, int, dict], ...] = (
    *((name, 3_000, 200, 11, {}) for name in sorted(shipped())),
    ("baseline", 10_000, 120, 3, {"attrition_rate": 1.5, "vacancy_days": 30.0}),
    ("peer_visits", 10_000, 120, 5, {"strain_threshold": 3.0, "volunteer_tiring": 4.0}),
    ("baseline", 20_000, 365, 7, {}),
    ("co_production_and_subsidiarity", 20_000, 365, 8, {}),
    ("family_absorbs", 20_000, 365, 9, {"strain_scale": 40.0}),
)


def _key(scenario: str, residents: int, days: int, seed: int, overrides: dict) -> str:
    extra = ",".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return f"{scenario}/{residents}/{days}/seed{seed}" + (f"/{extra}" if extra else "")


def tables(area: str | None = None) -> dict[str, dict[str, str]]:
    """Run every golden run; return, per run, a hash of each daily column.

    Args:
        area: An area profile every run is rooted in (England's must change nothing).
    """
    out = {}
    for scenario, residents, days, seed, overrides in RUNS:
        result = run(scenario, seed=seed, days=days, residents=residents, area=area,
                     **overrides)
        out[_key(scenario, residents, days, seed, overrides)] = {
            column: hashlib.sha256(
                np.ascontiguousarray(result.daily[column].to_numpy(np.float64)).tobytes()
            ).hexdigest()[:16]
            for column in result.daily.columns
        }
    return out


def compare(recorded: dict[str, dict[str, str]],
            now: dict[str, dict[str, str]]) -> list[str]:
    """Lines naming each run and column that differ (columns only in ``now`` are new)."""
    problems = []
    for run_key, columns in recorded.items():
        if run_key not in now:
            problems.append(f"{run_key}: not run")
            continue
        moved = [c for c, digest in columns.items() if now[run_key].get(c) != digest]
        if moved:
            problems.append(f"{run_key}: {len(moved)} column(s) differ: {', '.join(moved)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("check", "record"))
    parser.add_argument("--area", help="root every run in this area profile (check only)")
    args = parser.parse_args()
    if args.action == "record" and args.area:
        parser.error("record the golden tables with no area")
    now = tables(args.area)
    if args.action == "record":
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(now)} runs in {GOLDEN.name}")
        return 0
    problems = compare(json.loads(GOLDEN.read_text()), now)
    for line in problems:
        print(line)
    print(f"{len(now)} runs: " + ("all daily tables unchanged" if not problems
                                  else f"{len(problems)} differ"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
