"""carecap for analysts: from one run to a first sweep and its report.

A notebook-style script: each ``# %%`` cell runs on its own in Jupyter, VS Code or
Spyder, or run the whole file::

    uv run python docs/tutorial.py

``docs/tutorial.md`` explains each step. The sizes below are the model's defaults; set
``TUTORIAL_RESIDENTS``, ``TUTORIAL_DAYS``, ``TUTORIAL_REPLICATES`` and ``TUTORIAL_OUT``
in the environment for a quicker look (the tests run it at a few thousand residents).
"""

# %% Sizes and imports
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from simulation import CareModel, evaluate, run
from simulation.sweep.analysis import Sweep
from simulation.validate import confidence_interval

RESIDENTS = int(os.environ.get("TUTORIAL_RESIDENTS", 10_000))
DAYS = int(os.environ.get("TUTORIAL_DAYS", 365))
REPLICATES = int(os.environ.get("TUTORIAL_REPLICATES", 8))
OUT = Path(os.environ.get("TUTORIAL_OUT", "out/tutorial"))
SIZE = {"residents": RESIDENTS, "days": DAYS}

# %% 1. One run: the Python twin of `carecap run baseline --seed 1`
result = run("baseline", seed=1, **SIZE)
for name in ("readmission_rate_30d", "carer_prevalence", "unpaid_share_women",
             "older_length_of_stay", "lonely_share", "staff_morale"):
    print(f"{name:24s} {result.summary[name]:.3f}")
daily = result.daily  # one row per day, one column per metric
print(daily[["day", "admissions", "discharges", "unpaid_hours", "unmet_hours"]].tail())

# %% 2. Same seed, same town: a paired comparison over replicates
# Two scenarios run with the same seed share the town and its ties, so the difference
# seed by seed is the policy's effect plus far less noise than two unpaired runs.
seeds = range(REPLICATES)
baseline = np.array([run("baseline", seed=s, **SIZE).summary["readmission_rate_30d"]
                     for s in seeds])
peer = np.array([run("peer_visits", seed=s, **SIZE).summary["readmission_rate_30d"]
                 for s in seeds])
difference = peer - baseline
low, high = confidence_interval(difference)
print(f"peer visits minus baseline, readmission: {difference.mean():+.4f} "
      f"(95% CI {low:+.4f} to {high:+.4f}) over {len(difference)} seeds")
print("seed by seed:", np.round(difference, 4))

# %% 3. The model as a plain function, for any sweep or optimisation tool
outcomes = evaluate(seed=1, peer_scheme=True, risk_aversion=0.2, **SIZE)
print(f"peer scheme with positive risk management: readmission "
      f"{outcomes['readmission_rate_30d']:.3f}, volunteers {outcomes['volunteers']:.1f}")

# %% 4. The Mesa model: agents, roles and the network
model = CareModel(scenario="peer_visits", seed=1, residents=min(RESIDENTS, 2_000))
for _ in range(30):
    model.step()
print(f"after 30 days: {len(model.patients)} patients, {len(model.family_carers)} family "
      f"carers, {len(model.peer_volunteers)} peer volunteers, "
      f"{len(model.professionals)} professionals")
kinds: dict[str, int] = {}
for _, _, kind in model.graph.edges(data="kind"):
    kinds[kind] = kinds.get(kind, 0) + 1
print("edges by kind:", kinds)

# %% 5. A first sweep: the 2x2 factorial of peer visits and devolved decisions
# The shell command itself, run from here. (Its worker processes start afresh, so a
# sweep is run as a command rather than from inside a script's own process.)
size_flags = ["--replicates", str(REPLICATES), "--residents", str(RESIDENTS),
              "--days", str(DAYS)]
subprocess.run([sys.executable, "-m", "simulation.cli", "sweep",
                "experiments/peer_x_devolved.toml", "--out", str(OUT), "--workers", "2",
                *size_flags], check=True)

# %% 6. Its report (an HTML page with figures), and the same figures in Python
subprocess.run([sys.executable, "-m", "simulation.cli", "report", str(OUT),
                "--csv", str(OUT / "summaries.csv")], check=True)
sweep = Sweep(OUT)
differences = sweep.paired_differences(["readmission_rate_30d", "decision_delay_days"])
differences.insert(1, "arm label", [sweep.label(arm) for arm in differences["arm"]])
print(differences.to_string(index=False))
