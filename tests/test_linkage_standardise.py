"""Standardisation: bad values become NULL with a flag, never an error."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bold_assets.linkage.standardise import (
    STD_COLUMNS,
    RecordSpec,
    infer_mapping,
    metaphone,
    standardise_frame,
)
from bold_assets.sources import SOURCES


def _std(df: pd.DataFrame, source: str) -> pd.DataFrame:
    out = standardise_frame(df, RecordSpec.from_source(SOURCES[source])).to_pandas()
    assert list(out.columns) == list(STD_COLUMNS)
    return out.set_index("record_id")


def _crown(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {c: [None] * n for c in SOURCES["crown"].columns}
    base["defendant_on_case_id"] = [f"T{i}" for i in range(n)]
    base["receipt_date"] = [dt.date(2015, 6, 1)] * n
    base.update(cols)
    return pd.DataFrame(base)


def test_bad_dates_become_null_and_flagged():
    df = _crown(date_of_birth=["31/02/1990", "12/05/2031", "01/01/1900", "garbage", "",
                               "1985-03-07", "07/03/1985", None])
    out = _std(df, "crown")
    # impossible day, after the event, unreadable: NULL and flagged
    for rid in ("T0", "T1", "T3"):
        assert pd.isna(out.loc[rid, "dob_std"]) and out.loc[rid, "dob_invalid"], rid
    # the 1900-01-01 "unknown" filler and empty strings are missing, not invalid
    for rid in ("T2", "T4", "T7"):
        assert pd.isna(out.loc[rid, "dob_std"]) and not out.loc[rid, "dob_invalid"], rid
    # another common format is still read; parts follow the date
    assert out.loc["T5", "dob_std"] == dt.date(1985, 3, 7)
    assert out.loc["T6", "dob_std"] == dt.date(1985, 3, 7)
    assert (out.loc["T6", "dob_year"], out.loc["T6", "dob_month"], out.loc["T6", "dob_day"]) == (
        1985, 3, 7)
    assert out.loc["T6", "dob_year_month"] == "1985-03"


def test_postcodes_normalised_and_malformed_flagged():
    df = _crown(postcode=["sw1a1aa", " SW1A 1AA  ", "GY4 3DD", "GY43DD", "GY4 30D", "12345",
                          "NFA", "xx", None])
    out = _std(df, "crown")
    assert out.loc["T0", "postcode_std"] == out.loc["T1", "postcode_std"] == "SW1A 1AA"
    assert out.loc["T3", "postcode_std"] == "GY4 3DD"
    assert out.loc["T3", "postcode_district"] == "GY4"
    assert out.loc["T3", "postcode_sector"] == "GY4 3"
    assert out.loc["T4", "postcode_std"] == "GY4 3OD"  # a zero keyed for the letter O
    for rid in ("T5", "T7"):
        assert pd.isna(out.loc[rid, "postcode_std"]) and out.loc[rid, "postcode_invalid"], rid
    for rid in ("T6", "T8"):  # no fixed abode / missing: not malformed
        assert pd.isna(out.loc[rid, "postcode_std"]) and not out.loc[rid, "postcode_invalid"]


def test_names_cleaned_and_split():
    df = _crown(forenames=["Mr. John  Paul", "mary-jane", "UNKNOWN", "  ", "Zoë", "o'neil"],
                surname=["O'Brien", "Smith-Jones", "Smith", None, "Müller", "X"],
                sex=["Male", "Female", "F", "unknown", None, "M"])
    out = _std(df, "crown")
    assert tuple(out.loc["T0", ["forename1_std", "forename2_std", "surname_std"]]) == (
        "JOHN", "PAUL", "OBRIEN")
    assert tuple(out.loc["T1", ["forename1_std", "forename2_std", "surname_std"]]) == (
        "MARY", "JANE", "SMITH JONES")
    assert pd.isna(out.loc["T2", "forename1_std"])  # placeholder
    assert pd.isna(out.loc["T3", "forename1_std"]) and pd.isna(out.loc["T3", "surname_std"])
    assert out.loc["T4", "forename1_std"] == "ZOE" and out.loc["T4", "surname_std"] == "MULLER"
    assert out.loc["T5", "forename1_std"] == "ONEIL"
    assert list(out.sort_index()["sex"].fillna("-")) == ["M", "F", "F", "-", "-", "M"]
    assert out.loc["T0", "surname_dm"] == metaphone("OBRIEN")


def test_nickname_keys_and_phonetic():
    df = _crown(forenames=["Bob", "Robert", "Kate"], surname=["Smith", "Smyth", "Jones"])
    out = _std(df, "crown")
    assert "ROBERT" in list(out.loc["T0", "forename1_keys"])
    assert set(out.loc["T1", "forename1_keys"]) == {"ROBERT"}
    assert {"KATHERINE", "CATHERINE"} <= set(out.loc["T2", "forename1_keys"])
    assert out.loc["T0", "surname_dm"] == out.loc["T1", "surname_dm"]  # SMITH ~ SMYTH


def test_civil_full_names_and_companies_excluded():
    df = pd.DataFrame({c: [None] * 5 for c in SOURCES["civil"].columns})
    df["party_id"] = ["C0", "C1", "C2", "C3", "C4"]
    df["party_type"] = ["PERSON", "PERSON", "COMPANY", "PERSON", "PERSON"]
    df["party_name"] = ["Smith, Olivia", "Mr John A Smith", "Clarion Housing Ltd", "O SMITH",
                        "Cher"]
    df["claim_date"] = dt.date(2016, 1, 1)
    out = _std(df, "civil")
    assert "C2" not in out.index  # company parties are not people
    assert tuple(out.loc["C0", ["forename1_std", "surname_std"]]) == ("OLIVIA", "SMITH")
    assert tuple(out.loc["C1", ["forename1_std", "forename2_std", "surname_std"]]) == (
        "JOHN", "A", "SMITH")
    assert tuple(out.loc["C3", ["forename1_std", "surname_std"]]) == ("O", "SMITH")
    assert pd.isna(out.loc["C4", "forename1_std"]) and out.loc["C4", "surname_std"] == "CHER"
    assert out["sex"].isna().all()  # civil records no sex


def test_infer_mapping_and_unknown_keys():
    cols = ["ID", "First_Name", "Last_Name", "Date_of_Birth", "Gender", "Post_Code"]
    m = infer_mapping(cols)
    assert m == {"record_id": "ID", "forename": "First_Name", "surname": "Last_Name",
                 "dob": "Date_of_Birth", "sex": "Gender", "postcode": "Post_Code"}
    with pytest.raises(ValueError, match="record id"):
        infer_mapping(["first_name", "surname"])
    with pytest.raises(ValueError, match="unknown mapping keys"):
        RecordSpec.from_mapping({"record_id": "id", "firstname": "x"})


def test_standard_form_is_idempotent():
    df = _crown(forenames=["Bob"], surname=["Smith"], date_of_birth=["07/03/1985"],
                sex=["Male"], postcode=["gy43dd"])
    once = _std(df, "crown").reset_index()
    again = standardise_frame(once).to_pandas()
    for col in ("forename1_std", "surname_std", "dob_std", "sex", "postcode_std",
                "postcode_sector", "surname_dm"):
        assert again.loc[0, col] == once.loc[0, col], col
