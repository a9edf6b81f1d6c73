"""Wave 0 safe outputs: needs prevalence by LSOA and LAD under disclosure control.

`outputs/lsoa_needs_wave_0` and `outputs/lad_needs_wave_0` (long form: geography_level,
area_code, area_name, wave, measure, count, denominator, rate, suppressed) are computed together
because secondary suppression works across the two levels (an LAD is the sum of its LSOAs).
`outputs/disclosure_report_wave_0` is the checker's report: ACRO's verdict per table and what
secondary suppression and rounding changed; ACRO's own results.json is written beside the
warehouse (`reports/acro_wave_0/`, not published: it holds the exact tables it checked).

The blocking check `no_disclosive_cells` re-derives the exact cells from the mart and fails if
any published cell is below the threshold, unrounded, or recoverable by differencing.

Each snapshot's published rows are kept in `outputs.<table>_history` (the same columns plus
`snapshot_date`). Before publishing, small changes since the previous snapshot are held back
(`disclosure.protect_differencing`), and the differencing check compares the two snapshots
(`disclosure.verify_differencing`), so no small cell is recoverable from two consecutive releases.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from bold_assets import disclosure, register
from bold_assets.defs.metadata import column_schema
from bold_assets.defs.resources import WarehouseResource
from bold_assets.warehouse import replace_table_from, table_exists, transaction
from bold_assets.world.snapshots import read_snapshot_date

WAVE = 0
MART = dg.AssetKey(["marts", "person_needs_wave_0"])
PUBLISHED_THRESHOLD = "medium"  # the mart's link_threshold the outputs publish
REGISTER = dg.AssetKey(["marts", "risk_factor_register"])
AREAS = dg.AssetKey(["reference", "lsoa"])
LSOA_KEY = dg.AssetKey(["outputs", "lsoa_needs_wave_0"])
LAD_KEY = dg.AssetKey(["outputs", "lad_needs_wave_0"])
REPORT_KEY = dg.AssetKey(["outputs", "disclosure_report_wave_0"])
RULES = disclosure.Rules()
_COLS = """geography_level::VARCHAR AS geography_level, area_code::VARCHAR AS area_code,
    area_name::VARCHAR AS area_name, wave::INTEGER AS wave, measure::VARCHAR AS measure,
    "count"::INTEGER AS "count", denominator::INTEGER AS denominator, rate::DOUBLE AS rate,
    suppressed::BOOLEAN AS suppressed"""


def acro_report_dir(warehouse_path: str | Path) -> Path:
    return Path(warehouse_path).resolve().parent / "reports" / f"acro_wave_{WAVE}"


def read_inputs(con) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """Persons at the published threshold (area + wave-0 flags) from the mart, and the LSOA ->
    LAD reference."""
    measures = register.wave_measures(WAVE)
    flags = ", ".join(measures)
    persons = con.execute(
        f"SELECT lsoa_code, lad_code, {flags} FROM {'.'.join(MART.path)} "
        "WHERE link_threshold = ?", [PUBLISHED_THRESHOLD]).df()
    areas = con.execute(
        "SELECT lsoa_code, lsoa_name, lad_code, lad_name FROM reference.lsoa").df()
    return persons, areas, measures


def _publish_metadata(frame: pd.DataFrame) -> dict:
    names = register.measure_names()
    shown = frame[~frame["suppressed"]]
    preview = shown.head(10).assign(measure=lambda d: d["measure"].map(names))
    return {
        "dagster/row_count": len(frame),
        "cells_published": int((~frame["suppressed"]).sum()),
        "cells_suppressed": int(frame["suppressed"].sum()),
        "areas": int(frame["area_code"].nunique()),
        "measures": dg.MetadataValue.json(sorted(frame["measure"].unique().tolist())),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    }


_SPEC = {"group_name": "wave_0", "kinds": {"duckdb"}, "deps": [MART, AREAS, REGISTER]}


@dg.multi_asset(
    name="wave_0_safe_outputs",
    specs=[
        dg.AssetSpec(LSOA_KEY, description="Needs prevalence by LSOA, disclosure-controlled "
                     "(threshold 10, rounded to 5, secondary suppression).", **_SPEC),
        dg.AssetSpec(LAD_KEY, description="Needs prevalence by LAD, disclosure-controlled.",
                     **_SPEC),
        dg.AssetSpec(REPORT_KEY, description="Output checker's report: ACRO verdict per table, "
                     "primary / secondary suppression and rounding counts.", **_SPEC),
    ],
)
def wave_0_safe_outputs(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Aggregate the mart by area, protect the cells, verify, then publish."""
    with warehouse.connect() as con:
        persons, areas, measures = read_inputs(con)
    report_dir = acro_report_dir(warehouse.file)
    prot = disclosure.protect(persons, areas, measures, wave=WAVE, rules=RULES,
                              report_dir=report_dir)
    violations = disclosure.verify(prot.published, prot.cells, RULES)
    if violations:  # never publish a disclosive table
        raise dg.Failure(f"{len(violations)} disclosive cells; nothing published", metadata={
            "first": dg.MetadataValue.md(pd.DataFrame([v.__dict__ for v in violations[:20]])
                                         .to_markdown(index=False))})
    pub = prot.published
    with warehouse.connect() as con:
        snapshot = read_snapshot_date(con)
        previous = previous_release(con, snapshot)
    held = 0
    if previous is not None:  # a separate step: hold back changes too small to publish
        pub, held = disclosure.protect_differencing(previous, pub, RULES)
        problems = (disclosure.verify(pub, prot.cells, RULES)
                    + disclosure.verify_differencing(previous, pub, RULES))
        if problems:
            raise dg.Failure(f"{len(problems)} disclosive cells after differencing protection; "
                             "nothing published")
    report = prot.report.assign(wave=WAVE)
    with warehouse.connect() as con:
        for key, level in ((LSOA_KEY, "lsoa"), (LAD_KEY, "lad")):
            frame = pub[pub["geography_level"] == level].reset_index(drop=True)
            replace_table_from(con, "outputs", key.path[1], frame, _COLS)
            keep_history(con, key.path[1], snapshot)
            yield dg.MaterializeResult(asset_key=key, metadata={
                **_publish_metadata(frame), "snapshot_date": snapshot.isoformat(),
                "values_held_back_for_differencing": held,
                "dagster/column_schema": column_schema(con, f"outputs.{key.path[1]}")})
        n = replace_table_from(con, "outputs", REPORT_KEY.path[1], report)
        report_schema = column_schema(con, f"outputs.{REPORT_KEY.path[1]}")
    yield dg.MaterializeResult(asset_key=REPORT_KEY, metadata={
        "dagster/row_count": n,
        "dagster/column_schema": report_schema,
        "acro_results": dg.MetadataValue.path(str(report_dir / "results.json")),
        "method": dg.MetadataValue.md("\n".join(f"- {n}" for n in prot.notes)),
        "report": dg.MetadataValue.md(report.drop(columns=["acro_summary"]).to_markdown(
            index=False)),
        "violations": 0,
    })


def keep_history(con, table: str, snapshot) -> None:
    """Replace this snapshot's rows of `outputs.<table>_history` by the table just published."""
    con.execute(f"CREATE TABLE IF NOT EXISTS outputs.{table}_history AS SELECT "
                f"CAST(NULL AS DATE) AS snapshot_date, * FROM outputs.{table} WHERE false")
    with transaction(con):
        con.execute(f"DELETE FROM outputs.{table}_history WHERE snapshot_date = ?", [snapshot])
        con.execute(f"INSERT INTO outputs.{table}_history SELECT ?::DATE, * "
                    f"FROM outputs.{table}", [snapshot])


def previous_release(con, snapshot) -> pd.DataFrame | None:
    """Both levels as published at the latest snapshot before `snapshot`; None if none."""
    tables = [f"outputs.{k.path[1]}_history" for k in (LSOA_KEY, LAD_KEY)
              if table_exists(con, "outputs", f"{k.path[1]}_history")]
    if len(tables) < 2:
        return None
    union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in tables)
    prev = con.execute(f"SELECT max(snapshot_date) FROM ({union}) WHERE snapshot_date < ?",
                       [snapshot]).fetchall()[0][0]
    if prev is None:
        return None
    frame = con.execute(f"SELECT * EXCLUDE (snapshot_date) FROM ({union}) "
                        "WHERE snapshot_date = ?", [prev]).df()
    frame["count"] = frame["count"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    return frame


def check_published(con) -> list[disclosure.Violation]:
    """Violations in the published tables, against exact cells re-derived from the mart."""
    pub = con.execute(f"""
        SELECT * FROM outputs.{LSOA_KEY.path[1]}
        UNION ALL SELECT * FROM outputs.{LAD_KEY.path[1]}""").df()
    persons, areas, measures = read_inputs(con)
    persons = persons.dropna(subset=["lsoa_code", "lad_code"])
    cells = disclosure.exact_cells(persons, areas, measures)
    pub["count"] = pub["count"].astype("Int64")
    pub["denominator"] = pub["denominator"].astype("Int64")
    previous = previous_release(con, read_snapshot_date(con))
    differencing = ([] if previous is None
                    else disclosure.verify_differencing(previous, pub, RULES))
    return disclosure.verify(pub, cells, RULES) + differencing


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("no_disclosive_cells", asset=key, blocking=True,
                             additional_deps=[MART, AREAS],
                             description="BLOCKING: no published cell below 10, unrounded, "
                                         "or recoverable from the other cells and totals.")
           for key in (LSOA_KEY, LAD_KEY)],
    can_subset=True,  # each can execute on its own, without rematerialising the outputs
)
def no_disclosive_cells(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        violations = check_published(con)
    by_level = {"lsoa": LSOA_KEY, "lad": LAD_KEY}
    selected = {k.asset_key for k in context.selected_asset_check_keys}
    for level, key in by_level.items():
        if key not in selected:
            continue
        mine = [v for v in violations if v.geography_level == level]
        kinds = pd.Series([v.kind for v in mine], dtype=object).value_counts().to_dict()
        md = {"violations": len(mine), "by_kind": dg.MetadataValue.json(kinds)}
        if mine:
            md["first"] = dg.MetadataValue.md(
                pd.DataFrame([v.__dict__ for v in mine[:20]]).to_markdown(index=False))
        yield dg.AssetCheckResult(asset_key=key, check_name="no_disclosive_cells",
                                  passed=not mine, metadata=md)


defs = dg.Definitions(assets=[wave_0_safe_outputs], asset_checks=[no_disclosive_cells])
