"""The simulated town: who lives there, who knows whom, and the state the phases change.

A :class:`Town` is what every phase of a day is handed (:mod:`simulation.day` runs
them): the parameters, the named random streams, the population, its ties, the
professional posts and the :class:`~simulation.state.State`, with the day's number and
the work arrays some kernels keep between days. It holds no rule of its own.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.network import Network, build_network
from simulation.params import Params
from simulation.population import Population, build_population, professional_posts
from simulation.rng import Streams
from simulation.rules.loneliness import quiet_level
from simulation.state import RECOVERY_DAYS, State, initial_state


class Town:
    """The town at the start of its warm-up (``day`` is ``-warmup_days``).

    :func:`simulation.day.start` builds one and runs the warm-up; reporting starts at
    day 1.

    Args:
        params: Validated parameters.
        seed: The run's seed; every random draw comes from streams made from it.

    Attributes:
        params: The parameters in force today (the rules read these).
        plan: The parameters the run was given, with the levers that start on a day
            (``plan.schedule``); ``params`` is ``plan.on_day(day)``.
        streams: The run's named random streams.
        pop: Fixed traits of every resident.
        network: Family, kin and neighbour ties.
        posts: Number of professional posts (one patch each).
        state: Everything the phases change.
        day: Today's model day.
        ties_seen: Town-sized bool work array of the unpaid-care kernel, all False
            between uses (a fresh one each day costs more in page faults than the work).
        ties_position: Town-sized int64 work array of the same kernel.
        discharges_by_day: Discharges of each day so far (for trailing rates).
        readmissions_by_day: 30-day readmissions of each day so far.
        peer_visits_by_day: Each day's peer visits as (volunteers, patients).
    """

    def __init__(self, params: Params, seed: int) -> None:
        self.params = self.plan = params
        self.streams = Streams(seed)
        self.pop: Population = build_population(params, self.streams["population"])
        self.network: Network = build_network(self.pop, params, self.streams["network"])
        self.posts = professional_posts(params)
        ties = self.network.kin.degree + self.network.neighbour.degree
        quiet = quiet_level(self.pop.isolation, ties, params)
        self.state: State = initial_state(self.pop, params, self.posts, quiet)
        self.day = -params.warmup_days
        self.ties_seen = np.zeros(self.pop.size, dtype=bool)
        self.ties_position = np.zeros(self.pop.size, dtype=np.int64)
        self.discharges_by_day: list[int] = []
        self.readmissions_by_day: list[int] = []
        self.peer_visits_by_day: list[tuple[np.ndarray, np.ndarray]] = []

    def recent_discharge(self) -> np.ndarray:
        """Residents at home within 30 days of their latest discharge (day 0 to 30)."""
        return _recent(self.state.discharged_day, self.state.in_hospital,
                       self.day - RECOVERY_DAYS)

    def trailing(self, history: list[int], days: int = RECOVERY_DAYS) -> int:
        """Sum of the last ``days`` entries of a daily history."""
        return int(sum(history[-days:]))

    def peer_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All (volunteer, patient) pairs of peer visits so far."""
        if not self.peer_visits_by_day:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return (np.concatenate([v for v, _ in self.peer_visits_by_day]),
                np.concatenate([q for _, q in self.peer_visits_by_day]))


@njit(cache=True)
def _recent(discharged_day: np.ndarray, in_hospital: np.ndarray, since: int) -> np.ndarray:
    """At home and discharged on day ``since`` or later (one pass, no temporaries)."""
    recent = np.empty(len(discharged_day), dtype=np.bool_)
    for i in range(len(recent)):
        recent[i] = (discharged_day[i] >= since) & ~in_hospital[i]
    return recent
