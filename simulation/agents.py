"""Mesa agents as thin handles over the state arrays.

A :class:`Resident` or :class:`Professional` stores only its index; every attribute is
read from the model's arrays when asked, so agents never hold a stale copy and the
daily rules never loop over agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simulation.population import AGE_BANDS
from simulation.state import ACTIVE, DAYS_PER_WEEK, NEVER, VETTING

if TYPE_CHECKING:
    from simulation.model import CareModel


class Resident(mesa.Agent):
    """A resident, in whichever roles they hold today (patient, carer, volunteer...).

    Args:
        model: The model.
        index: The resident's index into the state arrays (also their graph node);
            the agent's ``unique_id`` is ``index + 1``.
    """

    def __init__(self, model: CareModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        # Ids follow the index, not the order agents happen to be made in.
        self.unique_id = index + 1

    @property
    def _town(self):
        return self.model.town

    @property
    def age_band(self) -> str:
        """Age band, e.g. ``"65-79"``."""
        return AGE_BANDS[int(self._town.pop.age_band[self.index])]

    @property
    def female(self) -> bool:
        """Whether the resident is a woman."""
        return bool(self._town.pop.female[self.index])

    @property
    def minority(self) -> bool:
        """Whether the resident's household is of an ethnic-minority group."""
        return bool(self._town.pop.minority[self.index])

    @property
    def household(self) -> int:
        """Household index."""
        return int(self._town.pop.household[self.index])

    @property
    def frailty(self) -> float:
        """Frailty, 0-1."""
        return float(self._town.state.frailty[self.index])

    @property
    def need_hours(self) -> float:
        """Today's care need, hours per day."""
        return float(self._town.state.need[self.index])

    @property
    def in_hospital(self) -> bool:
        """Whether the resident is in hospital."""
        return bool(self._town.state.in_hospital[self.index])

    @property
    def loneliness(self) -> float:
        """Loneliness, 0-1."""
        return float(self._town.state.loneliness[self.index])

    @property
    def strain(self) -> float:
        """Carer strain (burnout at 1)."""
        return float(self._town.state.strain[self.index])

    @property
    def unpaid_hours_week(self) -> float:
        """Unpaid care given, hours per week (moving mean)."""
        return float(self._town.state.given_ema[self.index] * DAYS_PER_WEEK)

    @property
    def volunteer_status(self) -> str:
        """``"active"``, ``"vetting"`` or ``"none"``."""
        status = int(self._town.state.volunteer[self.index])
        return {ACTIVE: "active", VETTING: "vetting"}.get(status, "none")

    @property
    def roles(self) -> list[str]:
        """The roles the resident holds today."""
        return [name for name, members in self.model.role_masks().items()
                if members[self.index]]


class Professional(mesa.Agent):
    """A professional post (community nurse or social worker) and its patch.

    Args:
        model: The model.
        post: The post's index (patch number); its graph node is ``residents + post``.
    """

    def __init__(self, model: CareModel, post: int) -> None:
        super().__init__(model)
        self.post = post
        self.unique_id = model.town.pop.size + post + 1  # after every resident's id

    @property
    def morale(self) -> float:
        """Morale, 0-1."""
        return float(self.model.town.state.morale[self.post])

    @property
    def vacant(self) -> bool:
        """Whether the post is vacant (its holder left and it is not yet filled)."""
        return bool(self.model.town.state.vacant_until[self.post] != NEVER)

    @property
    def capacity_hours(self) -> float:
        """Hours available on the next day (set at the end of each day)."""
        return float(self.model.town.state.hours_available[self.post])

    @property
    def hours_used(self) -> float:
        """Hours used today."""
        return float(self.model.town.state.hours_used[self.post])

    @property
    def caseload(self) -> int:
        """Residents the post visited today (its patch's, and a vacant patch's it covers)."""
        return int((self.model.town.state.caseload_post == self.post).sum())
