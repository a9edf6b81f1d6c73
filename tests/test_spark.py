"""The linkage on real Spark (local mode, one session for the worker): the same clusters and
ids as DuckDB, models that cross engines, identifiers that stay in their zone.

Built on the refreshes of tests/test_refresh.py (`refreshed`, tests/refresh_runs.py: its
repeated refresh scores on Spark), in the same xdist group (tests/conftest.py). Skipped only
where pyspark or Java is missing; CI installs both (`.ci/run`)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from bold_assets.linkage import engine as eng
from bold_assets.linkage import shapes
from bold_assets.settings import engine_settings
from tests.conftest import bold_env
from tests.refresh_runs import SPARK_RELINK as SPARK

try:
    eng.check_spark()
except eng.EngineUnavailable as exc:  # pragma: no cover - CI has both
    pytest.skip(str(exc), allow_module_level=True)


@pytest.fixture(scope="session")
def duckdb_then_spark(refreshed: dict) -> dict:
    """The refreshes of `refreshed` (tests/refresh_runs.py): wave 0 linked on DuckDB (models
    trained there), the same extracts refreshed with every pair scored again on Spark with
    those models (the weekly refresh of unchanged extracts, on Spark), then a later snapshot
    refreshed on DuckDB."""
    before, after = refreshed["states"]
    assert after is not None  # Spark ran
    return {"path": refreshed["path"], "before": before, "after": after}


def test_spark_scores_and_clusters_as_duckdb_does(duckdb_then_spark):
    before, after = duckdb_then_spark["before"], duckdb_then_spark["after"]
    assert len(before["clusters"]) > 300
    pd.testing.assert_frame_equal(before["clusters"], after["clusters"])
    # every model scored its pairs again on Spark: the same pairs, the same probabilities (to
    # float rounding: the engines sum the match weights in their own order)
    merged = _pairs(before["pairs"]).merge(_pairs(after["pairs"]), on=["a", "b"], how="outer")
    assert merged["p_x"].notna().all() and merged["p_y"].notna().all()
    assert ((merged["p_x"] - merged["p_y"]).abs() < 1e-9).all()


def test_a_refresh_on_spark_after_duckdb_renumbers_nobody(duckdb_then_spark):
    before, after = duckdb_then_spark["before"], duckdb_then_spark["after"]
    pd.testing.assert_frame_equal(before["ids"], after["ids"])
    assert set(after["changes"]["kind"]) == {"new"}  # only the first run's new people
    pd.testing.assert_frame_equal(after["changes"], before["changes"])


def test_the_engine_is_in_the_metadata_and_its_files_are_gone(duckdb_then_spark):
    import dagster as dg

    path = duckdb_then_spark["path"]
    with bold_env(DAGSTER_HOME=str(path.parent / "dagster_home")):
        instance = dg.DagsterInstance.get()
        records = instance.fetch_materializations(
            dg.AssetKey(["linkage", "pairwise_predictions"]), limit=4).records
    engines = [r.asset_materialization.metadata["linkage_engine"].value for r in records]
    assert engines == ["duckdb", "spark", "duckdb", "duckdb"]  # newest first
    work = path.parent / "spark"  # the identifier-zone folder beside the warehouse
    assert work.is_dir() and not any(work.glob("bold-spark-*"))  # handed-over files removed
    from bold_assets import storage_scan

    with duckdb.connect(str(path), read_only=True) as con:
        values = storage_scan.sample_identifiers(con)
    assert storage_scan.scan_files(path.parent / "dagster_home", values) == []


def test_bold_link_on_spark_scores_with_the_model_duckdb_trained(tmp_path, capsys):
    """`bold link --engine spark` reuses a model `bold link` trained on DuckDB: the same
    clusters."""
    from bold_assets.cli import main

    shape = shapes.emails_towns(200, seed=11)  # 412 records
    data = tmp_path / "people.csv"
    shape.tables[0].drop(columns=["_pid"]).to_csv(data, index=False)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(shape.mapping))
    args = ["link", str(data), "--mapping", str(mapping), "--models", str(tmp_path / "models")]
    assert main([*args, "--out", str(tmp_path / "duckdb"), "--engine", "duckdb"]) == 0
    # the engine and master from the flags, the other settings the worker's Spark session has
    with bold_env(**{**SPARK, "BOLD_LINKAGE_ENGINE": None, "BOLD_SPARK_MASTER": None}):
        assert main([*args, "--out", str(tmp_path / "spark"), "--engine", "spark",
                     "--spark-master", "local[1]"]) == 0
    out = capsys.readouterr().out
    assert "reused saved model" in out and "(engine spark)" in out
    spark, duck = (pd.read_csv(tmp_path / d / "clusters.csv", dtype=str)
                   for d in ("spark", "duckdb"))
    assert len(spark) > 300
    order = list(spark.columns)
    pd.testing.assert_frame_equal(spark.sort_values(order, ignore_index=True),
                                  duck.sort_values(order, ignore_index=True))
    assert not (tmp_path / "spark" / ".spark").exists() or not any(
        (tmp_path / "spark" / ".spark").glob("bold-spark-*"))  # hand-over files removed


def test_a_model_trained_on_spark_is_saved_as_duckdb_would_and_scores_there(tmp_path):
    """One model trained on each engine (one EM session, to keep Spark's many small jobs
    few): the same JSON but for the estimates, and the Spark one scores on DuckDB."""
    from bold_assets.linkage import models as mdl
    from bold_assets.linkage.blocking import rule_sql
    from bold_assets.linkage.core import LinkageSession, prepare_input

    shape = shapes.emails_towns(150, seed=12)
    mapping = {k: v for k, v in shape.mapping.items() if k != "extra"}
    std, _, _ = prepare_input(shape.tables[0].drop(columns=["_pid"]), mapping, "input")
    plan = mdl.ModelPlan("dedupe_input", "dedupe_only", ("input",), prediction_rules=(),
                         training_rules=(rule_sql(("dob_std",)),))
    with bold_env(**SPARK):
        spark = eng.make_engine(engine_settings())
    trained = {}
    for name, engine in (("spark", spark), ("duckdb", eng.DuckDBEngine())):
        with LinkageSession(std, engine=engine) as session:
            trained[name] = session.train(plan, u_max_pairs=2e4)
    path = mdl.save_model(tmp_path, plan, trained["spark"], {})
    loaded, _ = mdl.load_latest(tmp_path, plan.name)
    assert path.exists() and _without_estimates(loaded) == _without_estimates(trained["duckdb"])
    with LinkageSession(std, engine=eng.DuckDBEngine()) as session:
        pairs = session.fetch(session.predict(plan, loaded))
    assert pairs.num_rows > 50


def _without_estimates(model: dict) -> dict:
    out = json.loads(json.dumps(model))
    out.pop("linker_uid", None)
    out.pop("probability_two_random_records_match", None)
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("m_probability", None)
            level.pop("u_probability", None)
    return out


def test_incremental_scoring_on_spark_scores_what_a_full_run_does(duckdb_then_spark):
    """`predict_between` / `predict_within` on Spark: the pairs of changed records are a full
    run's pairs (`predict` on DuckDB) that touch them."""
    from bold_assets.linkage import incremental as inc
    from bold_assets.linkage import justice as J
    from bold_assets.linkage.core import LinkageSession

    path = duckdb_then_spark["path"]
    with duckdb.connect(str(path), read_only=True) as con:  # the later snapshot's records
        records = J.read_std(con)
        models = inc.load_recorded(con, path.parent / "models")
    plan = J.PLANS_BY_NAME["link_criminal"]
    with bold_env(**SPARK):
        spark = eng.make_engine(engine_settings())
    with LinkageSession(records, engine=eng.DuckDBEngine()) as session:
        full = _pairs(session.fetch(session.predict(plan, models[plan.name]["model"]))
                      .to_pandas())
    with LinkageSession(records, engine=spark) as session:
        session.con.execute(f"CREATE TABLE changed AS SELECT uid FROM "
                            f"{session.input_table(plan)} USING SAMPLE 15 PERCENT "
                            "(reservoir, 7)")
        changed = {u for (u,) in session.con.execute("SELECT uid FROM changed").fetchall()}
        out = session.fetch(inc.score_changed(session, plan, models[plan.name]["model"]))
    got = _pairs(out.to_pandas())
    touching = full[full["a"].isin(changed) | full["b"].isin(changed)]
    assert len(touching) > 20
    merged = touching.merge(got, on=["a", "b"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()  # as a full run on DuckDB
    assert ((merged["p_x"] - merged["p_y"]).abs() < 1e-9).all()


def _pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs as (a, b, p): the two record uids in order, the match probability."""
    left = frame["source_dataset_l"] + "|" + frame["record_id_l"]
    right = frame["source_dataset_r"] + "|" + frame["record_id_r"]
    return pd.DataFrame({"a": left.where(left < right, right),
                         "b": right.where(left < right, left),
                         "p": frame["match_probability"].to_numpy()})


def test_jaro_winkler_on_spark_is_duckdbs_value_for_value():
    """`bold_jaro_winkler` (our jar) gives DuckDB's `jaro_winkler_similarity` to the last bit,
    where Splink's jar keeps half transpositions (WORSCROFT / WOESCROFT: 0.907 against 0.891):
    random strings with accents, CJK, spaces, empty and over 64 characters, and nulls."""
    import random

    rng = random.Random(5)
    letters = "ABCDEHIJKLMNORSTWÉÖ日 -"
    words = ["".join(rng.choice(letters) for _ in range(rng.choice([0, 1, 2, 5, 9, 13, 70])))
             for _ in range(2_000)]
    names = ["".join(rng.choice("ABDEHILMNORSTW") for _ in range(rng.randint(4, 11)))
             for _ in range(2_000)]
    pairs = pd.DataFrame([(rng.choice(words), rng.choice(words)) for _ in range(10_000)]
                         + [(n, _typo(n, rng)) for n in names for _ in range(5)]
                         + [("WORSCROFT", "WOESCROFT"), ("MARTHA", "MARHTA"), (None, "A")],
                         columns=["a", "b"])
    with duckdb.connect() as con:
        duck = con.execute("SELECT jaro_winkler_similarity(a, b) AS jw FROM pairs").df()["jw"]
    with bold_env(**SPARK):
        spark = eng.spark_session(engine_settings())
    spark.createDataFrame(pairs).createOrReplaceTempView("jw_pairs")
    sql = eng.to_spark_sql("jaro_winkler_similarity(a, b)")
    on_spark = spark.sql(f"SELECT {sql} AS jw FROM jw_pairs").toPandas()["jw"]
    pd.testing.assert_series_equal(on_spark, duck, check_exact=True)
    assert 0.9 < on_spark.iloc[-3] < 0.91  # WORSCROFT / WOESCROFT as DuckDB has it
    # most typo pairs score above 0.7, where the prefix bonus (a fused multiply-add) applies
    assert (duck > 0.7).sum() > 8_000


def _typo(name: str, rng) -> str:
    """`name` with one or two swaps, insertions or deletions (the pairs names give)."""
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(name))
        kind = rng.choice(("swap", "insert", "delete"))
        if kind == "swap" and i + 1 < len(name):
            name = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        elif kind == "insert":
            name = name[:i] + rng.choice("AEIOUNRST") + name[i:]
        elif len(name) > 2:
            name = name[:i] + name[i + 1:]
    return name
