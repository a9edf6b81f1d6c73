"""Checksums of the published tables (`outputs.*`), for the regression test that optimisations
leave them byte for byte the same.

Regenerate the stored snapshot (only when a change to the outputs is intended, and say so in the
commit), from the repository root:

    PYTHONPATH=$PWD .venv/bin/python tests/outputs_snapshot.py --write

It materialises every asset at the test population and seed (tests/conftest.py) in a temporary
warehouse and writes tests/data/outputs_checksums.json (of wave 0's tables). The stored file was
last regenerated for issue 23 (the world's names follow England and Wales, the clusters are
guarded against chaining, name-only family/civil records are scored), with outputs code
unchanged since; then for `needs_estimates_wave_0` alone (every other table the same), when
records with no date of birth were first compared with the records of their name
(`comparisons.blocking_rules_for`): the clusters stayed as they were, and the estimates draw
from the pairs now scored; and for `needs_estimates_wave_0` alone again when the estimates of
validated measures stopped counting the people who died before the validating wave's snapshot
(`estimator.counted`); and for it alone once more when the estimates drew only the persons
linkage may have built wrongly (`reading.read_inputs`) and published their bounds rounded outward;
and again when the bounds went, as every published count does, to the nearest multiple of 5
(`publishing.protect_estimates`).

Columns added to the tables since (`ADDED_COLUMNS`) leave the stored checksums as they are: the
stored columns are still checked byte for byte, in the stored row order, and each added column
is checked for its declared type and for the one value every row of the stored tables (wave 0's)
must hold. A column neither stored nor declared there fails the test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import duckdb

SNAPSHOT = Path(__file__).resolve().parent / "data" / "outputs_checksums.json"
# Column added after the stored checksums -> (DuckDB type, the value of every row of wave 0).
ADDED_COLUMNS: dict[str, tuple[str, object]] = {
    # bold_assets.coverage_gaps: no wave-0 measure rests on councils' returns
    "coverage": ("VARCHAR", "covered"),  # the published tables and their history
    "not_covered": ("BIGINT", 0),  # the disclosure report: cells not covered per table
}


def is_wave_0(table: str) -> bool:
    """The stored tables are wave 0's; later waves' come from the same factories."""
    return table.endswith("_wave_0") or "_wave_0_" in table


def outputs_checksums(con: duckdb.DuckDBPyConnection,
                      columns: dict[str, list[str]] | None = None) -> dict[str, dict]:
    """Per table of schema `outputs`: columns with types, row count and a SHA-256 of every value
    in stored row order (floats by repr, so any change of value or order shows). `columns`:
    per table, only these columns, in this order (the stored ones); every column otherwise."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'outputs' "
        "ORDER BY table_name").fetchall()]
    out = {}
    for t in tables:
        names = (columns or {}).get(t)
        select = ", ".join(f'"{c}"' for c in names) if names else "*"
        cur = con.execute(f"SELECT {select} FROM outputs.{t}")
        cols = [[d[0], str(d[1])] for d in cur.description]
        rows = cur.fetchall()
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        out[t] = {"columns": cols, "rows": len(rows), "sha256": digest}
    return out


def added_columns(con: duckdb.DuckDBPyConnection, table: str, stored: list[str]
                  ) -> tuple[list[str], dict[str, tuple[str, list]]]:
    """`outputs.<table>`'s columns that are not in `stored`: (every column but those, in table
    order; per added column its type and distinct values)."""
    described = con.execute(f"DESCRIBE outputs.{table}").fetchall()
    kept = [r[0] for r in described if r[0] in stored]
    added = {}
    for name, typ, *_ in described:
        if name not in stored:
            values = [r[0] for r in con.execute(
                f'SELECT DISTINCT "{name}" FROM outputs.{table} ORDER BY ALL').fetchall()]
            added[name] = (str(typ), values)
    return kept, added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {SNAPSHOT}")
    parser.add_argument("--warehouse", help="use this materialised warehouse instead")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args.warehouse:
        path = Path(args.warehouse)
    else:
        from tests.conftest import materialize

        path = Path(tempfile.mkdtemp(prefix="bold-snapshot-")) / "bold.duckdb"
        materialize(path, BOLD_LANDING_DIR=None)
    with duckdb.connect(str(path), read_only=True) as con:
        sums = {t: v for t, v in outputs_checksums(con).items() if is_wave_0(t)}
    text = json.dumps(sums, indent=1, sort_keys=True) + "\n"
    if args.write:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
