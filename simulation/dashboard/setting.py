"""One dashboard setting — scenario, seed, residents, overrides, comparison, length — as a code.

A teacher shares a setting with a room as ``http://HOST:PORT/?setting=CODE``. The code is
readable and uses only URL-safe characters, fields joined by ``~``::

    peer_visits~7~2000~risk_aversion-0.2~patients_per_volunteer-3~vs-baseline~days-730

(scenario, seed, residents — empty for the scenario's own — then ``name-value`` for each
override, then ``vs-SCENARIO`` when a comparison runs beside it, ``days-N`` when the
run is not a year long and ``area-NAME.FIGURES`` when the server runs an area's town),
so it can be read out to a room or typed in. ``NAME`` is the area file's name and
``FIGURES`` a short hash of the parameters the area resolves to, so a code made on a
server started with ``--area /a/my_town.toml`` is refused on one started with
``--area /b/my_town.toml`` whose figures differ: a file's name alone does not say which
town a run is on. A code is refused on a server that runs another area's town, or none.
(Codes made before the hash was added, ``area-NAME``, are checked by name alone.)
Decoding validates every field against the scenario list and the parameter
declarations: a mistyped or tampered code is refused with one line naming the field and
what is allowed, never run with a silently different value.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from simulation.areas import Area, area_path, load_area, shipped_areas
from simulation.inputs import MAX_SEED, InputError, whole_number
from simulation.params import SPECS, ParamError, coerce
from simulation.runner import DEFAULT_DAYS
from simulation.scenarios import shipped

# Ten years: a dashboard run keeps every day's row and redraws them all.
MAX_DAYS = 3_650
# The dashboard redraws the whole town every step; past this it stops being interactive,
# and larger towns belong in `carecap run` or a sweep.
MAX_RESIDENTS = 50_000
# Code fields that are not parameters: the comparison scenario, the run's length, the area.
_COMPARE, _DAYS, _AREA = "vs", "days", "area"
SEEDS_ALLOWED = f"allowed: a whole number from 0 to {MAX_SEED}"
# The area profile the server was started with (`carecap dashboard --area FILE`): set by
# the command before the app is imported, and read by every session and worker.
AREA_ENV = "CARECAP_AREA"
ENGLAND = "england"  # the name of the defaults' area (simulation/params.py: Structure)
FIGURES_LENGTH = 8  # hex digits of an area's hash: short to read out, long enough to differ


@functools.cache
def _load_area(path: str) -> Area:
    return load_area(path)


def served_area() -> Area | None:
    """The area profile this server runs its towns in, or ``None`` for England's defaults."""
    path = os.environ.get(AREA_ENV)
    return _load_area(path) if path else None


def served_area_name() -> str:
    """The name of the area this server runs (``england`` without ``--area``)."""
    area = served_area()
    return area.name if area is not None else ENGLAND


def area_figures(area: Area) -> str:
    """A short hash of the parameters ``area`` resolves to: what its town is made of.

    Two files with the same name and different figures get different hashes; a comment
    or a blank line changed in a file does not change its hash.
    """
    record = json.dumps(area.params.as_record(), sort_keys=True, default=str)
    return hashlib.sha256(record.encode()).hexdigest()[:FIGURES_LENGTH]


@functools.cache
def _figures_of(path: str) -> str:
    return area_figures(_load_area(path))


def served_area_figures() -> str | None:
    """The hash of the served area's figures (:func:`area_figures`); ``None`` for England."""
    path = os.environ.get(AREA_ENV)
    return _figures_of(path) if path and served_area_name() != ENGLAND else None


def _needed_area(name: str, figures: str | None) -> str:
    """Which ``--area`` a server needs to open a code for the area ``name``.

    A shipped area with the same figures is named; any other is a local file only the
    link's maker has, so the hint says so rather than name an ``--area`` that fails.
    """
    if name in shipped_areas() and figures in (None, _figures_of(str(area_path(name)))):
        return f"open it on a server started with `carecap dashboard --area {name}`"
    hashed = f"; its figures hash to {figures}" if figures else ""
    return (f"open it on a server started with `carecap dashboard --area PATH/{name}.toml`, "
            f"the local area file the link was made with (not shipped with carecap{hashed})")


class SettingError(ValueError):
    """A setting the dashboard cannot run; the message names the field and what is allowed."""


@dataclass(frozen=True)
class Setting:
    """What a dashboard run is made of; the same setting always gives the same run.

    Attributes:
        scenario: A shipped scenario's name.
        seed: The run's seed (a whole number from 0 to ``MAX_SEED``).
        residents: Number of residents, or ``None`` for the scenario's own.
        overrides: Parameters set on top of the scenario, by name (``residents`` is its
            own field, not an override).
        compare: The scenario run beside it for comparison, as shipped (its own
            parameters, none of ``overrides``) on the same town, or ``None``. It may be
            the same scenario: the overrides against the scenario as shipped.
        days: The day the run stops on.
        area: The area whose town it runs (``england``: the defaults). It must be the
            area the server runs: a setting is never run on another area's town.
        figures: The hash of that area's figures (:func:`area_figures`), ``None`` for
            England's defaults or a code made before codes carried it.

    Raises:
        SettingError: If any field is not allowed (checked on construction).
    """

    scenario: str
    seed: int = 0
    residents: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict, hash=False)
    compare: str | None = None
    days: int = DEFAULT_DAYS
    area: str = field(default_factory=served_area_name)
    figures: str | None = field(default_factory=served_area_figures)

    def __post_init__(self) -> None:
        served, served_figures = served_area_name(), served_area_figures()
        if self.area != served or self.figures not in (None, served_figures):
            runs = f"the area {served!r}" if served != ENGLAND else "England's defaults"
            if self.area == served:
                runs += " with other figures"
            raise SettingError(f"area: this setting is for the area {self.area!r} and this "
                               f"server runs {runs} (allowed: "
                               f"{_needed_area(self.area, self.figures)})")
        if self.figures is None:  # an older code, read by name: shared again with the hash
            object.__setattr__(self, "figures", served_figures)
        names = shipped()
        for name, value in (("scenario", self.scenario), ("compare", self.compare)):
            if value is not None and value not in names:
                raise SettingError(f"{name}: {value!r} is unknown (allowed: {', '.join(names)})")
        if (isinstance(self.days, bool) or not isinstance(self.days, int)
                or not 1 <= self.days <= MAX_DAYS):
            raise SettingError(f"days: {self.days!r} is not allowed "
                               f"(allowed: a whole number from 1 to {MAX_DAYS:,})")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) \
                or not 0 <= self.seed <= MAX_SEED:
            raise SettingError(f"seed: {self.seed!r} is not allowed ({SEEDS_ALLOWED})")
        if self.residents is not None:
            object.__setattr__(self, "residents", _checked("residents", self.residents))
        if not isinstance(self.overrides, dict):
            raise SettingError("overrides: must be a table of parameter names and values")
        if "residents" in self.overrides:
            raise SettingError("overrides: 'residents' is not an override "
                               "(allowed: the residents field)")
        # Normalised to the declared types, so equal settings compare and encode equal.
        object.__setattr__(self, "overrides",
                           {name: _checked(name, value)
                            for name, value in sorted(self.overrides.items())})

    def encode(self) -> str:
        """Return the setting as a short URL-safe code (see the module docstring)."""
        fields = [self.scenario, str(self.seed), "" if self.residents is None
                  else str(self.residents)]
        fields += [f"{name}-{_text(value)}" for name, value in self.overrides.items()]
        if self.compare is not None:
            fields.append(f"{_COMPARE}-{self.compare}")
        if self.days != DEFAULT_DAYS:
            fields.append(f"{_DAYS}-{self.days}")
        if self.area != ENGLAND:
            fields.append(f"{_AREA}-{self.area}" + (f".{self.figures}" if self.figures else ""))
        return "~".join(fields)

    @classmethod
    def decode(cls, code: str) -> Setting:
        """Read a code made by :meth:`encode`, validating every field.

        Raises:
            SettingError: If the code is malformed or any field is not allowed.
        """
        fields = code.strip().split("~")
        if len(fields) < 3:
            raise SettingError(f"setting code {_short(code)!r} cannot be read (allowed: "
                               "scenario~seed~residents~name-value..., as the Share box shows)")
        scenario, seed, residents, *pairs = fields
        if not (seed.isascii() and seed.isdigit()):
            raise SettingError(f"seed: {seed!r} is not allowed ({SEEDS_ALLOWED})")
        overrides: dict[str, Any] = {}
        compare, days, area, figures = None, DEFAULT_DAYS, ENGLAND, None
        seen: set[str] = set()
        for pair in pairs:
            # Names have no hyphen; values may (1e-05), so split at the first one.
            name, dash, value = pair.partition("-")
            if not dash:
                raise SettingError(f"override {pair!r} cannot be read (allowed: name-value, "
                                   "e.g. risk_aversion-0.2)")
            if name in seen:  # which one would run is not for the code's reader to guess
                raise SettingError(f"{name}: given twice in the code (allowed: each field "
                                   "once)")
            seen.add(name)
            if name == _COMPARE:
                compare = value
            elif name == _AREA:
                area, figures = _area_field(value)
            elif name == _DAYS:
                if not value.isdigit():
                    raise SettingError(f"days: {value!r} is not allowed (allowed: a whole "
                                       f"number from 1 to {MAX_DAYS:,})")
                days = int(value)
            else:
                overrides[name] = _checked(name, value, from_text=True)
        return cls(scenario=scenario, seed=int(seed),
                   residents=_residents(residents) if residents else None,
                   overrides=overrides, compare=compare, days=days, area=area,
                   figures=figures)

    def comparison(self, residents: int) -> Setting | None:
        """The comparison run's setting: its scenario as shipped, on this run's town.

        Args:
            residents: The town's size as this setting runs it (the comparison scenario
                may declare another, which would be another town).
        """
        if self.compare is None:
            return None
        return Setting(self.compare, self.seed, residents, days=self.days, area=self.area,
                       figures=self.figures)

    def describe(self) -> str:
        """One line for people: scenario, seed, residents and any changed parameters."""
        parts = [self.scenario, f"seed {self.seed}"]
        if self.area != ENGLAND:
            parts.append(f"area {self.area}")
        if self.residents is not None:
            parts.append(f"{self.residents:,} residents")
        parts += [f"{name.replace('_', ' ')} {_shown(value)}"
                  for name, value in self.overrides.items()]
        return ", ".join(parts)


def _area_field(value: str) -> tuple[str, str | None]:
    """A code's ``NAME.FIGURES`` as name and hash; a code without a hash gives ``None``."""
    name, dot, figures = value.rpartition(".")
    if dot and len(figures) == FIGURES_LENGTH and all(c in "0123456789abcdef" for c in figures):
        return name, figures
    return value, None


def _checked(name: str, value: Any, from_text: bool = False) -> int | float | bool:
    """A parameter value in its declared type, or a SettingError naming it."""
    if name not in SPECS:
        raise SettingError(f"{name}: unknown parameter (allowed: see `carecap params`)")
    try:
        return coerce(name, value, from_text=from_text)
    except ParamError as error:
        raise SettingError(str(error)) from None


def _residents(text: str) -> int:
    """A code's residents, read as ``carecap run --residents`` reads them ("2e3" is 2000).

    Raises:
        SettingError: Naming the dashboard's range, not the parameter's wider one.
    """
    low = int(SPECS["residents"].low)
    try:
        return whole_number("residents", text, low, MAX_RESIDENTS)
    except InputError:
        raise SettingError(f"residents: {text!r} is not allowed (allowed: a whole number "
                           f"from {low} to {MAX_RESIDENTS:,} in the dashboard; use "
                           "`carecap run` for larger towns)") from None


def _text(value: int | float | bool) -> str:
    """A value as code text; ``repr`` of a float reads back as exactly the same float."""
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def _shown(value: int | float | bool) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else f"{value:g}"


def _short(code: str) -> str:
    return code if len(code) <= 24 else code[:21] + "..."
