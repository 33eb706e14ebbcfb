"""The model's mechanisms bind: each moves outcomes, and stops when it is removed.

Every comparison is paired (the same seeds, so the same towns and as many of the same
draws as the rules allow) over ``SEEDS``, at a small size (``SIZE``). The tolerances
come from 12 seeds of each comparison at this size (seeds 0-11), measured by the
comparison itself: the mean paired difference, and its standard deviation ``sd``, so
that a mean of 6 has a standard error of ``sd / sqrt(6)``. Each test says how the
mechanism is removed to show the test depends on it: a setting (``formal_crowd_out =
0``...) or, where no setting does, a patch.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from simulation import run
from simulation.rules import care

SIZE = {"residents": 5_000, "days": 180}
SEEDS = range(6)


@functools.cache
def _summary(scenario: str, seed: int, overrides: tuple = ()) -> dict[str, float]:
    return run(scenario, seed=seed, **SIZE, **dict(overrides)).summary


def _paired(a: tuple[str, dict], b: tuple[str, dict], metric: str) -> np.ndarray:
    """Arm ``b`` minus arm ``a``, seed by seed (each arm: scenario, overrides)."""
    return np.array([_summary(b[0], s, tuple(sorted(b[1].items())))[metric]
                     - _summary(a[0], s, tuple(sorted(a[1].items())))[metric]
                     for s in SEEDS])


# -- 1. care shifts between sources ---------------------------------------------------

CUT = {"budget_share": 0.1, "paid_care_hours_per_1000": 20.0}  # formal care only


def test_cutting_paid_care_moves_hours_onto_families_as_far_as_they_step_up() -> None:
    # Family hours added by the cut, at three strengths of crowd-out (12 seeds, and the
    # means of seeds 0-5, 6-11 and 12-17): 1.0 +2,530 (sd 1,269), 0.5 +1,152 (sd 1,290),
    # 0.0 -169 (sd 1,395). Towns differ a lot, but on the same seeds the order is firm:
    # 1.0 over 0.5 by +1,377 (sd 405; +1,526, +1,229, +1,336), 0.5 over 0.0 by +1,321
    # (sd 473; +1,427, +1,216, +909). Removed: at formal_crowd_out = 0 families do not
    # respond to paid care at all, so each level would move what 0 moves and both steps
    # of the order would be none.
    def moved_by_cut(crowd_out: float, metric: str) -> np.ndarray:
        base = {"formal_crowd_out": crowd_out}
        return _paired(("baseline", base), ("baseline", {**base, **CUT}), metric)

    full, half, none = (moved_by_cut(c, "family_hours") for c in (1.0, 0.5, 0.0))
    root = np.sqrt(len(SEEDS))
    assert full.mean() > 2530 - 4 * 1269 / root
    assert (full - half).mean() > 1377 - 4 * 405 / root
    assert (half - none).mean() > 1321 - 4 * 473 / root
    # the cut itself (about -6,200 hours), on the runs above
    assert moved_by_cut(0.5, "paid_hours").mean() < -3_000


def test_a_carer_gets_recovering_patients_seen_so_unpaid_care_complements_nursing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The community never hears of a discharge here, so only carers' asks bring
    # professionals to recovering patients. Removed: no one counts as having a carer
    # (the threshold patched out of reach), and no follow-up is made at all.
    unheard = {"notify_prob": 0.0, "lead_professional_share": 0.0, "residents": 3_000,
               "days": 90}
    seen = run("baseline", seed=1, **unheard).summary["follow_ups"]
    assert seen > 30
    monkeypatch.setattr(care, "CARER_MIN_HOURS_WEEK", 1e9)
    assert run("baseline", seed=1, **unheard).summary["follow_ups"] == 0


# -- 2. capacity is honest ------------------------------------------------------------


def test_no_post_is_charged_more_hours_in_a_day_than_it_has() -> None:
    # Checked in the state every day, at a staffing where demand far exceeds the hours,
    # with devolved decisions booking time: used never exceeds available (to float32).
    # Removed: dropping the capacity check of a visit (``spare[post] < cost`` in
    # formal_care._visit) makes used exceed available within days.
    from simulation.day import PHASES, begin_day, start
    from simulation.params import Params

    town = start(Params.from_overrides({"residents": 3_000, "warmup_days": 20,
                                        "professionals_per_1000": 0.3,
                                        "devolved_authority": 1.0,
                                        "staff_participation": 1.0}), seed=2)
    s, busy_days = town.state, 0
    for _ in range(60):
        begin_day(town)
        for phase in PHASES:
            counts = phase.run(town)
            if phase.name == "care":  # the day's work is done: today's hours hold
                assert np.all(s.hours_used <= s.hours_available * (1 + 1e-6))  # float32
                busy_days += counts.professional_time >= 0.99 * counts.professional_capacity
            # decisions taken at once are booked on the next day's hours, never past them
            assert np.all(s.decision_time <= s.hours_available)
    assert busy_days > 50  # the hours did bind


def test_more_posts_mean_fewer_missed_follow_ups_and_less_unmet_need() -> None:
    # measured: 0.6 against 2.4 posts per 1000, +86.3 missed follow-ups (sd 19.8);
    # 2.4 against 9.6, +18,770 unmet hours (sd 3,134): spare hours go to care needed.
    missed = _paired(("baseline", {"professionals_per_1000": 2.4}),
                     ("baseline", {"professionals_per_1000": 0.6}), "follow_ups_missed")
    assert missed.mean() > 86.3 - 4 * 8.09
    unmet = _paired(("baseline", {"professionals_per_1000": 9.6}),
                    ("baseline", {"professionals_per_1000": 2.4}), "unmet_hours")
    assert unmet.mean() > 18_770 - 4 * 1_280


@pytest.mark.parametrize(("setting", "missed"), [
    ({"professionals_per_1000": 20.0}, 0), ({"professionals_per_1000": 0.05}, None)])
def test_staffing_at_its_limits(setting: dict, missed: int | None) -> None:
    summary = run("baseline", seed=3, residents=3_000, days=120, **setting).summary
    if missed is None:  # one post for the town: work that does not fit is missed
        assert summary["follow_ups_missed"] > 0
    else:
        assert summary["follow_ups_missed"] == missed


# -- 3. co-production as the seed describes it ----------------------------------------


def test_a_peer_visit_is_worth_little_where_the_home_is_already_covered() -> None:
    # Basics missing after discharge (gap-days), scheme against none, with devolved
    # decisions and ample staff (9.6 posts per 1000) whose follow-ups close every gap
    # they find (12 seeds, and the means of seeds 0-5, 6-11 and 12-17): with no
    # professional follow-up the scheme closes -1,132 (sd 237; -1,100, -1,163, -1,159);
    # where every patient is followed up, -9 (sd 191; -14, -4, +30), for the gaps are
    # closed before a volunteer comes. Removed: follow-ups that close nothing
    # (professional_gap_close = 0) leave the gaps to the volunteer, who then closes
    # -1,520 (sd 706) even where every patient is followed up. (At the default settings
    # the same contrast is -1,380 against -1,125, sd of the difference 637: too close
    # to tell apart at this size.)
    def effect(follow_up_share: float, **extra: float) -> np.ndarray:
        setting = {"follow_up_share": follow_up_share, "professionals_per_1000": 9.6,
                   "professional_gap_close": 1.0, **extra}
        return _paired(("devolved_decisions", setting),
                       ("co_production_and_subsidiarity", setting), "basics_missing")

    assert effect(0.0).mean() < -1132 + 4 * 237 / np.sqrt(len(SEEDS))
    assert abs(effect(1.0).mean()) < 4 * 191 / np.sqrt(len(SEEDS))


def test_vetoes_and_long_vetting_each_cost_basics_missing() -> None:
    # Risk aversion 0 against 1, scheme and devolution on, at 0.6 posts per 1000, with
    # one of its two channels held still in both arms (gap-days, 12 seeds, and the
    # means of seeds 0-5, 6-11 and 12-17). Vetoes alone (checks a week in both):
    # +1,067 (sd 620; +932, +1,202, +843): a vetoed patient goes back to professionals,
    # who come later than a volunteer or not at all. Vetting alone (no vetoes; checks of
    # 7 against up to 180 days): +1,518 (sd 565; +1,545, +1,491, +1,300): the pool fills
    # more slowly. Removed: with both held still, risk aversion acts on nothing and the
    # two arms are the same run.
    def cost(**held: float) -> np.ndarray:
        base = {"professionals_per_1000": 0.6, **held}
        return _paired(("co_production_and_subsidiarity", {**base, "risk_aversion": 0.0}),
                       ("co_production_and_subsidiarity", {**base, "risk_aversion": 1.0}),
                       "basics_missing")

    no_veto, week_checks = {"veto_max": 0.0}, {"vetting_days_max": 7.0}
    assert cost(**week_checks).mean() > 1067 - 4 * 620 / np.sqrt(len(SEEDS))
    assert cost(**no_veto, vetting_days_max=180.0).mean() > 1518 - 4 * 565 / np.sqrt(len(SEEDS))
    assert np.all(cost(**no_veto, **week_checks) == 0)


def test_reciprocity_grows_the_pool_and_the_pool_limits_the_scheme() -> None:
    # Being supported doubles the chance of saying yes (reciprocity_boost 2) against no
    # boost (1): measured +4.7 volunteers (sd 3.2) and +9.1 patients reached (sd 11.5)
    # over 180 days, with devolution. Removed: reciprocity_boost = 1 is the removal.
    arms = (("co_production_and_subsidiarity", {"reciprocity_boost": 1.0}),
            ("co_production_and_subsidiarity", {}))
    assert _paired(*arms, "volunteers").mean() > 0
    assert _paired(*arms, "peer_first_visits").mean() > 0


def test_no_willing_volunteers_means_no_visits() -> None:
    summary = run("co_production_and_subsidiarity", seed=1, residents=3_000, days=120,
                  volunteer_willingness=0.0, initial_volunteers_per_1000=0.0).summary
    assert summary["peer_visits"] == 0 and summary["volunteers"] == 0


# -- 4. the "only if" as mechanism ----------------------------------------------------


def test_the_scheme_works_only_as_fast_as_its_decisions_are_taken() -> None:
    # Under managers the scheme's referrals wait for review: measured -568 gap-days
    # (sd 699) for the scheme; with instant managers (review 0 days, ample throughput)
    # -1,043 (sd 364). The difference is the decision queue; removing the queue (the
    # instant managers) is the removal.
    slow = _paired(("baseline", {}), ("peer_visits", {}), "basics_missing")
    fast_managers = {"manager_review_days": 0, "manager_decisions_per_post": 10.0}
    fast = _paired(("baseline", fast_managers), ("peer_visits", fast_managers),
                   "basics_missing")
    assert fast.mean() < slow.mean() < 0
