"""Lineage checks over built definitions: every asset something depends on has a producer.

dagster-dbt turns a dbt source that no asset writes (e.g. a new wave's `research.<link>` before
its linkage is declared) into an external asset that cannot be materialised, and
`dagster definitions validate` passes; the wave's job then fails at run time. `build_definitions`
refuses such definitions up front, naming each asset and what reads it.
"""

from __future__ import annotations

import dagster as dg


def missing_producers(defs: dg.Definitions) -> dict[str, list[str]]:
    """Assets read by others that no asset of `defs` materialises: key -> the assets reading it."""
    graph = defs.resolve_asset_graph()
    out: dict[str, list[str]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable and node.child_keys:
            out[key.to_user_string()] = sorted(c.to_user_string() for c in node.child_keys)
    return out


def require_producers(defs: dg.Definitions) -> dg.Definitions:
    """`defs`, or a ValueError naming each asset without a producer and its readers."""
    missing = missing_producers(defs)
    if missing:
        lines = "; ".join(f"{k} (read by {', '.join(v)})" for k, v in sorted(missing.items()))
        raise ValueError(f"{len(missing)} asset(s) are read but nothing produces them: {lines}. "
                         "Declare what writes each (a source's wave, a wave's link plans) in "
                         "bold_assets/catalog/")
    return defs
