"""`evaluation/estimate_coverage` and `evaluation/estimate_coverage_summary`: do the published
90% intervals (`outputs/needs_estimates_wave_<n>`) contain the truth about 90% of the time?

Reads truth (the evaluation group is its only reader): each wave's mart is rebuilt under
perfect linkage from the dbt models' own SQL (`bold_assets.estimates.truth_marts`), and each
published LAD and England and Wales row is compared with the true prevalence among its true
people (`bold_assets.estimates.coverage`), and so is the estimator's exact interval on the same
row (`marts/needs_estimates_exact_wave_<n>`, before its bounds were rounded). The
summary pools, per wave, the measures a wave validates apart from those none does. Charts: per
wave, naive vs corrected intervals by LAD with the truth.
"""

import dagster as dg
import pandas as pd

from bold_assets import warehouse as wh
from bold_assets.defs.estimates import WAVE_ESTIMATES
from bold_assets.defs.evaluation.needs_validity import TRUTH, record_hashes
from bold_assets.defs.metadata import column_schema
from bold_assets.defs.paths import path_value
from bold_assets.defs.resources import WarehouseResource
from bold_assets.estimates import charts, coverage, truth_marts

CELLS_KEY = dg.AssetKey(["evaluation", "estimate_coverage"])
# the published estimates and the estimator's exact rows of every wave
ESTIMATES = [k for e in WAVE_ESTIMATES.values() for k in (e.key, e.exact_key)]
SUMMARY_KEY = dg.AssetKey(["evaluation", "estimate_coverage_summary"])


def record_people(con) -> pd.DataFrame:
    """(source_dataset, row_id_hash, person_id) of every record with a true person."""
    con.register("_bold_record_hashes", record_hashes(con))
    try:
        return con.execute("""
            SELECT h.source_dataset, h.row_id_hash, r.person_id
            FROM _bold_record_hashes AS h
            JOIN truth.record_person AS r
              ON r.source_dataset = h.source_dataset AND r.record_id = h.record_id
            WHERE r.person_id IS NOT NULL""").df()
    finally:
        con.unregister("_bold_record_hashes")


def truth(warehouse: WarehouseResource, waves: list[int]
          ) -> tuple[dict[int, pd.DataFrame], pd.DataFrame]:
    """(each wave's mart under perfect linkage, `truth.persons`): what estimates are checked
    against."""
    with warehouse.connect() as con:
        snapshot = con.execute("SELECT max(snapshot_date) FROM marts.person_needs_wave_0"
                               ).fetchone()[0]
        people = record_people(con)
    models = truth_marts.models_to_compile(waves)
    compiled = (truth_marts.compiled_by_a_build(models, str(snapshot))
                or truth_marts.dbt_compiler(warehouse.file)(models,
                                                            {"snapshot_date": str(snapshot)}))
    with warehouse.connect() as con:
        marts = truth_marts.truth_marts(con, waves, people, compiled)
        latent = con.execute("SELECT * FROM truth.persons").df()
    return marts, latent


def evaluate(warehouse: WarehouseResource) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """(coverage cells, the published estimates per wave)."""
    waves = sorted(WAVE_ESTIMATES)
    with warehouse.connect() as con:
        published = {w: con.execute(f"SELECT * FROM {'.'.join(WAVE_ESTIMATES[w].key.path)}").df()
                     for w in waves}
        exact = pd.concat([con.execute(f"SELECT *, {w} AS wave FROM "
                                       f"{'.'.join(WAVE_ESTIMATES[w].exact_key.path)}").df()
                           for w in waves], ignore_index=True)
    marts, latent = truth(warehouse, waves)
    cells = coverage.coverage_cells(pd.concat(published.values(), ignore_index=True), marts,
                                    latent, exact)
    return cells, published


@dg.multi_asset(
    name="estimate_coverage",
    specs=[
        dg.AssetSpec(CELLS_KEY, group_name="evaluation", kinds={"duckdb"},
                     deps=ESTIMATES + TRUTH,
                     description="Each published LAD and England and Wales estimate against the "
                                 "truth: the true prevalence among its true people, and whether "
                                 "the published 90%, the exact (unrounded) 90% and the naive "
                                 "intervals contain it."),
        dg.AssetSpec(SUMMARY_KEY, group_name="evaluation", kinds={"duckdb"},
                     deps=ESTIMATES + TRUTH,
                     description="Coverage of the published 90% intervals on LAD cells per wave, "
                                 "pooled over the measures a wave validates and, apart, those "
                                 "none does; beside the exact (unrounded) and the naive "
                                 "intervals'."),
    ],
)
def estimate_coverage(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    cells, published = evaluate(warehouse)
    table = coverage.summary(cells)
    with warehouse.connect() as con:
        n_cells = wh.replace_table_from(con, "evaluation", CELLS_KEY.path[1], cells)
        n_sum = wh.replace_table_from(con, "evaluation", SUMMARY_KEY.path[1], table)
        schemas = {k: column_schema(con, ".".join(k.path)) for k in (CELLS_KEY, SUMMARY_KEY)}
    charts_md = {}
    for w in sorted(published):
        lad = cells[(cells["wave"] == w) & (cells["geography_level"] == "lad")]
        if lad.empty:
            continue
        png = charts.interval_chart(lad, w, truth_column="truth")
        path = charts.save(warehouse.file, f"estimate_coverage_wave_{w}.png", png)
        charts_md[f"chart_wave_{w}"] = dg.MetadataValue.md(charts.markdown(
            png, f"wave {w}: estimates and truth by LAD"))
        charts_md[f"chart_file_wave_{w}"] = path_value(path)
    yield dg.MaterializeResult(asset_key=CELLS_KEY, metadata={
        "dagster/row_count": n_cells, "dagster/column_schema": schemas[CELLS_KEY], **charts_md})
    yield dg.MaterializeResult(asset_key=SUMMARY_KEY, metadata={
        "dagster/row_count": n_sum, "dagster/column_schema": schemas[SUMMARY_KEY],
        "summary": dg.MetadataValue.md(table.to_markdown(index=False))})


defs = dg.Definitions(assets=[estimate_coverage])
