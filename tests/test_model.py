"""Whole-model checks: daily invariants, reproducibility, limits, the Mesa interface."""

from __future__ import annotations

import pickle

import mesa
import networkx as nx
import numpy as np
import pytest

from simulation import CareModel, Params, evaluate, run
from simulation.agents import Resident
from simulation.day import advance, start
from simulation.inputs import MAX_SEED, InputError
from simulation.metrics import NAMES, DailyReport
from simulation.network import EDGE_KINDS
from simulation.params import ParamError
from simulation.state import RECOVERY_DAYS
from simulation.town import Town

SOURCES = ("peer", "paid", "family", "kin", "neighbour", "professional", "unmet")


def _assert_hours_conserved(tally) -> None:
    """Need = each source - unpaid hours beyond need + unmet (to float32 rounding).

    No source is negative, and the hours beyond need are at most the unpaid hours.
    """
    given = sum(tally.hours[k] for k in SOURCES)
    assert given - tally.beyond_need_hours == pytest.approx(tally.need_hours, rel=1e-4)
    assert all(tally.hours[k] >= 0 for k in SOURCES)
    assert 0 <= tally.beyond_need_hours <= sum(
        tally.hours[k] for k in ("family", "kin", "neighbour")) + 1e-3


def test_hours_are_conserved_and_nothing_goes_negative_every_day(town: Town) -> None:
    s = town.state
    report = DailyReport()
    for _ in range(60):
        tally = advance(town)
        metrics = report(town, tally)
        _assert_hours_conserved(tally)
        assert all(v >= 0 for k, v in metrics.items() if k != "day"), metrics
        assert np.all((s.frailty >= 0) & (s.frailty <= 1))
        assert np.all(s.strain >= 0) and np.all(s.need >= 0)
        # roles consistent: nobody in hospital needs care at home or gives care today
        assert not np.any(s.need[s.in_hospital] > 0)
        assert not np.any(s.given_today[s.in_hospital] > 0)
        # children never give unpaid care
        assert not np.any(s.given_today[~town.pop.adult] > 0)
        assert metrics["readmissions_30d"] <= metrics["admissions"]
        assert metrics["delayed_bed_days"] <= metrics["bed_days"]
        for share in ("readmission_rate_30d", "unpaid_share_women", "unpaid_share_minority",
                      "carer_prevalence", "lonely_share", "carers_50h_share"):
            assert 0.0 <= metrics[share] <= 1.0


@pytest.mark.parametrize("scenario", ["baseline", "peer_visits", "mutual_aid",
                                      "devolved_decisions", "defensive_risk",
                                      "family_absorbs"])
def test_hours_are_conserved_in_every_scenario_and_carers_give_what_is_received(
        scenario: str) -> None:
    # The model keeps no per-resident hours by source, so the checks are per day: need =
    # each source + unmet, and what carers gave along ties = what their recipients got.
    # a few starting volunteers, so a scheme this small visits within the month
    model = CareModel(scenario=scenario, seed=6, residents=1_200, warmup_days=20,
                      initial_volunteers_per_1000=5.0)
    town, unpaid = model.town, ("family", "kin", "neighbour")
    for _ in range(25):
        tally = advance(town)
        _assert_hours_conserved(tally)
        assert float(town.state.given_today.sum(dtype=np.float64)) == pytest.approx(
            sum(tally.hours[k] for k in unpaid), rel=1e-4, abs=1e-3)
        if not model.params.peer_scheme:
            assert tally.peer_visits == 0 and tally.hours["peer"] == 0
    peer_edges = [(u, v) for u, v, kind in model.graph.edges(keys=True) if kind == "peer"]
    volunteers, patients = town.peer_pairs()
    pairs = {frozenset((int(v), int(q))) for v, q in zip(volunteers, patients, strict=True)}
    assert len(peer_edges) == len(pairs)  # one edge per volunteer and patient they visit
    assert bool(peer_edges) == model.params.peer_scheme
    assert {frozenset(e) for e in peer_edges} == pairs


def test_same_seed_gives_bit_identical_output() -> None:
    first = run("peer_visits", seed=11, days=40, residents=1_500)
    second = run("peer_visits", seed=11, days=40, residents=1_500)
    assert first.daily.equals(second.daily)
    other = run("peer_visits", seed=12, days=40, residents=1_500)
    assert not first.daily.equals(other.daily)


def test_policy_levers_do_not_change_population_or_graph() -> None:
    base = Params.from_overrides({"residents": 1_500, "warmup_days": 0})
    lever = Params.from_overrides({"peer_scheme": True, "devolved_authority": 0.9,
                                   "budget_share": 0.1, "risk_aversion": 0.0}, base=base)
    a, b = start(base, seed=5), start(lever, seed=5)
    for field in ("age_band", "female", "minority", "household", "x", "y", "patch",
                  "frailty_level", "isolation", "willingness"):
        assert np.array_equal(getattr(a.pop, field), getattr(b.pop, field)), field
    for kind in ("family", "kin", "neighbour"):
        assert np.array_equal(getattr(a.network, kind).indices,
                              getattr(b.network, kind).indices), kind


@pytest.mark.parametrize("ties", [1, 2, 3, 5, 6])
def test_neighbour_ties_is_the_mean_number_of_lattice_ties_odd_or_even(ties: int) -> None:
    """An odd number once ran as the even number below it (3 as 2, 1 as none)."""
    from simulation.network import _neighbour_pairs
    from simulation.population import build_population
    from simulation.rng import Streams

    params = Params.from_overrides({"residents": 1_200, "neighbour_ties": ties,
                                    "homophily": 0.0, "rewire_share": 0.0})
    pop = build_population(params, Streams(1)["population"])
    u, v = _neighbour_pairs(pop, params, Streams(1)["network"])
    assert len(u) == pop.size * ties // 2
    # 1,200 is a multiple of every block the odd tie is drawn in: everyone gets exactly as many.
    assert np.array_equal(np.bincount(np.r_[u, v], minlength=pop.size),
                          np.full(pop.size, ties))


def test_an_odd_neighbour_ties_runs_differently_from_the_even_one_below() -> None:
    odd, even = (run(None, seed=1, days=10, residents=600, warmup_days=5,
                     neighbour_ties=ties).daily for ties in (3, 2))
    assert not odd.equals(even)


def test_no_illness_means_no_admissions() -> None:
    result = run(None, seed=1, days=60, residents=1_000, admission_rate=0.0)
    assert result.summary["admissions"] == 0
    assert result.summary["bed_days"] == 0
    # no discharges either: the rate over no discharges is 0, not NaN
    assert result.summary["readmission_rate_30d"] == 0.0
    assert (result.daily["readmission_rate_30d"] == 0.0).all()


def test_scheme_off_means_no_peer_visits_or_volunteers() -> None:
    result = run("baseline", seed=1, days=60, residents=1_500)
    assert result.summary["peer_visits"] == 0
    assert result.summary["volunteers"] == 0


def test_zero_willingness_means_the_pool_never_grows() -> None:
    model = CareModel(scenario="peer_visits", seed=2, residents=3_000, warmup_days=0,
                      volunteer_willingness=0.0)
    ever = set(np.flatnonzero(model.town.state.volunteer > 0))
    for _ in range(150):
        model.step()
        ever |= set(np.flatnonzero(model.town.state.volunteer > 0))
    # only the seeded starting volunteers ever served, and the scheme did visit
    seeded = set(np.flatnonzero(model.town.pop.volunteer_draw
                                < model.params.initial_volunteers_per_1000 / 1000))
    assert ever <= seeded
    assert model.datacollector.get_model_vars_dataframe()["peer_visits"].sum() > 0


def test_care_model_is_a_mesa_model_with_agents_roles_and_graph() -> None:
    model = CareModel(scenario="peer_visits", seed=4, residents=1_200, warmup_days=30, days=5)
    assert isinstance(model, mesa.Model)
    while model.running:
        model.step()
    assert model.day == 5
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == [*NAMES, "seed"] and len(frame) == 5
    assert len(model.agents) == 1_200 + len(model.posts)
    # the patients AgentSet is exactly the residents in hospital, in need, or home from
    # hospital within 30 days, read straight from the state
    s = model.town.state
    recent = ~s.in_hospital & (model.day - s.discharged_day <= RECOVERY_DAYS)
    expected = set(np.flatnonzero(s.in_hospital | (s.need > 0) | recent))
    assert {a.index for a in model.patients} == expected and expected
    assert all("patient" in a.roles for a in model.patients)
    assert len(model.professionals) == int((model.town.state.vacant_until < 0).sum())
    assert all(a.unpaid_hours_week >= 1.0 for a in model.family_carers)
    graph = model.graph
    assert isinstance(graph, nx.MultiGraph)
    kinds = {k for _, _, k in graph.edges(keys=True)}
    assert kinds <= set(EDGE_KINDS) and {"family", "neighbour", "caseload"} <= kinds
    assert all("pos" in data for _, data in graph.nodes(data=True))


def test_a_vacant_posts_visits_are_drawn_from_the_post_covering_it() -> None:
    # Staff leave often and posts stay vacant two months: on many days a vacant patch's
    # residents are visited by the next post, and the graph and each professional's
    # caseload must say that post visited them, not the vacant one.
    model = CareModel(seed=2, residents=2_000, warmup_days=60, days=60,
                      attrition_rate=2.0, vacancy_days=60.0)
    covered_days = 0
    while model.running:
        vacant = {a.post for a in model.posts if a.vacant}  # as care finds them today
        model.step()
        s = model.town.state
        caseload = {a.post: a.caseload for a in model.posts}
        assert sum(caseload.values()) == len(s.caseload)
        edges = [(u, v) for u, v, k in model.graph.edges(keys=True) if k == "caseload"]
        assert len(edges) == len(s.caseload)
        if set(model.town.pop.patch[s.caseload].tolist()) & vacant:
            covered_days += 1
            assert all(caseload[post] == 0 for post in vacant)  # a vacant post visits no one
    assert covered_days >= 5  # the case arose


def test_results_and_models_pickle_and_a_pickled_model_runs_on_the_same() -> None:
    # Process pools hand results back by pickle, and a warmed-up model may be saved or
    # handed to a worker: both must survive it, and the model continue bit for bit.
    result = run("baseline", seed=1, days=5, residents=300)
    again = pickle.loads(pickle.dumps(result))
    assert again.daily.equals(result.daily) and again.summary == result.summary
    model = CareModel(scenario="peer_visits", seed=1, residents=300, days=20)
    for _ in range(5):
        model.step()
    copy = pickle.loads(pickle.dumps(model))
    for _ in range(10):
        model.step()
        copy.step()
    frames = [m.datacollector.get_model_vars_dataframe() for m in (model, copy)]
    assert len(frames[0]) == 15 and frames[0].equals(frames[1])


def test_batch_run_drives_the_model() -> None:
    rows = mesa.batch_run(CareModel, parameters={"residents": 800, "warmup_days": 10,
                                                 "peer_scheme": [False, True]},
                          rng=[1], max_steps=3, number_processes=1, display_progress=False)
    assert len(rows) == 2
    assert {r["peer_scheme"] for r in rows} == {False, True}
    assert all("readmission_rate_30d" in r for r in rows)


def test_batch_run_without_a_seed_draws_and_records_a_fresh_one() -> None:
    # iterations=2 asks for seed=None twice: each run draws its own seed and records it
    with pytest.warns(DeprecationWarning):
        rows = mesa.batch_run(CareModel, parameters={"residents": 600, "warmup_days": 5},
                              iterations=2, max_steps=2, number_processes=1,
                              display_progress=False)
    final = [r for r in rows if r["Step"] == 2]
    assert len(final) == 2
    seeds = [r["seed"] for r in final]
    assert all(isinstance(s, int) for s in seeds) and seeds[0] != seeds[1]


def test_a_drawn_seed_reproduces_the_run() -> None:
    fresh = CareModel(seed=None, residents=600, warmup_days=5)
    again = CareModel(seed=fresh.seed, residents=600, warmup_days=5)
    for model in (fresh, again):
        for _ in range(3):
            model.step()
    assert fresh.latest == again.latest


def test_evaluate_is_a_plain_function_of_every_parameter() -> None:
    import inspect

    signature = inspect.signature(evaluate)
    assert set(Params().as_dict()) <= set(signature.parameters)
    assert signature.parameters["residents"].default == Params().residents
    outcome = evaluate(seed=3, days=20, residents=800, warmup_days=5)
    assert set(outcome) == set(NAMES)
    assert all(isinstance(v, float) for v in outcome.values())
    assert outcome == evaluate(seed=3, days=20, residents=800, warmup_days=5)


def test_evaluate_takes_numpys_numbers_as_sampling_tools_pass_them() -> None:
    """SALib, EMA Workbench and numpy designs hand over np.int64, np.float64, np.bool_."""
    plain = evaluate(seed=3, days=10, residents=300, warmup_days=5, neighbour_ties=3,
                     peer_scheme=True, admission_rate=0.5)
    from_numpy = evaluate(seed=np.int64(3), days=np.int64(10), residents=np.int64(300),
                          warmup_days=np.int32(5), neighbour_ties=np.int64(3),
                          peer_scheme=np.bool_(True), admission_rate=np.float64(0.5))
    assert from_numpy == plain
    with pytest.raises(ParamError, match="not a whole number"):
        evaluate(residents=np.float64(300.5))
    # A float32 is the decimal it prints: 0.01, the lower end of contact_hours, not the
    # 0.00999999977648 below it that float32 stores.
    assert Params.from_overrides({"contact_hours": np.float32(0.01)}).contact_hours == 0.01
    with pytest.raises(ParamError, match="not true or false"):
        evaluate(peer_scheme=np.int64(1))


@pytest.mark.parametrize("given", [{"seed": 5.7}, {"seed": "5"}, {"seed": True},
                                   {"seed": -1}, {"seed": 2**63}, {"days": 0},
                                   {"days": -1}, {"days": 36_501}, {"days": 2.5}])
def test_run_refuses_a_seed_or_days_it_would_not_run_as_given(given) -> None:
    # Before: seed=5.7 ran seed 5 but recorded 5.7, True ran seed 1, days=0 gave an
    # empty table, days=-1 a numpy error and 36,501 ran past the limit.
    name = next(iter(given))
    with pytest.raises(InputError, match=f"^{name}=.*\\(allowed: a whole number from "):
        run(None, **{"days": 3, "residents": 200, **given})
    with pytest.raises(ValueError):  # an InputError is a ValueError, as ParamError is
        CareModel(residents=200, **given)


def test_run_refuses_a_chosen_scenario_with_params_as_care_model_does() -> None:
    params = Params.from_overrides({"residents": 200})
    with pytest.raises(ValueError, match="either a scenario or params"):
        run("peer_visits", params=params, days=2)
    with pytest.raises(ValueError, match="either a scenario or params"):
        CareModel(params, scenario="peer_visits")
    assert run(params=params, days=2).scenario == "custom"  # the default gives way


def test_run_takes_seeds_and_days_as_numpy_and_whole_floats() -> None:
    plain = run(None, seed=4, days=5, residents=200)
    for seed, days in ((np.int64(4), np.int32(5)), (4.0, 5.0), (np.float64(4.0), 5)):
        again = run(None, seed=seed, days=days, residents=200)
        assert again.seed == 4 and type(again.seed) is int and again.days == 5
        assert again.daily.equals(plain.daily)


@pytest.mark.parametrize("rng", [-1, MAX_SEED + 1, 2**64])
def test_mesas_rng_outside_the_seed_range_is_refused(rng: int) -> None:
    # Before, rng=2**64 ran (and recorded) a seed that --seed refuses.
    with pytest.raises(InputError, match=r"^rng=.*\(allowed: a whole number from 0 to "):
        CareModel(rng=rng, residents=100)


def test_a_fresh_seed_is_one_the_command_line_takes() -> None:
    # Before: SeedSequence's 128-bit entropy, refused by --seed and by Parquet.
    seeds = [CareModel(seed=None, residents=100).seed for _ in range(20)]
    assert all(0 <= s <= MAX_SEED for s in seeds) and len(set(seeds)) == 20
    assert 0 <= run(None, seed=None, days=2, residents=100).seed <= MAX_SEED


def test_care_model_signature_lists_every_parameter_with_its_default() -> None:
    import inspect

    signature = inspect.signature(CareModel)
    keywords = signature.parameters
    assert list(keywords)[:5] == ["params", "seed", "rng", "scenario", "days"]
    defaults = Params().as_dict()
    assert {name: keywords[name].default for name in defaults} == defaults
    assert all(keywords[name].kind is inspect.Parameter.KEYWORD_ONLY for name in defaults)
    assert not any(k.kind is inspect.Parameter.VAR_KEYWORD for k in keywords.values())
    signature.bind(residents=500, seed=None, peer_scheme=True)  # what batch_run passes
    with pytest.raises(TypeError):
        signature.bind(no_such_parameter=1)


def test_daily_metrics_include_every_outcome_the_model_is_built_to_report() -> None:
    required = ["day", "admissions", "readmissions_30d", "readmission_rate_30d", "bed_days",
                "delayed_bed_days", "professional_hours", "professional_utilisation",
                "family_hours", "kin_hours", "neighbour_hours", "peer_hours", "paid_hours",
                "unmet_hours", "carers_strained", "carers_burnt_out", "unpaid_share_women",
                "unpaid_share_minority", "unpaid_gini", "volunteers", "peer_visits",
                "staff_morale", "staff_attrition", "decision_delay_days", "lonely_share",
                "cost_total", "unpaid_value", "discharges"]
    assert set(required) <= set(NAMES)


def test_resident_agents_are_made_on_first_use_with_stable_ids() -> None:
    model = CareModel(scenario="baseline", seed=4, residents=1_000, warmup_days=20)
    assert sum(a is not None for a in model._residents) == 0  # none made yet
    patients = model.patients
    made = sum(a is not None for a in model._residents)
    assert 0 < made == len(patients) < 1_000
    assert all(a.unique_id == a.index + 1 for a in patients)
    assert len(model.agents) == 1_000 + len(model.posts)  # asking for all makes all
    ids = sorted(a.unique_id for a in model.agents)
    assert ids == list(range(1, 1_000 + len(model.posts) + 1))
    # Mesa's agents by type holds every resident too, asked first
    fresh = CareModel(scenario="baseline", seed=4, residents=1_000, warmup_days=20)
    assert len(fresh.agents_by_type[Resident]) == 1_000


def _batch(parameters: dict) -> list[dict]:
    return mesa.batch_run(CareModel, parameters={"residents": 600, "warmup_days": 5,
                                                 "days": 12, **parameters},
                          max_steps=12, number_processes=1, display_progress=False)


def test_batch_run_honours_seeds_given_as_mesas_rng() -> None:
    rows = _batch({"rng": [1, 2]})
    again = _batch({"rng": [1, 2]})
    final = {r["rng"]: r for r in rows if r["Step"] == 12}
    assert [r["seed"] for r in final.values()] == [1, 2]  # the seed each run used
    outcomes = ("unmet_hours_to_date", "unpaid_hours_to_date", "admissions")
    assert [final[1][o] for o in outcomes] != [final[2][o] for o in outcomes]  # different
    assert [{o: r[o] for o in outcomes} for r in rows] == \
        [{o: r[o] for o in outcomes} for r in again]  # reproducible
    # rng=7 is seed 7: the same run as Mesa's own seed list and as run()
    by_mesa = mesa.batch_run(CareModel, parameters={"residents": 600, "warmup_days": 5,
                                                    "days": 12}, rng=[2], max_steps=12,
                             number_processes=1, display_progress=False)[-1]
    assert by_mesa["unmet_hours_to_date"] == final[2]["unmet_hours_to_date"]


def test_batch_run_takes_numpys_seed_sequences_as_its_rng_list() -> None:
    sequences = np.random.SeedSequence(1).spawn(2)
    rows = mesa.batch_run(CareModel, parameters={"residents": 300, "warmup_days": 5},
                          rng=sequences, max_steps=3, number_processes=1,
                          display_progress=False)
    expected = [CareModel(rng=s, residents=300, warmup_days=5).seed for s in sequences]
    assert sorted({r["seed"] for r in rows}) == sorted(expected)


def test_batch_run_honours_seeds_given_as_a_seed_parameter() -> None:
    import inspect

    # Mesa passes its own rng (None here) as `seed` if the model takes one: not over these
    rows = _batch({"seed": [1, 2]})
    final = [r for r in rows if r["Step"] == 12]
    assert [r["seed"] for r in final] == [1, 2]
    as_rng = [r for r in _batch({"rng": [1, 2]}) if r["Step"] == 12]
    outcomes = ("unmet_hours_to_date", "unpaid_hours_to_date", "admissions")
    assert [[r[o] for o in outcomes] for r in final] == \
        [[r[o] for o in outcomes] for r in as_rng]
    with pytest.raises(ValueError, match="give one"):  # a seed and Mesa's rng: which?
        mesa.batch_run(CareModel, parameters={"residents": 600, "seed": [1]}, rng=[2],
                       max_steps=1, number_processes=1, display_progress=False)
    assert "seed" in inspect.signature(CareModel).parameters  # outside batch_run


def test_batch_run_rows_carry_the_runs_to_date_headline_outcomes() -> None:
    final = _batch({"rng": [3], "peer_scheme": True})[-1]
    summary = run("peer_visits", seed=3, days=12, residents=600, warmup_days=5).summary
    for name in ("readmission_rate_30d", "unmet_hours", "unpaid_share_women", "cost_total"):
        # the last row's to-date column is the run's figure, not the last day's value
        assert final[f"{name}_to_date"] == pytest.approx(summary[name], rel=1e-9, abs=1e-12)


def test_rng_takes_mesas_kinds_of_seed_and_refuses_a_second_seed() -> None:
    def first_day(**seeding) -> dict[str, float]:
        model = CareModel(residents=600, warmup_days=5, **seeding)
        model.step()
        return model.latest

    assert first_day(rng=4) == first_day(seed=4)
    assert first_day(rng=np.random.default_rng(9)) == first_day(rng=np.random.default_rng(9))
    assert first_day(rng=np.random.SeedSequence(9)) == first_day(rng=np.random.SeedSequence(9))
    assert first_day() == first_day(seed=0)
    with pytest.raises(ValueError, match="give one"):
        CareModel(residents=600, seed=3, rng=4)
    with pytest.raises(ValueError, match="not a seed"):
        CareModel(residents=600, rng="seven")
