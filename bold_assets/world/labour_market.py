"""The labour market of the synthetic world: everyone's career between jobs and benefit claims
(wave 2; `world/sources/dwp.py` turns the careers into DWP's and HMRC's spells,
`world/labour_custody.py` fits them around custody).

**Careers.** From the NINO's issue (1988 at the earliest: careers already running then start in a
state drawn from the person's shares) to state pension age, each person moves between employment
(E), claiming as unemployed (U: IS before October 1996, JSA, UC searching for work), as sick or
disabled (S: IB, SDA, ESA, UC with no or preparing-for-work requirements), as a lone parent (L:
IS, JSA from 2012, UC) and none of these (N: education, self-employment, caring, abroad). Each
spell's next state is drawn from shares set by the person's latent states (`LATENT_WEIGHTS`: low
income, employment and inactivity needs, physical and mental health, substance misuse,
offending), justice contact (after a first PNC caution or conviction, and after a first release
from custody), sex, age and the economic cycle, divided by the state's mean duration (a
semi-Markov chain, run spell by spell for everyone at once).

Dates are day numbers (days since 1970; `OPEN` ends a spell running past the extract), spells
per-person intervals [start, end] (`merge_intervals`, `subtract_intervals`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.pnc import CAUTION_DISPOSALS, GUILTY_ADJUDICATIONS
from bold_assets.world.context import WorldContext
from bold_assets.world.journeys import custody_journeys
from bold_assets.world.sources import careers


def day_number(value: str) -> int:
    """Day number (days since 1970) of an ISO date."""
    return int(np.datetime64(value, "D").astype(np.int64))


WORLD_END = day_number("2023-12-31")
SIM_START = day_number("1988-01-01")
OPEN = day_number("2200-01-01")  # internal end of a spell running past the extract
YEAR = 365.25

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


# Day numbers ---------------------------------------------------------------------------------


def day_numbers(values) -> np.ndarray:
    """Day numbers (days since 1970) of dates; NaT -> OPEN."""
    d = np.asarray(values, dtype="datetime64[D]")
    out = d.astype(np.int64)
    out[np.isnat(d)] = OPEN
    return out


def _add_years(dob: np.ndarray, years: int) -> np.ndarray:
    """Each date plus whole years (29 February -> 1 March), as day numbers."""
    dob = np.asarray(dob, dtype="datetime64[D]")
    months = dob.astype("datetime64[M]")
    day_in_month = (dob - months.astype("datetime64[D]")).astype(np.int64)
    target = (months + np.timedelta64(12 * years, "M")).astype("datetime64[D]")
    return target.astype(np.int64) + day_in_month


def uniform_ints(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    """`n` integers uniform on [lo, hi] (per element; hi < lo gives lo)."""
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), n)
    hi = np.maximum(np.broadcast_to(np.asarray(hi, dtype=np.int64), n), lo)
    return lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def pension_day(dob_day: np.ndarray, male: np.ndarray) -> np.ndarray:
    """State pension age: women 60 rising to 65 (born 1950-04 to 1953-12), everyone 66 for
    people born from October 1954."""
    women = np.interp(dob_day, [day_number("1950-04-06"), day_number("1953-12-06"),
                                day_number("1954-10-06")], [60, 65, 66])
    men = np.interp(dob_day, [day_number("1953-12-06"), day_number("1954-10-06")], [65, 66])
    return dob_day + (np.where(male, men, women) * YEAR).astype(np.int64)


def rank_within(group: np.ndarray) -> np.ndarray:
    """Position of each row within its run of equal (sorted) group values."""
    n = len(group)
    if not n:
        return np.zeros(0, dtype=np.int64)
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    return np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))


_SHIFT = np.int64(1 << 18)
_OFFSET = np.int64(40_000)  # day numbers from 1860 to 2200 fit in 18 bits after the offset


def person_day_key(person: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.asarray(person, np.int64) * _SHIFT + (np.asarray(day, np.int64) + _OFFSET)


# Interval arithmetic --------------------------------------------------------------------------


def merge_intervals(person: np.ndarray, start: np.ndarray, end: np.ndarray
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


def subtract_intervals(person: np.ndarray, start: np.ndarray, end: np.ndarray,
                       cut_person: np.ndarray, cut_start: np.ndarray, cut_end: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of the intervals [start, end] outside every cut of the same person:
    (row of the original interval, piece start, piece end)."""
    bp, bs, be = merge_intervals(cut_person, cut_start, cut_end)
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
    free = np.repeat(offset[slot], count[slot]) + rank_within(rep)
    ps, pe = np.maximum(start[rep], fs[free]), np.minimum(end[rep], fe[free])
    ok = ps <= pe
    keep = rows[~has_cut]
    return (np.r_[keep, rep[ok]], np.r_[start[keep], ps[ok]], np.r_[end[keep], pe[ok]])


# People ---------------------------------------------------------------------------------------


class People:
    """Per-person arrays the careers need (row i = person_idx i)."""

    def __init__(self, ctx: WorldContext) -> None:
        p = ctx.persons
        self.n = len(p)
        dob = p["dob"].to_numpy().astype("datetime64[D]")
        self.dob = dob.astype(np.int64)
        self.male = (p["sex"] == "M").to_numpy()
        self.born_abroad = p["born_abroad"].to_numpy(dtype=bool)
        arrival = day_numbers(p["arrival_date"])
        self.sixteen = _add_years(dob, 16)
        # in the country from arrival, or from a first custody before it (the criminal careers
        # do not know arrival dates; a prisoner is traced and gets a NINO)
        cj = custody_journeys(careers(ctx))
        contact = np.full(self.n, OPEN, dtype=np.int64)
        np.minimum.at(contact, cj["person_idx"].to_numpy(), day_numbers(cj["reception_date"]))
        self.issue = np.maximum(self.sixteen, np.where(arrival < OPEN, np.minimum(arrival, contact),
                                                       self.sixteen))
        self.adult_arrival = arrival < OPEN
        self.adult_arrival &= arrival > self.sixteen
        self.in_cis = self.issue <= WORLD_END
        self.pension = pension_day(self.dob, self.male)
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
        return (day - self.dob[idx]) / YEAR


def first_record(ctx: WorldContext, n: int) -> np.ndarray:
    """Day of each person's first PNC caution or conviction (OPEN: none)."""
    off = ctx.tables["raw.pnc_offences"]
    counted = off["adjudication_code"].isin(GUILTY_ADJUDICATIONS) | off["disposal_code"].isin(
        CAUTION_DISPOSALS)
    rp = ctx.tables["truth.record_person"]
    rp = rp[rp["source_dataset"] == "pnc_people"].set_index("record_id")["person_id"]
    pnc_people = ctx.tables["raw.pnc_people"]
    pnc_person = pd.Series(rp.reindex(pnc_people["name_id"]).to_numpy(),
                           index=pnc_people["pnc_id"].to_numpy())
    pnc_person = pnc_person[~pnc_person.index.duplicated()]
    idx_of = pd.Series(np.arange(n), index=ctx.persons["person_id"].to_numpy())
    person = idx_of.reindex(pnc_person.reindex(off.loc[counted, "pnc_id"]).to_numpy()).to_numpy()
    day = day_numbers(off.loc[counted, "adjudication_date"])
    out = np.full(n, OPEN, dtype=np.int64)
    ok = ~np.isnan(person)
    np.minimum.at(out, person[ok].astype(np.int64), day[ok])
    return out


# Baseline careers -----------------------------------------------------------------------------


def _log_weights(people: People, idx: np.ndarray, day: np.ndarray, record: np.ndarray,
                 released: np.ndarray) -> np.ndarray:
    """Log-weights of the shares of E, U, S, L, N for persons `idx` on `day`."""
    age = people.age(idx, day)
    year = 1970 + day / YEAR
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


def _mean_years(people: People, idx: np.ndarray, day: np.ndarray) -> np.ndarray:
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
    mean = mean_years[np.arange(len(state)), state] * YEAR
    k = SHAPE[state]
    return np.maximum(rng.gamma(k, mean / k), 14).astype(np.int64)


def baseline_careers(rng: np.random.Generator, people: People, record: np.ndarray,
                     released: np.ndarray) -> pd.DataFrame:
    """Everyone's career: spells of E, U, S, L (N left out), day numbers, merged runs."""
    idx = np.flatnonzero(people.in_cis)
    # careers end at pension age (a few work on); spells running past 2023 stay open
    stop = people.pension[idx] + np.where(
        rng.random(len(idx)) < WORK_PAST_PENSION_P, (rng.random(len(idx)) * 5 * YEAR), 0
    ).astype(np.int64)
    t = np.maximum(people.issue[idx], SIM_START)
    # first spell: school / university / arrival (N) for careers starting in the simulation,
    # a state drawn from the shares for careers already running in 1988
    started = people.issue[idx] < SIM_START
    w = _log_weights(people, idx, t, record, released)
    m = _mean_years(people, idx, t)
    state = np.where(started, _draw_state(rng, w), N)
    z_edu = people.z["education"][idx]
    school = (rng.random(len(idx)) * 2 + (rng.random(len(idx)) < sigmoid(-0.3 - 0.9 * z_edu))
              * (3 + rng.random(len(idx))))
    school = np.where(people.adult_arrival[idx], rng.random(len(idx)) * 0.5, school)
    dur = np.where(started, _duration(rng, state, m), (school * YEAR).astype(np.int64) + 1)
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
