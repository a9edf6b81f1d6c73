"""Turning clean event records into a source's extract: record ids, case numbers, identifiers
as the source records them, the source's column names, and the truth of who each record is."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd

from bold_assets.sources import get_source
from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile, make_identifiers


def _declared_in(source: str) -> str:
    """The catalogue module declaring `source` (a placeholder when none does)."""
    from bold_assets.catalog.sources import MODULES

    for module in MODULES:
        declared = importlib.import_module(f"bold_assets.catalog.sources.{module}").DECLARED
        if any(s.name == source for s in declared):
            return f"bold_assets/catalog/sources/{module}.py"
    return "bold_assets/catalog/sources/<module>.py"


def error_profile(source: str) -> ErrorProfile:
    """The identifier error profile of `source`: `ERROR_PROFILES[source]` of its declared
    generator module."""
    generator = get_source(source).generator
    if not generator:
        raise ValueError(f"source {source!r} declares no generator: set generator= in "
                         f"{_declared_in(source)}")
    profiles = getattr(importlib.import_module(generator), "ERROR_PROFILES", {})
    if source not in profiles:
        raise ValueError(
            f"generator {generator} has no error profile for source {source!r}: declare "
            f"ERROR_PROFILES: dict[str, ErrorProfile] = {{{source!r}: ErrorProfile(...)}} in "
            f"{generator.replace('.', '/')}.py")
    return profiles[source]


def issue_ids(rng: np.random.Generator, df: pd.DataFrame, date_col: str,
              source: str) -> pd.DataFrame:
    """Shuffle, then number records in date order (ties at random), as a live system would.
    The row each record came from is kept as `source_row`; ids follow the source's declared
    `record_id_shape` (prefix, first number)."""
    shape = get_source(source).record_id_shape
    if shape is None:
        raise ValueError(f"source {source!r} has no record id shape: declare "
                         f"record_id_shape=(prefix, first_number) in {_declared_in(source)}")
    df = df.rename_axis("source_row").sample(frac=1.0, random_state=rng.integers(2**31))
    df = df.reset_index()
    order = np.lexsort((rng.random(len(df)), df[date_col].to_numpy().astype("datetime64[D]")))
    df = df.iloc[order].reset_index(drop=True)
    prefix, start = shape
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
    """`records` with the identifiers the source holds, as columns `id_*` (`id_<kind>` for each
    declared national id, its errors drawn from the stream `<source>.national_ids`)."""
    src = get_source(source)
    kinds = tuple(src.identifiers.national_ids)
    ids = make_identifiers(records, ctx.persons, ctx.addresses, error_profile(source),
                           src.identifiers.dob_format, rng, src.event_date, role,
                           national_ids=kinds, seed=ctx.seed,
                           id_rng=ctx.rng(f"{source}.national_ids") if kinds else None)
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
