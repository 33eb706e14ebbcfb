"""Checking what a user typed: one-line errors that name the flag and what is allowed.

The command line, validation, lessons and the dashboard's server flags all check their
input here, below every module that uses it, so none of them imports another's
command. Each check raises :class:`InputError`, whose message names the flag or file,
the value and what is allowed; the command line prints it as one line with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from simulation.params import MAX_RUN_DAYS, ParamError, coerce, plain_number_text
from simulation.results import temporary_beside

DEFAULT_DAYS = 365
MAX_DAYS = MAX_RUN_DAYS  # the longest run (and the latest day a lever can start)
MAX_SEED = 2**63 - 1  # numpy's SeedSequence takes any non-negative integer; this fits int64


class InputError(ValueError):
    """Bad input: the message names the flag or file, the field and what is allowed."""


def whole_number(flag: str, text: str, low: int, high: int) -> int:
    """Parse ``text`` as a whole number from ``low`` to ``high``, exactly.

    Digits are read as an integer (never through a float, which would round numbers
    above 2**53); ``1e3`` and ``10.0`` are read as the whole numbers they write.

    Raises:
        InputError: If the text is not a whole number in range.
    """
    value = _exact_whole(str(text).strip())
    if value is None or not low <= value <= high:
        raise InputError(f"{flag}: {text!r} is not allowed (allowed: a whole number from "
                         f"{low} to {high})")
    return value


def _exact_whole(text: str) -> int | None:
    """The whole number ``text`` writes, or ``None``."""
    if not plain_number_text(text):
        return None
    try:
        return int(text, 10)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    if not value.is_integer() or abs(value) >= 2**53:  # from 2**53 on, a float may have rounded
        return None
    return int(value)


def whole_value(name: str, value: object, low: int, high: int) -> int:
    """A whole number handed over in Python (``run(seed=...)``), from ``low`` to ``high``.

    Integers and numpy integers are taken, and floats that write a whole number (sampling
    tools hand numbers over as floats); a bool, a string or a fraction is not, so the
    value a run records is the value it ran.

    Raises:
        InputError: If ``value`` is not such a number.
    """
    integer = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    # from 2**53 on, a float may have rounded
    whole_float = (isinstance(value, float | np.floating) and float(value).is_integer()
                   and abs(value) < 2**53)
    whole = int(value) if integer or whole_float else None  # type: ignore[call-overload]
    if whole is None or not low <= whole <= high:
        raise InputError(f"{name}={value!r} is not allowed (allowed: a whole number from "
                         f"{low} to {high})")
    return whole


def days(flag: str, text: str) -> int:
    """Days to report: a whole number from 1 to :data:`MAX_DAYS`."""
    return whole_number(flag, text, 1, MAX_DAYS)


def seed(flag: str, text: str) -> int:
    """A seed: a whole number from 0 to :data:`MAX_SEED`, read exactly."""
    return whole_number(flag, text, 0, MAX_SEED)


def seeds_problem(root_seed: int, replicates: int) -> str | None:
    """Why seeds ``root_seed`` to ``root_seed + replicates - 1`` leave the seed range.

    Returns:
        The reason, naming both fields and what is allowed, or ``None`` if they fit.
    """
    last = root_seed + replicates - 1
    if last <= MAX_SEED:
        return None
    return (f"root_seed {root_seed} with {replicates} replicates reaches seed {last} "
            f"(allowed: seeds up to {MAX_SEED}, so root_seed at most "
            f"{MAX_SEED - replicates + 1} with {replicates} replicates)")


def scheduler(flag: str, text: str) -> str:
    """A Dask scheduler's address: ``tcp://HOST:PORT`` (or ``tls://``), checked as text.

    Raises:
        InputError: If the text is not such an address.
    """
    address = str(text).strip()
    try:
        parts = urlsplit(address)
        fits = (parts.scheme in ("tcp", "tls") and bool(parts.hostname) and bool(parts.port)
                and not (parts.path or parts.query or parts.fragment))
    except ValueError:  # a port out of range, or a broken [IPv6] host
        fits = False
    if not fits:
        raise InputError(f"{flag} {text!r}: not a scheduler address (allowed: "
                         "tcp://HOST:PORT with a port from 1 to 65535, e.g. "
                         "tcp://10.0.0.5:8786)")
    return address


def residents(flag: str, text: str) -> int:
    """A town's size, checked against the ``residents`` parameter's declaration."""
    return int(parameter(flag, "residents", text))


def parameter(flag: str, name: str, text: str) -> int | float | bool:
    """A parameter value typed on a command line, checked against its declaration.

    The message starts with ``flag``; a flag that sets one parameter (``--residents``)
    does not repeat its name.

    Raises:
        InputError: On an unknown name, a wrong type or an out-of-range value.
    """
    try:
        return coerce(name, text, from_text=True)
    except ParamError as error:
        if flag == f"--{name}":
            raise InputError(f"{flag}: {str(error).removeprefix(f'{name}: ')}") from None
        raise InputError(f"{flag} {error}") from None


def output_path(flag: str, text: str | None, suffixes: tuple[str, ...],
                new_folder: bool = False) -> Path | None:
    """Check an output file's path before any work, so none is lost to a bad path.

    Args:
        flag: The flag to name in an error.
        text: The path as given, or ``None`` when the flag was not given.
        suffixes: The file types allowed.
        new_folder: Whether the file's folder may be missing (the caller makes it when it
            writes, so nothing is made for a refused command).

    Returns:
        The path, or ``None`` when the flag was not given.

    Raises:
        InputError: If the suffix is not one of ``suffixes``, the path is a folder, its
            folder is missing (and may not be), or no file can be made there.
    """
    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise InputError(f"{flag} {text}: unsupported file type (allowed: "
                         f"{', '.join(suffixes)})")
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"{flag} {text}: is a directory (allowed: a file path)")
    if not parent.is_dir() and not new_folder:
        raise InputError(f"{flag} {text}: folder {parent} does not exist (allowed: a file "
                         "in a folder that exists)")
    _check_writable(flag, text, parent, "a file in a folder you can write to")
    return path


def output_folder(flag: str, text: str) -> Path:
    """Check a folder a command will write into (made if missing) before any work.

    Raises:
        InputError: If the path is a file, sits below a file, or nothing can be made there.
    """
    if not text.strip():
        raise InputError(f"{flag}: empty (allowed: a folder, new or one this command wrote "
                         "before)")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {text}: is a file (allowed: a folder, new or one this "
                         "command wrote before)")
    _check_writable(flag, text, path, "a folder you can write to, new or existing")
    return path


def _check_writable(flag: str, text: str, folder: Path, allowed: str) -> None:
    """Check that a file can be made in ``folder``, or in the folder that would hold it.

    A file is made and removed in the nearest folder that exists: permission checks
    alone pass for root and say nothing of read-only or virtual file systems (/proc) or a
    full disk's quota.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{flag} {text}: {existing} is a file, so no folder can be made "
                         f"there (allowed: {allowed})")
    try:
        temporary_beside(existing / "probe").unlink()
    except OSError as error:
        raise InputError(f"{flag} {text}: cannot create a file in {existing} "
                         f"({error.strerror or error}); allowed: {allowed}") from None
