"""Reusable Solara components: a plotly figure that updates in place, and parameter inputs.

:func:`LiveFigure` exists for speed. Replacing a figure's traces (as a fresh figure
widget would) sends every point again — at 2,000 residents the town's ties alone are
60,000 coordinates — so instead each update is applied trace by trace to the same
``FigureWidget``, whose restyle messages carry only the values that changed: after a
step the browser receives the residents' new colours and the new day's points, not the
whole town.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import solara
from ipyvuetify.components import ExpansionPanelText, ExpansionPanelTitle

from simulation.params import SPECS

# Below this many steps a slider's handle skips values a scenario may set.
_MAX_SLIDER_STEPS = 100_000


class Drawn:
    """A figure handed to components by identity.

    Solara compares a component's arguments to decide whether to redraw it, and two
    plotly figures compare by serialising both — a second per comparison for the town.
    A new ``Drawn`` is simply a new figure.
    """

    __slots__ = ("fig",)

    def __init__(self, fig: go.Figure) -> None:
        self.fig = fig


def same_value(a: Any, b: Any) -> bool:
    """Whether two figure property values are equal (arrays by content, NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def update_figure_widget(widget: go.FigureWidget, fig: go.Figure,
                         shown: dict[str, Any] | None) -> dict[str, Any]:
    """Make ``widget`` show ``fig``, sending only what changed; return what it now shows.

    Args:
        widget: The figure widget in the page.
        fig: The figure to show.
        shown: What this function last returned for the widget (``None`` at first).

    When the traces match what is shown (same types and names in order), only the
    changed properties of each trace and the changed layout keys go to the browser;
    otherwise (a map whose edges were switched off) all traces are replaced.
    """
    new = fig.to_plotly_json()
    old = shown or {"data": [], "layout": {}}
    if [(t["type"], t.get("name")) for t in old["data"]] != \
            [(t["type"], t.get("name")) for t in new["data"]]:
        with widget.batch_update():
            widget.data = ()
            widget.add_traces(fig.data)
            widget.layout = fig.layout
        return new
    # One message for everything: the browser redraws the whole plot once per message.
    changed = [index for index, (before, after) in enumerate(zip(old["data"], new["data"],
                                                                  strict=True))
               if before.keys() != after.keys()
               or not all(same_value(before[key], after[key]) for key in after)]
    keys = sorted({key for index in changed for key in new["data"][index]
                   if not same_value(old["data"][index].get(key), new["data"][index][key])})
    restyle = {key: [new["data"][index].get(key) for index in changed] for key in keys}
    relayout = {key: value for key, value in new["layout"].items()
                if key != "template" and not same_value(old["layout"].get(key), value)}
    if restyle or relayout:
        widget.plotly_update(restyle_data=restyle, relayout_data=relayout,
                             trace_indexes=changed)
    return new


@solara.component
def LiveFigure(drawn: Drawn):  # noqa: N802 - Solara components are named like classes
    """Show a plotly figure, updating the same widget in place when ``drawn`` changes."""
    element = go.FigureWidget.element()
    shown = solara.use_ref(None)

    def apply() -> None:
        shown.current = update_figure_widget(solara.get_widget(element), drawn.fig,
                                             shown.current)

    solara.use_effect(apply, [drawn])
    return element


@solara.component
def Chart(drawn: Drawn, name: str):  # noqa: N802
    """A figure with its exports: PNG from the plot's camera button, HTML as a download."""
    with solara.Column(gap="0px", classes=["carecap-chart"]):
        LiveFigure(drawn)
        with solara.Row(justify="end"):
            solara.FileDownload(lambda: drawn.fig.to_html(include_plotlyjs=True).encode(),
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
    label = _label(name)
    with solara.Column(gap="0px", classes=["carecap-param"]):
        if spec.type is bool:
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        elif spec.type is int:
            solara.SliderInt(label=label, value=int(value), min=int(spec.low),
                             max=int(spec.high), on_value=on_value, thumb_label=True)
        else:
            step = slider_step(spec.low, spec.high, spec.default)
            # Rounded to the step: keyboard steps add up to 0.39999999999999997.
            digits = max(0, -math.floor(math.log10(step)))
            solara.SliderFloat(label=label, value=float(value), min=spec.low, max=spec.high,
                               step=step, on_value=lambda x: on_value(round(x, digits)),
                               thumb_label=True)
        shown = "on" if value is True else "off" if value is False else f"{value:g}"
        # The value is also in words under the control: a slider's position alone is hard to
        # read, and "changed" says it differs from the scenario's own value.
        solara.Text(f"{'● changed: ' if changed else ''}{shown} {spec.unit} — {spec.help}",
                    style={"font-size": "0.78em", "color": "#b35900" if changed else "#555"})


def tag(name: str, *children: Any, cls: str = "", style: str = "", **attributes: str):
    """An HTML element whose text children are shown as text (never parsed as HTML).

    Used instead of ``solara.HTML``, which shows nothing with ipyvue 3, and of
    ``solara.Markdown``, which loads Mermaid and KaTeX from the CDN on every page.
    """
    return solara.v.Html(tag=name, children=list(children), class_=cls, style_=style,
                         attributes=attributes)


@solara.component
def Prose(heading: str = "", text: str = "", items: tuple[str, ...] = (),  # noqa: N802
          ordered: bool = False):
    """A heading, a paragraph and a list."""
    with solara.v.Html(tag="div", style_="font-size: 0.92em"):
        if heading:
            tag("b", heading)
        if text:
            tag("p", text, style="margin: 4px 0")
        if items:
            tag("ol" if ordered else "ul", *(tag("li", item) for item in items),
                style="margin: 4px 0 8px 18px")


@solara.component
def Section(title: str, children: list | None = None, expanded: bool = False):  # noqa: N802
    """A collapsible section that stays as the user left it when its parent redraws.

    Not ``solara.Details``: with ipyvuetify 3 it does not learn that the user opened it,
    so the next redraw of its parent (every parameter change) closes it again.
    """
    is_open = solara.use_reactive(expanded)
    with (solara.v.ExpansionPanels(v_model=["open"] if is_open.value else [], multiple=True,
                                   on_v_model=lambda opened: is_open.set("open" in opened)),
          solara.v.ExpansionPanel(value="open")):
        ExpansionPanelTitle(children=[title])
        # Closed sections render nothing: each redraw walks the whole page, and sixty
        # parameter controls would make every step of the model slower.
        ExpansionPanelText(children=(children or []) if is_open.value else [])
