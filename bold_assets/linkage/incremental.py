"""Refresh linkage: score only what changed, with the recorded model versions.

A refresh keeps every pair already scored between two records that are unchanged, and scores
new and changed records against everything: Splink's incremental primitives, `predict_between`
(changed x unchanged) and `predict_within` (changed x changed), with each model's own blocking
rules and the term frequencies of the whole input. The models are exactly the versions
`linkage/model_parameters` recorded in `linkage.model_versions`; nothing here ever trains.

State in the warehouse's linkage schema (identifier zone):
- `linkage.model_versions(model, version, path, recorded_at)`: the versions prediction uses.
- `linkage.scored_records(source_dataset, record_id, fingerprint, models)`: each record as it was
  when its pairs were scored (a hash of its standardised identifiers, and the model versions).
- `linkage.recluster_records(source_dataset, record_id)`: records scored again since the last
  clustering (absent after a full scoring: then everything is clustered again). Clustering
  (`cluster`) re-clusters only the components these records can touch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from bold_assets import warehouse as wh
from bold_assets.linkage import justice as J
from bold_assets.linkage import models as mdl
from bold_assets.linkage.core import (
    PAIR_COLUMNS,
    PREDICT_FLOOR,
    THRESHOLDS,
    LinkageSession,
)
from bold_assets.linkage.standardise import STD_COLUMNS

VERSIONS_TABLE = ("linkage", "model_versions")
SCORED_TABLE = ("linkage", "scored_records")


class NoRecordedModel(RuntimeError):
    """Prediction was asked for but no model version is recorded (or its file is gone)."""


def record_versions(con: duckdb.DuckDBPyConnection, models: dict[str, dict[str, Any]]) -> int:
    """Record the model versions prediction must use (written by `linkage/model_parameters`)."""
    rows = pd.DataFrame([{"model": n, "version": int(e["meta"]["version"]),
                          "path": str(e["meta"].get("path", "")),
                          "recorded_at": pd.Timestamp.now(tz="UTC").isoformat()}
                         for n, e in sorted(models.items())])
    return wh.replace_table_from(con, *VERSIONS_TABLE, rows)


def recorded_versions(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    if not wh.table_exists(con, *VERSIONS_TABLE):
        return {}
    return {m: int(v) for m, v in con.execute(
        "SELECT model, version FROM linkage.model_versions ORDER BY model").fetchall()}


def load_recorded(con: duckdb.DuckDBPyConnection, models_dir: Path) -> dict[str, dict[str, Any]]:
    """The models `linkage.model_versions` names, loaded from their files; never trains."""
    versions = recorded_versions(con)
    if not versions:
        raise NoRecordedModel(
            "no model version is recorded in linkage.model_versions: materialise "
            "linkage/model_parameters first (it trains or reuses the models and records them)")
    out = {}
    for name, version in versions.items():
        path = mdl.model_dir(models_dir, name) / f"model_v{version:04d}.json"
        meta_path = path.with_name(path.stem + ".meta.json")
        if not path.exists():
            raise NoRecordedModel(
                f"model {name} version {version} is recorded in linkage.model_versions but "
                f"{path} is missing; restore it or re-run linkage/model_parameters")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {"version": version}
        out[name] = {"model": json.loads(path.read_text()), "trained": False,
                     "meta": meta | {"path": str(path), "version": version}}
    return out


def _fingerprint_sql(cols: list[str]) -> str:
    parts = ", ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in cols)
    return f"md5(concat_ws('|', {parts}))"


def fingerprints(session: LinkageSession, models: dict[str, dict[str, Any]]) -> pa.Table:
    """(source_dataset, record_id, fingerprint, models) of every record in the session."""
    cols = [c for c in STD_COLUMNS if c in session.columns("records")
            and c not in ("source_dataset", "record_id")]
    tag = ",".join(f"{n}:{e['meta'].get('version')}" for n, e in sorted(models.items()))
    return session.con.sql(f"""
        SELECT source_dataset, record_id, {_fingerprint_sql(cols)} AS fingerprint,
               '{tag}' AS models FROM records""").to_arrow_table()


def score_changed(session: LinkageSession, plan: mdl.ModelPlan, model: dict[str, Any],
                  floor: float = PREDICT_FLOOR) -> str:
    """Score one model's pairs with at least one record in the session's `changed` table:
    changed x unchanged (Splink `predict_between`) and changed x changed (`predict_within`),
    with term frequencies of the whole input, as a full `predict` would use. Returns the name of
    the pairs table (PAIR_COLUMNS)."""
    from splink import Linker

    con = session.con
    table = session.input_table(plan)
    con.execute(f"CREATE OR REPLACE TABLE {table}_new AS "
                f"SELECT * FROM {table} SEMI JOIN changed USING (uid)")
    con.execute(f"CREATE OR REPLACE TABLE {table}_old AS "
                f"SELECT * FROM {table} ANTI JOIN changed USING (uid)")
    db_api, whole = session.register(table)
    # the model was checked against these columns when it was trained and saved
    linker = Linker(whole, session.engine.settings(model), log_level=mdl.SPLINK_LOG_LEVEL,
                    validate_settings=False)
    for tf_col in linker._settings_obj._term_frequency_columns:
        linker.table_management.compute_tf_table(tf_col.unquote().name)
    new = session.engine.register(db_api, con, f"{table}_new")
    old = session.engine.register(db_api, con, f"{table}_old")
    parts = [linker.inference.predict_between(new, old, threshold_match_probability=floor,
                                              warning_mode="never"),
             linker.inference.predict_within(new, threshold_match_probability=floor,
                                             warning_mode="never")]
    out = f"pairs_{plan.name}"
    union = " UNION ALL ".join(session.scored_sql(plan, p) for p in parts)
    con.execute(f"CREATE OR REPLACE TABLE {out} AS {union}")
    for p in parts:
        p.drop_table_from_database_and_remove_from_cache()
    db_api.delete_tables_created_by_splink_from_db()
    con.execute(f"DROP TABLE {table}_new")
    con.execute(f"DROP TABLE {table}_old")
    return out


@dataclass
class ScoreResult:
    pairs: pa.Table
    fingerprints: pa.Table
    mode: str  # full | incremental
    changed_records: int
    kept_pairs: int
    scored_pairs: int
    changed: pa.Table | None = None  # incremental: (source_dataset, record_id) scored again


def score(session: LinkageSession, models: dict[str, dict[str, Any]],
          previous_pairs: pa.Table | None = None,
          previous_fingerprints: pa.Table | None = None,
          full: bool = False) -> ScoreResult:
    """Scored pairs of every model: all of them (`full`, or nothing to start from), or the
    previous pairs between unchanged records plus new and changed records scored against all."""
    fps = fingerprints(session, models)
    con = session.con
    tag = fps.column("models")[0].as_py() if len(fps) else ""
    prev_ok = (previous_pairs is not None and previous_fingerprints is not None
               and len(previous_fingerprints) > 0
               and set(previous_fingerprints.column("models").unique().to_pylist()) == {tag})
    if full or not prev_ok:
        pairs = J.predict_all(session, models)
        return ScoreResult(pairs, fps, "full", len(fps), 0, len(pairs), None)
    con.register("__fp_now", fps)
    con.register("__fp_prev", previous_fingerprints)
    con.execute("""
        CREATE OR REPLACE TABLE changed AS
        SELECT n.source_dataset || '|' || n.record_id AS uid
        FROM __fp_now n LEFT JOIN __fp_prev p USING (source_dataset, record_id)
        WHERE p.fingerprint IS DISTINCT FROM n.fingerprint
    """)
    con.execute("""
        CREATE OR REPLACE TABLE unchanged AS
        SELECT n.source_dataset, n.record_id
        FROM __fp_now n JOIN __fp_prev p USING (source_dataset, record_id)
        WHERE p.fingerprint = n.fingerprint
    """)
    con.unregister("__fp_now")
    con.unregister("__fp_prev")
    n_changed = con.execute("SELECT count(*) FROM changed").fetchall()[0][0]
    con.register("__pairs_prev", previous_pairs)
    con.execute("""
        CREATE OR REPLACE TABLE kept_pairs AS
        SELECT p.* FROM __pairs_prev p
        SEMI JOIN unchanged a ON a.source_dataset = p.source_dataset_l
                             AND a.record_id = p.record_id_l
        SEMI JOIN unchanged b ON b.source_dataset = p.source_dataset_r
                             AND b.record_id = p.record_id_r
    """)
    con.unregister("__pairs_prev")
    tables = ["kept_pairs"]
    scored = 0
    if n_changed:
        for name, entry in models.items():
            plan = J.PLANS_BY_NAME[name]
            table = session.input_table(plan)
            n_new = con.execute(f"SELECT count(*) FROM {table} SEMI JOIN changed USING (uid)"
                                ).fetchall()[0][0]
            if not n_new:
                continue
            out = score_changed(session, plan, entry["model"])
            scored += con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0]
            tables.append(out)
    cols = ", ".join(PAIR_COLUMNS)
    pairs = con.sql(" UNION ALL ".join(f"SELECT {cols} FROM {t}" for t in tables)
                    ).to_arrow_table()
    kept = con.execute("SELECT count(*) FROM kept_pairs").fetchall()[0][0]
    changed = con.sql("SELECT split_part(uid, '|', 1) AS source_dataset, "
                      "substr(uid, strpos(uid, '|') + 1) AS record_id FROM changed"
                      ).to_arrow_table()
    return ScoreResult(pairs, fps, "incremental", n_changed, kept, scored, changed)


def read_state(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table | None, pa.Table | None]:
    """Previous pairs and record fingerprints, if a previous run left them."""
    if not (wh.table_exists(con, "linkage", "pairwise_predictions")
            and wh.table_exists(con, *SCORED_TABLE)):
        return None, None
    pairs = con.sql(f"SELECT {', '.join(PAIR_COLUMNS)} FROM linkage.pairwise_predictions"
                    ).to_arrow_table()
    fps = con.sql("SELECT * FROM linkage.scored_records").to_arrow_table()
    return pairs, fps


@dataclass
class ClusterResult:
    clusters: pa.Table  # source_dataset, record_id, cluster_<threshold name>...
    mode: str  # full | incremental
    reclustered_records: int


def cluster(records: pa.Table, pairs: pa.Table, previous: pa.Table | None = None,
            changed: pa.Table | None = None,
            thresholds: dict[str, float] | None = None) -> ClusterResult:
    """Clusters of every record over all `pairs`: only the components a change can touch are
    clustered again, the others keep their previous clusters (exactly what a full clustering
    gives: a component's cluster id is its smallest record uid, so an untouched component keeps
    its membership and its id).

    `previous`: the clusters of the previous run; `changed`: (source_dataset,
    record_id) of the records whose pairs were scored again since. Without either, or if a
    pair would join a kept component to a re-clustered one (previous clusters not built from
    these pairs), every record is clustered again.
    """
    thresholds = dict(thresholds or THRESHOLDS)
    wanted = {"source_dataset", "record_id", *(f"cluster_{k}" for k in thresholds)}
    if previous is None or changed is None or not wanted <= set(previous.column_names):
        return ClusterResult(J.cluster_all(records, pairs, thresholds), "full", len(records))
    lowest_name, lowest = min(thresholds.items(), key=lambda kv: kv[1])
    low = f"cluster_{lowest_name}"
    con = duckdb.connect()
    try:
        con.register("__records", records.select(["source_dataset", "record_id"]))
        con.register("__pairs", pairs)
        con.register("__prev", previous)
        con.register("__changed", changed.select(["source_dataset", "record_id"]))
        con.execute(f"""
            CREATE TABLE prev AS SELECT source_dataset || '|' || record_id AS uid, *
            FROM __prev;
            CREATE TABLE now AS SELECT source_dataset || '|' || record_id AS uid
            FROM __records;
            CREATE TABLE edges AS
            SELECT source_dataset_l || '|' || record_id_l AS uid_l,
                   source_dataset_r || '|' || record_id_r AS uid_r
            FROM __pairs WHERE match_probability >= {lowest};
            -- records scored again, new, or gone since the previous clustering
            CREATE TABLE touched AS
            SELECT source_dataset || '|' || record_id AS uid FROM __changed
            UNION SELECT uid FROM (SELECT uid FROM now EXCEPT SELECT uid FROM prev)
            UNION SELECT uid FROM (SELECT uid FROM prev EXCEPT SELECT uid FROM now);
            CREATE TABLE seeds AS
            SELECT uid FROM touched
            UNION SELECT e.uid_r FROM edges e SEMI JOIN touched t ON t.uid = e.uid_l
            UNION SELECT e.uid_l FROM edges e SEMI JOIN touched t ON t.uid = e.uid_r;
            -- every record of a previous component holding a seed, and the new seeds
            CREATE TABLE affected AS
            SELECT n.uid FROM now n JOIN prev p USING (uid)
            WHERE p.{low} IN (SELECT p2.{low} FROM prev p2 SEMI JOIN seeds s USING (uid))
            UNION SELECT uid FROM now SEMI JOIN seeds USING (uid);
        """)
        # every pair outside the re-clustered part must lie within one kept component
        crossing = con.execute(f"""
            SELECT count(*) FROM edges e
            LEFT JOIN prev a ON a.uid = e.uid_l LEFT JOIN prev b ON b.uid = e.uid_r
            WHERE (e.uid_l IN (SELECT uid FROM affected))
                  <> (e.uid_r IN (SELECT uid FROM affected))
               OR (e.uid_l NOT IN (SELECT uid FROM affected)
                   AND a.{low} IS DISTINCT FROM b.{low})""").fetchall()[0][0]
        missing = con.execute("SELECT count(*) FROM now ANTI JOIN affected USING (uid) "
                              "ANTI JOIN prev USING (uid)").fetchall()[0][0]
        if crossing or missing:  # the previous clusters do not fit these pairs
            return ClusterResult(J.cluster_all(records, pairs, thresholds), "full",
                                 len(records))
        sub_records = con.sql("SELECT split_part(uid, '|', 1) AS source_dataset, "
                              "substr(uid, strpos(uid, '|') + 1) AS record_id "
                              "FROM affected").to_arrow_table()
        sub_pairs = con.sql("""
            SELECT p.* FROM __pairs p
            SEMI JOIN affected a ON a.uid = p.source_dataset_l || '|' || p.record_id_l
            SEMI JOIN affected b ON b.uid = p.source_dataset_r || '|' || p.record_id_r
        """).to_arrow_table()
        cols = ", ".join(["source_dataset", "record_id",
                          *(f"cluster_{k}" for k in thresholds)])
        parts = [f"SELECT {cols} FROM prev SEMI JOIN now USING (uid) "
                 "ANTI JOIN affected USING (uid)"]
        if len(sub_records):
            con.register("__sub", J.cluster_all(sub_records, sub_pairs, thresholds))
            parts.append(f"SELECT {cols} FROM __sub")
        out = con.sql(" UNION ALL ".join(parts) + " ORDER BY source_dataset, record_id"
                      ).to_arrow_table()
        return ClusterResult(out, "incremental", len(sub_records))
    finally:
        con.close()


RECLUSTER_TABLE = ("linkage", "recluster_records")


def note_changed(con: duckdb.DuckDBPyConnection, result: ScoreResult) -> None:
    """Record which records the next clustering must revisit: after a full scoring none can be
    trusted (the table is dropped), else the records scored again are added."""
    if result.changed is None:
        con.execute("DROP TABLE IF EXISTS linkage.recluster_records")
        return
    wh.ensure_schema(con, "linkage")
    con.execute("CREATE TABLE IF NOT EXISTS linkage.recluster_records "
                "(source_dataset VARCHAR, record_id VARCHAR)")
    con.register("__changed", result.changed)
    con.execute("INSERT INTO linkage.recluster_records SELECT source_dataset, record_id "
                "FROM __changed")
    con.unregister("__changed")


def read_cluster_state(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table | None, pa.Table | None]:
    """The previous clusters and the records to revisit, if both are there."""
    if not (wh.table_exists(con, "linkage", "person_clusters")
            and wh.table_exists(con, *RECLUSTER_TABLE)):
        return None, None
    return (con.sql("SELECT * FROM linkage.person_clusters").to_arrow_table(),
            con.sql("SELECT DISTINCT source_dataset, record_id FROM linkage.recluster_records"
                    ).to_arrow_table())


def clear_changed(con: duckdb.DuckDBPyConnection) -> None:
    """After a clustering: nothing left to revisit."""
    con.execute("CREATE OR REPLACE TABLE linkage.recluster_records "
                "(source_dataset VARCHAR, record_id VARCHAR)")
