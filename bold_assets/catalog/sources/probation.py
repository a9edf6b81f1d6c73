"""Probation (nDelius): one row per order or licence event."""

from bold_assets.catalog.codes import CODE_LABELS, ETHNICITY_CODES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

# What each column means.
DESCRIPTIONS: dict[str, str] = {
    "event_id": "Probation event id (an order or licence)",
    "forename": "Person forename, as recorded on the source system (identifier zone only)",
    "second_forename": "Second forename, as recorded on the source system (identifier zone only)",
    "surname": "Person surname, as recorded on the source system (identifier zone only)",
    "date_of_birth": "Date of birth, as recorded on the source system (identifier zone only)",
    "gender": "Gender",
    "ethnicity": "Ethnicity (ONS 18+1 code)",
    "postcode": "Home address postcode, as recorded on the source system (identifier zone only)",
    "lsoa_code": "LSOA (2021) of residence",
    "referral_date": "Date the person was referred to probation (start of the event)",
    "event_type": "Type of event: community / suspended sentence order or licence",
    "requirements": "Requirements of the order, comma-separated (e.g. unpaid work, drug "
                    "rehabilitation, alcohol treatment, mental health treatment)",
    "termination_date": "Date the order or licence ended",
}

DECLARED = (
    Source(
        name="probation",
        title="Probation",
        system="nDelius",
        key="event_id",
        columns={
            "event_id": "VARCHAR",
            "forename": "VARCHAR",
            "second_forename": "VARCHAR",
            "surname": "VARCHAR",
            "date_of_birth": "VARCHAR",
            "gender": "VARCHAR",
            "ethnicity": "VARCHAR",
            "postcode": "VARCHAR",
            "lsoa_code": "VARCHAR",
            "referral_date": "DATE",
            "event_type": "VARCHAR",
            "requirements": "VARCHAR",
            "termination_date": "DATE",
        },
        identifiers=Identifiers(
            forename="forename",
            middle_name="second_forename",
            surname="surname",
            dob="date_of_birth",
            dob_format="%d-%b-%Y",
            sex="gender",
            postcode="postcode",
            ethnicity="ethnicity",
        ),
        event_date="referral_date",
        coverage=(2014, 2023),
        codes={
            "gender": ("M", "F"),
            "ethnicity": ETHNICITY_CODES,
            "event_type": ("ORDER", "LICENCE"),
        },
        descriptions=DESCRIPTIONS,
        labels={
            "gender": CODE_LABELS["sex"],
            "ethnicity": CODE_LABELS["ethnicity"],
            "event_type": CODE_LABELS["event_type"],
            "requirements": CODE_LABELS["requirement"],
        },
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.probation",
        record_id_shape=("E", 2_500_000_001),
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.80, "ethnicity": 0.85},
            date_order=(("termination_date", "referral_date"),),
            lsoa_columns=("lsoa_code",),
        ),
    ),
)
