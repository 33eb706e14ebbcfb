"""Reusable Solara components: a plotly figure that updates in place, and parameter inputs.

:func:`LiveFigure` exists for speed. Replacing a figure's traces sends every point again
— at 2,000 residents the town's ties alone are 60,000 coordinates — and plotly's own
``FigureWidget`` front end spends about a second per town update on its bookkeeping. So
:class:`PlotlyView` is a small anywidget that holds a plotly div: it draws a figure once
with ``Plotly.react`` and applies each step with one ``Plotly.update`` carrying only the
changed properties — the residents' new colours and the new day's points, not the town.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable
from typing import Any

import anywidget
import numpy as np
import plotly.graph_objects as go
import solara
import traitlets
from _plotly_utils.utils import to_typed_array_spec
from ipyvuetify.components import ExpansionPanelText, ExpansionPanelTitle
from plotly.io.json import to_json_plotly

from simulation.dashboard.assets import plotly_js
from simulation.dashboard.figures import Series
from simulation.inputs import whole_number
from simulation.params import SPECS

# Below this many steps a slider's handle skips values a scenario may set.
_MAX_SLIDER_STEPS = 100_000


class Drawn:
    """A figure handed to components by identity, built only when it is needed.

    Solara compares a component's arguments to decide whether to redraw it, and two
    plotly figures compare by serialising both — a second per comparison for the town.
    A new ``Drawn`` is simply a new figure. A chart of daily series also carries its
    :class:`~simulation.dashboard.figures.Series`, and the town its plain data: a chart of
    the same ``kind`` already drawn takes only what changed, and the figure is built for
    a first draw or an export.

    Args:
        figure: A function that makes the figure.
        series: The figure's title and points, for a chart of daily series.
        plain: The figure's traces and changing layout as plain, unchecked plotly data
            (``{"data": [...], "layout": {...}}``), compared with the figure shown.
        kind: What stays the same from day to day (the chart, and what it compares).
    """

    __slots__ = ("_build", "_fig", "kind", "plain", "series")

    def __init__(self, figure: Callable[[], go.Figure], *,
                 series: Series | None = None, plain: dict[str, Any] | None = None,
                 kind: Hashable = None) -> None:
        self._build = figure
        self._fig: go.Figure | None = None
        self.series = series
        self.plain = plain
        self.kind = kind

    @property
    def fig(self) -> go.Figure:
        """The figure (built on first use)."""
        if self._fig is None:
            self._fig = self._build()
        return self._fig


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


def _typed(value: Any) -> Any:
    """``value`` with its numeric arrays as plotly's base64 typed arrays.

    JSON numbers would triple the size of a step's message (2,000 residents' hover
    figures) and take the browser longer to read.
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return to_typed_array_spec(value)
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_typed(item) for item in value]
    return value


def _identity(trace: dict[str, Any]) -> tuple[str, Any]:
    return trace["type"], trace.get("uid", trace.get("name"))


def figure_update(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """The ``Plotly.update`` that turns figure ``old`` into ``new``, or ``None`` if it cannot.

    Args:
        old: The figure shown, as ``Figure.to_plotly_json()`` gives it.
        new: The figure to show, likewise.

    Returns:
        ``{"restyle": ..., "relayout": ..., "traces": ...}`` carrying only the changed
        properties of the changed traces and the changed layout keys (one message, so the
        browser redraws once); ``None`` when the traces differ in type or name (a map whose
        edges were switched off), which needs the whole figure. A trace is known by its
        ``uid`` if it has one (a name that shows a count changes), else by its name.
    """
    if [_identity(t) for t in old["data"]] != [_identity(t) for t in new["data"]]:
        return None
    changed = [index for index, (before, after) in enumerate(zip(old["data"], new["data"],
                                                                  strict=True))
               if before.keys() != after.keys()
               or not all(same_value(before[key], after[key]) for key in after)]
    keys = sorted({key for index in changed for key in new["data"][index]
                   if not same_value(old["data"][index].get(key), new["data"][index][key])})
    return {"restyle": {key: [new["data"][index].get(key) for index in changed]
                        for key in keys},
            "relayout": {key: value for key, value in new["layout"].items()
                         if key != "template" and not same_value(old["layout"].get(key), value)},
            "traces": changed}


@functools.cache
def _plotly_js() -> str:
    """The plotly.js that the Python ``plotly`` package ships (no CDN: users are offline)."""
    return plotly_js().read_text("utf-8")


# The browser side of PlotlyView. plotly.js (4.8 MB) comes once per page, not with every
# widget: the dashboard's page loads it from the server as it opens (static/custom.js);
# elsewhere the first chart asks for it over the websocket. Figures are drawn with
# Plotly.react and steps applied with Plotly.update, without FigureWidget's bookkeeping
# (a second per town update).
_ESM = """
async function loadPlotly(model) {
  if (window.carecapPlotly) await window.carecapPlotly;
  if (window.Plotly) return window.Plotly;
  return new Promise((resolve) => {
    const got = (msg) => {
      if (msg.plotly === undefined) return;
      model.off("msg:custom", got);
      if (!window.Plotly) (0, eval)(msg.plotly);
      resolve(window.Plotly);
    };
    model.on("msg:custom", got);
    model.send({ want: "plotly" });
  });
}

export default {
  async render({ model, el }) {
    const div = document.createElement("div");
    div.style.width = "100%";
    el.appendChild(div);
    const Plotly = await loadPlotly(model);
    // The camera button saves a PNG named after the chart, at twice the size for slides.
    const png = () => ({ format: "png", scale: 2, filename: model.get("filename") || "carecap" });
    const config = () => ({ responsive: true, displaylogo: false, toImageButtonOptions: png() });
    const update = () => {
      const changes = model.get("changes");
      if (!changes || !div.data) return;
      const { restyle, relayout, traces } = JSON.parse(changes);
      Plotly.update(div, restyle, relayout, traces);
    };
    const draw = () => {
      const figure = model.get("figure");
      if (!figure) return;
      const { data, layout } = JSON.parse(figure);
      Plotly.react(div, data, layout, config()).then(update);
    };
    // A new name (the day is in it) needs no redraw: the button reads it when pressed.
    const named = () => { if (div._context) div._context.toImageButtonOptions = png(); };
    model.on("change:figure", draw);
    model.on("change:changes", update);
    model.on("change:filename", named);
    // Follow the container's width: the page lays out after the first draw, and plotly's
    // own "responsive" only listens to the window.
    let width = 0;
    const resized = new ResizeObserver(([entry]) => {
      const now = Math.round(entry.contentRect.width);
      if (now === width) return;  // plotly sets the height itself; only widths matter
      width = now;
      if (div.data) Plotly.Plots.resize(div);
    });
    resized.observe(div);
    draw();
    return () => {
      resized.disconnect();
      model.off("change:figure", draw);
      model.off("change:changes", update);
      model.off("change:filename", named);
      Plotly.purge(div);
    };
  },
};
"""


class PlotlyView(anywidget.AnyWidget):
    """A plotly figure in the page, updated in place: each step sends only what changed.

    ``figure`` holds the last whole figure sent; ``changes`` one ``Plotly.update`` that
    brings it to the figure shown now. ``changes`` accumulates every property changed
    since ``figure`` (at its latest value), so a view drawn late still shows the present,
    while the town's positions, names and ties, which never change, are sent once.

    Attributes:
        shown: The figure shown, as ``Figure.to_plotly_json()`` gives it (``None`` at first).
    """

    _esm = _ESM
    figure = traitlets.Unicode("").tag(sync=True)
    changes = traitlets.Unicode("").tag(sync=True)
    filename = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shown: dict[str, Any] | None = None
        self._since: dict[str, Any] = {}
        self._kind: Hashable = None
        self.on_msg(self._answer)

    def _answer(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("want") == "plotly":
            self.send({"plotly": _plotly_js()})

    def show(self, fig: go.Figure) -> None:
        """Show ``fig``, sending the browser only what differs from the figure shown."""
        new = fig.to_plotly_json()
        update = None if self.shown is None else figure_update(self.shown, new)
        if update is None:
            self._since = {"layout": {}, "traces": {}}
            with self.hold_sync():
                self.figure = to_json_plotly({"data": new["data"], "layout": new["layout"]})
                self.changes = ""
            self.shown = new
        else:
            self._update(update, new)

    def _update(self, update: dict[str, Any], new: dict[str, Any]) -> None:
        """Send ``update`` (from :func:`figure_update`), which brings the figure to ``new``."""
        self._since["layout"].update(update["relayout"])
        for key in update["restyle"]:
            for index in update["traces"]:
                self._since["traces"].setdefault(index, set()).add(key)
        if update["traces"] or update["relayout"]:
            self.changes = to_json_plotly(_typed(self._accumulated(new)))
        self.shown = new

    def draw(self, drawn: Drawn) -> None:
        """Show ``drawn``, sending only what changed since the figure of its kind shown.

        A series sends its points and title; a figure given as plain data is compared
        with the one shown; a figure of another kind is sent whole.
        """
        if drawn.kind != self._kind or self.shown is None:
            self.shown = None  # another chart, not to be compared with this one
            self.show(drawn.fig)
            self._kind = drawn.kind
            # Later plain data are compared with plain data: plotly's checks turn arrays
            # into other types, which would all compare as changed.
            self.shown = drawn.plain or self.shown
        elif drawn.series is not None:
            series = drawn.series
            # Every trace's points and the title: all that a step of a series changes, and
            # so all that changed since the figure was sent (``shown`` is left as sent).
            self.changes = to_json_plotly(_typed({
                "restyle": {"x": [x for x, _ in series.points],
                            "y": [y for _, y in series.points]},
                "relayout": {"title.text": series.title},
                "traces": list(range(len(series.points)))}))
        else:
            update = None if drawn.plain is None else figure_update(self.shown, drawn.plain)
            if update is None:
                self.show(drawn.fig)  # other traces (edges switched on or off)
                self.shown = drawn.plain or self.shown
            else:
                self._update(update, drawn.plain)

    def _accumulated(self, new: dict[str, Any]) -> dict[str, Any]:
        """Every property changed since ``figure`` was sent, at its value in ``new``."""
        traces = sorted(self._since["traces"])
        keys = sorted(set().union(*self._since["traces"].values()))
        return {"restyle": {key: [new["data"][index].get(key) for index in traces]
                            for key in keys},
                "relayout": {key: new["layout"].get(key) for key in self._since["layout"]},
                "traces": traces}


@solara.component
def LiveFigure(drawn: Drawn,  # noqa: N802 - Solara components
               filename: str = "carecap") -> solara.Element:
    """Show a plotly figure, updating the same widget in place when ``drawn`` changes.

    ``filename`` names the PNG its camera button saves.
    """
    element = PlotlyView.element(filename=filename)

    def apply() -> None:
        solara.get_widget(element).draw(drawn)

    solara.use_effect(apply, [drawn])
    return element


@solara.component
def Chart(drawn: Drawn, name: str) -> None:  # noqa: N802
    """A figure with its exports: PNG from the plot's camera button, HTML as a download."""
    shown = solara.use_ref(drawn)
    shown.current = drawn
    # One export function for the chart's lifetime, reading the figure shown when asked:
    # FileDownload starts a thread whenever its data changes, and that thread's state
    # changes would cost every step two more render passes of the whole page.
    export = solara.use_memo(
        lambda: lambda: shown.current.fig.to_html(include_plotlyjs=True).encode(), [])
    with solara.Column(gap="0px", classes=["carecap-chart"]):
        LiveFigure(drawn, filename=name)
        with solara.Row(justify="end"):
            solara.FileDownload(export, filename=f"{name}.html", label="Chart as HTML",
                                mime_type="text/html")


_PACER_ESM = """
export default {
  render({ model }) {
    // Answer each new day once the page has painted it. A hidden tab paints nothing, so a
    // timer answers too: a run in a background tab goes on, slowly.
    const shown = () => {
      const day = model.get("day");
      let sent = false;
      const send = () => { if (!sent) { sent = true; model.send({ shown: day }); } };
      requestAnimationFrame(() => requestAnimationFrame(send));
      setTimeout(send, 1000);
    };
    model.on("change:day", shown);
    return () => model.off("change:day", shown);
  },
};
"""


class Pacer(anywidget.AnyWidget):
    """Tells the server when the page has drawn a day, so a run never outpaces the page.

    A run that steps faster than the browser draws queues redraws in the page, which
    then shows a day long past while the server is far ahead, and a click on Pause lands
    hundreds of days late. The Run loop sets ``day`` after each redraw and waits for the
    page's answer (sent after its next painted frame) before the next day. The answer
    travels behind any click the user made meanwhile, so the click is seen first.
    """

    _esm = _PACER_ESM
    day = traitlets.Int(-1).tag(sync=True)

    def __init__(self, on_shown: Callable[[int], None] = lambda day: None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_shown = on_shown
        self.on_msg(self._answer)

    def _answer(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if "shown" in content:
            self.on_shown(int(content["shown"]))


_SHARE_ESM = """
export default {
  render({ model, el }) {
    const row = document.createElement("div");
    row.className = "carecap-link-row";
    const input = document.createElement("input");
    input.readOnly = true;
    input.className = "carecap-link";
    input.setAttribute("aria-label", "Link to this setting");
    const button = document.createElement("button");
    button.className = "carecap-copy";
    button.textContent = "Copy link";
    const show = () => {
      // The page's own address: whatever name the room reaches this server by.
      input.value = location.origin + location.pathname + model.get("query");
    };
    button.addEventListener("click", async () => {
      input.select();
      let copied = false;
      try {
        await navigator.clipboard.writeText(input.value);
        copied = true;
      } catch (error) {
        // The clipboard API needs a secure page (https, or this machine); elsewhere
        // the selected text is copied the old way.
        copied = document.execCommand && document.execCommand("copy");
      }
      button.textContent = copied ? "Copied" : "Select and copy";
      setTimeout(() => { button.textContent = "Copy link"; }, 2000);
    });
    input.addEventListener("focus", () => input.select());
    model.on("change:query", show);
    show();
    row.append(input, button);
    el.appendChild(row);
    return () => model.off("change:query", show);
  },
};
"""


class ShareLink(anywidget.AnyWidget):
    """The full link to a setting, as the page's address names this server, with a copy button.

    Built in the page, because only the page knows the address the room reaches the
    server by (the server may listen on every interface).
    """

    _esm = _SHARE_ESM
    query = traitlets.Unicode("").tag(sync=True)


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
                 changed: bool = False) -> None:
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


@solara.component
def WholeNumber(label: str, name: str, value: int, low: int, high: int,  # noqa: N802
                on_value: Callable[[int], None]) -> None:
    """A box for a whole number from ``low`` to ``high``, read as ``carecap run`` reads one.

    ``1e3`` is 1000, as on the command line. A refused entry stays in the box, in red
    with the reason and the value still in use, until it is fixed or the value in use
    changes elsewhere (Reset, another scenario), when the box shows that value: the box
    never shows a refused number as if it were in use, and each box says only its own
    problem.

    Args:
        label: The box's label.
        name: What the number is, as an error names it ("residents").
        value: The value in use.
        low: The smallest number allowed.
        high: The largest.
        on_value: Called with each number allowed; it may refuse one by raising
            ``ValueError`` with the reason.
    """
    text = solara.use_reactive(str(value))
    problem = solara.use_reactive(None)

    def show_in_use() -> None:
        text.set(str(value))
        problem.set(None)

    solara.use_effect(show_in_use, [value])

    def commit(typed: str) -> None:
        try:
            number = whole_number(name, typed, low, high)
            on_value(number)
        except ValueError as error:
            text.set(typed)
            problem.set(f"{error} — still {value}")
            return
        text.set(str(number))  # as the number is written elsewhere: "1e3" is 1000
        problem.set(None)

    solara.InputText(label, value=text.value, on_value=commit, continuous_update=False,
                     error=problem.value or False)


def tag(name: str, *children: Any, cls: str = "", style: str = "",
        **attributes: str) -> solara.Element:
    """An HTML element whose text children are shown as text (never parsed as HTML).

    Used instead of ``solara.HTML``, which shows nothing with ipyvue 3, and of
    ``solara.Markdown``, which loads Mermaid and KaTeX from the CDN on every page.
    """
    return solara.v.Html(tag=name, children=list(children), class_=cls, style_=style,
                         attributes=attributes)


@solara.component
def Prose(heading: str = "", text: str = "", items: tuple[str, ...] = (),  # noqa: N802
          ordered: bool = False) -> None:
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
def Section(title: str, children: list | None = None, expanded: bool = False) -> None:  # noqa: N802
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
