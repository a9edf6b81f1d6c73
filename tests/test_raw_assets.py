"""Raw assets in Dagster: definitions load, tables match the registry, landing reads files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd

from bold_assets.sources import SOURCES, WAVE_0_SOURCES
from tests.conftest import SMALL_POPULATION, TEST_SEED, materialize

REPO = Path(__file__).resolve().parents[1]


def test_definitions_validate():
    """What `dagster definitions validate` checks, in process (the workspace file itself is
    loaded by `dagster dev` in tests/test_backfill_daemon.py and tests/test_ui_browser.py, which
    fail when the code location does not load)."""
    import dagster as dg

    from bold_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    assert "workspace.yaml" in (REPO / "Makefile").read_text()


def test_definitions_have_wave_groups_jobs_and_stopped_schedules():
    import dagster as dg

    from bold_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, source in SOURCES.items():
        key = dg.AssetKey(["raw", name])
        assert graph.get(key).group_name == f"wave_{source.wave}"
    for wave, cron in ((0, "0 3 * * 1"), (1, "0 3 * * 2")):
        assert defs.resolve_job_def(f"wave_{wave}_job") is not None
        schedule = defs.resolve_schedule_def(f"wave_{wave}_weekly_refresh")
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert schedule.cron_schedule == cron


def test_raw_tables_have_registry_schema_and_truth(raw_warehouse, read_only):
    with read_only(raw_warehouse) as con:
        for name, source in SOURCES.items():
            cols = con.sql(f"DESCRIBE raw.{name}").df()
            assert list(cols["column_name"]) == list(source.columns)
            assert [t.upper() for t in cols["column_type"]] == list(source.columns.values())
        # every record of a table with identifiers has its true person (attribute tables reach
        # theirs through the parent's key)
        people = [n for n, s in SOURCES.items() if s.has_identifiers]
        n_raw = sum(con.sql(f"SELECT count(*) FROM raw.{s}").fetchall()[0][0] for s in people)
        n_truth = con.sql("SELECT count(*) FROM truth.record_person").fetchall()[0][0]
        assert n_raw == n_truth > 0
        persons = con.sql("SELECT count(*) FROM truth.persons").fetchall()[0][0]
        assert persons == SMALL_POPULATION
        # a general population: most people never meet justice (wave 0's extracts)
        touched = con.sql("SELECT count(DISTINCT person_id) FROM truth.record_person "
                          f"WHERE source_dataset IN {tuple(WAVE_0_SOURCES)}").fetchall()
        assert 0 < touched[0][0] < SMALL_POPULATION / 2


LANDED = ("mags", "family", "oasys", "pnc_people", "pnc_offences", "npd_census", "dwp_cis",
          "dwp_benefit_spells", "pds", "hes_apc", "ons_deaths", "hclic_people", "la_tenancies")


def test_raw_assets_read_landed_files(tmp_path, raw_warehouse, read_only):
    """With BOLD_LANDING_DIR set, raw tables come from files (csv or parquet), not the generator.
    Sources of every wave and kind (people, events, spells; csv and parquet), not all 38: the
    reading is the same code for each (tests/test_landing.py lands every wave-0 source)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    with read_only(raw_warehouse) as con:
        frames = {s: con.sql(f"SELECT * FROM raw.{s}").df() for s in LANDED}
    # land a trimmed, altered extract so the result cannot come from the generator
    for i, (source, df) in enumerate(frames.items()):
        df = df.head(50).copy()
        df[SOURCES[source].key] = "LANDED-" + df[SOURCES[source].key].astype(str)
        frames[source] = df
        if i % 2:
            df.to_parquet(landing / f"{source}.parquet", index=False)
        else:
            df.to_csv(landing / f"{source}.csv", index=False)
    warehouse = tmp_path / "landed.duckdb"
    shutil.copy(raw_warehouse, warehouse)  # an earlier synthetic run (with its truth)
    raw = ",".join(f"raw/{s}" for s in LANDED)
    materialize(warehouse, select=f"{raw},truth/*,reference/*", BOLD_LANDING_DIR=str(landing))
    with read_only(warehouse) as con:
        for source, df in frames.items():
            key = SOURCES[source].key
            got = con.sql(f"SELECT * FROM raw.{source} ORDER BY {key}").df()
            assert len(got) == len(df) > 0  # the first 50 rows (a smaller table whole)
            assert got[key].tolist() == sorted(df[key].tolist())
            want = df.sort_values(key).reset_index(drop=True)
            for col in SOURCES[source].identifiers.pii_columns:
                assert got[col].fillna("").tolist() == want[col].fillna("").astype(str).tolist()
        # synthetic truth does not describe landed data: it is removed, not kept stale
        tables = con.sql("SELECT table_schema FROM information_schema.tables").df()
        assert "truth" not in set(tables["table_schema"])


def test_same_settings_same_warehouse_tables(tmp_path, raw_warehouse, read_only):
    again = tmp_path / "again.duckdb"
    materialize(again, select="raw/mags,raw/civil", BOLD_LANDING_DIR=None)
    with read_only(raw_warehouse) as a, read_only(again) as b:
        for source in ("mags", "civil"):
            pd.testing.assert_frame_equal(a.sql(f"SELECT * FROM raw.{source}").df(),
                                          b.sql(f"SELECT * FROM raw.{source}").df())
    assert TEST_SEED == 7  # the fixture's seed; a different seed is covered in test_world


def test_a_refresh_standardises_only_new_and_changed_rows(raw_warehouse, tmp_path):
    """After edits, deletions and additions to a raw table, the incremental standard form equals
    a full one; unchanged rows are not standardised again; a changed postcode lookup (the
    version) standardises everything afresh."""
    from bold_assets.linkage import justice as J
    from bold_assets.sources import get_source

    path = tmp_path / "std.duckdb"
    shutil.copy(raw_warehouse, path)
    src = get_source("mags")
    surname = src.identifiers.surname
    with duckdb.connect(str(path)) as con:
        J.standardise_source(con, "mags")
        # kept rows keep their physical place: mark one to see it is not rewritten
        con.execute(f"""UPDATE linkage.std_mags SET surname_dm = 'UNTOUCHED' WHERE record_id =
                        (SELECT CAST("{src.key}" AS VARCHAR) FROM raw.mags WHERE rowid = 100)""")
        con.execute(f'UPDATE raw.mags SET "{surname}" = \'QZXWV\' WHERE rowid < 5')
        con.execute("DELETE FROM raw.mags WHERE rowid BETWEEN 10 AND 12")
        con.execute(f"""INSERT INTO raw.mags SELECT * REPLACE ('new-' || "{src.key}" AS
                        "{src.key}") FROM raw.mags WHERE rowid BETWEEN 20 AND 21""")
        n = J.standardise_source(con, "mags")
        incremental = con.execute("SELECT * FROM linkage.std_mags ORDER BY record_id").df()
        assert (incremental["surname_dm"] == "UNTOUCHED").sum() == 1
        assert (incremental["surname_std"] == "QZXWV").sum() >= 4
        assert incremental["record_id"].str.startswith("new-").sum() == 2
        J.standardise_source(con, "mags", incremental=False)
        full = con.execute("SELECT * FROM linkage.std_mags ORDER BY record_id").df()
        assert n == len(full) == len(incremental)
        changed = full["surname_dm"] != incremental["surname_dm"]
        assert changed.sum() == 1  # the marked row only: everything else is identical
        pd.testing.assert_frame_equal(full.drop(columns="surname_dm"),
                                      incremental.drop(columns="surname_dm"))
        # a new postcode lookup: every row again
        con.execute("UPDATE linkage.std_mags SET surname_dm = 'UNTOUCHED'")
        con.execute("DELETE FROM reference.postcodes WHERE rowid = 0")
        J.standardise_source(con, "mags")
        assert not con.execute("SELECT count(*) FROM linkage.std_mags WHERE surname_dm = "
                               "'UNTOUCHED'").fetchall()[0][0]
