"""Wave 2 world generator: DWP's Customer Information System, benefit spells (National Benefit
Database) and HMRC employment spells (P45, PAYE RTI), for the whole population.

**CIS.** Everyone aged 16 or over by the end of 2023 holds a NINO (`national_ids.nino`; issued
at 16, or on arrival for people who came from abroad as adults; the criminal careers ignore
arrival dates, so someone in custody before their recorded arrival has one from that custody)
and a CIS record: one row per address held since the NINO's issue (the last four at most, most
recent last), names, date of birth (`YYYYMMDD`) and sex (1 / 2) as held now (few errors, upper
case), the address's postcode and the date it was first held. A first address held "since before
the world" (the population's moves start in 2010) gets a date between the NINO's issue (1975 at
the earliest) and the first move.

**Careers** (`world/labour_market.py`): from the NINO's issue to state pension age, each person
moves between employment, claiming as unemployed, as sick or disabled, as a lone parent and none
of these. **Custody** (`world/labour_custody.py`) blanks the careers from reception to release
and sets the jobs before reception and the paths after release to the MoJ-DWP-HMRC figures.

**Jobs and benefits.** Jobs have an employer each from a pool of Zipf-like sizes and annual pay
by low income, education, in-work poverty, sex, age and year; people in in-work poverty are low
paid and, once Universal Credit reaches them, claim UC in a working regime (WFI, WNR) beside their
jobs. Benefit types follow their history: JSA from October 1996, ESA from October 2008 (IB
claimants moved to ESA in 2011-14), UC for a rising share of new claims from April 2013 (all from
February 2019), PIP from April 2013 (DLA claimants of working age reassessed 2013-19); disability
(DLA / PIP, AA from 65), carer's (ICA), pension (RP from state pension age, PC for low-income
pensioners from October 2003) and bereavement benefits (WB before April 2001, BB to April 2017,
rare) run beside the careers, blanked by custody too.

Spells in progress on 1 January 1995 (the extract's start) start then; spells running past the
end of 2023 are open (no end date).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.sources import get_source
from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile, make_identifiers
from bold_assets.world.labour_custody import (
    Custody,
    labour_spells,
    post_release_paths,
    pre_sentence_jobs,
)
from bold_assets.world.labour_market import (
    OPEN,
    SIM_START,
    WORLD_END,
    YEAR,
    E,
    L,
    People,
    S,
    U,
    baseline_careers,
    day_number,
    day_numbers,
    first_record,
    pension_day,
    sigmoid,
    subtract_intervals,
    uniform_ints,
)
from bold_assets.world.national_ids import nino
from bold_assets.world.records import extract, issue_ids
from bold_assets.world.sources.npd import zero_padded

PRODUCES = ("dwp_cis", "dwp_benefit_spells", "hmrc_employments")
# CIS is DWP's master record of people: names and dates of birth from the NINO application,
# kept up to date and validated (no impossible dates, so no day / month swaps); addresses as
# reported.
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "dwp_cis": ErrorProfile(
        typo_forename=0.004, typo_surname=0.004, nickname=0.005, swap_names=0.001,
        stale_surname=0.05, dob_day_month_swap=0.0, dob_year_off=0.001, dob_shift=0.001,
        dob_missing=0.0, sex_missing=0.0, postcode_missing=0.03, postcode_typo=0.004,
        postcode_stale=0.0, ethnicity_missing=1.0, middle_missing=0.3, name_case="upper",
    ),
}

EXTRACT_START = day_number("1995-01-01")
CIS_FIRST_DATE = day_number("1975-01-01")
FIRST_MOVE_BEFORE = day_number("2009-12-31")  # the population's moves start in 2010
JSA_START = day_number("1996-10-07")
SDA_END = day_number("2001-04-06")
ESA_START = day_number("2008-10-27")
IB_MIGRATION = (day_number("2011-04-01"), day_number("2014-03-31"))
LONE_PARENT_JSA = day_number("2012-05-21")
UC_START = day_number("2013-04-29")
# Share of new claims made on Universal Credit, by date (rollout: pathfinder, full service).
UC_ROLLOUT = ((UC_START, 0.0), (day_number("2015-12-31"), 0.05),
              (day_number("2016-12-31"), 0.15), (day_number("2017-12-31"), 0.35),
              (day_number("2018-12-31"), 0.75), (day_number("2019-02-01"), 1.0))
PIP_START = day_number("2013-04-08")
PIP_REASSESSMENT = (day_number("2013-10-28"), day_number("2019-06-30"))
PIP_AFTER_DLA_P = 0.75
PC_START = day_number("2003-10-06")
BB_START, BB_END = day_number("2001-04-09"), day_number("2017-04-05")
RTI_START = day_number("2014-04-06")
PAY_MEDIAN_2023 = 27_000.0
PAY_GROWTH = 0.028  # nominal pay growth a year
IN_WORK_UC_REGIMES = (("WFI", 0.65), ("WNR", 0.35))


# Jobs and benefits ----------------------------------------------------------------------------


def _dates(days: np.ndarray) -> np.ndarray:
    """Dates of day numbers; OPEN or past the extract -> NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]")
    out[days > WORLD_END] = np.datetime64("NaT")
    return out


def _uc_share(day: np.ndarray) -> np.ndarray:
    xs, ys = zip(*UC_ROLLOUT, strict=True)
    return np.interp(day, xs, ys, left=0.0, right=1.0)


def _claim_types(rng: np.random.Generator, people: People, claims: pd.DataFrame
                 ) -> pd.DataFrame:
    """Benefit type and UC regime of each claim (kinds U, S, L) by its start date; IB claims
    open at the person's migration date become ESA then."""
    k = len(claims)
    start = claims["start"].to_numpy()
    state = claims["state"].to_numpy()
    uc = (start >= UC_START) & (rng.random(k) < _uc_share(start))
    legacy = np.select(
        [state == U, state == S, state == L],
        [np.where(start < JSA_START, "IS", "JSA"),
         np.where(start >= ESA_START, "ESA",
                  np.where((start < SDA_END) & (rng.random(k) < 0.08), "SDA", "IB")),
         np.where((start >= LONE_PARENT_JSA) & (rng.random(k) < 0.5), "JSA", "IS")], "JSA")
    regime = np.select(
        [state == U, state == S],
        [np.full(k, "SFW"), np.where(rng.random(k) < 0.6, "NWR", "PFW")],
        rng.choice(np.array(["NWR", "PWR", "PFW"]), k, p=[0.4, 0.3, 0.3]))
    out = claims.assign(benefit_type=np.where(uc, "UC", legacy).astype(object),
                        uc_regime=np.where(uc, regime, None).astype(object))
    # incapacity benefit claimants moved to ESA in 2011-14
    move = uniform_ints(rng, *IB_MIGRATION, k)
    ib = (out["benefit_type"] == "IB").to_numpy() & (out["start"].to_numpy() < move) & (
        out["end"].to_numpy() >= move)
    ib &= move < people.pension[out["person"].to_numpy()]
    esa = out[ib].assign(start=move[ib], benefit_type="ESA")
    out.loc[ib, "end"] = move[ib] - 1
    return pd.concat([out, esa], ignore_index=True)


def _other_benefits(rng: np.random.Generator, people: People) -> pd.DataFrame:
    """Disability, carer's, pension and bereavement benefits beside the careers."""
    idx = np.flatnonzero(people.in_cis)
    z = people.z
    dob, pension = people.dob[idx], people.pension[idx]
    sixty_five = dob + int(65 * YEAR)
    lo = np.maximum(people.issue[idx], SIM_START)
    parts = []

    def onset(weight: np.ndarray, w0: np.ndarray, w1: np.ndarray) -> tuple[np.ndarray, ...]:
        years = np.maximum(w1 - w0, 0) / YEAR
        hit = rng.random(len(weight)) < 1 - np.exp(-weight * years)
        day = w0 + (rng.random(len(weight)) * np.maximum(w1 - w0, 0)).astype(np.int64)
        return hit, day

    # DLA (PIP from April 2013) of working age; AA from 65
    ph, mh = z["physical_health"][idx], z["mental_health"][idx]
    hit, day = onset(np.exp(-6.2 + 0.9 * ph + 0.6 * mh), lo, np.minimum(sixty_five, WORLD_END))
    end = day + (rng.exponential(12, len(idx)) * YEAR).astype(np.int64)
    pip = day >= PIP_START
    reassess = uniform_ints(rng, *PIP_REASSESSMENT, len(idx))
    moved = ~pip & (end >= reassess) & (reassess < sixty_five)
    dla_end = np.where(moved, reassess - 1, end)
    parts.append((idx[hit], np.where(pip, "PIP", "DLA")[hit], day[hit],
                  np.where(pip, end, dla_end)[hit]))
    keep = hit & moved & (rng.random(len(idx)) < PIP_AFTER_DLA_P)
    parts.append((idx[keep], np.full(int(keep.sum()), "PIP"), reassess[keep], end[keep]))
    age_now = (WORLD_END - dob) / YEAR
    hit, day = onset(np.exp(-4.6 + 0.8 * ph + 0.05 * np.clip(age_now - 75, 0, None)),
                     np.maximum(sixty_five, lo), np.full(len(idx), WORLD_END))
    parts.append((idx[hit], np.full(int(hit.sum()), "AA"), day[hit], np.full(int(hit.sum()),
                                                                               OPEN)))
    # carer's allowance
    female = ~people.male[idx]
    hit, day = onset(np.exp(-5.6 + 0.5 * z["family"][idx] + 0.3 * z["low_income"][idx]
                            + 0.4 * female), lo, np.minimum(pension, WORLD_END))
    end = day + (rng.exponential(5, len(idx)) * YEAR).astype(np.int64)
    parts.append((idx[hit], np.full(int(hit.sum()), "ICA"), day[hit], end[hit]))
    # state pension at pension age, pension credit for low-income pensioners
    rp = (pension <= WORLD_END) & (rng.random(len(idx)) < np.where(
        people.adult_arrival[idx], 0.85, 0.97))
    parts.append((idx[rp], np.full(int(rp.sum()), "RP"), pension[rp], np.full(int(rp.sum()), OPEN)))
    women_spa = pension_day(dob, np.zeros(len(idx), dtype=bool))
    pc_from = np.maximum(women_spa, PC_START)
    pc = (pc_from <= WORLD_END) & (rng.random(len(idx)) < sigmoid(
        -2.4 + 1.2 * z["low_income"][idx]))
    pc_start = pc_from + (rng.random(len(idx)) * 3 * YEAR).astype(np.int64)
    pc_end = np.where(rng.random(len(idx)) < 0.2,
                      pc_start + (rng.exponential(4, len(idx)) * YEAR).astype(np.int64), OPEN)
    pc &= pc_start <= WORLD_END
    parts.append((idx[pc], np.full(int(pc.sum()), "PC"), pc_start[pc], pc_end[pc]))
    # bereavement: widow's benefit before April 2001, bereavement benefit to April 2017
    hit, day = onset(np.full(len(idx), 0.002), np.maximum(lo, dob + int(30 * YEAR)),
                     np.minimum(pension, np.int64(BB_END)))
    wb = day < BB_START
    hit &= ~wb | female
    end = day + np.where(wb, rng.exponential(5, len(idx)) * YEAR, 365).astype(np.int64)
    end = np.where(wb, np.minimum(end, pension - 1), end)
    parts.append((idx[hit], np.where(wb, "WB", "BB")[hit], day[hit], end[hit]))
    out = pd.DataFrame({
        "person": np.concatenate([p[0] for p in parts]),
        "benefit_type": np.concatenate([p[1] for p in parts]).astype(object),
        "start": np.concatenate([p[2] for p in parts]),
        "end": np.concatenate([p[3] for p in parts])})
    out["uc_regime"] = None
    return out[out["start"] <= out["end"]]


def _in_work_uc(rng: np.random.Generator, people: People, jobs: pd.DataFrame) -> pd.DataFrame:
    """Universal Credit in a working regime beside the jobs of people in in-work poverty (and
    some others on low incomes), once UC has reached them."""
    p = jobs["person"].to_numpy()
    claims = people.iwp | (people.low_income & (rng.random(people.n) < 0.25))
    xs, ys = zip(*UC_ROLLOUT, strict=True)
    reached = np.interp(rng.random(people.n), ys, xs).astype(np.int64)
    start = np.maximum(jobs["start"].to_numpy(), reached[p]) + rng.integers(0, 61, len(p))
    ok = claims[p] & (start <= jobs["end"].to_numpy())
    regimes, weights = zip(*IN_WORK_UC_REGIMES, strict=True)
    return pd.DataFrame({"person": p[ok], "benefit_type": "UC",
                         "uc_regime": rng.choice(np.array(regimes, dtype=object), int(ok.sum()),
                                                 p=weights),
                         "start": start[ok], "end": jobs["end"].to_numpy()[ok]})


def _paye_refs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Employer PAYE references like `123/AB45678`: tax office / letters and digits."""
    office = rng.integers(100, 1000, n)
    letters = rng.integers(65, 91, (n, 2)).astype(np.uint8)
    digits = rng.integers(0, 100_000, n)
    head = zero_padded("", office, 3).astype("S3").view(np.uint8).reshape(n, 3)
    tail = zero_padded("", digits, 5).astype("S5").view(np.uint8).reshape(n, 5)
    chars = np.concatenate([head, np.full((n, 1), ord("/"), np.uint8), letters, tail], axis=1)
    return np.ascontiguousarray(chars).view("S11").ravel().astype(str).astype(object)


def _employments(rng: np.random.Generator, people: People, jobs: pd.DataFrame) -> pd.DataFrame:
    """Employer, PAYE source and taxable pay of each job (spell days within the extract)."""
    n_emp = max(200, people.n // 12)
    size = 1.0 / (np.arange(n_emp) + 10.0) ** 1.05
    refs = _paye_refs(rng, n_emp)
    p = jobs["person"].to_numpy()
    k = len(p)
    start, end = jobs["start"].to_numpy(), jobs["end"].to_numpy()
    z = people.z
    log_pay = (np.log(PAY_MEDIAN_2023) - 0.25 * z["low_income"][p] - 0.15 * z["education"][p]
               - 0.15 * ~people.male[p] - 0.6 * people.iwp[p] + rng.normal(0, 0.35, k))
    age = people.age(p, start)
    log_pay += np.log(np.select([age < 18, age < 22, age < 30, age < 50], [0.35, 0.55, 0.85, 1.0],
                                0.95))
    mid = (np.maximum(start, EXTRACT_START) + np.minimum(end, WORLD_END)) / 2
    log_pay += np.log1p(PAY_GROWTH) * ((mid - WORLD_END) / YEAR)
    days = np.minimum(end, WORLD_END) - np.maximum(start, EXTRACT_START) + 1
    return pd.DataFrame({
        "person": p, "start": start, "end": end,
        "employer_paye_ref": refs[rng.choice(n_emp, k, p=size / size.sum())],
        "taxable_pay": np.round(np.exp(log_pay) * days / YEAR, 2),
        "paye_source": np.where(start < RTI_START, "P45", "RTI").astype(object),
    })


def _in_extract(people: People, df: pd.DataFrame) -> pd.DataFrame:
    """Spells as the extract holds them: from the NINO's issue and 1995 (a spell in progress
    then starts then), started by the end of 2023."""
    start = np.maximum.reduce([df["start"].to_numpy(), people.issue[df["person"].to_numpy()],
                               np.full(len(df), EXTRACT_START)])
    df = df.assign(start=start)
    return df[(df["start"] <= df["end"]) & (df["start"] <= WORLD_END)]


def _numbered(rng: np.random.Generator, df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows in start-date order (ties at random) with the source's record ids."""
    prefix, first = get_source(source).record_id_shape
    order = np.lexsort((rng.random(len(df)), df["start"].to_numpy()))
    df = df.iloc[order].reset_index(drop=True)
    numbers = first + np.arange(len(df))
    width = len(str(int(numbers.max()))) if len(df) else 1
    return df.assign(record_id=zero_padded(prefix, numbers, width))


# CIS ------------------------------------------------------------------------------------------


def _cis(ctx: WorldContext, people: People, rng: np.random.Generator) -> pd.DataFrame:
    """One row per person and address held since the NINO's issue (the last four): person_idx,
    the address's row in ctx.addresses and the date it was first held."""
    a = ctx.addresses
    person = a["person_idx"].to_numpy()
    issue = people.issue[person]
    to_day = day_numbers(a["to_date"])
    from_day = day_numbers(a["from_date"])
    first = a["seq"].to_numpy() == 1
    held = people.in_cis[person] & (to_day >= issue)
    lo = np.maximum(issue, CIS_FIRST_DATE)
    hi = np.minimum(np.minimum(to_day, FIRST_MOVE_BEFORE), WORLD_END)
    drawn = uniform_ints(rng, lo, hi, len(a))
    since = np.where(first, drawn, np.maximum(from_day, issue))
    rows = pd.DataFrame({"person_idx": person, "address_row": np.arange(len(a)), "since": since})
    rows = rows[held]
    rows = rows[rows.groupby("person_idx").cumcount(ascending=False) < 4]
    rows["address_from_date"] = rows["since"].to_numpy().astype("datetime64[D]")
    return rows.drop(columns="since").reset_index(drop=True)


_LOOKALIKE = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8"}


def _lookalike_typo(postcode: str, u: float) -> str:
    """`postcode` with one character (at random among those with a lookalike) swapped for it."""
    spots = [i for i, c in enumerate(postcode) if c in _LOOKALIKE]
    if not spots:
        return postcode
    i = spots[int(u * len(spots))]
    return postcode[:i] + _LOOKALIKE[postcode[i]] + postcode[i + 1:]


def _recorded_postcodes(rng: np.random.Generator, postcodes: np.ndarray, young: np.ndarray,
                        profile: ErrorProfile) -> np.ndarray:
    """Postcodes as CIS holds them: upper case, a few without the space or mistyped, some
    missing (more for young adults)."""
    out = pd.Series(postcodes, dtype=object)
    k = len(out)
    typo = np.flatnonzero(rng.random(k) < profile.postcode_typo)
    out.iloc[typo] = [_lookalike_typo(v, u) for v, u in zip(out.iloc[typo], rng.random(len(typo)),
                                                             strict=True)]
    nospace = rng.random(k) < 0.05
    out[nospace] = out[nospace].str.replace(" ", "", regex=False)
    missing = rng.random(k) < profile.postcode_missing * (1 + young)
    out[missing] = None
    return out.to_numpy(dtype=object)


def _cis_table(ctx: WorldContext, people: People, rng: np.random.Generator,
               ninos: np.ndarray) -> dict[str, pd.DataFrame]:
    rows = issue_ids(rng, _cis(ctx, people, rng), "address_from_date", "dwp_cis")
    held = np.flatnonzero(people.in_cis)
    now = pd.DataFrame({"person_idx": held,
                        "extract_date": np.full(len(held), np.datetime64("2023-12-31"))})
    profile = ERROR_PROFILES["dwp_cis"]
    ids = make_identifiers(now, ctx.persons.reset_index(drop=True), ctx.addresses, profile,
                           "%Y-%m-%d", rng, "extract_date")
    slot = np.searchsorted(held, rows["person_idx"].to_numpy())
    p = rows["person_idx"].to_numpy()
    young = people.age(p, day_numbers(rows["address_from_date"])) < 25
    postcode = _recorded_postcodes(
        rng, ctx.addresses["postcode"].to_numpy(dtype=object)[rows["address_row"].to_numpy()],
        young, profile)
    sex = ids["sex"].map({"M": "1", "F": "2"}).to_numpy(dtype=object)
    dob = ids["dob"].str.replace("-", "", regex=False).to_numpy(dtype=object)
    return extract(ctx, "dwp_cis", rows, {
        "cis_record_id": rows["record_id"], "nino": ninos[p],
        "first_forename": ids["forename"].to_numpy(dtype=object)[slot],
        "surname": ids["surname"].to_numpy(dtype=object)[slot],
        "date_of_birth": dob[slot], "sex": sex[slot], "postcode": postcode,
        "address_from_date": rows["address_from_date"],
    })


# The generator --------------------------------------------------------------------------------


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    """raw.dwp_cis, raw.dwp_benefit_spells, raw.hmrc_employments and truth.record_person rows
    of the CIS records."""
    people = People(ctx)
    ninos = nino(np.arange(people.n), ctx.seed)
    out = _cis_table(ctx, people, ctx.rng("dwp_cis"), ninos)

    rng = ctx.rng("dwp_careers")
    cu = Custody(ctx, people)
    record = first_record(ctx, people.n)
    base = baseline_careers(rng, people, record, cu.first_release)
    paths_rng = ctx.rng("dwp_custody_paths")
    forced, forced_start = pre_sentence_jobs(paths_rng, people, cu)
    path, windows = post_release_paths(paths_rng, people, cu, forced, forced_start)
    labour = labour_spells(people, cu, base, forced, forced_start, path, windows)

    brng = ctx.rng("dwp_benefits")
    jobs = _in_extract(people, labour[labour["state"] == E])
    claims = _claim_types(brng, people, labour[labour["state"] != E])
    other = _other_benefits(brng, people)
    row, s, e = subtract_intervals(other["person"].to_numpy(), other["start"].to_numpy(),
                                   other["end"].to_numpy(), cu.person, cu.start, cu.end)
    other = other.iloc[row].assign(start=s, end=e)
    # DLA reinstated after custody from April 2013 is a new claim: PIP
    other.loc[(other["benefit_type"] == "DLA") & (other["start"] >= PIP_START),
              "benefit_type"] = "PIP"
    cols = ["person", "benefit_type", "uc_regime", "start", "end"]
    spells = pd.concat([claims[cols], other[cols], _in_work_uc(brng, people, jobs)[cols]],
                       ignore_index=True)
    spells = _numbered(brng, _in_extract(people, spells), "dwp_benefit_spells")
    out["raw.dwp_benefit_spells"] = pd.DataFrame({
        "spell_id": spells["record_id"], "nino": ninos[spells["person"].to_numpy()],
        "benefit_type": spells["benefit_type"].to_numpy(dtype=object),
        "uc_regime": spells["uc_regime"].to_numpy(dtype=object),
        "startdate": _dates(spells["start"].to_numpy()),
        "enddate": _dates(spells["end"].to_numpy()),
    })

    erng = ctx.rng("dwp_employments")
    emp = _numbered(erng, _employments(erng, people, jobs), "hmrc_employments")
    out["raw.hmrc_employments"] = pd.DataFrame({
        "employment_id": emp["record_id"], "nino": ninos[emp["person"].to_numpy()],
        "employer_paye_ref": emp["employer_paye_ref"],
        "startdate": _dates(emp["start"].to_numpy()), "enddate": _dates(emp["end"].to_numpy()),
        "taxable_pay": emp["taxable_pay"].to_numpy(), "paye_source": emp["paye_source"],
    })
    return out
