"""Disclosure control of the estimates: bounds follow their cell through suppression and rounding.

An estimate row is published only on a cell whose count the outputs publish (so ACRO and
secondary suppression have passed the people it sits on). Each of estimate, lower and upper is
published as a count that is a multiple of the base over the published (rounded) denominator,
so a published bound reveals no more than a rounded count does: the estimate's count (its value
x the cell's exact people) and the bounds' (their value x the published denominator) go to the
nearest multiple, as every published count does. Rounding to the nearest moves a bound by at
most half a base either way, so the interval keeps the exact one's coverage; rounding the
bounds outward added a base to an interval only a dozen people wide at a LAD of a few hundred,
and its 90% intervals covered 95-97% (`benchmarks/bench_estimate_coverage.py --published`).
Each bound also sits at least one base from the estimate (further than half a base from the
exact one, then): the bounds are rounded over another base than the estimate, and a bound a
couple of people from the estimate would round onto it, publishing an interval with no width on
that side. A row is suppressed where its lower bound, exact or published, implies fewer people
with the need than the threshold, or its upper bound fewer without it (the exact bound over the
published denominator: rounding to the nearest would let an exact 7.5 people through as 10).
Secondary suppression
(`disclosure.secondary_suppress`, on the implied counts) keeps a suppressed LSOA estimate from
being recovered from its LAD's and its neighbours'; the England and Wales row is published only
where every LAD row of the measure is.
`verify_estimates` checks all of it on the published table, as `disclosure.verify` does for the
counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets import disclosure
from bold_assets.estimates.estimator import COUNTRY, wilson

RULES = disclosure.Rules()
BOUNDS = ("estimate", "lower", "upper")
COLUMNS = ("geography_level", "area_code", "area_name", "wave", "measure", "estimate", "lower",
           "upper", "naive_rate", "naive_lower", "naive_upper", "denominator",
           "validated_by_wave", "method", "errors_included", "suppressed")


def _implied(values: pd.Series, persons: pd.Series, base: int) -> pd.Series:
    """The count `values` x `persons` to the nearest multiple of `base` (half up)."""
    return disclosure.round_to_base(values.astype(float) * persons.astype(float), base)


def protect_estimates(estimates: pd.DataFrame, published: pd.DataFrame, areas: pd.DataFrame,
                      wave: int, rules: disclosure.Rules = RULES) -> pd.DataFrame:
    """The published estimates: `estimates` from `estimator.estimate`, `published` the wave's
    outputs (both levels) and `areas` reference.lsoa (for names and each LSOA's LAD).

    The naive interval is the Wilson interval of the published (rounded) count and denominator,
    never of the exact ones."""
    key = ["geography_level", "area_code", "measure"]
    est = estimates.merge(published[key + ["count", "denominator", "coverage"]], on=key,
                          how="left")
    country = (est["geography_level"] == "country").to_numpy()
    base = rules.round_base
    # the country row's count and denominator, rounded as any published cell's
    est.loc[country, "count"] = _implied(est.loc[country, "naive_rate"],
                                         est.loc[country, "persons"], base)
    est.loc[country, "denominator"] = disclosure.round_to_base(est.loc[country, "persons"], base)
    on_cell = (est["count"].notna() & est["denominator"].notna()
               & ((est["coverage"] == "covered") | country)).to_numpy()
    den = est["denominator"].astype(float)
    # each value's implied count: the estimate's of the cell's exact people, the bounds' of the
    # published denominator (each bound within half a base of the exact one, unless that is
    # closer than one base to the estimate: then one base from it)
    basis = {"estimate": est["persons"], "lower": den, "upper": den}
    implied = {c: _implied(est[c], basis[c], base) for c in BOUNDS}
    low, high = implied["estimate"] - base, implied["estimate"] + base
    implied["lower"] = implied["lower"].where((implied["lower"] <= low).fillna(False), low)
    implied["upper"] = implied["upper"].where((implied["upper"] >= high).fillna(False), high)
    # the fewest people with the need (without it) each bound implies, exact or published; a
    # cell with no estimate (nobody the measure counts there) has no bounds: suppressed
    with_need = np.minimum(est["lower"].astype(float) * den, implied["lower"].astype(float))
    without = den - np.maximum(est["upper"].astype(float) * den, implied["upper"].astype(float))
    primary = ~on_cell | ~(with_need >= rules.threshold).to_numpy(bool) | ~(
        without >= rules.threshold).to_numpy(bool)
    hidden = primary.copy()
    local = ~country
    cells = est.loc[local, key].assign(
        parent_code=est.loc[local, "area_code"].map(areas.set_index("lsoa_code")["lad_code"])
        .where(est.loc[local, "geography_level"] == "lsoa"),
        count=(est.loc[local, "estimate"].fillna(0) * est.loc[local, "persons"]).round()
        .astype("int64"),
        denominator=est.loc[local, "persons"], count_primary=primary[local],
        denominator_primary=False, coverage="covered")
    if (cells["geography_level"] == "lsoa").any():
        cells = disclosure.secondary_suppress(cells, rules)
    else:  # no LSOA under any LAD: nothing to recover by differencing
        cells["count_secondary"] = False
    hidden[local] = (cells["count_primary"] | cells["count_secondary"]).to_numpy(bool)
    hidden[country] |= ~_country_safe(est, hidden, rules)[country]
    for col in BOUNDS:
        est[col] = (implied[col].astype(float) / den).round(4)
    naive = est["count"].astype(float) / den
    naive_lo, naive_hi = wilson(naive.to_numpy(), den.to_numpy())
    est["naive_rate"], est["naive_lower"], est["naive_upper"] = (
        naive.round(4), np.round(naive_lo, 4), np.round(naive_hi, 4))
    shown = ~hidden
    for col in (*BOUNDS, "naive_rate", "naive_lower", "naive_upper"):
        est[col] = est[col].where(shown)
    est["denominator"] = est["denominator"].where(shown).astype("Int64")
    names = pd.concat([
        areas[["lsoa_code", "lsoa_name"]].set_axis(["area_code", "area_name"], axis=1),
        areas[["lad_code", "lad_name"]].set_axis(["area_code", "area_name"], axis=1),
        pd.DataFrame({"area_code": [COUNTRY[0]], "area_name": [COUNTRY[1]]})]
    ).drop_duplicates("area_code")
    est = est.merge(names, on="area_code", how="left")
    return est.assign(wave=wave, suppressed=hidden)[list(COLUMNS)]


def _country_safe(est: pd.DataFrame, hidden: np.ndarray, rules: disclosure.Rules) -> np.ndarray:
    """Per row, for the England and Wales rows: the LAD estimates it sums cannot give a hidden
    one away (none hidden, or at least two, all on covered cells, with an implied total of
    people at or above the threshold)."""
    lad = est[(est["geography_level"] == "lad").to_numpy() & hidden]
    implied = lad["estimate"] * lad["persons"]
    per = pd.DataFrame({
        "n": lad.groupby("measure").size(),
        "total": implied.groupby(lad["measure"]).sum(),
        "gap": (lad["coverage"] != "covered").groupby(lad["measure"]).any()})
    safe = (per["n"] >= 2) & (per["total"] >= rules.threshold) & ~per["gap"]
    return est["measure"].map(safe.to_dict()).map(lambda v: v is not False).to_numpy(bool)


def verify_estimates(est: pd.DataFrame, published: pd.DataFrame, exact_persons: pd.Series,
                     rules: disclosure.Rules = RULES,
                     lsoa_parent: dict[str, str] | None = None) -> list[disclosure.Violation]:
    """Every way the published estimates could disclose; empty when safe. `exact_persons`: each
    area's exact number of people, indexed by (geography_level, area_code)."""
    out: list[disclosure.Violation] = []

    def add(kind: str, rows: pd.DataFrame, detail: str) -> None:
        for r in rows.itertuples(index=False):
            out.append(disclosure.Violation(kind, r.geography_level, r.area_code, r.measure,
                                            detail))

    key = ["geography_level", "area_code", "measure"]
    e = est.reset_index(drop=True)
    cell = e[key].merge(published[key + ["count", "coverage"]], on=key, how="left")
    local = e["geography_level"] != "country"
    cell_hidden = (cell["count"].isna() | (cell["coverage"] != "covered")).to_numpy()
    add("estimate_on_hidden_cell", e[local & cell_hidden & e["estimate"].notna()],
        "an estimate published on a cell whose count is not published")
    shown = e["estimate"].notna()
    add("suppressed_flag", e[shown == e["suppressed"].astype(bool)],
        "suppressed flag does not match a null estimate")
    den = e["denominator"].astype(float)
    n = pd.Series(exact_persons.reindex(pd.MultiIndex.from_frame(
        e[["geography_level", "area_code"]])).to_numpy(float))
    for col in BOUNDS:
        v = e[col].astype(float)
        implied = v * den  # a multiple of the base, but for the rate's rounding to 4 places
        off = (implied - (implied / rules.round_base).round() * rules.round_base).abs()
        add("unrounded", e[v.notna() & (off > den * 5e-5 + 1e-6)],
            f"{col} x denominator is not a multiple of {rules.round_base}")
        with np.errstate(invalid="ignore"):
            small = (v * n < rules.threshold - rules.round_base / 2) | (
                n - v * n < rules.threshold - rules.round_base / 2)
        add("below_threshold", e[v.notna() & small.to_numpy()],
            f"{col} implies fewer than {rules.threshold} people with or without the need")
    order = (e["lower"] <= e["estimate"]) & (e["estimate"] <= e["upper"])
    add("interval", e[shown & ~order], "estimate outside its interval")
    # a bound less than one base from the estimate (beyond the rates' rounding to 4 places)
    gap = rules.round_base - den * 1e-4 - 1e-6
    with np.errstate(invalid="ignore"):
        narrow = ((e["estimate"] - e["lower"]) * den < gap) | (
            (e["upper"] - e["estimate"]) * den < gap)
    add("narrow_interval", e[shown & narrow.fillna(False)],
        f"a bound less than {rules.round_base} people from the estimate")
    # differencing inside each LAD: suppressed LSOA estimates number 0 or >= 2 under a
    # published LAD estimate (counts as the implied, exact ones)
    lsoa = e[e["geography_level"] == "lsoa"].assign(
        parent_code=lambda d: d["area_code"].map(lsoa_parent or {}).astype(object))
    lad = e[e["geography_level"] == "lad"][["area_code", "measure", "estimate"]].rename(
        columns={"area_code": "parent_code", "estimate": "lad_estimate"})
    g = lsoa.merge(lad, on=["parent_code", "measure"], how="inner")
    g = g[g["lad_estimate"].notna()]
    n_hidden = g["estimate"].isna().groupby([g["parent_code"], g["measure"]]).sum()
    for (par, measure) in n_hidden[n_hidden == 1].index:
        add("recoverable", g[(g["parent_code"] == par) & (g["measure"] == measure)
                             & g["estimate"].isna()],
            f"the only suppressed estimate under LAD {par}'s published one")
    lads_hidden = e[(e["geography_level"] == "lad")].groupby("measure")["estimate"].apply(
        lambda s: int(s.isna().sum()))
    country = e[(e["geography_level"] == "country") & e["estimate"].notna()]
    add("recoverable", country[country["measure"].map(lads_hidden.to_dict()) == 1],
        "England and Wales estimate published while exactly one LAD's is suppressed")
    return out
