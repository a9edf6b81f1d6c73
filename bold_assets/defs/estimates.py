"""Each wave's error-aware estimates: `outputs/needs_estimates_wave_<n>` (one factory, every wave
with a mart), in the wave's group, after its safe outputs; with them, in the same step and
transaction, `marts/needs_estimates_exact_wave_<n>`, the estimator's rows before rounding and
suppression, which stay inside the warehouse for the evaluation group.

Per LSOA, LAD and England and Wales and per measure: the estimate of the need's prevalence with
a 90% interval carrying linkage and proxy error, the naive flag rate with its binomial interval,
the method and the errors included (`bold_assets.estimates.estimator`); disclosure-controlled with
their cells (`bold_assets.estimates.publishing`). A wave's estimates use the later waves' marts
built for the same snapshot, so they are listed as its inputs. The blocking check
`no_disclosive_cells` re-derives the exact people of each cell and verifies the table.
"""

from functools import cached_property

import dagster as dg
import pandas as pd

from bold_assets import register
from bold_assets.defs.metadata import column_schema
from bold_assets.defs.paths import path_value
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_0.linkage import PAIRS_KEY, PERSON_IDS_KEY
from bold_assets.defs.wave_0.outputs import AREAS, WAVE_OUTPUTS, output_waves
from bold_assets.estimates import charts, estimator, publishing, reading
from bold_assets.warehouse import write_frames

_SQL_COLS = """geography_level::VARCHAR AS geography_level, area_code::VARCHAR AS area_code,
    area_name::VARCHAR AS area_name, wave::INTEGER AS wave, measure::VARCHAR AS measure,
    estimate::DOUBLE AS estimate, lower::DOUBLE AS lower, upper::DOUBLE AS upper,
    naive_rate::DOUBLE AS naive_rate, naive_lower::DOUBLE AS naive_lower,
    naive_upper::DOUBLE AS naive_upper, denominator::INTEGER AS denominator,
    validated_by_wave::INTEGER AS validated_by_wave, method::VARCHAR AS method,
    errors_included::VARCHAR AS errors_included, suppressed::BOOLEAN AS suppressed"""


def estimates_key(wave: int) -> dg.AssetKey:
    return dg.AssetKey(["outputs", f"needs_estimates_wave_{wave}"])


def exact_key(wave: int) -> dg.AssetKey:
    """`marts/needs_estimates_exact_wave_<n>`: the estimator's rows before rounding and
    suppression, kept inside the warehouse for the evaluation group (never published)."""
    return dg.AssetKey(["marts", f"needs_estimates_exact_wave_{wave}"])


EXACT_COLUMNS = ["geography_level", "area_code", "measure", "persons", "estimate", "lower",
                 "upper", "validated_by_wave"]


def _published(con, wave: int) -> pd.DataFrame:
    o = WAVE_OUTPUTS[wave]
    return con.execute(" UNION ALL BY NAME ".join(
        f"SELECT * FROM {'.'.join(k.path)}" for k in (o.lsoa_key, o.lad_key))).df()


def _areas(con) -> pd.DataFrame:
    return con.execute("SELECT lsoa_code, lsoa_name, lad_code, lad_name FROM reference.lsoa").df()


class WaveEstimates:
    """A wave's estimates asset and its blocking check."""

    def __init__(self, wave: int):
        self.wave = wave
        self.key = estimates_key(wave)
        self.exact_key = exact_key(wave)

    @property
    def deps(self) -> list[dg.AssetKey]:
        from bold_assets.catalog.dbt import wave_links

        o = WAVE_OUTPUTS[self.wave]
        marts = [dg.AssetKey(["marts", f"person_needs_wave_{w}"]) for w in output_waves()]
        links = [dg.AssetKey(["research", w["link"]]) for w in wave_links()]
        traces = [dg.AssetKey(["linkage", t]) for t in reading.spine_trace_tables(output_waves())]
        return [o.lsoa_key, o.lad_key, AREAS, *marts, *links, PAIRS_KEY, PERSON_IDS_KEY,
                *traces]

    def compute(self, warehouse: WarehouseResource
                ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
        """(exact estimates, published estimates, counts of the linkage error's inputs)."""
        with warehouse.connect() as con:
            inputs, plans = reading.read_inputs(con, self.wave)
            published, areas = _published(con, self.wave), _areas(con)
        exact = estimator.estimate(inputs, plans)
        ids = inputs.persons["estimated_xjs_id"]
        drawn = len(ids) if inputs.uncertain is None else int(ids.isin(inputs.uncertain).sum())
        counts = {"cross_person_pairs": len(inputs.pairs), "persons_uncertain": drawn}
        return exact, publishing.protect_estimates(exact, published, areas, self.wave), counts

    def violations(self, con) -> list:
        """Violations of the published table, against each cell's exact people (re-derived)."""
        persons = reading.area_persons(con, self.wave)
        areas = _areas(con)
        est = con.execute(f"SELECT * FROM {'.'.join(self.key.path)}").df()
        return publishing.verify_estimates(
            est, _published(con, self.wave), persons,
            lsoa_parent=areas.set_index("lsoa_code")["lad_code"].to_dict())

    @cached_property
    def asset(self) -> dg.AssetsDefinition:
        w = self.wave
        group, deps = f"wave_{w}", self.deps

        @dg.multi_asset(name=f"needs_estimates_wave_{w}", specs=[
            dg.AssetSpec(self.exact_key, group_name=group, kinds={"duckdb"}, deps=deps,
                         description=f"Wave-{w} needs prevalence with its 90% interval per LSOA, "
                                     "LAD and England and Wales as the estimator gave them, "
                                     "before rounding and suppression: inside the warehouse "
                                     "only, for the evaluation group (never published)."),
            dg.AssetSpec(self.key, group_name=group, kinds={"duckdb"}, deps=deps,
                         description=f"Wave-{w} needs prevalence with a 90% interval carrying "
                                     "linkage and proxy error, per LSOA, LAD and England and "
                                     "Wales, beside the naive flag rate; disclosure-controlled "
                                     "with its cells."),
        ])
        def needs_estimates(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
            exact, pub, counts = self.compute(warehouse)
            exact_name, pub_name = self.exact_key.path[1], self.key.path[1]
            with warehouse.connect() as con:  # both tables or neither
                write_frames(con, {"__exact": exact[EXACT_COLUMNS], "__published": pub}, [
                    "CREATE SCHEMA IF NOT EXISTS marts", "CREATE SCHEMA IF NOT EXISTS outputs",
                    f"CREATE OR REPLACE TABLE marts.{exact_name} AS SELECT * FROM __exact",
                    f"CREATE OR REPLACE TABLE outputs.{pub_name} AS "
                    f"SELECT {_SQL_COLS} FROM __published"])
                schemas = {k: column_schema(con, ".".join(k.path))
                           for k in (self.exact_key, self.key)}
            png = charts.interval_chart(pub[pub["geography_level"] == "lad"], w)
            chart_file = charts.save(warehouse.file, f"needs_estimates_wave_{w}.png", png)
            methods = pub.drop_duplicates("measure").assign(
                measure=lambda d: d["measure"].map(register.measure_names()))
            yield dg.MaterializeResult(asset_key=self.exact_key, metadata={
                "dagster/row_count": len(exact),
                "dagster/column_schema": schemas[self.exact_key]})
            yield dg.MaterializeResult(asset_key=self.key, metadata={
                "dagster/row_count": len(pub),
                "dagster/column_schema": schemas[self.key],
                "rows_published": int((~pub["suppressed"]).sum()),
                "rows_suppressed": int(pub["suppressed"].sum()),
                "draws": estimator.DRAWS,
                **counts,
                "methods": dg.MetadataValue.md(methods[["measure", "validated_by_wave", "method",
                                                        "errors_included"]].to_markdown(
                    index=False)),
                "chart": dg.MetadataValue.md(charts.markdown(png, f"wave {w} estimates by LAD")),
                "chart_file": path_value(chart_file),
            })

        return needs_estimates

    @cached_property
    def check(self) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=self.key, name="no_disclosive_cells", blocking=True,
                        description="BLOCKING: no estimate or bound on a cell the outputs do not "
                        "publish, below 10 people, unrounded, or recoverable from its LAD's "
                        "and neighbours'.")
        def no_disclosive_cells(warehouse: WarehouseResource) -> dg.AssetCheckResult:
            with warehouse.connect() as con:
                found = self.violations(con)
            kinds = pd.Series([v.kind for v in found], dtype=object).value_counts().to_dict()
            md = {"violations": len(found), "by_kind": dg.MetadataValue.json(kinds)}
            if found:
                md["first_20_violations"] = dg.MetadataValue.md(
                    pd.DataFrame([v.__dict__ for v in found[:20]]).to_markdown(index=False))
            return dg.AssetCheckResult(passed=not found, metadata=md)

        return no_disclosive_cells


WAVE_ESTIMATES = {w: WaveEstimates(w) for w in output_waves()}

defs = dg.Definitions(assets=[e.asset for e in WAVE_ESTIMATES.values()],
                      asset_checks=[e.check for e in WAVE_ESTIMATES.values()])
