"""Who appears in which justice dataset, when, and with what: the clean event records.

The people are a general population; most never meet a justice system. Contact arises from
Poisson processes whose rates follow each person's latent states, sex and age (`life_events`),
scaled so that volumes per head per year follow the published figures in `rates.VOLUMES`.
Criminal careers are simulated whole from 1995 (`criminal_careers`); the magistrates', Crown
Court, prison, probation and OASys extracts are windows on them, so cross-dataset patterns are
real: people with high offending propensity return to court, go to prison, are supervised and
assessed; accommodation and income needs drive possession claims; family needs drive family
cases. Each function returns one row per source record with `person_idx`, the event date and
the source's non-identifier columns. Identifiers are added later (`identifiers.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.sources import INDICTABLE_OFFENCES, OASYS_NEED_THRESHOLDS, OASYS_SECTIONS
from bold_assets.world.rates import AGE_CIVIL, AGE_CRIME, AGE_FAMILY, VOLUMES

COURT_RETURN_RATE = 0.56  # MoJ: 56% of defendants 2011-2019 returned to court in the period
_DAY = np.timedelta64(1, "D")
WORLD_END = np.datetime64("2023-12-31")

OFFENCE_P = {"THF": 0.22, "VAP": 0.18, "SNM": 0.14, "MOT": 0.15, "DRG": 0.08, "POR": 0.07,
             "CDA": 0.05, "BUR": 0.04, "FRD": 0.02, "WPN": 0.02, "ROB": 0.02, "SEX": 0.01}
# Magistrates' outcomes (before cases are sent to the Crown Court): mostly fines, as in CJS.
MAGS_DISPOSAL_P = {"NOT_GUILTY": 0.12, "DISCH": 0.07, "FINE": 0.58, "COMM": 0.05, "SSO": 0.02,
                   "IMM_CUST": 0.015, "OTHER": 0.115}
CROWN_SENTENCE_P = {"IMM_CUST": 0.38, "SSO": 0.15, "COMM": 0.14, "FINE": 0.04, "DISCH": 0.03,
                    "OTHER": 0.11, "ACQUITTED": 0.15}
# OASys need prevalence (standard or severe) by setting: (custody, community).
# Accommodation, lifestyle and alcohol: HMPPS published figures, 31 Oct 2024 (DOMAIN.md).
# The others are the project's assumptions, with custody higher except for alcohol.
OASYS_NEED_PREVALENCE = {
    3: (0.68, 0.39), 4: (0.58, 0.46), 5: (0.30, 0.25), 6: (0.50, 0.38), 7: (0.89, 0.71),
    8: (0.55, 0.40), 9: (0.22, 0.24), 10: (0.50, 0.42), 11: (0.90, 0.83), 12: (0.55, 0.40),
}  # fmt: skip
OASYS_SECTION_DRIVER = {3: "accommodation", 4: "employment", 5: "low_income", 6: "family",
                        7: "offending", 8: "substance_misuse", 9: "substance_misuse",
                        10: "mental_health", 11: "offending", 12: "offending"}
FAMILY_CASE_P = {"PRIVATE": 0.45, "DIVORCE": 0.25, "PUBLIC": 0.12, "FLA": 0.13, "ADOPTION": 0.05}
CIVIL_CLAIM_P = {"RENT_SOCIAL": 0.55, "RENT_PRIVATE": 0.2, "MORTGAGE": 0.15, "ACCELERATED": 0.1}
COMPANIES = {
    "RENT_SOCIAL": ["Clarion Housing Association Ltd", "Sanctuary Housing Association",
                    "Home Group Ltd", "London & Quadrant Housing Trust", "Peabody Trust",
                    "Places for People Homes Ltd", "Riverside Group Ltd", "Midland Heart Ltd"],
    "MORTGAGE": ["Barclays Bank UK PLC", "Lloyds Bank PLC", "NatWest Bank PLC",
                 "Santander UK PLC", "Nationwide Building Society", "Kensington Mortgages Ltd"],
    "RENT_PRIVATE": ["Castle Lettings Ltd", "Homes4U Property Management Ltd"],
    "ACCELERATED": ["Castle Lettings Ltd", "Greenfield Estates Ltd"],
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _choice(rng: np.random.Generator, p: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(p), dtype=object)
    w = np.array(list(p.values()))
    return rng.choice(keys, size=n, p=w / w.sum())


def _days(rng, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi, n) * _DAY


def _cumulative(curve: np.ndarray) -> np.ndarray:
    """Integral of a per-year-of-age rate curve at ages 0, 1, ..., len(curve) (strictly rising)."""
    return np.r_[0.0, np.cumsum(curve + 1e-9)]


def _age_years(dob: np.ndarray, when: np.datetime64 | np.ndarray) -> np.ndarray:
    return (np.asarray(when, dtype="datetime64[D]") - dob).astype(int) / 365.25


def life_events(rng: np.random.Generator, dob: np.ndarray, weight: np.ndarray,
                age_curve: np.ndarray, start: str, end: str, per_head_per_year: float,
                calibrate: tuple[str, str, int] | None = None,
                return_rate: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Events of a Poisson process whose rate is weight[i] * age_curve[age], between `start`
    and `end`; returns (person index, date) sorted by person then date.

    The rates are scaled so that the expected number of events per head per year, over the whole
    population (all ages), is `per_head_per_year` in the period `calibrate` = (start, end,
    minimum age) (default: `start`, `end`, no minimum age): the published volume is met exactly
    in expectation, while who has events follows the weights and the age curve.

    With `return_rate`, only some people are ever at risk: those whose log weight plus logistic
    noise passes a threshold solved so that, in the calibration period, that share of people
    with an event has two or more (Poisson counts, so the share is exact in expectation). Most
    people never have an event; those at risk return, as the published repeat rate says.
    """
    ages = np.arange(len(age_curve) + 1, dtype=float)
    cum = _cumulative(age_curve)

    def exposure(t0: str, t1: str, min_age: float = 0.0) -> np.ndarray:
        a0 = np.clip(_age_years(dob, np.datetime64(t0)), min_age, ages[-1])
        a1 = np.clip(_age_years(dob, np.datetime64(t1)), min_age, ages[-1])
        return np.interp(a1, ages, cum) - np.interp(a0, ages, cum)

    c_start, c_end, c_min = calibrate or (start, end, 0)
    years = ((np.datetime64(c_end) - np.datetime64(c_start)).astype(int) + 1) / 365.25
    expected = (weight * exposure(c_start, c_end, c_min)).sum()
    scale = per_head_per_year * years * len(dob) / max(expected, 1e-12)
    if return_rate is not None:
        key = np.log(weight) + rng.logistic(size=len(dob))
        at_risk = _at_risk(key, weight * exposure(c_start, c_end, c_min),
                           per_head_per_year * years * len(dob), return_rate)
        weight = np.where(at_risk, weight, 0.0)
        scale = per_head_per_year * years * len(dob) / max(
            (weight * exposure(c_start, c_end, c_min)).sum(), 1e-12)
    lo = np.interp(np.clip(_age_years(dob, np.datetime64(start)), 0, ages[-1]), ages, cum)
    hi = np.interp(np.clip(_age_years(dob, np.datetime64(end)), 0, ages[-1]), ages, cum)
    n_events = rng.poisson(scale * weight * np.maximum(hi - lo, 0))
    person = np.repeat(np.arange(len(dob)), n_events)
    x = lo[person] + rng.random(len(person)) * (hi - lo)[person]
    age = np.interp(x, cum, ages)
    date = dob[person] + (age * 365.25).astype(int) * _DAY
    date = np.clip(date, np.datetime64(start), np.datetime64(end))
    order = np.lexsort((date, person))
    return person[order], date[order]


def _at_risk(key: np.ndarray, exposure: np.ndarray, total: float,
             return_rate: float) -> np.ndarray:
    """People at risk (key above a threshold) such that Poisson counts scaled to `total` events
    give P(N>=2)/P(N>=1) = `return_rate` (bisection on the threshold's quantile)."""
    lo, hi = 0.0, 0.9999
    for _ in range(50):
        q = (lo + hi) / 2
        mask = key > np.quantile(key, q)
        mu = exposure[mask] * total / max(exposure[mask].sum(), 1e-12)
        p0, p1 = np.exp(-mu), mu * np.exp(-mu)
        rate = (1 - p0 - p1).sum() / max((1 - p0).sum(), 1e-12)
        lo, hi = (q, hi) if rate < return_rate else (lo, q)
    return key > np.quantile(key, (lo + hi) / 2)


CAREER_START = "1995-01-01"  # criminal careers are simulated from here (PNC history)
MAGS_MIN_AGE = 16  # the magistrates' extract holds defendants aged 16 and over
OFFENDING_WEIGHT = 1.4  # log-rate per SD of latent offending: concentration of repeat cases
MALE_LOG_RATE = 1.35  # log-rate of men over women: ~85% of defendants male
SENT_CC_P = 0.15  # indictable cases sent to the Crown Court (-> ~150 per 100k a year)
ESCALATION_P = 0.05  # cases from the third on: share given a community or custodial sentence
FEMALE_CUSTODY_DIVERTED = 0.65  # women's custodial sentences given as suspended instead


def criminal_careers(persons: pd.DataFrame, z: dict[str, np.ndarray],
                     rng: np.random.Generator) -> pd.DataFrame:
    """Every court case of everyone's criminal career from 1995, one row per case.

    Columns: person_idx, first_hearing_date, offence_date, principal_offence_code,
    offence_count, case_seq (0 = first case), disposal_code (magistrates), disposal_date; for
    cases sent to the Crown Court receipt_date, trial_type, verdict_date, sentence_type,
    sentence_date, appeal; for custodial sentences reception_date, sentence_days, release_date.
    The extracts (mags, crown, prison, probation, OASys) are windows on this frame.
    """
    male = (persons["sex"] == "M").to_numpy()
    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    weight = np.exp(OFFENDING_WEIGHT * z["offending"] + MALE_LOG_RATE * male)
    vol = VOLUMES["mags"]
    person, hearing = life_events(rng, dob, weight, AGE_CRIME, CAREER_START, vol.end,
                                  vol.per_100k / 1e5, (vol.start, vol.end, MAGS_MIN_AGE),
                                  return_rate=COURT_RETURN_RATE)
    k = len(person)
    first = np.r_[True, person[1:] != person[:-1]]
    starts = np.flatnonzero(first)
    case_seq = np.arange(k) - np.repeat(starts, np.diff(np.r_[starts, k]))
    offence = _choice(rng, OFFENCE_P, k)
    drug_user = z["substance_misuse"][person] > 1.0
    offence[drug_user & (rng.random(k) < 0.25)] = "DRG"
    disposal = _choice(rng, MAGS_DISPOSAL_P, k)
    escalate = (case_seq >= 2) & (rng.random(k) < ESCALATION_P)
    disposal[escalate] = rng.choice(np.array(["COMM", "SSO", "IMM_CUST"], dtype=object),
                                    size=int(escalate.sum()))
    indictable = np.isin(offence, INDICTABLE_OFFENCES)
    disposal[indictable & (rng.random(k) < SENT_CC_P)] = "SENT_CC"
    female = ~male[person]
    diverted = female & (disposal == "IMM_CUST") & (rng.random(k) < FEMALE_CUSTODY_DIVERTED)
    disposal[diverted] = "SSO"
    disposal_date = hearing + _days(rng, 0, 60, k)
    sent = disposal == "SENT_CC"
    receipt = hearing + _days(rng, 14, 56, k)
    verdict = receipt + _days(rng, 60, 300, k)
    sentence = _choice(rng, CROWN_SENTENCE_P, k)
    sentence[female & (sentence == "IMM_CUST") & (rng.random(k) < FEMALE_CUSTODY_DIVERTED)] = "SSO"
    trial = np.where(sentence == "ACQUITTED", "TRIAL",
                     _choice(rng, {"GUILTY_PLEA": 0.7, "TRIAL": 0.3}, k))
    nat = np.datetime64("NaT")
    cust_mags = disposal == "IMM_CUST"
    cust_crown = sent & (sentence == "IMM_CUST")
    days = np.where(cust_crown, np.minimum(rng.lognormal(np.log(700), 0.7, k), 5000),
                    np.minimum(rng.lognormal(np.log(90), 0.6, k), 365)).astype(int)
    reception = np.where(cust_mags, disposal_date, np.where(cust_crown, verdict, nat))
    custodial = cust_mags | cust_crown
    release = reception + (days // 2) * _DAY
    return pd.DataFrame({
        "person_idx": person, "first_hearing_date": hearing,
        "offence_date": hearing - _days(rng, 7, 120, k),
        "principal_offence_code": offence, "offence_count": 1 + rng.poisson(0.6, k),
        "disposal_code": disposal,
        "disposal_date": np.where(sent, nat, disposal_date),
        "case_seq": case_seq,
        "receipt_date": np.where(sent, receipt, nat),
        "trial_type": np.where(sent, trial, None),
        "verdict_date": np.where(sent, verdict, nat),
        "sentence_type": np.where(sent, sentence, None),
        "sentence_date": np.where(sent & (sentence != "ACQUITTED"), verdict, nat),
        "appeal": np.where(sent, rng.random(k) < 0.04, None),
        "reception_date": reception,
        "sentence_days": np.where(custodial, days, -1),
        "release_date": np.where(custodial & (release <= np.datetime64(WORLD_END)), release, nat),
    })


def in_window(dates: pd.Series | np.ndarray, source: str) -> np.ndarray:
    """Dates inside the extract period of `source` (rates.VOLUMES)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    vol = VOLUMES[source]
    return (d >= np.datetime64(vol.start)) & (d <= np.datetime64(vol.end))


def mags_cases(careers: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """The magistrates' extract: cases heard in its period, of defendants aged 16 and over."""
    dob = persons["dob"].to_numpy().astype("datetime64[D]")[careers["person_idx"].to_numpy()]
    age = _age_years(dob, careers["first_hearing_date"].to_numpy())
    keep = in_window(careers["first_hearing_date"], "mags") & (age >= MAGS_MIN_AGE)
    return careers[keep].rename_axis("career_row").reset_index()


def crown_cases(careers: pd.DataFrame) -> pd.DataFrame:
    """The Crown Court extract: cases sent from the magistrates, received in its period."""
    keep = careers["receipt_date"].notna().to_numpy() & in_window(careers["receipt_date"], "crown")
    out = careers[keep].rename_axis("career_row").reset_index()
    out["offence_code"] = out["principal_offence_code"]
    return out


def custody_journeys(careers: pd.DataFrame) -> pd.DataFrame:
    """Every custodial sentence of the careers (receptions at any date)."""
    cust = careers[careers["reception_date"].notna()]
    return pd.DataFrame({
        "person_idx": cust["person_idx"].to_numpy(),
        "reception_date": cust["reception_date"].to_numpy(),
        "main_offence_code": cust["principal_offence_code"].to_numpy(),
        "sentence_days": cust["sentence_days"].to_numpy().astype(int),
        "release_date": cust["release_date"].to_numpy(),
    })


def prison_receptions(careers: pd.DataFrame) -> pd.DataFrame:
    """The prison extract: receptions in its period."""
    cust = custody_journeys(careers)
    return cust[in_window(cust["reception_date"], "prison")].reset_index(drop=True)


def probation_events(careers: pd.DataFrame, z: dict[str, np.ndarray],
                     rng: np.random.Generator) -> pd.DataFrame:
    """Community orders and suspended sentences start an ORDER, releases a LICENCE."""
    mags_order = careers["disposal_code"].isin(["COMM", "SSO"])
    crown_order = careers["sentence_type"].isin(["COMM", "SSO"])
    orders = pd.DataFrame({
        "person_idx": careers["person_idx"].to_numpy(),
        "referral_date": np.where(mags_order, careers["disposal_date"].to_numpy(),
                                  careers["sentence_date"].to_numpy()),
    })[(mags_order | crown_order).to_numpy()]
    orders["event_type"] = "ORDER"
    cust = custody_journeys(careers)
    licences = cust.loc[cust["release_date"].notna(), ["person_idx", "release_date"]].rename(
        columns={"release_date": "referral_date"})
    licences["event_type"] = "LICENCE"
    prob = pd.concat([orders, licences], ignore_index=True)
    prob = prob[in_window(prob["referral_date"], "probation")].reset_index(drop=True)
    prob["requirements"] = _requirements(rng, prob, z)
    prob["termination_date"] = prob["referral_date"].to_numpy() + _days(rng, 180, 730, len(prob))
    prob.loc[prob["termination_date"] > WORLD_END, "termination_date"] = pd.NaT
    return prob


def _requirements(rng, prob: pd.DataFrame, z: dict[str, np.ndarray]) -> np.ndarray:
    """Semicolon-separated requirement codes of each order; licences carry none."""
    p = prob["person_idx"].to_numpy()
    k = len(prob)
    parts = [
        np.where(rng.random(k) < 0.55, "UPW", ""),
        np.where(rng.random(k) < 0.45, "RAR", ""),
        np.where(rng.random(k) < 0.15, "PROG", ""),
        np.where(rng.random(k) < _sigmoid(-2.5 + 1.5 * z["substance_misuse"][p]), "DRR", ""),
        np.where(rng.random(k) < _sigmoid(-3.0 + 1.2 * z["substance_misuse"][p]), "ATR", ""),
        np.where(rng.random(k) < _sigmoid(-3.0 + 1.2 * z["mental_health"][p]), "MHTR", ""),
        np.where(rng.random(k) < 0.08, "CURFEW", ""),
    ]
    joined = pd.Series([";".join(x for x in row if x) for row in zip(*parts, strict=True)])
    joined[joined == ""] = "UPW"
    return np.where(prob["event_type"] == "LICENCE", None, joined.to_numpy(dtype=object))


def oasys_assessments(rng, prison: pd.DataFrame, prob: pd.DataFrame, z) -> pd.DataFrame:
    """Assessments in custody and the community, with section items consistent with needs."""
    cust = prison[prison["sentence_days"] >= 120]
    cust = cust[rng.random(len(cust)) < 0.9]
    comm = prob[rng.random(len(prob)) < np.where(prob["event_type"] == "ORDER", 0.85, 0.3)]
    a = pd.DataFrame({
        "person_idx": np.r_[cust["person_idx"], comm["person_idx"]],
        "assessment_date": np.r_[cust["reception_date"].to_numpy() + _days(rng, 10, 60, len(cust)),
                                 comm["referral_date"].to_numpy() + _days(rng, 5, 30, len(comm))],
        "setting": np.r_[np.full(len(cust), "CUSTODY"), np.full(len(comm), "COMMUNITY")],
    })
    review = a[rng.random(len(a)) < 0.3].copy()
    review["assessment_date"] = review["assessment_date"].to_numpy() + _days(rng, 180, 365,
                                                                             len(review))
    a = pd.concat([a, review], ignore_index=True)
    a = a[in_window(a["assessment_date"], "oasys")].reset_index(drop=True)
    person = a["person_idx"].to_numpy()
    custody = (a["setting"] == "CUSTODY").to_numpy()
    k = len(a)
    for section, (_, n_items) in OASYS_SECTIONS.items():
        if section in OASYS_NEED_THRESHOLDS:
            standard, severe = OASYS_NEED_THRESHOLDS[section]
            score = 1.6 * z[OASYS_SECTION_DRIVER[section]][person]
            # Latent-threshold model: need where driver score + logistic noise is in the top
            # share for the setting, so prevalence matches the published figure exactly.
            key = score + rng.logistic(size=k)
            need = np.zeros(k, dtype=bool)
            for setting_mask, target in ((custody, OASYS_NEED_PREVALENCE[section][0]),
                                         (~custody, OASYS_NEED_PREVALENCE[section][1])):
                if setting_mask.any():
                    cut = np.quantile(key[setting_mask], 1 - target)
                    need[setting_mask] = key[setting_mask] > cut
            sev = need & (rng.random(k) < _sigmoid(-1.2 + score))
            lo = np.where(sev, severe, np.where(need, standard, 0))
            hi = np.where(sev, 2 * n_items, np.where(need, severe - 1, standard - 1))
            total = lo + (rng.random(k) * (hi - lo + 1)).astype(int)
            a[f"s{section}_need_level"] = np.where(sev, 2, np.where(need, 1, 0))
        else:
            driver = {1: "offending", 2: "offending", 13: "physical_health"}[section]
            total = np.clip(np.round(rng.normal(n_items + 1.2 * z[driver][person], 1.3)),
                            0, 2 * n_items).astype(int)
        items = _items_with_total(rng, total, n_items)
        for i in range(n_items):
            a[f"s{section}_q{i + 1}"] = items[:, i]
    return a


def _items_with_total(rng, total: np.ndarray, n_items: int) -> np.ndarray:
    """Item scores (0/1/2) per row that sum to `total`: fill random item slots."""
    slots = np.argsort(rng.random((len(total), 2 * n_items)), axis=1)  # 2 slots per item
    taken = np.arange(2 * n_items)[None, :] < total[:, None]
    item_of_slot = slots // 2
    items = np.zeros((len(total), n_items), dtype=np.int64)
    rows = np.repeat(np.arange(len(total)), 2 * n_items)
    np.add.at(items, (rows, item_of_slot.ravel()), taken.ravel().astype(np.int64))
    return items


_ADULT = np.timedelta64(18 * 365 + 5, "D")
FAMILY_REPEAT_MEAN = 0.35  # further cases of the same index party (repeat proceedings)
CIVIL_REPEAT_MEAN = 0.3  # further claims against the same household
PARTNER_AGE_GAP_SD = 4.0  # years: the other party of a family case, a joint defendant


def _episodes(rng, dob: np.ndarray, weight: np.ndarray, age_curve: np.ndarray, source: str,
              repeat_mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Index people and dates of a source's cases: first cases from `life_events`, each followed
    by Poisson(repeat_mean) further ones within three years (dropped past the period), with the
    first cases' volume set so that all cases meet `VOLUMES[source]`."""
    vol = VOLUMES[source]
    person, date = life_events(rng, dob, weight, age_curve, vol.start, vol.end,
                               vol.per_100k / 1e5 / (1 + repeat_mean))
    extra = rng.poisson(repeat_mean, len(person))
    more = np.repeat(np.arange(len(person)), extra)
    later = date[more] + _days(rng, 30, 1100, len(more))
    person = np.r_[person, person[more]]
    date = np.r_[date, later]
    adult = (date <= np.datetime64(vol.end)) & (date >= dob[person] + _ADULT)
    person, date = person[adult], date[adult]
    order = np.lexsort((date, person))
    return person[order], date[order]


def _adult_others(rng, pool: np.ndarray, dob: np.ndarray, dates: np.ndarray,
                  exclude: np.ndarray, near_dob: np.ndarray | None = None) -> np.ndarray:
    """Draw another party from `pool` for each date: an adult then, and not the index person;
    with `near_dob`, someone born within a few years of it (partners are of similar age)."""
    if near_dob is None:
        def draw(rows: np.ndarray) -> np.ndarray:
            return rng.choice(pool, size=len(rows))
    else:
        by_age = pool[np.argsort(dob[pool], kind="stable")]
        sorted_days = dob[by_age].astype(int)
        target = near_dob.astype(int)

        def draw(rows: np.ndarray) -> np.ndarray:
            jitter = rng.normal(0, PARTNER_AGE_GAP_SD * 365.25, len(rows)).astype(int)
            pos = np.searchsorted(sorted_days, target[rows] + jitter)
            return by_age[np.clip(pos, 0, len(by_age) - 1)]

    other = draw(np.arange(len(dates)))
    for attempt in range(40):
        bad = np.flatnonzero((dob[other] + _ADULT > dates) | (other == exclude))
        if not len(bad):
            break
        other[bad] = draw(bad) if attempt < 20 else rng.choice(pool, size=len(bad))
    return other


def family_cases(persons: pd.DataFrame, z, rng: np.random.Generator) -> pd.DataFrame:
    """Family court parties: one row per adult party on a case."""
    female = (persons["sex"] == "F").to_numpy()
    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    person, issue = _episodes(rng, dob, np.exp(1.1 * z["family"] + 0.3 * female), AGE_FAMILY,
                              "family", FAMILY_REPEAT_MEAN)
    c = len(person)
    case_type = _choice(rng, FAMILY_CASE_P, c)
    # the other party: an adult of the opposite sex, drawn from the whole population
    sex = persons["sex"].to_numpy()
    other = np.empty(c, dtype=np.int64)
    for s, opp in (("M", "F"), ("F", "M")):
        mask = sex[person] == s
        other[mask] = _adult_others(rng, np.flatnonzero(sex == opp), dob, issue[mask],
                                    person[mask], near_dob=dob[person[mask]])
    index_applies = rng.random(c) < np.where(female[person], 0.65, 0.4)
    role_index = np.where(index_applies, "APPLICANT", "RESPONDENT")
    role_other = np.where(index_applies, "RESPONDENT", "APPLICANT")
    public = case_type == "PUBLIC"  # the local authority applies; both parents respond
    role_index[public], role_other[public] = "RESPONDENT", "RESPONDENT"
    adoption = case_type == "ADOPTION"  # both adopters apply
    role_index[adoption], role_other[adoption] = "APPLICANT", "APPLICANT"
    harm_p = np.where(np.isin(case_type, ["FLA"]), 0.95,
                      np.where(np.isin(case_type, ["PRIVATE", "PUBLIC"]),
                               _sigmoid(-0.6 + 1.0 * z["family"][person]), 0.05))
    children = np.where(case_type == "DIVORCE", rng.integers(0, 4, c), 1 + rng.poisson(0.8, c))
    case = pd.DataFrame({
        "case_no": np.arange(c), "case_type": case_type, "issue_date": issue,
        "harm_alleged": rng.random(c) < harm_p, "children_involved": children,
    })
    parties = pd.concat([
        case.assign(person_idx=person, party_role=role_index, index_party=True),
        case.assign(person_idx=other, party_role=role_other, index_party=False),
    ], ignore_index=True)
    pp = parties["person_idx"].to_numpy()
    applicant = (parties["party_role"] == "APPLICANT").to_numpy()
    fee_p = _sigmoid(-0.8 + 1.3 * z["low_income"][pp])
    parties["fee_exemption"] = np.where(applicant, rng.random(len(parties)) < fee_p, None)
    parties["legal_representation"] = rng.random(len(parties)) < 0.55
    return parties


def civil_cases(persons: pd.DataFrame, z, rng: np.random.Generator) -> pd.DataFrame:
    """Possession claims: defendants (tenants, borrowers), claimants (companies, landlords)."""
    n = len(persons)
    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    person, claim_date = _episodes(
        rng, dob, np.exp(1.0 * z["accommodation"] + 0.7 * z["low_income"]), AGE_CIVIL, "civil",
        CIVIL_REPEAT_MEAN)
    c = len(person)
    claim_type = _choice(rng, CIVIL_CLAIM_P, c)
    order_type = np.where(rng.random(c) < 0.8, _choice(
        rng, {"OUTRIGHT": 0.35, "SUSPENDED": 0.4, "ADJOURNED": 0.15, "DISMISSED": 0.1}, c), None)
    order_date = np.where(order_type != None, claim_date + _days(rng, 30, 90, c),  # noqa: E711
                          np.datetime64("NaT"))
    warrant = np.isin(order_type, ["OUTRIGHT", "SUSPENDED"]) & (rng.random(c) < 0.3)
    warrant_date = np.where(warrant, order_date + _days(rng, 30, 180, c), np.datetime64("NaT"))
    possession = warrant & (rng.random(c) < 0.6)
    possession_date = np.where(possession, warrant_date + _days(rng, 14, 60, c),
                               np.datetime64("NaT"))
    arrears = np.where(claim_type == "ACCELERATED", np.nan,
                       np.round(rng.lognormal(np.log(2500), 0.8, c)
                                * np.where(claim_type == "MORTGAGE", 4, 1), 2))
    case = pd.DataFrame({
        "case_no": np.arange(c), "claim_type": claim_type, "claim_date": claim_date,
        "arrears_amount": arrears, "order_type": order_type, "order_date": order_date,
        "warrant_date": warrant_date, "possession_date": possession_date,
    })
    defendants = case.assign(person_idx=person, party_role="DEFENDANT", party_type="PERSON")
    joint = rng.random(c) < 0.3
    partner = _adult_others(rng, np.arange(n), dob, claim_date, person, near_dob=dob[person])
    joint_defendants = case[joint].assign(person_idx=partner[joint], party_role="DEFENDANT",
                                          party_type="PERSON")
    # Claimants: private landlords are people (less deprived); otherwise companies.
    private = np.isin(claim_type, ["RENT_PRIVATE", "ACCELERATED"]) & (rng.random(c) < 0.8)
    better_off = np.flatnonzero(persons["imd_decile"].to_numpy() >= 5)
    pool = better_off if len(better_off) else np.arange(n)
    landlord = _adult_others(rng, pool, dob, claim_date[private], person[private])
    landlords = case[private].assign(person_idx=landlord,
                                     party_role="CLAIMANT", party_type="PERSON")
    companies = case[~private].assign(person_idx=-1, party_role="CLAIMANT", party_type="COMPANY")
    companies["company_name"] = [
        COMPANIES[t][rng.integers(len(COMPANIES[t]))] for t in companies["claim_type"]]
    return pd.concat([defendants, joint_defendants, landlords, companies], ignore_index=True)
