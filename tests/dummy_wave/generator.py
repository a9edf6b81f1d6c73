"""Generator of the dummy wave: people with wave-0 records (and a few without), one to three
records each; a population of half of them plus others, one record each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.records import extract, identified, issue_ids

PRODUCES = ("dummy_people", "dummy_pop")
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "dummy_people": ErrorProfile(name_case="upper"),
    "dummy_pop": ErrorProfile(name_case="title", postcode_missing=0.1),
}


def _records(rng: np.random.Generator, people: np.ndarray, per_person: int) -> pd.DataFrame:
    n = rng.integers(1, per_person + 1, len(people))
    idx = np.repeat(people, n)
    days = rng.integers(0, 9 * 365, len(idx))
    return pd.DataFrame({"person_idx": idx, "event_date": pd.Timestamp("2015-01-01")
                         + pd.to_timedelta(days, unit="D")})


def _extract(ctx: WorldContext, source: str, df: pd.DataFrame, key: str, person_key: str,
             rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    d = identified(ctx, source, issue_ids(rng, df, "event_date", source), rng)
    person_ids = {p: f"{source[:3].upper()}{i:07d}"
                  for i, p in enumerate(rng.permutation(d["person_idx"].unique()))}
    return extract(ctx, source, d, {
        key: d["record_id"], person_key: d["person_idx"].map(person_ids),
        "forename": d["id_forename"], "surname": d["id_surname"], "birth_date": d["id_dob"],
        "sex": d["id_sex"], "postcode": d["id_postcode"], "event_date": d["event_date"]})


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("dummy_wave")
    rp = ctx.tables["truth.record_person"]
    known = rp.loc[~rp["source_dataset"].str.startswith("npd"), "person_id"].dropna().unique()
    idx_of = pd.Series(np.arange(len(ctx.persons)), index=ctx.persons["person_id"])
    with_records = idx_of.reindex(known).dropna().astype(int).to_numpy()
    adults = np.flatnonzero(ctx.persons["dob"] < pd.Timestamp("2000-01-01"))
    people = np.union1d(rng.choice(with_records, len(with_records) // 2, replace=False),
                        rng.choice(adults, max(len(adults) // 100, 1), replace=False))
    pop = np.union1d(rng.choice(people, len(people) // 2, replace=False),
                     rng.choice(adults, max(len(adults) // 50, 1), replace=False))
    out = _extract(ctx, "dummy_people", _records(rng, people, 3), "person_row_id",
                   "dummy_person_id", rng)
    pop_out = _extract(ctx, "dummy_pop", _records(rng, pop, 1), "pop_row_id", "pop_person_id",
                       rng)
    out["raw.dummy_pop"] = pop_out["raw.dummy_pop"]
    out["truth.record_person"] = pd.concat([out["truth.record_person"],
                                            pop_out["truth.record_person"]], ignore_index=True)
    return out
