"""Magistrates' courts (Libra): one row per defendant-case."""

from bold_assets.catalog.codes import CODE_LABELS, ETHNICITY_CODES, MAGS_DISPOSALS, OFFENCE_CODES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

# What each column means.
DESCRIPTIONS: dict[str, str] = {
    "defendant_id": "Defendant record id (one row per defendant per case)",
    "case_id": "Magistrates' court case id",
    "defendant_forename": "Defendant forename, as recorded on the source system (identifier zone "
                          "only)",
    "defendant_surname": "Defendant surname, as recorded on the source system (identifier zone "
                         "only)",
    "defendant_dob": "Defendant date of birth, as recorded on the source system (identifier zone "
                     "only)",
    "gender": "Defendant gender",
    "ethnicity": "Defendant ethnicity (ONS 18+1 code)",
    "defendant_postcode": "Defendant home address postcode, as recorded on the source system "
                          "(identifier zone only)",
    "offence_date": "Date of the principal offence",
    "age_at_offence": "Defendant age at the principal offence, in years",
    "first_hearing_date": "Date of the first hearing in the magistrates' court",
    "principal_offence_code": "Offence group of the principal offence",
    "offence_count": "Number of offences on the case for this defendant",
    "disposal_code": "Outcome or sentence for the principal offence (conviction, sentence type)",
    "disposal_date": "Date of the outcome or sentence",
    "court_lad_code": "Local authority district of the court",
}

DECLARED = (
    Source(
        name="mags",
        title="Magistrates' courts",
        system="Libra",
        key="defendant_id",
        case_ids=("case_id",),
        columns={
            "defendant_id": "VARCHAR",
            "case_id": "VARCHAR",
            "defendant_forename": "VARCHAR",
            "defendant_surname": "VARCHAR",
            "defendant_dob": "VARCHAR",
            "gender": "VARCHAR",
            "ethnicity": "VARCHAR",
            "defendant_postcode": "VARCHAR",
            "offence_date": "DATE",
            "age_at_offence": "INTEGER",
            "first_hearing_date": "DATE",
            "principal_offence_code": "VARCHAR",
            "offence_count": "INTEGER",
            "disposal_code": "VARCHAR",
            "disposal_date": "DATE",
            "court_lad_code": "VARCHAR",
        },
        identifiers=Identifiers(
            forename="defendant_forename",
            surname="defendant_surname",
            dob="defendant_dob",
            dob_format="%Y-%m-%d",
            sex="gender",
            sex_codes={"M": "M", "F": "F"},
            postcode="defendant_postcode",
            ethnicity="ethnicity",
        ),
        event_date="first_hearing_date",
        coverage=(2011, 2023),
        codes={
            "gender": ("M", "F", "U"),
            "ethnicity": ETHNICITY_CODES,
            "principal_offence_code": tuple(OFFENCE_CODES),
            "disposal_code": MAGS_DISPOSALS,
        },
        descriptions=DESCRIPTIONS,
        labels={
            "gender": CODE_LABELS["sex"],
            "ethnicity": CODE_LABELS["ethnicity"],
            "principal_offence_code": CODE_LABELS["offence"],
            "disposal_code": CODE_LABELS["disposal"],
        },
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.mags",
        record_id_shape=("D", 100_000_001),
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.80, "ethnicity": 0.75},
            date_order=(("first_hearing_date", "offence_date"),
                        ("disposal_date", "first_hearing_date")),
            numeric_ranges={"age_at_offence": (10, 100), "offence_count": (1, None)},
            lad_columns=("court_lad_code",),
        ),
    ),
)
