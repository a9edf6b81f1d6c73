"""Probation (nDelius): one row per order or licence event."""

from bold_assets.catalog.codes import ETHNICITY_CODES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

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
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.probation",
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.80, "ethnicity": 0.85},
            date_order=(("termination_date", "referral_date"),),
            lsoa_columns=("lsoa_code",),
        ),
    ),
)
