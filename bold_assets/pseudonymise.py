"""Split-file pseudonymisation: keyed hashes for ids, and a scan for identifiers that leak.

Ids leave the identifier zone only as HMAC-SHA256 (hex) keyed with the project key, so they join
within the project and nowhere else, and cannot be reversed by hashing guesses (record ids are
sequential, dates of birth low-entropy: an unkeyed hash of either is not a pseudonym).

The key is `BOLD_PROJECT_KEY` when set; otherwise a random 256-bit key is created once in the data
folder (`<data_dir>/project.key`, mode 0600) and reused. The key is never logged or returned in
metadata; the warehouse only ever sees key-derived pads bound as query parameters.

`scan_identifiers` looks at every column of the research, marts and outputs schemas for names,
dates of birth, postcodes and source record ids, by column name and by sampling contents against
the values held in `raw` and `linkage`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bold_assets.settings import Settings, get_settings
from bold_assets.sources import POSTCODE_PATTERN, SOURCES
from bold_assets.warehouse import table_exists

KEY_ENV = "BOLD_PROJECT_KEY"
# Every date-of-birth format the sources use, for finding DOBs carried as text.
_DOB_FORMATS = tuple(sorted({s.identifiers.dob_format for s in SOURCES.values()}))
KEY_FILE = "project.key"
_BLOCK = 64  # SHA-256 block size


def key_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / KEY_FILE


def project_key(settings: Settings | None = None) -> bytes:
    """The project's secret: from `BOLD_PROJECT_KEY`, else the key file (created on first use)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_path(settings)
    if not path.exists():
        # Write the key to a private temporary file, then link it into place: a concurrent
        # process either wins the link or reads a complete key, never an empty file.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".project-key-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:  # another process created it first
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"the project key file {path} is empty; delete it to create a new "
                           f"key (all pseudonymous ids will change) or set {KEY_ENV}")
    return key.encode("utf-8")


def hmac_hex(value: str, key: bytes) -> str:
    """HMAC-SHA256 of a value, hex: the reference implementation of `register_hmac`."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def register_hmac(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Define the SQL macro `bold_hmac(text)` on `con` (HMAC-SHA256 hex, keyed with `key`).

    Pure SQL (DuckDB's sha256 over BLOBs), so hashing a table is one vectorised query. The pads
    live in a temporary table filled through bound parameters: never in SQL text or logs.
    """
    inner, outer = _pads(key)
    con.execute("CREATE OR REPLACE TEMP TABLE __bold_key (ipad BLOB, opad BLOB)")
    con.execute("INSERT INTO __bold_key VALUES (?, ?)", [inner, outer])
    con.execute("""
        CREATE OR REPLACE TEMP MACRO bold_hmac(x) AS
        CASE WHEN x IS NULL THEN NULL ELSE sha256(
            (SELECT opad FROM __bold_key) ||
            unhex(sha256((SELECT ipad FROM __bold_key) || encode(CAST(x AS VARCHAR))))
        ) END
    """)


def hash_expr(source: str, column: str, expr: str) -> str:
    """SQL for the pseudonym of an id column of a source (namespaced: equal ids in two sources or
    two columns never share a pseudonym). Needs `register_hmac` on the connection."""
    return f"bold_hmac('{source}:{column}:' || CAST({expr} AS VARCHAR))"


def pseudonym(source: str, column: str, value: str, key: bytes) -> str:
    """The pseudonym `hash_expr` gives, computed in Python."""
    return hmac_hex(f"{source}:{column}:{value}", key)


def row_id_hashes(
    sources: Iterable[str], record_ids: Iterable[object], key: bytes | None = None
) -> list[str]:
    """`row_id_hash` of each (source_dataset, record_id), as the research tables hold it."""
    key = key if key is not None else project_key()
    return [pseudonym(s, SOURCES[s].key, str(r), key)
            for s, r in zip(sources, record_ids, strict=True)]


# Identifier scan ---------------------------------------------------------------------------------

# Column names that hold an identifier wherever they appear (hashed columns end in _hash).
_NAME_WORDS = re.compile(
    r"(^|_)(forename|forenames|surname|first_?name|last_?name|middle_?name|family_?name|"
    r"full_?name|party_?name|given_?name|maiden_?name|birth_?surname|dob|date_of_birth|"
    r"birth_?date|postcode|post_?code|record_id|nhs_?number|pnc_?id|nino|ni_?number|upn)($|_)"
)
SCANNED_SCHEMAS = ("research", "marts", "outputs")
DOB_DENSITY = 0.5  # above this share of days being birthdays, dates match dates of birth by chance
SAMPLE_VALUES = 2000


@dataclass(frozen=True)
class Finding:
    schema: str
    table: str
    column: str
    kind: str  # name | dob | postcode | record_id
    how: str  # column name | content
    detail: str


def _registry_columns() -> dict[str, str]:
    """Raw column -> kind for every identifier and id column of the registry."""
    kinds: dict[str, str] = {}
    for s in SOURCES.values():
        ident = s.identifiers
        for c in (ident.forename, ident.middle_name, ident.surname, ident.full_name):
            if c:
                kinds[c] = "name"
        if ident.dob:
            kinds[ident.dob] = "dob"
        if ident.postcode:
            kinds[ident.postcode] = "postcode"
        for c in (s.key, *s.case_ids):
            kinds[c] = "record_id"
    return kinds


def _kind_by_name(column: str, registry: dict[str, str]) -> str | None:
    col = column.lower()
    if col.endswith("_hash"):
        return None
    if col in registry:
        return registry[col]
    m = _NAME_WORDS.search(col)
    if not m:
        return None
    word = m.group(2)
    if "post" in word:
        return "postcode"
    if word in ("dob", "date_of_birth", "birth_date", "birthdate"):
        return "dob"
    if word in ("record_id", "nhs_number", "nhsnumber", "pnc_id", "pncid", "nino", "ni_number",
                "ninumber", "upn"):
        return "record_id"
    return "name"


# scanning more tables than this, the known names and record ids are gathered once into temp
# tables; fewer (a leak check's one table), each table's sampled values probe the sources
PROBE_UP_TO_TABLES = 4


def _build_reference(con: duckdb.DuckDBPyConnection, tables: int) -> dict[str, str]:
    """The identifier values found in raw / linkage, by kind (names and record ids in upper case,
    postcodes also without spaces: as the scanned values are compared), each as a relation for
    a FROM clause: a temp table of the distinct values, or, for names and record ids when at
    most `PROBE_UP_TO_TABLES` tables are scanned, the query reading them from the sources.
    Those two are every record's (hundreds of thousands of values at the default population):
    gathering their distinct set cost a leak check more than the rest of its scan, where a
    semi join of the table's sampled values streams past them once."""
    existing = {(r[0], r[1]) for r in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
    names, dobs, pcs, ids = [], [], [], []
    for s in SOURCES.values():
        if ("raw", s.name) not in existing:
            continue
        ident = s.identifiers
        for c in (ident.forename, ident.surname, ident.middle_name):
            if c:
                names.append(f'SELECT upper(trim(CAST("{c}" AS VARCHAR))) AS v FROM raw.{s.name}')
        if ident.full_name:
            names.append(f'SELECT upper(trim(CAST("{ident.full_name}" AS VARCHAR))) AS v '
                         f"FROM raw.{s.name}")
        for c in (s.key, *s.case_ids):
            ids.append(f'SELECT upper(CAST("{c}" AS VARCHAR)) AS v FROM raw.{s.name}')
        if ident.postcode:
            pcs.append(f"""SELECT replace(upper(CAST("{ident.postcode}" AS VARCHAR)), ' ', '')
                           AS v FROM raw.{s.name}""")
        if ("linkage", f"std_{s.name}") in existing:
            dobs.append(f"SELECT dob_std AS v FROM linkage.std_{s.name}")
            names.append(f"SELECT surname_std AS v FROM linkage.std_{s.name}")
            names.append(f"SELECT forename1_std AS v FROM linkage.std_{s.name}")
    if ("linkage", "person_clusters") in existing:
        ids.append("SELECT upper(record_id) AS v FROM linkage.person_clusters")
    out = {}
    for kind, parts, typ in (("name", names, "VARCHAR"), ("dob", dobs, "DATE"),
                             ("postcode", pcs, "VARCHAR"), ("record_id", ids, "VARCHAR")):
        body = " UNION ALL ".join(parts) if parts else f"SELECT CAST(NULL AS {typ}) AS v"
        # names of one or two letters (initials) say nothing on their own
        keep = "length(v) >= 3" if kind == "name" else "v IS NOT NULL"
        if kind in ("name", "record_id") and tables <= PROBE_UP_TO_TABLES:
            out[kind] = f"(SELECT v FROM ({body}) WHERE {keep})"
            continue
        out[kind] = f"__bold_ref_{kind}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out[kind]} AS "
                    f"SELECT DISTINCT v FROM ({body}) WHERE {keep}")
    return out


def _as_date_sql(expr: str) -> str:
    """SQL: text `expr` read as a date in any of the sources' date-of-birth formats."""
    return "coalesce(" + ", ".join(f"try_strptime({expr}, '{f}')" for f in _DOB_FORMATS) + ")"


def _own_dob_sql(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                 sample: int) -> str | None:
    """SQL (row_id_hash, dob) for a sample of the records of `research.<source>`: each record's
    own standardised date of birth under the research table's row hash (needs `register_hmac`);
    None when the table is not a source's research table with dates of birth."""
    src = SOURCES.get(table)
    if schema != "research" or src is None or not src.identifiers.dob:
        return None
    if not table_exists(con, "linkage", f"std_{table}"):
        return None
    return (f"SELECT {hash_expr(table, src.key, 'record_id')} AS row_id_hash, dob_std AS dob "
            f"FROM (SELECT * FROM linkage.std_{table} WHERE dob_std IS NOT NULL "
            f"USING SAMPLE reservoir({sample} ROWS) REPEATABLE (1))")


_DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
# text, and whole numbers (which can hold numeric record ids)
_TEXT_TYPES = ("VARCHAR", "INTEGER", "BIGINT", "HUGEINT")


def _sampled(table_sql: str, exprs: dict[str, str], sample: int) -> str:
    """SQL (col, v): up to `sample` distinct non-null values of each column of `exprs` (column
    -> SQL of its value), all the table's columns in one pass."""
    cols = ", ".join(f'{e} AS "{c}"' for c, e in exprs.items())
    return f"""SELECT col, v FROM (
                   SELECT DISTINCT col, v FROM (UNPIVOT (SELECT {cols} FROM {table_sql})
                                                ON COLUMNS(*) INTO NAME col VALUE v))
               QUALIFY row_number() OVER (PARTITION BY col) <= {sample}"""


def _own_dob_findings(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                      columns: list[tuple[str, str]], sample: int) -> list[Finding]:
    """Columns of a source's research table in which, on a sample of its records, each record
    holds its own date of birth (needs the project key registered)."""
    own = _own_dob_sql(con, schema, table, sample)
    cands = [c for c, t in columns if t in (*_DATE_TYPES, "VARCHAR")]
    if not own or not cands:
        return []
    dtype = dict(columns)

    def value(c: str) -> str:
        text = _as_date_sql(f'upper(trim("{c}"))')
        return f'CAST("{c}" AS DATE)' if dtype[c] != "VARCHAR" else f"CAST({text} AS DATE)"

    # positional aliases: a candidate may be row_id_hash itself
    parts = ", ".join(f"count(r.c{i}), count(*) FILTER (WHERE r.c{i} = o.dob)"
                      for i in range(len(cands)))
    exprs = ", ".join(f"{value(c)} AS c{i}" for i, c in enumerate(cands))
    row = con.execute(f"""SELECT {parts} FROM ({own}) o
                          JOIN (SELECT row_id_hash, {exprs} FROM "{schema}"."{table}") r
                          USING (row_id_hash)""").fetchall()[0]
    out = []
    for i, c in enumerate(cands):
        n, same = row[2 * i], row[2 * i + 1]
        if n >= 5 and same >= 0.5 * n:
            out.append(Finding(schema, table, c, "dob", "content",
                               f"{same}/{n} sampled records hold their own date of birth"))
    return out


def _date_findings(con: duckdb.DuckDBPyConnection, schema: str, table: str, cands: list[str],
                   ref: dict[str, str], sample: int) -> list[Finding]:
    """Date columns whose sampled distinct values are mostly known dates of birth before 2005,
    unless the known dates of birth are dense in the sample's range (see `scan_identifiers`)."""
    if not cands:
        return []
    values = _sampled(f'"{schema}"."{table}"', {c: f'CAST("{c}" AS DATE)' for c in cands},
                      sample)
    rows = con.execute(f"""
        WITH s AS ({values}),
        r AS (SELECT col, min(v) AS lo, max(v) AS hi FROM s GROUP BY col),
        -- the share of days in each sample's range that are someone's birthday
        d AS (SELECT r.col, count(b.v) / (date_diff('day', any_value(r.lo), any_value(r.hi)) + 1)
                  AS chance
              FROM r LEFT JOIN {ref['dob']} b ON b.v BETWEEN r.lo AND r.hi GROUP BY r.col)
        SELECT s.col, count(*), count(*) FILTER (WHERE v IN (SELECT v FROM {ref['dob']})),
               count(*) FILTER (WHERE year(v) < 2005), any_value(d.chance)
        FROM s JOIN d USING (col) GROUP BY s.col""").fetchall()
    out = []
    for col, n, hits, old, chance in rows:
        if n >= 5 and hits >= 0.9 * n and old >= 0.5 * n and (chance or 0) < DOB_DENSITY:
            out.append(Finding(schema, table, col, "dob", "content",
                               f"{hits}/{n} sampled dates are known dates of birth"))
    return out


def _text_findings(con: duckdb.DuckDBPyConnection, schema: str, table: str, cands: list[str],
                   ref: dict[str, str], sample: int, dense: bool) -> list[Finding]:
    """Text and whole-number columns whose sampled distinct values are mostly known names,
    postcodes (known or shaped like one), record ids or (unless dense) dates of birth written
    in any of the sources' formats."""
    if not cands:
        return []
    values = _sampled(f'"{schema}"."{table}"',
                      {c: f'upper(trim(CAST("{c}" AS VARCHAR)))' for c in cands}, sample)
    as_date = _as_date_sql("v")
    # the sampled values that are known names or record ids: the sample (a few hundred
    # values) is the semi join's small side, the sources' values stream past it
    rows = con.execute(f"""
        WITH s AS ({values}),
            known_name AS (SELECT DISTINCT s.v FROM s SEMI JOIN {ref['name']} r ON s.v = r.v),
            known_id AS (
                SELECT DISTINCT s.v FROM s SEMI JOIN {ref['record_id']} r ON s.v = r.v)
        SELECT col, count(*),
            count(*) FILTER (WHERE v IN (SELECT v FROM known_name)),
            count(*) FILTER (WHERE replace(v, ' ', '') IN (SELECT v FROM {ref['postcode']})
                             OR regexp_full_match(v, '{POSTCODE_PATTERN}')),
            count(*) FILTER (WHERE v IN (SELECT v FROM known_id)),
            count(*) FILTER (WHERE CAST({as_date} AS DATE) IN (SELECT v FROM {ref['dob']}))
        FROM s GROUP BY col""").fetchall()
    out = []
    for col, n, names, pcs, ids, dobs in rows:
        for kind, hits in (("name", names), ("postcode", pcs), ("record_id", ids),
                           ("dob", 0 if dense else dobs)):
            if hits >= 5 and hits >= 0.5 * n:
                out.append(Finding(schema, table, col, kind, "content",
                                   f"{hits}/{n} sampled values are known {kind}s"))
                break
    return out


def scan_identifiers(
    con: duckdb.DuckDBPyConnection,
    schemas: tuple[str, ...] = SCANNED_SCHEMAS,
    tables: list[tuple[str, str]] | None = None,
    sample: int = SAMPLE_VALUES,
    key: bytes | None = None,
) -> list[Finding]:
    """Columns of `schemas` (or of the given (schema, table) list) that hold identifiers.

    By name: any column named like a name, date of birth, postcode or record id (or like an
    identifier column of the source registry) that is not a `_hash`. By content: a sample of each
    column's distinct values, compared with the names, dates of birth, postcodes and record ids
    held in `raw` and `linkage`:
    - text columns: flagged when at least 5 distinct sampled values, and at least half of them,
      are known names or record ids; or postcodes (known or shaped like one);
    - date columns: flagged when at least 90% of sampled distinct values are known dates of birth
      and most predate 2005 (event dates of the justice extracts start in 2011), unless the
      known dates of birth cover `DOB_DENSITY` or more of the days in the sample's range (a
      general-population source, like DWP's CIS, holds a birthday on almost every day: any
      column of dates would match by chance, so content says nothing and the column's name is
      what is checked);
    - with the project `key`, a source's research table is also compared row by row: a column
      of dates (or text dates) that, on a sample of records, is each record's own date of birth
      is flagged, however dense the dates of birth are.
    """
    where = " OR ".join(f"table_schema = '{s}'" for s in schemas) or "false"
    cols = con.execute(f"""
        SELECT table_schema, table_name, column_name, data_type
        FROM information_schema.columns WHERE {where}
        ORDER BY table_schema, table_name, ordinal_position
    """).fetchall()
    if tables is not None:
        wanted = set(tables)
        cols = [c for c in cols if (c[0], c[1]) in wanted]
    registry = _registry_columns()
    findings: list[Finding] = []
    if not cols:
        return findings
    ref = _build_reference(con, tables=len({(c[0], c[1]) for c in cols}))
    if key is not None:
        register_hmac(con, key)
    # known dates of birth so dense that any dates match them by chance (see the docstring)
    lo, hi, n_dobs = con.execute(f"SELECT min(v), max(v), count(*) FROM {ref['dob']}"
                                 ).fetchall()[0]
    dense = bool(n_dobs) and n_dobs / ((hi - lo).days + 1) >= DOB_DENSITY
    by_table: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in cols:
        kind = _kind_by_name(column, registry)
        if kind:
            findings.append(Finding(schema, table, column, kind, "column name",
                                    f"column named like a {kind}"))
        else:
            by_table.setdefault((schema, table), []).append((column, dtype.upper()))
    for (schema, table), columns in by_table.items():  # one query per table and kind of check
        found = _own_dob_findings(con, schema, table, columns, sample) if key is not None else []
        flagged = {f.column for f in found}
        rest = [(c, t) for c, t in columns if c not in flagged]
        found += _date_findings(con, schema, table, [c for c, t in rest if t in _DATE_TYPES],
                                ref, sample)
        found += _text_findings(con, schema, table, [c for c, t in rest if t in _TEXT_TYPES],
                                ref, sample, dense)
        order = {c: i for i, (c, _) in enumerate(columns)}
        findings += sorted(found, key=lambda f: order[f.column])
    for relation in ref.values():
        if relation.startswith("__bold_ref_"):
            con.execute(f"DROP TABLE IF EXISTS {relation}")
    return findings
