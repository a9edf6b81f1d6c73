"""Crown Court (XHIBIT): one row per defendant on a case."""

from bold_assets.catalog.codes import (
    CODE_LABELS,
    CROWN_SENTENCES,
    ETHNICITY_CODES,
    OFFENCE_CODES,
    SEX_WORDS,
)
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

# What each column means.
DESCRIPTIONS: dict[str, str] = {
    "defendant_on_case_id": "Defendant-on-case record id",
    "case_number": "Crown Court case number",
    "forenames": "Defendant forenames, as recorded on the source system (identifier zone only)",
    "surname": "Defendant surname, as recorded on the source system (identifier zone only)",
    "date_of_birth": "Defendant date of birth, as recorded on the source system (identifier zone "
                     "only)",
    "sex": "Defendant sex",
    "self_defined_ethnicity": "Defendant self-defined ethnicity (ONS 18+1 code)",
    "postcode": "Defendant home address postcode, as recorded on the source system (identifier "
                "zone only)",
    "receipt_date": "Date the case was received in the Crown Court",
    "offence_code": "Offence group of the principal offence",
    "trial_type": "How the case proceeded: trial, guilty plea or committal for sentence",
    "verdict_date": "Date of the verdict",
    "sentence_type": "Sentence (or acquittal) outcome",
    "sentence_date": "Date of sentence",
    "appeal": "Whether the case went to appeal",
}

DECLARED = (
    Source(
        name="crown",
        title="Crown Court",
        system="XHIBIT",
        key="defendant_on_case_id",
        case_ids=("case_number",),
        columns={
            "defendant_on_case_id": "VARCHAR",
            "case_number": "VARCHAR",
            "forenames": "VARCHAR",
            "surname": "VARCHAR",
            "date_of_birth": "VARCHAR",
            "sex": "VARCHAR",
            "self_defined_ethnicity": "VARCHAR",
            "postcode": "VARCHAR",
            "receipt_date": "DATE",
            "offence_code": "VARCHAR",
            "trial_type": "VARCHAR",
            "verdict_date": "DATE",
            "sentence_type": "VARCHAR",
            "sentence_date": "DATE",
            "appeal": "BOOLEAN",
        },
        identifiers=Identifiers(
            forename="forenames",
            surname="surname",
            dob="date_of_birth",
            dob_format="%d/%m/%Y",
            sex="sex",
            sex_codes=SEX_WORDS,
            postcode="postcode",
            ethnicity="self_defined_ethnicity",
        ),
        event_date="receipt_date",
        coverage=(2013, 2023),
        codes={
            "sex": ("Male", "Female"),
            "self_defined_ethnicity": ETHNICITY_CODES,
            "offence_code": tuple(OFFENCE_CODES),
            "trial_type": ("TRIAL", "GUILTY_PLEA", "COMMITTED_FOR_SENTENCE"),
            "sentence_type": CROWN_SENTENCES,
        },
        descriptions=DESCRIPTIONS,
        labels={
            "sex": CODE_LABELS["sex"],
            "self_defined_ethnicity": CODE_LABELS["ethnicity"],
            "offence_code": CODE_LABELS["offence"],
            "trial_type": CODE_LABELS["trial_type"],
            "sentence_type": CODE_LABELS["disposal"],
        },
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.crown",
        record_id_shape=("T", 40_000_001),
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.75, "ethnicity": 0.70},
            date_order=(("verdict_date", "receipt_date"), ("sentence_date", "receipt_date")),
        ),
    ),
)
