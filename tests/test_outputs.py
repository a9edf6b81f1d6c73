"""Safe outputs as Dagster assets on a hand-made mart: suppression, secondary suppression, and a
blocking check that catches a tampered table."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from bold_assets import register
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_0 import outputs

MEASURES = register.wave_measures(0)
# LAD E06000001: LSOAs 1-3; LAD E06000002: LSOAs 4-6. (lsoa index, people, flagged accommodation)
PLAN = [(1, 60, 4), (2, 80, 25), (3, 90, 40), (4, 70, 30), (5, 75, 35), (6, 85, 20)]


def _lsoa(i: int) -> str:
    return f"E0100000{i}"


def build_mart_warehouse(path: Path) -> None:
    people = []
    for i, n, k in PLAN:
        for j in range(n):
            row = {m: False for m in MEASURES}
            row.update(estimated_xjs_id=f"x{i}_{j}", lsoa_code=_lsoa(i),
                       lad_code="E06000001" if i <= 3 else "E06000002",
                       driver_accommodation=j < k, outcome_offending=j % 2 == 0)
            people.append(row)
    people.append({**{m: True for m in MEASURES}, "estimated_xjs_id": "nowhere",
                   "lsoa_code": None, "lad_code": None})
    medium = pd.DataFrame(people).assign(link_threshold="medium")
    # the sensitivity thresholds' rows (everyone flagged) are never published
    persons = pd.concat([medium, medium.assign(link_threshold="low", **{m: True for m in MEASURES}),
                         medium.assign(link_threshold="high", **{m: True for m in MEASURES})],
                        ignore_index=True)
    lsoa = pd.DataFrame({"lsoa_code": [_lsoa(i) for i in range(1, 8)],
                         "lsoa_name": [f"Area {i}" for i in range(1, 8)],
                         "lad_code": ["E06000001"] * 3 + ["E06000002"] * 4,
                         "lad_name": ["One"] * 3 + ["Two"] * 4})
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA reference")
        con.register("p", persons)
        con.execute("CREATE TABLE marts.person_needs_wave_0 AS SELECT * FROM p")
        con.register("l", lsoa)
        con.execute("CREATE TABLE reference.lsoa AS SELECT * FROM l")


def _run(path: Path, assets: list) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources={"warehouse": WarehouseResource(path=str(path))},
                          raise_on_error=False)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("outputs") / "bold.duckdb"
    build_mart_warehouse(path)
    result = _run(path, [outputs.wave_0_safe_outputs, outputs.no_disclosive_cells])
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 and all(c.passed for c in checks)
    return path


def _get(path: Path, table: str, area: str, measure: str = "driver_accommodation") -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        df = con.execute(f"SELECT * FROM outputs.{table} WHERE area_code = ? AND measure = ?",
                         [area, measure]).df()
    assert len(df) == 1
    return df.iloc[0].to_dict()


def test_long_form_tables_cover_every_area_and_measure(published):
    with duckdb.connect(str(published), read_only=True) as con:
        lsoa = con.execute("SELECT * FROM outputs.lsoa_needs_wave_0").df()
        lad = con.execute("SELECT * FROM outputs.lad_needs_wave_0").df()
        report = con.execute("SELECT * FROM outputs.disclosure_report_wave_0").df()
    assert list(lsoa.columns) == ["geography_level", "area_code", "area_name", "wave", "measure",
                                  "count", "denominator", "rate", "suppressed", "coverage"]
    # wave 0 rests on no council's return: every cell is covered
    assert (lsoa["coverage"] == "covered").all() and (lad["coverage"] == "covered").all()
    assert len(lsoa) == 7 * len(MEASURES) and len(lad) == 2 * len(MEASURES)
    assert set(lsoa["measure"]) == set(MEASURES) and (lsoa["wave"] == 0).all()
    assert len(report) == 2 * len(MEASURES)
    assert (outputs.acro_report_dir(published) / "results.json").exists()


def test_planted_small_cell_is_suppressed(published):
    cell = _get(published, "lsoa_needs_wave_0", _lsoa(1))  # 4 of 60
    assert cell["suppressed"] and pd.isna(cell["count"]) and pd.isna(cell["rate"])
    empty = _get(published, "lsoa_needs_wave_0", _lsoa(7))  # nobody lives there
    assert empty["suppressed"] and pd.isna(empty["denominator"])


def test_cell_recoverable_from_lad_total_is_secondarily_suppressed(published):
    # LAD One = 4 + 25 + 40 = 69, published; LSOA 1 alone would be 69 - 25 - 40.
    assert _get(published, "lad_needs_wave_0", "E06000001")["count"] == 70
    assert _get(published, "lsoa_needs_wave_0", _lsoa(2))["suppressed"]  # next smallest
    kept = _get(published, "lsoa_needs_wave_0", _lsoa(3))
    assert not kept["suppressed"] and kept["count"] == 40 and kept["denominator"] == 90
    assert kept["rate"] == pytest.approx(40 / 90, abs=1e-4)


def test_blocking_check_fails_on_a_tampered_table(published, tmp_path):
    path = tmp_path / "tampered.duckdb"
    path.write_bytes(published.read_bytes())
    with duckdb.connect(str(path)) as con:
        con.execute("""UPDATE outputs.lsoa_needs_wave_0 SET "count" = 25, suppressed = false,
                       rate = 25 / 80 WHERE area_code = ? AND measure = 'driver_accommodation'""",
                    [_lsoa(2)])
        con.execute("""UPDATE outputs.lad_needs_wave_0 SET "count" = 21
                       WHERE area_code = 'E06000002' AND measure = 'outcome_offending'""")
    ctx = dg.build_asset_check_context(resources={"warehouse": WarehouseResource(path=str(path))})
    checks = {c.asset_key.path[1]: c for c in outputs.no_disclosive_cells(ctx)}
    assert not checks["lsoa_needs_wave_0"].passed  # LSOA 1 recoverable again
    assert not checks["lad_needs_wave_0"].passed  # 21 is not rounded
    kinds = checks["lsoa_needs_wave_0"].metadata["by_kind"].value
    assert "recoverable" in kinds
    assert all(s.blocking for s in outputs.no_disclosive_cells.check_specs)


def test_a_warehouse_from_an_earlier_release_keeps_working(published, tmp_path):
    """Tables written before the `coverage` column: the blocking check passes on them as they
    are (wave 0 is covered throughout), and the next run appends to their history, which gains
    the column ('covered' for the rows already there)."""
    path = tmp_path / "earlier.duckdb"
    path.write_bytes(published.read_bytes())
    with duckdb.connect(str(path)) as con:
        for level in ("lsoa", "lad"):
            for t in (f"{level}_needs_wave_0", f"{level}_needs_wave_0_history"):
                con.execute(f"ALTER TABLE outputs.{t} DROP COLUMN coverage")
        con.execute("UPDATE outputs.lsoa_needs_wave_0_history "
                    "SET snapshot_date = snapshot_date - INTERVAL 7 DAY")
        old_rows = con.execute("SELECT count(*) FROM outputs.lsoa_needs_wave_0_history"
                               ).fetchall()[0][0]
    ctx = dg.build_asset_check_context(resources={"warehouse": WarehouseResource(path=str(path))})
    assert all(c.passed for c in outputs.no_disclosive_cells(ctx))
    result = _run(path, [outputs.wave_0_safe_outputs, outputs.no_disclosive_cells])
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    with duckdb.connect(str(path), read_only=True) as con:
        hist = con.execute("SELECT snapshot_date, coverage FROM outputs.lsoa_needs_wave_0_history"
                           ).df()
    assert len(hist) == 2 * old_rows and hist["snapshot_date"].nunique() == 2
    assert (hist["coverage"] == "covered").all()
