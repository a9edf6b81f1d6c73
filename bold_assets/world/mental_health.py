"""Mental Health Services Data Set of the wave-3 world (2016-2023).

MHS101 referrals by mental-health need (and substance), from probation orders with a mental
health treatment requirement and for each mental-health admission (its MHS501 inpatient spell);
MHS201 care contacts per referral; one MHS001 MPI row per person and provider. Open referrals
and spells close at death.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.earlier_waves import record_persons
from bold_assets.world.labour_market import OPEN, WORLD_END, day_number, day_numbers, uniform_ints
from bold_assets.world.patients import Patients, pick, to_dates
from bold_assets.world.records import issue_ids

MHSDS_FROM = day_number("2016-01-01")

PROVIDERS = np.array(["RXT", "RRP", "RV5", "RWK", "RQY", "RXG", "RHA", "RX3", "RXM", "RT1",
                      "RW4", "RWX", "TAF", "RP7", "RMY", "RV3", "RKL", "RJ8", "RNN", "RT5",
                      "RXA", "RYG", "RLY", "RH5", "RX4", "RAT", "TAJ", "RWR"], dtype=object)
REFERRAL_RATE = 0.008  # referrals a person-year at mean need (adults)
_REASON_OF_CATEGORY = {"F2": "10", "F3": "05", "F4": "06"}
_METHOD_MH = {"11": "11", "21": "21", "25": "25", "28": "28", "81": "2B"}


def _reasons(rng: np.random.Generator, pt: Patients, p: np.ndarray, day: np.ndarray,
             crisis: np.ndarray) -> np.ndarray:
    k = len(p)
    code = pt.mh_code[p]
    out = pd.Series(code).str[:2].map(_REASON_OF_CATEGORY).to_numpy(dtype=object)
    out[(pd.Series(code).str[:3] == "F31").to_numpy()] = "11"
    out[(pd.Series(code).str[:3] == "F40").to_numpy()] = "08"
    out[pt.z["substance_misuse"][p] > pt.z["mental_health"][p] + 0.5] = "02"
    out[(pt.age(p, day) >= 70) & (rng.random(k) < 0.5)] = "01"
    u = rng.random(k)
    out = np.select([u < 0.08, u < 0.14, u < 0.18, u < 0.22, u < 0.25],
                    ["17", "15", "14", "18", "24"], out).astype(object)
    out[crisis & (rng.random(k) < 0.4)] = "17"
    return out


def mhsds(ctx: WorldContext, rng: np.random.Generator, pt: Patients,
           ev: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """MHS101 referrals (by need, from MHTR orders, one per mental-health admission), MHS201
    care contacts, MHS501 spells (the admissions) and MHS001 MPI rows."""
    w = pt.z_of({"mental_health": 1.2, "substance_misuse": 0.4, "ill_health": 0.2})
    p1, d1 = pt.events(rng, w, lambda a, m: REFERRAL_RATE * np.select(
        [a < 5, a < 18, a < 65, a < 75], [0.0, 0.8, 1.0, 0.8], 1.2), MHSDS_FROM,
        1.2 * REFERRAL_RATE)
    prob = ctx.tables["raw.probation"]
    pp = record_persons(ctx, "probation")
    mhtr = prob["requirements"].fillna("").str.contains("MHTR").to_numpy() & (pp >= 0)
    p2 = pp[mhtr]
    d2 = day_numbers(prob["referral_date"])[mhtr] + rng.integers(7, 61, len(p2))
    ok = pt.on_pds[p2] & (d2 >= np.maximum(pt.start[p2], MHSDS_FROM)) & (d2 <= pt.end[p2])
    p2, d2 = p2[ok], d2[ok]
    adm = ev[(ev["kind"] == "mental_health").to_numpy() & (ev["admit"].to_numpy() >= MHSDS_FROM)]
    p3, a3 = adm["person"].to_numpy(), adm["admit"].to_numpy()
    d3 = np.maximum(a3 - rng.integers(0, 4, len(p3)), np.maximum(pt.start[p3], MHSDS_FROM))
    p = np.r_[p1, p2, p3]
    day = np.r_[d1, d2, d3]
    k = len(p)
    spell = np.r_[np.full(len(p1) + len(p2), -1), np.arange(len(p3))]
    spell_end = np.where(spell >= 0, (a3 + adm["los"].to_numpy())[np.maximum(spell, 0)], 0)
    disc = np.where(spell >= 0, spell_end + rng.gamma(1.0, 90, k),
                    day + rng.gamma(0.8, 300, k)).astype(np.int64)
    disc = np.where(spell_end > WORLD_END, OPEN, np.minimum(disc, pt.death[p]))
    provider = PROVIDERS[pt.lad_of_address[pt.address(p, day)] % len(PROVIDERS)]
    refs = issue_ids(rng, pd.DataFrame({"person_idx": p, "received": to_dates(day)}), "received",
                     "mhsds_referrals")
    r = refs["source_row"].to_numpy()
    ref_id = np.empty(k, dtype=object)
    ref_id[r] = refs["record_id"].to_numpy()
    out = {"raw.mhsds_referrals": pd.DataFrame({
        "servicerequestid": ref_id[r], "nhs_number": pt.nhs[p[r]], "orgidprov": provider[r],
        "referralrequestreceiveddate": refs["received"].to_numpy(),
        "servdischdate": to_dates(disc[r]),
        "primreasonreferralmh": _reasons(rng, pt, p, day, spell >= 0)[r]})}
    # care contacts within each referral
    n_contacts = 1 + rng.poisson(4 * np.exp(0.3 * pt.z["mental_health"][p])) + 3 * (spell >= 0)
    c = np.repeat(np.arange(k), n_contacts)
    last = np.minimum(disc, pt.end[p])
    cday = uniform_ints(rng, day[c], last[c], len(c))
    dna = np.clip(0.08 * np.exp(0.4 * pt.z["substance_misuse"] + 0.2 * pt.z["low_income"]),
                  0, 0.4)[p[c]]
    attend = np.where(rng.random(len(c)) < dna, "3", pick(
        rng, {"5": .86, "6": .03, "7": .01, "2": .06, "4": .04}, len(c))).astype(object)
    contacts = issue_ids(rng, pd.DataFrame({"person_idx": p[c], "on": to_dates(cday)}), "on",
                         "mhsds_care_contacts")
    cr = contacts["source_row"].to_numpy()
    out["raw.mhsds_care_contacts"] = pd.DataFrame({
        "carecontid": contacts["record_id"].to_numpy(), "nhs_number": pt.nhs[p[c[cr]]],
        "servicerequestid": ref_id[c[cr]], "carecontdate": contacts["on"].to_numpy(),
        "attendornot": attend[cr]})
    # inpatient spells: the mental-health admissions
    h = np.flatnonzero(spell >= 0)
    spells = issue_ids(rng, pd.DataFrame({"person_idx": p[h], "start": to_dates(a3[spell[h]])}),
                       "start", "mhsds_hosp_spells")
    hr = h[spells["source_row"].to_numpy()]
    out["raw.mhsds_hosp_spells"] = pd.DataFrame({
        "hospprovspellid": spells["record_id"].to_numpy(), "nhs_number": pt.nhs[p[hr]],
        "servicerequestid": ref_id[hr], "startdatehospprovspell": spells["start"].to_numpy(),
        "dischdatehospprovspell": to_dates(spell_end[hr]),
        "methadmmhhospprovspell": pd.Series(adm["admimeth"].to_numpy()[spell[hr]]).map(
            _METHOD_MH).to_numpy(dtype=object)})
    # one MPI row per person and provider, from the first referral's month
    first = pd.DataFrame({"person": p, "provider": provider, "day": day}).sort_values(
        "day", kind="stable").drop_duplicates(["person", "provider"])
    mp, md = first["person"].to_numpy(), first["day"].to_numpy()
    month = md.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[ns]")
    mpi = issue_ids(rng, pd.DataFrame({"person_idx": mp, "month": month}), "month", "mhsds_mpi")
    mr = mpi["source_row"].to_numpy()
    ethnic = pt.ethnos[mp[mr]].copy()
    ethnic[rng.random(len(mr)) < 0.03] = "Z"
    out["raw.mhsds_mpi"] = pd.DataFrame({
        "mpi_record_id": mpi["record_id"].to_numpy(), "nhs_number": pt.nhs[mp[mr]],
        "orgidprov": first["provider"].to_numpy()[mr], "ethniccategory": ethnic,
        "gender": np.where(pt.male[mp[mr]], "1", "2").astype(object),
        "lsoa2011": pt.lsoa(mp[mr], md[mr]), "recordstartdate": mpi["month"].to_numpy()})
    return out
