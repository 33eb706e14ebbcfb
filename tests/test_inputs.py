"""Input checking: exact whole numbers, one-line errors naming the flag."""

from __future__ import annotations

import pytest

from simulation import inputs
from simulation.inputs import MAX_SEED, InputError


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("7", 7), (" 12 ", 12), ("1e3", 1000), ("10.0", 10),
    ("9007199254740993", 9007199254740993),  # 2**53 + 1: a float would round it
    (str(MAX_SEED), MAX_SEED),
])
def test_seeds_are_read_exactly_over_the_whole_range_printed(text: str, value: int) -> None:
    assert inputs.seed("--seed", text) == value


@pytest.mark.parametrize("text", ["-1", str(MAX_SEED + 1), "1.5", "nan", "inf", "", "seven",
                                  "1e300", "9.007199254740993e15",  # read as 2**53
                                  "\u0663", "1_000"])  # Python's int() reads both
def test_a_seed_outside_the_range_or_not_whole_is_refused_naming_the_range(text: str) -> None:
    with pytest.raises(InputError, match=rf"--seed: .* \(allowed: a whole number from 0 to "
                                         rf"{MAX_SEED}\)"):
        inputs.seed("--seed", text)


def test_residents_errors_name_the_flag_once() -> None:
    with pytest.raises(InputError) as caught:
        inputs.residents("--residents", "10")
    assert str(caught.value).startswith("--residents: ")
    assert "residents: residents" not in str(caught.value)
    assert inputs.residents("--residents", "2000") == 2000


def test_a_set_error_names_the_flag_and_the_parameter() -> None:
    with pytest.raises(InputError, match=r"^--set risk_aversion: .*allowed: a number from 0 "):
        inputs.parameter("--set", "risk_aversion", "2")


@pytest.mark.parametrize("text", ["1_000", "\u0663\u0660\u0660", "2\u00a0000"])
def test_a_number_written_as_no_one_types_one_is_refused(text: str) -> None:
    # Python's float() reads "1_000" and Arabic-Indic digits; a command line should not.
    with pytest.raises(InputError, match=r"^--residents: .* is not a number"):
        inputs.residents("--residents", text)
    with pytest.raises(InputError, match=r"^--set kin_hours: .* is not a number"):
        inputs.parameter("--set", "kin_hours", text)
