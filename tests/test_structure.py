"""The shape of the code: no import cycles; the day declared once, and kept to."""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
from pathlib import Path

import numpy as np

import simulation
from simulation.day import PHASES, begin_day, start
from simulation.params import Params
from simulation.state import State

PACKAGE = Path(simulation.__file__).parent


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["simulation", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Nodes inside ``if TYPE_CHECKING:`` blocks (never imported at run time)."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                   "typing.TYPE_CHECKING"):
            for child in node.body:
                skipped.update(ast.walk(child))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Each module of ``simulation`` and the modules of it that it imports at run time.

    Imports inside functions count: deferring an import hides a cycle, it does not
    remove it.
    """
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        targets = set()
        for node in ast.walk(tree):
            if node in skipped:
                continue
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_simulation_imports_itself_through_others() -> None:
    graph = import_graph()
    assert graph.get("simulation.cli")  # the graph was read
    assert cycles(graph) == []


def test_input_checking_sits_below_the_commands_that_use_it() -> None:
    graph = import_graph()
    for user in ("simulation.cli", "simulation.validate", "simulation.lessons",
                 "simulation.dashboard.command"):
        assert "simulation.inputs" in graph[user], user
        assert "simulation.cli" not in graph[user] or user == "simulation.cli"


# -- the day as data --------------------------------------------------------------------


def _snapshot(state) -> dict:
    return {f.name: copy.deepcopy(getattr(state, f.name)) for f in dataclasses.fields(state)}


def _changed(before: dict, after: dict) -> set[str]:
    return {name for name, value in before.items()
            if not np.array_equal(np.asarray(value), np.asarray(after[name]))}


# A town where every process acts: the scheme on, staff leaving, carers burning out.
EVERY_PROCESS = {
    "residents": 5_000, "warmup_days": 30, "peer_scheme": True, "attrition_rate": 2.0,
    "vacancy_days": 10.0, "strain_threshold": 2.0, "strain_scale": 20.0,
    "devolved_authority": 0.6, "risk_aversion": 0.6, "peer_substitution": 0.5,
    "vetting_days_max": 14.0}


def test_each_phase_writes_only_the_state_it_declares_and_everything_it_declares() -> None:
    town = start(Params.from_overrides(EVERY_PROCESS), seed=4)
    written: dict[str, set[str]] = {phase.name: set() for phase in PHASES}
    for _ in range(90):
        begin_day(town)
        for phase in PHASES:
            before = _snapshot(town.state)
            phase.run(town)
            changed = _changed(before, _snapshot(town.state))
            assert changed <= set(phase.writes), (phase.name, changed - set(phase.writes))
            written[phase.name] |= changed
    for phase in PHASES:
        assert written[phase.name] == set(phase.writes), (
            phase.name, set(phase.writes) - written[phase.name])


def _same(a, b) -> bool:
    """Equal to the bit, through the named tuples, dicts and arrays phases return."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(np.asarray(a), np.asarray(b))


def _copy(town):
    """A copy a phase can run on without touching ``town``: what phases change is copied."""
    other = copy.copy(town)
    for name in ("state", "streams", "discharges_by_day", "readmissions_by_day",
                 "peer_visits_by_day"):
        setattr(other, name, copy.deepcopy(getattr(town, name)))
    return other


def _reads_undeclared(phase, town, scramble: np.random.Generator) -> set[str]:
    """Fields whose values before ``phase`` change what it does, though not declared read.

    Each such field in turn is scrambled in a copy of the town (each entry one of the
    field's values, drawn evenly, so nothing is out of range and rare values such as a
    waiting decision become common), and the phase run on both. A field it does not read
    cannot change what it counts or what it writes: a field it only writes must end the
    same in both wherever the phase wrote it in either.
    """
    found = set()
    for name in (f.name for f in dataclasses.fields(town.state)):
        value = getattr(town.state, name)
        if name in phase.reads or not isinstance(value, np.ndarray):
            continue
        values = np.unique(value)
        if len(values) < 2:
            continue
        here, there = _copy(town), _copy(town)
        scrambled = scramble.choice(values, size=value.shape)
        setattr(there.state, name, scrambled.copy())
        same = _same(phase.run(here), phase.run(there))
        for w in phase.writes:
            mine, theirs = getattr(here.state, w), getattr(there.state, w)
            if w != name or mine.shape != value.shape:
                same &= _same(mine, theirs)
            else:  # written, not read: where either run wrote it, both wrote the same
                written = (mine != value) | (theirs != scrambled)
                same &= _same(theirs[written], mine[written])
        if not same:
            found.add(name)
    return found


def test_each_phase_reads_only_the_state_it_declares() -> None:
    # Smaller, for the copies (:func:`_reads_undeclared`); every referral vetoed and
    # discharges heard of sooner, so the rarer reads happen within the month.
    town = start(Params.from_overrides({
        **EVERY_PROCESS, "residents": 1_000, "risk_aversion": 1.0, "veto_max": 1.0,
        "notify_delay_days": 1.0}), seed=4)
    scramble = np.random.default_rng(0)
    undeclared: dict[str, set[str]] = {phase.name: set() for phase in PHASES}
    for _ in range(30):
        begin_day(town)
        for phase in PHASES:
            undeclared[phase.name] |= _reads_undeclared(phase, town, scramble)
            phase.run(town)
    assert undeclared == {phase.name: set() for phase in PHASES}


def test_phases_name_state_fields_that_exist_and_count_distinct_things() -> None:
    fields = {f.name for f in dataclasses.fields(State)}
    counted: list[str] = []
    for phase in PHASES:
        assert set(phase.reads) | set(phase.writes) <= fields, phase.name
        # the phase returns what it declares (its rule's annotation names the type)
        assert inspect.signature(phase.run).return_annotation == phase.counts.__name__
        counted += phase.counts._fields
    assert len(counted) == len(set(counted))  # no two phases count the same thing


def test_the_reference_engine_runs_the_same_phases_in_the_same_order() -> None:
    from simulation.reference import ReferenceModel

    for phase in PHASES:
        assert callable(getattr(ReferenceModel, f"_{phase.name}", None)), phase.name
    source = inspect.getsource(ReferenceModel.step)
    assert "for phase in PHASES" in source  # the order comes from the declaration


def test_every_rule_module_is_a_phase_or_a_helper_of_one() -> None:
    rules = {path.stem for path in (PACKAGE / "rules").glob("*.py") if path.stem != "__init__"}
    entries = {phase.run.__module__.rsplit(".", 1)[1] for phase in PHASES}
    helpers = rules - entries
    assert helpers == {"unpaid_care", "formal_care"}  # the care phase's two halves
    graph = import_graph()
    assert all(f"simulation.rules.{h}" in graph["simulation.rules.care"] for h in helpers)
