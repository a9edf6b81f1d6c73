"""What the UI shows of the warehouse: table metadata, layer labels, and no identifier values.

Dagster's storage and UI are read by everyone with access to the instance, so they are outside the
identifier zone (`raw`, `truth`, `linkage`). Previews of identifier-zone tables, and any example
value a check reports from them, mask the identifier columns: the column a value came from is
judged with the source registry (`bold_assets.sources`, via `bold_assets.pseudonymise`) and,
in these schemas, by name (names, dates of birth, postcodes, record and cluster ids).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from bold_assets import pseudonymise as ps

IDENTIFIER_ZONE = ("raw", "truth", "linkage")
# Column-name words that, inside the identifier zone, mark a column to mask (on top of the
# registry's identifier columns): std_* name / dob / postcode parts, record, case and cluster ids.
_ZONE_WORDS = re.compile(r"name|forename|surname|_dm$|dob|birth|postcode|post_code|address|"
                         r"(^|_)id($|_)|_id$|record|unique_id|cluster|case_number|nhs|pnc|"
                         r"nino|ni_?number|(^|_)upn($|_)")
# Layer of each schema, shown first in each asset's description (the lineage shows only the
# last part of an asset key, so raw/mags and research/mags both read "mags" without it).
LAYERS = {
    "raw": "Raw extract (identifier zone)",
    "truth": "Synthetic ground truth (identifier zone, evaluation only)",
    "reference": "Reference geography",
    "linkage": "Linkage (identifier zone)",
    "research": "Research (de-identified)",
    "marts": "dbt mart (de-identified)",
    "dbt_staging": "dbt staging view (de-identified)",
    "dbt_intermediate": "dbt intermediate (de-identified)",
    "outputs": "Safe output (disclosure-controlled)",
    "evaluation": "Evaluation against truth",
    "discovery": "Discovery catalogue (no identifier values)",
}
GROUP_BY_SCHEMA = {"truth": "truth", "reference": "reference"}


def is_identifier_column(schema: str, column: str) -> bool:
    """True when values of `schema`.`column` must not be shown outside the warehouse."""
    col = column.lower()
    if schema not in IDENTIFIER_ZONE:
        # reference geography holds postcodes: not personal, but shown masked all the same
        return schema == "reference" and ps._kind_by_name(col, ps._registry_columns()) is not None
    if ps._kind_by_name(col, ps._registry_columns()):
        return True
    return bool(_ZONE_WORDS.search(col))


def masked(value: Any) -> str:
    """A value shown without showing it."""
    if value is None:
        return "null"
    return f"[masked, {len(str(value))} chars]"


def mask_frame(frame: pd.DataFrame, schema: str) -> pd.DataFrame:
    """`frame` with every identifier column's values masked (when `schema` is identifier zone)."""
    out = frame.copy()
    for c in out.columns:
        if is_identifier_column(schema, str(c)):
            out[c] = out[c].map(masked).astype(object)
    return out


def mask_examples(examples: Sequence[Any], schema: str, column: str | None) -> list[Any]:
    """Check examples without identifier values: scalars of an identifier `column`, and the
    identifier fields of example rows (dicts), are masked."""
    out: list[Any] = []
    for x in examples:
        if isinstance(x, dict):
            out.append({k: masked(v) if is_identifier_column(schema, str(k)) else v
                        for k, v in x.items()})
        elif column is not None and is_identifier_column(schema, column):
            out.append(masked(x))
        else:
            out.append(x)
    return out


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(frame: pd.DataFrame) -> dg.MetadataValue:
    """A markdown table whose cells cannot break it (`|` escaped, newlines flattened)."""
    shown = frame.copy()
    shown.columns = [_cell(c) for c in shown.columns]
    for c in shown.columns:
        if shown[c].dtype == object:
            shown[c] = shown[c].map(lambda v: v if v is None else _cell(v))
    return dg.MetadataValue.md(shown.to_markdown(index=False))


def column_schema(con: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    """The column names and DuckDB types of warehouse table `schema.table`."""
    rel = con.sql(f"SELECT * FROM {table} LIMIT 0")
    return dg.TableSchema(columns=[dg.TableColumn(n, str(t))
                                   for n, t in zip(rel.columns, rel.types, strict=True)])


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5) -> dict:
    """Row count, column schema and the first rows of warehouse table `schema.table`; in the
    identifier zone the preview masks identifier columns."""
    schema = table.split(".")[0]
    head = con.sql(f"SELECT * FROM {table} LIMIT {preview_rows}").df()
    md: dict[str, Any] = {
        "dagster/row_count": con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0],
        "dagster/column_schema": column_schema(con, table),
    }
    if schema in (*IDENTIFIER_ZONE, "reference"):
        hidden = [c for c in head.columns if is_identifier_column(schema, str(c))]
        md["preview"] = md_table(mask_frame(head, schema))
        md["masked_columns"] = dg.MetadataValue.json(hidden)
    else:
        md["preview"] = md_table(head)
    return md


def _labelled(spec: dg.AssetSpec) -> dg.AssetSpec:
    schema = spec.key.path[0]
    layer = LAYERS.get(schema)
    description = spec.description or ""
    if layer and not description.startswith(layer):
        description = f"{layer}: {description}"
    group = GROUP_BY_SCHEMA.get(schema, spec.group_name)
    return spec.replace_attributes(description=description, group_name=group)


def present(assets: Sequence[Any]) -> list[Any]:
    """Asset definitions as the UI shows them: each description starts with its layer, and
    truth / reference tables sit in their own groups."""
    out = []
    for a in assets:
        if isinstance(a, dg.AssetsDefinition) and a.is_executable:
            out.append(a.map_asset_specs(_labelled))
        else:
            out.append(a)
    return out
