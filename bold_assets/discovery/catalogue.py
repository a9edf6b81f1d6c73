"""Data catalogues (BOLD Step B input): one row per variable of every declared source table.

The declared part (name, type, definition, value set with labels, declared coverage, whether the
variable is a personal identifier) comes from the source declarations (`descriptions`, `codes`,
`labels` in `bold_assets/catalog/sources/<module>.py`); the
measured part (rows, missingness, distinct codes, the time span of the table's event dates) from
the landed or generated tables. Identifier columns are described but never summarised beyond
their missingness: a minimum date of birth is a person's date of birth.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

CATALOGUE_COLUMNS = (
    "dataset", "table_name", "variable", "position", "data_type", "definition", "value_set",
    "value_labels", "is_identifier", "wave", "system", "declared_coverage",
)  # fmt: skip
MEASURED_COLUMNS = ("rows", "missing_pct", "distinct_values", "first_event_date",
                    "last_event_date")


def dataset_of(source) -> str:
    """The published dataset a table belongs to (`Source.dataset`, else the name's first word:
    NPD's and PNC's tables share one catalogue)."""
    return getattr(source, "dataset", None) or source.name.split("_")[0]


def _labels_text(labels: dict[str, str]) -> str:
    return "; ".join(f"{code} = {label}" for code, label in labels.items())


def declared_catalogue(sources: Iterable) -> pd.DataFrame:
    """One row per declared variable, in declaration order. Raises when a variable has no
    definition (every declared column must say what it means)."""
    rows, missing = [], []
    for src in sources:
        pii = set(src.pii_columns)
        for pos, (col, dtype) in enumerate(src.columns.items(), start=1):
            text = src.descriptions.get(col)
            if text is None:
                missing.append(f"{src.name}.{col}")
            codes = src.codes.get(col, ())
            labels = dict(src.labels.get(col, {}))
            shown = {c: labels.get(c, "") for c in codes} if codes else labels
            rows.append({
                "dataset": dataset_of(src), "table_name": src.name, "variable": col,
                "position": pos, "data_type": dtype, "definition": text or "",
                "value_set": " | ".join(codes or labels),
                "value_labels": _labels_text({c: lab for c, lab in shown.items() if lab}),
                "is_identifier": col in pii, "wave": int(getattr(src, "wave", 0)),
                "system": src.system,
                "declared_coverage": f"{src.coverage[0]}-{src.coverage[1]}",
            })
    if missing:
        raise ValueError(f"{len(missing)} declared variables have no description in their "
                         f"source's declaration (bold_assets/catalog/sources/): "
                         f"{', '.join(missing[:10])}")
    return pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))


def _measure_table(con: duckdb.DuckDBPyConnection, src, table: str) -> pd.DataFrame:
    """Rows, missingness and distinct codes per column in one pass (no identifier values)."""
    pii = set(src.pii_columns)
    parts = ["count(*)"]
    for col in src.columns:
        parts.append(f'count("{col}")')
        parts.append("NULL" if col in pii else f'approx_count_distinct("{col}")')
    event = src.event_date if src.event_date in src.columns else None
    parts += [f'min("{event}")', f'max("{event}")'] if event else ["NULL", "NULL"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {table}").fetchall()[0]
    n = row[0]
    out = []
    for i, col in enumerate(src.columns):
        filled, distinct = row[1 + 2 * i], row[2 + 2 * i]
        out.append({"table_name": src.name, "variable": col, "rows": n,
                    "missing_pct": round(100 * (1 - filled / n), 2) if n else None,
                    "distinct_values": distinct,
                    "first_event_date": row[-2], "last_event_date": row[-1]})
    return pd.DataFrame(out)


def measured_catalogue(con: duckdb.DuckDBPyConnection, sources: Iterable,
                       schema: str = "raw") -> pd.DataFrame:
    """The declared catalogue with measured figures from `<schema>.<source>` where it exists."""
    sources = list(sources)
    declared = declared_catalogue(sources)
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
        [schema]).fetchall()}
    measured = [_measure_table(con, s, f"{schema}.{s.name}") for s in sources if s.name in present]
    if not measured:
        return declared.assign(**{c: None for c in MEASURED_COLUMNS})
    return declared.merge(pd.concat(measured, ignore_index=True),
                          on=["table_name", "variable"], how="left")


def export(catalogue: pd.DataFrame, folder: Path | str) -> list[Path]:
    """One ODS file per dataset (a sheet per table, as Data First publishes) and one CSV of
    every dataset; returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    csv = folder / "data_catalogue.csv"
    catalogue.to_csv(csv, index=False)
    written.append(csv)
    for dataset, part in catalogue.groupby("dataset", sort=False):
        path = folder / f"{dataset}_data_catalogue.ods"
        with pd.ExcelWriter(path, engine="odf") as writer:
            overview = part.groupby("table_name", sort=False).agg(
                variables=("variable", "count"), system=("system", "first"),
                declared_coverage=("declared_coverage", "first"),
                **({"rows": ("rows", "first"), "first_event_date": ("first_event_date", "first"),
                    "last_event_date": ("last_event_date", "first")}
                   if "rows" in part else {})).reset_index()
            overview.to_excel(writer, sheet_name="tables", index=False)
            for table, rows in part.groupby("table_name", sort=False):
                rows.drop(columns=["dataset", "table_name"]).to_excel(
                    writer, sheet_name=str(table)[:31], index=False)
        written.append(path)
    return written
