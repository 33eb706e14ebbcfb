"""Your own area, as commands: the companion of ``docs/your-area.md``.

A notebook-style script: each ``# %%`` cell runs on its own in Jupyter, VS Code or
Spyder, or run the whole file from the project's folder::

    uv run python docs/your_area.py

It runs every ``carecap`` command of the guide, in order, printing each one first. The
sizes are the guide's; set ``YOUR_AREA_RESIDENTS``, ``YOUR_AREA_REPLICATES``,
``YOUR_AREA_POINTS``, ``YOUR_AREA_WAVES``, ``YOUR_AREA_SEEDS``, ``YOUR_AREA_DAYS`` and
``YOUR_AREA_OUT`` for a quicker look (the tests run it at a few hundred residents).
"""

# %% Sizes, and running a command as the guide writes it
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

RESIDENTS = os.environ.get("YOUR_AREA_RESIDENTS", "5000")
REPLICATES = os.environ.get("YOUR_AREA_REPLICATES", "4")
POINTS = os.environ.get("YOUR_AREA_POINTS", "80")
WAVES = os.environ.get("YOUR_AREA_WAVES", "3")
SEEDS = os.environ.get("YOUR_AREA_SEEDS", "8")
DAYS = os.environ.get("YOUR_AREA_DAYS", "365")
OUT = Path(os.environ.get("YOUR_AREA_OUT", "out"))
OUT.mkdir(parents=True, exist_ok=True)
# The guide's sizes are its commands' defaults; smaller ones are added only when asked.
QUICK = [] if DAYS == "365" else ["--days", DAYS]


def carecap(*args: str, allowed: tuple[int, ...] = (0,)) -> None:
    """Run ``carecap ARGS`` (as ``uv run carecap`` would), printing the command first."""
    print("$ carecap " + shlex.join(args), flush=True)
    done = subprocess.run([sys.executable, "-m", "simulation.cli", *args])
    if done.returncode not in allowed:
        raise SystemExit(f"carecap {args[0]} exited {done.returncode}")


# %% 1. An area profile: what is given, what is blank, what the town looks like
carecap("area", "check", "areas/north_norfolk.toml")
carecap("area", "show", "north_norfolk")

# %% 2. Runs in the area, and a policy that starts on day 90
carecap("run", "peer_visits", "--area", "north_norfolk", "--residents", RESIDENTS,
        "--seed", "1", "--summary", str(OUT / "north_norfolk_peer.json"), *QUICK)
carecap("run", "docs/examples/north_norfolk_peer_from_day_90.toml", "--residents",
        RESIDENTS, "--seed", "1", "--out", str(OUT / "north_norfolk_day90.csv"), *QUICK)

# %% 3. Calibrating what was not observed, to the area's own targets
calibration = OUT / "calibration" / "north_norfolk"
carecap("calibrate", "experiments/calibrate_north_norfolk.toml", "--workers", "2",
        "--out", str(calibration), "--residents", RESIDENTS, "--replicates", REPLICATES,
        "--points", POINTS, "--waves", WAVES, *QUICK,
        allowed=(0, 1) if POINTS != "80" else (0,))  # a tiny search may find nothing
if not (calibration / "ensemble.toml").read_text().count("[[members]]") >= 2:
    raise SystemExit("the quick calibration kept fewer than 2 members: raise its sizes")

# %% 4. A policy comparison over the ensemble: seeds, and calibration too
carecap("compare-ensemble", str(calibration / "ensemble.toml"), "baseline", "peer_visits",
        "--seeds", SEEDS, "--residents", RESIDENTS, "--workers", "2",
        "--out", str(OUT / "compare" / "north_norfolk"), *QUICK)

# %% 5. A paired sweep in the area, and its report
carecap("sweep", "experiments/peer_x_devolved.toml", "--area", "north_norfolk",
        "--replicates", SEEDS, "--residents", RESIDENTS, "--workers", "2",
        "--out", str(OUT / "north_norfolk_factorial"), *QUICK)
carecap("report", str(OUT / "north_norfolk_factorial"))

# %% 6. The dashboard on the area's town (started, seen to serve, and stopped here)
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = str(probe.getsockname()[1])
print(f"$ carecap dashboard --area north_norfolk --port {port}", flush=True)
server = subprocess.Popen([sys.executable, "-m", "simulation.cli", "dashboard", "--area",
                           "north_norfolk", "--port", port], stdout=subprocess.PIPE,
                          text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
try:
    line = ""
    while "open" not in line:
        line = server.stdout.readline()
        if not line:
            raise SystemExit("the dashboard stopped before it served")
    print(line.strip())
finally:
    server.terminate()
    server.wait(timeout=30)
