"""Coverage of the published intervals against truth (evaluation only: reads `truth.*`).

For each wave, measure and published LAD (and England and Wales) row: the true prevalence among
the true people of that cell, and whether the 90% interval (as published, and as the estimator
gave it before its bounds were rounded for disclosure control) and the naive binomial
interval contain it. The truth of a measure some wave validates is the register's validated
measure under perfect linkage (`truth_marts`: the flag of the estimate's reference wave, on each
true person's records): what the estimate estimates. A measure no wave validates has no such
reference: its truth is the latent need (`truth.persons`), and it is reported apart (`pool`
'not validated').
A true person's cell is the one their records put them in under perfect linkage (the wave's
truth mart); the people of a cell the later (reference) wave drops as dead before its snapshot
are left out of that cell's truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.estimates.estimator import COUNTRY

POOLS = ("validated", "not validated")


def cell_truth(truth_mart: pd.DataFrame, reference: pd.DataFrame | None,
               latent: pd.DataFrame, measure: str) -> pd.DataFrame:
    """(geography_level, area_code, truth, true_people) for one measure: `truth_mart` the wave's
    mart under perfect linkage (person_id, lad_code, flags), `reference` the reference wave's
    (None: no wave validates the measure, the truth is `latent`, truth.persons)."""
    people = truth_mart.dropna(subset=["lsoa_code", "lad_code"])[["person_id", "lad_code"]]
    if reference is None:
        value = people["person_id"].map(latent.set_index("person_id")[measure])
    else:
        value = people["person_id"].map(reference.set_index("person_id")[measure])
    people = people.assign(value=value.astype(float)).dropna(subset=["value"])
    lad = people.groupby("lad_code")["value"].agg(["mean", "size"]).reset_index()
    lad.columns = ["area_code", "truth", "true_people"]
    country = pd.DataFrame({"area_code": [COUNTRY[0]], "truth": [people["value"].mean()],
                            "true_people": [len(people)]})
    return pd.concat([lad.assign(geography_level="lad"),
                      country.assign(geography_level="country")], ignore_index=True)


def coverage_cells(estimates: pd.DataFrame, truth_marts: dict[int, pd.DataFrame],
                   latent: pd.DataFrame, exact: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per published LAD and country row of every wave's estimates: truth, and whether each
    interval contains it. `estimates`: the published tables of the waves stacked; `exact`: the
    estimator's own rows of the same waves (with `wave`), before rounding, whose interval is
    checked on the same rows (`exact_covered`; without it, as the published one)."""
    rows = []
    shown = estimates[~estimates["suppressed"].astype(bool)
                      & estimates["geography_level"].isin(["lad", "country"])]
    for (wave, measure), est in shown.groupby(["wave", "measure"]):
        ref_wave = est["validated_by_wave"].dropna()
        ref = truth_marts.get(int(ref_wave.iloc[0])) if len(ref_wave) else None
        truth = cell_truth(truth_marts[int(wave)], ref, latent, measure)
        rows.append(est.merge(truth, on=["geography_level", "area_code"], how="left").assign(
            pool=POOLS[0] if ref is not None else POOLS[1]))
    out = pd.concat(rows, ignore_index=True) if rows else shown.assign(
        truth=np.nan, true_people=np.nan, pool=None)
    key = ["wave", "geography_level", "area_code", "measure"]
    if exact is not None:
        out = out.merge(exact[key + ["lower", "upper"]].add_prefix("exact_").rename(
            columns={f"exact_{k}": k for k in key}), on=key, how="left")
    else:
        out = out.assign(exact_lower=out["lower"], exact_upper=out["upper"])
    out["covered"] = (out["lower"] <= out["truth"]) & (out["truth"] <= out["upper"])
    out["exact_covered"] = (out["exact_lower"] <= out["truth"]) & (
        out["truth"] <= out["exact_upper"])
    out["naive_covered"] = (out["naive_lower"] <= out["truth"]) & (
        out["truth"] <= out["naive_upper"])
    out["width"] = out["upper"] - out["lower"]
    out["naive_width"] = out["naive_upper"] - out["naive_lower"]
    return out[["wave", "measure", "geography_level", "area_code", "pool", "validated_by_wave",
                "estimate", "lower", "upper", "naive_rate", "naive_lower", "naive_upper",
                "exact_lower", "exact_upper", "truth", "true_people", "covered",
                "exact_covered", "naive_covered", "width", "naive_width"]]


def summary(cells: pd.DataFrame) -> pd.DataFrame:
    """Per wave and pool, LAD rows: cells, coverage of the published 90%, the exact (before
    rounding) and the naive intervals, mean widths and mean error of each point against the
    truth."""
    lad = cells[cells["geography_level"] == "lad"]
    g = lad.assign(error=lad["estimate"] - lad["truth"],
                   naive_error=lad["naive_rate"] - lad["truth"],
                   exact_width=lad["exact_upper"] - lad["exact_lower"]).groupby(["wave", "pool"])
    out = g.agg(cells=("covered", "size"), measures=("measure", "nunique"),
                coverage=("covered", "mean"), exact_coverage=("exact_covered", "mean"),
                naive_coverage=("naive_covered", "mean"), mean_width=("width", "mean"),
                mean_exact_width=("exact_width", "mean"), mean_naive_width=("naive_width", "mean"),
                mean_error=("error", "mean"), mean_naive_error=("naive_error", "mean"))
    return out.reset_index().round(4)
