"""A dashboard run: one CareModel for one setting, stepped on demand, with its daily table.

Nothing here knows about Solara, so the run logic is tested without a browser. Each
browser session makes its own :class:`Run` objects (never a module-level model), so two
sessions never see each other's runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.dashboard.setting import Setting, SettingError
from simulation.metrics import NAMES
from simulation.model import CareModel
from simulation.scenarios import load_scenario

# The dashboard redraws the whole town every step; past this it stops being interactive,
# and larger towns belong in `carecap run` or a sweep.
MAX_RESIDENTS = 50_000
DEFAULT_RESIDENTS = 2_000


class Run:
    """One model run for a setting, advanced a day at a time.

    Args:
        setting: The scenario, seed, residents and overrides. Residents default to
            :data:`DEFAULT_RESIDENTS` when the setting leaves them to the scenario and
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
        scenario = load_scenario(setting.scenario)
        residents = setting.residents or scenario.overrides.get("residents", DEFAULT_RESIDENTS)
        if residents > MAX_RESIDENTS:
            raise SettingError(f"residents: {residents:,} is too many for the dashboard "
                               f"(allowed: 50 to {MAX_RESIDENTS:,}; use `carecap run` "
                               "for larger towns)")
        self.setting = setting
        self.lock = threading.RLock()
        self.model = CareModel(scenario=setting.scenario, seed=setting.seed,
                               residents=residents, **setting.overrides)
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
        """Advance the model ``days`` days and record each day's metrics."""
        with self.lock:
            for _ in range(days):
                self.model.step()
                self._rows.append(self.model.latest)
            self._frame = None

    def frame(self) -> pd.DataFrame:
        """The daily metrics so far, one row per day, one column per metric."""
        with self.lock:
            if self._frame is None:
                self._frame = pd.DataFrame(self._rows, columns=list(NAMES))
                self._frame["day"] = self._frame["day"].astype(np.int64)
            return self._frame

    def csv(self) -> bytes:
        """The daily metrics as CSV, with a header naming every metric."""
        return self.frame().to_csv(index=False).encode()

    def latest(self) -> dict[str, float]:
        """Today's metrics (empty before the first step)."""
        return self._rows[-1] if self._rows else {}


@dataclass
class Session:
    """What one browser session runs: the main run and, in Compare, a second one.

    The comparison run has the same seed, residents and overrides, and only another
    scenario, so the difference plotted is the scenario's effect (paired, same town).
    """

    run: Run
    other: Run | None = None

    @classmethod
    def start(cls, setting: Setting, compare_with: str | None = None) -> Session:
        """Build the run(s) for a setting; ``compare_with`` names the second scenario."""
        session = cls(run=Run(setting))
        session.compare(compare_with)
        return session

    def compare(self, scenario: str | None) -> None:
        """Run ``scenario`` beside the main run (``None`` stops comparing).

        The second run is brought up to the main run's day, so the two stay in step.
        """
        if not scenario or scenario == self.run.setting.scenario:
            self.other = None
            return
        s = self.run.setting
        other = Run(Setting(scenario=scenario, seed=s.seed, residents=self.run.residents,
                            overrides=s.overrides))
        with self.run.lock:  # the main run must not move on while the other catches up
            other.step(self.run.day)
            self.other = other

    def step(self, days: int = 1) -> None:
        """Advance both runs in step, so they always show the same day."""
        with self.run.lock:
            self.run.step(days)
            if self.other is not None:
                self.other.step(days)

    @property
    def day(self) -> int:
        """Days run so far."""
        return self.run.day
