"""Metric declarations: labels, and the to-date columns of the headline outcomes."""

from __future__ import annotations

import pytest

from simulation import run
from simulation.metrics import BY_NAME, HEADLINE, METRICS, TO_DATE, summarise


def test_every_metric_has_a_label_people_can_read() -> None:
    for m in METRICS:
        assert m.label and m.label != m.name and "_" not in m.label, m.name


def test_to_date_columns_hold_the_runs_summary_so_far_on_every_day() -> None:
    daily = run("peer_visits", seed=4, days=60, residents=1_500).daily
    for day in (1, 17, 60):
        head = daily.iloc[:day]
        expected = summarise({name: head[name].to_numpy() for name in daily.columns})
        for m in TO_DATE:
            assert daily[m.name].iloc[day - 1] == pytest.approx(expected[m.of], rel=1e-9,
                                                               abs=1e-12), (m.name, day)


def test_each_headline_outcome_has_one_to_date_column() -> None:
    assert sorted(m.of for m in TO_DATE) == sorted(HEADLINE)
    assert all(BY_NAME[m.of].report is not None for m in TO_DATE)


@pytest.mark.parametrize("group, setting", [("women", {"female_share": 1.0}),
                                            ("women", {"men_care_propensity": 0.0}),
                                            ("minority", {"minority_share": 1.0})])
def test_a_group_that_gives_all_unpaid_care_has_a_share_of_one_and_never_more(
        group: str, setting: dict[str, float]) -> None:
    # The group's hours are summed giver by giver and the whole recipient by recipient;
    # without the cap at the whole in rules/care.py the share passes 1 by a float32
    # rounding on about half the days (checked by removing both min(..., unpaid)).
    result = run(None, seed=1, days=60, residents=2_000, **setting)
    share = result.daily[f"unpaid_share_{group}"]
    cared = result.daily["unpaid_hours"] > 0
    assert cared.all()
    assert (share <= 1.0).all() and (share >= 1.0 - 1e-6).all()
    for name in (f"unpaid_share_{group}", f"unpaid_share_{group}_to_date"):
        assert 1.0 - 1e-6 <= result.summary[name] <= 1.0


def test_where_all_need_is_skilled_nursing_its_part_is_never_above_the_whole() -> None:
    # Skilled need is summed over those in need and all need town-wide; with no lasting
    # need (need_threshold 1) the part passes the whole in the last place on about a
    # fifth of the days without the cap in rules/care.py (checked by removing it).
    daily = run(None, seed=0, days=120, residents=2_000, need_threshold=1.0,
                recovery_need_hours=80.0, professionals_per_1000=0.05).daily
    assert (daily["skilled_need_hours"] > 0).mean() > 0.9
    assert (daily["skilled_need_hours"] <= daily["need_hours"]).all()
    assert (daily["skilled_need_hours"] >= daily["need_hours"] * (1 - 1e-6)).all()
    assert (daily["skilled_unmet_hours"] <= daily["skilled_need_hours"]).all()


def test_where_no_need_is_met_unmet_care_is_all_of_it_and_never_more() -> None:
    # All need skilled (need_threshold 1) and visits of no hours: nothing meets need, so
    # unmet care is all of it; summed over those in need against all need town-wide, it
    # passed the whole in the last place without the cap in rules/care.py (checked by
    # removing it: on most days).
    daily = run(None, seed=0, days=60, residents=2_000, need_threshold=1.0,
                recovery_need_hours=80.0, professional_hours_per_case=0.0).daily
    assert (daily["need_hours"] > 0).all()
    assert (daily["unmet_hours"] <= daily["need_hours"]).all()
    assert (daily["unmet_hours"] >= daily["need_hours"] * (1 - 1e-6)).all()
    assert (daily["skilled_unmet_hours"] <= daily["unmet_hours"]).all()
