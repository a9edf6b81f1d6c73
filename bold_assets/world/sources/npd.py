"""Wave 1 world generator: the National Pupil Database for everyone schooled in England.

Pupils are the world's persons born from 1 September 1985 who were educated in state schools in
England: not those whose childhood address (the first in their history) was in Wales (LSOA
prefix W01), not those born abroad who arrived after school age, and not independent-school
pupils (the school census covers state schools). The population carries `born_abroad` but no
arrival date, so the arrival age is drawn: ARRIVED_AFTER_SCHOOL_P of people born abroad arrived
after age 16 (a project assumption: roughly half of migrants of these cohorts came as adults),
the rest at an age uniform over 0-16; a pupil appears only in censuses after arrival.

Each pupil has a census row at a few national curriculum years (1, 6, 9, 11) from the first
pupil-level census (January 2002), with names as the school recorded them (a step-family
surname in early rows for some pupils, the birth surname before any marriage), and the home
postcode of the time: some pupils moved as children, so an earlier childhood address is added
before the first address of the person's history. Identifier errors use `make_identifiers` with
the `npd_census` profile (schools keep identifiers well; a few nicknames, typos and stale
postcodes).

Outcomes come from latent states (education, family, income, mental health, offending) and are
calibrated to the ONS May 2022 table (DOMAIN.md) by the pupil's justice group as the PNC records
it (custodial / non-custodial or caution / none, up to age 23): within each group of the pooled
cohort (born Sep 1985 - Aug 2000) an outcome goes to the round(rate x n) eligible pupils with
the highest propensity plus noise, so the rates hold exactly whatever the group sizes.
Rates that ONS does not publish (CIN / CLA outside the custodial group, FSM, SEN, permanent
exclusion, KS4) are project assumptions chosen to keep the published contrasts; CLA rates give
about half of looked-after children a conviction by 24 (ONS, Dec 2022: 52%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.npd import (
    CIN_CLOSURE_REASONS,
    CIN_PRIMARY_NEED,
    EXCLUSION_REASONS,
    NPD_CENSUS,
    NPD_KS2,
    NPD_KS4,
    pa_threshold,
)
from bold_assets.world.calibration import (
    CIN_CENSUS_FIRST_YEAR,
    in_cohort,
    person_groups,
)
from bold_assets.world.identifiers import ErrorProfile, make_identifiers
from bold_assets.world.population import WORLD_END

PRODUCES = ("npd_census", "npd_ks2", "npd_ks4", "npd_exclusions", "npd_absence", "npd_cin",
            "npd_cla")  # fmt: skip

ARRIVED_AFTER_SCHOOL_P = 0.45
INDEPENDENT_P_PER_IMD_DECILE = 0.013  # 1.3% (most deprived decile) to 13% (least): ~7% overall
CENSUS_NC_YEARS = (1, 6, 9, 11)
CENSUS_KEEP_P = 0.85
FIRST_CENSUS, LAST_CENSUS = 2002, 2023
FIRST_ABSENCE_YEAR = 2005  # pupil-level absence from 2005/06
FIRST_EXCLUSION_YEAR = 2001
CHILDHOOD_MOVE_P = 0.35
# Identifier errors of the school census, by source: names and DOB from admission forms, kept up
# to date by schools.
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "npd_census": ErrorProfile(
        typo_forename=0.01, typo_surname=0.01, nickname=0.03, swap_names=0.004,
        dob_day_month_swap=0.002, dob_year_off=0.002, dob_shift=0.002, dob_missing=0.0,
        sex_missing=0.0, postcode_missing=0.02, postcode_typo=0.01, postcode_stale=0.08,
        ethnicity_missing=0.0, middle_missing=0.35, name_case="title",
    ),
}
STEP_SURNAME_P = 0.05
REISSUED_UPN_P = 0.01
_DAY = np.timedelta64(1, "D")
_YEAR_DAYS = 365.25

# Per cent of the group with each outcome: (custodial, non-custodial or caution, none).
# ONS May 2022 where published (DOMAIN.md), otherwise project assumptions (see docstring).
RATES: dict[str, tuple[float, float, float]] = {
    "ks2_expected": (0.369, 0.530, 0.724),
    "persistent_absence": (0.525, 0.359, 0.109),
    "fixed_exclusion": (0.722, 0.503, 0.090),
    "cin": (0.417, 0.15, 0.04),
    "cla": (0.176, 0.04, 0.008),
    "fsm": (0.65, 0.45, 0.20),
    "sen": (0.70, 0.45, 0.16),
    "permanent_exclusion": (0.20, 0.05, 0.003),
    "ks4_level2_em": (0.08, 0.25, 0.60),
}
_ETHNIC_MAJOR = {"W": "WHIT", "M": "MIXD", "A": "ASIA", "B": "BLAC", "O": "AOEG"}
_UPN_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"), dtype=object)


def _dates(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def academic_cohort(dob: np.ndarray) -> np.ndarray:
    """The year of the August that ends each person's birth academic year (Sep-Aug)."""
    d = pd.DatetimeIndex(_dates(dob))
    return (d.year + (d.month >= 9)).to_numpy()


def _jan(year: np.ndarray) -> np.ndarray:
    return (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 17 * _DAY


def _sep(year: np.ndarray) -> np.ndarray:
    months = (np.asarray(year) - 1970) * 12 + 8
    return months.astype("datetime64[M]").astype("datetime64[D]")


def pupil_coverage(ctx) -> pd.DataFrame:
    """Who is in the NPD and from when: person_idx, cohort, arrival date, in_npd. Deterministic
    for a context (its own random stream), so the PNC generator can calibrate on pupils too."""
    persons = ctx.persons
    rng = ctx.rng("npd_coverage")
    n = len(persons)
    dob = _dates(persons["dob"])
    first = ctx.addresses.sort_values(["person_idx", "seq"]).groupby("person_idx")["lsoa_code"]
    childhood_lsoa = first.first().reindex(np.arange(n)).fillna("").to_numpy(dtype=str)
    welsh = np.char.startswith(childhood_lsoa, "W01")
    abroad = persons["born_abroad"].to_numpy(dtype=bool)
    late = abroad & (rng.random(n) < ARRIVED_AFTER_SCHOOL_P)
    arrival_age = np.where(abroad, rng.random(n) * 16, 0.0)
    arrival = dob + (arrival_age * _YEAR_DAYS).astype(int) * _DAY
    independent = rng.random(n) < INDEPENDENT_P_PER_IMD_DECILE * persons["imd_decile"].to_numpy()
    cohort = academic_cohort(dob)
    last_census = _jan(cohort + 5 + max(CENSUS_NC_YEARS))
    has_census = ((cohort + 5 + max(CENSUS_NC_YEARS) >= FIRST_CENSUS)
                  & (cohort + 5 + min(CENSUS_NC_YEARS) <= LAST_CENSUS) & (arrival <= last_census))
    in_npd = (dob >= np.datetime64("1985-09-01")) & ~welsh & ~late & ~independent & has_census
    return pd.DataFrame({"person_idx": np.arange(n), "cohort": cohort, "arrival": arrival,
                         "welsh": welsh, "arrived_late": late, "independent": independent,
                         "in_npd": in_npd})


def _assign(rng, rate_key: str, score: np.ndarray, strata: np.ndarray, group: np.ndarray,
            eligible: np.ndarray) -> np.ndarray:
    """Exact-by-construction calibration: in each stratum, the round(rate x n) eligible pupils
    with the highest score plus noise get the outcome."""
    key = score + rng.normal(0, 0.6, len(score))
    out = np.zeros(len(score), dtype=bool)
    rates = RATES[rate_key]
    for s in np.unique(strata):
        members = np.flatnonzero((strata == s) & eligible)
        if not len(members):
            continue
        k = int(round(rates[2 - group[members[0]]] * len(members)))
        out[members[np.argsort(-key[members])[:k]]] = True
    return out


def _upns(rng, n: int, la: np.ndarray, issue_year: np.ndarray) -> np.ndarray:
    """UPNs: check letter + LA (3) + establishment (4) + year of issue (2) + serial (3)."""
    while True:
        est = rng.integers(1000, 8000, n)
        serial = rng.integers(0, 1000, n)
        body = ((np.asarray(la, dtype=np.int64) * 10_000 + est) * 100
                + np.asarray(issue_year) % 100) * 1000 + serial
        if len(np.unique(body)) == n:
            break
    digits = body[:, None] // 10 ** np.arange(11, -1, -1, dtype=np.int64) % 10
    check = (digits * np.arange(2, 14)).sum(axis=1) % 23  # DfE's weights 2..13, mod 23
    letters = _UPN_LETTERS[check].astype("S1")
    chars = np.concatenate([letters.view(np.uint8).reshape(n, 1),
                            zero_padded("", body, 12).astype("S12").view(np.uint8).reshape(n, 12)],
                           axis=1)
    return chars.view("S13").ravel().astype(str).astype(object)


def _childhood_addresses(rng, ctx, pupils: pd.DataFrame) -> pd.DataFrame:
    """The address history with an earlier childhood address for pupils who moved as children."""
    addr = ctx.addresses.sort_values(["person_idx", "seq"]).reset_index(drop=True)
    postcodes = ctx.geo["postcodes"].merge(ctx.geo["lsoa"][["lsoa_code", "lad_code"]],
                                           on="lsoa_code")
    movers = pupils[rng.random(len(pupils)) < CHILDHOOD_MOVE_P]
    first = addr.groupby("person_idx").head(1).set_index("person_idx")
    first = first.loc[movers["person_idx"]]
    dob = _dates(ctx.persons["dob"])[movers["person_idx"].to_numpy()]
    move = dob + ((4 + rng.random(len(movers)) * 11) * _YEAR_DAYS).astype(int) * _DAY
    ends = _dates(first["to_date"])
    ok = np.isnat(ends) | (move < ends)
    movers, first, move = movers[ok], first[ok], move[ok]
    lad_of = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"]
    lad = lad_of.loc[first["lsoa_code"]].to_numpy()
    by_lad = postcodes.groupby("lad_code").indices
    pick = np.array([by_lad[x][rng.integers(len(by_lad[x]))] for x in lad], dtype=np.int64)
    early = pd.DataFrame({
        "person_idx": movers["person_idx"].to_numpy(), "seq": 0,
        "lsoa_code": postcodes["lsoa_code"].to_numpy()[pick],
        "postcode": postcodes["postcode"].to_numpy()[pick],
        "from_date": np.datetime64("1900-01-01"), "to_date": move - _DAY,
    })
    first_rows = (addr["seq"] == addr.groupby("person_idx")["seq"].transform("min")).to_numpy()
    change = first_rows & addr["person_idx"].isin(early["person_idx"]).to_numpy()
    move_of = pd.Series(move, index=movers["person_idx"].to_numpy())
    from_date = _dates(addr["from_date"]).copy()
    from_date[change] = move_of.loc[addr.loc[change, "person_idx"]].to_numpy()
    addr = addr.assign(from_date=from_date)
    out = pd.concat([addr[early.columns], early], ignore_index=True)
    out = out.sort_values(["person_idx", "from_date"], kind="stable").reset_index(drop=True)
    out["seq"] = out.groupby("person_idx").cumcount() + 1
    return out


def _persons_for_identifiers(persons: pd.DataFrame) -> pd.DataFrame:
    if "marriage_date" not in persons:
        persons = persons.assign(marriage_date=np.datetime64("NaT"))
    return persons.reset_index(drop=True)


def _school_years(cov: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """(pupil row, NC year, academic year start) for NC years 1-11 at school in England."""
    nc = np.tile(np.arange(1, 12), len(cov))
    row = np.repeat(np.arange(len(cov)), 11)
    start = cov["cohort"].to_numpy()[row] + 4 + nc
    ok = ((start >= first_year) & (start <= last_year)
          & (_sep(start) + 300 * _DAY >= _dates(cov["arrival"])[row]))
    return pd.DataFrame({"row": row[ok], "nc": nc[ok], "start": start[ok]})


def zero_padded(prefix: str, numbers: np.ndarray, width: int, suffix: np.ndarray | None = None
                ) -> np.ndarray:
    """`prefix` + each number zero-padded to `width` digits (+ a one-letter `suffix`), built
    as a byte matrix rather than one Python string at a time."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n = len(numbers)
    digits = numbers[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64) % 10 + 48
    parts = [np.broadcast_to(np.frombuffer(prefix.encode(), np.uint8), (n, len(prefix))),
             digits.astype(np.uint8)]
    if suffix is not None:
        parts.append(np.asarray(suffix, dtype="S1").view(np.uint8).reshape(n, 1))
    chars = np.ascontiguousarray(np.concatenate(parts, axis=1))
    return chars.view(f"S{chars.shape[1]}").ravel().astype(str).astype(object)


def _ids(prefix: str, n: int) -> np.ndarray:
    return zero_padded(prefix, np.arange(1, n + 1), 9)


def _academic_year(start: np.ndarray) -> np.ndarray:
    """'2009/10' for the academic year starting in September 2009."""
    years = np.arange(1980, 2040)
    labels = np.array([f"{y}/{(y + 1) % 100:02d}" for y in years], dtype=object)
    return labels[np.asarray(start) - years[0]]


def _pnc_tables(ctx) -> dict[str, pd.DataFrame]:
    """The PNC people, offences and their truth rows: from ctx.tables when the PNC generator has
    run (and its truth rows are in), else generated here (the PNC generator is deterministic
    for a context, so this gives the same tables, at the cost of generating them twice)."""
    rp = ctx.tables.get("truth.record_person")
    if ("raw.pnc_offences" in ctx.tables and rp is not None
            and (rp["source_dataset"] == "pnc_people").any()):
        return {"raw.pnc_people": ctx.tables["raw.pnc_people"],
                "raw.pnc_offences": ctx.tables["raw.pnc_offences"], "truth.record_person": rp}
    from bold_assets.world.sources import pnc  # pnc imports this module

    return pnc.generate(ctx)


def generate(ctx) -> dict[str, pd.DataFrame]:
    """raw.npd_* tables and their truth.record_person rows (census records)."""
    persons = _persons_for_identifiers(ctx.persons)
    tables = _pnc_tables(ctx) | {"truth.persons": persons}
    rng = ctx.rng("npd")
    cov_all = pupil_coverage(ctx)
    cov = cov_all[cov_all["in_npd"]].reset_index(drop=True)
    p = cov["person_idx"].to_numpy()
    n = len(cov)
    dob = _dates(persons["dob"])[p]
    male = (persons["sex"].to_numpy()[p] == "M").astype(float)

    # Justice group of each pupil from the PNC (up to age 23), and calibration strata.
    groups = person_groups(tables)
    group = groups.reindex(persons["person_id"].to_numpy()[p]).fillna(0).astype(int).to_numpy()
    strata = group * 2 + in_cohort(dob)

    # Census rows.
    nc = np.tile(np.array(CENSUS_NC_YEARS), n)
    row = np.repeat(np.arange(n), len(CENSUS_NC_YEARS))
    year = cov["cohort"].to_numpy()[row] + 5 + nc
    possible = ((year >= FIRST_CENSUS) & (year <= LAST_CENSUS)
                & (_jan(year) >= _dates(cov["arrival"])[row]))
    keep = possible & (rng.random(len(row)) < CENSUS_KEEP_P)
    kept_any = np.bincount(row[keep], minlength=n) > 0
    last_possible = pd.Series(np.arange(len(row))[possible]).groupby(row[possible]).max()
    rescue = last_possible[~kept_any[last_possible.index]].to_numpy()
    keep[rescue] = True
    c = pd.DataFrame({"row": row[keep], "nc": nc[keep], "census_year": year[keep]})
    c["census_date"] = _jan(c["census_year"].to_numpy())
    c["person_idx"] = p[c["row"].to_numpy()]
    c = c.sort_values(["row", "census_year"]).reset_index(drop=True)

    # Outcomes.
    def zz(name: str) -> np.ndarray:
        return np.asarray(ctx.z[name])[p]

    edu, fam, inc = zz("education"), zz("family"), zz("low_income")
    mh, off, pco = zz("mental_health"), zz("offending"), zz("poor_child_outcomes")
    ks2_year = cov["cohort"].to_numpy() + 11
    ks2_date = _jan(ks2_year) + 118 * _DAY
    has_ks2 = _dates(cov["arrival"]) <= ks2_date - 120 * _DAY
    ks4_year = cov["cohort"].to_numpy() + 16
    ks4_date = _jan(ks4_year) + 150 * _DAY
    has_ks4 = (_dates(cov["arrival"]) <= ks4_date - 300 * _DAY) & (ks4_year >= 2002) & (
        ks4_year <= LAST_CENSUS)
    ks2_score = 0.8 * edu + 0.3 * pco
    ks2_fail = ~_assign(rng, "ks2_expected", -ks2_score, strata, group, has_ks2) & has_ks2
    ab_years = _school_years(cov, FIRST_ABSENCE_YEAR, LAST_CENSUS - 1)
    has_ab = np.bincount(ab_years["row"], minlength=n) > 0
    pa = _assign(rng, "persistent_absence", 0.4 * edu + 0.4 * fam + 0.3 * pco + 0.3 * ks2_fail,
                 strata, group, has_ab)
    ex_years = _school_years(cov, FIRST_EXCLUSION_YEAR, LAST_CENSUS - 1)
    has_ex = np.bincount(ex_years["row"], minlength=n) > 0
    fixed = _assign(rng, "fixed_exclusion",
                    0.5 * off + 0.3 * edu + 0.3 * fam + 0.3 * male + 0.4 * pa, strata, group,
                    has_ex)
    perm = _assign(rng, "permanent_exclusion", off, strata, group, fixed)
    cin_eligible = np.bincount(c["row"][c["census_year"] >= CIN_CENSUS_FIRST_YEAR],
                               minlength=n) > 0
    cin_score = 0.8 * fam + 0.4 * pco + 0.2 * inc
    cin = _assign(rng, "cin", cin_score, strata, group, cin_eligible)
    cla = _assign(rng, "cla", 0.8 * fam + 0.4 * pco + 0.5 * cin, strata, group,
                  np.ones(n, dtype=bool))
    fsm = _assign(rng, "fsm", inc + 0.3 * fam, strata, group, np.ones(n, dtype=bool))
    sen = _assign(rng, "sen", 0.7 * edu + 0.3 * mh + 0.3 * ks2_fail, strata, group,
                  np.ones(n, dtype=bool))
    l2em = _assign(rng, "ks4_level2_em", -(ks2_score + 0.5 * ks2_fail), strata, group, has_ks4)

    # Census identifiers, with childhood addresses and step-family surnames.
    addresses = _childhood_addresses(rng, ctx, cov)
    ids = make_identifiers(c, persons, addresses, ERROR_PROFILES["npd_census"],
                           NPD_CENSUS.identifiers.dob_format, rng, "census_date")
    surname = ids["surname"].to_numpy(dtype=object).copy()
    step = rng.random(n) < STEP_SURNAME_P
    step_until = rng.integers(0, len(CENSUS_NC_YEARS), n)  # census rows before this one
    rank = c.groupby("row").cumcount().to_numpy()
    use_step = step[c["row"]] & (rank < step_until[c["row"]])
    other = rng.integers(0, len(persons), n)
    step_name = persons["birth_surname"].fillna(persons["surname"]).to_numpy(dtype=object)[other]
    surname[use_step] = pd.Series(step_name[c["row"].to_numpy()[use_step]]).str.title().to_numpy()

    # UPN's LA number: the local authority of the pupil's first (childhood) address
    lad_codes = ctx.geo["lad"]["lad_code"].to_numpy()
    childhood_lad = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"].reindex(
        addresses.groupby("person_idx")["lsoa_code"].first().reindex(p).to_numpy())
    la = 201 + pd.Index(lad_codes).get_indexer(childhood_lad.to_numpy()) % 700
    upn = _upns(rng, n, la, cov["cohort"].to_numpy() - 1)
    census_upn = upn[c["row"].to_numpy()].copy()
    # A few pupils carry another UPN in their first census (a temporary or re-issued one).
    reissued = (rng.random(n) < REISSUED_UPN_P) & (np.bincount(c["row"], minlength=n) >= 2)
    reissue_rows = np.flatnonzero(reissued[c["row"]] & (rank == 0))
    if len(reissue_rows):
        census_upn[reissue_rows] = _upns(rng, len(reissue_rows), np.full(len(reissue_rows), 999),
                                         c["census_year"].to_numpy()[reissue_rows])
    # FSM from a census row onwards; SEN provision from a census row onwards.
    n_rows = np.bincount(c["row"], minlength=n)
    fsm_from = (rng.random(n) * n_rows).astype(int)
    sen_from = (rng.random(n) * n_rows).astype(int)
    cr = c["row"].to_numpy()
    everfsm = (fsm[cr] & (rank >= fsm_from[cr])).astype(int)
    on_sen = sen[cr] & (rank >= sen_from[cr])
    severe = (0.5 * edu + 0.5 * mh + rng.normal(0, 1, n)) > 1.2
    action_plus = severe | (rng.random(n) < 0.4)
    old = c["census_year"].to_numpy() <= 2014
    provision = np.where(~on_sen, "N", np.where(
        old, np.where(severe[cr], "S", np.where(action_plus[cr], "P", "A")),
        np.where(severe[cr], "E", "K"))).astype(object)
    semh = (mh + 0.6 * fixed + rng.normal(0, 0.8, n)) > 0.9
    other_type = rng.choice(np.array(["MLD", "SPLD", "ASD", "SLCN", "SLD", "PD", "VI", "HI",
                                      "OTH"], dtype=object), n,
                            p=[0.3, 0.2, 0.13, 0.17, 0.04, 0.04, 0.03, 0.03, 0.06])
    sen_type = np.where(semh, "SEMH", other_type)[cr].astype(object)
    sen_type[(sen_type == "SEMH") & old] = "BESD"
    sen_type[(provision == "N") | (provision == "A")] = None
    code = persons["ethnicity_code"].to_numpy(dtype=object)[c["person_idx"].to_numpy()]
    major = pd.Series(code).str[0].map(_ETHNIC_MAJOR).to_numpy(dtype=object)
    major[code == "A4"] = "CHIN"
    major[rng.random(len(c)) < 0.02] = "UNCL"
    census_id = _ids("C", len(c))
    census = pd.DataFrame({
        "census_record_id": census_id, "upn": census_upn,
        "forename": ids["forename"].to_numpy(), "middlenames": ids["middle_name"].to_numpy(),
        "surname": surname, "dob": ids["dob"].to_numpy(), "gender": ids["sex"].to_numpy(),
        "postcode": ids["postcode"].to_numpy(), "llsoa": ids["lsoa_code"].to_numpy(),
        "ethnicgroupmajor": major, "ncyearactual": c["nc"].astype(str).to_numpy(),
        "census_year": c["census_year"].to_numpy(), "census_date": c["census_date"].to_numpy(),
        "everfsm_all": everfsm, "senprovision": provision, "primarysentype": sen_type,
    })
    census = census.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    pid = persons["person_id"].to_numpy()
    truth = pd.DataFrame({"source_dataset": "npd_census", "record_id": census_id,
                          "person_id": pid[c["person_idx"].to_numpy()]})

    # KS2 and KS4.
    k2 = np.flatnonzero(has_ks2)
    new_ks2 = ks2_year[k2] >= 2016
    passed = ~ks2_fail[k2]
    lev = np.array(["B", "2", "3", "4", "5", "6"], dtype=object)
    good = lev[3 + (rng.random(len(k2)) < 0.35).astype(int)]
    poor = lev[rng.choice([0, 1, 2, 3], len(k2), p=[0.1, 0.2, 0.5, 0.2])]
    which_poor = rng.random(len(k2)) < 0.5  # which subject fell short (or both)
    both = rng.random(len(k2)) < 0.4
    eng_fail = ~passed & (which_poor | both)
    mat_fail = ~passed & (~which_poor | both)
    eng = np.where(eng_fail, np.where(poor == "4", "3", poor), good)
    mat = np.where(mat_fail, lev[rng.choice([0, 1, 2], len(k2), p=[0.1, 0.3, 0.6])], good)
    ks2 = pd.DataFrame({
        "ks2_record_id": _ids("K2", len(k2)), "upn": upn[k2], "ks2_year": ks2_year[k2],
        "exam_date": ks2_date[k2],
        "ks2_englev": np.where(new_ks2, None, eng).astype(object),
        "ks2_matlev": np.where(new_ks2, None, mat).astype(object),
        "ks2_readexp": pd.array(np.where(new_ks2, (~eng_fail).astype(int), -1), dtype="Int64"),
        "ks2_matexp": pd.array(np.where(new_ks2, (~mat_fail).astype(int), -1), dtype="Int64"),
    })
    for col in ("ks2_readexp", "ks2_matexp"):
        ks2.loc[~new_ks2, col] = pd.NA
    ks2 = ks2[list(NPD_KS2.columns)]
    k4 = np.flatnonzero(has_ks4)
    att8 = np.clip(np.round(48 - 9 * (ks2_score[k4] + 0.5 * ks2_fail[k4])
                            + 14 * l2em[k4] + rng.normal(0, 8, len(k4)), 1), 0, 90)
    ks4 = pd.DataFrame({
        "ks4_record_id": _ids("K4", len(k4)), "upn": upn[k4], "ks4_year": ks4_year[k4],
        "exam_date": ks4_date[k4],
        "ks4_att8": np.where(ks4_year[k4] >= 2016, att8, np.nan),
        "ks4_level2_em": l2em[k4].astype(int),
    })[list(NPD_KS4.columns)]

    # Absence: one row per pupil per school year from 2005/06.
    ab = ab_years
    thr = np.array([pa_threshold(y) for y in range(1990, 2030)])[ab["start"].to_numpy() - 1990]
    possible_s = rng.integers(300, 336, len(ab))
    arow = ab["row"].to_numpy()
    # PA pupils: one or more of their years at or above the threshold; others all below.
    pa_year = pa[arow] & (rng.random(len(ab)) < 0.45)
    has_pa_year = np.bincount(arow[pa_year], minlength=n) > 0
    lacking = pa & ~has_pa_year
    if lacking.any():  # a PA pupil with no PA year drawn: one of their years at random
        rows = np.flatnonzero(lacking[arow])
        pick = pd.Series(rng.random(len(rows)), index=rows).groupby(arow[rows]).idxmax()
        pa_year[pick.to_numpy()] = True
    base = np.minimum(0.045 * np.exp(0.5 * rng.normal(0, 1, len(ab)) + 0.3 * (fam + edu)[arow]),
                      thr * 0.95)
    rate = np.where(pa_year, thr + rng.random(len(ab)) * 0.25, base)
    missed = np.where(pa_year, np.ceil(rate * possible_s), np.floor(rate * possible_s))
    missed = np.minimum(missed, possible_s).astype(int)
    absence = pd.DataFrame({
        "absence_record_id": _ids("A", len(ab)), "upn": upn[arow],
        "academic_year": _academic_year(ab["start"].to_numpy()),
        "year_start_date": _sep(ab["start"].to_numpy()), "sessions_possible": possible_s,
        "sessions_overall_absence": missed, "pa_threshold": thr,
        "persistent_absentee": (missed / possible_s >= thr).astype(int),
    })

    # Exclusions: fixed-period (suspension from 2021/22) and permanent.
    ex = ex_years
    erow = ex["row"].to_numpy()
    secondary = ex["nc"].to_numpy() >= 7
    weight = np.where(secondary, 3.0, 1.0) * fixed[erow]
    n_fixed = np.where(fixed, 1 + rng.poisson(np.exp(0.4 * off)), 0)
    order = np.argsort(erow, kind="stable")
    starts = np.searchsorted(erow[order], np.arange(n))
    counts = np.bincount(erow, minlength=n)
    # each exclusion falls in one of the pupil's school years, secondary years 3x as likely:
    # weighted draws within each pupil's segment of the (row-sorted) years, by cumulative weight
    sel_rows = np.repeat(np.arange(n), np.where(counts > 0, n_fixed, 0))
    cum = np.cumsum(weight[order])
    before = np.r_[0.0, cum][starts]
    total = np.r_[0.0, cum][starts + counts] - before
    target = before[sel_rows] + rng.random(len(sel_rows)) * total[sel_rows]
    pos = np.minimum(np.searchsorted(cum, target, side="right"), starts[sel_rows]
                     + counts[sel_rows] - 1)
    sel_year = order[pos]
    start_year = ex["start"].to_numpy()[sel_year]
    startdate = _sep(start_year) + rng.integers(4, 300, len(sel_year)) * _DAY
    reasons = np.array(EXCLUSION_REASONS, dtype=object)
    reason_p = np.array([0.14, 0.1, 0.06, 0.1, 0.03, 0.02, 0.01, 0.03, 0.05, 0.02, 0.32, 0.12])
    fixed_df = pd.DataFrame({
        "row": sel_rows, "academic_year": _academic_year(start_year),
        "category": np.where(start_year >= 2021, "SUSP", "FIXD").astype(object),
        "startdate": startdate, "sessions": rng.integers(1, 11, len(sel_year)) * 2 - (
            rng.random(len(sel_year)) < 0.3),
        "reason": rng.choice(reasons, len(sel_year), p=reason_p / reason_p.sum()),
    })
    perm_rows = np.flatnonzero(perm & (counts > 0))
    last_year = np.array([ex["start"].to_numpy()[order[starts[r] + counts[r] - 1]]
                          for r in perm_rows], dtype=int)
    perm_df = pd.DataFrame({
        "row": perm_rows, "academic_year": _academic_year(last_year), "category": "PERM",
        "startdate": _sep(last_year) + rng.integers(30, 300, len(perm_rows)) * _DAY,
        "sessions": pd.array([pd.NA] * len(perm_rows), dtype="Int64"),
        "reason": rng.choice(reasons, len(perm_rows), p=reason_p / reason_p.sum()),
    })
    excl = pd.concat([fixed_df.astype({"sessions": "Int64"}), perm_df], ignore_index=True)
    excl = excl.sort_values(["row", "startdate"]).reset_index(drop=True)
    excl.insert(0, "upn", upn[excl["row"].to_numpy()])
    excl.insert(0, "exclusion_record_id", _ids("X", len(excl)))
    excl = excl.drop(columns="row")

    # Children in need (CIN census from 2008/09) and looked after (SSDA903).
    arrival = _dates(cov["arrival"])
    ci = np.flatnonzero(cin)
    lo = np.maximum.reduce([dob[ci], arrival[ci], np.full(len(ci), np.datetime64("2008-04-01"))])
    hi = np.minimum(dob[ci] + int(17 * _YEAR_DAYS) * _DAY, np.datetime64("2023-03-31"))
    referral = lo + (rng.random(len(ci)) * np.maximum((hi - lo).astype(int), 1)).astype(int) * _DAY
    closure = referral + rng.integers(30, 700, len(ci)) * _DAY
    open_case = closure > np.datetime64("2023-03-31")
    cin_df = pd.DataFrame({
        "cin_record_id": _ids("CN", len(ci)), "upn": upn[ci], "cin_referraldate": referral,
        "cin_cinclosuredate": np.where(open_case, np.datetime64("NaT"), closure),
        "cin_reasonforclosure": np.where(open_case, None, rng.choice(
            np.array(CIN_CLOSURE_REASONS, dtype=object), len(ci))),
        "cin_primaryneedcode": rng.choice(np.array(CIN_PRIMARY_NEED, dtype=object), len(ci),
                                          p=[0.52, 0.03, 0.02, 0.01, 0.04, 0.16, 0.03, 0.05,
                                             0.14]),
    })
    li = np.flatnonzero(cla)
    lo = np.maximum.reduce([dob[li], arrival[li], np.full(len(li), np.datetime64("1992-04-01"))])
    hi = np.minimum(dob[li] + int(17 * _YEAR_DAYS) * _DAY, np.datetime64("2023-03-01"))
    poc = lo + (rng.random(len(li)) * np.maximum((hi - lo).astype(int), 1)).astype(int) * _DAY
    adult = dob[li] + int(18 * _YEAR_DAYS) * _DAY
    ceased = np.minimum(poc + rng.integers(30, 2500, len(li)) * _DAY, adult)
    still = ceased > np.datetime64("2023-03-31")
    reason = np.where(ceased >= adult, rng.choice(np.array(["E45", "E46", "E47", "E48"],
                                                          dtype=object), len(li)),
                      rng.choice(np.array(["E4A", "E4B", "E11", "E12", "E41", "E13", "E8"],
                                          dtype=object), len(li),
                                 p=[0.45, 0.1, 0.1, 0.05, 0.1, 0.1, 0.1]))
    cla_df = pd.DataFrame({
        "cla_record_id": _ids("LA", len(li)), "upn": upn[li], "cla_poc_start": poc,
        "cla_dec": np.where(still, np.datetime64("NaT"), ceased),
        "reasonepisodeceased": np.where(still, None, reason),
    })
    # Younger cohorts' later school years lie after the world's end: not recorded yet; and
    # every table's pupils are on the census (the youngest have no census row before the end).
    on_census = set(census["upn"])
    ks2, ks4, excl, absence, cin_df, cla_df = (
        df[(df[col] <= WORLD_END) & df["upn"].isin(on_census)].reset_index(drop=True)
        for df, col in ((ks2, "exam_date"), (ks4, "exam_date"), (excl, "startdate"),
                        (absence, "year_start_date"), (cin_df, "cin_referraldate"),
                        (cla_df, "cla_poc_start")))
    return {"raw.npd_census": census, "raw.npd_ks2": ks2, "raw.npd_ks4": ks4,
            "raw.npd_exclusions": excl, "raw.npd_absence": absence, "raw.npd_cin": cin_df,
            "raw.npd_cla": cla_df, "truth.record_person": truth}
