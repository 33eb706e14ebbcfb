"""Process 6 (care allocation), with process 7's rule that a budget cannot buy company.

The day calls :func:`care`. Each resident's need has two parts: everyday help (their
lasting need, from frailty) and, in the 30 days after a discharge, skilled nursing
(:func:`~simulation.rules.health.need_parts`). Care is a cascade in which each source
responds to what the others leave:

1. a peer volunteer's visit gives company and everyday help;
2. a running paid-care package gives everyday help (:mod:`~simulation.rules.formal_care`);
3. family, then kin, then neighbours give everyday help as they are able and willing
   (:mod:`~simulation.rules.unpaid_care`). They step back for paid care by
   ``formal_crowd_out`` hours for each paid hour: with less than full crowd-out they
   keep giving some hours beside the paid carer, which load them but meet no need;
   when paid care is cut, they step up, as far as their capacity goes. A neighbour's
   weekly drop-in is company as well as help, welcome beyond the need left;
4. professionals visit by priority as their hours allow: skilled nursing under way,
   follow-ups, assessments, then help with the need left. Skilled need only they can
   meet; a carer's presence gets a recovering patient seen (carers ask for help), so
   unpaid care complements skilled nursing;
5. what is left is unmet.

Hours are conserved: need = hours given by every source - hours beyond need + unmet. Then who
gave and who received is recorded: hours by source, the equity tallies, each
resident's hours given today and the weekly moving means the other phases read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from simulation.network import SOCIAL_KINDS
from simulation.rules.formal_care import paid_hours, professional_visits, run_packages
from simulation.rules.health import need_parts, set_needs
from simulation.rules.unpaid_care import mutual_aid, spread_norm, unpaid_care
from simulation.state import DAYS_PER_WEEK, above_floor
from simulation.sums import numpy_sum

if TYPE_CHECKING:
    from simulation.town import Town

EMA_WEIGHT = 1.0 / DAYS_PER_WEEK  # weekly moving means
CARER_MIN_HOURS_WEEK = 1.0  # unpaid hours a week that make someone a carer (or cared for)
# Sources of care in the order need is met (the keys of ``CareCounts.hours``), then unmet.
HOUR_SOURCES = ("peer", "paid", *SOCIAL_KINDS, "professional", "unmet")
UNPAID_SOURCES = (*SOCIAL_KINDS, "peer")  # summed in this order into unpaid hours
_NEIGHBOUR = SOCIAL_KINDS.index("neighbour")


class CareCounts(NamedTuple):
    """What phase 5 counts today.

    Attributes:
        hours: Hours given by each source (:data:`HOUR_SOURCES`), unmet included.
        beyond_need_hours: Unpaid hours given beyond the need left: beside paid care,
            or as neighbours' company.
        need_hours: Care needed by residents at home.
        skilled_need_hours: Of it, skilled nursing.
        skilled_unmet_hours: Skilled need no professional met.
        professional_capacity: Professional hours available in filled posts.
        professional_time: Professional hours used: decisions booked and visits.
        unpaid_hours: Unpaid hours: family, kin, neighbours and peer visits.
        unpaid_hours_women: Of them, those given by women.
        unpaid_hours_minority: Of them, those given by ethnic-minority residents.
        wellbeing: Mean over residents in need of (need met) x (not lonely).
        follow_ups: First professional visits after a discharge.
        follow_ups_late: Of them, later than the day the community heard.
        follow_ups_missed: Referrals whose window ran out today with no visit.
        follow_up_queue: Referrals still waiting for a first visit.
        assessments: Care decisions a professional assessed.
        packages_running: Paid-care packages running.
        packages_waiting: Paid-care packages waiting for a place.
        older_in_need: Residents 65+ in need today.
        older_unmet: Of them, those with some need unmet.
        older_helped: Residents 65+ who received care today.
        older_informal_only: Of them, those whose care was all unpaid.
    """

    hours: dict[str, float]
    beyond_need_hours: float
    need_hours: float
    skilled_need_hours: float
    skilled_unmet_hours: float
    professional_capacity: float
    professional_time: float
    unpaid_hours: float
    unpaid_hours_women: float
    unpaid_hours_minority: float
    wellbeing: float
    follow_ups: int
    follow_ups_late: int
    follow_ups_missed: int
    follow_up_queue: int
    assessments: int
    packages_running: int
    packages_waiting: int
    older_in_need: int
    older_unmet: int
    older_helped: int
    older_informal_only: int


def care(town: Town) -> CareCounts:
    """Phase 5 (processes 6 and 7): meet today's need through the cascade (module doc).

    Also keeps the moving means of hours given and contact received, the mutual-aid
    balance and (weekly) the spreading reciprocity norm, and, per post, the caseload's
    overload, unmet share and size for morale. Care is worked out only for residents in
    need and the carers tied to them; the moving means and the day's totals pass over
    the whole town.
    """
    s, pop, p = town.state, town.pop, town.params
    recent = town.recent_discharge()
    s.in_need = needy = set_needs(town, recent)
    lasting, skilled = need_parts(town, needy)
    everyday_left = lasting.copy()
    skilled_left = skilled.copy()
    received_unpaid = np.zeros(len(needy), dtype=np.float32)
    packages_running, packages_waiting = run_packages(town)

    # 1. Peer visits: company and everyday help on the day of the visit.
    visit = np.full(len(s.visit_patients), p.visit_hours, np.float32)
    peer, visited = _peer_care(needy, s.visit_patients, visit, everyday_left, received_unpaid)
    peer_givers = s.visit_volunteers[visited]
    # 2. Paid care from running packages.
    paid = _paid_care(needy, s.package_hours, everyday_left)
    # 3. Unpaid care, asked for the need left plus what carers do not hand to paid care
    # (neighbours' company comes on top, in the neighbours' round).
    asked_of_unpaid = everyday_left + np.float32(1.0 - p.formal_crowd_out) * paid
    carers, given, received = unpaid_care(town, needy, asked_of_unpaid)
    beyond_need = _meet_from_unpaid(received, everyday_left)
    # 4. Professionals' visits.
    has_carer = s.contact_ema[needy] * np.float32(DAYS_PER_WEEK) >= CARER_MIN_HOURS_WEEK
    visits = professional_visits(town, needy, everyday_left, skilled_left, has_carer)
    s.caseload, s.caseload_post = needy[visits.visited], visits.visited_by
    s.overload, s.unmet_share, s.cases = visits.overload, visits.unmet_share, visits.cases

    remaining = everyday_left + skilled_left
    hours = _hours_by_source(peer, paid, received, visits.professional, remaining,
                             received_unpaid)
    by_source = dict(zip(HOUR_SOURCES, hours, strict=True))
    unpaid = sum(by_source[source] for source in UNPAID_SOURCES)
    need = numpy_sum(s.need)
    unpaid_given = _unpaid_given(given)
    # A part summed in another order than its whole (a group's hours giver by giver, the
    # whole recipient by recipient; unmet and skilled need over those in need, all need
    # town-wide) can pass it in the last place where it is all of it: each part is
    # capped at its whole, so no share is above 1.
    women = min(_given_by(pop.female, unpaid_given, carers, peer, peer_givers), unpaid)
    minorities = min(_given_by(pop.minority, unpaid_given, carers, peer, peer_givers), unpaid)
    by_source["unmet"] = min(by_source["unmet"], need)
    skilled_need = min(numpy_sum(skilled), need)
    skilled_unmet = min(numpy_sum(skilled_left), skilled_need)
    wellbeing = _remember(needy, remaining, received_unpaid, carers, given, unpaid_given,
                          s.need, s.loneliness, s.given_today, s.givers_today, s.given_ema,
                          s.family_ema, s.neighbour_ema, s.contact_ema, s.unmet_ema)
    s.givers_today = carers
    s.carers = _carers(s.given_ema, pop.adult)
    older = _older_tallies(needy, pop.older, remaining, received_unpaid, paid,
                           visits.professional)

    # Mutual aid: the give/receive balance, the norm of those helped rises, and who
    # helped a non-relative today.
    mutual_aid(s.balance, s.norm, carers, given[_NEIGHBOUR], needy, received[_NEIGHBOUR],
               np.float32(p.norm_gain_when_helped))
    _helped_today(s.neighbour_help_day, carers, given[_NEIGHBOUR], peer_givers, town.day)
    spread_norm(town.network.neighbour, s.norm, town.day, p)
    return CareCounts(
        by_source, numpy_sum(beyond_need), need, skilled_need, skilled_unmet,
        numpy_sum(s.hours_available), numpy_sum(s.hours_used), unpaid, women, minorities,
        wellbeing, visits.follow_ups,
        visits.follow_ups_late, visits.follow_ups_missed, visits.follow_up_queue,
        visits.assessments, packages_running, packages_waiting, *older)


@njit(cache=True)
def _peer_care(needy: np.ndarray, patients: np.ndarray, visit: np.ndarray,
               everyday_left: np.ndarray,
               received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peer visits meet everyday need first, in place; the hours and which visits counted.

    Only visited patients in need today (``needy``, sorted) count: each takes its visit's
    hours up to its everyday need.
    """
    peer = np.empty(len(patients), dtype=np.float32)
    counted = np.zeros(len(patients), dtype=np.bool_)
    count = 0
    for v in range(len(patients)):
        k = np.searchsorted(needy, patients[v])
        if k < len(needy) and needy[k] == patients[v]:
            counted[v] = True
            peer[count] = min(everyday_left[k], visit[v])
            everyday_left[k] -= peer[count]
            received[k] += peer[count]
            count += 1
    return peer[:count], counted


@njit(cache=True)
def _paid_care(needy: np.ndarray, package_hours: np.ndarray,
               everyday_left: np.ndarray) -> np.ndarray:
    """Paid care of each resident in need from their package; ``everyday_left`` falls."""
    paid = np.empty(len(needy), dtype=np.float32)
    for k in range(len(needy)):
        paid[k] = paid_hours(everyday_left[k], package_hours[needy[k]])
        everyday_left[k] -= paid[k]
    return paid


@njit(cache=True)
def _meet_from_unpaid(received: np.ndarray, everyday_left: np.ndarray) -> np.ndarray:
    """Unpaid hours received meet the everyday need left; the rest is beyond need.

    ``received`` holds each resident's hours from family, kin and neighbours (rows);
    of their total, up to ``everyday_left`` meets need (which falls in place), and the
    rest was given beside paid care or as neighbours' company. Returns the hours beyond
    need of each resident.
    """
    beyond = np.empty(len(everyday_left), dtype=np.float32)
    for k in range(len(everyday_left)):
        got = received[0, k] + received[1, k] + received[2, k]
        met = min(got, everyday_left[k])
        everyday_left[k] -= met
        beyond[k] = got - met
    return beyond


@njit(cache=True)
def _hours_by_source(peer, paid, received, professional, remaining, received_unpaid):
    """Today's hours by source (:data:`HOUR_SOURCES`), with numpy's sums.

    Adds the unpaid hours by kind into ``received_unpaid`` (each recipient's contact).
    """
    by_kind = (numpy_sum(received[0]), numpy_sum(received[1]), numpy_sum(received[2]))
    for code in range(3):
        for k in range(len(received_unpaid)):
            received_unpaid[k] += received[code, k]
    return (numpy_sum(peer), numpy_sum(paid), *by_kind, numpy_sum(professional),
            numpy_sum(remaining))


@njit(cache=True)
def _unpaid_given(given: np.ndarray) -> np.ndarray:
    """Each carer's unpaid hours today, the kinds' rows added in order as numpy does."""
    total = np.empty(given.shape[1], dtype=np.float32)
    for c in range(len(total)):
        total[c] = np.float32(0.0) + given[0, c] + given[1, c] + given[2, c]
    return total


@njit(cache=True)
def _given_by(flags, unpaid_given, carers, peer, peer_givers) -> float:
    """Unpaid hours given today by the residents ``flags`` marks (women, minorities).

    Care along ties and peer visit hours, each summed as numpy sums, in float32.
    """
    return (numpy_sum(unpaid_given, _positions(flags, carers))
            + numpy_sum(peer, _positions(flags, peer_givers)))


@njit(cache=True)
def _older_tallies(needy, older, remaining, unpaid, paid, professional):
    """Residents 65+: in need, with some need unmet, helped, and helped only unpaid."""
    in_need = unmet = helped = informal_only = 0
    for k in range(len(needy)):
        if not older[needy[k]]:
            continue
        in_need += 1
        unmet += remaining[k] > 1e-6
        formal = paid[k] > 0 or professional[k] > 0
        if formal or unpaid[k] > 0:
            helped += 1
            informal_only += not formal
    return in_need, unmet, helped, informal_only


@njit(cache=True)
def _helped_today(help_day, carers, neighbour_given, volunteers, day) -> None:
    """Mark today as the last day each neighbour carer and visiting volunteer helped."""
    for c in range(len(carers)):
        if neighbour_given[c] > 0:
            help_day[carers[c]] = day
    for v in volunteers:
        help_day[v] = day


@njit(cache=True)
def _remember(needy, remaining, received_unpaid, carers, given, unpaid_given, need,
              loneliness, given_today, givers_before, given_ema, family_ema, neighbour_ema,
              contact_ema, unmet_ema) -> float:
    """Keep today's hours given and the weekly moving means; return client wellbeing.

    ``given_today`` is cleared for yesterday's givers and set for today's carers; the
    means of hours given (in all, to family, to neighbours) move for carers, and those
    of contact received and of need unmet for residents in need; elsewhere they decay.
    Wellbeing is the mean over residents in need of (need met) x (not lonely), 1 when
    no one is in need.
    """
    f32 = np.float32
    for i in givers_before:  # only yesterday's carers need clearing
        given_today[i] = 0.0
    for c in range(len(carers)):
        given_today[carers[c]] = unpaid_given[c]
    unmet_share = np.empty(len(needy), dtype=np.float32)
    for k in range(len(needy)):
        unmet_share[k] = min(remaining[k] / need[needy[k]], f32(1.0))
    _moving_means((given_ema, family_ema, neighbour_ema), carers,
                  (unpaid_given, given[0], given[2]))
    _moving_means((contact_ema, unmet_ema), needy, (received_unpaid, unmet_share))
    wellbeing = 1.0
    if len(needy):
        met = np.empty(len(needy), dtype=np.float32)
        for k in range(len(needy)):
            met[k] = (f32(1.0) - unmet_share[k]) * (f32(1.0) - loneliness[needy[k]])
        wellbeing = numpy_sum(met) / f32(len(needy))  # np.mean of float32, in float32
    return wellbeing


@njit(cache=True)
def _moving_means(emas: tuple[np.ndarray, ...], where: np.ndarray,
                  todays: tuple[np.ndarray, ...]) -> None:
    """Update weekly moving means in place; each of ``todays`` is zero outside ``where``.

    Outside ``where`` a mean decays; inside it is ``ema + w * (today - ema)``; below
    :data:`~simulation.state.DECAY_FLOOR` it is 0. Float32, the state's precision.
    """
    weight = np.float32(EMA_WEIGHT)
    decay = np.float32(1.0) - weight
    for m in range(len(emas)):
        ema, today = emas[m], todays[m]
        before = ema[where]
        for i in range(len(ema)):
            ema[i] = above_floor(ema[i] * decay)
        for k in range(len(where)):
            ema[where[k]] = above_floor(before[k] + weight * (today[k] - before[k]))


@njit(cache=True)
def _carers(given_ema: np.ndarray, adult: np.ndarray) -> np.ndarray:
    """Adults whose moving mean of unpaid care is an hour a week or more, in index order."""
    carers = np.empty(len(given_ema) + 1, dtype=np.int64)
    count = 0
    for i in range(len(given_ema)):  # without a branch: this loop runs town-wide
        carers[count] = i
        count += adult[i] & (given_ema[i] * np.float32(DAYS_PER_WEEK) >= CARER_MIN_HOURS_WEEK)
    return carers[:count].copy()


@njit(cache=True)
def _positions(flags: np.ndarray, who: np.ndarray) -> np.ndarray:
    """Positions ``k`` in ``who`` with ``flags[who[k]]`` set, in order (branch-free)."""
    at = np.empty(len(who) + 1, dtype=np.int64)
    count = 0
    for k in range(len(who)):
        at[count] = k
        count += flags[who[k]]
    return at[:count]
