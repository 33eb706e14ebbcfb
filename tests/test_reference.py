"""The per-agent reference engine and the vectorised engine agree in distribution.

Both build the same town from a seed but draw their daily chances differently, so they
are compared over replicates: for each metric, the difference of the engines' mean daily
values over 4 seeds, in units of its standard error. `benchmarks/oracle.py`-style runs
of this exact set-up over seeds 0-3, 4-7 and 8-11 gave a largest |z| of 1.32, 2.16 and
1.38 across all 19 metrics; the bound of 4 leaves room for chance, not for a bug (a
wrong burnout start in the reference showed as z = -16 on staff morale).
"""

from __future__ import annotations

import numpy as np

from benchmarks.oracle import engine_means
from simulation.params import Params
from simulation.reference import COMPARED

BOUND = 4.0


def test_engines_agree_over_replicates() -> None:
    params = Params.from_overrides({"residents": 2_000, "peer_scheme": True,
                                    "warmup_days": 60})
    reference, vectorised = engine_means(params, range(4), days=100)
    se = np.sqrt(reference.var(axis=0, ddof=1) / 4 + vectorised.var(axis=0, ddof=1) / 4)
    diff = reference.mean(axis=0) - vectorised.mean(axis=0)
    assert np.all(se > 0), [COMPARED[k] for k in np.flatnonzero(se == 0)]
    z = diff / se
    worst = {COMPARED[k]: round(float(z[k]), 2) for k in np.flatnonzero(np.abs(z) >= BOUND)}
    assert not worst, f"engines disagree (z-scores): {worst}"
    # Both engines really ran the scheme and cared for people.
    peer_visits, need = COMPARED.index("peer_visits"), COMPARED.index("need_hours")
    assert reference[:, peer_visits].mean() > 0 and vectorised[:, peer_visits].mean() > 0
    assert reference[:, need].mean() > 0
