"""The linkage engine switch without starting Spark: settings, SQL translation, the early
failure when Spark cannot run, and the one patch of Splink's Spark dialect (tests/test_spark.py
runs the linkage on Spark itself)."""

from __future__ import annotations

import re
import sys

import pytest
import sqlglot

from bold_assets.linkage import engine as eng
from bold_assets.linkage import models as mdl
from bold_assets.linkage.blocking import candidate_rules, training_rules
from bold_assets.settings import EngineSettings, SettingsError, engine_settings, get_settings
from tests.conftest import bold_env

# DuckDB functions Spark lacks (or names otherwise)
DUCKDB_ONLY = ("list_has_any", "jaro_winkler_similarity", "strftime", "date_diff")
EXTRAS = (("x_email", "email"), ("x_town", "town"), ("x_nino", "id"), ("x_seen", "date"),
          ("x_street", "address"), ("x_occupation", "text"))
FILLED = {"forename1_std", "forename2_std", "surname_std", "dob_std", "dob_year", "sex_std",
          "postcode_std", "postcode_text", "forename1_keys", "surname_keys", "nino_std",
          "nhs_number_std", "upn_std", *(c for c, _ in EXTRAS)}


def _every_model() -> list[dict]:
    """Settings of every model kind bold trains: wave 0's (strong and weak identifiers, with a
    national id) and any table's, in DuckDB's dialect."""
    plans = [mdl.ModelPlan("w0", "dedupe_only", ("mags",)),
             mdl.ModelPlan("weak", "link_only", ("fam", "civ"), weak=True),
             mdl.ModelPlan("any", "dedupe_only", ("input",), extras=EXTRAS,
                           prediction_rules=tuple(sql for _, sql in
                                                  candidate_rules(FILLED, EXTRAS)))]
    return [mdl.settings_for(p, FILLED).create_settings_dict("duckdb") for p in plans]


def test_every_model_translates_to_spark_sql_that_spark_reads():
    spark = eng.SparkEngine(EngineSettings(name="spark"))
    models = _every_model()
    assert sum(len(c["comparison_levels"]) for m in models for c in m["comparisons"]) > 40
    for model in models:
        translated = spark.settings(model)
        assert translated["sql_dialect"] == "spark"
        for holder, key in eng._model_sql(translated):
            sql = holder[key]
            sqlglot.parse_one(sql, read="spark")  # Spark SQL that parses
            assert not any(re.search(rf"\b{f}\b", sql, re.I) for f in DUCKDB_ONLY), sql
            assert '"' not in sql  # identifiers quoted Spark's way
        # and back: the saved model is the DuckDB one, string for string
        assert spark.canonical(translated) == {**model, "sql_dialect": "duckdb"}
    rules = [spark.rule(r) for r in training_rules(FILLED, EXTRAS)]
    assert all(sqlglot.parse_one(r, read="spark") for r in rules)


def test_functions_are_renamed_where_the_dialects_differ():
    sql = eng.to_spark_sql('list_has_any(a_l, a_r) AND jaro_winkler_similarity("s_l", "s_r") '
                           ">= 0.9 AND abs(date_diff('day', d_l, d_r)) <= 60")
    assert "ARRAYS_OVERLAP(a_l, a_r)" in sql
    assert "BOLD_JARO_WINKLER(`s_l`, `s_r`)" in sql
    assert "DATEDIFF(DAY, d_l, d_r)" in sql


def test_a_model_sql_with_no_duckdb_original_is_refused():
    spark = eng.SparkEngine(EngineSettings(name="spark"))
    model = {"comparisons": [{"comparison_levels": [{"sql_condition": "a_l = b_r"}]}],
             "blocking_rules_to_generate_predictions": []}
    with pytest.raises(ValueError, match="no DuckDB original"):
        spark.canonical(model)


def test_engine_settings_come_from_the_environment(tmp_path):
    with bold_env(BOLD_LINKAGE_ENGINE=None, BOLD_SPARK_MASTER=None, BOLD_SPARK_WORK_DIR=None,
                  BOLD_WAREHOUSE=str(tmp_path / "w.duckdb")):
        default = get_settings().engine
        assert default.name == "duckdb"
        assert isinstance(eng.current(), eng.DuckDBEngine)
        assert not isinstance(eng.current(), eng.SparkEngine)
        assert default.work_dir == str(tmp_path / "spark")  # beside the warehouse
    with bold_env(BOLD_LINKAGE_ENGINE="Spark", BOLD_SPARK_MASTER="spark://h:7077",
                  BOLD_SPARK_SHUFFLE_PARTITIONS="64", BOLD_SPARK_KEEP_FILES="1"):
        chosen = engine_settings()
        assert (chosen.name, chosen.spark_master, chosen.spark_shuffle_partitions,
                chosen.keep_files) == ("spark", "spark://h:7077", 64, True)
        assert chosen.describe() == "spark (spark://h:7077)"
    with bold_env(BOLD_LINKAGE_ENGINE="polars"), pytest.raises(SettingsError,
                                                                 match="BOLD_LINKAGE_ENGINE"):
        engine_settings()
    with bold_env(BOLD_SPARK_SHUFFLE_PARTITIONS="0"), pytest.raises(SettingsError):
        engine_settings()
    with bold_env(BOLD_SPARK_MASTER="sc://cluster:15002"), pytest.raises(SettingsError,
                                                                          match="Connect"):
        engine_settings()
    with bold_env(BOLD_SPARK_CONF="spark.executor.instances=4; spark.a.b = x=y"):
        assert engine_settings().spark_conf == (("spark.executor.instances", "4"),
                                                ("spark.a.b", "x=y"))
    with bold_env(BOLD_SPARK_CONF="executor.instances=4"), pytest.raises(SettingsError,
                                                                          match="BOLD_SPARK_CONF"):
        engine_settings()


def test_the_resource_overrides_the_settings_and_sets_the_engine(tmp_path):
    from bold_assets.defs.resources import LinkageEngineResource

    with bold_env(BOLD_LINKAGE_ENGINE=None, BOLD_WAREHOUSE=str(tmp_path / "w.duckdb")):
        resource = LinkageEngineResource(engine="spark", spark_master="local[1]")
        assert resource.settings().spark_master == "local[1]"
        assert resource.settings().work_dir == str(tmp_path / "spark")
        with resource.use() as chosen:
            assert eng.current() is chosen and chosen.name == "spark"
        assert eng.current().name == "duckdb"


def test_spark_without_java_fails_before_the_run(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyspark")  # else the missing pyspark is said first
    from bold_assets.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with bold_env(BOLD_LINKAGE_ENGINE="spark", BOLD_WAREHOUSE=str(tmp_path / "w.duckdb")):
        assert main(["materialize"]) == 2
    err = capsys.readouterr().err
    assert "Java runtime" in err and "openjdk-17-jre-headless" in err
    assert not (tmp_path / "w.duckdb").exists()  # nothing ran
    with bold_env(BOLD_LINKAGE_ENGINE="spark"), pytest.raises(eng.EngineUnavailable,
                                                                match="Java"):
        from bold_assets.linkage.core import LinkageSession

        LinkageSession([])


def test_spark_with_java_11_fails_before_the_run(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyspark")  # else the missing pyspark is said first
    from bold_assets.cli import main

    java = tmp_path / "java"  # a Java 11 runtime, as `java -version` says it
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    java.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    eng._java_version.cache_clear()
    with bold_env(BOLD_LINKAGE_ENGINE="spark", BOLD_WAREHOUSE=str(tmp_path / "w.duckdb"),
                  DAGSTER_HOME=str(tmp_path / "home")):
        assert main(["refresh", "--from", "2023-10-02", "--to", "2023-10-02"]) == 2
    assert "needs Java 17 or later" in capsys.readouterr().err
    assert eng._java_version("/bin/true") is None  # says no version: let Spark try
    eng._java_version.cache_clear()


def test_spark_without_pyspark_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import fails
    with pytest.raises(eng.EngineUnavailable, match=r"pip install -e '\.\[spark\]'"):
        eng.check_spark()


def test_splinks_spark_dialect_still_needs_and_takes_the_fix():
    """Splink writes Spark SQL through its `customspark` sqlglot dialect; `_fix_splink_spark_
    dialect` replaces it when sqlglot's compiled generator refuses the subclass. If Splink
    drops the dialect or sqlglot stops compiling, this says so."""
    from splink.internals.spark.spark_helpers import custom_spark_dialect

    assert custom_spark_dialect.CustomSpark.__name__ == "CustomSpark"
    eng._fix_splink_spark_dialect()
    out = sqlglot.transpile('SELECT CAST(0.5 AS DOUBLE) AS "p", l.`a` FROM t',
                            read="spark", write="customspark")[0]
    assert out == "SELECT CAST(0.5 AS DOUBLE) AS `p`, l.`a` FROM t"


def test_the_jaro_winkler_jar_is_built_from_its_source():
    """bold-similarity.jar carries the source it was built from (jars/build.sh): a change to the
    source without a rebuild fails here, Java or not."""
    import zipfile
    from pathlib import Path

    source = Path(eng.SIMILARITY_JAR).parent / "src" / "boldassets" / "DuckDBJaroWinkler.java"
    with zipfile.ZipFile(eng.SIMILARITY_JAR) as jar:
        assert jar.read("boldassets/DuckDBJaroWinkler.java") == source.read_bytes()
        assert "boldassets/DuckDBJaroWinkler.class" in jar.namelist()
