"""Wave 0 linkage and research assets on a small synthetic warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bold_assets import pseudonymise as ps
from bold_assets.defs.factories.leaks import leak_check
from bold_assets.defs.resources import WarehouseResource
from bold_assets.linkage import THRESHOLDS
from bold_assets.linkage.research import xjs_link_sql
from bold_assets.sources import SOURCES, WAVE_0_SOURCES
from bold_assets.warehouse import connect
from tests.conftest import TEST_PROJECT_KEY, bold_env


@pytest.fixture(scope="module")
def linked_warehouse(pipeline_warehouse: Path) -> Path:
    """The whole pipeline's warehouse: linkage, research and linkage quality included (read
    only; tests that write copy it)."""
    return pipeline_warehouse


def test_research_tables_follow_the_contract(linked_warehouse, read_only):
    key = TEST_PROJECT_KEY.encode()
    with read_only(linked_warehouse) as con:
        for s in SOURCES.values():
            cols = [r[0] for r in con.execute(f"DESCRIBE research.{s.name}").fetchall()]
            assert not set(cols) & (set(s.pii_columns) | {s.key, *s.case_ids}), s.name
            assert cols[0] == "row_id_hash"
            assert [f"{c}_hash" for c in s.case_ids] == cols[1:1 + len(s.case_ids)]
            assert {"age_at_event", "lsoa_code", "lad_code"} <= set(cols)
            n_raw, n_res = con.execute(f"SELECT (SELECT count(*) FROM raw.{s.name}), "
                                       f"(SELECT count(*) FROM research.{s.name})").fetchall()[0]
            assert n_raw == n_res
            raw_ids = [r[0] for r in con.execute(
                f"SELECT {s.key} FROM raw.{s.name} ORDER BY {s.key} LIMIT 3").fetchall()]
            hashes = {r[0] for r in con.execute(
                f"SELECT row_id_hash FROM research.{s.name}").fetchall()}
            assert set(ps.row_id_hashes([s.name] * 3, raw_ids, key=key)) <= hashes
        ages = con.execute("SELECT min(age_at_event), max(age_at_event), count(age_at_event) "
                           "FROM research.mags").fetchall()[0]
        assert 10 <= ages[0] and ages[1] <= 100 and ages[2] > 0
        assert ps.scan_identifiers(con) == []


def test_spine_and_link_file(linked_warehouse, read_only):
    with read_only(linked_warehouse) as con:
        n_std = con.execute(" UNION ALL ".join(
            f"SELECT count(*) FROM linkage.std_{s}" for s in WAVE_0_SOURCES)).fetchall()
        n_clusters = con.execute("SELECT count(*) FROM linkage.person_clusters").fetchall()[0][0]
        assert sum(r[0] for r in n_std) == n_clusters
        # the link file mirrors the medium clusters one to one
        same = con.execute("""
            SELECT count(DISTINCT cluster_medium), count(DISTINCT estimated_xjs_id)
            FROM linkage.person_clusters, research.xjs_link
        """).fetchall()[0]
        assert same[0] == same[1]
        assert con.execute("SELECT count(*) FROM research.xjs_link").fetchall()[0][0] == n_clusters
        persons = {t: con.execute(f"SELECT count(DISTINCT cluster_{t}) FROM "
                                  "linkage.person_clusters").fetchall()[0][0] for t in THRESHOLDS}
        assert persons["high"] >= persons["medium"] >= persons["low"]
        params = con.execute("SELECT count(DISTINCT model) FROM linkage.model_parameters"
                             ).fetchall()[0][0]
        assert params == 9


def test_key_change_changes_ids(linked_warehouse, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(linked_warehouse, path)
    with connect(path) as con:
        ps.register_hmac(con, TEST_PROJECT_KEY.encode())
        same = con.execute(f"SELECT row_id_hash, estimated_xjs_id FROM ({xjs_link_sql()}) "
                           "ORDER BY ALL").fetchall()
        stored = con.execute("SELECT row_id_hash, estimated_xjs_id FROM research.xjs_link "
                             "ORDER BY ALL").fetchall()
        assert same == stored
        ps.register_hmac(con, b"another project")
        other = con.execute(f"SELECT row_id_hash, estimated_xjs_id FROM ({xjs_link_sql()})"
                            ).fetchall()
    assert not {r[0] for r in other} & {r[0] for r in stored}
    assert not {r[1] for r in other} & {r[1] for r in stored}


def test_quality_pack(linked_warehouse, read_only):
    with read_only(linked_warehouse) as con:
        f1 = con.execute("SELECT * FROM evaluation.linkage_f1").df()
        sub = con.execute("SELECT * FROM evaluation.linkage_subgroup_errors").df()
        journey = con.execute("SELECT * FROM evaluation.mags_crown_journey_accuracy").df()
    assert set(f1.threshold) == set(THRESHOLDS)
    assert {"all", "criminal", "family_civil", "mags", "mags-crown"} <= set(f1.scope)
    assert f1.f1.dropna().between(0, 1).all()
    crim = f1[(f1.scope == "criminal") & (f1.threshold == "medium")].f1.iloc[0]
    assert crim > 0.9
    assert set(sub.dimension) == {"sex", "ethnic_group", "age_band", "imd_quintile",
                                  "party_role"}
    assert {"false_match_rate", "missed_match_rate", "linked_rate", "f1"} <= set(sub.columns)
    assert journey.precision[0] > 0.9 and journey.recall[0] > 0.8


def test_leak_check_catches_planted_name_column(linked_warehouse, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(linked_warehouse, path)
    key = dg.AssetKey(["research", "planted"])

    @dg.asset(key=key)
    def planted(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as con:  # a research table that kept the defendants' surnames
            con.execute("""CREATE TABLE research.planted AS SELECT r.row_id_hash,
                m.defendant_surname AS note
                FROM (SELECT row_id_hash, row_number() OVER () AS i FROM research.mags) r
                JOIN (SELECT defendant_surname, row_number() OVER () AS i FROM raw.mags) m
                USING (i)""")

    with bold_env(BOLD_PROJECT_KEY=TEST_PROJECT_KEY):
        result = dg.materialize([planted, leak_check(key)],
                                resources={"warehouse": WarehouseResource(path=str(path))},
                                raise_on_error=False)
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 1 and not evaluations[0].passed
    assert "note" in evaluations[0].metadata["report"].value


def test_leak_check_runs_in_the_suite_step_of_a_table_with_a_suite(linked_warehouse, tmp_path):
    """A research table with a suite gets its blocking no_identifiers check in the suite's
    step (one step, not two), and it catches a planted identifier there too."""
    from bold_assets.defs.quality import suite_check
    from bold_assets.quality.suites import load_suites

    path = tmp_path / "copy.duckdb"
    shutil.copy(linked_warehouse, path)
    with duckdb.connect(str(path)) as con:  # research.mags kept the defendants' surnames
        con.execute("""CREATE TABLE research.planted AS SELECT r.* EXCLUDE (i),
                m.defendant_surname AS note
                FROM (SELECT *, row_number() OVER () AS i FROM research.mags) r
                JOIN (SELECT defendant_surname, row_number() OVER () AS i FROM raw.mags) m
                USING (i)""")
        con.execute("DROP TABLE research.mags")
        con.execute("ALTER TABLE research.planted RENAME TO mags")
    key = dg.AssetKey(["research", "mags"])

    @dg.asset(key=key)
    def mags() -> None: ...  # the table is already there

    check = suite_check(load_suites()["research.mags"], set(), leak=True)
    assert {k.name for k in check.check_keys} >= {"no_identifiers", "columns_exact"}
    with bold_env(BOLD_PROJECT_KEY=TEST_PROJECT_KEY):
        result = dg.materialize([mags, check],
                                resources={"warehouse": WarehouseResource(path=str(path))},
                                raise_on_error=False)
    found = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not found["no_identifiers"].passed
    assert "note" in found["no_identifiers"].metadata["report"].value



def test_the_research_change_log_alone_leaves_the_ids_alone(linked_warehouse, tmp_path):
    """Materialising research/person_id_changes alone (e.g. with `--select 'research/*'`)
    rewrites the research log from the id change log; it does not assign wave 0's ids again,
    which would drop the later waves' people from linkage.person_ids."""
    from tests.conftest import materialize

    path = tmp_path / "copy.duckdb"
    shutil.copy(linked_warehouse, path)
    query = "SELECT * FROM linkage.person_ids ORDER BY ALL"
    with duckdb.connect(str(path), read_only=True) as con:
        before = con.execute(query).df()
    assert before["source_dataset"].isin(["pnc_people"]).any()  # a later wave's people
    materialize(path, select="research/person_id_changes")
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(query).df().equals(before)
        counts = con.execute("SELECT (SELECT count(*) FROM research.person_id_changes), "
                             "(SELECT count(*) FROM linkage.person_id_changes)").fetchall()[0]
    assert counts[0] == counts[1] > 0  # the log, every wave's changes, with keyed ids
