"""Dashboard pieces without a browser: share codes, runs, figures, and the components.

Components are rendered with ``solara.render`` and driven by setting their widgets'
values and clicking their buttons, as a user would; the end-to-end tests in a real
browser are in ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from io import StringIO

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

# Before Solara is imported: test runs send no telemetry.
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import solara
from plotly.io.json import to_json_plotly
from solara.components.file_download import FileDownloadWidget

from simulation import run as run_model
from simulation.dashboard import app, assets, display, figures, stats, tables
from simulation.dashboard.command import serve, server_address, url
from simulation.dashboard.replicates import MAX_SEEDS, Job, Pool, params_of
from simulation.dashboard.session import MAX_RESIDENTS, STAMP_COLUMNS, Run, Session
from simulation.dashboard.setting import MAX_DAYS, Setting, SettingError
from simulation.dashboard.widgets import Drawn, Pacer, PlotlyView, ShareLink, slider_step
from simulation.inputs import InputError
from simulation.metrics import DAILY, NAMES
from simulation.params import SPECS
from simulation.scenarios import load_scenario

TINY = 300  # residents: a town that builds in a fraction of a second


# -- share codes ---------------------------------------------------------------------------


def test_setting_round_trips_through_its_code():
    setting = Setting("peer_visits", 7, 2000, {"risk_aversion": 0.2, "peer_scheme": False,
                                                "norm_gain_when_helped": 1e-05})
    code = setting.encode()
    assert Setting.decode(code) == setting
    assert all(c.isalnum() or c in "-._~" for c in code)  # URL-safe as it stands
    assert code.startswith("peer_visits~7~2000~")


def test_the_comparison_and_the_runs_length_travel_in_the_code():
    setting = Setting("peer_visits", 7, 2000, {"risk_aversion": 0.2}, compare="baseline",
                      days=730)
    code = setting.encode()
    assert code == "peer_visits~7~2000~risk_aversion-0.2~vs-baseline~days-730"
    assert Setting.decode(code) == setting
    # A year is the default and is not written; a comparison may be the scenario itself.
    assert Setting("baseline", compare="baseline").encode() == "baseline~0~~vs-baseline"
    assert Setting.decode("baseline~0~").days == 365


def test_a_codes_numbers_are_read_as_carecap_run_reads_them():
    # `carecap run --residents 2e3` runs 2,000 residents, and so does a code.
    assert Setting.decode("baseline~1~2e3").residents == 2000
    assert Setting.decode("baseline~1~ 2000").residents == 2000
    # `carecap run --set risk_aversion=1e-400` runs 0.0 (the float it writes), as a code does.
    assert Setting.decode("baseline~1~~risk_aversion-1e-400").overrides == {"risk_aversion": 0.0}


def test_setting_normalises_to_declared_types():
    setting = Setting("baseline", 1, 2000.0, {"manager_review_days": 7.0, "gap_prob": 1})
    assert setting.residents == 2000 and isinstance(setting.residents, int)
    assert setting.overrides == {"gap_prob": 1.0, "manager_review_days": 7}
    assert Setting("baseline").encode() == "baseline~0~"


@pytest.mark.parametrize(("code", "names"), [
    ("nowhere~1~", ("scenario", "baseline")),
    ("baseline~x~", ("seed", "whole number")),
    ("baseline~1~10", ("residents", "from 50 to 50,000 in the dashboard")),
    ("baseline~1~60000", ("residents", "from 50 to 50,000 in the dashboard")),
    ("baseline~1~2000.5", ("residents", "whole number")),
    ("baseline~1~1_000", ("residents", "whole number")),
    ("baseline~1~~risk_aversion-3", ("risk_aversion", "from 0 to 1")),
    ("baseline~1~~wibble-1", ("wibble", "unknown parameter")),
    ("baseline~1~~peer_scheme-maybe", ("peer_scheme", "true or false")),
    ("baseline~1~~risk_aversion", ("risk_aversion", "name-value")),
    ("baseline~1~~residents-500", ("residents", "residents field")),
    ("garbage", ("cannot be read",)),
    ("baseline~1~~vs-nowhere", ("compare", "peer_visits")),
    ("baseline~1~~days-0", ("days", f"1 to {MAX_DAYS:,}")),
    ("baseline~1~~days-ten", ("days", "whole number")),
    # A field given twice would run one of two values the code's reader saw.
    ("baseline~0~~risk_aversion-0.2~risk_aversion-0.9", ("risk_aversion", "twice")),
    ("baseline~0~~vs-peer_visits~vs-baseline", ("vs", "twice")),
    ("baseline~0~~days-5~days-7", ("days", "twice")),
])
def test_bad_codes_are_refused_naming_the_field(code, names):
    with pytest.raises(SettingError) as refused:
        Setting.decode(code)
    message = str(refused.value)
    assert "\n" not in message and "allowed" in message
    for name in names:
        assert name in message


# -- command and assets --------------------------------------------------------------------


def test_port_and_host_flags_are_checked():
    assert server_address(argparse.Namespace(port="8765", host="127.0.0.1")) == \
        ("127.0.0.1", 8765)
    for port in ("0", "70000", "http", "-1"):
        with pytest.raises(InputError, match="--port"):
            server_address(argparse.Namespace(port=port, host="127.0.0.1"))
    with pytest.raises(InputError, match="--host"):
        server_address(argparse.Namespace(port="8765", host=" "))


def test_url_carries_the_setting():
    setting = Setting("peer_visits", 3)
    assert url("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert url("0.0.0.0", 80, setting) == "http://0.0.0.0:80/?setting=peer_visits~3~"
    assert url("::1", 80) == "http://[::1]:80/"


@pytest.mark.parametrize(("host", "expected"), [
    ("999.1.1.1", "--host 999.1.1.1: not an address or a known name"),
    ("no-such-host.invalid", "--host no-such-host.invalid: not an address or a known name"),
    ("8.8.8.8", "--host 8.8.8.8: not an address of this machine"),
    ("192.0.2.1", "--host 192.0.2.1: not an address of this machine"),  # documentation range
])
def test_a_host_that_is_not_this_machine_is_blamed_on_host(host, expected):
    with pytest.raises(InputError) as refused:
        serve(host, 8765)
    assert str(refused.value).startswith(expected)
    assert "--port" not in str(refused.value)
    assert "allowed: an address of this machine" in str(refused.value)


@pytest.fixture
def served(monkeypatch, capsys):
    """``serve`` up to the point it would hand over to uvicorn; returns what it printed."""
    import uvicorn

    ran = []
    monkeypatch.setattr(app, "warm_up", lambda: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: ran.append(kwargs))

    def serve_on(host):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        assert serve(host, port) == 0 and ran[-1]["host"] == host
        out, err = capsys.readouterr()
        return port, out, err.strip().splitlines()

    return serve_on


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_listening_beyond_this_machine_is_warned_of_in_one_line(served, host):
    port, out, err = served(host)
    assert err == [f"carecap: warning: --host {host}: the dashboard is reachable from the "
                   "network and has no login; anyone who can reach this machine can use it "
                   "(allowed without this warning: 127.0.0.1)"]
    shown = f"[{host}]" if ":" in host else host
    assert f"http://{shown}:{port}/" in out  # the address it listens on


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_this_machine_only_gets_no_warning(served, host):
    port, out, err = served(host)
    assert err == []
    assert f"{port}/" in out


def test_serve_refuses_a_port_in_use():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"--port: cannot listen on 127.0.0.1:{port}"):
            serve("127.0.0.1", port)


def test_the_server_prints_its_address_and_no_cookie_warning():
    # Solara warns of its SameSite fallback on every page a new session opens over http.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "simulation.cli", "dashboard", "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    address = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180  # a cold start imports Solara and the model
        while True:
            try:
                urllib.request.urlopen(address, timeout=30).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
        for _ in range(2):  # no cookie sent: a new session each time
            assert b"solara" in urllib.request.urlopen(address, timeout=30).read().lower()
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
    assert f"open {address} (Ctrl-C to stop)" in out
    assert "samesite" not in (out + err).lower(), err


def test_asset_cache_is_where_solaras_server_looks():
    from solara.server.settings import assets as solara_assets

    assert assets.cache_dir() == solara_assets.proxy_cache_dir
    packages = assets.required_packages()
    assert any(p.startswith("requirejs@") for p in packages)
    assert any(p.startswith("@widgetti/solara-vuetify") for p in packages)


def test_the_page_can_load_plotly_from_the_server():
    # Solara serves these folders under /static/assets/ and runs custom.js in every page.
    served = {path.name for folder in assets.static_locations() for path in folder.iterdir()}
    assert {"custom.js", "plotly.min.js"} <= served
    assert "/static/assets/plotly.min.js" in (assets.STATIC / "custom.js").read_text()


def test_setup_installed_the_offline_assets():
    # scripts/setup.sh (and so CI) runs `python -m simulation.dashboard.assets`.
    assert assets.missing_assets() == []


# -- runs ------------------------------------------------------------------------------------


def test_a_run_records_one_row_per_day_as_carecap_run_does():
    run = Run(Setting("peer_visits", 1, TINY, days=12))
    assert run.day == 0 and len(run.frame()) == 0
    run.step(3)
    assert list(run.frame()["day"]) == [1, 2, 3]
    run.step(9)
    # The same table, to the bit, as `run()` makes (what the replicates and lessons use).
    pd.testing.assert_frame_equal(run.frame(), run_model("peer_visits", seed=1, days=12,
                                                         residents=TINY).daily)


def test_a_run_stops_on_its_last_day():
    session = Session.start(Setting("baseline", 1, TINY, compare="peer_visits", days=5))
    session.step(3)
    assert not session.ended
    session.step(30)  # asked for more than is left
    assert session.day == session.other.day == 5 and session.ended
    session.step(1)
    assert session.day == 5


def test_same_setting_gives_the_same_run():
    a, b = Run(Setting("peer_visits", 4, TINY)), Run(Setting("peer_visits", 4, TINY))
    a.step(5)
    b.step(5)
    assert a.frame().equals(b.frame())


def test_the_comparison_is_its_scenario_as_shipped_on_the_same_town():
    session = Session.start(Setting("peer_visits", 2, TINY, {"risk_aversion": 0.1}))
    session.step(4)
    session.compare("baseline")
    assert session.other.day == 4  # caught up
    # The policy's changes are not carried over: the comparison is as shipped.
    assert session.other.setting == Setting("baseline", 2, TINY)
    assert session.other.model.params == load_scenario("baseline").params.__class__(
        **{**load_scenario("baseline").params.as_dict(), "residents": TINY})
    session.step(2)
    policy, other = session.frames()
    assert len(policy) == len(other) == 6
    # Same seed and town: the population drawn does not depend on the scenario.
    assert np.array_equal(session.run.model.town.pop.x, session.other.model.town.pop.x)
    session.compare(None)
    assert session.other is None and session.setting.compare is None


def test_both_runs_are_read_on_the_same_day_while_they_step():
    session = Session.start(Setting("baseline", 0, TINY, compare="peer_visits", days=400))

    def run() -> None:  # as the Run loop steps, while the page reads the runs to draw them
        for _ in range(200):
            session.step(1)
            time.sleep(0.001)

    stepping = threading.Thread(target=run)
    stepping.start()
    reads = mismatched = 0
    while stepping.is_alive():
        policy, other = session.frames()
        reads += 1
        mismatched += len(policy) != len(other)
    assert reads > 50 and mismatched == 0


def test_a_comparison_of_a_scenario_with_itself_shows_the_changes():
    session = Session.start(Setting("baseline", 2, TINY, {"staff_participation": 0.0},
                                    compare="baseline", days=20))
    session.step(20)
    policy, other = session.frames()
    assert not policy.equals(other)
    assert figures.side_names(session.setting) == ("baseline (changed)", "baseline as shipped")


def test_the_length_can_grow_but_not_go_back_before_today():
    session = Session.start(Setting("baseline", 0, TINY, compare="peer_visits", days=3))
    session.step(3)
    session.lengthen(6)
    session.step(10)
    assert session.day == session.other.day == 6
    with pytest.raises(SettingError, match="already on day 6"):
        session.lengthen(5)


def test_the_csv_holds_both_runs_stamped_with_what_made_them():
    setting = Setting("peer_visits", 3, TINY, {"risk_aversion": 0.2}, compare="baseline")
    session = Session.start(setting)
    session.step(4)
    table = pd.read_csv(StringIO(session.csv().decode()))
    assert list(table.columns) == [*STAMP_COLUMNS, *NAMES]
    assert list(table["run"]) == ["policy"] * 4 + ["comparison"] * 4
    assert list(table["scenario"]) == ["peer_visits"] * 4 + ["baseline"] * 4
    assert set(table["seed"]) == {3} and set(table["residents"]) == {TINY}
    assert set(table["area"]) == {"england"}  # as a run's provenance names the defaults
    assert set(table["setting"]) == {setting.encode()}
    assert set(table["carecap_version"]) == {version("carecap")}
    policy, other = session.frames()
    for side, frame in (("policy", policy), ("comparison", other)):
        assert np.allclose(table[table["run"] == side]["unmet_hours"], frame["unmet_hours"])


def test_towns_too_big_for_the_dashboard_are_refused():
    with pytest.raises(SettingError, match="residents"):
        Run(Setting("baseline", 0, MAX_RESIDENTS + 1))
    assert app.from_query(f"setting=baseline~0~{MAX_RESIDENTS + 1}")[1] is not None


# -- what the run shows so far, and over seeds ---------------------------------------------


@pytest.fixture(scope="module")
def year() -> pd.DataFrame:
    return run_model("peer_visits", seed=2, days=120, residents=TINY).daily


def test_the_run_so_far_is_the_summary_of_a_run_that_long(year):
    # Day 60 of a 120-day run is what a 60-day run summarises.
    short = run_model("peer_visits", seed=2, days=60, residents=TINY)
    so_far = stats.so_far(year, 60)
    for name in NAMES:
        assert so_far[name] == pytest.approx(short.summary[name], rel=1e-9, abs=1e-9), name
    # A headline outcome is read from its to-date column, as the headline shows it.
    assert so_far["readmission_rate_30d"] == year["readmission_rate_30d_to_date"].iloc[59]


def test_smoothing_is_a_trailing_mean():
    values = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    assert list(stats.smooth(values, 3)) == [0.0, 5.0, 10.0, 20.0, 30.0]
    assert list(stats.smooth(values, 1)) == list(values)
    stack = np.vstack([values, 2 * values])
    assert np.allclose(stats.smooth(stack, 2)[1], 2 * stats.smooth(values, 2))


def _replicates(days: int = 40, seeds: tuple[int, ...] = (5, 6, 7)) -> stats.Replicates:
    """Replicates made in this process, as the worker processes make them."""
    return stats.Replicates(seeds=seeds, days=days, runs={
        side: [run_model(name, seed=seed, days=days, residents=TINY).daily for seed in seeds]
        for side, name in ((stats.POLICY, "peer_visits"), (stats.COMPARISON, "baseline"))})


def test_replicates_give_a_paired_difference_with_its_t_interval():
    replicates = _replicates()
    policy = np.array([stats.so_far(f)["unmet_hours"] for f in replicates.runs["policy"]])
    other = np.array([stats.so_far(f)["unmet_hours"] for f in replicates.runs["comparison"]])
    mean, low, high = replicates.difference("unmet_hours")
    differences = policy - other
    half = scipy_stats.t.ppf(0.975, 2) * differences.std(ddof=1) / np.sqrt(3)
    assert mean == pytest.approx(differences.mean())
    assert (low, high) == pytest.approx((mean - half, mean + half))
    # The interval of each side alone is wider than the paired one: the seeds are shared
    # (measured 2,300 to 19,900 times as wide on four triples of seeds; unpaired, about 1).
    alone = replicates.outcome("unmet_hours")
    assert alone.mean == pytest.approx(policy.mean())
    assert alone.high - alone.low > 2 * (high - low)
    band = replicates.difference_band("unmet_hours", window=7)
    per_seed = stats.smooth(replicates.stack("policy", "unmet_hours")
                            - replicates.stack("comparison", "unmet_hours"), 7)
    assert np.allclose(band.mean, per_seed.mean(axis=0))
    assert np.all(band.low <= band.mean) and np.all(band.mean <= band.high)
    counts = replicates.band("policy", "peer_visits")
    assert counts.low.min() >= 0  # a drawn band of counts stops at none


# -- replicates in the background ----------------------------------------------------------


def _recorded(params, seed, days):
    """A stand-in run: notes which run it was, and returns a table of one row."""
    return pd.DataFrame({"params": [params.residents], "seed": [seed], "days": [days]})


def _threads(workers: int):
    return ThreadPoolExecutor(max_workers=workers)


def test_sessions_runs_take_turns_and_a_cancelled_job_stops():
    order: list[tuple[int, int]] = []
    started = threading.Event()
    gate = threading.Event()

    def task(params, seed, days):
        order.append((params.residents, seed))
        started.set()
        gate.wait(5)
        return _recorded(params, seed, days)

    pool = Pool(workers=1, task=task, executor=_threads)
    first = pool.submit(Job(Setting("baseline", 0, 300, days=5), 300, 4))
    started.wait(5)  # the first job's first run holds the only worker
    second = pool.submit(Job(Setting("baseline", 100, 400, days=5), 400, 2))
    gate.set()
    for job in (first, second):
        while not job.over:
            job.wait(1)
    # One run of each job in turn while both have runs waiting, not one job after another.
    assert order[:4] == [(300, 0), (400, 100), (300, 1), (400, 101)]
    assert first.result() is not None and second.result().seeds == (100, 101)

    gate.clear()
    started.clear()
    third = pool.submit(Job(Setting("baseline", 0, 300, days=5), 300, 6))
    started.wait(5)
    pool.cancel(third)
    gate.set()
    third.wait(1)
    time.sleep(0.2)
    assert third.cancelled and third.result() is None
    assert third.done <= 1  # only the run already started, and its result is dropped
    assert len(order) == 7  # no run of the cancelled job started after the cancel


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_server_killed_outright_leaves_no_worker_behind():
    # A server with its worker started, then killed with SIGKILL (no chance to clean up).
    script = ("from simulation.dashboard.replicates import POOL; POOL.warm(); "
              "print(*POOL._executor._processes, flush=True); import time; time.sleep(60)")
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True)
    workers = [int(pid) for pid in server.stdout.readline().split()]
    assert workers and not any(_gone(pid) for pid in workers)
    server.kill()
    server.wait()
    _wait(lambda: all(_gone(pid) for pid in workers), 15)


def test_a_job_asks_for_both_sides_on_the_same_seeds_and_is_capped():
    job = Job(Setting("peer_visits", 7, TINY, compare="baseline", days=5), TINY, 3)
    assert job.seeds == (7, 8, 9) and job.total == 6
    with pytest.raises(ValueError, match=f"1 to {MAX_SEEDS}"):
        Job(Setting("baseline", 0, TINY), TINY, MAX_SEEDS + 1)
    # The comparison runs as shipped: none of the policy's changes.
    setting = Setting("peer_visits", 7, TINY, {"risk_aversion": 0.2}, compare="baseline")
    assert params_of(setting.comparison(TINY), TINY).risk_aversion == \
        load_scenario("baseline").params.risk_aversion


def test_replicates_run_in_worker_processes_match_the_run_on_screen():
    setting = Setting("peer_visits", 3, TINY, compare="baseline", days=15)
    pool = Pool(workers=1)
    job = pool.submit(Job(setting, TINY, 2))
    while not job.over:
        job.wait(5)
    replicates = job.result()
    assert job.error is None and replicates.paired
    session = Session.start(setting)
    session.step(15)
    policy, other = session.frames()
    # Seed 3, the first replicate, is the run on screen, on both sides.
    pd.testing.assert_frame_equal(replicates.runs["policy"][0], policy)
    pd.testing.assert_frame_equal(replicates.runs["comparison"][0], other)


# -- figures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stepped() -> Run:
    run = Run(Setting("peer_visits", 5, TINY))
    run.step(10)
    return run


def test_town_map_colours_residents_by_role_and_toggles_edges(stepped):
    layout = figures.TownLayout.of(stepped.model)
    full = figures.network_figure(stepped.model, layout, show_caseload=True)
    names = [t.name for t in full.data]
    assert names[:3] == ["peer visits", "caseload", f"social ties ({layout.ties:,})"]
    assert full.layout.images[0].source.startswith("data:image/png;base64,")
    residents = next(t for t in full.data if t.name == "residents")
    assert len(residents.x) == TINY and "frailty" in residents.hovertemplate
    code = figures.categories(stepped.model)
    assert list(residents.marker.color) == list(code)
    scale = dict(residents.marker.colorscale)  # role code i on CATEGORIES[i]'s colour
    assert [scale[c / residents.marker.cmax] for c in range(len(figures.CATEGORIES))] == \
        [colour.lower() for _, colour in figures.CATEGORIES]
    # One legend entry per role, with today's count.
    legend = [t.name for t in full.data if t.hoverinfo == "skip" and t.mode == "markers"]
    assert legend == [f"{name} ({(code == i).sum()})"
                      for i, (name, _) in enumerate(figures.CATEGORIES)]
    in_hospital = np.flatnonzero(stepped.model.town.state.in_hospital)
    assert all(code[in_hospital] == len(figures.CATEGORIES) - 1)
    bare = figures.network_figure(stepped.model, layout, show_social=False, show_peer=False)
    assert not any(t.mode == "lines" for t in bare.data)
    # Residents are drawn where they live (household members a small step apart).
    gap = np.hypot(layout.x - stepped.model.town.pop.x, layout.y - stepped.model.town.pop.y)
    assert gap.max() <= figures.HOUSEHOLD_SPREAD + 1e-6


def test_segments_are_separated_by_gaps():
    x, y = figures.segments(np.array([0, 1]), np.array([0, 1]), np.array([2, 3]),
                            np.array([2, 3]))
    assert list(x[:2]) == [0, 2] and math.isnan(x[2]) and list(x[3:5]) == [1, 3]
    assert len(y) == 6


def _shown(run: Run, other: Run | None = None, **options) -> figures.Shown:
    return figures.Shown(run.frame(), other.frame() if other else None, run.setting,
                         run.residents, **options)


def test_series_equity_costs_and_compare_figures(stepped):
    frame = stepped.frame()
    series = figures.figure_of("Time series", _shown(stepped))
    assert {"unmet hours", "family hours", "paid (budgets) hours"} <= {t.name for t in series.data}
    assert all(len(t.x) == 10 for t in series.data)
    equity = figures.figure_of("Equity", _shown(stepped))
    assert any("share of adults" in t.name for t in equity.data)
    costs = figures.figure_of("Costs", _shown(stepped))
    assert costs.data[-1].y[-1] == pytest.approx(frame["unpaid_value"].sum())


def test_the_difference_is_policy_minus_comparison_named_both_ways(stepped):
    frame = stepped.frame()
    setting = Setting("peer_visits", 5, TINY, compare="baseline")
    for bump, sign in ((5.0, 1), (-5.0, -1)):
        other = frame.assign(unmet_hours=frame["unmet_hours"] - bump)  # policy - other = bump
        shown = figures.Shown(frame, other, setting, TINY)
        fig = figures.compare(shown, ("unmet_hours",)).figure()
        difference = next(t for t in fig.data if t.name == "peer_visits − baseline as shipped")
        assert np.allclose(difference.y, sign * 5.0)
    # The title names the sides; the legend names the difference (the trace above). A
    # title that also spelt out the difference ran past a narrow chart's edge.
    title = fig.layout.title.text
    assert "peer_visits (policy) against baseline as shipped (comparison)" in title
    assert len(title.split("<br>")[0]) <= 70


def test_charts_speak_in_labels_units_and_rounded_figures(stepped):
    series = figures.figure_of("Time series", _shown(stepped))
    titles = [a.text for a in series.layout.annotations]
    assert "30-day readmission rate (%)" in titles and "Staff morale (score 0-1)" in titles
    assert not any("readmission_rate_30d" in t for t in titles)  # no raw names
    readmission = next(t for t in series.data if t.name == "peer_visits"
                       and "%" in t.hovertemplate)
    assert ":.1%}" in readmission.hovertemplate  # a share reads as a rounded percentage
    assert series.layout.yaxis.tickformat == display.PERCENT
    costs = figures.figure_of("Costs", _shown(stepped))
    assert f"{display.PRICE_YEAR} prices" in costs.layout.title.text
    assert costs.layout.yaxis.tickprefix == "£"
    # Every colour drawn is from the colour-blind-safe palette.
    palette = {c.lower() for c in figures.OKABE_ITO.values()}
    for trace in series.data:
        colour = (trace.line.color or "").lower()
        assert colour in palette, (trace.name, colour)


def test_axes_write_plain_figures_never_si_suffixes(stepped):
    # A comparison whose differences are fractions of an hour and of a pound: SI ticks
    # wrote them "−400m" and "£−200m", and a million "£1M" beside a headline's "£4.84m".
    frame = stepped.frame()
    other = frame.assign(unmet_hours=frame["unmet_hours"] + 0.4,
                         unpaid_hours=frame["unpaid_hours"] + 0.3,
                         cost_total=frame["cost_total"] + 0.2)
    setting = Setting("peer_visits", 5, TINY, compare="baseline")
    shown = figures.Shown(frame, other, setting, TINY)
    for chart in figures.CHARTS:
        layout = figures.figure_of(chart, shown).to_plotly_json()["layout"]
        for key, axis in layout.items():
            if key.startswith("yaxis"):
                # "," is d3's plain figure with thousands separators; "~%" a percentage
                assert axis.get("tickformat") in (None, ",", "~%"), (chart, key, axis)
    compare = figures.compare(shown, ("unmet_hours", "cost_total")).figure()
    assert compare.layout.yaxis2.title.text == "hours"
    assert compare.layout.yaxis4.title.text == f"£, {display.PRICE_YEAR} prices"
    # The difference's ticks carry no "£": plotly would write it before the sign.
    for axis in (compare.layout.yaxis2, compare.layout.yaxis4):  # the difference column
        assert axis.tickformat == "," and axis.tickprefix is None
    assert compare.layout.yaxis3.tickprefix == "£"  # costs, never negative
    costs = figures.figure_of("Costs", shown).layout.yaxis
    assert (costs.tickprefix, costs.tickformat) == ("£", ",")


def test_figures_are_stamped_with_what_made_them(stepped):
    setting = Setting("peer_visits", 5, None, {"risk_aversion": 0.2}, compare="baseline")
    shown = figures.Shown(stepped.frame(), stepped.frame(), setting, TINY)
    for chart in figures.CHARTS:
        stamp = figures.figure_of(chart, shown).layout.annotations[-1].text
        for part in (f"carecap {version('carecap')}", "peer_visits", "seed 5",
                     f"{TINY} residents", "risk aversion 0.2", "baseline as shipped"):
            assert part in stamp, (chart, part)
    town = figures.network_figure(stepped.model, figures.TownLayout.of(stepped.model),
                                  stamp=shown.stamp)
    assert town.layout.annotations[-1].text.startswith("carecap ")
    assert "day 10" in figures.figure_of("Costs", shown).layout.title.text


def test_replicates_are_drawn_as_bands_with_their_means():
    replicates = _replicates(days=40)
    run = Run(Setting("peer_visits", 5, TINY, compare="baseline", days=40))
    other = Run(run.setting.comparison(TINY))
    run.step(10)
    other.step(10)
    shown = _shown(run, other, window=7, replicates=replicates)
    fig = figures.figure_of("Compare", shown)
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 3 * len(figures.COMPARED)  # each side, and the paired difference
    band = replicates.difference_band("readmission_rate_30d", 7)
    first = next(t for t in bands if t.xaxis == "x2")
    assert np.allclose(first.y, np.r_[band.high, band.low[::-1]] * 100)  # in points
    assert len(first.x) == 2 * 40  # the whole run, ahead of the day on screen
    assert "mean of 3 seeds" in " ".join(t.name for t in fig.data)
    # The title says the days of each: the run on screen, and the bands' whole runs.
    assert "day 1 to day 10" in fig.layout.title.text
    assert "bands: day 1 to day 40" in fig.layout.title.text
    header = tables.summary(run.frame(), other.frame(), shown.names, replicates).header
    assert header[0] == "Over days 1 to 10; seeds over days 1 to 40"


def _picture(image: dict) -> np.ndarray:
    """The grey-and-alpha pixels of a PNG data URL made by figures.tie_picture."""
    data = base64.b64decode(image["source"].removeprefix("data:image/png;base64,"))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        chunks[data[at + 4:at + 8]] = data[at + 8:at + 8 + size]
        at += 12 + size
    width, height = (int.from_bytes(chunks[b"IHDR"][i:i + 4], "big") for i in (0, 4))
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8)
    return rows.reshape(height, 1 + width * 2)[:, 1:].reshape(height, width, 2)


def test_the_towns_ties_are_one_picture_where_short_ties_show_most():
    # Residents on a unit square: a short tie at the top left, one ten times as long along
    # the bottom, and one across the town.
    x = np.array([0.0, 0.01, 0.0, 0.1, 1.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    image = figures.tie_picture(x, y, np.array([0, 2, 1]), np.array([1, 3, 4]), pixels=101)
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (0.0, 1.0, 1.0, 1.0)
    ink = _picture(image)[..., 1].astype(int)
    assert ink[0, 0] > 0 and ink[0, 1] > 0  # the short tie, top left
    assert 0 < ink[100, 5] < ink[0, 0]  # the longer tie shows, fainter
    assert ink[100, 50] == 0 and ink[50, 50] == 0  # past it, and across town: nothing
    assert ink[70, 30] == 0  # no trace of the tie across town, too faint to see
    # A town's every tie is in its picture, drawn once, and named in the legend.
    run = Run(Setting("baseline", 1, 4_000))
    layout = figures.TownLayout.of(run.model)
    today = figures.town_today(run.model, layout, show_social=True)
    assert today["layout"]["images"] == [layout.social]
    assert f"social ties ({layout.ties:,})" in [t["name"] for t in today["data"]]
    assert figures.town_today(run.model, layout, show_social=False)["layout"]["images"] == []


def test_series_figures_are_built_from_their_points(stepped):
    other = Run(Setting("baseline", 5, TINY))
    other.step(10)
    for chart, build in figures.CHARTS.items():
        shown = _shown(stepped, other if chart == "Compare" else None)
        plan = build(shown)
        fig, series = plan.figure(), plan.series()
        assert fig.layout.title.text == series.title
        assert len(fig.data) == len(series.points)
        for trace, (x, y) in zip(fig.data, series.points, strict=True):
            assert np.array_equal(trace.x, x) and np.array_equal(trace.y, y)


def test_a_series_chart_is_sent_only_its_new_points(stepped):
    widget = PlotlyView()
    kind = "Time series"
    widget.draw(Drawn(lambda: figures.figure_of(kind, _shown(stepped)),
                      series=figures.timeseries(_shown(stepped)).series(), kind=kind))
    whole = widget.figure
    stepped.step(1)
    widget.draw(Drawn(lambda: pytest.fail("the figure was built again"),
                      series=figures.timeseries(_shown(stepped)).series(), kind=kind))
    assert widget.figure == whole
    update = json.loads(widget.changes)
    assert f"day 1 to day {stepped.day}" in update["relayout"]["title.text"]
    assert update["traces"] == list(range(len(json.loads(whole)["data"])))
    assert len(update["restyle"]["y"]) == len(update["traces"])
    # Another chart in the same place is drawn whole.
    widget.draw(Drawn(lambda: figures.figure_of("Costs", _shown(stepped)),
                      series=figures.costs(_shown(stepped)).series(), kind="Costs"))
    assert widget.figure != whole and widget.changes == ""


def test_metric_figures_read_as_people_write_them():
    assert display.value("readmission_rate_30d", 0.14217) == "14.2%"
    assert display.change("readmission_rate_30d", -0.0147) == "−1.5 pts"
    assert display.change("readmission_rate_30d", 0.00001) == "0.0 pts"  # no sign on nothing
    assert display.value("cost_total", 7_312_345.0) == "£7.31m"
    assert display.change("cost_total", -28_700.0) == "−£28.7k"
    assert display.value("unmet_hours", 12_345.6) == "12,346 h"
    assert display.value("volunteers_to_date", 59.95) == "60.0"
    assert display.value("volunteers", 116.0) == "116"
    assert display.value("staff_morale", 0.8449) == "0.84"
    assert display.value("decision_delay_days", 2.83) == "2.8 days"
    assert display.interval("readmission_rate_30d", -0.019, -0.007, difference=True) == \
        "−1.9 to −0.7 pts"
    assert display.title("cost_total") == \
        f"Cost of all formal care (£, {display.PRICE_YEAR} prices)"
    # Every metric has a unit people read and a hover format.
    for metric in DAILY:
        assert display.title(metric.name).startswith(metric.label)
        assert "%{y" in display.hover(metric.name)
        # A difference's sign comes first: plotly writes a prefix before it ("£-42").
        assert display.hover(metric.name, difference=True).startswith("%{y:+")


def test_the_summary_table_gives_each_metric_for_both_runs_and_over_seeds():
    replicates = _replicates(days=40)
    policy, other = replicates.runs["policy"][0], replicates.runs["comparison"][0]
    table = tables.summary(policy, other, ("peer_visits", "baseline as shipped"), replicates)
    assert table.header == ("Over days 1 to 40", "peer_visits", "baseline as shipped",
                            "peer_visits − baseline as shipped",
                            "3 seeds (5 to 7), 40 days: paired difference (95% CI)")
    rows = {row[0]: row for row in table.rows}
    assert len(rows) == len(tables.SUMMARY_METRICS)
    readmission = rows["30-day readmission rate, over the run"]
    mine, theirs = (stats.so_far(f)["readmission_rate_30d"] for f in (policy, other))
    assert readmission[1:4] == (display.value("readmission_rate_30d", mine),
                                display.value("readmission_rate_30d", theirs),
                                display.change("readmission_rate_30d", mine - theirs))
    assert readmission[4].endswith(" pts)")
    assert "| Over days 1 to 40 |" in table.markdown()


def _decoded(value: dict):
    """A JSON object, with an array that plotly sent base64-encoded as a list."""
    if set(value) - {"shape"} != {"dtype", "bdata"}:
        return value
    array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    if "shape" in value:
        array = array.reshape([int(n) for n in value["shape"].split(",")])
    return json.loads(to_json_plotly(array.tolist()))


def test_the_town_is_updated_from_plain_data_like_its_figure():
    stepped = Run(Setting("peer_visits", 5, TINY))  # its own: the shared one steps on
    stepped.step(10)
    layout = figures.TownLayout.of(stepped.model)
    today = figures.town_today(stepped.model, layout)
    built = figures.network_figure(stepped.model, layout).to_plotly_json()
    # The figure is made from the plain data: the same traces and values, as sent.
    made = json.loads(to_json_plotly(built["data"]), object_hook=_decoded)
    plain = json.loads(to_json_plotly(today["data"]))
    assert [{key: m[key] for key in p} for m, p in zip(made, plain, strict=True)] == \
        json.loads(json.dumps(plain).replace("NaN", "null"))
    assert built["layout"]["title"] == today["layout"]["title"]
    widget = PlotlyView()
    widget.draw(Drawn(lambda: figures.network_figure(stepped.model, layout), kind="Town"))
    whole = widget.figure
    stepped.step(1)
    widget.draw(Drawn(lambda: pytest.fail("the figure was built again"),
                      plain=figures.town_today(stepped.model, layout), kind="Town"))
    assert widget.figure == whole
    update = json.loads(widget.changes)
    assert update["relayout"]["title"]["text"].startswith(f"The town on day {stepped.day} ")
    assert {"marker", "hovertext"} <= set(update["restyle"])


def test_figure_view_is_updated_in_place(stepped):
    layout = figures.TownLayout.of(stepped.model)
    widget = PlotlyView()
    widget.show(figures.network_figure(stepped.model, layout))
    whole = widget.figure
    sent = []
    widget.observe(lambda change: sent.append(change["name"]), names=["figure", "changes"])
    for _ in range(2):
        stepped.step(1)
        fresh = figures.network_figure(stepped.model, layout)
        widget.show(fresh)
    assert widget.figure == whole  # the town is not sent again
    assert sent == ["changes", "changes"]  # one message per step, so one redraw
    update = json.loads(widget.changes)
    assert "images" not in update["relayout"]  # the ties' picture is not resent
    assert set(update["restyle"]) >= {"marker", "customdata"}
    assert update["relayout"]["title"]["text"] == fresh.layout.title.text
    residents = [t["name"] for t in fresh.to_plotly_json()["data"]].index("residents")
    position = update["traces"].index(residents)
    assert update["restyle"]["hovertext"][position] == list(fresh.data[residents].hovertext)
    assert "color" in update["restyle"]["marker"][position]  # today's role codes
    widget.show(figures.network_figure(stepped.model, layout, show_social=False))
    assert json.loads(widget.figure)["data"][0]["name"] == "peer visits"
    assert widget.changes == ""


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s.type is float])
def test_every_float_slider_can_show_its_default(name):
    spec = SPECS[name]
    step = slider_step(spec.low, spec.high, spec.default)
    assert (spec.high - spec.low) / step <= 100_000
    assert abs(round((spec.default - spec.low) / step) * step + spec.low - spec.default) \
        < 1e-9 * max(1.0, abs(spec.default))


# -- components --------------------------------------------------------------------------------


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", None) or []:
        if not isinstance(child, str):
            yield from _walk(child)


def _text(widget) -> str:
    """The text a widget shows, its spaces as a browser shows them (one between words)."""
    return " ".join(" ".join(c if isinstance(c, str) else _text(c)
                             for c in getattr(widget, "children", None) or []).split())


def _texts(rc) -> str:
    """All text the rendered tree shows in HTML elements."""
    return " ".join(_text(w) for w in rc.find(v.Html).widgets)


def _html(rc, cls: str) -> list[v.Html]:
    """Every HTML element of class ``cls``, however deep."""
    return [w for root in rc.find(v.Html).widgets for w in _walk(root)
            if isinstance(w, v.Html) and cls in (w.class_ or "").split()]


def _buttons(rc, label: str) -> list[v.Btn]:
    return [w for w in rc.find(v.Btn).widgets if label in w.children]


def _button(rc, label: str) -> v.Btn:
    found = _buttons(rc, label)
    assert len(found) == 1, f"{label!r}: {len(found)} buttons"
    return found[0]


def _open(rc, title: str) -> None:
    """Open the collapsible section called ``title`` (closed ones render nothing)."""
    for panels in rc.find(v.ExpansionPanels).widgets:
        if _text(panels).startswith(title):
            panels.v_model = ["open"]
            return
    raise AssertionError(f"no section {title!r}")


def _headline_day(rc) -> str:
    days = _html(rc, "carecap-day")
    assert len(days) == 1
    return days[0].children[1].children[0]


def _type(rc, label: str, text: str) -> None:
    """Type ``text`` into the field labelled ``label`` and leave it (which commits it)."""
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("focusout", None)


def _alerts(rc) -> str:
    return str([w.children for w in rc.find(v.Alert).widgets])


def _wait(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def dashboard():
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY)), handle_error=False)
    yield rc
    rc.close()


def test_the_first_screen_says_what_the_model_is_for_and_what_to_try(dashboard):
    rc = dashboard
    texts = _texts(rc)
    assert "hospital readmission" in texts and "Press Run" in texts and "seeds" in texts
    _button(rc, "Got it").click()
    assert "Press Run" not in _texts(rc)


def test_step_advances_the_day_and_redraws(dashboard):
    rc = dashboard
    assert _headline_day(rc) == "0"
    figure = rc.find(PlotlyView).widget
    assert "day 0" in figure.shown["layout"]["title"]["text"]
    _button(rc, "Step").click()
    assert _headline_day(rc) == "1"
    assert "day 1" in rc.find(PlotlyView).widget.shown["layout"]["title"]["text"]


def test_a_chart_with_nothing_run_yet_has_axes_from_zero() -> None:
    # Plotly draws an empty axis from -1 to 4: a share's from -100% to 400%.
    def y_ranges(points: int) -> list:
        plan = figures.Plan("t", rows=2, layout={"height": 400})
        for row in (1, 2):
            plan.add(np.arange(points), np.zeros(points), {}, row)
            plan.axes[row, 1] = {"y": display.axis("readmission_rate_30d")}
        return [axis.range for axis in plan.figure().select_yaxes()]
    assert [list(r) for r in y_ranges(0)] == [[0, 1], [0, 1]]
    assert y_ranges(3) == [None, None]  # once there are days, plotly fits them


def test_a_step_renders_the_page_once(dashboard):
    rc = dashboard
    _button(rc, "Step").click()
    time.sleep(0.5)  # renders asked for by threads (a download's, say) land meanwhile
    before = rc.render_count
    _button(rc, "Step").click()
    time.sleep(0.5)
    assert rc.render_count - before == 1


def test_the_headline_is_the_run_so_far_against_the_comparison(dashboard):
    rc = dashboard
    rc.find(v.Select, label="Compare with").widget.v_model = "peer_visits"
    for _ in range(3):
        _button(rc, "Step").click()
    readmission = _text(_html(rc, "carecap-readmission-rate-30d")[0])
    assert readmission.startswith("30-day readmission rate, over the run to date")
    assert "peer_visits as shipped: " in readmission and " · change " in readmission
    sides = _text(_html(rc, "carecap-sides")[0])
    assert "Policy: baseline" in sides and "Comparison: peer_visits as shipped" in sides
    assert "policy − comparison" in sides


def test_chart_html_export_is_the_figure_shown(dashboard):
    rc = dashboard
    for _ in range(2):
        _button(rc, "Step").click()
    download = next(w for w in rc.find(FileDownloadWidget).widgets
                    if w.filename.endswith("-town-day2.html"))
    download.request_download = True
    _wait(lambda: download.bytes is not None, 30)
    assert b"The town on day 2 " in download.bytes
    assert f"carecap {version('carecap')}".encode() in download.bytes  # the stamp


def test_parameters_are_generated_grouped_with_units_and_help(dashboard):
    rc = dashboard
    summaries = " ".join(str(w.children) for w in rc.find(v.ExpansionPanelTitle).widgets)
    for group in ("Population", "Health and hospital", "Co-production", "Subsidiarity",
                  "Care and budgets"):
        assert group in summaries


def test_a_slider_change_waits_for_reset_then_applies(dashboard):
    rc = dashboard
    assert not rc.find(v.Slider, label="risk aversion").widgets  # closed: not rendered
    _open(rc, "Co-production")
    slider = rc.find(v.Slider, label="risk aversion").widget
    assert (slider.min, slider.max) == (0.0, 1.0)  # the declared range bounds the input
    slider.v_model = 0.2
    assert "Reset to apply: risk aversion 0.5 → 0.2" in _alerts(rc)
    _button(rc, "Reset to apply").click()  # the notice's own button
    assert "Reset to apply" not in _alerts(rc)
    assert "Code:" not in _texts(rc)  # the share box is part of teaching mode
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    assert "baseline~0~300~risk_aversion-0.2" in _texts(rc)
    assert rc.find(ShareLink).widget.query == "?setting=baseline~0~300~risk_aversion-0.2"


def test_picking_a_scenario_loads_it(dashboard):
    rc = dashboard
    rc.find(v.Select, label="Scenario").widget.v_model = "peer_visits"
    assert "Peer visits after discharge" in _texts(rc)
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    texts = _texts(rc)
    assert "What to look for" in texts and "Questions" in texts
    assert "peer_visits~0~300" in texts


def _field(rc, label: str) -> tuple[str, str]:
    """What the box labelled ``label`` shows, and its error (empty if none)."""
    field = rc.find(v.TextField, label=label).widget
    return field.v_model, " ".join(field.messages or []) if field.error else ""


def test_each_town_box_shows_its_own_refusal_and_never_a_refused_value_as_in_use(dashboard):
    rc = dashboard
    _type(rc, "Seed", "-1")
    shown, error = _field(rc, "Seed")
    assert shown == "-1" and "seed: '-1' is not allowed" in error and "still 0" in error
    _type(rc, "Residents", "1000")  # another box's good value leaves the seed's refusal
    assert _field(rc, "Residents") == ("1000", "")
    assert "still 0" in _field(rc, "Seed")[1]
    _button(rc, "Reset to apply").click()
    assert "seed 0, 1,000 residents" in _text(_html(rc, "carecap-sides")[0])
    shown, error = _field(rc, "Seed")
    assert shown == "0" or "still 0" in error  # the seed in use, or why not the one typed
    for typed in ("-5", "abc", "2000.5", ""):  # each refusal is the box's latest
        _type(rc, "Residents", typed)
        shown, error = _field(rc, "Residents")
        assert shown == typed and f"residents: {typed!r} is not allowed" in error, error
    _type(rc, "Residents", "1e3")  # read as `carecap run` reads it
    assert _field(rc, "Residents") == ("1000", "")
    _type(rc, "Seed", "7")
    assert _field(rc, "Seed") == ("7", "")
    assert "Reset to apply: seed 0 → 7" in _alerts(rc)


def test_a_bad_shared_code_is_refused_visibly(dashboard):
    rc = dashboard
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    rc.find(v.TextField, label="Paste a code to load").widget.v_model = \
        "baseline~0~~risk_aversion-7"
    _button(rc, "Load code").click()
    alerts = _alerts(rc)
    assert "risk_aversion" in alerts and "out of range" in alerts
    rc.find(v.TextField, label="Paste a code to load").widget.v_model = "mutual_aid~9~400"
    _button(rc, "Load code").click()
    assert "mutual_aid~9~400" in _texts(rc)


def test_a_loaded_code_is_handed_on_to_become_the_pages_address():
    loaded: list[Setting] = []
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY), on_loaded=loaded.append),
                            handle_error=False)
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    rc.find(v.TextField, label="Paste a code to load").widget.v_model = "mutual_aid~9~400"
    _button(rc, "Load code").click()
    assert loaded == [Setting("mutual_aid", 9, 400)]
    assert app.link_query(loaded[0]) == "?setting=mutual_aid~9~400"
    rc.close()


def test_refused_url_setting_is_shown():
    setting, refused = app.from_query("setting=baseline~0~~risk_aversion-7")
    assert setting == Setting("baseline") and "risk_aversion" in refused
    twice, why = app.from_query("setting=peer_visits~1~&setting=mutual_aid~2~")
    assert twice == Setting("baseline") and "setting: given 2 times" in why
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY), refused),
                            handle_error=False)
    assert "risk_aversion" in _alerts(rc)
    _button(rc, "Step").click()  # running on: the notice is about no longer
    assert "risk_aversion" not in _alerts(rc)
    rc.close()
    for leave in (lambda rc: _button(rc, "Reset").click(),
                  lambda rc: setattr(rc.find(v.Select, label="Scenario").widget, "v_model",
                                     "mutual_aid")):
        _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY), refused),
                                handle_error=False)
        leave(rc)
        assert "risk_aversion" not in _alerts(rc)
        rc.close()


def test_compare_runs_a_second_scenario(dashboard):
    rc = dashboard
    _button(rc, "Step").click()
    rc.find(v.Tabs).widget.v_model = app.VIEWS.index("Compare")
    assert "Pick a scenario to compare with" in _alerts(rc)
    selects = rc.find(v.Select, label="Compare with").widgets
    assert len(selects) == 2  # in the sidebar, and here where it is missed
    selects[1].v_model = "peer_visits"
    names = {t.get("name") for t in rc.find(PlotlyView).widget.shown["data"]}
    assert {"baseline", "peer_visits as shipped", "baseline − peer_visits as shipped"} <= names
    rc.find(v.Tabs).widget.v_model = app.VIEWS.index("Summary")
    header = _text(_html(rc, "carecap-summary")[0]).split(" Emergency")[0]
    assert header == "Over days 1 to 1 baseline peer_visits as shipped " \
                     "baseline − peer_visits as shipped"


def _answering_page(rc, delay: float = 0.0) -> list[int]:
    """Answer the Pacer as a page would, ``delay`` seconds after each day; the days drawn."""
    pacer = rc.find(Pacer).widget
    drawn: list[int] = []

    def draw(change) -> None:
        day = change["new"]

        def answer() -> None:
            drawn.append(day)
            pacer.on_shown(day)

        threading.Timer(delay, answer).start() if delay else answer()

    pacer.observe(draw, names="day")
    return drawn


def test_run_stops_on_the_runs_last_day():
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY, days=6)),
                            handle_error=False)
    _answering_page(rc)
    _button(rc, "Run").click()
    _wait(lambda: _headline_day(rc) == "6" and not _buttons(rc, "Pause"))
    time.sleep(0.3)
    assert _headline_day(rc) == "6" and _button(rc, "Step").disabled
    assert _button(rc, "Run").disabled
    _type(rc, "Run to day", "8")  # a longer run goes on
    _button(rc, "Step").click()
    assert _headline_day(rc) == "7"
    rc.close()


def _headline_length(rc) -> str:
    """The headline's "of N" under the day."""
    return _html(rc, "carecap-day")[0].children[2].children[0]


def test_stepping_onto_the_last_day_disables_run_and_step():
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY, days=3)),
                            handle_error=False)
    for _ in range(3):
        _button(rc, "Step").click()
    assert _headline_day(rc) == "3"
    assert _button(rc, "Step").disabled and _button(rc, "Run").disabled
    _type(rc, "Run to day", "5")  # a longer run goes on...
    assert not _button(rc, "Step").disabled and not _button(rc, "Run").disabled
    _button(rc, "Step").click()
    _type(rc, "Run to day", "4")  # ...and one shortened to today ends there
    assert _headline_day(rc) == "4" and _button(rc, "Step").disabled
    rc.close()


def test_the_headline_says_the_runs_length_as_soon_as_it_is_set(dashboard):
    rc = dashboard
    _button(rc, "Step").click()
    assert _headline_length(rc) == "of 365"
    _type(rc, "Run to day", "12")
    assert _headline_length(rc) == "of 12"


def test_pause_stops_on_the_next_day_after_the_one_on_screen():
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY)), handle_error=False)
    drawn = _answering_page(rc, delay=0.6)  # a busy page: 0.6 s to draw each day
    _button(rc, "Run").click()
    _wait(lambda: len(drawn) >= 4)
    on_screen = drawn[-1]
    _button(rc, "Pause").click()
    time.sleep(1.0)
    # At most the day being drawn when Pause was pressed: the run waits for the page.
    assert int(_headline_day(rc)) <= on_screen + 1
    rc.close()


def test_seeds_run_in_the_background_and_give_intervals():
    _box, rc = solara.render(app.Dashboard(Setting("peer_visits", 0, TINY, compare="baseline",
                                                   days=20)), handle_error=False)
    rc.find(v.Select, label="Seeds").widget.v_model = 2
    _button(rc, "Run 2 seeds").click()
    _wait(lambda: "Shown: 2 seeds" in _texts(rc))
    readmission = _text(_html(rc, "carecap-readmission-rate-30d")[0])
    assert "2 seeds, 20 days: change " in readmission and "(95% CI " in readmission
    rc.find(v.Tabs).widget.v_model = app.VIEWS.index("Compare")
    # The bands are drawn (the render may be finishing on the thread that got the seeds).
    _wait(lambda: any(t.get("fill") == "toself"
                      for t in rc.find(PlotlyView).widget.shown["data"]))
    rc.close()


def test_seeds_can_be_cancelled_from_the_page(monkeypatch):
    gate = threading.Event()  # the runs wait here, so the page can cancel them midway
    started: list[int] = []

    def held(params, seed, days):
        started.append(seed)
        gate.wait(10)
        return _recorded(params, seed, days)

    monkeypatch.setattr(app, "POOL", Pool(workers=1, task=held, executor=_threads))
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY, days=20)),
                            handle_error=False)
    _button(rc, "Run 8 seeds").click()
    _wait(lambda: _buttons(rc, "Cancel seeds") and started)
    assert "running 0 of 8 runs" in _texts(rc)
    _button(rc, "Cancel seeds").click()
    gate.set()
    _wait(lambda: "Runs seeds 0 to 7" in _texts(rc))
    time.sleep(0.3)
    assert started == [0]  # the run under way finished; no other started
    assert "8 seeds" not in _text(_html(rc, "carecap-readmission-rate-30d")[0])
    rc.close()


def test_pause_stops_between_the_days_of_one_redraw(monkeypatch):
    # At 30 days a redraw, a day that takes 0.1 s: Pause does not wait for the 30.
    step = Session.step

    def slow(self, days=1):
        time.sleep(0.1)
        step(self, days)

    monkeypatch.setattr(Session, "step", slow)
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY)), handle_error=False)
    _answering_page(rc)
    rc.find(v.Select, label="Speed (days)").widget.v_model = 30
    _button(rc, "Run").click()
    time.sleep(0.35)
    _button(rc, "Pause").click()
    _wait(lambda: not _buttons(rc, "Pause") and _headline_day(rc) != "0", 10)
    time.sleep(0.5)
    assert 1 <= int(_headline_day(rc)) <= 5
    rc.close()


@pytest.mark.parametrize("code", [f"baseline~{2**63}~", "baseline~٣~"])
def test_a_setting_seed_outside_the_range_is_refused_naming_it(code):
    with pytest.raises(SettingError, match=rf"seed: .*allowed: a whole number from 0 to "
                                           rf"{2**63 - 1}"):
        Setting.decode(code)


def test_the_largest_seed_is_a_setting():
    assert Setting.decode(f"baseline~{2**63 - 1}~").seed == 2**63 - 1
