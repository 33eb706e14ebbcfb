"""CareModel: the Mesa model. Builds the town, then each step runs one simulated day."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
from mesa import batchrunner

from simulation.agents import Professional, Resident
from simulation.areas import Area
from simulation.day import advance, start
from simulation.inputs import MAX_DAYS, whole_value
from simulation.metrics import NAMES, DailyReport
from simulation.params import Params
from simulation.rng import resolve_seed, seed_from_rng
from simulation.rules.care import CARER_MIN_HOURS_WEEK
from simulation.runner import evaluate
from simulation.scenarios import resolve_params
from simulation.state import ACTIVE, DAYS_PER_WEEK, NEVER

if TYPE_CHECKING:
    import networkx as nx

NEIGHBOUR_HELPER_MIN_HOURS_WEEK = 0.25


class _DefaultSeed(int):
    """The seed a model runs with when given none (0), told apart from ``seed=0`` given."""

    def __repr__(self) -> str:
        return "0"


DEFAULT_SEED = _DefaultSeed(0)


class CareModel(mesa.Model):
    """Community care capacity on a social network, one step per simulated day.

    Works with Mesa's tools (``mesa.batch_run``, ``DataCollector``, AgentSets); the
    rules themselves are vectorised over the state arrays of a :class:`~simulation.town.Town`.

    Args:
        params: Parameters to start from (default: the declared defaults).
        seed: The run's seed (0 if neither it nor ``rng`` is given). Same seed and
            parameters give bit-identical output; ``None`` draws a fresh seed, kept as
            ``seed`` so the run can be repeated.
        rng: Mesa's name for the seed (``mesa.Model(rng=...)``): a whole number is the seed
            itself, a numpy ``SeedSequence`` or ``Generator`` gives one
            (:func:`~simulation.rng.seed_from_rng`). Give ``seed`` or ``rng``, not both.
            ``mesa.batch_run`` takes seeds as its ``rng=[...]`` or as a ``seed`` or ``rng``
            parameter (see :class:`_BatchRunSignature`).
        scenario: A shipped scenario name or the path of a scenario file; its overrides
            apply before ``overrides``.
        days: If given, ``running`` turns false after this many days.
        area: An area profile (shipped name or path) the scenario, or the defaults, are
            rooted in; ``None`` for England's defaults.
        **overrides: Any parameter by name, e.g. ``residents=2000, peer_scheme=True``.

    Attributes:
        town: Population, ties, state and the daily phases.
        latest: Today's metrics, by name.
        seed: The seed the run used (drawn afresh if ``None`` was given).
        datacollector: One model reporter per metric, plus ``seed``.
    """

    def __init__(self, params: Params | None = None, *, seed: int | None = DEFAULT_SEED,
                 rng: int | np.random.SeedSequence | np.random.Generator | None = None,
                 scenario: str | None = None, days: int | None = None,
                 area: Area | str | None = None, **overrides: Any) -> None:
        if rng is not None:
            if seed is not None and seed is not DEFAULT_SEED:
                raise ValueError(f"CareModel: seed={seed} and rng={rng!r} given; give one "
                                 "(rng is Mesa's name for the seed)")
            seed = seed_from_rng(rng)
        elif isinstance(seed, np.random.SeedSequence | np.random.Generator):
            seed = seed_from_rng(seed)  # batch_run hands its rng=[...] on as seed
        self.params, self.scenario_name = resolve_params(scenario, params, overrides,
                                                         area=area)
        seed = resolve_seed(seed)
        if days is not None:
            days = whole_value("days", days, 1, MAX_DAYS)
        self.town = start(self.params, seed)
        super().__init__(rng=self.town.streams["mesa"])
        self.seed = seed
        self.days = days
        # Resident agents are made on first use: a million of them cost seconds and
        # hundreds of megabytes, and batch runs never look at them.
        self._residents: list[Resident | None] = [None] * self.town.pop.size
        self._all_made = False
        self.posts = [Professional(self, p) for p in range(self.town.posts)]
        self.latest: dict[str, float] = {}
        self.report = DailyReport()
        # ``seed`` is reported too, so batch_run rows record the seed each run used; the
        # headline outcomes' ``*_to_date`` columns are the run's figure so far (a row of
        # the last step has the run's readmission rate, not the last 30 days').
        # Module-level functions, not lambdas, so a model can be pickled mid-run.
        reporters = {name: functools.partial(_latest, name=name) for name in NAMES}
        self.datacollector = mesa.DataCollector(
            model_reporters={**reporters, "seed": _seed})
        self._graph = None
        self.running = True

    @property
    def day(self) -> int:
        """Days simulated since reporting began."""
        return self.town.day

    def step(self) -> None:
        """Simulate one day and record its metrics."""
        tally = advance(self.town)
        self.latest = self.report(self.town, tally)
        self.datacollector.collect(self)
        if self.days is not None and self.town.day >= self.days:
            self.running = False

    # -- roles as AgentSets ------------------------------------------------------------

    def role_masks(self) -> dict[str, np.ndarray]:
        """Today's roles as boolean arrays over residents.

        A patient is in hospital, in the 30 days after a discharge, or has a care need;
        a family carer gives household care of an hour a week or more; a neighbour helps
        a neighbour (a quarter hour a week or more); a peer volunteer is active.
        """
        town, s = self.town, self.town.state
        return {
            "patient": s.in_hospital | town.recent_discharge() | (s.need > 0),
            "family_carer": s.family_ema * DAYS_PER_WEEK >= CARER_MIN_HOURS_WEEK,
            "neighbour": s.neighbour_ema * DAYS_PER_WEEK >= NEIGHBOUR_HELPER_MIN_HOURS_WEEK,
            "peer_volunteer": s.volunteer == ACTIVE,
        }

    def resident(self, index: int) -> Resident:
        """The agent of resident ``index`` (made on first use)."""
        agent = self._residents[index]
        if agent is None:
            agent = self._residents[index] = Resident(self, index)
        return agent

    @property
    def residents(self) -> list[Resident]:
        """Every resident's agent, by index."""
        if not self._all_made:
            for index in range(len(self._residents)):
                self.resident(index)
            self._all_made = True
        return self._residents  # type: ignore[return-value]

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All agents: every resident and every professional post."""
        self.residents  # noqa: B018 - makes any resident agents not yet made
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        """Agents by type, as Mesa gives them, with every resident made first."""
        self.residents  # noqa: B018 - makes any resident agents not yet made
        return super().agents_by_type

    def _residents_where(self, mask: np.ndarray) -> mesa.agent.AgentSet:
        return mesa.agent.AgentSet([self.resident(int(i)) for i in np.flatnonzero(mask)],
                                   random=self.random)

    @property
    def patients(self) -> mesa.agent.AgentSet:
        """Residents who are patients today."""
        return self._residents_where(self.role_masks()["patient"])

    @property
    def family_carers(self) -> mesa.agent.AgentSet:
        """Residents caring for someone in their household."""
        return self._residents_where(self.role_masks()["family_carer"])

    @property
    def neighbours(self) -> mesa.agent.AgentSet:
        """Residents helping neighbours (mutual aid)."""
        return self._residents_where(self.role_masks()["neighbour"])

    @property
    def peer_volunteers(self) -> mesa.agent.AgentSet:
        """Active peer volunteers."""
        return self._residents_where(self.role_masks()["peer_volunteer"])

    @property
    def professionals(self) -> mesa.agent.AgentSet:
        """Professionals in post (vacant posts excluded)."""
        filled = self.town.state.vacant_until == NEVER
        return mesa.agent.AgentSet([a for a in self.posts if filled[a.post]],
                                   random=self.random)

    @property
    def graph(self) -> nx.Graph:
        """The social graph with today's caseload and all peer-visit edges.

        Residents are nodes ``0..residents-1``, professional posts follow. Built on first
        access and refreshed when the day has moved on.
        """
        from simulation.network import build_graph

        if self._graph is None or self._graph[0] != self.town.day:
            town = self.town
            caseload = (town.state.caseload_post, town.state.caseload)
            self._graph = (town.day, build_graph(town.pop, town.network,
                                                 caseload=caseload, peer=town.peer_pairs()))
        return self._graph[1]


def _latest(model: CareModel, name: str) -> float:
    """The model's metric ``name`` for the day just run (a DataCollector reporter)."""
    return model.latest[name]


def _seed(model: CareModel) -> int:
    """The model's seed (a DataCollector reporter: batch_run rows record it)."""
    return model.seed


def _signature() -> inspect.Signature:
    """CareModel's own arguments, then every parameter as a keyword with its default.

    The parameter keywords are taken from :func:`simulation.evaluate`'s signature, the
    one place they are generated from the declared parameters. Mesa's ``batch_run`` and
    other tools read this signature to see what the model accepts.
    """
    own = [arg for name, arg in inspect.signature(CareModel.__init__).parameters.items()
           if name != "self" and arg.kind is not inspect.Parameter.VAR_KEYWORD]
    taken = {arg.name for arg in own}
    every = [arg for name, arg in inspect.signature(evaluate).parameters.items()
             if name not in taken]
    return inspect.Signature(own + every)


class _BatchRunSignature:
    """CareModel's signature, as a descriptor that keeps seeds given to ``mesa.batch_run``.

    ``batch_run`` passes each of its own ``rng`` values (``None`` when it is given none)
    to the model as ``seed`` if the model's signature has a ``seed`` argument, else as
    ``rng``, over any parameter of that name. CareModel takes both names, so a seed given
    in ``parameters`` under either would be lost to the other: ``{"seed": [1, 2, 3]}``
    ran unseeded. So when ``batch_run`` itself reads the signature and its parameters
    hold ``seed``, the signature leaves ``seed`` out, and ``batch_run`` passes its values
    as ``rng`` instead (``None``, or a second seed that CareModel refuses). Anyone else
    sees the whole signature.
    """

    FRAMES_UP = 64  # how far up to look: inspect.signature's own calls vary by version

    def __init__(self, signature: inspect.Signature) -> None:
        self.signature = signature
        self.without_seed = signature.replace(parameters=[
            arg for name, arg in signature.parameters.items() if name != "seed"])

    def __get__(self, instance: object, owner: type | None = None) -> inspect.Signature:
        parameters = _batch_run_parameters(self.FRAMES_UP)
        return self.without_seed if parameters and "seed" in parameters else self.signature


def _batch_run_parameters(frames_up: int) -> Mapping[str, Any] | None:
    """The ``parameters`` of a ``mesa.batch_run`` call within ``frames_up`` callers, if any."""
    frame = sys._getframe(1)
    for _ in range(frames_up):
        frame = frame.f_back
        if frame is None:
            return None
        if frame.f_code is batchrunner.batch_run.__code__:
            return frame.f_locals.get("parameters")
    return None


CareModel.__signature__ = _BatchRunSignature(_signature())  # type: ignore[attr-defined]
