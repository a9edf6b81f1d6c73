"""What a source and a wave are: the dataclasses every declaration in `catalog/` fills in.

Plain Python (no Dagster, no pandas): every layer reads these. A source is declared once, in
`catalog/sources/<name>.py`; a wave once, in `catalog/waves.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# How a source's records reach the person spine (see `LINK_ROLES` for what each means).
LINK_ROLES: dict[str, str] = {
    "criminal": "strong identifiers (justice): deduplicated and linked into the spine",
    "weak": "weak, role-dependent identifiers (family / civil): linked with borrowed parameters",
    "person": "a later wave's people (PNC): deduplicated on their own key, linked into the spine",
    "population": "a population source (NPD pupils): linked to the people of a spine source, "
                  "never given spine ids",
    "attribute": "no personal identifiers: rows carry the key of a parent source",
    "coverage": "no persons: which submitters (e.g. councils) delivered data for each period, "
                "so a missing return is told from zero cases",
}
# Link roles whose rows are records of persons (the others hold no identifiers).
PERSON_ROLES = ("criminal", "weak", "person", "population")
LINK_PLAN_KINDS = ("dedupe_link", "into_spine", "link", "trace", "ttp")
# National identifiers a source may carry (`Identifiers.national_ids` kind -> column): the
# standardised `<kind>_std` column is compared exactly by every model whose sources all hold it.
NATIONAL_ID_KINDS: dict[str, str] = {
    "nino": "National Insurance number (DWP / HMRC): two letters, six digits, a letter A-D",
    "nhs_number": "NHS number: ten digits, the last a modulus-11 check digit",
    "upn": "Unique Pupil Number (DfE): a letter, eleven digits, a check letter first",
}


@dataclass(frozen=True)
class Identifiers:
    """Where a source keeps each personal identifier, and in what form.

    Exactly one of (`forename`, `surname`) or `full_name` is set, or none at all (attribute
    tables). `dob_format` is a DuckDB strptime format; `sex_codes` maps the source's codes to M / F.
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
    # National identifiers the source holds: kind (one of NATIONAL_ID_KINDS) -> column.
    national_ids: Mapping[str, str] = field(default_factory=dict)

    @property
    def pii_columns(self) -> tuple[str, ...]:
        """Columns that identify a person and never leave the identifier zone."""
        cols = (self.forename, self.middle_name, self.surname, self.full_name, self.dob,
                self.postcode, *self.national_ids.values())  # fmt: skip
        return tuple(c for c in cols if c)

    @property
    def roles(self) -> dict[str, str]:
        """Linkage role -> column, for the identifiers the source has (quality checks use it)."""
        roles = {"forename": self.forename, "surname": self.surname, "full_name": self.full_name,
                 "dob": self.dob, "sex": self.sex, "postcode": self.postcode,
                 "ethnicity": self.ethnicity, **self.national_ids}  # fmt: skip
        return {r: c for r, c in roles.items() if c}


@dataclass(frozen=True)
class ScoreSection:
    """A block of item scores (e.g. an OASys section), optionally summed into a need level."""

    number: int
    name: str
    items: tuple[str, ...]
    scores: tuple[int, ...] = (0, 1, 2)
    need_column: str | None = None  # 0 no need, 1 standard, 2 severe
    thresholds: tuple[int, int] | None = None  # (standard, severe) on the item sum

    @property
    def value_set_columns(self) -> tuple[str, ...]:
        return (*self.items, *((self.need_column,) if self.need_column else ()))


@dataclass(frozen=True)
class QualityProfile:
    """What the raw, standardised and research suites check beyond the declaration itself.

    `completeness`: minimum share of non-null values per identifier role (`Identifiers.roles`),
    set a margin below the source's known quality, or per case id of a table without
    identifiers that some rows lack by nature (otherwise a case id is never null).
    `date_order`: (later, earlier) date pairs.
    `numeric_ranges`: column -> (min, max), None open. `lsoa_columns` / `lad_columns`: area
    code columns. `patterns`: column -> (regular expression, what it looks like, an example),
    e.g. a reporting quarter "2023Q4". `score_sections`: item scores checked 0/1/2 and need
    levels checked against their thresholds. `age_range`: ages at the event (research
    `age_at_event`).
    """

    completeness: Mapping[str, float] = field(default_factory=dict)
    date_order: tuple[tuple[str, str], ...] = ()
    numeric_ranges: Mapping[str, tuple[float | None, float | None]] = field(
        default_factory=dict)
    lsoa_columns: tuple[str, ...] = ()
    lad_columns: tuple[str, ...] = ()
    patterns: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    score_sections: tuple[ScoreSection, ...] = ()
    # Ages (years) at the event the records may hold; None: 10-100 (16-100 for weak sources:
    # justice contact begins at the age of criminal responsibility, civil and family at 16).
    age_range: tuple[int, int] | None = None

    def integer_value_sets(self) -> dict[str, tuple[int, ...]]:
        """Integer columns whose values form a code list (item scores and need levels)."""
        out: dict[str, tuple[int, ...]] = {}
        for s in self.score_sections:
            out.update({c: s.scores for c in s.items})
        for s in self.score_sections:
            if s.need_column:
                out[s.need_column] = (0, 1, 2)
        return out


@dataclass(frozen=True)
class Source:
    """One extract as its source system delivers it, and where it sits in the waves."""

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
    # Extra column used to filter out non-person rows (civil company parties).
    person_filter: str | None = None
    wave: int = 0
    link_role: str = ""  # one of LINK_ROLES
    parent: str | None = None  # attribute tables: the source whose key the rows carry
    parent_key: str | None = None  # ... and that key's column (in both tables)
    quality: QualityProfile | None = None
    generator: str = ""  # dotted module that generates it (bold_assets.world.sources.<x>)
    # The published dataset the table belongs to (its data catalogue and discovery register
    # entry); default: the name's first word (`npd_ks2` -> `npd`).
    dataset: str = ""
    # Shape of the record ids the source system issues: prefix and first number (`D100000001`);
    # the synthetic generator numbers records in event-date order from it.
    record_id_shape: tuple[str, int] | None = None
    # What each column means, and labels of coded values (column -> code -> label): the text of
    # the source's data catalogue (`bold_assets.discovery`).
    descriptions: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def weak_identifiers(self) -> bool:
        """Family and civil: weaker, role-dependent identifiers."""
        return self.link_role == "weak"

    @property
    def has_identifiers(self) -> bool:
        """False for attribute tables: nothing to standardise or link."""
        return bool(self.identifiers.pii_columns)

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
    def hashed_columns(self) -> tuple[str, ...]:
        """Columns that reach research as keyed hashes (`<col>_hash`): case ids, an attribute
        table's `parent_key` and national ids (NINO, NHS number: the keys other tables join
        on), never in the clear."""
        cols = (*self.case_ids, *((self.parent_key,) if self.parent_key else ()),
                *self.identifiers.national_ids.values())
        return tuple(dict.fromkeys(cols))

    @property
    def research_columns(self) -> dict[str, str]:
        """Columns and types of `research.<name>` (the research-zone contract): the raw columns
        less personal identifiers, the key as `row_id_hash`, `hashed_columns` as `<col>_hash`,
        plus age at the event and the LSOA / LAD of residence."""
        cols: dict[str, str] = {}
        for c, t in self.columns.items():
            if c == self.key:
                cols["row_id_hash"] = "VARCHAR"
            elif c in self.hashed_columns:
                cols[f"{c}_hash"] = "VARCHAR"
            elif c not in self.pii_columns:
                cols[c] = t
        cols.update({"age_at_event": "INTEGER", "lsoa_code": "VARCHAR", "lad_code": "VARCHAR"})
        return cols


def attribute_table(parent: Source, parent_key: str, *, name: str, title: str, key: str,
                    columns: dict[str, str], event_date: str, coverage: tuple[int, int],
                    case_ids: tuple[str, ...] = (), **fields: Any) -> Source:
    """A table without personal identifiers whose rows carry `parent_key`, the person key of
    `parent` (e.g. NPD results by `upn`, benefit spells by `nino`): its key and the parent key
    come first, both hashed in research, and it has the parent's system, wave and generator
    unless `fields` say otherwise."""
    fields = {"system": parent.system, "wave": parent.wave, "generator": parent.generator,
              **fields}
    return Source(name=name, title=title, key=key, case_ids=(parent_key, *case_ids),
                  columns={key: "VARCHAR", parent_key: "VARCHAR", **columns},
                  identifiers=Identifiers(), event_date=event_date, coverage=coverage,
                  link_role="attribute", parent=parent.name, parent_key=parent_key, **fields)


@dataclass(frozen=True)
class LinkPlan:
    """One linkage step of a wave: `kind` is one of LINK_PLAN_KINDS.

    `dedupe_link`: a Splink model deduplicating / linking `sources` (wave 0's models);
    `into_spine`: link the sources' records into the persistent spine, never renumbering it;
    `link`: source to source (e.g. NPD pupils to PNC people);
    `trace`: through a reference file (`sources[0]`, e.g. PDS, grouped into reference people by
    its person key, e.g. the NHS number): the spine persons holding a record of the other sources
    (all spine sources), or one population source's people (the only other source, not in the
    spine), each take at most one reference person (and each reference person at most one of
    them). A spine trace's `linkage.<table>` has a `link` table's shape (each reference record
    with its spine person; it joins the wave's research link file); a population trace's holds
    each traced record with the reference record it matched, and `research.<table>` the keyed
    hashes of the two keys (`bold_assets.linkage.trace`);
    `ttp`: through a trusted third party (Homelessness Data England's model): the records of the
    sources outside the spine (e.g. councils' H-CLIC and housing files) are given one id across
    councils and periods by a Splink dedupe (`linkage.<name>_ids`), then the spine persons
    holding a record of the other sources (spine sources) are traced one-to-one to those ids;
    `linkage.<table>` has a `link` table's shape (`bold_assets.linkage.ttp`).
    """

    name: str
    sources: tuple[str, ...]
    kind: str
    # `link` / `trace` plans: the `linkage.<table>` the links are written to (default: the plan's
    # name).
    table: str | None = None
    # `link` / `trace` plans to a file that covers the whole population (`sources[0]`, e.g. PDS,
    # DWP's customer information): a person not linked to it is unmeasured by the wave, not
    # without its records, so the error-aware estimates impute them (`bold_assets.estimates`).
    # False for a file of events (H-CLIC cases) or of a part of the population (NPD pupils).
    covers_population: bool = False

    @property
    def output_table(self) -> str:
        return self.table or self.name


@dataclass(frozen=True)
class Wave:
    """A linkage wave: its sources, its link plans and its refresh schedule.

    `research_link`: the research link file (`research.<table>`: source_dataset, row_id_hash and
    a spine id column per threshold); `link_thresholds`: the thresholds that file and the wave's
    person mart hold (the persistent spine's ids are the medium ones).
    """

    number: int
    title: str
    sources: tuple[str, ...]
    link_plans: tuple[LinkPlan, ...] = ()
    cron: str = "0 3 * * 1"
    research_link: str | None = None
    link_thresholds: tuple[str, ...] = ("medium",)

    @property
    def name(self) -> str:
        return f"wave_{self.number}"

    @property
    def link_table(self) -> str:
        """`research.<link_table>`: the wave's link file."""
        return self.research_link or f"{self.name}_link"

    @property
    def group(self) -> str:
        """The Dagster asset group of the wave's assets."""
        return self.name

    @property
    def job_name(self) -> str:
        return f"{self.name}_job"

    @property
    def schedule_name(self) -> str:
        return f"{self.name}_weekly_refresh"
