"""The reusable linkage core: any table in, clusters and scored pairs out; models reused."""

from __future__ import annotations

import datetime as dt
import json
import random

import duckdb
import pandas as pd
import pytest

from bold_assets.linkage import THRESHOLDS, dedupe, link_records
from bold_assets.linkage import evaluation as ev
from bold_assets.linkage import justice as J
from bold_assets.linkage import models as mdl
from bold_assets.linkage.cli import run as cli_run
from bold_assets.linkage.core import LinkageSession

FORENAMES = ["JOHN", "JAMES", "ROBERT", "MARY", "SARAH", "MOHAMMED", "PIOTR", "EMMA", "DAVID",
             "LISA", "WILLIAM", "KAREN", "ALI", "GRACE", "KWAME", "MEI", "OLIVIA", "TOMASZ"]
SURNAMES = ["SMITH", "JONES", "KHAN", "NOWAK", "BROWN", "TAYLOR", "WILSON", "PATEL", "OKAFOR",
            "EVANS", "THOMAS", "ROBERTS", "CHEN", "MENSAH", "WALKER", "HUGHES", "GREEN", "HALL"]


def _people(n: int, seed: int) -> list[dict]:
    r = random.Random(seed)
    return [{"pid": i, "fn": r.choice(FORENAMES), "sn": r.choice(SURNAMES) + r.choice(
        ["", "S", "SON", "ER", "LEY", "TON"]), "dob": dt.date(1950, 1, 1) + dt.timedelta(
        days=r.randrange(20000)), "sex": r.choice("MF"), "pc": f"{r.choice(['SW', 'M', 'LS'])}"
        f"{r.randrange(1, 20)} {r.randrange(1, 9)}{r.choice('ABDEFG')}{r.choice('ABDEFG')}"}
        for i in range(n)]


def _records(people: list[dict], seed: int) -> pd.DataFrame:
    """Up to 3 records per person, with typos, swaps, missing values: in an unfamiliar layout."""
    r = random.Random(seed)
    rows = []
    for p in people:
        for j in range(r.randint(1, 3)):
            fn, sn, dob, pc = p["fn"], p["sn"], p["dob"], p["pc"]
            if r.random() < 0.1:
                fn = fn[:-1]
            if r.random() < 0.05:
                fn, sn = sn, fn
            if r.random() < 0.05:
                dob = dob.replace(year=dob.year + 1) if not (dob.month == 2 and dob.day == 29) \
                    else dob
            if r.random() < 0.1:
                pc = None
            rows.append({"ref": f"P{seed}-{p['pid']}-{j}", "given": fn.title(),
                         "family": sn.lower(), "born": dob.strftime("%d.%m.%Y"),
                         "gender_code": {"M": "1", "F": "2"}[p["sex"]], "zip": pc,
                         "_pid": p["pid"]})
    return pd.DataFrame(rows)


MAPPING = {"record_id": "ref", "forename": "given", "surname": "family", "dob": "born",
           "dob_format": "%d.%m.%Y", "sex": "gender_code", "sex_codes": {"1": "M", "2": "F"},
           "postcode": "zip"}


def _pairwise_f1(clusters: pd.DataFrame, truth: pd.DataFrame, col: str) -> float:
    m = clusters.merge(truth, on=["source_dataset", "record_id"])

    def pairs(sizes: pd.Series) -> float:
        return float((sizes * (sizes - 1) / 2).sum())

    tp = pairs(m.groupby([col, "pid"]).size())
    p, r = tp / pairs(m.groupby(col).size()), tp / pairs(m.groupby("pid").size())
    return 2 * p * r / (p + r)


@pytest.fixture(scope="module")
def people() -> list[dict]:
    return _people(500, seed=3)


def test_dedupe_a_table_never_seen(people, tmp_path):
    df = _records(people, seed=11)
    path = tmp_path / "extract.csv"
    df.drop(columns=["_pid"]).to_csv(path, index=False)
    result = dedupe(path, MAPPING, source_dataset="la_extract")
    clusters = result.clusters.to_pandas()
    assert len(clusters) == len(df) and set(clusters.source_dataset) == {"la_extract"}
    assert list(clusters.columns) == ["source_dataset", "record_id",
                                      *(f"cluster_{k}" for k in THRESHOLDS)]
    truth = df.rename(columns={"ref": "record_id", "_pid": "pid"})[["record_id", "pid"]]
    truth["source_dataset"] = "la_extract"
    assert _pairwise_f1(clusters, truth, "cluster_medium") > 0.9
    pairs = result.pairs.to_pandas()
    assert {"match_weight", "match_probability"} <= set(pairs.columns)
    assert pairs.match_probability.between(0, 1).all()
    assert set(result.models) == {"dedupe_la_extract"}


def test_link_two_tables_with_inferred_columns(people):
    left = _records(people, seed=21)
    right = _records(people, seed=22).rename(columns={
        "ref": "id", "given": "first_name", "family": "last_name", "born": "date_of_birth",
        "gender_code": "gender", "zip": "postcode"})
    right["date_of_birth"] = pd.to_datetime(right["date_of_birth"], format="%d.%m.%Y").dt.date
    right["gender"] = right["gender"].map({"1": "M", "2": "F"})
    result = link_records(left.drop(columns=["_pid"]), right.drop(columns=["_pid"]), MAPPING,
                          right_mapping={"record_id": "id", "forename": "first_name",
                                         "surname": "last_name", "dob": "date_of_birth",
                                         "sex": "gender", "postcode": "postcode"},
                          left_name="courts", right_name="council")
    clusters = result.clusters.to_pandas()
    truth = pd.concat([
        left.assign(source_dataset="courts").rename(columns={"ref": "record_id", "_pid": "pid"}),
        right.assign(source_dataset="council").rename(columns={"id": "record_id", "_pid": "pid"}),
    ])[["source_dataset", "record_id", "pid"]]
    assert _pairwise_f1(clusters, truth, "cluster_medium") > 0.9
    assert set(result.models) == {"dedupe_courts", "dedupe_council", "link_courts_council"}
    cross = result.pairs.to_pandas().query("model == 'link_courts_council'")
    assert (cross.source_dataset_l != cross.source_dataset_r).all()


def test_models_reused_without_retraining(people, tmp_path, monkeypatch):
    std = pd.concat([
        _records(people, seed=s).assign(src=name) for s, name in ((31, "mags"), (32, "crown"))
    ])
    from bold_assets.linkage.core import standardise_input

    records = standardise_input(std.drop(columns=["_pid"]),
                                {**MAPPING, "source_dataset_column": "src"}, "x")
    plans = [mdl.ModelPlan("dedupe_mags", "dedupe_only", ("mags",)),
             mdl.ModelPlan("link_mc", "link_only", ("mags", "crown"))]
    with LinkageSession(records) as session:
        first = J.train_or_load(session, tmp_path, plans=plans)
    assert all(e["trained"] for e in first.values())
    assert first["dedupe_mags"]["meta"]["version"] == 1
    saved = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert saved == ["dedupe_mags/model_v0001.json", "dedupe_mags/model_v0001.meta.json",
                     "link_mc/model_v0001.json", "link_mc/model_v0001.meta.json"]

    def no_training(*args, **kwargs):
        raise AssertionError("a saved model was retrained")

    monkeypatch.setattr(mdl, "train", no_training)
    with LinkageSession(records) as session:
        again = J.train_or_load(session, tmp_path, plans=plans)
        assert not any(e["trained"] for e in again.values())
        assert again["dedupe_mags"]["model"] == first["dedupe_mags"]["model"]
        pairs = J.predict_all(session, {"dedupe_mags": again["dedupe_mags"]})
    assert pairs.num_rows > 0
    monkeypatch.undo()
    with LinkageSession(records) as session:  # retrain on request: a new version
        J.train_or_load(session, tmp_path, plans=plans[:1], retrain=True)
    assert (tmp_path / "dedupe_mags" / "model_v0002.json").exists()
    assert mdl.load_latest(tmp_path, "dedupe_mags")[1]["version"] == 2


def test_saved_model_of_another_spec_is_not_loaded(tmp_path):
    plan = mdl.ModelPlan("dedupe_x", "dedupe_only", ("x",))
    path = mdl.save_model(tmp_path, plan, {"comparisons": []}, {})
    meta = path.with_name(path.stem + ".meta.json")
    meta.write_text(json.dumps(json.loads(meta.read_text()) | {"spec_version": -1}))
    assert mdl.load_latest(tmp_path, "dedupe_x") is None


def test_cli_link(people, tmp_path, capsys):
    df = _records(people[:200], seed=41).drop(columns=["_pid"])
    df.to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "map.json").write_text(json.dumps(MAPPING))
    from bold_assets.cli import build_parser

    args = build_parser().parse_args(["link", str(tmp_path / "in.csv"), "--mapping",
                                      str(tmp_path / "map.json"), "--out",
                                      str(tmp_path / "out"), "--models", str(tmp_path / "m")])
    assert cli_run(args) == 0
    assert cli_run(args) == 0  # second run reuses the saved model
    out = capsys.readouterr().out
    assert "trained dedupe_left" in out and "reused saved model dedupe_left" in out
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    assert len(clusters) == len(df)


def test_pairwise_counts_by_hand():
    con = duckdb.connect()
    # persons: p1 = a1 a2 b1, p2 = a3 b2; clusters: {a1 a2}, {b1 b2 a3}
    con.execute("""CREATE TABLE truth AS SELECT * FROM (VALUES
        ('a', '1', 'p1'), ('a', '2', 'p1'), ('b', '1', 'p1'), ('a', '3', 'p2'), ('b', '2', 'p2'))
        t(source_dataset, record_id, person_id)""")
    con.execute("""CREATE TABLE cl AS SELECT *, c AS cluster_high, c AS cluster_medium,
        c AS cluster_low FROM (VALUES ('a', '1', 'x'), ('a', '2', 'x'), ('b', '1', 'y'),
        ('a', '3', 'y'), ('b', '2', 'y')) t(source_dataset, record_id, c)""")
    f1 = ev.f1_table(con, "cl", "truth", ["a"], ["b"], thresholds=["medium"]).set_index("scope")
    # overall: true pairs 3 + 1 = 4; linked pairs 1 + 3 = 4; true positives a1a2 + a3b2 = 2
    assert f1.loc["all", ["true_positives", "linked_pairs", "true_pairs"]].tolist() == [2, 4, 4]
    assert f1.loc["all", "f1"] == pytest.approx(0.5)
    # within a: a1a2 true & linked, a3 alone: precision 1, recall 1
    assert f1.loc["a", "precision"] == 1 and f1.loc["a", "recall"] == 1
    # a-b pairs: true a1b1, a2b1, a3b2; linked b1a3, b2a3 -> tp 1
    assert f1.loc["a-b", ["true_positives", "linked_pairs", "true_pairs"]].tolist() == [1, 2, 3]
    # pairs involving b = all minus within-a
    assert f1.loc["family_civil", "true_pairs"] == 4 - 1


def test_one_pass_clustering_matches_splinks_multiple_thresholds():
    """`LinkageSession.cluster` labels components in one pass; Splink's own clustering at the
    same thresholds gives the same clusters, named the same (smallest uid), when the chain guard
    is off (`test_chain_guard_*`)."""
    from splink import DuckDBAPI
    from splink.internals.clustering import (
        cluster_pairwise_predictions_at_multiple_thresholds,
    )

    rng = random.Random(3)
    n = 400
    records = pd.DataFrame({"source_dataset": [rng.choice("ab") for _ in range(n)],
                            "record_id": [f"r{i}" for i in range(n)]})
    uid = (records["source_dataset"] + "|" + records["record_id"]).tolist()
    edges = []
    for _ in range(500):  # chains and stars, with probabilities either side of each threshold
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            edges.append((i, j, rng.choice([0.5, 0.6, 0.8, 0.85, 0.95, 0.99, rng.random()])))
    pairs = pd.DataFrame({
        "source_dataset_l": [records.source_dataset[i] for i, _, _ in edges],
        "record_id_l": [records.record_id[i] for i, _, _ in edges],
        "source_dataset_r": [records.source_dataset[j] for _, j, _ in edges],
        "record_id_r": [records.record_id[j] for _, j, _ in edges],
        "match_probability": [p for _, _, p in edges]})
    with LinkageSession(records) as session:
        session.con.register("__p", pairs)
        session.con.execute("CREATE TABLE p AS SELECT * FROM __p")
        ours = session.fetch(session.cluster(["p"], THRESHOLDS, guard_chains=False)).to_pandas()
    ordered = sorted(THRESHOLDS.items(), key=lambda kv: kv[1])
    db_api = DuckDBAPI()
    cc = cluster_pairwise_predictions_at_multiple_thresholds(
        pd.DataFrame({"uid": uid}),
        pd.DataFrame({"uid_l": [uid[i] for i, _, _ in edges],
                      "uid_r": [uid[j] for _, j, _ in edges],
                      "match_probability": [p for _, _, p in edges]}),
        db_api=db_api, node_id_column_name="uid",
        match_probability_thresholds=[p for _, p in ordered]).as_pandas_dataframe()
    cols = [c for c in cc.columns if c.startswith("cluster_")]
    theirs = cc.rename(columns={c: f"cluster_{name}" for c, (name, _) in zip(
        cols, ordered, strict=True)})
    ours["uid"] = ours["source_dataset"] + "|" + ours["record_id"]
    merged = ours.merge(theirs, on="uid", suffixes=("", "_splink"))
    assert len(merged) == n
    for name in THRESHOLDS:
        assert (merged[f"cluster_{name}"] == merged[f"cluster_{name}_splink"]).all(), name
    # the thresholds differ here: fewer, larger clusters at the lower one
    assert merged["cluster_low"].nunique() < merged["cluster_high"].nunique()


@pytest.mark.parametrize("link_type", ["dedupe_only", "link_only"])
def test_exact_rule_count_equals_splinks(link_type):
    """The prior's exact-rule count (a GROUP BY) is the number Splink's blocking analysis gives,
    so the prior is Splink's own direct estimate."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    rng = random.Random(5)
    n = 300
    df = pd.DataFrame({
        "uid": [f"u{i}" for i in range(n)],
        "link_group": [rng.choice("abc") for _ in range(n)],
        "forename1_std": [rng.choice(["ANN", "BOB", "CY", None]) for _ in range(n)],
        "surname_std": [rng.choice(["LEE", "SMITH", None]) for _ in range(n)],
        "dob_std": [rng.choice([dt.date(1990, 1, 1), dt.date(1991, 2, 2), None])
                    for _ in range(n)]})
    cols = ["forename1_std", "surname_std", "dob_std"]
    con = duckdb.connect()
    con.register("__df", df)
    con.execute("CREATE TABLE t AS SELECT * FROM __df")
    sdf = DuckDBAPI(con).register("t")
    sizes = df.groupby("link_group").size().tolist()
    possible = (n * (n - 1) / 2 if link_type == "dedupe_only"
                else (sum(sizes) ** 2 - sum(s * s for s in sizes)) / 2)
    ours = mdl.ExactRuleCount.of(sdf, link_type, cols, possible)
    splink = mdl.ExactRuleCount.of(sdf, link_type, cols)
    assert ours.observed > 0
    assert (ours.observed, ours.total) == (splink.observed, splink.total)
    summary = count_comparisons_from_blocking_rules(
        sdf, blocking_rules=[" AND ".join(f"l.{c} = r.{c}" for c in cols)],
        link_type=link_type, unique_id_column_name="uid",
        source_dataset_column_name="link_group", record_sample_proportion=1.0)[-1]
    assert ours.observed == summary["cumulative_comparison_count"]


def test_chain_guard_splits_two_dense_groups_joined_by_one_weak_pair():
    """Two people with three records each (every pair of a person's records scored high) and one
    borderline pair between them: one cluster by transitive closure, two with the guard. A
    strong bridge, a record hanging by one pair, and a chain of single links stay joined."""
    import numpy as np

    from bold_assets.linkage.chains import bridge_bar, guarded_components

    def clusters(edges: list[tuple[int, int, float]], n: int, threshold: float = 0.8):
        i, j, p = (np.array(x) for x in zip(*edges, strict=True))
        with_guard = guarded_components(n, i, j, p, p >= threshold, threshold)
        plain = guarded_components(n, i, j, p, p >= threshold, None)
        return with_guard.tolist(), plain.tolist()

    triangles = [(0, 1, 0.99), (1, 2, 0.99), (0, 2, 0.99), (3, 4, 0.99), (4, 5, 0.99),
                 (3, 5, 0.99)]
    assert 0.8 < bridge_bar(0.8) < 0.95 and bridge_bar(0.5) > 0.5
    guarded, plain = clusters([*triangles, (2, 3, 0.85)], 6)
    assert plain == [0] * 6 and guarded == [0, 0, 0, 3, 3, 3]
    assert clusters([*triangles, (2, 3, 0.97)], 6)[0] == [0] * 6  # strong enough to bridge
    # a record hanging by one borderline pair: kept
    assert clusters([*triangles[:3], (2, 3, 0.85)], 4)[0] == [0] * 4
    # a chain of single links (blocking compared the records in a row): kept
    assert clusters([(0, 1, 0.85), (1, 2, 0.85), (2, 3, 0.85), (3, 4, 0.85)], 5)[0] == [0] * 5
    # the same pair scored by two models counts once, at its higher probability
    assert clusters([*triangles, (2, 3, 0.85), (3, 2, 0.97)], 6)[0] == [0] * 6
