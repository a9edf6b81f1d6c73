"""Malformed landed files: a legible error, and nothing in the warehouse changes.

A baseline warehouse is materialised from good landed files (exported from the generated
extracts). Each case lands one malformed file, materialises that raw asset through the real
Dagster job, and asserts (1) the run fails with a first line naming the file, the column and
example rows and saying what to do, and (2) every table of the warehouse has the same row count
and content hash as before.
"""

from __future__ import annotations

import gzip
import io
import random
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bold_assets.landing import LandingError, find_landed_file, read_landed
from bold_assets.sources import SOURCES, sources_of_wave
from tests.conftest import (
    SMALL_POPULATION,
    TEST_PROJECT_KEY,
    TEST_SEED,
    bold_env,
    materialize,
)

PARQUET_SOURCES = ("family", "civil")  # the rest land as CSV


def fingerprint(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent content hash of every table."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall()
        out = {}
        for schema, table in tables:
            n, digest = con.execute(
                f'SELECT count(*), md5(coalesce(string_agg(h, \'\' ORDER BY h), \'\')) FROM '
                f'(SELECT md5(CAST(t AS VARCHAR)) AS h FROM "{schema}"."{table}" t)'
            ).fetchall()[0]
            out[f"{schema}.{table}"] = (n, digest)
        return out
    finally:
        con.close()


def run_raw(warehouse: Path, landing: Path, source: str):
    """Materialise raw/<source> from `landing` through wave_0_job; return the result."""
    import dagster as dg

    from bold_assets.definitions import defs

    with bold_env(BOLD_WAREHOUSE=str(warehouse), BOLD_POPULATION=str(SMALL_POPULATION),
                  BOLD_SEED=str(TEST_SEED), BOLD_PROJECT_KEY=TEST_PROJECT_KEY,
                  BOLD_LANDING_DIR=str(landing), DAGSTER_HOME=None):  # fmt: skip
        job = defs.resolve_job_def("wave_0_job")
        return job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            asset_selection=[dg.AssetKey(["raw", source])], raise_on_error=False,
        )  # fmt: skip


def failure_first_line(result) -> tuple[str, str]:
    """(error class, first line) of the user-facing error of the failed step.

    When the asset wraps domain errors in dg.Failure (`legible_errors`), that is the top-level
    error; otherwise the LandingError is the cause under Dagster's wrapper.
    """
    events = result.get_step_failure_events()
    assert events, "the run was expected to fail"
    err = events[0].step_failure_data.error
    top = err.cls_name
    while err.cls_name not in ("Failure", "LandingError") and err.cause is not None:
        err = err.cause
    first = err.message.splitlines()[0]
    prefix, sep, rest = first.partition(": ")
    return top, (rest if sep and " " not in prefix else first)


# Good files ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_files(raw_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing_good")
    con = duckdb.connect(str(raw_warehouse), read_only=True)
    try:
        for s in SOURCES:
            if s in PARQUET_SOURCES:
                con.execute(f"COPY raw.{s} TO '{folder / s}.parquet' (FORMAT parquet)")
            else:
                con.execute(f"COPY raw.{s} TO '{folder / s}.csv' (HEADER, DELIMITER ',')")
    finally:
        con.close()
    return folder


@pytest.fixture(scope="module")
def baseline(good_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse materialised from the good landed files of wave 0's sources (the ones the
    tests below offer malformed files of)."""
    warehouse = tmp_path_factory.mktemp("landing_wh") / "bold.duckdb"
    raw = ",".join(f"raw/{s.name}" for s in sources_of_wave(0))
    materialize(warehouse, select=f"{raw},reference/*", BOLD_LANDING_DIR=str(good_files))
    return warehouse


# Malformed files -------------------------------------------------------------------------


def _frame(folder: Path, source: str) -> pd.DataFrame:
    path = find_landed_file(folder, source)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(df: pd.DataFrame, folder: Path, source: str, **kw) -> None:
    df.to_csv(folder / f"{source}.csv", index=False, **kw)


def _lines(folder: Path, source: str) -> list[str]:
    return (folder / f"{source}.csv").read_text(encoding="utf-8").splitlines(keepends=True)


def _set(folder: Path, source: str, col: str, rows: dict[int, str]) -> None:
    df = _frame(folder, source)
    for i, v in rows.items():
        df.loc[i, col] = v
    _write(df, folder, source)


def missing_column(d: Path) -> None:
    _write(_frame(d, "mags").drop(columns=["ethnicity"]), d, "mags")


def renamed_column(d: Path) -> None:
    _write(_frame(d, "mags").rename(columns={"defendant_id": "Defendant_ID"}), d, "mags")


def unparseable_dates(d: Path) -> None:
    _set(d, "crown", "receipt_date", {1: "2020-13-45", 4: "yesterday"})


def day_first_dates(d: Path) -> None:
    df = _frame(d, "prison")
    df["reception_date"] = pd.to_datetime(df["reception_date"]).dt.strftime("%d/%m/%Y")
    _write(df, d, "prison")


def semicolons(d: Path) -> None:
    _write(_frame(d, "probation"), d, "probation", sep=";")


def tabs(d: Path) -> None:
    _write(_frame(d, "mags"), d, "mags", sep="\t")


def latin1(d: Path) -> None:
    df = _frame(d, "crown")
    df.loc[2, "forenames"] = "Renée"
    (d / "crown.csv").write_bytes(df.to_csv(index=False).encode("cp1252"))


def utf16(d: Path) -> None:
    (d / "oasys.csv").write_bytes((d / "oasys.csv").read_text().encode("utf-16"))


def empty(d: Path) -> None:
    (d / "mags.csv").write_bytes(b"")


def blank(d: Path) -> None:
    (d / "crown.csv").write_text("\n\n   \n")


def header_only(d: Path) -> None:
    (d / "prison.csv").write_text(_lines(d, "prison")[0])


def truncated(d: Path) -> None:
    data = (d / "probation.csv").read_bytes()
    cut = data.rfind(b",", 0, len(data) * 3 // 5)  # mid-row, just after a delimiter
    (d / "probation.csv").write_bytes(data[:cut])


def extra_field(d: Path) -> None:
    lines = _lines(d, "mags")
    lines[3] = lines[3].replace(",", ",SMITH, JOHN,", 1)
    (d / "mags.csv").write_text("".join(lines))


def unclosed_quote(d: Path) -> None:
    lines = _lines(d, "crown")
    head, _, tail = lines[5].partition(",")
    lines[5] = f'{head},"{tail}'
    (d / "crown.csv").write_text("".join(lines))


def duplicate_keys(d: Path) -> None:
    df = _frame(d, "mags")
    df.loc[9, "defendant_id"] = df.loc[2, "defendant_id"]
    _write(df, d, "mags")


def missing_key(d: Path) -> None:
    _set(d, "crown", "defendant_on_case_id", {6: ""})


def bad_codes(d: Path) -> None:
    _set(d, "prison", "gender_code", {0: "X", 3: "male"})


def binary_junk(d: Path) -> None:
    (d / "probation.csv").write_bytes(random.Random(1).randbytes(4096))


def gzipped(d: Path) -> None:
    (d / "mags.csv").write_bytes(gzip.compress((d / "mags.csv").read_bytes()))


def xlsx_named_csv(d: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    (d / "crown.csv").write_bytes(buf.getvalue())


def two_files(d: Path) -> None:
    _frame(d, "oasys").to_parquet(d / "oasys.parquet", index=False)


def truncated_parquet(d: Path) -> None:
    data = (d / "family.parquet").read_bytes()
    (d / "family.parquet").write_bytes(data[: len(data) // 2])


def parquet_missing_column(d: Path) -> None:
    _frame(d, "civil").drop(columns=["claim_number"]).to_parquet(d / "civil.parquet")


def parquet_bad_code(d: Path) -> None:
    df = _frame(d, "family")
    df.loc[[1, 2], "case_type"] = "CRIMINAL"
    df.to_parquet(d / "family.parquet", index=False)


def integer_text(d: Path) -> None:
    _set(d, "mags", "offence_count", {5: "three"})


def boolean_text(d: Path) -> None:
    _set(d, "crown", "appeal", {8: "maybe"})


def duplicate_header(d: Path) -> None:
    lines = _lines(d, "probation")
    lines[0] = lines[0].replace("second_forename", "surname")
    (d / "probation.csv").write_text("".join(lines))


def nul_in_row(d: Path) -> None:
    data = (d / "prison.csv").read_bytes()
    at = data.rfind(b",", 0, len(data) - 200)
    (d / "prison.csv").write_bytes(data[:at] + b",\x00\x00" + data[at + 1:])


def xlsx_only(d: Path) -> None:
    (d / "mags.csv").rename(d / "mags.xlsx")


def oasys_score(d: Path) -> None:
    _set(d, "oasys", "s3_q1", {4: "3"})


@dataclass
class Case:
    make: Callable[[Path], None]
    source: str
    expect: tuple[str, ...]  # substrings of the first line of the error


CASES = {
    "missing_column": Case(missing_column, "mags",
                           ("mags.csv", "missing required column(s) ethnicity", "land again")),
    "renamed_column": Case(renamed_column, "mags",
                           ("mags.csv", "defendant_id", "rename 'Defendant_ID'")),
    "unparseable_dates": Case(unparseable_dates, "crown",
                              ("crown.csv", "column receipt_date", "2 value(s) are not dates",
                               "line 3: '2020-13-45'", "line 6: 'yesterday'", "YYYY-MM-DD")),
    "day_first_dates": Case(day_first_dates, "prison",
                            ("prison.csv", "column reception_date", "not dates", "line 2:")),
    "semicolons": Case(semicolons, "probation",
                       ("probation.csv", "separated by semicolons", "commas")),
    "tabs": Case(tabs, "mags", ("mags.csv", "separated by tabs", "commas")),
    "latin1": Case(latin1, "crown", ("crown.csv", "not UTF-8", "line 4", "re-save", "UTF-8")),
    "utf16": Case(utf16, "oasys", ("oasys.csv", "UTF-16", "re-save it as UTF-8")),
    "empty": Case(empty, "mags", ("mags.csv", "empty (0 bytes)", "land the complete")),
    "blank": Case(blank, "crown", ("crown.csv", "only blank space", "land")),
    "header_only": Case(header_only, "prison",
                        ("prison.csv", "header but no rows", "journey_id", "land")),
    "truncated": Case(truncated, "probation",
                      ("probation.csv", "ends mid-row", "of 13 fields", "cut short")),
    "extra_field": Case(extra_field, "mags",
                        ("mags.csv", "do not have the header's 16 fields", "line 4 has 18",
                         "unquoted commas")),
    "unclosed_quote": Case(unclosed_quote, "crown",
                           ("crown.csv", "quoted field opened on line 6 is never closed")),
    "duplicate_keys": Case(duplicate_keys, "mags",
                           ("mags.csv", "column defendant_id", "more than one row",
                            "lines 4, 11", "unique")),
    "missing_key": Case(missing_key, "crown",
                        ("crown.csv", "column defendant_on_case_id", "no record key", "line 8")),
    "bad_codes": Case(bad_codes, "prison",
                      ("prison.csv", "column gender_code", "2 value(s) outside the code list",
                       "line 2: 'X'", "line 5: 'male'", "map them")),
    "binary_junk": Case(binary_junk, "probation", ("probation.csv", "binary junk", "land")),
    "gzipped": Case(gzipped, "mags", ("mags.csv", "gzip-compressed", "UTF-8 CSV")),
    "xlsx_named_csv": Case(xlsx_named_csv, "crown", ("crown.csv", "zip archive", "UTF-8 CSV")),
    "two_files": Case(two_files, "oasys",
                      ("oasys.csv and oasys.parquet", "two files", "keep only")),
    "truncated_parquet": Case(truncated_parquet, "family",
                              ("family.parquet", "truncated", "export the extract again")),
    "parquet_missing_column": Case(parquet_missing_column, "civil",
                                   ("civil.parquet", "missing required column(s) claim_number")),
    "parquet_bad_code": Case(parquet_bad_code, "family",
                             ("family.parquet", "column case_type", "outside the code list",
                              "row 2: 'CRIMINAL'")),
    "integer_text": Case(integer_text, "mags",
                         ("mags.csv", "column offence_count", "not whole numbers",
                          "line 7: 'three'")),
    "boolean_text": Case(boolean_text, "crown",
                         ("crown.csv", "column appeal", "not true/false", "line 10: 'maybe'")),
    "duplicate_header": Case(duplicate_header, "probation",
                             ("probation.csv", "surname appear more than once")),
    "nul_in_row": Case(nul_in_row, "prison", ("prison.csv", "binary junk", "line ")),
    "xlsx_only": Case(xlsx_only, "mags", ("mags.xlsx", "not mags.xlsx", "convert")),
    "oasys_score_out_of_range": Case(oasys_score, "oasys",
                                     ("oasys.csv", "column s3_q1", "outside the scores 0, 1, 2",
                                      "line 6: '3'")),
}  # fmt: skip


@pytest.fixture(scope="module")
def baseline_fingerprint(baseline: Path) -> dict[str, tuple[int, str]]:
    """The baseline warehouse as it is before any malformed file is offered to it."""
    return fingerprint(baseline)


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_file_is_refused_and_nothing_changes(name, good_files, baseline,
                                                       baseline_fingerprint, tmp_path):
    case = CASES[name]
    landing = tmp_path / "landing"
    landing.mkdir()
    for f in good_files.glob(f"{case.source}.*"):  # the only source the run reads
        shutil.copy(f, landing / f.name)
    case.make(landing)
    result = run_raw(baseline, landing, case.source)
    assert not result.success
    _, first = failure_first_line(result)
    for part in case.expect:
        assert part in first, f"{part!r} not in first line: {first}"
    # every table of the warehouse, not only the refused source's, is as it was
    assert fingerprint(baseline) == baseline_fingerprint, \
        "the warehouse changed after a refused file"
    # the plain reader gives the same first line
    with pytest.raises(LandingError) as info:
        read_landed(landing, case.source)
    assert str(info.value).splitlines()[0] == first


def test_there_are_at_least_20_distinct_malformed_files():
    assert len(CASES) >= 20


def test_landing_failure_first_line_is_the_domain_message(good_files, baseline, tmp_path):
    """The Dagster error itself (not a wrapper) starts with what is wrong and what to do."""
    landing = tmp_path / "landing"
    shutil.copytree(good_files, landing)
    bad_codes(landing)
    top, first = failure_first_line(run_raw(baseline, landing, "prison"))
    assert top == "Failure", (
        "raw assets should read landed files inside bold_assets.defs.errors.legible_errors() "
        f"so that the error's first line is the landing message; got {top}")
    assert first.startswith(str(landing / "prison.csv"))


def test_extra_column_is_a_warning_and_the_table_is_replaced(good_files, baseline, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(good_files, landing)
    df = _frame(landing, "mags").head(40)
    df["court_room"] = "1"
    _write(df, landing, "mags")
    frame = read_landed(landing, "mags")
    assert frame.attrs["landing_warnings"][0].endswith(
        "extra column(s) court_room are not in the mags layout and were dropped")
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(baseline, warehouse)
    result = run_raw(warehouse, landing, "mags")
    assert result.success
    after = fingerprint(warehouse)
    assert after["raw.mags"][0] == 40
    before = fingerprint(baseline)
    assert {k: v for k, v in after.items() if k != "raw.mags"} == {
        k: v for k, v in before.items() if k != "raw.mags"}


def test_good_files_round_trip_exactly(good_files, raw_warehouse):
    """Generated extracts, landed as CSV or parquet, come back identical (types and values)."""
    con = duckdb.connect(str(raw_warehouse), read_only=True)
    try:
        for s in SOURCES:
            want = con.execute(f"SELECT * FROM raw.{s}").df()
            got = read_landed(good_files, s)
            assert got.attrs["landing_warnings"] == []
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
    finally:
        con.close()


def test_a_file_that_lands_but_fails_a_critical_check_blocks_downstream(good_files, baseline,
                                                                          tmp_path):
    """Need levels that contradict their item scores pass landing (they are valid codes) but
    fail the blocking GX check on raw.oasys: linkage.std_oasys is not rebuilt from them."""
    import dagster as dg

    from bold_assets.definitions import defs

    landing = tmp_path / "landing"
    shutil.copytree(good_files, landing)
    df = _frame(landing, "oasys")
    df["s3_need_level"] = df["s3_need_level"].map({"0": "2", "1": "0", "2": "1"})
    _write(df, landing, "oasys")
    read_landed(landing, "oasys")  # landing accepts it
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(baseline, warehouse)
    with bold_env(BOLD_WAREHOUSE=str(warehouse), BOLD_POPULATION=str(SMALL_POPULATION),
                  BOLD_SEED=str(TEST_SEED), BOLD_PROJECT_KEY=TEST_PROJECT_KEY,
                  BOLD_LANDING_DIR=str(landing), DAGSTER_HOME=None):  # fmt: skip
        result = defs.resolve_job_def("wave_0_job").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            asset_selection=[dg.AssetKey(["raw", "oasys"]), dg.AssetKey(["linkage", "std_oasys"])],
        )  # fmt: skip
    assert not result.success
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evals["rows__need_level_consistent__s3"].passed
    done = {tuple(e.materialization.asset_key.path)
            for e in result.get_asset_materialization_events()}
    assert ("raw", "oasys") in done and ("linkage", "std_oasys") not in done
    first = result.get_step_failure_events()[0].step_failure_data.error.message.splitlines()[0]
    assert "raw.oasys failed" in first and "rows__need_level_consistent__s3" in first


def test_legible_errors_puts_the_domain_message_first(tmp_path):
    """What raw assets get by reading landed files inside `legible_errors()`."""
    import dagster as dg

    from bold_assets.defs.errors import legible_errors

    (tmp_path / "mags.csv").write_text("defendant_id;case_id\nD1;C1\n")

    @dg.asset
    def landed() -> None:
        with legible_errors("raw.mags"):
            read_landed(tmp_path, "mags")

    result = dg.materialize([landed], raise_on_error=False)
    err = result.get_step_failure_events()[0].step_failure_data.error
    assert err.cls_name == "Failure"
    first = err.message.splitlines()[0]
    assert first.startswith(f"dagster._core.definitions.events.Failure: {tmp_path}/mags.csv: "
                            "the header has one column")
    assert first.endswith("export it with commas as the delimiter and land it again.")
