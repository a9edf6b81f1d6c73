"""The world as at a snapshot date: what the extracts held on that day.

A live system's extract at date S holds the records whose event happened by S, with identifier
values as recorded by S. The generated world holds every record with its final (corrected)
values; a snapshot filters it and puts back the values first recorded on records whose
correction came after S. Later snapshots are therefore the earlier ones plus new records plus
corrections.

Correction rates (stated, per record; drawn once per world so every snapshot agrees):

| correction                 | share of records | what the record first carried        |
|----------------------------|------------------|--------------------------------------|
| DOB typo fixed             | 0.4%             | one digit of the DOB keyed wrongly   |
| surname change recorded    | 0.3%             | the previous surname (another name)  |
| postcode update            | 0.3%             | the previous address's postcode      |

Each correction lands a delay after the event (exponential, mean `CORRECTION_MEAN_DAYS`):
data-quality fixes trickle in over weeks, as they do in HMCTS and HMPPS case systems.
Truth (`truth.record_person`, `truth.mags_crown_journey`) is cut to the records of the snapshot,
so every snapshot has its own complete truth; persons and addresses are the whole world's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from bold_assets.sources import SOURCE_NAMES, get_source
from bold_assets.world.population import WORLD_END

CORRECTION_RATES = {"dob_typo": 0.004, "surname_change": 0.003, "postcode_update": 0.003}
CORRECTION_MEAN_DAYS = 42


def world_end_date() -> dt.date:
    """The last day of the synthetic world: the default snapshot date."""
    return pd.Timestamp(WORLD_END).date()


def _days(values: pd.Series) -> np.ndarray:
    """Dates as datetime64[D] (no per-value parsing when they are datetimes already)."""
    if np.issubdtype(values.dtype, np.datetime64):
        return values.to_numpy().astype("datetime64[D]")
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def _corrections(df: pd.DataFrame, source: str, seed: int) -> pd.DataFrame:
    """Records of `source` first recorded wrongly: kind, corrected-on date, first value."""
    src = get_source(source)
    ids = src.identifiers
    rng = np.random.default_rng([seed, SOURCE_NAMES.index(source), 8])
    n = len(df)
    u = rng.random(n)
    cuts = np.cumsum(list(CORRECTION_RATES.values()))
    kind = np.select([u < cuts[0], u < cuts[1], u < cuts[2]], list(CORRECTION_RATES), "")
    lag = np.ceil(rng.exponential(CORRECTION_MEAN_DAYS, n)).astype("timedelta64[D]")
    donor = rng.integers(0, max(n, 1), n)  # another record of the source: its surname/postcode
    event = _days(df[src.event_date])
    out = []
    plans = {"dob_typo": ids.dob, "surname_change": ids.surname, "postcode_update": ids.postcode}
    for k, col in plans.items():
        rows = np.flatnonzero((kind == k) & ~np.isnat(event))
        if col is None or not len(rows):
            continue
        final = df[col].to_numpy(dtype=object)[rows]
        if k == "dob_typo":
            first = np.array([_typo(v) for v in final], dtype=object)
        else:
            first = df[col].to_numpy(dtype=object)[donor[rows]]
        keep = pd.notna(final) & pd.notna(first) & (first != final)
        rows = rows[keep]
        out.append(pd.DataFrame({"row": rows, "kind": k, "column": col,
                                 "corrected_on": event[rows] + lag[rows],
                                 "first_value": first[keep]}))
    if not out:
        return pd.DataFrame(columns=["row", "kind", "column", "corrected_on", "first_value"])
    return pd.concat(out, ignore_index=True)


def _typo(value: object) -> object:
    """One digit keyed wrongly: the last digit of the DOB string moved on by one."""
    if not isinstance(value, str):
        return None
    pos = max((i for i, ch in enumerate(value) if ch.isdigit()), default=None)
    if pos is None:
        return None
    return value[:pos] + str((int(value[pos]) + 1) % 10) + value[pos + 1:]


def snapshot_tables(tables: dict[str, pd.DataFrame], snapshot_date: dt.date | str,
                    seed: int) -> dict[str, pd.DataFrame]:
    """The world's tables as at `snapshot_date` (see module docs); the input is not changed."""
    cut = np.datetime64(pd.Timestamp(snapshot_date).date(), "D")
    out = dict(tables)
    present: list[pd.DataFrame] = []
    for source in SOURCE_NAMES:
        key = f"raw.{source}"
        if key not in tables:
            continue
        src = get_source(source)
        df = tables[key]
        event = _days(df[src.event_date])
        fixes = _corrections(df, source, seed)
        pending = fixes[fixes["corrected_on"].to_numpy().astype("datetime64[D]") > cut]
        if len(pending):
            df = df.copy()
            for col, grp in pending.groupby("column"):
                values = df[col].to_numpy(dtype=object).copy()
                values[grp["row"].to_numpy()] = grp["first_value"].to_numpy()
                df[col] = values
        keep = event <= cut
        out[key] = df[keep].reset_index(drop=True)
        present.append(pd.DataFrame({"source_dataset": source,
                                     "record_id": df.loc[keep, src.key].astype(str).to_numpy()}))
    if "truth.record_person" in tables and present:
        rp = tables["truth.record_person"]
        ids = pd.concat(present, ignore_index=True)
        keep = np.zeros(len(rp), dtype=bool)
        for source, grp in ids.groupby("source_dataset"):
            mine = (rp["source_dataset"] == source).to_numpy()
            keep[mine] = rp.loc[mine, "record_id"].isin(grp["record_id"]).to_numpy()
        out["truth.record_person"] = rp[keep].reset_index(drop=True)
        if "truth.mags_crown_journey" in tables:
            j = tables["truth.mags_crown_journey"]
            mags = set(ids.loc[ids["source_dataset"] == "mags", "record_id"])
            crown = set(ids.loc[ids["source_dataset"] == "crown", "record_id"])
            out["truth.mags_crown_journey"] = j[j["defendant_id"].isin(mags)
                                                & j["defendant_on_case_id"].isin(crown)
                                                ].reset_index(drop=True)
    return out


def correction_log(tables: dict[str, pd.DataFrame], seed: int) -> pd.DataFrame:
    """Every correction of the world (source, record id, kind, corrected_on): for benchmarks."""
    parts = []
    for source in SOURCE_NAMES:
        df = tables.get(f"raw.{source}")
        if df is None:
            continue
        fixes = _corrections(df, source, seed)
        key = get_source(source).key
        parts.append(pd.DataFrame({
            "source_dataset": source,
            "record_id": df[key].astype(str).to_numpy()[fixes["row"].to_numpy()],
            "kind": fixes["kind"].to_numpy(), "corrected_on": fixes["corrected_on"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


SNAPSHOT_TABLE = "raw.extract_snapshot"


def write_snapshot_date(con: Any, snapshot_date: dt.date, landed: bool = False) -> None:
    """Record which snapshot the raw tables hold (one row), for the assets downstream."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(f"CREATE OR REPLACE TABLE {SNAPSHOT_TABLE} AS SELECT ?::DATE AS snapshot_date, "
                "?::BOOLEAN AS landed", [snapshot_date, landed])


def read_snapshot_date(con: Any) -> dt.date:
    """The snapshot the raw tables hold; the world's end if no snapshot was recorded."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                         "AND table_name = 'extract_snapshot'").fetchall()[0][0]
    if not exists:
        return world_end_date()
    return con.execute(f"SELECT snapshot_date FROM {SNAPSHOT_TABLE}").fetchall()[0][0]
