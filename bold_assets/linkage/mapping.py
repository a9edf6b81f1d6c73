"""Column mappings of any table: which column is which identifier, and how to compare the rest.

A mapping names the person identifiers the standard form knows (`standardise.RecordSpec`:
record_id, forename, middle_name, surname or full_name, dob, sex, postcode, ...; national
identifiers by kind: `nino`, `nhs_number`, `upn`, e.g. `"nino": "NI_NUMBER"`, validated and
compared exactly) and, under `extra`, any number of further columns with a comparison kind:

| kind | cleaned as | compared by |
|---|---|---|
| exact | upper case, trimmed | exact (term-frequency adjusted) |
| name | like a name (letters only, placeholders removed) | exact / Jaro-Winkler 0.92 / 0.8 |
| date | DATE | exact / one digit different / within a year |
| postcode | letters and digits | exact / Jaro-Winkler 0.9 |
| email | lower case | exact / same local part / Jaro-Winkler 0.9 |
| id | letters and digits | exact / Damerau-Levenshtein 1 / 2 |
| address | upper-case words | exact / Jaro-Winkler 0.9 / 0.8 |
| text | upper-case words | exact / Jaro-Winkler 0.9 |

`infer_full_mapping` guesses the person identifiers (`standardise.infer_mapping`) and the further
columns from their names and values; `explain` says what it inferred.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from bold_assets.linkage.standardise import COLUMN_ALIASES, STD_COLUMNS, infer_mapping

KINDS: tuple[str, ...] = ("exact", "name", "date", "postcode", "email", "id", "address", "text")

# Column-name hints for further identifiers, tried in order (a regex on the lower-case name).
NAME_HINTS: tuple[tuple[str, str], ...] = (
    (r"e_?mail", "email"),
    (r"street_number|house_number|house_no|flat", "exact"),
    (r"(^|_)(nhs|ni|nino|ssn|soc_sec|social_security|national_insurance|passport|licen[cs]e|"
     r"pnc|cro|phone|mobile|tel|telephone)(_|$)|_id$|_number$|_no$|_num$", "id"),
    (r"address|street|addr|line_?\d", "address"),
    (r"town|city|suburb|locality|village|birth_?place|place_of_birth|county|district|state|"
     r"region|country|nationality", "name"),
    (r"zip|post_?code|postal", "postcode"),
    (r"occupation|job|employer|school|title", "text"),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Keys of a mapping that are not columns.
NON_COLUMN_KEYS = ("dob_format", "sex_codes", "person_filter", "source_dataset", "extra",
                   "dob_range")


def guess_kind(column: str, values: list[Any]) -> str | None:
    """The comparison kind of a further column, from its name, then its values; None to skip."""
    name = column.lower()
    sample = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if sample and sum(bool(_EMAIL.match(v)) for v in sample) > 0.5 * len(sample):
        return "email"
    for pattern, kind in NAME_HINTS:
        if re.search(pattern, name):
            return kind
    return None


def infer_extras(con: duckdb.DuckDBPyConnection, table: str, mapping: dict[str, Any],
                 sample: int = 2000) -> dict[str, str]:
    """Further columns of `table` worth comparing (not already mapped), with their kinds."""
    used = {v for k, v in mapping.items() if k not in NON_COLUMN_KEYS and isinstance(v, str)}
    known = {a for aliases in COLUMN_ALIASES.values() for a in aliases}
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    out = {}
    for c in cols:
        if c in used or c.lower() in known or c.startswith(("_", "x_")) or c in STD_COLUMNS \
                or c in ("uid", "link_group", "name_pair", "postcode_text"):
            continue
        values = [r[0] for r in con.execute(
            f'SELECT "{c}" FROM {table} WHERE "{c}" IS NOT NULL LIMIT {int(sample)}').fetchall()]
        kind = guess_kind(c, values)
        if kind:
            out[c] = kind
    return out


def infer_full_mapping(con: duckdb.DuckDBPyConnection, table: str,
                       mapping: dict[str, Any] | None) -> dict[str, Any]:
    """A complete mapping: the given one (or one guessed from column names), plus `extra`
    columns guessed from names and values unless the mapping states `extra` itself."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    if mapping:
        full = dict(mapping)
    else:
        try:
            full = infer_mapping(cols)
        except ValueError:
            rid = _unique_id_column(con, table, cols)
            if rid is None:
                raise
            full = infer_mapping(cols, record_id=rid)
    if "extra" not in full:
        full["extra"] = infer_extras(con, table, full)
    extra = dict(full.get("extra") or {})
    bad = {c: k for c, k in extra.items() if k not in KINDS}
    if bad:
        raise ValueError(f"unknown comparison kinds {bad}; expected one of {list(KINDS)}")
    full["extra"] = extra
    return full


_ID_NAME = re.compile(r"(^|_)(id|ref|key|no|number|uuid)$|id$", re.IGNORECASE)


def _unique_id_column(con: duckdb.DuckDBPyConnection, table: str, cols: list[str]) -> str | None:
    """A column named like an id (`customer_id`, `person_ref`, ...) whose values are unique."""
    for c in cols:
        if _ID_NAME.search(c):
            n, distinct, nulls = con.execute(
                f'SELECT count(*), count(DISTINCT "{c}"), count(*) - count("{c}") FROM {table}'
            ).fetchall()[0]
            if n and distinct == n and not nulls:
                return c
    return None


def explain(mapping: dict[str, Any], columns: list[str]) -> str:
    """What the mapping uses, in words (for `bold link --explain`)."""
    lines = ["column mapping:"]
    for k, v in mapping.items():
        if k == "extra":
            continue
        lines.append(f"  {k}: {v}")
    for c, kind in (mapping.get("extra") or {}).items():
        lines.append(f"  extra {c}: compared as {kind}")
    used = {v for k, v in mapping.items() if k not in NON_COLUMN_KEYS and isinstance(v, str)}
    used |= set(mapping.get("extra") or {})
    unused = [c for c in columns if c not in used]
    if unused:
        lines.append(f"  not used: {', '.join(unused)}")
    return "\n".join(lines)
