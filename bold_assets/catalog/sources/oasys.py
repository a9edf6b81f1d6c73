"""Offender assessments (OASys): identifiers plus the item scores of sections 1-13.

Items per section are scored 0 / 1 / 2; ten sections carry a need level (0 none, 1 standard,
2 severe) from the item sum. Thresholds for accommodation, ETE, relationships, lifestyle, drugs,
alcohol, thinking and attitudes are HMPPS's published tiering thresholds; finance and emotional
well-being are not published there and are the project's own choice, noted in the risk factor
register.
"""

from bold_assets.catalog.codes import CODE_LABELS, ETHNICITY_CODES, SEX_DIGITS
from bold_assets.catalog.model import Identifiers, QualityProfile, ScoreSection, Source

# section -> (name, number of items)
OASYS_SECTIONS: dict[int, tuple[str, int]] = {
    1: ("offending_information", 3),
    2: ("analysis_of_offences", 3),
    3: ("accommodation", 4),
    4: ("ete", 4),
    5: ("finance", 3),
    6: ("relationships", 3),
    7: ("lifestyle", 3),
    8: ("drugs", 5),
    9: ("alcohol", 4),
    10: ("emotional", 3),
    11: ("thinking_behaviour", 4),
    12: ("attitudes", 4),
    13: ("health", 3),
}
# section -> (standard, severe) on the item sum
OASYS_NEED_THRESHOLDS: dict[int, tuple[int, int]] = {
    3: (2, 7),
    4: (3, 7),
    5: (2, 5),  # not published: project choice
    6: (2, 5),
    7: (2, 5),
    8: (2, 8),
    9: (4, 7),
    10: (2, 5),  # not published: project choice
    11: (4, 7),
    12: (2, 7),
}


def oasys_item_columns(section: int) -> list[str]:
    """Item score columns of an OASys section, e.g. `s3_q1` .. `s3_q4`."""
    return [f"s{section}_q{i}" for i in range(1, OASYS_SECTIONS[section][1] + 1)]


def oasys_need_column(section: int) -> str:
    return f"s{section}_need_level"  # 0 no need, 1 standard, 2 severe


SECTIONS = tuple(
    ScoreSection(number=s, name=name, items=tuple(oasys_item_columns(s)),
                 need_column=oasys_need_column(s) if s in OASYS_NEED_THRESHOLDS else None,
                 thresholds=OASYS_NEED_THRESHOLDS.get(s))
    for s, (name, _) in OASYS_SECTIONS.items()
)

_COLUMNS = {
    "assessment_pk": "VARCHAR",
    "forename_1": "VARCHAR",
    "forename_2": "VARCHAR",
    "family_name": "VARCHAR",
    "date_of_birth": "VARCHAR",
    "gender": "VARCHAR",
    "ethnic_category": "VARCHAR",
    "postcode": "VARCHAR",
    "assessment_date": "DATE",
    "setting": "VARCHAR",
}
_COLUMNS.update({c: "INTEGER" for s in SECTIONS for c in s.items})
_COLUMNS.update({s.need_column: "INTEGER" for s in SECTIONS if s.need_column})

# What each column means (item and need-level columns follow from the score sections).
DESCRIPTIONS: dict[str, str] = {
    "assessment_pk": "Assessment id",
    "forename_1": "Forename, as recorded on the source system (identifier zone only)",
    "forename_2": "Second forename, as recorded on the source system (identifier zone only)",
    "family_name": "Family name, as recorded on the source system (identifier zone only)",
    "date_of_birth": "Date of birth, as recorded on the source system (identifier zone only)",
    "gender": "Gender",
    "ethnic_category": "Ethnicity (ONS 18+1 code)",
    "postcode": "Home address postcode, as recorded on the source system (identifier zone only)",
    "assessment_date": "Date the assessment was completed",
    "setting": "Where the assessment took place: custody or community",
}
SECTION_TITLES = {
    1: "offending information", 2: "analysis of offences", 3: "accommodation",
    4: "education, training and employability", 5: "financial management and income",
    6: "relationships", 7: "lifestyle and associates", 8: "drug misuse", 9: "alcohol misuse",
    10: "emotional well-being", 11: "thinking and behaviour", 12: "attitudes",
    13: "health and other considerations",
}  # fmt: skip
for _s in SECTIONS:
    _title = f"OASys section {_s.number} ({SECTION_TITLES[_s.number]})"
    DESCRIPTIONS.update({c: f"{_title} item {c.split('_q')[1]} score: 0 no problem, 1 some "
                         "problems, 2 significant problems" for c in _s.items})
    if _s.need_column:
        DESCRIPTIONS[_s.need_column] = (f"{_title} need level: 0 no need, 1 standard, 2 severe "
                                        "(item sum against the section's thresholds)")

DECLARED = (
    Source(
        name="oasys",
        title="Offender assessments",
        system="OASys",
        key="assessment_pk",
        columns=_COLUMNS,
        identifiers=Identifiers(
            forename="forename_1",
            middle_name="forename_2",
            surname="family_name",
            dob="date_of_birth",
            dob_format="%d/%m/%Y",
            sex="gender",
            sex_codes=SEX_DIGITS,
            postcode="postcode",
            ethnicity="ethnic_category",
        ),
        event_date="assessment_date",
        coverage=(2013, 2023),
        codes={
            "gender": ("1", "2"),
            "ethnic_category": ETHNICITY_CODES,
            "setting": ("CUSTODY", "COMMUNITY"),
        },
        descriptions=DESCRIPTIONS,
        labels={
            "gender": CODE_LABELS["sex"],
            "ethnic_category": CODE_LABELS["ethnicity"],
            "setting": CODE_LABELS["setting"],
        },
        wave=0,
        link_role="criminal",
        generator="bold_assets.world.sources.oasys",
        record_id_shape=("", 4_100_001),
        quality=QualityProfile(
            completeness={"forename": 0.98, "surname": 0.98, "dob": 0.95, "sex": 0.97,
                          "postcode": 0.80, "ethnicity": 0.85},
            score_sections=SECTIONS,
        ),
    ),
)
