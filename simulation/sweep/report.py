"""``carecap report``: one self-contained HTML file from a sweep folder.

Sections: how sure we are (each headline outcome's 95% CI half-width and replicates per
arm), daily ribbons (mean and 95% CI per arm), paired differences against the reference
arm (arm 0), the interaction of any 2x2 factorial with a sentence saying whether the
whole beats the sum of its parts, SALib sensitivity indices for sampled designs, and the
equity metrics by arm. Plotly's JavaScript is embedded once, so the file opens offline.

Designs with many arms (sampled points) are summarised rather than drawn arm by arm:
their daily metrics as the spread over every run, the equity metrics as the spread over
points, and what drives the outcomes as sensitivity indices.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.metrics import BY_NAME
from simulation.sweep.analysis import CONFIDENCE, Sweep

MAX_ARMS_DRAWN = 12
EQUITY = ("unpaid_share_women", "unpaid_share_minority", "unpaid_gini")
EQUITY_REFERENCE = {"unpaid_share_women": "population_share_women",
                    "unpaid_share_minority": "population_share_minority"}
# Which way is better, for the interaction sentence; outcomes not listed are described
# as larger or smaller, without a verdict.
LOWER_IS_BETTER = {
    "admissions", "readmissions_30d", "readmission_rate_30d", "bed_days", "delayed_bed_days",
    "unmet_hours", "carers_strained", "carers_burnt_out", "staff_attrition",
    "staff_vacancies", "decision_wait_days", "decision_delay_days", "decisions_waiting",
    "lonely_share", "cost_bed_days", "cost_professional", "cost_paid_care", "cost_total",
    "unpaid_gini"}
HIGHER_IS_BETTER = {"staff_morale", "client_wellbeing"}
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939")


def build_report(sweep: Sweep, progress: Callable[[int, int], None] | None = None) -> str:
    """The report's HTML.

    Args:
        sweep: The opened sweep folder.
        progress: Called as ``progress(section, sections)`` as sections are built.
    """
    sections = [_header, _precision, _ribbons, _differences, _interactions, _sensitivity,
                _equity]
    page = _Page()
    for done, section in enumerate(sections, start=1):
        section(sweep, page)
        if progress is not None:
            progress(done, len(sections))
    title = html.escape(sweep.manifest.get("title", "Sweep report"))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{STYLE}</style></head><body>\n"
            f"{''.join(page.parts)}\n</body></html>\n")


class _Page:
    """The parts of the page in order; the first figure carries plotly's JavaScript."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figures = 0

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, text: str, tag: str = "p") -> None:
        self.parts.append(f"<{tag}>{html.escape(text)}</{tag}>\n")

    def figure(self, figure: go.Figure, top: int = 50) -> None:
        # Plain styling: a named template is deep-copied into every figure, which is slow.
        figure.update_layout(template=None, plot_bgcolor="white", margin={"t": top, "b": 40})
        figure.update_xaxes(gridcolor="#eee", zerolinecolor="#ccc")
        figure.update_yaxes(gridcolor="#eee", zerolinecolor="#ccc", automargin=True)
        self.figures += 1
        self.parts.append(figure.to_html(full_html=False, include_plotlyjs=self.figures == 1,
                                         div_id=f"figure-{self.figures}"))

    def table(self, table: pd.DataFrame) -> None:
        self.parts.append(table.to_html(index=False, border=0, classes="numbers",
                                        na_rep="–", escape=True))


def _unit(outcome: str) -> str:
    return BY_NAME[outcome].unit if outcome in BY_NAME else ""


def _fmt(value: float, outcome: str, difference: bool = False) -> str:
    """A value for people: shares as percentages (percentage points for differences)."""
    if value is None or not math.isfinite(value):
        return "–"
    if _unit(outcome) == "share":
        return f"{value * 100:+.2f} pp" if difference else f"{value * 100:.2f}%"
    sign = "+" if difference else ""
    return f"{value:{sign},.4g}" if abs(value) < 1000 else f"{value:{sign},.0f}"


def _many_arms(sweep: Sweep) -> bool:
    return len(sweep.arms) > MAX_ARMS_DRAWN


def _header(sweep: Sweep, page: _Page) -> None:
    m = sweep.manifest
    page.text(m.get("title", "Sweep report"), "h1")
    if m.get("description"):
        page.text(" ".join(m["description"].split()))
    planned = len(m.get("runs", []))
    design = sweep.design.get("kind", "scenarios")
    page.text(f"Experiment {m.get('experiment')}: {len(sweep.arms)} arms ({design}) x "
              f"{m.get('replicates')} replicates, {m.get('residents'):,} residents, "
              f"{m.get('days')} days, seeds from {m.get('root_seed')}. Runs finished: "
              f"{sweep.runs_finished} of {planned}; failed: {sweep.runs_failed}. Replicate r "
              "of every arm uses the same seed, so arm differences are paired.")
    if not _many_arms(sweep):
        page.add("<ol start=\"0\">" + "".join(
            f"<li>{html.escape(sweep.label(a))}</li>" for a in range(len(sweep.arms)))
            + "</ol>\n")


def _precision(sweep: Sweep, page: _Page) -> None:
    page.text("How sure are we: 95% CI half-widths", "h2")
    page.text("Each cell is the arm's mean over replicates, ± the half-width of its 95% "
              "confidence interval, and the replicates (n). Halving a half-width takes "
              "about four times the replicates; `carecap sweep FILE --precision "
              "OUTCOME=HALF_WIDTH` adds replicates until every arm reaches it.")
    stats = sweep.arm_stats(sweep.outcomes)
    if _many_arms(sweep):
        grouped = stats.groupby("outcome", sort=False)
        table = pd.DataFrame({
            "outcome": list(grouped.groups),
            "arms": grouped["arm"].count().to_numpy(),
            "replicates (fewest)": grouped["n"].min().to_numpy(),
            "median half-width": [_fmt(v, o) for o, v in grouped["half_width"].median().items()],
            "largest half-width": [_fmt(v, o) for o, v in grouped["half_width"].max().items()],
        })
    else:
        table = stats.assign(cell=[
            f"{_fmt(r.mean, r.outcome)} ± {_fmt(r.half_width, r.outcome)} (n={r.n})"
            for r in stats.itertuples()])
        table = table.pivot(index="outcome", columns="arm", values="cell")
        table = table.reindex(sweep.outcomes)
        table.columns = [sweep.label(a) for a in table.columns]
        table = table.reset_index()
    page.table(table)


def _ribbons(sweep: Sweep, page: _Page) -> None:
    page.text("Daily metrics", "h2")
    if _many_arms(sweep):
        page.text("The line is the mean over every run of the scenario, the band the "
                  "middle 95% of runs: the spread the design's parameter ranges produce.")
    else:
        page.text(f"Mean over replicates per arm, with its {CONFIDENCE:.0%} confidence band.")
    for outcome in sweep.outcomes:
        figure = go.Figure()
        if _many_arms(sweep):
            data = sweep.spread(outcome)
            groups = [(name, rows) for name, rows in data.groupby("scenario", sort=False)]
        else:
            data = sweep.ribbons(outcome)
            groups = [(sweep.label(a), rows) for a, rows in data.groupby("arm")]
        for i, (name, rows) in enumerate(groups):
            colour = COLOURS[i % len(COLOURS)]
            band = rows.dropna(subset=["low", "high"])
            figure.add_trace(go.Scatter(
                x=list(band["day"]) + list(band["day"])[::-1],
                y=list(band["high"]) + list(band["low"])[::-1], fill="toself",
                fillcolor=colour, opacity=0.2, line={"width": 0}, hoverinfo="skip",
                showlegend=False, legendgroup=name))
            figure.add_trace(go.Scatter(x=rows["day"], y=rows["mean"], name=name,
                                        line={"color": colour}, legendgroup=name))
        figure.update_layout(title=f"{outcome} ({_unit(outcome)}) by day", height=380,
                             xaxis_title="day", yaxis_title=_unit(outcome))
        page.figure(figure)


def _differences(sweep: Sweep, page: _Page) -> None:
    if len(sweep.arms) < 2:
        return
    page.text(f"Paired differences against the reference arm ({sweep.label(0)})", "h2")
    if _many_arms(sweep):
        page.text("Not drawn arm by arm for a design of this many points: see the "
                  "sensitivity indices, and the CSV export for every run.")
        return
    page.text("Each arm minus the reference, replicate by replicate (same seed), then "
              f"averaged, with its {CONFIDENCE:.0%} CI; a CI that excludes zero is a "
              "difference the replicates can tell apart from noise.")
    diffs = sweep.paired_differences(sweep.outcomes)
    height = 100 + (90 + 26 * (len(sweep.arms) - 1)) * len(sweep.outcomes)
    figure = make_subplots(rows=len(sweep.outcomes), cols=1, subplot_titles=sweep.outcomes,
                           vertical_spacing=70 / height)
    for i, outcome in enumerate(sweep.outcomes, start=1):
        rows = diffs[diffs["outcome"] == outcome]
        figure.add_trace(go.Scatter(
            x=rows["difference"], y=[sweep.label(a) for a in rows["arm"]], mode="markers",
            error_x={"type": "data", "array": rows["half_width"].fillna(0)},
            marker={"color": COLOURS[0]}, showlegend=False), row=i, col=1)
        figure.add_vline(x=0, line={"color": "grey", "dash": "dot"}, row=i, col=1)
    figure.update_layout(title="Difference from the reference arm (95% CI)", height=height)
    page.figure(figure)
    table = diffs.assign(
        arm=[sweep.label(a) for a in diffs["arm"]],
        difference=[_fmt(v, o, True) for v, o in zip(diffs["difference"], diffs["outcome"],
                                                     strict=True)],
        ci=[f"{_fmt(lo, o, True)} to {_fmt(hi, o, True)}" for lo, hi, o in
            zip(diffs["low"], diffs["high"], diffs["outcome"], strict=True)])
    page.table(table[["outcome", "arm", "n", "difference", "ci"]].rename(
        columns={"ci": "95% CI", "n": "pairs"}))


def interaction_sentence(outcome: str, row: pd.Series) -> str:
    """Whether the whole beats the sum of its parts for one outcome, in plain words."""
    parts = row["first_effect"] + row["second_effect"]
    both = row["both_effect"]
    said = (f"together they change {outcome} by {_fmt(both, outcome, True)}, against "
            f"{_fmt(parts, outcome, True)} from the two parts added")
    if not math.isfinite(row["half_width"]):
        return f"For {outcome}, {said}; too few replicates for a confidence interval."
    ci = (f"interaction {_fmt(row['interaction'], outcome, True)}, 95% CI "
          f"{_fmt(row['low'], outcome, True)} to {_fmt(row['high'], outcome, True)}")
    if row["low"] <= 0 <= row["high"]:
        return (f"For {outcome}, no evidence that the whole differs from the sum of its "
                f"parts: {said} ({ci}, which includes zero).")
    if outcome in LOWER_IS_BETTER or outcome in HIGHER_IS_BETTER:
        better = (row["interaction"] < 0) == (outcome in LOWER_IS_BETTER)
        verdict = "the whole beats the sum of its parts" if better \
            else "the whole falls short of the sum of its parts"
    else:
        verdict = ("the whole is larger than the sum of its parts" if row["interaction"] > 0
                   else "the whole is smaller than the sum of its parts")
    return f"For {outcome}, {verdict}: {said} ({ci})."


def _interactions(sweep: Sweep, page: _Page) -> None:
    squares = sweep.manifest.get("squares") or []
    if not squares:
        return
    page.text("Is the whole greater than the sum of its parts?", "h2")
    page.text("In a 2x2 factorial the interaction is both − first only − second only + "
              "base, computed replicate by replicate: zero when the two effects simply add.")
    for square in squares:
        labels = [sweep.label(square[k]) for k in ("base", "first_only", "second_only",
                                                     "both")]
        page.text(f"{square['first']} x {square['second']}", "h3")
        page.text(f"Base: {labels[0]}; first only: {labels[1]}; second only: {labels[2]}; "
                  f"both: {labels[3]}.")
        table = sweep.interaction(square, sweep.outcomes)
        if table.empty:
            page.text("Not every arm of this square has finished runs.")
            continue
        page.add("<ul class=\"verdicts\">" + "".join(
            f"<li>{html.escape(interaction_sentence(r.outcome, r))}</li>"
            for _, r in table.iterrows()) + "</ul>\n")
        shown = pd.DataFrame({
            "outcome": table["outcome"], "pairs": table["n"],
            square["first"]: [_fmt(v, o, True) for v, o in zip(table["first_effect"],
                                                               table["outcome"], strict=True)],
            square["second"]: [_fmt(v, o, True) for v, o in zip(table["second_effect"],
                                                                table["outcome"], strict=True)],
            "both": [_fmt(v, o, True) for v, o in zip(table["both_effect"], table["outcome"],
                                                      strict=True)],
            "interaction": [_fmt(v, o, True) for v, o in zip(table["interaction"],
                                                             table["outcome"], strict=True)],
            "95% CI": [f"{_fmt(lo, o, True)} to {_fmt(hi, o, True)}" for lo, hi, o in
                       zip(table["low"], table["high"], table["outcome"], strict=True)]})
        page.table(shown)


def _sensitivity(sweep: Sweep, page: _Page) -> None:
    indices, notes = sweep.sensitivity(sweep.outcomes)
    if indices.empty and not notes:
        return
    kind = sweep.design["kind"]
    page.text("What drives the outcomes: sensitivity indices", "h2")
    page.text({
        "sobol": "Sobol indices (SALib, Saltelli sampling): S1 is the share of the "
                 "outcome's variance due to the parameter alone, ST its share including "
                 "interactions with the others. Error bars: 95% bootstrap bounds.",
        "morris": "Morris screening (SALib): mu* is the mean absolute elementary effect, in "
                  "the outcome's unit, per move across the parameter's range grid. Error "
                  "bars: 95% bootstrap bounds.",
        "latin_hypercube": "First-order indices estimated from the Latin hypercube by "
                           "RBD-FAST (SALib): the share of the outcome's variance due to the "
                           "parameter alone. Error bars: 95% bootstrap bounds."}[kind])
    for note in notes:
        page.text(note)
    if indices.empty:
        return
    for (scenario, outcome), rows in indices.groupby(["scenario", "outcome"], sort=False):
        order = (rows[rows["index"] == rows["index"].iloc[-1]]
                 .sort_values("value")["parameter"].tolist())
        figure = go.Figure()
        for i, (index, part) in enumerate(rows.groupby("index", sort=False)):
            part = part.set_index("parameter").loc[order]
            figure.add_trace(go.Bar(x=part["value"], y=order, orientation="h", name=index,
                                    marker={"color": COLOURS[i]},
                                    error_x={"type": "data", "array": part["conf"]}))
        figure.update_layout(title=f"{outcome} ({scenario})", barmode="group",
                             height=140 + 28 * len(order))
        page.figure(figure)
    table = indices.pivot_table(index=["scenario", "outcome", "parameter"], columns="index",
                                values=["value", "conf"]).reset_index()
    table.columns = [" ".join(c for c in reversed(col) if c).strip()
                     if isinstance(col, tuple) else col for col in table.columns]
    page.table(table.round(4))


def _equity(sweep: Sweep, page: _Page) -> None:
    page.text("Who carries the unpaid load: equity by arm", "h2")
    page.text("Shares of unpaid hours carried by women and by ethnic-minority residents "
              "(dotted: their share of adults), and the Gini of unpaid hours among carers "
              f"(0 equal, 1 one carries all). Means with {CONFIDENCE:.0%} CIs.")
    metrics = [*EQUITY, *EQUITY_REFERENCE.values()]
    stats = sweep.arm_stats(metrics)
    figure = make_subplots(rows=1, cols=len(EQUITY), subplot_titles=EQUITY)
    for col, metric in enumerate(EQUITY, start=1):
        rows = stats[stats["outcome"] == metric]
        if _many_arms(sweep):
            scenarios = [sweep.arms[a]["scenario"] for a in rows["arm"]]
            figure.add_trace(go.Box(x=scenarios, y=rows["mean"], showlegend=False,
                                    marker={"color": COLOURS[0]}), row=1, col=col)
        else:
            figure.add_trace(go.Bar(
                x=[str(a) for a in rows["arm"]], y=rows["mean"], showlegend=False,
                hovertext=[sweep.label(a) for a in rows["arm"]],
                error_y={"type": "data", "array": rows["half_width"].fillna(0)},
                marker={"color": COLOURS[col - 1]}), row=1, col=col)
        if metric in EQUITY_REFERENCE:
            reference = stats[stats["outcome"] == EQUITY_REFERENCE[metric]]["mean"].mean()
            figure.add_hline(y=reference, line={"color": "grey", "dash": "dot"}, row=1,
                             col=col)
    figure.update_layout(title="Equity of the unpaid load (x: arm number, listed at the top)"
                         if not _many_arms(sweep) else "Equity of the unpaid load over the "
                         "design's points", height=440)
    page.figure(figure, top=90)  # the title above the panels' own titles
    if not _many_arms(sweep):
        table = stats[stats["outcome"].isin(EQUITY)]
        table = table.assign(arm=[sweep.label(a) for a in table["arm"]], cell=[
            f"{_fmt(r.mean, r.outcome)} ± {_fmt(r.half_width, r.outcome)}"
            for r in table.itertuples()])
        page.table(table.pivot(index="arm", columns="outcome", values="cell")
                   .reindex([sweep.label(a) for a in range(len(sweep.arms))])
                   .reset_index())


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table.numbers { border-collapse: collapse; font-size: 0.88em; margin: 1em 0; }
table.numbers th, table.numbers td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee;
                                     text-align: right; }
table.numbers th:first-child, table.numbers td:first-child { text-align: left; }
ul.verdicts li { margin-bottom: 0.4em; }
"""


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
