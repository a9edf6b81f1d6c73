"""Scan files outside the warehouse (Dagster's storage, logs) for personal identifiers.

Dagster's run and event storage, compute logs and the UI are read by everyone with access to the
instance, so they are outside the identifier zone. `sample_identifiers` draws values from the
identifier columns the source registry declares (`bold_assets.sources`: names, dates of birth as
each source writes them, postcodes) in the `raw` tables; `scan_files` looks for them, as whole
words, in every file under a folder (SQLite databases included: Dagster stores event text as is).

    python -m bold_assets.storage_scan "$DAGSTER_HOME"     # uses BOLD_WAREHOUSE
"""

from __future__ import annotations

import os
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bold_assets.sources import SOURCES

_TOKEN = re.compile(r"[A-Za-z0-9]+")
MIN_NAME_LENGTH = 4  # shorter names ("LEE", "ALI") are too often parts of ordinary words
_PACKAGE = Path(__file__).resolve().parent


def vocabulary() -> set[str]:
    """Words the pipeline itself writes (code, suites, dbt models, Dagster's event names): a
    sampled name that is one of them ("White" as an ethnic group, "START" in STEP_START) says
    nothing about a leak, so it is not looked for."""
    from dagster._core.events import DagsterEventType

    words = {w for t in DagsterEventType for w in t.value.split("_")}
    roots = [_PACKAGE, _PACKAGE.parent / "expectations", _PACKAGE.parent / "dbt_project"]
    for root in roots:
        # never into dbt's target folder: a dbt run (another process) makes and removes its run
        # folders there while this walks, and a folder gone mid-walk failed the scan
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = [d for d in subfolders if d != "target"]
            for name in files:
                f = Path(folder, name)
                if f.suffix not in (".py", ".json", ".sql", ".yml", ".csv"):
                    continue
                if f.parent.name == "data" and f.suffix == ".csv":
                    continue  # the name pools of the synthetic world are what we look for
                try:
                    words.update(re.findall(r"[A-Za-z]+", f.read_text(errors="ignore")))
                except FileNotFoundError:  # removed since the folder was listed
                    continue
    return words


@dataclass(frozen=True)
class Hit:
    file: str
    kind: str
    masked: str  # the value masked, never the value itself


def mask(value: object) -> str:
    """A value shown without showing it: first character, stars, length."""
    text = "" if value is None else str(value)
    return f"{text[:1]}{'*' * max(len(text) - 1, 0)} ({len(text)} chars)" if text else ""


def identifier_columns() -> dict[str, dict[str, str]]:
    """Per source, raw identifier column -> kind (name | dob | postcode | national_id), from the
    registry."""
    cols: dict[str, dict[str, str]] = {}
    for s in SOURCES.values():
        ident = s.identifiers
        kinds = {c: "name" for c in (ident.forename, ident.middle_name, ident.surname,
                                     ident.full_name) if c}  # fmt: skip
        if ident.dob:
            kinds[ident.dob] = "dob"
        if ident.postcode:
            kinds[ident.postcode] = "postcode"
        kinds.update({c: "national_id" for c in ident.national_ids.values()})
        cols[s.name] = kinds
    return cols


def sample_identifiers(con: duckdb.DuckDBPyConnection, per_column: int = 100,
                       seed: int = 1) -> dict[str, set[str]]:
    """Distinct identifier values sampled from each raw table, by kind, as the source wrote them
    (full names and their parts; dates of birth in the source's own format)."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()}
    out: dict[str, set[str]] = {"name": set(), "dob": set(), "postcode": set(),
                                "national_id": set()}
    common = vocabulary() | event_dates(con, existing)
    for source, kinds in identifier_columns().items():
        if source not in existing:
            continue
        for column, kind in kinds.items():
            rows = con.execute(f"""
                SELECT v FROM (SELECT DISTINCT trim(CAST("{column}" AS VARCHAR)) AS v
                               FROM raw."{source}" WHERE "{column}" IS NOT NULL) d
                WHERE length(v) >= {MIN_NAME_LENGTH if kind == 'name' else 5}
                ORDER BY hash(v || '{seed}') LIMIT {per_column}
            """).fetchall()
            for (v,) in rows:
                parts = [v]
                if kind == "name" and " " in v:  # full names: their longest part too
                    parts.append(max(v.split(), key=len))
                if kind == "national_id":  # and as standardised (a NINO without its suffix)
                    parts.append("".join(ch for ch in v.upper() if ch.isalnum())[:8])
                out[kind].update(p for p in parts if p not in common
                                 and (kind != "name" or len(p) >= MIN_NAME_LENGTH)
                                 and not (kind == "name" and _all_common(p, common)))
    return out


def _all_common(value: str, common: set[str]) -> bool:
    """True when `value` is one word the pipeline writes itself with stray punctuation: a messy
    name such as "White," (the ethnic group word and a comma) says nothing when found in a
    description. A name of several words ("Mark White") is still looked for."""
    words = _TOKEN.findall(value)
    return len(words) == 1 and words[0] in common


def event_dates(con: duckdb.DuckDBPyConnection, tables: set[str]) -> set[str]:
    """Every event date of the raw tables and every snapshot date, as ISO text (dates, not
    identifiers): a date of birth written the same way cannot be told from one of them in a log,
    so it is not looked for (a general population has births on every day of the covered
    years)."""
    parts = [f'SELECT CAST("{c}" AS VARCHAR) AS v FROM raw."{s.name}"'
             for s in SOURCES.values() if s.name in tables for c in s.date_columns]
    snapshots = {("raw", "extract_snapshot"), ("linkage", "person_ids_history")}
    present = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall())
    parts += [f"SELECT CAST(snapshot_date AS VARCHAR) FROM {schema}.{table}"
              for schema, table in sorted(snapshots & present)]
    if not parts:
        return set()
    return {r[0] for r in con.execute(
        f"SELECT DISTINCT v FROM ({' UNION ALL '.join(parts)}) WHERE v IS NOT NULL").fetchall()}


def scan_text(text: str, values: dict[str, set[str]], where: str = "text") -> list[Hit]:
    """Every identifier of `values` found in `text`, as a whole word, case-sensitively.

    The text's alphanumeric tokens are collected once: a one-token value is found when it is a
    token. Values of several tokens ("12/03/1990", "MARY ANN") are found by shape: one pass per
    separator pattern collects every whole-word run of that shape, and the values among them are
    hits, so a scan of a large event store stays one pass per shape, not one per value.
    """
    tokens = set(_TOKEN.findall(text))
    hits = []
    by_shape: dict[str, set[str]] = {}
    for kind, vs in values.items():
        for v in sorted(vs):
            parts = _TOKEN.findall(v)
            if not parts or not all(p in tokens for p in parts):
                continue
            if len(parts) == 1 and parts[0] == v:
                hits.append(Hit(where, kind, mask(v)))
            else:
                by_shape.setdefault(_TOKEN.sub("\x00", v), set()).add(v)
    found: set[str] = set()
    for shape, group in by_shape.items():
        body = "[A-Za-z0-9]+".join(re.escape(sep) for sep in shape.split("\x00"))
        runs = re.findall(f"(?<![A-Za-z0-9])(?=({body})(?![A-Za-z0-9]))", text)
        found |= group.intersection(runs)
    hits += [Hit(where, kind, mask(v)) for kind, vs in values.items() for v in sorted(vs)
             if v in found]
    return hits


def file_text(path: Path) -> str:
    """A file's text; for a SQLite database (Dagster's run and event storage) the text of every
    cell, so that a word split across database pages (e.g. "Mark" + page bytes + "down" in
    MarkdownMetadataEntryData) is read whole, as Dagster and the UI read it."""
    data = path.read_bytes()
    if not data.startswith(b"SQLite format 3\x00"):
        return data.decode("latin-1")
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cells = []
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                cells += [_blob_text(c) if isinstance(c, bytes) else str(c) for c in row
                          if c is not None]
        return "\n".join(cells)
    finally:
        con.close()


def _blob_text(blob: bytes) -> str:
    """A database blob's text: Dagster stores job and run snapshots zlib-compressed, so those
    are read decompressed (their content is what the UI shows; the compressed bytes are noise in
    which a four-letter "name" turns up by chance)."""
    try:
        return zlib.decompress(blob).decode("utf-8", errors="replace")
    except zlib.error:
        return blob.decode("latin-1")


def scan_files(root: Path | str, values: dict[str, set[str]]) -> list[Hit]:
    """Every (file, identifier) found under `root` (see `scan_text`)."""
    hits: list[Hit] = []
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            hits += scan_text(file_text(path), values, str(path))
    return hits


def main(argv: list[str] | None = None) -> int:
    from bold_assets.settings import get_settings

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bold_assets.storage_scan DAGSTER_HOME", file=sys.stderr)
        return 2
    with duckdb.connect(str(get_settings().warehouse), read_only=True) as con:
        values = sample_identifiers(con)
    hits = scan_files(args[0], values)
    n = sum(len(v) for v in values.values())
    print(f"sampled {n} identifier values from raw; found {len(hits)} in files under {args[0]}")
    for h in hits[:20]:
        print(f"  {h.kind} {h.masked} in {h.file}")
    return 1 if hits else 0


if __name__ == "__main__":
    raise SystemExit(main())
