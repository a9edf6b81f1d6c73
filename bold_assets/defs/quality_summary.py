"""Print the asset checks of the code location per schema, and how many are blocking.

    python -m bold_assets.defs.quality_summary

Great Expectations checks (one per expectation of `expectations/*.json`) are counted apart from
other checks (dbt tests). Suites whose table has no asset yet are listed: they get checks once
the asset exists.
"""

import dagster as dg

from bold_assets.quality.suites import load_suites


def check_counts(defs: dg.Definitions) -> dict[str, dict[str, int]]:
    """{schema: {tables, checks, blocking, other, other_blocking}}; `checks` are GX checks."""
    graph = defs.resolve_asset_graph()
    counts: dict[str, dict[str, int]] = {}
    tables: dict[str, set] = {}
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        schema = key.asset_key.path[0]
        row = counts.setdefault(schema, dict.fromkeys(
            ("tables", "checks", "blocking", "other", "other_blocking"), 0))  # fmt: skip
        if "expectation_type" in (spec.metadata or {}):
            row["checks"] += 1
            row["blocking"] += int(spec.blocking)
            tables.setdefault(schema, set()).add(key.asset_key)
        else:
            row["other"] += 1
            row["other_blocking"] += int(spec.blocking)
    for schema, keys in tables.items():
        counts[schema]["tables"] = len(keys)
    return dict(sorted(counts.items()))


def main() -> int:
    from bold_assets.definitions import defs

    counts = check_counts(defs)
    cols = ("tables", "checks", "blocking", "warning", "other", "other_blocking")
    print("Great Expectations asset checks per schema (other = dbt tests and other checks)")
    print(f"{'schema':<18}" + "".join(f"{c:>15}" for c in cols))
    total = dict.fromkeys(cols, 0)
    for schema, c in counts.items():
        c = {**c, "warning": c["checks"] - c["blocking"]}
        print(f"{schema:<18}" + "".join(f"{c[k]:>15}" for k in cols))
        total = {k: total[k] + c[k] for k in cols}
    print(f"{'total':<18}" + "".join(f"{total[k]:>15}" for k in cols))
    checked = {tuple(k.asset_key.path) for k in defs.resolve_asset_graph().asset_check_keys}
    waiting = [n for n, s in load_suites().items() if tuple(s.asset_key_path) not in checked]
    if waiting:
        print(f"suites whose table has no asset yet ({len(waiting)}): {', '.join(waiting)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
