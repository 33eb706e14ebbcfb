"""A dashboard run: one CareModel for one setting, stepped on demand, with its daily table.

Nothing here knows about Solara, so the run logic is tested without a browser. Each
browser session makes its own :class:`Run` objects (never a module-level model), so two
sessions never see each other's runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from simulation.dashboard.display import VERSION
from simulation.dashboard.setting import MAX_RESIDENTS, Setting, SettingError, served_area
from simulation.dashboard.stats import COMPARISON, POLICY
from simulation.metrics import NAMES
from simulation.model import CareModel
from simulation.params import SPECS
from simulation.scenarios import load_scenario

DEFAULT_RESIDENTS = 2_000
# What the CSV says of each row's run, before the metrics.
STAMP_COLUMNS = ("run", "scenario", "area", "seed", "residents", "setting", "carecap_version")


def town_size(setting: Setting) -> int:
    """The residents a setting runs with: its own, its scenario's, or the dashboard's default.

    Raises:
        SettingError: If that is more than :data:`MAX_RESIDENTS`.
    """
    residents = setting.residents or load_scenario(setting.scenario).overrides.get(
        "residents", DEFAULT_RESIDENTS)
    if residents > MAX_RESIDENTS:
        raise SettingError(f"residents: {residents:,} is too many for the dashboard "
                           f"(allowed: {SPECS['residents'].low:.0f} to {MAX_RESIDENTS:,}; "
                           "use `carecap run` for larger towns)")
    return residents


class Run:
    """One model run for a setting, advanced a day at a time up to its last day.

    Args:
        setting: The scenario, seed, residents, overrides and length. Residents default
            to :data:`DEFAULT_RESIDENTS` when the setting leaves them to the scenario and
            the scenario does not set them (a 10,000-resident default town is slower to
            draw than a class wants to wait).

    Attributes:
        setting: The setting the run was made from.
        model: The Mesa model.
        lock: Held while the model steps or is read for drawing: the Run button's loop
            and the Step button live on different threads.

    Raises:
        SettingError: If the setting asks for more than :data:`MAX_RESIDENTS`.
    """

    def __init__(self, setting: Setting) -> None:
        residents = town_size(setting)
        self.setting = setting
        self.lock = threading.RLock()
        self.model = CareModel(scenario=setting.scenario, seed=setting.seed,
                               residents=residents, area=served_area(), **setting.overrides)
        self._rows: list[dict[str, float]] = []
        self._frame: pd.DataFrame | None = None

    @property
    def day(self) -> int:
        """Days run so far (0 before the first step)."""
        return len(self._rows)

    @property
    def residents(self) -> int:
        """Number of residents in the town."""
        return self.model.params.residents

    def step(self, days: int = 1) -> None:
        """Advance the model ``days`` days (never past its last) and record each day."""
        with self.lock:
            for _ in range(min(days, self.setting.days - self.day)):
                self.model.step()
                self._rows.append(self.model.latest)
            self._frame = None

    def frame(self) -> pd.DataFrame:
        """The daily metrics so far, one row per day, one column per metric.

        Typed as :func:`simulation.run` types its table, so the two are equal.
        """
        with self.lock:
            if self._frame is None:
                values = np.array([list(row.values()) for row in self._rows],
                                  dtype=np.float64).reshape(len(self._rows), len(NAMES))
                self._frame = pd.DataFrame(values, columns=list(NAMES))
                self._frame["day"] = self._frame["day"].astype(np.int64)
            return self._frame

    def latest(self) -> dict[str, float]:
        """Today's metrics (empty before the first step)."""
        return self._rows[-1] if self._rows else {}


@dataclass
class Session:
    """What one browser session runs: the policy run and, when comparing, its comparison.

    The comparison is its own scenario as shipped on the same town (seed and residents),
    so the difference plotted, policy minus comparison, is the effect of everything the
    policy changes. Both runs are stepped together and always on the same day.

    Attributes:
        run: The policy run (the setting the controls show).
        other: The comparison run, or ``None``.
    """

    run: Run
    other: Run | None = None

    @classmethod
    def start(cls, setting: Setting) -> Session:
        """Build the run(s) for a setting (the comparison from ``setting.compare``)."""
        session = cls(run=Run(setting))
        session.compare(setting.compare)
        return session

    @property
    def setting(self) -> Setting:
        """The setting of the screen: the policy's, with the comparison and length now."""
        return self.run.setting

    @property
    def comparison(self) -> Setting | None:
        """The comparison run's setting, or ``None``."""
        return self.setting.comparison(self.run.residents)

    def compare(self, scenario: str | None) -> None:
        """Run ``scenario`` as shipped beside the policy (``None`` stops comparing).

        The comparison is brought up to the policy's day, so the two stay in step.
        """
        with self.run.lock:  # the policy must not move on while the other catches up
            self.run.setting = replace(self.setting, compare=scenario)
            other = Run(self.comparison) if scenario else None
            if other is not None:
                other.step(self.run.day)
            self.other = other

    def lengthen(self, days: int) -> None:
        """Make the run stop on ``days`` (not before today: a run cannot go back).

        Raises:
            SettingError: If ``days`` is before today or not allowed.
        """
        with self.run.lock:
            if days < self.day:
                raise SettingError(f"days: the run is already on day {self.day} (allowed: "
                                   f"{self.day} or more; Reset to run a shorter one)")
            self.run.setting = replace(self.setting, days=days)
            if self.other is not None:
                self.other.setting = self.comparison

    def step(self, days: int = 1) -> None:
        """Advance both runs in step, so they always show the same day."""
        with self.run.lock:
            self.run.step(days)
            if self.other is not None:
                self.other.step(days)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The policy's and the comparison's daily tables, on the same day."""
        with self.run.lock:
            return self.run.frame(), None if self.other is None else self.other.frame()

    @property
    def day(self) -> int:
        """Days run so far."""
        return self.run.day

    @property
    def ended(self) -> bool:
        """Whether the run has reached its last day."""
        return self.day >= self.setting.days

    def csv(self) -> bytes:
        """Both runs' daily metrics as one CSV, each row saying which run it is.

        One row per run and day; before the metrics, the run (policy or comparison), its
        scenario, area (``england`` for the defaults, as a run's provenance names it),
        seed, residents, the setting's share code and carecap's version, so a file read
        long after says what made it.
        """
        policy, other = self.frames()
        code = self.setting.encode()
        parts = [(POLICY, self.setting, policy)]
        if other is not None:
            parts.append((COMPARISON, self.comparison, other))
        tables = []
        for side, setting, frame in parts:
            stamp = pd.DataFrame({"run": side, "scenario": setting.scenario,
                                  "area": setting.area, "seed": setting.seed,
                                  "residents": self.run.residents,
                                  "setting": code, "carecap_version": VERSION},
                                 index=frame.index, columns=list(STAMP_COLUMNS))
            tables.append(pd.concat([stamp, frame], axis=1))
        return pd.concat(tables, ignore_index=True).to_csv(index=False).encode()
