"""Wave 3: ONS death registrations, as NHS England passes them on (the civil registration deaths
extract), lower-case field names: one row per registered death, with the date of death and of
registration, the underlying cause (`s_underlying_cod_icd10`) and up to five causes mentioned on
the certificate (ICD-10), sex, age, the LSOA of residence and the NHS number (hashed in research;
the deceased's name, date of birth and address stay with the registrar).

A registration reaches the extract on its registration date (the record's `event_date`), so a
snapshot holds the deaths registered by then; a death dated before a snapshot but registered
after it arrives with a later refresh. The rule is the register's: persons who died before a
snapshot leave that snapshot's denominators and counts (`dbt_project.yml` var `deaths`).
"""

from __future__ import annotations

from bold_assets.catalog.model import QualityProfile
from bold_assets.catalog.sources.nhs import keyed_by_nhs_number

CAUSES = tuple(f"s_cod_code_{i}" for i in range(1, 6))
DEC_SEX = {"1": "Male", "2": "Female"}

DESCRIPTIONS: dict[str, str] = {
    "death_record_id": "Death registration record id",
    "nhs_number": "NHS number of the deceased (ten digits; hashed in research; missing for some "
                  "registrations)",
    "reg_date_of_death": "Date of death",
    "reg_date": "Date the death was registered",
    "s_underlying_cod_icd10": "Underlying cause of death (ICD-10, four characters)",
    **{c: f"Cause mentioned on the death certificate, {c[-1]} (ICD-10)" for c in CAUSES},
    "dec_sex": "Sex of the deceased (1 male, 2 female)",
    "dec_agec": "Age of the deceased at death, years",
    "dec_lsoa11": "LSOA (2011) of the deceased's usual residence",
}

ONS_DEATHS = keyed_by_nhs_number(
    "ons_deaths", "ONS death registrations", "ONS", "death_record_id",
    {"reg_date_of_death": "DATE", "reg_date": "DATE", "s_underlying_cod_icd10": "VARCHAR",
     **dict.fromkeys(CAUSES, "VARCHAR"), "dec_sex": "VARCHAR", "dec_agec": "INTEGER",
     "dec_lsoa11": "VARCHAR"},
    # a registration reaches the extract when registered: a snapshot holds the deaths
    # registered by its date (a death registered later arrives with a later refresh)
    "reg_date", (2010, 2024), {"dec_sex": DEC_SEX}, ("D", 80_000_001),
    # about 1% of registrations carry no NHS number (they reach nobody: stated, not dropped)
    QualityProfile(completeness={"nhs_number": 0.97},
                   date_order=(("reg_date", "reg_date_of_death"),),
                   numeric_ranges={"dec_agec": (0, 120)}, lsoa_columns=("dec_lsoa11",)),
    dataset="ons_deaths", descriptions=DESCRIPTIONS,
)

DECLARED = (ONS_DEATHS,)
