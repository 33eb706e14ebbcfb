"""The compiled kernels give exactly what the numpy formulations they replaced give.

Speed work must not change a run's output (same seed, same output), so each kernel is
compared bit for bit with the plain numpy arithmetic of the same rule, on inputs chosen
to reach its edge cases.
"""

import copy
import pickle
from types import SimpleNamespace

import numpy as np
import pytest
from numba import njit

from simulation.metrics import _staff_morale, gini
from simulation.network import Ties
from simulation.params import Params
from simulation.rng import Streams, generator
from simulation.rules import health, hospital, morale
from simulation.rules.care import (
    _carers,
    _given_by,
    _hours_by_source,
    _moving_means,
    _peer_care,
    _remember,
    _unpaid_given,
)
from simulation.state import DECAY_FLOOR, NEVER, RECOVERY_DAYS
from simulation.sums import numpy_sum

# Around numpy's block of 128 values and its halvings, and large enough for many halvings.
SUM_SIZES = (0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 257, 1_000, 8_191, 8_193, 100_003)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_sum_matches_numpy(dtype):
    g = np.random.default_rng(1)
    for n in SUM_SIZES:
        # Values over many orders of magnitude, where the order of a sum matters.
        values = (g.random(n) * 10.0 ** g.integers(-8, 8, n)).astype(dtype)
        assert numpy_sum(values) == values.sum(), n
        at = np.flatnonzero(g.random(n) < 0.4)
        assert numpy_sum(values, at) == values[at].sum(), n
    # numpy's sum starts from +0, so a sum of negative zeros is +0
    assert not np.signbit(numpy_sum(np.full(20, -0.0, dtype)))


@njit
def _draws_through(stream, n):
    return generator(stream).random(n)


def test_a_held_stream_continues_its_generator():
    streams, plain = Streams(9), Streams(9)
    held = streams.held("hospital")
    assert streams.held("hospital") is held  # made once
    mixed = np.concatenate([_draws_through(held, 3), streams["hospital"].random(2),
                            _draws_through(streams["hospital"], 2), _draws_through(held, 3)])
    assert np.array_equal(mixed, plain["hospital"].random(10))
    # copies and pickles keep the streams' states and remake the held handles
    expected = copy.deepcopy(streams["hospital"]).random(4)
    for twin in (copy.deepcopy(streams), pickle.loads(pickle.dumps(streams))):
        assert np.array_equal(_draws_through(twin.held("hospital"), 4), expected)
        assert twin.held("hospital") is not held


@pytest.mark.parametrize("seed", range(5))
def test_neighbour_mean_matches_reduceat(seed):
    g = np.random.default_rng(seed)
    n = 2_000
    u, v = g.integers(0, n - 50, 30_000), g.integers(0, n - 50, 30_000)  # 50 with no ties
    u[:1_500] = 7  # one resident with over a thousand ties: numpy's sum splits in halves
    keep = u != v
    ties = Ties.from_pairs(u[keep], v[keep], n)
    # Values over thirty orders of magnitude, where the order of a sum matters.
    values = (g.random(n) * 10.0 ** g.integers(-30, 1, n)).astype(np.float32)
    has = ties.degree > 0
    expected = values.astype(np.float64)
    expected[has] = np.add.reduceat(values[ties.indices].astype(np.float64),
                                    ties.indptr[:-1][has]) / ties.degree[has]
    assert (~has).any() and ties.degree.max() > 1_000
    assert np.array_equal(ties.neighbour_mean(values), expected)


# Ordinary hazards; and hazards so small that the chance rounds to the hazard itself,
# where the kernel's shortcut (no exponential for draws above the hazard) is tightest.
HAZARDS = ({"admission_rate": 2.0, "frailty_admission_slope": 2.0},
           {"admission_rate": 1e-5, "frailty_admission_slope": 10.0})


@njit
def _chances(growth, recent, open_gaps, waiting, t):
    """The per-person chance of an admission, for every resident (no shortcut)."""
    out = np.empty(len(growth), dtype=np.float32)
    for i in range(len(growth)):
        out[i] = health.chance_of(health.daily_hazard(growth[i], recent[i], open_gaps[i],
                                                      waiting[i], t))
    return out


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("hazard", HAZARDS)
def test_admissions_match_the_admission_probability(seed, hazard):
    g = np.random.default_rng(seed)
    n, day = 50_000, 400
    p = Params.from_overrides({"post_discharge_risk": 3.0, "gap_risk": 0.4,
                               "waiting_risk": 0.7, **hazard})
    frailty = g.random(n, dtype=np.float32)
    in_hospital = g.random(n) < 0.05
    discharged_day = np.where(g.random(n) < 0.2, day - g.integers(0, 60, n), -1_000_000)
    gaps = g.integers(0, 16, n).astype(np.uint8)
    waiting = g.random(n) < 0.1
    recent = (discharged_day >= day - RECOVERY_DAYS) & ~in_hospital
    growth = health._frailty_growth(frailty, p)
    t = health.hazard_terms(p)
    chance = _chances(growth, recent, np.where(recent, np.bitwise_count(gaps), 0).astype(
        np.int64), waiting, t)
    draws = g.random(n)
    # Put a third of the draws exactly on, just under and just over each chance.
    edge = g.integers(0, 3, n)
    at = g.random(n) < 0.3
    draws[at] = np.select([edge == 0, edge == 1],
                          [chance, np.nextafter(chance.astype(np.float64), 0.0)],
                          np.nextafter(chance.astype(np.float64), 1.0))[at]
    expected = np.flatnonzero(~in_hospital & (draws < chance))
    care_decision_day = np.where(waiting, day - 3, NEVER).astype(np.int32)
    admitted, readmissions = health._admissions(growth, draws, in_hospital, discharged_day,
                                                gaps, care_decision_day, day, t)
    assert np.array_equal(admitted, expected)
    assert readmissions == int(recent[expected].sum()) > 0


def _moving_means_in_numpy(emas: tuple, where: np.ndarray, todays: tuple) -> tuple:
    """Weekly moving means as numpy made them: decay everywhere, move toward today at
    ``where``, and 0 below the floor."""
    weight = np.float32(1 / 7)
    expected = []
    for ema, today in zip(emas, todays, strict=True):
        out = ema * (np.float32(1.0) - weight)
        out[where] = ema[where] + weight * (today - ema[where])
        out[out < DECAY_FLOOR] = 0.0
        expected.append(out)
    return tuple(expected)


def _carers_in_numpy(given_ema: np.ndarray, adult: np.ndarray) -> np.ndarray:
    return np.flatnonzero((given_ema * np.float32(7.0) >= 1.0) & adult)


def test_moving_means_and_carers_match_numpy():
    g = np.random.default_rng(3)
    n = 1_000
    # Means across many orders of magnitude, some near and below float32's smallest normal.
    emas = tuple((g.random(n) * 10.0 ** g.integers(-39, 1, n)).astype(np.float32)
                 for _ in range(3))
    where = np.sort(g.choice(n, 300, replace=False))
    todays = tuple(g.random(300, dtype=np.float32) * 3 for _ in range(3))
    expected = _moving_means_in_numpy(emas, where, todays)
    _moving_means(emas, where, todays)
    for got, want in zip(emas, expected, strict=True):
        assert np.array_equal(got, want)
    adult = g.random(n) < 0.8
    assert np.array_equal(_carers(emas[0], adult), _carers_in_numpy(emas[0], adult))


def _care_bookkeeping_in_numpy(a: dict) -> tuple:
    """The numpy the care bookkeeping kernel replaced (same names as its arguments)."""
    received_unpaid = a["received_unpaid"] + a["received"][0] + a["received"][1] \
        + a["received"][2]
    hours = (a["peer"].sum(), a["paid"].sum(), *(a["received"][code].sum() for code in range(3)),
             a["professional"].sum(), a["remaining"].sum())
    unpaid_given = a["given"].sum(axis=0)
    carers, peer, givers = a["carers"], a["peer"], a["peer_givers"]
    women = unpaid_given[a["female"][carers]].sum() + peer[a["female"][givers]].sum()
    minorities = unpaid_given[a["minority"][carers]].sum() + peer[a["minority"][givers]].sum()
    given_today = a["given_today"].copy()
    given_today[a["gave_before"]] = 0.0
    given_today[carers] = unpaid_given
    unmet_share = np.minimum(a["remaining"] / a["need"][a["needy"]], np.float32(1.0))
    emas = (_moving_means_in_numpy((a["given_ema"], a["family_ema"], a["neighbour_ema"]),
                                   carers, (unpaid_given, a["given"][0], a["given"][2]))
            + _moving_means_in_numpy((a["contact_ema"], a["unmet_ema"]), a["needy"],
                                     (received_unpaid, unmet_share)))
    wellbeing = np.mean((1.0 - unmet_share) * (1.0 - a["loneliness"][a["needy"]]))
    return (hours, a["need"].sum(), a["hours_available"].sum(),
            a["hours_used"].sum(), women, minorities, wellbeing,
            _carers_in_numpy(emas[0], a["adult"])), received_unpaid, given_today, emas


@pytest.mark.parametrize("seed", range(3))
def test_care_bookkeeping_matches_numpy(seed):
    g = np.random.default_rng(seed)
    n, posts = 5_000, 12
    needy = np.sort(g.choice(n, 900, replace=False))
    carers = np.sort(g.choice(n, 1_100, replace=False))
    def hours(size):
        return (g.random(size) * 10.0 ** g.integers(-3, 2, size)).astype(np.float32)
    need = np.where(np.isin(np.arange(n), needy), hours(n) + np.float32(0.1), np.float32(0))
    patients = g.choice(n, 40, replace=False)
    visit = np.full(40, 1.5, np.float32)
    a = {"needy": needy, "carers": carers, "remaining": need[needy] * np.float32(0.9),
         "received_unpaid": np.zeros(len(needy), np.float32),
         "given": hours((3, len(carers))), "received": hours((3, len(needy))),
         "paid": hours(len(needy)), "professional": g.random(len(needy)), "need": need,
         "hours_available": hours(posts), "hours_used": hours(posts),
         "female": g.random(n) < 0.5, "minority": g.random(n) < 0.2,
         "adult": g.random(n) < 0.8, "loneliness": g.random(n, dtype=np.float32),
         "given_today": hours(n), "gave_before": np.sort(g.choice(n, 800, replace=False)),
         **{name: hours(n) / np.float32(7.0) for name in (
             "given_ema", "family_ema", "neighbour_ema", "contact_ema", "unmet_ema")}}
    # Peer visits first: only visited patients in need count, each up to their need.
    remaining_before = a["remaining"].copy()
    a["peer"], counted = _peer_care(needy, patients, visit, a["remaining"],
                                    a["received_unpaid"])
    at = np.searchsorted(needy, patients)
    hit = (at < len(needy)) & (needy[np.minimum(at, len(needy) - 1)] == patients)
    assert np.array_equal(counted, hit) and 0 < hit.sum() < len(hit)
    assert np.array_equal(a["peer"], np.minimum(remaining_before[at[hit]], visit[hit]))
    assert np.array_equal(a["remaining"][at[hit]], remaining_before[at[hit]] - a["peer"])
    a["peer_givers"] = g.choice(n, len(a["peer"]), replace=False)

    expected, received_unpaid, given_today, emas = _care_bookkeeping_in_numpy(a)
    hours = _hours_by_source(a["peer"], a["paid"], a["received"], a["professional"],
                             a["remaining"], a["received_unpaid"])
    unpaid_given = _unpaid_given(a["given"])
    equity = [_given_by(a[flags], unpaid_given, carers, a["peer"], a["peer_givers"])
              for flags in ("female", "minority")]
    wellbeing = _remember(needy, a["remaining"], a["received_unpaid"], carers, a["given"],
                          unpaid_given, need, a["loneliness"], a["given_today"],
                          a["gave_before"], a["given_ema"], a["family_ema"],
                          a["neighbour_ema"], a["contact_ema"], a["unmet_ema"])
    got = (hours, numpy_sum(need), numpy_sum(a["hours_available"]),
           numpy_sum(a["hours_used"]), *equity, wellbeing, _carers(a["given_ema"], a["adult"]))
    def as_floats(values):
        return [float(v) for v in values]  # numpy would compare in float32
    assert as_floats(got[0]) == as_floats(expected[0])
    assert as_floats(got[1:-1]) == as_floats(expected[1:-1])
    assert np.array_equal(got[-1], expected[-1])
    assert np.array_equal(a["received_unpaid"], received_unpaid)
    assert np.array_equal(a["given_today"], given_today)
    for name, ema in zip(("given_ema", "family_ema", "neighbour_ema", "contact_ema",
                          "unmet_ema"), emas, strict=True):
        assert np.array_equal(a[name], ema), name


def test_gini_and_staff_morale_match_numpy():
    g = np.random.default_rng(4)
    for n in (1, 2, 9, 840, 5_000):
        values = (g.random(n) * 10.0 ** g.integers(-3, 2, n)).astype(np.float32)
        ordered = np.sort(values.astype(np.float64))
        ranks = np.arange(1, n + 1)
        expected = (2.0 * (ranks * ordered).sum() / (n * ordered.sum())) - (n + 1) / n
        assert gini(values) == expected, n
    assert gini(np.zeros(0, np.float32)) == gini(np.zeros(5, np.float32)) == 0.0
    morale = g.random(300, dtype=np.float32)
    vacant_until = np.where(g.random(300) < 0.3, 50, NEVER).astype(np.int32)
    assert _staff_morale(morale, vacant_until) \
        == float(morale[vacant_until == NEVER].mean())
    assert _staff_morale(morale, np.full(300, 50, np.int32)) == 0.0


def test_stays_are_numpys_geometric_draws():
    p = Params()
    older = np.random.default_rng(2).random(5_000) < 0.4
    mine, theirs = np.random.default_rng(8), np.random.default_rng(8)
    expected = theirs.geometric(1.0 / np.where(older, p.stay_days_older,
                                               p.stay_days_younger)).astype(np.int16)
    assert np.array_equal(hospital.draw_stay(older, hospital.stay_terms(p), mine), expected)
    assert mine.random() == theirs.random()  # the stream goes on identically


def test_staff_turnover_draws_as_numpy_did():
    p = Params.from_overrides({"attrition_rate": 2.0, "vacancy_days": 30.0})
    g = np.random.default_rng(6)
    posts, day = 2_000, 50
    state = SimpleNamespace(morale=g.random(posts, dtype=np.float32),
                            vacant_until=np.where(g.random(posts) < 0.2,
                                                  day + g.integers(-3, 4, posts), NEVER)
                            .astype(np.int32))
    before = SimpleNamespace(morale=state.morale.copy(),
                             vacant_until=state.vacant_until.copy())
    mine, theirs = np.random.default_rng(3), np.random.default_rng(3)
    growth = morale._attrition_growth(state.morale)
    left = morale._staff_turnover(state.morale, state.vacant_until, growth, day,
                                  morale.morale_terms(p), mine)
    # the numpy it replaced: every post draws a chance and a wait, every day
    draws, waits = theirs.random(posts), theirs.exponential(p.vacancy_days, posts)
    chance = np.array([morale.leaving_chance(g, np.float32(p.attrition_rate))
                       for g in growth])
    leaving = (before.vacant_until == NEVER) & (draws < chance)
    expected = np.where(leaving, day + np.ceil(waits).astype(np.int32), before.vacant_until)
    refilled = (expected != NEVER) & (expected <= day)
    assert left == leaving.sum() > 0 and refilled.any()
    assert np.array_equal(state.vacant_until, np.where(refilled, NEVER, expected))
    assert np.array_equal(state.morale, np.where(refilled, np.float32(p.morale_initial),
                                                 before.morale))
    assert mine.random() == theirs.random()


def test_parameter_terms_are_worked_out_once_per_params():
    a = Params()
    b = Params.from_overrides({"need_threshold": a.need_threshold / 2})
    assert health.need_terms(a) is health.need_terms(a)  # kept
    assert health.need_terms(b).threshold == np.float32(a.need_threshold / 2) \
        != health.need_terms(a).threshold
    # the kept terms are not a parameter: equality, hashing and the parameter table ignore them
    assert a == Params() and hash(a) == hash(Params()) and "_terms" not in a.as_dict()
