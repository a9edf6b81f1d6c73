"""No data told from zero: cells of a measure resting on councils' returns, in a LAD whose council
missed one, are published as "not covered" (no count, no rate), never as values or zeros; the
disclosure steps and checks leave them out; history tables of an earlier release keep working;
the coverage matrix says how complete the returns are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from bold_assets import coverage_gaps, register
from bold_assets import disclosure as dc
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_0 import outputs
from bold_assets.discovery import coverage

# LAD L1 = LSOAs A, B, C; LAD L2 = LSOAs D, E, F (F has nobody in it).
AREAS = pd.DataFrame({
    "lsoa_code": ["A", "B", "C", "D", "E", "F"],
    "lsoa_name": ["A1", "B1", "C1", "D1", "E1", "F1"],
    "lad_code": ["L1", "L1", "L1", "L2", "L2", "L2"],
    "lad_name": ["Lad one"] * 3 + ["Lad two"] * 3,
})
PARENTS = dict(zip(AREAS["lsoa_code"], AREAS["lad_code"], strict=True))
# (lsoa, people, flagged with m): A small; D's complement small, so E is secondarily suppressed
PLAN = [("A", 40, 3), ("B", 50, 20), ("C", 60, 30), ("D", 48, 45), ("E", 70, 33)]
GAP = pd.DataFrame({"lad_code": ["L2"], "measure": ["m"]})  # L2's council missed a return
GAP_AREAS = {"L2", "D", "E", "F"}
KEY = ["geography_level", "area_code", "measure"]


def _persons() -> pd.DataFrame:
    return pd.DataFrame([{"lsoa_code": a, "lad_code": PARENTS[a], "m": i < k, "k": i % 2 == 0}
                         for a, n, k in PLAN for i in range(n)])


def _protect(not_covered=None, **kw) -> dc.Protected:
    return dc.protect(_persons(), AREAS, ["m", "k"], wave=4, not_covered=not_covered, **kw)


@pytest.fixture(scope="module")
def plain() -> dc.Protected:
    return _protect()


@pytest.fixture(scope="module")
def gap() -> dc.Protected:
    return _protect(GAP)


def _gap_rows(frame: pd.DataFrame) -> pd.Series:
    return (frame["measure"] == "m") & frame["area_code"].isin(GAP_AREAS)


def _row(frame: pd.DataFrame, area: str, measure: str = "m") -> int:
    return frame.index[(frame["area_code"] == area) & (frame["measure"] == measure)][0]


# Frames: publication ---------------------------------------------------------------------------


def test_not_covered_lad_and_its_lsoas_publish_no_count(gap, plain):
    pub = gap.published
    assert list(pub.columns) == list(dc.PUBLISHED_COLUMNS)
    hit = _gap_rows(pub)
    assert hit.sum() == 4  # L2 and its three LSOAs, for m only
    assert (pub.loc[hit, "coverage"] == "not covered").all()
    assert pub.loc[hit, "count"].isna().all() and pub.loc[hit, "rate"].isna().all()
    assert not pub.loc[hit, "suppressed"].any()  # unpublished, not suppressed
    # the denominators stay as published for the other measures
    pd.testing.assert_series_equal(pub["denominator"], plain.published["denominator"])
    # every other cell (k in L2, everything in L1) is covered and as published without the gap
    assert (pub.loc[~hit, "coverage"] == "covered").all()
    pd.testing.assert_frame_equal(pub[~hit], plain.published[~hit])
    assert (plain.published["coverage"] == "covered").all()
    assert dc.verify(pub, gap.cells) == []
    assert dc.verify(pub, lsoa_parent=PARENTS) == []


def test_not_covered_counts_take_no_part_in_suppression(gap, plain):
    cells = gap.cells
    hit = _gap_rows(cells)
    assert (~cells.loc[hit, "covered"]).all() and cells.loc[~hit, "covered"].all()
    # without the gap, D is primary-suppressed (3 unflagged) and E secondarily; with it neither
    e_plain = plain.cells.loc[_row(plain.cells, "E")]
    assert e_plain["count_secondary"] and plain.published.loc[_row(plain.published, "E"),
                                                              "suppressed"]
    assert not cells.loc[hit, ["count_primary", "count_secondary"]].any().any()
    # denominators: protected on everyone (F is empty, so D's denominator goes with it)
    for c in ("denominator_primary", "denominator_secondary"):
        pd.testing.assert_series_equal(cells[c], plain.cells[c])
    # covered cells: the same primary and secondary suppression and rounding as without the gap
    same = ["count_primary", "count_secondary", "count", "denominator"]
    pd.testing.assert_frame_equal(cells.loc[~hit, same], plain.cells.loc[~hit, same])
    shown = gap.published.loc[~gap.published["suppressed"] & ~_gap_rows(gap.published), "count"]
    assert len(shown) and (shown % 5 == 0).all() and (shown >= 10).all()
    rep = gap.report.set_index(["geography_level", "measure"])
    assert rep.loc[("lsoa", "m"), "not_covered"] == 3 and rep.loc[("lad", "m"), "not_covered"] == 1
    assert rep.loc[("lsoa", "k"), "not_covered"] == 0
    # L2's cells of m were not published without the gap either (D, E, F suppressed); now
    # they are not covered rather than suppressed
    old = plain.report.set_index(["geography_level", "measure"])
    assert rep.loc[("lsoa", "m"), "published"] == old.loc[("lsoa", "m"), "published"] == 1
    assert rep.loc[("lsoa", "m"), "primary_suppressed"] == 1  # A only (D: not covered)
    assert old.loc[("lsoa", "m"), "primary_suppressed"] == 3  # A, D and the empty F
    assert any("not covered" in n for n in gap.notes)


def test_acro_gets_only_covered_cells(monkeypatch):
    seen: list[tuple[str, set[str]]] = []
    real = dc._crosstab

    def spy(acro, index, columns, lean=True):
        seen.append((str(columns.name), set(pd.Series(index).astype(str))))
        return real(acro, index, columns, lean)

    monkeypatch.setattr(dc, "_crosstab", spy)
    result = _protect(GAP)
    tables = {}
    for name, labels in seen:
        tables.setdefault(name, []).append(labels)
    assert len(tables["m"]) == 2 and not any(GAP_AREAS & t for t in tables["m"])
    assert any({"D", "E"} <= t for t in tables["k"]) and any("L2" in t for t in tables["k"])
    assert any({"D", "E"} <= t for t in tables["population"])  # denominators: everyone
    assert (result.report["acro_disagreements"] == 0).all()


def test_a_measure_covered_nowhere_is_published_as_not_covered():
    nowhere = pd.DataFrame({"lad_code": ["L1", "L2"], "measure": ["m", "m"]})
    result = _protect(nowhere)
    pub = result.published
    m = pub["measure"] == "m"
    assert (pub.loc[m, "coverage"] == "not covered").all() and pub.loc[m, "count"].isna().all()
    assert (pub.loc[~m, "coverage"] == "covered").all() and pub.loc[~m, "count"].notna().any()
    assert set(result.report.loc[result.report["measure"] == "m", "acro_status"]) == {
        "not covered"}
    assert dc.verify(pub, result.cells) == []


# Frames: checks ----------------------------------------------------------------------------


def test_check_flags_a_not_covered_cell_that_carries_a_count(gap):
    pub = gap.published.copy()
    i = _row(pub, "E")
    pub.loc[i, ["count", "rate"]] = [35, 0.5]
    found = {(v.kind, v.area_code) for v in dc.verify(pub, gap.cells)}
    assert ("coverage", "E") in found
    # also without the exact cells
    assert ("coverage", "E") in {(v.kind, v.area_code)
                                 for v in dc.verify(pub, lsoa_parent=PARENTS)}
    # relabelled "covered": the exact cells (from the coverage mart) say otherwise
    pub.loc[i, "coverage"] = "covered"
    assert ("coverage", "E") in {(v.kind, v.area_code) for v in dc.verify(pub, gap.cells)}
    # a rate alone, a label that is neither, a not-covered cell marked suppressed
    for change, kind in (({"rate": 0.5}, "coverage"), ({"coverage": "unknown"}, "coverage"),
                         ({"suppressed": True}, "suppressed_flag")):
        bad = gap.published.copy()
        for col, value in change.items():
            bad.loc[i, col] = value
        assert (kind, "E") in {(v.kind, v.area_code) for v in dc.verify(bad, gap.cells)}, change


def test_covered_cells_are_still_checked_for_recovery(gap):
    """A covered relation keeps its checks: putting back L1's secondarily suppressed B makes
    A recoverable from the LAD total, whatever L2's coverage."""
    pub = gap.published.copy()
    i = _row(pub, "B")
    assert pub.loc[i, "suppressed"]
    pub.loc[i, ["count", "suppressed", "rate"]] = [20, False, 0.4]
    assert ("recoverable", "A") in {(v.kind, v.area_code) for v in dc.verify(pub, gap.cells)}


def test_differencing_never_compares_a_not_covered_cell(gap, plain):
    # an earlier wave covered everywhere, this one not in L2 for m: nothing to suppress
    cells, pub, n = dc.protect_across(gap.cells, [plain.published], wave=4)
    assert n == 0
    pd.testing.assert_frame_equal(pub, gap.published)
    # the next snapshot loses (or regains) L2's return: nothing is held or flagged, and the
    # not-covered cells stay null (a null is not a 0, and not the previous value either)
    for previous, current in ((plain.published, gap.published),
                              (gap.published, plain.published)):
        assert dc.verify_differencing(previous, current) == []
        held, n_held = dc.protect_differencing(previous, current)
        assert n_held == 0
        pd.testing.assert_series_equal(held["count"], current["count"].astype("Int64"))
        pd.testing.assert_series_equal(held["coverage"], current["coverage"])
    # small changes of covered cells are still held back next to not-covered ones
    moved = gap.published.copy()
    c = _row(moved, "C")
    moved.loc[c, "count"] = 35  # 30 -> 35: a group of 5 by differencing
    moved.loc[c, "rate"] = 35 / 60
    assert [v.area_code for v in dc.verify_differencing(gap.published, moved)] == ["C"]
    held, n_held = dc.protect_differencing(gap.published, moved)
    assert n_held == 1 and held.loc[c, "count"] == 30
    assert held.loc[_gap_rows(held), "count"].isna().all()


def test_frames_without_the_column_read_as_covered(plain):
    old = plain.published.drop(columns="coverage")
    assert dc.verify(old, plain.cells.drop(columns="covered")) == []
    assert (coverage_gaps.with_coverage(old)["coverage"] == "covered").all()
    assert coverage_gaps.covered_mask(old).all()
    # secondary suppression without the column: every cell takes part, as before it existed
    cells = plain.cells.drop(columns=["covered", "count_secondary", "denominator_secondary"])
    again = dc.secondary_suppress(cells)
    for c in ("count_secondary", "denominator_secondary"):
        pd.testing.assert_series_equal(again[c], plain.cells[c])


# The coverage mart -------------------------------------------------------------------------

RULE = {"wave": 4, "model": "stg_hclic_submissions", "start": dt.date(2018, 4, 1),
        "measures": ("driver_accommodation", "outcome_homelessness")}


def _coverage_mart(con, wave: int, rows: list[tuple]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    frame = pd.DataFrame(rows, columns=["lad_code", "measure", "covered"]).assign(
        coverage_source="stg_hclic_submissions", quarters_expected=4,
        quarters_submitted=lambda d: np.where(d["covered"].eq(True), 4, 3),
        snapshot_date=dt.date(2024, 1, 1))
    con.register("cov", frame)
    con.execute(f"""CREATE TABLE marts.area_coverage_wave_{wave} AS SELECT lad_code::VARCHAR
                    AS lad_code, measure::VARCHAR AS measure, coverage_source::VARCHAR AS
                    coverage_source, quarters_expected::INTEGER AS quarters_expected,
                    quarters_submitted::INTEGER AS quarters_submitted, covered::BOOLEAN AS
                    covered, snapshot_date::DATE AS snapshot_date FROM cov""")
    con.unregister("cov")


def test_read_not_covered_from_the_mart():
    con = duckdb.connect()
    _coverage_mart(con, 4, [("E1", "driver_accommodation", True),
                            ("E2", "driver_accommodation", False),
                            ("E1", "outcome_homelessness", True),
                            ("E2", "outcome_homelessness", None)])
    measures = register.wave_measures(4)
    gaps = coverage_gaps.read_not_covered(con, 4, ["E1", "E2", "E3"], measures, RULE)
    # false, null (unknown) and absent (no row: nothing says the council returned) alike
    assert set(zip(gaps["lad_code"], gaps["measure"], strict=True)) == {
        ("E2", "driver_accommodation"), ("E2", "outcome_homelessness"),
        ("E3", "driver_accommodation"), ("E3", "outcome_homelessness")}
    assert coverage_gaps.read_not_covered(con, 3, ["E2"], measures, RULE).empty  # before it
    assert coverage_gaps.read_not_covered(con, 4, ["E2"], ("driver_family",), RULE).empty
    with pytest.raises(RuntimeError, match="area_coverage_wave_5"):
        coverage_gaps.read_not_covered(con, 5, ["E2"], measures, RULE)


def test_rule_is_read_from_the_dbt_var(monkeypatch):
    declared = {"wave": 4, "model": "stg_hclic_submissions", "start": "2018-04-01",
                "measures": ["driver_accommodation", "outcome_homelessness"]}
    monkeypatch.setattr(register, "dbt_project_vars", lambda *a: {"council_coverage": declared})
    assert coverage_gaps.council_coverage_rule() == RULE
    assert coverage_gaps.coverage_table(3) is None
    assert coverage_gaps.coverage_table(5) == "marts.area_coverage_wave_5"
    monkeypatch.setattr(register, "dbt_project_vars", lambda *a: {
        "council_coverage": {**declared, "measures": ["driver_happiness"]}})
    with pytest.raises(ValueError, match="driver_happiness"):
        coverage_gaps.council_coverage_rule()
    monkeypatch.setattr(register, "dbt_project_vars", lambda *a: {})
    assert coverage_gaps.council_coverage_rule() is None
    assert coverage_gaps.coverage_table(4) is None


# The Dagster asset on a hand-made wave-4 warehouse -------------------------------------------

# LAD E06000001: LSOAs 1-3; LAD E06000002: LSOAs 4-7 (7 empty). (lsoa, people, flagged)
MART_PLAN = [(1, 60, 4), (2, 80, 25), (3, 90, 40), (4, 70, 30), (5, 75, 35), (6, 85, 20)]
LSOA = [f"E0100000{i}" for i in range(1, 8)]


def _wave4_warehouse(path: Path) -> None:
    measures = register.wave_measures(4)
    people = []
    for i, n, k in MART_PLAN:
        for j in range(n):
            row = {m: False for m in measures}
            row.update(estimated_xjs_id=f"x{i}_{j}", lsoa_code=LSOA[i - 1],
                       lad_code="E06000001" if i <= 3 else "E06000002",
                       driver_accommodation=j < k, outcome_homelessness=j < k,
                       outcome_offending=j % 2 == 0, link_threshold="medium")
            people.append(row)
    areas = pd.DataFrame({"lsoa_code": LSOA, "lsoa_name": [f"Area {i}" for i in range(1, 8)],
                          "lad_code": ["E06000001"] * 3 + ["E06000002"] * 4,
                          "lad_name": ["One"] * 3 + ["Two"] * 4})
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA reference")
        for name, frame in (("p", pd.DataFrame(people)), ("l", areas)):
            con.register(name, frame)
        con.execute("CREATE TABLE marts.person_needs_wave_4 AS SELECT * FROM p")
        con.execute("CREATE TABLE reference.lsoa AS SELECT * FROM l")
        # E06000002's council missed a return: its accommodation and homelessness counts mean
        # nothing (both rest on H-CLIC); offending does not rest on returns
        _coverage_mart(con, 4, [("E06000001", "driver_accommodation", True),
                                ("E06000001", "outcome_homelessness", True),
                                ("E06000002", "driver_accommodation", False),
                                ("E06000002", "outcome_homelessness", False)])


@pytest.fixture(scope="module")
def wave4(tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Path, outputs.WaveOutputs, dg.ExecuteInProcessResult]]:
    """Wave 4's outputs materialised once on a tiny mart (the tests only read them, or copy)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coverage_gaps, "council_coverage_rule", lambda: RULE)
        path = tmp_path_factory.mktemp("wave4") / "bold.duckdb"
        _wave4_warehouse(path)
        wave = outputs.WaveOutputs(4)
        result = dg.materialize([wave.assets, wave.asset_check],
                                resources={"warehouse": WarehouseResource(path=str(path))},
                                raise_on_error=False)
        yield path, wave, result


def test_wave_4_outputs_publish_not_covered_cells(wave4):
    path, wave, result = wave4
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 and all(c.passed for c in checks)
    with duckdb.connect(str(path), read_only=True) as con:
        lad = con.execute("SELECT * FROM outputs.lad_needs_wave_4").df().set_index(
            ["area_code", "measure"])
        lsoa = con.execute("SELECT * FROM outputs.lsoa_needs_wave_4").df()
        hist = con.execute("SELECT DISTINCT coverage FROM outputs.lsoa_needs_wave_4_history"
                           ).fetchall()
    for m in RULE["measures"]:
        gap = lad.loc[("E06000002", m)]
        assert gap["coverage"] == "not covered" and pd.isna(gap["count"])
        assert pd.isna(gap["rate"]) and not gap["suppressed"] and gap["denominator"] == 230
        mine = lsoa[(lsoa["measure"] == m) & lsoa["area_code"].isin(LSOA[3:])]
        assert len(mine) == 4 and (mine["coverage"] == "not covered").all()
        assert mine["count"].isna().all()
        assert lad.loc[("E06000001", m), "coverage"] == "covered"
        assert lad.loc[("E06000001", m), "count"] == 70
    off = lad.loc[("E06000002", "outcome_offending")]
    assert off["coverage"] == "covered" and off["count"] == 115
    assert (lsoa.loc[~lsoa["measure"].isin(RULE["measures"]), "coverage"] == "covered").all()
    assert {h[0] for h in hist} == {"covered", "not covered"}
    mats = {e.asset_key: e.event_specific_data.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert mats[wave.lad_key]["cells_not_covered"].value == 2
    assert mats[wave.lsoa_key]["cells_not_covered"].value == 8
    cols = {c.name: c for c in mats[wave.lsoa_key]["dagster/column_schema"].value.columns}
    assert cols["coverage"].type == "VARCHAR" and "not covered" in cols["coverage"].description


def test_wave_4_reads_its_coverage_mart_and_says_so(wave4):
    _, wave, _ = wave4
    key = dg.AssetKey(["marts", "area_coverage_wave_4"])
    assert wave.coverage_key == key
    assert all(key in wave.assets.asset_deps[k] for k in (wave.lsoa_key, wave.lad_key))
    assert all(key in {d.asset_key for d in s.additional_deps}
               for s in wave.asset_check.check_specs)
    earlier = outputs.WaveOutputs(3)
    assert earlier.coverage_key is None
    assert not any("area_coverage" in d.to_user_string()
                   for deps in earlier.assets.asset_deps.values() for d in deps)


def test_blocking_check_fails_on_a_not_covered_cell_with_a_count(wave4, tmp_path):
    path, wave, _ = wave4
    for update in ("\"count\" = 230, rate = 1.0",
                   "\"count\" = 230, rate = 1.0, coverage = 'covered'"):
        copy = tmp_path / "tampered.duckdb"
        copy.write_bytes(path.read_bytes())
        with duckdb.connect(str(copy)) as con:
            con.execute(f"""UPDATE outputs.lad_needs_wave_4 SET {update}
                            WHERE area_code = 'E06000002' AND measure = 'driver_accommodation'""")
        ctx = dg.build_asset_check_context(
            resources={"warehouse": WarehouseResource(path=str(copy))})
        checks = {c.asset_key.path[1]: c for c in wave.asset_check(ctx)}
        assert not checks["lad_needs_wave_4"].passed, update
        assert "coverage" in checks["lad_needs_wave_4"].metadata["by_kind"].value
        assert checks["lsoa_needs_wave_4"].passed


# History tables from an earlier release ----------------------------------------------------

OLD_COLS = outputs._COLS.replace(", coverage::VARCHAR AS coverage", "")


def test_history_from_an_earlier_release_gains_the_column(gap, plain):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA outputs")
    wave = outputs.WaveOutputs(4)
    old_day, day, later = dt.date(2023, 12, 25), dt.date(2024, 1, 1), dt.date(2024, 1, 8)
    for key, level in ((wave.lsoa_key, "lsoa"), (wave.lad_key, "lad")):
        old = plain.published[plain.published["geography_level"] == level]
        con.register("old", old)  # a history table as an earlier release wrote it
        con.execute(f"CREATE TABLE outputs.{key.path[1]}_history AS SELECT ?::DATE AS "
                    f"snapshot_date, {OLD_COLS} FROM old", [old_day])
        con.unregister("old")
    assert "coverage" not in con.execute(
        f"SELECT * FROM outputs.{wave.lsoa_key.path[1]}_history").df()
    # releases read from it are covered throughout
    before = wave.previous_release(con, day)
    assert len(before) == len(plain.published) and (before["coverage"] == "covered").all()
    # this release appends to the LSOA history (the LAD one is left as it was)
    table = wave.lsoa_key.path[1]
    now = gap.published[gap.published["geography_level"] == "lsoa"].reset_index(drop=True)
    from bold_assets.warehouse import replace_table_from

    replace_table_from(con, "outputs", table, now, outputs._COLS)
    for _ in range(2):  # a rerun of the snapshot replaces its rows
        outputs.keep_history(con, table, day)
    hist = con.execute(f"SELECT * FROM outputs.{table}_history").df()
    assert list(hist.columns) == ["snapshot_date", *dc.PUBLISHED_COLUMNS]
    old_rows = hist[hist["snapshot_date"] == pd.Timestamp(old_day)]
    new_rows = hist[hist["snapshot_date"] == pd.Timestamp(day)]
    assert (old_rows["coverage"] == "covered").all() and len(new_rows) == len(now)
    assert (new_rows["coverage"] == "not covered").sum() == 3
    assert new_rows["count"].isna().sum() == now["count"].isna().sum()
    # read back, one history with the column and one without
    again = wave.previous_release(con, day)
    assert (again["coverage"] == "covered").all() and len(again) == len(plain.published)
    latest = wave.previous_release(con, later)
    assert (latest["coverage"] == "not covered").sum() == 3
    assert dc.verify_differencing(latest, gap.published) == []


# Coverage matrix -----------------------------------------------------------------------------


def _submissions(con, missing: set[tuple[str, int]]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS research")
    rows = [{"row_id_hash": f"s{c}{q}", "la_code": c, "reporting_quarter": f"2023Q{q}",
             "quarter_start_date": dt.date(2023, 3 * q - 2, 1),
             "submitted": "N" if (c, q) in missing else "Y",
             "cases_submitted": 0 if (c, q) in missing else 12}
            for c in ("E06000001", "E06000002", "E06000003") for q in range(1, 5)]
    con.register("s", pd.DataFrame(rows))
    con.execute("CREATE TABLE research.hclic_submissions AS SELECT * FROM s")
    con.unregister("s")


def test_coverage_tables_come_from_the_catalogue():
    from bold_assets.defs import discovery as defs_discovery
    from bold_assets.sources import SOURCES

    tables = coverage.coverage_tables(SOURCES.values())
    assert {d: [s.name for s in t] for d, t in tables.items()} == {
        "hclic": ["hclic_submissions"]}
    assert coverage.return_columns(SOURCES["hclic_submissions"]) == (
        "la_code", "quarter_start_date", "submitted")
    key = dg.AssetKey(["research", "hclic_submissions"])
    assert key in defs_discovery.coverage_matrix.asset_deps[defs_discovery.COVERAGE]


def test_coverage_matrix_gives_the_share_of_returns(declared_matrix_inputs):
    from bold_assets.sources import SOURCES

    con = duckdb.connect()
    subs = coverage.submission_coverage(con, SOURCES.values())  # not materialised yet
    assert subs["source_id"].tolist() == ["hclic"] and subs["submission_coverage"].isna().all()
    assert "not materialised" in subs["coverage_note"].iloc[0]
    _submissions(con, {("E06000002", 3), ("E06000003", 4)})
    subs = coverage.submission_coverage(con, SOURCES.values())
    assert subs["submission_coverage"].iloc[0] == pytest.approx(10 / 12)
    assert subs["coverage_note"].iloc[0] == (
        "2 of 12 council-quarters without a return: those councils' areas are not covered in "
        "the outputs")
    matrix = coverage.coverage_matrix(*declared_matrix_inputs, subs)
    assert list(matrix.columns) == coverage.COLUMNS
    hclic = matrix["source_id"] == "hclic"
    assert hclic.any() and (matrix.loc[hclic, "submission_coverage"] == 10 / 12).all()
    assert matrix.loc[~hclic, "submission_coverage"].isna().all()
    assert matrix.loc[~hclic, "coverage_note"].isna().all()
    # without submissions: the same matrix as before, the two columns null
    before = coverage.coverage_matrix(*declared_matrix_inputs)
    pd.testing.assert_frame_equal(before.drop(columns=["submission_coverage", "coverage_note"]),
                                  matrix.drop(columns=["submission_coverage", "coverage_note"]))
    con.register("mx", matrix)
    types = {r[0]: r[1] for r in con.execute(
        f"DESCRIBE SELECT {coverage.SQL_COLUMNS} FROM mx").fetchall()}
    assert types["submission_coverage"] == "DOUBLE" and types["coverage_note"] == "VARCHAR"


@pytest.fixture(scope="module")
def declared_matrix_inputs():
    from bold_assets.discovery import catalogue, keywords, sources_register
    from bold_assets.sources import SOURCES

    return (register.load_register(), sources_register.load_source_register(),
            keywords.candidate_variables(catalogue.declared_catalogue(SOURCES.values())))


def test_snapshot_check_reads_stored_columns_and_declared_additions(plain):
    """tests/outputs_snapshot.py: a table that gained `coverage` ('covered' throughout) checks
    the same on its stored columns; a changed value, or an added column not declared, shows."""
    from tests.outputs_snapshot import ADDED_COLUMNS, added_columns, outputs_checksums

    con = duckdb.connect()
    con.execute("CREATE SCHEMA outputs")
    con.register("f", plain.published)
    con.execute(f"CREATE TABLE outputs.lsoa_needs_wave_0 AS SELECT {OLD_COLS} FROM f")
    stored = outputs_checksums(con)
    names = {t: [c for c, _ in v["columns"]] for t, v in stored.items()}
    coverage_gaps.add_coverage_column(con, "outputs", "lsoa_needs_wave_0")
    assert outputs_checksums(con, names) == stored
    assert outputs_checksums(con) != stored
    kept, extra = added_columns(con, "lsoa_needs_wave_0", names["lsoa_needs_wave_0"])
    assert kept == names["lsoa_needs_wave_0"]
    assert extra == {"coverage": ("VARCHAR", ["covered"])}
    assert extra["coverage"] == (ADDED_COLUMNS["coverage"][0], [ADDED_COLUMNS["coverage"][1]])
    con.execute("""UPDATE outputs.lsoa_needs_wave_0 SET "count" = "count" + 5
                   WHERE "count" IS NOT NULL""")
    assert outputs_checksums(con, names) != stored
