"""Error-aware estimates on hand-made people: the estimator's parts (imputation of the validated
measure, links drawn from match probabilities, sampling), the measures' plans from the register,
and disclosure control of the bounds (the differencing attack extended to them)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from bold_assets import disclosure
from bold_assets import pseudonymise as ps
from bold_assets.estimates import estimator as E
from bold_assets.estimates import reading
from bold_assets.estimates.publishing import protect_estimates, verify_estimates

M = "driver_mental_health"


def _people(n: int, lad: str = "L1", lsoas: tuple[str, ...] = ("A", "B", "C")) -> pd.DataFrame:
    return pd.DataFrame({
        "estimated_xjs_id": [f"p{i}" for i in range(n)],
        "lsoa_code": [lsoas[i % len(lsoas)] for i in range(n)],
        "lad_code": lad, "age_band": "25-34", "sex": "M", M: False})


def _plan(reference: int | None = 3, proxy: int | None = 2, source: str | None = None):
    return {M: E.MeasurePlan(M, 3 if reference else None, reference, proxy, source)}


def _row(frame: pd.DataFrame, level: str = "lad", area: str = "L1") -> pd.Series:
    return frame[(frame["geography_level"] == level) & (frame["area_code"] == area)].iloc[0]


def test_validated_measure_replaces_the_proxy_where_measured():
    people = _people(1000)
    people[M] = np.arange(1000) < 100  # the proxy flags 10%
    ref = pd.DataFrame({M: np.arange(1000) < 300}, index=people["estimated_xjs_id"])  # 30%
    out = E.estimate(E.Inputs(people, {3: ref, 2: ref}), _plan(), draws=400)
    lad = _row(out)
    assert lad["naive_rate"] == pytest.approx(0.10)
    assert lad["estimate"] == pytest.approx(0.30, abs=0.01)
    # sampling error only: about the binomial half-width 1.645 * sqrt(.3 * .7 / 1000) = 0.024
    assert 0.03 < lad["upper"] - lad["lower"] < 0.07
    assert lad["lower"] < 0.30 < lad["upper"]


def test_only_the_uncertain_persons_get_the_sampling_term():
    """`Inputs.uncertain` narrows the sampling term to the persons linkage may have built
    wrongly: none of them, a measured census has no interval; a quarter of them, an interval
    about half the width of everyone's (sqrt(1/4))."""
    people = _people(1000)
    people[M] = np.arange(1000) < 300
    ref = pd.DataFrame({M: np.arange(1000) < 300}, index=people["estimated_xjs_id"])
    ids = people["estimated_xjs_id"]
    widths = {}
    for name, uncertain in (("all", None), ("none", frozenset()),
                            ("quarter", frozenset(ids[::4]))):
        lad = _row(E.estimate(E.Inputs(people, {3: ref, 2: ref}, uncertain=uncertain), _plan(),
                              draws=400))
        assert lad["estimate"] == pytest.approx(0.30, abs=0.01)
        widths[name] = lad["upper"] - lad["lower"]
    assert widths["none"] == 0
    assert 0.35 < widths["quarter"] / widths["all"] < 0.65


def test_unmeasured_people_are_imputed_from_their_stratum():
    """Half the people were never linked to the population file: they take the rate of the
    measured people with the same proxy value, not their own (empty) record."""
    people = _people(2000)
    people[M] = np.arange(2000) % 2 == 0  # proxy: every other person
    ids = people["estimated_xjs_id"]
    # measured: proxy people have the need 80% of the time, the others 10%
    rng = np.random.default_rng(1)
    truth = np.where(people[M], rng.random(2000) < 0.8, rng.random(2000) < 0.1)
    linked = set(ids[:1000])
    ref = pd.Series(np.where(ids.isin(linked), truth, False), index=ids, name=M).to_frame()
    proxy = people.set_index("estimated_xjs_id")[[M]]
    inputs = E.Inputs(people, {3: ref, 2: proxy}, linked={"pds": linked},
                      in_scope={"pds": set(ids)})
    lad = _row(E.estimate(inputs, _plan(source="pds"), draws=300))
    assert lad["estimate"] == pytest.approx(truth.mean(), abs=0.02)  # not ~0.45 / 2
    # people out of the plan's scope keep their own record (nobody imputed)
    inputs = E.Inputs(people, {3: ref, 2: proxy}, linked={"pds": linked},
                      in_scope={"pds": linked})
    lad = _row(E.estimate(inputs, _plan(source="pds"), draws=50))
    assert lad["estimate"] == pytest.approx(truth[:1000].sum() / 2000, abs=0.02)


def test_people_who_died_before_the_validating_snapshot_are_not_counted():
    """The validated measure records nothing for people its wave's mart leaves out (dead before
    its snapshot): the estimate is over the people it holds, not over them imputed; the cell's
    persons stay everyone, and a cell of only such people has no estimate."""
    people = _people(1000, lsoas=("A", "B"))
    people[M] = np.arange(1000) < 500  # the proxy
    ids = people["estimated_xjs_id"]
    dead = set(ids[:200])
    held = ids[~ids.isin(dead)]
    ref = pd.DataFrame({M: np.arange(len(held)) < 240}, index=held.to_numpy())  # 30% of 800
    out = E.estimate(E.Inputs(people, {3: ref, 2: people.set_index("estimated_xjs_id")[[M]]}),
                     _plan(), draws=300)
    lad = _row(out)
    assert lad["persons"] == 1000 and lad["naive_rate"] == pytest.approx(0.5)
    assert lad["estimate"] == pytest.approx(0.30, abs=0.01)  # imputing the dead: ~0.40
    # nobody of LSOA B held by the later mart: no estimate there, and none published
    gone = set(ids[people["lsoa_code"] == "B"])
    ref_b = ref[~ref.index.isin(gone)]
    out = E.estimate(E.Inputs(people, {3: ref_b, 2: ref_b}), _plan(), draws=50)
    b = _row(out, "lsoa", "B")
    assert b["persons"] == 500 and np.isnan(b["estimate"]) and np.isnan(b["upper"])
    published = _published([("lsoa", "A", 100, 500), ("lsoa", "B", 250, 500),
                            ("lad", "L1", 350, 1000)])
    protected = protect_estimates(out, published, AREAS, 0)
    assert protected.set_index("area_code").loc["B", "suppressed"]
    exact = pd.Series([500, 500, 1000, 1000], index=pd.MultiIndex.from_tuples(
        [("lsoa", "A"), ("lsoa", "B"), ("lad", "L1"), ("country", E.COUNTRY[0])]))
    assert verify_estimates(protected, published, exact, lsoa_parent={"A": "L1", "B": "L1"}) == []


def test_likely_missed_links_merge_people_and_move_the_estimate():
    """200 people, 100 flagged; each flagged person has an unflagged twin joined by a pair of
    probability 0.9: merged, they are ~110 people of whom 100 flagged."""
    people = _people(200, lsoas=("A",))
    people[M] = np.arange(200) < 100
    pairs = pd.DataFrame({"id_l": [f"p{i}" for i in range(100)],
                          "id_r": [f"p{i + 100}" for i in range(100)],
                          "match_probability": 0.9})
    flags = people.set_index("estimated_xjs_id")[[M]]
    plan = _plan(reference=None, proxy=None)
    merged = _row(E.estimate(E.Inputs(people, {}, pairs=pairs), plan, draws=200))
    alone = _row(E.estimate(E.Inputs(people, {}), plan, draws=200))
    assert alone["estimate"] == pytest.approx(0.5, abs=0.02)
    assert merged["estimate"] == pytest.approx(100 / 110, abs=0.03)
    assert flags[M].sum() == 100


def test_measure_plans_follow_the_register():
    plans = E.measure_plans(0, built=[0, 1, 2, 3, 4])
    mh = plans["driver_mental_health"]
    assert (mh.validated_at, mh.reference_wave, mh.proxy_wave, mh.population_source) == (
        3, 4, 2, "pds")
    assert plans["driver_low_income"].population_source == "dwp_cis"  # CIS covers everyone
    assert plans["driver_education"].population_source is None  # NPD: pupils only
    assert plans["outcome_offending"].validated_at == 0
    family = plans["driver_family"]
    assert not family.corrected and "no wave validates" in family.method
    only_wave_0 = E.measure_plans(0, built=[0])["driver_mental_health"]
    assert not only_wave_0.corrected and "not built" in only_wave_0.method


# Disclosure of the bounds ---------------------------------------------------------------------


def _published(cells: list[tuple[str, str, int | None, int | None]]) -> pd.DataFrame:
    return pd.DataFrame([{"geography_level": lvl, "area_code": a, "measure": M, "count": c,
                          "denominator": d, "coverage": "covered"} for lvl, a, c, d in cells])


AREAS = pd.DataFrame({"lsoa_code": ["A", "B", "C"], "lsoa_name": ["a", "b", "c"],
                      "lad_code": "L1", "lad_name": "Lad one"})


def _estimates(rates: dict[str, float], persons: dict[str, int]) -> pd.DataFrame:
    rows = []
    for area, p in rates.items():
        level = "lad" if area == "L1" else "country" if area == E.COUNTRY[0] else "lsoa"
        rows.append({"geography_level": level, "area_code": area, "measure": M,
                     "persons": persons[area], "estimate": p, "lower": p - 0.05,
                     "upper": p + 0.05, "naive_rate": p / 2, "naive_lower": 0.0,
                     "naive_upper": 1.0, "validated_by_wave": 3, "method": "m",
                     "errors_included": "e"})
    return pd.DataFrame(rows)


def test_bounds_follow_their_cell_and_hide_small_implied_counts():
    persons = {"A": 100, "B": 100, "C": 100, "L1": 300, E.COUNTRY[0]: 300}
    est = _estimates({"A": 0.4, "B": 0.4, "C": 0.08, "L1": 0.3, E.COUNTRY[0]: 0.3}, persons)
    # C's count cell is suppressed by the outputs; B's and the LAD's are published
    pub = _published([("lsoa", "A", 20, 100), ("lsoa", "B", 20, 100), ("lsoa", "C", None, 100),
                      ("lad", "L1", 50, 300)])
    out = protect_estimates(est, pub, AREAS, wave=0).set_index("area_code")
    assert out.loc["C", "suppressed"]  # on a suppressed cell (its lower bound 3 people, too)
    # C alone hidden under a published LAD estimate would be recoverable: one more goes
    assert out.loc[["A", "B"], "suppressed"].sum() == 1
    assert not out.loc["L1", "suppressed"]
    assert out.loc["L1", "estimate"] == pytest.approx(90 / 300)  # 0.3 * 300 = 90, rounded
    exact = pd.Series(persons).rename_axis("area_code")
    exact.index = pd.MultiIndex.from_tuples(
        [(("lad" if a == "L1" else "country" if a == E.COUNTRY[0] else "lsoa"), a)
         for a in exact.index])
    parents = {"A": "L1", "B": "L1", "C": "L1"}
    assert verify_estimates(out.reset_index(), pub, exact, lsoa_parent=parents) == []

    # the attack: publish the estimate of the LSOA the secondary step hid -> recoverable again
    leaked = out.reset_index()
    second = leaked.index[leaked["area_code"].isin(["A", "B"]) & leaked["suppressed"]][0]
    leaked.loc[second, ["estimate", "lower", "upper"]] = [0.4, 0.35, 0.45]
    leaked.loc[second, ["suppressed", "denominator"]] = [False, 100]
    kinds = {v.kind for v in verify_estimates(leaked, pub, exact, lsoa_parent=parents)}
    assert "recoverable" in kinds
    # a bound on the suppressed cell, and one implying fewer than 10 people
    leaked.loc[leaked["area_code"] == "C", ["estimate", "lower", "upper", "suppressed",
                                            "denominator"]] = [0.1, 0.05, 0.15, False, 100]
    kinds = {v.kind for v in verify_estimates(leaked, pub, exact, lsoa_parent=parents)}
    assert {"estimate_on_hidden_cell", "below_threshold"} <= kinds


def _published_lad(estimate: float, lower: float, upper: float) -> tuple[float, ...]:
    """(lower, estimate, upper) as published for one LAD of 300 people, as counts of people
    (the rates have 4 decimal places); the arguments are counts too."""
    est = _estimates({"L1": 0.3, E.COUNTRY[0]: 0.3}, {"L1": 300, E.COUNTRY[0]: 300})
    est[["estimate", "lower", "upper"]] = [estimate / 300, lower / 300, upper / 300]
    out = protect_estimates(est, _published([("lsoa", "A", 90, 300), ("lad", "L1", 90, 300)]),
                            AREAS.iloc[:1], wave=0).set_index("area_code").loc["L1"]
    assert not out["suppressed"]
    return tuple(round(out[c] * 300) for c in ("lower", "estimate", "upper"))  # 4 places


def test_published_bounds_are_the_exact_ones_to_the_nearest_multiple():
    """Each bound's implied count goes to the nearest multiple of 5, as the estimate's does: 83
    to 117 people publish as 85 to 115 (outward they would be 80 to 120, adding 10 people to an
    interval of 34) and 82 to 118 as 80 to 120."""
    assert _published_lad(100, 83, 117) == (85, 100, 115)
    assert _published_lad(100, 82, 118) == (80, 100, 120)


def test_a_lower_bound_under_the_threshold_is_suppressed_however_it_rounds():
    """An exact lower bound of 8 people would publish as 10 (to the nearest): the row is
    suppressed on the exact bound, as on the published one; so is an upper bound 8 people short
    of the denominator."""
    def suppressed(lower: float, upper: float) -> bool:
        est = _estimates({"L1": 0.1, E.COUNTRY[0]: 0.1}, {"L1": 300, E.COUNTRY[0]: 300})
        est[["estimate", "lower", "upper"]] = [30 / 300, lower / 300, upper / 300]
        pub = _published([("lsoa", "A", 30, 300), ("lad", "L1", 30, 300)])
        out = protect_estimates(est, pub, AREAS.iloc[:1], wave=0).set_index("area_code")
        return bool(out.loc["L1", "suppressed"])

    assert not suppressed(10, 50)
    assert suppressed(8, 50) and suppressed(9.9, 50)
    est = _estimates({"L1": 0.9}, {"L1": 300})
    est[["estimate", "lower", "upper"]] = [270 / 300, 250 / 300, 292 / 300]  # 8 without
    out = protect_estimates(est, _published([("lad", "L1", 270, 300)]), AREAS.iloc[:1], wave=0)
    assert out.set_index("area_code").loc["L1", "suppressed"]


def test_each_bound_sits_at_least_one_base_from_the_estimate():
    """The bounds are rounded over another base than the estimate, and a bound a couple of
    people from it would round onto it: each sits at least 5 people away, so 90 and 91 people
    publish alike; verify catches a published interval that does not."""
    assert _published_lad(91, 91, 91) == _published_lad(90, 90, 90) == (85, 90, 95)
    row = pd.DataFrame([{"geography_level": "lad", "area_code": "L1", "measure": M,
                         "estimate": 90 / 300, "lower": 90 / 300, "upper": 95 / 300,
                         "denominator": 300, "suppressed": False}])
    exact = pd.Series([300], index=pd.MultiIndex.from_tuples([("lad", "L1")]))
    kinds = {v.kind for v in verify_estimates(row, _published([("lad", "L1", 90, 300)]), exact)}
    assert kinds == {"narrow_interval"}


def test_country_estimate_hidden_when_one_lad_would_give_it_away():
    est = pd.concat([
        _estimates({"L1": 0.3}, {"L1": 300}),
        _estimates({"L2": 0.3}, {"L2": 300}).assign(geography_level="lad"),
        _estimates({E.COUNTRY[0]: 0.3}, {E.COUNTRY[0]: 600})], ignore_index=True)
    pub = _published([("lad", "L1", 90, 300), ("lad", "L2", None, 300)])
    areas = pd.DataFrame({"lsoa_code": ["A", "B"], "lsoa_name": ["a", "b"],
                          "lad_code": ["L1", "L2"], "lad_name": ["one", "two"]})
    out = protect_estimates(est, pub, areas, wave=0).set_index("area_code")
    assert out.loc["L2", "suppressed"] and out.loc[E.COUNTRY[0], "suppressed"]
    assert disclosure.Rules().threshold == 10


def test_a_trace_kept_without_its_collisions_stops_the_estimates():
    """A spine trace written before traces kept their collisions would narrow the intervals
    unseen: the estimates fail, naming the asset to materialise again; with the table (empty
    here) they read it."""
    con = duckdb.connect()
    ps.register_hmac(con, b"test-key")
    con.execute("CREATE SCHEMA linkage; CREATE TABLE linkage.pds_links (person_id BIGINT)")
    with pytest.raises(ValueError, match="materialise linkage/pds_links again"):
        reading.trace_collisions(con, [3])
    con.execute("CREATE TABLE linkage.pds_links_collisions (person_id BIGINT, "
                "other_person_id BIGINT, match_probability DOUBLE)")
    assert reading.trace_collisions(con, [3]).empty
    assert reading.trace_collisions(con, [0]).empty  # wave 0 has no trace
