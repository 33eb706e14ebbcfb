"""Reusable Solara components: a plotly figure that updates in place, and parameter inputs.

:func:`LiveFigure` exists for speed. Replacing a figure's traces (as a fresh figure
widget would) sends every point again — at 2,000 residents the town's ties alone are
60,000 coordinates — so instead each update is applied trace by trace to the same
``FigureWidget``, whose restyle messages carry only the values that changed: after a
step the browser receives the residents' new colours and the new day's points, not the
whole town.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import solara

from simulation.params import SPECS

# Below this many steps a slider's handle skips values a scenario may set.
_MAX_SLIDER_STEPS = 100_000


def update_figure_widget(widget: go.FigureWidget, fig: go.Figure) -> None:
    """Make ``widget`` show ``fig``, sending only what changed when the traces match.

    Traces match when they have the same types and names in the same order (a map whose
    edges are switched off does not); otherwise all traces are replaced.
    """
    same = [(t.type, t.name) for t in widget.data] == [(t.type, t.name) for t in fig.data]
    with widget.batch_update():
        if same:
            for old, new in zip(widget.data, fig.data, strict=True):
                old.update(new.to_plotly_json())
        else:
            widget.data = ()
            widget.add_traces(fig.data)
        widget.layout.update(fig.layout.to_plotly_json())


@solara.component
def LiveFigure(fig: go.Figure):  # noqa: N802 - Solara components are named like classes
    """Show a plotly figure, updating the same widget in place when ``fig`` changes."""
    element = go.FigureWidget.element()

    def apply() -> None:
        update_figure_widget(solara.get_widget(element), fig)

    solara.use_effect(apply, [fig])
    return element


@solara.component
def Chart(fig: go.Figure, name: str):  # noqa: N802
    """A figure with its exports: PNG from the plot's camera button, HTML as a download."""
    with solara.Column(gap="0px", classes=["carecap-chart"]):
        LiveFigure(fig)
        with solara.Row(justify="end"):
            solara.FileDownload(lambda: fig.to_html(include_plotlyjs=True).encode(),
                                filename=f"{name}.html", label="Chart as HTML",
                                mime_type="text/html")


def slider_step(low: float, high: float, default: float) -> float:
    """A round step on which both the range's start and the declared default fall."""
    step = 10.0 ** math.floor(math.log10((high - low) / 100))
    while step > 1e-9 and (high - low) / step <= _MAX_SLIDER_STEPS:
        if abs(round((default - low) / step) * step - (default - low)) < step * 1e-6:
            return step
        step /= 10
    return step


def _label(name: str) -> str:
    return name.replace("_", " ")


@solara.component
def ParamControl(name: str, value: Any, on_value: Callable[[Any], None],  # noqa: N802
                 changed: bool = False):
    """One parameter's input, generated from its declaration: range, unit and help.

    Numbers get a slider bounded by the declared range, so a value outside it cannot be
    entered; on/off parameters get a checkbox.
    """
    spec = SPECS[name]
    marker = " ●" if changed else ""
    with solara.Column(gap="0px", classes=["carecap-param"]):
        if spec.type is bool:
            solara.Checkbox(label=f"{_label(name)}{marker}", value=bool(value),
                            on_value=on_value)
        elif spec.type is int:
            solara.SliderInt(label=f"{_label(name)}{marker}", value=int(value),
                             min=int(spec.low), max=int(spec.high), on_value=on_value,
                             thumb_label=True)
        else:
            solara.SliderFloat(label=f"{_label(name)}{marker}", value=float(value),
                               min=spec.low, max=spec.high,
                               step=slider_step(spec.low, spec.high, spec.default),
                               on_value=on_value, thumb_label=True)
        shown = "on" if value is True else "off" if value is False else f"{value:g}"
        solara.Text(f"{shown} {spec.unit} — {spec.help}", style={"font-size": "0.78em",
                                                                 "color": "#555"})


@solara.component
def Prose(heading: str = "", text: str = "", items: tuple[str, ...] = (),  # noqa: N802
          ordered: bool = False):
    """A heading, a paragraph and a list, as escaped HTML.

    Not ``solara.Markdown``: that loads Mermaid and KaTeX from the CDN on every page,
    seconds of JavaScript the dashboard never uses and one more asset to ship offline.
    """
    parts = [f"<b>{html.escape(heading)}</b>"] if heading else []
    if text:
        parts.append(f"<p style='margin:4px 0'>{html.escape(text)}</p>")
    if items:
        tag = "ol" if ordered else "ul"
        parts.append(f"<{tag} style='margin:4px 0 8px 18px'>"
                     + "".join(f"<li>{html.escape(item)}</li>" for item in items)
                     + f"</{tag}>")
    solara.HTML(unsafe_innerHTML="".join(parts), style={"font-size": "0.92em"})
