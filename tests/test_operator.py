"""Operator experience: what `bold materialize` prints, what it refuses, and what Dagster keeps.

The pipeline warehouse of conftest is built by `bold materialize` into a file named
`outputs.duckdb`, with its runs recorded in a DAGSTER_HOME: the scan below reads that instance.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from bold_assets import storage_scan
from bold_assets import warehouse as wh
from tests.conftest import (
    SMALL_POPULATION,
    TEST_PROJECT_KEY,
    TEST_SEED,
    bold_env,
)


def _main(args: list[str], warehouse: Path, **env: str | None) -> int:
    from bold_assets.cli import main

    values = {"BOLD_WAREHOUSE": str(warehouse), "BOLD_POPULATION": str(SMALL_POPULATION),
              "BOLD_SEED": str(TEST_SEED), "BOLD_PROJECT_KEY": TEST_PROJECT_KEY,
              "DAGSTER_HOME": None, "BOLD_LANDING_DIR": None, **env}
    with bold_env(**values):
        return main(args)


# Settings and selections are refused before anything runs -------------------------------------


@pytest.mark.parametrize("value", ["abc", "12.5", "-3", "10"])
def test_bad_population_is_refused_before_the_run(value, tmp_path, capsys):
    warehouse = tmp_path / "bold.duckdb"
    assert _main(["materialize"], warehouse, BOLD_POPULATION=value) == 2
    err = capsys.readouterr().err
    assert f"BOLD_POPULATION={value!r}" in err and "step None" not in err
    assert not warehouse.exists()


def test_selection_without_its_upstream_names_the_missing_asset(tmp_path, capsys):
    warehouse = tmp_path / "bold.duckdb"
    assert _main(["materialize", "--select", "research/xjs_link"], warehouse) == 2
    err = capsys.readouterr().err
    assert "research/xjs_link needs linkage/person_clusters" in err
    assert "--select '+research/xjs_link'" in err
    assert not warehouse.exists()


def test_plus_selects_everything_upstream():
    from bold_assets.cli import resolve_selection
    from bold_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    ours = {"/".join(k.path) for k in resolve_selection("+research/xjs_link", graph)}
    dagsters = {"/".join(k.path)
                for k in resolve_selection('+key:"research/xjs_link"', graph)}  # fmt: skip
    assert ours == dagsters
    assert {"research/xjs_link", "linkage/person_clusters", "linkage/std_mags",
            "raw/mags", "reference/postcodes"} <= ours  # fmt: skip
    assert not {k for k in ours if k.startswith(("research/mags", "truth/", "outputs/"))}


@pytest.mark.parametrize("stem", ["outputs", "raw", "linkage", "marts", "memory", "bold"])
def test_any_warehouse_file_name_works(stem, tmp_path):
    path = tmp_path / f"{stem}.duckdb"
    with wh.connect(path) as con:
        for schema in wh.SCHEMAS:
            wh.replace_table(con, schema, "t", f"SELECT '{schema}' AS s")
        for schema in wh.SCHEMAS:
            assert con.execute(f"SELECT s FROM {schema}.t").fetchall() == [(schema,)]
            assert wh.table_exists(con, schema, "t")
    with wh.connect(path) as con:  # and again, on the file as written
        assert con.execute(f"SELECT s FROM {stem if stem in wh.SCHEMAS else 'raw'}.t"
                           ).fetchall()[0][0] in wh.SCHEMAS


# What Dagster is given ------------------------------------------------------------------------


def test_identifier_zone_previews_and_examples_are_masked(raw_warehouse):
    from bold_assets.defs.metadata import md_table, table_metadata
    from bold_assets.defs.quality import without_identifiers
    from bold_assets.quality.runner import Outcome
    from bold_assets.quality.suites import get_suite

    with duckdb.connect(str(raw_warehouse), read_only=True) as con:
        values = storage_scan.sample_identifiers(con)
        md = table_metadata(con, "raw.mags", preview_rows=50)
        surnames = [r[0] for r in con.execute(
            "SELECT defendant_surname FROM raw.mags LIMIT 50").fetchall()]
    assert {"defendant_surname", "defendant_dob", "defendant_postcode",
            "defendant_id"} <= set(md["masked_columns"].data)  # fmt: skip
    text = md["preview"].md_str
    assert not [s for s in surnames if s and f" {s} " in text]
    assert "[masked," in text
    assert storage_scan.scan_text(text, values) == []
    # check examples from an identifier-zone table: scalars and rows
    suite = get_suite("raw.mags")
    e = next(x for x in suite.expectations if x.column == "defendant_dob")
    examples = [surnames[0], {"defendant_id": "D1", "gender": "M"}]
    out = without_identifiers(Outcome(e, success=False, unexpected_count=2, examples=examples),
                              suite)
    assert surnames[0] not in out.message() and "D1" not in out.message()
    assert "'M'" in out.message()  # codes are not identifiers
    # markdown previews survive a "|" inside a value
    table = md_table(pd.DataFrame({"record_id": ["a|b", "c"], "n": [1, 2]})).md_str
    assert all(line.count("|") - line.count("\\|") == 3 for line in table.splitlines())


def test_a_messy_name_made_of_the_pipelines_own_words_is_not_looked_for():
    """"White," (a surname with a stray comma) is only the ethnic-group word the column
    descriptions use: not a sign of a leak. Names of several words and dates are kept."""
    common = {"White", "Mixed", "Asian", "Mark"}
    assert storage_scan._all_common("White,", common)
    assert not storage_scan._all_common("White Smithson", common)
    assert not storage_scan._all_common("Mark White", common)  # a full name is looked for
    assert not storage_scan._all_common("1990-03-12", common)


def test_scan_finds_a_planted_identifier(raw_warehouse, tmp_path):
    with duckdb.connect(str(raw_warehouse), read_only=True) as con:
        values = storage_scan.sample_identifiers(con)
    name = sorted(values["name"])[0]
    (tmp_path / "events.db").write_bytes(b"\x00\x01 message: " + name.encode() + b" failed")
    hits = storage_scan.scan_files(tmp_path, values)
    # the name (and, for a full name, its longest part, sampled too) is found, never shown
    assert hits and {h.kind for h in hits} == {"name"}
    assert not [h for h in hits if name in h.masked or name.split()[-1] in h.masked]
    # a date of birth is several tokens ("12/03/1990"): found whole, not as a part of a longer run
    dob = sorted(v for v in values["dob"] if len(re.findall(r"[0-9]+", v)) > 1)[0]
    (tmp_path / "events.db").write_bytes(f"at {dob} and {dob}9".encode())
    assert [h.kind for h in storage_scan.scan_files(tmp_path, values)] == ["dob"]


def test_scan_reads_sqlite_cells_whole(raw_warehouse, tmp_path):
    """In a SQLite store (Dagster's runs and events) a planted name is found in its cell, and a
    word of Dagster's own that spans database pages is not mistaken for one."""
    import sqlite3

    with duckdb.connect(str(raw_warehouse), read_only=True) as con:
        values = storage_scan.sample_identifiers(con)
    name = sorted(values["name"])[0]
    db = tmp_path / "index.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE event_logs (event TEXT)")
        con.executemany("INSERT INTO event_logs VALUES (?)",
                        [("MarkdownMetadataEntryData " * 400,), (f"step failed: {name}",)])
    assert {h.kind for h in storage_scan.scan_files(tmp_path, values)} == {"name"}
    con = sqlite3.connect(db, isolation_level=None)  # autocommit: VACUUM drops freed pages
    con.execute("DELETE FROM event_logs WHERE event LIKE 'step failed%'")
    con.execute("VACUUM")
    con.close()
    assert storage_scan.scan_files(tmp_path, values) == []


def test_dagster_home_holds_no_identifier(pipeline_warehouse, pipeline_dagster_home):
    """Everything Dagster stored of a whole run (run and event storage, compute logs, the run's
    log file) holds no name, date of birth or postcode from the raw extracts."""
    files = [p for p in pipeline_dagster_home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any("logs" in p.parts for p in files)
    with wh.open_file(pipeline_warehouse, read_only=True) as con:
        values = storage_scan.sample_identifiers(con)
    assert sum(map(len, values.values())) > 500 and all(values.values())
    hits = storage_scan.scan_files(pipeline_dagster_home, values)
    assert hits == [], f"{len(hits)} identifiers in Dagster storage, e.g. {hits[:5]}"


def test_run_reads_like_a_progress_report(pipeline_dagster_home):
    """The run's terminal lines are in its log file's neighbourhood: here the summary is checked
    from a small subset run printing to the terminal."""
    log = next((pipeline_dagster_home / "logs").glob("bold-materialize-*.log"))
    assert "STEP_START" in log.read_text()  # the full event log went to the file


def test_subset_run_prints_progress_and_summary(tmp_path, capsys):
    assert _main(["materialize", "--select", "reference/lsoa"], tmp_path / "bold.duckdb") == 0
    out = capsys.readouterr().out.splitlines()
    progress = [line for line in out if line.startswith("[")]
    assert progress and all("running" in line for line in progress)
    steps = [re.match(r"\[\s*(\d+)/(\d+) \d+:\d\d:\d\d\] running ", line) for line in progress]
    assert all(steps) and [int(m.group(1)) for m in steps] == list(range(len(progress)))
    assert {int(m.group(2)) for m in steps} == {len(progress)}
    assert any(line.startswith("  reference ") and "lsoa" in line for line in out)
    assert any(line.startswith("checks this run: ") for line in out)
    assert not [line for line in out if "DEBUG" in line or "STEP_START" in line]
    assert len(out) < 20


def test_the_summary_counts_tables_and_never_runs_a_view():
    """A view's rows would cost its query over every record: the summary names it uncounted."""
    from bold_assets.run_report import summary_lines

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA dbt_staging")
    con.execute("CREATE TABLE raw.crown AS SELECT range AS i FROM range(1234)")
    con.execute("CREATE VIEW dbt_staging.stg_crown AS SELECT * FROM raw.crown "
                "WHERE error('the view ran') IS NULL")  # counting its rows would raise
    lines = summary_lines(con, [], 1.0)
    assert "  raw               1 tables: crown 1,234" in lines
    assert "  dbt_staging       1 tables: stg_crown (view)" in lines


def test_checks_execute_alone_without_the_asset(pipeline_warehouse, tmp_path):
    from bold_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    gx = dg.AssetCheckKey(dg.AssetKey(["research", "xjs_link"]), "not_null__xjs_id_high")
    cells = dg.AssetCheckKey(dg.AssetKey(["outputs", "lad_needs_wave_0"]), "no_disclosive_cells")
    for key in (gx, cells):
        assert graph.get_execution_set_identifier(key) is None, key
        assert graph.get_check_spec(key).blocking
    copy = tmp_path / "copy.duckdb"
    shutil.copy(pipeline_warehouse, copy)
    job = defs.resolve_job_def("all_assets_job").get_subset(asset_selection=set(),
                                                          asset_check_selection={gx, cells})
    with bold_env(BOLD_WAREHOUSE=str(copy), BOLD_PROJECT_KEY=TEST_PROJECT_KEY, DAGSTER_HOME=None):
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert not result.get_asset_materialization_events()
    assert {(e.asset_key, e.check_name) for e in result.get_asset_check_evaluations()} == {
        (gx.asset_key, gx.name), (cells.asset_key, cells.name)}


def test_ui_labels_layers_groups_and_columns():
    from bold_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    raw, research = (graph.get(dg.AssetKey([s, "mags"])) for s in ("raw", "research"))
    assert raw.description.split(":")[0] != research.description.split(":")[0]
    assert graph.get(dg.AssetKey(["truth", "persons"])).group_name == "truth"
    assert graph.get(dg.AssetKey(["reference", "lsoa"])).group_name == "reference"
    staging = graph.get(dg.AssetKey(["dbt_staging", "stg_mags"])).description
    assert "select" not in staging.lower()
    wave = defs.resolve_job_def("wave_0_job").asset_layer.executable_asset_keys
    assert not [k for k in wave if k.path[0] in ("truth", "evaluation")]
    assert dg.AssetKey(["reference", "lsoa"]) in wave
    dbt_checks = [k for k in graph.asset_check_keys if k.asset_key.path[0].startswith("dbt_")]
    assert dbt_checks and all(graph.get_check_spec(k).description for k in dbt_checks)
