"""Council (local-authority-owned) tenancies, as councils' housing management systems hold them
(raw.la_tenancies; the source is declared in catalog/sources/housing.py).

**Who and where.** A council tenancy is one of a person's homes in the world's address history
(`ctx.addresses`), let by the council of its LAD: the tenancy begins when the person moves in
(a first address, held since before the world, gets a start drawn from 2000, the extract's first
year, or from the tenant's 18th birthday) and ends when they move out, die (DTH) or never
(open). Each home is let by the council with a person's propensity `c * w` (w rises with the
low-income, accommodation and family needs, `TENANT_WEIGHTS`), higher when the previous home
was a council tenancy of the same council (a transfer); `c` is solved on the drawn uniforms so
that `TENANT_SHARE` of adults hold a tenancy in mid-2023 (about 7%: English Housing Survey
2022-23, local authorities let about 1.6m of England's 24.6m households' homes, ~6.5%; one
tenant per tenancy here, so the share counts the adults living in council homes as tenants).

**Ends.** A move to another council home of the same council is a transfer (TRF) or mutual
exchange (MUT); any other move is an eviction for rent arrears (EVR, more likely with high
accommodation and low-income needs), for anti-social behaviour (EVA, offending), abandonment
(ABN, substance misuse; most ends while the tenant is in prison), other (OTH) or the tenant's
notice (NTQ). Evictions feed H-CLIC (`homelessness.py`). Tenure: introductory (INT) for
tenancies from 2004 ending or still in their first year, flexible (FLX) at the councils using
them from April 2013 (Localism Act 2011), demoted (DEM) for a few with anti-social behaviour,
secure (SEC) otherwise; temporary accommodation licences (TMP) are the H-CLIC placements in the
council's own stock (`tmp_tenancies`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.housing_people import AGE_18, HousingPeople, choose, sigmoid
from bold_assets.world.labour_market import OPEN, WORLD_END, day_number, uniform_ints

TENANT_SHARE = 0.07  # adults holding a council tenancy in mid-2023
PREVALENCE_DAY = day_number("2023-06-30")
FIRST_DAY = day_number("2000-01-01")
TENANT_WEIGHTS = {"low_income": 1.1, "accommodation": 0.6, "family": 0.3, "employment": 0.2}
MAX_LET = 0.9  # at most this chance that a home of one person is a council tenancy
TRANSFER_BOOST = 4.0  # next home of the same council: the propensity times this
FLEXIBLE_COUNCILS = 0.3  # councils granting flexible tenancies (from April 2013)
END_REASONS = ("EVR", "EVA", "ABN", "OTH", "NTQ")
# Arrears at the end by reason: (share with arrears, median pounds, log-sd).
ARREARS = {"EVR": (1.0, 2200, 0.6), "EVA": (0.4, 600, 0.8), "ABN": (0.7, 900, 0.8),
           "NTQ": (0.25, 300, 0.9), "DTH": (0.3, 250, 0.8), "OTH": (0.2, 200, 0.8),
           "TRF": (0.03, 100, 0.5), "MUT": (0.03, 100, 0.5)}  # fmt: skip


def _propensity(hp: HousingPeople) -> np.ndarray:
    w = np.exp(sum(b * hp.z[k] for k, b in TENANT_WEIGHTS.items()))
    return w / w.mean()


def _let(u: np.ndarray, q: np.ndarray, seq: np.ndarray, same_lad_as_prev: np.ndarray,
         c: float) -> np.ndarray:
    """Which homes are council tenancies at scale `c` (home order within person)."""
    let = np.zeros(len(u), dtype=bool)
    for s in range(1, int(seq.max()) + 1):
        rows = np.flatnonzero(seq == s)
        boost = np.ones(len(rows))
        if s > 1:
            boost[let[rows - 1] & same_lad_as_prev[rows]] = TRANSFER_BOOST
        let[rows] = u[rows] < np.minimum(c * q[rows] * boost, MAX_LET)
    return let


def council_tenancies(hp: HousingPeople, rng: np.random.Generator) -> pd.DataFrame:
    """Tenancies of the council stock: person_idx, address row, lad, start, end (day numbers;
    OPEN: live), end_reason (None: live), tenure, tenant_key (person within council)."""
    person, seq = hp.a_person, hp.a_seq
    first = np.maximum.reduce([np.full(len(person), FIRST_DAY), hp.dob[person] + AGE_18,
                               hp.start[person]])
    hi = np.minimum(hp.a_to, hp.last_day[person])
    lo = np.where(seq == 1, first, np.maximum(hp.a_from, first))
    start = np.where(seq == 1, uniform_ints(rng, lo, hi, len(person)), lo)
    ok = lo <= hi
    same_lad = np.r_[False, (hp.a_lad[1:] == hp.a_lad[:-1]) & (person[1:] == person[:-1])]
    q = np.where(ok, _propensity(hp)[person], 0.0)
    u = rng.random(len(person))
    # adults alive in mid-2023 and the home each then lives in
    adults = np.flatnonzero((hp.dob + AGE_18 <= PREVALENCE_DAY) & (hp.start <= PREVALENCE_DAY)
                            & (hp.death > PREVALENCE_DAY))
    home = hp.address(adults, np.full(len(adults), PREVALENCE_DAY))
    counted = start[home] <= PREVALENCE_DAY
    lo_c, hi_c = 0.0, 20.0
    for _ in range(18):  # bisection: the share of adults in a council tenancy in mid-2023
        c = (lo_c + hi_c) / 2
        share = (_let(u, q, seq, same_lad, c)[home] & counted).mean()
        lo_c, hi_c = (c, hi_c) if share < TENANT_SHARE else (lo_c, c)
    let = _let(u, q, seq, same_lad, (lo_c + hi_c) / 2) & ok
    rows = np.flatnonzero(let)
    p = person[rows]
    died = hp.death[p] <= np.minimum(hp.a_to[rows], WORLD_END)
    moved = ~died & (hp.a_to[rows] <= WORLD_END)
    end = np.where(died, hp.death[p], np.where(moved, hp.a_to[rows], OPEN))
    reason = np.full(len(rows), None, dtype=object)
    reason[died] = "DTH"
    nxt = np.minimum(rows + 1, len(person) - 1)
    transfer = moved & let[nxt] & same_lad[nxt]
    reason[transfer] = np.where(rng.random(transfer.sum()) < 0.85, "TRF", "MUT")
    other = moved & ~transfer
    z = {k: v[p] for k, v in hp.z.items()}
    jailed = hp.in_custody(p, np.minimum(end, WORLD_END))
    w = np.column_stack([
        sigmoid(-5.0 + 0.7 * z["accommodation"] + 0.6 * z["low_income"]),
        sigmoid(-6.0 + 0.9 * z["offending"]),
        np.where(jailed, 3.0, sigmoid(-3.6 + 0.6 * z["substance_misuse"]
                                      + 0.3 * z["mental_health"])),
        np.full(len(rows), 0.03)])
    w = np.column_stack([w, np.maximum(1 - w.sum(axis=1), 0.05)])
    reason[other] = np.array(END_REASONS, dtype=object)[choose(rng, w[other])]
    tenure = _tenure(hp, rng, hp.a_lad[rows], start[rows], end, z)
    return pd.DataFrame({
        "person_idx": p, "address_row": rows, "lad": hp.a_lad[rows], "start": start[rows],
        "end": end, "end_reason": reason, "tenure": tenure,
        "postcode": hp.a_postcode[rows]})


def _tenure(hp: HousingPeople, rng: np.random.Generator, lad: np.ndarray, start: np.ndarray,
            end: np.ndarray, z: dict[str, np.ndarray]) -> np.ndarray:
    n = len(lad)
    flexible_council = rng.random(len(hp.lad_codes)) < FLEXIBLE_COUNCILS
    tenure = np.full(n, "SEC", dtype=object)
    tenure[flexible_council[lad] & (start >= day_number("2013-04-01"))
           & (rng.random(n) < 0.6)] = "FLX"
    first_year = (start >= day_number("2004-01-01")) & (np.minimum(end, WORLD_END) - start < 365)
    tenure[first_year] = "INT"
    demoted = rng.random(n) < 0.005 + 0.03 * (z["offending"] > 1.0)
    tenure[demoted & ~first_year] = "DEM"
    return tenure


def tmp_tenancies(hp: HousingPeople, rng: np.random.Generator,
                  placements: pd.DataFrame) -> pd.DataFrame:
    """Temporary accommodation licences (TMP) for H-CLIC placements in the council's own stock
    within its district (type 5, not out of area), at a postcode of that council's area."""
    own = placements[(placements["ta_type"] == "5") & (placements["out_of_area"] == "N")]
    end = own["end"].to_numpy()
    reason = np.where(end > WORLD_END, None, np.where(rng.random(len(own)) < 0.7, "NTQ", "OTH"))
    return pd.DataFrame({
        "person_idx": own["person_idx"].to_numpy(), "address_row": -1,
        "lad": own["lad"].to_numpy(), "start": own["start"].to_numpy(),
        "end": np.where(end > WORLD_END, OPEN, end), "end_reason": reason.astype(object),
        "tenure": "TMP", "postcode": own["postcode"].to_numpy()})


def arrears(rng: np.random.Generator, reason: np.ndarray) -> np.ndarray:
    """Rent arrears at the end of each tenancy by its end reason (NaN: live)."""
    out = np.full(len(reason), np.nan)
    for r, (share, median, sd) in ARREARS.items():
        rows = np.flatnonzero(reason == r)
        owed = rng.random(len(rows)) < share
        out[rows] = np.where(owed, np.round(rng.lognormal(np.log(median), sd, len(rows)), 2), 0.0)
    return out


def tenant_refs(rng: np.random.Generator, lad_codes: np.ndarray, person: np.ndarray,
                lad: np.ndarray) -> np.ndarray:
    """The council's reference of each tenancy's tenant: the same for one person within one
    council, numbered in a random order."""
    key = lad.astype(np.int64) * (1 << 32) + person
    uniq, inverse = np.unique(key, return_inverse=True)
    number = rng.permutation(len(uniq)) + 100_001
    code = lad_codes[(uniq >> 32).astype(np.int64)]
    labels = np.array([f"{c}-T{k}" for c, k in zip(code, number, strict=True)], dtype=object)
    return labels[inverse]
