"""Prisoner custodial journeys (p-NOMIS): one row per custodial journey."""

from bold_assets.catalog.codes import ETHNICITY_CODES, OFFENCE_CODES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

DECLARED = (
    Source(
        name="prison",
        title="Prisoner custodial journeys",
        system="p-NOMIS",
        key="journey_id",
        case_ids=("booking_no",),
        columns={
            "journey_id": "VARCHAR",
            "booking_no": "VARCHAR",
            "first_name": "VARCHAR",
            "middle_name": "VARCHAR",
            "last_name": "VARCHAR",
            "birth_date": "VARCHAR",
            "gender_code": "VARCHAR",
            "ethnic_code": "VARCHAR",
            "postcode_on_reception": "VARCHAR",
            "reception_date": "DATE",
            "release_date": "DATE",
            "establishment_code": "VARCHAR",
            "main_offence_code": "VARCHAR",
            "sentence_days": "INTEGER",
        },
        identifiers=Identifiers(
            forename="first_name",
            middle_name="middle_name",
            surname="last_name",
            dob="birth_date",
            dob_format="%Y-%m-%d",
            sex="gender_code",
            postcode="postcode_on_reception",
            ethnicity="ethnic_code",
        ),
        event_date="reception_date",
        coverage=(2011, 2021),
        codes={
            "gender_code": ("M", "F"),
            "ethnic_code": ETHNICITY_CODES,
            "main_offence_code": tuple(OFFENCE_CODES),
        },
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.prison",
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.70, "ethnicity": 0.90},
            date_order=(("release_date", "reception_date"),),
            numeric_ranges={"sentence_days": (0, None)},
        ),
    ),
)
