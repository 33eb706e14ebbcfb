"""Malformed input as a new user types it: is each refused cleanly, with nothing written?

    uv run python benchmarks/bad_inputs.py            # every case, two at a time
    uv run python benchmarks/bad_inputs.py --show     # also each case's error line

Each case runs the ``carecap`` command in a fresh process, in a fresh folder holding a
few good files to point at (an experiment, a scenario, a calibration file, a finished
sweep folder) and whatever bad file the case needs. A case is refused cleanly if the
command exits with code 2, its standard error is one line starting ``carecap: error:``,
and the folder is exactly as it was. Otherwise it counts as a traceback (Python's
``Traceback`` on standard error), partial output (anything made, changed or removed),
a hang (no exit within the time limit), or another outcome (exit code, lines).

A few inputs are legitimate though unusual (a damaged run file in a sweep folder, an
address of this machine written as a name): those must do what they say, exit 0 without
a traceback, and are counted apart. Figures are printed, never asserted; the tests check
each kind of refusal one by one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AREAS = ROOT / "areas"
TIME_LIMIT = 120  # seconds: a refusal takes about one; a hang takes forever
BIG = str(2**63)

EXPERIMENT = ('title = "Tiny"\nscenarios = ["baseline", "peer_visits"]\nreplicates = 2\n'
              "residents = 300\ndays = 8\n")
SCENARIO = 'title = "Mine"\n[overrides]\npeer_scheme = true\n'
CALIBRATION = """title = "Tiny"
scenario = "baseline"
targets = ["carer_prevalence_men_5plus"]
replicates = 2
residents = 300
days = 10
waves = 1
points = 2
[parameters]
men_care_propensity = [0.1, 1.5]
"""


@dataclass
class Case:
    """One command line, the files it needs, and whether it is legitimate."""

    argv: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    legitimate: bool = False


def _experiment(extra: str) -> dict[str, str]:
    return {"x.toml": EXPERIMENT + extra}


def _calibration(extra: str = "", drop: str = "") -> dict[str, str]:
    text = "\n".join(line for line in CALIBRATION.splitlines()
                     if not (drop and line.startswith(drop)))
    top, tables = text.split("[parameters]", 1)
    return {"c.toml": top + extra + "\n[parameters]" + tables}


def cases() -> list[Case]:
    """Every case tried."""
    run = [["run"], ["run", "nosuch"], ["run", "baseline", "extra"], ["run", "--frobnicate"]]
    for value in ("10", "0", "-5", "abc", "1e9", "2.5", "", "5000001", "1_000", "\u0663"):
        run.append(["run", "baseline", "--residents", value])
    for value in ("0", "-1", "36501", "abc", "1.5", "", "1e9", "nan"):
        run.append(["run", "baseline", "--days", value])
    for value in ("-1", BIG, "abc", "1.5", "nan", "inf", "", "1e300", "0x10",
                  "9.007199254740993e15", "\u0663", "1_0"):
        run.append(["run", "baseline", "--seed", value])
    for item in ("nosuch=1", "risk_aversion=2", "risk_aversion=nan", "risk_aversion=inf",
                 "risk_aversion=-inf", "risk_aversion=abc", "risk_aversion", "=1",
                 "peer_scheme=maybe", "neighbour_ties=2.5", "residents=10",
                 "warmup_days=1e9"):
        run.append(["run", "baseline", "--set", item])
    for out in ("daily.xlsx", "/proc/x.csv", "nodir/x.csv", ".", "", "daily"):
        run.append(["run", "baseline", "--days", "2", "--out", out])
    for out in ("s.txt", "/proc/s.json", "nodir/s.json"):
        run.append(["run", "baseline", "--days", "2", "--summary", out])
    for flag, a, b in (("--out", "a.csv", "b.csv"), ("--seed", "1", "2"),
                       ("--days", "1", "2"), ("--residents", "600", "700")):
        run.append(["run", "baseline", flag, a, flag, b])
    run.append(["run", "baseline", "--set", "risk_aversion=0.2", "--set", "risk_aversion=0.3"])
    run.append(["run", "baseline", "--set", "residents=600", "--residents", "700"])
    run += [["area", "check", "nosuch"], ["area", "check", "gone.toml"]]
    made = [Case(argv) for argv in run]

    scenario_files: list[str | bytes] = [
        "", "\n\n", "# nothing yet\n", "title = \n", 'colour = "blue"\n',
        "[overrides]\nrisk_aversion = 3\n", "[overrides]\nrisk_avrsion = 0.3\n",
        '[overrides]\npeer_scheme = "yes"\n', 'sources = "one"\n', "[lesson]\nhomework = []\n",
        "overrides = 3\n", "[overrides]\nresidents = 10\n", "[overrides]\nrisk_aversion = nan\n",
        b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff\xfe", "title = 3\n"]
    made += [Case(["run", "s.toml"], {"s.toml": text}) for text in scenario_files]
    made += [Case(["run", "gone.toml"]), Case(["run", "notes.txt"], {"notes.txt": "hello\n"}),
             Case(["run", "folder.toml"], {"folder.toml/keep": ""})]

    sweep = [["sweep"], ["sweep", "nosuch.toml"], ["sweep", "tiny.toml", "--frobnicate"]]
    for flag, values in (("--workers", ("0", "-1", "abc", "1025", "1.5", "")),
                         ("--replicates", ("0", "abc", "100001", "-2")),
                         ("--residents", ("10", "abc")), ("--days", ("0", "36501")),
                         ("--scheduler", ("not a url", "tcp://127.0.0.1:1", "http://x:1",
                                          "tcp://h:0", "tcp://h", "127.0.0.1:8786", "")),
                         ("--out", ("/proc/x", "tiny.toml", "tiny.toml/below", "")),
                         ("--precision", ("readmission_rate_30d=inf", "readmission_rate_30d=nan",
                                          "readmission_rate_30d=0", "readmission_rate_30d=-1",
                                          "readmission_rate_30d=abc", "happiness=0.1",
                                          "readmission_rate_30d", "=0.1",
                                          "readmission_rate_30d=1e999")),
                         ("--max-replicates", ("5",))):
        sweep += [["sweep", "tiny.toml", flag, value] for value in values]
    sweep += [["sweep", "tiny.toml", "--precision", "readmission_rate_30d=0.1",
               "--max-replicates", value] for value in ("1", "abc", "100001")]
    sweep += [["sweep", "tiny.toml", "--precision", "readmission_rate_30d=0.1",
               "--precision", "readmission_rate_30d=0.2"],
              ["sweep", "tiny.toml", "--out", "a", "--out", "b"],
              ["sweep", "tiny.toml", "--workers", "1", "--workers", "2"]]
    made += [Case(argv) for argv in sweep]
    experiment_fields = [
        "[design.factors]\nresidents = [200, 3000]\n", "[design.factors]\ndays = [30, 60]\n",
        '[design]\nkind = "latin_hypercube"\nsamples = 4\n[design.ranges]\n'
        "residents = [200.0, 3000.0]\n",
        f"root_seed = {BIG}\n", "root_seed = -1\n", 'root_seed = "x"\n', "root_seed = 1.5\n",
        f"root_seed = {2**63 - 1}\n", "[design]\nkind = \"sobel\"\n",
        "[design.factors]\nno_such = [1]\n", "[design.factors]\nrisk_aversion = [2.0]\n",
        "[design.factors]\nrisk_aversion = []\n", "[design]\nfactors = 3\n",
        '[design]\nkind = "sobol"\nsamples = 6\n[design.ranges]\ngap_risk = [0.1, 1.0]\n',
        '[design]\nkind = "morris"\nsamples = 2\nlevels = 3\n[design.ranges]\n'
        "gap_risk = [0.1, 1.0]\n",
        '[design]\nkind = "latin_hypercube"\nsamples = 4\n[design.ranges]\n'
        "gap_risk = [1.0, 0.1]\n",
        '[design]\nkind = "latin_hypercube"\nsamples = 4\n[design.ranges]\n'
        "peer_scheme = [0, 1]\n",
        "colour = 1\n", 'outcomes = ["happiness"]\n', 'scenario_factorial = ["a", "b"]\n',
        "[precision]\nhalf_widths = { readmission_rate_30d = inf }\n",
        "[precision]\nhalf_widths = { happiness = 1.0 }\n", "precision = 3\n",
        "[precision]\nhalf_widths = { readmission_rate_30d = 0.1 }\nbatch = 0\n"]
    made += [Case(["sweep", "x.toml"], _experiment(extra)) for extra in experiment_fields]
    bad_tops = ["replicates = 0\n", "replicates = 1.5\n", "days = 0\n", "residents = 10\n",
                'scenarios = ["nosuch"]\n', "scenarios = []\n", 'title = "T"\ntitle = "U"\n']
    made += [Case(["sweep", "x.toml"], {"x.toml": EXPERIMENT.replace(
        "replicates = 2\n", "").replace("residents = 300\n", "").replace("days = 8\n", "")
        .replace('scenarios = ["baseline", "peer_visits"]\n', "") + extra})
        for extra in bad_tops]
    made += [Case(["sweep", "x.toml"], {"x.toml": text})
             for text in ("", "# later\n", "[design\n", b"\x00\x01\x02\xff")]

    report = [["report"], ["report", "nosuch"], ["report", "tiny.toml"], ["report", "empty"],
              ["report", "done", "--out", "r.txt"], ["report", "done", "--out", "/proc/r.html"],
              ["report", "done", "--csv", "x.txt"], ["report", "done", "--csv", "/proc/x.csv"],
              ["report", "done", "--csv", "nodir/x.csv"],
              ["report", "done", "--out", "a.html", "--out", "b.html"]]
    made += [Case(argv, {"empty/keep": ""}) for argv in report]
    made += [Case(["report", "bad"], {"bad/manifest.json": text})
             for text in ("{", "[]", '{"arms": 3}', "", '{"arms": []}')]
    made += [Case(["report", "cut"], {"cut/manifest.json": "copy:done/manifest.json",
                                      **{f"cut/runs/a00{a}-r000{r}.parquet": b"PAR1 cut"
                                         for a in (0, 1) for r in (0, 1)}})]

    calibrate = [["calibrate"], ["calibrate", "nosuch.toml"],
                 ["calibrate", "c.toml", "--out", "/proc/fit"],
                 ["calibrate", "c.toml", "--out", "c.toml"],
                 ["calibrate", "c.toml", "--out", "c.toml/inside"],
                 ["calibrate", "c.toml", "--workers", "0"],
                 ["calibrate", "c.toml", "--replicates", "0"],
                 ["calibrate", "c.toml", "--residents", "10"],
                 ["calibrate", "c.toml", "--days", "0"],
                 ["calibrate", "c.toml", "--waves", "0"],
                 ["calibrate", "c.toml", "--points", "1"],
                 ["calibrate", "c.toml", "--area", "atlantis"],
                 ["calibrate", "c.toml", "--out", "a", "--out", "b"]]
    made += [Case(argv, _calibration()) for argv in calibrate]
    made += [Case(["calibrate", "c.toml"], files) for files in (
        _calibration("colour = 1\n"), _calibration(f"root_seed = {BIG}\n"),
        _calibration("root_seed = -1\n"), {"c.toml": ""},
        {"c.toml": CALIBRATION.replace("men_care_propensity = [0.1, 1.5]",
                                       "residents = [100, 200]")},
        {"c.toml": CALIBRATION.replace("[0.1, 1.5]", "[1.5, 0.1]")},
        {"c.toml": CALIBRATION.replace("[0.1, 1.5]", "[0.1, 99.0]")},
        {"c.toml": CALIBRATION.replace("carer_prevalence_men_5plus", "happiness")},
        {"c.toml": CALIBRATION.replace('"carer_prevalence_men_5plus"', "")},
        {"c.toml": CALIBRATION.replace("carer_prevalence_men_5plus", "delayed_bed_share")},
        {"c.toml": CALIBRATION.replace("replicates = 2", "replicates = 1")},
        {"c.toml": CALIBRATION.replace("points = 2", "points = 0.5")})]

    servers = []
    for command in (["dashboard"], ["lesson", "1"]):
        servers += [[*command, "--port", value] for value in ("0", "70000", "abc", "-1", "")]
        servers += [[*command, "--host", value]
                    for value in ("999.1.1.1", "8.8.8.8", "no-such-host.invalid", "", "::2")]
    servers += [["dashboard", "--port", "8000", "--port", "8001"], ["lesson"],
                ["lesson", "0"], ["lesson", "99"], ["lesson", "abc"]]
    made += [Case(argv) for argv in servers]

    made += [Case(argv) for argv in (
        [], ["frobnicate"], ["--frobnicate"], ["validate", "--replicates", "1"],
        ["validate", "--replicates", "abc"], ["validate", "--residents", "10"],
        ["validate", "--days", "0"])]

    made += [
        Case(["report", "damaged"], {"damaged/": "copy:done", "damaged/runs/a000-r0000.parquet":
                                     b"PAR1 cut short"}, legitimate=True),
        Case(["sweep", "tiny.toml", "--out", "damaged", "--workers", "1"],
             {"damaged/": "copy:done", "damaged/runs/a001-r0001.parquet": os.urandom(2000)},
             legitimate=True),
        Case(["run", "baseline", "--days", "2", "--set", "risk_aversion=0.2", "--set",
              "peer_scheme=true"], legitimate=True),
        Case(["sweep", "tiny.toml", "--scheduler", "tcp://localhost:1"]),
        Case(["run", "baseline", "--days", "2", "--area", "mine.toml"],  # a local area file
             {"mine.toml": (AREAS / "north_norfolk.toml").read_text()}, legitimate=True),
    ]
    return made


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): (p.stat().st_size if p.is_file() else -1)
            for p in folder.rglob("*")}


def _lay_out(folder: Path, files: dict[str, str | bytes], base: Path) -> None:
    for name, content in files.items():
        path = folder / name
        if isinstance(content, str) and content.startswith("copy:"):
            source = base / content.removeprefix("copy:")
            if source.is_dir():
                shutil.copytree(source, path, dirs_exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def attempt(case: Case, base: Path) -> tuple[str, str]:
    """Run one case; return its outcome and the first line of its standard error."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        shutil.copytree(base, folder, dirs_exist_ok=True)
        _lay_out(folder, case.files, base)
        before = _listing(folder)
        try:
            done = subprocess.run([sys.executable, "-m", "simulation.cli", *case.argv],
                                  cwd=folder, capture_output=True, text=True,
                                  timeout=TIME_LIMIT, env={**os.environ, "COLUMNS": "200"})
        except subprocess.TimeoutExpired:
            return "hang", ""
        lines = done.stderr.strip().splitlines()
        first = lines[0] if lines else ""
        if "Traceback" in done.stderr:
            return "traceback", first
        if case.legitimate:
            return ("legitimate, done" if done.returncode == 0 else "legitimate, failed"), first
        if _listing(folder) != before:
            return "partial output", first
        if done.returncode == 2 and len(lines) == 1 and first.startswith("carecap: error:"):
            return "clean", first
        return f"other (exit {done.returncode}, {len(lines)} lines)", first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every case's error line")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once")
    args = parser.parse_args()
    tried = cases()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        (base / "tiny.toml").write_text(EXPERIMENT)
        (base / "scen.toml").write_text(SCENARIO)
        subprocess.run([sys.executable, "-m", "simulation.cli", "sweep", "tiny.toml", "--out",
                        "done", "--workers", "1"], cwd=base, check=True, capture_output=True)
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda case: attempt(case, base), tried))
    counts: dict[str, int] = {}
    for case, (outcome, line) in zip(tried, outcomes, strict=True):
        counts[outcome] = counts.get(outcome, 0) + 1
        if args.show or not outcome.startswith(("clean", "legitimate, done")):
            typed = " ".join(repr(a) if not a or " " in a else a for a in case.argv)
            print(f"{outcome:28} carecap {typed}" + (f"\n{'':28} {line}" if line else ""))
    malformed = [o for c, (o, _) in zip(tried, outcomes, strict=True) if not c.legitimate]
    print(f"\n{len(malformed)} malformed inputs tried: {counts.get('clean', 0)} refused cleanly, "
          f"{counts.get('traceback', 0)} tracebacks, {counts.get('partial output', 0)} with "
          f"partial output, {counts.get('hang', 0)} hangs, "
          f"{sum(v for k, v in counts.items() if k.startswith('other'))} other")
    legitimate = [o for c, (o, _) in zip(tried, outcomes, strict=True) if c.legitimate]
    print(f"{len(legitimate)} legitimate but unusual inputs: "
          f"{legitimate.count('legitimate, done')} done as asked")


if __name__ == "__main__":
    main()
