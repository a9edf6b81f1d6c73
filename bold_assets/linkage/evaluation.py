"""Linkage quality against ground truth: pairwise precision / recall / F1 and subgroup error rates.

Everything is counted from cluster and person sizes, never by listing pairs: records that share a
cluster are linked pairs, records of one person are true pairs, records that share both are true
positives. A scope is a pair of record sets (A, B): pairs with one record in A and the other in B
(A = B: pairs within A).

Subgroup rates follow Harron et al. (2017), per record:
- false-match rate: share of records whose cluster holds a record of another person;
- missed-match rate: share of records with a true match whose cluster misses one of them;
- linked rate: share of records linked to any other record (what projects without truth report);
plus pairwise precision / recall / F1 over the pairs that involve a record of the subgroup.

Plain SQL on a DuckDB connection; the caller names the tables (no dagster here).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from bold_assets.linkage.core import THRESHOLDS


def _c2(x: str) -> str:
    return f"({x}) * (({x}) - 1) / 2"


def labelled_sql(clusters: str, truth: str, threshold: str) -> str:
    """Records with their cluster at `threshold` and their true person (unknown persons dropped)."""
    return f"""
        SELECT c.source_dataset, c.record_id, c.cluster_{threshold} AS cluster_id, t.person_id
        FROM {clusters} c
        JOIN {truth} t ON t.source_dataset = c.source_dataset
                      AND CAST(t.record_id AS VARCHAR) = c.record_id
        WHERE t.person_id IS NOT NULL
    """


def _scope_counts(con: duckdb.DuckDBPyConnection, base: str, a: Sequence[str],
                  b: Sequence[str]) -> tuple[float, float, float]:
    """(true positives, linked pairs, true pairs) between record sets a and b of `base`."""
    in_a = "source_dataset IN (" + ", ".join(f"'{s}'" for s in a) + ")"
    in_b = "source_dataset IN (" + ", ".join(f"'{s}'" for s in b) + ")"
    if set(a) == set(b):
        pair = _c2(f"count(*) FILTER (WHERE {in_a})")
    elif not set(a) & set(b):
        pair = f"count(*) FILTER (WHERE {in_a}) * count(*) FILTER (WHERE {in_b})"
    else:
        raise ValueError("scopes must be equal or disjoint")
    sql = f"""
        WITH b AS ({base}),
        cp AS (SELECT {pair} AS n FROM b GROUP BY cluster_id, person_id),
        cc AS (SELECT {pair} AS n FROM b GROUP BY cluster_id),
        pp AS (SELECT {pair} AS n FROM b GROUP BY person_id)
        SELECT (SELECT coalesce(sum(n), 0) FROM cp), (SELECT coalesce(sum(n), 0) FROM cc),
               (SELECT coalesce(sum(n), 0) FROM pp)
    """
    tp, linked, true = con.execute(sql).fetchall()[0]
    return float(tp), float(linked), float(true)


def _prf(tp: float, linked: float, true: float) -> dict[str, float | None]:
    precision = tp / linked if linked else None
    recall = tp / true if true else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision and recall else (0.0 if linked or true else None))
    return {"true_positives": tp, "linked_pairs": linked, "true_pairs": true,
            "precision": precision, "recall": recall, "f1": f1}


def _scopes_sql(base: str, criminal: Sequence[str], sources: Sequence[str]
                ) -> tuple[str, list[str]]:
    """One query for (tp, linked, true) of every scope of `f1_table` from per-source counts per
    (cluster, person): all sources, criminal, each source, each pair of sources."""
    def col(s: str) -> str:
        return "n_" + "".join(ch if ch.isalnum() else "_" for ch in s)

    def within(a: Sequence[str]) -> str:
        return _c2(" + ".join(col(s) for s in a))

    scopes = [("all", within(sources)), ("criminal", within(criminal))]
    scopes += [(s, within([s])) for s in sources]
    scopes += [(f"{s}-{t}", f"({col(s)}) * ({col(t)})")
               for i, s in enumerate(sources) for t in sources[i + 1:]]
    counts = ", ".join(f"count(*) FILTER (WHERE source_dataset = '{s}') AS {col(s)}"
                       for s in sources)
    sums = ", ".join(f"sum({col(s)}) AS {col(s)}" for s in sources)
    select = ", ".join(
        f"(SELECT coalesce(sum({expr}), 0) FROM {level})"
        for _, expr in scopes for level in ("cp", "cc", "pp"))
    sql = f"""
        WITH cp AS (SELECT cluster_id, person_id, {counts} FROM ({base}) b
                    GROUP BY cluster_id, person_id),
        cc AS (SELECT {sums} FROM cp GROUP BY cluster_id),
        pp AS (SELECT {sums} FROM cp GROUP BY person_id)
        SELECT {select}
    """
    return sql, [name for name, _ in scopes]


def f1_table(
    con: duckdb.DuckDBPyConnection,
    clusters: str,
    truth: str,
    criminal: Sequence[str],
    weak: Sequence[str],
    thresholds: Sequence[str] = tuple(THRESHOLDS),
) -> pd.DataFrame:
    """Pairwise precision / recall / F1 per threshold: overall, per source group, per source and
    per pair of sources. `weak` scope = pairs involving a family or civil record.

    One query per threshold: records are counted per (cluster, person, source) once, and every
    scope's pair counts are read off those counts (the same integers as counting each scope
    over the records; `_scope_counts` is the one-scope form)."""
    sources = [*criminal, *weak]
    rows = []
    for th in thresholds:
        sql, names = _scopes_sql(labelled_sql(clusters, truth, th), criminal, sources)
        values = [float(v) for v in con.execute(sql).fetchall()[0]]
        got = {n: tuple(values[3 * i: 3 * i + 3]) for i, n in enumerate(names)}
        total, crim = got["all"], got["criminal"]
        weak_counts = tuple(t - c for t, c in zip(total, crim, strict=True))
        scopes = [("overall", "all", total), ("group", "criminal", crim),
                  ("group", "family_civil", weak_counts)]
        for s in sources:
            scopes.append(("source", s, got[s]))
        for i, s in enumerate(sources):
            for t in sources[i + 1:]:
                scopes.append(("source_pair", f"{s}-{t}", got[f"{s}-{t}"]))
        for kind, scope, counts in scopes:
            rows.append({"threshold": th, "threshold_probability": THRESHOLDS.get(th),
                         "scope_type": kind, "scope": scope, **_prf(*counts)})
    return pd.DataFrame(rows)


def subgroup_sql(clusters: str, truth: str, persons: str, attributes: str, threshold: str) -> str:
    """Per-record error indicators at a threshold, with subgroup columns.

    `attributes` is a query giving (source_dataset, record_id, <subgroup columns...>).
    """
    return f"""
        WITH b AS ({labelled_sql(clusters, truth, threshold)}),
        sizes AS (
            SELECT b.*,
                count(*) OVER (PARTITION BY cluster_id) AS n_cluster,
                count(*) OVER (PARTITION BY person_id) AS n_person,
                count(*) OVER (PARTITION BY cluster_id, person_id) AS n_both,
                count(DISTINCT source_dataset) OVER (PARTITION BY cluster_id) AS n_cluster_sources
            FROM b
        )
        SELECT s.*, a.* EXCLUDE (source_dataset, record_id),
            n_cluster > n_both AS false_match,
            CASE WHEN n_person > 1 THEN n_both < n_person END AS missed_match,
            n_cluster > 1 AS linked,
            n_cluster_sources > 1 AS linked_other_source
        FROM sizes s
        JOIN ({attributes}) a USING (source_dataset, record_id)
    """


def subgroup_table(
    con: duckdb.DuckDBPyConnection,
    clusters: str,
    truth: str,
    persons: str,
    attributes: str,
    dimensions: Sequence[str],
    thresholds: Sequence[str] = tuple(THRESHOLDS),
) -> pd.DataFrame:
    """Record-level error rates and pairwise precision / recall / F1 per subgroup and threshold."""
    frames = []
    for th in thresholds:
        con.execute(f"CREATE OR REPLACE TEMP TABLE __bold_sg AS "
                    f"{subgroup_sql(clusters, truth, persons, attributes, th)}")
        for dim in dimensions:
            rates = con.sql(f"""
                SELECT '{th}' AS threshold, '{dim}' AS dimension,
                       coalesce(CAST("{dim}" AS VARCHAR), 'unknown') AS subgroup,
                       count(*) AS records,
                       avg(CAST(false_match AS DOUBLE)) AS false_match_rate,
                       avg(CAST(missed_match AS DOUBLE)) AS missed_match_rate,
                       avg(CAST(linked AS DOUBLE)) AS linked_rate,
                       avg(CAST(linked_other_source AS DOUBLE)) AS linked_other_source_rate
                FROM __bold_sg GROUP BY ALL ORDER BY subgroup
            """).df()
            g = f"""coalesce(CAST("{dim}" AS VARCHAR), 'unknown')"""
            # pairs involving the subgroup, per cluster / person / both: all pairs minus pairs
            # with no subgroup record, C(n) - C(n - k); groups without a subgroup record add 0,
            # so only the (group, subgroup) combinations present are counted.
            pairs = con.sql(f"""
                WITH s AS (SELECT {g} AS grp, cluster_id, person_id FROM __bold_sg),
                nb AS (SELECT cluster_id, person_id, count(*) AS n FROM s GROUP BY ALL),
                nc AS (SELECT cluster_id, count(*) AS n FROM s GROUP BY ALL),
                np AS (SELECT person_id, count(*) AS n FROM s GROUP BY ALL),
                kb AS (SELECT grp, cluster_id, person_id, count(*) AS k FROM s GROUP BY ALL),
                kc AS (SELECT grp, cluster_id, count(*) AS k FROM s GROUP BY ALL),
                kp AS (SELECT grp, person_id, count(*) AS k FROM s GROUP BY ALL),
                cp AS (SELECT grp, sum({_c2('n')} - {_c2('n - k')}) AS n FROM kb JOIN nb
                       ON kb.cluster_id IS NOT DISTINCT FROM nb.cluster_id
                      AND kb.person_id IS NOT DISTINCT FROM nb.person_id GROUP BY grp),
                cc AS (SELECT grp, sum({_c2('n')} - {_c2('n - k')}) AS n FROM kc JOIN nc
                       ON kc.cluster_id IS NOT DISTINCT FROM nc.cluster_id GROUP BY grp),
                pp AS (SELECT grp, sum({_c2('n')} - {_c2('n - k')}) AS n FROM kp JOIN np
                       ON kp.person_id IS NOT DISTINCT FROM np.person_id GROUP BY grp),
                groups AS (SELECT DISTINCT grp FROM s)
                SELECT grp AS subgroup,
                    (SELECT sum(n) FROM cp WHERE cp.grp = groups.grp) AS tp,
                    (SELECT sum(n) FROM cc WHERE cc.grp = groups.grp) AS linked,
                    (SELECT sum(n) FROM pp WHERE pp.grp = groups.grp) AS true_pairs
                FROM groups
            """).df()
            prf = pd.DataFrame([
                {"subgroup": r.subgroup, **_prf(float(r.tp or 0), float(r.linked or 0),
                                                float(r.true_pairs or 0))}
                for r in pairs.itertuples()
            ])
            frames.append(rates.merge(prf[["subgroup", "precision", "recall", "f1"]],
                                      on="subgroup", how="left"))
        con.execute("DROP TABLE IF EXISTS __bold_sg")
    return pd.concat(frames, ignore_index=True)


def threshold_curve(
    con: duckdb.DuckDBPyConnection,
    pairs: str,
    truth: str,
    grid: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95,
                             0.97, 0.99, 0.995, 0.999),
) -> pd.DataFrame:
    """Edge-level precision / recall of scored pairs at match-probability thresholds (before
    clustering), against all true pairs."""
    true_pairs = con.execute(f"""
        SELECT sum({_c2('n')}) FROM (SELECT count(*) AS n FROM {truth}
        WHERE person_id IS NOT NULL GROUP BY person_id)
    """).fetchall()[0][0] or 0
    edges = con.sql(f"""
        SELECT p.match_probability, tl.person_id = tr.person_id AS is_match
        FROM {pairs} p
        JOIN {truth} tl ON tl.source_dataset = p.source_dataset_l
                       AND CAST(tl.record_id AS VARCHAR) = p.record_id_l
        JOIN {truth} tr ON tr.source_dataset = p.source_dataset_r
                       AND CAST(tr.record_id AS VARCHAR) = p.record_id_r
    """).df()
    rows = []
    for t in grid:
        sel = edges[edges.match_probability >= t]
        tp = float(sel.is_match.sum())
        rows.append({"threshold_probability": t, **_prf(tp, float(len(sel)), float(true_pairs))})
    return pd.DataFrame(rows)
