"""Build the town: households, residents, homes and professional patches.

Everything here is drawn from the ``population`` stream and depends on the parameters of
the *population* group and the population's :class:`~simulation.params.Structure` (an
area's age bands and household sizes) only, so policy levers never change who lives in
the town. Where a lever acts on a person-level trait (holding a personal budget, being
among the first volunteers, the strength of the reciprocity norm) the person's uniform
draw is stored here and the lever is applied to it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simulation.params import Params

AGE_BANDS = ("0-17", "18-49", "50-64", "65-79", "80+")
ADULT_FROM_BAND = 1
OLDER_FROM_BAND = 3

# Age-typical frailty (0-1 index) per band: the level frailty returns to. The levels
# below are assumptions (docs/ODD.md, 3.1): no published figure gives them.
FRAILTY_BY_BAND = np.array([0.03, 0.07, 0.15, 0.27, 0.45])
# Spread of individual frailty around the band level (Beta concentration).
FRAILTY_CONCENTRATION = 6.0
# Baseline isolation (0-1) by age band; living alone adds ALONE_ISOLATION.
ISOLATION_BY_BAND = np.array([0.10, 0.15, 0.20, 0.30, 0.40])
ALONE_ISOLATION = 0.30
HOUSEHOLD_SIZES = np.arange(1, 7)  # 6 stands for 6 or more


@dataclass
class Population:
    """Person-level traits fixed for the run, indexed by resident.

    Attributes:
        age_band: Index into :data:`AGE_BANDS`.
        female: Whether the resident is a woman.
        minority: Whether the resident's household is of an ethnic-minority group.
        household: Household index; members of a household are contiguous.
        household_size: Size of the resident's household.
        x: Home easting in the unit square (households share a home).
        y: Home northing in the unit square.
        spatial_rank: Position in a space-filling order of homes (near rank, near home).
        patch: The professional post whose locality the resident lives in.
        frailty_level: Individual age-typical frailty (0-1) that frailty returns to.
        isolation: Baseline isolation (0-1): loneliness with no unpaid contact.
        willingness: Propensity to give unpaid care (0-1), before lever multipliers.
        norm_draw: Uniform draw that scales the starting reciprocity norm.
        budget_draw: Uniform draw compared with ``budget_share``.
        volunteer_draw: Uniform draw compared with the initial volunteer rate.
        patch_x: Easting of each patch's centre (one per professional post).
        patch_y: Northing of each patch's centre.
    """

    age_band: np.ndarray
    female: np.ndarray
    minority: np.ndarray
    household: np.ndarray
    household_size: np.ndarray
    x: np.ndarray
    y: np.ndarray
    spatial_rank: np.ndarray
    patch: np.ndarray
    frailty_level: np.ndarray
    isolation: np.ndarray
    willingness: np.ndarray
    norm_draw: np.ndarray
    budget_draw: np.ndarray
    volunteer_draw: np.ndarray
    patch_x: np.ndarray
    patch_y: np.ndarray

    @property
    def size(self) -> int:
        """Number of residents."""
        return len(self.age_band)

    # Worked out once: the daily phases read them several times a day.
    @cached_property
    def adult(self) -> np.ndarray:
        """Residents aged 18 or over."""
        return self.age_band >= ADULT_FROM_BAND

    @cached_property
    def older(self) -> np.ndarray:
        """Residents aged 65 or over."""
        return self.age_band >= OLDER_FROM_BAND

    @cached_property
    def household_start(self) -> np.ndarray:
        """Index of the first member of each resident's household (members are contiguous)."""
        starts = np.r_[0, np.flatnonzero(np.diff(self.household)) + 1]
        return starts[self.household].astype(np.int64)

    @cached_property
    def adults(self) -> int:
        """Number of residents aged 18 or over."""
        return int(self.adult.sum())

    @cached_property
    def women(self) -> int:
        """Number of women and girls."""
        return int(self.female.sum())

    @cached_property
    def adult_women(self) -> int:
        """Number of women aged 18 or over."""
        return int((self.adult & self.female).sum())

    @cached_property
    def adult_minority(self) -> int:
        """Number of ethnic-minority residents aged 18 or over."""
        return int((self.adult & self.minority).sum())

    @cached_property
    def older_people(self) -> int:
        """Number of residents aged 65 or over."""
        return int(self.older.sum())


def professional_posts(params: Params) -> int:
    """Number of professional posts (and patches) for the town's size."""
    return max(1, round(params.residents * params.professionals_per_1000 / 1000))


def build_population(params: Params, rng: np.random.Generator) -> Population:
    """Draw households, residents, homes and patches.

    Args:
        params: Parameters; only ``residents``, ``female_share``, ``minority_share``,
            ``professionals_per_1000`` and the ``structure`` (age bands, household sizes,
            ages of people living alone) are read.
        rng: The ``population`` stream.

    Returns:
        The population, residents of one household at consecutive indices.
    """
    n = params.residents
    shape = params.structure
    age_shares = np.array(shape.age_shares)
    alone_age_shares = np.array(shape.alone_age_shares)
    sizes = _household_sizes(n, np.array(shape.household_size_shares), rng)
    households = len(sizes)
    household = np.repeat(np.arange(households, dtype=np.int32), sizes)
    first_member = np.r_[0, np.cumsum(sizes)[:-1]]

    age_band = rng.choice(len(age_shares), size=n, p=age_shares).astype(np.int8)
    # Every household has an adult at its first index.
    adult_shares = age_shares[ADULT_FROM_BAND:] / age_shares[ADULT_FROM_BAND:].sum()
    age_band[first_member] = ADULT_FROM_BAND + rng.choice(
        len(adult_shares), size=households, p=adult_shares)
    alone = first_member[sizes == 1]
    age_band[alone] = rng.choice(len(alone_age_shares), size=len(alone), p=alone_age_shares)
    female = rng.random(n) < params.female_share
    minority = (rng.random(households) < params.minority_share)[household]

    home_x, home_y = rng.random(households), rng.random(households)
    x, y = home_x[household].astype(np.float32), home_y[household].astype(np.float32)
    spatial_rank = _space_filling_rank(home_x, home_y, households)[household]
    # Contiguous runs of the space-filling order form the professional patches.
    posts = professional_posts(params)
    order = np.argsort(spatial_rank, kind="stable")
    patch = np.empty(n, dtype=np.int32)
    patch[order] = (np.arange(n, dtype=np.int64) * posts // n).astype(np.int32)
    counts = np.bincount(patch, minlength=posts)
    patch_x = np.bincount(patch, weights=x, minlength=posts) / np.maximum(counts, 1)
    patch_y = np.bincount(patch, weights=y, minlength=posts) / np.maximum(counts, 1)

    mean = FRAILTY_BY_BAND[age_band]
    frailty_level = rng.beta(mean * FRAILTY_CONCENTRATION, (1 - mean) * FRAILTY_CONCENTRATION)
    household_size = sizes[household]
    isolation = ISOLATION_BY_BAND[age_band] + ALONE_ISOLATION * (household_size == 1)
    isolation = np.clip(isolation * rng.uniform(0.5, 1.5, n), 0.0, 1.0)

    return Population(
        age_band=age_band,
        female=female,
        minority=minority,
        household=household,
        household_size=household_size.astype(np.int8),
        x=x,
        y=y,
        spatial_rank=spatial_rank,
        patch=patch,
        frailty_level=frailty_level.astype(np.float32),
        isolation=isolation.astype(np.float32),
        willingness=rng.beta(2.0, 1.0, n).astype(np.float32),
        norm_draw=rng.random(n).astype(np.float32),
        budget_draw=rng.random(n).astype(np.float32),
        volunteer_draw=rng.random(n).astype(np.float32),
        patch_x=patch_x.astype(np.float32),
        patch_y=patch_y.astype(np.float32),
    )


def _household_sizes(n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw household sizes summing to exactly ``n`` (the last household is trimmed)."""
    mean_size = float(np.dot(HOUSEHOLD_SIZES, shares))
    draws = rng.choice(HOUSEHOLD_SIZES, size=int(n / mean_size * 1.2) + 10, p=shares)
    while draws.sum() < n:  # vanishingly rare; keeps the function total
        draws = np.r_[draws, rng.choice(HOUSEHOLD_SIZES, size=len(draws), p=shares)]
    ends = np.cumsum(draws)
    count = int(np.searchsorted(ends, n)) + 1
    sizes = draws[:count].copy()
    sizes[-1] -= ends[count - 1] - n
    return sizes.astype(np.int32)


def _space_filling_rank(x: np.ndarray, y: np.ndarray, points: int) -> np.ndarray:
    """Rank points along a serpentine sweep of grid rows, so near ranks are near homes."""
    rows = max(1, int(np.sqrt(points / 8)))  # about eight homes per cell
    row = np.minimum((y * rows).astype(np.int64), rows - 1)
    # Alternate the sweep direction each row so the path never jumps across town.
    along = np.where(row % 2 == 0, x, 1.0 - x)
    order = np.lexsort((along, row))
    rank = np.empty(points, dtype=np.int64)
    rank[order] = np.arange(points)
    return rank
