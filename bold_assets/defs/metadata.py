"""What the UI shows of the warehouse: table metadata, layer labels, and no identifier values.

Dagster's storage and UI are read by everyone with access to the instance, so they are outside the
identifier zone (`raw`, `truth`, `linkage`). Previews of identifier-zone tables, and any example
value a check reports from them, mask the identifier columns: the column a value came from is
judged with the source registry (`bold_assets.sources`, via `bold_assets.pseudonymise`) and,
in these schemas, by name (names, dates of birth, postcodes, record and cluster ids).

Every column schema carries each column's description (`bold_assets.columns`); previews show one
null marker (`null`) and dates as dates, and a research preview is a fixed sample, not the first
rows (which the raw preview shows). Each asset carries search tags: `need/<register id>` for the
needs it holds and `source/<name>` for the sources it comes from (`search_tags`), so a catalog
search for "accommodation" or "oasys" finds them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from bold_assets import columns
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
# The one null marker of every preview cell (a masked null too).
NULL = "null"
# Schemas whose previews are a sample (rows ordered by a hash of their values), not the first
# rows: research tables hold the raw rows in the same order, and raw previews show the first.
SAMPLED_SCHEMAS = ("research",)
# Search tags (catalog search matches tag names): `need/<register id>` for each need a table
# holds, `source/<source>` for each declared source it comes from or describes.
NEED_TAG, SOURCE_TAG = "need/", "source/"


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
    if _is_null(value):
        return NULL
    return f"[masked, {len(shown(value))} chars]"


def _is_null(value: Any) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (
        isinstance(value, float) and math.isnan(value))


def shown(value: Any) -> str:
    """A preview cell: `null` for any null, dates as dates (a timestamp at midnight too)."""
    if _is_null(value):
        return NULL
    if isinstance(value, dt.datetime):  # pandas Timestamps too
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# What a message from a library (a warning, an error) may quote of the data: quoted text, long
# digit runs, dates and postcodes. `mask_message` hides them before the message is logged.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DATA_LIKE = re.compile(r"\b\d{4}[-/]\d{1,2}[-/]\d{1,2}\b|\b\d{1,2}[-/]\d{1,2}[-/]\d{2,4}\b|"
                        r"\b\d{6,}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")


def mask_message(text: str) -> str:
    """`text` (one line) with what it may quote of the data masked: quoted strings, dates, long
    numbers and postcodes (a library's warning about a table may name a value)."""
    first = text.splitlines()[0] if text else ""
    return _DATA_LIKE.sub("…", _QUOTED.sub("'…'", first))


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
    return shown(value).replace("|", "\\|").replace("\n", " ")


def md_table(frame: pd.DataFrame) -> dg.MetadataValue:
    """A markdown table whose cells cannot break it (`|` escaped, newlines flattened), every
    cell as `shown` (one null marker, dates as dates) and as it is (no number parsing: a code
    "01" stays "01")."""
    cells = pd.DataFrame({_cell(c): [_cell(v) for v in frame[c]] for c in frame.columns},
                         columns=[_cell(c) for c in frame.columns], dtype=object)
    return dg.MetadataValue.md(cells.to_markdown(index=False, disable_numparse=True))


def _schema_and_table(table: str) -> tuple[str, str]:
    schema, _, name = table.partition(".")
    return schema.strip('"'), name.strip('"')


def column_schema(con: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    """The column names, DuckDB types and descriptions (`bold_assets.columns.describe`) of
    warehouse table `schema.table`."""
    schema, name = _schema_and_table(table)
    rel = con.sql(f"SELECT * FROM {table} LIMIT 0")
    return dg.TableSchema(columns=[
        dg.TableColumn(n, str(t), description=columns.describe(schema, name, n))
        for n, t in zip(rel.columns, rel.types, strict=True)])


def preview_frame(con: duckdb.DuckDBPyConnection, table: str, rows: int = 5) -> pd.DataFrame:
    """Rows of `schema.table` for a preview, values as DuckDB gives them (dates as dates, no
    float for a null integer): the first rows, or in `SAMPLED_SCHEMAS` a fixed sample (ordered
    by a hash of the row), so a research preview is not the raw preview's rows in its order."""
    schema, _ = _schema_and_table(table)
    order = ""
    if schema in SAMPLED_SCHEMAS:
        cols = con.sql(f"SELECT * FROM {table} LIMIT 0").columns
        order = " ORDER BY hash(" + ", ".join('"' + c.replace('"', '""') + '"'
                                               for c in cols) + ")"
    rel = con.sql(f"SELECT * FROM {table}{order} LIMIT {int(rows)}")
    return pd.DataFrame(rel.fetchall(), columns=rel.columns, dtype=object)


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5) -> dict:
    """Row count, column schema and a preview of warehouse table `schema.table` (`preview_frame`);
    in the identifier zone the preview masks identifier columns."""
    schema, _ = _schema_and_table(table)
    head = preview_frame(con, table, preview_rows)
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


def search_tags(path: Sequence[str]) -> dict[str, str]:
    """The search tags of the table at asset key `path` (schema, table): `need/<register id>`
    for each need it holds (`columns.table_needs`), `source/<name>` for each source it comes
    from or describes (`columns.table_sources`)."""
    if len(path) != 2:
        return {}
    schema, table = path
    return {**{f"{NEED_TAG}{m}": "" for m in columns.table_needs(schema, table)},
            **{f"{SOURCE_TAG}{s}": "" for s in columns.table_sources(schema, table)}}


def described(schema_value: Any, path: Sequence[str]) -> Any:
    """A definition's column schema with each column lacking a description described
    (`columns.describe`); anything else as it is."""
    table = schema_value.schema if isinstance(schema_value, dg.TableSchemaMetadataValue) \
        else schema_value
    if not isinstance(table, dg.TableSchema) or len(path) != 2:
        return schema_value
    return dg.TableSchema(
        columns=[c if c.description else dg.TableColumn(
            c.name, c.type, description=columns.describe(*path, c.name),
            constraints=c.constraints, tags=c.tags) for c in table.columns],
        constraints=table.constraints)


def _labelled(spec: dg.AssetSpec) -> dg.AssetSpec:
    schema = spec.key.path[0]
    layer = LAYERS.get(schema)
    description = spec.description or ""
    if layer and not description.startswith(layer):
        description = f"{layer}: {description}"
    group = GROUP_BY_SCHEMA.get(schema, spec.group_name)
    key = "dagster/column_schema"
    metadata = ({key: described(spec.metadata[key], spec.key.path)} if key in spec.metadata
                else {})
    return spec.replace_attributes(description=description, group_name=group).merge_attributes(
        tags=search_tags(spec.key.path), metadata=metadata)


def present(assets: Sequence[Any]) -> list[Any]:
    """Asset definitions as the UI shows them: each description starts with its layer, truth /
    reference tables sit in their own groups, each asset carries its search tags, and a column
    schema from the definition (dbt's YAML) has every column described."""
    out = []
    for a in assets:
        if isinstance(a, dg.AssetsDefinition) and a.is_executable:
            out.append(a.map_asset_specs(_labelled))
        else:
            out.append(a)
    return out
