"""Wave 1 world generator: the Police National Computer extract.

A PNC person is anyone with a court case in the world's magistrates' or Crown Court extracts
(mags / crown: convictions, acquittals, custody from IMM_CUST) or a PNC-only event: cautions
(the PNC holds them; the court extracts do not) and convictions before the court extracts'
coverage (before 2011, or under 16), drawn by offending propensity. Court disposals map to the
PNC disposal codes and ranks of `catalog/sources/pnc.py`.

Calibration of the justice groups (ONS May 2022, DOMAIN.md): among NPD pupils of the pooled
cohort born Sep 1985 - Aug 2000, the PNC-only history is topped up so the custodial and
non-custodial-or-caution groups (offending up to age 23) reach at least their ONS shares and
exactly their male shares (92.6%, 68.6%): people are added in order of offending propensity,
with an event dated where the court extracts cannot see it (before 2011 or under 18). Top-up
only adds, so where the court records alone already exceed a share (a justice-only world) the
share stays above the ONS figure; the male shares still hold.

Identifiers: one PNC id (`YYYY/NNNNNNNA`) per person, a small share (DUPLICATE_P) with a second
id holding their later cases (a record not found at a later arrest); a primary name row per id
(profile `pnc_people`: fingerprint-backed, few errors) plus aliases (profile `pnc_alias`, some
with a different surname), more for people with more cases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.pnc import DISPOSAL_RANKS, PNC_PEOPLE
from bold_assets.world.calibration import ONS_MAY_2022, in_cohort, justice_groups
from bold_assets.world.identifiers import ErrorProfile, make_identifiers
from bold_assets.world.sources.npd import pupil_coverage, zero_padded

PRODUCES = ("pnc_people", "pnc_offences")

COURT_EXTRACT_START = np.datetime64("2011-01-01")
PNC_START = np.datetime64("2000-01-01")
WORLD_END = np.datetime64("2023-12-31")
DUPLICATE_P = 0.02
ALIAS_OTHER_SURNAME_P = 0.25
_DAY = np.timedelta64(1, "D")
_YEAR = 365.25
# Identifier errors, by source: PNC records are fingerprint-backed, strong identifiers; aliases
# (`pnc_alias`, not a source) are names and dates of birth people gave on arrest, so they vary
# far more than the primary name.
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "pnc_people": ErrorProfile(
        typo_forename=0.01, typo_surname=0.01, nickname=0.01, swap_names=0.005,
        stale_surname=0.2, dob_day_month_swap=0.004, dob_year_off=0.004, dob_shift=0.004,
        dob_missing=0.0, sex_missing=0.002, postcode_missing=0.15, postcode_stale=0.1,
        ethnicity_missing=0.1, middle_missing=0.2, name_case="upper",
    ),
    "pnc_alias": ErrorProfile(
        typo_forename=0.12, typo_surname=0.12, nickname=0.3, swap_names=0.08,
        stale_surname=0.6, dob_day_month_swap=0.08, dob_year_off=0.15, dob_shift=0.2,
        dob_missing=0.02, sex_missing=0.01, postcode_missing=0.3, postcode_stale=0.3,
        ethnicity_missing=0.2, middle_missing=0.6, name_case="upper",
    ),
}

# World offence code -> PNC offence groups (01-23) it can fall in.
_OFFENCE_GROUPS = {
    "VAP": ["01"], "SEX": ["02"], "ROB": ["03"], "THF": ["04", "07", "08", "09", "10"],
    "BUR": ["05", "06"], "CDA": ["12", "13"], "DRG": ["14", "15"], "WPN": ["16"],
    "POR": ["17"], "FRD": ["11"], "MOT": ["19"], "SNM": ["20", "18", "21", "22"],
}  # fmt: skip
_OFFENCE_P = {"THF": 0.22, "VAP": 0.18, "SNM": 0.14, "MOT": 0.15, "DRG": 0.08, "POR": 0.07,
              "CDA": 0.05, "BUR": 0.04, "FRD": 0.02, "WPN": 0.02, "ROB": 0.02, "SEX": 0.01}
_COURT_DISPOSAL = {"DISCH": "DISCH", "FINE": "FINE", "COMM": "COMM", "SSO": "SSO",
                   "IMM_CUST": "CUST", "OTHER": "OTHER", "NOT_GUILTY": "NONE",
                   "ACQUITTED": "NONE"}  # fmt: skip
_HISTORIC_DISPOSAL_P = {"FINE": 0.25, "DISCH": 0.2, "COMM": 0.25, "SSO": 0.05, "CUST": 0.07,
                        "OTHER": 0.18}
_CHECK = np.array(list("ZABCDEFGHJKLMNPQRTUVWXY"), dtype=object)
# Officer-observed ethnic appearance from the self-defined 18+1 code.
_APPEARANCE = {"W1": "IC1", "W2": "IC1", "W3": "IC1", "W9": "IC2", "M1": "IC3", "M2": "IC3",
               "M3": "IC4", "M9": "IC1", "A1": "IC4", "A2": "IC4", "A3": "IC4", "A4": "IC5",
               "A9": "IC4", "B1": "IC3", "B2": "IC3", "B9": "IC3", "O1": "IC6", "O9": "IC4"}


def _dates(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def _between(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    span = np.maximum((hi - lo).astype(int), 0)
    return lo + (rng.random(len(lo)) * (span + 1)).astype(int) * _DAY


def _choice(rng, p: dict[str, float], n: int) -> np.ndarray:
    w = np.array(list(p.values()))
    return rng.choice(np.array(list(p), dtype=object), size=n, p=w / w.sum())


def _court_cases(ctx, idx_of: pd.Series, rng) -> pd.DataFrame:
    """One case per magistrates' outcome (not sent to the Crown Court) and per Crown Court case."""
    rp = ctx.tables["truth.record_person"]

    def person_of(source: str, record_id: pd.Series) -> np.ndarray:
        of = rp[rp["source_dataset"] == source].drop_duplicates("record_id")
        return of.set_index("record_id")["person_id"].reindex(record_id.to_numpy()).to_numpy()

    m = ctx.tables["raw.mags"]
    m = m[m["disposal_code"] != "SENT_CC"]
    mp = person_of("mags", m["defendant_id"])
    c = ctx.tables["raw.crown"]
    cp = person_of("crown", c["defendant_on_case_id"])
    unknown = int(pd.isna(mp).sum() + pd.isna(cp).sum())
    if unknown:
        raise ValueError(f"PNC generator: {unknown} mags / crown records have no person in "
                         "truth.record_person (generate wave 0 first)")
    plea = c["trial_type"] == "GUILTY_PLEA"
    crown_guilty = c["sentence_type"] != "ACQUITTED"
    mags_guilty = m["disposal_code"] != "NOT_GUILTY"
    return pd.DataFrame({
        "person_idx": idx_of.reindex(np.r_[mp, cp]).to_numpy(),
        "date": np.r_[_dates(m["disposal_date"].fillna(m["first_hearing_date"])),
                      _dates(c["sentence_date"].fillna(c["verdict_date"]))],
        "offence_start": np.r_[_dates(m["offence_date"]),
                               _dates(c["receipt_date"]) - rng.integers(30, 200, len(c)) * _DAY],
        "offence": np.r_[m["principal_offence_code"].to_numpy(dtype=object),
                         c["offence_code"].to_numpy(dtype=object)],
        "adjudication": np.r_[np.where(mags_guilty, np.where(rng.random(len(m)) < 0.85, "J", "G"),
                                       "N"),
                              np.where(crown_guilty, np.where(plea, "J", "G"), "N")],
        "disposal": np.r_[m["disposal_code"].map(_COURT_DISPOSAL).to_numpy(dtype=object),
                          c["sentence_type"].map(_COURT_DISPOSAL).to_numpy(dtype=object)],
        "n_offences": np.r_[m["offence_count"].to_numpy(), 1 + rng.poisson(0.8, len(c))],
    })


def _events(rng, person: np.ndarray, date: np.ndarray, dob: np.ndarray, kind: str) -> pd.DataFrame:
    """PNC-only cases: `caution`, `conviction` (non-custodial mix) or `custody`."""
    k = len(person)
    age = (date - dob[person]).astype(int) / _YEAR
    if kind == "caution":
        disposal = np.where(age < 18, "YCAU", "CAUT").astype(object)
        adjudication = np.full(k, "C", dtype=object)
    else:
        disposal = (np.full(k, "CUST", dtype=object) if kind == "custody"
                    else _choice(rng, {d: p for d, p in _HISTORIC_DISPOSAL_P.items()
                                       if d != "CUST"}, k))
        adjudication = np.where(rng.random(k) < 0.8, "J", "G").astype(object)
    return pd.DataFrame({
        "person_idx": person, "date": date,
        "offence_start": date - rng.integers(7, 120, k) * _DAY,
        "offence": _choice(rng, _OFFENCE_P, k), "adjudication": adjudication,
        "disposal": disposal, "n_offences": 1 + rng.poisson(0.4, k),
    })


def _historic_window(dob: np.ndarray, min_age: float) -> tuple[np.ndarray, np.ndarray]:
    """Dates a conviction is on the PNC but not in the court extracts: before 2011 or under 16."""
    lo = np.maximum(dob + int(min_age * _YEAR) * _DAY, PNC_START)
    hi = np.minimum(np.maximum(COURT_EXTRACT_START, dob + int(16 * _YEAR) * _DAY) - _DAY,
                    WORLD_END)
    return lo, hi


def _pnc_only_cases(rng, persons: pd.DataFrame, crim: np.ndarray) -> pd.DataFrame:
    n = len(persons)
    dob = _dates(persons["dob"])
    lo = np.maximum(dob + int(10 * _YEAR) * _DAY, PNC_START)
    n_caut = np.where(lo < WORLD_END, rng.poisson(np.exp(-3.4 + 0.9 * crim)), 0)
    who = np.repeat(np.arange(n), n_caut)
    cautions = _events(rng, who, _between(rng, lo[who], np.full(len(who), WORLD_END)), dob,
                       "caution")
    hlo, hhi = _historic_window(dob, 10)
    years = np.maximum((hhi - hlo).astype(int), 0) / _YEAR
    n_hist = rng.poisson(np.exp(-3.4 + 1.0 * crim) * years / 10)
    who = np.repeat(np.arange(n), n_hist)
    hist = _events(rng, who, _between(rng, hlo[who], hhi[who]), dob, "conviction")
    young = (hist["date"].to_numpy() - dob[who]).astype(int) / _YEAR < 15
    custody = (rng.random(len(hist)) < _HISTORIC_DISPOSAL_P["CUST"]) & ~young
    hist.loc[custody, "disposal"] = "CUST"
    return pd.concat([cautions, hist], ignore_index=True)


def _top_up(rng, persons: pd.DataFrame, cases: pd.DataFrame, pupils: np.ndarray,
            crim: np.ndarray) -> pd.DataFrame:
    """PNC-only events that bring the pooled cohort's pupils to the ONS group shares (at least)
    and male shares (exactly)."""
    dob = _dates(persons["dob"])
    male = (persons["sex"] == "M").to_numpy()
    pool = np.flatnonzero(pupils & in_cohort(dob))
    added = []
    for code, name in ((2, "custodial"), (1, "non_custodial")):
        all_cases = pd.concat([cases, *added], ignore_index=True)
        level = justice_groups(all_cases["person_idx"].to_numpy(), all_cases["date"].to_numpy(),
                               all_cases["adjudication"].to_numpy(),
                               all_cases["disposal"].to_numpy(),
                               dob[all_cases["person_idx"].to_numpy()])
        level = level.reindex(pool).fillna(0).astype(int).to_numpy()
        share = ONS_MAY_2022["share_of_cohort"][name] / 100
        male_share = ONS_MAY_2022["male"][name] / 100
        m = int((male[pool] & (level == code)).sum())
        f = int((~male[pool] & (level == code)).sum())
        size = max(round(share * len(pool)), int(np.ceil(m / male_share)),
                   int(np.ceil(f / (1 - male_share))))
        want_m = max(m, round(size * male_share))
        want_f = max(f, size - want_m)
        for sex_mask, need in ((male[pool], want_m - m), (~male[pool], want_f - f)):
            cand = pool[sex_mask & (level < code)]
            if need <= 0 or not len(cand):
                continue
            key = crim[cand] + rng.gumbel(size=len(cand))
            chosen = cand[np.argsort(-key)[:need]]
            if code == 2:
                lo = np.maximum(dob[chosen] + int(15 * _YEAR) * _DAY, PNC_START)
                hi = np.minimum(dob[chosen] + int(24 * _YEAR) * _DAY - _DAY * 2,
                                np.maximum(COURT_EXTRACT_START - _DAY,
                                           dob[chosen] + int(18 * _YEAR) * _DAY - _DAY))
                added.append(_events(rng, chosen, _between(rng, lo, hi), dob, "custody"))
            else:
                lo = np.maximum(dob[chosen] + int(10 * _YEAR) * _DAY, PNC_START)
                hi = np.minimum(dob[chosen] + int(24 * _YEAR) * _DAY - _DAY * 2, WORLD_END)
                added.append(_events(rng, chosen, _between(rng, lo, hi), dob, "caution"))
    return pd.concat(added, ignore_index=True) if added else cases.iloc[:0]


def _pnc_ids(rng, year: np.ndarray) -> np.ndarray:
    """`YYYY/NNNNNNNA`: year the record was created, a serial number and a check letter."""
    serial = rng.choice(9_000_000, size=len(year), replace=False) + 1_000_000
    check = _CHECK[(year % 100 * 10_000_000 + serial) % 23].astype("S1")
    return np.char.add(zero_padded("", year, 4).astype("U4"),
                       zero_padded("/", serial, 7, suffix=check).astype("U9")).astype(object)


def generate(ctx) -> dict[str, pd.DataFrame]:
    """raw.pnc_people, raw.pnc_offences and truth.record_person rows of pnc_people."""
    persons = ctx.persons.reset_index(drop=True)
    if "marriage_date" not in persons:
        persons = persons.assign(marriage_date=np.datetime64("NaT"))
    rng = ctx.rng("pnc")
    idx_of = pd.Series(np.arange(len(persons)), index=persons["person_id"].to_numpy())
    crim = np.asarray(ctx.z["offending"]) + 0.7 * (persons["sex"] == "M").to_numpy()
    cases = pd.concat([_court_cases(ctx, idx_of, rng), _pnc_only_cases(rng, persons, crim)],
                      ignore_index=True)
    cov = pupil_coverage(ctx)
    cases = pd.concat([cases, _top_up(rng, persons, cases, cov["in_npd"].to_numpy(), crim)],
                      ignore_index=True)
    cases = cases.sort_values(["person_idx", "date"], kind="stable").reset_index(drop=True)

    # PNC records: one per person, a second for a few (their later cases).
    person = cases["person_idx"].to_numpy()
    first = np.r_[True, person[1:] != person[:-1]]
    seq = np.arange(len(cases)) - np.maximum.accumulate(np.where(first, np.arange(len(cases)), 0))
    n_cases = np.bincount(person, minlength=len(persons))
    dup = (rng.random(len(persons)) < DUPLICATE_P) & (n_cases >= 2)
    cut = np.where(dup, 1 + (rng.random(len(persons)) * (n_cases - 1)).astype(int), 1 << 30)
    record = person * 2 + (seq >= cut[person])
    rec_codes, rec = np.unique(record, return_inverse=True)
    rec_first = pd.Series(_dates(cases["date"])).groupby(rec).min().to_numpy()
    pnc_id = _pnc_ids(rng, pd.DatetimeIndex(rec_first).year.to_numpy())
    rec_person = rec_codes // 2

    # Offence rows.
    k = cases["n_offences"].to_numpy()
    case_id = zero_padded("CS", rng.permutation(len(cases)) + 1, 8)
    row = np.repeat(np.arange(len(cases)), k)
    primary = np.r_[True, row[1:] != row[:-1]]
    world_offence = np.where(primary, cases["offence"].to_numpy()[row],
                             _choice(rng, _OFFENCE_P, len(row)))
    group = np.empty(len(row), dtype=object)
    for world_code, groups in _OFFENCE_GROUPS.items():
        at = np.flatnonzero(world_offence == world_code)
        group[at] = rng.choice(np.array(groups, dtype=object), len(at))
    disposal = cases["disposal"].to_numpy()[row]
    offences = pd.DataFrame({
        "offence_id": zero_padded("OF", np.arange(1, len(row) + 1), 9),
        "pnc_id": pnc_id[rec[row]], "case_id": case_id[row],
        "offence_start_date": _dates(cases["offence_start"])[row],
        "offence_group": group, "adjudication_code": cases["adjudication"].to_numpy()[row],
        "adjudication_date": _dates(cases["date"])[row], "disposal_code": disposal,
        "disposal_rank": pd.Series(disposal).map(DISPOSAL_RANKS).to_numpy().astype(int),
        "is_primary_offence": np.where(primary, "Y", "N").astype(object),
    })

    # Name rows: a primary name per record and aliases.
    rec_n = np.bincount(rec)
    n_alias = np.minimum(rng.poisson(0.1 + 0.06 * rec_n), 5)
    name_rec = np.r_[np.arange(len(rec_codes)), np.repeat(np.arange(len(rec_codes)), n_alias)]
    alias = np.r_[np.zeros(len(rec_codes), bool), np.ones(int(n_alias.sum()), bool)]
    # an alias is recorded at one of the record's cases (cases are grouped by record)
    rec_start = np.searchsorted(rec, np.arange(len(rec_codes)))
    at_case = rec_start[name_rec] + (rng.random(len(name_rec)) * rec_n[name_rec]).astype(int)
    created = np.where(alias, _dates(cases["date"])[at_case], rec_first[name_rec])
    records = pd.DataFrame({"person_idx": rec_person[name_rec], "created_date": created})
    ids = pd.concat([
        make_identifiers(records[~alias], persons, ctx.addresses, ERROR_PROFILES["pnc_people"],
                         PNC_PEOPLE.identifiers.dob_format, rng, "created_date"),
        make_identifiers(records[alias], persons, ctx.addresses, ERROR_PROFILES["pnc_alias"],
                         PNC_PEOPLE.identifiers.dob_format, rng, "created_date"),
    ], ignore_index=True)
    surname = ids["surname"].to_numpy(dtype=object).copy()
    other = alias & (rng.random(len(alias)) < ALIAS_OTHER_SURNAME_P)
    surname[other] = persons["surname"].str.upper().to_numpy(dtype=object)[
        rng.integers(0, len(persons), int(other.sum()))]
    code = persons["ethnicity_code"].to_numpy(dtype=object)[records["person_idx"].to_numpy()]
    appearance = pd.Series(code).map(_APPEARANCE).to_numpy(dtype=object)
    appearance[rng.random(len(code)) < 0.05] = None
    people = pd.DataFrame({
        "pnc_id": pnc_id[name_rec], "alias_flag": np.where(alias, "Y", "N").astype(object),
        "forename": ids["forename"].to_numpy(), "middle_names": ids["middle_name"].to_numpy(),
        "surname": surname, "date_of_birth": ids["dob"].to_numpy(),
        "sex": ids["sex"].fillna("U").to_numpy(), "ethnic_appearance": appearance,
        "self_defined_ethnicity": ids["ethnicity"].to_numpy(),
        "postcode": ids["postcode"].to_numpy(), "created_date": created,
        "person_idx": records["person_idx"].to_numpy(),
    })
    order = np.lexsort((rng.random(len(people)), people["created_date"].to_numpy()))
    people = people.iloc[order].reset_index(drop=True)
    people.insert(0, "name_id", zero_padded("N", np.arange(1, len(people) + 1), 8))
    truth = pd.DataFrame({"source_dataset": "pnc_people", "record_id": people["name_id"],
                          "person_id": persons["person_id"].to_numpy()[people["person_idx"]]})
    offences = offences.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    return {"raw.pnc_people": people[list(PNC_PEOPLE.columns)], "raw.pnc_offences": offences,
            "truth.record_person": truth}
