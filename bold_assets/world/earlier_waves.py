"""What the earlier waves (0-2) say about each person, for the wave-3 mortality model.

The generators of waves 0-2 know nothing of deaths, so a person is alive on every date their
earlier-wave rows carry: `last_records` takes each person's latest date in raw.<source> of those
waves (every date column but the ends of spells, `SPELL_ENDS`: a supervision terminated, a claim
or job ended, a case closed may follow a death), reaching persons through truth.record_person or,
for attribute tables (benefit and employment spells, PNC offences, NPD tables), through their
parent's key (`record_persons`). `supervision_periods` gives the probation extract's supervision
periods, merged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.sources import SOURCES
from bold_assets.world.context import WorldContext
from bold_assets.world.labour_market import WORLD_END, day_numbers, merge_intervals

SPELL_ENDS = frozenset({"termination_date", "enddate", "cin_cinclosuredate", "cla_dec"})
NO_RECORD = -(10**7)


def _person_index(ctx: WorldContext, source: str) -> pd.Series:
    """person_idx (-1: none) of each record of `source`, by record id (truth.record_person)."""
    rp = ctx.tables["truth.record_person"]
    rows = rp[rp["source_dataset"].to_numpy() == source]
    idx = pd.Index(ctx.persons["person_id"]).get_indexer(rows["person_id"])
    return pd.Series(idx, index=rows["record_id"].to_numpy())


def record_persons(ctx: WorldContext, source: str) -> np.ndarray:
    """person_idx of each row of raw.<source> (-1: unknown), directly through its truth rows or
    through its parent's key."""
    src = SOURCES[source]
    df = ctx.tables[f"raw.{source}"]
    if src.parent is None:
        return _person_index(ctx, source).reindex(df[src.key]).fillna(-1).to_numpy(np.int64)
    parent = SOURCES[src.parent]
    pdf = ctx.tables[f"raw.{parent.name}"]
    by_key = pd.Series(record_persons(ctx, parent.name), index=pdf[src.parent_key].to_numpy())
    by_key = by_key[(by_key >= 0).to_numpy()]
    by_key = by_key[~by_key.index.duplicated()]
    return by_key.reindex(df[src.parent_key]).fillna(-1).to_numpy(np.int64)


def last_records(ctx: WorldContext, before_wave: int = 3) -> np.ndarray:
    """Day number of each person's latest earlier-wave date (NO_RECORD: none)."""
    out = np.full(len(ctx.persons), NO_RECORD, dtype=np.int64)
    for src in SOURCES.values():
        if src.wave >= before_wave or f"raw.{src.name}" not in ctx.tables:
            continue
        df = ctx.tables[f"raw.{src.name}"]
        cols = [c for c in src.date_columns if c not in SPELL_ENDS]
        days = np.stack([np.where(df[c].isna().to_numpy(), NO_RECORD, day_numbers(df[c]))
                         for c in cols]).max(axis=0)
        person = record_persons(ctx, src.name)
        ok = person >= 0
        np.maximum.at(out, person[ok], days[ok])
    return out


def supervision_periods(ctx: WorldContext) -> pd.DataFrame:
    """Merged probation supervision periods: person, start, end (day numbers; open: the end of
    2023)."""
    prob = ctx.tables["raw.probation"]
    person = record_persons(ctx, "probation")
    end = np.minimum(day_numbers(prob["termination_date"]), WORLD_END)
    ok = person >= 0
    p, s, e = merge_intervals(person[ok], day_numbers(prob["referral_date"])[ok], end[ok])
    return pd.DataFrame({"person": p, "start": s, "end": e})
