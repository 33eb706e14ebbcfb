"""Plotly figures for the dashboard, built from a run's model and daily tables.

Pure functions of their inputs (no Solara), so they are tested directly and can be
reused in reports or notebooks.

The town is drawn from stored home positions — never a per-reset layout computation —
as one marker trace for all residents (coloured by role, with a legend entry per role)
and every edge kind as a single WebGL line trace with gaps between segments; a step
changes only the residents' colours and hover figures.

Each chart of daily series is one :class:`Plan` (its traces' points and styles), made
by one function per chart from a :class:`Shown` (the runs on screen, the smoothing, the
replicates): :meth:`Plan.series` is all a step changes, and :meth:`Plan.figure` the
whole figure, for a first draw or an export. Labels and units come from the metric
declarations (:mod:`~simulation.dashboard.display`); every figure carries a stamp
saying what made it, so an exported picture or page says so too.
"""

from __future__ import annotations

import base64
import functools
import struct
import textwrap
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.dashboard import display
from simulation.dashboard.display import VERSION
from simulation.dashboard.setting import Setting
from simulation.dashboard.stats import COMPARISON, POLICY, Band, Replicates, smooth
from simulation.model import CareModel
from simulation.population import AGE_BANDS

# Okabe and Ito's palette, which people with any common colour-vision deficiency can tell
# apart (and grey and black).
OKABE_ITO = {"orange": "#e69f00", "sky blue": "#56b4e9", "bluish green": "#009e73",
             "yellow": "#f0e442", "blue": "#0072b2", "vermillion": "#d55e00",
             "reddish purple": "#cc79a7", "black": "#000000", "grey": "#bbbbbb"}
SIDE_COLOUR = {POLICY: OKABE_ITO["blue"], COMPARISON: OKABE_ITO["orange"],
               "difference": OKABE_ITO["black"]}

# Map categories, drawn bottom to top; a resident appears in the last that applies.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("other resident", OKABE_ITO["grey"]),
    ("helping a neighbour", OKABE_ITO["sky blue"]),
    ("family carer", OKABE_ITO["reddish purple"]),
    ("peer volunteer", OKABE_ITO["bluish green"]),
    ("patient at home", OKABE_ITO["orange"]),
    ("in hospital", OKABE_ITO["vermillion"]),
)
# Role code i is drawn in CATEGORIES[i]'s colour (code / (count - 1) hits its stop exactly).
ROLE_SCALE = tuple((i / (len(CATEGORIES) - 1), colour) for i, (_, colour) in enumerate(CATEGORIES))
EDGE_STYLE = {"peer": ("peer visits", "rgba(0,158,115,0.8)", 1.2),
              "caseload": ("caseload", "rgba(0,114,178,0.35)", 0.8)}
# The social ties are drawn once, as a picture under the map (see tie_picture): as lines,
# 35,000 of them at 10,000 residents were a grey blot that took each step 2.6 s to redraw.
TIES_PIXELS = 800  # the picture's width and height
TIE_GREY = 60
TIE_INK = 0.3  # how dark a short tie is where it passes; more ties through a pixel add up
TIE_SHORT = 0.02  # ties longer than this (in map units) fade with their length
TIE_FAINTEST = 0.04  # ties fainter than this are left out
_TIE_RGB = f"rgb({TIE_GREY},{TIE_GREY},{TIE_GREY})"
# Household members share a home; spread them on a small circle so each can be hovered.
HOUSEHOLD_SPREAD = 0.006
HOURS_BY_SOURCE = (("family_hours", "family", OKABE_ITO["reddish purple"]),
                   ("kin_hours", "kin", OKABE_ITO["orange"]),
                   ("neighbour_hours", "neighbour", OKABE_ITO["sky blue"]),
                   ("peer_hours", "peer", OKABE_ITO["bluish green"]),
                   ("paid_hours", "paid (budgets)", OKABE_ITO["yellow"]),
                   ("professional_hours", "professional", OKABE_ITO["blue"]),
                   ("unmet_hours", "unmet", OKABE_ITO["vermillion"]))
COMPARED = ("readmission_rate_30d", "unmet_hours", "unpaid_hours", "volunteers",
            "staff_morale", "cost_total")
_ROLE_NAMES = ("patient", "family carer", "helping neighbour", "peer volunteer")
_MARGIN = {"l": 60, "r": 16, "t": 70, "b": 70}
_CHART_MARGIN = {**_MARGIN, "t": 150}  # the title, and a legend of up to four rows
BAND = "band"  # the traces drawn from seeds carry this as their meta (the page can tell)
STAMP_WIDTH = 100  # characters per line of the stamp under each chart
TOWN_HEIGHT = 560  # pixels; the map is square, so this (less the margins) is its size too


# -- the town ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownLayout:
    """What stays fixed while a run goes on: positions, social ties, who each resident is.

    Attributes:
        x: Drawn easting of each resident (home plus a small household offset).
        y: Drawn northing of each resident.
        post_x: Easting of each professional post (its patch centre).
        post_y: Northing of each professional post.
        tied: The two ends of every family, kin and neighbour tie (resident indices).
        label: One line per resident: index, sex, age band, ethnic group.
    """

    x: np.ndarray
    y: np.ndarray
    post_x: np.ndarray
    post_y: np.ndarray
    tied: tuple[np.ndarray, np.ndarray]
    label: np.ndarray

    @property
    def ties(self) -> int:
        """How many social ties the town has."""
        return len(self.tied[0])

    @functools.cached_property
    def social(self) -> dict[str, Any]:
        """The ties' picture (see :func:`tie_picture`), drawn when first shown."""
        return tie_picture(self.x, self.y, *self.tied)

    @classmethod
    def of(cls, model: CareModel) -> TownLayout:
        """Compute the layout of a model's town (once per run)."""
        pop, network = model.town.pop, model.town.network
        n = pop.size
        first = np.r_[0, np.flatnonzero(pop.household[1:] != pop.household[:-1]) + 1]
        member = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
        angle = 2 * np.pi * member / pop.household_size
        radius = np.where(pop.household_size > 1, HOUSEHOLD_SPREAD, 0.0)
        x = (pop.x + radius * np.cos(angle)).astype(np.float32)
        y = (pop.y + radius * np.sin(angle)).astype(np.float32)
        u, v = network.social.pairs()
        sex = np.where(pop.female, "woman", "man")
        group = np.where(pop.minority, "ethnic-minority household", "white-majority household")
        ages = np.asarray(AGE_BANDS)[pop.age_band]
        label = np.char.add(np.char.add(np.char.add(
            np.char.add(np.char.add("resident ", np.arange(n).astype(str)), " · "),
            np.char.add(sex, ", ")), np.char.add(ages, ", ")), group)
        return cls(x=x, y=y, post_x=pop.patch_x, post_y=pop.patch_y,
                   tied=(u, v), label=label)


def tie_picture(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
                pixels: int = TIES_PIXELS) -> dict[str, Any]:
    """Every tie drawn into one picture, as a plotly layout image over the residents' extent.

    Where many ties pass, the ink adds up, and a long tie (a friend across town) is
    fainter the longer it is, so the picture shows where the town is densely knit,
    which thousands of separate lines at 10,000 residents could not. Drawn once per run:
    a step of the map never redraws it.

    Args:
        x: Each resident's drawn easting.
        y: Each resident's drawn northing.
        u: One end of each tie (resident indices).
        v: The other end.
        pixels: The picture's width and height.
    """
    left, right, bottom, top = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    size = max(right - left, top - bottom) or 1.0
    scale = (pixels - 1) / size
    fade = np.minimum(1.0, TIE_SHORT / np.maximum(np.hypot(x[v] - x[u], y[v] - y[u]), 1e-9))
    seen = fade >= TIE_FAINTEST  # fainter ones would not show, and cost the most points
    u, v, fade = u[seen], v[seen], fade[seen]
    px0, py0 = (x[u] - left) * scale, (top - y[u]) * scale
    px1, py1 = (x[v] - left) * scale, (top - y[v]) * scale
    # A point every pixel along each tie, all ties at once.
    steps = np.maximum(2, np.ceil(np.hypot(px1 - px0, py1 - py0)).astype(np.int64) + 1)
    tie = np.repeat(np.arange(len(u)), steps)
    start = np.repeat(np.cumsum(steps) - steps, steps)
    along = (np.arange(len(tie)) - start) / np.repeat(steps - 1, steps)
    column = np.rint(px0[tie] + along * (px1 - px0)[tie]).astype(np.int64)
    row = np.rint(py0[tie] + along * (py1 - py0)[tie]).astype(np.int64)
    passes = np.bincount(row * pixels + column, weights=fade[tie], minlength=pixels * pixels)
    ink = 1.0 - (1.0 - TIE_INK) ** passes.reshape(pixels, pixels)
    grey = np.empty((pixels, pixels, 2), dtype=np.uint8)
    grey[..., 0] = TIE_GREY
    grey[..., 1] = np.rint(255 * ink).astype(np.uint8)
    return {"source": "data:image/png;base64," + base64.b64encode(_png(grey)).decode(),
            "xref": "x", "yref": "y", "x": left, "y": top, "sizex": size, "sizey": size,
            "sizing": "stretch", "xanchor": "left", "yanchor": "top", "layer": "below"}


def _png(grey: np.ndarray) -> bytes:
    """A grey-and-alpha image as PNG bytes (no imaging library: a PNG is zlib and CRCs)."""
    height, width, _ = grey.shape
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8),  # filter: none
                           grey.reshape(height, width * 2)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 4, 0, 0, 0)  # 8-bit grey, alpha
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray,
             y1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line segments as one coordinate pair with a gap (NaN) after each segment."""
    gap = np.full(len(x0), np.nan, dtype=np.float32)
    return (np.column_stack([x0, x1, gap]).ravel().astype(np.float32),
            np.column_stack([y0, y1, gap]).ravel().astype(np.float32))


def categories(model: CareModel) -> np.ndarray:
    """Index into :data:`CATEGORIES` of each resident today."""
    roles = model.role_masks()
    code = np.zeros(model.town.pop.size, dtype=np.int8)
    code[roles["neighbour"]] = 1
    code[roles["family_carer"]] = 2
    code[roles["peer_volunteer"]] = 3
    code[roles["patient"]] = 4
    code[model.town.state.in_hospital] = 5
    return code


def _role_text(model: CareModel) -> np.ndarray:
    """Each resident's roles today, as text (one of 16 combinations)."""
    roles = model.role_masks()
    bits = (roles["patient"].astype(np.int8) | roles["family_carer"] << 1
            | roles["neighbour"] << 2 | roles["peer_volunteer"] << 3)
    table = np.array([", ".join(name for i, name in enumerate(_ROLE_NAMES) if b >> i & 1)
                      or "no care role" for b in range(16)])
    return table[bits]


def marker_size(residents: int) -> tuple[float, float]:
    """Marker sizes (with a role, without) that keep a town of this size readable."""
    shrink = float(np.clip(np.sqrt(2_000 / residents), 0.45, 1.2))
    return 6.0 * shrink, 4.0 * shrink


def network_figure(model: CareModel, layout: TownLayout, *, show_social: bool = True,
                   show_peer: bool = True, show_caseload: bool = False,
                   stamp: str = "") -> go.Figure:
    """The town: residents at home coloured by role, professionals, and ties by kind.

    Args:
        model: The model, at the day to draw.
        layout: The run's :class:`TownLayout`.
        show_social: Draw family, kin and neighbour ties.
        show_peer: Draw peer-visit edges (every visit so far).
        show_caseload: Draw caseload edges (today's caseloads, post to resident).
        stamp: What made the figure (see :func:`stamp`), written under it.
    """
    today = town_today(model, layout, show_social=show_social, show_peer=show_peer,
                       show_caseload=show_caseload)
    fig = go.Figure(data=today["data"], layout=today["layout"])
    # A square map and its legend; the page keeps the chart from growing wider, which
    # would only add blank canvas to redraw.
    fig.update_layout(
        margin={**_MARGIN, "b": _stamp_margin(stamp)}, height=TOWN_HEIGHT,
        legend={"traceorder": "reversed"},
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white", uirevision="town", annotations=_stamp_note(stamp))
    return fig


def town_today(model: CareModel, layout: TownLayout, *, show_social: bool = True,
               show_peer: bool = True, show_caseload: bool = False) -> dict:
    """The town's traces and title, as plain (unchecked) plotly data.

    What :func:`network_figure` draws, less the layout that never changes: a step of the
    dashboard compares this with the figure shown and sends the difference, without
    building a plotly figure (20 ms of checks and copies for the town).
    """
    town, s = model.town, model.town.state
    traces = []
    edges = {}
    if show_peer:
        a, b = town.peer_pairs()
        edges["peer"] = segments(layout.x[a], layout.y[a], layout.x[b], layout.y[b])
    if show_caseload:
        posts, residents = town.state.caseload_post, town.state.caseload
        edges["caseload"] = segments(layout.post_x[posts], layout.post_y[posts],
                                     layout.x[residents], layout.y[residents])
    for kind, xy in edges.items():
        if xy is not None:
            name, colour, width = EDGE_STYLE[kind]
            # WebGL for the edges: the browser redraws thousands of ties in a tenth of the
            # time an SVG path takes, and the canvas sits under the residents' markers.
            traces.append({"type": "scattergl", "x": xy[0], "y": xy[1], "mode": "lines",
                           "name": name, "uid": kind, "hoverinfo": "skip",
                           "line": {"color": colour, "width": width}})

    # All residents are one trace whose positions and names never change, so a step sends
    # only their colours, roles and hover figures; the legend's entries (with today's
    # counts) are empty traces of one colour each. WebGL, because recolouring 2,000 SVG
    # markers takes the browser 0.4 s and the canvas 0.05 s; colours are role codes on a
    # stepped scale, because plotly checks a list of colour names one by one (0.1 s).
    if show_social:  # the picture is in the layout; this is its legend entry
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines",
                       "name": f"social ties ({layout.ties:,})", "uid": "social",
                       "hoverinfo": "skip",
                       "line": {"color": _TIE_RGB, "width": 1}})
    code = categories(model)
    counts = np.bincount(code, minlength=len(CATEGORIES))
    for (name, colour), count in zip(CATEGORIES, counts, strict=True):
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                       "name": f"{name} ({count:,})", "uid": name, "hoverinfo": "skip",
                       "marker": {"color": colour, "size": 8}})
    big, small = marker_size(town.pop.size)
    card = np.column_stack([s.frailty, s.need * 7.0, s.loneliness, s.given_ema * 7.0])
    traces.append({
        "type": "scattergl", "x": layout.x, "y": layout.y, "mode": "markers",
        "name": "residents", "showlegend": False,
        "marker": {"color": code, "cmin": 0, "cmax": len(CATEGORIES) - 1,
                   "colorscale": [list(stop) for stop in ROLE_SCALE],
                   "size": np.where(code > 0, big, small).astype(np.float32)},
        "text": layout.label, "hovertext": _role_text(model),
        "customdata": card.astype(np.float32),
        "hovertemplate": "%{text}<br>roles: %{hovertext}<br>frailty %{customdata[0]:.2f} · "
                         "needs %{customdata[1]:.1f} h/week<br>loneliness "
                         "%{customdata[2]:.2f} · gives %{customdata[3]:.1f} h/week unpaid"
                         "<extra></extra>"})
    filled = s.vacant_until == -1_000_000
    traces.append({
        "type": "scatter", "x": layout.post_x, "y": layout.post_y, "mode": "markers",
        "name": "professional post",
        "marker": {"symbol": np.where(filled, "square", "square-open").tolist(), "size": 9,
                   "color": "#1f1f1f"},
        "customdata": np.column_stack([s.morale, s.hours_used]).astype(np.float32),
        "text": np.where(filled, "professional", "vacant post").tolist(),
        "hovertemplate": "%{text}<br>morale %{customdata[0]:.2f} · "
                         "%{customdata[1]:.1f} h used today<extra></extra>"})
    return {"data": traces, "layout": {
        "title": {"text": f"The town on day {town.day} ({town.pop.size:,} residents)"},
        "images": [layout.social] if show_social else []}}


# -- what made a figure -------------------------------------------------------------------------


def side_names(setting: Setting) -> tuple[str, str | None]:
    """How the charts name the policy run and the comparison.

    The policy is its scenario, "changed" when its parameters differ from the scenario's;
    the comparison is its scenario "as shipped" (it never takes the policy's changes).
    """
    policy = setting.scenario + (" (changed)" if setting.overrides else "")
    return policy, None if setting.compare is None else f"{setting.compare} as shipped"


def stamp(setting: Setting, residents: int, replicates: Replicates | None = None) -> str:
    """What made a chart, for its foot: version, the setting and the comparison.

    The day is in each chart's title, which every step updates.
    """
    shown = Setting(setting.scenario, setting.seed, residents, setting.overrides)
    lines = [f"carecap {VERSION} · policy: {shown.describe()} · run to day {setting.days}",
             f"comparison: {side_names(setting)[1]}, same town"
             if setting.compare else "no comparison"]
    if replicates is not None:
        lines[1] += f" · bands: 95% CI of the mean of {replicates.describe()}"
    return "<br>".join(lines)


def _stamp_note(text: str) -> list[dict[str, Any]]:
    """The stamp as a note under the plot, wrapped to fit a chart of half a laptop's width."""
    if not text:
        return []
    lines = [part for line in text.split("<br>") for part in textwrap.wrap(line, STAMP_WIDTH)]
    return [{"text": "<br>".join(lines), "xref": "paper", "yref": "paper", "x": 0, "y": 0,
             "xanchor": "left", "yanchor": "top", "yshift": -44, "align": "left",
             "showarrow": False, "font": {"size": 10, "color": "#555555"}}]


def _stamp_margin(text: str) -> int:
    """The bottom margin that makes room for the axis title and the stamp's lines."""
    return 58 + 13 * (_stamp_note(text)[0]["text"].count("<br>") + 1 if text else 0)


# -- charts of daily series -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared by identity: tables do not compare as a bool
class Shown:
    """What the charts of daily series draw.

    Attributes:
        policy: The policy run's daily table.
        comparison: The comparison's daily table (same days), or ``None``.
        setting: The setting on screen (names the sides and fills the stamp).
        residents: The town's size.
        window: Smooth daily values over this many days (1: as they are).
        replicates: Other seeds of the same setting, drawn as bands, or ``None``.
    """

    policy: pd.DataFrame
    comparison: pd.DataFrame | None
    setting: Setting
    residents: int
    window: int = 1
    replicates: Replicates | None = None

    @property
    def names(self) -> tuple[str, str | None]:
        """The policy's and the comparison's names on the charts."""
        return side_names(self.setting)

    @property
    def stamp(self) -> str:
        """The charts' stamp (see :func:`stamp`)."""
        return stamp(self.setting, self.residents, self.replicates)

    def title(self, what: str, *more: str, smoothed: bool = True) -> str:
        """A chart's title: what it shows, and under it the days and how they are drawn."""
        n = len(self.policy)
        notes = [f"day 1 to day {n}" if n else "no days yet", *more]
        if self.replicates is not None and self.replicates.days != n:
            # The seeds ran the whole run, whatever day the run on screen is on.
            notes.append(f"bands: day 1 to day {self.replicates.days}")
        if smoothed and self.window > 1:
            notes.append(f"{self.window}-day moving average")
        return f"{what}<br><span style='font-size: 0.8em'>{' · '.join(notes)}</span>"

    def daily(self, side: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        """A run's days and its daily ``column``, smoothed as asked."""
        frame = self.policy if side == POLICY else self.comparison
        return (frame["day"].to_numpy(),
                smooth(frame[column].to_numpy(dtype=np.float64), self.window))

    @property
    def over_seeds(self) -> str:
        """What a band shows, for its legend entry."""
        n = len(self.replicates.seeds) if self.replicates is not None else 0
        return f"mean of {n} seeds (band: 95% CI)"

    def band(self, side: str, column: str, cumulative: bool = False) -> Band | None:
        """The replicates' band of ``column``, or ``None`` without replicates."""
        if self.replicates is None or side not in self.replicates.runs:
            return None
        return self.replicates.band(side, column, self.window, cumulative)


@dataclass(frozen=True)
class Series:
    """What a chart of daily series shows on a day: its title and each trace's points.

    A step changes only these, so the dashboard can send them to a chart already drawn
    without building its figure again (50-100 ms).

    Attributes:
        title: The chart's title.
        points: ``(x, y)`` of each trace, in the figure's trace order.
    """

    title: str
    points: tuple[tuple[np.ndarray, np.ndarray], ...]


@dataclass
class Plan:
    """One chart of daily series: its traces (points and style) and its layout.

    Attributes:
        title: The title (it names the days shown).
        rows: Subplot rows; ``cols`` likewise.
        traces: ``(x, y, style, row, col)`` of each trace, in drawing order.
        axes: Axis settings by ``(row, col)``: ``{"y": {...}, "x": {...}}``.
        layout: Other layout settings.
        subplot_titles: One per subplot, row by row.
        row_heights: Relative heights of the rows.
    """

    title: str
    rows: int = 1
    cols: int = 1
    traces: list[tuple[np.ndarray, np.ndarray, dict[str, Any], int, int]] = field(
        default_factory=list)
    axes: dict[tuple[int, int], dict[str, dict[str, Any]]] = field(default_factory=dict)
    layout: dict[str, Any] = field(default_factory=dict)
    subplot_titles: tuple[str, ...] = ()
    row_heights: tuple[float, ...] | None = None

    def add(self, x: np.ndarray, y: np.ndarray, style: dict[str, Any], row: int = 1,
            col: int = 1) -> None:
        """Add a trace."""
        self.traces.append((np.asarray(x), np.asarray(y), style, row, col))

    def series(self) -> Series:
        """The title and every trace's points."""
        return Series(self.title, tuple((x, y) for x, y, *_ in self.traces))

    def figure(self, stamp: str = "") -> go.Figure:
        """The whole figure, with ``stamp`` under it."""
        fig = make_subplots(rows=self.rows, cols=self.cols, shared_xaxes=True,
                            vertical_spacing=0.22 / self.rows, horizontal_spacing=0.1,
                            subplot_titles=self.subplot_titles or None,
                            row_heights=list(self.row_heights) if self.row_heights else None)
        for x, y, style, row, col in self.traces:
            fig.add_trace(go.Scatter(x=x, y=y, **style), row=row, col=col)
        for (row, col), settings in self.axes.items():
            fig.update_yaxes(settings.get("y", {}), row=row, col=col)
            fig.update_xaxes(settings.get("x", {}), row=row, col=col)
        fig.update_xaxes(title_text="day", row=self.rows)
        if not any(len(x) for x, *_ in self.traces):
            # Nothing run yet: plotly's empty axis runs from -1 to 4 (-100% to 400%).
            fig.update_yaxes(range=[0, 1])
        height = self.layout["height"]
        # The title at the top and the legend under it, placed in pixels from the top: in
        # the plot's own coordinates a legend that wraps to more rows covers the subplots.
        fig.update_layout(
            title={"text": self.title, "x": 0.01, "xanchor": "left", "yref": "container",
                   "y": 1, "yanchor": "top", "pad": {"t": 12}},
            legend={"orientation": "h", "yref": "container", "y": 1 - 44 / height,
                    "yanchor": "top", "x": 0, "traceorder": "normal"},
            template="plotly_white", hoverlabel={"namelength": -1},
            **{key: value for key, value in self.layout.items() if key != "legend"})
        fig.update_layout(legend=self.layout.get("legend", {}))
        fig.update_layout(annotations=[*fig.layout.annotations, *_stamp_note(stamp)],
                          margin={"b": _stamp_margin(stamp)})
        # Let tick labels overflow the plot rather than measure each one on every redraw:
        # plotly's default hides labels past the page's edge, which measures every label of
        # every axis whenever the data change, a third of a time series chart's redraw.
        return fig.update_xaxes(ticklabeloverflow="allow").update_yaxes(
            ticklabeloverflow="allow")


def _band_trace(plan: Plan, band, colour: str, name: str, legend: bool,
                row: int = 1, col: int = 1, factor: float = 1.0) -> None:
    """A band over seeds and its mean, named once in the legend.

    The band is one filled outline (the upper edge forward, the lower edge back), and
    the mean a dashed line.
    """
    x = np.arange(1, len(band.mean) + 1)
    plan.add(np.r_[x, x[::-1]], np.r_[band.high, band.low[::-1]] * factor,
             {"name": name, "fill": "toself", "mode": "lines", "line": {"width": 0},
              "fillcolor": _transparent(colour, 0.2), "hoverinfo": "skip",
              "legendgroup": name, "showlegend": False, "meta": BAND}, row, col)
    plan.add(x, band.mean * factor,
             {"name": name, "mode": "lines", "legendgroup": name, "showlegend": legend,
              "line": {"color": colour, "width": 1, "dash": "dash"}, "hoverinfo": "skip",
              "meta": BAND}, row, col)


def _transparent(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _line(plan: Plan, shown: Shown, side: str, metric: str, row: int = 1, col: int = 1,
          legend: bool = False, name: str | None = None, **style: Any) -> None:
    """A run's daily ``metric`` as a line, over its replicates' band if there is one."""
    label = name or (shown.names[0] if side == POLICY else shown.names[1])
    colour = style.pop("colour", SIDE_COLOUR[side])
    band = shown.band(side, metric)
    if band is not None:
        _band_trace(plan, band, colour, f"{label}: {shown.over_seeds}", legend, row, col)
    x, y = shown.daily(side, metric)
    plan.add(x, y, {"name": label, "legendgroup": label, "showlegend": legend,
                    "line": {"color": colour, "width": 1.8, **style.pop("line", {})},
                    "hovertemplate": f"{label}<br>day %{{x}}: {display.hover(metric)}"
                                     "<extra></extra>", **style}, row, col)


# The time series chart's rows: a metric, or None for the care hours by source.
SERIES_ROWS = ("readmission_rate_30d", None, "volunteers", "peer_visits", "staff_morale",
               "decision_delay_days")


def timeseries(shown: Shown) -> Plan:
    """The policy's daily outcomes, one chart under another.

    Readmission, care hours by source (unmet on top), volunteers, peer visits, staff
    morale and the decision wait.
    """
    titles = tuple(display.title(m) if m else "Care hours a day, by who gives them (stacked)"
                   for m in SERIES_ROWS)
    plan = Plan(shown.title(f"Daily outcomes of {shown.names[0]}"),
                rows=len(SERIES_ROWS), subplot_titles=titles,
                row_heights=tuple(1.6 if m is None else 1.0 for m in SERIES_ROWS),
                layout={"height": 1060, "margin": _CHART_MARGIN, "uirevision": "series"})
    for row, metric in enumerate(SERIES_ROWS, start=1):
        if metric is None:
            for column, name, colour in HOURS_BY_SOURCE:
                x, y = shown.daily(POLICY, column)
                plan.add(x, y, {"name": f"{name} hours", "stackgroup": "hours",
                                "line": {"width": 0.5, "color": colour},
                                "hovertemplate": f"{name}: %{{y:,.0f}} h<extra></extra>"},
                         row)
            plan.axes[row, 1] = {"y": {"tickformat": display.PLAIN}}
        else:  # the run and its band named once, in the legend, by the first row
            _line(plan, shown, POLICY, metric, row, legend=row == 1)
            plan.axes[row, 1] = {"y": display.axis(metric)}
    return plan


_EQUITY_GROUPS = (("women", "women", OKABE_ITO["reddish purple"]),
                  ("minority", "ethnic-minority residents", OKABE_ITO["orange"]))


def equity(shown: Shown) -> Plan:
    """Who carries the unpaid load: shares of unpaid hours against shares of adults, Gini."""
    plan = Plan(shown.title(f"Who carries unpaid care in {shown.names[0]}"),
                cols=2, subplot_titles=("Share of unpaid care hours against share of adults",
                                        display.title("unpaid_gini")),
                layout={"height": 560, "margin": _CHART_MARGIN, "uirevision": "equity"})
    for group, label, colour in _EQUITY_GROUPS:
        _line(plan, shown, POLICY, f"unpaid_share_{group}", legend=True,
              name=f"{label}: share of unpaid hours", colour=colour)
        _line(plan, shown, POLICY, f"population_share_{group}", legend=True,
              name=f"{label}: share of adults", colour=colour, line={"dash": "dash"})
    _line(plan, shown, POLICY, "unpaid_gini", col=2, legend=True,
          name="Gini of unpaid hours (0 equal, 1 one carer carries all)",
          colour=OKABE_ITO["black"])
    plan.axes[1, 1] = {"y": {**display.axis("unpaid_share_women"), "range": [0, 1]}}
    plan.axes[1, 2] = {"y": {"range": [0, 1]}, "x": {"title_text": "day"}}
    return plan


_COSTS = (("cost_bed_days", "hospital bed days", OKABE_ITO["vermillion"]),
          ("cost_professional", "professional time", OKABE_ITO["blue"]),
          ("cost_paid_care", "paid care (budgets)", OKABE_ITO["yellow"]))


def costs(shown: Shown) -> Plan:
    """Running totals of what formal care costs, and of what the unpaid care is worth."""
    plan = Plan(shown.title(f"Costs of {shown.names[0]} and the value of unpaid care, "
                            f"running totals ({display.unit('cost_total')})", smoothed=False),
                layout={"height": 560, "margin": _CHART_MARGIN, "uirevision": "costs"})
    frame = shown.policy
    for column, name, colour in _COSTS:
        plan.add(frame["day"], frame[column].cumsum(),
                 {"name": name, "stackgroup": "cost", "line": {"width": 0.5, "color": colour},
                  "hovertemplate": f"{name}: £%{{y:,.0f}} since day 1<extra></extra>"})
    band = shown.band(POLICY, "cost_total", cumulative=True)
    if band is not None:
        _band_trace(plan, band, OKABE_ITO["black"], f"formal care: {shown.over_seeds}", True)
    plan.add(frame["day"], frame["unpaid_value"].cumsum(),
             {"name": "value of unpaid care (replacement wage)",
              "line": {"color": OKABE_ITO["reddish purple"], "dash": "dash", "width": 2.5},
              "hovertemplate": "value of unpaid care: £%{y:,.0f} since day 1<extra></extra>"})
    plan.axes[1, 1] = {"y": {**display.axis("cost_total"),
                             "title_text": f"£ since day 1 ({display.PRICE_YEAR} prices)"}}
    return plan


def compare(shown: Shown, metrics: tuple[str, ...] = COMPARED) -> Plan:
    """Both runs side by side (left) and their daily difference, policy minus comparison.

    With replicates, each run has its band over seeds and the difference its paired
    band: the same seeds on both sides, each pair on one town.
    """
    policy, other = shown.names
    difference = f"{policy} − {other}"
    # Short titles: at 1,280 px with Teaching mode's notes beside it, the chart is narrow,
    # and longer ones ran past its edge or into each other. The legend names the
    # difference, and the stamp under the chart says both runs share the town.
    plan = Plan(shown.title(f"{policy} (policy) against {other} (comparison)"),
                rows=len(metrics), cols=2,
                subplot_titles=tuple(t for m in metrics for t in (
                    display.title(m), "difference")),
                layout={"height": 190 * len(metrics) + 230,
                        "margin": {**_CHART_MARGIN, "t": 180},
                        "uirevision": "compare"})
    days = min(len(shown.policy), len(shown.comparison))
    for row, metric in enumerate(metrics, start=1):
        for side in (COMPARISON, POLICY):
            _line(plan, shown, side, metric, row, legend=row == 1)
        factor = display.scale(metric, difference=True)
        if shown.replicates is not None and shown.replicates.paired:
            band = shown.replicates.difference_band(metric, shown.window)
            _band_trace(plan, band, OKABE_ITO["black"],
                        f"difference: {shown.over_seeds}, paired", row == 1, row, 2, factor)
        x, mine = shown.daily(POLICY, metric)
        _, theirs = shown.daily(COMPARISON, metric)
        plan.add(x[:days], (mine[:days] - theirs[:days]) * factor,
                 {"name": difference, "legendgroup": "difference", "showlegend": row == 1,
                  "line": {"color": SIDE_COLOUR["difference"], "width": 1.5},
                  "hovertemplate": f"{difference}<br>day %{{x}}: "
                                   f"{display.hover(metric, difference=True)}<extra></extra>"},
                 row, 2)
        plan.axes[row, 1] = {"y": display.axis(metric)}
        # The unit on the axis, not in the subplot's title: a longer title runs past the
        # chart's right edge on a narrow page.
        plan.axes[row, 2] = {"y": {**display.axis(metric, difference=True),
                                   "title_text": display.difference_unit(metric),
                                   "zeroline": True, "zerolinecolor": "#888888"}}
    return plan


CHARTS = {"Time series": timeseries, "Equity": equity, "Costs": costs, "Compare": compare}


def figure_of(chart: str, shown: Shown) -> go.Figure:
    """The whole figure of a chart of daily series, stamped."""
    return CHARTS[chart](shown).figure(shown.stamp)

