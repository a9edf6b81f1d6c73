"""Great Expectations suites: in step with the registry, run by the runner, wired as checks."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bold_assets.catalog import CATALOG
from bold_assets.defs.metadata import masked
from bold_assets.defs.resources import WarehouseResource
from bold_assets.quality import build_suites
from bold_assets.quality.runner import failures, run_suite
from bold_assets.quality.samples import sample_frame
from bold_assets.quality.suites import SUITES_DIR, get_suite, load_suites
from bold_assets.sources import SOURCES

EXPECTED_SUITES = (
    {f"raw.{s}" for s in SOURCES}
    | {f"linkage.std_{s}" for s, src in SOURCES.items() if src.has_identifiers}
    | {f"research.{s}" for s in SOURCES}
    | {"linkage.person_clusters", "research.xjs_link", "research.mags_crown_journey",
       "outputs.lsoa_needs_wave_0", "outputs.lad_needs_wave_0"}
    | {f"research.{w.link_table}" for w in CATALOG.active_waves() if w.number and w.link_plans}
)  # fmt: skip


def _sample_db() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with valid sample rows of every raw table, typed as the registry says."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    for s, src in SOURCES.items():
        df = sample_frame(s, 40)  # noqa: F841 (read by DuckDB)
        cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in src.columns.items())
        con.execute(f"CREATE TABLE raw.{s} AS SELECT {cols} FROM df")
    return con


@pytest.fixture(scope="module")
def sample_db():
    con = _sample_db()
    yield con
    con.close()


# Suites ------------------------------------------------------------------------------------


def test_suites_are_in_step_with_the_registry(capsys):
    """`python -m bold_assets.quality.build_suites --check`: committed JSON == generated."""
    assert build_suites.main(["--check"]) == 0, capsys.readouterr().out


def test_there_is_a_suite_for_every_checked_table():
    assert set(load_suites()) == EXPECTED_SUITES


def test_suites_are_gx_suites_with_named_critical_expectations():
    import great_expectations as gx

    for path in sorted(SUITES_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        suite = gx.ExpectationSuite(**data)  # raises on unknown types or bad kwargs
        assert len(suite.expectations) == len(data["expectations"]) > 3, path.name
        for e in data["expectations"]:
            assert isinstance(e["meta"]["critical"], bool), (path.name, e)
            assert e["severity"] == ("critical" if e["meta"]["critical"] else "warning")
            assert e["meta"]["check_name"] and e.get("description")
        kinds = {e["type"] for e in data["expectations"] if e["meta"]["critical"]}
        assert kinds, f"{path.name} has no critical expectation"


def test_raw_suites_cover_columns_keys_codes_ranges_and_integrity():
    for s, src in SOURCES.items():
        names = {e.check_name for e in get_suite(f"raw.{s}").expectations}
        assert {"columns_present", "row_count_nonzero", f"unique__{src.key}"} <= names
        assert "rows__column_types" in names  # DuckDB types of every column, one check
        assert {f"in_set__{c}" for c in src.codes} <= names
        assert f"between__{src.event_date}" in names  # coverage years
        assert {f"not_null__{c}" for c in src.case_ids} <= names  # record -> case
        if src.identifiers.dob:
            assert f"not_null__{src.identifiers.dob}" in names  # completeness
            assert "rows__dob_plausible" in names
    oasys = {e.check_name: e for e in get_suite("raw.oasys").expectations}
    assert oasys["rows__item_scores__s3"].critical  # OASys items score 0-2
    assert "s3_q4 NOT IN (0, 1, 2)" in oasys["rows__item_scores__s3"].kwargs[
        "unexpected_rows_query"]
    assert oasys["rows__need_level_consistent__s3"].critical
    clusters = {e.check_name: e for e in get_suite("linkage.person_clusters").expectations}
    assert clusters["rows__every_person_record_one_cluster"].critical


def test_completeness_is_weaker_for_family_and_civil():
    def mostly(suite: str, column: str) -> float:
        e = {e.check_name: e for e in get_suite(suite).expectations}[f"not_null__{column}"]
        return e.kwargs["mostly"]

    assert mostly("raw.family", "party_dob") < mostly("raw.mags", "defendant_dob")
    assert mostly("raw.civil", "party_dob") < mostly("raw.crown", "date_of_birth")
    civil = {e.check_name: e for e in get_suite("raw.civil").expectations}
    civil_dob = civil["not_null__party_dob"]
    assert "PERSON" in json.dumps(civil_dob.kwargs["row_condition"])  # companies have no DOB


# Runner ------------------------------------------------------------------------------------


def test_clean_samples_pass_every_raw_suite(sample_db):
    for s in SOURCES:
        outcomes = run_suite(sample_db, get_suite(f"raw.{s}"))
        assert [o.message() for o in failures(outcomes)] == [], s


def test_failures_report_counts_examples_and_criticality():
    con = _sample_db()
    con.execute("UPDATE raw.mags SET defendant_id = 'MA0000001' WHERE defendant_id = 'MA0000002'")
    con.execute("UPDATE raw.mags SET gender = 'X' WHERE defendant_id = 'MA0000003'")
    con.execute("UPDATE raw.mags SET defendant_postcode = NULL")
    con.execute("UPDATE raw.oasys SET s3_need_level = 2 - s3_need_level")
    out = {o.check_name: o for o in run_suite(con, get_suite("raw.mags"))}
    dup = out["unique__defendant_id"]
    assert (dup.success, dup.critical, dup.unexpected_count) == (False, True, 2)
    assert dup.examples == ["MA0000001", "MA0000001"]
    code = out["in_set__gender"]
    assert (code.success, code.unexpected_count, code.examples) == (False, 1, ["X"])
    postcode = out["not_null__defendant_postcode"]
    assert (postcode.success, postcode.critical, postcode.unexpected_count) == (False, False, 40)
    assert sum(not o.success for o in out.values()) == 3
    oasys = {o.check_name: o for o in run_suite(con, get_suite("raw.oasys"))}
    need = oasys["rows__need_level_consistent__s3"]
    assert not need.success and need.critical and need.unexpected_count > 0
    assert {"assessment_pk", "s3_q1", "s3_need_level"} <= set(need.examples[0])
    con.execute("ALTER TABLE raw.prison ALTER sentence_days TYPE VARCHAR")
    con.execute("UPDATE raw.oasys SET s5_q2 = 3 WHERE assessment_pk = 'OA0000004'")
    prison = {o.check_name: o for o in run_suite(con, get_suite("raw.prison"))}
    types = prison["rows__column_types"]
    assert (types.success, types.critical, types.unexpected_count) == (False, True, 1)
    assert types.examples == [{"column_name": "sentence_days", "expected_type": "INTEGER",
                               "actual_type": "VARCHAR"}]
    oasys = {o.check_name: o for o in run_suite(con, get_suite("raw.oasys"))}
    assert oasys["rows__item_scores__s5"].examples[0]["s5_q2"] == 3


def test_a_missing_table_fails_every_expectation_with_a_reason():
    out = run_suite(duckdb.connect(), get_suite("raw.civil"))
    assert out and all(not o.success for o in out)
    assert "materialise its asset first" in out[0].error


def test_raw_suites_hold_on_the_generated_extracts(raw_warehouse, read_only):
    """The blocking expectations never fire on the synthetic world (or the pipeline would stop)."""
    with read_only(raw_warehouse) as con:
        for s in SOURCES:
            outcomes = run_suite(con, get_suite(f"raw.{s}"))
            critical = [o.message() for o in failures(outcomes, critical_only=True)]
            assert critical == [], s


# Dagster checks --------------------------------------------------------------------------


def test_every_expectation_is_a_check_and_critical_ones_block(capsys):
    from bold_assets.definitions import defs
    from bold_assets.defs.quality_summary import check_counts, main

    graph = defs.resolve_asset_graph()
    by_asset: dict[tuple, dict[str, bool]] = {}
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        if "expectation_type" in (spec.metadata or {}):
            by_asset.setdefault(tuple(key.asset_key.path), {})[key.name] = spec.blocking
    assert {("raw", s) for s in SOURCES} <= set(by_asset)
    for path, checks in by_asset.items():
        suite = get_suite(".".join(path))
        assert checks == {e.check_name: e.critical for e in suite.expectations}
    counts = check_counts(defs)
    assert counts["raw"]["checks"] == sum(len(get_suite(f"raw.{s}").expectations) for s in SOURCES)
    assert 0 < counts["raw"]["blocking"] < counts["raw"]["checks"]
    main()
    print(capsys.readouterr().out)  # shown with pytest -s: checks per schema, blocking


def _pipeline(tmp_path: Path, frame_edit: str | None):
    """raw/mags (sample rows, optionally edited by SQL) -> linkage/std_mags, with GX checks."""
    from bold_assets.defs.quality import suite_check
    from bold_assets.warehouse import replace_table

    @dg.asset(key=["raw", "mags"])
    def mags(warehouse: WarehouseResource) -> None:
        cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in SOURCES["mags"].columns.items())
        with warehouse.connect() as con:
            con.register("sample", sample_frame("mags", 30))
            replace_table(con, "raw", "mags", f"SELECT {cols} FROM sample")
            if frame_edit:
                con.execute(frame_edit)

    @dg.asset(key=["linkage", "std_mags"], deps=[mags])
    def std_mags() -> None:
        return None

    check = suite_check(get_suite("raw.mags"), set())
    resources = {"warehouse": WarehouseResource(path=str(tmp_path / "bold.duckdb"))}
    return dg.materialize([mags, std_mags, check], resources=resources, raise_on_error=False)


def test_a_failed_critical_check_blocks_downstream_with_a_legible_error(tmp_path):
    result = _pipeline(tmp_path, "UPDATE raw.mags SET defendant_id = 'X' WHERE offence_count > 1")
    assert not result.success
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert len(evals) == len(get_suite("raw.mags").expectations)
    dup = evals["unique__defendant_id"]
    assert not dup.passed and dup.severity == dg.AssetCheckSeverity.ERROR
    assert dup.metadata["unexpected_count"].value > 1
    # a source record id: shown masked in Dagster (identifier zone), never as the value
    assert dup.metadata["examples"].value[0] == masked("X") and "'X'" not in dup.description
    assert evals["in_set__gender"].passed
    materialised = {tuple(e.materialization.asset_key.path)
                    for e in result.get_asset_materialization_events()}
    assert ("raw", "mags") in materialised and ("linkage", "std_mags") not in materialised
    err = result.get_step_failure_events()[0].step_failure_data.error
    assert err.cls_name == "Failure"
    first = err.message.splitlines()[0]
    assert "raw.mags failed 1 critical quality check(s) (unique__defendant_id)" in first
    assert "rematerialise raw/mags" in first


def test_a_failed_warning_check_does_not_block(tmp_path):
    result = _pipeline(tmp_path, "UPDATE raw.mags SET defendant_postcode = NULL")
    assert result.success
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    warn = evals["not_null__defendant_postcode"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert warn.metadata["unexpected_count"].value == 30
    materialised = {tuple(e.materialization.asset_key.path)
                    for e in result.get_asset_materialization_events()}
    assert ("linkage", "std_mags") in materialised


def _outputs_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA outputs; CREATE SCHEMA reference")
    con.execute("""CREATE TABLE reference.lsoa AS SELECT * FROM (VALUES
        ('E01000001', 'A 1', 'E06000001', 'One'), ('E01000002', 'A 2', 'E06000001', 'One'))
        t(lsoa_code, lsoa_name, lad_code, lad_name)""")
    con.execute("""CREATE TABLE outputs.lsoa_needs_wave_0 AS SELECT
        'lsoa' AS geography_level, area_code, area_name, 0 AS wave, measure,
        CAST("count" AS INTEGER) AS "count", CAST(denominator AS INTEGER) AS denominator,
        CAST("count" AS DOUBLE) / denominator AS rate, "count" IS NULL AS suppressed,
        'covered' AS coverage
        FROM (VALUES ('E01000001', 'A 1', 'driver_accommodation', 40, 90),
                     ('E01000002', 'A 2', 'driver_accommodation', NULL, 60),
                     ('E01000001', 'A 1', 'outcome_offending', 15, 90))
        t(area_code, area_name, measure, "count", denominator)""")
    return con


def test_outputs_suite_enforces_disclosure_rules():
    con = _outputs_db()
    suite = get_suite("outputs.lsoa_needs_wave_0")
    assert failures(run_suite(con, suite)) == []
    con.execute("""UPDATE outputs.lsoa_needs_wave_0 SET "count" = 3, rate = 3 / 90
                   WHERE measure = 'outcome_offending'""")
    con.execute("""UPDATE outputs.lsoa_needs_wave_0 SET rate = 0.5
                   WHERE area_code = 'E01000002'""")  # a rate shown for a suppressed cell
    failed = {o.check_name for o in failures(run_suite(con, suite), critical_only=True)}
    assert failed == {"rows__no_small_cells", "rows__rounded_to_base",
                      "rows__suppressed_cells_blank"}


def test_integrity_breaks_of_the_pipeline_warehouse_are_caught(pipeline_warehouse, tmp_path):
    """Every suite holds on the pipeline warehouse: its run ran them all as blocking checks
    (`pipeline_warehouse` fails on any critical failure). Here one link of each kind is broken
    on a copy, and the suite of its table says so."""
    import shutil

    copy = tmp_path / "bold.duckdb"
    shutil.copy(pipeline_warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        # break one link of each kind
        con.execute("""DELETE FROM linkage.person_clusters WHERE record_id =
                       (SELECT min(record_id) FROM linkage.person_clusters
                        WHERE source_dataset = 'mags')""")
        con.execute("INSERT INTO research.xjs_link SELECT * FROM research.xjs_link LIMIT 1")
        con.execute("""UPDATE research.mags_crown_journey SET mc_defendant_id = repeat('0', 64)
                       WHERE cc_defendant_on_case_id = (SELECT min(cc_defendant_on_case_id)
                                                        FROM research.mags_crown_journey)""")
        con.execute("DELETE FROM research.civil WHERE row_id_hash = "
                    "(SELECT min(row_id_hash) FROM research.civil)")

        def failed(table: str) -> set[str]:
            outcomes = run_suite(con, get_suite(table))
            return {o.check_name for o in failures(outcomes, critical_only=True)}

        assert "rows__every_person_record_one_cluster" in failed("linkage.person_clusters")
        assert {"unique__source_dataset_row_id_hash",
                "rows__every_research_person_row_one_link"} <= failed("research.xjs_link")
        assert "rows__defendants_exist" in failed("research.mags_crown_journey")
        assert "rows__same_rows_as_raw" in failed("research.civil")
    finally:
        con.close()
