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
