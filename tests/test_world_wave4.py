"""Wave 4 world: H-CLIC's nine sections and returns and council tenancies in their declared
shapes, codes, date orders and completeness; cases consistent with deaths, ages and the earlier
waves' events; missing returns leaving no rows; repeat presentations as one person; the earlier
waves untouched; and a smoke check of the calibration (the real one:
`python -m bold_assets.world.calibration_wave4`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bold_assets.catalog.sources import hclic as hclic_decl
from bold_assets.catalog.sources import housing as housing_decl
from bold_assets.world.calibration_wave4 import calibration_table
from bold_assets.world.context import WorldContext
from bold_assets.world.generate import generate_world
from bold_assets.world.hclic import missing_returns
from bold_assets.world.sources import homelessness
from tests.conftest import TEST_SEED

DECLARED = hclic_decl.DECLARED + housing_decl.DECLARED
WAVE_4 = {s.name for s in DECLARED}
SECTIONS = [s for s in hclic_decl.DECLARED if s.parent == "hclic_people"]
END = pd.Timestamp("2023-12-31")
ROLE_COLUMNS = ("forename", "surname", "dob", "sex", "postcode")


@pytest.fixture(scope="module")
def tables(world_tables) -> dict[str, pd.DataFrame]:
    return world_tables


@pytest.fixture(scope="module")
def cases(tables) -> pd.DataFrame:
    """truth.homelessness_cases with each person's date of birth and death."""
    c = tables["truth.homelessness_cases"]
    persons = tables["truth.persons"].set_index("person_id")
    died = tables["truth.deaths"].set_index("person_id")["date_of_death"]
    return c.assign(dob=persons["dob"].reindex(c["person_id"]).to_numpy(),
                    died=died.reindex(c["person_id"]).to_numpy())


def _person_of(tables, source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def test_generator_produces_what_is_declared():
    assert set(homelessness.PRODUCES) == WAVE_4
    for s in DECLARED:
        assert s.wave == 4 and s.generator == "bold_assets.world.sources.homelessness"
    assert set(homelessness.ERROR_PROFILES) == {"hclic_people", "la_tenancies"}
    assert homelessness.TRUTH == ("homelessness_cases", "prison_release_housing")


@pytest.mark.parametrize("source", DECLARED, ids=lambda s: s.name)
def test_columns_types_codes_and_date_orders(tables, source):
    df = tables[f"raw.{source.name}"]
    assert len(df) > 0 and list(df.columns) == list(source.columns)
    assert df[source.key].is_unique and df[source.key].notna().all()
    for col, kind in source.columns.items():
        values = df[col].dropna()
        if kind == "DATE":
            assert pd.api.types.is_datetime64_any_dtype(df[col]), col
            assert (values <= END).all(), col
        elif kind == "VARCHAR":
            assert values.map(type).eq(str).all(), col
        elif kind == "DOUBLE":
            assert pd.api.types.is_float_dtype(df[col]), col
        elif kind == "INTEGER":
            assert pd.api.types.is_integer_dtype(df[col]), col
    for col, codes in source.codes.items():
        assert set(df[col].dropna()) <= set(codes), col
    quality = source.quality
    for later, earlier in quality.date_order if quality else ():
        both = df[later].notna() & df[earlier].notna()
        assert (df.loc[both, later] >= df.loc[both, earlier]).all(), (later, earlier)
    for col, (lo, _) in quality.numeric_ranges.items() if quality else ():
        assert (df[col].dropna() >= lo).all(), col
    if source.dataset == "hclic":
        assert (df[source.event_date] >= "2018-04-01").all()
    else:
        assert (df[source.event_date] >= "2000-01-01").all()


@pytest.mark.parametrize("source", [hclic_decl.HCLIC_PEOPLE, housing_decl.LA_TENANCIES],
                         ids=lambda s: s.name)
def test_identifiers_complete_above_the_quality_profile(tables, source):
    df = tables[f"raw.{source.name}"]
    roles = {**{r: getattr(source.identifiers, r) for r in ROLE_COLUMNS},
             **{k: c for k, c in source.identifiers.national_ids.items()}}
    for role, col in roles.items():
        share, least = df[col].notna().mean(), source.quality.completeness[role]
        assert share >= least + min(0.01, (1 - least) / 2), (role, share)  # with a margin
    dob = pd.to_datetime(df[source.identifiers.dob], format=source.identifiers.dob_format,
                         errors="coerce")
    truth = tables["truth.persons"].set_index("person_id")["dob"]
    true_dob = truth.reindex(_person_of(tables, source.name).reindex(df[source.key])).to_numpy()
    assert 0.85 < (dob.to_numpy() == true_dob).mean() < 0.99  # errors, but mostly right


def test_sections_belong_to_cases_in_the_people_section(tables):
    people = tables["raw.hclic_people"]
    assert people["case_ref"].is_unique
    refs = set(people["case_ref"])
    for s in SECTIONS:
        assert set(tables[f"raw.{s.name}"]["case_ref"]) <= refs, s.name
    main = tables["raw.hclic_main"].set_index("case_ref")
    assert set(main.index) == refs and main.index.is_unique
    p = people.set_index("case_ref").loc[main.index]
    for col in ("la_code", "reporting_quarter", "date_of_application"):
        assert (p[col] == main[col]).all(), col
    assert (people["case_ref"].str.split("-").str[0] == people["la_code"]).all()
    quarter = pd.PeriodIndex(people["date_of_application"], freq="Q").astype(str)
    assert (quarter == people["reporting_quarter"]).all()
    # duties follow the assessment: prevention for outcome 1, relief for 2 (or after prevention)
    outcome = main["assessment_outcome"]
    prev, relief = tables["raw.hclic_prevention"], tables["raw.hclic_relief"]
    assert (outcome.reindex(prev["case_ref"]) == "1").all()
    moved_on = set(prev.loc[prev["prevention_outcome"] == "2", "case_ref"])
    assert set(relief["case_ref"]) == set(outcome.index[outcome == "2"]) | moved_on
    for df, col in ((prev, "prevention_start_date"), (relief, "relief_start_date")):
        assert (df[col].to_numpy() >= main["date_of_assessment"].reindex(df["case_ref"])
                .to_numpy()).all()
    assert prev.loc[prev["prevention_end_date"].isna(), "prevention_outcome"].isna().all()


def test_no_application_before_16_or_after_death(tables, cases):
    age = (cases["date_of_application"] - cases["dob"]).dt.days / 365.25
    assert (age >= 16).all()
    assert (cases["date_of_application"] >= "2018-04-03").all()
    died = cases["died"].notna()
    assert died.any()
    assert (cases.loc[died, "date_of_application"] <= cases.loc[died, "died"]).all()
    # nothing of a case after the applicant's death
    death_of = cases.set_index("case_ref")["died"]
    for s in SECTIONS:
        df = tables[f"raw.{s.name}"]
        when = death_of.reindex(df["case_ref"]).to_numpy()
        for col in s.date_columns:
            assert not (df[col].to_numpy() > when).any(), (s.name, col)
    t = tables["raw.la_tenancies"]
    person = _person_of(tables, "la_tenancies").reindex(t["tenancy_ref"])
    died = tables["truth.deaths"].set_index("person_id")["date_of_death"].reindex(person)
    assert not (t["tenancy_start_date"].to_numpy() > died.to_numpy()).any()
    dth = (t["end_reason"] == "DTH").to_numpy()
    assert dth.any() and (t["tenancy_end_date"].to_numpy()[dth] == died.to_numpy()[dth]).all()


def test_missing_returns_leave_no_rows(tables, cases):
    sub = tables["raw.hclic_submissions"]
    lads = set(tables["reference.lad"]["lad_code"])
    quarters = pd.period_range("2018Q2", "2023Q4", freq="Q").astype(str)
    assert len(sub) == len(lads) * len(quarters)
    assert set(sub["la_code"]) == lads and set(sub["reporting_quarter"]) == set(quarters)
    assert (sub["submission_id"] == sub["la_code"] + "-" + sub["reporting_quarter"]).all()
    assert (pd.PeriodIndex(sub["quarter_start_date"], freq="Q").astype(str)
            == sub["reporting_quarter"]).all()
    missing = sub[sub["submitted"] == "N"]
    assert len(missing) > 0 and missing["cases_submitted"].isna().all()
    gone = set(zip(missing["la_code"], missing["reporting_quarter"], strict=True))
    in_truth = cases[[k in gone for k in zip(cases["la_code"], cases["reporting_quarter"],
                                             strict=True)]]
    assert len(in_truth) > 0 and (in_truth["submitted"] == "N").all()
    lost = set(in_truth["case_ref"])
    for s in (hclic_decl.HCLIC_PEOPLE, *SECTIONS):
        df = tables[f"raw.{s.name}"]
        assert not df["case_ref"].isin(lost).any(), s.name
    people = tables["raw.hclic_people"]
    assert not any(k in gone for k in zip(people["la_code"], people["reporting_quarter"],
                                          strict=True))
    sent = sub[sub["submitted"] == "Y"].set_index(["la_code", "reporting_quarter"])
    counts = tables["raw.hclic_main"].groupby(["la_code", "reporting_quarter"]).size()
    assert (sent["cases_submitted"].astype(int) == counts.reindex(sent.index).fillna(0)).all()
    assert set(people["case_ref"]) == set(cases.loc[cases["submitted"] == "Y", "case_ref"])


def test_missing_returns_drawn_per_council_whatever_the_size():
    ctx = WorldContext(seed=TEST_SEED, persons=pd.DataFrame(), addresses=pd.DataFrame(), z={},
                       geo={})
    small, large = missing_returns(ctx, 6, 23), missing_returns(ctx, 300, 23)
    assert small.any() and 0.05 < large.any(axis=1).mean() < 0.25
    u = ctx.rng("hclic_returns.missing").random(6)
    same = np.arange(6) != np.argmin(u)  # the forced council of the small world aside
    assert (small[same] == large[:6][same]).all()


def test_repeat_presentations_are_one_person(tables, cases):
    councils = cases.groupby("person_id")["la_code"].nunique()
    movers = councils.index[councils >= 2]
    assert len(movers) > 0
    people = tables["raw.hclic_people"]
    person = _person_of(tables, "hclic_people").reindex(people["person_ref"]).to_numpy()
    assert pd.notna(person).all()
    by_case = cases.set_index("case_ref")["person_id"].reindex(people["case_ref"]).to_numpy()
    assert (person == by_case).all()
    seen = people.assign(person_id=person)
    seen = seen[seen["person_id"].isin(movers)].groupby("person_id")["la_code"].nunique()
    assert (seen >= 2).any()


def test_cases_follow_earlier_waves(tables, cases):
    main = tables["raw.hclic_main"].set_index("case_ref")
    prison_cases = cases[cases["cause"] == "prison"]
    assert len(prison_cases) > 0
    m = main.reindex(prison_cases["case_ref"]).dropna(subset=["reason_loss_of_home"])
    assert (m["reason_loss_of_home"] == "06").all()
    assert m["accommodation_at_application"].isin(["5", "6", "7"]).all()
    rel = tables["truth.prison_release_housing"]
    assert 0.08 < rel["no_accommodation"].mean() < 0.18
    homeless = rel[rel["no_accommodation"]].merge(prison_cases, on="person_id")
    gap = (homeless["date_of_application"] - homeless["release_date"]).dt.days
    assert gap.between(-56, 42).any()
    # history of offending recorded more for people with a justice record
    needs = tables["raw.hclic_support_needs"]
    offending = set(needs.loc[needs["support_need"] == "01", "case_ref"])
    owed = main.index[main["assessment_outcome"].isin(["1", "2"])]
    persons = tables["truth.persons"].set_index("person_id")
    flag = persons["outcome_offending"].reindex(cases.set_index("case_ref")["person_id"]
                                                .reindex(owed)).to_numpy(bool)
    hit = owed.isin(list(offending))
    assert hit[flag].mean() > 2 * hit[~flag].mean()
    # council evictions are followed by applications from the same person (end of social let)
    t = tables["raw.la_tenancies"]
    evicted = _person_of(tables, "la_tenancies").reindex(
        t.loc[t["end_reason"].isin(["EVR", "EVA"]), "tenancy_ref"])
    assert cases.loc[cases["cause"] == "eviction", "person_id"].isin(set(evicted)).all()


def test_council_tenancies(tables):
    t = tables["raw.la_tenancies"]
    person = _person_of(tables, "la_tenancies").reindex(t["tenancy_ref"]).to_numpy()
    assert pd.notna(person).all()
    assert (t.assign(p=person).groupby("tenant_ref")["p"].nunique() == 1).all()
    assert (t.assign(p=person).groupby(["p", "la_code"])["tenant_ref"].nunique() == 1).all()
    open_ = t["tenancy_end_date"].isna()
    assert open_.any() and t.loc[open_, ["end_reason", "arrears_at_end"]].isna().all().all()
    assert t.loc[~open_, ["end_reason", "arrears_at_end"]].notna().all().all()
    evr = t["end_reason"] == "EVR"
    assert evr.any() and (t.loc[evr, "arrears_at_end"] > 0).all()
    # the let property is in the landlord council's area
    pc = tables["reference.postcodes"].set_index("postcode")["lsoa_code"]
    lad = tables["reference.lsoa"].set_index("lsoa_code")["lad_code"]
    where = lad.reindex(pc.reindex(t["property_postcode"].str.upper()).to_numpy()).to_numpy()
    known = pd.notna(where)
    assert known.mean() > 0.6 and (where[known] == t["la_code"].to_numpy()[known]).all()
    # tenants are needier than the population
    persons = tables["truth.persons"].set_index("person_id")
    need = persons["driver_low_income"]
    assert need.reindex(pd.unique(person)).mean() > 2 * need.mean()


def test_calibration_smoke(tables):
    table = calibration_table(tables).set_index("figure")
    assert len(table) == 10
    assert 3.5 < table.loc["assessments_per_1000", "measured"] < 9.5
    assert 0.7 < (table.loc["assessments_submitted_per_1000", "measured"]
                  / table.loc["assessments_per_1000", "measured"]) <= 1
    assert 82 < table.loc["owed_duty_pct", "measured"] < 97
    assert 0.8 < table.loc["ta_households_per_1000", "measured"] < 3.5
    assert 5 < table.loc["council_tenants_pct", "measured"] < 9
    assert table.loc["repeat_across_councils_pct", "count"] > 0


def test_wave_4_changes_no_earlier_table():
    before = generate_world(3000, TEST_SEED, up_to_wave=3).tables
    after = generate_world(3000, TEST_SEED).tables
    assert {k for k in after if k.split(".")[1] in WAVE_4} == {f"raw.{n}" for n in WAVE_4}
    for key, frame in before.items():
        other = after[key]
        if key == "truth.record_person":
            other = other[~other["source_dataset"].isin(WAVE_4)].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, other)
