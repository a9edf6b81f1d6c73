"""Code lists and patterns shared by several sources (one place, imported by declarations)."""

from __future__ import annotations

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

# Sex codes as sources write them -> M / F.
SEX_LETTERS = {"M": "M", "F": "F"}
SEX_WORDS = {"Male": "M", "Female": "F"}
SEX_DIGITS = {"1": "M", "2": "F"}

LSOA_CODE_PATTERN = r"^[EW]01[0-9]{6}$"
LAD_CODE_PATTERN = r"^(E0[6-9]|W06)[0-9]{6}$"
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$"

# Labels of coded values, by code list (what a data catalogue shows beside each code).
CODE_LABELS: dict[str, dict[str, str]] = {
    "ethnicity": {
        "W1": "White: British",
        "W2": "White: Irish",
        "W3": "White: Gypsy or Irish Traveller",
        "W9": "White: any other White background",
        "M1": "Mixed: White and Black Caribbean",
        "M2": "Mixed: White and Black African",
        "M3": "Mixed: White and Asian",
        "M9": "Mixed: any other mixed background",
        "A1": "Asian: Indian",
        "A2": "Asian: Pakistani",
        "A3": "Asian: Bangladeshi",
        "A4": "Asian: Chinese",
        "A9": "Asian: any other Asian background",
        "B1": "Black: Caribbean",
        "B2": "Black: African",
        "B9": "Black: any other Black background",
        "O1": "Other: Arab",
        "O9": "Other: any other ethnic group",
    },
    "offence": OFFENCE_CODES,
    "disposal": {
        "DISCH": "Discharge",
        "FINE": "Fine",
        "COMM": "Community order",
        "SSO": "Suspended sentence order",
        "IMM_CUST": "Immediate custody",
        "SENT_CC": "Committed to the Crown Court for sentence",
        "OTHER": "Otherwise dealt with",
        "NOT_GUILTY": "Not guilty / dismissed",
        "ACQUITTED": "Acquitted",
    },
    "requirement": {
        "UPW": "Unpaid work",
        "RAR": "Rehabilitation activity requirement",
        "PROG": "Accredited programme",
        "DRR": "Drug rehabilitation requirement",
        "ATR": "Alcohol treatment requirement",
        "MHTR": "Mental health treatment requirement",
        "CURFEW": "Curfew",
        "EXCL": "Exclusion requirement",
    },
    "sex": {
        "M": "Male",
        "F": "Female",
        "U": "Unknown",
        "Male": "Male",
        "Female": "Female",
        "1": "Male",
        "2": "Female",
    },
    "trial_type": {
        "TRIAL": "Trial",
        "GUILTY_PLEA": "Guilty plea",
        "COMMITTED_FOR_SENTENCE": "Committed for sentence",
    },
    "event_type": {
        "ORDER": "Community or suspended sentence order",
        "LICENCE": "Post-release licence",
    },
    "setting": {
        "CUSTODY": "Assessed in custody",
        "COMMUNITY": "Assessed in the community",
    },
    "family_case_type": {
        "PUBLIC": "Public law (care and supervision of children)",
        "PRIVATE": "Private law (child arrangements between parents)",
        "DIVORCE": "Divorce / matrimonial",
        "ADOPTION": "Adoption",
        "FLA": "Family Law Act domestic abuse (non-molestation, occupation)",
    },
    "family_role": {
        "APPLICANT": "Applicant",
        "RESPONDENT": "Respondent",
    },
    "civil_claim_type": {
        "RENT_SOCIAL": "Social landlord possession claim (rent arrears)",
        "RENT_PRIVATE": "Private landlord possession claim (rent arrears)",
        "MORTGAGE": "Mortgage possession claim",
        "ACCELERATED": "Accelerated possession (no-fault, assured shorthold)",
    },
    "civil_role": {
        "CLAIMANT": "Claimant (landlord or lender)",
        "DEFENDANT": "Defendant (tenant or borrower)",
    },
    "party_type": {
        "PERSON": "A person",
        "COMPANY": "A company or organisation",
    },
    "order_type": {
        "OUTRIGHT": "Outright possession order",
        "SUSPENDED": "Suspended possession order",
        "ADJOURNED": "Adjourned",
        "DISMISSED": "Dismissed",
    },
}
