"""Wave 2 world: the CIS trace, benefit spells and HMRC employments in their declared shapes,
NINOs, custody, the history of benefit types, latent needs, and the MoJ-DWP-HMRC calibration
measured back from raw."""

from __future__ import annotations

import pandas as pd
import pytest

from bold_assets.catalog.sources import dwp as dwp_decl
from bold_assets.world.calibration_wave2 import calibration_table, nino_person, spells
from bold_assets.world.generate import generate_world
from bold_assets.world.sources import dwp
from tests.conftest import TEST_SEED
from tests.test_world_declarations import valid_nino

DECLARED = dwp_decl.DECLARED
OPEN = pd.Timestamp("2200-01-01")


@pytest.fixture(scope="module")
def tables(world_tables) -> dict[str, pd.DataFrame]:
    return world_tables


@pytest.fixture(scope="module")
def person_of_nino(tables) -> pd.Series:
    return nino_person(tables)


def _person_of(tables, source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def test_generator_produces_what_is_declared():
    assert set(dwp.PRODUCES) == {s.name for s in DECLARED}
    for s in DECLARED:
        assert s.wave == 2 and s.generator == "bold_assets.world.sources.dwp"


def test_ninos_valid_and_one_per_person(tables):
    cis = tables["raw.dwp_cis"]
    assert cis["nino"].notna().all()
    for name in ("dwp_cis", "dwp_benefit_spells", "hmrc_employments"):
        assert all(valid_nino(v) for v in tables[f"raw.{name}"]["nino"].unique()), name
    person = _person_of(tables, "dwp_cis").reindex(cis["cis_record_id"]).to_numpy()
    assert pd.notna(person).all()
    by_person = pd.Series(cis["nino"].to_numpy(), index=person).groupby(level=0).nunique()
    by_nino = pd.Series(person, index=cis["nino"].to_numpy()).groupby(level=0).nunique()
    assert (by_person == 1).all() and (by_nino == 1).all()


def test_cis_holds_everyone_from_16_with_their_addresses(tables):
    cis, persons = tables["raw.dwp_cis"], tables["truth.persons"].set_index("person_id")
    person = _person_of(tables, "dwp_cis").reindex(cis["cis_record_id"]).to_numpy()
    sixteen = persons["dob"] + pd.DateOffset(years=16)
    assert set(person) == set(persons.index[sixteen <= "2023-12-31"])
    assert (cis["address_from_date"].to_numpy() >= sixteen.reindex(person).to_numpy()).all()
    # NINOs on arrival (earlier only for people in custody before their recorded arrival)
    arrival = persons["arrival_date"].reindex(person).to_numpy()
    arrived = ~pd.isna(arrival)
    assert (cis["address_from_date"].to_numpy()[arrived] >= arrival[arrived]).mean() > 0.99
    assert cis["address_from_date"].between("1975-01-01", "2023-12-31").all()
    assert pd.Series(person).value_counts().max() <= 4
    # identifiers as CIS holds them
    assert cis["date_of_birth"].str.fullmatch(r"\d{8}").all()
    dob = pd.to_datetime(cis["date_of_birth"], format="%Y%m%d")
    assert (dob.to_numpy() == persons["dob"].reindex(person).to_numpy()).mean() > 0.99
    assert set(cis["sex"]) <= {"1", "2"}
    assert (cis["surname"] == cis["surname"].str.upper()).all()
    # the most recent address last: the current postcode of almost everyone
    last = cis.assign(person=person).sort_values("address_from_date").groupby("person").tail(1)
    held = last["postcode"].str.replace(" ", "", regex=False)
    now = persons["postcode"].reindex(last["person"]).str.replace(" ", "", regex=False)
    assert (held.to_numpy() == now.to_numpy()).mean() > 0.9


def test_spells_reach_only_people_on_cis(tables):
    ninos = set(tables["raw.dwp_cis"]["nino"])
    for name in ("dwp_benefit_spells", "hmrc_employments"):
        assert tables[f"raw.{name}"]["nino"].isin(ninos).all(), name


def test_no_spell_during_custody(tables, person_of_nino):
    prison = tables["raw.prison"]
    custody = pd.DataFrame({
        "person_id": _person_of(tables, "prison").reindex(prison["journey_id"]).to_numpy(),
        "reception": prison["reception_date"], "release": prison["release_date"].fillna(OPEN)})
    for name in ("dwp_benefit_spells", "hmrc_employments"):
        df = tables[f"raw.{name}"]
        s = pd.DataFrame({"person_id": person_of_nino.reindex(df["nino"]).to_numpy(),
                          "start": df["startdate"], "end": df["enddate"].fillna(OPEN)})
        m = s.merge(custody, on="person_id")
        assert len(m) > 0
        inside = (m["start"] <= m["release"]) & (m["end"] >= m["reception"])
        assert not inside.any(), m[inside].head()


def test_spell_dates_and_pay(tables):
    for name in ("dwp_benefit_spells", "hmrc_employments"):
        df = tables[f"raw.{name}"]
        assert (df["enddate"].isna() | (df["enddate"] >= df["startdate"])).all(), name
        assert df["startdate"].between("1995-01-01", "2023-12-31").all(), name
        assert (df["enddate"].dropna() <= "2023-12-31").all(), name
        assert 0 < df["enddate"].isna().mean() < 0.5, name
    emp = tables["raw.hmrc_employments"]
    assert (emp["taxable_pay"] > 0).all()
    assert emp["employer_paye_ref"].str.fullmatch(r"\d{3}/[A-Z]{2}\d{5}").all()
    per_person = emp.groupby("nino").size()
    assert per_person.median() >= 3  # several employers over a career


def test_benefit_history(tables):
    b = tables["raw.dwp_benefit_spells"]
    uc = b["benefit_type"] == "UC"
    assert (b.loc[uc, "startdate"] >= "2013-01-01").all()
    assert b.loc[uc, "uc_regime"].notna().all() and b.loc[~uc, "uc_regime"].isna().all()
    assert set(b.loc[uc, "uc_regime"]) == set(dwp_decl.UC_REGIMES)
    assert (b.loc[b["benefit_type"] == "ESA", "startdate"] >= "2008-10-27").all()
    assert (b.loc[b["benefit_type"] == "PIP", "startdate"] >= "2013-04-08").all()
    assert (b.loc[b["benefit_type"] == "PC", "startdate"] >= "2003-10-06").all()
    assert (b.loc[b["benefit_type"].isin(["IB", "SDA", "DLA"]), "startdate"] < "2013-04-08").all()
    assert set(b["benefit_type"]) == set(dwp_decl.BENEFIT_TYPES)
    emp = tables["raw.hmrc_employments"]
    rti = emp["paye_source"] == "RTI"
    assert (emp.loc[rti, "startdate"] >= "2014-04-06").all()
    assert (emp.loc[~rti, "startdate"] < "2014-04-06").all()


def test_latent_needs_drive_careers(tables, person_of_nino):
    persons = tables["truth.persons"].set_index("person_id")
    oow, emp = spells(tables)
    end = pd.Timestamp("2023-12-31")

    def days(df: pd.DataFrame) -> pd.Series:
        d = (df["end"].clip(upper=end) - df["start"]).dt.days + 1
        return d.groupby(df["person_id"].to_numpy()).sum()

    adults = pd.Index(person_of_nino.unique())
    oow_days, emp_days = days(oow).reindex(adults).fillna(0), days(emp).reindex(adults).fillna(0)
    for flag in ("driver_low_income", "driver_employment", "outcome_inactivity",
                 "driver_physical_health", "driver_mental_health"):
        has = persons[flag].reindex(adults).to_numpy()
        assert oow_days[has].mean() > 2 * oow_days[~has].mean(), flag
        assert emp_days[has].mean() < emp_days[~has].mean(), flag
    h = tables["raw.hmrc_employments"]
    years = ((h["enddate"].fillna(end) - h["startdate"]).dt.days + 1) / 365.25
    pay = (h["taxable_pay"] / years).groupby(person_of_nino.reindex(h["nino"]).to_numpy()).median()
    poor = persons["outcome_in_work_poverty"].reindex(pay.index).to_numpy()
    assert pay[poor].median() < 0.6 * pay[~poor].median()
    b = tables["raw.dwp_benefit_spells"]
    working_uc = person_of_nino.reindex(b.loc[b["uc_regime"].isin(["WFI", "WNR"]), "nino"])
    share = persons["outcome_in_work_poverty"].reindex(adults).mean()
    assert persons["outcome_in_work_poverty"].reindex(working_uc.unique()).mean() > 2 * share


def test_calibration_within_five_points(tables):
    table = calibration_table(tables)
    assert len(table) == 7 and set(table["how"]) == {"set", "emerges"}
    assert (table["difference_points"].abs() <= 5).all(), table.to_string()


def test_wave_2_changes_no_earlier_table():
    before = generate_world(3000, TEST_SEED, up_to_wave=1).tables
    after = generate_world(3000, TEST_SEED, up_to_wave=2).tables
    wave_2 = {s.name for s in DECLARED}
    assert {k for k in after if k.split(".")[1] in wave_2} == {f"raw.{n}" for n in wave_2}
    for key, frame in before.items():
        other = after[key]
        if key == "truth.record_person":
            other = other[~other["source_dataset"].isin(wave_2)].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, other)
    assert "dwp_cis" in set(after["truth.record_person"]["source_dataset"])
