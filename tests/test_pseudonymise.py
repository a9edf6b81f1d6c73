"""Keyed pseudonyms and the identifier scan."""

from __future__ import annotations

import stat

import duckdb
import pytest

from bold_assets import pseudonymise as ps
from bold_assets.settings import get_settings
from tests.conftest import bold_env


def _hash_in_sql(value: str, key: bytes) -> str:
    con = duckdb.connect()
    ps.register_hmac(con, key)
    return con.execute(f"SELECT {ps.hash_expr('mags', 'defendant_id', '?')}",
                       [value]).fetchall()[0][0]


def test_sql_hmac_matches_python_hmac():
    key = b"k" * 20
    assert _hash_in_sql("D100", key) == ps.pseudonym("mags", "defendant_id", "D100", key)
    long_key = b"x" * 100  # longer than a SHA-256 block: hashed first, as HMAC requires
    assert _hash_in_sql("D100", long_key) == ps.hmac_hex("mags:defendant_id:D100", long_key)


def test_key_change_changes_ids():
    a = ps.row_id_hashes(["mags", "crown"], ["D1", "T1"], key=b"project-a")
    b = ps.row_id_hashes(["mags", "crown"], ["D1", "T1"], key=b"project-b")
    assert a[0] != b[0] and a[1] != b[1]
    assert a == ps.row_id_hashes(["mags", "crown"], ["D1", "T1"], key=b"project-a")
    # namespaced: the same id in two sources has two pseudonyms
    assert ps.row_id_hashes(["mags"], ["X"], key=b"k") != ps.row_id_hashes(["crown"], ["X"],
                                                                          key=b"k")


def test_key_file_created_once_private(tmp_path):
    with bold_env(BOLD_WAREHOUSE=str(tmp_path / "bold.duckdb"), BOLD_PROJECT_KEY=None):
        key = ps.project_key()
        path = ps.key_path()
        assert path == get_settings().data_dir / "project.key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(key) == 64
        assert ps.project_key() == key  # reused, not regenerated
    with bold_env(BOLD_WAREHOUSE=str(tmp_path / "bold.duckdb"), BOLD_PROJECT_KEY="from-env"):
        assert ps.project_key() == b"from-env"


def test_key_not_in_sql_text():
    con = duckdb.connect()
    ps.register_hmac(con, b"very-secret-key")
    macros = con.execute("SELECT macro_definition FROM duckdb_functions() "
                         "WHERE function_name = 'bold_hmac'").fetchall()
    assert macros and all("very-secret" not in str(m) for m in macros)


@pytest.fixture()
def zones() -> duckdb.DuckDBPyConnection:
    """A tiny warehouse: raw + linkage identifiers, and a clean research table."""
    con = duckdb.connect()
    for schema in ("raw", "linkage", "research", "marts", "outputs"):
        con.execute(f"CREATE SCHEMA {schema}")
    names = ["OLIVER", "AMELIA", "MOHAMMED", "GRACE", "PIOTR", "CHLOE", "KWAME", "SOPHIE"]
    surnames = ["SMITH", "KHAN", "NOWAK", "MENSAH", "JONES", "TAYLOR", "EVANS", "PATEL"]
    con.execute("CREATE TABLE raw.mags AS SELECT * FROM (VALUES " + ", ".join(
        f"('D{i:06d}', 'C{i:05d}', '{f}', '{s}', '19{60 + i}-0{1 + i % 9}-1{i % 9}', "
        f"'GY{i % 4 + 1} {i % 9}AB')" for i, (f, s) in enumerate(zip(names, surnames, strict=True)))
        + ") t(defendant_id, case_id, defendant_forename, defendant_surname, defendant_dob, "
        "defendant_postcode)")
    con.execute("""CREATE TABLE linkage.std_mags AS SELECT defendant_id AS record_id,
        defendant_forename AS forename1_std, defendant_surname AS surname_std,
        CAST(defendant_dob AS DATE) AS dob_std FROM raw.mags""")
    con.execute("""CREATE TABLE research.mags AS SELECT sha256(defendant_id) AS row_id_hash,
        'FINE' AS disposal_code, DATE '2015-01-01' + CAST(i AS INTEGER) AS hearing_date,
        20 + i AS age_at_event
        FROM (SELECT *, row_number() OVER () AS i FROM raw.mags)""")
    return con


def test_clean_research_passes(zones):
    assert ps.scan_identifiers(zones) == []


@pytest.mark.parametrize("column, sql, kind, how", [
    ("who", "lower(defendant_forename)", "name", "content"),
    ("party_surname", "'X'", "name", "column name"),
    ("born", "CAST(defendant_dob AS DATE)", "dob", "content"),
    ("born_text", "defendant_dob", "dob", "content"),  # a DOB kept as the source's text
    ("born_uk", "strftime(CAST(defendant_dob AS DATE), '%d/%m/%Y')", "dob", "content"),
    ("area", "replace(defendant_postcode, ' ', '')", "postcode", "content"),
    ("ref", "defendant_id", "record_id", "content"),
    ("case_id", "'abc'", "record_id", "column name"),
])
def test_scan_catches_planted_identifier(zones, column, sql, kind, how):
    zones.execute(f"""CREATE TABLE marts.leaky AS SELECT row_number() OVER () AS i,
        {sql} AS {column} FROM raw.mags""")
    findings = ps.scan_identifiers(zones)
    assert [(f.schema, f.table, f.column, f.kind, f.how) for f in findings] == [
        ("marts", "leaky", column, kind, how)]


def test_scan_ignores_hashes_and_geography(zones):
    zones.execute("""CREATE TABLE outputs.by_area AS SELECT 'E0100000' || i AS lsoa_code,
        'Area ' || i AS lad_name, sha256('x' || i) AS person_hash, i * 3 AS people
        FROM range(1, 50) t(i)""")
    assert ps.scan_identifiers(zones) == []


def test_a_dob_column_is_caught_row_by_row_when_birthdays_are_everywhere(zones):
    """A general-population source puts a birthday on almost every day, so a column of dates
    matches dates of birth by chance and the content scan stands aside; with the project key a
    source's research table is compared record by record, and a column holding each record's
    own date of birth is still caught (a column of event dates is not)."""
    key = b"test-key"
    zones.execute("""INSERT INTO raw.mags SELECT 'D9' || i, 'C9' || i, 'ANNE', 'BROWN',
        strftime(DATE '1950-01-01' + CAST(i AS INTEGER), '%Y-%m-%d'), 'GY1 1AB'
        FROM range(0, 20000) t(i)""")
    zones.execute("""CREATE OR REPLACE TABLE linkage.std_mags AS SELECT defendant_id AS record_id,
        defendant_forename AS forename1_std, defendant_surname AS surname_std,
        CAST(defendant_dob AS DATE) AS dob_std FROM raw.mags""")
    ps.register_hmac(zones, key)
    zones.execute("DROP TABLE research.mags")
    zones.execute(f"""CREATE TABLE research.mags AS SELECT
        {ps.hash_expr('mags', 'defendant_id', 'defendant_id')} AS row_id_hash,
        CAST(defendant_dob AS DATE) AS first_seen,
        DATE '1980-01-01' + CAST(row_number() OVER () AS INTEGER) AS hearing_date
        FROM raw.mags""")
    assert ps.scan_identifiers(zones) == []  # dense birthdays: content alone cannot tell
    findings = ps.scan_identifiers(zones, key=key)
    assert [(f.table, f.column, f.kind) for f in findings] == [("mags", "first_seen", "dob")]
    assert "own date of birth" in findings[0].detail


def test_a_scan_that_cannot_run_fails_the_leak_check_with_the_error_masked(tmp_path,
                                                                           monkeypatch):
    """The blocking no_identifiers check fails (it does not raise, so a suite in its step still
    reports) when the scan errors, and the error it shows has its quoted values masked."""
    import dagster as dg

    from bold_assets.defs.factories.leaks import leak_result
    from bold_assets.defs.resources import WarehouseResource

    def broken(*args, **kwargs):
        raise duckdb.ConversionException("Could not convert string 'SMITH' to DATE")

    monkeypatch.setattr(ps, "scan_identifiers", broken)
    warehouse = WarehouseResource(path=str(tmp_path / "w.duckdb"))
    with bold_env(BOLD_PROJECT_KEY="k" * 32):
        result = leak_result(warehouse, dg.AssetKey(["research", "mags"]))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    error = result.metadata["error"].value
    assert "ConversionException" in error and "to DATE" in error and "SMITH" not in error


def test_library_messages_are_logged_with_data_masked():
    """A warning or error a library raises about a table may quote its values: quoted strings,
    dates, long numbers and postcodes are masked before it is logged."""
    from bold_assets.defs.metadata import mask_message

    said = mask_message('Could not convert "SMITH" to DATE: \'1990-03-12\' in row 1234567, '
                        "postcode LS1 4AB, 12/03/1990\nsecond line 'JONES'")
    for value in ("SMITH", "1990-03-12", "1234567", "LS1 4AB", "12/03/1990", "JONES"):
        assert value not in said, value
    assert said.startswith("Could not convert '…' to DATE")
