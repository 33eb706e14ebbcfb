"""The national targets say what they compare: a published figure against the model's."""

from __future__ import annotations

from simulation.targets import BY_KEY


def test_the_sexes_carer_targets_say_they_compare_a_standardised_figure_with_a_crude_rate(
) -> None:
    everyone = BY_KEY["carer_prevalence_5plus"]
    crude = f"{everyone.value:.2%}"  # the gap quoted is the all-residents target's own
    assert crude in everyone.published and "8.9% age-standardised" in everyone.published
    for key in ("carer_prevalence_women_5plus", "carer_prevalence_men_5plus"):
        target = BY_KEY[key]
        assert "age-standardised" in target.published
        assert "age-standardised" in target.why and "crude" in target.why
        assert f"crude rate is {crude} and the standardised 8.9%" in target.why
