"""The pictures of a calibration: the targets against the model, and the parameters' spread.

``fit.html`` opens offline (plotly's JavaScript is in the page). The first figure has a
row per target: its band (shaded), the published figure (a line), every setting tried
(grey: ruled out; light: plausible) and the ensemble's members (dark, with two standard
errors of their replicate means). The second shows each pair of fitted parameters, the
settings tried coloured the same way, the members dark, and known values (a recovery
check) as a star.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from simulation.calibrate import Evaluation, Result

RULED_OUT, PLAUSIBLE, MEMBER, TRUTH = "#c8c8c8", "#9ecae1", "#08519c", "#d62728"
STYLE = ("body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; "
         "color: #222; } p { line-height: 1.45; }")


def fit_page(result: Result, made_by: str = "") -> str:
    """The HTML page: a heading, what was done, the two figures and what made it.

    Args:
        result: The calibration.
        made_by: A closing line saying what made the page (version, commit, date, command).
    """
    c = result.calibration
    plausible = sum(e.plausible for e in result.evaluations)
    intro = (f"{c.title}. History matching of {', '.join(c.bounds)} to "
             f"{', '.join(t.key for t in c.targets)}: {len(result.evaluations)} settings in "
             f"{c.waves} waves, each run with {c.replicates} seeds of {c.residents:,} "
             f"residents for {c.days} days; {plausible} plausible (largest implausibility "
             f"3 or less), {len(result.members)} kept as the ensemble.")
    sources = "".join(f"<li>{html.escape(t.key)}: {html.escape(t.published)} "
                      f"({html.escape(t.source)}). {html.escape(t.why)}</li>"
                      for t in c.targets)
    figures = [_targets_figure(result), _spread_figure(result)]
    parts = [figure.to_html(full_html=False, include_plotlyjs=k == 0, div_id=f"figure-{k}")
             for k, figure in enumerate(figures)]
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(c.title)}</title><style>{STYLE}</style></head><body>\n"
            f"<h1>{html.escape(c.title)}</h1><p>{html.escape(intro)}</p><ul>{sources}</ul>"
            f"<h2>Targets against the model</h2>{parts[0]}"
            f"<h2>The parameters' spread</h2>{parts[1]}"
            f"<p class=\"stamp\">{html.escape(made_by)}</p></body></html>\n")


def _kind(result: Result, e: Evaluation) -> str:
    return "member" if any(e is m for m in result.members) else \
        "plausible" if e.plausible else "ruled out"


def _targets_figure(result: Result) -> go.Figure:
    c = result.calibration
    figure = make_subplots(rows=len(c.targets), cols=1,
                           subplot_titles=[t.key for t in c.targets], vertical_spacing=0.22)
    for row, t in enumerate(c.targets, start=1):
        scale = 100.0 if t.unit == "share" else 1.0
        for kind, colour in (("ruled out", RULED_OUT), ("plausible", PLAUSIBLE),
                             ("member", MEMBER)):
            chosen = [e for e in result.evaluations if _kind(result, e) == kind]
            if not chosen:
                continue
            errors = [2 * e.sds[t.key] / math.sqrt(c.replicates) * scale for e in chosen]
            figure.add_trace(go.Scatter(
                x=[e.means[t.key] * scale for e in chosen],
                y=np.linspace(-0.4, 0.4, len(chosen)) + {"ruled out": 0, "plausible": 1,
                                                        "member": 2}[kind],
                mode="markers", marker={"color": colour, "size": 6},
                error_x={"type": "data", "array": errors, "visible": kind == "member",
                         "color": colour},
                name=kind, legendgroup=kind, showlegend=row == 1,
                hovertext=[", ".join(f"{k} {v:.4g}" for k, v in e.values.items())
                           for e in chosen]), row=row, col=1)
        # After the traces: plotly leaves shapes off subplots that have no data yet.
        figure.add_vrect(x0=t.low * scale, x1=t.high * scale, fillcolor="#fdd49e",
                         opacity=0.5, line_width=0, layer="below", row=row, col=1)
        figure.add_vline(x=t.value * scale, line_color="#d94801", row=row, col=1)
        figure.update_yaxes(tickvals=[0, 1, 2], ticktext=["ruled out", "plausible", "members"],
                            row=row, col=1)
        figure.update_xaxes(title_text=("%" if t.unit == "share" else "ratio")
                            + " (band shaded, published figure as a line)", row=row, col=1)
    figure.update_layout(height=260 * len(c.targets) + 80, template=None,
                         plot_bgcolor="white", margin={"t": 40, "b": 40})
    return figure


def _spread_figure(result: Result) -> go.Figure:
    c = result.calibration
    names = list(c.bounds)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]] or [(names[0], None)]
    figure = make_subplots(rows=1, cols=len(pairs),
                           subplot_titles=[f"{b} against {a}" if b else a for a, b in pairs])
    for col, (a, b) in enumerate(pairs, start=1):
        for kind, colour in (("ruled out", RULED_OUT), ("plausible", PLAUSIBLE),
                             ("member", MEMBER)):
            chosen = [e for e in result.evaluations if _kind(result, e) == kind]
            if not chosen:
                continue
            figure.add_trace(go.Scatter(
                x=[e.values[a] for e in chosen],
                y=[e.values[b] for e in chosen] if b else [e.worst for e in chosen],
                mode="markers", marker={"color": colour, "size": 6 if kind != "member" else 9},
                name=kind, legendgroup=kind, showlegend=col == 1), row=1, col=col)
        if result.truth:
            figure.add_trace(go.Scatter(
                x=[result.truth[a]], y=[result.truth[b]] if b else [0.0], mode="markers",
                marker={"color": TRUTH, "symbol": "star", "size": 16}, name="known value",
                showlegend=col == 1), row=1, col=col)
        figure.update_xaxes(title_text=a, range=list(c.bounds[a]), row=1, col=col)
        figure.update_yaxes(title_text=b or "largest implausibility",
                            range=list(c.bounds[b]) if b else None, row=1, col=col)
    figure.update_layout(height=460, template=None, plot_bgcolor="white",
                         margin={"t": 40, "b": 40})
    return figure
