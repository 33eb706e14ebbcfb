"""Process 5 (risk management): vetting delay and professional vetoes of peer visits."""

from __future__ import annotations

from simulation.params import Params

VETTING_DAYS_AT_NO_AVERSION = 7.0


def vetting_days(p: Params) -> int:
    """Days a new volunteer waits for vetting: a week at no aversion, up to the maximum."""
    days = (1.0 - p.risk_aversion) * VETTING_DAYS_AT_NO_AVERSION \
        + p.risk_aversion * p.vetting_days_max
    return round(days)


def veto_probability(p: Params) -> float:
    """Chance a professional vetoes a peer visit and goes instead."""
    return p.risk_aversion * p.veto_max
