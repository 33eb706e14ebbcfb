"""The dashboard on an area's town (``carecap dashboard --area FILE``): every session and
shared link is for that area, and a link for another is refused in one line."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import solara
from ipyvuetify import Html
from rich.console import Console
from solara.components.file_download import FileDownloadWidget

from simulation.areas import load_area
from simulation.cli import main
from simulation.dashboard import command
from simulation.dashboard.app import Dashboard, effective, from_query
from simulation.dashboard.replicates import params_of
from simulation.dashboard.session import Run, Session
from simulation.dashboard.setting import AREA_ENV, Setting, SettingError, area_figures

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
    assert code.endswith(f"~area-north_norfolk.{area_figures(NORFOLK)}")
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
def test_the_policy_line_and_the_csv_name_the_area() -> None:
    session = Session.start(Setting("baseline", seed=0, residents=300, days=3))
    session.step(2)
    header, first = session.csv().decode().splitlines()[:2]
    assert dict(zip(header.split(","), first.split(","), strict=False))["area"] == \
        "north_norfolk"
    _box, rc = solara.render(Dashboard(Setting("baseline", 0, 300, days=3)),
                             handle_error=False)
    try:
        sides = [w for w in rc.find(Html).widgets if "carecap-sides" in (w.class_ or "")]
        assert "area north_norfolk" in str(sides[0].children)
        names = [w.filename for w in rc.find(FileDownloadWidget).widgets]
        assert "carecap-baseline-north_norfolk-seed0-day0.csv" in names
    finally:
        rc.close()


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


def _my_town(folder: Path, age_counts: str) -> Path:
    """North Norfolk's profile copied as ``folder/my_town.toml``, with other age counts."""
    text = NORFOLK.path.read_text(encoding="utf-8")
    folder.mkdir()
    path = folder / "my_town.toml"
    path.write_text(text.replace("counts = [15762, 28982, 23744, 24813, 9687]",
                                 f"counts = {age_counts}"), encoding="utf-8")
    return path


def test_a_link_is_refused_on_a_server_whose_area_file_has_the_name_but_not_the_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made_on = _my_town(tmp_path / "a", "[15000, 29000, 24000, 25000, 10000]")
    other = _my_town(tmp_path / "b", "[25000, 29000, 24000, 15000, 5000]")
    monkeypatch.setenv(AREA_ENV, str(made_on.resolve()))
    code = Setting("peer_visits", seed=2).encode()
    assert Setting.decode(code).area == "my_town"  # read back where it was made

    monkeypatch.setenv(AREA_ENV, str(other.resolve()))
    shown, refused = from_query(f"setting={code}")
    assert shown == Setting("baseline")
    assert refused is not None and "\n" not in refused
    assert "runs the area 'my_town' with other figures" in refused
    # The hint names the file the server needs, and says it is not a shipped area.
    assert "--area PATH/my_town.toml" in refused and "not shipped" in refused
    assert area_figures(load_area(made_on)) in refused

    # The same figures in a file elsewhere is the same town: the link opens.
    monkeypatch.setenv(AREA_ENV, str(_my_town(tmp_path / "c", "[15000, 29000, 24000, "
                                              "25000, 10000]").resolve()))
    assert Setting.decode(code).area == "my_town"


def test_a_link_for_a_shipped_area_names_the_shipped_area_in_its_hint() -> None:
    code = f"peer_visits~2~~area-north_norfolk.{area_figures(NORFOLK)}"
    with pytest.raises(SettingError, match="--area north_norfolk`") as refused:
        Setting.decode(code)
    assert "not shipped" not in str(refused.value)


@pytest.mark.usefixtures("norfolk_server")
def test_a_link_made_before_links_carried_the_figures_is_read_by_the_area_name() -> None:
    setting = Setting.decode("peer_visits~2~~area-north_norfolk")
    assert setting == Setting("peer_visits", seed=2)
    assert setting.encode().endswith(f"~area-north_norfolk.{area_figures(NORFOLK)}")
