"""The dashboard page: controls on the left, the run's figures and views on the right.

State, per browser session (nothing here lives at module level, so two sessions never
share a run):

* ``draft`` — the setting the controls show; edits collect here;
* ``applied`` — the setting of the run on screen; Reset copies the draft into it, so
  the run always matches the setting the Share box hands out;
* ``session`` — the policy run and its comparison, made from ``applied``, rebuilt on
  Reset;
* ``day`` — bumped after every step; only the component that draws the run reads it,
  so stepping redraws the views, not the sixty parameter controls;
* the replicate job and its result (other seeds of the setting, run in the background).

Picking a scenario, a comparison or the run's length, or loading a shared code, applies
at once; parameter, residents and seed edits wait for Reset (a notice at the top of the
controls says what Reset will change).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from urllib.parse import parse_qs, quote

import plotly.graph_objects as go
import solara
import solara.lab
import solara.server.settings

from simulation.dashboard import display, figures
from simulation.dashboard.replicates import MAX_SEEDS, POOL, Job
from simulation.dashboard.session import Run, Session, town_size
from simulation.dashboard.setting import (
    ENGLAND,
    MAX_DAYS,
    MAX_RESIDENTS,
    Setting,
    SettingError,
    served_area,
    served_area_name,
)
from simulation.dashboard.stats import Replicates
from simulation.dashboard.tables import summary
from simulation.dashboard.widgets import (
    Chart,
    Drawn,
    Pacer,
    ParamControl,
    Prose,
    Section,
    ShareLink,
    WholeNumber,
    tag,
)
from simulation.inputs import MAX_SEED
from simulation.metrics import BY_NAME
from simulation.params import GROUPS, SPECS, Params
from simulation.scenarios import Scenario, load_scenario, shipped

# Solara's page puts "This website runs on Solara" over the page's bottom right corner,
# where it covered the charts' export buttons (the page is read per request).
solara.server.settings.theme.show_banner = False

VIEWS = ("Town", "Time series", "Equity", "Costs", "Compare", "Summary")
# The Run loop redraws at most this often; faster speeds step more days per redraw.
FRAME_SECONDS = 0.1
DRAWN_SECONDS = 5.0  # the most the Run loop waits for the page to draw a day
SPEEDS = (1, 2, 5, 10, 30)
SMOOTHING = {"as they are": 1, "7-day moving average": 7, "30-day moving average": 30}
DEFAULT_SMOOTHING = "30-day moving average"
SEED_CHOICES = tuple(n for n in (2, 4, 8, 10, 16, 20) if n <= MAX_SEEDS)  # 10: the lessons
DEFAULT_SEEDS = 8
Choose = Callable[[str | None], None]  # picks the comparison scenario (None: no comparison)
# The headline: each outcome over the run so far (its to-date column).
HEADLINE = ("readmission_rate_30d", "unmet_hours", "volunteers", "cost_total")
_CSS = """
.carecap-page { flex-wrap: nowrap !important; align-items: flex-start; width: 100%; }
.carecap-controls { width: 340px; min-width: 340px; padding: 0 12px 8px 12px;
                    position: sticky; top: 0; overflow-y: auto; max-height: 100vh;
                    border-right: 1px solid #ddd; box-sizing: border-box; }
/* contain: its width never follows its content's, so nothing inside (a chart, a table,
   a row of tabs) can push the page wider than the window. */
.carecap-main { flex: 1 1 0; min-width: 0; padding: 8px 16px; box-sizing: border-box;
                contain: inline-size; }
.carecap-pending { position: sticky; top: 0; z-index: 5; background: white;
                   padding-top: 8px; margin-bottom: 4px; }
.carecap-param { margin-bottom: 6px; }
.carecap-headline { display: flex; flex-wrap: wrap; gap: 6px; }
.carecap-metric { padding: 4px 12px; border-left: 3px solid #0072B2; min-width: 150px;
                  flex: 1 1 150px; max-width: 260px; }
.carecap-metric.carecap-day { min-width: 70px; flex: 0 0 auto; }
.carecap-metric .k { font-size: 0.8em; color: #444; }
.carecap-metric .v { font-size: 1.35em; font-weight: 600; }
.carecap-metric .c, .carecap-metric .r { font-size: 0.78em; color: #333; }
.carecap-sides { font-size: 0.85em; color: #333; margin: 2px 0 6px 0; }
.carecap-sides b.policy { color: #0072B2; }
.carecap-sides b.comparison { color: #b37400; }
.carecap-body { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 12px; }
.carecap-views { flex: 1 1 560px; min-width: 0; }
.carecap-lesson { flex: 1 1 300px; min-width: 0; max-width: 460px; }
.carecap-chart { width: 100%; }
.carecap-town { max-width: 820px; }
.carecap-summary { border-collapse: collapse; font-size: 0.85em; width: 100%; }
.carecap-summary th, .carecap-summary td { padding: 2px 8px; border-bottom: 1px solid #eee;
                                           text-align: right; }
.carecap-summary th:first-child, .carecap-summary td:first-child { text-align: left; }
.carecap-summary td { white-space: nowrap; }
.carecap-summary td:first-child { white-space: normal; }
.carecap-scroll { overflow-x: auto; max-width: 100%; }
.carecap-share code { font-size: 1.05em; word-break: break-all; }
.carecap-link-row { display: flex; gap: 6px; margin: 4px 0; }
.carecap-link { flex: 1 1 0; min-width: 0; font-family: monospace; font-size: 0.85em;
                border: 1px solid #bbb; border-radius: 4px; padding: 4px 6px; }
.carecap-copy { border: 1px solid #0072B2; color: #0072B2; border-radius: 4px;
                padding: 2px 10px; background: white; cursor: pointer; }
.carecap-intro { margin-bottom: 8px; }
.carecap-intro ol { margin: 4px 0 4px 20px; }
@media (max-width: 1200px) {
  .carecap-controls { width: 300px; min-width: 300px; }
  .carecap-main { padding: 8px 8px; }
}
"""


def scenario(name: str) -> Scenario:
    """A shipped scenario, in the area the server runs, read once per server."""
    return _scenario(name, served_area_name())


@cache
def _scenario(name: str, area: str) -> Scenario:
    return load_scenario(name, area=served_area())


def checked(setting: Setting) -> Setting:
    """The setting if the dashboard can run it; otherwise a SettingError naming the field."""
    town_size(setting)
    return setting


def from_query(search: str | None) -> tuple[Setting, str | None]:
    """The setting named by ``?setting=CODE``, or the baseline and why the code was refused."""
    codes = parse_qs(search or "").get("setting")
    if not codes:
        return Setting("baseline"), None
    try:
        if len(codes) > 1:  # which one would run is not for the link's reader to guess
            raise SettingError(f"setting: given {len(codes)} times in the link (allowed: "
                               "one)")
        return checked(Setting.decode(codes[0])), None
    except SettingError as error:
        return Setting("baseline"), f"The shared setting was refused — {error}"


def file_stem(setting: Setting, *, versus: bool = False) -> str:
    """How a downloaded file's name starts: scenario, comparison, area and seed.

    The area is named unless it is England's defaults, so files from servers on two
    areas' towns are told apart by name too.
    """
    compared = f"-vs-{setting.compare}" if versus and setting.compare else ""
    area = f"-{setting.area}" if setting.area != ENGLAND else ""
    return f"carecap-{setting.scenario}{compared}{area}-seed{setting.seed}"


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
    return replace(setting, overrides=overrides)


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
    The replicate workers start too, so the first request for seeds does not wait.
    """
    run = Run(Setting("baseline", residents=SPECS["residents"].low))
    run.step(1)
    figures.network_figure(run.model, figures.TownLayout.of(run.model)).to_plotly_json()
    shown = figures.Shown(run.frame(), None, run.setting, run.residents)
    figures.figure_of("Time series", shown).to_plotly_json()
    POOL.warm()


class Pace:
    """The Run loop's pace: the last day the page has drawn, and whether to stop.

    The page reports each day it draws (:class:`~widgets.Pacer`); Pause asks the loop to
    stop, and wakes it if it is waiting for the page.
    """

    def __init__(self) -> None:
        self._drawn = -1
        self._stop = False
        self._changed = threading.Condition()

    def shown(self, day: int) -> None:
        """The page has drawn ``day``."""
        with self._changed:
            self._drawn = max(self._drawn, day)
            self._changed.notify_all()

    def go(self) -> None:
        """Let a run go on (Run)."""
        with self._changed:
            self._stop = False

    def stop(self) -> None:
        """Ask the run to stop after the day it is on (Pause, Reset)."""
        with self._changed:
            self._stop = True
            self._changed.notify_all()

    @property
    def stopping(self) -> bool:
        """Whether the run was asked to stop."""
        return self._stop

    def wait_for(self, day: int, timeout: float) -> None:
        """Block until the page has drawn ``day``, the run is stopped, or time is up."""
        with self._changed:
            self._changed.wait_for(lambda: self._drawn >= day or self._stop, timeout)


@solara.component
def Page() -> None:  # noqa: N802 - Solara components are named like classes
    """The page Solara serves; reads ``?setting=`` once, when the session starts."""
    router = solara.use_router()
    initial, refused = solara.use_memo(lambda: from_query(router.search), [])

    def show_loaded(setting: Setting) -> None:
        # A code loaded in the Share box becomes the page's address, so a reload (or a
        # bookmark) opens it rather than the link the page was first opened with.
        router.push(f"{router.path}{link_query(setting)}")

    Dashboard(initial, refused, on_loaded=show_loaded)


def link_query(setting: Setting) -> str:
    """The query of a link that opens ``setting``: ``?setting=CODE``."""
    return f"?setting={quote(setting.encode(), safe='~')}"


@solara.component
def Dashboard(initial: Setting, refused: str | None = None,  # noqa: N802
              on_loaded: Callable[[Setting], None] | None = None) -> None:
    """The whole dashboard for one browser session, starting from ``initial``.

    Args:
        initial: The setting of the first run.
        refused: Why the link's setting was refused, shown until the user moves on.
        on_loaded: Told of each setting loaded from a code in the Share box.
    """
    draft = solara.use_reactive(initial)
    applied = solara.use_reactive(initial)
    generation = solara.use_reactive(0)
    running = solara.use_reactive(False)
    speed = solara.use_reactive(1)
    day = solara.use_reactive(0)
    # Whether the run is on its last day: its own value, read by the controls (whose
    # Run and Step it disables), so a step redraws them only when it reaches the end.
    ended = solara.use_reactive(False)
    teaching = solara.use_reactive(False)
    notice = solara.use_reactive(refused)
    smoothing = solara.use_reactive(DEFAULT_SMOOTHING)
    job = solara.use_reactive(None)
    progress = solara.use_reactive((0, 0))
    replicates = solara.use_reactive(None)
    replicate_problem = solara.use_reactive(None)
    intro = solara.use_reactive(True)

    session: Session = solara.use_memo(lambda: Session.start(applied.value),
                                       [generation.value])
    pace = solara.use_memo(Pace, [])

    def forget_replicates() -> None:
        if job.value is not None:
            POOL.cancel(job.value)
        job.set(None)
        replicates.set(None)
        replicate_problem.set(None)

    def reset(setting: Setting | None = None) -> None:
        pace.stop()
        running.set(False)
        forget_replicates()
        if setting is not None:
            draft.set(setting)
        applied.set(setting or draft.value)
        generation.set(generation.value + 1)
        day.set(0)
        ended.set(False)  # a setting's run is at least a day long
        notice.set(None)  # another setting: a refused link's notice is about no longer

    def load(setting: Setting) -> None:
        reset(setting)
        if on_loaded is not None:
            on_loaded(setting)

    def show_day() -> None:
        """Show the session's day, and whether it is the run's last, on the page.

        Every step and every change of the run on screen comes here: once the user has
        run or changed the setting on screen, a refused link's notice is old news.
        """
        day.set(session.day)
        ended.set(session.ended)
        notice.set(None)

    def step() -> None:
        session.step(1)
        show_day()

    def run() -> None:
        pace.go()
        running.set(True)

    def loop(cancel: threading.Event) -> None:
        # Pause only asks the loop to stop: the loop shows the day it stops on, then
        # turns Pause back into Run, so the screen never lags the run it stopped.
        while running.value and not cancel.is_set():
            started = time.perf_counter()
            for _ in range(speed.value):
                if pace.stopping or cancel.is_set() or session.ended:
                    break
                session.step(1)
            if cancel.is_set():  # Reset: another session now
                return
            show_day()
            if pace.stopping or session.ended:
                running.set(False)
                return
            # The next day waits for the page to draw this one: a run that outpaces the
            # page piles redraws up in it, and a click on Pause lands days late.
            pace.wait_for(session.day, DRAWN_SECONDS)
            cancel.wait(max(0.0, FRAME_SECONDS - (time.perf_counter() - started)))

    # Without intrusive_cancel: Solara's tracing-based cancel would slow every step.
    solara.use_thread(loop, dependencies=[running.value, session], intrusive_cancel=False)

    def choose_comparison(name: str | None) -> None:
        forget_replicates()
        session.compare(name or None)
        applied.set(session.setting)
        draft.set(replace(draft.value, compare=name or None))
        show_day()

    def set_length(days: int) -> None:
        forget_replicates()
        session.lengthen(days)
        applied.set(session.setting)
        draft.set(replace(draft.value, days=days))
        show_day()

    def ask_replicates(seeds: int) -> None:
        forget_replicates()
        asked = Job(session.setting, session.run.residents, seeds)
        progress.set((0, asked.total))
        job.set(POOL.submit(asked))

    def watch(cancel: threading.Event) -> None:
        current = job.value
        while current is not None and not cancel.is_set():
            current.wait(0.5)
            if cancel.is_set():
                return
            progress.set((current.done, current.total))
            if current.over:
                replicate_problem.set(current.error)
                replicates.set(current.result())
                job.set(None)
                return

    solara.use_thread(watch, dependencies=[job.value], intrusive_cancel=False)
    # A closed tab leaves no runs queued for the others.
    solara.use_effect(lambda: forget_replicates, [])

    solara.Title("carecap — community care capacity")
    solara.Style(_CSS)
    # A plain two-column layout rather than Solara's Sidebar portal: everything is in one
    # tree, so the component tests can drive the controls the way a user does.
    with solara.Row(gap="0px", classes=["carecap-page"]):
        with solara.Column(classes=["carecap-controls"]):
            Controls(draft, applied, running, speed, reset, step, run, pace.stop, ended,
                     choose_comparison, set_length)
        with solara.Column(classes=["carecap-main"]):
            with solara.Column(gap="0px"):  # a fixed slot: see Controls
                if notice.value:
                    solara.Error(notice.value, dense=True, classes=["carecap-notice"])
            with solara.Column(gap="0px"):
                if intro.value:
                    Intro(on_close=lambda: intro.set(False))
            RunPane(session, day, teaching, choose_comparison, pace.shown, applied.value,
                    load, notice.set, smoothing,
                    Seeds(job, progress, replicate_problem, replicates.value, ask_replicates,
                          forget_replicates))


@solara.component
def Intro(on_close: Callable[[], None]) -> None:  # noqa: N802
    """The first screen's word on what the model is for and what to try."""
    with solara.Card(classes=["carecap-intro"]):
        tag("b", "What would happen to care, to who carries it, and to hospital "
                 "readmission, if a town built reciprocity into care and devolved "
                 "decisions to the people closest to the patient?")
        tag("p", "carecap simulates a town's residents — patients, family carers, "
                 "neighbours, peer volunteers — and its professionals, one day at a time. "
                 "Every figure on this page is for one simulated town; ask for more seeds "
                 "to see how sure a difference is.", style="margin: 4px 0")
        tag("ol",
            tag("li", "Press Run: the run plays to its last day (day 365 unless you set "
                      "another) and stops. The headline shows the run so far."),
            tag("li", "Pick a scenario to compare with (left, under Compare with): the same "
                      "town as shipped. Every difference is policy minus comparison."),
            tag("li", "How sure? Run 8 seeds: bands on the charts and 95% confidence "
                      "intervals in the headline and the Summary."),
            tag("li", "Teaching mode adds the scenario's lesson notes and a link to share "
                      "this setting with a room."))
        solara.Button("Got it", on_click=on_close, text=True, color="primary")


@dataclass(frozen=True)
class Seeds:
    """The replicate seeds' state and actions, handed down to the bar that shows them."""

    job: solara.Reactive[Job | None]
    progress: solara.Reactive[tuple[int, int]]
    problem: solara.Reactive[str | None]
    result: Replicates | None
    ask: Callable[[int], None]
    cancel: Callable[[], None]


@solara.component
def RunPane(session: Session, day: solara.Reactive[int],  # noqa: N802
            teaching: solara.Reactive[bool], choose_comparison: Choose,
            on_shown: Callable[[int], None], applied: Setting,
            on_load: Callable[[Setting], None], on_refused: Callable[[str | None], None],
            smoothing: solara.Reactive[str], seeds: Seeds) -> None:
    """The sides compared, the headline, the seeds, the views and, in teaching mode, the lesson.

    The one component that reads ``day``: Solara renders the page once for each
    component that reads a changed value, so a second reader would double every step.
    """
    today = day.value
    replicates = seeds.result
    Sides(session.setting, session.run.residents)
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Column(style={"flex": "1 1 0", "min-width": "0"}):
            Headline(session, session.setting, today, replicates)
        solara.Switch(label="Teaching mode", value=teaching)
    ReplicateBar(session.setting, seeds)
    with solara.Div(classes=["carecap-body"]):
        with solara.Div(classes=["carecap-views"]):
            Views(session, session.setting, today, choose_comparison, smoothing, replicates)
        if teaching.value:
            with solara.Div(classes=["carecap-lesson"]):
                Lesson(applied, on_load=on_load, on_refused=on_refused)
    PacerView(today, on_shown)


@solara.component
def PacerView(day: int, on_shown: Callable[[int], None]) -> solara.Element:  # noqa: N802
    """The page's answer to each drawn day (see :class:`~widgets.Pacer`)."""
    element = Pacer.element()

    def listen() -> None:  # a widget's element passes on only its traits
        solara.get_widget(element).on_shown = on_shown

    def tell() -> None:
        solara.get_widget(element).day = day

    solara.use_effect(listen, [on_shown])
    solara.use_effect(tell, [day])
    return element


@solara.component
def Sides(setting: Setting, residents: int) -> None:  # noqa: N802
    """What is compared: each side's scenario and settings, and which way differences go."""
    policy, other = figures.side_names(setting)
    changed = ", ".join(f"{name.replace('_', ' ')} {value}"
                        for name, value in setting.overrides.items()) or "none"
    where = f", area {setting.area}" if setting.area != ENGLAND else ""
    town = f"seed {setting.seed}, {residents:,} residents{where}"
    if setting.compare is None:
        tag("div", tag("b", "Policy: ", cls="policy"), f"{policy} — changes: {changed} — ",
            f"{town}, run to day {setting.days}. No comparison.", cls="carecap-sides")
    else:
        tag("div", tag("b", "Policy: ", cls="policy"), f"{policy} — changes: {changed}. ",
            tag("b", "Comparison: ", cls="comparison"),
            f"{other} — no changes. Same town: {town}; run to day {setting.days}. "
            f"Differences are policy − comparison.", cls="carecap-sides")


@solara.component
def Controls(draft: solara.Reactive[Setting], applied: solara.Reactive[Setting],  # noqa: N802
             running: solara.Reactive[bool], speed: solara.Reactive[int],
             reset: Callable[..., None], step: Callable[[], None], run: Callable[[], None],
             pause: Callable[[], None], ended: solara.Reactive[bool],
             choose_comparison: Choose,
             set_length: Callable[[int], None]) -> None:
    """The sidebar: pending changes, scenario and comparison, run buttons, town, parameters."""
    current = draft.value
    sc = scenario(current.scenario)
    pending = changes(current, applied.value)

    def pick(name: str) -> None:
        reset(Setting(name, current.seed, current.residents, compare=current.compare,
                      days=current.days))

    # Sticky at the top of the sidebar: seen wherever in the list a parameter is edited.
    with solara.Column(gap="0px", classes=["carecap-pending"]):
        if pending:
            solara.Warning("Reset to apply: " + "; ".join(pending), dense=True,
                           classes=["carecap-pending-note"])
            solara.Button("Reset to apply", icon_name="mdi-restore", on_click=lambda: reset(),
                          color="warning", small=True)

    solara.Select(label="Scenario", values=shipped(), value=current.scenario, on_value=pick)
    Prose(sc.title, " ".join(sc.description.split()))
    # Optional parts sit in fixed slots (a Column, empty or not): an element appearing
    # earlier in a list would shift the parameter groups below and collapse the one open.
    with solara.Column(gap="0px"):
        if sc.sources:
            with Section(f"Sources ({len(sc.sources)})"):
                Prose(items=sc.sources)
    CompareSelect(applied.value, choose_comparison)

    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
        if running.value:
            solara.Button("Pause", icon_name="mdi-pause", on_click=pause, color="warning")
        else:
            solara.Button("Run", icon_name="mdi-play", on_click=run, color="primary",
                          disabled=ended.value)
        solara.Button("Step", icon_name="mdi-step-forward", on_click=step,
                      disabled=running.value or ended.value)
        solara.Button("Reset", icon_name="mdi-restore", on_click=lambda: reset())
    with solara.Row(gap="8px", style={"flex-wrap": "nowrap"}):
        with solara.Column(gap="0px", style={"flex": "1 1 0", "min-width": "0"}):
            solara.Select(label="Speed (days)", values=list(SPEEDS), value=speed)
        with solara.Column(gap="0px", style={"flex": "1 1 0", "min-width": "0"}):
            RunLength(applied.value.days, set_length)

    with Section("Town: residents and seed", expanded=True):
        TownInputs(draft)
    for group in GROUPS:
        with Section(group.capitalize()):
            ParamGroup(draft, group)


@solara.component
def CompareSelect(applied: Setting, choose_comparison: Choose) -> None:  # noqa: N802
    """Pick the comparison: a scenario as shipped, run beside the policy on the same town."""
    none = "no comparison"
    solara.Select(label="Compare with", values=[none, *shipped()],
                  value=applied.compare or none,
                  on_value=lambda name: choose_comparison(None if name == none else name))


@solara.component
def RunLength(days: int, set_length: Callable[[int], None]) -> None:  # noqa: N802
    """The day the run stops on; applies at once (it changes where the run ends, not how)."""
    WholeNumber("Run to day", "days", days, 1, MAX_DAYS, set_length)


@solara.component
def TownInputs(draft: solara.Reactive[Setting]) -> None:  # noqa: N802
    """Residents and seed, each box with its own refusal (see :class:`~widgets.WholeNumber`)."""
    current = draft.value
    WholeNumber("Residents", "residents", town_size(current), int(SPECS["residents"].low),
                MAX_RESIDENTS, lambda n: draft.set(replace(draft.value, residents=n)))
    WholeNumber("Seed", "seed", current.seed, 0, MAX_SEED,
                lambda n: draft.set(replace(draft.value, seed=n)))


@solara.component
def ParamGroup(draft: solara.Reactive[Setting], group: str) -> None:  # noqa: N802
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
def Headline(session: Session, setting: Setting, day: int,  # noqa: N802
             replicates: Replicates | None) -> None:
    """The day, and each headline outcome over the run so far.

    With a comparison, each figure's change against it; with replicates, the mean over
    seeds (or the paired difference) and its 95% confidence interval.

    ``setting`` is the session's: a comparison picked or a length set changes it, not
    the session or the day, and a changed argument is what redraws a component.
    """
    latest = session.run.latest()
    theirs = session.other.latest() if session.other is not None else {}
    names = figures.side_names(setting)
    with solara.Div(classes=["carecap-headline"]):
        tag("div", tag("div", "Day", cls="k"), tag("div", f"{day}", cls="v"),
            tag("div", f"of {setting.days}", cls="c"), cls="carecap-metric carecap-day")
        for name in HEADLINE:
            so_far = f"{name}_to_date"
            parts = [tag("div", BY_NAME[so_far].label, cls="k"),
                     tag("div", display.value(name, latest[so_far]) if latest else "–",
                         cls="v")]
            if theirs:
                mine, other = latest[so_far], theirs[so_far]
                parts.append(tag("div", f"{names[1]}: {display.value(name, other)} · change "
                                        f"{display.change(name, mine - other)}", cls="c"))
            if replicates is not None:
                parts.append(tag("div", _over_seeds(name, replicates), cls="r"))
            tag("div", *parts, cls=f"carecap-metric carecap-{name.replace('_', '-')}")


def _over_seeds(name: str, replicates: Replicates) -> str:
    """A headline outcome over the replicates: mean or paired difference, with its CI."""
    seeds = f"{len(replicates.seeds)} seeds, {replicates.days} days"
    if replicates.paired:
        mean, low, high = replicates.difference(name)
        return (f"{seeds}: change {display.change(name, mean)} (95% CI "
                f"{display.interval(name, low, high, difference=True)})")
    mean, low, high = replicates.outcome(name)
    return f"{seeds}: {display.value(name, mean)} (95% CI {display.interval(name, low, high)})"


@solara.component
def ReplicateBar(setting: Setting, state: Seeds) -> None:  # noqa: N802
    """How sure? Ask for N seeds of this setting (and its comparison), see them come in.

    The one reader of the job's progress, so a run finishing redraws only this bar.
    """
    seeds = solara.use_reactive(DEFAULT_SEEDS)
    running = state.job.value is not None
    done, total = state.progress.value
    replicates, ask, cancel, problem = state.result, state.ask, state.cancel, state.problem
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"},
                    classes=["carecap-replicates"]):
        tag("b", "How sure?")
        solara.Select(label="Seeds", values=list(SEED_CHOICES), value=seeds,
                      style={"max-width": "110px", "min-width": "90px"})
        side = " and of the comparison" if setting.compare else ""
        if running:
            solara.Button("Cancel seeds", on_click=cancel, color="warning", small=True)
            tag("span", f"running {done} of {total} runs ({seeds.value} seeds of this "
                        f"setting{side}, {setting.days} days each)…")
        else:
            solara.Button(f"Run {seeds.value} seeds", on_click=lambda: ask(seeds.value),
                          color="primary", small=True, outlined=True)
            if replicates is not None:
                tag("span", f"Shown: {replicates.describe()}{side}. Bands on the charts are "
                            "95% confidence intervals of the mean over seeds; the headline "
                            "and the Summary give intervals for the whole run.")
            else:
                pairs = " (same seeds on both sides, so each pair shares a town)" \
                    if setting.compare else ""
                tag("span", f"Runs seeds {setting.seed} to {setting.seed + seeds.value - 1} "
                            f"of this setting{side} in the background{pairs}.")
        if problem.value:
            solara.Error(f"The seeds stopped: {problem.value}", dense=True)


@solara.component
def Views(session: Session, setting: Setting, today: int,  # noqa: N802
          choose_comparison: Choose, smoothing: solara.Reactive[str],
          replicates: Replicates | None) -> None:
    """The tabs of views over the run, with the CSV export; only the open tab is drawn.

    ``setting`` is the session's (a comparison picked or a length set changes it, not the
    session): a changed argument is what redraws a component.
    """
    tab = solara.use_reactive(0)
    policy, other = session.frames()
    shown = figures.Shown(policy, other, setting, session.run.residents,
                          SMOOTHING[smoothing.value], replicates)
    with solara.Row(justify="end", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(label="Daily values", values=list(SMOOTHING), value=smoothing,
                      style={"max-width": "220px"})
        solara.FileDownload(session.csv, label="Daily metrics, both runs (CSV)",
                            mime_type="text/csv",
                            filename=f"{file_stem(setting, versus=True)}-day{today}.csv")
    with solara.lab.Tabs(value=tab):
        for view in VIEWS:
            solara.lab.Tab(view)
    View(VIEWS[tab.value], session, shown, today, choose_comparison)


@solara.component
def View(view: str, session: Session, shown: figures.Shown, day: int,  # noqa: N802
         choose_comparison: Choose) -> None:
    """One view of the run."""
    run = session.run
    if view == "Town":
        TownView(run, day, shown.stamp)
        return
    with solara.Column(gap="0px"):  # a fixed slot, so the chart below is kept, not remade
        if day == 0:
            solara.Info("Press Step or Run: the charts start on day 1.", dense=True)
    if view == "Summary":
        SummaryView(shown)
        return
    if view == "Compare" and shown.comparison is None:
        solara.Info("Pick a scenario to compare with: it runs as shipped on the same town "
                    "(same seed and residents), so the difference is the effect of what "
                    "the policy changes.", dense=True)
        CompareSelect(session.setting, choose_comparison)
        return
    plan = figures.CHARTS[view](shown)
    Chart(Drawn(lambda: plan.figure(shown.stamp), series=plan.series(),
                kind=(view, shown.stamp, shown.window)),
          f"{file_stem(run.setting)}-{view.lower().replace(' ', '-')}-day{day}")


@solara.component
def TownView(run: Run, day: int, stamp: str) -> None:  # noqa: N802
    """The town map, with switches for the edge kinds."""
    # Off at first: the town's ties make the browser's redraw slower (see docs/dashboard.md).
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
            return figures.network_figure(run.model, layout, stamp=stamp, **edges)

    with run.lock:
        today = figures.town_today(run.model, layout, **edges)
    with solara.Div(classes=["carecap-town"]):
        Chart(Drawn(figure, plain=today, kind=("Town", stamp)),
              f"{file_stem(run.setting)}-town-day{day}")


@solara.component
def SummaryView(shown: figures.Shown) -> None:  # noqa: N802
    """Every metric over the run so far, for each run, their difference and over seeds."""
    table = summary(shown.policy, shown.comparison, shown.names, shown.replicates)
    tag("p", "Each outcome from day 1 to today, summarised as `carecap run` summarises a "
             "run: totals, daily means, and rates over the whole run.",
        style="font-size: 0.85em; margin: 4px 0")
    with solara.Div(classes=["carecap-scroll"]):
        tag("table",
            tag("thead", tag("tr", *(tag("th", cell) for cell in table.header))),
            tag("tbody", *(tag("tr", *(tag("td", cell) for cell in row))
                           for row in table.rows)),
            cls="carecap-summary")


@solara.component
def Lesson(setting: Setting, on_load: Callable[[Setting], None],  # noqa: N802
           on_refused: Callable[[str | None], None]) -> None:
    """Teaching mode: the scenario's lesson notes and the share box."""
    sc = scenario(setting.scenario)
    tag("h3", f"Lesson: {sc.title}")
    if sc.look_for:
        Prose("What to look for", items=sc.look_for)
    if sc.questions:
        Prose("Questions", items=sc.questions, ordered=True)
    Share(setting, on_load, on_refused)


@solara.component
def Share(setting: Setting, on_load: Callable[[Setting], None],  # noqa: N802
          on_refused: Callable[[str | None], None]) -> None:
    """The code and full link of the run on screen, and a box to load someone else's code."""
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
        tag("div", "Link — it opens the same scenario, comparison, seed and parameters:")
        ShareLink.element(query=link_query(setting))
        solara.InputText("Paste a code to load", value=typed, continuous_update=True)
        solara.Button("Load code", on_click=load, disabled=not typed.value.strip())
        if problem.value:
            solara.Error(problem.value, dense=True)
