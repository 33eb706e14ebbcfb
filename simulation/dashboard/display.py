"""How a metric is shown to people: its label, its unit, and its numbers, rounded.

Everything here reads the metric declarations (``simulation/metrics.py``: each metric's
``label`` and ``unit``), so a chart's axis, a tooltip, a headline figure, a table cell
and a lesson's quoted figure all say the same thing the same way. Shares are shown as
percentages and their differences in percentage points; costs in pounds at
:data:`PRICE_YEAR` prices.
"""

from __future__ import annotations

import math

from simulation.metrics import BY_NAME
from simulation.provenance import VERSION as VERSION  # the stamp on every chart and export

# The price base of every cost: the parameters' unit costs are 2023 figures (PSSRU Unit
# Costs of Health and Social Care 2023; Homecare Association minimum price 2023).
PRICE_YEAR = 2023
MINUS = "\u2212"  # a typographic minus: a hyphen reads as a dash on slides

_SCORES = {"score 0-1", "index 0-1"}
# Plotly (d3) tick formats: a plain figure with thousands separators and only the decimals
# it needs, and a percentage likewise, so close ticks never repeat one rounded label.
PLAIN = ","
PERCENT = "~%"


def unit(name: str) -> str:
    """The unit of metric ``name`` as an axis or a table shows it ("%", "£, 2023 prices")."""
    declared = BY_NAME[name].unit
    if declared == "share":
        return "%"
    if declared == "GBP":
        return f"£, {PRICE_YEAR} prices"
    return declared


def title(name: str) -> str:
    """The metric's label with its unit: "30-day readmission rate (%)"."""
    return f"{BY_NAME[name].label} ({unit(name)})"


def _signed(text: str, x: float, sign: bool) -> str:
    """``text`` (the size of ``x``, rounded) with its sign; a value that rounds to 0 has none."""
    if not any(c in "123456789" for c in text):
        return text
    if x < 0:
        return MINUS + text
    return ("+" + text) if sign else text


def value(name: str, x: float, *, sign: bool = False) -> str:
    """A figure of metric ``name`` for people: "14.2%", "£7.31m", "12,345 h", "0.84".

    Args:
        name: The metric.
        x: Its value.
        sign: Write a plus before a positive value (a change).
    """
    declared = BY_NAME[name].unit
    if not math.isfinite(x):
        return "–"
    size = abs(x)
    if declared == "share":
        text = f"{size:.1%}"
    elif declared == "GBP":
        text = (f"£{size / 1e6:,.2f}m" if size >= 1e6 else
                f"£{size / 1e3:,.1f}k" if size >= 1e3 else f"£{size:,.0f}")
    elif declared in _SCORES:
        text = f"{size:.2f}"
    elif declared == "hours":
        text = f"{size:,.0f} h"
    elif declared == "days":
        text = f"{size:,.1f} days"
    elif float(size).is_integer() or size >= 1000:
        text = f"{size:,.0f}"  # any other unit counts things: people, visits, referrals...
    else:  # a mean of a count: "60.4 volunteers on an average day"
        text = f"{size:,.1f}"
    return _signed(text, x, sign)


def change(name: str, dx: float) -> str:
    """A difference of metric ``name``, signed: "−1.5 pts" for shares, "+£0.42m" for costs."""
    if BY_NAME[name].unit == "share":
        return _signed(f"{abs(dx) * 100:.1f} pts", dx, True)
    return value(name, dx, sign=True)


def interval(name: str, low: float, high: float, *, difference: bool = False) -> str:
    """A 95% confidence interval: "13.1% to 14.7%", or "−1.9 to −0.7 pts" for a difference.

    A unit written after the figures ("h", "days", "pts") is written once, at the end.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    show = (lambda x: change(name, x)) if difference else (lambda x: value(name, x))
    first, last = show(low), show(high)
    number, space, unit = first.rpartition(" ")
    if space and unit.isalpha() and last.endswith(" " + unit):
        first = number
    return f"{first} to {last}"


def scale(name: str, *, difference: bool = False) -> float:
    """What a chart multiplies values by: a difference of shares is drawn in points."""
    return 100.0 if difference and BY_NAME[name].unit == "share" else 1.0


def hover(name: str, ref: str = "y", *, difference: bool = False) -> str:
    """A plotly hover template piece showing ``%{ref}`` rounded as :func:`value` rounds it.

    With ``difference``, signed, and a share's difference in points (see :func:`scale`).
    """
    declared = BY_NAME[name].unit
    plus = "+" if difference else ""
    if declared == "share":
        return f"%{{{ref}:+.1f}} pts" if difference else f"%{{{ref}:.1%}}"
    if declared == "GBP":  # plotly would write a £ prefix before the sign: "£-42"
        return f"%{{{ref}:+,.0f}} GBP" if difference else f"£%{{{ref}:,.0f}}"
    if declared in _SCORES:
        return f"%{{{ref}:{plus}.2f}}"
    if declared == "hours":
        return f"%{{{ref}:{plus},.0f}} h"
    if declared == "days":
        return f"%{{{ref}:{plus},.1f}} days"
    return f"%{{{ref}:{plus},.1f}}"


def difference_unit(name: str) -> str:
    """The unit of a difference of metric ``name``: a share's is points (see :func:`scale`).

    Said in a title or an axis title, because a difference's ticks carry none (see
    :func:`axis`).
    """
    return "pts" if BY_NAME[name].unit == "share" else unit(name)


def difference_title(name: str) -> str:
    """A difference chart's title with its unit: "Cost of all formal care: difference (£, ...)"."""
    return f"{BY_NAME[name].label}: difference ({difference_unit(name)})"


def axis(name: str, *, difference: bool = False) -> dict[str, str]:
    """Plotly axis settings for metric ``name``: percentages for shares, £ for costs.

    Ticks are plain figures with thousands separators ("12,345", "0.4"): plotly's SI
    suffixes write a thousandth as "m", which every headline uses for a million. A
    difference's ticks carry no unit, because plotly writes a prefix before the sign
    ("£−0.2"); its title or its axis title names the unit (:func:`difference_unit`).
    """
    declared = BY_NAME[name].unit
    if difference:
        return {"tickformat": PLAIN}
    if declared == "share":
        return {"tickformat": PERCENT}
    if declared == "GBP":
        return {"tickprefix": "£", "tickformat": PLAIN}
    return {"tickformat": PLAIN}
