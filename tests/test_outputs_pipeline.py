"""Wave products (marts, outputs, evaluation) on the warehouse `bold materialize` builds
(conftest `pipeline_warehouse`)."""

from __future__ import annotations

import shutil

import pandas as pd
import yaml

from bold_assets import disclosure, register
from bold_assets.catalog.dbt import wave_links
from bold_assets.defs.evaluation import needs_validity as nv
from bold_assets.defs.wave_0 import outputs
from tests.test_dbt import DBT_DIR, copy_project, run_dbt

MEASURES = register.wave_measures(0)


def test_register_mart_and_outputs(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        assert con.execute("SELECT count(*) FROM marts.risk_factor_register").fetchall()[0][0] == 70
        mart = con.execute("SELECT * FROM marts.person_needs_wave_0").df()
        assert set(mart["link_threshold"]) == {"high", "medium", "low"}
        assert not mart.duplicated(["link_threshold", "estimated_xjs_id"]).any()
        mart = mart[mart["link_threshold"] == outputs.PUBLISHED_THRESHOLD]
        assert len(mart) > 100
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
                              FROM marts.person_needs_wave_0 WHERE link_threshold = 'medium'"""
                           ).df().set_index("estimated_xjs_id")
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
    """`dbt build` from the project folder, as a user runs it, on a copy of the pipeline's
    warehouse: the wave-0 mart with its tests, on the models the pipeline built (every model is
    built standalone in tests/test_dbt.py, and every dbt test ran as an asset check in the
    pipeline's run)."""
    wh = tmp_path / "copy.duckdb"
    shutil.copy(pipeline_warehouse, wh)
    proj = copy_project(tmp_path / "dbt_project")
    res = run_dbt(wh, "build", "--profiles-dir", ".", "--select", "person_needs_wave_0",
                  cwd=proj, in_process=False)
    assert res.returncode == 0, res.stdout[-4000:]
    assert "ERROR=0" in res.stdout and "PASS=" in res.stdout


def test_published_tables_verify_without_exact_cells(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        pub = con.execute("""SELECT * FROM outputs.lsoa_needs_wave_0
                             UNION ALL SELECT * FROM outputs.lad_needs_wave_0""").df()
        parents = dict(con.execute("SELECT lsoa_code, lad_code FROM reference.lsoa").fetchall())
    assert disclosure.verify(pub, lsoa_parent=parents) == []


def _person_evidence_sql(wave: int, snapshot: str, lookback_years: int) -> str:
    """Evidence per (link_threshold, person) in plain SQL from the intermediate models, following
    the declarations (dbt_project.yml): OASys needs on the latest assessment in the lookback
    window; each signal when a record has it in its window before the snapshot."""
    cfg = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]
    waves = [w["wave"] for w in wave_links() if w["wave"] <= wave]
    names = next(w["thresholds"] for w in wave_links() if w["wave"] == wave)
    links = " UNION ALL ".join(
        f"SELECT source_dataset, row_id_hash, '{t['name']}' AS link_threshold, "
        f"{t['id_column']} AS estimated_xjs_id FROM dbt_intermediate.int_record_links_wave_{w} "
        f"WHERE {t['id_column']} IS NOT NULL"
        for t in cfg["link_thresholds"] if t["name"] in names for w in waves)
    signal_rows = " UNION ALL ".join(
        f"SELECT * FROM dbt_intermediate.int_signals_wave_{w}" for w in waves)
    ev = register.load_evidence()
    ev = ev[ev["wave"] <= wave]
    snap = f"DATE '{snapshot}'"
    start = f"{snap} - INTERVAL {lookback_years} YEAR"
    oasys = list(ev.loc[ev["kind"] == "oasys", "name"])
    signals = ev[ev["kind"] == "signal"]
    sig_cols = ", ".join(
        f"coalesce(bool_or(s.signal = '{n}' AND s.signal_date < {snap}"
        + (f" AND s.signal_date >= {start}" if w == "lookback" else "") + f"), false) AS {n}"
        for n, w in zip(signals["name"], signals["window"], strict=True))
    return f"""
        WITH links AS ({links}),
        latest AS (
            SELECT l.link_threshold, l.estimated_xjs_id, {", ".join(f"o.{n}" for n in oasys)}
            FROM dbt_intermediate.int_oasys_assessments o
            JOIN links l USING (source_dataset, row_id_hash)
            WHERE o.assessment_date < {snap} AND o.assessment_date >= {start}
            QUALIFY row_number() OVER (PARTITION BY l.link_threshold, l.estimated_xjs_id
                                       ORDER BY o.assessment_date DESC, o.row_id_hash) = 1),
        sig AS (
            SELECT l.link_threshold, l.estimated_xjs_id, {sig_cols}
            FROM ({signal_rows}) s JOIN links l USING (source_dataset, row_id_hash)
            GROUP BY ALL)
        SELECT m.link_threshold, m.estimated_xjs_id,
               {", ".join(f"coalesce(o.{n}, false) AS {n}" for n in oasys)},
               {", ".join(f"coalesce(g.{n}, false) AS {n}" for n in signals["name"])}
        FROM marts.person_needs_wave_{wave} m
        LEFT JOIN latest o USING (link_threshold, estimated_xjs_id)
        LEFT JOIN sig g USING (link_threshold, estimated_xjs_id)"""


def test_every_flag_recomputed_from_its_register_definition(pipeline_warehouse, read_only):
    """Each flag column of every wave's mart (waves 0 and 1) equals its register row's flag_sql
    evaluated over the evidence recomputed in plain SQL, at every linkage threshold of the
    wave (wave 1: medium, the persistent spine ids)."""
    cfg = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]
    reg = register.load_register()
    checked = []
    with read_only(pipeline_warehouse) as con:
        for wave in register.WAVES:
            if not con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                               "table_schema = 'marts' AND table_name = ?",
                               [f"person_needs_wave_{wave}"]).fetchall()[0][0]:
                continue
            defs = register.flag_definitions(wave, reg)
            assert tuple(defs) == register.wave_measures(wave, reg)
            snapshot = con.execute(f"SELECT max(snapshot_date) FROM marts.person_needs_wave_{wave}"
                                   ).fetchall()[0][0].isoformat()
            evidence = _person_evidence_sql(wave, snapshot, cfg["lookback_years"])
            flags = ", ".join(f"({sql}) AS {fid}" for fid, sql in defs.items())
            got = con.execute(f"SELECT link_threshold, estimated_xjs_id, {', '.join(defs)} "
                              f"FROM marts.person_needs_wave_{wave}").df()
            want = con.execute(f"SELECT link_threshold, estimated_xjs_id, {flags} "
                               f"FROM ({evidence})").df()
            key = ["link_threshold", "estimated_xjs_id"]
            got, want = (d.sort_values(key).reset_index(drop=True) for d in (got, want))
            declared = next(w["thresholds"] for w in wave_links() if w["wave"] == wave)
            assert set(got["link_threshold"]) == set(declared)
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
            varied = [f for f in defs if 0 < got[f].sum() < len(got)]
            assert len(varied) >= len(defs) - 2, f"wave {wave}: few flags vary: {varied}"
            checked.append(wave)
    assert checked == list(outputs.output_waves())


def test_wave_1_flags_gain_on_wave_0_from_pnc_and_npd(pipeline_warehouse, read_only):
    """The wave-1 mart holds the wave-0 persons (medium) and new PNC-only spine persons; on
    wave-0 persons a wave-1 flag whose register row only adds evidence never loses a person,
    and the NPD evidence flags people wave 0 could not see."""
    with read_only(pipeline_warehouse) as con:
        w0 = con.execute("SELECT * FROM marts.person_needs_wave_0 WHERE link_threshold = "
                         "'medium'").df().set_index("estimated_xjs_id")
        w1 = con.execute("SELECT * FROM marts.person_needs_wave_1").df().set_index(
            "estimated_xjs_id")
    assert set(w1["link_threshold"]) == {"medium"}
    assert set(w0.index) <= set(w1.index) and len(w1) > len(w0)
    on0 = w1.loc[w0.index]
    for m in ("driver_mental_health", "driver_low_income", "driver_family",
              "outcome_offending", "outcome_poor_child_outcomes", "driver_substance_misuse"):
        assert (on0[m] >= w0[m]).all(), m  # wave 1 = wave 0's definition OR more evidence
        assert on0[m].sum() > w0[m].sum(), m


def test_wave_1_outputs_have_no_disclosive_cells(pipeline_warehouse, read_only):
    """Wave-1 outputs are built by the same factory as wave 0's: the blocking check passed in
    the run, and recomputing it against the wave-1 mart finds nothing."""
    wave1 = outputs.WAVE_OUTPUTS[1]
    with read_only(pipeline_warehouse) as con:
        assert wave1.check_published(con) == []
        pub = con.execute(f"SELECT * FROM outputs.{wave1.lad_key.path[1]}").df()
        report = con.execute(f"SELECT * FROM outputs.{wave1.report_key.path[1]}").df()
        parents = dict(con.execute("SELECT lsoa_code, lad_code FROM reference.lsoa").fetchall())
        both = con.execute(f"""SELECT * FROM outputs.{wave1.lsoa_key.path[1]}
                               UNION ALL SELECT * FROM outputs.{wave1.lad_key.path[1]}""").df()
    assert set(pub["measure"]) == set(register.wave_measures(1)) and (pub["wave"] == 1).all()
    assert not pub["suppressed"].all()
    assert (report["acro_disagreements"] == 0).all() and (report["wave"] == 1).all()
    assert disclosure.verify(both, lsoa_parent=parents) == []


def test_check_results_of_the_run_passed_for_both_waves(pipeline_dagster_home):
    import dagster as dg

    from tests.conftest import bold_env

    with bold_env(DAGSTER_HOME=str(pipeline_dagster_home)):
        with dg.DagsterInstance.get() as instance:
            for w in outputs.output_waves():
                for level in ("lsoa", "lad"):
                    key = dg.AssetCheckKey(dg.AssetKey(["outputs", f"{level}_needs_wave_{w}"]),
                                           "no_disclosive_cells")
                    rec = instance.event_log_storage.get_latest_asset_check_execution_by_key(
                        [key])[key]
                    assert rec is not None and rec.status.value == "SUCCEEDED", (w, level)
                    assert rec.event.dagster_event.event_specific_data.passed, (w, level)


def test_validity_table_wave_0_vs_wave_1(pipeline_warehouse, read_only):
    """needs_validity_by_wave holds both waves per measure; education and poor child outcomes
    (wave 1: validated from NPD) are at least as sensitive as in wave 0."""
    with read_only(pipeline_warehouse) as con:
        table = con.execute("SELECT * FROM evaluation.needs_validity_by_wave").df()
        v1 = con.execute("SELECT * FROM evaluation.needs_validity_wave_1").df()
    assert list(table["measure"]) == list(MEASURES)
    for c in ("sensitivity", "specificity", "ppv"):
        assert {f"{c}_wave_0", f"{c}_wave_1", f"{c}_change_wave_1"} <= set(table.columns)
    assert list(v1["measure"]) == list(register.wave_measures(1))
    assert (v1["tp"] + v1["fp"] + v1["fn"] + v1["tn"] == v1["persons"]).all()
    t = table.set_index("measure")
    for m in ("driver_education", "outcome_poor_child_outcomes"):
        assert t.loc[m, "sensitivity_change_wave_1"] > 0, m
    assert not nv.has_sensitivity_pack(1) and nv.has_sensitivity_pack(0)


def test_a_council_that_missed_a_return_is_not_covered_not_zero(pipeline_warehouse, read_only):
    """The world has a council miss quarters of H-CLIC (raw.hclic_submissions says N): its LAD
    and every LSOA in it publish accommodation and homelessness as 'not covered' with no count
    (never 0) from wave 4 on, its other measures stay covered, other councils stay covered, and
    the coverage matrix gives the share of returns that arrived."""
    rule = register.council_coverage_rule()
    with read_only(pipeline_warehouse) as con:
        missed = {r[0] for r in con.execute(
            "SELECT DISTINCT la_code FROM raw.hclic_submissions WHERE submitted = 'N'").fetchall()}
        n_returns, n_missing = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE submitted = 'N') "
            "FROM raw.hclic_submissions").fetchall()[0]
        cells = con.execute("""
            SELECT o.*, coalesce(l.lad_code, o.area_code) AS lad
            FROM (SELECT * FROM outputs.lsoa_needs_wave_4
                  UNION ALL SELECT * FROM outputs.lad_needs_wave_4) o
            LEFT JOIN reference.lsoa l ON l.lsoa_code = o.area_code""").df()
        earlier = con.execute("SELECT DISTINCT coverage FROM outputs.lad_needs_wave_3").df()
        matrix = con.execute("SELECT * FROM discovery.coverage_matrix "
                             "WHERE source_id = 'hclic'").df()
    assert missed, "the world has no council that missed a return"
    rests = cells["measure"].isin(rule["measures"])
    gap = cells["lad"].isin(missed) & rests
    assert gap.any() and (cells.loc[gap, "coverage"] == "not covered").all()
    assert cells.loc[gap, "count"].isna().all() and cells.loc[gap, "rate"].isna().all()
    assert not cells.loc[gap, "suppressed"].any()  # not withheld: there is nothing to show
    assert (cells.loc[~gap, "coverage"] == "covered").all()
    assert set(earlier["coverage"]) == {"covered"}  # waves before 4 rest on no return
    share = 1 - n_missing / n_returns
    assert len(matrix) and (matrix["submission_coverage"] - share).abs().max() < 1e-9
    assert matrix["coverage_note"].str.startswith(f"{n_missing} of {n_returns:,}").all()
