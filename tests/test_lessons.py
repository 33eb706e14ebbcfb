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
from simulation.dashboard.command import url
from simulation.dashboard.setting import Setting
from simulation.lessons import LESSONS_FILE, lesson_setting, load_lessons
from simulation.scenarios import shipped
from simulation.sweep.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[1]
LESSONS = load_lessons()
SECTIONS = ("Learning goals", "Open the lesson", "Steps for students",
            "Questions, and what the model shows", "Extension: a small sweep")


def test_the_pack_has_the_three_lessons_of_the_brief() -> None:
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
                              residents=lesson.residents, overrides=lesson.overrides)
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
