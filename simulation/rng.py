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
from numba import njit, types
from numba.extending import overload
from numba.typed import List

from simulation.inputs import MAX_SEED, whole_value

STREAM_NAMES = (
    "population",
    "network",
    "health",
    "hospital",
    "discharge",
    "peer",
    "decisions",
    "risk",
    "morale",
    "mesa",
    "calibration",
)


def resolve_seed(seed: int | None) -> int:
    """Return ``seed``, or a fresh one when it is ``None``.

    This is the one place fresh entropy enters: Mesa's ``batch_run`` without ``rng`` (or
    with ``iterations``) asks for ``seed=None``. The drawn seed is returned so the caller
    can keep it and the run can be reproduced.

    Args:
        seed: A seed from 0 to ``MAX_SEED``, or ``None`` for a fresh one (in that range
            too, so the command line can repeat the run).

    Raises:
        InputError: If ``seed`` is not a whole number in that range.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy) & MAX_SEED  # 128 bits drawn
    return whole_value("seed", seed, 0, MAX_SEED)


def seed_from_rng(rng: int | np.integer | np.random.SeedSequence | np.random.Generator) -> int:
    """The run's seed from Mesa's ``rng`` argument (``Model(rng=...)``, ``batch_run``).

    Mesa 3.4 and later seed models with ``rng``. A whole number is the seed itself (so
    ``rng=7`` and ``seed=7`` make the same run); a ``SeedSequence`` gives the first 63 bits
    of its state, and a ``Generator`` a seed drawn from it, so either in a given state
    always gives the same run.

    Raises:
        ValueError: For a number outside 0 to ``MAX_SEED`` (as ``--seed`` and
            :func:`resolve_seed` refuse it) or a type Mesa's ``rng`` does not take.
    """
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return whole_value("rng", rng, 0, MAX_SEED)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1))
    raise ValueError(f"rng={rng!r}: not a seed (allowed: a whole number from 0 to "
                     f"{MAX_SEED}, a numpy SeedSequence or Generator, or None)")


class Streams:
    """Named, independent ``numpy.random.Generator`` streams from one seed.

    Args:
        seed: The run's seed (any non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._held: dict[str, List] = {}

    def __getstate__(self) -> dict:
        """Copies and pickles keep the generators; held handles are remade on use."""
        return {**self.__dict__, "_held": {}}

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

    def held(self, name: str) -> List:
        """The stream called ``name`` held for compiled kernels (see :func:`hold`)."""
        handle = self._held.get(name)
        if handle is None:
            handle = self._held[name] = hold(self[name])
        return handle


@njit(cache=True)
def hold(rng: np.random.Generator) -> List:
    """A one-item typed list holding ``rng``, for compiled kernels to draw from.

    Handing numba a ``Generator`` costs 20-50 microseconds a call (it looks up and casts
    the bit generator's function pointers every time), which adds up over a few calls a
    day; a held one costs a few. The list shares the generator's state, so draws through
    either continue the one stream. Kernels take either form through :func:`generator`.
    """
    held = List()
    held.append(rng)
    return held


def generator(stream: np.random.Generator | List) -> np.random.Generator:
    """Inside a compiled kernel: the generator of a stream passed plain or held."""
    return stream if isinstance(stream, np.random.Generator) else stream[0]


@overload(generator)
def _generator(stream):
    if isinstance(stream, types.NumPyRandomGeneratorType):
        return lambda stream: stream
    return lambda stream: stream[0]
