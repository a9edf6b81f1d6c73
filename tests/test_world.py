"""The synthetic world: calibration, difficulty, determinism, and the truth boundary."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from bold_assets.settings import DEFAULT_POPULATION
from bold_assets.sources import (
    CRIMINAL_SOURCES,
    LAD_CODE_PATTERN,
    LSOA_CODE_PATTERN,
    SOURCES,
    WEAK_SOURCES,
)
from bold_assets.world import generate_world
from bold_assets.world.journeys import OASYS_NEED_PREVALENCE
from bold_assets.world.measure import (
    court_return_rate,
    identifier_error_rates,
    oasys_need_prevalence,
)

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
def default_world():
    return generate_world(DEFAULT_POPULATION, seed=11)


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
    for source in SOURCES:
        assert len(rp[rp["source_dataset"] == source]) == len(default_world[f"raw.{source}"])
        assert default_world[f"raw.{source}"][SOURCES[source].key].is_unique


def test_record_ids_do_not_reveal_people(default_world):
    """Ids are issued in date order, so neighbouring ids are not the same person."""
    rp = default_world["truth.record_person"]
    mags = rp[rp["source_dataset"] == "mags"]
    same_as_next = (mags["person_id"].to_numpy()[1:] == mags["person_id"].to_numpy()[:-1]).mean()
    assert same_as_next < 0.05


def test_geography_codes_and_scaling():
    small, large = generate_world(1000, seed=1), generate_world(40_000, seed=1)
    for world in (small, large):
        lsoa = world["reference.lsoa"]
        assert lsoa["lsoa_code"].map(lambda c: bool(re.match(LSOA_CODE_PATTERN, c))).all()
        assert lsoa["lad_code"].map(lambda c: bool(re.match(LAD_CODE_PATTERN, c))).all()
        assert set(lsoa["imd_decile"]) == set(range(1, 11))
        # Welsh LSOAs sit in Welsh LADs
        assert (lsoa["lsoa_code"].str[0] == lsoa["lad_code"].str[0]).all()
        # small areas still hold people
        people = world["truth.persons"].groupby("lsoa_code").size()
        assert people.reindex(lsoa["lsoa_code"]).fillna(0).median() >= 10
    assert len(large["reference.lsoa"]) > 3 * len(small["reference.lsoa"])


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
