"""The person spine in the warehouse: ids per snapshot, the change log, the research view.

Tables (identifier zone): `linkage.person_ids` (the ids of the snapshot last refreshed),
`linkage.person_ids_history` (snapshot_date, source_dataset, record_id, person_id) and
`linkage.person_id_changes` (snapshot_date, old_id, new_id, kind, n_records). Research zone:
`research.person_id_changes`, the same log with keyed ids (`spine.research_id_sql`).
"""

from __future__ import annotations

from typing import Any

import duckdb

from bold_assets import warehouse as wh
from bold_assets.linkage import spine
from bold_assets.pseudonymise import project_key, register_hmac
from bold_assets.world.snapshots import read_snapshot_date

_CHANGES_DDL = """CREATE TABLE IF NOT EXISTS linkage.person_id_changes (
    snapshot_date DATE, old_id BIGINT, new_id BIGINT, kind VARCHAR, n_records BIGINT)"""
_HISTORY_DDL = """CREATE TABLE IF NOT EXISTS linkage.person_ids_history (
    snapshot_date DATE, source_dataset VARCHAR, record_id VARCHAR, person_id BIGINT)"""


def refresh_ids(con: duckdb.DuckDBPyConnection, cluster_column: str = "cluster_medium"
                ) -> dict[str, Any]:
    """Carry ids from the latest snapshot at or before this one to `linkage.person_clusters`."""
    snap = read_snapshot_date(con)
    wh.ensure_schema(con, "linkage")
    con.execute(_HISTORY_DDL)
    con.execute(_CHANGES_DDL)
    prev_date = con.execute("SELECT max(snapshot_date) FROM linkage.person_ids_history "
                            "WHERE snapshot_date <= ?", [snap]).fetchall()[0][0]
    # the previous ids of the clustered sources (records a later wave linked into the spine
    # are that wave's to carry: not retired here)
    previous = (con.execute("SELECT source_dataset, record_id, person_id FROM "
                            "linkage.person_ids_history WHERE snapshot_date = ? AND "
                            "source_dataset IN (SELECT DISTINCT source_dataset FROM "
                            "linkage.person_clusters)",
                            [prev_date]).df() if prev_date is not None else None)
    next_id = con.execute("SELECT coalesce(max(person_id), 0) + 1 FROM "
                          "linkage.person_ids_history").fetchall()[0][0]
    clusters = con.sql(f"SELECT source_dataset, record_id, {cluster_column} "
                       "FROM linkage.person_clusters").df()
    update = spine.assign_ids(clusters, previous, int(next_id), snap, cluster_column)
    ids = update.ids.assign(snapshot_date=snap)
    wh.write_frames(con, {"__ids": ids, "__changes": update.changes}, [
        f"DELETE FROM linkage.person_ids_history WHERE snapshot_date = DATE '{snap.isoformat()}'",
        "INSERT INTO linkage.person_ids_history SELECT snapshot_date, "
        "source_dataset, record_id, person_id FROM __ids",
        "INSERT INTO linkage.person_id_changes SELECT snapshot_date, old_id, "
        "new_id, kind, n_records FROM __changes",
        "CREATE OR REPLACE TABLE linkage.person_ids AS SELECT source_dataset, "
        "record_id, person_id, snapshot_date FROM __ids",
    ])
    by_kind = update.changes.groupby("kind")["n_records"].agg(["count", "sum"])
    return {
        "snapshot_date": snap.isoformat(),
        "previous_snapshot": prev_date.isoformat() if prev_date else "none",
        "persons": int(ids["person_id"].nunique()),
        "new_ids_issued": int(update.next_id - next_id),
        "by_kind": {k: {"ids": int(r["count"]), "records": int(r["sum"])}
                    for k, r in by_kind.iterrows()},
    }


def write_research_changes(con: duckdb.DuckDBPyConnection) -> int:
    """`research.person_id_changes`: the change log with keyed ids."""
    register_hmac(con, project_key())
    return wh.replace_table(con, "research", "person_id_changes", f"""
        SELECT snapshot_date,
               CASE WHEN old_id IS NOT NULL THEN {spine.research_id_sql('old_id')} END AS old_id,
               CASE WHEN new_id IS NOT NULL THEN {spine.research_id_sql('new_id')} END AS new_id,
               kind, n_records
        FROM linkage.person_id_changes""")


def add_source(con: duckdb.DuckDBPyConnection, new_records: Any, model: dict[str, Any],
               spine_sources: tuple[str, ...] | None = None,
               threshold: float = 0.8,
               new_clusters: dict[str, str] | None = None) -> spine.SpineUpdate:
    """Link a later wave's standardised records into the spine of the current snapshot.

    Existing rows of `linkage.person_ids` are never changed: the new records are appended with
    the id of the person they link to, or new ids; the changes are logged as kind `join` / `new`.
    `new_clusters`: the new records' own clustering (see `spine.link_into_spine`).
    """
    from bold_assets.linkage import justice as J
    from bold_assets.sources import WAVE_0_SOURCES

    snap = con.execute("SELECT max(snapshot_date) FROM linkage.person_ids").fetchall()[0][0]
    spine_sources = spine_sources or WAVE_0_SOURCES
    spine_records = J.read_std(con, spine_sources)
    in_spine = ", ".join(f"'{s}'" for s in spine_sources)
    # the ids of the spine's own records (a source being added may hold some already)
    ids = con.execute("SELECT source_dataset, record_id, person_id FROM linkage.person_ids "
                      f"WHERE source_dataset IN ({in_spine})").df()
    next_id = con.execute("SELECT coalesce(max(person_id), 0) + 1 FROM "
                          "linkage.person_ids_history").fetchall()[0][0]
    update = spine.link_into_spine(spine_records, ids, new_records, model, int(next_id),
                                   threshold, snap, new_clusters)
    rows = update.ids.assign(snapshot_date=snap)
    wh.write_frames(con, {"__new_ids": rows, "__new_changes": update.changes}, [
        "INSERT INTO linkage.person_ids SELECT source_dataset, record_id, "
        "person_id, snapshot_date FROM __new_ids",
        "INSERT INTO linkage.person_ids_history SELECT snapshot_date, "
        "source_dataset, record_id, person_id FROM __new_ids",
        "INSERT INTO linkage.person_id_changes SELECT * FROM __new_changes",
    ])
    return update
