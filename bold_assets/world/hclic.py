"""H-CLIC as councils return it: case references, quarterly returns (some never arrive), the
People section's identifiers and the nine sections' raw tables (catalog/sources/hclic.py).

**Case references** are the council's LAD code and its own case number, counted up from a
number drawn per council. **Reporting quarter**: the calendar quarter of the application; every
row of a case goes with its application's return.

**Missing returns.** `MISSING_RETURNS` of councils miss one to four consecutive quarters
(`MISSED_QUARTERS`), more often in H-CLIC's first years (DLUHC's releases: returns from 97.5% of
councils in July-September 2018, 97.9% in January-March 2019, 98.4% in April-June 2019, near
complete since). Each council's draws come from streams of their own, in LAD order, so a
council misses the same quarters at any population size; the council with the lowest draw
always misses (every world has a missing return). A council-quarter without a return holds no
rows of that quarter's cases in any section (the cases still happen, truth.homelessness_cases)
and `hclic_submissions` says `submitted = "N"`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.homelessness import HCLIC_START
from bold_assets.world.housing_people import HousingPeople
from bold_assets.world.labour_market import WORLD_END
from bold_assets.world.patients import to_dates
from bold_assets.world.records import identified, issue_ids

MISSING_RETURNS = 0.12  # councils missing at least one quarterly return
MISSED_QUARTERS = {1: 0.4, 2: 0.3, 3: 0.2, 4: 0.1}  # how many, consecutive
EARLY_MISSING = 3.0  # a missed run starts this many times as often in 2018-19 as later
# Last settled postcode not recorded, by accommodation at application (prison leavers and
# rough sleepers most often have none).
POSTCODE_MISSING = {"7": 0.65, "6": 0.6, "5": 0.5, "3": 0.4, "4": 0.45, "9": 0.4}
POSTCODE_MISSING_HOUSED = 0.22


def quarters() -> pd.DataFrame:
    """Reporting quarters from 2018Q2 to the world's last: label and first day."""
    first = pd.period_range(pd.Timestamp(int(HCLIC_START), unit="D"),
                            pd.Timestamp(int(WORLD_END), unit="D"), freq="Q")
    return pd.DataFrame({"quarter": [str(q) for q in first],
                         "start": first.start_time.normalize().to_numpy()})


def quarter_index(day: np.ndarray) -> np.ndarray:
    """Index into `quarters()` of each day's calendar quarter."""
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    months = d.astype(np.int64)  # months since 1970-01
    return (months // 3) - ((2018 - 1970) * 12 + 3) // 3


def missing_returns(ctx: WorldContext, n_councils: int, n_quarters: int) -> np.ndarray:
    """(councils x quarters) True where the council's return for the quarter never arrived."""
    u = ctx.rng("hclic_returns.missing").random(n_councils)
    how_many = ctx.rng("hclic_returns.length").random(n_councils)
    when = ctx.rng("hclic_returns.start").random(n_councils)
    misses = u < MISSING_RETURNS
    misses[np.argmin(u)] = True
    length = 1 + np.searchsorted(np.cumsum(list(MISSED_QUARTERS.values())), how_many)
    length = np.minimum(length, n_quarters)
    out = np.zeros((n_councils, n_quarters), dtype=bool)
    for i in np.flatnonzero(misses):
        starts = n_quarters - length[i] + 1
        w = np.where(np.arange(starts) < 4, EARLY_MISSING, 1.0)
        first = int(np.searchsorted(np.cumsum(w) / w.sum(), when[i]))
        out[i, first:first + length[i]] = True
    return out


def case_refs(ctx: WorldContext, hp: HousingPeople, cases: pd.DataFrame) -> np.ndarray:
    """`<LAD code>-<council's case number>`: numbered in application order from a first number
    drawn per council."""
    first = ctx.rng("hclic_case_refs").integers(1_000, 60_000, len(hp.lad_codes))
    lad = cases["lad"].to_numpy()
    order = np.lexsort((cases["person_idx"].to_numpy(), cases["day"].to_numpy(), lad))
    rank = np.empty(len(cases), dtype=np.int64)
    sorted_lad = lad[order]
    starts = np.searchsorted(sorted_lad, sorted_lad, side="left")
    rank[order] = np.arange(len(cases)) - starts
    number = first[lad] + rank
    return np.array([f"{c}-{k:06d}" for c, k in zip(hp.lad_codes[lad], number, strict=True)],
                    dtype=object)


def people(ctx: WorldContext, rng: np.random.Generator, cases: pd.DataFrame) -> pd.DataFrame:
    """The People rows of the submitted cases with identifiers (`id_*`), in record-id order."""
    sub = np.flatnonzero(cases["submitted"].to_numpy())
    recs = pd.DataFrame({"person_idx": cases["person_idx"].to_numpy()[sub],
                         "date_of_application": to_dates(cases["day"].to_numpy()[sub]),
                         "case": sub})
    recs = issue_ids(rng, recs, "date_of_application", "hclic_people")
    recs = identified(ctx, "hclic_people", recs, rng)
    acc = cases["accommodation"].to_numpy()[recs["case"].to_numpy()]
    gone = rng.random(len(recs)) < pd.Series(acc).map(POSTCODE_MISSING).fillna(
        POSTCODE_MISSING_HOUSED).to_numpy()
    recs.loc[gone, "id_postcode"] = None
    return recs


def _codes(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype=object).to_numpy(dtype=object)


def section_tables(rng: np.random.Generator, cases: pd.DataFrame, refs: np.ndarray,
                   sections: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """raw.hclic_* attribute sections (Main and the seven duty sections) of submitted cases."""
    c = cases
    kept = c["submitted"].to_numpy()

    def rows(name: str, frame: pd.DataFrame, date_col: str, date_days: str) -> pd.DataFrame:
        f = frame[kept[frame["case"].to_numpy()]].reset_index(drop=True)
        f = f.assign(**{date_col: to_dates(f[date_days].to_numpy())})
        f = issue_ids(rng, f, date_col, name)
        f["case_ref"] = refs[f["case"].to_numpy()]
        return f

    main = pd.DataFrame({"case": np.arange(len(c)), "day": c["day"].to_numpy(),
                         "assessed": c["assessed"].to_numpy()})
    m = rows("hclic_main", main, "date_of_assessment", "assessed")
    i = m["case"].to_numpy()
    out = {"hclic_main": pd.DataFrame({
        "main_id": m["record_id"], "case_ref": m["case_ref"],
        "la_code": c["la_code"].to_numpy()[i], "reporting_quarter": c["quarter"].to_numpy()[i],
        "date_of_application": to_dates(c["day"].to_numpy()[i]),
        "date_of_assessment": m["date_of_assessment"],
        "assessment_outcome": c["outcome"].to_numpy()[i],
        "reason_loss_of_home": c["reason"].to_numpy()[i],
        "accommodation_at_application": c["accommodation"].to_numpy()[i],
        "household_type": c["household"].to_numpy()[i]})}
    s = rows("hclic_support_needs", sections["support"], "date_of_assessment", "day")
    out["hclic_support_needs"] = pd.DataFrame({
        "support_id": s["record_id"], "case_ref": s["case_ref"],
        "date_of_assessment": s["date_of_assessment"], "support_need": s["need"]})
    for name, key, prefix in (("prevention", "prevention_id", "prevention"),
                              ("relief", "relief_id", "relief")):
        d = rows(f"hclic_{name}", sections[name], f"{prefix}_start_date", "start")
        out[f"hclic_{name}"] = pd.DataFrame({
            key: d["record_id"], "case_ref": d["case_ref"],
            f"{prefix}_start_date": d[f"{prefix}_start_date"],
            f"{prefix}_end_date": to_dates(d["end"].to_numpy()),
            f"{prefix}_outcome": _codes(d["outcome"]),
            "accommodation_secured": _codes(d["secured"])})
    d = rows("hclic_main_duty", sections["main_duty"], "decision_date", "day")
    out["hclic_main_duty"] = pd.DataFrame({
        "decision_id": d["record_id"], "case_ref": d["case_ref"],
        "decision_date": d["decision_date"], "decision": d["decision"]})
    a = rows("hclic_assistance", sections["assistance"], "activity_date", "day")
    out["hclic_assistance"] = pd.DataFrame({
        "assistance_id": a["record_id"], "case_ref": a["case_ref"],
        "activity_date": a["activity_date"], "activity": a["activity"]})
    t = rows("hclic_temp_accommodation", sections["ta"], "ta_start_date", "start")
    out["hclic_temp_accommodation"] = pd.DataFrame({
        "ta_id": t["record_id"], "case_ref": t["case_ref"], "ta_start_date": t["ta_start_date"],
        "ta_end_date": to_dates(t["end"].to_numpy()), "ta_type": t["ta_type"],
        "out_of_area": t["out_of_area"]})
    r = rows("hclic_reviews", sections["reviews"], "review_request_date", "request")
    out["hclic_reviews"] = pd.DataFrame({
        "review_id": r["record_id"], "case_ref": r["case_ref"],
        "review_request_date": r["review_request_date"],
        "review_decision_date": to_dates(r["decided"].to_numpy()),
        "review_outcome": _codes(r["outcome"])})
    return out


def submissions(hp: HousingPeople, cases: pd.DataFrame, missing: np.ndarray) -> pd.DataFrame:
    """raw.hclic_submissions: every council and quarter, whether its return arrived and how
    many cases (Main rows) it held."""
    q = quarters()
    n_lad, n_q = missing.shape
    counts = np.zeros((n_lad, n_q), dtype=np.int64)
    np.add.at(counts, (cases["lad"].to_numpy(), cases["quarter_idx"].to_numpy()), 1)
    lad = np.repeat(np.arange(n_lad), n_q)
    qi = np.tile(np.arange(n_q), n_lad)
    codes = hp.lad_codes[lad]
    label = q["quarter"].to_numpy(dtype=object)[qi]
    sent = ~missing.ravel()
    return pd.DataFrame({
        "submission_id": codes + "-" + label, "la_code": codes, "reporting_quarter": label,
        "quarter_start_date": q["start"].to_numpy()[qi],
        "submitted": np.where(sent, "Y", "N").astype(object),
        "cases_submitted": pd.array(np.where(sent, counts.ravel(), None), dtype="Int64")})
