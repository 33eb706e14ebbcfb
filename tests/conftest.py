"""Shared fixtures: small towns that run in well under a second."""

from __future__ import annotations

import pytest

from simulation.day import start
from simulation.params import Params
from simulation.town import Town

SMALL = 2_000


@pytest.fixture
def small_params() -> Params:
    """A small town with a short warm-up."""
    return Params.from_overrides({"residents": SMALL, "warmup_days": 30})


@pytest.fixture
def town(small_params: Params) -> Town:
    """A small town after its warm-up, with the peer scheme on so every phase runs."""
    return start(Params.from_overrides({"peer_scheme": True}, base=small_params), seed=3)
