"""The reusable linkage core: dedupe or link any table of person records with Splink.

Entry points
------------
`dedupe(data, mapping=None)` finds the records of one table that belong to the same person.
`link_records(left, right, ...)` dedupes both tables and links them, clustering once over all edges.

`data` is a pandas DataFrame, a pyarrow Table, a DuckDB relation or a path to a CSV / parquet file.
It is either already in the standard identifier form (`standardise.STD_COLUMNS`: `record_id`,
`forename1_std`, `surname_std`, `dob_std`, ...), or any table plus a column mapping such as::

    {"record_id": "id", "forename": "first", "surname": "last", "dob": "birth",
     "dob_format": "%d/%m/%Y", "sex": "gender", "sex_codes": {"1": "M", "2": "F"},
     "postcode": "pc", "event_date": "seen_on"}

Without a mapping, common column names are recognised (`standardise.infer_mapping`); further
columns (email, town, address, id numbers, ...) are compared by a kind given under `extra` or
guessed from their names and values (`linkage.mapping`). Columns a table lacks simply drop out of
the model. Nothing is lost silently: standardisation counts, per column, the values kept, changed
and nulled and why (`result.report`, printed unless `verbose=False`; `strict=0.1` fails when more
than 10% of a column would be nulled). Blocking rules are chosen from the columns the data fills,
by their comparison counts under a budget (`linkage.blocking`), and every training step that could
not run is reported with what replaced it. Both return a `LinkageResult`: `clusters`
(source_dataset, record_id, cluster_high, cluster_medium, cluster_low) and scored `pairs`, plus
the trained Splink models, which can be passed back in (`models=`) to score new data without
retraining.

    >>> from bold_assets.linkage import dedupe
    >>> result = dedupe("people.csv",
    ...                 mapping={"record_id": "id", "full_name": "name", "dob": "dob"})
    >>> result.clusters.to_pandas()

The Dagster assets of wave 0 run the same `LinkageSession` with one plan per Data First source.
Splink's work (training, blocking analysis, scoring) runs on the session's engine
(`linkage.engine`: DuckDB by default, or Spark, chosen by `BOLD_LINKAGE_ENGINE` or `engine.use`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import Linker
from splink.internals.splink_dataframe import SplinkDataFrame

from bold_assets.linkage import blocking as blk
from bold_assets.linkage import engine as eng
from bold_assets.linkage import models as mdl
from bold_assets.linkage.chains import guarded_components
from bold_assets.linkage.mapping import NON_COLUMN_KEYS, infer_full_mapping
from bold_assets.linkage.standardise import (
    STD_COLUMNS,
    RecordSpec,
    check_strict,
    extra_column,
    format_report,
    register_functions,
    resolve_spec,
    standardise_report,
    standardise_sql,
    widen_dob_range,
)

logger = logging.getLogger(__name__)

# The three clustering thresholds (match probability), named in one place.
THRESHOLDS: dict[str, float] = {"high": 0.95, "medium": 0.8, "low": 0.5}
# Scored pairs below this probability are dropped (they never join a cluster).
PREDICT_FLOOR = 0.05
# DuckDB memory of a linkage session (beyond it, DuckDB spills to disk). At a million wave-0
# records (7.2m scored pairs) 3GB gave a linkage peak RSS of 3.4 GB in 173 s, against 6.1 GB in
# 170 s with 6GB (benchmarks/bench_linkage_quality.py), so the whole job stays within 6 GB.
MEMORY_LIMIT = "3GB"
PAIR_COLUMNS = (
    "model", "source_dataset_l", "record_id_l", "source_dataset_r", "record_id_r",
    "match_weight", "match_probability", "match_key",
)  # fmt: skip
# Splink's output columns that `scored_pairs_sql` reads
SCORED_COLUMNS = ("uid_l", "uid_r", "match_weight", "match_probability", "match_key")
CLUSTER_COLUMNS = ("source_dataset", "record_id", *(f"cluster_{k}" for k in THRESHOLDS))


def _uid_sql(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return f"{p}source_dataset || '|' || {p}record_id"


def scored_pairs_sql(model: str, splink_table: str) -> str:
    """Splink's scored pairs in the form of PAIR_COLUMNS (uids split back into source and id)."""
    return f"""
        SELECT '{model}' AS model,
               split_part(uid_l, '|', 1) AS source_dataset_l,
               substr(uid_l, strpos(uid_l, '|') + 1) AS record_id_l,
               split_part(uid_r, '|', 1) AS source_dataset_r,
               substr(uid_r, strpos(uid_r, '|') + 1) AS record_id_r,
               match_weight, match_probability,
               CAST(match_key AS VARCHAR) AS match_key
        FROM {splink_table}"""


class LinkageSession:
    """Standardised records in an in-memory DuckDB of their own, ready to train, score and
    cluster; Splink's work runs on `engine` (`linkage.engine`: this DuckDB, or Spark).

    Splink never touches the warehouse connection: records come in as arrow, results go out as
    arrow (DuckDB 2 connections shared with Splink must hold no unfinished result).
    """

    def __init__(self, records: Any, *, threads: int | None = None,
                 memory_limit: str | None = MEMORY_LIMIT, temp_dir: str | None = None,
                 con: duckdb.DuckDBPyConnection | None = None,
                 engine: eng.LinkageEngine | None = None) -> None:
        # `con`: a fresh connection to take over (and close) instead of opening one
        # `engine`: where Splink runs (default: `engine.current()`, set by the settings)
        try:
            self.engine = (engine if engine is not None else eng.current()).for_session()
        except BaseException:
            if con is not None:  # taken over: closed whatever happens
                con.close()
            raise
        self.con = con if con is not None else duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # spill (beyond the memory limit) to a private temp folder, not the working directory
        self._tmp = tempfile.TemporaryDirectory(prefix="bold-linkage-", dir=temp_dir)
        self.con.execute(f"SET temp_directory = '{self._tmp.name}'")
        items = records if isinstance(records, list | tuple) else [records]
        for i, item in enumerate(items):
            self.con.register(f"__bold_in_{i}", item)
        union = " UNION ALL BY NAME ".join(
            f"SELECT * FROM __bold_in_{i}" for i in range(len(items)))
        self.con.execute(
            f"CREATE TABLE records AS SELECT *, {_uid_sql()} AS uid FROM ({union})")
        for i in range(len(items)):
            self.con.unregister(f"__bold_in_{i}")
        missing = [c for c in ("source_dataset", "record_id") if c not in self.columns("records")]
        if missing:
            raise ValueError(f"standardised records lack {missing}")
        self._inputs: dict[str, str] = {}
        # per model of any table: its Splink API (and cache) and registered input, shared by
        # blocking, training and scoring; and counts that do not change
        self._splink: dict[str, tuple[Any, SplinkDataFrame]] = {}
        self._memo: dict[tuple[str, str], Any] = {}

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()
        self.engine.close()

    def __enter__(self) -> LinkageSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Inputs ------------------------------------------------------------------------------

    def columns(self, table: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()]

    def sources(self) -> list[str]:
        rows = self.con.execute(
            "SELECT DISTINCT source_dataset FROM records ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def input_table(self, plan: mdl.ModelPlan) -> str:
        """The records a model reads, with the `link_group` column its link type needs."""
        if plan.name in self._inputs:
            return self._inputs[plan.name]
        name = f"input_{plan.name}"
        cols = [c for c in self.columns("records")
                if c in STD_COLUMNS or c in ("uid", "postcode_text") or c.startswith("x_")]
        cases = " ".join(f"WHEN '{s}' THEN '{plan.group_of(s)}'" for s in plan.sources)
        in_list = ", ".join(f"'{s}'" for s in plan.sources)
        name_pair = ("CASE WHEN forename1_std IS NOT NULL AND surname_std IS NOT NULL THEN "
                     "least(forename1_std, surname_std) || ' ' || "
                     "greatest(forename1_std, surname_std) END AS name_pair"
                     if {"forename1_std", "surname_std"} <= set(cols) else
                     "CAST(NULL AS VARCHAR) AS name_pair")
        self.con.execute(f"""
            CREATE OR REPLACE TABLE {name} AS
            SELECT {", ".join(cols)}, {name_pair},
                   CASE source_dataset {cases} END AS link_group
            FROM records WHERE source_dataset IN ({in_list})
        """)
        self._inputs[plan.name] = name
        return name

    def completeness(self, table: str) -> dict[str, float]:
        """Share of non-null values in each column of `table`."""
        cols = self.columns(table)
        row = self.con.execute(
            "SELECT count(*), " + ", ".join(f'count("{c}")' for c in cols) + f" FROM {table}"
        ).fetchall()[0]
        n = row[0] or 1
        return {c: k / n for c, k in zip(cols, row[1:], strict=True)}

    def splink_input(self, plan: mdl.ModelPlan) -> tuple[Any, SplinkDataFrame]:
        """A model's Splink API on this session's engine and its input registered once:
        blocking, training and scoring share it (term frequencies computed once)."""
        if plan.name not in self._splink:
            self._splink[plan.name] = self.register(self.input_table(plan))
        return self._splink[plan.name]

    def register(self, table: str) -> tuple[Any, SplinkDataFrame]:
        """A table of this session on a fresh Splink API of the engine (a cache of its own)."""
        db_api = self.engine.open(self.con)
        return db_api, self.engine.register(db_api, self.con, table)

    def _memoised(self, plan: mdl.ModelPlan, what: str, compute: Any) -> Any:
        key = (plan.name, what)
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def pair_completeness(self, plan: mdl.ModelPlan) -> dict[str, float]:
        """Share of the pairs a model compares in which both records hold each column."""
        return dict(self._memoised(plan, "pair_completeness",
                                   lambda: self._pair_completeness(plan)))

    def _pair_completeness(self, plan: mdl.ModelPlan) -> dict[str, float]:
        table = self.input_table(plan)
        cols = self.columns(table)
        rows = self.con.execute(
            "SELECT link_group, count(*), " + ", ".join(f'count("{c}")' for c in cols)
            + f" FROM {table} GROUP BY link_group").fetchall()
        out = {}
        for j, c in enumerate(cols):
            if plan.link_type == "dedupe_only":
                n = sum(r[1] for r in rows)
                k = sum(r[2 + j] for r in rows)
                both, total = k * (k - 1), n * (n - 1)
            else:
                both = total = 0
                for a in range(len(rows)):
                    for b in range(a + 1, len(rows)):
                        both += rows[a][2 + j] * rows[b][2 + j]
                        total += rows[a][1] * rows[b][1]
            out[c] = both / total if total else 0.0
        return out

    def filled(self, table: str) -> set[str]:
        """Columns of `table` holding at least one value."""
        return {c for c, share in self.completeness(table).items() if share > 0}

    def record_count(self, plan: mdl.ModelPlan) -> int:
        return self._memoised(plan, "records", lambda: self.con.execute(
            f"SELECT count(*) FROM {self.input_table(plan)}").fetchall()[0][0])

    def _usable(self, plan: mdl.ModelPlan) -> bool:
        """A plan needs records, and for linking, records in two groups."""
        table = self.input_table(plan)
        n, groups = self.con.execute(
            f"SELECT count(*), count(DISTINCT link_group) FROM {table}").fetchall()[0]
        return n >= 2 and (plan.link_type == "dedupe_only" or groups >= 2)

    # Train / predict ------------------------------------------------------------------------

    def train(self, plan: mdl.ModelPlan, *, seed: int = 1, u_max_pairs: float = 2e6,
              em_max_pairs: float | None = 2e6,
              reference: dict[str, Any] | None = None,
              notes: list[str] | None = None) -> dict[str, Any]:
        """Train a model; `notes` receives every estimate that could not be made."""
        possible = self.possible_pairs(plan)
        # small inputs: a tenth of all possible pairs estimates u well enough
        u_pairs = min(u_max_pairs, max(min(2e5, u_max_pairs), possible / 10))
        # any table: the API blocking used, kept for scoring; wave 0: a fresh one
        _, sdf = (self.splink_input(plan) if plan.prediction_rules is not None
                  else self.register(self.input_table(plan)))
        return mdl.train(sdf, plan, self.pair_completeness(plan),
                         seed=seed, u_max_pairs=u_pairs, em_max_pairs=em_max_pairs,
                         reference=reference, possible_pairs=possible, notes=notes,
                         engine=self.engine, counted_on=(self.con, self.input_table(plan)))

    def choose_blocking(self, plan: mdl.ModelPlan, budget: float | None = None
                        ) -> tuple[mdl.ModelPlan, blk.BlockingChoice]:
        """The plan with blocking and EM rules chosen from the data (`linkage.blocking`)."""
        from dataclasses import replace

        _, sdf = self.splink_input(plan)
        filled = {c for c, share in self.pair_completeness(plan).items() if share > 0}
        choice = blk.choose_rules(self.con, self.input_table(plan), sdf, self.engine,
                                  plan.link_type, filled,
                                  plan.extras, possible=self.possible_pairs(plan),
                                  records=self.record_count(plan), budget=budget)
        return replace(plan, prediction_rules=tuple(choice.rules),
                       training_rules=tuple(blk.training_rules(filled, plan.extras))), choice

    def possible_pairs(self, plan: mdl.ModelPlan) -> float:
        """Pairs a model could compare without blocking."""
        sizes = self._memoised(plan, "group_sizes", lambda: [r[0] for r in self.con.execute(
            f"SELECT count(*) FROM {self.input_table(plan)} GROUP BY link_group").fetchall()])
        if plan.link_type == "dedupe_only":
            n = sum(sizes)
            return n * (n - 1) / 2
        return sum(a * b for i, a in enumerate(sizes) for b in sizes[i + 1:])

    def predict(self, plan: mdl.ModelPlan, model: dict[str, Any],
                floor: float = PREDICT_FLOOR, validate: bool = True) -> str:
        """Score candidate pairs of one model; returns the name of the pairs table.
        `validate=False` skips Splink's settings check (for a model just trained here)."""
        if plan.name in self._splink:  # trained here: its API holds the term frequencies
            db_api, sdf = self._splink.pop(plan.name)
        else:  # a fresh Splink cache: term frequencies of this input
            db_api, sdf = self.register(self.input_table(plan))
        linker = Linker(sdf, self.engine.settings(model), log_level=mdl.SPLINK_LOG_LEVEL,
                        validate_settings=validate)
        scored = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        out = f"pairs_{plan.name}"
        self.con.execute(f"CREATE OR REPLACE TABLE {out} AS {self.scored_sql(plan, scored)}")
        scored.drop_table_from_database_and_remove_from_cache()
        db_api.delete_tables_created_by_splink_from_db()
        return out

    def scored_sql(self, plan: mdl.ModelPlan, scored: SplinkDataFrame) -> str:
        """Splink's scored pairs (on the engine) as a query of this session (PAIR_COLUMNS)."""
        return scored_pairs_sql(plan.name, self.engine.readable(scored, SCORED_COLUMNS))

    # Cluster ----------------------------------------------------------------------------------

    def cluster(self, pair_tables: Sequence[str],
                thresholds: dict[str, float] | None = None, guard_chains: bool = True) -> str:
        """Cluster every record once over the union of all scored pairs; returns a table name.

        Connected components at every threshold, as Splink's
        `cluster_pairwise_predictions_at_multiple_thresholds` makes them (an edge joins when its
        match probability is at or above the threshold; a cluster is named by its smallest
        record uid), found in one pass over the edges: they are read once, each threshold keeps
        its edges (the flags are computed in SQL, as Splink compares) and scipy labels the
        components of each edge set. With `guard_chains`, an edge that alone joins two dense
        groups needs higher odds than the threshold's (`chains`: clusters that do not chain);
        without, the clusters are Splink's.
        """
        thresholds = dict(thresholds or THRESHOLDS)
        lowest = min(thresholds.values())
        union = " UNION ALL ".join(
            f"SELECT {_uid_sql_pair('l')} AS uid_l, {_uid_sql_pair('r')} AS uid_r, "
            f"match_probability FROM {t} WHERE match_probability >= {lowest}"
            for t in pair_tables
        ) or "SELECT NULL::VARCHAR AS uid_l, NULL::VARCHAR AS uid_r, NULL::DOUBLE AS " \
             "match_probability WHERE false"
        # nodes numbered in uid order: a component's smallest number is its smallest uid
        self.con.execute("CREATE OR REPLACE TABLE cluster_nodes AS "
                         "SELECT uid, (row_number() OVER (ORDER BY uid) - 1)::BIGINT AS node "
                         "FROM (SELECT DISTINCT uid FROM records)")
        n = self.con.execute("SELECT count(*) FROM cluster_nodes").fetchall()[0][0]
        flags = ", ".join(f"match_probability >= {p} AS e_{k}" for k, p in thresholds.items())
        edges = self.con.execute(f"""
            SELECT a.node AS i, b.node AS j, match_probability AS p, {flags}
            FROM ({union}) e JOIN cluster_nodes a ON a.uid = e.uid_l
            JOIN cluster_nodes b ON b.uid = e.uid_r
        """).fetchnumpy()
        i, j, p = (np.asarray(edges[c]) for c in ("i", "j", "p"))
        labels = {k: guarded_components(n, i, j, p, np.asarray(edges[f"e_{k}"], dtype=bool),
                                        thresholds[k] if guard_chains else None)
                  for k in thresholds}
        self.con.register("__bold_cc", pa.table(
            {"node": pa.array(np.arange(n, dtype=np.int64))}
            | {f"c_{k}": pa.array(v) for k, v in labels.items()}))
        select = ", ".join(f"n_{k}.uid AS cluster_{k}" for k in thresholds)
        joins = " ".join(f"JOIN cluster_nodes n_{k} ON n_{k}.node = c.c_{k}" for k in thresholds)
        self.con.execute(f"""
            CREATE OR REPLACE TABLE clusters AS
            SELECT r.source_dataset, r.record_id, {select}
            FROM __bold_cc c JOIN cluster_nodes nd ON nd.node = c.node {joins}
            JOIN records r ON r.uid = nd.uid
        """)
        self.con.unregister("__bold_cc")
        return "clusters"

    def fetch(self, table: str) -> pa.Table:
        return self.con.sql(f"SELECT * FROM {table}").to_arrow_table()


def _uid_sql_pair(side: str) -> str:
    return f"source_dataset_{side} || '|' || record_id_{side}"


# Public entry points ---------------------------------------------------------------------------

# Pairs sampled to estimate u for `dedupe` / `link_records` (tables of thousands to a few hundred
# thousand records; the wave-0 assets pass their own).
ENTRY_U_PAIRS = 2e5


@dataclass
class LinkageResult:
    """Output of `dedupe` / `link_records`."""

    clusters: pa.Table
    pairs: pa.Table
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=lambda: dict(THRESHOLDS))
    # what was inferred and done: "mapping", "standardisation" (per source, per column counts),
    # "blocking" (per model: rules chosen and counts), "training" (per model: notes)
    report: dict[str, Any] = field(default_factory=dict)

    def save_models(self, folder: Path | str) -> list[Path]:
        """Save every model as versioned Splink JSON under `folder/<model>/`."""
        paths = []
        for name, model in self.models.items():
            plan = mdl.ModelPlan(name, model["link_type"], ())
            paths.append(mdl.save_model(Path(folder), plan, model, {}))
        return paths


def read_table(data: Any, con: duckdb.DuckDBPyConnection | None = None) -> Any:
    """A path (CSV / parquet) becomes an arrow table (read on `con`, or a connection of its own);
    frames and relations pass through."""
    if isinstance(data, str | Path):
        path = Path(data)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        reader = "read_parquet" if path.suffix.lower() in (".parquet", ".pq") else "read_csv"
        opts = ", all_varchar = true" if reader == "read_csv" else ""
        literal = str(path).replace("'", "''")
        sql = f"SELECT * FROM {reader}('{literal}'{opts})"
        if con is not None:
            return con.sql(sql).to_arrow_table()
        with duckdb.connect() as own:
            return own.sql(sql).to_arrow_table()
    return data


def prepare_input(data: Any, mapping: dict[str, Any] | None, source_dataset: str, *,
                  strict: float | None = None, con: duckdb.DuckDBPyConnection | None = None
                  ) -> tuple[pa.Table, dict[str, Any], list[dict[str, Any]]]:
    """Standardise any input table: (standard form as arrow, the full mapping used, the
    per-column report). `strict`: fail when more than this share of a column would be nulled.
    `con`: a connection to work on (left open; a new one is opened and closed otherwise)."""
    if con is None:
        with duckdb.connect() as own:
            return prepare_input(data, mapping, source_dataset, strict=strict, con=own)
    table = read_table(data, con)
    con.register("__bold_raw", table)
    try:
        cols = [r[0] for r in con.execute("DESCRIBE __bold_raw").fetchall()]
        mapping = infer_full_mapping(con, "__bold_raw", mapping)
        missing = [v for k, v in mapping.items() if k not in NON_COLUMN_KEYS
                   and k != "source_dataset_column" and isinstance(v, str) and v not in cols]
        missing += [c for c in mapping.get("extra") or {} if c not in cols]
        if mapping.get("source_dataset_column") and mapping["source_dataset_column"] not in cols:
            missing.append(mapping["source_dataset_column"])
        if missing:
            raise ValueError(f"{source_dataset}: mapped columns not in the table: {missing}; "
                             f"it has {cols}")
        register_functions(con)
        spec = resolve_spec(con, RecordSpec.from_mapping(mapping, source_dataset=source_dataset),
                            "__bold_raw")
        if spec.identifiers.dob and not spec.dob_typed:
            mapping = {**mapping, "dob_format": spec.identifiers.dob_format}
        report = standardise_report(con, spec, "__bold_raw")
        if spec.identifiers.dob and not mapping.get("dob_range"):
            spec, note = widen_dob_range(con, spec, "__bold_raw", report)
            if note:
                logger.warning("%s: %s", source_dataset, note)
                report = standardise_report(con, spec, "__bold_raw")
                next(r for r in report if r["role"] == "dob")["note"] = note
        if strict is not None:
            check_strict(report, strict, source_dataset)
        return con.sql(standardise_sql(spec, "__bold_raw")).to_arrow_table(), mapping, report
    finally:
        con.unregister("__bold_raw")


def standardise_input(data: Any, mapping: dict[str, Any] | None, source_dataset: str) -> pa.Table:
    """Standardise any input table (see module docs) into the standard form, as arrow."""
    return prepare_input(data, mapping, source_dataset)[0]


def _extras(*mappings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Standardised further columns and their kinds, over the mappings of a run."""
    out: dict[str, str] = {}
    for m in mappings:
        for c, kind in (m.get("extra") or {}).items():
            out.setdefault(extra_column(c), kind)
    return tuple(out.items())


def run_plans(
    session: LinkageSession,
    plans: Iterable[mdl.ModelPlan],
    models: dict[str, dict[str, Any]] | None = None,
    *,
    thresholds: dict[str, float] | None = None,
    seed: int = 1,
    u_max_pairs: float = 2e6,
    choose_blocking: bool = False,
    budget: float | None = None,
    report: dict[str, Any] | None = None,
) -> LinkageResult:
    """Train (unless a model is given), score and cluster: the whole linkage of a session.

    `choose_blocking`: pick each trained model's blocking rules from the data under `budget`
    comparisons (`linkage.blocking`). `report` gains "blocking" and "training" entries.
    """
    models = dict(models or {})
    report = report if report is not None else {}
    pair_tables = []
    for plan in plans:
        trained_here = plan.name not in models
        if not session._usable(plan):
            report.setdefault("training", {})[plan.name] = [
                f"{plan.name}: not run (needs two records, and for a link two inputs)"]
            continue
        if plan.name not in models:
            if choose_blocking:
                plan, choice = session.choose_blocking(plan, budget)
                report.setdefault("blocking", {})[plan.name] = {
                    "rules": choice.rules, "counts": choice.counts,
                    "comparisons": choice.chosen_total,
                    "comparisons_exact": choice.total_exact, "all_pairs": choice.all_pairs,
                    "text": choice.describe()}
            notes: list[str] = []
            models[plan.name] = session.train(plan, seed=seed, u_max_pairs=u_max_pairs,
                                              reference=models.get(plan.reference or ""),
                                              notes=notes)
            report.setdefault("training", {})[plan.name] = notes
        pair_tables.append(session.predict(plan, models[plan.name],
                                           validate=not (trained_here and choose_blocking)))
    clusters = session.cluster(pair_tables, thresholds)
    union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in pair_tables)
    pairs = (session.con.sql(union).to_arrow_table() if pair_tables
             else pa.table({c: pa.array([], pa.string()) for c in PAIR_COLUMNS}))
    return LinkageResult(session.fetch(clusters), pairs, models,
                         dict(thresholds or THRESHOLDS), report)


def format_run_report(report: dict[str, Any]) -> str:
    """The report of a `dedupe` / `link_records` run as text (counts and rules, no values)."""
    lines = []
    for source, rows in report.get("standardisation", {}).items():
        lines.append(format_report(rows, source))
    for name, b in report.get("blocking", {}).items():
        lines.append(f"{name} {b['text']}")
    for name, notes in report.get("training", {}).items():
        lines += [f"training {n}" for n in notes] or [f"training {name}: every step ran"]
    return "\n".join(lines)


def _finish(result: LinkageResult, verbose: bool) -> LinkageResult:
    text = format_run_report(result.report)
    logger.info("%s", text)
    if verbose:
        print(text)
    return result


def dedupe(
    data: Any,
    mapping: dict[str, Any] | None = None,
    *,
    source_dataset: str = "input",
    models: dict[str, dict[str, Any]] | None = None,
    thresholds: dict[str, float] | None = None,
    seed: int = 1,
    strict: float | None = None,
    budget: float | None = None,
    verbose: bool = True,
) -> LinkageResult:
    """Find the records of one table that belong to the same person.

    `data`: DataFrame / arrow / relation / CSV or parquet path, in standard form or with
    `mapping` (see the module docs). `models`: a previous result's `models` to reuse (keyed
    "dedupe_<source_dataset>"). Returns clusters at `thresholds` (default `THRESHOLDS`) and pairs.
    `strict`: fail when standardisation would null more than this share of a column. `budget`:
    comparisons the chosen blocking rules may make (default `blocking.BUDGET_PER_RECORD` per
    record). `verbose`: print the report (standardisation, blocking, training).
    """
    con = duckdb.connect()  # one connection from reading to clustering
    try:
        std, full, rows = prepare_input(data, mapping, source_dataset, strict=strict, con=con)
    except BaseException:
        con.close()
        raise
    report: dict[str, Any] = {"mapping": {source_dataset: full},
                              "standardisation": {source_dataset: rows}}
    names = sorted(set(std.column("source_dataset").to_pylist()))
    extras = _extras(full)
    plans = [mdl.ModelPlan(f"dedupe_{s}", "dedupe_only", (s,), extras=extras) for s in names]
    with LinkageSession(std, con=con) as session:
        result = run_plans(session, plans, models, thresholds=thresholds, seed=seed,
                           u_max_pairs=ENTRY_U_PAIRS, choose_blocking=True, budget=budget,
                           report=report)
    return _finish(result, verbose)


def link_records(
    left: Any,
    right: Any,
    mapping: dict[str, Any] | None = None,
    right_mapping: dict[str, Any] | None = None,
    *,
    left_name: str = "left",
    right_name: str = "right",
    dedupe_inputs: bool = True,
    models: dict[str, dict[str, Any]] | None = None,
    thresholds: dict[str, float] | None = None,
    seed: int = 1,
    strict: float | None = None,
    budget: float | None = None,
    verbose: bool = True,
) -> LinkageResult:
    """Link two tables of person records (and, by default, dedupe each), clustering once.

    `mapping` applies to `left` (and to `right` unless `right_mapping` is given). Models are
    "dedupe_<left_name>", "dedupe_<right_name>" and "link_<left_name>_<right_name>". An input
    without duplicates is fine: its dedupe model's prior falls back to a stated estimate (see
    `result.report["training"]`). `strict`, `budget`, `verbose`: as `dedupe`.
    """
    if left_name == right_name:
        raise ValueError("left_name and right_name must differ")
    con = duckdb.connect()  # one connection from reading to clustering
    try:
        std_l, full_l, rows_l = prepare_input(left, mapping, left_name, strict=strict, con=con)
        std_r, full_r, rows_r = prepare_input(right, right_mapping or mapping, right_name,
                                              strict=strict, con=con)
    except BaseException:
        con.close()
        raise
    report: dict[str, Any] = {"mapping": {left_name: full_l, right_name: full_r},
                              "standardisation": {left_name: rows_l, right_name: rows_r}}
    extras = _extras(full_l, full_r)
    plans = []
    if dedupe_inputs:
        plans += [mdl.ModelPlan(f"dedupe_{n}", "dedupe_only", (n,), extras=extras)
                  for n in (left_name, right_name)]
    plans.append(mdl.ModelPlan(f"link_{left_name}_{right_name}", "link_only",
                               (left_name, right_name), extras=extras))
    with LinkageSession([std_l, std_r], con=con) as session:
        result = run_plans(session, plans, models, thresholds=thresholds, seed=seed,
                           u_max_pairs=ENTRY_U_PAIRS, choose_blocking=True, budget=budget,
                           report=report)
    return _finish(result, verbose)
