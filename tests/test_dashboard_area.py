"""The dashboard on an area's town (``carecap dashboard --area FILE``): every session and
shared link is for that area, and a link for another is refused in one line."""

from __future__ import annotations

import argparse

import pytest
from rich.console import Console

from simulation.areas import load_area
from simulation.cli import main
from simulation.dashboard import command
from simulation.dashboard.app import effective, from_query
from simulation.dashboard.replicates import params_of
from simulation.dashboard.session import Run
from simulation.dashboard.setting import AREA_ENV, Setting, SettingError

NORFOLK = load_area("north_norfolk")


@pytest.fixture
def norfolk_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server started with ``--area north_norfolk``."""
    monkeypatch.setenv(AREA_ENV, str(NORFOLK.path.resolve()))


@pytest.mark.usefixtures("norfolk_server")
def test_every_run_on_an_area_server_is_that_areas_town() -> None:
    setting = Setting("peer_visits", seed=2, residents=400, days=3)
    assert setting.area == "north_norfolk"
    assert effective(setting).structure == NORFOLK.params.structure
    assert params_of(setting, 400).structure == NORFOLK.params.structure
    run = Run(setting)
    assert run.model.params.structure == NORFOLK.params.structure
    assert run.model.params.peer_scheme


@pytest.mark.usefixtures("norfolk_server")
def test_a_share_link_names_the_area_and_reads_back() -> None:
    setting = Setting("peer_visits", seed=2, overrides={"risk_aversion": 0.2})
    code = setting.encode()
    assert code.endswith("~area-north_norfolk")
    assert Setting.decode(code) == setting
    assert "area north_norfolk" in setting.describe()


def test_a_link_for_an_area_is_refused_on_a_server_without_it() -> None:
    shown, refused = from_query("setting=peer_visits~2~~area-north_norfolk")
    assert shown == Setting("baseline")
    assert refused is not None and "\n" not in refused
    assert "for the area 'north_norfolk'" in refused and "England's defaults" in refused
    assert "carecap dashboard --area north_norfolk" in refused
    assert "area" not in Setting("baseline").encode()  # England's links are as they were


@pytest.mark.usefixtures("norfolk_server")
def test_a_link_without_an_area_is_refused_on_an_area_server() -> None:
    with pytest.raises(SettingError, match=r"for the area 'england'.*runs the area "
                                           "'north_norfolk'"):
        Setting.decode("peer_visits~2~")


def test_the_command_serves_the_area_it_is_given(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    served = {}
    monkeypatch.setattr(command, "serve",
                        lambda host, port, console=None, area=None: served.update(area=area))
    args = argparse.Namespace(port="8765", host="127.0.0.1", area="north_norfolk")
    command.dashboard(args, Console())
    assert served["area"].name == "north_norfolk"
    assert main(["dashboard", "--area", "atlantis"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--area" in error and "atlantis" in error
