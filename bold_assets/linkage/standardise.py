"""Standardise personal identifiers into one form that every linkage model reads.

Any table is described by a `RecordSpec`: which column holds the record id, the names, the date of
birth (and its format), sex (and its codes), postcode and event date. The seven Data First sources
build their spec from the source registry (`RecordSpec.from_source`); any other table from a
column mapping (`RecordSpec.from_mapping`) or by recognising common column names
(`infer_mapping`).

Standard form (`STD_COLUMNS`), one row per person record:

| column | meaning |
|---|---|
| source_dataset, record_id | where the record comes from and its row id there |
| forename1_std, forename2_std, surname_std | upper-case A-Z words; titles, punctuation and |
| | placeholders removed |
| surname_dm, forename1_dm | phonetic keys (Metaphone, see below) |
| forename1_keys | the forename plus the full names it is a diminutive of (`data/nicknames.csv`) |
| dob_std DATE, dob_year, dob_month, dob_day, dob_year_month | date of birth and its parts |
| dob_invalid | a date of birth was given but is impossible, implausible or unreadable |
| sex | 'M' / 'F' / NULL |
| postcode_std, postcode_district, postcode_sector | 'AB1 2CD', 'AB1', 'AB1 2' |
| postcode_invalid | a postcode was given but is malformed |
| event_date, lsoa_code | date of the record's event; LSOA of the postcode (given a lookup) |
| nino_std, nhs_number_std, upn_std | national identifiers (`NATIONAL_ID_KINDS`), see below |
| nino_invalid, nhs_number_invalid, upn_invalid | one was given but is malformed |

Phonetic key: MoJ uses double metaphone (`surname_dm`). The installed `jellyfish` offers Metaphone,
Soundex, NYSIIS and the match rating codex but not double metaphone; we use Metaphone, which keeps
more consonant detail than Soundex (fewer false agreements on common surnames) and handles the
English spelling variants (PH/F, CK/K, silent letters) that dominate the synthetic errors. The
column keeps MoJ's name.

Bad values never fail the run: an impossible date (31/02/1990), a date of birth after the event
or before the plausible range (`RecordSpec.dob_earliest`: 1900 for the Data First sources, 1800
for any other table, so historical registers keep their dates), a malformed postcode all become
NULL with the `*_invalid` flag set. Nothing is dropped silently: `standardise_report` counts, per
input column, the values kept, changed and nulled and why (`format_report` prints it), and
`check_strict` fails when more than a stated share of a column would be nulled.

National identifiers (`Identifiers.national_ids`, `NATIONAL_ID_KINDS`): upper case, spaces and
dashes removed, then checked. NINO: two prefix letters HMRC issues (not D F I Q U V first, not D F
I O Q U V second, not BG GB NK KN TN NT ZZ), six digits and an optional suffix A-D, kept as its
first 8 characters (DWP matches on those; the suffix is often missing); temporary numbers (TN...)
are placeholders. NHS number: ten digits with a valid modulus-11 check digit; one digit repeated
(0000000000) is a placeholder. UPN: a letter, eleven digits, a letter or digit (the check letter is
not verified). A malformed value is NULL with `<kind>_invalid` set, a placeholder NULL without it
(both counted by `standardise_report`); a source without the kind gets a NULL column, so every
standardised table has one schema.

Tables other than the Data First sources (`RecordSpec.from_mapping`) also get: dates of birth held
as DATE / TIMESTAMP read as dates, a text format detected from the data (`detect_dob_format`,
refusing day/month-ambiguous text), `postcode_text` (any given postal code, UK-shaped or not, so
non-UK codes still take part) and further identifiers (`extras`: `x_<column>`, cleaned per
comparison kind, see `linkage.mapping`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import duckdb
import jellyfish
import pyarrow as pa

from bold_assets.catalog import NATIONAL_ID_KINDS
from bold_assets.sources import POSTCODE_PATTERN, Identifiers, Source

STD_COLUMNS: tuple[str, ...] = (
    "source_dataset", "record_id", "forename1_std", "forename2_std", "surname_std",
    "surname_dm", "forename1_dm", "forename1_keys", "dob_std", "dob_year", "dob_month",
    "dob_day", "dob_year_month", "dob_invalid", "sex", "postcode_std", "postcode_district",
    "postcode_sector", "postcode_invalid", "event_date", "lsoa_code",
    *(f"{kind}_{part}" for kind in NATIONAL_ID_KINDS for part in ("std", "invalid")),
)  # fmt: skip

# Date formats tried after the source's own, for values keyed in another way.
FALLBACK_DOB_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d-%b-%Y", "%d.%m.%Y", "%Y%m%d")
EARLIEST_DOB = "1900-01-02"  # 1900-01-01 is the usual "unknown" filler
# Default earliest date of birth of any other table: keeps 19th-century registers.
HISTORICAL_EARLIEST_DOB = "1800-01-01"
DOB_PLACEHOLDERS = ("1900-01-01",)  # "unknown" fillers: missing, not invalid
# Formats tried after a detected or given one, on tables other than the Data First sources: none
# that reads day and month the other way round.
GENERIC_FALLBACK_DOB_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d-%b-%Y", "%d %B %Y", "%d %b %Y")
# Text formats `detect_dob_format` tries; (day-first, month-first) pairs are checked for ambiguity.
DETECTABLE_DOB_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y",
    "%d.%m.%Y", "%m.%d.%Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%B %d, %Y", "%b %d %Y",
    "%b %d, %Y", "%d-%b-%Y", "%d/%m/%y", "%m/%d/%y",
)  # fmt: skip
NAME_PLACEHOLDERS = (
    "UNKNOWN", "NOT KNOWN", "NOTKNOWN", "NK", "N K", "NA", "N A", "NONE", "NULL", "X", "XX",
    "XXX", "ZZ", "ZZZ", "TBC", "REFUSED", "ANON", "ANONYMOUS", "PERSON UNKNOWN",
)  # fmt: skip
TITLES = ("MR", "MRS", "MS", "MISS", "MX", "DR", "MASTER", "SIR", "REV", "PROF")
POSTCODE_PLACEHOLDERS = ("NFA", "NOFIXEDABODE", "ZZ993VZ", "ZZ993WZ", "NK", "UNKNOWN", "NONE")

# Common column names, for tables the linkage has never seen (see `infer_mapping`).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id", "id", "unique_id", "rec_id", "row_id", "person_record_id", "key",
                  "record_key", "recid", "uid"),
    "forename": ("forename1_std", "forename", "forenames", "first_name", "firstname",
                 "given_name", "given_names", "forename_1", "first_names"),
    "middle_name": ("forename2_std", "middle_name", "middle_names", "second_forename",
                    "forename_2", "other_names"),
    "surname": ("surname_std", "surname", "last_name", "lastname", "family_name"),
    "full_name": ("full_name", "name", "fullname", "person_name"),
    "dob": ("dob_std", "dob", "date_of_birth", "birth_date", "birthdate", "dateofbirth"),
    "sex": ("sex", "gender", "sex_code", "gender_code"),
    "postcode": ("postcode_std", "postcode", "post_code", "zip", "address_postcode"),
    "event_date": ("event_date", "date", "record_date"),
    # national identifiers: only a table already in standard form (other names stay `extra`)
    **{kind: (f"{kind}_std",) for kind in NATIONAL_ID_KINDS},
    "source_dataset": ("source_dataset",),
}  # fmt: skip


@dataclass(frozen=True)
class RecordSpec:
    """Where a table keeps a person's identifiers: everything standardisation needs."""

    source_dataset: str
    record_id: str
    identifiers: Identifiers
    event_date: str | None = None
    person_filter: str | None = None  # SQL condition selecting person rows
    source_dataset_column: str | None = None  # when the table mixes several sources
    # Plausible range of dates of birth (the latest defaults to the event date, else today).
    dob_earliest: str = EARLIEST_DOB
    dob_latest: str | None = None
    # Formats tried after `identifiers.dob_format` (None: `FALLBACK_DOB_FORMATS`).
    dob_fallbacks: tuple[str, ...] | None = None
    detect_dob_format: bool = False  # no format given: detect it from the data
    dob_typed: bool = False  # the DOB column is a DATE / TIMESTAMP (set by `resolve_spec`)
    postcode_text: bool = False  # also emit `postcode_text` (any code, UK-shaped or not)
    extras: tuple[tuple[str, str], ...] = ()  # (input column, comparison kind)

    @classmethod
    def from_source(cls, source: Source) -> RecordSpec:
        return cls(
            source_dataset=source.name,
            record_id=source.key,
            identifiers=source.identifiers,
            event_date=source.event_date,
            person_filter=source.person_filter,
        )

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any], source_dataset: str = "input") -> RecordSpec:
        """Build a spec from a column mapping.

        Keys: `record_id` (required), `forename`, `middle_name`, `surname` or `full_name`, `dob`,
        `dob_format` (DuckDB strptime, default ISO), `sex`, `sex_codes` ({code: 'M'/'F'}),
        `postcode`, `event_date`, `person_filter` (SQL), `source_dataset` (a literal name) or
        `source_dataset_column`, `extra` ({column: comparison kind}, see `linkage.mapping`),
        `dob_range` ([earliest, latest] ISO dates; default from `HISTORICAL_EARLIEST_DOB`), and
        a national identifier's kind (`nino`, `nhs_number`, `upn`: `NATIONAL_ID_KINDS`).
        Without `dob_format` the format is detected from the data.
        """
        known = {"record_id", "forename", "middle_name", "surname", "full_name", "dob",
                 "dob_format", "sex", "sex_codes", "postcode", "event_date", "person_filter",
                 "source_dataset", "source_dataset_column", "extra", "dob_range",
                 *NATIONAL_ID_KINDS}  # fmt: skip
        unknown = set(mapping) - known
        if unknown:
            raise ValueError(f"unknown mapping keys {sorted(unknown)}; expected {sorted(known)}")
        if not mapping.get("record_id"):
            raise ValueError("the column mapping needs `record_id` (the table's row id column)")
        ident_kwargs: dict[str, Any] = {
            k: mapping[k]
            for k in ("forename", "middle_name", "surname", "full_name", "dob", "sex", "postcode")
            if mapping.get(k)
        }
        if mapping.get("dob_format"):
            ident_kwargs["dob_format"] = mapping["dob_format"]
        if mapping.get("sex_codes"):
            ident_kwargs["sex_codes"] = dict(mapping["sex_codes"])
        national_ids = {kind: mapping[kind] for kind in NATIONAL_ID_KINDS if mapping.get(kind)}
        if national_ids:
            ident_kwargs["national_ids"] = national_ids
        extras = tuple((str(c), str(k)) for c, k in (mapping.get("extra") or {}).items())
        if not any(k in ident_kwargs for k in ("forename", "surname", "full_name", "dob")) \
                and not extras and not national_ids:
            raise ValueError("the column mapping names no identifier: give at least one of "
                             "forename, surname, full_name, dob, a national id "
                             f"({', '.join(NATIONAL_ID_KINDS)}) or `extra` columns")
        earliest, latest = (list(mapping.get("dob_range") or []) + [None, None])[:2]
        return cls(
            source_dataset=mapping.get("source_dataset") or source_dataset,
            record_id=mapping["record_id"],
            identifiers=Identifiers(**ident_kwargs),
            event_date=mapping.get("event_date"),
            person_filter=mapping.get("person_filter"),
            source_dataset_column=mapping.get("source_dataset_column"),
            dob_earliest=str(earliest or HISTORICAL_EARLIEST_DOB),
            dob_latest=str(latest) if latest else None,
            dob_fallbacks=GENERIC_FALLBACK_DOB_FORMATS,
            detect_dob_format=bool(mapping.get("dob")) and not mapping.get("dob_format"),
            postcode_text=True,
            extras=extras,
        )


def infer_mapping(columns: list[str], record_id: str | None = None) -> dict[str, Any]:
    """Guess a column mapping from common column names (case-insensitive).

    A table already in standard form (`forename1_std`, `surname_std`, `dob_std`, ...) maps onto
    itself, so standardising it again is harmless. `record_id`: the id column, when known.
    """
    lower = {c.lower(): c for c in columns if c != record_id}
    mapping: dict[str, Any] = {"record_id": record_id} if record_id else {}
    for role, aliases in COLUMN_ALIASES.items():
        if role in mapping:
            continue
        for alias in aliases:
            if alias in lower:
                mapping[role] = lower[alias]
                break
    if "source_dataset" in mapping:
        mapping["source_dataset_column"] = mapping.pop("source_dataset")
    if mapping.get("full_name") and (mapping.get("forename") or mapping.get("surname")):
        mapping.pop("full_name")
    if "record_id" not in mapping:
        raise ValueError(f"cannot tell which column is the record id among {columns}; pass a "
                         "column mapping with `record_id`")
    return mapping


# Name helpers --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def nickname_table() -> pa.Table:
    """Diminutive -> full name pairs (upper case), from `linkage/data/nicknames.csv`."""
    text = resources.files("bold_assets.linkage").joinpath("data/nicknames.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    return pa.table({
        "name": [r["name"].strip().upper() for r in rows],
        "canonical": [r["canonical"].strip().upper() for r in rows],
    })


def metaphone(name: str | None) -> str | None:
    """Phonetic key of a standardised name (None for None or empty)."""
    if not name:
        return None
    return jellyfish.metaphone(name.replace(" ", "")) or None


def _metaphone_arrow(values: pa.Array) -> pa.Array:
    cache: dict[str, str | None] = {}
    out = []
    for v in values.to_pylist():
        if v is None:
            out.append(None)
        else:
            if v not in cache:
                cache[v] = metaphone(v)
            out.append(cache[v])
    return pa.array(out, type=pa.string())


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Make the phonetic UDF, name macro and nickname table available on a connection."""
    registered = con.execute("SELECT count(*) FROM duckdb_functions() "
                             "WHERE function_name = 'bold_metaphone'").fetchall()[0][0]
    if not registered:  # once per database: a warehouse connection's database is kept
        con.create_function(
            "bold_metaphone", _metaphone_arrow, ["VARCHAR"], "VARCHAR", type="arrow",
            null_handling="special", side_effects=False,
        )
    placeholders = ", ".join(f"'{p}'" for p in NAME_PLACEHOLDERS)
    titles = "|".join(TITLES)
    # upper case, accents off, apostrophes and dots dropped, other non-letters (but hyphens) ->
    # space, a leading title dropped, placeholders -> NULL.
    cleaned = (
        "trim(regexp_replace(trim(regexp_replace(regexp_replace("
        "upper(strip_accents(CAST(x AS VARCHAR))), '[''`.]', '', 'g'), "
        "'[^A-Z-]+|-{2,}', ' ', 'g')), "
        f"'^({titles}) |^-+|-+$', '', 'g'))"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP MACRO bold_clean_name(x) AS
        CASE WHEN {cleaned} = '' OR {cleaned} IN ({placeholders}) THEN NULL ELSE {cleaned} END
    """)
    con.register("__bold_nick", nickname_table())
    try:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE bold_nicknames AS
            SELECT name, list_distinct(list(canonical)) AS canonicals
            FROM __bold_nick GROUP BY name
        """)
    finally:
        con.unregister("__bold_nick")


# SQL -----------------------------------------------------------------------------------------


def _col(name: str | None) -> str:
    return f'CAST("{name}" AS VARCHAR)' if name else "CAST(NULL AS VARCHAR)"


def _sex_sql(ident: Identifiers) -> str:
    if not ident.sex:
        return "CAST(NULL AS VARCHAR)"
    raw = f'upper(trim(CAST("{ident.sex}" AS VARCHAR)))'
    whens = " ".join(
        f"WHEN '{str(code).upper()}' THEN '{mf}'" for code, mf in ident.sex_codes.items()
    )
    return (f"CASE {raw} {whens} ELSE CASE WHEN {raw} IN ('M', 'MALE') THEN 'M' "
            f"WHEN {raw} IN ('F', 'FEMALE') THEN 'F' END END")


def _dob_formats(spec: RecordSpec) -> str:
    ident = spec.identifiers
    fallbacks = FALLBACK_DOB_FORMATS if spec.dob_fallbacks is None else spec.dob_fallbacks
    fmts = [ident.dob_format] + [f for f in fallbacks if f != ident.dob_format]
    return "[" + ", ".join(f"'{f}'" for f in fmts) + "]"


def extra_column(col: str) -> str:
    """Name of the standardised column of a further identifier: `x_<lower-case word chars>`."""
    import re

    return "x_" + re.sub(r"[^a-z0-9]+", "_", col.lower()).strip("_")


# Cleaning of a further identifier by comparison kind (`linkage.mapping.KINDS`); `x` is VARCHAR.
_TEXT_CLEAN = ("nullif(trim(regexp_replace(upper(strip_accents(x)), '[^A-Z0-9]+', ' ', 'g')), "
               "'')")
EXTRA_CLEAN: dict[str, str] = {
    "exact": "nullif(upper(trim(x)), '')",
    "name": "bold_clean_name(x)",
    "date": "CAST(coalesce(TRY_CAST(x AS DATE), try_strptime(x, ['%Y%m%d', '%d/%m/%Y'])) AS DATE)",
    "postcode": "nullif(upper(regexp_replace(x, '[^A-Za-z0-9]', '', 'g')), '')",
    "email": "CASE WHEN strpos(x, '@') > 1 THEN lower(trim(x)) END",
    "id": "nullif(upper(regexp_replace(x, '[^A-Za-z0-9]', '', 'g')), '')",
    "address": _TEXT_CLEAN,
    "text": _TEXT_CLEAN,
}


def _extra_sql(kind: str, raw: str) -> str:
    if kind not in EXTRA_CLEAN:
        raise ValueError(f"unknown comparison kind {kind!r}; expected one of {sorted(EXTRA_CLEAN)}")
    return EXTRA_CLEAN[kind].replace("(x", f"({raw}").replace(" x)", f" {raw})")


# National identifiers ------------------------------------------------------------------------


@dataclass(frozen=True)
class NationalIdRule:
    """SQL of one national identifier kind over `{x}`: the value in upper case with spaces and
    dashes removed ('' when absent)."""

    valid: str  # the kind's shape (and check digit)
    value: str  # the standard form of a valid value
    placeholder: str = "false"  # a filler meaning "none": NULL, but not invalid
    placeholder_label: str = "placeholder"

    def sql(self, part: str, x: str) -> str:
        return str(getattr(self, part)).replace("{x}", x)


# NHS number: digits 1-9 weighted 10..2; the check digit is 11 - (sum mod 11), 11 -> 0, 10 never
# valid. `ascii() - 48` reads a digit without a cast that could fail.
_NHS_SUM = " + ".join(f"(ascii(substr({{x}}, {i}, 1)) - 48) * {11 - i}" for i in range(1, 10))
NATIONAL_ID_RULES: dict[str, NationalIdRule] = {
    "nino": NationalIdRule(
        valid="regexp_full_match({x}, '[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]?') "
              "AND left({x}, 2) NOT IN ('BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ')",
        value="left({x}, 8)",  # without the suffix: DWP matches on the first 8 characters
        placeholder="starts_with({x}, 'TN')", placeholder_label="temporary number (TN...)"),
    "nhs_number": NationalIdRule(
        valid="regexp_full_match({x}, '[0-9]{10}') "
              "AND (11 - (" + _NHS_SUM + ") % 11) % 11 = ascii(substr({x}, 10, 1)) - 48",
        value="{x}",
        placeholder="{x} IN (" + ", ".join(f"'{d * 10}'" for d in "0123456789") + ")",
        placeholder_label="placeholder (one digit ten times)"),
    "upn": NationalIdRule(valid="regexp_full_match({x}, '[A-Z][0-9]{11}[A-Z0-9]')", value="{x}"),
}


def national_id_std_sql(kind: str, expr: str) -> str:
    """SQL: `expr` in the standard form of a `kind` national id (NULL when absent, malformed or a
    placeholder), as `<kind>_std` holds it: what records are grouped, hashed and linked on, so
    "AB 12 34 56 C" and "AB123456" are one person's key and temporary numbers key nobody."""
    x = f"upper(regexp_replace(coalesce(CAST({expr} AS VARCHAR), ''), '[\\s-]+', '', 'g'))"
    rule = NATIONAL_ID_RULES[kind]
    return (f"CASE WHEN ({rule.sql('valid', x)}) AND NOT ({rule.sql('placeholder', x)}) "
            f"THEN {rule.sql('value', x)} END")


def _national_id_sql(spec: RecordSpec) -> tuple[str, str, str]:
    """SQL items of the national identifiers: raw values (`src`), compact values (`dated`) and
    standard value and invalid flag (`d`); constants for kinds the table does not hold."""
    unknown = set(spec.identifiers.national_ids) - set(NATIONAL_ID_KINDS)
    if unknown:
        raise ValueError(f"{spec.source_dataset}: unknown national id kind(s) {sorted(unknown)}; "
                         f"expected {', '.join(NATIONAL_ID_KINDS)}")
    raw, compact, std = [], [], []
    for kind in NATIONAL_ID_KINDS:
        col = spec.identifiers.national_ids.get(kind)
        raw.append(f", {_col(col)} AS {kind}_raw")
        if not col:
            compact.append(f", '' AS {kind}_compact")
            std.append(f", CAST(NULL AS VARCHAR) AS {kind}_std, false AS {kind}_invalid")
            continue
        compact.append(f", upper(regexp_replace(coalesce({kind}_raw, ''), '[\\s-]+', '', 'g')) "
                       f"AS {kind}_compact")
        rule, x = NATIONAL_ID_RULES[kind], f"{kind}_compact"
        valid, filler = f"({rule.sql('valid', x)})", f"({rule.sql('placeholder', x)})"
        std.append(f", CASE WHEN {valid} AND NOT {filler} THEN {rule.sql('value', x)} END "
                   f"AS {kind}_std, ({x} <> '' AND NOT {valid} AND NOT {filler}) "
                   f"AS {kind}_invalid")
    return "".join(raw), "".join(compact), "".join(std)


def _standardise_ctes(spec: RecordSpec, table: str) -> str:
    """The WITH chain of `standardise_sql`, ending in `d` (raw and cleaned values side by side)."""
    ident = spec.identifiers
    source_expr = (f'CAST("{spec.source_dataset_column}" AS VARCHAR)'
                   if spec.source_dataset_column else f"'{spec.source_dataset}'")
    event = f'TRY_CAST("{spec.event_date}" AS DATE)' if spec.event_date else "CAST(NULL AS DATE)"
    where = f"WHERE {spec.person_filter}" if spec.person_filter else ""
    dob_raw = f'CAST("{ident.dob}" AS VARCHAR)' if ident.dob else "CAST(NULL AS VARCHAR)"
    dob_native = (f'TRY_CAST("{ident.dob}" AS DATE)' if ident.dob and spec.dob_typed
                  else "CAST(NULL AS DATE)")
    extras_src = "".join(f', CAST("{c}" AS VARCHAR) AS "{extra_column(c)}__raw"'
                         for c, _ in spec.extras)
    # Hyphens survive cleaning so that a full name splits into words correctly; they become
    # spaces in the standard form ("SMITH-JONES" -> "SMITH JONES", "MARY-JANE" -> "MARY", "JANE").
    if ident.full_name:
        names = """
            full_clean AS (
                SELECT *,
                    CASE WHEN strpos(full_raw, ',') > 0
                         THEN bold_clean_name(split_part(full_raw, ',', 1)) END AS comma_surname,
                    string_split(CASE WHEN strpos(full_raw, ',') > 0
                         THEN bold_clean_name(substr(full_raw, strpos(full_raw, ',') + 1))
                         ELSE bold_clean_name(full_raw) END, ' ') AS words
                FROM src
            ),
            split_names AS (
                SELECT *,
                    coalesce(comma_surname, words[-1]) AS sn_clean,
                    CASE WHEN comma_surname IS NOT NULL THEN array_to_string(words, ' ')
                         ELSE nullif(array_to_string(words[1:-2], ' '), '') END AS fn_clean,
                    CAST(NULL AS VARCHAR) AS mn_clean
                FROM full_clean
            ),"""
        src_names = f"{_col(ident.full_name)} AS full_raw"
    else:
        names = """
            split_names AS (
                SELECT *, bold_clean_name(sn_raw) AS sn_clean, bold_clean_name(fn_raw) AS fn_clean,
                    bold_clean_name(mn_raw) AS mn_clean
                FROM src
            ),"""
        src_names = (f"{_col(ident.forename)} AS fn_raw, {_col(ident.middle_name)} AS mn_raw, "
                     f"{_col(ident.surname)} AS sn_raw")
    names += """
            named AS (
                SELECT *,
                    string_split(replace(fn_clean, '-', ' '), ' ')[1] AS f1,
                    coalesce(string_split(replace(mn_clean, '-', ' '), ' ')[1],
                             string_split(replace(fn_clean, '-', ' '), ' ')[2]) AS f2,
                    replace(sn_clean, '-', ' ') AS sn
                FROM split_names
            )"""
    valid_pc = POSTCODE_PATTERN.replace(" ?", " ")
    placeholders = ", ".join(f"DATE '{p}'" for p in DOB_PLACEHOLDERS)
    latest = f"DATE '{spec.dob_latest}'" if spec.dob_latest else "current_date"
    sex_raw = (f'nullif(trim(CAST("{ident.sex}" AS VARCHAR)), \'\')' if ident.sex
               else "CAST(NULL AS VARCHAR)")
    ids_raw, ids_compact, ids_std = _national_id_sql(spec)
    return f"""
        WITH src AS (
            SELECT {source_expr} AS source_dataset,
                   CAST("{spec.record_id}" AS VARCHAR) AS record_id,
                   {src_names},
                   nullif(trim({dob_raw}), '') AS dob_raw,
                   {dob_native} AS dob_native,
                   {_sex_sql(ident)} AS sex,
                   {sex_raw} AS sex_raw,
                   nullif(trim({_col(ident.postcode)}), '') AS pc_raw,
                   {event} AS event_date
                   {ids_raw}{extras_src}
            FROM {table} {where}
        ),
        {names},
        dated AS (
            SELECT *,
                CAST(try_strptime(dob_raw, '{ident.dob_format}') AS DATE) AS dob_first_format,
                coalesce(dob_native, CAST(try_strptime(dob_raw, {_dob_formats(spec)}) AS DATE))
                    AS dob_parsed,
                upper(regexp_replace(coalesce(pc_raw, ''), '[^A-Za-z0-9]', '', 'g')) AS pc_compact
                {ids_compact}
            FROM named
        ),
        pc AS (
            SELECT *,
                CASE WHEN length(pc_compact) BETWEEN 5 AND 7 THEN
                    left(pc_compact, length(pc_compact) - 3) || ' ' ||
                    replace(replace(substr(pc_compact, length(pc_compact) - 2, 1), 'O', '0'),
                            'I', '1') ||
                    replace(replace(right(pc_compact, 2), '0', 'O'), '1', 'I')
                END AS pc_candidate
            FROM dated
        ),
        d AS (
            SELECT *,
                CASE WHEN dob_parsed >= DATE '{spec.dob_earliest}'
                      AND dob_parsed <= coalesce(event_date, {latest})
                      AND dob_parsed NOT IN ({placeholders})
                     THEN dob_parsed END AS dob_std,
                CASE WHEN regexp_full_match(coalesce(pc_candidate, ''), '{valid_pc}')
                     THEN pc_candidate END AS postcode_std
                {ids_std}
            FROM pc
        )"""


def standardise_sql(spec: RecordSpec, table: str, postcode_lookup: str | None = None) -> str:
    """SELECT producing the standard form of `table` (needs `register_functions` on the con).

    `postcode_lookup` is a table with (postcode, lsoa_code) to place each postcode in an LSOA.
    """
    pc_placeholders = ", ".join(f"'{p}'" for p in POSTCODE_PLACEHOLDERS)
    lookup_join = lookup_col = ""
    if postcode_lookup:
        lookup_join = (f"LEFT JOIN (SELECT DISTINCT ON (pc_key) pc_key, lsoa_code FROM "
                       f"(SELECT replace(upper(postcode), ' ', '') AS pc_key, lsoa_code "
                       f"FROM {postcode_lookup})) pl "
                       "ON pl.pc_key = replace(d.postcode_std, ' ', '')")
        lookup_col = "pl.lsoa_code"
    else:
        lookup_col = "CAST(NULL AS VARCHAR)"
    more = ""
    if spec.postcode_text:
        more += (f",\n            CASE WHEN d.pc_compact <> '' AND d.pc_compact NOT IN "
                 f"({pc_placeholders}) THEN d.pc_compact END AS postcode_text")
    for c, kind in spec.extras:
        x = extra_column(c)
        more += f',\n            {_extra_sql(kind, f"d.{x}__raw")} AS "{x}"'
    return f"""{_standardise_ctes(spec, table)}
        SELECT
            d.source_dataset, d.record_id,
            d.f1 AS forename1_std, nullif(d.f2, '') AS forename2_std, d.sn AS surname_std,
            bold_metaphone(d.sn) AS surname_dm, bold_metaphone(d.f1) AS forename1_dm,
            CASE WHEN d.f1 IS NOT NULL THEN
                list_distinct(list_prepend(d.f1, coalesce(nk.canonicals, []))) END
                AS forename1_keys,
            d.dob_std,
            year(d.dob_std) AS dob_year, month(d.dob_std) AS dob_month, day(d.dob_std) AS dob_day,
            strftime(d.dob_std, '%Y-%m') AS dob_year_month,
            (d.dob_raw IS NOT NULL AND d.dob_std IS NULL
             AND d.dob_raw NOT IN ('1900-01-01', '01/01/1900', '01-Jan-1900', '01-01-1900')
             AND coalesce(d.dob_parsed NOT IN ({", ".join(f"DATE '{p}'" for p in DOB_PLACEHOLDERS)}
                          ), true))
                AS dob_invalid,
            d.sex,
            d.postcode_std,
            split_part(d.postcode_std, ' ', 1) AS postcode_district,
            left(d.postcode_std, length(d.postcode_std) - 2) AS postcode_sector,
            (d.pc_compact <> '' AND d.postcode_std IS NULL
             AND d.pc_compact NOT IN ({pc_placeholders})) AS postcode_invalid,
            d.event_date,
            {lookup_col} AS lsoa_code,
            {", ".join(f"d.{k}_std, d.{k}_invalid" for k in NATIONAL_ID_KINDS)}{more}
        FROM d
        LEFT JOIN bold_nicknames nk ON nk.name = d.f1
        {lookup_join}
    """


# Report: nothing lost silently ----------------------------------------------------------------


def standardise_report(con: duckdb.DuckDBPyConnection, spec: RecordSpec,
                       table: str) -> list[dict[str, Any]]:
    """Per input column: values given, kept, changed (normalised) and nulled, with the reasons.

    Counts only, never values (they are identifiers). Needs `register_functions` on `con`.
    """
    ident = spec.identifiers
    pc_placeholders = ", ".join(f"'{p}'" for p in POSTCODE_PLACEHOLDERS)
    placeholders = ", ".join(f"DATE '{p}'" for p in DOB_PLACEHOLDERS)
    latest = (f"coalesce(event_date, DATE '{spec.dob_latest}')" if spec.dob_latest
              else "coalesce(event_date, current_date)")
    checks: list[tuple[str, str, str, str, str, dict[str, str]]] = []
    # (column, role, given, kept, changed, {reason: condition among the given})

    def name_check(col: str | None, role: str, raw: str, clean: str) -> None:
        if col:
            checks.append((col, role, f"{raw} IS NOT NULL AND trim({raw}) <> ''",
                           f"{clean} IS NOT NULL AND {clean} = upper(trim({raw}))",
                           f"{clean} IS NOT NULL AND {clean} <> upper(trim({raw}))",
                           {"placeholder, title only or no letters": f"{clean} IS NULL"}))

    if ident.full_name:
        checks.append((ident.full_name, "full_name",
                       "full_raw IS NOT NULL AND trim(full_raw) <> ''",
                       "f1 IS NOT NULL AND sn IS NOT NULL",
                       "(f1 IS NULL) <> (sn IS NULL)",
                       {"placeholder, title only or no letters": "f1 IS NULL AND sn IS NULL"}))
    else:
        name_check(ident.forename, "forename", "fn_raw", "fn_clean")
        name_check(ident.middle_name, "middle_name", "mn_raw", "mn_clean")
        name_check(ident.surname, "surname", "sn_raw", "sn_clean")
    if ident.dob:
        checks.append((ident.dob, "dob", "(dob_raw IS NOT NULL OR dob_native IS NOT NULL)",
                       "dob_std IS NOT NULL AND (dob_native IS NOT NULL OR "
                       "dob_first_format IS NOT NULL)",
                       "dob_std IS NOT NULL AND dob_native IS NULL AND dob_first_format IS NULL",
                       {"unreadable (no format fits)": "dob_parsed IS NULL",
                        "placeholder (1900-01-01)": f"dob_parsed IN ({placeholders})",
                        f"before {spec.dob_earliest}":
                            f"dob_parsed < DATE '{spec.dob_earliest}'",
                        "after the event date / latest plausible date":
                            f"dob_parsed > {latest}"}))
    if ident.sex:
        checks.append((ident.sex, "sex", "sex_raw IS NOT NULL", "sex IS NOT NULL", "false",
                       {"unrecognised code": "sex IS NULL"}))
    if ident.postcode:
        given = "pc_compact <> ''"
        if spec.postcode_text:
            checks.append((ident.postcode, "postcode", given,
                           "postcode_std IS NOT NULL OR pc_compact NOT IN "
                           f"({pc_placeholders})", "false",
                           {"placeholder (no fixed abode, unknown)":
                            f"pc_compact IN ({pc_placeholders})"}))
            checks.append((ident.postcode, "postcode (UK parse: district, sector)", given,
                           "postcode_std IS NOT NULL", "false",
                           {"not a UK postcode: compared as text only":
                            f"postcode_std IS NULL AND pc_compact NOT IN ({pc_placeholders})",
                            "placeholder": f"pc_compact IN ({pc_placeholders})"}))
        else:
            checks.append((ident.postcode, "postcode", given,
                           "postcode_std IS NOT NULL AND replace(postcode_std, ' ', '') = "
                           "pc_compact", "postcode_std IS NOT NULL AND "
                           "replace(postcode_std, ' ', '') <> pc_compact",
                           {"not a UK postcode": f"postcode_std IS NULL AND pc_compact NOT IN "
                                                 f"({pc_placeholders})",
                            "placeholder": f"pc_compact IN ({pc_placeholders})"}))
    for kind, col in ident.national_ids.items():
        if kind not in NATIONAL_ID_RULES:
            continue  # an unknown kind: `_standardise_ctes` names it in its error
        rule, x, given_as = NATIONAL_ID_RULES[kind], f"{kind}_compact", f"upper(trim({kind}_raw))"
        checks.append((col, kind, f"{x} <> ''", f"{kind}_std = {given_as}",
                       f"{kind}_std <> {given_as}",
                       {rule.placeholder_label: rule.sql("placeholder", x),
                        f"not a valid {kind}": f"{kind}_invalid"}))
    cleaned = []
    for c, kind in spec.extras:
        raw = f'"{extra_column(c)}__raw"'
        clean = f'"{extra_column(c)}__clean"'
        cleaned.append(f"CAST({_extra_sql(kind, raw)} AS VARCHAR) AS {clean}")
        checks.append((c, kind, f"{raw} IS NOT NULL AND trim({raw}) <> ''",
                       f"{clean} IN (trim({raw}), upper(trim({raw})), lower(trim({raw})))",
                       f"{clean} IS NOT NULL AND {clean} NOT IN "
                       f"(trim({raw}), upper(trim({raw})), lower(trim({raw})))",
                       {f"not readable as {kind}": f"{clean} IS NULL"}))
    if not checks:
        return []
    aggs = []
    for _, _, given, kept, changed, reasons in checks:
        aggs += [f"count(*) FILTER (WHERE {given})",
                 f"count(*) FILTER (WHERE ({given}) AND ({kept}))",
                 f"count(*) FILTER (WHERE ({given}) AND ({changed}))"]
        aggs += [f"count(*) FILTER (WHERE ({given}) AND NOT coalesce({kept}, false) "
                 f"AND NOT coalesce({changed}, false) AND ({cond}))"
                 for cond in reasons.values()]
    d2 = f"SELECT *, {', '.join(cleaned)} FROM d" if cleaned else "SELECT * FROM d"
    row = con.execute(f"{_standardise_ctes(spec, table)}, d2 AS ({d2}) "
                      f"SELECT {', '.join(aggs)} FROM d2").fetchall()[0]
    out, i = [], 0
    for col, role, _, _, _, reasons in checks:
        given, kept, changed = row[i:i + 3]
        why = {r: n for r, n in zip(reasons, row[i + 3:i + 3 + len(reasons)], strict=True) if n}
        i += 3 + len(reasons)
        out.append({"column": col, "role": role, "given": given, "kept": kept,
                    "changed": changed, "nulled": given - kept - changed, "why": why})
    return out


def format_report(report: list[dict[str, Any]], source: str = "input") -> str:
    """The standardisation report as text lines (counts only)."""
    lines = [f"standardisation of {source}: per column, values given / kept / changed / nulled"]
    for r in report:
        line = (f"  {r['column']} ({r['role']}): {r['given']} given, {r['kept']} kept, "
                f"{r['changed']} changed, {r['nulled']} nulled")
        if r["why"]:
            line += " (" + "; ".join(f"{n} {why}" for why, n in r["why"].items()) + ")"
        lines.append(line)
    return "\n".join(lines)


def check_strict(report: list[dict[str, Any]], max_null_share: float, source: str = "input"
                 ) -> None:
    """Fail when standardisation would null more than `max_null_share` of a column's values."""
    bad = [r for r in report if r["given"] and r["nulled"] / r["given"] > max_null_share
           and not r["role"].startswith("postcode (UK")]
    if bad:
        detail = "; ".join(
            f"column {r['column']} ({r['role']}): {r['nulled']} of {r['given']} values would be "
            f"nulled (" + ", ".join(f"{n} {w}" for w, n in r["why"].items()) + ")" for r in bad)
        raise ValueError(f"{source}: strict standardisation (at most {max_null_share:.0%} "
                         f"nulled per column) failed: {detail}. Fix the column mapping "
                         "(e.g. `dob_format`, `dob_range`) or the data.")


# Date formats ----------------------------------------------------------------------------------

_ORDER_PAIRS = {("%d/%m/%Y", "%m/%d/%Y"), ("%d-%m-%Y", "%m-%d-%Y"), ("%d.%m.%Y", "%m.%d.%Y"),
                ("%d/%m/%y", "%m/%d/%y")}


def detect_dob_format(con: duckdb.DuckDBPyConnection, table: str, column: str,
                      sample: int = 20000) -> str | None:
    """The text format that reads most values of `column`; None if none reads half of them.

    Raises ValueError when a day-first format and its month-first twin both read (nearly) all
    values: the data cannot say which is right, so `dob_format` must be given.
    """
    values = [r[0] for r in con.execute(
        f'SELECT DISTINCT trim(CAST("{column}" AS VARCHAR)) AS v FROM {table} '
        f'WHERE v IS NOT NULL AND v <> \'\' LIMIT {int(sample)}').fetchall()]
    if not values:
        return None
    con.register("__bold_dob_values", pa.table({"v": pa.array(values, pa.string())}))
    try:
        aggs = ", ".join(f"count(try_strptime(v, '{f}'))" for f in DETECTABLE_DOB_FORMATS)
        counts = dict(zip(DETECTABLE_DOB_FORMATS,
                          con.execute(f"SELECT {aggs} FROM __bold_dob_values").fetchall()[0],
                          strict=True))
    finally:
        con.unregister("__bold_dob_values")
    best = max(counts, key=lambda f: counts[f])
    if counts[best] < 0.5 * len(values):
        return None
    for a, b in _ORDER_PAIRS:
        if best in (a, b):
            other = b if best == a else a
            if counts[other] >= counts[best] - max(1, 0.005 * len(values)):
                raise ValueError(
                    f"column {column}: dates of birth read both day-first ({a}) and "
                    f"month-first ({b}) ({counts[a]} and {counts[b]} of {len(values)} distinct "
                    "values); pass `dob_format` in the column mapping")
    return best


_DATE_TYPES = ("DATE", "TIMESTAMP")


def resolve_spec(con: duckdb.DuckDBPyConnection, spec: RecordSpec, table: str) -> RecordSpec:
    """Settle what only the data can tell: a DATE / TIMESTAMP column of birth dates, and the
    text format when it is to be detected."""
    dob = spec.identifiers.dob
    if not dob:
        return spec
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    if dob not in types:
        return spec
    if str(types[dob]).upper().startswith(_DATE_TYPES):
        return replace(spec, dob_typed=True)
    if spec.detect_dob_format:
        fmt = detect_dob_format(con, table, dob)
        if fmt:
            return replace(spec, identifiers=replace(spec.identifiers, dob_format=fmt),
                           detect_dob_format=False)
    return spec



# Share of the given dates of birth before the plausible range above which the range is wrong
# for the data (a historical register), not the dates: the range then starts at the earliest.
WIDEN_DOB_RANGE_SHARE = 0.1


def widen_dob_range(con: duckdb.DuckDBPyConnection, spec: RecordSpec, table: str,
                    report: list[dict[str, Any]]) -> tuple[RecordSpec, str | None]:
    """`spec` with its plausible range starting at the column's earliest readable date when
    more than `WIDEN_DOB_RANGE_SHARE` of the given dates fall before it, and a note saying so
    (for the report); else `spec` unchanged and None."""
    entry = next((r for r in report if r["role"] == "dob"), None)
    before = (entry or {}).get("why", {}).get(f"before {spec.dob_earliest}", 0)
    if not entry or before <= WIDEN_DOB_RANGE_SHARE * entry["given"]:
        return spec, None
    open_range = replace(spec, dob_earliest="0001-01-01")
    # the first of January of the earliest year: no one's date of birth goes into the note
    earliest = con.execute(f"SELECT make_date(year(min(dob_std)), 1, 1) FROM "
                           f"({standardise_sql(open_range, table)})").fetchone()[0]
    note = (f"{before:,} of {entry['given']:,} dates of birth were before {spec.dob_earliest}: "
            f"the plausible range starts at {earliest} instead (set `dob_range` to choose)")
    return replace(spec, dob_earliest=str(earliest)), note


@dataclass
class _Frame:
    """Helper to register a python object on a connection under a fixed name."""

    con: duckdb.DuckDBPyConnection
    name: str
    obj: Any = field(repr=False)

    def __enter__(self) -> str:
        self.con.register(self.name, self.obj)
        return self.name

    def __exit__(self, *exc: object) -> None:
        self.con.unregister(self.name)


def standardise_table(
    con: duckdb.DuckDBPyConnection,
    spec: RecordSpec,
    table: str,
    postcode_lookup: str | None = None,
) -> duckdb.DuckDBPyRelation:
    """Standardise `table` (a name visible on `con`); returns a relation (not materialised)."""
    register_functions(con)
    return con.sql(standardise_sql(resolve_spec(con, spec, table), table, postcode_lookup))


def standardise_frame(
    data: Any,
    spec: RecordSpec | None = None,
    mapping: dict[str, Any] | None = None,
    source_dataset: str = "input",
) -> pa.Table:
    """Standardise an in-memory table (pandas / arrow / duckdb relation) into an arrow table."""
    con = duckdb.connect()
    try:
        with _Frame(con, "__bold_input", data) as name:
            if spec is None:
                cols = [c[0] for c in con.execute(f"DESCRIBE {name}").fetchall()]
                mapping = mapping or infer_mapping(cols)
                spec = RecordSpec.from_mapping(mapping, source_dataset=source_dataset)
            elif source_dataset != "input":
                spec = replace(spec, source_dataset=source_dataset)
            return standardise_table(con, spec, name).to_arrow_table()
    finally:
        con.close()
