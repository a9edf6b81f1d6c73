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

**Careers.** From the NINO's issue (1988 at the earliest: careers already running then start in a
state drawn from the person's shares) to state pension age, each person moves between employment
(E), claiming as unemployed (U: IS before October 1996, JSA, UC searching for work), as sick or
disabled (S: IB, SDA, ESA, UC with no or preparing-for-work requirements), as a lone parent (L:
IS, JSA from 2012, UC) and none of these (N: education, self-employment, caring, abroad). Each
spell's next state is drawn from shares set by the person's latent states (`LATENT_WEIGHTS`: low
income, employment and inactivity needs, physical and mental health, substance misuse,
offending), justice contact (after a first PNC caution or conviction, and after a first release
from custody), sex, age and the economic cycle, divided by the state's mean duration (a
semi-Markov chain, run spell by spell for everyone at once). Jobs have an employer each from a
pool of Zipf-like sizes and annual pay by low income, education, in-work poverty, sex, age and
year; people in in-work poverty are low paid and, once Universal Credit reaches them, claim UC
in a working regime (WFI, WNR) beside their jobs. Benefit types follow their history: JSA from
October 1996, ESA from October 2008 (IB claimants moved to ESA in 2011-14), UC for a rising
share of new claims from April 2013 (all from February 2019), PIP from April 2013 (DLA claimants
of working age reassessed 2013-19); disability (DLA / PIP, AA from 65), carer's (ICA), pension
(RP from state pension age, PC for low-income pensioners from October 2003) and bereavement
benefits (WB before April 2001, BB to April 2017, rare) run beside the careers.

**Custody.** The custody periods of the criminal careers (every custodial sentence, overlapping
sentences joined) blank every spell from reception to release; a job held at reception ends.

**Calibration (MoJ-DWP-HMRC 2013, DOMAIN.md; measured by `world/calibration_wave2.py` on its
prison leavers: `raw.prison` journeys released to liberty in 2005-2021 aged 18-64).** Set here,
as exact quotas over those journeys (highest propensity plus noise first; every other reception
and release gets the same conditional rates at random):
- a third in a job the month before reception (held up to reception; the others hold no job in
  that month);
- after each adult release a path replaces the career until its last spell ends (760 days at
  least) or the next custody: 54% on an out-of-work benefit on day 30, 59% at some point in days
  1-365, 42% on day 730; 31% employed at some point in days 1-365, 17% on day 365. A release's
  days after the next reception belong to the next release's path, so paths are drawn latest
  first and every person's first release closes the quotas.
Emerging: the share of out-of-work claims open in December 2012 held by people cautioned or
convicted in 2000-2012 (published 22%), from the careers' propensities and justice effects.

Spells in progress on 1 January 1995 (the extract's start) start then; spells running past the
end of 2023 are open (no end date).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.pnc import CAUTION_DISPOSALS, GUILTY_ADJUDICATIONS
from bold_assets.sources import get_source
from bold_assets.world.calibration_wave2 import LEAVER_AGES, is_leaver, target
from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile, make_identifiers
from bold_assets.world.journeys import custody_journeys
from bold_assets.world.national_ids import nino
from bold_assets.world.records import extract, issue_ids
from bold_assets.world.sources import careers
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


def _day(value: str) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


EXTRACT_START = _day("1995-01-01")
WORLD_END = _day("2023-12-31")
SIM_START = _day("1988-01-01")
CIS_FIRST_DATE = _day("1975-01-01")
FIRST_MOVE_BEFORE = _day("2009-12-31")  # the population's moves start in 2010
OPEN = _day("2200-01-01")  # internal end of a spell running past the extract
JSA_START = _day("1996-10-07")
SDA_END = _day("2001-04-06")
ESA_START = _day("2008-10-27")
IB_MIGRATION = (_day("2011-04-01"), _day("2014-03-31"))
LONE_PARENT_JSA = _day("2012-05-21")
UC_START = _day("2013-04-29")
# Share of new claims made on Universal Credit, by date (rollout: pathfinder, full service).
UC_ROLLOUT = ((UC_START, 0.0), (_day("2015-12-31"), 0.05), (_day("2016-12-31"), 0.15),
              (_day("2017-12-31"), 0.35), (_day("2018-12-31"), 0.75), (_day("2019-02-01"), 1.0))
PIP_START = _day("2013-04-08")
PIP_REASSESSMENT = (_day("2013-10-28"), _day("2019-06-30"))
PIP_AFTER_DLA_P = 0.75
PC_START = _day("2003-10-06")
BB_START, BB_END = _day("2001-04-09"), _day("2017-04-05")
RTI_START = _day("2014-04-06")
_YEAR = 365.25

# Careers: states and the shares' log-weights at prime age in an ordinary year.
E, U, S, L, N = range(5)
BASE_LOG_WEIGHT = np.array([0.0, -3.85, -2.95, -2.8, -1.75])
# How latent states (z-scores) lean the log-weights of U, S, L and N.
LATENT_WEIGHTS: dict[int, dict[str, float]] = {
    U: {"employment": 0.55, "low_income": 0.35, "inactivity": 0.2, "substance_misuse": 0.2,
        "offending": 0.05},
    S: {"physical_health": 0.55, "mental_health": 0.45, "substance_misuse": 0.3,
        "inactivity": 0.3, "offending": 0.05},
    L: {"family": 0.6, "low_income": 0.4},
    N: {"inactivity": 0.4, "education": 0.15},
}
RECORD_EFFECT = (0.05, 0.0, 0.1)  # after a PNC caution / conviction: U, S, N log-weights
CUSTODY_EFFECT = (0.15, 0.05, 0.1)  # after a first release from custody, on top
# Gamma shapes of spell durations by state (means: `_mean_years`).
SHAPE = np.array([0.8, 1.0, 0.7, 1.0, 0.8])
JOB_GAP_DAYS = 60  # a gap of up to this many days between two jobs
WORK_PAST_PENSION_P = 0.15
PAY_MEDIAN_2023 = 27_000.0
PAY_GROWTH = 0.028  # nominal pay growth a year
IN_WORK_UC_REGIMES = (("WFI", 0.65), ("WNR", 0.35))


# Small helpers -------------------------------------------------------------------------------


def _days(values) -> np.ndarray:
    """Day numbers (days since 1970) of dates; NaT -> OPEN."""
    d = np.asarray(values, dtype="datetime64[D]")
    out = d.astype(np.int64)
    out[np.isnat(d)] = OPEN
    return out


def _dates(days: np.ndarray) -> np.ndarray:
    """Dates of day numbers; OPEN or past the extract -> NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]")
    out[days > WORLD_END] = np.datetime64("NaT")
    return out


def _add_years(dob: np.ndarray, years: int) -> np.ndarray:
    """Each date plus whole years (29 February -> 1 March), as day numbers."""
    dob = np.asarray(dob, dtype="datetime64[D]")
    months = dob.astype("datetime64[M]")
    day_in_month = (dob - months.astype("datetime64[D]")).astype(np.int64)
    target = (months + np.timedelta64(12 * years, "M")).astype("datetime64[D]")
    return target.astype(np.int64) + day_in_month


def _uniform(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    """`n` integers uniform on [lo, hi] (per element; hi < lo gives lo)."""
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), n)
    hi = np.maximum(np.broadcast_to(np.asarray(hi, dtype=np.int64), n), lo)
    return lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _uc_share(day: np.ndarray) -> np.ndarray:
    xs, ys = zip(*UC_ROLLOUT, strict=True)
    return np.interp(day, xs, ys, left=0.0, right=1.0)


def _pension_day(dob_day: np.ndarray, male: np.ndarray) -> np.ndarray:
    """State pension age: women 60 rising to 65 (born 1950-04 to 1953-12), everyone 66 for
    people born from October 1954."""
    women = np.interp(dob_day, [_day("1950-04-06"), _day("1953-12-06"), _day("1954-10-06")],
                      [60, 65, 66])
    men = np.interp(dob_day, [_day("1953-12-06"), _day("1954-10-06")], [65, 66])
    return dob_day + (np.where(male, men, women) * _YEAR).astype(np.int64)


def _within(group: np.ndarray) -> np.ndarray:
    """Position of each row within its run of equal (sorted) group values."""
    n = len(group)
    if not n:
        return np.zeros(0, dtype=np.int64)
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    return np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))


_SHIFT = np.int64(1 << 18)
_OFFSET = np.int64(40_000)  # day numbers from 1860 to 2200 fit in 18 bits after the offset


def _key(person: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.asarray(person, np.int64) * _SHIFT + (np.asarray(day, np.int64) + _OFFSET)


# Interval arithmetic --------------------------------------------------------------------------


def _merge(person: np.ndarray, start: np.ndarray, end: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of [start, end] intervals per person (touching intervals join)."""
    order = np.lexsort((start, person))
    p, s, e = person[order], start[order], end[order]
    if not len(p):
        return p, s, e
    new = np.r_[True, p[1:] != p[:-1]]
    run_end = pd.Series(e).groupby(np.cumsum(new)).cummax().to_numpy()
    prev_end = np.r_[0, run_end[:-1]]
    block = np.cumsum(new | (s > prev_end + 1))
    bp = p[np.r_[True, block[1:] != block[:-1]]]
    bs = pd.Series(s).groupby(block).min().to_numpy()
    be = pd.Series(e).groupby(block).max().to_numpy()
    return bp, bs, be


def _subtract(person: np.ndarray, start: np.ndarray, end: np.ndarray, cut_person: np.ndarray,
              cut_start: np.ndarray, cut_end: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of the intervals [start, end] outside every cut of the same person:
    (row of the original interval, piece start, piece end)."""
    bp, bs, be = _merge(cut_person, cut_start, cut_end)
    rows = np.arange(len(person))
    has_cut = np.isin(person, bp)
    if not len(bp):
        return rows, start, end
    # free intervals of each cut person: before the first cut, between cuts, after the last
    first = np.r_[True, bp[1:] != bp[:-1]]
    last = np.r_[bp[1:] != bp[:-1], True]
    fp = np.r_[bp, bp[last]]
    fs = np.r_[np.where(first, np.iinfo(np.int32).min, np.r_[0, be[:-1]] + 1), be[last] + 1]
    fe = np.r_[bs - 1, np.full(int(last.sum()), np.iinfo(np.int32).max)]
    order = np.lexsort((fs, fp))
    fp, fs, fe = fp[order], fs[order], fe[order]
    uniq, offset, count = np.unique(fp, return_index=True, return_counts=True)
    cut_rows = rows[has_cut]
    slot = np.searchsorted(uniq, person[cut_rows])
    rep = np.repeat(cut_rows, count[slot])
    free = np.repeat(offset[slot], count[slot]) + _within(rep)
    ps, pe = np.maximum(start[rep], fs[free]), np.minimum(end[rep], fe[free])
    ok = ps <= pe
    keep = rows[~has_cut]
    return (np.r_[keep, rep[ok]], np.r_[start[keep], ps[ok]], np.r_[end[keep], pe[ok]])


# People ---------------------------------------------------------------------------------------


class _People:
    """Per-person arrays the careers need (row i = person_idx i)."""

    def __init__(self, ctx: WorldContext) -> None:
        p = ctx.persons
        self.n = len(p)
        dob = p["dob"].to_numpy().astype("datetime64[D]")
        self.dob = dob.astype(np.int64)
        self.male = (p["sex"] == "M").to_numpy()
        self.born_abroad = p["born_abroad"].to_numpy(dtype=bool)
        arrival = _days(p["arrival_date"])
        self.sixteen = _add_years(dob, 16)
        # in the country from arrival, or from a first custody before it (the criminal careers
        # do not know arrival dates; a prisoner is traced and gets a NINO)
        cj = custody_journeys(careers(ctx))
        contact = np.full(self.n, OPEN, dtype=np.int64)
        np.minimum.at(contact, cj["person_idx"].to_numpy(), _days(cj["reception_date"]))
        self.issue = np.maximum(self.sixteen, np.where(arrival < OPEN, np.minimum(arrival, contact),
                                                       self.sixteen))
        self.adult_arrival = arrival < OPEN
        self.adult_arrival &= arrival > self.sixteen
        self.in_cis = self.issue <= WORLD_END
        self.pension = _pension_day(self.dob, self.male)
        z = {k: np.asarray(v, dtype=float) for k, v in ctx.z.items()}
        self.z = z
        self.iwp = p["outcome_in_work_poverty"].to_numpy(dtype=bool)
        self.low_income = p["driver_low_income"].to_numpy(dtype=bool)

        def lean(state: int) -> np.ndarray:
            return sum(w * z[name] for name, w in LATENT_WEIGHTS[state].items())

        self.p_u = lean(U) + 0.15 * self.male
        self.p_s = lean(S)
        self.p_l = lean(L)
        self.p_n = lean(N) + 0.3 * ~self.male + 0.3 * self.born_abroad
        self.oow = (self.p_u + self.p_s) / np.std(self.p_u + self.p_s)

    def age(self, idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        return (day - self.dob[idx]) / _YEAR


def _first_record(ctx: WorldContext, n: int) -> np.ndarray:
    """Day of each person's first PNC caution or conviction (OPEN: none)."""
    off = ctx.tables["raw.pnc_offences"]
    counted = off["adjudication_code"].isin(GUILTY_ADJUDICATIONS) | off["disposal_code"].isin(
        CAUTION_DISPOSALS)
    rp = ctx.tables["truth.record_person"]
    rp = rp[rp["source_dataset"] == "pnc_people"].set_index("record_id")["person_id"]
    people = ctx.tables["raw.pnc_people"]
    pnc_person = pd.Series(rp.reindex(people["name_id"]).to_numpy(),
                           index=people["pnc_id"].to_numpy())
    pnc_person = pnc_person[~pnc_person.index.duplicated()]
    idx_of = pd.Series(np.arange(n), index=ctx.persons["person_id"].to_numpy())
    person = idx_of.reindex(pnc_person.reindex(off.loc[counted, "pnc_id"]).to_numpy()).to_numpy()
    day = _days(off.loc[counted, "adjudication_date"])
    out = np.full(n, OPEN, dtype=np.int64)
    ok = ~np.isnan(person)
    np.minimum.at(out, person[ok].astype(np.int64), day[ok])
    return out


# Custody --------------------------------------------------------------------------------------


class _Custody:
    """Custody periods (unions of overlapping journeys), releases to and receptions from
    liberty, and how many calibration journeys each stands for."""

    def __init__(self, ctx: WorldContext, people: _People) -> None:
        cj = custody_journeys(careers(ctx))
        rec = _days(cj["reception_date"])
        keep = rec <= WORLD_END
        person = cj["person_idx"].to_numpy()[keep].astype(np.int64)
        rec, rel = rec[keep], _days(cj["release_date"])[keep]
        self.person, self.start, self.end = _merge(person, rec, rel)
        n_u = len(self.person)
        same_next = np.r_[self.person[1:] == self.person[:-1], False]
        same_prev = np.r_[False, self.person[1:] == self.person[:-1]]
        self.next_start = np.where(same_next, np.r_[self.start[1:], OPEN], OPEN)
        self.prev_end = np.where(same_prev, np.r_[0, self.end[:-1]], np.iinfo(np.int32).min)
        self.first_release = np.full(people.n, OPEN, dtype=np.int64)
        np.minimum.at(self.first_release, self.person, np.where(self.end < OPEN, self.end, OPEN))
        # the calibration's journeys (raw.prison's prison leavers, `is_leaver`)
        jp = ctx.tables["journey.prison"]
        j_person = jp["person_idx"].to_numpy().astype(np.int64)
        j_rec, j_rel = _days(jp["reception_date"]), _days(jp["release_date"])
        measured = is_leaver(j_person, jp["reception_date"].to_numpy(),
                             jp["release_date"].to_numpy(), people.age(j_person, j_rel))
        self.n_measured = int(measured.sum())
        union_key_start = _key(self.person, self.start)
        union_key_end = _key(self.person, self.end)
        self.release_weight = self._count(union_key_end, _key(j_person, j_rel)[measured], n_u)
        self.reception_weight = self._count(union_key_start, _key(j_person, j_rec)[measured], n_u)

    @staticmethod
    def _count(union_keys: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
        """How many of `keys` equal each union key (union keys unique within person)."""
        order = np.argsort(union_keys)
        pos = np.searchsorted(union_keys[order], keys)
        pos = np.minimum(pos, n - 1) if n else pos
        hit = (union_keys[order][pos] == keys) if n else np.zeros(0, bool)
        out = np.zeros(n, dtype=np.int64)
        np.add.at(out, order[pos[hit]], 1)
        return out


def _pick(rng: np.random.Generator, key: np.ndarray, eligible: np.ndarray, weight: np.ndarray,
          target: float) -> np.ndarray:
    """Exact quota: eligible rows with weight (calibration journeys) are chosen highest key first
    until their weights sum to `target`; eligible rows without weight are chosen at random at the
    rate this gave among eligible weighted rows."""
    chosen = np.zeros(len(key), dtype=bool)
    pool = np.flatnonzero(eligible & (weight > 0))
    order = pool[np.argsort(-key[pool], kind="stable")]
    cum = np.cumsum(weight[order])
    k = int(np.searchsorted(cum, target, side="right"))
    if k < len(order) and cum[k] - target < target - (cum[k - 1] if k else 0):
        k += 1
    chosen[order[:k]] = True
    total = weight[pool].sum()
    rate = float(cum[k - 1] / total) if k and total else float(target > 0 and not total)
    others = np.flatnonzero(eligible & (weight == 0))
    chosen[others] = rng.random(len(others)) < min(rate, 1.0)
    return chosen


# Baseline careers -----------------------------------------------------------------------------


def _log_weights(people: _People, idx: np.ndarray, day: np.ndarray, record: np.ndarray,
                 released: np.ndarray) -> np.ndarray:
    """Log-weights of the shares of E, U, S, L, N for persons `idx` on `day`."""
    age = people.age(idx, day)
    year = 1970 + day / _YEAR
    w = np.tile(BASE_LOG_WEIGHT, (len(idx), 1))
    rec, cus = record[idx] <= day, released[idx] <= day
    w[:, U] += (people.p_u[idx] + np.select([age < 25, age < 50], [0.6, 0.0], -0.1)
                + np.select([year < 1998, (year >= 2009) & (year < 2014), year < 2020,
                             year < 2021], [0.3, 0.35, -0.15, 0.2], 0.0)
                + RECORD_EFFECT[0] * rec + CUSTODY_EFFECT[0] * cus)
    w[:, S] += (people.p_s[idx] + np.select([age < 25, age < 35, age < 50], [-1.0, -0.4, 0.0], 0.6)
                + RECORD_EFFECT[1] * rec + CUSTODY_EFFECT[1] * cus)
    woman = ~people.male[idx]
    w[:, L] = np.where(woman & (age >= 18) & (age < 50), w[:, L] + people.p_l[idx], -np.inf)
    w[:, N] += (people.p_n[idx] + np.select([age < 22, age < 25, age < 50, age < 60],
                                            [1.3, 0.4, 0.0, 0.3], 1.0)
                + RECORD_EFFECT[2] * rec + CUSTODY_EFFECT[2] * cus)
    pensioner = day >= people.pension[idx]
    w[pensioner, U] = w[pensioner, S] = w[pensioner, L] = -np.inf
    w[pensioner, N] += 1.5
    return w


def _mean_years(people: _People, idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    age = people.age(idx, day)
    m = np.empty((len(idx), 5))
    m[:, E] = np.select([age < 25, age < 50], [1.2, 3.5], 5.0)
    m[:, U] = np.clip(0.4 * np.exp(0.25 * people.p_u[idx]), 0.15, 2.0)
    m[:, S] = np.clip(4.0 * np.exp(0.2 * people.p_s[idx]), 0.5, 10.0)
    m[:, L] = 3.0
    m[:, N] = np.where(age < 60, 1.0, 4.0)
    return m


def _draw_state(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    p = np.exp(weights - weights.max(axis=1, keepdims=True))
    cum = np.cumsum(p, axis=1)
    return (rng.random(len(p))[:, None] * cum[:, -1:] > cum).sum(axis=1)


def _duration(rng: np.random.Generator, state: np.ndarray, mean_years: np.ndarray) -> np.ndarray:
    mean = mean_years[np.arange(len(state)), state] * _YEAR
    k = SHAPE[state]
    return np.maximum(rng.gamma(k, mean / k), 14).astype(np.int64)


def _baseline(rng: np.random.Generator, people: _People, record: np.ndarray,
              released: np.ndarray) -> pd.DataFrame:
    """Everyone's career: spells of E, U, S, L (N left out), day numbers, merged runs."""
    idx = np.flatnonzero(people.in_cis)
    # careers end at pension age (a few work on); spells running past 2023 stay open
    stop = people.pension[idx] + np.where(
        rng.random(len(idx)) < WORK_PAST_PENSION_P, (rng.random(len(idx)) * 5 * _YEAR), 0
    ).astype(np.int64)
    t = np.maximum(people.issue[idx], SIM_START)
    # first spell: school / university / arrival (N) for careers starting in the simulation,
    # a state drawn from the shares for careers already running in 1988
    started = people.issue[idx] < SIM_START
    w = _log_weights(people, idx, t, record, released)
    m = _mean_years(people, idx, t)
    state = np.where(started, _draw_state(rng, w), N)
    z_edu = people.z["education"][idx]
    school = (rng.random(len(idx)) * 2 + (rng.random(len(idx)) < _sigmoid(-0.3 - 0.9 * z_edu))
              * (3 + rng.random(len(idx))))
    school = np.where(people.adult_arrival[idx], rng.random(len(idx)) * 0.5, school)
    dur = np.where(started, _duration(rng, state, m), (school * _YEAR).astype(np.int64) + 1)
    out_p, out_s, out_st, out_en = [], [], [], []
    active = (t < stop) & (t <= WORLD_END)
    idx, t, state, dur, stop = idx[active], t[active], state[active], dur[active], stop[active]
    while len(idx):
        end = np.minimum(t + dur, stop) - 1
        keep = state != N
        out_p.append(idx[keep])
        out_s.append(state[keep])
        out_st.append(t[keep])
        out_en.append(end[keep])
        t = end + 1
        live = (t < stop) & (t <= WORLD_END)
        idx, t, state, stop = idx[live], t[live], state[live], stop[live]
        if not len(idx):
            break
        w = _log_weights(people, idx, t, record, released)
        m = _mean_years(people, idx, t)
        nxt = _draw_state(rng, w - np.log(m))
        gap = (state == E) & (nxt == E)
        t = t + np.where(gap, rng.integers(1, JOB_GAP_DAYS + 1, len(idx)), 0)
        state, dur = nxt, _duration(rng, nxt, m)
        live = (t < stop) & (t <= WORLD_END)
        idx, t, state, dur, stop = idx[live], t[live], state[live], dur[live], stop[live]
    sp = pd.DataFrame({"person": np.concatenate(out_p), "state": np.concatenate(out_s),
                       "start": np.concatenate(out_st), "end": np.concatenate(out_en)})
    sp = sp.sort_values(["person", "start"], kind="stable").reset_index(drop=True)
    # merge back-to-back claims of the same kind into one spell
    p, s = sp["person"].to_numpy(), sp["state"].to_numpy()
    st, en = sp["start"].to_numpy(), sp["end"].to_numpy()
    cont = np.r_[False, (p[1:] == p[:-1]) & (s[1:] == s[:-1]) & (s[1:] != E)
                 & (st[1:] == en[:-1] + 1)]
    run = np.cumsum(~cont) - 1
    head = np.flatnonzero(~cont)
    return pd.DataFrame({"person": p[head], "state": s[head], "start": st[head],
                         "end": pd.Series(en).groupby(run).max().to_numpy()})


# Around custody -------------------------------------------------------------------------------


def _pre_sentence(rng: np.random.Generator, people: _People, cu: _Custody
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Receptions from liberty held in a job the month before (a third of the calibration
    journeys): (chosen per custody period, start day of that job)."""
    lower = np.maximum.reduce([cu.prev_end + 1, people.issue[cu.person],
                               people.sixteen[cu.person]])
    eligible = (cu.start - lower >= 31) & (people.age(cu.person, cu.start) < LEAVER_AGES[1])
    key = -0.8 * people.oow[cu.person] + rng.gumbel(size=len(cu.person))
    chosen = _pick(rng, key, eligible, cu.reception_weight,
                   target("employed_month_before_reception") * cu.n_measured)
    job_start = np.maximum(lower, cu.start - _uniform(rng, 31, 540, len(cu.start)))
    return chosen, np.where(chosen, job_start, OPEN)


# Measures of a release (relative days): (kind, first day, last day) a spell must overlap.
_MEASURES: dict[str, tuple[int, int, int]] = {
    "oow_1_month_after_release": (U, 30, 30), "oow_within_12_months": (U, 1, 365),
    "oow_2_years_after_release": (U, 730, 730), "employed_within_12_months": (E, 1, 365),
    "employed_1_year_after_release": (E, 365, 365),
}  # fmt: skip


def _hits(built: pd.DataFrame, person: np.ndarray, rel: np.ndarray) -> dict[str, np.ndarray]:
    """Per release: which measures spells built so far (later paths, jobs before receptions)
    already meet."""
    rel_df = pd.DataFrame({"row": np.arange(len(person)), "person": person, "rel": rel})
    m = rel_df.merge(built, on="person")
    out = {}
    for name, (kind, first, last) in _MEASURES.items():
        hit = ((m["state"] == kind) & (m["start"] <= m["rel"] + last)
               & (m["end"] >= m["rel"] + first)).to_numpy()
        flags = np.zeros(len(person), dtype=bool)
        flags[m["row"].to_numpy()[hit]] = True
        out[name] = flags
    return out


def _path_flags(rng: np.random.Generator, k_oow: np.ndarray, k_emp: np.ndarray,
                h_oow: np.ndarray, h_emp: np.ndarray, w: np.ndarray, given: dict[str, np.ndarray],
                goal: dict[str, float]) -> dict[str, np.ndarray]:
    """Which releases' paths hold an out-of-work claim on day 30 (o1), a first claim later in
    the first year (ob), a job in the first year (e_any), a job on day 365 (e1) and a claim on day
    730 (o2): weighted counts including `given` (already met) reach `goal` per measure."""
    def rest(name: str, flags: np.ndarray) -> float:
        return goal[name] - w[flags | given[name]].sum()

    none = np.zeros(len(w), dtype=bool)
    o1 = _pick(rng, k_oow, h_oow >= 31, w, rest("oow_1_month_after_release", none))
    any_oow = o1 | given["oow_within_12_months"]
    ob = _pick(rng, k_oow, ~any_oow & (h_oow >= 32), w, rest("oow_within_12_months", o1))
    e_ok = np.select([o1, ob], [h_emp >= 90, (h_oow >= 91) & (h_emp >= 60)], h_emp >= 30)
    e_any = _pick(rng, k_emp, e_ok & ~given["employed_within_12_months"], w,
                  rest("employed_within_12_months", none))
    e1 = _pick(rng, k_emp, e_any & (h_emp >= 367), w,
               rest("employed_1_year_after_release", none))
    o2 = _pick(rng, k_oow + 1.0 * o1 - 1.0 * e1, h_oow >= 732, w,
               rest("oow_2_years_after_release", none))
    return {"o1": o1, "ob": ob, "e_any": e_any, "e1": e1, "o2": o2}


def _path_spells(rng: np.random.Generator, f: dict[str, np.ndarray], h_oow: np.ndarray,
                 h_emp: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    """The spells of paths with flags `f`, as (release row, kind, start, end) in days after
    release: claims end before the next custody (or job before it), jobs before the month
    before the next reception."""
    o1, ob, e_any, e1, o2 = (f[x] for x in ("o1", "ob", "e_any", "e1", "o2"))
    k = len(o1)

    def uni(lo, hi) -> np.ndarray:
        return _uniform(rng, lo, hi, k)

    def tail(mean_days: float) -> np.ndarray:
        return rng.exponential(mean_days, k).astype(np.int64)

    c1 = o1 | ob
    j_before_c = ob & e_any & ~e1  # a job, then a claim
    a1 = np.select([o1, j_before_c, ob & e1],
                   [uni(1, np.minimum(21, h_oow - 10)), uni(90, np.minimum(330, h_oow - 1)),
                    uni(31, 220)], uni(31, np.minimum(330, h_oow - 1)))
    long_claim = o2 & ~(o1 & e_any) & ~(ob & e1) & (rng.random(k) < 0.55)
    short_end = np.minimum(a1 + 14 + tail(150), np.where(o2, 700, 729))
    b1 = np.select([o1 & e_any, ob & e1, long_claim],
                   [uni(30, np.minimum(300, h_emp - 45)), a1 + uni(20, 100), 731 + tail(450)],
                   np.maximum(short_end, np.where(o1, 30, a1)))
    j0 = np.select([c1 & ~j_before_c, j_before_c, e1],
                   [b1 + uni(1, 30), uni(1, 40), uni(1, 330)],
                   uni(1, np.minimum(300, h_emp - 15)))
    j1 = np.select([e1 & o2, e1, j_before_c],
                   [uni(366, np.minimum(700, h_emp - 1)), 366 + tail(700),
                    uni(j0 + 14, np.minimum(a1 - 5, h_emp - 1))],
                   uni(j0 + 14, np.minimum(364, h_emp - 1)))
    last = np.maximum(np.where(c1, b1, 0), np.where(e_any, j1, 0))
    c2 = o2 & ~(c1 & (b1 >= 731))
    c2_start = uni(np.maximum(last + 1, 366), 729)
    c2_end = 731 + tail(400)
    j2 = ~o2 & ~(e_any & (j1 >= 366)) & (rng.random(k) < 0.3) & (last < 690)
    j2_start = uni(np.maximum(last + 1, 366), 700)
    j2_end = j2_start + 30 + tail(600)
    out = []
    for mask, kind, s, e in ((c1, U, a1, b1), (c2, U, c2_start, c2_end), (e_any, E, j0, j1),
                             (j2, E, j2_start, j2_end)):
        e = np.minimum(e, (h_oow if kind == U else h_emp) - 1)
        ok = np.flatnonzero(mask & (s <= e))
        out.append((ok, kind, s[ok], e[ok]))
    return out


def _post_release(rng: np.random.Generator, people: _People, cu: _Custody, forced: np.ndarray,
                  forced_start: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each adult release's path until its last spell ends (two years at least) or the next
    custody: out-of-work claims (kind U) and jobs (E) meeting the published rates exactly on the
    calibration journeys. Returns (spells, windows where paths replace the career).

    A release's measure days after the next reception are met (or not) by the next release's
    path, so paths are drawn latest first: releases followed by another, in rounds from the
    last, each at the published rates; then every person's first release, whose quotas make
    the totals exact."""
    person, rel = cu.person, cu.end
    age = people.age(person, rel)
    has_path = (rel < WORLD_END) & (age >= LEAVER_AGES[0]) & (age < LEAVER_AGES[1])
    next_forced = np.r_[forced[1:], False] & (cu.next_start < OPEN)
    next_job = np.where(next_forced, np.r_[forced_start[1:], OPEN], OPEN)
    h_oow = np.where(next_forced, next_job, cu.next_start) - rel
    h_emp = np.where(next_forced, next_job, cu.next_start - 30) - rel
    k_oow = people.oow[person] + rng.gumbel(size=len(person))
    k_emp = -0.8 * people.oow[person] + rng.gumbel(size=len(person))
    rank = _within(person)
    _, count = np.unique(person, return_counts=True)
    depth = np.repeat(count, count) - 1 - rank
    later = [np.flatnonzero(has_path & (rank >= 1) & (depth == d))
             for d in range(int(depth.max(initial=0)) + 1)]
    rounds = [r for r in later if len(r)] + [np.flatnonzero(has_path & (rank == 0))]
    built = [pd.DataFrame({"person": cu.person[forced], "state": E,
                           "start": forced_start[forced], "end": cu.start[forced] - 1})]
    done = dict.fromkeys(_MEASURES, 0.0)
    for i, idx in enumerate(rounds):
        w = cu.release_weight[idx]
        given = _hits(pd.concat(built, ignore_index=True), person[idx], rel[idx])
        if i < len(rounds) - 1:
            goal = {name: target(name) * w.sum() for name in _MEASURES}
        else:
            goal = {name: target(name) * cu.n_measured - done[name] for name in _MEASURES}
        f = _path_flags(rng, k_oow[idx], k_emp[idx], h_oow[idx], h_emp[idx], w, given, goal)
        met = {"oow_1_month_after_release": f["o1"], "oow_within_12_months": f["o1"] | f["ob"],
               "oow_2_years_after_release": f["o2"], "employed_within_12_months": f["e_any"],
               "employed_1_year_after_release": f["e1"]}
        for name in _MEASURES:
            done[name] += w[met[name] | given[name]].sum()
        for rows, kind, s, e in _path_spells(rng, f, h_oow[idx], h_emp[idx]):
            at = idx[rows]
            built.append(pd.DataFrame({"release": at, "person": person[at], "state": kind,
                                       "start": rel[at] + s, "end": rel[at] + e}))
    spells = pd.concat(built[1:], ignore_index=True)
    window_end = rel + 760
    np.maximum.at(window_end, spells["release"].to_numpy(), spells["end"].to_numpy())
    window_end = np.minimum(window_end, cu.next_start - 1)
    windows = pd.DataFrame({"person": person[has_path], "start": rel[has_path] + 1,
                            "end": window_end[has_path]})
    return spells.drop(columns="release"), windows


# Composition ----------------------------------------------------------------------------------


def _drop_after_custody(cu: _Custody, person: np.ndarray, orig_start: np.ndarray,
                        piece_start: np.ndarray) -> np.ndarray:
    """Pieces of a job after a custody period that began during the job (the job ended at
    reception): True where the piece is kept."""
    starts = np.sort(_key(cu.person, cu.start))
    before = np.searchsorted(starts, _key(person, orig_start), side="right")
    upto = np.searchsorted(starts, _key(person, piece_start), side="right")
    return upto == before


def _labour(people: _People, cu: _Custody, base: pd.DataFrame, forced: np.ndarray,
            forced_start: np.ndarray, path: pd.DataFrame, windows: pd.DataFrame
            ) -> pd.DataFrame:
    """Jobs (E) and claims (U, S, L), in order of precedence: custody (nothing); the job held
    up to a reception, or no job in the month before it; the paths after releases; the career.
    A job cut by a reception does not resume after release."""
    custody = (cu.person, cu.start, cu.end)
    job_p, job_s, job_e = cu.person[forced], forced_start[forced], cu.start[forced] - 1
    month_p, month_s = cu.person[~forced], cu.start[~forced] - 30
    month_e = cu.start[~forced] - 1
    base = base.assign(orig=base["start"])
    # claims end at state pension age
    claim = base["state"].to_numpy() != E
    base["end"] = np.where(claim, np.minimum(base["end"], people.pension[base["person"]] - 1),
                           base["end"])
    base = base[base["start"] <= base["end"]]
    cuts = [custody, (job_p, job_s, job_e),
            tuple(windows[c].to_numpy() for c in ("person", "start", "end"))]
    path = path.assign(orig=path["start"])
    frames = []
    for frame, extra in ((base, cuts), (path, [custody, (job_p, job_s, job_e)])):
        for is_job in (True, False):
            f = frame[(frame["state"] == E) == is_job]
            cp, cs, ce = (np.concatenate(x) for x in zip(*extra, strict=True))
            if is_job:
                cp, cs, ce = np.r_[cp, month_p], np.r_[cs, month_s], np.r_[ce, month_e]
            row, s, e = _subtract(f["person"].to_numpy(), f["start"].to_numpy(),
                                  f["end"].to_numpy(), cp, cs, ce)
            piece = f.iloc[row].assign(start=s, end=e)
            if is_job:
                piece = piece[_drop_after_custody(cu, piece["person"].to_numpy(),
                                                  piece["orig"].to_numpy(), s)]
            frames.append(piece)
    frames.append(pd.DataFrame({"person": job_p, "state": E, "start": job_s, "end": job_e,
                                "orig": job_s}))
    out = pd.concat(frames, ignore_index=True).drop(columns="orig")
    return out.sort_values(["person", "start"], kind="stable").reset_index(drop=True)


def _claim_types(rng: np.random.Generator, people: _People, claims: pd.DataFrame
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
    move = _uniform(rng, *IB_MIGRATION, k)
    ib = (out["benefit_type"] == "IB").to_numpy() & (out["start"].to_numpy() < move) & (
        out["end"].to_numpy() >= move)
    ib &= move < people.pension[out["person"].to_numpy()]
    esa = out[ib].assign(start=move[ib], benefit_type="ESA")
    out.loc[ib, "end"] = move[ib] - 1
    return pd.concat([out, esa], ignore_index=True)


def _other_benefits(rng: np.random.Generator, people: _People) -> pd.DataFrame:
    """Disability, carer's, pension and bereavement benefits beside the careers."""
    idx = np.flatnonzero(people.in_cis)
    z = people.z
    dob, pension = people.dob[idx], people.pension[idx]
    sixty_five = dob + int(65 * _YEAR)
    lo = np.maximum(people.issue[idx], SIM_START)
    parts = []

    def onset(weight: np.ndarray, w0: np.ndarray, w1: np.ndarray) -> tuple[np.ndarray, ...]:
        years = np.maximum(w1 - w0, 0) / _YEAR
        hit = rng.random(len(weight)) < 1 - np.exp(-weight * years)
        day = w0 + (rng.random(len(weight)) * np.maximum(w1 - w0, 0)).astype(np.int64)
        return hit, day

    # DLA (PIP from April 2013) of working age; AA from 65
    ph, mh = z["physical_health"][idx], z["mental_health"][idx]
    hit, day = onset(np.exp(-6.2 + 0.9 * ph + 0.6 * mh), lo, np.minimum(sixty_five, WORLD_END))
    end = day + (rng.exponential(12, len(idx)) * _YEAR).astype(np.int64)
    pip = day >= PIP_START
    reassess = _uniform(rng, *PIP_REASSESSMENT, len(idx))
    moved = ~pip & (end >= reassess) & (reassess < sixty_five)
    dla_end = np.where(moved, reassess - 1, end)
    parts.append((idx[hit], np.where(pip, "PIP", "DLA")[hit], day[hit],
                  np.where(pip, end, dla_end)[hit]))
    keep = hit & moved & (rng.random(len(idx)) < PIP_AFTER_DLA_P)
    parts.append((idx[keep], np.full(int(keep.sum()), "PIP"), reassess[keep], end[keep]))
    age_now = (WORLD_END - dob) / _YEAR
    hit, day = onset(np.exp(-4.6 + 0.8 * ph + 0.05 * np.clip(age_now - 75, 0, None)),
                     np.maximum(sixty_five, lo), np.full(len(idx), WORLD_END))
    parts.append((idx[hit], np.full(int(hit.sum()), "AA"), day[hit], np.full(int(hit.sum()),
                                                                               OPEN)))
    # carer's allowance
    female = ~people.male[idx]
    hit, day = onset(np.exp(-5.6 + 0.5 * z["family"][idx] + 0.3 * z["low_income"][idx]
                            + 0.4 * female), lo, np.minimum(pension, WORLD_END))
    end = day + (rng.exponential(5, len(idx)) * _YEAR).astype(np.int64)
    parts.append((idx[hit], np.full(int(hit.sum()), "ICA"), day[hit], end[hit]))
    # state pension at pension age, pension credit for low-income pensioners
    rp = (pension <= WORLD_END) & (rng.random(len(idx)) < np.where(
        people.adult_arrival[idx], 0.85, 0.97))
    parts.append((idx[rp], np.full(int(rp.sum()), "RP"), pension[rp], np.full(int(rp.sum()), OPEN)))
    women_spa = _pension_day(dob, np.zeros(len(idx), dtype=bool))
    pc_from = np.maximum(women_spa, PC_START)
    pc = (pc_from <= WORLD_END) & (rng.random(len(idx)) < _sigmoid(
        -2.4 + 1.2 * z["low_income"][idx]))
    pc_start = pc_from + (rng.random(len(idx)) * 3 * _YEAR).astype(np.int64)
    pc_end = np.where(rng.random(len(idx)) < 0.2,
                      pc_start + (rng.exponential(4, len(idx)) * _YEAR).astype(np.int64), OPEN)
    pc &= pc_start <= WORLD_END
    parts.append((idx[pc], np.full(int(pc.sum()), "PC"), pc_start[pc], pc_end[pc]))
    # bereavement: widow's benefit before April 2001, bereavement benefit to April 2017
    hit, day = onset(np.full(len(idx), 0.002), np.maximum(lo, dob + int(30 * _YEAR)),
                     np.minimum(pension, np.int64(BB_END)))
    wb = day < BB_START
    hit &= ~wb | female
    end = day + np.where(wb, rng.exponential(5, len(idx)) * _YEAR, 365).astype(np.int64)
    end = np.where(wb, np.minimum(end, pension - 1), end)
    parts.append((idx[hit], np.where(wb, "WB", "BB")[hit], day[hit], end[hit]))
    out = pd.DataFrame({
        "person": np.concatenate([p[0] for p in parts]),
        "benefit_type": np.concatenate([p[1] for p in parts]).astype(object),
        "start": np.concatenate([p[2] for p in parts]),
        "end": np.concatenate([p[3] for p in parts])})
    out["uc_regime"] = None
    return out[out["start"] <= out["end"]]


def _in_work_uc(rng: np.random.Generator, people: _People, jobs: pd.DataFrame) -> pd.DataFrame:
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


def _employments(rng: np.random.Generator, people: _People, jobs: pd.DataFrame) -> pd.DataFrame:
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
    log_pay += np.log1p(PAY_GROWTH) * ((mid - WORLD_END) / _YEAR)
    days = np.minimum(end, WORLD_END) - np.maximum(start, EXTRACT_START) + 1
    return pd.DataFrame({
        "person": p, "start": start, "end": end,
        "employer_paye_ref": refs[rng.choice(n_emp, k, p=size / size.sum())],
        "taxable_pay": np.round(np.exp(log_pay) * days / _YEAR, 2),
        "paye_source": np.where(start < RTI_START, "P45", "RTI").astype(object),
    })


def _in_extract(people: _People, df: pd.DataFrame) -> pd.DataFrame:
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


def _cis(ctx: WorldContext, people: _People, rng: np.random.Generator) -> pd.DataFrame:
    """One row per person and address held since the NINO's issue (the last four): person_idx,
    the address's row in ctx.addresses and the date it was first held."""
    a = ctx.addresses
    person = a["person_idx"].to_numpy()
    issue = people.issue[person]
    to_day = _days(a["to_date"])
    from_day = _days(a["from_date"])
    first = a["seq"].to_numpy() == 1
    held = people.in_cis[person] & (to_day >= issue)
    lo = np.maximum(issue, CIS_FIRST_DATE)
    hi = np.minimum(np.minimum(to_day, FIRST_MOVE_BEFORE), WORLD_END)
    drawn = _uniform(rng, lo, hi, len(a))
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


def _cis_table(ctx: WorldContext, people: _People, rng: np.random.Generator,
               ninos: np.ndarray) -> dict[str, pd.DataFrame]:
    rows = issue_ids(rng, _cis(ctx, people, rng), "address_from_date", "dwp_cis")
    held = np.flatnonzero(people.in_cis)
    now = pd.DataFrame({"person_idx": held,
                        "extract_date": np.full(len(held), np.datetime64("2023-12-31"))})
    persons = ctx.persons
    if "marriage_date" not in persons:
        persons = persons.assign(marriage_date=np.datetime64("NaT"))
    profile = ERROR_PROFILES["dwp_cis"]
    ids = make_identifiers(now, persons.reset_index(drop=True), ctx.addresses, profile,
                           "%Y-%m-%d", rng, "extract_date")
    slot = np.searchsorted(held, rows["person_idx"].to_numpy())
    p = rows["person_idx"].to_numpy()
    young = people.age(p, _days(rows["address_from_date"])) < 25
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
    people = _People(ctx)
    ninos = nino(np.arange(people.n), ctx.seed)
    out = _cis_table(ctx, people, ctx.rng("dwp_cis"), ninos)

    rng = ctx.rng("dwp_careers")
    cu = _Custody(ctx, people)
    record = _first_record(ctx, people.n)
    base = _baseline(rng, people, record, cu.first_release)
    paths_rng = ctx.rng("dwp_custody_paths")
    forced, forced_start = _pre_sentence(paths_rng, people, cu)
    path, windows = _post_release(paths_rng, people, cu, forced, forced_start)
    labour = _labour(people, cu, base, forced, forced_start, path, windows)

    brng = ctx.rng("dwp_benefits")
    jobs = _in_extract(people, labour[labour["state"] == E])
    claims = _claim_types(brng, people, labour[labour["state"] != E])
    other = _other_benefits(brng, people)
    row, s, e = _subtract(other["person"].to_numpy(), other["start"].to_numpy(),
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
