"""Wave 1: the National Pupil Database (MoJ-DfE share), in the NPD's own field names.

`npd_census` is the school census: one row per pupil per census (January), with the pupil's
UPN (letter + 12 digits), names, DOB, sex and home postcode as the school recorded them then, so
names change and postcodes move between rows. The other tables have no personal identifiers:
each row carries the pupil's `upn` (a key of `npd_census`, hashed in research tables).

Codes from DOMAIN.md: `senprovision` N / A / P / S (none, School Action, School Action Plus,
Statement) up to the January 2014 census and N / K / E (none, SEN support, EHC plan) from 2015;
`primarysentype` (BESD before 2015, SEMH after); exclusions `category` PERM (permanent), FIXD
(fixed period) or SUSP (suspension, the name from 2021/22); persistent absence thresholds 20%
of sessions before 2010/11, 15% from 2010/11 to 2014/15, 10% since 2015/16.
"""

from __future__ import annotations

from bold_assets.catalog.model import Identifiers, QualityProfile, Source, attribute_table

_GENERATOR = "bold_assets.world.sources.npd"

ETHNIC_GROUP_MAJOR = ("WHIT", "MIXD", "ASIA", "BLAC", "CHIN", "AOEG", "UNCL")
SEN_PROVISION_PRE_2015 = ("N", "A", "P", "S")  # census years up to 2014
SEN_PROVISION_FROM_2015 = ("N", "K", "E")
SEN_TYPES = ("SEMH", "BESD", "MLD", "SPLD", "ASD", "SLCN", "SLD", "PD", "VI", "HI", "OTH")
EXCLUSION_CATEGORIES = ("FIXD", "SUSP", "PERM")
EXCLUSION_REASONS = ("PP", "PA", "VP", "VA", "BU", "RA", "SM", "DA", "DM", "TH", "PD", "OT")
CIN_CLOSURE_REASONS = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8")
CIN_PRIMARY_NEED = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
CLA_REASON_CEASED = ("E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B",
                     "E41", "E45", "E46", "E47", "E48", "E5", "E6", "E7", "E8", "E9", "X1")


def pa_threshold(academic_year_start: int) -> float:
    """Share of possible sessions missed at or above which a pupil was persistently absent in
    the academic year starting in September of `academic_year_start` (DOMAIN.md)."""
    if academic_year_start < 2010:
        return 0.20
    if academic_year_start < 2015:
        return 0.15
    return 0.10


# What each column means, per table.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "npd_census": {
        "census_record_id": "School census record id (one row per pupil per census)",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "forename": "Pupil forename, as recorded in the school census (identifier zone only)",
        "middlenames": "Pupil middle names, as recorded in the school census (identifier zone "
                       "only)",
        "surname": "Pupil surname, as recorded in the school census (identifier zone only)",
        "dob": "Pupil date of birth, as recorded in the school census (identifier zone only)",
        "gender": "Pupil gender",
        "postcode": "Pupil home address postcode, as recorded in the school census (identifier "
                    "zone only)",
        "llsoa": "LSOA of the pupil's home address",
        "ethnicgroupmajor": "Pupil ethnic group (major)",
        "ncyearactual": "National curriculum year the pupil is taught in",
        "census_year": "Year of the census",
        "census_date": "Date of the census",
        "everfsm_all": "Whether the pupil has ever been eligible for free school meals (low "
                       "income)",
        "senprovision": "Special educational needs provision (SEN support, statement or EHC plan)",
        "primarysentype": "Primary type of special educational need (e.g. SEMH: social, emotional"
                          " and mental health)",
    },
    "npd_ks2": {
        "ks2_record_id": "Key Stage 2 record id",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "ks2_year": "Year of the Key Stage 2 assessment (end of primary school)",
        "exam_date": "Date of the Key Stage 2 assessment",
        "ks2_englev": "Key Stage 2 English level (before 2016): attainment",
        "ks2_matlev": "Key Stage 2 maths level (before 2016): attainment",
        "ks2_readexp": "Reached the expected standard in reading (from 2016): attainment",
        "ks2_matexp": "Reached the expected standard in maths (from 2016): attainment",
    },
    "npd_ks4": {
        "ks4_record_id": "Key Stage 4 record id",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "ks4_year": "Year of the Key Stage 4 exams (GCSE, end of compulsory school)",
        "exam_date": "Date of the Key Stage 4 results",
        "ks4_att8": "Attainment 8 score at Key Stage 4",
        "ks4_level2_em": "Level 2 (grades 9-4 / A*-C) in English and maths: attainment",
    },
    "npd_exclusions": {
        "exclusion_record_id": "School exclusion record id",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "academic_year": "Academic year of the exclusion",
        "category": "Exclusion category: permanent exclusion, fixed-period exclusion or "
                    "suspension",
        "startdate": "Start date of the exclusion",
        "sessions": "Sessions (half days) of the exclusion",
        "reason": "Reason for the exclusion",
    },
    "npd_absence": {
        "absence_record_id": "School absence record id (one row per pupil per year)",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "academic_year": "Academic year",
        "year_start_date": "Start of the academic year",
        "sessions_possible": "Sessions (half days) the pupil could attend school",
        "sessions_overall_absence": "Sessions of absence from school (authorised or not)",
        "pa_threshold": "Persistent absence threshold that year (share of sessions missed)",
        "persistent_absentee": "Whether the pupil was persistently absent that year (attendance)",
    },
    "npd_cin": {
        "cin_record_id": "Children in Need referral record id",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "cin_referraldate": "Date of the child in need referral to children's social care",
        "cin_cinclosuredate": "Date the child in need episode closed",
        "cin_reasonforclosure": "Reason the child in need episode closed",
        "cin_primaryneedcode": "Primary need of the child in need (e.g. abuse or neglect, family "
                               "dysfunction)",
    },
    "npd_cla": {
        "cla_record_id": "Children Looked After period of care record id",
        "upn": "Unique Pupil Number of the pupil (letter + 12 digits; hashed in research, as the "
               "PMR)",
        "cla_poc_start": "Start of the period of care (child looked after by the local authority,"
                         " in care)",
        "cla_dec": "End of the period of care",
        "reasonepisodeceased": "Reason the looked-after episode ended",
    },
}

NPD_CENSUS = Source(
    name="npd_census",
    title="National Pupil Database: school census",
    system="NPD",
    key="census_record_id",
    case_ids=("upn",),
    columns={
        "census_record_id": "VARCHAR",
        "upn": "VARCHAR",
        "forename": "VARCHAR",
        "middlenames": "VARCHAR",
        "surname": "VARCHAR",
        "dob": "VARCHAR",
        "gender": "VARCHAR",
        "postcode": "VARCHAR",
        "llsoa": "VARCHAR",
        "ethnicgroupmajor": "VARCHAR",
        "ncyearactual": "VARCHAR",
        "census_year": "INTEGER",
        "census_date": "DATE",
        "everfsm_all": "INTEGER",
        "senprovision": "VARCHAR",
        "primarysentype": "VARCHAR",
    },
    identifiers=Identifiers(
        forename="forename",
        middle_name="middlenames",
        surname="surname",
        dob="dob",
        dob_format="%Y-%m-%d",
        sex="gender",
        sex_codes={"M": "M", "F": "F"},
        postcode="postcode",
    ),
    event_date="census_date",
    coverage=(2002, 2023),
    codes={
        "gender": ("M", "F"),
        "ethnicgroupmajor": ETHNIC_GROUP_MAJOR,
        "ncyearactual": ("R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"),
        "senprovision": tuple(dict.fromkeys(SEN_PROVISION_PRE_2015 + SEN_PROVISION_FROM_2015)),
        "primarysentype": SEN_TYPES,
    },
    descriptions=DESCRIPTIONS["npd_census"],
    wave=1,
    link_role="population",
    generator=_GENERATOR,
    quality=QualityProfile(
        completeness={"forename": 0.97, "surname": 0.97, "dob": 0.97, "sex": 0.97,
                      "postcode": 0.90},
        numeric_ranges={"census_year": (1990, 2030), "everfsm_all": (0, 1)},
        lsoa_columns=("llsoa",),
        age_range=(4, 19),  # reception to year 11, a little either side
    ),
)


def _attribute(name: str, title: str, key: str, columns: dict[str, str], event_date: str,
               coverage: tuple[int, int], codes: dict[str, tuple[str, ...]],
               quality: QualityProfile | None = None) -> Source:
    """An NPD table without personal identifiers: rows carry the pupil's `upn`."""
    return attribute_table(NPD_CENSUS, "upn", name=name,
                           title=f"National Pupil Database: {title}", key=key, columns=columns,
                           event_date=event_date, coverage=coverage, codes=codes,
                           descriptions=DESCRIPTIONS[name], quality=quality or QualityProfile())


_LEVELS = ("B", "2", "3", "4", "5", "6", "N")
NPD_KS2 = _attribute(
    "npd_ks2", "Key Stage 2", "ks2_record_id",
    {"ks2_year": "INTEGER", "exam_date": "DATE", "ks2_englev": "VARCHAR",
     "ks2_matlev": "VARCHAR", "ks2_readexp": "INTEGER", "ks2_matexp": "INTEGER"},
    "exam_date", (1996, 2023),
    {"ks2_englev": _LEVELS, "ks2_matlev": _LEVELS},
)
NPD_KS4 = _attribute(
    "npd_ks4", "Key Stage 4", "ks4_record_id",
    {"ks4_year": "INTEGER", "exam_date": "DATE", "ks4_att8": "DOUBLE",
     "ks4_level2_em": "INTEGER"},
    "exam_date", (2002, 2023), {},
)
NPD_EXCLUSIONS = _attribute(
    "npd_exclusions", "exclusions", "exclusion_record_id",
    {"academic_year": "VARCHAR", "category": "VARCHAR", "startdate": "DATE",
     "sessions": "INTEGER", "reason": "VARCHAR"},
    "startdate", (2001, 2023),  # academic year 2001/02 on
    {"category": EXCLUSION_CATEGORIES, "reason": EXCLUSION_REASONS},
)
NPD_ABSENCE = _attribute(
    "npd_absence", "absence", "absence_record_id",
    {"academic_year": "VARCHAR", "year_start_date": "DATE", "sessions_possible": "INTEGER",
     "sessions_overall_absence": "INTEGER", "pa_threshold": "DOUBLE",
     "persistent_absentee": "INTEGER"},
    "year_start_date", (2005, 2023), {},
)
NPD_CIN = _attribute(
    "npd_cin", "children in need", "cin_record_id",
    {"cin_referraldate": "DATE", "cin_cinclosuredate": "DATE", "cin_reasonforclosure": "VARCHAR",
     "cin_primaryneedcode": "VARCHAR"},
    "cin_referraldate", (2008, 2023),
    {"cin_reasonforclosure": CIN_CLOSURE_REASONS, "cin_primaryneedcode": CIN_PRIMARY_NEED},
)
NPD_CLA = _attribute(
    "npd_cla", "children looked after", "cla_record_id",
    {"cla_poc_start": "DATE", "cla_dec": "DATE", "reasonepisodeceased": "VARCHAR"},
    "cla_poc_start", (1992, 2023), {"reasonepisodeceased": CLA_REASON_CEASED},
)

DECLARED: tuple[Source, ...] = (NPD_CENSUS, NPD_KS2, NPD_KS4, NPD_EXCLUSIONS, NPD_ABSENCE,
                                NPD_CIN, NPD_CLA)
