"""Error-aware estimates on the warehouse `bold materialize` builds (conftest
`pipeline_warehouse`): published safely, built from production tables only, and checked against
truth by the evaluation group."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from bold_assets.definitions import defs
from bold_assets.defs.estimates import WAVE_ESTIMATES
from bold_assets.defs.evaluation.estimate_coverage import record_people
from bold_assets.estimates import publishing, reading
from tests.conftest import TEST_PROJECT_KEY, bold_env


def test_estimates_are_published_with_their_cells_and_verify(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        for wave, spec in WAVE_ESTIMATES.items():
            est = con.execute(f"SELECT * FROM {'.'.join(spec.key.path)}").df()
            assert set(est["geography_level"]) == {"lsoa", "lad", "country"}, wave
            shown = est[~est["suppressed"]]
            assert (shown["geography_level"] == "lad").any(), wave
            assert ((shown["lower"] <= shown["estimate"])
                    & (shown["estimate"] <= shown["upper"])).all()
            assert shown[["estimate", "lower", "upper", "denominator"]].notna().all().all()
            hidden = est[est["suppressed"]]
            assert hidden[["estimate", "lower", "upper"]].isna().all().all()
            assert spec.violations(con) == [], wave
            published = con.execute(
                f"SELECT * FROM outputs.lsoa_needs_wave_{wave} UNION ALL BY NAME "
                f"SELECT * FROM outputs.lad_needs_wave_{wave}").df()
            # a bound never sits on a cell the outputs withhold
            cells = con.execute(f"SELECT geography_level, area_code, measure, count "
                                f"FROM outputs.lsoa_needs_wave_{wave} UNION ALL "
                                f"SELECT geography_level, area_code, measure, count "
                                f"FROM outputs.lad_needs_wave_{wave}").df()
            on = shown.merge(cells, on=["geography_level", "area_code", "measure"])
            assert on["count"].notna().all()

            # the attack on the pipeline's own table: reveal every hidden LSOA estimate under a
            # published LAD estimate but one, which its LAD's and neighbours' then give away
            parents = con.execute("SELECT lsoa_code, lad_code FROM reference.lsoa").df()
            parent = parents.set_index("lsoa_code")["lad_code"].to_dict()
            lsoa = est[est["geography_level"] == "lsoa"]
            lsoa = lsoa.assign(parent=lsoa["area_code"].map(parent))
            lads = est[(est["geography_level"] == "lad") & ~est["suppressed"]]
            hidden_lsoa = lsoa[lsoa["suppressed"]].merge(
                lads[["area_code", "measure"]].rename(columns={"area_code": "parent"}))
            groups = hidden_lsoa.groupby(["parent", "measure"])["area_code"].apply(list)
            groups = groups[groups.map(len) >= 2]
            if len(groups):
                (lad, measure), codes = next(iter(groups.items()))
                leaked = est.copy()
                reveal = (leaked["area_code"].isin(codes[1:]) & (leaked["measure"] == measure)
                          & (leaked["geography_level"] == "lsoa"))
                leaked.loc[reveal, ["estimate", "lower", "upper"]] = [0.5, 0.4, 0.6]
                leaked.loc[reveal, ["suppressed", "denominator"]] = [False, 100]
                kinds = {v.kind for v in publishing.verify_estimates(
                    leaked, published, reading.area_persons(con, wave), lsoa_parent=parent)}
                assert "recoverable" in kinds, (wave, lad)


def test_the_persons_drawn_are_those_linkage_may_have_built_wrongly(pipeline_warehouse,
                                                                     read_only):
    """The truth-free set of persons the estimator draws (`Inputs.uncertain`) is a minority of
    the wave's persons that holds most of the persons linkage built wrongly (checked here against
    truth: a piece of a split true person, or several true persons in one); the spine traces'
    collisions are drawn as links."""
    with bold_env(BOLD_PROJECT_KEY=TEST_PROJECT_KEY), read_only(pipeline_warehouse) as con:
        inputs, _ = reading.read_inputs(con, 0)
        collisions = reading.trace_collisions(con, reading.built_waves(con, 0))
        links = con.execute("SELECT source_dataset, row_id_hash, estimated_xjs_id "
                            "FROM research.xjs_link").df().merge(record_people(con))
    pieces = links.groupby("person_id")["estimated_xjs_id"].nunique()
    people = links.groupby("estimated_xjs_id")["person_id"].nunique()
    wrong = (set(links.loc[links["person_id"].map(pieces) > 1, "estimated_xjs_id"])
             | set(people[people > 1].index))
    ids = inputs.persons["estimated_xjs_id"]
    drawn, bad = ids.isin(inputs.uncertain), ids.isin(wrong)
    assert 0 < drawn.sum() < 0.3 * len(ids) and bad.sum() > 50
    assert bad[drawn].mean() > 5 * bad[~drawn].mean()
    assert drawn[bad].mean() > 0.5
    assert len(collisions) > 10
    # keyed as the mart's ids: most collision persons are wave-0 persons
    assert collisions["id_l"].isin(ids).mean() > 0.5
    pairs = set(zip(inputs.pairs["id_l"], inputs.pairs["id_r"], strict=True))
    assert all((min(a, b), max(a, b)) in pairs
               for a, b in zip(collisions["id_l"], collisions["id_r"], strict=True))
    assert set(collisions["id_l"]) | set(collisions["id_r"]) <= set(inputs.uncertain)


def test_estimates_read_no_truth():
    """Walk each estimates asset's upstream: production tables only, no truth, no evaluation."""
    graph = defs.resolve_asset_graph()
    for spec in WAVE_ESTIMATES.values():
        upstream = dg.AssetSelection.assets(spec.key).upstream().resolve(graph)
        schemas = {k.path[0] for k in upstream}
        assert "truth" not in schemas and "evaluation" not in schemas, spec.key
        assert dg.AssetKey(["marts", "person_needs_wave_0"]) in upstream


def test_coverage_of_the_intervals_against_truth(pipeline_warehouse, read_only):
    with read_only(pipeline_warehouse) as con:
        summary = con.execute("SELECT * FROM evaluation.estimate_coverage_summary").df()
        cells = con.execute("SELECT * FROM evaluation.estimate_coverage").df()
        published = pd.concat([con.execute(
            f"SELECT {w} AS wave, geography_level, area_code, measure, denominator "
            f"FROM outputs.needs_estimates_wave_{w}").df() for w in cells["wave"].unique()])
    assert set(summary["pool"]) == {"validated", "not validated"}
    assert cells["truth"].notna().all()
    validated = summary[summary["pool"] == "validated"].set_index("wave")
    # the corrected intervals cover the validated measure far more often than the flag's own
    # binomial interval does while wave 0's flags are proxies, and their points are closer
    assert validated.loc[0, "coverage"] >= validated.loc[0, "naive_coverage"] + 0.3
    assert abs(validated.loc[0, "mean_error"]) < abs(validated.loc[0, "mean_naive_error"]) / 3
    pooled = (validated["coverage"] * validated["cells"]).sum() / validated["cells"].sum()
    assert pooled >= 0.8
    # each published bound is the estimator's exact one to the nearest 5 people over the
    # published denominator (to the rates' 4 places), or 5 people from the estimate where the
    # nearest multiple is closer to it
    assert cells[["exact_lower", "exact_upper"]].notna().all().all()
    den = cells.merge(published, on=["wave", "geography_level", "area_code", "measure"],
                      how="left", validate="one_to_one")["denominator"].astype(float)
    assert den.notna().all()
    half, step = 2.5 / den + 1e-4, 5 / den
    for bound, side in (("lower", -1), ("upper", 1)):
        off = cells[bound] - cells[f"exact_{bound}"]
        pushed = ((cells[bound] - (cells["estimate"] + side * step)).abs() < 1e-4) \
            & (side * off >= -half)
        assert ((off.abs() <= half) | pushed).all(), bound
    # a measure no wave validates is reported apart, against the latent need
    apart = cells[cells["pool"] == "not validated"]
    assert set(apart["measure"]) == {"driver_family"}
    assert apart["validated_by_wave"].isna().all()
