"""Every column described (`bold_assets.columns`), found by search (asset tags), previews
readable (`defs.metadata`), and the discovery assets' metadata."""

from __future__ import annotations

import re

import dagster as dg
import duckdb
import pytest

from bold_assets import columns
from bold_assets.defs import metadata as md

# Every schema the pipeline writes; each column of each of their tables must be described.
SCHEMAS = ("raw", "research", "linkage", "marts", "outputs", "evaluation", "discovery",
           "reference", "truth", "dbt_staging", "dbt_intermediate")


def undescribed(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    """(columns, the `schema.table.column` of those `columns.describe` has no answer for)."""
    rows = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        f"WHERE table_schema IN ({', '.join(repr(s) for s in SCHEMAS)}) "
        "ORDER BY table_schema, table_name, ordinal_position").fetchall()
    return len(rows), [".".join(r) for r in rows if not columns.describe(*r)]


# describe(), no pipeline ----------------------------------------------------------------------


def test_describe_answers_from_the_declarations():
    from bold_assets.sources import get_source

    oasys = get_source("oasys")
    assert columns.describe("raw", "oasys", "s3_q1") == oasys.descriptions["s3_q1"]
    assert columns.describe("research", "oasys", "s3_q1") == oasys.descriptions["s3_q1"]
    # research hashes the key and case ids, and adds age, LSOA and LAD
    assert "assessment_pk" in columns.describe("research", "oasys", "row_id_hash")
    assert "case_id" in columns.describe("research", "mags", "case_id_hash")
    assert "first_hearing_date" in columns.describe("research", "mags", "age_at_event")
    assert "null" in columns.describe("research", "pnc_offences", "lsoa_code")
    # standardised identifiers name the raw column they come from (or that there is none)
    assert "mags.defendant_surname" in columns.describe("linkage", "std_mags", "surname_dm")
    assert "holds no" in columns.describe("linkage", "std_mags", "nino_std")
    # staging: renames and derived flags
    assert "principal_offence_code" in columns.describe("dbt_staging", "stg_mags", "offence_code")
    assert "MHTR" in columns.describe("dbt_staging", "stg_probation", "has_mhtr")
    # register flags: what the flag means, in which wave, and the evidence
    text = columns.describe("marts", "person_needs_wave_0", "driver_accommodation")
    assert "Accommodation" in text and "wave 0" in text and "need_s3" in text
    assert "oasys" in text.split("evidence from")[1]
    assert "Latent" in columns.describe("truth", "persons", "driver_accommodation")
    # outputs, evaluation and the other glossaries
    assert columns.describe("outputs", "lad_needs_wave_0", "count") == (
        columns.OUTPUT_COLUMNS["count"])
    assert "wave-2" in columns.describe("evaluation", "needs_validity_by_wave",
                                        "sensitivity_wave_2")
    assert "section 3" in columns.describe("dbt_intermediate", "int_oasys_assessments",
                                           "need_s3")
    assert "merge" in columns.describe("research", "person_id_changes", "kind")


def test_describe_returns_none_for_nonsense():
    assert columns.describe("raw", "oasys", "zzz_not_a_column") is None
    assert columns.describe("nowhere", "nothing", "zzz_not_a_column") is None
    assert columns.describe("marts", "person_needs_wave_0", "driver_zzz") is None


def test_outputs_read_the_column_descriptions_from_columns():
    from bold_assets.defs.wave_0 import outputs

    assert outputs.COLUMN_DESCRIPTIONS is columns.OUTPUT_COLUMNS


# Previews and column schemas on a small DuckDB ------------------------------------------------


@pytest.fixture
def small_con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA research")
    for schema in ("raw", "research"):
        con.execute(f"""
            CREATE TABLE {schema}.t AS
            SELECT range AS seq, DATE '2010-12-11' + CAST(range AS INTEGER) AS event_date,
                   CASE WHEN range % 2 = 0 THEN NULL ELSE range END AS amount,
                   CASE WHEN range % 3 = 0 THEN NULL ELSE '0' || range END AS code,
                   CASE WHEN range % 2 = 0 THEN NULL ELSE 'Smith' END AS surname
            FROM range(200)""")
    yield con
    con.close()


def _cells(preview: dg.MetadataValue) -> list[list[str]]:
    lines = preview.md_str.splitlines()[2:]  # past the header and its rule
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines]


def test_previews_show_dates_as_dates_and_one_null_marker(small_con):
    for table in ("raw.t", "research.t"):
        text = md.table_metadata(small_con, table, preview_rows=20)["preview"].md_str
        assert "00:00:00" not in text and re.search(r"\b2010-12-\d\d\b", text)
        for other in ("None", "nan", "NaT", "<NA>"):
            assert other not in text, (table, other)
        cells = _cells(md.table_metadata(small_con, table, preview_rows=20)["preview"])
        assert all(c for row in cells for c in row)  # no empty cell: nulls read "null"
        assert any(md.NULL in row for row in cells)
    # a null integer stays an integer, a code keeps its leading zero
    text = md.table_metadata(small_con, "research.t", preview_rows=50)["preview"].md_str
    assert not re.search(r"\b\d+\.0\b", text) and re.search(r"\b0\d+\b", text)
    # masked identifiers of the raw preview: a null is the same marker
    raw = md.table_metadata(small_con, "raw.t", preview_rows=4)
    assert "surname" in raw["masked_columns"].data
    assert {row[4] for row in _cells(raw["preview"])} == {md.NULL, "[masked, 5 chars]"}


def test_research_preview_is_a_fixed_sample_not_the_raw_rows(small_con):
    raw = [row[0] for row in _cells(md.table_metadata(small_con, "raw.t")["preview"])]
    research = [row[0] for row in _cells(md.table_metadata(small_con, "research.t")["preview"])]
    assert raw == ["0", "1", "2", "3", "4"]  # raw keeps its first rows
    assert research != raw  # not the raw preview's rows in its order
    again = [row[0] for row in _cells(md.table_metadata(small_con, "research.t")["preview"])]
    assert again == research  # the same sample every time


def test_column_schema_carries_descriptions():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA research; CREATE TABLE research.mags (row_id_hash VARCHAR, "
                "gender VARCHAR, lad_code VARCHAR)")
    schema = md.column_schema(con, "research.mags")
    assert [c.name for c in schema.columns] == ["row_id_hash", "gender", "lad_code"]
    assert all(c.description for c in schema.columns)
    assert schema.columns[1].description == columns.describe("research", "mags", "gender")


# Discovery assets -----------------------------------------------------------------------------


def test_discovery_tables_have_previews_and_paths_shown_relative(tmp_path):
    from bold_assets.defs import discovery
    from bold_assets.defs.resources import WarehouseResource

    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    result = dg.materialize([discovery.source_register, discovery.data_catalogue],
                            resources={"warehouse": warehouse})
    assert result.success
    meta = {e.asset_key: e.step_materialization_data.materialization.metadata
            for e in result.get_asset_materialization_events()}
    for key in (discovery.SOURCE_REGISTER, discovery.CATALOGUE):
        assert "preview" in meta[key] and meta[key]["preview"].md_str.count("\n") >= 3
        assert all(c.description for c in meta[key]["dagster/column_schema"].schema.columns)
    file = meta[discovery.SOURCE_REGISTER]["file"].path
    assert not file.startswith("/") and file.endswith(".csv")
    assert str(tmp_path) not in meta[discovery.CATALOGUE]["files"].md_str


def test_register_check_description_says_if_it_blocks():
    from bold_assets.defs import discovery

    spec = next(iter(discovery.register_variables_found.check_specs))
    assert spec.description.startswith("BLOCKING: " if spec.blocking else "WARN: ")


# Search tags and definition schemas -----------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    from bold_assets.definitions import defs

    return defs.resolve_asset_graph()


def _tagged(graph, tag: str) -> set[str]:
    return {"/".join(k.path) for k in graph.get_all_asset_keys() if tag in graph.get(k).tags}


def test_assets_are_found_by_need_and_source(graph):
    need = _tagged(graph, f"{md.NEED_TAG}driver_accommodation")
    assert {"marts/person_needs_wave_0", "outputs/lad_needs_wave_0", "outputs/lsoa_needs_wave_0",
            "discovery/candidate_variables", "discovery/coverage_matrix", "raw/oasys",
            "research/oasys", "dbt_staging/stg_oasys", "raw/civil"} <= need
    assert "linkage/std_oasys" not in need  # standardised identifiers hold no need
    source = _tagged(graph, f"{md.SOURCE_TAG}oasys")
    assert {"raw/oasys", "research/oasys", "linkage/std_oasys", "dbt_staging/stg_oasys",
            "discovery/data_catalogue"} <= source
    assert not any(k.startswith("marts/") for k in source)


def test_every_definition_column_schema_is_described(graph):
    bare = [("/".join(k.path), c.name) for k in graph.get_all_asset_keys()
            for c in getattr(graph.get(k).metadata.get("dagster/column_schema"), "columns", ())
            if not c.description]
    assert bare == []


# The pipeline's warehouse and run ------------------------------------------------------------


def test_every_column_of_the_pipeline_warehouse_is_described(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        n, missing = undescribed(con)
    assert n > 1000
    assert missing == [], f"{len(missing)} of {n} columns undescribed: {missing}"


def test_materialisations_carry_described_column_schemas(pipeline_dagster_home):
    from tests.conftest import bold_env

    with bold_env(DAGSTER_HOME=str(pipeline_dagster_home)):
        with dg.DagsterInstance.get() as instance:
            latest = instance.get_latest_materialization_events(instance.get_asset_keys())
    schemas = {k.to_user_string(): e.asset_materialization.metadata.get("dagster/column_schema")
               for k, e in latest.items() if e is not None}
    assert schemas["research/person_id_changes"] is not None
    bare = [(k, c.name) for k, s in schemas.items() if s is not None
            for c in s.schema.columns if not c.description]
    assert bare == []


def test_glossary_thresholds_are_the_linkage_thresholds():
    """The glossary writes the thresholds out (importing the linkage would pull Splink into
    every reader of the descriptions): they must be the ones the linkage uses."""
    from bold_assets.columns.glossary import COMMON, THRESHOLD_WORDS
    from bold_assets.linkage.core import THRESHOLDS

    assert set(THRESHOLD_WORDS) == set(THRESHOLDS)
    for name, p in THRESHOLDS.items():
        assert THRESHOLD_WORDS[name].startswith(f"{name} ({p}")
        if name != "medium":  # the medium cluster is estimated_xjs_id
            assert f"({p})" in columns.describe("research", "xjs_link", f"xjs_id_{name}")
    assert all(f"{p}" in COMMON["threshold"] for p in THRESHOLDS.values())
