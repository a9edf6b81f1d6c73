"""Prisoner custodial journeys (p-NOMIS): one row per custodial journey."""

from bold_assets.catalog.codes import CODE_LABELS, ETHNICITY_CODES, OFFENCE_CODES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

# What each column means.
DESCRIPTIONS: dict[str, str] = {
    "journey_id": "Custodial journey record id (one reception to release)",
    "booking_no": "Prison booking number",
    "first_name": "Prisoner first name, as recorded on the source system (identifier zone only)",
    "middle_name": "Prisoner middle name, as recorded on the source system (identifier zone only)",
    "last_name": "Prisoner last name, as recorded on the source system (identifier zone only)",
    "birth_date": "Prisoner date of birth, as recorded on the source system (identifier zone "
                  "only)",
    "gender_code": "Prisoner gender",
    "ethnic_code": "Prisoner ethnicity (ONS 18+1 code)",
    "postcode_on_reception": "Home address postcode at reception into custody, as recorded on the"
                             " source system (identifier zone only)",
    "reception_date": "Date of reception into prison custody",
    "release_date": "Date of release from custody",
    "establishment_code": "Prison establishment",
    "main_offence_code": "Offence group of the main offence",
    "sentence_days": "Length of the custodial sentence, in days",
}

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
        descriptions=DESCRIPTIONS,
        labels={
            "gender_code": CODE_LABELS["sex"],
            "ethnic_code": CODE_LABELS["ethnicity"],
            "main_offence_code": CODE_LABELS["offence"],
        },
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.prison",
        record_id_shape=("J", 7_000_001),
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.70, "ethnicity": 0.90},
            date_order=(("release_date", "reception_date"),),
            numeric_ranges={"sentence_days": (0, None)},
        ),
    ),
)
