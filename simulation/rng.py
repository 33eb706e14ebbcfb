"""The only place random streams are made.

Each consumer (population, network, each daily process) draws from its own named stream,
derived from the run's seed by name. Two things follow:

* the same seed gives the same output, bit for bit;
* the population and the graph come from streams no policy lever touches, so changing a
  lever never changes who lives in the town or who knows whom (common random numbers
  for paired comparisons), and a process's draws are disturbed only by its own rules.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAM_NAMES = (
    "population",
    "network",
    "health",
    "hospital",
    "discharge",
    "peer",
    "decisions",
    "morale",
    "mesa",
)


def resolve_seed(seed: int | None) -> int:
    """Return ``seed``, or a fresh one when it is ``None``.

    This is the one place fresh entropy enters: Mesa's ``batch_run`` without ``rng`` (or
    with ``iterations``) asks for ``seed=None``. The drawn seed is returned so the caller
    can keep it and the run can be reproduced.

    Args:
        seed: A non-negative integer seed, or ``None`` for a fresh one.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    return int(seed)


class Streams:
    """Named, independent ``numpy.random.Generator`` streams from one seed.

    Args:
        seed: The run's seed (any non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        """Return the stream called ``name``, creating it on first use."""
        if name not in STREAM_NAMES:
            raise KeyError(f"unknown random stream {name!r}; declare it in STREAM_NAMES")
        stream = self._streams.get(name)
        if stream is None:
            # The name's checksum keys the stream, so adding a stream never shifts others.
            sequence = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))
            stream = self._streams[name] = np.random.default_rng(sequence)
        return stream
