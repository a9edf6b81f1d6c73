"""Wave 4: DLUHC's Homelessness Case Level Information Classification (H-CLIC), in the shape
councils submit it each quarter (DOMAIN.md, wave 4), lower-case field names.

H-CLIC is nine sections joined by the council's case reference (`case_ref`, unique across
councils: the council's LAD code, then its own number):

- `hclic_people` (People): the household's lead applicant, with the identifiers councils share
  with the trusted third party (first and last name, date of birth `DD/MM/YYYY`, sex, the
  postcode of the last settled home, the National Insurance number where known, ethnicity), the
  council (`la_code`) and the reporting quarter; one row per case;
- `hclic_main` (Main): the application, the initial assessment (the duty owed), the reason for
  the loss of the last settled home and the accommodation at application;
- `hclic_support_needs` (Support needs): one row per support need of the household;
- `hclic_prevention`, `hclic_relief` (Prevention, Relief): the 56-day duties, their start, end
  and outcome;
- `hclic_main_duty` (Final duties): the main duty decision;
- `hclic_assistance` (Assistance): the help given (mediation, help into a tenancy, ...);
- `hclic_temp_accommodation` (Temporary accommodation): placements, their type and dates;
- `hclic_reviews` (Reviews): requests to review a decision and their outcome.

Councils do not all submit every quarter. `hclic_submissions` says, per council and quarter,
whether the council's return arrived (DLUHC publishes which councils submitted, and imputes the
others in its statistics): a council-quarter without a return is no data, never zero cases.

The People section is the only one with identifiers; every other section is keyed to its case
by `case_ref` (an attribute table of `hclic_people`: hashed in research). Codes follow the
H-CLIC specification's categories; labels are the project's short wording of them. Only the
lead applicant is held (H-CLIC's other household members are not generated).
"""

from __future__ import annotations

from bold_assets.catalog.model import Identifiers, QualityProfile, Source, attribute_table

_GENERATOR = "bold_assets.world.sources.homelessness"
COVERAGE = (2018, 2023)  # H-CLIC began in April 2018 (Homelessness Reduction Act)

SEX: dict[str, str] = {"1": "Male", "2": "Female", "9": "Not known"}
ETHNICITY: dict[str, str] = {
    "W": "White", "M": "Mixed or multiple ethnic groups", "A": "Asian or Asian British",
    "B": "Black, African, Caribbean or Black British", "O": "Other ethnic group",
    "X": "Not known or refused",
}  # fmt: skip
ASSESSMENT: dict[str, str] = {
    "1": "Threatened with homelessness within 56 days: prevention duty owed",
    "2": "Homeless: relief duty owed",
    "3": "Not threatened with homelessness within 56 days: no duty owed",
}  # fmt: skip
REASON_LOSS: dict[str, str] = {
    "01": "End of private rented tenancy: assured shorthold",
    "02": "End of social rented tenancy",
    "03": "Family or friends no longer willing or able to accommodate",
    "04": "Domestic abuse",
    "05": "Non-violent relationship breakdown with partner",
    "06": "Left institution with no accommodation available (prison)",
    "07": "Left institution with no accommodation available (hospital, looked-after care)",
    "08": "Eviction from supported housing",
    "09": "Other violence or harassment",
    "10": "Property disrepair, unsuitable or overcrowded",
    "11": "Required to leave Home Office asylum support accommodation",
    "12": "Other reasons or not known",
}  # fmt: skip
ACCOMMODATION: dict[str, str] = {
    "1": "Private rented sector", "2": "Social rented sector", "3": "Living with family",
    "4": "Living with friends", "5": "No fixed abode", "6": "Rough sleeping",
    "7": "Custody (prison or young offender institution)", "8": "Owner-occupier",
    "9": "Other or not known",
}  # fmt: skip
HOUSEHOLD: dict[str, str] = {
    "1": "Single adult: male", "2": "Single adult: female", "3": "Single parent with children",
    "4": "Couple with children", "5": "Couple without children", "6": "Other",
}  # fmt: skip
SUPPORT_NEED: dict[str, str] = {
    "01": "History of offending", "02": "History of mental health problems",
    "03": "Physical ill health and disability", "04": "Drug dependency needs",
    "05": "Alcohol dependency needs", "06": "At risk of or has experienced domestic abuse",
    "07": "History of repeat homelessness", "08": "History of rough sleeping",
    "09": "Young person aged 18-25 requiring support", "10": "Care leaver",
    "11": "Learning disability", "12": "Access to education, employment or training",
}  # fmt: skip
PREVENTION_OUTCOME: dict[str, str] = {
    "1": "Secured accommodation for 6 months or more", "2": "Homeless: relief duty owed",
    "3": "Contact lost", "4": "Withdrew application or applicant deceased",
    "5": "56 days elapsed and no further action", "6": "Refused suitable offer",
    "7": "No longer eligible",
}  # fmt: skip
RELIEF_OUTCOME: dict[str, str] = {
    "1": "Secured accommodation for 6 months or more", "2": "56 days elapsed",
    "3": "Contact lost", "4": "Withdrew application or applicant deceased",
    "5": "Refused final accommodation", "6": "Intentionally homeless from accommodation "
    "provided", "7": "No longer eligible",
}  # fmt: skip
SECURED: dict[str, str] = {
    "1": "Private rented sector", "2": "Social rented sector", "3": "Staying with family or "
    "friends", "4": "Supported housing", "5": "Other",
}  # fmt: skip
DECISION: dict[str, str] = {
    "1": "Eligible, homeless, in priority need and unintentionally homeless: main duty owed",
    "2": "Eligible, homeless, in priority need but intentionally homeless",
    "3": "Eligible, homeless but not in priority need", "4": "Eligible but not homeless",
    "5": "Ineligible",
}  # fmt: skip
ACTIVITY: dict[str, str] = {
    "01": "Negotiation or mediation to stay with family or friends",
    "02": "Helped to secure accommodation in the private rented sector",
    "03": "Helped to secure social housing", "04": "Supported housing provided",
    "05": "Financial payments (rent deposit, arrears)", "06": "Debt advice",
    "07": "Resolved housing benefit or Universal Credit problems", "08": "Other assistance",
}  # fmt: skip
TA_TYPE: dict[str, str] = {
    "1": "Bed and breakfast hotel", "2": "Nightly paid, privately managed, self-contained",
    "3": "Hostel (including refuges)", "4": "Private sector accommodation leased by the "
    "council", "5": "Council or housing association stock", "6": "Other",
}  # fmt: skip
REVIEW_OUTCOME: dict[str, str] = {
    "1": "Decision upheld", "2": "Decision overturned", "3": "Review withdrawn",
}  # fmt: skip
YES_NO: dict[str, str] = {"Y": "Yes", "N": "No"}

CASE_REF = "Council case reference (LAD code and the council's number; hashed in research)"
LA_CODE = "LAD code of the council that submitted the case"
QUARTER = "Reporting quarter of the return (calendar quarter, e.g. 2023Q4: October-December)"

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "hclic_people": {
        "person_ref": "People section row id (one lead applicant per case)",
        "case_ref": CASE_REF,
        "la_code": LA_CODE,
        "reporting_quarter": QUARTER,
        "date_of_application": "Date the household applied to the council for help",
        "first_name": "Lead applicant's first name (identifier zone only)",
        "last_name": "Lead applicant's last name (identifier zone only)",
        "dob": "Lead applicant's date of birth, DD/MM/YYYY (identifier zone only)",
        "sex": "Lead applicant's sex (1 male, 2 female, 9 not known)",
        "nino": "National Insurance number, where the council knows it (identifier zone only)",
        "last_settled_postcode": "Postcode of the last settled home (identifier zone only)",
        "ethnicity": "Lead applicant's ethnic group",
    },
    "hclic_main": {
        "main_id": "Main section row id",
        "case_ref": CASE_REF,
        "la_code": LA_CODE,
        "reporting_quarter": QUARTER,
        "date_of_application": "Date the household applied to the council for help",
        "date_of_assessment": "Date of the initial assessment of the duty owed",
        "assessment_outcome": "Initial assessment: prevention duty owed (threatened with "
                              "homelessness), relief duty owed (homeless) or no duty",
        "reason_loss_of_home": "Reason for the loss, or threat of loss, of the last settled "
                               "home (end of an assured shorthold tenancy, family or friends no "
                               "longer willing, domestic abuse, left prison, ...)",
        "accommodation_at_application": "Accommodation at the time of application (no fixed "
                                        "abode, rough sleeping, custody, ...)",
        "household_type": "Household type of the applicant",
    },
    "hclic_support_needs": {
        "support_id": "Support needs section row id (one row per need)",
        "case_ref": CASE_REF,
        "date_of_assessment": "Date of the assessment that recorded the need",
        "support_need": "Support need of the household (history of offending, mental health, "
                        "drug or alcohol dependency, repeat homelessness, domestic abuse, ...)",
    },
    "hclic_prevention": {
        "prevention_id": "Prevention section row id",
        "case_ref": CASE_REF,
        "prevention_start_date": "Date the prevention duty began (threatened with homelessness)",
        "prevention_end_date": "Date the prevention duty ended (empty: open at the return)",
        "prevention_outcome": "How the prevention duty ended",
        "accommodation_secured": "Accommodation secured when the duty ended that way",
    },
    "hclic_relief": {
        "relief_id": "Relief section row id",
        "case_ref": CASE_REF,
        "relief_start_date": "Date the relief duty began (homeless)",
        "relief_end_date": "Date the relief duty ended (empty: open at the return)",
        "relief_outcome": "How the relief duty ended",
        "accommodation_secured": "Accommodation secured when the duty ended that way",
    },
    "hclic_main_duty": {
        "decision_id": "Final duties section row id",
        "case_ref": CASE_REF,
        "decision_date": "Date of the main duty decision",
        "decision": "Main duty decision (main duty owed, intentionally homeless, not in "
                    "priority need, ...)",
    },
    "hclic_assistance": {
        "assistance_id": "Assistance section row id",
        "case_ref": CASE_REF,
        "activity_date": "Date of the activity",
        "activity": "Assistance given to prevent or relieve homelessness",
    },
    "hclic_temp_accommodation": {
        "ta_id": "Temporary accommodation section row id (one row per placement)",
        "case_ref": CASE_REF,
        "ta_start_date": "Date the household was placed in temporary accommodation",
        "ta_end_date": "Date the placement ended (empty: in temporary accommodation at the "
                       "return)",
        "ta_type": "Type of temporary accommodation",
        "out_of_area": "Whether the placement was outside the council's district",
    },
    "hclic_reviews": {
        "review_id": "Reviews section row id",
        "case_ref": CASE_REF,
        "review_request_date": "Date the applicant asked for a review of a decision",
        "review_decision_date": "Date of the review decision (empty: pending)",
        "review_outcome": "Outcome of the review",
    },
    "hclic_submissions": {
        "submission_id": "Return id: council and quarter",
        "la_code": "LAD code of the council",
        "reporting_quarter": QUARTER,
        "quarter_start_date": "First day of the reporting quarter",
        "submitted": "Whether the council's H-CLIC return for the quarter arrived (N: no data "
                     "for the council that quarter, not zero cases)",
        "cases_submitted": "Cases in the return (empty when no return arrived)",
    },
}

HCLIC_PEOPLE = Source(
    name="hclic_people",
    title="H-CLIC People: lead applicants of homelessness cases",
    system="DLUHC H-CLIC",
    dataset="hclic",
    key="person_ref",
    case_ids=("case_ref",),
    columns={
        "person_ref": "VARCHAR",
        "case_ref": "VARCHAR",
        "la_code": "VARCHAR",
        "reporting_quarter": "VARCHAR",
        "date_of_application": "DATE",
        "first_name": "VARCHAR",
        "last_name": "VARCHAR",
        "dob": "VARCHAR",
        "sex": "VARCHAR",
        "nino": "VARCHAR",
        "last_settled_postcode": "VARCHAR",
        "ethnicity": "VARCHAR",
    },
    identifiers=Identifiers(
        forename="first_name",
        surname="last_name",
        dob="dob",
        dob_format="%d/%m/%Y",
        sex="sex",
        sex_codes={"1": "M", "2": "F"},
        postcode="last_settled_postcode",
        national_ids={"nino": "nino"},
    ),
    event_date="date_of_application",
    coverage=COVERAGE,
    codes={"sex": tuple(SEX), "ethnicity": tuple(ETHNICITY)},
    descriptions=DESCRIPTIONS["hclic_people"],
    labels={"sex": SEX, "ethnicity": ETHNICITY},
    wave=4,
    link_role="population",
    generator=_GENERATOR,
    record_id_shape=("HP", 1_000_001),
    quality=QualityProfile(
        # councils know the NINO for about half of applicants; many have no settled postcode
        completeness={"forename": 0.97, "surname": 0.97, "dob": 0.93, "sex": 0.95,
                      "postcode": 0.55, "nino": 0.35},
        lad_columns=("la_code",),
        age_range=(16, 100),
    ),
)


def _section(name: str, title: str, key: str, columns: dict[str, str], event_date: str,
             codes: dict[str, dict[str, str]], shape: tuple[str, int],
             quality: QualityProfile | None = None) -> Source:
    """An H-CLIC section other than People: rows keyed to the case by `case_ref`."""
    return attribute_table(HCLIC_PEOPLE, "case_ref", name=name, title=title, key=key,
                           columns=columns, event_date=event_date, coverage=COVERAGE,
                           dataset="hclic", codes={c: tuple(v) for c, v in codes.items()},
                           labels=codes, descriptions=DESCRIPTIONS[name],
                           record_id_shape=shape, quality=quality or QualityProfile())


HCLIC_MAIN = _section(
    "hclic_main", "H-CLIC Main: applications and initial assessments", "main_id",
    {"la_code": "VARCHAR", "reporting_quarter": "VARCHAR", "date_of_application": "DATE",
     "date_of_assessment": "DATE", "assessment_outcome": "VARCHAR",
     "reason_loss_of_home": "VARCHAR", "accommodation_at_application": "VARCHAR",
     "household_type": "VARCHAR"},
    "date_of_assessment",
    {"assessment_outcome": ASSESSMENT, "reason_loss_of_home": REASON_LOSS,
     "accommodation_at_application": ACCOMMODATION, "household_type": HOUSEHOLD},
    ("HM", 1_000_001),
    QualityProfile(date_order=(("date_of_assessment", "date_of_application"),),
                   lad_columns=("la_code",)),
)
HCLIC_SUPPORT_NEEDS = _section(
    "hclic_support_needs", "H-CLIC Support needs: support needs of households", "support_id",
    {"date_of_assessment": "DATE", "support_need": "VARCHAR"}, "date_of_assessment",
    {"support_need": SUPPORT_NEED}, ("HS", 1_000_001),
)
HCLIC_PREVENTION = _section(
    "hclic_prevention", "H-CLIC Prevention: prevention duties", "prevention_id",
    {"prevention_start_date": "DATE", "prevention_end_date": "DATE",
     "prevention_outcome": "VARCHAR", "accommodation_secured": "VARCHAR"},
    "prevention_start_date",
    {"prevention_outcome": PREVENTION_OUTCOME, "accommodation_secured": SECURED},
    ("HV", 1_000_001),
    QualityProfile(date_order=(("prevention_end_date", "prevention_start_date"),)),
)
HCLIC_RELIEF = _section(
    "hclic_relief", "H-CLIC Relief: relief duties", "relief_id",
    {"relief_start_date": "DATE", "relief_end_date": "DATE", "relief_outcome": "VARCHAR",
     "accommodation_secured": "VARCHAR"},
    "relief_start_date", {"relief_outcome": RELIEF_OUTCOME, "accommodation_secured": SECURED},
    ("HR", 1_000_001),
    QualityProfile(date_order=(("relief_end_date", "relief_start_date"),)),
)
HCLIC_MAIN_DUTY = _section(
    "hclic_main_duty", "H-CLIC Final duties: main duty decisions", "decision_id",
    {"decision_date": "DATE", "decision": "VARCHAR"}, "decision_date",
    {"decision": DECISION}, ("HD", 1_000_001),
)
HCLIC_ASSISTANCE = _section(
    "hclic_assistance", "H-CLIC Assistance: help given to prevent or relieve homelessness",
    "assistance_id", {"activity_date": "DATE", "activity": "VARCHAR"}, "activity_date",
    {"activity": ACTIVITY}, ("HA", 1_000_001),
)
HCLIC_TEMP_ACCOMMODATION = _section(
    "hclic_temp_accommodation", "H-CLIC Temporary accommodation: placements", "ta_id",
    {"ta_start_date": "DATE", "ta_end_date": "DATE", "ta_type": "VARCHAR",
     "out_of_area": "VARCHAR"},
    "ta_start_date", {"ta_type": TA_TYPE, "out_of_area": YES_NO}, ("HT", 1_000_001),
    QualityProfile(date_order=(("ta_end_date", "ta_start_date"),)),
)
HCLIC_REVIEWS = _section(
    "hclic_reviews", "H-CLIC Reviews: reviews of decisions", "review_id",
    {"review_request_date": "DATE", "review_decision_date": "DATE",
     "review_outcome": "VARCHAR"},
    "review_request_date", {"review_outcome": REVIEW_OUTCOME}, ("HW", 1_000_001),
    QualityProfile(date_order=(("review_decision_date", "review_request_date"),)),
)
HCLIC_SUBMISSIONS = Source(
    name="hclic_submissions",
    title="H-CLIC returns: which councils submitted each quarter",
    system="DLUHC H-CLIC",
    dataset="hclic",
    key="submission_id",
    columns={
        "submission_id": "VARCHAR",
        "la_code": "VARCHAR",
        "reporting_quarter": "VARCHAR",
        "quarter_start_date": "DATE",
        "submitted": "VARCHAR",
        "cases_submitted": "INTEGER",
    },
    identifiers=Identifiers(),
    event_date="quarter_start_date",
    coverage=COVERAGE,
    codes={"submitted": tuple(YES_NO)},
    descriptions=DESCRIPTIONS["hclic_submissions"],
    labels={"submitted": YES_NO},
    wave=4,
    link_role="coverage",
    generator=_GENERATOR,
    quality=QualityProfile(
        numeric_ranges={"cases_submitted": (0, None)}, lad_columns=("la_code",),
        patterns={"reporting_quarter": (r"^\d{4}Q[1-4]$", "quarters (2023Q4)", "2023Q4")}),
)

DECLARED: tuple[Source, ...] = (HCLIC_PEOPLE, HCLIC_MAIN, HCLIC_SUPPORT_NEEDS, HCLIC_PREVENTION,
                                HCLIC_RELIEF, HCLIC_MAIN_DUTY, HCLIC_ASSISTANCE,
                                HCLIC_TEMP_ACCOMMODATION, HCLIC_REVIEWS, HCLIC_SUBMISSIONS)
