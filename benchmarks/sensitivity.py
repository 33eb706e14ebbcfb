"""The tables of docs/sensitivity.md: Morris screening with its noise, Sobol indices.

    uv run carecap sweep experiments/morris_assumptions.toml --out out/morris
    uv run carecap sweep experiments/sobol_uncertain.toml --out out/sobol
    uv run python benchmarks/sensitivity.py --morris out/morris --sobol out/sobol --hinges

``--hinges`` also measures the policy conclusions at each end of the assumptions they
may hinge on (the factorial's arms, paired seeds; see :meth:`Screening.hinges`).

Morris's elementary effect of a parameter is the change in an outcome when that
parameter alone steps along a trajectory (here two thirds of its range), per unit of its
normalised range; mu* is the mean absolute effect over the trajectories. Within a
replicate every point shares one seed (common random numbers), but a changed parameter
changes which draws fall where, so part of every effect is noise. The Morris sweep has
two replicates (two seeds), so each effect is measured twice: half the spread of the
two measurements' differences is the noise in their mean, and the **noise floor** of a
parameter is the mu* that noise alone would give (``sqrt(2 / pi)`` times that noise's
standard deviation). A parameter whose mu* is at least twice its floor moves the outcome.
mu* is shown as a percentage of the outcome's mean over the sweep's runs, so outcomes can
be read side by side.
"""

from __future__ import annotations

import argparse
import functools
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.figures import interval, markdown_table
from simulation import run
from simulation.docblocks import write_block
from simulation.metrics import BY_NAME
from simulation.sweep.analysis import Sweep

DOC = Path(__file__).resolve().parents[1] / "docs" / "sensitivity.md"
COMMAND = ("uv run python benchmarks/sensitivity.py --morris out/morris --sobol out/sobol "
           "--hinges")
CLEAR = 2.0  # mu* at least this many times its noise floor counts as an effect

# Parameters whose source is "assumption" that the screening holds at the scenario's
# values, and why; every other assumption is screened (tests/test_docs.py checks both).
LEVER = "policy levers: the factorial and the experiments vary them"
NOT_SCREENED = {
    "peer_scheme": LEVER, "risk_aversion": LEVER, "devolved_authority": LEVER,
    "staff_participation": LEVER, "budget_share": LEVER,
    "initial_volunteers_per_1000": "a policy lever: how many volunteers a scheme starts with",
    "peer_substitution": "a policy lever: whether professionals leave follow-ups to the "
                         "scheme; 0 at the defaults, lesson 3 looks at the harm",
    "lead_professional_share": "a policy lever: how many discharges get a named lead",
    "follow_up_share": "a policy lever: which discharges are referred for a follow-up",
    "professional_hours": "staffing, with professionals_per_1000: a post's contracted hours",
    "residents": "the run's size, the experiment's",
    "warmup_days": "the run's warm-up before day 1, not a process of the model",
}
SOBOL_SET = 10  # how many of the screened parameters the Sobol experiment takes
# The policy conclusions may hinge on any assumption screening finds to move an outcome,
# and on the manager's review (the link through which the two policies meet) and how
# many gaps a volunteer closes (the scheme's own effect) whether or not it does.
ALWAYS_HINGES = ("manager_review_days", "peer_gap_close")
FACTORIAL = ("baseline", "peer_visits", "devolved_decisions", "co_production_and_subsidiarity")


def _short(outcome: str) -> str:
    return BY_NAME[outcome].label


def elementary_effects(sweep: Sweep, outcome: str) -> tuple[list[str], np.ndarray]:
    """Each replicate's elementary effects, shaped (replicates, trajectories, parameters).

    The steps are taken from the values the runs used (whole-number parameters
    rounded), in units of each parameter's range.
    """
    names = sweep.design["problem"]["names"]
    bounds = np.asarray(sweep.design["problem"]["bounds"], dtype=np.float64)
    values = np.array([[arm["overrides"][name] for name in names] for arm in sweep.arms],
                      dtype=np.float64)
    unit = (values - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    runs = sweep.run_summaries()
    y = runs.pivot(index="replicate", columns="arm", values=outcome).to_numpy(np.float64)
    k = len(names)
    trajectories = len(values) // (k + 1)
    effects = np.full((len(y), trajectories, k), np.nan)
    for t in range(trajectories):
        for j in range(k):
            a, b = t * (k + 1) + j, t * (k + 1) + j + 1
            moved = int(np.argmax(np.abs(unit[b] - unit[a])))
            effects[:, t, moved] = (y[:, b] - y[:, a]) / (unit[b, moved] - unit[a, moved])
    return names, effects


@dataclass(frozen=True)
class Screening:
    """What a Morris sweep found, per outcome and parameter (in ``names``' order).

    Attributes:
        names: The parameters screened.
        relative: Per outcome, each parameter's mu* as a percentage of the outcome's mean.
        ratio: Per outcome, each parameter's mu* over its noise floor.
    """

    names: list[str]
    relative: dict[str, np.ndarray]
    ratio: dict[str, np.ndarray]

    @functools.cached_property
    def strength(self) -> np.ndarray:
        """Each parameter's largest mu*/floor over the outcomes (worked out once)."""
        return np.max(list(self.ratio.values()), axis=0)

    def ranked(self) -> list[int]:
        """Positions of the parameters, strongest first."""
        return [int(i) for i in np.argsort(-self.strength, kind="stable")]

    def sobol_set(self) -> list[str]:
        """The :data:`SOBOL_SET` parameters furthest above their noise floor."""
        return [self.names[i] for i in self.ranked()[:SOBOL_SET]]

    def hinges(self) -> list[str]:
        """The assumptions the policy conclusions may hinge on (see :data:`ALWAYS_HINGES`).

        Those whose mu* is at least :data:`CLEAR` times its floor on some outcome,
        strongest first, then the links that are always looked at.
        """
        moving = [self.names[i] for i in self.ranked() if self.strength[i] >= CLEAR]
        return moving + [name for name in ALWAYS_HINGES if name not in moving]


def screening(sweep: Sweep) -> Screening:
    """Each outcome's mu* and its noise floor, from a Morris sweep of two seeds or more."""
    runs = sweep.run_summaries()
    relative, ratio = {}, {}
    for outcome in sweep.outcomes:
        names, effects = elementary_effects(sweep, outcome)
        replicates = effects.shape[0]
        if replicates < 2:
            raise SystemExit("the Morris sweep needs two replicates or more to measure "
                             "its noise (rerun it with --replicates 2)")
        mean_effect = effects.mean(axis=0)  # over replicates
        mu_star = np.abs(mean_effect).mean(axis=0)
        # Noise of one replicate's effect, from the spread between replicates, then of
        # their mean; what mu* would be from that noise alone.
        single = effects.std(axis=0, ddof=1).mean(axis=0) if replicates > 2 else \
            np.abs(effects[0] - effects[1]).mean(axis=0) * math.sqrt(math.pi) / 2
        floor = math.sqrt(2 / math.pi) * single / math.sqrt(replicates)
        level = abs(float(runs[outcome].mean()))
        relative[outcome] = 100 * mu_star / level
        ratio[outcome] = mu_star / np.maximum(floor, 1e-300)
    return Screening(names, relative, ratio)


def morris_block(sweep: Sweep, screened: Screening) -> str:
    """The screening table: mu* as % of the mean, parameters by their largest mu*/floor."""
    runs = sweep.run_summaries()
    names, relative, ratio, strength = (screened.names, screened.relative, screened.ratio,
                                        screened.strength)
    header = ["Parameter", *(_short(o) for o in sweep.outcomes), "Largest mu* / floor"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i in screened.ranked():
        cells = [f"**{relative[o][i]:.1f}**" if ratio[o][i] >= CLEAR else
                 f"{relative[o][i]:.1f}" for o in sweep.outcomes]
        lines.append(f"| `{names[i]}` | " + " | ".join(cells) + f" | {strength[i]:.1f} |")
    design, manifest = sweep.design, sweep.manifest
    replicates = int(runs["replicate"].nunique())
    size = (f"{len(runs)} runs ({design['samples']} trajectories of {len(names) + 1} points, "
            f"{design['levels']} levels, {replicates} seeds), "
            f"{int(manifest['residents']):,} residents, {manifest['days']} days, scenario "
            f"`{manifest['scenarios'][0]}`")
    reasons: dict[str, list[str]] = {}
    for name, why in NOT_SCREENED.items():
        reasons.setdefault(why, []).append(f"`{name}`")
    held = "; ".join(f"{', '.join(held_names)} ({why})"
                     for why, held_names in reasons.items())
    chosen = ", ".join(f"`{name}`" for name in screened.sobol_set())
    return (f"{size}. mu* as a percentage of the outcome's mean over these runs; **bold** "
            f"where mu* is at least {CLEAR:g} times the parameter's noise floor.\n\n"
            + "\n".join(lines)
            + f"\n\nSobol set (the {SOBOL_SET} furthest above their floor, which "
            f"`experiments/sobol_uncertain.toml` takes): {chosen}.\n\n"
            f"Assumptions not screened, held at the scenario's values: {held}.")


def sobol_block(sweep: Sweep) -> str:
    """First-order and total Sobol indices with 95% bounds, per outcome."""
    table, notes = sweep.sensitivity(sweep.outcomes)
    design, manifest = sweep.design, sweep.manifest
    names = design["problem"]["names"]
    parts = [f"{len(design['matrix'])} runs ({design['samples']} base samples x "
             f"({len(names)} + 2)), {int(manifest['residents']):,} residents, "
             f"{manifest['days']} days, scenario `{manifest['scenarios'][0]}`; S1 is the "
             "share of the outcome's variance a parameter explains alone, ST with its "
             "interactions (95% bootstrap bounds)."]
    for outcome in sweep.outcomes:
        rows = table[table["outcome"] == outcome]
        if rows.empty:
            continue
        wide = rows.pivot(index="parameter", columns="index", values=["value", "conf"])
        wide = wide.sort_values(("value", "ST"), ascending=False)
        lines = [f"**{_short(outcome)}** (S1 summed: "
                 f"{wide[('value', 'S1')].sum():.2f})", "",
                 "| Parameter | S1 | ST |", "|---|---|---|"]
        for name, row in wide.iterrows():
            lines.append(f"| `{name}` | {row[('value', 'S1')]:.2f} ± {row[('conf', 'S1')]:.2f}"
                         f" | {row[('value', 'ST')]:.2f} ± {row[('conf', 'ST')]:.2f} |")
        parts.append("\n".join(lines))
    parts += [f"*{note}*" for note in notes]
    return "\n\n".join(parts)


def _summary(job: tuple[str, dict, int, int, int]) -> dict[str, float]:
    scenario, overrides, seed, residents, days = job
    return run(scenario, seed=seed, residents=residents, days=days, **overrides).summary


def hinges_block(ranges: dict[str, list[float]], names: list[str], seeds: int,
                 residents: int, days: int) -> str:
    """The factorial's conclusions at the defaults and at each end of each of ``names``."""
    settings: list[tuple[str, dict]] = [("defaults", {})]
    for name in names:
        low, high = ranges[name]
        for value in (low, high):
            settings.append((f"`{name}` = {value:g}", {name: value}))
    jobs = [(arm, overrides, seed, residents, days) for _, overrides in settings
            for arm in FACTORIAL for seed in range(seeds)]
    with ProcessPoolExecutor() as pool:
        summaries = list(pool.map(_summary, jobs))
    rows, at = [], 0
    for label, _ in settings:
        arms = {}
        for arm in FACTORIAL:
            arms[arm] = summaries[at:at + seeds]
            at += seeds

        def values(arm: str, outcome: str, arms: dict = arms) -> np.ndarray:
            return np.array([s[outcome] for s in arms[arm]])

        def contrast(outcome: str, plus: tuple, minus: tuple) -> str:
            diff = sum(values(a, outcome) for a in plus) - sum(values(a, outcome)
                                                               for a in minus)
            return interval(diff, outcome)

        base, peer, dev, both = FACTORIAL
        rows.append((label,
                     contrast("readmission_rate_30d", (dev,), (base,)),
                     contrast("readmission_rate_30d", (both,), (dev,)),
                     contrast("readmission_rate_30d", (both, base), (peer, dev)),
                     contrast("basics_missing", (both, base), (peer, dev))))
    size = (f"{seeds} seeds (0 to {seeds - 1}), {residents:,} residents, {days} days, the "
            "four arms of the factorial at each setting; 95% confidence intervals of the "
            "mean paired difference")
    return f"{size}.\n\n" + markdown_table(
        ("Setting", "Devolution's effect on readmission",
         "The scheme's effect where decisions are devolved (readmission)",
         "Interaction on readmission", "Interaction on basics missing"), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--morris", type=Path, required=True, help="a Morris sweep folder")
    parser.add_argument("--sobol", type=Path, help="a Sobol sweep folder")
    parser.add_argument("--hinges", action="store_true",
                        help="also measure the factorial at the ends of each hinge")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per arm for --hinges")
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=DOC, help="the file whose blocks to fill")
    args = parser.parse_args()
    morris = Sweep(args.morris)
    screened = screening(morris)
    write_block(args.out, "morris", COMMAND, morris_block(morris, screened))
    print(f"morris: written to {args.out}")
    if args.sobol:
        write_block(args.out, "sobol", COMMAND, sobol_block(Sweep(args.sobol)))
        print(f"sobol: written to {args.out}")
    if args.hinges:
        ranges = dict(zip(morris.design["problem"]["names"],
                          morris.design["problem"]["bounds"], strict=True))
        block = hinges_block(ranges, screened.hinges(), args.seeds, args.residents, 365)
        write_block(args.out, "hinges", COMMAND, block)
        print(f"hinges: written to {args.out}")


if __name__ == "__main__":
    main()
