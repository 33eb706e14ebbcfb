"""Reading the project's TOML files: one error, naming the file and field, for each problem.

Scenario, area, experiment, design and calibration files are all read through these,
so every one of them fails the same way: a one-line message that names the file, the
field and what is allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_toml(path: Path, what: str, error: type[ValueError]) -> dict[str, Any]:
    """Read a TOML file, turning every way it can fail into one ``error`` naming it.

    An empty file (nothing but blanks and comments) is refused too: it would run as the
    defaults, and is almost always the wrong file or one not yet saved.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot be read ({problem})") from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path}: not valid TOML ({problem})") from None
    if not data:
        raise error(f"{path}: empty {what} file (allowed: at least one field)")
    return data


def refuse_unknown(data: dict[str, Any], allowed: set[str] | frozenset[str],
                   fail: Callable[[str], Exception]) -> None:
    """Raise ``fail(message)`` naming the first field of ``data`` not in ``allowed``."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise fail(f"unknown field {sorted(unknown)[0]!r} (allowed: "
                   f"{', '.join(sorted(allowed))})")


def checked_whole(value: Any, field: str, low: int, high: int,
                  fail: Callable[[str], Exception]) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``.

    Otherwise raises ``fail(message)``, the message naming ``field`` and what is allowed:
    the one check the experiment, design and calibration files use for counts.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(f"field {field!r} is {value!r} (allowed: a whole number from {low} to "
                   f"{high})")
    return value


def is_bare_name(name_or_path: str | Path) -> bool:
    """Whether ``name_or_path`` names a shipped file (no ``.toml``, no folder), not a path."""
    text = str(name_or_path)
    return not text.endswith(".toml") and Path(text).parent == Path(".")


def named_file(name_or_path: str | Path, folder: Path, what: str, shipped: list[str],
               error: type[ValueError]) -> Path:
    """The file a shipped name stands for in ``folder``, or the path given.

    A bare name (no ``.toml``, no folder) is a shipped file's stem; anything else is a
    path, read as it is.

    Raises:
        error: If a bare name is not one of ``shipped``, listing them.
    """
    text = str(name_or_path)
    path = Path(text)
    if is_bare_name(text):
        path = folder / f"{text}.toml"
        if not path.is_file():
            raise error(f"{what} {text!r}: unknown (shipped: {', '.join(shipped)}; or give "
                        "the path of a .toml file)")
    return path
