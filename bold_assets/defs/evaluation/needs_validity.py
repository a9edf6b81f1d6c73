"""Evaluation of each wave's needs (group `evaluation`, the only readers of `truth.*`).

Built per wave by one factory (`build_wave(wave)`) for every wave with a person mart
(`catalog.dbt.wave_links`, from the catalogue), no copy per wave:
- `evaluation/needs_validity_wave_<n>`: per flag of the wave, sensitivity, specificity and PPV
  against the latent truth. Each estimated person (an `estimated_xjs_id`, i.e. a medium cluster)
  is given the true person most of its records belong to (the link tables of waves <= n +
  `truth.record_person`), and its flag is compared with that person's latent driver / outcome.
  Also among people with an OASys assessment, where the OASys-based flags can fire at all.
- `evaluation/linkage_sensitivity_lad_wave_<n>` and `..._subgroup_wave_<n>`: the linkage
  sensitivity pack, for waves whose mart has the high and low thresholds besides medium:
  prevalence recomputed with persons clustered at the high and low thresholds (the mart's rows
  at `link_threshold` high / low), and its difference from medium, per LAD and per subgroup
  (sex, ethnic group, age band, IMD quintile). Wave 1 links into the persistent spine at one
  threshold (medium), so it has no pack of its own: its records inherit wave 0's spine.
- `evaluation/prevalence_by_imd_wave_<n>`: a chart of prevalence by IMD decile per measure,
  flagged vs latent truth, and the flag-validity chart, as PNGs shown in the UI.
- `evaluation/needs_validity_by_wave`: wave against wave, per measure, sensitivity, specificity
  and PPV of each wave and the change from the first wave.

These tables are internal evaluation outputs with exact counts: not disclosure-controlled, not
for publication (the published aggregates are `outputs/*`).
"""

import io

import dagster as dg
import duckdb
import numpy as np
import pandas as pd

from bold_assets import register
from bold_assets import warehouse as wh
from bold_assets.defs.metadata import column_schema
from bold_assets.defs.paths import path_value
from bold_assets.defs.resources import WarehouseResource
from bold_assets.estimates import charts

THRESHOLDS = ("medium", "high", "low")  # the sensitivity pack's thresholds; medium is published
CLUSTERS = dg.AssetKey(["linkage", "person_clusters"])
TRUTH = [dg.AssetKey(["truth", "persons"]), dg.AssetKey(["truth", "record_person"])]
COMPARE_KEY = dg.AssetKey(["evaluation", "needs_validity_by_wave"])
SUBGROUPS = ("sex", "ethnic_group", "age_band", "imd_quintile")


def wave_links() -> list[dict]:
    """Per wave with a person mart: its link table and thresholds (`catalog.dbt.wave_links`)."""
    from bold_assets.catalog.dbt import wave_links as links

    return sorted(links(), key=lambda w: int(w["wave"]))


def mart_table(wave: int) -> str:
    return f"marts.person_needs_wave_{wave}"


def link_tables(wave: int) -> tuple[str, ...]:
    """research.<link> of every wave up to `wave`: its persons' records."""
    return tuple(f"research.{w['link']}" for w in wave_links() if int(w["wave"]) <= wave)


def key(name: str, wave: int) -> dg.AssetKey:
    return dg.AssetKey(["evaluation", f"{name}_wave_{wave}"])


# Truth for estimated persons -----------------------------------------------------------------


def record_hashes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(source_dataset, record_id, row_id_hash) for every record with a true person.

    The research zone knows records only by `row_id_hash` (the project-keyed HMAC of the source
    key) and the identifier zone only by `record_id`; `bold_assets.pseudonymise` computes one
    from the other, here in SQL on the warehouse connection.
    """
    from bold_assets import pseudonymise as ps
    from bold_assets.catalog import PERSON_ROLES
    from bold_assets.settings import get_settings
    from bold_assets.sources import SOURCES

    ps.register_hmac(con, ps.project_key(get_settings()))
    parts = " UNION ALL ".join(
        f"""SELECT DISTINCT source_dataset, record_id,
                   {ps.hash_expr(name, src.key, 'record_id')} AS row_id_hash
            FROM truth.record_person WHERE source_dataset = '{name}'"""
        for name, src in SOURCES.items() if src.link_role in PERSON_ROLES)
    return con.execute(parts).df()


def estimated_person_truth(con: duckdb.DuckDBPyConnection, wave: int = 0) -> pd.DataFrame:
    """estimated_xjs_id -> true person_id (modal over the records of the person in the link
    tables of waves <= `wave`) and its purity."""
    links = " UNION ALL ".join(f"SELECT source_dataset, row_id_hash, estimated_xjs_id FROM {t}"
                               for t in (link_tables(wave) or ("research.xjs_link",)))
    con.register("_rec_hash", record_hashes(con))
    try:
        return con.execute(f"""
            WITH rec AS (
                SELECT x.estimated_xjs_id, r.person_id
                FROM ({links}) AS x
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


def flag_validity(joined: pd.DataFrame, measures: tuple[str, ...], wave: int = 0
                  ) -> pd.DataFrame:
    """Per measure: validity over all estimated persons and over those with an OASys assessment.

    `joined` has the mart's flags and, per measure, `truth_<measure>` (latent boolean).
    """
    types = register.measure_types(wave)
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


def validity_frame(con: duckdb.DuckDBPyConnection, wave: int = 0
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the wave's mart joined to latent truth, validity table)."""
    measures = register.wave_measures(wave)
    mart = mart_table(wave)
    con.register("_truth_map", estimated_person_truth(con, wave))
    try:
        truth_cols = ", ".join(f"p.{m} AS truth_{m}" for m in measures)
        joined = con.execute(f"""
            SELECT m.*, t.person_id, t.purity, {truth_cols}
            FROM {mart} AS m
            JOIN _truth_map AS t USING (estimated_xjs_id)
            JOIN truth.persons AS p USING (person_id)
            WHERE m.link_threshold = 'medium'
        """).df()
    finally:
        con.unregister("_truth_map")
    if joined.empty:
        n = con.execute(f"SELECT count(*) FROM {mart} WHERE link_threshold = 'medium'"
                        ).fetchall()[0][0]
        if n:
            raise RuntimeError(
                f"none of the {n} estimated persons matched a clustered record: the project key "
                "differs from the one that built research.xjs_link (BOLD_PROJECT_KEY, or "
                "project.key beside BOLD_WAREHOUSE); set the same key and re-run")
    validity = flag_validity(joined, measures, wave)
    first = int(wave_links()[0]["wave"])
    if wave != first:  # like for like: the same flags on the first wave's persons only
        before = con.execute(f"SELECT DISTINCT estimated_xjs_id FROM {mart_table(first)} "
                             "WHERE link_threshold = 'medium'").df()["estimated_xjs_id"]
        same = flag_validity(joined[joined["estimated_xjs_id"].isin(before)], measures, wave)
        for c in ("persons", "sensitivity", "specificity", "ppv"):
            validity[f"{c}_on_wave_{first}_persons"] = same[c].to_numpy()
    return joined, validity


def compare_waves(validity: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per measure (first wave's order): each wave's sensitivity, specificity and PPV over its
    own estimated persons (a later wave's also over the first wave's persons: `..._on_wave_0_
    persons_wave_<n>`, like for like) and the change of each from the first wave."""
    waves = sorted(validity)
    cols = ["sensitivity", "specificity", "ppv"]
    out = None
    for w in waves:
        like = [c for c in validity[w].columns if "_on_wave_" in c]  # on the first wave's persons
        v = validity[w][["measure", "name", "measure_type", "persons", *cols, *like]].rename(
            columns={c: f"{c}_wave_{w}" for c in ["measure_type", "persons", *cols, *like]})
        out = v if out is None else out.merge(v.drop(columns="name"), on="measure", how="outer")
    order = list(validity[waves[0]]["measure"])  # the first wave's (register) order
    out = out.set_index("measure").loc[
        order + [m for m in out["measure"] if m not in order]].reset_index()
    first = waves[0]
    for w in waves[1:]:
        for c in cols:
            out[f"{c}_change_wave_{w}"] = (out[f"{c}_wave_{w}"] - out[f"{c}_wave_{first}"]).round(4)
    return out


# Linkage sensitivity pack --------------------------------------------------------------------


def _prevalence(con: duckdb.DuckDBPyConnection, by: str, measures: tuple[str, ...],
                wave: int = 0) -> pd.DataFrame:
    """Long prevalence per (threshold, group, measure) from the mart's three thresholds."""
    avg = ", ".join(f"avg({m}::INTEGER) AS {m}" for m in measures)
    parts = []
    for threshold in THRESHOLDS:
        df = con.execute(f"""
            SELECT {by} AS grp, count(*) AS persons, {avg}
            FROM (SELECT *, CAST(ceil(imd_decile / 2.0) AS INTEGER) AS imd_quintile
                  FROM {mart_table(wave)} WHERE link_threshold = ?)
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


def linkage_sensitivity(con: duckdb.DuckDBPyConnection, wave: int = 0
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    measures = register.wave_measures(wave)
    lad = sensitivity_table(_prevalence(con, "lad_code", measures, wave)).rename(
        columns={"grp": "lad_code"})
    names = con.execute("SELECT DISTINCT lad_code, lad_name FROM reference.lsoa").df()
    lad = names.merge(lad, on="lad_code", how="right")
    subs = []
    for s in SUBGROUPS:
        t = sensitivity_table(_prevalence(con, s, measures, wave))
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


def imd_chart(by_imd: pd.DataFrame, wave: int = 0) -> bytes:
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
        ax.plot(d["imd_decile"], d["flag_prevalence"], marker="o", label=f"flagged (wave {wave})")
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
    fig.suptitle(f"Wave {wave} needs and outcomes by deprivation")
    data = _png(fig)
    plt.close(fig)
    return data


def validity_chart(validity: pd.DataFrame, wave: int = 0) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v = validity.set_index("name")[["sensitivity", "specificity", "ppv"]]
    fig, ax = plt.subplots(figsize=(9, 5))
    v.plot.barh(ax=ax, width=0.8)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("against latent truth (all estimated persons)")
    ax.set_title(f"Wave {wave} flag validity")
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
    return dg.MetadataValue.md(charts.markdown(png, alt))


def _write(con, key: dg.AssetKey, frame: pd.DataFrame) -> int:
    return wh.replace_table_from(con, key.path[0], key.path[1], frame)


# Assets --------------------------------------------------------------------------------------


def has_sensitivity_pack(wave: int) -> bool:
    """Whether the wave's mart holds every threshold of the sensitivity pack."""
    return any(int(w["wave"]) == wave and set(THRESHOLDS) <= set(w["thresholds"])
               for w in wave_links())


def build_wave(wave: int) -> list[dg.AssetsDefinition]:
    """The evaluation assets of one wave: validity + IMD chart, and the linkage sensitivity
    pack when its mart has the pack's thresholds."""
    mart_key = dg.AssetKey(["marts", f"person_needs_wave_{wave}"])
    links = [dg.AssetKey(["research", w["link"]]) for w in wave_links() if int(w["wave"]) <= wave]
    validity_key, imd_key = key("needs_validity", wave), key("prevalence_by_imd", wave)
    deps = [mart_key, *links, *TRUTH]

    @dg.multi_asset(
        name=f"wave_{wave}_needs_validity",
        specs=[
            dg.AssetSpec(validity_key, group_name="evaluation", kinds={"duckdb"}, deps=deps,
                         description=f"Sensitivity, specificity and PPV of each wave-{wave} flag "
                                     "against the latent truth."),
            dg.AssetSpec(imd_key, group_name="evaluation", kinds={"duckdb"}, deps=deps,
                         description=f"Wave {wave}: prevalence by IMD decile per measure, "
                                     "flagged vs latent truth (chart)."),
        ],
    )
    def needs_validity(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            joined, validity = validity_frame(con, wave)
            by_imd = by_imd_table(joined, register.wave_measures(wave))
            n_val = _write(con, validity_key, validity)
            n_imd = _write(con, imd_key, by_imd)
            schemas = {k: column_schema(con, ".".join(k.path)) for k in (validity_key, imd_key)}
        reports = charts.reports_dir(warehouse.file)
        v_png, i_png = validity_chart(validity, wave), imd_chart(by_imd, wave)
        (reports / f"needs_validity_wave_{wave}.png").write_bytes(v_png)
        (reports / f"prevalence_by_imd_wave_{wave}.png").write_bytes(i_png)
        show = validity[["measure", "measure_type", "flag_prevalence", "true_prevalence",
                         "sensitivity", "specificity", "ppv", "sensitivity_assessed"]]
        yield dg.MaterializeResult(asset_key=validity_key, metadata={
            "dagster/row_count": n_val,
            "dagster/column_schema": schemas[validity_key],
            "estimated_persons": len(joined),
            "mean_cluster_purity": round(float(joined["purity"].mean()), 4),
            "validity": dg.MetadataValue.md(show.to_markdown(index=False)),
            "chart": _img_md(v_png, "flag validity"),
            "chart_file": path_value(reports / f"needs_validity_wave_{wave}.png"),
        })
        yield dg.MaterializeResult(asset_key=imd_key, metadata={
            "dagster/row_count": n_imd,
            "dagster/column_schema": schemas[imd_key],
            "chart": _img_md(i_png, "prevalence by IMD decile"),
            "chart_file": path_value(reports / f"prevalence_by_imd_wave_{wave}.png"),
        })

    if not has_sensitivity_pack(wave):
        return [needs_validity]
    lad_key, sub_key = key("linkage_sensitivity_lad", wave), key("linkage_sensitivity_subgroup",
                                                                  wave)

    @dg.multi_asset(
        name=f"wave_{wave}_linkage_sensitivity",
        specs=[
            dg.AssetSpec(lad_key, group_name="evaluation", kinds={"duckdb"},
                         deps=[mart_key, dg.AssetKey(["reference", "lsoa"])],
                         description=f"Wave {wave}: LAD prevalence with persons clustered at the "
                                     "high and low thresholds, and its difference from medium."),
            dg.AssetSpec(sub_key, group_name="evaluation", kinds={"duckdb"}, deps=[mart_key],
                         description=f"Wave {wave}: prevalence by subgroup (sex, ethnic group, "
                                     "age band, IMD quintile) at each threshold, and its "
                                     "difference from medium."),
        ],
    )
    def sensitivity(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            lad, sub = linkage_sensitivity(con, wave)
            n_lad = _write(con, lad_key, lad)
            n_sub = _write(con, sub_key, sub)
            schemas = {k: column_schema(con, ".".join(k.path)) for k in (lad_key, sub_key)}
        summary = sensitivity_summary(lad, sub)
        persons = lad.groupby("measure").first()[["persons_high", "persons_medium",
                                                  "persons_low"]]
        yield dg.MaterializeResult(asset_key=lad_key, metadata={
            "dagster/row_count": n_lad,
            "dagster/column_schema": schemas[lad_key],
            "summary": dg.MetadataValue.md(summary.to_markdown(index=False)),
            "max_abs_diff_high": float(summary["lad_max_abs_diff_high"].max()),
            "max_abs_diff_low": float(summary["lad_max_abs_diff_low"].max()),
            "persons_in_first_lad": dg.MetadataValue.md(persons.head(1).to_markdown()),
        })
        worst = sub.assign(abs_low=sub["diff_low"].abs()).nlargest(10, "abs_low").drop(
            columns="abs_low")
        yield dg.MaterializeResult(asset_key=sub_key, metadata={
            "dagster/row_count": n_sub,
            "dagster/column_schema": schemas[sub_key],
            "largest_low_threshold_shifts": dg.MetadataValue.md(worst.to_markdown(index=False)),
        })

    return [needs_validity, sensitivity]


def build_compare(waves: tuple[int, ...]) -> dg.AssetsDefinition:
    """`evaluation/needs_validity_by_wave`: the validity tables of `waves` side by side."""

    @dg.asset(key=COMPARE_KEY, group_name="evaluation", kinds={"duckdb"},
              deps=[key("needs_validity", w) for w in waves],
              description="Flag validity wave against wave: per measure, sensitivity, "
                          "specificity and PPV of each wave against the latent truth, and the "
                          "change from wave 0.")
    def needs_validity_by_wave(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            validity = {w: con.execute(
                f"SELECT * FROM {'.'.join(key('needs_validity', w).path)}").df() for w in waves}
            table = compare_waves(validity)
            n = _write(con, COMPARE_KEY, table)
            schema = column_schema(con, ".".join(COMPARE_KEY.path))
        show = table[["measure", *[c for c in table.columns
                                   if c.startswith(("sensitivity", "ppv"))]]]
        return dg.MaterializeResult(metadata={
            "dagster/row_count": n, "dagster/column_schema": schema,
            "validity_by_wave": dg.MetadataValue.md(show.to_markdown(index=False))})

    return needs_validity_by_wave


WAVES = tuple(int(w["wave"]) for w in wave_links())
ASSETS = [a for w in WAVES for a in build_wave(w)] + ([build_compare(WAVES)]
                                                       if len(WAVES) > 1 else [])
defs = dg.Definitions(assets=ASSETS)
