"""The seven Data First justice extracts: one registry of what each source looks like.

Every layer reads this one description: the synthetic world writes tables in these shapes, landing
validates files against it, standardisation maps the identifier columns, pseudonymisation drops the
personal identifiers and hashes the keys, and the quality suites take their value sets from it.

Column names, date formats and codes deliberately differ between sources, as they do between
Libra, XHIBIT, p-NOMIS, nDelius, OASys, FamilyMan and CaseMan / PCOL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Codes shared by several sources -------------------------------------------------------------

# ONS 2011 "18+1" ethnicity codes used by the criminal justice systems; the high-level group is
# the first letter (W White, M Mixed, A Asian, B Black, O Other).
ETHNICITY_CODES = (
    "W1", "W2", "W3", "W9", "M1", "M2", "M3", "M9", "A1", "A2", "A3", "A4", "A9",
    "B1", "B2", "B9", "O1", "O9",
)  # fmt: skip
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
ETHNIC_GROUP_BY_LETTER = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other"}

# Offence codes: a short Home Office-style classification used across mags / crown / prison.
OFFENCE_CODES = {
    "VAP": "Violence against the person",
    "SEX": "Sexual offences",
    "ROB": "Robbery",
    "THF": "Theft offences",
    "BUR": "Burglary",
    "CDA": "Criminal damage and arson",
    "DRG": "Drug offences",
    "WPN": "Possession of weapons",
    "POR": "Public order offences",
    "FRD": "Fraud offences",
    "MOT": "Summary motoring",
    "SNM": "Summary non-motoring",
}
INDICTABLE_OFFENCES = ("VAP", "SEX", "ROB", "BUR", "DRG", "WPN", "FRD")
MAGS_DISPOSALS = ("DISCH", "FINE", "COMM", "SSO", "IMM_CUST", "SENT_CC", "OTHER", "NOT_GUILTY")
CROWN_SENTENCES = ("IMM_CUST", "SSO", "COMM", "FINE", "DISCH", "OTHER", "ACQUITTED")
PROBATION_REQUIREMENTS = ("UPW", "RAR", "PROG", "DRR", "ATR", "MHTR", "CURFEW", "EXCL")
FAMILY_CASE_TYPES = ("PUBLIC", "PRIVATE", "DIVORCE", "ADOPTION", "FLA")
FAMILY_ROLES = ("APPLICANT", "RESPONDENT")
CIVIL_CLAIM_TYPES = ("RENT_SOCIAL", "RENT_PRIVATE", "MORTGAGE", "ACCELERATED")
CIVIL_ROLES = ("CLAIMANT", "DEFENDANT")
CIVIL_ORDER_TYPES = ("OUTRIGHT", "SUSPENDED", "ADJOURNED", "DISMISSED")

LSOA_CODE_PATTERN = r"^[EW]01[0-9]{6}$"
LAD_CODE_PATTERN = r"^(E0[6-9]|W06)[0-9]{6}$"
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$"


@dataclass(frozen=True)
class Identifiers:
    """Where a source keeps each personal identifier, and in what form.

    Exactly one of (`forename`, `surname`) or `full_name` is set. `dob_format` is a DuckDB
    strptime format; `sex_codes` maps the source's codes to M / F.
    """

    forename: str | None = None
    middle_name: str | None = None
    surname: str | None = None
    full_name: str | None = None
    dob: str | None = None
    dob_format: str = "%Y-%m-%d"
    sex: str | None = None
    sex_codes: dict[str, str] = field(default_factory=lambda: {"M": "M", "F": "F"})
    postcode: str | None = None
    ethnicity: str | None = None

    @property
    def pii_columns(self) -> tuple[str, ...]:
        """Columns that identify a person and never leave the identifier zone."""
        cols = (self.forename, self.middle_name, self.surname, self.full_name, self.dob,
                self.postcode)  # fmt: skip
        return tuple(c for c in cols if c)


@dataclass(frozen=True)
class Source:
    """One justice extract as its source system delivers it."""

    name: str
    title: str
    system: str
    key: str  # the row id of the extract: unique, becomes `record_id`
    columns: dict[str, str]  # column -> DuckDB type, in file order
    identifiers: Identifiers
    event_date: str  # the date that places a record in time
    coverage: tuple[int, int]  # first and last year of event dates
    case_ids: tuple[str, ...] = ()  # other system ids: hashed in research tables
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> value set
    weak_identifiers: bool = False  # family and civil: weaker, role-dependent identifiers
    # Extra column used to filter out non-person rows (civil company parties).
    person_filter: str | None = None

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(self.columns)

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c for c, t in self.columns.items() if t == "DATE")

    @property
    def pii_columns(self) -> tuple[str, ...]:
        return self.identifiers.pii_columns

    @property
    def research_columns(self) -> dict[str, str]:
        """Columns and types of `research.<name>` (the research-zone contract): the raw columns
        less personal identifiers, the key as `row_id_hash`, case ids as `<col>_hash`, plus age
        at the event and the LSOA / LAD of residence."""
        cols: dict[str, str] = {}
        for c, t in self.columns.items():
            if c in self.pii_columns:
                continue
            if c == self.key:
                cols["row_id_hash"] = "VARCHAR"
            elif c in self.case_ids:
                cols[f"{c}_hash"] = "VARCHAR"
            else:
                cols[c] = t
        cols.update({"age_at_event": "INTEGER", "lsoa_code": "VARCHAR", "lad_code": "VARCHAR"})
        return cols


_SEX_WORDS = {"Male": "M", "Female": "F"}
_SEX_DIGITS = {"1": "M", "2": "F"}

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
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
        ),
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
                sex_codes=_SEX_WORDS,
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
        ),
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
        ),
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
        ),
        Source(
            name="oasys",
            title="Offender assessments",
            system="OASys",
            key="assessment_pk",
            columns={},  # filled below: identifiers + item scores for sections 1-13
            identifiers=Identifiers(
                forename="forename_1",
                middle_name="forename_2",
                surname="family_name",
                dob="date_of_birth",
                dob_format="%d/%m/%Y",
                sex="gender",
                sex_codes=_SEX_DIGITS,
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
        ),
        Source(
            name="family",
            title="Family court",
            system="FamilyMan",
            key="party_id",
            case_ids=("case_number",),
            columns={
                "party_id": "VARCHAR",
                "case_number": "VARCHAR",
                "case_type": "VARCHAR",
                "issue_date": "DATE",
                "party_role": "VARCHAR",
                "party_forename": "VARCHAR",
                "party_surname": "VARCHAR",
                "party_dob": "VARCHAR",
                "party_sex": "VARCHAR",
                "party_postcode": "VARCHAR",
                "harm_alleged": "BOOLEAN",
                "children_involved": "INTEGER",
                "fee_exemption": "BOOLEAN",
                "legal_representation": "BOOLEAN",
            },
            identifiers=Identifiers(
                forename="party_forename",
                surname="party_surname",
                dob="party_dob",
                dob_format="%d/%m/%Y",
                sex="party_sex",
                postcode="party_postcode",
            ),
            event_date="issue_date",
            coverage=(2011, 2023),
            weak_identifiers=True,
            codes={
                "case_type": FAMILY_CASE_TYPES,
                "party_role": FAMILY_ROLES,
                "party_sex": ("M", "F"),
            },
        ),
        Source(
            name="civil",
            title="Civil possession claims",
            system="CaseMan / PCOL",
            key="party_id",
            case_ids=("claim_number",),
            columns={
                "party_id": "VARCHAR",
                "claim_number": "VARCHAR",
                "claim_type": "VARCHAR",
                "party_role": "VARCHAR",
                "party_type": "VARCHAR",
                "party_name": "VARCHAR",
                "party_dob": "VARCHAR",
                "address_postcode": "VARCHAR",
                "claim_date": "DATE",
                "arrears_amount": "DOUBLE",
                "order_type": "VARCHAR",
                "order_date": "DATE",
                "warrant_date": "DATE",
                "possession_date": "DATE",
            },
            identifiers=Identifiers(
                full_name="party_name",
                dob="party_dob",
                dob_format="%d/%m/%Y",
                postcode="address_postcode",
            ),
            event_date="claim_date",
            coverage=(2012, 2022),
            weak_identifiers=True,
            person_filter="party_type = 'PERSON'",
            codes={
                "claim_type": CIVIL_CLAIM_TYPES,
                "party_role": CIVIL_ROLES,
                "party_type": ("PERSON", "COMPANY"),
                "order_type": CIVIL_ORDER_TYPES,
            },
        ),
    ]
}


# OASys ---------------------------------------------------------------------------------------
# Items per section (each scored 0 / 1 / 2) and the need thresholds (standard, severe).
# Thresholds for accommodation, ETE, relationships, lifestyle, drugs, alcohol, thinking and
# attitudes are HMPPS's published tiering thresholds; finance and emotional well-being are not
# published there and are the project's own choice, noted in the risk factor register.
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


_OASYS_COLUMNS = {
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
for _s in OASYS_SECTIONS:
    _OASYS_COLUMNS.update({c: "INTEGER" for c in oasys_item_columns(_s)})
for _s in OASYS_NEED_THRESHOLDS:
    _OASYS_COLUMNS[oasys_need_column(_s)] = "INTEGER"
SOURCES["oasys"].columns.update(_OASYS_COLUMNS)

SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)
CRIMINAL_SOURCES: tuple[str, ...] = ("mags", "crown", "prison", "probation", "oasys")
WEAK_SOURCES: tuple[str, ...] = ("family", "civil")


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; expected one of {', '.join(SOURCES)}") from None
