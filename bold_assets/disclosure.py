"""Disclosure control of area aggregates (Five Safes: safe outputs), checked with ACRO.

Published: for each area (LSOA, and the LAD it nests in) and each measure, the number of people
flagged (`count`) out of the people resident there (`denominator`), and `rate`. Rules:

1. Primary suppression, by ACRO (the SACRO output checker used in trusted research environments),
   on person-level data: a crosstab of area x flag (0/1) per measure, and area x "persons" for the
   denominator, with ACRO's default threshold 10 and zeros treated as disclosive. A count is
   suppressed when either its flagged cell or its unflagged complement (denominator - count) fails,
   because publishing count and denominator reveals the complement. ACRO checks every cell;
   its verdicts are applied per cell (`_crosstab`), which gives the table and the record its
   suppress mitigation would, without its pass over the person rows per disclosive cell. Its
   pandas work is done lean (`_lean_acro`: the same checks and recorded results).
2. Secondary suppression, in plain code, because ACRO does not do it: its crosstab check only
   reports "PresenceOfLinkedTableCheck: a manual review against other outputs for differencing is
   recommended". LSOA cells add up to their LAD's cell, so within each (LAD, measure) relation the
   suppressed LSOA cells must be at least two, and their total (which anyone can recover as the LAD
   value minus the published LSOA values) must itself reach the threshold: the next smallest LSOA
   cell is suppressed until both hold. The same applies to denominators.
3. Rounding to base 5, in plain code, because ACRO applies either its "suppress" or its "round"
   mitigation to a table, not both. Published counts and denominators are rounded half up; rates
   are computed from the rounded values so they reveal nothing more than the cells.
4. Suppressed cells are published as null (count, and rate; the denominator is null only when the
   denominator itself is suppressed).
5. Cells not covered (`bold_assets.coverage_gaps`: a measure resting on councils' returns, in a
   LAD whose council missed one) are published as `coverage = 'not covered'` with count and rate
   null, not as suppressed; ACRO's crosstab of the measure and the secondary suppression of
   counts never see them, as values or as zeros. Their denominators are protected as usual.

`verify` re-checks a published table and returns every violation: a published cell below the
threshold (or, given the exact cells, one whose exact count or complement is), an unrounded value,
a rate not derivable from the published cells, or a suppressed cell that is recoverable from its
relation (exactly one unknown, or an unknown total below the threshold); and a cell not covered
that carries a count or rate, or whose coverage label disagrees with the exact cells'.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bold_assets import coverage_gaps

LEVELS = ("lsoa", "lad")
CELL_COLUMNS = ("geography_level", "area_code", "area_name", "parent_code", "measure", "count",
                "denominator")  # fmt: skip
PUBLISHED_COLUMNS = ("geography_level", "area_code", "area_name", "wave", "measure", "count",
                     "denominator", "rate", "suppressed", "coverage")  # fmt: skip


@dataclass(frozen=True)
class Rules:
    threshold: int = 10  # ONS SRS / ACRO minimum cell count
    round_base: int = 5


@dataclass
class Protected:
    """Result of `protect`: published cells, the exact cells with their suppression reasons, and
    the checker report (one row per ACRO table plus the rounding and secondary steps)."""

    published: pd.DataFrame
    cells: pd.DataFrame
    report: pd.DataFrame
    acro_dir: Path | None = None
    notes: list[str] = field(default_factory=list)


# Exact cells ---------------------------------------------------------------------------------


def exact_cells(persons: pd.DataFrame, areas: pd.DataFrame, measures: list[str] | tuple[str, ...]
                ) -> pd.DataFrame:
    """Exact counts per area and measure, every area of `areas` included (zero when empty).

    `persons`: one row per person with `lsoa_code`, `lad_code` and a boolean column per measure.
    `areas`: `lsoa_code, lsoa_name, lad_code, lad_name` (reference.lsoa).
    """
    frames = []
    lads = areas[["lad_code", "lad_name"]].drop_duplicates("lad_code")
    level_areas = {
        "lsoa": areas.rename(columns={"lsoa_code": "area_code", "lsoa_name": "area_name",
                                      "lad_code": "parent_code"})[
            ["area_code", "area_name", "parent_code"]],
        "lad": lads.rename(columns={"lad_code": "area_code", "lad_name": "area_name"}).assign(
            parent_code=None),
    }
    flags = pd.DataFrame({m: persons[m].fillna(False).astype(bool) for m in measures},
                         index=persons.index)
    for level in LEVELS:
        key = f"{level}_code"
        base = level_areas[level]
        denom = persons.groupby(key).size().rename("denominator")
        counts = flags.groupby(persons[key]).sum()  # one pass for every measure
        for m in measures:
            cnt = counts[m][counts[m] > 0].rename("count")
            f = base.merge(denom, left_on="area_code", right_index=True, how="left").merge(
                cnt, left_on="area_code", right_index=True, how="left")
            f[["count", "denominator"]] = f[["count", "denominator"]].fillna(0).astype("int64")
            frames.append(f.assign(geography_level=level, measure=m))
    out = pd.concat(frames, ignore_index=True)
    return out[list(CELL_COLUMNS)]


# Primary suppression (ACRO) ------------------------------------------------------------------


def _acro_session():
    """A quiet ACRO session with suppression on.

    ACRO calls `logging.basicConfig(level=INFO)` at import; the root logger is put back as it was
    and ACRO's own loggers ("acro", "acro:records", ...) are set to WARNING.
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from acro import ACRO
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("acro"):
            logging.getLogger(name).setLevel(logging.WARNING)
    # Checks only: ACRO's own "suppress" mitigation re-filters the person rows once per
    # disclosive cell (a DataFrame.query each, cells x persons); `_crosstab` applies the same
    # suppression per cell from ACRO's verdicts instead.
    acro = ACRO(suppress=False)
    acro.config["suppress"] = True  # as recorded in its config.json: the outputs are suppressed
    return acro


# The lean path. ACRO's time goes to pandas, not to its checks: per table it tabulates the
# person rows four times (the table, its count table for the threshold and zero checks, and two
# all-false tables of the table's shape for the checks that flag no cell), each a groupby whose
# `len` runs once per cell in Python; and it formats text for its log whether that log is on or
# not (the outcome table through `tabulate` for an INFO message, DataFrame reprs in f-strings
# for DEBUG ones). At thousands of areas that was minutes per wave. The lean path (`lean=True`)
# keeps every check and every recorded result, and changes only how that work is done:
#
# - axes: categoricals whose categories are exactly the labels present, sorted as pandas sorts
#   plain labels (`_area_axis`, `_flag_axis`, `_const_axis`), so pandas groups by the codes
#   instead of hashing every person's area code; the same tables, labels and order;
# - one count table per table (`_TabulatedOnce`): ACRO's table model computes its count table
#   once and derives the all-false and zero tables of the same shape from it, instead of
#   recounting the person rows for each (the same frames ACRO's own methods return);
# - log text on demand (`_Deferred`): the outcome table's `tabulate` text is made only if the
#   INFO record is emitted, and while ACRO's DEBUG log is off (`_acro_session` sets WARNING)
#   pandas shows DataFrames in two rows, which only the discarded DEBUG messages use.
#
# `lean=False` runs ACRO as before (plain labels, unchanged ACRO): benchmarks compare the two.


class _Deferred:
    """Text made when first formatted (by a log record that is emitted), not when logged."""

    def __init__(self, make, *args, **kwargs) -> None:
        self.make, self.args, self.kwargs = make, args, kwargs

    def __str__(self) -> str:
        return self.make(*self.args, **self.kwargs)


def _tabulated_once(base: type) -> type:
    """A subclass of ACRO's TableModelDetails that counts the person rows once per table."""

    class _TabulatedOnce(base):
        _counts: pd.DataFrame | None = None

        def _crosstab_shaped(self) -> bool:  # ACRO's crosstab branch (a table with columns)
            return self.model_type == "table" and len(self.get_crosstab_args()[1]) > 0

        def get_count_table(self) -> pd.DataFrame:
            if self._counts is None:
                self._counts = super().get_count_table()
            return self._counts.copy()

        def get_zeros_table(self) -> pd.DataFrame:
            if not self._crosstab_shaped():
                return super().get_zeros_table()
            zeros = self.get_count_table()
            zeros[:] = 0
            return zeros

        def get_allfalse_table(self) -> pd.DataFrame:
            if not self._crosstab_shaped():
                return super().get_allfalse_table()
            mask = self.get_count_table().astype(bool)
            mask[:] = False
            return mask

    return _TabulatedOnce


_LEAN_ACRO_LOCK = threading.Lock()


@contextmanager
def _lean_acro():
    """ACRO's table model counted once per table and its log text made on demand (see above).

    Swaps two names in ACRO's modules (and pandas' display options, process-wide) for the
    duration of one `acro.crosstab` call and puts them back, also when ACRO raises. A lock keeps
    calls from threads of one process one at a time, so none restores another's swap.
    """
    import acro.acro_tables as acro_tables
    import acro.utils as acro_utils

    with _LEAN_ACRO_LOCK:
        model, pretty = acro_tables.TableModelDetails, acro_utils.prettify_table_string
        small = (nullcontext() if logging.getLogger("acro").isEnabledFor(logging.DEBUG) else
                 pd.option_context("display.max_rows", 2, "display.min_rows", 2,
                                   "display.max_columns", 2))
        try:
            acro_tables.TableModelDetails = _tabulated_once(model)
            acro_utils.prettify_table_string = lambda *a, **k: _Deferred(pretty, *a, **k)
            with small:
                yield
        finally:
            acro_tables.TableModelDetails = model
            acro_utils.prettify_table_string = pretty


def _area_axis(codes: pd.Series, name: str, lean: bool) -> pd.Series:
    labels = codes.astype(str)
    if not lean:
        return labels.rename(name)
    ids, uniques = pd.factorize(labels.to_numpy(), sort=True)
    return pd.Series(pd.Categorical.from_codes(ids, categories=pd.Index(uniques)),
                     index=codes.index, name=name)


def _const_axis(index: pd.Index, lean: bool) -> pd.Series:
    if not lean:
        return pd.Series("persons", index=index, name="population")
    return pd.Series(pd.Categorical.from_codes(np.zeros(len(index), dtype=np.int8),
                                               categories=pd.Index(["persons"])),
                     index=index, name="population")


def _flag_axis(values: pd.Series, name: str, lean: bool) -> pd.Series:
    flag = values.fillna(False).astype(bool)
    if not lean:
        return flag.astype(int).rename(name)
    f = flag.to_numpy()
    present = [v for v, seen in ((0, not f.all()), (1, f.any())) if seen]  # as pandas would
    ids = f.astype(np.int8) if len(present) == 2 else np.zeros(len(f), dtype=np.int8)
    return pd.Series(pd.Categorical.from_codes(ids, categories=pd.Index(present, dtype="int64")),
                     index=values.index, name=name)


SUPPRESSION_EXCEPTION = "Suppression automatically applied where needed"  # ACRO's own wording


def _on_a_short_stack(call: Callable[[], Any]) -> Any:
    """`call()` in a thread of its own. ACRO records the line that called it with
    `inspect.stack()`, which reads the source of every frame of the calling thread: inside a
    Dagster step that is some 80 frames, about 0.1 s a table (a tenth of the pipeline's checking
    time). In a fresh thread the stack is the call's own few frames; the line it records is
    the lambda's, the same call."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def _crosstab(acro, index: pd.Series, columns: pd.Series, lean: bool = True) -> pd.DataFrame:
    """ACRO crosstab, checked by ACRO, with the disclosive cells suppressed.

    ACRO runs every check (threshold, zeros, dominance, ...) and records its verdict per cell in
    the output's `outcome` ("ok" or the failed checks). The cells it does not pass are then set
    to null, and zeros too when ACRO's configuration says zeros are disclosive: the table ACRO's
    suppress mitigation produces (it removes those cells' rows and recounts, so only those cells
    change), recorded in ACRO's results as that mitigation records it (mitigation "suppress",
    the same exception note, status "review"), so the checker's report is unchanged. Per cell,
    not per person: ACRO's mitigation costs a pass over the person rows per disclosive cell.
    `lean`: see `_lean_acro`.
    """
    with warnings.catch_warnings(), (_lean_acro() if lean else nullcontext()):
        warnings.simplefilter("ignore")
        table = _on_a_short_stack(lambda: acro.crosstab(index, columns))
    uid = acro.results.get_keys()[-1]
    rec = acro.results.get(uid)
    outcome = rec.outcome.reindex(index=table.index, columns=table.columns)
    redacted = table.where(outcome.eq("ok"))
    if acro.config.get("zeros_are_disclosive", True):
        redacted = redacted.replace({0: np.nan})
    rec.output = [redacted]
    rec.properties["mitigation"] = "suppress"
    acro.add_exception(uid, SUPPRESSION_EXCEPTION)
    rec.status = "review"
    return redacted


def acro_primary(persons: pd.DataFrame, cells: pd.DataFrame, measures: list[str] | tuple[str, ...],
                 rules: Rules = Rules(), report_dir: Path | None = None, lean: bool = True
                 ) -> tuple[pd.DataFrame, pd.DataFrame, Path | None]:
    """Primary suppression decided by ACRO; returns (cells + flags, per-table report, report dir).

    Adds `count_primary` and `denominator_primary`. Areas with nobody in them never reach ACRO's
    crosstab (it is built from person rows): they are zero cells, which ACRO's configuration
    treats as disclosive, so they are suppressed here with the reason `empty area`. Plain-code
    primary rules run alongside; any disagreement is reported and the union is suppressed.
    `lean`: ACRO's work done the lean way, the same checks and results (see `_lean_acro`).

    Cells not covered (`cells["covered"]` false, see `coverage_gaps.mark`) are not published: a
    measure's crosstab holds only the people of the LADs covered for it, and its not-covered
    cells are neither primary-suppressed nor checked (their denominators are, on everyone).
    """
    acro = _acro_session()
    if acro.config.get("safe_threshold") != rules.threshold:
        raise ValueError(f"ACRO threshold {acro.config.get('safe_threshold')} != {rules.threshold}")
    cells = cells.copy()
    cells["count_primary"] = False
    cells["denominator_primary"] = False
    cells["acro_agrees"] = True
    covered = coverage_gaps.covered_mask(cells)
    uncovered_lads = {m: set(cells.loc[~covered & (cells["geography_level"] == "lad").to_numpy()
                                       & (cells["measure"] == m).to_numpy(), "area_code"])
                      for m in measures}
    report_rows = []
    for level in LEVELS:
        area = _area_axis(persons[f"{level}_code"], f"{level}_code", lean)
        const = _const_axis(persons.index, lean)
        den_tab = _crosstab(acro, area, const, lean)
        den_uid = acro.results.get_keys()[-1]
        den_ok = den_tab["persons"].notna()
        report_rows.append(_report_row(acro, den_uid, level, "denominator"))
        for m in measures:
            sel = (cells["geography_level"] == level) & (cells["measure"] == m)
            if uncovered_lads[m]:  # ACRO sees only the people of the LADs covered for m
                keep = ~persons["lad_code"].isin(uncovered_lads[m])
                if not keep.any():
                    report_rows.append(_not_covered_row(level, m))
                    cells.loc[sel, "denominator_primary"] = (
                        ~cells.loc[sel, "area_code"].map(den_ok).eq(True)
                        | (cells.loc[sel, "denominator"] < rules.threshold))
                    continue
                m_area = _area_axis(persons.loc[keep, f"{level}_code"], f"{level}_code", lean)
                flag = _flag_axis(persons.loc[keep, m], m, lean)
            else:
                m_area, flag = area, _flag_axis(persons[m], m, lean)
            tab = _crosstab(acro, m_area, flag, lean)
            uid = acro.results.get_keys()[-1]
            # a flag column absent from the table means every cell in it is zero: disclosive
            ok = pd.Series(True, index=tab.index)
            for v in (0, 1):
                ok &= tab[v].notna() if v in tab.columns else False
            acro_count = ~cells.loc[sel, "area_code"].map(ok).eq(True)
            acro_den = ~cells.loc[sel, "area_code"].map(den_ok).eq(True)
            c = cells.loc[sel]
            plain_count = ((c["count"] < rules.threshold)
                           | (c["denominator"] - c["count"] < rules.threshold))
            plain_den = c["denominator"] < rules.threshold
            shown = covered[sel.to_numpy()]  # not covered: not published, not suppressed
            cells.loc[sel, "count_primary"] = (acro_count | plain_count) & shown
            cells.loc[sel, "denominator_primary"] = acro_den | plain_den
            cells.loc[sel, "acro_agrees"] = ((acro_count == plain_count) | ~shown) & (
                acro_den == plain_den)
            report_rows.append(_report_row(acro, uid, level, m))
    saved = None
    if report_dir is not None:
        saved = _finalise(acro, Path(report_dir))
    return cells, pd.DataFrame(report_rows), saved


def _not_covered_row(level: str, measure: str) -> dict:
    """The report row of a measure not covered in any area: no table for ACRO to check."""
    return {"acro_output": None, "geography_level": level, "measure": measure,
            "acro_status": "not covered", "acro_threshold_fails": 0, "acro_zero_cells": 0,
            "acro_summary": "no area covered for this measure: no table checked or published"}


def _report_row(acro, uid: str, level: str, measure: str) -> dict:
    rec = acro.results.get(uid)
    summary = rec.sdc.get("summary", {}) if rec.sdc else {}
    return {
        "acro_output": uid,
        "geography_level": level,
        "measure": measure,
        "acro_status": rec.status,
        "acro_threshold_fails": int(summary.get("MinimumThresholdCheck", 0)),
        "acro_zero_cells": int(summary.get("PresenceOfZeroCheck", 0)),
        "acro_summary": " ".join(str(rec.summary).split())[:500],
    }


def _finalise(acro, report_dir: Path) -> Path:
    """Write ACRO's checking report (results.json + output csv files) to `report_dir`.

    These files hold the exact, unrounded tables ACRO checked: they are for the output checker,
    not for publication, so they stay beside the warehouse, never in `outputs`.
    """
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=report_dir.parent)) / "acro"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acro.finalise(str(tmp), "json")
    if report_dir.exists():
        shutil.rmtree(report_dir)
    shutil.move(str(tmp), str(report_dir))
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return report_dir


# Secondary suppression -----------------------------------------------------------------------


def secondary_suppress(cells: pd.DataFrame, rules: Rules = Rules()) -> pd.DataFrame:
    """Add `count_secondary` / `denominator_secondary` so no suppressed cell is recoverable.

    Relation: LAD value = sum of its LSOA values (per measure). When the LAD value is published,
    its suppressed LSOA cells must number 0 or >= 2 and their exact total must reach the
    threshold; otherwise the next smallest published LSOA cell (ties by area code) is suppressed.
    If no LSOA cell is left to suppress, the LAD cell is suppressed instead.

    One sort of all LSOA cells by (relation, value, area code); per relation, the number of
    cells to add in that order is read off cumulative sums (the conditions only grow as cells
    are added, so the first prefix that meets them is the one the cell-by-cell rule stops at).

    Counts of cells not covered (`coverage_gaps`) take no part: they are not published, so they
    are neither suppressed nor counted as values (a not-covered LAD's relation is not covered
    as a whole). Their denominators are published and take part as any other.
    """
    cells = cells.reset_index(drop=True)  # positions below are row numbers
    covered = coverage_gaps.covered_mask(cells)
    everyone = np.ones(len(cells), dtype=bool)
    structure = {"denominator": _relations(cells, everyone)}
    structure["count"] = (structure["denominator"] if covered.all()
                          else _relations(cells, covered))
    threshold = rules.threshold
    for value in ("count", "denominator"):
        lsoa_rows, relation, parent_row, area_rank = structure[value]
        primary = cells[f"{value}_primary"].to_numpy(dtype=bool)
        secondary = np.zeros(len(cells), dtype=bool)
        vals_all = cells[value].to_numpy(dtype=np.int64)
        order = np.lexsort((area_rank, vals_all[lsoa_rows], relation))
        rows = lsoa_rows[order]
        rel = relation[order]
        vals = vals_all[rows]
        # for counts, the hidden complement (denominator - count) must be safe too
        comps = (cells["denominator"].to_numpy(dtype=np.int64)[rows] - vals if value == "count"
                 else np.full(len(vals), threshold, dtype=np.int64))
        hidden = primary[rows]
        starts = np.flatnonzero(np.r_[True, rel[1:] != rel[:-1]]) if len(rel) else \
            np.array([], dtype=np.int64)
        ends = np.r_[starts[1:], len(rel)]
        for s, e in zip(starts, ends, strict=True):
            p = parent_row[order[s]]
            h = hidden[s:e]
            if primary[p] or not h.any():
                continue  # no published total in this relation, or nothing suppressed
            v, c = vals[s:e], comps[s:e]
            free = np.flatnonzero(~h)  # candidates, smallest first
            n = h.sum() + np.arange(len(free) + 1)
            tot = v[h].sum() + np.r_[0, np.cumsum(v[free])]
            comp = c[h].sum() + np.r_[0, np.cumsum(c[free])]
            ok = np.flatnonzero((n >= 2) & (tot >= threshold) & (comp >= threshold))
            k = ok[0] if len(ok) else len(free)
            secondary[rows[s + free[:k]]] = True
            if not len(ok):
                secondary[p] = True
        cells[f"{value}_secondary"] = secondary
    return cells


def _relations(cells: pd.DataFrame, rows: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (LAD, measure) relations among the rows of `cells` in `rows` (a boolean mask): the
    LSOA rows with a LAD cell, each one's relation number and LAD row, and its area's rank."""
    level = cells["geography_level"].to_numpy()
    lad_rows = np.flatnonzero((level == "lad") & rows)
    lsoa_rows = np.flatnonzero((level == "lsoa") & rows)
    lad_at = pd.Series(lad_rows, index=pd.MultiIndex.from_arrays(
        [cells["area_code"].to_numpy()[lad_rows], cells["measure"].to_numpy()[lad_rows]]))
    lad_at = lad_at[~lad_at.index.duplicated()]
    keys = pd.MultiIndex.from_arrays([cells["parent_code"].to_numpy()[lsoa_rows],
                                      cells["measure"].to_numpy()[lsoa_rows]])
    parent_row = lad_at.reindex(keys).to_numpy()  # NaN: no LAD cell for this relation
    has_parent = ~np.isnan(parent_row)
    lsoa_rows, keys, parent_row = lsoa_rows[has_parent], keys[has_parent], \
        parent_row[has_parent].astype(np.int64)
    relation = pd.factorize(keys)[0]
    area_rank = pd.factorize(cells["area_code"].to_numpy()[lsoa_rows], sort=True)[0]
    return lsoa_rows, relation, parent_row, area_rank


# Rounding and publication --------------------------------------------------------------------


def round_to_base(values: pd.Series, base: int) -> pd.Series:
    """Round half up to a multiple of `base` (12 -> 10, 13 -> 15 for base 5)."""
    return (np.floor(values.astype(float) / base + 0.5) * base).astype("Int64")


def publish(cells: pd.DataFrame, wave: int, rules: Rules = Rules()) -> pd.DataFrame:
    """Published long form: suppressed cells null, the rest rounded; rate from rounded values.
    Cells not covered: count and rate null, `suppressed` false, `coverage` 'not covered'."""
    covered = pd.Series(coverage_gaps.covered_mask(cells), index=cells.index)
    hide_count = (cells["count_primary"] | cells["count_secondary"]) & covered
    hide_den = cells["denominator_primary"] | cells["denominator_secondary"]
    count = round_to_base(cells["count"], rules.round_base).mask(hide_count | ~covered)
    den = round_to_base(cells["denominator"], rules.round_base).mask(hide_den)
    rate = (count.astype("Float64") / den.astype("Float64")).round(4)
    out = pd.DataFrame({
        "geography_level": cells["geography_level"],
        "area_code": cells["area_code"],
        "area_name": cells["area_name"],
        "wave": wave,
        "measure": cells["measure"],
        "count": count,
        "denominator": den,
        "rate": rate,
        "suppressed": hide_count.astype(bool),
        "coverage": coverage_gaps.labels(covered),
    })
    return out.reset_index(drop=True)


def protect(persons: pd.DataFrame, areas: pd.DataFrame, measures: list[str] | tuple[str, ...],
            wave: int, rules: Rules = Rules(), report_dir: Path | None = None,
            lean: bool = True, timings: dict[str, float] | None = None,
            not_covered: pd.DataFrame | None = None) -> Protected:
    """Exact cells -> ACRO primary suppression -> secondary suppression -> rounding -> verify.

    People without a known LSOA are left out of both levels, so LAD cells are exactly the sum
    of their LSOA cells (the strictest case for differencing). `lean=False`: ACRO run as before
    (see `_lean_acro`). `timings`, if given, receives the seconds of each phase.
    `not_covered`: (lad_code, measure) pairs whose cells, and those of the LAD's LSOAs, are not
    covered (`coverage_gaps.read_not_covered`): published as such, never as values.
    """
    clock = _Clock(timings)
    persons = persons.dropna(subset=["lsoa_code", "lad_code"])
    cells = coverage_gaps.mark(exact_cells(persons, areas, measures), not_covered)
    clock.lap("exact cells")
    cells, acro_report, saved = acro_primary(persons, cells, measures, rules, report_dir,
                                             lean=lean)
    clock.lap("ACRO checks")
    cells = secondary_suppress(cells, rules)
    clock.lap("secondary suppression")
    published = publish(cells, wave, rules)
    report = summarise(cells, acro_report)
    clock.lap("rounding and report")
    notes = [
        f"primary suppression: ACRO crosstab (threshold {rules.threshold}, zeros disclosive) "
        "on person rows",
        "secondary suppression: plain code (ACRO leaves differencing to manual review)",
        f"rounding to base {rules.round_base}: plain code (ACRO rounds or suppresses a table, "
        "not both)",
    ]
    gaps = cells[~cells["covered"]]
    if len(gaps):
        notes.append(
            f"not covered: {len(gaps)} cells ({', '.join(sorted(gaps['measure'].unique()))} in "
            f"{gaps.loc[gaps['geography_level'] == 'lad', 'area_code'].nunique()} LADs whose "
            "council missed a return, and their LSOAs) published as 'not covered' without count "
            "or rate; ACRO and secondary suppression of counts see only covered cells")
    if report_dir is not None:
        (Path(report_dir) / "bold_summary.json").write_text(json.dumps({
            "rules": {"threshold": rules.threshold, "round_base": rules.round_base},
            "notes": notes,
            "tables": report.to_dict(orient="records"),
            "violations": [v.__dict__ for v in verify(published, cells, rules)],
        }, indent=2, default=str))
        clock.lap("verify (report)")
    return Protected(published, cells, report, saved, notes)


class _Clock:
    """Seconds per phase into `timings` (nothing when it is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.start = time.perf_counter()

    def lap(self, phase: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.start
            self.start = now


def summarise(cells: pd.DataFrame, acro_report: pd.DataFrame) -> pd.DataFrame:
    """Checker report: ACRO's verdict per table plus what the plain-code steps changed."""
    covered = coverage_gaps.covered_mask(cells)
    g = cells.assign(
        published=~(cells["count_primary"] | cells["count_secondary"]) & covered,
        not_covered=~covered,
    ).groupby(["geography_level", "measure"], sort=False).agg(
        cells=("count", "size"),
        primary_suppressed=("count_primary", "sum"),
        secondary_suppressed=("count_secondary", "sum"),
        published=("published", "sum"),
        denominator_primary=("denominator_primary", "sum"),
        denominator_secondary=("denominator_secondary", "sum"),
        acro_disagreements=("acro_agrees", lambda s: int((~s).sum())),
        not_covered=("not_covered", "sum"),
    ).reset_index()
    den = acro_report[acro_report["measure"] == "denominator"]
    rep = acro_report[acro_report["measure"] != "denominator"].merge(
        g, on=["geography_level", "measure"], how="left")
    rep = rep.merge(den[["geography_level", "acro_output", "acro_status"]].rename(
        columns={"acro_output": "acro_denominator_output",
                 "acro_status": "acro_denominator_status"}), on="geography_level", how="left")
    return rep


# Verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    kind: str  # below_threshold | unrounded | rate | recoverable | suppressed_flag | coverage
    geography_level: str
    area_code: str
    measure: str
    detail: str


def verify(published: pd.DataFrame, cells: pd.DataFrame | None = None, rules: Rules = Rules(),
           lsoa_parent: dict[str, str] | None = None) -> list[Violation]:
    """Every way `published` could disclose; empty when safe.

    Checks published values are >= threshold and multiples of the rounding base, that rates
    exist only where both cells do and equal their ratio, and that in every LAD relation the
    suppressed cells are 0 or >= 2. With `cells` (the exact values, from `protect`) it also
    checks exact counts, complements and denominators of published cells, and that each
    relation's suppressed total reaches the threshold. The LSOA -> LAD map comes from `cells`
    or `lsoa_parent`.

    Cells not covered (`coverage` 'not covered') are unpublished: their null count and rate are
    no violation, but a count or rate on one is, and so is a coverage label other than the two,
    or (with `cells` carrying `covered`) one that disagrees with the exact cells'. Their nulls
    are unknowns in their relations like any suppressed value. A table without the column (an
    earlier release) is covered throughout.
    """
    out: list[Violation] = []
    pub = published.reset_index(drop=True)

    def add(kind: str, rows: pd.DataFrame, detail: str) -> None:
        for r in rows.itertuples(index=False):
            out.append(Violation(kind, r.geography_level, r.area_code, r.measure, detail))

    for value in ("count", "denominator"):
        v = pub[value]
        shown = v.notna()
        add("below_threshold", pub[shown & (v < rules.threshold)],
            f"published {value} below {rules.threshold}")
        add("unrounded", pub[shown & (v % rules.round_base != 0)],
            f"{value} not a multiple of {rules.round_base}")
    covered = coverage_gaps.covered_mask(pub)
    add("suppressed_flag", pub[(pub["count"].isna() & covered)
                               != pub["suppressed"].astype(bool).to_numpy()],
        "suppressed flag does not match a null count (of a covered cell)")
    gap = pub[~covered]
    add("coverage", gap[gap["count"].notna() | gap["rate"].notna()],
        "a cell not covered carries a count or rate")
    if coverage_gaps.COLUMN in pub.columns:
        add("coverage", pub[~pub[coverage_gaps.COLUMN].isin(coverage_gaps.LABELS)],
            f"coverage is not one of {list(coverage_gaps.LABELS)}")
    rate_bad = pub["rate"].notna() & (pub["count"].isna() | pub["denominator"].isna())
    add("rate", pub[rate_bad], "rate published for a suppressed cell")
    both = pub["rate"].notna() & ~rate_bad
    expect = (pub.loc[both, "count"].astype(float) / pub.loc[both, "denominator"].astype(float))
    add("rate", pub.loc[both][(pub.loc[both, "rate"].astype(float) - expect).abs() > 5e-4],
        "rate not derivable from the published cells")

    key = ["geography_level", "area_code", "measure"]
    exact = None
    if cells is not None:
        exact = pub[key + ["count", "denominator"]].merge(
            cells[key + ["count", "denominator", "parent_code"]], on=key, how="left",
            suffixes=("", "_exact"))
        if "covered" in cells.columns:
            truth = pub[key].merge(cells[key + ["covered"]], on=key, how="left")["covered"]
            wrong = truth.notna().to_numpy() & (truth.fillna(True).to_numpy(dtype=bool)
                                                != covered)
            add("coverage", pub[wrong], "coverage label disagrees with the coverage mart")
        cshown = exact["count"].notna()
        small = (exact["count_exact"] < rules.threshold) | (
            exact["denominator_exact"] - exact["count_exact"] < rules.threshold)
        add("below_threshold", exact[cshown & small], "exact count or complement below threshold")
        dshown = exact["denominator"].notna()
        add("below_threshold", exact[dshown & (exact["denominator_exact"] < rules.threshold)],
            "exact denominator below threshold")
        parent = exact["parent_code"]
    else:
        parent = pub["area_code"].map(lsoa_parent or {})
    # object dtype even when no LSOA has a parent (an all-NaN float column cannot join LAD codes)
    pub = pub.assign(parent_code=parent.where(pub["geography_level"] == "lsoa").astype(object))

    # Relations: per (LAD, measure), counted once over all LSOA cells, not group by group.
    lsoa = pub[(pub["geography_level"] == "lsoa") & pub["parent_code"].notna()]
    lad = pub[pub["geography_level"] == "lad"].drop_duplicates(["area_code", "measure"])
    rel = ["parent_code", "measure"]
    for value in ("count", "denominator"):
        g = lsoa[rel + ["geography_level", "area_code", value]].assign(
            _hidden=lsoa[value].isna())
        if exact is not None:
            ex = exact.loc[lsoa.index]
            g["_exact"] = ex[f"{value}_exact"].fillna(0).to_numpy()
            g["_comp"] = ((ex["denominator_exact"] - ex["count_exact"]).fillna(0).to_numpy()
                          if value == "count" else 0)
        g = g.merge(lad[["area_code", "measure", value]].rename(
            columns={"area_code": "parent_code", value: "_lad"}), on=rel, how="inner")
        g["_lad_hidden"] = g["_lad"].isna()
        hidden = g[g["_hidden"]]
        per = g.groupby(rel, sort=True).agg(lad_hidden=("_lad_hidden", "first"))
        per["n_hidden"] = hidden.groupby(rel).size().reindex(per.index, fill_value=0)
        flag = (per["n_hidden"] + per["lad_hidden"].astype(int)) == 1
        if exact is not None:
            sums = hidden.groupby(rel)[["_exact", "_comp"]].sum().reindex(per.index,
                                                                           fill_value=0)
            unsafe = sums["_exact"] < rules.threshold
            if value == "count":
                unsafe |= sums["_comp"] < rules.threshold
            flag |= ~per["lad_hidden"] & (per["n_hidden"] > 0) & unsafe
        flagged = per[flag]
        for (par, measure), r in flagged.iterrows():
            grp_hidden = hidden[(hidden["parent_code"] == par) & (hidden["measure"] == measure)]
            if r["n_hidden"] + int(r["lad_hidden"]) == 1:
                row = pd.DataFrame([{"geography_level": "lad", "area_code": par,
                                     "measure": measure}])
                add("recoverable", row if r["lad_hidden"] else grp_hidden,
                    f"only unknown {value} in its LAD relation")
            else:
                add("recoverable", grp_hidden,
                    f"suppressed {value}s in LAD {par}: their total or complement is below "
                    f"{rules.threshold}")
    return out


# Differencing across snapshots ---------------------------------------------------------------

_CELL_KEY = ["geography_level", "area_code", "measure"]


def _snapshot_pair(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    return current.reset_index(drop=True).merge(
        previous[_CELL_KEY + ["count", "denominator"]], on=_CELL_KEY, how="left",
        suffixes=("", "_prev"))


def verify_differencing(previous: pd.DataFrame, current: pd.DataFrame,
                        rules: Rules = Rules()) -> list[Violation]:
    """Cells of two consecutive snapshots' published tables that disclose by differencing.

    The people who entered (or left) a cell between two snapshots form a cell of their own: the
    difference of the two published values. When a value is published in both snapshots and
    the two differ by less than the threshold, that difference is a small cell (one that would
    be suppressed) recovered from published figures. Returns one `differencing` violation per
    such cell and value; empty when safe.
    """
    both = _snapshot_pair(previous, current)
    out: list[Violation] = []
    for value, bad in _small_differences(both, rules).items():
        for r in both[bad].itertuples(index=False):
            out.append(Violation("differencing", r.geography_level, r.area_code, r.measure,
                                 f"{value} changed by less than {rules.threshold} since the "
                                 "previous snapshot"))
    return out


def _small_differences(both: pd.DataFrame, rules: Rules) -> dict[str, np.ndarray]:
    """Per value (count, denominator), the rows of a `_snapshot_pair` frame published in both
    tables whose two values differ by more than 0 and less than the threshold."""
    out = {}
    for value in ("count", "denominator"):
        now = both[value].astype("Float64")
        before = both[f"{value}_prev"].astype("Float64")
        diff = (now - before).abs()
        out[value] = (now.notna() & before.notna() & (diff > 0) & (diff < rules.threshold)
                      ).fillna(False).to_numpy(dtype=bool)
    return out


def _with_lsoas_of_hidden_lads(cells: pd.DataFrame, hit: np.ndarray, value: str) -> np.ndarray:
    """`hit`, plus the two smallest published LSOA values of each LAD value it hides (a hidden
    LAD whose LSOAs are all published is their sum; secondary suppression protects LSOAs under a
    published LAD, not the other way round)."""
    hit = hit.copy()
    lad_rows = np.flatnonzero(hit & (cells["geography_level"] == "lad").to_numpy())
    if not len(lad_rows):
        return hit
    shown = ~(cells[f"{value}_primary"].to_numpy(dtype=bool)
              | cells[f"{value}_secondary"].to_numpy(dtype=bool) | hit)
    if value == "count":
        shown &= coverage_gaps.covered_mask(cells)
    lsoa = (cells["geography_level"] == "lsoa").to_numpy()
    for row in lad_rows:
        rel = np.flatnonzero(lsoa & shown
                             & (cells["parent_code"] == cells.at[row, "area_code"]).to_numpy()
                             & (cells["measure"] == cells.at[row, "measure"]).to_numpy())
        order = np.argsort(cells[value].to_numpy()[rel], kind="stable")
        hit[rel[order[:2]]] = True
    return hit


def protect_across(cells: pd.DataFrame, others: Sequence[pd.DataFrame], wave: int,
                   rules: Rules = Rules(), max_rounds: int = 20) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame, int]:
    """Suppress what differences against other published tables of the same areas (an earlier
    wave's release of the same snapshot: a later wave's mart holds more people, or a flag that
    adds evidence to the earlier one, so the difference of two published values can be a small
    group). A value published in both whose two values differ by less than the threshold is
    suppressed as a primary cell here, secondary suppression runs again, and so on until no
    such value is left (suppression only hides values, so this ends). Unlike a later snapshot,
    nothing is held at the other table's value: that would publish the other wave's figure.
    Returns (cells, published, values suppressed)."""
    cells = cells.reset_index(drop=True).copy()
    published = publish(cells, wave, rules)
    added = 0
    for _ in range(max_rounds):
        masks = [_small_differences(_snapshot_pair(o, published), rules) for o in others]
        hits = {v: np.logical_or.reduce([m[v] for m in masks]) if masks
                else np.zeros(len(cells), dtype=bool) for v in ("count", "denominator")}
        if not any(h.any() for h in hits.values()):
            return cells, published, added
        for value, hit in hits.items():
            hit = _with_lsoas_of_hidden_lads(cells, hit, value)
            cells[f"{value}_primary"] = cells[f"{value}_primary"].to_numpy(dtype=bool) | hit
            added += int(hit.sum())
        cells = secondary_suppress(cells, rules)
        published = publish(cells, wave, rules)
    raise RuntimeError(f"differencing across tables not resolved in {max_rounds} rounds")


def protect_differencing(previous: pd.DataFrame, current: pd.DataFrame,
                         rules: Rules = Rules()) -> tuple[pd.DataFrame, int]:
    """Hold back small changes: a value published in both snapshots that moved by less than the
    threshold keeps its previously published value (the rate is recomputed); it moves once the
    change reaches the threshold. A separate step after `protect`; returns the table and the
    number of values held."""
    both = _snapshot_pair(previous, current)
    out = current.reset_index(drop=True).copy()
    held = 0
    for value, hold in _small_differences(both, rules).items():
        held += int(hold.sum())
        values = out[value].astype("Int64").to_numpy(dtype=object)
        values[hold] = both[f"{value}_prev"].astype("Int64").to_numpy(dtype=object)[hold]
        out[value] = pd.array(values, dtype="Int64")
    out["rate"] = (out["count"].astype("Float64") / out["denominator"].astype("Float64")
                   ).round(4)
    return out, held
