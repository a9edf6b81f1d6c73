"""The synthetic world: a general population, calibration, difficulty, determinism, and the
truth boundary."""

from __future__ import annotations

import re
import types

import duckdb
import numpy as np
import pandas as pd
import pytest

from bold_assets.settings import DEFAULT_POPULATION
from bold_assets.sources import (
    CRIMINAL_SOURCES,
    LAD_CODE_PATTERN,
    LSOA_CODE_PATTERN,
    SOURCES,
    WAVE_0_SOURCES,
    WEAK_SOURCES,
)
from bold_assets.world import generate_world
from bold_assets.world.generate import (
    WAVE_0_GENERATORS,
    generator_modules,
    make_context,
    run_generators,
    world_from,
)
from bold_assets.world.journeys import OASYS_NEED_PREVALENCE
from bold_assets.world.measure import (
    cohort_outcomes_by_23,
    court_return_rate,
    identifier_error_rates,
    oasys_need_prevalence,
    volumes_per_100k,
)
from bold_assets.world.rates import MALE_SHARE_OF_DEFENDANTS, VOLUME_TOLERANCE, VOLUMES

PUBLISHED_OASYS = {  # DOMAIN.md: HMPPS, 31 Oct 2024, (custody, community)
    3: (0.68, 0.39),  # accommodation
    7: (0.89, 0.71),  # lifestyle and associates
    9: (0.22, 0.24),  # alcohol
}


def _in_memory(world) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for key, df in world.tables.items():
        schema, table = key.split(".")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.register("frame", df)
        con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM frame")
        con.unregister("frame")
    return con


@pytest.fixture(scope="module")
def default_context():
    """The default-size world, as its generators leave it (journeys included)."""
    ctx = make_context(DEFAULT_POPULATION, seed=11)
    run_generators(ctx, generator_modules())
    return ctx


@pytest.fixture(scope="module")
def default_world(default_context):
    """Its tables: what `generate_world(DEFAULT_POPULATION, 11)` gives, made once."""
    return world_from(default_context)


def test_general_population_mostly_never_meets_justice(default_world):
    p = default_world["truth.persons"]
    assert len(p) == DEFAULT_POPULATION
    rp = default_world["truth.record_person"]
    rp = rp[rp["source_dataset"].isin(WAVE_0_SOURCES)]  # justice: wave 0's extracts
    touched = p["person_id"].isin(set(rp["person_id"].dropna()))
    criminal = p["person_id"].isin(set(rp.loc[rp["source_dataset"].isin(CRIMINAL_SOURCES),
                                              "person_id"]))
    assert 0.08 < touched.mean() < 0.25, touched.mean()
    assert 0.04 < criminal.mean() < 0.15, criminal.mean()
    # the spine at the default population holds at least 10,000 people
    assert touched.sum() >= 10_000
    # people with records have more need than the population they come from
    for col in ("outcome_offending", "driver_accommodation", "driver_substance_misuse"):
        assert p.loc[touched, col].mean() > 1.5 * p.loc[~touched, col].mean(), col


def test_population_looks_like_england_and_wales(default_world):
    p = default_world["truth.persons"]
    age = (np.datetime64("2023-12-31") - p["dob"].to_numpy().astype("datetime64[D]")).astype(
        int) / 365.25
    assert p["dob"].min() >= pd.Timestamp("1919-01-01") and p["dob"].max() <= pd.Timestamp(
        "2023-12-31")
    assert 0.17 < (age < 18).mean() < 0.25  # ONS: about 21% under 18
    assert 0.14 < (age >= 65).mean() < 0.22  # about 18-19% 65 and over
    assert abs((p["sex"] == "M").mean() - 0.49) < 0.02
    wales = p["lsoa_code"].str.startswith("W").mean()
    assert 0.03 < wales < 0.09, wales
    # younger cohorts are more diverse
    white = p["ethnic_group"] == "White"
    assert white[age < 20].mean() < white[age >= 60].mean() - 0.1
    # people who arrived after school age were not educated in England; nor were Welsh pupils
    arrived = p["arrival_date"].notna()
    arrival_age = (p["arrival_date"] - p["dob"]).dt.days / 365.25
    assert not p.loc[arrived & (arrival_age > 5), "educated_in_england"].any()
    assert p.loc[~p["born_abroad"], "arrival_date"].isna().all()
    assert p.loc[p["born_abroad"], "arrival_date"].notna().all()
    assert (p.loc[arrived, "arrival_date"] >= p.loc[arrived, "dob"]).all()
    assert 0.7 < p["educated_in_england"].mean() < 0.9


def test_names_follow_england_and_wales(default_context):
    """Surnames as common as published (Smith about 1% of people, a long tail of rare ones);
    the top forename of each sex and birth decade at most 6% of it, and fashions that change."""
    p = default_context.persons
    surnames = p["birth_surname"].value_counts(normalize=True)
    assert surnames.index[0] in ("Smith", "Jones") and 0.008 < surnames.iloc[0] < 0.015
    assert 0.03 < surnames.iloc[:10].sum() < 0.07
    assert surnames.size > 0.1 * len(p)  # 20,000+ per million: many names held by one person
    decade = p["dob"].dt.year // 10 * 10
    tops = {}
    for (d, sex), g in p[decade >= 1930].groupby([decade, "sex"]):
        counts = g["forename"].value_counts(normalize=True)
        assert counts.iloc[0] <= 0.06, (d, sex, counts.head(3))
        tops[(d, sex)] = counts.index[0]
    for sex in ("M", "F"):
        assert len({top for (d, s), top in tops.items() if s == sex}) >= 4  # ranks change


def test_volumes_per_head_follow_published_table(default_world):
    """Each source's records (or cases) per 100k people a year are within VOLUME_TOLERANCE of
    rates.VOLUMES (the table cites the published series each figure approximates)."""
    vol = volumes_per_100k(default_world.tables).set_index("source")
    assert set(vol.index) == set(VOLUMES) == set(WAVE_0_SOURCES)
    for source, row in vol.iterrows():
        assert abs(row["ratio"] - 1) <= VOLUME_TOLERANCE, (source, row.to_dict())
    # the magistrates' volume is calibrated exactly in expectation: tighter there
    assert abs(vol.loc["mags", "ratio"] - 1) <= 0.05


def test_offending_by_sex_and_age(default_world):
    mags = default_world["raw.mags"]
    rp = default_world["truth.record_person"]
    p = default_world["truth.persons"].set_index("person_id")
    ids = rp.loc[rp["source_dataset"] == "mags", ["record_id", "person_id"]]
    male = (p.loc[ids["person_id"], "sex"] == "M").mean()
    assert abs(male - MALE_SHARE_OF_DEFENDANTS) <= 0.05, male
    # per head of the same age, cases peak at ages 18-30
    dob = p["dob"].to_numpy().astype("datetime64[D]")
    age_mid = ((np.datetime64("2017-07-01") - dob).astype(int) / 365.25).astype(int)
    people = pd.Series(age_mid).value_counts()
    band = pd.cut(mags["age_at_offence"], [15, 17, 30, 45, 60, 120])
    per_head = mags.groupby(band, observed=True).size() / pd.Series(
        {b: people[(people.index > b.left) & (people.index <= b.right)].sum()
         for b in band.cat.categories})
    assert per_head.idxmax().left == 17, per_head


def test_cohort_outcomes_near_the_ons_order_of_magnitude(default_context):
    """Born from Sept 1985, by age 23 (ONS: 1.5% custodial, 12.2% non-custodial or caution;
    males 92.6% / 68.6%). Court careers only: no cautions, so non-custodial is below 12.2%."""
    got = cohort_outcomes_by_23(default_context.persons, default_context.tables["journey.careers"])
    assert 0.008 <= got["custodial"] <= 0.025, got
    assert 0.07 <= got["non_custodial"] <= 0.13, got
    assert got["male_share_custodial"] > 0.85, got
    assert got["male_share_non_custodial"] > 0.65, got


def test_oasys_need_prevalence_matches_published_figures(default_world):
    prevalence = oasys_need_prevalence(_in_memory(default_world))
    for section, (custody, community) in PUBLISHED_OASYS.items():
        got = prevalence[prevalence["section"] == section].set_index("setting")["prevalence"]
        assert abs(got["CUSTODY"] - custody) <= 0.03, (section, got["CUSTODY"])
        assert abs(got["COMMUNITY"] - community) <= 0.03, (section, got["COMMUNITY"])
    # the need level each assessment carries agrees with its item scores and the thresholds
    assert (prevalence["need_level_agrees"] == 1.0).all()
    # custody is higher on every need except alcohol
    wide = prevalence.pivot(index="section", columns="setting", values="prevalence")
    higher = wide[wide["CUSTODY"] > wide["COMMUNITY"]].index.tolist()
    assert sorted(higher) == sorted(s for s in OASYS_NEED_PREVALENCE if s != 9)


def test_identifiers_carry_errors_at_realistic_rates(default_world):
    rates = identifier_error_rates(_in_memory(default_world)).set_index("source_dataset")
    for source in CRIMINAL_SOURCES:
        assert rates.loc[source, "error_rate"] >= 0.20, rates
    for source in WEAK_SOURCES:
        assert rates.loc[source, "error_rate"] >= 0.50, rates
    # family and civil are markedly weaker than every criminal source
    assert rates.loc[list(WEAK_SOURCES), "error_rate"].min() > \
        rates.loc[list(CRIMINAL_SOURCES), "error_rate"].max() + 0.2


def test_repeat_contact_follows_published_return_rate(default_world):
    assert court_return_rate(_in_memory(default_world)) == pytest.approx(0.56, abs=0.03)
    rp = default_world["truth.record_person"]
    # people appear several times within sources other than the courts too
    for source in ("prison", "probation", "oasys", "family"):
        per_person = rp[rp["source_dataset"] == source].groupby("person_id").size()
        assert (per_person >= 2).mean() > 0.05, source


def test_error_rates_differ_by_subgroup(default_world):
    con = _in_memory(default_world)
    rates = con.sql("""
        SELECT p.ethnic_group = 'White' AS white,
               avg((upper(r.defendant_surname) NOT IN (upper(p.surname),
                                                        upper(p.birth_surname)))::INT) AS rate
        FROM raw.mags r JOIN truth.record_person t
          ON t.source_dataset = 'mags' AND t.record_id = r.defendant_id
        JOIN truth.persons p USING (person_id) GROUP BY 1""").df().set_index("white")["rate"]
    assert rates[False] > 1.3 * rates[True]


def test_adding_a_generator_changes_no_other_source():
    """Streams are named: a generator added before the others leaves every table the same."""
    def extra(ctx):
        rng = ctx.rng("an_extra_source")
        rng.random(10_000)
        return {"raw.extra": pd.DataFrame({"x": rng.integers(0, 9, 50)}),
                "truth.record_person": pd.DataFrame(
                    {"source_dataset": ["extra"], "record_id": ["X1"], "person_id": ["P0"]})}

    dummy = types.ModuleType("extra_generator")
    dummy.PRODUCES, dummy.generate = ("extra",), extra
    plain, more = make_context(2000, seed=5), make_context(2000, seed=5)
    run_generators(plain, WAVE_0_GENERATORS)
    run_generators(more, (dummy, *WAVE_0_GENERATORS))
    for key, frame in plain.tables.items():
        other = more.tables[key]
        if key == "truth.record_person":
            other = other[other["source_dataset"] != "extra"].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, other)
    assert "raw.extra" in more.tables
    # streams differ by name and repeat by name
    assert plain.rng("a").random() != plain.rng("b").random()
    assert plain.rng("a").random() == more.rng("a").random()


def test_same_seed_same_tables_other_seed_different():
    a, b, c = generate_world(800, seed=3), generate_world(800, seed=3), generate_world(800, seed=4)
    assert a.tables.keys() == b.tables.keys()
    for key in a.tables:
        pd.testing.assert_frame_equal(a[key], b[key])
    assert not a["raw.mags"].equals(c["raw.mags"])
    assert not a["truth.persons"]["forename"].equals(c["truth.persons"]["forename"])


def test_raw_tables_carry_no_truth(default_world):
    truth_ids = set(default_world["truth.persons"]["person_id"])
    for source in SOURCES:
        raw = default_world[f"raw.{source}"]
        assert list(raw.columns) == list(SOURCES[source].columns)
        assert not {"person_id", "person_idx", "true_postcode"} & set(raw.columns)
        for col in raw.columns:
            values = set(raw[col].dropna().astype(str).head(2000))
            assert not values & truth_ids, f"raw.{source}.{col} holds true person ids"
    # every raw record has exactly one truth row
    rp = default_world["truth.record_person"]
    assert not rp.duplicated(["source_dataset", "record_id"]).any()
    for source in (n for n, s in SOURCES.items() if s.has_identifiers):
        assert len(rp[rp["source_dataset"] == source]) == len(default_world[f"raw.{source}"])
        assert default_world[f"raw.{source}"][SOURCES[source].key].is_unique


def test_record_ids_do_not_reveal_people(default_world):
    """Ids are issued in date order, so neighbouring ids are not the same person."""
    rp = default_world["truth.record_person"]
    mags = rp[rp["source_dataset"] == "mags"]
    same_as_next = (mags["person_id"].to_numpy()[1:] == mags["person_id"].to_numpy()[:-1]).mean()
    assert same_as_next < 0.05


def test_geography_codes_and_scaling():
    # the geography and the people only: the sources' generators add nothing to either
    small, large = make_context(1000, seed=1), make_context(40_000, seed=1)
    for world in (small, large):
        lsoa = world.geo["lsoa"]
        assert lsoa["lsoa_code"].map(lambda c: bool(re.match(LSOA_CODE_PATTERN, c))).all()
        assert lsoa["lad_code"].map(lambda c: bool(re.match(LAD_CODE_PATTERN, c))).all()
        assert set(lsoa["imd_decile"]) == set(range(1, 11))
        # Welsh LSOAs sit in Welsh LADs
        assert (lsoa["lsoa_code"].str[0] == lsoa["lad_code"].str[0]).all()
        # small areas still hold people
        people = world.persons.groupby("lsoa_code").size()
        assert people.reindex(lsoa["lsoa_code"]).fillna(0).median() >= 10
    assert len(large.geo["lsoa"]) > 3 * len(small.geo["lsoa"])


def test_geography_of_a_population_beyond_the_postcode_areas():
    """Over about 1.6m people there are more LADs than two-letter postcode areas: LADs share
    areas in districts of their own, so every postcode is still one LSOA's and UK-shaped."""
    from bold_assets.world.geography import make_geography

    geo = make_geography(2_500_000, np.random.default_rng(1))
    postcodes = geo["postcodes"]["postcode"]
    assert len(geo["lad"]) > 441
    assert postcodes.is_unique
    assert postcodes.str.fullmatch(r"[A-Z]{2}[0-9]{1,2} [0-9][A-Z]{2}").all()


def test_latent_needs_correlate_with_each_other_and_deprivation(default_world):
    p = default_world["truth.persons"]
    deprived = p["imd_decile"] <= 3
    for col in ("driver_low_income", "outcome_offending", "driver_accommodation"):
        assert p.loc[deprived, col].mean() > p.loc[~deprived, col].mean() + 0.03, col
    assert p["driver_substance_misuse"].astype(int).corr(p["outcome_offending"].astype(int)) > 0.1
    # appearance follows the latent states: civil defendants have more accommodation need
    rp = default_world["truth.record_person"]
    civil_people = set(rp.loc[rp["source_dataset"] == "civil", "person_id"].dropna())
    in_civil = p["person_id"].isin(civil_people)
    assert p.loc[in_civil, "driver_accommodation"].mean() > \
        1.5 * p.loc[~in_civil, "driver_accommodation"].mean()
