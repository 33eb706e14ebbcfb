"""One dashboard setting — scenario, seed, residents, parameter overrides — as a short code.

A teacher shares a setting with a room as ``http://HOST:PORT/?setting=CODE``. The code is
readable and uses only URL-safe characters, fields joined by ``~``::

    peer_visits~7~2000~risk_aversion-0.2~visits_per_week-3.0

(scenario, seed, residents — empty for the scenario's own — then ``name-value`` for each
override), so it can be read out to a room or typed in. Decoding validates every field
against the scenario list and the parameter declarations: a mistyped or tampered code is
refused with one line naming the field and what is allowed, never run with a silently
different value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation.inputs import MAX_SEED
from simulation.params import SPECS, ParamError, coerce
from simulation.scenarios import shipped

SEEDS_ALLOWED = f"allowed: a whole number from 0 to {MAX_SEED}"


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

    Raises:
        SettingError: If any field is not allowed (checked on construction).
    """

    scenario: str
    seed: int = 0
    residents: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        names = shipped()
        if self.scenario not in names:
            raise SettingError(f"scenario: {self.scenario!r} is unknown "
                               f"(allowed: {', '.join(names)})")
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
        for pair in pairs:
            # Names have no hyphen; values may (1e-05), so split at the first one.
            name, dash, value = pair.partition("-")
            if not dash:
                raise SettingError(f"override {pair!r} cannot be read (allowed: name-value, "
                                   "e.g. risk_aversion-0.2)")
            overrides[name] = _checked(name, value, from_text=True)
        return cls(scenario=scenario, seed=int(seed),
                   residents=_checked("residents", residents, from_text=True) if residents
                   else None,
                   overrides=overrides)

    def describe(self) -> str:
        """One line for people: scenario, seed, residents and any overrides."""
        parts = [f"scenario {self.scenario}", f"seed {self.seed}"]
        if self.residents is not None:
            parts.append(f"{self.residents:,} residents")
        parts += [f"{name} = {value}" for name, value in self.overrides.items()]
        return ", ".join(parts)


def _checked(name: str, value: Any, from_text: bool = False) -> int | float | bool:
    """A parameter value in its declared type, or a SettingError naming it."""
    if name not in SPECS:
        raise SettingError(f"{name}: unknown parameter (allowed: see `carecap params`)")
    try:
        return coerce(name, value, from_text=from_text)
    except ParamError as error:
        raise SettingError(str(error)) from None


def _text(value: int | float | bool) -> str:
    """A value as code text; ``repr`` of a float reads back as exactly the same float."""
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def _short(code: str) -> str:
    return code if len(code) <= 24 else code[:21] + "..."
