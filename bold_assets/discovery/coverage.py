"""Coverage matrix: risk factor x wave x source, and whether the source gives a validated
measure or a proxy at that wave.

A source counts from its own wave on. It is `validated` for a factor when the discovery register
says it can validate it and the risk factor register uses a validated measure at that wave;
`proxy` when keyword discovery found candidate variables for the factor in it (declared sources)
or the register names it as able to validate a factor the wave still measures by proxy.

A source whose data rests on returns (a dataset with a table of link role "coverage" in the
catalogue, e.g. H-CLIC's `hclic_submissions`: which council returned each quarter) also says how
complete those returns are: `submission_coverage`, the share of submitter-periods (council-
quarters) whose return arrived, from `research.<table>`, and `coverage_note` (how many did not:
those councils' areas are published as "not covered" in the outputs, `bold_assets.coverage_gaps`).
Null, with a note, while the table is not materialised; null without one for other sources.
Which table, and its submitter, period and returned columns, come from its declaration: the
LAD column (`QualityProfile.lad_columns`), the event date, and its one Y/N-coded column.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from bold_assets.discovery.catalogue import dataset_of
from bold_assets.discovery.sources_register import validates
from bold_assets.warehouse import table_exists

COLUMNS = ["risk_factor", "wave", "source_id", "coverage", "register_measure_type",
           "candidate_variables", "submission_coverage", "coverage_note"]
COVERAGE_ROLE = "coverage"  # catalogue link role of a table of returns (model.LINK_ROLES)
YES_NO = {"Y", "N"}  # code set of the column saying whether a return arrived; "Y": it did
PERIODS = {"week": 7.0, "month": 30.44, "quarter": 91.31, "year": 365.25}


def coverage_tables(sources: Iterable) -> dict[str, list]:
    """Dataset -> its declared tables of returns (link role "coverage"), in declaration order."""
    out: dict[str, list] = {}
    for src in sources:
        if src.link_role == COVERAGE_ROLE:
            out.setdefault(dataset_of(src), []).append(src)
    return out


def return_columns(src) -> tuple[str, str, str]:
    """(submitter, period, returned) columns of a table of returns, from its declaration: its
    one LAD column, its event date, and its one column coded Y/N."""
    lads = tuple(src.quality.lad_columns)
    flags = [c for c, codes in src.codes.items() if set(codes) == YES_NO]
    if len(lads) != 1 or len(flags) != 1 or not src.event_date:
        raise ValueError(f"coverage table {src.name} must declare one LAD column (quality."
                         f"lad_columns: {lads}), an event date ({src.event_date!r}) and one "
                         f"Y/N-coded column ({flags})")
    return lads[0], src.event_date, flags[0]


def _period_word(periods: int, first, last) -> str:
    """'quarter' for periods about three months apart, and so on; 'period' otherwise."""
    if periods < 2 or first is None or last is None:
        return "period"
    gap = (pd.Timestamp(last) - pd.Timestamp(first)).days / (periods - 1)
    word, days = min(PERIODS.items(), key=lambda kv: abs(kv[1] - gap))
    return word if abs(days - gap) <= 0.25 * days else "period"


def submission_coverage(con, sources: Iterable, schema: str = "research") -> pd.DataFrame:
    """(source_id, submission_coverage, coverage_note) for each dataset with a table of returns:
    the share of submitter-periods whose return arrived, read from `schema.<table>`; null with a
    note when a table is not in the warehouse yet."""
    rows = []
    for dataset, tables in coverage_tables(sources).items():
        expected = arrived = 0
        words, missing = set(), []
        for src in tables:
            if not table_exists(con, schema, src.name):
                missing.append(f"{schema}.{src.name}")
                continue
            who, when, flag = return_columns(src)
            n, got, periods, first, last = con.execute(f"""
                SELECT count(*), count(*) FILTER (WHERE returned), count(DISTINCT period),
                       min(period), max(period)
                FROM (SELECT "{who}", "{when}" AS period,
                             bool_or(coalesce("{flag}" = 'Y', false)) AS returned
                      FROM {schema}."{src.name}"
                      WHERE "{who}" IS NOT NULL AND "{when}" IS NOT NULL GROUP BY ALL)
                """).fetchall()[0]
            expected, arrived = expected + n, arrived + got
            words.add(_period_word(periods, first, last))
        unit = f"council-{words.pop() if len(words) == 1 else 'period'}s"
        if missing:
            rows.append((dataset, None, f"{', '.join(missing)} not materialised yet: the share "
                         f"of {unit} with a return is unknown"))
        elif not expected:
            rows.append((dataset, None, f"no {unit} in the returns table"))
        else:
            gap = expected - arrived
            note = (f"{gap:,} of {expected:,} {unit} without a return: those councils' areas "
                    "are not covered in the outputs" if gap else
                    f"every one of {expected:,} {unit} has its return")
            rows.append((dataset, arrived / expected, note))
    return pd.DataFrame(rows, columns=["source_id", "submission_coverage", "coverage_note"]
                        ).astype({"submission_coverage": "float64", "coverage_note": object})


def coverage_matrix(register: pd.DataFrame, source_register: pd.DataFrame,
                    candidates: pd.DataFrame, submissions: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """(risk_factor, wave, source_id, coverage, register_measure_type, candidate_variables,
    submission_coverage, coverage_note); the last two from `submissions`
    (`submission_coverage`) for the sources it has, null for the others."""
    found = candidates.groupby(["risk_factor", "dataset"]).size().to_dict()
    measure = {(r.id, int(r.wave)): r.measure_type for r in register.itertuples()}
    rows = []
    for factor, wave in sorted(measure):
        for src in source_register.itertuples():
            if src.wave > wave:
                continue
            n = int(found.get((factor, src.source_id), 0))
            can_validate = factor in validates(pd.Series(src._asdict()))
            if can_validate and measure[(factor, wave)] == "validated":
                kind = "validated"
            elif n or can_validate:
                kind = "proxy"
            else:
                continue
            rows.append({"risk_factor": factor, "wave": wave, "source_id": src.source_id,
                         "coverage": kind, "register_measure_type": measure[(factor, wave)],
                         "candidate_variables": n})
    matrix = pd.DataFrame(rows, columns=COLUMNS[:6])
    subs = (submissions if submissions is not None else
            pd.DataFrame(columns=["source_id", "submission_coverage", "coverage_note"]))
    matrix = matrix.merge(subs[["source_id", "submission_coverage", "coverage_note"]],
                          on="source_id", how="left")
    matrix = matrix.astype({"submission_coverage": "float64", "coverage_note": object})
    matrix["coverage_note"] = matrix["coverage_note"].where(matrix["coverage_note"].notna(), None)
    return matrix[COLUMNS]


# DuckDB types of the matrix's columns (the warehouse table keeps them when a column is all null)
SQL_COLUMNS = ", ".join(f'"{c}"::{t} AS "{c}"' for c, t in zip(COLUMNS, (
    "VARCHAR", "BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "DOUBLE", "VARCHAR"),
    strict=True))


def pivot(matrix: pd.DataFrame) -> pd.DataFrame:
    """Factor x wave: the sources that validate it, else the proxies (for the UI)."""
    def cell(g: pd.DataFrame) -> str:
        val = sorted(g.loc[g["coverage"] == "validated", "source_id"])
        prox = sorted(g.loc[g["coverage"] == "proxy", "source_id"])
        return ("validated: " + ", ".join(val)) if val else ("proxy: " + ", ".join(prox))
    return (matrix.groupby(["risk_factor", "wave"]).apply(cell, include_groups=False)
            .unstack("wave").fillna("none"))
