"""Blocking rules from the data: candidates built from the mapped columns, chosen by how many
comparisons each makes (Splink's blocking analysis), under a budget.

The wave-0 models keep their hand-written rules (`comparisons.blocking_rules_for`), which assume
a date of birth. A table brought to `dedupe` / `link_records` may have no date of birth, an
imprecise one, a non-UK postal code or other identifiers (an id number, an email, a national
identifier such as a NINO): its candidate rules pair the columns it fills, each rule's comparisons
are counted with `splink.blocking_analysis.count_comparisons_from_blocking_rules`, and the rules
are taken from the tightest up while the total stays within the budget. A rule whose columns
include all those of another chosen rule is dropped as redundant. Small inputs (all pairs within
`ALL_PAIRS_LIMIT`) are compared in full.

Each candidate's own count is exact and quick for an equality rule (a GROUP BY: the pairs within,
or across the link groups of, each block). Rules are taken while the sum of their counts stays
within the budget, so the chosen rules together (pairs found by several rules counted once) make
at most that sum. On inputs of more than `EXACT_TOTAL_FROM` records the total is then counted by
Splink's blocking analysis (`count_comparisons_from_blocking_rules`) and the report states it; on
smaller ones the report states the sum as a bound (Splink's count would cost more than the
linkage itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.internals.splink_dataframe import SplinkDataFrame

from bold_assets.catalog import NATIONAL_ID_KINDS
from bold_assets.linkage.comparisons import national_id_column

if TYPE_CHECKING:
    from bold_assets.linkage.engine import LinkageEngine

# Compare every pair when there are no more than this many.
ALL_PAIRS_LIMIT = 250_000
# Default budget of comparisons: `BUDGET_PER_RECORD` per record, within these bounds.
BUDGET_PER_RECORD = 200
BUDGET_MIN, BUDGET_MAX = 1e6, 3e7
# Inputs of more records than this have their chosen rules' total counted by Splink.
EXACT_TOTAL_FROM = 20_000
# Kinds of further identifier precise enough to block on alone.
_PRECISE_KINDS = ("id", "email", "date")
# National identifiers (`NATIONAL_ID_KINDS`): blocked on alone, and EM blocks, when mapped.
_NATIONAL_ID_COLUMNS = tuple(national_id_column(kind) for kind in NATIONAL_ID_KINDS)

# EM sessions per model: two, as Splink's tutorials (each leaves the other's columns free).
MAX_EM_SESSIONS = 2

SWAPPED_NAMES = ("l.forename1_std = r.surname_std AND l.surname_std = r.forename1_std")


def rule_sql(cols: tuple[str, ...]) -> str:
    """Splink blocking rule SQL: equality on each column."""
    return " AND ".join(f'l."{c}" = r."{c}"' for c in cols)


def candidate_rules(filled: set[str], extras: tuple[tuple[str, str], ...] = ()
                    ) -> list[tuple[tuple[str, ...], str]]:
    """(columns, SQL) of every candidate rule the filled columns allow."""
    names = [c for c in ("forename1_std", "surname_std") if c in filled]
    sets: list[tuple[str, ...]] = [
        ("forename1_std", "surname_std"), ("surname_std", "dob_std"), ("forename1_std", "dob_std"),
        ("dob_std",), ("surname_dm", "dob_year"), ("forename1_dm", "dob_year"),
        ("forename1_dm", "surname_dm"), ("surname_std", "dob_year_month"),
        ("forename1_std", "dob_year_month"), ("surname_std",), ("forename1_std",),
        ("surname_dm", "dob_month", "dob_day"),
    ]
    area = "postcode_text" if "postcode_text" in filled else "postcode_std"
    sets += [(area, n) for n in names] + [(area, "dob_year"), (area,)]
    sets += [(col,) for col in _NATIONAL_ID_COLUMNS]
    for col, kind in extras:
        if kind in _PRECISE_KINDS:
            sets.append((col,))
        elif "surname_std" in filled:
            sets.append((col, "surname_std"))
    out = [(s, rule_sql(s)) for s in dict.fromkeys(sets) if set(s) <= filled]
    if {"forename1_std", "surname_std"} <= filled:
        out.append((("forename1_std", "surname_std", "swapped"), SWAPPED_NAMES))
    return out


@dataclass
class BlockingChoice:
    """The rules chosen for a model and the counts they were chosen on (for the report)."""

    rules: list[str]
    budget: float
    possible: float
    counts: dict[str, int] = field(default_factory=dict)  # every candidate's comparisons
    # comparisons of the chosen rules together: Splink's count (pairs counted once) when
    # `total_exact`, else the sum of the rules' own counts (a bound)
    chosen_total: int = 0
    all_pairs: bool = False
    total_exact: bool = True

    def describe(self) -> str:
        if self.all_pairs:
            return (f"all {self.possible:,.0f} pairs compared (no more than "
                    f"{ALL_PAIRS_LIMIT:,} possible)")
        total = (f"{self.chosen_total:,} comparisons" if self.total_exact else
                 f"at most {self.chosen_total:,} comparisons (the sum of the rules' counts)")
        lines = [f"blocking: {len(self.rules)} rules chosen, {total} "
                 f"of {self.possible:,.0f} possible (budget {self.budget:,.0f})"]
        for sql, n in sorted(self.counts.items(), key=lambda kv: kv[1]):
            mark = "chosen " if sql in self.rules else "       "
            lines.append(f"  {mark}{n:>12,}  {sql}")
        return "\n".join(lines)


def choose_rules(con: duckdb.DuckDBPyConnection, table: str, sdf: SplinkDataFrame,
                 engine: LinkageEngine, link_type: str, filled: set[str],
                 extras: tuple[tuple[str, str], ...] = (), *,
                 possible: float, records: int, budget: float | None = None) -> BlockingChoice:
    """Count each candidate rule's comparisons on `table` (of `con`, by a GROUP BY) and pick
    rules under the budget; the chosen rules' pairs together are counted by Splink on `sdf`
    (the same input registered on `engine`, a `linkage.engine`)."""
    if budget is None:
        budget = min(max(BUDGET_PER_RECORD * records, BUDGET_MIN), BUDGET_MAX)
    if possible <= ALL_PAIRS_LIMIT:
        return BlockingChoice([], budget, possible, all_pairs=True)
    candidates = candidate_rules(filled, extras)
    counts = {sql: count_rule(con, table, link_type, cols) for cols, sql in candidates}
    cols_of = {sql: set(cols) for cols, sql in candidates}
    chosen: list[str] = []
    total = 0
    for sql in sorted(counts, key=lambda s: counts[s]):
        n = counts[sql]
        if n == 0 or total + n > budget:
            continue
        chosen.append(sql)
        total += n
    # a rule whose columns include all of another chosen rule's adds no pairs
    chosen = [s for s in chosen if not any(cols_of[o] < cols_of[s] for o in chosen if o != s)]
    if not chosen:
        raise ValueError("no blocking rule fits the comparison budget "
                         f"({budget:,.0f}); the smallest makes "
                         f"{min(counts.values(), default=0):,} comparisons")
    if records <= EXACT_TOTAL_FROM:
        return BlockingChoice(chosen, budget, possible, counts,
                              sum(counts[s] for s in chosen), total_exact=False)
    sample = 1.0 if records <= 200_000 else 0.1
    cumulative = count_comparisons_from_blocking_rules(
        sdf, blocking_rules=[engine.rule(r) for r in chosen], link_type=link_type,
        unique_id_column_name="uid", source_dataset_column_name="link_group",
        record_sample_proportion=sample)
    chosen_total = int(cumulative[-1]["cumulative_comparison_count"])
    return BlockingChoice(chosen, budget, possible, counts, chosen_total)


def count_rule(con: duckdb.DuckDBPyConnection, table: str, link_type: str,
               cols: tuple[str, ...]) -> int:
    """Comparisons an equality rule on `cols` makes on `table` (exact: pairs of records that
    hold and agree on every column, within a dedupe input or across the link groups of a link;
    the swapped-names rule is counted as the pairs of its unordered name pairs)."""
    if cols[-1] == "swapped":
        exprs = ["least(forename1_std, surname_std)", "greatest(forename1_std, surname_std)"]
    else:
        exprs = [f'"{c}"' for c in cols]
    keys = ", ".join(f"{e} AS k{i}" for i, e in enumerate(exprs))
    names = ", ".join(f"k{i}" for i in range(len(exprs)))
    where = " AND ".join(f"{e} IS NOT NULL" for e in exprs)
    if link_type == "dedupe_only":
        sql = (f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT {keys}, count(*) AS n "
               f"FROM {table} WHERE {where} GROUP BY ALL)")
    else:  # pairs across link groups within each block
        sql = (f"SELECT coalesce(sum((tot * tot - sq) / 2), 0) FROM (SELECT sum(n) AS tot, "
               f"sum(n * n) AS sq FROM (SELECT {keys}, link_group, count(*) AS n FROM {table} "
               f"WHERE {where} GROUP BY ALL) GROUP BY {names})")
    return int(con.execute(sql).fetchall()[0][0])


def training_rules(filled: set[str], extras: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """Blocks for expectation maximisation: each fixes one family of identifiers and leaves the
    others free, so every comparison is estimated in some session."""
    families: list[tuple[str, ...]] = [("forename1_std", "surname_std"), ("dob_std",)]
    area = "postcode_text" if "postcode_text" in filled else "postcode_std"
    families += [(area, "dob_year"), (area,)]
    families += [(c,) for c in _NATIONAL_ID_COLUMNS]
    families += [(c,) for c, k in extras if k in _PRECISE_KINDS]
    families += [("surname_std",), ("forename1_std",)]
    out: list[str] = []
    used: set[str] = set()
    for cols in families:
        if set(cols) <= filled and not (set(cols) & used) and len(out) < MAX_EM_SESSIONS:
            out.append(rule_sql(cols))
            used |= set(cols)
    return out
