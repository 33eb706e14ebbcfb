"""The teaching pack: every lesson's command opens the right scenario and seed."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from simulation.cli import main
from simulation.dashboard.app import SEED_CHOICES
from simulation.dashboard.command import url
from simulation.dashboard.setting import Setting
from simulation.lessons import (
    FIGURES,
    LESSONS_FILE,
    Figures,
    LessonError,
    Runs,
    lesson_setting,
    load_lessons,
    write_figures,
)
from simulation.scenarios import shipped
from simulation.sweep.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[1]
LESSONS = load_lessons()
SECTIONS = ("Learning goals", "Open the lesson", "Where the figures are", "Steps for students",
            "Questions, and what the dashboard shows", "Extension: a small sweep")


def test_the_pack_has_its_three_lessons_on_the_models_themes() -> None:
    assert sorted(LESSONS) == [1, 2, 3]
    titles = " ".join(lesson.title.lower() for lesson in LESSONS.values())
    for theme in ("reciprocity", "subsidiarity", "morale", "who cares"):
        assert theme in titles


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_each_lesson_text_has_its_sections_command_scenario_and_seed(number: int) -> None:
    lesson = LESSONS[number]
    text = (LESSONS_FILE.parent / lesson.file).read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"## {section}" in text, section
    assert f"carecap lesson {number}" in text
    assert f"`{lesson.scenario}`" in text and f"seed {lesson.seed}" in text
    assert lesson.scenario in shipped() and lesson.compare in shipped()
    assert lesson.extension in text


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_each_lesson_sweep_is_a_valid_experiment(number: int) -> None:
    words = shlex.split(LESSONS[number].extension)
    assert words[:3] == ["uv", "run", "carecap"] and words[3] == "sweep"
    experiment = load_experiment(ROOT / words[4])
    flags = dict(zip(words[5::2], words[6::2], strict=True))
    small = experiment.resized(replicates=int(flags["--replicates"]),
                               residents=int(flags["--residents"]))
    assert len(small.runs()) <= 40  # a classroom-sized sweep


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_each_lesson_setting_is_its_scenario_seed_and_overrides(number: int) -> None:
    lesson = LESSONS[number]
    setting = lesson_setting(number)
    assert setting == Setting(scenario=lesson.scenario, seed=lesson.seed,
                              residents=lesson.residents, overrides=lesson.overrides,
                              compare=lesson.compare)
    code = parse_qs(urlparse(url("127.0.0.1", 8765, setting)).query)["setting"][0]
    assert Setting.decode(code) == setting


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _printed_address(process: subprocess.Popen[str]) -> str:
    """Read the command's output up to the address it prints, then stop it."""
    printed = ""
    try:
        for line in process.stdout:
            printed += line
            if "http://" in line:
                break
    finally:
        process.kill()
        process.wait()
    address = re.search(r"http://\S+", printed)
    assert address, printed
    return address.group()


def test_carecap_lesson_prints_the_address_of_each_lessons_setting() -> None:
    # The real command, up to the point where the server runs: the address it prints
    # carries the lesson's setting. The lessons start side by side to share the wait.
    env = {**os.environ, "COLUMNS": "400", "PYTHONUNBUFFERED": "1"}  # one line per address
    processes = {number: subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "lesson", str(number), "--port",
         str(_free_port())], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=ROOT, env=env) for number in sorted(LESSONS)}
    for number, process in processes.items():
        code = parse_qs(urlparse(_printed_address(process)).query)["setting"][0]
        assert Setting.decode(code) == lesson_setting(number)


@pytest.mark.parametrize("number", ["0", "4", "one"])
def test_an_unknown_lesson_is_one_line_naming_the_allowed_numbers(
        number: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesson", number]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "allowed: 1, 2, 3" in err


# -- the figures the lessons quote -----------------------------------------------------------


@pytest.fixture(scope="module")
def runs() -> Runs:
    return Runs()  # one run of each setting and seed, however many blocks quote it


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_each_lessons_figures_are_what_the_dashboard_shows_for_its_setting(
        number: int, runs: Runs) -> None:
    # Each block is remade from runs of its setting, by the code that makes the dashboard's
    # Summary; a figure edited by hand, or left behind by a change to the model, differs.
    # After a change to the model: uv run python -m simulation.lessons --figures
    lesson = LESSONS[number]
    text = (LESSONS_FILE.parent / lesson.file).read_text(encoding="utf-8")
    blocks = list(FIGURES.finditer(text))
    assert len(blocks) >= 5  # every question quotes what the dashboard shows
    for block in blocks:
        expected = Figures.parse(block["spec"]).text(runs)
        assert block["body"] == expected, f"lesson {number}: {block['spec']}"
    # The first figures are those of the setting the lesson opens on.
    first = Setting.decode(Figures.parse(blocks[0]["spec"]).code)
    assert first == lesson_setting(number)
    seeds = {Figures.parse(b["spec"]).seeds for b in blocks} - {0}
    assert seeds and seeds <= set(SEED_CHOICES)  # how sure, with seeds the dashboard offers


def test_figures_blocks_are_rewritten_from_runs(tmp_path: Path) -> None:
    lesson = tmp_path / "lesson.md"
    spec = "peer_visits~3~300~vs-baseline~days-20 seeds 2 | readmission_rate_30d volunteers"
    lesson.write_text(f"Before.\n\n<!-- figures: {spec} -->\nstale\n<!-- end figures -->\n"
                      "After.\n", encoding="utf-8")
    assert write_figures([lesson], log=lambda _: None) == [lesson]
    text = lesson.read_text(encoding="utf-8")
    assert text.startswith("Before.") and text.endswith("<!-- end figures -->\nAfter.\n")
    assert "stale" not in text
    assert "*The Summary for `peer_visits~3~300~vs-baseline~days-20`, with 2 seeds, on day 20:*" \
        in text
    assert "| 30-day readmission rate, over the run |" in text
    assert "2 seeds (3 to 4), 20 days: paired difference (95% CI)" in text
    assert write_figures([lesson], log=lambda _: None) == []  # a second run changes nothing


@pytest.mark.parametrize(("spec", "problem"), [
    ("baseline~0~ | wibble", "unknown metric 'wibble'"),
    ("baseline~0~ readmission_rate_30d", "cannot be read"),
])
def test_a_bad_figures_block_is_named(spec: str, problem: str) -> None:
    with pytest.raises(LessonError, match=problem):
        Figures.parse(spec)


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_every_name_a_lesson_quotes_is_a_parameter_metric_or_scenario(number: int) -> None:
    # A lesson tells students which control to move and which figure to read: after a
    # change to the model, a renamed parameter would send them looking for nothing.
    from simulation.metrics import BY_NAME
    from simulation.params import SPECS

    text = (LESSONS_FILE.parent / LESSONS[number].file).read_text(encoding="utf-8")
    quoted = set(re.findall(r"`([a-z][a-z0-9_]*)`", text))
    unknown = quoted - set(SPECS) - set(BY_NAME) - set(shipped())
    assert not unknown, unknown
