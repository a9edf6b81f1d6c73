"""Wave-0 products on the warehouse the whole wave_0_job builds (conftest `pipeline_warehouse`)."""

from __future__ import annotations

import shutil

import pandas as pd

from bold_assets import disclosure, register
from bold_assets.defs.wave_0 import outputs
from tests.test_dbt import DBT_DIR, run_dbt

MEASURES = register.wave_measures(0)


def test_register_mart_and_outputs(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        assert con.execute("SELECT count(*) FROM marts.risk_factor_register").fetchall()[0][0] == 70
        mart = con.execute("SELECT * FROM marts.person_needs_wave_0").df()
        assert len(mart) > 100 and mart["estimated_xjs_id"].is_unique
        assert mart[list(MEASURES)].notna().all().all()
        assert outputs.check_published(con) == []
        pub = con.execute("SELECT * FROM outputs.lad_needs_wave_0").df()
        assert set(pub["measure"]) == set(MEASURES)
        assert not pub["suppressed"].all()  # something useful is published
        report = con.execute("SELECT * FROM outputs.disclosure_report_wave_0").df()
        assert (report["acro_disagreements"] == 0).all()


def test_flag_follows_register_definition_on_pipeline_data(pipeline_warehouse, read_only):
    """driver_accommodation (register, wave 0): latest OASys assessment in the window has
    section 3 item sum >= 2 (or need level >= 1 without items), OR the person is a civil
    possession defendant in the window. Recomputed here in pandas from the research tables."""
    with read_only(pipeline_warehouse) as con:
        mart = con.execute("""SELECT estimated_xjs_id, snapshot_date, driver_accommodation
                              FROM marts.person_needs_wave_0""").df().set_index("estimated_xjs_id")
        oasys = con.execute("""
            SELECT x.estimated_xjs_id, o.row_id_hash, o.assessment_date,
                   o.s3_q1, o.s3_q2, o.s3_q3, o.s3_q4, o.s3_need_level
            FROM research.oasys o JOIN research.xjs_link x
              ON x.source_dataset = 'oasys' AND x.row_id_hash = o.row_id_hash""").df()
        civil = con.execute("""
            SELECT x.estimated_xjs_id, c.claim_date FROM research.civil c JOIN research.xjs_link x
              ON x.source_dataset = 'civil' AND x.row_id_hash = c.row_id_hash
            WHERE c.party_type = 'PERSON' AND c.party_role = 'DEFENDANT'""").df()
    snap = pd.Timestamp(mart["snapshot_date"].iloc[0])
    start = snap - pd.DateOffset(years=10)
    oasys["assessment_date"] = pd.to_datetime(oasys["assessment_date"])
    o = oasys[(oasys["assessment_date"] < snap) & (oasys["assessment_date"] >= start)]
    latest = o.sort_values(["assessment_date", "row_id_hash"], ascending=[False, True]) \
        .groupby("estimated_xjs_id").head(1).set_index("estimated_xjs_id")
    items = latest[["s3_q1", "s3_q2", "s3_q3", "s3_q4"]]
    score = items.fillna(0).sum(axis=1).where(items.notna().any(axis=1))
    need = (score >= 2).where(score.notna(), latest["s3_need_level"] >= 1)
    civil["claim_date"] = pd.to_datetime(civil["claim_date"])
    defendant = set(civil.loc[(civil["claim_date"] < snap) & (civil["claim_date"] >= start),
                              "estimated_xjs_id"])
    expected = pd.Series(False, index=mart.index)
    expected[need[need].index.intersection(expected.index)] = True
    expected[list(defendant & set(expected.index))] = True
    assert expected.sum() > 0
    assert (mart["driver_accommodation"] == expected).all()


def test_validity_and_linkage_sensitivity_pack(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        val = con.execute("SELECT * FROM evaluation.needs_validity_wave_0").df()
        lad = con.execute("SELECT * FROM evaluation.linkage_sensitivity_lad_wave_0").df()
        sub = con.execute("SELECT * FROM evaluation.linkage_sensitivity_subgroup_wave_0").df()
    assert list(val["measure"]) == list(MEASURES)
    for col in ("sensitivity", "specificity", "ppv"):
        assert val[col].between(0, 1).all()
    assert (val["tp"] + val["fp"] + val["fn"] + val["tn"] == val["persons"]).all()
    assert set(lad["measure"]) == set(MEASURES) and lad["diff_high"].notna().all()
    assert set(sub["subgroup_type"]) == {"sex", "ethnic_group", "age_band", "imd_quintile"}


def test_dbt_build_standalone_on_pipeline_warehouse(pipeline_warehouse, tmp_path):
    wh = tmp_path / "copy.duckdb"
    shutil.copy(pipeline_warehouse, wh)
    proj = tmp_path / "dbt_project"
    shutil.copytree(DBT_DIR, proj, ignore=shutil.ignore_patterns("target", "logs"))
    res = run_dbt(wh, "build", "--profiles-dir", ".", cwd=proj)
    assert res.returncode == 0, res.stdout[-4000:]
    assert "ERROR=0" in res.stdout and "PASS=" in res.stdout


def test_published_tables_verify_without_exact_cells(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        pub = con.execute("""SELECT * FROM outputs.lsoa_needs_wave_0
                             UNION ALL SELECT * FROM outputs.lad_needs_wave_0""").df()
        parents = dict(con.execute("SELECT lsoa_code, lad_code FROM reference.lsoa").fetchall())
    assert disclosure.verify(pub, lsoa_parent=parents) == []
