"""Counts in words as people write them: "1 day", "2 days"."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one: "1 day", "1,000 days"."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
