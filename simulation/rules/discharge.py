"""Process 3 (discharge): basics gaps, notification of the community, referrals.

The day calls :func:`discharge`. The hospital phase draws, for each patient going home,
which basics are missing (:func:`draw_gaps`) and when the community will hear
(:func:`notification_days`). This phase is the community hearing: each patient heard
of is referred for a professional follow-up (the first professional visit, made by the
care phase as capacity allows) and, with the peer scheme on, referred to the scheme,
which raises a decision on the referral.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numba.typed import List

from simulation.params import Params, terms_of_params
from simulation.rng import generator
from simulation.rules.decisions import raise_decisions
from simulation.state import ALL_GAPS, NEVER, PEER_REFERRED, VISIT_DECISION

if TYPE_CHECKING:
    from simulation.town import Town


class DischargeCounts(NamedTuple):
    """What phase 3 counts today.

    Attributes:
        heard: Discharges the community heard of.
        referred_for_follow_up: Of them, those referred for a professional follow-up.
    """

    heard: int
    referred_for_follow_up: int


def discharge(town: Town) -> DischargeCounts:
    """Phase 3: the community hears of today's notified discharges.

    Each patient heard of is referred for a professional follow-up with chance
    ``follow_up_share``. With the peer scheme on, each is also referred to the scheme
    (a decision on the referral is raised), and the professional leaves a share
    ``peer_substitution`` of follow-ups to the scheme. Those chances are drawn only when
    they are strictly between 0 and 1, so arms that differ only in the scheme stay
    paired.
    """
    s = town.state
    return DischargeCounts(*_hear(s.notify_day, s.in_hospital, s.notified, s.referred_day,
                                  s.peer_stage, s.decision_day[VISIT_DECISION], town.day,
                                  referral_terms(town.params),
                                  town.streams.held("discharge")))


class ReferralTerms(NamedTuple):
    """The parameters of hearing of discharges."""

    peer_scheme: bool
    follow_up_share: float  # share referred for a professional follow-up
    substitution: float  # share of follow-ups left to the peer scheme


@terms_of_params
def referral_terms(p: Params) -> ReferralTerms:
    """:class:`ReferralTerms` of the parameters."""
    substitution = float(p.peer_substitution) if p.peer_scheme else 0.0
    return ReferralTerms(bool(p.peer_scheme), float(p.follow_up_share), substitution)


@njit(inline="always")
def _chosen(rng: np.random.Generator, count: int, chance: float) -> np.ndarray:
    """Which of ``count`` items happen with ``chance``, drawing only when it is uncertain."""
    if chance >= 1.0:
        return np.ones(count, dtype=np.bool_)
    if chance <= 0.0:
        return np.zeros(count, dtype=np.bool_)
    return rng.random(count) < chance


@njit(cache=True)
def _hear(notify_day, in_hospital, notified, referred_day, peer_stage, visit_decision_day, day,
          t, stream):
    rng = generator(stream)
    heard = np.empty(len(notify_day), dtype=np.int64)
    count = 0
    for i in range(len(notify_day)):
        if notify_day[i] == day and not in_hospital[i]:
            heard[count] = i
            count += 1
    heard = heard[:count]
    notified[heard] = True
    follow_up = _chosen(rng, len(heard), t.follow_up_share) \
        & ~_chosen(rng, len(heard), t.substitution)
    referred_day[heard[follow_up]] = day
    if t.peer_scheme:
        peer_stage[heard] = PEER_REFERRED
        raise_decisions(heard, visit_decision_day, day)
    return len(heard), int(follow_up.sum())


# -- going home (drawn by the hospital phase) -----------------------------------------


class GoingHomeTerms(NamedTuple):
    """The parameters of what a discharged patient goes home to."""

    gap_prob: float  # chance each basic is missing
    lead_share: float  # chance of a named lead professional
    notify_prob: float  # chance the community hears at all (without a lead)
    notify_delay: float  # mean days before it hears
    lead_factor: float  # delay multiplier when a lead owns the case


@terms_of_params
def going_home_terms(p: Params) -> GoingHomeTerms:
    """:class:`GoingHomeTerms` of the parameters."""
    return GoingHomeTerms(float(p.gap_prob), float(p.lead_professional_share),
                          float(p.notify_prob), float(p.notify_delay_days),
                          float(p.lead_delay_factor))


@njit(cache=True)
def draw_gaps(count: int, gap_prob: float, rng: np.random.Generator) -> np.ndarray:
    """Which of the four basics each of ``count`` discharged patients lacks (bitmasks).

    Each basic is missing with chance ``gap_prob``.
    """
    missing = rng.random((count, len(ALL_GAPS))) < gap_prob
    gaps = np.zeros(count, dtype=np.uint8)
    for k in range(count):
        for column, bit in enumerate(ALL_GAPS):
            if missing[k, column]:
                gaps[k] |= bit
    return gaps


@njit(cache=True)
def notification_days(today: int, lead: np.ndarray, t: GoingHomeTerms,
                      rng: np.random.Generator) -> np.ndarray:
    """Day the community hears of each discharge, or ``NEVER``.

    The community hears with chance ``notify_prob`` after an exponential delay of mean
    ``notify_delay``. A named lead professional (clinical ownership, ``lead``) always
    passes the word on, and sooner: the mean delay is multiplied by ``lead_factor``.
    """
    told = rng.random(len(lead)) < t.notify_prob
    delay = rng.exponential(1.0, len(lead))
    days = np.full(len(lead), NEVER, dtype=np.int32)
    for k in range(len(lead)):
        if lead[k] or told[k]:
            mean = t.notify_delay * (t.lead_factor if lead[k] else 1.0)
            days[k] = today + np.int32(np.rint(delay[k] * mean))
    return days


@njit(cache=True)
def close_gaps(gaps: np.ndarray, closable: int, chance: float,
               stream: np.random.Generator | List) -> np.ndarray:
    """Close each open gap among the ``closable`` bits with ``chance``; the new masks.

    ``stream`` is plain or held (``Streams.held``).
    """
    draws = generator(stream).random((len(gaps), len(ALL_GAPS))) < chance
    out = gaps.copy()
    for k in range(len(gaps)):
        for column, bit in enumerate(ALL_GAPS):
            if closable & bit and draws[k, column]:
                out[k] &= np.uint8(~bit & 0xFF)
    return out
