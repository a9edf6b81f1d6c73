"""Asset keys of the per-source layers (one place, so wave modules and factories agree)."""

from __future__ import annotations

import dagster as dg


def raw_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source])


def std_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["linkage", f"std_{source}"])


def research_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["research", source])


LSOA_KEY = dg.AssetKey(["reference", "lsoa"])
POSTCODES_KEY = dg.AssetKey(["reference", "postcodes"])
