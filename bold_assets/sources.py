"""The source registry as the rest of the code imports it: a re-export of `bold_assets.catalog`.

Sources are declared in `bold_assets/catalog/sources/<name>.py` (one module each) and waves in
`bold_assets/catalog/waves.py`; this module keeps the old names importable. `SOURCES` holds every
wave's sources; `CRIMINAL_SOURCES` / `WEAK_SOURCES` are wave 0's Data First justice sources by
link role (the sources `linkage.justice` dedupes and links), `WAVE_0_SOURCES` both of them.
"""

from __future__ import annotations

from bold_assets.catalog import (
    CATALOG,
    LINK_ROLES,
    SOURCES,
    WAVES,
    Identifiers,
    QualityProfile,
    Source,
    get_source,
    sources_of_wave,
)
from bold_assets.catalog.codes import (
    CIVIL_CLAIM_TYPES,
    CIVIL_ORDER_TYPES,
    CIVIL_ROLES,
    CROWN_SENTENCES,
    ETHNIC_GROUP_BY_LETTER,
    ETHNIC_GROUPS,
    ETHNICITY_CODES,
    FAMILY_CASE_TYPES,
    FAMILY_ROLES,
    INDICTABLE_OFFENCES,
    LAD_CODE_PATTERN,
    LSOA_CODE_PATTERN,
    MAGS_DISPOSALS,
    OFFENCE_CODES,
    POSTCODE_PATTERN,
    PROBATION_REQUIREMENTS,
)
from bold_assets.catalog.sources.oasys import (
    OASYS_NEED_THRESHOLDS,
    OASYS_SECTIONS,
    oasys_item_columns,
    oasys_need_column,
)

SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)
CRIMINAL_SOURCES: tuple[str, ...] = CATALOG.sources_with_role("criminal", wave=0)
WEAK_SOURCES: tuple[str, ...] = CATALOG.sources_with_role("weak", wave=0)
WAVE_0_SOURCES: tuple[str, ...] = WAVES[0].sources

__all__ = [
    "CIVIL_CLAIM_TYPES", "CIVIL_ORDER_TYPES", "CIVIL_ROLES", "CRIMINAL_SOURCES",
    "CROWN_SENTENCES", "ETHNICITY_CODES", "ETHNIC_GROUPS", "ETHNIC_GROUP_BY_LETTER",
    "FAMILY_CASE_TYPES", "FAMILY_ROLES", "INDICTABLE_OFFENCES", "Identifiers", "LAD_CODE_PATTERN",
    "LINK_ROLES", "LSOA_CODE_PATTERN", "MAGS_DISPOSALS", "OASYS_NEED_THRESHOLDS", "OASYS_SECTIONS",
    "OFFENCE_CODES", "POSTCODE_PATTERN", "PROBATION_REQUIREMENTS", "QualityProfile",
    "SOURCES", "SOURCE_NAMES", "Source", "WAVES", "WAVE_0_SOURCES", "WEAK_SOURCES", "get_source",
    "oasys_item_columns", "oasys_need_column", "sources_of_wave",
]
