"""Wave 1 world: PNC and NPD tables in their declared shapes, identifier formats, determinism,
and the ONS May 2022 calibration (school outcomes by justice group) measured back from raw."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from bold_assets.catalog.sources import npd as npd_decl
from bold_assets.catalog.sources import pnc as pnc_decl
from bold_assets.settings import DEFAULT_POPULATION
from bold_assets.world.calibration import calibration_table
from bold_assets.world.generate import (
    WAVE_0_GENERATORS,
    generate_world,
    make_context,
    reference_tables,
    run_generators,
)
from bold_assets.world.sources import npd, pnc
from tests.conftest import SMALL_POPULATION, TEST_SEED

DECLARED = pnc_decl.DECLARED + npd_decl.DECLARED


@pytest.fixture(scope="module")
def tables(world_tables) -> dict[str, pd.DataFrame]:
    return world_tables


def _person_of(tables, source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def test_generators_produce_what_is_declared():
    declared = {s.name for s in DECLARED}
    assert set(pnc.PRODUCES) | set(npd.PRODUCES) == declared
    for s in DECLARED:
        assert s.wave == 1
        assert s.generator in ("bold_assets.world.sources.pnc", "bold_assets.world.sources.npd")
        if s.link_role == "attribute":
            assert s.parent_key in s.columns and not s.pii_columns


def test_identifier_formats(tables):
    people, census = tables["raw.pnc_people"], tables["raw.npd_census"]
    assert people["pnc_id"].str.fullmatch(r"\d{4}/\d{7}[A-Z]").all()
    offences = tables["raw.pnc_offences"]
    first = offences.groupby("pnc_id")["adjudication_date"].min().dt.year
    year = pd.Series(first.index.str[:4].astype(int), index=first.index)
    assert (year == first).all()  # the id's year is the year its first case was recorded
    assert census["upn"].str.fullmatch(r"[A-Z]\d{12}").all()
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    for upn in census["upn"].head(200):
        check = sum(int(d) * w for d, w in zip(upn[1:], range(2, 14), strict=True)) % 23
        assert upn[0] == letters[check]
    assert census["dob"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", people["date_of_birth"].dropna().iat[0])


def test_keys_join_and_truth_covers_identifier_tables(tables):
    people, census = tables["raw.pnc_people"], tables["raw.npd_census"]
    assert tables["raw.pnc_offences"]["pnc_id"].isin(people["pnc_id"]).all()
    assert set(people["pnc_id"]) <= set(tables["raw.pnc_offences"]["pnc_id"])
    for name in npd.PRODUCES[1:]:
        assert tables[f"raw.{name}"]["upn"].isin(census["upn"]).all(), name
    assert people["name_id"].isin(_person_of(tables, "pnc_people").index).all()
    assert census["census_record_id"].isin(_person_of(tables, "npd_census").index).all()


def test_pnc_holds_court_convictions_custody_aliases_and_duplicates(tables):
    rp = tables["truth.record_person"]
    mags = tables["raw.mags"].merge(rp[rp["source_dataset"] == "mags"],
                                    left_on="defendant_id", right_on="record_id")
    people = tables["raw.pnc_people"].assign(
        person_id=lambda d: _person_of(tables, "pnc_people").loc[d["name_id"]].to_numpy())
    convicted = set(mags.loc[~mags["disposal_code"].isin(["NOT_GUILTY", "SENT_CC"]),
                             "person_id"])
    assert convicted <= set(people["person_id"])
    off = tables["raw.pnc_offences"].merge(people[["pnc_id", "person_id"]].drop_duplicates(),
                                           on="pnc_id")
    custody = set(mags.loc[mags["disposal_code"] == "IMM_CUST", "person_id"])
    assert custody <= set(off.loc[off["disposal_code"] == "CUST", "person_id"])
    assert (off["disposal_code"].isin(["CAUT", "YCAU"]) == (off["adjudication_code"] == "C")).all()
    ranks = off["disposal_code"].map(pnc_decl.DISPOSAL_RANKS)
    assert (ranks == off["disposal_rank"]).all()
    ids_per_person = people.groupby("person_id")["pnc_id"].nunique()
    assert 0 < (ids_per_person > 1).mean() < 0.05
    assert 0 < (people["alias_flag"] == "Y").mean() < 0.5
    primary = off.groupby("case_id")["is_primary_offence"].apply(lambda s: (s == "Y").sum())
    assert (primary == 1).all()


def test_npd_covers_pupils_schooled_in_england(tables):
    persons = tables["truth.persons"].set_index("person_id")
    census = tables["raw.npd_census"].assign(
        person_id=lambda d: _person_of(tables, "npd_census").loc[d["census_record_id"]]
        .to_numpy())
    pupils = persons.loc[census["person_id"].unique()]
    assert (pupils["dob"] >= "1985-09-01").all()
    childhood = tables["truth.person_addresses"].sort_values("seq").groupby("person_id").first()
    assert not childhood.loc[pupils.index, "lsoa_code"].str.startswith("W01").any()
    eligible = persons[persons["dob"] >= "1985-09-01"]
    assert pupils["born_abroad"].mean() < eligible["born_abroad"].mean()
    assert 0.5 < len(pupils) / len(eligible) < 0.95
    rows = census.groupby("person_id")
    assert rows.size().mean() > 1.5
    assert (rows["surname"].nunique() > 1).any()  # names change between censuses
    assert (rows["llsoa"].nunique() > 1).any()  # pupils move
    old = census["census_year"] <= 2014
    assert census.loc[old, "senprovision"].isin(["N", "A", "P", "S"]).all()
    assert census.loc[~old, "senprovision"].isin(["N", "K", "E"]).all()
    assert (census.loc[census["senprovision"].isin(["N", "A"]), "primarysentype"].isna()).all()


def test_absence_uses_the_threshold_of_its_year(tables):
    ab = tables["raw.npd_absence"]
    start = ab["academic_year"].str[:4].astype(int)
    expected = np.select([start < 2010, start < 2015], [0.20, 0.15], 0.10)
    assert np.allclose(ab["pa_threshold"], expected)
    flag = ab["sessions_overall_absence"] / ab["sessions_possible"] >= ab["pa_threshold"]
    assert (flag.astype(int) == ab["persistent_absentee"]).all()
    assert {0.20, 0.15, 0.10} <= set(ab["pa_threshold"].round(2))


def test_same_seed_same_data_other_seed_differs(tables):
    # up to wave 1 only: later waves change no earlier table (`up_to_wave`; tested below)
    again = generate_world(SMALL_POPULATION, TEST_SEED, up_to_wave=1).tables
    for s in DECLARED:
        pd.testing.assert_frame_equal(tables[f"raw.{s.name}"], again[f"raw.{s.name}"])
    other = generate_world(SMALL_POPULATION, TEST_SEED + 1, up_to_wave=1).tables
    assert not tables["raw.npd_census"]["upn"].equals(other["raw.npd_census"]["upn"])


def test_npd_without_pnc_in_context_gives_the_same_tables(tables):
    ctx = make_context(SMALL_POPULATION, TEST_SEED)
    run_generators(ctx, WAVE_0_GENERATORS)
    alone = npd.generate(ctx)  # PNC not run first
    for name in npd.PRODUCES:
        pd.testing.assert_frame_equal(alone[f"raw.{name}"], tables[f"raw.{name}"])


def test_a_wave_0_world_is_the_whole_worlds_wave_0(tables):
    """Wave 0's job generates only wave 0's sources: the same tables as in the whole world."""
    from bold_assets.catalog import CATALOG
    from bold_assets.defs.factories.raw import waves_needed

    wave0 = generate_world(SMALL_POPULATION, TEST_SEED, up_to_wave=0).tables
    names = {s.name: s.wave for s in CATALOG.sources.values()}
    assert {k for k in wave0 if k.startswith("raw.")} == {
        f"raw.{n}" for n, w in names.items() if w == 0}
    for key, frame in wave0.items():
        if key.startswith(("raw.", "reference.")) or key == "truth.persons":
            pd.testing.assert_frame_equal(frame, tables[key])
    # landed extracts get the same reference geography without any synthetic people
    for key, frame in reference_tables(SMALL_POPULATION, TEST_SEED).items():
        pd.testing.assert_frame_equal(frame, tables[key])
    assert waves_needed(CATALOG, {"raw/mags", "reference/lsoa"}) == 0
    assert waves_needed(CATALOG, {"raw/mags", "raw/npd_census"}) == 1
    assert waves_needed(CATALOG, {"raw/mags", "truth/record_person"}) is None


def test_calibration_against_ons_may_2022():
    """At the default population, as `make run` generates it (its waves 0 and 1: a later wave
    changes no earlier table, `test_wave_<n>_changes_no_earlier_table` of waves 2 to 4)."""
    table = calibration_table(generate_world(DEFAULT_POPULATION, TEST_SEED, up_to_wave=1).tables)
    checked = table[table["ons"].notna() & (table["measure"] != "share_of_cohort")]
    assert len(checked) == 13
    assert (checked["n"] >= 20).all(), checked[checked["n"] < 20]
    off = checked[checked["diff"].abs() > 3]
    assert off.empty, f"\n{table.to_string()}"
    # the PNC tops the justice groups up to at least their ONS shares of the cohort
    share = table[(table["measure"] == "share_of_cohort") & (table["group"] != "no_conviction")]
    assert (share["measured"] >= share["ons"] - 0.5).all(), share
