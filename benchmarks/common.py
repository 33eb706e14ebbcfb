"""What the measurement scripts share: the arguments of a set of replicate runs."""

from __future__ import annotations

import argparse


def replicate_parser(doc: str, seeds: int, residents: int, days: int) -> argparse.ArgumentParser:
    """An argument parser with ``--seeds``, ``--residents`` and ``--days``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=seeds, help="replicates (seeds 0..N-1)")
    parser.add_argument("--residents", type=int, default=residents)
    parser.add_argument("--days", type=int, default=days, help="days reported per run")
    return parser
