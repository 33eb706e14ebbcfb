"""Draw the scaling chart from a ``benchmarks/speed.py --json`` file.

    uv run python benchmarks/scaling_chart.py speed.json docs/scaling.html
"""

from __future__ import annotations

import json
import sys

import plotly.graph_objects as go
from plotly.subplots import make_subplots


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        figures = json.load(handle)
    rows = sorted((int(size), row) for size, row in figures["carecap"].items())
    sizes = [size for size, _ in rows]
    chart = make_subplots(rows=1, cols=2, subplot_titles=(
        f"Wall time, {figures['days']} days + warm-up (s)", "Peak memory (MB)"))
    chart.add_trace(go.Scatter(x=sizes, y=[r["wall_s"] for _, r in rows], mode="lines+markers",
                               name="carecap wall time"), row=1, col=1)
    linear = [rows[0][1]["wall_s"] * size / sizes[0] for size in sizes]
    chart.add_trace(go.Scatter(x=sizes, y=linear, mode="lines", line={"dash": "dot"},
                               name="linear from the smallest size"), row=1, col=1)
    if "starsim" in figures:
        chart.add_trace(go.Scatter(x=[figures["starsim"]["residents"]],
                                   y=[figures["starsim"]["wall_s"]], mode="markers",
                                   marker={"symbol": "x", "size": 12},
                                   name=f"Starsim {figures['starsim']['version']} SIS"),
                        row=1, col=1)
    chart.add_trace(go.Scatter(x=sizes, y=[r["peak_mb"] for _, r in rows], mode="lines+markers",
                               name="carecap peak memory"), row=1, col=2)
    chart.update_xaxes(type="log", title="residents")
    chart.update_yaxes(type="log")
    chart.update_layout(title="carecap scaling (baseline scenario)", template="plotly_white")
    chart.write_html(target, include_plotlyjs=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
