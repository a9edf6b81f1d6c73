"""Who applies to a council as homeless or threatened with homelessness, when, where and why: the
cases of H-CLIC (wave 4, DOMAIN.md), before councils record them (`hclic.py`).

**Events of the earlier waves** (each person's raw records, reached through truth):

- *release from prison* (raw.prison): `NO_ACCOMMODATION_ON_RELEASE` of releases from April 2018
  have nowhere to live (HMPPS Community Performance Quarterly, year to March 2024: ~13%; the
  logit leans on accommodation, substance-misuse and mental-health needs, its intercept solved
  on the world's releases); `RELEASE_PRESENTS` of them apply within weeks: before release on a
  prison's referral (threatened: prevention, accommodation "7 custody") or after it (homeless:
  relief, "5 no fixed abode" or "6 rough sleeping"), reason "06 left institution (prison)";
- *possession claims* against the person (raw.civil defendants): most often after repossession
  by bailiffs (before it: prevention; after: relief), reasons "01" (private landlords), "02"
  (social landlords) or "12" (mortgage lenders);
- *family court* (raw.family): domestic-abuse injunction applicants ("04"), parties to private
  law and divorce cases ("05 relationship breakdown");
- *council evictions* (raw.la_tenancies, `council_housing.py`): "02 end of social tenancy".

**Latent need.** The rest of the volume comes from the latent homelessness outcome and the
accommodation, low-income, substance-misuse, mental-health and family drivers (`LATENT_WEIGHTS`)
and age (`age_curve`: H-CLIC lead applicants are mostly 18-44), such that every financial year
has `ASSESSMENTS_PER_1000` x `YEAR_FACTOR` initial assessments per 1,000 people (DLUHC
Statutory homelessness annual tables: 358,370 in 2023-24 for England's ~57.7m people; earlier
years from the owed-a-duty series, 2018-19 about 19% lower). Initial assessments follow
`OUTCOME_SHARES` (2023-24: prevention 146,430, relief 178,560, no duty the rest;
`hclic_assessment.py` draws the outcomes events leave open so each year's shares match).

Nobody applies before 16, before arriving in the country, after death, while in prison (but
for the referral before release) or within `MIN_GAP_DAYS` of their previous application. The
council is the LAD of the address the person lives at on the application day, so people who
move apply again to another council (repeat presentations, one person).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bold_assets.world.context import WorldContext
from bold_assets.world.housing_people import AGE_16, HousingPeople, sigmoid
from bold_assets.world.labour_market import WORLD_END, day_number, day_numbers

HCLIC_START = day_number("2018-04-03")  # Homelessness Reduction Act 2017 commenced
ASSESSMENTS_PER_1000 = 358_370 / 57_700_000 * 1000  # England 2023-24, per head
OUTCOME_SHARES = {"1": 146_430 / 358_370, "2": 178_560 / 358_370,
                  "3": 1 - 324_990 / 358_370}  # fmt: skip
# Financial years (April start) relative to 2023-24 (owed-a-duty series, rounded).
YEAR_FACTOR = {2018: 0.81, 2019: 0.89, 2020: 0.83, 2021: 0.86, 2022: 0.92, 2023: 1.0}
NO_ACCOMMODATION_ON_RELEASE = 0.13
RELEASE_PRESENTS = 0.75
MIN_GAP_DAYS = 56
LATENT_WEIGHTS = {"homelessness": 0.75, "accommodation": 0.4, "low_income": 0.25,
                  "substance_misuse": 0.2, "mental_health": 0.15, "family": 0.15}
def age_curve(age: np.ndarray) -> np.ndarray:
    """Relative application rate per head by age (H-CLIC lead applicants: most 18-44)."""
    return np.select([age < 16, age < 18, age < 25, age < 35, age < 45, age < 55, age < 65,
                      age < 75, age < 95], [0.0, 0.3, 1.5, 1.6, 1.2, 0.8, 0.5, 0.2, 0.08], 0.0)


def segments() -> list[tuple[int, int, float]]:
    """Financial years of H-CLIC within the world: (first day, last day, volume factor)."""
    out = []
    for year, factor in YEAR_FACTOR.items():
        first = max(day_number(f"{year}-04-01"), HCLIC_START)
        out.append((first, min(day_number(f"{year + 1}-03-31"), WORLD_END), factor))
    return out


def release_housing(ctx: WorldContext, hp: HousingPeople,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Releases from prison (raw.prison) from April 2018: journey_id, person_idx, release day and
    whether the person had no accommodation to go to."""
    prison = ctx.tables["raw.prison"]
    person = hp.persons_of(ctx, "prison")
    release = day_numbers(prison["release_date"])
    keep = (person >= 0) & (release >= HCLIC_START) & (release <= WORLD_END)
    p = person[keep]
    x = (0.8 * hp.z["accommodation"][p] + 0.5 * hp.z["substance_misuse"][p]
         + 0.3 * hp.z["mental_health"][p])
    lo, hi = -10.0, 5.0
    for _ in range(40):  # the intercept giving the published share on these releases
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sigmoid(mid + x).mean() < NO_ACCOMMODATION_ON_RELEASE else (lo, mid)
    prob = sigmoid((lo + hi) / 2 + x)
    # systematic sampling in a random order: each release keeps its chance, the total its sum
    order, u0 = rng.permutation(len(p)), rng.random()
    flag = np.zeros(len(p), dtype=bool)
    flag[order] = np.diff(np.floor(np.r_[u0, u0 + np.cumsum(prob[order])])) > 0
    return pd.DataFrame({"journey_id": prison["journey_id"].to_numpy()[keep], "person_idx": p,
                         "release": release[keep], "no_accommodation": flag})


def _cases(person: ArrayLike, day: ArrayLike, cause: str, outcome: ArrayLike, reason: ArrayLike,
           accommodation: ArrayLike, event: ArrayLike = -1) -> pd.DataFrame:
    """Cases frame; `event`: day of the event that ends the home (release, repossession,
    eviction; -1 none); "" where the assessment decides later."""
    n = len(person)

    def col(v: ArrayLike) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=object), n).copy()

    return pd.DataFrame({"person_idx": np.asarray(person, np.int64),
                         "day": np.asarray(day, np.int64), "cause": col(cause),
                         "outcome": col(outcome), "reason": col(reason),
                         "accommodation": col(accommodation),
                         "event_day": np.broadcast_to(np.asarray(event, np.int64), n).copy()})


def _days(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, n)


def event_cases(ctx: WorldContext, hp: HousingPeople, rng: np.random.Generator,
                releases: pd.DataFrame, tenancies: pd.DataFrame) -> pd.DataFrame:
    """Applications following prison releases, possession claims, family cases and council
    evictions (outcome / accommodation "" where the assessment decides them later)."""
    out = []
    r = releases[releases["no_accommodation"].to_numpy()]
    r = r[rng.random(len(r)) < RELEASE_PRESENTS]
    before = rng.random(len(r)) < 0.45
    day = r["release"].to_numpy() + np.where(before, -_days(rng, 1, 56, len(r)),
                                             _days(rng, 0, 42, len(r)))
    acc = np.where(before, "7", np.where(rng.random(len(r)) < 0.7, "5", "6"))
    out.append(_cases(r["person_idx"], day, "prison", np.where(before, "1", "2"), "06", acc,
                      r["release"]))

    civil = ctx.tables["raw.civil"]
    person = hp.persons_of(ctx, "civil")
    d = civil.assign(person_idx=person)[(person >= 0)
                                        & (civil["party_role"] == "DEFENDANT").to_numpy()]
    d = d.drop_duplicates("claim_number")
    possession = d["possession_date"].notna().to_numpy()
    present = np.select([possession, d["warrant_date"].notna().to_numpy(),
                         (d["order_type"] == "OUTRIGHT").to_numpy(),
                         (d["order_type"] == "SUSPENDED").to_numpy()],
                        [0.55, 0.35, 0.25, 0.06], 0.03)
    d = d[rng.random(len(d)) < present]
    possession = d["possession_date"].notna().to_numpy()
    n = len(d)
    before = possession & (rng.random(n) < 0.65)
    after = possession & ~before
    base = np.where(possession, day_numbers(d["possession_date"]),
                    np.where(d["order_date"].notna(), day_numbers(d["order_date"]),
                             day_numbers(d["claim_date"])))
    day = base + np.where(before, -_days(rng, 7, 56, n), np.where(
        after, _days(rng, 0, 21, n), _days(rng, 0, 60, n)))
    kind = d["claim_type"].to_numpy()
    reason = np.select([kind == "RENT_SOCIAL", kind == "MORTGAGE"], ["02", "12"], "01")
    housed = np.select([kind == "RENT_SOCIAL", kind == "MORTGAGE"], ["2", "8"], "1")
    outcome = np.where(after, "2", np.where(possession | (rng.random(n) < 0.8), "1", "3"))
    acc = np.where(after, np.array(["3", "4", "5"], dtype=object)[rng.choice(3, n, p=[.4, .25,
                                                                                 .35])], housed)
    out.append(_cases(d["person_idx"], day, "civil", outcome, reason, acc,
                      np.where(possession, base, -1)))

    fam = ctx.tables["raw.family"]
    person = hp.persons_of(ctx, "family")
    kind = fam["case_type"].to_numpy()
    abuse = (kind == "FLA") & (fam["party_role"] == "APPLICANT").to_numpy()
    split = np.isin(kind, ["PRIVATE", "DIVORCE"])
    p_present = np.where(abuse, 0.2, np.where(split, 0.03, 0.0))
    keep = (person >= 0) & (rng.random(len(fam)) < p_present)
    n = int(keep.sum())
    day = day_numbers(fam["issue_date"])[keep] + _days(rng, -30, 90, n)
    reason = np.where(abuse[keep], "04", "05")
    u = rng.random(n)
    outcome = np.where(abuse[keep], np.where(u < 0.65, "2", "1"),
                       np.where(u < 0.5, "1", np.where(u < 0.9, "2", "3")))
    out.append(_cases(person[keep], day, "family", outcome, reason, ""))

    ev = tenancies[tenancies["end_reason"].isin(["EVR", "EVA"]).to_numpy()
                   & (tenancies["end"] <= WORLD_END).to_numpy()]
    ev = ev[rng.random(len(ev)) < np.where(ev["end_reason"] == "EVR", 0.55, 0.45)]
    n = len(ev)
    before = rng.random(n) < 0.7
    day = ev["end"].to_numpy() + np.where(before, -_days(rng, 1, 56, n), _days(rng, 0, 28, n))
    acc = np.where(before, "2", np.array(["3", "4", "5"], dtype=object)[rng.integers(0, 3, n)])
    out.append(_cases(ev["person_idx"], day, "eviction", np.where(before, "1", "2"), "02", acc,
                      ev["end"]))
    return pd.concat(out, ignore_index=True)


def _allowed(hp: HousingPeople, c: pd.DataFrame) -> np.ndarray:
    """Applications the world allows: in H-CLIC's years, aged 16-98, in the country, alive, not in
    prison (but for a prison's referral before release, "7 custody")."""
    p, day = c["person_idx"].to_numpy(), c["day"].to_numpy()
    ok = (day >= HCLIC_START) & (day <= WORLD_END) & (day >= hp.dob[p] + AGE_16)
    ok &= day < hp.dob[p] + 99 * 365  # H-CLIC ages 16-100 (catalog hclic.py)
    ok &= (day >= hp.start[p]) & (day < hp.death[p])
    referred = ((c["cause"] == "prison") & (c["accommodation"] == "7")).to_numpy()
    return ok & (referred | ~hp.in_custody(p, day))


def _spaced(c: pd.DataFrame) -> pd.DataFrame:
    """Drop applications within MIN_GAP_DAYS of the same person's previous one (latent ones
    first)."""
    for _ in range(4):
        c = c.sort_values(["person_idx", "day"], kind="stable").reset_index(drop=True)
        p, day = c["person_idx"].to_numpy(), c["day"].to_numpy()
        close = np.r_[False, (p[1:] == p[:-1]) & (day[1:] - day[:-1] < MIN_GAP_DAYS)]
        if not close.any():
            break
        latent = (c["cause"] == "latent").to_numpy()
        idx = np.flatnonzero(close)
        now, prev = latent[idx], latent[idx - 1]
        drop = np.zeros(len(c), dtype=bool)
        drop[idx[now | ~prev]] = True  # the later one, unless only the earlier is latent
        drop[idx[~now & prev] - 1] = True
        c = c[~drop]
    return c.reset_index(drop=True)


def _latent_counts(cases: pd.DataFrame) -> np.ndarray:
    day, latent = cases["day"].to_numpy(), (cases["cause"] == "latent").to_numpy()
    return np.array([(latent & (day >= a) & (day <= b)).sum() for a, b, _ in segments()])


def latent_cases(hp: HousingPeople, rng: np.random.Generator, events: pd.DataFrame
                 ) -> pd.DataFrame:
    """Events plus applications from latent need: each financial year Poisson(its published
    volume per head less its event cases) of them, redrawn where the world's rules drop one."""
    w = np.exp(sum(b * hp.z[k] for k, b in LATENT_WEIGHTS.items()))
    day = events["day"].to_numpy()
    need = np.array([rng.poisson(max(ASSESSMENTS_PER_1000 / 1000 * f * hp.person_years(a, b)
                                     - ((day >= a) & (day <= b)).sum(), 0))
                     for a, b, f in segments()])
    cases = events
    for _ in range(4):  # spacing and custody drop a few: draw them again
        drawn = []
        for (first, last, _), k in zip(segments(), need, strict=True):
            lo = np.maximum.reduce([np.full(hp.n, first), hp.start, hp.dob + AGE_16])
            hi = np.minimum(last, hp.death - 1)
            span = np.maximum(hi - lo + 1, 0)
            weight = w * age_curve(hp.age(np.arange(hp.n), (lo + hi) / 2)) * span
            person = rng.choice(hp.n, k, p=weight / weight.sum())
            day_of = lo[person] + (rng.random(k) * span[person]).astype(np.int64)
            jailed = hp.in_custody(person, day_of)
            day_of[jailed] = lo[person[jailed]] + (rng.random(jailed.sum())
                                                   * span[person[jailed]]).astype(np.int64)
            drawn.append(_cases(person, day_of, "latent", "", "", ""))
        before = _latent_counts(cases) + need
        cases = pd.concat([cases, *drawn], ignore_index=True)
        cases = _spaced(cases[_allowed(hp, cases)])
        need = np.maximum(before - _latent_counts(cases), 0)
        if not need.any():
            break
    return cases


def presentations(ctx: WorldContext, hp: HousingPeople, rng: np.random.Generator,
                  releases: pd.DataFrame, tenancies: pd.DataFrame) -> pd.DataFrame:
    """Every homelessness application of the world (H-CLIC's cases, submitted or not): person,
    day, cause, and the outcome, reason and accommodation events fix ("" where
    `hclic_assessment.assess` decides them)."""
    events = event_cases(ctx, hp, rng, releases, tenancies)
    events = _spaced(events[_allowed(hp, events)])
    return latent_cases(hp, rng, events)

