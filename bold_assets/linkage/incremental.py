"""Refresh linkage: score only what changed, with the recorded model versions.

A refresh keeps every pair already scored between two records that are unchanged, and scores
new and changed records against everything (each model's blocking rules, with the extra
condition that one side of the pair is new or changed). The models are exactly the versions
`linkage/model_parameters` recorded in `linkage.model_versions`; nothing here ever trains.

State in the warehouse's linkage schema (identifier zone):
- `linkage.model_versions(model, version, path, recorded_at)`: the versions prediction uses.
- `linkage.scored_records(source_dataset, record_id, fingerprint, models)`: each record as it was
  when its pairs were scored (a hash of its standardised identifiers, and the model versions).
"""

from __future__ import annotations

import copy
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
from bold_assets.linkage.core import PAIR_COLUMNS, LinkageSession
from bold_assets.linkage.standardise import STD_COLUMNS

NEW_FLAG = "bold_changed"
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


def _restricted(model: dict[str, Any]) -> dict[str, Any]:
    """The model with each prediction blocking rule also requiring a new or changed side."""
    out = copy.deepcopy(model)
    extra = f"(l.{NEW_FLAG} OR r.{NEW_FLAG})"
    rules = []
    for rule in out.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, str):
            rules.append(f"({rule}) AND {extra}")
        else:
            rule = dict(rule)
            rule["blocking_rule"] = f"({rule['blocking_rule']}) AND {extra}"
            rules.append(rule)
    out["blocking_rules_to_generate_predictions"] = rules
    return out


@dataclass
class ScoreResult:
    pairs: pa.Table
    fingerprints: pa.Table
    mode: str  # full | incremental
    changed_records: int
    kept_pairs: int
    scored_pairs: int


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
        return ScoreResult(pairs, fps, "full", len(fps), 0, len(pairs))
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
            con.execute(f"""
                CREATE OR REPLACE TABLE {table} AS
                SELECT t.* EXCLUDE ({NEW_FLAG}) , c.uid IS NOT NULL AS {NEW_FLAG}
                FROM (SELECT *, NULL::BOOLEAN AS {NEW_FLAG} FROM {table}) t
                LEFT JOIN changed c USING (uid)
            """)
            out = session.predict(plan, _restricted(entry["model"]))
            scored += con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0]
            tables.append(out)
    cols = ", ".join(PAIR_COLUMNS)
    pairs = con.sql(" UNION ALL ".join(f"SELECT {cols} FROM {t}" for t in tables)
                    ).to_arrow_table()
    kept = con.execute("SELECT count(*) FROM kept_pairs").fetchall()[0][0]
    return ScoreResult(pairs, fps, "incremental", n_changed, kept, scored)


def read_state(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table | None, pa.Table | None]:
    """Previous pairs and record fingerprints, if a previous run left them."""
    if not (wh.table_exists(con, "linkage", "pairwise_predictions")
            and wh.table_exists(con, *SCORED_TABLE)):
        return None, None
    pairs = con.sql(f"SELECT {', '.join(PAIR_COLUMNS)} FROM linkage.pairwise_predictions"
                    ).to_arrow_table()
    fps = con.sql("SELECT * FROM linkage.scored_records").to_arrow_table()
    return pairs, fps
