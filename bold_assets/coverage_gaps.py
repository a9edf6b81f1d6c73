"""Areas whose data did not arrive: "not covered", told apart from zero in every wave's outputs.

Some sources rest on returns (H-CLIC: each council's case-level return, quarter by quarter). A
council that missed a return in the lookback window has too few or no cases in the marts, so a
count of 0 (or a small count) in its area means nothing. The rule is declared once, in
`dbt_project/dbt_project.yml`, as var `council_coverage: {wave, model, measures}`: from `wave` on,
each wave has a mart `marts.area_coverage_wave_<n>` (lad_code, measure, coverage_source,
quarters_expected, quarters_submitted, covered, snapshot_date), one row per LAD and declared
measure, `covered = false` when the LAD's council missed a return.

The outputs (`bold_assets.defs.wave_0.outputs`, `bold_assets.disclosure`) read it thus:

- a declared measure's cells in a LAD that is not covered, at LAD level and in every LSOA of that
  LAD, are published with `coverage = 'not covered'`, `count` and `rate` null and `suppressed`
  false (nothing was suppressed: there is nothing to publish); the denominator (the mart's
  people, published for the other measures anyway) is protected and published as usual;
- a LAD the coverage mart does not list for a declared measure is not covered either (nothing
  says its council returned);
- not-covered counts never reach ACRO nor secondary suppression (as values or as zeros), and the
  differencing steps never compare them (a null is not a 0);
- every other cell is `coverage = 'covered'`, and so is every cell of a wave before the rule's.

Plain pandas and SQL (no Dagster): `council_coverage_rule` reads the declaration (through
`register.council_coverage_rule`), `read_not_covered` the mart, `mark` / `covered_mask` carry
the result through the cells, and `add_coverage_column` / `with_coverage` let tables written
before the column existed (a history table of an earlier release) keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from bold_assets.warehouse import table_exists

COLUMN = "coverage"
COVERED = "covered"
NOT_COVERED = "not covered"
LABELS = (COVERED, NOT_COVERED)
NOT_COVERED_COLUMNS = ("lad_code", "measure")


def council_coverage_rule() -> dict | None:
    """The council coverage rule (dbt var `council_coverage`): {wave, model, measures}, or None
    when not declared; read (and checked) by `register.council_coverage_rule`."""
    from bold_assets import register

    return register.council_coverage_rule()


def coverage_table(wave: int, rule: dict | None = None) -> str | None:
    """`marts.area_coverage_wave_<wave>` for a wave from the rule's wave on; None before it (or
    with no rule). `rule`: default the declared one."""
    rule = council_coverage_rule() if rule is None else rule
    if rule is None or wave < rule["wave"]:
        return None
    return f"marts.area_coverage_wave_{wave}"


def declared_measures(measures: Sequence[str], rule: dict | None = None) -> tuple[str, ...]:
    """The measures of `measures` that rest on a return (the rule's), in `measures`' order."""
    rule = council_coverage_rule() if rule is None else rule
    declared = set(rule["measures"]) if rule else set()
    return tuple(m for m in measures if m in declared)


def empty_not_covered() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in NOT_COVERED_COLUMNS})


def read_not_covered(con, wave: int, lads: Iterable[str], measures: Sequence[str],
                     rule: dict | None = None) -> pd.DataFrame:
    """(lad_code, measure) of every LAD of `lads` not covered for a declared measure of
    `measures` at `wave`: `covered` is false or null in the wave's coverage mart, or the mart has
    no row for it. Empty for a wave without a coverage mart. Raises if the mart is missing from
    the warehouse (the outputs never publish a wave that has one without it)."""
    rule = council_coverage_rule() if rule is None else rule
    table = coverage_table(wave, rule)
    declared = declared_measures(measures, rule)
    if table is None or not declared:
        return empty_not_covered()
    schema, name = table.split(".")
    if not table_exists(con, schema, name):
        raise RuntimeError(f"{table} is not in the warehouse: wave {wave}'s outputs need it to "
                           "tell areas without a council return from zero (build the dbt "
                           "models of the wave first)")
    marks = ", ".join("?" for _ in declared)
    covered = con.execute(
        f"SELECT lad_code, measure FROM {table} WHERE measure IN ({marks}) "
        "GROUP BY lad_code, measure HAVING bool_and(coalesce(covered, false))",
        list(declared)).df()
    known = set(zip(covered["lad_code"], covered["measure"], strict=True))
    rows = [(lad, m) for lad in sorted(set(lads)) for m in declared if (lad, m) not in known]
    return pd.DataFrame(rows, columns=list(NOT_COVERED_COLUMNS), dtype=object)


def mark(cells: pd.DataFrame, not_covered: pd.DataFrame | None) -> pd.DataFrame:
    """`cells` (`disclosure.exact_cells`) with a boolean `covered`: false for the LAD cells in
    `not_covered` and for every LSOA cell of those LADs (by `parent_code`), same measure."""
    cells = cells.copy()
    if not_covered is None or not len(not_covered):
        cells["covered"] = True
        return cells
    gaps = pd.MultiIndex.from_frame(not_covered[list(NOT_COVERED_COLUMNS)].astype(str))
    lad = cells["area_code"].where(cells["geography_level"] == "lad", cells["parent_code"])
    keys = pd.MultiIndex.from_arrays([lad.astype(str).to_numpy(),
                                      cells["measure"].astype(str).to_numpy()])
    cells["covered"] = ~keys.isin(gaps) | lad.isna().to_numpy()
    return cells


def covered_mask(frame: pd.DataFrame) -> np.ndarray:
    """Per row, whether the cell is covered: the cells' boolean `covered`, else the published
    `coverage` label (anything but 'not covered' counts as covered here; `disclosure.verify`
    flags labels other than the two), else every row (a table from before the column)."""
    if "covered" in frame.columns:
        return frame["covered"].fillna(True).to_numpy(dtype=bool)
    if COLUMN in frame.columns:
        return (frame[COLUMN] != NOT_COVERED).to_numpy(dtype=bool)
    return np.ones(len(frame), dtype=bool)


def labels(covered: np.ndarray | pd.Series) -> np.ndarray:
    return np.where(np.asarray(covered, dtype=bool), COVERED, NOT_COVERED).astype(object)


def with_coverage(frame: pd.DataFrame, fill_nulls: bool = True) -> pd.DataFrame:
    """A published frame read from a table written before the column: `coverage` added as
    'covered'; with `fill_nulls`, a null one (a row of a table written before the column, read
    together with a newer one) too. Without, nulls stay for `disclosure.verify` to flag."""
    if COLUMN not in frame.columns:
        return frame.assign(**{COLUMN: COVERED})
    return frame.assign(**{COLUMN: frame[COLUMN].fillna(COVERED)}) if fill_nulls else frame


def add_coverage_column(con, schema: str, table: str) -> bool:
    """Give `schema.table` (an outputs table, e.g. a history table of an earlier release) the
    `coverage` column if it lacks it, 'covered' for the rows already in it. True if added."""
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ?", [schema, table]).fetchall()}
    if not cols or COLUMN in cols:
        return False
    con.execute(f'ALTER TABLE "{schema}"."{table}" ADD COLUMN {COLUMN} VARCHAR '
                f"DEFAULT '{COVERED}'")
    con.execute(f'ALTER TABLE "{schema}"."{table}" ALTER COLUMN {COLUMN} DROP DEFAULT')
    return True
