"""Wave 1: the Police National Computer extract (MoJ-DfE share), in the PNC's own shape.

`pnc_people` holds one row per name record of a PNC person: the primary name and any aliases
(`alias_flag` Y), grouped by the PNC id (`YYYY/NNNNNNNA`: year the record was created, a serial
number and a mod-23 check letter). `pnc_offences` holds one row per offence on a case, keyed to
the person by `pnc_id` (an attribute table: no personal identifiers of its own).

Codes: `offence_group` 01-23 and `adjudication_code` G / J (guilty) follow the research extract
described in DOMAIN.md; the labels of the 23 groups, the other adjudication codes and the
disposal codes below are the project's own (the PNC's numeric disposal codes are not public in
a form we can cite).

"""

from __future__ import annotations

from bold_assets.catalog.codes import CODE_LABELS, ETHNICITY_CODES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

_GENERATOR = "bold_assets.world.sources.pnc"

OFFENCE_GROUPS: dict[str, str] = {
    "01": "Violence against the person", "02": "Sexual offences", "03": "Robbery",
    "04": "Theft from the person", "05": "Domestic burglary", "06": "Other burglary",
    "07": "Vehicle theft", "08": "Shoplifting", "09": "Other theft",
    "10": "Handling stolen goods", "11": "Fraud and forgery", "12": "Criminal damage",
    "13": "Arson", "14": "Drug possession", "15": "Drug supply",
    "16": "Possession of weapons", "17": "Public order", "18": "Breach offences",
    "19": "Summary motoring", "20": "Summary non-motoring",
    "21": "Miscellaneous crimes against society", "22": "Other indictable or either-way",
    "23": "Not known",
}  # fmt: skip
# G and J are the guilty adjudications (DOMAIN.md); C marks an out-of-court disposal.
ADJUDICATION_CODES: dict[str, str] = {
    "G": "guilty (found guilty)", "J": "guilty (guilty plea)", "N": "not guilty / acquitted",
    "D": "discontinued or withdrawn", "C": "caution or other out-of-court disposal",
}  # fmt: skip
GUILTY_ADJUDICATIONS = ("G", "J")
# Disposal code -> rank (1 = most serious), the order `disposal_rank` follows.
DISPOSAL_RANKS: dict[str, int] = {
    "CUST": 1, "SSO": 2, "COMM": 3, "FINE": 4, "DISCH": 5, "OTHER": 6, "YCAU": 7, "CAUT": 8,
    "NONE": 9,
}  # fmt: skip
CUSTODIAL_DISPOSALS = ("CUST",)
CAUTION_DISPOSALS = ("YCAU", "CAUT")
# Officer-observed ethnic appearance (IC codes): 1 White North European, 2 White South
# European, 3 Black, 4 Asian, 5 Chinese / Japanese / South-East Asian, 6 Arab / North African.
ETHNIC_APPEARANCE_CODES = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6")

# What each column means, per table.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "pnc_people": {
        "name_id": "PNC name record id (one row per name: the primary name and each alias)",
        "pnc_id": "PNC id of the person (YYYY/NNNNNNNA)",
        "alias_flag": "Whether the name is an alias (Y) or the primary name (N)",
        "forename": "Forename, as recorded on the Police National Computer (identifier zone only)",
        "middle_names": "Middle names, as recorded on the Police National Computer (identifier "
                        "zone only)",
        "surname": "Surname, as recorded on the Police National Computer (identifier zone only)",
        "date_of_birth": "Date of birth, as recorded on the Police National Computer (identifier "
                         "zone only)",
        "sex": "Sex",
        "ethnic_appearance": "Officer-observed ethnic appearance (IC code)",
        "self_defined_ethnicity": "Self-defined ethnicity (ONS 18+1 code)",
        "postcode": "Home address postcode, as recorded on the Police National Computer "
                    "(identifier zone only)",
        "created_date": "Date the name record was created",
    },
    "pnc_offences": {
        "offence_id": "Offence record id",
        "pnc_id": "PNC id of the offender",
        "case_id": "Case (arrest / summons) id",
        "offence_start_date": "Date the offence began",
        "offence_group": "Offence group (01-23)",
        "adjudication_code": "Adjudication: guilty (G, J), not guilty, discontinued, or a caution",
        "adjudication_date": "Date of the adjudication (conviction or caution)",
        "disposal_code": "Disposal (sentence or caution) for the offence",
        "disposal_rank": "Seriousness rank of the disposal (1 = most serious, custody)",
        "is_primary_offence": "Whether this is the primary offence of the case (Y / N)",
    },
}

PNC_PEOPLE = Source(
    name="pnc_people",
    title="Police National Computer: people and aliases",
    system="PNC",
    key="name_id",
    case_ids=("pnc_id",),
    columns={
        "name_id": "VARCHAR",
        "pnc_id": "VARCHAR",
        "alias_flag": "VARCHAR",
        "forename": "VARCHAR",
        "middle_names": "VARCHAR",
        "surname": "VARCHAR",
        "date_of_birth": "VARCHAR",
        "sex": "VARCHAR",
        "ethnic_appearance": "VARCHAR",
        "self_defined_ethnicity": "VARCHAR",
        "postcode": "VARCHAR",
        "created_date": "DATE",
    },
    identifiers=Identifiers(
        forename="forename",
        middle_name="middle_names",
        surname="surname",
        dob="date_of_birth",
        dob_format="%d/%m/%Y",
        sex="sex",
        sex_codes={"M": "M", "F": "F"},
        postcode="postcode",
        ethnicity="self_defined_ethnicity",
    ),
    event_date="created_date",
    coverage=(2000, 2023),
    codes={
        "alias_flag": ("Y", "N"),
        "sex": ("M", "F", "U"),
        "ethnic_appearance": ETHNIC_APPEARANCE_CODES,
        "self_defined_ethnicity": ETHNICITY_CODES,
    },
    descriptions=DESCRIPTIONS["pnc_people"],
    labels={"self_defined_ethnicity": CODE_LABELS["ethnicity"]},
    wave=1,
    link_role="person",
    generator=_GENERATOR,
    quality=QualityProfile(
        completeness={"forename": 0.97, "surname": 0.97, "dob": 0.95, "sex": 0.97,
                      "postcode": 0.65, "ethnicity": 0.80},
    ),
)

PNC_OFFENCES = Source(
    name="pnc_offences",
    title="Police National Computer: offences and disposals",
    system="PNC",
    key="offence_id",
    case_ids=("pnc_id", "case_id"),
    columns={
        "offence_id": "VARCHAR",
        "pnc_id": "VARCHAR",
        "case_id": "VARCHAR",
        "offence_start_date": "DATE",
        "offence_group": "VARCHAR",
        "adjudication_code": "VARCHAR",
        "adjudication_date": "DATE",
        "disposal_code": "VARCHAR",
        "disposal_rank": "INTEGER",
        "is_primary_offence": "VARCHAR",
    },
    identifiers=Identifiers(),
    event_date="adjudication_date",
    coverage=(2000, 2023),
    codes={
        "offence_group": tuple(OFFENCE_GROUPS),
        "adjudication_code": tuple(ADJUDICATION_CODES),
        "disposal_code": tuple(DISPOSAL_RANKS),
        "is_primary_offence": ("Y", "N"),
    },
    descriptions=DESCRIPTIONS["pnc_offences"],
    labels={"offence_group": OFFENCE_GROUPS, "adjudication_code": ADJUDICATION_CODES},
    wave=1,
    link_role="attribute",
    parent="pnc_people",
    parent_key="pnc_id",
    generator=_GENERATOR,
    quality=QualityProfile(numeric_ranges={"disposal_rank": (1, 9)}),
)

DECLARED: tuple[Source, ...] = (PNC_PEOPLE, PNC_OFFENCES)
