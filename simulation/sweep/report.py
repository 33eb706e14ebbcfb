"""``carecap report``: one self-contained HTML file from a sweep folder, board-ready.

Sections, in the order a reader needs them:

1. **Findings in brief**: what each arm did to each headline outcome against the
   reference arm (arm 0), with its 95% CI and whether the CI excludes no change; for a
   2x2 factorial, whether the whole beats the sum of its parts; for a sampled design,
   which parameters the outcomes vary with most.
2. **Methods**: the design, replicates and seeds, the town's size and days, the carecap
   version (and commit) that made the runs and this report, and the one command that
   makes the same runs again.
3. **What each arm changes**: every arm's scenario levers (the parameters its scenario
   sets) and the design's point, and the command that makes one of its runs.
4. **Validation and caveats**: the calibration and held-out targets
   (``simulation/targets.py``) as ``docs/validation.md`` last recorded them, naming the
   held-out figures the model misses, and caveats of this sweep's size.
5. **How sure are we** (per-arm CI half-widths), **daily metrics** (small multiples of
   bands across replicates), **paired differences**, the **factorial interaction**,
   **sensitivity indices** (with warnings where they are unreliable) and **equity**.

A section with nothing to show is left out. Figures and tables name metrics by their
label and show them in their unit (:mod:`simulation.dashboard.display`): shares as
percentages (differences in points), costs in pounds, hours as hours. Plotly's
JavaScript is embedded once, so the file opens offline.

Designs with many arms (sampled points) are summarised rather than drawn arm by arm:
their daily metrics as the spread over every run, the equity metrics as the spread over
points, and what drives the outcomes as sensitivity indices.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation import provenance
from simulation.dashboard import display
from simulation.metrics import BY_NAME
from simulation.params import Params
from simulation.sweep.analysis import CONFIDENCE, Sweep
from simulation.sweep.charts import COLOURS, bands_figure

MAX_ARMS_DRAWN = 12
EQUITY = ("unpaid_share_women", "unpaid_share_minority", "unpaid_gini")
EQUITY_REFERENCE = {"unpaid_share_women": "population_share_women",
                    "unpaid_share_minority": "population_share_minority"}
# Which way is better, for the findings; outcomes not listed are described as higher or
# lower, without a verdict.
LOWER_IS_BETTER = {
    "admissions", "readmissions_30d", "readmission_rate_30d", "bed_days", "delayed_bed_days",
    "delayed_bed_share", "unmet_hours", "skilled_unmet_hours", "older_unmet_share",
    "carers_strained", "carers_burnt_out", "staff_attrition", "staff_vacancies",
    "decision_wait_days", "decision_delay_days", "decisions_waiting", "follow_ups_missed",
    "lonely_share", "cost_bed_days", "cost_professional", "cost_paid_care",
    "cost_formal_care", "cost_total", "unpaid_gini", "basics_missing"}
HIGHER_IS_BETTER = {"staff_morale", "client_wellbeing"}
# Sensitivity indices are shares of variance (0 to 1): bounds wider than this either
# side say the sample is too small to rank the parameters.
WIDE_INDEX_BOUND = 0.1


def _code_spans(text: str) -> str:
    """Text with each `quoted` part as HTML code (the text already escaped)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an odd backtick: leave the text as it is
        return text
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _label(name: str) -> str:
    """A metric's label, or the name of something that is not a metric."""
    return BY_NAME[name].label if name in BY_NAME else name


def _lower_first(text: str) -> str:
    """A label inside a sentence: "the 30-day readmission rate", not "30-Day ..."."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _plus_minus(name: str, half_width: float) -> str:
    """A CI half-width in the metric's unit: "± 0.4 pts", "± £5.2k"."""
    if not math.isfinite(half_width):
        return ""
    return "± " + display.change(name, half_width).lstrip("+").lstrip(display.MINUS)


def _is_clear(low: float, high: float) -> bool:
    """Whether a 95% CI of a difference excludes zero."""
    return math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)


def _reading(name: str, difference: float, low: float, high: float) -> str:
    """What a paired difference says: "lower (better)", "no clear difference"..."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "one pair of runs: no confidence interval"
    if not _is_clear(low, high):
        return "no clear difference"
    way = "higher" if difference > 0 else "lower"
    if name in LOWER_IS_BETTER or name in HIGHER_IS_BETTER:
        better = (difference < 0) == (name in LOWER_IS_BETTER)
        return f"{way}: {'better' if better else 'worse'}"
    return way


class _Page:
    """The parts of the page in order; the first figure carries plotly's JavaScript."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figures = 0

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, text: str, tag: str = "p", css: str | None = None) -> None:
        """Plain text (escaped); a `quoted` command or name is shown as code."""
        css = f' class="{css}"' if css else ""
        self.parts.append(f"<{tag}{css}>{_code_spans(html.escape(text))}</{tag}>\n")

    def items(self, items: list[str], css: str | None = None) -> None:
        """A bulleted list of HTML items (escape what is not markup before)."""
        css = f' class="{css}"' if css else ""
        self.parts.append(f"<ul{css}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>\n")

    def figure(self, figure: go.Figure, top: int | None = None) -> None:
        """A figure; ``top`` is its top margin (default: its own, or 60 px)."""
        top = top or figure.layout.margin.t or 60
        # Plain styling: a named template is deep-copied into every figure, which is slow.
        figure.update_layout(template=None, plot_bgcolor="white",
                             margin={"t": top, "b": figure.layout.margin.b or 40, "l": 70,
                                     "r": 20})
        figure.update_xaxes(gridcolor="#eee", zerolinecolor="#ccc")
        figure.update_yaxes(gridcolor="#eee", zerolinecolor="#ccc", automargin=True)
        self.figures += 1
        self.parts.append(figure.to_html(full_html=False, include_plotlyjs=self.figures == 1,
                                         div_id=f"figure-{self.figures}"))

    def table(self, table: pd.DataFrame, numbers: bool = True) -> None:
        """A table; ``numbers`` right-aligns every column but the first, else all left."""
        self.parts.append(table.to_html(index=False, border=0,
                                        classes="numbers" if numbers else "text",
                                        na_rep="–", escape=True))


class _Report:
    """One report's sections over an opened sweep, sharing what they compute."""

    def __init__(self, sweep: Sweep, page: _Page) -> None:
        self.sweep = sweep
        self.page = page
        self.outcomes = sweep.outcomes
        self.many = len(sweep.arms) > MAX_ARMS_DRAWN
        self.reference = sweep.label(0)

    # -- what several sections share -----------------------------------------------

    @functools.cached_property
    def stats(self) -> pd.DataFrame:
        return self.sweep.arm_stats(self.outcomes)

    @functools.cached_property
    def replicated(self) -> bool:
        """Whether any arm has two or more replicates (so a CI)."""
        return bool((self.stats["n"] >= 2).any())

    @functools.cached_property
    def differences(self) -> pd.DataFrame:
        return self.sweep.paired_differences(self.outcomes)

    @functools.cached_property
    def sensitivity(self) -> tuple[pd.DataFrame, list[str]]:
        return self.sweep.sensitivity(self.outcomes)

    @functools.cached_property
    def defaults(self) -> dict[str, Any]:
        return Params().as_dict()

    def arm_params(self, arm: int) -> tuple[dict[str, Any], str]:
        """Every parameter an arm ran with, and where that was read from."""
        entry = self.sweep.arms[arm]
        if "params" in entry:
            return entry["params"], "manifest"
        for run_id, record in self.sweep.records.items():
            if record.get("arm") == arm and "params" in record:
                return record["params"], f"run file {run_id}"
        try:
            return self._resolved(arm).as_dict(), "scenario file as it is now"
        except ValueError:  # the scenario file is gone, or no longer takes these values
            return {}, "not known"

    def _resolved(self, arm: int) -> Params:
        """An arm's parameters from its scenario file as it is now, and its overrides.

        Raises:
            ValueError: The scenario is unknown or refuses the values.
        """
        from simulation.scenarios import resolve_params

        entry = self.sweep.arms[arm]
        params, _ = resolve_params(entry["scenario"], None, {
            **entry["overrides"], "residents": self.sweep.manifest["residents"]})
        return params

    def run_command(self, arm: int) -> str:
        """The command that makes the arm's first replicate again."""
        records = [r for r in self.sweep.records.values()
                   if r.get("arm") == arm and r.get("replicate") == 0 and "command" in r]
        if records:
            return records[0]["command"]
        m = self.sweep.manifest
        try:
            return provenance.run_command(self.sweep.arms[arm]["scenario"], m["root_seed"],
                                          m["days"], self._resolved(arm))
        except ValueError:
            return "–"

    # -- sections ------------------------------------------------------------------

    def header(self) -> None:
        m, page = self.sweep.manifest, self.page
        page.text(m.get("title") or "Sweep report", "h1")
        if m.get("description"):
            page.text(" ".join(m["description"].split()), css="lead")
        made = m.get("provenance") or {}
        page.text(f"Runs made by carecap {made.get('carecap', 'of an unrecorded version')} "
                  f"on {made.get('created', 'an unrecorded date')}; this report by "
                  f"{provenance.describe()} on {provenance.now()}.", css="stamp")

    def findings(self) -> None:
        page, sweep = self.page, self.sweep
        page.text("Findings in brief", "h2")
        if self.many:
            self._findings_sampled()
            return
        if len(sweep.arms) == 1:
            page.text(f"One arm ({self.reference}): its means are under “How sure are we”.")
            return
        pairs = int(self.differences["n"].max()) if not self.differences.empty else 0
        page.text(f"Each arm against the reference arm, {self.reference}, seed by seed "
                  f"(the same {pairs} seed{'s' if pairs != 1 else ''} in both): the mean "
                  f"difference with its {CONFIDENCE:.0%} confidence interval. A difference "
                  "is called clear when its interval excludes no change.")
        items = []
        for arm in range(1, len(sweep.arms)):
            rows = self.differences[self.differences["arm"] == arm].set_index("outcome")
            clear, unclear = [], []
            for name in self.outcomes:
                if name not in rows.index:
                    continue
                row = rows.loc[name]
                if not _is_clear(row["low"], row["high"]):
                    unclear.append(_lower_first(_label(name)))
                    continue
                ci = display.interval(name, row["low"], row["high"], difference=True)
                clear.append(f"{html.escape(_lower_first(_label(name)))} "
                             f"<b>{html.escape(display.change(name, row['difference']))}</b> "
                             f"({html.escape(ci)}; "
                             f"{_reading(name, row['difference'], row['low'], row['high'])})")
            said = ("clear changes: " + "; ".join(clear) + "." if clear
                    else "no clear change in any outcome.")
            if clear and unclear:
                said += (" No clear change in " + html.escape(_series(unclear)) + ".")
            items.append(f"<b>{html.escape(sweep.label(arm))}</b>: {said}")
        page.items(items, "findings")
        self._findings_table()
        for square in sweep.manifest.get("squares") or []:
            table = sweep.interaction(square, self.outcomes)
            if table.empty:
                continue
            page.text(f"Is the whole more than the sum of its parts? "
                      f"{square['first']} with {square['second']}", "h3")
            clear = table[(table["low"] > 0) | (table["high"] < 0)]
            rest = [_lower_first(_label(o)) for o in table["outcome"]
                    if o not in set(clear["outcome"])]
            said = [html.escape(interaction_sentence(r.outcome, r)) for _, r in clear.iterrows()]
            if rest:
                said.append(html.escape(
                    ("Other outcomes" if said else "Every outcome") + ": no evidence that "
                    "the whole differs from the sum of its parts (each interaction's 95% CI "
                    f"includes zero): {_series(rest)}. The figures are under “Is the whole "
                    "greater than the sum of its parts?”."))
            page.items(said, "verdicts")

    def _findings_table(self) -> None:
        """Outcomes by arm: each paired difference, its CI, shaded by what it says."""
        diffs, sweep = self.differences, self.sweep
        arms = list(range(1, len(sweep.arms)))
        head = "".join(f"<th>{html.escape(sweep.label(a))}</th>" for a in arms)
        body = []
        for name in self.outcomes:
            cells = []
            for arm in arms:
                row = diffs[(diffs["arm"] == arm) & (diffs["outcome"] == name)]
                if row.empty:
                    cells.append("<td>–</td>")
                    continue
                r = row.iloc[0]
                reading = _reading(name, r["difference"], r["low"], r["high"])
                css = reading.split(": ")[-1] if _is_clear(r["low"], r["high"]) else "unclear"
                css = css if css in ("better", "worse") else (
                    "clear" if css in ("higher", "lower") else "unclear")
                ci = display.interval(name, r["low"], r["high"], difference=True)
                cells.append(f'<td class="{css}">'
                             f"{html.escape(display.change(name, r['difference']))}"
                             f"<br><small>{html.escape(ci)}</small></td>")
            body.append(f"<tr><td>{html.escape(display.title(name))}</td>{''.join(cells)}</tr>")
        self.page.add(f'<table class="numbers findings"><thead><tr><th>outcome: difference '
                      f"from {html.escape(self.reference)} (95% CI)</th>{head}</tr></thead>"
                      f"<tbody>{''.join(body)}</tbody></table>\n<p class=\"stamp\">Green: "
                      "a clear change for the better; red: for the worse; blue: clear, with "
                      "no better or worse declared; grey: no clear difference.</p>\n")

    def _findings_sampled(self) -> None:
        indices, notes = self.sensitivity
        m = self.sweep.manifest
        self.page.text(f"This design samples {len(self.sweep.arms):,} points of "
                       f"{len(m['design'].get('problem', {}).get('names', []))} parameters' "
                       "ranges; the outcomes' spread over them, and what drives it, are below.")
        if indices.empty:
            for note in notes:
                self.page.text(note)
            return
        key = {"sobol": "ST", "morris": "mu_star"}.get(m["design"]["kind"], "S1")
        flagged = indices.assign(flagged=[bool(f) for f in _flags(indices)])
        unsure = set(flagged.loc[flagged["flagged"], "outcome"])
        items = []
        for (scenario, outcome), rows in indices[indices["index"] == key].groupby(
                ["scenario", "outcome"], sort=False):
            top = rows.sort_values("value", ascending=False).head(3)
            named = ", ".join(f"<code>{html.escape(r.parameter)}</code> "
                              f"({key} {self._index_value(outcome, key, r.value)})"
                              for r in top.itertuples())
            items.append(f"{html.escape(_label(outcome))} ({html.escape(scenario)}) varies "
                         f"most with {named}"
                         + (" (some of its indices unreliable)." if outcome in unsure else "."))
        warnings = index_warnings(indices, m["design"])
        if warnings:
            items.append("Some indices are unreliable at this sample size: see the warnings "
                         "under “What drives the outcomes”.")
        self.page.items(items, "findings")

    def methods(self) -> None:
        m, sweep, page = self.sweep.manifest, self.sweep, self.page
        page.text("Methods", "h2")
        design = m["design"].get("kind", "scenarios")
        seeds = m["root_seed"], m["root_seed"] + m["replicates"] - 1
        made = m.get("provenance") or {}
        params = self.arm_params(0)[0]
        rows = [
            ("Design", f"{design}: {len(sweep.arms):,} arms"
             + (f" ({len(m['scenarios'])} scenarios x {len(sweep.arms) // len(m['scenarios'])}"
                " points)" if len(m["scenarios"]) > 1 and self.many else "")),
            ("Replicates", f"{m['replicates']} per arm, seeds {seeds[0]} to {seeds[1]}: "
             "replicate r of every arm uses the same seed, so arms share the town and as "
             "many random draws as the rules allow, and differences are paired"
             if m["replicates"] > 1 else f"one per arm, seed {seeds[0]} in every arm"),
            ("Town", f"{m['residents']:,} residents, {m['days']} days reported after "
             f"{params.get('warmup_days', '?')} days of warm-up"
             + (f"; area {m['area']}" if m.get("area") else "; England's defaults")),
            ("Runs", f"{sweep.runs_finished:,} finished of {len(m['runs']):,} planned; "
             f"{sweep.runs_failed} failed"),
            ("Intervals", f"{CONFIDENCE:.0%} Student-t intervals over replicates; a paired "
             "difference is the mean of the per-seed differences"),
            ("Made by", f"carecap {made['carecap']}"
             + (f", commit {made['commit']}" if made.get("commit") else "")
             + f", {made['created']}" if made else
             "not recorded (a sweep folder from before carecap 0.2.0)"),
            ("This report", provenance.describe()),
        ]
        page.table(pd.DataFrame(rows, columns=["", ""]), numbers=False)
        if made and made["carecap"] != provenance.VERSION:
            page.text(f"Warning: the runs were made by carecap {made['carecap']}, this report "
                      f"by {provenance.VERSION}.", css="warning")
        command = made.get("command")
        if command:
            page.add("<p>The same runs again (the same version gives the same daily tables, "
                     f"bit for bit):</p><pre>{html.escape(command)}</pre>\n"
                     f"<p>then <code>carecap report FOLDER</code>. Each arm's own command for "
                     "one run is under “What each arm changes”.</p>\n")

    def arms_table(self) -> None:
        sweep, page = self.sweep, self.page
        page.text("What each arm changes", "h2")
        if self.many:
            self._ranges()
            return
        page.text("The parameters each arm runs with that differ from the declared defaults "
                  "(`carecap params`): those its scenario sets, and the design's point on "
                  "top. The command makes the arm's first replicate (seed "
                  f"{sweep.manifest['root_seed']}); replicate r uses seed "
                  f"{sweep.manifest['root_seed']} + r.")
        rows, sources = [], set()
        for arm in range(len(sweep.arms)):
            entry = sweep.arms[arm]
            params, source = self.arm_params(arm)
            sources.add(source)
            overrides = entry["overrides"]
            levers = {k: v for k, v in params.items() if k in self.defaults
                      and k != "residents" and k not in overrides
                      and v != self.defaults[k]}
            rows.append({"arm": entry["label"], "scenario": entry["scenario"],
                         "scenario's levers": _levers(levers) or "none (the defaults)",
                         "design's point": _levers(overrides) or "–",
                         "one run": self.run_command(arm)})
        page.table(pd.DataFrame(rows), numbers=False)
        if sources & {"scenario file as it is now", "not known"}:
            page.text("Some arms' parameters were not recorded with their runs (a sweep "
                      "folder from before carecap 0.2.0): they are read from the scenario "
                      "files as they are now.", css="warning")

    def _ranges(self) -> None:
        problem = self.sweep.manifest["design"].get("problem", {})
        levers: dict[str, dict[str, Any]] = {}
        for arm, entry in enumerate(self.sweep.arms):
            levers.setdefault(entry["scenario"], self.arm_params(arm)[0])
        self.page.text("Every point is a scenario with the sampled parameters set; the "
                       "scenarios' own levers, and the ranges sampled:")
        self.page.items([f"<b>{html.escape(s)}</b>: " + html.escape(_levers(
            {k: v for k, v in p.items() if k in self.defaults and k != "residents"
             and k not in problem.get("names", []) and v != self.defaults[k]})
            or "the defaults") for s, p in levers.items()])
        self.page.table(pd.DataFrame({
            "parameter": problem.get("names", []),
            "low": [f"{b[0]:.4g}" for b in problem.get("bounds", [])],
            "high": [f"{b[1]:.4g}" for b in problem.get("bounds", [])],
            "default": [f"{self.defaults.get(n, math.nan):.4g}"
                        for n in problem.get("names", [])]}))

    def validation(self) -> None:
        from simulation.validate import DOC, recorded

        page, m = self.page, self.sweep.manifest
        page.text("Validation and caveats", "h2")
        page.text("Against published figures", "h3")
        table = recorded()
        if table is None:
            page.text("The validation table (docs/validation.md, written by `carecap "
                      "validate`) is not with this installation: see carecap's source.")
        else:
            passed = len(table.of_role("calibration", "pass"))
            fitted = len(table.of_role("calibration"))
            missed = table.of_role("held-out", "miss")
            held = len(table.of_role("held-out"))
            page.text(f"As {DOC.parent.name}/{DOC.name} last recorded it ({table.size}), the "
                      f"baseline falls inside {passed} of the {fitted} bands of published "
                      "figures its calibrated parameters were fitted to (which shows the fit "
                      f"holds, not that the model is right), and inside {held - len(missed)} "
                      f"of {held} held-out figures no parameter was fitted to "
                      "(simulation/targets.py declares them all).")
            if missed:
                page.text("It misses these held-out figures:")
                page.items([f"<b>{html.escape(t.name)}</b>: the model "
                            f"{html.escape(c['Model: mean (95% CI)'])} against a band of "
                            f"{html.escape(c['Band'])} ({html.escape(t.published)}; "
                            f"{html.escape(t.source)})" for t, c in missed])
            read = [(name, t, c) for name in self.outcomes for t, c in table.rows
                    if t.metric == name and t.per_metric is None and t.arm == "baseline"]
            if read:
                page.text("Outcomes of this report that are validation targets: " + "; ".join(
                    f"{_lower_first(_label(name))} ({t.name}, a {t.role} target: "
                    f"{c['Result']}"
                    + (", so its level was fitted and is no test of the model)"
                       if t.role == "calibration" else ")")
                    for name, t, c in read) + ".")
        page.text("Caveats", "h3")
        caveats = []
        if m["residents"] < 10_000:
            caveats.append(f"Towns of {m['residents']:,} residents: smaller towns vary more "
                           "from seed to seed than the 10,000 of the validation, and rare "
                           "events (readmissions, staff leaving) are few.")
        if m["days"] < 365:
            caveats.append(f"{m['days']} days: less than the year the validation and the "
                           "published figures cover; seasonal and slow effects (morale, "
                           "strain, volunteers' numbers) may not have settled.")
        if m["replicates"] < 2:
            caveats.append("One replicate per arm: no confidence interval for any arm alone.")
        caveats.append("Parameters that are assumptions, not published figures, are listed "
                       "with their sources by `carecap params`; docs/sensitivity.md shows "
                       "which of them the answers hinge on.")
        page.items([_code_spans(html.escape(c)) for c in caveats], "caveats")

    def precision(self) -> None:
        if not self.replicated:
            return  # one replicate per arm: no half-width to show (methods says so)
        page, sweep, stats = self.page, self.sweep, self.stats
        page.text(f"How sure are we: {CONFIDENCE:.0%} CI half-widths", "h2")
        page.text("Each cell is the arm's mean over replicates, ± the half-width of its "
                  f"{CONFIDENCE:.0%} confidence interval, and the replicates (n). Halving a "
                  "half-width takes about four times the replicates; `carecap sweep FILE "
                  "--precision OUTCOME=HALF_WIDTH` adds replicates until every arm reaches it.")
        if self.many:
            grouped = stats.groupby("outcome", sort=False)
            table = pd.DataFrame({
                "outcome": [_label(o) for o in grouped.groups],
                "arms": grouped["arm"].count().to_numpy(),
                "replicates (fewest)": grouped["n"].min().to_numpy(),
                "median half-width": [_plus_minus(o, v) for o, v in
                                      grouped["half_width"].median().items()],
                "largest half-width": [_plus_minus(o, v) for o, v in
                                       grouped["half_width"].max().items()]})
        else:
            stats = stats.assign(cell=[
                f"{display.value(r.outcome, r.mean)} {_plus_minus(r.outcome, r.half_width)} "
                f"(n={r.n})" for r in stats.itertuples()])
            wide = stats.pivot(index="outcome", columns="arm", values="cell")
            wide = wide.reindex(self.outcomes)
            wide.columns = [sweep.label(a) for a in wide.columns]
            table = wide.reset_index().assign(outcome=[_label(o) for o in self.outcomes])
        page.table(table)

    def ribbons(self) -> None:
        page, sweep = self.page, self.sweep
        page.text("Daily metrics", "h2")
        if self.many:
            page.text("One panel per scenario: the line is the mean over every run of it, "
                      "the dotted lines the middle 95% of runs — the spread the design's "
                      "parameter ranges produce.")
        else:
            page.text("One panel per arm: the arm's daily mean over replicates, its "
                      f"{CONFIDENCE:.0%} confidence interval as dotted lines, and the "
                      f"reference arm ({self.reference}) in grey.")
        for outcome in self.outcomes:
            if self.many:
                table = sweep.spread(outcome).rename(columns={"scenario": "group"})
                page.figure(bands_figure(table, outcome, band="middle 95% of runs"))
            else:
                table = sweep.ribbons(outcome)
                table["group"] = [sweep.label(a) for a in table["arm"]]
                page.figure(bands_figure(table, outcome))

    def paired(self) -> None:
        if len(self.sweep.arms) < 2 or self.many:
            return  # the findings and sensitivity indices cover many arms
        page, sweep, diffs = self.page, self.sweep, self.differences
        page.text(f"Paired differences against the reference arm ({self.reference})", "h2")
        page.text("Each arm minus the reference, replicate by replicate (same seed), then "
                  f"averaged, with its {CONFIDENCE:.0%} CI; a CI that excludes zero is a "
                  "difference the replicates can tell apart from noise.")
        arms = len(sweep.arms) - 1
        height = 80 + (80 + 24 * arms) * len(self.outcomes)
        figure = make_subplots(rows=len(self.outcomes), cols=1,
                               subplot_titles=[display.difference_title(o) for o in self.outcomes],
                               vertical_spacing=60 / height)
        for i, outcome in enumerate(self.outcomes, start=1):
            rows = diffs[diffs["outcome"] == outcome]
            factor = display.scale(outcome, difference=True)
            figure.add_trace(go.Scatter(
                x=rows["difference"] * factor, y=[sweep.label(a) for a in rows["arm"]],
                mode="markers", marker={"color": COLOURS[0], "size": 9},
                error_x={"type": "data", "array": rows["half_width"].fillna(0) * factor},
                hovertemplate=display.hover(outcome, "x", difference=True)
                + "<extra>%{y}</extra>", showlegend=False), row=i, col=1)
            figure.add_vline(x=0, line={"color": "grey", "dash": "dot"}, row=i, col=1)
            figure.update_xaxes(**display.axis(outcome, difference=True), row=i, col=1)
        figure.update_layout(title=f"Difference from {self.reference} ({CONFIDENCE:.0%} CI)",
                             height=height)
        page.figure(figure)
        page.text("The figures are in the table under “Findings in brief”.")

    def interactions(self) -> None:
        squares = self.sweep.manifest.get("squares") or []
        tables = [(s, self.sweep.interaction(s, self.outcomes)) for s in squares]
        tables = [(s, t) for s, t in tables if not t.empty]
        if not tables:
            return
        page, sweep = self.page, self.sweep
        page.text("Is the whole greater than the sum of its parts?", "h2")
        page.text("In a 2x2 factorial the interaction is both − first only − second only + "
                  "base, computed replicate by replicate: zero when the two effects simply add. "
                  "What each outcome's says is under “Findings in brief”.")
        for square, table in tables:
            labels = [sweep.label(square[k]) for k in ("base", "first_only", "second_only",
                                                         "both")]
            page.text(f"{square['first']} with {square['second']}", "h3")
            page.text(f"Base: {labels[0]}; first only: {labels[1]}; second only: "
                      f"{labels[2]}; both: {labels[3]}.")
            names = table["outcome"]

            def changes(column: str, names: pd.Series = names,
                        table: pd.DataFrame = table) -> list[str]:
                return [display.change(o, v) for o, v in
                        zip(names, table[column], strict=True)]

            page.table(pd.DataFrame({
                "outcome": [_label(o) for o in names], "pairs": table["n"],
                square["first"]: changes("first_effect"),
                square["second"]: changes("second_effect"),
                "both": changes("both_effect"), "interaction": changes("interaction"),
                f"{CONFIDENCE:.0%} CI": [display.interval(o, lo, hi, difference=True) for
                                         o, lo, hi in zip(names, table["low"], table["high"],
                                                          strict=True)]}))

    def _index_value(self, outcome: str, index: str, value: float) -> str:
        """An index for people: a share of variance to 2 decimals, mu* in the unit."""
        if index == "mu_star":
            return display.value(outcome, value)
        return f"{value:.2f}".replace("-", display.MINUS)

    def drivers(self) -> None:
        indices, notes = self.sensitivity
        if indices.empty and not notes:
            return
        page, design = self.page, self.sweep.design
        kind = design["kind"]
        page.text("What drives the outcomes: sensitivity indices", "h2")
        page.text({
            "sobol": "Sobol indices (SALib, Saltelli sampling): S1 is the share of the "
                     "outcome's variance due to the parameter alone, ST its share including "
                     "interactions with the others. Error bars: 95% bootstrap bounds.",
            "morris": "Morris screening (SALib): mu* is the mean absolute elementary effect, "
                      "in the outcome's unit, per move across the parameter's range grid. "
                      "Error bars: 95% bootstrap bounds.",
            "latin_hypercube": "First-order indices estimated from the Latin hypercube by "
                               "RBD-FAST (SALib): the share of the outcome's variance due to "
                               "the parameter alone. Error bars: 95% bootstrap "
                               "bounds."}[kind])
        for note in notes:
            page.text(note)
        if indices.empty:
            return
        warnings = index_warnings(indices, design)
        if warnings:
            page.add("<div class=\"warning\"><b>Unreliable indices.</b>")
            page.items([html.escape(w) for w in warnings])
            page.add("</div>\n")
        for (scenario, outcome), rows in indices.groupby(["scenario", "outcome"], sort=False):
            order = (rows[rows["index"] == rows["index"].iloc[-1]]
                     .sort_values("value")["parameter"].tolist())
            figure = go.Figure()
            for i, (index, part) in enumerate(rows.groupby("index", sort=False)):
                part = part.set_index("parameter").loc[order]
                figure.add_trace(go.Bar(x=part["value"], y=order, orientation="h", name=index,
                                        marker={"color": COLOURS[i]},
                                        error_x={"type": "data", "array": part["conf"]}))
            if kind == "morris":
                figure.update_xaxes(**display.axis(outcome))
            figure.update_layout(title=f"{display.title(outcome)}: {scenario}", barmode="group",
                                 height=140 + 28 * len(order))
            page.figure(figure)
        flagged = indices.assign(flags=[", ".join(f) for f in _flags(indices)])
        rows = []
        for (scenario, outcome, parameter), part in flagged.groupby(
                ["scenario", "outcome", "parameter"], sort=False):
            row = {"scenario": scenario, "outcome": _label(outcome), "parameter": parameter}
            for r in part.itertuples():
                row[r.index] = (f"{self._index_value(outcome, r.index, r.value)}\u00a0±\u00a0"
                                f"{self._index_value(outcome, r.index, abs(r.conf))}")
            row["warning"] = "; ".join(f"{r.index}: {r.flags}" for r in part.itertuples()
                                       if r.flags)
            rows.append(row)
        page.table(pd.DataFrame(rows))

    def equity(self) -> None:
        page, sweep = self.page, self.sweep
        page.text("Who carries the unpaid load: equity by arm", "h2")
        page.text("Shares of unpaid hours carried by women and by ethnic-minority residents "
                  "(dotted: their share of adults), and the Gini of unpaid hours among carers "
                  f"(0 equal, 1 one carries all). Means with {CONFIDENCE:.0%} CIs.")
        metrics = [*EQUITY, *EQUITY_REFERENCE.values()]
        stats = sweep.arm_stats(metrics)
        figure = make_subplots(rows=1, cols=len(EQUITY),
                               subplot_titles=[display.title(m) for m in EQUITY])
        for col, metric in enumerate(EQUITY, start=1):
            rows = stats[stats["outcome"] == metric]
            if self.many:
                scenarios = [sweep.arms[a]["scenario"] for a in rows["arm"]]
                figure.add_trace(go.Box(x=scenarios, y=rows["mean"], showlegend=False,
                                        marker={"color": COLOURS[0]}), row=1, col=col)
            else:
                figure.add_trace(go.Bar(
                    x=[sweep.label(a) for a in rows["arm"]], y=rows["mean"], showlegend=False,
                    error_y={"type": "data", "array": rows["half_width"].fillna(0)},
                    hovertemplate=display.hover(metric) + "<extra>%{x}</extra>",
                    marker={"color": COLOURS[col - 1]}), row=1, col=col)
            figure.update_yaxes(**display.axis(metric), row=1, col=col)
            if metric in EQUITY_REFERENCE:
                reference = stats[stats["outcome"] == EQUITY_REFERENCE[metric]]["mean"].mean()
                figure.add_hline(y=reference, line={"color": "grey", "dash": "dot"}, row=1,
                                 col=col)
        figure.update_xaxes(tickangle=0 if self.many else -30, automargin=True)
        figure.update_layout(title="Equity of the unpaid load" + (
            " over the design's points" if self.many else " by arm"), height=480)
        page.figure(figure, top=90)  # the title above the panels' own titles
        if self.many:
            return
        table = pd.DataFrame({"arm": [sweep.label(a) for a in range(len(sweep.arms))]})
        for metric in EQUITY:
            rows = stats[stats["outcome"] == metric].set_index("arm")
            table[display.title(metric)] = [
                f"{display.value(metric, rows.loc[a, 'mean'])} "
                f"{_plus_minus(metric, rows.loc[a, 'half_width'])}".strip()
                if a in rows.index else "–" for a in range(len(sweep.arms))]
        page.table(table)


def _series(names: list[str]) -> str:
    """Names as a sentence lists them: "a, b and c"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _levers(values: dict[str, Any]) -> str:
    """Parameters as people read them: ``peer_scheme = true, risk_aversion = 0.2``."""
    def shown(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return provenance.shown(value)

    return ", ".join(f"{k} = {shown(v)}" for k, v in values.items())


def _flags(indices: pd.DataFrame) -> list[list[str]]:
    """Each index's reliability problems: S1 above ST, a negative S1, wide bounds."""
    total = {(r.scenario, r.outcome, r.parameter): r.value
             for r in indices[indices["index"] == "ST"].itertuples()}
    flags = []
    for r in indices.itertuples():
        found = []
        if r.index == "S1":
            st = total.get((r.scenario, r.outcome, r.parameter))
            if st is not None and r.value > st:
                found.append("S1 above ST")
            if r.value < 0:
                found.append("negative")
        if r.index in ("S1", "ST") and r.value > 1:
            found.append("above 1")
        if r.index in ("S1", "ST") and r.conf > WIDE_INDEX_BOUND:
            found.append("wide bounds")
        if r.index == "mu_star" and r.value > 0 and r.conf > 0.5 * r.value:
            found.append("wide bounds")
        flags.append(found)
    return flags


def index_warnings(indices: pd.DataFrame, design: dict[str, Any]) -> list[str]:
    """Plain warnings where sensitivity indices cannot be trusted at this sample size.

    S1 above ST, a negative S1 and an index above 1 are impossible for the true indices
    (a parameter cannot explain more alone than with its interactions, less than
    nothing, or more than all of the variance); the estimates show them when the sample
    is too small. Bounds wider than
    :data:`WIDE_INDEX_BOUND` either side of a share of variance (or half of a mu*) say
    the ranking is not settled.
    """
    flags = _flags(indices)
    counts: dict[str, int] = {}
    for found in flags:
        for flag in found:
            counts[flag] = counts.get(flag, 0) + 1
    if not counts:
        return []
    samples = design.get("samples", "?")
    said = {"S1 above ST": "first-order index (S1) above its total index (ST), which is "
                           "impossible for the true indices",
            "negative": "negative first-order index, which is impossible for the true index",
            "above 1": "index above 1, more than the whole variance, which is impossible",
            "wide bounds": "95% bound wider than "
                           + (f"±{WIDE_INDEX_BOUND:g}" if design.get("kind") != "morris"
                              else "half of mu*")}
    warnings = [f"{n} of {len(flags)} indices: {said[flag]}." for flag, n in counts.items()]
    warnings.append(f"These come from too small a sample ({samples} base samples): read "
                    "the ranking of the largest indices only, and rerun with more samples "
                    "(design.samples) before quoting a value.")
    return warnings


def interaction_sentence(outcome: str, row: pd.Series) -> str:
    """Whether the whole beats the sum of its parts for one outcome, in plain words."""
    parts = row["first_effect"] + row["second_effect"]
    said = (f"together the two change it by {display.change(outcome, row['both_effect'])}, "
            f"against {display.change(outcome, parts)} from each alone added up")
    if not math.isfinite(row["half_width"]):
        return f"{_label(outcome)}: {said}; too few replicates for a confidence interval."
    ci = (f"interaction {display.change(outcome, row['interaction'])}, 95% CI "
          f"{display.interval(outcome, row['low'], row['high'], difference=True)}")
    if row["low"] <= 0 <= row["high"]:
        return (f"{_label(outcome)}: no evidence that the whole differs from the sum of its "
                f"parts; {said} ({ci}, which includes zero).")
    if outcome in LOWER_IS_BETTER or outcome in HIGHER_IS_BETTER:
        better = (row["interaction"] < 0) == (outcome in LOWER_IS_BETTER)
        verdict = "the whole beats the sum of its parts" if better \
            else "the whole falls short of the sum of its parts"
    else:
        verdict = ("the whole is larger than the sum of its parts" if row["interaction"] > 0
                   else "the whole is smaller than the sum of its parts")
    return f"{_label(outcome)}: {verdict}; {said} ({ci})."


SECTIONS = ("header", "findings", "methods", "arms_table", "validation", "precision",
            "ribbons", "paired", "interactions", "drivers", "equity")

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em;
     border-bottom: 1px solid #ddd; }
p.lead { font-size: 1.05em; } p.stamp { color: #666; font-size: 0.85em; }
table.numbers { border-collapse: collapse; font-size: 0.88em; margin: 1em 0; }
table.numbers th, table.numbers td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee;
                                     text-align: right; vertical-align: top; }
table.numbers th:first-child, table.numbers td:first-child { text-align: left; }
table.text { border-collapse: collapse; font-size: 0.88em; margin: 1em 0; }
table.text th, table.text td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee;
                               text-align: left; vertical-align: top; }
table.findings td.better { background: #e3f4e3; } table.findings td.worse {
    background: #fbe3e1; } table.findings td.clear { background: #eaf0fa; }
table.findings td.unclear { color: #777; }
td small { color: #666; }
ul.findings li, ul.verdicts li { margin-bottom: 0.5em; }
.warning { background: #fff4e0; border-left: 4px solid #e69500; padding: 0.4em 0.8em; }
pre { background: #f5f5f5; padding: 0.6em; white-space: pre-wrap; word-break: break-all; }
"""


def build_report(sweep: Sweep, progress: Callable[[int, int], None] | None = None) -> str:
    """The report's HTML.

    Args:
        sweep: The opened sweep folder.
        progress: Called as ``progress(section, sections)`` as sections are built.
    """
    page = _Page()
    report = _Report(sweep, page)
    for done, section in enumerate(SECTIONS, start=1):
        getattr(report, section)()
        if progress is not None:
            progress(done, len(SECTIONS))
    title = html.escape(sweep.manifest.get("title") or "Sweep report")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"generator\" content=\"{html.escape(provenance.describe())}\">"
            f"<title>{title}</title><style>{STYLE}</style></head><body>\n"
            f"{''.join(page.parts)}\n</body></html>\n")


def write_report(folder: str | Path, out: Path, csv: Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Build the report of a sweep folder into ``out`` (and its run summaries into ``csv``).

    Raises:
        SweepFolderError: The folder holds no readable sweep.
        OSError: An output cannot be written.
    """
    from simulation.results import atomic_write

    sweep = Sweep(folder)
    text = build_report(sweep, progress)
    atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if csv is not None:
        atomic_write(csv, lambda tmp: sweep.write_csv(tmp))
    return sweep
