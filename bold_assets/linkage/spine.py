"""Person ids that last: carry ids across snapshots and link later sources into the spine.

`assign_ids(clusters, previous, next_id)` gives each cluster of the new snapshot the id most of
its records had at the previous snapshot. Candidates (cluster, old id, records in common) are
taken largest first (ties: lower old id, then the cluster whose first record id sorts first),
each cluster and each old id used once. So:

- a merge keeps the id with most records in the merged cluster and retires the others;
- a split keeps the id on the larger part; the other parts get new ids;
- a cluster with no previously known record is a new person with a new id.

Ids are whole numbers issued in sequence (never reused), inside the identifier zone; the
research zone sees only keyed hashes of them (`research_id_sql`), so an id reveals no record id.
Every change is a row of `changes`: (snapshot_date, old_id, new_id, kind, n_records), kind one of
`new` (old_id null), `merge` (old id retired into a living one), `split` (records moved to a
new id), `move` (records moved between two living ids), `retired` (an id's records are gone).

`link_into_spine(...)` is how later waves join: their records are scored against the people
already in the spine with a saved model and take the id of the person they link to best, or new
ids; nobody already in the spine is ever renumbered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from bold_assets.pseudonymise import hash_expr

CHANGE_COLUMNS = ("snapshot_date", "old_id", "new_id", "kind", "n_records")
ID_COLUMNS = ("source_dataset", "record_id", "person_id")


@dataclass
class SpineUpdate:
    ids: pd.DataFrame  # source_dataset, record_id, person_id
    changes: pd.DataFrame  # CHANGE_COLUMNS
    next_id: int  # the next id to issue


def _frame(data: Any) -> pd.DataFrame:
    return data.to_pandas() if isinstance(data, pa.Table) else pd.DataFrame(data)


def assign_ids(clusters: Any, previous: Any | None, next_id: int = 1,
               snapshot_date: dt.date | str | None = None,
               cluster_column: str = "cluster_medium") -> SpineUpdate:
    """Persistent ids for `clusters` (source_dataset, record_id, `cluster_column`) given the ids
    of the `previous` snapshot (source_dataset, record_id, person_id; None at the first)."""
    c = _frame(clusters)[["source_dataset", "record_id", cluster_column]].rename(
        columns={cluster_column: "cluster"})
    c["uid"] = c["source_dataset"].astype(str) + "|" + c["record_id"].astype(str)
    prev = (_frame(previous)[list(ID_COLUMNS)] if previous is not None
            else pd.DataFrame(columns=list(ID_COLUMNS)))
    prev = prev.assign(uid=prev["source_dataset"].astype(str) + "|"
                       + prev["record_id"].astype(str))[["uid", "person_id"]]
    c = c.merge(prev.rename(columns={"person_id": "old_id"}), on="uid", how="left")
    # each cluster's first record id (sort + first row: a string groupby-min is a Python loop)
    first = (c[["cluster", "uid"]].sort_values("uid", kind="stable")
             .drop_duplicates("cluster").set_index("cluster")["uid"].rename("first_uid"))
    known = c[c["old_id"].notna()]
    cand = (known.groupby(["cluster", "old_id"]).size().rename("n").reset_index()
            .merge(first, left_on="cluster", right_index=True))
    cand = cand.sort_values(["n", "old_id", "first_uid"], ascending=[False, True, True])
    taken_c: dict[Any, int] = {}
    used: set[int] = set()
    for cl, old in zip(cand["cluster"].to_numpy(), cand["old_id"].to_numpy(), strict=True):
        if cl in taken_c or old in used:
            continue
        taken_c[cl] = int(old)
        used.add(old)
    fresh = first[~first.index.isin(list(taken_c))].sort_values()
    minted = {cl: next_id + i for i, cl in enumerate(fresh.index)}
    pid = {**taken_c, **minted}
    c["person_id"] = c["cluster"].map(pid).astype("int64")

    snap = pd.Timestamp(snapshot_date).date() if snapshot_date is not None else None
    changes = []
    moved = c[c["old_id"].notna() & (c["old_id"] != c["person_id"])]
    if len(moved):
        alive = set(pid.values())
        grp = moved.groupby(["old_id", "person_id"]).size().rename("n_records").reset_index()
        new_ids = set(minted.values())
        kind = np.where(grp["person_id"].isin(new_ids), "split",
                        np.where(~grp["old_id"].isin(alive), "merge", "move"))
        changes.append(pd.DataFrame({"old_id": grp["old_id"].astype("int64"),
                                     "new_id": grp["person_id"].astype("int64"),
                                     "kind": kind, "n_records": grp["n_records"]}))
    new_people = c[c["cluster"].isin(fresh.index)]
    new_people = new_people.groupby("person_id").agg(
        n_records=("uid", "size"), known=("old_id", "count")).reset_index()
    new_people = new_people[new_people["known"] == 0]
    if len(new_people):
        changes.append(pd.DataFrame({"old_id": pd.NA, "new_id": new_people["person_id"],
                                     "kind": "new", "n_records": new_people["n_records"]}))
    gone = set(prev["person_id"].dropna().astype("int64")) - set(c["old_id"].dropna()
                                                                  .astype("int64"))
    if gone:
        changes.append(pd.DataFrame({"old_id": sorted(gone), "new_id": pd.NA,
                                     "kind": "retired", "n_records": 0}))
    ch = (pd.concat(changes, ignore_index=True) if changes
          else pd.DataFrame(columns=list(CHANGE_COLUMNS[1:])))
    ch.insert(0, "snapshot_date", snap)
    ch = ch.astype({"old_id": "Int64", "new_id": "Int64", "n_records": "int64"})
    ids = c[list(ID_COLUMNS)].sort_values(["source_dataset", "record_id"]).reset_index(drop=True)
    return SpineUpdate(ids, ch.reset_index(drop=True)[list(CHANGE_COLUMNS)],
                       next_id + len(minted))


def research_id_sql(column: str) -> str:
    """SQL: the keyed research-zone id of an internal person id (needs `bold_hmac`)."""
    return hash_expr("spine", "person_id", f"CAST({column} AS VARCHAR)")


def link_into_spine(spine_records: Any, spine_ids: Any, new_records: Any,
                    model: dict[str, Any], next_id: int,
                    threshold: float = 0.8,
                    snapshot_date: dt.date | str | None = None,
                    new_clusters: dict[str, str] | None = None) -> SpineUpdate:
    """Link a new source's standardised records into the spine without renumbering anyone.

    `spine_records`: standardised records already in the spine; `spine_ids`: their ids
    (source_dataset, record_id, person_id); `new_records`: standardised records of the new
    source(s); `model`: a saved Splink model of link type `link_and_dedupe` (or `link_only`)
    between the spine and the new source. New records are clustered among themselves and with
    the spine over pairs >= `threshold`; each cluster of new records takes the id of the spine
    person it links to most strongly (sum of match weights over the linking pairs), or a new id.
    Returned `ids` cover only the new records; `changes` lists new people (kind `new`) and
    records joining existing people (kind `join`, old_id null).
    `new_clusters`: the new records' own clustering (uid `source|record_id` -> cluster label,
    e.g. from a dedupe of the new source with hard links on its own person key); it replaces
    the new-new edges of the model.
    """
    from splink import Linker

    from bold_assets.linkage import models as mdl
    from bold_assets.linkage.core import LinkageSession

    old = _frame(spine_ids)[list(ID_COLUMNS)]
    with LinkageSession([spine_records, new_records]) as session:
        con = session.con
        spine_sources = set(old["source_dataset"].unique())
        sources = tuple(session.sources())
        groups = {s: "spine" if s in spine_sources else "new" for s in sources}
        plan = mdl.ModelPlan("spine_link", "link_only", sources, groups)
        table = session.input_table(plan)  # the model's columns, link_group spine / new
        con.register("__old_ids", old)
        con.execute(f"""
            CREATE TABLE spine_input AS
            SELECT t.*, o.person_id AS spine_person
            FROM {table} t LEFT JOIN __old_ids o
              ON o.source_dataset = t.source_dataset AND o.record_id = t.record_id
            WHERE t.link_group = 'new' OR o.person_id IS NOT NULL
        """)
        con.unregister("__old_ids")
        _, spine_input = session.register("spine_input")
        linker = Linker(spine_input, session.engine.settings(model),
                        log_level=mdl.SPLINK_LOG_LEVEL)
        scored = linker.inference.predict(threshold_match_probability=threshold,
                                          warning_mode="never")
        readable = session.engine.readable(scored, ("uid_l", "uid_r", "match_weight",
                                                         "match_probability"))
        edges = con.sql(f"""
            SELECT uid_l, uid_r, match_weight FROM {readable}
            WHERE match_probability >= {threshold}""").df()
        nodes = con.sql("SELECT uid, link_group, spine_person FROM spine_input").df()
    new_uids = nodes.loc[nodes["link_group"] == "new", "uid"]
    spine_of = nodes.dropna(subset=["spine_person"]).set_index("uid")["spine_person"]
    # components of new records over new-new edges
    parent = {u: u for u in new_uids}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    if new_clusters is not None:
        pairs = pd.DataFrame({"uid": list(new_uids)})
        pairs["cl"] = pairs["uid"].map(new_clusters).fillna(pairs["uid"])
        first = pairs.groupby("cl")["uid"].transform("min")
        for a, b in zip(pairs["uid"], first, strict=True):
            parent[a] = b  # one level: each record points at its cluster's smallest uid
    else:
        is_new = edges["uid_l"].isin(parent) & edges["uid_r"].isin(parent)
        for a, b in zip(edges.loc[is_new, "uid_l"], edges.loc[is_new, "uid_r"], strict=True):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    comp = pd.Series({u: find(u) for u in new_uids}, dtype=object)
    best = best_person(edges, comp, spine_of)
    fresh = sorted(set(comp.unique()) - set(best))
    minted = {r: next_id + i for i, r in enumerate(fresh)}
    pid = comp.map({**best, **minted}).astype("int64")
    src_rec = pid.index.to_series().str.split("|", n=1, expand=True)
    ids = pd.DataFrame({"source_dataset": src_rec[0].to_numpy(),
                        "record_id": src_rec[1].to_numpy(), "person_id": pid.to_numpy()})
    kind = np.where(pid.isin(list(minted.values())), "new", "join")
    ch = (pd.DataFrame({"new_id": pid.to_numpy(), "kind": kind}).groupby(["new_id", "kind"])
          .size().rename("n_records").reset_index())
    ch.insert(0, "old_id", pd.NA)
    ch.insert(0, "snapshot_date",
              pd.Timestamp(snapshot_date).date() if snapshot_date is not None else None)
    ch = ch.astype({"old_id": "Int64", "new_id": "Int64"})
    return SpineUpdate(ids.sort_values(["source_dataset", "record_id"]).reset_index(drop=True),
                       ch[list(CHANGE_COLUMNS)], next_id + len(minted))


def best_person(edges: pd.DataFrame, comp: pd.Series, person_of: pd.Series) -> dict[Any, int]:
    """For each component of new records (`comp`: new uid -> component), the known person it
    links to most strongly: the sum of match weights over its `edges` (uid_l, uid_r,
    match_weight) to records of that person (`person_of`: known uid -> person id); ties go to
    the lower id. Components with no edge to a known record are left out."""
    is_new_l, is_new_r = edges["uid_l"].isin(comp.index), edges["uid_r"].isin(comp.index)
    cross = edges[is_new_l != is_new_r]
    new_side = cross["uid_l"].where(is_new_l[cross.index], cross["uid_r"])
    old_side = cross["uid_r"].where(is_new_l[cross.index], cross["uid_l"])
    votes = pd.DataFrame({"comp": comp.reindex(new_side).to_numpy(),
                          "person_id": person_of.reindex(old_side).to_numpy(),
                          "w": cross["match_weight"].to_numpy()}).dropna(subset=["person_id"])
    votes = (votes.groupby(["comp", "person_id"])["w"].sum().reset_index()
             .sort_values(["comp", "w", "person_id"], ascending=[True, False, True])
             .drop_duplicates("comp"))
    return votes.set_index("comp")["person_id"].astype("int64").to_dict()
