"""Who appears in which justice dataset, when, and with what: the clean event records.

Each function returns one row per source record with `person_idx`, the event date and the
source's non-identifier columns. Appearance follows the latent states, so cross-dataset
patterns are real: people with high offending propensity return to court, go to prison, are
supervised and assessed; accommodation and income needs drive possession claims; family needs
drive family cases. Identifiers are added later (`identifiers.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.sources import INDICTABLE_OFFENCES, OASYS_NEED_THRESHOLDS, OASYS_SECTIONS

COURT_RETURN_RATE = 0.56  # MoJ: 56% of defendants 2011-2019 returned to court in the period
_DAY = np.timedelta64(1, "D")

OFFENCE_P = {"THF": 0.22, "VAP": 0.18, "SNM": 0.14, "MOT": 0.15, "DRG": 0.08, "POR": 0.07,
             "CDA": 0.05, "BUR": 0.04, "FRD": 0.02, "WPN": 0.02, "ROB": 0.02, "SEX": 0.01}
MAGS_DISPOSAL_P = {"NOT_GUILTY": 0.05, "DISCH": 0.12, "FINE": 0.43, "COMM": 0.15, "SSO": 0.06,
                   "IMM_CUST": 0.07, "OTHER": 0.12}
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


def _uniform_dates(rng, start: np.ndarray | np.datetime64, end: np.datetime64, n: int):
    start = np.broadcast_to(np.asarray(start, dtype="datetime64[D]"), (n,))
    span = np.maximum((end - start).astype(int), 1)
    return start + (rng.random(n) * span).astype(int) * _DAY


def _days(rng, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi, n) * _DAY


def criminal_journeys(persons: pd.DataFrame, z: dict[str, np.ndarray], rng: np.random.Generator):
    """Magistrates' cases, Crown Court cases, custodial journeys, probation events, OASys."""
    n = len(persons)
    male = (persons["sex"] == "M").to_numpy()
    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    age_2017 = (np.datetime64("2017-01-01") - dob).astype(int) / 365.25
    crim = z["offending"] + 0.7 * male - 0.03 * (age_2017 - 30)

    # Magistrates: who is a defendant and how many cases; repeats calibrated to the MoJ figure.
    defendant = rng.random(n) < _sigmoid(-0.6 + 1.4 * crim)
    idx = np.flatnonzero(defendant)
    w = np.exp(0.8 * crim[idx])
    lo, hi = 0.0, 50.0
    for _ in range(60):
        s = (lo + hi) / 2
        lo, hi = (s, hi) if (1 - np.exp(-s * w)).mean() < COURT_RETURN_RATE else (lo, s)
    n_cases = 1 + rng.poisson(s * w)
    person = np.repeat(idx, n_cases)
    k = len(person)
    earliest = np.maximum(dob[person] + np.timedelta64(16 * 365, "D"), np.datetime64("2011-01-01"))
    hearing = _uniform_dates(rng, earliest, np.datetime64("2023-12-31"), k)
    order = np.lexsort((hearing, person))
    person, hearing = person[order], hearing[order]
    case_seq = np.arange(k) - np.repeat(np.cumsum(n_cases) - n_cases, n_cases)
    offence = _choice(rng, OFFENCE_P, k)
    drug_user = z["substance_misuse"][person] > 1.0
    offence[drug_user & (rng.random(k) < 0.25)] = "DRG"
    disposal = _choice(rng, MAGS_DISPOSAL_P, k)
    escalate = (case_seq >= 2) & (rng.random(k) < 0.35)
    disposal[escalate] = rng.choice(np.array(["COMM", "SSO", "IMM_CUST"], dtype=object),
                                    size=escalate.sum())
    indictable = np.isin(offence, INDICTABLE_OFFENCES)
    disposal[indictable & (rng.random(k) < 0.45)] = "SENT_CC"
    disposal_date = hearing + _days(rng, 0, 60, k)
    mags = pd.DataFrame({
        "person_idx": person, "first_hearing_date": hearing,
        "offence_date": hearing - _days(rng, 7, 120, k),
        "principal_offence_code": offence, "offence_count": 1 + rng.poisson(0.6, k),
        "disposal_code": disposal,
        "disposal_date": np.where(disposal == "SENT_CC", np.datetime64("NaT"), disposal_date),
        "case_seq": case_seq,
    })

    # Crown Court: cases sent from the magistrates.
    sent = mags[mags["disposal_code"] == "SENT_CC"]
    m = len(sent)
    receipt = sent["first_hearing_date"].to_numpy() + _days(rng, 14, 56, m)
    verdict = receipt + _days(rng, 60, 300, m)
    sentence = _choice(rng, CROWN_SENTENCE_P, m)
    crown = pd.DataFrame({
        "person_idx": sent["person_idx"].to_numpy(), "mags_row": sent.index.to_numpy(),
        "receipt_date": receipt, "offence_code": sent["principal_offence_code"].to_numpy(),
        "trial_type": np.where(sentence == "ACQUITTED", "TRIAL",
                               _choice(rng, {"GUILTY_PLEA": 0.7, "TRIAL": 0.3}, m)),
        "verdict_date": verdict, "sentence_type": sentence,
        "sentence_date": np.where(sentence == "ACQUITTED", np.datetime64("NaT"), verdict),
        "appeal": rng.random(m) < 0.04,
    })
    crown = crown[(crown["receipt_date"] >= np.datetime64("2013-01-01"))
                  & (crown["receipt_date"] <= np.datetime64("2023-12-31"))]

    # Custody: immediate custodial disposals from either court.
    from_mags = mags[mags["disposal_code"] == "IMM_CUST"]
    from_crown = crown[crown["sentence_type"] == "IMM_CUST"]
    cust = pd.DataFrame({
        "person_idx": np.r_[from_mags["person_idx"], from_crown["person_idx"]],
        "reception_date": np.r_[from_mags["disposal_date"], from_crown["sentence_date"]],
        "main_offence_code": np.r_[from_mags["principal_offence_code"], from_crown["offence_code"]],
        "sentence_days": np.r_[
            np.minimum(rng.lognormal(np.log(90), 0.6, len(from_mags)), 365),
            np.minimum(rng.lognormal(np.log(700), 0.7, len(from_crown)), 5000)].astype(int),
    })
    release = cust["reception_date"].to_numpy() + (cust["sentence_days"].to_numpy() // 2) * _DAY
    cust["release_date"] = np.where(release <= np.datetime64("2023-12-31"), release,
                                    np.datetime64("NaT"))
    prison = cust[cust["reception_date"] <= np.datetime64("2021-12-31")].reset_index(drop=True)

    # Probation: community orders and suspended sentences start an ORDER, releases a LICENCE.
    orders = pd.concat([
        mags.loc[mags["disposal_code"].isin(["COMM", "SSO"]), ["person_idx", "disposal_date"]]
        .rename(columns={"disposal_date": "referral_date"}),
        crown.loc[crown["sentence_type"].isin(["COMM", "SSO"]), ["person_idx", "sentence_date"]]
        .rename(columns={"sentence_date": "referral_date"}),
    ])
    orders["event_type"] = "ORDER"
    licences = cust.loc[cust["release_date"].notna(), ["person_idx", "release_date"]].rename(
        columns={"release_date": "referral_date"})
    licences["event_type"] = "LICENCE"
    prob = pd.concat([orders, licences], ignore_index=True)
    prob = prob[(prob["referral_date"] >= np.datetime64("2014-01-01"))
                & (prob["referral_date"] <= np.datetime64("2023-12-31"))].reset_index(drop=True)
    prob["requirements"] = _requirements(rng, prob, z)
    prob["termination_date"] = prob["referral_date"].to_numpy() + _days(rng, 180, 730, len(prob))
    prob.loc[prob["termination_date"] > np.datetime64("2023-12-31"), "termination_date"] = pd.NaT

    oasys = _oasys(rng, prison, prob, z)
    return {"mags": mags, "crown": crown.reset_index(drop=True), "prison": prison,
            "probation": prob, "oasys": oasys}


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


def _oasys(rng, prison: pd.DataFrame, prob: pd.DataFrame, z) -> pd.DataFrame:
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
    a = a[(a["assessment_date"] >= np.datetime64("2013-01-01"))
          & (a["assessment_date"] <= np.datetime64("2023-12-31"))].reset_index(drop=True)
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


def _adult_dates(rng, dob: np.ndarray, start: str, end: str) -> tuple[np.ndarray, np.ndarray]:
    """Event dates in [start, end] at which each person is an adult; mask of who can have one."""
    earliest = np.maximum(dob + _ADULT, np.datetime64(start))
    ok = earliest < np.datetime64(end)
    return _uniform_dates(rng, earliest[ok], np.datetime64(end), int(ok.sum())), ok


def _adult_others(rng, pool: np.ndarray, dob: np.ndarray, dates: np.ndarray,
                  exclude: np.ndarray) -> np.ndarray:
    """Draw another party from `pool` for each date: an adult then, and not the index person."""
    other = rng.choice(pool, size=len(dates))
    for _ in range(20):
        bad = (dob[other] + _ADULT > dates) | (other == exclude)
        if not bad.any():
            break
        other[bad] = rng.choice(pool, size=int(bad.sum()))
    return other


def family_cases(persons: pd.DataFrame, z, rng: np.random.Generator) -> pd.DataFrame:
    """Family court parties: one row per adult party on a case."""
    n = len(persons)
    female = (persons["sex"] == "F").to_numpy()
    index = np.flatnonzero(rng.random(n) < _sigmoid(-2.4 + 1.1 * z["family"] + 0.3 * female))
    n_cases = 1 + rng.poisson(0.35, len(index))
    person = np.repeat(index, n_cases)
    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    issue, adult = _adult_dates(rng, dob[person], "2011-01-01", "2023-03-31")
    person = person[adult]
    c = len(person)
    case_type = _choice(rng, FAMILY_CASE_P, c)
    # the other party: an adult of the opposite sex, drawn from the whole population
    sex = persons["sex"].to_numpy()
    other = np.empty(c, dtype=np.int64)
    for s, opp in (("M", "F"), ("F", "M")):
        mask = sex[person] == s
        other[mask] = _adult_others(rng, np.flatnonzero(sex == opp), dob, issue[mask],
                                    person[mask])
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
    index = np.flatnonzero(
        rng.random(n) < _sigmoid(-3.4 + 1.0 * z["accommodation"] + 0.7 * z["low_income"]))
    person = np.repeat(index, 1 + rng.poisson(0.3, len(index)))
    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    claim_date, adult = _adult_dates(rng, dob[person], "2012-01-01", "2022-01-31")
    person = person[adult]
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
    partner = _adult_others(rng, np.arange(n), dob, claim_date, person)
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
