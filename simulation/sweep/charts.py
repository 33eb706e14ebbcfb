"""Daily bands across replicates, drawn as small multiples: the report's and Python's.

One panel per arm (or scenario), sharing both axes: the arm's daily mean as a line, its
band (a 95% confidence interval of the mean over replicates, or the middle 95% of runs)
as two thin dotted lines in the same colour, never a filled mass, and the reference
arm's mean in grey in every other panel, so each arm reads against it. Axis titles,
units and hover figures come from the metric's declaration (label and unit: shares as
percentages, costs in pounds, hours), through :mod:`simulation.dashboard.display`.

A band stays within what the metric can take (:func:`~simulation.metrics.value_range`):
mean ± half-width over a few replicates can reach below zero, and a count or a rate drawn
below none misleads.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.dashboard import display
from simulation.metrics import value_range
from simulation.sweep.analysis import CONFIDENCE, t_half_width

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939")
REFERENCE_COLOUR = "#9a9a9a"
PANELS_PER_ROW = 3
PANEL_HEIGHT = 230
TOP_MARGIN = 110  # the title, and the legend on its right, above the panels' titles
BOTTOM_MARGIN = 50


def _within_limits(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``table`` with its ``low`` and ``high`` columns clipped to the metric's limits."""
    lowest, highest = value_range(metric)
    return table.assign(low=table["low"].clip(lowest, highest),
                        high=table["high"].clip(lowest, highest))


def band_table(daily: pd.DataFrame, metric: str, by: str = "label") -> pd.DataFrame:
    """Each group's daily mean of ``metric`` with its 95% CI over the group's runs.

    Args:
        daily: One row per run and day (``load_results(folder, daily=True)``, or any
            table with ``day``, ``by`` and ``metric`` columns).
        metric: The metric.
        by: The column naming the groups (an arm's label by default).

    Returns:
        ``group, day, n, mean, low, high``, groups in the order they first appear; the
        interval clipped to what the metric can take (:func:`~simulation.metrics.value_range`).
    """
    grouped = daily.groupby([by, "day"], sort=False)[metric]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    half = [t_half_width(sd, int(n)) for sd, n in zip(table["sd"], table["n"], strict=True)]
    table["low"] = table["mean"] - half
    table["high"] = table["mean"] + half
    table = _within_limits(table, metric)
    return table.rename(columns={by: "group"})[["group", "day", "n", "mean", "low", "high"]]


def bands_figure(table: pd.DataFrame, metric: str, reference: str | None = None,
                 band: str = f"{CONFIDENCE:.0%} CI of the mean") -> go.Figure:
    """Small multiples of daily bands, one panel per group.

    Args:
        table: ``group, day, mean, low, high`` (as :func:`band_table` gives); bands are
            drawn within what the metric can take, whoever made them.
        metric: The metric drawn (its label and unit title the figure and axes).
        reference: A group drawn in grey in every other panel (default: the first).
        band: What the band is, for the legend.
    """
    table = _within_limits(table, metric)
    groups = list(dict.fromkeys(table["group"]))
    reference = groups[0] if reference is None and len(groups) > 1 else reference
    cols = 2 if len(groups) == 4 else min(PANELS_PER_ROW, len(groups))
    rows = math.ceil(len(groups) / cols)
    figure = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=True,
                           subplot_titles=[str(g) for g in groups],
                           vertical_spacing=min(0.12, 0.5 / rows), horizontal_spacing=0.04)
    hover = display.hover(metric)
    by_group = {g: rows_ for g, rows_ in table.groupby("group", sort=False)}
    for i, group in enumerate(groups):
        where = {"row": i // cols + 1, "col": i % cols + 1}
        colour = COLOURS[i % len(COLOURS)]
        if reference is not None and group != reference:
            ref = by_group[reference]
            figure.add_trace(go.Scatter(
                x=ref["day"], y=ref["mean"], name=f"{reference} (reference)",
                line={"color": REFERENCE_COLOUR, "width": 1.2}, legendgroup="reference",
                showlegend=i == 1, hovertemplate=f"{reference}: {hover}<extra></extra>"),
                **where)
        part = by_group[group]
        for edge, name in (("high", band), ("low", band)):
            figure.add_trace(go.Scatter(
                x=part["day"], y=part[edge], name=name, legendgroup="band",
                showlegend=i == 0 and edge == "high",
                line={"color": colour, "width": 0.8, "dash": "dot"},
                hovertemplate=f"{edge}: {hover}<extra></extra>"), **where)
        figure.add_trace(go.Scatter(
            x=part["day"], y=part["mean"], name=str(group), showlegend=False,
            line={"color": colour, "width": 2},
            hovertemplate=f"{group}, day %{{x}}: {hover}<extra></extra>"), **where)
    figure.update_yaxes(**display.axis(metric))
    figure.update_yaxes(title_text=display.unit(metric), col=1)
    figure.update_xaxes(title_text="day", row=rows)
    height = PANEL_HEIGHT * rows + TOP_MARGIN + BOTTOM_MARGIN
    figure.update_layout(
        title={"text": f"{display.title(metric)} by day", "x": 0, "xanchor": "left"},
        height=height, margin={"t": TOP_MARGIN, "b": BOTTOM_MARGIN},
        legend={"orientation": "h", "x": 1, "xanchor": "right", "yanchor": "bottom",
                "y": 1 + 45 / (height - TOP_MARGIN - BOTTOM_MARGIN)})
    return figure
