"""dbt project: builds standalone against a tiny hand-made warehouse; flags follow the register."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import importlib.metadata
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from packaging import version

from bold_assets import register
from bold_assets.catalog import CATALOG
from bold_assets.sources import OASYS_NEED_THRESHOLDS, OASYS_SECTIONS, SOURCES
from tests.conftest import bold_env

DBT_DIR = register.DBT_PROJECT_DIR
D = dt.date


def research_columns(name: str) -> dict[str, str]:
    """Columns of research.<name> per the research-zone contract."""
    return SOURCES[name].research_columns


def _insert(con, schema: str, table: str, cols: dict[str, str], rows: list[dict]) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    ddl = ", ".join(f'"{c}" {t}' for c, t in cols.items())
    con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} ({ddl})")
    if rows:
        df = pd.DataFrame(rows).reindex(columns=list(cols)).astype(object)
        df = df.where(df.notna(), None)
        con.register("_rows", df)
        casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in cols.items())
        con.execute(f"INSERT INTO {schema}.{table} SELECT {casts} FROM _rows")
        con.unregister("_rows")


def _oasys(pk: str, when: dt.date, lsoa: str, **items) -> dict:
    return {"row_id_hash": pk, "assessment_date": when, "setting": "COMMUNITY", "gender": "1",
            "ethnic_category": "W1", "age_at_event": 30, "lsoa_code": lsoa, **items}


def _items(section: int, *scores: int | None) -> dict:
    return {f"s{section}_q{i + 1}": s for i, s in enumerate(scores)}


# Planted people (xjs ids) and what the register's wave-0 definitions say about them.
LINKS = {  # row_id_hash -> (source, xjs medium, high, low)
    "o1a": ("oasys", "X1", "H1", "L1"), "o1b": ("oasys", "X1", "H1", "L1"),
    "m1": ("mags", "X1", "H1", "L1"),
    "o2a": ("oasys", "X2", "H2", "L1"), "o2b": ("oasys", "X2", "H2b", "L1"),
    "o2c": ("oasys", "X2", "H2b", "L1"),
    "o3": ("oasys", "X3", "H3", "L3"),
    "c4": ("civil", "X4", "H4", "L4"),
    "f5": ("family", "X5", "H5", "L5"),
    "m6": ("mags", "X6", "H6", "L6"), "m6b": ("mags", "X6", "H6", "L6"),
    "cr6": ("crown", "X6", "H6", "L6"),
    "p6": ("probation", "X6", "H6", "L6"),
    "p7": ("probation", "X7", "H7", "L7"),
    "pr8": ("prison", "X8", "H8", "L8"), "m8": ("mags", "X8", "H8", "L8"),
}

# Wave 1 (research.wave_1_link): X1's PNC record; X9 a new spine person (PNC only, a caution);
# X6's pupil census records (through the PNC-NPD link). Pupil u10 links to nobody.
WAVE_1_LINKS = {"pp1": ("pnc_people", "X1"), "pp9": ("pnc_people", "X9"),
                "n6a": ("npd_census", "X6"), "n6b": ("npd_census", "X6")}
_E = "E01000001"
WAVE_1_ROWS = {
    "pnc_people": [
        {"row_id_hash": "pp1", "pnc_id_hash": "pn1", "alias_flag": "N", "sex": "M",
         "created_date": D(2019, 1, 1), "age_at_event": 25, "lsoa_code": _E},
        {"row_id_hash": "pp9", "pnc_id_hash": "pn9", "alias_flag": "N", "sex": "F",
         "self_defined_ethnicity": "B1", "created_date": D(2021, 1, 1), "age_at_event": 19,
         "lsoa_code": _E},
    ],
    "pnc_offences": [  # X1: drug supply, guilty; X9: shoplifting, cautioned
        {"row_id_hash": "po1", "pnc_id_hash": "pn1", "offence_start_date": D(2020, 5, 1),
         "offence_group": "15", "adjudication_code": "G", "adjudication_date": D(2020, 6, 1),
         "disposal_code": "CUST"},
        {"row_id_hash": "po9", "pnc_id_hash": "pn9", "offence_start_date": D(2022, 5, 1),
         "offence_group": "08", "adjudication_code": "N", "adjudication_date": D(2022, 6, 1),
         "disposal_code": "CAUT"},
    ],
    "npd_census": [  # X6 as a pupil: FSM, SEN support with an SEMH need
        {"row_id_hash": "n6a", "upn_hash": "u6", "gender": "M", "census_year": 2003,
         "census_date": D(2003, 1, 16), "everfsm_all": 1, "senprovision": "S",
         "primarysentype": "SEMH", "age_at_event": 10, "lsoa_code": _E},
        {"row_id_hash": "n6b", "upn_hash": "u6", "gender": "M", "census_year": 2004,
         "census_date": D(2004, 1, 15), "everfsm_all": 1, "senprovision": "N",
         "age_at_event": 11, "lsoa_code": _E},
        {"row_id_hash": "n10", "upn_hash": "u10", "gender": "F", "census_year": 2004,
         "census_date": D(2004, 1, 15), "everfsm_all": 0, "senprovision": "N",
         "age_at_event": 11, "lsoa_code": _E},
    ],
    "npd_ks2": [  # X6: level 3 in English (below expected before 2016)
        {"row_id_hash": "k6", "upn_hash": "u6", "ks2_year": 2004, "exam_date": D(2004, 5, 10),
         "ks2_englev": "3", "ks2_matlev": "4"},
    ],
    "npd_exclusions": [
        {"row_id_hash": "e6", "upn_hash": "u6", "academic_year": "2005/06", "category": "PERM",
         "startdate": D(2005, 11, 1)},
    ],
    "npd_cin": [{"row_id_hash": "ci6", "upn_hash": "u6", "cin_referraldate": D(2002, 3, 1)}],
    "npd_cla": [{"row_id_hash": "cl10", "upn_hash": "u10", "cla_poc_start": D(2003, 3, 1)}],
}


# Wave 2 (research.wave_2_link): X1 and X9 traced to CIS records (grouped by NINO). X1: JSA
# open since 2021 (out of work, income-related); X9: low-paid RTI employment with UC in work.
WAVE_2_LINKS = {"ci1": ("dwp_cis", "X1"), "ci9": ("dwp_cis", "X9")}
WAVE_2_ROWS = {
    "dwp_cis": [
        {"row_id_hash": "ci1", "nino_hash": "ni1", "sex": "1",
         "address_from_date": D(2010, 1, 1), "age_at_event": 16, "lsoa_code": _E},
        {"row_id_hash": "ci9", "nino_hash": "ni9", "sex": "2",
         "address_from_date": D(2018, 1, 1), "age_at_event": 16, "lsoa_code": _E},
    ],
    "dwp_benefit_spells": [
        {"row_id_hash": "b1", "nino_hash": "ni1", "benefit_type": "JSA",
         "startdate": D(2021, 3, 1)},
        {"row_id_hash": "b9", "nino_hash": "ni9", "benefit_type": "UC", "uc_regime": "WFI",
         "startdate": D(2022, 1, 1), "enddate": D(2023, 6, 1)},
    ],
    "hmrc_employments": [
        {"row_id_hash": "h9", "nino_hash": "ni9", "employer_paye_ref": "123/AB45678",
         "startdate": D(2021, 1, 1), "enddate": D(2023, 1, 1), "taxable_pay": 16000.0,
         "paye_source": "RTI"},
    ],
}

# Wave 3 (research.wave_3_link): X1, X2, X6, X7, X8 and X9 traced to PDS records (grouped by
# NHS number); PDS record pd0 is traced to nobody. X1: an emergency admission with a depressive
# episode (F32) as a secondary diagnosis; X6: an open MHSDS referral for drug and alcohol
# difficulties, an A&E attendance for poisoning, an emergency admission (via the GP) with type 2
# diabetes (E11) in the 15th position; X2: an elective admission for breast cancer (C50: planned
# care, no flag). Deaths: X7 died before the snapshot (registered
# days later), X8 died on 2023-12-20, registered after the snapshot (in this extract): both leave
# the wave-3 mart; X9 died after the snapshot and stays; a death without an NHS number and one
# of pd0 reach nobody.
WAVE_3_LINKS = {f"pd{i}": ("pds", f"X{i}") for i in (1, 2, 6, 7, 8, 9)}
WAVE_3_ROWS = {
    "pds": [
        {"row_id_hash": f"pd{i}", "nhs_number_hash": f"nh{i}", "gender": g,
         "address_from_date": D(2005, 1, 1), "age_at_event": 14, "lsoa_code": _E}
        for i, g in ((0, "2"), (1, "1"), (2, "1"), (6, "1"), (7, "1"), (8, "2"), (9, "2"))
    ],
    "hes_apc": [
        {"row_id_hash": "ha1", "nhs_number_hash": "nh1", "admidate": D(2022, 3, 1),
         "epistart": D(2022, 3, 1), "admimeth": "21", "diag_4_01": "S720",
         "diag_4_03": "F32.1", "sex": "1"},
        {"row_id_hash": "ha6", "nhs_number_hash": "nh6", "admidate": D(2018, 6, 1),
         "epistart": D(2018, 6, 1), "admimeth": "22", "diag_4_01": "K359",
         "diag_4_15": "E119"},
        {"row_id_hash": "ha2", "nhs_number_hash": "nh2", "admidate": D(2019, 6, 1),
         "epistart": D(2019, 6, 1), "admimeth": "11", "diag_4_01": "C509"},
        {"row_id_hash": "ha0", "nhs_number_hash": "nh0", "admidate": D(2020, 1, 1),
         "admimeth": "21", "diag_4_01": "F200", "diag_4_02": "F102"},
    ],
    "hes_ae": [
        {"row_id_hash": "ae6", "nhs_number_hash": "nh6", "arrivaldate": D(2021, 2, 1),
         "diag_01": "14"},
    ],
    "mhsds_referrals": [
        {"row_id_hash": "mr6", "nhs_number_hash": "nh6",
         "referralrequestreceiveddate": D(2019, 4, 1), "primreasonreferralmh": "02"},
    ],
    "ons_deaths": [
        {"row_id_hash": "d7", "nhs_number_hash": "nh7", "reg_date_of_death": D(2023, 6, 1),
         "reg_date": D(2023, 6, 10), "s_underlying_cod_icd10": "X420", "dec_agec": 30},
        {"row_id_hash": "d8", "nhs_number_hash": "nh8", "reg_date_of_death": D(2023, 12, 20),
         "reg_date": D(2024, 2, 1), "s_underlying_cod_icd10": "I219", "dec_agec": 41},
        {"row_id_hash": "d9", "nhs_number_hash": "nh9", "reg_date_of_death": D(2024, 3, 1),
         "reg_date": D(2024, 3, 5), "s_underlying_cod_icd10": "X700", "dec_agec": 22},
        {"row_id_hash": "dx", "nhs_number_hash": None, "reg_date_of_death": D(2022, 1, 1),
         "reg_date": D(2022, 1, 5), "s_underlying_cod_icd10": "C349"},
        {"row_id_hash": "d0", "nhs_number_hash": "nh0", "reg_date_of_death": D(2021, 1, 1),
         "reg_date": D(2021, 1, 5), "s_underlying_cod_icd10": "V031"},
    ],
}


# Wave 4 (research.wave_4_link): H-CLIC cases and council tenancies traced to X1, X2, X5, X6 and
# X9 (the other H-CLIC sections through case_ref_hash); H-CLIC person hp0 (a main duty) is traced
# to nobody. X1: relieved then owed the main duty (homeless); X2: homeless (relief) and in
# temporary accommodation still open at the snapshot; X6: a council tenancy ended by eviction for
# rent arrears; X9: threatened with homelessness only (prevention), domestic abuse recorded, and a
# temporary accommodation placement that begins after the snapshot (no day before it); X5: no
# duty owed but a mental health support need, and a tenancy that ended on the tenant's notice.
WAVE_4_LINKS = {"hp1": ("hclic_people", "X1"), "hp2": ("hclic_people", "X2"),
                "hp5": ("hclic_people", "X5"), "hp9": ("hclic_people", "X9"),
                "t5": ("la_tenancies", "X5"), "t6": ("la_tenancies", "X6")}
# Councils' returns (2018Q2-2023Q4 are the 23 full quarters of the window before the 2024-01-01
# snapshot): One submits every quarter (its 2024Q1 return, after the snapshot, is missing and
# does not count); Two misses 2020Q2; Three submits every quarter with zero cases; Four has no
# rows at all.
LAD_ONE, LAD_TWO, LAD_THREE, LAD_FOUR = "E06000001", "E06000002", "E06000003", "E06000004"
_QUARTERS = [D(y, m, 1) for y in range(2018, 2025) for m in (1, 4, 7, 10)
             if D(2018, 4, 1) <= D(y, m, 1) <= D(2024, 1, 1)]


def _returns(lad: str, missing: tuple[dt.date, ...] = (), cases: int = 3) -> list[dict]:
    return [{"row_id_hash": f"s{lad}{q:%Y%m}", "la_code": lad,
             "reporting_quarter": f"{q.year}Q{(q.month + 2) // 3}", "quarter_start_date": q,
             "submitted": "N" if q in missing else "Y",
             "cases_submitted": None if q in missing else cases} for q in _QUARTERS]


def _case(ref: str, lad: str, applied: dt.date, lsoa: str | None) -> dict:
    return {"row_id_hash": ref, "case_ref_hash": f"c{ref}", "la_code": lad,
            "date_of_application": applied, "sex": "2", "ethnicity": "W",
            "age_at_event": 30, "lsoa_code": lsoa}


WAVE_4_ROWS = {
    "hclic_submissions": (_returns(LAD_ONE, missing=(D(2024, 1, 1),))
                          + _returns(LAD_TWO, missing=(D(2020, 4, 1),))
                          + _returns(LAD_THREE, cases=0)),
    "hclic_people": [_case("hp1", LAD_ONE, D(2020, 5, 20), "E01000001"),
                     _case("hp2", LAD_TWO, D(2022, 1, 20), "E01000005"),
                     _case("hp5", LAD_TWO, D(2019, 1, 5), None),
                     _case("hp9", LAD_ONE, D(2023, 2, 20), "E01000001"),
                     _case("hp0", LAD_ONE, D(2019, 6, 1), "E01000001")],
    "hclic_main": [
        {"row_id_hash": "hm1", "case_ref_hash": "chp1", "date_of_application": D(2020, 5, 20),
         "date_of_assessment": D(2020, 6, 1), "assessment_outcome": "2",
         "reason_loss_of_home": "03", "accommodation_at_application": "4"},
        {"row_id_hash": "hm2", "case_ref_hash": "chp2", "date_of_application": D(2022, 1, 20),
         "date_of_assessment": D(2022, 2, 1), "assessment_outcome": "2",
         "reason_loss_of_home": "01", "accommodation_at_application": "6"},
        {"row_id_hash": "hm5", "case_ref_hash": "chp5", "date_of_application": D(2019, 1, 5),
         "date_of_assessment": D(2019, 1, 10), "assessment_outcome": "3"},
        {"row_id_hash": "hm9", "case_ref_hash": "chp9", "date_of_application": D(2023, 2, 20),
         "date_of_assessment": D(2023, 3, 1), "assessment_outcome": "1",
         "reason_loss_of_home": "04"},
        {"row_id_hash": "hm0", "case_ref_hash": "chp0", "date_of_application": D(2019, 6, 1),
         "date_of_assessment": D(2019, 6, 1), "assessment_outcome": "2"},
    ],
    "hclic_support_needs": [
        {"row_id_hash": "hs5", "case_ref_hash": "chp5", "date_of_assessment": D(2019, 1, 10),
         "support_need": "02"},
        {"row_id_hash": "hs9", "case_ref_hash": "chp9", "date_of_assessment": D(2023, 3, 1),
         "support_need": "06"},
    ],
    "hclic_prevention": [
        {"row_id_hash": "hv9", "case_ref_hash": "chp9", "prevention_start_date": D(2023, 3, 1)},
    ],
    "hclic_relief": [
        {"row_id_hash": "hr1", "case_ref_hash": "chp1", "relief_start_date": D(2020, 6, 1),
         "relief_end_date": D(2020, 7, 27), "relief_outcome": "2"},
        {"row_id_hash": "hr2", "case_ref_hash": "chp2", "relief_start_date": D(2022, 2, 1)},
    ],
    "hclic_main_duty": [
        {"row_id_hash": "hd1", "case_ref_hash": "chp1", "decision_date": D(2020, 8, 10),
         "decision": "1"},
        {"row_id_hash": "hd0", "case_ref_hash": "chp0", "decision_date": D(2019, 9, 1),
         "decision": "1"},
    ],
    "hclic_temp_accommodation": [
        {"row_id_hash": "ht2", "case_ref_hash": "chp2", "ta_start_date": D(2022, 3, 1),
         "ta_type": "1", "out_of_area": "Y"},
        {"row_id_hash": "ht9", "case_ref_hash": "chp9", "ta_start_date": D(2024, 2, 1),
         "ta_type": "3"},
    ],
    "la_tenancies": [
        {"row_id_hash": "t6", "tenant_ref_hash": "tr6", "la_code": LAD_TWO, "tenant_sex": "M",
         "tenure_type": "SEC", "tenancy_start_date": D(2012, 4, 1),
         "tenancy_end_date": D(2020, 6, 30), "end_reason": "EVR", "arrears_at_end": 2400.0,
         "lsoa_code": "E01000005"},
        {"row_id_hash": "t5", "tenant_ref_hash": "tr5", "la_code": LAD_TWO, "tenant_sex": "F",
         "tenure_type": "SEC", "tenancy_start_date": D(2010, 1, 1),
         "tenancy_end_date": D(2016, 1, 1), "end_reason": "NTQ", "lsoa_code": "E01000005"},
    ],
}


def build_tiny_warehouse(path: Path) -> None:
    """Research + reference tables for eight planted people (see LINKS)."""
    with duckdb.connect(str(path)) as con:
        lsoa_rows = [{"lsoa_code": f"E0100000{i}", "lsoa_name": f"Area {i}",
                      "lad_code": "E06000001" if i < 4 else "E06000002",
                      "lad_name": "One" if i < 4 else "Two", "country": "England",
                      "imd_decile": i + 1} for i in range(1, 7)]
        # two LADs of nobody in the marts (wave 4's council coverage: Three, Four)
        lsoa_rows += [{"lsoa_code": f"E0100000{i}", "lsoa_name": f"Area {i}", "lad_code": lad,
                       "lad_name": name, "country": "England", "imd_decile": 5}
                      for i, lad, name in ((7, LAD_THREE, "Three"), (8, LAD_FOUR, "Four"))]
        _insert(con, "reference", "lsoa", {"lsoa_code": "VARCHAR", "lsoa_name": "VARCHAR",
                                           "lad_code": "VARCHAR", "lad_name": "VARCHAR",
                                           "country": "VARCHAR", "imd_decile": "INTEGER"},
                lsoa_rows)
        a, b = "E01000001", "E01000005"
        rows = {name: [] for name in SOURCES}
        rows["oasys"] = [
            # X1: latest assessment s3 = 1+1 -> accommodation need; s4 = 7 -> ETE severe
            _oasys("o1a", D(2015, 3, 1), a, **_items(3, 0, 0, 0, 0)),
            _oasys("o1b", D(2020, 3, 1), a, **_items(3, 1, 1, 0, 0), **_items(4, 2, 2, 2, 1)),
            # X2: an earlier need (sum 4) is superseded by the latest (sum 1); a later
            # assessment after the snapshot does not count
            _oasys("o2a", D(2016, 1, 1), b, **_items(3, 2, 2, 0, 0)),
            _oasys("o2b", D(2022, 1, 1), b, **_items(3, 1, 0, 0, 0)),
            _oasys("o2c", D(2024, 6, 1), b, **_items(3, 2, 2, 2, 2)),
            # X3: items missing, recorded severe need level
            _oasys("o3", D(2021, 1, 1), a, s3_need_level=2),
        ]
        rows["civil"] = [
            {"row_id_hash": "c4", "claim_number_hash": "k1", "claim_type": "RENT_PRIVATE",
             "party_role": "DEFENDANT", "party_type": "PERSON", "claim_date": D(2018, 1, 1),
             "order_type": "OUTRIGHT", "order_date": D(2018, 3, 1), "lsoa_code": a},
            {"row_id_hash": "c0", "claim_number_hash": "k1", "claim_type": "RENT_PRIVATE",
             "party_role": "CLAIMANT", "party_type": "COMPANY", "claim_date": D(2018, 1, 1)},
        ]
        rows["family"] = [
            {"row_id_hash": "f5", "case_number_hash": "fc1", "case_type": "PRIVATE",
             "issue_date": D(2017, 5, 1), "party_role": "APPLICANT", "party_sex": "F",
             "harm_alleged": True, "children_involved": 2, "fee_exemption": True,
             "lsoa_code": b},
        ]
        rows["mags"] = [
            {"row_id_hash": "m1", "case_id_hash": "mc1", "gender": "M", "ethnicity": "W1",
             "first_hearing_date": D(2019, 1, 1), "disposal_code": "FINE",
             "disposal_date": D(2019, 2, 1), "age_at_event": 25, "lsoa_code": a},
            {"row_id_hash": "m6", "case_id_hash": "mc6", "gender": "M",
             "first_hearing_date": D(2019, 1, 1), "disposal_code": "NOT_GUILTY",
             "disposal_date": D(2019, 2, 1), "lsoa_code": b},
            {"row_id_hash": "m6b", "case_id_hash": "mc6b", "gender": "M",
             "first_hearing_date": D(2019, 3, 1), "disposal_code": "SENT_CC",
             "lsoa_code": b},  # sent to the Crown Court: its acquittal decides
            {"row_id_hash": "m8", "case_id_hash": "mc8", "gender": "F",
             "first_hearing_date": D(2023, 12, 1), "disposal_code": "FINE",
             "disposal_date": D(2024, 2, 1), "lsoa_code": b},
        ]
        rows["crown"] = [
            {"row_id_hash": "cr6", "case_number_hash": "cc6", "sex": "Male",
             "receipt_date": D(2019, 5, 1), "sentence_type": "ACQUITTED",
             "sentence_date": D(2019, 9, 1), "lsoa_code": b},
        ]
        rows["probation"] = [
            {"row_id_hash": "p6", "referral_date": D(2012, 1, 1), "event_type": "ORDER",
             "requirements": "UPW", "lsoa_code": b},  # before the lookback window
            {"row_id_hash": "p7", "referral_date": D(2020, 1, 1), "event_type": "ORDER",
             "requirements": "UPW;DRR;MHTR", "gender": "M", "lsoa_code": a},
        ]
        rows["prison"] = [
            {"row_id_hash": "pr8", "booking_no_hash": "b8", "reception_date": D(2023, 12, 31),
             "gender_code": "F", "lsoa_code": b},
        ]
        rows.update(WAVE_1_ROWS)
        rows.update(WAVE_2_ROWS)
        rows.update(WAVE_3_ROWS)
        rows.update(WAVE_4_ROWS)
        for name in SOURCES:
            _insert(con, "research", name, research_columns(name), rows[name])
        _insert(con, "research", "wave_1_link",
                {"source_dataset": "VARCHAR", "row_id_hash": "VARCHAR",
                 "estimated_xjs_id": "VARCHAR"},
                [{"source_dataset": s, "row_id_hash": r, "estimated_xjs_id": x}
                 for r, (s, x) in WAVE_1_LINKS.items()])
        _insert(con, "research", "wave_2_link",
                {"source_dataset": "VARCHAR", "row_id_hash": "VARCHAR",
                 "estimated_xjs_id": "VARCHAR"},
                [{"source_dataset": s, "row_id_hash": r, "estimated_xjs_id": x}
                 for r, (s, x) in WAVE_2_LINKS.items()])
        _insert(con, "research", "wave_3_link",
                {"source_dataset": "VARCHAR", "row_id_hash": "VARCHAR",
                 "estimated_xjs_id": "VARCHAR"},
                [{"source_dataset": s, "row_id_hash": r, "estimated_xjs_id": x}
                 for r, (s, x) in WAVE_3_LINKS.items()])
        _insert(con, "research", "wave_4_link",
                {"source_dataset": "VARCHAR", "row_id_hash": "VARCHAR",
                 "estimated_xjs_id": "VARCHAR"},
                [{"source_dataset": s, "row_id_hash": r, "estimated_xjs_id": x}
                 for r, (s, x) in WAVE_4_LINKS.items()])
        _insert(con, "research", "xjs_link",
                {"source_dataset": "VARCHAR", "row_id_hash": "VARCHAR",
                 "estimated_xjs_id": "VARCHAR", "xjs_id_high": "VARCHAR",
                 "xjs_id_low": "VARCHAR"},
                [{"source_dataset": s, "row_id_hash": r, "estimated_xjs_id": m,
                  "xjs_id_high": h, "xjs_id_low": lo}
                 for r, (s, m, h, lo) in LINKS.items()])


def run_dbt(warehouse: Path, *args: str, cwd: Path = DBT_DIR,
            in_process: bool = True) -> subprocess.CompletedProcess:
    """dbt from `cwd`, as a user runs it there: in this process through dbt's programmatic entry
    point (`dbtRunner`, as dbt's own functional tests run it: a call is about 1 s against 4.5 s
    for a new process importing dbt), or, with `in_process=False`, as a command in a subprocess.
    Either way stdout holds what dbt printed and returncode is dbt's exit code (0 success, 1
    failure, 2 error). In process, three dbt members outside its documented API put the process
    back as a new one would find it (its loggers, its deprecation warnings, dbt-duckdb's open
    database); dbt-core and dbt-duckdb are pinned, and every in-process call here uses them.

    A warehouse beside the project folder is named by its file name (relative to the folder
    holding the project, as a user's `BOLD_WAREHOUSE=data/bold.duckdb` is: profiles.yml adds
    `../`), so the profile of every copy laid out that way is the same, and dbt reuses the parse
    the copy was given (`copy_project`, `_copies`): the profile's path is part of what dbt
    compares before it reuses one, and an absolute path would make it parse every file again."""
    name = warehouse.name if warehouse.parent == Path(cwd).parent else str(warehouse)
    env = {"BOLD_WAREHOUSE": name, "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    if not in_process:
        dbt = Path(sys.executable).with_name("dbt")
        return subprocess.run([str(dbt), *args], cwd=cwd, env={**os.environ, **env},
                              capture_output=True, text=True, timeout=600)
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt.deprecations import reset_deprecations
    from dbt_common.events.event_manager_client import cleanup_event_logger

    printed, here = io.StringIO(), os.getcwd()
    reset_deprecations()  # each call warns as a new process would
    try:
        with bold_env(**env), contextlib.redirect_stdout(printed):
            os.chdir(cwd)  # profiles.yml's `../` is relative to where dbt runs
            result = dbtRunner().invoke(list(args))
    finally:
        os.chdir(here)
        cleanup_event_logger()  # dbt's loggers hold this call's stdout and log file
        # dbt-duckdb keeps its database open for the process's next invocation: close it, so
        # the test (and the next dbt call) opens the file as a new process would
        DuckDBConnectionManager.close_all_connections()
        gc.collect()
    if result.exception is not None and not isinstance(result.exception, Exception):
        raise result.exception  # Ctrl-C or a test timeout, which dbtRunner catches
    code = 0 if result.success else 2 if result.exception is not None else 1
    return subprocess.CompletedProcess(["dbt", *args], code, printed.getvalue(),
                                       "" if result.exception is None else str(result.exception))


def copy_project(dest: Path, parsed: Path = DBT_DIR / "target" / "partial_parse.msgpack"
                 ) -> Path:
    """A copy of the dbt project at `dest` (tests never touch the working tree's target), with
    the parse of another copy (by default the working tree's) if there is one: dbt re-parses
    only the files that differ, as it would in place, when the profile is the same (the copies
    of `built`; the working tree's parse has the default warehouse, so dbt parses it all)."""
    shutil.copytree(DBT_DIR, dest, ignore=shutil.ignore_patterns("target", "logs"))
    if parsed.exists():
        (dest / "target").mkdir()
        shutil.copy(parsed, dest / "target" / "partial_parse.msgpack")
    return dest


WAREHOUSE = "tiny.duckdb"  # every copy's warehouse, beside its project copy (see `run_dbt`)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dbt")
    wh = root / WAREHOUSE
    build_tiny_warehouse(wh)
    # a copy of the project so the test never touches dbt_project/target of the working tree
    proj = copy_project(root / "dbt_project")
    res = run_dbt(wh, "build", "--profiles-dir", ".", cwd=proj, in_process=False)  # the command
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    return wh


def _copies(built: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the built warehouse and of the dbt project with the built one's parse (tests
    that edit either)."""
    wh = tmp_path / WAREHOUSE
    shutil.copy(built, wh)
    parsed = built.parent / "dbt_project" / "target" / "partial_parse.msgpack"
    return wh, copy_project(tmp_path / "dbt_project", parsed)


def _mart(wh: Path, threshold: str = "medium", wave: int = 0) -> pd.DataFrame:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(f"select * from marts.person_needs_wave_{wave} where link_threshold = ?",
                           [threshold]).df().set_index("estimated_xjs_id").sort_index()


def test_dbt_build_standalone_passes(built):
    m = _mart(built)
    assert sorted(m.index) == [f"X{i}" for i in range(1, 9)]
    with duckdb.connect(str(built), read_only=True) as con:
        assert con.execute("select count(*) from marts.risk_factor_register").fetchone()[0] == 70
    assert set(register.wave_measures(0)) <= set(m.columns)


def test_oasys_flags_follow_register_thresholds(built):
    m = _mart(built)
    # driver_accommodation: latest assessment s3 item sum >= 2 (HMPPS standard threshold)
    assert m.loc["X1", "driver_accommodation"]  # 1 + 1 = 2
    assert not m.loc["X2", "driver_accommodation"]  # latest is 1; the 2024 one is after snapshot
    assert m.loc["X3", "driver_accommodation"] and m.loc["X3", "outcome_homelessness"]  # level 2
    assert m.loc["X1", "driver_employment"] and m.loc["X1", "outcome_inactivity"]  # s4 = 7
    assert not m.loc["X1", "outcome_homelessness"]  # s3 = 2 is not severe (7)
    assert m.loc["X1", "has_oasys_assessment"] and not m.loc["X4", "has_oasys_assessment"]


def test_court_and_probation_flags_follow_register(built):
    m = _mart(built)
    assert m.loc["X4", "driver_accommodation"] and m.loc["X4", "outcome_homelessness"]
    assert m.loc["X4", "outcome_in_work_poverty"]  # rent-arrears claim, no ETE need
    assert m.loc["X5", "driver_low_income"] and m.loc["X5", "driver_family"]
    assert m.loc["X5", "outcome_poor_child_outcomes"]
    assert m.loc["X1", "outcome_offending"]
    # not guilty; sent to the Crown Court and acquitted there; probation before the window
    assert not m.loc["X6", "outcome_offending"]
    assert m.loc["X7", "driver_substance_misuse"] and m.loc["X7", "driver_mental_health"]
    assert m.loc["X7", "outcome_offending"]
    assert m.loc["X8", "outcome_offending"]  # prison reception the day before the snapshot
    assert m.loc["X8", "sex"] == "F" and m.loc["X5", "sex"] == "F"
    assert m.loc["X1", "lad_code"] == "E06000001" and m.loc["X1", "imd_decile"] == 2
    flags = list(register.wave_measures(0))
    assert not m.loc["X6", flags].any()


def test_sensitivity_thresholds_regroup_people(built):
    high, low = _mart(built, "high"), _mart(built, "low")
    assert len(high) == 9 and len(low) == 7  # X2 split in two; X1 and X2 merged
    # merged at low: the latest assessment of the merged person is X2's (sum 1)
    assert not low.loc["L1", "driver_accommodation"] and low.loc["L1", "outcome_offending"]
    assert high.loc["H2", "driver_accommodation"]  # H2 holds only X2's 2016 assessment


def test_a_persons_area_and_age_come_from_one_record_however_dates_tie(built, tmp_path):
    """Five records of X1 on its latest date, each in another area at another age: the mart
    takes the area and age of the one with the highest (source, row hash), not whichever DuckDB
    happens to read first (at 68k persons, rebuilds of the same records gave a few people
    another LAD)."""
    wh, proj = _copies(built, tmp_path)
    with duckdb.connect(str(wh)) as con:
        for i in (2, 4, 6, 3, 5):  # t6, the highest row hash, neither first nor last
            con.register("_row", pd.DataFrame([_oasys(f"t{i}", D(2023, 6, 1), f"E0100000{i}",
                                                      age_at_event=40 + i)]))
            con.execute("INSERT INTO research.oasys BY NAME SELECT * FROM _row")
            con.unregister("_row")
            con.execute("INSERT INTO research.xjs_link VALUES ('oasys', ?, 'X1', 'H1', 'L1')",
                        [f"t{i}"])
    # staging and intermediate models are views: the mart reads the new rows
    res = run_dbt(wh, "run", "--profiles-dir", ".", "--select", "person_needs_wave_0", cwd=proj)
    assert res.returncode == 0, res.stdout[-3000:]
    x1 = _mart(wh).loc["X1"]
    assert (x1["lsoa_code"], x1["age_at_snapshot"]) == ("E01000006", 46)


def test_snapshot_var_moves_the_as_at_date(built, tmp_path):
    wh, proj = _copies(built, tmp_path)
    res = run_dbt(wh, "run", "--profiles-dir", ".", "--select", "+person_needs_wave_0",
                  "--vars", "{snapshot_date: '2019-01-15'}", cwd=proj)
    assert res.returncode == 0, res.stdout[-3000:]
    m = _mart(wh)
    assert "X7" not in m.index  # first record in 2020
    assert not m.loc["X1", "driver_accommodation"]  # only the 2015 assessment (sum 0) is before
    assert not m.loc["X1", "outcome_offending"]  # conviction disposed Feb 2019


def test_mart_holds_every_threshold_once_per_person(built):
    """Each wave's mart holds the thresholds its catalogue declaration (Wave.link_thresholds)
    gives it: wave 0 three, wave 1 the persistent (medium) spine ids only."""
    from bold_assets.catalog import dbt as catalog_dbt

    waves = [w.number for w in CATALOG.active_waves()]
    with duckdb.connect(str(built), read_only=True) as con:
        n = {w: dict(con.execute(f"select link_threshold, count(*) from "
                                 f"marts.person_needs_wave_{w} group by all").fetchall())
             for w in waves}
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts'").fetchall()}
    assert n[0] == {"medium": 8, "high": 9, "low": 7}
    assert n[1] == {"medium": 9}  # X1-X8 and X9, a new spine person from PNC
    assert n[2] == {"medium": 9}  # wave 2 traces spine persons: nobody new
    assert n[3] == {"medium": 7}  # wave 3 too, and X7 and X8 died before the snapshot
    assert n[4] == {"medium": 7}  # wave 4 traces spine persons (H-CLIC person hp0 to nobody)
    assert {t for t in tables if t.startswith("person_needs")} == {
        f"person_needs_wave_{w}" for w in waves}
    assert {w["wave"]: w["thresholds"] for w in catalog_dbt.wave_links()} == {
        w.number: list(w.link_thresholds) for w in CATALOG.active_waves()}
    assert "wave_links" not in yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]


def test_register_definition_generates_the_flag(built, tmp_path):
    """The mart's flag columns are generated from the register rows: edit a wave-0 row's
    flag_sql and the compiled SQL (under a comment naming the row) and the flag follow it. A
    mart refuses to build while a row uses evidence whose SQL is pending, naming row and
    evidence."""
    wh, proj = _copies(built, tmp_path)
    path = proj / "seeds" / "risk_factor_register.csv"
    reg = register.load_register(path)
    row = (reg["id"] == "driver_physical_health") & (reg["wave"] == 0)
    assert reg.loc[row, "flag_sql"].item() == "need_s13"
    reg.loc[row, "flag_sql"] = "need_s13 or sig_offending"
    reg.to_csv(path, index=False)
    cfg_path = proj / "dbt_project.yml"
    cfg = yaml.safe_load(cfg_path.read_text())
    for s in cfg["vars"]["evidence_signals"]:
        if s["name"] == "sig_npd_sen_semh":
            s["from"], s["pending"] = [], "stg_npd_census (primarysentype)"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    res = run_dbt(wh, "build", "--profiles-dir", ".", "--select", "risk_factor_register",
                  "person_needs_wave_0", "person_needs_wave_1", cwd=proj)
    out = res.stdout
    assert res.returncode != 0  # the wave-1 model, and only it
    assert "OK created sql table model marts.person_needs_wave_0" in out
    assert ("risk_factor_register row driver_mental_health wave 1: evidence sig_npd_sen_semh "
            "has no SQL yet (pending: stg_npd_census (primarysentype))") in out
    compiled = (proj / "target" / "compiled" / "bold" / "models" / "marts"
                / "person_needs_wave_0.sql").read_text()
    assert ("-- risk_factor_register row driver_physical_health, wave 0 (proxy)\n"
            "    (need_s13 or sig_offending) as driver_physical_health,") in compiled
    before, after = _mart(built), _mart(wh)
    assert not before.loc["X8", "driver_physical_health"]
    assert after.loc["X8", "driver_physical_health"]  # offending (prison reception), no OASys
    assert (after["driver_physical_health"]
            == before["driver_physical_health"] | before["outcome_offending"]).all()
    others = [m for m in register.wave_measures(0) if m != "driver_physical_health"]
    pd.testing.assert_frame_equal(after[others], before[others])


def test_wave_1_flags_follow_register_through_pnc_and_npd(built):
    """person_needs_wave_1 = `{{ person_needs(1) }}` over the records of waves 0 and 1: PNC and
    NPD evidence reaches spine persons through research.wave_1_link, attribute tables (offences,
    KS2, exclusions, CIN) through their parent's key. X6 (wave 0: nothing) is a pupil with FSM,
    SEN support with SEMH, KS2 below expected, a permanent exclusion and a CIN referral; X1 has a
    proven drug supply offence; X9 is a PNC-only person (a caution); pupil u10's CLA reaches
    nobody (not linked)."""
    compiled = (DBT_DIR / "models" / "marts" / "person_needs_wave_1.sql").read_text()
    assert "{{ person_needs(1) }}" in compiled
    w0, w1 = _mart(built), _mart(built, wave=1)
    assert list(w1.columns) == list(w0.columns)
    x6 = w1.loc["X6"]
    assert not w0.loc["X6", list(register.wave_measures(0))].any()
    for m in ("driver_education", "driver_mental_health", "driver_low_income", "driver_family",
              "outcome_poor_child_outcomes"):
        assert x6[m], m
    assert not x6["outcome_offending"] and x6["n_sources"] == 4  # mags, crown, probation, NPD
    assert w1.loc["X1", "driver_substance_misuse"] and not w0.loc["X1", "driver_substance_misuse"]
    assert w1.loc["X9", "outcome_offending"] and w1.loc["X9", "sex"] == "F"
    assert w1.loc["X9", "ethnic_group"] == "Black"
    # X1 is no pupil: education falls back to the wave-0 proxy (ETE need)
    assert w1.loc["X1", "driver_education"] == w0.loc["X1", "driver_education"]
    unchanged = [m for m in register.wave_measures(1)
                 if m not in ("driver_education", "driver_mental_health", "driver_low_income",
                              "driver_family", "outcome_poor_child_outcomes",
                              "driver_substance_misuse", "outcome_offending")]
    pd.testing.assert_frame_equal(w1.loc[w0.index, unchanged], w0[unchanged])
    assert w1.loc[w0.index.drop(["X1", "X6"]), register.wave_measures(1)].equals(
        w0.loc[w0.index.drop(["X1", "X6"]), register.wave_measures(1)])


def test_wave_2_flags_follow_benefits_and_earnings(built):
    """Wave 2's validated rows read the DWP / HMRC spells of the CIS person a spine person is
    traced to (research.wave_2_link, spells through nino_hash): X1 has an open JSA claim (out of
    work, income-related), X9 low-paid employment with UC in work (in-work poverty); people not
    traced keep the earlier proxies; rows without a wave-2 flag_sql inherit wave 1's."""
    w1, w2 = _mart(built, wave=1), _mart(built, wave=2)
    assert list(w2.columns) == list(w1.columns)
    assert w2.loc["X1", "driver_employment"] and w2.loc["X1", "driver_low_income"]
    assert not w2.loc["X1", "outcome_in_work_poverty"]
    assert w2.loc["X9", "outcome_in_work_poverty"] and w2.loc["X9", "driver_low_income"]
    assert not w2.loc["X9", "driver_employment"] and not w2.loc["X9", "outcome_inactivity"]
    new = {"driver_low_income", "driver_employment", "outcome_in_work_poverty",
           "outcome_inactivity"}
    untraced = w1.index.drop(["X1", "X9"])
    for m in new:  # not traced to CIS: the wave-1 proxy
        assert w2.loc[untraced, m].equals(w1.loc[untraced, m]), m
    inherited = [m for m in register.wave_measures(2) if m not in new]
    pd.testing.assert_frame_equal(w2[inherited], w1[inherited])


def test_wave_3_flags_follow_health_records(built):
    """Wave 3's validated rows read the hospital and mental-health records of the PDS person a
    spine person is traced to (research.wave_3_link, the other NHS tables through
    nhs_number_hash), ICD-10 conditions through the code lists of bold_assets/catalog/icd10.py in
    any of the 20 diagnosis positions; the earlier proxies still count; rows without a wave-3
    flag_sql inherit wave 2's. X2's only admission is elective (a long-term condition on planned
    care is no evidence); PDS record pd0 (an F20 / F10 emergency admission) is traced to
    nobody."""
    w2, w3 = _mart(built, wave=2), _mart(built, wave=3)
    assert list(w3.columns) == list(w2.columns)
    x1, x6 = w3.loc["X1"], w3.loc["X6"]
    # X1: emergency admission, F32.1 as the third diagnosis
    assert x1["driver_mental_health"] and x1["outcome_ill_health"]
    assert not w2.loc["X1", "driver_mental_health"] and not w2.loc["X1", "outcome_ill_health"]
    assert not x1["driver_physical_health"]
    # X6: an open MHSDS drug and alcohol referral, A&E poisoning (self-harm), an emergency
    # admission with E11 in position 15
    assert x6["driver_substance_misuse"] and x6["driver_mental_health"]
    assert x6["driver_physical_health"] and x6["outcome_ill_health"]
    assert not w3.loc["X2", ["driver_physical_health", "outcome_ill_health"]].any()  # elective
    assert not w2.loc["X6", ["driver_substance_misuse", "driver_physical_health"]].any()
    assert w2.loc["X6", "driver_mental_health"]  # already: NPD SEMH (wave 1)
    new = ["driver_mental_health", "driver_physical_health", "driver_substance_misuse",
           "outcome_ill_health"]
    same = w3.index.drop(["X1", "X6"])
    pd.testing.assert_frame_equal(w3.loc[same, new], w2.loc[same, new])  # no health record
    assert (w3[new] >= w2.loc[w3.index, new]).all().all()  # the proxies still count
    inherited = [m for m in register.wave_measures(3) if m not in new]
    pd.testing.assert_frame_equal(w3[inherited], w2.loc[w3.index, inherited])
    assert w3.loc["X1", "n_sources"] == w2.loc["X1", "n_sources"] + 1  # PDS
    with duckdb.connect(str(built), read_only=True) as con:
        causes = dict(con.execute("select row_id_hash, cause_group "
                                  "from dbt_staging.stg_ons_deaths").fetchall())
        apc = con.execute("select row_id_hash, diag_mental_health, diag_substance_use "
                          "from dbt_staging.stg_hes_apc where row_id_hash = 'ha0'").fetchone()
    assert causes == {"d7": "drug_poisoning", "d8": "natural", "d9": "suicide", "dx": "natural",
                      "d0": "other_external"}
    assert apc == ("ha0", True, True)


def test_deaths_rule_takes_the_dead_out_of_later_marts(built, tmp_path):
    """var('deaths') (wave 3, stg_ons_deaths, date_of_death): X7 (died June 2023) and X8 (died
    20 December 2023, registered February 2024, in this extract) are in the wave-2 mart and not
    in the wave-3 mart; X9 died after the snapshot and stays; deaths that reach nobody (no NHS
    number; a PDS record traced to nobody) take nobody out. The mart test
    person_needs_has_no_deaths_before_snapshot (generated for waves >= 3 only) fails, naming
    them, on a wave-3 mart built without the rule."""
    w2, w3 = _mart(built, wave=2), _mart(built, wave=3)
    assert {"X7", "X8"} <= set(w2.index)
    assert set(w3.index) == set(w2.index) - {"X7", "X8"}
    cfg = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]
    assert cfg["deaths"] == {"wave": 3, "model": "stg_ons_deaths", "date": "date_of_death"}
    marts = {m["name"]: m for m in yaml.safe_load(
        (DBT_DIR / "models" / "marts" / "_marts_waves.yml").read_text())["models"]}
    for w in CATALOG.active_waves():
        tests = {next(iter(t)) for t in marts[f"person_needs_wave_{w.number}"]["data_tests"]}
        assert ("person_needs_has_no_deaths_before_snapshot" in tests) == (w.number >= 3)
    wh, proj = _copies(built, tmp_path)
    off = "{deaths: {wave: 4, model: stg_ons_deaths, date: date_of_death}}"
    res = run_dbt(wh, "run", "--profiles-dir", ".", "--select", "person_needs_wave_3",
                  "--vars", off, cwd=proj)
    assert res.returncode == 0, res.stdout[-3000:]
    assert {"X7", "X8"} <= set(_mart(wh, wave=3).index)
    # the deaths test and the spine test (which holds the mart to the rule too) both fail on
    # X7 and X8 (one dbt call)
    res = run_dbt(wh, "test", "--profiles-dir", ".", "--select",
                  "person_needs_wave_3,test_name:person_needs_has_no_deaths_before_snapshot "
                  "person_needs_wave_3,test_name:person_needs_spine_is_whole", cwd=proj)
    assert res.returncode != 0 and res.stdout.count("Got 2 results") == 2, res.stdout[-3000:]
    failed = [line for line in res.stdout.splitlines() if "Failure in test" in line]
    assert any("no_deaths_before_snapshot" in line for line in failed), failed
    assert any("spine_is_whole" in line for line in failed), failed
    # an earlier snapshot: X7's and X8's deaths are after it, so they stay (X8 has no record
    # before it)
    res = run_dbt(wh, "run", "--profiles-dir", ".", "--select", "person_needs_wave_3",
                  "--vars", "{snapshot_date: '2023-05-01'}", cwd=proj)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "X7" in _mart(wh, wave=3).index


HOUSING = ("driver_accommodation", "outcome_homelessness")


def test_wave_4_flags_follow_council_records(built):
    """Wave 4's accommodation and homelessness rows read the H-CLIC cases and council tenancies
    of the person the councils' trusted third party traces them to (research.wave_4_link; the
    other H-CLIC sections through case_ref_hash); the earlier proxies still count; H-CLIC support
    needs add to the mental health and family drivers; every other flag is wave 3's. Prevention
    (threatened with homelessness) is the driver, not the outcome; a temporary accommodation
    placement counts on its last active day and never when it begins after the snapshot."""
    w3, w4 = _mart(built, wave=3), _mart(built, wave=4)
    cols = list(w3.columns)
    cols.insert(cols.index("imd_decile") + 1, "council_covered")
    assert list(w4.columns) == cols
    assert set(w4.index) == set(w3.index)  # hp0 (a main duty) reaches nobody
    changed = {"driver_accommodation": {"X2", "X6", "X9"},  # relief + TA; eviction; prevention
               "outcome_homelessness": {"X1", "X2", "X6"},  # main duty; relief + TA; eviction
               "driver_family": {"X9"},  # domestic abuse recorded by the council
               "driver_mental_health": {"X5"}}  # H-CLIC support need: mental health
    for m, who in changed.items():
        assert set(w4.index[w4[m] != w3[m]]) == who, m
        assert w4.loc[sorted(who), m].all() and not w3.loc[sorted(who), m].any(), m
    assert w4.loc["X1", "driver_accommodation"]  # already: OASys (wave 0)
    assert not w4.loc["X9", "outcome_homelessness"]  # prevention only; TA after the snapshot
    measures = list(register.wave_measures(4))
    assert (w4[measures] >= w3[measures]).all().all()  # the proxies still count
    same = [m for m in measures if m not in changed]
    pd.testing.assert_frame_equal(w4[same], w3[same])
    with duckdb.connect(str(built), read_only=True) as con:
        ta = dict(con.execute("select row_id_hash, active_until "
                              "from dbt_staging.stg_hclic_temp_accommodation").fetchall())
        ends = con.execute("select row_id_hash, end_group, lost_tenancy "
                           "from dbt_staging.stg_la_tenancies order by 1").fetchall()
        duty = dict(con.execute("select row_id_hash, duty_owed "
                                "from dbt_staging.stg_hclic_main").fetchall())
        records = con.execute("select count(*) from dbt_intermediate.int_record_links_wave_4 "
                              "where source_dataset like 'hclic_%'").fetchone()[0]
    assert ta == {"ht2": D(2023, 12, 31), "ht9": None}
    assert ends == [("t5", "tenant_notice", False), ("t6", "eviction", True)]
    assert duty == {"hm1": "relief", "hm2": "relief", "hm5": "none", "hm9": "prevention",
                    "hm0": "relief"}
    # 4 traced cases: people, main, and their other sections (hp0's rows reach nobody)
    assert records == 4 + 4 + 2 + 1 + 2 + 1 + 2


def test_council_coverage_tells_no_data_from_zero(built, tmp_path):
    """var('council_coverage') (wave 4, stg_hclic_submissions, the housing measures):
    marts.area_coverage_wave_4 has one row per LAD of stg_lsoa and measure, in the schema the
    outputs read. Over the 23 full quarters of the window before the snapshot (2018Q2-2023Q4):
    One submitted each (its missing 2024Q1 return ends after the snapshot) and is covered; Two
    missed 2020Q2 and is not; Three submitted zero cases every quarter and is covered (a zero);
    Four has no rows and is not. The person mart carries the LAD's value as council_covered. The
    mart's tests fail on a covered value that does not follow the quarters."""
    rule = register.council_coverage_rule()
    assert rule == {"wave": 4, "model": "stg_hclic_submissions", "start": D(2018, 4, 1),
                    "measures": HOUSING}
    with duckdb.connect(str(built), read_only=True) as con:
        schema = con.execute("select column_name, data_type from information_schema.columns "
                             "where table_schema = 'marts' and table_name = "
                             "'area_coverage_wave_4' order by ordinal_position").fetchall()
        cov = con.execute("select * from marts.area_coverage_wave_4").df()
    assert schema == [("lad_code", "VARCHAR"), ("measure", "VARCHAR"),
                      ("coverage_source", "VARCHAR"), ("quarters_expected", "INTEGER"),
                      ("quarters_submitted", "INTEGER"), ("covered", "BOOLEAN"),
                      ("snapshot_date", "DATE")]
    assert sorted(zip(cov["lad_code"], cov["measure"], strict=True)) == [
        (lad, m) for lad in (LAD_ONE, LAD_TWO, LAD_THREE, LAD_FOUR) for m in HOUSING]
    assert (cov["coverage_source"] == "stg_hclic_submissions").all()
    assert (cov["quarters_expected"] == 23).all()
    assert (cov["snapshot_date"] == pd.Timestamp("2024-01-01")).all()
    by_lad = cov.groupby("lad_code").agg(submitted=("quarters_submitted", "max"),
                                         covered=("covered", "max"))
    assert by_lad.to_dict("index") == {
        LAD_ONE: {"submitted": 23, "covered": True}, LAD_TWO: {"submitted": 22, "covered": False},
        LAD_THREE: {"submitted": 23, "covered": True}, LAD_FOUR: {"submitted": 0, "covered": False}}
    m = _mart(built, wave=4)
    assert (m["council_covered"] == m["lad_code"].map(by_lad["covered"])).all()
    assert m.loc["X1", "council_covered"] and not m.loc["X2", "council_covered"]
    # a covered value that does not follow the quarters fails the mart's tests
    wh, proj = _copies(built, tmp_path)
    with duckdb.connect(str(wh)) as con:
        con.execute(f"update marts.area_coverage_wave_4 set covered = true "
                    f"where lad_code = '{LAD_TWO}'")
        con.execute(f"delete from marts.area_coverage_wave_4 where lad_code = '{LAD_FOUR}' "
                    "and measure = 'driver_accommodation'")
    res = run_dbt(wh, "test", "--profiles-dir", ".", "--select", "area_coverage_wave_4", cwd=proj)
    failed = [line for line in res.stdout.splitlines() if "Failure in test" in line]
    assert res.returncode != 0 and len(failed) == 2, res.stdout[-3000:]
    assert any("covered_is_every_quarter" in line for line in failed), failed
    assert any("one_row_per_lad_and_measure" in line for line in failed), failed


def test_council_coverage_expects_calendar_quarters_up_to_the_latest_returned(built, tmp_path):
    """The expected quarters are calendar quarters from the collection's start to the latest
    quarter begun before the snapshot that any council has returned, not the quarters the returns
    happen to hold. At a mid-quarter snapshot (2023-11-15): once One has returned 2023Q4, Three,
    which has not, is not covered; while nobody has returned 2023Q4 it is expected of nobody;
    and a quarter (2019Q1) that no council has a row for is a quarter every council missed. A
    return under a council code the LSOA lookup does not know warns (relationships test)."""
    wh, proj = _copies(built, tmp_path)
    mid_quarter = ["--vars", '{"snapshot_date": "2023-11-15"}']

    said = []

    def coverage(command: str = "run") -> dict[str, tuple[int, int, bool]]:
        res = run_dbt(wh, command, "--profiles-dir", ".", "--select",
                      "stg_hclic_submissions area_coverage_wave_4", *mid_quarter, cwd=proj)
        assert res.returncode == 0, res.stdout[-3000:]
        said.append(res.stdout)
        with duckdb.connect(str(wh), read_only=True) as con:
            rows = con.execute("select lad_code, quarters_expected, quarters_submitted, covered "
                               "from marts.area_coverage_wave_4 "
                               "where measure = 'outcome_homelessness'").fetchall()
        return {lad: tuple(rest) for lad, *rest in rows}

    with duckdb.connect(str(wh)) as con:  # Three has not sent 2023Q4; One has
        con.execute(f"update research.hclic_submissions set submitted = 'N' "
                    f"where la_code = '{LAD_THREE}' and quarter_start_date = '2023-10-01'")
    assert coverage() == {LAD_ONE: (23, 23, True), LAD_TWO: (23, 22, False),
                          LAD_THREE: (23, 22, False), LAD_FOUR: (23, 0, False)}
    with duckdb.connect(str(wh)) as con:  # nobody has sent 2023Q4; nobody 2019Q1 either
        con.execute("update research.hclic_submissions set submitted = 'N' "
                    "where quarter_start_date = '2023-10-01'")
        con.execute("delete from research.hclic_submissions "
                    "where quarter_start_date = '2019-01-01'")
        # a return under a code the LSOA lookup does not know (a predecessor council's)
        con.execute("insert into research.hclic_submissions by name select 'sX' as row_id_hash, "
                    "'E07999999' as la_code, '2019Q2' as reporting_quarter, "
                    "date '2019-04-01' as quarter_start_date, 'Y' as submitted")
    # built with its tests this time: the unknown council warns
    assert coverage("build") == {LAD_ONE: (22, 21, False), LAD_TWO: (22, 20, False),
                                 LAD_THREE: (22, 21, False), LAD_FOUR: (22, 0, False)}
    warned = [line for line in said[1].splitlines() if "WARN" in line and "relationships" in line]
    assert warned and "WARN=1" in said[1], said[1][-2000:]


def _render_catalog_macro(call: str) -> str:
    """`call` rendered with the generated macros/catalog.sql (plain Jinja, no dbt)."""
    import jinja2

    class Stop(Exception):
        pass

    class Exceptions:
        @staticmethod
        def raise_compiler_error(msg: str) -> None:
            raise Stop(msg)

    text = (DBT_DIR / "macros" / "catalog.sql").read_text()
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    try:
        return env.from_string(text + call).render(exceptions=Exceptions).strip()
    except Stop as e:
        raise ValueError(str(e)) from None


def test_icd10_macro_is_the_python_code_lists():
    """macros/catalog.sql's icd10_in(column, list) is CODE_LISTS[list].sql(column), for every
    list of bold_assets/catalog/icd10.py (the one declaration); DuckDB reads it as
    CodeList.contains does; an unknown list stops compilation naming the declared ones."""
    from bold_assets.catalog.icd10 import CODE_LISTS

    codes = ["F10", "F102", "F19.9", "F20", "f321", "F489", "F49", "X60", "X840", "Y10",
             "Y349", "X420", "X85", "C349", "E119", "N18", "N19", "I50", "K70", "", None]
    con = duckdb.connect()
    con.execute("create table c (code varchar)")
    con.executemany("insert into c values (?)", [[c] for c in codes])
    for name, lst in CODE_LISTS.items():
        sql = _render_catalog_macro(f"{{{{ icd10_in('d.code', '{name}') }}}}")
        assert sql == lst.sql("d.code"), name
        got = dict(con.execute(f"select code, {sql} from c as d").fetchall())
        assert got == {c: lst.contains(c) for c in codes}, name
    with pytest.raises(ValueError, match="unknown ICD-10 code list 'nope'; declared: "
                       "substance_use, mental_health"):
        _render_catalog_macro("{{ icd10_in('code', 'nope') }}")


def test_no_sql_restates_icd10_codes():
    """ICD-10 ranges live in bold_assets/catalog/icd10.py only: no hand-written model, macro,
    test or var quotes an ICD-10 code (a letter and two digits); the staging models of wave 3
    call icd10_in instead."""
    import re

    generated = DBT_DIR / "macros" / "catalog.sql"
    icd = re.compile(r"'[A-Z][0-9]{2}")
    files = [p for d in ("models", "macros", "tests") for p in (DBT_DIR / d).rglob("*.sql")
             if p != generated] + [DBT_DIR / "dbt_project.yml"]
    hits = {str(p.relative_to(DBT_DIR)): icd.findall(p.read_text()) for p in files}
    assert not {k: v for k, v in hits.items() if v}
    for model in ("stg_hes_apc", "stg_ons_deaths"):
        assert "icd10_in(" in (DBT_DIR / "models" / "staging" / f"{model}.sql").read_text()


# A wave after every declared one: the tests below declare it and give it one of today's sources.
NEW = max(CATALOG.waves) + 1


def _catalog_with_new_wave(name: str = "civil"):
    """The catalogue with wave NEW declared (no link plans) and one of its sources moved to it."""
    from dataclasses import replace

    from bold_assets.catalog import CATALOG, Catalog, Wave

    return Catalog.from_sources([replace(s, wave=NEW) if s.name == name else s
                                 for s in CATALOG.sources.values()],
                                (*CATALOG.declared_waves, Wave(NEW, "A new wave", ())))


def test_generated_dbt_files_are_fresh():
    from bold_assets.catalog import dbt as catalog_dbt

    assert catalog_dbt.main(["--check"]) == 0
    assert catalog_dbt.stale() == []


def test_a_declared_wave_gets_its_models_and_yaml_generated():
    """Declaring a wave (a source with wave NEW) is all it takes: the generator gives it its five
    models and their YAML (and, under the council coverage rule, its area_coverage mart), and its
    link and thresholds in catalog_wave_links(); the models of a wave no longer declared are
    stale (deleted when regenerating)."""
    from bold_assets.catalog import CATALOG, Catalog
    from bold_assets.catalog import dbt as catalog_dbt

    cat, models = _catalog_with_new_wave(), DBT_DIR / "models"
    files = catalog_dbt.generated(cat)
    assert {str(p.relative_to(models)) for p in set(files) - set(catalog_dbt.generated())} == {
        f"staging/stg_wave_{NEW}_link.sql", f"intermediate/int_records_wave_{NEW}.sql",
        f"intermediate/int_record_links_wave_{NEW}.sql",
        f"intermediate/int_signals_wave_{NEW}.sql", f"marts/person_needs_wave_{NEW}.sql",
        f"marts/area_coverage_wave_{NEW}.sql"}
    assert files[models / "marts" / f"person_needs_wave_{NEW}.sql"].endswith(
        f"{{{{ person_needs({NEW}) }}}}\n")
    assert files[models / "intermediate" / f"int_records_wave_{NEW}.sql"].endswith(
        f"{{{{ wave_records({NEW}) }}}}\n")
    assert ("select\n    source_dataset,\n    row_id_hash,\n    estimated_xjs_id\n"
            f"from {{{{ source('research', 'wave_{NEW}_link') }}}}\n"
            ) in files[models / "staging" / f"stg_wave_{NEW}_link.sql"]
    assert (f"{{'wave': {NEW}, 'link': 'wave_{NEW}_link', 'thresholds': ['medium']}}"
            in files[DBT_DIR / "macros" / "catalog.sql"])

    def entries(rel: str) -> dict[str, dict]:
        return {m["name"]: m for m in yaml.safe_load(files[models / rel])["models"]}

    marts = entries("marts/_marts_waves.yml")
    assert list(marts) == [f"person_needs_wave_{w.number}" for w in CATALOG.active_waves()] + [
        f"person_needs_wave_{NEW}"]
    assert [c["name"] for c in marts[f"person_needs_wave_{NEW}"]["columns"]] == [
        c["name"] for c in marts["person_needs_wave_0"]["columns"]] + ["council_covered"]
    assert ({"area_coverage_one_row_per_lad_and_measure": {"arguments": {"wave": NEW}}} in
            entries("marts/_marts_coverage.yml")[f"area_coverage_wave_{NEW}"]["data_tests"])
    assert ({"person_needs_spine_is_whole": {"arguments": {"wave": NEW}}}
            in marts[f"person_needs_wave_{NEW}"]["data_tests"])
    inter = entries("intermediate/_intermediate_waves.yml")
    assert inter[f"int_signals_wave_{NEW}"]["data_tests"] == [
        {"signals_are_declared_evidence": {"arguments": {"wave": NEW}}}]
    assert {f"int_records_wave_{NEW}", f"int_record_links_wave_{NEW}"} <= set(inter)
    links = entries("staging/_staging_links.yml")
    assert "columns" not in links[f"stg_wave_{NEW}_link"]  # no link plan: not every record
    wave_0 = links["stg_xjs_link"]["columns"][2]["data_tests"][0]["accepted_values"]
    assert "civil" not in wave_0["arguments"]["values"]
    # today's committed files are generated, and a wave no longer declared leaves them stale
    only_0 = Catalog.from_sources([s for s in CATALOG.sources.values() if s.wave == 0])
    coverage = register.council_coverage_rule()
    assert {p.name for p in catalog_dbt.stale(only_0)} == {
        name for w in CATALOG.active_waves() if w.number > 0 for name in (
            f"stg_{w.link_table}.sql", f"int_records_wave_{w.number}.sql",
            f"int_record_links_wave_{w.number}.sql", f"int_signals_wave_{w.number}.sql",
            f"person_needs_wave_{w.number}.sql")} | {
        f"area_coverage_wave_{w.number}.sql" for w in CATALOG.active_waves()
        if w.number >= coverage["wave"]} | {"_marts_coverage.yml"}


def test_a_declared_wave_builds_with_inherited_flags(built, tmp_path):
    """The project regenerated for a catalogue where civil is wave NEW builds that wave's mart
    (its link file: the civil records of research.xjs_link at medium). Over the records of waves
    0-NEW, the same as today's last wave, and with every flag inherited (its register rows, here
    copies of today's last wave's without flag_sql, each take the nearest earlier wave's, named
    in the compiled comment), it equals today's last wave's mart."""
    from bold_assets.catalog import dbt as catalog_dbt

    wh, proj = _copies(built, tmp_path)
    with duckdb.connect(str(wh)) as con:
        con.execute(f"CREATE TABLE research.wave_{NEW}_link AS SELECT source_dataset, row_id_hash, "
                    "estimated_xjs_id FROM research.xjs_link WHERE source_dataset = 'civil'")
        con.execute(f"INSERT INTO marts.risk_factor_register SELECT * REPLACE ({NEW} AS wave, "
                    f"NULL AS flag_sql) FROM marts.risk_factor_register WHERE wave = {NEW - 1}")
    cat = _catalog_with_new_wave()
    for path, text in catalog_dbt.generated(cat, proj).items():
        path.write_text(text, encoding="utf-8")
    assert catalog_dbt.stale(cat, proj) == []
    res = run_dbt(wh, "run", "--profiles-dir", ".", "--select", f"+person_needs_wave_{NEW}",
                  cwd=proj)
    assert res.returncode == 0, res.stdout[-3000:]
    compiled = (proj / "target" / "compiled" / "bold" / "models" / "marts"
                / f"person_needs_wave_{NEW}.sql").read_text()
    reg = register.load_register().set_index(["id", "wave"])["measure_type"]
    for fid, wave in (("driver_accommodation", 4), ("outcome_offending", 1),
                      ("driver_low_income", 2), ("outcome_ill_health", 3)):
        assert (f"-- risk_factor_register row {fid}, wave {NEW} ({reg[(fid, NEW - 1)]}), "
                f"flag_sql inherited from wave {wave}\n") in compiled
    pd.testing.assert_frame_equal(_mart(wh, wave=NEW), _mart(built, wave=NEW - 1))


def test_a_mart_refuses_a_measured_row_with_nothing_to_inherit(built, tmp_path):
    """dbt's side of the inheritance rule: a measured row without flag_sql and no earlier wave's
    definition stops its wave's mart, naming the row."""
    wh, proj = _copies(built, tmp_path)
    path = proj / "seeds" / "risk_factor_register.csv"
    reg = register.load_register(path)
    reg.loc[(reg["id"] == "driver_family") & (reg["wave"] == 0), "flag_sql"] = ""
    reg.to_csv(path, index=False)
    res = run_dbt(wh, "build", "--profiles-dir", ".", "--select", "risk_factor_register",
                  "person_needs_wave_0", cwd=proj)
    assert res.returncode != 0
    assert ("risk_factor_register row driver_family wave 0: measure_type proxy but no flag_sql "
            "(nor an earlier wave's to inherit)") in res.stdout


def test_person_marts_take_oasys_as_declared_evidence():
    """The mart macro names no source: OASys comes in as a declared assessment (latest in the
    window), whose evidence is need_s<N> / severe_s<N> of each section of var oasys_sections."""
    assert "oasys" not in (DBT_DIR / "macros" / "person_needs.sql").read_text().lower()
    cfg = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]
    (oasys,) = cfg["evidence_assessments"]
    assert (oasys["name"], oasys["model"], oasys["sections"]) == (
        "oasys", "int_oasys_assessments", "oasys_sections")
    ev = register.load_evidence()
    assert list(ev.loc[ev["kind"] == "oasys", "name"]) == [
        f"{level}_s{s['section']}" for s in cfg["oasys_sections"] for level in ("need", "severe")]


def test_link_thresholds_var_names_the_linkage_thresholds():
    from bold_assets.linkage.core import THRESHOLDS

    cfg = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    assert {t["name"] for t in cfg["vars"]["link_thresholds"]} == set(THRESHOLDS)


def test_oasys_vars_match_source_registry():
    cfg = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    for s in cfg["vars"]["oasys_sections"]:
        n = s["section"]
        assert s["items"] == OASYS_SECTIONS[n][1]
        if n in OASYS_NEED_THRESHOLDS:
            assert (s["standard"], s["severe"]) == OASYS_NEED_THRESHOLDS[n]
            assert s["need_level"]


def test_dagster_translator_keys_groups_lineage_and_checks():
    import dagster as dg

    from bold_assets.defs.wave_0 import marts

    a = marts.wave_0_dbt
    keys = {k.to_user_string() for k in a.keys}
    assert {"marts/person_needs_wave_0", "marts/risk_factor_register",
            "dbt_staging/stg_oasys", "dbt_intermediate/int_signals_wave_0",
            "marts/person_needs_wave_1"} <= keys
    # each node in its wave's group: the wave of what it reads (catalogue, wave_links)
    groups = {k.to_user_string(): g for k, g in a.group_names_by_key.items()}
    assert set(groups.values()) == {w.group for w in CATALOG.active_waves()}
    for name in ("marts/person_needs_wave_0", "dbt_intermediate/int_records_wave_0",
                 "dbt_staging/stg_lsoa", "marts/risk_factor_register", "dbt_staging/stg_mags"):
        assert groups[name] == "wave_0", name
    for name in ("marts/person_needs_wave_1", "dbt_intermediate/int_record_links_wave_1",
                 "dbt_staging/stg_npd_ks2", "dbt_staging/stg_pnc_people",
                 "dbt_staging/stg_wave_1_link"):
        assert groups[name] == "wave_1", name
    assert marts.node_waves({"sources": {"s": {"source_name": "research", "name": "npd_cin"}},
                             "nodes": {"m": {"depends_on": {"nodes": ["s"]}}}})["m"] == 1
    deps = {d.to_user_string() for k in a.keys for d in a.asset_deps[k]}
    assert {f"research/{s}" for s in SOURCES} | {"research/xjs_link", "research/wave_1_link",
                                                 "reference/lsoa"} <= deps
    mart = dg.AssetKey(["marts", "person_needs_wave_0"])
    assert "marts/risk_factor_register" in {d.to_user_string() for d in a.asset_deps[mart]}
    checks = {c.name for c in a.check_specs if c.asset_key == mart}
    assert "has_every_register_measure" in checks  # readable names: marts.dbt_check_name
    assert "unique__link_threshold__estimated_xjs_id" in checks
    assert "register_flags_not_null" in checks
    reg_md = a.specs_by_key[marts.REGISTER_KEY].metadata
    assert reg_md["register_rows"] == 70 and len(reg_md["register"].records) == 70


def test_dbt_asset_waits_for_the_warehouse_lock(tmp_path, monkeypatch):
    """The dbt step takes the same inter-process lock as warehouse.connect: while another
    process holds it, dbt does not start (here: a short lock timeout expires instead). Then wave
    0's dbt assets alone (as wave 0's job selects them) build on a warehouse that has no wave-1
    tables yet (its first run), running only their own tests: a later wave's mart tests are
    not selected although one of their parents (stg_lsoa, the register) is."""
    import dagster as dg

    from bold_assets import warehouse as wh
    from bold_assets.catalog import CATALOG
    from bold_assets.defs.resources import WarehouseResource
    from bold_assets.defs.wave_0 import marts

    path = tmp_path / "locked.duckdb"
    build_tiny_warehouse(path)
    with duckdb.connect(str(path)) as con:
        for s in CATALOG.sources.values():
            if s.wave > 0:
                con.execute(f"DROP TABLE IF EXISTS research.{s.name}")
        con.execute("DROP TABLE IF EXISTS research.wave_1_link")
    groups = marts.wave_0_dbt.group_names_by_key
    wave_0 = [k for k, g in groups.items() if g == "wave_0"]
    assert len(wave_0) < len(groups)
    resources = {"warehouse": WarehouseResource(path=str(path)),
                 "dbt": marts.BoldDbtCliResource(project_dir=marts.DBT_PROJECT,
                                                 dbt_executable=marts.DBT_EXECUTABLE)}
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, filelock; lock = filelock.FileLock(sys.argv[1]); "
         "lock.acquire(); print('held', flush=True); sys.stdin.read()",
         str(wh.lock_path(path))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(wh, "LOCK_TIMEOUT_S", 0.5)
        result = dg.materialize([marts.wave_0_dbt], selection=wave_0, resources=resources,
                                raise_on_error=False)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "WarehouseBusy" in str(failure.event_specific_data.error)
    with duckdb.connect(str(path), read_only=True) as con:
        assert not wh.table_exists(con, "marts", "person_needs_wave_0")
    # once the lock is free the same step builds, and no connection of its own blocks dbt; the
    # run never asks dbt its version in a subprocess (defs/dbt_cli.py)
    monkeypatch.setattr(wh, "LOCK_TIMEOUT_S", 120)
    _forbid_dbt_version_check(monkeypatch)
    result = dg.materialize([marts.wave_0_dbt], selection=wave_0, resources=resources,
                            raise_on_error=False)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    assert all(groups[c.asset_key] == "wave_0" for c in checks)
    mats = {e.materialization.asset_key: e.materialization
            for e in result.get_asset_materialization_events()}
    assert set(mats) == set(wave_0)
    assert mats[dg.AssetKey(["marts", "person_needs_wave_0"])].metadata[
        "dagster/row_count"].value == 8 + 9 + 7  # medium, high, low
    assert mats[marts.REGISTER_KEY].metadata["register_rows"].value == 70


def _forbid_dbt_version_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make dagster-dbt's `dbt --version` subprocess (its only `check_output`) fail the test."""
    from dagster_dbt.core import resource as dbt_resource

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dagster-dbt ran {args}")

    monkeypatch.setattr(dbt_resource, "check_output", no_subprocess)


def test_the_dbt_resource_overrides_what_dagster_dbt_still_calls(monkeypatch):
    """`defs/dbt_cli.py` replaces two private members of dagster-dbt's resource: they must still
    exist and `cli()` must still go through them (else a dagster-dbt upgrade would silently run
    `dbt --version` and open an adapter again, or break)."""
    import inspect

    from dagster_dbt import DbtCliResource

    from bold_assets.defs import dbt_cli

    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source and "self._initialize_dbt_core_adapter(" in source
    assert isinstance(inspect.getattr_static(DbtCliResource, "_cli_version"),
                      functools.cached_property)
    ours = dbt_cli.BoldDbtCliResource(project_dir=str(DBT_DIR),
                                      dbt_executable=dbt_cli.DBT_EXECUTABLE)
    _forbid_dbt_version_check(monkeypatch)
    assert ours._cli_version == version.parse(importlib.metadata.version("dbt-core"))
    assert ours._initialize_dbt_core_adapter(["build"]) is None


def test_every_dbt_test_runs_with_its_own_wave():
    """A wave's job selects only its own dbt models, and dbt runs every test with a selected
    parent (eager indirect selection). A test attached to a model is that model's asset check,
    which Dagster leaves out when the model is not in the run; a test attached to no model (a
    singular test) must read one wave only, or it runs in the earlier wave's job and fails on a
    warehouse that has no later wave yet."""
    import json

    from bold_assets.defs.wave_0 import marts

    manifest = json.loads(Path(marts.DBT_PROJECT.manifest_path).read_text())
    waves = marts.node_waves(manifest)
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    unattached = [n for n in tests if not n.get("attached_node")]
    assert tests and unattached  # the register's singular test at least
    mixed = {n["name"]: sorted({waves[p] for p in n["depends_on"]["nodes"]}) for n in unattached
             if len({waves[p] for p in n["depends_on"]["nodes"]}) > 1}
    assert not mixed, f"dbt tests attached to no model that read more than one wave: {mixed}"



def test_only_the_latest_dbt_run_folders_are_kept(tmp_path):
    import os

    from bold_assets.defs.wave_0.marts import prune_run_targets

    for i in range(8):
        run = tmp_path / f"wave_0_dbt-{i}"
        run.mkdir()
        (run / "manifest.json").write_text("{}")
        os.utime(run, (1_000 + i, 1_000 + i))
    (tmp_path / "manifest.json").write_text("{}")  # the project's own, never a run folder
    prune_run_targets(tmp_path, "wave_0_dbt-", keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "manifest.json", "wave_0_dbt-5", "wave_0_dbt-6", "wave_0_dbt-7"]
