import math

import numpy as np
import pytest

from simulation.day import advance, start
from simulation.params import Params
from simulation.rules import (
    co_production,
    decisions,
    discharge,
    formal_care,
    health,
    hospital,
    loneliness,
    morale,
    strain,
    unpaid_care,
)
from simulation.rules.care import _moving_means
from simulation.state import (
    ACTIVE,
    CARE_DECISION,
    GAP_FOLLOW_UP,
    GAP_FOOD,
    GAP_HOME_SAFE,
    GAP_MEDICINES,
    NEVER,
    NOT_VOLUNTEER,
    PEER_APPROVED,
    PEER_NONE,
    PEER_REFERRED,
    PEER_VETOED,
    VETTING,
    VISIT_CLOSABLE,
    VISIT_DECISION,
    VOLUNTEER_DECISION,
    open_gap_count,
)

N_DRAWS = 20_000  # large samples for mean checks; tolerances are 5 standard errors


def params(**overrides):
    return Params.from_overrides(overrides)


def rng(seed=12345):
    return np.random.default_rng(seed)


def bools(*values):
    return np.array(values, dtype=bool)


def floats(*values):
    return np.array(values, dtype=np.float32)


def ints(*values):
    return np.array(values, dtype=np.int64)


def each(rule, *columns, dtype=np.float32):
    """A per-person rule applied to each row of ``columns`` (the last argument is shared)."""
    *arrays, shared = columns
    return np.array([rule(*row, shared) for row in zip(*arrays, strict=True)], dtype=dtype)


# The per-person rules over arrays of hand-computed cases.


def drift_frailty(frailty, level, unmet_share, lonely, volunteering, noise, p):
    return each(health.drifted, frailty, level, unmet_share, [bool(x) for x in lonely],
                [bool(x) for x in volunteering], noise, health.drift_terms(p))


def care_need(frailty, since, p):
    return each(health.need_hours, frailty, [int(d) for d in since], health.need_terms(p))


def admission_probability(frailty, recent, open_gaps, waiting, p):
    growth = np.exp(np.float32(p.frailty_admission_slope) * frailty)
    t = health.hazard_terms(p)
    return np.array([health.chance_of(health.daily_hazard(g, bool(r), int(k), bool(w), t))
                     for g, r, k, w in zip(growth, recent, open_gaps, waiting, strict=True)],
                    dtype=np.float32)


# --- health -----------------------------------------------------------------------------

# Rates chosen so that rate / 365 is a round number: reversion 3.65/yr -> 0.01/day etc.
DRIFT = dict(frailty_reversion=3.65, unmet_frailty_effect=0.365, lonely_frailty_effect=0.73,
             frailty_noise=0.0, volunteer_frailty_benefit=0.5)


def test_drift_frailty_reverts_and_is_pushed_up_by_unmet_need_and_loneliness():
    p = params(**DRIFT)
    out = drift_frailty(
        frailty=floats(0.5, 0.5, 0.5, 0.3),
        level=floats(0.3, 0.3, 0.4, 0.3),
        unmet_share=floats(0.0, 1.0, 0.0, 0.0),
        lonely=bools(False, True, False, False),
        volunteering=bools(False, False, True, False),
        noise=floats(0, 0, 0, 0), p=p)
    # 0: 0.5 + 0.01*(0.3-0.5)                 = 0.498
    # 1: 0.5 + 0.01*(0.3-0.5) + 0.001 + 0.002 = 0.501
    # 2: volunteer target 0.4*0.5 = 0.2 -> 0.5 + 0.01*(0.2-0.5) = 0.497
    # 3: at its level, no push: unchanged
    assert out == pytest.approx([0.498, 0.501, 0.497, 0.3], abs=1e-6)
    assert out.dtype == np.float32


def test_drift_frailty_noise_scales_with_sqrt_of_a_day():
    # noise 0.01*sqrt(365) per sqrt(year) is 0.01 per sqrt(day); z = 2 adds 0.02.
    p = params(**{**DRIFT, "frailty_noise": 0.01 * math.sqrt(365)})
    out = drift_frailty(floats(0.5, 0.5), floats(0.5, 0.5), floats(0, 0),
                               bools(False, False), bools(False, False), floats(2.0, -1.0), p)
    assert out == pytest.approx([0.52, 0.49], abs=1e-6)


def test_drift_frailty_is_clipped_to_unit_interval():
    p = params(**{**DRIFT, "frailty_noise": 1.0})
    out = drift_frailty(floats(0.999, 0.001), floats(1.0, 0.0), floats(1, 0),
                               bools(True, False), bools(False, False), floats(50.0, -50.0), p)
    assert out.tolist() == [1.0, 0.0]


NEED = dict(need_threshold=0.5, need_max_hours=140.0, recovery_need_hours=14.0)


def test_care_need_chronic_part_follows_square_root_past_threshold():
    p = params(**NEED)
    out = care_need(floats(0.4, 0.5, 0.625, 0.75, 1.0), ints(-1, -1, -1, -1, -1), p)
    # 140/7 = 20 h/day at frailty 1; past = (f-0.5)/0.5; need = 20*sqrt(past)
    # 0.625 -> sqrt(0.25)*20 = 10;  0.75 -> sqrt(0.5)*20 = 14.142
    assert out == pytest.approx([0.0, 0.0, 10.0, 20 * math.sqrt(0.5), 20.0], rel=1e-6)


def test_care_need_recovery_fades_over_thirty_days():
    p = params(**NEED)
    out = care_need(floats(0, 0, 0, 0, 0), ints(-1, 0, 15, 29, 30), p)
    # 14/7 = 2 h/day at discharge, times (1 - d/30); nothing at d<0 or d>=30
    assert out == pytest.approx([0.0, 2.0, 1.0, 2.0 / 30, 0.0], rel=1e-6)


def test_care_need_adds_chronic_and_recovery():
    out = care_need(floats(0.625), ints(15), params(**NEED))
    assert out == pytest.approx([11.0])  # 10 chronic + 1 recovery


def test_care_need_with_threshold_one_needs_nothing_but_recovery():
    p = params(need_threshold=1.0, recovery_need_hours=0.0)
    assert care_need(floats(0.0, 0.99, 1.0), ints(-1, -1, -1), p).tolist() == [0, 0, 0]


ADMIT = dict(admission_rate=0.365, frailty_admission_slope=0.0, post_discharge_risk=2.0,
             gap_risk=0.5, waiting_risk=1.0)


def test_needs_today_sets_need_at_home_clears_yesterday_and_returns_the_needy():
    p = params(need_threshold=0.5, need_max_hours=70.0, recovery_need_hours=7.0)
    day = 100
    need = floats(0, 0, 0, 5.0, 0, 0)  # resident 3 was in need yesterday
    frailty = floats(0.75, 0.3, 0.9, 0.4, 1.0, 0.5)
    in_hospital = bools(False, False, True, False, False, False)
    recent = bools(False, True, False, False, True, False)
    discharged = np.array([NEVER, day - 15, NEVER, NEVER, day, NEVER], dtype=np.int32)
    needy = health._needs_today(need, ints(3), frailty, in_hospital, recent, discharged, day,
                                health.need_terms(p))
    # 0: 10 h/day x sqrt(0.25 / 0.5); 1: no chronic need, recovery 1 h/day half faded;
    # 2: in hospital; 3: below the threshold now, yesterday's need cleared;
    # 4: 10 + 1 (discharged today); 5: exactly at the threshold needs nothing
    assert need == pytest.approx([10 * math.sqrt(0.5), 0.5, 0, 0, 11.0, 0], rel=1e-6)
    assert needy.tolist() == [0, 1, 4]


def test_admission_probability_multipliers():
    p = params(**ADMIT)
    out = admission_probability(
        frailty=floats(0.3, 0.3, 0.3, 0.3),
        recent=bools(False, True, True, False),
        open_gaps=ints(0, 0, 2, 0),
        waiting=bools(False, False, False, True), p=p)
    # base 0.365/yr = 0.001/day; recent x2; 2 gaps x(1+0.5*2); waiting x(1+1)
    daily = [0.001, 0.002, 0.004, 0.002]
    assert out == pytest.approx([1 - math.exp(-h) for h in daily], rel=1e-6)  # float32 input


def test_admission_probability_grows_exponentially_with_frailty():
    p = params(**{**ADMIT, "frailty_admission_slope": math.log(4)})
    out = admission_probability(floats(0.0, 0.5, 1.0), bools(False, False, False),
                                       ints(0, 0, 0), bools(False, False, False), p)
    # exp(ln4 * f) = 1, 2, 4
    assert out == pytest.approx([1 - math.exp(-h) for h in (0.001, 0.002, 0.004)], rel=1e-6)


def test_admission_probability_is_a_probability_at_extreme_hazard():
    p = params(admission_rate=5.0, frailty_admission_slope=10.0, post_discharge_risk=20.0)
    out = admission_probability(floats(0.0, 1.0), bools(False, True), ints(0, 4),
                                       bools(False, True), p)
    assert np.all((out >= 0) & (out <= 1))
    assert out[1] > 0.999
    zero = admission_probability(floats(1.0), bools(True), ints(4), bools(True),
                                        params(admission_rate=0.0))
    assert zero.tolist() == [0.0]


# --- hospital ---------------------------------------------------------------------------


def test_draw_stay_is_one_day_when_mean_is_one():
    p = params(stay_days_older=1.0, stay_days_younger=1.0)
    stays = hospital.draw_stay(bools(True, False, True), hospital.stay_terms(p), rng())
    assert stays.tolist() == [1, 1, 1]


def test_draw_stay_means_by_age():
    p = params(stay_days_older=11.9, stay_days_younger=5.0)
    older = hospital.draw_stay(np.ones(N_DRAWS, bool), hospital.stay_terms(p), rng(1))
    younger = hospital.draw_stay(np.zeros(N_DRAWS, bool), hospital.stay_terms(p), rng(2))
    assert older.min() >= 1 and younger.min() >= 1
    assert older.dtype == np.int16
    # geometric sd = sqrt(1-q)/q with q = 1/mean: 11.39 and 4.47 -> SE 0.081 and 0.032
    for sample, mean in ((older, 11.9), (younger, 5.0)):
        se = math.sqrt(1 - 1 / mean) * mean / math.sqrt(N_DRAWS)
        assert abs(sample.mean() - mean) < 5 * se


def test_draw_stay_is_deterministic_for_a_seed_and_handles_empty():
    t = hospital.stay_terms(Params())
    older = rng(0).random(50) < 0.5
    assert np.array_equal(hospital.draw_stay(older, t, rng(7)),
                          hospital.draw_stay(older, t, rng(7)))
    assert hospital.draw_stay(np.zeros(0, bool), t, rng()).shape == (0,)


WAITING = dict(eligibility_hours=70.0, budget_share=0.5)


def must_wait(lasting, at_home, care_decision_day=NEVER, package_hours=0.0,
              package_wait_day=NEVER, budget_draw=0.9, **overrides):
    t = decisions.decision_terms(params(**{**WAITING, **overrides}))
    return hospital.must_wait(np.float32(lasting), at_home, care_decision_day,
                              np.float32(package_hours), package_wait_day,
                              np.float32(budget_draw), t)


def test_a_fit_patient_waits_only_for_a_package_they_need_with_no_one_at_home():
    # 70 hours a week is 10 a day: below it no package is needed, so nobody waits.
    assert not must_wait(9.9, at_home=False, care_decision_day=5)
    # Eligible and alone: waits while the decision waits, goes once it is taken.
    assert must_wait(10.0, at_home=False, care_decision_day=5)
    assert not must_wait(10.0, at_home=False)
    # With an adult at home able to care, goes home and the package follows.
    assert not must_wait(10.0, at_home=True, care_decision_day=5)


def test_a_funded_patient_alone_waits_for_a_package_place_too():
    funded = dict(budget_draw=0.1)  # below budget_share: funded for paid care
    assert must_wait(12.0, at_home=False, package_wait_day=3, **funded)
    assert not must_wait(12.0, at_home=False, package_wait_day=3)  # not funded: no wait
    assert not must_wait(12.0, at_home=False, package_hours=1.8, **funded)  # running


def test_someone_at_home_means_another_adult_not_in_hospital_nor_burnt_out():
    adult = bools(True, True, False, True)
    in_hospital = bools(True, False, False, False)
    burnout = np.array([NEVER, NEVER, NEVER, 20], np.int32)
    # resident 0's household is 0-3: resident 1 is an able adult
    assert hospital.someone_at_home(0, 0, 4, adult, in_hospital, burnout, 10)
    # without resident 1: a child (2) and a burnt-out adult (3, resting until day 20)
    assert not hospital.someone_at_home(0, 0, 4, adult, bools(True, True, False, False),
                                        burnout, 10)
    assert hospital.someone_at_home(0, 0, 4, adult, bools(True, True, False, False),
                                    burnout, 20)  # rest over
    assert not hospital.someone_at_home(0, 0, 1, adult, in_hospital, burnout, 10)  # alone


# --- discharge --------------------------------------------------------------------------


def draw_gaps(count, p, generator):
    return discharge.draw_gaps(count, p.gap_prob, generator)


def notification_day(today, lead, p, generator):
    return discharge.notification_days(today, lead, discharge.going_home_terms(p), generator)


def test_draw_gaps_all_or_none():
    assert draw_gaps(5, params(gap_prob=0.0), rng()).tolist() == [0] * 5
    assert draw_gaps(5, params(gap_prob=1.0), rng()).tolist() == [15] * 5
    empty = draw_gaps(0, params(gap_prob=0.5), rng())
    assert empty.shape == (0,) and empty.dtype == np.uint8


def test_draw_gaps_each_bit_with_gap_prob():
    gaps = draw_gaps(N_DRAWS, params(gap_prob=0.3), rng(5))
    assert gaps.dtype == np.uint8 and gaps.max() <= 15
    se = math.sqrt(0.3 * 0.7 / N_DRAWS)  # 0.0032
    for bit in (GAP_MEDICINES, GAP_FOOD, GAP_FOLLOW_UP, GAP_HOME_SAFE):
        assert abs(((gaps & bit) > 0).mean() - 0.3) < 5 * se


def test_notification_day_never_heard_and_always_heard_today():
    none = notification_day(10, bools(False, False, False), params(notify_prob=0.0),
                                      rng())
    assert none.tolist() == [NEVER] * 3
    now = notification_day(10, bools(False, True), params(notify_prob=1.0,
                                                                    notify_delay_days=0.0), rng())
    assert now.tolist() == [10, 10]


def test_notification_day_lead_always_hears_and_sooner():
    # A lead passes the word on even when the community never would; factor 0 means today.
    p = params(notify_prob=0.0, notify_delay_days=5.0, lead_delay_factor=0.0)
    assert notification_day(3, bools(True, False), p, rng()).tolist() == [3, NEVER]


def test_notification_day_mean_delay():
    p = params(notify_prob=1.0, notify_delay_days=3.0, lead_delay_factor=0.5)
    for lead, mean in ((False, 3.0), (True, 1.5)):
        days = notification_day(100, np.full(N_DRAWS, lead), p, rng(6))
        delay = days - 100
        assert delay.min() >= 0
        # E[rint(m*Exp(1))] = sum_k P(m*E >= k - 0.5) = exp(-1/(2m)) / (1 - exp(-1/m))
        # (2.986 for m=3, 1.473 for m=1.5); SE about m / sqrt(n)
        expected = math.exp(-0.5 / mean) / (1 - math.exp(-1 / mean))
        assert abs(delay.mean() - expected) < 5 * mean / math.sqrt(N_DRAWS)


def test_notification_day_share_heard():
    days = notification_day(0, np.zeros(N_DRAWS, bool), params(notify_prob=0.75),
                                      rng(7))
    share = (days != NEVER).mean()
    assert abs(share - 0.75) < 5 * math.sqrt(0.75 * 0.25 / N_DRAWS)


def test_notification_day_deterministic():
    lead = rng(0).random(200) < 0.3
    p = Params()
    assert np.array_equal(notification_day(5, lead, p, rng(9)),
                          notification_day(5, lead, p, rng(9)))


def test_close_gaps_certain_closes_only_closable_bits():
    gaps = np.array([15, 7, 8, 0], dtype=np.uint8)
    out = discharge.close_gaps(gaps, VISIT_CLOSABLE, 1.0, rng())
    # the home-safe bit (8) is not closable by a visit
    assert out.tolist() == [8, 0, 8, 0]
    assert discharge.close_gaps(gaps, VISIT_CLOSABLE, 0.0, rng()).tolist() == gaps.tolist()
    assert discharge.close_gaps(gaps, 0, 1.0, rng()).tolist() == gaps.tolist()
    assert discharge.close_gaps(np.zeros(0, np.uint8), VISIT_CLOSABLE, 0.5, rng()).shape == (0,)


def test_close_gaps_never_opens_a_gap_and_closes_at_chance():
    gaps = np.full(N_DRAWS, 15, dtype=np.uint8)
    gaps[::2] = GAP_FOOD | GAP_HOME_SAFE
    out = discharge.close_gaps(gaps, VISIT_CLOSABLE, 0.6, rng(8))
    assert not np.any(out & ~gaps)  # result is a subset of the open gaps
    assert np.all(out & GAP_HOME_SAFE)
    still_food = ((out & GAP_FOOD) > 0).mean()
    assert abs(still_food - 0.4) < 5 * math.sqrt(0.4 * 0.6 / N_DRAWS)


def test_open_gap_count():
    gaps = np.array([0, 1, 3, 15, 8, 6], dtype=np.uint8)
    assert [open_gap_count(g) for g in gaps] == [0, 1, 2, 4, 1, 2]


# --- risk -------------------------------------------------------------------------------


@pytest.mark.parametrize(("aversion", "most", "days"), [
    (0.0, 90.0, 7),  # a week at no aversion, whatever the maximum
    (1.0, 90.0, 90),
    (0.25, 87.0, 27),  # 0.75*7 + 0.25*87 = 5.25 + 21.75
    (0.3, 100.0, 35),  # 4.9 + 30 = 34.9, rounded
])
def test_vetting_days(aversion, most, days):
    out = co_production.vetting_days(params(risk_aversion=aversion, vetting_days_max=most))
    assert out == days and isinstance(out, int)


def test_veto_probability():
    def veto(aversion: float) -> float:
        return decisions.veto_probability(params(risk_aversion=aversion, veto_max=0.6))

    assert veto(0.5) == pytest.approx(0.3)
    assert veto(0.0) == 0.0
    assert veto(1.0) == pytest.approx(0.6)


# --- peer visits ------------------------------------------------------------------------


def _check_matching(patient_patch, volunteer_patch, pat, vol):
    # Each patient and each volunteer is used at most once, as many visits as possible,
    # and in every patch min(patients, volunteers) of its visits are local.
    assert len(pat) == len(vol) == min(len(patient_patch), len(volunteer_patch))
    assert len(set(pat.tolist())) == len(pat) and len(set(vol.tolist())) == len(vol)
    local = patient_patch[pat] == volunteer_patch[vol]
    for c in set(patient_patch.tolist()) | set(volunteer_patch.tolist()):
        want = min((patient_patch == c).sum(), (volunteer_patch == c).sum())
        assert (local & (patient_patch[pat] == c)).sum() == want


def test_match_visits_more_patients_than_volunteers():
    patients, volunteers = ints(0, 0, 1, 1, 2), ints(1, 2)
    pat, vol = co_production.match_visits(patients, volunteers, rng())
    pairs = dict(zip(vol.tolist(), pat.tolist(), strict=True))
    # volunteer 0 (patch 1) visits patient 2 or 3; volunteer 1 (patch 2) visits patient 4
    assert set(pairs) == {0, 1}
    assert pairs[0] in (2, 3) and pairs[1] == 4


def test_match_visits_more_volunteers_than_patients():
    patients, volunteers = ints(0, 1), ints(1, 1, 0, 3, 3)
    pat, vol = co_production.match_visits(patients, volunteers, rng())
    pairs = dict(zip(pat.tolist(), vol.tolist(), strict=True))
    assert pairs[0] == 2 and pairs[1] in (0, 1)


def test_match_visits_leftovers_go_across_town():
    patients, volunteers = ints(0, 0, 0), ints(0, 5, 7)
    pat, vol = co_production.match_visits(patients, volunteers, rng())
    assert sorted(vol.tolist()) == [0, 1, 2]
    _check_matching(patients, volunteers, pat, vol)


@pytest.mark.parametrize("seed", range(20))
def test_match_visits_properties_on_random_patches(seed):
    g = rng(seed)
    patients = g.integers(0, 5, g.integers(0, 30))
    volunteers = g.integers(0, 5, g.integers(0, 30))
    pat, vol = co_production.match_visits(patients, volunteers, rng(seed + 100))
    _check_matching(patients, volunteers, pat, vol)


@pytest.mark.parametrize(("patients", "volunteers"), [
    (ints(), ints()), (ints(), ints(1, 2)), (ints(1, 2), ints())])
def test_match_visits_empty(patients, volunteers):
    pat, vol = co_production.match_visits(patients, volunteers, rng())
    assert len(pat) == len(vol) == 0


def test_match_visits_deterministic_and_random_within_patch():
    patients, volunteers = ints(0, 0, 1, 2, 2, 2), ints(2, 0, 1, 1)
    a = co_production.match_visits(patients, volunteers, rng(11))
    b = co_production.match_visits(patients, volunteers, rng(11))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    # Two patients, one volunteer, same patch: each should be chosen half the time
    # (Binomial(200, 0.5): mean 100, sd 7.1; within 4 sd).
    first = sum(co_production.match_visits(ints(0, 0), ints(0), rng(s))[0][0] == 0
                for s in range(200))
    assert abs(first - 100) < 4 * np.sqrt(200 * 0.5 * 0.5)


def test_rank_within_runs():
    assert co_production._rank_within(ints(0, 0, 1, 3, 3, 3)).tolist() == [0, 1, 0, 0, 1, 2]
    assert co_production._rank_within(ints()).shape == (0,)


def test_says_yes_edges_and_reciprocity():
    visited = np.arange(N_DRAWS) % 2 == 0
    assert not co_production.says_yes(visited, params(volunteer_willingness=0.0), rng()).any()
    # 0.6 * 2 capped at 1: every visited person says yes
    yes = co_production.says_yes(visited, params(volunteer_willingness=0.6,
                                               reciprocity_boost=2.0), rng())
    assert yes[visited].all()
    assert abs(yes[~visited].mean() - 0.6) < 5 * math.sqrt(0.24 / (N_DRAWS / 2))
    yes = co_production.says_yes(visited, params(volunteer_willingness=0.15,
                                               reciprocity_boost=2.0), rng(12))
    # 0.15 unvisited vs 0.30 visited; n = 10000 each -> SE 0.0036 and 0.0046
    assert abs(yes[~visited].mean() - 0.15) < 5 * math.sqrt(0.15 * 0.85 / (N_DRAWS / 2))
    assert abs(yes[visited].mean() - 0.30) < 5 * math.sqrt(0.30 * 0.70 / (N_DRAWS / 2))
    assert co_production.says_yes(bools(), Params(), rng()).shape == (0,)


def test_tire_probability():
    assert co_production.tire_probability(params(volunteer_tiring=0.0)) == 0.0
    # 3.65/yr = 0.01/day -> 1 - exp(-0.01)
    assert co_production.tire_probability(params(volunteer_tiring=3.65)) == \
        pytest.approx(1 - math.exp(-0.01))


# --- care -------------------------------------------------------------------------------


def unpaid_offers(adult, at_home, burnt_out, frailty, willingness, female, minority, norm,
                  balance, p, dropping_in=True):
    """Each person's offers by kind, shape (3, people), from the per-person rule."""
    can_care = [bool(a and h and not b) for a, h, b in zip(adult, at_home, burnt_out,
                                                           strict=True)]
    rows = [unpaid_care.offers_of(c, dropping_in, *row, unpaid_care.offer_terms(p))
            for c, *row in zip(can_care, frailty, willingness, [bool(x) for x in female],
                               [bool(x) for x in minority], norm, balance, strict=True)]
    return np.array(rows, dtype=np.float32).reshape(len(rows), 3).T


def offers(ready=None, minority=None, norm=None, balance=None, **overrides):
    # Adult women at home with no frailty, so readiness is their willingness.
    n = len(ready)
    return unpaid_offers(
        adult=np.ones(n, bool), at_home=np.ones(n, bool), burnt_out=np.zeros(n, bool),
        frailty=floats(*[0.0] * n), willingness=ready, female=np.ones(n, bool),
        minority=np.zeros(n, bool) if minority is None else minority,
        norm=floats(*[1.0] * n) if norm is None else norm,
        balance=floats(*[0.0] * n) if balance is None else balance, p=params(**overrides))


def share_along_ties(owner, carer, remaining, offer):
    """One round of sharing over every tie: hours received, and (carer, hours) per live tie."""
    received = np.zeros(len(remaining), dtype=np.float32)
    gave = np.zeros(len(owner), dtype=np.float32)
    scratch = unpaid_care.share_scratch(carer.max() + 1 if len(carer) else 0, len(remaining))
    live = unpaid_care.share_round(np.arange(len(owner)), owner, carer, offer, remaining,
                                   received, gave, *scratch)
    return received, (carer[live], gave[live])


def test_readiness():
    out = unpaid_offers(
        adult=bools(True, True, True, False, True),
        at_home=bools(True, True, False, True, True),
        burnt_out=bools(False, False, False, False, True),
        frailty=floats(0.5, 0.2, 0.0, 0.0, 0.0),
        willingness=floats(1.0, 1.5, 1.0, 1.0, 1.0),
        female=bools(True, False, True, True, True),
        minority=bools(False, False, False, False, False),
        norm=floats(1, 1, 1, 1, 1), balance=floats(0, 0, 0, 0, 0),
        p=params(men_care_propensity=0.6, kin_hours=1.0))
    # kin offer = readiness here: 1*(1-0.5) = 0.5; man: 1.5*(1-0.2)*0.6 = 0.72; then away,
    # child, burnt out
    assert out[1] == pytest.approx([0.5, 0.72, 0.0, 0.0, 0.0], rel=1e-6)
    assert out.dtype == np.float32 and out.shape == (3, 5)


def test_family_offer_minority_expectation_cap_and_minimum():
    out = offers(floats(0.5, 0.5, 2.0, 0.01), minority=bools(False, True, True, False),
                 family_hours=10.0, minority_family_expectation=1.5)[0]
    # 10*0.5; 10*0.5*1.5; 10*2*1.5 = 30 capped at 24; 10*0.01 = 0.1 < 1/7 -> 0
    assert out == pytest.approx([5.0, 7.5, 24.0, 0.0])


def test_kin_offer_minimum_of_an_hour_a_week():
    out = offers(floats(0.5, 0.07, 0.0715, 0.0), kin_hours=2.0)[1]
    # 1.0; 0.14 < 1/7 = 0.142857 dropped; 0.143 kept; 0
    assert out == pytest.approx([1.0, 0.0, 0.143, 0.0], rel=1e-6)
    # exactly an hour a week is offered (>=, not >)
    exact = offers(floats(1 / 7), kin_hours=1.0)[1]
    assert exact[0] > 0


def test_neighbour_offer_norm_and_reciprocity():
    out = offers(floats(1, 1, 1, 1, 1), norm=floats(0.5, 0.5, 0.5, 0.5, 0.0),
                 balance=floats(0.0, 10.0, -10.0, -40.0, -40.0), neighbour_hours=2.0)[2]
    # 2*0.5 = 1; given more than received: no boost; owes 10/20 -> x1.5; owes >20 -> x2;
    # no norm -> nothing
    assert out == pytest.approx([1.0, 1.0, 1.5, 2.0, 0.0])


def test_neighbours_drop_in_one_day_a_week_and_not_for_minutes():
    kwargs = dict(adult=bools(True, True), at_home=bools(True, True),
                  burnt_out=bools(False, False), frailty=floats(0, 0),
                  willingness=floats(1.0, 0.1), female=bools(True, True),
                  minority=bools(False, False), norm=floats(1, 1), balance=floats(0, 0),
                  p=params(neighbour_hours=2.0))
    # 2 hours; 0.2 hours is under the quarter-hour minimum of a drop-in
    assert unpaid_offers(**kwargs)[2] == pytest.approx([2.0, 0.0])
    assert unpaid_offers(**kwargs, dropping_in=False)[2].tolist() == [0.0, 0.0]
    # each resident has one drop-in day a week, and residents' days differ
    days = [[unpaid_care.drops_in(i, d) for d in range(14)] for i in range(7)]
    assert all(sum(row) == 2 for row in days)  # twice a fortnight
    assert len({row.index(True) for row in days}) == 7


def test_share_along_ties_hand_example():
    # carers 10 (offers 3) and 11 (offers 2); recipients need 1, 4 and 0 hours.
    owner = ints(0, 1, 2, 1, 2)
    carer = ints(10, 10, 10, 11, 11)
    offer = floats(3, 3, 3, 2, 2)
    remaining = floats(1, 4, 0)
    received, (carers, gave) = share_along_ties(owner, carer, remaining, offer)
    # Recipient 2 needs nothing, so 10 splits 3 over recipients 0 and 1: 1.5 each; 11 gives
    # its 2 to recipient 1. Recipient 0 takes 1 of 1.5, recipient 1 takes all 3.5.
    assert received == pytest.approx([1.0, 3.5, 0.0])
    by_carer = np.bincount(carers, weights=gave, minlength=12)
    # 10 gives 1 + 1.5 = 2.5 of its 3; 11 gives 2
    assert by_carer[10] == pytest.approx(2.5) and by_carer[11] == pytest.approx(2.0)
    assert by_carer.sum() == pytest.approx(received.sum())


@pytest.mark.parametrize("seed", range(10))
def test_share_along_ties_conserves_hours(seed):
    g = rng(seed)
    n_recipients, n_carers, n_ties = 8, 6, 20
    owner = g.integers(0, n_recipients, n_ties)
    carer = g.integers(0, n_carers, n_ties)
    carer_offer = np.where(g.random(n_carers) < 0.2, 0.0, g.random(n_carers) * 3)
    offer = carer_offer[carer].astype(np.float32)
    remaining = np.where(g.random(n_recipients) < 0.2, 0.0,
                         g.random(n_recipients) * 4).astype(np.float32)
    received, (carers, gave) = share_along_ties(owner, carer, remaining, offer)
    by_carer = np.bincount(carers, weights=gave, minlength=n_carers)
    assert received.sum() == pytest.approx(by_carer.sum(), rel=1e-5)
    assert np.all(received >= 0) and np.all(received <= remaining + 1e-6)
    assert np.all(gave >= 0) and np.all(by_carer <= carer_offer + 1e-5)
    assert np.all(received[remaining == 0] == 0)


def test_share_along_ties_nothing_to_share():
    remaining = floats(1.0, 2.0)
    for owner, carer, offer, rem in (
            (ints(), ints(), floats(), remaining),  # no ties
            (ints(0, 1), ints(5, 6), floats(0, 0), remaining),  # no offers
            (ints(0, 1), ints(5, 6), floats(1, 1), floats(0, 0))):  # need exactly 0
        received, (carers, gave) = share_along_ties(owner, carer, rem, offer)
        assert received.tolist() == [0.0, 0.0]
        assert len(carers) == len(gave) == 0


def test_primary_ties_largest_offer_per_recipient():
    owner = ints(0, 0, 0, 1, 1, 2, 2)
    offer = floats(1, 5, 3, 2, 2, 0, 0)
    primary = unpaid_care.primary_ties(owner, offer)
    # recipient 0: the 5; recipient 1: one of the two 2s; recipient 2: nothing offered
    assert primary[[0, 1, 2]].tolist() == [False, True, False]
    assert primary[[3, 4]].sum() == 1
    assert not primary[[5, 6]].any()


def test_primary_ties_unsorted_owners():
    primary = unpaid_care.primary_ties(ints(2, 0, 2, 0), floats(1, 2, 4, 3))
    assert primary.tolist() == [False, False, True, True]


def test_primary_ties_empty():
    assert unpaid_care.primary_ties(ints(), floats()).shape == (0,)


def test_allocate_unpaid_primary_carer_then_top_up_then_kin_then_neighbours():
    # Recipient 0 needs 5 (household carers 0 and 1 offer 5 and 4); recipient 1 needs 12
    # (household carers 2 and 3 offer 5 and 4, relative 4 offers 1.5, neighbour 5 offers
    # 2); recipient 2 needs 3 (the same neighbour 5).
    family, kin, neighbour = 0, 1, 2
    owner = ints(0, 0, 1, 1, 1, 1, 2)
    carer = ints(0, 1, 2, 3, 4, 5, 5)
    kind = np.array([family, family, family, family, kin, neighbour, neighbour], np.int8)
    offers = np.array([[5, 4, 5, 4, 0, 0], [0, 0, 0, 0, 1.5, 0], [0, 0, 0, 0, 0, 2]],
                      dtype=np.float32)
    need = floats(5, 12, 3)
    remaining = need.copy()
    given, received = unpaid_care.allocate_unpaid(owner, carer, kind, offers, remaining)
    # The primary carer (largest offer) meets recipient 0 alone, so carer 1 gives nothing
    # (shared in proportion it would be 25/9 and 20/9). Recipient 1: primary carer 2 gives
    # 5, carer 3 tops up 4, the relative 1.5; the neighbour splits 2 over recipients 1
    # and 2, 1 each, leaving 0.5 and 2 unmet.
    assert given[family] == pytest.approx([5, 0, 5, 4, 0, 0])
    assert given[kin] == pytest.approx([0, 0, 0, 0, 1.5, 0])
    assert given[neighbour] == pytest.approx([0, 0, 0, 0, 0, 2])
    assert received[family] == pytest.approx([5, 9, 0])
    assert received[kin] == pytest.approx([0, 1.5, 0])
    assert received[neighbour] == pytest.approx([0, 1, 1])
    assert remaining == pytest.approx([0, 0.5, 2])
    # hours conserved: need = received + remaining; given by carers = received
    assert need == pytest.approx(received.sum(axis=0) + remaining)
    assert given.sum(axis=1) == pytest.approx(received.sum(axis=1))


def test_a_neighbours_drop_in_is_company_beyond_the_need_left():
    # One neighbour offers 2 hours to a recipient with half an hour of need left: they
    # stay an hour and a half, the need met and NEIGHBOUR_COMPANY_HOURS of company.
    remaining = floats(0.5)
    given, received = unpaid_care.allocate_unpaid(
        ints(0), ints(0), np.array([2], np.int8),
        np.array([[0.0], [0.0], [2.0]], np.float32), remaining)
    assert received[2].tolist() == [1.5] and given[2].tolist() == [1.5]
    assert remaining.tolist() == [0.0]


def test_paid_hours_are_the_package_up_to_the_everyday_need_left():
    package = np.float32(12.5 / 7)
    assert formal_care.paid_hours(np.float32(5.0), package) == package
    assert formal_care.paid_hours(np.float32(1.0), package) == 1.0
    assert formal_care.paid_hours(np.float32(1.0), np.float32(0.0)) == 0.0


def run_packages(package_hours, wait_day, in_hospital, frailty, **overrides):
    p = params(**{"residents": 1000, "paid_care_hours_per_1000": 35.0,
                  "budget_hours": 7.0, "need_threshold": 0.5, "need_max_hours": 140.0,
                  "eligibility_hours": 70.0, **overrides})
    return formal_care._run_packages(package_hours, wait_day, in_hospital, frailty,
                                     health.need_terms(p), formal_care.formal_terms(p))


def test_packages_start_oldest_first_within_the_supply_and_end_when_no_longer_needed():
    # Supply: 35 hours a week per 1000 = 5 a day; a package is 1 hour a day. Frailty 1 is
    # 20 hours a day of lasting need, above the 10 a day that qualify; 0.5 needs none.
    package = np.float32(1.0)
    hours = floats(1, 1, 1, 0, 0, 0, 0, 0)
    wait = np.array([NEVER, NEVER, NEVER, 9, 4, 7, 2, NEVER], np.int32)
    frailty = floats(1, 1, 0.5, 1, 1, 1, 1, 1)
    in_hospital = bools(False, False, False, False, False, False, False, False)
    running, waiting = run_packages(hours, wait, in_hospital, frailty)
    # resident 2's package ends (no lasting need at home); 2 running leave room for 3
    # more: the queue's oldest, residents 6 (day 2), 4 (day 4), 5 (day 7); 3 waits
    assert hours.tolist() == [package, package, 0, 0, package, package, package, 0]
    assert wait[3] == 9 and all(wait[[4, 5, 6]] == NEVER)
    assert (running, waiting) == (5, 1)


def test_a_package_is_kept_through_a_hospital_stay():
    hours, wait = floats(1.0), np.array([NEVER], np.int32)
    running, _ = run_packages(hours, wait, bools(True), floats(0.0))  # no need today
    assert hours.tolist() == [1.0] and running == 1


# Two posts; residents 0-3 in post 0's patch, 4-5 in post 1's. Post 0 has 2.5 hours
# left, post 1 has 10. Visits are an hour each.
VISIT = dict(professional_hours_per_case=1.0, follow_up_window_days=7,
             professional_gap_close=1.0)


def visit_day(everyday, skilled, referred, notify_day, followed_up, has_carer=None,
              discharged_day=None, day=20):
    n = len(everyday)
    needy = np.arange(n)
    p = params(**VISIT)
    state = dict(
        everyday_left=floats(*everyday), skilled_left=floats(*skilled),
        has_carer=bools(*(has_carer or [False] * n)),
        need=floats(*[e + k for e, k in zip(everyday, skilled, strict=True)]),
        # a referral is made the day the community hears
        referred_day=np.where(bools(*referred), notify_day, NEVER).astype(np.int32),
        notify_day=np.array(notify_day, np.int32),
        discharged_day=np.array(discharged_day or [d - 1 if d != NEVER else NEVER
                                                   for d in notify_day], np.int32),
        followed_up_day=np.array(followed_up, np.int32),
        gaps=np.full(n, GAP_MEDICINES | GAP_HOME_SAFE, np.uint8),
        care_decision_day=np.full(n, NEVER, np.int32),
        assessed_day=np.full(n, NEVER, np.int32))
    hours_available, hours_used = floats(3.0, 10.0), floats(0.5, 0.0)
    out = formal_care.VisitOutcome(*formal_care._visit(
        needy, state["everyday_left"], state["skilled_left"], state["has_carer"],
        state["need"], state["referred_day"], state["notify_day"], state["discharged_day"],
        state["followed_up_day"], state["gaps"], state["care_decision_day"],
        state["assessed_day"], np.zeros(n, bool), ints(0, 1), ints(0, 0, 0, 0, 1, 1)[:n],
        hours_available, hours_used, day,
        formal_care.formal_terms(p), rng()))
    return out, state, hours_used


def test_professionals_visit_by_priority_within_their_hours():
    # 0: referred, heard day 15, not yet seen; 1: heard day 18, not yet seen;
    # 2: seen on day 16, skilled need left; 3: in need, nothing to do with a discharge.
    out, s, used = visit_day(everyday=[2, 2, 2, 3, 0, 0], skilled=[1, 1, 1, 0, 0, 0],
                             referred=[True, True, True, False, False, False],
                             notify_day=[15, 18, 12, NEVER, NEVER, NEVER],
                             followed_up=[NEVER, NEVER, 16, NEVER, NEVER, NEVER])
    given = out.professional
    # Post 0 has 2.5 hours. Scheduled skilled care comes first (2's visit, an hour),
    # then follow-ups oldest first: 0 gets a whole visit; 1's no longer fits. The half
    # hour left is shared by 1 and 3 in proportion to their requests, skilled first.
    assert given[:4] == pytest.approx([1.0, 0.25, 1.0, 0.25])
    assert s["skilled_left"][:3] == pytest.approx([0.0, 0.75, 0.0])
    assert used[0] == pytest.approx(3.0)  # never more than the post has
    assert s["followed_up_day"][:2].tolist() == [20, NEVER] and out.follow_ups == 1
    assert out.follow_ups_late == 1  # heard before today
    assert out.follow_up_queue == 1  # 1 still queues
    # The first visit checked the basics: medicines closed, an unsafe home to decide.
    assert s["gaps"][0] == GAP_HOME_SAFE and s["care_decision_day"][0] == 20
    assert s["gaps"][1] == GAP_MEDICINES | GAP_HOME_SAFE
    assert s["assessed_day"][:2].tolist() == [NEVER, NEVER]  # no hours left to assess


def test_care_decisions_are_assessed_as_hours_allow_hospital_first():
    # Post 1 has 10 hours: decision_hours 0.5 each. Residents 4 and 5 have care decisions
    # raised on days 15 and 12; both are assessed (hours allow), and no visit is owed.
    p = params(**VISIT, decision_hours=0.5)
    n = 6
    raised = np.array([NEVER, NEVER, NEVER, NEVER, 15, 12], np.int32)
    assessed = np.full(n, NEVER, np.int32)
    used = floats(0.5, 0.0)
    out = formal_care.VisitOutcome(*formal_care._visit(
        ints(), floats(), floats(), bools(), floats(*[0] * n), np.full(n, NEVER, np.int32),
        np.full(n, NEVER, np.int32), np.full(n, NEVER, np.int32),
        np.full(n, NEVER, np.int32), np.zeros(n, np.uint8), raised, assessed,
        bools(False, False, False, False, False, True), ints(0, 1), ints(0, 0, 0, 0, 1, 1),
        floats(3.0, 0.6), used, 20, formal_care.formal_terms(p), rng()))
    # Post 1 has 0.6 hours: one assessment fits, the patient in hospital's (resident 5)
    assert assessed.tolist() == [NEVER] * 5 + [20] and out.assessments == 1
    assert used[1] == pytest.approx(0.5)


def test_a_referral_past_its_window_is_missed_and_unseen_if_no_one_asks():
    out, s, _ = visit_day(everyday=[1, 1], skilled=[1, 1], referred=[True, False],
                          notify_day=[13, 18], followed_up=[NEVER, NEVER])
    assert out.follow_ups_missed == 1  # resident 0: heard day 13, window of 7 ends today
    # neither is followed up (resident 1 was never referred and has no carer); both get
    # a visit's help from the hours spare, skilled need first
    assert s["followed_up_day"].tolist() == [NEVER, NEVER] and out.follow_ups == 0
    assert out.professional == pytest.approx([1.0, 1.0])
    assert s["skilled_left"].tolist() == [0.0, 0.0]


def test_a_carer_gets_an_unreferred_patient_seen():
    out, s, _ = visit_day(everyday=[1], skilled=[1], referred=[False], notify_day=[NEVER],
                          followed_up=[NEVER], has_carer=[True], discharged_day=[17])
    assert s["followed_up_day"].tolist() == [20] and out.follow_ups == 1


def test_a_referred_patient_with_no_need_today_is_followed_up_all_the_same():
    # No one is in need today. Resident 0 was referred on day 18: the follow-up checks
    # the basics (a whole visit from post 0's 2.5 hours, no care given). Resident 1's
    # window (7 days from day 13) ends today unvisited: missed. Without the follow-up
    # of residents not in need (formal_care._visit's ``to_follow``), neither is seen or
    # counted.
    p = params(**VISIT)
    referred = np.array([18, 13], np.int32)
    followed_up = np.full(2, NEVER, np.int32)
    gaps = np.full(2, GAP_MEDICINES | GAP_HOME_SAFE, np.uint8)
    used = floats(0.5, 0.0)
    out = formal_care.VisitOutcome(*formal_care._visit(
        ints(), floats(), floats(), bools(), floats(0, 0), referred, referred,
        referred - 1, followed_up, gaps, np.full(2, NEVER, np.int32),
        np.full(2, NEVER, np.int32), bools(False, False), ints(0, 1), ints(0, 0),
        floats(3.0, 10.0), used, 20, formal_care.formal_terms(p), rng()))
    assert followed_up.tolist() == [20, NEVER]
    assert out.follow_ups == 1 and out.follow_ups_late == 1  # made, late: heard day 18
    assert out.follow_ups_missed == 1
    assert used[0] == pytest.approx(1.5) and len(out.professional) == 0
    assert gaps[0] == GAP_HOME_SAFE  # medicines closed; the unsafe home goes to a decision


def test_spare_hours_go_to_everyday_need_in_proportion():
    # Post 1 (residents 4, 5) has 10 hours: both get a whole visit of everyday help.
    out, _, used = visit_day(everyday=[0, 0, 0, 0, 3, 0.5], skilled=[0] * 6,
                             referred=[False] * 6, notify_day=[NEVER] * 6,
                             followed_up=[NEVER] * 6)
    assert out.professional[4:] == pytest.approx([1.0, 0.5])
    assert used[1] == pytest.approx(1.5)


# --- loneliness -------------------------------------------------------------------------


def loneliness_step(loneliness_now, quiet, care_contact, volunteering, p):
    level = quiet * np.exp(-care_contact / np.float32(p.contact_hours))
    return each(loneliness.moved, loneliness_now, level.astype(np.float32),
                [bool(v) for v in volunteering], np.float32(p.loneliness_rate))


def test_loneliness_step():
    p = params(loneliness_rate=0.5, contact_hours=2.0)
    out = loneliness_step(
        loneliness_now=floats(0.2, 0.8, 0.8, 0.4),
        quiet=floats(0.8, 0.8, 0.8, 0.0),
        care_contact=floats(0.0, 2 * math.log(2), 0.0, 0.0),
        volunteering=bools(False, False, True, False), p=p)
    # levels: 0.8; 0.8*exp(-2ln2/2) = 0.4; volunteer 0.8*0.5 = 0.4; 0
    # halfway there: 0.2+0.3 = 0.5; 0.8-0.2 = 0.6; 0.6; 0.4-0.2 = 0.2
    assert out == pytest.approx([0.5, 0.6, 0.6, 0.2], abs=1e-6)


def test_quiet_level_is_isolation_eased_by_everyday_ties():
    p = params(contact_hours=0.1)
    out = loneliness.quiet_level(floats(0.6, 0.6), np.array([0, 2]), p)
    # two ties give 2 * 0.05 = 0.1 hours a day: exp(-0.1 / 0.1) = 1/e
    assert out == pytest.approx([0.6, 0.6 / math.e], rel=1e-6)


def test_loneliness_step_rate_extremes():
    args = (floats(0.3), floats(0.9), floats(0.0), bools(False))
    assert loneliness_step(*args, params(loneliness_rate=0.0)) == pytest.approx([0.3])
    assert loneliness_step(*args, params(loneliness_rate=1.0)) == pytest.approx([0.9])


# --- decisions --------------------------------------------------------------------------


def step_in_probability(morale_now, p):
    return each(decisions.step_in_chance, morale_now, decisions.decision_terms(p))


def manager_capacity(filled, p, generator):
    return decisions.manager_capacity(filled, p.manager_decisions_per_post, generator)


def test_step_in_probability():
    p = params(devolved_authority=0.5, staff_participation=0.3)
    # willing = min(1, m * 0.8): 0, 0.4, 0.8; times 0.5
    assert step_in_probability(floats(0, 0.5, 1), p) == pytest.approx([0, 0.2, 0.4])
    p = params(devolved_authority=0.5, staff_participation=1.0)
    assert step_in_probability(floats(1.0), p) == pytest.approx([0.5])  # capped
    p = params(devolved_authority=0.0)
    assert step_in_probability(floats(1.0), p).tolist() == [0.0]


def test_manager_capacity_whole_and_fractional():
    p = params(manager_decisions_per_post=0.5)
    assert {manager_capacity(4, p, rng(s)) for s in range(50)} == {2}
    assert manager_capacity(0, p, rng()) == 0
    p = params(manager_decisions_per_post=0.25)
    g = rng(13)
    draws = np.array([manager_capacity(3, p, g) for _ in range(N_DRAWS)])
    # 0.75 expected: 0 or 1, mean 0.75, SE sqrt(0.75*0.25/n) = 0.0031
    assert set(draws.tolist()) == {0, 1}
    assert abs(draws.mean() - 0.75) < 5 * math.sqrt(0.75 * 0.25 / N_DRAWS)


def decide(raised, patch, morale, hours_available, booked, day=10, assessed=None,
           **overrides):
    p = params(**{"manager_review_days": 3, "manager_decisions_per_post": 1.0,
                  "decision_hours": 1.0, "decisions_per_year": 0.0, **overrides})
    decision_day = np.array(raised, np.int32)
    assessed_day = np.array(assessed or [NEVER] * len(patch), np.int32)
    cover = np.arange(len(morale))  # every post filled: each serves its own patch
    out = decisions._decide(ints(), cover, ints(*patch), decision_day, assessed_day,
                            floats(*morale),
                            np.full(len(morale), NEVER, np.int32), floats(*hours_available),
                            floats(*booked), ints(*[1] * len(morale)), day,
                            decisions.decision_terms(p), rng(), rng(1))
    return out, decision_day


def test_frontline_staff_decide_at_once_what_they_assessed_and_risks_they_can_book():
    # Devolved, high morale: every decision could be taken at once. The care decisions
    # of residents 0 and 1 were raised on day 8; only 0's was assessed today. The two
    # risk decisions raised today need an hour of tomorrow each and the post has 1.5
    # left: the referral is taken, the volunteer waits.
    raised = [[8, 8, NEVER], [NEVER, NEVER, 10], [NEVER, 10, NEVER]]
    (taken, frontline, *_), left = decide(
        raised, patch=[0, 0, 0], morale=[1.0], hours_available=[2.5], booked=[1.0],
        assessed=[10, NEVER, NEVER], devolved_authority=1.0, staff_participation=1.0)
    assert frontline == 2
    assert taken[:, :2].tolist() == [[CARE_DECISION, 0], [VISIT_DECISION, 2]]
    assert left[CARE_DECISION, 1] == 8 and left[VOLUNTEER_DECISION, 1] == 10


def test_managers_serve_every_kind_oldest_first_after_the_review():
    # No devolution; managers take one a day (one post). Care decisions raised on days 2
    # and 5 and assessed on days 3 and 6, one raised on day 1 never assessed; a volunteer
    # decision raised on day 4. Review (3 days) counts from the assessment for care.
    raised = [[2, 5, 1], [NEVER, NEVER, NEVER], [NEVER, 4, NEVER]]
    (taken, frontline, waited, waiting, *_), _ = decide(
        raised, patch=[0, 0, 0], morale=[1.0], hours_available=[8.0], booked=[0.0],
        assessed=[3, 6, NEVER], devolved_authority=0.0)
    assert frontline == 0 and taken.tolist() == [[CARE_DECISION, 0, 2]]  # oldest
    assert waited == 8 and waiting == 3


def test_a_decision_taken_has_its_effect():
    p = params(risk_aversion=1.0, veto_max=1.0, eligibility_hours=70.0, budget_share=0.5,
               need_threshold=0.5, need_max_hours=140.0)
    taken = np.array([[CARE_DECISION, 0, 3], [VISIT_DECISION, 1, 3],
                      [VOLUNTEER_DECISION, 2, 3]], np.int64)
    gaps = np.array([GAP_HOME_SAFE | GAP_FOOD, 0, 0], np.uint8)
    package_hours, wait = floats(0, 0, 0), np.full(3, NEVER, np.int32)
    stage = np.array([PEER_NONE, PEER_REFERRED, PEER_NONE], np.int8)
    referred_day = np.full(3, NEVER, np.int32)
    volunteer = np.array([NOT_VOLUNTEER, NOT_VOLUNTEER, VETTING], np.int8)
    vetoed = decisions._take_effects(taken, gaps, floats(1.0, 0, 0), package_hours, wait,
                                     stage, referred_day, volunteer, floats(0.1, 0.9, 0.9), 8,
                                     decisions.decision_terms(p), health.need_terms(p), rng())
    assert gaps[0] == GAP_FOOD and wait[0] == 8  # equipment; funded: a package queued
    # A certain veto: professionals are asked to follow up, the window starting today.
    assert vetoed == 1 and stage[1] == PEER_VETOED and referred_day[1] == 8
    assert volunteer[2] == ACTIVE


def test_a_veto_keeps_an_earlier_referral_for_follow_up():
    p = params(risk_aversion=1.0, veto_max=1.0)
    taken = np.array([[VISIT_DECISION, 0, 3]], np.int64)
    stage, referred_day = np.array([PEER_REFERRED], np.int8), np.array([3], np.int32)
    decisions._take_effects(taken, np.zeros(1, np.uint8), floats(0.0), floats(0.0),
                            np.full(1, NEVER, np.int32), stage, referred_day,
                            np.zeros(1, np.int8), floats(0.5), 20,
                            decisions.decision_terms(p), health.need_terms(p), rng())
    assert stage[0] == PEER_VETOED and referred_day[0] == 3  # its window is not reopened


def test_oldest_first():
    raised = ints(5, 2, 9, 2, 7)
    assert sorted(decisions.oldest_first(raised, 2).tolist()) == [1, 3]
    assert sorted(decisions.oldest_first(raised, 3).tolist()) == [0, 1, 3]
    assert decisions.oldest_first(raised, 0).shape == (0,)
    assert sorted(decisions.oldest_first(raised, 5).tolist()) == [0, 1, 2, 3, 4]
    assert sorted(decisions.oldest_first(raised, 99).tolist()) == [0, 1, 2, 3, 4]
    assert decisions.oldest_first(ints(), 3).shape == (0,)
    # ties are first come, first served
    assert decisions.oldest_first(ints(3, 3, 3), 1).tolist() == [0]


# --- morale -----------------------------------------------------------------------------


def morale_target(step_in, overload, unmet_share, waiting_share, p):
    return each(morale.morale_target, step_in, overload.astype(np.float64),
                unmet_share.astype(np.float64), waiting_share.astype(np.float64),
                morale.morale_terms(p), dtype=np.float64)


def morale_step(morale_now, target, p):
    return each(morale.stepped, morale_now, target.astype(np.float64), p.morale_rate)


def test_morale_target():
    p = params(staff_participation=0.4)
    out = morale_target(floats(0, 1, 0.5), floats(0, 0, 2), floats(0, 1, 0.5),
                               floats(0, 0, 0.5), p)
    # base 0.45 + 0.15*0.4 = 0.51
    # 0: 0.51 + 0.2 = 0.71;  1: 0.51 + 0.25 = 0.76
    # 2: 0.51 + 0.125 + 0.1 - 0.3 (overload capped at 1) - 0.1 = 0.335
    assert out == pytest.approx([0.71, 0.76, 0.335], abs=1e-6)


def test_morale_target_is_clipped():
    high = morale_target(floats(1), floats(0), floats(0), floats(0),
                                params(staff_participation=1.0))  # 1.05
    low = morale_target(floats(0), floats(5), floats(1), floats(1),
                               params(staff_participation=0.0))  # -0.05
    assert high.tolist() == [1.0] and low.tolist() == [0.0]


def test_morale_step():
    p = params(morale_rate=0.1)
    assert morale_step(floats(0.5, 0.5), floats(1.0, 0.0), p) == \
        pytest.approx([0.55, 0.45])
    assert morale_step(floats(0.5), floats(1.0), params(morale_rate=1.0)).tolist() == [1]


def test_effectiveness():
    assert [morale.effectiveness(m) for m in floats(0, 0.5, 1)] == pytest.approx(
        [0.7, 0.85, 1.0])


def leaving_probability(morale_now, p):
    return each(morale.leaving_chance, morale._attrition_growth(morale_now),
                np.float32(p.attrition_rate))


def test_leaving_probability():
    p = params(attrition_rate=0.365)
    out = leaving_probability(floats(0.6, 0.35, 1.0), p)
    # at the reference 0.6: 0.001/day; 0.25 below: x exp(4*0.25) = e; 0.4 above: x exp(-1.6)
    daily = [0.001, 0.001 * math.e, 0.001 * math.exp(-1.6)]
    assert out == pytest.approx([1 - math.exp(-h) for h in daily], rel=1e-6)
    assert leaving_probability(floats(0.0), params(attrition_rate=0.0)).tolist() == [0]


# --- strain -----------------------------------------------------------------------------


def strain_step(strain_now, hours, p):
    return each(strain.strained, strain_now, hours, strain.strain_terms(p))


def test_strain_step():
    p = params(strain_threshold=5.0, strain_scale=10.0, strain_recovery=0.1)
    out = strain_step(floats(0.0, 1.0, 0.5), floats(7.0, 5.0, 3.0), p)
    # 0 + (7-5)/10 = 0.2; exactly at threshold adds nothing: 0.9; below: 0.45
    assert out == pytest.approx([0.2, 0.9, 0.45])


def test_strain_settles_at_documented_steady_state():
    p = params(strain_threshold=5.0, strain_scale=150.0, strain_recovery=0.05)
    s = floats(0.0, 2.0)
    for _ in range(1000):
        s = strain_step(s, floats(8.0, 8.0), p)
    # excess 3 / (150 * 0.05) = 0.4, from below and above
    assert s == pytest.approx([0.4, 0.4], abs=1e-4)


def test_strain_left_to_fade_reaches_zero():
    # Without DECAY_FLOOR (drop `above_floor` in strain.strained) strain fades into
    # float32's subnormal numbers and sticks there, a few units above 0, for ever.
    p = params(strain_threshold=5.0, strain_recovery=0.1)
    s = floats(0.3)
    for _ in range(2_000):
        s = strain_step(s, floats(0.0), p)
    assert s.tolist() == [0.0]


def test_burning_out_at_the_threshold_unless_already_resting():
    day = 10
    strains, until = floats(1.0, 0.99, 1.5, 2.0, 1.2), ints(NEVER, NEVER, 0, 12, 10)
    out = [k for k in range(5) if strain.burns_out(strains[k], int(until[k]), day)]
    # 0 at exactly BURNOUT_AT; 1 below it; 2 rested before; 3 resting until day 12;
    # 4's rest ends today, so they can burn out again
    assert out == [0, 2, 4]


def test_burnout_raises_the_carers_own_frailty() -> None:
    p = params(residents=300, warmup_days=0, burnout_frailty=0.08, burnout_days=28,
               strain_recovery=0.05)
    town = start(p, seed=1)
    s = town.state
    s.strain[:] = 0.0
    s.strain[[5, 6]] = 2.0  # well past burnout after today's recovery (2 x 0.95)
    s.frailty[[5, 6]] = floats(0.3, 0.95)
    s.given_today[:] = 0.0
    before = s.frailty.copy()
    tally = strain.strain(town)
    assert s.frailty[5] == pytest.approx(0.38) and s.frailty[6] == 1.0  # capped at 1
    assert (tally.carers_burnt_out, tally.carers_strained) == (2, 0)  # resting, not strained
    others = np.setdiff1d(np.arange(300), [5, 6])
    assert np.array_equal(s.frailty[others], before[others])
    assert s.burnout_until[[5, 6]].tolist() == [town.day + 28] * 2
    assert s.strain[[5, 6]] == pytest.approx([strain.STRAINED_ABOVE] * 2)


def test_no_substitution_draw_when_peer_substitution_is_zero() -> None:
    # docs/ODD.md 2.7: with peer_substitution = 0 the scheme adds no draw to the
    # discharge stream, so an arm with the scheme stays paired with one without.
    def discharge_stream_after(**overrides: object) -> dict:
        town = start(params(residents=300, warmup_days=0, **overrides), seed=2)
        heard = ints(3, 40, 77)
        town.state.notify_day[heard] = town.day
        town.state.gaps[heard] = GAP_MEDICINES | GAP_FOOD
        discharge.discharge(town)
        return town.streams["discharge"].bit_generator.state

    without = discharge_stream_after(peer_scheme=False)
    assert discharge_stream_after(peer_scheme=True, peer_substitution=0.0) == without
    assert discharge_stream_after(peer_scheme=True, peer_substitution=0.5) != without


def test_a_stay_of_s_days_ends_s_days_after_admission() -> None:
    # Removed (decrementing the stay on the admission day too): a one-day stay would
    # end on the day of admission, and every stay a day short of its mean.
    p = params(residents=300, warmup_days=0, stay_days_older=1.0, stay_days_younger=1.0,
               eligibility_hours=168.0)  # no one waits for a package
    town = start(p, seed=3)
    s = town.state
    s.in_hospital[:] = False
    town.state.admitted_today = ints(10, 11)
    town.day += 1
    hospital.hospital(town)
    assert s.in_hospital[[10, 11]].all()  # admitted today, fit tomorrow
    town.state.admitted_today = ints()
    town.day += 1
    hospital.hospital(town)
    assert not s.in_hospital[[10, 11]].any()
    assert (s.discharged_day[[10, 11]] - s.admitted_day[[10, 11]]).tolist() == [1, 1]


def test_a_vacant_patchs_decisions_fall_to_the_covering_post() -> None:
    # A resident of a vacant patch raises a risk decision today; with step-in certain
    # the covering post's staff take it at once and book the time to that post.
    # Removed (deciding by the resident's own post): the vacant post never steps in,
    # so the decision waits for a manager.
    p = params(residents=2_000, warmup_days=0, professionals_per_1000=2.0,
               devolved_authority=1.0, staff_participation=0.5, decision_hours=0.5,
               decisions_per_year=0.0)
    town = start(p, seed=5)
    s = town.state
    town.day += 1
    s.morale[:] = 1.0
    s.vacant_until[:] = NEVER
    s.vacant_until[0] = town.day + 10
    s.decision_day[:] = NEVER
    s.decision_time[:] = 0.0
    resident = int(np.flatnonzero(town.pop.patch == 0)[0])
    s.decision_day[VISIT_DECISION, resident] = town.day
    counts = decisions.decisions(town)
    assert counts.decisions_frontline == 1
    assert s.decision_time[0] == 0.0 and s.decision_time[1] == pytest.approx(0.5)


def test_a_volunteer_recovering_from_their_own_stay_takes_no_new_patient() -> None:
    # Resident 7 volunteers and is waiting for support after a discharge of their own;
    # with no other volunteer they stay waiting (removed: they were matched to
    # themselves, the only free place in town).
    p = params(residents=300, warmup_days=0, peer_scheme=True,
               initial_volunteers_per_1000=0.0, volunteer_tiring=0.0)
    town = start(p, seed=4)
    s = town.state
    s.volunteer[:] = NOT_VOLUNTEER
    s.in_hospital[:] = False
    s.volunteer[7], s.discharged_day[7] = ACTIVE, town.day - 3
    s.peer_stage[7] = PEER_APPROVED
    counts = co_production.co_production(town)
    assert s.peer_stage[7] == PEER_APPROVED and s.supporter[7] == -1
    assert counts.peer_waiting == 1


# --- moving means -----------------------------------------------------------------------


def test_a_moving_mean_no_one_tops_up_reaches_zero_and_is_never_subnormal() -> None:
    # Without DECAY_FLOOR (drop `above_floor` in care._moving_means) a mean decays into
    # float32's subnormal numbers and sticks a few units above 0 (n units times 6/7
    # rounds back to n), which is slow to multiply: multi-year runs slowed by half.
    tiny = np.finfo(np.float32).tiny
    decaying = floats(2.0, 1e-30, 1.01 * tiny)  # outside ``where``: it decays
    moved = floats(2.0, 1e-30, 1.01 * tiny)  # inside, toward a day of 0 hours
    nobody, everyone = ints(), np.arange(3)
    for _ in range(1_000):
        _moving_means((decaying,), nobody, (floats(),))
        _moving_means((moved,), everyone, (floats(0.0, 0.0, 0.0),))
        for means in (decaying, moved):
            assert not ((means > 0) & (means < tiny)).any()
    assert decaying.tolist() == moved.tolist() == [0.0, 0.0, 0.0]


def test_no_state_of_a_town_run_for_years_is_subnormal() -> None:
    # Every decaying float32 field (moving means, strain) settles at 0, not below the
    # smallest normal float; with DECAY_FLOOR removed, moving means of people who cared
    # long ago stay subnormal.
    town = start(params(residents=400, peer_scheme=True), seed=2)
    for _ in range(1_000):
        advance(town)
    subnormal = {name: int(((values != 0) & (np.abs(values) < np.finfo(values.dtype).tiny)).sum())
                 for name, values in vars(town.state).items()
                 if isinstance(values, np.ndarray) and values.dtype.kind == "f"}
    assert sum(subnormal.values()) == 0, subnormal
