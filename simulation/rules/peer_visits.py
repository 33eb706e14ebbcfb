"""Process 4 (co-production): matching peer visits, recruitment by reciprocity, tiring."""

from __future__ import annotations

import numpy as np

from simulation.params import Params


def match_visits(patient_patch: np.ndarray, volunteer_patch: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair waiting patients with free volunteers, one visit per volunteer.

    Volunteers from the patient's own patch are used first (near in the network and
    on the map); patients left over are then paired at random with volunteers left
    over anywhere in town.

    Args:
        patient_patch: Patch of each waiting patient.
        volunteer_patch: Patch of each free volunteer.
        rng: The ``peer`` stream.

    Returns:
        Positions into the patient and volunteer arrays, one entry per visit.
    """
    patients = rng.permutation(len(patient_patch))
    volunteers = rng.permutation(len(volunteer_patch))
    patients = patients[np.argsort(patient_patch[patients], kind="stable")]
    volunteers = volunteers[np.argsort(volunteer_patch[volunteers], kind="stable")]
    p_rank = _rank_within(patient_patch[patients])
    v_rank = _rank_within(volunteer_patch[volunteers])
    # Key each by (patch, rank within patch): equal keys are a local match.
    width = max(len(patients), len(volunteers)) + 1
    p_key = patient_patch[patients].astype(np.int64) * width + p_rank
    v_key = volunteer_patch[volunteers].astype(np.int64) * width + v_rank
    _common, p_at, v_at = np.intersect1d(p_key, v_key, assume_unique=True,
                                        return_indices=True)
    local_p, local_v = patients[p_at], volunteers[v_at]
    rest_p = np.setdiff1d(patients, local_p, assume_unique=True)
    rest_v = np.setdiff1d(volunteers, local_v, assume_unique=True)
    k = min(len(rest_p), len(rest_v))
    far_p, far_v = rng.permutation(rest_p)[:k], rng.permutation(rest_v)[:k]
    return (np.concatenate((local_p, far_p)).astype(np.int64),
            np.concatenate((local_v, far_v)).astype(np.int64))


def _rank_within(sorted_groups: np.ndarray) -> np.ndarray:
    """Rank of each element within its run of equal values (input sorted by group)."""
    if len(sorted_groups) == 0:
        return np.empty(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    run_lengths = np.diff(np.r_[starts, len(sorted_groups)])
    return np.arange(len(sorted_groups)) - np.repeat(starts, run_lengths)


def says_yes(visited: np.ndarray, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Whether each recovered patient, asked to volunteer, says yes.

    Being visited multiplies the chance by ``reciprocity_boost`` (capped at 1).
    """
    chance = np.minimum(1.0, p.volunteer_willingness *
                        np.where(visited, p.reciprocity_boost, 1.0))
    return rng.random(len(visited)) < chance


def refill_tokens(tokens: np.ndarray, p: Params) -> np.ndarray:
    """Add a day's share of weekly visits, keeping at most a week's worth in hand.

    At least one whole visit can be saved up, so rates under one a week still visit;
    a rate of zero allows none.
    """
    most = max(p.visits_per_week, 1.0) if p.visits_per_week > 0 else 0.0
    return np.minimum(tokens + p.visits_per_week / 7.0, most).astype(np.float32)


def tire_probability(p: Params) -> float:
    """Daily chance an active volunteer tires and stops."""
    return float(-np.expm1(-p.volunteer_tiring / 365.0))
