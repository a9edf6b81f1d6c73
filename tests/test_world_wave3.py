"""Wave 3 world: PDS, HES, MHSDS and ONS deaths in their declared shapes, NHS numbers, deaths
consistent with every earlier and later record, the earlier waves untouched, and a smoke check of
the calibration (the real one: `python -m bold_assets.world.calibration_wave3`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bold_assets.catalog.icd10 import CODE_LISTS
from bold_assets.catalog.sources import nhs as nhs_decl
from bold_assets.catalog.sources import ons as ons_decl
from bold_assets.sources import SOURCES
from bold_assets.world.calibration_wave3 import (
    calibration_table,
    nhs_person,
    traceable_pupils,
)
from bold_assets.world.earlier_waves import last_records, supervision_periods
from bold_assets.world.generate import (
    generate_world,
    generator_modules,
    make_context,
    run_generators,
)
from bold_assets.world.mortality import Mortality
from bold_assets.world.sources import nhs
from tests.conftest import TEST_SEED
from tests.test_world_declarations import valid_nhs_number

DECLARED = nhs_decl.DECLARED + ons_decl.DECLARED
WAVE_3 = {s.name for s in DECLARED}
ATTRIBUTES = [s.name for s in DECLARED if s.name != "pds"]
SPELL_ENDS = {"termination_date", "enddate", "cin_cinclosuredate", "cla_dec"}


@pytest.fixture(scope="module")
def tables(world_tables) -> dict[str, pd.DataFrame]:
    return world_tables


@pytest.fixture(scope="module")
def person_of_nhs(tables) -> pd.Series:
    return nhs_person(tables)


@pytest.fixture(scope="module")
def death_of(tables) -> pd.Series:
    d = tables["truth.deaths"]
    return pd.Series(d["date_of_death"].to_numpy(), index=d["person_id"].to_numpy())


def _person_of(tables, source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def test_generator_produces_what_is_declared():
    assert set(nhs.PRODUCES) == WAVE_3
    for s in DECLARED:
        assert s.wave == 3 and s.generator == "bold_assets.world.sources.nhs"
    assert set(nhs.ERROR_PROFILES) == {"pds"}


def test_icd10_codes_four_characters_from_their_lists(tables):
    hes = tables["raw.hes_apc"]
    for col in nhs_decl.DIAGNOSES:
        assert hes[col].dropna().str.fullmatch(r"[A-Z]\d{3}").all(), col
    assert hes["diag_4_01"].notna().all()
    deaths = tables["raw.ons_deaths"]
    for col in ("s_underlying_cod_icd10", *ons_decl.CAUSES):
        assert deaths[col].dropna().str.fullmatch(r"[A-Z]\d{3}").all(), col
    assert (deaths["s_cod_code_1"] == deaths["s_underlying_cod_icd10"]).all()
    # self-harm admissions: an injury or poisoning primary with an X60-X84 secondary
    harm = hes["diag_4_02"].map(CODE_LISTS["self_harm"].contains).astype(bool)
    assert harm.any() and hes.loc[harm, "diag_4_01"].str[0].isin(["S", "T"]).all()
    mental = hes["mainspef"].isin(["710", "711", "712", "715"])
    assert mental.any()
    primary = hes.loc[mental, "diag_4_01"]
    assert (primary.map(CODE_LISTS["mental_health"].contains)
            | primary.map(CODE_LISTS["substance_use"].contains)).all()


def test_nhs_numbers_valid_unique_and_on_pds(tables, person_of_nhs):
    pds = tables["raw.pds"]
    assert pds["nhs_number"].notna().all()
    assert all(valid_nhs_number(v) for v in pds["nhs_number"].unique())
    person = _person_of(tables, "pds").reindex(pds["pds_record_id"]).to_numpy()
    assert pd.notna(person).all()
    assert (pd.Series(pds["nhs_number"].to_numpy(), index=person).groupby(level=0).nunique()
            == 1).all()
    assert (pd.Series(person, index=pds["nhs_number"].to_numpy()).groupby(level=0).nunique()
            == 1).all()
    on_pds = set(pds["nhs_number"])
    for name in ATTRIBUTES:
        values = tables[f"raw.{name}"]["nhs_number"]
        if name == "ons_deaths":
            assert 0.005 < values.isna().mean() < 0.06
            values = values.dropna()
        assert values.notna().all() and values.isin(on_pds).all(), name
    # nearly everyone is on PDS, fewer among people born abroad
    persons = tables["truth.persons"].set_index("person_id")
    held = persons.index.isin(person_of_nhs.to_numpy())
    assert 0.96 < held.mean() < 0.995
    abroad = persons["born_abroad"].to_numpy(dtype=bool)
    assert held[abroad].mean() < held[~abroad].mean()


def test_pds_rows_as_held(tables):
    pds = tables["raw.pds"]
    persons = tables["truth.persons"].set_index("person_id")
    person = _person_of(tables, "pds").reindex(pds["pds_record_id"]).to_numpy()
    assert pd.Series(person).value_counts().max() <= 4
    assert pds["date_of_birth"].str.fullmatch(r"\d{8}").all()
    dob = pd.to_datetime(pds["date_of_birth"], format="%Y%m%d", errors="coerce")
    assert (dob.to_numpy() == persons["dob"].reindex(person).to_numpy()).mean() > 0.995
    assert set(pds["gender"]) == {"1", "2"}
    assert (pds["address_from_date"].to_numpy()
            >= persons["dob"].reindex(person).to_numpy()).all()
    assert pds["address_from_date"].between("1920-01-01", "2023-12-31").all()
    assert 0.005 < pds["postcode"].isna().mean() < 0.05
    # the most recent address last: the current postcode of most people
    last = pds.assign(person=person).sort_values("address_from_date").groupby("person").tail(1)
    held = last["postcode"].str.replace(" ", "", regex=False)
    now = persons["postcode"].reindex(last["person"]).str.replace(" ", "", regex=False)
    assert (held.to_numpy() == now.to_numpy()).mean() > 0.85


def test_no_wave_3_record_after_death(tables, person_of_nhs, death_of):
    pds = tables["raw.pds"]
    person = _person_of(tables, "pds").reindex(pds["pds_record_id"]).to_numpy()
    died = death_of.reindex(person).to_numpy()
    assert not (pds["address_from_date"].to_numpy() > died).any()
    checked = 0
    for name in ATTRIBUTES:
        df = tables[f"raw.{name}"]
        source = SOURCES[name]
        died = death_of.reindex(person_of_nhs.reindex(df["nhs_number"])).to_numpy()
        for col in source.date_columns:
            if col == "reg_date":  # registered after the death
                continue
            late = df[col].to_numpy() > died
            assert not late.any(), (name, col, df[late].head())
            checked += int((~pd.isna(died)).sum())
    assert checked > 0


def test_in_hospital_deaths_consistent(tables, person_of_nhs, death_of):
    hes = tables["raw.hes_apc"]
    died = hes[hes["dismeth"] == "4"]
    assert len(died) > 0
    when = death_of.reindex(person_of_nhs.reindex(died["nhs_number"])).to_numpy()
    assert (died["disdate"].to_numpy() == when).all()
    assert died["nhs_number"].is_unique


def _last_earlier_records(tables) -> pd.Series:
    """Latest date per person_id over the earlier waves' rows (every date column but spell
    ends), reached through truth or the parent's key: independent of the generator's code."""
    frames = []
    for src in SOURCES.values():
        if src.wave >= 3:
            continue
        df = tables[f"raw.{src.name}"]
        cols = [c for c in src.date_columns if c not in SPELL_ENDS]
        latest = df[cols].max(axis=1)
        if src.parent is None:
            person = _person_of(tables, src.name).reindex(df[src.key]).to_numpy()
        else:
            parent = SOURCES[src.parent]
            pdf = tables[f"raw.{parent.name}"]
            by_key = pd.Series(_person_of(tables, parent.name).reindex(pdf[parent.key])
                               .to_numpy(), index=pdf[src.parent_key].to_numpy()).dropna()
            by_key = by_key[~by_key.index.duplicated()]
            person = by_key.reindex(df[src.parent_key]).to_numpy()
        frames.append(pd.DataFrame({"person_id": person, "day": latest.to_numpy()}))
    both = pd.concat(frames).dropna()
    return both.groupby("person_id")["day"].max()


def test_no_death_before_the_last_earlier_wave_record(tables, death_of):
    last = _last_earlier_records(tables)
    deaths = death_of.dropna()
    before = last.reindex(deaths.index).to_numpy()
    has = ~pd.isna(before)
    assert has.sum() > 100
    assert (deaths.to_numpy()[has] > before[has]).all()
    assert deaths.between("2010-01-01", "2023-12-31").all()


def test_death_registrations(tables):
    raw, truth = tables["raw.ons_deaths"], tables["truth.deaths"]
    assert raw["death_record_id"].is_unique and truth["person_id"].is_unique
    assert list(truth["death_record_id"]) == list(raw["death_record_id"])
    assert (raw["reg_date_of_death"].to_numpy() == truth["date_of_death"].to_numpy()).all()
    assert (raw["reg_date"] >= raw["reg_date_of_death"]).all()
    delay = (raw["reg_date"] - raw["reg_date_of_death"]).dt.days
    group = truth["cause_group"].to_numpy()
    assert delay[group == "natural"].median() < 15 < 60 < delay[group != "natural"].median()
    persons = tables["truth.persons"].set_index("person_id")
    age = (raw["reg_date_of_death"] - persons["dob"].reindex(truth["person_id"]).to_numpy())
    assert (np.floor(age.dt.days / 365.25).to_numpy() == raw["dec_agec"].to_numpy()).mean() > 0.99
    code = raw["s_underlying_cod_icd10"]
    for cause, check in (("suicide", "suicide"), ("drug_poisoning", "drug_poisoning")):
        assert code[group == cause].map(CODE_LISTS[check].contains).all(), cause
    assert not code[group == "natural"].map(CODE_LISTS["external_causes"].contains).any()
    assert set(group) == {"natural", "suicide", "drug_poisoning", "other_external"}


def test_episodes_spells_and_mental_health_records(tables):
    hes = tables["raw.hes_apc"]
    assert (hes["disdate"].isna() | (hes["disdate"] >= hes["admidate"])).all()
    assert (hes["epiend"].isna() | (hes["epiend"] >= hes["epistart"])).all()
    assert (hes["epistart"] >= hes["admidate"]).all()
    spells = hes.groupby(["nhs_number", "admidate"]).size()
    assert 1.0 < spells.mean() < 1.2 and spells.max() >= 2
    assert (hes.loc[hes["disdate"].isna(), "dismeth"] == "8").all()
    refs = tables["raw.mhsds_referrals"].set_index("servicerequestid")
    for name, col in (("mhsds_care_contacts", "carecontdate"),
                      ("mhsds_hosp_spells", "startdatehospprovspell")):
        df = tables[f"raw.{name}"]
        ref = refs.reindex(df["servicerequestid"])
        assert (ref["nhs_number"].to_numpy() == df["nhs_number"].to_numpy()).all(), name
        assert (df[col].to_numpy() >= ref["referralrequestreceiveddate"].to_numpy()
                - np.timedelta64(3, "D")).all(), name
    contacts = tables["raw.mhsds_care_contacts"]
    end = refs["servdischdate"].reindex(contacts["servicerequestid"]).fillna(
        pd.Timestamp("2023-12-31")).to_numpy()
    assert (contacts["carecontdate"].to_numpy() <= end).all()
    mpi = tables["raw.mhsds_mpi"]
    assert not mpi.duplicated(["nhs_number", "orgidprov"]).any()
    pairs = set(zip(mpi["nhs_number"], mpi["orgidprov"], strict=True))
    assert set(zip(refs["nhs_number"], refs["orgidprov"], strict=True)) == pairs
    ae = tables["raw.hes_ae"]
    assert {"14", "35"} <= set(ae["diag_01"]) and (ae["arrivaldate"] >= "2007-01-01").all()


def test_latent_needs_drive_health_records(tables, person_of_nhs):
    persons = tables["truth.persons"].set_index("person_id")
    adults = persons[persons["dob"] < "2000-01-01"].index
    referred = set(person_of_nhs.reindex(tables["raw.mhsds_referrals"]["nhs_number"]))
    hes = tables["raw.hes_apc"]
    substance = hes["diag_4_01"].map(CODE_LISTS["substance_use"].contains).astype(bool)
    for c in nhs_decl.DIAGNOSES[1:4]:
        substance |= hes[c].map(CODE_LISTS["substance_use"].contains).astype(bool)
    f1 = set(person_of_nhs.reindex(hes.loc[substance, "nhs_number"]))
    for flag, people in (("driver_mental_health", referred), ("driver_substance_misuse", f1)):
        has = persons[flag].reindex(adults).to_numpy()
        hit = adults.isin(list(people))
        assert hit[has].mean() > 2.5 * hit[~has].mean(), flag
    dead = tables["truth.deaths"]
    early = dead.loc[dead["cause_group"].isin(["suicide", "drug_poisoning"]), "person_id"]
    natural = dead.loc[dead["cause_group"] == "natural", "person_id"]
    share = persons["driver_substance_misuse"].reindex(early).mean()
    # about 30 such deaths at the small population: a bar of 1.5x leaves room for chance
    assert share > 1.5 * persons["driver_substance_misuse"].mean()
    assert share > persons["driver_substance_misuse"].reindex(natural).mean()


def test_calibration_smoke(tables):
    table = calibration_table(tables).set_index("figure")
    assert len(table) == 13
    assert 3 < table.loc["general_suicide_per_100k", "measured"] < 30
    assert 2 < table.loc["general_drug_per_100k", "measured"] < 25
    assert abs(table.loc["mental_health_recorded_pct", "measured"] - 38) < 12
    trace = traceable_pupils(tables).set_index("group")["traced_pct"]
    assert 91 < trace["all"] < 98.5
    assert trace["minority_ethnic"] < trace["white"]
    assert trace["deprived_imd_1_2"] < trace["imd_3_10"] + 0.5


def test_mortality_solve_hits_its_targets():
    """The solved hazards give the published figures in expectation (the noise-free half of the
    calibration)."""
    ctx = make_context(8000, TEST_SEED)
    run_generators(ctx, generator_modules(2))
    expected = Mortality(ctx, last_records(ctx), supervision_periods(ctx)).expected
    assert expected["supervised_death_rate_pct"] == pytest.approx(0.34, rel=0.05)
    for name, value in (("suicide_ratio_men", 4), ("suicide_ratio_women", 11),
                        ("drug_ratio_men", 11), ("drug_ratio_women", 36)):
        assert expected[name] == pytest.approx(value, rel=0.02), name
    assert abs(expected["supervised_natural_share_pct"] - 44) < 3
    assert 9 < expected["general_suicide_per_100k"] < 13
    assert 6 < expected["general_drug_per_100k"] < 9.5


def test_wave_3_changes_no_earlier_table():
    before = generate_world(3000, TEST_SEED, up_to_wave=2).tables
    after = generate_world(3000, TEST_SEED, up_to_wave=3).tables
    assert {k for k in after if k.split(".")[1] in WAVE_3} == {f"raw.{n}" for n in WAVE_3}
    assert "truth.deaths" in after and "truth.deaths" not in before
    for key, frame in before.items():
        other = after[key]
        if key == "truth.record_person":
            other = other[~other["source_dataset"].isin(WAVE_3)].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, other)
    assert "pds" in set(after["truth.record_person"]["source_dataset"])


def test_a_snapshot_holds_the_deaths_registered_by_then(tables):
    """A death dated before a snapshot but registered after it is not in that snapshot's
    extract; the next snapshot (after its registration) has it, so the refresh takes the person
    out of that snapshot's counts (the deaths rule, tested in tests/test_dbt.py)."""
    from bold_assets.world.snapshots import snapshot_tables

    deaths = tables["raw.ons_deaths"]
    died, registered = (pd.to_datetime(deaths[c]) for c in ("reg_date_of_death", "reg_date"))
    late = deaths[(registered - died).dt.days > 30]
    assert len(late) > 0  # inquests: registered weeks or months after the death
    row = late.iloc[0]
    snapshot = (pd.Timestamp(row["reg_date_of_death"]) + pd.Timedelta(days=7)).date()
    before = snapshot_tables({"raw.ons_deaths": deaths}, snapshot, TEST_SEED)["raw.ons_deaths"]
    after = snapshot_tables({"raw.ons_deaths": deaths}, pd.Timestamp(row["reg_date"]).date(),
                            TEST_SEED)["raw.ons_deaths"]
    key = row["death_record_id"]
    assert key not in set(before["death_record_id"]) and key in set(after["death_record_id"])
    assert (pd.to_datetime(before["reg_date"]) <= pd.Timestamp(snapshot)).all()
