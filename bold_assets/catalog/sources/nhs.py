"""Wave 3: NHS England's hospital and mental-health data and ONS death registrations, in the
shape research extracts have (DOMAIN.md, wave 3), lower-case field names.

- `pds`: a Personal Demographics Service-like reference of NHS numbers: one row per person and
  address held (the person's postcode history), with the NHS number (ten digits, modulus-11
  check), names, date of birth (`YYYYMMDD`) and gender (1 male, 2 female). People in the other
  sources are traced to it on date of birth, name, sex and postcode (the Master Person Service's
  demographic trace steps; justice records and pupils carry no NHS number).
- `hes_apc`: Hospital Episode Statistics Admitted Patient Care, one row per episode: episode key,
  NHS number, admission / discharge / episode dates, admission method and source, discharge
  method, age at start, sex, ethnic category, main specialty, up to 20 ICD-10 diagnoses
  (`diag_4_01` primary) and the LSOA of residence.
- `hes_ae`: HES Accident and Emergency attendances: key, NHS number, arrival date, disposal, two
  A&E diagnosis codes (the two-character HES A&E diagnosis list) and the LSOA of residence.
- The Mental Health Services Data Set, monthly submissions: `mhsds_mpi` (MHS001MPI: the master
  patient index, one row per person and provider, ethnicity and LSOA), `mhsds_referrals`
  (MHS101Referral: received and discharge dates, primary reason for referral),
  `mhsds_care_contacts` (MHS201CareContact: contact date, attendance) and `mhsds_hosp_spells`
  (MHS501HospProvSpell: inpatient spells).
- `ons_deaths` (catalog/sources/ons.py): death registrations.

Every NHS table other than PDS is keyed to the person by NHS number (attribute tables of `pds`:
the NHS number is hashed in research). Codes follow the HES and MHSDS data dictionaries; labels
are the project's short wording of them.
"""

from __future__ import annotations

from bold_assets.catalog.model import Identifiers, QualityProfile, Source, attribute_table

_GENERATOR = "bold_assets.world.sources.nhs"
DIAGNOSES = tuple(f"diag_4_{i:02d}" for i in range(1, 21))  # HES APC: diag_4_01 .. diag_4_20

GENDER = {"1": "Male", "2": "Female"}
HES_SEX = {"1": "Male", "2": "Female", "9": "Not specified"}
# NHS ethnic category (2001 census categories); Z not stated, 99 not known.
ETHNOS: dict[str, str] = {
    "A": "White: British", "B": "White: Irish", "C": "White: any other White background",
    "D": "Mixed: White and Black Caribbean", "E": "Mixed: White and Black African",
    "F": "Mixed: White and Asian", "G": "Mixed: any other mixed background",
    "H": "Asian or Asian British: Indian", "J": "Asian or Asian British: Pakistani",
    "K": "Asian or Asian British: Bangladeshi", "L": "Asian or Asian British: any other Asian",
    "M": "Black or Black British: Caribbean", "N": "Black or Black British: African",
    "P": "Black or Black British: any other Black background", "R": "Other: Chinese",
    "S": "Other: any other ethnic group", "Z": "Not stated", "99": "Not known",
}  # fmt: skip
ADMIMETH: dict[str, str] = {
    "11": "Elective: from waiting list", "12": "Elective: booked", "13": "Elective: planned",
    "21": "Emergency: via A&E", "22": "Emergency: via GP", "23": "Emergency: via bed bureau",
    "24": "Emergency: via consultant clinic", "25": "Emergency: via mental health crisis team",
    "28": "Emergency: other means", "2A": "Emergency: via A&E of another provider",
    "31": "Maternity: ante partum", "32": "Maternity: post partum",
    "81": "Transfer from another hospital",
}  # fmt: skip
ADMISORC: dict[str, str] = {
    "19": "Usual place of residence", "29": "Temporary place of residence",
    "39": "Penal establishment, court or police station", "49": "NHS other hospital provider",
    "51": "NHS other hospital provider: ward for general patients",
    "65": "Local authority residential accommodation", "99": "Not known",
}  # fmt: skip
DISMETH: dict[str, str] = {
    "1": "Discharged on clinical advice or with consent", "2": "Self-discharged",
    "3": "Discharged by mental health review tribunal, Home Secretary or court",
    "4": "Died", "8": "Not applicable: still in hospital", "9": "Not known",
}  # fmt: skip
MAINSPEF: dict[str, str] = {
    "100": "General surgery", "101": "Urology", "110": "Trauma and orthopaedics",
    "180": "Accident and emergency", "300": "General medicine", "320": "Cardiology",
    "340": "Respiratory medicine", "420": "Paediatrics", "501": "Obstetrics",
    "502": "Gynaecology", "700": "Learning disability", "710": "Adult mental illness",
    "711": "Child and adolescent psychiatry", "712": "Forensic psychiatry",
    "715": "Old age psychiatry", "800": "Clinical oncology",
}  # fmt: skip
AEATTENDDISP: dict[str, str] = {
    "01": "Admitted to hospital", "02": "Discharged: GP follow-up",
    "03": "Discharged: no follow-up", "04": "Referred to A&E clinic",
    "07": "Transferred to another provider", "10": "Died in department",
    "11": "Referred to other health care professional",
    "12": "Left before being treated", "13": "Left having refused treatment", "14": "Other",
}  # fmt: skip
# HES A&E diagnosis (two-character condition codes of the A&E diagnosis list).
AE_DIAG: dict[str, str] = {
    "01": "Laceration", "03": "Dislocation, fracture or joint injury", "05": "Sprain or "
    "ligament injury", "08": "Soft tissue inflammation", "12": "Burns and scalds",
    "14": "Poisoning (including overdose)", "21": "Central nervous system condition "
    "(excluding stroke)", "22": "Cerebrovascular condition", "23": "Other vascular condition",
    "24": "Haematological condition", "25": "Cardiac condition", "26": "Respiratory condition",
    "27": "Gastrointestinal condition", "30": "Diabetes and other endocrinological conditions",
    "35": "Psychiatric condition", "38": "Diagnosis not classifiable",
}  # fmt: skip
# MHSDS primary reason for referral (PrimReasonReferralMH), the codes the generator uses.
PRIM_REASON_REFERRAL: dict[str, str] = {
    "01": "Organic brain disorder", "02": "Drug and alcohol difficulties",
    "05": "Depression", "06": "Anxiety", "08": "Phobias",
    "10": "Ongoing or recurrent psychosis", "11": "Bipolar disorder",
    "14": "Personality disorders", "15": "Self harm behaviours", "17": "In crisis",
    "18": "Relationship difficulties", "24": "Adjustment to health issues",
}  # fmt: skip
ATTENDANCE: dict[str, str] = {
    "5": "Attended on time", "6": "Arrived late, seen", "7": "Arrived late, not seen",
    "2": "Appointment cancelled by patient", "3": "Did not attend", "4": "Cancelled by provider",
}  # fmt: skip
ADM_METHOD_MH: dict[str, str] = {
    "11": "Elective: from waiting list", "21": "Emergency: via A&E",
    "25": "Emergency: via mental health crisis team", "28": "Emergency: other means",
    "2B": "Emergency: transfer from another provider",
}  # fmt: skip
NHS_NUMBER = "NHS number of the patient (ten digits; hashed in research)"
LSOA = "LSOA (2011) of the patient's residence"

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "pds": {
        "pds_record_id": "PDS trace record id (one row per person and address held)",
        "nhs_number": "NHS number (identifier zone only; hashed in research)",
        "given_name": "Given name, as held on PDS (identifier zone only)",
        "family_name": "Family name, as held on PDS (identifier zone only)",
        "date_of_birth": "Date of birth, YYYYMMDD (identifier zone only)",
        "gender": "Gender (1 male, 2 female)",
        "postcode": "Postcode of the address (identifier zone only)",
        "address_from_date": "Date the address was first held",
    },
    "hes_apc": {
        "epikey": "Episode key: one row per consultant episode",
        "nhs_number": NHS_NUMBER,
        "admidate": "Date of admission to hospital",
        "disdate": "Date of discharge from hospital, on the spell's last episode (empty on its "
                   "earlier episodes, and while in hospital at the extract)",
        "epistart": "Start of the episode",
        "epiend": "End of the episode",
        "admimeth": "Method of admission (elective, emergency, maternity, transfer)",
        "admisorc": "Source of admission (where the patient was before)",
        "dismeth": "Method of discharge (4: died)",
        "startage": "Age at the start of the episode",
        "sex": "Sex of the patient (1 male, 2 female, 9 not specified)",
        "ethnos": "Ethnic category of the patient",
        "mainspef": "Main specialty of the consultant (710-715: mental illness)",
        **{d: ("Primary diagnosis" if d == "diag_4_01" else f"Secondary diagnosis {d[-2:]}")
           + " (ICD-10, four characters: mental health, ill health)" for d in DIAGNOSES},
        "lsoa11": LSOA,
    },
    "hes_ae": {
        "aekey": "A&E attendance key",
        "nhs_number": NHS_NUMBER,
        "arrivaldate": "Date of arrival at A&E",
        "aeattenddisp": "Disposal at the end of the attendance",
        "diag_01": "First A&E diagnosis (A&E diagnosis list: 14 poisoning, 35 psychiatric)",
        "diag_02": "Second A&E diagnosis",
        "lsoa11": LSOA,
    },
    "mhsds_mpi": {
        "mpi_record_id": "MHS001MPI record id: one row per patient and provider",
        "nhs_number": NHS_NUMBER,
        "orgidprov": "Provider organisation code",
        "ethniccategory": "Ethnic category of the patient",
        "gender": "Gender of the patient (1 male, 2 female)",
        "lsoa2011": LSOA,
        "recordstartdate": "First reporting period the patient was submitted by the provider",
    },
    "mhsds_referrals": {
        "servicerequestid": "MHS101Referral service request id",
        "nhs_number": NHS_NUMBER,
        "orgidprov": "Provider organisation code",
        "referralrequestreceiveddate": "Date the referral to a mental health service was "
                                       "received",
        "servdischdate": "Date the patient was discharged from the service (empty: open)",
        "primreasonreferralmh": "Primary reason for referral (mental health, substance misuse,"
                                " self harm)",
    },
    "mhsds_care_contacts": {
        "carecontid": "MHS201CareContact care contact id",
        "nhs_number": NHS_NUMBER,
        "servicerequestid": "Service request (referral) the contact belongs to (hashed in "
                            "research)",
        "carecontdate": "Date of the care contact",
        "attendornot": "Whether the patient attended",
    },
    "mhsds_hosp_spells": {
        "hospprovspellid": "MHS501HospProvSpell hospital provider spell id",
        "nhs_number": NHS_NUMBER,
        "servicerequestid": "Service request (referral) the spell belongs to (hashed in "
                            "research)",
        "startdatehospprovspell": "Start of the mental health inpatient spell",
        "dischdatehospprovspell": "Discharge from the spell (empty: in hospital at the extract)",
        "methadmmhhospprovspell": "Method of admission to the spell",
    },
}

PDS = Source(
    name="pds",
    title="Personal Demographics Service: NHS numbers and demographics",
    system="NHS PDS",
    dataset="nhs_pds",
    key="pds_record_id",
    case_ids=("nhs_number",),
    columns={
        "pds_record_id": "VARCHAR",
        "nhs_number": "VARCHAR",
        "given_name": "VARCHAR",
        "family_name": "VARCHAR",
        "date_of_birth": "VARCHAR",
        "gender": "VARCHAR",
        "postcode": "VARCHAR",
        "address_from_date": "DATE",
    },
    identifiers=Identifiers(
        forename="given_name",
        surname="family_name",
        dob="date_of_birth",
        dob_format="%Y%m%d",
        sex="gender",
        sex_codes={"1": "M", "2": "F"},
        postcode="postcode",
        national_ids={"nhs_number": "nhs_number"},
    ),
    event_date="address_from_date",
    coverage=(1920, 2023),
    codes={"gender": tuple(GENDER)},
    descriptions=DESCRIPTIONS["pds"],
    labels={"gender": GENDER},
    wave=3,
    link_role="population",
    generator=_GENERATOR,
    record_id_shape=("P", 20_000_001),
    quality=QualityProfile(
        completeness={"forename": 0.98, "surname": 0.99, "dob": 0.99, "sex": 0.98,
                      "postcode": 0.92, "nhs_number": 0.99},
        age_range=(0, 110),
    ),
)


def keyed_by_nhs_number(name: str, title: str, system: str, key: str, columns: dict[str, str],
                         event_date: str, coverage: tuple[int, int],
                         codes: dict[str, dict[str, str]], shape: tuple[str, int],
                         quality: QualityProfile | None = None, dataset: str = "",
                         case_ids: tuple[str, ...] = (),
                         descriptions: dict[str, str] | None = None) -> Source:
    """An NHS table without identifiers of its own: rows carry the patient's NHS number."""
    return attribute_table(PDS, "nhs_number", name=name, title=title, key=key, columns=columns,
                           event_date=event_date, coverage=coverage, case_ids=case_ids,
                           system=system, dataset=dataset or name,
                           codes={c: tuple(v) for c, v in codes.items()}, labels=codes,
                           descriptions=descriptions or DESCRIPTIONS[name],
                           record_id_shape=shape, quality=quality or QualityProfile())


HES_APC = keyed_by_nhs_number(
    "hes_apc", "Hospital Episode Statistics: Admitted Patient Care episodes", "NHS HES", "epikey",
    {"admidate": "DATE", "disdate": "DATE", "epistart": "DATE", "epiend": "DATE",
     "admimeth": "VARCHAR", "admisorc": "VARCHAR", "dismeth": "VARCHAR", "startage": "INTEGER",
     "sex": "VARCHAR", "ethnos": "VARCHAR", "mainspef": "VARCHAR",
     **dict.fromkeys(DIAGNOSES, "VARCHAR"), "lsoa11": "VARCHAR"},
    "admidate", (2000, 2023),
    {"admimeth": ADMIMETH, "admisorc": ADMISORC, "dismeth": DISMETH, "sex": HES_SEX,
     "ethnos": ETHNOS, "mainspef": MAINSPEF},
    ("", 300_000_000_001),
    QualityProfile(date_order=(("disdate", "admidate"), ("epiend", "epistart"),
                               ("epistart", "admidate")),
                   numeric_ranges={"startage": (0, 120)}, lsoa_columns=("lsoa11",)),
    dataset="hes",
)
HES_AE = keyed_by_nhs_number(
    "hes_ae", "Hospital Episode Statistics: Accident and Emergency attendances", "NHS HES",
    "aekey", {"arrivaldate": "DATE", "aeattenddisp": "VARCHAR", "diag_01": "VARCHAR",
              "diag_02": "VARCHAR", "lsoa11": "VARCHAR"},
    "arrivaldate", (2007, 2023),
    {"aeattenddisp": AEATTENDDISP, "diag_01": AE_DIAG, "diag_02": AE_DIAG},
    ("", 500_000_000_001), QualityProfile(lsoa_columns=("lsoa11",)), dataset="hes",
)
MHSDS_MPI = keyed_by_nhs_number(
    "mhsds_mpi", "Mental Health Services Data Set: MHS001MPI master patient index", "NHS MHSDS",
    "mpi_record_id", {"orgidprov": "VARCHAR", "ethniccategory": "VARCHAR", "gender": "VARCHAR",
                      "lsoa2011": "VARCHAR", "recordstartdate": "DATE"},
    "recordstartdate", (2016, 2023), {"ethniccategory": ETHNOS, "gender": GENDER},
    ("M", 40_000_001), QualityProfile(lsoa_columns=("lsoa2011",)), dataset="mhsds",
)
MHSDS_REFERRALS = keyed_by_nhs_number(
    "mhsds_referrals", "Mental Health Services Data Set: MHS101Referral service referrals",
    "NHS MHSDS", "servicerequestid",
    {"orgidprov": "VARCHAR", "referralrequestreceiveddate": "DATE", "servdischdate": "DATE",
     "primreasonreferralmh": "VARCHAR"},
    "referralrequestreceiveddate", (2016, 2023), {"primreasonreferralmh": PRIM_REASON_REFERRAL},
    ("R", 40_000_001),
    QualityProfile(date_order=(("servdischdate", "referralrequestreceiveddate"),)),
    dataset="mhsds",
)
MHSDS_CARE_CONTACTS = keyed_by_nhs_number(
    "mhsds_care_contacts", "Mental Health Services Data Set: MHS201CareContact care contacts",
    "NHS MHSDS", "carecontid", {"servicerequestid": "VARCHAR", "carecontdate": "DATE",
                                "attendornot": "VARCHAR"},
    "carecontdate", (2016, 2023), {"attendornot": ATTENDANCE}, ("C", 60_000_001),
    dataset="mhsds", case_ids=("servicerequestid",),
)
MHSDS_HOSP_SPELLS = keyed_by_nhs_number(
    "mhsds_hosp_spells", "Mental Health Services Data Set: MHS501HospProvSpell inpatient spells",
    "NHS MHSDS", "hospprovspellid",
    {"servicerequestid": "VARCHAR", "startdatehospprovspell": "DATE",
     "dischdatehospprovspell": "DATE", "methadmmhhospprovspell": "VARCHAR"},
    "startdatehospprovspell", (2016, 2023), {"methadmmhhospprovspell": ADM_METHOD_MH},
    ("H", 60_000_001),
    QualityProfile(date_order=(("dischdatehospprovspell", "startdatehospprovspell"),)),
    dataset="mhsds", case_ids=("servicerequestid",),
)

DECLARED: tuple[Source, ...] = (PDS, HES_APC, HES_AE, MHSDS_MPI, MHSDS_REFERRALS,
                                MHSDS_CARE_CONTACTS, MHSDS_HOSP_SPELLS)
