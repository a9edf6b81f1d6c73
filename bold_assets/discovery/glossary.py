"""What each declared column means, and what its codes stand for: the text a data catalogue shows.

Data First publishes one catalogue per dataset with a definition per variable; these are ours for
the synthetic extracts, written from the source systems' public descriptions (DOMAIN.md). A
column without a definition fails the catalogue's contract test, so a new source brings its text.
"""

from __future__ import annotations

ETHNICITY_LABELS = {
    "W1": "White: British", "W2": "White: Irish", "W3": "White: Gypsy or Irish Traveller",
    "W9": "White: any other White background", "M1": "Mixed: White and Black Caribbean",
    "M2": "Mixed: White and Black African", "M3": "Mixed: White and Asian",
    "M9": "Mixed: any other mixed background", "A1": "Asian: Indian", "A2": "Asian: Pakistani",
    "A3": "Asian: Bangladeshi", "A4": "Asian: Chinese", "A9": "Asian: any other Asian background",
    "B1": "Black: Caribbean", "B2": "Black: African", "B9": "Black: any other Black background",
    "O1": "Other: Arab", "O9": "Other: any other ethnic group",
}
OFFENCE_LABELS = {
    "VAP": "Violence against the person", "SEX": "Sexual offences", "ROB": "Robbery",
    "THF": "Theft offences", "BUR": "Burglary", "CDA": "Criminal damage and arson",
    "DRG": "Drug offences", "WPN": "Possession of weapons", "POR": "Public order offences",
    "FRD": "Fraud offences", "MOT": "Summary motoring", "SNM": "Summary non-motoring",
}
DISPOSAL_LABELS = {
    "DISCH": "Discharge", "FINE": "Fine", "COMM": "Community order",
    "SSO": "Suspended sentence order", "IMM_CUST": "Immediate custody",
    "SENT_CC": "Committed to the Crown Court for sentence", "OTHER": "Otherwise dealt with",
    "NOT_GUILTY": "Not guilty / dismissed", "ACQUITTED": "Acquitted",
}
REQUIREMENT_LABELS = {
    "UPW": "Unpaid work", "RAR": "Rehabilitation activity requirement",
    "PROG": "Accredited programme", "DRR": "Drug rehabilitation requirement",
    "ATR": "Alcohol treatment requirement", "MHTR": "Mental health treatment requirement",
    "CURFEW": "Curfew", "EXCL": "Exclusion requirement",
}
SEX_LABELS = {"M": "Male", "F": "Female", "U": "Unknown", "Male": "Male", "Female": "Female",
              "1": "Male", "2": "Female"}
LABELS: dict[str, dict[str, str]] = {  # code list -> code -> label
    "ethnicity": ETHNICITY_LABELS,
    "offence": OFFENCE_LABELS,
    "disposal": DISPOSAL_LABELS,
    "requirement": REQUIREMENT_LABELS,
    "sex": SEX_LABELS,
    "trial_type": {"TRIAL": "Trial", "GUILTY_PLEA": "Guilty plea",
                   "COMMITTED_FOR_SENTENCE": "Committed for sentence"},
    "event_type": {"ORDER": "Community or suspended sentence order",
                   "LICENCE": "Post-release licence"},
    "setting": {"CUSTODY": "Assessed in custody", "COMMUNITY": "Assessed in the community"},
    "family_case_type": {"PUBLIC": "Public law (care and supervision of children)",
                         "PRIVATE": "Private law (child arrangements between parents)",
                         "DIVORCE": "Divorce / matrimonial", "ADOPTION": "Adoption",
                         "FLA": "Family Law Act domestic abuse (non-molestation, occupation)"},
    "family_role": {"APPLICANT": "Applicant", "RESPONDENT": "Respondent"},
    "civil_claim_type": {"RENT_SOCIAL": "Social landlord possession claim (rent arrears)",
                         "RENT_PRIVATE": "Private landlord possession claim (rent arrears)",
                         "MORTGAGE": "Mortgage possession claim",
                         "ACCELERATED": "Accelerated possession (no-fault, assured shorthold)"},
    "civil_role": {"CLAIMANT": "Claimant (landlord or lender)",
                   "DEFENDANT": "Defendant (tenant or borrower)"},
    "party_type": {"PERSON": "A person", "COMPANY": "A company or organisation"},
    "order_type": {"OUTRIGHT": "Outright possession order",
                   "SUSPENDED": "Suspended possession order",
                   "ADJOURNED": "Adjourned", "DISMISSED": "Dismissed"},
}
# (source, column) -> code list, where the column's codes have labels
CODE_LISTS: dict[tuple[str, str], str] = {
    ("mags", "gender"): "sex", ("mags", "ethnicity"): "ethnicity",
    ("mags", "principal_offence_code"): "offence", ("mags", "disposal_code"): "disposal",
    ("crown", "sex"): "sex", ("crown", "self_defined_ethnicity"): "ethnicity",
    ("crown", "offence_code"): "offence", ("crown", "trial_type"): "trial_type",
    ("crown", "sentence_type"): "disposal",
    ("prison", "gender_code"): "sex", ("prison", "ethnic_code"): "ethnicity",
    ("prison", "main_offence_code"): "offence",
    ("probation", "gender"): "sex", ("probation", "ethnicity"): "ethnicity",
    ("probation", "event_type"): "event_type", ("probation", "requirements"): "requirement",
    ("oasys", "gender"): "sex", ("oasys", "ethnic_category"): "ethnicity",
    ("oasys", "setting"): "setting",
    ("family", "case_type"): "family_case_type", ("family", "party_role"): "family_role",
    ("family", "party_sex"): "sex",
    ("civil", "claim_type"): "civil_claim_type", ("civil", "party_role"): "civil_role",
    ("civil", "party_type"): "party_type", ("civil", "order_type"): "order_type",
}

_NAME = "as recorded on the source system (identifier zone only)"
DEFINITIONS: dict[str, dict[str, str]] = {
    "mags": {
        "defendant_id": "Defendant record id (one row per defendant per case)",
        "case_id": "Magistrates' court case id",
        "defendant_forename": f"Defendant forename, {_NAME}",
        "defendant_surname": f"Defendant surname, {_NAME}",
        "defendant_dob": f"Defendant date of birth, {_NAME}",
        "gender": "Defendant gender", "ethnicity": "Defendant ethnicity (ONS 18+1 code)",
        "defendant_postcode": f"Defendant home address postcode, {_NAME}",
        "offence_date": "Date of the principal offence",
        "age_at_offence": "Defendant age at the principal offence, in years",
        "first_hearing_date": "Date of the first hearing in the magistrates' court",
        "principal_offence_code": "Offence group of the principal offence",
        "offence_count": "Number of offences on the case for this defendant",
        "disposal_code": "Outcome or sentence for the principal offence (conviction, "
                         "sentence type)",
        "disposal_date": "Date of the outcome or sentence",
        "court_lad_code": "Local authority district of the court",
    },
    "crown": {
        "defendant_on_case_id": "Defendant-on-case record id",
        "case_number": "Crown Court case number",
        "forenames": f"Defendant forenames, {_NAME}", "surname": f"Defendant surname, {_NAME}",
        "date_of_birth": f"Defendant date of birth, {_NAME}", "sex": "Defendant sex",
        "self_defined_ethnicity": "Defendant self-defined ethnicity (ONS 18+1 code)",
        "postcode": f"Defendant home address postcode, {_NAME}",
        "receipt_date": "Date the case was received in the Crown Court",
        "offence_code": "Offence group of the principal offence",
        "trial_type": "How the case proceeded: trial, guilty plea or committal for sentence",
        "verdict_date": "Date of the verdict", "sentence_type": "Sentence (or acquittal) outcome",
        "sentence_date": "Date of sentence", "appeal": "Whether the case went to appeal",
    },
    "prison": {
        "journey_id": "Custodial journey record id (one reception to release)",
        "booking_no": "Prison booking number",
        "first_name": f"Prisoner first name, {_NAME}",
        "middle_name": f"Prisoner middle name, {_NAME}",
        "last_name": f"Prisoner last name, {_NAME}",
        "birth_date": f"Prisoner date of birth, {_NAME}", "gender_code": "Prisoner gender",
        "ethnic_code": "Prisoner ethnicity (ONS 18+1 code)",
        "postcode_on_reception": f"Home address postcode at reception into custody, {_NAME}",
        "reception_date": "Date of reception into prison custody",
        "release_date": "Date of release from custody",
        "establishment_code": "Prison establishment",
        "main_offence_code": "Offence group of the main offence",
        "sentence_days": "Length of the custodial sentence, in days",
    },
    "probation": {
        "event_id": "Probation event id (an order or licence)",
        "forename": f"Person forename, {_NAME}", "second_forename": f"Second forename, {_NAME}",
        "surname": f"Person surname, {_NAME}", "date_of_birth": f"Date of birth, {_NAME}",
        "gender": "Gender", "ethnicity": "Ethnicity (ONS 18+1 code)",
        "postcode": f"Home address postcode, {_NAME}",
        "lsoa_code": "LSOA (2021) of residence",
        "referral_date": "Date the person was referred to probation (start of the event)",
        "event_type": "Type of event: community / suspended sentence order or licence",
        "requirements": "Requirements of the order, comma-separated (e.g. unpaid work, drug "
                        "rehabilitation, alcohol treatment, mental health treatment)",
        "termination_date": "Date the order or licence ended",
    },
    "oasys": {
        "assessment_pk": "Assessment id", "forename_1": f"Forename, {_NAME}",
        "forename_2": f"Second forename, {_NAME}", "family_name": f"Family name, {_NAME}",
        "date_of_birth": f"Date of birth, {_NAME}", "gender": "Gender",
        "ethnic_category": "Ethnicity (ONS 18+1 code)",
        "postcode": f"Home address postcode, {_NAME}",
        "assessment_date": "Date the assessment was completed",
        "setting": "Where the assessment took place: custody or community",
    },
    "family": {
        "party_id": "Party record id (one row per party per case)",
        "case_number": "FamilyMan case number",
        "case_type": "Type of family case: public law, private law, divorce, adoption, domestic "
                     "abuse (Family Law Act)",
        "issue_date": "Date the case was issued", "party_role": "Party's role in the case",
        "party_forename": f"Party forename, {_NAME}", "party_surname": f"Party surname, {_NAME}",
        "party_dob": f"Party date of birth, {_NAME}", "party_sex": "Party sex",
        "party_postcode": f"Party address postcode, {_NAME}",
        "harm_alleged": "Whether domestic abuse or harm to a child was alleged in the case",
        "children_involved": "Number of children the case concerns",
        "fee_exemption": "Whether the party was exempt from court fees (help with fees, low "
                         "income or benefits)",
        "legal_representation": "Whether the party had legal representation",
    },
    "civil": {
        "party_id": "Party record id (one row per party per claim)",
        "claim_number": "Possession claim number",
        "claim_type": "Type of possession claim: social or private landlord (rent arrears), "
                      "mortgage, accelerated",
        "party_role": "Party's role: claimant (landlord or lender) or defendant (tenant, borrower)",
        "party_type": "Whether the party to the possession claim is a person or a company "
                      "(landlord, lender)",
        "party_name": f"Party name as one string, {_NAME}",
        "party_dob": f"Party date of birth, {_NAME}",
        "address_postcode": f"Postcode of the property or party address, {_NAME}",
        "claim_date": "Date the possession claim was issued",
        "arrears_amount": "Rent or mortgage arrears claimed, in pounds",
        "order_type": "Possession order made: outright, suspended, adjourned or dismissed",
        "order_date": "Date of the possession order",
        "warrant_date": "Date a warrant of possession (eviction) was issued",
        "possession_date": "Date of repossession by bailiffs",
    },
}

_PNC = "as recorded on the Police National Computer (identifier zone only)"
_NPD = "as recorded in the school census (identifier zone only)"
_UPN = "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the PMR)"
DEFINITIONS.update({
    "pnc_people": {
        "name_id": "PNC name record id (one row per name: the primary name and each alias)",
        "pnc_id": "PNC id of the person (YYYY/NNNNNNNA)",
        "alias_flag": "Whether the name is an alias (Y) or the primary name (N)",
        "forename": f"Forename, {_PNC}", "middle_names": f"Middle names, {_PNC}",
        "surname": f"Surname, {_PNC}", "date_of_birth": f"Date of birth, {_PNC}",
        "sex": "Sex", "ethnic_appearance": "Officer-observed ethnic appearance (IC code)",
        "self_defined_ethnicity": "Self-defined ethnicity (ONS 18+1 code)",
        "postcode": f"Home address postcode, {_PNC}",
        "created_date": "Date the name record was created",
    },
    "pnc_offences": {
        "offence_id": "Offence record id", "pnc_id": "PNC id of the offender",
        "case_id": "Case (arrest / summons) id", "offence_start_date": "Date the offence began",
        "offence_group": "Offence group (01-23)",
        "adjudication_code": "Adjudication: guilty (G, J), not guilty, discontinued, or a caution",
        "adjudication_date": "Date of the adjudication (conviction or caution)",
        "disposal_code": "Disposal (sentence or caution) for the offence",
        "disposal_rank": "Seriousness rank of the disposal (1 = most serious, custody)",
        "is_primary_offence": "Whether this is the primary offence of the case (Y / N)",
    },
    "npd_census": {
        "census_record_id": "School census record id (one row per pupil per census)",
        "upn": _UPN, "forename": f"Pupil forename, {_NPD}",
        "middlenames": f"Pupil middle names, {_NPD}", "surname": f"Pupil surname, {_NPD}",
        "dob": f"Pupil date of birth, {_NPD}", "gender": "Pupil gender",
        "postcode": f"Pupil home address postcode, {_NPD}",
        "llsoa": "LSOA of the pupil's home address",
        "ethnicgroupmajor": "Pupil ethnic group (major)",
        "ncyearactual": "National curriculum year the pupil is taught in",
        "census_year": "Year of the census", "census_date": "Date of the census",
        "everfsm_all": "Whether the pupil has ever been eligible for free school meals "
                       "(low income)",
        "senprovision": "Special educational needs provision (SEN support, statement or EHC plan)",
        "primarysentype": "Primary type of special educational need (e.g. SEMH: social, "
                          "emotional and mental health)",
    },
    "npd_ks2": {
        "ks2_record_id": "Key Stage 2 record id", "upn": _UPN,
        "ks2_year": "Year of the Key Stage 2 assessment (end of primary school)",
        "exam_date": "Date of the Key Stage 2 assessment",
        "ks2_englev": "Key Stage 2 English level (before 2016): attainment",
        "ks2_matlev": "Key Stage 2 maths level (before 2016): attainment",
        "ks2_readexp": "Reached the expected standard in reading (from 2016): attainment",
        "ks2_matexp": "Reached the expected standard in maths (from 2016): attainment",
    },
    "npd_ks4": {
        "ks4_record_id": "Key Stage 4 record id", "upn": _UPN,
        "ks4_year": "Year of the Key Stage 4 exams (GCSE, end of compulsory school)",
        "exam_date": "Date of the Key Stage 4 results",
        "ks4_att8": "Attainment 8 score at Key Stage 4",
        "ks4_level2_em": "Level 2 (grades 9-4 / A*-C) in English and maths: attainment",
    },
    "npd_exclusions": {
        "exclusion_record_id": "School exclusion record id", "upn": _UPN,
        "academic_year": "Academic year of the exclusion",
        "category": "Exclusion category: permanent exclusion, fixed-period exclusion or "
                    "suspension",
        "startdate": "Start date of the exclusion",
        "sessions": "Sessions (half days) of the exclusion", "reason": "Reason for the exclusion",
    },
    "npd_absence": {
        "absence_record_id": "School absence record id (one row per pupil per year)",
        "upn": _UPN, "academic_year": "Academic year",
        "year_start_date": "Start of the academic year",
        "sessions_possible": "Sessions (half days) the pupil could attend school",
        "sessions_overall_absence": "Sessions of absence from school (authorised or not)",
        "pa_threshold": "Persistent absence threshold that year (share of sessions missed)",
        "persistent_absentee": "Whether the pupil was persistently absent that year (attendance)",
    },
    "npd_cin": {
        "cin_record_id": "Children in Need referral record id", "upn": _UPN,
        "cin_referraldate": "Date of the child in need referral to children's social care",
        "cin_cinclosuredate": "Date the child in need episode closed",
        "cin_reasonforclosure": "Reason the child in need episode closed",
        "cin_primaryneedcode": "Primary need of the child in need (e.g. abuse or neglect, "
                               "family dysfunction)",
    },
    "npd_cla": {
        "cla_record_id": "Children Looked After period of care record id", "upn": _UPN,
        "cla_poc_start": "Start of the period of care (child looked after by the local "
                         "authority, in care)",
        "cla_dec": "End of the period of care",
        "reasonepisodeceased": "Reason the looked-after episode ended",
    },
})

OASYS_SECTION_TITLES = {
    1: "offending information", 2: "analysis of offences", 3: "accommodation",
    4: "education, training and employability", 5: "financial management and income",
    6: "relationships", 7: "lifestyle and associates", 8: "drug misuse", 9: "alcohol misuse",
    10: "emotional well-being", 11: "thinking and behaviour", 12: "attitudes",
    13: "health and other considerations",
}


def oasys_definition(column: str) -> str | None:
    """Definition of an OASys item or need-level column (`s3_q2`, `s3_need_level`)."""
    head, _, tail = column.partition("_")
    if not head.startswith("s") or not head[1:].isdigit():
        return None
    title = OASYS_SECTION_TITLES.get(int(head[1:]))
    if title is None:
        return None
    if tail == "need_level":
        return (f"OASys section {head[1:]} ({title}) need level: 0 no need, 1 standard, "
                "2 severe (item sum against the section's thresholds)")
    return (f"OASys section {head[1:]} ({title}) item {tail.lstrip('q')} score: 0 no problem, "
            "1 some problems, 2 significant problems")


def definition(source: str, column: str) -> str | None:
    """The definition of a column, or None when it has none."""
    text = DEFINITIONS.get(source, {}).get(column)
    if text is None and source == "oasys":
        text = oasys_definition(column)
    return text


def labels(source: str, column: str) -> dict[str, str]:
    """Code -> label for a coded column (empty when its codes carry no labels)."""
    code_list = CODE_LISTS.get((source, column))
    return dict(LABELS.get(code_list, {})) if code_list else {}
