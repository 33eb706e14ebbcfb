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
import time
import urllib.request

import ipyvuetify as v
import numpy as np
import pytest

# Before Solara is imported: test runs send no telemetry.
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import solara
from plotly.io.json import to_json_plotly
from solara.components.file_download import FileDownloadWidget

from simulation.dashboard import app, assets, figures
from simulation.dashboard.command import serve, server_address, url
from simulation.dashboard.session import MAX_RESIDENTS, Run, Session
from simulation.dashboard.setting import Setting, SettingError
from simulation.dashboard.widgets import Drawn, PlotlyView, slider_step
from simulation.inputs import InputError
from simulation.params import SPECS

TINY = 300  # residents: a town that builds in a fraction of a second


# -- share codes ---------------------------------------------------------------------------


def test_setting_round_trips_through_its_code():
    setting = Setting("peer_visits", 7, 2000, {"risk_aversion": 0.2, "peer_scheme": False,
                                                "norm_gain_when_helped": 1e-05})
    code = setting.encode()
    assert Setting.decode(code) == setting
    assert all(c.isalnum() or c in "-._~" for c in code)  # URL-safe as it stands
    assert code.startswith("peer_visits~7~2000~")


def test_setting_normalises_to_declared_types():
    setting = Setting("baseline", 1, 2000.0, {"manager_review_days": 7.0, "gap_prob": 1})
    assert setting.residents == 2000 and isinstance(setting.residents, int)
    assert setting.overrides == {"gap_prob": 1.0, "manager_review_days": 7}
    assert Setting("baseline").encode() == "baseline~0~"


@pytest.mark.parametrize(("code", "names"), [
    ("nowhere~1~", ("scenario", "baseline")),
    ("baseline~x~", ("seed", "whole number")),
    ("baseline~1~10", ("residents", "50")),
    ("baseline~1~~risk_aversion-3", ("risk_aversion", "from 0 to 1")),
    ("baseline~1~~wibble-1", ("wibble", "unknown parameter")),
    ("baseline~1~~peer_scheme-maybe", ("peer_scheme", "true or false")),
    ("baseline~1~~risk_aversion", ("risk_aversion", "name-value")),
    ("baseline~1~~residents-500", ("residents", "residents field")),
    ("garbage", ("cannot be read",)),
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


def test_a_run_records_one_row_per_day_and_exports_csv():
    run = Run(Setting("baseline", 1, TINY))
    assert run.day == 0 and len(run.frame()) == 0
    run.step(3)
    frame = run.frame()
    assert list(frame["day"]) == [1, 2, 3]
    header = run.csv().decode().splitlines()[0].split(",")
    assert header[:2] == ["day", "admissions"] and "unmet_hours" in header
    assert len(run.csv().decode().splitlines()) == 4


def test_same_setting_gives_the_same_run():
    a, b = Run(Setting("peer_visits", 4, TINY)), Run(Setting("peer_visits", 4, TINY))
    a.step(5)
    b.step(5)
    assert a.frame().equals(b.frame())


def test_comparison_runs_in_step_with_the_same_town():
    session = Session.start(Setting("peer_visits", 2, TINY, {"risk_aversion": 0.1}))
    session.step(4)
    session.compare("baseline")
    assert session.other.day == 4
    assert session.other.setting == Setting("baseline", 2, TINY, {"risk_aversion": 0.1})
    session.step(2)
    assert session.other.day == session.run.day == 6
    # Same seed and town: the population drawn does not depend on the scenario.
    assert np.array_equal(session.run.model.town.pop.x, session.other.model.town.pop.x)
    session.compare(None)
    assert session.other is None


def test_towns_too_big_for_the_dashboard_are_refused():
    with pytest.raises(SettingError, match="residents"):
        Run(Setting("baseline", 0, MAX_RESIDENTS + 1))
    assert app.from_query(f"setting=baseline~0~{MAX_RESIDENTS + 1}")[1] is not None


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
    assert names[:3] == ["social ties", "peer visits", "caseload"]
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


def test_series_equity_costs_and_compare_figures(stepped):
    frame = stepped.frame()
    series = figures.timeseries_figure(frame)
    assert {"unmet", "family", "paid (budgets)"} <= {t.name for t in series.data}
    assert all(len(t.x) == 10 for t in series.data)
    equity = figures.equity_figure(frame)
    assert any("share of adults" in t.name for t in equity.data)
    costs = figures.costs_figure(frame)
    assert costs.data[-1].y[-1] == pytest.approx(frame["unpaid_value"].sum())
    other = frame.assign(unmet_hours=frame["unmet_hours"] + 5.0)
    compare = figures.compare_figure(frame, other, ("a", "b"), ("unmet_hours",))
    assert np.allclose(compare.data[2].y, 5.0)


def test_series_figures_are_built_from_their_points(stepped):
    frame = stepped.frame()
    other = frame.assign(unmet_hours=frame["unmet_hours"] + 5.0)
    charts = [(figures.timeseries_figure, figures.timeseries_points, (frame,)),
              (figures.equity_figure, figures.equity_points, (frame,)),
              (figures.costs_figure, figures.costs_points, (frame,)),
              (figures.compare_figure, figures.compare_points, (frame, other, ("a", "b")))]
    for figure, points, args in charts:
        fig, series = figure(*args), points(*args)
        assert fig.layout.title.text == series.title
        assert len(fig.data) == len(series.points)
        for trace, (x, y) in zip(fig.data, series.points, strict=True):
            assert np.array_equal(trace.x, x) and np.array_equal(trace.y, y)


def test_a_series_chart_is_sent_only_its_new_points(stepped):
    widget = PlotlyView()
    kind = "Time series"
    widget.draw(Drawn(lambda: figures.timeseries_figure(stepped.frame()),
                      series=figures.timeseries_points(stepped.frame()), kind=kind))
    whole = widget.figure
    stepped.step(1)
    frame = stepped.frame()
    widget.draw(Drawn(lambda: pytest.fail("the figure was built again"),
                      series=figures.timeseries_points(frame), kind=kind))
    assert widget.figure == whole
    update = json.loads(widget.changes)
    assert update["relayout"] == {"title.text": f"Daily outcomes, day 1 to day {len(frame)}"}
    assert update["traces"] == list(range(len(json.loads(whole)["data"])))
    assert len(update["restyle"]["y"]) == len(update["traces"])
    # Another chart in the same place is drawn whole.
    widget.draw(Drawn(lambda: figures.costs_figure(frame),
                      series=figures.costs_points(frame), kind="Costs"))
    assert widget.figure != whole and widget.changes == ""


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
    assert 0 not in update["traces"]  # the ties (trace 0) are not resent
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


def _text(widget) -> str:
    return " ".join(c if isinstance(c, str) else _text(c)
                    for c in getattr(widget, "children", None) or [])


def _texts(rc) -> str:
    """All text the rendered tree shows in HTML elements."""
    return " ".join(_text(w) for w in rc.find(v.Html).widgets)


def _button(rc, label: str) -> v.Btn:
    found = [w for w in rc.find(v.Btn).widgets if label in w.children]
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
    days = [w for w in rc.find(v.Html).widgets if "carecap-day" in (w.class_ or "")]
    assert len(days) == 1
    return days[0].children[1].children[0]


@pytest.fixture
def dashboard():
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY)), handle_error=False)
    yield rc
    rc.close()


def test_step_advances_the_day_and_redraws(dashboard):
    rc = dashboard
    assert _headline_day(rc) == "0"
    figure = rc.find(PlotlyView).widget
    assert "day 0" in figure.shown["layout"]["title"]["text"]
    _button(rc, "Step").click()
    assert _headline_day(rc) == "1"
    assert "day 1" in rc.find(PlotlyView).widget.shown["layout"]["title"]["text"]


def test_a_step_renders_the_page_once(dashboard):
    rc = dashboard
    _button(rc, "Step").click()
    time.sleep(0.5)  # renders asked for by threads (a download's, say) land meanwhile
    before = rc.render_count
    _button(rc, "Step").click()
    time.sleep(0.5)
    assert rc.render_count - before == 1


def test_chart_html_export_is_the_figure_shown(dashboard):
    rc = dashboard
    for _ in range(2):
        _button(rc, "Step").click()
    download = next(w for w in rc.find(FileDownloadWidget).widgets
                    if w.filename.endswith("-town-day2.html"))
    download.request_download = True
    deadline = time.monotonic() + 30
    while download.bytes is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert b"The town on day 2 " in download.bytes


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
    assert "Reset to apply: risk aversion 0.5 → 0.2" in str(
        [w.children for w in rc.find(v.Alert).widgets])
    _button(rc, "Reset").click()
    assert not any("Reset to apply" in str(w.children) for w in rc.find(v.Alert).widgets)
    assert "Code:" not in _texts(rc)  # the share box is part of teaching mode
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    assert "baseline~0~300~risk_aversion-0.2" in _texts(rc)


def test_picking_a_scenario_loads_it(dashboard):
    rc = dashboard
    rc.find(v.Select, label="Scenario").widget.v_model = "peer_visits"
    assert "Peer visits after discharge" in _texts(rc)
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    texts = _texts(rc)
    assert "What to look for" in texts and "Questions" in texts
    assert "peer_visits~0~300" in texts


def test_a_bad_shared_code_is_refused_visibly(dashboard):
    rc = dashboard
    rc.find(v.Switch, label="Teaching mode").widget.v_model = True
    rc.find(v.TextField, label="Paste a code to load").widget.v_model = \
        "baseline~0~~risk_aversion-7"
    _button(rc, "Load code").click()
    alerts = str([w.children for w in rc.find(v.Alert).widgets])
    assert "risk_aversion" in alerts and "out of range" in alerts
    rc.find(v.TextField, label="Paste a code to load").widget.v_model = "mutual_aid~9~400"
    _button(rc, "Load code").click()
    assert "mutual_aid~9~400" in _texts(rc)


def test_refused_url_setting_is_shown():
    setting, refused = app.from_query("setting=baseline~0~~risk_aversion-7")
    assert setting == Setting("baseline") and "risk_aversion" in refused
    _box, rc = solara.render(app.Dashboard(Setting("baseline", 0, TINY), refused),
                            handle_error=False)
    assert "risk_aversion" in str([w.children for w in rc.find(v.Alert).widgets])
    rc.close()


def test_compare_runs_a_second_scenario(dashboard):
    rc = dashboard
    _button(rc, "Step").click()
    rc.find(v.Tabs).widget.v_model = app.VIEWS.index("Compare")
    rc.find(v.Select, label="Compare baseline with").widget.v_model = "peer_visits"
    names = {t.get("name") for t in rc.find(PlotlyView).widget.shown["data"]}
    assert {"baseline", "peer_visits", "difference"} <= names


@pytest.mark.parametrize("code", [f"baseline~{2**63}~", "baseline~٣~"])
def test_a_setting_seed_outside_the_range_is_refused_naming_it(code):
    with pytest.raises(SettingError, match=rf"seed: .*allowed: a whole number from 0 to "
                                           rf"{2**63 - 1}"):
        Setting.decode(code)


def test_the_largest_seed_is_a_setting():
    assert Setting.decode(f"baseline~{2**63 - 1}~").seed == 2**63 - 1
