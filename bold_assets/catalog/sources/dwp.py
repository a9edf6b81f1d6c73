"""Wave 2: the MoJ-DWP-HMRC share, in the shape DWP and HMRC research extracts have.

- `dwp_cis`: the Customer Information System trace of people: one row per person and address
  held (a person's postcode history), with the National Insurance number (NINO: two prefix
  letters, six digits, a suffix A-D), names, date of birth (`YYYYMMDD`) and sex (1 male, 2
  female). Offenders are traced to it on name, DOB, sex and postcode.
- `dwp_benefit_spells`: National Benefit Database spells (`benefit_type`, `startdate`,
  `enddate`; an open claim has no end date), keyed to the person by NINO; Universal Credit spells
  carry their conditionality regime.
- `hmrc_employments`: HMRC employment spells, P45 before April 2014 and PAYE Real Time
  Information since (employer PAYE reference, start and end dates, taxable pay in the spell),
  keyed by NINO.

Codes follow DOMAIN.md (benefit types in research use; out-of-work benefits JSA, ESA, IB, IS,
SDA and UC searching for work); UC regime codes and the labels are the project's own wording of
DWP's published conditionality groups.
"""

from __future__ import annotations

from bold_assets.catalog.model import Identifiers, QualityProfile, Source, attribute_table

_GENERATOR = "bold_assets.world.sources.dwp"

BENEFIT_TYPES: dict[str, str] = {
    "JSA": "Jobseeker's Allowance", "ESA": "Employment and Support Allowance",
    "IB": "Incapacity Benefit", "IS": "Income Support", "SDA": "Severe Disablement Allowance",
    "PC": "Pension Credit", "RP": "State Pension", "ICA": "Carer's Allowance",
    "AA": "Attendance Allowance", "DLA": "Disability Living Allowance",
    "PIP": "Personal Independence Payment", "BB": "Bereavement Benefit",
    "WB": "Widow's Benefit", "UC": "Universal Credit",
}  # fmt: skip
# Universal Credit conditionality regimes (DWP's labour market regimes).
UC_REGIMES: dict[str, str] = {
    "SFW": "Searching for work", "WFI": "Working - with requirements",
    "PFW": "Preparing for work", "PWR": "Planning for work",
    "NWR": "No work requirements", "WNR": "Working - no requirements",
}  # fmt: skip
# Out-of-work benefits (DOMAIN.md): these types, and UC in the searching-for-work regime.
OUT_OF_WORK_BENEFITS = ("JSA", "ESA", "IB", "IS", "SDA")
OUT_OF_WORK_UC_REGIMES = ("SFW",)
PAYE_SOURCES: dict[str, str] = {"P45": "P45 employment spell (before April 2014)",
                                "RTI": "PAYE Real Time Information (from April 2014)"}

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "dwp_cis": {
        "cis_record_id": "CIS trace record id (one row per person and address held)",
        "nino": "National Insurance number (identifier zone only)",
        "first_forename": "First forename, as held on CIS (identifier zone only)",
        "surname": "Surname, as held on CIS (identifier zone only)",
        "date_of_birth": "Date of birth, YYYYMMDD (identifier zone only)",
        "sex": "Sex (1 male, 2 female)",
        "postcode": "Postcode of the address (identifier zone only)",
        "address_from_date": "Date the address was first held",
    },
    "dwp_benefit_spells": {
        "spell_id": "Benefit spell id",
        "nino": "National Insurance number of the claimant (hashed in research)",
        "benefit_type": "Benefit (National Benefit Database type code)",
        "uc_regime": "Universal Credit conditionality regime (UC spells only)",
        "startdate": "Date the spell began",
        "enddate": "Date the spell ended (empty: the claim is open)",
    },
    "hmrc_employments": {
        "employment_id": "Employment spell id",
        "nino": "National Insurance number of the employee (hashed in research)",
        "employer_paye_ref": "Employer PAYE reference (office number / reference; hashed in "
                             "research)",
        "startdate": "Date the employment began",
        "enddate": "Date the employment ended (empty: ongoing at the extract)",
        "taxable_pay": "Taxable pay in the spell up to the extract, pounds",
        "paye_source": "Where the spell comes from: P45 or PAYE RTI",
    },
}

DWP_CIS = Source(
    name="dwp_cis",
    title="DWP Customer Information System: people and addresses",
    system="DWP CIS",
    dataset="dwp_benefits",
    key="cis_record_id",
    case_ids=("nino",),
    columns={
        "cis_record_id": "VARCHAR",
        "nino": "VARCHAR",
        "first_forename": "VARCHAR",
        "surname": "VARCHAR",
        "date_of_birth": "VARCHAR",
        "sex": "VARCHAR",
        "postcode": "VARCHAR",
        "address_from_date": "DATE",
    },
    identifiers=Identifiers(
        forename="first_forename",
        surname="surname",
        dob="date_of_birth",
        dob_format="%Y%m%d",
        sex="sex",
        sex_codes={"1": "M", "2": "F"},
        postcode="postcode",
        national_ids={"nino": "nino"},
    ),
    event_date="address_from_date",
    coverage=(1975, 2023),
    codes={"sex": ("1", "2")},
    descriptions=DESCRIPTIONS["dwp_cis"],
    labels={"sex": {"1": "Male", "2": "Female"}},
    wave=2,
    link_role="population",
    generator=_GENERATOR,
    record_id_shape=("C", 10_000_001),
    quality=QualityProfile(
        completeness={"forename": 0.97, "surname": 0.98, "dob": 0.98, "sex": 0.97,
                      "postcode": 0.90, "nino": 0.97},
        age_range=(16, 110),
    ),
)


def _keyed_by_nino(name: str, title: str, key: str, columns: dict[str, str], event_date: str,
                   coverage: tuple[int, int], codes: dict[str, tuple[str, ...]],
                   labels: dict[str, dict[str, str]], quality: QualityProfile,
                   shape: tuple[str, int], system: str, dataset: str,
                   case_ids: tuple[str, ...] = ()) -> Source:
    """A DWP / HMRC table without identifiers of its own: rows carry the person's NINO."""
    return attribute_table(DWP_CIS, "nino", name=name, title=title, key=key, columns=columns,
                           event_date=event_date, coverage=coverage, case_ids=case_ids,
                           system=system, dataset=dataset, codes=codes, labels=labels,
                           descriptions=DESCRIPTIONS[name], record_id_shape=shape,
                           quality=quality)


DWP_BENEFIT_SPELLS = _keyed_by_nino(
    "dwp_benefit_spells", "DWP National Benefit Database: benefit spells", "spell_id",
    {"benefit_type": "VARCHAR", "uc_regime": "VARCHAR", "startdate": "DATE",
     "enddate": "DATE"},
    "startdate", (1995, 2023),
    {"benefit_type": tuple(BENEFIT_TYPES), "uc_regime": tuple(UC_REGIMES)},
    {"benefit_type": BENEFIT_TYPES, "uc_regime": UC_REGIMES},
    QualityProfile(date_order=(("enddate", "startdate"),)),
    ("S", 50_000_001), "DWP NBD", "dwp_benefits",
)
HMRC_EMPLOYMENTS = _keyed_by_nino(
    "hmrc_employments", "HMRC employment spells: P45 and PAYE RTI", "employment_id",
    {"employer_paye_ref": "VARCHAR", "startdate": "DATE", "enddate": "DATE",
     "taxable_pay": "DOUBLE", "paye_source": "VARCHAR"},
    "startdate", (1995, 2023),
    {"paye_source": tuple(PAYE_SOURCES)}, {"paye_source": PAYE_SOURCES},
    QualityProfile(date_order=(("enddate", "startdate"),),
                   numeric_ranges={"taxable_pay": (0, None)}),
    ("E", 70_000_001), "HMRC PAYE", "hmrc_employment",
    # an employer's reference with dates and pay could single out a person at a small employer
    case_ids=("employer_paye_ref",),
)

DECLARED: tuple[Source, ...] = (DWP_CIS, DWP_BENEFIT_SPELLS, HMRC_EMPLOYMENTS)
