"""Safe outputs of each wave: needs prevalence by LSOA and LAD under disclosure control.

One factory (`WaveOutputs(wave)`, `build_outputs(wave)`) builds every wave's outputs from its
person mart, for each wave with a mart (`catalog.dbt.wave_links`): no copy per wave.
`outputs/lsoa_needs_wave_<n>` and `outputs/lad_needs_wave_<n>` (long form: geography_level,
area_code, area_name, wave, measure, count, denominator, rate, suppressed, coverage; described in
`COLUMN_DESCRIPTIONS`) are computed together
because secondary suppression works across the two levels (an LAD is the sum of its LSOAs).
`outputs/disclosure_report_wave_<n>` is the checker's report: ACRO's verdict per table and what
secondary suppression and rounding changed; ACRO's own results.json is written beside the
warehouse (`reports/acro_wave_<n>/`, not published: it holds the exact tables it checked).

The blocking check `no_disclosive_cells` re-derives the exact cells from the mart and fails if
any published cell is below the threshold, unrounded, or recoverable by differencing.

Each snapshot's published rows are kept in `outputs.<table>_history` (the same columns plus
`snapshot_date`). Before publishing, small changes since the previous snapshot are held back
(`disclosure.protect_differencing`), and the differencing check compares the two snapshots
(`disclosure.verify_differencing`), so no small cell is recoverable from two consecutive releases.
Across waves likewise: a wave's outputs are published after the earlier waves' of the same
snapshot (compared with their releases of that snapshot in the history), and a value that
differs from an earlier wave's by less than the threshold is suppressed
(`disclosure.protect_across`), since a later wave's mart may hold more people or a flag that
adds evidence to the earlier one's. (An earlier wave republished later is compared with the
waves before it only.)

No data is told from zero (`bold_assets.coverage_gaps`): a wave from the council coverage rule's
on (dbt var `council_coverage`) reads its `marts.area_coverage_wave_<n>`, and the cells of a
declared measure in a LAD whose council missed a return, and in that LAD's LSOAs, are published
with `coverage = 'not covered'` and no count or rate. Every other cell, and every cell of an
earlier wave, is 'covered'. History tables written before the column get it on the next append
('covered' for their rows); releases read from them are covered throughout.

The wave-0 names of this module (`wave_0_safe_outputs`, `no_disclosive_cells`, `read_inputs`,
`check_published`, ...) are wave 0's instance, kept for callers.
"""

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import dagster as dg
import pandas as pd

from bold_assets import coverage_gaps, disclosure, register
from bold_assets.columns import OUTPUT_COLUMNS
from bold_assets.defs.metadata import column_schema
from bold_assets.defs.paths import path_value
from bold_assets.defs.resources import WarehouseResource
from bold_assets.warehouse import replace_table_from, table_exists, transaction
from bold_assets.world.snapshots import read_snapshot_date

PUBLISHED_THRESHOLD = "medium"  # the mart's link_threshold the outputs publish (every wave's)
REGISTER = dg.AssetKey(["marts", "risk_factor_register"])
AREAS = dg.AssetKey(["reference", "lsoa"])
RULES = disclosure.Rules()
_COLS = """geography_level::VARCHAR AS geography_level, area_code::VARCHAR AS area_code,
    area_name::VARCHAR AS area_name, wave::INTEGER AS wave, measure::VARCHAR AS measure,
    "count"::INTEGER AS "count", denominator::INTEGER AS denominator, rate::DOUBLE AS rate,
    suppressed::BOOLEAN AS suppressed, coverage::VARCHAR AS coverage"""
# What each published column means: declared with every other warehouse column in
# bold_assets.columns, which `column_schema` reads.
COLUMN_DESCRIPTIONS = OUTPUT_COLUMNS


def _union(tables: list[str]) -> str:
    """The tables' rows as one relation, matched by column name (a table written before the
    `coverage` column lacks it: its rows read as null there, `with_coverage` fills them)."""
    return " UNION ALL BY NAME ".join(f"SELECT * FROM {t}" for t in tables)


def _publish_metadata(frame: pd.DataFrame) -> dict:
    names = register.measure_names()
    covered = frame["coverage"] == coverage_gaps.COVERED
    shown = frame[~frame["suppressed"] & covered]
    preview = shown.head(10).assign(measure=lambda d: d["measure"].map(names))
    return {
        "dagster/row_count": len(frame),
        "cells_published": len(shown),
        "cells_suppressed": int(frame["suppressed"].sum()),
        "cells_not_covered": int((~covered).sum()),
        "areas": int(frame["area_code"].nunique()),
        "measures": dg.MetadataValue.json(sorted(frame["measure"].unique().tolist())),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    }


def output_waves() -> tuple[int, ...]:
    """The waves with a person mart (`catalog.dbt.wave_links`)."""
    from bold_assets.catalog.dbt import wave_links

    return tuple(sorted(int(w["wave"]) for w in wave_links()))


@dataclass(frozen=True)
class WaveOutputs:
    """A wave's safe outputs: its keys, inputs, publishing step and blocking check."""

    wave: int
    earlier: tuple[int, ...] = ()  # the waves with outputs before this one

    @property
    def group(self) -> str:
        return f"wave_{self.wave}"

    @property
    def mart(self) -> dg.AssetKey:
        return dg.AssetKey(["marts", f"person_needs_wave_{self.wave}"])

    @property
    def lsoa_key(self) -> dg.AssetKey:
        return dg.AssetKey(["outputs", f"lsoa_needs_wave_{self.wave}"])

    @property
    def lad_key(self) -> dg.AssetKey:
        return dg.AssetKey(["outputs", f"lad_needs_wave_{self.wave}"])

    @property
    def report_key(self) -> dg.AssetKey:
        return dg.AssetKey(["outputs", f"disclosure_report_wave_{self.wave}"])

    @property
    def coverage_key(self) -> dg.AssetKey | None:
        """The wave's area coverage mart (`marts.area_coverage_wave_<n>`), from the council
        coverage rule's wave on; None before it."""
        table = coverage_gaps.coverage_table(self.wave)
        return None if table is None else dg.AssetKey(table.split("."))

    @property
    def input_keys(self) -> list[dg.AssetKey]:
        """What the cells are computed from: the mart, the areas and the coverage mart if any."""
        return [self.mart, AREAS, *([self.coverage_key] if self.coverage_key else [])]

    @property
    def earlier_keys(self) -> list[dg.AssetKey]:
        """The published tables of the earlier waves (compared for differencing)."""
        return [k for w in self.earlier for k in (WaveOutputs(w).lsoa_key, WaveOutputs(w).lad_key)]

    def earlier_releases(self, con, snapshot) -> dict[int, pd.DataFrame]:
        """Each earlier wave's release of `snapshot` (both levels, from the outputs' history),
        where that wave has published one."""
        out = {}
        for w in self.earlier:
            o = WaveOutputs(w)
            names = [f"outputs.{k.path[1]}_history" for k in (o.lsoa_key, o.lad_key)
                     if table_exists(con, "outputs", f"{k.path[1]}_history")]
            if len(names) < 2:
                continue
            frame = con.execute(f"SELECT * EXCLUDE (snapshot_date) FROM ({_union(names)}) "
                                "WHERE snapshot_date = ?", [snapshot]).df()
            if len(frame):
                out[w] = coverage_gaps.with_coverage(
                    frame.astype({"count": "Int64", "denominator": "Int64"}))
        return out

    def acro_report_dir(self, warehouse_path: str | Path) -> Path:
        return Path(warehouse_path).resolve().parent / "reports" / f"acro_wave_{self.wave}"

    def read_inputs(self, con) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
        """Persons at the published threshold (area + the wave's flags) from the mart, and the
        LSOA -> LAD reference."""
        measures = register.wave_measures(self.wave)
        flags = ", ".join(measures)
        persons = con.execute(
            f"SELECT lsoa_code, lad_code, {flags} FROM {'.'.join(self.mart.path)} "
            "WHERE link_threshold = ?", [PUBLISHED_THRESHOLD]).df()
        areas = con.execute(
            "SELECT lsoa_code, lsoa_name, lad_code, lad_name FROM reference.lsoa").df()
        return persons, areas, measures

    def read_not_covered(self, con, areas: pd.DataFrame, measures) -> pd.DataFrame:
        """(lad_code, measure) of the LADs not covered for a declared measure (empty for a wave
        without a coverage mart): `coverage_gaps.read_not_covered`."""
        return coverage_gaps.read_not_covered(con, self.wave, areas["lad_code"].dropna(),
                                              measures)

    def publish(self, warehouse: WarehouseResource):
        """Aggregate the mart by area, protect the cells, verify, then publish."""
        with warehouse.connect() as con:
            persons, areas, measures = self.read_inputs(con)
            not_covered = self.read_not_covered(con, areas, measures)
        report_dir = self.acro_report_dir(warehouse.file)
        prot = disclosure.protect(persons, areas, measures, wave=self.wave, rules=RULES,
                                  report_dir=report_dir, not_covered=not_covered)
        with warehouse.connect() as con:
            snapshot = read_snapshot_date(con)
            previous = self.previous_release(con, snapshot)
            earlier = self.earlier_releases(con, snapshot)
        others = list(earlier.values())
        cells, pub, across = disclosure.protect_across(prot.cells, others, self.wave, RULES)
        violations = disclosure.verify(pub, cells, RULES) + [
            v for o in others for v in disclosure.verify_differencing(o, pub, RULES)]
        if violations:  # never publish a disclosive table
            raise dg.Failure(f"{len(violations)} disclosive cells; nothing published", metadata={
                "first_20_violations": dg.MetadataValue.md(
                    pd.DataFrame([v.__dict__ for v in violations[:20]]).to_markdown(index=False))})
        held = 0
        if previous is not None:  # a separate step: hold back changes too small to publish
            pub, held = disclosure.protect_differencing(previous, pub, RULES)
            problems = (disclosure.verify(pub, cells, RULES)
                        + disclosure.verify_differencing(previous, pub, RULES)
                        + [v for o in others for v in disclosure.verify_differencing(o, pub,
                                                                                      RULES)])
            if problems:
                raise dg.Failure(f"{len(problems)} disclosive cells after differencing "
                                 "protection; nothing published")
        report = prot.report.assign(wave=self.wave)
        with warehouse.connect() as con:
            for key, level in ((self.lsoa_key, "lsoa"), (self.lad_key, "lad")):
                frame = pub[pub["geography_level"] == level].reset_index(drop=True)
                replace_table_from(con, "outputs", key.path[1], frame, _COLS)
                keep_history(con, key.path[1], snapshot)
                yield dg.MaterializeResult(asset_key=key, metadata={
                    **_publish_metadata(frame), "snapshot_date": snapshot.isoformat(),
                    "values_held_back_for_differencing": held,
                    "values_suppressed_against_earlier_waves": across,
                    "earlier_waves_compared": dg.MetadataValue.json(sorted(earlier)),
                    "coverage_mart": (".".join(self.coverage_key.path) if self.coverage_key
                                      else "none (no measure of this wave rests on returns)"),
                    "lads_not_covered": dg.MetadataValue.json(
                        not_covered.groupby("measure")["lad_code"].nunique().to_dict()),
                    "dagster/column_schema": column_schema(con, f"outputs.{key.path[1]}")})
            n = replace_table_from(con, "outputs", self.report_key.path[1], report)
            report_schema = column_schema(con, f"outputs.{self.report_key.path[1]}")
        yield dg.MaterializeResult(asset_key=self.report_key, metadata={
            "dagster/row_count": n,
            "dagster/column_schema": report_schema,
            "acro_results": path_value(report_dir / "results.json"),
            "method": dg.MetadataValue.md("\n".join(f"- {n}" for n in prot.notes)),
            "report": dg.MetadataValue.md(report.drop(columns=["acro_summary"]).to_markdown(
                index=False)),
            "violations": 0,
        })

    def previous_release(self, con, snapshot) -> pd.DataFrame | None:
        """Both levels as published at the latest snapshot before `snapshot`; None if none."""
        tables = [f"outputs.{k.path[1]}_history" for k in (self.lsoa_key, self.lad_key)
                  if table_exists(con, "outputs", f"{k.path[1]}_history")]
        if len(tables) < 2:
            return None
        union = _union(tables)
        prev = con.execute(f"SELECT max(snapshot_date) FROM ({union}) WHERE snapshot_date < ?",
                           [snapshot]).fetchall()[0][0]
        if prev is None:
            return None
        frame = con.execute(f"SELECT * EXCLUDE (snapshot_date) FROM ({union}) "
                            "WHERE snapshot_date = ?", [prev]).df()
        frame["count"] = frame["count"].astype("Int64")
        frame["denominator"] = frame["denominator"].astype("Int64")
        return coverage_gaps.with_coverage(frame)

    def check_published(self, con) -> list[disclosure.Violation]:
        """Violations in the published tables, against exact cells re-derived from the mart."""
        pub = coverage_gaps.with_coverage(con.execute(_union([
            f"outputs.{k.path[1]}" for k in (self.lsoa_key, self.lad_key)])).df(),
            fill_nulls=False)  # a table from before the column is covered; a null label is not
        persons, areas, measures = self.read_inputs(con)
        persons = persons.dropna(subset=["lsoa_code", "lad_code"])
        cells = coverage_gaps.mark(disclosure.exact_cells(persons, areas, measures),
                                   self.read_not_covered(con, areas, measures))
        pub["count"] = pub["count"].astype("Int64")
        pub["denominator"] = pub["denominator"].astype("Int64")
        previous = self.previous_release(con, read_snapshot_date(con))
        differencing = ([] if previous is None
                        else disclosure.verify_differencing(previous, pub, RULES))
        differencing += [v for o in self.earlier_releases(con, read_snapshot_date(con)).values()
                         for v in disclosure.verify_differencing(o, pub, RULES)]
        return disclosure.verify(pub, cells, RULES) + differencing

    def check(self, context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            violations = self.check_published(con)
        by_level = {"lsoa": self.lsoa_key, "lad": self.lad_key}
        selected = {k.asset_key for k in context.selected_asset_check_keys}
        for level, key in by_level.items():
            if key not in selected:
                continue
            mine = [v for v in violations if v.geography_level == level]
            kinds = pd.Series([v.kind for v in mine], dtype=object).value_counts().to_dict()
            md = {"violations": len(mine), "by_kind": dg.MetadataValue.json(kinds)}
            if mine:
                md["first_20_violations"] = dg.MetadataValue.md(
                    pd.DataFrame([v.__dict__ for v in mine[:20]]).to_markdown(index=False))
            yield dg.AssetCheckResult(asset_key=key, check_name="no_disclosive_cells",
                                      passed=not mine, metadata=md)

    @cached_property
    def assets(self) -> dg.AssetsDefinition:
        spec = {"group_name": self.group, "kinds": {"duckdb"},
                "deps": [*self.input_keys, REGISTER, *self.earlier_keys]}
        w = self.wave

        @dg.multi_asset(
            name=f"wave_{w}_safe_outputs",
            specs=[
                dg.AssetSpec(self.lsoa_key, description=f"Wave-{w} needs prevalence by LSOA, "
                             "disclosure-controlled (threshold 10, rounded to 5, secondary "
                             "suppression).", **spec),
                dg.AssetSpec(self.lad_key, description=f"Wave-{w} needs prevalence by LAD, "
                             "disclosure-controlled.", **spec),
                dg.AssetSpec(self.report_key, description=f"Output checker's report (wave {w}): "
                             "ACRO verdict per table, primary / secondary suppression and "
                             "rounding counts.", **spec),
            ],
        )
        def safe_outputs(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
            """Aggregate the mart by area, protect the cells, verify, then publish."""
            yield from self.publish(warehouse)

        return safe_outputs

    @cached_property
    def asset_check(self) -> dg.AssetChecksDefinition:
        @dg.multi_asset_check(
            name=f"wave_{self.wave}_no_disclosive_cells",
            specs=[dg.AssetCheckSpec("no_disclosive_cells", asset=key, blocking=True,
                                     additional_deps=self.input_keys,
                                     description="BLOCKING: no published cell below 10, "
                                     "unrounded, or recoverable from the other cells and totals, "
                                     "the previous snapshot or an earlier wave's release.")
                   for key in (self.lsoa_key, self.lad_key)],
            can_subset=True,  # each can execute on its own, without rematerialising the outputs
        )
        def no_disclosive_cells(context: dg.AssetCheckExecutionContext,
                                warehouse: WarehouseResource):
            yield from self.check(context, warehouse)

        return no_disclosive_cells


def keep_history(con, table: str, snapshot) -> None:
    """Replace this snapshot's rows of `outputs.<table>_history` by the table just published.

    A history table from an earlier release that lacks a column of the table now published
    (`coverage`) gains it first ('covered' for its rows); rows are inserted by column name."""
    con.execute(f"CREATE TABLE IF NOT EXISTS outputs.{table}_history AS SELECT "
                f"CAST(NULL AS DATE) AS snapshot_date, * FROM outputs.{table} WHERE false")
    coverage_gaps.add_coverage_column(con, "outputs", f"{table}_history")
    with transaction(con):
        con.execute(f"DELETE FROM outputs.{table}_history WHERE snapshot_date = ?", [snapshot])
        con.execute(f"INSERT INTO outputs.{table}_history BY NAME SELECT ?::DATE AS "
                    f"snapshot_date, * FROM outputs.{table}", [snapshot])


def build_outputs(wave: int) -> WaveOutputs:
    return WaveOutputs(wave, tuple(w for w in output_waves() if w < wave))


WAVE_OUTPUTS = {w: build_outputs(w) for w in output_waves()}

# wave 0's instance under the module's historical names
WAVE = 0
WAVE_0 = WAVE_OUTPUTS[WAVE]
MART, LSOA_KEY, LAD_KEY = WAVE_0.mart, WAVE_0.lsoa_key, WAVE_0.lad_key
REPORT_KEY = WAVE_0.report_key
wave_0_safe_outputs = WAVE_0.assets
no_disclosive_cells = WAVE_0.asset_check
read_inputs = WAVE_0.read_inputs
check_published = WAVE_0.check_published
previous_release = WAVE_0.previous_release
acro_report_dir = WAVE_0.acro_report_dir

defs = dg.Definitions(assets=[o.assets for o in WAVE_OUTPUTS.values()],
                      asset_checks=[o.asset_check for o in WAVE_OUTPUTS.values()])
