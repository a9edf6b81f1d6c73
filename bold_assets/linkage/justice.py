"""Wave 0 glue: the seven Data First sources through the linkage core, warehouse in and out.

Plain functions over a warehouse connection (no dagster): the Dagster assets in
`bold_assets.defs.wave_0.linkage` call them, and so does the benchmark.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bold_assets import warehouse as wh
from bold_assets.linkage import models as mdl
from bold_assets.linkage.core import (
    PAIR_COLUMNS,
    THRESHOLDS,
    LinkageSession,
)
from bold_assets.linkage.engine import DuckDBEngine
from bold_assets.linkage.standardise import STD_COLUMNS, RecordSpec, standardise_sql
from bold_assets.linkage.standardise import register_functions as _register
from bold_assets.sources import (
    CRIMINAL_SOURCES,
    WAVE_0_SOURCES,
    WEAK_SOURCES,
    Source,
    get_source,
)

PLANS: list[mdl.ModelPlan] = mdl.justice_plans(CRIMINAL_SOURCES, WEAK_SOURCES)
PLANS_BY_NAME = {p.name: p for p in PLANS}


def std_table(source: str) -> str:
    return f"linkage.std_{source}"


def standardise_source(con: duckdb.DuckDBPyConnection, source: str | Source, *,
                       incremental: bool = True) -> int:
    """Write `linkage.std_<source>` from `raw.<source>`; returns the row count. `source`: a
    registered source's name, or a declared `Source`.

    Incremental (a refresh): only the raw rows that are new or changed since the last
    standardisation are standardised again, and rows gone from the raw table leave; the rest
    are kept as they are. A row is known by its key and a fingerprint of all its columns
    (`linkage.std_fingerprints`); every row is standardised afresh when there is no earlier
    table, or the standardising SQL or the postcode lookup changed since (the `version`), or
    `incremental=False`. Either way the result equals a full standardisation (row order aside).
    """
    src = source if isinstance(source, Source) else get_source(source)
    _register(con)
    lookup = "reference.postcodes" if wh.table_exists(con, "reference", "postcodes") else None
    spec = RecordSpec.from_source(src)
    raw = f"raw.{src.name}"
    full_sql = standardise_sql(spec, raw, lookup)
    version = _std_version(con, full_sql, lookup)
    rows = (f'SELECT \'{src.name}\' AS source_dataset, CAST("{src.key}" AS VARCHAR) AS '
            f"record_id, md5(CAST(to_json(r) AS VARCHAR)) AS fingerprint FROM {raw} AS r")
    if not (incremental and _std_is_current(con, src.name, version)):
        n = wh.replace_table(con, "linkage", f"std_{src.name}", full_sql)
        _write_fingerprints(con, src.name, rows, version)
        return n
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __bold_std_changed AS
        WITH now AS ({rows}),
        before AS (SELECT record_id, fingerprint FROM linkage.std_fingerprints
                   WHERE source_dataset = '{src.name}')
        SELECT record_id FROM (SELECT record_id, fingerprint FROM now EXCEPT
                               SELECT record_id, fingerprint FROM before)
        UNION SELECT record_id FROM (SELECT record_id FROM before EXCEPT
                                     SELECT record_id FROM now)""")
    if con.execute("SELECT count(*) FROM __bold_std_changed").fetchall()[0][0]:
        changed = (f'(SELECT * FROM {raw} WHERE CAST("{src.key}" AS VARCHAR) IN '
                   "(SELECT record_id FROM __bold_std_changed))")
        with wh.transaction(con):
            con.execute(f"DELETE FROM linkage.std_{src.name} WHERE record_id IN "
                        "(SELECT record_id FROM __bold_std_changed)")
            con.execute(f"INSERT INTO linkage.std_{src.name} BY NAME "
                        f"{standardise_sql(spec, changed, lookup)}")
            con.execute(f"DELETE FROM linkage.std_fingerprints WHERE source_dataset = "
                        f"'{src.name}' AND record_id IN (SELECT record_id FROM "
                        "__bold_std_changed)")
            con.execute(f"INSERT INTO linkage.std_fingerprints SELECT *, '{version}' AS version "
                        f"FROM ({rows}) WHERE record_id IN (SELECT record_id FROM "
                        "__bold_std_changed)")
    con.execute("DROP TABLE IF EXISTS __bold_std_changed").fetchall()
    return con.execute(f"SELECT count(*) FROM linkage.std_{src.name}").fetchall()[0][0]


def _std_version(con: duckdb.DuckDBPyConnection, sql: str, lookup: str | None) -> str:
    """What a standardised row depends on besides its raw row: the SQL and the lookup's rows."""
    looked = (con.execute(f"SELECT count(*), sum(hash(postcode, lsoa_code)) FROM {lookup}")
              .fetchall()[0] if lookup else None)
    return hashlib.md5(f"{sql}|{looked}".encode()).hexdigest()


def _std_is_current(con: duckdb.DuckDBPyConnection, source: str, version: str) -> bool:
    if not (wh.table_exists(con, "linkage", f"std_{source}")
            and wh.table_exists(con, "linkage", "std_fingerprints")):
        return False
    versions = {r[0] for r in con.execute(
        "SELECT DISTINCT version FROM linkage.std_fingerprints WHERE source_dataset = ?",
        [source]).fetchall()}
    return versions == {version}


def _write_fingerprints(con: duckdb.DuckDBPyConnection, source: str, rows: str,
                        version: str) -> None:
    """Replace the source's fingerprints (after a full standardisation)."""
    con.execute("CREATE TABLE IF NOT EXISTS linkage.std_fingerprints (source_dataset VARCHAR, "
                "record_id VARCHAR, fingerprint VARCHAR, version VARCHAR)")
    with wh.transaction(con):
        con.execute("DELETE FROM linkage.std_fingerprints WHERE source_dataset = ?", [source])
        con.execute(f"INSERT INTO linkage.std_fingerprints SELECT *, '{version}' FROM ({rows})")


def std_quality(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any]:
    """Completeness and invalid-value counts of a standardised table, for the UI."""
    row = con.execute(f"""
        SELECT count(*), count(forename1_std), count(surname_std), count(dob_std),
               count(*) FILTER (WHERE dob_invalid), count(sex), count(postcode_std),
               count(*) FILTER (WHERE postcode_invalid), count(lsoa_code)
        FROM {std_table(source)}
    """).fetchall()[0]
    n = row[0] or 1
    names = ["records", "forename", "surname", "dob", "dob_invalid", "sex", "postcode",
             "postcode_invalid", "lsoa_found"]
    return {"records": row[0]} | {
        f"pct_{k}": round(100 * v / n, 1) for k, v in zip(names[1:], row[1:], strict=True)}


def read_std(con: duckdb.DuckDBPyConnection,
             sources: tuple[str, ...] = WAVE_0_SOURCES) -> pa.Table:
    """All standardised records of `sources`, as one arrow table."""
    parts = " UNION ALL ".join(
        f"SELECT {', '.join(STD_COLUMNS)} FROM {std_table(s)}" for s in sources
        if wh.table_exists(con, "linkage", f"std_{s}"))
    return con.sql(parts).to_arrow_table()


def train_or_load(
    session: LinkageSession,
    models_dir: Path,
    *,
    retrain: bool = False,
    seed: int = 1,
    u_max_pairs: float = 2e6,
    plans: list[mdl.ModelPlan] | None = None,
    references: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each plan's model: the latest saved one, or a newly trained (and saved) one when asked
    or when none exists. Returns {plan: {"model", "meta", "trained"}}. `references`: trained
    models (by name) a plan may borrow from (`ModelPlan.reference`) besides those of `plans`."""
    out: dict[str, dict[str, Any]] = {}
    for plan in plans or PLANS:
        if not session._usable(plan):
            continue
        saved = None if retrain else mdl.load_latest(models_dir, plan.name)
        if saved is not None:
            model, meta = saved
            out[plan.name] = {"model": model, "meta": meta, "trained": False}
            continue
        ref = (out.get(plan.reference or "", {}).get("model")
               or (references or {}).get(plan.reference or ""))
        model = session.train(plan, seed=seed, u_max_pairs=u_max_pairs, reference=ref)
        meta = {"records": session.record_count(plan), "seed": seed,
                "filled_columns": sorted(session.filled(session.input_table(plan)))}
        path = mdl.save_model(models_dir, plan, model, meta)
        saved_meta = json.loads(path.with_name(path.stem + ".meta.json").read_text())
        out[plan.name] = {"model": model, "meta": saved_meta | {"path": str(path)},
                          "trained": True}
    return out


def predict_all(session: LinkageSession, models: dict[str, dict[str, Any]]) -> pa.Table:
    """Scored pairs of every model, as one arrow table (PAIR_COLUMNS)."""
    tables = [session.predict(PLANS_BY_NAME[name], entry["model"])
              for name, entry in models.items()]
    if not tables:
        return pa.table({c: pa.array([], pa.string()) for c in PAIR_COLUMNS})
    return session.con.sql(" UNION ALL ".join(f"SELECT * FROM {t}" for t in tables)
                           ).to_arrow_table()


def cluster_all(records: pa.Table, pairs: pa.Table,
                thresholds: dict[str, float] | None = None) -> pa.Table:
    """Cluster every record once over all scored pairs (within and across sources)."""
    with LinkageSession(records, engine=DuckDBEngine()) as session:  # no Splink: no engine
        session.con.register("__pairs", pairs)
        session.con.execute("CREATE TABLE all_pairs AS SELECT * FROM __pairs")
        session.con.unregister("__pairs")
        return session.fetch(session.cluster(["all_pairs"], thresholds or THRESHOLDS))


def write_arrow(con: duckdb.DuckDBPyConnection, schema: str, table: str, data: pa.Table) -> int:
    """Replace a warehouse table with an arrow table."""
    return wh.replace_table_from(con, schema, table, data)
