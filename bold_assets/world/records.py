"""Turning clean event records into a source's extract: record ids, case numbers, identifiers
as the source records them, the source's column names, and the truth of who each record is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.sources import get_source
from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import PROFILES, make_identifiers

# Record id shape per source: prefix and first number. Ids are issued in event-date order.
ID_SHAPE = {"mags": ("D", 100_000_001), "crown": ("T", 40_000_001), "prison": ("J", 7_000_001),
            "probation": ("E", 2_500_000_001), "oasys": ("", 4_100_001),
            "family": ("FP", 30_000_001), "civil": ("CP", 60_000_001)}


def issue_ids(rng: np.random.Generator, df: pd.DataFrame, date_col: str,
              source: str) -> pd.DataFrame:
    """Shuffle, then number records in date order (ties at random), as a live system would.
    The row each record came from is kept as `source_row`."""
    df = df.rename_axis("source_row").sample(frac=1.0, random_state=rng.integers(2**31))
    df = df.reset_index()
    order = np.lexsort((rng.random(len(df)), df[date_col].to_numpy().astype("datetime64[D]")))
    df = df.iloc[order].reset_index(drop=True)
    prefix, start = ID_SHAPE[source]
    df["record_id"] = [f"{prefix}{start + i}" for i in range(len(df))]
    return df


def case_numbers(case_no: np.ndarray, fmt: str, rng: np.random.Generator) -> np.ndarray:
    """Stable case numbers: one per distinct case, in a random order."""
    uniq, inverse = np.unique(case_no, return_inverse=True)
    labels = np.array([fmt.format(i) for i in rng.permutation(len(uniq))], dtype=object)
    return labels[inverse]


def full_names(ids: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Party names as one string, in the shapes claim forms produce."""
    fn, sn = ids["forename"].fillna(""), ids["surname"].fillna("")
    pick = rng.random(len(ids))
    title = pd.Series(rng.choice(["Mr", "Ms", "Mrs", "Miss"], len(ids)))
    out = (fn + " " + sn).where(pick < 0.55, sn + ", " + fn)
    out = out.where(pick < 0.8, title + " " + fn + " " + sn)
    return out.str.strip(" ,").to_numpy(dtype=object)


def identified(ctx: WorldContext, source: str, records: pd.DataFrame, rng: np.random.Generator,
               role: np.ndarray | None = None) -> pd.DataFrame:
    """`records` with the identifiers the source holds, as columns `id_*`."""
    src = get_source(source)
    ids = make_identifiers(records, ctx.persons, ctx.addresses, PROFILES[source],
                           src.identifiers.dob_format, rng, src.event_date, role)
    return pd.concat([records.reset_index(drop=True), ids.add_prefix("id_")], axis=1)


def age_at(ctx: WorldContext, df: pd.DataFrame, date_col: str) -> np.ndarray:
    """Age in whole years of each record's person on `date_col`."""
    dob = ctx.persons["dob"].to_numpy().astype("datetime64[D]")[df["person_idx"].to_numpy()]
    days = (df[date_col].to_numpy().astype("datetime64[D]") - dob).astype(int)
    return np.floor(days / 365.25).astype(int)


def extract(ctx: WorldContext, source: str, df: pd.DataFrame,
            cols: dict[str, object]) -> dict[str, pd.DataFrame]:
    """The source's raw table (registry column order) and its truth.record_person rows."""
    out = pd.DataFrame({name: cols[name] for name in get_source(source).columns})
    out.index = df.index
    pid = ctx.persons["person_id"].to_numpy()
    idx = df["person_idx"].to_numpy()
    person = np.where(idx >= 0, pid[np.maximum(idx, 0)], None)
    truth = pd.DataFrame({"source_dataset": source, "record_id": df["record_id"].to_numpy(),
                          "person_id": person})
    return {f"raw.{source}": out, "truth.record_person": truth}
