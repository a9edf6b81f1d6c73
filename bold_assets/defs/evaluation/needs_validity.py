"""Evaluation of the wave-0 needs (group `evaluation`, the only readers of `truth.*`).

- `evaluation/needs_validity_wave_0`: per wave-0 flag, sensitivity, specificity and PPV against
  the latent truth. Each estimated person (an `estimated_xjs_id`, i.e. a medium cluster) is
  given the true person most of its records belong to (`linkage.person_clusters` +
  `truth.record_person`), and its flag is compared with that person's latent driver / outcome.
  Also among people with an OASys assessment, where the OASys-based flags can fire at all.
- `evaluation/linkage_sensitivity_lad_wave_0` and `..._subgroup_wave_0`: the linkage
  sensitivity pack: prevalence recomputed with persons clustered at the high and low thresholds
  (the mart's rows at `link_threshold` high / low), and its difference from medium, per LAD
  and per subgroup (sex, ethnic group, age band, IMD quintile).
- `evaluation/prevalence_by_imd_wave_0`: a chart of prevalence by IMD decile per measure, flagged
  vs latent truth, and the flag-validity chart, as PNGs shown in the UI.

These tables are internal evaluation outputs with exact counts: not disclosure-controlled, not
for publication (the published aggregates are `outputs/*`).
"""

import base64
import io
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd

from bold_assets import register
from bold_assets import warehouse as wh
from bold_assets.defs.metadata import column_schema
from bold_assets.defs.resources import WarehouseResource

WAVE = 0
MART_KEY = dg.AssetKey(["marts", f"person_needs_wave_{WAVE}"])
MART = ".".join(MART_KEY.path)
THRESHOLDS = ("medium", "high", "low")  # the mart's link_threshold values; medium is published
CLUSTERS = dg.AssetKey(["linkage", "person_clusters"])
XJS_LINK = dg.AssetKey(["research", "xjs_link"])
TRUTH = [dg.AssetKey(["truth", "persons"]), dg.AssetKey(["truth", "record_person"])]
VALIDITY_KEY = dg.AssetKey(["evaluation", "needs_validity_wave_0"])
SENS_LAD_KEY = dg.AssetKey(["evaluation", "linkage_sensitivity_lad_wave_0"])
SENS_SUB_KEY = dg.AssetKey(["evaluation", "linkage_sensitivity_subgroup_wave_0"])
IMD_KEY = dg.AssetKey(["evaluation", "prevalence_by_imd_wave_0"])
SUBGROUPS = ("sex", "ethnic_group", "age_band", "imd_quintile")


# Truth for estimated persons -----------------------------------------------------------------


def record_hashes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(source_dataset, record_id, row_id_hash) for every clustered record.

    The research zone knows records only by `row_id_hash` (the project-keyed HMAC of the source
    key) and the identifier zone only by `record_id`; `bold_assets.pseudonymise` computes one
    from the other, here in SQL on the warehouse connection.
    """
    from bold_assets import pseudonymise as ps
    from bold_assets.settings import get_settings
    from bold_assets.sources import SOURCES

    ps.register_hmac(con, ps.project_key(get_settings()))
    parts = " UNION ALL ".join(
        f"""SELECT DISTINCT source_dataset, record_id,
                   {ps.hash_expr(name, src.key, 'record_id')} AS row_id_hash
            FROM linkage.person_clusters WHERE source_dataset = '{name}'"""
        for name, src in SOURCES.items())
    return con.execute(parts).df()


def estimated_person_truth(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """estimated_xjs_id -> true person_id (modal over the cluster's records) and its purity."""
    con.register("_rec_hash", record_hashes(con))
    try:
        return con.execute("""
            WITH rec AS (
                SELECT x.estimated_xjs_id, r.person_id
                FROM research.xjs_link AS x
                JOIN _rec_hash AS h USING (source_dataset, row_id_hash)
                JOIN truth.record_person AS r
                  ON r.source_dataset = h.source_dataset AND r.record_id = h.record_id
                WHERE r.person_id IS NOT NULL
            ), counts AS (
                SELECT estimated_xjs_id, person_id, count(*) AS n FROM rec GROUP BY ALL
            )
            SELECT estimated_xjs_id,
                   arg_max(person_id, n ORDER BY person_id) AS person_id,
                   max(n) / sum(n) AS purity
            FROM counts GROUP BY estimated_xjs_id
        """).df()
    finally:
        con.unregister("_rec_hash")


def _rates(flag: pd.Series, truth: pd.Series) -> dict:
    f, t = flag.astype(bool), truth.astype(bool)
    tp, fp = int((f & t).sum()), int((f & ~t).sum())
    fn, tn = int((~f & t).sum()), int((~f & ~t).sum())

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else np.nan

    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "sensitivity": ratio(tp, tp + fn),
            "specificity": ratio(tn, tn + fp), "ppv": ratio(tp, tp + fp)}


def flag_validity(joined: pd.DataFrame, measures: tuple[str, ...]) -> pd.DataFrame:
    """Per measure: validity over all estimated persons and over those with an OASys assessment.

    `joined` has the mart's flags and, per measure, `truth_<measure>` (latent boolean).
    """
    types = register.measure_types(WAVE)
    names = register.measure_names()
    rows = []
    assessed = joined["has_oasys_assessment"].astype(bool)
    for m in measures:
        all_ = _rates(joined[m], joined[f"truth_{m}"])
        sub = _rates(joined.loc[assessed, m], joined.loc[assessed, f"truth_{m}"])
        rows.append({
            "measure": m, "name": names[m], "measure_type": types[m], "persons": len(joined),
            "flag_prevalence": round(float(joined[m].mean()), 4),
            "true_prevalence": round(float(joined[f"truth_{m}"].mean()), 4),
            **all_,
            "assessed_persons": int(assessed.sum()),
            "sensitivity_assessed": sub["sensitivity"],
            "specificity_assessed": sub["specificity"],
            "ppv_assessed": sub["ppv"],
        })
    return pd.DataFrame(rows)


def validity_frame(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mart joined to latent truth, validity table)."""
    measures = register.wave_measures(WAVE)
    con.register("_truth_map", estimated_person_truth(con))
    try:
        truth_cols = ", ".join(f"p.{m} AS truth_{m}" for m in measures)
        joined = con.execute(f"""
            SELECT m.*, t.person_id, t.purity, {truth_cols}
            FROM {MART} AS m
            JOIN _truth_map AS t USING (estimated_xjs_id)
            JOIN truth.persons AS p USING (person_id)
            WHERE m.link_threshold = 'medium'
        """).df()
    finally:
        con.unregister("_truth_map")
    if joined.empty:
        n = con.execute(f"SELECT count(*) FROM {MART} WHERE link_threshold = 'medium'"
                        ).fetchall()[0][0]
        if n:
            raise RuntimeError(
                f"none of the {n} estimated persons matched a clustered record: the project key "
                "differs from the one that built research.xjs_link (BOLD_PROJECT_KEY, or "
                "project.key beside BOLD_WAREHOUSE); set the same key and re-run")
    return joined, flag_validity(joined, measures)


# Linkage sensitivity pack --------------------------------------------------------------------


def _prevalence(con: duckdb.DuckDBPyConnection, by: str, measures: tuple[str, ...]
                ) -> pd.DataFrame:
    """Long prevalence per (threshold, group, measure) from the mart's three thresholds."""
    avg = ", ".join(f"avg({m}::INTEGER) AS {m}" for m in measures)
    parts = []
    for threshold in THRESHOLDS:
        df = con.execute(f"""
            SELECT {by} AS grp, count(*) AS persons, {avg}
            FROM (SELECT *, CAST(ceil(imd_decile / 2.0) AS INTEGER) AS imd_quintile
                  FROM {MART} WHERE link_threshold = ?)
            WHERE {by} IS NOT NULL GROUP BY ALL
        """, [threshold]).df()
        long = df.melt(id_vars=["grp", "persons"], var_name="measure", value_name="prevalence")
        parts.append(long.assign(threshold=threshold))
    return pd.concat(parts, ignore_index=True)


def sensitivity_table(prev: pd.DataFrame) -> pd.DataFrame:
    """Wide: persons and prevalence at each threshold, and high/low minus medium."""
    wide = prev.pivot_table(index=["grp", "measure"], columns="threshold",
                            values=["persons", "prevalence"], aggfunc="first")
    wide.columns = [f"{v}_{t}" for v, t in wide.columns]
    wide = wide.reset_index()
    for t in ("high", "low"):
        wide[f"diff_{t}"] = (wide[f"prevalence_{t}"] - wide["prevalence_medium"]).round(4)
    for c in wide.columns:
        if c.startswith("prevalence_"):
            wide[c] = wide[c].round(4)
    return wide


def linkage_sensitivity(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    measures = register.wave_measures(WAVE)
    lad = sensitivity_table(_prevalence(con, "lad_code", measures)).rename(
        columns={"grp": "lad_code"})
    names = con.execute("SELECT DISTINCT lad_code, lad_name FROM reference.lsoa").df()
    lad = names.merge(lad, on="lad_code", how="right")
    subs = []
    for s in SUBGROUPS:
        t = sensitivity_table(_prevalence(con, s, measures))
        subs.append(t.assign(subgroup_type=s, subgroup=t["grp"].astype(str)).drop(columns="grp"))
    sub = pd.concat(subs, ignore_index=True)
    sub = sub[["subgroup_type", "subgroup"] + [c for c in sub.columns
                                               if c not in ("subgroup_type", "subgroup")]]
    return lad, sub


def sensitivity_summary(lad: pd.DataFrame, sub: pd.DataFrame) -> pd.DataFrame:
    """Per measure: largest and mean absolute LAD difference, and largest subgroup difference."""
    out = []
    for m, g in lad.groupby("measure", sort=False):
        s = sub[sub["measure"] == m]
        out.append({
            "measure": m,
            "lad_max_abs_diff_high": g["diff_high"].abs().max(),
            "lad_max_abs_diff_low": g["diff_low"].abs().max(),
            "lad_mean_abs_diff_high": round(g["diff_high"].abs().mean(), 4),
            "lad_mean_abs_diff_low": round(g["diff_low"].abs().mean(), 4),
            "subgroup_max_abs_diff_high": s["diff_high"].abs().max(),
            "subgroup_max_abs_diff_low": s["diff_low"].abs().max(),
        })
    return pd.DataFrame(out)


# Pictures ------------------------------------------------------------------------------------


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def imd_chart(by_imd: pd.DataFrame) -> bytes:
    """Small multiples: flagged vs latent prevalence by IMD decile, one panel per measure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = register.measure_names()
    measures = list(dict.fromkeys(by_imd["measure"]))
    cols = 4
    rows = int(np.ceil(len(measures) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharex=True)
    for ax, m in zip(np.ravel(axes), measures, strict=False):
        d = by_imd[by_imd["measure"] == m].sort_values("imd_decile")
        ax.plot(d["imd_decile"], d["flag_prevalence"], marker="o", label="flagged (wave 0)")
        if "true_prevalence" in d:
            ax.plot(d["imd_decile"], d["true_prevalence"], ls="--", label="latent truth")
        ax.set_title(names.get(m, m), fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_xticks(range(1, 11))
        ax.tick_params(labelsize=7)
    for ax in np.ravel(axes)[len(measures):]:
        ax.axis("off")
    np.ravel(axes)[0].legend(fontsize=7)
    fig.supxlabel("IMD decile (1 = most deprived)")
    fig.supylabel("share of estimated persons")
    fig.suptitle("Wave 0 needs and outcomes by deprivation")
    data = _png(fig)
    plt.close(fig)
    return data


def validity_chart(validity: pd.DataFrame) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v = validity.set_index("name")[["sensitivity", "specificity", "ppv"]]
    fig, ax = plt.subplots(figsize=(9, 5))
    v.plot.barh(ax=ax, width=0.8)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("against latent truth (all estimated persons)")
    ax.set_title("Wave 0 flag validity")
    ax.set_ylabel("")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    data = _png(fig)
    plt.close(fig)
    return data


def by_imd_table(joined: pd.DataFrame, measures: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for m in measures:
        g = joined.dropna(subset=["imd_decile"]).groupby("imd_decile")
        d = pd.DataFrame({"persons": g.size(), "flag_prevalence": g[m].mean(),
                          "true_prevalence": g[f"truth_{m}"].mean()}).reset_index()
        rows.append(d.assign(measure=m))
    out = pd.concat(rows, ignore_index=True)
    out["imd_decile"] = out["imd_decile"].astype(int)
    return out[["measure", "imd_decile", "persons", "flag_prevalence", "true_prevalence"]].round(4)


def _img_md(png: bytes, alt: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def _reports_dir(warehouse_path: str | Path) -> Path:
    d = Path(warehouse_path).resolve().parent / "reports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _write(con, key: dg.AssetKey, frame: pd.DataFrame) -> int:
    return wh.replace_table_from(con, key.path[0], key.path[1], frame)


# Assets --------------------------------------------------------------------------------------


@dg.multi_asset(
    name="wave_0_needs_validity",
    specs=[
        dg.AssetSpec(VALIDITY_KEY, group_name="evaluation", kinds={"duckdb"},
                     deps=[MART_KEY, CLUSTERS, XJS_LINK, *TRUTH],
                     description="Sensitivity, specificity and PPV of each wave-0 flag against "
                                 "the latent truth."),
        dg.AssetSpec(IMD_KEY, group_name="evaluation", kinds={"duckdb"},
                     deps=[MART_KEY, CLUSTERS, XJS_LINK, *TRUTH],
                     description="Prevalence by IMD decile per measure, flagged vs latent "
                                 "truth (chart)."),
    ],
)
def wave_0_needs_validity(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        joined, validity = validity_frame(con)
        by_imd = by_imd_table(joined, register.wave_measures(WAVE))
        n_val = _write(con, VALIDITY_KEY, validity)
        n_imd = _write(con, IMD_KEY, by_imd)
        schemas = {k: column_schema(con, ".".join(k.path)) for k in (VALIDITY_KEY, IMD_KEY)}
    reports = _reports_dir(warehouse.file)
    v_png, i_png = validity_chart(validity), imd_chart(by_imd)
    (reports / "needs_validity_wave_0.png").write_bytes(v_png)
    (reports / "prevalence_by_imd_wave_0.png").write_bytes(i_png)
    show = validity[["measure", "measure_type", "flag_prevalence", "true_prevalence",
                     "sensitivity", "specificity", "ppv", "sensitivity_assessed"]]
    yield dg.MaterializeResult(asset_key=VALIDITY_KEY, metadata={
        "dagster/row_count": n_val,
        "dagster/column_schema": schemas[VALIDITY_KEY],
        "estimated_persons": len(joined),
        "mean_cluster_purity": round(float(joined["purity"].mean()), 4),
        "validity": dg.MetadataValue.md(show.to_markdown(index=False)),
        "chart": _img_md(v_png, "flag validity"),
        "chart_file": dg.MetadataValue.path(str(reports / "needs_validity_wave_0.png")),
    })
    yield dg.MaterializeResult(asset_key=IMD_KEY, metadata={
        "dagster/row_count": n_imd,
        "dagster/column_schema": schemas[IMD_KEY],
        "chart": _img_md(i_png, "prevalence by IMD decile"),
        "chart_file": dg.MetadataValue.path(str(reports / "prevalence_by_imd_wave_0.png")),
    })


@dg.multi_asset(
    name="wave_0_linkage_sensitivity",
    specs=[
        dg.AssetSpec(SENS_LAD_KEY, group_name="evaluation", kinds={"duckdb"},
                     deps=[MART_KEY, dg.AssetKey(["reference", "lsoa"])],
                     description="LAD prevalence with persons clustered at the high and low "
                                 "thresholds, and its difference from medium."),
        dg.AssetSpec(SENS_SUB_KEY, group_name="evaluation", kinds={"duckdb"},
                     deps=[MART_KEY],
                     description="Prevalence by subgroup (sex, ethnic group, age band, IMD "
                                 "quintile) at each threshold, and its difference from medium."),
    ],
)
def wave_0_linkage_sensitivity(context: dg.AssetExecutionContext,
                               warehouse: WarehouseResource):
    with warehouse.connect() as con:
        lad, sub = linkage_sensitivity(con)
        n_lad = _write(con, SENS_LAD_KEY, lad)
        n_sub = _write(con, SENS_SUB_KEY, sub)
        schemas = {k: column_schema(con, ".".join(k.path)) for k in (SENS_LAD_KEY, SENS_SUB_KEY)}
    summary = sensitivity_summary(lad, sub)
    persons = lad.groupby("measure").first()[["persons_high", "persons_medium", "persons_low"]]
    yield dg.MaterializeResult(asset_key=SENS_LAD_KEY, metadata={
        "dagster/row_count": n_lad,
        "dagster/column_schema": schemas[SENS_LAD_KEY],
        "summary": dg.MetadataValue.md(summary.to_markdown(index=False)),
        "max_abs_diff_high": float(summary["lad_max_abs_diff_high"].max()),
        "max_abs_diff_low": float(summary["lad_max_abs_diff_low"].max()),
        "persons_in_first_lad": dg.MetadataValue.md(persons.head(1).to_markdown()),
    })
    worst = sub.assign(abs_low=sub["diff_low"].abs()).nlargest(10, "abs_low").drop(
        columns="abs_low")
    yield dg.MaterializeResult(asset_key=SENS_SUB_KEY, metadata={
        "dagster/row_count": n_sub,
        "dagster/column_schema": schemas[SENS_SUB_KEY],
        "largest_low_threshold_shifts": dg.MetadataValue.md(worst.to_markdown(index=False)),
    })


defs = dg.Definitions(assets=[wave_0_needs_validity, wave_0_linkage_sensitivity])
