"""Numpy's summation, compiled: sums in kernels that are bit-identical to numpy's.

Floating-point addition is not associative, so a compiled loop that adds values one by
one gives a slightly different total from numpy's ``sum``, and the model's output would
then depend on which engine summed. Numpy sums pairwise: it halves a sum until the
pieces are at most 128 values long, sums each piece with eight running sums and adds
the halves back up, accumulating in the values' own precision (float32 stays float32).
:func:`pairwise_sum` does the same step for step.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

BLOCK = 128  # numpy's largest piece summed without halving (PW_BLOCKSIZE)


@njit(cache=True)
def numpy_sum(values: np.ndarray, at: np.ndarray | None = None) -> float:
    """``values.sum()`` (or ``values[at].sum()``) of a 1-D array, as numpy makes it.

    The sum is in the array's precision: float32 values give a float32 sum.
    """
    zero = np.zeros(1, values.dtype)[0]
    n = len(values) if at is None else len(at)
    return zero + pairwise_sum(values, at, 0, n, zero)  # numpy's sum starts from 0


@njit(cache=True)
def pairwise_sum(values: np.ndarray, at: np.ndarray | None, start: int, n: int,
                 zero: float) -> float:
    """Numpy's pairwise sum of ``values[at[start:start + n]]`` (``at`` None: no indirection).

    The sum accumulates in the precision of ``zero`` (``np.float32(0)`` for a float32
    ``sum``; ``0.0`` for a float64 one, or where numpy casts float32 values up first).
    The halving is walked with an explicit stack: compiled recursive functions cannot be
    cached.
    """
    if n <= BLOCK:
        return _block_sum(values, at, start, n, zero)
    piece_start = np.empty(64, dtype=np.int64)  # 64 halvings would be 2**64 values
    piece_n = np.empty(64, dtype=np.int64)
    stage = np.zeros(64, dtype=np.int64)  # 0: split; 1: left half done; 2: both done
    left = np.full(64, zero)
    piece_start[0], piece_n[0], depth, returned = start, n, 1, zero
    while depth:
        k = depth - 1
        if piece_n[k] <= BLOCK:
            returned = _block_sum(values, at, piece_start[k], piece_n[k], zero)
            depth -= 1
            continue
        half = piece_n[k] // 2
        half -= half % 8
        if stage[k] == 0:
            stage[k] = 1
            piece_start[depth], piece_n[depth], stage[depth] = piece_start[k], half, 0
            depth += 1
        elif stage[k] == 1:
            left[k], stage[k] = returned, 2
            piece_start[depth] = piece_start[k] + half
            piece_n[depth], stage[depth] = piece_n[k] - half, 0
            depth += 1
        else:
            returned = left[k] + returned
            depth -= 1
    return returned


@njit(cache=True)
def _block_sum(values: np.ndarray, at: np.ndarray | None, start: int, n: int,
               zero: float) -> float:
    """Numpy's sum of at most 128 values: eight running sums, or plain under eight."""
    if n < 8:
        return plain_sum(values, at, start, n, zero)
    # Eight scalars, not an array: the compiler keeps them in registers.
    r0, r1 = _like(zero, _value(values, at, start)), _like(zero, _value(values, at, start + 1))
    r2, r3 = _like(zero, _value(values, at, start + 2)), _like(zero, _value(values, at, start + 3))
    r4, r5 = _like(zero, _value(values, at, start + 4)), _like(zero, _value(values, at, start + 5))
    r6, r7 = _like(zero, _value(values, at, start + 6)), _like(zero, _value(values, at, start + 7))
    i = 8
    while i < n - n % 8:
        at_i = start + i
        r0 += _value(values, at, at_i)
        r1 += _value(values, at, at_i + 1)
        r2 += _value(values, at, at_i + 2)
        r3 += _value(values, at, at_i + 3)
        r4 += _value(values, at, at_i + 4)
        r5 += _value(values, at, at_i + 5)
        r6 += _value(values, at, at_i + 6)
        r7 += _value(values, at, at_i + 7)
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for k in range(i, n):
        total += _value(values, at, start + k)
    return total


@njit(inline="always")
def plain_sum(values: np.ndarray, at: np.ndarray | None, start: int, n: int,
              zero: float) -> float:
    """Sum in order, as numpy does under eight values; inlined, so short sums cost no call."""
    total = zero
    for i in range(start, start + n):
        total += _value(values, at, i)
    return total


def _value(values: np.ndarray, at: np.ndarray | None, i: int) -> float:
    """``values[i]``, or ``values[at[i]]`` when there are indices (compiled; see below)."""
    return values[i] if at is None else values[at[i]]


@overload(_value, inline="always")
def _value_compiled(values, at, i):
    if isinstance(at, (types.NoneType, types.Omitted)):
        return lambda values, at, i: values[i]
    return lambda values, at, i: values[at[i]]


def _like(zero: float, value: float) -> float:
    """``value`` in the precision of ``zero`` (compiled; see below)."""
    return type(zero)(value)


@overload(_like, inline="always")
def _like_compiled(zero, value):
    if zero == types.float32:
        return lambda zero, value: np.float32(value)
    return lambda zero, value: np.float64(value)
