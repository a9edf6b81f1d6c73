"""Check a landed extract file before it may replace its raw table.

Every problem is reported as one line that names the file, the column and example rows (file
line numbers for CSV, row numbers for parquet) and says what to do; the first line of the error
is the most basic problem found. Nothing here touches the warehouse: the file is parsed in
Python and checked in an in-memory DuckDB, and only a clean, typed frame is handed back.

What is refused (LandingError): an empty file, a header with no rows, binary content, text that
is not UTF-8, a delimiter other than a comma, rows cut short or with extra fields, a quoted field
never closed, missing or repeated columns, values that do not parse as the column's type, a
missing or repeated record key, codes outside the source's value set, an unreadable parquet
file. What is tolerated with a warning: columns the registry does not know (they are dropped),
event dates outside the source's coverage years, a UTF-8 byte-order mark.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from bold_assets.catalog import Source

N_EXAMPLES = 3
MAGIC = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook?)",
    b"\x1f\x8b": "gzip-compressed data",
    b"PAR1": "a parquet file",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel / Office document",
    b"SQLite format 3": "an SQLite database",
}
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
TYPE_WORDS = {
    "DATE": ("dates", "write them as YYYY-MM-DD"),
    "INTEGER": ("whole numbers", "write digits only"),
    "DOUBLE": ("numbers", "write plain decimals such as 1234.5"),
    "BOOLEAN": ("true/false values", "write true or false"),
}


class LandingError(ValueError):
    """A landed file cannot be used; the message's first line says which, why and what to do."""

    def __init__(self, problems: list[str], table: str | None = None):
        self.problems = problems
        tail = [f"also: {p}" for p in problems[1:]]
        if table:
            tail.append(f"{table} was not replaced: its earlier materialisation is unchanged.")
        super().__init__("\n".join([problems[0], *tail]))


@dataclass
class LandedExtract:
    """A validated extract: typed frame in registry column order, plus warnings."""

    path: Path
    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def _fail(path: Path, what: str, todo: str, table: str) -> LandingError:
    return LandingError([f"{path}: {what}; {todo}."], table)


def _show(value: object, limit: int = 40) -> str:
    if value is None:
        return "(empty)"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# Bytes and text ------------------------------------------------------------------------------


def _check_bytes(path: Path, data: bytes, table: str) -> str:
    """Refuse empty, binary and non-UTF-8 content; return the decoded text."""
    if not data.strip():
        what = "the file is empty (0 bytes)" if not data else "the file holds only blank space"
        raise _fail(path, what, "the export produced nothing: land the complete extract again",
                    table)
    for magic, kind in MAGIC.items():
        if data.startswith(magic):
            raise _fail(path, f"the file is {kind}, not comma-separated text",
                        "export the extract as UTF-8 CSV (or .parquet) and land it again", table)
    head = data[:8192]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1::2].count(0) > len(head) // 4:
        raise _fail(path, "the file is UTF-16 encoded (every other byte is NUL)",
                    "re-save it as UTF-8 CSV and land it again", table)
    control = sum(1 for x in head if x < 32 and x not in (9, 10, 12, 13) or x == 127)
    if control > 0.05 * len(head):
        raise _fail(path, f"the file is binary junk, not text ({control} of the first "
                    f"{len(head)} bytes are control bytes)",
                    "land a clean UTF-8 CSV export of the extract", table)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_no = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        snippet = data[start : exc.start + 10].split(b"\n")[0].decode("utf-8", "replace")
        byte = data[exc.start : exc.start + 1].hex()
        raise _fail(path, f"text is not UTF-8: line {line_no} has byte 0x{byte} "
                    f"({_show(snippet)}), which looks like Windows-1252 / Latin-1",
                    "re-save the file as UTF-8 and land it again", table) from None
    text = text.removeprefix("\ufeff")
    bad = [(i, c) for i, c in enumerate(text[:200_000]) if c == "\x00" or (
        ord(c) < 32 and c not in "\r\n\t")]  # fmt: skip
    if len(bad) > 0:
        pos = bad[0][0]
        line_no = text.count("\n", 0, pos) + 1
        raise _fail(path, f"the file holds binary junk: {len(bad)} control characters, the first "
                    f"on line {line_no} ({_show(text[max(0, pos - 10):pos + 10])})",
                    "land a clean export of the extract", table)
    return text


def _parse_csv(path: Path, text: str, src: Source, table: str) -> tuple[list[str], pa.Table]:
    """Parse CSV text strictly; return the header and an all-text table with `_line`."""
    first = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first]))
    if len(header) == 1 and len(src.columns) > 1:
        found = [name for d, name in OTHER_DELIMITERS.items() if d in first]
        sep = f"separated by {found[0]}" if found else "not comma-separated"
        raise _fail(path, f"the header has one column ({_show(first, 60)}): the file is {sep}",
                    "export it with commas as the delimiter and land it again", table)
    header = [h.strip() for h in header]
    reader = csv.reader(io.StringIO(text), strict=True)
    next(reader)
    n = len(header)
    columns: list[list[str | None]] = [[] for _ in range(n)]
    lines: list[int] = []
    bad: list[tuple[int, int]] = []
    n_bad = 0
    last_line = 1
    try:
        for row in reader:
            start, last_line = last_line + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != n:
                n_bad += 1
                if len(bad) < N_EXAMPLES:
                    bad.append((start, len(row)))
                continue
            lines.append(start)
            for i, v in enumerate(row):
                columns[i].append(v if v.strip() else None)
    except csv.Error as exc:
        raise _fail(path, f"a quoted field opened on line {last_line + 1} is never closed "
                    f"(the CSV parser hit: {exc})", "close the quote (or land a complete "
                    "export) and land it again", table) from None
    if n_bad:
        final_line = text.rstrip("\r\n").count("\n") + 1
        cut = bad[-1][0] == final_line and not text.endswith(("\n", "\r"))
        examples = ", ".join(f"line {ln} has {k}" for ln, k in bad)
        if cut and n_bad == 1:
            raise _fail(path, f"the file ends mid-row: line {bad[-1][0]} has {bad[-1][1]} of "
                        f"{n} fields and no line end", "the transfer was cut short: land the "
                        "complete file again", table)
        raise _fail(path, f"{n_bad} row(s) do not have the header's {n} fields ({examples})",
                    "check for unquoted commas in values or rows cut short, fix and land again",
                    table)
    if not lines:
        raise _fail(path, f"the file has a header but no rows ({n} columns: "
                    f"{_show(', '.join(header[:4]), 50)})",
                    "the export is empty: land the extract with its records", table)
    names = [f"c{i}" for i in range(n)]  # header may repeat names; checked later
    arrays = [pa.array(c, type=pa.string()) for c in columns]
    return header, pa.table([*arrays, pa.array(lines, pa.int64())], names=[*names, "_line"])


def _read_parquet(path: Path, data: bytes, table: str) -> tuple[list[str], pa.Table]:
    import pyarrow.parquet as pq

    if not data:
        raise _fail(path, "the file is empty (0 bytes)", "land the complete extract again", table)
    if not (data.startswith(b"PAR1") and data.endswith(b"PAR1")):
        what = ("the parquet file is truncated (no footer)" if data.startswith(b"PAR1")
                else "the file is not parquet (no PAR1 header)")  # fmt: skip
        raise _fail(path, what, "export the extract again as parquet (or as UTF-8 CSV) and "
                    "land it", table)
    try:
        tbl = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise _fail(path, f"the parquet file cannot be read ({str(exc).splitlines()[0]})",
                    "export the extract again and land it", table) from None
    if tbl.num_rows == 0:
        raise _fail(path, f"the parquet file has no rows ({tbl.num_columns} columns)",
                    "the export is empty: land the extract with its records", table)
    header = [str(c) for c in tbl.column_names]
    names = [f"c{i}" for i in range(len(header))]
    tbl = tbl.rename_columns(names)
    return header, tbl.append_column("_line", pa.array(range(1, tbl.num_rows + 1), pa.int64()))


def integer_value_sets(src: Source) -> dict[str, tuple[int, ...]]:
    """Integer columns whose values form a code list: the item scores and need levels of the
    source's scored sections (OASys), from its quality profile."""
    return src.quality.integer_value_sets() if src.quality else {}


# Columns and values --------------------------------------------------------------------------


def _check_header(path: Path, header: list[str], src: Source, table: str
                  ) -> tuple[dict[str, str], list[str]]:  # fmt: skip
    """Map registry columns to positional names; return (mapping, warnings)."""
    problems: list[str] = []
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        problems.append(f"{path}: column(s) {', '.join(dupes)} appear more than once in the "
                        "header; keep one of each and land again")
    missing = [c for c in src.columns if c not in header]
    extra = [h for h in header if h not in src.columns]
    if missing:
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, extra, n=1, cutoff=0.75) or \
                difflib.get_close_matches(m.lower(), [e.lower() for e in extra], n=1, cutoff=0.9)
            if close:
                hints.append(f"{close[0]!r} -> {m!r}?")
        hint = f" (rename {'; '.join(hints)})" if hints else ""
        problems.append(f"{path}: missing required column(s) {', '.join(missing)}{hint}; "
                        f"the file has {len(header)} columns ({_show(', '.join(header[:6]), 70)})"
                        f"; add or rename the columns as in the {src.title} extract layout and "
                        "land again")
    if problems:
        raise LandingError(problems, table)
    warnings = []
    if extra:
        warnings.append(f"{path}: extra column(s) {', '.join(extra)} are not in the {src.name} "
                        "layout and were dropped")
    return {c: f"c{header.index(c)}" for c in src.columns}, warnings


def _examples(con: duckdb.DuckDBPyConnection, where: str, col: str, unit: str) -> tuple[int, str]:
    n = con.execute(f"SELECT count(*) FROM landed WHERE {where}").fetchall()[0][0]
    rows = con.execute(
        f"SELECT _line, {col} FROM landed WHERE {where} ORDER BY _line LIMIT {N_EXAMPLES}"
    ).fetchall()
    return n, ", ".join(f"{unit} {ln}: {_show(v)}" for ln, v in rows)


def _check_values(con: duckdb.DuckDBPyConnection, path: Path, src: Source, cols: dict[str, str],
                  unit: str) -> tuple[list[str], list[str]]:  # fmt: skip
    problems: list[str] = []
    warnings: list[str] = []
    for name, typ in src.columns.items():
        c = cols[name]
        text = f"trim(CAST({c} AS VARCHAR))"
        if typ == "INTEGER":
            bad = f"{c} IS NOT NULL AND NOT regexp_matches({text}, '^[+-]?[0-9]+(\\.0+)?$')"
        elif typ == "VARCHAR":
            continue
        else:
            bad = f"{c} IS NOT NULL AND TRY_CAST({text} AS {typ}) IS NULL"
        n, ex = _examples(con, bad, c, unit)
        if n:
            words, todo = TYPE_WORDS.get(typ, (typ, f"write {typ} values"))
            problems.append(f"{path}: column {name}: {n} value(s) are not {words}, e.g. {ex}; "
                            f"{todo} and land again")
    key = cols[src.key]
    n, ex = _examples(con, f"{key} IS NULL", key, unit)
    if n:
        problems.append(f"{path}: column {src.key}: {n} row(s) have no record key, e.g. {ex}; "
                        "every row needs its key: fix the export and land again")
    dup = con.execute(
        f"SELECT {key}, list(_line ORDER BY _line)[:{N_EXAMPLES}], count(*) FROM landed "
        f"WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1 ORDER BY min(_line)"
    ).fetchall()
    if dup:
        ex = "; ".join(f"{_show(k)} on {unit}s {', '.join(map(str, ls))}" for k, ls, _ in
                       dup[:N_EXAMPLES])  # fmt: skip
        problems.append(f"{path}: column {src.key}: {len(dup)} key value(s) appear on more than "
                        f"one row, e.g. {ex}; the key must be unique: remove the duplicate rows "
                        "(or fix the keys) and land again")
    for name, values in src.codes.items():
        c = cols[name]
        allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
        n, ex = _examples(con, f"{c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({allowed})",
                          c, unit)
        if n:
            shown = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
            problems.append(f"{path}: column {name}: {n} value(s) outside the code list "
                            f"({shown}), e.g. {ex}; map them to {src.system} codes and land "
                            "again")
    for name, values in integer_value_sets(src).items():
        if any(p.startswith(f"{path}: column {name}:") for p in problems):
            continue  # already reported as not a whole number
        c = cols[name]
        n, ex = _examples(con, f"{c} IS NOT NULL AND TRY_CAST(trim(CAST({c} AS VARCHAR)) AS "
                          f"DOUBLE) NOT IN ({', '.join(map(str, values))})", c, unit)
        if n:
            problems.append(f"{path}: column {name}: {n} value(s) outside the scores "
                            f"{', '.join(map(str, values))}, e.g. {ex}; correct the scores and "
                            "land again")
    y0, y1 = src.coverage
    ev = cols[src.event_date]
    n, ex = _examples(con, f"year(TRY_CAST(trim(CAST({ev} AS VARCHAR)) AS DATE)) "
                      f"NOT BETWEEN {y0} AND {y1}", ev, unit)  # fmt: skip
    if n:
        warnings.append(f"{path}: column {src.event_date}: {n} date(s) outside the coverage "
                        f"{y0}-{y1}, e.g. {ex}")
    return problems, warnings


def validate_extract(path: Path | str, src: Source) -> LandedExtract:
    """Parse and check a landed `<source>.csv` / `.parquet`; raise LandingError if unusable."""
    path = Path(path)
    table = f"raw.{src.name}"
    data = path.read_bytes()
    if path.suffix.lower() == ".parquet":
        header, tbl = _read_parquet(path, data, table)
        unit = "row"
    else:
        text = _check_bytes(path, data, table)
        header, tbl = _parse_csv(path, text, src, table)
        unit = "line"
    cols, warnings = _check_header(path, header, src, table)
    if data.startswith(b"\xef\xbb\xbf"):
        warnings.append(f"{path}: starts with a UTF-8 byte-order mark (ignored)")
    con = duckdb.connect()
    try:
        con.register("landed_file", tbl)
        # Every value as text, blank -> NULL, so CSV and parquet are checked and cast alike.
        text_cols = ", ".join(
            f"CASE WHEN trim(CAST({c} AS VARCHAR)) = '' THEN NULL ELSE CAST({c} AS VARCHAR) END "
            f"AS {c}" for c in tbl.column_names if c != "_line"
        )  # fmt: skip
        con.execute(f"CREATE TEMP TABLE landed AS SELECT {text_cols}, _line FROM landed_file")
        problems, value_warnings = _check_values(con, path, src, cols, unit)
        if problems:
            raise LandingError(problems, table)
        select = ", ".join(
            f'CAST(trim(CAST({cols[c]} AS VARCHAR)) AS {t}) AS "{c}"' if t != "VARCHAR"
            else f'CAST({cols[c]} AS VARCHAR) AS "{c}"'
            for c, t in src.columns.items()
        )  # fmt: skip
        frame = con.execute(f"SELECT {select} FROM landed ORDER BY _line").df()
    finally:
        con.close()
    return LandedExtract(path=path, frame=frame, warnings=warnings + value_warnings)
