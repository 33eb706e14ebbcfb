"""The dashboard page: controls on the left, the run's views on the right.

State, per browser session (nothing here lives at module level, so two sessions never
share a run):

* ``draft`` — the setting the controls show; edits collect here;
* ``applied`` — the setting of the run on screen; Reset copies the draft into it, so
  the run always matches the setting the Share box hands out;
* ``session`` — the run(s) made from ``applied``, rebuilt on Reset;
* ``day`` — bumped after every step; only the components that draw the run read it,
  so stepping redraws the views, not the sixty parameter controls.

Picking a scenario or loading a shared code applies at once; parameter, residents and
seed edits wait for Reset (the controls say so).
"""

from __future__ import annotations

import threading
import time
from functools import cache
from urllib.parse import parse_qs, quote

import plotly.graph_objects as go
import solara
import solara.lab

from simulation.dashboard import figures
from simulation.dashboard.session import DEFAULT_RESIDENTS, MAX_RESIDENTS, Run, Session
from simulation.dashboard.setting import SEEDS_ALLOWED, Setting, SettingError
from simulation.dashboard.widgets import Chart, Drawn, ParamControl, Prose, Section, tag
from simulation.inputs import MAX_SEED
from simulation.params import GROUPS, SPECS, Params
from simulation.scenarios import Scenario, load_scenario, shipped

VIEWS = ("Town", "Time series", "Equity", "Costs", "Compare")
# The views of one run's daily series: figure, its points, and the export's name.
SERIES_VIEWS = {"Time series": (figures.timeseries_figure, figures.timeseries_points, "series"),
                "Equity": (figures.equity_figure, figures.equity_points, "equity"),
                "Costs": (figures.costs_figure, figures.costs_points, "costs")}
# The Run loop redraws at most this often; faster speeds step more days per redraw.
FRAME_SECONDS = 0.1
DRAWN_SECONDS = 5.0  # the most the Run loop waits for a day to be drawn
SPEEDS = (1, 2, 5, 10, 30)
_CSS = """
.carecap-controls { width: 360px; min-width: 360px; padding: 8px 12px; overflow-y: auto;
                    max-height: calc(100vh - 64px); border-right: 1px solid #ddd; }
.carecap-main { flex: 1 1 0; min-width: 0; padding: 8px 16px; }
.carecap-param { margin-bottom: 6px; }
.carecap-metric { padding: 4px 14px; border-left: 3px solid #1f77b4; }
.carecap-metric .v { font-size: 1.35em; font-weight: 600; }
.carecap-share code { font-size: 1.05em; word-break: break-all; }
"""


@cache
def scenario(name: str) -> Scenario:
    """A shipped scenario, read once per server."""
    return load_scenario(name)


def checked(setting: Setting) -> Setting:
    """The setting if the dashboard can run it; otherwise a SettingError naming the field."""
    residents = setting.residents or scenario(setting.scenario).overrides.get(
        "residents", DEFAULT_RESIDENTS)
    if residents > MAX_RESIDENTS:
        raise SettingError(f"residents: {residents:,} is too many for the dashboard "
                           f"(allowed: 50 to {MAX_RESIDENTS:,})")
    return setting


def from_query(search: str | None) -> tuple[Setting, str | None]:
    """The setting named by ``?setting=CODE``, or the baseline and why the code was refused."""
    codes = parse_qs(search or "").get("setting")
    if not codes:
        return Setting("baseline"), None
    try:
        return checked(Setting.decode(codes[0])), None
    except SettingError as error:
        return Setting("baseline"), f"The shared setting was refused — {error}"


def effective(setting: Setting) -> Params:
    """The parameters a setting runs with: its scenario's, then its overrides."""
    return Params.from_overrides(setting.overrides, base=scenario(setting.scenario).params)


def with_param(setting: Setting, name: str, value: object) -> Setting:
    """The setting with one parameter set; a value equal to the scenario's is no override."""
    overrides = dict(setting.overrides)
    if value == getattr(scenario(setting.scenario).params, name):
        overrides.pop(name, None)
    else:
        overrides[name] = value
    return Setting(setting.scenario, setting.seed, setting.residents, overrides)


def changes(draft: Setting, applied: Setting) -> list[str]:
    """What Reset would change, in words."""
    before, after = effective(applied), effective(draft)
    said = [f"{name.replace('_', ' ')} {getattr(before, name)} → {getattr(after, name)}"
            for name in SPECS if name != "residents"
            and getattr(before, name) != getattr(after, name)]
    if draft.seed != applied.seed:
        said.append(f"seed {applied.seed} → {draft.seed}")
    if draft.residents != applied.residents:
        said.append(f"residents → {draft.residents or 'the scenario’s'}")
    return said


def warm_up() -> None:
    """Load, before the server takes requests, what the first page would wait for.

    The model's compiled kernels and plotly's validators load on first use, which took a
    second of the first visitor's page; a small town stepped once and drawn loads them.
    """
    run = Run(Setting("baseline", residents=SPECS["residents"].low))
    run.step(1)
    figures.network_figure(run.model, figures.TownLayout.of(run.model)).to_plotly_json()
    figures.timeseries_figure(run.frame()).to_plotly_json()


@solara.component
def Page():  # noqa: N802 - Solara components are named like classes
    """The page Solara serves; reads ``?setting=`` once, when the session starts."""
    router = solara.use_router()
    initial, refused = solara.use_memo(lambda: from_query(router.search), [])
    Dashboard(initial, refused)


@solara.component
def Dashboard(initial: Setting, refused: str | None = None):  # noqa: N802
    """The whole dashboard for one browser session, starting from ``initial``."""
    draft = solara.use_reactive(initial)
    applied = solara.use_reactive(initial)
    generation = solara.use_reactive(0)
    compare_with = solara.use_reactive(None)
    running = solara.use_reactive(False)
    speed = solara.use_reactive(1)
    day = solara.use_reactive(0)
    teaching = solara.use_reactive(False)
    notice = solara.use_reactive(refused)

    session: Session = solara.use_memo(
        lambda: Session.start(applied.value, compare_with.value),
        [applied.value, generation.value])

    def reset(setting: Setting | None = None) -> None:
        running.set(False)
        if setting is not None:
            draft.set(setting)
        applied.set(setting or draft.value)
        generation.set(generation.value + 1)
        day.set(0)

    def step() -> None:
        session.step(1)
        day.set(session.day)

    drawn = solara.use_memo(threading.Event, [])  # set by Views once a day is drawn

    def loop(cancel: threading.Event) -> None:
        while running.value and not cancel.is_set():
            started = time.perf_counter()
            session.step(speed.value)
            if cancel.is_set():
                return
            drawn.clear()
            day.set(session.day)
            # The next day waits for this one to be drawn: Solara gives up ("too many
            # renders") when another thread changes state during every render pass.
            drawn.wait(DRAWN_SECONDS)
            cancel.wait(max(0.0, FRAME_SECONDS - (time.perf_counter() - started)))

    # Without intrusive_cancel: Solara's tracing-based cancel would slow every step.
    solara.use_thread(loop, dependencies=[running.value, session], intrusive_cancel=False)

    def choose_comparison(name: str | None) -> None:
        session.compare(name)
        compare_with.set(name)
        day.set(session.day)

    solara.Title("carecap — community care capacity")
    solara.Style(_CSS)
    # A plain two-column layout rather than Solara's Sidebar portal: everything is in one
    # tree, so the component tests can drive the controls the way a user does.
    with solara.Row(gap="0px", style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
        with solara.Column(classes=["carecap-controls"]):
            Controls(draft, applied, running, speed, reset, step)
        with solara.Column(classes=["carecap-main"]):
            with solara.Column(gap="0px"):  # a fixed slot: see Controls
                if notice.value:
                    solara.Error(notice.value, dense=True, classes=["carecap-notice"])
            RunPane(session, day, teaching, compare_with.value, choose_comparison, drawn.set,
                    applied.value, reset, notice.set)


@solara.component
def RunPane(session: Session, day: solara.Reactive[int],  # noqa: N802
            teaching: solara.Reactive[bool], compare_with: str | None, choose_comparison,
            on_drawn, applied: Setting, on_load, on_refused):
    """The headline, the views and, in teaching mode, the lesson beside them.

    The one component that reads ``day``: Solara renders the page once for each
    component that reads a changed value, so a second reader would double every step.
    """
    today = day.value
    with solara.Row(style={"align-items": "center"}):
        Headline(session, today)
        solara.v.Spacer()
        solara.Switch(label="Teaching mode", value=teaching)
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
        with solara.Column(style={"flex": "3 1 0", "min-width": "0"}):
            Views(session, today, compare_with, choose_comparison, on_drawn)
        if teaching.value:
            with solara.Column(style={"flex": "1 1 0", "min-width": "300px"}):
                Lesson(applied, on_load=on_load, on_refused=on_refused)


@solara.component
def Controls(draft, applied, running, speed, reset, step):  # noqa: N802
    """The sidebar: scenario, run buttons, town, parameters by group, sharing."""
    current = draft.value
    sc = scenario(current.scenario)
    pending = changes(current, applied.value)

    def pick(name: str) -> None:
        reset(Setting(name, current.seed, current.residents))

    solara.Select(label="Scenario", values=shipped(), value=current.scenario, on_value=pick)
    Prose(sc.title, " ".join(sc.description.split()))
    # Optional parts sit in fixed slots (a Column, empty or not): an element appearing
    # earlier in a list would shift the parameter groups below and collapse the one open.
    with solara.Column(gap="0px"):
        if sc.sources:
            with Section(f"Sources ({len(sc.sources)})"):
                Prose(items=sc.sources)

    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
        if running.value:
            solara.Button("Pause", icon_name="mdi-pause", on_click=lambda: running.set(False),
                          color="warning")
        else:
            solara.Button("Run", icon_name="mdi-play", on_click=lambda: running.set(True),
                          color="primary")
        solara.Button("Step", icon_name="mdi-step-forward", on_click=step,
                      disabled=running.value)
        solara.Button("Reset", icon_name="mdi-restore", on_click=lambda: reset())
    solara.Select(label="Speed (days per redraw)", values=list(SPEEDS), value=speed)
    with solara.Column(gap="0px"):
        if pending:
            solara.Warning("Reset to apply: " + "; ".join(pending), dense=True)

    with Section("Town: residents and seed", expanded=True):
        TownInputs(draft)
    for group in GROUPS:
        with Section(group.capitalize()):
            ParamGroup(draft, group)


@solara.component
def TownInputs(draft):  # noqa: N802
    """Residents and seed; values the dashboard cannot run are refused, with the reason."""
    current = draft.value
    problem = solara.use_reactive(None)
    shown = current.residents or scenario(current.scenario).overrides.get(
        "residents", DEFAULT_RESIDENTS)

    def set_residents(value: int | None) -> None:
        if value is None or not SPECS["residents"].low <= value <= MAX_RESIDENTS:
            problem.set(f"residents: {value} refused (allowed: "
                        f"{SPECS['residents'].low:g} to {MAX_RESIDENTS:,} in the dashboard)")
            return
        problem.set(None)
        draft.set(Setting(current.scenario, current.seed, value, current.overrides))

    def set_seed(value: int | None) -> None:
        if value is None or not 0 <= value <= MAX_SEED:
            problem.set(f"seed: {value} refused ({SEEDS_ALLOWED})")
            return
        problem.set(None)
        draft.set(Setting(current.scenario, value, current.residents, current.overrides))

    solara.InputInt("Residents", value=shown, on_value=set_residents, continuous_update=False)
    solara.InputInt("Seed", value=current.seed, on_value=set_seed, continuous_update=False)
    if problem.value:
        solara.Error(problem.value, dense=True)


@solara.component
def ParamGroup(draft, group: str):  # noqa: N802
    """Every parameter of one group, generated from the declarations."""
    current = draft.value
    values = effective(current)
    base = scenario(current.scenario).params
    for name, spec in SPECS.items():
        if spec.group != group or name == "residents":
            continue

        def set_value(value, name=name):
            draft.set(with_param(draft.value, name, value))

        ParamControl(name, getattr(values, name), set_value,
                     changed=getattr(values, name) != getattr(base, name))


@solara.component
def Headline(session: Session, day: int):  # noqa: N802
    """The day counter and today's headline figures."""
    latest = session.run.latest()
    items = [("Day", f"{day}")]
    if latest:
        items += [("30-day readmission", f"{latest['readmission_rate_30d']:.1%}"),
                  ("Unmet care", f"{latest['unmet_hours']:,.0f} h"),
                  ("Volunteers", f"{latest['volunteers']:,.0f}"),
                  ("Staff morale", f"{latest['staff_morale']:.2f}")]
    with solara.Row(gap="4px"):
        for label, value in items:
            tag("div", tag("div", label), tag("div", value, cls="v"),
                cls=f"carecap-metric carecap-{label.split()[0].lower()}")


@solara.component
def Views(session: Session, today: int, compare_with,  # noqa: N802
          choose_comparison, on_drawn=lambda: None):
    """The tabs of views over the run, with the CSV export; only the open tab is drawn.

    Calls ``on_drawn`` once a day's views are drawn.
    """
    tab = solara.use_reactive(0)
    run = session.run
    solara.use_effect(on_drawn, [today])
    with solara.Row(justify="end"):
        solara.FileDownload(run.csv, label="Daily metrics (CSV)", mime_type="text/csv",
                            filename=f"carecap-{run.setting.scenario}-seed{run.setting.seed}"
                                     f"-day{today}.csv")
    with solara.lab.Tabs(value=tab):
        for view in VIEWS:
            solara.lab.Tab(view)
    View(VIEWS[tab.value], session, today, compare_with, choose_comparison)


@solara.component
def View(view: str, session: Session, day: int, compare_with, choose_comparison):  # noqa: N802
    """One view of the run."""
    run = session.run
    if view == "Town":
        TownView(run, day)
        return
    with solara.Column(gap="0px"):  # a fixed slot, so the chart below is kept, not remade
        if day == 0 and view != "Compare":
            solara.Info("Press Step or Run: the charts start on day 1.", dense=True)
    if view == "Compare":
        CompareView(session, day, compare_with, choose_comparison)
        return
    figure, points, suffix = SERIES_VIEWS[view]
    frame = run.frame()
    Chart(Drawn(lambda: figure(frame), series=points(frame), kind=view),
          f"carecap-{run.setting.scenario}-seed{run.setting.seed}-{suffix}")


@solara.component
def TownView(run: Run, day: int):  # noqa: N802
    """The town map, with switches for the edge kinds."""
    # Off at first: the town's ties triple the browser's redraw time (see docs/dashboard.md).
    social = solara.use_reactive(False)
    peer = solara.use_reactive(True)
    caseload = solara.use_reactive(False)
    layout = solara.use_memo(lambda: figures.TownLayout.of(run.model), [run])
    with solara.Row(gap="16px"):
        solara.Checkbox(label="social ties", value=social)
        solara.Checkbox(label="peer visits", value=peer)
        solara.Checkbox(label="caseload", value=caseload)
    edges = {"show_social": social.value, "show_peer": peer.value,
             "show_caseload": caseload.value}

    def figure() -> go.Figure:  # for a first draw or an export: the model as it is then
        with run.lock:
            return figures.network_figure(run.model, layout, **edges)

    with run.lock:
        today = figures.town_today(run.model, layout, **edges)
    Chart(Drawn(figure, plain=today, kind="Town"),
          f"carecap-{run.setting.scenario}-seed{run.setting.seed}-town-day{day}")


@solara.component
def CompareView(session: Session, day: int, compare_with, choose_comparison):  # noqa: N802
    """Two scenarios, same seed, same town: both runs and their difference."""
    current = session.run.setting.scenario
    others = [name for name in shipped() if name != current]
    with solara.Row(style={"align-items": "center"}):
        solara.Select(label=f"Compare {current} with", values=others,
                      value=compare_with if compare_with in others else None,
                      on_value=choose_comparison)
        if compare_with:
            solara.Button("Stop comparing", on_click=lambda: choose_comparison(None),
                          text=True)
    if session.other is None:
        solara.Info("Pick a second scenario: it runs beside this one with the same seed, "
                    "town and overrides, so the difference is the scenario's effect.",
                    dense=True)
        return
    with solara.Column(gap="0px"):
        if day == 0:
            solara.Info("Press Step or Run to run both.", dense=True)
    frames = (session.run.frame(), session.other.frame(),
              (current, session.other.setting.scenario))
    Chart(Drawn(lambda: figures.compare_figure(*frames),
                series=figures.compare_points(*frames), kind=("Compare", frames[2])),
          f"carecap-compare-{current}-vs-{session.other.setting.scenario}")


@solara.component
def Lesson(setting: Setting, on_load, on_refused):  # noqa: N802
    """Teaching mode: the scenario's lesson notes and the share box."""
    sc = scenario(setting.scenario)
    tag("h3", f"Lesson: {sc.title}")
    if sc.look_for:
        Prose("What to look for", items=sc.look_for)
    if sc.questions:
        Prose("Questions", items=sc.questions, ordered=True)
    Share(setting, on_load, on_refused)


@solara.component
def Share(setting: Setting, on_load, on_refused):  # noqa: N802
    """The code and link of the run on screen, and a box to load someone else's code."""
    code = setting.encode()
    typed = solara.use_reactive("")
    problem = solara.use_reactive(None)

    def load() -> None:
        try:
            loaded = checked(Setting.decode(typed.value))
        except SettingError as error:
            problem.set(f"Refused — {error}")
            return
        problem.set(None)
        on_refused(None)
        on_load(loaded)

    with solara.Card("Share this run", classes=["carecap-share"]):
        tag("div", "Code: ", tag("code", code, cls="carecap-code"))
        tag("div", tag("a", "Link to this setting", cls="carecap-link",
                       href=f"?setting={quote(code, safe='~')}"),
            " — copy it to the room: it opens the same scenario, seed and parameters.")
        solara.InputText("Paste a code to load", value=typed, continuous_update=True)
        solara.Button("Load code", on_click=load, disabled=not typed.value.strip())
        if problem.value:
            solara.Error(problem.value, dense=True)
